/* fsq.c: finite scalar quantization (Mentzer et al. 2023, "Finite Scalar Quantization: VQ-VAE
 * Made Simple"): bound each dimension with tanh, round to one of levels[i] values, pack the
 * digits into one code (mixed radix), and pass gradients straight through the rounding.
 * See ops.h for the exact formulas. */
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

#define FSQ_MAX_D 64
#define FSQ_EPS 1e-3

typedef struct {
    float half_l, offset, shift, inv_hw;
    int L, hw, basis;
} fsq_dim_t;

static void fsq_setup(fsq_dim_t *dim, const int *levels, int D)
{
    assert(D > 0 && D <= FSQ_MAX_D);
    long basis = 1;
    for (int i = 0; i < D; i++) {
        int L = levels[i];
        assert(L >= 2);
        double half_l = (L - 1) * (1.0 + FSQ_EPS) / 2.0;
        double offset = L % 2 == 0 ? 0.5 : 0.0;
        dim[i].half_l = (float)half_l;
        dim[i].offset = (float)offset;
        dim[i].shift = (float)atanh(offset / half_l);
        dim[i].L = L;
        dim[i].hw = L / 2;
        dim[i].inv_hw = 1.0f / (float)(L / 2);
        dim[i].basis = (int)basis;
        basis *= L;
        assert(basis <= INT_MAX);
    }
}

long fsq_codebook_size(const int *levels, int D)
{
    long n = 1;
    for (int i = 0; i < D; i++) n *= levels[i];
    return n;
}

int fsq_levels_check(const int *levels, int D, int max_d, long max_codebook, const char *what, char *err,
                     size_t errlen)
{
    if (D < 1 || D > max_d) {
        snprintf(err, errlen, "%s: %d FSQ levels, 1..%d expected", what, D, max_d);
        return -1;
    }
    long k = 1;
    for (int i = 0; i < D; i++) {
        if (levels[i] < 2 || levels[i] > 256) {
            snprintf(err, errlen, "%s: FSQ level %d = %d outside 2..256", what, i, levels[i]);
            return -1;
        }
        k *= levels[i];
        if (k > max_codebook) {
            snprintf(err, errlen, "%s: FSQ codebook larger than %ld", what, max_codebook);
            return -1;
        }
    }
    return 0;
}

void fsq_forward(float *zhat, int *codes, const float *z, const int *levels, int N, int D)
{
    fsq_dim_t dim[FSQ_MAX_D];
    fsq_setup(dim, levels, D);
    OMP(parallel for schedule(static) if ((size_t)N * D > KERNELS_PAR_MIN / 8))
    for (int n = 0; n < N; n++) {
        int code = 0;
        for (int i = 0; i < D; i++) {
            const fsq_dim_t *p = &dim[i];
            float b = tanhf(z[(size_t)n * D + i] + p->shift) * p->half_l - p->offset;
            float q = rintf(b);
            int digit = (int)q + p->hw;
            if (digit < 0) digit = 0;              /* unreachable for L < 1000; keeps the */
            if (digit >= p->L) digit = p->L - 1;   /* codes valid whatever the rounding   */
            zhat[(size_t)n * D + i] = (float)(digit - p->hw) * p->inv_hw;
            code += digit * p->basis;
        }
        if (codes) codes[n] = code;
    }
}

void fsq_backward(float *dz, const float *dzhat, const float *z, const int *levels, int N, int D)
{
    fsq_dim_t dim[FSQ_MAX_D];
    fsq_setup(dim, levels, D);
    OMP(parallel for schedule(static) if ((size_t)N * D > KERNELS_PAR_MIN / 8))
    for (int n = 0; n < N; n++)
        for (int i = 0; i < D; i++) {
            const fsq_dim_t *p = &dim[i];
            size_t j = (size_t)n * D + i;
            float th = tanhf(z[j] + p->shift);
            dz[j] += dzhat[j] * p->half_l * p->inv_hw * (1.0f - th * th);
        }
}

void fsq_decode(float *zhat, const int *codes, const int *levels, int N, int D)
{
    fsq_dim_t dim[FSQ_MAX_D];
    fsq_setup(dim, levels, D);
    OMP(parallel for schedule(static) if ((size_t)N * D > KERNELS_PAR_MIN / 8))
    for (int n = 0; n < N; n++)
        for (int i = 0; i < D; i++) {
            int digit = codes[n] / dim[i].basis % dim[i].L;
            zhat[(size_t)n * D + i] = (float)(digit - dim[i].hw) * dim[i].inv_hw;
        }
}

void fsq_digits(int *digits, const int *codes, const int *levels, int N, int D)
{
    fsq_dim_t dim[FSQ_MAX_D];
    fsq_setup(dim, levels, D);
    OMP(parallel for schedule(static) if ((size_t)N * D > KERNELS_PAR_MIN / 8))
    for (int n = 0; n < N; n++)
        for (int i = 0; i < D; i++) digits[(size_t)n * D + i] = codes[n] / dim[i].basis % dim[i].L;
}
