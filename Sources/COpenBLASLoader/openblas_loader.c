#include "openblas_loader.h"
#include <cblas.h>  // COpenBLAS's headers: the prototypes the resolved symbols must have
#include <ckpt_dynamic_load.h>
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
    static const char *const needed[] = {"cblas_sgemm", "openblas_set_num_threads", "openblas_get_corename"};
    void *found[3];
    if (!ckpt_dlopen_symbols("OpenBLAS", "libopenblas.so.0", names, 3, needed, found, 3, failure, sizeof failure)) return;
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
