/* train.h: the per-network entry points of `videogo train NET` (train/train_cli.c holds the
 * table). Each trainer parses its own options (argv[0] is the network's name), reports
 * progress on stderr, logs to SQLite (eval/db.h training tables), checkpoints with
 * model/checkpoint.h and resumes bit-identically with --resume. Add your net's line here
 * and in the table of train_cli.c. */
#ifndef VIDEOGO_TRAIN_TRAIN_H
#define VIDEOGO_TRAIN_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "eval/db.h"
#include "model/weights.h"
#include "render/dataset.h"

int cmd_train_tokenizer(int argc, char **argv); /* train/tokenizer_train.c */
int cmd_train_ldm(int argc, char **argv);       /* train/ldm_train.c */
int cmd_train_idm(int argc, char **argv);       /* train/idm_train.c */
int cmd_train_ar(int argc, char **argv);        /* train/ar_train.c */

/* Helpers every trainer's option parsing and bookkeeping uses (train/train_cli.c). They die
 * with a clear message on bad input: trainers are programs, not GTP paths. */
void train_mkdir_parent(const char *path);                          /* mkdir -p of path's folder */
int train_parse_int(const char *s, const char *opt, long lo, long hi); /* integer in lo..hi */
double train_parse_double(const char *s, const char *opt);          /* finite number */
/* The videogo.sha256 key of a weights file into hex (65 bytes); "" if it cannot be read. */
void train_weights_sha256(const char *path, char hex[65]);

/* Table-driven option parsing: each entry names an option, what it holds and where it goes. */
typedef enum {
    TRAIN_OPT_FLAG,      /* no value: *(int *)dst = 1 */
    TRAIN_OPT_INT,       /* int in lo..hi */
    TRAIN_OPT_LONG,      /* long in lo..hi */
    TRAIN_OPT_DOUBLE,    /* finite number */
    TRAIN_OPT_U64,       /* strtoull, any base (seeds) */
    TRAIN_OPT_STR        /* const char * (points into argv) */
} train_opt_kind_t;
typedef struct {
    const char *name;    /* "--steps" */
    train_opt_kind_t kind;
    void *dst;
    long lo, hi;         /* INT / LONG range */
    int *given;          /* set to 1 when the option appears (NULL: not tracked) */
} train_opt_t;

/* The schedule every trainer stores in its checkpoints (keys train.elapsed_s, train.batch,
 * train.steps, train.warmup, train.lr) so that `--resume` alone continues the same run; an
 * option given again on the command line (given_* set) wins over the checkpoint's value. */
typedef struct {
    long steps;
    int batch, warmup;
    double lr;
    int given_steps, given_batch, given_warmup, given_lr;
} train_sched_t;
void train_sched_write(weights_writer_t *w, const train_sched_t *s, double elapsed_s);
/* Reads what the checkpoint has into the fields not given; *elapsed_s (0 if absent). */
void train_sched_read(const weights_t *w, train_sched_t *s, double *elapsed_s);

/* The settings and options the trainers on train_parse_opts share; each lists only its own
 * rows (and --eval, where it has one). train_common_defaults() gives the defaults: preset cpu,
 * the katago9 train/val shards, out and ckpt NULL (the trainer names them after its preset),
 * runs/videogo.db, 20000 steps of batch 32, lr 1e-3, warmup 200, seed 1, 1 thread, a
 * checkpoint every 180 s, an evaluation every 1000 steps, a progress line every 50. */
typedef struct {
    int resume, no_db;                                  /* --resume, --no-db */
    const char *preset, *train, *val, *out, *ckpt, *db; /* --preset --train --val --out --ckpt --db */
    train_sched_t sched;                                /* --steps --batch --lr --warmup */
    double minutes, ckpt_every;                         /* --minutes (0: no limit), --ckpt-every */
    long stop_at;                                       /* --stop-at (0: none) */
    uint64_t seed;                                      /* --seed */
    int threads, eval_every, log_every;                 /* --threads --eval-every --log-every */
} train_common_t;
train_common_t train_common_defaults(void);

/* Parses argv[1..argc) (argv[0] is the command's name, used in messages) against the
 * trainer's own opts[0..n) and the shared options into *c. Returns -1 when every option
 * parsed (the command goes on), 0 after --help / -h (usage on stdout), 2 on an unknown option
 * or a missing value (message and usage on stderr). A bad value dies with its message
 * (train_parse_int). */
int train_parse_opts(int argc, char **argv, train_common_t *c, const train_opt_t *opts, int n, void (*usage)(FILE *));

/* "videogo" "train" argv[0..argc) as a new array (free() it) for weights_writer_set_command. */
char **train_command(int argc, char **argv, int *cmd_argc);
/* Opens a shard (a training one, train != 0, is refused on a gobench9 path); dies with the
 * `videogo data build` hint. */
dataset_t *train_open_shard(const char *path, int train);
/* NULL without use_db; else opens db_path (creating its folder) and begins a run of net with
 * the configuration JSON (*run_id); dies with a hint (--db FILE, or --no-db). */
db_t *train_db_begin(int use_db, const char *db_path, const char *net, const char *config_json, int resume,
                     int64_t *run_id);
/* Ends the run as "done" or "stopped" with the weights file and its SHA-256, closes db (NULL:
 * nothing). */
void train_db_end(db_t *db, int64_t run_id, int done, const char *weights);

/* SIGINT / SIGTERM: a trainer installs train_stop_on_signals() before its loop and ends the
 * loop like --minutes (finish the step, checkpoint, weights, run closed as stopped) once
 * train_stop_requested() says so. */
void train_stop_on_signals(void);
int train_stop_requested(void);

#endif
