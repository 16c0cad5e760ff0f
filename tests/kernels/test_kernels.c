/* test_kernels.c: the CPU kernels of kernels/ops.h.
 *
 *   - every backward op against central finite differences of its forward (objective
 *     sum(out * w) in double for a fixed random w; gradient buffers are pre-filled with random
 *     values so the test also proves the "+=" convention, and a self-test proves the checker
 *     flags a wrong or non-accumulating gradient);
 *   - forward ops against naive double-precision references (matmul, conv2d including the
 *     chunked path, attention with masks and the KV-cache step, norms, RoPE, FSQ, losses,
 *     AdamW, the norm and the LR schedule);
 *   - bit-identical results run to run, the backend table and its memory functions.
 * Shapes are tiny: the whole file runs in a few seconds.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend.h"
#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

/* ---- helpers: RNG, an arena freed after each test, gradient buffers with a prior ---------- */

static uint64_t rng_state = 88172645463325252ull;

static void rseed(uint64_t s)
{
    rng_state = s * 0x9E3779B97F4A7C15ull + 0x1234567ull;
}

static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

#define ARENA_MAX 512
static void *arena[ARENA_MAX];
static int arena_n;

static void *tmalloc(size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_lt(arena_n, ARENA_MAX);
    arena[arena_n++] = p;
    return p;
}

/* Gradient buffers handed out by gbuf() carry a random prior; gtake() subtracts it, leaving
 * exactly what the backward accumulated. */
#define GRAD_MAX 16
static struct { float *g, *prior; size_t n; } grads[GRAD_MAX];
static int grads_n;

static void arena_clear(void)
{
    for (int i = 0; i < arena_n; i++) free(arena[i]);
    arena_n = 0;
    grads_n = 0;
}

static float *fbuf(size_t n)
{
    return tmalloc(n * sizeof(float));
}

static float *frand(size_t n, float lo, float hi)
{
    float *x = fbuf(n);
    for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * urand());
    return x;
}

static float *gbuf(size_t n)
{
    ck_assert_int_lt(grads_n, GRAD_MAX);
    float *g = frand(n, -1.0f, 1.0f), *p = fbuf(n);
    memcpy(p, g, n * sizeof(float));
    grads[grads_n].g = g;
    grads[grads_n].prior = p;
    grads[grads_n].n = n;
    grads_n++;
    return g;
}

static void gtake(void)
{
    for (int k = 0; k < grads_n; k++)
        for (size_t i = 0; i < grads[k].n; i++) grads[k].g[i] -= grads[k].prior[i];
    grads_n = 0;
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static double max_abs_diff_d(const float *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* ---- the finite-difference checker ------------------------------------------------------- */

/* A test case: forward(c) recomputes c->out from the current inputs; the objective is
 * sum(out * wout). f/i/d/s hold the op's buffers, ints and scalars. */
typedef struct fd_case fd_case_t;
struct fd_case {
    void (*forward)(fd_case_t *c);
    float *out;
    const float *wout;
    size_t nout;
    float *f[10];
    int *i[2];
    int d[12];
    float s[4];
    attn_dims_t ad;
};

static double objective(fd_case_t *c)
{
    c->forward(c);
    double s = 0.0;
    for (size_t i = 0; i < c->nout; i++) s += (double)c->out[i] * c->wout[i];
    return s;
}

/* Max over i of |g[i] - fd[i]|, relative to max(max |fd|, max |g|, 1e-3). */
static double fd_error(fd_case_t *c, float *x, size_t n, const float *g, float h)
{
    double err = 0.0, ref = 1e-3;
    for (size_t i = 0; i < n; i++) {
        float save = x[i];
        float xp = save + h, xm = save - h;
        x[i] = xp;
        double fp = objective(c);
        x[i] = xm;
        double fm = objective(c);
        x[i] = save;
        double fd = (fp - fm) / ((double)xp - (double)xm);
        err = fmax(err, fabs(fd - g[i]));
        ref = fmax(ref, fmax(fabs(fd), fabs((double)g[i])));
    }
    objective(c);   /* leave the saved tensors of the unperturbed inputs */
    return err / ref;
}

#define FD_TOL 1e-3
#define CHECK_FD(c, x, n, g, h)                                                              \
    do {                                                                                     \
        double e_ = fd_error((c), (x), (n), (g), (h));                                       \
        ck_assert_msg(e_ < FD_TOL, "%s vs finite differences of %s: relative error %.3g",    \
                      #g, #x, e_);                                                           \
    } while (0)

/* ---- checker self-test ------------------------------------------------------------------- */

static void fw_silu(fd_case_t *c)
{
    silu_forward(c->out, c->f[0], (size_t)c->d[0]);
}

/* fsq_levels_check: the one check of a net's FSQ levels (tokenizer, LDM, transformer, IDM). */
START_TEST(test_fsq_levels_check)
{
    char err[256];
    const int ok[] = {8, 5, 5, 5}, low[] = {8, 1}, high[] = {257}, big[] = {256, 256, 256, 256};
    ck_assert_int_eq(fsq_levels_check(ok, 4, 8, 1000, "net", err, sizeof err), 0);
    ck_assert_int_eq(fsq_levels_check(ok, 4, 8, 999, "net", err, sizeof err), -1);
    ck_assert_msg(strstr(err, "net: FSQ codebook larger than 999") != NULL, "%s", err);
    ck_assert_int_eq(fsq_levels_check(ok, 4, 3, 1000, "net", err, sizeof err), -1);
    ck_assert_int_eq(fsq_levels_check(ok, 0, 8, 1000, "net", err, sizeof err), -1);
    ck_assert_int_eq(fsq_levels_check(low, 2, 8, 1000, "net", err, sizeof err), -1);
    ck_assert_msg(strstr(err, "level 1 = 1 outside 2..256") != NULL, "%s", err);
    ck_assert_int_eq(fsq_levels_check(high, 1, 8, 1000, "net", err, sizeof err), -1);
    ck_assert_int_eq(fsq_levels_check(big, 4, 8, 1L << 30, "net", err, sizeof err), -1);
    ck_assert_int_eq(fsq_levels_check(big, 3, 8, 1L << 30, "net", err, sizeof err), 0);
}
END_TEST

START_TEST(test_checker_flags_wrong_gradients)
{
    rseed(1);
    int n = 16;
    fd_case_t c = {.forward = fw_silu, .nout = (size_t)n};
    float *x = frand(n, -3, 3);
    c.f[0] = x;
    c.d[0] = n;
    c.out = fbuf(n);
    c.wout = frand(n, -1, 1);
    objective(&c);
    float *dx = gbuf(n);
    silu_backward(dx, c.wout, x, n);
    gtake();
    ck_assert(fd_error(&c, x, n, dx, 1e-2f) < FD_TOL);      /* the right gradient passes */
    /* one entry 5% off (of the largest magnitude): flagged */
    float *bad = fbuf(n);
    memcpy(bad, dx, n * sizeof(float));
    int imax = 0;
    for (int i = 1; i < n; i++) if (fabsf(bad[i]) > fabsf(bad[imax])) imax = i;
    bad[imax] *= 1.05f;
    ck_assert(fd_error(&c, x, n, bad, 1e-2f) > FD_TOL);
    /* a backward that overwrites instead of accumulating: flagged through the prior */
    float *ow = gbuf(n);
    memset(ow, 0, n * sizeof(float));
    silu_backward(ow, c.wout, x, n);
    gtake();
    ck_assert(fd_error(&c, x, n, ow, 1e-2f) > FD_TOL);
    arena_clear();
}
END_TEST

/* ---- matmul ------------------------------------------------------------------------------ */

static void fw_matmul(fd_case_t *c)
{
    matmul_forward(c->out, c->f[0], c->f[1], c->f[2], c->d[0], c->d[1], c->d[2]);
}

START_TEST(test_matmul)
{
    rseed(2);
    int N = 6, C = 7, OC = 5;
    fd_case_t c = {.forward = fw_matmul, .nout = (size_t)N * OC};
    float *inp = frand(N * C, -1, 1), *w = frand(OC * C, -1, 1), *b = frand(OC, -1, 1);
    c.f[0] = inp; c.f[1] = w; c.f[2] = b;
    c.d[0] = N; c.d[1] = C; c.d[2] = OC;
    c.out = fbuf(N * OC);
    c.wout = frand(N * OC, -1, 1);
    objective(&c);
    for (int n = 0; n < N; n++)          /* forward against a naive reference */
        for (int o = 0; o < OC; o++) {
            double s = b[o];
            for (int k = 0; k < C; k++) s += (double)inp[n * C + k] * w[o * C + k];
            ck_assert_double_eq_tol(c.out[n * OC + o], s, 1e-5);
        }
    float *dinp = gbuf(N * C), *dw = gbuf(OC * C), *db = gbuf(OC);
    matmul_backward(dinp, dw, db, c.wout, inp, w, N, C, OC);
    gtake();
    CHECK_FD(&c, inp, N * C, dinp, 1e-2f);
    CHECK_FD(&c, w, OC * C, dw, 1e-2f);
    CHECK_FD(&c, b, OC, db, 1e-2f);
    /* NULL gradients are skipped and do not change the others */
    float *dw2 = fbuf(OC * C);
    matmul_backward(NULL, dw2, NULL, c.wout, inp, w, N, C, OC);
    ck_assert(max_abs_diff(dw, dw2, OC * C) < 1e-6);
    /* no bias */
    c.f[2] = NULL;
    objective(&c);
    for (int o = 0; o < OC; o++) {
        double s = 0.0;
        for (int k = 0; k < C; k++) s += (double)inp[k] * w[o * C + k];
        ck_assert_double_eq_tol(c.out[o], s, 1e-5);
    }
    arena_clear();
}
END_TEST

/* Large enough that the GEMMs are split across threads (by rows for the forward and dinp, by
 * columns for dweight here): against naive double references, with 1 and 2 threads. */
START_TEST(test_matmul_split)
{
    rseed(17);
    int N = 300, C = 70, OC = 50;
    float *inp = frand((size_t)N * C, -1, 1), *w = frand((size_t)OC * C, -1, 1), *b = frand(OC, -1, 1);
    float *dout = frand((size_t)N * OC, -1, 1);
    double *ro = tmalloc((size_t)N * OC * sizeof(double)), *rdi = tmalloc((size_t)N * C * sizeof(double));
    double *rdw = tmalloc((size_t)OC * C * sizeof(double));
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double acc = b[o];
            for (int k = 0; k < C; k++) {
                acc += (double)inp[n * C + k] * w[o * C + k];
                rdi[n * C + k] += (double)dout[n * OC + o] * w[o * C + k];
                rdw[o * C + k] += (double)dout[n * OC + o] * inp[n * C + k];
            }
            ro[n * OC + o] = acc;
        }
    for (int threads = 1; threads <= 2; threads++) {
        kernels_set_threads(threads);
        float *out = fbuf((size_t)N * OC), *dinp = fbuf((size_t)N * C), *dw = fbuf((size_t)OC * C);
        matmul_forward(out, inp, w, b, N, C, OC);
        matmul_backward(dinp, dw, NULL, dout, inp, w, N, C, OC);
        ck_assert_msg(max_abs_diff_d(out, ro, (size_t)N * OC) < 1e-4, "forward, %d threads", threads);
        ck_assert_msg(max_abs_diff_d(dinp, rdi, (size_t)N * C) < 1e-4, "dinp, %d threads", threads);
        ck_assert_msg(max_abs_diff_d(dw, rdw, (size_t)OC * C) < 1e-3, "dweight, %d threads", threads);
    }
    kernels_set_threads(2);
    arena_clear();
}
END_TEST

/* The few-rows forward (N <= 16, token-by-token generation) against naive double references,
 * for every N from 1 to 17 (17: the GEMM again), with and without bias, C with a tail after
 * the 16 lanes, 1 and 2 threads (the output channels split over threads); results must not
 * depend on the thread count. */
START_TEST(test_matmul_few_rows)
{
    rseed(23);
    int C = 70, OC = 600; /* N >= 13: enough work to split over threads */
    float *inp = frand((size_t)17 * C, -1, 1), *w = frand((size_t)OC * C, -1, 1), *b = frand(OC, -1, 1);
    for (int N = 1; N <= 17; N++)
        for (int with_bias = 0; with_bias <= 1; with_bias++) {
            float *out1 = NULL;
            for (int threads = 1; threads <= 2; threads++) {
                kernels_set_threads(threads);
                float *out = fbuf((size_t)N * OC);
                matmul_forward(out, inp, w, with_bias ? b : NULL, N, C, OC);
                for (int n = 0; n < N; n++)
                    for (int o = 0; o < OC; o++) {
                        double acc = with_bias ? b[o] : 0.0;
                        for (int k = 0; k < C; k++) acc += (double)inp[n * C + k] * w[o * C + k];
                        ck_assert_msg(fabs(out[n * OC + o] - acc) < 1e-4, "N %d o %d: %g vs %g", N, o,
                                      (double)out[n * OC + o], acc);
                    }
                if (threads == 1)
                    out1 = out;
                else
                    ck_assert_msg(!memcmp(out1, out, (size_t)N * OC * sizeof(float)), "N %d: thread count", N);
            }
        }
    kernels_set_threads(2);
    arena_clear();
}
END_TEST

/* The vectorizable exp used by softmax, SiLU and the losses, against double exp. */
START_TEST(test_kexpf_accuracy)
{
    rseed(18);
    float *x = frand(20001, -87.0f, 88.0f), *y = fbuf(20001), *z = fbuf(20001);
    x[0] = 0.0f; x[1] = -87.0f; x[2] = 88.0f; x[3] = 1e-30f; x[4] = -1e-30f;
    double worst = 0.0;
    for (int i = 0; i < 20001; i++) {
        double e = exp((double)x[i]);
        worst = fmax(worst, fabs(kexpf(x[i]) - e) / e);
    }
    ck_assert_msg(worst < 3.0e-7, "kexpf relative error %.3g (> 2.5 ulp)", worst);
    /* SiLU goes through it: compare with the libm formula in double */
    silu_forward(y, x, 20001);
    for (int i = 0; i < 20001; i++) {
        double v = x[i], want = v / (1.0 + exp(-v));
        ck_assert_msg(fabs(y[i] - want) <= 1e-6 * fmax(1.0, fabs(want)), "silu(%g) = %g, want %g",
                      v, (double)y[i], want);
    }
    (void)z;
    arena_clear();
}
END_TEST

/* ---- conv2d ------------------------------------------------------------------------------ */

/* d: B H W C OC K stride pad;  f: inp weight bias scratch */
static void fw_conv(fd_case_t *c)
{
    conv2d_forward(c->out, c->f[0], c->f[1], c->f[2], c->f[3], c->d[0], c->d[1], c->d[2],
                   c->d[3], c->d[4], c->d[5], c->d[6], c->d[7]);
}

static void conv_ref(double *out, const float *inp, const float *w, const float *bias, int B,
                     int H, int W, int C, int OC, int K, int st, int pad)
{
    int OH = (H + 2 * pad - K) / st + 1, OW = (W + 2 * pad - K) / st + 1;
    for (int b = 0; b < B; b++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                for (int o = 0; o < OC; o++) {
                    double s = bias ? bias[o] : 0.0;
                    for (int kh = 0; kh < K; kh++)
                        for (int kw = 0; kw < K; kw++) {
                            int ih = oh * st - pad + kh, iw = ow * st - pad + kw;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            for (int ci = 0; ci < C; ci++)
                                s += (double)inp[((b * H + ih) * W + iw) * C + ci] *
                                     w[((o * K + kh) * K + kw) * C + ci];
                        }
                    out[((b * OH + oh) * OW + ow) * OC + o] = s;
                }
}

static void conv_case(int B, int H, int W, int C, int OC, int K, int st, int pad)
{
    int OH = conv2d_out_size(H, K, st, pad), OW = conv2d_out_size(W, K, st, pad);
    size_t nin = (size_t)B * H * W * C, nw = (size_t)OC * K * K * C, nout = (size_t)B * OH * OW * OC;
    fd_case_t c = {.forward = fw_conv, .nout = nout};
    float *inp = frand(nin, -1, 1), *w = frand(nw, -1, 1), *bias = frand(OC, -1, 1);
    size_t ns = conv2d_scratch_size(H, W, C, K, st, pad);
    float *scratch = ns ? fbuf(ns) : NULL;
    c.f[0] = inp; c.f[1] = w; c.f[2] = bias; c.f[3] = scratch;
    int dims[8] = {B, H, W, C, OC, K, st, pad};
    memcpy(c.d, dims, sizeof dims);
    c.out = fbuf(nout);
    c.wout = frand(nout, -1, 1);
    objective(&c);
    double *ref = tmalloc(nout * sizeof(double));
    conv_ref(ref, inp, w, bias, B, H, W, C, OC, K, st, pad);
    ck_assert_msg(max_abs_diff_d(c.out, ref, nout) < 1e-5, "conv forward K=%d s=%d p=%d", K, st, pad);
    float *dinp = gbuf(nin), *dw = gbuf(nw), *db = gbuf(OC);
    conv2d_backward(dinp, dw, db, c.wout, inp, w, scratch, B, H, W, C, OC, K, st, pad);
    gtake();
    CHECK_FD(&c, inp, nin, dinp, 1e-2f);
    CHECK_FD(&c, w, nw, dw, 1e-2f);
    CHECK_FD(&c, bias, OC, db, 1e-2f);
}

START_TEST(test_conv2d)
{
    rseed(3);
    conv_case(2, 5, 6, 3, 4, 3, 1, 1);    /* 3x3 same */
    conv_case(1, 6, 6, 2, 3, 4, 2, 1);    /* 4x4 stride 2 (encoder downsampling) */
    conv_case(2, 4, 4, 3, 2, 2, 2, 0);    /* K = stride: patch-embedding style */
    conv_case(1, 3, 5, 4, 3, 1, 1, 0);    /* pointwise: plain matmul path */
    conv_case(1, 5, 5, 2, 2, 3, 2, 0);    /* stride 2, no padding, odd size */
    arena_clear();
}
END_TEST

/* Large enough for several im2col chunks (the chunk boundaries cross images): forward and
 * backward against naive double references, and bit-identical on a second run. */
START_TEST(test_conv2d_chunked)
{
    rseed(4);
    int B = 3, H = 40, W = 40, C = 3, OC = 4, K = 3, st = 1, pad = 1;
    int OH = conv2d_out_size(H, K, st, pad), OW = conv2d_out_size(W, K, st, pad);
    size_t nin = (size_t)B * H * W * C, nw = (size_t)OC * K * K * C, nout = (size_t)B * OH * OW * OC;
    ck_assert(conv2d_scratch_size(H, W, C, K, st, pad) < (size_t)B * OH * OW * K * K * C / 2);
    float *inp = frand(nin, -1, 1), *w = frand(nw, -1, 1), *bias = frand(OC, -1, 1);
    float *scratch = fbuf(conv2d_scratch_size(H, W, C, K, st, pad));
    float *out = fbuf(nout), *dout = frand(nout, -1, 1);
    conv2d_forward(out, inp, w, bias, scratch, B, H, W, C, OC, K, st, pad);
    double *ref = tmalloc(nout * sizeof(double));
    conv_ref(ref, inp, w, bias, B, H, W, C, OC, K, st, pad);
    ck_assert(max_abs_diff_d(out, ref, nout) < 1e-5);
    float *dinp = fbuf(nin), *dw = fbuf(nw), *db = fbuf(OC);
    conv2d_backward(dinp, dw, db, dout, inp, w, scratch, B, H, W, C, OC, K, st, pad);
    /* naive backward */
    double *rdi = tmalloc(nin * sizeof(double)), *rdw = tmalloc(nw * sizeof(double));
    for (int b = 0; b < B; b++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                for (int o = 0; o < OC; o++) {
                    double g = dout[((b * OH + oh) * OW + ow) * OC + o];
                    for (int kh = 0; kh < K; kh++)
                        for (int kw = 0; kw < K; kw++) {
                            int ih = oh * st - pad + kh, iw = ow * st - pad + kw;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            for (int ci = 0; ci < C; ci++) {
                                size_t ii = ((size_t)(b * H + ih) * W + iw) * C + ci;
                                size_t wi = ((size_t)(o * K + kh) * K + kw) * C + ci;
                                rdi[ii] += g * w[wi];
                                rdw[wi] += g * inp[ii];
                            }
                        }
                }
    ck_assert(max_abs_diff_d(dinp, rdi, nin) < 1e-4);
    ck_assert(max_abs_diff_d(dw, rdw, nw) < 1e-2);   /* sums of 4800 terms in float */
    /* determinism */
    float *out2 = fbuf(nout), *dinp2 = fbuf(nin), *dw2 = fbuf(nw), *db2 = fbuf(OC);
    conv2d_forward(out2, inp, w, bias, scratch, B, H, W, C, OC, K, st, pad);
    conv2d_backward(dinp2, dw2, db2, dout, inp, w, scratch, B, H, W, C, OC, K, st, pad);
    ck_assert(!memcmp(out, out2, nout * sizeof(float)));
    ck_assert(!memcmp(dinp, dinp2, nin * sizeof(float)));
    ck_assert(!memcmp(dw, dw2, nw * sizeof(float)));
    ck_assert(!memcmp(db, db2, OC * sizeof(float)));
    arena_clear();
}
END_TEST

/* ---- upsample, patchify, unpatchify ------------------------------------------------------- */

/* d: B H W C f-or-P */
static void fw_upsample(fd_case_t *c)
{
    upsample_nearest_forward(c->out, c->f[0], c->d[0], c->d[1], c->d[2], c->d[3], c->d[4]);
}
static void fw_patchify(fd_case_t *c)
{
    patchify_forward(c->out, c->f[0], c->d[0], c->d[1], c->d[2], c->d[3], c->d[4]);
}
static void fw_unpatchify(fd_case_t *c)
{
    unpatchify_forward(c->out, c->f[0], c->d[0], c->d[1], c->d[2], c->d[3], c->d[4]);
}

START_TEST(test_upsample_patchify)
{
    rseed(5);
    int B = 2, H = 3, W = 2, C = 2, f = 2;
    size_t nin = (size_t)B * H * W * C, nout = nin * f * f;
    fd_case_t c = {.forward = fw_upsample, .nout = nout};
    float *x = frand(nin, -1, 1);
    c.f[0] = x;
    int d1[5] = {B, H, W, C, f};
    memcpy(c.d, d1, sizeof d1);
    c.out = fbuf(nout);
    c.wout = frand(nout, -1, 1);
    objective(&c);
    for (int b = 0; b < B; b++)
        for (int y = 0; y < H * f; y++)
            for (int xx = 0; xx < W * f; xx++)
                for (int ch = 0; ch < C; ch++)
                    ck_assert(c.out[((b * H * f + y) * W * f + xx) * C + ch] ==
                              x[((b * H + y / f) * W + xx / f) * C + ch]);
    float *dx = gbuf(nin);
    upsample_nearest_backward(dx, c.wout, B, H, W, C, f);
    gtake();
    CHECK_FD(&c, x, nin, dx, 1e-2f);

    /* patchify: index formula, gradient, and unpatchify(patchify(x)) == x */
    int P = 2;
    H = 4; W = 6; C = 3;
    size_t n = (size_t)B * H * W * C;
    fd_case_t p = {.forward = fw_patchify, .nout = n};
    float *img = frand(n, -1, 1);
    p.f[0] = img;
    int d2[5] = {B, H, W, C, P};
    memcpy(p.d, d2, sizeof d2);
    p.out = fbuf(n);
    p.wout = frand(n, -1, 1);
    objective(&p);
    int TW = W / P;
    for (int b = 0; b < B; b++)
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++)
                for (int ch = 0; ch < C; ch++) {
                    int tok = (y / P) * TW + xx / P, feat = ((y % P) * P + xx % P) * C + ch;
                    ck_assert(p.out[((size_t)b * (H / P) * TW + tok) * P * P * C + feat] ==
                              img[((b * H + y) * W + xx) * C + ch]);
                }
    float *dimg = gbuf(n);
    patchify_backward(dimg, p.wout, B, H, W, C, P);
    gtake();
    CHECK_FD(&p, img, n, dimg, 1e-2f);
    float *back = fbuf(n);
    unpatchify_forward(back, p.out, B, H, W, C, P);
    ck_assert(!memcmp(back, img, n * sizeof(float)));

    fd_case_t u = {.forward = fw_unpatchify, .nout = n};
    float *tok = frand(n, -1, 1);
    u.f[0] = tok;
    memcpy(u.d, d2, sizeof d2);
    u.out = fbuf(n);
    u.wout = frand(n, -1, 1);
    objective(&u);
    float *dtok = gbuf(n);
    unpatchify_backward(dtok, u.wout, B, H, W, C, P);
    gtake();
    CHECK_FD(&u, tok, n, dtok, 1e-2f);
    arena_clear();
}
END_TEST

/* ---- norms ------------------------------------------------------------------------------- */

/* f: inp weight bias mean rstd; d: N C (rms/layer) or B HW C G (group) */
static void fw_rmsnorm(fd_case_t *c)
{
    rmsnorm_forward(c->out, c->f[4], c->f[0], c->f[1], c->d[0], c->d[1], 1e-5f);
}
static void fw_layernorm(fd_case_t *c)
{
    layernorm_forward(c->out, c->f[3], c->f[4], c->f[0], c->f[1], c->f[2], c->d[0], c->d[1], 1e-5f);
}
static void fw_groupnorm(fd_case_t *c)
{
    groupnorm_forward(c->out, c->f[3], c->f[4], c->f[0], c->f[1], c->f[2], c->d[0], c->d[1],
                      c->d[2], c->d[3], 1e-5f);
}

START_TEST(test_norms)
{
    rseed(6);
    int N = 4, C = 9;
    size_t n = (size_t)N * C;
    /* RMSNorm */
    fd_case_t r = {.forward = fw_rmsnorm, .nout = n};
    float *x = frand(n, -2, 2), *w = frand(C, 0.5f, 1.5f);
    r.f[0] = x; r.f[1] = w; r.f[4] = fbuf(N);
    r.d[0] = N; r.d[1] = C;
    r.out = fbuf(n);
    r.wout = frand(n, -1, 1);
    objective(&r);
    for (int i = 0; i < N; i++) {
        double ss = 0.0;
        for (int k = 0; k < C; k++) ss += (double)x[i * C + k] * x[i * C + k];
        double rs = 1.0 / sqrt(ss / C + 1e-5);
        for (int k = 0; k < C; k++) ck_assert_double_eq_tol(r.out[i * C + k], x[i * C + k] * rs * w[k], 1e-5);
    }
    float *dx = gbuf(n), *dw = gbuf(C);
    rmsnorm_backward(dx, dw, r.wout, x, w, r.f[4], N, C);
    gtake();
    CHECK_FD(&r, x, n, dx, 1e-2f);
    CHECK_FD(&r, w, C, dw, 1e-2f);

    /* LayerNorm */
    fd_case_t l = {.forward = fw_layernorm, .nout = n};
    float *b = frand(C, -0.5f, 0.5f);
    l.f[0] = x; l.f[1] = w; l.f[2] = b; l.f[3] = fbuf(N); l.f[4] = fbuf(N);
    l.d[0] = N; l.d[1] = C;
    l.out = fbuf(n);
    l.wout = frand(n, -1, 1);
    objective(&l);
    for (int i = 0; i < N; i++) {
        double mu = 0.0, var = 0.0;
        for (int k = 0; k < C; k++) mu += x[i * C + k];
        mu /= C;
        for (int k = 0; k < C; k++) var += (x[i * C + k] - mu) * (x[i * C + k] - mu);
        double rs = 1.0 / sqrt(var / C + 1e-5);
        for (int k = 0; k < C; k++)
            ck_assert_double_eq_tol(l.out[i * C + k], (x[i * C + k] - mu) * rs * w[k] + b[k], 1e-5);
    }
    float *lx = gbuf(n), *lw = gbuf(C), *lb = gbuf(C);
    layernorm_backward(lx, lw, lb, l.wout, x, w, l.f[3], l.f[4], N, C);
    gtake();
    CHECK_FD(&l, x, n, lx, 1e-2f);
    CHECK_FD(&l, w, C, lw, 1e-2f);
    CHECK_FD(&l, b, C, lb, 1e-2f);

    /* GroupNorm, NHWC: B=2, HW=5, C=6, G=3 */
    int B = 2, HW = 5, GC = 6, G = 3;
    size_t gn = (size_t)B * HW * GC;
    fd_case_t g = {.forward = fw_groupnorm, .nout = gn};
    float *gx = frand(gn, -2, 2), *gw = frand(GC, 0.5f, 1.5f), *gb = frand(GC, -0.5f, 0.5f);
    g.f[0] = gx; g.f[1] = gw; g.f[2] = gb; g.f[3] = fbuf(B * G); g.f[4] = fbuf(B * G);
    g.d[0] = B; g.d[1] = HW; g.d[2] = GC; g.d[3] = G;
    g.out = fbuf(gn);
    g.wout = frand(gn, -1, 1);
    objective(&g);
    int CG = GC / G;
    for (int bb = 0; bb < B; bb++)
        for (int gg = 0; gg < G; gg++) {
            double mu = 0.0, var = 0.0;
            for (int p = 0; p < HW; p++)
                for (int k = 0; k < CG; k++) mu += gx[(bb * HW + p) * GC + gg * CG + k];
            mu /= HW * CG;
            for (int p = 0; p < HW; p++)
                for (int k = 0; k < CG; k++) {
                    double dd = gx[(bb * HW + p) * GC + gg * CG + k] - mu;
                    var += dd * dd;
                }
            double rs = 1.0 / sqrt(var / (HW * CG) + 1e-5);
            for (int p = 0; p < HW; p++)
                for (int k = 0; k < CG; k++) {
                    int i = (bb * HW + p) * GC + gg * CG + k, ch = gg * CG + k;
                    ck_assert_double_eq_tol(g.out[i], (gx[i] - mu) * rs * gw[ch] + gb[ch], 1e-5);
                }
        }
    float *gdx = gbuf(gn), *gdw = gbuf(GC), *gdb = gbuf(GC);
    groupnorm_backward(gdx, gdw, gdb, g.wout, gx, gw, g.f[3], g.f[4], B, HW, GC, G);
    gtake();
    CHECK_FD(&g, gx, gn, gdx, 1e-2f);
    CHECK_FD(&g, gw, GC, gdw, 1e-2f);
    CHECK_FD(&g, gb, GC, gdb, 1e-2f);
    arena_clear();
}
END_TEST

/* ---- activations ------------------------------------------------------------------------- */

static void fw_gelu(fd_case_t *c)
{
    gelu_forward(c->out, c->f[0], (size_t)c->d[0]);
}
static void fw_swiglu(fd_case_t *c)
{
    swiglu_forward(c->out, c->f[0], c->d[0], c->d[1]);
}
static void fw_add(fd_case_t *c)
{
    add_forward(c->out, c->f[0], c->f[1], (size_t)c->d[0]);
}

START_TEST(test_activations)
{
    rseed(7);
    int n = 40;
    float *x = frand(n, -4, 4);
    /* SiLU */
    fd_case_t s = {.forward = fw_silu, .nout = (size_t)n};
    s.f[0] = x; s.d[0] = n;
    s.out = fbuf(n);
    s.wout = frand(n, -1, 1);
    objective(&s);
    for (int i = 0; i < n; i++) ck_assert_double_eq_tol(s.out[i], x[i] / (1.0 + exp(-x[i])), 1e-6);
    float *ds = gbuf(n);
    silu_backward(ds, s.wout, x, n);
    gtake();
    CHECK_FD(&s, x, n, ds, 1e-2f);
    /* GELU (tanh) */
    fd_case_t g = {.forward = fw_gelu, .nout = (size_t)n};
    g.f[0] = x; g.d[0] = n;
    g.out = fbuf(n);
    g.wout = frand(n, -1, 1);
    objective(&g);
    for (int i = 0; i < n; i++) {
        double v = x[i];
        ck_assert_double_eq_tol(g.out[i], 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))), 1e-5);
    }
    float *dg = gbuf(n);
    gelu_backward(dg, g.wout, x, n);
    gtake();
    CHECK_FD(&g, x, n, dg, 1e-2f);
    /* SwiGLU: N=4 rows, F=5 */
    int N = 4, F = 5;
    fd_case_t w = {.forward = fw_swiglu, .nout = (size_t)N * F};
    float *in = frand(N * 2 * F, -3, 3);
    w.f[0] = in; w.d[0] = N; w.d[1] = F;
    w.out = fbuf(N * F);
    w.wout = frand(N * F, -1, 1);
    objective(&w);
    for (int r = 0; r < N; r++)
        for (int i = 0; i < F; i++) {
            double a = in[r * 2 * F + i], bb = in[r * 2 * F + F + i];
            ck_assert_double_eq_tol(w.out[r * F + i], a / (1 + exp(-a)) * bb, 1e-5);
        }
    float *dw = gbuf(N * 2 * F);
    swiglu_backward(dw, w.wout, in, N, F);
    gtake();
    CHECK_FD(&w, in, N * 2 * F, dw, 1e-2f);
    /* add */
    fd_case_t a = {.forward = fw_add, .nout = (size_t)n};
    float *y = frand(n, -1, 1);
    a.f[0] = x; a.f[1] = y; a.d[0] = n;
    a.out = fbuf(n);
    a.wout = frand(n, -1, 1);
    objective(&a);
    float *da = gbuf(n), *db = gbuf(n);
    add_backward(da, db, a.wout, n);
    gtake();
    CHECK_FD(&a, x, n, da, 1e-2f);
    CHECK_FD(&a, y, n, db, 1e-2f);
    /* scale_inplace */
    float *z = frand(n, -1, 1), *z0 = fbuf(n);
    memcpy(z0, z, n * sizeof(float));
    scale_inplace(z, n, 0.25f);
    for (int i = 0; i < n; i++) ck_assert(z[i] == z0[i] * 0.25f);
    arena_clear();
}
END_TEST

/* ---- RoPE -------------------------------------------------------------------------------- */

/* d: B T NH HD ld pos0; f[0] input (copied to out, then rotated in place) */
static void fw_rope(fd_case_t *c)
{
    memcpy(c->out, c->f[0], c->nout * sizeof(float));
    rope_forward(c->out, c->d[0], c->d[1], c->d[2], c->d[3], c->d[4], c->d[5], 10000.0f);
}

START_TEST(test_rope)
{
    rseed(8);
    int B = 2, T = 5, NH = 2, HD = 6, ld = 3 * NH * HD, pos0 = 3;
    size_t n = (size_t)B * T * ld;
    fd_case_t c = {.forward = fw_rope, .nout = n};
    float *x = frand(n, -1, 1);
    c.f[0] = x;
    int d[6] = {B, T, NH, HD, ld, pos0};
    memcpy(c.d, d, sizeof d);
    c.out = fbuf(n);
    c.wout = frand(n, -1, 1);
    objective(&c);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int k = 0; k < ld; k++) {
                size_t at = ((size_t)b * T + t) * ld + k;
                if (k >= NH * HD) {            /* columns beyond the heads are untouched */
                    ck_assert(c.out[at] == x[at]);
                    continue;
                }
                int i = (k % HD) / 2;
                double ang = (pos0 + t) * pow(10000.0, -2.0 * i / HD);
                double x0 = x[at - (k % 2)], x1 = x[at - (k % 2) + 1];
                double want = k % 2 == 0 ? x0 * cos(ang) - x1 * sin(ang) : x0 * sin(ang) + x1 * cos(ang);
                ck_assert_double_eq_tol(c.out[at], want, 1e-5);
            }
    /* in-place backward: the inverse rotation of the output gradient */
    float *g = fbuf(n);
    memcpy(g, c.wout, n * sizeof(float));
    rope_backward(g, B, T, NH, HD, ld, pos0, 10000.0f);
    CHECK_FD(&c, x, n, g, 1e-2f);
    arena_clear();
}
END_TEST

/* ---- attention --------------------------------------------------------------------------- */

/* f: q k v att; ad: dims */
static void fw_attn(fd_case_t *c)
{
    attention_forward(c->out, c->f[3], c->f[0], c->f[1], c->f[2], &c->ad);
}

static void attn_ref(double *out, const float *q, const float *k, const float *v,
                     const attn_dims_t *d)
{
    int C = d->NH * d->HD;
    for (int b = 0; b < d->B; b++)
        for (int h = 0; h < d->NH; h++)
            for (int t = 0; t < d->T; t++) {
                int lo, hi;
                attn_range(d, t, &lo, &hi);
                double *o = out + ((size_t)b * d->T + t) * C + h * d->HD;
                for (int e = 0; e < d->HD; e++) o[e] = 0.0;
                if (lo >= hi) continue;
                double sc[64], mx = -1e300, sum = 0.0;
                for (int s = lo; s < hi; s++) {
                    double dot = 0.0;
                    for (int e = 0; e < d->HD; e++)
                        dot += (double)q[b * d->q_bs + (size_t)t * d->q_ld + h * d->HD + e] *
                               k[b * d->k_bs + (size_t)s * d->k_ld + h * d->HD + e];
                    sc[s] = dot * d->scale;
                    mx = fmax(mx, sc[s]);
                }
                for (int s = lo; s < hi; s++) sum += (sc[s] = exp(sc[s] - mx));
                for (int s = lo; s < hi; s++)
                    for (int e = 0; e < d->HD; e++)
                        o[e] += sc[s] / sum * v[b * d->v_bs + (size_t)s * d->v_ld + h * d->HD + e];
            }
}

START_TEST(test_attention_self)
{
    rseed(9);
    int B = 2, T = 5, C = 8, NH = 2;
    for (int causal = 0; causal <= 1; causal++) {
        size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C;
        fd_case_t c = {.forward = fw_attn, .nout = nout};
        c.ad = attn_dims_self(B, T, C, NH, causal);
        float *qkv = frand(nqkv, -1.5f, 1.5f);
        c.f[0] = qkv; c.f[1] = qkv + C; c.f[2] = qkv + 2 * C;
        c.f[3] = fbuf(attention_scratch_size(&c.ad));
        c.out = fbuf(nout);
        c.wout = frand(nout, -1, 1);
        objective(&c);
        double *ref = tmalloc(nout * sizeof(double));
        attn_ref(ref, qkv, qkv + C, qkv + 2 * C, &c.ad);
        ck_assert(max_abs_diff_d(c.out, ref, nout) < 1e-5);
        if (causal) /* probabilities above the diagonal are exactly zero */
            for (int t = 0; t < T; t++)
                for (int s = t + 1; s < T; s++) ck_assert(c.f[3][t * T + s] == 0.0f);
        float *dqkv = gbuf(nqkv), *scratch = fbuf(attention_scratch_size(&c.ad));
        attention_backward(dqkv, dqkv + C, dqkv + 2 * C, scratch, c.wout, qkv, qkv + C,
                           qkv + 2 * C, c.f[3], &c.ad);
        gtake();
        CHECK_FD(&c, qkv, nqkv, dqkv, 1e-2f);
    }
    arena_clear();
}
END_TEST

START_TEST(test_attention_cross_banded)
{
    rseed(10);
    int B = 2, T = 4, S = 7, C = 6, NH = 3;
    size_t nq = (size_t)B * T * C, nkv = (size_t)B * S * 2 * C, nout = nq;
    fd_case_t c = {.forward = fw_attn, .nout = nout};
    c.ad = attn_dims_cross(B, T, S, C, NH);
    /* query t sees keys [t-1, 2t): t = 0 is empty, the band moves and widens */
    c.ad.lo0 = -1; c.ad.lo_step = 1; c.ad.hi0 = 0; c.ad.hi_step = 2;
    float *q = frand(nq, -1.5f, 1.5f), *kv = frand(nkv, -1.5f, 1.5f);
    c.f[0] = q; c.f[1] = kv; c.f[2] = kv + C;
    c.f[3] = fbuf(attention_scratch_size(&c.ad));
    c.out = fbuf(nout);
    c.wout = frand(nout, -1, 1);
    objective(&c);
    double *ref = tmalloc(nout * sizeof(double));
    attn_ref(ref, q, kv, kv + C, &c.ad);
    ck_assert(max_abs_diff_d(c.out, ref, nout) < 1e-5);
    for (int e = 0; e < C; e++) ck_assert(c.out[e] == 0.0f);   /* empty row */
    float *dq = gbuf(nq), *dkv = gbuf(nkv), *scratch = fbuf(attention_scratch_size(&c.ad));
    attention_backward(dq, dkv, dkv + C, scratch, c.wout, q, kv, kv + C, c.f[3], &c.ad);
    gtake();
    CHECK_FD(&c, q, nq, dq, 1e-2f);
    CHECK_FD(&c, kv, nkv, dkv, 1e-2f);
    /* dk/dv NULL: dq unchanged */
    float *dq2 = fbuf(nq);
    attention_backward(dq2, NULL, NULL, scratch, c.wout, q, kv, kv + C, c.f[3], &c.ad);
    ck_assert(max_abs_diff(dq, dq2, nq) < 1e-6);
    /* LDM-style prefix band: query h sees frames 0..h of P = 2 tokens */
    c.ad.lo0 = 0; c.ad.lo_step = 0; c.ad.hi0 = 2; c.ad.hi_step = 2;
    objective(&c);
    attn_ref(ref, q, kv, kv + C, &c.ad);
    ck_assert(max_abs_diff_d(c.out, ref, nout) < 1e-5);
    arena_clear();
}
END_TEST

/* Generation with a KV cache (attn_dims_cached): a prompt of P tokens, then one token per
 * step, each appended to a cache [B, Smax, 2C]; every output row equals the full causal
 * forward over the whole sequence. */
START_TEST(test_attention_kv_step)
{
    rseed(11);
    int B = 2, T = 6, C = 8, NH = 2, Smax = T + 3, P = 2;
    size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C;
    float *qkv = frand(nqkv, -1.5f, 1.5f), *out = fbuf(nout);
    attn_dims_t d = attn_dims_self(B, T, C, NH, 1);
    float *att = fbuf(attention_scratch_size(&d));
    attention_forward(out, att, qkv, qkv + C, qkv + 2 * C, &d);
    float *cache = fbuf((size_t)B * Smax * 2 * C), *step_qkv = fbuf(nqkv), *step_out = fbuf(nout);
    float *satt = fbuf((size_t)B * NH * T * Smax);
    for (int t0 = 0; t0 < T;) {
        int n = t0 == 0 ? P : 1;   /* prefill P tokens, then one at a time */
        for (int b = 0; b < B; b++)
            for (int i = 0; i < n; i++) {
                const float *row = qkv + ((size_t)b * T + t0 + i) * 3 * C;
                memcpy(step_qkv + ((size_t)b * n + i) * 3 * C, row, 3 * C * sizeof(float));
                memcpy(cache + ((size_t)b * Smax + t0 + i) * 2 * C, row + C, 2 * C * sizeof(float));
            }
        attn_dims_t s = attn_dims_cached(B, n, t0 + n, Smax, C, NH);
        attention_forward(step_out, satt, step_qkv, cache, cache + C, &s);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < n; i++)
                for (int e = 0; e < C; e++)
                    ck_assert_double_eq_tol(step_out[((size_t)b * n + i) * C + e],
                                            out[((size_t)b * T + t0 + i) * C + e], 1e-6);
        t0 += n;
    }
    arena_clear();
}
END_TEST

/* ---- softmax and losses ------------------------------------------------------------------ */

static void fw_softmax(fd_case_t *c)
{
    softmax_forward(c->out, c->f[0], c->d[0], c->d[1]);
}
/* The fused loss: out = losses; wout is dscale for every row. */
static void fw_xent(fd_case_t *c)
{
    softmax_cross_entropy(c->out, NULL, c->f[0], c->i[0], c->d[0], c->d[1], c->d[2], c->s[0]);
}
static void fw_mse(fd_case_t *c)
{
    mse_forward(c->out, c->f[0], c->f[1], c->d[0], c->d[1]);
}
static void fw_l1(fd_case_t *c)
{
    l1_forward(c->out, c->f[0], c->f[1], c->d[0], c->d[1]);
}

START_TEST(test_softmax_losses)
{
    rseed(12);
    int N = 5, V = 7;
    /* softmax */
    fd_case_t s = {.forward = fw_softmax, .nout = (size_t)N * V};
    float *x = frand(N * V, -3, 3);
    s.f[0] = x; s.d[0] = N; s.d[1] = V;
    s.out = fbuf(N * V);
    s.wout = frand(N * V, -1, 1);
    objective(&s);
    for (int n = 0; n < N; n++) {
        double sum = 0.0;
        for (int i = 0; i < V; i++) sum += exp(x[n * V + i]);
        for (int i = 0; i < V; i++) ck_assert_double_eq_tol(s.out[n * V + i], exp(x[n * V + i]) / sum, 1e-6);
    }
    float *dx = gbuf(N * V);
    softmax_backward(dx, s.wout, s.out, N, V);
    gtake();
    CHECK_FD(&s, x, N * V, dx, 1e-2f);

    /* fused cross-entropy: strided rows (ld = V + 3), row 2 ignored */
    int ld = V + 3;
    float dscale = 0.25f;
    int *tg = tmalloc(N * sizeof(int));
    for (int n = 0; n < N; n++) tg[n] = (int)(urand() * V);
    tg[2] = -1;
    fd_case_t e = {.forward = fw_xent, .nout = (size_t)N};
    float *lg = frand(N * ld, -3, 3), *wd = fbuf(N);
    for (int n = 0; n < N; n++) wd[n] = dscale;
    e.f[0] = lg; e.i[0] = tg; e.d[0] = N; e.d[1] = V; e.d[2] = ld; e.s[0] = dscale;
    e.out = fbuf(N);
    e.wout = wd;
    objective(&e);
    for (int n = 0; n < N; n++) {
        if (tg[n] < 0) {
            ck_assert(e.out[n] == 0.0f);
            continue;
        }
        double sum = 0.0;
        for (int i = 0; i < V; i++) sum += exp(lg[n * ld + i]);
        ck_assert_double_eq_tol(e.out[n], log(sum) - lg[n * ld + tg[n]], 1e-5);
    }
    float *dl = gbuf(N * ld), *losses2 = fbuf(N);
    softmax_cross_entropy(losses2, dl, lg, tg, N, V, ld, dscale);
    gtake();
    ck_assert(!memcmp(losses2, e.out, N * sizeof(float)));   /* same losses with the backward */
    for (int n = 0; n < N; n++)
        for (int i = V; i < ld; i++) ck_assert(dl[n * ld + i] == 0.0f);   /* padding untouched */
    for (int i = 0; i < V; i++) ck_assert(dl[2 * ld + i] == 0.0f);        /* ignored row */
    CHECK_FD(&e, lg, N * ld, dl, 1e-2f);

    /* MSE and L1, mean over D per row; dscale 0.5 */
    int D = 6;
    float *p = frand(N * D, -1, 1), *t = fbuf(N * D), *ws = fbuf(N);
    for (int i = 0; i < N * D; i++)   /* |p - t| >= 0.1 so L1 is smooth around the points */
        t[i] = p[i] + (float)((urand() < 0.5 ? -1 : 1) * (0.1 + urand()));
    for (int n = 0; n < N; n++) ws[n] = 0.5f;
    fd_case_t m = {.forward = fw_mse, .nout = (size_t)N};
    m.f[0] = p; m.f[1] = t; m.d[0] = N; m.d[1] = D;
    m.out = fbuf(N);
    m.wout = ws;
    objective(&m);
    for (int n = 0; n < N; n++) {
        double acc = 0.0;
        for (int i = 0; i < D; i++) acc += (p[n * D + i] - t[n * D + i]) * (double)(p[n * D + i] - t[n * D + i]);
        ck_assert_double_eq_tol(m.out[n], acc / D, 1e-6);
    }
    float *dp = gbuf(N * D);
    mse_backward(dp, p, t, N, D, 0.5f);
    gtake();
    CHECK_FD(&m, p, N * D, dp, 1e-2f);
    fd_case_t a = {.forward = fw_l1, .nout = (size_t)N};
    a.f[0] = p; a.f[1] = t; a.d[0] = N; a.d[1] = D;
    a.out = fbuf(N);
    a.wout = ws;
    objective(&a);
    for (int n = 0; n < N; n++) {
        double acc = 0.0;
        for (int i = 0; i < D; i++) acc += fabs((double)p[n * D + i] - t[n * D + i]);
        ck_assert_double_eq_tol(a.out[n], acc / D, 1e-6);
    }
    float *da = gbuf(N * D);
    l1_backward(da, p, t, N, D, 0.5f);
    gtake();
    CHECK_FD(&a, p, N * D, da, 1e-2f);
    arena_clear();
}
END_TEST

/* ---- embedding --------------------------------------------------------------------------- */

static void fw_embed(fd_case_t *c)
{
    embedding_forward(c->out, c->i[0], c->f[0], c->d[0], c->d[1], c->d[2]);
}

START_TEST(test_embedding)
{
    rseed(13);
    int N = 7, C = 5, V = 4;
    int ids[7] = {0, 3, 3, 1, 0, 3, 2};
    fd_case_t c = {.forward = fw_embed, .nout = (size_t)N * C};
    float *table = frand(V * C, -1, 1);
    c.f[0] = table; c.i[0] = ids; c.d[0] = N; c.d[1] = C; c.d[2] = V;
    c.out = fbuf(N * C);
    c.wout = frand(N * C, -1, 1);
    objective(&c);
    for (int n = 0; n < N; n++) ck_assert(!memcmp(c.out + n * C, table + ids[n] * C, C * sizeof(float)));
    float *dt = gbuf(V * C);
    embedding_backward(dt, c.wout, ids, N, C, V);
    gtake();
    CHECK_FD(&c, table, V * C, dt, 1e-2f);
    arena_clear();
}
END_TEST

/* ---- FSQ --------------------------------------------------------------------------------- */

static double fsq_bound_ref(double z, int L)
{
    double half_l = (L - 1) * (1.0 + 1e-3) / 2.0, offset = L % 2 ? 0.0 : 0.5;
    return tanh(z + atanh(offset / half_l)) * half_l - offset;
}

START_TEST(test_fsq)
{
    rseed(14);
    int levels[4] = {8, 5, 3, 2}, D = 4, N = 200;
    long K = fsq_codebook_size(levels, D);
    ck_assert_int_eq(K, 240);
    float *z = frand((size_t)N * D, -3, 3), *zh = fbuf((size_t)N * D), *zh2 = fbuf((size_t)N * D);
    int *codes = tmalloc(N * sizeof(int)), *dig = tmalloc((size_t)N * D * sizeof(int));
    fsq_forward(zh, codes, z, levels, N, D);
    for (int n = 0; n < N; n++) {
        long code = 0, basis = 1;
        for (int i = 0; i < D; i++) {
            int L = levels[i], hw = L / 2;
            double q = nearbyint(fsq_bound_ref(z[n * D + i], L));
            ck_assert(q >= -hw && q <= hw - (L % 2 == 0));
            ck_assert_double_eq_tol(zh[n * D + i], q / hw, 1e-7);
            code += (long)(q + hw) * basis;
            basis *= L;
        }
        ck_assert_int_eq(codes[n], code);
    }
    /* decode and digits invert the code mapping */
    fsq_decode(zh2, codes, levels, N, D);
    ck_assert(!memcmp(zh, zh2, (size_t)N * D * sizeof(float)));
    fsq_digits(dig, codes, levels, N, D);
    for (int n = 0; n < N; n++)
        for (int i = 0; i < D; i++)
            ck_assert_double_eq_tol(zh[n * D + i], (double)(dig[n * D + i] - levels[i] / 2) / (levels[i] / 2), 1e-7);
    /* every code is reachable: decode it, invert the bound, quantize again */
    int *all = tmalloc(K * sizeof(int)), *back = tmalloc(K * sizeof(int));
    float *zall = fbuf((size_t)K * D), *zinv = fbuf((size_t)K * D);
    for (int k = 0; k < K; k++) all[k] = k;
    fsq_decode(zall, all, levels, (int)K, D);
    for (int k = 0; k < K; k++)
        for (int i = 0; i < D; i++) {
            int L = levels[i], hw = L / 2;
            double half_l = (L - 1) * (1.0 + 1e-3) / 2.0, offset = L % 2 ? 0.0 : 0.5;
            double q = zall[k * D + i] * hw;
            zinv[k * D + i] = (float)(atanh((q + offset) / half_l * (1 - 1e-6)) - atanh(offset / half_l));
        }
    fsq_forward(zall, back, zinv, levels, (int)K, D);
    for (int k = 0; k < K; k++) ck_assert_int_eq(back[k], k);
    /* straight-through backward: the derivative of the un-rounded path bound(z) / (L/2) */
    float *dzh = frand((size_t)N * D, -1, 1), *dz = gbuf((size_t)N * D);
    fsq_backward(dz, dzh, z, levels, N, D);
    gtake();
    double err = 0.0, ref = 1e-3;
    for (int n = 0; n < N; n++)
        for (int i = 0; i < D; i++) {
            int L = levels[i];
            double h = 1e-4, zz = z[n * D + i];
            double fd = (fsq_bound_ref(zz + h, L) - fsq_bound_ref(zz - h, L)) / (2 * h) / (L / 2);
            fd *= dzh[n * D + i];
            err = fmax(err, fabs(fd - dz[n * D + i]));
            ref = fmax(ref, fabs(fd));
        }
    ck_assert_msg(err / ref < 1e-4, "FSQ straight-through gradient: relative error %.3g", err / ref);
    arena_clear();
}
END_TEST

/* ---- optimizer --------------------------------------------------------------------------- */

START_TEST(test_optim)
{
    rseed(15);
    /* norm: accumulates, matches double */
    size_t n = 1000003;
    float *x = frand(n, -1, 1);
    double want = 0.0;
    for (size_t i = 0; i < n; i++) want += (double)x[i] * x[i];
    float acc = 1.0f;
    norm_sq_accumulate(&acc, x, n);
    ck_assert_double_eq_tol(acc, want + 1.0, want * 1e-6);
    float acc2 = 1.0f;
    norm_sq_accumulate(&acc2, x, n);
    ck_assert(acc == acc2);
    /* AdamW: three steps against a double reference */
    int m = 50;
    float *p = frand(m, -1, 1), *mm = fbuf(m), *vv = fbuf(m);
    double *rp = tmalloc(m * sizeof(double)), *rm = tmalloc(m * sizeof(double)), *rv = tmalloc(m * sizeof(double));
    for (int i = 0; i < m; i++) rp[i] = p[i];
    float lr = 1e-2f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f, gs = 0.5f;
    for (int t = 1; t <= 3; t++) {
        float *g = frand(m, -1, 1);
        adamw_update(p, g, mm, vv, m, lr, b1, b2, eps, wd, gs, t);
        for (int i = 0; i < m; i++) {
            double gg = (double)gs * g[i];
            rm[i] = b1 * rm[i] + (1 - (double)b1) * gg;
            rv[i] = b2 * rv[i] + (1 - (double)b2) * gg * gg;
            double mh = rm[i] / (1 - pow(b1, t)), vh = rv[i] / (1 - pow(b2, t));
            rp[i] -= lr * (mh / (sqrt(vh) + eps) + wd * rp[i]);
        }
    }
    ck_assert(max_abs_diff_d(p, rp, m) < 1e-5);
    /* zero gradient: pure decoupled decay */
    float q = 2.0f, zg = 0.0f, zm = 0.0f, zv = 0.0f;
    adamw_update(&q, &zg, &zm, &zv, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, 1.0f, 1);
    ck_assert_double_eq_tol(q, 2.0 - 0.1 * 0.5 * 2.0, 1e-6);
    /* clipping factor */
    ck_assert(grad_clip_scale(0.5f, 1.0f) == 1.0f);
    ck_assert_double_eq_tol(grad_clip_scale(4.0f, 1.0f), 0.25, 1e-6);
    ck_assert(grad_clip_scale(4.0f, 0.0f) == 1.0f);
    /* LR schedule: warmup 10, total 110, 1e-3 -> 1e-4 */
    ck_assert_double_eq_tol(lr_schedule(0, 10, 110, 1e-3f, 1e-4f), 1e-4, 1e-9);
    ck_assert_double_eq_tol(lr_schedule(9, 10, 110, 1e-3f, 1e-4f), 1e-3, 1e-9);
    ck_assert_double_eq_tol(lr_schedule(10, 10, 110, 1e-3f, 1e-4f), 1e-3, 1e-9);
    ck_assert_double_eq_tol(lr_schedule(60, 10, 110, 1e-3f, 1e-4f), 5.5e-4, 1e-9);
    ck_assert_double_eq_tol(lr_schedule(110, 10, 110, 1e-3f, 1e-4f), 1e-4, 1e-9);
    ck_assert_double_eq_tol(lr_schedule(5000, 10, 110, 1e-3f, 1e-4f), 1e-4, 1e-9);
    for (long s = 10; s < 110; s++)
        ck_assert(lr_schedule(s + 1, 10, 110, 1e-3f, 1e-4f) <= lr_schedule(s, 10, 110, 1e-3f, 1e-4f));
    arena_clear();
}
END_TEST

/* ---- determinism and the backend table --------------------------------------------------- */

/* A transformer-block-sized forward + backward of attention and matmul, run twice. */
START_TEST(test_determinism)
{
    rseed(16);
    kernels_set_threads(2);
    int B = 4, T = 32, C = 64, NH = 4;
    size_t nx = (size_t)B * T * C, nqkv = nx * 3;
    float *x = frand(nx, -1, 1), *w = frand((size_t)3 * C * C, -0.2f, 0.2f), *dout = frand(nx, -1, 1);
    attn_dims_t d = attn_dims_self(B, T, C, NH, 1);
    float *res[2][4];
    for (int run = 0; run < 2; run++) {
        float *qkv = fbuf(nqkv), *att = fbuf(attention_scratch_size(&d)), *out = fbuf(nx);
        float *scratch = fbuf(attention_scratch_size(&d)), *dqkv = fbuf(nqkv);
        float *dx = fbuf(nx), *dw = fbuf((size_t)3 * C * C);
        matmul_forward(qkv, x, w, NULL, B * T, C, 3 * C);
        rope_forward(qkv, B, T, NH, C / NH, 3 * C, 0, 10000.0f);
        rope_forward(qkv + C, B, T, NH, C / NH, 3 * C, 0, 10000.0f);
        attention_forward(out, att, qkv, qkv + C, qkv + 2 * C, &d);
        attention_backward(dqkv, dqkv + C, dqkv + 2 * C, scratch, dout, qkv, qkv + C, qkv + 2 * C, att, &d);
        rope_backward(dqkv, B, T, NH, C / NH, 3 * C, 0, 10000.0f);
        rope_backward(dqkv + C, B, T, NH, C / NH, 3 * C, 0, 10000.0f);
        matmul_backward(dx, dw, NULL, dqkv, x, w, B * T, C, 3 * C);
        res[run][0] = out; res[run][1] = dqkv; res[run][2] = dx; res[run][3] = dw;
    }
    ck_assert(!memcmp(res[0][0], res[1][0], nx * sizeof(float)));
    ck_assert(!memcmp(res[0][1], res[1][1], nqkv * sizeof(float)));
    ck_assert(!memcmp(res[0][2], res[1][2], nx * sizeof(float)));
    ck_assert(!memcmp(res[0][3], res[1][3], (size_t)3 * C * C * sizeof(float)));
    arena_clear();
}
END_TEST

START_TEST(test_backend_table)
{
    const backend_t *be = backend_cpu();
    ck_assert_ptr_nonnull(be);
    ck_assert_str_eq(be->name, "cpu");
    ck_assert_ptr_null(backend_missing_entry(be));
    ck_assert(be->matmul_forward == matmul_forward);
    ck_assert(be->attention_backward == attention_backward);
    ck_assert(be->adamw_update == adamw_update);
    /* a table with a hole is reported by name */
    backend_t broken = *be;
    broken.fsq_backward = NULL;
    ck_assert_str_eq(backend_missing_entry(&broken), "fsq_backward");
    const backend_t *cu = backend_cuda();
    if (cu) ck_assert_ptr_null(backend_missing_entry(cu));
    /* memory */
    float host[100], back[100];
    for (int i = 0; i < 100; i++) host[i] = (float)i;
    float *dev = be->alloc(sizeof host), *dev2 = be->alloc(sizeof host);
    ck_assert_ptr_nonnull(dev);
    ck_assert_int_eq((uintptr_t)dev % 64, 0);
    be->to_device(dev, host, sizeof host);
    be->copy(dev2, dev, sizeof host);
    be->synchronize();
    be->to_host(back, dev2, sizeof host);
    ck_assert(!memcmp(host, back, sizeof host));
    be->zero(dev2, sizeof host);
    be->to_host(back, dev2, sizeof host);
    for (int i = 0; i < 100; i++) ck_assert(back[i] == 0.0f);
    be->free(dev);
    be->free(dev2);
    be->free(NULL);
    ck_assert_int_ge(be->set_threads(0), 1);
    ck_assert_ptr_nonnull(strstr(be->describe(), "OpenBLAS"));
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_checker_flags_wrong_gradients);
    tcase_add_test(tc, test_fsq_levels_check);
    tcase_add_test(tc, test_matmul);
    tcase_add_test(tc, test_matmul_split);
    tcase_add_test(tc, test_matmul_few_rows);
    tcase_add_test(tc, test_kexpf_accuracy);
    tcase_add_test(tc, test_conv2d);
    tcase_add_test(tc, test_conv2d_chunked);
    tcase_add_test(tc, test_upsample_patchify);
    tcase_add_test(tc, test_norms);
    tcase_add_test(tc, test_activations);
    tcase_add_test(tc, test_rope);
    tcase_add_test(tc, test_attention_self);
    tcase_add_test(tc, test_attention_cross_banded);
    tcase_add_test(tc, test_attention_kv_step);
    tcase_add_test(tc, test_softmax_losses);
    tcase_add_test(tc, test_embedding);
    tcase_add_test(tc, test_fsq);
    tcase_add_test(tc, test_optim);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_backend_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kernels_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
