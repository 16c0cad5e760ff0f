/* chooser.h: what `videogo eval` asks for a move, and the table of ways to build one.
 *
 * A chooser is player.h's idea with one difference that matters for benchmarks: it
 * applies NO legality masking. DESIGN.md section 6 computes the raw figures on the
 * move the model would pick before any legal-move filter, so a learned chooser may
 * return an occupied point and the benchmark counts it as illegal. A player_t (which
 * never returns an illegal point) is wrapped with eval_chooser_from_player; that is
 * how the random baseline is measured (its legal rate is then 100% by construction,
 * which the report says).
 *
 * The table eval_chooser_kinds[] (chooser.c) maps a --player name to a constructor.
 * The "learned" entry loads o->weights (a transformer file, its tokenizer/IDM/LDM found
 * beside it or in the default weights folder, or a weights folder) and chooses with
 * model/policy.h's paper mode: the argmax of the distribution over the K likeliest LDM
 * codes (or, sampling, one rollout at temperature 1 and a fresh one after an illegal move
 * up to 10 times); the move may be illegal, and counts so.
 *
 * Ownership: a chooser owns its ctx and is released with its free().
 */
#ifndef VIDEOGO_EVAL_CHOOSER_H
#define VIDEOGO_EVAL_CHOOSER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/game.h"
#include "engine/player.h"
#include "model/policy.h"

typedef struct eval_chooser eval_chooser_t;
struct eval_chooser {
    const char *name;   /* shown in reports and stored in the evaluations table */
    /* The move for `color` in g (whose history is the position's), without legality
     * masking: a point index, VERTEX_PASS or VERTEX_RESIGN into *point. Returns 0, or
     * -1 with a message in err when the chooser itself failed (not for a bad move). */
    int (*choose)(eval_chooser_t *self, const game_t *g, stone_t color, int *point, char *err, int errlen);
    void (*free)(eval_chooser_t *self);
    void *ctx;
};

typedef struct {
    const char *weights;   /* weights file, or NULL */
    uint64_t seed;         /* for choosers that sample */
    int rollouts;          /* learned-play: transformer rollouts per move (0: the default) */
    bool temperature_given;/* learned choosers: sample the transformer at `temperature` */
    float temperature;     /*   (default 1; <= 0 is greedy) */
    bool codes_from_frame; /* learned choosers: the IDM reads the LDM codes of the imagined
                              frame, not the transformer's (model/policy.h) */
    bool sample;           /* learned choosers: sampled futures, not the top codes (policy.h) */
    int symmetries;        /* learned choosers: the mean over this many board symmetries (0/1: none) */
} eval_chooser_opts_t;

/* Builds a chooser, or returns NULL with a message in err. */
typedef eval_chooser_t *(*eval_chooser_make_fn)(const eval_chooser_opts_t *o, char *err, int errlen);

typedef struct {
    const char *name;         /* --player NAME */
    eval_chooser_make_fn make;  /* NULL: not available in this build */
    bool needs_weights;
    const char *help;
} eval_chooser_kind_t;

/* Terminated by an entry with name == NULL. */
extern const eval_chooser_kind_t eval_chooser_kinds[];

/* The kind named name, or NULL. */
const eval_chooser_kind_t *eval_chooser_kind(const char *name);

/* Builds the chooser `name` (see the table); NULL with a clear message in err when the
 * name is unknown, the kind is not in this build, or its constructor fails. */
eval_chooser_t *eval_chooser_new(const char *name, const eval_chooser_opts_t *o, char *err, int errlen);

/* Wraps a player (taking ownership of it): choose() calls genmove in GENMOVE_NORMAL. */
eval_chooser_t *eval_chooser_from_player(player_t *pl);

/* The "learned" chooser (paper mode) over an already loaded policy, which it owns. */
eval_chooser_t *eval_chooser_for_policy(policy_t *pol, uint64_t seed);

#endif
