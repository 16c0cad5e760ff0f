/* attention.c: rotary position embedding and multi-head attention (self, cross, banded masks,
 * KV-cache steps), forward and backward.
 *
 * Attention runs in three phases per call: (1) one sgemm per (batch, head) for the scores,
 * (2) the masked softmax over all B*NH*T rows in parallel, (3) one sgemm per (batch, head) for
 * the weighted values. The backward mirrors it. BLAS is never called inside an OpenMP region
 * (OpenBLAS threads itself), and each row's softmax is one thread's fixed-order loop.
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
            for (int h = 0; h < NH; h++) {
                float *p = row + (size_t)h * HD;
                for (int i = 0; i < HD / 2; i++) {
                    float x0 = p[2 * i], x1 = p[2 * i + 1];
                    p[2 * i] = x0 * cs[i] - x1 * sn[i];
                    p[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
                }
            }
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

void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       const attn_dims_t *d)
{
    int B = d->B, T = d->T, S = d->S, NH = d->NH, HD = d->HD, C = NH * HD;
    assert(B >= 0 && T > 0 && S > 0 && NH > 0 && HD > 0);
    /* 1. scores att[b,h] = scale * q_bh[T,HD] @ k_bh[S,HD]^T */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, HD, d->scale,
                        q + QO(d, b, h), d->q_ld, k + KO(d, b, h), d->k_ld, 0.0f,
                        att + AO(d, b, h), S);
    /* 2. masked softmax per row */
    int rows = B * NH * T;
    OMP(parallel for schedule(static) if ((size_t)rows * S > KERNELS_PAR_MIN / 8))
    for (int r = 0; r < rows; r++) {
        int t = r % T, lo, hi;
        attn_range(d, t, &lo, &hi);
        float *a = att + (size_t)r * S;
        if (lo >= hi) {
            memset(a, 0, (size_t)S * sizeof(float));
            continue;
        }
        float mx = a[lo];
        for (int s = lo + 1; s < hi; s++) mx = a[s] > mx ? a[s] : mx;
        float sum = 0.0f;
        for (int s = lo; s < hi; s++) {
            a[s] = expf(a[s] - mx);
            sum += a[s];
        }
        float inv = 1.0f / sum;
        for (int s = 0; s < lo; s++) a[s] = 0.0f;
        for (int s = lo; s < hi; s++) a[s] *= inv;
        for (int s = hi; s < S; s++) a[s] = 0.0f;
    }
    /* 3. out_bh[T,HD] = att_bh[T,S] @ v_bh[S,HD] */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HD, S, 1.0f,
                        att + AO(d, b, h), S, v + VO(d, b, h), d->v_ld, 0.0f,
                        out + OO(d, b, h), C);
}

void attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                        const float *q, const float *k, const float *v, const float *att,
                        const attn_dims_t *d)
{
    int B = d->B, T = d->T, S = d->S, NH = d->NH, HD = d->HD, C = NH * HD;
    /* 1. dv_bh += att^T @ dout_bh;  datt_bh[T,S] = dout_bh @ v_bh^T (into scratch) */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            if (dv)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, HD, T, 1.0f,
                            att + AO(d, b, h), S, dout + OO(d, b, h), C, 1.0f,
                            dv + VO(d, b, h), d->v_ld);
            if (dq || dk)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, HD, 1.0f,
                            dout + OO(d, b, h), C, v + VO(d, b, h), d->v_ld, 0.0f,
                            scratch + AO(d, b, h), S);
        }
    if (!dq && !dk) return;
    /* 2. softmax backward, scale folded in: dpre = scale * att * (datt - sum(att * datt)) */
    int rows = B * NH * T;
    OMP(parallel for schedule(static) if ((size_t)rows * S > KERNELS_PAR_MIN / 4))
    for (int r = 0; r < rows; r++) {
        const float *a = att + (size_t)r * S;
        float *g = scratch + (size_t)r * S;
        float dot = 0.0f;
        for (int s = 0; s < S; s++) dot += a[s] * g[s];
        for (int s = 0; s < S; s++) g[s] = d->scale * a[s] * (g[s] - dot);
    }
    /* 3. dq_bh += dpre @ k_bh;  dk_bh += dpre^T @ q_bh */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            if (dq)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HD, S, 1.0f,
                            scratch + AO(d, b, h), S, k + KO(d, b, h), d->k_ld, 1.0f,
                            dq + QO(d, b, h), d->q_ld);
            if (dk)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, HD, T, 1.0f,
                            scratch + AO(d, b, h), S, q + QO(d, b, h), d->q_ld, 1.0f,
                            dk + KO(d, b, h), d->k_ld);
        }
}
