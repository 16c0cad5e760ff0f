/* search.h: Monte Carlo tree search over a game position (UCT with RAVE), optionally
 * guided at the root by a prior over the moves (the learned policy's distribution).
 *
 * What it does, per simulation: from the root position descend the tree choosing at each
 * node the child with the highest
 *     (1 - beta) * Q + beta * AMAF + prior_c * prior * sqrt(N + 1) / (1 + n),
 * where Q is the child's win rate (for the side that plays it), AMAF its all-moves-as-first
 * win rate, beta = sqrt(rave_k / (3 n + rave_k)), n its visits and N its parent's; an
 * unvisited child with no AMAF figure counts as a win rate of SEARCH_FPU. The prior is the
 * caller's at the root (renormalised over the candidates) and uniform below. A child is
 * added to the tree on its expand_after-th visit; from the leaf the engine/playout.h policy
 * plays the game out to two passes, and the final board is counted by area with the game's
 * komi (board_area, which is exact after a playout: no eye is ever filled). Each node on
 * the path updates its child's win and AMAF statistics.
 *
 * Candidates at the root: the moves that are legal in the game (positional superko,
 * game_check) and do not fill the mover's own true eye; below the root: legal under simple
 * ko and not own true eye (playout_ok). The search never passes: the caller decides about
 * passing and resigning (model/policy.c's player rules). Every figure is a function of the
 * position, the options and the seed (and of the machine's speed under max_seconds).
 *
 * What each part is worth in games, and its speed: docs/measurements.md (search).
 */
#ifndef VIDEOGO_SEARCH_H
#define VIDEOGO_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/game.h"

#define SEARCH_FPU 1.0f   /* value of a child with no visit and no AMAF figure: try it first */
#define SEARCH_PV_MAX 10  /* moves of a principal variation at most */
#define SEARCH_MAX_THREADS 64

typedef struct search_result search_result_t;

/* Optional hooks of a running search (a GUI watching it, a controller stopping it). */
typedef struct {
    bool (*stop)(void *arg);      /* polled every 16 playouts: true ends the search (the result is
                                     what it has so far; at least 16 playouts run) */
    void (*progress)(void *arg, const search_result_t *sofar); /* about every progress_s seconds
                                     (checked every 16 playouts), with the figures so far */
    double progress_s;
    void *arg;
} search_hooks_t;

typedef struct {
    int playouts;         /* simulations per search (>= 1) */
    float prior_c;        /* weight of the prior term */
    float rave_k;         /* RAVE equivalence parameter (visits where beta = 1/2 is sqrt(k/(3n+k))) */
    int expand_after;     /* a child joins the tree on this visit (>= 1) */
    bool escape;          /* playouts extend groups put in atari (playout.h step 1b) */
    bool patterns;        /* playouts play 3x3 pattern moves next to the last move (step 1c) */
    double max_seconds;   /* > 0: also stop once this many wall seconds have passed (checked
                             every 16 playouts, so at least 16 run); 0: playouts only */
    uint64_t seed;
    const search_hooks_t *hooks; /* NULL: none */
    int threads;          /* root parallelism: this many independent trees (seeds seed, seed+1,
                             ...) share the playouts and their root figures are added up;
                             1 (default): one tree. hooks are called from the first tree's
                             thread only (progress: its figures so far) */
} search_opts_t;

/* Defaults (measured in docs/measurements.md): 4000 playouts, prior_c 1, rave_k 1000,
 * expand_after 2, escape and patterns on, no time limit, seed 1, no hooks, 1 thread. */
void search_opts_default(search_opts_t *o);

typedef struct {
    int point;        /* the move */
    int visits;       /* simulations through it */
    float winrate;    /* for the mover, 0..1 (0.5 without a visit) */
    float prior;      /* the prior it had (renormalised) */
    int pv_len;       /* principal variation: the move, then the most visited reply in the tree, */
    int pv[SEARCH_PV_MAX]; /* and so on while it has 2 visits or more (1..SEARCH_PV_MAX moves) */
} search_child_t;

struct search_result {
    int best;              /* most visited candidate (ties: higher win rate, then prior), or VERTEX_PASS when there is none */
    float winrate;         /* its win rate for the mover */
    int playouts;          /* simulations run */
    int nodes;             /* tree nodes at the end */
    bool stopped;          /* hooks->stop ended it early */
    int n_children;
    search_child_t children[BOARD_POINTS];  /* every root candidate, most visited first */
};

/* Searches the position of g for `color` to move (with o->threads > 1 the trees run on that
 * many threads; the result is still a function of the options and the seed, for a given
 * thread count, without hooks or a time limit). prior (may be NULL: uniform) has one
 * entry per point of the board (row-major, as board.h); entries of non-candidates are
 * ignored, negative ones count as 0. Returns 0, or -1 when color is not a colour. */
int search_run(const game_t *g, stone_t color, const float *prior, const search_opts_t *o, search_result_t *out);

#endif
