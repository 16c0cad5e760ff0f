/* player_random.c: placeholder random player: first legal non-eye move, else pass. */
#include "engine/player.h"

#include <stdlib.h>

#include "engine/util.h"

static int genmove(player_t *self, const game_t *g, stone_t color, genmove_mode_t mode, int *point)
{
    (void)self;
    (void)mode;
    for (int p = 0; p < board_points(&g->board); p++)
        if (!board_is_eye(&g->board, p, color) && game_check(g, color, p) == MOVE_OK) {
            *point = p;
            return 0;
        }
    *point = VERTEX_PASS;
    return 0;
}

static void seed_fn(player_t *self, uint64_t seed) { (void)self; (void)seed; }
static void free_fn(player_t *self) { free(self); }

player_t *player_random_new(uint64_t seed)
{
    (void)seed;
    player_t *p = xcalloc(1, sizeof *p);
    p->name = "random";
    p->genmove = genmove;
    p->seed = seed_fn;
    p->free = free_fn;
    return p;
}
