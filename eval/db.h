/* db.h: the SQLite database where videogo records matches, games, benchmark results
 * and training runs. One file holds everything; every program opens it with db_open.
 *
 * Schema (user_version 1; the SQL text is in db.c, `videogo report` and the sqlite3
 * shell read it directly):
 *
 *   engines        one row per distinct engine: (command, GTP name, GTP version).
 *                  command is the command line as given, whitespace collapsed and the
 *                  program reduced to its basename ("videogo gtp --player random"), so
 *                  the same engine run from two build directories is one engine.
 *                  label (UNIQUE) is what tables, PGN and plots show.
 *   matches        one row per `videogo match`: the two command lines (as given to
 *                  --black/--white, i.e. the colours of game 0), size, komi, games
 *                  wanted, move limit. A rerun with the same parameters resumes it.
 *   games          one row per FINISHED game, written in one transaction (a game cut
 *                  short by a crash or kill leaves no trace and is replayed):
 *                  match, game_index (0-based; odd indices swap colours), black/white
 *                  engine ids, winner ('B', 'W' or '0' for jigo), result (SGF RE:
 *                  B+3.5, W+R, B+F, 0), reason, score (Black's view, NULL when not
 *                  scored), the final_score answers of both engines and our own
 *                  scoring, move count, the move list as GTP vertices, durations,
 *                  error text, the SGF.
 *   evaluations    one row per benchmark run (`videogo eval gobench`): the position
 *                  set and its SHA-256, the player, weights path and SHA-256, the
 *                  configuration as JSON, counts, and the three figures with their
 *                  95% intervals.
 *   training_runs  one row per training run of a network (trainers call
 *                  db_train_run_begin / db_train_run_end).
 *   training_log   (run, split, step) -> loss, learning rate, tokens/s, wall time
 *                  (trainers call db_train_log every few steps).
 *
 * Connections use WAL, foreign_keys=ON, synchronous=FULL (a committed game survives a
 * SIGKILL or power loss) and a busy timeout, so a report can read while a match writes.
 *
 * Ownership: db_t owns its sqlite3 handle; db_close releases it. A db_t is used by one
 * thread at a time (the match runner serialises its threads with its own mutex).
 * Functions return 0 (or an id > 0) on success and -1 on failure with the SQLite
 * message in db_error(); none of them exit.
 */
#ifndef VIDEOGO_EVAL_DB_H
#define VIDEOGO_EVAL_DB_H

#include <stdint.h>
#include <sqlite3.h>

#define DB_SCHEMA_VERSION 2 /* 2: games.scoring, games.res_tt */

typedef struct {
    sqlite3 *h;
    char err[512];
} db_t;

/* Opens (creating if needed) the database at path and brings the schema to the current
 * version. Returns NULL with a message in err (naming the file) on failure, including
 * a file written by a newer videogo (user_version too high). */
db_t *db_open(const char *path, char *err, int errlen);
/* Opens an existing database for reading only (SQLITE_OPEN_READONLY: no file is created or
 * changed, so it works on a read-only file or folder), for the commands that only read
 * (ratings, match list and export, report). NULL with a message when the file is missing,
 * not a videogo database, or newer than this build. */
db_t *db_open_readonly(const char *path, char *err, int errlen);
void db_close(db_t *db);
const char *db_error(const db_t *db);

/* Runs SQL with no result rows (several statements allowed). */
int db_exec(db_t *db, const char *sql);
int db_begin(db_t *db);     /* BEGIN IMMEDIATE */
int db_commit(db_t *db);
int db_rollback(db_t *db);

/* Current UTC time as ISO 8601 "2025-01-31T12:34:56Z" into buf (>= 21 bytes). */
char *db_now(char *buf);

/* ---- engines ---- */

/* The engine row for (command, name, version), created if new. command is normalised
 * as described above (db_command_normalise). label: the label to use for a new row
 * (NULL = the normalised command); if taken by another engine, " #2", " #3", ... is
 * appended. Returns the id, or -1. */
int64_t db_engine_get(db_t *db, const char *command, const char *name, const char *version,
                      const char *label);

/* Collapses whitespace and reduces the first word to its basename, into out. */
void db_command_normalise(const char *command, char *out, int outlen);

/* ---- matches ---- */

typedef struct {
    int64_t id;
    const char *black_cmd, *white_cmd;  /* as given (not normalised) */
    int size;
    double komi;
    int games;       /* games wanted */
    int max_moves;
} db_match_t;

/* Finds the latest match with these commands, size, komi and move limit (when
 * m->id == 0 and !force_new) or creates one; sets m->id. When found and m->games
 * differs, games_total is updated. With m->id > 0 the row must exist and agree on
 * commands, size and komi, else -1 with an explanation. */
int db_match_open(db_t *db, db_match_t *m, int force_new);

/* Game indices of the match already finished: done[i] = 1 for i < n (done has n
 * entries). Returns the number finished (indices >= n are counted too), or -1. */
int db_match_done(db_t *db, int64_t match_id, unsigned char *done, int n);

/* ---- games ---- */

typedef struct {
    int64_t match_id;
    int game_index;
    int64_t black_id, white_id;
    char winner;              /* 'B', 'W' or '0' */
    const char *result;       /* SGF RE */
    const char *reason;       /* "passes", "resign", "move-limit", "illegal", "timeout", "crash" */
    int scored;               /* score below is meaningful */
    double score;             /* Black's view, komi included */
    const char *res_black, *res_white, *res_own;  /* final_score answers ("?" = none) */
    const char *res_tt;       /* the final board counted by Tromp-Taylor ("?" = not scored) */
    const char *scoring;      /* the rule that named the winner: "tromp-taylor", "agreed", "estimate" */
    const char *ko;           /* the referee's ko rule: "positional" (superko) or "simple" */
    int moves;
    const char *move_list;    /* "D4 E5 pass ..." */
    double duration_s, time_black_s, time_white_s;
    const char *error;        /* NULL or what went wrong */
    const char *sgf;
} db_game_t;

/* Inserts one finished game (the caller wraps it in db_begin/db_commit with anything
 * else that belongs to the same game). Returns the row id or -1. */
int64_t db_game_insert(db_t *db, const db_game_t *g);

/* ---- evaluations ---- */

typedef struct {
    const char *benchmark;     /* "gobench" */
    const char *set_path, *set_sha256;
    const char *player;        /* "random", "learned", ... */
    const char *label;         /* ablation variant or NULL */
    const char *weights_path, *weights_sha256;  /* NULL for players without weights */
    const char *config;        /* JSON object */
    int n, n_skipped, n_pass;
    double legal, legal_lo, legal_hi;
    double value, value_lo, value_hi;
    double best, best_lo, best_hi;
    double seconds;
} db_eval_t;

int64_t db_eval_insert(db_t *db, const db_eval_t *e);

/* ---- training (the API trainers use) ----
 *
 *   int64_t run = db_train_run_begin(db, "tokenizer", "{\"lr\":3e-4,...}", NULL);
 *   for (...) db_train_log(db, run, "train", step, loss, lr, tokens_per_s);
 *   db_train_log(db, run, "val", step, val_loss, lr, 0);
 *   db_train_run_end(db, run, "done", "weights/tok.vgw", sha_hex);
 *
 * Each call is its own transaction (WAL makes that cheap enough for a log line every
 * few seconds). Logging the same (run, split, step) twice keeps the last values, so a
 * run resumed from a checkpoint may log again from its step. */
int64_t db_train_run_begin(db_t *db, const char *net, const char *config_json, const char *notes);
int db_train_log(db_t *db, int64_t run_id, const char *split, int64_t step, double loss,
                 double lr, double tokens_per_s);
int db_train_run_end(db_t *db, int64_t run_id, const char *status, const char *weights_path,
                     const char *weights_sha256);

#endif
