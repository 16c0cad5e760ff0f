/* learned.c: the learned player (learned.h): the rules a Go program needs and a video model
 * does not know (legality, own eyes, when to pass, capturing dead stones before the end, when
 * to resign), the search call with the networks' distribution as its root prior, and the
 * caches that let genmove and analysis of one position share one distribution and one search.
 * The distribution itself is model/policy.h's. Every random choice of the player comes from an
 * rng seeded by the position, so a game replays exactly from its seed whatever analysis
 * commands were sent in between. */
#include "player/learned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/deadstones.h"
#include "engine/game.h"
#include "engine/search.h"
#include "engine/util.h"

#define REGRESS_SEED 0x7265675f706f6c69ULL   /* reg_genmove: fixed, not the player's seed */
#define SEARCH_HOPELESS 0.15f  /* win rate below which the search player answers a pass with a pass */
#define DEADSTONES_SEED 0x646561647374ULL    /* the estimate depends on the board only */

typedef struct {
    policy_t *pol;
    policy_player_opts_t o;
    bool warned_size;
    /* the last distribution computed (genmove, then analysis of the same position) */
    bool cache_valid;
    uint64_t cache_key;
    float cache_probs[POLICY_MOVES];
    player_t *cleanup;   /* the random player, for its clean-up moves */
    /* the last search (genmove, then analysis of the same position) */
    bool search_valid;
    uint64_t search_key;
    search_result_t search;
    const player_watch_t *interrupt; /* polled by genmove's search (set_interrupt); NULL: none */
    double budget;       /* seconds for the genmove in progress (set_budget); < 0: none */
    double t_genmove;    /* when it started */
} learned_ctx_t;

void policy_player_opts_default(policy_player_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->rollouts = POLICY_DEFAULT_ROLLOUTS;
    o->seed = 1;
    o->resign_below = 0;
    o->resign_min_moves = 30;
    search_opts_default(&o->search);
    o->search.playouts = 0;   /* no search unless asked */
    o->uniform_prior = false;
}

/* The seed of one position's rollouts: a function of the base seed, the stones, the
 * colour to move and the move number. */
static uint64_t position_seed(uint64_t base, const game_t *g, stone_t color)
{
    return splitmix64(splitmix64(base ^ g->board.hash) ^ ((uint64_t)color << 56) ^ (uint64_t)g->n_moves ^
                      ((uint64_t)g->board.size << 48));
}

/* The distribution of the position (cached for the last one). */
static int learned_probs(learned_ctx_t *c, const game_t *g, stone_t color, uint64_t base_seed, float *probs)
{
    uint64_t key = position_seed(base_seed, g, color) ^ (uint64_t)c->o.rollouts * 0x9e3779b97f4a7c15ULL;
    if (c->cache_valid && c->cache_key == key) {
        memcpy(probs, c->cache_probs, sizeof c->cache_probs);
        return 0;
    }
    rng_t rng;
    rng_seed(&rng, position_seed(base_seed, g, color));
    if (policy_distribution(c->pol, &g->board, color, c->o.rollouts, &rng, probs)) return -1;
    memcpy(c->cache_probs, probs, sizeof c->cache_probs);
    c->cache_key = key;
    c->cache_valid = true;
    return 0;
}

/* The move distribution genmove and analysis start from: the networks' (learned_probs), or
 * uniform when the search runs without them (uniform_prior: the networks are not run). */
static int move_probs(learned_ctx_t *c, const game_t *g, stone_t color, uint64_t base_seed, float *probs)
{
    if (c->o.uniform_prior && c->o.search.playouts > 0) {
        for (int i = 0; i < POLICY_MOVES; i++) probs[i] = 1.0f / POLICY_MOVES;
        return 0;
    }
    return learned_probs(c, g, color, base_seed, probs);
}

/* The search of the position (cached for the last one): probs (move_probs; NULL or
 * uniform_prior: a uniform prior) is its root prior; seeded from the position like the
 * rollouts, so genmove and analysis agree. */
static const search_result_t *learned_search(learned_ctx_t *c, const game_t *g, stone_t color, uint64_t base_seed,
                                             const float *probs)
{
    uint64_t key = position_seed(base_seed, g, color) ^ 0x73656172636800ULL;
    if (c->search_valid && c->search_key == key) return &c->search;
    search_opts_t so = c->o.search;
    so.seed = key;
    search_hooks_t hk = {0};
    if (c->interrupt && c->interrupt->stop) {
        hk.stop = c->interrupt->stop;
        hk.arg = c->interrupt->arg;
        so.hooks = &hk;
    }
    if (c->budget >= 0) { /* the clock's: whatever the networks left of it */
        double left = c->budget - (time_wall() - c->t_genmove);
        so.max_seconds = left > 0.001 ? left : 0.001;
        if (so.playouts < POLICY_TIMED_PLAYOUTS_MAX) so.playouts = POLICY_TIMED_PLAYOUTS_MAX;
    }
    search_run(g, color, c->o.uniform_prior ? NULL : probs, &so, &c->search);
    c->search_key = key;
    c->search_valid = true;
    return &c->search;
}

/* A move against the opponent's dead stones, or VERTEX_PASS when there is none. The random
 * player (engine/player_random.c) already knows how (among the legal liberties of the stones
 * the estimate calls dead: a capture first, then a move that is not a self-atari, then any),
 * so it is asked in GENMOVE_CLEANUP mode, seeded by the position; what it answers when it has
 * no such move (a random move) is recognised by not touching a dead stone. */
static int cleanup_move(learned_ctx_t *c, const game_t *g, stone_t color, const uint8_t *status, uint64_t seed)
{
    const board_t *b = &g->board;
    int p = VERTEX_PASS, nb[4];
    c->cleanup->seed(c->cleanup, seed);
    if (c->cleanup->genmove(c->cleanup, g, color, GENMOVE_CLEANUP, &p) != 0 || p < 0) return VERTEX_PASS;
    int k = board_neighbors(b, p, nb);
    for (int i = 0; i < k; i++)
        if (b->stones[nb[i]] == stone_other(color) && status[nb[i]] == STATUS_DEAD) return p;
    return VERTEX_PASS;
}

/* The end-of-game judgement of a position for the mover (dead-stone estimate, area score),
 * computed only when a rule needs it: it costs a few to tens of ms, more than the networks. */
typedef struct {
    bool done;
    uint8_t status[BOARD_POINTS];
    bool opp_dead;   /* the estimate calls some opponent stone dead */
    bool settled;    /* no neutral empty point and no dead opponent stone: nothing left to gain */
    float margin;    /* area score for the mover, estimated dead stones removed, komi included */
    uint8_t owner[BOARD_POINTS]; /* area owner of each point with the dead stones removed */
} judge_t;

static judge_t *judge(judge_t *j, const game_t *g, stone_t color)
{
    if (j->done) return j;
    const board_t *b = &g->board;
    int np = board_points(b);
    uint8_t dead[BOARD_POINTS], *owner = j->owner;
    bool neutral = false;
    deadstones_estimate(b, color, DEADSTONES_SEED, j->status);
    for (int p = 0; p < np; p++) {
        dead[p] = j->status[p] == STATUS_DEAD;
        j->opp_dead |= dead[p] && b->stones[p] == stone_other(color);
    }
    board_area(b, dead, owner);
    for (int p = 0; p < np; p++) neutral |= owner[p] == STONE_EMPTY && b->stones[p] == STONE_EMPTY;
    float black_score = game_score(g, dead);
    j->margin = color == STONE_BLACK ? black_score : -black_score;
    j->settled = !neutral && !j->opp_dead;
    j->done = true;
    return j;
}

static int learned_genmove(player_t *self, const game_t *g, stone_t color, genmove_mode_t mode, int *point);
static void learned_set_budget(player_t *self, double seconds);

static int genmove_now(player_t *self, const game_t *g, stone_t color, genmove_mode_t mode, int *point)
{
    learned_ctx_t *c = self->ctx;
    const board_t *b = &g->board;
    int np = board_points(b);
    *point = VERTEX_PASS;
    if (color != STONE_BLACK && color != STONE_WHITE) return 0;
    uint64_t base = mode == GENMOVE_REGRESS ? REGRESS_SEED : c->o.seed;
    uint64_t aux = position_seed(base, g, color) ^ 0x636c65616e7570ULL; /* cleanup / fallback choices */

    int cand[BOARD_POINTS], n = 0;
    for (int p = 0; p < np; p++)
        if (game_candidate(g, color, p)) cand[n++] = p;
    if (n == 0) return 0; /* only own eyes or nothing left: pass */

    judge_t jj = {0}, *j = &jj;
    if (c->o.resign_below > 0 && mode != GENMOVE_CLEANUP && g->n_moves >= c->o.resign_min_moves &&
        judge(j, g, color)->margin < -c->o.resign_below) {
        *point = VERTEX_RESIGN;
        return 0;
    }
    bool opp_passed = g->n_moves > 0 && g->moves[g->n_moves - 1].point == VERTEX_PASS &&
                      g->moves[g->n_moves - 1].color == stone_other(color);
    if (opp_passed && (judge(j, g, color)->margin > 0 || j->settled)) {
        /* a referee counts the board as it stands after two passes (Tromp-Taylor): the dead
         * opponent stones are captured first, in every mode (under area scoring that costs
         * nothing) */
        if (j->opp_dead) *point = cleanup_move(c, g, color, j->status, aux);
        return 0;
    }
    if (mode == GENMOVE_CLEANUP && judge(j, g, color)->opp_dead) {
        int q = cleanup_move(c, g, color, j->status, aux);
        if (q != VERTEX_PASS) {
            *point = q;
            return 0;
        }
    }
    if (b->size != policy_board_size(c->pol)) {
        if (!c->warned_size) {
            fprintf(stderr, "learned player: the networks know %dx%d boards only; playing %s on %dx%d\n",
                    policy_board_size(c->pol), policy_board_size(c->pol), c->o.search.playouts > 0 ? "the search with a uniform prior" : "random candidate moves",
                    b->size, b->size);
            c->warned_size = true;
        }
        if (c->o.search.playouts > 0) {
            *point = learned_search(c, g, color, base, NULL)->best;   /* a candidate: n > 0 */
            return 0;
        }
        rng_t rng;
        rng_seed(&rng, aux);
        *point = cand[rng_below(&rng, (uint32_t)n)];
        return 0;
    }
    float probs[POLICY_MOVES];
    if (move_probs(c, g, color, base, probs)) return -1;
    int best = cand[0];
    for (int i = 1; i < n; i++)
        if (probs[cand[i]] > probs[best]) best = cand[i];
    if (c->o.search.playouts > 0) {
        const search_result_t *sr = learned_search(c, g, color, base, probs);
        if (sr->best != VERTEX_PASS) best = sr->best;
        /* the opponent passed and no move wins even SEARCH_HOPELESS of the playouts: playing
         * on only fills the board (the search never passes by itself) */
        if (opp_passed && sr->winrate < SEARCH_HOPELESS) return 0;
    }
    if (c->o.search.playouts == 0 && probs[POLICY_PASS_INDEX] > probs[best]) {
        /* the model would pass: first capture dead stones; pass only when nothing is left to
         * gain and the mover is not behind */
        if (judge(j, g, color)->opp_dead) {
            int q = cleanup_move(c, g, color, j->status, aux);
            if (q != VERTEX_PASS) {
                *point = q;
                return 0;
            }
        }
        if (j->settled && j->margin >= 0) return 0;
    }
    /* Late in the game, once the board is settled and the mover is not behind, a move inside
     * its own area gains nothing and can only spoil its eye space: pass instead. */
    if (g->n_moves >= np / 3 && judge(j, g, color)->settled && j->margin >= 0 && j->owner[best] == color) return 0;
    *point = best;
    return 0;
}

typedef struct {
    int point;
    float prior;
} scored_t;

static int cmp_scored(const void *a, const void *b)
{
    const scored_t *x = a, *y = b;
    if (x->prior != y->prior) return x->prior > y->prior ? -1 : 1;
    return (x->point > y->point) - (x->point < y->point);
}

/* The visited root children of sr, most visited first, as candidates with the networks'
 * prior (probs) and their principal variations; returns the count (<= max). */
static int search_candidates(const search_result_t *sr, const float *probs, player_candidate_t *out, int max)
{
    int k = 0;
    while (k < sr->n_children && k < max && sr->children[k].visits > 0) k++;
    for (int i = 0; i < k; i++) {
        const search_child_t *ch = &sr->children[i];
        out[i] = (player_candidate_t){ch->point, probs[ch->point], ch->winrate, ch->visits, 0, {0}};
        out[i].pv_len = ch->pv_len < PLAYER_PV_MAX ? ch->pv_len : PLAYER_PV_MAX;
        memcpy(out[i].pv, ch->pv, (size_t)out[i].pv_len * sizeof(int));
    }
    return k;
}

static int learned_analyze(player_t *self, const game_t *g, stone_t color, player_candidate_t *out, int max)
{
    learned_ctx_t *c = self->ctx;
    const board_t *b = &g->board;
    if ((color != STONE_BLACK && color != STONE_WHITE) || max <= 0) return 0;
    scored_t s[BOARD_POINTS + 1];
    int n = 0, np = board_points(b);
    if (b->size != policy_board_size(c->pol)) {
        int m = 0;
        for (int p = 0; p < np; p++) m += game_candidate(g, color, p);
        for (int p = 0; p < np; p++)
            if (game_candidate(g, color, p)) s[n++] = (scored_t){p, 1.0f / (float)(m + 1)};
        s[n++] = (scored_t){VERTEX_PASS, 1.0f / (float)(m + 1)};
    } else {
        float probs[POLICY_MOVES];
        if (move_probs(c, g, color, c->o.seed, probs)) return 0;
        if (c->o.search.playouts > 0) {
            /* the search's root children, most visited first, with their win rates */
            const search_result_t *sr = learned_search(c, g, color, c->o.seed, probs);
            int k = search_candidates(sr, probs, out, max);
            if (k > 0) return k;
        }
        for (int p = 0; p < np; p++)
            if (game_candidate(g, color, p)) s[n++] = (scored_t){p, probs[p]};
        s[n++] = (scored_t){VERTEX_PASS, probs[POLICY_PASS_INDEX]};
    }
    qsort(s, (size_t)n, sizeof *s, cmp_scored);
    int k = n < max ? n : max;
    for (int i = 0; i < k; i++) {
        out[i].point = s[i].point;
        out[i].prior = s[i].prior;
        out[i].winrate = 0.5f;
        out[i].visits = 0;
        out[i].pv_len = 0;
    }
    return k;
}

typedef struct {
    const player_watch_t *w;
    const float *probs;
    player_candidate_t cand[BOARD_POINTS + 1];
} watch_ctx_t;

static void watch_progress(void *arg, const search_result_t *sofar)
{
    watch_ctx_t *x = arg;
    int n = search_candidates(sofar, x->probs, x->cand, BOARD_POINTS + 1);
    if (n > 0) x->w->emit(x->w->arg, x->cand, n);
}

static bool watch_stop(void *arg)
{
    const watch_ctx_t *x = arg;
    return x->w->stop && x->w->stop(x->w->arg);
}

/* A search of up to LEARNED_WATCH_PLAYOUTS (at least the player's playouts) that emits its
 * root children as it grows; without a search (or on another board size) analyze's answer
 * once. Not cached: genmove stays a function of the seed, whatever analysis ran before. */
static int learned_analyze_watch(player_t *self, const game_t *g, stone_t color, const player_watch_t *w)
{
    learned_ctx_t *c = self->ctx;
    watch_ctx_t *x = xcalloc(1, sizeof *x);
    x->w = w;
    float probs[POLICY_MOVES];
    if (c->o.search.playouts <= 0 || g->board.size != policy_board_size(c->pol) || !w->emit) {
        int n = learned_analyze(self, g, color, x->cand, BOARD_POINTS + 1);
        if (n > 0 && w->emit) w->emit(w->arg, x->cand, n);
        free(x);
        return 0;
    }
    if (move_probs(c, g, color, c->o.seed, probs)) {
        free(x);
        return -1;
    }
    x->probs = probs;
    search_opts_t so = c->o.search;
    so.seed = position_seed(c->o.seed, g, color) ^ 0x73656172636800ULL;
    if (so.playouts < LEARNED_WATCH_PLAYOUTS) so.playouts = LEARNED_WATCH_PLAYOUTS;
    search_hooks_t hk = {.stop = watch_stop, .progress = watch_progress,
                         .progress_s = w->interval_s > 0 ? w->interval_s : 0.1, .arg = x};
    so.hooks = &hk;
    search_result_t *sr = xmalloc(sizeof *sr);
    search_run(g, color, c->o.uniform_prior ? NULL : probs, &so, sr);
    watch_progress(x, sr);
    free(sr);
    free(x);
    return 0;
}

static void learned_set_interrupt(player_t *self, const player_watch_t *w)
{
    learned_ctx_t *c = self->ctx;
    c->interrupt = w;
}

static void learned_seed(player_t *self, uint64_t seed)
{
    learned_ctx_t *c = self->ctx;
    c->o.seed = seed;
    c->cache_valid = false;
    c->search_valid = false;
}

static void learned_free(player_t *self)
{
    if (!self) return;
    learned_ctx_t *c = self->ctx;
    if (c) {
        policy_free(c->pol);
        if (c->cleanup) c->cleanup->free(c->cleanup);
    }
    free(c);
    free(self);
}

player_t *policy_player_new(policy_t *pol, const policy_player_opts_t *o)
{
    if (!pol) return NULL;
    player_t *pl = xcalloc(1, sizeof *pl);
    learned_ctx_t *c = xcalloc(1, sizeof *c);
    c->pol = pol;
    c->o = *o;
    c->cleanup = player_random_new(o->seed);
    c->budget = -1;
    if (c->o.rollouts < 1) c->o.rollouts = 1;
    if (c->o.rollouts > policy_max_rollouts(pol)) c->o.rollouts = policy_max_rollouts(pol);
    pl->name = "learned";
    pl->genmove = learned_genmove;
    pl->analyze = learned_analyze;
    pl->seed = learned_seed;
    pl->set_budget = learned_set_budget;
    pl->analyze_watch = learned_analyze_watch;
    pl->set_interrupt = learned_set_interrupt;
    pl->free = learned_free;
    pl->ctx = c;
    return pl;
}

/* A genmove under the budget set_budget gave (which then lapses: analysis is not timed). */
static int learned_genmove(player_t *self, const game_t *g, stone_t color, genmove_mode_t mode, int *point)
{
    learned_ctx_t *c = self->ctx;
    c->t_genmove = time_wall();
    int rc = genmove_now(self, g, color, mode, point);
    c->budget = -1;
    return rc;
}

static void learned_set_budget(player_t *self, double seconds)
{
    learned_ctx_t *c = self->ctx;
    c->budget = seconds;
    if (seconds >= 0) c->search_valid = false; /* a search under another budget */
}

policy_t *policy_player_policy(player_t *pl)
{
    if (!pl || pl->genmove != learned_genmove) return NULL;
    return ((learned_ctx_t *)pl->ctx)->pol;
}

int policy_player_set_rollouts(player_t *pl, int k)
{
    policy_t *pol = policy_player_policy(pl);
    if (!pol) return -1;
    learned_ctx_t *c = pl->ctx;
    c->o.rollouts = k < 1 ? 1 : k > policy_max_rollouts(pol) ? policy_max_rollouts(pol) : k;
    c->cache_valid = false;
    c->search_valid = false;   /* its prior came from the old K */
    return 0;
}

int policy_player_set_playouts(player_t *pl, int playouts)
{
    if (!policy_player_policy(pl)) return -1;
    learned_ctx_t *c = pl->ctx;
    c->o.search.playouts = playouts < 0 ? 0 : playouts;
    c->search_valid = false;
    return 0;
}

int policy_player_set_search_threads(player_t *pl, int threads)
{
    if (!policy_player_policy(pl)) return -1;
    learned_ctx_t *c = pl->ctx;
    c->o.search.threads = threads < 1 ? 1 : threads > SEARCH_MAX_THREADS ? SEARCH_MAX_THREADS : threads;
    c->search_valid = false;
    return 0;
}

int policy_player_imagine(player_t *pl, const game_t *g, stone_t color, policy_imagined_t *out)
{
    memset(out, 0, sizeof *out);
    policy_t *pol = policy_player_policy(pl);
    if (!pol || g->board.size != policy_board_size(pol)) return -1;
    learned_ctx_t *c = pl->ctx;
    rng_t rng;
    rng_seed(&rng, position_seed(c->o.seed, g, color));
    return policy_imagine(pol, &g->board, color, c->o.rollouts, &rng, out);
}
