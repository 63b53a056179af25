// libpng's writer behind the same setjmp boundary as the decoder: errors become a status and a message.
#include "ckpt_image_codecs.h"
#include "png_messages.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int out_of_memory;
} png_sink;

static void write_bytes(png_structp png, png_bytep bytes, size_t count) {
    png_sink *sink = (png_sink *)png_get_io_ptr(png);
    if (count > sink->capacity - sink->size) {
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (count > capacity - sink->size) {
            if (capacity > SIZE_MAX / 2) {
                sink->out_of_memory = 1;
                png_error(png, "PNG larger than the address space");
            }
            capacity *= 2;
        }
        uint8_t *grown = realloc(sink->data, capacity);
        if (!grown) {
            sink->out_of_memory = 1;
            png_error(png, "out of memory growing the PNG buffer");
        }
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, count);
    sink->size += count;
}

static void flush_nothing(png_structp png) { (void)png; }

ckpt_img_status ckpt_png_encode_gray8(const uint8_t *pixels, uint32_t width, uint32_t height, int compression_level,
                                      uint8_t **out, size_t *out_size, char *message, size_t message_capacity) {
    png_sink sink = {NULL, 0, 0, 0};
    const ckpt_png_message out_message = {message, message_capacity};
    png_structp png;
    png_infop info;

    *out = NULL;
    *out_size = 0;
    ckpt_png_set_message(&out_message, "");
    if (width == 0 || height == 0) {
        ckpt_png_set_message(&out_message, "an image with no pixels has no PNG");
        return CKPT_IMG_UNSUPPORTED;
    }

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, (png_voidp)&out_message, ckpt_png_on_error,
                                  ckpt_png_on_warning);
    if (!png) return CKPT_IMG_NO_MEMORY;
    info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return CKPT_IMG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        ckpt_img_status status = sink.out_of_memory ? CKPT_IMG_NO_MEMORY : CKPT_IMG_CORRUPT;
        free(sink.data);
        png_destroy_write_struct(&png, &info);
        return status;
    }
    png_set_write_fn(png, &sink, write_bytes, flush_nothing);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++) {
        // libpng takes a non-const row pointer but only reads it when writing.
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = sink.data;
    *out_size = sink.size;
    return CKPT_IMG_OK;
}
