/* board.h: the Go board and the rules of play.
 *
 * A board_t is a plain value (fixed-size arrays, no pointers): copy it with `=`.
 * Points are indices p = row * size + col with row 0 at the TOP of the board
 * (GTP row `size`, SGF row 'a') and col 0 at the LEFT (GTP column A). That is the
 * row-major order of DESIGN.md (A9 top-left .. J1 bottom-right on 9x9), so a
 * point index is also an index into a rendered frame's grid and into a policy.
 *
 * board_* functions know nothing of history; positional superko, move history
 * and undo live in game.h. Callers treat board_t as read-only and change it only
 * through these functions.
 */
#ifndef VIDEOGO_BOARD_H
#define VIDEOGO_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#define BOARD_MIN 2
#define BOARD_MAX 25 /* GTP's limit */
#define BOARD_POINTS (BOARD_MAX * BOARD_MAX)

/* Special "points". Every function taking a point accepts VERTEX_PASS. */
#define VERTEX_PASS (-1)
#define VERTEX_RESIGN (-2)
#define VERTEX_NONE (-3)

typedef enum { STONE_EMPTY = 0, STONE_BLACK = 1, STONE_WHITE = 2 } stone_t;

static inline stone_t stone_other(stone_t c) { return (stone_t)(3 - c); }

typedef enum {
    MOVE_OK = 0,
    MOVE_OFF_BOARD,  /* point outside the board */
    MOVE_OCCUPIED,   /* point not empty */
    MOVE_SUICIDE,    /* would leave own group without liberties (suicide is illegal) */
    MOVE_SUPERKO,    /* repeats an earlier whole-board position (game.h only) */
    MOVE_BAD_COLOR,  /* color is not black or white */
} move_result_t;

typedef struct {
    int size;                      /* 2..25 */
    uint8_t stones[BOARD_POINTS];  /* stone_t per point; only the first size*size are used */
    uint64_t hash;                 /* Zobrist hash of the stones (not of the side to move) */
    int captures[3];               /* captures[c]: opponent stones taken by color c */
} board_t;

/* Empties the board. Returns 0, or -1 (board untouched) for a size outside 2..25. */
int board_init(board_t *b, int size);

static inline stone_t board_at(const board_t *b, int p) { return (stone_t)b->stones[p]; }
static inline int board_points(const board_t *b) { return b->size * b->size; }

/* Neighbours of p on a size x size board (up, left, right, down) written to nb[4]; returns
 * their count (2..4). The inline form for the hot loops (playouts, dead stones). */
static inline int board_neighbors_at(int size, int p, int nb[4])
{
    int n = 0, r = p / size, c = p - r * size;
    if (r > 0) nb[n++] = p - size;
    if (c > 0) nb[n++] = p - 1;
    if (c < size - 1) nb[n++] = p + 1;
    if (r < size - 1) nb[n++] = p + size;
    return n;
}

/* board_neighbors_at for b's size. */
int board_neighbors(const board_t *b, int p, int nb[4]);

/* Checks occupied / suicide / off-board (no superko). VERTEX_PASS is always legal. */
move_result_t board_check(const board_t *b, stone_t color, int p);

/* Plays color at p (or passes), removing captured stones. On MOVE_OK the board is
 * updated and, if captured != NULL, the captured points are written there (at most
 * size*size) with their count in *n_captured. On any other result the board is
 * unchanged. */
move_result_t board_play(board_t *b, stone_t color, int p, int *captured, int *n_captured);

/* Puts or removes a stone with no capture logic (SGF AB/AW/AE, handicap). color may
 * be STONE_EMPTY. Keeps the hash right. */
void board_set(board_t *b, int p, stone_t color);

/* The whole group containing p: members written to out (may be NULL), returns the
 * member count; liberties counted into *libs when libs != NULL. p must hold a stone. */
int board_group(const board_t *b, int p, int *out, int *libs);

/* True if p is an empty point whose every neighbour is `color` and which is a true
 * (not false) eye by the usual diagonal rule: on the edge no diagonal may be the
 * opponent's, inside at most one may be. */
bool board_is_eye(const board_t *b, int p, stone_t color);

/* Zobrist key of one stone; a pure function of (p, color). */
uint64_t board_zobrist(int p, stone_t color);

/* Area counting (Chinese/Tromp-Taylor) of the board as it stands, with the stones
 * marked in `dead` (size*size flags, NULL = none dead) removed first.
 * owner_out (may be NULL) gets STONE_BLACK/STONE_WHITE/STONE_EMPTY per point (dame
 * and seki-shared points are EMPTY). Returns black area - white area (komi excluded). */
int board_area(const board_t *b, const uint8_t *dead, uint8_t *owner_out);

/* ---- vertices (GTP and SGF text) ---- */

/* Parses a GTP vertex ("D4", "d4", "pass", "PASS"; no letter I) into *p. Returns 0, or
 * -1 for a malformed vertex or one outside a board of this size. */
int vertex_parse(const char *s, int size, int *p);

/* Writes "D4" / "pass" / "resign" into buf (at least 8 bytes); returns buf. */
char *vertex_format(int p, int size, char *buf);

/* Parses a color word (b, black, w, white, any case). Returns 0 or -1. */
int color_parse(const char *s, stone_t *c);

/* "B"/"W" for STONE_BLACK/STONE_WHITE. */
const char *color_letter(stone_t c);

/* ASCII diagram of the board (rows top to bottom, coordinates around, no empty
 * lines) into buf; returns the number of characters written (like snprintf). */
int board_format(const board_t *b, char *buf, int buflen);

#endif
