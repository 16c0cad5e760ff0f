/* json.h: a small JSON reader for one line of a JSON-lines file (gobench positions).
 *
 * It parses any JSON value (RFC 8259) into a tree whose nodes all live in one
 * json_doc_t; strings are decoded (escapes, \uXXXX to UTF-8). Nesting is limited to
 * JSON_MAX_DEPTH. It never exits: a syntax error returns -1 with the byte column and
 * what was expected, so the caller can name the line.
 *
 * Ownership: json_doc_t owns every node and string; json_doc_free releases them.
 * Also json_escape, for writing strings into the JSON configuration stored in SQLite.
 */
#ifndef VIDEOGO_EVAL_JSON_H
#define VIDEOGO_EVAL_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 32

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type_t;

typedef struct json_value json_value_t;
struct json_value {
    json_type_t type;
    double number;         /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
    char *string;          /* JSON_STRING (NUL-terminated, may contain no NUL) */
    int n;                 /* JSON_ARRAY / JSON_OBJECT: element count */
    json_value_t **items;  /* elements (arrays and objects) */
    char **keys;           /* JSON_OBJECT: the key of each element */
};

typedef struct {
    json_value_t *root;
    void **blocks;         /* every allocation, freed together */
    int n_blocks, cap_blocks;
} json_doc_t;

/* Parses text[0..len) as exactly one JSON value (surrounding whitespace allowed).
 * Returns 0, or -1 with "column N: message" in err. doc must be zeroed first and is
 * freed with json_doc_free either way. */
int json_parse(const char *text, size_t len, json_doc_t *doc, char *err, int errlen);
void json_doc_free(json_doc_t *doc);

/* Member of an object by key, or NULL (also when obj is not an object). */
const json_value_t *json_get(const json_value_t *obj, const char *key);

/* Writes s as a JSON string literal (with quotes) into out; returns the length it
 * needed, like snprintf. */
int json_escape(const char *s, char *out, int outlen);

#endif
