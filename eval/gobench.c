/* gobench.c: loading a JSON-lines position set, rebuilding positions with the engine,
 * and the three Video-GoBench figures with their intervals (see gobench.h). */
#include "eval/gobench.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"
#include "eval/json.h"
#include "eval/stats.h"

void gobench_pos_free(gobench_pos_t *pos)
{
    free(pos->history);
    free(pos->policy);
    memset(pos, 0, sizeof *pos);
}

void gobench_set_free(gobench_set_t *set)
{
    for (int i = 0; i < set->n; i++) gobench_pos_free(&set->pos[i]);
    free(set->pos);
    memset(set, 0, sizeof *set);
}

static const char *move_result_text(move_result_t r)
{
    switch (r) {
    case MOVE_OK: return "legal";
    case MOVE_OFF_BOARD: return "off the board";
    case MOVE_OCCUPIED: return "on an occupied point";
    case MOVE_SUICIDE: return "suicide";
    case MOVE_SUPERKO: return "a positional superko repetition";
    case MOVE_BAD_COLOR: return "not a move";
    }
    return "?";
}

/* The vertex in a JSON string into *p (VERTEX_PASS for "pass"). */
static int get_vertex(const json_value_t *v, int size, int *p)
{
    return v && v->type == JSON_STRING && !vertex_parse(v->string, size, p) ? 0 : -1;
}

int gobench_position(const gobench_pos_t *pos, game_t *g, char *err, int errlen)
{
    memset(g, 0, sizeof *g);
    if (game_init(g, pos->size, 7.0f)) {
        snprintf(err, (size_t)errlen, "board size %d not supported", pos->size);
        return -1;
    }
    stone_t c = STONE_BLACK;
    for (int i = 0; i < pos->n_history; i++, c = stone_other(c)) {
        move_result_t r = game_play(g, c, pos->history[i]);
        if (r != MOVE_OK) {
            char v[16];
            snprintf(err, (size_t)errlen, "history move %d (%s %s) is %s", i + 1, color_letter(c),
                     vertex_format(pos->history[i], pos->size, v), move_result_text(r));
            game_free(g);
            return -1;
        }
    }
    return 0;
}

int gobench_parse_line(const char *text, size_t len, int line, gobench_pos_t *pos, char *err, int errlen)
{
    json_doc_t doc = {0};
    memset(pos, 0, sizeof *pos);
    pos->line = line;
    char jerr[160];
    if (json_parse(text, len, &doc, jerr, sizeof jerr)) {
        snprintf(err, (size_t)errlen, "bad JSON: %s", jerr);
        json_doc_free(&doc);
        return -1;
    }
    const json_value_t *root = doc.root, *v;
#define BAD(...) do { snprintf(err, (size_t)errlen, __VA_ARGS__); goto bad; } while (0)
    if (root->type != JSON_OBJECT) BAD("expected a JSON object");

    /* policy first: it fixes the board size. */
    v = json_get(root, "policy");
    if (!v || v->type != JSON_ARRAY) BAD("missing or non-array \"policy\"");
    int size = (int)lround(sqrt((double)(v->n - 1)));
    if (v->n < 5 || size * size + 1 != v->n || size > BOARD_MAX)
        BAD("\"policy\" has %d entries; expected size*size + 1 (82 on 9x9)", v->n);
    pos->size = size;
    pos->policy = xmalloc((size_t)v->n * sizeof *pos->policy);
    for (int i = 0; i < v->n; i++) {
        const json_value_t *x = v->items[i];
        /* <= FLT_MAX: a larger number becomes inf as a float, and every value inf/inf. */
        if (x->type != JSON_NUMBER || !(x->number >= 0) || !(x->number <= FLT_MAX))
            BAD("\"policy\"[%d] is not a non-negative number within float range", i);
        pos->policy[i] = (float)x->number;
        if (pos->policy[i] > pos->policy_max) pos->policy_max = pos->policy[i];
    }
    if (!(pos->policy_max > 0)) BAD("\"policy\" has no positive entry");

    v = json_get(root, "game");
    if (v && v->type == JSON_STRING) snprintf(pos->game, sizeof pos->game, "%s", v->string);
    v = json_get(root, "turn");
    /* Informational; converted only when it fits (a double outside int's range is UB to cast). */
    pos->turn = v && v->type == JSON_NUMBER && v->number >= 0 && v->number <= INT_MAX && v->number == floor(v->number)
                    ? (int)v->number
                    : -1;

    v = json_get(root, "history");
    if (!v || v->type != JSON_ARRAY) BAD("missing or non-array \"history\"");
    pos->n_history = v->n;
    pos->history = xmalloc((size_t)(v->n ? v->n : 1) * sizeof *pos->history);
    for (int i = 0; i < v->n; i++)
        if (get_vertex(v->items[i], size, &pos->history[i]))
            BAD("\"history\"[%d] is not a vertex on a %dx%d board", i, size, size);

    v = json_get(root, "to_move");
    if (!v || v->type != JSON_STRING || color_parse(v->string, &pos->to_move))
        BAD("missing or bad \"to_move\" (expected \"B\" or \"W\")");
    stone_t expect = pos->n_history % 2 ? STONE_WHITE : STONE_BLACK;
    if (pos->to_move != expect)
        BAD("\"to_move\" is %s but %d history moves alternating from Black leave %s to move",
            color_letter(pos->to_move), pos->n_history, color_letter(expect));

    if (get_vertex(json_get(root, "played"), size, &pos->played)) BAD("missing or bad \"played\" vertex");
    if (get_vertex(json_get(root, "best"), size, &pos->best)) BAD("missing or bad \"best\" vertex");
    v = json_get(root, "winrate_black");
    pos->winrate_black = v && v->type == JSON_NUMBER ? v->number : NAN;
    v = json_get(root, "score_lead_black");
    pos->score_lead_black = v && v->type == JSON_NUMBER ? v->number : NAN;

    /* The history must replay under our rules, and `best` must be legal there. */
    game_t g;
    char gerr[160];
    if (gobench_position(pos, &g, gerr, sizeof gerr)) BAD("%s", gerr);
    move_result_t r = game_check(&g, pos->to_move, pos->best);
    game_free(&g);
    if (r != MOVE_OK) BAD("\"best\" is %s in this position", move_result_text(r));
#undef BAD
    json_doc_free(&doc);
    return 0;
bad:
    json_doc_free(&doc);
    gobench_pos_free(pos);
    return -1;
}

int gobench_read(FILE *f, const char *label, gobench_set_t *set, FILE *msgs, char *err, int errlen)
{
    memset(set, 0, sizeof *set);
    /* Our own bounded line reader (getline would grow without limit on /dev/zero). */
    char *buf = xmalloc((size_t)GOBENCH_MAX_LINE + 1);
    uint64_t total = 0;
    int line = 0, rc = 0;
    for (;;) {
        size_t n = 0;
        bool any = false, too_long = false;
        int ch;
        while ((ch = getc_unlocked(f)) != EOF) {
            any = true;
            if (++total > GOBENCH_MAX_BYTES) break;
            if (ch == '\n') break;
            if (n < GOBENCH_MAX_LINE) buf[n++] = (char)ch;
            else too_long = true;
        }
        if (total > GOBENCH_MAX_BYTES) {
            snprintf(err, (size_t)errlen, "%s: larger than %d MiB, the position-set size limit", label,
                     GOBENCH_MAX_BYTES >> 20);
            rc = -1;
            break;
        }
        if (!any) break;
        line++;
        if (too_long) {
            set->n_bad++;
            if (msgs)
                fprintf(msgs, "%s:%d: line longer than %d MiB, the position line limit; line skipped\n", label, line,
                        GOBENCH_MAX_LINE >> 20);
            continue;
        }
        while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t')) n--;
        size_t s = 0;
        while (s < n && (buf[s] == ' ' || buf[s] == '\t')) s++;
        if (s == n) continue; /* blank line */
        if (set->n == set->cap) {
            set->cap = set->cap ? 2 * set->cap : 1024;
            set->pos = xrealloc(set->pos, (size_t)set->cap * sizeof *set->pos);
        }
        char why[300];
        if (gobench_parse_line(buf + s, n - s, line, &set->pos[set->n], why, sizeof why)) {
            set->n_bad++;
            if (msgs) fprintf(msgs, "%s:%d: %s; line skipped\n", label, line, why);
            continue;
        }
        set->n++;
    }
    free(buf);
    if (!rc && ferror(f)) {
        snprintf(err, (size_t)errlen, "error reading %s", label);
        rc = -1;
    }
    if (rc) gobench_set_free(set);
    return rc;
}

int gobench_load(const char *path, gobench_set_t *set, FILE *msgs, char *err, int errlen)
{
    memset(set, 0, sizeof *set);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, (size_t)errlen, "cannot read position set %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = gobench_read(f, path, set, msgs, err, errlen);
    fclose(f);
    return rc;
}

gobench_score_t gobench_score_move(const gobench_pos_t *pos, const game_t *g, int chosen)
{
    gobench_score_t s = {false, false, 0, MOVE_OK};
    int npts = pos->size * pos->size;
    if (chosen == VERTEX_PASS) s.why = MOVE_OK;
    else if (chosen < 0) s.why = MOVE_BAD_COLOR; /* resign or nothing: not a move */
    else if (chosen >= npts) s.why = MOVE_OFF_BOARD;
    else s.why = game_check(g, pos->to_move, chosen);
    s.legal = s.why == MOVE_OK;
    if (!s.legal) return s;
    s.best = chosen == pos->best;
    s.value = pos->policy[chosen == VERTEX_PASS ? npts : chosen] / pos->policy_max;
    return s;
}

void gobench_result_add(gobench_result_t *r, const gobench_score_t *s, int chosen)
{
    r->n++;
    r->n_legal += s->legal;
    r->n_best += s->best;
    r->n_pass += chosen == VERTEX_PASS;
    r->n_resign += chosen == VERTEX_RESIGN;
    r->n_occupied += s->why == MOVE_OCCUPIED;
    r->n_suicide += s->why == MOVE_SUICIDE;
    r->n_superko += s->why == MOVE_SUPERKO;
    r->n_off_board += s->why == MOVE_OFF_BOARD;
    r->value_sum += s->value;
    r->value_sumsq += s->value * s->value;
}

void gobench_result_finish(gobench_result_t *r)
{
    double n = r->n ? (double)r->n : 1;
    r->legal = (double)r->n_legal / n;
    r->best = (double)r->n_best / n;
    stats_wilson(r->n_legal, r->n, STATS_Z95, &r->legal_lo, &r->legal_hi);
    stats_wilson(r->n_best, r->n, STATS_Z95, &r->best_lo, &r->best_hi);
    r->value = stats_mean_ci(r->n, r->value_sum, r->value_sumsq, STATS_Z95, 0, 1, &r->value_lo, &r->value_hi);
}

int gobench_run(const gobench_set_t *set, eval_chooser_t *ch, gobench_progress_fn progress, void *pctx,
                FILE *dump, gobench_result_t *res, char *err, int errlen)
{
    memset(res, 0, sizeof *res);
    double t0 = time_wall();
    for (int i = 0; i < set->n; i++) {
        const gobench_pos_t *pos = &set->pos[i];
        game_t g;
        if (gobench_position(pos, &g, err, errlen)) return -1; /* checked at load: cannot happen */
        int chosen = VERTEX_NONE;
        char cerr[200] = "";
        if (ch->choose(ch, &g, pos->to_move, &chosen, cerr, sizeof cerr)) {
            snprintf(err, (size_t)errlen, "line %d: %s", pos->line, cerr);
            game_free(&g);
            return -1;
        }
        gobench_score_t s = gobench_score_move(pos, &g, chosen);
        game_free(&g);
        gobench_result_add(res, &s, chosen);
        if (dump) {
            char v[16] = "none";
            if (chosen == VERTEX_PASS || chosen == VERTEX_RESIGN ||
                (chosen >= 0 && chosen < pos->size * pos->size))
                vertex_format(chosen, pos->size, v);
            fprintf(dump, "{\"line\":%d,\"chosen\":\"%s\",\"legal\":%s,\"best\":%s,\"value\":%.6f}\n", pos->line,
                    v, s.legal ? "true" : "false", s.best ? "true" : "false",
                    s.value);
        }
        if (progress) progress(pctx, i + 1, set->n);
    }
    res->seconds = time_wall() - t0;
    gobench_result_finish(res);
    return 0;
}
