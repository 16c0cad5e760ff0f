/* bench_kernels.c: `videogo bench kernels`: GFLOP/s of the matmul path and of one Llama
 * transformer block forward + backward (RMSNorm, qkv, RoPE, causal attention, output
 * projection, residual, RMSNorm, SwiGLU MLP, residual), each printed next to the machine's
 * sgemm peak measured in the same run (a large square sgemm through the same backend), with
 * the ratio. Runs on any backend of backend.h (--backend cpu|cuda).
 *
 * FLOPs are counted as executed: 2*M*N*K per GEMM, attention scores over the full T x T
 * square (the causal half is computed and then masked), elementwise ops not counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kernels/backend.h"

/* The transformer block being measured; the defaults are the CPU preset's. */
typedef struct {
    int d_model, heads, hidden, seq, batch;
} bench_block_cfg_t;

static const bench_block_cfg_t bench_block_default = {256, 4, 688, 64, 16};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Backend buffer of n floats filled with uniform values in [-scale, scale) (fixed seed). */
static float *bench_buf(const backend_t *be, size_t n, float scale, unsigned seed)
{
    float *d = be->alloc(n * sizeof(float));
    float *h = malloc(n * sizeof(float));
    if (!d || !h) {
        fprintf(stderr, "videogo bench kernels: out of memory allocating %zu floats\n", n);
        exit(1);
    }
    unsigned s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        h[i] = scale * ((float)(s >> 8) / 8388608.0f - 1.0f);
    }
    be->to_device(d, h, n * sizeof(float));
    free(h);
    return d;
}

/* ---- sgemm peak ---- */

static double bench_peak(const backend_t *be, int n, int reps)
{
    float *a = bench_buf(be, (size_t)n * n, 1.0f, 1), *b = bench_buf(be, (size_t)n * n, 1.0f, 2);
    float *c = bench_buf(be, (size_t)n * n, 0.0f, 3);
    be->matmul_forward(c, a, b, NULL, n, n, n);   /* warm up (threads, caches, clocks) */
    be->synchronize();
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        be->matmul_forward(c, a, b, NULL, n, n, n);
        be->synchronize();
        double t = now_s() - t0;
        if (t < best) best = t;
    }
    be->free(a);
    be->free(b);
    be->free(c);
    return 2.0 * n * (double)n * n / best * 1e-9;
}

/* ---- matmul path at the block's shapes ---- */

static void bench_matmul(const backend_t *be, int N, int C, int OC, int reps, double *gf_fwd,
                         double *gf_bwd)
{
    float *inp = bench_buf(be, (size_t)N * C, 1.0f, 4), *w = bench_buf(be, (size_t)OC * C, 0.05f, 5);
    float *bias = bench_buf(be, (size_t)OC, 0.1f, 6), *out = bench_buf(be, (size_t)N * OC, 0.0f, 7);
    float *dout = bench_buf(be, (size_t)N * OC, 1.0f, 8), *dinp = bench_buf(be, (size_t)N * C, 0.0f, 9);
    float *dw = bench_buf(be, (size_t)OC * C, 0.0f, 10), *db = bench_buf(be, (size_t)OC, 0.0f, 11);
    double *tf = malloc((size_t)reps * sizeof(double)), *tb = malloc((size_t)reps * sizeof(double));
    if (!tf || !tb) exit(1);
    for (int r = -1; r < reps; r++) {   /* r = -1 warms up */
        be->synchronize();
        double t0 = now_s();
        be->matmul_forward(out, inp, w, bias, N, C, OC);
        be->synchronize();
        double t1 = now_s();
        be->matmul_backward(dinp, dw, db, dout, inp, w, N, C, OC);
        be->synchronize();
        double t2 = now_s();
        if (r >= 0) {
            tf[r] = t1 - t0;
            tb[r] = t2 - t1;
        }
    }
    double flops = 2.0 * N * (double)C * OC;
    *gf_fwd = flops / median(tf, reps) * 1e-9;
    *gf_bwd = 2.0 * flops / median(tb, reps) * 1e-9;
    free(tf);
    free(tb);
    float *bufs[] = {inp, w, bias, out, dout, dinp, dw, db};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) be->free(bufs[i]);
}

/* ---- one transformer block ---- */

enum {
    PH_NORM, PH_QKV, PH_ROPE, PH_ATTN, PH_PROJ, PH_MLP_UP, PH_SWIGLU, PH_MLP_DOWN, PH_RESID, PH_ZERO,
    PH_COUNT
};
static const char *const phase_name[PH_COUNT] = {
    "rmsnorm x2", "matmul qkv", "rope q,k", "attention", "matmul out-proj", "matmul gate/up",
    "swiglu", "matmul down", "residual adds", "zero grads",
};

typedef struct {
    bench_block_cfg_t cfg;
    int N, C, F, NH, HD;
    attn_dims_t ad;
    /* parameters and their gradients */
    float *wn1, *wqkv, *wo, *wn2, *w13, *w2;
    float *dwn1, *dwqkv, *dwo, *dwn2, *dw13, *dw2;
    /* activations */
    float *x, *h1, *rstd1, *qkv, *att, *ao, *o, *x2, *h2, *rstd2, *gu, *s, *m, *y;
    /* gradients of activations */
    float *dy, *dx, *dx2, *dh1, *dqkv, *dao, *dh2, *dgu, *ds, *scratch;
} block_t;

static void block_init(block_t *k, const backend_t *be, bench_block_cfg_t cfg)
{
    memset(k, 0, sizeof *k);
    k->cfg = cfg;
    int N = cfg.batch * cfg.seq, C = cfg.d_model, F = cfg.hidden;
    k->N = N; k->C = C; k->F = F; k->NH = cfg.heads; k->HD = C / cfg.heads;
    k->ad = attn_dims_self(cfg.batch, cfg.seq, C, cfg.heads, 1);
    size_t nC = (size_t)N * C;
    unsigned sd = 100;
    k->wn1 = bench_buf(be, C, 1.0f, sd++);
    k->wqkv = bench_buf(be, (size_t)3 * C * C, 0.06f, sd++);
    k->wo = bench_buf(be, (size_t)C * C, 0.06f, sd++);
    k->wn2 = bench_buf(be, C, 1.0f, sd++);
    k->w13 = bench_buf(be, (size_t)2 * F * C, 0.06f, sd++);
    k->w2 = bench_buf(be, (size_t)C * F, 0.04f, sd++);
    k->dwn1 = bench_buf(be, C, 0.0f, sd++);
    k->dwqkv = bench_buf(be, (size_t)3 * C * C, 0.0f, sd++);
    k->dwo = bench_buf(be, (size_t)C * C, 0.0f, sd++);
    k->dwn2 = bench_buf(be, C, 0.0f, sd++);
    k->dw13 = bench_buf(be, (size_t)2 * F * C, 0.0f, sd++);
    k->dw2 = bench_buf(be, (size_t)C * F, 0.0f, sd++);
    k->x = bench_buf(be, nC, 1.0f, sd++);
    k->h1 = bench_buf(be, nC, 0.0f, sd++);
    k->rstd1 = bench_buf(be, N, 0.0f, sd++);
    k->qkv = bench_buf(be, 3 * nC, 0.0f, sd++);
    k->att = bench_buf(be, attention_scratch_size(&k->ad), 0.0f, sd++);
    k->ao = bench_buf(be, nC, 0.0f, sd++);
    k->o = bench_buf(be, nC, 0.0f, sd++);
    k->x2 = bench_buf(be, nC, 0.0f, sd++);
    k->h2 = bench_buf(be, nC, 0.0f, sd++);
    k->rstd2 = bench_buf(be, N, 0.0f, sd++);
    k->gu = bench_buf(be, (size_t)N * 2 * F, 0.0f, sd++);
    k->s = bench_buf(be, (size_t)N * F, 0.0f, sd++);
    k->m = bench_buf(be, nC, 0.0f, sd++);
    k->y = bench_buf(be, nC, 0.0f, sd++);
    k->dy = bench_buf(be, nC, 1.0f, sd++);
    k->dx = bench_buf(be, nC, 0.0f, sd++);
    k->dx2 = bench_buf(be, nC, 0.0f, sd++);
    k->dh1 = bench_buf(be, nC, 0.0f, sd++);
    k->dqkv = bench_buf(be, 3 * nC, 0.0f, sd++);
    k->dao = bench_buf(be, nC, 0.0f, sd++);
    k->dh2 = bench_buf(be, nC, 0.0f, sd++);
    k->dgu = bench_buf(be, (size_t)N * 2 * F, 0.0f, sd++);
    k->ds = bench_buf(be, (size_t)N * F, 0.0f, sd++);
    k->scratch = bench_buf(be, be->attention_scratch_size(&k->ad), 0.0f, sd++);
}

static void block_free(block_t *k, const backend_t *be)
{
    float *all[] = {k->wn1, k->wqkv, k->wo, k->wn2, k->w13, k->w2, k->dwn1, k->dwqkv, k->dwo,
                    k->dwn2, k->dw13, k->dw2, k->x, k->h1, k->rstd1, k->qkv, k->att, k->ao, k->o,
                    k->x2, k->h2, k->rstd2, k->gu, k->s, k->m, k->y, k->dy, k->dx, k->dx2,
                    k->dh1, k->dqkv, k->dao, k->dh2, k->dgu, k->ds, k->scratch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) be->free(all[i]);
}

/* Marks the end of a phase: when ph != NULL, synchronizes and charges the time since *t. */
static void mark(const backend_t *be, double *ph, int which, double *t)
{
    if (!ph) return;
    be->synchronize();
    double n = now_s();
    ph[which] += n - *t;
    *t = n;
}

/* One forward + backward. ph (may be NULL) accumulates seconds per phase. */
static void block_step(block_t *k, const backend_t *be, double *ph)
{
    int N = k->N, C = k->C, F = k->F, B = k->cfg.batch, T = k->cfg.seq, NH = k->NH, HD = k->HD;
    size_t nC = (size_t)N * C;
    const float eps = 1e-5f, theta = 10000.0f;
    double t = now_s();
    /* zero every gradient buffer the backward accumulates into */
    be->zero(k->dwn1, (size_t)C * 4);
    be->zero(k->dwqkv, (size_t)3 * C * C * 4);
    be->zero(k->dwo, (size_t)C * C * 4);
    be->zero(k->dwn2, (size_t)C * 4);
    be->zero(k->dw13, (size_t)2 * F * C * 4);
    be->zero(k->dw2, (size_t)C * F * 4);
    be->zero(k->dh1, nC * 4);
    be->zero(k->dqkv, 3 * nC * 4);
    be->zero(k->dao, nC * 4);
    be->zero(k->dh2, nC * 4);
    be->zero(k->dgu, (size_t)N * 2 * F * 4);
    be->zero(k->ds, (size_t)N * F * 4);
    mark(be, ph, PH_ZERO, &t);
    /* forward */
    be->rmsnorm_forward(k->h1, k->rstd1, k->x, k->wn1, N, C, eps);
    mark(be, ph, PH_NORM, &t);
    be->matmul_forward(k->qkv, k->h1, k->wqkv, NULL, N, C, 3 * C);
    mark(be, ph, PH_QKV, &t);
    be->rope_forward(k->qkv, B, T, NH, HD, 3 * C, 0, theta);
    be->rope_forward(k->qkv + C, B, T, NH, HD, 3 * C, 0, theta);
    mark(be, ph, PH_ROPE, &t);
    be->attention_forward(k->ao, k->att, k->qkv, k->qkv + C, k->qkv + 2 * C, &k->ad);
    mark(be, ph, PH_ATTN, &t);
    be->matmul_forward(k->o, k->ao, k->wo, NULL, N, C, C);
    mark(be, ph, PH_PROJ, &t);
    be->add_forward(k->x2, k->x, k->o, nC);
    mark(be, ph, PH_RESID, &t);
    be->rmsnorm_forward(k->h2, k->rstd2, k->x2, k->wn2, N, C, eps);
    mark(be, ph, PH_NORM, &t);
    be->matmul_forward(k->gu, k->h2, k->w13, NULL, N, C, 2 * F);
    mark(be, ph, PH_MLP_UP, &t);
    be->swiglu_forward(k->s, k->gu, N, F);
    mark(be, ph, PH_SWIGLU, &t);
    be->matmul_forward(k->m, k->s, k->w2, NULL, N, F, C);
    mark(be, ph, PH_MLP_DOWN, &t);
    be->add_forward(k->y, k->x2, k->m, nC);
    mark(be, ph, PH_RESID, &t);
    /* backward: y = x2 + m, so dx2 = dy and dm = dy */
    be->copy(k->dx2, k->dy, nC * 4);
    mark(be, ph, PH_RESID, &t);
    be->matmul_backward(k->ds, k->dw2, NULL, k->dy, k->s, k->w2, N, F, C);
    mark(be, ph, PH_MLP_DOWN, &t);
    be->swiglu_backward(k->dgu, k->ds, k->gu, N, F);
    mark(be, ph, PH_SWIGLU, &t);
    be->matmul_backward(k->dh2, k->dw13, NULL, k->dgu, k->h2, k->w13, N, C, 2 * F);
    mark(be, ph, PH_MLP_UP, &t);
    be->rmsnorm_backward(k->dx2, k->dwn2, k->dh2, k->x2, k->wn2, k->rstd2, N, C);
    mark(be, ph, PH_NORM, &t);
    /* x2 = x + o: dx = dx2, do = dx2 */
    be->copy(k->dx, k->dx2, nC * 4);
    mark(be, ph, PH_RESID, &t);
    be->matmul_backward(k->dao, k->dwo, NULL, k->dx2, k->ao, k->wo, N, C, C);
    mark(be, ph, PH_PROJ, &t);
    be->attention_backward(k->dqkv, k->dqkv + C, k->dqkv + 2 * C, k->scratch, k->dao, k->qkv,
                           k->qkv + C, k->qkv + 2 * C, k->att, &k->ad);
    mark(be, ph, PH_ATTN, &t);
    be->rope_backward(k->dqkv, B, T, NH, HD, 3 * C, 0, theta);
    be->rope_backward(k->dqkv + C, B, T, NH, HD, 3 * C, 0, theta);
    mark(be, ph, PH_ROPE, &t);
    be->matmul_backward(k->dh1, k->dwqkv, NULL, k->dqkv, k->h1, k->wqkv, N, C, 3 * C);
    mark(be, ph, PH_QKV, &t);
    be->rmsnorm_backward(k->dx, k->dwn1, k->dh1, k->x, k->wn1, k->rstd1, N, C);
    mark(be, ph, PH_NORM, &t);
}

/* FLOPs of one forward + backward, per phase (GEMMs only) and in total. */
static double block_flops(const block_t *k, double *ph)
{
    double N = k->N, C = k->C, F = k->F;
    double bhtt = (double)k->cfg.batch * k->NH * k->cfg.seq * k->cfg.seq;
    for (int i = 0; i < PH_COUNT; i++) ph[i] = 0.0;
    ph[PH_QKV] = 3 * 2 * N * C * 3 * C;        /* forward + 2x for the backward */
    ph[PH_PROJ] = 3 * 2 * N * C * C;
    ph[PH_MLP_UP] = 3 * 2 * N * C * 2 * F;
    ph[PH_MLP_DOWN] = 3 * 2 * N * F * C;
    ph[PH_ATTN] = 3 * 2 * 2 * bhtt * k->HD;     /* (q k^T, att v) forward, 4 products back */
    double total = 0.0;
    for (int i = 0; i < PH_COUNT; i++) total += ph[i];
    return total;
}

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo bench kernels [options]\n"
            "  GFLOP/s of the matmul path and of one transformer block forward+backward, next to\n"
            "  the sgemm peak (large square sgemm) measured in the same run, with the ratio.\n"
            "options:\n"
            "  --backend cpu|cuda   backend to measure (default cpu)\n"
            "  --threads N          CPU threads for OpenBLAS and OpenMP (default: all cores)\n"
            "  --reps N             timed repetitions per measurement (default 20)\n"
            "  --peak-size N        side of the square sgemm for the peak (default 2048)\n"
            "  --d-model N --heads N --hidden N --seq N --batch N\n"
            "                       transformer block shape (default %d, %d, %d, %d, %d)\n",
            bench_block_default.d_model, bench_block_default.heads, bench_block_default.hidden,
            bench_block_default.seq, bench_block_default.batch);
}

static int parse_int(const char *opt, const char *s, int lo, int *out)
{
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || *end || v < lo || v > 1 << 20) {
        fprintf(stderr, "videogo bench kernels: %s needs an integer >= %d, got '%s'\n", opt, lo,
                s ? s : "");
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cmd_bench_kernels(int argc, char **argv)
{
    bench_block_cfg_t cfg = bench_block_default;
    const char *backend = "cpu";
    int threads = 0, reps = 20, peak_n = 2048;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--backend") && v) {
            backend = v;
        } else if (!strcmp(a, "--threads")) {
            rc = parse_int(a, v, 1, &threads);
        } else if (!strcmp(a, "--reps")) {
            rc = parse_int(a, v, 1, &reps);
        } else if (!strcmp(a, "--peak-size")) {
            rc = parse_int(a, v, 64, &peak_n);
        } else if (!strcmp(a, "--d-model")) {
            rc = parse_int(a, v, 2, &cfg.d_model);
        } else if (!strcmp(a, "--heads")) {
            rc = parse_int(a, v, 1, &cfg.heads);
        } else if (!strcmp(a, "--hidden")) {
            rc = parse_int(a, v, 1, &cfg.hidden);
        } else if (!strcmp(a, "--seq")) {
            rc = parse_int(a, v, 1, &cfg.seq);
        } else if (!strcmp(a, "--batch")) {
            rc = parse_int(a, v, 1, &cfg.batch);
        } else {
            fprintf(stderr, "videogo bench kernels: unknown option '%s'\n", a);
            bench_usage(stderr);
            return 2;
        }
        if (rc) return 2;
        i++;
    }
    if (cfg.d_model % cfg.heads || (cfg.d_model / cfg.heads) % 2) {
        fprintf(stderr, "videogo bench kernels: d_model %d must split into %d heads of even size\n",
                cfg.d_model, cfg.heads);
        return 2;
    }
    const backend_t *be;
    if (!strcmp(backend, "cpu")) {
        be = backend_cpu();
    } else if (!strcmp(backend, "cuda")) {
        be = backend_cuda();
        if (!be) {
            fprintf(stderr, "videogo bench kernels: no CUDA backend: %s\n", backend_cuda_status());
            return 1;
        }
    } else {
        fprintf(stderr, "videogo bench kernels: unknown backend '%s' (cpu or cuda)\n", backend);
        return 2;
    }
    int nthreads = be->set_threads(threads);
    const char *wait = getenv("OMP_WAIT_POLICY"), *spin = getenv("GOMP_SPINCOUNT");
    printf("backend: %s\n", be->describe());
    printf("threads: %d, OMP_WAIT_POLICY=%s, GOMP_SPINCOUNT=%s\n", nthreads, wait ? wait : "unset",
           spin ? spin : "unset");

    fprintf(stderr, "bench kernels: sgemm peak (%d^3)...\n", peak_n);
    double peak = bench_peak(be, peak_n, reps < 5 ? reps : 5);
    printf("sgemm peak: %.1f GFLOP/s (square %d x %d x %d, best of %d)\n\n", peak, peak_n, peak_n,
           peak_n, reps < 5 ? reps : 5);

    int N = cfg.batch * cfg.seq, C = cfg.d_model, F = cfg.hidden;
    struct { const char *name; int c, oc; } shapes[] = {
        {"qkv", C, 3 * C}, {"out-proj", C, C}, {"gate/up", C, 2 * F}, {"down", F, C},
    };
    fprintf(stderr, "bench kernels: matmul path...\n");
    printf("matmul path, N = batch*seq = %d rows (median of %d; backward = dinp + dweight):\n", N, reps);
    printf("  %-9s %5s %5s  %10s %7s  %10s %7s\n", "layer", "C", "OC", "fwd GF/s", "/peak",
           "bwd GF/s", "/peak");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        double gf, gb;
        bench_matmul(be, N, shapes[i].c, shapes[i].oc, reps, &gf, &gb);
        printf("  %-9s %5d %5d  %10.1f %6.0f%%  %10.1f %6.0f%%\n", shapes[i].name, shapes[i].c,
               shapes[i].oc, gf, 100 * gf / peak, gb, 100 * gb / peak);
    }

    fprintf(stderr, "bench kernels: transformer block...\n");
    block_t k;
    block_init(&k, be, cfg);
    double fl_ph[PH_COUNT], flops = block_flops(&k, fl_ph);
    double *times = malloc((size_t)reps * sizeof(double)), ph[PH_COUNT], ph_best[PH_COUNT];
    if (!times) return 1;
    block_step(&k, be, NULL);   /* warm-up */
    for (int r = 0; r < reps; r++) {
        be->synchronize();
        double t0 = now_s();
        block_step(&k, be, NULL);
        be->synchronize();
        times[r] = now_s() - t0;
    }
    double t = median(times, reps), tbest = times[0];   /* sorted by median() */
    /* per-phase profile pass: best of reps per phase (robust to other load on the machine) */
    for (int i = 0; i < PH_COUNT; i++) ph_best[i] = 1e30;
    for (int r = 0; r < reps; r++) {
        memset(ph, 0, sizeof ph);
        block_step(&k, be, ph);
        for (int i = 0; i < PH_COUNT; i++) ph_best[i] = ph[i] < ph_best[i] ? ph[i] : ph_best[i];
    }
    double ph_total = 0.0;
    for (int i = 0; i < PH_COUNT; i++) ph_total += ph_best[i];
    printf("\ntransformer block forward+backward: d_model %d, %d heads, SwiGLU hidden %d, seq %d, "
           "batch %d (causal, RoPE, RMSNorm)\n", cfg.d_model, cfg.heads, cfg.hidden, cfg.seq, cfg.batch);
    printf("  %.2f ms per step (median of %d; best %.2f ms), %.3f GFLOP -> %.1f GFLOP/s = %.0f%% of "
           "sgemm peak, %.0f tokens/s\n", t * 1e3, reps, tbest * 1e3, flops * 1e-9, flops / t * 1e-9,
           100 * flops / t * 1e-9 / peak, N / t);
    printf("  per phase (synchronized profile pass, best of %d per phase; GF/s on GEMM FLOPs):\n", reps);
    for (int i = 0; i < PH_COUNT; i++) {
        double s = ph_best[i];
        printf("    %-16s %7.3f ms %5.1f%%", phase_name[i], s * 1e3, 100 * s / ph_total);
        if (fl_ph[i] > 0) printf("  %7.1f GF/s", fl_ph[i] / s * 1e-9);
        printf("\n");
    }
    block_free(&k, be);
    free(times);
    return 0;
}
