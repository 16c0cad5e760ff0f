/* game.h: a game in progress: board, komi, move history, positional superko, undo,
 * handicap and scoring.
 *
 * Ownership: game_t owns its history arrays; game_init allocates nothing that
 * game_free would not release, and a zeroed game_t must be passed to game_init.
 * Setup stones (handicap, SGF AB/AW/AE, set_free_handicap) are part of the start
 * position, not of the move history, so undo never removes them.
 */
#ifndef VIDEOGO_GAME_H
#define VIDEOGO_GAME_H

#include "engine/board.h"

typedef struct {
    stone_t color;
    int point;           /* point index or VERTEX_PASS */
    board_t before;      /* the board before this move (undo restores it) */
} game_move_t;

typedef struct {
    board_t board;       /* current position */
    board_t start;       /* position after setup, before the first move */
    float komi;
    stone_t to_move;     /* side to move by alternation (GTP allows either colour to play) */
    int handicap;        /* handicap stones placed by fixed/free handicap (0 if none) */
    game_move_t *moves;  /* history, n_moves entries */
    int n_moves, cap_moves;
} game_t;

/* Starts an empty game. Returns 0, or -1 for an unacceptable size. */
int game_init(game_t *g, int size, float komi);
void game_free(game_t *g);

/* Empties the board and history, keeps size and komi. */
void game_clear(game_t *g);

/* Changes the size (clears the board, keeps komi). Returns 0 or -1 (unchanged). */
int game_set_size(game_t *g, int size);

/* Full legality: occupied, suicide, positional superko (no earlier position of the
 * game, start position included, may repeat after the move). */
move_result_t game_check(const game_t *g, stone_t color, int p);

/* A move a player may choose: p is an empty point, legal for color (game_check, superko
 * included) and not color's own true eye (board_is_eye). What the random player, the learned
 * player and the search's root all offer. */
bool game_candidate(const game_t *g, stone_t color, int p);

/* Plays (or passes) for `color`, any colour in any order. On MOVE_OK records the move
 * and sets to_move to the other colour; otherwise nothing changes. */
move_result_t game_play(game_t *g, stone_t color, int p);

/* Added by the engine owner: game_play under the simple ko rule only (a move may not
 * recreate the position before the previous move; passes lift a ko), for replaying
 * records made under simple-ko rules (GNU Go, OGS, KataGo "chinese"). The history is
 * the same as game_play's, so undo and later game_play calls work as usual. */
move_result_t game_play_simple_ko(game_t *g, stone_t color, int p);

/* Takes back the last move. Returns 0, or -1 when there is no move to undo. */
int game_undo(game_t *g);

/* Places a setup stone (or removes one with STONE_EMPTY) in the start position.
 * Only valid before the first move; returns -1 otherwise or if p is off board. */
int game_setup(game_t *g, int p, stone_t color);

/* GNU Go's fixed handicap placement. Writes the points to out (up to 9) and returns
 * their count, or -1 if n is not allowed on this size or -2 if the board is not empty.
 * The stones are placed as setup and White moves next. */
int game_fixed_handicap(game_t *g, int n, int *out);

/* Points of GNU Go's fixed handicap layout for n stones on a size board, without
 * touching any game: count, or -1 if not allowed. */
int handicap_points(int size, int n, int *out);

/* True after two passes in a row at the end of the history. */
bool game_over(const game_t *g);

/* Number of consecutive passes at the end of the history. */
int game_passes(const game_t *g);

/* Area score from Black's view with komi: > 0 Black wins. dead may be NULL. */
float game_score(const game_t *g, const uint8_t *dead);

/* Formats a score as GTP/SGF result: "B+3.5", "W+0.5", "0". */
char *score_format(float score, char *buf, int buflen);

#endif
