/* render_cli.c: `videogo render`: a game's video as PNG frames or a contact sheet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "engine/game.h"
#include "engine/sgf.h"
#include "engine/util.h"
#include "render/render.h"

static void render_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo render GAME.sgf [--game K] [--size-px 256|128|64]\n"
            "                      [--out DIR [--move N]] [--sheet FILE.png] [--columns C]\n"
            "\n"
            "Writes the game's video (DESIGN.md section 2): frame 0 is the start position (empty\n"
            "board or SGF setup), frame t the position after move t; a pass repeats the previous\n"
            "frame; captured stones are gone in the capturing frame.\n"
            "\n"
            "  --out DIR        one PNG per frame: DIR/frame-0000.png ... (DIR is created)\n"
            "  --move N         only frame N (0..moves); with --out FILE.png, written to that file\n"
            "  --sheet FILE     contact sheet of every frame, row by row, C per row (default 10)\n"
            "  --size-px S      frame side in pixels: 256 (default for frames), 128 (default for\n"
            "                   the sheet's thumbnails), 64, or any 8..4096\n"
            "  --game K         game K (from 0) of a collection (default 0)\n");
}

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -1000000000 || v > 1000000000) return -1;
    *out = (int)v;
    return 0;
}

static bool ends_with_png(const char *s)
{
    size_t n = strlen(s);
    return n >= 4 && !strcasecmp(s + n - 4, ".png");
}

/* Boards of frames 0..n_moves into frames (n_moves + 1 boards). Returns 0, or the
 * 1-based number of the first illegal move. */
static int replay_frames(const sgf_game_t *s, board_t *frames)
{
    game_t g;
    memset(&g, 0, sizeof g);
    int bad = -1;
    int rc = sgf_replay(s, 0, &g, &bad);
    frames[0] = g.board;
    game_free(&g);
    if (rc != 0) return -1;
    for (int m = 0; m < s->n_moves; m++) {
        frames[m + 1] = frames[m];
        if (board_play(&frames[m + 1], s->moves[m].color, s->moves[m].point, NULL, NULL) != MOVE_OK) return m + 1;
    }
    return 0;
}

static int write_sheet(const char *path, const board_t *frames, int n, int px, int cols)
{
    const int gap = 2;
    if (cols > n) cols = n;
    int rows = (n + cols - 1) / cols;
    long w = (long)cols * (px + gap) + gap, h = (long)rows * (px + gap) + gap;
    if (w > 32767 || h > 32767) {
        fprintf(stderr, "videogo render: sheet of %ldx%ld px is too large for PNG via cairo; use a smaller --size-px\n",
                w, h);
        return -1;
    }
    render_ctx_t *ctx = render_ctx_new(frames[0].size, px);
    if (!ctx) die("cannot build the renderer for size %d at %d px", frames[0].size, px);
    uint8_t *sheet = xmalloc((size_t)w * h * 3);
    uint8_t *frame = xmalloc((size_t)render_frame_bytes(px));
    memset(sheet, 48, (size_t)w * h * 3); /* dark grey separators */
    for (int t = 0; t < n; t++) {
        render_ctx_frame(ctx, &frames[t], frame);
        long x0 = gap + (long)(t % cols) * (px + gap), y0 = gap + (long)(t / cols) * (px + gap);
        for (int y = 0; y < px; y++)
            memcpy(sheet + ((y0 + y) * w + x0) * 3, frame + (size_t)y * px * 3, (size_t)px * 3);
    }
    int rc = render_write_png(path, sheet, (int)w, (int)h);
    if (rc == 0)
        fprintf(stderr, "render: sheet %s: %d frames, %d per row, %d px each, frame t at row t/%d, column t%%%d\n",
                path, n, cols, px, cols, cols);
    free(frame);
    free(sheet);
    render_ctx_free(ctx);
    return rc;
}

int cmd_render(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *sheet = NULL;
    int game = 0, move = -1, px = 0, cols = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int *target = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            render_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "--sheet") && i + 1 < argc) {
            sheet = argv[++i];
        } else if (!strcmp(a, "--game")) {
            target = &game;
        } else if (!strcmp(a, "--move")) {
            target = &move;
        } else if (!strcmp(a, "--size-px")) {
            target = &px;
        } else if (!strcmp(a, "--columns")) {
            target = &cols;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "videogo render: unknown or incomplete option '%s'\n", a);
            render_usage(stderr);
            return 2;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "videogo render: one SGF file at a time ('%s' is extra)\n", a);
            return 2;
        }
        if (target) {
            if (i + 1 >= argc || parse_int(argv[i + 1], target) < 0) {
                fprintf(stderr, "videogo render: %s needs an integer\n", a);
                return 2;
            }
            i++;
        }
    }
    if (!file || (!out && !sheet)) {
        render_usage(stderr);
        return 2;
    }
    if (px && (px < RENDER_PX_MIN || px > RENDER_PX_MAX)) {
        fprintf(stderr, "videogo render: --size-px %d outside %d..%d\n", px, RENDER_PX_MIN, RENDER_PX_MAX);
        return 2;
    }
    if (cols < 1) {
        fprintf(stderr, "videogo render: --columns must be at least 1\n");
        return 2;
    }
    if (move >= 0 && !out) {
        fprintf(stderr, "videogo render: --move needs --out DIR or --out FILE.png\n");
        return 2;
    }

    sgf_collection_t col;
    sgf_error_t se;
    if (sgf_read_file(file, &col, &se) < 0) {
        fprintf(stderr, "videogo render: %s: byte %zu: %s\n", file, se.offset, se.message);
        return 1;
    }
    if (game < 0 || game >= col.n_games) {
        fprintf(stderr, "videogo render: %s has %d game(s); --game %d is out of range (games count from 0)\n", file,
                col.n_games, game);
        sgf_collection_free(&col);
        return 1;
    }
    const sgf_game_t *s = &col.games[game];
    if (s->size < BOARD_MIN || s->size > BOARD_MAX) {
        fprintf(stderr, "videogo render: %s game %d: board size %d is not supported\n", file, game, s->size);
        sgf_collection_free(&col);
        return 1;
    }
    int n = s->n_moves + 1, rc = 0;
    board_t *frames = xmalloc(sizeof(board_t) * (size_t)n);
    int bad = replay_frames(s, frames);
    if (bad != 0) {
        if (bad < 0) fprintf(stderr, "videogo render: %s game %d: the setup cannot be replayed\n", file, game);
        else fprintf(stderr, "videogo render: %s game %d: move %d is illegal\n", file, game, bad);
        rc = 1;
        goto done;
    }
    if (move >= n) {
        fprintf(stderr, "videogo render: --move %d: the game has frames 0..%d\n", move, n - 1);
        rc = 1;
        goto done;
    }

    if (out) {
        int fpx = px ? px : RENDER_CANON_PX;
        bool single_file = move >= 0 && ends_with_png(out);
        if (!single_file && mkdir(out, 0777) < 0 && errno != EEXIST) {
            fprintf(stderr, "videogo render: %s: %s\n", out, strerror(errno));
            rc = 1;
            goto done;
        }
        render_ctx_t *ctx = render_ctx_new(s->size, fpx);
        if (!ctx) die("cannot build the renderer for size %d at %d px", s->size, fpx);
        uint8_t *rgb = xmalloc((size_t)render_frame_bytes(fpx));
        int t0 = move >= 0 ? move : 0, t1 = move >= 0 ? move + 1 : n;
        for (int t = t0; t < t1 && rc == 0; t++) {
            char path[4096];
            if (single_file) snprintf(path, sizeof path, "%s", out);
            else snprintf(path, sizeof path, "%s/frame-%04d.png", out, t);
            render_ctx_frame(ctx, &frames[t], rgb);
            if (render_write_png(path, rgb, fpx, fpx) < 0) {
                fprintf(stderr, "videogo render: cannot write %s\n", path);
                rc = 1;
            }
        }
        if (rc == 0)
            fprintf(stderr, "render: %d frame(s) of %d px written to %s\n", t1 - t0, fpx, out);
        free(rgb);
        render_ctx_free(ctx);
    }
    if (sheet && rc == 0) {
        if (write_sheet(sheet, frames, n, px ? px : 128, cols) < 0) {
            fprintf(stderr, "videogo render: cannot write sheet %s\n", sheet);
            rc = 1;
        }
    }
done:
    free(frames);
    sgf_collection_free(&col);
    return rc;
}
