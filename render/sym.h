/* sym.h: the 8 symmetries of a square board (the dihedral group D4) as point maps,
 * for data augmentation in every trainer and for the tests.
 *
 * Symmetry k in 0..7 maps (row, col) on an N x N board in three steps, in this order:
 *   if k & 4: transpose      (row, col) -> (col, row)
 *   if k & 1: mirror columns  col -> N-1-col   (left <-> right)
 *   if k & 2: mirror rows     row -> N-1-row   (top <-> bottom)
 * k = 0 is the identity, 3 the half turn, 5 a quarter turn clockwise, 6 a quarter turn
 * anticlockwise, 1/2/4/7 the four reflections. Apply symmetries to boards (and moves),
 * then render: the frame of a transformed board is the transformed frame up to the
 * grid's one-pixel asymmetry (9x9 centres 12..244 in a 0..255 frame), so pixels are
 * never flipped directly.
 */
#ifndef VIDEOGO_SYM_H
#define VIDEOGO_SYM_H

#include <stdint.h>

#include "engine/board.h"

#define SYM_COUNT 8

/* Image of point p (0..size*size-1) under symmetry k. Negative "points" (VERTEX_PASS,
 * VERTEX_RESIGN, VERTEX_NONE) are returned unchanged. */
int sym_point(int p, int size, int k);

/* The symmetry j with sym_point(sym_point(p, n, k), n, j) == p. */
int sym_inverse(int k);

/* The symmetry equal to applying a, then b. */
int sym_compose(int a, int b);

/* dst[sym_point(p, size, k)] = src[p] for raw stone arrays (dst != src). */
void sym_stones(uint8_t *dst, const uint8_t *src, int size, int k);

/* *dst = src transformed by k (stones and hash; captures copied). dst != src. */
void sym_board(board_t *dst, const board_t *src, int k);

#endif
