/* report.h: what `videogo ratings` and `videogo report` print and draw from the
 * database: the rating table and ladder, training curves, the evaluation history and
 * a short text summary. Nothing here exits. */
#ifndef VIDEOGO_EVAL_REPORT_H
#define VIDEOGO_EVAL_REPORT_H

#include <stdio.h>

#include "eval/db.h"
#include "eval/ratings.h"

typedef struct {
    const char *anchor;    /* anchor pattern (ratings_anchor_matches) */
    rating_opts_t rating;  /* prior and anchor Elo */
} report_opts_t;

/* The rating table, best first: rank, Elo, 95% interval half-width ("anchor" for the
 * anchor), games, score, W-D-L, label. */
void report_print_ratings(FILE *out, const rating_player_t *p, int n);

/* Fits the ratings and writes the table to out and the ladder to png_path (NULL: no
 * plot). Returns 0, or -1 with a message. */
int report_ratings(db_t *db, const report_opts_t *o, FILE *out, const char *png_path, char *err, int errlen);

/* Writes training_loss.png, evaluations.png, ladder.png and summary.txt into out_dir
 * (created if needed) and prints the summary to out. Empty tables give "no ... yet"
 * lines and empty charts. Returns 0, or -1 with a message. */
int report_write(db_t *db, const report_opts_t *o, const char *out_dir, FILE *out, char *err, int errlen);

#endif
