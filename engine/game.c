/* game.c: a game in progress: history with undo, positional superko, setup stones,
 * GNU Go's fixed handicap layout, and area scoring with komi.
 *
 * Every history entry keeps the whole board before its move, so undo is a copy and
 * the superko test can compare the would-be position with every earlier one: first
 * by Zobrist hash, then stone by stone when a hash matches (so a hash collision can
 * never make a legal move illegal). The positions that already occurred are exactly
 * moves[i].before for every i plus the current board, and a stone move always changes
 * the current board, so only the `before` boards need scanning.
 */
#include "engine/game.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"

int game_init(game_t *g, int size, float komi)
{
    board_t b;
    if (board_init(&b, size) < 0) return -1;
    memset(g, 0, sizeof *g);
    g->board = b;
    g->start = b;
    g->komi = komi;
    g->to_move = STONE_BLACK;
    return 0;
}

void game_free(game_t *g)
{
    free(g->moves);
    g->moves = NULL;
    g->n_moves = g->cap_moves = 0;
}

void game_clear(game_t *g)
{
    board_init(&g->board, g->board.size);
    g->start = g->board;
    g->n_moves = 0;
    g->handicap = 0;
    g->to_move = STONE_BLACK;
}

int game_set_size(game_t *g, int size)
{
    if (size < BOARD_MIN || size > BOARD_MAX) return -1;
    g->board.size = size;
    game_clear(g);
    return 0;
}

move_result_t game_check(const game_t *g, stone_t color, int p)
{
    move_result_t r = board_check(&g->board, color, p);
    if (r != MOVE_OK || p == VERTEX_PASS) return r;
    board_t after = g->board;
    board_play(&after, color, p, NULL, NULL);
    int np = board_points(&after);
    for (int i = g->n_moves - 1; i >= 0; i--) {
        const board_t *old = &g->moves[i].before;
        if (old->hash == after.hash && !memcmp(old->stones, after.stones, (size_t)np))
            return MOVE_SUPERKO;
    }
    return MOVE_OK;
}

static move_result_t check_simple_ko(const game_t *g, stone_t color, int p)
{
    move_result_t r = board_check(&g->board, color, p);
    if (r != MOVE_OK || p == VERTEX_PASS || g->n_moves == 0) return r;
    board_t after = g->board;
    board_play(&after, color, p, NULL, NULL);
    const board_t *old = &g->moves[g->n_moves - 1].before;
    if (old->hash == after.hash && !memcmp(old->stones, after.stones, (size_t)board_points(&after)))
        return MOVE_SUPERKO;
    return MOVE_OK;
}

static move_result_t play_checked(game_t *g, stone_t color, int p, move_result_t r)
{
    if (r != MOVE_OK) return r;
    if (g->n_moves == g->cap_moves) {
        g->cap_moves = g->cap_moves ? 2 * g->cap_moves : 64;
        g->moves = xrealloc(g->moves, (size_t)g->cap_moves * sizeof *g->moves);
    }
    game_move_t *m = &g->moves[g->n_moves++];
    m->color = color;
    m->point = p;
    m->before = g->board;
    board_play(&g->board, color, p, NULL, NULL);
    g->to_move = stone_other(color);
    return MOVE_OK;
}

bool game_candidate(const game_t *g, stone_t color, int p)
{
    return p >= 0 && g->board.stones[p] == STONE_EMPTY && !board_is_eye(&g->board, p, color) &&
           game_check(g, color, p) == MOVE_OK;
}

move_result_t game_play(game_t *g, stone_t color, int p) { return play_checked(g, color, p, game_check(g, color, p)); }

move_result_t game_play_simple_ko(game_t *g, stone_t color, int p)
{
    return play_checked(g, color, p, check_simple_ko(g, color, p));
}

int game_undo(game_t *g)
{
    if (g->n_moves == 0) return -1;
    game_move_t *m = &g->moves[--g->n_moves];
    g->board = m->before;
    g->to_move = m->color;
    return 0;
}

int game_setup(game_t *g, int p, stone_t color)
{
    if (g->n_moves > 0 || p < 0 || p >= board_points(&g->board)) return -1;
    if (color != STONE_EMPTY && color != STONE_BLACK && color != STONE_WHITE) return -1;
    board_set(&g->board, p, color);
    g->start = g->board;
    return 0;
}

/* GNU Go engine/handicap.c: the first four go to the corners (upper right, lower left,
 * upper left, lower right), then the sides; for 5 and 7 tengen is placed first and
 * the table supplies the rest (its last entry is tengen for 9). Encoded as row/col: 2 = `three` lines from the top or
 * left, -2 = from the bottom or right, 0 = middle. */
static const int handicap_places[9][2] = {
    {2, -2}, {-2, 2}, {2, 2}, {-2, -2}, {0, 2}, {0, -2}, {2, 0}, {-2, 0}, {0, 0},
};

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int handicap_points(int size, int n, int *out)
{
    int max;
    if (size < BOARD_MIN || size > BOARD_MAX) return -1;
    if (size % 2 == 1 && size >= 9) max = 9;
    else if (size >= 7) max = 4;
    else max = 0;
    if (n < 2 || n > max) return -1;
    int three = size > 11 ? 3 : 2, mid = size / 2, k = 0, remaining = n;
    if (n == 5 || n == 7) {
        out[k++] = mid * size + mid;
        remaining--;
    }
    for (int i = 0; i < remaining; i++) {
        int rc[2];
        for (int j = 0; j < 2; j++) {
            int v = handicap_places[i][j];
            rc[j] = v == 2 ? three : v == -2 ? size - 1 - three : mid;
        }
        out[k++] = rc[0] * size + rc[1];
    }
    qsort(out, (size_t)k, sizeof *out, cmp_int);  /* GNU Go prints in board-scan order */
    return k;
}

int game_fixed_handicap(game_t *g, int n, int *out)
{
    int pts[9];
    int k = handicap_points(g->board.size, n, pts);
    if (k < 0) return -1;
    if (g->n_moves > 0) return -2;
    for (int p = 0; p < board_points(&g->board); p++)
        if (g->board.stones[p] != STONE_EMPTY) return -2;
    for (int i = 0; i < k; i++) {
        game_setup(g, pts[i], STONE_BLACK);
        if (out) out[i] = pts[i];
    }
    g->handicap = k;
    g->to_move = STONE_WHITE;
    return k;
}

int game_passes(const game_t *g)
{
    int n = 0;
    for (int i = g->n_moves - 1; i >= 0 && g->moves[i].point == VERTEX_PASS; i--) n++;
    return n;
}

bool game_over(const game_t *g) { return game_passes(g) >= 2; }

float game_score(const game_t *g, const uint8_t *dead)
{
    return (float)board_area(&g->board, dead, NULL) - g->komi;
}

char *score_format(float score, char *buf, int buflen)
{
    if (buflen <= 0) return buf;
    double a = fabs((double)score);
    if (a < 1e-6 || !isfinite(a)) {
        snprintf(buf, (size_t)buflen, "0");
        return buf;
    }
    /* The fewest decimals that print the value exactly (komi is x.5 in practice). */
    int dec = 0;
    while (dec < 3 && fabs(a * pow(10, dec) - round(a * pow(10, dec))) > 1e-4) dec++;
    snprintf(buf, (size_t)buflen, "%c+%.*f", score > 0 ? 'B' : 'W', dec, a);
    return buf;
}
