// libpng behind a setjmp boundary that never reaches Swift. Messages go to the caller's buffer.
//
// libpng reads the header and every chunk before the image data. The image data of a non-interlaced 8- or
// 16-bit PNG is then inflated in one call by libdeflate and unfiltered here (png_idat.c): zlib's streaming
// inflate was a third of `ckpt preprocess` on an X-ray PNG. Whenever that path meets anything but a clean
// image (a bad CRC, a short or long stream, a bad filter byte), libpng reads the rows instead, from the same
// place, so every error is libpng's own, with its message.
#include "ckpt_image_codecs.h"
#include "png_idat.h"
#include "png_messages.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
} png_source;

struct ckpt_png_reader {
    png_structp png;
    png_infop info;
    png_source source;
    ckpt_png_message message;
    uint32_t height;
    size_t row_bytes;
    size_t buffer_bytes;
    size_t filter_unit;  // bytes per complete pixel, at least 1: the distance the Sub/Average/Paeth filters look back
    int whole_stream;    // non-interlaced, 8 or 16 bits: the image data is exactly `height` filtered rows
};

static void read_bytes(png_structp png, png_bytep out, size_t count) {
    png_source *source = (png_source *)png_get_io_ptr(png);
    if (count > source->size - source->offset) {
        source->truncated = 1;
        png_error(png, "file ends before the image data does");
    }
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

// What a longjmp out of libpng means: `early` when this file set it, otherwise read from libpng's message.
static ckpt_img_status failure(const ckpt_png_reader *reader, ckpt_img_status early) {
    const char *text = reader->message.capacity ? reader->message.text : "";
    if (early != CKPT_IMG_OK) return early;
    if (reader->source.truncated) return CKPT_IMG_TRUNCATED;
    if (strstr(text, "CRC error")) return CKPT_IMG_CRC;
    if (strstr(text, "Out of memory") || strstr(text, "out of memory")) return CKPT_IMG_NO_MEMORY;
    return CKPT_IMG_CORRUPT;
}

void ckpt_png_close(ckpt_png_reader *reader) {
    if (!reader) return;
    if (reader->png) png_destroy_read_struct(&reader->png, reader->info ? &reader->info : NULL, NULL);
    free(reader);
}

ckpt_img_status ckpt_png_open(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_png_header *header,
                              ckpt_png_reader **out, char *message, size_t message_capacity) {
    // volatile: read after a longjmp back into this frame.
    volatile ckpt_img_status early = CKPT_IMG_OK;
    ckpt_png_reader *reader;

    *out = NULL;
    memset(header, 0, sizeof *header);
    if (message_capacity) message[0] = 0;
    reader = calloc(1, sizeof *reader);
    if (!reader) return CKPT_IMG_NO_MEMORY;
    reader->source = (png_source){data, size, 0, 0};
    reader->message = (ckpt_png_message){message, message_capacity};

    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, (png_voidp)&reader->message, ckpt_png_on_error,
                                         ckpt_png_on_warning);
    if (reader->png) reader->info = png_create_info_struct(reader->png);
    if (!reader->png || !reader->info) {
        ckpt_png_close(reader);
        return CKPT_IMG_NO_MEMORY;
    }
    png_structp png = reader->png;
    png_infop info = reader->info;

    if (setjmp(png_jmpbuf(png))) {
        ckpt_img_status status = failure(reader, early);
        ckpt_png_close(reader);
        return status;
    }

    png_set_read_fn(png, &reader->source, read_bytes);
    // Strict like PIL, which checks the CRC of every chunk it reads: a bad CRC is an error, not a warning.
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    // Like PIL, whose zlib inflates with a 32 KiB window whatever the stream's header declares: by default
    // libpng keeps to the declared window and refuses a stream whose matches reach further back ("invalid
    // distance too far back"), which PIL decodes (golden/images' gray8-window256.png).
    png_set_option(png, PNG_MAXIMUM_INFLATE_WINDOW, PNG_OPTION_ON);
    // Our own pixel limit (checked below) replaces libpng's 1,000,000-pixel width/height default.
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_read_info(png, info);

    png_uint_32 width, height;
    int bit_depth, color_type, interlace;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    header->width = width;
    header->height = height;
    header->bit_depth = bit_depth;
    header->color_type = color_type;
    header->interlaced = interlace != PNG_INTERLACE_NONE;

    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        early = CKPT_IMG_TOO_MANY_PIXELS;
        snprintf(message, message_capacity, "%u x %u = %llu pixels", (unsigned)width, (unsigned)height,
                 (unsigned long long)width * (unsigned long long)height);
        png_longjmp(png, 1);
    }

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette = NULL;
        int count = 0;
        if (png_get_PLTE(png, info, &palette, &count) && palette) {
            if (count > 256) count = 256;
            header->palette_count = count;
            for (int i = 0; i < count; i++) {
                header->palette[i * 3 + 0] = palette[i].red;
                header->palette[i * 3 + 1] = palette[i].green;
                header->palette[i * 3 + 2] = palette[i].blue;
            }
        }
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_bytep alpha = NULL;
        int count = 0;
        png_color_16p color = NULL;
        png_get_tRNS(png, info, &alpha, &count, &color);
        if (color_type == PNG_COLOR_TYPE_PALETTE) {
            if (count > 256) count = 256;
            header->trns_count = count;
            if (alpha && count > 0) memcpy(header->trns_alpha, alpha, (size_t)count);
        } else if (color) {
            header->has_trns_color = 1;
            header->trns_gray = color->gray;
            header->trns_red = color->red;
            header->trns_green = color->green;
            header->trns_blue = color->blue;
        }
    }

    if (bit_depth < 8) png_set_packing(png);  // one sample per byte, values unscaled
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    header->channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    header->row_bytes = row_bytes;
    reader->height = height;
    reader->row_bytes = row_bytes;
    reader->whole_stream = interlace == PNG_INTERLACE_NONE && (bit_depth == 8 || bit_depth == 16);
    reader->filter_unit = ((size_t)header->channels * (size_t)bit_depth + 7) / 8;
    // The whole-stream path inflates the filter byte of every row into the buffer too.
    size_t stride = reader->whole_stream ? row_bytes + 1 : row_bytes;
    if (height != 0 && stride > SIZE_MAX / height) {
        early = CKPT_IMG_NO_MEMORY;
        ckpt_png_set_message(&reader->message, "image size overflows");
        png_longjmp(png, 1);
    }
    reader->buffer_bytes = stride * height;
    header->buffer_bytes = reader->buffer_bytes;
    *out = reader;
    return CKPT_IMG_OK;
}

ckpt_img_status ckpt_png_read(ckpt_png_reader *reader, uint8_t *pixels, size_t capacity, ckpt_png_path path,
                              char *message, size_t message_capacity) {
    // volatile: freed after a longjmp back into this frame.
    png_bytep *volatile rows = NULL;

    reader->message = (ckpt_png_message){message, message_capacity};
    ckpt_png_set_message(&reader->message, "");
    if (capacity < reader->buffer_bytes) {
        ckpt_png_set_message(&reader->message, "the pixel buffer is smaller than the image");
        return CKPT_IMG_NO_MEMORY;
    }
    if (path != CKPT_PNG_ROWS) {
        if (reader->whole_stream &&
            ckpt_png_idat_decode(reader->source.data, reader->source.size, reader->source.offset, pixels,
                                 reader->height, reader->row_bytes, reader->filter_unit))
            return CKPT_IMG_OK;
        if (path == CKPT_PNG_WHOLE_ONLY) {
            ckpt_png_set_message(&reader->message, "the one-call inflate did not decode this image");
            return CKPT_IMG_CORRUPT;
        }
    }

    png_structp png = reader->png;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        return failure(reader, CKPT_IMG_OK);
    }
    rows = malloc(sizeof(png_bytep) * (reader->height ? reader->height : 1));
    if (!rows) {
        ckpt_png_set_message(&reader->message, "cannot allocate the row table");
        return CKPT_IMG_NO_MEMORY;
    }
    for (png_uint_32 y = 0; y < reader->height; y++) rows[y] = pixels + (size_t)y * reader->row_bytes;
    png_read_image(png, rows);
    // No png_read_end: like PIL, the pixels are complete once the image data is; chunks after it are not read.
    free(rows);
    return CKPT_IMG_OK;
}

void ckpt_image_free(void *pointer) { free(pointer); }
