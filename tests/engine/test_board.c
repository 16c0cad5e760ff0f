/* test_board.c: unit tests of engine/board.c and engine/game.c written in C (vertices,
 * hashing, captures, ko, handicap, scoring text). The rules cases as ASCII diagrams
 * are in test_rules.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/game.h"

static int V(const char *s, int size)
{
    int p = VERTEX_NONE;
    ck_assert_msg(vertex_parse(s, size, &p) == 0, "bad vertex %s", s);
    return p;
}

START_TEST(test_vertex)
{
    int p;
    char buf[8];
    ck_assert_int_eq(vertex_parse("A9", 9, &p), 0);
    ck_assert_int_eq(p, 0);
    ck_assert_int_eq(vertex_parse("j1", 9, &p), 0);
    ck_assert_int_eq(p, 80);
    ck_assert_int_eq(vertex_parse("PASS", 9, &p), 0);
    ck_assert_int_eq(p, VERTEX_PASS);
    ck_assert_int_eq(vertex_parse("Pass", 19, &p), 0);
    ck_assert_int_eq(vertex_parse("I5", 19, &p), -1);
    ck_assert_int_eq(vertex_parse("K10", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("A0", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("A10", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("A", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("A1x", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("A-1", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("A001", 9, &p), -1);
    ck_assert_int_eq(vertex_parse("Z25", 25, &p), 0);
    ck_assert_int_eq(p, 24);
    ck_assert_str_eq(vertex_format(p, 25, buf), "Z25");
    ck_assert_str_eq(vertex_format(V("t19", 19), 19, buf), "T19");
    ck_assert_str_eq(vertex_format(V("J3", 9), 9, buf), "J3");
    ck_assert_str_eq(vertex_format(VERTEX_PASS, 9, buf), "pass");
    ck_assert_str_eq(vertex_format(VERTEX_RESIGN, 9, buf), "resign");
    for (int size = 2; size <= 25; size++)
        for (int q = 0; q < size * size; q++) {
            ck_assert_int_eq(vertex_parse(vertex_format(q, size, buf), size, &p), 0);
            ck_assert_int_eq(p, q);
        }
    stone_t c;
    ck_assert_int_eq(color_parse("B", &c), 0);
    ck_assert_int_eq(c, STONE_BLACK);
    ck_assert_int_eq(color_parse("wHiTe", &c), 0);
    ck_assert_int_eq(c, STONE_WHITE);
    ck_assert_int_eq(color_parse("x", &c), -1);
    ck_assert_int_eq(color_parse("blackx", &c), -1);
}
END_TEST

START_TEST(test_sizes)
{
    board_t b;
    ck_assert_int_eq(board_init(&b, 1), -1);
    ck_assert_int_eq(board_init(&b, 26), -1);
    ck_assert_int_eq(board_init(&b, 2), 0);
    ck_assert_int_eq(board_init(&b, 25), 0);
    /* 2x2: black fills three points, white cannot play the last (suicide), black can't either */
    board_init(&b, 2);
    ck_assert_int_eq(board_play(&b, STONE_BLACK, 0, NULL, NULL), MOVE_OK);
    ck_assert_int_eq(board_play(&b, STONE_BLACK, 1, NULL, NULL), MOVE_OK);
    ck_assert_int_eq(board_play(&b, STONE_BLACK, 2, NULL, NULL), MOVE_OK);
    ck_assert_int_eq(board_check(&b, STONE_WHITE, 3), MOVE_OK); /* captures all three */
    ck_assert_int_eq(board_check(&b, STONE_BLACK, 3), MOVE_SUICIDE);
    int cap[4], n;
    ck_assert_int_eq(board_play(&b, STONE_WHITE, 3, cap, &n), MOVE_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(b.captures[STONE_WHITE], 3);
    ck_assert_int_eq(board_play(&b, STONE_WHITE, 7, NULL, NULL), MOVE_OFF_BOARD);
    ck_assert_int_eq(board_play(&b, STONE_EMPTY, 0, NULL, NULL), MOVE_BAD_COLOR);
    ck_assert_int_eq(board_play(&b, STONE_WHITE, 3, NULL, NULL), MOVE_OCCUPIED);
}
END_TEST

START_TEST(test_hash)
{
    /* The incremental hash equals the hash recomputed from the stones. */
    board_t b;
    board_init(&b, 9);
    uint64_t seed = 12345;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int p = (int)((seed >> 33) % 81);
        board_play(&b, (i & 1) ? STONE_WHITE : STONE_BLACK, p, NULL, NULL);
        uint64_t h = 0;
        for (int q = 0; q < 81; q++)
            if (b.stones[q]) h ^= board_zobrist(q, (stone_t)b.stones[q]);
        ck_assert_uint_eq(h, b.hash);
    }
    ck_assert_uint_ne(board_zobrist(3, STONE_BLACK), board_zobrist(3, STONE_WHITE));
    ck_assert_uint_eq(board_zobrist(3, STONE_BLACK), board_zobrist(3, STONE_BLACK));
}
END_TEST

START_TEST(test_game_ko_undo)
{
    game_t g;
    memset(&g, 0, sizeof g);
    ck_assert_int_eq(game_init(&g, 9, 7.0f), 0);
    const char *seq[] = {"D5", "E5", "C4", "F4", "D3", "E3", "J9", "D4"};
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(game_play(&g, (i & 1) ? STONE_WHITE : STONE_BLACK, V(seq[i], 9)), MOVE_OK);
    ck_assert_int_eq(game_play(&g, STONE_BLACK, V("E4", 9)), MOVE_OK); /* takes the ko */
    ck_assert_int_eq(g.board.captures[STONE_BLACK], 1);
    ck_assert_int_eq(game_check(&g, STONE_WHITE, V("D4", 9)), MOVE_SUPERKO);
    ck_assert_int_eq(game_play(&g, STONE_WHITE, V("D4", 9)), MOVE_SUPERKO);
    ck_assert_int_eq(g.n_moves, 9);
    ck_assert_int_eq(game_play(&g, STONE_WHITE, VERTEX_PASS), MOVE_OK);
    ck_assert_int_eq(game_passes(&g), 1);
    ck_assert_int_eq(game_undo(&g), 0);
    ck_assert_int_eq(game_undo(&g), 0);
    ck_assert_int_eq(g.board.stones[V("D4", 9)], STONE_WHITE);
    ck_assert_int_eq(g.board.captures[STONE_BLACK], 0);
    ck_assert_int_eq(g.to_move, STONE_BLACK);
    while (game_undo(&g) == 0) {}
    ck_assert_int_eq(g.n_moves, 0);
    ck_assert_uint_eq(g.board.hash, 0);
    game_free(&g);
}
END_TEST

START_TEST(test_handicap_and_score)
{
    game_t g;
    int pts[9];
    char buf[16];
    memset(&g, 0, sizeof g);
    game_init(&g, 9, 0.5f);
    ck_assert_int_eq(game_fixed_handicap(&g, 10, pts), -1);
    ck_assert_int_eq(game_fixed_handicap(&g, 1, pts), -1);
    ck_assert_int_eq(game_fixed_handicap(&g, 2, pts), 2);
    ck_assert_int_eq(pts[0], V("G7", 9));
    ck_assert_int_eq(pts[1], V("C3", 9));
    ck_assert_int_eq(g.to_move, STONE_WHITE);
    ck_assert_int_eq(game_fixed_handicap(&g, 2, pts), -2);
    ck_assert_int_eq(game_undo(&g), -1);
    /* Black owns the whole board with two stones: 81 - 0.5 */
    ck_assert_str_eq(score_format(game_score(&g, NULL), buf, sizeof buf), "B+80.5");
    ck_assert_str_eq(score_format(-0.5f, buf, sizeof buf), "W+0.5");
    ck_assert_str_eq(score_format(0.0f, buf, sizeof buf), "0");
    ck_assert_str_eq(score_format(7.0f, buf, sizeof buf), "B+7");
    ck_assert_int_eq(handicap_points(6, 2, pts), -1);
    ck_assert_int_eq(handicap_points(8, 5, pts), -1);
    ck_assert_int_eq(handicap_points(7, 4, pts), 4);
    game_free(&g);
}
END_TEST

static Suite *board_suite(void)
{
    Suite *s = suite_create("board");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_vertex);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_hash);
    tcase_add_test(tc, test_game_ko_undo);
    tcase_add_test(tc, test_handicap_and_score);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(board_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
