/* sym.c: the 8 board symmetries (see sym.h for the numbering). */
#include "render/sym.h"

int sym_point(int p, int size, int k)
{
    if (p < 0) return p;
    int r = p / size, c = p % size;
    if (k & 4) {
        int t = r;
        r = c;
        c = t;
    }
    if (k & 1) c = size - 1 - c;
    if (k & 2) r = size - 1 - r;
    return r * size + c;
}

int sym_inverse(int k)
{
    /* Without the transpose every element is its own inverse; with it, the two
     * quarter turns (5 and 6) are each other's inverse and 4, 7 are reflections. */
    return k == 5 ? 6 : k == 6 ? 5 : k;
}

int sym_compose(int a, int b)
{
    /* Identify the composite by where it sends two asymmetric points of a 3x3 board. */
    for (int k = 0; k < SYM_COUNT; k++) {
        if (sym_point(sym_point(1, 3, a), 3, b) == sym_point(1, 3, k) &&
            sym_point(sym_point(2, 3, a), 3, b) == sym_point(2, 3, k))
            return k;
    }
    return 0; /* unreachable: D4 is closed */
}

void sym_stones(uint8_t *dst, const uint8_t *src, int size, int k)
{
    for (int p = 0; p < size * size; p++) dst[sym_point(p, size, k)] = src[p];
}

void sym_board(board_t *dst, const board_t *src, int k)
{
    int n = src->size;
    board_init(dst, n);
    for (int p = 0; p < n * n; p++)
        if (src->stones[p] != STONE_EMPTY) board_set(dst, sym_point(p, n, k), (stone_t)src->stones[p]);
    for (int c = 0; c < 3; c++) dst->captures[c] = src->captures[c];
}
