/* report.c: the rating table and ladder, and `videogo report`: training loss curves
 * per run, the evaluation history and a text summary (report.h). */
#include "eval/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/util.h"
#include "eval/plot.h"
#include "eval/stats.h"

static int cmp_elo_desc(const void *a, const void *b)
{
    const rating_player_t *x = a, *y = b;
    return x->elo < y->elo ? 1 : x->elo > y->elo ? -1 : 0;
}

void report_print_ratings(FILE *out, const rating_player_t *p, int n)
{
    rating_player_t *s = xmalloc((size_t)(n ? n : 1) * sizeof *s);
    if (n) memcpy(s, p, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_elo_desc);
    fprintf(out, "%4s  %7s  %8s  %5s  %6s  %-11s  %s\n", "rank", "Elo", "+-95%", "games", "score", "W-D-L",
            "engine");
    for (int i = 0; i < n; i++) {
        char ci[16], wdl[32];
        if (s[i].anchored) snprintf(ci, sizeof ci, "anchor");
        else snprintf(ci, sizeof ci, "%.0f", STATS_Z95 * s[i].sd);
        snprintf(wdl, sizeof wdl, "%d-%d-%d", s[i].wins, s[i].draws, s[i].losses);
        double score = s[i].games ? (s[i].wins + 0.5 * s[i].draws) / s[i].games : 0;
        fprintf(out, "%4d  %7.1f  %8s  %5d  %5.1f%%  %-11s  %s\n", i + 1, s[i].elo, ci, s[i].games, 100 * score, wdl,
                s[i].label);
    }
    free(s);
}

int report_ratings(db_t *db, const report_opts_t *o, FILE *out, const char *png_path, char *err, int errlen)
{
    rating_player_t *p;
    int n;
    bool found;
    if (ratings_from_db(db, o->anchor, &o->rating, &p, &n, &found, err, errlen)) return -1;
    if (n == 0) fprintf(out, "no rated games yet\n");
    else {
        fprintf(out, "Bradley-Terry maximum likelihood, %g virtual draws per player against %.0f Elo; ",
                o->rating.prior_games, o->rating.anchor_elo);
        if (found) fprintf(out, "anchor '%s' = %.0f\n", o->anchor, o->rating.anchor_elo);
        else
            fprintf(out, "anchor '%s' has not played: ratings are relative to the prior's %.0f\n", o->anchor,
                    o->rating.anchor_elo);
        report_print_ratings(out, p, n);
    }
    int rc = 0;
    if (png_path) {
        const char **labels = xmalloc((size_t)(n ? n : 1) * sizeof *labels);
        double *elo = xmalloc((size_t)(n ? n : 1) * sizeof *elo), *lo = xmalloc((size_t)(n ? n : 1) * sizeof *lo),
               *hi = xmalloc((size_t)(n ? n : 1) * sizeof *hi);
        bool *anch = xmalloc((size_t)(n ? n : 1) * sizeof *anch);
        for (int i = 0; i < n; i++) {
            labels[i] = p[i].label;
            elo[i] = p[i].elo;
            lo[i] = p[i].elo - STATS_Z95 * p[i].sd;
            hi[i] = p[i].elo + STATS_Z95 * p[i].sd;
            anch[i] = p[i].anchored;
        }
        char title[300];
        if (found)
            snprintf(title, sizeof title, "rating ladder (anchor: %s = %.0f)", o->anchor, o->rating.anchor_elo);
        else
            snprintf(title, sizeof title, "rating ladder (relative: the anchor %s has not played; prior mean %.0f)",
                     o->anchor, o->rating.anchor_elo);
        rc = plot_ladder(png_path, title, labels, elo, lo, hi, anch, n, err, errlen);
        free(labels);
        free(elo);
        free(lo);
        free(hi);
        free(anch);
    }
    free(p);
    return rc;
}

/* ---- training curves ---- */

typedef struct {
    char name[128];
    int64_t run;
    char split[32];
    double *x, *y;
    int n, cap;
} series_buf_t;

static void series_push(series_buf_t *s, double x, double y)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->x = xrealloc(s->x, (size_t)s->cap * sizeof *s->x);
        s->y = xrealloc(s->y, (size_t)s->cap * sizeof *s->y);
    }
    s->x[s->n] = x;
    s->y[s->n++] = y;
}

static int training_plot(db_t *db, const char *path, FILE *summary, char *err, int errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT r.id, r.net, r.status, l.split, l.step, l.loss FROM training_log l JOIN "
                           "training_runs r ON r.id = l.run_id ORDER BY r.id, l.split, l.step",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, (size_t)errlen, "database: %s", sqlite3_errmsg(db->h));
        return -1;
    }
    series_buf_t *s = NULL;
    int ns = 0;
    int64_t cur_run = -1;
    char cur_split[32] = "";
    bool positive = true;
    double lmin = INFINITY, lmax = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(st, 0);
        const char *split = (const char *)sqlite3_column_text(st, 3);
        if (run != cur_run || strcmp(split, cur_split)) {
            s = xrealloc(s, (size_t)(ns + 1) * sizeof *s);
            memset(&s[ns], 0, sizeof s[ns]);
            snprintf(s[ns].name, sizeof s[ns].name, "run %lld %s (%s)", (long long)run,
                     (const char *)sqlite3_column_text(st, 1), split);
            s[ns].run = run;
            snprintf(s[ns].split, sizeof s[ns].split, "%s", split);
            ns++;
            cur_run = run;
            snprintf(cur_split, sizeof cur_split, "%s", split);
        }
        double loss = sqlite3_column_double(st, 5);
        positive &= loss > 0;
        lmin = fmin(lmin, loss);
        lmax = fmax(lmax, loss);
        series_push(&s[ns - 1], (double)sqlite3_column_int64(st, 4), loss);
    }
    sqlite3_finalize(st);

    /* Summary lines: every run, with its last logged loss per split. */
    if (sqlite3_prepare_v2(db->h, "SELECT id, net, status, started, ended FROM training_runs ORDER BY id", -1, &st,
                           NULL) == SQLITE_OK) {
        int runs = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            runs++;
            int64_t run = sqlite3_column_int64(st, 0);
            fprintf(summary, "  run %lld %-12s %-8s started %s", (long long)run, sqlite3_column_text(st, 1),
                    sqlite3_column_text(st, 2), sqlite3_column_text(st, 3));
            for (int k = 0; k < ns; k++)
                if (s[k].run == run && s[k].n)
                    fprintf(summary, "; %s step %.0f loss %.4g", s[k].split, s[k].x[s[k].n - 1], s[k].y[s[k].n - 1]);
            fputc('\n', summary);
        }
        sqlite3_finalize(st);
        if (!runs) fprintf(summary, "  no training runs yet\n");
    }

    plot_series_t *ps = xmalloc((size_t)(ns ? ns : 1) * sizeof *ps);
    for (int k = 0; k < ns; k++) ps[k] = (plot_series_t){s[k].name, s[k].x, s[k].y, NULL, NULL, s[k].n};
    plot_opts_t po = {.title = "training loss", .xlabel = "step", .ylabel = "loss", .lines = true,
                      .log_y = positive && lmin > 0 && lmax / lmin > 20};
    int rc = plot_series(path, &po, ps, ns, err, errlen);
    for (int k = 0; k < ns; k++) {
        free(s[k].x);
        free(s[k].y);
    }
    free(s);
    free(ps);
    return rc;
}

/* ---- evaluation history ---- */

static int evaluations_plot(db_t *db, const char *path, FILE *summary, char *err, int errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT id, created, player, IFNULL(label, ''), IFNULL(substr(weights_sha256, 1, 12), '-'), "
                           "n, legal, legal_lo, legal_hi, value, value_lo, value_hi, best, best_lo, best_hi "
                           "FROM evaluations ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, (size_t)errlen, "database: %s", sqlite3_errmsg(db->h));
        return -1;
    }
    int n = 0, cap = 0;
    double *x = NULL, *v[9] = {0};
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            x = xrealloc(x, (size_t)cap * sizeof *x);
            for (int k = 0; k < 9; k++) v[k] = xrealloc(v[k], (size_t)cap * sizeof *v[k]);
        }
        x[n] = (double)sqlite3_column_int64(st, 0);
        for (int k = 0; k < 9; k++) v[k][n] = 100 * sqlite3_column_double(st, 6 + k);
        fprintf(summary, "  #%lld %s %s%s%s weights %s, n=%d: legal %.1f%% AV %.1f%% [%.1f, %.1f] best %.1f%% [%.1f, %.1f]\n",
                (long long)x[n], sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
                *sqlite3_column_text(st, 3) ? " / " : "", sqlite3_column_text(st, 3), sqlite3_column_text(st, 4),
                sqlite3_column_int(st, 5), v[0][n], v[3][n], v[4][n], v[5][n], v[6][n], v[7][n], v[8][n]);
        n++;
    }
    sqlite3_finalize(st);
    if (!n) fprintf(summary, "  no evaluations yet\n");
    plot_series_t ps[3] = {
        {"legal rate", x, v[0], v[1], v[2], n},
        {"action-value", x, v[3], v[4], v[5], n},
        {"best-action accuracy", x, v[6], v[7], v[8], n},
    };
    plot_opts_t po = {.title = "Video-GoBench evaluations (95% intervals)", .xlabel = "evaluation id",
                      .ylabel = "%", .markers = true, .x_integer = true, .y_fixed = true, .y_lo = 0, .y_hi = 100};
    int rc = plot_series(path, &po, ps, 3, err, errlen);
    free(x);
    for (int k = 0; k < 9; k++) free(v[k]);
    return rc;
}

/* ---- learning curves (eval/curve.h): action-value against core-hours, one series per run ---- */

static int learning_plot(db_t *db, const char *path, FILE *summary, char *err, int errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT e.id, json_extract(e.config, '$.run_id'), json_extract(e.config, '$.core_hours'), "
                           "json_extract(e.config, '$.step'), e.n, e.value, e.value_lo, e.value_hi, e.best, "
                           "IFNULL(r.net, '?') FROM evaluations e LEFT JOIN training_runs r ON "
                           "r.id = json_extract(e.config, '$.run_id') WHERE json_valid(e.config) AND "
                           "json_extract(e.config, '$.core_hours') IS NOT NULL ORDER BY 2, 3",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, (size_t)errlen, "database: %s", sqlite3_errmsg(db->h));
        return -1;
    }
    series_buf_t *s = NULL;
    double **lo = NULL, **hi = NULL;
    int ns = 0;
    int64_t cur = -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(st, 1);
        if (run != cur || !ns) {
            s = xrealloc(s, (size_t)(ns + 1) * sizeof *s);
            lo = xrealloc(lo, (size_t)(ns + 1) * sizeof *lo);
            hi = xrealloc(hi, (size_t)(ns + 1) * sizeof *hi);
            memset(&s[ns], 0, sizeof s[ns]);
            lo[ns] = hi[ns] = NULL;
            snprintf(s[ns].name, sizeof s[ns].name, "run %lld %s", (long long)run, sqlite3_column_text(st, 9));
            s[ns].run = run;
            ns++;
            cur = run;
        }
        series_buf_t *b = &s[ns - 1];
        double ch = sqlite3_column_double(st, 2), v = 100 * sqlite3_column_double(st, 5);
        series_push(b, ch, v);
        lo[ns - 1] = xrealloc(lo[ns - 1], (size_t)b->cap * sizeof **lo);
        hi[ns - 1] = xrealloc(hi[ns - 1], (size_t)b->cap * sizeof **hi);
        lo[ns - 1][b->n - 1] = 100 * sqlite3_column_double(st, 6);
        hi[ns - 1][b->n - 1] = 100 * sqlite3_column_double(st, 7);
        fprintf(summary, "  %s step %lld, %.3f core-hours: action-value %.1f%% [%.1f, %.1f], best-action %.1f%% (n=%d)\n",
                b->name, (long long)sqlite3_column_int64(st, 3), ch, v, lo[ns - 1][b->n - 1], hi[ns - 1][b->n - 1],
                100 * sqlite3_column_double(st, 8), sqlite3_column_int(st, 4));
    }
    sqlite3_finalize(st);
    if (!ns) fprintf(summary, "  no learning-curve points yet (videogo train ar --curve-idm FILE)\n");
    plot_series_t *ps = xmalloc((size_t)(ns ? ns : 1) * sizeof *ps);
    for (int k = 0; k < ns; k++) ps[k] = (plot_series_t){s[k].name, s[k].x, s[k].y, lo[k], hi[k], s[k].n};
    plot_opts_t po = {.title = "learning curve: action-value (paper mode) against training core-hours",
                      .xlabel = "core-hours of training", .ylabel = "action-value %", .lines = true, .markers = true,
                      .y_fixed = true, .y_lo = 0, .y_hi = 100};
    int rc = plot_series(path, &po, ps, ns, err, errlen);
    for (int k = 0; k < ns; k++) free(s[k].x), free(s[k].y), free(lo[k]), free(hi[k]);
    free(s), free(lo), free(hi), free(ps);
    return rc;
}

int report_write(db_t *db, const report_opts_t *o, const char *out_dir, FILE *out, char *err, int errlen)
{
    if (mkdir(out_dir, 0755) && errno != EEXIST) {
        snprintf(err, (size_t)errlen, "cannot create %s: %s", out_dir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.txt", out_dir);
    FILE *sum = fopen(path, "w");
    if (!sum) {
        snprintf(err, (size_t)errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    char now[32];
    fprintf(sum, "videogo report, %s\n\ntraining runs:\n", db_now(now));
    int rc = 0;
    snprintf(path, sizeof path, "%s/training_loss.png", out_dir);
    rc |= training_plot(db, path, sum, err, errlen);
    fprintf(sum, "\nevaluations:\n");
    snprintf(path, sizeof path, "%s/evaluations.png", out_dir);
    if (!rc) rc |= evaluations_plot(db, path, sum, err, errlen);
    fprintf(sum, "\nlearning curves:\n");
    snprintf(path, sizeof path, "%s/learning_curve.png", out_dir);
    if (!rc) rc |= learning_plot(db, path, sum, err, errlen);

    sqlite3_stmt *st;
    fprintf(sum, "\nmatches:\n");
    if (!rc && sqlite3_prepare_v2(db->h,
                                  "SELECT m.id, m.black_cmd, m.white_cmd, m.games_total, COUNT(g.id), "
                                  "SUM(CASE WHEN g.winner = CASE WHEN g.game_index % 2 = 0 THEN 'B' ELSE 'W' END "
                                  "THEN 1.0 WHEN g.winner = '0' THEN 0.5 ELSE 0 END) FROM matches m LEFT JOIN games g "
                                  "ON g.match_id = m.id GROUP BY m.id ORDER BY m.id",
                                  -1, &st, NULL) == SQLITE_OK) {
        int nm = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            nm++;
            int played = sqlite3_column_int(st, 4);
            double sa = sqlite3_column_double(st, 5);
            fprintf(sum, "  match %lld: %d/%d games, A scores %.1f%%: A = %s, B = %s\n",
                    (long long)sqlite3_column_int64(st, 0), played, sqlite3_column_int(st, 3),
                    played ? 100 * sa / played : 0, sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
        }
        sqlite3_finalize(st);
        if (!nm) fprintf(sum, "  no matches yet\n");
    }
    fprintf(sum, "\nratings:\n");
    snprintf(path, sizeof path, "%s/ladder.png", out_dir);
    if (!rc) rc |= report_ratings(db, o, sum, path, err, errlen);
    fclose(sum);
    if (rc) return -1;

    /* Echo the summary. */
    snprintf(path, sizeof path, "%s/summary.txt", out_dir);
    sum = fopen(path, "r");
    if (sum) {
        char buf[4096];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, sum)) > 0) fwrite(buf, 1, k, out);
        fclose(sum);
    }
    fprintf(out, "\nwrote %s/{summary.txt,training_loss.png,evaluations.png,learning_curve.png,ladder.png}\n", out_dir);
    return 0;
}
