/* bench_render.c: `videogo bench render`: frames/s of the frame renderer at 256/128/64 px
 * (the dispatcher of `videogo bench NAME` is the top-level bench.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/board.h"
#include "engine/util.h"
#include "render/render.h"

#define BENCH_POSITIONS 64

/* Positions from random legal games (no eye filling), 10..80 moves deep. */
static void bench_positions(board_t *out, int n, int size, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed);
    int npts = size * size;
    for (int i = 0; i < n; i++) {
        board_t b;
        board_init(&b, size);
        int depth = 10 + (int)rng_below(&rng, 71);
        stone_t c = STONE_BLACK;
        for (int m = 0; m < depth; m++) {
            int p = VERTEX_PASS;
            for (int tries = 0; tries < 4 * npts; tries++) {
                int q = (int)rng_below(&rng, (uint32_t)npts);
                if (board_at(&b, q) == STONE_EMPTY && !board_is_eye(&b, q, c) && board_check(&b, c, q) == MOVE_OK) {
                    p = q;
                    break;
                }
            }
            board_play(&b, c, p, NULL, NULL);
            c = stone_other(c);
        }
        out[i] = b;
    }
}

typedef struct {
    double fps, checksum;
} bench_result_t;

/* Renders positions round-robin for at least `seconds` of wall time. */
static bench_result_t time_renderer(const render_ctx_t *ctx, int px, const board_t *pos, double seconds)
{
    uint8_t *rgb = xmalloc((size_t)render_frame_bytes(px));
    long frames = 0;
    double sum = 0, t0 = time_wall(), t;
    do {
        for (int i = 0; i < 16; i++, frames++) {
            const board_t *b = &pos[frames % BENCH_POSITIONS];
            if (ctx) render_ctx_frame(ctx, b, rgb);
            else if (render_board(rgb, px, b) < 0) die("render_board failed at %d px", px);
            sum += rgb[(frames * 7919) % render_frame_bytes(px)]; /* keep the work observable */
        }
        t = time_wall() - t0;
    } while (t < seconds);
    free(rgb);
    return (bench_result_t){frames / t, sum};
}

int cmd_bench_render(int argc, char **argv)
{
    int size = 9;
    double seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: videogo bench render [--size N] [--seconds S]\n\n"
                   "Frames/s of one thread rendering %d positions of N x N (default 9) random\n"
                   "legal games at 256, 128 and 64 px, for S seconds each (default 1):\n"
                   "  cairo    render_board(): everything drawn by cairo per frame (the baseline)\n"
                   "  cached   render_ctx_frame(): cached grid + stone spans (what trainers use)\n"
                   "Targets: >= 1,000 frames/s at 256 px and >= 5,000 at 64 px.\n",
                   BENCH_POSITIONS);
            return 0;
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "videogo bench render: unknown or incomplete option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (size < BOARD_MIN || size > BOARD_MAX || !(seconds > 0 && seconds < 3600)) {
        fprintf(stderr, "videogo bench render: bad --size or --seconds\n");
        return 2;
    }
    board_t *pos = xmalloc(sizeof(board_t) * BENCH_POSITIONS);
    bench_positions(pos, BENCH_POSITIONS, size, 20250101);
    static const int sizes[3] = {256, 128, 64};
    static const double target[3] = {1000, 2500, 5000}; /* 128 px: between the two stated targets */
    printf("bench render: %dx%d, %d positions of random legal games, single thread, %.1f s per measurement\n",
           size, size, BENCH_POSITIONS, seconds);
    printf("%6s %14s %14s %9s %9s %11s %s\n", "px", "cairo fr/s", "cached fr/s", "speedup", "target", "vs target",
           "identical");
    int rc = 0;
    for (int k = 0; k < 3; k++) {
        int px = sizes[k];
        render_ctx_t *ctx = render_ctx_new(size, px);
        if (!ctx) die("render_ctx_new(%d, %d) failed", size, px);
        /* The fast path must equal the reference on every benchmark position. */
        uint8_t *a = xmalloc((size_t)render_frame_bytes(px)), *b = xmalloc((size_t)render_frame_bytes(px));
        bool same = true;
        for (int i = 0; i < BENCH_POSITIONS && same; i++) {
            render_ctx_frame(ctx, &pos[i], a);
            if (render_board(b, px, &pos[i]) < 0) die("render_board failed");
            same = memcmp(a, b, (size_t)render_frame_bytes(px)) == 0;
        }
        free(a);
        free(b);
        bench_result_t ref = time_renderer(NULL, px, pos, seconds);
        bench_result_t fast = time_renderer(ctx, px, pos, seconds);
        printf("%6d %14.0f %14.0f %8.1fx %9.0f %10.1fx %s\n", px, ref.fps, fast.fps, fast.fps / ref.fps, target[k],
               fast.fps / target[k], same ? "yes" : "NO");
        if (!same) rc = 1;
        render_ctx_free(ctx);
    }
    printf("targets: 256 px >= 1,000 frames/s, 64 px >= 5,000 frames/s (128 px row: 2,500 for reference)\n");
    free(pos);
    return rc;
}
