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
    size_t buffer_bytes;  ///< bytes `ckpt_png_read` needs (at least row_bytes * height: it may inflate into it)
    int palette_count;    ///< PLTE entries (0...256)
    uint8_t palette[256 * 3];
    int trns_count;       ///< tRNS alpha entries for palette images
    uint8_t trns_alpha[256];
    int has_trns_color;   ///< tRNS for gray or RGB images
    uint16_t trns_gray, trns_red, trns_green, trns_blue;
} ckpt_png_header;

/// A PNG being read: its header is read, its pixels are not yet.
typedef struct ckpt_png_reader ckpt_png_reader;

/// Reads a PNG held in memory up to its image data: the header, palette and tRNS, and the pixel limit
/// `max_pixels`, checked before anything is allocated for the pixels. On CKPT_IMG_OK `*reader` is the reader
/// for ckpt_png_read, to release with ckpt_png_close; otherwise it is NULL and `message` holds the library's
/// text (always NUL-terminated). `data` must outlive the reader.
ckpt_img_status ckpt_png_open(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_png_header *header,
                              ckpt_png_reader **reader, char *message, size_t message_capacity);

/// How ckpt_png_read decodes the image data.
typedef enum {
    CKPT_PNG_ROWS = 0,            ///< libpng reads every row
    CKPT_PNG_WHOLE_OR_ROWS = 1,   ///< one-call inflate for non-interlaced 8/16-bit images; libpng rows when it fails
    CKPT_PNG_WHOLE_ONLY = 2,      ///< one-call inflate or CKPT_IMG_CORRUPT (for tests: that path alone)
} ckpt_png_path;

/// Decodes the pixels into `pixels`, which holds `capacity >= header.buffer_bytes` bytes: row y starts at
/// `y * row_bytes`. Call it once per reader.
ckpt_img_status ckpt_png_read(ckpt_png_reader *reader, uint8_t *pixels, size_t capacity, ckpt_png_path path,
                              char *message, size_t message_capacity);

void ckpt_png_close(ckpt_png_reader *reader);

/// What the JPEG frame header says, and how the pixels came back.
typedef struct {
    uint32_t width, height;
    int components;       ///< components in the file: 1, 3 or 4
    int jpeg_color_space; ///< libjpeg's J_COLOR_SPACE guess for the file (JCS_YCbCr, JCS_YCCK, ...)
    int progressive;
    int saw_adobe_marker;
    int channels;         ///< samples per pixel returned: 1 gray, 3 RGB, 4 CMYK (as libjpeg outputs it)
    size_t row_bytes;
    size_t buffer_bytes;  ///< bytes `ckpt_jpeg_read` needs: row_bytes * height
} ckpt_jpeg_header;

/// A JPEG being read: its header is read, its pixels are not yet.
typedef struct ckpt_jpeg_reader ckpt_jpeg_reader;

/// Reads a JPEG held in memory up to its scans and starts libjpeg's decompression with its defaults (islow
/// IDCT, fancy upsampling), which is what Pillow asks for when no draft mode is set. Like ckpt_png_open.
ckpt_img_status ckpt_jpeg_open(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_jpeg_header *header,
                               ckpt_jpeg_reader **reader, char *message, size_t message_capacity);

/// Decodes the pixels into `pixels`, which holds `capacity >= header.buffer_bytes` bytes. Call it once.
ckpt_img_status ckpt_jpeg_read(ckpt_jpeg_reader *reader, uint8_t *pixels, size_t capacity, char *message,
                               size_t message_capacity);

void ckpt_jpeg_close(ckpt_jpeg_reader *reader);

/// ckpt_jpeg_open and ckpt_jpeg_read in one call, into a malloc'ed buffer of `row_bytes * height` bytes for
/// the caller to release with ckpt_image_free (NULL unless CKPT_IMG_OK).
ckpt_img_status ckpt_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_jpeg_header *header,
                                 uint8_t **pixels, char *message, size_t message_capacity);

/// Encodes an 8-bit grayscale image (`width * height` row-major bytes) as a PNG in memory, zlib at
/// `compression_level` (0...9). On CKPT_IMG_OK `*out` is a malloc'ed buffer of `*out_size` bytes for the
/// caller to release with ckpt_image_free; otherwise NULL, and `message` says why.
ckpt_img_status ckpt_png_encode_gray8(const uint8_t *pixels, uint32_t width, uint32_t height, int compression_level,
                                      uint8_t **out, size_t *out_size, char *message, size_t message_capacity);

void ckpt_image_free(void *pointer);

#endif
