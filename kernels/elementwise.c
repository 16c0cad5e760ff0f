/* elementwise.c: SiLU, GELU (tanh approximation), SwiGLU, residual add and scaling.
 * Pure per-element maps: parallel over elements, no reductions. */
#include <math.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

static inline float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

void silu_forward(float *out, const float *inp, size_t n)
{
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t i = 0; i < n; i++) out[i] = inp[i] * sigmoidf(inp[i]);
}

void silu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t i = 0; i < n; i++) {
        float s = sigmoidf(inp[i]);
        dinp[i] += dout[i] * s * (1.0f + inp[i] * (1.0f - s));
    }
}

#define GELU_K 0.7978845608028654f   /* sqrt(2/pi) */

void gelu_forward(float *out, const float *inp, size_t n)
{
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanhf(GELU_K * (x + 0.044715f * x * x * x)));
    }
}

void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float th = tanhf(GELU_K * (x + 0.044715f * x * x * x));
        float sech2 = 1.0f - th * th;
        float g = 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
        dinp[i] += dout[i] * g;
    }
}

void swiglu_forward(float *out, const float *inp, int N, int F)
{
    OMP(parallel for schedule(static) if ((size_t)N * F > KERNELS_PAR_MIN / 4))
    for (int r = 0; r < N; r++) {
        const float *a = inp + (size_t)r * 2 * F, *b = a + F;
        float *o = out + (size_t)r * F;
        for (int i = 0; i < F; i++) o[i] = a[i] * sigmoidf(a[i]) * b[i];
    }
}

void swiglu_backward(float *dinp, const float *dout, const float *inp, int N, int F)
{
    OMP(parallel for schedule(static) if ((size_t)N * F > KERNELS_PAR_MIN / 4))
    for (int r = 0; r < N; r++) {
        const float *a = inp + (size_t)r * 2 * F, *b = a + F, *g = dout + (size_t)r * F;
        float *da = dinp + (size_t)r * 2 * F, *db = da + F;
        for (int i = 0; i < F; i++) {
            float s = sigmoidf(a[i]);
            da[i] += g[i] * b[i] * s * (1.0f + a[i] * (1.0f - s));
            db[i] += g[i] * a[i] * s;
        }
    }
}

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
