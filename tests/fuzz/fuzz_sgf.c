/* fuzz_sgf.c: the SGF reader (engine/sgf.h) on arbitrary bytes, then each game it returns
 * through replay and the writer.
 *
 * Properties: no crash, leak or sanitizer report; an error's offset lies inside the input;
 * what sgf_write writes parses again to one game with the same size, setup position and moves
 * (the writer's output is valid SGF, and nothing of the main line is lost in a round trip).
 */
#include <string.h>

#include "engine/sgf.h"
#include "tests/fuzz/fuzz.h"

/* The stones the setup leaves (the writer writes this net position, not the AB/AW/AE list). */
static void setup_position(const sgf_game_t *g, uint8_t st[BOARD_POINTS])
{
    memset(st, STONE_EMPTY, BOARD_POINTS);
    for (int i = 0; i < g->n_setup; i++)
        if (g->setup[i].point >= 0 && g->setup[i].point < BOARD_POINTS) st[g->setup[i].point] = (uint8_t)g->setup[i].color;
}

static void check_round_trip(const sgf_game_t *g)
{
    char *text = sgf_write(g);
    FUZZ_CHECK(text != NULL);
    sgf_collection_t c2;
    sgf_error_t e2;
    int rc = sgf_parse(text, strlen(text), &c2, &e2);
    if (rc != 0) fprintf(stderr, "round trip: %s at %zu in:\n%s\n", e2.message, e2.offset, text);
    FUZZ_CHECK(rc == 0 && c2.n_games == 1);
    const sgf_game_t *h = &c2.games[0];
    FUZZ_CHECK(h->size == g->size && h->n_moves == g->n_moves);
    uint8_t a[BOARD_POINTS], b[BOARD_POINTS];
    setup_position(g, a);
    setup_position(h, b);
    FUZZ_CHECK(!memcmp(a, b, sizeof a));
    for (int i = 0; i < g->n_moves; i++)
        FUZZ_CHECK(h->moves[i].point == g->moves[i].point && h->moves[i].color == g->moves[i].color);
    sgf_collection_free(&c2);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sgf_collection_t c;
    sgf_error_t e;
    if (sgf_parse((const char *)data, size, &c, &e) != 0) {
        FUZZ_CHECK(e.offset <= size);
        FUZZ_CHECK(c.n_games == 0 && c.games == NULL);
        return 0;
    }
    for (int i = 0; i < c.n_games; i++) {
        game_t g;
        memset(&g, 0, sizeof g);
        int bad;
        int rc = sgf_replay(&c.games[i], -1, &g, &bad);
        FUZZ_CHECK(rc == 0 || rc == -2 || (rc == -1 && bad >= 0 && bad < c.games[i].n_moves));
        game_free(&g);
        check_round_trip(&c.games[i]);
    }
    sgf_collection_free(&c);
    return 0;
}
