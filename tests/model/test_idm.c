/* test_idm.c: model/idm on a one-file katago9 shard built here, with tiny configurations:
 *   - the loss of a fixed batch falls over a few AdamW steps; gradients match finite differences;
 *   - the labelled subset: F = 0.01 chooses ~1% of the positions, the same ones for the same
 *     seed, and idm_label reads (and counts) labels of those positions only;
 *   - idm_new / idm_logits are deterministic; idm_save + idm_build_from_file give the same
 *     logits and keep the provenance keys;
 *   - symmetric inputs give the symmetric move: an IDM trained here on all 8 symmetries, and the
 *     shipped weights/idm-9x9.gguf through the real tokenizer and LDM when they are present;
 *   - `videogo train idm` end to end (tiny tokenizer and LDM with random weights written here):
 *     with --label-fraction 0.01 only ~1% of the positions' labels are read, two runs are
 *     bit-identical, a run stopped and resumed equals an uninterrupted one. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/backend.h"
#include "model/checkpoint.h"
#include "model/idm.h"
#include "model/ldm.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "render/dataset.h"

#include "train_harness.h"
#include "render/render.h"
#include "render/sym.h"

static char dir[] = "/tmp/vgo-idm-XXXXXX";
static char shard_train[4200], shard_val[4200];

/* One-file shards (train-000.sgf: ~1,000 games), built once for the whole program. */
static void build_shards(void)
{
    if (shard_train[0]) return;
    th_build_shard(dir);
    th_fmt(shard_train, sizeof shard_train, "%s/k-train.vgs", dir);
    th_fmt(shard_val, sizeof shard_val, "%s/k-val.vgs", dir);
}

static dataset_t *open_shard(const char *path)
{
    char err[1024];
    dataset_t *ds = dataset_open(path, err, sizeof err);
    ck_assert_msg(ds != NULL, "%s", err);
    return ds;
}

static idm_config_t tiny_config(int hidden)
{
    idm_config_t c;
    ck_assert_int_eq(idm_preset("tiny", &c), 0);
    c.px = 32; /* the tiny tokenizer's and LDM's frames */
    if (hidden) c.hidden = hidden;
    return c;
}

/* Examples from positions of ds (those with a move): frames x_t and x_{t+1} rendered at the
 * config's size under symmetry sym[k], codes drawn from seed, classes from the labels. */
typedef struct {
    int n;
    uint8_t *cur, *next;
    int *codes, *cls;
} batch_t;

static void make_batch(batch_t *b, const dataset_t *ds, const idm_config_t *c, int n, uint64_t seed, int all_syms)
{
    render_ctx_t *ctx = render_ctx_new(9, c->px);
    const size_t fb = (size_t)render_frame_bytes(c->px);
    b->n = n;
    b->cur = malloc(n * fb);
    b->next = malloc(n * fb);
    b->codes = malloc((size_t)n * c->horizon * sizeof(int));
    b->cls = malloc((size_t)n * sizeof(int));
    rng_t r;
    rng_seed(&r, seed);
    const uint64_t nf = dataset_info(ds)->n_frames;
    const long K = fsq_codebook_size(c->levels, c->n_levels);
    for (int k = 0; k < n; k++) {
        uint64_t i;
        do i = rng_next(&r) % nf;
        while (dataset_frames_after(ds, i) < 1);
        int sym = all_syms ? (int)rng_below(&r, SYM_COUNT) : 0;
        ck_assert_int_eq(dataset_render_frame(ds, ctx, i, sym, b->cur + k * fb, NULL), 0);
        ck_assert_int_eq(dataset_render_frame(ds, ctx, i + 1, sym, b->next + k * fb, NULL), 0);
        for (int h = 0; h < c->horizon; h++) b->codes[k * c->horizon + h] = (int)(rng_next(&r) % (uint64_t)K);
        int mv = dataset_label_move(ds, i, sym);
        b->cls[k] = mv == VERTEX_PASS ? 81 : mv;
    }
    render_ctx_free(ctx);
}

static void free_batch(batch_t *b)
{
    free(b->cur);
    free(b->next);
    free(b->codes);
    free(b->cls);
}

/* Inputs of examples [k0, k0+nb) of b into m. */
static void set_batch(idm_t *m, const batch_t *b, int k0, int nb)
{
    const size_t fb = (size_t)render_frame_bytes(m->cfg.px);
    float *pt = malloc((size_t)nb * m->Q * sizeof(float)), *pn = malloc((size_t)nb * m->Q * sizeof(float));
    idm_pool(m, b->cur + k0 * fb, nb, pt);
    idm_pool(m, b->next + k0 * fb, nb, pn);
    idm_set_inputs(m, pt, pn, b->codes + (size_t)k0 * m->H, nb);
    free(pt);
    free(pn);
}

START_TEST(test_loss_falls)
{
    build_shards();
    dataset_t *ds = open_shard(shard_train);
    idm_config_t c = tiny_config(0);
    idm_t *m = idm_new(&c, backend_cpu(), 32, 7);
    ck_assert_int_eq(m->V, 82);
    ck_assert_int_eq(m->IN, 3 * 243 + 5 * 23);
    batch_t b;
    make_batch(&b, ds, &c, 32, 3, 1);
    set_batch(m, &b, 0, 32);
    float first = 0, last = 0;
    for (int s = 1; s <= 40; s++) {
        float loss = idm_forward(m, b.cls);
        if (s == 1) first = loss;
        last = loss;
        idm_zero_grad(m);
        idm_backward(m);
        idm_adamw_step(m, 3e-3f, 0.9f, 0.99f, 1e-8f, 0.0f, 1.0f, s);
    }
    fprintf(stderr, "test_loss_falls: %.4f -> %.4f\n", (double)first, (double)last);
    ck_assert_msg(first > 3.0f, "initial loss %g, expected about ln 82 = 4.4", (double)first);
    ck_assert_msg(last < 0.5f * first, "loss %g -> %g did not fall", (double)first, (double)last);
    free_batch(&b);
    idm_free(m);
    dataset_close(ds);
}
END_TEST

/* d loss / d param[k] by central differences vs the backward, for entries of every tensor. */
START_TEST(test_gradients)
{
    build_shards();
    dataset_t *ds = open_shard(shard_train);
    idm_config_t c = tiny_config(16);
    const backend_t *be = backend_cpu();
    idm_t *m = idm_new(&c, be, 8, 11);
    batch_t b;
    make_batch(&b, ds, &c, 8, 5, 1);
    b.cls[3] = -1; /* a row without a target takes no part */
    set_batch(m, &b, 0, 8);
    idm_forward(m, b.cls);
    idm_zero_grad(m);
    idm_backward(m);
    float *p = malloc(m->n_params * sizeof(float)), *g = malloc(m->n_params * sizeof(float));
    be->to_host(p, m->param, m->n_params * sizeof(float));
    be->to_host(g, m->grad, m->n_params * sizeof(float));
    int checked = 0;
    for (int t = 0; t < IDM_N_PARAMS; t++) {
        const model_param_t *pp = &m->params[t];
        int here = 0;
        for (size_t k = 0; k < pp->n && here < 4; k += 1 + pp->n / 97) {
            size_t at = pp->offset + k;
            if (fabsf(g[at]) < 1e-3f) continue;
            const float eps = 1e-2f, keep = p[at];
            p[at] = keep + eps;
            be->to_device(m->param, p, m->n_params * sizeof(float));
            double up = idm_forward(m, b.cls);
            p[at] = keep - eps;
            be->to_device(m->param, p, m->n_params * sizeof(float));
            double down = idm_forward(m, b.cls);
            p[at] = keep;
            be->to_device(m->param, p, m->n_params * sizeof(float));
            double fd = (up - down) / (2.0 * eps);
            ck_assert_msg(fabs(fd - g[at]) <= 0.03 * fabs(fd) + 2e-4, "%s[%zu]: backward %g, finite difference %g",
                          pp->name, k, (double)g[at], fd);
            here++;
        }
        checked += here;
    }
    ck_assert_int_ge(checked, 12);
    free(p);
    free(g);
    free_batch(&b);
    idm_free(m);
    dataset_close(ds);
}
END_TEST

START_TEST(test_label_subset)
{
    build_shards();
    dataset_t *ds = open_shard(shard_train);
    const uint64_t nf = dataset_info(ds)->n_frames;
    uint64_t chosen = 0, other_seed = 0, both = 0;
    for (uint64_t i = 0; i < nf; i++) {
        bool a = idm_labelled(i, 0.01, 1), a2 = idm_labelled(i, 0.01, 1), b = idm_labelled(i, 0.01, 2);
        ck_assert(a == a2);
        chosen += a;
        other_seed += b;
        both += a && b;
        ck_assert(idm_labelled(i, 1.0, 1));
        ck_assert(!idm_labelled(i, 0.0, 1));
    }
    fprintf(stderr, "test_label_subset: %llu of %llu positions chosen at F = 0.01\n", (unsigned long long)chosen,
            (unsigned long long)nf);
    ck_assert_msg(chosen > nf / 200 && chosen < nf * 3 / 200, "%llu of %llu chosen", (unsigned long long)chosen,
                  (unsigned long long)nf);
    ck_assert_msg(other_seed > nf / 200 && both < chosen / 5, "another seed chose the same positions");
    /* idm_label: a label for chosen positions with a move, -1 (no read) for the others */
    idm_labels_t L;
    idm_labels_init(&L, ds, 0.01, 1);
    uint64_t expect_reads = 0;
    for (uint64_t i = 0; i < nf; i++) {
        int cls = idm_label(&L, i, (int)(i % 8));
        if (!idm_labelled(i, 0.01, 1) || dataset_frames_after(ds, i) < 1) {
            ck_assert_int_eq(cls, -1);
            continue;
        }
        expect_reads++;
        int mv = dataset_label_move(ds, i, (int)(i % 8));
        ck_assert_int_eq(cls, mv == VERTEX_PASS ? 81 : mv);
        ck_assert_int_eq(idm_label(&L, i, 0), dataset_label_move(ds, i, 0) == VERTEX_PASS ? 81 : dataset_label_move(ds, i, 0));
    }
    ck_assert_uint_eq(L.reads, 2 * expect_reads);
    ck_assert_uint_eq(L.positions, expect_reads);
    ck_assert_uint_le(L.positions, chosen);
    idm_labels_free(&L);
    dataset_close(ds);
}
END_TEST

START_TEST(test_determinism_and_round_trip)
{
    build_shards();
    dataset_t *ds = open_shard(shard_val);
    idm_config_t c = tiny_config(0);
    c.label_fraction = 0.01;
    c.labelled_positions = 1234;
    snprintf(c.ldm_sha256, sizeof c.ldm_sha256, "%s", "ab12");
    const backend_t *be = backend_cpu();
    idm_t *a = idm_new(&c, be, 16, 5), *b = idm_new(&c, be, 16, 5), *other = idm_new(&c, be, 16, 6);
    idm_t *b7 = idm_new(&c, be, 7, 5);
    batch_t x;
    make_batch(&x, ds, &c, 40, 9, 1);
    float *la = malloc(40 * 82 * sizeof(float)), *lb = malloc(40 * 82 * sizeof(float));
    float *lc = malloc(40 * 82 * sizeof(float));
    idm_logits(a, x.cur, x.next, x.codes, 40, la);
    idm_logits(b, x.cur, x.next, x.codes, 40, lb);
    ck_assert_mem_eq(la, lb, 40 * 82 * sizeof(float));
    /* chunks of 7: the same up to the GEMM's blocking (ops.h: last bits may depend on shapes) */
    idm_logits(b7, x.cur, x.next, x.codes, 40, lb);
    for (int k = 0; k < 40 * 82; k++) ck_assert_float_eq_tol(la[k], lb[k], 1e-4f * (1.0f + fabsf(la[k])));
    idm_logits(other, x.cur, x.next, x.codes, 40, lc);
    ck_assert_msg(memcmp(la, lc, 40 * 82 * sizeof(float)) != 0, "another seed gave the same logits");
    char path[4300];
    th_fmt(path, sizeof path, "%s/rt.gguf", dir);
    char *argv[] = {"test_idm", "round-trip"};
    idm_save(a, path, 2, argv);
    idm_t *r = idm_build_from_file(path, be, 16);
    idm_logits(r, x.cur, x.next, x.codes, 40, lc);
    ck_assert_mem_eq(la, lc, 40 * 82 * sizeof(float));
    ck_assert_int_eq(r->cfg.horizon, 5);
    ck_assert_int_eq(r->cfg.n_levels, 4);
    ck_assert_int_eq(r->cfg.levels[0], 8);
    ck_assert(r->cfg.label_fraction == 0.01);
    ck_assert_uint_eq(r->cfg.labelled_positions, 1234);
    ck_assert_str_eq(r->cfg.ldm_sha256, "ab12");
    free(la);
    free(lb);
    free(lc);
    free_batch(&x);
    idm_free(a);
    idm_free(b);
    idm_free(b7);
    idm_free(other);
    idm_free(r);
    dataset_close(ds);
}
END_TEST

/* Fraction of (position, symmetry) pairs whose predicted class is the symmetric image of the
 * identity's prediction, and the top-1 accuracy over all of them. */
static void symmetry_score(idm_t *m, const dataset_t *ds, const int *codes_of, int n_pos, double *agree, double *acc,
                           void (*next_frames)(void *ctx, uint8_t *rgb, int n), void *ctx)
{
    render_ctx_t *rc = render_ctx_new(9, m->cfg.px);
    const size_t fb = (size_t)render_frame_bytes(m->cfg.px);
    const int n = n_pos * SYM_COUNT;
    uint8_t *cur = malloc(n * fb), *next = malloc(n * fb);
    int *codes = malloc((size_t)n * m->H * sizeof(int)), *cls = malloc((size_t)n * sizeof(int));
    const uint64_t nf = dataset_info(ds)->n_frames;
    for (int k = 0; k < n_pos; k++) {
        uint64_t i = (uint64_t)k * (nf / n_pos);
        while (dataset_frames_after(ds, i) < 1) i++;
        for (int s = 0; s < SYM_COUNT; s++) {
            const int e = k * SYM_COUNT + s;
            ck_assert_int_eq(dataset_render_frame(ds, rc, i, s, cur + e * fb, NULL), 0);
            ck_assert_int_eq(dataset_render_frame(ds, rc, i + 1, s, next + e * fb, NULL), 0);
            int mv = dataset_label_move(ds, i, s);
            cls[e] = mv == VERTEX_PASS ? 81 : mv;
            for (int h = 0; h < m->H; h++) codes[e * m->H + h] = codes_of ? codes_of[e * m->H + h] : 0;
        }
    }
    if (next_frames) next_frames(ctx, next, n);
    float *lg = malloc((size_t)n * 82 * sizeof(float));
    idm_logits(m, cur, next, codes, n, lg);
    int same = 0, hit = 0;
    int pred0 = 0;
    for (int e = 0; e < n; e++) {
        int best = 0;
        for (int v = 1; v < 82; v++)
            if (lg[e * 82 + v] > lg[e * 82 + best]) best = v;
        if (e % SYM_COUNT == 0) pred0 = best;
        int want = pred0 == 81 ? 81 : sym_point(pred0, 9, e % SYM_COUNT);
        same += best == want;
        hit += best == cls[e];
    }
    *agree = (double)same / n;
    *acc = (double)hit / n;
    free(lg);
    free(cur);
    free(next);
    free(codes);
    free(cls);
    render_ctx_free(rc);
}

/* An IDM trained here (true next frames, uninformative codes) on all 8 symmetries of training
 * positions predicts, on held-out positions, the symmetric move for the symmetric frames. */
START_TEST(test_symmetric_move_trained)
{
    build_shards();
    dataset_t *tr = open_shard(shard_train), *va = open_shard(shard_val);
    idm_config_t c = tiny_config(128);
    idm_t *m = idm_new(&c, backend_cpu(), 64, 1);
    double agree0, acc0;
    symmetry_score(m, va, NULL, 40, &agree0, &acc0, NULL, NULL);
    batch_t b;
    make_batch(&b, tr, &c, 4096, 17, 1);
    memset(b.codes, 0, (size_t)b.n * c.horizon * sizeof(int));
    rng_t r;
    rng_seed(&r, 4);
    int idx[64], cls[64];
    batch_t mb = b;
    const size_t fb = (size_t)render_frame_bytes(c.px);
    uint8_t *cur = malloc(64 * fb), *next = malloc(64 * fb);
    mb.cur = cur, mb.next = next, mb.cls = cls;
    for (int s = 1; s <= 400; s++) {
        for (int j = 0; j < 64; j++) {
            idx[j] = (int)rng_below(&r, (uint32_t)b.n);
            memcpy(cur + j * fb, b.cur + idx[j] * fb, fb);
            memcpy(next + j * fb, b.next + idx[j] * fb, fb);
            cls[j] = b.cls[idx[j]];
        }
        set_batch(m, &mb, 0, 64);
        idm_forward(m, cls);
        idm_zero_grad(m);
        idm_backward(m);
        idm_adamw_step(m, 3e-3f, 0.9f, 0.99f, 1e-8f, 0.0f, 1.0f, s);
    }
    double agree, acc;
    symmetry_score(m, va, NULL, 40, &agree, &acc, NULL, NULL);
    fprintf(stderr, "test_symmetric_move_trained: untrained agree %.3f acc %.3f; trained agree %.3f acc %.3f\n",
            agree0, acc0, agree, acc);
    ck_assert_msg(acc >= 0.8, "trained IDM: top-1 %.3f on held-out positions", acc);
    ck_assert_msg(agree >= 0.8, "symmetric frames gave the symmetric move for only %.3f", agree);
    free(cur);
    free(next);
    free_batch(&b);
    idm_free(m);
    dataset_close(tr);
    dataset_close(va);
}
END_TEST

/* The shipped files, when present: x^_{t+1} through the tokenizer, z from the LDM. */
typedef struct {
    tokenizer_t *tok;
} shipped_ctx_t;

static void through_tokenizer(void *ctx, uint8_t *rgb, int n)
{
    shipped_ctx_t *s = ctx;
    int *codes = malloc((size_t)n * s->tok->T * sizeof(int));
    tokenizer_encode(s->tok, rgb, n, codes);
    tokenizer_decode(s->tok, codes, n, rgb);
    free(codes);
}

START_TEST(test_symmetric_move_shipped)
{
    const char *src = getenv("VIDEOGO_SRC");
    ck_assert_ptr_nonnull(src);
    char pi[4096], pt[4096], pl[4096], pv[4096];
    th_fmt(pi, sizeof pi, "%s/weights/idm-9x9.gguf", src);
    th_fmt(pt, sizeof pt, "%s/weights/tokenizer-9x9.gguf", src);
    th_fmt(pl, sizeof pl, "%s/weights/ldm-9x9.gguf", src);
    th_fmt(pv, sizeof pv, "%s/shards/katago9-val.vgs", src);
    if (access(pi, R_OK) || access(pt, R_OK) || access(pl, R_OK)) {
        fprintf(stderr, "test_symmetric_move_shipped: weights/idm-9x9.gguf, tokenizer or ldm absent, skipped\n");
        return;
    }
    build_shards();
    const backend_t *be = backend_cpu();
    idm_t *m = idm_build_from_file(pi, be, 64);
    ldm_t *l = ldm_build_from_file(pl, be, 64);
    shipped_ctx_t s = {tokenizer_build_from_file(pt, be, 64)};
    dataset_t *va = open_shard(access(pv, R_OK) ? shard_val : pv);
    /* the LDM's codes of each window */
    const int n_pos = 25, n = n_pos * SYM_COUNT, H = l->cfg.horizon;
    render_ctx_t *rc = render_ctx_new(9, l->cfg.px);
    const size_t wb = (size_t)(H + 1) * render_frame_bytes(l->cfg.px);
    uint8_t *win = malloc(SYM_COUNT * wb);
    int *codes = malloc((size_t)n * H * sizeof(int));
    const uint64_t nf = dataset_info(va)->n_frames;
    for (int k = 0; k < n_pos; k++) {
        uint64_t i = (uint64_t)k * (nf / n_pos);
        while (dataset_frames_after(va, i) < 1) i++;
        for (int sy = 0; sy < SYM_COUNT; sy++) ck_assert_int_eq(ldm_window(va, rc, H, i, sy, win + sy * wb, NULL), 0);
        ldm_set_windows(l, win, SYM_COUNT);
        ldm_forward(l);
        ldm_outputs(l, codes + (size_t)k * SYM_COUNT * H, NULL);
    }
    double agree, acc;
    symmetry_score(m, va, codes, n_pos, &agree, &acc, through_tokenizer, &s);
    fprintf(stderr, "test_symmetric_move_shipped: agree %.3f, top-1 %.3f on %d frames\n", agree, acc, n);
    ck_assert_msg(agree >= 0.9 && acc >= 0.9, "shipped IDM: symmetric agreement %.3f, top-1 %.3f", agree, acc);
    free(win);
    free(codes);
    render_ctx_free(rc);
    tokenizer_free(s.tok);
    ldm_free(l);
    idm_free(m);
    dataset_close(va);
}
END_TEST

/* ---- `videogo train idm` end to end ---- */

static char nets_ready;
static char tok_path[4300], ldm_path[4300], cmd_base[16384];

static void tiny_nets(void)
{
    build_shards();
    if (nets_ready) return;
    const backend_t *be = backend_cpu();
    tokenizer_config_t tc;
    ldm_config_t lc;
    ck_assert_int_eq(tokenizer_preset("tiny", &tc), 0);
    ck_assert_int_eq(ldm_preset("tiny", &lc), 0);
    char *argv[] = {"test_idm"};
    th_fmt(tok_path, sizeof tok_path, "%s/tok.gguf", dir);
    th_fmt(ldm_path, sizeof ldm_path, "%s/ldm.gguf", dir);
    tokenizer_t *t = tokenizer_new(&tc, be, 4, 1);
    tokenizer_save(t, tok_path, 1, argv);
    tokenizer_free(t);
    ldm_t *l = ldm_new(&lc, be, 4, 1);
    ldm_save(l, ldm_path, 1, argv);
    ldm_free(l);
    const char *bin = getenv("VIDEOGO_BIN");
    ck_assert_ptr_nonnull(bin);
    th_fmt(cmd_base, sizeof cmd_base,
        "OPENBLAS_NUM_THREADS=1 '%s' train idm --preset tiny --tokenizer %s --ldm %s --train %s --val %s "
        "--examples 384 --eval-positions 32 --batch 16 --steps 20 --warmup 2 --eval-every 10 --threads 1 --no-db",
        bin, tok_path, ldm_path, shard_train, shard_val);
    nets_ready = 1;
}

static void run(const char *extra, const char *log)
{
    char cmd[24000];
    th_fmt(cmd, sizeof cmd, "%s %s 2>%s/%s", cmd_base, extra, dir, log);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* 0 when the two files hold the same tensors, byte for byte (and the same checkpoint state). */
static int tensors_differ(const char *a, const char *b)
{
    weights_t wa, wb;
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(weights_open(&wa, a, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(weights_open(&wb, b, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(wa.n_tensors, wb.n_tensors);
    int diff = 0;
    for (uint64_t i = 0; i < wa.n_tensors; i++) {
        const weights_tensor_info_t *ta = &wa.tensors[i], *tb = weights_find_tensor(&wb, ta->name);
        ck_assert_ptr_nonnull(tb);
        ck_assert_uint_eq(ta->nbytes, tb->nbytes);
        diff |= memcmp(wa.data + wa.data_start + ta->offset, wb.data + wb.data_start + tb->offset, ta->nbytes) != 0;
    }
    uint64_t sa = 0, sb = 0;
    weights_get_u64(&wa, "checkpoint.step", &sa);
    weights_get_u64(&wb, "checkpoint.step", &sb);
    diff |= sa != sb;
    weights_close(&wa);
    weights_close(&wb);
    return diff;
}

START_TEST(test_train_label_fraction)
{
    tiny_nets();
    char extra[9000], log[4400];
    th_fmt(extra, sizeof extra, "--label-fraction 0.01 --out %s/f.gguf --ckpt %s/f.ckpt", dir, dir);
    run(extra, "f.log");
    th_fmt(log, sizeof log, "%s/f.log", dir);
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    unsigned long long read = 0, total = 0;
    int found = 0;
    while (fgets(line, sizeof line, f)) found |= sscanf(line, "label positions read: %llu of %llu", &read, &total) == 2;
    fclose(f);
    ck_assert_msg(found, "no 'label positions read' line in %s", log);
    fprintf(stderr, "test_train_label_fraction: labels of %llu of %llu positions read\n", read, total);
    ck_assert_uint_gt(read, 0);
    ck_assert_msg(read * 100 <= total * 3 / 2, "%llu of %llu positions' labels read at F = 0.01", read, total);
    /* the weights say so too */
    char path[4400];
    th_fmt(path, sizeof path, "%s/f.gguf", dir);
    idm_t *m = idm_build_from_file(path, backend_cpu(), 4);
    ck_assert_uint_eq(m->cfg.labelled_positions, read);
    ck_assert(m->cfg.label_fraction == 0.01);
    ck_assert_int_eq(m->cfg.hidden, 32);
    idm_free(m);
    /* --eval prints both accuracy lines for the file */
    char cmd[24000], out[4400];
    th_fmt(out, sizeof out, "%s/eval.txt", dir);
    th_fmt(cmd, sizeof cmd, "%s --eval %s > %s 2>/dev/null", cmd_base, path, out);
    ck_assert_int_eq(system(cmd), 0);
    f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    int lines = 0;
    double top1 = -1;
    while (fgets(line, sizeof line, f)) {
        const char *t = strstr(line, "top-1 ");
        if (t && sscanf(t, "top-1 %lf%%", &top1) == 1 && top1 >= 0 && top1 <= 100) lines++;
    }
    fclose(f);
    ck_assert_msg(lines == 2, "--eval printed %d accuracy lines", lines);
}
END_TEST

START_TEST(test_train_deterministic_resume)
{
    tiny_nets();
    char extra[9000], a[4400], b[4400];
    th_fmt(extra, sizeof extra, "--out %s/a.gguf --ckpt %s/a.ckpt", dir, dir);
    run(extra, "a.log");
    th_fmt(extra, sizeof extra, "--out %s/b.gguf --ckpt %s/b.ckpt", dir, dir);
    run(extra, "b.log");
    th_fmt(a, sizeof a, "%s/a.gguf", dir);
    th_fmt(b, sizeof b, "%s/b.gguf", dir);
    ck_assert_msg(!tensors_differ(a, b), "two identical runs gave different weights");
    /* stopped at step 10, resumed: the same final checkpoint */
    th_fmt(extra, sizeof extra, "--out %s/c.gguf --ckpt %s/c.ckpt --stop-at 10", dir, dir);
    run(extra, "c.log");
    th_fmt(extra, sizeof extra, "--out %s/c.gguf --ckpt %s/c.ckpt --resume", dir, dir);
    run(extra, "c2.log");
    th_fmt(a, sizeof a, "%s/a.ckpt", dir);
    th_fmt(b, sizeof b, "%s/c.ckpt", dir);
    ck_assert_msg(!tensors_differ(a, b), "stop + resume differs from an uninterrupted run");
    /* and another seed does differ (the comparison can fail) */
    th_fmt(extra, sizeof extra, "--out %s/d.gguf --ckpt %s/d.ckpt --seed 2", dir, dir);
    run(extra, "d.log");
    th_fmt(b, sizeof b, "%s/d.ckpt", dir);
    ck_assert_msg(tensors_differ(a, b), "another seed gave the same run");
}
END_TEST

static void teardown_dir(void)
{
    if (!shard_train[0]) return;
    char cmd[4400]; /* outside a test: no ck_assert here */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    Suite *s = suite_create("idm");
    TCase *tc = tcase_create("idm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_loss_falls);
    tcase_add_test(tc, test_gradients);
    tcase_add_test(tc, test_label_subset);
    tcase_add_test(tc, test_determinism_and_round_trip);
    tcase_add_test(tc, test_symmetric_move_trained);
    tcase_add_test(tc, test_symmetric_move_shipped);
    tcase_add_test(tc, test_train_label_fraction);
    tcase_add_test(tc, test_train_deterministic_resume);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* one shard for all tests */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    teardown_dir();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
