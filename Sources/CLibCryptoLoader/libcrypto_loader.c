#include "libcrypto_loader.h"
#define OPENSSL_SUPPRESS_DEPRECATED  // see CLibCrypto/shim.h: the one-shot SHA-256 calls on purpose
#include <openssl/sha.h>  // CLibCrypto's headers: the prototypes the resolved symbols must have
#include <ckpt_dynamic_load.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(ckpt_sha256_ctx), "ckpt_sha256_ctx must hold a SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(ckpt_sha256_ctx), "ckpt_sha256_ctx must be aligned for a SHA256_CTX");

static __typeof__(&SHA256_Init) init;
static __typeof__(&SHA256_Update) update;
static __typeof__(&SHA256_Final) final;
static char failure[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    static const char *const names[] = {"libcrypto.so.3", "libcrypto.so", "libcrypto.dylib"};
    static const char *const needed[] = {"SHA256_Init", "SHA256_Update", "SHA256_Final"};
    void *found[3];
    if (!ckpt_dlopen_symbols("OpenSSL's libcrypto", "libcrypto.so.3, Debian package libssl3", names, 3, needed, found, 3,
                             failure, sizeof failure)) return;
    update = (__typeof__(update))found[1];
    final = (__typeof__(final))found[2];
    __atomic_store_n(&init, (__typeof__(init))found[0], __ATOMIC_RELEASE);
}

const char *ckpt_libcrypto_load(void) {
    if (__atomic_load_n(&init, __ATOMIC_ACQUIRE)) return NULL;
    pthread_once(&once, load);
    return __atomic_load_n(&init, __ATOMIC_ACQUIRE) ? NULL : failure;
}

static void require(void) {
    const char *e = ckpt_libcrypto_load();
    if (e) {
        fprintf(stderr, "ckpt: %s\n", e);
        abort();
    }
}

void ckpt_sha256_init(ckpt_sha256_ctx *ctx) {
    require();
    init((SHA256_CTX *)ctx);
}

void ckpt_sha256_update(ckpt_sha256_ctx *ctx, const void *data, size_t count) {
    update((SHA256_CTX *)ctx, data, count);
}

void ckpt_sha256_final(ckpt_sha256_ctx *ctx, unsigned char digest[32]) {
    final(digest, (SHA256_CTX *)ctx);
}
