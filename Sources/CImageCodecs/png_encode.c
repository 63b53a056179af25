// libpng's writer behind the same setjmp boundary as the decoder: errors become a status and a message.
#include "ckpt_image_codecs.h"

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
    char *message;
    size_t message_capacity;
} png_sink;

static void sink_message(png_sink *sink, const char *text) {
    if (sink->message_capacity == 0) return;
    snprintf(sink->message, sink->message_capacity, "%s", text ? text : "");
}

static void on_write_error(png_structp png, png_const_charp text) {
    sink_message((png_sink *)png_get_error_ptr(png), text);
    png_longjmp(png, 1);
}

static void on_write_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

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
    png_sink sink = {NULL, 0, 0, 0, message, message_capacity};
    png_structp png;
    png_infop info;

    *out = NULL;
    *out_size = 0;
    sink_message(&sink, "");
    if (width == 0 || height == 0) {
        sink_message(&sink, "an image with no pixels has no PNG");
        return CKPT_IMG_UNSUPPORTED;
    }

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_write_error, on_write_warning);
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
