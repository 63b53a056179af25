/* The forward pass's matrix products alone: every cblas_sgemm a ViT forward needs (patch embedding, and per
 * block qkv, per-head QK^T and AV over all tokens, proj, FFN), as whole-matrix calls threaded by OpenBLAS
 * itself, on dummy data. ckpt's forward makes the same products split into row and query blocks on its own
 * workers (Sources/CkptForward/ViTForward.swift); this is what the products cost when nothing else
 * (LayerNorm, softmax, GELU, residuals, work splitting) does: the practical floor for `ckpt embed`.
 *
 *   cc -O2 vit_gemms.c -o vit_gemms -lopenblas
 *   ./vit_gemms WIDTH DEPTH HEADS FFN_HIDDEN SWIGLU(0|1) GRID BATCH   -> one JSON line
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

char *openblas_get_corename(void);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Pseudo-random values uniform in [-0.5, 0.5) · scale (xorshift64*); weights use scale sqrt(12 / fan_in), so
 * unit-variance activations (scale sqrt(12)) stay near unit variance through the blocks: no overflow, no denormals. */
static unsigned long long state = 0x9e3779b97f4a7c15ull;
static float *buffer(size_t n, float scale) {
    float *p = malloc(sizeof(float) * n);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    for (size_t i = 0; i < n; i++) {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
        p[i] = ((float)((state * 0x2545F4914F6CDD1Dull) >> 40) / 16777216.0f - 0.5f) * scale;
    }
    return p;
}

static double flops = 0, attn_flops = 0, attn_s = 0;

static void linear(const float *x, int m, int k, const float *w, int n, float *y) { /* y = x w^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, x, k, w, k, 0, y, n);
    flops += 2.0 * m * n * k;
}

int main(int argc, char **argv) {
    if (argc != 8) { fprintf(stderr, "usage: %s WIDTH DEPTH HEADS FFN_HIDDEN SWIGLU GRID BATCH\n", argv[0]); return 64; }
    int d = atoi(argv[1]), depth = atoi(argv[2]), heads = atoi(argv[3]), hidden = atoi(argv[4]);
    int swiglu = atoi(argv[5]), grid = atoi(argv[6]), batch = atoi(argv[7]);
    int p = 14, n = grid * grid, t = 1 + n, bt = batch * t, hd = d / heads;
    int up = swiglu ? 2 * hidden : hidden;
#define W(k) ((float)__builtin_sqrt(12.0 / (k)))
    float *x = buffer((size_t)bt * d, W(1)), *qkv = buffer((size_t)bt * 3 * d, W(1)), *ctx = buffer((size_t)bt * d, W(1));
    float *h = buffer((size_t)bt * up, W(1)), *scores = buffer((size_t)t * t, W(1)), *cols = buffer((size_t)n * 3 * p * p, W(1));
    float *sink = buffer((size_t)bt * d, 0); /* proj and fc2 write here, so x keeps unit variance: no feedback */
    float *wqkv = buffer((size_t)3 * d * d, W(d)), *wproj = buffer((size_t)d * d, W(d)), *w1 = buffer((size_t)up * d, W(d));
    float *w2 = buffer((size_t)d * hidden, W(hidden)), *wpatch = buffer((size_t)d * 3 * p * p, W(3 * p * p));
    float scale = 1.0f / (float)__builtin_sqrt(hd), av = 1.0f / (float)__builtin_sqrt(t); /* keep values near 1 */
    double start = now();
    for (int b = 0; b < batch; b++) linear(cols, n, 3 * p * p, wpatch, d, x + (size_t)b * t * d + d);
    for (int l = 0; l < depth; l++) {
        linear(x, bt, d, wqkv, 3 * d, qkv);
        double a0 = now();
        for (int b = 0; b < batch; b++) {
            float *base = qkv + (size_t)b * t * 3 * d;
            for (int head = 0; head < heads; head++) {
                float *q = base + head * hd;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, hd, scale, q, 3 * d, q + d, 3 * d, 0, scores, t);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, hd, t, av, scores, t, q + 2 * d, 3 * d, 0,
                            ctx + (size_t)b * t * d + head * hd, d);
                flops += 4.0 * t * t * hd;
                attn_flops += 4.0 * t * t * hd;
            }
        }
        attn_s += now() - a0;
        linear(ctx, bt, d, wproj, d, sink);
        linear(x, bt, d, w1, up, h);
        linear(h, bt, hidden, w2, d, sink);
    }
    double s = now() - start;
    printf("{\"kernel\": \"%s\", \"gemm_s\": %.6f, \"gemm_gflop\": %.3f, \"gemm_gflops\": %.2f, "
           "\"attention_gemm_s\": %.6f, \"attention_gemm_gflops\": %.2f, \"linear_gemm_gflops\": %.2f, \"checksum\": %.6g}\n",
           openblas_get_corename(), s, flops * 1e-9, flops * 1e-9 / s, attn_s, attn_flops * 1e-9 / attn_s,
           (flops - attn_flops) * 1e-9 / (s - attn_s), (double)sink[0] + ctx[1]);
    return 0;
}
