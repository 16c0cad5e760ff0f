/* player_random.c: the random baseline player.
 *
 * genmove: a uniformly random move among the legal ones (occupied, suicide and
 * positional superko checked by game_check) that do not fill the mover's own true eye.
 * Before it would pass, and first of all in GENMOVE_CLEANUP mode, it attacks the
 * opponent stones deadstones_estimate calls dead: among the legal liberties of those
 * stones it prefers a capture, then a move that is not a self-atari, then any. It
 * passes when nothing is left and never resigns.
 *
 * GENMOVE_REGRESS uses an rng seeded from a fixed constant and the position (not the
 * player's own stream, which it leaves untouched), so reg_genmove answers the same
 * for the same position every time.
 *
 * analyze: every candidate move (legal, not own eye) with the same prior, winrate 0.5.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/deadstones.h"
#include "engine/player.h"
#include "engine/util.h"

#define REGRESS_SEED 0x7265677265737321ULL   /* fixed: reg_genmove is deterministic */
#define DEADSTONES_SEED 0x646561647374ULL    /* the estimator's answer only depends on the board */

typedef struct {
    rng_t rng;
} random_ctx_t;

/* Uniform choice among candidate moves: scan the empty points in random order. */
static int random_move(const game_t *g, stone_t color, rng_t *rng)
{
    int cand[BOARD_POINTS], n = 0, np = board_points(&g->board);
    for (int p = 0; p < np; p++)
        if (g->board.stones[p] == STONE_EMPTY) cand[n++] = p;
    while (n > 0) {
        int i = (int)rng_below(rng, (uint32_t)n), p = cand[i];
        cand[i] = cand[--n];
        if (game_candidate(g, color, p)) return p;
    }
    return VERTEX_PASS;
}

/* A move against the opponent's dead stones, or VERTEX_PASS if there is none. */
static int cleanup_move(const game_t *g, stone_t color, rng_t *rng)
{
    const board_t *b = &g->board;
    int np = board_points(b);
    uint8_t status[BOARD_POINTS], seen[BOARD_POINTS] = {0};
    int tier[3][BOARD_POINTS], nt[3] = {0, 0, 0};
    stone_t opp = stone_other(color);
    deadstones_estimate(b, color, DEADSTONES_SEED, status);
    for (int p = 0; p < np; p++) {
        if (b->stones[p] != opp || status[p] != STATUS_DEAD) continue;
        int nb[4], k = board_neighbors(b, p, nb);
        for (int i = 0; i < k; i++) {
            int q = nb[i];
            if (seen[q] || b->stones[q] != STONE_EMPTY) continue;
            seen[q] = 1;
            if (!game_candidate(g, color, q)) continue;
            board_t t = *b;
            int n_cap = 0, libs = 0;
            board_play(&t, color, q, NULL, &n_cap);
            board_group(&t, q, NULL, &libs);
            int k2 = n_cap > 0 ? 0 : libs >= 2 ? 1 : 2;
            tier[k2][nt[k2]++] = q;
        }
    }
    for (int k = 0; k < 3; k++)
        if (nt[k]) return tier[k][rng_below(rng, (uint32_t)nt[k])];
    return VERTEX_PASS;
}

static int random_genmove(player_t *self, const game_t *g, stone_t color, genmove_mode_t mode, int *point)
{
    random_ctx_t *ctx = self->ctx;
    rng_t local, *rng = &ctx->rng;
    if (color != STONE_BLACK && color != STONE_WHITE) {
        *point = VERTEX_PASS;
        return 0;
    }
    if (mode == GENMOVE_REGRESS) {
        rng_seed(&local, REGRESS_SEED ^ g->board.hash ^ ((uint64_t)color << 60) ^ (uint64_t)g->n_moves);
        rng = &local;
    }
    int p = VERTEX_PASS;
    if (mode == GENMOVE_CLEANUP) p = cleanup_move(g, color, rng);
    if (p == VERTEX_PASS) p = random_move(g, color, rng);
    if (p == VERTEX_PASS && mode != GENMOVE_CLEANUP) p = cleanup_move(g, color, rng);
    *point = p;
    return 0;
}

static int random_analyze(player_t *self, const game_t *g, stone_t color, player_candidate_t *out, int max)
{
    (void)self;
    int moves[BOARD_POINTS], n = 0, np = board_points(&g->board);
    if (color != STONE_BLACK && color != STONE_WHITE) return 0;
    for (int p = 0; p < np; p++)
        if (game_candidate(g, color, p)) moves[n++] = p;
    if (n == 0) moves[n++] = VERTEX_PASS;
    int k = n < max ? n : max;
    for (int i = 0; i < k; i++) {
        out[i].point = moves[i];
        out[i].prior = 1.0f / (float)n;
        out[i].winrate = 0.5f;
        out[i].visits = 0;
        out[i].pv_len = 0;
    }
    return k < 0 ? 0 : k;
}

static void random_seed_fn(player_t *self, uint64_t seed)
{
    random_ctx_t *ctx = self->ctx;
    rng_seed(&ctx->rng, seed);
}

static void random_free(player_t *self)
{
    if (!self) return;
    free(self->ctx);
    free(self);
}

player_t *player_random_new(uint64_t seed)
{
    player_t *p = xcalloc(1, sizeof *p);
    random_ctx_t *ctx = xcalloc(1, sizeof *ctx);
    rng_seed(&ctx->rng, seed);
    p->name = "random";
    p->genmove = random_genmove;
    p->analyze = random_analyze;
    p->seed = random_seed_fn;
    p->free = random_free;
    p->ctx = ctx;
    return p;
}
