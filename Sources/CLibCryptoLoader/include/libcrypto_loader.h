#ifndef CKPT_LIBCRYPTO_LOADER_H
#define CKPT_LIBCRYPTO_LOADER_H

#include <stddef.h>

/// SHA-256 from OpenSSL's libcrypto, loaded with dlopen on first use rather than linked: binding
/// libcrypto's 4,000 symbol relocations at load time cost every command about 2.5 M instructions of
/// start-up (a quarter of `ckpt --version`), including those that hash nothing.
///
/// Tries libcrypto.so.3, then libcrypto.so, and resolves SHA256_Init, SHA256_Update, SHA256_Final.

/// The SHA-256 state: room for OpenSSL's SHA256_CTX (28 unsigned ints), opaque here.
typedef struct { unsigned int words[28]; } ckpt_sha256_ctx;

/// Loads libcrypto once per process (thread-safe). Returns NULL when SHA-256 is usable, else a
/// message naming the library and what failed (dlerror's text or the missing symbol).
const char *ckpt_libcrypto_load(void);

/// SHA256_Init / SHA256_Update / SHA256_Final. Call ckpt_libcrypto_load first: without a loaded
/// library these print the load error and abort.
void ckpt_sha256_init(ckpt_sha256_ctx *ctx);
void ckpt_sha256_update(ckpt_sha256_ctx *ctx, const void *data, size_t count);
void ckpt_sha256_final(ckpt_sha256_ctx *ctx, unsigned char digest[32]);

#endif
