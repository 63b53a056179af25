// The image data of a non-interlaced 8- or 16-bit PNG, inflated in one call and unfiltered in place.
#ifndef CKPT_PNG_IDAT_H
#define CKPT_PNG_IDAT_H

#include <stddef.h>
#include <stdint.h>

// `data` is the whole file and `offset` the first byte of the first IDAT chunk's data (where png_read_info
// stops). Writes `height` rows of `row_bytes` to the start of `pixels`, which holds `height * (row_bytes + 1)`
// bytes. Returns 1 on success; 0 when anything is not a clean image (a CRC, the zlib stream, its length, a
// filter byte), leaving `pixels` scribbled on and the caller to read the image again with libpng.
int ckpt_png_idat_decode(const uint8_t *data, size_t size, size_t offset, uint8_t *pixels, uint32_t height,
                         size_t row_bytes, size_t filter_unit);

#endif
