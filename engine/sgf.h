/* sgf.h: SGF FF[4] reading and writing (main line only).
 *
 * The reader takes collections (many games in one file), keeps the main line (first
 * child at every branch), AB/AW/AE setup, passes as B[] or B[tt] (tt only on boards
 * up to 19x19), SZ KM RU HA PB PW RE DT, and the private KB[] of ogs9-kata. Unknown
 * properties are skipped. It never crashes: a malformed file gets an error with the
 * byte offset and what was expected.
 *
 * Ownership: sgf_game_t owns every pointer in it; free with sgf_game_free.
 */
#ifndef VIDEOGO_SGF_H
#define VIDEOGO_SGF_H

#include <stdbool.h>
#include <stddef.h>
#include "engine/game.h"

typedef struct {
    stone_t color;
    int point;  /* point index or VERTEX_PASS */
    int kb;     /* ogs9-kata KB[]: KataGo's choice before this move (point, VERTEX_PASS), or VERTEX_NONE */
} sgf_move_t;

typedef struct {
    int point;
    stone_t color;  /* STONE_EMPTY for AE */
} sgf_setup_t;

typedef struct {
    int size;             /* SZ, default 19 */
    float komi;           /* KM, default 0 */
    bool has_komi;
    int handicap;         /* HA, default 0 */
    char *rules;          /* RU, or NULL */
    char *black, *white;  /* PB, PW, or NULL */
    char *result;         /* RE, or NULL */
    char *date;           /* DT, or NULL */
    char *application;    /* AP, or NULL */
    char *comment;        /* GC (game comment), or NULL */
    sgf_setup_t *setup;   /* root AB/AW/AE in file order */
    int n_setup;
    sgf_move_t *moves;    /* main line */
    int n_moves;
} sgf_game_t;

typedef struct {
    sgf_game_t *games;
    int n_games;
} sgf_collection_t;

typedef struct {
    size_t offset;       /* byte offset of the problem in the input */
    char message[200];   /* e.g. "expected '[' after property identifier" */
} sgf_error_t;

/* Parses a whole collection. Returns 0, or -1 with *err filled (out left empty). */
int sgf_parse(const char *text, size_t len, sgf_collection_t *out, sgf_error_t *err);

#define SGF_MAX_BYTES (64 << 20) /* sgf_read_file refuses larger files (or endless ones) */

/* Reads and parses a file; on an I/O error the message names the file and errno; a file over
 * SGF_MAX_BYTES is refused with a message, after reading at most that much. */
int sgf_read_file(const char *path, sgf_collection_t *out, sgf_error_t *err);

void sgf_game_free(sgf_game_t *g);
void sgf_collection_free(sgf_collection_t *c);

/* Writes one game (GM FF CA SZ KM RU HA PB PW RE DT AP, setup, moves) as a malloc'd
 * NUL-terminated string, or NULL on out of memory. */
char *sgf_write(const sgf_game_t *g);

/* Writes sgf_write's text to path atomically (tmp file + rename). Returns 0 or -1. */
int sgf_write_file(const char *path, const sgf_game_t *g);

/* Replays the setup and the first n_moves moves (all if n_moves < 0) of s into g,
 * which is re-initialised with s's size and komi. Returns 0, or -1 with the index of
 * the first illegal move in *bad_move (g then holds the position before it), or -2 if
 * the size is unacceptable. */
int sgf_replay(const sgf_game_t *s, int n_moves, game_t *g, int *bad_move);

/* Added by the engine owner: sgf_replay with a choice of ko rule: superko = true is
 * sgf_replay (positional superko), false replays with game_play_simple_ko. A few
 * records in the data sets repeat a position (they were checked with simple ko). */
int sgf_replay_ko(const sgf_game_t *s, int n_moves, game_t *g, int *bad_move, bool superko);

/* Copies a string into a new malloc'd one for sgf_game_t fields (NULL stays NULL). */
char *sgf_strdup(const char *s);

#endif
