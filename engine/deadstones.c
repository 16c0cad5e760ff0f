/* deadstones.c: placeholder (every stone alive) until the Monte Carlo estimator lands. */
#include "engine/deadstones.h"

#include <string.h>

void deadstones_estimate(const board_t *b, stone_t to_move, uint64_t seed, uint8_t *status)
{
    (void)to_move;
    (void)seed;
    memset(status, STATUS_ALIVE, (size_t)board_points(b));
}
