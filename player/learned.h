/* learned.h: the learned player (engine/player.h's interface) built on model/policy.h's
 * distribution: what gtp/ and eval/ play with. The networks' pipeline (board -> frame -> codes
 * -> rollouts -> IDM -> distribution) stays in model/; this floor adds the Go rules around it
 * and the tree search (engine/search.h) with the distribution as its root prior.
 *
 * Ownership: a player made by policy_player_new owns its policy_t. One thread at a time. */
#ifndef VIDEOGO_PLAYER_LEARNED_H
#define VIDEOGO_PLAYER_LEARNED_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/game.h"
#include "engine/player.h"
#include "engine/search.h"
#include "model/policy.h"
#include "player/learned.h"

#define POLICY_TIMED_PLAYOUTS_MAX 400000 /* a search under a time budget stops here at the latest */
#define LEARNED_WATCH_PLAYOUTS 100000 /* a watched analysis searches this far at most (the tree:
                                         about 50 MB), then its figures stand */
#define POLICY_GTP_PLAYOUTS 16000 /* `videogo gtp`'s search playouts per move (weights/README.md:
                                     p50 1.1 s a move on the 2-core VM) */

typedef struct {
    int rollouts;          /* K per move (1..the policy's max_rollouts) */
    uint64_t seed;         /* every choice is a function of (seed, position) */
    float resign_below;    /* resign when the area score (estimated dead stones removed,
                              komi included) is worse than -resign_below points for the
                              mover after resign_min_moves moves; <= 0: never resign */
    int resign_min_moves;
    search_opts_t search;  /* search.playouts > 0: the move is chosen by engine/search.h's tree
                              search with these settings, the K-rollout distribution as its root
                              prior (its seed is set per position); 0: the candidate with the
                              highest probability (no search) */
    bool uniform_prior;    /* search with a uniform prior instead of the networks' (ablation:
                              the networks are not run for the move) */
} policy_player_opts_t;

void policy_player_opts_default(policy_player_opts_t *o);

/* The learned player; takes ownership of p (also on failure). Behaviour:
 *   - candidates: legal moves (game_check) that do not fill the mover's true eye
 *     (board_is_eye);
 *   - the move: the candidate with the highest K-rollout probability, or, with search.playouts > 0,
 *     the most visited root child of a search_run (engine/search.h) whose root prior is that
 *     distribution (seeded from the position like the rollouts). The rollouts use an
 *     rng seeded from (seed, position, colour), so genmove, reg_genmove, analysis and the
 *     imagined frames of one position all see the same rollouts and a game is reproducible
 *     from its seed; GENMOVE_REGRESS uses a fixed seed instead of the player's;
 *   - pass: when there is no candidate; when the opponent has just passed and the mover
 *     wins by the area score with the estimated dead stones removed; when the opponent has
 *     just passed, no point is neutral and no dead opponent stone is left (nothing to gain);
 *     when the model's top choice is the pass, unless the mover is behind or points are
 *     left (then the best candidate is played instead; not with search.playouts > 0, where the
 *     search's move stands); with search.playouts > 0, when the opponent has just passed and the
 *     search's best move wins less than 15% of its playouts; when the board is settled (no
 *     neutral point, no dead opponent stone), the mover is not behind and the best
 *     candidate lies inside its own area (checked from move size*size/3 on);
 *   - before passing, and first of all in GENMOVE_CLEANUP, it captures the opponent stones
 *     the dead-stone estimate (engine/deadstones.h) calls dead;
 *   - resignation as in opts (off by default);
 *   - boards other than policy_board_size(): a random candidate (warned once on stderr);
 *   - analyze: every candidate and the pass with its raw probability (sum <= 1), sorted,
 *     winrate 0.5 (the networks have no value head); with search.playouts > 0, the search's root
 *     children that got visits, most visited first, with their visits and win rates (the
 *     search genmove runs for the same position and seed, computed once). */
player_t *policy_player_new(policy_t *p, const policy_player_opts_t *o);

/* Changes the rollouts per move (clamped to 1..the policy's max_rollouts). Returns -1 when
 * pl is not a learned player. */
int policy_player_set_rollouts(player_t *pl, int k);

/* Changes the search's playouts per move (0: no search). Returns -1 when pl is not a
 * learned player. */
int policy_player_set_playouts(player_t *pl, int playouts);
/* Threads of the search (search_opts_t.threads, root parallelism); -1 when pl is not a learned
 * player. */
int policy_player_set_search_threads(player_t *pl, int threads);

/* The policy of a learned player, or NULL when pl is another kind of player. */
policy_t *policy_player_policy(player_t *pl);

/* The rollouts a learned player uses for this position (the same ones genmove and analyze
 * use). Returns 0, or -1 when pl is not a learned player or the board is not the model's. */
int policy_player_imagine(player_t *pl, const game_t *g, stone_t color, policy_imagined_t *out);

#endif
