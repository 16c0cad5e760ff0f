/* test_rules.c: runs the rules cases written as ASCII diagrams in
 * tests/data/engine/NAME.txt (all of them, found through $VIDEOGO_SRC), Pachi t-unit style.
 *
 * File format (one command per line; '#' starts a comment line; blank lines ignored):
 *
 *   case NAME                 starts a case: a fresh 19x19 game, komi 0, Black to move
 *   size N                    a fresh empty N x N game (komi kept)
 *   komi K
 *   board                     the following lines are the start position, top row first:
 *   . X O .                     '.' or '+' empty, 'X' black, 'O' white, spaces optional;
 *   ...                         the number of rows gives the size; stones are setup stones
 *   to_move B|W
 *   play C V -> R             game_play; R = ok occupied suicide superko offboard
 *   check C V -> R            game_check only (nothing is played)
 *   seq C V V V ...           plays alternately from colour C; every move must be ok
 *   undo -> ok|fail
 *   captures C N              stones captured by colour C so far
 *   at V X|O|.                content of one point
 *   expect                    the following diagram lines must equal the current board
 *   score -> R                area score with komi, every stone alive (B+2, W+0.5, 0)
 *   score dead -> R           the same with deadstones_estimate's dead stones removed
 *   dead -> V V ... | none    exactly these stones are DEAD (deadstones_estimate, seed 1)
 *   seki -> V V ... | none    exactly these stones are SEKI
 *   handicap N -> V V ... | fail | notempty    game_fixed_handicap: the points as a set
 *   next -> B|W               the colour game_t says is to move
 *   eye C V -> yes|no         board_is_eye
 *   liberties V -> N          liberties of the group at V
 */
#include <check.h>
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/deadstones.h"
#include "engine/game.h"

static char **files;
static int n_files;

typedef struct {
    const char *file;
    int line;
    game_t g;
} runner_t;

#define FAIL_AT(r, ...)                                                  \
    do {                                                                 \
        char msg_[8192];                                                  \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                        \
        ck_abort_msg("%s:%d: %s", (r)->file, (r)->line, msg_);           \
    } while (0)

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* A diagram row: only . + X O and spaces, at least one cell. Returns cells or -1. */
static int parse_row(const char *s, uint8_t *cells)
{
    int n = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t') continue;
        if (*s == '.' || *s == '+') cells[n++] = STONE_EMPTY;
        else if (*s == 'X') cells[n++] = STONE_BLACK;
        else if (*s == 'O') cells[n++] = STONE_WHITE;
        else return -1;
        if (n > BOARD_MAX) return -1;
    }
    return n ? n : -1;
}

/* Reads diagram rows from lines[*i+1...]; returns the size and fills cells. */
static int read_diagram(runner_t *r, char **lines, int n_lines, int *i, uint8_t *cells)
{
    int rows = 0, width = -1;
    uint8_t row[BOARD_MAX + 1];
    while (*i + 1 < n_lines) {
        char *s = trim(lines[*i + 1]);
        int n = parse_row(s, row);
        if (n < 0) break;
        if (width < 0) width = n;
        if (n != width || rows >= BOARD_MAX) FAIL_AT(r, "diagram row %d has %d cells, expected %d", rows + 1, n, width);
        memcpy(cells + rows * width, row, (size_t)n);
        rows++;
        (*i)++;
        r->line++;
    }
    if (rows == 0 || rows != width) FAIL_AT(r, "diagram is %d x %d, expected a square", rows, width);
    return rows;
}

static int vertex_or_fail(runner_t *r, const char *s)
{
    int p;
    if (!s || vertex_parse(s, r->g.board.size, &p) < 0) FAIL_AT(r, "bad vertex '%s'", s ? s : "(none)");
    return p;
}

static stone_t color_or_fail(runner_t *r, const char *s)
{
    stone_t c;
    if (!s || color_parse(s, &c) < 0) FAIL_AT(r, "bad colour '%s'", s ? s : "(none)");
    return c;
}

static const char *result_name(move_result_t m)
{
    switch (m) {
    case MOVE_OK: return "ok";
    case MOVE_OFF_BOARD: return "offboard";
    case MOVE_OCCUPIED: return "occupied";
    case MOVE_SUICIDE: return "suicide";
    case MOVE_SUPERKO: return "superko";
    case MOVE_BAD_COLOR: return "badcolor";
    }
    return "?";
}

/* Compares a set of vertices (the rest of the line after "->") with a point mask. */
static void expect_set(runner_t *r, char *rest, const uint8_t *mask, const char *what)
{
    int size = r->g.board.size, np = size * size;
    uint8_t want[BOARD_POINTS] = {0};
    char *save = NULL;
    for (char *t = strtok_r(rest, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (!strcmp(t, "none")) continue;
        want[vertex_or_fail(r, t)] = 1;
    }
    for (int p = 0; p < np; p++) {
        if (!!want[p] == !!mask[p]) continue;
        char v[8], diagram[4096];
        board_format(&r->g.board, diagram, sizeof diagram);
        FAIL_AT(r, "%s: %s is %s\n%s", what, vertex_format(p, size, v), mask[p] ? "reported but not expected" : "expected but not reported", diagram);
    }
}

static void run_command(runner_t *r, char **lines, int n_lines, int *i)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", lines[*i]);
    char *line = trim(buf);
    if (!*line || line[0] == '#') return;
    char *arrow = strstr(line, "->");
    char *want = NULL;
    if (arrow) {
        *arrow = '\0';
        want = trim(arrow + 2);
    }
    char *save = NULL;
    char *cmd = strtok_r(line, " \t", &save);
    char *a1 = strtok_r(NULL, " \t", &save);
    char *a2 = strtok_r(NULL, " \t", &save);
    game_t *g = &r->g;

    if (!strcmp(cmd, "case")) {
        float komi = 0;
        game_free(g);
        memset(g, 0, sizeof *g);
        game_init(g, 19, komi);
    } else if (!strcmp(cmd, "size")) {
        float komi = g->komi;
        game_free(g);
        memset(g, 0, sizeof *g);
        if (!a1 || game_init(g, atoi(a1), komi) < 0) FAIL_AT(r, "bad size");
    } else if (!strcmp(cmd, "komi")) {
        if (!a1) FAIL_AT(r, "komi needs a value");
        g->komi = strtof(a1, NULL);
    } else if (!strcmp(cmd, "board")) {
        uint8_t cells[BOARD_POINTS];
        int size = read_diagram(r, lines, n_lines, i, cells);
        float komi = g->komi;
        game_free(g);
        memset(g, 0, sizeof *g);
        if (game_init(g, size, komi) < 0) FAIL_AT(r, "bad diagram size %d", size);
        for (int p = 0; p < size * size; p++)
            if (cells[p]) game_setup(g, p, (stone_t)cells[p]);
    } else if (!strcmp(cmd, "to_move")) {
        g->to_move = color_or_fail(r, a1);
    } else if (!strcmp(cmd, "play") || !strcmp(cmd, "check")) {
        stone_t c = color_or_fail(r, a1);
        int p = vertex_or_fail(r, a2);
        if (!want) FAIL_AT(r, "%s needs '-> result'", cmd);
        move_result_t m = !strcmp(cmd, "play") ? game_play(g, c, p) : game_check(g, c, p);
        if (strcmp(result_name(m), want)) {
            char diagram[4096];
            board_format(&g->board, diagram, sizeof diagram);
            FAIL_AT(r, "%s %s %s gave %s, expected %s\n%s", cmd, a1, a2, result_name(m), want, diagram);
        }
    } else if (!strcmp(cmd, "seq")) {
        stone_t c = color_or_fail(r, a1);
        for (char *v = a2; v; v = strtok_r(NULL, " \t", &save)) {
            move_result_t m = game_play(g, c, vertex_or_fail(r, v));
            if (m != MOVE_OK) FAIL_AT(r, "seq: %s %s gave %s", color_letter(c), v, result_name(m));
            c = stone_other(c);
        }
    } else if (!strcmp(cmd, "undo")) {
        int ok = game_undo(g) == 0;
        if (!want || strcmp(want, ok ? "ok" : "fail")) FAIL_AT(r, "undo gave %s", ok ? "ok" : "fail");
    } else if (!strcmp(cmd, "captures")) {
        stone_t c = color_or_fail(r, a1);
        if (!a2 || g->board.captures[c] != atoi(a2))
            FAIL_AT(r, "captures %s = %d, expected %s", a1, g->board.captures[c], a2 ? a2 : "?");
    } else if (!strcmp(cmd, "at")) {
        int p = vertex_or_fail(r, a1);
        uint8_t cell[BOARD_MAX + 1];
        if (!a2 || parse_row(a2, cell) != 1) FAIL_AT(r, "at needs X, O or .");
        if (g->board.stones[p] != cell[0]) FAIL_AT(r, "at %s: found %d, expected %s", a1, g->board.stones[p], a2);
    } else if (!strcmp(cmd, "expect")) {
        uint8_t cells[BOARD_POINTS];
        int size = read_diagram(r, lines, n_lines, i, cells);
        char diagram[4096];
        board_format(&g->board, diagram, sizeof diagram);
        if (size != g->board.size) FAIL_AT(r, "expected a %dx%d board, have %dx%d", size, size, g->board.size, g->board.size);
        for (int p = 0; p < size * size; p++)
            if (g->board.stones[p] != cells[p]) {
                char v[8];
                FAIL_AT(r, "board differs at %s:\n%s", vertex_format(p, size, v), diagram);
            }
    } else if (!strcmp(cmd, "score")) {
        uint8_t dead[BOARD_POINTS] = {0};
        char got[32];
        if (a1 && !strcmp(a1, "dead")) {
            uint8_t st[BOARD_POINTS];
            deadstones_estimate(&g->board, g->to_move, 1, st);
            for (int p = 0; p < board_points(&g->board); p++) dead[p] = st[p] == STATUS_DEAD;
        }
        score_format(game_score(g, dead), got, sizeof got);
        if (!want || strcmp(got, want)) FAIL_AT(r, "score %s gave %s, expected %s", a1 ? a1 : "", got, want ? want : "?");
    } else if (!strcmp(cmd, "dead") || !strcmp(cmd, "seki")) {
        uint8_t st[BOARD_POINTS], mask[BOARD_POINTS];
        int kind = !strcmp(cmd, "dead") ? STATUS_DEAD : STATUS_SEKI;
        if (!want) FAIL_AT(r, "%s needs '-> list'", cmd);
        deadstones_estimate(&g->board, g->to_move, 1, st);
        for (int p = 0; p < board_points(&g->board); p++) mask[p] = g->board.stones[p] && st[p] == kind;
        expect_set(r, want, mask, cmd);
    } else if (!strcmp(cmd, "handicap")) {
        int pts[9];
        if (!a1 || !want) FAIL_AT(r, "handicap N -> ...");
        int k = game_fixed_handicap(g, atoi(a1), pts);
        if (!strcmp(want, "fail") || !strcmp(want, "notempty")) {
            int code = !strcmp(want, "fail") ? -1 : -2;
            if (k != code) FAIL_AT(r, "handicap %s gave %d, expected %d", a1, k, code);
        } else {
            uint8_t mask[BOARD_POINTS] = {0};
            if (k < 0) FAIL_AT(r, "handicap %s failed (%d)", a1, k);
            for (int j = 0; j < k; j++) mask[pts[j]] = 1;
            for (int j = 1; j < k; j++)
                if (pts[j] <= pts[j - 1]) FAIL_AT(r, "handicap points not in board-scan order");
            expect_set(r, want, mask, "handicap");
            if (g->to_move != STONE_WHITE) FAIL_AT(r, "White should move after handicap");
        }
    } else if (!strcmp(cmd, "next")) {
        if (!want || g->to_move != color_or_fail(r, want)) FAIL_AT(r, "next is %s, expected %s", color_letter(g->to_move), want ? want : "?");
    } else if (!strcmp(cmd, "eye")) {
        stone_t c = color_or_fail(r, a1);
        bool e = board_is_eye(&g->board, vertex_or_fail(r, a2), c);
        if (!want || strcmp(want, e ? "yes" : "no")) FAIL_AT(r, "eye %s %s gave %s", a1, a2, e ? "yes" : "no");
    } else if (!strcmp(cmd, "liberties")) {
        int libs = 0;
        board_group(&g->board, vertex_or_fail(r, a1), NULL, &libs);
        if (!want || libs != atoi(want)) FAIL_AT(r, "liberties %s = %d, expected %s", a1, libs, want ? want : "?");
    } else {
        FAIL_AT(r, "unknown command '%s'", cmd);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

START_TEST(test_rules_file)
{
    runner_t r;
    memset(&r, 0, sizeof r);
    r.file = files[_i];
    char *text = slurp(files[_i]);
    ck_assert_msg(text != NULL, "cannot read %s", files[_i]);
    int n_lines = 0, cap = 64;
    char **lines = malloc(sizeof(char *) * (size_t)cap);
    for (char *s = text, *e; s && *s; s = e ? e + 1 : NULL) {
        e = strchr(s, '\n');
        if (e) *e = '\0';
        if (n_lines == cap) lines = realloc(lines, sizeof(char *) * (size_t)(cap *= 2));
        lines[n_lines++] = s;
    }
    game_init(&r.g, 19, 0);
    int cases = 0;
    for (int i = 0; i < n_lines; i++) {
        r.line = i + 1;
        if (!strncmp(trim(lines[i]), "case", 4)) cases++;
        run_command(&r, lines, n_lines, &i);
    }
    ck_assert_msg(cases > 0, "%s has no cases", files[_i]);
    game_free(&r.g);
    free(lines);
    free(text);
}
END_TEST

int main(void)
{
    const char *src = getenv("VIDEOGO_SRC");
    char pattern[4096];
    glob_t gl;
    const char *only = getenv("RULES_ONLY"); /* debugging: run one file, e.g. RULES_ONLY=ko */
    snprintf(pattern, sizeof pattern, "%s/tests/data/engine/%s.txt", src ? src : ".", only ? only : "*");
    if (glob(pattern, 0, NULL, &gl) != 0 || gl.gl_pathc == 0) {
        fprintf(stderr, "test_rules: no rules files match %s (set VIDEOGO_SRC)\n", pattern);
        return EXIT_FAILURE;
    }
    files = gl.gl_pathv;
    n_files = (int)gl.gl_pathc;
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("diagrams");
    tcase_add_loop_test(tc, test_rules_file, 0, n_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    globfree(&gl);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
