/* test_gtp_gnugo.c: full 9x9 games through pipes between `videogo gtp --player random`
 * and `gnugo --mode gtp --level 1 --chinese-rules`, driven the way a controller
 * (gogui-twogtp) drives them: both engines get boardsize/clear_board/komi 7, the side
 * to move gets genmove, the other the same move as play. A game ends on two passes (or
 * a resignation, or 300 moves). Then both engines must hold the same stones, and their
 * final_score answers must agree on winner and margin. A third kind of game puts videogo
 * on both sides with GNU Go as a referee that receives every move.
 *
 * Skips (exit 77) when gnugo is not installed (Debian package gnugo: /usr/games/gnugo).
 * VIDEOGO_GNUGO_GAMES=N plays N games instead of 6 (for measuring, not for CI).
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MOVES 300
#define N_GAMES 6  /* two of each kind; about 1 s each on the 2-core VM */

static char gnugo_path[4096];

static bool find_gnugo(void)
{
    const char *path = getenv("PATH");
    char dirs[8192];
    snprintf(dirs, sizeof dirs, "%s:/usr/games:/usr/local/games", path ? path : "");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(gnugo_path, sizeof gnugo_path, "%s/gnugo", d);
        if (access(gnugo_path, X_OK) == 0) return true;
    }
    return false;
}

typedef struct {
    const char *label;
    pid_t pid;
    FILE *to, *from;
} engine_t;

static void engine_start(engine_t *e, const char *label, char *const argv[])
{
    int in[2], out[2];
    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe(out), 0);
    e->label = label;
    e->pid = fork();
    ck_assert_int_ge(e->pid, 0);
    if (e->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    e->to = fdopen(in[1], "w");
    e->from = fdopen(out[0], "r");
}

/* Sends one command, returns the response text (static buffer) and whether it was '='.
 * Checks the framing on the way: '='/'?', a space, no empty line until the end. */
static const char *engine_cmd(engine_t *e, bool *ok, const char *fmt, ...)
{
    static char resp[65536];
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    vfprintf(e->to, fmt, ap);
    va_end(ap);
    fputc('\n', e->to);
    fflush(e->to);
    resp[0] = '\0';
    bool first = true;
    while (fgets(line, sizeof line, e->from)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (first) {
            if (n == 0) continue;
            ck_assert_msg(line[0] == '=' || line[0] == '?', "%s: bad response line '%s'", e->label, line);
            *ok = line[0] == '=';
            char *p = line + 1;
            while (*p >= '0' && *p <= '9') p++;
            ck_assert_msg(*p == ' ', "%s: no space after =/id in '%s'", e->label, line);
            snprintf(resp, sizeof resp, "%s", p + 1);
            first = false;
            continue;
        }
        if (n == 0) return resp;
        size_t l = strlen(resp);
        snprintf(resp + l, sizeof resp - l, "\n%s", line);
    }
    ck_abort_msg("%s: output closed", e->label);
    return resp;
}

static const char *must(engine_t *e, const char *fmt, const char *arg)
{
    bool ok = false;
    const char *r = engine_cmd(e, &ok, fmt, arg);
    ck_assert_msg(ok, "%s: '%s %s' failed: %s", e->label, fmt, arg ? arg : "", r);
    return r;
}

static int engine_stop(engine_t *e)
{
    must(e, "quit%s", "");
    fclose(e->to);
    fclose(e->from);
    int status = 0;
    waitpid(e->pid, &status, 0);
    return status;
}

/* "B+3.5" -> 3.5, "W+2" -> -2, "0" -> 0 */
static double parse_score(const char *s)
{
    if (!strcmp(s, "0")) return 0;
    ck_assert_msg((s[0] == 'B' || s[0] == 'W' || s[0] == 'b' || s[0] == 'w') && s[1] == '+', "bad score '%s'", s);
    double v = atof(s + 2);
    return (s[0] == 'B' || s[0] == 'b') ? v : -v;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Rewrites a whitespace-separated list in place as its tokens sorted, space-separated. */
static bool sorted_tokens(char *s)
{
    char *tok[512], copy[4096], *save = NULL;
    int n = 0;
    snprintf(copy, sizeof copy, "%s", s);
    for (char *t = strtok_r(copy, " \n", &save); t && n < 512; t = strtok_r(NULL, " \n", &save)) tok[n++] = t;
    qsort(tok, (size_t)n, sizeof *tok, cmp_str);
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(s, i ? " " : "");
        strcat(s, tok[i]);
    }
    return true;
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

typedef enum {
    OURS_BLACK,   /* videogo Black, GNU Go White */
    OURS_WHITE,   /* GNU Go Black, videogo White */
    OURS_BOTH,    /* videogo (two seeds) on both sides, GNU Go gets every move as a referee:
                   * random-vs-random games end on full boards with many groups of both
                   * colours, a harder check of final_score than a GNU Go rout */
} game_kind_t;

static const char *kind_name[] = {"videogo black", "videogo white", "videogo vs videogo, GNU Go referee"};

static void start_ours(engine_t *e, const char *label, unsigned seed)
{
    const char *bin = getenv("VIDEOGO_BIN");
    ck_assert_msg(bin != NULL, "VIDEOGO_BIN not set (run through meson test)");
    char seed_s[32];
    snprintf(seed_s, sizeof seed_s, "%u", seed);
    char *argv[] = {(char *)bin, "gtp", "--player", "random", "--seed", seed_s, NULL};
    engine_start(e, label, argv);
}

/* Plays one game. Returns the number of moves. */
static int play_game(unsigned seed, game_kind_t kind, int *agree_out)
{
    char gseed[32];
    snprintf(gseed, sizeof gseed, "%u", seed);  /* GNU Go seeds from the clock otherwise */
    char *gnugo_argv[] = {gnugo_path, "--mode", "gtp", "--level", "1", "--chinese-rules", "--seed", gseed, NULL};
    engine_t ours, gnugo, ours2;
    start_ours(&ours, "videogo", seed);
    engine_start(&gnugo, "gnugo", gnugo_argv);
    int n_eng = 2;
    engine_t *eng[3] = {&ours, &gnugo, &ours2};
    if (kind == OURS_BOTH) {
        start_ours(&ours2, "videogo-2", seed + 7919);
        n_eng = 3;
    }
    for (int i = 0; i < n_eng; i++) {
        must(eng[i], "boardsize %s", "9");
        must(eng[i], "clear_board%s", "");
        must(eng[i], "komi %s", "7");
    }
    engine_t *black = kind == OURS_WHITE ? &gnugo : &ours;
    engine_t *white = kind == OURS_BLACK ? &gnugo : kind == OURS_WHITE ? &ours : &ours2;
    int passes = 0, moves = 0;
    bool resigned = false;
    char mv[64];
    while (moves < MAX_MOVES && passes < 2) {
        bool b = moves % 2 == 0;
        engine_t *mover = b ? black : white;
        const char *col = b ? "b" : "w";
        snprintf(mv, sizeof mv, "%s", must(mover, b ? "genmove b%s" : "genmove w%s", ""));
        lower(mv);
        if (!strcmp(mv, "resign")) {
            resigned = true;
            break;
        }
        char cmd[80];
        snprintf(cmd, sizeof cmd, "play %s %s", col, mv);
        for (int i = 0; i < n_eng; i++)
            if (eng[i] != mover) must(eng[i], "%s", cmd);
        passes = !strcmp(mv, "pass") ? passes + 1 : 0;
        moves++;
    }
    /* same stones on both boards (GNU Go lists them in another order) */
    for (int c = 0; c < 2; c++) {
        char a[4096], g[4096];
        const char *cmd = c ? "list_stones white%s" : "list_stones black%s";
        snprintf(a, sizeof a, "%s", must(&ours, cmd, ""));
        snprintf(g, sizeof g, "%s", must(&gnugo, cmd, ""));
        ck_assert_msg(sorted_tokens(a) && sorted_tokens(g) && !strcmp(a, g),
                      "boards differ: videogo [%s], GNU Go [%s]", a, g);
    }
    int agree = 1;
    if (!resigned) {
        char s_ours[64], s_gnu[64];
        snprintf(s_ours, sizeof s_ours, "%s", must(&ours, "final_score%s", ""));
        snprintf(s_gnu, sizeof s_gnu, "%s", must(&gnugo, "final_score%s", ""));
        double a = parse_score(s_ours), g = parse_score(s_gnu);
        printf("seed %u, %s: %d moves, %s; final_score videogo %s, gnugo %s\n", seed, kind_name[kind], moves,
               passes >= 2 ? "two passes" : "move cap", s_ours, s_gnu);
        agree = a == g;
        if (!agree) {
            printf("  disagreement; videogo dead: %s\n", must(&ours, "final_status_list dead%s", ""));
            printf("  gnugo dead: %s\n", must(&gnugo, "final_status_list dead%s", ""));
            printf("  board:%s\n", must(&gnugo, "showboard%s", ""));
        }
        ck_assert_msg(passes >= 2, "game did not end in %d moves", MAX_MOVES);
    } else {
        printf("seed %u: %s resigned after %d moves\n", seed, moves % 2 == 0 ? "black" : "white", moves);
    }
    int st = engine_stop(&ours);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "videogo gtp exited with status %d", st);
    engine_stop(&gnugo);
    if (kind == OURS_BOTH) engine_stop(&ours2);
    *agree_out = agree;
    return moves;
}

START_TEST(test_games_against_gnugo)
{
    int disagreements = 0, games = N_GAMES;
    const char *env = getenv("VIDEOGO_GNUGO_GAMES");
    if (env && atoi(env) > 0) games = atoi(env);
    for (unsigned g = 0; g < (unsigned)games; g++) {
        int agree = 0;
        play_game(1000 + g, (game_kind_t)(g % 3), &agree);
        disagreements += !agree;
    }
    ck_assert_msg(disagreements == 0, "%d of %d games: final_score disagrees with GNU Go", disagreements, games);
}
END_TEST

int main(void)
{
    if (!find_gnugo()) {
        printf("gnugo not found in PATH or /usr/games: skipping\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("gtp-gnugo");
    TCase *tc = tcase_create("games");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_games_against_gnugo);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
