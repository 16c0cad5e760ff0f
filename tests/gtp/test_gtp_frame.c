/* test_gtp_frame.c: GTP framing and command behaviour, driving gtp_main_loop in-process
 * with memory streams (fmemopen in, open_memstream out) and, for analysis, with pipes
 * and a thread so the poll()-based reader is exercised as with a real controller.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/player.h"
#include "gtp/gtp.h"

static gtp_t *mk(void)
{
    gtp_config_t cfg;
    gtp_config_default(&cfg);
    gtp_t *ctx = gtp_new(&cfg, player_random_new(1));
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

/* Feeds `input` (len bytes) through gtp_main_loop; returns the whole output (malloc'd). */
static char *run_n(gtp_t *ctx, const char *input, size_t len, int *rc)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *in = fmemopen((void *)input, len, "r");
    FILE *o = open_memstream(&out, &outlen);
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(o);
    int r = gtp_main_loop(ctx, in, o);
    if (rc) *rc = r;
    fclose(in);
    fclose(o);
    return out;
}

static char *run(gtp_t *ctx, const char *input) { return run_n(ctx, input, strlen(input), NULL); }

/* One fresh engine, one input, the exact expected output. */
static void expect(const char *input, const char *want)
{
    gtp_t *ctx = mk();
    char *got = run(ctx, input);
    ck_assert_msg(!strcmp(got, want), "input %s\nwant [%s]\ngot  [%s]", input, want, got);
    free(got);
    gtp_free(ctx);
}

/* Runs setup lines (answers ignored) then `cmd`; checks the single answer. */
static void expect_after(const char *setup, const char *cmd, const char *want)
{
    gtp_t *ctx = mk();
    free(run(ctx, setup));
    char *got = run(ctx, cmd);
    ck_assert_msg(!strcmp(got, want), "after %s: %s\nwant [%s]\ngot  [%s]", setup, cmd, want, got);
    free(got);
    gtp_free(ctx);
}

START_TEST(test_basic_framing)
{
    expect("protocol_version\n", "= 2\n\n");
    expect("12 protocol_version\n", "=12 2\n\n");
    expect("boardsize 9\n", "= \n\n");       /* empty success keeps the space */
    expect("3 clear_board\n", "=3 \n\n");
    expect("name\n", "= videogo\n\n");
    expect("protocol_version", "= 2\n\n");   /* last line without '\n' */
    expect("0 name\n", "=0 videogo\n\n");
    expect("2147483647 name\n", "=2147483647 videogo\n\n");
}
END_TEST

START_TEST(test_preprocessing)
{
    /* empty, whitespace-only and comment-only lines get no response */
    expect("\n   \n# a comment\n\t\n\r\n", "");
    expect("\n\nname # trailing comment\n\n", "= videogo\n\n");
    expect("name\r\n", "= videogo\n\n");                 /* CR removed */
    expect("na\x01m\x7f" "e\n", "= videogo\n\n");        /* control characters removed */
    expect("1\tboardsize\t9\n", "=1 \n\n");              /* HT is a space */
    expect("  4   name   \n", "=4 videogo\n\n");
    expect("# 5 name\n", "");
    expect_after("\tboardsize\t13\t\n", "query_boardsize\n", "= 13\n\n");
}
END_TEST

START_TEST(test_unknown_and_ids)
{
    expect("foo\n", "? unknown command\n\n");
    expect("5 foo\n", "?5 unknown command\n\n");
    expect("7\n", "?7 unknown command\n\n");
    expect("PROTOCOL_VERSION\n", "? unknown command\n\n");  /* command names are case sensitive */
    expect("99999999999 name\n", "? invalid id\n\n");
    expect("-3 name\n", "? unknown command\n\n");
    expect("12a name\n", "? unknown command\n\n");
}
END_TEST

START_TEST(test_error_strings)
{
    static const char *cases[][2] = {
        {"boardsize x\n", "? boardsize not an integer\n\n"},
        {"boardsize\n", "? boardsize not an integer\n\n"},
        {"boardsize 1\n", "? unacceptable size\n\n"},
        {"boardsize 26\n", "? unacceptable size\n\n"},
        {"rectangular_boardsize 9 13\n", "? unacceptable size\n\n"},
        {"komi x\n", "? komi not a float\n\n"},
        {"komi\n", "? komi not a float\n\n"},
        {"play x d4\n", "? invalid color or coordinate\n\n"},
        {"play b z9\n", "? invalid color or coordinate\n\n"},
        {"play b i5\n", "? invalid color or coordinate\n\n"},
        {"play b j10\n", "? invalid color or coordinate\n\n"},
        {"play b\n", "? invalid color or coordinate\n\n"},
        {"play b d4\nplay w d4\n", "= \n\n? illegal move\n\n"},
        {"genmove x\n", "? invalid color\n\n"},
        {"genmove\n", "? invalid color\n\n"},
        {"reg_genmove purple\n", "? invalid color\n\n"},
        {"kgs-genmove_cleanup x\n", "? invalid color\n\n"},
        {"undo\n", "? cannot undo\n\n"},
        {"fixed_handicap 1\n", "? invalid number of stones\n\n"},
        {"fixed_handicap 10\n", "? invalid number of stones\n\n"},
        {"fixed_handicap x\n", "? handicap not an integer\n\n"},
        {"play b e5\nfixed_handicap 2\n", "= \n\n? board not empty\n\n"},
        {"play b pass\nfixed_handicap 2\n", "= \n\n? board not empty\n\n"},
        {"place_free_handicap 1\n", "? invalid number of stones\n\n"},
        {"place_free_handicap 81\n", "? invalid number of stones\n\n"},
        {"place_free_handicap x\n", "? handicap not an integer\n\n"},
        {"play w e5\nplace_free_handicap 2\n", "= \n\n? board not empty\n\n"},
        {"set_free_handicap d4\n", "? bad vertex list\n\n"},
        {"set_free_handicap d4 d4\n", "? bad vertex list\n\n"},
        {"set_free_handicap d4 pass\n", "? bad vertex list\n\n"},
        {"set_free_handicap d4 z1\n", "? bad vertex list\n\n"},
        {"play b c3\nset_free_handicap d4 e5\n", "= \n\n? board not empty\n\n"},
        {"time_settings 1 2\n", "? not three integers\n\n"},
        {"time_settings 1 2 x\n", "? not three integers\n\n"},
        {"time_settings -1 2 3\n", "? not three integers\n\n"},
        {"time_left b 1\n", "? time and stones not two integers\n\n"},
        {"time_left x 1 1\n", "? invalid color\n\n"},
        {"time_left b -5 0\n", "? time and stones must not be negative\n\n"},
        {"time_left b 5 -1\n", "? time and stones must not be negative\n\n"},
        {"time_left b 0x10 0\n", "? time and stones not two integers\n\n"},
        {"komi 0x10\n", "? komi not a float\n\n"},
        {"komi 1e1\n", "? komi not a float\n\n"},
        {"komi nan\n", "? komi not a float\n\n"},
        {"komi .\n", "? komi not a float\n\n"},
        {"boardsize 0x9\n", "? boardsize not an integer\n\n"},
        {"time_settings 0x10 2 3\n", "? not three integers\n\n"},
        {"kgs-time_settings foo\n", "? syntax error\n\n"},
        {"kgs-time_settings byoyomi 1 2\n", "? syntax error\n\n"},
        {"final_status_list foo\n", "? invalid status\n\n"},
        {"final_status_list\n", "? invalid status\n\n"},
        {"loadsgf /nonexistent/x.sgf\n", "? cannot load file\n\n"},
        {"loadsgf\n", "? cannot load file\n\n"},
        {"lz-analyze b 10 frobnicate 3\n", "? invalid arguments\n\n"},
        {"kata-analyze ownership maybe\n", "? invalid arguments\n\n"},
        {"gogui-play_sequence b d4 w\n", "? invalid color or coordinate\n\n"},
        {"videogo-policy x\n", "? invalid color\n\n"},
        {"is_legal b\n", "? invalid color or coordinate\n\n"},
        {"list_stones x\n", "? invalid color\n\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect(cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(test_pipelined_in_order)
{
    gtp_t *ctx = mk();
    char *got = run(ctx,
                    "1 name\n2 version\n3 protocol_version\n"
                    "4 boardsize 9\n5 clear_board\n6 komi 7\n"
                    "7 play b e5\n8 play w c3\n9 play b g7\n10 play w c3\n11 undo\n12 list_stones black\n");
    const char *want_prefix = "=1 videogo\n\n=2 ";
    ck_assert_msg(!strncmp(got, want_prefix, strlen(want_prefix)), "got %s", got);
    const char *rest = strstr(got, "=3 2\n\n=4 \n\n=5 \n\n=6 \n\n=7 \n\n=8 \n\n=9 \n\n?10 illegal move\n\n=11 \n\n=12 E5\n\n");
    ck_assert_msg(rest != NULL, "got %s", got);
    ck_assert_str_eq(rest + strlen(rest) - 2, "\n\n");
    free(got);
    gtp_free(ctx);
}
END_TEST

/* No response may contain an empty line; every response ends with exactly "\n\n". */
static void check_responses(const char *out, int expected)
{
    int n = 0;
    const char *p = out;
    while (*p) {
        ck_assert_msg(*p == '=' || *p == '?', "response starts with %c in %s", *p, out);
        const char *end = strstr(p, "\n\n");
        ck_assert_ptr_nonnull(end);
        for (const char *q = p; q < end; q++) ck_assert_msg(!(q[0] == '\n' && q[1] == '\n'), "empty line");
        p = end + 2;
        ck_assert_msg(*p != '\n', "three newlines after a response");
        n++;
    }
    ck_assert_int_eq(n, expected);
}

START_TEST(test_multiline_no_blank_lines)
{
    gtp_t *ctx = mk();
    char *got = run(ctx, "list_commands\nshowboard\nplay b c3\nplay w g7\nplay b c4\nshowboard\n"
                         "final_status_list alive\ngogui-analyze_commands\nvideogo-ownership\nvideogo-policy b\n");
    check_responses(got, 10);
    /* list_commands: one name per line, first right after "= " */
    const char *head = "= protocol_version\nname\nversion\n";
    ck_assert_msg(!strncmp(got, head, strlen(head)), "got %s", got);
    /* showboard starts on the line after "= " and has the 9 rows */
    const char *sb = strstr(got, "= \n");
    ck_assert_ptr_nonnull(sb);
    ck_assert_ptr_nonnull(strstr(sb, " 9 . . . . . . . . . 9"));
    /* alive groups: one per line, in board-scan order */
    ck_assert_msg(strstr(got, "= G7\nC4 C3\n\n") != NULL, "%s", got);
    free(got);
    gtp_free(ctx);
}
END_TEST

START_TEST(test_known_and_listed)
{
    gtp_t *ctx = mk();
    char *list = run(ctx, "list_commands\n");
    ck_assert_int_gt((int)strlen(list), 4);
    char *names = strdup(list + 2);
    int count = 0;
    char *save = NULL;
    for (char *t = strtok_r(names, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "known_command %s\n", t);
        char *k = run(ctx, cmd);
        ck_assert_msg(!strcmp(k, "= true\n\n"), "%s -> %s", t, k);
        free(k);
        count++;
    }
    ck_assert_int_ge(count, 35);
    static const char *required[] = {"protocol_version", "name", "version", "known_command", "list_commands",
        "quit", "boardsize", "clear_board", "komi", "play", "genmove", "undo", "fixed_handicap",
        "place_free_handicap", "set_free_handicap", "time_settings", "time_left", "kgs-time_settings",
        "final_score", "final_status_list", "loadsgf", "reg_genmove", "showboard", "kgs-genmove_cleanup",
        "gogui-analyze_commands", "cputime", "gomill-cpu_time", "gogui-interrupt", "rectangular_boardsize",
        "stop", "lz-analyze", "kata-analyze", "lz-genmove_analyze", "kata-genmove_analyze"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        char want[80];
        snprintf(want, sizeof want, "\n%s\n", required[i]);
        ck_assert_msg(strstr(list - 0, want) || !strncmp(list + 2, want + 1, strlen(want) - 1),
                      "%s not listed", required[i]);
    }
    char *k = run(ctx, "known_command frobnicate\nknown_command\nknown_command analyze\n");
    ck_assert_str_eq(k, "= false\n\n= false\n\n= false\n\n");  /* bare `analyze` deliberately not offered */
    free(k);
    free(names);
    free(list);
    gtp_free(ctx);
}
END_TEST

START_TEST(test_long_line)
{
    gtp_t *ctx = mk();
    size_t n = GTP_MAX_LINE + 1000;
    char *in = malloc(n + 64);
    strcpy(in, "5 play");
    memset(in + 6, ' ', n - 6);
    strcpy(in + n, "\n6 name\n");
    int rc = -7;
    char *got = run_n(ctx, in, strlen(in), &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(got, "?5 line too long (limit 4 MiB)\n\n=6 videogo\n\n");
    free(got);
    /* A 1 MB gogui-play_sequence line is not too long. */
    size_t m = 1u << 20;
    char *seq = malloc(m + 64);
    strcpy(seq, "gogui-play_sequence b e5 w c3");
    size_t len = strlen(seq);
    while (len + 8 < m) {
        memcpy(seq + len, " b pass ", 8);
        len += 8;
    }
    strcpy(seq + len, "\nlist_stones white\n");
    got = run(ctx, seq);
    ck_assert_str_eq(got, "= \n\n= C3\n\n");
    free(got);
    free(seq);
    free(in);
    gtp_free(ctx);
}
END_TEST

/* Input that never ends a line (a binary file, /dev/zero) is answered `? line too long` at the
 * limit, and the loop stops (-1) when no newline comes within another GTP_MAX_LINE bytes,
 * instead of reading for ever. The memory stream takes the stdio path, /dev/zero (a device)
 * the read() path. */
START_TEST(test_endless_line)
{
    size_t n = 3 * (size_t)GTP_MAX_LINE;
    char *in = malloc(n);
    ck_assert_ptr_nonnull(in);
    memcpy(in, "3 name\n7 play ", 14);
    memset(in + 14, 'x', n - 14);
    gtp_t *ctx = mk();
    int rc = 0;
    char *got = run_n(ctx, in, n, &rc);
    ck_assert_str_eq(got, "=3 videogo\n\n?7 line too long (limit 4 MiB)\n\n");
    ck_assert_int_eq(rc, -1);
    free(got);
    free(in);

    FILE *zero = fopen("/dev/zero", "r");
    ck_assert_ptr_nonnull(zero);
    char *out = NULL;
    size_t outlen = 0;
    FILE *o = open_memstream(&out, &outlen);
    ck_assert_int_eq(gtp_main_loop(ctx, zero, o), -1);
    fclose(o);
    fclose(zero);
    ck_assert_str_eq(out, "? line too long (limit 4 MiB)\n\n");
    free(out);
    gtp_free(ctx);
}
END_TEST

START_TEST(test_quit_and_eof)
{
    gtp_t *ctx = mk();
    int rc = -1;
    char *got = run_n(ctx, "1 quit\nname\n", 12, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(got, "=1 \n\n");
    free(got);
    got = run_n(ctx, "", 0, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(got, "");
    free(got);
    gtp_free(ctx);
}
END_TEST

START_TEST(test_game_behaviour)
{
    /* non-alternating play and genmove for either colour */
    gtp_t *ctx = mk();
    char *got = run(ctx, "play b e5\nplay b c3\ngenmove b\ngenmove b\nplay w pass\nplay W PASS\n");
    ck_assert_msg(!strncmp(got, "= \n\n= \n\n= ", 10), "%s", got);
    check_responses(got, 6);
    ck_assert_int_eq(gtp_game(ctx)->n_moves, 6);
    free(got);
    /* vertices are printed uppercase; genmove answers a legal empty point */
    got = run(ctx, "clear_board\ngenmove w\n");
    ck_assert_msg(got[6] >= 'A' && got[6] <= 'J' && got[6] != 'I', "%s", got);
    ck_assert_int_eq(gtp_game(ctx)->n_moves, 1);
    free(got);
    /* reg_genmove does not play and answers the same each time */
    got = run(ctx, "reg_genmove b\nreg_genmove b\n");
    ck_assert_int_eq(gtp_game(ctx)->n_moves, 1);
    char *second = strstr(got, "\n\n") + 2;
    ck_assert_int_eq((int)(second - got), (int)strlen(second));
    ck_assert(!strncmp(got, second, strlen(second)));
    free(got);
    gtp_free(ctx);

    /* komi is kept across boardsize and clear_board; boardsize clears the board */
    expect_after("komi 6.5\nplay b e5\nboardsize 13\nclear_board\n", "get_komi\nlist_stones b\nquery_boardsize\n",
                 "= 6.5\n\n= \n\n= 13\n\n");
    expect_after("play b e5\nboardsize 9\n", "list_stones b\nundo\n", "= \n\n? cannot undo\n\n");
    expect_after("rectangular_boardsize 13 13\n", "query_boardsize\n", "= 13\n\n");

    /* handicap stones are not undoable; white moves next */
    expect_after("fixed_handicap 2\n", "list_stones b\nundo\n", "= G7 C3\n\n? cannot undo\n\n");
    expect_after("fixed_handicap 2\nplay w e5\n", "undo\nundo\nlist_stones b\n",
                 "= \n\n? cannot undo\n\n= G7 C3\n\n");
    expect_after("set_free_handicap a1 J9 e5\n", "list_stones black\nundo\n", "= J9 E5 A1\n\n? cannot undo\n\n");
    ctx = mk();
    free(run(ctx, "fixed_handicap 3\n"));
    ck_assert_int_eq(gtp_game(ctx)->to_move, STONE_WHITE);
    ck_assert_int_eq(gtp_game(ctx)->handicap, 3);
    got = run(ctx, "clear_board\nplace_free_handicap 12\n");
    /* 9 from GNU Go's layout, the rest chosen by the player */
    ck_assert_int_eq(gtp_game(ctx)->handicap, 12);
    ck_assert_int_eq(gtp_game(ctx)->to_move, STONE_WHITE);
    ck_assert_msg(strstr(got, "C7 ") && strstr(got, "E5") && strstr(got, "G3"), "%s", got);
    free(got);
    gtp_free(ctx);

    /* gogui-play_sequence is all or nothing */
    expect_after("gogui-play_sequence b e5 w e5\n", "list_stones b\n", "= \n\n");
    expect_after("gogui-play_sequence b e5 w d5 b c3\n", "list_stones b\n", "= E5 C3\n\n");

    /* superko: immediate ko recapture refused, is_legal agrees */
    expect_after("play b d5\nplay b e4\nplay b e6\nplay w f4\nplay w f6\nplay w g5\nplay w e5\nplay b f5\n",
                 "is_legal w e5\nplay w e5\nplay w a1\nplay b a9\nplay w e5\n", "= 0\n\n? illegal move\n\n= \n\n= \n\n= \n\n");
}
END_TEST

/* loadsgf reads only inside the read folder (--sgf-dir; default the working folder): the same
 * file is refused from outside and loads once its folder is allowed. */
START_TEST(test_loadsgf_folder)
{
    char dir[] = "/tmp/vgo-sgfdir-XXXXXX", path[128], cmd[160];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/g.sgf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("(;SZ[9]KM[7];B[ee];W[cc])", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "loadsgf %s\n", path);
    gtp_t *ctx = mk(); /* reads only inside the working folder (the build folder) */
    char *out = run(ctx, cmd);
    ck_assert_str_eq(out, "? cannot load file\n\n");
    free(out);
    gtp_free(ctx);
    gtp_config_t cfg;
    gtp_config_default(&cfg);
    cfg.read_dir = dir;
    ctx = gtp_new(&cfg, player_random_new(1));
    out = run(ctx, cmd);
    ck_assert_str_eq(out, "= black\n\n");
    free(out);
    snprintf(cmd, sizeof cmd, "loadsgf %s/../%s/g.sgf\n", dir, dir + 5); /* ".." that comes back in */
    out = run(ctx, cmd);
    ck_assert_str_eq(out, "= black\n\n");
    free(out);
    gtp_free(ctx);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_time_settings_stored)
{
    gtp_t *ctx = mk();
    char *got = run(ctx, "time_settings 300 30 5\ntime_left b 120 0\ntime_left white 25 3\n");
    ck_assert_str_eq(got, "= \n\n= \n\n= \n\n");
    const gtp_time_t *t = gtp_time(ctx);
    ck_assert_int_eq(t->system, CLOCK_CANADIAN);
    ck_assert(t->main_time == 300 && t->byo_time == 30 && t->byo_stones == 5);
    ck_assert(t->has_left[STONE_BLACK] && t->time_left[STONE_BLACK] == 120 && t->stones_left[STONE_BLACK] == 0);
    ck_assert(t->has_left[STONE_WHITE] && t->time_left[STONE_WHITE] == 25 && t->stones_left[STONE_WHITE] == 3);
    free(got);
    free(run(ctx, "time_settings 0 10 0\n"));
    ck_assert_int_eq(t->system, CLOCK_NONE);
    free(run(ctx, "time_settings 600 0 0\n"));
    ck_assert_int_eq(t->system, CLOCK_ABSOLUTE);
    free(run(ctx, "kgs-time_settings byoyomi 600 30 5\n"));
    ck_assert(t->system == CLOCK_BYOYOMI && t->main_time == 600 && t->byo_time == 30 && t->byo_periods == 5);
    free(run(ctx, "kgs-time_settings canadian 60 300 25\n"));
    ck_assert(t->system == CLOCK_CANADIAN && t->byo_stones == 25);
    free(run(ctx, "kgs-time_settings absolute 900\n"));
    ck_assert(t->system == CLOCK_ABSOLUTE && t->main_time == 900);
    got = run(ctx, "kgs-time_settings none\n");
    ck_assert_str_eq(got, "= \n\n");
    ck_assert_int_eq(t->system, CLOCK_NONE);
    free(got);
    gtp_free(ctx);
}
END_TEST

/* clock_budget's arithmetic (engine/clock.h): margin 0.25 s + 10%, main time over
 * max(10, empty / 3) own moves, half a byo-yomi allotment on top, time_left replacing the
 * engine's own count. */
START_TEST(test_clock_budget)
{
    game_clock_t c;
    const double eps = 1e-9;
    clock_set(&c, CLOCK_NONE, 0, 0, 0, 0);
    ck_assert(clock_budget(&c, STONE_BLACK, 81, 0) == -1);
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 1.5) - 1.5) < eps);
    clock_set(&c, CLOCK_ABSOLUTE, 60, 0, 0, 0);
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - (60.0 / 27 * 0.9 - 0.25)) < eps);
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 12, 0) - (60.0 / 10 * 0.9 - 0.25)) < eps);
    clock_charge(&c, STONE_BLACK, 30);
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - (30.0 / 27 * 0.9 - 0.25)) < eps);
    ck_assert(fabs(clock_budget(&c, STONE_WHITE, 81, 0) - (60.0 / 27 * 0.9 - 0.25)) < eps);
    clock_charge(&c, STONE_BLACK, 29.9);
    ck_assert(clock_budget(&c, STONE_BLACK, 81, 0) == 0);   /* too little to think */
    clock_charge(&c, STONE_BLACK, 5);
    ck_assert(clock_budget(&c, STONE_BLACK, 81, 0) == 0);   /* over: absolute has no byo-yomi */
    clock_set(&c, CLOCK_ABSOLUTE, 1.0, 0, 0, 0);             /* never more than half the rest */
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - 0) < eps);
    clock_set(&c, CLOCK_CANADIAN, 60, 30, 5, 0);
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - ((60.0 / 27 + 3) * 0.9 - 0.25)) < eps);
    clock_charge(&c, STONE_BLACK, 61);                        /* in byo-yomi by its own count */
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - (6 * 0.9 - 0.25)) < eps);
    clock_left(&c, STONE_BLACK, 20, 4);                       /* 20 s for 4 stones */
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - (5 * 0.9 - 0.25)) < eps);
    clock_charge(&c, STONE_BLACK, 8);
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - (3 * 0.9 - 0.25)) < eps);
    clock_left(&c, STONE_BLACK, 50, 0);                       /* back in main time */
    ck_assert(fabs(clock_budget(&c, STONE_BLACK, 81, 0) - ((50.0 / 27 + 3) * 0.9 - 0.25)) < eps);
    clock_set(&c, CLOCK_BYOYOMI, 0, 20, 0, 3);
    ck_assert(fabs(clock_budget(&c, STONE_WHITE, 81, 0) - (20 * 0.9 - 0.25)) < eps);
    clock_left(&c, STONE_WHITE, 12, 2);                       /* 12 s left of the period */
    ck_assert(fabs(clock_budget(&c, STONE_WHITE, 81, 0) - (12 * 0.9 - 0.25)) < eps);
    clock_restart(&c);
    ck_assert(!c.has_left[STONE_WHITE] && c.system == CLOCK_BYOYOMI && c.byo_periods == 3);
    ck_assert(clock_budget(&c, STONE_EMPTY, 81, 0) == -1);
}
END_TEST

START_TEST(test_misc_commands)
{
    expect("gogui-interrupt\nstop\n", "= \n\n= \n\n");
    gtp_t *ctx = mk();
    char *got = run(ctx, "cputime\ngomill-cpu_time\n");
    double a = -1, b = -1;
    ck_assert_int_eq(sscanf(got, "= %lf\n\n= %lf", &a, &b), 2);
    ck_assert(a >= 0 && b >= a);
    free(got);
    got = run(ctx, "version\n");
    ck_assert_msg(!strncmp(got, "= " VIDEOGO_VERSION, 2 + strlen(VIDEOGO_VERSION)), "%s", got);
    free(got);
    got = run(ctx, "play b e5\nvideogo-policy w\n");
    ck_assert_msg(strstr(got, "INFLUENCE ") && strstr(got, "\nLABEL ") && strstr(got, "\nTEXT White policy"), "%s", got);
    ck_assert_msg(!strstr(got, " E5 "), "occupied point in the policy: %s", got);
    free(got);
    got = run(ctx, "videogo-ownership\n");
    /* 9 lines of 9 values: E5 alone owns the whole board */
    ck_assert_msg(!strncmp(got, "= 1 1 1 1 1 1 1 1 1\n", 20), "%s", got);
    check_responses(got, 1);
    free(got);
    gtp_free(ctx);
}
END_TEST

START_TEST(test_execute_analysis_one_shot)
{
    gtp_t *ctx = mk();
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    ck_assert_int_eq(gtp_execute(ctx, "7 lz-analyze b 10", o), 0);
    ck_assert_int_eq(gtp_execute(ctx, "8 kata-genmove_analyze w", o), 0);
    ck_assert_int_eq(gtp_execute(ctx, "quit", o), 1);
    fclose(o);
    ck_assert_msg(!strncmp(out, "=7\ninfo move ", 13), "%s", out);
    /* uniform priors over 81 points: 1/81 = 123 / 10000, winrate 5000 */
    ck_assert_msg(strstr(out, " visits 12 winrate 5000 prior 123 lcb 5000 order 0 pv "), "%s", out);
    ck_assert_msg(strstr(out, " order 80 pv "), "%s", out);
    char *g = strstr(out, "\n\n=8\ninfo move ");
    ck_assert_msg(g != NULL, "%s", out);
    ck_assert_msg(strstr(g, " winrate 0.500000 prior 0.012346 lcb 0.500000 order 0 pv "), "%s", g);
    char *play = strstr(g, "\nplay ");
    ck_assert_ptr_nonnull(play);
    ck_assert_msg(strstr(play, "\n\n= \n\n") != NULL, "%s", play);
    ck_assert_int_eq(gtp_game(ctx)->n_moves, 1);
    free(out);
    gtp_free(ctx);
}
END_TEST

START_TEST(test_analysis_filters)
{
    /* everything filtered out: no info line at all (an empty one would end the answer) */
    expect("play b a1\n1 lz-analyze b allow b A1 1\n2 name\n", "= \n\n=1\n\n=2 videogo\n\n");
    /* maxmoves, avoid (other colour's avoid is ignored), allow */
    expect("1 lz-analyze b maxmoves 2\n",
           "=1\ninfo move A9 visits 12 winrate 5000 prior 123 lcb 5000 order 0 pv A9 "
           "info move B9 visits 12 winrate 5000 prior 123 lcb 5000 order 1 pv B9\n\n");
    expect("1 lz-analyze b maxmoves 1 avoid b A9,B9 1 avoid w C9 1\n",
           "=1\ninfo move C9 visits 12 winrate 5000 prior 123 lcb 5000 order 0 pv C9\n\n");
    expect("1 kata-analyze w interval 10 allow w E5,pass 2 ownership true\n",
           "=1\ninfo move E5 visits 12 winrate 0.500000 prior 0.012346 lcb 0.500000 order 0 pv E5\n\n");
}
END_TEST

/* ---- players that resign, cheat or cannot analyse ---- */

static int resign_genmove(player_t *self, const game_t *g, stone_t c, genmove_mode_t m, int *p)
{
    (void)self, (void)g, (void)c, (void)m;
    *p = VERTEX_RESIGN;
    return 0;
}

/* Always answers A9, legal or not. */
static int a9_genmove(player_t *self, const game_t *g, stone_t c, genmove_mode_t m, int *p)
{
    (void)self, (void)g, (void)c, (void)m;
    *p = 0;
    return 0;
}

static void stub_free(player_t *self) { free(self); }

static gtp_t *mk_stub(int (*genmove)(player_t *, const game_t *, stone_t, genmove_mode_t, int *))
{
    player_t *p = calloc(1, sizeof *p);
    p->name = "stub";
    p->genmove = genmove;
    p->free = stub_free;
    gtp_config_t cfg;
    gtp_config_default(&cfg);
    gtp_t *ctx = gtp_new(&cfg, p);
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

START_TEST(test_stub_players)
{
    gtp_t *ctx = mk_stub(resign_genmove);
    char *got = run(ctx, "genmove b\nreg_genmove w\nkgs-genmove_cleanup b\n");
    ck_assert_str_eq(got, "= resign\n\n= resign\n\n= resign\n\n");
    ck_assert_int_eq(gtp_game(ctx)->n_moves, 0);  /* a resignation is not played */
    free(got);
    /* no analyze function: the analysis commands are neither listed nor known */
    got = run(ctx, "list_commands\n");
    ck_assert_msg(!strstr(got, "analyze\n") && !strstr(got, "videogo-policy") && strstr(got, "\ngenmove\n"), "%s", got);
    ck_assert_msg(strstr(got, "\ngogui-analyze_commands\n") != NULL, "%s", got);
    free(got);
    got = run(ctx, "known_command lz-analyze\nkata-analyze b 10\nvideogo-policy\ngogui-analyze_commands\n");
    const char *want = "= false\n\n? unknown command\n\n? unknown command\n\n= dboard/";
    ck_assert_msg(!strncmp(got, want, strlen(want)), "%s", got);
    ck_assert_msg(!strstr(got, "Policy"), "%s", got);
    free(got);
    gtp_free(ctx);

    /* a player that picks an occupied point: the engine passes instead of breaking */
    ctx = mk_stub(a9_genmove);
    got = run(ctx, "genmove b\ngenmove w\nlist_stones b\n");
    ck_assert_str_eq(got, "= A9\n\n= pass\n\n= A9\n\n");
    ck_assert_int_eq(gtp_game(ctx)->n_moves, 2);
    free(got);
    gtp_free(ctx);
}
END_TEST

/* ---- analysis over real pipes ---- */

typedef struct {
    gtp_t *ctx;
    int in_fd, out_fd;
    int rc;
} loop_arg_t;

static void *loop_thread(void *p)
{
    loop_arg_t *a = p;
    FILE *in = fdopen(a->in_fd, "r");
    FILE *out = fdopen(a->out_fd, "w");
    a->rc = gtp_main_loop(a->ctx, in, out);
    fclose(out);
    fclose(in);
    return NULL;
}

typedef struct {
    int fd;
    char buf[1 << 16];
    size_t len;
} line_reader_t;

/* Next output line (without '\n'); fails the test after 5 s without one. */
static char *next_line(line_reader_t *r, char *line, size_t cap)
{
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl) {
            size_t n = (size_t)(nl - r->buf);
            ck_assert_uint_lt(n, cap);
            memcpy(line, r->buf, n);
            line[n] = '\0';
            memmove(r->buf, nl + 1, r->len - n - 1);
            r->len -= n + 1;
            return line;
        }
        fd_set s;
        FD_ZERO(&s);
        FD_SET(r->fd, &s);
        struct timeval tv = {5, 0};
        ck_assert_msg(select(r->fd + 1, &s, NULL, NULL, &tv) == 1, "no output within 5 s");
        ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
        ck_assert_msg(n > 0, "engine output closed");
        r->len += (size_t)n;
    }
}

static void send_str(int fd, const char *s) { ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s)); }

START_TEST(test_analysis_over_pipes)
{
    int to_engine[2], from_engine[2];
    ck_assert_int_eq(pipe(to_engine), 0);
    ck_assert_int_eq(pipe(from_engine), 0);
    loop_arg_t arg = {mk(), to_engine[0], from_engine[1], -9};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, loop_thread, &arg), 0);
    line_reader_t *r = calloc(1, sizeof *r);
    r->fd = from_engine[0];
    char line[1 << 15];

    /* lz-analyze: "=" then info lines until any input arrives */
    send_str(to_engine[1], "play b e5\n5 lz-analyze w 5\n");
    ck_assert_str_eq(next_line(r, line, sizeof line), "= ");
    ck_assert_str_eq(next_line(r, line, sizeof line), "");
    ck_assert_str_eq(next_line(r, line, sizeof line), "=5");
    for (int i = 0; i < 3; i++) {
        next_line(r, line, sizeof line);
        ck_assert_msg(!strncmp(line, "info move ", 10), "%s", line);
        ck_assert_msg(!strstr(line, "move E5 "), "occupied point analysed: %s", line);
        ck_assert_msg(strstr(line, " order 79 pv "), "%s", line);  /* 80 empty points */
    }
    /* Sabaki stops analysis with protocol_version; pipelined commands are not lost */
    send_str(to_engine[1], "protocol_version\n6 name\n7 play w c3\n");
    do next_line(r, line, sizeof line); while (!strncmp(line, "info ", 5));
    ck_assert_str_eq(line, "");
    ck_assert_str_eq(next_line(r, line, sizeof line), "= 2");
    ck_assert_str_eq(next_line(r, line, sizeof line), "");
    ck_assert_str_eq(next_line(r, line, sizeof line), "=6 videogo");
    ck_assert_str_eq(next_line(r, line, sizeof line), "");
    ck_assert_str_eq(next_line(r, line, sizeof line), "=7 ");
    ck_assert_str_eq(next_line(r, line, sizeof line), "");

    /* kata-analyze, stopped by a bare newline; then the genmove form */
    send_str(to_engine[1], "kata-analyze b interval 3\n");
    ck_assert_str_eq(next_line(r, line, sizeof line), "=");
    next_line(r, line, sizeof line);
    ck_assert_msg(!strncmp(line, "info move ", 10) && strstr(line, " winrate 0.500000 "), "%s", line);
    send_str(to_engine[1], "\n");
    do next_line(r, line, sizeof line); while (!strncmp(line, "info ", 5));
    ck_assert_str_eq(line, "");
    send_str(to_engine[1], "8 lz-genmove_analyze b 10\n");
    ck_assert_str_eq(next_line(r, line, sizeof line), "=8");
    next_line(r, line, sizeof line);
    ck_assert_msg(!strncmp(line, "info move ", 10), "%s", line);
    next_line(r, line, sizeof line);
    ck_assert_msg(!strncmp(line, "play ", 5), "%s", line);
    ck_assert_str_eq(next_line(r, line, sizeof line), "");

    /* end of input ends a running analysis and the loop */
    send_str(to_engine[1], "lz-analyze b 100\n");
    ck_assert_str_eq(next_line(r, line, sizeof line), "=");
    next_line(r, line, sizeof line);
    close(to_engine[1]);
    do next_line(r, line, sizeof line); while (!strncmp(line, "info ", 5));
    ck_assert_str_eq(line, "");
    pthread_join(th, NULL);
    ck_assert_int_eq(arg.rc, 0);
    ck_assert_int_eq(gtp_game(arg.ctx)->n_moves, 3);
    close(from_engine[0]);
    free(r);
    gtp_free(arg.ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gtp-frame");
    TCase *tc = tcase_create("frame");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_basic_framing);
    tcase_add_test(tc, test_preprocessing);
    tcase_add_test(tc, test_unknown_and_ids);
    tcase_add_test(tc, test_error_strings);
    tcase_add_test(tc, test_pipelined_in_order);
    tcase_add_test(tc, test_multiline_no_blank_lines);
    tcase_add_test(tc, test_known_and_listed);
    tcase_add_test(tc, test_long_line);
    tcase_add_test(tc, test_quit_and_eof);
    tcase_add_test(tc, test_game_behaviour);
    tcase_add_test(tc, test_time_settings_stored);
    tcase_add_test(tc, test_clock_budget);
    tcase_add_test(tc, test_misc_commands);
    tcase_add_test(tc, test_execute_analysis_one_shot);
    tcase_add_test(tc, test_stub_players);
    tcase_add_test(tc, test_analysis_filters);
    tcase_add_test(tc, test_analysis_over_pipes);
    tcase_add_test(tc, test_loadsgf_folder);
    suite_add_tcase(s, tc);
    /* Before the limit, /dev/zero kept the loop reading for ever: a short timeout. */
    TCase *lim = tcase_create("limits");
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, test_endless_line);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
