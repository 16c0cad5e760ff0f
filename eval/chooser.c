/* chooser.c: the table of move choosers for `videogo eval` and the player_t adapter.
 * See chooser.h for the "learned" hook that model/ fills in. */
#include "eval/chooser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"
#include "model/policy.h"
#include "player/learned.h"

static int player_choose(eval_chooser_t *self, const game_t *g, stone_t color, int *point, char *err,
                         int errlen)
{
    player_t *pl = self->ctx;
    if (pl->genmove(pl, g, color, GENMOVE_NORMAL, point)) {
        snprintf(err, (size_t)errlen, "player %s: genmove failed", pl->name);
        return -1;
    }
    return 0;
}

static void player_chooser_free(eval_chooser_t *self)
{
    player_t *pl = self->ctx;
    if (pl) pl->free(pl);
    free(self);
}

eval_chooser_t *eval_chooser_from_player(player_t *pl)
{
    eval_chooser_t *c = xcalloc(1, sizeof *c);
    c->name = pl->name;
    c->choose = player_choose;
    c->free = player_chooser_free;
    c->ctx = pl;
    return c;
}

static eval_chooser_t *make_random(const eval_chooser_opts_t *o, char *err, int errlen)
{
    player_t *pl = player_random_new(o->seed);
    if (!pl) {
        snprintf(err, (size_t)errlen, "cannot create the random player");
        return NULL;
    }
    return eval_chooser_from_player(pl);
}

/* The learned chooser: model/policy.h's paper mode. Each position's rollouts come from an
 * rng seeded by (seed, position), so a position's answer does not depend on the order of
 * the set or on the positions before it. */
typedef struct {
    policy_t *pol;
    uint64_t seed;
} learned_chooser_t;

static int learned_choose(eval_chooser_t *self, const game_t *g, stone_t color, int *point, char *err, int errlen)
{
    learned_chooser_t *c = self->ctx;
    rng_t rng;
    rng_seed(&rng, splitmix64(splitmix64(c->seed ^ g->board.hash) ^ ((uint64_t)color << 56) ^ (uint64_t)g->n_moves));
    if (policy_paper_move(c->pol, g, color, &rng, point, NULL)) {
        snprintf(err, (size_t)errlen, "learned: a %dx%d position, but the networks know %dx%d only", g->board.size,
                 g->board.size, policy_board_size(c->pol), policy_board_size(c->pol));
        return -1;
    }
    return 0;
}

static void learned_chooser_free(eval_chooser_t *self)
{
    learned_chooser_t *c = self->ctx;
    if (c) policy_free(c->pol);
    free(c);
    free(self);
}

/* Loads the policy of o->weights: the transformer file (its tokenizer, IDM and LDM are found
 * beside it, else in the default weights folder: policy_config_for) or a weights folder. */
static policy_t *load_policy(const eval_chooser_opts_t *o, int rollouts, char *err, int errlen)
{
    policy_config_t cfg;
    policy_config_default(&cfg);
    policy_config_for(&cfg, o->weights, NULL);
    cfg.max_rollouts = rollouts;
    if (o->temperature_given) cfg.temperature = o->temperature;
    cfg.codes_from_frame = o->codes_from_frame;
    cfg.symmetries = o->symmetries > 1 ? o->symmetries : 1;
    cfg.top_codes = !o->sample;
    char e[2048];
    policy_t *pol = NULL;
    if (!policy_files_exist(&cfg, e, sizeof e) || !(pol = policy_load(&cfg, e, sizeof e)))
        snprintf(err, (size_t)errlen, "learned: %s", e);
    return pol;
}

static eval_chooser_t *make_learned(const eval_chooser_opts_t *o, char *err, int errlen)
{
    /* the likeliest futures: K of them (--rollouts, default 8); sampled futures: K voting
     * when --rollouts is given, else one per try */
    policy_t *pol = load_policy(o, o->rollouts > 0 ? o->rollouts : o->sample ? 1 : POLICY_DEFAULT_ROLLOUTS, err,
                                errlen);
    if (!pol) return NULL;
    return eval_chooser_for_policy(pol, o->seed);
}

eval_chooser_t *eval_chooser_for_policy(policy_t *pol, uint64_t seed)
{
    learned_chooser_t *c = xcalloc(1, sizeof *c);
    c->pol = pol;
    c->seed = seed;
    eval_chooser_t *ch = xcalloc(1, sizeof *ch);
    ch->name = "learned";
    ch->choose = learned_choose;
    ch->free = learned_chooser_free;
    ch->ctx = c;
    return ch;
}

/* The learned player as it plays (player/learned.h play mode: K rollouts averaged, legal moves
 * only, pass rules): legal by construction, like the random baseline. */
static eval_chooser_t *make_learned_play(const eval_chooser_opts_t *o, char *err, int errlen)
{
    int k = o->rollouts > 0 ? o->rollouts : POLICY_DEFAULT_ROLLOUTS;
    policy_t *pol = load_policy(o, k, err, errlen);
    if (!pol) return NULL;
    policy_player_opts_t po;
    policy_player_opts_default(&po);
    po.rollouts = k;
    po.seed = o->seed;
    eval_chooser_t *ch = eval_chooser_from_player(policy_player_new(pol, &po));
    ch->name = "learned-play";
    return ch;
}

const eval_chooser_kind_t eval_chooser_kinds[] = {
    {"random", make_random, false,
     "uniformly random legal move that never fills its own eye (engine/player_random.c); "
     "legal by construction"},
    {"learned", make_learned, true,
     "the learned policy (model/policy.h paper mode) from --weights (the transformer file or a "
     "weights folder): the IDM's softmax over 82 moves, averaged over the K likeliest futures "
     "(--rollouts, default 8: the likeliest first LDM codes, or for a video-only transformer the "
     "likeliest first changes of the next frame) weighted by their probability, and its argmax (an "
     "illegal one is followed by the next most likely move, up to 10 times); with --sample, K sampled "
     "futures voting when --rollouts K is given, else one rollout at temperature 1 and up to 10 fresh "
     "rollouts after an illegal move; no legality masking of the distribution"},
    {"learned-play", make_learned_play, true,
     "the learned player as `videogo gtp` plays (--rollouts K averaged, legal non-eye moves only, "
     "pass rules); legal by construction"},
    {NULL, NULL, false, NULL},
};

const eval_chooser_kind_t *eval_chooser_kind(const char *name)
{
    for (const eval_chooser_kind_t *k = eval_chooser_kinds; k->name; k++)
        if (!strcmp(k->name, name)) return k;
    return NULL;
}

eval_chooser_t *eval_chooser_new(const char *name, const eval_chooser_opts_t *o, char *err, int errlen)
{
    const eval_chooser_kind_t *k = eval_chooser_kind(name);
    if (!k) {
        int n = snprintf(err, (size_t)errlen, "unknown player '%s' (known:", name);
        for (k = eval_chooser_kinds; k->name && n < errlen; k++)
            n += snprintf(err + n, (size_t)(errlen - n), " %s", k->name);
        if (n < errlen) snprintf(err + n, (size_t)(errlen - n), ")");
        return NULL;
    }
    if (!k->make) {
        snprintf(err, (size_t)errlen, "no %s player available yet in this build", k->name);
        return NULL;
    }
    if (k->needs_weights && (!o->weights || !*o->weights)) {
        snprintf(err, (size_t)errlen, "player '%s' needs --weights FILE", k->name);
        return NULL;
    }
    return k->make(o, err, errlen);
}
