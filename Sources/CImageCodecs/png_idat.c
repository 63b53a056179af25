#include "png_idat.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

static uint32_t big_endian32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int is_idat(const uint8_t *type) { return memcmp(type, "IDAT", 4) == 0; }

// PNG's Paeth predictor (ISO/IEC 15948, 9.4).
static uint8_t paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    if (pa <= pb && pa <= pc) return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

// Reverses one row's filter in place; `prior` is the unfiltered row above, NULL for the first row (all zeros).
static int unfilter_row(uint8_t filter, uint8_t *restrict row, const uint8_t *restrict prior, size_t length,
                        size_t unit) {
    size_t i;
    switch (filter) {
    case 0:
        return 1;
    case 1:
        for (i = unit; i < length; i++) row[i] = (uint8_t)(row[i] + row[i - unit]);
        return 1;
    case 2:
        if (prior)
            for (i = 0; i < length; i++) row[i] = (uint8_t)(row[i] + prior[i]);
        return 1;
    case 3:
        for (i = 0; i < length && i < unit; i++) row[i] = (uint8_t)(row[i] + (prior ? prior[i] >> 1 : 0));
        for (; i < length; i++) row[i] = (uint8_t)(row[i] + ((row[i - unit] + (prior ? prior[i] : 0)) >> 1));
        return 1;
    case 4:
        if (!prior) return unfilter_row(1, row, NULL, length, unit);  // Paeth(a, 0, 0) is a
        for (i = 0; i < length && i < unit; i++) row[i] = (uint8_t)(row[i] + prior[i]);
        for (; i < length; i++) row[i] = (uint8_t)(row[i] + paeth(row[i - unit], prior[i], prior[i - unit]));
        return 1;
    default:
        return 0;
    }
}

int ckpt_png_idat_decode(const uint8_t *data, size_t size, size_t offset, uint8_t *pixels, uint32_t height,
                         size_t row_bytes, size_t filter_unit) {
    if (offset < 8 || offset > size || !is_idat(data + offset - 4)) return 0;
    // The consecutive IDAT chunks, each with its CRC checked: one zlib stream split across them.
    size_t chunk = offset - 8, total = 0, count = 0;
    while (size - chunk >= 12 && is_idat(data + chunk + 4)) {
        uint32_t length = big_endian32(data + chunk);
        if (length > 0x7fffffffu || length > size - chunk - 12) return 0;
        uint32_t crc = libdeflate_crc32(0, data + chunk + 4, 4 + (size_t)length);
        if (crc != big_endian32(data + chunk + 8 + length)) return 0;
        total += length;
        count += 1;
        chunk += 12 + (size_t)length;
    }
    const uint8_t *stream = data + offset;
    uint8_t *joined = NULL;
    if (count > 1) {
        joined = malloc(total ? total : 1);
        if (!joined) return 0;
        size_t at = 0;
        for (chunk = offset - 8; at < total; chunk += 12 + big_endian32(data + chunk)) {
            size_t length = big_endian32(data + chunk);
            memcpy(joined + at, data + chunk + 8, length);
            at += length;
        }
        stream = joined;
    }
    struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    // A NULL actual size: the stream must fill exactly `height` filtered rows, as libpng requires.
    enum libdeflate_result result = inflater
        ? libdeflate_zlib_decompress(inflater, stream, total, pixels, (size_t)height * (row_bytes + 1), NULL)
        : LIBDEFLATE_BAD_DATA;
    libdeflate_free_decompressor(inflater);
    free(joined);
    if (result != LIBDEFLATE_SUCCESS) return 0;

    // Row y moves from y * (row_bytes + 1) + 1 to y * row_bytes: down, so it never overwrites a row not read yet.
    for (uint32_t y = 0; y < height; y++) {
        uint8_t filter = pixels[(size_t)y * (row_bytes + 1)];
        uint8_t *row = pixels + (size_t)y * row_bytes;
        memmove(row, row + y + 1, row_bytes);
        if (!unfilter_row(filter, row, y ? row - row_bytes : NULL, row_bytes, filter_unit)) return 0;
    }
    return 1;
}
