/* sgf.c: placeholder until the SGF reader/writer lands: every call fails cleanly. */
#include "engine/sgf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int not_yet(sgf_collection_t *out, sgf_error_t *err)
{
    memset(out, 0, sizeof *out);
    err->offset = 0;
    snprintf(err->message, sizeof err->message, "SGF reader not implemented yet");
    return -1;
}

int sgf_parse(const char *text, size_t len, sgf_collection_t *out, sgf_error_t *err)
{
    (void)text;
    (void)len;
    return not_yet(out, err);
}

int sgf_read_file(const char *path, sgf_collection_t *out, sgf_error_t *err)
{
    (void)path;
    return not_yet(out, err);
}

void sgf_game_free(sgf_game_t *g) { (void)g; }
void sgf_collection_free(sgf_collection_t *c) { (void)c; }
char *sgf_write(const sgf_game_t *g) { (void)g; return NULL; }
int sgf_write_file(const char *path, const sgf_game_t *g) { (void)path; (void)g; return -1; }
int sgf_replay(const sgf_game_t *s, int n_moves, game_t *g, int *bad_move)
{
    (void)s; (void)n_moves; (void)g; (void)bad_move;
    return -2;
}
char *sgf_strdup(const char *s) { return s ? strdup(s) : NULL; }
