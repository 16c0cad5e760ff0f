/* db.c: the SQLite schema (version 1) and the small API of db.h: open with pragmas
 * and migration, engines, matches, games, evaluations, training runs and logs.
 * Every statement is prepared with bound parameters; nothing here exits. */
#include "eval/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "engine/util.h"

/* The whole schema. Bump DB_SCHEMA_VERSION and add a step to db_migrate when it
 * changes; never edit version 1 in place once databases exist. */
static const char schema_v1[] =
    "CREATE TABLE engines (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  label TEXT NOT NULL UNIQUE,\n"
    "  command TEXT NOT NULL,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  version TEXT NOT NULL DEFAULT '',\n"
    "  created TEXT NOT NULL,\n"
    "  UNIQUE (command, name, version));\n"
    "CREATE TABLE matches (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  black_cmd TEXT NOT NULL,\n"
    "  white_cmd TEXT NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  komi REAL NOT NULL,\n"
    "  games_total INTEGER NOT NULL,\n"
    "  max_moves INTEGER NOT NULL,\n"
    "  created TEXT NOT NULL,\n"
    "  updated TEXT NOT NULL);\n"
    "CREATE TABLE games (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  match_id INTEGER NOT NULL REFERENCES matches(id) ON DELETE CASCADE,\n"
    "  game_index INTEGER NOT NULL,\n"
    "  black_id INTEGER NOT NULL REFERENCES engines(id),\n"
    "  white_id INTEGER NOT NULL REFERENCES engines(id),\n"
    "  winner TEXT NOT NULL CHECK (winner IN ('B', 'W', '0')),\n"
    "  result TEXT NOT NULL,\n"
    "  reason TEXT NOT NULL,\n"
    "  score REAL,\n"
    "  res_black TEXT NOT NULL DEFAULT '?',\n"
    "  res_white TEXT NOT NULL DEFAULT '?',\n"
    "  res_own TEXT NOT NULL DEFAULT '?',\n"
    "  moves INTEGER NOT NULL,\n"
    "  move_list TEXT NOT NULL,\n"
    "  duration_s REAL NOT NULL,\n"
    "  time_black_s REAL NOT NULL,\n"
    "  time_white_s REAL NOT NULL,\n"
    "  error TEXT,\n"
    "  sgf TEXT NOT NULL,\n"
    "  finished TEXT NOT NULL,\n"
    "  UNIQUE (match_id, game_index));\n"
    "CREATE INDEX games_black ON games(black_id);\n"
    "CREATE INDEX games_white ON games(white_id);\n"
    "CREATE TABLE evaluations (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  created TEXT NOT NULL,\n"
    "  benchmark TEXT NOT NULL,\n"
    "  set_path TEXT NOT NULL,\n"
    "  set_sha256 TEXT,\n"
    "  player TEXT NOT NULL,\n"
    "  label TEXT,\n"
    "  weights_path TEXT,\n"
    "  weights_sha256 TEXT,\n"
    "  config TEXT NOT NULL,\n"
    "  n INTEGER NOT NULL,\n"
    "  n_skipped INTEGER NOT NULL,\n"
    "  n_pass INTEGER NOT NULL,\n"
    "  legal REAL NOT NULL, legal_lo REAL NOT NULL, legal_hi REAL NOT NULL,\n"
    "  value REAL NOT NULL, value_lo REAL NOT NULL, value_hi REAL NOT NULL,\n"
    "  best REAL NOT NULL, best_lo REAL NOT NULL, best_hi REAL NOT NULL,\n"
    "  seconds REAL NOT NULL);\n"
    "CREATE TABLE training_runs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  net TEXT NOT NULL,\n"
    "  config TEXT NOT NULL,\n"
    "  notes TEXT,\n"
    "  started TEXT NOT NULL,\n"
    "  ended TEXT,\n"
    "  status TEXT NOT NULL DEFAULT 'running',\n"
    "  weights_path TEXT,\n"
    "  weights_sha256 TEXT);\n"
    "CREATE TABLE training_log (\n"
    "  run_id INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,\n"
    "  split TEXT NOT NULL DEFAULT 'train',\n"
    "  step INTEGER NOT NULL,\n"
    "  loss REAL NOT NULL,\n"
    "  lr REAL,\n"
    "  tokens_per_s REAL,\n"
    "  wall REAL NOT NULL,\n"
    "  PRIMARY KEY (run_id, split, step));\n";

static int fail(db_t *db, const char *what)
{
    snprintf(db->err, sizeof db->err, "%s: %s", what, sqlite3_errmsg(db->h));
    return -1;
}

const char *db_error(const db_t *db) { return db->err; }

char *db_now(char *buf)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

int db_exec(db_t *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(db->err, sizeof db->err, "%s", msg ? msg : sqlite3_errmsg(db->h));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int db_begin(db_t *db) { return db_exec(db, "BEGIN IMMEDIATE"); }
int db_commit(db_t *db) { return db_exec(db, "COMMIT"); }
int db_rollback(db_t *db) { return db_exec(db, "ROLLBACK"); }

static sqlite3_stmt *prep(db_t *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(db, "prepare");
        return NULL;
    }
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

static int user_version(db_t *db)
{
    sqlite3_stmt *st = prep(db, "PRAGMA user_version");
    if (!st) return -1;
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* Version 2: how each game was scored (match.h --scoring), its Tromp-Taylor count and the
 * referee's ko rule (--ko). */
static const char *schema_v2 =
    "ALTER TABLE games ADD COLUMN res_tt TEXT NOT NULL DEFAULT '?';\n"
    "ALTER TABLE games ADD COLUMN scoring TEXT NOT NULL DEFAULT 'agreed';\n"
    "ALTER TABLE games ADD COLUMN ko TEXT NOT NULL DEFAULT 'positional';\n";

/* Brings a database to the current schema in one transaction (version by version). */
static int db_migrate(db_t *db)
{
    int v = user_version(db);
    if (v < 0) return -1;
    if (v > DB_SCHEMA_VERSION) {
        snprintf(db->err, sizeof db->err,
                 "schema version %d is newer than this videogo understands (%d); use a newer build",
                 v, DB_SCHEMA_VERSION);
        return -1;
    }
    if (v == DB_SCHEMA_VERSION) return 0;
    if (db_begin(db)) return -1;
    /* Re-read inside the write lock: another process may have created it meanwhile. */
    v = user_version(db);
    if (v < DB_SCHEMA_VERSION) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", DB_SCHEMA_VERSION);
        if ((v == 0 && db_exec(db, schema_v1)) || (v <= 1 && db_exec(db, schema_v2)) || db_exec(db, sql)) {
            char keep[sizeof db->err];
            memcpy(keep, db->err, sizeof keep);
            db_rollback(db);
            memcpy(db->err, keep, sizeof keep);
            return -1;
        }
    }
    return db_commit(db);
}

db_t *db_open(const char *path, char *err, int errlen)
{
    db_t *db = xcalloc(1, sizeof *db);
    if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, (size_t)errlen, "cannot open database %s: %s", path,
                 db->h ? sqlite3_errmsg(db->h) : "out of memory");
        db_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db->h, 30000);
    if (db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;") ||
        db_migrate(db)) {
        snprintf(err, (size_t)errlen, "database %s: %s", path, db->err);
        db_close(db);
        return NULL;
    }
    return db;
}

db_t *db_open_readonly(const char *path, char *err, int errlen)
{
    db_t *db = xcalloc(1, sizeof *db);
    if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, (size_t)errlen, "cannot open database %s: %s", path,
                 db->h ? sqlite3_errmsg(db->h) : "out of memory");
        db_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db->h, 30000);
    int v = user_version(db);
    if (v < 0 && access(path, R_OK) == 0) {
        /* A WAL database in a folder we cannot write: its -shm file cannot be made. Nobody
         * can be writing it there either, so it is read as immutable. */
        sqlite3_close(db->h);
        db->h = NULL;
        char uri[4200];
        snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
        if (sqlite3_open_v2(uri, &db->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, NULL) ==
            SQLITE_OK)
            v = user_version(db);
    }
    if (v < 0 || v == 0 || v > DB_SCHEMA_VERSION) {
        if (v == 0) snprintf(db->err, sizeof db->err, "not a videogo database (no schema)");
        else if (v > 0)
            snprintf(db->err, sizeof db->err, "schema version %d is newer than this videogo understands (%d)", v,
                     DB_SCHEMA_VERSION);
        snprintf(err, (size_t)errlen, "database %s: %s", path, db->err);
        db_close(db);
        return NULL;
    }
    return db;
}

void db_close(db_t *db)
{
    if (!db) return;
    sqlite3_close(db->h);
    free(db);
}

/* ---- engines ---- */

void db_command_normalise(const char *command, char *out, int outlen)
{
    int n = 0;
    const char *s = command;
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    /* First word: keep only its basename. */
    const char *w = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n') s++;
    const char *base = w;
    for (const char *q = w; q < s; q++)
        if (*q == '/') base = q + 1;
    for (const char *q = base; q < s && n < outlen - 1; q++) out[n++] = *q;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n') s++;
        if (!*s) break;
        if (n < outlen - 1) out[n++] = ' ';
        while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
            if (n < outlen - 1) out[n++] = *s;
            s++;
        }
    }
    out[n] = 0;
}

int64_t db_engine_get(db_t *db, const char *command, const char *name, const char *version,
                      const char *label)
{
    char cmd[1024];
    db_command_normalise(command, cmd, sizeof cmd);
    sqlite3_stmt *st = prep(db, "SELECT id FROM engines WHERE command = ?1 AND name = ?2 AND version = ?3");
    if (!st) return -1;
    bind_text(st, 1, cmd);
    bind_text(st, 2, name ? name : "");
    bind_text(st, 3, version ? version : "");
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(db, "engines lookup");
    if (id > 0) return id;

    char now[32], lab[1100];
    db_now(now);
    for (int k = 1; k < 1000; k++) {
        if (k == 1) snprintf(lab, sizeof lab, "%s", label && *label ? label : cmd);
        else snprintf(lab, sizeof lab, "%s #%d", label && *label ? label : cmd, k);
        st = prep(db, "INSERT INTO engines(label, command, name, version, created) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!st) return -1;
        bind_text(st, 1, lab);
        bind_text(st, 2, cmd);
        bind_text(st, 3, name ? name : "");
        bind_text(st, 4, version ? version : "");
        bind_text(st, 5, now);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE) return sqlite3_last_insert_rowid(db->h);
        if (rc != SQLITE_CONSTRAINT) return fail(db, "engines insert");
    }
    snprintf(db->err, sizeof db->err, "no free label for engine %.400s", cmd);
    return -1;
}

/* ---- matches ---- */

int db_match_open(db_t *db, db_match_t *m, int force_new)
{
    char now[32];
    db_now(now);
    sqlite3_stmt *st;
    if (m->id > 0) {
        st = prep(db, "SELECT black_cmd, white_cmd, size, komi, games_total FROM matches WHERE id = ?1");
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, m->id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            snprintf(db->err, sizeof db->err, "no match with id %lld in this database", (long long)m->id);
            return -1;
        }
        int ok = !strcmp((const char *)sqlite3_column_text(st, 0), m->black_cmd) &&
                 !strcmp((const char *)sqlite3_column_text(st, 1), m->white_cmd) &&
                 sqlite3_column_int(st, 2) == m->size && sqlite3_column_double(st, 3) == m->komi;
        if (!ok)
            snprintf(db->err, sizeof db->err,
                     "match %lld was played with --black \"%s\" --white \"%s\" --size %d --komi %g; "
                     "give the same parameters to resume it",
                     (long long)m->id, sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                     sqlite3_column_int(st, 2), sqlite3_column_double(st, 3));
        sqlite3_finalize(st);
        if (!ok) return -1;
    } else if (!force_new) {
        st = prep(db, "SELECT id FROM matches WHERE black_cmd = ?1 AND white_cmd = ?2 AND size = ?3 "
                      "AND komi = ?4 AND max_moves = ?5 ORDER BY id DESC LIMIT 1");
        if (!st) return -1;
        bind_text(st, 1, m->black_cmd);
        bind_text(st, 2, m->white_cmd);
        sqlite3_bind_int(st, 3, m->size);
        sqlite3_bind_double(st, 4, m->komi);
        sqlite3_bind_int(st, 5, m->max_moves);
        if (sqlite3_step(st) == SQLITE_ROW) m->id = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if (m->id > 0) {
        st = prep(db, "UPDATE matches SET games_total = ?2, updated = ?3 WHERE id = ?1");
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, m->id);
        sqlite3_bind_int(st, 2, m->games);
        bind_text(st, 3, now);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : fail(db, "matches update");
    }
    st = prep(db, "INSERT INTO matches(black_cmd, white_cmd, size, komi, games_total, max_moves, created, updated) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)");
    if (!st) return -1;
    bind_text(st, 1, m->black_cmd);
    bind_text(st, 2, m->white_cmd);
    sqlite3_bind_int(st, 3, m->size);
    sqlite3_bind_double(st, 4, m->komi);
    sqlite3_bind_int(st, 5, m->games);
    sqlite3_bind_int(st, 6, m->max_moves);
    bind_text(st, 7, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return fail(db, "matches insert");
    m->id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

int db_match_done(db_t *db, int64_t match_id, unsigned char *done, int n)
{
    sqlite3_stmt *st = prep(db, "SELECT game_index FROM games WHERE match_id = ?1");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, match_id);
    if (done) memset(done, 0, (size_t)n);
    int count = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int i = sqlite3_column_int(st, 0);
        if (done && i >= 0 && i < n) done[i] = 1;
        count++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? count : fail(db, "games lookup");
}

/* ---- games ---- */

int64_t db_game_insert(db_t *db, const db_game_t *g)
{
    char now[32], winner[2] = {g->winner, 0};
    db_now(now);
    sqlite3_stmt *st = prep(db,
        "INSERT INTO games(match_id, game_index, black_id, white_id, winner, result, reason, score, "
        "res_black, res_white, res_own, moves, move_list, duration_s, time_black_s, time_white_s, "
        "error, sgf, finished, res_tt, scoring, ko) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
        "?17,?18,?19,?20,?21,?22)");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, g->match_id);
    sqlite3_bind_int(st, 2, g->game_index);
    sqlite3_bind_int64(st, 3, g->black_id);
    sqlite3_bind_int64(st, 4, g->white_id);
    bind_text(st, 5, winner);
    bind_text(st, 6, g->result);
    bind_text(st, 7, g->reason);
    if (g->scored) sqlite3_bind_double(st, 8, g->score);
    else sqlite3_bind_null(st, 8);
    bind_text(st, 9, g->res_black ? g->res_black : "?");
    bind_text(st, 10, g->res_white ? g->res_white : "?");
    bind_text(st, 11, g->res_own ? g->res_own : "?");
    sqlite3_bind_int(st, 12, g->moves);
    bind_text(st, 13, g->move_list ? g->move_list : "");
    sqlite3_bind_double(st, 14, g->duration_s);
    sqlite3_bind_double(st, 15, g->time_black_s);
    sqlite3_bind_double(st, 16, g->time_white_s);
    bind_text(st, 17, g->error);
    bind_text(st, 18, g->sgf);
    bind_text(st, 19, now);
    bind_text(st, 20, g->res_tt ? g->res_tt : "?");
    bind_text(st, 21, g->scoring ? g->scoring : "agreed");
    bind_text(st, 22, g->ko ? g->ko : "positional");
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return fail(db, "games insert");
    return sqlite3_last_insert_rowid(db->h);
}

/* ---- evaluations ---- */

int64_t db_eval_insert(db_t *db, const db_eval_t *e)
{
    char now[32];
    db_now(now);
    sqlite3_stmt *st = prep(db,
        "INSERT INTO evaluations(created, benchmark, set_path, set_sha256, player, label, weights_path, "
        "weights_sha256, config, n, n_skipped, n_pass, legal, legal_lo, legal_hi, value, value_lo, value_hi, "
        "best, best_lo, best_hi, seconds) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
        "?18,?19,?20,?21,?22)");
    if (!st) return -1;
    bind_text(st, 1, now);
    bind_text(st, 2, e->benchmark);
    bind_text(st, 3, e->set_path);
    bind_text(st, 4, e->set_sha256);
    bind_text(st, 5, e->player);
    bind_text(st, 6, e->label);
    bind_text(st, 7, e->weights_path);
    bind_text(st, 8, e->weights_sha256);
    bind_text(st, 9, e->config ? e->config : "{}");
    sqlite3_bind_int(st, 10, e->n);
    sqlite3_bind_int(st, 11, e->n_skipped);
    sqlite3_bind_int(st, 12, e->n_pass);
    const double v[9] = {e->legal, e->legal_lo, e->legal_hi, e->value, e->value_lo, e->value_hi,
                         e->best, e->best_lo, e->best_hi};
    for (int i = 0; i < 9; i++) sqlite3_bind_double(st, 13 + i, v[i]);
    sqlite3_bind_double(st, 22, e->seconds);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return fail(db, "evaluations insert");
    return sqlite3_last_insert_rowid(db->h);
}

/* ---- training ---- */

int64_t db_train_run_begin(db_t *db, const char *net, const char *config_json, const char *notes)
{
    char now[32];
    db_now(now);
    sqlite3_stmt *st = prep(db, "INSERT INTO training_runs(net, config, notes, started) VALUES (?1, ?2, ?3, ?4)");
    if (!st) return -1;
    bind_text(st, 1, net);
    bind_text(st, 2, config_json ? config_json : "{}");
    bind_text(st, 3, notes);
    bind_text(st, 4, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return fail(db, "training_runs insert");
    return sqlite3_last_insert_rowid(db->h);
}

int db_train_log(db_t *db, int64_t run_id, const char *split, int64_t step, double loss,
                 double lr, double tokens_per_s)
{
    sqlite3_stmt *st = prep(db,
        "INSERT OR REPLACE INTO training_log(run_id, split, step, loss, lr, tokens_per_s, wall) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!st) return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, split ? split : "train");
    sqlite3_bind_int64(st, 3, step);
    sqlite3_bind_double(st, 4, loss);
    sqlite3_bind_double(st, 5, lr);
    sqlite3_bind_double(st, 6, tokens_per_s);
    sqlite3_bind_double(st, 7, (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(db, "training_log insert");
}

int db_train_run_end(db_t *db, int64_t run_id, const char *status, const char *weights_path,
                     const char *weights_sha256)
{
    char now[32];
    db_now(now);
    sqlite3_stmt *st = prep(db,
        "UPDATE training_runs SET ended = ?2, status = ?3, weights_path = ?4, weights_sha256 = ?5 WHERE id = ?1");
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, now);
    bind_text(st, 3, status ? status : "done");
    bind_text(st, 4, weights_path);
    bind_text(st, 5, weights_sha256);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return fail(db, "training_runs update");
    if (sqlite3_changes(db->h) != 1) {
        snprintf(db->err, sizeof db->err, "no training run with id %lld", (long long)run_id);
        return -1;
    }
    return 0;
}
