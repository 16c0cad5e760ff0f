/* test_policy.c: the learned policy and player (model/policy.h, player/learned.h) on TINY randomly initialised
 * networks written to a temporary folder (tests/model/tiny_policy.c): what the networks
 * answer is noise, so these tests check the machinery and the Go rules around it, never
 * playing strength:
 *   - the distribution is a distribution (82 values summing to 1), reproducible from the rng;
 *   - over whole games the player never returns an illegal move nor fills its own true eye,
 *     for both colours, and the games end;
 *   - kgs-genmove_cleanup captures dead stones before passing; the player passes when the
 *     opponent passed and it wins, once the dead stones in its area are captured (a
 *     Tromp-Taylor referee counts them), and does not when it is behind with points left;
 *   - reg_genmove is the same whatever the player's seed, genmove reproducible from the seed;
 *   - analyze: sorted, legal, sum <= 1, the same numbers as the imagined rollouts;
 *   - paper mode returns the IDM's argmax of a rollout, retrying illegal moves;
 *   - the loader refuses a tokenizer or an LDM other than the ones the files record;
 *   - a video-only transformer plays with the LDM's codes of its imagined frames;
 *   - GTP: the imagination commands (gfx, PNG files) and `videogo eval gobench --weights`;
 *     kata-analyze streams a growing search until the next command; # interrupt ends a genmove;
 *   - a `videogo match` game against GNU Go level 1 ends by passes (skipped without gnugo).
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/deadstones.h"
#include "engine/game.h"
#include "gtp/gtp.h"
#include "model/policy.h"
#include "player/learned.h"
#include "render/sym.h"
#include "render/render.h"
#include "tests/model/tiny_policy.h"

static char tmpdir[256], dir5[300], dir0[300], dir_other[300], dir_other0[300];

static policy_t *load_mode(const char *dir, int K, bool top)
{
    policy_config_t cfg;
    char err[2048];
    policy_config_default(&cfg);
    policy_config_set_dir(&cfg, dir);
    cfg.max_rollouts = K;
    cfg.top_codes = top;
    policy_t *p = policy_load(&cfg, err, sizeof err);
    ck_assert_msg(p != NULL, "policy_load %s: %s", dir, err);
    return p;
}

static policy_t *load(const char *dir, int K) { return load_mode(dir, K, true); }

static player_t *learned(const char *dir, int K, uint64_t seed)
{
    policy_player_opts_t o;
    policy_player_opts_default(&o);
    o.rollouts = K;
    o.seed = seed;
    return policy_player_new(load(dir, K), &o);
}

/* Sets up a 9x9 position from rows of '.', 'X' (black), 'O' (white), top row first. */
static void setup(game_t *g, const char *const rows[9])
{
    ck_assert_int_eq(game_init(g, 9, 7.0f), 0);
    for (int r = 0; r < 9; r++)
        for (int c = 0; c < 9; c++)
            if (rows[r][c] != '.') ck_assert_int_eq(game_setup(g, r * 9 + c, rows[r][c] == 'X' ? STONE_BLACK : STONE_WHITE), 0);
}

START_TEST(test_distribution)
{
    policy_t *p = load_mode(dir5, 4, false); /* sampled futures */
    ck_assert_int_eq(policy_board_size(p), 9);
    ck_assert_int_eq(policy_horizon(p), 5);
    board_t b;
    board_init(&b, 9);
    board_play(&b, STONE_BLACK, 40, NULL, NULL);
    float a[POLICY_MOVES], c[POLICY_MOVES], d[POLICY_MOVES];
    rng_t r1, r2;
    rng_seed(&r1, 5);
    rng_seed(&r2, 5);
    ck_assert_int_eq(policy_distribution(p, &b, STONE_WHITE, 4, &r1, a), 0);
    ck_assert_int_eq(policy_distribution(p, &b, STONE_WHITE, 4, &r2, c), 0);
    double sum = 0;
    for (int i = 0; i < POLICY_MOVES; i++) {
        ck_assert(a[i] >= 0 && a[i] <= 1);
        ck_assert(a[i] == c[i]); /* same rng state, same numbers */
        sum += a[i];
    }
    ck_assert_msg(fabs(sum - 1) < 1e-4, "sum %g", sum);
    /* a different rng state samples different futures: some probability moves */
    ck_assert_int_eq(policy_distribution(p, &b, STONE_WHITE, 4, &r1, d), 0);
    double diff = 0;
    for (int i = 0; i < POLICY_MOVES; i++) diff += fabs(d[i] - a[i]);
    ck_assert_msg(diff > 0, "two draws of the transformer gave identical distributions");
    /* other board sizes are refused, not crashed on */
    board_t b13;
    board_init(&b13, 13);
    ck_assert_int_eq(policy_distribution(p, &b13, STONE_BLACK, 1, &r1, a), -1);
    policy_free(p);
}
END_TEST

/* Plays a game with the learned player choosing for `learned_colors` (bit 1 black, 2 white)
 * and a random player for the others; checks every learned move. Returns the moves. */
static int play_game(player_t *pl, player_t *rnd, int learned_colors, int max_moves, game_t *g, int *moves)
{
    int n = 0;
    stone_t c = STONE_BLACK;
    while (n < max_moves && !game_over(g)) {
        player_t *who = (learned_colors & c) ? pl : rnd;
        int p = VERTEX_NONE;
        ck_assert_int_eq(who->genmove(who, g, c, GENMOVE_NORMAL, &p), 0);
        ck_assert_msg(p != VERTEX_RESIGN, "resigned with resignation off");
        if (p >= 0) {
            ck_assert_msg(game_check(g, c, p) == MOVE_OK, "%s chose illegal %d at move %d", who->name, p, n);
            ck_assert_msg(!board_is_eye(&g->board, p, c), "%s filled its own eye %d at move %d", who->name, p, n);
        } else {
            ck_assert_int_eq(p, VERTEX_PASS);
        }
        ck_assert_int_eq(game_play(g, c, p), MOVE_OK);
        moves[n++] = p;
        c = stone_other(c);
    }
    return n;
}

START_TEST(test_random_games_legal)
{
    player_t *pl = learned(dir5, 2, 11), *rnd = player_random_new(3);
    int moves[400];
    for (int colors = 1; colors <= 3; colors++) {
        game_t g = {0};
        game_init(&g, 9, 7.0f);
        int n = play_game(pl, rnd, colors, 400, &g, moves);
        ck_assert_msg(game_over(&g), "game with learned colours %d did not end in %d moves", colors, n);
        game_free(&g);
    }
    pl->free(pl);
    rnd->free(rnd);
}
END_TEST

START_TEST(test_seed_reproducible)
{
    player_t *a = learned(dir5, 2, 42), *b = learned(dir5, 2, 42), *rnd1 = player_random_new(9),
             *rnd2 = player_random_new(9);
    int ma[60], mb[60];
    game_t ga = {0}, gb = {0};
    game_init(&ga, 9, 7.0f);
    game_init(&gb, 9, 7.0f);
    int na = play_game(a, rnd1, 3, 60, &ga, ma), nb = play_game(b, rnd2, 3, 60, &gb, mb);
    ck_assert_int_eq(na, nb);
    for (int i = 0; i < na; i++) ck_assert_int_eq(ma[i], mb[i]);
    /* analysis in between does not change the game (the rollouts depend on the position) */
    game_t gc = {0};
    game_init(&gc, 9, 7.0f);
    a->seed(a, 42);
    for (int i = 0; i < 20 && i < na; i++) {
        stone_t c = i % 2 ? STONE_WHITE : STONE_BLACK;
        player_candidate_t cand[BOARD_POINTS + 1];
        a->analyze(a, &gc, stone_other(c), cand, BOARD_POINTS + 1);
        int p;
        a->genmove(a, &gc, c, GENMOVE_NORMAL, &p);
        ck_assert_int_eq(p, ma[i]);
        game_play(&gc, c, p);
    }
    game_free(&ga);
    game_free(&gb);
    game_free(&gc);
    a->free(a);
    b->free(b);
    rnd1->free(rnd1);
    rnd2->free(rnd2);
}
END_TEST

/* The learned player on dir5's networks with one rollout as the prior of a search of
 * `playouts` playouts. */
static player_t *search_player(uint64_t seed, int playouts)
{
    policy_player_opts_t o;
    policy_player_opts_default(&o);
    o.rollouts = 1;
    o.seed = seed;
    o.search.playouts = playouts;
    return policy_player_new(load(dir5, 1), &o);
}

/* --playouts: the search chooses the moves (legal, no own eye, games end), the same seed
 * gives the same game, and against the random player it wins both colours' games (the tiny
 * random networks as its prior cannot do that alone). */
START_TEST(test_search_player)
{
    player_t *a = search_player(5, 300), *b = search_player(5, 300);
    int ma[400], mb[400], wins = 0;
    for (int colors = 1; colors <= 2; colors++) {
        player_t *r1 = player_random_new(21), *r2 = player_random_new(21);
        game_t ga = {0}, gb = {0};
        game_init(&ga, 9, 7.0f);
        game_init(&gb, 9, 7.0f);
        int na = play_game(a, r1, colors, 400, &ga, ma), nb = play_game(b, r2, colors, 400, &gb, mb);
        ck_assert_msg(game_over(&ga), "search game (colours %d) did not end in %d moves", colors, na);
        ck_assert_int_eq(na, nb);
        for (int i = 0; i < na; i++) ck_assert_int_eq(ma[i], mb[i]);
        /* scored as the match runner does: the estimated dead stones removed (the player
         * passes once the opponent passed and it wins that way) */
        uint8_t st[BOARD_POINTS], dead[BOARD_POINTS];
        deadstones_estimate(&ga.board, STONE_BLACK, 1, st);
        for (int p = 0; p < 81; p++) dead[p] = st[p] == STATUS_DEAD;
        float s = game_score(&ga, dead);
        wins += colors == STONE_BLACK ? s > 0 : s < 0;
        game_free(&ga);
        game_free(&gb);
        r1->free(r1);
        r2->free(r2);
    }
    ck_assert_msg(wins == 2, "the search player won %d of 2 games against random play", wins);
    /* analysis shows the search: visited children, most visited first, the first one the move
     * genmove plays there */
    game_t g = {0};
    game_init(&g, 9, 7.0f);
    ck_assert_int_eq(game_play(&g, STONE_BLACK, 40), MOVE_OK);
    player_candidate_t cand[BOARD_POINTS + 1];
    int n = a->analyze(a, &g, STONE_WHITE, cand, BOARD_POINTS + 1), sum = 0, p = VERTEX_NONE;
    ck_assert_int_gt(n, 1);
    for (int i = 0; i < n; i++) {
        ck_assert_int_gt(cand[i].visits, 0);
        if (i) ck_assert_int_ge(cand[i - 1].visits, cand[i].visits);
        sum += cand[i].visits;
    }
    ck_assert_int_eq(sum, 300);
    ck_assert_int_eq(a->genmove(a, &g, STONE_WHITE, GENMOVE_NORMAL, &p), 0);
    ck_assert_int_eq(p, cand[0].point);
    game_free(&g);
    a->free(a);
    b->free(b);
}
END_TEST

START_TEST(test_reg_genmove_deterministic)
{
    player_t *a = learned(dir5, 3, 1), *b = learned(dir5, 3, 999);
    game_t g = {0};
    game_init(&g, 9, 7.0f);
    static const int opening[] = {40, 30, 50, 20, 60};
    for (int i = 0; i < 5; i++) game_play(&g, i % 2 ? STONE_WHITE : STONE_BLACK, opening[i]);
    int p1, p2, p3;
    ck_assert_int_eq(a->genmove(a, &g, STONE_WHITE, GENMOVE_REGRESS, &p1), 0);
    ck_assert_int_eq(b->genmove(b, &g, STONE_WHITE, GENMOVE_REGRESS, &p2), 0);
    ck_assert_int_eq(a->genmove(a, &g, STONE_WHITE, GENMOVE_REGRESS, &p3), 0);
    ck_assert_int_eq(p1, p2);
    ck_assert_int_eq(p1, p3);
    ck_assert(p1 == VERTEX_PASS || game_check(&g, STONE_WHITE, p1) == MOVE_OK);
    ck_assert_int_eq(g.n_moves, 5); /* not played */
    game_free(&g);
    a->free(a);
    b->free(b);
}
END_TEST

/* Black walls off columns A-D, White columns F-J; a white stone B5 inside Black's area. */
static const char *const dead_rows[9] = {
    "...XO....", "...XO....", "...XO....", "...XO....", ".O.XO....",
    "...XO....", "...XO....", "...XO....", "...XO....",
};

START_TEST(test_cleanup_captures_dead)
{
    game_t g = {0};
    setup(&g, dead_rows);
    uint8_t st[BOARD_POINTS];
    deadstones_estimate(&g.board, STONE_BLACK, 7, st);
    ck_assert_msg(st[4 * 9 + 1] == STATUS_DEAD, "fixture: B5 should be dead");
    player_t *pl = learned(dir5, 2, 5);
    int captured_at = -1;
    for (int i = 0; i < 12 && captured_at < 0; i++) {
        int p;
        ck_assert_int_eq(pl->genmove(pl, &g, STONE_BLACK, GENMOVE_CLEANUP, &p), 0);
        ck_assert_msg(p >= 0, "cleanup passed (%d) with a dead white stone on B5", p);
        ck_assert(!board_is_eye(&g.board, p, STONE_BLACK));
        ck_assert_int_eq(game_play(&g, STONE_BLACK, p), MOVE_OK);
        if (g.board.stones[4 * 9 + 1] == STONE_EMPTY) captured_at = i;
        else ck_assert_int_eq(game_play(&g, STONE_WHITE, VERTEX_PASS), MOVE_OK);
    }
    ck_assert_msg(captured_at >= 0, "B5 not captured in 12 cleanup moves");
    game_free(&g);
    pl->free(pl);
}
END_TEST

/* The opponent passed: pass when winning; when behind with dame left, play on. */
START_TEST(test_pass_rules)
{
    static const char *const black_ahead[9] = {
        ".....XO..", ".....XO..", ".....XO..", ".....XO..", ".....XO..",
        ".....XO..", ".....XO..", ".....XO..", ".....XO..",
    };
    game_t g = {0};
    setup(&g, black_ahead);
    ck_assert_int_eq(game_play(&g, STONE_WHITE, VERTEX_PASS), MOVE_OK);
    player_t *pl = learned(dir5, 2, 5);
    int p;
    ck_assert_int_eq(pl->genmove(pl, &g, STONE_BLACK, GENMOVE_NORMAL, &p), 0);
    ck_assert_int_eq(p, VERTEX_PASS);
    game_free(&g);

    /* the same with a dead white stone on B5 inside Black's area: a referee counting the board
     * as it stands (Tromp-Taylor) would give it to White, so Black captures it before passing,
     * also in a normal genmove */
    static const char *const ahead_dead[9] = {
        ".....XO..", ".....XO..", ".....XO..", ".....XO..", ".O...XO..",
        ".....XO..", ".....XO..", ".....XO..", ".....XO..",
    };
    setup(&g, ahead_dead);
    int moves = 0;
    for (;;) {
        ck_assert_int_eq(game_play(&g, STONE_WHITE, VERTEX_PASS), MOVE_OK);
        ck_assert_int_eq(pl->genmove(pl, &g, STONE_BLACK, GENMOVE_NORMAL, &p), 0);
        if (p == VERTEX_PASS) break;
        ck_assert_msg(++moves <= 12, "no pass after 12 moves");
        ck_assert_int_eq(game_play(&g, STONE_BLACK, p), MOVE_OK);
    }
    ck_assert_msg(g.board.stones[4 * 9 + 1] == STONE_EMPTY, "passed with the dead white stone on B5 (%d moves)", moves);
    ck_assert_int_gt(moves, 0);
    game_free(&g);

    /* White far ahead, a neutral column between: Black, behind, must not pass after White's pass */
    static const char *const white_ahead[9] = {
        ".XO......", ".XO......", ".XO......", ".XO......", ".XO......",
        ".XO......", ".XO......", ".XO......", ".X.O.....",
    };
    game_t h = {0};
    setup(&h, white_ahead);
    ck_assert_int_eq(game_play(&h, STONE_WHITE, VERTEX_PASS), MOVE_OK);
    ck_assert_int_eq(pl->genmove(pl, &h, STONE_BLACK, GENMOVE_NORMAL, &p), 0);
    ck_assert_msg(p >= 0, "passed while behind with a neutral point left");
    ck_assert_int_eq(game_check(&h, STONE_BLACK, p), MOVE_OK);
    game_free(&h);

    /* settled late in the game, Black ahead, every black candidate inside its own area (White's
     * two eyes are suicide for Black): pass, although White did not just pass */
    static const char *const settled[9] = {
        "......XO.", "......XOO", "......XOO", "......XOO", "......XOO",
        "......XOO", "......XOO", "......XOO", "......XO.",
    };
    game_t t = {0};
    setup(&t, settled);
    for (int i = 0; i < 27; i++) game_play(&t, i % 2 ? STONE_WHITE : STONE_BLACK, VERTEX_PASS);
    ck_assert_int_eq(pl->genmove(pl, &t, STONE_BLACK, GENMOVE_NORMAL, &p), 0);
    ck_assert_int_eq(p, VERTEX_PASS);
    game_free(&t);

    /* only own eyes left: pass */
    static const char *const eyes[9] = {
        ".X.XXXXXX", "XXXXXXXXX", "XXXXXXXXX", "XXXXXXXXX", "XXXXXXXXX",
        "XXXXXXXXX", "XXXXXXXXX", "XXXXXXXXX", "XXXXXXXX.",
    };
    game_t e = {0};
    setup(&e, eyes);
    ck_assert_int_eq(pl->genmove(pl, &e, STONE_BLACK, GENMOVE_NORMAL, &p), 0);
    ck_assert_int_eq(p, VERTEX_PASS);
    game_free(&e);
    pl->free(pl);
}
END_TEST

START_TEST(test_resign_flag)
{
    static const char *const white_ahead[9] = {
        ".XO......", ".XO......", ".XO......", ".XO......", ".XO......",
        ".XO......", ".XO......", ".XO......", ".XO......",
    };
    game_t g = {0};
    setup(&g, white_ahead);
    for (int i = 0; i < 32; i++) game_play(&g, i % 2 ? STONE_WHITE : STONE_BLACK, VERTEX_PASS);
    /* (the passes make g long enough for the rule; the last was White's, Black to move) */
    policy_player_opts_t o;
    policy_player_opts_default(&o);
    o.rollouts = 1;
    player_t *off = policy_player_new(load(dir5, 1), &o);
    o.resign_below = 10;
    player_t *on = policy_player_new(load(dir5, 1), &o);
    int p;
    off->genmove(off, &g, STONE_BLACK, GENMOVE_NORMAL, &p);
    ck_assert_int_ne(p, VERTEX_RESIGN);
    on->genmove(on, &g, STONE_BLACK, GENMOVE_NORMAL, &p);
    ck_assert_int_eq(p, VERTEX_RESIGN);
    off->free(off);
    on->free(on);
    game_free(&g);
}
END_TEST

START_TEST(test_analyze)
{
    player_t *pl = learned(dir5, 3, 8);
    game_t g = {0};
    game_init(&g, 9, 7.0f);
    static const int opening[] = {40, 41, 31, 49};
    for (int i = 0; i < 4; i++) game_play(&g, i % 2 ? STONE_WHITE : STONE_BLACK, opening[i]);
    player_candidate_t c[BOARD_POINTS + 1];
    int n = pl->analyze(pl, &g, STONE_BLACK, c, BOARD_POINTS + 1);
    ck_assert_int_eq(n, 81 - 4 + 1); /* every empty point is a candidate here, and the pass */
    double sum = 0;
    bool pass = false;
    for (int i = 0; i < n; i++) {
        sum += c[i].prior;
        if (i) ck_assert(c[i].prior <= c[i - 1].prior);
        ck_assert(c[i].winrate >= 0 && c[i].winrate <= 1);
        if (c[i].point == VERTEX_PASS) pass = true;
        else ck_assert_int_eq(game_check(&g, STONE_BLACK, c[i].point), MOVE_OK);
    }
    ck_assert(pass);
    ck_assert_msg(sum <= 1.0 + 1e-5 && sum > 0.5, "sum %g", sum);
    /* max limits the count; the imagined rollouts give the same numbers */
    ck_assert_int_eq(pl->analyze(pl, &g, STONE_BLACK, c, 5), 5);
    policy_imagined_t im;
    ck_assert_int_eq(policy_player_imagine(pl, &g, STONE_BLACK, &im), 0);
    ck_assert_int_eq(im.k, 3);
    ck_assert(fabsf(im.probs[policy_point_to_index(c[0].point)] - c[0].prior) < 1e-6);
    for (int k = 0; k < im.k; k++) ck_assert(im.move[k] >= VERTEX_PASS && im.move[k] < 81);
    policy_imagined_free(&im);
    /* genmove plays the most probable candidate when that is not the pass */
    int p;
    pl->genmove(pl, &g, STONE_BLACK, GENMOVE_NORMAL, &p);
    if (c[0].point != VERTEX_PASS) ck_assert_int_eq(p, c[0].point);
    else ck_assert(p >= 0 && game_check(&g, STONE_BLACK, p) == MOVE_OK);
    game_free(&g);
    pl->free(pl);
}
END_TEST

/* Top codes (the default): the K futures are the K likeliest z^1, distinct, whatever the rng;
 * paper mode takes the argmax of their weighted mixture in one try. */
START_TEST(test_top_codes)
{
    policy_t *p = load(dir5, 4);
    board_t b;
    board_init(&b, 9);
    board_play(&b, STONE_BLACK, 40, NULL, NULL);
    float a[POLICY_MOVES], c[POLICY_MOVES];
    rng_t r1, r2;
    rng_seed(&r1, 5);
    rng_seed(&r2, 77);
    ck_assert_int_eq(policy_distribution(p, &b, STONE_WHITE, 4, &r1, a), 0);
    ck_assert_int_eq(policy_distribution(p, &b, STONE_WHITE, 4, &r2, c), 0);
    double sum = 0;
    for (int i = 0; i < POLICY_MOVES; i++) {
        ck_assert(a[i] == c[i]); /* no sampling */
        sum += a[i];
    }
    ck_assert_msg(fabs(sum - 1) < 1e-4, "sum %g", sum);
    policy_imagined_t im;
    ck_assert_int_eq(policy_imagine(p, &b, STONE_WHITE, 4, &r1, &im), 0);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < k; j++) ck_assert_int_ne(im.ldm[k * im.horizon], im.ldm[j * im.horizon]);
    for (int i = 0; i < POLICY_MOVES; i++) ck_assert(fabsf(im.probs[i] - a[i]) < 1e-6f);
    policy_imagined_free(&im);
    game_t g = {0};
    game_init(&g, 9, 7.0f);
    game_play(&g, STONE_BLACK, 40);
    int mv, tries;
    ck_assert_int_eq(policy_paper_move(p, &g, STONE_WHITE, &r1, &mv, &tries), 0);
    /* the likeliest move that is legal (or the pass), its rank = the tries */
    int rank = 0, want = -2;
    for (; rank <= POLICY_PAPER_RETRIES; rank++) {
        int best = 0;
        for (int i = 1; i < POLICY_MOVES; i++)
            if (a[i] > a[best]) best = i;
        want = policy_index_to_point(best);
        if (want == VERTEX_PASS || game_check(&g, STONE_WHITE, want) == MOVE_OK) break;
        a[best] = -1.0f;
    }
    ck_assert_int_eq(mv, want);
    ck_assert_int_eq(tries, rank + 1);
    /* the occupied point is never the answer while a legal move ranks within the retries */
    if (rank <= POLICY_PAPER_RETRIES) ck_assert_int_ne(mv, 40);
    game_free(&g);
    policy_free(p);
}
END_TEST

START_TEST(test_paper_mode)
{
    policy_t *p = load_mode(dir5, 1, false);
    game_t g = {0};
    game_init(&g, 9, 7.0f);
    rng_t r;
    rng_seed(&r, 3);
    int illegal = 0;
    for (int i = 0; i < 30; i++) {
        int mv, tries;
        stone_t c = i % 2 ? STONE_WHITE : STONE_BLACK;
        ck_assert_int_eq(policy_paper_move(p, &g, c, &r, &mv, &tries), 0);
        ck_assert(tries >= 1 && tries <= POLICY_PAPER_RETRIES + 1);
        ck_assert(mv >= VERTEX_PASS && mv < 81);
        bool legal = mv == VERTEX_PASS || game_check(&g, c, mv) == MOVE_OK;
        if (!legal) {
            illegal++;
            ck_assert_int_eq(tries, POLICY_PAPER_RETRIES + 1); /* only after every retry */
            mv = VERTEX_PASS;
        } else if (tries > 1) {
            ck_assert(mv >= 0); /* a retry ended on a legal point */
        }
        game_play(&g, c, mv);
    }
    (void)illegal;
    game_free(&g);
    policy_free(p);
    /* K = 4 sampled futures: the vote, i.e. the argmax of the same 4 futures' distribution
     * (the same RNG draws), on an empty board where every point is legal */
    p = load_mode(dir5, 4, false);
    game_init(&g, 9, 7.0f);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        int mv, tries;
        float probs[POLICY_MOVES];
        rng_seed(&r, seed);
        ck_assert_int_eq(policy_paper_move(p, &g, STONE_BLACK, &r, &mv, &tries), 0);
        rng_seed(&r, seed);
        ck_assert_int_eq(policy_distribution(p, &g.board, STONE_BLACK, 4, &r, probs), 0);
        int a = 0;
        for (int k = 1; k < POLICY_MOVES; k++)
            if (probs[k] > probs[a]) a = k;
        ck_assert_int_eq(tries, 1);
        ck_assert_int_eq(mv, policy_index_to_point(a));
    }
    game_free(&g);
    policy_free(p);
}
END_TEST

START_TEST(test_hash_mismatch)
{
    char err[2048];
    policy_config_t cfg;
    policy_config_default(&cfg);
    policy_config_set_dir(&cfg, dir5);
    snprintf(cfg.tokenizer_path, sizeof cfg.tokenizer_path, "%s/%s", dir_other, POLICY_TOKENIZER_FILE);
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "tokenizer mismatch"), "%s", err);
    /* an IDM from another set names another tokenizer */
    policy_config_set_dir(&cfg, dir5);
    snprintf(cfg.idm_path, sizeof cfg.idm_path, "%s/%s", dir_other, POLICY_IDM_FILE);
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "mismatch"), "%s", err);
    /* a video-only transformer with an LDM other than the one its IDM records */
    policy_config_set_dir(&cfg, dir0);
    snprintf(cfg.ldm_path, sizeof cfg.ldm_path, "%s/%s", dir_other0, POLICY_LDM_FILE);
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "LDM mismatch"), "%s", err);
    /* ... which a transformer with codes does not load, so another LDM in its folder is fine */
    policy_config_set_dir(&cfg, dir5);
    snprintf(cfg.ldm_path, sizeof cfg.ldm_path, "%s/%s", dir0, POLICY_LDM_FILE);
    policy_t *p = policy_load(&cfg, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    policy_free(p);
    /* an IDM trained on another LDM's codes than the transformer */
    char other_ldm[400];
    snprintf(other_ldm, sizeof other_ldm, "%s/l2", tmpdir);
    tiny_policy_write(other_ldm, 5, 1, "2222222222222222222222222222222222222222222222222222222222222222");
    snprintf(cfg.idm_path, sizeof cfg.idm_path, "%s/%s", other_ldm, POLICY_IDM_FILE);
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "LDM mismatch"), "%s", err);
    /* a folder whose tokenizer-9x9.gguf is newer than the nets: the one they record is found
     * beside it under another tokenizer-*.gguf name */
    char swap[400], cmd[4000];
    snprintf(swap, sizeof swap, "%s/swap", tmpdir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/*.gguf '%s'/ && mv '%s/%s' '%s/tokenizer-9x9-v1.gguf' && cp '%s/%s' '%s/'",
             swap, dir5, swap, swap, POLICY_TOKENIZER_FILE, swap, dir_other, POLICY_TOKENIZER_FILE, swap);
    ck_assert_int_eq(system(cmd), 0);
    policy_config_set_dir(&cfg, swap);
    p = policy_load(&cfg, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_msg(strstr(policy_describe(p), "tokenizer-9x9-v1.gguf"), "%s", policy_describe(p));
    policy_free(p);
    /* without it the mismatch is reported as before */
    snprintf(cmd, sizeof cmd, "rm '%s/tokenizer-9x9-v1.gguf'", swap);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "tokenizer mismatch"), "%s", err);
    /* missing files are named */
    policy_config_set_dir(&cfg, "/nonexistent-videogo");
    ck_assert(!policy_files_exist(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "ar-9x9.gguf") && strstr(err, "idm-9x9.gguf"), "%s", err);
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "not found"), "%s", err);
    /* a file of the wrong kind */
    policy_config_set_dir(&cfg, dir5);
    snprintf(cfg.ar_path, sizeof cfg.ar_path, "%s/%s", dir5, POLICY_IDM_FILE);
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "not a transformer"), "%s", err);
}
END_TEST

/* Test-time symmetries: with all 8 the distribution is a distribution and is itself
 * symmetric: the distribution of a transformed position is the transformed distribution
 * (the top futures use no rng), for the video+LDM and the video-only sets; with 1 it is the
 * plain one and, on these random nets, not symmetric. Out-of-range counts are refused. */
START_TEST(test_symmetries)
{
    const char *dirs[2] = {dir5, dir0};
    for (int d = 0; d < 2; d++) {
        policy_config_t cfg;
        char err[2048];
        policy_config_default(&cfg);
        policy_config_set_dir(&cfg, dirs[d]);
        cfg.max_rollouts = 2;
        cfg.symmetries = 8;
        policy_t *p8 = policy_load(&cfg, err, sizeof err);
        ck_assert_msg(p8 != NULL, "%s", err);
        ck_assert_msg(strstr(policy_describe(p8), "8 board symmetries"), "%s", policy_describe(p8));
        cfg.symmetries = 1;
        policy_t *p1 = policy_load(&cfg, err, sizeof err);
        ck_assert_msg(p1 != NULL, "%s", err);
        cfg.symmetries = 9;
        ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
        game_t g = {0};
        game_init(&g, 9, 7.0f);
        static const int opening[] = {40, 30, 50, 20, 60, 12};
        for (int i = 0; i < 6; i++) game_play(&g, i % 2 ? STONE_WHITE : STONE_BLACK, opening[i]);
        float a[POLICY_MOVES], b[POLICY_MOVES], c[POLICY_MOVES], e[POLICY_MOVES];
        board_t t;
        rng_t r;
        rng_seed(&r, 1);
        ck_assert_int_eq(policy_distribution(p8, &g.board, STONE_WHITE, 2, &r, a), 0);
        double sum = 0, asym8 = 0, asym1 = 0;
        for (int i = 0; i < POLICY_MOVES; i++) sum += a[i];
        ck_assert(fabs(sum - 1) < 1e-4);
        for (int k = 1; k < 8; k++) {
            sym_board(&t, &g.board, k);
            ck_assert_int_eq(policy_distribution(p8, &t, STONE_WHITE, 2, &r, b), 0);
            ck_assert_int_eq(policy_distribution(p1, &g.board, STONE_WHITE, 2, &r, c), 0);
            ck_assert_int_eq(policy_distribution(p1, &t, STONE_WHITE, 2, &r, e), 0);
            for (int q = 0; q < 81; q++) {
                double d8 = fabs(a[q] - b[sym_point(q, 9, k)]), d1 = fabs(c[q] - e[sym_point(q, 9, k)]);
                asym8 = d8 > asym8 ? d8 : asym8;
                asym1 = d1 > asym1 ? d1 : asym1;
            }
            ck_assert(fabs(a[POLICY_PASS_INDEX] - b[POLICY_PASS_INDEX]) < 1e-5);
        }
        fprintf(stderr, "%s: largest asymmetry, 8 symmetries %.2g, none %.2g\n", d ? "video only" : "video+LDM",
                asym8, asym1);
        ck_assert_msg(asym8 < 1e-5, "the 8-symmetry distribution is not symmetric (%g)", asym8);
        ck_assert_msg(asym1 > 1e-4, "the plain distribution is already symmetric (%g): the test proves nothing", asym1);
        game_free(&g);
        policy_free(p8);
        policy_free(p1);
    }
}
END_TEST

START_TEST(test_video_only)
{
    policy_t *p = load(dir0, 2);
    ck_assert_int_eq(policy_horizon(p), 0);
    board_t b;
    board_init(&b, 9);
    float probs[POLICY_MOVES];
    rng_t r;
    rng_seed(&r, 1);
    ck_assert_int_eq(policy_distribution(p, &b, STONE_BLACK, 2, &r, probs), 0);
    double sum = 0;
    for (int i = 0; i < POLICY_MOVES; i++) sum += probs[i];
    ck_assert(fabs(sum - 1) < 1e-4);
    policy_free(p);
    /* without its LDM the video-only set is refused with a message */
    policy_config_t cfg;
    char err[2048];
    policy_config_default(&cfg);
    policy_config_set_dir(&cfg, dir0);
    cfg.ldm_path[0] = '\0';
    ck_assert_ptr_null(policy_load(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "video-only"), "%s", err);
}
END_TEST

static char *gtp_run(gtp_t *ctx, const char *cmd)
{
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    gtp_execute(ctx, cmd, o);
    fclose(o);
    return out;
}

/* The clock through GTP: with 10 s of absolute time, 20 genmoves of a player whose fixed
 * effort is 16,000 playouts (about a second each, more under the sanitizers) fit in the
 * 10 s; with Canadian byo-yomi of 3 s per stone and no main time, a genmove uses most of its
 * 3 s (the budget, 2.45 s) and not more. */
START_TEST(test_gtp_clock)
{
    gtp_config_t cfg;
    gtp_config_default(&cfg);
    gtp_t *ctx = gtp_new(&cfg, search_player(3, 16000));
    free(gtp_run(ctx, "time_settings 10 0 0"));
    double t0 = time_wall();
    for (int i = 0; i < 20; i++) {
        char *s = gtp_run(ctx, i % 2 ? "genmove w" : "genmove b");
        ck_assert_msg(s[0] == '=', "%s", s);
        free(s);
    }
    double used = time_wall() - t0;
    fprintf(stderr, "20 genmoves under a 10 s absolute clock: %.2f s\n", used);
    ck_assert_msg(used < 10.0, "20 genmoves took %.2f s of a 10 s clock", used);
    free(gtp_run(ctx, "clear_board"));
    free(gtp_run(ctx, "time_settings 0 3 1"));
    t0 = time_wall();
    char *s = gtp_run(ctx, "genmove b");
    used = time_wall() - t0;
    fprintf(stderr, "a genmove with 3 s per stone: %.2f s\n", used);
    ck_assert_msg(s[0] == '=', "%s", s);
    free(s);
    ck_assert_msg(used >= 2.0 && used < 3.0, "a genmove with 3 s per stone took %.2f s", used);
    gtp_free(ctx);
}
END_TEST

START_TEST(test_gtp_imagine)
{
    gtp_config_t cfg;
    gtp_config_default(&cfg);
    cfg.output_dir = tmpdir;
    gtp_t *ctx = gtp_new(&cfg, learned(dir5, 2, 4));
    char *s = gtp_run(ctx, "list_commands");
    ck_assert_msg(strstr(s, "videogo-imagine\n") && strstr(s, "videogo-imagine_frames\n") && strstr(s, "kata-analyze\n"),
                  "%s", s);
    free(s);
    s = gtp_run(ctx, "gogui-analyze_commands");
    ck_assert_msg(strstr(s, "gfx/Imagined next position/videogo-imagine %m"), "%s", s);
    free(s);
    free(gtp_run(ctx, "play b e5"));
    s = gtp_run(ctx, "videogo-imagine");
    ck_assert_msg(!strncmp(s, "= BLACK", 7) && strstr(s, "\nWHITE") && strstr(s, "\nMARK") &&
                      strstr(s, "\nTEXT imagined") && !strcmp(s + strlen(s) - 2, "\n\n"),
                  "%s", s);
    free(s);
    char prefix[400], path[450], cmd[500];
    snprintf(prefix, sizeof prefix, "%s/im", tmpdir);
    snprintf(cmd, sizeof cmd, "videogo-imagine_frames %s.png w", prefix);
    s = gtp_run(ctx, cmd);
    ck_assert_msg(s[0] == '=', "%s", s);
    free(s);
    int w, h;
    snprintf(path, sizeof path, "%s-x_t.png", prefix);
    uint8_t *img = render_read_png(path, &w, &h);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(w, 32);
    free(img);
    snprintf(path, sizeof path, "%s-next-2.png", prefix);
    img = render_read_png(path, &w, &h);
    ck_assert_ptr_nonnull(img);
    free(img);
    snprintf(path, sizeof path, "%s-sheet.png", prefix);
    img = render_read_png(path, &w, &h);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(w, 3 * 128 + 2 * 4);
    free(img);
    s = gtp_run(ctx, "videogo-imagine_frames /nonexistent-dir/x");
    ck_assert_msg(!strncmp(s, "? outside the output folder", 27), "%s", s);
    free(s);
    s = gtp_run(ctx, "videogo-imagine_frames ../escape");
    ck_assert_msg(!strncmp(s, "? outside the output folder", 27), "%s", s);
    free(s);
    s = gtp_run(ctx, "videogo-imagine_frames rel");  /* relative: inside the output folder */
    ck_assert_msg(s[0] == '=' && strstr(s, tmpdir) && strstr(s, "/rel-x_t.png"), "%s", s);
    free(s);
    /* other board sizes: a clear error, and genmove still plays */
    free(gtp_run(ctx, "boardsize 13"));
    free(gtp_run(ctx, "clear_board"));
    s = gtp_run(ctx, "videogo-imagine");
    ck_assert_msg(s[0] == '?', "%s", s);
    free(s);
    s = gtp_run(ctx, "genmove b");
    ck_assert_msg(s[0] == '=' && strcmp(s, "= pass\n\n"), "%s", s);
    free(s);
    gtp_free(ctx);
    /* the random player has no such commands */
    ctx = gtp_new(&cfg, player_random_new(1));
    s = gtp_run(ctx, "videogo-imagine");
    ck_assert_str_eq(s, "? unknown command\n\n");
    free(s);
    gtp_free(ctx);
}
END_TEST

/* Runs the shell command made from fmt as `( command ) > TMP/out.txt` (put 2>&1 inside to
 * keep stderr too), reads that output into out (NUL-terminated) and returns the exit status
 * (-1 when the command did not exit normally). */
__attribute__((format(printf, 3, 4)))
static int sh(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[4096], wrapped[4096 + 512], path[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/out.txt", tmpdir);
    snprintf(wrapped, sizeof wrapped, "( %s ) > %s", cmd, path);
    int rc = system(wrapped);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f) fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* `videogo eval gobench --weights DIR/ar-9x9.gguf` on a few positions, and the gtp CLI. */
START_TEST(test_cli)
{
    const char *bin = getenv("VIDEOGO_BIN"), *data = getenv("VIDEOGO_DATA");
    if (!bin || !data) return;
    char buf[8192];
    int rc = sh(buf, sizeof buf, "%s eval gobench --weights %s/ar-9x9.gguf --set %s/gobench9/dev.jsonl --limit 12 "
                "--no-db --quiet 2>&1", bin, dir5, data);
    ck_assert_msg(rc == 0 && strstr(buf, "legal rate") && strstr(buf, "positions 12"), "rc %d: %s", rc, buf);
    /* the player as it plays: legal by construction */
    rc = sh(buf, sizeof buf, "%s eval gobench --player learned-play --rollouts 2 --weights %s --set "
            "%s/gobench9/dev.jsonl --limit 6 --no-db --quiet 2>&1", bin, dir5, data);
    ck_assert_msg(rc == 0 && strstr(buf, "100.00%") && strstr(buf, "positions 6"), "rc %d: %s", rc, buf);
    /* --ablate: a video-only transformer (ar-9x9-video.gguf, its IDM idm-9x9-video.gguf, the
     * folder's LDM) beside the H = 5 one */
    char abl[400], a[500], b[500];
    snprintf(abl, sizeof abl, "%s/abl", tmpdir);
    tiny_policy_write(abl, 0, 4, NULL);
    snprintf(a, sizeof a, "%s/ar-9x9.gguf", abl);
    snprintf(b, sizeof b, "%s/ar-9x9-video.gguf", abl);
    ck_assert_int_eq(rename(a, b), 0);
    snprintf(a, sizeof a, "%s/idm-9x9.gguf", abl);
    snprintf(b, sizeof b, "%s/idm-9x9-video.gguf", abl);
    ck_assert_int_eq(rename(a, b), 0);
    tiny_policy_write(abl, 5, 4, NULL);
    rc = sh(buf, sizeof buf, "%s eval gobench --weights %s/ar-9x9.gguf --ablate --set %s/gobench9/dev.jsonl "
            "--limit 6 --no-db --quiet 2>&1", bin, abl, data);
    ck_assert_msg(rc == 0 && strstr(buf, "random baseline") && strstr(buf, "video+LDM H=5 (--weights)") &&
                      strstr(buf, "video only 9x9-video") && strstr(buf, "59.7"),
                  "rc %d: %s", rc, buf);
    /* eval world, stage by stage: with codes (the z^1 line) and video only (no z^1 line; its
     * IDM reads the LDM's codes of the sampled frame) */
    rc = sh(buf, sizeof buf, "%s eval world --weights %s/ar-9x9.gguf --set %s/gobench9/dev.jsonl --limit 5 2>&1", bin,
            abl, data);
    ck_assert_msg(rc == 0 && strstr(buf, "on 5 positions") && strstr(buf, "z^1 top-1") &&
                      strstr(buf, "KataGo's best move in the top 10"),
                  "rc %d: %s", rc, buf);
    rc = sh(buf, sizeof buf, "%s eval world --weights %s/ar-9x9-video.gguf --set %s/gobench9/dev.jsonl --limit 5 2>&1",
            bin, abl, data);
    ck_assert_msg(rc == 0 && strstr(buf, "on 5 positions") && !strstr(buf, "z^1 top-1") &&
                      strstr(buf, "x^_{t+1} sampled") && strstr(buf, "IDM(x_t, x^_{t+1}, z^) = played"),
                  "rc %d: %s", rc, buf);
    /* --codes-from-frame: the H = 5 transformer, the IDM reading the folder LDM's codes of the
     * imagined frame */
    rc = sh(buf, sizeof buf, "%s eval gobench --weights %s/ar-9x9.gguf --codes-from-frame --set %s/gobench9/dev.jsonl "
            "--limit 4 --no-db --quiet 2>&1", bin, abl, data);
    ck_assert_msg(rc == 0 && strstr(buf, "positions 4"), "rc %d: %s", rc, buf);
    rc = sh(buf, sizeof buf, "%s eval gobench --weights %s/ar-9x9.gguf --codes-from-frame --set %s/gobench9/dev.jsonl "
            "--limit 4 --no-db --quiet 2>&1", bin, dir5, data);
    /* dir5 has no LDM: the default folder's (when there) is not the one its IDM records */
    ck_assert_msg(rc != 0 && (strstr(buf, "codes from the imagined frame") || strstr(buf, "LDM mismatch")), "rc %d: %s",
                  rc, buf);
    /* explicit learned player with missing weights: exit 1 with a message; default: fallback */
    rc = sh(buf, sizeof buf, "echo quit | %s gtp --player learned --weights-dir /nonexistent-videogo 2>&1", bin);
    ck_assert_msg(rc == 1 && strstr(buf, "no weights"), "rc %d: %s", rc, buf);
    rc = sh(buf, sizeof buf, "printf 'version\\nquit\\n' | VIDEOGO_WEIGHTS_DIR=/nonexistent-videogo %s gtp 2>&1", bin);
    ck_assert_msg(rc == 0 && strstr(buf, "using --player random") && strstr(buf, "(player random)"), "%s", buf);
    /* the learned player from a folder, both colours, kgs-genmove_cleanup and analysis */
    rc = sh(buf, sizeof buf,
            "printf 'version\\ngenmove b\\ngenmove w\\nkgs-genmove_cleanup b\\nkata-analyze w 0\\nquit\\n' | "
            "%s gtp --weights-dir %s --rollouts 2 --seed 3 --playouts 300 2>/dev/null", bin, dir5);
    ck_assert_msg(rc == 0 && strstr(buf, "(player learned)") && strstr(buf, "info move ") && !strstr(buf, "?"), "%s",
                  buf);
}
END_TEST

/* A GUI watching the search: kata-analyze answers `=` first, then info lines whose leading
 * move's visits grow, with principal variations of several moves, until the next command,
 * which is answered (and the search, capped at LEARNED_WATCH_PLAYOUTS, stopped well short of
 * it); GoGui's `# interrupt` ends a genmove of 5,000,000 playouts (minutes) at once. */
START_TEST(test_gtp_watch)
{
    const char *bin = getenv("VIDEOGO_BIN");
    ck_assert_ptr_nonnull(bin);
    char buf[1 << 16];
    int rc = sh(buf, sizeof buf,
                "( printf 'kata-analyze b 5 maxmoves 4\\n'; sleep 1; printf 'name\\nquit\\n' ) | "
                "%s gtp --weights-dir %s --rollouts 2 --seed 3 --playouts 300 2>/dev/null", bin, dir5);
    ck_assert_msg(rc == 0 && !strncmp(buf, "=\n", 2), "rc %d: %.300s", rc, buf);
    ck_assert_msg(strstr(buf, "\n\n= videogo\n"), "the command after the analysis: %.300s", buf);
    int lines = 0, long_pv = 0;
    long first = -1, last = -1, total = 0;
    for (char *l = buf + 2; *l && strncmp(l, "info ", 5) == 0; l = strchr(l, '\n') + 1, lines++) {
        long v = strtol(strstr(l, " visits ") + 8, NULL, 10);
        if (first < 0) first = v;
        ck_assert_int_ge(v, last);
        last = v;
        total = 0;
        char *end = strchr(l, '\n');
        for (char *q = strstr(l, " visits "); q && q < end; q = strstr(q + 1, " visits "))
            total += strtol(q + 8, NULL, 10);
        char *pv = strstr(l, " pv ");
        if (pv && pv < end) {
            int moves = 0;
            for (char *q = pv + 4; q < end && *q != 'i'; q++) moves += *q == ' ';
            long_pv |= moves >= 2;
        }
    }
    fprintf(stderr, "gtp watch: %d info lines, leading move %ld -> %ld visits, %ld in all at the end\n", lines, first,
            last, total);
    ck_assert_int_ge(lines, 2);
    ck_assert_int_gt(last, first);
    ck_assert(long_pv);
    ck_assert_int_lt(total, LEARNED_WATCH_PLAYOUTS);
    /* # interrupt: the genmove answers (a move), then the next command */
    rc = sh(buf, sizeof buf,
            "( printf 'genmove b\\n'; sleep 1; printf '# interrupt\\nname\\nquit\\n' ) | "
            "timeout 150 %s gtp --weights-dir %s --rollouts 2 --seed 3 --playouts 5000000 2>/dev/null", bin, dir5);
    ck_assert_msg(rc == 0 && !strncmp(buf, "= ", 2) && strstr(buf, "\n\n= videogo\n"), "rc %d: %.300s", rc, buf);
}
END_TEST

/* One game of `videogo match` between the learned player (tiny nets) and GNU Go level 1: it
 * must end by two passes (no forfeit for an illegal move, no move limit). Skipped without gnugo. */
START_TEST(test_match_gnugo)
{
    const char *bin = getenv("VIDEOGO_BIN");
    const char *gnugo = access("/usr/games/gnugo", X_OK) == 0 ? "/usr/games/gnugo"
                        : access("/usr/bin/gnugo", X_OK) == 0 ? "/usr/bin/gnugo"
                                                              : NULL;
    if (!bin || !gnugo) {
        fprintf(stderr, "test_match_gnugo: skipped (no gnugo or no VIDEOGO_BIN)\n");
        return;
    }
    char buf[8192];
    int rc = sh(buf, sizeof buf,
                "%s match --black '%s gtp --weights-dir %s --rollouts 2 --seed 1 --playouts 500' --white '%s --mode gtp --level 1 "
                "--chinese-rules' --games 1 --db %s/match.db 2>&1",
                bin, bin, dir5, gnugo, tmpdir);
    ck_assert_msg(rc == 0 && strstr(buf, "by passes") && strstr(buf, "1 of 1 games recorded"), "rc %d: %s", rc, buf);
}
END_TEST

static Suite *suite(bool match)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");
    if (match) { /* `test_model_policy match`: the GNU Go game only (not in the unit suite) */
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_match_gnugo);
        suite_add_tcase(s, tc);
        return s;
    }
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_distribution);
    tcase_add_test(tc, test_random_games_legal);
    tcase_add_test(tc, test_seed_reproducible);
    tcase_add_test(tc, test_search_player);
    tcase_add_test(tc, test_reg_genmove_deterministic);
    tcase_add_test(tc, test_cleanup_captures_dead);
    tcase_add_test(tc, test_gtp_watch);
    tcase_add_test(tc, test_pass_rules);
    tcase_add_test(tc, test_resign_flag);
    tcase_add_test(tc, test_analyze);
    tcase_add_test(tc, test_paper_mode);
    tcase_add_test(tc, test_top_codes);
    tcase_add_test(tc, test_hash_mismatch);
    tcase_add_test(tc, test_video_only);
    tcase_add_test(tc, test_symmetries);
    tcase_add_test(tc, test_gtp_imagine);
    tcase_add_test(tc, test_gtp_clock);
    tcase_add_test(tc, test_cli);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    bool match = argc > 1 && !strcmp(argv[1], "match");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/videogo-policy-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(dir5, sizeof dir5, "%s/h5", tmpdir);
    snprintf(dir0, sizeof dir0, "%s/h0", tmpdir);
    snprintf(dir_other, sizeof dir_other, "%s/other", tmpdir);
    snprintf(dir_other0, sizeof dir_other0, "%s/other0", tmpdir);
    tiny_policy_write(dir5, 5, 1, NULL);
    if (!match) {
        tiny_policy_write(dir0, 0, 2, NULL);
        tiny_policy_write(dir_other, 5, 77, NULL);
        tiny_policy_write(dir_other0, 0, 78, NULL);
    }
    SRunner *sr = srunner_create(suite(match));
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed ? 1 : 0;
}
