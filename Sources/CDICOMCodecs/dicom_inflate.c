#include "ckpt_dicom_codecs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void ckpt_dcm_free(void *pointer) { free(pointer); }

ckpt_dcm_status ckpt_dcm_inflate(const uint8_t *data, size_t size, size_t limit, uint8_t **out, size_t *out_size,
                                 char *message, size_t message_capacity) {
    *out = NULL;
    *out_size = 0;
    if (message_capacity) message[0] = 0;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        snprintf(message, message_capacity, "zlib could not start");
        return CKPT_DCM_NO_MEMORY;
    }
    size_t capacity = size < (1u << 20) ? (1u << 20) : size * 4;
    if (capacity > limit) capacity = limit;
    if (capacity == 0) capacity = 1;
    uint8_t *buffer = malloc(capacity);
    if (!buffer) { inflateEnd(&zs); return CKPT_DCM_NO_MEMORY; }
    size_t done = 0, consumed = 0;
    ckpt_dcm_status status = CKPT_DCM_OK;
    for (;;) {
        if (done == capacity) {
            if (capacity >= limit) { status = CKPT_DCM_TOO_LARGE; break; }
            size_t next = capacity > limit / 2 ? limit : capacity * 2;
            uint8_t *grown = realloc(buffer, next);
            if (!grown) { status = CKPT_DCM_NO_MEMORY; break; }
            buffer = grown;
            capacity = next;
        }
        // zlib's counts are 32-bit: feed and drain in chunks.
        size_t in_chunk = size - consumed > (1u << 30) ? (1u << 30) : size - consumed;
        size_t out_chunk = capacity - done > (1u << 30) ? (1u << 30) : capacity - done;
        zs.next_in = (Bytef *)(data + consumed);
        zs.avail_in = (uInt)in_chunk;
        zs.next_out = buffer + done;
        zs.avail_out = (uInt)out_chunk;
        int rc = inflate(&zs, Z_NO_FLUSH);
        consumed += in_chunk - zs.avail_in;
        done += out_chunk - zs.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && consumed == size && zs.avail_out != 0) {
            snprintf(message, message_capacity, "the deflated data ends before its last block");
            status = CKPT_DCM_CORRUPT;
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(message, message_capacity, "%s", zs.msg ? zs.msg : "invalid deflate data");
            status = rc == Z_MEM_ERROR ? CKPT_DCM_NO_MEMORY : CKPT_DCM_CORRUPT;
            break;
        }
    }
    inflateEnd(&zs);
    if (status != CKPT_DCM_OK) {
        free(buffer);
        return status;
    }
    *out = buffer;
    *out_size = done;
    return CKPT_DCM_OK;
}
