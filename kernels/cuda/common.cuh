/* common.cuh: helpers shared by the .cu files of kernels/cuda/ (not part of the API).
 *
 *   CUDA_CHECK / CUBLAS_CHECK / CUDA_CHECK_LAUNCH  die with file:line and the error string
 *   grid_for(n)          blocks for a grid-stride elementwise loop over n elements
 *   block_sum / block_max  fixed-order block reductions (deterministic, no atomics)
 *   col_block_sum        the per-column sum of a [COLRED_Y x COLRED_X] block (weight and
 *                        bias gradients: reduce over rows, one block per 32 columns)
 *   gemm_rm / gemm_rm_batched  row-major sgemm on top of column-major cuBLAS
 *
 * Every kernel launch is followed by CUDA_CHECK_LAUNCH(), which catches bad launch
 * configurations; errors inside a running kernel surface at the next synchronizing call.
 */
#ifndef VIDEOGO_KERNELS_CUDA_COMMON_CUH
#define VIDEOGO_KERNELS_CUDA_COMMON_CUH

#include <stddef.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "kernels/cuda/ops_cuda.h"

#define CUDA_CHECK(call) kernels_cuda_check_at((call), #call, __FILE__, __LINE__)
#define CUDA_CHECK_LAUNCH() \
    kernels_cuda_check_at(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
#define CUBLAS_CHECK(call) kernels_cublas_check_at((call), #call, __FILE__, __LINE__)

void kernels_cublas_check_at(cublasStatus_t st, const char *what, const char *file, int line);
/* The process-wide cuBLAS handle (created on first use), bound to `stream`. */
cublasHandle_t kernels_cublas_handle(cudaStream_t stream);

/* Threads per block of every 1-D kernel; a multiple of 32 (the reductions need full warps). */
#define CUDA_BLOCK 256
/* Cap on the blocks of a grid-stride loop (enough to fill any current GPU many times over). */
#define CUDA_MAX_GRID 65535

static inline unsigned grid_for(size_t n)
{
    size_t g = (n + CUDA_BLOCK - 1) / CUDA_BLOCK;
    if (g < 1) g = 1;
    if (g > CUDA_MAX_GRID) g = CUDA_MAX_GRID;
    return (unsigned)g;
}

/* Grid-stride loop over [0, n) with a size_t index. */
#define CUDA_FOR(i, n) \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (size_t)gridDim.x * blockDim.x)

/* Sum of v over the whole block, returned to every thread. blockDim.x must be a multiple of
 * 32 and at most 1024, and every thread of the block must call it (it synchronizes). The
 * order of additions is fixed by the block shape: the same inputs give the same bits. */
template <typename T>
__device__ T block_sum(T v)
{
    __shared__ T warp_part[32];
    __shared__ T total;
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    __syncthreads();   /* a previous call may still be reading warp_part / total */
    if (lane == 0) warp_part[wid] = v;
    __syncthreads();
    if (wid == 0) {
        int nw = (int)(blockDim.x >> 5);
        v = lane < nw ? warp_part[lane] : (T)0;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
        if (lane == 0) total = v;
    }
    __syncthreads();
    return total;
}

/* Maximum of v over the block (same rules as block_sum). */
__device__ inline float block_max(float v)
{
    __shared__ float warp_part[32];
    __shared__ float total;
    int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
    __syncthreads();
    if (lane == 0) warp_part[wid] = v;
    __syncthreads();
    if (wid == 0) {
        int nw = (int)(blockDim.x >> 5);
        v = lane < nw ? warp_part[lane] : -INFINITY;
        for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
        if (lane == 0) total = v;
    }
    __syncthreads();
    return total;
}

/* Column reductions: a block of COLRED_X x COLRED_Y threads owns COLRED_X consecutive columns;
 * thread (x, y) sums rows y, y + COLRED_Y, ... of column x in row order, then col_block_sum adds
 * the COLRED_Y partial sums of each column in y order. The result is valid in threads y == 0.
 * All threads of the block must call it. */
#define COLRED_X 32
#define COLRED_Y 16

__device__ inline float col_block_sum(float v)
{
    __shared__ float part[COLRED_Y][COLRED_X + 1];
    __syncthreads();
    part[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    float s = 0.0f;
    if (threadIdx.y == 0)
        for (int y = 0; y < COLRED_Y; y++) s += part[y][threadIdx.x];
    return s;
}

/* Row-major sgemm with the semantics of cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, ...):
 *   C[M,N] = alpha * op(A) op(B) + beta * C,  op(A) is M x K, op(B) is K x N, row-major with
 *   leading dimensions lda, ldb, ldc (elements between rows).
 * Derivation: a row-major matrix X[r, c] with leading dimension ld occupies memory exactly as
 * the column-major matrix X^T [c, r] with the same ld ("the column-major view of X is X^T").
 * The row-major product C = op(A) op(B) is the column-major product C^T = op(B)^T op(A)^T,
 * and the column-major view of C's memory is C^T, so we ask cuBLAS for op(B)^T op(A)^T:
 *   - op(B)^T: when tb = no-transpose, op(B)^T = B^T, which is the column-major view of B's
 *     memory: cuBLAS flag N. When tb = transpose, op(B)^T = B, the transpose of that view:
 *     cuBLAS flag T. So B goes FIRST with the SAME flag; likewise A goes second with ta.
 *   - sizes: C^T is N x M, so cuBLAS m = N, n = M, k = K.
 *   - leading dimensions are unchanged (ldb, lda, ldc): tb = N means B is K x N row-major,
 *     ldb >= N = cuBLAS m, as cuBLAS requires of an untransposed first operand; tb = T means
 *     B is N x K row-major, ldb >= K = cuBLAS k, as required of a transposed one. Same for A.
 * Example: matmul_forward out[N,OC] = inp[N,C] @ weight[OC,C]^T is gemm_rm(N, T, N, OC, C,
 * inp, C, weight, C, out, OC) -> cublasSgemm(T, N, m=OC, n=N, k=C, weight, C, inp, C, out, OC),
 * i.e. out^T[OC,N] = weight[OC,C] @ inp^T[C,N] in column-major terms. */
static inline void gemm_rm(cublasHandle_t h, bool ta, bool tb, int M, int N, int K, float alpha,
                           const float *A, int lda, const float *B, int ldb, float beta,
                           float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    CUBLAS_CHECK(cublasSgemm(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                             N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc));
}

/* `count` independent gemm_rm products; matrix i uses A + i*sA, B + i*sB, C + i*sC. */
static inline void gemm_rm_batched(cublasHandle_t h, bool ta, bool tb, int M, int N, int K,
                                   float alpha, const float *A, int lda, long long sA,
                                   const float *B, int ldb, long long sB, float beta, float *C,
                                   int ldc, long long sC, int count)
{
    if (M <= 0 || N <= 0 || count <= 0) return;
    CUBLAS_CHECK(cublasSgemmStridedBatched(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                           ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
                                           B, ldb, sB, A, lda, sA, &beta, C, ldc, sC, count));
}

/* dbias[OC] += sum over the N rows of dout[N,OC] (linear.cu; shared by matmul and conv2d). */
void kernels_cuda_bias_backward(float *dbias, const float *dout, size_t N, int OC,
                                cudaStream_t stream);

#endif
