#ifndef CKPT_ATTENTION_H
#define CKPT_ATTENTION_H
#include <stddef.h>

/// Fused scaled-dot-product attention of one head: out = softmax(scale · Q Kᵀ) V, without
/// materialising the m × t score matrix.
///
/// Queries are taken CKPT_ATTENTION_QUERY_BLOCK at a time and keys CKPT_ATTENTION_KEY_BLOCK at a
/// time; a (query block × key block) tile of scores goes from the QKᵀ product through the
/// exponentials into the product with V while it is in L1/L2, with the row maxima and sums carried
/// across key blocks (online softmax, as torch's CPU flash attention does). Any head_dim works.
/// On x86-64 Linux with AVX-512F the products run in 6 × 64 register tiles (six keys or queries by
/// four sixteen-lane vectors) and the exponentials through libmvec's sixteen-lane expf; with AVX2,
/// FMA and libmvec in 6 × 16 tiles and its eight-lane expf; elsewhere in plain C with libm's expf.
/// The paths sum in the same order, so they differ only by the expf variant.
/// `ckpt_vecmath_set_ceiling` (ckpt_vecmath.h) chooses among them as for the other kernels.
///
/// q: m rows of head_dim values, row stride ldq; k, v: t rows each (strides ldk, ldv);
/// out: m rows, row stride ldo. scratch: ckpt_attention_scratch_floats(head_dim) floats, owned by
/// the calling thread for the duration of the call. Rows and strides are in floats.
void ckpt_attention(const float *q, size_t ldq, size_t m,
                    const float *k, size_t ldk, const float *v, size_t ldv, size_t t,
                    size_t head_dim, float scale, float *out, size_t ldo, float *scratch);

/// Scratch floats one ckpt_attention call needs for this head_dim.
size_t ckpt_attention_scratch_floats(size_t head_dim);

/// Queries per block (the whole block's state stays in cache); callers splitting the queries of a
/// head over threads do best with multiples of this.
#define CKPT_ATTENTION_QUERY_BLOCK 64
/// Keys per block.
#define CKPT_ATTENTION_KEY_BLOCK 128

/// Which path ckpt_attention takes now: "avx512f", "avx2-fma" or "scalar".
const char *ckpt_attention_path(void);

#endif
