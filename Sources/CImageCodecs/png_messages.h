// libpng's error and warning callbacks, shared by the decoder and the encoder. The error pointer handed to
// png_create_{read,write}_struct is the caller's message buffer: an error copies libpng's text into it and
// longjmps back to the setjmp in the caller's frame; warnings are not failures and are dropped.
#ifndef CKPT_PNG_MESSAGES_H
#define CKPT_PNG_MESSAGES_H

#include <png.h>
#include <stddef.h>

typedef struct {
    char *text;
    size_t capacity;
} ckpt_png_message;

// Copies `text` (NULL: empty) into the buffer, truncated to its capacity; nothing when it has none.
void ckpt_png_set_message(const ckpt_png_message *message, const char *text);
void ckpt_png_on_error(png_structp png, png_const_charp text);
void ckpt_png_on_warning(png_structp png, png_const_charp text);

#endif
