/* test_sgf.c: the SGF reader/writer on the project's real data ($VIDEOGO_DATA) and on
 * hand-written and fuzzed input.
 *
 * - katago9: every game parses, replays, writes, parses again with identical moves,
 *   setup, komi, size and result. Games that repeat a position are allowed only if
 *   they are legal under simple ko (the data was checked with simple ko; videogo uses
 *   positional superko); their count is printed.
 * - ogs9 and pro19 raw examples, and whole collection files (ogs9-000, pro19-000,
 *   ogs9-kata-000): counts from the data READMEs, legal main-line replay.
 * - malformed input: expected messages and byte offsets; a seeded fuzz loop of
 *   mutated inputs must never crash (run under ASan/UBSan in CI) and every error must
 *   have an offset inside the input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/sgf.h"
#include "engine/util.h"

static char data_path[4096];

static const char *data_file(const char *rel)
{
    const char *d = getenv("VIDEOGO_DATA");
    snprintf(data_path, sizeof data_path, "%s/%s", d ? d : "../shared/data", rel);
    return data_path;
}

static int parse_str(const char *s, sgf_collection_t *c, sgf_error_t *e) { return sgf_parse(s, strlen(s), c, e); }

static void assert_same_game(const sgf_game_t *a, const sgf_game_t *b, const char *where)
{
    ck_assert_msg(a->size == b->size, "%s: size", where);
    ck_assert_msg(a->has_komi == b->has_komi && (!a->has_komi || a->komi == b->komi), "%s: komi", where);
    ck_assert_msg(a->handicap == b->handicap, "%s: handicap", where);
    ck_assert_msg((!a->result && !b->result) || (a->result && b->result && !strcmp(a->result, b->result)), "%s: result", where);
    ck_assert_msg(a->n_moves == b->n_moves, "%s: %d vs %d moves", where, a->n_moves, b->n_moves);
    for (int i = 0; i < a->n_moves; i++) {
        ck_assert_msg(a->moves[i].color == b->moves[i].color && a->moves[i].point == b->moves[i].point,
                      "%s: move %d differs", where, i + 1);
        ck_assert_msg(a->moves[i].kb == b->moves[i].kb, "%s: KB of move %d differs", where, i + 1);
    }
    /* Setup compared as the resulting stones (the writer normalises the order). */
    uint8_t sa[BOARD_POINTS] = {0}, sb[BOARD_POINTS] = {0};
    for (int i = 0; i < a->n_setup; i++) sa[a->setup[i].point] = (uint8_t)a->setup[i].color;
    for (int i = 0; i < b->n_setup; i++) sb[b->setup[i].point] = (uint8_t)b->setup[i].color;
    ck_assert_msg(!memcmp(sa, sb, sizeof sa), "%s: setup differs", where);
}

/* Round trip of one game: write, parse, compare. */
static void round_trip(const sgf_game_t *g, const char *where)
{
    char *text = sgf_write(g);
    ck_assert_msg(text != NULL, "%s: sgf_write failed", where);
    sgf_collection_t c2;
    sgf_error_t err;
    ck_assert_msg(parse_str(text, &c2, &err) == 0, "%s: rewritten game does not parse: %s at %zu", where, err.message, err.offset);
    ck_assert_int_eq(c2.n_games, 1);
    assert_same_game(g, &c2.games[0], where);
    sgf_collection_free(&c2);
    free(text);
}

/* Replays every game; returns the number needing simple ko (superko violations),
 * fails on anything else. */
static int replay_all(const sgf_collection_t *c, const char *file, long *moves)
{
    int superko_only = 0;
    game_t g;
    memset(&g, 0, sizeof g);
    for (int i = 0; i < c->n_games; i++) {
        int bad = -1;
        *moves += c->games[i].n_moves;
        if (sgf_replay(&c->games[i], -1, &g, &bad) == 0) continue;
        const sgf_move_t *m = &c->games[i].moves[bad];
        ck_assert_msg(game_check(&g, m->color, m->point) == MOVE_SUPERKO, "%s game %d: move %d is illegal (not a ko repeat)",
                      file, i + 1, bad + 1);
        ck_assert_msg(sgf_replay_ko(&c->games[i], -1, &g, &bad, false) == 0,
                      "%s game %d: illegal even under simple ko at move %d", file, i + 1, bad + 1);
        superko_only++;
    }
    game_free(&g);
    return superko_only;
}

START_TEST(test_katago9_round_trip)
{
    long games = 0, moves = 0, superko = 0;
    for (int k = 0; k <= 6; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "katago9/train-%03d.sgf", k);
        const char *path = data_file(rel);
        sgf_collection_t c;
        sgf_error_t err;
        ck_assert_msg(sgf_read_file(path, &c, &err) == 0, "%s: %s at byte %zu", path, err.message, err.offset);
        superko += replay_all(&c, path, &moves);
        for (int i = 0; i < c.n_games; i++) {
            char where[128];
            snprintf(where, sizeof where, "%s game %d", rel, i + 1);
            ck_assert_int_eq(c.games[i].size, 9);
            ck_assert(c.games[i].has_komi && c.games[i].komi == 7.0f);
            ck_assert(c.games[i].result != NULL);
            round_trip(&c.games[i], where);
        }
        games += c.n_games;
        sgf_collection_free(&c);
    }
    printf("katago9: %ld games, %ld moves, %ld games repeat a position (legal under simple ko only)\n", games, moves, superko);
    ck_assert_int_eq(games, 6509);     /* katago9/README.md */
    ck_assert_int_eq(moves, 434305);   /* katago9/README.md */
    ck_assert_msg(superko * 100 < games, "too many superko repeats: %ld", superko);
}
END_TEST

START_TEST(test_raw_examples)
{
    struct {
        const char *file;
        int size, moves, n_ab, n_aw, handicap;
        stone_t first;
    } ex[] = {
        {"ogs9/raw-examples/ogs_144551.sgf", 9, 44, 0, 0, 0, STONE_BLACK},
        {"ogs9/raw-examples/ogs_189569.sgf", 9, -1, 4, 0, 4, STONE_WHITE},
        {"ogs9/raw-examples/ogs_9729194.sgf", 9, -1, 17, 16, 0, STONE_BLACK},
        {"pro19/raw-examples/AlphaGo__LeeSedol__4c.sgf", 19, 180, 0, 0, 0, STONE_BLACK},
        {"pro19/raw-examples/handicap__ha4c.sgf", 19, -1, 4, 0, 4, STONE_WHITE},
        {"pro19/raw-examples/Cho_Chikun__2008-02-27.sgf", 19, 310, 0, 0, 0, STONE_BLACK},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        const char *path = data_file(ex[i].file);
        sgf_collection_t c;
        sgf_error_t err;
        ck_assert_msg(sgf_read_file(path, &c, &err) == 0, "%s: %s at byte %zu", path, err.message, err.offset);
        ck_assert_int_eq(c.n_games, 1);
        sgf_game_t *g = &c.games[0];
        ck_assert_msg(g->size == ex[i].size, "%s: size %d", ex[i].file, g->size);
        if (ex[i].moves >= 0) ck_assert_msg(g->n_moves == ex[i].moves, "%s: %d moves", ex[i].file, g->n_moves);
        int ab = 0, aw = 0;
        for (int k = 0; k < g->n_setup; k++) {
            ab += g->setup[k].color == STONE_BLACK;
            aw += g->setup[k].color == STONE_WHITE;
        }
        ck_assert_msg(ab == ex[i].n_ab && aw == ex[i].n_aw, "%s: AB %d AW %d", ex[i].file, ab, aw);
        ck_assert_int_eq(g->handicap, ex[i].handicap);
        ck_assert(g->n_moves > 0 && g->moves[0].color == ex[i].first);
        long moves = 0;
        ck_assert_int_eq(replay_all(&c, ex[i].file, &moves), 0);
        round_trip(g, ex[i].file);
        sgf_collection_free(&c);
    }
    /* Specific content. */
    sgf_collection_t c;
    sgf_error_t err;
    ck_assert(sgf_read_file(data_file("pro19/raw-examples/Cho_Chikun__2008-02-27.sgf"), &c, &err) == 0);
    int passes = 0;
    for (int i = 0; i < c.games[0].n_moves; i++) passes += c.games[0].moves[i].point == VERTEX_PASS;
    ck_assert_int_eq(passes, 1); /* W[tt] */
    ck_assert_str_eq(c.games[0].date, "2008-02-27,28");
    ck_assert_str_eq(c.games[0].result, "B+3.5");
    sgf_collection_free(&c);
    ck_assert(sgf_read_file(data_file("pro19/raw-examples/handicap__ha4c.sgf"), &c, &err) == 0);
    ck_assert(c.games[0].has_komi && c.games[0].komi == 40.0f);
    ck_assert_str_eq(c.games[0].black, "Kurosawa Tadanao");
    sgf_collection_free(&c);
    ck_assert(sgf_read_file(data_file("ogs9/raw-examples/ogs_144551.sgf"), &c, &err) == 0);
    ck_assert_int_eq(c.games[0].moves[42].point, VERTEX_PASS);
    ck_assert_int_eq(c.games[0].moves[43].point, VERTEX_PASS);
    ck_assert_str_eq(c.games[0].rules, "Japanese");
    sgf_collection_free(&c);
}
END_TEST

START_TEST(test_collections)
{
    struct {
        const char *file;
        int games;
    } col[] = {{"ogs9/ogs9-000.sgf", 2000}, {"pro19/pro19-000.sgf", 2000}, {"ogs9-kata/ogs9-kata-000.sgf", 2000}};
    for (size_t i = 0; i < sizeof col / sizeof col[0]; i++) {
        sgf_collection_t c;
        sgf_error_t err;
        const char *path = data_file(col[i].file);
        ck_assert_msg(sgf_read_file(path, &c, &err) == 0, "%s: %s at byte %zu", path, err.message, err.offset);
        ck_assert_int_eq(c.n_games, col[i].games);
        long moves = 0, kb = 0;
        int superko = replay_all(&c, col[i].file, &moves);
        for (int g = 0; g < c.n_games; g++)
            for (int m = 0; m < c.games[g].n_moves; m++) kb += c.games[g].moves[m].kb != VERTEX_NONE;
        printf("%s: %d games, %ld moves, %ld KB, %d games repeat a position (legal under simple ko only)\n", col[i].file,
               c.n_games, moves, kb, superko);
        ck_assert_msg(superko * 100 < c.n_games, "too many superko repeats");
        if (strstr(col[i].file, "kata")) {
            ck_assert_int_eq(kb, 98088); /* ogs9-kata/README.md */
            ck_assert_int_eq(kb, moves);
            for (int g = 0; g < 50; g++) round_trip(&c.games[g], col[i].file);
        } else {
            ck_assert_int_eq(kb, 0);
        }
        sgf_collection_free(&c);
    }
}
END_TEST

/* ---- hand-written input ---- */

START_TEST(test_features)
{
    sgf_collection_t c;
    sgf_error_t e;
    /* escapes, soft line breaks, whitespace everywhere, simple text line breaks */
    ck_assert_int_eq(parse_str(" \n( ; SZ [9]\n KM [ 6.5 ] PB[a\\]b] PW[c\\\\d]RE[W+\nR]GC[ab\\\ncd\nef]\n;B [aa] ; W[ ] )\n", &c, &e), 0);
    ck_assert_int_eq(c.n_games, 1);
    sgf_game_t *g = &c.games[0];
    ck_assert_int_eq(g->size, 9);
    ck_assert(g->has_komi && g->komi == 6.5f);
    ck_assert_str_eq(g->black, "a]b");
    ck_assert_str_eq(g->white, "c\\d");
    ck_assert_str_eq(g->result, "W+ R");
    ck_assert_str_eq(g->comment, "abcd\nef");
    ck_assert_int_eq(g->n_moves, 2);
    ck_assert_int_eq(g->moves[0].point, 0);
    ck_assert_int_eq(g->moves[1].point, VERTEX_PASS);
    char *w = sgf_write(g);
    ck_assert_ptr_nonnull(strstr(w, "PB[a\\]b]"));
    ck_assert_ptr_nonnull(strstr(w, "PW[c\\\\d]"));
    ck_assert_ptr_nonnull(strstr(w, "(;GM[1]FF[4]CA[UTF-8]AP[videogo:"));
    ck_assert_ptr_nonnull(strstr(w, ";B[aa];W[])"));
    free(w);
    sgf_collection_free(&c);

    /* lower case and FF[3] identifiers, compressed lists, AE, tt */
    ck_assert_int_eq(parse_str("(;sz[9]AddBlack[aa:cb]AW[ee]AE[ba];b[tt];W[ii])", &c, &e), 0);
    g = &c.games[0];
    ck_assert_int_eq(g->size, 9);
    ck_assert_int_eq(g->n_setup, 8); /* 6 black, 1 white, 1 empty */
    ck_assert_int_eq(g->n_moves, 2);
    ck_assert_int_eq(g->moves[0].color, STONE_BLACK);
    ck_assert_int_eq(g->moves[1].point, 80);
    game_t gm;
    memset(&gm, 0, sizeof gm);
    ck_assert_int_eq(sgf_replay(g, -1, &gm, NULL), 0);
    ck_assert_int_eq(gm.start.stones[1], STONE_EMPTY); /* ba removed by AE */
    ck_assert_int_eq(gm.start.stones[9 + 2], STONE_BLACK); /* cb */
    ck_assert_int_eq(gm.start.stones[4 * 9 + 4], STONE_WHITE);
    ck_assert_int_eq(gm.board.stones[80], STONE_WHITE);
    game_free(&gm);
    sgf_collection_free(&c);

    /* tt is a pass only up to 19x19 */
    ck_assert_int_eq(parse_str("(;SZ[19];B[tt])(;SZ[21];B[tt])(;SZ[19:19];W[tt])", &c, &e), 0);
    ck_assert_int_eq(c.n_games, 3);
    ck_assert_int_eq(c.games[0].moves[0].point, VERTEX_PASS);
    ck_assert_int_eq(c.games[1].moves[0].point, 19 * 21 + 19);
    ck_assert_int_eq(c.games[2].moves[0].point, VERTEX_PASS);
    sgf_collection_free(&c);

    /* main line = first child everywhere; variations are skipped */
    ck_assert_int_eq(parse_str("(;SZ[9];B[aa](;W[bb](;B[cc])(;B[dd];W[ee]))(;W[ff];B[gg]))", &c, &e), 0);
    g = &c.games[0];
    ck_assert_int_eq(g->n_moves, 3);
    ck_assert_int_eq(g->moves[2].point, 2 * 9 + 2);
    sgf_collection_free(&c);

    /* KB (ogs9-kata), SZ after AB in the root, handicap and default size */
    ck_assert_int_eq(parse_str("(;AB[ss]HA[2]SZ[19];W[aa]KB[bb];B[cc]KB[])", &c, &e), 0);
    g = &c.games[0];
    ck_assert_int_eq(g->size, 19);
    ck_assert_int_eq(g->handicap, 2);
    ck_assert_int_eq(g->setup[0].point, 18 * 19 + 18);
    ck_assert_int_eq(g->moves[0].kb, 19 + 1);
    ck_assert_int_eq(g->moves[1].kb, VERTEX_PASS);
    round_trip(g, "KB");
    sgf_collection_free(&c);
    ck_assert_int_eq(parse_str("(;B[aa])", &c, &e), 0);
    ck_assert_int_eq(c.games[0].size, 19);
    ck_assert(!c.games[0].has_komi);
    sgf_collection_free(&c);

    /* deep nesting (OGS writes every move one level deeper): no recursion */
    size_t depth = 20000, n = 0;
    char *deep = xmalloc(depth * 8 + 64);
    n += (size_t)sprintf(deep + n, "(;SZ[9]");
    for (size_t i = 0; i < depth; i++) n += (size_t)sprintf(deep + n, "(;%c[])", i % 2 ? 'W' : 'B') - 1;
    for (size_t i = 0; i < depth; i++) deep[n++] = ')';
    deep[n++] = ')';
    deep[n] = '\0';
    ck_assert_int_eq(sgf_parse(deep, n, &c, &e), 0);
    ck_assert_int_eq(c.games[0].n_moves, (int)depth);
    sgf_collection_free(&c);
    free(deep);
}
END_TEST

START_TEST(test_write_file)
{
    char dir[] = "/tmp/videogo-sgf-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/game.sgf", dir);
    sgf_collection_t c;
    sgf_error_t e;
    ck_assert_int_eq(parse_str("(;SZ[13]KM[0.5]RU[Chinese]PB[b]PW[w]RE[0]DT[2026-01-01]AB[dd][jj];W[gg];B[];W[])", &c, &e), 0);
    ck_assert_int_eq(sgf_write_file(path, &c.games[0]), 0);
    sgf_collection_t d;
    ck_assert_int_eq(sgf_read_file(path, &d, &e), 0);
    assert_same_game(&c.games[0], &d.games[0], "file");
    ck_assert_str_eq(d.games[0].rules, "Chinese");
    ck_assert_str_eq(d.games[0].date, "2026-01-01");
    sgf_collection_free(&c);
    sgf_collection_free(&d);
    unlink(path);
    rmdir(dir);
    ck_assert_int_eq(sgf_read_file(path, &d, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.message, "cannot open"));
}
END_TEST

START_TEST(test_malformed)
{
    struct {
        const char *text;
        size_t offset;
        const char *message;
    } bad[] = {
        {"", 0, "no game tree"},
        {"   \n", 4, "no game tree"},
        {"x(;B[aa])", 0, "expected '('"},
        {"(B[aa])", 1, "expected ';'"},
        {"(;GM[1]SZ[9];B[aa]", 0, "unbalanced parentheses"},
        {"(;B[aa)", 3, "unterminated property value"},
        {"(;SZ[9];B[zz])", 9, "off board"},
        {"(;SZ[9]AB[jj])", 9, "off board"},
        {"(;SZ[19:13])", 4, "rectangular"},
        {"(;SZ[30])", 4, "not supported"},
        {"(;SZ[x])", 4, "board size"},
        {"(;FF[4]C[x]B)", 12, "expected '['"},
        {"(;B[aa]))", 8, "expected '('"},
        {"(;B[a])", 3, "malformed point"},
        {"(;B[aaa])", 3, "malformed point"},
        {"(;B[a1])", 3, "malformed point"},
        {"(;KM[abc])", 4, "number"},
        {"(;GM[2])", 4, "not a game of Go"},
        {"(;B[aa];AB[bb])", 8, "after moves"},
        {"(;AB[])", 4, "empty point"},
        {"(;AB[aa:])", 4, "empty point"},
        {"(;B[aa][bb])", 7, "exactly one value"},
        {"(;B[aa]W[bb]B[cc])", 12, "more than one move"},
        {"(;B[aa]()", 8, "expected ';'"},
        {"(;B[aa]1)", 7, "unexpected character"},
        {"(;B[aa]\\)", 7, "unexpected character"},
        {"(;SZ[9];B[ee];SZ[19]B[ss])", 14, "SZ after moves"},
        {"(;SZ[9];B[ee];SZ[9])", 14, "SZ after moves"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sgf_collection_t c;
        sgf_error_t e;
        int rc = parse_str(bad[i].text, &c, &e);
        ck_assert_msg(rc == -1, "'%s' parsed", bad[i].text);
        ck_assert_msg(c.n_games == 0 && c.games == NULL, "'%s': output not empty", bad[i].text);
        ck_assert_msg(strstr(e.message, bad[i].message) != NULL, "'%s': message '%s' lacks '%s'", bad[i].text, e.message,
                      bad[i].message);
        ck_assert_msg(e.offset == bad[i].offset, "'%s': offset %zu, expected %zu (%s)", bad[i].text, e.offset, bad[i].offset,
                      e.message);
    }
}
END_TEST

/* A file over SGF_MAX_BYTES (here /dev/zero, endless) is refused after reading the limit. */
START_TEST(test_size_limit)
{
    sgf_collection_t c;
    sgf_error_t e;
    ck_assert_int_eq(sgf_read_file("/dev/zero", &c, &e), -1);
    ck_assert_msg(strstr(e.message, "size limit") != NULL, "message: %s", e.message);
    ck_assert(c.n_games == 0 && c.games == NULL);
}
END_TEST

/* Mutates valid SGF text in many seeded ways; the parser must answer every input with
 * either games or an error whose offset lies inside the input. */
START_TEST(test_fuzz)
{
    const char *seeds[] = {
        "(;GM[1]FF[4]CA[UTF-8]SZ[9]KM[7]RU[Chinese]PB[a\\]b]PW[x]RE[B+30];B[ed];W[ef];B[ge];W[dd];B[dc];W[de];B[cc];W[];B[tt])",
        "(;FF[4]GM[1]SZ[19]HA[2]AB[dd][pp]C[multi\nline \\] comment]\n;W[pd](;B[dp]KB[aa](;W[qq])(;W[cc]))(;B[ee]AE[aa])\n)(;SZ[5]AB[aa:cc]AW[ee];B[dd])",
        "(;AddBlack[aa]sz[13]GC[x\\\ny];b[ab]W[]( ; B[cc] ) )",
    };
    const char special[] = "[]();\\:\n \0aZtT9";
    rng_t rng;
    rng_seed(&rng, 20260101);
    int ok = 0, errors = 0;
    char buf[1024];
    for (int iter = 0; iter < 6000; iter++) {
        const char *src = seeds[iter % 3];
        size_t n = strlen(src);
        memcpy(buf, src, n);
        int edits = 1 + (int)rng_below(&rng, 6);
        for (int k = 0; k < edits && n > 0; k++) {
            size_t at = rng_below(&rng, (uint32_t)n);
            switch (rng_below(&rng, 5)) {
            case 0: buf[at] = (char)rng_below(&rng, 256); break;
            case 1: buf[at] = special[rng_below(&rng, sizeof special - 1)]; break;
            case 2: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
            case 3:
                if (n + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = special[rng_below(&rng, sizeof special - 1)];
                    n++;
                }
                break;
            default: n = at; break; /* truncate */
            }
        }
        /* Exactly n bytes, no terminator after them: ASan catches any overread. */
        char *in = xmalloc(n ? n : 1);
        memcpy(in, buf, n);
        sgf_collection_t c;
        sgf_error_t e;
        if (sgf_parse(in, n, &c, &e) == 0) {
            ok++;
            game_t g;
            memset(&g, 0, sizeof g);
            for (int i = 0; i < c.n_games; i++) {
                int bad;
                sgf_replay(&c.games[i], -1, &g, &bad);
                char *w = sgf_write(&c.games[i]);
                ck_assert_ptr_nonnull(w);
                sgf_collection_t c2;
                ck_assert_msg(parse_str(w, &c2, &e) == 0, "rewritten fuzz game does not parse: %s", e.message);
                sgf_collection_free(&c2);
                free(w);
            }
            game_free(&g);
            sgf_collection_free(&c);
        } else {
            errors++;
            ck_assert_msg(e.offset <= n, "offset %zu beyond input of %zu bytes", e.offset, n);
            ck_assert_msg(e.message[0] != '\0', "empty error message");
        }
        free(in);
    }
    printf("fuzz: %d inputs parsed, %d rejected with an error\n", ok, errors);
    ck_assert(ok > 100 && errors > 100);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sgf");
    TCase *tc = tcase_create("sgf");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_features);
    tcase_add_test(tc, test_write_file);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_fuzz);
    tcase_add_test(tc, test_raw_examples);
    tcase_add_test(tc, test_katago9_round_trip);
    tcase_add_test(tc, test_collections);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
