/* test_render.c: the frame of DESIGN.md section 2 (geometry, colours, orientation),
 * the fast path against the cairo reference, the reader on every frame we make (all
 * board sizes, 256/128/64 px, 8 symmetries, real games), golden frames, PNG I/O and
 * the `videogo render` command (passes, captures, --move, --sheet).
 *
 * Golden frames live in tests/data/render/golden-*.png; regenerate them (after a
 * deliberate change of the frame, and look at them!) with
 *   VIDEOGO_WRITE_GOLDEN=1 meson test -C build render */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/game.h"
#include "engine/sgf.h"
#include "engine/util.h"
#include "render/render.h"
#include "render/sym.h"

static const int PXS[3] = {256, 128, 64};

static const char *env_or_fail(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && *v, "environment variable %s not set (run through meson test)", name);
    return v;
}

static const uint8_t *pix(const uint8_t *rgb, int px, int x, int y) { return rgb + ((size_t)y * px + x) * 3; }

static int is_rgb(const uint8_t *q, int r, int g, int b) { return q[0] == r && q[1] == g && q[2] == b; }

static void random_board(board_t *b, int size, rng_t *rng, double fill)
{
    board_init(b, size);
    for (int p = 0; p < size * size; p++) {
        double u = rng_uniform(rng);
        if (u < fill / 2) board_set(b, p, STONE_BLACK);
        else if (u < fill) board_set(b, p, STONE_WHITE);
    }
}

static void play_vertices(board_t *b, const char *const *v, int n)
{
    stone_t c = STONE_BLACK;
    for (int i = 0; i < n; i++, c = stone_other(c)) {
        int p;
        ck_assert_int_eq(vertex_parse(v[i], b->size, &p), 0);
        ck_assert_int_eq(board_play(b, c, p, NULL, NULL), MOVE_OK);
    }
}

/* ---- geometry and the pixels of the spec ---- */

START_TEST(test_geometry)
{
    render_geom_t g;
    ck_assert_int_eq(render_geom(&g, 9, 256), 0);
    ck_assert_int_eq(g.origin, 12);
    ck_assert_int_eq(g.pitch, 29);
    ck_assert_int_eq(g.diameter, 27);
    ck_assert(fabs(render_geom_centre(&g, 0) - 12.5) < 1e-12);
    ck_assert(fabs(render_geom_centre(&g, 8) - 244.5) < 1e-12);
    ck_assert_int_eq(render_geom(&g, 19, 256), 0);
    ck_assert_int_eq(g.pitch, 12);
    ck_assert_int_eq(g.origin, 20);
    ck_assert_int_eq(render_geom(&g, 13, 64), 0);
    ck_assert_int_eq(g.pitch, 19);
    ck_assert_int_eq(g.origin, 14);
    ck_assert(fabs(g.scale - 0.25) < 1e-12);
    ck_assert_int_eq(render_geom(&g, 1, 256), -1);
    ck_assert_int_eq(render_geom(&g, 26, 256), -1);
    ck_assert_int_eq(render_geom(&g, 9, 4), -1);
}
END_TEST

START_TEST(test_empty_frame_pixels)
{
    /* 9x9 at 256 px: every pixel is pure orange or pure black; black exactly on the 18
     * lines from pixel 12 to 244 of columns/rows 12 + 29k. */
    int px = 256;
    board_t b;
    board_init(&b, 9);
    uint8_t *rgb = xmalloc((size_t)render_frame_bytes(px));
    ck_assert_int_eq(render_board(rgb, px, &b), 0);
    long black = 0;
    for (int y = 0; y < px; y++) {
        for (int x = 0; x < px; x++) {
            int on_x = x >= 12 && x <= 244 && (x - 12) % 29 == 0;
            int on_y = y >= 12 && y <= 244 && (y - 12) % 29 == 0;
            int inside = x >= 12 && x <= 244 && y >= 12 && y <= 244;
            int line = inside && (on_x || on_y);
            const uint8_t *q = pix(rgb, px, x, y);
            if (line) {
                ck_assert_msg(is_rgb(q, 0, 0, 0), "(%d,%d) should be black grid, is %d,%d,%d", x, y, q[0], q[1], q[2]);
                black++;
            } else {
                ck_assert_msg(is_rgb(q, 255, 165, 0), "(%d,%d) should be background, is %d,%d,%d", x, y, q[0], q[1],
                              q[2]);
            }
        }
    }
    ck_assert_int_eq(black, 18 * 233 - 81);
    free(rgb);
}
END_TEST

START_TEST(test_scaled_lines)
{
    /* cairo_scale(S/256) of the same drawing: at 64 px a line is 1/4 px wide, so it
     * darkens exactly one pixel column (3 + 7.25k rounded down) and nothing else. */
    board_t b;
    board_init(&b, 9);
    for (int k = 1; k < 3; k++) {
        int px = PXS[k];
        render_geom_t g;
        render_geom(&g, 9, px);
        uint8_t *rgb = xmalloc((size_t)render_frame_bytes(px));
        ck_assert_int_eq(render_board(rgb, px, &b), 0);
        int y = (int)floor((render_geom_centre(&g, 0) + render_geom_centre(&g, 1)) / 2); /* between two rows */
        for (int c = 0; c < 9; c++) {
            int x = (int)floor(render_geom_centre(&g, c));
            const uint8_t *q = pix(rgb, px, x, y);
            ck_assert_msg(q[1] < 165 && q[1] > 0, "line %d at %d px: G=%d", c, px, q[1]);
            ck_assert(is_rgb(pix(rgb, px, x - 1, y), 255, 165, 0));
            ck_assert(is_rgb(pix(rgb, px, x + 1, y), 255, 165, 0));
        }
        /* coverage S/256: G = 165 * (1 - S/256) up to rounding */
        int x0 = (int)floor(render_geom_centre(&g, 4));
        double want = 165.0 * (1 - px / 256.0);
        ck_assert_msg(fabs(pix(rgb, px, x0, y)[1] - want) <= 3, "px %d: G=%d want %.1f", px, pix(rgb, px, x0, y)[1],
                      want);
        free(rgb);
    }
}
END_TEST

/* Every stone is a hard-edged disk of diameter (p-2)*S/256 around its centre: a pixel
 * is stone-coloured iff its centre is inside the circle, except within 0.05 px of
 * the circle (cairo's own edge rule). */
static void check_stones_are_disks(int size, int px)
{
    board_t b;
    board_init(&b, size);
    for (int p = 0; p < size * size; p++) board_set(&b, p, (p / size + p % size) % 2 ? STONE_WHITE : STONE_BLACK);
    uint8_t *rgb = xmalloc((size_t)render_frame_bytes(px));
    ck_assert_int_eq(render_board(rgb, px, &b), 0);
    render_geom_t g;
    render_geom(&g, size, px);
    double r = g.diameter / 2.0 * g.scale, half = g.pitch / 2.0 * g.scale;
    long stone_px = 0;
    for (int p = 0; p < size * size; p++) {
        double cx = render_geom_centre(&g, p % size), cy = render_geom_centre(&g, p / size);
        int white = b.stones[p] == STONE_WHITE;
        for (int y = (int)floor(cy - half); y <= (int)ceil(cy + half); y++) {
            for (int x = (int)floor(cx - half); x <= (int)ceil(cx + half); x++) {
                if (x < 0 || y < 0 || x >= px || y >= px) continue;
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy, d = sqrt(dx * dx + dy * dy);
                if (fabs(d - r) < 0.05 || fabs(dx) >= half || fabs(dy) >= half) continue;
                const uint8_t *q = pix(rgb, px, x, y);
                int is_stone = white ? is_rgb(q, 255, 255, 255) : is_rgb(q, 0, 0, 0);
                if (d < r) {
                    ck_assert_msg(is_stone, "size %d px %d point %d: pixel (%d,%d) at %.3f < r %.3f not stone", size,
                                  px, p, x, y, d, r);
                    stone_px++;
                } else if (white) {
                    ck_assert_msg(!is_stone, "size %d px %d: pixel (%d,%d) outside the disk is white", size, px, x, y);
                }
            }
        }
    }
    ck_assert(stone_px > 0);
    free(rgb);
}

START_TEST(test_stones_are_disks)
{
    for (int size = 2; size <= 25; size++)
        for (int k = 0; k < 3; k++) check_stones_are_disks(size, PXS[k]);
    /* 9x9 at 256: the centre row of a stone is exactly 27 px wide. */
    board_t b;
    board_init(&b, 9);
    board_set(&b, 4 * 9 + 4, STONE_WHITE);
    uint8_t *rgb = xmalloc((size_t)render_frame_bytes(256));
    render_board(rgb, 256, &b);
    int n = 0;
    for (int x = 0; x < 256; x++) n += is_rgb(pix(rgb, 256, x, 128 + 3), 255, 255, 255);
    ck_assert_int_eq(n, 27);
    ck_assert(is_rgb(pix(rgb, 256, 128 - 13, 128 + 3 - 3), 255, 255, 255));
    ck_assert(is_rgb(pix(rgb, 256, 128 - 14, 128 + 3), 255, 165, 0));
    free(rgb);
}
END_TEST

START_TEST(test_orientation)
{
    /* A9 top-left, J9 top-right, A1 bottom-left: (col, row) -> pixel 12 + 29 col,
     * 12 + 29 (9 - row). Sample 5 px right and below the centre (off the lines). */
    static const struct {
        const char *v;
        int x, y;
        stone_t c;
    } cases[] = {{"A9", 12, 12, STONE_BLACK}, {"J9", 244, 12, STONE_WHITE}, {"A1", 12, 244, STONE_WHITE},
                 {"C7", 70, 70, STONE_BLACK}, {"H2", 215, 215, STONE_BLACK}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        board_t b;
        board_init(&b, 9);
        int p;
        ck_assert_int_eq(vertex_parse(cases[i].v, 9, &p), 0);
        board_set(&b, p, cases[i].c);
        uint8_t rgb[256 * 256 * 3];
        render_board(rgb, 256, &b);
        int v = cases[i].c == STONE_WHITE ? 255 : 0;
        ck_assert_msg(is_rgb(pix(rgb, 256, cases[i].x + 5, cases[i].y + 5), v, v, v), "%s", cases[i].v);
        ck_assert_msg(is_rgb(pix(rgb, 256, cases[i].x - 5, cases[i].y - 5), v, v, v), "%s", cases[i].v);
        /* the diagonally opposite point is empty */
        ck_assert(is_rgb(pix(rgb, 256, 256 - cases[i].x + 5, 256 - cases[i].y + 5), 255, 165, 0));
    }
}
END_TEST

/* ---- fast path == reference; reader ---- */

START_TEST(test_fast_equals_reference)
{
    rng_t rng;
    rng_seed(&rng, 1234);
    for (int size = 2; size <= 25; size++) {
        for (int k = 0; k < 3; k++) {
            int px = PXS[k];
            render_ctx_t *ctx = render_ctx_new(size, px);
            ck_assert_msg(ctx != NULL, "ctx %d@%d", size, px);
            uint8_t *a = xmalloc((size_t)render_frame_bytes(px)), *b = xmalloc((size_t)render_frame_bytes(px));
            for (int t = 0; t < 4; t++) {
                board_t bd;
                random_board(&bd, size, &rng, t == 0 ? 1.0 : t * 0.3);
                ck_assert_int_eq(render_ctx_frame(ctx, &bd, a), 0);
                ck_assert_int_eq(render_board(b, px, &bd), 0);
                ck_assert_msg(!memcmp(a, b, (size_t)render_frame_bytes(px)), "fast != cairo at size %d px %d", size,
                              px);
            }
            board_t other;
            board_init(&other, size == 9 ? 13 : 9);
            ck_assert_int_eq(render_ctx_frame(ctx, &other, a), -1);
            free(a);
            free(b);
            render_ctx_free(ctx);
        }
    }
    ck_assert(render_ctx_new(1, 256) == NULL);
    ck_assert(render_ctx_new(9, 5000) == NULL);
}
END_TEST

START_TEST(test_reader_random_boards)
{
    rng_t rng;
    rng_seed(&rng, 99);
    for (int size = 2; size <= 25; size++) {
        for (int k = 0; k < 3; k++) {
            int px = PXS[k];
            render_ctx_t *ctx = render_ctx_new(size, px);
            uint8_t *rgb = xmalloc((size_t)render_frame_bytes(px));
            for (int t = 0; t < 6; t++) {
                board_t b, r;
                random_board(&b, size, &rng, t / 5.0);
                render_ctx_frame(ctx, &b, rgb);
                ck_assert_int_eq(render_board_read(rgb, px, size, &r), 0);
                ck_assert_msg(!memcmp(b.stones, r.stones, (size_t)(size * size)), "reader wrong at size %d px %d", size,
                              px);
                ck_assert(b.hash == r.hash);
            }
            free(rgb);
            render_ctx_free(ctx);
        }
    }
}
END_TEST

START_TEST(test_reader_doubts_garbage)
{
    /* A mid-grey frame matches no reference colour: every point is doubtful. */
    uint8_t *rgb = xmalloc((size_t)render_frame_bytes(64));
    memset(rgb, 128, (size_t)render_frame_bytes(64));
    board_t r;
    ck_assert_int_eq(render_board_read(rgb, 64, 9, &r), 81);
    ck_assert_int_eq(render_board_read(rgb, 64, 1, &r), -1);
    free(rgb);
}
END_TEST

/* The reader recovers every move of real games under all 8 symmetries at 256/128/64,
 * and the fast path equals cairo on them. */
START_TEST(test_reader_games_all_symmetries)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/katago9/train-000.sgf", env_or_fail("VIDEOGO_DATA"));
    sgf_collection_t col;
    sgf_error_t err;
    ck_assert_msg(sgf_read_file(path, &col, &err) == 0, "%s: %s", path, err.message);
    ck_assert(col.n_games >= 4);
    render_ctx_t *ctx[3];
    uint8_t *rgb[3], *ref = xmalloc((size_t)render_frame_bytes(256));
    for (int k = 0; k < 3; k++) {
        ctx[k] = render_ctx_new(9, PXS[k]);
        rgb[k] = xmalloc((size_t)render_frame_bytes(PXS[k]));
    }
    long frames = 0;
    for (int gi = 0; gi < 4; gi++) {
        const sgf_game_t *s = &col.games[gi];
        board_t b;
        board_init(&b, 9);
        for (int m = 0; m <= s->n_moves; m++) {
            for (int sym = 0; sym < SYM_COUNT; sym++) {
                board_t t, r;
                sym_board(&t, &b, sym);
                for (int k = 0; k < 3; k++) {
                    render_ctx_frame(ctx[k], &t, rgb[k]);
                    ck_assert_int_eq(render_board_read(rgb[k], PXS[k], 9, &r), 0);
                    ck_assert_msg(!memcmp(t.stones, r.stones, 81), "game %d move %d sym %d px %d", gi, m, sym, PXS[k]);
                    frames++;
                    if (sym == (m & 7) && m % 5 == 0) {
                        render_board(ref, PXS[k], &t);
                        ck_assert(!memcmp(ref, rgb[k], (size_t)render_frame_bytes(PXS[k])));
                    }
                }
            }
            if (m < s->n_moves) ck_assert_int_eq(board_play(&b, s->moves[m].color, s->moves[m].point, NULL, NULL), MOVE_OK);
        }
    }
    ck_assert(frames > 4 * 40 * 24);
    for (int k = 0; k < 3; k++) {
        render_ctx_free(ctx[k]);
        free(rgb[k]);
    }
    free(ref);
    sgf_collection_free(&col);
}
END_TEST

/* ---- symmetries ---- */

START_TEST(test_symmetry_group)
{
    for (int size = 2; size <= 25; size += 7) {
        int n = size * size;
        for (int k = 0; k < SYM_COUNT; k++) {
            int *seen = xcalloc((size_t)n, sizeof(int));
            for (int p = 0; p < n; p++) {
                int q = sym_point(p, size, k);
                ck_assert(q >= 0 && q < n);
                seen[q]++;
                ck_assert_int_eq(sym_point(q, size, sym_inverse(k)), p);
                for (int j = 0; j < SYM_COUNT; j++)
                    ck_assert_int_eq(sym_point(sym_point(p, size, k), size, j), sym_point(p, size, sym_compose(k, j)));
            }
            for (int p = 0; p < n; p++) ck_assert_int_eq(seen[p], 1); /* a bijection */
            free(seen);
        }
    }
    /* 8 distinct maps; the named ones do what sym.h says (9x9, A9 is point 0). */
    for (int a = 0; a < SYM_COUNT; a++)
        for (int b = a + 1; b < SYM_COUNT; b++) {
            int differ = 0;
            for (int p = 0; p < 81; p++) differ |= sym_point(p, 9, a) != sym_point(p, 9, b);
            ck_assert(differ);
        }
    int a9, j9, a1, j1, b9;
    vertex_parse("A9", 9, &a9);
    vertex_parse("J9", 9, &j9);
    vertex_parse("A1", 9, &a1);
    vertex_parse("J1", 9, &j1);
    vertex_parse("B9", 9, &b9);
    ck_assert_int_eq(sym_point(a9, 9, 0), a9);
    ck_assert_int_eq(sym_point(a9, 9, 1), j9); /* mirror left-right */
    ck_assert_int_eq(sym_point(a9, 9, 2), a1); /* mirror top-bottom */
    ck_assert_int_eq(sym_point(a9, 9, 3), j1); /* half turn */
    ck_assert_int_eq(sym_point(a9, 9, 5), j9); /* quarter turn clockwise: top-left -> top-right */
    ck_assert_int_eq(sym_point(b9, 9, 5), sym_point(b9, 9, 5));
    int b9_cw;
    vertex_parse("J8", 9, &b9_cw);
    ck_assert_int_eq(sym_point(b9, 9, 5), b9_cw);
    ck_assert_int_eq(sym_point(a9, 9, 6), a1); /* anticlockwise */
    ck_assert_int_eq(sym_point(VERTEX_PASS, 9, 5), VERTEX_PASS);
}
END_TEST

/* ---- PNG and golden frames ---- */

START_TEST(test_png_roundtrip)
{
    char dir[] = "/tmp/videogo-render-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/x.png", dir);
    rng_t rng;
    rng_seed(&rng, 5);
    int w = 37, h = 19;
    uint8_t *rgb = xmalloc((size_t)w * h * 3);
    for (int i = 0; i < w * h * 3; i++) rgb[i] = (uint8_t)rng_below(&rng, 256);
    ck_assert_int_eq(render_write_png(path, rgb, w, h), 0);
    int w2, h2;
    uint8_t *back = render_read_png(path, &w2, &h2);
    ck_assert(back != NULL);
    ck_assert_int_eq(w2, w);
    ck_assert_int_eq(h2, h);
    ck_assert(!memcmp(rgb, back, (size_t)w * h * 3));
    ck_assert(render_read_png("/nonexistent/x.png", &w2, &h2) == NULL);
    ck_assert_int_eq(render_write_png("/nonexistent/dir/x.png", rgb, w, h), -1);
    free(rgb);
    free(back);
    unlink(path);
    rmdir(dir);
}
END_TEST

static const char *const GOLDEN_9[] = {"E5", "C3", "G7", "C7", "G3", "D5", "F5", "E4", "E6", "D6",
                                       "F4", "C5", "A1", "J9", "pass", "J1", "A9", "B8", "H2"};
static const char *const GOLDEN_19[] = {"Q16", "D4", "Q3", "D16", "K10", "A1", "T19", "C17", "R4", "O3"};
static const char *const GOLDEN_13[] = {"D4", "K10", "G7", "N13", "A13"};
/* capture: black takes the white stone at E5 (E5 is empty again) */
static const char *const GOLDEN_CAPTURE[] = {"D5", "E5", "F5", "A1", "E4", "A2", "E6"};

typedef struct {
    const char *name;
    int size;
    const char *const *moves;
    int n_moves;
} golden_t;

static const golden_t GOLDENS[] = {
    {"empty9", 9, NULL, 0},
    {"mid9", 9, GOLDEN_9, (int)(sizeof GOLDEN_9 / sizeof GOLDEN_9[0])},
    {"capture9", 9, GOLDEN_CAPTURE, (int)(sizeof GOLDEN_CAPTURE / sizeof GOLDEN_CAPTURE[0])},
    {"pos19", 19, GOLDEN_19, (int)(sizeof GOLDEN_19 / sizeof GOLDEN_19[0])},
    {"pos13", 13, GOLDEN_13, (int)(sizeof GOLDEN_13 / sizeof GOLDEN_13[0])},
};

START_TEST(test_golden_frames)
{
    const char *src = env_or_fail("VIDEOGO_SRC");
    int write = getenv("VIDEOGO_WRITE_GOLDEN") != NULL;
    for (size_t gi = 0; gi < sizeof GOLDENS / sizeof GOLDENS[0]; gi++) {
        const golden_t *g = &GOLDENS[gi];
        board_t b;
        board_init(&b, g->size);
        play_vertices(&b, g->moves, g->n_moves);
        for (int k = 0; k < 3; k++) {
            int px = PXS[k];
            char path[4096];
            snprintf(path, sizeof path, "%s/tests/data/render/golden-%s-%d.png", src, g->name, px);
            uint8_t *rgb = xmalloc((size_t)render_frame_bytes(px));
            ck_assert_int_eq(render_board(rgb, px, &b), 0);
            if (write) {
                ck_assert_int_eq(render_write_png(path, rgb, px, px), 0);
                free(rgb);
                continue;
            }
            int w, h;
            uint8_t *gold = render_read_png(path, &w, &h);
            ck_assert_msg(gold != NULL, "missing golden frame %s", path);
            ck_assert_int_eq(w, px);
            ck_assert_int_eq(h, px);
            /* Tolerance for other cairo versions (antialiasing, the edge rule of
             * hard-edged disks): at most 0.5 % of pixels off by more than 16 in any
             * channel, and a mean absolute difference under 1.5. */
            long off = 0;
            double sum = 0;
            for (int i = 0; i < px * px; i++) {
                int m = 0;
                for (int c = 0; c < 3; c++) {
                    int d = abs(rgb[3 * i + c] - gold[3 * i + c]);
                    sum += d;
                    if (d > m) m = d;
                }
                off += m > 16;
            }
            ck_assert_msg(off <= px * px / 200, "%s: %ld pixels differ by more than 16", path, off);
            ck_assert_msg(sum / (px * px * 3) < 1.5, "%s: mean abs difference %.3f", path, sum / (px * px * 3));
            /* and the golden frame reads back as the position */
            board_t r;
            ck_assert_int_eq(render_board_read(gold, px, g->size, &r), 0);
            ck_assert(!memcmp(r.stones, b.stones, (size_t)(g->size * g->size)));
            free(gold);
            free(rgb);
        }
    }
}
END_TEST

/* ---- the `videogo render` command ---- */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint8_t *read_frame(const char *dir, int t, int px)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/frame-%04d.png", dir, t);
    int w, h;
    uint8_t *rgb = render_read_png(path, &w, &h);
    ck_assert_msg(rgb != NULL, "missing %s", path);
    ck_assert_int_eq(w, px);
    ck_assert_int_eq(h, px);
    return rgb;
}

static void expect_board(const uint8_t *rgb, int px, const char *black, const char *white)
{
    /* black/white: space-separated vertex lists */
    board_t want, got;
    board_init(&want, 9);
    const char *lists[2] = {black, white};
    for (int c = 0; c < 2; c++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", lists[c]);
        for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
            int p;
            ck_assert_int_eq(vertex_parse(tok, 9, &p), 0);
            board_set(&want, p, c == 0 ? STONE_BLACK : STONE_WHITE);
        }
    }
    ck_assert_int_eq(render_board_read(rgb, px, 9, &got), 0);
    char a[1024], b[1024];
    board_format(&want, a, sizeof a);
    board_format(&got, b, sizeof b);
    ck_assert_msg(!memcmp(want.stones, got.stones, 81), "frame reads\n%s\nwanted\n%s", b, a);
}

START_TEST(test_cli_video)
{
    const char *bin = env_or_fail("VIDEOGO_BIN"), *src = env_or_fail("VIDEOGO_SRC");
    char sgf[4096], dir[] = "/tmp/videogo-video-XXXXXX";
    snprintf(sgf, sizeof sgf, "%s/tests/data/render/video.sgf", src);
    ck_assert(mkdtemp(dir) != NULL);

    /* Game 0: B D5, W E5, B F5, W pass, B E6, W A9, B E4 (captures E5), W pass, B pass. */
    for (int k = 0; k < 3; k++) {
        int px = PXS[k];
        ck_assert_int_eq(run("'%s' render '%s' --size-px %d --out %s/v%d 2>/dev/null", bin, sgf, px, dir, px), 0);
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/v%d", dir, px);
        uint8_t *f[10];
        for (int t = 0; t < 10; t++) f[t] = read_frame(sub, t, px);
        char extra[4200];
        snprintf(extra, sizeof extra, "%s/frame-0010.png", sub);
        ck_assert_msg(access(extra, F_OK) != 0, "9 moves make 10 frames");
        size_t fb = (size_t)render_frame_bytes(px);
        expect_board(f[0], px, "", "");
        expect_board(f[1], px, "D5", "");
        expect_board(f[2], px, "D5", "E5");
        expect_board(f[3], px, "D5 F5", "E5");
        ck_assert(!memcmp(f[3], f[4], fb)); /* a pass repeats the previous frame */
        expect_board(f[5], px, "D5 F5 E6", "E5");
        expect_board(f[6], px, "D5 F5 E6", "E5 A9");
        expect_board(f[7], px, "D5 F5 E6 E4", "A9"); /* E5 gone in the capturing frame */
        ck_assert(!memcmp(f[7], f[8], fb));
        ck_assert(!memcmp(f[8], f[9], fb));
        ck_assert(memcmp(f[6], f[7], fb) != 0);
        for (int t = 0; t < 10; t++) free(f[t]);
    }

    /* --move N alone, into a file; equals the frame of the full video */
    ck_assert_int_eq(run("'%s' render '%s' --move 7 --out %s/m7.png 2>/dev/null", bin, sgf, dir), 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/m7.png", dir);
    int w, h;
    uint8_t *m7 = render_read_png(path, &w, &h);
    ck_assert(m7 != NULL);
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/v256", dir);
    uint8_t *f7 = read_frame(sub, 7, 256);
    ck_assert(!memcmp(m7, f7, (size_t)render_frame_bytes(256)));
    free(m7);
    free(f7);
    ck_assert(run("'%s' render '%s' --move 10 --out %s/m10.png 2>/dev/null", bin, sgf, dir) != 0);

    /* Game 1 of the collection: setup stones make frame 0. */
    ck_assert_int_eq(run("'%s' render '%s' --game 1 --out %s/g1 2>/dev/null", bin, sgf, dir), 0);
    snprintf(sub, sizeof sub, "%s/g1", dir);
    uint8_t *s0 = read_frame(sub, 0, 256), *s1 = read_frame(sub, 1, 256);
    expect_board(s0, 256, "C3 G7", "C7");
    expect_board(s1, 256, "C3 G7", "C7 G3");
    free(s0);
    free(s1);
    ck_assert(run("'%s' render '%s' --game 2 --out %s/g2 2>/dev/null", bin, sgf, dir) != 0);

    /* Contact sheet: 10 frames, 4 per row, 64 px thumbnails, 2 px gaps. */
    ck_assert_int_eq(run("'%s' render '%s' --sheet %s/sheet.png --size-px 64 --columns 4 2>/dev/null", bin, sgf, dir),
                     0);
    snprintf(path, sizeof path, "%s/sheet.png", dir);
    uint8_t *sheet = render_read_png(path, &w, &h);
    ck_assert(sheet != NULL);
    ck_assert_int_eq(w, 4 * 66 + 2);
    ck_assert_int_eq(h, 3 * 66 + 2);
    /* the thumbnail of frame 7 (row 1, column 3) reads as frame 7 */
    uint8_t *thumb = xmalloc((size_t)render_frame_bytes(64));
    for (int y = 0; y < 64; y++)
        memcpy(thumb + (size_t)y * 64 * 3, sheet + ((size_t)(2 + 66 + y) * w + 2 + 3 * 66) * 3, 64 * 3);
    expect_board(thumb, 64, "D5 F5 E6 E4", "A9");
    free(thumb);
    free(sheet);

    ck_assert(run("'%s' render --help >/dev/null", bin) == 0);
    ck_assert(run("'%s' render '%s' 2>/dev/null", bin, sgf) != 0); /* nothing to write */
    ck_assert(run("'%s' render /nonexistent.sgf --out %s/x 2>/dev/null", bin, dir) != 0);
    ck_assert_int_eq(run("rm -rf '%s'", dir), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("frame");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_geometry);
    tcase_add_test(tc, test_empty_frame_pixels);
    tcase_add_test(tc, test_scaled_lines);
    tcase_add_test(tc, test_stones_are_disks);
    tcase_add_test(tc, test_orientation);
    tcase_add_test(tc, test_fast_equals_reference);
    tcase_add_test(tc, test_reader_random_boards);
    tcase_add_test(tc, test_reader_doubts_garbage);
    tcase_add_test(tc, test_reader_games_all_symmetries);
    tcase_add_test(tc, test_symmetry_group);
    tcase_add_test(tc, test_png_roundtrip);
    tcase_add_test(tc, test_golden_frames);
    tcase_add_test(tc, test_cli_video);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
