#ifndef CKPT_DICOM_CODECS_H
#define CKPT_DICOM_CODECS_H

#include <stddef.h>
#include <stdint.h>

/// Outcome of a DICOM codec call. zlib, CharLS and OpenJPEG errors all end here: nothing is printed,
/// nothing is thrown across the boundary, and the library's message is copied into the caller's buffer.
typedef enum {
    CKPT_DCM_OK = 0,
    CKPT_DCM_CORRUPT = 1,     ///< the library refused the data; the message says why
    CKPT_DCM_TOO_LARGE = 2,   ///< the output would exceed the caller's limit (nothing that large allocated)
    CKPT_DCM_NO_MEMORY = 3,
    CKPT_DCM_MISMATCH = 4,    ///< the codestream's size, components or precision differ from the DICOM header's
} ckpt_dcm_status;

/// What a JPEG-LS or JPEG 2000 codestream says about its image.
typedef struct {
    uint32_t width, height;
    int components;
    int bits;       ///< bits per sample
    int is_signed;  ///< JPEG 2000 only: samples are signed
} ckpt_dcm_frame_info;

/// Inflates raw deflate data (RFC 1951, no zlib header), as the Deflated Explicit VR Little Endian
/// transfer syntax stores the dataset. On CKPT_DCM_OK `*out` is malloc'ed (`*out_size` bytes).
/// Refuses with CKPT_DCM_TOO_LARGE as soon as the output would pass `limit` bytes.
ckpt_dcm_status ckpt_dcm_inflate(const uint8_t *data, size_t size, size_t limit, uint8_t **out, size_t *out_size,
                                 char *message, size_t message_capacity);

/// Decodes a JPEG-LS codestream (CharLS) of one component into `width * height` 16-bit samples
/// (malloc'ed into `*samples`). The frame header is checked against `expected_width`,
/// `expected_height` and `max_bits` before anything is allocated for the pixels.
ckpt_dcm_status ckpt_dcm_jpegls_decode(const uint8_t *data, size_t size, uint32_t expected_width,
                                       uint32_t expected_height, int max_bits, ckpt_dcm_frame_info *info,
                                       uint16_t **samples, char *message, size_t message_capacity);

/// Decodes a JPEG 2000 codestream or JP2 file (OpenJPEG) of one component into `width * height`
/// 16-bit sample patterns (signed samples in two's complement). The header is checked against the
/// expected size and `max_bits` before the tiles are decoded.
ckpt_dcm_status ckpt_dcm_j2k_decode(const uint8_t *data, size_t size, uint32_t expected_width,
                                    uint32_t expected_height, int max_bits, ckpt_dcm_frame_info *info,
                                    uint16_t **samples, char *message, size_t message_capacity);

void ckpt_dcm_free(void *pointer);

#endif
