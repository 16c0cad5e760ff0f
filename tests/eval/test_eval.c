/* test_eval.c: unit tests of eval/: the rating fit against hand-computed and
 * brute-force answers, anchor matching, the gobench metrics on a hand-made position
 * set (tests/data/eval/positions.jsonl) with a scripted chooser, the JSON reader,
 * the intervals, the database (schema, pragmas, training API) and the report. */
#include <check.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/util.h"
#include "eval/db.h"
#include "eval/gobench.h"
#include "eval/json.h"
#include "eval/match.h"
#include "eval/plot.h"
#include "eval/ratings.h"
#include "eval/report.h"
#include "eval/stats.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/videogo-test-eval-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *fixture(const char *name)
{
    static char path[1024];
    const char *src = getenv("VIDEOGO_SRC");
    snprintf(path, sizeof path, "%s/tests/data/eval/%s", src ? src : ".", name);
    return path;
}

/* ---- ratings ---- */

static rating_player_t player(const char *label, bool anchored, double elo)
{
    rating_player_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.label, sizeof p.label, "%s", label);
    p.anchored = anchored;
    p.elo = elo;
    return p;
}

START_TEST(test_rating_two_players_no_prior)
{
    /* A beats B 3 times out of 4, B anchored at 0: the MLE solves p = 3/4 exactly,
     * so A - B = 400 log10(3) = 190.85 Elo. */
    rating_player_t p[2] = {player("A", false, 0), player("B", true, 0)};
    rating_game_t g[4] = {{0, 1, 1}, {0, 1, 1}, {1, 0, 0}, {1, 0, 1}};
    rating_opts_t o = {.prior_games = 0, .anchor_elo = 0};
    char err[200];
    ck_assert_int_eq(ratings_fit(p, 2, g, 4, &o, err, sizeof err), 0);
    ck_assert_double_eq_tol(p[0].elo, 400 * log10(3.0), 1e-6);
    ck_assert_double_eq_tol(p[1].elo, 0, 1e-12);
    ck_assert_int_eq(p[0].wins, 3);
    ck_assert_int_eq(p[0].losses, 1);
    ck_assert_int_eq(p[1].games, 4);
    /* Fisher information N p (1 - p) in nats: sd = 400 / ln 10 / sqrt(4 * 3/16). */
    ck_assert_double_eq_tol(p[0].sd, 400 / log(10.0) / sqrt(0.75), 1e-6);
    ck_assert_double_eq_tol(p[1].sd, 0, 1e-12);
}
END_TEST

START_TEST(test_rating_two_players_prior)
{
    /* With 2 virtual draws against the anchor's rating (= B's), A has 3 + 1 wins and
     * 1 + 1 losses against 0 Elo: p = 2/3, A = 400 log10(2) = 120.41, and the Fisher
     * information 6 * 2/9 gives sd = 400 / ln 10 / sqrt(4/3). */
    rating_player_t p[2] = {player("A", false, 0), player("B", true, 1800)};
    rating_game_t g[4] = {{0, 1, 1}, {0, 1, 1}, {0, 1, 0}, {1, 0, 0}};
    rating_opts_t o = {.prior_games = 2, .anchor_elo = 1800};
    char err[200];
    ck_assert_int_eq(ratings_fit(p, 2, g, 4, &o, err, sizeof err), 0);
    ck_assert_double_eq_tol(p[0].elo, 1800 + 400 * log10(2.0), 1e-6);
    ck_assert_double_eq_tol(p[1].elo, 1800, 1e-12);
    ck_assert_double_eq_tol(p[0].sd, 400 / log(10.0) / sqrt(4.0 / 3.0), 1e-6);
}
END_TEST

/* The log-likelihood written out independently (Elo units, base-10 logistic). */
static double loglik(const double *r, const rating_game_t *g, int ng, double prior, double anchor)
{
    double l = 0;
    for (int k = 0; k < ng; k++) {
        double pa = 1 / (1 + pow(10, (r[g[k].b] - r[g[k].a]) / 400));
        l += g[k].score_a * log(pa) + (1 - g[k].score_a) * log(1 - pa);
    }
    for (int i = 0; i < 3; i++) {
        if (i == 2) continue; /* player 2 is the anchor */
        double pa = 1 / (1 + pow(10, (anchor - r[i]) / 400));
        l += prior / 2 * (log(pa) + log(1 - pa));
    }
    return l;
}

START_TEST(test_rating_three_players_brute_force)
{
    /* A-B 3-1, B-C 2-1 with a jigo, A-C 1-1: maximise over a grid (then finer grids)
     * and compare with Newton. */
    rating_game_t g[] = {{0, 1, 1}, {0, 1, 1}, {1, 0, 0}, {0, 1, 0}, {1, 2, 1}, {2, 1, 0},
                         {1, 2, 0.5}, {2, 1, 1}, {0, 2, 1}, {2, 0, 1}};
    int ng = sizeof g / sizeof g[0];
    for (int with_prior = 0; with_prior < 2; with_prior++) {
        double prior = with_prior ? 2 : 0, anchor = 1800;
        rating_player_t p[3] = {player("A", false, 0), player("B", false, 0), player("C", true, anchor)};
        rating_opts_t o = {.prior_games = prior, .anchor_elo = anchor};
        char err[200];
        ck_assert_int_eq(ratings_fit(p, 3, g, ng, &o, err, sizeof err), 0);
        double best[3] = {anchor, anchor, anchor}, step = 64;
        for (int round = 0; round < 12; round++, step /= 2) {
            double c0 = best[0], c1 = best[1], bl = -INFINITY;
            for (int i = -8; i <= 8; i++)
                for (int j = -8; j <= 8; j++) {
                    double r[3] = {c0 + i * step, c1 + j * step, anchor};
                    double l = loglik(r, g, ng, prior, anchor);
                    if (l > bl) {
                        bl = l;
                        best[0] = r[0];
                        best[1] = r[1];
                    }
                }
        }
        ck_assert_double_eq_tol(p[0].elo, best[0], 0.1);
        ck_assert_double_eq_tol(p[1].elo, best[1], 0.1);
        ck_assert(p[0].elo > p[1].elo); /* A beat B */
    }
}
END_TEST

START_TEST(test_rating_unbounded_without_prior)
{
    rating_player_t p[2] = {player("A", false, 0), player("B", true, 0)};
    rating_game_t g[2] = {{0, 1, 1}, {0, 1, 1}};
    rating_opts_t o = {.prior_games = 0, .anchor_elo = 0};
    char err[200] = "";
    ck_assert_int_eq(ratings_fit(p, 2, g, 2, &o, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "diverge") != NULL, "%s", err);
    /* The prior makes it finite, and above the anchor. */
    o.prior_games = 2;
    ck_assert_int_eq(ratings_fit(p, 2, g, 2, &o, err, sizeof err), 0);
    ck_assert(p[0].elo > 0 && isfinite(p[0].elo));
    /* Nothing anchored and no prior: not identifiable. */
    p[1].anchored = false;
    o.prior_games = 0;
    ck_assert_int_eq(ratings_fit(p, 2, g, 2, &o, err, sizeof err), -1);
}
END_TEST

START_TEST(test_anchor_matching)
{
    ck_assert(ratings_anchor_matches("gnugo --level 10", "x", "gnugo --mode gtp --level 10 --chinese-rules"));
    ck_assert(ratings_anchor_matches("gnugo --level 10", "x", "/usr/games/gnugo --level 10"));
    ck_assert(!ratings_anchor_matches("gnugo --level 10", "x", "gnugo --mode gtp --level 1 --chinese-rules"));
    ck_assert(!ratings_anchor_matches("gnugo --level 10", "x", "gnugo --mode gtp --level 100"));
    ck_assert(!ratings_anchor_matches("gnugo --level 10", "x", "gnugo --level --other 10"));
    ck_assert(!ratings_anchor_matches("gnugo --level 10", "x", "videogo gtp --level 10"));
    ck_assert(ratings_anchor_matches("my label", "my label", "anything"));
}
END_TEST

/* ---- intervals ---- */

START_TEST(test_wilson_known_values)
{
    double lo, hi;
    stats_wilson(5, 10, STATS_Z95, &lo, &hi); /* published: 0.2366 .. 0.7634 */
    ck_assert_double_eq_tol(lo, 0.2366, 1e-4);
    ck_assert_double_eq_tol(hi, 0.7634, 1e-4);
    stats_wilson(0, 10, STATS_Z95, &lo, &hi); /* 0 .. 0.2775 */
    ck_assert_double_eq_tol(lo, 0, 1e-12);
    ck_assert_double_eq_tol(hi, 0.2775, 1e-4);
    stats_wilson(10, 10, STATS_Z95, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.7225, 1e-4);
    ck_assert_double_eq_tol(hi, 1, 1e-12);
    /* mean of {0, 1, 1, 0} = 0.5, sd = sqrt(1/3): 0.5 +- 1.96 * 0.57735 / 2 */
    double m = stats_mean_ci(4, 2, 2, STATS_Z95, -10, 10, &lo, &hi);
    ck_assert_double_eq_tol(m, 0.5, 1e-12);
    ck_assert_double_eq_tol(hi - m, STATS_Z95 * sqrt(1.0 / 3) / 2, 1e-12);
}
END_TEST

/* ---- JSON ---- */

START_TEST(test_json)
{
    json_doc_t d = {0};
    char err[120];
    const char *t = " {\"a\": [1, -2.5e1, true, null], \"s\": \"x\\u00e9\\n\\\"\", \"o\": {}} ";
    ck_assert_int_eq(json_parse(t, strlen(t), &d, err, sizeof err), 0);
    const json_value_t *a = json_get(d.root, "a");
    ck_assert_int_eq(a->type, JSON_ARRAY);
    ck_assert_int_eq(a->n, 4);
    ck_assert_double_eq(a->items[1]->number, -25);
    ck_assert_int_eq(a->items[2]->type, JSON_BOOL);
    ck_assert_int_eq(a->items[3]->type, JSON_NULL);
    ck_assert_str_eq(json_get(d.root, "s")->string, "x\xc3\xa9\n\"");
    ck_assert_int_eq(json_get(d.root, "o")->n, 0);
    ck_assert_ptr_null(json_get(d.root, "missing"));
    json_doc_free(&d);

    const char *bad[] = {"{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "\"abc", "01", "[1.]", "{} x", "", "[\"\\q\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_doc_t e = {0};
        ck_assert_msg(json_parse(bad[i], strlen(bad[i]), &e, err, sizeof err) == -1, "accepted: %s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "column "));
        json_doc_free(&e);
    }
    char out[64];
    json_escape("a\"b\\c\n", out, sizeof out);
    ck_assert_str_eq(out, "\"a\\\"b\\\\c\\u000a\"");
}
END_TEST

/* ---- gobench ---- */

typedef struct {
    const int *moves;
    int n, next;
} script_t;

static int script_choose(eval_chooser_t *self, const game_t *g, stone_t color, int *point, char *err, int errlen)
{
    (void)g;
    (void)color;
    script_t *s = self->ctx;
    if (s->next >= s->n) {
        snprintf(err, (size_t)errlen, "script exhausted");
        return -1;
    }
    *point = s->moves[s->next++];
    return 0;
}

static void script_free(eval_chooser_t *self) { (void)self; }

static int pt(const char *v)
{
    int p;
    ck_assert_int_eq(vertex_parse(v, 9, &p), 0);
    return p;
}

START_TEST(test_gobench_fixture)
{
    gobench_set_t set;
    char err[300];
    char *msgs = NULL;
    size_t msglen = 0;
    FILE *m = open_memstream(&msgs, &msglen);
    ck_assert_int_eq(gobench_load(fixture("positions.jsonl"), &set, m, err, sizeof err), 0);
    fclose(m);
    ck_assert_int_eq(set.n, 8);
    ck_assert_int_eq(set.n_bad, 5);
    /* Each bad line is named (blank line 7 is skipped silently). */
    const int bad_lines[] = {4, 8, 9, 13, 14};
    for (int i = 0; i < 5; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "positions.jsonl:%d: ", bad_lines[i]);
        ck_assert_msg(strstr(msgs, needle), "no message for line %d in:\n%s", bad_lines[i], msgs);
    }
    ck_assert_ptr_null(strstr(msgs, "positions.jsonl:7:"));
    ck_assert_ptr_nonnull(strstr(msgs, "to_move"));
    ck_assert_ptr_nonnull(strstr(msgs, "82 on 9x9"));
    ck_assert_ptr_nonnull(strstr(msgs, "occupied"));
    free(msgs);
    ck_assert_int_eq(set.pos[4].line, 6);
    ck_assert_int_eq(set.pos[4].to_move, STONE_WHITE);
    ck_assert_int_eq(set.pos[7].best, VERTEX_PASS);

    /* Scripted choices, one per position, and what each must score:
     *  1 E5 = best               legal best value 1
     *  2 D4 (best D5)            legal      value 0.2/0.4
     *  3 C3 occupied             illegal    0
     *  4 A1 suicide              illegal    0
     *  5 E5 ko retake (superko)  illegal    0
     *  6 pass (best E4)          legal      value 0.1/0.4
     *  7 resign                  illegal    0
     *  8 pass = best             legal best value 0.7/0.7 */
    int moves[8] = {pt("E5"), pt("D4"), pt("C3"), pt("A1"), pt("E5"), VERTEX_PASS, VERTEX_RESIGN, VERTEX_PASS};
    script_t s = {moves, 8, 0};
    eval_chooser_t ch = {"script", script_choose, script_free, &s};
    gobench_result_t r;
    char *dump = NULL;
    size_t dumplen = 0;
    FILE *df = open_memstream(&dump, &dumplen);
    ck_assert_int_eq(gobench_run(&set, &ch, NULL, NULL, df, &r, err, sizeof err), 0);
    fclose(df);
    ck_assert_int_eq(r.n, 8);
    ck_assert_int_eq(r.n_legal, 4);
    ck_assert_int_eq(r.n_best, 2);
    ck_assert_int_eq(r.n_occupied, 1);
    ck_assert_int_eq(r.n_suicide, 1);
    ck_assert_int_eq(r.n_superko, 1);
    ck_assert_int_eq(r.n_pass, 2);
    ck_assert_int_eq(r.n_resign, 1);
    ck_assert_double_eq_tol(r.legal, 0.5, 1e-12);
    ck_assert_double_eq_tol(r.best, 0.25, 1e-12);
    double v[8] = {1, 0.5, 0, 0, 0, 0.25, 0, 1}, sum = 0, sumsq = 0;
    for (int i = 0; i < 8; i++) sum += v[i], sumsq += v[i] * v[i];
    ck_assert_double_eq_tol(r.value, sum / 8, 1e-6);
    double sd = sqrt((sumsq - sum * sum / 8) / 7);
    ck_assert_double_eq_tol(r.value_hi - r.value, STATS_Z95 * sd / sqrt(8), 1e-6);
    double lo, hi;
    stats_wilson(4, 8, STATS_Z95, &lo, &hi);
    ck_assert_double_eq_tol(r.legal_lo, lo, 1e-12);
    ck_assert_double_eq_tol(r.legal_hi, hi, 1e-12);
    ck_assert_ptr_nonnull(strstr(dump, "{\"line\":6,\"chosen\":\"E5\",\"legal\":false,\"best\":false"));
    ck_assert_ptr_nonnull(strstr(dump, "{\"line\":12,\"chosen\":\"pass\",\"legal\":true,\"best\":true,\"value\":1.0"));
    free(dump);

    /* A failing chooser is an error naming the line. */
    s.next = 0;
    s.n = 2;
    ck_assert_int_eq(gobench_run(&set, &ch, NULL, NULL, NULL, &r, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "line 3: script exhausted"));

    /* The random player: legal by construction, and the learned hook says it is missing. */
    eval_chooser_opts_t co = {.seed = 7};
    eval_chooser_t *rnd = eval_chooser_new("random", &co, err, sizeof err);
    ck_assert_ptr_nonnull(rnd);
    ck_assert_int_eq(gobench_run(&set, rnd, NULL, NULL, NULL, &r, err, sizeof err), 0);
    ck_assert_int_eq(r.n_legal, 8);
    rnd->free(rnd);
    co.weights = "w.gguf";
    if (!eval_chooser_kind("learned")->make) {
        ck_assert_ptr_null(eval_chooser_new("learned", &co, err, sizeof err));
        ck_assert_str_eq(err, "no learned player available yet in this build");
    }
    ck_assert_ptr_null(eval_chooser_new("nosuch", &co, err, sizeof err));
    gobench_set_free(&set);
}
END_TEST

/* ---- database ---- */

static int64_t scalar(db_t *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Position sets are bounded: a line over GOBENCH_MAX_LINE is reported and skipped (the lines
 * around it still load, with their numbers), and an endless stream (/dev/zero, one line that
 * never ends) is refused after GOBENCH_MAX_BYTES. Without sanitizers the address space is capped
 * at 1 GiB, so a reader without the limit fails here instead of eating the machine's memory. */
START_TEST(test_gobench_limits)
{
#if !defined(__SANITIZE_ADDRESS__)
    struct rlimit rl = {1ul << 30, 1ul << 30};
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
#endif
    make_tmpdir();
    char path[400], err[300];
    snprintf(path, sizeof path, "%s/long.jsonl", tmpdir);
    size_t n1 = 0, cap = 0;
    char *good = NULL;
    FILE *fx = fopen(fixture("positions.jsonl"), "r");
    ck_assert_ptr_nonnull(fx);
    ck_assert(getline(&good, &cap, fx) > 0); /* line 1 is a good position */
    fclose(fx);
    n1 = strlen(good);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(good, f);
    for (size_t i = 0; i < (size_t)GOBENCH_MAX_LINE + 10; i++) fputc(i % 2 ? ' ' : '[', f);
    fputc('\n', f);
    fputs(good, f);
    fclose(f);
    free(good);
    ck_assert(n1 > 10);

    gobench_set_t set;
    char *msgs = NULL;
    size_t msglen = 0;
    FILE *m = open_memstream(&msgs, &msglen);
    ck_assert_int_eq(gobench_load(path, &set, m, err, sizeof err), 0);
    fclose(m);
    ck_assert_int_eq(set.n, 2);
    ck_assert_int_eq(set.n_bad, 1);
    ck_assert_int_eq(set.pos[1].line, 3);
    ck_assert_msg(strstr(msgs, "long.jsonl:2: line longer than 1 MiB, the position line limit"), "%s", msgs);
    free(msgs);
    gobench_set_free(&set);

    ck_assert_int_eq(gobench_load("/dev/zero", &set, NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "larger than 256 MiB, the position-set size limit"), "%s", err);
    ck_assert_int_eq(set.n, 0);
    remove_tmpdir();
}
END_TEST

START_TEST(test_db_schema_and_api)
{
    make_tmpdir();
    char path[400], err[600];
    snprintf(path, sizeof path, "%s/t.db", tmpdir);
    db_t *db = db_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(scalar(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    ck_assert_int_eq(scalar(db, "PRAGMA foreign_keys"), 1);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);

    /* Engines: the program's directory does not matter; name/version do. */
    int64_t a = db_engine_get(db, "/x/build/videogo  gtp --player random", "videogo", "0.1.0", NULL);
    int64_t b = db_engine_get(db, "build-y/videogo gtp   --player random", "videogo", "0.1.0", NULL);
    int64_t c = db_engine_get(db, "videogo gtp --player random", "videogo", "0.2.0", NULL);
    ck_assert(a > 0);
    ck_assert_int_eq(a, b);
    ck_assert(c != a && c > 0);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM engines WHERE label = 'videogo gtp --player random #2'"), 1);

    /* Foreign keys are enforced: a game of a match that does not exist is refused. */
    db_game_t g = {.match_id = 999, .game_index = 0, .black_id = a, .white_id = c, .winner = 'B', .result = "B+R",
                   .reason = "resign", .sgf = "(;)"};
    ck_assert_int_eq(db_game_insert(db, &g), -1);
    db_match_t m = {.black_cmd = "x", .white_cmd = "y", .size = 9, .komi = 7, .games = 4, .max_moves = 400};
    ck_assert_int_eq(db_match_open(db, &m, 0), 0);
    g.match_id = m.id;
    ck_assert(db_game_insert(db, &g) > 0);
    ck_assert_int_eq(db_game_insert(db, &g), -1); /* (match, index) is unique */
    db_match_t again = {.black_cmd = "x", .white_cmd = "y", .size = 9, .komi = 7, .games = 6, .max_moves = 400};
    ck_assert_int_eq(db_match_open(db, &again, 0), 0);
    ck_assert_int_eq(again.id, m.id);
    ck_assert_int_eq(scalar(db, "SELECT games_total FROM matches"), 6);
    unsigned char done[6];
    ck_assert_int_eq(db_match_done(db, m.id, done, 6), 1);
    ck_assert_int_eq(done[0], 1);
    ck_assert_int_eq(done[1], 0);
    db_match_t wrong = {.id = m.id, .black_cmd = "z", .white_cmd = "y", .size = 9, .komi = 7, .games = 6};
    ck_assert_int_eq(db_match_open(db, &wrong, 0), -1);

    /* Training API. */
    int64_t run = db_train_run_begin(db, "tokenizer", "{\"lr\":0.001}", NULL);
    ck_assert(run > 0);
    for (int s = 0; s < 5; s++) ck_assert_int_eq(db_train_log(db, run, "train", s * 10, 2.0 / (s + 1), 1e-3, 500), 0);
    ck_assert_int_eq(db_train_log(db, run, "train", 40, 0.3, 1e-3, 500), 0); /* replaces step 40 */
    ck_assert_int_eq(db_train_log(db, run, "val", 40, 0.5, 1e-3, 0), 0);
    ck_assert_int_eq(db_train_run_end(db, run, "done", "w.gguf", "abc"), 0);
    ck_assert_int_eq(db_train_run_end(db, 12345, "done", NULL, NULL), -1);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM training_log"), 6);
    ck_assert_int_eq(scalar(db, "SELECT CAST(loss * 10 AS INT) FROM training_log WHERE step = 40 AND split = 'train'"), 3);
    db_close(db);

    /* A version-1 file (no games.res_tt / scoring) is brought to the current version. */
    db = db_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(db_exec(db, "ALTER TABLE games DROP COLUMN res_tt; ALTER TABLE games DROP COLUMN scoring; "
                                 "ALTER TABLE games DROP COLUMN ko; "
                                 "PRAGMA user_version = 1"), 0);
    db_close(db);
    db = db_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(scalar(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games WHERE scoring = 'agreed' AND res_tt = '?'"), 1);
    db_close(db);

    /* Reopen: nothing to migrate; a newer schema is refused with a clear message. */
    db = db_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(db_exec(db, "PRAGMA user_version = 99"), 0);
    db_close(db);
    ck_assert_ptr_null(db_open(path, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "newer"));
    remove_tmpdir();
}
END_TEST

/* The commands that only read (ratings, match list, report) open the database read-only, so
 * they work on a file and folder they cannot write. As root the check runs as nobody, since
 * root writes through the permissions. */
START_TEST(test_db_readonly)
{
    make_tmpdir();
    char path[400], err[600];
    snprintf(path, sizeof path, "%s/ro.db", tmpdir);
    db_t *db = db_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert(db_engine_get(db, "gnugo --mode gtp", "GNU Go", "3.8", "gnugo") > 0);
    db_close(db);
    ck_assert_ptr_null(db_open_readonly("/nonexistent/x.db", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.db"));
    ck_assert_int_eq(chmod(path, 0444), 0);
    ck_assert_int_eq(chmod(tmpdir, 0555), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) || setuid(65534))) _exit(3);
        db_t *r = db_open_readonly(path, err, sizeof err);
        if (!r) {
            fprintf(stderr, "read-only open: %s\n", err);
            _exit(1);
        }
        int n = scalar(r, "SELECT COUNT(*) FROM engines");
        db_close(r);
        _exit(n == 1 ? 0 : 2);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    chmod(tmpdir, 0755);
    chmod(path, 0644);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    remove_tmpdir();
}
END_TEST

START_TEST(test_scoring_rules)
{
    match_game_t g;
    memset(&g, 0, sizeof g);
    g.scored = true;
    g.score_tt = -3.0, g.score_est = 2.0, g.score_agreed = NAN;
    match_apply_scoring(&g, MATCH_SCORING_TROMP_TAYLOR);
    ck_assert_int_eq(g.winner, 'W');
    ck_assert_str_eq(g.result, "W+3");
    match_apply_scoring(&g, MATCH_SCORING_AGREED); /* no agreement: the estimate */
    ck_assert_int_eq(g.winner, 'B');
    g.score_agreed = -0.5;
    match_apply_scoring(&g, MATCH_SCORING_AGREED);
    ck_assert_str_eq(g.result, "W+0.5");
    match_apply_scoring(&g, MATCH_SCORING_ESTIMATE);
    ck_assert_str_eq(g.result, "B+2");
    g.scored = false; /* a resignation or forfeit stays as it is */
    snprintf(g.result, sizeof g.result, "B+R");
    match_apply_scoring(&g, MATCH_SCORING_TROMP_TAYLOR);
    ck_assert_str_eq(g.result, "B+R");
    match_scoring_t s;
    ck_assert_int_eq(match_scoring_parse("estimate", &s), 0);
    ck_assert_int_eq(s, MATCH_SCORING_ESTIMATE);
    ck_assert_int_eq(match_scoring_parse("japanese", &s), -1);
}
END_TEST

START_TEST(test_default_label)
{
    char out[512];
    match_default_label("/x/videogo gtp --playouts 0 --seed {game}", "gnugo --mode gtp --level 1", "videogo",
                        "0.1.0", out, sizeof out);
    ck_assert_str_eq(out, "videogo 0.1.0 gtp --playouts 0");
    match_default_label("gnugo --mode gtp --level 1", "/x/videogo gtp --seed {game}", "GNU Go", "3.8", out,
                        sizeof out);
    ck_assert_str_eq(out, "GNU Go 3.8 --mode gtp --level 1");
    match_default_label("videogo gtp --seed {game}", "videogo gtp --seed {game} --sample", "videogo", "0.1.0", out,
                        sizeof out);
    ck_assert_str_eq(out, "videogo 0.1.0");
    match_default_label("a b", "a b", "", NULL, out, sizeof out);
    ck_assert_str_eq(out, "engine");
}
END_TEST

START_TEST(test_parse_result)
{
    char w;
    double s;
    ck_assert_int_eq(match_parse_result("B+3.5", &w, &s), 0);
    ck_assert(w == 'B' && s == 3.5);
    ck_assert_int_eq(match_parse_result(" w+12 ", &w, &s), 0);
    ck_assert(w == 'W' && s == -12);
    ck_assert_int_eq(match_parse_result("W+R", &w, &s), 0);
    ck_assert(w == 'W' && isinf(s) && s < 0);
    ck_assert_int_eq(match_parse_result("0", &w, &s), 0);
    ck_assert(w == '0' && s == 0);
    ck_assert_int_eq(match_parse_result("Draw", &w, &s), 0);
    ck_assert_int_eq(w, '0');
    ck_assert_int_eq(match_parse_result("B+", &w, &s), -1);
    ck_assert_int_eq(match_parse_result("?", &w, &s), -1);
    ck_assert_int_eq(match_parse_result("X+3", &w, &s), -1);
}
END_TEST

/* ---- report ---- */

static void check_png(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    ck_assert_msg(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, "%s is not a PNG", path);
    ck_assert(cairo_image_surface_get_width(s) > 100);
    cairo_surface_destroy(s);
}

START_TEST(test_report)
{
    make_tmpdir();
    char path[400], out[400], err[600];
    snprintf(path, sizeof path, "%s/r.db", tmpdir);
    snprintf(out, sizeof out, "%s/report", tmpdir);
    db_t *db = db_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    report_opts_t o = {.anchor = "gnugo --level 10", .rating = {.prior_games = 2, .anchor_elo = 1800}};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(report_write(db, &o, out, f, err, sizeof err), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "no training runs yet"));
    ck_assert_ptr_nonnull(strstr(text, "no evaluations yet"));
    ck_assert_ptr_nonnull(strstr(text, "no rated games yet"));
    free(text);
    check_png(out, "training_loss.png");
    check_png(out, "ladder.png");

    /* With data: a training run, an evaluation, two engines with games. */
    int64_t run = db_train_run_begin(db, "ldm", "{}", NULL);
    for (int s = 1; s <= 50; s++) db_train_log(db, run, "train", s, 5.0 / s, 1e-3, 100);
    db_eval_t e = {.benchmark = "gobench", .set_path = "x.jsonl", .player = "random", .config = "{}", .n = 10,
                   .legal = 1, .legal_lo = 0.7, .legal_hi = 1, .value = 0.08, .value_lo = 0.05, .value_hi = 0.1,
                   .best = 0.03, .best_lo = 0.01, .best_hi = 0.09};
    ck_assert(db_eval_insert(db, &e) > 0);
    db_match_t m = {.black_cmd = "a", .white_cmd = "b", .size = 9, .komi = 7, .games = 3, .max_moves = 400};
    ck_assert_int_eq(db_match_open(db, &m, 0), 0);
    int64_t ea = db_engine_get(db, "gnugo --mode gtp --level 10", "GNU Go", "3.8", NULL);
    int64_t eb = db_engine_get(db, "videogo gtp", "videogo", "0.1.0", NULL);
    for (int i = 0; i < 3; i++) {
        db_game_t g = {.match_id = m.id, .game_index = i, .black_id = i % 2 ? eb : ea, .white_id = i % 2 ? ea : eb,
                       .winner = i == 0 ? 'B' : 'W', .result = "B+R", .reason = "resign", .sgf = "(;)"};
        ck_assert(db_game_insert(db, &g) > 0);
    }
    f = open_memstream(&text, &len);
    ck_assert_int_eq(report_write(db, &o, out, f, err, sizeof err), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "run 1 ldm"));
    ck_assert_ptr_nonnull(strstr(text, "anchor 'gnugo --level 10' = 1800"));
    ck_assert_ptr_nonnull(strstr(text, "gnugo --mode gtp --level 10"));
    ck_assert_ptr_nonnull(strstr(text, "  1   1800.0    anchor"));  /* gnugo won 2 of 3 */
    free(text);
    check_png(out, "training_loss.png");
    check_png(out, "evaluations.png");
    check_png(out, "ladder.png");
    db_close(db);
    remove_tmpdir();
    plot_release_fonts();
}
END_TEST

static Suite *eval_suite(void)
{
    Suite *s = suite_create("eval");
    TCase *t = tcase_create("ratings");
    tcase_add_test(t, test_rating_two_players_no_prior);
    tcase_add_test(t, test_db_readonly);
    tcase_add_test(t, test_default_label);
    tcase_add_test(t, test_scoring_rules);
    tcase_add_test(t, test_rating_two_players_prior);
    tcase_add_test(t, test_rating_three_players_brute_force);
    tcase_add_test(t, test_rating_unbounded_without_prior);
    tcase_add_test(t, test_anchor_matching);
    suite_add_tcase(s, t);
    t = tcase_create("gobench");
    tcase_add_test(t, test_wilson_known_values);
    tcase_add_test(t, test_json);
    tcase_add_test(t, test_gobench_fixture);
    tcase_add_test(t, test_gobench_limits);
    suite_add_tcase(s, t);
    t = tcase_create("db");
    tcase_add_test(t, test_db_schema_and_api);
    tcase_add_test(t, test_parse_result);
    tcase_add_test(t, test_report);
    tcase_set_timeout(t, 60);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(eval_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
