#include "ckpt_dicom_codecs.h"
#include <charls/charls.h>
#include <stdio.h>
#include <stdlib.h>

static ckpt_dcm_status charls_failure(charls_jpegls_errc rc, char *message, size_t capacity) {
    snprintf(message, capacity, "%s", charls_get_error_message(rc));
    return rc == CHARLS_JPEGLS_ERRC_NOT_ENOUGH_MEMORY ? CKPT_DCM_NO_MEMORY : CKPT_DCM_CORRUPT;
}

ckpt_dcm_status ckpt_dcm_jpegls_decode(const uint8_t *data, size_t size, uint32_t expected_width,
                                       uint32_t expected_height, int max_bits, ckpt_dcm_frame_info *info,
                                       uint16_t **samples, char *message, size_t message_capacity) {
    *samples = NULL;
    if (message_capacity) message[0] = 0;
    charls_jpegls_decoder *decoder = charls_jpegls_decoder_create();
    if (!decoder) return CKPT_DCM_NO_MEMORY;
    ckpt_dcm_status status = CKPT_DCM_OK;
    charls_jpegls_errc rc = charls_jpegls_decoder_set_source_buffer(decoder, data, size);
    if (rc == CHARLS_JPEGLS_ERRC_SUCCESS) rc = charls_jpegls_decoder_read_header(decoder);
    charls_frame_info frame = {0};
    if (rc == CHARLS_JPEGLS_ERRC_SUCCESS) rc = charls_jpegls_decoder_get_frame_info(decoder, &frame);
    if (rc != CHARLS_JPEGLS_ERRC_SUCCESS) {
        status = charls_failure(rc, message, message_capacity);
        goto done;
    }
    info->width = frame.width;
    info->height = frame.height;
    info->components = frame.component_count;
    info->bits = frame.bits_per_sample;
    info->is_signed = 0;
    // Checked before the decoder allocates anything for the pixels: a header claiming a huge image
    // ends here.
    if (frame.width != expected_width || frame.height != expected_height || frame.component_count != 1 ||
        frame.bits_per_sample < 2 || frame.bits_per_sample > max_bits) {
        snprintf(message, message_capacity, "the JPEG-LS frame is %u x %u, %d component(s) of %d bits",
                 frame.width, frame.height, frame.component_count, frame.bits_per_sample);
        status = CKPT_DCM_MISMATCH;
        goto done;
    }
    size_t count = (size_t)frame.width * frame.height;
    size_t bytes_per_sample = frame.bits_per_sample > 8 ? 2 : 1;
    void *buffer = malloc(count * bytes_per_sample);
    uint16_t *out = malloc(count * sizeof(uint16_t));
    if (!buffer || !out) {
        free(buffer);
        free(out);
        status = CKPT_DCM_NO_MEMORY;
        goto done;
    }
    rc = charls_jpegls_decoder_decode_to_buffer(decoder, buffer, count * bytes_per_sample, 0);
    if (rc != CHARLS_JPEGLS_ERRC_SUCCESS) {
        free(buffer);
        free(out);
        status = charls_failure(rc, message, message_capacity);
        goto done;
    }
    if (bytes_per_sample == 1) {
        for (size_t i = 0; i < count; i++) out[i] = ((uint8_t *)buffer)[i];
    } else {
        for (size_t i = 0; i < count; i++) out[i] = ((uint16_t *)buffer)[i];
    }
    free(buffer);
    *samples = out;
done:
    charls_jpegls_decoder_destroy(decoder);
    return status;
}
