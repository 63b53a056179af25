// libjpeg(-turbo) behind a setjmp boundary that never reaches Swift. Messages go to the caller's buffer.
#include "ckpt_image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    int hit_end_of_data;
    char *message;
    size_t message_capacity;
} jpeg_errors;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_errors *errors = (jpeg_errors *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    if (errors->message_capacity) snprintf(errors->message, errors->message_capacity, "%s", text);
    longjmp(errors->jump, 1);
}

// Pillow silences libjpeg's messages too; the one warning that matters is the premature end of data,
// which Pillow reports as a truncated file.
static void on_emit_message(j_common_ptr cinfo, int level) {
    jpeg_errors *errors = (jpeg_errors *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        errors->hit_end_of_data = 1;
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        if (errors->message_capacity) snprintf(errors->message, errors->message_capacity, "%s", text);
    }
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

struct ckpt_jpeg_reader {
    struct jpeg_decompress_struct cinfo;
    jpeg_errors errors;
    int created;
    size_t row_bytes;
};

void ckpt_jpeg_close(ckpt_jpeg_reader *reader) {
    if (!reader) return;
    if (reader->created) jpeg_destroy_decompress(&reader->cinfo);
    free(reader);
}

// What a longjmp out of libjpeg means: `early` when this file set it, otherwise a corrupt or truncated file.
static ckpt_img_status failure(const ckpt_jpeg_reader *reader, ckpt_img_status early) {
    if (early != CKPT_IMG_OK) return early;
    return reader->errors.hit_end_of_data ? CKPT_IMG_TRUNCATED : CKPT_IMG_CORRUPT;
}

ckpt_img_status ckpt_jpeg_open(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_jpeg_header *header,
                               ckpt_jpeg_reader **out, char *message, size_t message_capacity) {
    // volatile: read after a longjmp back into this frame.
    volatile ckpt_img_status early = CKPT_IMG_OK;
    ckpt_jpeg_reader *reader;

    *out = NULL;
    memset(header, 0, sizeof *header);
    if (message_capacity) message[0] = 0;
    reader = calloc(1, sizeof *reader);
    if (!reader) return CKPT_IMG_NO_MEMORY;
    struct jpeg_decompress_struct *cinfo = &reader->cinfo;
    jpeg_errors *errors = &reader->errors;
    cinfo->err = jpeg_std_error(&errors->manager);
    errors->manager.error_exit = on_error_exit;
    errors->manager.emit_message = on_emit_message;
    errors->manager.output_message = on_output_message;
    errors->message = message;
    errors->message_capacity = message_capacity;

    if (setjmp(errors->jump)) {
        ckpt_img_status status = failure(reader, early);
        ckpt_jpeg_close(reader);
        return status;
    }

    jpeg_create_decompress(cinfo);
    reader->created = 1;
    jpeg_mem_src(cinfo, (unsigned char *)data, (unsigned long)size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 14, 0);  // only to learn whether an Adobe marker exists
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK) {
        early = CKPT_IMG_CORRUPT;
        snprintf(message, message_capacity, "no image in the JPEG data");
        longjmp(errors->jump, 1);
    }
    header->width = cinfo->image_width;
    header->height = cinfo->image_height;
    header->components = cinfo->num_components;
    header->jpeg_color_space = cinfo->jpeg_color_space;
    header->progressive = cinfo->progressive_mode ? 1 : 0;
    header->saw_adobe_marker = cinfo->saw_Adobe_marker ? 1 : 0;

    if ((uint64_t)cinfo->image_width * (uint64_t)cinfo->image_height > max_pixels) {
        early = CKPT_IMG_TOO_MANY_PIXELS;
        snprintf(message, message_capacity, "%u x %u = %llu pixels", (unsigned)cinfo->image_width,
                 (unsigned)cinfo->image_height,
                 (unsigned long long)cinfo->image_width * (unsigned long long)cinfo->image_height);
        longjmp(errors->jump, 1);
    }
    if (cinfo->data_precision != 8) {
        early = CKPT_IMG_UNSUPPORTED;
        snprintf(message, message_capacity, "%d-bit samples (PIL reads 8-bit JPEG only)", cinfo->data_precision);
        longjmp(errors->jump, 1);
    }
    // The output colour spaces Pillow asks for: L for 1 component, RGB for 3, CMYK for 4.
    switch (cinfo->num_components) {
    case 1: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo->out_color_space = JCS_RGB; break;
    case 4: cinfo->out_color_space = JCS_CMYK; break;
    default:
        early = CKPT_IMG_UNSUPPORTED;
        snprintf(message, message_capacity, "%d components (PIL reads 1, 3 or 4)", cinfo->num_components);
        longjmp(errors->jump, 1);
    }

    jpeg_start_decompress(cinfo);
    if (errors->hit_end_of_data) longjmp(errors->jump, 1);
    header->channels = cinfo->output_components;
    reader->row_bytes = (size_t)cinfo->output_width * (size_t)cinfo->output_components;
    header->row_bytes = reader->row_bytes;
    header->buffer_bytes = reader->row_bytes * (size_t)cinfo->output_height;
    *out = reader;
    return CKPT_IMG_OK;
}

ckpt_img_status ckpt_jpeg_read(ckpt_jpeg_reader *reader, uint8_t *pixels, size_t capacity, char *message,
                               size_t message_capacity) {
    struct jpeg_decompress_struct *cinfo = &reader->cinfo;
    jpeg_errors *errors = &reader->errors;
    errors->message = message;
    errors->message_capacity = message_capacity;
    if (message_capacity) message[0] = 0;
    if (capacity < reader->row_bytes * (size_t)cinfo->output_height) {
        snprintf(message, message_capacity, "the pixel buffer is smaller than the image");
        return CKPT_IMG_NO_MEMORY;
    }
    if (setjmp(errors->jump)) return failure(reader, CKPT_IMG_OK);
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = pixels + (size_t)cinfo->output_scanline * reader->row_bytes;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1) break;
        if (errors->hit_end_of_data) longjmp(errors->jump, 1);
    }
    if (errors->hit_end_of_data || cinfo->output_scanline < cinfo->output_height) {
        errors->hit_end_of_data = 1;
        longjmp(errors->jump, 1);
    }
    jpeg_abort_decompress(cinfo);
    return CKPT_IMG_OK;
}

ckpt_img_status ckpt_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, ckpt_jpeg_header *header,
                                 uint8_t **pixels, char *message, size_t message_capacity) {
    ckpt_jpeg_reader *reader = NULL;
    *pixels = NULL;
    ckpt_img_status status = ckpt_jpeg_open(data, size, max_pixels, header, &reader, message, message_capacity);
    if (status != CKPT_IMG_OK) return status;
    uint8_t *buffer = malloc(header->buffer_bytes ? header->buffer_bytes : 1);
    if (!buffer) {
        snprintf(message, message_capacity, "cannot allocate the pixel buffer");
        status = CKPT_IMG_NO_MEMORY;
    } else {
        status = ckpt_jpeg_read(reader, buffer, header->buffer_bytes, message, message_capacity);
    }
    ckpt_jpeg_close(reader);
    if (status != CKPT_IMG_OK) free(buffer);
    else *pixels = buffer;
    return status;
}
