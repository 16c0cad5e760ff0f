/* test_ldm.c: the latent dynamics model (model/ldm.h), on windows of real games (a shard built
 * here from one katago9 file):
 *   - a tiny configuration trains a few dozen steps and its loss falls (H = 5, and H = 1, 3);
 *   - a window that starts at a game's last frames repeats the final frame (padding);
 *   - query 1's code only sees frames t..t+1: changing later frames leaves it bit-identical;
 *   - the decoder's gradient matches finite differences of the loss;
 *   - determinism: two nets from one seed give bit-identical losses and parameters;
 *   - weights round trip: save + load gives the same codes and loss; the loader refuses a file
 *     with another horizon's tensors under the same name (a shape check).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/board.h"
#include "engine/util.h"
#include "kernels/backend.h"
#include "model/ldm.h"
#include "model/weights.h"
#include "render/dataset.h"
#include "render/render.h"

#include "train_harness.h"

static char dir[] = "/tmp/vgo-ldm-XXXXXX";
static dataset_t *ds;

static void setup(void)
{
    if (ds) return;
    th_build_shard(dir);
    char path[4200], err[1024];
    th_fmt(path, sizeof path, "%s/k-train.vgs", dir);
    ds = dataset_open(path, err, sizeof err);
    ck_assert_msg(ds != NULL, "%s", err);
}

/* n windows starting at frames spread over the shard, symmetry k % 8. */
static uint8_t *windows(const ldm_config_t *cfg, int n, uint64_t seed)
{
    render_ctx_t *ctx = render_ctx_new(cfg->board_size, cfg->px);
    ck_assert_ptr_nonnull(ctx);
    const size_t wb = (size_t)(cfg->horizon + 1) * (size_t)render_frame_bytes(cfg->px);
    uint8_t *rgb = xmalloc((size_t)n * wb);
    rng_t r;
    rng_seed(&r, seed);
    uint64_t nf = dataset_info(ds)->n_frames;
    for (int k = 0; k < n; k++)
        ck_assert_int_eq(ldm_window(ds, ctx, cfg->horizon, rng_next(&r) % nf, k % 8, rgb + (size_t)k * wb, NULL), 0);
    render_ctx_free(ctx);
    return rgb;
}

static void train_falls(int horizon, int steps, double ratio)
{
    setup();
    ldm_config_t cfg;
    ck_assert_int_eq(ldm_preset("tiny", &cfg), 0);
    cfg.horizon = horizon;
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    enum { B = 8, NB = 4 };
    ldm_t *l = ldm_new(&cfg, be, B, 3);
    uint8_t *rgb = windows(&cfg, B * NB, 11);
    const size_t wb = (size_t)(cfg.horizon + 1) * (size_t)render_frame_bytes(cfg.px);
    double first = 0, last = 0;
    for (int s = 0; s < steps; s++) {
        ldm_set_windows(l, rgb + (size_t)(s % NB) * B * wb, B);
        float loss = ldm_forward(l);
        ck_assert(isfinite(loss));
        if (s < NB) first += loss / NB;
        if (s >= steps - NB) last += loss / NB;
        ldm_zero_grad(l);
        ldm_backward(l);
        ldm_adamw_step(l, 3e-3f, 0.9f, 0.99f, 1e-8f, 0.0f, 1.0f, s + 1);
    }
    fprintf(stderr, "tiny H %d: loss %.5f -> %.5f after %d steps\n", horizon, first, last, steps);
    ck_assert_msg(last < ratio * first, "H %d: loss %.5f -> %.5f did not fall below %.2fx", horizon, first, last,
                  ratio);
    free(rgb);
    ldm_free(l);
}

START_TEST(test_loss_falls) { train_falls(5, 200, 0.6); }
END_TEST

START_TEST(test_loss_falls_h1_h3)
{
    train_falls(1, 200, 0.6);
    train_falls(3, 200, 0.6);
}
END_TEST

START_TEST(test_padding)
{
    setup();
    ldm_config_t cfg;
    ck_assert_int_eq(ldm_preset("tiny", &cfg), 0);
    render_ctx_t *ctx = render_ctx_new(cfg.board_size, cfg.px);
    const int H = cfg.horizon, np = cfg.board_size * cfg.board_size;
    const size_t fb = (size_t)render_frame_bytes(cfg.px);
    uint8_t *rgb = xmalloc((size_t)(H + 1) * fb), *st = xmalloc((size_t)(H + 1) * np), last[BOARD_POINTS];
    uint8_t *one = xmalloc(fb);
    dataset_game_t g;
    ck_assert_int_eq(dataset_game(ds, 0, &g), 0);
    ck_assert_int_ge(g.n_frames, 3);
    uint64_t end = g.first_frame + g.n_frames - 1;
    ck_assert_int_eq(dataset_frame(ds, end, 0, last, NULL), 0);
    /* starting two frames before the end: frames end-2, end-1, end, end, end, end */
    ck_assert_int_eq(ldm_window(ds, ctx, H, end - 2, 0, rgb, st), 0);
    for (int h = 0; h <= H; h++) {
        uint8_t want[BOARD_POINTS];
        uint64_t f = h < 2 ? end - 2 + (uint64_t)h : end;
        ck_assert_int_eq(dataset_frame(ds, f, 0, want, NULL), 0);
        ck_assert_msg(!memcmp(st + (size_t)h * np, want, (size_t)np), "frame %d of the window is not frame %llu", h,
                      (unsigned long long)f);
        render_ctx_stones(ctx, want, one);
        ck_assert(!memcmp(rgb + (size_t)h * fb, one, fb));
    }
    for (int h = 2; h <= H; h++) ck_assert(!memcmp(rgb + (size_t)h * fb, rgb + 2 * fb, fb));
    ck_assert(!memcmp(st + 2 * (size_t)np, last, (size_t)np));
    /* at the very last frame every frame of the window is that frame; the next game's first
     * frame never leaks in */
    ck_assert_int_eq(ldm_window(ds, ctx, H, end, 0, rgb, st), 0);
    for (int h = 1; h <= H; h++) ck_assert(!memcmp(st + (size_t)h * np, last, (size_t)np));
    /* out of range */
    ck_assert_int_eq(ldm_window(ds, ctx, H, dataset_info(ds)->n_frames, 0, rgb, st), -1);
    free(one);
    free(st);
    free(rgb);
    render_ctx_free(ctx);
}
END_TEST

START_TEST(test_query_mask)
{
    setup();
    ldm_config_t cfg;
    ck_assert_int_eq(ldm_preset("tiny", &cfg), 0);
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    enum { B = 4 };
    ldm_t *l = ldm_new(&cfg, be, B, 5);
    const int H = cfg.horizon, D = cfg.n_levels;
    const size_t fb = (size_t)render_frame_bytes(cfg.px), wb = (size_t)(H + 1) * fb;
    uint8_t *rgb = windows(&cfg, 2 * B, 17);
    float *z1 = xmalloc((size_t)B * H * D * sizeof(float)), *z2 = xmalloc((size_t)B * H * D * sizeof(float));
    ldm_set_windows(l, rgb, B);
    ldm_forward(l);
    be->to_host(z1, l->z, (size_t)B * H * D * sizeof(float));
    /* frames 2..H of every window replaced by frames of other windows */
    for (int b = 0; b < B; b++)
        memcpy(rgb + (size_t)b * wb + 2 * fb, rgb + (size_t)(B + b) * wb + 2 * fb, (size_t)(H - 1) * fb);
    ldm_set_windows(l, rgb, B);
    ldm_forward(l);
    be->to_host(z2, l->z, (size_t)B * H * D * sizeof(float));
    int later_changed = 0;
    for (int b = 0; b < B; b++) {
        ck_assert_msg(!memcmp(z1 + (size_t)b * H * D, z2 + (size_t)b * H * D, (size_t)D * sizeof(float)),
                      "query 1 of window %d saw frames after t+1", b);
        later_changed |= memcmp(z1 + ((size_t)b * H + H - 1) * D, z2 + ((size_t)b * H + H - 1) * D,
                                (size_t)D * sizeof(float)) != 0;
    }
    ck_assert_msg(later_changed, "query H never saw the later frames");
    free(z1);
    free(z2);
    free(rgb);
    ldm_free(l);
}
END_TEST

/* The decoder's analytic gradient (everything after FSQ, so the loss is smooth in it) against
 * central finite differences, at the largest-gradient entry of each decoder tensor; the gelu
 * decoder (_i 0) and the gated one (_i 1). */
START_TEST(test_decoder_gradient)
{
    setup();
    ldm_config_t cfg;
    ck_assert_int_eq(ldm_preset("tiny", &cfg), 0);
    cfg.gated = _i;
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    enum { B = 2 };
    ldm_t *l = ldm_new(&cfg, be, B, 13);
    uint8_t *rgb = windows(&cfg, B, 37);
    ldm_set_windows(l, rgb, B);
    /* a few steps first, so the decoder's last layer is not near zero */
    for (int s = 0; s < 5; s++) {
        ldm_forward(l);
        ldm_zero_grad(l);
        ldm_backward(l);
        ldm_adamw_step(l, 1e-2f, 0.9f, 0.99f, 1e-8f, 0.0f, 0.0f, s + 1);
    }
    ldm_forward(l);
    ldm_zero_grad(l);
    ldm_backward(l);
    float *grad = xmalloc(l->n_params * sizeof(float)), *par = xmalloc(l->n_params * sizeof(float));
    be->to_host(grad, l->grad, l->n_params * sizeof(float));
    be->to_host(par, l->param, l->n_params * sizeof(float));
    const char *names[] = {"dec.fc2.weight", "dec.fc2.bias", "dec.fc1.weight", "dec.fc1.bias", "dec.z.weight",
                           "dec.x.weight", "dec.pos", "dec.frame"};
    for (size_t t = 0; t < sizeof names / sizeof names[0]; t++) {
        const ldm_param_t *p = NULL;
        for (int i = 0; i < LDM_N_PARAMS; i++)
            if (!strcmp(l->params[i].name, names[t])) p = &l->params[i];
        ck_assert_ptr_nonnull(p);
        size_t best = p->offset;
        for (size_t k = p->offset; k < p->offset + p->n; k++)
            if (fabsf(grad[k]) > fabsf(grad[best])) best = k;
        const float eps = 1e-2f, w0 = par[best];
        par[best] = w0 + eps;
        be->to_device(l->param, par, l->n_params * sizeof(float));
        double lp = ldm_forward(l);
        par[best] = w0 - eps;
        be->to_device(l->param, par, l->n_params * sizeof(float));
        double lm = ldm_forward(l);
        par[best] = w0;
        be->to_device(l->param, par, l->n_params * sizeof(float));
        double fd = (lp - lm) / (2.0 * eps), g = grad[best];
        ck_assert_msg(g != 0.0, "%s: zero gradient", names[t]);
        ck_assert_msg(fabs(fd - g) <= 0.05 * fabs(g) + 1e-7, "%s[%zu]: analytic %.6e, finite difference %.6e",
                      names[t], best - p->offset, g, fd);
    }
    free(grad);
    free(par);
    free(rgb);
    ldm_free(l);
}
END_TEST

/* k steps from seed 9; returns the last loss, params copied to host (caller frees). */
static float run_steps(const ldm_config_t *cfg, const uint8_t *rgb, int B, int k, float **params, size_t *n)
{
    const backend_t *be = backend_cpu();
    ldm_t *l = ldm_new(cfg, be, B, 9);
    float loss = 0;
    for (int s = 0; s < k; s++) {
        ldm_set_windows(l, rgb, B);
        loss = ldm_forward(l);
        ldm_zero_grad(l);
        ldm_backward(l);
        ldm_adamw_step(l, 1e-3f, 0.9f, 0.99f, 1e-8f, 1e-4f, 1.0f, s + 1);
    }
    *n = l->n_params;
    *params = xmalloc(*n * sizeof(float));
    be->to_host(*params, l->param, *n * sizeof(float));
    ldm_free(l);
    return loss;
}

START_TEST(test_determinism)
{
    setup();
    ldm_config_t cfg;
    ck_assert_int_eq(ldm_preset("tiny", &cfg), 0);
    backend_cpu()->set_threads(1);
    enum { B = 4 };
    uint8_t *rgb = windows(&cfg, B, 23);
    float *p1, *p2;
    size_t n1, n2;
    float l1 = run_steps(&cfg, rgb, B, 4, &p1, &n1), l2 = run_steps(&cfg, rgb, B, 4, &p2, &n2);
    ck_assert_int_eq(n1, n2);
    ck_assert(memcmp(&l1, &l2, sizeof l1) == 0);
    ck_assert(memcmp(p1, p2, n1 * sizeof(float)) == 0);
    free(p1);
    free(p2);
    free(rgb);
}
END_TEST

START_TEST(test_weights_round_trip)
{
    setup();
    ldm_config_t cfg;
    ck_assert_int_eq(ldm_preset("tiny", &cfg), 0);
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    enum { B = 4 };
    ldm_t *a = ldm_new(&cfg, be, B, 31);
    uint8_t *rgb = windows(&cfg, B, 29);
    char path[256];
    int len = snprintf(path, sizeof path, "%s/ldm.gguf", dir);
    ck_assert(len > 0 && (size_t)len < sizeof path);
    char *argv[] = {"test_ldm"};
    ldm_save(a, path, 1, argv);
    ldm_t *b = ldm_build_from_file(path, be, B);
    ck_assert_int_eq(b->cfg.horizon, cfg.horizon);
    ck_assert_int_eq(b->n_params, a->n_params);
    ldm_set_windows(a, rgb, B);
    ldm_set_windows(b, rgb, B);
    float la = ldm_forward(a), lb = ldm_forward(b);
    ck_assert(memcmp(&la, &lb, sizeof la) == 0);
    int ca[B * LDM_MAX_HORIZON], cb[B * LDM_MAX_HORIZON];
    ldm_outputs(a, ca, NULL);
    ldm_outputs(b, cb, NULL);
    ck_assert(!memcmp(ca, cb, (size_t)B * cfg.horizon * sizeof(int)));
    for (int i = 0; i < B * cfg.horizon; i++) ck_assert(ca[i] >= 0 && ca[i] < ldm_codebook(&cfg));
    /* predicted frames come back as bytes, B*H of them */
    uint8_t *out = xmalloc((size_t)B * cfg.horizon * render_frame_bytes(cfg.px));
    ldm_outputs(b, NULL, out);
    free(out);
    ldm_free(b);
    ldm_free(a);

    /* a file whose enc.query has another shape than its ldm.horizon says: refused (dies) */
    weights_writer_t *w = weights_writer_new(LDM_ARCH);
    weights_writer_set_command(w, 1, argv);
    ldm_config_write(w, &cfg);
    ldm_t *c = ldm_new(&cfg, be, 1, 1);
    float *host = xmalloc(c->n_params * sizeof(float));
    be->to_host(host, c->param, c->n_params * sizeof(float));
    for (int i = 0; i < LDM_N_PARAMS; i++) {
        ldm_param_t p = c->params[i];
        if (!strcmp(p.name, "enc.query")) p.dims[0] = 2;
        weights_writer_tensor(w, p.name, WEIGHTS_F32, p.ndim, p.dims, host + c->params[i].offset);
    }
    char err[WEIGHTS_ERR_LEN];
    snprintf(path, sizeof path, "%s/bad.gguf", dir);
    ck_assert_msg(weights_writer_save(w, path, err, sizeof err) == 0, "%s", err);
    weights_writer_free(w);
    free(host);
    ldm_free(c);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(3);
        ldm_build_from_file(path, be, 1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0, "a wrong-shape file was accepted");
    free(rgb);
}
END_TEST

static void teardown_all(void)
{
    if (!ds) return;
    dataset_close(ds);
    ds = NULL;
    char cmd[300];
    int n = snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (n > 0 && (size_t)n < sizeof cmd && system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    Suite *s = suite_create("ldm");
    TCase *tc = tcase_create("ldm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_padding);
    tcase_add_test(tc, test_query_mask);
    tcase_add_test(tc, test_determinism);
    tcase_add_loop_test(tc, test_decoder_gradient, 0, 2);
    tcase_add_test(tc, test_weights_round_trip);
    tcase_add_test(tc, test_loss_falls);
    tcase_add_test(tc, test_loss_falls_h1_h3);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    teardown_all();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
