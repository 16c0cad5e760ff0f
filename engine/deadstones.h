/* deadstones.h: which stones are dead at the end of a game, for final_score and
 * final_status_list.
 *
 * The method is documented in deadstones.c (Monte Carlo ownership over random
 * playouts that never fill true eyes, seeded so the answer is reproducible, then a
 * group is dead when the opponent owns its points in most playouts; Benson-style pass-alive
 * groups are never dead). Seki groups are reported as such.
 */
#ifndef VIDEOGO_DEADSTONES_H
#define VIDEOGO_DEADSTONES_H

#include "engine/board.h"

typedef enum { STATUS_ALIVE = 0, STATUS_DEAD = 1, STATUS_SEKI = 2 } stone_status_t;

/* Fills status[size*size] (STATUS_* for every stone; empty points are ALIVE) for the
 * board with `to_move` to play. Deterministic for a given board, to_move and seed. */
void deadstones_estimate(const board_t *b, stone_t to_move, uint64_t seed, uint8_t *status);

#endif
