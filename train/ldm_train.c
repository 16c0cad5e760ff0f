/* ldm_train.c: `videogo train ldm` (training loop with checkpoints, exact resume, SQLite log,
 * periodic evaluation) and its evaluation (`--eval WEIGHTS`).
 *
 * Data: windows (ldm_window: frame i and the next H frames of its game, replicate-padded at
 * the end) of the training shard, i uniform at random, with a random symmetry (0..7), rendered
 * on the fly at the preset's frame size. Frames only: the LDM never reads the move labels.
 *
 * Evaluation on held-out games (the validation shard; a fixed sample: window k starts at frame
 * k * stride, symmetry k % 8, independent of the trainer's RNG):
 *   - board-exact rate of the reconstructed x_{t+1}, read back through the frame reader
 *     (render_board_read), with the "copy x_t" baseline (x_{t+1} == x_t: passes and game ends);
 *   - code usage per query: distinct codes and perplexity of each query's histogram;
 *   - the move probe: a lookup table code z_t^1 -> most frequent move, fitted on windows of
 *     the TRAINING shard and scored (top-1) on the validation windows, against the baseline
 *     "always the most frequent move". A linear probe on the one-hot code converges to this
 *     table, so this is the linear probe without its optimizer. This is the only place the
 *     move labels are read (dataset_label_move), for evaluation, as dataset.h allows.
 *
 * Exact resume: the checkpoint (model/checkpoint.h) holds parameters, both AdamW moments, the
 * step and the trainer's RNG, which draws every window and symmetry; same --threads =>
 * bit-identical run. SQLite: eval/db.h's training tables, like tokenizer_train.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/board.h"
#include "engine/util.h"
#include "eval/db.h"
#include "kernels/backend.h"
#include "model/checkpoint.h"
#include "model/ldm.h"
#include "train/train.h"
#include "render/dataset.h"
#include "render/render.h"
#include "render/sym.h"

/* ---- evaluation ------------------------------------------------------------------------ */

typedef struct {
    int windows;
    int exact;            /* reconstructed x_{t+1} reads back as the true board */
    int copy_exact;       /* x_{t+1} == x_t (what "predict no change" would get) */
    double mse;           /* the model's loss on these windows */
    int H;
    long used[LDM_MAX_HORIZON];
    double perplexity[LDM_MAX_HORIZON];
    long codebook;
    int probe_n, probe_hit, probe_base_hit; /* move probe on z^1 (validation windows) */
    int probe_fit;        /* training windows the table was fitted on */
} ldm_eval_t;

#define N_MOVES (BOARD_POINTS + 1) /* points, then pass */

static int move_class(int mv, int np)
{
    return mv >= 0 && mv < np ? mv : np; /* pass (and none) last */
}

/* Runs windows k = 0..n-1 of ds (start k*stride, symmetry k%8) through the net. For each:
 * the code of query 1 and the move label into codes1[k] / moves[k] (when not NULL), and the
 * board checks into e (when not NULL). */
static void run_windows(ldm_t *l, dataset_t *ds, int n, int *codes1, int *moves, ldm_eval_t *e)
{
    const ldm_config_t *cfg = &l->cfg;
    const int H = cfg->horizon, np = cfg->board_size * cfg->board_size, B = l->max_batch;
    render_ctx_t *ctx = render_ctx_new(cfg->board_size, cfg->px);
    if (!ctx) die("render_ctx_new(%d, %d) failed", cfg->board_size, cfg->px);
    const size_t fb = (size_t)render_frame_bytes(cfg->px), wb = (size_t)(H + 1) * fb;
    uint8_t *rgb = xmalloc((size_t)B * wb), *pred = xmalloc((size_t)B * H * fb);
    uint8_t *st = xmalloc((size_t)B * (H + 1) * np);
    int *codes = xmalloc((size_t)B * H * sizeof(int));
    long K = ldm_codebook(cfg);
    long *hist = e ? xcalloc((size_t)K * H, sizeof(long)) : NULL;
    uint64_t nf = dataset_info(ds)->n_frames;
    double stride = (double)nf / (double)(n < 1 ? 1 : n), sq = 0;
    for (int k0 = 0; k0 < n; k0 += B) {
        int nb = n - k0 < B ? n - k0 : B;
        uint64_t start[4096];
        for (int j = 0; j < nb; j++) {
            int k = k0 + j;
            start[j] = (uint64_t)(k * stride) % nf;
            if (ldm_window(ds, ctx, H, start[j], k % SYM_COUNT, rgb + (size_t)j * wb, st + (size_t)j * (H + 1) * np))
                die("window at frame %llu unreadable", (unsigned long long)start[j]);
        }
        ldm_set_windows(l, rgb, nb);
        sq += (double)ldm_forward(l) * nb;
        ldm_outputs(l, codes, e ? pred : NULL);
        for (int j = 0; j < nb; j++) {
            int k = k0 + j;
            if (codes1) codes1[k] = codes[j * H];
            if (moves) moves[k] = move_class(dataset_label_move(ds, start[j], k % SYM_COUNT), np);
            if (!e) continue;
            for (int h = 0; h < H; h++) hist[(size_t)h * K + codes[j * H + h]]++;
            const uint8_t *s0 = st + (size_t)j * (H + 1) * np, *s1 = s0 + np;
            board_t rb;
            render_board_read(pred + (size_t)j * H * fb, cfg->px, cfg->board_size, &rb);
            e->exact += !memcmp(rb.stones, s1, (size_t)np);
            e->copy_exact += !memcmp(s0, s1, (size_t)np);
        }
    }
    if (e) {
        e->windows = n;
        e->mse = sq / (n ? n : 1);
        e->H = H;
        e->codebook = K;
        for (int h = 0; h < H; h++) {
            double ent = 0;
            e->used[h] = 0;
            for (long c = 0; c < K; c++)
                if (hist[(size_t)h * K + c]) {
                    double p = (double)hist[(size_t)h * K + c] / n;
                    ent -= p * log(p);
                    e->used[h]++;
                }
            e->perplexity[h] = exp(ent);
        }
        free(hist);
    }
    free(codes);
    free(st);
    free(pred);
    free(rgb);
    render_ctx_free(ctx);
}

/* The full evaluation: reconstruction and code usage on n validation windows; the move probe
 * fitted on n_fit training windows (skipped when train is NULL or n_fit == 0). */
static void ldm_evaluate(ldm_t *l, dataset_t *val, int n, dataset_t *train, int n_fit, ldm_eval_t *e)
{
    memset(e, 0, sizeof *e);
    int *c_val = xmalloc((size_t)n * sizeof(int)), *m_val = xmalloc((size_t)n * sizeof(int));
    run_windows(l, val, n, c_val, m_val, e);
    if (train && n_fit > 0) {
        const long K = ldm_codebook(&l->cfg);
        int *c_fit = xmalloc((size_t)n_fit * sizeof(int)), *m_fit = xmalloc((size_t)n_fit * sizeof(int));
        run_windows(l, train, n_fit, c_fit, m_fit, NULL);
        int *table = xmalloc((size_t)K * N_MOVES * sizeof(int)); /* counts[code][move] */
        memset(table, 0, (size_t)K * N_MOVES * sizeof(int));
        long overall[N_MOVES] = {0};
        for (int k = 0; k < n_fit; k++) {
            table[(size_t)c_fit[k] * N_MOVES + m_fit[k]]++;
            overall[m_fit[k]]++;
        }
        int base = 0;
        for (int m = 1; m < N_MOVES; m++)
            if (overall[m] > overall[base]) base = m;
        for (int k = 0; k < n; k++) {
            const int *row = table + (size_t)c_val[k] * N_MOVES;
            int best = base, bc = 0;
            for (int m = 0; m < N_MOVES; m++)
                if (row[m] > bc) bc = row[m], best = m;
            e->probe_hit += best == m_val[k];
            e->probe_base_hit += base == m_val[k];
        }
        e->probe_n = n;
        e->probe_fit = n_fit;
        free(table);
        free(c_fit);
        free(m_fit);
    }
    free(c_val);
    free(m_val);
}

static void eval_print(FILE *f, const ldm_eval_t *e)
{
    fprintf(f, "x_{t+1} board-exact %d/%d = %.2f%% (copy-x_t baseline %.2f%%)  mse %.6f\n", e->exact, e->windows,
            100.0 * e->exact / (e->windows ? e->windows : 1), 100.0 * e->copy_exact / (e->windows ? e->windows : 1),
            e->mse);
    fprintf(f, "codes used per query (of %ld):", e->codebook);
    for (int h = 0; h < e->H; h++) fprintf(f, " z%d %ld (perplexity %.1f)", h + 1, e->used[h], e->perplexity[h]);
    fprintf(f, "\n");
    if (e->probe_n)
        fprintf(f, "move probe z^1 -> move (table fitted on %d training windows): top-1 %.2f%% (most-frequent-move "
                   "baseline %.2f%%)\n",
                e->probe_fit, 100.0 * e->probe_hit / e->probe_n, 100.0 * e->probe_base_hit / e->probe_n);
}

/* ---- checkpoints ----------------------------------------------------------------------- */

static void save_checkpoint(const ldm_t *l, const char *path, const checkpoint_state_t *st, int argc, char **argv,
                            double elapsed_s, const train_sched_t *o)
{
    weights_writer_t *w = checkpoint_writer_new("ldm", st);
    weights_writer_set_command(w, argc, argv);
    ldm_config_write(w, &l->cfg);
    train_sched_write(w, o, elapsed_s);
    params_checkpoint_save(w, l->be, l->params, LDM_N_PARAMS, l->n_params, l->param, l->m, l->v);
    char err[WEIGHTS_ERR_LEN];
    if (weights_writer_save(w, path, err, sizeof err)) die("%s", err);
    weights_writer_free(w);
}

static ldm_t *load_checkpoint(const char *path, const backend_t *be, train_sched_t *o, checkpoint_state_t *st,
                              double *elapsed_s)
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    if (checkpoint_open(&w, path, "ldm", st, err, sizeof err))
        die("%s\nhint: start a new run without --resume, or point --ckpt at an ldm checkpoint", err);
    ldm_config_t cfg;
    ldm_config_read(&w, &cfg);
    train_sched_read(&w, o, elapsed_s);
    ldm_t *l = ldm_new(&cfg, be, o->batch, 0);
    ldm_zero_grad(l);
    params_checkpoint_load(&w, path, be, l->params, LDM_N_PARAMS, l->n_params, l->param, l->m, l->v);
    weights_close(&w);
    return l;
}

/* ---- the command ----------------------------------------------------------------------- */

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo train ldm [--preset cpu|grid|paper|tiny] [--horizon H] [--resume] [options]\n"
            "       videogo train ldm --eval WEIGHTS [--val SHARD] [--train SHARD] [--eval-windows N]\n"
            "\n"
            "Trains the latent dynamics model (model/ldm.h) on windows of H+1 frames (x_t and the\n"
            "next H, replicate-padded at a game's end) rendered from the training shard, 8 symmetries.\n"
            "Loss: MSE of the rebuilt x_{t+1..t+H} in [-1,1] pixel units + --disc x the MSE of the\n"
            "mean colours of the intersection discs. Frames only, no labels.\n"
            "Progress on stderr; the run and its loss go to SQLite (--db).\n"
            "\n"
            "  --preset NAME       cpu (64 px, default), grid (72 px, a patch per intersection, H 1),\n"
            "                      paper (256 px), tiny (tests)\n"
            "  --horizon H         future frames / codes per window (default: the preset's; 1, 3, 5)\n"
            "  --width C           override the preset's width\n"
            "  --disc X            override the intersection-disc loss weight (0: pixel MSE only)\n"
            "  --train SHARD       default shards/katago9-train.vgs\n"
            "  --val SHARD         default shards/katago9-val.vgs\n"
            "  --out FILE          weights (default runs/ldm-<preset>-h<H>.gguf), written at every\n"
            "                      evaluation and at the end\n"
            "  --ckpt FILE         checkpoint (default runs/ldm-<preset>-h<H>.ckpt)\n"
            "  --resume            continue the run in --ckpt exactly where it stopped (its\n"
            "                      --steps/--batch/--lr/--warmup are kept unless given)\n"
            "  --steps N           total optimizer steps (default 20000); also the cosine horizon\n"
            "  --minutes M         stop (checkpoint, weights) after M minutes of this process (SIGINT\n"
            "                      or SIGTERM stop the same way after the current step)\n"
            "  --stop-at N         stop (checkpoint, weights) after step N\n"
            "  --batch B           windows per step (default 32)\n"
            "  --lr X              peak learning rate (default 1e-3), --warmup N (default 200)\n"
            "  --seed S            initialization and data seed (default 1)\n"
            "  --threads N         CPU threads (default 1)\n"
            "  --ckpt-every S      seconds between checkpoints (default 180)\n"
            "  --eval-every N      steps between evaluations (default 1000), --eval-windows N (512;\n"
            "                      the move probe's table is fitted on 8x as many training windows)\n"
            "  --log-every N       steps between progress lines (default 50)\n"
            "  --db FILE           SQLite database (default runs/videogo.db); --no-db to skip\n"
            "  --eval WEIGHTS      only evaluate WEIGHTS and exit: board-exact rate of the rebuilt\n"
            "                      x_{t+1}, codes used per query, move probe on z^1 (top-1)\n");
}

int cmd_train_ldm(int argc, char **argv)
{
    train_common_t o = train_common_defaults(); /* the options every trainer has */
    const char *eval_only = NULL;
    char out_buf[256], ckpt_buf[256];
    int horizon = 0, width = 0, eval_windows = 512;
    double disc = -1;
    const train_opt_t opts[] = {
        {"--horizon", TRAIN_OPT_INT, &horizon, 1, LDM_MAX_HORIZON, NULL},
        {"--width", TRAIN_OPT_INT, &width, 1, 65536, NULL},
        {"--disc", TRAIN_OPT_DOUBLE, &disc, 0, 0, NULL},
        {"--eval-windows", TRAIN_OPT_INT, &eval_windows, 1, 1000000, NULL},
        {"--eval", TRAIN_OPT_STR, &eval_only, 0, 0, NULL},
    };
    int rc = train_parse_opts(argc, argv, &o, opts, (int)(sizeof opts / sizeof opts[0]), train_usage);
    if (rc >= 0) return rc;
    const backend_t *be = backend_cpu();
    be->set_threads(o.threads);
    int cmd_argc;
    char **cmd = train_command(argc, argv, &cmd_argc);

    dataset_t *val = train_open_shard(o.val, 0), *ds = train_open_shard(o.train, 1);

    if (eval_only) {
        ldm_t *l = ldm_build_from_file(eval_only, be, 64);
        if (dataset_info(val)->board_size != (uint32_t)l->cfg.board_size)
            die("%s: board size %u, the LDM reads %d", o.val, dataset_info(val)->board_size, l->cfg.board_size);
        fprintf(stderr, "evaluating %s (H %d) on %d windows of %s ...\n", eval_only, l->cfg.horizon, eval_windows,
                o.val);
        ldm_eval_t e;
        ldm_evaluate(l, val, eval_windows, ds, 8 * eval_windows, &e);
        printf("%s: ", eval_only);
        eval_print(stdout, &e);
        ldm_free(l);
        dataset_close(ds);
        dataset_close(val);
        free(cmd);
        return 0;
    }

    ldm_t *l;
    checkpoint_state_t st = {0};
    double elapsed0 = 0;
    ldm_config_t cfg0;
    if (ldm_preset(o.preset, &cfg0)) die("unknown preset '%s' (cpu, grid, paper, tiny)", o.preset);
    if (horizon) cfg0.horizon = horizon;
    if (width) cfg0.width = width;
    if (disc >= 0) cfg0.disc_weight = (float)disc;
    int n1 = snprintf(out_buf, sizeof out_buf, "runs/ldm-%s-h%d.gguf", o.preset, cfg0.horizon);
    int n2 = snprintf(ckpt_buf, sizeof ckpt_buf, "runs/ldm-%s-h%d.ckpt", o.preset, cfg0.horizon);
    if (n1 < 0 || (size_t)n1 >= sizeof out_buf || n2 < 0 || (size_t)n2 >= sizeof ckpt_buf)
        die("preset name too long: %s", o.preset);
    if (!o.out) o.out = out_buf;
    if (!o.ckpt) o.ckpt = ckpt_buf;
    if (o.resume) {
        l = load_checkpoint(o.ckpt, be, &o.sched, &st, &elapsed0);
        fprintf(stderr, "resumed %s at step %llu (%.0f s trained so far)\n", o.ckpt, (unsigned long long)st.step,
                elapsed0);
    } else {
        l = ldm_new(&cfg0, be, o.sched.batch, o.seed);
        ldm_zero_grad(l);
        st.shuffle_seed = o.seed;
        rng_seed(&st.rng, o.seed ^ 0x6c646d6c646dULL);
    }
    const ldm_config_t *cfg = &l->cfg;
    if (dataset_info(ds)->board_size != (uint32_t)cfg->board_size)
        die("%s: board size %u, the LDM is for %d", o.train, dataset_info(ds)->board_size, cfg->board_size);
    train_mkdir_parent(o.out);
    train_mkdir_parent(o.ckpt);

    render_ctx_t *ctx = render_ctx_new(cfg->board_size, cfg->px);
    if (!ctx) die("render_ctx_new failed");
    const int H = cfg->horizon;
    const size_t wb = (size_t)(H + 1) * (size_t)render_frame_bytes(cfg->px);
    uint8_t *rgb = xmalloc((size_t)o.sched.batch * wb);
    const uint64_t nf = dataset_info(ds)->n_frames;

    char config_json[1024];
    int nj = snprintf(config_json, sizeof config_json,
                      "{\"preset\":\"%s\",\"px\":%d,\"patch\":%d,\"horizon\":%d,\"width\":%d,\"heads\":%d,"
                      "\"codebook\":%ld,\"disc\":%g,\"batch\":%d,\"steps\":%ld,\"lr\":%g,\"warmup\":%d,\"seed\":%llu,"
                      "\"threads\":%d,\"resume\":%s,\"params\":%zu}",
                      cfg->preset, cfg->px, cfg->patch, H, cfg->width, cfg->heads, ldm_codebook(cfg),
                      (double)cfg->disc_weight, o.sched.batch, o.sched.steps, o.sched.lr, o.sched.warmup,
                      (unsigned long long)st.shuffle_seed, o.threads, o.resume ? "true" : "false", l->n_params);
    if (nj < 0 || (size_t)nj >= sizeof config_json) die("config JSON too long");
    int64_t run_id;
    db_t *db = train_db_begin(!o.no_db, o.db, "ldm", config_json, o.resume, &run_id);
    fprintf(stderr, "ldm %s: %d px, P %d, %d tokens/frame, H %d, C %d, %d heads, codebook %ld, %zu params; batch %d, "
                    "%ld steps\n",
            cfg->preset, cfg->px, cfg->patch, l->T, H, cfg->width, cfg->heads, ldm_codebook(cfg), l->n_params,
            o.sched.batch, o.sched.steps);

    double t_start = time_wall(), t_ckpt = t_start, t_log = t_start;
    long windows_since = 0;
    double loss_sum = 0;
    int loss_n = 0, stop = 0;
    train_stop_on_signals();
    while ((long)st.step < o.sched.steps && !stop) {
        for (int b = 0; b < o.sched.batch; b++) {
            uint64_t i = rng_next(&st.rng) % nf;
            int sym = (int)rng_below(&st.rng, SYM_COUNT);
            if (ldm_window(ds, ctx, H, i, sym, rgb + (size_t)b * wb, NULL))
                die("%s: window at frame %llu unreadable", o.train, (unsigned long long)i);
        }
        ldm_set_windows(l, rgb, o.sched.batch);
        float loss = ldm_forward(l);
        if (!isfinite(loss)) die("loss is %g at step %llu: lower --lr", (double)loss, (unsigned long long)st.step);
        ldm_zero_grad(l);
        ldm_backward(l);
        float lr = lr_schedule((long)st.step, o.sched.warmup, o.sched.steps, (float)o.sched.lr,
                               (float)o.sched.lr * 0.05f);
        ldm_adamw_step(l, lr, 0.9f, 0.99f, 1e-8f, 1e-4f, 1.0f, (int)st.step + 1);
        st.step++;
        windows_since += o.sched.batch;
        loss_sum += loss;
        loss_n++;
        double now = time_wall();
        if (o.minutes > 0 && now - t_start >= o.minutes * 60) stop = 1;
        if (o.stop_at > 0 && (long)st.step >= o.stop_at) stop = 1;
        if (train_stop_requested()) stop = 1;
        if (st.step % (uint64_t)o.log_every == 0 || (long)st.step == o.sched.steps || stop) {
            double wps = windows_since / (now - t_log);
            fprintf(stderr, "step %llu/%ld  loss %.6f  lr %.2e  %.0f windows/s  %.0f s\n", (unsigned long long)st.step,
                    o.sched.steps, loss_sum / loss_n, (double)lr, wps, elapsed0 + now - t_start);
            if (db && db_train_log(db, run_id, "train", (int64_t)st.step, loss_sum / loss_n, lr, wps * (H + 1) * l->T))
                fprintf(stderr, "warning: %s: %s\n", o.db, db_error(db));
            t_log = now;
            windows_since = 0;
            loss_sum = 0;
            loss_n = 0;
        }
        int last = (long)st.step == o.sched.steps || stop;
        if (st.step % (uint64_t)o.eval_every == 0 || last) {
            double t0 = time_wall();
            ldm_eval_t e;
            /* evaluation reuses the training activations (max_batch = batch) */
            ldm_evaluate(l, val, eval_windows, ds, 8 * eval_windows, &e);
            fprintf(stderr, "eval step %llu: ", (unsigned long long)st.step);
            eval_print(stderr, &e);
            if (db) {
                db_train_log(db, run_id, "val", (int64_t)st.step, e.mse, lr, 0);
                db_train_log(db, run_id, "val_next_board_error", (int64_t)st.step, 1.0 - (double)e.exact / e.windows,
                             lr, 0);
                if (e.probe_n)
                    db_train_log(db, run_id, "val_probe_move_acc", (int64_t)st.step,
                                 (double)e.probe_hit / e.probe_n, lr, 0);
            }
            ldm_save(l, o.out, cmd_argc, cmd);
            t_log += time_wall() - t0;
        }
        now = time_wall();
        if (now - t_ckpt >= o.ckpt_every || last) {
            save_checkpoint(l, o.ckpt, &st, cmd_argc, cmd, elapsed0 + now - t_start, &o.sched);
            fprintf(stderr, "checkpoint %s (step %llu)\n", o.ckpt, (unsigned long long)st.step);
            t_ckpt = now;
        }
    }
    train_db_end(db, run_id, (long)st.step >= o.sched.steps, o.out);
    fprintf(stderr, "weights %s, checkpoint %s, %.0f s in this process\n", o.out, o.ckpt, time_wall() - t_start);
    free(rgb);
    render_ctx_free(ctx);
    ldm_free(l);
    dataset_close(ds);
    dataset_close(val);
    free(cmd);
    return 0;
}
