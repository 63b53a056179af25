#ifndef CKPT_IMAGE_CODECS_H
#define CKPT_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

/// Outcome of a decode. Every libpng/libjpeg error ends here: the libraries' longjmp never leaves the C
/// functions below, and their messages are copied into the caller's buffer instead of being printed.
typedef enum {
    CKPT_IMG_OK = 0,
    CKPT_IMG_CORRUPT = 1,          ///< the library refused the data; the message says why
    CKPT_IMG_TRUNCATED = 2,        ///< the data ended before the image did
    CKPT_IMG_CRC = 3,              ///< a PNG chunk failed its CRC check
    CKPT_IMG_TOO_MANY_PIXELS = 4,  ///< width × height from the header is over the caller's limit (nothing allocated)
    CKPT_IMG_NO_MEMORY = 5,
    CKPT_IMG_UNSUPPORTED = 6,      ///< a valid file in a variant ckpt does not read (e.g. 12-bit JPEG)
} ckpt_img_status;

/// What the PNG header and its PLTE/tRNS chunks say. Pixels come back one sample per byte for depths
/// 1/2/4/8 (unscaled: a 2-bit sample is 0...3), two big-endian bytes per sample for depth 16.
typedef struct {
    uint32_t width, height;
    int bit_depth;        ///< 1, 2, 4, 8 or 16
    int color_type;       ///< PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int interlaced;       ///< 1 for Adam7
    int channels;         ///< samples per pixel in the returned buffer
    size_t row_bytes;     ///< bytes per row in the returned buffer
    int palette_count;    ///< PLTE entries (0...256)
    uint8_t palette[256 * 3];
    int trns_count;       ///< tRNS alpha entries for palette images
    uint8_t trns_alpha[256];
    int has_trns_color;   ///< tRNS for gray or RGB images
    uint16_t trns_gray, trns_red, trns_green, trns_blue;
} ckpt_png_header;

/// Decodes a whole PNG held in memory. On CKPT_IMG_OK `*pixels` is a malloc'ed buffer of
/// `row_bytes * height` bytes for the caller to release with ckpt_image_free; otherwise it is NULL and
/// `message` holds the library's text (always NUL-terminated).
ckpt_img_status ckpt_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_png_header *header,
                                uint8_t **pixels, char *message, size_t message_capacity);

/// What the JPEG frame header says, and how the pixels came back.
typedef struct {
    uint32_t width, height;
    int components;       ///< components in the file: 1, 3 or 4
    int jpeg_color_space; ///< libjpeg's J_COLOR_SPACE guess for the file (JCS_YCbCr, JCS_YCCK, ...)
    int progressive;
    int saw_adobe_marker;
    int channels;         ///< samples per pixel returned: 1 gray, 3 RGB, 4 CMYK (as libjpeg outputs it)
    size_t row_bytes;
} ckpt_jpeg_header;

/// Decodes a whole JPEG held in memory with libjpeg's defaults (islow IDCT, fancy upsampling), which
/// is what Pillow asks for when no draft mode is set.
ckpt_img_status ckpt_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_jpeg_header *header,
                                 uint8_t **pixels, char *message, size_t message_capacity);

/// Encodes an 8-bit grayscale image (`width * height` row-major bytes) as a PNG in memory, zlib at
/// `compression_level` (0...9). On CKPT_IMG_OK `*out` is a malloc'ed buffer of `*out_size` bytes for the
/// caller to release with ckpt_image_free; otherwise NULL, and `message` says why.
ckpt_img_status ckpt_png_encode_gray8(const uint8_t *pixels, uint32_t width, uint32_t height, int compression_level,
                                      uint8_t **out, size_t *out_size, char *message, size_t message_capacity);

void ckpt_image_free(void *pointer);

#endif
