/* fsq.cu: finite scalar quantization (see ops.h for the formulas) on CUDA.
 * CPU twin: kernels/fsq.c.
 *
 * Dimension letters: N rows (vectors), D dimensions (levels per dimension in levels[D]).
 * levels[] is host memory: the per-dimension constants are computed on the host exactly as the
 * CPU computes them (in double, then rounded to float) and passed to the kernels by value.
 * One thread per row for fsq_forward (it packs the code), one per element otherwise.
 * Caveat for the parity test: device tanhf may differ from glibc's in the last ulp, so a value
 * within an ulp of a rounding boundary can round to the neighbouring level.
 */
#include <assert.h>
#include <limits.h>
#include <math.h>

#include "kernels/cuda/common.cuh"

#define FSQ_MAX_D 64   /* the CPU's limit */
#define FSQ_EPS 1e-3

typedef struct {
    float half_l, offset, shift, inv_hw;
    int L, hw, basis;
} fsq_dim_t;

/* By value as a kernel parameter: 64 * 28 + 4 bytes, well under the 4 KiB parameter limit. */
typedef struct {
    int D;
    fsq_dim_t dim[FSQ_MAX_D];
} fsq_params_t;

static fsq_params_t fsq_setup(const int *levels, int D)
{
    assert(D > 0 && D <= FSQ_MAX_D);
    fsq_params_t p;
    p.D = D;
    long basis = 1;
    for (int i = 0; i < D; i++) {
        int L = levels[i];
        assert(L >= 2);
        double half_l = (L - 1) * (1.0 + FSQ_EPS) / 2.0;   /* ops.h: (1 + eps), not (1 - eps) */
        double offset = L % 2 == 0 ? 0.5 : 0.0;
        p.dim[i].half_l = (float)half_l;
        p.dim[i].offset = (float)offset;
        p.dim[i].shift = (float)atanh(offset / half_l);
        p.dim[i].L = L;
        p.dim[i].hw = L / 2;
        p.dim[i].inv_hw = 1.0f / (float)(L / 2);
        p.dim[i].basis = (int)basis;
        basis *= L;
        assert(basis <= INT_MAX);
    }
    for (int i = D; i < FSQ_MAX_D; i++) p.dim[i] = fsq_dim_t{0.0f, 0.0f, 0.0f, 0.0f, 1, 0, 1};
    return p;
}

__global__ static void fsq_forward_kernel(float *zhat, int *codes, const float *z, int N,
                                          fsq_params_t prm)
{
    int D = prm.D;
    CUDA_FOR(n, (size_t)N) {
        int code = 0;
        for (int i = 0; i < D; i++) {
            const fsq_dim_t *p = &prm.dim[i];
            float b = tanhf(z[n * D + i] + p->shift) * p->half_l - p->offset;
            float q = rintf(b);
            int digit = (int)q + p->hw;
            if (digit < 0) digit = 0;              /* as on the CPU: codes stay valid */
            if (digit >= p->L) digit = p->L - 1;
            zhat[n * D + i] = (float)(digit - p->hw) * p->inv_hw;
            code += digit * p->basis;
        }
        if (codes) codes[n] = code;
    }
}

__global__ static void fsq_backward_kernel(float *dz, const float *dzhat, const float *z, int N,
                                           fsq_params_t prm)
{
    int D = prm.D;
    CUDA_FOR(j, (size_t)N * D) {
        const fsq_dim_t *p = &prm.dim[j % D];
        float th = tanhf(z[j] + p->shift);
        dz[j] += dzhat[j] * p->half_l * p->inv_hw * (1.0f - th * th);
    }
}

__global__ static void fsq_decode_kernel(float *zhat, const int *codes, int N, fsq_params_t prm)
{
    int D = prm.D;
    CUDA_FOR(j, (size_t)N * D) {
        const fsq_dim_t *p = &prm.dim[j % D];
        int digit = codes[j / D] / p->basis % p->L;
        zhat[j] = (float)(digit - p->hw) * p->inv_hw;
    }
}

__global__ static void fsq_digits_kernel(int *digits, const int *codes, int N, fsq_params_t prm)
{
    int D = prm.D;
    CUDA_FOR(j, (size_t)N * D) {
        const fsq_dim_t *p = &prm.dim[j % D];
        digits[j] = codes[j / D] / p->basis % p->L;
    }
}

void fsq_forward_cuda(float *zhat, int *codes, const float *z, const int *levels, int N, int D,
                      cudaStream_t stream)
{
    fsq_params_t prm = fsq_setup(levels, D);
    if (N <= 0) return;
    fsq_forward_kernel<<<grid_for((size_t)N), CUDA_BLOCK, 0, stream>>>(zhat, codes, z, N, prm);
    CUDA_CHECK_LAUNCH();
}

void fsq_backward_cuda(float *dz, const float *dzhat, const float *z, const int *levels, int N,
                       int D, cudaStream_t stream)
{
    fsq_params_t prm = fsq_setup(levels, D);
    if (N <= 0) return;
    fsq_backward_kernel<<<grid_for((size_t)N * D), CUDA_BLOCK, 0, stream>>>(dz, dzhat, z, N, prm);
    CUDA_CHECK_LAUNCH();
}

void fsq_decode_cuda(float *zhat, const int *codes, const int *levels, int N, int D,
                     cudaStream_t stream)
{
    fsq_params_t prm = fsq_setup(levels, D);
    if (N <= 0) return;
    fsq_decode_kernel<<<grid_for((size_t)N * D), CUDA_BLOCK, 0, stream>>>(zhat, codes, N, prm);
    CUDA_CHECK_LAUNCH();
}

void fsq_digits_cuda(int *digits, const int *codes, const int *levels, int N, int D,
                     cudaStream_t stream)
{
    fsq_params_t prm = fsq_setup(levels, D);
    if (N <= 0) return;
    fsq_digits_kernel<<<grid_for((size_t)N * D), CUDA_BLOCK, 0, stream>>>(digits, codes, N, prm);
    CUDA_CHECK_LAUNCH();
}
