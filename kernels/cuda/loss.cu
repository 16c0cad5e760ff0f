/* loss.cu: softmax, fused softmax + cross-entropy (ignore index, strided rows), MSE and L1
 * losses on CUDA. CPU twin: kernels/loss.c.
 *
 * Dimension letters: N rows, V classes, ld floats between logit rows, D values per row.
 * Row-wise ops are one block per row with fixed-order block reductions (max in float, sums in
 * double, as the CPU sums in double); the elementwise backwards are one thread per element.
 */
#include <assert.h>

#include "kernels/cuda/common.cuh"

__global__ static void softmax_forward_kernel(float *probs, const float *logits, int V)
{
    size_t n = blockIdx.x;
    const float *x = logits + n * V;
    float *p = probs + n * V;
    float mx = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) mx = fmaxf(mx, x[i]);
    mx = block_max(mx);
    double sum = 0.0;
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        float e = expf(x[i] - mx);
        p[i] = e;
        sum += e;
    }
    float inv = (float)(1.0 / block_sum(sum));
    for (int i = threadIdx.x; i < V; i += blockDim.x) p[i] *= inv;   /* own elements */
}

__global__ static void softmax_backward_kernel(float *dlogits, const float *dprobs,
                                               const float *probs, int V)
{
    size_t n = blockIdx.x;
    const float *p = probs + n * V, *g = dprobs + n * V;
    double dot = 0.0;
    for (int i = threadIdx.x; i < V; i += blockDim.x) dot += (double)p[i] * g[i];
    float fdot = (float)block_sum(dot);
    float *dx = dlogits + n * V;
    for (int i = threadIdx.x; i < V; i += blockDim.x) dx[i] += p[i] * (g[i] - fdot);
}

__global__ static void softmax_cross_entropy_kernel(float *losses, float *dlogits,
                                                    const float *logits, const int *targets,
                                                    int V, int ld, float dscale)
{
    size_t n = blockIdx.x;
    int y = targets[n];
    if (y < 0) {   /* ignored row; uniform over the block, so no barrier is skipped unevenly */
        if (threadIdx.x == 0) losses[n] = 0.0f;
        return;
    }
    const float *x = logits + n * ld;
    float mx = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) mx = fmaxf(mx, x[i]);
    mx = block_max(mx);
    double sum = 0.0;
    for (int i = threadIdx.x; i < V; i += blockDim.x) sum += expf(x[i] - mx);
    sum = block_sum(sum);
    if (threadIdx.x == 0) losses[n] = (float)(log(sum) + mx - x[y]);
    if (dlogits) {
        float *dx = dlogits + n * ld;
        float inv = (float)(1.0 / sum);
        for (int i = threadIdx.x; i < V; i += blockDim.x) {
            dx[i] += dscale * expf(x[i] - mx) * inv;
            if (i == y) dx[i] -= dscale;   /* the CPU's order: softmax term, then the one-hot */
        }
    }
}

/* losses[n] = mean over D of (pred - target)^2 (l1 = 0) or |pred - target| (l1 = 1). */
__global__ static void row_loss_kernel(float *losses, const float *pred, const float *target,
                                       int D, int l1)
{
    size_t n = blockIdx.x;
    const float *p = pred + n * D, *t = target + n * D;
    double s = 0.0;
    for (int i = threadIdx.x; i < D; i += blockDim.x) {
        double e = (double)p[i] - t[i];
        s += l1 ? fabs(e) : e * e;
    }
    s = block_sum(s);
    if (threadIdx.x == 0) losses[n] = (float)(s / D);
}

__global__ static void mse_backward_kernel(float *dpred, const float *pred, const float *target,
                                           size_t n, float k)
{
    CUDA_FOR(i, n) dpred[i] += k * (pred[i] - target[i]);
}

__global__ static void l1_backward_kernel(float *dpred, const float *pred, const float *target,
                                          size_t n, float k)
{
    CUDA_FOR(i, n) {
        float e = pred[i] - target[i];
        dpred[i] += e > 0.0f ? k : e < 0.0f ? -k : 0.0f;
    }
}

void softmax_forward_cuda(float *probs, const float *logits, int N, int V, cudaStream_t stream)
{
    assert(N >= 0 && V > 0);
    if (N == 0) return;
    softmax_forward_kernel<<<N, CUDA_BLOCK, 0, stream>>>(probs, logits, V);
    CUDA_CHECK_LAUNCH();
}

void softmax_backward_cuda(float *dlogits, const float *dprobs, const float *probs, int N, int V,
                           cudaStream_t stream)
{
    assert(N >= 0 && V > 0);
    if (N == 0) return;
    softmax_backward_kernel<<<N, CUDA_BLOCK, 0, stream>>>(dlogits, dprobs, probs, V);
    CUDA_CHECK_LAUNCH();
}

void softmax_cross_entropy_cuda(float *losses, float *dlogits, const float *logits,
                                const int *targets, int N, int V, int ld, float dscale,
                                cudaStream_t stream)
{
    assert(N >= 0 && V > 0 && ld >= V);
    if (N == 0) return;
    softmax_cross_entropy_kernel<<<N, CUDA_BLOCK, 0, stream>>>(losses, dlogits, logits, targets,
                                                               V, ld, dscale);
    CUDA_CHECK_LAUNCH();
}

void mse_forward_cuda(float *losses, const float *pred, const float *target, int N, int D,
                      cudaStream_t stream)
{
    assert(N >= 0 && D > 0);
    if (N == 0) return;
    row_loss_kernel<<<N, CUDA_BLOCK, 0, stream>>>(losses, pred, target, D, 0);
    CUDA_CHECK_LAUNCH();
}

void mse_backward_cuda(float *dpred, const float *pred, const float *target, int N, int D,
                       float dscale, cudaStream_t stream)
{
    size_t n = (size_t)N * D;
    if (n == 0) return;
    mse_backward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(dpred, pred, target, n,
                                                                2.0f * dscale / D);
    CUDA_CHECK_LAUNCH();
}

void l1_forward_cuda(float *losses, const float *pred, const float *target, int N, int D,
                     cudaStream_t stream)
{
    assert(N >= 0 && D > 0);
    if (N == 0) return;
    row_loss_kernel<<<N, CUDA_BLOCK, 0, stream>>>(losses, pred, target, D, 1);
    CUDA_CHECK_LAUNCH();
}

void l1_backward_cuda(float *dpred, const float *pred, const float *target, int N, int D,
                      float dscale, cudaStream_t stream)
{
    size_t n = (size_t)N * D;
    if (n == 0) return;
    l1_backward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(dpred, pred, target, n,
                                                               dscale / D);
    CUDA_CHECK_LAUNCH();
}
