/* ratings.h: maximum-likelihood Bradley-Terry ratings on the Elo scale, the way
 * BayesElo and KataGo's summarize_sgfs.py fit them, over every recorded game.
 *
 * Model: P(i beats j) = 1 / (1 + 10^((r_j - r_i) / 400)); a jigo counts as half a win
 * for each side. Prior: each player that is not anchored plays `prior_games` virtual
 * games, half won and half lost (virtual draws), against a virtual opponent rated at
 * the anchor's Elo. It keeps ratings finite when a player won or lost everything and
 * pulls players with few games towards the anchor; prior_games = 0 gives the plain MLE.
 * Anchored players keep their Elo. The fit is Newton's method on the log-likelihood
 * (a concave function), with steps capped for robustness; the error bars are the
 * square roots of the diagonal of the inverse of the negative Hessian at the optimum
 * (Elo units, relative to the anchor, which has none).
 *
 * Nothing here exits; all memory is the caller's.
 */
#ifndef VIDEOGO_EVAL_RATINGS_H
#define VIDEOGO_EVAL_RATINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "eval/db.h"

typedef struct {
    int64_t id;            /* engine id in the database (0 when not from it) */
    char label[256];
    char command[512];
    bool anchored;         /* input: hold elo fixed */
    double elo;            /* input: the anchor's value (others: ignored); output: the fit */
    double sd;             /* output: standard deviation in Elo (0 for anchored players) */
    int games, wins, draws, losses;
} rating_player_t;

typedef struct {
    int a, b;              /* player indices */
    double score_a;        /* 1 win for a, 0.5 jigo, 0 loss */
} rating_game_t;

typedef struct {
    double prior_games;    /* virtual draws per non-anchored player (default 2) */
    double anchor_elo;     /* rating of the virtual prior opponent (default 1800) */
} rating_opts_t;

/* Fits the ratings of p[0..n) from g[0..ng). Fills elo, sd and the game counts.
 * Returns 0, or -1 with a message when the ratings are not identifiable (no anchored
 * player and no prior, or a player with no games and no prior) or did not converge
 * (with no prior, a player who won or lost every game has no finite MLE). */
int ratings_fit(rating_player_t *p, int n, const rating_game_t *g, int ng, const rating_opts_t *o, char *err,
                int errlen);

/* True when an anchor pattern names this engine: pattern equals the label, or the
 * pattern's words occur in the command's words in order, where an option ("--x") and
 * its value must be adjacent in both, and the first word matches a basename
 * ("gnugo --level 10" matches "gnugo --mode gtp --level 10 --chinese-rules"). */
bool ratings_anchor_matches(const char *pattern, const char *label, const char *command);

/* Loads every engine that played a recorded game and every game, anchors the engines
 * matching `anchor` (see above) at o->anchor_elo, and fits. *players is malloc'd
 * (free it); *n_players its count. A database without games gives 0 players and
 * returns 0. Returns -1 with a message on failure; when no engine matches the anchor
 * the fit still runs (the prior's virtual opponent then sets the scale) and *anchor_found
 * says so. */
int ratings_from_db(db_t *db, const char *anchor, const rating_opts_t *o, rating_player_t **players,
                    int *n_players, bool *anchor_found, char *err, int errlen);

#endif
