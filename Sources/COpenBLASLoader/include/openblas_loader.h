#ifndef CKPT_OPENBLAS_LOADER_H
#define CKPT_OPENBLAS_LOADER_H

/// OpenBLAS, loaded with dlopen on first use rather than linked: loading it starts its thread
/// pool and maps its buffers, which every command would otherwise pay at start-up, including
/// those that do no linear algebra (inspect, verify, convert).
///
/// Tries libopenblas.so.0, then libopenblas.so (then libopenblas.dylib), and resolves
/// cblas_sgemm, openblas_set_num_threads and openblas_get_corename.

/// Loads OpenBLAS once per process (thread-safe). Returns NULL when it is usable, else a message
/// naming the library and what failed (dlerror's text or the missing symbol).
const char *ckpt_openblas_load(void);

/// Row-major C[m, n] = alpha · op(A) · op(B) + beta · C through cblas_sgemm; op is the transpose
/// when trans_* is nonzero. Call ckpt_openblas_load first: without a loaded library this prints
/// the load error and aborts.
void ckpt_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc);

/// openblas_set_num_threads, once loaded (otherwise does nothing).
void ckpt_openblas_set_num_threads(int threads);

/// openblas_get_corename ("Haswell", "Zen", …), or "not loaded".
const char *ckpt_openblas_corename(void);

#endif
