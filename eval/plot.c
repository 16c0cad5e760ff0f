/* plot.c: cairo PNG charts (plot.h): axes with nice ticks, series with error bars and
 * a legend, and the rating ladder. */
#include "eval/plot.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const double palette[][3] = {
    {0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17}, {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74},
    {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13}, {0.09, 0.75, 0.81},
};
#define N_COLOURS ((int)(sizeof palette / sizeof palette[0]))

typedef struct {
    double lo, hi, step;
} axis_t;

/* Range [lo, hi] widened to multiples of a 1/2/5 x 10^k step giving about `ticks` ticks. */
static axis_t nice_axis(double lo, double hi, int ticks)
{
    if (!isfinite(lo) || !isfinite(hi)) lo = 0, hi = 1;
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo < 1e-12) {
        double pad = fabs(lo) > 1e-12 ? fabs(lo) * 0.1 : 1;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    axis_t a = {floor(lo / step) * step, ceil(hi / step) * step, step};
    return a;
}

static int finish_png(cairo_surface_t *surf, const char *path, char *err, int errlen)
{
    cairo_status_t st = cairo_surface_write_to_png(surf, path);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, (size_t)errlen, "cannot write %s: %s", path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double align_x, double align_y)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.width * align_x - e.x_bearing, y - e.height * align_y - e.y_bearing);
    cairo_show_text(cr, s);
}

static void fmt_tick(double v, double step, char *buf, int len)
{
    if (fabs(v) < step * 1e-6) v = 0;
    if (fabs(v) >= 1e5 || (fabs(v) < 1e-3 && v != 0)) snprintf(buf, (size_t)len, "%.3g", v);
    else if (step >= 1) snprintf(buf, (size_t)len, "%.0f", v);
    else {
        int dec = (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, (size_t)len, "%.*f", dec > 6 ? 6 : dec, v);
    }
}

static cairo_t *start(cairo_surface_t **surf, int w, int h)
{
    *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(*surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return cr;
}

int plot_series(const char *path, const plot_opts_t *o, const plot_series_t *s, int ns, char *err, int errlen)
{
    int w = o->width > 0 ? o->width : 960, h = o->height > 0 ? o->height : 600;
    double ml = 90, mr = 30, mt = 50, mb = 60;
    double x0 = ml, x1 = w - mr, y0 = h - mb, y1 = mt; /* plot box: x right, y up */

    /* Data ranges (error bars included). */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int npts = 0;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            double ys[3] = {s[k].y[i], s[k].ylo ? s[k].ylo[i] : s[k].y[i], s[k].yhi ? s[k].yhi[i] : s[k].y[i]};
            if (!isfinite(s[k].x[i])) continue;
            for (int j = 0; j < 3; j++) {
                double y = ys[j];
                if (!isfinite(y) || (o->log_y && y <= 0)) continue;
                y = o->log_y ? log10(y) : y;
                ymin = fmin(ymin, y);
                ymax = fmax(ymax, y);
            }
            xmin = fmin(xmin, s[k].x[i]);
            xmax = fmax(xmax, s[k].x[i]);
            npts++;
        }
    if (npts && !o->lines) { /* keep markers off the frame */
        double pad = xmax > xmin ? 0.04 * (xmax - xmin) : 0.5;
        xmin -= pad;
        xmax += pad;
    }
    axis_t ax = nice_axis(npts ? xmin : 0, npts ? xmax : 1, 8);
    if (o->x_integer && ax.step < 1) {
        ax.step = 1;
        ax.lo = floor(ax.lo);
        ax.hi = ceil(ax.hi);
    }
    if (o->y_fixed) ymin = o->y_lo, ymax = o->y_hi;
    axis_t ay = nice_axis(npts || o->y_fixed ? ymin : 0, npts || o->y_fixed ? ymax : 1, 6);
    if (o->log_y) { /* whole decades */
        ay.lo = floor(ay.lo);
        ay.hi = ceil(ay.hi);
        if (ay.hi <= ay.lo) ay.hi = ay.lo + 1;
        ay.step = 1;
    }
#define PX(v) (x0 + ((v) - ax.lo) / (ax.hi - ax.lo) * (x1 - x0))
#define PY(v) (y0 - ((o->log_y ? log10(v) : (v)) - ay.lo) / (ay.hi - ay.lo) * (y0 - y1))

    cairo_surface_t *surf;
    cairo_t *cr = start(&surf, w, h);
    /* Grid, ticks and labels. */
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    char buf[64];
    for (double v = ax.lo; v <= ax.hi + ax.step * 1e-6; v += ax.step) {
        double px = PX(v);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, px, y0);
        cairo_line_to(cr, px, y1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        fmt_tick(v, ax.step, buf, sizeof buf);
        text_at(cr, px, y0 + 8, buf, 0.5, 0);
    }
    for (double v = ay.lo; v <= ay.hi + ay.step * 1e-6; v += ay.step) {
        double py = y0 - (v - ay.lo) / (ay.hi - ay.lo) * (y0 - y1);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, x0, py);
        cairo_line_to(cr, x1, py);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (o->log_y) snprintf(buf, sizeof buf, "%g", pow(10, v));
        else fmt_tick(v, ay.step, buf, sizeof buf);
        text_at(cr, x0 - 8, py, buf, 1, 0.5);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 16);
    if (o->title) text_at(cr, w / 2.0, 18, o->title, 0.5, 0);
    cairo_set_font_size(cr, 13);
    if (o->xlabel) text_at(cr, (x0 + x1) / 2, h - 22, o->xlabel, 0.5, 0);
    if (o->ylabel) {
        cairo_save(cr);
        cairo_translate(cr, 20, (y0 + y1) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, o->ylabel, 0.5, 0.5);
        cairo_restore(cr);
    }
    if (!npts) {
        cairo_set_font_size(cr, 20);
        cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
        text_at(cr, (x0 + x1) / 2, (y0 + y1) / 2, "no data", 0.5, 0.5);
    }

    /* Series. */
    cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
    cairo_clip(cr);
    for (int k = 0; k < ns; k++) {
        const double *c = palette[k % N_COLOURS];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, 1.5);
        bool pen = false;
        for (int i = 0; o->lines && i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y) || (o->log_y && y <= 0)) {
                pen = false;
                continue;
            }
            if (pen) cairo_line_to(cr, PX(x), PY(y));
            else cairo_move_to(cr, PX(x), PY(y));
            pen = true;
        }
        cairo_stroke(cr);
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y) || (o->log_y && y <= 0)) continue;
            if (s[k].ylo && s[k].yhi && isfinite(s[k].ylo[i]) && isfinite(s[k].yhi[i]) &&
                (!o->log_y || s[k].ylo[i] > 0)) {
                cairo_set_line_width(cr, 1);
                cairo_move_to(cr, PX(x), PY(s[k].ylo[i]));
                cairo_line_to(cr, PX(x), PY(s[k].yhi[i]));
                cairo_move_to(cr, PX(x) - 4, PY(s[k].ylo[i]));
                cairo_line_to(cr, PX(x) + 4, PY(s[k].ylo[i]));
                cairo_move_to(cr, PX(x) - 4, PY(s[k].yhi[i]));
                cairo_line_to(cr, PX(x) + 4, PY(s[k].yhi[i]));
                cairo_stroke(cr);
            }
            if (o->markers) {
                cairo_arc(cr, PX(x), PY(y), 3.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
        }
    }
    cairo_reset_clip(cr);
#undef PX
#undef PY

    /* Legend, top right inside the box. */
    cairo_set_font_size(cr, 12);
    double lw = 0;
    for (int k = 0; k < ns; k++) {
        cairo_text_extents_t e;
        cairo_text_extents(cr, s[k].name ? s[k].name : "", &e);
        lw = fmax(lw, e.x_advance);
    }
    if (ns > 0 && lw > 0) {
        double lx = x1 - lw - 40, ly = y1 + 10, rowh = 18;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_rectangle(cr, lx - 8, ly - 4, lw + 44, rowh * ns + 8);
        cairo_fill(cr);
        for (int k = 0; k < ns; k++) {
            const double *c = palette[k % N_COLOURS];
            cairo_set_source_rgb(cr, c[0], c[1], c[2]);
            cairo_rectangle(cr, lx, ly + rowh * k + 4, 18, 8);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            text_at(cr, lx + 26, ly + rowh * k + 8, s[k].name ? s[k].name : "", 0, 0.5);
        }
    }
    cairo_destroy(cr);
    return finish_png(surf, path, err, errlen);
}

int plot_ladder(const char *path, const char *title, const char *const *labels, const double *elo,
                const double *lo, const double *hi, const bool *anchored, int n, char *err, int errlen)
{
    int rowh = 30, w = 1100, h = 110 + rowh * (n > 0 ? n : 1);
    double label_w = 460, x0 = label_w + 20, x1 = w - 40, top = 60;
    /* Order best first. */
    int order[1024];
    int m = n < 1024 ? n : 1024;
    for (int i = 0; i < m; i++) order[i] = i;
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && elo[order[j]] > elo[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double vmin = INFINITY, vmax = -INFINITY;
    for (int i = 0; i < m; i++) {
        vmin = fmin(vmin, fmin(lo[i], elo[i]));
        vmax = fmax(vmax, fmax(hi[i], elo[i]));
    }
    axis_t ax = nice_axis(m ? vmin : 1500, m ? vmax : 2100, 8);
#define PX(v) (x0 + ((v) - ax.lo) / (ax.hi - ax.lo) * (x1 - x0))

    cairo_surface_t *surf;
    cairo_t *cr = start(&surf, w, h);
    double bottom = top + rowh * (m > 0 ? m : 1);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    char buf[64];
    for (double v = ax.lo; v <= ax.hi + ax.step * 1e-6; v += ax.step) {
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, PX(v), top);
        cairo_line_to(cr, PX(v), bottom);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        fmt_tick(v, ax.step, buf, sizeof buf);
        text_at(cr, PX(v), bottom + 8, buf, 0.5, 0);
    }
    cairo_set_font_size(cr, 16);
    text_at(cr, w / 2.0, 18, title ? title : "ratings", 0.5, 0);
    cairo_set_font_size(cr, 13);
    text_at(cr, (x0 + x1) / 2, bottom + 34, "Elo (bars: 95% interval)", 0.5, 0);
    if (!m) {
        cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
        text_at(cr, w / 2.0, top + rowh / 2.0, "no rated games yet", 0.5, 0.5);
    }
    for (int r = 0; r < m; r++) {
        int i = order[r];
        double y = top + rowh * r + rowh / 2.0;
        if (r % 2) {
            cairo_set_source_rgb(cr, 0.96, 0.96, 0.96);
            cairo_rectangle(cr, 0, y - rowh / 2.0, w, rowh);
            cairo_fill(cr);
        }
        char lab[96];
        const char *l = labels[i] ? labels[i] : "?";
        if (strlen(l) > 60) snprintf(lab, sizeof lab, "%.57s...", l);
        else snprintf(lab, sizeof lab, "%s", l);
        cairo_set_font_size(cr, 12);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, 10, y, lab, 0, 0.5);
        snprintf(buf, sizeof buf, "%.0f", elo[i]);
        text_at(cr, label_w + 10, y, buf, 1, 0.5);
        const double *c = palette[0];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, 2);
        cairo_move_to(cr, PX(lo[i]), y);
        cairo_line_to(cr, PX(hi[i]), y);
        cairo_move_to(cr, PX(lo[i]), y - 5);
        cairo_line_to(cr, PX(lo[i]), y + 5);
        cairo_move_to(cr, PX(hi[i]), y - 5);
        cairo_line_to(cr, PX(hi[i]), y + 5);
        cairo_stroke(cr);
        if (anchored && anchored[i]) {
            cairo_set_source_rgb(cr, 0.84, 0.15, 0.16);
            cairo_rectangle(cr, PX(elo[i]) - 5, y - 5, 10, 10);
        } else {
            cairo_arc(cr, PX(elo[i]), y, 5, 0, 2 * M_PI);
        }
        cairo_fill(cr);
    }
#undef PX
    cairo_destroy(cr);
    return finish_png(surf, path, err, errlen);
}

void plot_release_fonts(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
