/* ar_train.c: `videogo train ar`: encodes the shards once with the frozen tokenizer and LDM
 * (cached in shards/, rebuilt when either file changes), then trains the transformer
 * (model/transformer.h) with AdamW, warmup + cosine, clipping, checkpoints and exact resume,
 * SQLite log, and the validation loss on held-out games. `--video-only` trains the baseline
 * without LDM codes (same data, same command).
 *
 * Caches: one file per (net, split): shards/ar-img-<sha12>-<split>.bin (the tokenizer's 16
 * codes of every frame) and shards/ar-ldm<H>-<sha12>-<split>.bin (the LDM's H codes of every
 * frame's window). Header: magic "VGOARC02", u32 width (codes per frame), u32 percent of the
 * games encoded (--games-percent; game g is in iff splitmix64(g ^ AR_PCT_SALT) % 100 < P, so
 * the subsets are nested), u64 n_frames, u64 n_games of the shard, char sha256[64] of the net's
 * weights file; then u16 codes[n_frames][width] (0 for games not encoded). A header that
 * disagrees with the net or the shard, or covers fewer games, is rebuilt. The tokenizer
 * encodes ~2,500-3,000 frames/s (all 418k training frames in ~2.6 minutes), the LDM ~700
 * windows/s (one core, the cpu presets), hence --games-percent.
 * Symmetry: every frame of game g is seen under symmetry splitmix64(g ^ AR_SYM_SALT) % 8, one
 * per game (so x_t and x_{t+1} share it): the 8 symmetries spread over games, not over
 * epochs (encoding all 8 would cost 8x the ~5 minutes of one pass). With --symmetries 1 (video
 * only) each example is also drawn under a random symmetry by permuting its token grid,
 * which equals encoding the transformed frame for a tokenizer with one exact code per
 * intersection (checked on validation frames at start).
 * Examples: every frame with a next frame in its game (a game's last frame has no x_{t+1}).
 * The side to move comes from the shard's frame record (no move label is read). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/board.h"
#include "engine/util.h"
#include "eval/curve.h"
#include "eval/db.h"
#include "kernels/backend.h"
#include "model/checkpoint.h"
#include "model/ldm.h"
#include "model/tokenizer.h"
#include "train/train.h"
#include "model/transformer.h"
#include "render/dataset.h"
#include "render/render.h"
#include "render/sym.h"

#define AR_CACHE_MAGIC "VGOARC02"
#define AR_SYM_SALT 0x61722d73796dULL
#define AR_PCT_SALT 0x61722d706374ULL

static int game_sym(uint64_t g)
{
    return (int)(splitmix64(g ^ AR_SYM_SALT) % 8);
}

/* Game g is among the first pct percent (nested: a cache of p >= pct serves pct). */
static int game_in(uint64_t g, int pct)
{
    return (int)(splitmix64(g ^ AR_PCT_SALT) % 100) < pct;
}

typedef struct {
    uint64_t n_frames;
    int width;
    int pct;             /* games encoded (game_in); the others' codes are 0 */
    uint16_t *codes;     /* [n_frames][width] */
} ar_cache_t;

static int cache_read(const char *path, const char *sha, int width, int pct, const dataset_info_t *di, ar_cache_t *c)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char magic[8], s[64];
    uint32_t w, rule;
    uint64_t nf, ng;
    int ok = fread(magic, 8, 1, f) == 1 && fread(&w, 4, 1, f) == 1 && fread(&rule, 4, 1, f) == 1 &&
             fread(&nf, 8, 1, f) == 1 && fread(&ng, 8, 1, f) == 1 && fread(s, 64, 1, f) == 1;
    ok = ok && !memcmp(magic, AR_CACHE_MAGIC, 8) && (int)w == width && (int)rule >= pct && rule <= 100 &&
         nf == di->n_frames &&
         ng == di->n_games && !memcmp(s, sha, 64);
    if (ok) {
        c->n_frames = nf;
        c->width = width;
        c->pct = (int)rule;
        c->codes = xmalloc((size_t)nf * width * sizeof(uint16_t));
        ok = fread(c->codes, sizeof(uint16_t) * width, nf, f) == nf;
        if (!ok) free(c->codes), c->codes = NULL;
    }
    fclose(f);
    if (!ok) fprintf(stderr, "cache %s is stale or unreadable: rebuilding it\n", path);
    return ok ? 0 : -1;
}

static void cache_write(const char *path, const char *sha, const dataset_info_t *di, const ar_cache_t *c)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()); /* two runs may build it at once */
    train_mkdir_parent(path);
    FILE *f = fopen(tmp, "wb");
    if (!f) die("cannot write %s: %s", tmp, strerror(errno));
    uint32_t w = (uint32_t)c->width, rule = (uint32_t)c->pct;
    uint64_t nf = c->n_frames, ng = di->n_games;
    int ok = fwrite(AR_CACHE_MAGIC, 8, 1, f) == 1 && fwrite(&w, 4, 1, f) == 1 && fwrite(&rule, 4, 1, f) == 1 &&
             fwrite(&nf, 8, 1, f) == 1 && fwrite(&ng, 8, 1, f) == 1 && fwrite(sha, 64, 1, f) == 1 &&
             fwrite(c->codes, sizeof(uint16_t) * c->width, nf, f) == nf;
    if (fclose(f) || !ok) die("cannot write %s", tmp);
    if (rename(tmp, path)) die("cannot rename %s to %s: %s", tmp, path, strerror(errno));
}

/* Codes of every frame of the games game_in(g, pct) of ds: tokenizer (tok != NULL, width T) or
 * LDM windows (width H). */
static void cache_build(const dataset_t *ds, tokenizer_t *tok, ldm_t *ldm, int pct, const char *what, ar_cache_t *c)
{
    const dataset_info_t *di = dataset_info(ds);
    const int px = tok ? tok->cfg.px : ldm->cfg.px, H = ldm ? ldm->cfg.horizon : 0;
    const int width = tok ? tok->T : H, B = tok ? tok->max_batch : ldm->max_batch;
    const size_t fb = (size_t)render_frame_bytes(px), eb = tok ? fb : (size_t)(H + 1) * fb;
    render_ctx_t *ctx = render_ctx_new((int)di->board_size, px);
    if (!ctx) die("render_ctx_new(%u, %d) failed", di->board_size, px);
    uint8_t *rgb = xmalloc((size_t)B * eb);
    int *codes = xmalloc((size_t)B * (width > 0 ? width : 1) * sizeof(int));
    c->n_frames = di->n_frames;
    c->width = width;
    c->pct = pct;
    c->codes = xcalloc((size_t)c->n_frames * width, sizeof(uint16_t));
    double t0 = time_wall(), tl = t0;
    int64_t g = -1;
    uint64_t g_end = 0;
    int sym = 0, in = 1;
    uint64_t *fr = xmalloc((size_t)B * sizeof(uint64_t)), done = 0;
    for (uint64_t i = 0; i < c->n_frames;) {
        int nb = 0;
        for (; nb < B && i < c->n_frames; i++) {
            if (g < 0 || i >= g_end) {
                g = dataset_game_of(ds, i);
                dataset_game_t gm;
                if (g < 0 || dataset_game(ds, (uint64_t)g, &gm)) die("%s: frame %llu has no game", what,
                                                                     (unsigned long long)i);
                g_end = gm.first_frame + gm.n_frames;
                sym = game_sym((uint64_t)g);
                in = game_in((uint64_t)g, pct);
            }
            if (!in) continue;
            int rc = tok ? dataset_render_frame(ds, ctx, i, sym, rgb + (size_t)nb * eb, NULL)
                         : ldm_window(ds, ctx, H, i, sym, rgb + (size_t)nb * eb, NULL);
            if (rc) die("%s: frame %llu unreadable", what, (unsigned long long)i);
            fr[nb++] = i;
        }
        if (!nb) continue;
        if (tok) {
            tokenizer_encode(tok, rgb, nb, codes);
        } else {
            ldm_set_windows(ldm, rgb, nb);
            ldm_forward(ldm);
            ldm_outputs(ldm, codes, NULL);
        }
        for (int j = 0; j < nb; j++)
            for (int k = 0; k < width; k++) c->codes[fr[j] * width + k] = (uint16_t)codes[j * width + k];
        done += (uint64_t)nb;
        double now = time_wall();
        if (now - tl > 10 || i == c->n_frames) {
            fprintf(stderr, "  %s: frame %llu/%llu, %llu encoded (%d%% of the games), %.0f frames/s\n", what,
                    (unsigned long long)i, (unsigned long long)c->n_frames, (unsigned long long)done, pct,
                    done / (now - t0));
            tl = now;
        }
    }
    free(fr);
    free(codes);
    free(rgb);
    render_ctx_free(ctx);
}

/* Share of the 7 non-trivial symmetries on which the token grid does not commute with the
 * tokenizer: frames of c (val) re-rendered under sym_compose(game_sym, s) and encoded, against
 * c's codes permuted by s; over n frames spread through the shard (s = 1 + j % 7). */
static double check_token_symmetry(const dataset_t *ds, tokenizer_t *tok, const ar_cache_t *c, int size, int n)
{
    const int T = tok->T, px = tok->cfg.px;
    if (n > tok->max_batch) n = tok->max_batch;
    render_ctx_t *ctx = render_ctx_new(size, px);
    if (!ctx) die("render_ctx_new(%d, %d) failed", size, px);
    const size_t fb = (size_t)render_frame_bytes(px);
    uint8_t *rgb = xmalloc((size_t)n * fb);
    int *codes = xmalloc((size_t)n * T * sizeof(int));
    uint64_t *fr = xmalloc((size_t)n * sizeof(uint64_t));
    for (int j = 0; j < n; j++) {
        fr[j] = (uint64_t)j * c->n_frames / (uint64_t)n;
        int64_t g = dataset_game_of(ds, fr[j]);
        if (g < 0) die("frame %llu has no game", (unsigned long long)fr[j]);
        if (dataset_render_frame(ds, ctx, fr[j], sym_compose(game_sym((uint64_t)g), 1 + j % 7), rgb + j * fb, NULL))
            die("frame %llu unreadable", (unsigned long long)fr[j]);
    }
    tokenizer_encode(tok, rgb, n, codes);
    long bad = 0;
    for (int j = 0; j < n; j++)
        for (int k = 0; k < T; k++)
            bad += codes[j * T + sym_point(k, size, 1 + j % 7)] != c->codes[fr[j] * T + k];
    free(fr), free(codes), free(rgb);
    render_ctx_free(ctx);
    return (double)bad / ((double)n * T);
}

static void cache_get(const char *dir, const dataset_t *ds, const char *split, tokenizer_t *tok, ldm_t *ldm,
                      int pct, const char *sha, ar_cache_t *c)
{
    char path[4096], what[64];
    int H = ldm ? ldm->cfg.horizon : 0;
    if (tok) snprintf(path, sizeof path, "%s/ar-img-%.12s-%s.bin", dir, sha, split);
    else snprintf(path, sizeof path, "%s/ar-ldm%d-%.12s-%s.bin", dir, H, sha, split);
    snprintf(what, sizeof what, "%s %s", tok ? "tokenizer" : "LDM", split);
    if (!cache_read(path, sha, tok ? tok->T : H, pct, dataset_info(ds), c)) return;
    fprintf(stderr, "encoding %s frames into %s ...\n", split, path);
    cache_build(ds, tok, ldm, pct, what, c);
    cache_write(path, sha, dataset_info(ds), c);
}

/* ---- examples -------------------------------------------------------------------------- */

typedef struct {
    const dataset_t *ds;
    ar_cache_t img, ldm;
    uint64_t *idx;       /* frames that have a next frame */
    uint64_t n;
    int sym_size;        /* > 0: each example under a random symmetry of its size x size token grid */
} ar_data_t;

static void data_index(ar_data_t *d, int pct)
{
    const dataset_info_t *di = dataset_info(d->ds);
    d->idx = xmalloc((size_t)di->n_frames * sizeof(uint64_t));
    d->n = 0;
    for (uint64_t g = 0; g < di->n_games; g++) {
        dataset_game_t gm;
        if (dataset_game(d->ds, g, &gm)) die("game %llu unreadable", (unsigned long long)g);
        if (!game_in(g, pct)) continue;
        for (uint32_t k = 0; k + 1 < gm.n_frames; k++) d->idx[d->n++] = gm.first_frame + k;
    }
    if (!d->n) die("no frame with a successor in the shard (--games-percent too low?)");
}

/* Sequence of example frame i into tokens[L]; with d->sym_size, under a symmetry drawn from rng
 * (the token grid permuted, which for a tokenizer with one exact code per intersection is
 * the code of the transformed frame: check_token_symmetry). */
static void example(const ar_t *m, const ar_data_t *d, uint64_t i, rng_t *rng, int *tokens)
{
    const int T = m->cfg.img_tokens, H = m->cfg.horizon;
    int img[1024], nxt[1024], z[64];
    uint8_t stones[BOARD_POINTS];
    stone_t tm = STONE_BLACK;
    if (dataset_frame(d->ds, i, 0, stones, &tm)) die("frame %llu unreadable", (unsigned long long)i);
    const int s = d->sym_size ? (int)(rng_next(rng) % SYM_COUNT) : 0;
    for (int k = 0; k < T; k++) {
        const int q = s ? sym_point(k, d->sym_size, s) : k;
        img[q] = d->img.codes[i * T + k], nxt[q] = d->img.codes[(i + 1) * T + k];
    }
    for (int h = 0; h < H; h++) z[h] = d->ldm.codes[i * H + h];
    ar_seq_build(m, img, tm == STONE_WHITE, z, nxt, tokens);
}

typedef struct {
    double loss, img, ldm;
    double z_top1;       /* share of z^1 whose most likely code (per digit) is the LDM's */
    int n;
} ar_eval_t;

/* Mean losses over n validation examples (fixed: example k = idx[k * n_examples / n]). */
static void ar_evaluate(ar_t *m, const ar_data_t *val, int n, int *tokens, ar_eval_t *e)
{
    memset(e, 0, sizeof *e);
    const int B = m->max_batch, L = m->L;
    if ((uint64_t)n > val->n) n = (int)val->n;
    double s = 0, si = 0, sl = 0;
    long nt = 0, ni = 0, nl = 0, zhit = 0;
    const int zpos = ar_loss_start(&m->cfg) + 1, lo = AR_N_SPECIAL + (int)m->img_codebook; /* predicts z^1 */
    for (int k0 = 0; k0 < n; k0 += B) {
        int nb = n - k0 < B ? n - k0 : B;
        for (int j = 0; j < nb; j++)
            example(m, val, val->idx[(uint64_t)(k0 + j) * val->n / (uint64_t)n], NULL, tokens + (size_t)j * L);
        float loss = ar_forward(m, tokens, nb);
        long t = m->n_spec + m->n_img + m->n_ldm;
        s += (double)loss * t, nt += t;
        si += m->loss_img * m->n_img, ni += m->n_img;
        sl += m->loss_ldm * m->n_ldm, nl += m->n_ldm;
        if (m->cfg.horizon > 0) {
            const float *lg = ar_logits(m);
            for (int j = 0; j < nb; j++)
                zhit += ar_argmax_code(m, lg + ((size_t)j * L + zpos) * m->NO, 1) ==
                        tokens[(size_t)j * L + zpos + 1] - lo;
        }
    }
    e->z_top1 = n ? (double)zhit / n : 0;
    e->n = n;
    e->loss = nt ? s / nt : 0;
    e->img = ni ? si / ni : 0;
    e->ldm = nl ? sl / nl : 0;
}

/* ---- checkpoints ----------------------------------------------------------------------- */

typedef struct {
    int prefix_batch;    /* sequences per step trained only through <act_end> (ar_set_len) */
    double ldm_weight;   /* m->ldm_weight */
    int symmetries;      /* 1: every training example under a random one of the 8 symmetries */
    double core_s;       /* core-seconds of training so far (threads x seconds, summed over resumes) */
} ar_extra_t;

static void save_checkpoint(const ar_t *m, const char *path, const checkpoint_state_t *st, int argc, char **argv,
                            double elapsed_s, const train_sched_t *o, int games_pct, const ar_extra_t *x)
{
    weights_writer_t *w = checkpoint_writer_new("ar", st);
    weights_writer_set_command(w, argc, argv);
    ar_config_write(w, m);
    train_sched_write(w, o, elapsed_s);
    weights_writer_kv_u32(w, "train.games_percent", (uint32_t)games_pct);
    weights_writer_kv_u32(w, "train.prefix_batch", (uint32_t)x->prefix_batch);
    weights_writer_kv_f32(w, "train.ldm_weight", (float)x->ldm_weight);
    weights_writer_kv_u32(w, "train.symmetries", (uint32_t)x->symmetries);
    weights_writer_kv_f64(w, "train.core_s", x->core_s);
    params_checkpoint_save(w, m->be, m->params, m->n_tensors, m->n_params, m->param, m->m, m->v);
    char err[WEIGHTS_ERR_LEN];
    if (weights_writer_save(w, path, err, sizeof err)) die("%s", err);
    weights_writer_free(w);
}

/* *games_pct: the checkpoint's unless given (the run's data must not change on resume). */
static ar_t *load_checkpoint(const char *path, const backend_t *be, train_sched_t *o, checkpoint_state_t *st,
                             double *elapsed_s, int *games_pct, int pct_given, ar_extra_t *x, int pb_given,
                             int lw_given, int sym_given)
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    if (checkpoint_open(&w, path, "ar", st, err, sizeof err))
        die("%s\nhint: start a new run without --resume, or point --ckpt at a transformer checkpoint", err);
    ar_config_t cfg;
    char ts[65], ls[65];
    ar_config_read(&w, &cfg, ts, ls);
    train_sched_read(&w, o, elapsed_s);
    uint32_t pct;
    if (!pct_given && !weights_get_u32(&w, "train.games_percent", &pct) && pct >= 1 && pct <= 100) *games_pct = (int)pct;
    uint32_t pb;
    float lw;
    if (!pb_given && !weights_get_u32(&w, "train.prefix_batch", &pb) && pb <= 65536) x->prefix_batch = (int)pb;
    if (!lw_given && !weights_get_f32(&w, "train.ldm_weight", &lw) && lw >= 0) x->ldm_weight = lw;
    uint32_t sy;
    if (!sym_given && !weights_get_u32(&w, "train.symmetries", &sy) && sy <= 1) x->symmetries = (int)sy;
    if (x->core_s > 0) {
        /* --core-hours: the checkpoint's training so far (given for one without the key) */
    } else if (weights_get_f64(&w, "train.core_s", &x->core_s)) {
        /* a checkpoint from before the key: its seconds times the --threads of its command (1) */
        const char *cmd = NULL, *t;
        long th = 1;
        if (!weights_get_str(&w, "videogo.command", &cmd))
            for (t = strstr(cmd, " --threads "); t; t = strstr(t + 1, " --threads ")) th = strtol(t + 11, NULL, 10);
        x->core_s = *elapsed_s * (double)(th >= 1 && th <= 1024 ? th : 1);
    }
    ar_t *m = ar_new(&cfg, be, o->batch > x->prefix_batch ? o->batch : x->prefix_batch, 0);
    memcpy(m->tokenizer_sha256, ts, 65);
    memcpy(m->ldm_sha256, ls, 65);
    ar_zero_grad(m);
    params_checkpoint_load(&w, path, be, m->params, m->n_tensors, m->n_params, m->param, m->m, m->v);
    weights_close(&w);
    return m;
}

/* ---- the command ----------------------------------------------------------------------- */

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo train ar [--preset cpu|grid|paper|tiny] [--video-only] [--resume] [options]\n"
            "\n"
            "Trains the autoregressive world model (model/transformer.h) on sequences\n"
            "  <bos> <to move> <im_start> x_t <im_end> <act_start> z^1..z^H <act_end> <im_start> x_{t+1} <im_end>\n"
            "(x: the frozen tokenizer's codes, z: the frozen LDM's codes), loss on every token after\n"
            "the first <im_end>. The shards are encoded once with both nets and cached in --cache-dir\n"
            "(rebuilt when a net's file changes). Progress on stderr; the run goes to SQLite (--db).\n"
            "\n"
            "  --preset NAME       cpu (default: 4 layers, C 256, 4 heads, SwiGLU 688), grid (4 layers,\n"
            "                      C 128, 4 heads, SwiGLU 344), paper, tiny\n"
            "  --video-only        the baseline without LDM codes in the sequence (H = 0)\n"
            "  --tokenizer FILE    default weights/tokenizer-9x9.gguf\n"
            "  --ldm FILE          default weights/ldm-9x9.gguf\n"
            "  --train SHARD       default shards/katago9-train.vgs\n"
            "  --val SHARD         default shards/katago9-val.vgs\n"
            "  --cache-dir DIR     default shards (the encoded-code caches)\n"
            "  --games-percent P   train on P%% of the training games (a fixed hash subset, the same\n"
            "                      with and without --video-only); the LDM encodes only those\n"
            "                      (~700 windows/s on one core: all 418k frames take ~10 minutes)\n"
            "  --out FILE          weights (default runs/ar-<preset>[-video].gguf), written at every\n"
            "                      evaluation and at the end\n"
            "  --ckpt FILE         checkpoint (default runs/ar-<preset>[-video].ckpt)\n"
            "  --resume            continue the run in --ckpt exactly where it stopped (its --steps,\n"
            "                      --batch, --lr, --warmup, --games-percent are kept unless given)\n"
            "  --steps N           total optimizer steps (default 30000); also the cosine horizon\n"
            "  --minutes M         stop (checkpoint, weights) after M minutes of training (SIGINT or\n"
            "                      SIGTERM stop the same way after the current step)\n"
            "  --stop-at N         stop (checkpoint, weights) after step N\n"
            "  --batch B           sequences per step (default 16)\n"
            "  --lr X              peak learning rate (default 1e-3), --warmup N (default 300)\n"
            "  --prefix-batch N    N more sequences per step trained only through <act_end> (the\n"
            "                      z codes, at half the tokens of a full sequence; default 0)\n"
            "  --ldm-weight X      weight of the z codes' loss against a token of x_{t+1} (default 1)\n"
            "  --pos2d             a new run starts the image tokens' position rows from a 2-D code\n"
            "                      of (row, column) (ar_init_pos2d; the grid preset's 81 tokens)\n"
            "  --symmetries 0|1    1: every training example under a random one of the board's 8\n"
            "                      symmetries (the token grid permuted; needs --video-only and a\n"
            "                      tokenizer with one exact code per intersection, checked at start);\n"
            "                      kept by --resume unless given (default 0)\n"
            "  --local R           a new run's image positions also embed x_t's (2R+1)x(2R+1)\n"
            "                      neighbourhood of their cell (ar.local_embed; R 1..4; a square\n"
            "                      grid of tokens; default 0 = off)\n"
            "  --local-mix D       with --local: every block also reads that window of x_t's rows\n"
            "                      (projected to D) into each image position (ar.local_mix)\n"
            "  --core-hours H      with --resume: the core-hours (seconds x threads) the checkpoint\n"
            "                      trained, for a checkpoint from before they were recorded\n"
            "                      (train.core_s; else its seconds x the --threads of its command)\n"
            "  --curve-idm FILE    learning curve: every --curve-every minutes of training (default 15)\n"
            "                      and at the end, the paper-mode figures of the current weights with\n"
            "                      this IDM (and --tokenizer, --ldm) on the first --curve-n positions\n"
            "                      (500) of --curve-set (default ../shared/data/gobench9/dev.jsonl),\n"
            "                      stored with the core-hours so far (videogo report draws them)\n"
            "  --seed S            initialization and data seed (default 1)\n"
            "  --threads N         CPU threads (default 1)\n"
            "  --encode-threads N  CPU threads while building the caches (default: --threads)\n"
            "  --ckpt-every S      seconds between checkpoints (default 180)\n"
            "  --eval-every N      steps between validation losses (default 1000), --eval-n N (1024)\n"
            "  --log-every N       steps between progress lines (default 50)\n"
            "  --db FILE           SQLite database (default runs/videogo.db); --no-db to skip\n");
}

int cmd_train_ar(int argc, char **argv)
{
    train_common_t o = train_common_defaults(); /* the options every trainer has */
    o.sched = (train_sched_t){.steps = 30000, .batch = 16, .warmup = 300, .lr = 1e-3}; /* ar's own schedule */
    const char *tok_path = "weights/tokenizer-9x9.gguf", *ldm_path = "weights/ldm-9x9.gguf", *cache_dir = "shards";
    char out_buf[256], ckpt_buf[256];
    int pos2d = 0, local = 0, local_mix = 0;
    int eval_n = 1024, video_only = 0, games_pct = 100, pct_given = 0, enc_threads = 0, pb_given = 0, lw_given = 0,
        sym_given = 0;
    ar_extra_t x = {.prefix_batch = 0, .ldm_weight = 1.0, .symmetries = 0};
    const char *curve_idm = NULL, *curve_set = NULL;
    double curve_every = 15, core_h = 0;
    int curve_n = 500;
    const train_opt_t opts[] = {
        {"--video-only", TRAIN_OPT_FLAG, &video_only, 0, 0, NULL},
        {"--tokenizer", TRAIN_OPT_STR, &tok_path, 0, 0, NULL},
        {"--ldm", TRAIN_OPT_STR, &ldm_path, 0, 0, NULL},
        {"--cache-dir", TRAIN_OPT_STR, &cache_dir, 0, 0, NULL},
        {"--games-percent", TRAIN_OPT_INT, &games_pct, 1, 100, &pct_given},
        {"--encode-threads", TRAIN_OPT_INT, &enc_threads, 1, 256, NULL},
        {"--eval-n", TRAIN_OPT_INT, &eval_n, 1, 1000000, NULL},
        {"--prefix-batch", TRAIN_OPT_INT, &x.prefix_batch, 0, 65536, &pb_given},
        {"--ldm-weight", TRAIN_OPT_DOUBLE, &x.ldm_weight, 0, 0, &lw_given},
        {"--pos2d", TRAIN_OPT_FLAG, &pos2d, 0, 0, NULL},
        {"--symmetries", TRAIN_OPT_INT, &x.symmetries, 0, 1, &sym_given},
        {"--core-hours", TRAIN_OPT_DOUBLE, &core_h, 0, 0, NULL},
        {"--local", TRAIN_OPT_INT, &local, 0, 4, NULL},
        {"--local-mix", TRAIN_OPT_INT, &local_mix, 0, 1024, NULL},
        {"--curve-idm", TRAIN_OPT_STR, &curve_idm, 0, 0, NULL},
        {"--curve-set", TRAIN_OPT_STR, &curve_set, 0, 0, NULL},
        {"--curve-every", TRAIN_OPT_DOUBLE, &curve_every, 0, 0, NULL},
        {"--curve-n", TRAIN_OPT_INT, &curve_n, 1, 1000000, NULL},
    };
    int rc = train_parse_opts(argc, argv, &o, opts, (int)(sizeof opts / sizeof opts[0]), train_usage);
    if (rc >= 0) return rc;
    if (!(core_h >= 0 && core_h < 1e6)) die("--core-hours %g outside 0..1e6", core_h);
    x.core_s = o.resume ? core_h * 3600 : 0;
    const backend_t *be = backend_cpu();
    be->set_threads(enc_threads ? enc_threads : o.threads);
    int cmd_argc;
    char **cmd = train_command(argc, argv, &cmd_argc);

    /* the frozen nets */
    char tok_sha[65], ldm_sha[65] = "";
    train_weights_sha256(tok_path, tok_sha);
    if (!tok_sha[0]) die("%s: cannot read its videogo.sha256\nhint: --tokenizer FILE (weights/tokenizer-9x9.gguf)",
                         tok_path);
    tokenizer_t *tok = tokenizer_build_from_file(tok_path, be, 256);
    ldm_t *ldm = NULL;
    if (!video_only) {
        train_weights_sha256(ldm_path, ldm_sha);
        if (!ldm_sha[0]) die("%s: cannot read its videogo.sha256\nhint: --ldm FILE, or --video-only", ldm_path);
        ldm = ldm_build_from_file(ldm_path, be, 64);
    }

    dataset_t *val_ds = train_open_shard(o.val, 0), *train_ds = train_open_shard(o.train, 1);
    if (dataset_info(train_ds)->board_size != (uint32_t)tok->cfg.board_size)
        die("%s: board size %u, the tokenizer reads %d", o.train, dataset_info(train_ds)->board_size,
            tok->cfg.board_size);

    ar_t *m;
    checkpoint_state_t st = {0};
    double elapsed0 = 0;
    ar_config_t cfg0;
    if (ar_preset(o.preset, &cfg0)) die("unknown preset '%s' (cpu, grid, paper, tiny)", o.preset);
    cfg0.img_tokens = tok->T;
    cfg0.n_img_levels = tok->cfg.n_levels;
    for (int i = 0; i < tok->cfg.n_levels; i++) cfg0.img_levels[i] = tok->cfg.levels[i];
    cfg0.horizon = ldm ? ldm->cfg.horizon : 0;
    if (ldm) {
        /* a codebook of at most 256 codes is predicted as one softmax (a move distribution
         * needs the joint; factorized digits are independent given the context), a larger one
         * digit by digit; the code index is the same either way (one mixed-radix number) */
        long K = ldm_codebook(&ldm->cfg);
        if (K <= 256) {
            cfg0.n_ldm_levels = 1, cfg0.ldm_levels[0] = (int)K;
        } else {
            cfg0.n_ldm_levels = ldm->cfg.n_levels;
            for (int i = 0; i < ldm->cfg.n_levels; i++) cfg0.ldm_levels[i] = ldm->cfg.levels[i];
        }
    }
    const char *suffix = video_only ? "-video" : "";
    int n1 = snprintf(out_buf, sizeof out_buf, "runs/ar-%s%s.gguf", o.preset, suffix);
    int n2 = snprintf(ckpt_buf, sizeof ckpt_buf, "runs/ar-%s%s.ckpt", o.preset, suffix);
    if (n1 < 0 || (size_t)n1 >= sizeof out_buf || n2 < 0 || (size_t)n2 >= sizeof ckpt_buf)
        die("preset name too long: %s", o.preset);
    if (!o.out) o.out = out_buf;
    if (!o.ckpt) o.ckpt = ckpt_buf;
    if (o.resume) {
        m = load_checkpoint(o.ckpt, be, &o.sched, &st, &elapsed0, &games_pct, pct_given, &x, pb_given, lw_given, sym_given);
        if (strcmp(m->tokenizer_sha256, tok_sha) || strcmp(m->ldm_sha256, ldm_sha))
            die("%s was trained with other tokenizer/LDM files (SHA-256 %.12s/%.12s, now %.12s/%.12s)\n"
                "hint: pass the same --tokenizer/--ldm (or --video-only), or start a new run",
                o.ckpt, m->tokenizer_sha256, m->ldm_sha256, tok_sha, ldm_sha);
        if (m->cfg.horizon != cfg0.horizon)
            die("%s: horizon %d, the run asks %d", o.ckpt, m->cfg.horizon, cfg0.horizon);
        fprintf(stderr, "resumed %s at step %llu (%.0f s trained so far)\n", o.ckpt, (unsigned long long)st.step,
                elapsed0);
    } else {
        cfg0.local = local;
        cfg0.local_mix = local_mix;
        char cerr[256];
        if (ar_config_check(&cfg0, cerr, sizeof cerr)) die("%s", cerr);
        m = ar_new(&cfg0, be, o.sched.batch > x.prefix_batch ? o.sched.batch : x.prefix_batch, o.seed);
        memcpy(m->tokenizer_sha256, tok_sha, 65);
        memcpy(m->ldm_sha256, ldm_sha, 65);
        if (pos2d && ar_init_pos2d(m)) die("--pos2d: %d image tokens are not a square grid", m->cfg.img_tokens);
        ar_zero_grad(m);
        st.shuffle_seed = o.seed;
        rng_seed(&st.rng, o.seed ^ 0x61722d747261696eULL);
    }
    if (!(x.ldm_weight >= 0 && x.ldm_weight <= 1000)) die("--ldm-weight %g outside 0..1000", x.ldm_weight);
    if (x.prefix_batch && video_only) die("--prefix-batch needs LDM codes (not with --video-only)");
    m->ldm_weight = (float)x.ldm_weight;
    const long steps = o.sched.steps;
    const int batch = o.sched.batch, warmup = o.sched.warmup, pbatch = x.prefix_batch;
    const double lr_max = o.sched.lr;
    train_mkdir_parent(o.out);
    train_mkdir_parent(o.ckpt);

    /* caches (the nets are freed once they are built) */
    ar_data_t tr = {.ds = train_ds}, va = {.ds = val_ds};
    cache_get(cache_dir, val_ds, "val", tok, NULL, 100, tok_sha, &va.img);
    cache_get(cache_dir, train_ds, "train", tok, NULL, 100, tok_sha, &tr.img);
    if (ldm) {
        cache_get(cache_dir, val_ds, "val", NULL, ldm, 100, ldm_sha, &va.ldm);
        cache_get(cache_dir, train_ds, "train", NULL, ldm, games_pct, ldm_sha, &tr.ldm);
    }
    if (x.symmetries) {
        const int size = (int)dataset_info(val_ds)->board_size;
        if (!video_only) die("--symmetries transforms the frames' tokens, not the LDM's codes: use it with --video-only");
        if (tok->T != size * size)
            die("--symmetries needs one token per intersection (the grid tokenizer): %s has %d tokens for %d points",
                tok_path, tok->T, size * size);
        double bad = check_token_symmetry(val_ds, tok, &va.img, size, 224);
        fprintf(stderr, "symmetries: the tokenizer's codes of transformed frames differ from the permuted codes on "
                        "%.3f%% of tokens (224 validation frames)\n", 100 * bad);
        if (bad > 0.001) die("--symmetries: the token grid does not follow the frame's symmetries (%.2f%% of tokens "
                             "differ); train without it", 100 * bad);
        tr.sym_size = size;
    }
    tokenizer_free(tok);
    ldm_free(ldm);
    be->set_threads(o.threads);
    data_index(&tr, games_pct);
    data_index(&va, 100);

    const int L = m->L, s0 = ar_loss_start(&m->cfg), Lp = s0 + m->cfg.horizon + 3;
    const int maxb = batch > pbatch ? batch : pbatch;
    int *tokens = xmalloc((size_t)maxb * L * sizeof(int));
    /* every sequence weighs the same in a step: the full pass's tokens scaled by
     * batch / (batch + pbatch), the prefix pass's as if they were full sequences */
    const float gs_full = (float)batch / (float)(batch + pbatch);
    const float gs_pre = (float)(Lp - s0 - 1) * pbatch / ((float)(L - s0 - 1) * (batch + pbatch));
    char config_json[1024];
    int nj = snprintf(config_json, sizeof config_json,
                      "{\"preset\":\"%s\",\"layers\":%d,\"width\":%d,\"heads\":%d,\"hidden\":%d,\"horizon\":%d,"
                      "\"seq_len\":%d,\"batch\":%d,\"steps\":%ld,\"lr\":%g,\"warmup\":%d,\"seed\":%llu,"
                      "\"threads\":%d,\"pos2d\":%s,\"local\":%d,\"local_mix\":%d,\"games_percent\":%d,\"prefix_batch\":%d,\"ldm_weight\":%g,\"symmetries\":%d,\"resume\":%s,\"params\":%zu,\"tokenizer_sha256\":\"%s\",\"ldm_sha256\":\"%s\"}",
                      m->cfg.preset, m->cfg.layers, m->C, m->NH, m->F, m->cfg.horizon, L, batch, steps, lr_max, warmup,
                      (unsigned long long)st.shuffle_seed, o.threads, pos2d ? "true" : "false", m->cfg.local, m->cfg.local_mix, games_pct, pbatch, x.ldm_weight, x.symmetries, o.resume ? "true" : "false",
                      m->n_params, tok_sha, ldm_sha);
    if (nj < 0 || (size_t)nj >= sizeof config_json) die("config JSON too long");
    int64_t run_id;
    db_t *db = train_db_begin(!o.no_db, o.db, video_only ? "ar-video" : "ar", config_json, o.resume, &run_id);
    fprintf(stderr,
            "ar %s%s%s: %d layers, C %d, %d heads, SwiGLU %d, L %d (H %d), %d head logits, %zu params; batch %d, "
            "%ld steps; prefix batch %d, LDM weight %g; %llu training / %llu validation examples\n",
            m->cfg.preset, video_only ? " (video only)" : "", m->cfg.local ? " (local embedding)" : "", m->cfg.layers, m->C, m->NH, m->F, L, m->cfg.horizon,
            m->NO, m->n_params, batch, steps, pbatch, x.ldm_weight, (unsigned long long)tr.n, (unsigned long long)va.n);

    double t_start = time_wall(), t_ckpt = t_start, t_log = t_start;
    double curve_s = 0, curve_last = elapsed0; /* seconds of curve points in this process */
    char curve_set_buf[4096];
    if (curve_idm && !curve_set) {
        const char *data = getenv("VIDEOGO_DATA");
        snprintf(curve_set_buf, sizeof curve_set_buf, "%s/gobench9/dev.jsonl", data ? data : "../shared/data");
        curve_set = curve_set_buf;
    }
    long seq_since = 0;
    double loss_sum = 0, img_sum = 0, ldm_sum = 0, pz_sum = 0;
    int loss_n = 0, stop = 0;
    train_stop_on_signals();
    while ((long)st.step < steps && !stop) {
        for (int b = 0; b < batch; b++)
            example(m, &tr, tr.idx[rng_next(&st.rng) % tr.n], &st.rng, tokens + (size_t)b * L);
        float loss = ar_forward(m, tokens, batch);
        if (!isfinite(loss)) die("loss is %g at step %llu: lower --lr", (double)loss, (unsigned long long)st.step);
        const double step_img = m->loss_img, step_ldm = m->loss_ldm;
        ar_zero_grad(m);
        m->grad_scale = gs_full;
        ar_backward(m);
        if (pbatch) {
            for (int b = 0; b < pbatch; b++) {
                example(m, &tr, tr.idx[rng_next(&st.rng) % tr.n], &st.rng, tokens + (size_t)b * L);
                if (b) memmove(tokens + (size_t)b * Lp, tokens + (size_t)b * L, (size_t)Lp * sizeof(int));
            }
            ar_set_len(m, Lp);
            float pl = ar_forward(m, tokens, pbatch);
            if (!isfinite(pl)) die("prefix loss is %g at step %llu: lower --lr", (double)pl, (unsigned long long)st.step);
            pz_sum += m->loss_ldm;
            m->grad_scale = gs_pre;
            ar_backward(m);
            ar_set_len(m, 0);
        }
        float lr = lr_schedule((long)st.step, warmup, steps, (float)lr_max, (float)lr_max * 0.05f);
        ar_adamw_step(m, lr, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f, (int)st.step + 1);
        st.step++;
        seq_since += batch;
        loss_sum += loss, img_sum += step_img, ldm_sum += step_ldm;
        loss_n++;
        double now = time_wall();
        if (o.minutes > 0 && now - t_start - curve_s >= o.minutes * 60) stop = 1;
        if (o.stop_at > 0 && (long)st.step >= o.stop_at) stop = 1;
        if (train_stop_requested()) stop = 1;
        if (st.step % (uint64_t)o.log_every == 0 || (long)st.step == steps || stop) {
            double sps = seq_since / (now - t_log), tps = sps * (batch * L + pbatch * Lp) / batch;
            char pz[48] = "";
            if (pbatch) snprintf(pz, sizeof pz, ", prefix z %.4f", pz_sum / loss_n);
            fprintf(stderr, "step %llu/%ld  loss %.4f (x_t+1 %.4f, z %.4f nats/token%s)  lr %.2e  %.2f steps/s  %.0f "
                            "tokens/s  %.0f s\n",
                    (unsigned long long)st.step, steps, loss_sum / loss_n, img_sum / loss_n, ldm_sum / loss_n, pz,
                    (double)lr, sps / batch, tps, elapsed0 + now - t_start - curve_s);
            if (db && db_train_log(db, run_id, "train", (int64_t)st.step, loss_sum / loss_n, lr, tps))
                fprintf(stderr, "warning: %s: %s\n", o.db, db_error(db));
            t_log = now;
            seq_since = 0;
            loss_sum = img_sum = ldm_sum = pz_sum = 0;
            loss_n = 0;
        }
        int last = (long)st.step == steps || stop;
        if (st.step % (uint64_t)o.eval_every == 0 || last) {
            double t0 = time_wall();
            ar_eval_t e;
            ar_evaluate(m, &va, eval_n, tokens, &e);
            fprintf(stderr, "eval step %llu: validation loss %.4f (x_t+1 %.4f, z %.4f nats/token), z^1 top-1 %.2f%% "
                            "on %d examples\n",
                    (unsigned long long)st.step, e.loss, e.img, e.ldm, 100 * e.z_top1, e.n);
            if (db) {
                db_train_log(db, run_id, "val", (int64_t)st.step, e.loss, lr, 0);
                db_train_log(db, run_id, "val_next_frame", (int64_t)st.step, e.img, lr, 0);
                if (!video_only) db_train_log(db, run_id, "val_ldm", (int64_t)st.step, e.ldm, lr, 0);
                if (!video_only) db_train_log(db, run_id, "val_z_top1", (int64_t)st.step, e.z_top1, lr, 0);
            }
            ar_save(m, o.out, cmd_argc, cmd);
            t_log += time_wall() - t0;
        }
        now = time_wall();
        double trained = elapsed0 + now - t_start - curve_s;
        if (curve_idm && (trained - curve_last >= curve_every * 60 || last)) {
            double t0 = time_wall();
            ar_save(m, o.out, cmd_argc, cmd);
            curve_point_t cp = {.tokenizer = tok_path, .ar = o.out, .idm = curve_idm, .ldm = ldm_path,
                                .set_path = curve_set, .n = curve_n, .run_id = db ? run_id : 0,
                                .step = (long)st.step,
                                .core_hours = (x.core_s + (trained - elapsed0) * o.threads) / 3600.0};
            gobench_result_t res;
            char cerr[1024];
            if (curve_eval(db, &cp, &res, cerr, sizeof cerr))
                fprintf(stderr, "warning: learning-curve point: %s\n", cerr);
            else
                fprintf(stderr, "curve step %llu (%.3f core-hours): action-value %.2f%%, best-action %.2f%%, legal "
                                "%.2f%% on %ld positions (%.0f s)\n",
                        (unsigned long long)st.step, cp.core_hours, 100 * res.value, 100 * res.best, 100 * res.legal,
                        res.n, time_wall() - t0);
            curve_last = trained;
            curve_s += time_wall() - t0;
            t_log += time_wall() - t0;
            now = time_wall();
            trained = elapsed0 + now - t_start - curve_s;
        }
        if (now - t_ckpt >= o.ckpt_every || last) {
            ar_extra_t xs = x;
            xs.core_s = x.core_s + (trained - elapsed0) * o.threads;
            save_checkpoint(m, o.ckpt, &st, cmd_argc, cmd, trained, &o.sched, games_pct, &xs);
            fprintf(stderr, "checkpoint %s (step %llu)\n", o.ckpt, (unsigned long long)st.step);
            t_ckpt = now;
        }
    }
    train_db_end(db, run_id, (long)st.step >= steps, o.out);
    fprintf(stderr, "weights %s, checkpoint %s, %.0f s in this process\n", o.out, o.ckpt, time_wall() - t_start);
    free(tokens);
    free(tr.idx), free(va.idx);
    free(tr.img.codes), free(tr.ldm.codes), free(va.img.codes), free(va.ldm.codes);
    ar_free(m);
    dataset_close(train_ds);
    dataset_close(val_ds);
    free(cmd);
    return 0;
}
