/* chooser.c: the table of move choosers for `videogo eval` and the player_t adapter.
 * See chooser.h for the "learned" hook that model/ fills in. */
#include "eval/chooser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"

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

const eval_chooser_kind_t eval_chooser_kinds[] = {
    {"random", make_random, false,
     "uniformly random legal move that never fills its own eye (engine/player_random.c); "
     "legal by construction"},
    /* model/: put the learned chooser's constructor here (see chooser.h). */
    {"learned", NULL, true,
     "the learned policy from --weights: raw IDM argmax over 82 moves, no legality masking"},
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
