/* train_cli.c: `videogo train NET ...`: dispatch over a table of trainable networks (one
 * line per net; each trainer's entry point is declared in train/train.h). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "train/train.h"
#include "engine/util.h"
#include "model/weights.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void train_stop_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int train_stop_requested(void)
{
    return stop_requested != 0;
}

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} train_entry_t;

static const train_entry_t trainers[] = {
    {"tokenizer", cmd_train_tokenizer, "frame -> 16 FSQ tokens autoencoder (model/tokenizer.h)"},
    {"ldm", cmd_train_ldm, "latent dynamics model: x_t..x_{t+H} -> H FSQ action codes (model/ldm.h)"},
    {"idm", cmd_train_idm, "inverse dynamics model: (x_t, x^_{t+1}, z_t) -> 82 move logits, few labels (model/idm.h)"},
    {"ar", cmd_train_ar, "autoregressive world model over tokenizer + LDM codes (model/transformer.h)"},
};

#define N_TRAINERS (sizeof trainers / sizeof trainers[0])

static void train_usage(FILE *f)
{
    fprintf(f, "usage: videogo train NET [options]   (videogo train NET --help for details)\n\nnetworks:\n");
    for (size_t i = 0; i < N_TRAINERS; i++) fprintf(f, "  %-12s %s\n", trainers[i].name, trainers[i].help);
}

int cmd_train(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        train_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < N_TRAINERS; i++)
        if (!strcmp(argv[1], trainers[i].name)) return trainers[i].run(argc - 1, argv + 1);
    fprintf(stderr, "videogo train: unknown network '%s'\n", argv[1]);
    train_usage(stderr);
    return 2;
}

/* ---- helpers shared by the trainers (declared in train.h) ---- */

void train_mkdir_parent(const char *path)
{
    char d[4096];
    int n = snprintf(d, sizeof d, "%s", path);
    if (n < 0 || (size_t)n >= sizeof d) die("path too long: %s", path);
    char *slash = strrchr(d, '/');
    if (!slash) return;
    *slash = 0;
    for (char *q = d + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            mkdir(d, 0777);
            *q = '/';
        }
    if (mkdir(d, 0777) && errno != EEXIST) die("cannot create %s: %s", d, strerror(errno));
}

int train_parse_int(const char *s, const char *opt, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) die("%s: '%s' is not an integer in %ld..%ld", opt, s, lo, hi);
    return (int)v;
}

double train_parse_double(const char *s, const char *opt)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) die("%s: '%s' is not a number", opt, s);
    return v;
}

void train_weights_sha256(const char *path, char hex[65])
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    hex[0] = 0;
    if (weights_open_flags(&w, path, WEIGHTS_OPEN_NO_CHECKSUM, err, sizeof err)) return;
    const char *s = NULL;
    if (!weights_get_str(&w, "videogo.sha256", &s) && s) snprintf(hex, 65, "%s", s);
    weights_close(&w);
}

void train_sched_write(weights_writer_t *w, const train_sched_t *s, double elapsed_s)
{
    weights_writer_kv_f64(w, "train.elapsed_s", elapsed_s);
    weights_writer_kv_u64(w, "train.batch", (uint64_t)s->batch);
    weights_writer_kv_u64(w, "train.steps", (uint64_t)s->steps);
    weights_writer_kv_u64(w, "train.warmup", (uint64_t)s->warmup);
    weights_writer_kv_f64(w, "train.lr", s->lr);
}

void train_sched_read(const weights_t *w, train_sched_t *s, double *elapsed_s)
{
    double el = 0, d;
    uint64_t u;
    if (weights_get_f64(w, "train.elapsed_s", &el)) el = 0;
    *elapsed_s = el;
    if (!s->given_batch && !weights_get_u64(w, "train.batch", &u) && u >= 1 && u <= 4096) s->batch = (int)u;
    if (!s->given_steps && !weights_get_u64(w, "train.steps", &u) && u >= 1 && u <= 2000000000) s->steps = (long)u;
    if (!s->given_warmup && !weights_get_u64(w, "train.warmup", &u) && u <= 100000000) s->warmup = (int)u;
    if (!s->given_lr && !weights_get_f64(w, "train.lr", &d)) s->lr = d;
}

char **train_command(int argc, char **argv, int *cmd_argc)
{
    char **cmd = xmalloc(((size_t)argc + 2) * sizeof(char *));
    cmd[0] = "videogo";
    cmd[1] = "train";
    for (int i = 0; i < argc; i++) cmd[i + 2] = argv[i];
    *cmd_argc = argc + 2;
    return cmd;
}

dataset_t *train_open_shard(const char *path, int train)
{
    char err[1024];
    if (train && dataset_path_forbidden(path)) die("%s is a gobench9 (held-out) path: never train on it", path);
    dataset_t *ds = dataset_open(path, err, sizeof err);
    if (!ds) die("%s\nhint: build the shards with `videogo data build`", err);
    return ds;
}

db_t *train_db_begin(int use_db, const char *db_path, const char *net, const char *config_json, int resume,
                     int64_t *run_id)
{
    *run_id = -1;
    if (!use_db) return NULL;
    char err[1024];
    train_mkdir_parent(db_path);
    db_t *db = db_open(db_path, err, (int)sizeof err);
    if (!db) die("%s\nhint: --db FILE, or --no-db", err);
    *run_id = db_train_run_begin(db, net, config_json, resume ? "resumed" : NULL);
    if (*run_id < 0) die("%s: %s", db_path, db_error(db));
    return db;
}

void train_db_end(db_t *db, int64_t run_id, int done, const char *weights)
{
    if (!db) return;
    char hex[65];
    train_weights_sha256(weights, hex);
    db_train_run_end(db, run_id, done ? "done" : "stopped", weights, hex[0] ? hex : NULL);
    db_close(db);
}

train_common_t train_common_defaults(void)
{
    return (train_common_t){
        .preset = "cpu",
        .train = "shards/katago9-train.vgs",
        .val = "shards/katago9-val.vgs",
        .db = "runs/videogo.db",
        .sched = {.steps = 20000, .batch = 32, .warmup = 200, .lr = 1e-3},
        .ckpt_every = 180,
        .seed = 1,
        .threads = 1,
        .eval_every = 1000,
        .log_every = 50,
    };
}

int train_parse_opts(int argc, char **argv, train_common_t *c, const train_opt_t *opts, int n, void (*usage)(FILE *))
{
    /* the rows of train_common_t; the trainer's own rows are looked up first */
    const train_opt_t shared[] = {
        /* what is trained, on what */
        {"--preset", TRAIN_OPT_STR, &c->preset, 0, 0, NULL},
        {"--train", TRAIN_OPT_STR, &c->train, 0, 0, NULL},
        {"--val", TRAIN_OPT_STR, &c->val, 0, 0, NULL},
        {"--seed", TRAIN_OPT_U64, &c->seed, 0, 0, NULL},
        /* the schedule the checkpoint keeps (given_*: the command line wins on --resume) */
        {"--steps", TRAIN_OPT_LONG, &c->sched.steps, 1, 2000000000, &c->sched.given_steps},
        {"--batch", TRAIN_OPT_INT, &c->sched.batch, 1, 4096, &c->sched.given_batch},
        {"--lr", TRAIN_OPT_DOUBLE, &c->sched.lr, 0, 0, &c->sched.given_lr},
        {"--warmup", TRAIN_OPT_INT, &c->sched.warmup, 0, 100000000, &c->sched.given_warmup},
        /* when this process stops */
        {"--minutes", TRAIN_OPT_DOUBLE, &c->minutes, 0, 0, NULL},
        {"--stop-at", TRAIN_OPT_LONG, &c->stop_at, 1, 2000000000, NULL},
        /* files: weights, checkpoint, SQLite */
        {"--out", TRAIN_OPT_STR, &c->out, 0, 0, NULL},
        {"--ckpt", TRAIN_OPT_STR, &c->ckpt, 0, 0, NULL},
        {"--resume", TRAIN_OPT_FLAG, &c->resume, 0, 0, NULL},
        {"--db", TRAIN_OPT_STR, &c->db, 0, 0, NULL},
        {"--no-db", TRAIN_OPT_FLAG, &c->no_db, 0, 0, NULL},
        /* threads and cadence */
        {"--threads", TRAIN_OPT_INT, &c->threads, 1, 256, NULL},
        {"--ckpt-every", TRAIN_OPT_DOUBLE, &c->ckpt_every, 0, 0, NULL},
        {"--eval-every", TRAIN_OPT_INT, &c->eval_every, 1, 2000000000, NULL},
        {"--log-every", TRAIN_OPT_INT, &c->log_every, 1, 2000000000, NULL},
    };
    const int n_shared = (int)(sizeof shared / sizeof shared[0]);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        const train_opt_t *o = NULL;
        for (int k = 0; k < n && !o; k++)
            if (!strcmp(a, opts[k].name)) o = &opts[k];
        for (int k = 0; k < n_shared && !o; k++)
            if (!strcmp(a, shared[k].name)) o = &shared[k];
        if (!o || (o->kind != TRAIN_OPT_FLAG && i + 1 >= argc)) {
            fprintf(stderr, "videogo train %s: %s option: %s\n", argv[0], o ? "missing value for the" : "unknown", a);
            usage(stderr);
            return 2;
        }
        const char *v = o->kind == TRAIN_OPT_FLAG ? NULL : argv[++i];
        switch (o->kind) {
        case TRAIN_OPT_FLAG: *(int *)o->dst = 1; break;
        case TRAIN_OPT_INT: *(int *)o->dst = train_parse_int(v, a, o->lo, o->hi); break;
        case TRAIN_OPT_LONG: *(long *)o->dst = train_parse_int(v, a, o->lo, o->hi); break;
        case TRAIN_OPT_DOUBLE: *(double *)o->dst = train_parse_double(v, a); break;
        case TRAIN_OPT_U64: *(uint64_t *)o->dst = (uint64_t)strtoull(v, NULL, 0); break;
        case TRAIN_OPT_STR: *(const char **)o->dst = v; break;
        }
        if (o->given) *o->given = 1;
    }
    return -1;
}
