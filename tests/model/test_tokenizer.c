/* test_tokenizer.c: the frame tokenizer (model/tokenizer.h).
 *
 *   - a tiny configuration (32 px, 16 tokens, H 32) trains a few dozen steps on rendered
 *     random positions and its loss falls;
 *   - the analytic gradient of the decoder parameters matches finite differences of the
 *     loss (the encoder's gradient passes FSQ's straight-through estimator, so the loss is
 *     piecewise constant in it and only the decoder admits a finite-difference check);
 *   - encoding is deterministic (twice, two nets from one seed, after a save/load round
 *     trip), and the loader refuses a file whose tensor has another shape;
 *   - with the shipped weights (weights/tokenizer-9x9.gguf, when present): decoded boards
 *     of the 8 symmetric frames of 100 game positions are the symmetric boards.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/board.h"
#include "engine/util.h"
#include "kernels/backend.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "render/dataset.h"
#include "render/render.h"
#include "render/sym.h"

static void random_board(board_t *b, int size, rng_t *r, int max_moves)
{
    board_init(b, size);
    int k = (int)rng_below(r, (uint32_t)max_moves + 1);
    stone_t c = STONE_BLACK;
    for (int m = 0; m < k; m++) {
        for (int tries = 0; tries < 8; tries++)
            if (board_play(b, c, (int)rng_below(r, (uint32_t)(size * size)), NULL, NULL) == MOVE_OK) break;
        c = stone_other(c);
    }
}

/* B random positions rendered at the config's frame size. */
static uint8_t *random_frames(const tokenizer_config_t *cfg, int B, uint64_t seed)
{
    render_ctx_t *ctx = render_ctx_new(cfg->board_size, cfg->px);
    ck_assert_ptr_nonnull(ctx);
    size_t fb = (size_t)render_frame_bytes(cfg->px);
    uint8_t *rgb = xmalloc((size_t)B * fb);
    rng_t r;
    rng_seed(&r, seed);
    for (int b = 0; b < B; b++) {
        board_t bd;
        random_board(&bd, cfg->board_size, &r, 60);
        ck_assert_int_eq(render_ctx_frame(ctx, &bd, rgb + (size_t)b * fb), 0);
    }
    render_ctx_free(ctx);
    return rgb;
}

START_TEST(test_loss_falls)
{
    tokenizer_config_t cfg;
    ck_assert_int_eq(tokenizer_preset("tiny", &cfg), 0);
    ck_assert_int_eq(tokenizer_tokens(&cfg), 16);
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    enum { B = 8, STEPS = 60 };
    tokenizer_t *t = tokenizer_new(&cfg, be, B, 42);
    uint8_t *rgb = random_frames(&cfg, B * 4, 7);
    size_t fb = (size_t)render_frame_bytes(cfg.px);
    float first = 0, last = 0;
    for (int s = 0; s < STEPS; s++) {
        tokenizer_set_frames(t, rgb + (size_t)(s % 4) * B * fb, B);
        float loss = tokenizer_forward(t, NULL);
        ck_assert(isfinite(loss));
        if (s < 4) first += loss / 4;
        if (s >= STEPS - 4) last += loss / 4;
        tokenizer_zero_grad(t);
        tokenizer_backward(t);
        tokenizer_adamw_step(t, 3e-3f, 0.9f, 0.99f, 1e-8f, 0.0f, 1.0f, s + 1);
    }
    ck_assert_msg(last < 0.7f * first, "loss did not fall: first %g, last %g", (double)first, (double)last);
    free(rgb);
    tokenizer_free(t);
}
END_TEST

START_TEST(test_decoder_gradient)
{
    tokenizer_config_t cfg;
    ck_assert_int_eq(tokenizer_preset("tiny", &cfg), 0);
    cfg.l1_weight = 0.0f;
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    enum { B = 2 };
    tokenizer_t *t = tokenizer_new(&cfg, be, B, 3);
    uint8_t *rgb = random_frames(&cfg, B, 11);
    tokenizer_set_frames(t, rgb, B);
    tokenizer_forward(t, NULL);
    tokenizer_zero_grad(t);
    tokenizer_backward(t);
    const char *names[] = {"dec.fc1.weight", "dec.fc1.bias", "dec.pos", "dec.fc2.weight", "dec.fc3.weight",
                           "dec.fc3.bias"};
    rng_t r;
    rng_seed(&r, 9);
    int checked = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const tokenizer_param_t *p = NULL;
        for (int i = 0; i < TOKENIZER_N_PARAMS; i++)
            if (!strcmp(t->params[i].name, names[k])) p = &t->params[i];
        ck_assert_ptr_nonnull(p);
        for (int j = 0; j < 4; j++) {
            size_t idx = p->offset + rng_below(&r, (uint32_t)p->n);
            float w0 = t->param[idx], g = t->grad[idx];
            const float h = 1e-2f;
            t->param[idx] = w0 + h;
            double lp = tokenizer_forward(t, NULL);
            t->param[idx] = w0 - h;
            double lm = tokenizer_forward(t, NULL);
            t->param[idx] = w0;
            double fd = (lp - lm) / (2 * h);
            double tol = 2e-3 * fmax(1.0, fabs(fd)) + 0.05 * fabs(fd);
            ck_assert_msg(fabs(fd - g) <= tol, "%s[%zu]: analytic %g, finite difference %g", names[k],
                          idx - p->offset, (double)g, fd);
            checked++;
        }
    }
    ck_assert_int_eq(checked, 24);
    free(rgb);
    tokenizer_free(t);
}
END_TEST

START_TEST(test_encode_deterministic)
{
    tokenizer_config_t cfg;
    ck_assert_int_eq(tokenizer_preset("tiny", &cfg), 0);
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    enum { B = 12 };
    const int T = tokenizer_tokens(&cfg);
    tokenizer_t *a = tokenizer_new(&cfg, be, 5, 77), *b = tokenizer_new(&cfg, be, 8, 77);
    /* a few training steps so the codes are not trivial */
    uint8_t *rgb = random_frames(&cfg, B, 21);
    for (int s = 0; s < 10; s++) {
        tokenizer_set_frames(a, rgb, 5);
        tokenizer_forward(a, NULL);
        tokenizer_zero_grad(a);
        tokenizer_backward(a);
        tokenizer_adamw_step(a, 3e-3f, 0.9f, 0.99f, 1e-8f, 0.0f, 1.0f, s + 1);
        tokenizer_set_frames(b, rgb, 5);
        tokenizer_forward(b, NULL);
        tokenizer_zero_grad(b);
        tokenizer_backward(b);
        tokenizer_adamw_step(b, 3e-3f, 0.9f, 0.99f, 1e-8f, 0.0f, 1.0f, s + 1);
    }
    int c1[B * 16], c2[B * 16], c3[B * 16], c4[B * 16];
    ck_assert_int_eq(T, 16);
    tokenizer_encode(a, rgb, B, c1); /* chunks of 5 */
    tokenizer_encode(a, rgb, B, c2);
    tokenizer_encode(b, rgb, B, c3); /* same seed and steps, chunks of 8 */
    ck_assert_mem_eq(c1, c2, sizeof c1);
    ck_assert_mem_eq(c1, c3, sizeof c1);
    long K = tokenizer_codebook(&cfg);
    int distinct = 0;
    for (int i = 0; i < B * T; i++) {
        ck_assert(c1[i] >= 0 && c1[i] < K);
        distinct += i == 0 || c1[i] != c1[0];
    }
    ck_assert_int_gt(distinct, 1);

    /* save / load round trip: same codes, same decoded frames */
    char path[] = "/tmp/videogo-test-tok-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char *argv[] = {"test_tokenizer"};
    tokenizer_save(a, path, 1, argv);
    tokenizer_t *c = tokenizer_build_from_file(path, be, 3);
    ck_assert_mem_eq(&c->cfg, &a->cfg, sizeof cfg);
    tokenizer_encode(c, rgb, B, c4);
    ck_assert_mem_eq(c1, c4, sizeof c1);
    size_t fb = (size_t)render_frame_bytes(cfg.px);
    uint8_t *d1 = xmalloc(B * fb), *d2 = xmalloc(B * fb);
    tokenizer_decode(a, c1, B, d1);
    tokenizer_decode(c, c1, B, d2);
    ck_assert_mem_eq(d1, d2, B * fb);
    unlink(path);
    free(d1);
    free(d2);
    free(rgb);
    tokenizer_free(a);
    tokenizer_free(b);
    tokenizer_free(c);
}
END_TEST

/* A weights file whose dec.fc3.weight has the wrong shape: the loader must die. */
START_TEST(test_loader_rejects_shape)
{
    tokenizer_config_t cfg;
    ck_assert_int_eq(tokenizer_preset("tiny", &cfg), 0);
    tokenizer_t *t = tokenizer_new(&cfg, backend_cpu(), 1, 1);
    weights_writer_t *w = weights_writer_new(TOKENIZER_ARCH);
    weights_writer_set_command_str(w, "test");
    tokenizer_config_write(w, &cfg);
    for (int i = 0; i < TOKENIZER_N_PARAMS; i++) {
        const tokenizer_param_t *p = &t->params[i];
        int64_t dims[4] = {p->dims[0], p->dims[1], p->dims[2], p->dims[3]};
        if (!strcmp(p->name, "dec.fc3.weight")) dims[0] -= 1;
        size_t n = 1;
        for (int d = 0; d < p->ndim; d++) n *= (size_t)dims[d];
        float *zero = xcalloc(n, sizeof(float));
        weights_writer_tensor(w, p->name, WEIGHTS_F32, p->ndim, dims, zero);
        free(zero);
    }
    char path[] = "/tmp/videogo-test-tokbad-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char err[WEIGHTS_ERR_LEN];
    ck_assert_int_eq(weights_writer_save(w, path, err, sizeof err), 0);
    weights_writer_free(w);
    tokenizer_free(t);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        tokenizer_build_from_file(path, backend_cpu(), 1);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    unlink(path);
    ck_assert(WIFEXITED(status));
    ck_assert_int_ne(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_shipped_symmetry)
{
    const char *src = getenv("VIDEOGO_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/weights/tokenizer-9x9.gguf", src ? src : ".");
    struct stat sb;
    if (stat(path, &sb)) {
        fprintf(stderr, "test_shipped_symmetry: %s absent, skipped\n", path);
        return;
    }
    const backend_t *be = backend_cpu();
    be->set_threads(1);
    tokenizer_t *t = tokenizer_build_from_file(path, be, SYM_COUNT);
    const int size = t->cfg.board_size, px = t->cfg.px, T = t->T, np = size * size;
    render_ctx_t *ctx = render_ctx_new(size, px);
    ck_assert_ptr_nonnull(ctx);
    size_t fb = (size_t)render_frame_bytes(px);
    uint8_t *rgb = xmalloc(SYM_COUNT * fb), *dec = xmalloc(SYM_COUNT * fb);
    int *codes = xmalloc((size_t)SYM_COUNT * T * sizeof(int));
    /* game positions: a shard of one katago9 file, 100 frames spread over it */
    char dir[] = "/tmp/videogo-test-toksym-XXXXXX", sgf[4096], shard[4200], err[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *data = getenv("VIDEOGO_DATA");
    ck_assert_ptr_nonnull(data);
    snprintf(sgf, sizeof sgf, "%s/katago9/train-000.sgf", data);
    const char *srcs[] = {sgf};
    dataset_build_opts_t o = {.sources = srcs, .n_sources = 1, .out_dir = dir, .name = "s", .board_size = 9,
                              .seed = DATASET_DEFAULT_SEED, .val_modulus = DATASET_DEFAULT_VAL_MODULUS};
    dataset_build_report_t rep;
    ck_assert_msg(dataset_build(&o, &rep, err, sizeof err) == 0, "%s", err);
    snprintf(shard, sizeof shard, "%s/s-train.vgs", dir);
    dataset_t *ds = dataset_open(shard, err, sizeof err);
    ck_assert_msg(ds != NULL, "%s", err);
    uint64_t nf = dataset_info(ds)->n_frames;
    int bad = 0, total = 0;
    for (int n = 0; n < 100; n++) {
        board_t b, sb8[SYM_COUNT];
        ck_assert_int_eq(dataset_frame_board(ds, (uint64_t)n * (nf / 100) + 7, 0, &b, NULL), 0);
        for (int k = 0; k < SYM_COUNT; k++) {
            sym_board(&sb8[k], &b, k);
            ck_assert_int_eq(render_ctx_frame(ctx, &sb8[k], rgb + (size_t)k * fb), 0);
        }
        tokenizer_encode(t, rgb, SYM_COUNT, codes);
        tokenizer_decode(t, codes, SYM_COUNT, dec);
        for (int k = 0; k < SYM_COUNT; k++) {
            board_t rk;
            render_board_read(dec + (size_t)k * fb, px, size, &rk);
            /* the decoded board of frame k is symmetry k of the board */
            int ok = 1;
            for (int p = 0; p < np; p++)
                if (rk.stones[p] != sb8[k].stones[p]) ok = 0;
            bad += !ok;
            total++;
        }
    }
    /* weights/README.md gives the shipped file's board-exact rate on the validation shard
     * (99.5-99.6%, short of the 99.9% goal); misreads cluster on dense positions, so allow
     * 2% here: a broken symmetry handling or a broken file misreads far more */
    fprintf(stderr, "test_shipped_symmetry: %d of %d frames misread\n", bad, total);
    ck_assert_msg(bad <= total / 50, "%d of %d symmetric frames decoded to another board", bad, total);
    dataset_close(ds);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(codes);
    free(dec);
    free(rgb);
    render_ctx_free(ctx);
    tokenizer_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_loss_falls);
    tcase_add_test(tc, test_decoder_gradient);
    tcase_add_test(tc, test_encode_deterministic);
    tcase_add_test(tc, test_loader_rejects_shape);
    tcase_add_test(tc, test_shipped_symmetry);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
