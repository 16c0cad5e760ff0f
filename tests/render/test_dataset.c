/* test_dataset.c: training shards: the split rule, the gobench9 refusal, a full
 * build -> read round trip against an independent replay of the SGF games (every
 * frame, side to move, label, game table, symmetries), corrupt files, the size limit
 * (DATASET_MAX_BYTES; devices and FIFOs refused without blocking), and the `videogo data`
 * command. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/game.h"
#include "engine/sgf.h"
#include "engine/sha256.h"
#include "engine/util.h"
#include "render/dataset.h"
#include "render/sym.h"

static const char *env_or_fail(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && *v, "environment variable %s not set (run through meson test)", name);
    return v;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

START_TEST(test_split_rule)
{
    /* FNV-1a 64 reference values. */
    ck_assert(dataset_fnv1a64("") == 0xcbf29ce484222325ULL);
    ck_assert(dataset_fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    /* The documented formula, spelled out independently. */
    const char *name = "train-000.sgf";
    uint64_t seed = DATASET_DEFAULT_SEED;
    int val = 0, n = 20000, differ = 0;
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        uint64_t h = splitmix64(splitmix64(dataset_fnv1a64(name) ^ seed) ^ i);
        bool v = dataset_is_val(name, i, seed, 20);
        ck_assert_int_eq(v, h % 20 == 0);
        ck_assert_int_eq(v, dataset_is_val(name, i, seed, 20)); /* deterministic */
        val += v;
        differ += v != dataset_is_val("train-001.sgf", i, seed, 20);
        differ += v != dataset_is_val(name, i, seed + 1, 20);
    }
    ck_assert_msg(val > n * 3 / 100 && val < n * 7 / 100, "validation share %d / %d", val, n);
    ck_assert(differ > 0);
    int half = 0;
    for (uint32_t i = 0; i < 1000; i++) half += dataset_is_val(name, i, seed, 2);
    ck_assert(half > 400 && half < 600);
}
END_TEST

START_TEST(test_refuses_gobench9)
{
    const char *data = env_or_fail("VIDEOGO_DATA");
    char p[4096];
    snprintf(p, sizeof p, "%s/gobench9", data);
    ck_assert(dataset_path_forbidden(p));
    snprintf(p, sizeof p, "%s/gobench9/dev.jsonl", data);
    ck_assert(dataset_path_forbidden(p));
    snprintf(p, sizeof p, "%s/katago9", data);
    ck_assert(!dataset_path_forbidden(p));
    ck_assert(!dataset_path_forbidden("/tmp/gobench9x/a.sgf"));
    ck_assert(!dataset_path_forbidden("/tmp/xgobench9/a.sgf"));
    ck_assert(dataset_path_forbidden("relative/gobench9/a.sgf"));

    char dir[] = "/tmp/videogo-forbid-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char link[4096], out[4096];
    snprintf(link, sizeof link, "%s/innocent", dir);
    snprintf(p, sizeof p, "%s/gobench9", data);
    ck_assert_int_eq(symlink(p, link), 0);
    ck_assert(dataset_path_forbidden(link)); /* symlinks are resolved */

    snprintf(out, sizeof out, "%s/out", dir);
    const char *srcs[1] = {link};
    dataset_build_opts_t o = {.sources = srcs, .n_sources = 1, .out_dir = out, .board_size = 9,
                              .seed = DATASET_DEFAULT_SEED, .val_modulus = 20};
    dataset_build_report_t rep;
    char err[512] = "";
    ck_assert_int_eq(dataset_build(&o, &rep, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "gobench9") != NULL, "message: %s", err);
    ck_assert(!exists(out));
    srcs[0] = p;
    ck_assert_int_eq(dataset_build(&o, &rep, err, sizeof err), -1);
    ck_assert(!exists(out));
    ck_assert_int_eq(run("rm -rf '%s'", dir), 0);
}
END_TEST

/* sha256sum's digest of a file, the independent check of the header's hashes. */
static int sha256sum_hex(const char *path, char hex[65])
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    int ok = fscanf(f, "%64s", hex) == 1;
    pclose(f);
    return ok ? 0 : -1;
}

START_TEST(test_build_round_trip)
{
    const char *data = env_or_fail("VIDEOGO_DATA"), *src = env_or_fail("VIDEOGO_SRC");
    char f1[4096], f2[4096], dir[] = "/tmp/videogo-shards-XXXXXX";
    snprintf(f1, sizeof f1, "%s/katago9/train-006.sgf", data);
    snprintf(f2, sizeof f2, "%s/tests/data/render/mixed.sgf", src);
    ck_assert(mkdtemp(dir) != NULL);
    char out[4096];
    snprintf(out, sizeof out, "%s/sub/shards", dir);
    const char *srcs[2] = {f1, f2};
    dataset_build_opts_t o = {.sources = srcs, .n_sources = 2, .out_dir = out, .name = "t", .board_size = 9,
                              .seed = DATASET_DEFAULT_SEED, .val_modulus = DATASET_DEFAULT_VAL_MODULUS};
    dataset_build_report_t rep;
    char err[512] = "";
    ck_assert_msg(dataset_build(&o, &rep, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(rep.n_skipped, 2); /* mixed.sgf: a 13x13 game and an illegal one */
    ck_assert_uint_eq(rep.n_files, 2);

    dataset_t *ds[2];
    for (int k = 0; k < 2; k++) {
        char want[4200];
        snprintf(want, sizeof want, "%s/t-%s.vgs", out, k ? "val" : "train");
        ck_assert_str_eq(rep.path[k], want);
        ds[k] = dataset_open(want, err, sizeof err);
        ck_assert_msg(ds[k] != NULL, "%s", err);
        const dataset_info_t *in = dataset_info(ds[k]);
        ck_assert_uint_eq(in->board_size, 9);
        ck_assert_int_eq(in->split, k);
        ck_assert_str_eq(in->split_name, k ? "validation" : "train");
        ck_assert(in->seed == DATASET_DEFAULT_SEED);
        ck_assert_uint_eq(in->val_modulus, 20);
        ck_assert(strstr(in->split_rule, "splitmix64") != NULL);
        ck_assert_uint_eq(in->n_skipped, 2);
        ck_assert_uint_eq(in->n_sources, 2);
        ck_assert(in->n_games == rep.games[k] && in->n_frames == rep.frames[k]);
        struct stat st;
        ck_assert_int_eq(stat(want, &st), 0);
        ck_assert((uint64_t)st.st_size == rep.bytes[k]);
        for (int s = 0; s < 2; s++) {
            const char *path = srcs[s];
            ck_assert_str_eq(in->sources[s].name, strrchr(path, '/') + 1);
            ck_assert_int_eq(stat(path, &st), 0);
            ck_assert((uint64_t)st.st_size == in->sources[s].size);
            char hex[65], mine[65];
            sha256_hex(in->sources[s].sha256, mine);
            if (sha256sum_hex(path, hex) == 0) ck_assert_str_eq(mine, hex);
        }
        ck_assert_uint_eq(in->sources[1].n_games, 5);
    }
    char hex[65];
    sha256_hex(dataset_info(ds[0])->sources[1].sha256, hex);
    ck_assert_str_eq(hex, "59289b65b9b5f9d4b6cc0f03dd19babfb57632143813ecbeb596ab9bde812ee9");

    render_ctx_t *ctx = render_ctx_new(9, 64), *ctx13 = render_ctx_new(13, 64);
    uint8_t rgb[64 * 64 * 3];
    ck_assert_int_eq(dataset_render_frame(ds[0], ctx13, 0, 0, rgb, NULL), -1);

    /* Replay every game independently and find it, in order, in its split's shard. */
    uint64_t next_game[2] = {0, 0}, total_games = 0;
    for (int s = 0; s < 2; s++) {
        sgf_collection_t col;
        sgf_error_t se;
        ck_assert_msg(sgf_read_file(srcs[s], &col, &se) == 0, "%s", se.message);
        ck_assert_uint_eq(dataset_info(ds[0])->sources[s].n_games, (uint32_t)col.n_games);
        total_games += (uint64_t)col.n_games;
        for (int gi = 0; gi < col.n_games; gi++) {
            const sgf_game_t *g = &col.games[gi];
            int k = dataset_is_val(strrchr(srcs[s], '/') + 1, (uint32_t)gi, DATASET_DEFAULT_SEED, 20);
            /* The builder's rule: setup by sgf_replay, then board rules (occupied,
             * suicide) for every move; superko is not re-judged. */
            game_t gm;
            memset(&gm, 0, sizeof gm);
            int bad = -1;
            if (g->size != 9) continue; /* skipped by the builder */
            ck_assert_int_eq(sgf_replay(g, 0, &gm, &bad), 0);
            board_t start = gm.board, tb = start;
            stone_t start_to_move = gm.to_move;
            game_free(&gm);
            bool legal = true;
            for (int m = 0; m < g->n_moves && legal; m++)
                legal = board_play(&tb, g->moves[m].color, g->moves[m].point, NULL, NULL) == MOVE_OK;
            if (!legal) continue; /* skipped by the builder */
            dataset_game_t dg;
            ck_assert_int_eq(dataset_game(ds[k], next_game[k], &dg), 0);
            ck_assert_uint_eq(dg.source, (uint32_t)s);
            ck_assert_uint_eq(dg.index_in_source, (uint32_t)gi);
            ck_assert_uint_eq(dg.n_frames, (uint32_t)g->n_moves + 1);
            board_t cur = start;
            for (int t = 0; t <= g->n_moves; t++) {
                uint64_t i = dg.first_frame + (uint64_t)t;
                uint8_t stones[BOARD_POINTS];
                stone_t tm;
                ck_assert_int_eq(dataset_frame(ds[k], i, 0, stones, &tm), 0);
                ck_assert_msg(!memcmp(stones, cur.stones, 81), "source %d game %d frame %d", s, gi, t);
                ck_assert_int_eq(dataset_game_of(ds[k], i), (int64_t)next_game[k]);
                ck_assert_int_eq(dataset_frames_after(ds[k], i), g->n_moves - t);
                if (t < g->n_moves) {
                    ck_assert_int_eq(tm, g->moves[t].color);
                    ck_assert_int_eq(dataset_label_move(ds[k], i, 0), g->moves[t].point);
                    ck_assert_int_eq(board_play(&cur, g->moves[t].color, g->moves[t].point, NULL, NULL), MOVE_OK);
                } else {
                    ck_assert_int_eq(tm, g->n_moves ? stone_other(g->moves[t - 1].color) : start_to_move);
                    ck_assert_int_eq(dataset_label_move(ds[k], i, 0), VERTEX_NONE);
                }
                /* symmetries on read */
                int sym = (int)((i * 5 + 3) % SYM_COUNT);
                uint8_t ts[BOARD_POINTS], want[BOARD_POINTS];
                ck_assert_int_eq(dataset_frame(ds[k], i, sym, ts, NULL), 0);
                sym_stones(want, stones, 9, sym);
                ck_assert(!memcmp(ts, want, 81));
                if (t < g->n_moves)
                    ck_assert_int_eq(dataset_label_move(ds[k], i, sym), sym_point(g->moves[t].point, 9, sym));
                board_t b, r;
                ck_assert_int_eq(dataset_frame_board(ds[k], i, sym, &b, NULL), 0);
                ck_assert(!memcmp(b.stones, want, 81));
                if (i % 7 == 0) { /* rendered on the fly, read back */
                    stone_t tm2;
                    ck_assert_int_eq(dataset_render_frame(ds[k], ctx, i, sym, rgb, &tm2), 0);
                    ck_assert_int_eq(tm2, tm);
                    ck_assert_int_eq(render_board_read(rgb, 64, 9, &r), 0);
                    ck_assert(!memcmp(r.stones, want, 81));
                }
            }
            next_game[k]++;
        }
        sgf_collection_free(&col);
    }
    for (int k = 0; k < 2; k++) ck_assert(next_game[k] == dataset_info(ds[k])->n_games);
    ck_assert(next_game[0] + next_game[1] + 2 == total_games);
    ck_assert(next_game[1] > 0 && next_game[1] * 10 < next_game[0]);

    /* out of range */
    uint8_t stones[BOARD_POINTS];
    ck_assert_int_eq(dataset_frame(ds[0], dataset_info(ds[0])->n_frames, 0, stones, NULL), -1);
    ck_assert_int_eq(dataset_frame(ds[0], 0, 8, stones, NULL), -1);
    ck_assert_int_eq(dataset_label_move(ds[0], dataset_info(ds[0])->n_frames, 0), -100);
    ck_assert_int_eq(dataset_game_of(ds[0], dataset_info(ds[0])->n_frames), -1);
    dataset_game_t dg;
    ck_assert_int_eq(dataset_game(ds[0], dataset_info(ds[0])->n_games, &dg), -1);

    /* A rebuild gives byte-identical shards (deterministic). */
    char again[4096];
    snprintf(again, sizeof again, "%s/again", dir);
    o.out_dir = again;
    dataset_build_report_t rep2;
    ck_assert_int_eq(dataset_build(&o, &rep2, err, sizeof err), 0);
    for (int k = 0; k < 2; k++) ck_assert_int_eq(run("cmp -s '%s' '%s'", rep.path[k], rep2.path[k]), 0);

    /* Corruption is detected at open. */
    char bad[4096];
    snprintf(bad, sizeof bad, "%s/bad.vgs", dir);
    ck_assert_int_eq(run("head -c 1000 '%s' > '%s'", rep.path[0], bad), 0);
    ck_assert(dataset_open(bad, err, sizeof err) == NULL);
    ck_assert_msg(strstr(err, "rebuild") != NULL, "%s", err);
    ck_assert_int_eq(run("(printf XXXXXXXX; tail -c +9 '%s') > '%s'", rep.path[0], bad), 0);
    ck_assert(dataset_open(bad, err, sizeof err) == NULL);
    ck_assert(strstr(err, "magic") != NULL);
    ck_assert_int_eq(run("cat '%s' '%s' > '%s'", rep.path[0], f2, bad), 0); /* trailing garbage */
    ck_assert(dataset_open(bad, err, sizeof err) == NULL);
    ck_assert(dataset_open("/nonexistent.vgs", err, sizeof err) == NULL);

    for (int k = 0; k < 2; k++) dataset_close(ds[k]);
    render_ctx_free(ctx);
    render_ctx_free(ctx13);
    ck_assert_int_eq(run("rm -rf '%s'", dir), 0);
}
END_TEST

START_TEST(test_cli_data)
{
    const char *bin = env_or_fail("VIDEOGO_BIN"), *src = env_or_fail("VIDEOGO_SRC"),
               *data = env_or_fail("VIDEOGO_DATA");
    char dir[] = "/tmp/videogo-datacli-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    ck_assert_int_eq(
        run("'%s' data build '%s/tests/data/render/mixed.sgf' --out '%s/s' >/dev/null 2>&1", bin, src, dir), 0);
    char p[4096];
    snprintf(p, sizeof p, "%s/s/mixed-train.vgs", dir);
    ck_assert(exists(p));
    snprintf(p, sizeof p, "%s/s/mixed-val.vgs", dir);
    ck_assert(exists(p));
    ck_assert_int_eq(run("'%s' data info '%s/s/mixed-train.vgs' | grep -q 'split train'", bin, dir), 0);
    ck_assert_int_eq(
        run("'%s' data info '%s/s/mixed-train.vgs' | grep -q 59289b65b9b5f9d4b6cc0f03dd19babfb57632143813ecbeb596ab9bde812ee9",
            bin, dir),
        0);
    ck_assert(run("'%s' data build '%s/gobench9' --out '%s/g' >/dev/null 2>&1", bin, data, dir) != 0);
    ck_assert(run("'%s' data build '%s/gobench9' --out '%s/g' 2>&1 | grep -q gobench9", bin, data, dir) == 0);
    snprintf(p, sizeof p, "%s/g", dir);
    ck_assert(!exists(p));
    ck_assert(run("'%s' data info /nonexistent.vgs 2>/dev/null", bin) != 0);
    ck_assert(run("'%s' data --help >/dev/null", bin) == 0);
    ck_assert(run("'%s' data frobnicate 2>/dev/null", bin) != 0);
    ck_assert_int_eq(run("rm -rf '%s'", dir), 0);
}
END_TEST

/* A shard grown (sparsely, no disk used) past DATASET_MAX_BYTES is refused before it is mapped,
 * with the limit in the message; /dev/zero and a FIFO with no writer are refused at once (alarm:
 * a FIFO used to block open() for ever). */
START_TEST(test_size_limit)
{
    alarm(60);
    const char *src = env_or_fail("VIDEOGO_SRC");
    char f[4096], dir[] = "/tmp/videogo-shards-XXXXXX", err[512] = "";
    snprintf(f, sizeof f, "%s/tests/data/render/video.sgf", src);
    ck_assert(mkdtemp(dir) != NULL);
    const char *srcs[1] = {f};
    dataset_build_opts_t o = {.sources = srcs, .n_sources = 1, .out_dir = dir, .name = "t", .board_size = 9,
                              .seed = DATASET_DEFAULT_SEED, .val_modulus = 2};
    dataset_build_report_t rep;
    ck_assert_msg(dataset_build(&o, &rep, err, sizeof err) == 0, "%s", err);
    dataset_t *ds = dataset_open(rep.path[0], err, sizeof err);
    ck_assert_msg(ds != NULL, "%s", err);
    dataset_close(ds);
    ck_assert_int_eq(truncate(rep.path[0], (off_t)DATASET_MAX_BYTES + 1), 0);
    ck_assert_ptr_null(dataset_open(rep.path[0], err, sizeof err));
    ck_assert_msg(strstr(err, "larger than 16 GiB, the shard size limit") != NULL, "%s", err);

    ck_assert_ptr_null(dataset_open("/dev/zero", err, sizeof err));
    ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
    char fifo[4200];
    snprintf(fifo, sizeof fifo, "%s/fifo.vgs", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_ptr_null(dataset_open(fifo, err, sizeof err));
    ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
    /* A source that never ends is refused at the SGF limit (it used to be hashed for ever). */
    const char *zero[1] = {"/dev/zero"};
    o.sources = zero;
    ck_assert_int_eq(dataset_build(&o, &rep, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "/dev/zero: larger than 64 MiB, the SGF size limit") != NULL, "%s", err);
    ck_assert_int_eq(run("rm -rf '%s'", dir), 0);
    alarm(0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("shards");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_split_rule);
    tcase_add_test(tc, test_refuses_gobench9);
    tcase_add_test(tc, test_build_round_trip);
    tcase_add_test(tc, test_cli_data);
    tcase_add_test(tc, test_size_limit);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
