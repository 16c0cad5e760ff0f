/* gobench.h: Video-GoBench figures on a labelled position set (DESIGN.md section 6).
 *
 * A set is a JSON-lines file (../shared/data/gobench9/dev.jsonl): one position per
 * line with game, turn, to_move, history (GTP vertices from the empty board,
 * alternating from Black), played, best, policy (size*size + 1 floats, row-major from
 * the top-left point = our point index, then pass), winrate_black, score_lead_black.
 *
 * For each position the chooser picks a move in the position rebuilt by replaying the
 * history with the engine (so positional superko sees the whole game). Then:
 *   legal   the move is a legal board move or a pass (occupied, suicide, superko and
 *           resign are not);
 *   best    the move equals `best`;
 *   value   policy[move] / max(policy) for a legal move, 0 for an illegal one
 *           (pass = policy[size*size]).
 * Reported: the legal rate and best-action accuracy with Wilson 95% intervals, the mean
 * action-value with a normal 95% interval, and the number of positions.
 *
 * Ownership: gobench_set_t owns its positions (gobench_set_free). Nothing here exits;
 * a bad line is reported as "FILE:LINE: message" and skipped.
 */
#ifndef VIDEOGO_EVAL_GOBENCH_H
#define VIDEOGO_EVAL_GOBENCH_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/game.h"
#include "eval/chooser.h"

/* Input limits: a line over GOBENCH_MAX_LINE bytes (a 19x19 position takes about 10 KB) is
 * reported and skipped; a set over GOBENCH_MAX_BYTES (dev.jsonl is 2.8 MB) is refused after
 * reading at most that much, so an endless stream (/dev/zero) ends with a message. */
#define GOBENCH_MAX_LINE (1 << 20)
#define GOBENCH_MAX_BYTES (256 << 20)

typedef struct {
    int line;               /* 1-based line of the file */
    char game[64];
    int turn;               /* as given, or -1 when absent or not an integer in 0..INT_MAX */
    int size;               /* from the policy length: size*size + 1 entries */
    stone_t to_move;
    int *history;           /* n_history points (VERTEX_PASS allowed) */
    int n_history;
    int played, best;       /* point or VERTEX_PASS */
    float *policy;          /* size*size + 1 */
    float policy_max;       /* > 0 */
    double winrate_black, score_lead_black;
} gobench_pos_t;

typedef struct {
    gobench_pos_t *pos;
    int n, cap;
    int n_bad;              /* lines skipped with a message */
} gobench_set_t;

/* Parses one line into pos (which owns its arrays afterwards) and checks it: fields
 * present and typed, vertices on the board, to_move consistent with the history,
 * history replayable under our rules, policy with a positive entry. Returns 0, or -1
 * with the reason in err (pos left empty). */
int gobench_parse_line(const char *text, size_t len, int line, gobench_pos_t *pos, char *err, int errlen);
void gobench_pos_free(gobench_pos_t *pos);

/* Reads a whole file; bad lines are reported on msgs (may be NULL) as
 * "path:LINE: message" and counted in n_bad. Returns 0, or -1 with a message in err
 * when the file cannot be read. */
int gobench_load(const char *path, gobench_set_t *set, FILE *msgs, char *err, int errlen);
/* Same from an open stream (label names it in messages; the fuzzer reads memory). */
int gobench_read(FILE *f, const char *label, gobench_set_t *set, FILE *msgs, char *err, int errlen);
void gobench_set_free(gobench_set_t *set);

/* Rebuilds the position in g (initialised here; the caller frees it with game_free).
 * Returns 0, or -1 with a message. Komi is 7 (it does not affect the metrics). */
int gobench_position(const gobench_pos_t *pos, game_t *g, char *err, int errlen);

typedef struct {
    bool legal, best;
    double value;
    move_result_t why;      /* MOVE_OK, or why it is illegal (MOVE_BAD_COLOR for resign) */
} gobench_score_t;

/* Scores `chosen` in position pos, whose game g was rebuilt by gobench_position. */
gobench_score_t gobench_score_move(const gobench_pos_t *pos, const game_t *g, int chosen);

typedef struct {
    long n, n_legal, n_best, n_pass, n_resign;
    long n_occupied, n_suicide, n_superko, n_off_board;  /* illegal moves by reason */
    double value_sum, value_sumsq;
    /* filled by gobench_result_finish: */
    double legal, legal_lo, legal_hi;
    double value, value_lo, value_hi;
    double best, best_lo, best_hi;
    double seconds;
} gobench_result_t;

void gobench_result_add(gobench_result_t *r, const gobench_score_t *s, int chosen);
void gobench_result_finish(gobench_result_t *r);

/* Called after each position (done = 1..total). */
typedef void (*gobench_progress_fn)(void *ctx, int done, int total);

/* Runs the chooser on every position of the set. Per-position lines (line, chosen,
 * legal, best, value) go to dump when not NULL. Returns 0, or -1 with a message when
 * the chooser failed. */
int gobench_run(const gobench_set_t *set, eval_chooser_t *ch, gobench_progress_fn progress, void *pctx,
                FILE *dump, gobench_result_t *res, char *err, int errlen);

#endif
