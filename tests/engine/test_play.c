/* test_play.c: the random player and the dead-stone estimator.
 *
 * - Random self-play on several sizes: every generated move is legal and never fills
 *   the mover's own true eye; games end with two passes; reg_genmove (GENMOVE_REGRESS)
 *   is deterministic and leaves the player's own random stream alone. On 9x9, the
 *   stones the estimator calls dead at move 45 and at the end are all removable.
 * - Cleanup mode attacks the stones the estimator calls dead.
 * - Dead stones on real end positions (katago9 games played out to two passes): the
 *   area score with the estimated dead stones removed lands within 2 points of KataGo's
 *   own score estimate (RE) far more often than the raw area count does; and every
 *   stone marked dead is removable: with the owner passing, the random player in
 *   cleanup mode captures all of them.
 * - The estimator is deterministic for a given seed.
 * - The playouts' 3x3 patterns match in every orientation and colouring, not on own shape.
 * - The tree search (engine/search.h): captures and saves a group in atari, root visits
 *   add up and children are candidates, the prior orders the first visits, own eyes and a
 *   superko retake are never candidates, and it beats the random player.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/deadstones.h"
#include "engine/player.h"
#include "engine/playout.h"
#include "engine/search.h"
#include "engine/sgf.h"
#include "engine/util.h"

/* Sanitizer builds (CI runs the unit suite under ASan/UBSan at -O0) do less work. */
#if defined(__SANITIZE_ADDRESS__)
#define WORK_SCALE 4
#else
#define WORK_SCALE 1
#endif

static const char *data_file(const char *rel)
{
    static char path[4096];
    const char *d = getenv("VIDEOGO_DATA");
    snprintf(path, sizeof path, "%s/%s", d ? d : "../shared/data", rel);
    return path;
}

/* Every stone in dead[] can be removed: for each colour, with the owner always
 * passing, the random player in cleanup mode for the other side captures them all. */
static void assert_removable(const board_t *b, const uint8_t *dead, player_t *pl, int game_no)
{
    int np = board_points(b);
    for (stone_t owner = STONE_BLACK; owner <= STONE_WHITE; owner++) {
        bool any = false;
        for (int p = 0; p < np; p++) any |= dead[p] && b->stones[p] == owner;
        if (!any) continue;
        game_t h;
        memset(&h, 0, sizeof h);
        game_init(&h, b->size, 7.0f);
        for (int p = 0; p < np; p++)
            if (b->stones[p]) game_setup(&h, p, (stone_t)b->stones[p]);
        stone_t killer = stone_other(owner);
        for (int m = 0; m < 4 * np; m++) {
            int p;
            pl->genmove(pl, &h, killer, GENMOVE_CLEANUP, &p);
            game_play(&h, killer, p);
            if (p == VERTEX_PASS) break;
            game_play(&h, owner, VERTEX_PASS);
        }
        for (int p = 0; p < np; p++) {
            char v[8];
            if (dead[p] && b->stones[p] == owner)
                ck_assert_msg(h.board.stones[p] != owner, "game %d: dead stone %s was not removed", game_no,
                              vertex_format(p, b->size, v));
        }
        game_free(&h);
    }
}

START_TEST(test_random_selfplay)
{
    int sizes[] = {2, 5, 9, 13, 19}, selfplay_dead = 0, midgame_dead = 0;
    player_t *pl = player_random_new(7);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int gi = 0; gi < (sizes[s] >= 13 ? 2 : 10) / (sizes[s] >= 13 ? 1 : WORK_SCALE); gi++) {
            game_t g;
            memset(&g, 0, sizeof g);
            game_init(&g, sizes[s], 7.0f);
            stone_t c = STONE_BLACK;
            int limit = 4 * sizes[s] * sizes[s] + 50;
            while (!game_over(&g) && g.n_moves < limit) {
                /* Mid-game snapshot: what the estimator calls dead must be capturable. */
                if (sizes[s] == 9 && g.n_moves == 45 && gi < 6 / WORK_SCALE) {
                    uint8_t st[BOARD_POINTS], dead[BOARD_POINTS];
                    deadstones_estimate(&g.board, g.to_move, 9, st);
                    for (int p = 0; p < 81; p++) {
                        dead[p] = st[p] == STATUS_DEAD;
                        midgame_dead += dead[p];
                    }
                    assert_removable(&g.board, dead, pl, gi + 1);
                }
                int p = VERTEX_NONE;
                ck_assert_int_eq(pl->genmove(pl, &g, c, GENMOVE_NORMAL, &p), 0);
                ck_assert_msg(p == VERTEX_PASS || (p >= 0 && p < sizes[s] * sizes[s]), "bad point %d", p);
                ck_assert_int_ne(p, VERTEX_RESIGN);
                if (p != VERTEX_PASS) ck_assert_msg(!board_is_eye(&g.board, p, c), "filled its own eye");
                ck_assert_int_eq(game_play(&g, c, p), MOVE_OK);
                c = stone_other(c);
            }
            ck_assert_msg(game_over(&g), "%dx%d game did not end in %d moves", sizes[s], sizes[s], limit);
            /* Dead stones the estimator finds in the end position can be removed. */
            if (sizes[s] == 9) {
                uint8_t st[BOARD_POINTS], dead[BOARD_POINTS];
                deadstones_estimate(&g.board, g.to_move, 5, st);
                for (int p = 0; p < 81; p++) {
                    dead[p] = st[p] == STATUS_DEAD;
                    selfplay_dead += dead[p];
                }
                assert_removable(&g.board, dead, pl, gi + 1);
            }
            /* At the end nothing but own eyes (or illegal points) is left for either side. */
            for (int p = 0; p < sizes[s] * sizes[s]; p++)
                for (stone_t k = STONE_BLACK; k <= STONE_WHITE; k++)
                    if (game_check(&g, k, p) == MOVE_OK) ck_assert(board_is_eye(&g.board, p, k));
            game_free(&g);
        }
    }
    printf("random self-play: %d dead stones in 9x9 end positions, %d at move 45, all removable\n", selfplay_dead,
           midgame_dead);
    pl->free(pl);
}
END_TEST

START_TEST(test_regress_deterministic)
{
    player_t *a = player_random_new(1), *b = player_random_new(99);
    game_t g;
    memset(&g, 0, sizeof g);
    game_init(&g, 9, 7.0f);
    int pa, pb, pa2;
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(a->genmove(a, &g, g.to_move, GENMOVE_REGRESS, &pa), 0);
        ck_assert_int_eq(b->genmove(b, &g, g.to_move, GENMOVE_REGRESS, &pb), 0);
        ck_assert_int_eq(a->genmove(a, &g, g.to_move, GENMOVE_REGRESS, &pa2), 0);
        ck_assert_int_eq(pa, pb);  /* independent of the player's seed */
        ck_assert_int_eq(pa, pa2); /* and of earlier calls */
        int p;
        a->genmove(a, &g, g.to_move, GENMOVE_NORMAL, &p);
        ck_assert_int_eq(game_play(&g, g.to_move, p), MOVE_OK);
    }
    /* Normal mode with the same seed gives the same game. */
    player_t *c = player_random_new(5), *d = player_random_new(5);
    game_clear(&g);
    for (int i = 0; i < 40; i++) {
        int pc, pd;
        c->genmove(c, &g, g.to_move, GENMOVE_NORMAL, &pc);
        d->genmove(d, &g, g.to_move, GENMOVE_NORMAL, &pd);
        ck_assert_int_eq(pc, pd);
        game_play(&g, g.to_move, pc);
    }
    /* analyze lists legal candidates with equal priors. */
    player_candidate_t cand[BOARD_POINTS];
    int n = c->analyze(c, &g, g.to_move, cand, BOARD_POINTS);
    ck_assert_int_gt(n, 0);
    for (int i = 0; i < n; i++) ck_assert_int_eq(game_check(&g, g.to_move, cand[i].point), MOVE_OK);
    game_free(&g);
    a->free(a);
    b->free(b);
    c->free(c);
    d->free(d);
}
END_TEST

/* Sets up a diagram (rows top first, . X O) as the start position. */
static void setup_diagram(game_t *g, const char *const *rows, int size)
{
    memset(g, 0, sizeof *g);
    game_init(g, size, 0.0f);
    for (int r = 0; r < size; r++)
        for (int c = 0; c < size; c++) {
            char ch = rows[r][2 * c];
            if (ch != '.') game_setup(g, r * size + c, ch == 'X' ? STONE_BLACK : STONE_WHITE);
        }
}

START_TEST(test_cleanup_attacks_dead_stones)
{
    const char *rows[] = {
        ". . . . . . . . .",
        ". . . O . . . . .",
        ". . . . . . . . .",
        "X X X X X X X X X",
        "O O O O O O O O O",
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
    };
    game_t g;
    setup_diagram(&g, rows, 9);
    player_t *pl = player_random_new(3);
    int dead_point = 1 * 9 + 3;
    for (int i = 0; i < 40 && g.board.stones[dead_point] == STONE_WHITE; i++) {
        int p;
        pl->genmove(pl, &g, STONE_BLACK, GENMOVE_CLEANUP, &p);
        ck_assert_int_ne(p, VERTEX_PASS);
        if (i == 0) { /* the first move already touches the dead stone */
            int nb[4], k = board_neighbors(&g.board, dead_point, nb), adj = 0;
            for (int j = 0; j < k; j++) adj |= nb[j] == p;
            ck_assert_msg(adj, "cleanup move is not a liberty of the dead stone");
        }
        ck_assert_int_eq(game_play(&g, STONE_BLACK, p), MOVE_OK);
        ck_assert_int_eq(game_play(&g, STONE_WHITE, VERTEX_PASS), MOVE_OK);
    }
    ck_assert_int_eq(g.board.stones[dead_point], STONE_EMPTY);
    game_free(&g);
    pl->free(pl);
}
END_TEST

static float parse_result(const char *re, bool *ok)
{
    *ok = re && (re[0] == 'B' || re[0] == 'W') && re[1] == '+' && (re[2] >= '0' && re[2] <= '9');
    if (!*ok) return 0;
    float v = strtof(re + 2, NULL);
    return re[0] == 'B' ? v : -v;
}

START_TEST(test_katago_end_positions)
{
    sgf_collection_t c;
    sgf_error_t err;
    const char *path = data_file("katago9/train-000.sgf");
    ck_assert_msg(sgf_read_file(path, &c, &err) == 0, "%s: %s", path, err.message);
    int n = 0, raw_close = 0, dead_close = 0, with_dead = 0, removal_checked = 0;
    double t_cpu = 0;
    player_t *pl = player_random_new(11);
    game_t g;
    memset(&g, 0, sizeof g);
    for (int i = 0; i < c.n_games && n < 300 / WORK_SCALE; i++) {
        bool ok;
        float re = parse_result(c.games[i].result, &ok);
        int bad;
        if (!ok || sgf_replay_ko(&c.games[i], -1, &g, &bad, false) != 0 || !game_over(&g)) continue;
        n++;
        int np = board_points(&g.board);
        uint8_t st[BOARD_POINTS], st2[BOARD_POINTS], dead[BOARD_POINTS];
        double t0 = time_cpu();
        deadstones_estimate(&g.board, g.to_move, 1, st);
        t_cpu += time_cpu() - t0;
        if (n <= 20) {
            deadstones_estimate(&g.board, g.to_move, 1, st2);
            ck_assert_msg(!memcmp(st, st2, (size_t)np), "estimate not deterministic");
        }
        int nd = 0;
        for (int p = 0; p < np; p++) {
            dead[p] = st[p] == STATUS_DEAD;
            nd += dead[p];
            if (g.board.stones[p] == STONE_EMPTY) ck_assert_int_eq(st[p], STATUS_ALIVE);
        }
        raw_close += fabsf(game_score(&g, NULL) - re) <= 2.0f;
        dead_close += fabsf(game_score(&g, dead) - re) <= 2.0f;
        if (!nd) continue;
        with_dead++;
        if (removal_checked >= 8 / WORK_SCALE) continue;
        removal_checked++;
        assert_removable(&g.board, dead, pl, i + 1);
    }
    game_free(&g);
    pl->free(pl);
    sgf_collection_free(&c);
    printf("katago9 end positions: %d, within 2 points of RE: raw area %d, with dead stones removed %d; %d had dead "
           "stones, %d checked for removal; estimate %.2f ms CPU on average\n",
           n, raw_close, dead_close, with_dead, removal_checked, 1000 * t_cpu / (n ? n : 1));
    ck_assert_int_ge(n, 250 / WORK_SCALE);
    ck_assert_msg(dead_close * 100 >= 93 * n, "only %d of %d scores within 2 points of RE", dead_close, n);
    ck_assert_msg(dead_close > raw_close + n / 20, "dead-stone removal does not improve the score (%d vs %d)", dead_close,
                  raw_close);
}
END_TEST

START_TEST(test_estimate_sizes)
{
    /* Any size works, empty boards have nothing dead, statuses only on stones. */
    int sizes[] = {2, 3, 4, 5, 7, 9, 13, 19, 25};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int size = sizes[i];
        board_t b;
        uint8_t st[BOARD_POINTS];
        board_init(&b, size);
        deadstones_estimate(&b, STONE_BLACK, 3, st);
        for (int p = 0; p < size * size; p++) ck_assert_int_eq(st[p], STATUS_ALIVE);
        if (size > 9) continue;
        board_play(&b, STONE_BLACK, 0, NULL, NULL);
        deadstones_estimate(&b, STONE_WHITE, 3, st);
        for (int p = 1; p < size * size; p++) ck_assert_int_eq(st[p], STATUS_ALIVE);
    }
}
END_TEST

/* ---- the tree search (engine/search.h) ---- */

static search_result_t run_search(const game_t *g, stone_t c, const float *prior, int playouts, uint64_t seed)
{
    search_opts_t o;
    search_result_t r;
    search_opts_default(&o);
    o.playouts = playouts;
    o.seed = seed;
    ck_assert_int_eq(search_run(g, c, prior, &o, &r), 0);
    return r;
}

/* Tactics the search must find: five white stones with one liberty (F6... at row 3, col 7):
 * black captures there, white to move extends there. */
START_TEST(test_search_tactics)
{
    const char *rows[] = {
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . X X X X X . .",
        ". X O O O O O . .",
        ". . X X X X X . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
    };
    game_t g;
    setup_diagram(&g, rows, 9);
    g.komi = 7;
    int lib = 3 * 9 + 7, libs = 0;
    board_group(&g.board, 3 * 9 + 2, NULL, &libs);
    ck_assert_int_eq(libs, 1);
    char v[8];
    /* 2,000 playouts also under the sanitizers: with a few hundred the choice is noise */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        search_result_t r = run_search(&g, STONE_BLACK, NULL, 2000, seed);
        ck_assert_msg(r.best == lib, "seed %d: black should capture at H6, chose %s", (int)seed,
                      vertex_format(r.best, 9, v));
        r = run_search(&g, STONE_WHITE, NULL, 2000, seed);
        ck_assert_msg(r.best == lib, "seed %d: white should extend at H6, chose %s", (int)seed,
                      vertex_format(r.best, 9, v));
    }
    game_free(&g);
}
END_TEST

/* Bookkeeping: root visits add up to the playouts, children are sorted by visits, every
 * child is a candidate (legal, not an own true eye), and a seed gives one answer. */
START_TEST(test_search_accounting)
{
    game_t g;
    memset(&g, 0, sizeof g);
    game_init(&g, 9, 7.0f);
    int seq[] = {40, 30, 50, 31, 22, 58};
    for (int i = 0; i < 6; i++) ck_assert_int_eq(game_play(&g, i % 2 ? STONE_WHITE : STONE_BLACK, seq[i]), MOVE_OK);
    search_result_t a = run_search(&g, STONE_BLACK, NULL, 600, 5), b = run_search(&g, STONE_BLACK, NULL, 600, 5);
    ck_assert_int_eq(a.n_children, 81 - 6);
    ck_assert_int_eq(a.playouts, 600);
    long sum = 0;
    for (int i = 0; i < a.n_children; i++) {
        sum += a.children[i].visits;
        if (i) ck_assert_int_ge(a.children[i - 1].visits, a.children[i].visits);
        ck_assert_int_eq(game_check(&g, STONE_BLACK, a.children[i].point), MOVE_OK);
        ck_assert_int_eq(a.children[i].point, b.children[i].point);
        ck_assert_int_eq(a.children[i].visits, b.children[i].visits);
    }
    ck_assert_int_eq(sum, 600);
    ck_assert_int_eq(a.best, a.children[0].point);
    ck_assert(a.nodes > 1 && a.nodes <= 600 + 1);
    game_free(&g);
}
END_TEST

/* Hooks: progress reports growing visits; stop ends the search early (stopped, fewer
 * playouts, visits adding up to them); principal variations start with their move and are
 * legal sequences from the position. Two threads (root parallelism): the stop reaches both
 * trees, the visits add up to the playouts, and a seed repeats its figures. */
typedef struct {
    int calls, polls, stop_at;
    long last_sum;
    bool growing;
} hook_log_t;

static bool hook_stop(void *arg)
{
    hook_log_t *h = arg;
    return ++h->polls >= h->stop_at;
}

static void hook_progress(void *arg, const search_result_t *r)
{
    hook_log_t *h = arg;
    long sum = 0;
    for (int i = 0; i < r->n_children; i++) sum += r->children[i].visits;
    if (sum < h->last_sum || sum != r->playouts) h->growing = false;
    h->last_sum = sum;
    h->calls++;
}

START_TEST(test_search_hooks)
{
    game_t g;
    memset(&g, 0, sizeof g);
    game_init(&g, 9, 7.0f);
    int seq[] = {40, 30, 50, 31, 22, 58};
    for (int i = 0; i < 6; i++) ck_assert_int_eq(game_play(&g, i % 2 ? STONE_WHITE : STONE_BLACK, seq[i]), MOVE_OK);
    hook_log_t h = {.stop_at = 200, .growing = true};
    search_hooks_t hk = {.stop = hook_stop, .progress = hook_progress, .progress_s = 0, .arg = &h};
    search_opts_t o;
    search_opts_default(&o);
    o.playouts = 100000;
    o.seed = 3;
    o.hooks = &hk;
    search_result_t r;
    ck_assert_int_eq(search_run(&g, STONE_BLACK, NULL, &o, &r), 0);
    ck_assert(r.stopped);
    ck_assert_int_eq(r.playouts, 200 * 16); /* polled every 16 playouts */
    ck_assert_int_ge(h.calls, 100);
    ck_assert(h.growing);
    long sum = 0;
    int long_pv = 0;
    for (int i = 0; i < r.n_children; i++) {
        const search_child_t *ch = &r.children[i];
        sum += ch->visits;
        ck_assert_int_ge(ch->pv_len, 1);
        ck_assert_int_le(ch->pv_len, SEARCH_PV_MAX);
        ck_assert_int_eq(ch->pv[0], ch->point);
        long_pv += ch->pv_len >= 3;
        stone_t s = STONE_BLACK;
        for (int k = 0; k < ch->pv_len; k++, s = stone_other(s))
            ck_assert_msg(game_play(&g, s, ch->pv[k]) == MOVE_OK, "pv of %d: move %d illegal", ch->point, k);
        for (int k = 0; k < ch->pv_len; k++) ck_assert_int_eq(game_undo(&g), 0);
    }
    ck_assert_int_eq(sum, r.playouts);
    ck_assert_int_gt(long_pv, 0);
    /* two trees: the stop reaches both; without hooks the playouts add up and a seed gives
     * the same figures again */
    h = (hook_log_t){.stop_at = 100, .growing = true};
    o.threads = 2;
    o.hooks = &hk;
    o.playouts = 100000;
    ck_assert_int_eq(search_run(&g, STONE_BLACK, NULL, &o, &r), 0);
    ck_assert(r.stopped);
    ck_assert_int_lt(r.playouts, 20000);
    o.hooks = NULL;
    o.playouts = 1001;
    search_result_t r2;
    ck_assert_int_eq(search_run(&g, STONE_BLACK, NULL, &o, &r), 0);
    ck_assert_int_eq(search_run(&g, STONE_BLACK, NULL, &o, &r2), 0);
    ck_assert_int_eq(r.playouts, 1001);
    sum = 0;
    for (int i = 0; i < r.n_children; i++) {
        sum += r.children[i].visits;
        if (i) ck_assert_int_ge(r.children[i - 1].visits, r.children[i].visits);
        ck_assert_int_eq(r.children[i].point, r2.children[i].point);
        ck_assert_int_eq(r.children[i].visits, r2.children[i].visits);
        ck_assert(r.children[i].winrate == r2.children[i].winrate);
        ck_assert_int_eq(r.children[i].pv[0], r.children[i].point);
    }
    ck_assert_int_eq(sum, 1001);
    ck_assert_int_eq(r.best, r.children[0].point);
    o.threads = 1;
    /* without hooks the same seed runs every playout */
    o.hooks = NULL;
    o.playouts = 800;
    ck_assert_int_eq(search_run(&g, STONE_BLACK, NULL, &o, &r), 0);
    ck_assert(!r.stopped);
    ck_assert_int_eq(r.playouts, 800);
    game_free(&g);
}
END_TEST

/* The prior: with one playout the only visited child is the prior's favourite (an occupied
 * point in the prior is ignored); with no candidate but own eyes the search passes; the
 * ko retake that positional superko forbids is not a candidate. */
START_TEST(test_search_prior_eyes_ko)
{
    game_t g;
    memset(&g, 0, sizeof g);
    game_init(&g, 9, 7.0f);
    ck_assert_int_eq(game_play(&g, STONE_BLACK, 40), MOVE_OK);
    float prior[BOARD_POINTS] = {0};
    prior[40] = 10.0f;   /* occupied: ignored */
    prior[12] = 0.6f;
    prior[70] = 0.3f;
    search_result_t r = run_search(&g, STONE_WHITE, prior, 1, 1);
    ck_assert_int_eq(r.best, 12);
    ck_assert_float_eq_tol(r.children[0].prior, 0.6f / 0.9f, 1e-5f);
    game_free(&g);

    const char *eyes[] = {
        ". X X X X",
        "X X X X X",
        "X X . X X",
        "X X X X X",
        "X X X X .",
    };
    setup_diagram(&g, eyes, 5);
    r = run_search(&g, STONE_BLACK, NULL, 50, 1);
    ck_assert_int_eq(r.best, VERTEX_PASS);
    ck_assert_int_eq(r.n_children, 0);
    game_free(&g);

    const char *ko[] = {
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . . . X O . . .",
        ". . . X O . O . .",
        ". . . . X O . . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
        ". . . . . . . . .",
    };
    setup_diagram(&g, ko, 9);
    int take = 4 * 9 + 5, retake = 4 * 9 + 4;
    ck_assert_int_eq(game_play(&g, STONE_BLACK, take), MOVE_OK);
    ck_assert_int_eq(g.board.stones[retake], STONE_EMPTY);
    ck_assert_int_eq(game_check(&g, STONE_WHITE, retake), MOVE_SUPERKO);
    r = run_search(&g, STONE_WHITE, NULL, 300, 1);
    ck_assert(r.n_children > 0);
    for (int i = 0; i < r.n_children; i++) ck_assert_int_ne(r.children[i].point, retake);
    game_free(&g);
}
END_TEST

/* Strength: the search (1000 playouts, uniform prior) wins most of 4 games against the
 * random player on 9x9 (random play loses nearly every game to any search). */
START_TEST(test_search_beats_random)
{
    player_t *rnd = player_random_new(11);
    int wins = 0, games = 4;
    for (int gi = 0; gi < games; gi++) {
        game_t g;
        memset(&g, 0, sizeof g);
        game_init(&g, 9, 7.0f);
        stone_t me = gi % 2 ? STONE_WHITE : STONE_BLACK, c = STONE_BLACK;
        for (int m = 0; m < 200 && !game_over(&g); m++, c = stone_other(c)) {
            int p;
            if (c == me) {
                search_result_t r = run_search(&g, c, NULL, 1000 / WORK_SCALE, (uint64_t)(gi * 1000 + m));
                p = r.best;
                /* pass once the opponent passed and the board is ours by area */
                if (g.n_moves && g.moves[g.n_moves - 1].point == VERTEX_PASS) {
                    float s = game_score(&g, NULL);
                    if ((me == STONE_BLACK) == (s > 0)) p = VERTEX_PASS;
                }
            } else {
                rnd->genmove(rnd, &g, c, GENMOVE_NORMAL, &p);
            }
            ck_assert_int_eq(game_play(&g, c, p), MOVE_OK);
        }
        float s = game_score(&g, NULL);
        wins += (me == STONE_BLACK) == (s > 0);
        game_free(&g);
    }
    ck_assert_msg(wins >= 3, "the search won %d of %d games against random play", wins, games);
    rnd->free(rnd);
}
END_TEST

/* The playout patterns: a cut (cut1, "XO? / O.o / ?o?") matches in every orientation and
 * with the colours swapped; the same point with the cutting stones gone, an empty board
 * and a one-sided shape do not; the edge patterns need the edge. */
START_TEST(test_playout_patterns)
{
    board_t b;
    board_init(&b, 9);
    ck_assert(!playout_pattern_at(&b, 40));
    /* around E5 (row 4, col 4): X at D6, O at E6 and D5 */
    int x = 3 * 9 + 3, o1 = 3 * 9 + 4, o2 = 4 * 9 + 3;
    board_set(&b, x, STONE_BLACK);
    ck_assert(!playout_pattern_at(&b, 40));
    board_set(&b, o1, STONE_WHITE);
    board_set(&b, o2, STONE_WHITE);
    ck_assert(playout_pattern_at(&b, 40));
    /* the 8 orientations: mirror the shape through the centre */
    for (int s = 0; s < 8; s++) {
        board_t m;
        board_init(&m, 9);
        int pts[3] = {x, o1, o2};
        stone_t col[3] = {STONE_BLACK, STONE_WHITE, STONE_WHITE};
        for (int i = 0; i < 3; i++) {
            int r = pts[i] / 9 - 4, c = pts[i] % 9 - 4;
            if (s & 1) r = -r;
            if (s & 2) c = -c;
            if (s & 4) { int t2 = r; r = c; c = t2; }
            board_set(&m, (r + 4) * 9 + c + 4, s & 1 ? stone_other(col[i]) : col[i]);
        }
        ck_assert_msg(playout_pattern_at(&m, 40), "orientation %d", s);
    }
    /* side pattern "block side cut" (OX? / X.O / ###) at the bottom edge, centre E1 */
    board_init(&b, 9);
    int e1 = 8 * 9 + 4;
    board_set(&b, 7 * 9 + 3, STONE_WHITE);
    board_set(&b, 7 * 9 + 4, STONE_BLACK);
    board_set(&b, 8 * 9 + 3, STONE_BLACK);
    board_set(&b, 8 * 9 + 5, STONE_WHITE);
    ck_assert(playout_pattern_at(&b, e1));
    /* every neighbour one colour (no pattern lacks the other colour): no match */
    board_t own;
    board_init(&own, 9);
    for (int k = 0; k < 9; k++)
        if (k != 4) board_set(&own, (3 + k / 3) * 9 + 3 + k % 3, STONE_BLACK);
    ck_assert(!playout_pattern_at(&own, 40));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("play");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"selfplay", test_random_selfplay},
        {"regress", test_regress_deterministic},
        {"cleanup", test_cleanup_attacks_dead_stones},
        {"sizes", test_estimate_sizes},
        {"katago", test_katago_end_positions},
        {"playout-patterns", test_playout_patterns},
        {"search-tactics", test_search_tactics},
        {"search-accounting", test_search_accounting},
        {"search-hooks", test_search_hooks},
        {"search-prior-eyes-ko", test_search_prior_eyes_ko},
        {"search-vs-random", test_search_beats_random},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name); /* CK_RUN_CASE=name runs one */
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
