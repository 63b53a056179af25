#include "ckpt_attention.h"
#include "vecmath_internal.h"
#include <math.h>
#include <string.h>

enum { QB = CKPT_ATTENTION_QUERY_BLOCK, KB = CKPT_ATTENTION_KEY_BLOCK };

// Scratch of one query block: Qᵀ [hd][QB] (queries contiguous, zero past m), scores Sᵀ [KB][QB]
// (one key's scores against every query contiguous, so the softmax state runs across queries in
// vector lanes), the unnormalised output O [QB][hd], and per query the running max, the running
// sum and the rescale factor of the current key block; then the key block's V in column panels
// (pack_v), so the ·V product streams one contiguous panel per 16 or 64 columns (V's own rows are
// 3·width floats apart, a stride that maps every few rows onto the same L1 sets).
size_t ckpt_attention_scratch_floats(size_t hd) { return hd * QB + KB * QB + QB * hd + 3 * QB + (hd / 16) * 16 * KB; }

typedef struct {
    float *qt, *s, *o, *mx, *l, *corr, *vp;
} blockspace;

static blockspace carve(float *ws, size_t hd) {
    blockspace b;
    b.qt = ws; b.s = b.qt + hd * QB; b.o = b.s + KB * QB;
    b.mx = b.o + QB * hd; b.l = b.mx + QB; b.corr = b.l + QB; b.vp = b.corr + QB;
    return b;
}

// Qᵀ for the block, padded with zero queries up to mp: padded lanes compute harmless scores
// (0, so exp(0 − 0) = 1) that are never stored to out.
static void pack_qt(const float *q, size_t ldq, size_t m, size_t mp, size_t hd, float *qt) {
    for (size_t c = 0; c < hd; c++) {
        for (size_t i = 0; i < m; i++) qt[c * QB + i] = q[i * ldq + c];
        for (size_t i = m; i < mp; i++) qt[c * QB + i] = 0;
    }
}

static void finish(const blockspace *b, size_t m, size_t hd, float *out, size_t ldo) {
    for (size_t i = 0; i < m; i++) {
        float inv = 1.0f / b->l[i];
        for (size_t c = 0; c < hd; c++) out[i * ldo + c] = b->o[i * hd + c] * inv;
    }
}

#if defined(__x86_64__) && defined(__linux__)
// The vector paths' start of a query block: Qᵀ padded with zero queries to *mp (a multiple of 16),
// O zeroed, running maxima at −∞ and sums at 0.
static blockspace start_block(const float *q, size_t ldq, size_t m, size_t hd, float *ws, size_t *mp) {
    blockspace b = carve(ws, hd);
    *mp = (m + 15) & ~(size_t)15;
    pack_qt(q, ldq, m, *mp, hd, b.qt);
    memset(b.o, 0, *mp * hd * sizeof(float));
    for (size_t i = 0; i < *mp; i++) { b.mx[i] = -INFINITY; b.l[i] = 0; }
    return b;
}

// Rows j .. j + nr of K for a six-key tile of QKᵀ; rows past nr repeat the last key (computed, not stored).
static void six_keys(const float *k, size_t ldk, size_t j, size_t nr, const float *kr[6]) {
    for (size_t r = 0; r < 6; r++) kr[r] = k + (j + (r < nr ? r : nr - 1)) * ldk;
}

// Six queries of the ·V product, i0 .. i0 + nr: rows past nr repeat the last query (its O row,
// factor and probabilities) and are computed but not stored. p holds the six queries'
// probabilities side by side per key: in place (stride QB) for a full tile, else gathered into
// the caller's pg (stride 6).
typedef struct {
    size_t row[6];
    float corr[6];
    const float *p;
    size_t pstride;
} six_queries;

static six_queries gather_six(const blockspace *b, size_t i0, size_t nr, size_t kb, float *pg) {
    six_queries t;
    for (size_t r = 0; r < 6; r++) t.row[r] = i0 + (r < nr ? r : nr - 1);
    for (size_t r = 0; r < 6; r++) t.corr[r] = b->corr[t.row[r]];
    t.p = b->s + i0;
    t.pstride = QB;
    if (nr < 6) {
        for (size_t j = 0; j < kb; j++)
            for (size_t r = 0; r < 6; r++) pg[j * 6 + r] = b->s[j * QB + t.row[r]];
        t.p = pg; t.pstride = 6;
    }
    return t;
}

// The six queries' O rows from column c0 on.
static void six_rows(const blockspace *b, const six_queries *t, size_t hd, size_t c0, float *orow[6]) {
    for (size_t r = 0; r < 6; r++) orow[r] = b->o + t->row[r] * hd + c0;
}

// The key block's V columns 0 .. narrow in panels, the one starting at column c0 at vp + c0 · KB,
// holding each key's w columns contiguously: w = 64 below column `wide`, then 16.
static void pack_v(float *vp, const float *vb, size_t ldv, size_t kb, size_t wide, size_t narrow) {
    for (size_t c0 = 0; c0 < narrow;) {
        size_t w = c0 < wide ? 64 : 16;
        for (size_t j = 0; j < kb; j++) memcpy(vp + c0 * KB + j * w, vb + j * ldv + c0, w * sizeof(float));
        c0 += w;
    }
}

// Columns c0 .. hd of the six queries' O rows, one at a time: what the register tiles leave over.
static void pv_columns(const blockspace *b, const six_queries *t, size_t nr, size_t c0, size_t hd,
                       const float *vb, size_t ldv, size_t kb) {
    for (; c0 < hd; c0++) {
        for (size_t r = 0; r < nr; r++) {
            float *o = b->o + t->row[r] * hd + c0, acc = *o * t->corr[r];
            for (size_t j = 0; j < kb; j++) acc += t->p[j * t->pstride + r] * vb[j * ldv + c0];
            *o = acc;
        }
    }
}

// Online softmax over one key block, W queries per vector (P: the intrinsics' prefix, _mm256 or
// _mm512): new max, the factor that rescales what O and the sum hold so far, exp(s − max) in
// place, and the sum carried on. max_ps(x, m) keeps m when x is NaN, but exp(NaN − m) is NaN, so a
// NaN score still makes its query's output NaN, as torch's softmax does.
#define SOFTMAX_BLOCK(NAME, TARGET, W, VEC, P, EXPFN)                                                \
    TARGET static void NAME(const blockspace *b, size_t mp, size_t kb, EXPFN vexp) {                 \
        for (size_t i = 0; i < mp; i += W) {                                                         \
            VEC old = P##_loadu_ps(b->mx + i), mx = old;                                             \
            for (size_t j = 0; j < kb; j++) mx = P##_max_ps(P##_loadu_ps(b->s + j * QB + i), mx);    \
            VEC sum = P##_setzero_ps();                                                              \
            for (size_t j = 0; j < kb; j++) {                                                        \
                VEC e = vexp(P##_sub_ps(P##_loadu_ps(b->s + j * QB + i), mx));                       \
                P##_storeu_ps(b->s + j * QB + i, e);                                                 \
                sum = P##_add_ps(sum, e);                                                            \
            }                                                                                        \
            VEC corr = vexp(P##_sub_ps(old, mx));                                                    \
            P##_storeu_ps(b->corr + i, corr);                                                        \
            P##_storeu_ps(b->l + i, P##_fmadd_ps(P##_loadu_ps(b->l + i), corr, sum));                \
            P##_storeu_ps(b->mx + i, mx);                                                            \
        }                                                                                            \
    }
#endif

// ---- scalar path ------------------------------------------------------------------------------

static void block_scalar(const float *q, size_t ldq, size_t m, const float *k, size_t ldk,
                         const float *v, size_t ldv, size_t t, size_t hd, float scale,
                         float *out, size_t ldo, float *ws) {
    blockspace b = carve(ws, hd);
    pack_qt(q, ldq, m, m, hd, b.qt);
    memset(b.o, 0, m * hd * sizeof(float));
    for (size_t i = 0; i < m; i++) { b.mx[i] = -INFINITY; b.l[i] = 0; }
    for (size_t j0 = 0; j0 < t; j0 += KB) {
        size_t kb = t - j0 < KB ? t - j0 : KB;
        for (size_t j = 0; j < kb; j++) {
            const float *kr = k + (j0 + j) * ldk;
            float *sr = b.s + j * QB;
            for (size_t i = 0; i < m; i++) sr[i] = 0;
            for (size_t c = 0; c < hd; c++)
                for (size_t i = 0; i < m; i++) sr[i] += kr[c] * b.qt[c * QB + i];
            for (size_t i = 0; i < m; i++) sr[i] *= scale;
        }
        for (size_t i = 0; i < m; i++) {
            float mx = b.mx[i], sum = 0;
            for (size_t j = 0; j < kb; j++) { float x = b.s[j * QB + i]; mx = x > mx ? x : mx; }
            for (size_t j = 0; j < kb; j++) { float e = expf(b.s[j * QB + i] - mx); b.s[j * QB + i] = e; sum += e; }
            float corr = expf(b.mx[i] - mx);
            b.l[i] = b.l[i] * corr + sum;
            b.mx[i] = mx;
            float *orow = b.o + i * hd;
            for (size_t c = 0; c < hd; c++) orow[c] *= corr;
            for (size_t j = 0; j < kb; j++) {
                const float *vr = v + (j0 + j) * ldv;
                float p = b.s[j * QB + i];
                for (size_t c = 0; c < hd; c++) orow[c] += p * vr[c];
            }
        }
    }
    finish(&b, m, hd, out, ldo);
}

// ---- AVX2 + FMA path --------------------------------------------------------------------------

#if defined(__x86_64__) && defined(__linux__)
#define AVX2 __attribute__((target("avx2,fma")))

// Sᵀ[jr + r][i0 .. i0 + 16) = scale · k_(jr + r) · q_i for r < nr: six keys broadcast against
// sixteen queries, twelve accumulators. Rows past nr repeat the last key and are not stored.
AVX2 static inline void qk_tile(const float *const kr[6], size_t nr, const float *qt, size_t hd,
                                __m256 vscale, float *s) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    for (size_t c = 0; c < hd; c++) {
        __m256 q0 = _mm256_loadu_ps(qt + c * QB), q1 = _mm256_loadu_ps(qt + c * QB + 8);
        __m256 b;
        b = _mm256_broadcast_ss(kr[0] + c); a00 = _mm256_fmadd_ps(b, q0, a00); a01 = _mm256_fmadd_ps(b, q1, a01);
        b = _mm256_broadcast_ss(kr[1] + c); a10 = _mm256_fmadd_ps(b, q0, a10); a11 = _mm256_fmadd_ps(b, q1, a11);
        b = _mm256_broadcast_ss(kr[2] + c); a20 = _mm256_fmadd_ps(b, q0, a20); a21 = _mm256_fmadd_ps(b, q1, a21);
        b = _mm256_broadcast_ss(kr[3] + c); a30 = _mm256_fmadd_ps(b, q0, a30); a31 = _mm256_fmadd_ps(b, q1, a31);
        b = _mm256_broadcast_ss(kr[4] + c); a40 = _mm256_fmadd_ps(b, q0, a40); a41 = _mm256_fmadd_ps(b, q1, a41);
        b = _mm256_broadcast_ss(kr[5] + c); a50 = _mm256_fmadd_ps(b, q0, a50); a51 = _mm256_fmadd_ps(b, q1, a51);
    }
    __m256 acc[12] = {a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51};
    for (size_t r = 0; r < nr; r++) {
        _mm256_storeu_ps(s + r * QB, _mm256_mul_ps(acc[2 * r], vscale));
        _mm256_storeu_ps(s + r * QB + 8, _mm256_mul_ps(acc[2 * r + 1], vscale));
    }
}

// O[i0 + r][c0 .. c0 + 8·W) = corr_i · O + Σ_j P[j][r] · V[j] for six queries (rows past nr repeat
// the last query and are not stored); W = 2 (sixteen columns) or 1 (eight). P rows are ldp apart,
// V rows ldv apart.
// Named accumulators, not an array: GCC keeps an array of __m256 on the stack, and the
// load-FMA-store per key then bounds the loop by store forwarding.
#define PV_ROW(r, W)                                                                                 \
    do {                                                                                             \
        __m256 b = _mm256_broadcast_ss(pj + r);                                                      \
        o##r##0 = _mm256_fmadd_ps(b, v0, o##r##0);                                                   \
        if (W == 2) o##r##1 = _mm256_fmadd_ps(b, v1, o##r##1);                                       \
    } while (0)
#define PV_TILE(W)                                                                                   \
    AVX2 static inline void pv_tile##W(float *const orow[6], size_t nr, const float *corr,           \
                                       const float *p, size_t ldp, const float *vb, size_t ldv,     \
                                       size_t kb) {                                                 \
        __m256 f, o00, o01, o10, o11, o20, o21, o30, o31, o40, o41, o50, o51;                        \
        o01 = o11 = o21 = o31 = o41 = o51 = _mm256_setzero_ps();                                     \
        f = _mm256_broadcast_ss(corr + 0); o00 = _mm256_mul_ps(_mm256_loadu_ps(orow[0]), f);         \
        if (W == 2) o01 = _mm256_mul_ps(_mm256_loadu_ps(orow[0] + 8), f);                            \
        f = _mm256_broadcast_ss(corr + 1); o10 = _mm256_mul_ps(_mm256_loadu_ps(orow[1]), f);         \
        if (W == 2) o11 = _mm256_mul_ps(_mm256_loadu_ps(orow[1] + 8), f);                            \
        f = _mm256_broadcast_ss(corr + 2); o20 = _mm256_mul_ps(_mm256_loadu_ps(orow[2]), f);         \
        if (W == 2) o21 = _mm256_mul_ps(_mm256_loadu_ps(orow[2] + 8), f);                            \
        f = _mm256_broadcast_ss(corr + 3); o30 = _mm256_mul_ps(_mm256_loadu_ps(orow[3]), f);         \
        if (W == 2) o31 = _mm256_mul_ps(_mm256_loadu_ps(orow[3] + 8), f);                            \
        f = _mm256_broadcast_ss(corr + 4); o40 = _mm256_mul_ps(_mm256_loadu_ps(orow[4]), f);         \
        if (W == 2) o41 = _mm256_mul_ps(_mm256_loadu_ps(orow[4] + 8), f);                            \
        f = _mm256_broadcast_ss(corr + 5); o50 = _mm256_mul_ps(_mm256_loadu_ps(orow[5]), f);         \
        if (W == 2) o51 = _mm256_mul_ps(_mm256_loadu_ps(orow[5] + 8), f);                            \
        for (size_t j = 0; j < kb; j++) {                                                            \
            const float *pj = p + j * ldp;                                                           \
            __m256 v0 = _mm256_loadu_ps(vb + j * ldv), v1 = v0;                                      \
            if (W == 2) v1 = _mm256_loadu_ps(vb + j * ldv + 8);                                      \
            PV_ROW(0, W); PV_ROW(1, W); PV_ROW(2, W); PV_ROW(3, W); PV_ROW(4, W); PV_ROW(5, W);      \
        }                                                                                            \
        __m256 acc[12] = {o00, o01, o10, o11, o20, o21, o30, o31, o40, o41, o50, o51};               \
        for (size_t r = 0; r < nr; r++) {                                                            \
            _mm256_storeu_ps(orow[r], acc[2 * r]);                                                   \
            if (W == 2) _mm256_storeu_ps(orow[r] + 8, acc[2 * r + 1]);                               \
        }                                                                                            \
    }
PV_TILE(2)
PV_TILE(1)

SOFTMAX_BLOCK(softmax_block, AVX2, 8, __m256, _mm256, ckpt_vec8_fn)

AVX2 static void block_avx2(const float *q, size_t ldq, size_t m, const float *k, size_t ldk,
                            const float *v, size_t ldv, size_t t, size_t hd, float scale,
                            float *out, size_t ldo, float *ws, ckpt_vec8_fn vexp) {
    size_t mp;
    blockspace b = start_block(q, ldq, m, hd, ws, &mp);
    __m256 vscale = _mm256_set1_ps(scale);
    for (size_t j0 = 0; j0 < t; j0 += KB) {
        size_t kb = t - j0 < KB ? t - j0 : KB;
        for (size_t jr = 0; jr < kb; jr += 6) {
            size_t nr = kb - jr < 6 ? kb - jr : 6;
            const float *kr[6];
            six_keys(k, ldk, j0 + jr, nr, kr);
            for (size_t i0 = 0; i0 < mp; i0 += 16) qk_tile(kr, nr, b.qt + i0, hd, vscale, b.s + jr * QB + i0);
        }
        softmax_block(&b, mp, kb, vexp);
        const float *vb = v + j0 * ldv;
        size_t narrow = hd / 16 * 16;
        pack_v(b.vp, vb, ldv, kb, 0, narrow);
        for (size_t i0 = 0; i0 < m; i0 += 6) {
            size_t nr = m - i0 < 6 ? m - i0 : 6;
            float pg[KB * 6];
            six_queries sq = gather_six(&b, i0, nr, kb, pg);
            float *orow[6];
            size_t c0 = 0;
            for (; c0 < narrow; c0 += 16) {
                six_rows(&b, &sq, hd, c0, orow);
                pv_tile2(orow, nr, sq.corr, sq.p, sq.pstride, b.vp + c0 * KB, 16, kb);
            }
            if (c0 + 8 <= hd) {
                six_rows(&b, &sq, hd, c0, orow);
                pv_tile1(orow, nr, sq.corr, sq.p, sq.pstride, vb + c0, ldv, kb);
                c0 += 8;
            }
            pv_columns(&b, &sq, nr, c0, hd, vb, ldv, kb);  // head_dim % 8 columns
        }
    }
    finish(&b, m, hd, out, ldo);
}

// ---- AVX-512 path -----------------------------------------------------------------------------
// The AVX2 path's algorithm with sixteen lanes: the same blocks, the same order of every sum (a
// score is one FMA chain over the head dims, a weight's softmax state runs key by key, an output
// one FMA chain over the keys), so the two paths differ only in libmvec's expf variant.

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

// Sᵀ[jr + r][i0 .. i0 + 64) = scale · k_(jr + r) · q_i for r < nr: six keys broadcast against
// four vectors of queries, twenty-four accumulators.
#define QK4_ROW(r)                                                                                   \
    do {                                                                                             \
        __m512 b = _mm512_set1_ps(kr[r][c]);                                                         \
        a##r##0 = _mm512_fmadd_ps(b, q0, a##r##0); a##r##1 = _mm512_fmadd_ps(b, q1, a##r##1);        \
        a##r##2 = _mm512_fmadd_ps(b, q2, a##r##2); a##r##3 = _mm512_fmadd_ps(b, q3, a##r##3);        \
    } while (0)
#define QK4_STORE(r)                                                                                 \
    if (r < nr) {                                                                                    \
        float *sr = s + r * QB;                                                                      \
        _mm512_storeu_ps(sr, _mm512_mul_ps(a##r##0, vscale));                                        \
        _mm512_storeu_ps(sr + 16, _mm512_mul_ps(a##r##1, vscale));                                   \
        _mm512_storeu_ps(sr + 32, _mm512_mul_ps(a##r##2, vscale));                                   \
        _mm512_storeu_ps(sr + 48, _mm512_mul_ps(a##r##3, vscale));                                   \
    }
AVX512 static inline void qk_tile64(const float *const kr[6], size_t nr, const float *qt, size_t hd,
                                    __m512 vscale, float *s) {
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    __m512 a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    __m512 a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00, a53 = a00;
    for (size_t c = 0; c < hd; c++) {
        const float *qc = qt + c * QB;
        __m512 q0 = _mm512_loadu_ps(qc), q1 = _mm512_loadu_ps(qc + 16);
        __m512 q2 = _mm512_loadu_ps(qc + 32), q3 = _mm512_loadu_ps(qc + 48);
        QK4_ROW(0); QK4_ROW(1); QK4_ROW(2); QK4_ROW(3); QK4_ROW(4); QK4_ROW(5);
    }
    QK4_STORE(0) QK4_STORE(1) QK4_STORE(2) QK4_STORE(3) QK4_STORE(4) QK4_STORE(5)
}

// The same for sixteen queries (a block's last, partial vectors).
AVX512 static inline void qk_tile16(const float *const kr[6], size_t nr, const float *qt, size_t hd,
                                    __m512 vscale, float *s) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    for (size_t c = 0; c < hd; c++) {
        __m512 q = _mm512_loadu_ps(qt + c * QB);
        a0 = _mm512_fmadd_ps(_mm512_set1_ps(kr[0][c]), q, a0); a1 = _mm512_fmadd_ps(_mm512_set1_ps(kr[1][c]), q, a1);
        a2 = _mm512_fmadd_ps(_mm512_set1_ps(kr[2][c]), q, a2); a3 = _mm512_fmadd_ps(_mm512_set1_ps(kr[3][c]), q, a3);
        a4 = _mm512_fmadd_ps(_mm512_set1_ps(kr[4][c]), q, a4); a5 = _mm512_fmadd_ps(_mm512_set1_ps(kr[5][c]), q, a5);
    }
    __m512 acc[6] = {a0, a1, a2, a3, a4, a5};
    for (size_t r = 0; r < nr; r++) _mm512_storeu_ps(s + r * QB, _mm512_mul_ps(acc[r], vscale));
}

// O[row r][c0 .. c0 + 16·W) = corr_r · O + Σ_j P[j][r] · V[j] for six queries (rows past nr repeat
// the last query and are not stored); W = 4 (sixty-four columns) or 1 (sixteen). The panel vb
// holds the key block's V columns c0 .. c0 + 16·W contiguously, 16·W floats per key.
#define PV_INIT(r, w) o##r##w = _mm512_mul_ps(_mm512_loadu_ps(orow[r] + 16 * w), _mm512_set1_ps(corr[r]))
#define PV_FMA(r, w) o##r##w = _mm512_fmadd_ps(b##r, v##w, o##r##w)
#define PV_STORE(r, w) _mm512_storeu_ps(orow[r] + 16 * w, o##r##w)
#define PV_ROWS(X, w) X(0, w); X(1, w); X(2, w); X(3, w); X(4, w); X(5, w)
AVX512 static inline void pv_tile64(float *const orow[6], size_t nr, const float *corr, const float *p,
                                    size_t ldp, const float *vb, size_t kb) {
    __m512 o00, o01, o02, o03, o10, o11, o12, o13, o20, o21, o22, o23;
    __m512 o30, o31, o32, o33, o40, o41, o42, o43, o50, o51, o52, o53;
    PV_ROWS(PV_INIT, 0); PV_ROWS(PV_INIT, 1); PV_ROWS(PV_INIT, 2); PV_ROWS(PV_INIT, 3);
    for (size_t j = 0; j < kb; j++) {
        const float *pj = p + j * ldp, *vj = vb + j * 64;
        __m512 v0 = _mm512_loadu_ps(vj), v1 = _mm512_loadu_ps(vj + 16);
        __m512 v2 = _mm512_loadu_ps(vj + 32), v3 = _mm512_loadu_ps(vj + 48);
        __m512 b0 = _mm512_set1_ps(pj[0]), b1 = _mm512_set1_ps(pj[1]), b2 = _mm512_set1_ps(pj[2]);
        __m512 b3 = _mm512_set1_ps(pj[3]), b4 = _mm512_set1_ps(pj[4]), b5 = _mm512_set1_ps(pj[5]);
        PV_ROWS(PV_FMA, 0); PV_ROWS(PV_FMA, 1); PV_ROWS(PV_FMA, 2); PV_ROWS(PV_FMA, 3);
    }
    // Only the first nr rows are stored: the others repeat the last one.
    if (nr > 0) { PV_STORE(0, 0); PV_STORE(0, 1); PV_STORE(0, 2); PV_STORE(0, 3); }
    if (nr > 1) { PV_STORE(1, 0); PV_STORE(1, 1); PV_STORE(1, 2); PV_STORE(1, 3); }
    if (nr > 2) { PV_STORE(2, 0); PV_STORE(2, 1); PV_STORE(2, 2); PV_STORE(2, 3); }
    if (nr > 3) { PV_STORE(3, 0); PV_STORE(3, 1); PV_STORE(3, 2); PV_STORE(3, 3); }
    if (nr > 4) { PV_STORE(4, 0); PV_STORE(4, 1); PV_STORE(4, 2); PV_STORE(4, 3); }
    if (nr > 5) { PV_STORE(5, 0); PV_STORE(5, 1); PV_STORE(5, 2); PV_STORE(5, 3); }
}

AVX512 static inline void pv_tile16(float *const orow[6], size_t nr, const float *corr, const float *p,
                                    size_t ldp, const float *vb, size_t kb) {
    __m512 o00, o10, o20, o30, o40, o50;
    PV_ROWS(PV_INIT, 0);
    for (size_t j = 0; j < kb; j++) {
        const float *pj = p + j * ldp;
        __m512 v0 = _mm512_loadu_ps(vb + j * 16);
        __m512 b0 = _mm512_set1_ps(pj[0]), b1 = _mm512_set1_ps(pj[1]), b2 = _mm512_set1_ps(pj[2]);
        __m512 b3 = _mm512_set1_ps(pj[3]), b4 = _mm512_set1_ps(pj[4]), b5 = _mm512_set1_ps(pj[5]);
        PV_ROWS(PV_FMA, 0);
    }
    __m512 acc[6] = {o00, o10, o20, o30, o40, o50};
    for (size_t r = 0; r < nr; r++) _mm512_storeu_ps(orow[r], acc[r]);
}

SOFTMAX_BLOCK(softmax_block16, AVX512, 16, __m512, _mm512, ckpt_vec16_fn)

AVX512 static void block_avx512(const float *q, size_t ldq, size_t m, const float *k, size_t ldk,
                                const float *v, size_t ldv, size_t t, size_t hd, float scale,
                                float *out, size_t ldo, float *ws, ckpt_vec16_fn vexp) {
    size_t mp;
    blockspace b = start_block(q, ldq, m, hd, ws, &mp);
    __m512 vscale = _mm512_set1_ps(scale);
    // V's columns in panels 64 wide while they last, then 16 wide; the last hd % 16 columns are
    // read from V itself.
    size_t wide = hd / 64 * 64, narrow = hd / 16 * 16;
    for (size_t j0 = 0; j0 < t; j0 += KB) {
        size_t kb = t - j0 < KB ? t - j0 : KB;
        for (size_t jr = 0; jr < kb; jr += 6) {
            size_t nr = kb - jr < 6 ? kb - jr : 6;
            const float *kr[6];
            six_keys(k, ldk, j0 + jr, nr, kr);
            float *s = b.s + jr * QB;
            size_t i0 = 0;
            for (; i0 + 64 <= mp; i0 += 64) qk_tile64(kr, nr, b.qt + i0, hd, vscale, s + i0);
            for (; i0 < mp; i0 += 16) qk_tile16(kr, nr, b.qt + i0, hd, vscale, s + i0);
        }
        softmax_block16(&b, mp, kb, vexp);
        const float *vb = v + j0 * ldv;
        pack_v(b.vp, vb, ldv, kb, wide, narrow);
        for (size_t i0 = 0; i0 < m; i0 += 6) {
            size_t nr = m - i0 < 6 ? m - i0 : 6;
            float pg[KB * 6];
            six_queries sq = gather_six(&b, i0, nr, kb, pg);
            float *orow[6];
            size_t c0 = 0;
            for (; c0 < wide; c0 += 64) {
                six_rows(&b, &sq, hd, c0, orow);
                pv_tile64(orow, nr, sq.corr, sq.p, sq.pstride, b.vp + c0 * KB, kb);
            }
            for (; c0 < narrow; c0 += 16) {
                six_rows(&b, &sq, hd, c0, orow);
                pv_tile16(orow, nr, sq.corr, sq.p, sq.pstride, b.vp + c0 * KB, kb);
            }
            pv_columns(&b, &sq, nr, c0, hd, vb, ldv, kb);  // head_dim % 16 columns
        }
    }
    finish(&b, m, hd, out, ldo);
}
#endif

// ---- entry points -----------------------------------------------------------------------------

void ckpt_attention(const float *q, size_t ldq, size_t m, const float *k, size_t ldk,
                    const float *v, size_t ldv, size_t t, size_t hd, float scale,
                    float *out, size_t ldo, float *scratch) {
    if (m == 0 || hd == 0) return;
#if defined(__x86_64__) && defined(__linux__)
    ckpt_vec8_fn vexp = ckpt_vecmath_exp8();
    ckpt_vec16_fn vexp16 = ckpt_vecmath_exp16();
#endif
    for (size_t i0 = 0; i0 < m; i0 += QB) {
        size_t mb = m - i0 < QB ? m - i0 : QB;
#if defined(__x86_64__) && defined(__linux__)
        if (vexp16) {
            block_avx512(q + i0 * ldq, ldq, mb, k, ldk, v, ldv, t, hd, scale, out + i0 * ldo, ldo, scratch, vexp16);
            continue;
        }
        if (vexp) {
            block_avx2(q + i0 * ldq, ldq, mb, k, ldk, v, ldv, t, hd, scale, out + i0 * ldo, ldo, scratch, vexp);
            continue;
        }
#endif
        block_scalar(q + i0 * ldq, ldq, mb, k, ldk, v, ldv, t, hd, scale, out + i0 * ldo, ldo, scratch);
    }
}

const char *ckpt_attention_path(void) {
#if defined(__x86_64__) && defined(__linux__)
    if (ckpt_vecmath_exp16()) return "avx512f";
    if (ckpt_vecmath_exp8()) return "avx2-fma";
#endif
    return "scalar";
}
