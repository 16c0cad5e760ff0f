/* render.c: the frame of DESIGN.md section 2 drawn with cairo (reference and cached
 * fast path), the frame -> board reader, PNG I/O. Conventions are in render.h. */
#include "render/render.h"

#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int render_geom(render_geom_t *g, int size, int px)
{
    if (size < BOARD_MIN || size > BOARD_MAX || px < RENDER_PX_MIN || px > RENDER_PX_MAX) return -1;
    g->size = size;
    g->px = px;
    g->pitch = 232 / (size - 1);
    g->origin = (RENDER_CANON_PX - g->pitch * (size - 1)) / 2;
    g->diameter = g->pitch - 2;
    g->scale = (double)px / RENDER_CANON_PX;
    return 0;
}

double render_geom_centre(const render_geom_t *g, int k)
{
    return (g->origin + g->pitch * k + 0.5) * g->scale;
}

/* Draws the frame on cr (a px x px surface): background, grid, then a stone of
 * colour stones[p] on every point that has one (stones may be NULL: empty board).
 * All coordinates are canonical; cairo_scale maps them to the frame. */
static void draw_frame(cairo_t *cr, const render_geom_t *g, const uint8_t *stones)
{
    int n = g->size;
    double lo = g->origin + 0.5, hi = g->origin + g->pitch * (n - 1) + 0.5;

    cairo_save(cr);
    cairo_scale(cr, g->scale, g->scale);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_rgb(cr, RENDER_BG_R / 255.0, RENDER_BG_G / 255.0, RENDER_BG_B / 255.0);
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);

    /* Grid: one path, one stroke (crossings are covered once, not twice). */
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    cairo_set_line_width(cr, 1.0);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
    for (int k = 0; k < n; k++) {
        double c = g->origin + g->pitch * k + 0.5;
        cairo_move_to(cr, c, lo);
        cairo_line_to(cr, c, hi);
        cairo_move_to(cr, lo, c);
        cairo_line_to(cr, hi, c);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_stroke(cr);

    /* Stones: one fill per stone, hard edges. */
    if (stones) {
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
        cairo_set_tolerance(cr, 0.001);
        double r = g->diameter / 2.0;
        for (int p = 0; p < n * n; p++) {
            if (stones[p] != STONE_BLACK && stones[p] != STONE_WHITE) continue;
            double cx = g->origin + g->pitch * (p % n) + 0.5;
            double cy = g->origin + g->pitch * (p / n) + 0.5;
            cairo_new_path(cr);
            cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
            double v = stones[p] == STONE_WHITE ? 1.0 : 0.0;
            cairo_set_source_rgb(cr, v, v, v);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
}

/* cairo RGB24 (one native uint32 0x00RRGGBB per pixel, padded rows) -> packed RGB. */
static void surface_to_rgb(cairo_surface_t *s, uint8_t *rgb, int w, int h)
{
    cairo_surface_flush(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * stride);
        uint8_t *out = rgb + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            uint32_t v = row[x];
            out[3 * x] = (uint8_t)(v >> 16);
            out[3 * x + 1] = (uint8_t)(v >> 8);
            out[3 * x + 2] = (uint8_t)v;
        }
    }
}

/* Draws stones (or the empty board) at g into rgb. 0 or -1 on cairo failure. */
static int draw_to_rgb(const render_geom_t *g, const uint8_t *stones, uint8_t *rgb)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, g->px, g->px);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return -1;
    }
    cairo_t *cr = cairo_create(s);
    draw_frame(cr, g, stones);
    int ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    if (ok) surface_to_rgb(s, rgb, g->px, g->px);
    cairo_surface_destroy(s);
    return ok ? 0 : -1;
}

int render_board(uint8_t *rgb, int px, const board_t *b)
{
    render_geom_t g;
    if (render_geom(&g, b->size, px) < 0) return -1;
    return draw_to_rgb(&g, b->stones, rgb);
}

/* ---- the cached fast path ---- */

typedef struct {
    int16_t y, x0, x1; /* pixels x0 <= x < x1 of row y */
} span_t;

struct render_ctx {
    render_geom_t g;
    uint8_t *empty;   /* px*px*3: the empty grid */
    int *first_span;  /* size*size + 1: spans of point p are [first_span[p], first_span[p+1]) */
    span_t *spans;
};

const render_geom_t *render_ctx_geom(const render_ctx_t *ctx) { return &ctx->g; }

void render_ctx_free(render_ctx_t *ctx)
{
    if (!ctx) return;
    free(ctx->empty);
    free(ctx->first_span);
    free(ctx->spans);
    free(ctx);
}

static int is_white(const uint8_t *px) { return px[0] == 255 && px[1] == 255 && px[2] == 255; }

render_ctx_t *render_ctx_new(int size, int px)
{
    render_geom_t g;
    if (render_geom(&g, size, px) < 0) return NULL;
    int npts = size * size;
    size_t fb = (size_t)render_frame_bytes(px);
    render_ctx_t *ctx = calloc(1, sizeof *ctx);
    uint8_t *full = malloc(fb);
    uint8_t *all_white = malloc((size_t)npts);
    if (!ctx || !full || !all_white) goto fail;
    ctx->g = g;
    ctx->empty = malloc(fb);
    ctx->first_span = malloc(sizeof(int) * (size_t)(npts + 1));
    if (!ctx->empty || !ctx->first_span) goto fail;
    memset(all_white, STONE_WHITE, (size_t)npts);
    if (draw_to_rgb(&g, NULL, ctx->empty) < 0 || draw_to_rgb(&g, all_white, full) < 0) goto fail;

    /* Spans of each stone: the white runs of the all-white frame among the pixels
     * whose centres lie in the stone's cell (within half a pitch of its centre on
     * both axes; the cells tile the frame, so no pixel is claimed twice). Nothing
     * else in a frame is white, and a stone (diameter p - 2) lies inside its cell. */
    size_t cap = 64, n_spans = 0;
    ctx->spans = malloc(cap * sizeof(span_t));
    if (!ctx->spans) goto fail;
    double half = g.pitch / 2.0 * g.scale;
    long white_in_spans = 0;
    for (int p = 0; p < npts; p++) {
        ctx->first_span[p] = (int)n_spans;
        double cx = render_geom_centre(&g, p % size), cy = render_geom_centre(&g, p / size);
        /* pixels i with cx - half <= i + 0.5 < cx + half */
        int y0 = (int)ceil(cy - half - 0.5), y1 = (int)ceil(cy + half - 0.5);
        int x0 = (int)ceil(cx - half - 0.5), x1 = (int)ceil(cx + half - 0.5);
        if (y0 < 0) y0 = 0;
        if (x0 < 0) x0 = 0;
        if (y1 > px) y1 = px;
        if (x1 > px) x1 = px;
        for (int y = y0; y < y1; y++) {
            const uint8_t *row = full + (size_t)y * px * 3;
            for (int x = x0; x < x1;) {
                if (!is_white(row + 3 * x)) {
                    x++;
                    continue;
                }
                int s = x;
                while (x < x1 && is_white(row + 3 * x)) x++;
                if (n_spans == cap) {
                    cap *= 2;
                    span_t *ns = realloc(ctx->spans, cap * sizeof(span_t));
                    if (!ns) goto fail;
                    ctx->spans = ns;
                }
                ctx->spans[n_spans++] = (span_t){(int16_t)y, (int16_t)s, (int16_t)x};
                white_in_spans += x - s;
            }
        }
    }
    ctx->first_span[npts] = (int)n_spans;

    /* Every white pixel must have been claimed by some stone's box. */
    long white_total = 0;
    for (size_t i = 0; i < fb; i += 3) white_total += is_white(full + i);
    if (white_total != white_in_spans) goto fail;

    free(full);
    free(all_white);
    return ctx;
fail:
    free(full);
    free(all_white);
    render_ctx_free(ctx);
    return NULL;
}

void render_ctx_stones(const render_ctx_t *ctx, const uint8_t *stones, uint8_t *rgb)
{
    int px = ctx->g.px, npts = ctx->g.size * ctx->g.size;
    memcpy(rgb, ctx->empty, (size_t)render_frame_bytes(px));
    for (int p = 0; p < npts; p++) {
        int v;
        if (stones[p] == STONE_BLACK) v = 0;
        else if (stones[p] == STONE_WHITE) v = 255;
        else continue;
        for (int i = ctx->first_span[p]; i < ctx->first_span[p + 1]; i++) {
            const span_t *s = &ctx->spans[i];
            memset(rgb + ((size_t)s->y * px + s->x0) * 3, v, (size_t)(s->x1 - s->x0) * 3);
        }
    }
}

int render_ctx_frame(const render_ctx_t *ctx, const board_t *b, uint8_t *rgb)
{
    if (b->size != ctx->g.size) return -1;
    render_ctx_stones(ctx, b->stones, rgb);
    return 0;
}

/* ---- reader ---- */

static double overlap(double a0, double a1, double b0, double b1)
{
    double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

/* Fraction of pixel (x, y) covered by the grid lines through (cx, cy): the union of
 * the vertical and the horizontal line (width w, square caps: extent [lo, hi]). */
static double grid_coverage(int x, int y, double cx, double cy, double w, double lo, double hi)
{
    double v = overlap(x, x + 1, cx - w / 2, cx + w / 2) * overlap(y, y + 1, lo, hi);
    double h = overlap(y, y + 1, cy - w / 2, cy + w / 2) * overlap(x, x + 1, lo, hi);
    double both = overlap(x, x + 1, cx - w / 2, cx + w / 2) * overlap(y, y + 1, cy - w / 2, cy + w / 2);
    return v + h - both;
}

int render_board_read(const uint8_t *rgb, int px, int size, board_t *out)
{
    render_geom_t g;
    if (render_geom(&g, size, px) < 0 || board_init(out, size) < 0) return -1;
    static const stone_t ref_stone[3] = {STONE_EMPTY, STONE_BLACK, STONE_WHITE};
    double r = g.diameter / 2.0 * g.scale, rs = 0.75 * r, w = g.scale;
    double lo = render_geom_centre(&g, 0) - w / 2, hi = render_geom_centre(&g, size - 1) + w / 2;
    int doubtful = 0;
    for (int p = 0; p < size * size; p++) {
        double cx = render_geom_centre(&g, p % size), cy = render_geom_centre(&g, p / size);
        double sum[3] = {0, 0, 0}, cov = 0;
        int count = 0;
        /* pass 0: pixels off the grid lines within 3/4 radius; pass 1: any pixel
         * within the radius; pass 2: the pixel that contains the centre. */
        for (int pass = 0; pass < 3 && count == 0; pass++) {
            double lim = pass == 0 ? rs : r;
            int y0 = (int)floor(cy - lim), y1 = (int)ceil(cy + lim);
            int x0 = (int)floor(cx - lim), x1 = (int)ceil(cx + lim);
            if (pass == 2) {
                x0 = (int)floor(cx);
                y0 = (int)floor(cy);
                x1 = x0 + 1;
                y1 = y0 + 1;
            }
            for (int y = y0 < 0 ? 0 : y0; y < y1 && y < px; y++) {
                for (int x = x0 < 0 ? 0 : x0; x < x1 && x < px; x++) {
                    if (pass < 2) {
                        double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                        if (dx * dx + dy * dy >= lim * lim) continue;
                    }
                    double c = grid_coverage(x, y, cx, cy, w, lo, hi);
                    if (pass == 0 && c > 0) continue;
                    const uint8_t *q = rgb + ((size_t)y * px + x) * 3;
                    sum[0] += q[0];
                    sum[1] += q[1];
                    sum[2] += q[2];
                    cov += c;
                    count++;
                }
            }
        }
        if (count == 0) { /* centre outside the frame: cannot happen for a valid geom */
            doubtful++;
            continue;
        }
        /* References: black, white, and an empty point = background darkened by the
         * grid lines' mean coverage of the sampled pixels (0 in pass 0). */
        double e = 1 - cov / count;
        double ref[3][3] = {{RENDER_BG_R * e, RENDER_BG_G * e, RENDER_BG_B * e}, {0, 0, 0}, {255, 255, 255}};
        int best = 0;
        double best_d = 1e30;
        for (int k = 0; k < 3; k++) {
            double d = 0;
            for (int c = 0; c < 3; c++) {
                double t = sum[c] / count - ref[k][c];
                d += t * t;
            }
            if (d < best_d) {
                best_d = d;
                best = k;
            }
        }
        if (sqrt(best_d) > RENDER_READ_DOUBT) doubtful++;
        if (ref_stone[best] != STONE_EMPTY) board_set(out, p, ref_stone[best]);
    }
    return doubtful;
}

/* ---- PNG ---- */

int render_write_png(const char *path, const uint8_t *rgb, int w, int h)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return -1;
    }
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * stride);
        const uint8_t *in = rgb + (size_t)y * w * 3;
        for (int x = 0; x < w; x++)
            row[x] = 0xff000000u | (uint32_t)in[3 * x] << 16 | (uint32_t)in[3 * x + 1] << 8 | in[3 * x + 2];
    }
    cairo_surface_mark_dirty(s);
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    return st == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

uint8_t *render_read_png(const char *path, int *w, int *h)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_format_t f = cairo_image_surface_get_format(s);
    if (f != CAIRO_FORMAT_RGB24 && f != CAIRO_FORMAT_ARGB32) {
        cairo_surface_destroy(s);
        return NULL;
    }
    *w = cairo_image_surface_get_width(s);
    *h = cairo_image_surface_get_height(s);
    uint8_t *rgb = malloc((size_t)*w * *h * 3 + 1);
    if (rgb) surface_to_rgb(s, rgb, *w, *h); /* opaque PNGs: premultiplied == straight */
    cairo_surface_destroy(s);
    return rgb;
}

float *render_disc_pooling(int size, int px, int channels, int *Q)
{
    render_geom_t g;
    if (render_geom(&g, size, px)) return NULL;
    const int S = px, C = channels, n = size;
    const size_t F = (size_t)S * S * C;
    *Q = n * n * C;
    float *R = calloc((size_t)*Q * F, sizeof(float));
    if (!R) return NULL;
    double rs = 0.75 * g.diameter / 2.0 * g.scale;
    for (int p = 0; p < n * n; p++) {
        double cx = render_geom_centre(&g, p % n), cy = render_geom_centre(&g, p / n);
        int cnt = 0;
        for (int pass = 0; pass < 2 && cnt == 0; pass++)
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                    int in = pass == 0 ? dx * dx + dy * dy < rs * rs : (x == (int)floor(cx) && y == (int)floor(cy));
                    if (!in) continue;
                    for (int c = 0; c < C; c++) R[(size_t)(p * C + c) * F + ((size_t)y * S + x) * C + c] = 1.0f;
                    cnt++;
                }
        for (int c = 0; c < C; c++)
            for (size_t k = 0; k < F; k++) R[(size_t)(p * C + c) * F + k] /= (float)cnt;
    }
    return R;
}
