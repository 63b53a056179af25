#ifndef CKPT_VECMATH_INTERNAL_H
#define CKPT_VECMATH_INTERNAL_H
// Shared between the C files of this target only (not part of the module's headers).

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
/// libmvec's eight-lane expf (x86-64 vector function ABI, argument and result in ymm0).
typedef __m256 (*ckpt_vec8_fn)(__m256);
/// libmvec's expf when this process takes a vector path (AVX2, FMA, libmvec present, the ceiling
/// above CKPT_VECMATH_SCALAR), else NULL. The same switch as the other kernels, so one setting
/// moves every kernel.
ckpt_vec8_fn ckpt_vecmath_exp8(void);
/// libmvec's sixteen-lane expf (argument and result in zmm0).
typedef __m512 (*ckpt_vec16_fn)(__m512);
/// libmvec's sixteen-lane expf when this process may take an AVX-512 path (AVX-512F with the OS
/// saving its registers, the eight-lane functions present, the ceiling at CKPT_VECMATH_BEST), else NULL.
ckpt_vec16_fn ckpt_vecmath_exp16(void);
#endif

#endif
