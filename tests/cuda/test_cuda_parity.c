/* test_cuda_parity.c: every op of the CUDA backend against its CPU twin (ggml's
 * test-backend-ops idea), plus a whole training step of a small MLP on both backends.
 *
 *   - exits 77 (meson: skipped) when backend_cuda() is NULL: no driver or no GPU. Before that
 *     it runs the host-only self-test of the comparison, so the binary is never vacuous.
 *   - backend_missing_entry() proves both tables complete; each op of the table is then run on
 *     the CPU and on CUDA with the same random inputs, for several shapes (including sizes
 *     that are not multiples of 32, empty attention rows, KV-cache strides, multi-chunk
 *     convolutions, NULL gradient outputs), and every output, saved tensor and gradient is
 *     compared. Gradient buffers start from the same random prior on both sides, so "+="
 *     is checked too; forward outputs start as 0 on the CPU and NaN on CUDA, so an element
 *     CUDA fails to write is a failure.
 *   - tolerances (pass when |cuda - cpu| <= atol * max(1, rms(cpu)) + rtol * |cpu| for every
 *     element; rms is over the whole compared tensor):
 *       exact   0, 0           pure data movement and ops with the CPU's order of additions
 *       elem    1e-5, 1e-6     elementwise maps (device expf/tanhf and the CPU's vectorized
 *                              exp are each a few ulp off the exact value)
 *       gelu    1e-5, 1e-5     GELU (the CPU's fast tanh, see TOL_GELU)
 *       row     1e-5, 1e-5     one-row reductions (statistics in double on both sides)
 *       gemm    1e-4, 1e-4     cuBLAS products and float sums over rows (up to 10^4 terms,
 *                              inputs of magnitude <= 1; cuBLAS runs in plain FP32, no TF32)
 *       adam    1e-5, 1e-9     AdamW moments (v ~ 1e-3: a small absolute floor)
 *     The whole MLP step compares each step's mean loss to 1e-4 relative and the final
 *     parameters with the gemm tolerance.
 *     No op uses atomics, so nothing needs a looser bound; a few ops are also checked to be
 *     bit-identical run to run on the GPU.
 * Each comparison prints one line: op, tensor, size, max |diff| and the worst diff/tolerance.
 * Checks run without fork (CK_NOFORK): a CUDA context does not survive fork().
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend.h"
#include "kernels/ops.h"

static const backend_t *cpu, *gpu;

/* ---- random numbers ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x853c49e6748fea9bull;

static void rseed(uint64_t s)
{
    rng_state = s * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
}

static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

static int irand(int n)
{
    return (int)(urand() * n);
}

/* ---- buffer pairs: a host copy, the CPU backend's buffer and the CUDA backend's buffer --- */

typedef struct { size_t n; float *h, *c, *g; } fbuf_t;
typedef struct { size_t n; int *h, *c, *g; } ibuf_t;

#define MAX_ALLOCS 512
static struct { const backend_t *be; void *p; } allocs[MAX_ALLOCS];
static int nallocs;

static void *track(const backend_t *be, void *p)
{
    ck_assert_ptr_nonnull(p);
    ck_assert_int_lt(nallocs, MAX_ALLOCS);
    allocs[nallocs].be = be;
    allocs[nallocs].p = p;
    nallocs++;
    return p;
}

static void free_all(void)
{
    for (int i = nallocs - 1; i >= 0; i--) {
        if (allocs[i].be) allocs[i].be->free(allocs[i].p);
        else free(allocs[i].p);
    }
    nallocs = 0;
}

static void *halloc(size_t bytes)
{
    return track(NULL, calloc(1, bytes ? bytes : 1));
}

static fbuf_t fb_alloc(size_t n)
{
    fbuf_t b = {n, halloc(n * sizeof(float)), NULL, NULL};
    b.c = track(cpu, cpu->alloc(n * sizeof(float)));
    b.g = track(gpu, gpu->alloc(n * sizeof(float)));
    return b;
}

/* Both backends get the host values b.h. */
static void fb_upload(fbuf_t b)
{
    cpu->to_device(b.c, b.h, b.n * sizeof(float));
    gpu->to_device(b.g, b.h, b.n * sizeof(float));
}

/* Same random values in [lo, hi) on both sides (inputs, and the prior of gradients). */
static fbuf_t fb_rand(size_t n, float lo, float hi)
{
    fbuf_t b = fb_alloc(n);
    for (size_t i = 0; i < n; i++) b.h[i] = (float)(lo + (hi - lo) * urand());
    fb_upload(b);
    return b;
}

/* A forward output: 0 on the CPU, NaN on CUDA (an unwritten element then fails the compare). */
static fbuf_t fb_out(size_t n)
{
    fbuf_t b = fb_alloc(n);
    cpu->to_device(b.c, b.h, n * sizeof(float));
    for (size_t i = 0; i < n; i++) b.h[i] = NAN;
    gpu->to_device(b.g, b.h, n * sizeof(float));
    for (size_t i = 0; i < n; i++) b.h[i] = 0.0f;
    return b;
}

/* Both sides get the CPU side's current values (to feed a backward the same saved tensors). */
static void fb_sync_from_cpu(fbuf_t b)
{
    cpu->to_host(b.h, b.c, b.n * sizeof(float));
    gpu->to_device(b.g, b.h, b.n * sizeof(float));
}

static ibuf_t ib_alloc(size_t n)
{
    ibuf_t b = {n, halloc(n * sizeof(int)), NULL, NULL};
    b.c = track(cpu, cpu->alloc(n * sizeof(int)));
    b.g = track(gpu, gpu->alloc(n * sizeof(int)));
    return b;
}

static void ib_upload(ibuf_t b)
{
    cpu->to_device(b.c, b.h, b.n * sizeof(int));
    gpu->to_device(b.g, b.h, b.n * sizeof(int));
}

/* Random ints in [lo, hi) on both sides. */
static ibuf_t ib_rand(size_t n, int lo, int hi)
{
    ibuf_t b = ib_alloc(n);
    for (size_t i = 0; i < n; i++) b.h[i] = lo + irand(hi - lo);
    ib_upload(b);
    return b;
}

/* An int output: 0 on the CPU, -12345 on CUDA. */
static ibuf_t ib_out(size_t n)
{
    ibuf_t b = ib_alloc(n);
    cpu->to_device(b.c, b.h, n * sizeof(int));
    for (size_t i = 0; i < n; i++) b.h[i] = -12345;
    gpu->to_device(b.g, b.h, n * sizeof(int));
    return b;
}

/* ---- comparison -------------------------------------------------------------------------- */

typedef struct { double rtol, atol; const char *name; } tol_t;

static const tol_t TOL_EXACT = {0.0, 0.0, "exact"};
static const tol_t TOL_ELEM = {1e-5, 1e-6, "elem"};
static const tol_t TOL_ROW = {1e-5, 1e-5, "row"};
static const tol_t TOL_GEMM = {1e-4, 1e-4, "gemm"};
/* GELU: the CPU's tanh (1 - 2/(exp(2x) + 1), about 1e-7 absolute) loses relative accuracy in
 * 1 - tanh^2 for large |x|, and the backward multiplies that by up to ~15 at |x| = 6. */
static const tol_t TOL_GELU = {1e-5, 1e-5, "gelu"};
/* AdamW moments are small (v ~ 1e-3): a tighter absolute floor keeps the check meaningful. */
static const tol_t TOL_ADAM = {1e-5, 1e-9, "adam"};

typedef struct {
    size_t bad, worst_i;
    double max_abs, worst_ratio;
} cmp_result_t;

/* Host-only core of every comparison: ref = CPU, x = CUDA. NaN anywhere counts as bad.
 * Element i passes when |x - ref| <= atol * max(1, rms(ref)) + rtol * |ref[i]|: the absolute
 * floor follows the tensor's scale, since a sum of M terms (a weight gradient over 10^4
 * pixels) carries rounding error in proportion to its magnitude, not to 1. */
static cmp_result_t compare_arrays(const float *ref, const float *x, size_t n, tol_t tol)
{
    cmp_result_t r = {0, 0, 0.0, 0.0};
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += isnan(ref[i]) ? 0.0 : (double)ref[i] * ref[i];
    double scale = n ? sqrt(ss / n) : 0.0, atol = tol.atol * (scale > 1.0 ? scale : 1.0);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)x[i] - ref[i]);
        double lim = atol + tol.rtol * fabs((double)ref[i]);
        int bad = isnan(ref[i]) || isnan(x[i]) || d > lim;
        /* diff / limit; NaN and a nonzero diff under a zero limit count as infinitely far */
        double ratio = bad && !(d > lim) ? INFINITY
                       : lim > 0.0       ? d / lim
                       : d > 0.0         ? INFINITY
                                         : 0.0;
        if (bad) r.bad++;
        if (!(ratio <= r.worst_ratio)) {
            r.worst_ratio = ratio;
            r.worst_i = i;
        }
        if (d > r.max_abs) r.max_abs = d;
    }
    return r;
}

static void cmp_f(const char *op, const char *what, fbuf_t b, tol_t tol)
{
    float *ref = halloc(b.n * sizeof(float)), *x = halloc(b.n * sizeof(float));
    cpu->to_host(ref, b.c, b.n * sizeof(float));
    gpu->to_host(x, b.g, b.n * sizeof(float));
    cmp_result_t r = compare_arrays(ref, x, b.n, tol);
    printf("parity %-26s %-8s n=%-8zu max_abs=%.3e worst=%.3f of tol %s (rtol %.0e, atol %.0e)%s\n",
           op, what, b.n, r.max_abs, r.worst_ratio, tol.name, tol.rtol, tol.atol,
           r.bad ? "  FAIL" : "");
    ck_assert_msg(r.bad == 0,
                  "%s %s: %zu of %zu elements out of tolerance; worst at %zu: cpu %.9g cuda %.9g",
                  op, what, r.bad, b.n, r.worst_i, (double)ref[r.worst_i], (double)x[r.worst_i]);
}

static void cmp_i(const char *op, const char *what, ibuf_t b)
{
    int *ref = halloc(b.n * sizeof(int)), *x = halloc(b.n * sizeof(int));
    cpu->to_host(ref, b.c, b.n * sizeof(int));
    gpu->to_host(x, b.g, b.n * sizeof(int));
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < b.n; i++)
        if (ref[i] != x[i] && !bad++) first = i;
    printf("parity %-26s %-8s n=%-8zu mismatches=%zu (exact)%s\n", op, what, b.n, bad,
           bad ? "  FAIL" : "");
    ck_assert_msg(bad == 0, "%s %s: %zu of %zu ints differ; first at %zu: cpu %d cuda %d", op,
                  what, bad, b.n, first, ref[first], x[first]);
}

/* A gradient output that may be NULL: the pair's pointers or NULLs. */
#define GC(b, on) ((on) ? (b).c : NULL)
#define GG(b, on) ((on) ? (b).g : NULL)

/* ---- the comparison itself (host only: runs even without a GPU) --------------------------- */

START_TEST(test_compare_self)
{
    enum { n = 1000 };
    float a[n], b[n];
    for (int i = 0; i < n; i++) a[i] = b[i] = (float)(urand() * 4.0 - 2.0);
    ck_assert_uint_eq(compare_arrays(a, b, n, TOL_EXACT).bad, 0);
    b[417] = nextafterf(a[417], 10.0f);                       /* one ulp: fails exact only */
    ck_assert_uint_eq(compare_arrays(a, b, n, TOL_EXACT).bad, 1);
    ck_assert_uint_eq(compare_arrays(a, b, n, TOL_ELEM).bad, 0);
    b[417] = a[417] + 3e-4f * (1.0f + fabsf(a[417]));         /* 3x the gemm tolerance */
    cmp_result_t r = compare_arrays(a, b, n, TOL_GEMM);
    ck_assert_uint_eq(r.bad, 1);
    ck_assert_uint_eq(r.worst_i, 417);
    b[417] = a[417];
    b[5] = NAN;                                               /* NaN always fails */
    ck_assert_uint_eq(compare_arrays(a, b, n, TOL_GEMM).bad, 1);
}
END_TEST

/* ---- tables and memory ------------------------------------------------------------------- */

START_TEST(test_tables_complete)
{
    const char *m = backend_missing_entry(cpu);
    ck_assert_msg(m == NULL, "cpu table misses %s", m ? m : "");
    m = backend_missing_entry(gpu);
    ck_assert_msg(m == NULL, "cuda table misses %s", m ? m : "");
    ck_assert_str_eq(gpu->name, "cuda");
    ck_assert_ptr_nonnull(gpu->stream);
    ck_assert_ptr_eq(backend_cuda(), gpu);    /* initialized once, same table after */
    const char *d = gpu->describe();
    ck_assert(d && strlen(d) > 5);
    printf("backend cuda: %s\n", d);
    ck_assert_int_ge(gpu->set_threads(1), 1);
}
END_TEST

START_TEST(test_memory)
{
    rseed(11);
    size_t n = 100003;
    fbuf_t a = fb_rand(n, -1, 1), b = fb_out(n);
    cpu->copy(b.c, a.c, n * sizeof(float));
    gpu->copy(b.g, a.g, n * sizeof(float));
    cpu->zero(b.c + 17, 1000 * sizeof(float));
    gpu->zero(b.g + 17, 1000 * sizeof(float));
    gpu->synchronize();
    cmp_f("memory copy+zero", "b", b, TOL_EXACT);
    float *back = halloc(n * sizeof(float));
    gpu->to_host(back, a.g, n * sizeof(float));
    ck_assert_int_eq(memcmp(back, a.h, n * sizeof(float)), 0);   /* round trip */
    ck_assert_ptr_nonnull(track(gpu, gpu->alloc(0)));            /* 0 bytes: valid pointer */
    gpu->free(NULL);
}
END_TEST

/* ---- linear ------------------------------------------------------------------------------ */

START_TEST(test_matmul)
{
    static const int shapes[][3] = {{1, 1, 1}, {37, 29, 45}, {128, 64, 96}, {200, 300, 70}};
    rseed(21);
    for (int s = 0; s < 4; s++) {
        int N = shapes[s][0], C = shapes[s][1], OC = shapes[s][2], with_bias = s != 1;
        fbuf_t inp = fb_rand((size_t)N * C, -1, 1), w = fb_rand((size_t)OC * C, -1, 1);
        fbuf_t bias = fb_rand((size_t)OC, -1, 1), out = fb_out((size_t)N * OC);
        cpu->matmul_forward(out.c, inp.c, w.c, with_bias ? bias.c : NULL, N, C, OC);
        gpu->matmul_forward(out.g, inp.g, w.g, with_bias ? bias.g : NULL, N, C, OC);
        cmp_f("matmul_forward", "out", out, TOL_GEMM);

        fbuf_t dout = fb_rand((size_t)N * OC, -1, 1);
        fbuf_t dinp = fb_rand((size_t)N * C, -1, 1), dw = fb_rand((size_t)OC * C, -1, 1);
        fbuf_t db = fb_rand((size_t)OC, -1, 1);
        int all = s != 2;   /* shape 2: only dweight (dinp and dbias NULL) */
        cpu->matmul_backward(GC(dinp, all), dw.c, GC(db, all), dout.c, inp.c, w.c, N, C, OC);
        gpu->matmul_backward(GG(dinp, all), dw.g, GG(db, all), dout.g, inp.g, w.g, N, C, OC);
        cmp_f("matmul_backward", "dinp", dinp, TOL_GEMM);
        cmp_f("matmul_backward", "dweight", dw, TOL_GEMM);
        cmp_f("matmul_backward", "dbias", db, TOL_GEMM);
    }
}
END_TEST

START_TEST(test_embedding)
{
    static const int shapes[][3] = {{50, 37, 11}, {300, 64, 1000}, {1, 1, 1}};
    rseed(22);
    for (int s = 0; s < 3; s++) {
        int N = shapes[s][0], C = shapes[s][1], V = shapes[s][2];
        ibuf_t ids = ib_rand((size_t)N, 0, V);
        fbuf_t table = fb_rand((size_t)V * C, -1, 1), out = fb_out((size_t)N * C);
        cpu->embedding_forward(out.c, ids.c, table.c, N, C, V);
        gpu->embedding_forward(out.g, ids.g, table.g, N, C, V);
        cmp_f("embedding_forward", "out", out, TOL_EXACT);
        fbuf_t dout = fb_rand((size_t)N * C, -1, 1), dt = fb_rand((size_t)V * C, -1, 1);
        cpu->embedding_backward(dt.c, dout.c, ids.c, N, C, V);
        gpu->embedding_backward(dt.g, dout.g, ids.g, N, C, V);
        cmp_f("embedding_backward", "dtable", dt, TOL_EXACT);   /* same order of additions */
    }
}
END_TEST

/* ---- convolution, upsampling, patches ---------------------------------------------------- */

START_TEST(test_conv2d)
{
    /* B, H, W, C, OC, K, stride, pad */
    static const int shapes[][8] = {
        {2, 9, 11, 5, 7, 3, 1, 1},   /* same-size 3x3 */
        {1, 16, 16, 8, 12, 4, 2, 1}, /* strided, even kernel */
        {2, 7, 7, 6, 5, 1, 1, 0},    /* pointwise: the matmul path */
        {3, 10, 9, 4, 6, 3, 2, 0},   /* stride 2, no padding, odd sizes */
        {1, 5, 6, 3, 4, 3, 2, 3},    /* padding >= kernel: taps wholly in the padding */
        {4, 50, 50, 3, 4, 3, 1, 1},  /* 10000 output pixels: several chunks on both sides */
    };
    rseed(31);
    for (int s = 0; s < 6; s++) {
        int B = shapes[s][0], H = shapes[s][1], W = shapes[s][2], C = shapes[s][3];
        int OC = shapes[s][4], K = shapes[s][5], st = shapes[s][6], pad = shapes[s][7];
        int OH = conv2d_out_size(H, K, st, pad), OW = conv2d_out_size(W, K, st, pad);
        size_t nin = (size_t)B * H * W * C, nout = (size_t)B * OH * OW * OC;
        size_t nw = (size_t)OC * K * K * C;
        size_t scs = cpu->conv2d_scratch_size(H, W, C, K, st, pad);
        size_t sgs = gpu->conv2d_scratch_size(H, W, C, K, st, pad);
        float *scratch_c = track(cpu, cpu->alloc((scs ? scs : 1) * sizeof(float)));
        float *scratch_g = track(gpu, gpu->alloc((sgs ? sgs : 1) * sizeof(float)));
        fbuf_t inp = fb_rand(nin, -1, 1), w = fb_rand(nw, -1, 1), bias = fb_rand((size_t)OC, -1, 1);
        fbuf_t out = fb_out(nout);
        int with_bias = s != 3;
        cpu->conv2d_forward(out.c, inp.c, w.c, with_bias ? bias.c : NULL, scratch_c, B, H, W, C,
                            OC, K, st, pad);
        gpu->conv2d_forward(out.g, inp.g, w.g, with_bias ? bias.g : NULL, scratch_g, B, H, W, C,
                            OC, K, st, pad);
        cmp_f("conv2d_forward", "out", out, TOL_GEMM);

        fbuf_t dout = fb_rand(nout, -1, 1), dinp = fb_rand(nin, -1, 1), dw = fb_rand(nw, -1, 1);
        fbuf_t db = fb_rand((size_t)OC, -1, 1);
        int all = s != 1;    /* shape 1: dinp only (dweight, dbias NULL) */
        cpu->conv2d_backward(dinp.c, GC(dw, all), GC(db, all), dout.c, inp.c, w.c, scratch_c, B,
                             H, W, C, OC, K, st, pad);
        gpu->conv2d_backward(dinp.g, GG(dw, all), GG(db, all), dout.g, inp.g, w.g, scratch_g, B,
                             H, W, C, OC, K, st, pad);
        cmp_f("conv2d_backward", "dinp", dinp, TOL_GEMM);
        cmp_f("conv2d_backward", "dweight", dw, TOL_GEMM);
        cmp_f("conv2d_backward", "dbias", db, TOL_GEMM);
    }
}
END_TEST

START_TEST(test_upsample_patchify)
{
    /* upsample: B, H, W, C, f */
    static const int up[][5] = {{2, 5, 7, 3, 2}, {1, 4, 3, 33, 3}, {1, 1, 1, 1, 1}};
    /* patches: B, H, W, C, P */
    static const int pa[][5] = {{2, 8, 12, 3, 4}, {1, 6, 6, 35, 2}, {1, 4, 4, 1, 1}};
    rseed(32);
    for (int s = 0; s < 3; s++) {
        int B = up[s][0], H = up[s][1], W = up[s][2], C = up[s][3], f = up[s][4];
        size_t nin = (size_t)B * H * W * C, nout = nin * f * f;
        fbuf_t inp = fb_rand(nin, -1, 1), out = fb_out(nout);
        cpu->upsample_nearest_forward(out.c, inp.c, B, H, W, C, f);
        gpu->upsample_nearest_forward(out.g, inp.g, B, H, W, C, f);
        cmp_f("upsample_nearest_forward", "out", out, TOL_EXACT);
        fbuf_t dout = fb_rand(nout, -1, 1), dinp = fb_rand(nin, -1, 1);
        cpu->upsample_nearest_backward(dinp.c, dout.c, B, H, W, C, f);
        gpu->upsample_nearest_backward(dinp.g, dout.g, B, H, W, C, f);
        cmp_f("upsample_nearest_backward", "dinp", dinp, TOL_EXACT);
    }
    for (int s = 0; s < 3; s++) {
        int B = pa[s][0], H = pa[s][1], W = pa[s][2], C = pa[s][3], P = pa[s][4];
        size_t n = (size_t)B * H * W * C;
        fbuf_t img = fb_rand(n, -1, 1), tok = fb_out(n);
        cpu->patchify_forward(tok.c, img.c, B, H, W, C, P);
        gpu->patchify_forward(tok.g, img.g, B, H, W, C, P);
        cmp_f("patchify_forward", "out", tok, TOL_EXACT);
        fbuf_t dtok = fb_rand(n, -1, 1), dimg = fb_rand(n, -1, 1);
        cpu->patchify_backward(dimg.c, dtok.c, B, H, W, C, P);
        gpu->patchify_backward(dimg.g, dtok.g, B, H, W, C, P);
        cmp_f("patchify_backward", "dinp", dimg, TOL_EXACT);

        fbuf_t tin = fb_rand(n, -1, 1), iout = fb_out(n);
        cpu->unpatchify_forward(iout.c, tin.c, B, H, W, C, P);
        gpu->unpatchify_forward(iout.g, tin.g, B, H, W, C, P);
        cmp_f("unpatchify_forward", "out", iout, TOL_EXACT);
        fbuf_t dout = fb_rand(n, -1, 1), dtin = fb_rand(n, -1, 1);
        cpu->unpatchify_backward(dtin.c, dout.c, B, H, W, C, P);
        gpu->unpatchify_backward(dtin.g, dout.g, B, H, W, C, P);
        cmp_f("unpatchify_backward", "dinp", dtin, TOL_EXACT);
    }
}
END_TEST

/* ---- normalization ----------------------------------------------------------------------- */

START_TEST(test_rmsnorm_layernorm)
{
    static const int shapes[][2] = {{1, 1}, {37, 29}, {64, 512}, {5, 1000}};
    rseed(41);
    for (int s = 0; s < 4; s++) {
        int N = shapes[s][0], C = shapes[s][1];
        size_t n = (size_t)N * C;
        fbuf_t inp = fb_rand(n, -2, 2), w = fb_rand((size_t)C, 0.5f, 1.5f);
        fbuf_t bias = fb_rand((size_t)C, -1, 1), dout = fb_rand(n, -1, 1);

        fbuf_t out = fb_out(n), rstd = fb_out((size_t)N);
        cpu->rmsnorm_forward(out.c, rstd.c, inp.c, w.c, N, C, 1e-5f);
        gpu->rmsnorm_forward(out.g, rstd.g, inp.g, w.g, N, C, 1e-5f);
        cmp_f("rmsnorm_forward", "out", out, TOL_ROW);
        cmp_f("rmsnorm_forward", "rstd", rstd, TOL_ROW);
        fb_sync_from_cpu(rstd);
        fbuf_t dinp = fb_rand(n, -1, 1), dw = fb_rand((size_t)C, -1, 1);
        int all = s != 1;   /* shape 1: dweight only */
        cpu->rmsnorm_backward(GC(dinp, all), dw.c, dout.c, inp.c, w.c, rstd.c, N, C);
        gpu->rmsnorm_backward(GG(dinp, all), dw.g, dout.g, inp.g, w.g, rstd.g, N, C);
        cmp_f("rmsnorm_backward", "dinp", dinp, TOL_ROW);
        cmp_f("rmsnorm_backward", "dweight", dw, TOL_GEMM);

        int with_bias = s != 2;
        fbuf_t lout = fb_out(n), mean = fb_out((size_t)N), lrstd = fb_out((size_t)N);
        cpu->layernorm_forward(lout.c, mean.c, lrstd.c, inp.c, w.c, with_bias ? bias.c : NULL,
                               N, C, 1e-5f);
        gpu->layernorm_forward(lout.g, mean.g, lrstd.g, inp.g, w.g, with_bias ? bias.g : NULL,
                               N, C, 1e-5f);
        cmp_f("layernorm_forward", "out", lout, TOL_ROW);
        cmp_f("layernorm_forward", "mean", mean, TOL_ROW);
        cmp_f("layernorm_forward", "rstd", lrstd, TOL_ROW);
        fb_sync_from_cpu(mean);
        fb_sync_from_cpu(lrstd);
        fbuf_t ldinp = fb_rand(n, -1, 1), ldw = fb_rand((size_t)C, -1, 1);
        fbuf_t ldb = fb_rand((size_t)C, -1, 1);
        int dw_on = s != 3;  /* shape 3: dweight NULL */
        cpu->layernorm_backward(ldinp.c, GC(ldw, dw_on), ldb.c, dout.c, inp.c, w.c, mean.c,
                                lrstd.c, N, C);
        gpu->layernorm_backward(ldinp.g, GG(ldw, dw_on), ldb.g, dout.g, inp.g, w.g, mean.g,
                                lrstd.g, N, C);
        cmp_f("layernorm_backward", "dinp", ldinp, TOL_ROW);
        cmp_f("layernorm_backward", "dweight", ldw, TOL_GEMM);
        cmp_f("layernorm_backward", "dbias", ldb, TOL_GEMM);
    }
}
END_TEST

START_TEST(test_groupnorm)
{
    /* B, HW, C, G */
    static const int shapes[][4] = {{2, 9, 12, 3}, {1, 64, 32, 8}, {3, 7, 10, 5}, {2, 50, 64, 32}};
    rseed(42);
    for (int s = 0; s < 4; s++) {
        int B = shapes[s][0], HW = shapes[s][1], C = shapes[s][2], G = shapes[s][3];
        size_t n = (size_t)B * HW * C, nbg = (size_t)B * G;
        fbuf_t inp = fb_rand(n, -2, 2), w = fb_rand((size_t)C, 0.5f, 1.5f);
        fbuf_t bias = fb_rand((size_t)C, -1, 1), out = fb_out(n);
        fbuf_t mean = fb_out(nbg), rstd = fb_out(nbg);
        int with_bias = s != 2;
        cpu->groupnorm_forward(out.c, mean.c, rstd.c, inp.c, w.c, with_bias ? bias.c : NULL, B,
                               HW, C, G, 1e-5f);
        gpu->groupnorm_forward(out.g, mean.g, rstd.g, inp.g, w.g, with_bias ? bias.g : NULL, B,
                               HW, C, G, 1e-5f);
        cmp_f("groupnorm_forward", "out", out, TOL_ROW);
        cmp_f("groupnorm_forward", "mean", mean, TOL_ROW);
        cmp_f("groupnorm_forward", "rstd", rstd, TOL_ROW);
        fb_sync_from_cpu(mean);
        fb_sync_from_cpu(rstd);
        fbuf_t dout = fb_rand(n, -1, 1), dinp = fb_rand(n, -1, 1);
        fbuf_t dw = fb_rand((size_t)C, -1, 1), db = fb_rand((size_t)C, -1, 1);
        int all = s != 1;   /* shape 1: dinp NULL, dbias NULL */
        cpu->groupnorm_backward(GC(dinp, all), dw.c, GC(db, all), dout.c, inp.c, w.c, mean.c,
                                rstd.c, B, HW, C, G);
        gpu->groupnorm_backward(GG(dinp, all), dw.g, GG(db, all), dout.g, inp.g, w.g, mean.g,
                                rstd.g, B, HW, C, G);
        cmp_f("groupnorm_backward", "dinp", dinp, TOL_ROW);
        cmp_f("groupnorm_backward", "dweight", dw, TOL_GEMM);
        cmp_f("groupnorm_backward", "dbias", db, TOL_GEMM);
    }
}
END_TEST

/* ---- activations and elementwise --------------------------------------------------------- */

START_TEST(test_elementwise)
{
    static const size_t sizes[] = {1, 1000, 4099};
    rseed(51);
    for (int s = 0; s < 3; s++) {
        size_t n = sizes[s];
        fbuf_t x = fb_rand(n, -6, 6), dout = fb_rand(n, -1, 1);
        fbuf_t out = fb_out(n), dinp = fb_rand(n, -1, 1);
        cpu->silu_forward(out.c, x.c, n);
        gpu->silu_forward(out.g, x.g, n);
        cmp_f("silu_forward", "out", out, TOL_ELEM);
        cpu->silu_backward(dinp.c, dout.c, x.c, n);
        gpu->silu_backward(dinp.g, dout.g, x.g, n);
        cmp_f("silu_backward", "dinp", dinp, TOL_ELEM);

        fbuf_t gout = fb_out(n), gdinp = fb_rand(n, -1, 1);
        cpu->gelu_forward(gout.c, x.c, n);
        gpu->gelu_forward(gout.g, x.g, n);
        cmp_f("gelu_forward", "out", gout, TOL_GELU);
        cpu->gelu_backward(gdinp.c, dout.c, x.c, n);
        gpu->gelu_backward(gdinp.g, dout.g, x.g, n);
        cmp_f("gelu_backward", "dinp", gdinp, TOL_GELU);

        fbuf_t y = fb_rand(n, -1, 1), sum = fb_out(n);
        cpu->add_forward(sum.c, x.c, y.c, n);
        gpu->add_forward(sum.g, x.g, y.g, n);
        cmp_f("add_forward", "out", sum, TOL_EXACT);
        cpu->add_forward(y.c, x.c, y.c, n);   /* out aliasing b */
        gpu->add_forward(y.g, x.g, y.g, n);
        cmp_f("add_forward", "aliased", y, TOL_EXACT);
        fbuf_t da = fb_rand(n, -1, 1), db = fb_rand(n, -1, 1);
        cpu->add_backward(da.c, db.c, dout.c, n);
        gpu->add_backward(da.g, db.g, dout.g, n);
        cpu->add_backward(NULL, db.c, dout.c, n);
        gpu->add_backward(NULL, db.g, dout.g, n);
        cmp_f("add_backward", "da", da, TOL_EXACT);
        cmp_f("add_backward", "db", db, TOL_EXACT);

        cpu->scale_inplace(x.c, n, -0.37f);
        gpu->scale_inplace(x.g, n, -0.37f);
        cmp_f("scale_inplace", "x", x, TOL_EXACT);
    }
    /* SwiGLU: N, F */
    static const int sw[][2] = {{3, 7}, {37, 129}, {1, 1}};
    for (int s = 0; s < 3; s++) {
        int N = sw[s][0], F = sw[s][1];
        fbuf_t inp = fb_rand((size_t)N * 2 * F, -4, 4), out = fb_out((size_t)N * F);
        cpu->swiglu_forward(out.c, inp.c, N, F);
        gpu->swiglu_forward(out.g, inp.g, N, F);
        cmp_f("swiglu_forward", "out", out, TOL_ELEM);
        fbuf_t dout = fb_rand((size_t)N * F, -1, 1), dinp = fb_rand((size_t)N * 2 * F, -1, 1);
        cpu->swiglu_backward(dinp.c, dout.c, inp.c, N, F);
        gpu->swiglu_backward(dinp.g, dout.g, inp.g, N, F);
        cmp_f("swiglu_backward", "dinp", dinp, TOL_ELEM);
    }
}
END_TEST

/* ---- RoPE and attention ------------------------------------------------------------------ */

START_TEST(test_rope)
{
    rseed(61);
    /* packed qkv[B, T, 3C]: rotate q and k (ld = 3C), as the transformer does */
    int B = 2, T = 7, NH = 3, HD = 8, C = NH * HD, ld = 3 * C;
    fbuf_t qkv = fb_rand((size_t)B * T * ld, -1, 1);
    cpu->rope_forward(qkv.c, B, T, NH, HD, ld, 5, 10000.0f);
    gpu->rope_forward(qkv.g, B, T, NH, HD, ld, 5, 10000.0f);
    cpu->rope_forward(qkv.c + C, B, T, NH, HD, ld, 5, 10000.0f);
    gpu->rope_forward(qkv.g + C, B, T, NH, HD, ld, 5, 10000.0f);
    cmp_f("rope_forward", "qkv", qkv, TOL_ELEM);
    cpu->rope_backward(qkv.c, B, T, NH, HD, ld, 5, 10000.0f);
    gpu->rope_backward(qkv.g, B, T, NH, HD, ld, 5, 10000.0f);
    cmp_f("rope_backward", "qkv", qkv, TOL_ELEM);
    /* a KV-cache step far into the sequence: one token, large head, large position */
    fbuf_t x = fb_rand((size_t)2 * 256, -1, 1);
    cpu->rope_forward(x.c, 2, 1, 4, 64, 256, 1000, 10000.0f);
    gpu->rope_forward(x.g, 2, 1, 4, 64, 256, 1000, 10000.0f);
    cmp_f("rope_forward", "kvstep", x, TOL_ELEM);
    cpu->rope_backward(x.c, 2, 1, 4, 64, 256, 1000, 10000.0f);
    gpu->rope_backward(x.g, 2, 1, 4, 64, 256, 1000, 10000.0f);
    cmp_f("rope_backward", "kvstep", x, TOL_ELEM);
}
END_TEST

/* One attention case: q, k, v live in the buffers qb, kb, vb at element offsets qo, ko, vo
 * (so they can be slices of one packed buffer); gradients go to same-shaped buffers with a
 * prior. `grads` selects dq/dk/dv (bits 0/1/2). */
static void attention_case(const char *name, const attn_dims_t *d, fbuf_t qb, fbuf_t kb,
                           fbuf_t vb, size_t qo, size_t ko, size_t vo, fbuf_t dqb, fbuf_t dkb,
                           fbuf_t dvb, int grads)
{
    int B = d->B, T = d->T, S = d->S, NH = d->NH, C = NH * d->HD;
    size_t nout = (size_t)B * T * C, natt = (size_t)B * NH * T * S;
    fbuf_t out = fb_out(nout), att = fb_out(natt);
    printf("attention case %s: B=%d T=%d S=%d NH=%d HD=%d mask lo %d%+d*t hi %d%+d*t\n", name,
           B, T, S, NH, d->HD, d->lo0, d->lo_step, d->hi0, d->hi_step);
    cpu->attention_forward(out.c, att.c, qb.c + qo, kb.c + ko, vb.c + vo, d);
    gpu->attention_forward(out.g, att.g, qb.g + qo, kb.g + ko, vb.g + vo, d);
    cmp_f("attention_forward", "out", out, TOL_GEMM);
    cmp_f("attention_forward", "att", att, TOL_GEMM);

    fb_sync_from_cpu(att);
    fbuf_t dout = fb_rand(nout, -1, 1);
    size_t scs = cpu->attention_scratch_size(d), sgs = gpu->attention_scratch_size(d);
    float *scratch_c = track(cpu, cpu->alloc((scs ? scs : 1) * sizeof(float)));
    float *scratch_g = track(gpu, gpu->alloc((sgs ? sgs : 1) * sizeof(float)));
    int q_on = grads & 1, k_on = grads & 2, v_on = grads & 4;
    cpu->attention_backward(q_on ? dqb.c + qo : NULL, k_on ? dkb.c + ko : NULL,
                            v_on ? dvb.c + vo : NULL, scratch_c, dout.c, qb.c + qo, kb.c + ko,
                            vb.c + vo, att.c, d);
    gpu->attention_backward(q_on ? dqb.g + qo : NULL, k_on ? dkb.g + ko : NULL,
                            v_on ? dvb.g + vo : NULL, scratch_g, dout.g, qb.g + qo, kb.g + ko,
                            vb.g + vo, att.g, d);
    cmp_f("attention_backward", "dq", dqb, TOL_GEMM);
    if (dkb.g != dqb.g) cmp_f("attention_backward", "dk", dkb, TOL_GEMM);
    if (dvb.g != dkb.g) cmp_f("attention_backward", "dv", dvb, TOL_GEMM);
}

START_TEST(test_attention)
{
    rseed(71);
    {   /* causal self-attention on a packed qkv; dq/dk/dv are slices of one dqkv */
        int B = 2, T = 13, C = 24, NH = 3;
        attn_dims_t d = attn_dims_self(B, T, C, NH, 1);
        fbuf_t qkv = fb_rand((size_t)B * T * 3 * C, -1, 1);
        fbuf_t dqkv = fb_rand((size_t)B * T * 3 * C, -1, 1);
        attention_case("self causal", &d, qkv, qkv, qkv, 0, (size_t)C, (size_t)2 * C, dqkv, dqkv,
                       dqkv, 7);
    }
    {   /* full self-attention, HD = 32, only dv requested (dq, dk NULL: early return) */
        int B = 1, T = 33, C = 64, NH = 2;
        attn_dims_t d = attn_dims_self(B, T, C, NH, 0);
        fbuf_t qkv = fb_rand((size_t)B * T * 3 * C, -1, 1);
        fbuf_t dqkv = fb_rand((size_t)B * T * 3 * C, -1, 1);
        attention_case("self full, dv only", &d, qkv, qkv, qkv, 0, (size_t)C, (size_t)2 * C,
                       dqkv, dqkv, dqkv, 4);
    }
    {   /* cross-attention: q[B,T,C], packed kv[B,S,2C]; dq and dk only */
        int B = 2, T = 7, S = 19, C = 16, NH = 4;
        attn_dims_t d = attn_dims_cross(B, T, S, C, NH);
        fbuf_t q = fb_rand((size_t)B * T * C, -1, 1), kv = fb_rand((size_t)B * S * 2 * C, -1, 1);
        fbuf_t dq = fb_rand((size_t)B * T * C, -1, 1), dkv = fb_rand((size_t)B * S * 2 * C, -1, 1);
        attention_case("cross", &d, q, kv, kv, 0, 0, (size_t)C, dq, dkv, dkv, 3);
    }
    {   /* LDM banded mask: query h sees frames 0..h of P = 5 tokens */
        int B = 2, T = 4, S = 20, C = 16, NH = 2;
        attn_dims_t d = attn_dims_cross(B, T, S, C, NH);
        d.hi0 = 5;
        d.hi_step = 5;
        fbuf_t q = fb_rand((size_t)B * T * C, -1, 1), kv = fb_rand((size_t)B * S * 2 * C, -1, 1);
        fbuf_t dq = fb_rand((size_t)B * T * C, -1, 1), dkv = fb_rand((size_t)B * S * 2 * C, -1, 1);
        attention_case("banded", &d, q, kv, kv, 0, 0, (size_t)C, dq, dkv, dkv, 7);
    }
    {   /* KV-cache step: one query, keys/values are the first S = 9 rows of a cache of 12 */
        int B = 2, S = 9, Smax = 12, NH = 2, HD = 8, C = NH * HD;
        attn_dims_t d = {0};
        d.B = B; d.T = 1; d.S = S; d.NH = NH; d.HD = HD;
        d.q_ld = C; d.k_ld = d.v_ld = 2 * C;
        d.q_bs = (size_t)C; d.k_bs = d.v_bs = (size_t)Smax * 2 * C;
        d.lo0 = 0; d.lo_step = 0; d.hi0 = S; d.hi_step = 1;
        d.scale = 1.0f / sqrtf((float)HD);
        fbuf_t q = fb_rand((size_t)B * C, -1, 1), kv = fb_rand((size_t)B * Smax * 2 * C, -1, 1);
        fbuf_t dq = fb_rand((size_t)B * C, -1, 1), dkv = fb_rand((size_t)B * Smax * 2 * C, -1, 1);
        attention_case("kv step", &d, q, kv, kv, 0, 0, (size_t)C, dq, dkv, dkv, 7);
    }
    {   /* empty key ranges: queries 0 and 1 see nothing (all-zero rows), later ones a band */
        int B = 1, T = 4, C = 12, NH = 3;
        attn_dims_t d = attn_dims_self(B, T, C, NH, 0);
        d.S = 6;   /* keys: the first 4 rows of this packed buffer plus 2 more */
        d.lo0 = 3; d.lo_step = 0; d.hi0 = 2; d.hi_step = 1;
        fbuf_t qkv = fb_rand((size_t)6 * 3 * C, -1, 1), dqkv = fb_rand((size_t)6 * 3 * C, -1, 1);
        attention_case("empty rows", &d, qkv, qkv, qkv, 0, (size_t)C, (size_t)2 * C, dqkv, dqkv,
                       dqkv, 7);
    }
}
END_TEST

/* ---- softmax and losses ------------------------------------------------------------------ */

START_TEST(test_softmax)
{
    static const int shapes[][2] = {{1, 1}, {37, 29}, {5, 5000}};
    rseed(81);
    for (int s = 0; s < 3; s++) {
        int N = shapes[s][0], V = shapes[s][1];
        size_t n = (size_t)N * V;
        fbuf_t logits = fb_rand(n, -5, 5), probs = fb_out(n);
        cpu->softmax_forward(probs.c, logits.c, N, V);
        gpu->softmax_forward(probs.g, logits.g, N, V);
        cmp_f("softmax_forward", "probs", probs, TOL_ROW);
        fb_sync_from_cpu(probs);
        fbuf_t dprobs = fb_rand(n, -1, 1), dlogits = fb_rand(n, -1, 1);
        cpu->softmax_backward(dlogits.c, dprobs.c, probs.c, N, V);
        gpu->softmax_backward(dlogits.g, dprobs.g, probs.g, N, V);
        cmp_f("softmax_backward", "dlogits", dlogits, TOL_ROW);
    }
}
END_TEST

START_TEST(test_cross_entropy)
{
    /* N, V, ld, offset of the logits inside each row (a digit of a factorized head) */
    static const int shapes[][4] = {{37, 29, 29, 0}, {16, 300, 350, 20}, {1, 2, 2, 0}};
    rseed(82);
    for (int s = 0; s < 3; s++) {
        int N = shapes[s][0], V = shapes[s][1], ld = shapes[s][2], off = shapes[s][3];
        size_t n = (size_t)N * ld;
        fbuf_t logits = fb_rand(n, -5, 5), losses = fb_out((size_t)N);
        ibuf_t y = ib_rand((size_t)N, 0, V);
        for (int i = 0; i < N; i += 3) y.h[i] = i % 2 ? y.h[i] : -1;   /* some ignored rows */
        ib_upload(y);
        float dscale = 1.0f / N;
        cpu->softmax_cross_entropy(losses.c, NULL, logits.c + off, y.c, N, V, ld, dscale);
        gpu->softmax_cross_entropy(losses.g, NULL, logits.g + off, y.g, N, V, ld, dscale);
        cmp_f("softmax_cross_entropy", "losses", losses, TOL_ROW);
        fbuf_t losses2 = fb_out((size_t)N), dlogits = fb_rand(n, -1, 1);
        cpu->softmax_cross_entropy(losses2.c, dlogits.c + off, logits.c + off, y.c, N, V, ld,
                                   dscale);
        gpu->softmax_cross_entropy(losses2.g, dlogits.g + off, logits.g + off, y.g, N, V, ld,
                                   dscale);
        cmp_f("softmax_cross_entropy", "losses2", losses2, TOL_ROW);
        cmp_f("softmax_cross_entropy", "dlogits", dlogits, TOL_ROW);
    }
}
END_TEST

START_TEST(test_regression_losses)
{
    static const int shapes[][2] = {{37, 29}, {4, 1000}, {1, 1}};
    rseed(83);
    for (int s = 0; s < 3; s++) {
        int N = shapes[s][0], D = shapes[s][1];
        size_t n = (size_t)N * D;
        fbuf_t pred = fb_rand(n, -2, 2), target = fb_rand(n, -2, 2);
        for (size_t i = 0; i < n; i += 7) target.h[i] = pred.h[i];   /* sign(0) = 0 in L1 */
        fb_upload(target);
        fbuf_t mse = fb_out((size_t)N), l1 = fb_out((size_t)N);
        cpu->mse_forward(mse.c, pred.c, target.c, N, D);
        gpu->mse_forward(mse.g, pred.g, target.g, N, D);
        cmp_f("mse_forward", "losses", mse, TOL_ROW);
        cpu->l1_forward(l1.c, pred.c, target.c, N, D);
        gpu->l1_forward(l1.g, pred.g, target.g, N, D);
        cmp_f("l1_forward", "losses", l1, TOL_ROW);
        fbuf_t dm = fb_rand(n, -1, 1), dl = fb_rand(n, -1, 1);
        cpu->mse_backward(dm.c, pred.c, target.c, N, D, 0.25f);
        gpu->mse_backward(dm.g, pred.g, target.g, N, D, 0.25f);
        cmp_f("mse_backward", "dpred", dm, TOL_ELEM);
        cpu->l1_backward(dl.c, pred.c, target.c, N, D, 0.25f);
        gpu->l1_backward(dl.g, pred.g, target.g, N, D, 0.25f);
        cmp_f("l1_backward", "dpred", dl, TOL_EXACT);
    }
}
END_TEST

/* ---- FSQ --------------------------------------------------------------------------------- */

/* Distance of bound(z) (ops.h) from the nearest rounding boundary (a half-integer), in double. */
static double fsq_boundary_distance(float z, int L)
{
    double half_l = (L - 1) * (1.0 + 1e-3) / 2.0, offset = L % 2 == 0 ? 0.5 : 0.0;
    double b = tanh((double)z + atanh(offset / half_l)) * half_l - offset;
    return fabs(b - floor(b) - 0.5);
}

START_TEST(test_fsq)
{
    static const int lv1[] = {8, 5, 5, 5}, lv2[] = {7, 6, 4, 3, 2};
    const int *levels[] = {lv1, lv2};
    const int Ds[] = {4, 5};
    rseed(91);
    for (int s = 0; s < 2; s++) {
        int N = 1000, D = Ds[s];
        const int *lv = levels[s];
        size_t n = (size_t)N * D;
        fbuf_t z = fb_rand(n, -3, 3), zhat = fb_out(n);
        ibuf_t codes = ib_out((size_t)N);
        cpu->fsq_forward(zhat.c, codes.c, z.c, lv, N, D);
        gpu->fsq_forward(zhat.g, codes.g, z.g, lv, N, D);
        /* Exact, except that device tanhf may round a value within ~1e-6 of a level boundary
         * the other way: such rows are reported and excused (none expected with these seeds). */
        float *zc = halloc(n * sizeof(float)), *zg = halloc(n * sizeof(float));
        int *cc = halloc((size_t)N * sizeof(int)), *cg = halloc((size_t)N * sizeof(int));
        cpu->to_host(zc, zhat.c, n * sizeof(float));
        gpu->to_host(zg, zhat.g, n * sizeof(float));
        cpu->to_host(cc, codes.c, (size_t)N * sizeof(int));
        gpu->to_host(cg, codes.g, (size_t)N * sizeof(int));
        int excused = 0, bad = 0;
        for (int r = 0; r < N; r++) {
            int row_diff = cc[r] != cg[r];
            int near = 0;
            for (int i = 0; i < D; i++) {
                if (zc[(size_t)r * D + i] != zg[(size_t)r * D + i]) row_diff = 1;
                if (fsq_boundary_distance(z.h[(size_t)r * D + i], lv[i]) < 1e-5) near = 1;
            }
            if (row_diff && near) excused++;
            else if (row_diff) bad++;
        }
        printf("parity %-26s %-8s n=%-8zu rows differing=%d, excused at a rounding boundary=%d "
               "(exact)%s\n", "fsq_forward", "zhat+code", n, bad, excused, bad ? "  FAIL" : "");
        ck_assert_msg(bad == 0, "fsq_forward: %d rows differ away from a rounding boundary", bad);
        ck_assert_int_le(excused, 2);
        fbuf_t zhat2 = fb_out(n);    /* codes NULL */
        cpu->fsq_forward(zhat2.c, NULL, z.c, lv, N, D);
        gpu->fsq_forward(zhat2.g, NULL, z.g, lv, N, D);
        if (!excused) cmp_f("fsq_forward", "zhat", zhat2, TOL_EXACT);

        fbuf_t dzhat = fb_rand(n, -1, 1), dz = fb_rand(n, -1, 1);
        cpu->fsq_backward(dz.c, dzhat.c, z.c, lv, N, D);
        gpu->fsq_backward(dz.g, dzhat.g, z.g, lv, N, D);
        cmp_f("fsq_backward", "dz", dz, TOL_ELEM);

        ibuf_t rc = ib_rand((size_t)N, 0, (int)fsq_codebook_size(lv, D));
        fbuf_t dec = fb_out(n);
        ibuf_t digits = ib_out(n);
        cpu->fsq_decode(dec.c, rc.c, lv, N, D);
        gpu->fsq_decode(dec.g, rc.g, lv, N, D);
        cmp_f("fsq_decode", "zhat", dec, TOL_EXACT);
        cpu->fsq_digits(digits.c, rc.c, lv, N, D);
        gpu->fsq_digits(digits.g, rc.g, lv, N, D);
        cmp_i("fsq_digits", "digits", digits);
    }
}
END_TEST

/* ---- optimizer --------------------------------------------------------------------------- */

START_TEST(test_optim)
{
    static const size_t sizes[] = {1, 1000, 1000003};
    rseed(101);
    for (int s = 0; s < 3; s++) {
        size_t n = sizes[s];
        fbuf_t x = fb_rand(n, -1, 1), out = fb_alloc(1);
        out.h[0] = 1.25f;
        fb_upload(out);
        cpu->norm_sq_accumulate(out.c, x.c, n);
        gpu->norm_sq_accumulate(out.g, x.g, n);
        cpu->norm_sq_accumulate(out.c, x.c, n);   /* twice: it accumulates */
        gpu->norm_sq_accumulate(out.g, x.g, n);
        cmp_f("norm_sq_accumulate", "out", out, TOL_ELEM);
    }
    for (int s = 0; s < 2; s++) {
        size_t n = sizes[s] + 3099;
        fbuf_t p = fb_rand(n, -1, 1), g = fb_rand(n, -0.1f, 0.1f);
        fbuf_t m = fb_rand(n, -0.01f, 0.01f), v = fb_rand(n, 0.0f, 1e-3f);
        for (int t = 1; t <= 3; t++) {
            cpu->adamw_update(p.c, g.c, m.c, v.c, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.7f, t);
            gpu->adamw_update(p.g, g.g, m.g, v.g, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.7f, t);
        }
        cmp_f("adamw_update", "params", p, TOL_ELEM);
        cmp_f("adamw_update", "m", m, TOL_ADAM);
        cmp_f("adamw_update", "v", v, TOL_ADAM);
    }
}
END_TEST

/* ---- determinism: reductions give the same bits twice on the GPU -------------------------- */

START_TEST(test_gpu_deterministic)
{
    rseed(111);
    int B = 2, H = 20, W = 17, C = 6, OC = 5, K = 3, HW = H * W, G = 3;
    int OH = conv2d_out_size(H, K, 1, 1), OW = conv2d_out_size(W, K, 1, 1);
    size_t nin = (size_t)B * H * W * C, nout = (size_t)B * OH * OW * OC;
    size_t nw = (size_t)OC * K * K * C;
    fbuf_t inp = fb_rand(nin, -1, 1), w = fb_rand(nw, -1, 1), dout = fb_rand(nout, -1, 1);
    size_t sgs = gpu->conv2d_scratch_size(H, W, C, K, 1, 1);
    float *scratch = track(gpu, gpu->alloc(sgs * sizeof(float)));
    fbuf_t gw = fb_rand((size_t)C, 0.5f, 1.5f), mean = fb_out((size_t)B * G);
    fbuf_t rstd = fb_out((size_t)B * G), gout = fb_out(nin);
    gpu->groupnorm_forward(gout.g, mean.g, rstd.g, inp.g, gw.g, NULL, B, HW, C, G, 1e-5f);
    float *res[2];
    size_t total = nin + nw + OC + nin + 2 * C + 1;
    for (int rep = 0; rep < 2; rep++) {
        float *acc = track(gpu, gpu->alloc(total * sizeof(float)));
        gpu->zero(acc, total * sizeof(float));
        float *dinp = acc, *dw = dinp + nin, *db = dw + nw, *gdinp = db + OC, *gdw = gdinp + nin;
        float *gdb = gdw + C, *nsq = gdb + C;
        gpu->conv2d_backward(dinp, dw, db, dout.g, inp.g, w.g, scratch, B, H, W, C, OC, K, 1, 1);
        gpu->groupnorm_backward(gdinp, gdw, gdb, gout.g, inp.g, gw.g, mean.g, rstd.g, B, HW, C, G);
        gpu->norm_sq_accumulate(nsq, acc, total - 1);
        res[rep] = halloc(total * sizeof(float));
        gpu->to_host(res[rep], acc, total * sizeof(float));
    }
    ck_assert_msg(memcmp(res[0], res[1], total * sizeof(float)) == 0,
                  "conv2d/groupnorm backward or norm_sq_accumulate differ between two GPU runs");
    printf("gpu determinism: conv2d_backward, groupnorm_backward, norm_sq_accumulate "
           "bit-identical over 2 runs\n");
}
END_TEST

/* ---- a whole training step: 2-layer MLP, forward, backward, clipping, AdamW --------------- */

/* Params in one block: W1[Hd,C], b1[Hd], W2[V,Hd], b2[V]. Runs `steps` steps of
 * logits = W2 gelu(W1 x + b1) + b2, mean cross-entropy, global-norm clipping at 1, AdamW;
 * returns the mean loss of each step and the final params (host arrays). Identical code for
 * both backends: it only goes through the table. */
enum { MLP_N = 64, MLP_C = 32, MLP_H = 48, MLP_V = 10, MLP_STEPS = 3 };
#define MLP_P (MLP_H * MLP_C + MLP_H + MLP_V * MLP_H + MLP_V)

static void mlp_run(const backend_t *be, const float *hx, const int *hy, const float *hparams,
                    float *losses_out, float *params_out)
{
    int N = MLP_N, C = MLP_C, Hd = MLP_H, V = MLP_V;
    size_t P = MLP_P;
    float *x = track(be, be->alloc((size_t)N * C * sizeof(float)));
    int *y = track(be, be->alloc((size_t)N * sizeof(int)));
    float *params = track(be, be->alloc(P * sizeof(float)));
    float *grads = track(be, be->alloc(P * sizeof(float)));
    float *m = track(be, be->alloc(P * sizeof(float)));
    float *v = track(be, be->alloc(P * sizeof(float)));
    float *h = track(be, be->alloc((size_t)N * Hd * sizeof(float)));
    float *a = track(be, be->alloc((size_t)N * Hd * sizeof(float)));
    float *dh = track(be, be->alloc((size_t)N * Hd * sizeof(float)));
    float *da = track(be, be->alloc((size_t)N * Hd * sizeof(float)));
    float *logits = track(be, be->alloc((size_t)N * V * sizeof(float)));
    float *dlogits = track(be, be->alloc((size_t)N * V * sizeof(float)));
    float *losses = track(be, be->alloc((size_t)N * sizeof(float)));
    float *nsq = track(be, be->alloc(sizeof(float)));
    float *W1 = params, *b1 = W1 + (size_t)Hd * C, *W2 = b1 + Hd, *b2 = W2 + (size_t)V * Hd;
    float *dW1 = grads, *db1 = dW1 + (size_t)Hd * C, *dW2 = db1 + Hd, *db2 = dW2 + (size_t)V * Hd;
    be->to_device(x, hx, (size_t)N * C * sizeof(float));
    be->to_device(y, hy, (size_t)N * sizeof(int));
    be->to_device(params, hparams, P * sizeof(float));
    be->zero(m, P * sizeof(float));
    be->zero(v, P * sizeof(float));
    float hl[MLP_N];
    for (int t = 1; t <= MLP_STEPS; t++) {
        be->zero(grads, P * sizeof(float));
        be->zero(dh, (size_t)N * Hd * sizeof(float));
        be->zero(da, (size_t)N * Hd * sizeof(float));
        be->zero(dlogits, (size_t)N * V * sizeof(float));
        be->zero(nsq, sizeof(float));
        be->matmul_forward(h, x, W1, b1, N, C, Hd);
        be->gelu_forward(a, h, (size_t)N * Hd);
        be->matmul_forward(logits, a, W2, b2, N, Hd, V);
        be->softmax_cross_entropy(losses, dlogits, logits, y, N, V, V, 1.0f / N);
        be->matmul_backward(da, dW2, db2, dlogits, a, W2, N, Hd, V);
        be->gelu_backward(dh, da, h, (size_t)N * Hd);
        be->matmul_backward(NULL, dW1, db1, dh, x, W1, N, C, Hd);
        be->norm_sq_accumulate(nsq, grads, P);
        float norm_sq;
        be->to_host(&norm_sq, nsq, sizeof(float));
        be->to_host(hl, losses, sizeof hl);
        double mean = 0.0;
        for (int i = 0; i < N; i++) mean += hl[i];
        losses_out[t - 1] = (float)(mean / N);
        float clip = grad_clip_scale(sqrtf(norm_sq), 1.0f);
        be->adamw_update(params, grads, m, v, P, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, clip, t);
    }
    be->to_host(params_out, params, P * sizeof(float));
}

START_TEST(test_mlp_step)
{
    rseed(121);
    static float hx[MLP_N * MLP_C], hp[MLP_P], pc[MLP_P], pg[MLP_P];
    static int hy[MLP_N];
    for (size_t i = 0; i < sizeof hx / sizeof hx[0]; i++) hx[i] = (float)(urand() * 2 - 1);
    for (size_t i = 0; i < MLP_P; i++) hp[i] = (float)(urand() * 0.6 - 0.3);
    for (int i = 0; i < MLP_N; i++) hy[i] = irand(MLP_V);
    float lc[MLP_STEPS], lg[MLP_STEPS];
    mlp_run(cpu, hx, hy, hp, lc, pc);
    mlp_run(gpu, hx, hy, hp, lg, pg);
    for (int t = 0; t < MLP_STEPS; t++) {
        printf("mlp step %d: loss cpu %.7f cuda %.7f\n", t + 1, (double)lc[t], (double)lg[t]);
        ck_assert_msg(fabs((double)lc[t] - lg[t]) <= 1e-4 * fabs((double)lc[t]),
                      "mlp step %d: loss cpu %.7f cuda %.7f", t + 1, (double)lc[t], (double)lg[t]);
    }
    ck_assert_msg(lc[MLP_STEPS - 1] < lc[0], "the steps do not lower the loss (cpu)");
    cmp_result_t r = compare_arrays(pc, pg, MLP_P, TOL_GEMM);
    printf("parity %-26s %-8s n=%-8d max_abs=%.3e worst=%.3f of tol gemm%s\n", "mlp 3 steps",
           "params", MLP_P, r.max_abs, r.worst_ratio, r.bad ? "  FAIL" : "");
    ck_assert_msg(r.bad == 0, "mlp params after %d steps: %zu differ; worst at %zu: %.9g vs %.9g",
                  MLP_STEPS, r.bad, r.worst_i, (double)pc[r.worst_i], (double)pg[r.worst_i]);
    /* the step moved the params by much more than the tolerance (so the check has teeth) */
    cmp_result_t moved = compare_arrays(hp, pc, MLP_P, TOL_GEMM);
    ck_assert_uint_gt(moved.bad, MLP_P / 2);
}
END_TEST

/* ---- runner ------------------------------------------------------------------------------ */

static Suite *parity_suite(void)
{
    Suite *s = suite_create("cuda-parity");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, free_all);
    tcase_add_test(tc, test_tables_complete);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_matmul);
    tcase_add_test(tc, test_embedding);
    tcase_add_test(tc, test_conv2d);
    tcase_add_test(tc, test_upsample_patchify);
    tcase_add_test(tc, test_rmsnorm_layernorm);
    tcase_add_test(tc, test_groupnorm);
    tcase_add_test(tc, test_elementwise);
    tcase_add_test(tc, test_rope);
    tcase_add_test(tc, test_attention);
    tcase_add_test(tc, test_softmax);
    tcase_add_test(tc, test_cross_entropy);
    tcase_add_test(tc, test_regression_losses);
    tcase_add_test(tc, test_fsq);
    tcase_add_test(tc, test_optim);
    tcase_add_test(tc, test_gpu_deterministic);
    tcase_add_test(tc, test_mlp_step);
    suite_add_tcase(s, tc);
    return s;
}

static int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

int main(void)
{
    /* The comparison's self-test needs no GPU: run it first, always. */
    Suite *self = suite_create("cuda-parity-self");
    TCase *tc = tcase_create("compare");
    tcase_add_test(tc, test_compare_self);
    suite_add_tcase(self, tc);
    if (run_suite(self)) return EXIT_FAILURE;

    cpu = backend_cpu();
    gpu = backend_cuda();
    if (!gpu) {
        printf("no CUDA backend (%s): skipping the parity tests\n", backend_cuda_status());
        return 77;
    }
    cpu->set_threads(1);   /* the CPU reference, deterministic */
    printf("%s\n%s\n%s\n", backend_cuda_status(), cpu->describe(), gpu->describe());
    return run_suite(parity_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
