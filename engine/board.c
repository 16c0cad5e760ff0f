/* board.c: the Go board and the rules of a single move: captures, suicide (illegal),
 * Zobrist hashing, groups and liberties, true eyes, Tromp-Taylor area counting, and
 * the GTP text forms of vertices, colours and the board.
 *
 * The board is only an array of stones (board.h keeps board_t a plain value), so
 * every group question is a flood fill. They stay cheap because each fill stops at
 * the first liberty it needs and marks visited points in a 640-bit set on the stack
 * (no global state, no clearing of a big array). board_play does one pass: put the
 * stone, remove opponent neighbours left without liberties, and only when nothing was
 * captured and no neighbour is empty look at its own group to refuse suicide.
 */
#include "engine/board.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/util.h"

/* ---- a set of points as a bitset: cheap to clear, lives on the stack ---- */

typedef struct {
    uint64_t w[(BOARD_POINTS + 63) / 64];
} pointset_t;

static inline bool ps_has(const pointset_t *s, int p) { return (s->w[p >> 6] >> (p & 63)) & 1; }
static inline void ps_add(pointset_t *s, int p) { s->w[p >> 6] |= 1ULL << (p & 63); }

int board_neighbors(const board_t *b, int p, int nb[4]) { return board_neighbors_at(b->size, p, nb); }

int board_init(board_t *b, int size)
{
    if (size < BOARD_MIN || size > BOARD_MAX) return -1;
    memset(b, 0, sizeof *b);
    b->size = size;
    return 0;
}

uint64_t board_zobrist(int p, stone_t color)
{
    /* Two rounds of splitmix64 over (p, color): pure, and different for every pair. */
    return splitmix64(splitmix64((uint64_t)p * 4 + (uint64_t)color) ^ 0x5bd1e9955bd1e995ULL);
}

void board_set(board_t *b, int p, stone_t color)
{
    if (p < 0 || p >= board_points(b)) return;
    stone_t old = (stone_t)b->stones[p];
    if (old != STONE_EMPTY) b->hash ^= board_zobrist(p, old);
    b->stones[p] = (uint8_t)color;
    if (color != STONE_EMPTY) b->hash ^= board_zobrist(p, color);
}

/* True if the group at p0 has a liberty other than `except` (pass -1 for none). */
static bool has_liberty_except(const board_t *b, int p0, int except)
{
    int stack[BOARD_POINTS], sp = 0, size = b->size;
    pointset_t seen = {{0}};
    uint8_t c = b->stones[p0];
    stack[sp++] = p0;
    ps_add(&seen, p0);
    while (sp) {
        int p = stack[--sp], nb[4], k = board_neighbors_at(size, p, nb);
        for (int i = 0; i < k; i++) {
            int q = nb[i];
            uint8_t s = b->stones[q];
            if (s == STONE_EMPTY) {
                if (q != except) return true;
            } else if (s == c && !ps_has(&seen, q)) {
                ps_add(&seen, q);
                stack[sp++] = q;
            }
        }
    }
    return false;
}

/* Removes the group at p0 if it has no liberty; appends the removed points to out
 * (which has room for every point). Returns how many were removed. */
static int capture_if_dead(board_t *b, int p0, int *out)
{
    int members[BOARD_POINTS], n = 0, size = b->size;
    pointset_t seen = {{0}};
    uint8_t c = b->stones[p0];
    members[n++] = p0;
    ps_add(&seen, p0);
    for (int i = 0; i < n; i++) {
        int nb[4], k = board_neighbors_at(size, members[i], nb);
        for (int j = 0; j < k; j++) {
            int q = nb[j];
            uint8_t s = b->stones[q];
            if (s == STONE_EMPTY) return 0;
            if (s == c && !ps_has(&seen, q)) {
                ps_add(&seen, q);
                members[n++] = q;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        b->stones[members[i]] = STONE_EMPTY;
        b->hash ^= board_zobrist(members[i], (stone_t)c);
        out[i] = members[i];
    }
    return n;
}

move_result_t board_check(const board_t *b, stone_t color, int p)
{
    if (color != STONE_BLACK && color != STONE_WHITE) return MOVE_BAD_COLOR;
    if (p == VERTEX_PASS) return MOVE_OK;
    if (p < 0 || p >= board_points(b)) return MOVE_OFF_BOARD;
    if (b->stones[p] != STONE_EMPTY) return MOVE_OCCUPIED;
    int nb[4], k = board_neighbors_at(b->size, p, nb);
    for (int i = 0; i < k; i++)
        if (b->stones[nb[i]] == STONE_EMPTY) return MOVE_OK;
    for (int i = 0; i < k; i++) {
        uint8_t s = b->stones[nb[i]];
        bool libs = has_liberty_except(b, nb[i], p);
        if (s == color && libs) return MOVE_OK;   /* joins a group that keeps a liberty */
        if (s != color && !libs) return MOVE_OK;  /* captures */
    }
    return MOVE_SUICIDE;
}

move_result_t board_play(board_t *b, stone_t color, int p, int *captured, int *n_captured)
{
    int local[BOARD_POINTS];
    int *out = captured ? captured : local;
    int n = 0;
    if (n_captured) *n_captured = 0;
    if (color != STONE_BLACK && color != STONE_WHITE) return MOVE_BAD_COLOR;
    if (p == VERTEX_PASS) return MOVE_OK;
    if (p < 0 || p >= board_points(b)) return MOVE_OFF_BOARD;
    if (b->stones[p] != STONE_EMPTY) return MOVE_OCCUPIED;

    int nb[4], k = board_neighbors_at(b->size, p, nb);
    bool empty_nb = false;
    uint8_t opp = (uint8_t)stone_other(color);
    b->stones[p] = (uint8_t)color;
    for (int i = 0; i < k; i++) {
        uint8_t s = b->stones[nb[i]];
        if (s == STONE_EMPTY) empty_nb = true;
        else if (s == opp) n += capture_if_dead(b, nb[i], out + n);
    }
    if (n == 0 && !empty_nb && !has_liberty_except(b, p, -1)) {
        b->stones[p] = STONE_EMPTY;  /* nothing else changed: no capture happened */
        return MOVE_SUICIDE;
    }
    b->hash ^= board_zobrist(p, color);
    b->captures[color] += n;
    if (n_captured) *n_captured = n;
    return MOVE_OK;
}

int board_group(const board_t *b, int p0, int *out, int *libs)
{
    int local[BOARD_POINTS];
    int *members = out ? out : local;
    int n = 0, nlibs = 0, size = b->size;
    if (p0 < 0 || p0 >= board_points(b) || b->stones[p0] == STONE_EMPTY) {
        if (libs) *libs = 0;
        return 0;
    }
    pointset_t seen = {{0}}, libset = {{0}};
    uint8_t c = b->stones[p0];
    members[n++] = p0;
    ps_add(&seen, p0);
    for (int i = 0; i < n; i++) {
        int nb[4], k = board_neighbors_at(size, members[i], nb);
        for (int j = 0; j < k; j++) {
            int q = nb[j];
            uint8_t s = b->stones[q];
            if (s == STONE_EMPTY) {
                if (!ps_has(&libset, q)) {
                    ps_add(&libset, q);
                    nlibs++;
                }
            } else if (s == c && !ps_has(&seen, q)) {
                ps_add(&seen, q);
                members[n++] = q;
            }
        }
    }
    if (libs) *libs = nlibs;
    return n;
}

bool board_is_eye(const board_t *b, int p, stone_t color)
{
    int size = b->size;
    if (p < 0 || p >= board_points(b) || b->stones[p] != STONE_EMPTY) return false;
    if (color != STONE_BLACK && color != STONE_WHITE) return false;
    int nb[4], k = board_neighbors_at(size, p, nb);
    for (int i = 0; i < k; i++)
        if (b->stones[nb[i]] != color) return false;
    int r = p / size, c = p % size, off = 0, bad = 0;
    stone_t opp = stone_other(color);
    for (int dr = -1; dr <= 1; dr += 2)
        for (int dc = -1; dc <= 1; dc += 2) {
            int rr = r + dr, cc = c + dc;
            if (rr < 0 || rr >= size || cc < 0 || cc >= size) off++;
            else if (b->stones[rr * size + cc] == opp) bad++;
        }
    return off ? bad == 0 : bad <= 1;
}

int board_area(const board_t *b, const uint8_t *dead, uint8_t *owner_out)
{
    int size = b->size, np = board_points(b), score = 0;
    uint8_t st[BOARD_POINTS], own[BOARD_POINTS];
    int stack[BOARD_POINTS], region[BOARD_POINTS];
    pointset_t seen = {{0}};
    for (int p = 0; p < np; p++) {
        st[p] = (dead && dead[p]) ? STONE_EMPTY : b->stones[p];
        own[p] = st[p];
    }
    for (int p0 = 0; p0 < np; p0++) {
        if (st[p0] != STONE_EMPTY || ps_has(&seen, p0)) continue;
        int sp = 0, n = 0, touch = 0;
        stack[sp++] = p0;
        ps_add(&seen, p0);
        while (sp) {
            int p = stack[--sp], nb[4], k = board_neighbors_at(size, p, nb);
            region[n++] = p;
            for (int i = 0; i < k; i++) {
                int q = nb[i];
                if (st[q] == STONE_EMPTY) {
                    if (!ps_has(&seen, q)) {
                        ps_add(&seen, q);
                        stack[sp++] = q;
                    }
                } else {
                    touch |= st[q];  /* bit 1 black, bit 2 white */
                }
            }
        }
        uint8_t o = (touch == STONE_BLACK || touch == STONE_WHITE) ? (uint8_t)touch : STONE_EMPTY;
        for (int i = 0; i < n; i++) own[region[i]] = o;
    }
    for (int p = 0; p < np; p++) {
        if (own[p] == STONE_BLACK) score++;
        else if (own[p] == STONE_WHITE) score--;
    }
    if (owner_out) memcpy(owner_out, own, (size_t)np);
    return score;
}

/* ---- text ---- */

int vertex_parse(const char *s, int size, int *p)
{
    if (!s || size < BOARD_MIN || size > BOARD_MAX) return -1;
    if (!strcasecmp(s, "pass")) {
        *p = VERTEX_PASS;
        return 0;
    }
    int letter = toupper((unsigned char)s[0]);
    if (letter < 'A' || letter > 'Z' || letter == 'I') return -1;
    int col = letter - 'A' - (letter > 'I');
    int num = 0, digits = 0;
    for (const char *q = s + 1; *q; q++) {
        if (!isdigit((unsigned char)*q) || digits >= 2) return -1;
        num = num * 10 + (*q - '0');
        digits++;
    }
    if (!digits || num < 1 || num > size || col >= size) return -1;
    *p = (size - num) * size + col;
    return 0;
}

char *vertex_format(int p, int size, char *buf)
{
    if (p == VERTEX_PASS) strcpy(buf, "pass");
    else if (p == VERTEX_RESIGN) strcpy(buf, "resign");
    else if (size < BOARD_MIN || size > BOARD_MAX || p < 0 || p >= size * size) strcpy(buf, "none");
    else {
        int r = p / size, c = p % size, num = size - r, k = 0; /* num is 1..25 */
        buf[k++] = (char)('A' + c + (c >= 8));
        if (num >= 10) buf[k++] = (char)('0' + num / 10);
        buf[k++] = (char)('0' + num % 10);
        buf[k] = '\0';
    }
    return buf;
}

int color_parse(const char *s, stone_t *c)
{
    if (!s) return -1;
    if (!strcasecmp(s, "b") || !strcasecmp(s, "black")) *c = STONE_BLACK;
    else if (!strcasecmp(s, "w") || !strcasecmp(s, "white")) *c = STONE_WHITE;
    else return -1;
    return 0;
}

const char *color_letter(stone_t c)
{
    return c == STONE_BLACK ? "B" : c == STONE_WHITE ? "W" : "?";
}

typedef struct {
    char *buf;
    int cap, len;
} out_t;

static void outf(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, (size_t)room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += n;
}

static void format_letters(out_t *o, int size)
{
    outf(o, "   ");
    for (int c = 0; c < size; c++) outf(o, " %c", 'A' + c + (c >= 8));
    outf(o, "\n");
}

int board_format(const board_t *b, char *buf, int buflen)
{
    out_t o = {buf, buflen > 0 ? buflen : 0, 0};
    int size = b->size;
    if (buflen > 0) buf[0] = '\0';
    format_letters(&o, size);
    for (int r = 0; r < size; r++) {
        outf(&o, " %2d", size - r);
        for (int c = 0; c < size; c++) {
            uint8_t s = b->stones[r * size + c];
            outf(&o, " %c", s == STONE_BLACK ? 'X' : s == STONE_WHITE ? 'O' : '.');
        }
        outf(&o, " %d\n", size - r);
    }
    format_letters(&o, size);
    return o.len;
}
