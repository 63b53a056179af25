// libpng behind a setjmp boundary that never reaches Swift. Messages go to the caller's buffer.
#include "ckpt_image_codecs.h"
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

static void read_bytes(png_structp png, png_bytep out, size_t count) {
    png_source *source = (png_source *)png_get_io_ptr(png);
    if (count > source->size - source->offset) {
        source->truncated = 1;
        png_error(png, "file ends before the image data does");
    }
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

ckpt_img_status ckpt_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_png_header *header,
                                uint8_t **pixels, char *message, size_t message_capacity) {
    png_source source = {data, size, 0, 0};
    const ckpt_png_message out_message = {message, message_capacity};
    // volatile: these are read after a longjmp back into this frame.
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    volatile ckpt_img_status early = CKPT_IMG_OK;
    png_structp png;
    png_infop info;

    *pixels = NULL;
    memset(header, 0, sizeof *header);
    ckpt_png_set_message(&out_message, "");

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, (png_voidp)&out_message, ckpt_png_on_error,
                                 ckpt_png_on_warning);
    if (!png) return CKPT_IMG_NO_MEMORY;
    info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CKPT_IMG_NO_MEMORY;
    }

    if (setjmp(png_jmpbuf(png))) {
        ckpt_img_status status = early;
        if (status == CKPT_IMG_OK) {
            if (source.truncated) status = CKPT_IMG_TRUNCATED;
            else if (strstr(message, "CRC error")) status = CKPT_IMG_CRC;
            else if (strstr(message, "Out of memory") || strstr(message, "out of memory")) status = CKPT_IMG_NO_MEMORY;
            else status = CKPT_IMG_CORRUPT;
        }
        free(rows);
        free(buffer);
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }

    png_set_read_fn(png, &source, read_bytes);
    // Strict like PIL, which checks the CRC of every chunk it reads: a bad CRC is an error, not a warning.
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
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
    if (height != 0 && row_bytes > SIZE_MAX / height) {
        early = CKPT_IMG_NO_MEMORY;
        ckpt_png_set_message(&out_message, "image size overflows");
        png_longjmp(png, 1);
    }
    buffer = malloc(row_bytes * height ? row_bytes * height : 1);
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!buffer || !rows) {
        early = CKPT_IMG_NO_MEMORY;
        ckpt_png_set_message(&out_message, "cannot allocate the pixel buffer");
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = buffer + (size_t)y * row_bytes;
    png_read_image(png, rows);
    // No png_read_end: like PIL, the pixels are complete once the image data is; chunks after it are not read.

    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    *pixels = buffer;
    return CKPT_IMG_OK;
}

void ckpt_image_free(void *pointer) { free(pointer); }
