/* sgf.c: SGF FF[4] reader and writer for Go games (main line only), and replay.
 *
 * Reader: one pass over the bytes with an explicit tree depth counter, no recursion,
 * so nesting depth costs nothing (OGS nests every move one level deeper). The main
 * line is the first child at every branch: nodes count only while we are inside the
 * chain of first children; everything else (later siblings, their subtrees) is still
 * checked for syntax and then dropped. Errors carry the byte offset and what was
 * expected; nothing here exits or aborts (all allocation failures return an error).
 *
 * Properties understood: GM (must be 1 when present), SZ (N or N:N; 2..25), KM, HA,
 * RU, PB, PW, RE, DT, AP, GC, AB/AW/AE (also compressed lists aa:cc), B/W (B[] pass,
 * B[tt] pass on boards up to 19x19), and the private KB (ogs9-kata). Identifiers in
 * lower or mixed case are read the FF[3] way: lowercase letters are ignored, so
 * "AddBlack" is AB; an all-lowercase identifier is upper-cased. Everything else is
 * skipped. Setup (AB/AW/AE) is accepted in the root and in any main-line node before
 * the first move; setup after a move is an error (sgf_game_t cannot hold it).
 *
 * Coordinates are decoded when the game tree ends (the root may give SZ after AB),
 * with the offset of each value kept for "move off board" errors.
 *
 * Writer: (;GM[1]FF[4]CA[UTF-8]AP[videogo:VERSION]SZ KM RU HA PB PW RE DT GC, then the
 * setup as AB/AW lists, then ;B[xx] / ;W[] per move (KB[..] when the move has one),
 * one game per line. Text values escape ']' and '\'.
 */
#include "engine/sgf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VIDEOGO_VERSION
#define VIDEOGO_VERSION "dev"
#endif

/* ---- small growable buffers (return -1 on out of memory, never exit) ---- */

typedef struct {
    char *s;
    size_t len, cap;
} strbuf_t;

static int sb_putc(strbuf_t *b, char c)
{
    if (b->len + 2 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        char *s = realloc(b->s, cap);
        if (!s) return -1;
        b->s = s;
        b->cap = cap;
    }
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
    return 0;
}

static int sb_puts(strbuf_t *b, const char *s)
{
    for (; *s; s++)
        if (sb_putc(b, *s) < 0) return -1;
    return 0;
}

static int sb_printf(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sb_printf(strbuf_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) return -1;
    return sb_puts(b, tmp);
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p) return -1;
    *arr = p;
    *cap = c;
    return 0;
}

char *sgf_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void sgf_game_free(sgf_game_t *g)
{
    if (!g) return;
    free(g->rules);
    free(g->black);
    free(g->white);
    free(g->result);
    free(g->date);
    free(g->application);
    free(g->comment);
    free(g->setup);
    free(g->moves);
    memset(g, 0, sizeof *g);
}

void sgf_collection_free(sgf_collection_t *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_games; i++) sgf_game_free(&c->games[i]);
    free(c->games);
    c->games = NULL;
    c->n_games = 0;
}

/* ---- reader ---- */

/* A point as written (two letters, or empty = pass) before SZ is known. */
typedef struct {
    int x, y;        /* 0..51 from the letters; x = -1 for an empty value (pass) */
    size_t offset;   /* of the value, for errors */
} rawpt_t;

typedef struct {
    stone_t color;   /* move colour, or setup colour (STONE_EMPTY for AE) */
    rawpt_t pt;
    rawpt_t kb;      /* KB for moves; kb.x = -2 when absent */
} rawitem_t;

typedef struct {
    const char *text;
    size_t len, pos;
    sgf_error_t *err;
    /* the game being read */
    sgf_game_t game;
    rawitem_t *moves, *setup;
    int n_moves, cap_moves, n_setup, cap_setup;
    size_t sz_offset;
    bool saw_move;
    /* the node being read */
    rawitem_t node_moves[2];
    int n_node_moves;
    rawpt_t node_kb;
    bool node_has_kb;
} parser_t;

static int fail(parser_t *ps, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser_t *ps, size_t offset, const char *fmt, ...)
{
    va_list ap;
    ps->err->offset = offset;
    va_start(ap, fmt);
    vsnprintf(ps->err->message, sizeof ps->err->message, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_ws(parser_t *ps)
{
    while (ps->pos < ps->len && isspace((unsigned char)ps->text[ps->pos])) ps->pos++;
}

/* Reads one [value] starting at '[' into v (unescaped, soft line breaks removed).
 * simple: SimpleText (line breaks become spaces). */
static int read_value(parser_t *ps, strbuf_t *v, bool simple)
{
    size_t start = ps->pos;
    ps->pos++; /* '[' */
    v->len = 0;
    if (v->s) v->s[0] = '\0';
    while (ps->pos < ps->len) {
        char c = ps->text[ps->pos++];
        if (c == ']') {
            if (!v->s && sb_putc(v, '\0') == 0) v->len = 0; /* make v->s a valid "" */
            return v->s ? 0 : fail(ps, start, "out of memory");
        }
        if (c == '\\') {
            if (ps->pos >= ps->len) break;
            c = ps->text[ps->pos++];
            if (c == '\n' || c == '\r') { /* soft line break: removed with its \r\n pair */
                if (ps->pos < ps->len && (ps->text[ps->pos] == '\n' || ps->text[ps->pos] == '\r') &&
                    ps->text[ps->pos] != c)
                    ps->pos++;
                continue;
            }
        } else if (c == '\r' || c == '\n') {
            if (ps->pos < ps->len && (ps->text[ps->pos] == '\n' || ps->text[ps->pos] == '\r') &&
                ps->text[ps->pos] != c)
                ps->pos++;
            c = simple ? ' ' : '\n';
        } else if (simple && (c == '\t' || c == '\v' || c == '\f')) {
            c = ' ';
        }
        if (sb_putc(v, c) < 0) return fail(ps, start, "out of memory");
    }
    return fail(ps, start, "unterminated property value (no closing ']')");
}

static int decode_letter(char c)
{
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 26;
    return -1;
}

/* A Point value: "" (pass) or two letters. */
static int parse_point(parser_t *ps, const char *s, size_t offset, rawpt_t *pt)
{
    pt->offset = offset;
    size_t n = strlen(s);
    /* tolerate surrounding whitespace inside the brackets */
    while (n && isspace((unsigned char)s[n - 1])) n--;
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    if (n == 0) {
        pt->x = pt->y = -1;
        return 0;
    }
    if (n != 2 || decode_letter(s[0]) < 0 || decode_letter(s[1]) < 0)
        return fail(ps, offset, "malformed point '%.*s' (expected two letters a-z or A-Z)", (int)(n > 20 ? 20 : n), s);
    pt->x = decode_letter(s[0]);
    pt->y = decode_letter(s[1]);
    return 0;
}

static int add_setup(parser_t *ps, stone_t c, rawpt_t pt)
{
    if (grow((void **)&ps->setup, &ps->cap_setup, ps->n_setup + 1, sizeof *ps->setup) < 0)
        return fail(ps, pt.offset, "out of memory");
    rawitem_t *it = &ps->setup[ps->n_setup++];
    it->color = c;
    it->pt = pt;
    it->kb.x = -2;
    return 0;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return 1; /* empty */
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno) return -1;
    *out = v;
    return 0;
}

static int set_text(parser_t *ps, char **field, const strbuf_t *v, size_t offset)
{
    char *d = sgf_strdup(v->s ? v->s : "");
    if (!d) return fail(ps, offset, "out of memory");
    free(*field);
    *field = d;
    return 0;
}

/* Handles one property of a main-line node. id is the normalized identifier. */
static int handle_property(parser_t *ps, const char *id, size_t id_offset)
{
    strbuf_t v = {0};
    int rc = 0, n_values = 0;
    bool simple = strcmp(id, "GC") != 0;
    bool is_setup = !strcmp(id, "AB") || !strcmp(id, "AW") || !strcmp(id, "AE");
    bool is_move = !strcmp(id, "B") || !strcmp(id, "W");
    skip_ws(ps);
    if (ps->pos >= ps->len || ps->text[ps->pos] != '[') {
        rc = fail(ps, ps->pos, "expected '[' after property identifier %s", id);
        goto done;
    }
    while (ps->pos < ps->len && ps->text[ps->pos] == '[') {
        size_t voff = ps->pos;
        if ((rc = read_value(ps, &v, simple)) < 0) goto done;
        n_values++;
        const char *s = v.s ? v.s : "";
        if (is_move) {
            if (n_values > 1) {
                rc = fail(ps, voff, "a move property has exactly one value");
                goto done;
            }
            if (ps->n_node_moves >= 2) {
                rc = fail(ps, id_offset, "more than one move in a node");
                goto done;
            }
            rawitem_t *it = &ps->node_moves[ps->n_node_moves++];
            it->color = id[0] == 'B' ? STONE_BLACK : STONE_WHITE;
            it->kb.x = -2;
            if ((rc = parse_point(ps, s, voff, &it->pt)) < 0) goto done;
        } else if (is_setup) {
            if (ps->saw_move) {
                rc = fail(ps, id_offset, "setup property %s after moves is not supported", id);
                goto done;
            }
            stone_t c = id[1] == 'B' ? STONE_BLACK : id[1] == 'W' ? STONE_WHITE : STONE_EMPTY;
            const char *colon = strchr(s, ':');
            if (colon) { /* compressed point list: a rectangle */
                char a[64], b[64];
                size_t la = (size_t)(colon - s);
                if (la >= sizeof a || strlen(colon + 1) >= sizeof b) {
                    rc = fail(ps, voff, "malformed point list");
                    goto done;
                }
                memcpy(a, s, la);
                a[la] = '\0';
                strcpy(b, colon + 1);
                rawpt_t p1, p2;
                if ((rc = parse_point(ps, a, voff, &p1)) < 0 || (rc = parse_point(ps, b, voff, &p2)) < 0) goto done;
                if (p1.x < 0 || p2.x < 0) {
                    rc = fail(ps, voff, "empty point in a compressed point list");
                    goto done;
                }
                int x0 = p1.x < p2.x ? p1.x : p2.x, x1 = p1.x < p2.x ? p2.x : p1.x;
                int y0 = p1.y < p2.y ? p1.y : p2.y, y1 = p1.y < p2.y ? p2.y : p1.y;
                for (int y = y0; y <= y1; y++)
                    for (int x = x0; x <= x1; x++) {
                        rawpt_t q = {x, y, voff};
                        if ((rc = add_setup(ps, c, q)) < 0) goto done;
                    }
            } else {
                rawpt_t q;
                if ((rc = parse_point(ps, s, voff, &q)) < 0) goto done;
                if (q.x < 0) {
                    rc = fail(ps, voff, "empty point in %s", id);
                    goto done;
                }
                if ((rc = add_setup(ps, c, q)) < 0) goto done;
            }
        } else if (!strcmp(id, "KB")) {
            if ((rc = parse_point(ps, s, voff, &ps->node_kb)) < 0) goto done;
            ps->node_has_kb = true;
        } else if (!strcmp(id, "SZ")) {
            int a, b;
            char extra;
            if (ps->saw_move) { /* a root property: resizing after moves would move every stone */
                rc = fail(ps, id_offset, "SZ after moves were played (the board size belongs to the root node)");
                goto done;
            }
            int k = sscanf(s, " %d : %d %c", &a, &b, &extra);
            if (k == 2 && a != b) {
                rc = fail(ps, voff, "rectangular board %dx%d is not supported", a, b);
                goto done;
            }
            if (k < 1 || k > 2 || (k == 1 && sscanf(s, " %d %c", &a, &extra) != 1)) {
                rc = fail(ps, voff, "expected a board size in SZ, got '%.40s'", s);
                goto done;
            }
            if (a < BOARD_MIN || a > BOARD_MAX) {
                rc = fail(ps, voff, "board size %d is not supported (2..25)", a);
                goto done;
            }
            ps->game.size = a;
            ps->sz_offset = voff;
        } else if (!strcmp(id, "GM")) {
            double gm;
            if (parse_number(s, &gm) == 0 && gm != 1) {
                rc = fail(ps, voff, "GM[%s] is not a game of Go (GM[1])", s);
                goto done;
            }
        } else if (!strcmp(id, "KM")) {
            double km;
            int k = parse_number(s, &km);
            if (k < 0) {
                rc = fail(ps, voff, "expected a number in KM, got '%.40s'", s);
                goto done;
            }
            if (k == 0) {
                ps->game.komi = (float)km;
                ps->game.has_komi = true;
            }
        } else if (!strcmp(id, "HA")) {
            double ha;
            int k = parse_number(s, &ha);
            if (k < 0 || (k == 0 && (ha < 0 || ha > BOARD_POINTS))) {
                rc = fail(ps, voff, "expected a handicap count in HA, got '%.40s'", s);
                goto done;
            }
            if (k == 0) ps->game.handicap = (int)ha;
        } else {
            char **field = !strcmp(id, "RU") ? &ps->game.rules
                         : !strcmp(id, "PB") ? &ps->game.black
                         : !strcmp(id, "PW") ? &ps->game.white
                         : !strcmp(id, "RE") ? &ps->game.result
                         : !strcmp(id, "DT") ? &ps->game.date
                         : !strcmp(id, "AP") ? &ps->game.application
                         : !strcmp(id, "GC") ? &ps->game.comment
                         : NULL;
            if (field && (rc = set_text(ps, field, &v, voff)) < 0) goto done;
        }
        skip_ws(ps);
    }
done:
    free(v.s);
    return rc;
}

/* Skips the values of a property outside the main line (still checks the syntax). */
static int skip_property(parser_t *ps, const char *id)
{
    skip_ws(ps);
    if (ps->pos >= ps->len || ps->text[ps->pos] != '[')
        return fail(ps, ps->pos, "expected '[' after property identifier %s", id);
    while (ps->pos < ps->len && ps->text[ps->pos] == '[') {
        size_t start = ps->pos++;
        for (;;) {
            if (ps->pos >= ps->len) return fail(ps, start, "unterminated property value (no closing ']')");
            char c = ps->text[ps->pos++];
            if (c == ']') break;
            if (c == '\\' && ps->pos < ps->len) ps->pos++;
        }
        skip_ws(ps);
    }
    return 0;
}

static int end_node(parser_t *ps)
{
    for (int i = 0; i < ps->n_node_moves; i++) {
        if (grow((void **)&ps->moves, &ps->cap_moves, ps->n_moves + 1, sizeof *ps->moves) < 0)
            return fail(ps, ps->node_moves[i].pt.offset, "out of memory");
        rawitem_t it = ps->node_moves[i];
        if (ps->node_has_kb && i == 0) it.kb = ps->node_kb;
        ps->moves[ps->n_moves++] = it;
        ps->saw_move = true;
    }
    ps->n_node_moves = 0;
    ps->node_has_kb = false;
    return 0;
}

static int resolve_point(parser_t *ps, rawpt_t pt, int *out, const char *what)
{
    int size = ps->game.size;
    if (pt.x == -1) {
        *out = VERTEX_PASS;
        return 0;
    }
    if (pt.x == 19 && pt.y == 19 && size <= 19) { /* tt */
        *out = VERTEX_PASS;
        return 0;
    }
    if (pt.x >= size || pt.y >= size)
        return fail(ps, pt.offset, "%s off board ('%c%c' on %dx%d)", what, pt.x < 26 ? 'a' + pt.x : 'A' + pt.x - 26,
                    pt.y < 26 ? 'a' + pt.y : 'A' + pt.y - 26, size, size);
    *out = pt.y * size + pt.x;
    return 0;
}

/* Turns the raw items into the game's arrays once the size is known. */
static int finish_game(parser_t *ps, sgf_collection_t *out, int *cap_games)
{
    sgf_game_t *g = &ps->game;
    if (ps->n_moves) {
        g->moves = malloc(sizeof *g->moves * (size_t)ps->n_moves);
        if (!g->moves) return fail(ps, ps->pos, "out of memory");
    }
    for (int i = 0; i < ps->n_moves; i++) {
        sgf_move_t *m = &g->moves[g->n_moves];
        m->color = ps->moves[i].color;
        if (resolve_point(ps, ps->moves[i].pt, &m->point, "move") < 0) return -1;
        m->kb = VERTEX_NONE;
        if (ps->moves[i].kb.x != -2 && resolve_point(ps, ps->moves[i].kb, &m->kb, "KB point") < 0) return -1;
        g->n_moves++;
    }
    if (ps->n_setup) {
        g->setup = malloc(sizeof *g->setup * (size_t)ps->n_setup);
        if (!g->setup) return fail(ps, ps->pos, "out of memory");
    }
    for (int i = 0; i < ps->n_setup; i++) {
        sgf_setup_t *s = &g->setup[g->n_setup];
        rawpt_t pt = ps->setup[i].pt;
        if (pt.x == 19 && pt.y == 19 && g->size <= 19)
            return fail(ps, pt.offset, "setup point 'tt' is off board");
        if (resolve_point(ps, pt, &s->point, "setup point") < 0) return -1;
        s->color = ps->setup[i].color;
        g->n_setup++;
    }
    if (grow((void **)&out->games, cap_games, out->n_games + 1, sizeof *out->games) < 0)
        return fail(ps, ps->pos, "out of memory");
    out->games[out->n_games++] = *g;
    memset(g, 0, sizeof *g);
    return 0;
}

static void reset_game(parser_t *ps)
{
    sgf_game_free(&ps->game);
    ps->game.size = 19;
    ps->n_moves = ps->n_setup = 0;
    ps->n_node_moves = 0;
    ps->node_has_kb = false;
    ps->saw_move = false;
}

/* Reads a property identifier at ps->pos into id (normalized); returns its length in
 * the text or -1 (error set). */
static int read_ident(parser_t *ps, char *id, size_t idcap)
{
    size_t start = ps->pos, n = 0;
    bool has_upper = false;
    while (ps->pos < ps->len && isalpha((unsigned char)ps->text[ps->pos])) {
        has_upper |= isupper((unsigned char)ps->text[ps->pos]) != 0;
        ps->pos++;
    }
    size_t raw = ps->pos - start;
    if (raw == 0) return fail(ps, start, "expected a property identifier, ';', '(' or ')'");
    if (raw > 64) return fail(ps, start, "property identifier too long");
    for (size_t i = start; i < ps->pos; i++) {
        char c = ps->text[i];
        if (has_upper && !isupper((unsigned char)c)) continue; /* FF[3]: AddBlack = AB */
        if (n + 1 < idcap) id[n++] = (char)toupper((unsigned char)c);
    }
    id[n] = '\0';
    return (int)raw;
}

int sgf_parse(const char *text, size_t len, sgf_collection_t *out, sgf_error_t *err)
{
    parser_t ps;
    int cap_games = 0, rc = 0;
    memset(&ps, 0, sizeof ps);
    memset(out, 0, sizeof *out);
    err->offset = 0;
    err->message[0] = '\0';
    ps.text = text;
    ps.len = text ? len : 0;
    ps.err = err;
    ps.game.size = 19;

    if (ps.len >= 3 && !memcmp(ps.text, "\xEF\xBB\xBF", 3)) ps.pos = 3; /* UTF-8 BOM */
    for (;;) {
        skip_ws(&ps);
        if (ps.pos >= ps.len) break;
        if (ps.text[ps.pos] != '(') {
            rc = fail(&ps, ps.pos, out->n_games ? "expected '(' to start another game tree or end of input"
                                                  : "expected '(' at the start of a game tree");
            break;
        }
        /* One game: an explicit depth counter replaces recursion. */
        reset_game(&ps);
        size_t game_start = ps.pos;
        long depth = 0, main_depth = 1;
        bool main_open = true, node_open = false, in_main_node = false;
        ps.pos++;
        depth = 1;
        skip_ws(&ps);
        if (ps.pos >= ps.len || ps.text[ps.pos] != ';') {
            rc = fail(&ps, ps.pos, "expected ';' after '(' (a game tree starts with a node)");
            break;
        }
        while (depth > 0 && rc == 0) {
            skip_ws(&ps);
            if (ps.pos >= ps.len) {
                rc = fail(&ps, game_start, "unbalanced parentheses: game tree opened here is never closed");
                break;
            }
            char c = ps.text[ps.pos];
            if (c == ';') {
                if (node_open && in_main_node && (rc = end_node(&ps)) < 0) break;
                ps.pos++;
                node_open = true;
                in_main_node = main_open && depth == main_depth;
            } else if (c == '(') {
                if (node_open && in_main_node && (rc = end_node(&ps)) < 0) break;
                node_open = false;
                in_main_node = false;
                if (main_open && depth == main_depth) main_depth++; /* first child: main line */
                depth++;
                ps.pos++;
                skip_ws(&ps);
                if (ps.pos >= ps.len || ps.text[ps.pos] != ';') {
                    rc = fail(&ps, ps.pos, "expected ';' after '(' (a game tree starts with a node)");
                    break;
                }
            } else if (c == ')') {
                if (node_open && in_main_node && (rc = end_node(&ps)) < 0) break;
                node_open = false;
                in_main_node = false;
                if (main_open && depth == main_depth) main_open = false; /* main line ends */
                depth--;
                ps.pos++;
            } else if (isalpha((unsigned char)c)) {
                char id[16];
                size_t id_off = ps.pos;
                if (!node_open) {
                    rc = fail(&ps, ps.pos, "expected ';' before properties (property outside a node)");
                    break;
                }
                if (read_ident(&ps, id, sizeof id) < 0) {
                    rc = -1;
                    break;
                }
                if (in_main_node) rc = handle_property(&ps, id, id_off);
                else rc = skip_property(&ps, id);
            } else {
                rc = fail(&ps, ps.pos, "unexpected character '%c' (expected a property, ';', '(' or ')')",
                          isprint((unsigned char)c) ? c : '?');
            }
        }
        if (rc < 0) break;
        if ((rc = finish_game(&ps, out, &cap_games)) < 0) break;
    }
    if (rc == 0 && out->n_games == 0) rc = fail(&ps, ps.pos, "no game tree in the input (expected '(')");
    reset_game(&ps);
    free(ps.moves);
    free(ps.setup);
    if (rc < 0) sgf_collection_free(out);
    return rc < 0 ? -1 : 0;
}

int sgf_read_file(const char *path, sgf_collection_t *out, sgf_error_t *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        err->offset = 0;
        snprintf(err->message, sizeof err->message, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    strbuf_t b = {0};
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > SGF_MAX_BYTES) {
            err->offset = SGF_MAX_BYTES;
            snprintf(err->message, sizeof err->message, "%s is larger than %d MiB, the SGF size limit", path,
                     SGF_MAX_BYTES >> 20);
            fclose(f);
            free(b.s);
            return -1;
        }
        if (b.len + n + 1 > b.cap) {
            size_t cap = b.cap ? b.cap : 65536;
            while (cap < b.len + n + 1) cap *= 2;
            char *s = realloc(b.s, cap);
            if (!s) {
                rc = -1;
                break;
            }
            b.s = s;
            b.cap = cap;
        }
        memcpy(b.s + b.len, chunk, n);
        b.len += n;
    }
    if (ferror(f) || rc < 0) {
        err->offset = b.len;
        snprintf(err->message, sizeof err->message, "cannot read %s: %s", path, rc < 0 ? "out of memory" : strerror(errno));
        fclose(f);
        free(b.s);
        return -1;
    }
    fclose(f);
    rc = sgf_parse(b.s ? b.s : "", b.len, out, err);
    free(b.s);
    return rc;
}

/* ---- writer ---- */

static int put_text(strbuf_t *b, const char *id, const char *s)
{
    if (!s) return 0;
    if (sb_puts(b, id) < 0 || sb_putc(b, '[') < 0) return -1;
    for (; *s; s++) {
        if ((*s == ']' || *s == '\\') && sb_putc(b, '\\') < 0) return -1;
        if (sb_putc(b, *s) < 0) return -1;
    }
    return sb_putc(b, ']');
}

static int put_point(strbuf_t *b, int p, int size)
{
    if (p == VERTEX_PASS || p < 0 || p >= size * size) return sb_puts(b, "[]");
    return sb_printf(b, "[%c%c]", 'a' + p % size, 'a' + p / size);
}

char *sgf_write(const sgf_game_t *g)
{
    strbuf_t b = {0};
    int size = g->size, np = size * size;
    int ok = 0;
    char num[64];
    if (size < BOARD_MIN || size > BOARD_MAX) return NULL;
    ok |= sb_puts(&b, "(;GM[1]FF[4]CA[UTF-8]AP[videogo:" VIDEOGO_VERSION "]");
    ok |= sb_printf(&b, "SZ[%d]", size);
    if (g->has_komi) {
        snprintf(num, sizeof num, "%g", (double)g->komi);
        ok |= sb_printf(&b, "KM[%s]", num);
    }
    ok |= put_text(&b, "RU", g->rules);
    if (g->handicap > 0) ok |= sb_printf(&b, "HA[%d]", g->handicap);
    ok |= put_text(&b, "PB", g->black);
    ok |= put_text(&b, "PW", g->white);
    ok |= put_text(&b, "RE", g->result);
    ok |= put_text(&b, "DT", g->date);
    ok |= put_text(&b, "GC", g->comment);
    /* Setup: the resulting stones, black then white, in point order. */
    uint8_t st[BOARD_POINTS] = {0};
    for (int i = 0; i < g->n_setup; i++)
        if (g->setup[i].point >= 0 && g->setup[i].point < np) st[g->setup[i].point] = (uint8_t)g->setup[i].color;
    for (int c = STONE_BLACK; c <= STONE_WHITE; c++) {
        bool any = false;
        for (int p = 0; p < np; p++) {
            if (st[p] != c) continue;
            if (!any) ok |= sb_puts(&b, c == STONE_BLACK ? "AB" : "AW");
            any = true;
            ok |= put_point(&b, p, size);
        }
    }
    for (int i = 0; i < g->n_moves; i++) {
        const sgf_move_t *m = &g->moves[i];
        ok |= sb_puts(&b, m->color == STONE_WHITE ? ";W" : ";B");
        ok |= put_point(&b, m->point, size);
        if (m->kb != VERTEX_NONE) {
            ok |= sb_puts(&b, "KB");
            ok |= put_point(&b, m->kb, size);
        }
    }
    ok |= sb_puts(&b, ")\n");
    if (ok) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

int sgf_write_file(const char *path, const sgf_game_t *g)
{
    char *text = sgf_write(g);
    if (!text) return -1;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        free(text);
        return -1;
    }
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = -1;
    if (f) {
        size_t len = strlen(text);
        bool ok = fwrite(text, 1, len, f) == len;
        ok &= fflush(f) == 0;
        ok &= fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
        if (ok && rename(tmp, path) == 0) rc = 0;
        else remove(tmp);
    }
    free(tmp);
    free(text);
    return rc;
}

/* ---- replay ---- */

int sgf_replay(const sgf_game_t *s, int n_moves, game_t *g, int *bad_move)
{
    return sgf_replay_ko(s, n_moves, g, bad_move, true);
}

int sgf_replay_ko(const sgf_game_t *s, int n_moves, game_t *g, int *bad_move, bool superko)
{
    if (bad_move) *bad_move = -1;
    if (s->size < BOARD_MIN || s->size > BOARD_MAX) return -2;
    game_free(g);
    if (game_init(g, s->size, s->has_komi ? s->komi : 0.0f) < 0) return -2;
    for (int i = 0; i < s->n_setup; i++) game_setup(g, s->setup[i].point, s->setup[i].color);
    g->handicap = s->handicap;
    if (s->n_moves > 0) g->to_move = s->moves[0].color;
    else if (s->handicap >= 2) g->to_move = STONE_WHITE;
    int n = n_moves < 0 || n_moves > s->n_moves ? s->n_moves : n_moves;
    for (int i = 0; i < n; i++) {
        stone_t c = s->moves[i].color;
        int p = s->moves[i].point;
        if ((superko ? game_play(g, c, p) : game_play_simple_ko(g, c, p)) != MOVE_OK) {
            if (bad_move) *bad_move = i;
            return -1;
        }
    }
    return 0;
}
