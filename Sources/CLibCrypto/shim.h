#ifndef CKPT_CLIBCRYPTO_SHIM_H
#define CKPT_CLIBCRYPTO_SHIM_H
// Headers only: libcrypto itself is dlopen'ed on first use by CLibCryptoLoader.
//
// OpenSSL 3 marks SHA256_Init/Update/Final deprecated in favour of EVP. ckpt uses them on purpose:
// they are the same assembly (SHA-NI where the CPU has it) that the EVP default provider calls,
// without EVP's provider and openssl.cnf loading (about 1 ms on first use) or a heap context.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#endif
