/* eval_cli.c: the subcommands of eval/: `videogo eval gobench`, `videogo match`
 * (play, list, export), `videogo ratings` and `videogo report`. Option parsing and
 * printing only; the work is in gobench.c, match.c, ratings.c and report.c. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "engine/util.h"
#include "eval/chooser.h"
#include "eval/db.h"
#include "eval/gobench.h"
#include "eval/json.h"
#include "eval/match.h"
#include "eval/plot.h"
#include "eval/ratings.h"
#include "eval/report.h"
#include "eval/world.h"
#include "engine/sha256.h"
#include "model/policy.h"
#include "model/weights.h"

#define DEFAULT_DB "runs/videogo.db"
#define DEFAULT_ANCHOR "gnugo --level 10"
#define DEFAULT_ANCHOR_ELO 1800.0
#define DEFAULT_PRIOR 2.0

/* ---- option parsing ---- */

/* argv[*i] is `name` followed by a value (next argument) or `name=value`: returns 1 with
 * *val set (consuming the value); 0 if argv[*i] is another option; -1 if the value is
 * missing (message printed). */
static int opt(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n)) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n]) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "videogo %s: %s needs a value\n", argv[0], name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

static int parse_long(const char *cmd, const char *name, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "videogo %s: %s '%s': expected an integer in %ld..%ld\n", cmd, name, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *cmd, const char *name, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "videogo %s: %s '%s': expected a number in %g..%g\n", cmd, name, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int unknown_option(const char *cmd, const char *a)
{
    fprintf(stderr, "videogo %s: unknown option '%s' (see videogo %s --help)\n", cmd, a, cmd);
    return 2;
}

/* Creates the parent directory of the default database (runs/) on first use. */
static void ensure_db_dir(const char *db)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", db);
    char *d = dirname(buf);
    if (strcmp(d, ".") && mkdir(d, 0755) && errno != EEXIST)
        fprintf(stderr, "videogo: cannot create %s: %s\n", d, strerror(errno));
}

/* dir of path + "/" + name into out. */
/* DIR/STEM-name for the database DIR/STEM.db (STEM-ratings.png, STEM-report), so that two
 * databases in one folder do not overwrite each other's outputs. */
static void beside(const char *path, const char *name, char *out, int outlen)
{
    char buf[4096], base[4096];
    snprintf(buf, sizeof buf, "%s", path);
    snprintf(base, sizeof base, "%s", path);
    char *stem = basename(base), *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    snprintf(out, (size_t)outlen, "%s/%s-%s", dirname(buf), stem, name);
}

/* ---- eval gobench ---- */

typedef struct {
    double t0, last;
    int tty;
    int last_decile;
    const char *label;
} progress_t;

static void progress_cb(void *ctx, int done, int total)
{
    progress_t *p = ctx;
    double now = time_wall();
    if (p->tty) {
        if (done < total && now - p->last < 0.1) return;
        p->last = now;
        int width = 30, fill = total ? (int)((long)width * done / total) : width;
        double rate = done / (now - p->t0 + 1e-9), eta = rate > 0 ? (total - done) / rate : 0;
        fprintf(stderr, "\r%s [%.*s%*s] %d/%d %3d%% %.0f pos/s ETA %.0f s ", p->label, fill,
                "##############################", width - fill, "", done, total, total ? 100 * done / total : 100,
                rate, eta);
        if (done == total) fputc('\n', stderr);
    } else {
        int decile = total ? 10 * done / total : 10;
        if (decile == p->last_decile) return;
        p->last_decile = decile;
        fprintf(stderr, "%s: %d/%d positions (%d%%), %.1f s\n", p->label, done, total, 10 * decile, now - p->t0);
    }
    fflush(stderr);
}

typedef struct {
    char label[64];
    char path[4096];      /* weights, or "" for the random baseline */
    const char *paper;    /* the paper's figures for this variant */
    int order;            /* table order of discovered variants */
    bool ran;
    char error[300];
    gobench_result_t res;
} variant_t;

static void print_row(FILE *out, const variant_t *v)
{
    if (!v->ran) {
        fprintf(out, "%-24s %s\n", v->label, v->error);
        return;
    }
    const gobench_result_t *r = &v->res;
    fprintf(out, "%-24s %5ld  %5.1f [%5.1f,%5.1f]  %5.1f [%5.1f,%5.1f]  %5.1f [%5.1f,%5.1f]  %s\n", v->label, r->n,
            100 * r->legal, 100 * r->legal_lo, 100 * r->legal_hi, 100 * r->value, 100 * r->value_lo,
            100 * r->value_hi, 100 * r->best, 100 * r->best_lo, 100 * r->best_hi, v->paper ? v->paper : "-");
}

static void print_result(FILE *out, const char *player, const gobench_result_t *r)
{
    fprintf(out, "  legal rate            %6.2f%%  95%% [%.2f, %.2f]  (%ld of %ld)\n", 100 * r->legal,
            100 * r->legal_lo, 100 * r->legal_hi, r->n_legal, r->n);
    fprintf(out, "  action-value          %6.2f%%  95%% [%.2f, %.2f]  (mean of policy[chosen]/max(policy))\n",
            100 * r->value, 100 * r->value_lo, 100 * r->value_hi);
    fprintf(out, "  best-action accuracy  %6.2f%%  95%% [%.2f, %.2f]  (%ld of %ld)\n", 100 * r->best,
            100 * r->best_lo, 100 * r->best_hi, r->n_best, r->n);
    fprintf(out, "  positions %ld; passes %ld, resigns %ld; illegal: occupied %ld, suicide %ld, superko %ld, "
                 "off-board %ld; %.2f s (%.3f ms/position)\n",
            r->n, r->n_pass, r->n_resign, r->n_occupied, r->n_suicide, r->n_superko, r->n_off_board, r->seconds,
            r->n ? 1000 * r->seconds / r->n : 0);
    if (!strcmp(player, "random"))
        fprintf(out, "  note: the random player picks uniformly among legal moves that do not fill its own eye, "
                     "so its legal rate is 100%% by construction\n");
    if (!strcmp(player, "learned-play"))
        fprintf(out, "  note: learned-play is the player as it plays (legal non-eye moves only, pass rules), so its "
                     "legal rate is 100%% by construction; --player learned gives the raw figures\n");
}

/* Options of the learned choosers (--rollouts, --temperature), for every variant. */
static int g_rollouts;
static bool g_temperature_given;
static float g_temperature;
static bool g_codes_from_frame;
static int g_symmetries = 1;
static bool g_sample;

/* Runs one variant; stores it when db != NULL. */
static int run_variant(variant_t *v, const char *player, uint64_t seed, const gobench_set_t *set,
                       const char *set_path, const char *set_sha, long limit, db_t *db, bool quiet, FILE *dump)
{
    eval_chooser_opts_t co = {.weights = v->path[0] ? v->path : NULL, .seed = seed, .rollouts = g_rollouts,
                              .temperature_given = g_temperature_given, .temperature = g_temperature,
                              .codes_from_frame = g_codes_from_frame, .sample = g_sample,
                              .symmetries = g_symmetries};
    eval_chooser_t *ch = eval_chooser_new(player, &co, v->error, sizeof v->error);
    if (!ch) return -1;
    progress_t pr = {.t0 = time_wall(), .tty = isatty(2), .last_decile = -1, .label = v->label};
    int rc = gobench_run(set, ch, quiet ? NULL : progress_cb, &pr, dump, &v->res, v->error, sizeof v->error);
    ch->free(ch);
    if (rc) return -1;
    v->ran = true;
    if (!db) return 0;
    char wsha[SHA256_HEX_CHARS + 1] = "";
    if (v->path[0] && sha256_file_hex(v->path, wsha)) {
        snprintf(v->error, sizeof v->error, "cannot read %.200s for its SHA-256: %s", v->path, strerror(errno));
        return -1;
    }
    char config[4096], e_set[1024], e_w[1024], e_l[256];
    json_escape(set_path, e_set, sizeof e_set);
    json_escape(v->path, e_w, sizeof e_w);
    json_escape(v->label, e_l, sizeof e_l);
    snprintf(config, sizeof config,
             "{\"player\":\"%s\",\"seed\":%llu,\"set\":%s,\"limit\":%ld,\"weights\":%s,\"label\":%s,"
             "\"legality_masking\":false,\"version\":\"%s\"}",
             player, (unsigned long long)seed, e_set, limit, e_w, e_l, VIDEOGO_VERSION);
    db_eval_t e = {.benchmark = "gobench", .set_path = set_path, .set_sha256 = set_sha, .player = player,
                   .label = v->label, .weights_path = v->path[0] ? v->path : NULL,
                   .weights_sha256 = v->path[0] ? wsha : NULL, .config = config, .n = (int)v->res.n,
                   .n_skipped = set->n_bad, .n_pass = (int)v->res.n_pass, .legal = v->res.legal,
                   .legal_lo = v->res.legal_lo, .legal_hi = v->res.legal_hi, .value = v->res.value,
                   .value_lo = v->res.value_lo, .value_hi = v->res.value_hi, .best = v->res.best,
                   .best_lo = v->res.best_lo, .best_hi = v->res.best_hi, .seconds = v->res.seconds};
    int64_t id = db_eval_insert(db, &e);
    if (id < 0) {
        snprintf(v->error, sizeof v->error, "cannot store the result: %s", db_error(db));
        return -1;
    }
    if (!quiet) fprintf(stderr, "%s: stored as evaluation %lld\n", v->label, (long long)id);
    return 0;
}

/* Transformer files for --ablate found in dir: every ar-*.gguf (the learned chooser finds
 * each one's IDM by name, ar-X.gguf -> idm-X.gguf, else the folder's idm-9x9.gguf), labelled
 * by the horizon it records (ar.horizon: 0 = video only, no LDM) and its name. The paper's
 * figures go beside video-only (its "no LDM" 300M row) and H = 5 (its VideoWorld rows). */
/* The horizon a transformer file records (ar.horizon), or -1 when path is not one. */
static int ar_file_horizon(const char *path)
{
    weights_t w;
    char err[512];
    uint32_t h = 0;
    if (weights_open_flags(&w, path, WEIGHTS_OPEN_NO_CHECKSUM, err, sizeof err)) return -1;
    bool is_ar = w.arch && !strcmp(w.arch, "transformer") && weights_get_u32(&w, "ar.horizon", &h) == 0;
    weights_close(&w);
    return is_ar ? (int)h : -1;
}

/* The paper's figures for a horizon: its "no LDM" 300M row for video only, its VideoWorld
 * rows for H = 5, none for other H. */
static const char *paper_row(int h)
{
    return h == 0 ? "99.6 / 59.7 / 58.9 (300M, no LDM)"
           : h == 5 ? "99.7 / 83.7 / 88.1 (300M); 99.5 / 73.9 / 80.9 (50M)"
                    : "-";
}

static int discover_variants(const char *dir, variant_t *vs, int max)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "ar-", 3) || len < 8 || strcmp(e->d_name + len - 5, ".gguf")) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int h = ar_file_horizon(path);
        if (h < 0) continue;
        if (h == 0) snprintf(vs[n].label, sizeof vs[n].label, "video only %.40s", e->d_name + 3);
        else snprintf(vs[n].label, sizeof vs[n].label, "video+LDM H=%d %.36s", h, e->d_name + 3);
        vs[n].label[strlen(vs[n].label) - 5] = '\0'; /* drop ".gguf" (the name always ends so) */
        snprintf(vs[n].path, sizeof vs[n].path, "%s", path);
        vs[n].paper = paper_row(h);
        vs[n].order = h;
        n++;
    }
    closedir(d);
    for (int i = 1; i < n; i++) /* video only, then H = 1, 3, 5 */
        for (int j = i; j > 0 && (vs[j].order < vs[j - 1].order ||
                                  (vs[j].order == vs[j - 1].order && strcmp(vs[j].path, vs[j - 1].path) < 0)); j--) {
            variant_t t = vs[j];
            vs[j] = vs[j - 1];
            vs[j - 1] = t;
        }
    return n;
}

static void eval_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo eval gobench [options]\n"
            "       videogo eval world [options]  where the networks lose the move, stage by stage\n"
            "                                     (videogo eval world --help)\n"
            "  Video-GoBench figures (DESIGN.md section 6) on a labelled position set: legal rate,\n"
            "  action-value and best-action accuracy with 95%% intervals; results go to SQLite.\n"
            "  --set FILE        positions, JSON lines (default $VIDEOGO_DATA/gobench9/dev.jsonl or\n"
            "                    ../shared/data/gobench9/dev.jsonl)\n"
            "  --player NAME     move chooser:");
    for (const eval_chooser_kind_t *k = eval_chooser_kinds; k->name; k++)
        fprintf(f, "\n                      %-8s %s%s", k->name, k->help, k->make ? "" : " [not in this build yet]");
    fprintf(f,
            "\n  --weights FILE    weights of the learned player (implies --player learned)\n"
            "  --seed N          seed of sampling players (default 1)\n"
            "  --rollouts K      learned choosers: imagined futures per move (default 8): the K likeliest\n"
            "                    first LDM codes (video only: first changes of the next frame), each\n"
            "                    weighted by its probability\n"
            "  --symmetries S    learned choosers: the distribution averaged over the first S of the\n"
            "                    board's 8 symmetries (test-time augmentation, S times the work;\n"
            "                    default 1)\n"
            "  --sample          learned choosers: sampled futures (--temperature) weighted equally\n"
            "                    (paper mode: one per try, or K voting with --rollouts K)\n"
            "  --temperature T   learned choosers with --sample: the transformer's sampling temperature\n"
            "                    (default 1; 0 = greedy)\n"
            "  --codes-from-frame  learned choosers: the IDM reads the LDM's codes of the imagined frame\n"
            "                    (weights/ldm-9x9.gguf) instead of the codes the transformer imagined\n"
            "  --limit N         only the first N positions\n"
            "  --db FILE         database (default " DEFAULT_DB "); --no-db to store nothing\n"
            "  --dump FILE       per-position choices as JSON lines\n"
            "  --ablate          also evaluate every transformer file ar-*.gguf beside --weights (or in\n"
            "                    --weights-dir, default weights/), labelled by the horizon it records\n"
            "                    (0 = video only; H = 1/3/5), each with its IDM (ar-X.gguf -> idm-X.gguf,\n"
            "                    else idm-9x9.gguf); plus any --variant LABEL=FILE; prints a table with\n"
            "                    the random baseline and the paper's figures beside\n"
            "  --quiet           no progress bar\n");
}

int cmd_eval(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        eval_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "world")) return cmd_eval_world(argc - 1, argv + 1);
    if (strcmp(argv[1], "gobench")) {
        fprintf(stderr, "videogo eval: unknown benchmark '%s' (known: gobench, world)\n", argv[1]);
        return 2;
    }
    const char *set_path = NULL, *player = NULL, *weights = NULL, *db_path = DEFAULT_DB, *dump_path = NULL,
               *weights_dir = NULL, *val;
    char default_set[4096];
    long seed = 1, limit = 0;
    bool ablate = false, quiet = false, no_db = false;
    variant_t *vs = xcalloc(64, sizeof *vs);
    int nv = 0, r;
    const char *cmd = "eval gobench";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            eval_usage(stdout);
            free(vs);
            return 0;
        }
        if ((r = opt(argc, argv, &i, "--set", &val))) set_path = val;
        else if ((r = opt(argc, argv, &i, "--player", &val))) player = val;
        else if ((r = opt(argc, argv, &i, "--weights", &val))) weights = val;
        else if ((r = opt(argc, argv, &i, "--weights-dir", &val))) weights_dir = val;
        else if ((r = opt(argc, argv, &i, "--db", &val))) db_path = val;
        else if ((r = opt(argc, argv, &i, "--dump", &val))) dump_path = val;
        else if ((r = opt(argc, argv, &i, "--seed", &val)) > 0) r = parse_long(cmd, "--seed", val, 0, LONG_MAX, &seed) ? -1 : 1;
        else if ((r = opt(argc, argv, &i, "--limit", &val)) > 0) r = parse_long(cmd, "--limit", val, 0, 100000000, &limit) ? -1 : 1;
        else if ((r = opt(argc, argv, &i, "--symmetries", &val)) > 0) {
            long k;
            r = parse_long(cmd, "--symmetries", val, 1, 8, &k) ? -1 : 1;
            g_symmetries = (int)k;
        } else if ((r = opt(argc, argv, &i, "--rollouts", &val)) > 0) {
            long k;
            r = parse_long(cmd, "--rollouts", val, 1, POLICY_MAX_ROLLOUTS, &k) ? -1 : 1;
            g_rollouts = (int)k;
        } else if ((r = opt(argc, argv, &i, "--temperature", &val)) > 0) {
            char *end;
            double t = strtod(val, &end);
            if (*end || end == val || !(t >= 0 && t <= 100)) {
                fprintf(stderr, "videogo %s: --temperature wants a number in 0..100, got '%s'\n", cmd, val);
                r = -1;
            } else {
                g_temperature_given = true;
                g_temperature = (float)t;
            }
        }
        else if ((r = opt(argc, argv, &i, "--variant", &val)) > 0) {
            const char *eq = strchr(val, '=');
            if (!eq || eq == val || !eq[1] || nv >= 60) {
                fprintf(stderr, "videogo %s: --variant wants LABEL=FILE\n", cmd);
                r = -1;
            } else {
                snprintf(vs[nv].label, sizeof vs[nv].label, "%.*s", (int)(eq - val), val);
                snprintf(vs[nv].path, sizeof vs[nv].path, "%s", eq + 1);
                nv++;
            }
        } else if (!strcmp(a, "--ablate")) ablate = true, r = 1;
        else if (!strcmp(a, "--codes-from-frame")) g_codes_from_frame = true, r = 1;
        else if (!strcmp(a, "--sample")) g_sample = true, r = 1;
        else if (!strcmp(a, "--quiet")) quiet = true, r = 1;
        else if (!strcmp(a, "--no-db")) no_db = true, r = 1;
        else {
            free(vs);
            return unknown_option(cmd, a);
        }
        if (r < 0) {
            free(vs);
            return 2;
        }
    }
    if (!set_path) {
        const char *data = getenv("VIDEOGO_DATA");
        snprintf(default_set, sizeof default_set, "%s/gobench9/dev.jsonl", data ? data : "../shared/data");
        set_path = default_set;
    }
    if (!player) player = weights ? "learned" : "random";
    if (nv && !ablate) {
        fprintf(stderr, "videogo %s: --variant only makes sense with --ablate\n", cmd);
        free(vs);
        return 2;
    }

    /* Fail before the long part when the player cannot be built at all. */
    const eval_chooser_kind_t *kind = eval_chooser_kind(player);
    char err[600];
    if (!kind || (!kind->make && !ablate)) {
        eval_chooser_opts_t co = {.weights = weights};
        eval_chooser_new(player, &co, err, sizeof err);
        fprintf(stderr, "videogo %s: %s\n", cmd, err);
        free(vs);
        return 1;
    }
    gobench_set_t set;
    if (gobench_load(set_path, &set, stderr, err, sizeof err)) {
        fprintf(stderr, "videogo %s: %s\n", cmd, err);
        free(vs);
        return 1;
    }
    if (limit > 0 && limit < set.n) {
        for (int i = (int)limit; i < set.n; i++) gobench_pos_free(&set.pos[i]);
        set.n = (int)limit;
    }
    if (set.n == 0) {
        fprintf(stderr, "videogo %s: %s has no usable positions (%d bad lines)\n", cmd, set_path, set.n_bad);
        gobench_set_free(&set);
        free(vs);
        return 1;
    }
    char set_sha[SHA256_HEX_CHARS + 1];
    if (sha256_file_hex(set_path, set_sha)) set_sha[0] = 0;
    db_t *db = NULL;
    if (!no_db) {
        if (!strcmp(db_path, DEFAULT_DB)) ensure_db_dir(db_path);
        if (!(db = db_open(db_path, err, sizeof err))) {
            fprintf(stderr, "videogo %s: %s\n", cmd, err);
            gobench_set_free(&set);
            free(vs);
            return 1;
        }
    }
    FILE *dump = NULL;
    if (dump_path && !(dump = fopen(dump_path, "w"))) {
        fprintf(stderr, "videogo %s: cannot write %s: %s\n", cmd, dump_path, strerror(errno));
        gobench_set_free(&set);
        db_close(db);
        free(vs);
        return 1;
    }
    printf("gobench: %s: %d positions (%d bad lines skipped), SHA-256 %.16s...\n", set_path, set.n, set.n_bad,
           set_sha);

    int status = 0;
    if (!ablate) {
        variant_t v = {0};
        snprintf(v.label, sizeof v.label, "%s", player);
        if (weights) snprintf(v.path, sizeof v.path, "%s", weights);
        if (run_variant(&v, player, (uint64_t)seed, &set, set_path, set_sha, limit, db, quiet, dump)) {
            fprintf(stderr, "videogo %s: %s\n", cmd, v.error);
            status = 1;
        } else {
            printf("player %s%s%s (seed %ld), no legality masking:\n", player, weights ? ", weights " : "",
                   weights ? weights : "", seed);
            print_result(stdout, player, &v.res);
        }
    } else {
        /* Table: random baseline, then the variants. */
        variant_t *all = xcalloc(66, sizeof *all);
        int na = 0;
        snprintf(all[na].label, sizeof all[na].label, "random baseline");
        all[na++].paper = "-";
        if (weights) {
            int h = ar_file_horizon(weights);
            if (h == 0) snprintf(all[na].label, sizeof all[na].label, "video only (--weights)");
            else if (h > 0) snprintf(all[na].label, sizeof all[na].label, "video+LDM H=%d (--weights)", h);
            else snprintf(all[na].label, sizeof all[na].label, "--weights");
            snprintf(all[na].path, sizeof all[na].path, "%s", weights);
            all[na++].paper = h >= 0 ? paper_row(h) : "-";
        }
        char dirbuf[4096];
        struct stat wst;
        snprintf(dirbuf, sizeof dirbuf, "%s/x", policy_default_weights_dir());
        if (weights) snprintf(dirbuf, sizeof dirbuf, "%s", weights);
        const char *dir = weights_dir                                            ? weights_dir
                          : weights && stat(weights, &wst) == 0 && S_ISDIR(wst.st_mode) ? weights
                                                                                 : dirname(dirbuf);
        variant_t found[16];
        memset(found, 0, sizeof found);
        int nf = discover_variants(dir, found, 16);
        for (int k = 0; k < nf && na < 66; k++)
            if (!weights || strcmp(found[k].path, weights)) all[na++] = found[k];
        for (int k = 0; k < nv && na < 66; k++) all[na++] = vs[k];
        if (na == 1) printf("no transformer weights found in %s (looked for ar-*.gguf)\n", dir);
        for (int k = 0; k < na; k++)
            if (run_variant(&all[k], k == 0 ? "random" : strcmp(player, "learned-play") ? "learned" : "learned-play",
                            (uint64_t)seed, &set, set_path, set_sha, limit,
                            db, quiet, NULL))
                status = 1;
        printf("\n%-24s %5s  %-19s  %-19s  %-19s  %s\n", "variant", "n", "legal % [95%]", "action-value %",
               "best-action %", "paper: legal / AV / best (%)");
        for (int k = 0; k < na; k++) print_row(stdout, &all[k]);
        free(all);
    }
    if (dump) fclose(dump);
    db_close(db);
    gobench_set_free(&set);
    free(vs);
    return status;
}

/* ---- match ---- */

static void match_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo match --black CMD --white CMD [options]\n"
            "       videogo match list [--db FILE]\n"
            "       videogo match export [--db FILE] [--match-id ID] [--dat OUT.dat] [--pgn OUT.pgn] [--sgf-dir DIR]\n"
            "  Plays two GTP engines with alternating colours (game i swaps colours when i is odd),\n"
            "  Chinese area scoring, positional superko. A game ends on two passes, resignation or the\n"
            "  move limit; an illegal move, a timeout or a crash loses. The result is the engines'\n"
            "  final_score when both agree, else videogo's own scoring. Every finished game is saved in\n"
            "  one transaction; rerunning the same command resumes the match.\n"
            "  --black CMD, --white CMD  engine command lines (run with /bin/sh -c), e.g.\n"
            "                    \"videogo gtp --player random\", \"gnugo --mode gtp --level 10 --chinese-rules\"\n"
            "                    {game} in a command becomes the game's index (0-based): \"videogo gtp --seed {game}\"\n"
            "                    plays different, reproducible games against a deterministic opponent\n"
            "  --games N         games in the match (default 10)\n"
            "  --size N          board size (default 9)\n"
            "  --komi K          komi (default 7)\n"
            "  --max-moves N     move limit (default 4*size*size, at least 400)\n"
            "  --timeout S       seconds per genmove before the engine forfeits (default 120)\n"
            "  --threads N       games played in parallel (default 1)\n"
            "  --db FILE         database (default " DEFAULT_DB ")\n"
            "  --match-id ID     resume this match (must have the same engines, size, komi)\n"
            "  --new             start a new match even if one with these parameters exists\n"
            "  --black-label L, --white-label L   names for new engines in tables and PGN\n"
            "                    (default: the engine's name and version answers, plus the options of\n"
            "                    its command line that the other's lacks)\n"
            "  --ko RULE         superko (default: positional superko) or simple (only an immediate\n"
            "                    retake is illegal, as KataGo's \"chinese\" rules and GNU Go play); the\n"
            "                    referee applies it and engines that know kata-set-rule are told it\n"
            "  --scoring RULE    who won a game that ended in two passes: tromp-taylor (default: the\n"
            "                    final board as it stands, as CGOS and tournament referees count; dead\n"
            "                    stones must be captured), agreed (both engines' final_score when they\n"
            "                    agree, else our estimate) or estimate (our dead-stone estimate)\n"
            "  --log-dir DIR     engines' stderr to DIR/m<match>-g<game>-<colour>.log (default: discarded)\n"
            "  --quiet           no progress lines\n"
            "  export: --dat writes gogui-twogtp's table of one match (default: the latest), --pgn\n"
            "  (BayesElo/Ordo; [White]/[Black] are the Go colours) and --sgf-dir (m<match>-<game>.sgf)\n"
            "  cover every match unless --match-id is given.\n");
}

static int match_list(const char *db_path)
{
    char err[600];
    db_t *db = db_open_readonly(db_path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "videogo match list: %s\n", err);
        return 1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT m.id, m.size, m.komi, m.games_total, COUNT(g.id), m.created, m.black_cmd, m.white_cmd "
                           "FROM matches m LEFT JOIN games g ON g.match_id = m.id GROUP BY m.id ORDER BY m.id",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "videogo match list: %s\n", sqlite3_errmsg(db->h));
        db_close(db);
        return 1;
    }
    printf("%4s  %4s  %5s  %9s  %-20s  %s\n", "id", "size", "komi", "games", "created", "A (black in game 0) vs B");
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("%4lld  %4d  %5g  %4d/%-4d  %-20s  %s  vs  %s\n", (long long)sqlite3_column_int64(st, 0),
               sqlite3_column_int(st, 1), sqlite3_column_double(st, 2), sqlite3_column_int(st, 4),
               sqlite3_column_int(st, 3), sqlite3_column_text(st, 5), sqlite3_column_text(st, 6),
               sqlite3_column_text(st, 7));
    sqlite3_finalize(st);
    db_close(db);
    return 0;
}

static int match_export(int argc, char **argv)
{
    const char *db_path = DEFAULT_DB, *dat = NULL, *pgn = NULL, *sgf_dir = NULL, *val;
    long match_id = 0;
    const char *cmd = "match export";
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            match_usage(stdout);
            return 0;
        }
        if ((r = opt(argc, argv, &i, "--db", &val))) db_path = val;
        else if ((r = opt(argc, argv, &i, "--dat", &val))) dat = val;
        else if ((r = opt(argc, argv, &i, "--pgn", &val))) pgn = val;
        else if ((r = opt(argc, argv, &i, "--sgf-dir", &val))) sgf_dir = val;
        else if ((r = opt(argc, argv, &i, "--match-id", &val)) > 0)
            r = parse_long(cmd, "--match-id", val, 1, LONG_MAX, &match_id) ? -1 : 1;
        else return unknown_option(cmd, a);
        if (r < 0) return 2;
    }
    if (!dat && !pgn && !sgf_dir) {
        fprintf(stderr, "videogo %s: nothing to do: give --dat, --pgn and/or --sgf-dir\n", cmd);
        return 2;
    }
    char err[600];
    db_t *db = db_open_readonly(db_path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "videogo %s: %s\n", cmd, err);
        return 1;
    }
    int status = 0;
    if (dat) {
        long id = match_id;
        if (!id) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(db->h, "SELECT MAX(id) FROM matches", -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW) id = (long)sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
            }
        }
        FILE *f = id ? fopen(dat, "w") : NULL;
        if (!id) {
            fprintf(stderr, "videogo %s: no match in %s\n", cmd, db_path);
            status = 1;
        } else if (!f) {
            fprintf(stderr, "videogo %s: cannot write %s: %s\n", cmd, dat, strerror(errno));
            status = 1;
        } else {
            if (match_export_dat(db, id, f, err, sizeof err)) {
                fprintf(stderr, "videogo %s: %s\n", cmd, err);
                status = 1;
            }
            if (fclose(f)) status = 1;
            if (!status) printf("wrote %s (match %ld)\n", dat, id);
        }
    }
    if (pgn && !status) {
        FILE *f = fopen(pgn, "w");
        if (!f || match_export_pgn(db, match_id, f, err, sizeof err)) {
            fprintf(stderr, "videogo %s: %s\n", cmd, f ? err : strerror(errno));
            status = 1;
        }
        if (f && fclose(f)) status = 1;
        if (!status) printf("wrote %s\n", pgn);
    }
    if (sgf_dir && !status) {
        int n = match_export_sgf(db, match_id, sgf_dir, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "videogo %s: %s\n", cmd, err);
            status = 1;
        } else printf("wrote %d SGF files into %s\n", n, sgf_dir);
    }
    db_close(db);
    return status;
}

int cmd_match(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "export")) return match_export(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "list")) {
        const char *db_path = DEFAULT_DB, *val;
        for (int i = 2; i < argc; i++) {
            int r = opt(argc, argv, &i, "--db", &val);
            if (r < 0) return 2;
            if (r) db_path = val;
            else return unknown_option("match list", argv[i]);
        }
        return match_list(db_path);
    }
    match_opts_t o = {.games = 10, .size = 9, .komi = 7, .timeout_s = 120, .threads = 1};
    const char *db_path = DEFAULT_DB, *val, *cmd = "match";
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long l;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            match_usage(stdout);
            return 0;
        }
        if ((r = opt(argc, argv, &i, "--black", &val))) o.black_cmd = val;
        else if ((r = opt(argc, argv, &i, "--white", &val))) o.white_cmd = val;
        else if ((r = opt(argc, argv, &i, "--black-label", &val))) o.black_label = val;
        else if ((r = opt(argc, argv, &i, "--white-label", &val))) o.white_label = val;
        else if ((r = opt(argc, argv, &i, "--db", &val))) db_path = val;
        else if ((r = opt(argc, argv, &i, "--log-dir", &val))) o.log_dir = val;
        else if ((r = opt(argc, argv, &i, "--ko", &val)) > 0) {
            if (strcmp(val, "simple") && strcmp(val, "superko")) {
                fprintf(stderr, "videogo %s: --ko is superko or simple, not '%s'\n", cmd, val);
                return 2;
            }
            o.simple_ko = !strcmp(val, "simple");
        } else if ((r = opt(argc, argv, &i, "--scoring", &val)) > 0) {
            if (match_scoring_parse(val, &o.scoring)) {
                fprintf(stderr, "videogo %s: --scoring is tromp-taylor, agreed or estimate, not '%s'\n", cmd, val);
                return 2;
            }
        }
        else if ((r = opt(argc, argv, &i, "--games", &val)) > 0)
            r = parse_long(cmd, "--games", val, 1, 1000000, &l) ? -1 : (o.games = (int)l, 1);
        else if ((r = opt(argc, argv, &i, "--size", &val)) > 0)
            r = parse_long(cmd, "--size", val, 2, 25, &l) ? -1 : (o.size = (int)l, 1);
        else if ((r = opt(argc, argv, &i, "--max-moves", &val)) > 0)
            r = parse_long(cmd, "--max-moves", val, 1, 100000, &l) ? -1 : (o.max_moves = (int)l, 1);
        else if ((r = opt(argc, argv, &i, "--threads", &val)) > 0)
            r = parse_long(cmd, "--threads", val, 1, 256, &l) ? -1 : (o.threads = (int)l, 1);
        else if ((r = opt(argc, argv, &i, "--match-id", &val)) > 0)
            r = parse_long(cmd, "--match-id", val, 1, LONG_MAX, &l) ? -1 : (o.match_id = l, 1);
        else if ((r = opt(argc, argv, &i, "--komi", &val)) > 0)
            r = parse_double(cmd, "--komi", val, -1000, 1000, &o.komi) ? -1 : 1;
        else if ((r = opt(argc, argv, &i, "--timeout", &val)) > 0)
            r = parse_double(cmd, "--timeout", val, 0.001, 1e6, &o.timeout_s) ? -1 : 1;
        else if (!strcmp(a, "--new")) o.force_new = true, r = 1;
        else if (!strcmp(a, "--quiet")) o.quiet = true, r = 1;
        else return unknown_option(cmd, a);
        if (r < 0) return 2;
    }
    if (!o.black_cmd || !o.white_cmd || !*o.black_cmd || !*o.white_cmd) {
        fprintf(stderr, "videogo match: --black CMD and --white CMD are required (see videogo match --help)\n");
        return 2;
    }
    if (!strcmp(db_path, DEFAULT_DB)) ensure_db_dir(db_path);
    char err[1200];
    if (match_run(db_path, &o, stdout, err, sizeof err)) {
        fprintf(stderr, "videogo match: %s\n", err);
        return 1;
    }
    return 0;
}

/* ---- ratings and report ---- */

/* Options shared by ratings and report; returns 1 if consumed, 0 if not, -1 on error. */
static int rating_opt(int argc, char **argv, int *i, const char *cmd, report_opts_t *o)
{
    const char *val;
    int r;
    if ((r = opt(argc, argv, i, "--anchor", &val))) {
        if (r > 0) o->anchor = val;
        return r;
    }
    if ((r = opt(argc, argv, i, "--anchor-elo", &val)) > 0)
        return parse_double(cmd, "--anchor-elo", val, -1e5, 1e5, &o->rating.anchor_elo) ? -1 : 1;
    if (r) return r;
    if ((r = opt(argc, argv, i, "--prior", &val)) > 0)
        return parse_double(cmd, "--prior", val, 0, 1e6, &o->rating.prior_games) ? -1 : 1;
    return r;
}

static const char rating_help[] =
    "  --anchor PATTERN  engine held at --anchor-elo: its label, or words of its command in order\n"
    "                    (default \"" DEFAULT_ANCHOR "\", which matches \"gnugo --mode gtp --level 10 ...\")\n"
    "  --anchor-elo E    the anchor's rating (default 1800, as CGOS)\n"
    "  --prior G         virtual draws per player against the anchor's rating (default 2, as\n"
    "                    BayesElo's prior; 0 = plain maximum likelihood)\n";

int cmd_ratings(int argc, char **argv)
{
    report_opts_t o = {.anchor = DEFAULT_ANCHOR, .rating = {.prior_games = DEFAULT_PRIOR, .anchor_elo = DEFAULT_ANCHOR_ELO}};
    const char *db_path = DEFAULT_DB, *png = NULL, *val;
    bool no_png = false;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: videogo ratings [--db FILE] [--png FILE | --no-png] [rating options]\n"
                   "  Bradley-Terry maximum-likelihood Elo over every recorded game (as BayesElo), with\n"
                   "  95%% error bars from the inverse Hessian; a table on stdout and a PNG ladder.\n"
                   "  --db FILE         database (default " DEFAULT_DB ")\n"
                   "  --png FILE        ladder plot (default DIR/STEM-ratings.png for the database DIR/STEM.db)\n%s",
                   rating_help);
            return 0;
        }
        if ((r = rating_opt(argc, argv, &i, "ratings", &o))) {
            if (r < 0) return 2;
        } else if ((r = opt(argc, argv, &i, "--db", &val))) {
            if (r < 0) return 2;
            db_path = val;
        } else if ((r = opt(argc, argv, &i, "--png", &val))) {
            if (r < 0) return 2;
            png = val;
        } else if (!strcmp(a, "--no-png")) no_png = true;
        else return unknown_option("ratings", a);
    }
    if (access(db_path, F_OK)) {
        fprintf(stderr, "videogo ratings: no database %s (play a match first: videogo match --help)\n", db_path);
        return 1;
    }
    char err[600], png_buf[4096];
    if (!png) {
        beside(db_path, "ratings.png", png_buf, sizeof png_buf); /* runs/videogo.db -> runs/videogo-ratings.png */
        png = png_buf;
    }
    db_t *db = db_open_readonly(db_path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "videogo ratings: %s\n", err);
        return 1;
    }
    int rc = report_ratings(db, &o, stdout, no_png ? NULL : png, err, sizeof err);
    db_close(db);
    plot_release_fonts();
    if (rc) {
        fprintf(stderr, "videogo ratings: %s\n", err);
        return 1;
    }
    if (!no_png) printf("ladder plot: %s\n", png);
    return 0;
}

int cmd_report(int argc, char **argv)
{
    report_opts_t o = {.anchor = DEFAULT_ANCHOR, .rating = {.prior_games = DEFAULT_PRIOR, .anchor_elo = DEFAULT_ANCHOR_ELO}};
    const char *db_path = DEFAULT_DB, *out_dir = NULL, *val;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: videogo report [--db FILE] [--out DIR] [rating options]\n"
                   "  Training curves (loss vs step per run), the evaluation history and the rating\n"
                   "  ladder as PNG, and a short text summary (DIR/summary.txt, also printed).\n"
                   "  --db FILE         database (default " DEFAULT_DB ")\n"
                   "  --out DIR         output folder (default DIR/STEM-report for the database DIR/STEM.db)\n%s",
                   rating_help);
            return 0;
        }
        if ((r = rating_opt(argc, argv, &i, "report", &o))) {
            if (r < 0) return 2;
        } else if ((r = opt(argc, argv, &i, "--db", &val))) {
            if (r < 0) return 2;
            db_path = val;
        } else if ((r = opt(argc, argv, &i, "--out", &val))) {
            if (r < 0) return 2;
            out_dir = val;
        } else return unknown_option("report", a);
    }
    if (access(db_path, F_OK)) {
        fprintf(stderr, "videogo report: no database %s (videogo match / eval / training create it)\n", db_path);
        return 1;
    }
    char err[600], dir_buf[4096];
    if (!out_dir) {
        beside(db_path, "report", dir_buf, sizeof dir_buf);
        out_dir = dir_buf;
    }
    db_t *db = db_open_readonly(db_path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "videogo report: %s\n", err);
        return 1;
    }
    int rc = report_write(db, &o, out_dir, stdout, err, sizeof err);
    db_close(db);
    plot_release_fonts();
    if (rc) {
        fprintf(stderr, "videogo report: %s\n", err);
        return 1;
    }
    return 0;
}
