/* attention.c: rotary position embedding and multi-head attention (self, cross, banded masks,
 * KV-cache steps), forward and backward.
 *
 * Each (batch, head) pair runs three steps: one GEMM for the scores, the masked softmax of its
 * rows, one GEMM for the weighted values; pairs run in parallel. The backward mirrors it.
 * Masked-out scores are computed and then ignored: for T = S = 64 that wastes half of two small
 * sgemms, which is cheaper than looping over ragged blocks.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

#define ROPE_MAX_HD 1024

static KERNELS_HOT void rope_pairs(float *restrict p, const float *restrict cs,
                                    const float *restrict sn, int n)
{
    for (int i = 0; i < n; i++) {
        float x0 = p[2 * i], x1 = p[2 * i + 1];
        p[2 * i] = x0 * cs[i] - x1 * sn[i];
        p[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
    }
}

/* Rotates pairs (x[2i], x[2i+1]) of every head by sign * pos * theta^(-2i/HD). */
static void rope_rotate(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta,
                        double sign)
{
    assert(HD % 2 == 0 && HD <= ROPE_MAX_HD);
    OMP(parallel for schedule(static) if ((size_t)B * T * NH * HD > KERNELS_PAR_MIN / 4))
    for (int t = 0; t < T; t++) {
        float cs[ROPE_MAX_HD / 2], sn[ROPE_MAX_HD / 2];
        for (int i = 0; i < HD / 2; i++) {
            double ang = sign * (double)(pos0 + t) * pow((double)theta, -2.0 * i / HD);
            cs[i] = (float)cos(ang);
            sn[i] = (float)sin(ang);
        }
        for (int b = 0; b < B; b++) {
            float *row = x + ((size_t)b * T + t) * ld;
            for (int h = 0; h < NH; h++) rope_pairs(row + (size_t)h * HD, cs, sn, HD / 2);
        }
    }
}

void rope_forward(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta)
{
    rope_rotate(x, B, T, NH, HD, ld, pos0, theta, 1.0);
}

void rope_backward(float *dx, int B, int T, int NH, int HD, int ld, int pos0, float theta)
{
    rope_rotate(dx, B, T, NH, HD, ld, pos0, theta, -1.0);
}

attn_dims_t attn_dims_self(int B, int T, int C, int NH, int causal)
{
    assert(NH > 0 && C % NH == 0);
    attn_dims_t d = {0};
    d.B = B; d.T = T; d.S = T; d.NH = NH; d.HD = C / NH;
    d.q_ld = d.k_ld = d.v_ld = 3 * C;
    d.q_bs = d.k_bs = d.v_bs = (size_t)T * 3 * C;
    d.lo0 = 0; d.lo_step = 0;
    d.hi0 = causal ? 1 : T;
    d.hi_step = causal ? 1 : 0;
    d.scale = (float)(1.0 / sqrt((double)d.HD));
    return d;
}

attn_dims_t attn_dims_cross(int B, int T, int S, int C, int NH)
{
    assert(NH > 0 && C % NH == 0);
    attn_dims_t d = {0};
    d.B = B; d.T = T; d.S = S; d.NH = NH; d.HD = C / NH;
    d.q_ld = C;
    d.k_ld = d.v_ld = 2 * C;
    d.q_bs = (size_t)T * C;
    d.k_bs = d.v_bs = (size_t)S * 2 * C;
    d.lo0 = 0; d.lo_step = 0; d.hi0 = S; d.hi_step = 0;
    d.scale = (float)(1.0 / sqrt((double)d.HD));
    return d;
}

attn_dims_t attn_dims_cached(int B, int T, int S, int Smax, int C, int NH)
{
    assert(NH > 0 && C % NH == 0 && T <= S && S <= Smax);
    attn_dims_t d = {0};
    d.B = B; d.T = T; d.S = S; d.NH = NH; d.HD = C / NH;
    d.q_ld = 3 * C;
    d.q_bs = (size_t)T * 3 * C;
    d.k_ld = d.v_ld = 2 * C;
    d.k_bs = d.v_bs = (size_t)Smax * 2 * C;
    d.lo0 = 0; d.lo_step = 0; d.hi0 = S - T + 1; d.hi_step = 1;
    d.scale = (float)(1.0 / sqrt((double)d.HD));
    return d;
}

static int clampi(long v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : (int)v;
}

void attn_range(const attn_dims_t *d, int t, int *lo, int *hi)
{
    *lo = clampi((long)d->lo0 + (long)d->lo_step * t, 0, d->S);
    *hi = clampi((long)d->hi0 + (long)d->hi_step * t, 0, d->S);
}

size_t attention_scratch_size(const attn_dims_t *d)
{
    return (size_t)d->B * d->NH * d->T * d->S;
}

/* Offsets of batch b, head h. */
#define QO(d, b, h) ((size_t)(b) * (d)->q_bs + (size_t)(h) * (d)->HD)
#define KO(d, b, h) ((size_t)(b) * (d)->k_bs + (size_t)(h) * (d)->HD)
#define VO(d, b, h) ((size_t)(b) * (d)->v_bs + (size_t)(h) * (d)->HD)
#define OO(d, b, h) ((size_t)(b) * (d)->T * (d)->NH * (d)->HD + (size_t)(h) * (d)->HD)
#define AO(d, b, h) (((size_t)(b) * (d)->NH + (h)) * (d)->T * (d)->S)

/* a[S] := softmax of a[lo..hi), zero elsewhere (all zero when lo >= hi). */
static KERNELS_HOT void softmax_row_masked(float *restrict a, int S, int lo, int hi)
{
    if (lo >= hi) {
        memset(a, 0, (size_t)S * sizeof(float));
        return;
    }
    float mx = a[lo];
    for (int s = lo + 1; s < hi; s++) mx = a[s] > mx ? a[s] : mx;
    for (int s = lo; s < hi; s++) a[s] = kexpf(a[s] - mx);
    float sum = 0.0f;
    for (int s = lo; s < hi; s++) sum += a[s];
    float inv = 1.0f / sum;
    for (int s = 0; s < lo; s++) a[s] = 0.0f;
    for (int s = lo; s < hi; s++) a[s] *= inv;
    for (int s = hi; s < S; s++) a[s] = 0.0f;
}

/* g[S] := scale * a * (g - sum(a * g)): the softmax backward with the score scale folded in. */
static KERNELS_HOT void softmax_row_backward(float *restrict g, const float *restrict a, int S,
                                             float scale)
{
    float dot = 0.0f;
    for (int s = 0; s < S; s++) dot += a[s] * g[s];
    for (int s = 0; s < S; s++) g[s] = scale * a[s] * (g[s] - dot);
}

/* The (batch, head) pairs are independent: one thread takes a pair through all three steps
 * (score GEMM, masked softmax, value GEMM), BLAS single-threaded inside (kernels_internal.h).
 * When q, k or v is shared across the batch (batch stride 0) gradients of different b would
 * collide, so then a thread takes one head and walks the batch. */
static int pairs_parallel_over_b(const attn_dims_t *d)
{
    return d->B == 1 || (d->q_bs && d->k_bs && d->v_bs);
}

void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       const attn_dims_t *d)
{
    int B = d->B, T = d->T, S = d->S, NH = d->NH, HD = d->HD, C = NH * HD;
    assert(B >= 0 && T > 0 && S > 0 && NH > 0 && HD > 0);
    kernels_init();
    int par_b = pairs_parallel_over_b(d), outer = par_b ? B * NH : NH;
    OMP(parallel for schedule(static) if ((size_t)B * NH * T * S * HD > KERNELS_PAR_MIN))
    for (int i = 0; i < outer; i++) {
        int h = i % NH, b0 = par_b ? i / NH : 0, b1 = par_b ? b0 + 1 : B;
        for (int b = b0; b < b1; b++) {
            float *ab = att + AO(d, b, h);
            /* 1. scores ab[T,S] = scale * q_bh[T,HD] @ k_bh[S,HD]^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, HD, d->scale,
                        q + QO(d, b, h), d->q_ld, k + KO(d, b, h), d->k_ld, 0.0f, ab, S);
            /* 2. masked softmax per row */
            for (int t = 0; t < T; t++) {
                int lo, hi;
                attn_range(d, t, &lo, &hi);
                softmax_row_masked(ab + (size_t)t * S, S, lo, hi);
            }
            /* 3. out_bh[T,HD] = ab[T,S] @ v_bh[S,HD] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HD, S, 1.0f, ab, S,
                        v + VO(d, b, h), d->v_ld, 0.0f, out + OO(d, b, h), C);
        }
    }
}

void attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                        const float *q, const float *k, const float *v, const float *att,
                        const attn_dims_t *d)
{
    int B = d->B, T = d->T, S = d->S, NH = d->NH, HD = d->HD, C = NH * HD;
    kernels_init();
    int par_b = pairs_parallel_over_b(d), outer = par_b ? B * NH : NH;
    OMP(parallel for schedule(static) if ((size_t)B * NH * T * S * HD > KERNELS_PAR_MIN))
    for (int i = 0; i < outer; i++) {
        int h = i % NH, b0 = par_b ? i / NH : 0, b1 = par_b ? b0 + 1 : B;
        for (int b = b0; b < b1; b++) {
            const float *ab = att + AO(d, b, h), *dob = dout + OO(d, b, h);
            float *g = scratch + AO(d, b, h);
            /* 1. dv_bh += ab^T @ dout_bh;  g[T,S] = datt = dout_bh @ v_bh^T */
            if (dv)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, HD, T, 1.0f, ab, S,
                            dob, C, 1.0f, dv + VO(d, b, h), d->v_ld);
            if (!dq && !dk) continue;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, HD, 1.0f, dob, C,
                        v + VO(d, b, h), d->v_ld, 0.0f, g, S);
            /* 2. softmax backward, scale folded in: dpre = scale * att * (datt - sum(att * datt)) */
            for (int t = 0; t < T; t++)
                softmax_row_backward(g + (size_t)t * S, ab + (size_t)t * S, S, d->scale);
            /* 3. dq_bh += dpre @ k_bh;  dk_bh += dpre^T @ q_bh */
            if (dq)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HD, S, 1.0f, g, S,
                            k + KO(d, b, h), d->k_ld, 1.0f, dq + QO(d, b, h), d->q_ld);
            if (dk)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, HD, T, 1.0f, g, S,
                            q + QO(d, b, h), d->q_ld, 1.0f, dk + KO(d, b, h), d->k_ld);
        }
    }
}
