/* json.c: recursive-descent JSON parser into a tree owned by a json_doc_t, and a
 * string escaper. Used for gobench's JSON-lines positions; robust to any input. */
#include "eval/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t len, pos;
    json_doc_t *doc;
    char *err;
    int errlen;
    bool failed;
} parser_t;

static void *doc_alloc(json_doc_t *doc, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) return NULL;
    if (doc->n_blocks == doc->cap_blocks) {
        int cap = doc->cap_blocks ? 2 * doc->cap_blocks : 16;
        void **b = realloc(doc->blocks, (size_t)cap * sizeof *b);
        if (!b) {
            free(p);
            return NULL;
        }
        doc->blocks = b;
        doc->cap_blocks = cap;
    }
    doc->blocks[doc->n_blocks++] = p;
    return p;
}

void json_doc_free(json_doc_t *doc)
{
    for (int i = 0; i < doc->n_blocks; i++) free(doc->blocks[i]);
    free(doc->blocks);
    memset(doc, 0, sizeof *doc);
}

static __attribute__((format(printf, 2, 3))) void perr(parser_t *p, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = true;
    int k = snprintf(p->err, (size_t)p->errlen, "column %zu: ", p->pos + 1);
    if (k < 0 || k >= p->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + k, (size_t)(p->errlen - k), fmt, ap);
    va_end(ap);
}

static void skip_ws(parser_t *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r'))
        p->pos++;
}

static int peek(parser_t *p) { return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1; }

static json_value_t *new_value(parser_t *p, json_type_t t)
{
    json_value_t *v = doc_alloc(p->doc, sizeof *v);
    if (!v) {
        perr(p, "out of memory");
        return NULL;
    }
    v->type = t;
    return v;
}

static int hex4(parser_t *p, unsigned *out)
{
    if (p->pos + 4 > p->len) return -1;
    unsigned u = 0;
    for (int i = 0; i < 4; i++) {
        int c = p->s[p->pos + (size_t)i];
        u <<= 4;
        if (c >= '0' && c <= '9') u |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') u |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') u |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    p->pos += 4;
    *out = u;
    return 0;
}

/* Parses a string literal at p->pos (which is '"'); returns a NUL-terminated copy. */
static char *parse_string(parser_t *p)
{
    p->pos++; /* opening quote */
    /* The decoded text is never longer than the literal. */
    size_t start = p->pos, end = start;
    while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len) {
        perr(p, "unterminated string");
        return NULL;
    }
    char *out = doc_alloc(p->doc, end - start + 1);
    if (!out) {
        perr(p, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) {
            perr(p, "control character in string");
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        char e = p->s[p->pos++];
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned u;
            if (hex4(p, &u)) {
                perr(p, "bad \\u escape");
                return NULL;
            }
            if (u >= 0xd800 && u < 0xdc00 && p->pos + 1 < p->len && p->s[p->pos] == '\\' &&
                p->s[p->pos + 1] == 'u') {
                unsigned lo;
                p->pos += 2;
                if (hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                    perr(p, "bad surrogate pair");
                    return NULL;
                }
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (u == 0) {
                perr(p, "\\u0000 in string");
                return NULL;
            }
            /* A \uXXXX escape is 6 bytes and its UTF-8 at most 4, so it fits. */
            if (u < 0x80) out[n++] = (char)u;
            else if (u < 0x800) {
                out[n++] = (char)(0xc0 | (u >> 6));
                out[n++] = (char)(0x80 | (u & 0x3f));
            } else if (u < 0x10000) {
                out[n++] = (char)(0xe0 | (u >> 12));
                out[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
                out[n++] = (char)(0x80 | (u & 0x3f));
            } else {
                out[n++] = (char)(0xf0 | (u >> 18));
                out[n++] = (char)(0x80 | ((u >> 12) & 0x3f));
                out[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
                out[n++] = (char)(0x80 | (u & 0x3f));
            }
            break;
        }
        default:
            p->pos--;
            perr(p, "bad escape '\\%c' in string", e);
            return NULL;
        }
    }
    p->pos++; /* closing quote */
    out[n] = 0;
    return out;
}

static json_value_t *parse_value(parser_t *p, int depth);

/* Grows a (items, keys) pair of arrays by one; keys may be NULL for arrays. */
static int push_item(parser_t *p, json_value_t *v, int *cap, json_value_t *item, char *key, bool object)
{
    if (v->n == *cap) {
        int nc = *cap ? 2 * *cap : 8;
        json_value_t **items = doc_alloc(p->doc, (size_t)nc * sizeof *items);
        char **keys = object ? doc_alloc(p->doc, (size_t)nc * sizeof *keys) : NULL;
        if (!items || (object && !keys)) {
            perr(p, "out of memory");
            return -1;
        }
        if (v->n) {
            memcpy(items, v->items, (size_t)v->n * sizeof *items);
            if (object) memcpy(keys, v->keys, (size_t)v->n * sizeof *keys);
        }
        v->items = items;
        v->keys = keys;
        *cap = nc;
    }
    v->items[v->n] = item;
    if (object) v->keys[v->n] = key;
    v->n++;
    return 0;
}

static json_value_t *parse_container(parser_t *p, int depth, bool object)
{
    json_value_t *v = new_value(p, object ? JSON_OBJECT : JSON_ARRAY);
    if (!v) return NULL;
    int cap = 0;
    char close = object ? '}' : ']';
    p->pos++;
    skip_ws(p);
    if (peek(p) == close) {
        p->pos++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(p);
        if (object) {
            if (peek(p) != '"') {
                perr(p, "expected a string key");
                return NULL;
            }
            if (!(key = parse_string(p))) return NULL;
            skip_ws(p);
            if (peek(p) != ':') {
                perr(p, "expected ':' after key \"%s\"", key);
                return NULL;
            }
            p->pos++;
        }
        json_value_t *item = parse_value(p, depth + 1);
        if (!item || push_item(p, v, &cap, item, key, object)) return NULL;
        skip_ws(p);
        int c = peek(p);
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == close) {
            p->pos++;
            return v;
        }
        perr(p, "expected ',' or '%c'", close);
        return NULL;
    }
}

static json_value_t *parse_number(parser_t *p)
{
    size_t i = p->pos;
    /* Validate the JSON grammar, then let strtod convert. */
    if (i < p->len && p->s[i] == '-') i++;
    if (i < p->len && p->s[i] == '0') i++;
    else if (i < p->len && p->s[i] >= '1' && p->s[i] <= '9')
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
    else {
        perr(p, "bad number");
        return NULL;
    }
    if (i < p->len && p->s[i] == '.') {
        i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
            perr(p, "bad number: digit expected after '.'");
            return NULL;
        }
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
            perr(p, "bad number: digit expected in exponent");
            return NULL;
        }
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
    }
    char buf[64];
    size_t n = i - p->pos;
    if (n >= sizeof buf) {
        perr(p, "number too long");
        return NULL;
    }
    memcpy(buf, p->s + p->pos, n);
    buf[n] = 0;
    json_value_t *v = new_value(p, JSON_NUMBER);
    if (!v) return NULL;
    v->number = strtod(buf, NULL);
    p->pos = i;
    return v;
}

static json_value_t *parse_value(parser_t *p, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        perr(p, "nested deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    skip_ws(p);
    int c = peek(p);
    if (c < 0) {
        perr(p, "unexpected end of input");
        return NULL;
    }
    if (c == '{' || c == '[') return parse_container(p, depth, c == '{');
    if (c == '"') {
        json_value_t *v = new_value(p, JSON_STRING);
        if (v && !(v->string = parse_string(p))) return NULL;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p);
    static const struct { const char *word; json_type_t t; double num; } words[] = {
        {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if (p->pos + n <= p->len && !memcmp(p->s + p->pos, words[i].word, n)) {
            json_value_t *v = new_value(p, words[i].t);
            if (!v) return NULL;
            v->number = words[i].num;
            p->pos += n;
            return v;
        }
    }
    if (c >= 0x20 && c < 0x7f) perr(p, "unexpected character '%c'", c);
    else perr(p, "unexpected byte 0x%02x", (unsigned)c);
    return NULL;
}

int json_parse(const char *text, size_t len, json_doc_t *doc, char *err, int errlen)
{
    parser_t p = {.s = text, .len = len, .doc = doc, .err = err, .errlen = errlen};
    if (errlen > 0) err[0] = 0;
    json_value_t *v = parse_value(&p, 0);
    if (v) {
        skip_ws(&p);
        if (p.pos != p.len) {
            perr(&p, "unexpected text after the value");
            v = NULL;
        }
    }
    doc->root = v;
    return v ? 0 : -1;
}

const json_value_t *json_get(const json_value_t *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) return obj->items[i];
    return NULL;
}

int json_escape(const char *s, char *out, int outlen)
{
    int n = 0;
#define PUT(ch) do { if (n < outlen - 1) out[n] = (ch); n++; } while (0)
    PUT('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c < 0x20) {
            char hex[8];
            snprintf(hex, sizeof hex, "\\u%04x", c);
            for (int i = 0; hex[i]; i++) PUT(hex[i]);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    if (outlen > 0) out[n < outlen ? n : outlen - 1] = 0;
    return n;
}
