#include "png_messages.h"

#include <stdio.h>

void ckpt_png_set_message(const ckpt_png_message *message, const char *text) {
    if (message->capacity == 0) return;
    snprintf(message->text, message->capacity, "%s", text ? text : "");
}

void ckpt_png_on_error(png_structp png, png_const_charp text) {
    ckpt_png_set_message((const ckpt_png_message *)png_get_error_ptr(png), text);
    png_longjmp(png, 1);
}

// Warnings (e.g. a bad iCCP profile) are not failures for PIL either; they are dropped, never printed.
void ckpt_png_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}
