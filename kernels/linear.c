/* linear.c: thread setup, the split GEMM every op uses, matmul and embedding lookup.
 *
 * matmul follows llm.c: weight is stored [OC, C] (one output channel per row), so the forward is
 * out = inp @ weight^T and both backward products are single GEMMs with beta = 1, which gives
 * the accumulate-into-gradient convention for free.
 */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>
#ifdef VIDEOGO_OPENMP
#include <omp.h>
#endif

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_threads(void)
{
#ifdef VIDEOGO_OPENMP
    openblas_set_num_threads(1);   /* one pool: see kernels_internal.h */
#endif
}

void kernels_init(void)
{
    pthread_once(&init_once, init_threads);
}

int kernels_set_threads(int n)
{
    kernels_init();
#ifdef VIDEOGO_OPENMP
    if (n > 0) omp_set_num_threads(n);
    return omp_get_max_threads();
#else
    if (n > 0) openblas_set_num_threads(n);
    return openblas_get_num_threads();
#endif
}

void kernels_reexec_passive(char **argv)
{
#if defined(VIDEOGO_OPENMP) && defined(__linux__)
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1)) return;
    execv("/proc/self/exe", argv);
    unsetenv("OMP_WAIT_POLICY");   /* exec failed: carry on as we were */
#else
    (void)argv;
#endif
}

const char *kernels_describe(void)
{
    static char buf[256];
    kernels_init();
#ifdef VIDEOGO_OPENMP
    snprintf(buf, sizeof buf, "cpu: %s (core %s), single-threaded inside %d OpenMP threads",
             openblas_get_config(), openblas_get_corename(), omp_get_max_threads());
#else
    snprintf(buf, sizeof buf, "cpu: %s (core %s), %d OpenBLAS threads, no OpenMP",
             openblas_get_config(), openblas_get_corename(), openblas_get_num_threads());
#endif
    return buf;
}

/* Products below this many multiply-adds run as one call: a 64^3 GEMM takes ~3 us. */
#define GEMM_SPLIT_MIN (1L << 19)
#define GEMM_ALIGN 16

void kernels_gemm(int transA, int transB, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    enum CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
    if (M <= 0 || N <= 0) return;
    int parts = 1;
#ifdef VIDEOGO_OPENMP
    if (!omp_in_parallel() && (long)M * N * K >= GEMM_SPLIT_MIN) parts = omp_get_max_threads();
#endif
    int along_m = M >= N, len = along_m ? M : N;
    int blk = (len + parts - 1) / parts;
    blk = (blk + GEMM_ALIGN - 1) / GEMM_ALIGN * GEMM_ALIGN;
    if (parts <= 1 || blk >= len) {
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    int nblk = (len + blk - 1) / blk;
    OMP(parallel for schedule(static) num_threads(nblk))
    for (int i = 0; i < nblk; i++) {
        int s = i * blk, e = s + blk < len ? s + blk : len;
        if (along_m)   /* rows s..e of C: rows of op(A) */
            cblas_sgemm(CblasRowMajor, ta, tb, e - s, N, K, alpha,
                        transA ? A + s : A + (size_t)s * lda, lda, B, ldb, beta,
                        C + (size_t)s * ldc, ldc);
        else           /* columns s..e of C: columns of op(B) */
            cblas_sgemm(CblasRowMajor, ta, tb, M, e - s, K, alpha, A, lda,
                        transB ? B + (size_t)s * ldb : B + s, ldb, beta, C + s, ldc);
    }
}

/* Column blocks for reductions over rows (bias gradients, embedding backward): each thread owns
 * whole blocks of columns and walks the rows in order, so every sum has one fixed order. */
#define COL_BLOCK 64

/* Few rows (token-by-token generation: one row per rollout): OpenBLAS packs the whole weight
 * matrix on every call, which cost more than the product itself (perf on `bench genmove`: 37%
 * of the time in sgemm_incopy). Here each weight row is read once and dotted with up to
 * MATMUL_FEW_ROWS input rows, in 16 fixed lanes per row (vectorized, one summation order for
 * every clone and thread count; fmaf is exactly rounded everywhere, a vfmadd on AVX2/AVX-512). out[n, o] = bias[o] + inp[n, :] . weight[o, :]. */
#define MATMUL_FEW_ROWS 16
#define LANES 16

KERNELS_HOT static void matmul_few_rows(float *restrict out, const float *restrict inp,
                                        const float *restrict weight, const float *restrict bias, int N,
                                        int C, int OC, int o0, int o1)
{
    const int CL = C - C % LANES;
    for (int o = o0; o < o1; o++) {
        const float *restrict w = weight + (size_t)o * C;
        for (int n0 = 0; n0 < N; n0 += 4) {
            const int nr = N - n0 < 4 ? N - n0 : 4;
            const float *x0 = inp + (size_t)n0 * C;
            const float *x1 = nr > 1 ? x0 + C : x0, *x2 = nr > 2 ? x0 + 2 * (size_t)C : x0;
            const float *x3 = nr > 3 ? x0 + 3 * (size_t)C : x0;
            float a0[LANES] = {0}, a1[LANES] = {0}, a2[LANES] = {0}, a3[LANES] = {0};
            for (int c = 0; c < CL; c += LANES)
                for (int j = 0; j < LANES; j++) {
                    float wj = w[c + j];
                    a0[j] = fmaf(wj, x0[c + j], a0[j]);
                    a1[j] = fmaf(wj, x1[c + j], a1[j]);
                    a2[j] = fmaf(wj, x2[c + j], a2[j]);
                    a3[j] = fmaf(wj, x3[c + j], a3[j]);
                }
            float *acc[4] = {a0, a1, a2, a3};
            const float *xs[4] = {x0, x1, x2, x3};
            for (int r = 0; r < nr; r++) {
                float s = 0.0f;
                for (int j = 0; j < LANES; j++) s += acc[r][j];
                for (int c = CL; c < C; c++) s += w[c] * xs[r][c];
                out[(size_t)(n0 + r) * OC + o] = (bias ? bias[o] : 0.0f) + s;
            }
        }
    }
}

void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int C, int OC)
{
    assert(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    if (N <= MATMUL_FEW_ROWS) {
        const int blk = 64, nblk = (OC + blk - 1) / blk;
        OMP(parallel for schedule(static) if ((long)N * OC * C >= GEMM_SPLIT_MIN))
        for (int i = 0; i < nblk; i++) {
            int o0 = i * blk, o1 = o0 + blk < OC ? o0 + blk : OC;
            matmul_few_rows(out, inp, weight, bias, N, C, OC, o0, o1);
        }
        return;
    }
    float beta = 0.0f;
    if (bias) {
        OMP(parallel for schedule(static) if ((size_t)N * OC > KERNELS_PAR_MIN))
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OC, bias, (size_t)OC * sizeof(float));
        beta = 1.0f;
    }
    kernels_init();
    kernels_gemm(0, 1, N, OC, C, 1.0f, inp, C, weight, C, beta, out, OC);
}

void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC)
{
    assert(N >= 0 && C > 0 && OC > 0);
    if (N == 0) return;
    kernels_init();
    if (dinp)     /* dinp[N,C] += dout[N,OC] @ weight[OC,C] */
        kernels_gemm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight)  /* dweight[OC,C] += dout^T[OC,N] @ inp[N,C] */
        kernels_gemm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
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
