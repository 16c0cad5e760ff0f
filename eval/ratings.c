/* ratings.c: Bradley-Terry maximum likelihood with a virtual-draw prior (ratings.h):
 * Newton's method with a dense solve, error bars from the inverse Hessian, and the
 * database loader with anchor matching. Work is in natural units x = r * ln(10) / 400. */
#include "eval/ratings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"

#define ELO_PER_NAT (400.0 / M_LN10)
#define MAX_STEP 3.0      /* nats (~520 Elo) per Newton step at most */
#define MAX_ITER 500
#define DIVERGED 20.0    /* nats (~3500 Elo) from the anchor: no finite maximum */

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* Solves A x = b for an m x m matrix (row-major, destroyed) by Gaussian elimination
 * with partial pivoting; b is overwritten by x. Returns -1 if singular. */
static int solve(double *a, double *b, int m, int nrhs)
{
    for (int c = 0; c < m; c++) {
        int piv = c;
        for (int r = c + 1; r < m; r++)
            if (fabs(a[r * m + c]) > fabs(a[piv * m + c])) piv = r;
        if (fabs(a[piv * m + c]) < 1e-300) return -1;
        if (piv != c) {
            for (int k = 0; k < m; k++) {
                double t = a[c * m + k];
                a[c * m + k] = a[piv * m + k];
                a[piv * m + k] = t;
            }
            for (int k = 0; k < nrhs; k++) {
                double t = b[c * nrhs + k];
                b[c * nrhs + k] = b[piv * nrhs + k];
                b[piv * nrhs + k] = t;
            }
        }
        for (int r = c + 1; r < m; r++) {
            double f = a[r * m + c] / a[c * m + c];
            if (f == 0) continue;
            for (int k = c; k < m; k++) a[r * m + k] -= f * a[c * m + k];
            for (int k = 0; k < nrhs; k++) b[r * nrhs + k] -= f * b[c * nrhs + k];
        }
    }
    for (int c = m - 1; c >= 0; c--)
        for (int k = 0; k < nrhs; k++) {
            double s = b[c * nrhs + k];
            for (int j = c + 1; j < m; j++) s -= a[c * m + j] * b[j * nrhs + k];
            b[c * nrhs + k] = s / a[c * m + c];
        }
    return 0;
}

/* Gradient gr[m] and negative Hessian h[m*m] of the log-likelihood (with the prior) at
 * x, over the free players (idx[i] >= 0 is player i's row). */
static void build_system(int n, int m, const int *idx, const double *pts, const double *cnt, double prior,
                         double xa, const double *x, double *gr, double *h)
{
    memset(h, 0, (size_t)m * (size_t)m * sizeof *h);
    memset(gr, 0, (size_t)m * sizeof *gr);
    for (int i = 0; i < n; i++) {
        int fi = idx[i];
        if (fi < 0) continue;
        for (int j = 0; j < n; j++) {
            double c = cnt[i * n + j];
            if (c == 0) continue;
            double q = sigmoid(x[i] - x[j]), w = c * q * (1 - q);
            gr[fi] += pts[i * n + j] - c * q;
            h[fi * m + fi] += w;
            if (idx[j] >= 0) h[fi * m + idx[j]] -= w;
        }
        if (prior > 0) {
            double q = sigmoid(x[i] - xa);
            gr[fi] += prior / 2 - prior * q;
            h[fi * m + fi] += prior * q * (1 - q);
        }
    }
}

int ratings_fit(rating_player_t *p, int n, const rating_game_t *g, int ng, const rating_opts_t *o, char *err,
                int errlen)
{
    if (n <= 0) return 0;
    double prior = o->prior_games > 0 ? o->prior_games : 0, xa = o->anchor_elo / ELO_PER_NAT;
    /* Pair totals: pts[i*n+j] = points i scored against j, cnt = games between them. */
    double *pts = xcalloc((size_t)n * (size_t)n, sizeof *pts), *cnt = xcalloc((size_t)n * (size_t)n, sizeof *cnt);
    for (int i = 0; i < n; i++) p[i].games = p[i].wins = p[i].draws = p[i].losses = 0;
    for (int k = 0; k < ng; k++) {
        int a = g[k].a, b = g[k].b;
        if (a < 0 || a >= n || b < 0 || b >= n || a == b) continue;
        pts[a * n + b] += g[k].score_a;
        pts[b * n + a] += 1 - g[k].score_a;
        cnt[a * n + b] += 1;
        cnt[b * n + a] += 1;
        p[a].games++;
        p[b].games++;
        if (g[k].score_a == 0.5) {
            p[a].draws++;
            p[b].draws++;
        } else if (g[k].score_a > 0.5) {
            p[a].wins++;
            p[b].losses++;
        } else {
            p[a].losses++;
            p[b].wins++;
        }
    }
    /* Free players and their positions in the Newton system. */
    int *idx = xmalloc((size_t)n * sizeof *idx), m = 0;
    double *x = xmalloc((size_t)n * sizeof *x);
    bool any_anchor = false;
    for (int i = 0; i < n; i++) {
        any_anchor |= p[i].anchored;
        x[i] = p[i].anchored ? p[i].elo / ELO_PER_NAT : xa;
        idx[i] = p[i].anchored ? -1 : m++;
    }
    int rc = -1;
    double *h = xmalloc((size_t)(m ? m : 1) * (size_t)(m ? m : 1) * sizeof *h);
    double *gr = xmalloc((size_t)(m ? m : 1) * sizeof *gr);
    if (!any_anchor && prior == 0) {
        snprintf(err, (size_t)errlen, "ratings are not identifiable: no anchored player and no prior");
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (!p[i].anchored && p[i].games == 0 && prior == 0) {
            snprintf(err, (size_t)errlen, "player %s has no games and there is no prior", p[i].label);
            goto out;
        }

    bool converged = m == 0;
    for (int it = 0; it < MAX_ITER && !converged; it++) {
        for (int i = 0; i < n; i++)
            if (idx[i] >= 0 && fabs(x[i] - xa) > DIVERGED) {
                snprintf(err, (size_t)errlen,
                         "ratings diverge (%s won or lost every game?); use a prior (--prior 2)", p[i].label);
                goto out;
            }
        build_system(n, m, idx, pts, cnt, prior, xa, x, gr, h);
        if (solve(h, gr, m, 1)) {
            snprintf(err, (size_t)errlen, "ratings: singular system (players not connected to an anchor?)");
            goto out;
        }
        double biggest = 0;
        for (int k = 0; k < m; k++) biggest = fmax(biggest, fabs(gr[k]));
        double scale = biggest > MAX_STEP ? MAX_STEP / biggest : 1;
        for (int i = 0; i < n; i++)
            if (idx[i] >= 0) x[i] += scale * gr[idx[i]];
        converged = biggest < 1e-12;
    }
    if (!converged) {
        snprintf(err, (size_t)errlen, "ratings did not converge in %d iterations", MAX_ITER);
        goto out;
    }
    /* Covariance = inverse of the negative Hessian. */
    double *cov = xcalloc((size_t)(m ? m : 1) * (size_t)(m ? m : 1), sizeof *cov);
    build_system(n, m, idx, pts, cnt, prior, xa, x, gr, h);
    for (int k = 0; k < m; k++) cov[k * m + k] = 1;
    if (m && solve(h, cov, m, m)) {
        free(cov);
        snprintf(err, (size_t)errlen, "ratings: singular Hessian at the optimum");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        p[i].elo = x[i] * ELO_PER_NAT;
        p[i].sd = idx[i] < 0 ? 0 : sqrt(fmax(0, cov[idx[i] * m + idx[i]])) * ELO_PER_NAT;
    }
    free(cov);
    rc = 0;
out:
    free(pts);
    free(cnt);
    free(idx);
    free(x);
    free(h);
    free(gr);
    return rc;
}

/* Splits s into at most max words (copied into buf); returns the count. */
static int words(const char *s, char *buf, int buflen, char **w, int max)
{
    snprintf(buf, (size_t)buflen, "%s", s);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t\n", &save); t && n < max; t = strtok_r(NULL, " \t\n", &save)) w[n++] = t;
    return n;
}

static const char *basename_of(const char *s)
{
    const char *b = strrchr(s, '/');
    return b ? b + 1 : s;
}

bool ratings_anchor_matches(const char *pattern, const char *label, const char *command)
{
    if (label && !strcmp(pattern, label)) return true;
    if (!command) return false;
    char pb[512], cb[1024];
    char *pw[64], *cw[128];
    int np = words(pattern, pb, sizeof pb, pw, 64), nc = words(command, cb, sizeof cb, cw, 128);
    if (np == 0 || nc == 0 || strcmp(basename_of(pw[0]), basename_of(cw[0]))) return false;
    int j = 1;
    for (int i = 1; i < np; i++) {
        bool value_of_prev = pw[i][0] != '-' && pw[i - 1][0] == '-';
        if (value_of_prev) {
            /* Must directly follow the option matched just before. */
            if (j >= nc || strcmp(cw[j], pw[i])) return false;
            j++;
            continue;
        }
        while (j < nc && strcmp(cw[j], pw[i])) j++;
        if (j >= nc) return false;
        j++;
    }
    return true;
}

int ratings_from_db(db_t *db, const char *anchor, const rating_opts_t *o, rating_player_t **players,
                    int *n_players, bool *anchor_found, char *err, int errlen)
{
    *players = NULL;
    *n_players = 0;
    *anchor_found = false;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT id, label, command FROM engines WHERE id IN (SELECT black_id FROM games UNION "
                           "SELECT white_id FROM games) ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlfail;
    int n = 0, cap = 0;
    rating_player_t *p = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            p = xrealloc(p, (size_t)cap * sizeof *p);
        }
        memset(&p[n], 0, sizeof p[n]);
        p[n].id = sqlite3_column_int64(st, 0);
        snprintf(p[n].label, sizeof p[n].label, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(p[n].command, sizeof p[n].command, "%s", (const char *)sqlite3_column_text(st, 2));
        if (anchor && ratings_anchor_matches(anchor, p[n].label, p[n].command)) {
            p[n].anchored = true;
            p[n].elo = o->anchor_elo;
            *anchor_found = true;
        }
        n++;
    }
    sqlite3_finalize(st);
    if (n == 0) return 0;

    if (sqlite3_prepare_v2(db->h, "SELECT black_id, white_id, winner FROM games", -1, &st, NULL) != SQLITE_OK) {
        free(p);
        goto sqlfail;
    }
    int ng = 0, gcap = 0;
    rating_game_t *g = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t b = sqlite3_column_int64(st, 0), w = sqlite3_column_int64(st, 1);
        const char *win = (const char *)sqlite3_column_text(st, 2);
        int ib = -1, iw = -1;
        for (int i = 0; i < n; i++) {
            if (p[i].id == b) ib = i;
            if (p[i].id == w) iw = i;
        }
        if (ib < 0 || iw < 0 || ib == iw) continue; /* self-play tells nothing about ratings */
        if (ng == gcap) {
            gcap = gcap ? 2 * gcap : 256;
            g = xrealloc(g, (size_t)gcap * sizeof *g);
        }
        g[ng++] = (rating_game_t){ib, iw, win && win[0] == 'B' ? 1.0 : win && win[0] == 'W' ? 0.0 : 0.5};
    }
    sqlite3_finalize(st);
    int rc = ratings_fit(p, n, g, ng, o, err, errlen);
    free(g);
    if (rc) {
        free(p);
        return -1;
    }
    *players = p;
    *n_players = n;
    return 0;
sqlfail:
    snprintf(err, (size_t)errlen, "database: %s", sqlite3_errmsg(db->h));
    return -1;
}
