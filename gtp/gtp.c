/* gtp.c: the GTP v2 engine loop: input preprocessing, framing, a table of command
 * handlers, and streamed analysis (lz-analyze / kata-analyze and their genmove forms).
 *
 * Framing (GTP.md 1.1): every answer is `=[id] text\n\n` or `?[id] message\n\n`, with a
 * space after `=`/id even when the text is empty, no empty line inside (empty lines are
 * dropped from multi-line texts), and a flush after each. Input: CR and other control
 * characters are removed, HT becomes a space, `#` starts a comment, and a line that is
 * empty after that gets no answer. Analysis answers are streamed: `=[id]`, then `info`
 * lines every interval until any new input arrives, then the empty line.
 *
 * Input is read with our own buffer: read() + poll() on pipes and terminals (so that
 * analysis can wait for "any new input" without losing pipelined commands to stdio
 * buffering), stdio on regular files and memory streams, which never block.
 *
 * Every handler has a GNU Go style block: Function / Arguments / Fails / Returns. The
 * handlers only parse and format; rules, scoring and dead stones are engine/'s.
 */
#include "gtp/gtp.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/deadstones.h"
#include "engine/sgf.h"
#include "engine/util.h"
#include "model/policy.h"
#include "player/learned.h"
#include "render/render.h"

#ifndef VIDEOGO_VERSION
#define VIDEOGO_VERSION "0"
#endif

/* ---- input ---- */

typedef struct {
    FILE *f;               /* stdio mode: regular file or memory stream */
    int fd;                /* fd mode (f == NULL): pipe, socket or terminal; -1: no input */
    unsigned char buf[65536];
    size_t pos, len;       /* unread bytes buf[pos..len) in fd mode */
    bool eof;
} reader_t;

/* Next byte or EOF. fd mode blocks in read() when the buffer is empty. */
static int reader_getc(reader_t *r)
{
    if (r->f) return getc(r->f);
    if (r->pos < r->len) return r->buf[r->pos++]; /* bytes read before the end was seen */
    if (r->fd < 0 || r->eof) return EOF;
    while (r->pos == r->len) {
        ssize_t n = read(r->fd, r->buf, sizeof r->buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            r->eof = true;
            return EOF;
        }
        r->pos = 0;
        r->len = (size_t)n;
    }
    return r->buf[r->pos++];
}

/* True when input is waiting (or input has ended) within `seconds` (< 0: wait for
 * ever). Streams that never block (stdio mode, no input) always count as waiting, so an
 * analysis run from a file or from gtp_execute prints one line and stops. */
static bool reader_wait(reader_t *r, double seconds)
{
    if (!r || r->f || r->fd < 0 || r->eof || r->pos < r->len) return true;
    double deadline = time_wall() + seconds;
    for (;;) {
        int ms = -1;
        if (seconds >= 0) {
            double left = deadline - time_wall();
            ms = left <= 0 ? 0 : (int)(left * 1000.0 + 0.999);
        }
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        int n = poll(&p, 1, ms);
        if (n > 0) return true;  /* data, hang-up or error: the next read tells */
        if (n == 0) return false;
        if (errno != EINTR) return true;
    }
}

/* True when a `# interrupt` line (GoGui) is waiting in the input, or the input has ended.
 * Reads what is available without blocking (fd mode) and leaves it in the buffer, so the
 * lines are then processed as usual (the comment line is ignored there). */
static bool reader_interrupt_waiting(reader_t *r)
{
    if (!r || r->f || r->fd < 0) return false;
    if (r->eof) return true;
    struct pollfd pf = {.fd = r->fd, .events = POLLIN};
    if (poll(&pf, 1, 0) > 0) {
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->pos = 0;
        }
        if (r->len < sizeof r->buf) {
            ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
            if (n == 0) r->eof = true;
            if (n > 0) r->len += (size_t)n;
        }
    }
    for (size_t i = r->pos; i < r->len; i++) {
        if (i > r->pos && r->buf[i - 1] != '\n') continue;
        static const char want[] = "# interrupt";
        size_t k = 0;
        while (k < sizeof want - 1 && i + k < r->len && r->buf[i + k] == (unsigned char)want[k]) k++;
        if (k == sizeof want - 1) return true;
    }
    return r->eof && r->pos == r->len;
}

/* ---- growable text buffer (reply text, analysis lines) ---- */

typedef struct {
    char *s;
    size_t len, cap;
    bool oom;  /* an append failed: the text is truncated */
} strbuf_t;

static void sb_reset(strbuf_t *b)
{
    b->len = 0;
    b->oom = false;
    if (b->s) b->s[0] = '\0';
}

static bool sb_reserve(strbuf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

__attribute__((format(printf, 2, 0)))
static void sb_vprintf(strbuf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !sb_reserve(b, (size_t)n)) return;
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(strbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

static void sb_puts(strbuf_t *b, const char *s)
{
    size_t n = strlen(s);
    if (!sb_reserve(b, n)) return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

/* ---- the context ---- */

struct gtp {
    gtp_config_t cfg;
    char *name, *version, *base_dir;  /* owned copies of the cfg strings */
    char *read_root, *out_root;       /* realpath of the folders files may be read from / written to
                                         (out_root NULL: no file output) */
    bool read_dir_given;              /* else read_root follows base_dir */
    player_t *player;
    game_t game;
    gtp_time_t time;

    /* the command being answered */
    FILE *out;
    reader_t *reader;   /* NULL in gtp_execute: no further input */
    int id;             /* -1: the command had no id */
    strbuf_t reply;
    bool write_error;

    /* input line and its tokens */
    char *line;
    size_t line_cap;
    char **argv;
    int argv_cap;

    /* dead-stone estimate of the last position asked about */
    bool ds_valid;
    uint64_t ds_hash;
    int ds_size;
    stone_t ds_to_move;
    uint8_t ds_status[BOARD_POINTS];
};

typedef enum {
    REPLY_OK = 0,     /* success, text in ctx->reply */
    REPLY_FAIL,       /* failure, message in ctx->reply */
    REPLY_STREAMED,   /* the handler wrote the whole response itself */
    REPLY_QUIT,       /* success, then leave the loop */
} reply_t;

typedef reply_t (*handler_fn)(gtp_t *ctx, int argc, char **argv);

typedef struct {
    const char *name;
    handler_fn fn;
    unsigned needs;      /* NEEDS_* the player must meet for the command to exist */
} command_t;

#define NEEDS_ANALYZE 1u  /* the player has an analyze function */
#define NEEDS_LEARNED 2u  /* the player is the learned one (imagined frames) */

static const command_t *command_find(const gtp_t *ctx, const char *name);
static const command_t *command_table(void);
static bool command_available(const gtp_t *ctx, const command_t *c);

__attribute__((format(printf, 2, 3)))
static reply_t ok(gtp_t *ctx, const char *fmt, ...)
{
    sb_reset(&ctx->reply);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&ctx->reply, fmt, ap);
    va_end(ap);
    return REPLY_OK;
}

static reply_t fail(gtp_t *ctx, const char *msg)
{
    sb_reset(&ctx->reply);
    sb_puts(&ctx->reply, msg);
    return REPLY_FAIL;
}

/* Writes `=[id] text\n\n` or `?[id] text\n\n` and flushes. The first line of text
 * follows the space after `=`/id (it may be empty, as in showboard's "= \n"); later
 * lines that are empty or only spaces are dropped, since controllers end a response at
 * the first empty line. */
static void respond(gtp_t *ctx, bool success, const char *text, size_t len)
{
    FILE *o = ctx->out;
    putc(success ? '=' : '?', o);
    if (ctx->id >= 0) fprintf(o, "%d", ctx->id);
    putc(' ', o);
    for (size_t i = 0; i < len;) {
        size_t n = 0;
        while (i + n < len && text[i + n] != '\n') n++;
        bool blank = true;
        for (size_t k = 0; k < n; k++) blank &= text[i + k] == ' ';
        if (i == 0 || !blank) {
            if (i) putc('\n', o);
            fwrite(text + i, 1, n, o);
        }
        i += n + 1;
    }
    fputs("\n\n", o);
    if (fflush(o) != 0 || ferror(o)) ctx->write_error = true;
}

static void respond_error(gtp_t *ctx, const char *msg) { respond(ctx, false, msg, strlen(msg)); }

/* ---- argument parsing ---- */

/* GTP numbers are decimal (GTP 2 section 2.5): an optional sign, digits, and for a float an
 * optional fraction; no hexadecimal, exponent, infinity, NaN or surrounding blanks. */
static bool decimal(const char *s, bool fraction)
{
    if (*s == '+' || *s == '-') s++;
    int digits = 0;
    while (isdigit((unsigned char)*s)) s++, digits++;
    if (fraction && *s == '.') {
        s++;
        while (isdigit((unsigned char)*s)) s++, digits++;
    }
    return digits > 0 && !*s;
}

static bool parse_int(const char *s, int *out)
{
    if (!decimal(s, false)) return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < INT_MIN || v > INT_MAX) return false;
    *out = (int)v;
    return true;
}

static bool parse_float(const char *s, double *out)
{
    if (!decimal(s, true)) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) return false;
    *out = v;
    return true;
}

static bool parse_color(const char *s, stone_t *c) { return color_parse(s, c) == 0; }

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Appends the points as GTP vertices separated by `sep`, in board-scan order. */
static void append_vertices(strbuf_t *b, int *pts, int n, int size, const char *sep)
{
    char v[16];
    qsort(pts, (size_t)n, sizeof *pts, cmp_int);
    for (int i = 0; i < n; i++) {
        if (i) sb_puts(b, sep);
        sb_puts(b, vertex_format(pts[i], size, v));
    }
}

static bool board_empty(const game_t *g)
{
    for (int p = 0; p < board_points(&g->board); p++)
        if (board_at(&g->board, p) != STONE_EMPTY) return false;
    return g->n_moves == 0;
}

/* Dead-stone statuses of the current position, cached per position and side to move. */
static const uint8_t *dead_status(gtp_t *ctx)
{
    const game_t *g = &ctx->game;
    if (!ctx->ds_valid || ctx->ds_hash != g->board.hash || ctx->ds_size != g->board.size ||
        ctx->ds_to_move != g->to_move) {
        deadstones_estimate(&g->board, g->to_move, ctx->cfg.seed, ctx->ds_status);
        ctx->ds_valid = true;
        ctx->ds_hash = g->board.hash;
        ctx->ds_size = g->board.size;
        ctx->ds_to_move = g->to_move;
    }
    return ctx->ds_status;
}

/* Plays a move the player chose; a point the rules refuse (a player bug) becomes a
 * pass with a warning on stderr rather than a broken game. */
static int play_generated(gtp_t *ctx, stone_t color, int point)
{
    if (point == VERTEX_RESIGN) return point;
    if (game_play(&ctx->game, color, point) != MOVE_OK) {
        char v[16];
        fprintf(stderr, "gtp: player '%s' chose illegal %s for %s; passing\n", ctx->player->name,
                vertex_format(point, ctx->game.board.size, v), color_letter(color));
        point = VERTEX_PASS;
        game_play(&ctx->game, color, point);
    }
    return point;
}

/* ===================================================================== */
/* Administrative commands                                                */
/* ===================================================================== */

/* Function:  Report the protocol version.
 * Arguments: none
 * Fails:     never
 * Returns:   2
 */
static reply_t cmd_protocol_version(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "2");
}

/* Function:  Report the engine's name (without version).
 * Arguments: none
 * Fails:     never
 * Returns:   the name ("videogo" or --name)
 */
static reply_t cmd_name(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%s", ctx->name);
}

/* Function:  Report the engine's version.
 * Arguments: none
 * Fails:     never
 * Returns:   version string, with the player in use ("0.1.0 (player random)")
 */
static reply_t cmd_version(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%s (player %s)", ctx->version, ctx->player->name);
}

/* Function:  Tell whether a command is known.
 * Arguments: command name
 * Fails:     never
 * Returns:   true or false
 */
static reply_t cmd_known_command(gtp_t *ctx, int argc, char **argv)
{
    return ok(ctx, "%s", argc >= 1 && command_find(ctx, argv[0]) ? "true" : "false");
}

/* Function:  List all known commands.
 * Arguments: none
 * Fails:     never
 * Returns:   one command name per line
 */
static reply_t cmd_list_commands(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    sb_reset(&ctx->reply);
    for (const command_t *c = command_table(); c->name; c++)
        if (command_available(ctx, c)) sb_printf(&ctx->reply, "%s\n", c->name);
    return REPLY_OK;
}

/* Function:  Quit: answer, then leave the loop.
 * Arguments: none
 * Fails:     never
 * Returns:   nothing
 */
static reply_t cmd_quit(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    ok(ctx, "%s", "");
    return REPLY_QUIT;
}

/* Function:  Declares that the engine accepts GoGui's interrupt: a `# interrupt` line sent
 *            while a genmove searches ends the search with the best move so far (the
 *            player's set_interrupt); analysis stops on any input anyway.
 * Arguments: none
 * Fails:     never
 * Returns:   nothing
 */
static reply_t cmd_gogui_interrupt(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%s", "");
}

/* Function:  Stop pondering or analysis (KataGo). Analysis has already stopped when
 *            this line arrives, since it runs only until the next input.
 * Arguments: none
 * Fails:     never
 * Returns:   nothing
 */
static reply_t cmd_stop(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%s", "");
}

/* Function:  Report the CPU time this process has used (gogui-twogtp, gomill).
 * Arguments: none
 * Fails:     never
 * Returns:   seconds as a float
 */
static reply_t cmd_cputime(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%.3f", time_cpu());
}

/* ===================================================================== */
/* Setup                                                                  */
/* ===================================================================== */

/* Function:  Set the board size; the board is cleared, komi kept.
 * Arguments: integer size
 * Fails:     boardsize not an integer, unacceptable size (outside 2..25)
 * Returns:   nothing
 */
static reply_t cmd_boardsize(gtp_t *ctx, int argc, char **argv)
{
    int n;
    if (argc < 1 || !parse_int(argv[0], &n)) return fail(ctx, "boardsize not an integer");
    if (n < BOARD_MIN || n > BOARD_MAX || game_set_size(&ctx->game, n) != 0)
        return fail(ctx, "unacceptable size");
    return ok(ctx, "%s", "");
}

/* Function:  Set a rectangular board size (KataGo, Sabaki); only square ones work.
 * Arguments: width height
 * Fails:     boardsize not an integer, unacceptable size (width != height or out of range)
 * Returns:   nothing
 */
static reply_t cmd_rectangular_boardsize(gtp_t *ctx, int argc, char **argv)
{
    int w, h;
    if (argc < 2 || !parse_int(argv[0], &w) || !parse_int(argv[1], &h))
        return fail(ctx, "boardsize not an integer");
    if (w != h) return fail(ctx, "unacceptable size");
    return cmd_boardsize(ctx, 1, argv);
}

/* Function:  Clear the board, captures and history; size and komi are kept, the clock
 *            starts again (its settings kept, time used and time_left forgotten).
 * Arguments: none
 * Fails:     never
 * Returns:   nothing
 */
static reply_t cmd_clear_board(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    game_clear(&ctx->game);
    clock_restart(&ctx->time); /* a new game: the clock starts again */
    return ok(ctx, "%s", "");
}

/* Function:  Set komi (any float is accepted).
 * Arguments: float komi
 * Fails:     komi not a float
 * Returns:   nothing
 */
static reply_t cmd_komi(gtp_t *ctx, int argc, char **argv)
{
    double k;
    if (argc < 1 || !parse_float(argv[0], &k) || fabs(k) > 1e6) return fail(ctx, "komi not a float");
    ctx->game.komi = (float)k;
    return ok(ctx, "%s", "");
}

/* Function:  Report komi (GNU Go, KataGo).
 * Arguments: none
 * Fails:     never
 * Returns:   komi as a float
 */
static reply_t cmd_get_komi(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%g", (double)ctx->game.komi);
}

/* Function:  Report the board size (GNU Go).
 * Arguments: none
 * Fails:     never
 * Returns:   the size
 */
static reply_t cmd_query_boardsize(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%d", ctx->game.board.size);
}

/* Function:  Place GNU Go's fixed handicap stones (not undoable; White moves next).
 * Arguments: number of stones
 * Fails:     handicap not an integer, invalid number of stones, board not empty
 * Returns:   the stones' vertices, in board-scan order
 */
static reply_t cmd_fixed_handicap(gtp_t *ctx, int argc, char **argv)
{
    int n, pts[16];
    if (argc < 1 || !parse_int(argv[0], &n)) return fail(ctx, "handicap not an integer");
    if (n < 2 || handicap_points(ctx->game.board.size, n, pts) < 0)
        return fail(ctx, "invalid number of stones");
    if (!board_empty(&ctx->game)) return fail(ctx, "board not empty");
    int k = game_fixed_handicap(&ctx->game, n, pts);
    if (k == -2) return fail(ctx, "board not empty");
    if (k < 0) return fail(ctx, "invalid number of stones");
    sb_reset(&ctx->reply);
    append_vertices(&ctx->reply, pts, k, ctx->game.board.size, " ");
    return REPLY_OK;
}

/* Function:  Let the engine place free handicap stones: GNU Go's fixed layout for as
 *            many as it has (up to 9), the player's choice for the rest. It may place
 *            fewer stones when the player stops early (allowed by the spec).
 * Arguments: number of stones
 * Fails:     handicap not an integer, invalid number of stones, board not empty
 * Returns:   the stones' vertices, in board-scan order
 */
static reply_t cmd_place_free_handicap(gtp_t *ctx, int argc, char **argv)
{
    game_t *g = &ctx->game;
    int n, size = g->board.size, npts = board_points(&g->board);
    if (argc < 1 || !parse_int(argv[0], &n)) return fail(ctx, "handicap not an integer");
    if (n < 2 || n > npts - 1) return fail(ctx, "invalid number of stones");
    if (!board_empty(g)) return fail(ctx, "board not empty");

    int pts[BOARD_POINTS], k = 0;
    for (int m = n < 9 ? n : 9; m >= 2 && k <= 0; m--) k = handicap_points(size, m, pts);
    if (k < 0) k = 0;
    for (int i = 0; i < k; i++) game_setup(g, pts[i], STONE_BLACK);
    while (k < n) {
        int p = VERTEX_PASS;
        if (ctx->player->genmove(ctx->player, g, STONE_BLACK, GENMOVE_NORMAL, &p) != 0 || p < 0 ||
            board_at(&g->board, p) != STONE_EMPTY || game_setup(g, p, STONE_BLACK) != 0)
            break;
        pts[k++] = p;
    }
    g->handicap = k;
    g->to_move = STONE_WHITE;
    sb_reset(&ctx->reply);
    append_vertices(&ctx->reply, pts, k, size, " ");
    return REPLY_OK;
}

/* Function:  Place handicap stones where the controller says (not undoable; White
 *            moves next). All or nothing.
 * Arguments: list of vertices (at least 2, no pass, no repeats, fewer than size*size)
 * Fails:     board not empty, bad vertex list
 * Returns:   nothing
 */
static reply_t cmd_set_free_handicap(gtp_t *ctx, int argc, char **argv)
{
    game_t *g = &ctx->game;
    int size = g->board.size, npts = board_points(&g->board), pts[BOARD_POINTS];
    if (!board_empty(g)) return fail(ctx, "board not empty");
    if (argc < 2 || argc > npts - 1) return fail(ctx, "bad vertex list");
    uint8_t seen[BOARD_POINTS] = {0};
    for (int i = 0; i < argc; i++) {
        if (vertex_parse(argv[i], size, &pts[i]) != 0 || pts[i] < 0 || seen[pts[i]])
            return fail(ctx, "bad vertex list");
        seen[pts[i]] = 1;
    }
    for (int i = 0; i < argc; i++) game_setup(g, pts[i], STONE_BLACK);
    g->handicap = argc;
    g->to_move = STONE_WHITE;
    return ok(ctx, "%s", "");
}

/* Function:  Load an SGF file (first game of a collection): size, komi (kept when the
 *            file has none), setup stones, and the main line up to but not including
 *            move number move_number (1 = the first move; default: all moves).
 * Arguments: filename [move_number]
 * Fails:     cannot load file (unreadable, unparsable, unacceptable size or illegal
 *            move in the replayed part); the current game is then unchanged. The file
 *            is replayed under simple ko, as most records were played (GNU Go, OGS);
 *            later plays are checked with positional superko.
 * Returns:   the colour to move ("black" or "white")
 */
/* True when the file (or, for one to be written, its folder) at path lies inside root (both
 * resolved, symbolic links and ".." included). */
static bool inside(const char *root, const char *path, bool folder_of)
{
    if (!root) return false;
    char buf[PATH_MAX], *real;
    if (folder_of) {
        char *copy = strdup(path);
        if (!copy) return false;
        char *slash = strrchr(copy, '/');
        if (slash == copy) copy[1] = '\0';
        else if (slash) *slash = '\0';
        else strcpy(copy, ".");
        real = realpath(copy, buf);
        free(copy);
    } else {
        real = realpath(path, buf);
    }
    if (!real) return false;
    size_t n = strlen(root);
    return !strncmp(real, root, n) && (real[n] == '/' || real[n] == '\0' || (n == 1 && root[0] == '/'));
}

static reply_t cmd_loadsgf(gtp_t *ctx, int argc, char **argv)
{
    int upto = -1;
    if (argc < 1) return fail(ctx, "cannot load file");
    if (argc >= 2) {
        if (!parse_int(argv[1], &upto)) return fail(ctx, "move number not an integer");
        upto = upto < 1 ? 0 : upto - 1;
    }
    char *path = NULL;
    if (ctx->base_dir && argv[0][0] != '/') {
        size_t n = strlen(ctx->base_dir) + strlen(argv[0]) + 2;
        path = malloc(n);
        if (!path) return fail(ctx, "cannot load file");
        snprintf(path, n, "%s/%s", ctx->base_dir, argv[0]);
    }
    char probe[PATH_MAX];
    if (realpath(path ? path : argv[0], probe) && !inside(ctx->read_root, path ? path : argv[0], false)) {
        fprintf(stderr, "gtp: loadsgf %s: outside the folder this engine may read (%s; --sgf-dir DIR)\n", argv[0],
                ctx->read_root ? ctx->read_root : "none");
        free(path);
        return fail(ctx, "cannot load file");
    }
    sgf_collection_t coll = {0};
    sgf_error_t err;
    int rc = sgf_read_file(path ? path : argv[0], &coll, &err);
    free(path);
    if (rc != 0 || coll.n_games < 1) {
        if (rc == 0) sgf_collection_free(&coll);
        fprintf(stderr, "gtp: loadsgf %s: %s (byte %zu)\n", argv[0], rc ? err.message : "no game",
                rc ? err.offset : 0);
        return fail(ctx, "cannot load file");
    }
    const sgf_game_t *s = &coll.games[0];
    if (upto < 0 || upto > s->n_moves) upto = s->n_moves;
    game_t g = {0};  /* sgf_replay_ko initialises it */
    int bad = -1;
    if (sgf_replay_ko(s, upto, &g, &bad, false) != 0) {
        fprintf(stderr, "gtp: loadsgf %s: %s\n", argv[0],
                bad >= 0 ? "illegal move in the file" : "unacceptable board size");
        game_free(&g);
        sgf_collection_free(&coll);
        return fail(ctx, "cannot load file");
    }
    if (!s->has_komi) g.komi = ctx->game.komi;
    stone_t next = upto < s->n_moves ? s->moves[upto].color : g.to_move;
    sgf_collection_free(&coll);
    game_free(&ctx->game);
    ctx->game = g;
    return ok(ctx, "%s", next == STONE_WHITE ? "white" : "black");
}

/* ===================================================================== */
/* Core play                                                              */
/* ===================================================================== */

/* Function:  Play a stone (or pass) for either colour, in any order.
 * Arguments: color vertex
 * Fails:     invalid color or coordinate, illegal move (occupied, suicide, superko)
 * Returns:   nothing
 */
static reply_t cmd_play(gtp_t *ctx, int argc, char **argv)
{
    stone_t c;
    int p;
    if (argc < 2 || !parse_color(argv[0], &c) || vertex_parse(argv[1], ctx->game.board.size, &p) != 0)
        return fail(ctx, "invalid color or coordinate");
    if (game_play(&ctx->game, c, p) != MOVE_OK) return fail(ctx, "illegal move");
    return ok(ctx, "%s", "");
}

/* Function:  Play a sequence of moves at once (GoGui); all or nothing.
 * Arguments: color vertex [color vertex ...]
 * Fails:     invalid color or coordinate, illegal move (nothing is played then)
 * Returns:   nothing
 */
static reply_t cmd_gogui_play_sequence(gtp_t *ctx, int argc, char **argv)
{
    if (argc % 2) return fail(ctx, "invalid color or coordinate");
    for (int i = 0; i < argc; i += 2) {
        stone_t c;
        int p;
        const char *msg = NULL;
        if (!parse_color(argv[i], &c) || vertex_parse(argv[i + 1], ctx->game.board.size, &p) != 0)
            msg = "invalid color or coordinate";
        else if (game_play(&ctx->game, c, p) != MOVE_OK)
            msg = "illegal move";
        if (msg) {
            for (int j = 0; j < i; j += 2) game_undo(&ctx->game);
            return fail(ctx, msg);
        }
    }
    return ok(ctx, "%s", "");
}

/* Function:  Generate a move for either colour and play it.
 * Arguments: color
 * Fails:     invalid color
 * Returns:   a vertex, "pass" or "resign" (a resignation is not played)
 */
static bool interrupt_waiting(void *arg)
{
    gtp_t *ctx = arg;
    return reader_interrupt_waiting(ctx->reader);
}

static reply_t genmove_common(gtp_t *ctx, int argc, char **argv, genmove_mode_t mode)
{
    stone_t c;
    int p = VERTEX_PASS;
    char v[16];
    if (argc < 1 || !parse_color(argv[0], &c)) return fail(ctx, "invalid color");
    const board_t *b = &ctx->game.board;
    int empty = 0;
    for (int q = 0; q < board_points(b); q++) empty += b->stones[q] == STONE_EMPTY;
    if (ctx->player->set_budget)
        ctx->player->set_budget(ctx->player, mode == GENMOVE_REGRESS ? -1
                                             : clock_budget(&ctx->time, c, empty, ctx->cfg.time_per_move));
    double t0 = time_wall();
    const player_watch_t iw = {.stop = interrupt_waiting, .arg = ctx};
    bool watch = ctx->player->set_interrupt && ctx->reader && mode != GENMOVE_REGRESS;
    if (watch) ctx->player->set_interrupt(ctx->player, &iw);
    int rc = ctx->player->genmove(ctx->player, &ctx->game, c, mode, &p);
    if (watch) ctx->player->set_interrupt(ctx->player, NULL);
    if (rc != 0) return fail(ctx, "cannot generate move");
    if (mode != GENMOVE_REGRESS) clock_charge(&ctx->time, c, time_wall() - t0);
    if (mode != GENMOVE_REGRESS) p = play_generated(ctx, c, p);
    return ok(ctx, "%s", vertex_format(p, ctx->game.board.size, v));
}

static reply_t cmd_genmove(gtp_t *ctx, int argc, char **argv)
{
    return genmove_common(ctx, argc, argv, GENMOVE_NORMAL);
}

/* Function:  Like genmove, but never pass while the dead-stone estimate still sees dead
 *            opponent stones (KGS cleanup phase, GoGui).
 * Arguments: color
 * Fails:     invalid color
 * Returns:   a vertex, "pass" or "resign"
 */
static reply_t cmd_kgs_genmove_cleanup(gtp_t *ctx, int argc, char **argv)
{
    return genmove_common(ctx, argc, argv, GENMOVE_CLEANUP);
}

/* Function:  Generate a move deterministically (fixed seed) without playing it
 *            (regression tests).
 * Arguments: color
 * Fails:     invalid color
 * Returns:   a vertex, "pass" or "resign"
 */
static reply_t cmd_reg_genmove(gtp_t *ctx, int argc, char **argv)
{
    return genmove_common(ctx, argc, argv, GENMOVE_REGRESS);
}

/* Function:  Take back the last move (setup and handicap stones are not moves).
 * Arguments: none
 * Fails:     cannot undo
 * Returns:   nothing
 */
static reply_t cmd_undo(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (game_undo(&ctx->game) != 0) return fail(ctx, "cannot undo");
    return ok(ctx, "%s", "");
}

/* Function:  Tell whether a move is legal, superko included (GNU Go).
 * Arguments: color vertex
 * Fails:     invalid color or coordinate
 * Returns:   1 or 0
 */
static reply_t cmd_is_legal(gtp_t *ctx, int argc, char **argv)
{
    stone_t c;
    int p;
    if (argc < 2 || !parse_color(argv[0], &c) || vertex_parse(argv[1], ctx->game.board.size, &p) != 0)
        return fail(ctx, "invalid color or coordinate");
    return ok(ctx, "%d", game_check(&ctx->game, c, p) == MOVE_OK);
}

/* Function:  List the stones of one colour (GNU Go).
 * Arguments: color
 * Fails:     invalid color
 * Returns:   vertices in board-scan order, on one line
 */
static reply_t cmd_list_stones(gtp_t *ctx, int argc, char **argv)
{
    stone_t c;
    if (argc < 1 || !parse_color(argv[0], &c)) return fail(ctx, "invalid color");
    const board_t *b = &ctx->game.board;
    int pts[BOARD_POINTS], n = 0;
    for (int p = 0; p < board_points(b); p++)
        if (board_at(b, p) == c) pts[n++] = p;
    sb_reset(&ctx->reply);
    append_vertices(&ctx->reply, pts, n, b->size, " ");
    return REPLY_OK;
}

/* Function:  Draw the board.
 * Arguments: none
 * Fails:     never
 * Returns:   an ASCII diagram (starting on the line after "= "), then captures, komi
 *            and the side to move; no empty lines
 */
static reply_t cmd_showboard(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    const game_t *g = &ctx->game;
    char buf[8192];
    int n = board_format(&g->board, buf, (int)sizeof buf);
    if (n < 0) n = 0;
    if (n >= (int)sizeof buf) n = (int)sizeof buf - 1;
    buf[n] = '\0';
    sb_reset(&ctx->reply);
    sb_printf(&ctx->reply, "\n%s\ncaptures B %d W %d, komi %g, %s to move", buf,
              g->board.captures[STONE_BLACK], g->board.captures[STONE_WHITE], (double)g->komi,
              g->to_move == STONE_WHITE ? "white" : "black");
    return REPLY_OK;
}

/* ===================================================================== */
/* Time                                                                   */
/* ===================================================================== */

/* Function:  Set the clock (spec: Canadian byo-yomi; byo > 0 with stones == 0 means no
 *            limit, byo == 0 with stones == 0 absolute time).
 * Arguments: main_time byo_yomi_time byo_yomi_stones (seconds, seconds, integer)
 * Fails:     not three integers (also for negative values)
 * Returns:   nothing
 */
static reply_t cmd_time_settings(gtp_t *ctx, int argc, char **argv)
{
    double m, b;
    int s;
    if (argc < 3 || !parse_float(argv[0], &m) || !parse_float(argv[1], &b) || !parse_int(argv[2], &s) ||
        m < 0 || b < 0 || s < 0)
        return fail(ctx, "not three integers");
    clock_set(&ctx->time, s == 0 ? (b > 0 ? CLOCK_NONE : CLOCK_ABSOLUTE) : CLOCK_CANADIAN, m, b, s, 0);
    return ok(ctx, "%s", "");
}

/* Function:  Set the clock the KGS way.
 * Arguments: none | absolute main | canadian main byo stones | byoyomi main byo periods
 * Fails:     syntax error
 * Returns:   nothing
 */
static reply_t cmd_kgs_time_settings(gtp_t *ctx, int argc, char **argv)
{
    double m = 0, b = 0;
    int k = 0;
    clock_system_t sys;
    if (argc < 1) return fail(ctx, "syntax error");
    if (!strcasecmp(argv[0], "none") && argc == 1)
        sys = CLOCK_NONE;
    else if (!strcasecmp(argv[0], "absolute") && argc == 2 && parse_float(argv[1], &m) && m >= 0)
        sys = CLOCK_ABSOLUTE;
    else if ((!strcasecmp(argv[0], "canadian") || !strcasecmp(argv[0], "byoyomi")) && argc == 4 &&
             parse_float(argv[1], &m) && parse_float(argv[2], &b) && parse_int(argv[3], &k) && m >= 0 &&
             b >= 0 && k >= 0)
        sys = tolower((unsigned char)argv[0][0]) == 'c' ? CLOCK_CANADIAN : CLOCK_BYOYOMI;
    else
        return fail(ctx, "syntax error");
    clock_set(&ctx->time, sys, m, b, sys == CLOCK_CANADIAN ? k : 0, sys == CLOCK_BYOYOMI ? k : 0);
    return ok(ctx, "%s", "");
}

/* Function:  Record the time left on one clock (sent before each genmove).
 * Arguments: color time stones (stones is 0 during main time)
 * Fails:     invalid color, time and stones not two integers, a negative time or stones
 * Returns:   nothing
 */
static reply_t cmd_time_left(gtp_t *ctx, int argc, char **argv)
{
    stone_t c;
    double t;
    int s;
    if (argc < 1 || !parse_color(argv[0], &c)) return fail(ctx, "invalid color");
    if (argc < 3 || !parse_float(argv[1], &t) || !parse_int(argv[2], &s))
        return fail(ctx, "time and stones not two integers");
    if (t < 0 || s < 0) return fail(ctx, "time and stones must not be negative");
    clock_left(&ctx->time, c, t, s);
    return ok(ctx, "%s", "");
}

/* ===================================================================== */
/* Scoring                                                                */
/* ===================================================================== */

/* Function:  Score the position: area scoring with komi, the stones the dead-stone
 *            estimator calls dead removed first.
 * Arguments: none
 * Fails:     cannot score
 * Returns:   "B+3.5", "W+0.5" or "0"
 */
static reply_t cmd_final_score(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    const uint8_t *st = dead_status(ctx);
    uint8_t dead[BOARD_POINTS];
    for (int p = 0; p < board_points(&ctx->game.board); p++) dead[p] = st[p] == STATUS_DEAD;
    float score = game_score(&ctx->game, dead);
    if (!isfinite(score)) return fail(ctx, "cannot score");
    char buf[32];
    return ok(ctx, "%s", score_format(score, buf, (int)sizeof buf));
}

/* Function:  List the stones with a given status, one group (string) per line like
 *            GNU Go, groups in board-scan order of their first stone.
 * Arguments: alive, dead or seki
 * Fails:     invalid status
 * Returns:   vertex lists, one per line (nothing if there is none)
 */
static reply_t cmd_final_status_list(gtp_t *ctx, int argc, char **argv)
{
    stone_status_t want;
    if (argc < 1) return fail(ctx, "invalid status");
    if (!strcasecmp(argv[0], "alive")) want = STATUS_ALIVE;
    else if (!strcasecmp(argv[0], "dead")) want = STATUS_DEAD;
    else if (!strcasecmp(argv[0], "seki")) want = STATUS_SEKI;
    else return fail(ctx, "invalid status");
    const board_t *b = &ctx->game.board;
    const uint8_t *st = dead_status(ctx);
    uint8_t done[BOARD_POINTS] = {0};
    int members[BOARD_POINTS];
    sb_reset(&ctx->reply);
    for (int p = 0; p < board_points(b); p++) {
        if (board_at(b, p) == STONE_EMPTY || done[p] || st[p] != want) continue;
        int n = board_group(b, p, members, NULL);
        for (int i = 0; i < n; i++) done[members[i]] = 1;
        append_vertices(&ctx->reply, members, n, b->size, " ");
        sb_puts(&ctx->reply, "\n");
    }
    return REPLY_OK;
}

/* ===================================================================== */
/* Analysis                                                               */
/* ===================================================================== */

/* The player's candidates (the analysis commands exist only when it has analyze). */
static int analyze_candidates(gtp_t *ctx, stone_t color, player_candidate_t *out, int max)
{
    memset(out, 0, (size_t)max * sizeof *out); /* fields a player leaves alone: 0 (no pv) */
    int n = ctx->player->analyze(ctx->player, &ctx->game, color, out, max);
    return n < 0 ? 0 : n > max ? max : n;
}

typedef struct {
    bool kata;          /* kata-analyze: floats; lz-analyze: integers x 10000 */
    stone_t color;
    int interval_cs;    /* centiseconds between info lines; 0: one line, then wait */
    int max_moves;      /* candidates per line */
    uint8_t avoid[BOARD_POINTS + 1], allow[BOARD_POINTS + 1];  /* index point + 1 (0 = pass) */
    bool has_allow;
} analyze_args_t;

/* Marks the vertices of "D4,E5,pass" in set (index point + 1). Returns false on a bad one. */
static bool parse_vertex_set(const char *list, int size, uint8_t *set)
{
    char tok[16];
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 0 || n >= sizeof tok) return false;
        memcpy(tok, s, n);
        tok[n] = '\0';
        int p;
        if (vertex_parse(tok, size, &p) != 0) return false;
        set[p + 1] = 1;
        s += n;
        if (*s == ',') s++;
    }
    return true;
}

/* Parses `[color] [interval] [key value ...]` (KataGo GTP_Extensions.md). Keys:
 * interval N, maxmoves N, minmoves N (accepted; every candidate is always reported),
 * avoid C V,V.. DEPTH, allow C V,V.. DEPTH (our PV has length 1, so only the colour
 * being analysed and DEPTH >= 1 matter), and KataGo's boolean output switches
 * (rootInfo, ownership, ...) which are accepted and ignored. Returns false on bad input. */
static bool parse_analyze_args(gtp_t *ctx, int argc, char **argv, analyze_args_t *a)
{
    int i = 0, size = ctx->game.board.size;
    a->color = ctx->game.to_move;
    a->interval_cs = 0;
    a->max_moves = BOARD_POINTS + 1;
    if (i < argc && parse_color(argv[i], &a->color)) i++;
    if (i < argc && parse_int(argv[i], &a->interval_cs)) i++;
    static const char *const ignored[] = {"rootInfo", "ownership", "ownershipStdev", "movesOwnership",
                                          "movesOwnershipStdev", "pvVisits", "pvEdgeVisits",
                                          "noResultValue", NULL};
    while (i < argc) {
        const char *key = argv[i];
        int v;
        if ((!strcmp(key, "interval") || !strcmp(key, "maxmoves") || !strcmp(key, "minmoves")) &&
            i + 1 < argc && parse_int(argv[i + 1], &v)) {
            if (!strcmp(key, "interval")) a->interval_cs = v;
            if (!strcmp(key, "maxmoves")) a->max_moves = v;
            i += 2;
            continue;
        }
        if ((!strcmp(key, "avoid") || !strcmp(key, "allow")) && i + 3 < argc) {
            stone_t c;
            int depth;
            uint8_t set[BOARD_POINTS + 1] = {0};
            if (!parse_color(argv[i + 1], &c) || !parse_vertex_set(argv[i + 2], size, set) ||
                !parse_int(argv[i + 3], &depth))
                return false;
            if (c == a->color && depth >= 1) {
                uint8_t *dst = key[1] == 'v' ? a->avoid : a->allow;
                for (int p = 0; p <= BOARD_POINTS; p++) dst[p] |= set[p];
                if (key[1] == 'l') a->has_allow = true;
            }
            i += 4;
            continue;
        }
        bool known = false;
        for (int k = 0; ignored[k]; k++) known |= !strcmp(key, ignored[k]);
        if (!known || i + 1 >= argc || (strcmp(argv[i + 1], "true") && strcmp(argv[i + 1], "false")))
            return false;
        i += 2;
    }
    if (a->interval_cs < 0 || a->max_moves < 0) return false;
    return true;
}

/* One `info ...` line for the candidates, or nothing at all when every candidate is
 * filtered out (an empty line would end the response). "visits" are the search's visits
 * when the player searched (the learned player with --playouts); otherwise the prior scaled
 * to 1000, so Sabaki's heat map, which weighs visits x winrate, shows the policy. winrate
 * and lcb are the candidate's winrate. */
static void format_info(strbuf_t *b, const analyze_args_t *a, const player_candidate_t *c, int n, int size)
{
    char v[16];
    int order = 0;
    for (int i = 0; i < n && order < a->max_moves; i++) {
        int p = c[i].point;
        if (p < VERTEX_PASS || a->avoid[p + 1] || (a->has_allow && !a->allow[p + 1])) continue;
        vertex_format(p, size, v);
        double prior = c[i].prior < 0 ? 0 : c[i].prior > 1 ? 1 : c[i].prior;
        double wr = c[i].winrate < 0 ? 0 : c[i].winrate > 1 ? 1 : c[i].winrate;
        long visits = c[i].visits > 0 ? c[i].visits : lround(prior * 1000.0);
        if (visits < 1) visits = 1;
        if (order) sb_puts(b, " ");
        if (a->kata)
            sb_printf(b, "info move %s visits %ld winrate %.6f prior %.6f lcb %.6f order %d pv %s", v, visits,
                      wr, prior, wr, order, v);
        else
            sb_printf(b, "info move %s visits %ld winrate %ld prior %ld lcb %ld order %d pv %s", v, visits,
                      lround(wr * 10000), lround(prior * 10000), lround(wr * 10000), order, v);
        for (int k = 1; k < c[i].pv_len && k < PLAYER_PV_MAX; k++) {
            char w[16];
            sb_printf(b, " %s", vertex_format(c[i].pv[k], size, w));
        }
        order++;
    }
    if (order) sb_puts(b, "\n");
}

static void write_text(gtp_t *ctx, const char *s)
{
    fputs(s, ctx->out);
    if (fflush(ctx->out) != 0 || ferror(ctx->out)) ctx->write_error = true;
}

/* `=[id]` on its own line, as KataGo and Leela Zero start analysis responses. */
static void write_stream_head(gtp_t *ctx)
{
    char head[16] = "=\n";
    if (ctx->id >= 0) snprintf(head, sizeof head, "=%d\n", ctx->id);
    write_text(ctx, head);
}

typedef struct {
    gtp_t *ctx;
    const analyze_args_t *a;
    strbuf_t *line;     /* the last info line (repeated once the search has stopped growing) */
    bool written;
} analysis_watch_t;

static bool input_waiting(void *arg)
{
    const analysis_watch_t *aw = arg;
    return aw->ctx->write_error || reader_wait(aw->ctx->reader, 0);
}

/* The player's figures so far: formatted into aw->line, written when an interval is set. */
static void analysis_emit(void *arg, const player_candidate_t *cand, int n)
{
    analysis_watch_t *aw = arg;
    sb_reset(aw->line);
    format_info(aw->line, aw->a, cand, n, aw->ctx->game.board.size);
    if (aw->a->interval_cs > 0 && aw->line->len) {
        write_text(aw->ctx, aw->line->s);
        aw->written = true;
    }
}

/* The analysis commands. Streaming form: `=[id]`, an info line at once and then every
 * interval until any input arrives, then the empty line. Genmove form: `=[id]`, the
 * info line for the position before the move, `play <vertex>`, the empty line; the
 * move is played as by genmove. */
static reply_t analysis_common(gtp_t *ctx, int argc, char **argv, bool kata, bool genmove)
{
    analyze_args_t *a = calloc(1, sizeof *a);
    player_candidate_t *cand = malloc((BOARD_POINTS + 1) * sizeof *cand);
    strbuf_t line = {0};
    reply_t r = REPLY_STREAMED;
    int p = VERTEX_PASS;
    char v[16];
    if (!a || !cand) {
        r = fail(ctx, "out of memory");
        goto done;
    }
    a->kata = kata;
    if (!parse_analyze_args(ctx, argc, argv, a)) {
        r = fail(ctx, "invalid arguments");
        goto done;
    }
    if (genmove && ctx->player->genmove(ctx->player, &ctx->game, a->color, GENMOVE_NORMAL, &p) != 0) {
        r = fail(ctx, "cannot generate move");
        goto done;
    }
    if (!genmove && ctx->player->analyze_watch) {
        /* `=` at once, then the figures of a search that keeps growing, until input */
        write_stream_head(ctx);
        analysis_watch_t aw = {.ctx = ctx, .a = a, .line = &line};
        const player_watch_t w = {.stop = input_waiting, .emit = analysis_emit,
                                  .interval_s = a->interval_cs > 0 ? a->interval_cs / 100.0 : 1e9, .arg = &aw};
        if (ctx->player->analyze_watch(ctx->player, &ctx->game, a->color, &w) == 0 && a->interval_cs <= 0 &&
            line.s && !aw.written)
            write_text(ctx, line.s); /* interval 0: the final figures once */
        while (!ctx->write_error && !reader_wait(ctx->reader, a->interval_cs > 0 ? a->interval_cs / 100.0 : -1))
            if (line.s && line.len) write_text(ctx, line.s);
        write_text(ctx, "\n");
        goto done;
    }
    int n = analyze_candidates(ctx, a->color, cand, BOARD_POINTS + 1);
    format_info(&line, a, cand, n, ctx->game.board.size);
    write_stream_head(ctx);
    if (genmove) {
        char tail[32];
        p = play_generated(ctx, a->color, p);
        snprintf(tail, sizeof tail, "play %s\n\n", vertex_format(p, ctx->game.board.size, v));
        if (line.s) write_text(ctx, line.s);
        write_text(ctx, tail);
        goto done;
    }
    do {
        if (line.s) write_text(ctx, line.s);
    } while (!ctx->write_error && !reader_wait(ctx->reader, a->interval_cs > 0 ? a->interval_cs / 100.0 : -1));
    write_text(ctx, "\n");
done:
    free(line.s);
    free(cand);
    free(a);
    return r;
}

/* Function:  Stream the player's move distribution in Leela Zero's format until the
 *            next input line (which is then processed normally).
 * Arguments: [color] [interval centiseconds] [interval N] [maxmoves N] [minmoves N]
 *            [avoid|allow color vertices depth]
 * Fails:     invalid arguments
 * Returns:   "=" line, `info move V visits N winrate W prior P lcb L order K pv V ...`
 *            lines (winrate, prior, lcb x 10000), then the empty line when input arrives
 */
static reply_t cmd_lz_analyze(gtp_t *ctx, int argc, char **argv)
{
    return analysis_common(ctx, argc, argv, false, false);
}

/* Function:  kata-analyze: as lz-analyze, with winrate, prior and lcb as floats in
 *            [0, 1] that always contain a decimal point.
 * Arguments: as lz-analyze, plus KataGo's boolean keys (accepted, not reported)
 * Fails:     invalid arguments
 * Returns:   as lz-analyze
 */
static reply_t cmd_kata_analyze(gtp_t *ctx, int argc, char **argv)
{
    return analysis_common(ctx, argc, argv, true, false);
}

/* Function:  Generate and play a move (as genmove), printing the analysis first
 *            (lz-analyze format). Not interruptible.
 * Arguments: [color] [interval] [keys as lz-analyze]
 * Fails:     invalid arguments
 * Returns:   "=" line, one info line, "play <vertex|pass|resign>", the empty line
 */
static reply_t cmd_lz_genmove_analyze(gtp_t *ctx, int argc, char **argv)
{
    return analysis_common(ctx, argc, argv, false, true);
}

/* Function:  As lz-genmove_analyze in kata-analyze's float format.
 * Arguments: [color] [interval] [keys as kata-analyze]
 * Fails:     invalid arguments
 * Returns:   "=" line, one info line, "play <vertex|pass|resign>", the empty line
 */
static reply_t cmd_kata_genmove_analyze(gtp_t *ctx, int argc, char **argv)
{
    return analysis_common(ctx, argc, argv, true, true);
}

/* ===================================================================== */
/* GoGui analyze commands                                                 */
/* ===================================================================== */

/* Function:  List the views GoGui can show (type/label/command).
 * Arguments: none
 * Fails:     never
 * Returns:   one view per line
 */
static reply_t cmd_gogui_analyze_commands(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    return ok(ctx, "%s%s%s", ctx->player->analyze ? "gfx/Policy/videogo-policy %m\n" : "",
              policy_player_policy(ctx->player) ? "gfx/Imagined next position/videogo-imagine %m\n"
                                                  "string/Save imagined frames (PNG)/videogo-imagine_frames %w %m\n"
                                                : "",
              "dboard/Dead stones estimate/videogo-ownership\n"
              "plist/Dead stones/final_status_list dead\n"
              "string/Final score/final_score\n"
              "string/Board/showboard");
}

/* Function:  GoGui view of the player's move distribution: INFLUENCE squares scaled to
 *            the best move (positive for Black), LABEL with percentages, TEXT summary.
 * Arguments: [color] (default: the side to move)
 * Fails:     invalid color
 * Returns:   gfx commands, one per line
 */
static reply_t cmd_videogo_policy(gtp_t *ctx, int argc, char **argv)
{
    stone_t c = ctx->game.to_move;
    if (argc >= 1 && !parse_color(argv[0], &c)) return fail(ctx, "invalid color");
    player_candidate_t cand[BOARD_POINTS + 1];
    int n = analyze_candidates(ctx, c, cand, BOARD_POINTS + 1), size = ctx->game.board.size;
    float best = 0;
    int best_i = -1;
    for (int i = 0; i < n; i++)
        if (cand[i].prior > best) best = cand[i].prior, best_i = i;
    char v[16];
    strbuf_t *b = &ctx->reply;
    sb_reset(b);
    sb_puts(b, "INFLUENCE");
    for (int i = 0; i < n; i++)
        if (cand[i].point >= 0 && best > 0)
            sb_printf(b, " %s %.3f", vertex_format(cand[i].point, size, v),
                      (c == STONE_BLACK ? 1 : -1) * cand[i].prior / best);
    sb_puts(b, "\nLABEL");
    for (int i = 0; i < n; i++)
        if (cand[i].point >= 0)
            sb_printf(b, " %s %.0f", vertex_format(cand[i].point, size, v), 100.0 * cand[i].prior);
    if (best_i >= 0)
        sb_printf(b, "\nTEXT %s policy: best %s %.1f%%", c == STONE_WHITE ? "White" : "Black",
                  vertex_format(cand[best_i].point, size, v), 100.0 * best);
    return REPLY_OK;
}

/* Function:  GoGui view of who owns each point once the estimated dead stones are
 *            removed (area scoring).
 * Arguments: none
 * Fails:     never
 * Returns:   size lines from the top row down, each with size values: 1 Black,
 *            -1 White, 0 neutral
 */
static reply_t cmd_videogo_ownership(gtp_t *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    const board_t *b = &ctx->game.board;
    const uint8_t *st = dead_status(ctx);
    uint8_t dead[BOARD_POINTS], owner[BOARD_POINTS];
    for (int p = 0; p < board_points(b); p++) dead[p] = st[p] == STATUS_DEAD;
    board_area(b, dead, owner);
    sb_reset(&ctx->reply);
    for (int r = 0; r < b->size; r++) {
        for (int col = 0; col < b->size; col++) {
            int o = owner[r * b->size + col];
            sb_printf(&ctx->reply, "%s%d", col ? " " : "", o == STONE_BLACK ? 1 : o == STONE_WHITE ? -1 : 0);
        }
        sb_puts(&ctx->reply, "\n");
    }
    return REPLY_OK;
}

/* ===================================================================== */
/* The learned player's imagination                                       */
/* ===================================================================== */

/* The rollout to show: the first whose IDM move is the most probable move of the K-rollout
 * average, else the first. */
static int imagined_pick(const policy_imagined_t *im)
{
    int best = 0;
    for (int i = 1; i < POLICY_MOVES; i++)
        if (im->probs[i] > im->probs[best]) best = i;
    for (int k = 0; k < im->k; k++)
        if (im->move[k] == policy_index_to_point(best)) return k;
    return 0;
}

/* Function:  GoGui view of the next position the transformer imagines for the side to move
 *            (the decoded frame x^_{t+1} of one rollout, read back intersection by
 *            intersection): BLACK/WHITE mark its stones, MARK the points that differ from
 *            the board, TEXT names the changes and the IDM's move. The rollout shown is the
 *            first whose IDM move is the K-rollout favourite (the same rollouts genmove uses).
 * Arguments: [color] (default: the side to move)
 * Fails:     invalid color; board size not the networks'
 * Returns:   gfx commands, one per line
 */
static reply_t cmd_videogo_imagine(gtp_t *ctx, int argc, char **argv)
{
    stone_t c = ctx->game.to_move;
    if (argc >= 1 && !parse_color(argv[0], &c)) return fail(ctx, "invalid color");
    policy_imagined_t im;
    if (policy_player_imagine(ctx->player, &ctx->game, c, &im))
        return fail(ctx, "the networks only know 9x9 boards");
    const board_t *cur = &ctx->game.board;
    int size = cur->size, k = imagined_pick(&im);
    board_t nb;
    int doubt = render_board_read(im.frames_next + (size_t)k * (size_t)render_frame_bytes(im.px), im.px, size, &nb);
    char v[16];
    strbuf_t *b = &ctx->reply, added = {0}, removed = {0};
    sb_reset(b);
    static const char *const names[3] = {"", "BLACK", "WHITE"};
    for (int col = STONE_BLACK; col <= STONE_WHITE; col++) {
        sb_puts(b, names[col]);
        for (int p = 0; p < board_points(&nb); p++)
            if (nb.stones[p] == col) sb_printf(b, " %s", vertex_format(p, size, v));
        sb_puts(b, "\n");
    }
    sb_puts(b, "MARK");
    for (int p = 0; p < board_points(&nb); p++) {
        if (nb.stones[p] == cur->stones[p]) continue;
        sb_printf(b, " %s", vertex_format(p, size, v));
        if (nb.stones[p] != STONE_EMPTY) sb_printf(&added, " +%s %s", color_letter(nb.stones[p]), v);
        else sb_printf(&removed, " -%s %s", color_letter(cur->stones[p]), v);
    }
    sb_printf(b, "\nTEXT imagined x^_{t+1}, rollout %d of %d:%s%s%s; IDM reads %s (%.0f%%)", k + 1, im.k,
              added.s ? added.s : "", removed.s ? removed.s : "", added.s || removed.s ? "" : " no change (a pass)",
              vertex_format(im.move[k], size, v), 100.0 * im.move_prob[k]);
    if (doubt > 0) sb_printf(b, "; %d unclear points", doubt);
    free(added.s);
    free(removed.s);
    policy_imagined_free(&im);
    return REPLY_OK;
}

/* Writes a row of frames upscaled by `scale` (nearest), 4 px of grey between them. */
static int write_sheet(const char *path, const uint8_t *const *frames, int n, int px, int scale)
{
    int gap = 4, s = px * scale, w = n * s + (n - 1) * gap, h = s;
    uint8_t *img = malloc((size_t)w * (size_t)h * 3);
    if (!img) return -1;
    memset(img, 128, (size_t)w * (size_t)h * 3);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
                memcpy(img + ((size_t)y * (size_t)w + (size_t)(i * (s + gap) + x)) * 3,
                       frames[i] + ((size_t)(y / scale) * (size_t)px + (size_t)(x / scale)) * 3, 3);
    int rc = render_write_png(path, img, w, h);
    free(img);
    return rc;
}

/* Function:  Write the frames the transformer imagines for the side to move as PNG files:
 *            PREFIX-x_t.png (the position's frame), PREFIX-next-K.png (rollout K's decoded
 *            x^_{t+1}, at the tokenizer's frame size) and PREFIX-sheet.png (x_t, then every
 *            rollout, enlarged 4x). A trailing ".png" on PREFIX is dropped (GoGui's %w).
 * Arguments: PREFIX [color]
 * Fails:     missing prefix, invalid color, board size not the networks', cannot write
 * Returns:   the files written, one per line
 */
static reply_t cmd_videogo_imagine_frames(gtp_t *ctx, int argc, char **argv)
{
    stone_t c = ctx->game.to_move;
    if (argc < 1) return fail(ctx, "missing file prefix");
    if (argc >= 2 && !parse_color(argv[1], &c)) return fail(ctx, "invalid color");
    size_t len = strlen(argv[0]);
    if (len >= 4 && !strcasecmp(argv[0] + len - 4, ".png")) len -= 4;
    if (len == 0 || len > 3000) return fail(ctx, "bad file prefix");
    if (!ctx->out_root) return fail(ctx, "file output is off (start the engine with --output-dir DIR)");
    char full[3100];
    if (argv[0][0] == '/') snprintf(full, sizeof full, "%.*s", (int)len, argv[0]);
    else snprintf(full, sizeof full, "%s/%.*s", ctx->out_root, (int)len, argv[0]);
    if (!inside(ctx->out_root, full, true)) return fail(ctx, "outside the output folder");
    len = strlen(full);
    argv[0] = full;
    policy_imagined_t im;
    if (policy_player_imagine(ctx->player, &ctx->game, c, &im))
        return fail(ctx, "the networks only know 9x9 boards");
    size_t fb = (size_t)render_frame_bytes(im.px);
    char path[3100];
    strbuf_t *b = &ctx->reply;
    sb_reset(b);
    const uint8_t **frames = malloc((size_t)(im.k + 1) * sizeof *frames);
    bool okw = frames != NULL;
    if (okw) {
        frames[0] = im.frame_t;
        snprintf(path, sizeof path, "%.*s-x_t.png", (int)len, argv[0]);
        okw = render_write_png(path, im.frame_t, im.px, im.px) == 0;
        if (okw) sb_printf(b, "%s\n", path);
    }
    for (int k = 0; okw && k < im.k; k++) {
        frames[k + 1] = im.frames_next + (size_t)k * fb;
        snprintf(path, sizeof path, "%.*s-next-%d.png", (int)len, argv[0], k + 1);
        okw = render_write_png(path, frames[k + 1], im.px, im.px) == 0;
        if (okw) sb_printf(b, "%s\n", path);
    }
    if (okw) {
        snprintf(path, sizeof path, "%.*s-sheet.png", (int)len, argv[0]);
        okw = write_sheet(path, frames, im.k + 1, im.px, 4) == 0;
        if (okw) sb_printf(b, "%s", path);
    }
    free(frames);
    policy_imagined_free(&im);
    if (!okw) {
        snprintf(path, sizeof path, "cannot write %.*s-*.png", (int)len, argv[0]);
        return fail(ctx, path);
    }
    return REPLY_OK;
}

/* ===================================================================== */
/* The table                                                              */
/* ===================================================================== */

static const command_t commands[] = {
    {"protocol_version", cmd_protocol_version, 0},
    {"name", cmd_name, 0},
    {"version", cmd_version, 0},
    {"known_command", cmd_known_command, 0},
    {"list_commands", cmd_list_commands, 0},
    {"quit", cmd_quit, 0},
    {"boardsize", cmd_boardsize, 0},
    {"rectangular_boardsize", cmd_rectangular_boardsize, 0},
    {"query_boardsize", cmd_query_boardsize, 0},
    {"clear_board", cmd_clear_board, 0},
    {"komi", cmd_komi, 0},
    {"get_komi", cmd_get_komi, 0},
    {"play", cmd_play, 0},
    {"gogui-play_sequence", cmd_gogui_play_sequence, 0},
    {"genmove", cmd_genmove, 0},
    {"reg_genmove", cmd_reg_genmove, 0},
    {"kgs-genmove_cleanup", cmd_kgs_genmove_cleanup, 0},
    {"undo", cmd_undo, 0},
    {"is_legal", cmd_is_legal, 0},
    {"list_stones", cmd_list_stones, 0},
    {"fixed_handicap", cmd_fixed_handicap, 0},
    {"place_free_handicap", cmd_place_free_handicap, 0},
    {"set_free_handicap", cmd_set_free_handicap, 0},
    {"loadsgf", cmd_loadsgf, 0},
    {"time_settings", cmd_time_settings, 0},
    {"kgs-time_settings", cmd_kgs_time_settings, 0},
    {"time_left", cmd_time_left, 0},
    {"final_score", cmd_final_score, 0},
    {"final_status_list", cmd_final_status_list, 0},
    {"showboard", cmd_showboard, 0},
    {"lz-analyze", cmd_lz_analyze, NEEDS_ANALYZE},
    {"kata-analyze", cmd_kata_analyze, NEEDS_ANALYZE},
    {"lz-genmove_analyze", cmd_lz_genmove_analyze, NEEDS_ANALYZE},
    {"kata-genmove_analyze", cmd_kata_genmove_analyze, NEEDS_ANALYZE},
    {"stop", cmd_stop, 0},
    {"gogui-analyze_commands", cmd_gogui_analyze_commands, 0},
    {"gogui-interrupt", cmd_gogui_interrupt, 0},
    {"videogo-policy", cmd_videogo_policy, NEEDS_ANALYZE},
    {"videogo-ownership", cmd_videogo_ownership, 0},
    {"videogo-imagine", cmd_videogo_imagine, NEEDS_LEARNED},
    {"videogo-imagine_frames", cmd_videogo_imagine_frames, NEEDS_LEARNED},
    {"cputime", cmd_cputime, 0},
    {"gomill-cpu_time", cmd_cputime, 0},
    {NULL, NULL, 0},
};

static const command_t *command_table(void) { return commands; }

static bool command_available(const gtp_t *ctx, const command_t *c)
{
    if ((c->needs & NEEDS_ANALYZE) && !ctx->player->analyze) return false;
    if ((c->needs & NEEDS_LEARNED) && !policy_player_policy(ctx->player)) return false;
    return true;
}

static const command_t *command_find(const gtp_t *ctx, const char *name)
{
    for (const command_t *c = commands; c->name; c++)
        if (!strcmp(c->name, name)) return command_available(ctx, c) ? c : NULL;
    return NULL;
}

/* ===================================================================== */
/* Lines and the loop                                                     */
/* ===================================================================== */

/* GNU Go's preprocessing, in place: control characters other than HT removed, HT to
 * space, everything from '#' on removed. Returns the new length. */
static size_t preprocess(char *s, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '#') break;
        if (ch == '\t') ch = ' ';
        else if (ch < 32 || ch == 127) continue;
        s[j++] = (char)ch;
    }
    s[j] = '\0';
    return j;
}

/* Splits s on spaces into ctx->argv. Returns the count, or -1 when out of memory. */
static int tokenize(gtp_t *ctx, char *s)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (n == ctx->argv_cap) {
            int cap = ctx->argv_cap ? 2 * ctx->argv_cap : 64;
            char **a = realloc(ctx->argv, (size_t)cap * sizeof *a);
            if (!a) return -1;
            ctx->argv = a;
            ctx->argv_cap = cap;
        }
        ctx->argv[n++] = t;
    }
    return n;
}

/* Parses a leading id ("123 ..."). Returns the id, -1 if the token is not all digits,
 * -2 if it is all digits but too large. */
static int parse_id(const char *tok)
{
    long v = 0;
    if (!*tok) return -1;
    for (const char *p = tok; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
        if (v > INT_MAX) return -2;
    }
    return (int)v;
}

/* Handles one raw line (NUL-terminated, len bytes, modified in place). too_long: the
 * line was cut at GTP_MAX_LINE. Returns 1 after quit, 0 otherwise. */
static int process_line(gtp_t *ctx, char *s, size_t len, bool too_long)
{
    len = preprocess(s, len);
    size_t a = 0;
    while (a < len && s[a] == ' ') a++;
    ctx->id = -1;
    if (a == len && !too_long) return 0;  /* empty or comment: no response */
    if (ctx->cfg.verbose) fprintf(stderr, "IN: %s\n", s + a);

    int argc = tokenize(ctx, s + a);
    if (argc < 0) {
        respond_error(ctx, "out of memory");
        return 0;
    }
    int first = 0;
    int id = argc ? parse_id(ctx->argv[0]) : -1;
    if (id >= 0) {
        ctx->id = id;
        first = 1;
    } else if (id == -2) {
        respond_error(ctx, "invalid id");
        return 0;
    }
    if (too_long) {
        /* Even a line of NULs or comment text gets this answer: the controller is waiting. */
        char msg[64];
        snprintf(msg, sizeof msg, "line too long (limit %d MiB)", GTP_MAX_LINE >> 20);
        respond_error(ctx, msg);
        return 0;
    }
    if (first >= argc) {
        respond_error(ctx, "unknown command");
        return 0;
    }
    const command_t *c = command_find(ctx, ctx->argv[first]);
    if (!c) {
        respond_error(ctx, "unknown command");
        return 0;
    }
    sb_reset(&ctx->reply);
    reply_t r = c->fn(ctx, argc - first - 1, ctx->argv + first + 1);
    if (r == REPLY_STREAMED) return 0;
    if (ctx->reply.oom) {
        respond_error(ctx, "out of memory");
        return 0;
    }
    respond(ctx, r != REPLY_FAIL, ctx->reply.s ? ctx->reply.s : "", ctx->reply.len);
    return r == REPLY_QUIT;
}

/* Reads one line into ctx->line (without the '\n', NUL-terminated). Returns false at
 * end of input with nothing read. At GTP_MAX_LINE bytes it stops reading and sets
 * *too_long: the caller answers, then skip_line drops the rest. */
static bool read_line(gtp_t *ctx, reader_t *r, size_t *len, bool *too_long)
{
    size_t n = 0;
    int ch;
    bool any = false;
    *too_long = false;
    while ((ch = reader_getc(r)) != EOF) {
        any = true;
        if (ch == '\n') break;
        if (n == GTP_MAX_LINE) {
            *too_long = true;
            break;
        }
        if (n + 1 >= ctx->line_cap) {
            size_t cap = ctx->line_cap ? 2 * ctx->line_cap : 4096;
            if (cap > GTP_MAX_LINE + 1) cap = GTP_MAX_LINE + 1;
            char *l = realloc(ctx->line, cap);
            if (!l) {  /* out of memory: answered like an over-long line */
                *too_long = true;
                break;
            }
            ctx->line = l;
            ctx->line_cap = cap;
        }
        ctx->line[n++] = (char)ch;
    }
    if (!any) return false;
    if (ctx->line) ctx->line[n] = '\0';
    *len = n;
    return true;
}

/* Drops the rest of an over-long line, through its newline (or end of input). Returns false
 * when no newline came within GTP_MAX_LINE bytes: the input is not GTP. */
static bool skip_line(reader_t *r)
{
    for (size_t n = 0; n <= GTP_MAX_LINE; n++) {
        int ch = reader_getc(r);
        if (ch == EOF || ch == '\n') return true;
    }
    return false;
}

int gtp_main_loop(gtp_t *ctx, FILE *in, FILE *out)
{
    reader_t *r = calloc(1, sizeof *r);
    if (!r) return -1;
    int fd = fileno(in);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        r->fd = fd;
    } else {
        r->f = in;
        r->fd = -1;
    }
    ctx->out = out;
    ctx->reader = r;
    ctx->write_error = false;
    int rc = 0;
    size_t len;
    bool too_long;
    char empty[1] = "";
    while (read_line(ctx, r, &len, &too_long)) {
        /* ctx->line is NULL when only a '\n' came before any allocation (or none succeeded) */
        int q = process_line(ctx, ctx->line ? ctx->line : empty, ctx->line ? len : 0, too_long);
        if (ctx->write_error) {
            rc = -1;
            break;
        }
        if (q) break;
        if (too_long && !skip_line(r)) {
            fprintf(stderr, "gtp: no newline within %d MiB of input: not GTP; stopping\n", 2 * (GTP_MAX_LINE >> 20));
            rc = -1;
            break;
        }
    }
    ctx->reader = NULL;
    free(r);
    return rc;
}

int gtp_execute(gtp_t *ctx, const char *line, FILE *out)
{
    size_t len = strcspn(line, "\n");
    char *s = strndup(line, len);
    if (!s) return -1;
    ctx->out = out;
    ctx->reader = NULL;
    ctx->write_error = false;
    int q = process_line(ctx, s, len, len > GTP_MAX_LINE);
    free(s);
    return ctx->write_error ? -1 : q;
}

/* ---- life cycle ---- */

void gtp_config_default(gtp_config_t *cfg)
{
    *cfg = (gtp_config_t){.name = "videogo", .version = VIDEOGO_VERSION, .size = 9, .komi = 7.0f};
}

gtp_t *gtp_new(const gtp_config_t *cfg, player_t *player)
{
    if (!player) return NULL;
    gtp_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        player->free(player);
        return NULL;
    }
    ctx->cfg = *cfg;
    ctx->player = player;
    ctx->name = strdup(cfg->name ? cfg->name : "videogo");
    ctx->version = strdup(cfg->version ? cfg->version : VIDEOGO_VERSION);
    int size = cfg->size ? cfg->size : 9;
    if (!ctx->name || !ctx->version || (cfg->base_dir && gtp_set_base_dir(ctx, cfg->base_dir) != 0) ||
        game_init(&ctx->game, size, cfg->komi) != 0) {
        gtp_free(ctx);
        return NULL;
    }
    ctx->cfg.name = ctx->name;
    ctx->cfg.version = ctx->version;
    ctx->cfg.base_dir = ctx->base_dir;
    char buf[PATH_MAX];
    const char *rd = cfg->read_dir ? cfg->read_dir : ctx->base_dir ? ctx->base_dir : ".";
    free(ctx->read_root); /* gtp_set_base_dir may have set one */
    ctx->read_root = realpath(rd, buf) ? strdup(buf) : NULL;
    ctx->read_dir_given = cfg->read_dir != NULL;
    if (cfg->output_dir && realpath(cfg->output_dir, buf)) ctx->out_root = strdup(buf);
    ctx->cfg.read_dir = ctx->cfg.output_dir = NULL; /* the resolved copies above are what counts */
    ctx->id = -1;
    return ctx;
}

void gtp_free(gtp_t *ctx)
{
    if (!ctx) return;
    game_free(&ctx->game);
    if (ctx->player && ctx->player->free) ctx->player->free(ctx->player);
    free(ctx->name);
    free(ctx->version);
    free(ctx->base_dir);
    free(ctx->read_root);
    free(ctx->out_root);
    free(ctx->reply.s);
    free(ctx->line);
    free(ctx->argv);
    free(ctx);
}

int gtp_set_base_dir(gtp_t *ctx, const char *dir)
{
    char *d = dir ? strdup(dir) : NULL;
    if (dir && !d) return -1;
    free(ctx->base_dir);
    ctx->base_dir = d;
    ctx->cfg.base_dir = d;
    if (!ctx->read_dir_given) {
        char buf[PATH_MAX];
        free(ctx->read_root);
        ctx->read_root = realpath(d ? d : ".", buf) ? strdup(buf) : NULL;
    }
    return 0;
}

const game_t *gtp_game(const gtp_t *ctx) { return &ctx->game; }
const gtp_time_t *gtp_time(const gtp_t *ctx) { return &ctx->time; }
