/* elementwise.c: SiLU, GELU (tanh approximation), SwiGLU, residual add and scaling.
 * Pure per-element maps: parallel over blocks of elements, no reductions. The inner loops are
 * restrict-qualified KERNELS_HOT helpers over one block and use kexpf (kernels_internal.h),
 * so gcc vectorizes them (an OpenMP-outlined loop body alone does not). */
#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

#define EW_BLOCK 4096   /* elements per parallel work item */

static inline size_t ew_blocks(size_t n)
{
    return (n + EW_BLOCK - 1) / EW_BLOCK;
}

static inline size_t ew_len(size_t bk, size_t n)
{
    return n - bk * EW_BLOCK < EW_BLOCK ? n - bk * EW_BLOCK : EW_BLOCK;
}

/* tanh from kexpf: 1 - 2 / (exp(2x) + 1); absolute error ~1e-7 (relative error grows for
 * |x| < 1e-3, harmless in GELU where only 1 + tanh is used). */
static inline float ktanhf(float x)
{
    return 1.0f - 2.0f / (kexpf(2.0f * x) + 1.0f);
}

#define GELU_K 0.7978845608028654f   /* sqrt(2/pi) */

static KERNELS_HOT void silu_fwd_blk(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = x[i] * ksigmoidf(x[i]);
}

static KERNELS_HOT void silu_bwd_blk(float *restrict dx, const float *restrict g, const float *restrict x,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float s = ksigmoidf(x[i]);
        dx[i] += g[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}

static KERNELS_HOT void gelu_fwd_blk(float *restrict out, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = 0.5f * x[i] * (1.0f + ktanhf(GELU_K * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
}

static KERNELS_HOT void gelu_bwd_blk(float *restrict dx, const float *restrict g, const float *restrict x,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float th = ktanhf(GELU_K * (v + 0.044715f * v * v * v));
        float sech2 = 1.0f - th * th;
        dx[i] += g[i] * (0.5f * (1.0f + th) +
                         0.5f * v * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * v * v));
    }
}

void silu_forward(float *out, const float *inp, size_t n)
{
    size_t nb = ew_blocks(n);
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t bk = 0; bk < nb; bk++)
        silu_fwd_blk(out + bk * EW_BLOCK, inp + bk * EW_BLOCK, ew_len(bk, n));
}

void silu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    size_t nb = ew_blocks(n);
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t bk = 0; bk < nb; bk++)
        silu_bwd_blk(dinp + bk * EW_BLOCK, dout + bk * EW_BLOCK, inp + bk * EW_BLOCK, ew_len(bk, n));
}

void gelu_forward(float *out, const float *inp, size_t n)
{
    size_t nb = ew_blocks(n);
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t bk = 0; bk < nb; bk++)
        gelu_fwd_blk(out + bk * EW_BLOCK, inp + bk * EW_BLOCK, ew_len(bk, n));
}

void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    size_t nb = ew_blocks(n);
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t bk = 0; bk < nb; bk++)
        gelu_bwd_blk(dinp + bk * EW_BLOCK, dout + bk * EW_BLOCK, inp + bk * EW_BLOCK, ew_len(bk, n));
}

static KERNELS_HOT void swiglu_fwd_row(float *restrict o, const float *restrict a, const float *restrict b,
                           int F)
{
    for (int i = 0; i < F; i++) o[i] = a[i] * ksigmoidf(a[i]) * b[i];
}

static KERNELS_HOT void swiglu_bwd_row(float *restrict da, float *restrict db, const float *restrict g,
                           const float *restrict a, const float *restrict b, int F)
{
    for (int i = 0; i < F; i++) {
        float s = ksigmoidf(a[i]);
        da[i] += g[i] * b[i] * s * (1.0f + a[i] * (1.0f - s));
        db[i] += g[i] * a[i] * s;
    }
}

void swiglu_forward(float *out, const float *inp, int N, int F)
{
    OMP(parallel for schedule(static) if ((size_t)N * F > KERNELS_PAR_MIN / 4))
    for (int r = 0; r < N; r++) {
        const float *a = inp + (size_t)r * 2 * F;
        swiglu_fwd_row(out + (size_t)r * F, a, a + F, F);
    }
}

void swiglu_backward(float *dinp, const float *dout, const float *inp, int N, int F)
{
    OMP(parallel for schedule(static) if ((size_t)N * F > KERNELS_PAR_MIN / 4))
    for (int r = 0; r < N; r++) {
        const float *a = inp + (size_t)r * 2 * F;
        float *da = dinp + (size_t)r * 2 * F;
        swiglu_bwd_row(da, da + F, dout + (size_t)r * F, a, a + F, F);
    }
}

/* out may alias a or b, so no restrict here (gcc versions the loop on aliasing). */
void add_forward(float *out, const float *a, const float *b, size_t n)
{
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN))
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void add_backward(float *da, float *db, const float *dout, size_t n)
{
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN))
    for (size_t i = 0; i < n; i++) {
        if (da) da[i] += dout[i];
        if (db) db[i] += dout[i];
    }
}

void scale_inplace(float *x, size_t n, float s)
{
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN))
    for (size_t i = 0; i < n; i++) x[i] *= s;
}
