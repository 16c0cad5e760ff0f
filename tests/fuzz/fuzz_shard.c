/* fuzz_shard.c: the training-shard reader (render/dataset.h) over a memory buffer
 * (dataset_open_buffer: the validation dataset_open runs on a mapped file), then the read calls
 * the trainers make on whatever opens: game table lookups, frames under every symmetry, boards,
 * labels, frames-after counts.
 *
 * Properties: no crash, leak or sanitizer report; a refused shard leaves a message; in a shard
 * that opens, the game table tiles the frames (dataset_game_of inverts dataset_game) and every
 * label is a point of the board, a pass, "none" or the corrupt-record value -100.
 */
#include <string.h>

#include "render/dataset.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    dataset_t *ds = dataset_open_buffer(data, size, "fuzz.vgs", err, sizeof err);
    if (!ds) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    const dataset_info_t *in = dataset_info(ds);
    int n = (int)in->board_size;
    FUZZ_CHECK(n >= BOARD_MIN && n <= BOARD_MAX);
    for (uint32_t s = 0; s < in->n_sources; s++) FUZZ_CHECK(strlen(in->sources[s].name) < 64);
    /* Bounded work per input: the first games and frames are enough to reach every branch. */
    uint64_t games = in->n_games < 64 ? in->n_games : 64;
    for (uint64_t g = 0; g < games; g++) {
        dataset_game_t gm;
        FUZZ_CHECK(dataset_game(ds, g, &gm) == 0);
        FUZZ_CHECK(gm.n_frames > 0 && gm.source < in->n_sources);
        FUZZ_CHECK(dataset_game_of(ds, gm.first_frame) == (int64_t)g);
        FUZZ_CHECK(dataset_frames_after(ds, gm.first_frame) == (int)(gm.n_frames - 1));
    }
    dataset_game_t none;
    FUZZ_CHECK(dataset_game(ds, in->n_games, &none) == -1);
    FUZZ_CHECK(dataset_game_of(ds, in->n_frames) == -1);
    uint64_t frames = in->n_frames < 128 ? in->n_frames : 128;
    uint8_t stones[BOARD_POINTS];
    for (uint64_t i = 0; i < frames; i++) {
        for (int sym = 0; sym < 8; sym++) {
            stone_t tm;
            if (dataset_frame(ds, i, sym, stones, &tm) == 0) FUZZ_CHECK(tm == STONE_BLACK || tm == STONE_WHITE);
            int m = dataset_label_move(ds, i, sym);
            FUZZ_CHECK((m >= 0 && m < n * n) || m == VERTEX_PASS || m == VERTEX_NONE || m == -100);
        }
        board_t b;
        (void)dataset_frame_board(ds, i, (int)(i % 8), &b, NULL);
    }
    FUZZ_CHECK(dataset_frame(ds, in->n_frames, 0, stones, NULL) == -1);
    FUZZ_CHECK(dataset_frame(ds, 0, 8, stones, NULL) == -1);
    dataset_close(ds);
    return 0;
}
