/* player.h: what gtp/ and eval/ call to choose a move, whatever chooses it.
 *
 * A player is a small vtable. The random baseline (player_random.c) lives here; the
 * learned policy (model/) implements the same interface, so gtp/ never needs to know
 * which one it drives.
 */
#ifndef VIDEOGO_PLAYER_H
#define VIDEOGO_PLAYER_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/game.h"

typedef enum {
    GENMOVE_NORMAL = 0,
    GENMOVE_CLEANUP = 1,   /* kgs-genmove_cleanup: capture every dead opponent stone before passing */
    GENMOVE_REGRESS = 2,   /* reg_genmove: deterministic, fixed seed, the move is not played */
} genmove_mode_t;

/* One candidate for analysis output (lz-analyze / kata-analyze). */
typedef struct {
    int point;       /* point index or VERTEX_PASS */
    float prior;     /* probability the player gives this move, 0..1 */
    float winrate;   /* for the side to move, 0..1 (0.5 when unknown) */
    int visits;      /* search visits, or 0 when the player does not search (GTP then shows
                        the prior scaled to 1000 as visits) */
} player_candidate_t;

typedef struct player player_t;
struct player {
    const char *name;  /* short identifier, e.g. "random" */
    /* Chooses a move for `color` in game g (either colour may be asked). Writes a point,
     * VERTEX_PASS or VERTEX_RESIGN to *point and returns 0; never an illegal point. */
    int (*genmove)(player_t *self, const game_t *g, stone_t color, genmove_mode_t mode, int *point);
    /* Optional: fills up to max candidates sorted by prior, returns the count. NULL if
     * the player cannot analyse. */
    int (*analyze)(player_t *self, const game_t *g, stone_t color, player_candidate_t *out, int max);
    void (*seed)(player_t *self, uint64_t seed);
    /* Optional: the wall seconds the next genmove may take (0: move at once; < 0: no limit,
     * the player's own fixed effort). gtp/ calls it before each genmove (engine/clock.h). */
    void (*set_budget)(player_t *self, double seconds);
    void (*free)(player_t *self);
    void *ctx;
};

/* The random baseline: a uniformly random legal move that does not fill its own true
 * eye; in cleanup mode it first captures stones the dead-stone estimator calls dead;
 * passes when nothing else is left. */
player_t *player_random_new(uint64_t seed);

#endif
