#include "ckpt_dicom_codecs.h"
#include <openjpeg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// A memory stream for OpenJPEG.
typedef struct {
    const uint8_t *data;
    size_t size, offset;
} memory_source;

static OPJ_SIZE_T source_read(void *buffer, OPJ_SIZE_T count, void *user) {
    memory_source *s = user;
    if (s->offset >= s->size) return (OPJ_SIZE_T)-1;
    size_t n = s->size - s->offset < count ? s->size - s->offset : count;
    memcpy(buffer, s->data + s->offset, n);
    s->offset += n;
    return n;
}

static OPJ_OFF_T source_skip(OPJ_OFF_T count, void *user) {
    memory_source *s = user;
    if (count < 0) {
        if ((size_t)(-count) > s->offset) count = -(OPJ_OFF_T)s->offset;
    } else if ((size_t)count > s->size - s->offset) {
        count = (OPJ_OFF_T)(s->size - s->offset);
    }
    s->offset += count;
    return count;
}

static OPJ_BOOL source_seek(OPJ_OFF_T position, void *user) {
    memory_source *s = user;
    if (position < 0 || (size_t)position > s->size) return OPJ_FALSE;
    s->offset = (size_t)position;
    return OPJ_TRUE;
}

/// OpenJPEG's error callback: keeps the first message (it would otherwise go nowhere).
static void keep_message(const char *text, void *user) {
    char **slot = user;
    if (slot[0] && slot[0][0] == 0) {
        size_t capacity = (size_t)(uintptr_t)slot[1];
        snprintf(slot[0], capacity, "%s", text);
        size_t n = strlen(slot[0]);
        if (n > 0 && slot[0][n - 1] == '\n') slot[0][n - 1] = 0;
    }
}

static void ignore_message(const char *text, void *user) { (void)text; (void)user; }

ckpt_dcm_status ckpt_dcm_j2k_decode(const uint8_t *data, size_t size, uint32_t expected_width,
                                    uint32_t expected_height, int max_bits, ckpt_dcm_frame_info *info,
                                    uint16_t **samples, char *message, size_t message_capacity) {
    *samples = NULL;
    if (message_capacity) message[0] = 0;
    static const uint8_t jp2_signature[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 13, 10, 0x87, 10};
    OPJ_CODEC_FORMAT format = size >= 12 && memcmp(data, jp2_signature, 12) == 0 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K;
    opj_codec_t *codec = opj_create_decompress(format);
    if (!codec) return CKPT_DCM_NO_MEMORY;
    char *slot[2] = {message, (char *)(uintptr_t)message_capacity};
    opj_set_error_handler(codec, keep_message, slot);
    opj_set_warning_handler(codec, ignore_message, NULL);
    opj_set_info_handler(codec, ignore_message, NULL);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    ckpt_dcm_status status = CKPT_DCM_OK;
    opj_image_t *image = NULL;
    memory_source source = {data, size, 0};
    opj_stream_t *stream = opj_stream_default_create(OPJ_TRUE);
    if (!stream) {
        opj_destroy_codec(codec);
        return CKPT_DCM_NO_MEMORY;
    }
    opj_stream_set_user_data(stream, &source, NULL);
    opj_stream_set_user_data_length(stream, size);
    opj_stream_set_read_function(stream, source_read);
    opj_stream_set_skip_function(stream, source_skip);
    opj_stream_set_seek_function(stream, source_seek);
    // Code-blocks decode in parallel (set between setup and header, as OpenJPEG requires); the
    // result does not depend on the thread count.
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    OPJ_BOOL ready = opj_setup_decoder(codec, &parameters);
    if (ready && opj_has_thread_support() && cpus > 1) opj_codec_set_threads(codec, cpus > 8 ? 8 : (int)cpus);
    if (!ready || !opj_read_header(stream, codec, &image) || !image) {
        if (message[0] == 0) snprintf(message, message_capacity, "unreadable JPEG 2000 header");
        status = CKPT_DCM_CORRUPT;
        goto done;
    }
    uint32_t width = image->x1 - image->x0, height = image->y1 - image->y0;
    info->width = width;
    info->height = height;
    info->components = (int)image->numcomps;
    info->bits = image->numcomps ? (int)image->comps[0].prec : 0;
    info->is_signed = image->numcomps ? (int)image->comps[0].sgnd : 0;
    // Checked before any tile is decoded: a header claiming a huge image ends here.
    if (image->x1 <= image->x0 || image->y1 <= image->y0 || width != expected_width || height != expected_height ||
        image->numcomps != 1 || info->bits < 1 || info->bits > max_bits || image->comps[0].dx != 1 ||
        image->comps[0].dy != 1) {
        snprintf(message, message_capacity, "the JPEG 2000 image is %u x %u, %u component(s) of %d bits", width,
                 height, image->numcomps, info->bits);
        status = CKPT_DCM_MISMATCH;
        goto done;
    }
    if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) {
        if (message[0] == 0) snprintf(message, message_capacity, "undecodable JPEG 2000 data");
        status = CKPT_DCM_CORRUPT;
        goto done;
    }
    opj_image_comp_t *component = &image->comps[0];
    if (!component->data || component->w != width || component->h != height) {
        snprintf(message, message_capacity, "the decoded component is %u x %u", component->w, component->h);
        status = CKPT_DCM_CORRUPT;
        goto done;
    }
    size_t count = (size_t)width * height;
    uint16_t *out = malloc(count * sizeof(uint16_t));
    if (!out) {
        status = CKPT_DCM_NO_MEMORY;
        goto done;
    }
    for (size_t i = 0; i < count; i++) out[i] = (uint16_t)(component->data[i] & 0xFFFF);
    *samples = out;
done:
    if (image) opj_image_destroy(image);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    return status;
}
