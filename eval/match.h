/* match.h: playing two GTP engines against each other and recording every finished
 * game in the database (db.h), like gogui-twogtp -auto -alternate with resumption.
 *
 * Rules of a game (DESIGN.md section 7): Chinese area scoring, positional superko,
 * suicide illegal, komi as given. Game i (0-based) gives --black Black when i is even
 * and swaps colours when i is odd. A game ends on
 *   - two passes in a row                      (reason "passes", scored),
 *   - the move limit                            ("move-limit", scored),
 *   - a resignation                             ("resign", X+R),
 *   - an illegal move: genmove answered a point that is illegal under our rules, an
 *     unparsable vertex, or the opponent refused it with "? ..." ("illegal", X+F),
 *   - a genmove timeout                         ("timeout", X+T),
 *   - an engine that died or broke the protocol ("crash", X+F).
 * A scored game is counted three ways: Tromp-Taylor (the final board as it stands, area
 * with komi: what CGOS and tournament referees count), the engines' own final_score answers
 * when both agree, and our estimate (deadstones_estimate + game_score). --scoring names the
 * one that decides (match_scoring_t); the default is Tromp-Taylor, because a referee does not
 * take the players' word for dead stones: a player must capture them before passing. Each
 * game stores its rule and its Tromp-Taylor count; the summary counts the games whose rules
 * name different winners.
 *
 * Each finished game is committed in one transaction with its engines, SGF and
 * result. A game in progress is not stored, so a match killed at any point resumes
 * with the games it did not finish: rerun the same command (or pass --match-id).
 * With threads > 1, games are played in parallel, each with its own two processes.
 */
#ifndef VIDEOGO_EVAL_MATCH_H
#define VIDEOGO_EVAL_MATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/game.h"
#include "eval/db.h"

typedef enum {
    MATCH_SCORING_TROMP_TAYLOR = 0, /* the final board as it stands (default) */
    MATCH_SCORING_AGREED,           /* both engines' final_score when they agree, else the estimate */
    MATCH_SCORING_ESTIMATE,         /* our dead-stone estimate */
} match_scoring_t;

/* "tromp-taylor", "agreed", "estimate"; match_scoring_parse: 0, or -1 for another name. */
const char *match_scoring_name(match_scoring_t s);
int match_scoring_parse(const char *name, match_scoring_t *out);

typedef struct {
    const char *black_cmd, *white_cmd;     /* engines of game 0; "{game}" in them becomes each game's index */
    const char *black_label, *white_label; /* labels for new engine rows, or NULL */
    int games;
    int size;
    double komi;
    int max_moves;          /* 0: default (match_default_max_moves) */
    double timeout_s;       /* per genmove */
    int threads;
    const char *log_dir;    /* engines' stderr to DIR/m<match>-g<index>-{black,white}.log; NULL: /dev/null */
    int64_t match_id;       /* resume this one (0: find by parameters or create) */
    bool force_new;         /* start a new match even if one with these parameters exists */
    bool quiet;             /* no progress lines */
    match_scoring_t scoring;
    bool simple_ko;         /* --ko simple (default: positional superko, DESIGN.md section 7) */
} match_opts_t;

int match_default_max_moves(int size);

/* Runs (or resumes) a match until opts->games games are recorded. Returns 0, or -1
 * with a message (engine cannot play at all, database error). Progress goes to
 * stderr, the summary to out. */
int match_run(const char *db_path, const match_opts_t *opts, FILE *out, char *err, int errlen);

/* The label of an engine given no --black-label/--white-label: its own `name` and `version`
 * answers, then the options of its command line that the other engine's lacks ("--opt value"
 * pairs kept together; the program and anything with "{game}" left out), so labels stay the
 * same across games and tell two builds of one program apart. */
void match_default_label(const char *cmd, const char *other, const char *name, const char *version, char *out,
                         int outlen);

/* ---- one game, exposed for tests ---- */

typedef struct {
    char winner;                 /* 'B', 'W', '0' */
    char result[32];             /* SGF RE */
    const char *reason;
    bool scored;
    double score;                /* Black's view */
    char res_black[64], res_white[64], res_own[32], res_tt[32];
    double score_tt, score_agreed, score_est; /* the three counts (score_agreed NaN: no agreement) */
    int n_moves;
    int *moves;                  /* n_moves points, alternating from Black */
    double duration_s, time_black_s, time_white_s;
    char error[256];
    char name[2][128], version[2][128]; /* [0] Black, [1] White */
} match_game_t;

/* Sets winner, score and result of a scored game g from the rule s (unscored games: unchanged).
 * match_play_game leaves the "agreed" result; the match runner applies its --scoring. */
void match_apply_scoring(match_game_t *g, match_scoring_t s);

/* Parses a final_score answer ("B+3.5", "W+R", "0", "Draw", ...) into a winner
 * ('B', 'W', '0') and a margin (Black's view; +-inf for resign/time/forfeit).
 * Returns 0, or -1 if unreadable. */
int match_parse_result(const char *s, char *winner, double *score);

/* Plays one game between two command lines; black_cmd plays Black. Returns 0 when the
 * game was played to an end (whatever the end), or -1 with a message when it could
 * not start (an engine that fails name/boardsize/clear_board before the first move).
 * simple_ko: the referee forbids only retaking a ko at once (game_play_simple_ko), as
 * KataGo's "chinese" rules and GNU Go do; else positional superko. An engine that knows
 * `kata-set-rule` is told the same rule (`kata-set-rule ko SIMPLE|POSITIONAL`).
 * g->moves is malloc'd (free it). */
int match_play_game(const char *black_cmd, const char *white_cmd, int size, double komi, int max_moves,
                    double timeout_s, int stderr_black, int stderr_white, bool simple_ko, match_game_t *g,
                    char *err, int errlen);

/* ---- exports (match_export.c) ---- */

/* gogui-twogtp .dat table of one match (GTP.md 3.4): results from the point of view
 * of the match's --black program, ALT=1 for swapped games. */
int match_export_dat(db_t *db, int64_t match_id, FILE *out, char *err, int errlen);
/* PGN for BayesElo / Ordo: one record per game of all matches (match_id 0) or of one.
 * [White]/[Black] are the Go colours and "1-0" means Go's White won, so the colour
 * advantage such a tool fits for "White" is Go White's (komi) advantage. Names are
 * the engines' labels. */
int match_export_pgn(db_t *db, int64_t match_id, FILE *out, char *err, int errlen);
/* One SGF file per game into dir: m<match>-<index>.sgf. Returns the count or -1. */
int match_export_sgf(db_t *db, int64_t match_id, const char *dir, char *err, int errlen);

#endif
