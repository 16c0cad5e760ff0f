/* gtp.h: the Go Text Protocol front-end (GTP v2 draft 2 plus the extensions Sabaki,
 * GoGui, KGS, gomill and Lizzie-like tools use; /work/shared/docs/GTP.md is the spec).
 *
 * A gtp_t holds one game (engine/game.h), one player (engine/player.h) and the clock
 * settings. gtp_main_loop reads commands from a FILE* and answers on another, so tests
 * drive it with fmemopen, tmpfiles or pipes. Protocol only: rules, scoring and move
 * choice live in engine/ and in the player.
 *
 * Ownership: gtp_new takes ownership of the player (gtp_free calls player->free).
 * Nothing reachable from GTP input exits the process: every bad command gets a
 * `? message` answer.
 */
#ifndef VIDEOGO_GTP_H
#define VIDEOGO_GTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/clock.h"
#include "engine/game.h"
#include "engine/player.h"

/* Longest command line accepted (gogui-play_sequence lines are long). A line that reaches it
 * is answered `? line too long (limit 4 MiB)` at once, without waiting for its end; the rest
 * of it is then read and dropped up to its newline, for at most GTP_MAX_LINE more bytes.
 * Input with no newline in that span is not GTP (a binary file, /dev/zero): gtp_main_loop
 * says so on stderr and stops reading (returns -1). */
#define GTP_MAX_LINE (4 * 1024 * 1024)

typedef struct {
    const char *name;      /* answer to `name` ("videogo" when NULL) */
    const char *version;   /* answer to `version` (VIDEOGO_VERSION when NULL) */
    int size;              /* initial board size (9 when 0) */
    float komi;            /* initial komi; kept across boardsize / clear_board */
    uint64_t seed;         /* seed of the dead-stone estimates (final_score, final_status_list) */
    bool verbose;          /* log every command on stderr as "IN: <line>" */
    const char *base_dir;  /* loadsgf resolves relative file names against it (NULL: cwd) */
    const char *read_dir;  /* loadsgf reads only files inside it (NULL: base_dir, else the
                              working folder at gtp_new) */
    const char *output_dir;/* commands that write files (videogo-imagine_frames) write only
                              inside it; NULL: they are refused */
    double time_per_move;  /* seconds a genmove may take when no clock is set (0: the
                              player's own fixed effort) */
} gtp_config_t;

/* The clock as the controller set it (time_settings / kgs-time_settings / time_left, in
 * seconds; engine/clock.h), charged with every genmove's wall time: each genmove gives the
 * player clock_budget() seconds (player_t.set_budget). */
typedef game_clock_t gtp_time_t;

typedef struct gtp gtp_t;

/* Defaults: name "videogo", size 9, komi 7, seed 0, quiet. */
void gtp_config_default(gtp_config_t *cfg);

/* New front-end with an empty board of cfg->size. Takes ownership of `player` (also on
 * failure). Returns NULL if the size is unacceptable or player is NULL. */
gtp_t *gtp_new(const gtp_config_t *cfg, player_t *player);
void gtp_free(gtp_t *ctx);

/* Reads commands from `in` until `quit` or end of input, answering each on `out`
 * (flushed after every response). Pipes, sockets and terminals are read with read()
 * and poll() on fileno(in) so that analysis commands notice new input; do not read
 * such a stream through stdio before the call. Regular files and memory streams
 * (fmemopen) are read through stdio. Returns 0 after `quit` or end of input, -1 if
 * writing to `out` failed (e.g. the controller closed the pipe) or the input is not GTP
 * (no newline within 2 * GTP_MAX_LINE bytes, see above). */
int gtp_main_loop(gtp_t *ctx, FILE *in, FILE *out);

/* Runs one command line (preprocessed as input; an empty or comment line produces no
 * output) and writes its response to `out`. Analysis commands see no further input, so
 * they print one `info` line and stop. Returns 1 if the line was `quit`, 0 otherwise,
 * -1 on a write error. Used by the regression runner. */
int gtp_execute(gtp_t *ctx, const char *line, FILE *out);

/* loadsgf resolves relative file names against dir from now on (NULL: the current
 * directory). The string is copied. Returns 0, or -1 when out of memory. */
int gtp_set_base_dir(gtp_t *ctx, const char *dir);

/* Read-only views for tests and callers. */
const game_t *gtp_game(const gtp_t *ctx);
const gtp_time_t *gtp_time(const gtp_t *ctx);

/* ---- regression scripts (gtp_regress.c) ---- */

typedef struct {
    int tests, passed, failed, expected_failures, unexpected_passes;
    int errors;  /* setup commands that failed, unreadable file, bad `#?` lines */
} gtp_regress_result_t;

/* Runs a GNU Go style regression file (format in gtp_regress.c) against ctx, which
 * should be fresh; relative paths in loadsgf resolve against the file's directory.
 * Writes one line per test and a summary to `report`. Returns 0 when there was no
 * unexpected failure and no error, 1 otherwise. */
int gtp_regress_file(gtp_t *ctx, const char *path, FILE *report, gtp_regress_result_t *res);

#endif
