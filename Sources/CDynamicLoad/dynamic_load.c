#include "ckpt_dynamic_load.h"
#include <dlfcn.h>
#include <stdio.h>

int ckpt_dlopen_symbols(const char *what, const char *hint, const char *const *names, size_t name_count,
                        const char *const *symbols, void **found, size_t symbol_count,
                        char *failure, size_t failure_size) {
    void *lib = NULL;
    for (size_t i = 0; i < name_count && !lib; i++) {
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!lib && i == 0) {  // the first name's error is the one a user can act on
            const char *e = dlerror();
            snprintf(failure, failure_size, "%s (%s) could not be loaded: %s", what, hint, e ? e : "not found");
        }
    }
    if (!lib) return 0;
    for (size_t i = 0; i < symbol_count; i++) {
        found[i] = dlsym(lib, symbols[i]);
        if (!found[i]) {
            snprintf(failure, failure_size, "%s was loaded but has no %s", what, symbols[i]);
            return 0;
        }
    }
    return 1;
}
