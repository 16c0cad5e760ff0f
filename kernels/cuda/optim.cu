/* optim.cu: AdamW and the squared gradient norm on CUDA. CPU twin: kernels/optim.c.
 *
 * Dimension letters: n elements.
 * norm_sq_accumulate is two queued kernels: NORM_BLOCKS blocks each sum a fixed grid-stride
 * slice of x^2 in double into a static device array (no allocation inside the op), then one
 * block adds the NORM_BLOCKS partials in a fixed order and does *out += (float)total. The
 * grid does not depend on n or on the GPU, so the result is deterministic. The static array
 * is shared by all calls: calls on two different streams at once would race (the CUDA backend
 * has one stream; see ops_cuda.h).
 * The bias corrections of AdamW are computed on the host in double, as on the CPU.
 */
#include <math.h>

#include "kernels/cuda/common.cuh"

#define NORM_BLOCKS 512   /* a multiple of 32; at most 1024 (the second pass is one block) */

__device__ static double g_norm_partial[NORM_BLOCKS];

__global__ static void norm_sq_partial_kernel(const float *x, size_t n)
{
    double s = 0.0;
    CUDA_FOR(i, n) s += (double)x[i] * x[i];
    s = block_sum(s);
    if (threadIdx.x == 0) g_norm_partial[blockIdx.x] = s;
}

__global__ static void norm_sq_final_kernel(float *out)
{
    double s = block_sum(g_norm_partial[threadIdx.x]);   /* blockDim.x == NORM_BLOCKS */
    if (threadIdx.x == 0) *out += (float)s;
}

void norm_sq_accumulate_cuda(float *out, const float *x, size_t n, cudaStream_t stream)
{
    if (n == 0) return;
    norm_sq_partial_kernel<<<NORM_BLOCKS, CUDA_BLOCK, 0, stream>>>(x, n);
    CUDA_CHECK_LAUNCH();
    norm_sq_final_kernel<<<1, NORM_BLOCKS, 0, stream>>>(out);
    CUDA_CHECK_LAUNCH();
}

__global__ static void adamw_kernel(float *params, const float *grads, float *m, float *v,
                                    size_t n, float lr, float beta1, float beta2, float eps,
                                    float weight_decay, float grad_scale, float c1, float c2)
{
    CUDA_FOR(i, n) {
        float g = grad_scale * grads[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= lr * ((mi * c1) / (sqrtf(vi * c2) + eps) + weight_decay * params[i]);
    }
}

void adamw_update_cuda(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                       float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                       int t, cudaStream_t stream)
{
    if (n == 0) return;
    float c1 = (float)(1.0 / (1.0 - pow((double)beta1, (double)t)));
    float c2 = (float)(1.0 / (1.0 - pow((double)beta2, (double)t)));
    adamw_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(params, grads, m, v, n, lr, beta1,
                                                         beta2, eps, weight_decay, grad_scale,
                                                         c1, c2);
    CUDA_CHECK_LAUNCH();
}
