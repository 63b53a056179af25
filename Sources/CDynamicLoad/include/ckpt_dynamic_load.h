#ifndef CKPT_DYNAMIC_LOAD_H
#define CKPT_DYNAMIC_LOAD_H
#include <stddef.h>

/// Opens the first of `names` that dlopen finds (RTLD_NOW | RTLD_LOCAL) and resolves every one of
/// `symbols` into `found`. Returns 1 on success. Otherwise returns 0 and writes into `failure` the
/// message a user can act on: "<what> (<hint>) could not be loaded: <dlerror of the first name>" or
/// "<what> was loaded but has no <symbol>". The library stays loaded for the life of the process.
int ckpt_dlopen_symbols(const char *what, const char *hint, const char *const *names, size_t name_count,
                        const char *const *symbols, void **found, size_t symbol_count,
                        char *failure, size_t failure_size);

#endif
