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

#define PLAYER_PV_MAX 10

/* One candidate for analysis output (lz-analyze / kata-analyze). */
typedef struct {
    int point;       /* point index or VERTEX_PASS */
    float prior;     /* probability the player gives this move, 0..1 */
    float winrate;   /* for the side to move, 0..1 (0.5 when unknown) */
    int visits;      /* search visits, or 0 when the player does not search (GTP then shows
                        the prior scaled to 1000 as visits) */
    int pv_len;      /* principal variation pv[0..pv_len) starting with point; 0: just the move */
    int pv[PLAYER_PV_MAX];
} player_candidate_t;

/* What a controller gives a player's long computations: stop() is polled often (true: finish
 * now with the best so far); emit() receives growing analysis figures about every interval_s
 * seconds. Any function may be NULL. */
typedef struct {
    bool (*stop)(void *arg);
    void (*emit)(void *arg, const player_candidate_t *cand, int n);
    double interval_s;
    void *arg;
} player_watch_t;

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
    /* Optional: an analysis that keeps growing (a search): emits candidates as analyze would,
     * about every w->interval_s seconds, until w->stop says so or the player's effort cap;
     * returns 0 (NULL: the controller repeats analyze's answer). */
    int (*analyze_watch)(player_t *self, const game_t *g, stone_t color, const player_watch_t *w);
    /* Optional: the next genmoves poll w->stop (GoGui's interrupt) and then answer with the
     * best move so far; NULL w: no polling. w must outlive those genmoves. */
    void (*set_interrupt)(player_t *self, const player_watch_t *w);
    void (*free)(player_t *self);
    void *ctx;
};

/* The random baseline: a uniformly random legal move that does not fill its own true
 * eye; in cleanup mode it first captures stones the dead-stone estimator calls dead;
 * passes when nothing else is left. */
player_t *player_random_new(uint64_t seed);

#endif
