/* bench_engine.c: `videogo bench engine`: speed of the rules code, one core.
 *
 * Baseline (measured in the same run): copying a board_t, the cheapest thing a move
 * can cost. Reported: board_play in random playouts (ns/move), game_play with the
 * positional superko scan, SGF parse + replay of a generated collection, and
 * deadstones_estimate on finished random-play boards, each also as a ratio to the
 * baseline so numbers from different machines compare. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/deadstones.h"
#include "engine/sgf.h"
#include "engine/util.h"

/* Random playout with board_play only (no eye filling); returns moves played. */
static long playout(board_t *b, rng_t *rng)
{
    int np = board_points(b), passes = 0;
    long moves = 0;
    stone_t c = STONE_BLACK;
    for (int m = 0; m < 3 * np && passes < 2; m++) {
        int p = VERTEX_PASS;
        for (int t = 0; t < 16; t++) {
            int q = (int)rng_below(rng, (uint32_t)np);
            if (b->stones[q] == STONE_EMPTY && !board_is_eye(b, q, c) && board_play(b, c, q, NULL, NULL) == MOVE_OK) {
                p = q;
                break;
            }
        }
        passes = p == VERTEX_PASS ? passes + 1 : 0;
        moves += p != VERTEX_PASS;
        c = stone_other(c);
    }
    return moves;
}

int cmd_bench_engine(int argc, char **argv)
{
    int size = 9;
    double seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: videogo bench engine [--size N] [--seconds S]\n\n"
                   "Times board_play (random playouts), game_play (positional superko), SGF\n"
                   "parse+replay and deadstones_estimate on one core; prints ns per move and\n"
                   "ratios to copying a board (the baseline, measured in the same run).\n");
            return 0;
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "videogo bench engine: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (size < BOARD_MIN || size > BOARD_MAX || seconds <= 0) {
        fprintf(stderr, "videogo bench engine: --size must be 2..25 and --seconds > 0\n");
        return 2;
    }
    rng_t rng;
    rng_seed(&rng, 1);
    board_t b, copy;
    board_init(&b, size);

    /* baseline: board copies */
    long n = 0;
    double t0 = time_cpu();
    volatile uint64_t sink = 0;
    while (time_cpu() - t0 < seconds / 4) {
        for (int i = 0; i < 10000; i++) {
            b.stones[i % board_points(&b)] ^= 1;
            copy = b;
            sink += copy.stones[(i * 7) % board_points(&b)];
        }
        n += 10000;
    }
    double base_ns = 1e9 * (time_cpu() - t0) / (double)n;
    printf("baseline: board_t copy %.1f ns\n", base_ns);

    /* board_play in playouts */
    n = 0;
    long playouts = 0;
    t0 = time_cpu();
    while (time_cpu() - t0 < seconds) {
        board_init(&b, size);
        n += playout(&b, &rng);
        playouts++;
    }
    double play_ns = 1e9 * (time_cpu() - t0) / (double)n;
    printf("board_play, random playouts %dx%d: %.1f ns/move (%.1fx baseline), %ld playouts of %.0f moves\n", size, size,
           play_ns, play_ns / base_ns, playouts, (double)n / (double)playouts);

    /* game_play with superko, and an SGF collection of those games */
    game_t g;
    memset(&g, 0, sizeof g);
    sgf_game_t sg;
    memset(&sg, 0, sizeof sg);
    sg.size = size;
    n = 0;
    t0 = time_cpu();
    char *coll = NULL;
    size_t coll_len = 0;
    int games = 0;
    while (time_cpu() - t0 < seconds) {
        game_init(&g, size, 7.0f);
        int passes = 0, np = size * size;
        sg.moves = xrealloc(sg.moves, sizeof *sg.moves * (size_t)(3 * np + 2));
        sg.n_moves = 0;
        for (int m = 0; m < 3 * np && passes < 2; m++) {
            int p = VERTEX_PASS;
            for (int t = 0; t < 16; t++) {
                int q = (int)rng_below(&rng, (uint32_t)np);
                if (g.board.stones[q] == STONE_EMPTY && !board_is_eye(&g.board, q, g.to_move) &&
                    game_play(&g, g.to_move, q) == MOVE_OK) {
                    p = q;
                    break;
                }
            }
            if (p == VERTEX_PASS) game_play(&g, g.to_move, VERTEX_PASS);
            sg.moves[sg.n_moves++] = (sgf_move_t){g.moves[g.n_moves - 1].color, p, VERTEX_NONE};
            passes = p == VERTEX_PASS ? passes + 1 : 0;
        }
        n += g.n_moves;
        if (games < 200) {
            char *text = sgf_write(&sg);
            size_t len = strlen(text);
            coll = xrealloc(coll, coll_len + len + 1);
            memcpy(coll + coll_len, text, len + 1);
            coll_len += len;
            free(text);
            games++;
        }
        game_free(&g);
    }
    double game_ns = 1e9 * (time_cpu() - t0) / (double)n;
    printf("game_play with superko (includes move choice): %.1f ns/move (%.1fx baseline)\n", game_ns, game_ns / base_ns);

    sgf_collection_t c;
    sgf_error_t err;
    long replayed = 0;
    int rounds = 0;
    t0 = time_cpu();
    while (time_cpu() - t0 < seconds) {
        if (sgf_parse(coll, coll_len, &c, &err) < 0) die("bench: generated SGF does not parse: %s", err.message);
        for (int i = 0; i < c.n_games; i++) {
            int bad;
            if (sgf_replay(&c.games[i], -1, &g, &bad) == 0) replayed += c.games[i].n_moves;
        }
        sgf_collection_free(&c);
        rounds++;
    }
    double sgf_ns = 1e9 * (time_cpu() - t0) / (double)replayed;
    printf("SGF parse + replay: %.1f ns/move (%.1fx baseline), %d games x %d rounds, %.1f MB/s of SGF\n", sgf_ns,
           sgf_ns / base_ns, games, rounds, (double)coll_len * rounds / (time_cpu() - t0) / 1e6);
    game_free(&g);
    free(sg.moves);
    free(coll);

    /* dead stones on finished random boards */
    int est = 0;
    uint8_t st[BOARD_POINTS];
    t0 = time_cpu();
    while (time_cpu() - t0 < seconds || est < 3) {
        board_init(&b, size);
        playout(&b, &rng);
        deadstones_estimate(&b, STONE_BLACK, (uint64_t)est, st);
        est++;
    }
    double dead_ms = 1e3 * (time_cpu() - t0) / est;
    printf("deadstones_estimate on finished %dx%d playouts: %.2f ms (%.0fx baseline)\n", size, size, dead_ms,
           dead_ms * 1e6 / base_ns);
    (void)sink;
    return 0;
}
