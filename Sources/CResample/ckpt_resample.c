#include "ckpt_resample.h"
#include <string.h>

// The two passes of PillowResampler, sixteen sums at a time: sixteen rows of the horizontal pass, sixteen
// columns of the vertical one. Each sum adds the same products as the scalar loop of Resample.c, only for
// sixteen outputs side by side, so the results are the same bits. One body (the `*_body` functions, written
// with clang's vector extensions) is compiled twice: for the baseline target and, on x86-64, for AVX2, chosen
// at run time (there vpmulld does eight 32-bit products at once; SSE2 has no 32-bit multiply).

typedef uint32_t u32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

#define INLINE static inline __attribute__((always_inline))

enum { LANES = 16 };

INLINE u8x16 load16(const uint8_t *p) { u8x16 v; memcpy(&v, p, sizeof v); return v; }
INLINE void store16(uint8_t *p, u8x16 v) { memcpy(p, &v, sizeof v); }

// out[0..<16] = clip8(half + Σ_t lanes(base + (start + t)·stride)·w[t]). Unsigned, so the sums wrap like the
// int32 sums they reproduce (overflow of int is undefined in C); every product is exact, so any grouping gives the
// same bits. clip8 of Resample.c: an arithmetic shift (clang's >> on a negative int), then a clamp to 0...255.
// (One function from the loads to the store: a 64-byte vector never crosses a call, whose ABI would depend on
// AVX-512.)
INLINE void convolve16(uint8_t *out, const uint8_t *base, size_t stride, size_t start, const int32_t *w,
                       size_t count, int32_t half, int32_t precision) {
    u32x16 acc = (u32x16){0} + (uint32_t)half;
    for (size_t t = 0; t < count; t++)
        acc += __builtin_convertvector(load16(base + (start + t) * stride), u32x16) * (uint32_t)w[t];
    i32x16 v = (i32x16)acc >> precision;
    v &= ~(v < 0);
    i32x16 over = v > 255;
    v = (v & ~over) | (over & 255);
    store16(out, __builtin_convertvector(v, u8x16));
}

INLINE int32_t mac1(const uint8_t *base, size_t stride, size_t start, const int32_t *w, size_t count,
                    int32_t half) {
    uint32_t acc = (uint32_t)half;
    for (size_t t = 0; t < count; t++) acc += (uint32_t)base[(start + t) * stride] * (uint32_t)w[t];
    return (int32_t)acc;
}

INLINE uint8_t clip1(int32_t v, int32_t precision) {
    v >>= precision;
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

// One round of the 16×16 byte transpose: vector j and j + 8 interleave bytewise into vectors 2j and 2j + 1.
// Seen as the 8-bit address (row, column) of each byte, a round rotates it left by one bit, so four rounds
// swap row and column.
INLINE void transpose_round(u8x16 v[LANES]) {
    u8x16 w[LANES];
    for (int j = 0; j < LANES / 2; j++) {
        w[2 * j] = __builtin_shufflevector(v[j], v[j + 8], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        w[2 * j + 1] =
            __builtin_shufflevector(v[j], v[j + 8], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    }
    memcpy(v, w, sizeof w);
}

INLINE void transpose16(u8x16 v[LANES]) {
    for (int round = 0; round < 4; round++) transpose_round(v);
}

// Column x of channel c of the sixteen rows `line` goes to `columns + x·16` (one byte per row).
INLINE void gather_columns(uint8_t *columns, const uint8_t *const line[LANES], size_t width, size_t channels,
                           size_t c) {
    if (channels == 1 && width >= LANES) {
        // Sixteen columns at a time; the last block overlaps the one before when width % 16 ≠ 0.
        for (size_t x0 = 0; x0 < width; x0 += LANES) {
            size_t at = x0 + LANES <= width ? x0 : width - LANES;
            u8x16 v[LANES];
            for (int r = 0; r < LANES; r++) v[r] = load16(line[r] + at);
            transpose16(v);
            for (int j = 0; j < LANES; j++) store16(columns + (at + j) * LANES, v[j]);
        }
        return;
    }
    for (size_t x = 0; x < width; x++)
        for (int r = 0; r < LANES; r++) columns[x * LANES + r] = line[r][x * channels + c];
}

// The inverse for the first `rows` rows: byte r of `columns + x·16` goes to channel c of pixel x of row r.
INLINE void scatter_columns(uint8_t *const line[LANES], size_t rows, const uint8_t *columns, size_t width,
                            size_t channels, size_t c) {
    if (channels == 1 && width >= LANES) {
        for (size_t x0 = 0; x0 < width; x0 += LANES) {
            size_t at = x0 + LANES <= width ? x0 : width - LANES;
            u8x16 v[LANES];
            for (int j = 0; j < LANES; j++) v[j] = load16(columns + (at + j) * LANES);
            transpose16(v);
            for (size_t r = 0; r < rows; r++) store16(line[r] + at, v[r]);
        }
        return;
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t x = 0; x < width; x++) line[r][x * channels + c] = columns[x * LANES + r];
}

size_t ckpt_resample_horizontal_scratch(size_t in_width, size_t out_width) {
    return (in_width + out_width) * LANES;
}

// Sixteen rows at a time, transposed into `scratch` so that one input column is one 16-byte vector: each
// weight is then loaded once for sixteen rows. A last block of fewer rows repeats its last row in the
// missing lanes and stores only its own rows.
INLINE void horizontal_body(const uint8_t *src, uint8_t *dst, size_t rows, size_t channels, size_t in_width,
                            size_t out_width, const ckpt_resample_axis *axis, uint8_t *scratch) {
    uint8_t *in_columns = scratch, *out_columns = scratch + in_width * LANES;
    const size_t in_row = in_width * channels, out_row = out_width * channels, ksize = axis->ksize;
    for (size_t r0 = 0; r0 < rows; r0 += LANES) {
        const size_t n = rows - r0 < LANES ? rows - r0 : LANES;
        const uint8_t *line[LANES];
        uint8_t *target[LANES];
        for (size_t r = 0; r < LANES; r++) {
            size_t row = r0 + (r < n ? r : n - 1);
            line[r] = src + row * in_row;
            target[r] = dst + row * out_row;
        }
        for (size_t c = 0; c < channels; c++) {
            gather_columns(in_columns, line, in_width, channels, c);
            for (size_t xx = 0; xx < out_width; xx++) {
                size_t xmin = (uint32_t)axis->bounds[2 * xx], count = (uint32_t)axis->bounds[2 * xx + 1];
                convolve16(out_columns + xx * LANES, in_columns, LANES, xmin, axis->weights + xx * ksize, count,
                           axis->half, axis->precision);
            }
            scatter_columns(target, n, out_columns, out_width, channels, c);
        }
    }
}

// Per output row, sixteen columns at a time (the last block overlapping when row_length % 16 ≠ 0): the taps
// walk down the input rows, one broadcast weight per input row.
INLINE void vertical_body(const uint8_t *src, uint8_t *dst, size_t row_length, size_t first, size_t count,
                          const ckpt_resample_axis *axis) {
    for (size_t y = first; y < first + count; y++) {
        size_t ymin = (uint32_t)axis->bounds[2 * y], taps = (uint32_t)axis->bounds[2 * y + 1];
        const int32_t *w = axis->weights + y * axis->ksize;
        uint8_t *out = dst + y * row_length;
        if (row_length >= LANES) {
            for (size_t i0 = 0; i0 < row_length; i0 += LANES) {
                size_t i = i0 + LANES <= row_length ? i0 : row_length - LANES;
                convolve16(out + i, src + i, row_length, ymin, w, taps, axis->half, axis->precision);
            }
        } else {
            for (size_t i = 0; i < row_length; i++)
                out[i] = clip1(mac1(src + i, row_length, ymin, w, taps, axis->half), axis->precision);
        }
    }
}

static void horizontal_portable(const uint8_t *src, uint8_t *dst, size_t rows, size_t channels, size_t in_width,
                                size_t out_width, const ckpt_resample_axis *axis, uint8_t *scratch) {
    horizontal_body(src, dst, rows, channels, in_width, out_width, axis, scratch);
}

static void vertical_portable(const uint8_t *src, uint8_t *dst, size_t row_length, size_t first, size_t count,
                              const ckpt_resample_axis *axis) {
    vertical_body(src, dst, row_length, first, count, axis);
}

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2")))

AVX2 static void horizontal_avx2(const uint8_t *src, uint8_t *dst, size_t rows, size_t channels, size_t in_width,
                                 size_t out_width, const ckpt_resample_axis *axis, uint8_t *scratch) {
    horizontal_body(src, dst, rows, channels, in_width, out_width, axis, scratch);
}

AVX2 static void vertical_avx2(const uint8_t *src, uint8_t *dst, size_t row_length, size_t first, size_t count,
                               const ckpt_resample_axis *axis) {
    vertical_body(src, dst, row_length, first, count, axis);
}

static int use_avx2(ckpt_resample_path path) {
    if (path == CKPT_RESAMPLE_PORTABLE) return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#endif

void ckpt_resample_horizontal(const uint8_t *src, uint8_t *dst, size_t rows, size_t channels, size_t in_width,
                              size_t out_width, const ckpt_resample_axis *axis, uint8_t *scratch,
                              ckpt_resample_path path) {
#if defined(__x86_64__)
    if (use_avx2(path)) {
        horizontal_avx2(src, dst, rows, channels, in_width, out_width, axis, scratch);
        return;
    }
#endif
    (void)path;
    horizontal_portable(src, dst, rows, channels, in_width, out_width, axis, scratch);
}

void ckpt_resample_vertical(const uint8_t *src, uint8_t *dst, size_t row_length, size_t first, size_t count,
                            const ckpt_resample_axis *axis, ckpt_resample_path path) {
#if defined(__x86_64__)
    if (use_avx2(path)) {
        vertical_avx2(src, dst, row_length, first, count, axis);
        return;
    }
#endif
    (void)path;
    vertical_portable(src, dst, row_length, first, count, axis);
}
