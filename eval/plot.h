/* plot.h: the PNG charts of `videogo ratings` and `videogo report`, drawn with cairo:
 * line/point charts with optional error bars and a legend, and a rating ladder.
 * Axes get "nice" ticks (1, 2, 5 x 10^k). Nothing here exits; the caller owns every
 * array it passes in. */
#ifndef VIDEOGO_EVAL_PLOT_H
#define VIDEOGO_EVAL_PLOT_H

#include <stdbool.h>

typedef struct {
    const char *name;            /* legend entry */
    const double *x, *y;         /* n points */
    const double *ylo, *yhi;     /* error bar ends, or NULL */
    int n;
} plot_series_t;

typedef struct {
    const char *title, *xlabel, *ylabel;
    bool lines;                  /* join the points of a series */
    bool markers;                /* draw a dot at each point */
    bool log_y;                  /* logarithmic y axis (values must be > 0) */
    bool x_integer;              /* x ticks at whole numbers only (ids, counts) */
    bool y_fixed;                /* y axis spans [y_lo, y_hi] instead of the data's range */
    double y_lo, y_hi;
    int width, height;           /* pixels; 0 = 960 x 600 */
} plot_opts_t;

/* Writes a chart of the series to a PNG file. A chart with no points still gets
 * drawn, with "no data" in it. Returns 0, or -1 with a message. */
int plot_series(const char *path, const plot_opts_t *o, const plot_series_t *s, int ns, char *err, int errlen);

/* Rating ladder: one row per player, best at the top, a dot at elo[i] with a bar from
 * lo[i] to hi[i] and the label beside it; anchored players are drawn as squares.
 * Returns 0, or -1 with a message. */
int plot_ladder(const char *path, const char *title, const char *const *labels, const double *elo,
                const double *lo, const double *hi, const bool *anchored, int n, char *err, int errlen);

/* Releases the global font caches of cairo and fontconfig (cairo_debug_reset_static_data
 * and FcFini). Call once at the end of a program that drew charts, when no cairo object
 * is alive and no other thread uses cairo or fontconfig. Optional; it keeps leak
 * checkers (ASan's LeakSanitizer) quiet about memory the libraries keep until exit. */
void plot_release_fonts(void);

#endif
