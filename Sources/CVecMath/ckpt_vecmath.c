#include "ckpt_vecmath.h"
#include "vecmath_internal.h"
#include <math.h>
#include <pthread.h>

// ---- scalar path (every platform) -------------------------------------------------------------

static float exp_row_scalar(float *x, size_t n) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    float sum = 0;
    for (size_t i = 0; i < n; i++) { x[i] = expf(x[i] - m); sum += x[i]; }
    return sum;
}

static void gelu_scalar(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

static void silu_mul_scalar(const float *a, const float *b, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] / (1.0f + expf(-a[i])) * b[i];
}

long ckpt_claim_next(long *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

// ---- AVX2 + libmvec path ----------------------------------------------------------------------

#if defined(__x86_64__) && defined(__linux__)
#include <dlfcn.h>
#include <immintrin.h>

// libmvec's AVX2 variants take and return eight floats in a ymm register (the x86-64 vector
// function ABI); every call site below is compiled for AVX2 so the argument travels in ymm0.
typedef __m256 (*vec8_fn)(__m256);
static vec8_fn vexp8, verf8;
static ckpt_vec16_fn vexp16;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void resolve(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    void *lib = dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    vec8_fn e = (vec8_fn)dlsym(lib, "_ZGVdN8v_expf"), f = (vec8_fn)dlsym(lib, "_ZGVdN8v_erff");
    if (!e || !f) return;  // both or neither: one path per process
    vexp8 = e; verf8 = f;
    // __builtin_cpu_supports reports AVX-512F only when the OS saves the zmm registers (XCR0).
    if (__builtin_cpu_supports("avx512f")) vexp16 = (ckpt_vec16_fn)dlsym(lib, "_ZGVeN16v_expf");
}

static int ceiling = CKPT_VECMATH_BEST;

static int vector_path(void) {
    pthread_once(&resolved, resolve);
    return vexp8 != NULL && __atomic_load_n(&ceiling, __ATOMIC_RELAXED) != CKPT_VECMATH_SCALAR;
}

void ckpt_vecmath_set_ceiling(ckpt_vecmath_ceiling c) { __atomic_store_n(&ceiling, (int)c, __ATOMIC_RELAXED); }

ckpt_vec8_fn ckpt_vecmath_exp8(void) { return vector_path() ? vexp8 : NULL; }

ckpt_vec16_fn ckpt_vecmath_exp16(void) {
    return vector_path() && __atomic_load_n(&ceiling, __ATOMIC_RELAXED) == CKPT_VECMATH_BEST ? vexp16 : NULL;
}

#define AVX2 __attribute__((target("avx2,fma")))

// The last n % 8 values go through the same vector function via a padded copy, so a row's
// values never depend on where the row starts.
AVX2 static inline __m256 load_tail(const float *x, size_t k, float pad) {
    float t[8];
    for (size_t i = 0; i < 8; i++) t[i] = i < k ? x[i] : pad;
    return _mm256_loadu_ps(t);
}

AVX2 static inline void store_tail(float *x, size_t k, __m256 v) {
    float t[8];
    _mm256_storeu_ps(t, v);
    for (size_t i = 0; i < k; i++) x[i] = t[i];
}

AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Returns the row's sum; the values become exp(x − max). max_ps drops a NaN lane, but exp(NaN − m)
// is NaN, so the sum and with it the whole row still come out NaN, as torch's softmax does.
AVX2 static float exp_row_avx2(float *x, size_t n) {
    size_t full = n & ~(size_t)7, k = n - full;
    __m256 vm = _mm256_set1_ps(-INFINITY);
    for (size_t i = 0; i < full; i += 8) vm = _mm256_max_ps(_mm256_loadu_ps(x + i), vm);
    float lanes[8], m = -INFINITY;
    _mm256_storeu_ps(lanes, vm);
    for (size_t i = 0; i < 8; i++) m = lanes[i] > m ? lanes[i] : m;
    for (size_t i = full; i < n; i++) m = x[i] > m ? x[i] : m;
    vm = _mm256_set1_ps(m);
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < full; i += 8) {
        __m256 e = vexp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float sum = hsum(acc);
    if (k) {
        // Padding with m gives exp(0) = 1 in the unused lanes; they are neither stored nor summed.
        float t[8];
        _mm256_storeu_ps(t, vexp8(_mm256_sub_ps(load_tail(x + full, k, m), vm)));
        for (size_t i = 0; i < k; i++) { x[full + i] = t[i]; sum += t[i]; }
    }
    return sum;
}

AVX2 static inline __m256 gelu8(__m256 v) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), r2 = _mm256_set1_ps((float)M_SQRT1_2);
    __m256 e = verf8(_mm256_mul_ps(v, r2));
    return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, e));
}

AVX2 static void gelu_avx2(float *x, size_t n) {
    size_t full = n & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) _mm256_storeu_ps(x + i, gelu8(_mm256_loadu_ps(x + i)));
    if (n > full) store_tail(x + full, n - full, gelu8(load_tail(x + full, n - full, 0)));
}

AVX2 static inline __m256 silu_mul8(__m256 a, __m256 b) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = vexp8(_mm256_sub_ps(_mm256_setzero_ps(), a));
    return _mm256_mul_ps(_mm256_div_ps(a, _mm256_add_ps(one, e)), b);
}

AVX2 static void silu_mul_avx2(const float *a, const float *b, float *out, size_t n) {
    size_t full = n & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8)
        _mm256_storeu_ps(out + i, silu_mul8(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    if (n > full) {
        size_t k = n - full;
        store_tail(out + full, k, silu_mul8(load_tail(a + full, k, 0), load_tail(b + full, k, 0)));
    }
}
#else
static int vector_path(void) { return 0; }
void ckpt_vecmath_set_ceiling(ckpt_vecmath_ceiling c) { (void)c; }
#endif

// ---- entry points -----------------------------------------------------------------------------

void ckpt_softmax_numerators(float *x, size_t rows, size_t n, size_t stride, float *inverse_sums) {
    int vec = vector_path();
    for (size_t r = 0; r < rows; r++) {
        float sum;
#if defined(__x86_64__) && defined(__linux__)
        if (vec) sum = exp_row_avx2(x + r * stride, n); else
#endif
        sum = exp_row_scalar(x + r * stride, n);
        inverse_sums[r] = 1.0f / sum;
    }
    (void)vec;
}

void ckpt_gelu(float *x, size_t n) {
#if defined(__x86_64__) && defined(__linux__)
    if (vector_path()) { gelu_avx2(x, n); return; }
#endif
    gelu_scalar(x, n);
}

void ckpt_silu_mul(const float *a, const float *b, float *out, size_t n) {
#if defined(__x86_64__) && defined(__linux__)
    if (vector_path()) { silu_mul_avx2(a, b, out, n); return; }
#endif
    silu_mul_scalar(a, b, out, n);
}

const char *ckpt_vecmath_path(void) { return vector_path() ? "avx2+libmvec" : "scalar libm"; }
