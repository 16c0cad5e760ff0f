/* render.h: board -> RGB frame (DESIGN.md section 2), the inverse reader, PNG I/O.
 *
 * The frame. Canonical side 256 px, RGB, 8 bits per channel, row-major, top row
 * first, 3 bytes per pixel, no padding (rgb[(y * px + x) * 3 + channel]).
 *   - Background (255,165,0) everywhere.
 *   - Pitch p = floor(232 / (N-1)), origin o = (256 - p*(N-1)) / 2 (integer division);
 *     9x9: o = 12, p = 29, centres at pixels 12, 41, ..., 244.
 *   - "Centre at pixel c" means the centre of pixel c, i.e. cairo coordinate c + 0.5.
 *     Chosen so that a 1-px black line sits exactly on pixel column/row c (crisp, pure
 *     black at 256 px) and a stone is symmetric around that pixel.
 *   - Grid: N vertical and N horizontal lines, width 1, black, antialiased, square
 *     caps, from the first to the last centre. Square caps make the line cover the end
 *     pixels fully (butt caps would leave the four corner pixels 75 % grey).
 *   - Stones: disks of diameter p - 2 centred on (c + 0.5, c + 0.5), pure black or pure
 *     white, CAIRO_ANTIALIAS_NONE (a pixel belongs to the disk iff cairo's non-AA
 *     rasterizer covers it: pixel centre inside the disk). On 9x9 each stone covers a
 *     27-px-wide disk of pixels, 2 px of background between neighbours.
 *   - Orientation: board point p = row * size + col, row 0 at the top of the frame
 *     (GTP row N), col 0 at the left (GTP column A).
 *   - Scaled frames (S = 128, 64 or any 8..4096): the SAME cairo drawing under
 *     cairo_scale(S/256) (not re-derived integer geometry). Lines become S/256 px wide,
 *     still antialiased (at 64 px a grid line is one pixel at 25 % black); stones stay
 *     hard-edged disks of diameter (p-2)*S/256 (6.75 px on 9x9 at 64 px) centred at
 *     (o + p*k + 0.5) * S/256.
 *
 * Two renderers with byte-identical output (tested on every board size and at 256,
 * 128 and 64 px):
 *   - render_board(): the reference. A pure function: one cairo image surface per
 *     call, everything drawn by cairo, converted to packed RGB.
 *   - render_ctx_frame(): the fast path for trainers. render_ctx_new() draws, through
 *     cairo and with the same drawing code, the empty grid and a frame with a stone on
 *     every point, and keeps the empty frame plus the pixel spans each stone covers.
 *     A frame is then one memcpy of the grid and one memset per stone span. Since
 *     stones are opaque, hard-edged and never overlap, this is exactly what cairo
 *     draws per frame.
 *
 * No global state: a render_ctx_t is owned by its caller, read-only after
 * render_ctx_new(), so one context may serve several threads at once.
 */
#ifndef VIDEOGO_RENDER_H
#define VIDEOGO_RENDER_H

#include <stdint.h>

#include "engine/board.h"

#define RENDER_CANON_PX 256 /* canonical frame side */
#define RENDER_PX_MIN 8
#define RENDER_PX_MAX 4096

/* Background and stone colours (RGB). */
#define RENDER_BG_R 255
#define RENDER_BG_G 165
#define RENDER_BG_B 0

/* The geometry of one (board size, frame size) pair. Canonical units are pixels of
 * the 256-px frame; multiply by scale for frame pixels. */
typedef struct {
    int size;      /* N, 2..25 */
    int px;        /* frame side S */
    int origin;    /* o (canonical px): centre of the first line */
    int pitch;     /* p (canonical px) */
    int diameter;  /* stone diameter p - 2 (canonical px) */
    double scale;  /* S / 256 */
} render_geom_t;

/* Fills *g for a board of `size` in a px x px frame. Returns 0, or -1 if size is
 * outside BOARD_MIN..BOARD_MAX or px outside RENDER_PX_MIN..RENDER_PX_MAX. */
int render_geom(render_geom_t *g, int size, int px);

/* Centre of line k (0..size-1) in frame coordinates (cairo units; the pixel that
 * contains it is floor(value)). */
double render_geom_centre(const render_geom_t *g, int k);

/* Bytes of one px x px RGB frame. */
static inline int render_frame_bytes(int px) { return px * px * 3; }

/* Reference renderer: draws b into rgb (px * px * 3 bytes, caller-owned) through a
 * cairo image surface. Returns 0, or -1 (rgb untouched) for a bad size/px or if cairo
 * fails (out of memory). */
int render_board(uint8_t *rgb, int px, const board_t *b);

/* Fast renderer. The context is caller-owned, immutable after creation. */
typedef struct render_ctx render_ctx_t;

/* Builds the context for boards of `size` at px (cairo draws the layers once).
 * Returns NULL for a bad size/px or when cairo/malloc fails. */
render_ctx_t *render_ctx_new(int size, int px);
void render_ctx_free(render_ctx_t *ctx);
const render_geom_t *render_ctx_geom(const render_ctx_t *ctx);

/* Writes b's frame into rgb (px * px * 3 bytes). Byte-identical to render_board().
 * Returns 0, or -1 if b->size differs from the context's size. */
int render_ctx_frame(const render_ctx_t *ctx, const board_t *b, uint8_t *rgb);

/* Same from a raw stone array (stone_t per point, size*size entries), for callers
 * that hold boards in another form (dataset shards). */
void render_ctx_stones(const render_ctx_t *ctx, const uint8_t *stones, uint8_t *rgb);

/* The reader (test oracle and decoder check; never used inside a model).
 * For each intersection it averages the pixels whose centres lie within 3/4 of the
 * stone radius of the intersection centre and that the grid lines do not touch (at
 * 256 px the centre pixel of an empty point is black grid, so the centre pixel alone
 * cannot tell an empty point from a black stone). Where that leaves no pixel (tiny
 * stones: 25x25 at 64 px) it takes every pixel within the radius, and failing that
 * the pixel containing the centre. The mean is classified as the nearest of black,
 * white and "empty" = background darkened by the lines' computed mean coverage of
 * those pixels. Writes the board into *out (board_init(out, size) first). Returns
 * the number of intersections whose mean colour lay more than RENDER_READ_DOUBT away
 * from all three references (0 for every frame the renderer makes, tested for all
 * sizes at 256/128/64 px), or -1 for a bad size/px. */
#define RENDER_READ_DOUBT 96.0
int render_board_read(const uint8_t *rgb, int px, int size, board_t *out);

/* The intersection-disc pooling matrix of a frame, for losses that weight the pixels saying
 * which stone is where (the tokenizer's and the LDM's "disc" term): R[Q, S*S*C] with
 * Q = size*size*C averages, per intersection and channel, the pixels whose centres lie
 * within 3/4 of the stone radius of the intersection centre (the centre pixel if none do).
 * Returns a malloc'd row-major matrix (caller frees) with *Q set, or NULL for a size/px with
 * no geometry. Depends only on the frame geometry above: no board, no label. */
float *render_disc_pooling(int size, int px, int channels, int *Q);

/* PNG export/import through cairo. write: 0 or -1 (the message is in cairo's status,
 * errno for I/O). read: returns a malloc'd w*h*3 RGB buffer with *w, *h set, or NULL. */
int render_write_png(const char *path, const uint8_t *rgb, int w, int h);
uint8_t *render_read_png(const char *path, int *w, int *h);

#endif
