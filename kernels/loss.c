/* loss.c: softmax, fused softmax + cross-entropy (ignore index, strided rows for factorized
 * heads), MSE and L1 losses. One row per thread iteration; row sums in double. */
#include <assert.h>
#include <math.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

/* sum of exp(x[i] - mx) over V values, in double; the exps go through a small buffer so the
 * kexpf loop vectorizes while the double sum keeps one fixed order. */
static KERNELS_HOT double sum_exp(const float *restrict x, int V, float mx)
{
    float tmp[64];
    double sum = 0.0;
    for (int i0 = 0; i0 < V; i0 += 64) {
        int n = V - i0 < 64 ? V - i0 : 64;
        for (int i = 0; i < n; i++) tmp[i] = kexpf(x[i0 + i] - mx);
        for (int i = 0; i < n; i++) sum += tmp[i];
    }
    return sum;
}

static KERNELS_HOT void softmax_row(float *restrict p, const float *restrict x, int V)
{
    float mx = x[0];
    for (int i = 1; i < V; i++) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < V; i++) p[i] = kexpf(x[i] - mx);
    double sum = 0.0;
    for (int i = 0; i < V; i++) sum += p[i];
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < V; i++) p[i] *= inv;
}

void softmax_forward(float *probs, const float *logits, int N, int V)
{
    OMP(parallel for schedule(static) if ((size_t)N * V > KERNELS_PAR_MIN / 8))
    for (int n = 0; n < N; n++) softmax_row(probs + (size_t)n * V, logits + (size_t)n * V, V);
}

void softmax_backward(float *dlogits, const float *dprobs, const float *probs, int N, int V)
{
    OMP(parallel for schedule(static) if ((size_t)N * V > KERNELS_PAR_MIN / 4))
    for (int n = 0; n < N; n++) {
        const float *p = probs + (size_t)n * V, *g = dprobs + (size_t)n * V;
        double dot = 0.0;
        for (int i = 0; i < V; i++) dot += (double)p[i] * g[i];
        float *dx = dlogits + (size_t)n * V;
        for (int i = 0; i < V; i++) dx[i] += p[i] * (g[i] - (float)dot);
    }
}

/* dx[V] += k * exp(x - mx): the softmax part of the cross-entropy gradient (k = dscale / sum). */
static KERNELS_HOT void xent_grad_row(float *restrict dx, const float *restrict x, int V, float mx,
                                      float k)
{
    for (int i = 0; i < V; i++) dx[i] += k * kexpf(x[i] - mx);
}

void softmax_cross_entropy(float *losses, float *dlogits, const float *logits, const int *targets,
                           int N, int V, int ld, float dscale)
{
    assert(ld >= V);
    OMP(parallel for schedule(static) if ((size_t)N * V > KERNELS_PAR_MIN / 8))
    for (int n = 0; n < N; n++) {
        int y = targets[n];
        if (y < 0) {
            losses[n] = 0.0f;
            continue;
        }
        assert(y < V);
        const float *x = logits + (size_t)n * ld;
        float mx = x[0];
        for (int i = 1; i < V; i++) mx = x[i] > mx ? x[i] : mx;
        double sum = sum_exp(x, V, mx);
        losses[n] = (float)(log(sum) + mx - x[y]);
        if (dlogits) {
            float *dx = dlogits + (size_t)n * ld;
            xent_grad_row(dx, x, V, mx, dscale * (float)(1.0 / sum));
            dx[y] -= dscale;
        }
    }
}

void mse_forward(float *losses, const float *pred, const float *target, int N, int D)
{
    OMP(parallel for schedule(static) if ((size_t)N * D > KERNELS_PAR_MIN))
    for (int n = 0; n < N; n++) {
        const float *p = pred + (size_t)n * D, *t = target + (size_t)n * D;
        double s = 0.0;
        for (int i = 0; i < D; i++) s += ((double)p[i] - t[i]) * ((double)p[i] - t[i]);
        losses[n] = (float)(s / D);
    }
}

void mse_backward(float *dpred, const float *pred, const float *target, int N, int D, float dscale)
{
    float k = 2.0f * dscale / D;
    size_t n = (size_t)N * D;
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN))
    for (size_t i = 0; i < n; i++) dpred[i] += k * (pred[i] - target[i]);
}

void l1_forward(float *losses, const float *pred, const float *target, int N, int D)
{
    OMP(parallel for schedule(static) if ((size_t)N * D > KERNELS_PAR_MIN))
    for (int n = 0; n < N; n++) {
        const float *p = pred + (size_t)n * D, *t = target + (size_t)n * D;
        double s = 0.0;
        for (int i = 0; i < D; i++) s += fabs((double)p[i] - t[i]);
        losses[n] = (float)(s / D);
    }
}

void l1_backward(float *dpred, const float *pred, const float *target, int N, int D, float dscale)
{
    float k = dscale / D;
    size_t n = (size_t)N * D;
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN))
    for (size_t i = 0; i < n; i++) {
        float e = pred[i] - target[i];
        dpred[i] += e > 0.0f ? k : e < 0.0f ? -k : 0.0f;
    }
}
