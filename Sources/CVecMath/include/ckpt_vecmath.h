#ifndef CKPT_VECMATH_H
#define CKPT_VECMATH_H
#include <stddef.h>

/// Row-wise float32 kernels of the forward pass whose cost is transcendental functions.
///
/// On x86-64 Linux with AVX2 and FMA they evaluate expf/erff eight lanes at a time through
/// glibc's vector math library (libmvec, `_ZGVdN8v_expf` / `_ZGVdN8v_erff`, resolved with dlopen
/// at first use); elsewhere, or when libmvec is missing, they call the scalar libm functions.
/// Both paths are glibc's own implementations (libmvec documents ≤ 4 ulp for these).

/// The unnormalised softmax of each of `rows` rows of `n` values (row stride `stride`): in place,
/// x ← exp(x − max of the row), and inverse_sums[r] ← 1 / Σ of row r. Attention multiplies the
/// numerators by V first and scales the (much narrower) result rows by inverse_sums, as
/// flash-attention kernels (torch's CPU SDPA among them) do.
void ckpt_softmax_numerators(float *x, size_t rows, size_t n, size_t stride, float *inverse_sums);

/// Exact GELU in place: 0.5 · x · (1 + erf(x / √2)).
void ckpt_gelu(float *x, size_t n);

/// SwiGLU gate: out[i] = silu(a[i]) · b[i] = a[i] / (1 + exp(−a[i])) · b[i].
void ckpt_silu_mul(const float *a, const float *b, float *out, size_t n);

/// Which path the kernels take on this machine: "avx2+libmvec" or "scalar libm".
const char *ckpt_vecmath_path(void);

/// The widest code path the kernels of this target (these and ckpt_attention.h's) may take.
/// Tests lower it to check every path the machine has on one machine.
typedef enum {
    /// Whatever the machine offers: AVX-512 where ckpt_attention has a path for it, else AVX2.
    CKPT_VECMATH_BEST = 0,
    /// At most AVX2 + FMA with libmvec's eight-lane functions.
    CKPT_VECMATH_AVX2 = 1,
    /// Plain C with libm's scalar functions.
    CKPT_VECMATH_SCALAR = 2,
} ckpt_vecmath_ceiling;

/// Sets the widest path every kernel may take from now on (CKPT_VECMATH_BEST is the default).
void ckpt_vecmath_set_ceiling(ckpt_vecmath_ceiling ceiling);

/// Atomically adds 1 to *counter and returns its previous value (work claiming across threads).
long ckpt_claim_next(long *counter);

#endif
