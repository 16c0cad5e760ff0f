/* elementwise.cu: SiLU, GELU (tanh approximation), SwiGLU, residual add and scaling on CUDA.
 * CPU twin: kernels/elementwise.c (same expressions). One thread per element, grid-stride.
 *
 * Dimension letters: n elements, N rows, F SwiGLU hidden width (inp rows are [a | b], 2F).
 * Built without fast-math: expf/tanhf are the accurate (few-ulp) device versions. nvcc fuses
 * a*b + c into FMAs, so results can differ from the CPU in the last bits (parity test: 1e-5).
 */
#include "kernels/cuda/common.cuh"

__device__ static inline float sigmoidf_dev(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

#define GELU_K 0.7978845608028654f   /* sqrt(2/pi) */

__global__ static void silu_forward_kernel(float *out, const float *inp, size_t n)
{
    CUDA_FOR(i, n) out[i] = inp[i] * sigmoidf_dev(inp[i]);
}

__global__ static void silu_backward_kernel(float *dinp, const float *dout, const float *inp,
                                            size_t n)
{
    CUDA_FOR(i, n) {
        float s = sigmoidf_dev(inp[i]);
        dinp[i] += dout[i] * s * (1.0f + inp[i] * (1.0f - s));
    }
}

__global__ static void gelu_forward_kernel(float *out, const float *inp, size_t n)
{
    CUDA_FOR(i, n) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanhf(GELU_K * (x + 0.044715f * x * x * x)));
    }
}

__global__ static void gelu_backward_kernel(float *dinp, const float *dout, const float *inp,
                                            size_t n)
{
    CUDA_FOR(i, n) {
        float x = inp[i];
        float th = tanhf(GELU_K * (x + 0.044715f * x * x * x));
        float sech2 = 1.0f - th * th;
        float g = 0.5f * (1.0f + th) +
                  0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
        dinp[i] += dout[i] * g;
    }
}

__global__ static void swiglu_forward_kernel(float *out, const float *inp, int N, int F)
{
    CUDA_FOR(j, (size_t)N * F) {
        size_t r = j / F, i = j % F;
        float a = inp[r * 2 * F + i], b = inp[r * 2 * F + F + i];
        out[j] = a * sigmoidf_dev(a) * b;
    }
}

__global__ static void swiglu_backward_kernel(float *dinp, const float *dout, const float *inp,
                                              int N, int F)
{
    CUDA_FOR(j, (size_t)N * F) {
        size_t r = j / F, i = j % F, ia = r * 2 * F + i, ib = ia + F;
        float a = inp[ia], b = inp[ib], g = dout[j];
        float s = sigmoidf_dev(a);
        dinp[ia] += g * b * s * (1.0f + a * (1.0f - s));
        dinp[ib] += g * a * s;
    }
}

/* out may alias a or b: each element is read before it is written, by the same thread. */
__global__ static void add_forward_kernel(float *out, const float *a, const float *b, size_t n)
{
    CUDA_FOR(i, n) out[i] = a[i] + b[i];
}

__global__ static void add_backward_kernel(float *da, float *db, const float *dout, size_t n)
{
    CUDA_FOR(i, n) {
        if (da) da[i] += dout[i];
        if (db) db[i] += dout[i];
    }
}

__global__ static void scale_kernel(float *x, size_t n, float s)
{
    CUDA_FOR(i, n) x[i] *= s;
}

void silu_forward_cuda(float *out, const float *inp, size_t n, cudaStream_t stream)
{
    if (n == 0) return;
    silu_forward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, inp, n);
    CUDA_CHECK_LAUNCH();
}

void silu_backward_cuda(float *dinp, const float *dout, const float *inp, size_t n,
                        cudaStream_t stream)
{
    if (n == 0) return;
    silu_backward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(dinp, dout, inp, n);
    CUDA_CHECK_LAUNCH();
}

void gelu_forward_cuda(float *out, const float *inp, size_t n, cudaStream_t stream)
{
    if (n == 0) return;
    gelu_forward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, inp, n);
    CUDA_CHECK_LAUNCH();
}

void gelu_backward_cuda(float *dinp, const float *dout, const float *inp, size_t n,
                        cudaStream_t stream)
{
    if (n == 0) return;
    gelu_backward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(dinp, dout, inp, n);
    CUDA_CHECK_LAUNCH();
}

void swiglu_forward_cuda(float *out, const float *inp, int N, int F, cudaStream_t stream)
{
    size_t n = (size_t)N * F;
    if (n == 0) return;
    swiglu_forward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, inp, N, F);
    CUDA_CHECK_LAUNCH();
}

void swiglu_backward_cuda(float *dinp, const float *dout, const float *inp, int N, int F,
                          cudaStream_t stream)
{
    size_t n = (size_t)N * F;
    if (n == 0) return;
    swiglu_backward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(dinp, dout, inp, N, F);
    CUDA_CHECK_LAUNCH();
}

void add_forward_cuda(float *out, const float *a, const float *b, size_t n, cudaStream_t stream)
{
    if (n == 0) return;
    add_forward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, a, b, n);
    CUDA_CHECK_LAUNCH();
}

void add_backward_cuda(float *da, float *db, const float *dout, size_t n, cudaStream_t stream)
{
    if (n == 0 || (!da && !db)) return;
    add_backward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(da, db, dout, n);
    CUDA_CHECK_LAUNCH();
}

void scale_inplace_cuda(float *x, size_t n, float s, cudaStream_t stream)
{
    if (n == 0) return;
    scale_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(x, n, s);
    CUDA_CHECK_LAUNCH();
}
