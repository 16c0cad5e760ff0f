/* tokenizer_train.c: `videogo train tokenizer` (training loop with checkpoints, exact resume,
 * SQLite log, periodic evaluation), its evaluation (`--eval WEIGHTS`: board-exact
 * reconstruction, codebook usage) and `videogo bench tokenizer` (encode/decode ms per frame).
 *
 * Data: frames of the training shard (render/dataset.h) drawn uniformly at random with a
 * random symmetry (0..7), rendered on the fly at the preset's frame size; a share
 * (--random-frac) are random legal positions instead (k random legal moves from the empty
 * board, k uniform in 0..max), which cover dense and unusual boards the games rarely show.
 * Frames only: the move labels of the shard are never read.
 *
 * Exact resume: the checkpoint (model/checkpoint.h) holds parameters, both AdamW moments,
 * the step and the trainer's RNG, which draws everything random (frames, symmetries, random
 * positions); evaluation uses its own fixed sample. Same --threads => bit-identical run.
 *
 * SQLite: the run and its log go to eval/db.h's training tables (db_train_*); train/ sits
 * above model/ and eval/, so the call goes down a floor. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "engine/board.h"
#include "engine/util.h"
#include "eval/db.h"
#include "kernels/backend.h"
#include "model/checkpoint.h"
#include "engine/sha256.h"
#include "model/tokenizer.h"
#include "train/train.h"
#include "render/dataset.h"
#include "render/render.h"
#include "render/sym.h"

/* ---- frames ---------------------------------------------------------------------------- */

/* A random position: k legal random moves, alternating colours, from the empty board. */
static void random_position(board_t *b, int size, rng_t *r, int max_moves)
{
    board_init(b, size);
    int k = (int)rng_below(r, (uint32_t)max_moves + 1);
    stone_t c = STONE_BLACK;
    int np = size * size;
    for (int m = 0; m < k; m++) {
        for (int tries = 0; tries < 8; tries++) {
            int p = (int)rng_below(r, (uint32_t)np);
            if (board_play(b, c, p, NULL, NULL) == MOVE_OK) break;
        }
        c = stone_other(c);
    }
}

/* A dense random position: with a density d drawn uniform in [0.4, 1), each point in random
 * order gets a stone of a random colour with probability d, played by the rules (suicide is
 * refused, captures are made). The 3 x 3 stone patterns a tokenizer patch sees (tokenizer.h)
 * come up evenly, where games and alternating random play rarely fill a corner or a patch. */
static void dense_position(board_t *b, int size, rng_t *r)
{
    board_init(b, size);
    int np = size * size, order[BOARD_POINTS];
    for (int i = 0; i < np; i++) order[i] = i;
    for (int i = np - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)rng_below(r, (uint32_t)i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    double d = 0.4 + 0.6 * rng_uniform(r);
    for (int i = 0; i < np; i++)
        if (rng_uniform(r) < d) board_play(b, rng_below(r, 2) ? STONE_WHITE : STONE_BLACK, order[i], NULL, NULL);
}

typedef struct {
    dataset_t *ds;
    render_ctx_t *ctx;
    int size, px;
    double random_frac, dense_frac;
} sampler_t;

/* B frames into rgb; their boards into stones[B * size*size] if not NULL. */
static void sample_batch(sampler_t *s, rng_t *r, int B, uint8_t *rgb, uint8_t *stones)
{
    const size_t fb = (size_t)render_frame_bytes(s->px);
    const int np = s->size * s->size;
    uint64_t nf = dataset_info(s->ds)->n_frames;
    uint8_t raw[BOARD_POINTS], st[BOARD_POINTS];
    for (int b = 0; b < B; b++) {
        double u = s->random_frac > 0 || s->dense_frac > 0 ? rng_uniform(r) : 1.0;
        if (u < s->random_frac + s->dense_frac) {
            board_t bd;
            if (u < s->random_frac)
                random_position(&bd, s->size, r, np);
            else
                dense_position(&bd, s->size, r);
            memcpy(st, bd.stones, (size_t)np);
        } else {
            uint64_t i = rng_next(r) % nf;
            int sym = (int)rng_below(r, SYM_COUNT);
            if (dataset_frame(s->ds, i, 0, raw, NULL)) die("shard frame %llu unreadable", (unsigned long long)i);
            sym_stones(st, raw, s->size, sym);
        }
        render_ctx_stones(s->ctx, st, rgb + (size_t)b * fb);
        if (stones) memcpy(stones + (size_t)b * np, st, (size_t)np);
    }
}

/* ---- evaluation ------------------------------------------------------------------------ */

typedef struct {
    int frames;
    int exact;            /* frames whose decoded board reads back exactly */
    long point_errors;    /* intersections read wrong, over all frames */
    long point_map[BOARD_POINTS]; /* the same per intersection (row-major) */
    double mse;           /* pixel MSE in [-1,1] units */
    double perplexity;    /* exp(entropy) of the code histogram */
    long codes_used;      /* distinct codes */
    long codebook;
    double encode_ms, decode_ms;
} tok_eval_t;

/* n validation frames: frame i = (k * stride) of the shard, symmetry k % 8 (a fixed sample
 * independent of the trainer's RNG). */
static void tokenizer_evaluate(tokenizer_t *t, dataset_t *val, int n, tok_eval_t *e, const char *dump_dir)
{
    int dumped = 0;
    const int size = t->cfg.board_size, px = t->cfg.px, T = t->T, np = size * size;
    render_ctx_t *ctx = render_ctx_new(size, px);
    if (!ctx) die("render_ctx_new(%d, %d) failed", size, px);
    uint64_t nf = dataset_info(val)->n_frames;
    if ((uint64_t)n > nf * SYM_COUNT) n = (int)(nf * SYM_COUNT);
    const size_t fb = (size_t)render_frame_bytes(px);
    const int chunk = 64;
    uint8_t *rgb = xmalloc(chunk * fb), *dec = xmalloc(chunk * fb);
    uint8_t *st = xmalloc((size_t)chunk * np);
    int *codes = xmalloc((size_t)chunk * T * sizeof(int));
    long K = tokenizer_codebook(&t->cfg);
    long *hist = xcalloc((size_t)K, sizeof(long));
    memset(e, 0, sizeof *e);
    e->codebook = K;
    double stride = (double)nf / (double)(n < 1 ? 1 : n);
    double sq = 0;
    for (int k0 = 0; k0 < n; k0 += chunk) {
        int nb = n - k0 < chunk ? n - k0 : chunk;
        for (int j = 0; j < nb; j++) {
            int k = k0 + j;
            uint64_t i = (uint64_t)(k * stride) % nf;
            if (dataset_frame(val, i, k % SYM_COUNT, st + (size_t)j * np, NULL)) die("validation frame unreadable");
            render_ctx_stones(ctx, st + (size_t)j * np, rgb + (size_t)j * fb);
        }
        double t0 = time_wall();
        tokenizer_encode(t, rgb, nb, codes);
        double t1 = time_wall();
        tokenizer_decode(t, codes, nb, dec);
        double t2 = time_wall();
        e->encode_ms += (t1 - t0) * 1e3;
        e->decode_ms += (t2 - t1) * 1e3;
        for (int q = 0; q < nb * T; q++) hist[codes[q]]++;
        for (int j = 0; j < nb; j++) {
            board_t rb;
            render_board_read(dec + (size_t)j * fb, px, size, &rb);
            int wrong = 0;
            for (int p = 0; p < np; p++) {
                int w = rb.stones[p] != st[(size_t)j * np + p];
                wrong += w;
                e->point_map[p] += w;
            }
            e->point_errors += wrong;
            e->exact += wrong == 0;
            if (wrong && dump_dir && dumped < 16) { /* original | decoded, side by side */
                uint8_t *pair = xmalloc(2 * fb);
                for (int y = 0; y < px; y++) {
                    memcpy(pair + (size_t)y * 2 * px * 3, rgb + (size_t)j * fb + (size_t)y * px * 3, (size_t)px * 3);
                    memcpy(pair + (size_t)y * 2 * px * 3 + (size_t)px * 3, dec + (size_t)j * fb + (size_t)y * px * 3,
                           (size_t)px * 3);
                }
                char path[4200];
                snprintf(path, sizeof path, "%s/wrong-%02d.png", dump_dir, dumped++);
                if (render_write_png(path, pair, 2 * px, px)) fprintf(stderr, "cannot write %s\n", path);
                free(pair);
            }
        }
        for (size_t q = 0; q < (size_t)nb * fb; q++) {
            double d = ((double)dec[q] - (double)rgb[q]) / 127.5;
            sq += d * d;
        }
    }
    e->frames = n;
    e->mse = sq / ((double)n * (double)fb);
    double H = 0, tot = (double)n * T;
    for (long c = 0; c < K; c++)
        if (hist[c]) {
            double p = (double)hist[c] / tot;
            H -= p * log(p);
            e->codes_used++;
        }
    e->perplexity = exp(H);
    e->encode_ms /= n;
    e->decode_ms /= n;
    free(hist);
    free(codes);
    free(st);
    free(dec);
    free(rgb);
    render_ctx_free(ctx);
}

static void eval_print(FILE *f, const tok_eval_t *e)
{
    fprintf(f,
            "board-exact %d/%d = %.4f%%  point errors %ld  pixel mse %.5f  perplexity %.1f  codes used %ld/%ld "
            "(%.2f%%)  encode %.3f ms/frame  decode %.3f ms/frame\n",
            e->exact, e->frames, 100.0 * e->exact / (e->frames ? e->frames : 1), e->point_errors, e->mse,
            e->perplexity, e->codes_used, e->codebook, 100.0 * (double)e->codes_used / (double)e->codebook,
            e->encode_ms, e->decode_ms);
}

/* ---- checkpoints ----------------------------------------------------------------------- */

/* The options that shape the run besides the schedule (train_sched_t): stored in checkpoints
 * so that `--resume` alone continues the same run; options given again on the command line
 * win. */
typedef struct {
    double random_frac, dense_frac;
    double ema;          /* EMA decay of the weights that are evaluated and written (0: none) */
    double best_exact;   /* best board-exact rate of an evaluation so far (the one in --out) */
    long best_step;
    int given_random_frac, given_dense_frac;
} run_opts_t;

static void save_checkpoint(const tokenizer_t *t, const float *ema, const char *path, const checkpoint_state_t *st,
                            int argc, char **argv, double elapsed_s, const train_sched_t *sc, const run_opts_t *o)
{
    weights_writer_t *w = checkpoint_writer_new("tokenizer", st);
    weights_writer_set_command(w, argc, argv);
    tokenizer_config_write(w, &t->cfg);
    train_sched_write(w, sc, elapsed_s);
    weights_writer_kv_f64(w, "train.random_frac", o->random_frac);
    weights_writer_kv_f64(w, "train.dense_frac", o->dense_frac);
    weights_writer_kv_f64(w, "train.ema", o->ema);
    if (ema) {
        int64_t dims[1] = {(int64_t)t->n_params};
        weights_writer_tensor(w, "x.ema_weights", WEIGHTS_F32, 1, dims, ema);
    }
    weights_writer_kv_f64(w, "train.best_exact", o->best_exact);
    weights_writer_kv_u64(w, "train.best_step", (uint64_t)o->best_step);
    weights_writer_kv_u32(w, "train.freeze_encoder", (uint32_t)t->freeze_encoder);
    params_checkpoint_save(w, t->be, t->params, TOKENIZER_N_PARAMS, t->n_params, t->param, t->m, t->v);
    char err[WEIGHTS_ERR_LEN];
    if (weights_writer_save(w, path, err, sizeof err)) die("%s", err);
    weights_writer_free(w);
}

/* Loads a checkpoint into a new tokenizer (its config comes from the file). */
static tokenizer_t *load_checkpoint(const char *path, const backend_t *be, train_sched_t *sc, run_opts_t *o,
                                    checkpoint_state_t *st, double *elapsed_s, float **ema_out)
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    if (checkpoint_open(&w, path, "tokenizer", st, err, sizeof err))
        die("%s\nhint: start a new run without --resume, or point --ckpt at a tokenizer checkpoint", err);
    tokenizer_config_t cfg;
    tokenizer_config_read(&w, &cfg);
    train_sched_read(&w, sc, elapsed_s);
    uint64_t u;
    double d;
    if (!o->given_random_frac && !weights_get_f64(&w, "train.random_frac", &d)) o->random_frac = d;
    if (!o->given_dense_frac && !weights_get_f64(&w, "train.dense_frac", &d)) o->dense_frac = d;
    if (!weights_get_f64(&w, "train.ema", &d)) o->ema = d;
    if (!weights_get_f64(&w, "train.best_exact", &d)) o->best_exact = d;
    if (!weights_get_u64(&w, "train.best_step", &u)) o->best_step = (long)u;
    uint32_t fz;
    int freeze = !weights_get_u32(&w, "train.freeze_encoder", &fz) && fz;
    tokenizer_t *t = tokenizer_new(&cfg, be, sc->batch, 0);
    t->freeze_encoder = freeze;
    tokenizer_zero_grad(t); /* allocates grad, m, v */
    *ema_out = NULL;
    if (weights_find_tensor(&w, "x.ema_weights")) {
        int64_t dims[1] = {(int64_t)t->n_params};
        const float *e = weights_tensor(&w, "x.ema_weights", 1, dims, err, sizeof err);
        if (!e) die("%s: %s", path, err);
        *ema_out = xmalloc(t->n_params * sizeof(float));
        memcpy(*ema_out, e, t->n_params * sizeof(float));
    }
    params_checkpoint_load(&w, path, be, t->params, TOKENIZER_N_PARAMS, t->n_params, t->param, t->m, t->v);
    weights_close(&w);
    return t;
}

/* ---- the command ----------------------------------------------------------------------- */

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo train tokenizer [--preset cpu|grid|paper|tiny] [--resume] [options]\n"
            "       videogo train tokenizer --eval WEIGHTS [--val SHARD] [--eval-frames N]\n"
            "\n"
            "Trains the frame tokenizer (model/tokenizer.h) as an autoencoder on frames rendered\n"
            "from the training shard (build it with `videogo data build`), 8 symmetries, plus\n"
            "random legal positions. Loss: pixel MSE + --disc x intersection-disc MSE\n"
            "(+ --l1 x L1), in [-1,1] units.\n"
            "Progress on stderr; the run and its loss/throughput go to SQLite (--db). SIGINT or\n"
            "SIGTERM stops after the current step with a checkpoint (resume with --resume).\n"
            "\n"
            "  --preset NAME       cpu (64 px, default), grid (72 px, one token per intersection),\n"
            "                      paper (256 px), tiny (tests)\n"
            "  --hidden H          override the preset's MLP width\n"
            "  --margin M          override the encoder's patch margin (pixels)\n"
            "  --disc X            override the intersection-disc loss weight\n"
            "  --levels L,L,...    override the FSQ levels (one per token dimension)\n"
            "  --train SHARD       default shards/katago9-train.vgs\n"
            "  --val SHARD         default shards/katago9-val.vgs\n"
            "  --out FILE          weights of the best evaluation so far (board-exact rate),\n"
            "                      written when an evaluation ties or beats it\n"
            "                      (default runs/tokenizer-<preset>.gguf)\n"
            "  --ckpt FILE         checkpoint (default runs/tokenizer-<preset>.ckpt)\n"
            "  --init WEIGHTS      start from a tokenizer weights file (fine-tuning; fresh AdamW)\n"
            "  --freeze-encoder 1  train the decoder only (the codes stay as they are)\n"
            "  --resume            continue the run in --ckpt exactly where it stopped (its\n"
            "                      --steps/--batch/--lr/--warmup/--random-frac are kept unless given)\n"
            "  --steps N           total optimizer steps (default 20000); also the cosine horizon\n"
            "  --minutes M         stop (checkpoint, weights) after M minutes of this process\n"
            "  --stop-at N         stop (checkpoint, weights) after step N (resume goes on to --steps)\n"
            "  --batch B           frames per step (default 32)\n"
            "  --lr X              peak learning rate (default 1e-3), --warmup N (default 200)\n"
            "  --l1 X              L1 weight (default 0)\n"
            "  --random-frac X     share of random legal positions (default 0.25)\n"
            "  --dense-frac X      share of dense random legal positions (40-100%% of the points\n"
            "                      tried, random colours; default 0)\n"
            "  --ema D             evaluate and write an exponential moving average of the weights\n"
            "                      (decay D, e.g. 0.999; default 0: the weights as trained)\n"
            "  --seed S            initialization and data seed (default 1)\n"
            "  --threads N         CPU threads (default 1)\n"
            "  --ckpt-every S      seconds between checkpoints (default 180)\n"
            "  --eval-every N      steps between evaluations (default 1000), --eval-frames N (1024)\n"
            "  --log-every N       steps between progress lines (default 50)\n"
            "  --db FILE           SQLite database (default runs/videogo.db); --no-db to skip\n"
            "  --eval WEIGHTS      only evaluate WEIGHTS on the validation shard and exit;\n"
            "                      --dump DIR writes the first 16 misread frames there as PNG\n"
            "                      (original | decoded)\n");
}

int cmd_train_tokenizer(int argc, char **argv)
{
    train_common_t o = train_common_defaults(); /* the options every trainer has */
    const char *eval_only = NULL;
    char out_buf[256], ckpt_buf[256];
    int hidden = 0, margin = -1, freeze = 0, eval_frames = 1024;
    double disc = -1;
    const char *levels = NULL, *dump_dir = NULL, *init = NULL;
    double l1 = 0, random_frac = 0.25, dense_frac = 0, ema_decay = 0;
    run_opts_t ro = {0};
    const train_opt_t opts[] = {
        {"--hidden", TRAIN_OPT_INT, &hidden, 1, 65536, NULL},
        {"--margin", TRAIN_OPT_INT, &margin, 0, 4096, NULL},
        {"--disc", TRAIN_OPT_DOUBLE, &disc, 0, 0, NULL},
        {"--levels", TRAIN_OPT_STR, &levels, 0, 0, NULL},
        {"--dump", TRAIN_OPT_STR, &dump_dir, 0, 0, NULL},
        {"--init", TRAIN_OPT_STR, &init, 0, 0, NULL},
        {"--freeze-encoder", TRAIN_OPT_INT, &freeze, 0, 1, NULL},
        {"--l1", TRAIN_OPT_DOUBLE, &l1, 0, 0, NULL},
        {"--random-frac", TRAIN_OPT_DOUBLE, &random_frac, 0, 0, &ro.given_random_frac},
        {"--dense-frac", TRAIN_OPT_DOUBLE, &dense_frac, 0, 0, &ro.given_dense_frac},
        {"--ema", TRAIN_OPT_DOUBLE, &ema_decay, 0, 0, NULL},
        {"--eval-frames", TRAIN_OPT_INT, &eval_frames, 1, 10000000, NULL},
        {"--eval", TRAIN_OPT_STR, &eval_only, 0, 0, NULL},
    };
    int rc = train_parse_opts(argc, argv, &o, opts, (int)(sizeof opts / sizeof opts[0]), train_usage);
    if (rc >= 0) return rc;
    const backend_t *be = backend_cpu();
    be->set_threads(o.threads);
    /* the command recorded in weights and checkpoints */
    int cmd_argc;
    char **cmd = train_command(argc, argv, &cmd_argc);

    dataset_t *val = train_open_shard(o.val, 0);

    if (eval_only) {
        tokenizer_t *t = tokenizer_build_from_file(eval_only, be, 64);
        if (dataset_info(val)->board_size != (uint32_t)t->cfg.board_size)
            die("%s: board size %u, the tokenizer reads %d", o.val, dataset_info(val)->board_size,
                t->cfg.board_size);
        fprintf(stderr, "evaluating %s on %d frames of %s ...\n", eval_only, eval_frames, o.val);
        tok_eval_t e;
        tokenizer_evaluate(t, val, eval_frames, &e, dump_dir);
        printf("%s: ", eval_only);
        eval_print(stdout, &e);
        printf("wrong reads per intersection (row 0 = top):\n");
        for (int r = 0; r < t->cfg.board_size; r++) {
            for (int c = 0; c < t->cfg.board_size; c++) printf(" %5ld", e.point_map[r * t->cfg.board_size + c]);
            printf("\n");
        }
        tokenizer_free(t);
        dataset_close(val);
        free(cmd);
        return e.exact == e.frames ? 0 : 1;
    }

    snprintf(out_buf, sizeof out_buf, "runs/tokenizer-%s.gguf", o.preset);
    snprintf(ckpt_buf, sizeof ckpt_buf, "runs/tokenizer-%s.ckpt", o.preset);
    if (!o.out) o.out = out_buf;
    if (!o.ckpt) o.ckpt = ckpt_buf;
    dataset_t *ds = train_open_shard(o.train, 1);

    tokenizer_t *t;
    float *ema = NULL; /* host copy of the averaged weights (--ema) */
    checkpoint_state_t st = {0};
    double elapsed0 = 0;
    if (o.resume) {
        ro.random_frac = random_frac, ro.dense_frac = dense_frac;
        t = load_checkpoint(o.ckpt, be, &o.sched, &ro, &st, &elapsed0, &ema);
        random_frac = ro.random_frac, dense_frac = ro.dense_frac, ema_decay = ro.ema;
        fprintf(stderr, "resumed %s at step %llu (%.0f s trained so far)\n", o.ckpt, (unsigned long long)st.step,
                elapsed0);
    } else {
        tokenizer_config_t cfg;
        if (tokenizer_preset(o.preset, &cfg)) die("unknown preset '%s' (cpu, grid, paper, tiny)", o.preset);
        if (hidden) cfg.hidden = hidden;
        if (margin >= 0) cfg.margin = margin;
        if (disc >= 0) cfg.disc_weight = (float)disc;
        if (levels) {
            cfg.n_levels = 0;
            for (const char *q = levels; *q;) {
                char *end;
                long l = strtol(q, &end, 10);
                if (end == q || l < 2 || l > 256 || cfg.n_levels == TOKENIZER_MAX_LEVELS)
                    die("--levels: '%s' is not a list of 1..%d FSQ levels in 2..256 (e.g. 8,8,8,5,5,5)", levels,
                        TOKENIZER_MAX_LEVELS);
                cfg.levels[cfg.n_levels++] = (int)l;
                q = *end == ',' ? end + 1 : end;
                if (*end && *end != ',') die("--levels: bad list '%s'", levels);
            }
        }
        cfg.l1_weight = (float)l1;
        if (init) { /* start from trained weights (their hyperparameters), fresh optimizer state */
            t = tokenizer_build_from_file(init, be, o.sched.batch);
            fprintf(stderr, "initialized from %s (its hyperparameters; --preset ignored)\n", init);
        } else {
            t = tokenizer_new(&cfg, be, o.sched.batch, o.seed);
        }
        tokenizer_zero_grad(t);
        st.shuffle_seed = o.seed;
        rng_seed(&st.rng, o.seed ^ 0x746f6b656e697aULL);
    }
    if (freeze) t->freeze_encoder = 1;
    if (random_frac < 0 || dense_frac < 0 || random_frac + dense_frac > 1)
        die("--random-frac %g + --dense-frac %g: each >= 0, together at most 1", random_frac, dense_frac);
    if (ema_decay < 0 || ema_decay >= 1) die("--ema %g: a decay in [0, 1), e.g. 0.999", ema_decay);
    float *live = NULL; /* the trained weights while the averaged ones are swapped in */
    if (ema_decay > 0) {
        live = xmalloc(t->n_params * sizeof(float));
        if (!ema) {
            ema = xmalloc(t->n_params * sizeof(float));
            be->to_host(ema, t->param, t->n_params * sizeof(float));
        }
    } else if (ema) {
        free(ema); /* a run that had --ema keeps it (see train.ema); this one has none */
        ema = NULL;
    }
    const tokenizer_config_t *cfg = &t->cfg;
    if (dataset_info(ds)->board_size != (uint32_t)cfg->board_size)
        die("%s: board size %u, the tokenizer is for %d", o.train, dataset_info(ds)->board_size, cfg->board_size);
    train_mkdir_parent(o.out);
    train_mkdir_parent(o.ckpt);

    sampler_t smp = {.ds = ds, .ctx = render_ctx_new(cfg->board_size, cfg->px), .size = cfg->board_size,
                     .px = cfg->px, .random_frac = random_frac, .dense_frac = dense_frac};
    if (!smp.ctx) die("render_ctx_new failed");
    const size_t fb = (size_t)render_frame_bytes(cfg->px);
    uint8_t *rgb = xmalloc((size_t)o.sched.batch * fb);

    char config_json[1024];
    snprintf(config_json, sizeof config_json,
             "{\"preset\":\"%s\",\"px\":%d,\"patch\":%d,\"hidden\":%d,\"tokens\":%d,\"codebook\":%ld,"
             "\"margin\":%d,\"disc\":%g,\"batch\":%d,\"steps\":%ld,\"lr\":%g,\"warmup\":%d,\"l1\":%g,\"random_frac\":%g,\"dense_frac\":%g,\"ema\":%g,\"seed\":%llu,"
             "\"threads\":%d,\"resume\":%s,\"params\":%zu}",
             o.preset, cfg->px, cfg->patch, cfg->hidden, t->T, tokenizer_codebook(cfg), cfg->margin,
             (double)cfg->disc_weight, o.sched.batch, o.sched.steps, o.sched.lr, o.sched.warmup,
             (double)cfg->l1_weight, random_frac, dense_frac, ema_decay, (unsigned long long)st.shuffle_seed, o.threads,
             o.resume ? "true" : "false", t->n_params);
    int64_t run_id;
    db_t *db = train_db_begin(!o.no_db, o.db, "tokenizer", config_json, o.resume, &run_id);
    fprintf(stderr,
            "tokenizer %s: %d px, P %d, margin %d, %d tokens, H %d, codebook %ld, disc %g, %zu params; batch %d, "
            "%ld steps\n",
            cfg->preset, cfg->px, cfg->patch, cfg->margin, t->T, cfg->hidden, tokenizer_codebook(cfg),
            (double)cfg->disc_weight, t->n_params, o.sched.batch, o.sched.steps);

    train_stop_on_signals();
    double t_start = time_wall(), t_ckpt = t_start, t_log = t_start;
    long frames_since = 0;
    double loss_sum = 0;
    int loss_n = 0;
    int stop = 0;
    while ((long)st.step < o.sched.steps && !stop) {
        sample_batch(&smp, &st.rng, o.sched.batch, rgb, NULL);
        tokenizer_set_frames(t, rgb, o.sched.batch);
        float mse;
        float loss = tokenizer_forward(t, &mse);
        if (!isfinite(loss)) die("loss is %g at step %llu: lower --lr", (double)loss, (unsigned long long)st.step);
        tokenizer_zero_grad(t);
        tokenizer_backward(t);
        float lr = lr_schedule((long)st.step, o.sched.warmup, o.sched.steps, (float)o.sched.lr,
                               (float)o.sched.lr * 0.05f);
        tokenizer_adamw_step(t, lr, 0.9f, 0.99f, 1e-8f, 1e-4f, 1.0f, (int)st.step + 1);
        st.step++;
        if (ema) { /* ema += (1 - d)(w - ema), d ramped up over the first steps */
            double d = ema_decay, ramp = (1.0 + (double)st.step) / (10.0 + (double)st.step);
            if (ramp < d) d = ramp;
            be->to_host(live, t->param, t->n_params * sizeof(float));
            for (size_t i = 0; i < t->n_params; i++) ema[i] += (float)(1.0 - d) * (live[i] - ema[i]);
        }
        frames_since += o.sched.batch;
        loss_sum += loss;
        loss_n++;
        double now = time_wall();
        if (o.minutes > 0 && now - t_start >= o.minutes * 60) stop = 1;
        if (o.stop_at > 0 && (long)st.step >= o.stop_at) stop = 1;
        if (train_stop_requested()) stop = 1;
        if (st.step % (uint64_t)o.log_every == 0 || (long)st.step == o.sched.steps || stop) {
            double fps = frames_since / (now - t_log);
            fprintf(stderr, "step %llu/%ld  loss %.5f  lr %.2e  %.0f frames/s  %.0f s\n",
                    (unsigned long long)st.step, o.sched.steps, loss_sum / loss_n, (double)lr, fps,
                    elapsed0 + now - t_start);
            if (db && db_train_log(db, run_id, "train", (int64_t)st.step, loss_sum / loss_n, lr, fps * t->T))
                fprintf(stderr, "warning: %s: %s\n", o.db, db_error(db));
            t_log = now;
            frames_since = 0;
            loss_sum = 0;
            loss_n = 0;
        }
        int last = (long)st.step == o.sched.steps || stop;
        if (st.step % (uint64_t)o.eval_every == 0 || last) {
            tok_eval_t e;
            double t0 = time_wall();
            if (ema) { /* evaluate (and keep) the averaged weights */
                be->to_host(live, t->param, t->n_params * sizeof(float));
                be->to_device(t->param, ema, t->n_params * sizeof(float));
            }
            tokenizer_evaluate(t, val, eval_frames, &e, NULL);
            fprintf(stderr, "eval step %llu: ", (unsigned long long)st.step);
            eval_print(stderr, &e);
            if (db) {
                db_train_log(db, run_id, "val", (int64_t)st.step, e.mse, lr, 0);
                db_train_log(db, run_id, "val_board_error", (int64_t)st.step, 1.0 - (double)e.exact / e.frames, lr, 0);
                db_train_log(db, run_id, "val_perplexity", (int64_t)st.step, e.perplexity, lr, 0);
            }
            /* --out keeps the best evaluation so far (a late loss spike cannot spoil it) */
            double rate = (double)e.exact / e.frames;
            if (rate >= ro.best_exact) {
                ro.best_exact = rate;
                ro.best_step = (long)st.step;
                tokenizer_save(t, o.out, cmd_argc, cmd);
                fprintf(stderr, "best so far: weights %s (step %llu)%s\n", o.out, (unsigned long long)st.step,
                        ema ? " (averaged)" : "");
            }
            if (ema) be->to_device(t->param, live, t->n_params * sizeof(float));
            t_log += time_wall() - t0; /* keep evaluation out of the throughput figure */
        }
        now = time_wall();
        if (now - t_ckpt >= o.ckpt_every || last) {
            ro.random_frac = random_frac, ro.dense_frac = dense_frac, ro.ema = ema_decay;
            save_checkpoint(t, ema, o.ckpt, &st, cmd_argc, cmd, elapsed0 + now - t_start, &o.sched, &ro);
            fprintf(stderr, "checkpoint %s (step %llu)\n", o.ckpt, (unsigned long long)st.step);
            t_ckpt = now;
        }
    }
    train_db_end(db, run_id, (long)st.step >= o.sched.steps, o.out);
    fprintf(stderr, "weights %s, checkpoint %s, %.0f s in this process\n", o.out, o.ckpt, time_wall() - t_start);
    free(rgb);
    free(ema);
    free(live);
    render_ctx_free(smp.ctx);
    tokenizer_free(t);
    dataset_close(ds);
    dataset_close(val);
    free(cmd);
    return 0;
}

/* ---- bench ----------------------------------------------------------------------------- */

int cmd_bench_tokenizer(int argc, char **argv)
{
    const char *weights = "weights/tokenizer-9x9.gguf", *preset = NULL;
    int frames = 512, threads = 1, batch = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: videogo bench tokenizer [--weights FILE | --preset NAME] [--frames N] [--batch B]\n"
                   "                               [--threads N]\n"
                   "Encode and decode ms per frame of the tokenizer (default weights/tokenizer-9x9.gguf;\n"
                   "--preset: a randomly initialized net of that preset), one frame per call by default\n"
                   "(--batch B frames per call), against the frame renderer in the same run as baseline.\n");
            return 0;
        }
        if (!v) {
            fprintf(stderr, "videogo bench tokenizer: unknown option or missing value: %s\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--weights")) weights = v;
        else if (!strcmp(a, "--preset")) preset = v;
        else if (!strcmp(a, "--frames")) frames = train_parse_int(v, a, 1, 10000000);
        else if (!strcmp(a, "--batch")) batch = train_parse_int(v, a, 1, 4096);
        else if (!strcmp(a, "--threads")) threads = train_parse_int(v, a, 1, 256);
        else {
            fprintf(stderr, "videogo bench tokenizer: unknown option %s\n", a);
            return 2;
        }
    }
    const backend_t *be = backend_cpu();
    be->set_threads(threads);
    tokenizer_t *t;
    if (preset) {
        tokenizer_config_t cfg;
        if (tokenizer_preset(preset, &cfg)) die("unknown preset '%s'", preset);
        t = tokenizer_new(&cfg, be, batch, 1);
    } else {
        t = tokenizer_build_from_file(weights, be, batch);
    }
    const int px = t->cfg.px, size = t->cfg.board_size, T = t->T;
    const size_t fb = (size_t)render_frame_bytes(px);
    render_ctx_t *ctx = render_ctx_new(size, px);
    if (!ctx) die("render_ctx_new failed");
    uint8_t *rgb = xmalloc((size_t)frames * fb), *dec = xmalloc((size_t)batch * fb);
    int *codes = xmalloc((size_t)frames * T * sizeof(int));
    rng_t r;
    rng_seed(&r, 5);
    double t0 = time_wall();
    for (int f = 0; f < frames; f++) {
        board_t b;
        random_position(&b, size, &r, size * size);
        render_ctx_frame(ctx, &b, rgb + (size_t)f * fb);
    }
    double t_render = (time_wall() - t0) * 1e3 / frames;
    tokenizer_encode(t, rgb, batch < frames ? batch : frames, codes); /* warm-up */
    t0 = time_wall();
    for (int f = 0; f < frames; f += batch) {
        int nb = frames - f < batch ? frames - f : batch;
        tokenizer_encode(t, rgb + (size_t)f * fb, nb, codes + (size_t)f * T);
    }
    double t_enc = (time_wall() - t0) * 1e3 / frames;
    t0 = time_wall();
    for (int f = 0; f < frames; f += batch) {
        int nb = frames - f < batch ? frames - f : batch;
        tokenizer_decode(t, codes + (size_t)f * T, nb, dec);
    }
    double t_dec = (time_wall() - t0) * 1e3 / frames;
    printf("tokenizer %s (%d px, %d tokens, H %d), %d frames, batch %d, %d thread(s): %s\n",
           preset ? preset : weights, px, T, t->cfg.hidden, frames, batch, threads, kernels_describe());
    printf("  render (random position, baseline) %8.4f ms/frame\n", t_render);
    printf("  encode                             %8.4f ms/frame  (%.1fx render)\n", t_enc, t_enc / t_render);
    printf("  decode                             %8.4f ms/frame  (%.1fx render)\n", t_dec, t_dec / t_render);
    free(codes);
    free(dec);
    free(rgb);
    render_ctx_free(ctx);
    tokenizer_free(t);
    return 0;
}
