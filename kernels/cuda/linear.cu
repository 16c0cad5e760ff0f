/* linear.cu: matmul (cuBLAS sgemm), bias gradients and embedding lookup on CUDA.
 * CPU twin: kernels/linear.c; same shapes and conventions (ops.h).
 *
 * Dimension letters: N rows, C input channels, OC output channels, V table rows.
 *
 * matmul: weight is [OC, C]; the three products are written with gemm_rm (row-major sgemm,
 * derivation in common.cuh) exactly as the CPU writes them with cblas_sgemm, beta = 1 giving
 * the += of the backward. The bias is broadcast into out first and the forward gemm runs with
 * beta = 1, as on the CPU.
 * Gradient reductions over rows (dbias, embedding rows) use no atomics: each column is summed
 * by one block (bias) or one thread (embedding) in row order.
 */
#include <assert.h>

#include "kernels/cuda/common.cuh"

/* out[n, o] = bias[o] for n < N. */
__global__ static void bias_broadcast_kernel(float *out, const float *bias, size_t N, int OC)
{
    CUDA_FOR(i, N * OC) out[i] = bias[i % OC];
}

void matmul_forward_cuda(float *out, const float *inp, const float *weight, const float *bias,
                         int N, int C, int OC, cudaStream_t stream)
{
    assert(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    float beta = 0.0f;
    if (bias) {
        size_t n = (size_t)N * OC;
        bias_broadcast_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, bias, (size_t)N, OC);
        CUDA_CHECK_LAUNCH();
        beta = 1.0f;
    }
    cublasHandle_t h = kernels_cublas_handle(stream);
    /* out[N,OC] = inp[N,C] @ weight[OC,C]^T (+ out) */
    gemm_rm(h, false, true, N, OC, C, 1.0f, inp, C, weight, C, beta, out, OC);
}

/* dbias[o] += sum over rows n of dout[n, o]: block (COLRED_X, COLRED_Y) per 32 columns. */
__global__ static void bias_backward_kernel(float *dbias, const float *dout, size_t N, int OC)
{
    int o = blockIdx.x * COLRED_X + threadIdx.x;
    float s = 0.0f;
    if (o < OC)
        for (size_t n = threadIdx.y; n < N; n += COLRED_Y) s += dout[n * OC + o];
    s = col_block_sum(s);
    if (threadIdx.y == 0 && o < OC) dbias[o] += s;
}

void kernels_cuda_bias_backward(float *dbias, const float *dout, size_t N, int OC,
                                cudaStream_t stream)
{
    if (N == 0 || OC <= 0) return;
    dim3 block(COLRED_X, COLRED_Y);
    bias_backward_kernel<<<(OC + COLRED_X - 1) / COLRED_X, block, 0, stream>>>(dbias, dout, N, OC);
    CUDA_CHECK_LAUNCH();
}

void matmul_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int N, int C, int OC,
                          cudaStream_t stream)
{
    assert(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    cublasHandle_t h = kernels_cublas_handle(stream);
    if (dinp)     /* dinp[N,C] += dout[N,OC] @ weight[OC,C] */
        gemm_rm(h, false, false, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight)  /* dweight[OC,C] += dout^T[OC,N] @ inp[N,C] */
        gemm_rm(h, true, false, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias) kernels_cuda_bias_backward(dbias, dout, (size_t)N, OC, stream);
}

__global__ static void embedding_forward_kernel(float *out, const int *ids, const float *table,
                                                int N, int C)
{
    CUDA_FOR(i, (size_t)N * C) {
        size_t n = i / C, c = i % C;
        out[i] = table[(size_t)ids[n] * C + c];
    }
}

void embedding_forward_cuda(float *out, const int *ids, const float *table, int N, int C, int V,
                            cudaStream_t stream)
{
    (void)V;   /* ids in [0, V) is the caller's contract (ops.h); not checked on the device */
    size_t n = (size_t)N * C;
    if (n == 0) return;
    embedding_forward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, ids, table, N, C);
    CUDA_CHECK_LAUNCH();
}

/* One thread per column c walks the rows n = 0..N-1 in order and adds dout[n, c] into
 * dtable[ids[n], c]: the same additions in the same order as the CPU, so the result is
 * bit-identical to it, with no atomics. Parallelism is only C threads: fine for the token
 * embeddings here (N = B*T in the thousands); revisit if it ever shows in a profile. */
__global__ static void embedding_backward_kernel(float *dtable, const float *dout, const int *ids,
                                                 int N, int C)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    for (int n = 0; n < N; n++)
        dtable[(size_t)ids[n] * C + c] += dout[(size_t)n * C + c];
}

void embedding_backward_cuda(float *dtable, const float *dout, const int *ids, int N, int C,
                             int V, cudaStream_t stream)
{
    (void)V;
    if (N <= 0 || C <= 0) return;
    int threads = 128;
    embedding_backward_kernel<<<(C + threads - 1) / threads, threads, 0, stream>>>(dtable, dout,
                                                                                  ids, N, C);
    CUDA_CHECK_LAUNCH();
}
