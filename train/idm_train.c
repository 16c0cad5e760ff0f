/* idm_train.c: `videogo train idm` (the IDM on a hash-chosen labelled fraction of the training
 * positions, checkpoints, exact resume, SQLite log, periodic evaluation) and `--eval WEIGHTS`.
 *
 * Examples: the labelled positions i of the training shard (idm_labelled: hash-chosen, with a
 * next frame) x the 8 symmetries, in an order drawn from --seed; the first --examples of that
 * order (all of them when fewer) are featurized once at the start of the run, because the
 * features cost far more than the MLP: per example the frozen tokenizer encodes and decodes
 * frame t+1 (x^_{t+1}, with its artefacts, as at play time), the frozen LDM encodes the window
 * t..t+H (its codes z_t), and both x_t and x^_{t+1} are pooled to disc colours (idm.h). The
 * cache holds the pooled colours as 16-bit fixed point (v * 256: the means of at most a few
 * hundred bytes, well inside 1/512 of a grey level), the H codes and the label. Steps then draw
 * batches from the cache. The labels are read through idm_label only, which counts them.
 *
 * Evaluation: a fixed sample of the validation shard (position k at frame k*stride moved to the
 * next frame that has a move, symmetry k%8), featurized the same way once per run: top-1 and
 * top-5 accuracy, and top-1 on played moves and on passes separately; then the same with
 * x^_{t+1} replaced by x_t ("codes alone"): a frame that shows no change leaves only the LDM
 * codes to tell the move, which is what the IDM has to go on when an imagined frame is poor.
 * --next-dropout P trains with that replacement on a fraction P of the examples.
 *
 * Exact resume: the checkpoint holds parameters, AdamW moments, step, the RNG that draws the
 * batches, and every option that shapes the run (cache size, seeds, fraction, schedule); the
 * cache is rebuilt from them, bit-identically with the same --threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"
#include "eval/db.h"
#include "kernels/backend.h"
#include "model/checkpoint.h"
#include "model/idm.h"
#include "model/ldm.h"
#include "model/tokenizer.h"
#include "train/train.h"
#include "render/dataset.h"
#include "render/render.h"
#include "render/sym.h"

/* ---- options: one table drives parsing, --help defaults and the checkpoint ---------------- */

typedef enum { OPT_FLAG, OPT_INT, OPT_U64, OPT_DOUBLE, OPT_STR } opt_kind_t;

typedef struct {
    const char *name;    /* "--steps" */
    opt_kind_t kind;
    void *dst;           /* int / uint64_t / double / const char * */
    double lo, hi;       /* range of numbers */
    int in_ckpt;         /* kept in checkpoints and restored on --resume unless given */
    int given;
} opt_t;

typedef struct {
    const char *preset, *tokenizer, *ldm, *train, *val, *out, *ckpt, *db, *eval;
    int hidden, resume, no_db, examples, eval_positions, steps, stop_at, batch, warmup, threads, eval_every, log_every;
    double fraction, next_dropout, lr, wd, minutes, ckpt_every;
    uint64_t label_seed, seed;
} idm_opts_t;

#define MAX_OPTS 40

/* Fills t (MAX_OPTS entries) with the options writing into *o, then a NULL name; returns the
 * count. */
static int opts_table(idm_opts_t *o, opt_t *t)
{
    const opt_t all[] = {
        {"--preset", OPT_STR, &o->preset, 0, 0, 1, 0},
        {"--hidden", OPT_INT, &o->hidden, 0, 65536, 1, 0},
        {"--label-fraction", OPT_DOUBLE, &o->fraction, 0, 1, 1, 0},
        {"--label-seed", OPT_U64, &o->label_seed, 0, 0, 1, 0},
        {"--examples", OPT_INT, &o->examples, 1, 2000000000, 1, 0},
        {"--seed", OPT_U64, &o->seed, 0, 0, 1, 0},
        {"--steps", OPT_INT, &o->steps, 1, 2000000000, 1, 0},
        {"--batch", OPT_INT, &o->batch, 1, 65536, 1, 0},
        {"--lr", OPT_DOUBLE, &o->lr, 0, 1, 1, 0},
        {"--warmup", OPT_INT, &o->warmup, 0, 100000000, 1, 0},
        {"--wd", OPT_DOUBLE, &o->wd, 0, 10, 1, 0},
        {"--next-dropout", OPT_DOUBLE, &o->next_dropout, 0, 1, 1, 0},
        {"--tokenizer", OPT_STR, &o->tokenizer, 0, 0, 0, 0},
        {"--ldm", OPT_STR, &o->ldm, 0, 0, 0, 0},
        {"--train", OPT_STR, &o->train, 0, 0, 0, 0},
        {"--val", OPT_STR, &o->val, 0, 0, 0, 0},
        {"--out", OPT_STR, &o->out, 0, 0, 0, 0},
        {"--ckpt", OPT_STR, &o->ckpt, 0, 0, 0, 0},
        {"--resume", OPT_FLAG, &o->resume, 0, 0, 0, 0},
        {"--minutes", OPT_DOUBLE, &o->minutes, 0, 1e9, 0, 0},
        {"--stop-at", OPT_INT, &o->stop_at, 1, 2000000000, 0, 0},
        {"--threads", OPT_INT, &o->threads, 1, 256, 0, 0},
        {"--eval-positions", OPT_INT, &o->eval_positions, 1, 10000000, 0, 0},
        {"--eval-every", OPT_INT, &o->eval_every, 1, 2000000000, 0, 0},
        {"--log-every", OPT_INT, &o->log_every, 1, 2000000000, 0, 0},
        {"--ckpt-every", OPT_DOUBLE, &o->ckpt_every, 0, 1e9, 0, 0},
        {"--db", OPT_STR, &o->db, 0, 0, 0, 0},
        {"--no-db", OPT_FLAG, &o->no_db, 0, 0, 0, 0},
        {"--eval", OPT_STR, &o->eval, 0, 0, 0, 0},
    };
    const int n = (int)(sizeof all / sizeof all[0]);
    if (n >= MAX_OPTS) die("option table too long");
    memcpy(t, all, sizeof all);
    t[n].name = NULL;
    return n;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: videogo train idm [--label-fraction F] [--ldm WEIGHTS] [--tokenizer WEIGHTS] [options]\n"
            "       videogo train idm --eval WEIGHTS [--val SHARD] [--eval-positions N]\n"
            "\n"
            "Trains the inverse dynamics model (model/idm.h): (x_t, x^_{t+1}, z_t) -> 82 move logits, on\n"
            "the labelled fraction F of the training positions (hash-chosen by --label-seed), 8 symmetries.\n"
            "x^_{t+1} = decode(encode(frame t+1)) through the frozen tokenizer, z_t = the frozen LDM's\n"
            "codes of the window at t. Features are computed once per run (cached), then the MLP trains.\n"
            "\n"
            "  --label-fraction F  fraction of training positions whose move labels are read (default 0.1)\n"
            "  --label-seed S      which positions (default 1)\n"
            "  --tokenizer FILE    default weights/tokenizer-9x9.gguf\n"
            "  --ldm FILE          default weights/ldm-9x9.gguf\n"
            "  --train SHARD       default shards/katago9-train.vgs; --val SHARD: shards/katago9-val.vgs\n"
            "  --examples N        cache at most N (position, symmetry) examples (default 65536)\n"
            "  --preset NAME       cpu (hidden 512, default) or tiny (tests); --hidden W overrides\n"
            "  --steps N           optimizer steps (default 3000; also the cosine horizon)\n"
            "  --minutes M         stop (checkpoint, weights) after M minutes of this process\n"
            "  --stop-at N         stop (checkpoint, weights) after step N\n"
            "  --batch B           examples per step (default 256)\n"
            "  --lr X              peak learning rate (default 1e-3), --warmup N (100), --wd X (0.01)\n"
            "  --next-dropout P    replace x^_{t+1} by x_t in a fraction P of the training examples, so\n"
            "                      that the net must also read the move from the LDM codes (default 0)\n"
            "  --seed S            initialization, example order and batches (default 1)\n"
            "  --threads N         CPU threads (default 1)\n"
            "  --out FILE          weights (default runs/idm-9x9.gguf), written at every evaluation\n"
            "  --ckpt FILE         checkpoint (default runs/idm-9x9.ckpt), every --ckpt-every S seconds\n"
            "                      (default 180) and at the end\n"
            "  --resume            continue the run in --ckpt exactly (its options are kept unless given)\n"
            "  --eval-every N      steps between evaluations (default 500); --eval-positions N (2048)\n"
            "  --log-every N       steps between progress lines (default 100)\n"
            "  --db FILE           SQLite database (default runs/videogo.db); --no-db to skip\n"
            "  --eval WEIGHTS      only evaluate WEIGHTS (with --tokenizer and --ldm) and exit: top-1,\n"
            "                      top-5, top-1 on moves and on passes; and the same with x^_{t+1}\n"
            "                      replaced by x_t (what the LDM codes alone carry)\n");
}

/* Parses argv into the table's destinations; returns 0, 1 for --help, or 2 on an error. */
static int opts_parse(opt_t *t, int n, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
        opt_t *op = NULL;
        for (int k = 0; k < n && !op; k++)
            if (!strcmp(a, t[k].name)) op = &t[k];
        if (!op || (op->kind != OPT_FLAG && i + 1 >= argc)) {
            fprintf(stderr, "videogo train idm: unknown option or missing value: %s\n", a);
            return 2;
        }
        op->given = 1;
        const char *v = op->kind == OPT_FLAG ? NULL : argv[++i];
        switch (op->kind) {
        case OPT_FLAG: *(int *)op->dst = 1; break;
        case OPT_INT: *(int *)op->dst = train_parse_int(v, a, (long)op->lo, (long)op->hi); break;
        case OPT_U64: *(uint64_t *)op->dst = strtoull(v, NULL, 0); break;
        case OPT_STR: *(const char **)op->dst = v; break;
        case OPT_DOUBLE: {
            double x = train_parse_double(v, a);
            if (x < op->lo || x > op->hi) die("%s: %g outside %g..%g", a, x, op->lo, op->hi);
            *(double *)op->dst = x;
            break;
        }
        }
    }
    return 0;
}

/* The run-shaping options into a checkpoint writer ("train.<name without -->"); ctx is the
 * table, terminated by a NULL name ... */
static void opts_save(weights_writer_t *w, const void *ctx)
{
    const opt_t *t = ctx;
    char key[64];
    for (int k = 0; t[k].name; k++) {
        if (!t[k].in_ckpt) continue;
        snprintf(key, sizeof key, "train.%s", t[k].name + 2);
        if (t[k].kind == OPT_INT) weights_writer_kv_u64(w, key, (uint64_t) * (int *)t[k].dst);
        else if (t[k].kind == OPT_U64) weights_writer_kv_u64(w, key, *(uint64_t *)t[k].dst);
        else if (t[k].kind == OPT_DOUBLE) weights_writer_kv_f64(w, key, *(double *)t[k].dst);
        else if (t[k].kind == OPT_STR) weights_writer_kv_str(w, key, *(const char **)t[k].dst);
    }
}

/* ... and back, for those not given on this command line. Strings point into *w: the caller
 * keeps it open while it uses them. */
static void opts_restore(const weights_t *w, opt_t *t, int n)
{
    char key[64];
    for (int k = 0; k < n; k++) {
        if (!t[k].in_ckpt || t[k].given) continue;
        snprintf(key, sizeof key, "train.%s", t[k].name + 2);
        uint64_t u;
        int bad = 0;
        if (t[k].kind == OPT_INT) bad = weights_get_u64(w, key, &u) || (*(int *)t[k].dst = (int)u, 0);
        else if (t[k].kind == OPT_U64) bad = weights_get_u64(w, key, (uint64_t *)t[k].dst);
        else if (t[k].kind == OPT_DOUBLE) bad = weights_get_f64(w, key, (double *)t[k].dst);
        else if (t[k].kind == OPT_STR) bad = weights_get_str(w, key, (const char **)t[k].dst);
        if (bad) die("%s: key %s missing\nhint: point --ckpt at a checkpoint of `videogo train idm`", w->path, key);
    }
}

/* ---- features -------------------------------------------------------------------------- */

#define FEAT_CHUNK 64 /* windows per tokenizer / LDM call */

/* Precomputed examples: pooled x_t and x^_{t+1} as v*256 (pool[k*2Q .. +2Q)), codes, class. */
typedef struct {
    int n, Q, H;
    uint16_t *pool;
    int *codes;
    int *cls;
} feat_cache_t;

typedef struct {
    tokenizer_t *tok;
    ldm_t *ldm;
    idm_t *idm;          /* for its pooling table */
    render_ctx_t *ctx;
    size_t fb;           /* bytes per frame */
    uint8_t *win;        /* [FEAT_CHUNK, (H+1) frames] */
    uint8_t *cur, *next; /* [FEAT_CHUNK] frames x_t and x_{t+1}, then x^_{t+1} */
    int *tcodes, *lcodes;
    float *pool;         /* [FEAT_CHUNK, Q] */
} featurizer_t;

static void featurizer_init(featurizer_t *f, tokenizer_t *tok, ldm_t *ldm, idm_t *idm)
{
    f->tok = tok, f->ldm = ldm, f->idm = idm;
    f->ctx = render_ctx_new(idm->cfg.board_size, idm->cfg.px);
    if (!f->ctx) die("render_ctx_new(%d, %d) failed", idm->cfg.board_size, idm->cfg.px);
    f->fb = (size_t)render_frame_bytes(idm->cfg.px);
    f->win = xmalloc(FEAT_CHUNK * (size_t)(idm->H + 1) * f->fb);
    f->cur = xmalloc(FEAT_CHUNK * f->fb);
    f->next = xmalloc(FEAT_CHUNK * f->fb);
    f->tcodes = xmalloc(FEAT_CHUNK * (size_t)tok->T * sizeof(int));
    f->lcodes = xmalloc(FEAT_CHUNK * (size_t)idm->H * sizeof(int));
    f->pool = xmalloc(FEAT_CHUNK * (size_t)idm->Q * sizeof(float));
}

static void featurizer_free(featurizer_t *f)
{
    render_ctx_free(f->ctx);
    void *host[] = {f->win, f->cur, f->next, f->tcodes, f->lcodes, f->pool};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
}

static void cache_alloc(feat_cache_t *c, int n, int Q, int H)
{
    c->n = n, c->Q = Q, c->H = H;
    c->pool = xmalloc((size_t)n * 2 * Q * sizeof(uint16_t) + 1);
    c->codes = xmalloc((size_t)n * H * sizeof(int) + 1);
    c->cls = xmalloc((size_t)n * sizeof(int) + 1);
}

static void cache_free(feat_cache_t *c)
{
    free(c->pool);
    free(c->codes);
    free(c->cls);
}

static void put_pool(uint16_t *dst, const float *src, int Q)
{
    for (int q = 0; q < Q; q++) dst[q] = (uint16_t)lrintf(src[q] * 256.0f);
}

/* Features of examples (pos[k], sym[k]), k < n, into cache slots at.. at+n-1 (classes are
 * filled by the caller). */
static void featurize(featurizer_t *f, const dataset_t *ds, const uint64_t *pos, const int *sym, int n,
                      feat_cache_t *c, int at)
{
    const int H = f->idm->H, Q = f->idm->Q;
    const size_t wb = (size_t)(H + 1) * f->fb;
    for (int k0 = 0; k0 < n; k0 += FEAT_CHUNK) {
        const int nb = n - k0 < FEAT_CHUNK ? n - k0 : FEAT_CHUNK;
        for (int j = 0; j < nb; j++) {
            uint8_t *w = f->win + (size_t)j * wb;
            if (ldm_window(ds, f->ctx, H, pos[k0 + j], sym[k0 + j], w, NULL))
                die("window at frame %llu unreadable", (unsigned long long)pos[k0 + j]);
            memcpy(f->cur + (size_t)j * f->fb, w, f->fb);
            memcpy(f->next + (size_t)j * f->fb, w + f->fb, f->fb);
        }
        tokenizer_encode(f->tok, f->next, nb, f->tcodes);
        tokenizer_decode(f->tok, f->tcodes, nb, f->next);
        ldm_set_windows(f->ldm, f->win, nb);
        ldm_forward(f->ldm);
        ldm_outputs(f->ldm, f->lcodes, NULL);
        memcpy(c->codes + (size_t)(at + k0) * H, f->lcodes, (size_t)nb * H * sizeof(int));
        idm_pool(f->idm, f->cur, nb, f->pool);
        for (int j = 0; j < nb; j++) put_pool(c->pool + (size_t)(at + k0 + j) * 2 * Q, f->pool + (size_t)j * Q, Q);
        idm_pool(f->idm, f->next, nb, f->pool);
        for (int j = 0; j < nb; j++)
            put_pool(c->pool + (size_t)(at + k0 + j) * 2 * Q + Q, f->pool + (size_t)j * Q, Q);
    }
}

/* Runs featurize over all n examples with a progress line every ~15 s. */
static void featurize_all(featurizer_t *f, const dataset_t *ds, const uint64_t *pos, const int *sym, int n,
                          feat_cache_t *c, const char *what)
{
    const double t0 = time_wall();
    double t_say = t0;
    const int step = 1024;
    for (int k = 0; k < n; k += step) {
        featurize(f, ds, pos + k, sym + k, n - k < step ? n - k : step, c, k);
        double now = time_wall();
        if (now - t_say >= 15 || k + step >= n) {
            int done = k + step < n ? k + step : n;
            fprintf(stderr, "%s features %d/%d  %.0f examples/s  %.0f s\n", what, done, n, done / (now - t0), now - t0);
            t_say = now;
        }
    }
}

/* The validation sample: position k at frame k*stride, moved forward to a frame with a move
 * (a game's last frame has none), symmetry k%8; classes read directly (evaluation). */
static void build_val(featurizer_t *f, const dataset_t *val, int n, feat_cache_t *c)
{
    const uint64_t nf = dataset_info(val)->n_frames;
    const int np = f->idm->V - 1;
    uint64_t *pos = xmalloc((size_t)n * sizeof(uint64_t));
    int *sym = xmalloc((size_t)n * sizeof(int));
    const double stride = (double)nf / n;
    cache_alloc(c, n, f->idm->Q, f->idm->H);
    for (int k = 0; k < n; k++) {
        uint64_t i = (uint64_t)(k * stride) % nf;
        while (dataset_frames_after(val, i) < 1) i = (i + 1) % nf;
        pos[k] = i;
        sym[k] = k % SYM_COUNT;
        int mv = dataset_label_move(val, i, sym[k]);
        c->cls[k] = mv == VERTEX_PASS ? np : mv;
        if (c->cls[k] < 0 || c->cls[k] > np) die("validation frame %llu: no move label", (unsigned long long)i);
    }
    featurize_all(f, val, pos, sym, n, c, "validation");
    free(pos);
    free(sym);
}

/* The training cache: the first min(examples, 8 x labelled) of a seeded order of the labelled
 * (position, symmetry) pairs; classes through idm_label (the counted label reads). */
static void build_train(featurizer_t *f, const dataset_t *ds, idm_labels_t *L, int examples, uint64_t seed,
                        feat_cache_t *c, uint64_t *n_labelled)
{
    const uint64_t nf = dataset_info(ds)->n_frames;
    uint64_t nl = 0;
    uint32_t *lab = xmalloc((size_t)nf * sizeof(uint32_t) + 1); /* labelled positions, ascending */
    for (uint64_t i = 0; i < nf; i++)
        if (idm_labelled(i, L->fraction, L->seed) && dataset_frames_after(ds, i) >= 1) lab[nl++] = (uint32_t)i;
    *n_labelled = nl;
    if (nl == 0) die("no labelled position: raise --label-fraction");
    const uint64_t total = nl * SYM_COUNT;
    const int n = (uint64_t)examples < total ? examples : (int)total;
    /* the first n of a uniform permutation of 0..total-1 (partial Fisher-Yates) */
    uint32_t *perm = xmalloc(total * sizeof(uint32_t));
    for (uint64_t k = 0; k < total; k++) perm[k] = (uint32_t)k;
    rng_t r;
    rng_seed(&r, seed ^ 0x69646d6f72646572ULL);
    for (int k = 0; k < n; k++) {
        uint64_t j = k + rng_next(&r) % (total - (uint64_t)k);
        uint32_t t = perm[k];
        perm[k] = perm[j];
        perm[j] = t;
    }
    uint64_t *pos = xmalloc((size_t)n * sizeof(uint64_t) + 1);
    int *sym = xmalloc((size_t)n * sizeof(int) + 1);
    cache_alloc(c, n, f->idm->Q, f->idm->H);
    for (int k = 0; k < n; k++) {
        pos[k] = lab[perm[k] / SYM_COUNT];
        sym[k] = (int)(perm[k] % SYM_COUNT);
        c->cls[k] = idm_label(L, pos[k], sym[k]);
        if (c->cls[k] < 0) die("training frame %llu: no move label", (unsigned long long)pos[k]);
    }
    fprintf(stderr,
            "labelled subset: %llu of %llu training positions (%.2f%%, fraction %g, seed %llu) x 8 symmetries; "
            "caching %d examples\n",
            (unsigned long long)nl, (unsigned long long)nf, 100.0 * nl / nf, L->fraction, (unsigned long long)L->seed,
            n);
    featurize_all(f, ds, pos, sym, n, c, "training");
    free(pos);
    free(sym);
    free(perm);
    free(lab);
}

/* Examples idx[0..B) of the cache into the net's inputs; their classes into cls[B]. Where
 * drop[b] (drop may be NULL), x^_{t+1} is replaced by x_t: no visible change, so only the codes
 * can tell the move (--next-dropout, and the codes-alone evaluation). */
static void load_batch(idm_t *m, const feat_cache_t *c, const int *idx, int B, float *pt, float *pn, int *codes,
                       int *cls, const uint8_t *drop)
{
    const int Q = c->Q, H = c->H;
    for (int b = 0; b < B; b++) {
        const uint16_t *src = c->pool + (size_t)idx[b] * 2 * Q;
        for (int q = 0; q < Q; q++) {
            pt[(size_t)b * Q + q] = src[q] * (1.0f / 256.0f);
            pn[(size_t)b * Q + q] = src[drop && drop[b] ? q : Q + q] * (1.0f / 256.0f);
        }
        memcpy(codes + (size_t)b * H, c->codes + (size_t)idx[b] * H, (size_t)H * sizeof(int));
        cls[b] = c->cls[idx[b]];
    }
    idm_set_inputs(m, pt, pn, codes, B);
}

/* ---- evaluation ------------------------------------------------------------------------ */

typedef struct {
    int n, top1, top5, moves, moves_hit, passes, passes_hit;
    double loss;
} idm_eval_t;

static void evaluate(idm_t *m, const feat_cache_t *c, int no_next, idm_eval_t *e)
{
    memset(e, 0, sizeof *e);
    const int B = m->max_batch, V = m->V;
    float *pt = xmalloc((size_t)B * c->Q * sizeof(float)), *pn = xmalloc((size_t)B * c->Q * sizeof(float));
    float *lg = xmalloc((size_t)B * V * sizeof(float));
    int *codes = xmalloc((size_t)B * c->H * sizeof(int)), *cls = xmalloc((size_t)B * sizeof(int));
    int *idx = xmalloc((size_t)B * sizeof(int));
    uint8_t *drop = xmalloc((size_t)B);
    memset(drop, no_next ? 1 : 0, (size_t)B);
    for (int k0 = 0; k0 < c->n; k0 += B) {
        const int nb = c->n - k0 < B ? c->n - k0 : B;
        for (int j = 0; j < nb; j++) idx[j] = k0 + j;
        load_batch(m, c, idx, nb, pt, pn, codes, cls, drop);
        e->loss += (double)idm_forward(m, cls) * nb;
        idm_read_logits(m, lg);
        for (int j = 0; j < nb; j++) {
            const float *row = lg + (size_t)j * V;
            int above = 0; /* classes ranked above the true one (ties count against it) */
            for (int v = 0; v < V; v++) above += v != cls[j] && row[v] >= row[cls[j]];
            const int pass = cls[j] == V - 1;
            e->top1 += above == 0;
            e->top5 += above < 5;
            e->passes += pass;
            e->passes_hit += pass && above == 0;
            e->moves += !pass;
            e->moves_hit += !pass && above == 0;
        }
    }
    e->n = c->n;
    e->loss /= c->n ? c->n : 1;
    free(pt);
    free(pn);
    free(lg);
    free(codes);
    free(cls);
    free(idx);
    free(drop);
}

static double pct(int a, int b)
{
    return b ? 100.0 * a / b : 0.0;
}

static void eval_print(FILE *f, const idm_eval_t *e)
{
    fprintf(f, "top-1 %.2f%%  top-5 %.2f%%  (%d positions; moves %.2f%% of %d, passes %.2f%% of %d)  loss %.4f\n",
            pct(e->top1, e->n), pct(e->top5, e->n), e->n, pct(e->moves_hit, e->moves), e->moves,
            pct(e->passes_hit, e->passes), e->passes, e->loss);
}

/* ---- the command ----------------------------------------------------------------------- */

static void check_frames(const tokenizer_t *tok, const ldm_t *ldm, const dataset_t *ds, const char *path)
{
    if (tok->cfg.px != ldm->cfg.px || tok->cfg.board_size != ldm->cfg.board_size)
        die("the tokenizer (%d px, %dx%d) and the LDM (%d px, %dx%d) read different frames", tok->cfg.px,
            tok->cfg.board_size, tok->cfg.board_size, ldm->cfg.px, ldm->cfg.board_size, ldm->cfg.board_size);
    if (dataset_info(ds)->board_size != (uint32_t)ldm->cfg.board_size)
        die("%s: board size %u, the LDM is for %d", path, dataset_info(ds)->board_size, ldm->cfg.board_size);
}

int cmd_train_idm(int argc, char **argv)
{
    idm_opts_t o = {.preset = "cpu", .tokenizer = "weights/tokenizer-9x9.gguf", .ldm = "weights/ldm-9x9.gguf",
                    .train = "shards/katago9-train.vgs", .val = "shards/katago9-val.vgs", .out = "runs/idm-9x9.gguf",
                    .ckpt = "runs/idm-9x9.ckpt", .db = "runs/videogo.db", .examples = 65536,
                    .eval_positions = 2048, .steps = 3000, .batch = 256, .warmup = 100, .threads = 1,
                    .eval_every = 500, .log_every = 100, .fraction = 0.1, .lr = 1e-3, .wd = 0.01,
                    .ckpt_every = 180, .label_seed = 1, .seed = 1};
    opt_t t[MAX_OPTS];
    const int nt = opts_table(&o, t);
    int rc = opts_parse(t, nt, argc, argv);
    if (rc) {
        usage(rc == 1 ? stdout : stderr);
        return rc == 1 ? 0 : 2;
    }
    const backend_t *be = backend_cpu();
    be->set_threads(o.threads);
    char **cmd = xmalloc(((size_t)argc + 2) * sizeof(char *));
    cmd[0] = "videogo";
    cmd[1] = "train";
    for (int i = 0; i < argc; i++) cmd[i + 2] = argv[i];
    const int cmd_argc = argc + 2;

    /* on --resume the checkpoint's options apply before anything is built */
    weights_t ckw;
    checkpoint_state_t st = {0};
    char err[WEIGHTS_ERR_LEN];
    if (o.resume) {
        if (checkpoint_open(&ckw, o.ckpt, "idm", &st, err, sizeof err))
            die("%s\nhint: start a new run without --resume, or point --ckpt at an idm checkpoint", err);
        opts_restore(&ckw, t, nt);
    }

    dataset_t *val = dataset_open(o.val, err, sizeof err);
    if (!val) die("%s\nhint: build the shards with `videogo data build`", err);
    const int chunk = o.eval ? 256 : o.batch;
    tokenizer_t *tok = tokenizer_build_from_file(o.tokenizer, be, FEAT_CHUNK);
    ldm_t *ldm = ldm_build_from_file(o.ldm, be, FEAT_CHUNK);
    check_frames(tok, ldm, val, o.val);
    char tok_sha[65], ldm_sha[65];
    train_weights_sha256(o.tokenizer, tok_sha);
    train_weights_sha256(o.ldm, ldm_sha);

    idm_t *m;
    if (o.eval) {
        m = idm_build_from_file(o.eval, be, chunk);
        if (strcmp(m->cfg.ldm_sha256, ldm_sha) || strcmp(m->cfg.tokenizer_sha256, tok_sha))
            fprintf(stderr, "warning: %s was trained with another %s (sha256 %.12s..., %s has %.12s...)\n", o.eval,
                    strcmp(m->cfg.ldm_sha256, ldm_sha) ? "LDM" : "tokenizer",
                    strcmp(m->cfg.ldm_sha256, ldm_sha) ? m->cfg.ldm_sha256 : m->cfg.tokenizer_sha256,
                    strcmp(m->cfg.ldm_sha256, ldm_sha) ? o.ldm : o.tokenizer,
                    strcmp(m->cfg.ldm_sha256, ldm_sha) ? ldm_sha : tok_sha);
    } else {
        idm_config_t cfg;
        if (o.resume) idm_config_read(&ckw, &cfg);
        else if (idm_preset(o.preset, &cfg)) die("unknown preset '%s' (cpu, tiny)", o.preset);
        if (o.hidden) cfg.hidden = o.hidden;
        cfg.board_size = ldm->cfg.board_size;
        cfg.px = ldm->cfg.px;
        cfg.channels = ldm->cfg.channels;
        cfg.horizon = ldm->cfg.horizon;
        cfg.n_levels = ldm->cfg.n_levels;
        memcpy(cfg.levels, ldm->cfg.levels, sizeof(int) * (size_t)cfg.n_levels);
        cfg.label_fraction = o.fraction;
        cfg.label_seed = o.label_seed;
        snprintf(cfg.ldm_sha256, sizeof cfg.ldm_sha256, "%s", ldm_sha);
        snprintf(cfg.tokenizer_sha256, sizeof cfg.tokenizer_sha256, "%s", tok_sha);
        m = idm_new(&cfg, be, o.batch, o.seed);
        idm_zero_grad(m);
        if (o.resume) {
            if (strcmp(weights_need_str(&ckw, "idm.ldm_sha256"), ldm_sha))
                die("%s was trained with another LDM than %s\nhint: --ldm FILE of the first run", o.ckpt, o.ldm);
            params_checkpoint_load(&ckw, o.ckpt, be, m->params, IDM_N_PARAMS, m->n_params, m->param, m->m, m->v);
        } else {
            st.shuffle_seed = o.seed;
            rng_seed(&st.rng, o.seed ^ 0x69646d6261746368ULL);
        }
    }
    if (o.resume) weights_close(&ckw);
    if (m->cfg.horizon != ldm->cfg.horizon || m->cfg.px != ldm->cfg.px)
        die("%s reads H %d at %d px; the LDM %s has H %d at %d px", o.eval ? o.eval : "the IDM", m->cfg.horizon,
            m->cfg.px, o.ldm, ldm->cfg.horizon, ldm->cfg.px);

    featurizer_t fz;
    featurizer_init(&fz, tok, ldm, m);
    feat_cache_t vc;
    build_val(&fz, val, o.eval_positions, &vc);
    idm_eval_t e;
    if (o.eval) {
        evaluate(m, &vc, 0, &e);
        printf("%s (label fraction %g, %llu labelled positions read): ", o.eval, m->cfg.label_fraction,
               (unsigned long long)m->cfg.labelled_positions);
        eval_print(stdout, &e);
        evaluate(m, &vc, 1, &e);
        printf("  with x^_{t+1} := x_t (codes alone): ");
        eval_print(stdout, &e);
        cache_free(&vc);
        featurizer_free(&fz);
        idm_free(m);
        ldm_free(ldm);
        tokenizer_free(tok);
        dataset_close(val);
        free(cmd);
        return 0;
    }

    if (dataset_path_forbidden(o.train)) die("%s is a gobench9 (held-out) path: never train on it", o.train);
    dataset_t *ds = dataset_open(o.train, err, sizeof err);
    if (!ds) die("%s\nhint: build the shards with `videogo data build`", err);
    check_frames(tok, ldm, ds, o.train);
    idm_labels_t L;
    idm_labels_init(&L, ds, o.fraction, o.label_seed);
    feat_cache_t tc;
    uint64_t n_labelled = 0;
    build_train(&fz, ds, &L, o.examples, st.shuffle_seed, &tc, &n_labelled);
    m->cfg.labelled_positions = L.positions;
    const uint64_t nf = dataset_info(ds)->n_frames;
    fprintf(stderr, "label positions read: %llu of %llu (%.3f%%), %llu reads\n", (unsigned long long)L.positions,
            (unsigned long long)nf, 100.0 * L.positions / nf, (unsigned long long)L.reads);
    train_mkdir_parent(o.out);
    train_mkdir_parent(o.ckpt);

    char config_json[1024];
    int nj = snprintf(config_json, sizeof config_json,
                      "{\"preset\":\"%s\",\"hidden\":%d,\"inputs\":%d,\"label_fraction\":%g,\"label_seed\":%llu,"
                      "\"labelled_positions\":%llu,\"examples\":%d,\"batch\":%d,\"steps\":%d,\"lr\":%g,\"wd\":%g,"
                      "\"next_dropout\":%g,\"seed\":%llu,\"threads\":%d,\"ldm_sha256\":\"%s\",\"resume\":%s,"
                      "\"params\":%zu}",
                      m->cfg.preset, m->W, m->IN, o.fraction, (unsigned long long)o.label_seed,
                      (unsigned long long)n_labelled, tc.n, o.batch, o.steps, o.lr, o.wd, o.next_dropout,
                      (unsigned long long)st.shuffle_seed, o.threads, ldm_sha, o.resume ? "true" : "false",
                      m->n_params);
    if (nj < 0 || (size_t)nj >= sizeof config_json) die("config JSON too long");
    db_t *db = NULL;
    int64_t run_id = -1;
    if (!o.no_db) {
        train_mkdir_parent(o.db);
        db = db_open(o.db, err, (int)sizeof err);
        if (!db) die("%s\nhint: --db FILE, or --no-db", err);
        run_id = db_train_run_begin(db, "idm", config_json, o.resume ? "resumed" : NULL);
        if (run_id < 0) die("%s: %s", o.db, db_error(db));
    }
    fprintf(stderr, "idm %s: %d inputs, hidden %d, %d classes, %zu params; batch %d, %d steps, %d cached examples\n",
            m->cfg.preset, m->IN, m->W, m->V, m->n_params, o.batch, o.steps, tc.n);

    const int B = o.batch;
    float *pt = xmalloc((size_t)B * tc.Q * sizeof(float)), *pn = xmalloc((size_t)B * tc.Q * sizeof(float));
    int *codes = xmalloc((size_t)B * tc.H * sizeof(int)), *cls = xmalloc((size_t)B * sizeof(int));
    int *idx = xmalloc((size_t)B * sizeof(int));
    uint8_t *drop = xmalloc((size_t)B);
    const double t_start = time_wall();
    double t_ckpt = t_start, loss_sum = 0;
    int loss_n = 0, stop = 0;
    while ((long)st.step < o.steps && !stop) {
        for (int b = 0; b < B; b++) {
            idx[b] = (int)rng_below(&st.rng, (uint32_t)tc.n);
            drop[b] = o.next_dropout > 0 && rng_uniform(&st.rng) < o.next_dropout;
        }
        load_batch(m, &tc, idx, B, pt, pn, codes, cls, drop);
        float loss = idm_forward(m, cls);
        if (!isfinite(loss)) die("loss is %g at step %llu: lower --lr", (double)loss, (unsigned long long)st.step);
        idm_zero_grad(m);
        idm_backward(m);
        float lr = lr_schedule((long)st.step, o.warmup, o.steps, (float)o.lr, (float)o.lr * 0.05f);
        idm_adamw_step(m, lr, 0.9f, 0.99f, 1e-8f, (float)o.wd, 1.0f, (int)st.step + 1);
        st.step++;
        loss_sum += loss;
        loss_n++;
        double now = time_wall();
        stop = (o.minutes > 0 && now - t_start >= o.minutes * 60) || (o.stop_at > 0 && (long)st.step >= o.stop_at);
        const int last = (long)st.step == o.steps || stop;
        if (st.step % (uint64_t)o.log_every == 0 || last) {
            fprintf(stderr, "step %llu/%d  loss %.4f  lr %.2e  %.0f s\n", (unsigned long long)st.step, o.steps,
                    loss_sum / loss_n, (double)lr, now - t_start);
            if (db && db_train_log(db, run_id, "train", (int64_t)st.step, loss_sum / loss_n, lr, 0))
                fprintf(stderr, "warning: %s: %s\n", o.db, db_error(db));
            loss_sum = 0;
            loss_n = 0;
        }
        if (st.step % (uint64_t)o.eval_every == 0 || last) {
            evaluate(m, &vc, 1, &e);
            fprintf(stderr, "eval step %llu, x^_{t+1} := x_t (codes alone): ", (unsigned long long)st.step);
            eval_print(stderr, &e);
            evaluate(m, &vc, 0, &e);
            fprintf(stderr, "eval step %llu: ", (unsigned long long)st.step);
            eval_print(stderr, &e);
            if (db) {
                db_train_log(db, run_id, "val", (int64_t)st.step, e.loss, lr, 0);
                db_train_log(db, run_id, "val_top1", (int64_t)st.step, (double)e.top1 / e.n, lr, 0);
                db_train_log(db, run_id, "val_top5", (int64_t)st.step, (double)e.top5 / e.n, lr, 0);
            }
            idm_save(m, o.out, cmd_argc, cmd);
        }
        if (time_wall() - t_ckpt >= o.ckpt_every || last) {
            idm_write(m, o.ckpt, &st, cmd_argc, cmd, opts_save, t);
            fprintf(stderr, "checkpoint %s (step %llu)\n", o.ckpt, (unsigned long long)st.step);
            t_ckpt = time_wall();
        }
    }
    if (db) {
        char hex[65];
        train_weights_sha256(o.out, hex);
        db_train_run_end(db, run_id, (long)st.step >= o.steps ? "done" : "stopped", o.out, hex[0] ? hex : NULL);
        db_close(db);
    }
    fprintf(stderr, "weights %s, checkpoint %s, %.0f s training in this process\n", o.out, o.ckpt,
            time_wall() - t_start);
    free(pt);
    free(pn);
    free(codes);
    free(cls);
    free(idx);
    free(drop);
    cache_free(&tc);
    cache_free(&vc);
    idm_labels_free(&L);
    featurizer_free(&fz);
    idm_free(m);
    ldm_free(ldm);
    tokenizer_free(tok);
    dataset_close(ds);
    dataset_close(val);
    free(cmd);
    return 0;
}
