/* norm.cu: RMSNorm, LayerNorm and GroupNorm (NHWC), forward and backward, on CUDA.
 * CPU twin: kernels/norm.c (same formulas, term for term).
 *
 * Dimension letters: N rows, C channels, B batch, HW pixels per image, G groups, CG = C/G.
 *
 * Row statistics (and the two sums of each backward) are one block per row (per (b, g) for
 * GroupNorm) with a fixed-order block reduction in double, as the CPU accumulates in double.
 * Weight and bias gradients are column reductions over rows: one block per 32 columns, each
 * thread summing a fixed stride of rows, then a fixed-order sum of the partials. No atomics.
 */
#include <assert.h>

#include "kernels/cuda/common.cuh"

/* ---- RMSNorm ---------------------------------------------------------------------------- */

__global__ static void rmsnorm_forward_kernel(float *out, float *rstd, const float *inp,
                                              const float *weight, int C, float eps)
{
    size_t n = blockIdx.x;
    const float *x = inp + n * C;
    double ss = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) ss += (double)x[c] * x[c];
    ss = block_sum(ss);
    float r = (float)(1.0 / sqrt(ss / C + eps));
    float *o = out + n * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) o[c] = x[c] * r * weight[c];
    if (threadIdx.x == 0) rstd[n] = r;
}

__global__ static void rmsnorm_dinp_kernel(float *dinp, const float *dout, const float *inp,
                                           const float *weight, const float *rstd, int C)
{
    size_t n = blockIdx.x;
    const float *x = inp + n * C, *g = dout + n * C;
    double dot = 0.0;   /* sum_i w_i g_i x_i */
    for (int c = threadIdx.x; c < C; c += blockDim.x) dot += (double)weight[c] * g[c] * x[c];
    dot = block_sum(dot);
    float r = rstd[n];
    float k = (float)((double)r * r * r * dot / C);
    float *dx = dinp + n * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) dx[c] += r * weight[c] * g[c] - k * x[c];
}

__global__ static void rmsnorm_dweight_kernel(float *dweight, const float *dout, const float *inp,
                                              const float *rstd, int N, int C)
{
    int c = blockIdx.x * COLRED_X + threadIdx.x;
    float s = 0.0f;
    if (c < C)
        for (int n = threadIdx.y; n < N; n += COLRED_Y) {
            size_t i = (size_t)n * C + c;
            s += dout[i] * inp[i] * rstd[n];
        }
    s = col_block_sum(s);
    if (threadIdx.y == 0 && c < C) dweight[c] += s;
}

void rmsnorm_forward_cuda(float *out, float *rstd, const float *inp, const float *weight, int N,
                          int C, float eps, cudaStream_t stream)
{
    assert(N >= 0 && C > 0);
    if (N == 0) return;
    rmsnorm_forward_kernel<<<N, CUDA_BLOCK, 0, stream>>>(out, rstd, inp, weight, C, eps);
    CUDA_CHECK_LAUNCH();
}

void rmsnorm_backward_cuda(float *dinp, float *dweight, const float *dout, const float *inp,
                           const float *weight, const float *rstd, int N, int C,
                           cudaStream_t stream)
{
    assert(N >= 0 && C > 0);
    if (N == 0) return;
    if (dinp) {
        rmsnorm_dinp_kernel<<<N, CUDA_BLOCK, 0, stream>>>(dinp, dout, inp, weight, rstd, C);
        CUDA_CHECK_LAUNCH();
    }
    if (dweight) {
        dim3 block(COLRED_X, COLRED_Y);
        rmsnorm_dweight_kernel<<<(C + COLRED_X - 1) / COLRED_X, block, 0, stream>>>(
            dweight, dout, inp, rstd, N, C);
        CUDA_CHECK_LAUNCH();
    }
}

/* ---- LayerNorm -------------------------------------------------------------------------- */

__global__ static void layernorm_forward_kernel(float *out, float *mean, float *rstd,
                                                const float *inp, const float *weight,
                                                const float *bias, int C, float eps)
{
    size_t n = blockIdx.x;
    const float *x = inp + n * C;
    double s = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) s += x[c];
    s = block_sum(s);
    double mu = s / C, ss = 0.0;
    for (int c = threadIdx.x; c < C; c += blockDim.x) ss += (x[c] - mu) * (x[c] - mu);
    ss = block_sum(ss);
    float m = (float)mu, r = (float)(1.0 / sqrt(ss / C + eps));
    float *o = out + n * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        o[c] = (x[c] - m) * r * weight[c] + (bias ? bias[c] : 0.0f);
    if (threadIdx.x == 0) {
        mean[n] = m;
        rstd[n] = r;
    }
}

__global__ static void layernorm_dinp_kernel(float *dinp, const float *dout, const float *inp,
                                             const float *weight, const float *mean,
                                             const float *rstd, int C)
{
    size_t n = blockIdx.x;
    const float *x = inp + n * C, *g = dout + n * C;
    float m = mean[n], r = rstd[n];
    double s1 = 0.0, s2 = 0.0;   /* sum dxhat, sum dxhat * xhat */
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float dxh = g[c] * weight[c];
        s1 += dxh;
        s2 += (double)dxh * (x[c] - m) * r;
    }
    s1 = block_sum(s1);
    s2 = block_sum(s2);
    float a = (float)(s1 / C), b = (float)(s2 / C);
    float *dx = dinp + n * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float xh = (x[c] - m) * r;
        dx[c] += r * (g[c] * weight[c] - a - xh * b);
    }
}

__global__ static void layernorm_dparam_kernel(float *dweight, float *dbias, const float *dout,
                                               const float *inp, const float *mean,
                                               const float *rstd, int N, int C)
{
    int c = blockIdx.x * COLRED_X + threadIdx.x;
    float sw = 0.0f, sb = 0.0f;
    if (c < C)
        for (int n = threadIdx.y; n < N; n += COLRED_Y) {
            size_t i = (size_t)n * C + c;
            sw += dout[i] * (inp[i] - mean[n]) * rstd[n];
            sb += dout[i];
        }
    sw = col_block_sum(sw);
    sb = col_block_sum(sb);
    if (threadIdx.y == 0 && c < C) {
        if (dweight) dweight[c] += sw;
        if (dbias) dbias[c] += sb;
    }
}

void layernorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int N, int C, float eps,
                            cudaStream_t stream)
{
    assert(N >= 0 && C > 0);
    if (N == 0) return;
    layernorm_forward_kernel<<<N, CUDA_BLOCK, 0, stream>>>(out, mean, rstd, inp, weight, bias, C,
                                                           eps);
    CUDA_CHECK_LAUNCH();
}

void layernorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *mean,
                             const float *rstd, int N, int C, cudaStream_t stream)
{
    assert(N >= 0 && C > 0);
    if (N == 0) return;
    if (dinp) {
        layernorm_dinp_kernel<<<N, CUDA_BLOCK, 0, stream>>>(dinp, dout, inp, weight, mean, rstd,
                                                            C);
        CUDA_CHECK_LAUNCH();
    }
    if (dweight || dbias) {
        dim3 block(COLRED_X, COLRED_Y);
        layernorm_dparam_kernel<<<(C + COLRED_X - 1) / COLRED_X, block, 0, stream>>>(
            dweight, dbias, dout, inp, mean, rstd, N, C);
        CUDA_CHECK_LAUNCH();
    }
}

/* ---- GroupNorm -------------------------------------------------------------------------- */

/* One block per (b, g): the HW x CG values of group g of image b (element e = p*CG + c). */
__global__ static void groupnorm_forward_kernel(float *out, float *mean, float *rstd,
                                                const float *inp, const float *weight,
                                                const float *bias, int HW, int C, int G,
                                                float eps)
{
    int bg = blockIdx.x, b = bg / G, g = bg % G, CG = C / G;
    size_t off = (size_t)b * HW * C + (size_t)g * CG, cnt = (size_t)HW * CG;
    const float *x0 = inp + off;
    double s = 0.0;
    for (size_t e = threadIdx.x; e < cnt; e += blockDim.x) s += x0[e / CG * C + e % CG];
    s = block_sum(s);
    double mu = s / (double)cnt, ss = 0.0;
    for (size_t e = threadIdx.x; e < cnt; e += blockDim.x) {
        double d = x0[e / CG * C + e % CG] - mu;
        ss += d * d;
    }
    ss = block_sum(ss);
    float m = (float)mu, r = (float)(1.0 / sqrt(ss / (double)cnt + eps));
    float *o0 = out + off;
    const float *w = weight + (size_t)g * CG, *bi = bias ? bias + (size_t)g * CG : NULL;
    for (size_t e = threadIdx.x; e < cnt; e += blockDim.x) {
        size_t i = e / CG * C, c = e % CG;
        o0[i + c] = (x0[i + c] - m) * r * w[c] + (bi ? bi[c] : 0.0f);
    }
    if (threadIdx.x == 0) {
        mean[bg] = m;
        rstd[bg] = r;
    }
}

__global__ static void groupnorm_dinp_kernel(float *dinp, const float *dout, const float *inp,
                                             const float *weight, const float *mean,
                                             const float *rstd, int HW, int C, int G)
{
    int bg = blockIdx.x, b = bg / G, g = bg % G, CG = C / G;
    size_t off = (size_t)b * HW * C + (size_t)g * CG, cnt = (size_t)HW * CG;
    const float *x0 = inp + off, *g0 = dout + off, *w = weight + (size_t)g * CG;
    float m = mean[bg], r = rstd[bg];
    double s1 = 0.0, s2 = 0.0;
    for (size_t e = threadIdx.x; e < cnt; e += blockDim.x) {
        size_t i = e / CG * C + e % CG;
        float dxh = g0[i] * w[e % CG];
        s1 += dxh;
        s2 += (double)dxh * (x0[i] - m) * r;
    }
    s1 = block_sum(s1);
    s2 = block_sum(s2);
    float a = (float)(s1 / (double)cnt), bb = (float)(s2 / (double)cnt);
    float *dx0 = dinp + off;
    for (size_t e = threadIdx.x; e < cnt; e += blockDim.x) {
        size_t i = e / CG * C + e % CG;
        float xh = (x0[i] - m) * r;
        dx0[i] += r * (g0[i] * w[e % CG] - a - xh * bb);
    }
}

/* Column reduction over the B*HW pixel rows; row rr belongs to image rr / HW. */
__global__ static void groupnorm_dparam_kernel(float *dweight, float *dbias, const float *dout,
                                               const float *inp, const float *mean,
                                               const float *rstd, int B, int HW, int C, int G)
{
    int c = blockIdx.x * COLRED_X + threadIdx.x, CG = C / G;
    size_t rows = (size_t)B * HW;
    float sw = 0.0f, sb = 0.0f;
    if (c < C)
        for (size_t rr = threadIdx.y; rr < rows; rr += COLRED_Y) {
            size_t i = rr * C + c;
            int bg = (int)(rr / HW) * G + c / CG;
            sw += dout[i] * (inp[i] - mean[bg]) * rstd[bg];
            sb += dout[i];
        }
    sw = col_block_sum(sw);
    sb = col_block_sum(sb);
    if (threadIdx.y == 0 && c < C) {
        if (dweight) dweight[c] += sw;
        if (dbias) dbias[c] += sb;
    }
}

void groupnorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int B, int HW, int C, int G,
                            float eps, cudaStream_t stream)
{
    assert(G > 0 && C % G == 0 && B >= 0 && HW > 0);
    if (B == 0) return;
    groupnorm_forward_kernel<<<B * G, CUDA_BLOCK, 0, stream>>>(out, mean, rstd, inp, weight, bias,
                                                               HW, C, G, eps);
    CUDA_CHECK_LAUNCH();
}

void groupnorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *mean,
                             const float *rstd, int B, int HW, int C, int G,
                             cudaStream_t stream)
{
    assert(G > 0 && C % G == 0 && B >= 0 && HW > 0);
    if (B == 0) return;
    if (dinp) {
        groupnorm_dinp_kernel<<<B * G, CUDA_BLOCK, 0, stream>>>(dinp, dout, inp, weight, mean,
                                                                rstd, HW, C, G);
        CUDA_CHECK_LAUNCH();
    }
    if (dweight || dbias) {
        dim3 block(COLRED_X, COLRED_Y);
        groupnorm_dparam_kernel<<<(C + COLRED_X - 1) / COLRED_X, block, 0, stream>>>(
            dweight, dbias, dout, inp, mean, rstd, B, HW, C, G);
        CUDA_CHECK_LAUNCH();
    }
}
