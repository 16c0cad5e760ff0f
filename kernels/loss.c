/* loss.c: softmax, fused softmax + cross-entropy (ignore index, strided rows for factorized
 * heads), MSE and L1 losses. One row per thread iteration; row sums in double. */
#include <assert.h>
#include <math.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

void softmax_forward(float *probs, const float *logits, int N, int V)
{
    OMP(parallel for schedule(static) if ((size_t)N * V > KERNELS_PAR_MIN / 8))
    for (int n = 0; n < N; n++) {
        const float *x = logits + (size_t)n * V;
        float *p = probs + (size_t)n * V;
        float mx = x[0];
        for (int i = 1; i < V; i++) mx = x[i] > mx ? x[i] : mx;
        double sum = 0.0;
        for (int i = 0; i < V; i++) {
            p[i] = expf(x[i] - mx);
            sum += p[i];
        }
        float inv = (float)(1.0 / sum);
        for (int i = 0; i < V; i++) p[i] *= inv;
    }
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
        double sum = 0.0;
        for (int i = 0; i < V; i++) sum += expf(x[i] - mx);
        losses[n] = (float)(log(sum) + mx - x[y]);
        if (dlogits) {
            float *dx = dlogits + (size_t)n * ld;
            float inv = (float)(1.0 / sum);
            for (int i = 0; i < V; i++) dx[i] += dscale * expf(x[i] - mx) * inv;
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
