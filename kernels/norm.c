/* norm.c: RMSNorm, LayerNorm and GroupNorm (NHWC), forward and backward.
 *
 * Row statistics are accumulated in double (cheap at these widths, and it keeps float32 noise
 * out of the finite-difference tests). Input gradients are computed per row (or per (b, group))
 * in parallel; weight/bias gradients are reduced over rows per column block, each block owned
 * by one thread walking the rows in order (deterministic, thread-count independent).
 */
#include <assert.h>
#include <math.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

#define COL_BLOCK 64

static KERNELS_HOT float rms_row(float *restrict o, const float *restrict x,
                                  const float *restrict w, int C, float eps)
{
    double ss = 0.0;
    for (int c = 0; c < C; c++) ss += (double)x[c] * x[c];
    float r = (float)(1.0 / sqrt(ss / C + eps));
    for (int c = 0; c < C; c++) o[c] = x[c] * r * w[c];
    return r;
}

static KERNELS_HOT void rms_row_backward(float *restrict dx, const float *restrict g,
                                         const float *restrict x, const float *restrict w,
                                         float r, int C)
{
    double dot = 0.0;   /* sum_i w_i g_i x_i */
    for (int c = 0; c < C; c++) dot += (double)(w[c] * g[c]) * x[c];
    float k = (float)((double)r * r * r * dot / C);
    for (int c = 0; c < C; c++) dx[c] += r * w[c] * g[c] - k * x[c];
}

/* dw[c0..c1) += sum over rows of g * x * rstd (one column block, rows in order). */
static KERNELS_HOT void rms_dweight_cols(float *restrict dw, const float *restrict g,
                                         const float *restrict x, const float *restrict rstd,
                                         int N, int C, int c0, int c1)
{
    for (int n = 0; n < N; n++) {
        const float *gn = g + (size_t)n * C, *xn = x + (size_t)n * C;
        float r = rstd[n];
        for (int c = c0; c < c1; c++) dw[c] += gn[c] * xn[c] * r;
    }
}

void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight,
                     int N, int C, float eps)
{
    OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
    for (int n = 0; n < N; n++)
        rstd[n] = rms_row(out + (size_t)n * C, inp + (size_t)n * C, weight, C, eps);
}

void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C)
{
    if (dinp) {
        OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
        for (int n = 0; n < N; n++)
            rms_row_backward(dinp + (size_t)n * C, dout + (size_t)n * C, inp + (size_t)n * C,
                             weight, rstd[n], C);
    }
    if (dweight) {
        int nb = (C + COL_BLOCK - 1) / COL_BLOCK;
        OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
        for (int bk = 0; bk < nb; bk++) {
            int c0 = bk * COL_BLOCK, c1 = c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C;
            rms_dweight_cols(dweight, dout, inp, rstd, N, C, c0, c1);
        }
    }
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int C, float eps)
{
    OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        double s = 0.0, ss = 0.0;
        for (int c = 0; c < C; c++) s += x[c];
        double mu = s / C;
        for (int c = 0; c < C; c++) ss += (x[c] - mu) * (x[c] - mu);
        float m = (float)mu, r = (float)(1.0 / sqrt(ss / C + eps));
        float *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * r * weight[c] + (bias ? bias[c] : 0.0f);
        mean[n] = m;
        rstd[n] = r;
    }
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C)
{
    if (dinp) {
        OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
            float m = mean[n], r = rstd[n];
            double s1 = 0.0, s2 = 0.0;   /* sum dxhat, sum dxhat * xhat */
            for (int c = 0; c < C; c++) {
                float dxh = g[c] * weight[c];
                s1 += dxh;
                s2 += (double)dxh * (x[c] - m) * r;
            }
            float a = (float)(s1 / C), b = (float)(s2 / C);
            float *dx = dinp + (size_t)n * C;
            for (int c = 0; c < C; c++) {
                float xh = (x[c] - m) * r;
                dx[c] += r * (g[c] * weight[c] - a - xh * b);
            }
        }
    }
    if (dweight || dbias) {
        int nb = (C + COL_BLOCK - 1) / COL_BLOCK;
        OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
        for (int bk = 0; bk < nb; bk++) {
            int c0 = bk * COL_BLOCK, c1 = c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C;
            for (int n = 0; n < N; n++) {
                const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
                float m = mean[n], r = rstd[n];
                for (int c = c0; c < c1; c++) {
                    if (dweight) dweight[c] += g[c] * (x[c] - m) * r;
                    if (dbias) dbias[c] += g[c];
                }
            }
        }
    }
}

void groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int B, int HW, int C, int G,
                       float eps)
{
    assert(G > 0 && C % G == 0);
    int CG = C / G;
    OMP(parallel for schedule(static) if ((size_t)B * HW * C > KERNELS_PAR_MIN))
    for (int bg = 0; bg < B * G; bg++) {
        int b = bg / G, g = bg % G;
        const float *x0 = inp + (size_t)b * HW * C + (size_t)g * CG;
        double s = 0.0, ss = 0.0;
        for (int p = 0; p < HW; p++)
            for (int c = 0; c < CG; c++) s += x0[(size_t)p * C + c];
        double mu = s / ((double)HW * CG);
        for (int p = 0; p < HW; p++)
            for (int c = 0; c < CG; c++) {
                double d = x0[(size_t)p * C + c] - mu;
                ss += d * d;
            }
        float m = (float)mu, r = (float)(1.0 / sqrt(ss / ((double)HW * CG) + eps));
        float *o0 = out + (size_t)b * HW * C + (size_t)g * CG;
        const float *w = weight + (size_t)g * CG, *bi = bias ? bias + (size_t)g * CG : NULL;
        for (int p = 0; p < HW; p++)
            for (int c = 0; c < CG; c++)
                o0[(size_t)p * C + c] = (x0[(size_t)p * C + c] - m) * r * w[c] + (bi ? bi[c] : 0.0f);
        mean[bg] = m;
        rstd[bg] = r;
    }
}

void groupnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int B, int HW, int C, int G)
{
    assert(G > 0 && C % G == 0);
    int CG = C / G;
    if (dinp) {
        OMP(parallel for schedule(static) if ((size_t)B * HW * C > KERNELS_PAR_MIN))
        for (int bg = 0; bg < B * G; bg++) {
            int b = bg / G, g = bg % G;
            size_t off = (size_t)b * HW * C + (size_t)g * CG;
            const float *x0 = inp + off, *g0 = dout + off, *w = weight + (size_t)g * CG;
            float m = mean[bg], r = rstd[bg];
            double s1 = 0.0, s2 = 0.0;
            for (int p = 0; p < HW; p++)
                for (int c = 0; c < CG; c++) {
                    float dxh = g0[(size_t)p * C + c] * w[c];
                    s1 += dxh;
                    s2 += (double)dxh * (x0[(size_t)p * C + c] - m) * r;
                }
            double cnt = (double)HW * CG;
            float a = (float)(s1 / cnt), bb = (float)(s2 / cnt);
            float *dx0 = dinp + off;
            for (int p = 0; p < HW; p++)
                for (int c = 0; c < CG; c++) {
                    size_t i = (size_t)p * C + c;
                    float xh = (x0[i] - m) * r;
                    dx0[i] += r * (g0[i] * w[c] - a - xh * bb);
                }
        }
    }
    if (dweight || dbias) {
        int nb = (C + COL_BLOCK - 1) / COL_BLOCK;
        OMP(parallel for schedule(static) if ((size_t)B * HW * C > KERNELS_PAR_MIN))
        for (int bk = 0; bk < nb; bk++) {
            int c0 = bk * COL_BLOCK, c1 = c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C;
            for (int b = 0; b < B; b++)
                for (int p = 0; p < HW; p++) {
                    size_t row = ((size_t)b * HW + p) * C;
                    for (int c = c0; c < c1; c++) {
                        int bg = b * G + c / CG;
                        if (dweight) dweight[c] += dout[row + c] * (inp[row + c] - mean[bg]) * rstd[bg];
                        if (dbias) dbias[c] += dout[row + c];
                    }
                }
        }
    }
}
