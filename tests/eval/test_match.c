/* test_match.c: the match runner through real processes and pipes:
 *  - one game each against misbehaving engines (tests/data/eval/fake_engine.sh): an
 *    illegal move, a refused move, a timeout and a crash lose the game;
 *  - `videogo gtp --player random` against itself, in process: ends on two passes and
 *    replays legally;
 *  - "{game}" in an engine command becomes the game's index (`--seed {game}`);
 *  - a 2-game 9x9 match `videogo gtp --player random` vs `gnugo --level 1` through the
 *    `videogo match` CLI, then export (.dat, PGN, SGF) and ratings (skips without gnugo);
 *  - SIGKILL of `videogo match` after its first game is committed: every finished game
 *    is intact and rerunning the command resumes and completes the match.
 * Needs VIDEOGO_BIN and VIDEOGO_SRC (tests/meson.build sets them). */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/sgf.h"
#include "engine/util.h"
#include "eval/db.h"
#include "eval/match.h"

static char tmpdir[256];
static char bin[1024], fake[1024], gnugo[256];

static void setup(void)
{
    const char *b = getenv("VIDEOGO_BIN"), *s = getenv("VIDEOGO_SRC");
    ck_assert_msg(b && s, "VIDEOGO_BIN and VIDEOGO_SRC must be set (run through meson test)");
    snprintf(bin, sizeof bin, "%s", b);
    snprintf(fake, sizeof fake, "sh %s/tests/data/eval/fake_engine.sh", s);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/videogo-test-match-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    signal(SIGPIPE, SIG_IGN);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Runs argv (argv[0] a path) and returns its exit status, stdout discarded unless out. */
static int run(char *const argv[], const char *out_path)
{
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        if (out_path && !freopen(out_path, "w", stdout)) _exit(126);
        if (!out_path && !freopen("/dev/null", "w", stdout)) _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Parses an SGF text and replays it; returns its number of moves. */
static int sgf_moves_checked(const char *text, char *result, int resultlen)
{
    sgf_collection_t c;
    sgf_error_t e;
    ck_assert_msg(sgf_parse(text, strlen(text), &c, &e) == 0, "SGF does not parse: %s", e.message);
    ck_assert_int_eq(c.n_games, 1);
    game_t g;
    memset(&g, 0, sizeof g);
    int bad = -1;
    ck_assert_msg(sgf_replay(&c.games[0], -1, &g, &bad) == 0, "SGF move %d is illegal", bad);
    int n = c.games[0].n_moves;
    snprintf(result, (size_t)resultlen, "%s", c.games[0].result ? c.games[0].result : "");
    game_free(&g);
    sgf_collection_free(&c);
    return n;
}

/* ---- single games ---- */

static void one_game(const char *black, const char *white, double timeout, match_game_t *g)
{
    char err[600];
    int rc = match_play_game(black, white, 9, 7, 400, timeout, -1, -1, false, g, err, sizeof err);
    ck_assert_msg(rc == 0, "game did not start: %s", err);
}

START_TEST(test_misbehaving_engines)
{
    char b[1200], w[1200];
    match_game_t g;

    /* Black repeats A1: its second move is on an occupied point. */
    snprintf(b, sizeof b, "%s illegal", fake);
    snprintf(w, sizeof w, "%s pass", fake);
    one_game(b, w, 10, &g);
    ck_assert_str_eq(g.reason, "illegal");
    ck_assert_str_eq(g.result, "W+F");
    ck_assert_int_eq(g.winner, 'W');
    ck_assert_int_eq(g.n_moves, 2); /* A1, pass; the illegal A1 is not recorded */
    ck_assert_ptr_nonnull(strstr(g.error, "occupied"));
    ck_assert_str_eq(g.name[0], "fake-illegal");
    free(g.moves);

    /* White refuses every move: the mover (Black) forfeits, as in gomill. */
    snprintf(b, sizeof b, "%s pass", fake);
    snprintf(w, sizeof w, "%s refuse", fake);
    one_game(b, w, 10, &g);
    ck_assert_str_eq(g.reason, "illegal");
    ck_assert_int_eq(g.winner, 'W');
    ck_assert_ptr_nonnull(strstr(g.error, "refused"));
    free(g.moves);

    /* White is too slow. */
    snprintf(b, sizeof b, "%s pass", fake);
    snprintf(w, sizeof w, "%s timeout", fake);
    one_game(b, w, 0.2, &g);
    ck_assert_str_eq(g.reason, "timeout");
    ck_assert_str_eq(g.result, "B+T");
    free(g.moves);

    /* Black dies. */
    snprintf(b, sizeof b, "%s crash", fake);
    snprintf(w, sizeof w, "%s pass", fake);
    one_game(b, w, 10, &g);
    ck_assert_str_eq(g.reason, "crash");
    ck_assert_str_eq(g.result, "W+F");
    free(g.moves);

    /* Two passes: scored; both fakes say "0" and agree. */
    snprintf(b, sizeof b, "%s pass", fake);
    snprintf(w, sizeof w, "%s pass", fake);
    one_game(b, w, 10, &g);
    ck_assert_str_eq(g.reason, "passes");
    ck_assert_str_eq(g.result, "0");
    ck_assert_int_eq(g.winner, '0');
    ck_assert_str_eq(g.res_own, "W+7"); /* our own count (empty board, komi 7) is not used: they agree */
    free(g.moves);

    /* A command that does not exist cannot start a game. */
    char err[600];
    ck_assert_int_eq(match_play_game("/nonexistent/engine", w, 9, 7, 400, 5, -1, -1, false, &g, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/engine"));
}
END_TEST

START_TEST(test_random_selfplay_game)
{
    char b[1200], w[1200];
    snprintf(b, sizeof b, "%s gtp --player random --seed 3", bin);
    snprintf(w, sizeof w, "%s gtp --player random --seed 4", bin);
    match_game_t g;
    one_game(b, w, 30, &g);
    ck_assert_msg(!strcmp(g.reason, "passes") || !strcmp(g.reason, "move-limit"), "reason %s: %s", g.reason,
                  g.error);
    ck_assert(g.scored);
    ck_assert(g.n_moves > 20);
    /* Replaying the recorded moves is legal and ends on two passes. */
    game_t gm;
    memset(&gm, 0, sizeof gm);
    game_init(&gm, 9, 7);
    for (int i = 0; i < g.n_moves; i++)
        ck_assert_int_eq(game_play(&gm, i % 2 ? STONE_WHITE : STONE_BLACK, g.moves[i]), MOVE_OK);
    if (!strcmp(g.reason, "passes")) ck_assert(game_over(&gm));
    /* The result is the engines' when they agree, else our own. */
    char wb, ww, wr;
    double sb, sw, sr;
    ck_assert_int_eq(match_parse_result(g.result, &wr, &sr), 0);
    if (!match_parse_result(g.res_black, &wb, &sb) && !match_parse_result(g.res_white, &ww, &sw) && sb == sw)
        ck_assert_double_eq(sr, sb);
    else
        ck_assert_str_eq(g.result, g.res_own);
    game_free(&gm);
    free(g.moves);
}
END_TEST

/* ---- the CLI against GNU Go ---- */

static bool find_gnugo(void)
{
    const char *cands[] = {"/usr/games/gnugo", "/usr/bin/gnugo", "/usr/local/bin/gnugo"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (access(cands[i], X_OK) == 0) {
            snprintf(gnugo, sizeof gnugo, "%s", cands[i]);
            return true;
        }
    return false;
}

/* Column k (0-based) of the tab-separated row starting at row, into out. */
static void dat_field(const char *row, int k, char *out, size_t outlen)
{
    for (int i = 0; i < k; i++) {
        row = strchr(row, '\t');
        ck_assert_ptr_nonnull(row);
        row++;
    }
    size_t n = strcspn(row, "\t\n");
    snprintf(out, outlen, "%.*s", (int)n, row);
}

/* "B+x" <-> "W+x": a result from the other program's point of view. */
static void swap_colour(const char *in, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", in);
    if ((out[0] == 'B' || out[0] == 'W') && out[1] == '+') out[0] = out[0] == 'B' ? 'W' : 'B';
}

static int64_t scalar(db_t *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Every stored game parses, replays legally, has as many moves as recorded and the
 * same result. Returns the number of games. */
static int check_stored_games(db_t *db)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT sgf, moves, result, reason FROM games", -1, &st, NULL),
                     SQLITE_OK);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char re[64];
        int moves = sgf_moves_checked((const char *)sqlite3_column_text(st, 0), re, sizeof re);
        ck_assert_int_eq(moves, sqlite3_column_int(st, 1));
        ck_assert_str_eq(re, (const char *)sqlite3_column_text(st, 2));
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

START_TEST(test_match_vs_gnugo)
{
    ck_assert(find_gnugo());
    char db_path[400], black[1200], white[400], out[400];
    snprintf(db_path, sizeof db_path, "%s/m.db", tmpdir);
    snprintf(black, sizeof black, "%s gtp --player random", bin);
    snprintf(white, sizeof white, "%s --mode gtp --level 1 --chinese-rules", gnugo);
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    char *argv[] = {bin, "match", "--black", black, "--white", white, "--games", "2", "--size", "9", "--komi", "7",
                    "--db", db_path, "--quiet", NULL};
    double t0 = time_wall();
    ck_assert_int_eq(run(argv, out), 0);
    fprintf(stderr, "2-game match videogo random vs gnugo level 1: %.1f s\n", time_wall() - t0);
    ck_assert_ptr_nonnull(strstr(slurp(out), "2 of 2 games recorded"));

    char err[600];
    db_t *db = db_open(db_path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(check_stored_games(db), 2);
    /* Colours alternate: game 0 has videogo as Black, game 1 has GNU Go as Black. */
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games g JOIN engines e ON e.id = g.black_id "
                                "WHERE g.game_index = 0 AND e.command LIKE 'videogo gtp%'"), 1);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games g JOIN engines e ON e.id = g.black_id "
                                "WHERE g.game_index = 1 AND e.command LIKE 'gnugo %' AND e.name = 'GNU Go'"), 1);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games WHERE reason IN ('passes', 'resign', 'move-limit')"), 2);
    /* each game's result and the two engines' own answers (black's, white's) */
    char res[2][3][64];
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT result, res_black, res_white FROM games ORDER BY game_index",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (int g = 0; g < 2; g++) {
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        for (int k = 0; k < 3; k++) {
            const unsigned char *t = sqlite3_column_text(st, k);
            snprintf(res[g][k], sizeof res[g][k], "%s", t ? (const char *)t : "");
        }
    }
    sqlite3_finalize(st);
    db_close(db);

    /* Rerunning the same command plays nothing more. */
    ck_assert_int_eq(run(argv, out), 0);
    ck_assert_ptr_nonnull(strstr(slurp(out), "2 of 2 games recorded"));

    /* Exports. */
    char dat[400], pgn[400], sgfdir[400];
    snprintf(dat, sizeof dat, "%s/m.dat", tmpdir);
    snprintf(pgn, sizeof pgn, "%s/m.pgn", tmpdir);
    snprintf(sgfdir, sizeof sgfdir, "%s/sgf", tmpdir);
    char *ex[] = {bin, "match", "export", "--db", db_path, "--dat", dat, "--pgn", pgn, "--sgf-dir", sgfdir, NULL};
    ck_assert_int_eq(run(ex, NULL), 0);
    const char *d = slurp(dat);
    ck_assert_ptr_nonnull(strstr(d, "# Black: videogo"));
    ck_assert_ptr_nonnull(strstr(d, "# White: GNU Go"));
    ck_assert_ptr_nonnull(strstr(d, "# Komi: 7\n"));
    ck_assert_ptr_nonnull(strstr(d, "#GAME\tRES_B\tRES_W\tRES_R\tALT\tDUP\tLEN\tTIME_B\tTIME_W\tCPU_B\tCPU_W\tERR\tERR_MSG\n"));
    ck_assert_ptr_nonnull(strstr(d, "\n0\t"));
    const char *row1 = strstr(d, "\n1\t");
    ck_assert_ptr_nonnull(row1);
    int fields = 0;
    char alt[8] = "";
    for (const char *q = row1 + 1; *q && *q != '\n'; q++)
        if (*q == '\t' && ++fields == 4) snprintf(alt, sizeof alt, "%.1s", q + 1);
    ck_assert_int_eq(fields, 12);
    ck_assert_str_eq(alt, "1");
    /* gogui-twogtp's result columns: RES_B / RES_W are the answers of the program given as
     * --black (A) and of the other (B), RES_R the referee's, all from A's point of view: as
     * stored for game 0 (A is Black), with the colours swapped for the alternated game 1 */
    char field[64], want[64];
    const char *row0 = strstr(d, "\n0\t") + 1;
    dat_field(row0, 1, field, sizeof field);
    ck_assert_str_eq(field, res[0][1]);
    dat_field(row0, 2, field, sizeof field);
    ck_assert_str_eq(field, res[0][2]);
    dat_field(row0, 3, field, sizeof field);
    ck_assert_str_eq(field, res[0][0]);
    swap_colour(res[1][2], want, sizeof want), dat_field(row1 + 1, 1, field, sizeof field);
    ck_assert_str_eq(field, want);
    swap_colour(res[1][1], want, sizeof want), dat_field(row1 + 1, 2, field, sizeof field);
    ck_assert_str_eq(field, want);
    swap_colour(res[1][0], want, sizeof want), dat_field(row1 + 1, 3, field, sizeof field);
    ck_assert_str_eq(field, want);
    ck_assert_msg(res[1][0][0] == 'B' || res[1][0][0] == 'W', "game 1 has a winner: %s", res[1][0]);
    const char *p = slurp(pgn);
    int results = 0;
    for (const char *q = p; (q = strstr(q, "[Result \"")); q++) results++;
    ck_assert_int_eq(results, 2);
    /* the default label: GNU Go's own name and version, then the options videogo's command lacks */
    ck_assert_msg(strstr(p, "[White \"GNU Go 3.8 --mode gtp --level 1 --chinese-rules\"]"), "%s", p);
    char f0[500];
    snprintf(f0, sizeof f0, "%s/m1-1.sgf", sgfdir);
    char re[64];
    sgf_moves_checked(slurp(f0), re, sizeof re);

    /* Ratings over these games: the default anchor has not played. */
    char png[400];
    snprintf(png, sizeof png, "%s/ladder.png", tmpdir);
    char *ra[] = {bin, "ratings", "--db", db_path, "--png", png, NULL};
    ck_assert_int_eq(run(ra, out), 0);
    const char *r = slurp(out);
    ck_assert_ptr_nonnull(strstr(r, "has not played"));
    ck_assert_msg(strstr(r, "GNU Go 3.8 --mode gtp --level 1"), "%s", r);
    ck_assert_int_eq(access(png, R_OK), 0);
}
END_TEST

/* ---- SIGKILL and resume ---- */

START_TEST(test_sigkill_resume)
{
    char db_path[400], black[1200], white[1200];
    snprintf(db_path, sizeof db_path, "%s/k.db", tmpdir);
    snprintf(black, sizeof black, "%s gtp --player random --seed 1", bin);
    snprintf(white, sizeof white, "%s gtp --player random --seed 2", bin);
    const int total = 6;
    char *argv[] = {bin, "match", "--black", black, "--white", white, "--games", "6", "--db", db_path, "--quiet",
                    NULL};
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    /* Wait for the first committed game (reading as another connection would). */
    int finished = 0;
    double deadline = time_wall() + 60;
    while (time_wall() < deadline) {
        if (access(db_path, F_OK) == 0) {
            sqlite3 *h;
            if (sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
                sqlite3_busy_timeout(h, 1000);
                sqlite3_stmt *st;
                if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM games", -1, &st, NULL) == SQLITE_OK) {
                    if (sqlite3_step(st) == SQLITE_ROW) finished = sqlite3_column_int(st, 0);
                    sqlite3_finalize(st);
                }
            }
            sqlite3_close(h);
        }
        if (finished >= 1) break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(finished >= 1, "no game committed within 60 s");
    /* Into the next game, then kill -9. */
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    char err[600];
    db_t *db = db_open(db_path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);
    int before = check_stored_games(db);
    ck_assert_msg(before >= 1 && before < total, "%d games before the kill", before);
    /* Remember what was there. */
    char *snapshot = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT group_concat(id || ':' || game_index || ':' || length(sgf) "
                                               "|| ':' || result, ',') FROM (SELECT * FROM games ORDER BY id)",
                                        -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    snapshot = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    db_close(db);

    /* The same command resumes and completes the match. */
    ck_assert_int_eq(run(argv, NULL), 0);
    db = db_open(db_path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(check_stored_games(db), total);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM matches"), 1);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(DISTINCT game_index) FROM games WHERE game_index BETWEEN 0 AND 5"), total);
    ck_assert_int_eq(sqlite3_prepare_v2(db->h, "SELECT group_concat(id || ':' || game_index || ':' || length(sgf) "
                                               "|| ':' || result, ',') FROM (SELECT * FROM games ORDER BY id LIMIT ?1)",
                                        -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_int(q, 1, before);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), snapshot);
    sqlite3_finalize(q);
    free(snapshot);
    db_close(db);
}
END_TEST

/* "{game}" in an engine command becomes the game's index: with `--seed {game}` the random
 * player plays games 0 and 2 (same colours, same opponent seed) differently; a command
 * left with a literal "{game}" would not even start (--seed wants a number). */
START_TEST(test_game_placeholder)
{
    char db_path[400], black[1200], white[1200];
    snprintf(db_path, sizeof db_path, "%s/p.db", tmpdir);
    snprintf(black, sizeof black, "%s gtp --player random --seed {game}", bin);
    snprintf(white, sizeof white, "%s gtp --player random --seed 7", bin);
    char *argv[] = {bin, "match", "--black", black, "--white", white, "--games", "3", "--size", "9", "--komi", "7",
                    "--db", db_path, "--quiet", NULL};
    char sum[450];
    snprintf(sum, sizeof sum, "%s/p.out", tmpdir);
    ck_assert_int_eq(run(argv, sum), 0);
    /* each engine's own time per genmove (A plays 2 games as Black, B 1) */
    const char *text = slurp(sum);
    long ma = 0, mb = 0;
    double ta = -1, tb = -1;
    const char *line = strstr(text, " s per genmove (");
    while (line && line > text && line[-1] != '\n') line--;
    ck_assert_msg(line && sscanf(line, "  A %lf s per genmove (%ld moves), B %lf s per genmove (%ld moves)", &ta, &ma,
                                 &tb, &mb) == 4, "%s", text);
    ck_assert(ta >= 0 && tb >= 0 && ma > 0 && mb > 0);
    char err[600];
    db_t *db = db_open(db_path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(check_stored_games(db), 3);
    ck_assert_int_eq(scalar(db, "SELECT SUM(moves) FROM games"), (int)(ma + mb));
    ck_assert_int_eq(scalar(db, "SELECT COUNT(DISTINCT sgf) FROM games WHERE game_index IN (0, 2)"), 2);
    /* the engine is stored under the command as given, placeholder included */
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM engines WHERE command LIKE '%--seed {game}'"), 1);
    /* every game scored by the default rule, with its Tromp-Taylor count */
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games WHERE scoring = 'tromp-taylor' AND ko = 'positional'"), 3);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games WHERE score IS NOT NULL AND res_tt = '?'"), 0);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games WHERE score IS NOT NULL AND result != res_tt"), 0);
    /* default labels: the engine's name and version, plus the options the other lacks */
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM engines WHERE label LIKE 'videogo %' AND label NOT LIKE '%{game}%' "
                                "AND label NOT LIKE '%/%'"), 2);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM engines WHERE label LIKE 'videogo % --seed 7'"), 1);
    db_close(db);
    /* the ratings plot is named after its database, so two databases in a folder keep theirs */
    char *rargv[] = {bin, "ratings", "--db", db_path, NULL};
    ck_assert_int_eq(run(rargv, NULL), 0);
    char png[450];
    snprintf(png, sizeof png, "%s/p-ratings.png", tmpdir);
    ck_assert_msg(access(png, R_OK) == 0, "%s not written", png);
}
END_TEST

/* An engine that cannot start records nothing: no match row, no engine, and says why. */
START_TEST(test_failed_start)
{
    char db_path[400], white[1200];
    snprintf(db_path, sizeof db_path, "%s/f.db", tmpdir);
    snprintf(white, sizeof white, "%s gtp --player random", bin);
    char *argv[] = {bin, "match", "--black", "/nonexistent/engine gtp", "--white", white, "--games", "2", "--db",
                    db_path, "--quiet", NULL};
    ck_assert_int_ne(run(argv, NULL), 0);
    char err[600];
    db_t *db = db_open(db_path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM matches"), 0);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games"), 0);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM engines"), 0);
    db_close(db);
}
END_TEST

/* KataGo (../shared/tools/katago, 1 visit) as an opponent: found, able to start (it needs
 * libzip4), else the test binary skips. */
static char katago[4096];

static bool find_katago(void)
{
    const char *data = getenv("VIDEOGO_DATA");
    char dir[1000];
    snprintf(dir, sizeof dir, "%s/../tools/katago", data ? data : "../shared/data");
    char exe[1100], probe[1200];
    snprintf(exe, sizeof exe, "%s/katago", dir);
    if (access(exe, X_OK)) return false;
    snprintf(probe, sizeof probe, "'%s' version >/dev/null 2>&1", exe);
    if (system(probe) != 0) return false; /* e.g. libzip.so.4 missing */
    snprintf(katago, sizeof katago, "%s gtp -model %s/g170-b6c96-s175395328-d26788732.bin.gz -config %s/gtp-1visit.cfg",
             exe, dir, dir);
    return true;
}

/* A short match against KataGo: both games recorded and scored, KataGo labelled by its own
 * name and version, colours alternating. */
START_TEST(test_match_vs_katago)
{
    ck_assert(find_katago());
    char db_path[400], black[1200], out[400];
    snprintf(db_path, sizeof db_path, "%s/k.db", tmpdir);
    snprintf(black, sizeof black, "%s gtp --player random --seed {game}", bin);
    snprintf(out, sizeof out, "%s/k.txt", tmpdir);
    char *argv[] = {bin, "match", "--black", black, "--white", katago, "--games", "2", "--size", "9", "--komi", "7",
                    "--timeout", "300", "--ko", "simple", "--db", db_path, "--quiet", NULL};
    ck_assert_int_eq(run(argv, out), 0);
    ck_assert_ptr_nonnull(strstr(slurp(out), "2 of 2 games recorded"));
    char err[600];
    db_t *db = db_open(db_path, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_eq(check_stored_games(db), 2);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM engines WHERE label LIKE 'KataGo %'"), 1);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games WHERE ko = 'simple'"), 2);
    ck_assert_int_eq(scalar(db, "SELECT COUNT(*) FROM games g JOIN engines e ON e.id = g.black_id "
                                "WHERE g.game_index = 1 AND e.label LIKE 'KataGo %'"), 1);
    db_close(db);
}
END_TEST

static Suite *match_suite(bool with_gnugo)
{
    Suite *s = suite_create("eval-match");
    TCase *t = tcase_create("match");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    if (with_gnugo && katago[0]) {
        tcase_add_test(t, test_match_vs_katago);
    } else if (with_gnugo) {
        tcase_add_test(t, test_match_vs_gnugo);
    } else {
        tcase_add_test(t, test_misbehaving_engines);
        tcase_add_test(t, test_random_selfplay_game);
        tcase_add_test(t, test_game_placeholder);
        tcase_add_test(t, test_failed_start);
        tcase_add_test(t, test_sigkill_resume);
    }
    suite_add_tcase(s, t);
    return s;
}

/* `test_match gnugo` runs only the match against GNU Go and exits 77 (skip) when
 * gnugo is not installed; `test_match katago` only the one against KataGo (77 without it);
 * without arguments, everything else. */
int main(int argc, char **argv)
{
    bool with_gnugo = argc > 1 && !strcmp(argv[1], "gnugo");
    if (with_gnugo && !find_gnugo()) {
        fprintf(stderr, "gnugo not installed (apt-get install gnugo): skipping\n");
        return 77;
    }
    if (argc > 1 && !strcmp(argv[1], "katago")) {
        if (!find_katago()) {
            fprintf(stderr, "KataGo not found or cannot start (../shared/tools/katago; apt-get install libzip4): "
                            "skipping\n");
            return 77;
        }
        with_gnugo = true; /* the suite of one opponent test: katago[] is set */
    }
    SRunner *sr = srunner_create(match_suite(with_gnugo));
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
