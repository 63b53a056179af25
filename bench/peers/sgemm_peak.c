/* The practical ceiling for ckpt's forward pass: cblas_sgemm GFLOP/s on this machine, through the same
 * OpenBLAS that ckpt links, with the same environment (OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE, ...).
 *
 *   cc -O2 sgemm_peak.c -o sgemm_peak -lopenblas
 *   ./sgemm_peak M N K REPS      -> one JSON line: kernel, threads, best and median GFLOP/s
 *
 * C[M,N] = A[M,K] * B[K,N]^T (row-major, B transposed, as a Linear layer computes x W^T). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s M N K REPS\n", argv[0]); return 64; }
    int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]), reps = atoi(argv[4]);
    if (m <= 0 || n <= 0 || k <= 0 || reps <= 0) { fprintf(stderr, "sizes must be positive\n"); return 64; }
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)n * k),
          *c = malloc(sizeof(float) * (size_t)m * n);
    double *t = malloc(sizeof(double) * reps);
    if (!a || !b || !c || !t) { fprintf(stderr, "out of memory\n"); return 2; }
    for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < (size_t)n * k; i++) b[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n); /* warm-up */
    for (int r = 0; r < reps; r++) {
        double s = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
        t[r] = now() - s;
    }
    qsort(t, reps, sizeof(double), cmp);
    double flop = 2.0 * m * n * k;
    printf("{\"kernel\": \"%s\", \"config\": \"%s\", \"threads\": %d, \"m\": %d, \"n\": %d, \"k\": %d, "
           "\"reps\": %d, \"best_gflops\": %.2f, \"median_gflops\": %.2f, \"checksum\": %.6g}\n",
           openblas_get_corename(), openblas_get_config(), openblas_get_num_threads(), m, n, k, reps,
           flop / t[0] * 1e-9, flop / t[reps / 2] * 1e-9, (double)c[0] + c[(size_t)m * n - 1]);
    free(a); free(b); free(c); free(t);
    return 0;
}
