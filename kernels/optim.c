/* optim.c: AdamW, the squared gradient norm for global-norm clipping, and the host-side
 * clipping factor and learning-rate schedule (warmup + cosine). */
#include <math.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

#define NORM_SUPER 256   /* blocks per pass: block sums live on the stack, added in order */

void norm_sq_accumulate(float *out, const float *x, size_t n)
{
    double total = 0.0;
    for (size_t base = 0; base < n; base += (size_t)NORM_SUPER * KERNELS_RED_BLOCK) {
        double part[NORM_SUPER];
        size_t left = n - base;
        int nb = (int)((left + KERNELS_RED_BLOCK - 1) / KERNELS_RED_BLOCK);
        if (nb > NORM_SUPER) nb = NORM_SUPER;
        OMP(parallel for schedule(static) if (left > KERNELS_PAR_MIN))
        for (int bk = 0; bk < nb; bk++) {
            size_t i0 = base + (size_t)bk * KERNELS_RED_BLOCK, i1 = i0 + KERNELS_RED_BLOCK;
            if (i1 > n) i1 = n;
            double s = 0.0;
            for (size_t i = i0; i < i1; i++) s += (double)x[i] * x[i];
            part[bk] = s;
        }
        for (int bk = 0; bk < nb; bk++) total += part[bk];
    }
    *out += (float)total;
}

static KERNELS_HOT void adamw_block(float *restrict p, const float *restrict grads,
                                     float *restrict m, float *restrict v, size_t n, float lr,
                                     float beta1, float beta2, float eps, float wd, float gs,
                                     float c1, float c2)
{
    for (size_t i = 0; i < n; i++) {
        float g = gs * grads[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * ((mi * c1) / (sqrtf(vi * c2) + eps) + wd * p[i]);
    }
}

#define ADAM_BLOCK 16384

void adamw_update(float *params, const float *grads, float *m, float *v, size_t n,
                  float lr, float beta1, float beta2, float eps, float weight_decay,
                  float grad_scale, int t)
{
    float c1 = (float)(1.0 / (1.0 - pow(beta1, t)));
    float c2 = (float)(1.0 / (1.0 - pow(beta2, t)));
    size_t nb = (n + ADAM_BLOCK - 1) / ADAM_BLOCK;
    OMP(parallel for schedule(static) if (n > KERNELS_PAR_MIN / 4))
    for (size_t bk = 0; bk < nb; bk++) {
        size_t i0 = bk * ADAM_BLOCK, len = n - i0 < ADAM_BLOCK ? n - i0 : ADAM_BLOCK;
        adamw_block(params + i0, grads + i0, m + i0, v + i0, len, lr, beta1, beta2, eps,
                    weight_decay, grad_scale, c1, c2);
    }
}

float grad_clip_scale(float norm, float max_norm)
{
    if (max_norm <= 0.0f || !(norm > max_norm)) return 1.0f;
    return max_norm / (norm + 1e-6f);
}

float lr_schedule(long step, long warmup, long total, float lr_max, float lr_min)
{
    if (step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    if (step >= total) return lr_min;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    return (float)(lr_min + 0.5 * (lr_max - lr_min) * (1.0 + cos(M_PI * progress)));
}
