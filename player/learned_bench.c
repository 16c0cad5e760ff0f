/* learned_bench.c: `videogo bench genmove`: milliseconds per genmove of the learned player on
 * 9x9 positions from validation games, p50 and p95, with baselines measured in the same run
 * on the same positions: the random player's genmove (the rules around the policy: legality,
 * eyes) and the first stage alone (render the frame + tokenizer_encode). Also the learned
 * player's time per stage (render+encode, transformer rollouts, decode, IDM). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/deadstones.h"
#include "engine/util.h"
#include "model/policy.h"
#include "player/learned.h"
#include "model/tokenizer.h"
#include "render/dataset.h"
#include "render/render.h"

#define DEFAULT_SHARD "shards/katago9-val.vgs"

typedef struct {
    game_t g;
    stone_t to_move;
} bench_pos_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *sorted, int n, double q)
{
    int i = (int)(q * (n - 1) + 0.5);
    return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Positions: n frames spread evenly over the shard (set up as stones, the side to move from
 * the record), or random-play positions when the shard cannot be read. */
static int load_positions(const char *shard, int n, bench_pos_t *pos, char *what, size_t whatlen)
{
    char err[512];
    dataset_t *ds = dataset_open(shard, err, sizeof err);
    if (ds && dataset_info(ds)->board_size == 9 && dataset_info(ds)->n_frames >= (uint64_t)n) {
        uint64_t nf = dataset_info(ds)->n_frames;
        for (int i = 0; i < n; i++) {
            board_t b;
            stone_t tm;
            uint64_t fi = (uint64_t)i * nf / (uint64_t)n + nf / (uint64_t)(2 * n);
            if (dataset_frame_board(ds, fi, 0, &b, &tm)) die("bench genmove: cannot read frame %llu of %s",
                                                             (unsigned long long)fi, shard);
            game_init(&pos[i].g, 9, 7.0f);
            for (int p = 0; p < 81; p++)
                if (b.stones[p] != STONE_EMPTY) game_setup(&pos[i].g, p, (stone_t)b.stones[p]);
            pos[i].to_move = tm;
        }
        snprintf(what, whatlen, "%d positions spread over %s (%llu frames of validation games)", n, shard,
                 (unsigned long long)nf);
        dataset_close(ds);
        return 0;
    }
    if (ds) dataset_close(ds);
    fprintf(stderr, "bench genmove: %s: %s; using random-play positions (build the shards with `videogo data "
                    "build`)\n", shard, ds ? "not a 9x9 shard with enough frames" : err);
    rng_t rng;
    rng_seed(&rng, 20261125);
    player_t *r = player_random_new(5);
    for (int i = 0; i < n; i++) {
        game_init(&pos[i].g, 9, 7.0f);
        int depth = 5 + (int)rng_below(&rng, 60);
        stone_t c = STONE_BLACK;
        for (int m = 0; m < depth; m++, c = stone_other(c)) {
            int p;
            r->genmove(r, &pos[i].g, c, GENMOVE_NORMAL, &p);
            game_play(&pos[i].g, c, p);
        }
        pos[i].to_move = c;
    }
    r->free(r);
    snprintf(what, whatlen, "%d random-play positions", n);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: videogo bench genmove [options]\n"
            "\n"
            "Milliseconds per genmove of the learned player (9x9), p50 / p95 / mean over positions from\n"
            "validation games, against baselines timed in the same run on the same positions: the random\n"
            "player's genmove and the first stage alone (render + tokenizer encode). Then the learned\n"
            "player's mean time per stage.\n"
            "  --weights-dir DIR  the learned player's folder (default $%s or %s)\n"
            "  --ar FILE          a transformer file instead (its tokenizer/IDM beside it, else the folder's)\n"
            "  --rollouts K       rollouts per genmove (default %d); K = 1 is timed too\n"
            "  --positions N      positions (default 60)\n"
            "  --playouts N       also time the player with the tree search (N playouts, K rollouts as prior)\n"
            "  --search-threads N with --playouts: also with the search on N threads (root parallelism)\n"
            "  --threads N        CPU threads of the kernels (default 1, as `videogo gtp`)\n"
            "  --codes-from-frame the IDM reads the LDM's codes of the imagined frame\n"
            "  --sample           sampled futures instead of the K likeliest LDM codes\n"
            "  --shard FILE       validation shard (default %s)\n",
            POLICY_WEIGHTS_ENV, policy_default_weights_dir(), POLICY_DEFAULT_ROLLOUTS, DEFAULT_SHARD);
}

/* Times genmove of pl over the positions into ms[n]. */
static void time_genmove(player_t *pl, bench_pos_t *pos, int n, double *ms)
{
    for (int i = 0; i < n; i++) {
        int p;
        double t0 = time_wall();
        pl->genmove(pl, &pos[i].g, pos[i].to_move, GENMOVE_NORMAL, &p);
        ms[i] = 1e3 * (time_wall() - t0);
    }
}

static void row(const char *label, double *ms, int n, double base_p50)
{
    double sum = 0;
    for (int i = 0; i < n; i++) sum += ms[i];
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    double p50 = pct(ms, n, 0.5);
    printf("%-38s %9.4f %9.4f %9.4f", label, p50, pct(ms, n, 0.95), sum / n);
    if (base_p50 > 0) printf(" %10.1fx", p50 / base_p50);
    printf("\n");
}

int cmd_bench_genmove(int argc, char **argv)
{
    const char *wdir = NULL, *ar = NULL, *shard = DEFAULT_SHARD;
    int K = POLICY_DEFAULT_ROLLOUTS, n = 60, threads = 1, playouts = 0, sthreads = 1;
    bool codes_from_frame = false, sample = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(a, "--weights-dir")) {
            wdir = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--ar")) {
            ar = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--shard")) {
            shard = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--rollouts")) {
            K = atoi(argv[++i]);
        } else if (!strcmp(a, "--sample")) {
            sample = true;
        } else if (!strcmp(a, "--codes-from-frame")) {
            codes_from_frame = true;
        } else if (i + 1 < argc && !strcmp(a, "--threads")) {
            threads = atoi(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--playouts")) {
            playouts = atoi(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--search-threads")) {
            sthreads = atoi(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--positions")) {
            n = atoi(argv[++i]);
        } else {
            fprintf(stderr, "videogo bench genmove: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (sthreads < 1 || sthreads > SEARCH_MAX_THREADS) {
        fprintf(stderr, "videogo bench genmove: --search-threads must be 1..%d\n", SEARCH_MAX_THREADS);
        return 2;
    }
    if (K < 1 || K > POLICY_MAX_ROLLOUTS || n < 2 || n > 100000 || playouts < 0) {
        fprintf(stderr, "videogo bench genmove: --rollouts must be 1..%d, --positions 2..100000, --playouts >= 0\n",
                POLICY_MAX_ROLLOUTS);
        return 2;
    }
    int nthreads = backend_cpu()->set_threads(threads);
    policy_config_t cfg;
    policy_config_default(&cfg);
    if (wdir) policy_config_set_dir(&cfg, wdir);
    if (ar) policy_config_for(&cfg, ar, wdir);
    cfg.max_rollouts = K;
    cfg.codes_from_frame = codes_from_frame;
    cfg.top_codes = !sample;
    char err[4096];
    if (!policy_files_exist(&cfg, err, sizeof err)) {
        fprintf(stderr, "videogo bench genmove: no weights (%s); pass --weights-dir DIR or --ar FILE\n", err);
        return 1;
    }
    policy_t *pol = policy_load(&cfg, err, sizeof err);
    if (!pol) {
        fprintf(stderr, "videogo bench genmove: %s\n", err);
        return 1;
    }
    char what[600];
    bench_pos_t *pos = xcalloc((size_t)n, sizeof *pos);
    load_positions(shard, n, pos, what, sizeof what);
    double *ms = xmalloc((size_t)n * sizeof *ms);
    printf("bench genmove: %s, %d thread%s\nweights: %s\n", what, nthreads, nthreads == 1 ? "" : "s",
           policy_describe(pol));
    printf("%-38s %9s %9s %9s %11s\n", "ms per call", "p50", "p95", "mean", "p50 ratio");

    /* baseline 1: the random player */
    player_t *rnd = player_random_new(1);
    time_genmove(rnd, pos, n, ms);
    rnd->free(rnd);
    double *tmp = xmalloc((size_t)n * sizeof *tmp);
    memcpy(tmp, ms, (size_t)n * sizeof *ms);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
    free(tmp);
    row("random player genmove", ms, n, 0);

    /* baseline 2: render + encode, the pipeline's first stage, through the policy (K = 1 batch) */
    tokenizer_config_t tc;
    tokenizer_t *tok = tokenizer_build_from_file(cfg.tokenizer_path, backend_cpu(), 1);
    tc = tok->cfg;
    render_ctx_t *rc = render_ctx_new(9, tc.px);
    uint8_t *rgb = xmalloc((size_t)render_frame_bytes(tc.px));
    int *codes = xmalloc((size_t)tok->T * sizeof(int));
    for (int i = 0; i < n; i++) {
        double t0 = time_wall();
        render_ctx_frame(rc, &pos[i].g.board, rgb);
        tokenizer_encode(tok, rgb, 1, codes);
        ms[i] = 1e3 * (time_wall() - t0);
    }
    free(codes);
    free(rgb);
    render_ctx_free(rc);
    tokenizer_free(tok);
    double enc[1];
    memcpy(tmp = xmalloc((size_t)n * sizeof *tmp), ms, (size_t)n * sizeof *ms);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
    enc[0] = pct(tmp, n, 0.5);
    free(tmp);
    double base = enc[0];
    row("render + tokenizer encode (baseline)", ms, n, 0);

    /* the late-game rules' judgement (from move size*size/3 on; the set-up positions here have
     * no move history, so the player's timings below do not include it) */
    for (int i = 0; i < n; i++) {
        uint8_t st[BOARD_POINTS];
        double t0 = time_wall();
        deadstones_estimate(&pos[i].g.board, pos[i].to_move, 1, st);
        ms[i] = 1e3 * (time_wall() - t0);
    }
    row("dead-stone estimate (late-game rules)", ms, n, base);

    policy_player_opts_t po;
    policy_player_opts_default(&po);
    player_t *pl = policy_player_new(pol, &po); /* owns pol from here */
    int ks[2] = {1, K}, nk = K > 1 ? 2 : 1;
    for (int j = 0; j < nk; j++) {
        policy_player_set_rollouts(pl, ks[j]);
        policy_timing_reset(pol);
        time_genmove(pl, pos, n, ms);
        policy_timing_t t = *policy_timing(pol);
        double mean = 0;
        for (int i = 0; i < n; i++) mean += ms[i] / n;
        char label[64];
        snprintf(label, sizeof label, "learned genmove, K = %d", ks[j]);
        row(label, ms, n, base);
        double c = t.calls ? 1e3 / (double)t.calls : 0;
        double nets = 1e3 * (t.render_encode + t.transformer + t.decode + t.idm) / n;
        printf("  per pipeline run, mean ms: render+encode %.3f, transformer %.3f, decode %.3f, IDM %.3f;\n"
               "  outside the networks (legality, eyes, the dead-stone judgement when the networks prefer the pass;\n"
               "  the move-number rules do not run on these history-less positions): %.3f ms per genmove\n",
               t.render_encode * c, t.transformer * c, t.decode * c, t.idm * c, mean - nets);
    }
    if (playouts > 0) {
        char label[64];
        policy_player_set_playouts(pl, playouts);
        time_genmove(pl, pos, n, ms);
        snprintf(label, sizeof label, "learned + search, K = %d, %d playouts", K, playouts);
        row(label, ms, n, base);
        if (sthreads > 1) {
            policy_player_set_search_threads(pl, sthreads);
            time_genmove(pl, pos, n, ms);
            snprintf(label, sizeof label, "the same, search on %d threads", sthreads);
            row(label, ms, n, base);
        }
    }
    pl->free(pl);
    for (int i = 0; i < n; i++) game_free(&pos[i].g);
    free(pos);
    free(ms);
    return 0;
}
