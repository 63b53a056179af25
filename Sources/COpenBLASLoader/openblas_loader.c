#include "openblas_loader.h"
#include <cblas.h>  // COpenBLAS's headers: the prototypes the resolved symbols must have
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static __typeof__(&cblas_sgemm) sgemm;
static __typeof__(&openblas_set_num_threads) set_num_threads;
static __typeof__(&openblas_get_corename) get_corename;
static char failure[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    static const char *const names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"};
    void *lib = NULL;
    const char *why = "not found";
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !lib; i++) {
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!lib && i == 0) {  // the first name's error is the one a user can act on
            const char *e = dlerror();
            snprintf(failure, sizeof failure, "OpenBLAS (libopenblas.so.0) could not be loaded: %s", e ? e : why);
        }
    }
    if (!lib) return;
    const char *names_needed[] = {"cblas_sgemm", "openblas_set_num_threads", "openblas_get_corename"};
    void *found[3];
    for (int i = 0; i < 3; i++) {
        found[i] = dlsym(lib, names_needed[i]);
        if (!found[i]) {
            snprintf(failure, sizeof failure, "OpenBLAS was loaded but has no %s", names_needed[i]);
            return;
        }
    }
    set_num_threads = (__typeof__(set_num_threads))found[1];
    get_corename = (__typeof__(get_corename))found[2];
    __atomic_store_n(&sgemm, (__typeof__(sgemm))found[0], __ATOMIC_RELEASE);
}

const char *ckpt_openblas_load(void) {
    pthread_once(&once, load);
    return __atomic_load_n(&sgemm, __ATOMIC_ACQUIRE) ? NULL : failure;
}

void ckpt_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc) {
    __typeof__(sgemm) f = __atomic_load_n(&sgemm, __ATOMIC_ACQUIRE);
    if (!f) {
        const char *e = ckpt_openblas_load();
        if (e) { fprintf(stderr, "ckpt: %s\n", e); abort(); }
        f = sgemm;
    }
    f(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
      m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void ckpt_openblas_set_num_threads(int threads) {
    if (ckpt_openblas_load() == NULL) set_num_threads(threads);
}

const char *ckpt_openblas_corename(void) {
    return ckpt_openblas_load() == NULL ? get_corename() : "not loaded";
}
