/* match.c: one game between two GTP engines (match_play_game) and the match runner
 * (match_run): parallel games, one transaction per finished game, resumption,
 * progress on stderr. The rules and end conditions are listed in match.h. */
#include "eval/match.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/deadstones.h"
#include "engine/sgf.h"
#include "engine/util.h"
#include "eval/gtp_client.h"
#include "eval/stats.h"

#define SETUP_TIMEOUT_S 60.0   /* name, boardsize, clear_board, ...: generous for slow loaders */
#define OWN_SCORE_SEED 20250131ULL

int match_default_max_moves(int size)
{
    int n = 4 * size * size;
    return n < 400 ? 400 : n;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    size_t k = 0;
    while (s[k] && isspace((unsigned char)s[k])) k++;
    if (k) memmove(s, s + k, n - k + 1);
}

int match_parse_result(const char *s, char *winner, double *score)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    trim(buf);
    for (char *q = buf; *q; q++) *q = (char)toupper((unsigned char)*q);
    if (!strcmp(buf, "0") || !strcmp(buf, "DRAW") || !strcmp(buf, "JIGO") || !strcmp(buf, "B+0") ||
        !strcmp(buf, "W+0")) {
        *winner = '0';
        *score = 0;
        return 0;
    }
    if ((buf[0] != 'B' && buf[0] != 'W') || buf[1] != '+') return -1;
    const char *m = buf + 2;
    double v;
    if (!strcmp(m, "R") || !strcmp(m, "RESIGN") || !strcmp(m, "T") || !strcmp(m, "TIME") || !strcmp(m, "F") ||
        !strcmp(m, "FORFEIT"))
        v = INFINITY;
    else {
        char *end;
        errno = 0;
        v = strtod(m, &end);
        if (end == m || *end || errno || !(v >= 0) || !isfinite(v)) return -1;
    }
    if (v == 0) {
        *winner = '0';
        *score = 0;
        return 0;
    }
    *winner = buf[0];
    *score = buf[0] == 'B' ? v : -v;
    return 0;
}

/* ---- one game ---- */

typedef struct {
    gtp_client_t c[2];   /* [0] Black, [1] White */
    double timeout_s;
} players_t;

static void forfeit(match_game_t *g, int loser, const char *reason, char code)
{
    g->winner = loser == 0 ? 'W' : 'B';
    snprintf(g->result, sizeof g->result, "%c+%c", g->winner, code);
    g->reason = reason;
    g->scored = false;
}

/* Status of a GTP exchange as a forfeit of engine k; returns true when it ended the game. */
static bool engine_failed(match_game_t *g, int k, gtp_status_t st, const char *what, const char *reply)
{
    const char *who = k == 0 ? "Black" : "White";
    switch (st) {
    case GTP_OK: return false;
    case GTP_TIMEOUT:
        forfeit(g, k, "timeout", 'T');
        snprintf(g->error, sizeof g->error, "%s engine: no answer to %s in time", who, what);
        return true;
    case GTP_FAILURE:
        forfeit(g, k, "crash", 'F');
        snprintf(g->error, sizeof g->error, "%s engine: %s failed: %.150s", who, what, reply);
        return true;
    case GTP_EOF:
    case GTP_PROTOCOL:
        forfeit(g, k, "crash", 'F');
        snprintf(g->error, sizeof g->error, "%s engine: %s during %s", who, gtp_status_text(st), what);
        return true;
    }
    return false;
}

/* Our own result: dead stones estimated, area counted, komi included. */
static double own_score(const game_t *gm)
{
    uint8_t status[BOARD_POINTS], dead[BOARD_POINTS];
    deadstones_estimate(&gm->board, gm->to_move, OWN_SCORE_SEED, status);
    for (int p = 0; p < board_points(&gm->board); p++) dead[p] = status[p] == STATUS_DEAD;
    return game_score(gm, dead);
}

static void score_game(players_t *pl, const game_t *gm, match_game_t *g)
{
    double t = pl->timeout_s > 30 ? pl->timeout_s : 30;
    char w[2];
    double s[2];
    bool ok[2];
    char *res[2] = {g->res_black, g->res_white};
    for (int k = 0; k < 2; k++) {
        gtp_status_t st = gtp_client_cmd(&pl->c[k], t, res[k], sizeof g->res_black, "final_score");
        trim(res[k]);
        ok[k] = st == GTP_OK && !match_parse_result(res[k], &w[k], &s[k]) && isfinite(s[k]);
        if (st != GTP_OK) snprintf(res[k], sizeof g->res_black, "?");
    }
    double own = own_score(gm);
    score_format((float)own, g->res_own, sizeof g->res_own);
    g->score_tt = game_score(gm, NULL);
    score_format((float)g->score_tt, g->res_tt, sizeof g->res_tt);
    g->score_est = own;
    g->score_agreed = ok[0] && ok[1] && w[0] == w[1] && fabs(s[0] - s[1]) < 1e-6 ? s[0] : NAN;
    g->scored = true;
    match_apply_scoring(g, MATCH_SCORING_AGREED);
}

void match_apply_scoring(match_game_t *g, match_scoring_t s)
{
    if (!g->scored) return;
    g->score = s == MATCH_SCORING_TROMP_TAYLOR ? g->score_tt
               : s == MATCH_SCORING_ESTIMATE || isnan(g->score_agreed) ? g->score_est
                                                                       : g->score_agreed;
    g->winner = g->score > 0 ? 'B' : g->score < 0 ? 'W' : '0';
    score_format((float)g->score, g->result, sizeof g->result);
}

const char *match_scoring_name(match_scoring_t s)
{
    return s == MATCH_SCORING_AGREED ? "agreed" : s == MATCH_SCORING_ESTIMATE ? "estimate" : "tromp-taylor";
}

int match_scoring_parse(const char *name, match_scoring_t *out)
{
    for (int s = MATCH_SCORING_TROMP_TAYLOR; s <= MATCH_SCORING_ESTIMATE; s++)
        if (!strcmp(name, match_scoring_name((match_scoring_t)s))) {
            *out = (match_scoring_t)s;
            return 0;
        }
    return -1;
}

static void push_move(match_game_t *g, int *cap, int p)
{
    if (g->n_moves == *cap) {
        *cap = *cap ? 2 * *cap : 128;
        g->moves = xrealloc(g->moves, (size_t)*cap * sizeof *g->moves);
    }
    g->moves[g->n_moves++] = p;
}

int match_play_game(const char *black_cmd, const char *white_cmd, int size, double komi, int max_moves,
                    double timeout_s, int stderr_black, int stderr_white, bool simple_ko, match_game_t *g,
                    char *err, int errlen)
{
    memset(g, 0, sizeof *g);
    players_t pl;
    pl.timeout_s = timeout_s;
    const char *cmds[2] = {black_cmd, white_cmd};
    int errfd[2] = {stderr_black, stderr_white};
    if (gtp_client_start(&pl.c[0], cmds[0], errfd[0], err, errlen)) return -1;
    if (gtp_client_start(&pl.c[1], cmds[1], errfd[1], err, errlen)) {
        gtp_client_stop(&pl.c[0], 0);
        return -1;
    }
    game_t gm;
    memset(&gm, 0, sizeof gm);
    if (game_init(&gm, size, (float)komi)) {
        snprintf(err, (size_t)errlen, "board size %d not supported", size);
        gtp_client_stop(&pl.c[0], 0);
        gtp_client_stop(&pl.c[1], 0);
        return -1;
    }
    double t_start = time_wall();
    int rc = 0, cap = 0;
    char reply[4096];

    /* Setup: a failure here means the engine cannot play this match at all. */
    for (int k = 0; k < 2 && !rc; k++) {
        const char *side = k == 0 ? "black" : "white";
        gtp_status_t st;
        if (gtp_client_cmd(&pl.c[k], SETUP_TIMEOUT_S, g->name[k], sizeof g->name[k], "name") != GTP_OK)
            snprintf(g->name[k], sizeof g->name[k], "?");
        trim(g->name[k]);
        if (gtp_client_cmd(&pl.c[k], SETUP_TIMEOUT_S, g->version[k], sizeof g->version[k], "version") != GTP_OK)
            g->version[k][0] = 0;
        trim(g->version[k]);
        if ((st = gtp_client_cmd(&pl.c[k], SETUP_TIMEOUT_S, reply, sizeof reply, "boardsize %d", size)) != GTP_OK ||
            (st = gtp_client_cmd(&pl.c[k], SETUP_TIMEOUT_S, reply, sizeof reply, "clear_board")) != GTP_OK) {
            snprintf(err, (size_t)errlen, "%s engine '%s' cannot start a %dx%d game: %s%s%s", side, cmds[k], size,
                     size, gtp_status_text(st), *reply ? ": " : "", reply);
            rc = -1;
            break;
        }
        /* the ko rule, to engines that take it (KataGo) */
        if (!rc && gtp_client_cmd(&pl.c[k], SETUP_TIMEOUT_S, reply, sizeof reply, "known_command kata-set-rule") ==
                       GTP_OK &&
            !strcmp(reply, "true"))
            gtp_client_cmd(&pl.c[k], SETUP_TIMEOUT_S, reply, sizeof reply, "kata-set-rule ko %s",
                           simple_ko ? "SIMPLE" : "POSITIONAL");
        /* komi is optional in practice (gogui-twogtp sends it "if supported"). */
        st = gtp_client_cmd(&pl.c[k], SETUP_TIMEOUT_S, reply, sizeof reply, "komi %g", komi);
        if (st == GTP_EOF || st == GTP_TIMEOUT || st == GTP_PROTOCOL) {
            snprintf(err, (size_t)errlen, "%s engine '%s': %s after komi", side, cmds[k], gtp_status_text(st));
            rc = -1;
        }
    }

    /* Play. */
    stone_t color = STONE_BLACK;
    bool over = rc != 0;
    while (!over) {
        int k = color == STONE_BLACK ? 0 : 1;
        if (g->n_moves >= max_moves) {
            g->reason = "move-limit";
            score_game(&pl, &gm, g);
            break;
        }
        double t0 = time_wall();
        gtp_status_t st = gtp_client_cmd(&pl.c[k], timeout_s, reply, sizeof reply, "genmove %s",
                                         color == STONE_BLACK ? "b" : "w");
        double dt = time_wall() - t0;
        if (k == 0) g->time_black_s += dt;
        else g->time_white_s += dt;
        if (engine_failed(g, k, st, "genmove", reply)) break;
        trim(reply);
        int p;
        if (!strcasecmp(reply, "resign")) {
            forfeit(g, k, "resign", 'R');
            break;
        }
        if (vertex_parse(reply, size, &p)) {
            forfeit(g, k, "illegal", 'F');
            snprintf(g->error, sizeof g->error, "%s engine answered genmove with '%.100s', not a vertex",
                     k == 0 ? "Black" : "White", reply);
            break;
        }
        move_result_t r = simple_ko ? game_play_simple_ko(&gm, color, p) : game_play(&gm, color, p);
        if (r != MOVE_OK) {
            char v[16];
            static const char *why[] = {"legal", "off the board", "occupied", "suicide", "a superko repetition",
                                        "of a bad colour"};
            forfeit(g, k, "illegal", 'F');
            snprintf(g->error, sizeof g->error, "%s engine played %s, which is %s", k == 0 ? "Black" : "White",
                     vertex_format(p, size, v), why[r]);
            break;
        }
        push_move(g, &cap, p);
        char v[16];
        vertex_format(p, size, v);
        st = gtp_client_cmd(&pl.c[1 - k], timeout_s, reply, sizeof reply, "play %s %s",
                            color == STONE_BLACK ? "b" : "w", v);
        if (st == GTP_FAILURE) {
            /* gomill's rule: the opponent refusing a move forfeits the mover. */
            forfeit(g, k, "illegal", 'F');
            snprintf(g->error, sizeof g->error, "%s engine refused %s %s: %.150s", k == 0 ? "White" : "Black",
                     color_letter(color), v, reply);
            break;
        }
        if (engine_failed(g, 1 - k, st, "play", reply)) break;
        if (game_over(&gm)) {
            g->reason = "passes";
            score_game(&pl, &gm, g);
            break;
        }
        color = stone_other(color);
    }
    g->duration_s = time_wall() - t_start;
    gtp_client_stop(&pl.c[0], 2.0);
    gtp_client_stop(&pl.c[1], 2.0);
    game_free(&gm);
    if (rc) {
        free(g->moves);
        g->moves = NULL;
    }
    return rc;
}

/* ---- the runner ---- */

typedef struct {
    pthread_mutex_t lock;
    db_t *db;
    const match_opts_t *o;
    db_match_t m;
    int max_moves;
    unsigned char *state;      /* per game index: 0 to play, 1 done, 2 being played */
    int done_total, done_session;
    double score_a;            /* points of the --black program (win 1, jigo 0.5) */
    int wins_a, wins_b, draws;
    double t_start;
    bool abort;
    char err[600];
} runner_t;

static int open_log(const runner_t *r, int index, const char *side)
{
    if (!r->o->log_dir) return open("/dev/null", O_WRONLY | O_CLOEXEC);
    char path[4096];
    snprintf(path, sizeof path, "%s/m%lld-g%d-%s.log", r->o->log_dir, (long long)r->m.id, index, side);
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static char *join_moves(const match_game_t *g, int size)
{
    size_t cap = (size_t)g->n_moves * 8 + 1;
    char *s = xmalloc(cap), v[16];
    size_t n = 0;
    s[0] = 0;
    for (int i = 0; i < g->n_moves; i++)
        n += (size_t)snprintf(s + n, cap - n, "%s%s", i ? " " : "", vertex_format(g->moves[i], size, v));
    return s;
}

/* The SGF of a finished game; NULL if the SGF writer failed. */
static char *game_sgf(const runner_t *r, const match_game_t *g, const char *pb, const char *pw, int index)
{
    sgf_game_t s;
    memset(&s, 0, sizeof s);
    s.size = r->m.size;
    s.komi = (float)r->m.komi;
    s.has_komi = true;
    char rules[] = "Chinese", date[16], app[32], comment[1024];
    char now[32];
    db_now(now);
    snprintf(date, sizeof date, "%.10s", now);
    snprintf(app, sizeof app, "videogo:%s", VIDEOGO_VERSION);
    int n = snprintf(comment, sizeof comment, "videogo match %lld game %d: %s (%s); final_score Black %s, White %s, own %s",
                     (long long)r->m.id, index, g->result, g->reason, g->res_black, g->res_white, g->res_own);
    if (g->error[0] && n < (int)sizeof comment) snprintf(comment + n, sizeof comment - (size_t)n, "; %s", g->error);
    s.rules = rules;
    s.black = (char *)pb;
    s.white = (char *)pw;
    char result[32];
    snprintf(result, sizeof result, "%s", g->result);
    s.result = result;
    s.date = date;
    s.application = app;
    s.comment = comment;
    sgf_move_t *mv = xmalloc((size_t)(g->n_moves ? g->n_moves : 1) * sizeof *mv);
    for (int i = 0; i < g->n_moves; i++) {
        mv[i].color = i % 2 ? STONE_WHITE : STONE_BLACK;
        mv[i].point = g->moves[i];
        mv[i].kb = VERTEX_NONE;
    }
    s.moves = mv;
    s.n_moves = g->n_moves;
    char *text = sgf_write(&s);
    free(mv);
    return text;
}

static const char *engine_label(db_t *db, int64_t id, char *buf, int buflen)
{
    sqlite3_stmt *st;
    snprintf(buf, (size_t)buflen, "?");
    if (sqlite3_prepare_v2(db->h, "SELECT label FROM engines WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) snprintf(buf, (size_t)buflen, "%s", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    return buf;
}

/* Writes one game in one transaction. Called with r->lock held. */
/* The options of a command line as units: "--opt value" pairs and lone words, the program and
 * anything holding "{game}" (with the option before it) left out. Returns the count. */
static int option_units(const char *cmd, char units[][256], int max)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", cmd);
    char *tok[256];
    int nt = 0;
    for (char *t = strtok(buf, " \t"); t && nt < 256; t = strtok(NULL, " \t")) tok[nt++] = t;
    int n = 0;
    for (int i = 1; i < nt && n < max; i++) {
        bool pair = tok[i][0] == '-' && i + 1 < nt && tok[i + 1][0] != '-';
        bool game = strstr(tok[i], "{game}") || (pair && strstr(tok[i + 1], "{game}"));
        if (!game) {
            if (pair) snprintf(units[n++], 256, "%s %s", tok[i], tok[i + 1]);
            else snprintf(units[n++], 256, "%s", tok[i]);
        }
        if (pair) i++;
    }
    return n;
}

void match_default_label(const char *cmd, const char *other, const char *name, const char *version, char *out,
                         int outlen)
{
    char a[64][256], b[64][256];
    int na = option_units(cmd, a, 64), nb = option_units(other, b, 64);
    int n = snprintf(out, (size_t)outlen, "%s%s%s", name && *name ? name : "engine", version && *version ? " " : "",
                     version ? version : "");
    for (int i = 0; i < na && n < outlen; i++) {
        bool shared = false;
        for (int j = 0; j < nb && !shared; j++) shared = !strcmp(a[i], b[j]);
        if (!shared) n += snprintf(out + n, (size_t)(outlen - n), " %s", a[i]);
    }
}

static int record_game(runner_t *r, int index, const match_game_t *g, const char *bcmd, const char *wcmd,
                       const char *blabel, const char *wlabel)
{
    db_t *db = r->db;
    char lb[512], lw[512];
    if (!blabel) match_default_label(bcmd, wcmd, g->name[0], g->version[0], lb, sizeof lb), blabel = lb;
    if (!wlabel) match_default_label(wcmd, bcmd, g->name[1], g->version[1], lw, sizeof lw), wlabel = lw;
    if (db_begin(db)) goto fail;
    int64_t eb = db_engine_get(db, bcmd, g->name[0], g->version[0], blabel);
    int64_t ew = eb > 0 ? db_engine_get(db, wcmd, g->name[1], g->version[1], wlabel) : -1;
    if (eb < 0 || ew < 0) goto fail_rollback;
    char pb[512], pw[512];
    engine_label(db, eb, pb, sizeof pb);
    engine_label(db, ew, pw, sizeof pw);
    char *sgf = game_sgf(r, g, pb, pw, index);
    if (!sgf) {
        db_rollback(db);
        snprintf(r->err, sizeof r->err, "the SGF writer failed for game %d", index);
        return -1;
    }
    char *moves = join_moves(g, r->m.size);
    db_game_t row = {
        .match_id = r->m.id, .game_index = index, .black_id = eb, .white_id = ew, .winner = g->winner,
        .result = g->result, .reason = g->reason, .scored = g->scored, .score = g->score,
        .res_black = g->scored ? g->res_black : g->result, .res_white = g->scored ? g->res_white : g->result,
        .res_own = g->scored ? g->res_own : "?", .res_tt = g->scored ? g->res_tt : "?",
        .scoring = match_scoring_name(r->o->scoring), .ko = r->o->simple_ko ? "simple" : "positional", .moves = g->n_moves, .move_list = moves,
        .duration_s = g->duration_s, .time_black_s = g->time_black_s, .time_white_s = g->time_white_s,
        .error = g->error[0] ? g->error : NULL, .sgf = sgf};
    int64_t id = db_game_insert(db, &row);
    free(moves);
    free(sgf);
    if (id < 0) goto fail_rollback;
    if (db_commit(db)) goto fail_rollback;
    return 0;
fail_rollback:;
    char keep[sizeof db->err];
    memcpy(keep, db->err, sizeof keep);
    db_rollback(db);
    memcpy(db->err, keep, sizeof keep);
fail:
    snprintf(r->err, sizeof r->err, "cannot record game %d: %s", index, db_error(db));
    return -1;
}

static void fmt_secs(double s, char *buf, int len)
{
    if (s < 90) snprintf(buf, (size_t)len, "%.0f s", s);
    else if (s < 5400) snprintf(buf, (size_t)len, "%.1f min", s / 60);
    else snprintf(buf, (size_t)len, "%.1f h", s / 3600);
}

/* Adds a finished game to the tally (from the --black program's side). */
static void tally(runner_t *r, int index, char winner)
{
    char a_colour = index % 2 ? 'W' : 'B';
    if (winner == '0') {
        r->draws++;
        r->score_a += 0.5;
    } else if (winner == a_colour) {
        r->wins_a++;
        r->score_a += 1;
    } else {
        r->wins_b++;
    }
}

static void progress(runner_t *r, int index, const match_game_t *g)
{
    if (r->o->quiet) return;
    int n = r->wins_a + r->wins_b + r->draws;
    double p = n ? r->score_a / n : 0, se = n ? sqrt(p * (1 - p) / n) : 0;
    double elapsed = time_wall() - r->t_start;
    int left = r->m.games - r->done_total;
    char eta[32] = "-", el[32];
    if (r->done_session > 0 && left > 0) fmt_secs(elapsed / r->done_session * left, eta, sizeof eta);
    else if (left <= 0) snprintf(eta, sizeof eta, "done");
    fmt_secs(elapsed, el, sizeof el);
    fprintf(stderr,
            "match %lld: game %d/%d (index %d, A %s) %s by %s, %d moves, %.1f s | A %d - B %d - jigo %d: "
            "A %.1f%% +- %.1f%% | %s elapsed, ETA %s\n",
            (long long)r->m.id, r->done_total, r->m.games, index, index % 2 ? "White" : "Black", g->result, g->reason,
            g->n_moves, g->duration_s, r->wins_a, r->wins_b, r->draws, 100 * p, 100 * se, el, eta);
    fflush(stderr);
}

/* The command with every "{game}" replaced by the game's index (0-based), so that engines
 * which are deterministic for a seed can play different, reproducible games:
 * "videogo gtp --seed {game}". */
static void expand_game(const char *cmd, int index, char *out, size_t outlen)
{
    size_t n = 0;
    const char *s = cmd;
    out[0] = 0;
    while (*s && n + 1 < outlen) {
        if (!strncmp(s, "{game}", 6)) {
            int k = snprintf(out + n, outlen - n, "%d", index);
            if (k < 0 || (size_t)k >= outlen - n) break;
            n += (size_t)k;
            s += 6;
        } else {
            out[n++] = *s++;
            out[n] = 0;
        }
    }
}

static void *worker(void *arg)
{
    runner_t *r = arg;
    const match_opts_t *o = r->o;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int index = -1;
        if (!r->abort)
            for (int i = 0; i < r->m.games; i++)
                if (r->state[i] == 0) {
                    index = i;
                    r->state[i] = 2;
                    break;
                }
        pthread_mutex_unlock(&r->lock);
        if (index < 0) return NULL;

        bool swap = index % 2 == 1;
        const char *bcmd = swap ? o->white_cmd : o->black_cmd, *wcmd = swap ? o->black_cmd : o->white_cmd;
        const char *blabel = swap ? o->white_label : o->black_label;
        const char *wlabel = swap ? o->black_label : o->white_label;
        int fb = open_log(r, index, "black"), fw = open_log(r, index, "white");
        match_game_t g;
        char err[600];
        char bx[4096], wx[4096];
        expand_game(bcmd, index, bx, sizeof bx);
        expand_game(wcmd, index, wx, sizeof wx);
        int rc = match_play_game(bx, wx, r->m.size, r->m.komi, r->max_moves, o->timeout_s, fb, fw, o->simple_ko, &g,
                                 err, sizeof err);
        if (fb >= 0) close(fb);
        if (fw >= 0) close(fw);
        if (!rc) match_apply_scoring(&g, o->scoring);
        pthread_mutex_lock(&r->lock);
        if (rc) {
            if (!r->abort)
                snprintf(r->err, sizeof r->err, "%.500s%s", err,
                         o->log_dir ? "" : " (--log-dir DIR keeps the engines' stderr)");
            r->abort = true;
        } else if (record_game(r, index, &g, bcmd, wcmd, blabel, wlabel)) {
            r->abort = true;
        } else {
            r->state[index] = 1;
            r->done_total++;
            r->done_session++;
            tally(r, index, g.winner);
            progress(r, index, &g);
        }
        pthread_mutex_unlock(&r->lock);
        free(g.moves);
    }
}

/* Tally of the games of this match already in the database. */
static int load_tally(runner_t *r)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db->h, "SELECT game_index, winner FROM games WHERE match_id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, r->m.id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int i = sqlite3_column_int(st, 0);
        const char *w = (const char *)sqlite3_column_text(st, 1);
        if (i < r->m.games) tally(r, i, w ? w[0] : '0');
    }
    sqlite3_finalize(st);
    return 0;
}

static void summary(const runner_t *r, FILE *out)
{
    int n = r->wins_a + r->wins_b + r->draws;
    double p = n ? r->score_a / n : 0, se = n ? sqrt(p * (1 - p) / n) : 0;
    fprintf(out, "match %lld: %d of %d games recorded in the database\n", (long long)r->m.id, r->done_total,
            r->m.games);
    fprintf(out, "  A = %s\n  B = %s\n", r->o->black_cmd, r->o->white_cmd);
    fprintf(out, "  A wins %d, B wins %d, jigo %d: A scores %.1f%% +- %.1f%% (standard error)\n", r->wins_a,
            r->wins_b, r->draws, 100 * p, 100 * se);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db->h,
                           "SELECT reason, COUNT(*), AVG(moves), AVG(duration_s), SUM(time_black_s + time_white_s), "
                           "SUM(moves) FROM games WHERE match_id = ?1 GROUP BY reason ORDER BY COUNT(*) DESC",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, r->m.id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            double moves = sqlite3_column_double(st, 5);
            fprintf(out, "  %-10s %4d games, %.0f moves and %.1f s per game, %.3f s per move (both engines)\n",
                    sqlite3_column_text(st, 0), sqlite3_column_int(st, 1), sqlite3_column_double(st, 2),
                    sqlite3_column_double(st, 3), moves > 0 ? sqlite3_column_double(st, 4) / moves : 0);
        }
        sqlite3_finalize(st);
    }
    if (sqlite3_prepare_v2(r->db->h,
                           "SELECT COUNT(*), SUM(substr(res_tt, 1, 1) != substr(res_own, 1, 1)), "
                           "SUM(res_black = res_white AND res_black != '?' AND "
                           "substr(res_tt, 1, 1) != substr(res_black, 1, 1)) FROM games "
                           "WHERE match_id = ?1 AND score IS NOT NULL AND res_tt != '?'",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, r->m.id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0)
            fprintf(out, "  scored by %s; of %d counted games, our estimate names another winner than Tromp-Taylor "
                         "in %d, the engines' agreed score in %d\n",
                    match_scoring_name(r->o->scoring), sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                    sqlite3_column_int(st, 2));
        sqlite3_finalize(st);
    }
    /* each engine's own time: A is Black in the even games; Black plays the odd-numbered moves */
    if (sqlite3_prepare_v2(r->db->h,
                           "SELECT SUM(CASE WHEN game_index % 2 = 0 THEN time_black_s ELSE time_white_s END), "
                           "SUM(CASE WHEN game_index % 2 = 0 THEN (moves + 1) / 2 ELSE moves / 2 END), "
                           "SUM(CASE WHEN game_index % 2 = 0 THEN time_white_s ELSE time_black_s END), "
                           "SUM(CASE WHEN game_index % 2 = 0 THEN moves / 2 ELSE (moves + 1) / 2 END) "
                           "FROM games WHERE match_id = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, r->m.id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            double ta = sqlite3_column_double(st, 0), tb = sqlite3_column_double(st, 2);
            long ma = sqlite3_column_int64(st, 1), mb = sqlite3_column_int64(st, 3);
            fprintf(out, "  A %.3f s per genmove (%ld moves), B %.3f s per genmove (%ld moves)\n", ma ? ta / ma : 0,
                    ma, mb ? tb / mb : 0, mb);
        }
        sqlite3_finalize(st);
    }
}

int match_run(const char *db_path, const match_opts_t *o, FILE *out, char *err, int errlen)
{
    /* A dead engine must show up as an error on its pipe, not kill us. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    if (o->size < BOARD_MIN || o->size > BOARD_MAX) {
        snprintf(err, (size_t)errlen, "--size %d: must be %d..%d", o->size, BOARD_MIN, BOARD_MAX);
        return -1;
    }
    if (o->games < 1) {
        snprintf(err, (size_t)errlen, "--games must be at least 1");
        return -1;
    }
    if (o->log_dir && mkdir(o->log_dir, 0755) && errno != EEXIST) {
        snprintf(err, (size_t)errlen, "cannot create log directory %s: %s", o->log_dir, strerror(errno));
        return -1;
    }
    runner_t r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.lock, NULL);
    r.o = o;
    r.max_moves = o->max_moves > 0 ? o->max_moves : match_default_max_moves(o->size);
    r.db = db_open(db_path, err, errlen);
    if (!r.db) return -1;
    r.m = (db_match_t){.id = o->match_id, .black_cmd = o->black_cmd, .white_cmd = o->white_cmd, .size = o->size,
                       .komi = o->komi, .games = o->games, .max_moves = r.max_moves};
    int rc = -1;
    if (db_match_open(r.db, &r.m, o->force_new)) {
        snprintf(err, (size_t)errlen, "%s", db_error(r.db));
        goto out;
    }
    r.state = xcalloc((size_t)r.m.games, 1);
    int done = db_match_done(r.db, r.m.id, r.state, r.m.games);
    if (done < 0 || load_tally(&r)) {
        snprintf(err, (size_t)errlen, "%s", db_error(r.db));
        goto out;
    }
    for (int i = 0; i < r.m.games; i++) r.done_total += r.state[i];
    if (!o->quiet)
        fprintf(stderr, "match %lld: %s %d games on %dx%d, komi %g, move limit %d, %d thread%s; %d already played\n",
                (long long)r.m.id, done ? "resuming," : "starting,", r.m.games, r.m.size, r.m.size, r.m.komi,
                r.max_moves, o->threads, o->threads == 1 ? "" : "s", r.done_total);
    r.t_start = time_wall();
    int nt = o->threads < 1 ? 1 : o->threads;
    if (nt > r.m.games - r.done_total) nt = r.m.games - r.done_total;
    if (nt <= 1) {
        worker(&r);
    } else {
        pthread_t *th = xcalloc((size_t)nt, sizeof *th);
        int started = 0;
        for (int i = 0; i < nt; i++)
            if (pthread_create(&th[i], NULL, worker, &r) == 0) started++;
            else break;
        if (!started) worker(&r);
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        free(th);
    }
    if (r.abort) {
        if (!r.done_total) {
            /* nothing was ever played: an engine that cannot start leaves no empty match behind */
            sqlite3_stmt *del;
            if (sqlite3_prepare_v2(r.db->h,
                                   "DELETE FROM matches WHERE id = ?1 AND NOT EXISTS "
                                   "(SELECT 1 FROM games WHERE match_id = ?1)",
                                   -1, &del, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(del, 1, r.m.id);
                sqlite3_step(del);
                sqlite3_finalize(del);
            }
            snprintf(err, (size_t)errlen, "%s (nothing recorded)", r.err);
        } else {
            snprintf(err, (size_t)errlen, "%s (match %lld: %d of %d games recorded; rerun to resume)", r.err,
                     (long long)r.m.id, r.done_total, r.m.games);
        }
        goto out;
    }
    summary(&r, out);
    rc = 0;
out:
    free(r.state);
    db_close(r.db);
    pthread_mutex_destroy(&r.lock);
    return rc;
}
