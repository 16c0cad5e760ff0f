/* fuzz_positions.c: the Video-GoBench position reader (eval/gobench.h, eval/json.h) on arbitrary
 * JSON lines: the bounded line reader (gobench_read over a memory stream), the JSON parser, the
 * field checks and the history replay; then, for each position that loads, the rebuilt game and
 * the scoring of its best move, its played move, a pass and a resignation.
 *
 * Properties: no crash, leak or sanitizer report; every line is either a position or counted as
 * bad; a loaded position rebuilds (gobench_parse_line already replayed it), its policy maximum
 * is positive and finite, its turn is -1 or more, and an action-value lies in [0, 1].
 */
#include <math.h>
#include <string.h>

#include "eval/gobench.h"
#include "tests/fuzz/fuzz.h"

static void check_score(const gobench_pos_t *p, const game_t *g, int move)
{
    gobench_score_t s = gobench_score_move(p, g, move);
    FUZZ_CHECK(s.value >= 0.0 && s.value <= 1.0 + 1e-9);
    FUZZ_CHECK(s.legal || s.value == 0.0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    FILE *f = fmemopen((void *)data, size, "r");
    FUZZ_CHECK(f != NULL);
    gobench_set_t set;
    char err[300];
    int rc = gobench_read(f, "fuzz.jsonl", &set, NULL, err, sizeof err);
    fclose(f);
    FUZZ_CHECK(rc == 0); /* memory input: never over GOBENCH_MAX_BYTES here */
    for (int i = 0; i < set.n; i++) {
        const gobench_pos_t *p = &set.pos[i];
        FUZZ_CHECK(p->size >= 2 && p->size <= BOARD_MAX && p->policy_max > 0 && isfinite(p->policy_max));
        FUZZ_CHECK(p->turn >= -1);
        game_t g;
        memset(&g, 0, sizeof g);
        FUZZ_CHECK(gobench_position(p, &g, err, sizeof err) == 0);
        check_score(p, &g, p->best);
        check_score(p, &g, p->played);
        check_score(p, &g, VERTEX_PASS);
        check_score(p, &g, VERTEX_RESIGN);
        game_free(&g);
    }
    gobench_set_free(&set);
    return 0;
}
