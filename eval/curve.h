/* curve.h: one point of a training run's learning curve: the paper-mode figures (legal rate,
 * action-value, best-action accuracy; gobench.h) of a transformer file on the first n
 * positions of a labelled set, with the tokenizer, IDM and LDM named explicitly, stored as
 * an evaluation whose config records the training run, the step and the core-hours of
 * training so far. `videogo report` draws action-value against core-hours per run. */
#ifndef VIDEOGO_EVAL_CURVE_H
#define VIDEOGO_EVAL_CURVE_H

#include <stdint.h>

#include "eval/db.h"
#include "eval/gobench.h"

typedef struct {
    const char *tokenizer, *ar, *idm, *ldm; /* files (the LDM: for a video-only transformer) */
    const char *set_path;                   /* positions (gobench.h) */
    int n;                                  /* the first n of them */
    int rollouts;                           /* K likeliest codes (policy.h) */
    int64_t run_id;                         /* training run (0: none) */
    long step;
    double core_hours;                      /* training so far: seconds x threads / 3600 */
} curve_point_t;

/* Evaluates cp into *res and, when db is not NULL, stores it (benchmark "gobench", label
 * "curve run R step S"). Returns 0, or -1 with a message in err (a missing file, a set that
 * does not load, a database error). */
int curve_eval(db_t *db, const curve_point_t *cp, gobench_result_t *res, char *err, int errlen);

#endif
