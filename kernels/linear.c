/* linear.c: thread setup, matmul (through OpenBLAS sgemm) and embedding lookup.
 *
 * matmul follows llm.c: weight is stored [OC, C] (one output channel per row), so the forward is
 * out = inp @ weight^T and both backward products are single sgemm calls with beta = 1, which
 * gives the accumulate-into-gradient convention for free.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>
#ifdef VIDEOGO_OPENMP
#include <omp.h>
#endif

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

int kernels_set_threads(int n)
{
    if (n > 0) {
        openblas_set_num_threads(n);
#ifdef VIDEOGO_OPENMP
        omp_set_num_threads(n);
#endif
    }
    return openblas_get_num_threads();
}

const char *kernels_describe(void)
{
    static char buf[256];
#ifdef VIDEOGO_OPENMP
    int omp = omp_get_max_threads();
#else
    int omp = 0;
#endif
    snprintf(buf, sizeof buf, "cpu: OpenBLAS %s (core %s, %d threads), OpenMP %s%d",
             openblas_get_config(), openblas_get_corename(), openblas_get_num_threads(),
             omp ? "threads " : "off ", omp);
    return buf;
}

/* Column blocks for reductions over rows (bias gradients, embedding backward): each thread owns
 * whole blocks of columns and walks the rows in order, so every sum has one fixed order. */
#define COL_BLOCK 64

void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int C, int OC)
{
    assert(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    float beta = 0.0f;
    if (bias) {
        OMP(parallel for schedule(static) if ((size_t)N * OC > KERNELS_PAR_MIN))
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OC, bias, (size_t)OC * sizeof(float));
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C,
                1.0f, inp, C, weight, C, beta, out, OC);
}

void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC)
{
    assert(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    if (dinp)     /* dinp[N,C] += dout[N,OC] @ weight[OC,C] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC,
                    1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight)  /* dweight[OC,C] += dout^T[OC,N] @ inp[N,C] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N,
                    1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias) kernels_bias_backward(dbias, dout, (size_t)N, OC);
}

void kernels_bias_backward(float *dbias, const float *dout, size_t N, int OC)
{
    int nb = (OC + COL_BLOCK - 1) / COL_BLOCK;
    OMP(parallel for schedule(static) if (N * OC > KERNELS_PAR_MIN))
    for (int bk = 0; bk < nb; bk++) {
        int o0 = bk * COL_BLOCK, o1 = o0 + COL_BLOCK < OC ? o0 + COL_BLOCK : OC;
        for (size_t n = 0; n < N; n++) {
            const float *d = dout + n * OC;
            for (int o = o0; o < o1; o++) dbias[o] += d[o];
        }
    }
}

void embedding_forward(float *out, const int *ids, const float *table, int N, int C, int V)
{
    (void)V;
    OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
    for (int n = 0; n < N; n++) {
        assert(ids[n] >= 0 && ids[n] < V);
        memcpy(out + (size_t)n * C, table + (size_t)ids[n] * C, (size_t)C * sizeof(float));
    }
}

void embedding_backward(float *dtable, const float *dout, const int *ids, int N, int C, int V)
{
    (void)V;
    int nb = (C + COL_BLOCK - 1) / COL_BLOCK;
    OMP(parallel for schedule(static) if ((size_t)N * C > KERNELS_PAR_MIN))
    for (int bk = 0; bk < nb; bk++) {
        int c0 = bk * COL_BLOCK, c1 = c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C;
        for (int n = 0; n < N; n++) {
            assert(ids[n] >= 0 && ids[n] < V);
            float *dt = dtable + (size_t)ids[n] * C;
            const float *d = dout + (size_t)n * C;
            for (int c = c0; c < c1; c++) dt[c] += d[c];
        }
    }
}
