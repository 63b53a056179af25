#ifndef CKPT_RESAMPLE_H
#define CKPT_RESAMPLE_H
#include <stddef.h>
#include <stdint.h>

/// The fixed-point coefficients of one resampling axis (PillowResampler.Coefficients): for output index i,
/// `bounds[2i]` is the first input index and `bounds[2i + 1]` the tap count (at most `ksize`), and the taps'
/// weights start at `weights + i * ksize`. Each output is `clip8((half + Σ pixel·weight) >> precision)`, the sum
/// in wrapping 32-bit arithmetic, as Pillow's Resample.c and ATen's uint8 antialias kernels compute it.
typedef struct {
    const int32_t *bounds;
    const int32_t *weights;
    size_t ksize;
    int32_t half;
    int32_t precision;
} ckpt_resample_axis;

/// Which compiled copy of the kernels runs: the widest the CPU has (AVX2 on x86-64), or the portable one
/// (baseline SSE2 on x86-64, NEON on aarch64), which tests compare with the first.
typedef enum { CKPT_RESAMPLE_BEST = 0, CKPT_RESAMPLE_PORTABLE = 1 } ckpt_resample_path;

/// Bytes of scratch `ckpt_resample_horizontal` needs for these widths (one buffer per concurrent call).
size_t ckpt_resample_horizontal_scratch(size_t in_width, size_t out_width);

/// The horizontal pass over `rows` rows of `channels` interleaved 8-bit channels: row r of `src` (at
/// `src + r * in_width * channels`, `in_width` pixels) becomes row r of `dst` (`out_width` pixels, packed).
/// `scratch` holds `ckpt_resample_horizontal_scratch(in_width, out_width)` bytes.
void ckpt_resample_horizontal(const uint8_t *src, uint8_t *dst, size_t rows, size_t channels, size_t in_width,
                              size_t out_width, const ckpt_resample_axis *axis, uint8_t *scratch,
                              ckpt_resample_path path);

/// The vertical pass for output rows `first ..< first + count`: output row y (at `dst + y * row_length`) is the
/// weighted sum of the input rows `bounds[2y] ..< bounds[2y] + bounds[2y + 1]` of `src`, each `row_length` bytes.
void ckpt_resample_vertical(const uint8_t *src, uint8_t *dst, size_t row_length, size_t first, size_t count,
                            const ckpt_resample_axis *axis, ckpt_resample_path path);
#endif
