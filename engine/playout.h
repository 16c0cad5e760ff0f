/* playout.h: the random playouts of Monte Carlo Go, shared by the dead-stone estimate
 * (deadstones.c) and the tree search (search.c).
 *
 * Policy of playout_move, for the side c to move:
 *   1. if an opponent group next to one of the last two moves (or, in the first two moves,
 *      any opponent group that started in atari: playout_atari_chains) is in atari, c
 *      captures it;
 *   1b. with `escape` set (the search's playouts; the dead-stone estimate keeps it off): if
 *      a group of c's next to the opponent's last move is in atari, c extends at its liberty
 *      when that leaves the group at least 2 liberties;
 *   1c. with `patterns` set (the search's playouts): an empty point next to the last move
 *      that matches one of the MoGo 3x3 patterns (playout.c: hane, cuts, edge moves) and is
 *      legal and not a self-atari, at random among those;
 *   2. otherwise a uniformly random move among the empty points that is legal (simple ko)
 *      and does not fill c's own true eye (board_is_eye);
 *   3. a self-atari of c's own group of 2+ stones that captures nothing is only played when
 *      nothing else is left, and only if that group has at most PLAYOUT_NAKADE_MAX stones;
 *      else c passes.
 * A playout ends after two passes in a row or max_moves moves. Because no side fills its
 * own eyes and dead stones get captured, the final board is counted by board_area.
 *
 * The playout also records, for every point, the colour that played there first and when
 * (first_color / first_ply): the all-moves-as-first statistics of the search (RAVE).
 */
#ifndef VIDEOGO_PLAYOUT_H
#define VIDEOGO_PLAYOUT_H

#include "engine/board.h"
#include "engine/util.h"

#define PLAYOUT_NAKADE_MAX 6

typedef struct {
    board_t b;
    int empty[BOARD_POINTS], where[BOARD_POINTS], n_empty;
    int ko;       /* point the side to move may not play (simple ko), or -1 */
    int last[2];  /* the last two moves (or -1): the capture heuristic looks around them */
    int moves;    /* moves (and passes) played since playout_start */
    const int *atari0;  /* one stone of every chain in atari in the start position */
    int n_atari0;
    bool escape;  /* policy step 1b (playout_start clears it) */
    bool patterns;  /* policy step 1c (playout_start clears it) */
    uint8_t first_color[BOARD_POINTS]; /* colour that first played at p since the start, 0: none */
    int first_ply[BOARD_POINTS];       /* its move number (0 = the first move after the start) */
} playout_t;

/* Writes one stone of every chain of b in atari to out; returns the count. */
int playout_atari_chains(const board_t *b, int *out);

/* Starts a playout from b: ko is the point the side to move may not retake (-1: none);
 * atari0 (kept by pointer, may be NULL with n_atari0 0) as playout_atari_chains gives it. */
void playout_start(playout_t *po, const board_t *b, int ko, const int *atari0, int n_atari0);

/* True when c may play p in the playout: empty, not the ko point, legal, not c's own
 * true eye. */
bool playout_ok(const playout_t *po, stone_t c, int p);

/* The policy's move for c (a point or VERTEX_PASS); does not play it. */
int playout_move(playout_t *po, stone_t c, rng_t *rng);

/* Plays c at p (or passes; p must be legal) and updates empties, ko, last moves and the
 * first-play records. */
void playout_play(playout_t *po, stone_t c, int p);

/* Plays the policy from the current state, c first, until two passes in a row (counting
 * `passes` already made) or max_moves more moves. */
void playout_finish(playout_t *po, stone_t c, int passes, int max_moves, rng_t *rng);

/* True when the 3x3 neighbourhood of p matches a playout pattern (step 1c). The pattern
 * table is built on first use; playout_patterns_init builds it up front (call it before
 * threads use the patterns). */
bool playout_pattern_at(const board_t *b, int p);
void playout_patterns_init(void);

/* The only liberty of the group at p0, or -1 if it has none or several. */
int playout_single_liberty(const board_t *b, int p0);

#endif
