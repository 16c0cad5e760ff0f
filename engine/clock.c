/* clock.c: the game clock's bookkeeping and the time budget of a move (clock.h). */
#include "engine/clock.h"

#include <string.h>

void clock_set(game_clock_t *c, clock_system_t system, double main_time, double byo_time, int stones,
               int periods)
{
    memset(c, 0, sizeof *c);
    c->system = system;
    c->main_time = main_time;
    c->byo_time = byo_time;
    c->byo_stones = stones;
    c->byo_periods = periods;
}

void clock_restart(game_clock_t *c)
{
    clock_set(c, c->system, c->main_time, c->byo_time, c->byo_stones, c->byo_periods);
}

void clock_left(game_clock_t *c, stone_t color, double seconds, int stones)
{
    if (color != STONE_BLACK && color != STONE_WHITE) return;
    c->has_left[color] = true;
    c->time_left[color] = seconds;
    c->stones_left[color] = stones;
    c->used[color] = 0;
}

void clock_charge(game_clock_t *c, stone_t color, double seconds)
{
    if ((color == STONE_BLACK || color == STONE_WHITE) && seconds > 0) c->used[color] += seconds;
}

/* Seconds a move may use in byo-yomi (before the margin): Canadian, the period's time per
 * stone; Japanese, one period; none for absolute time. */
static double byo_per_move(const game_clock_t *c)
{
    if (c->system == CLOCK_CANADIAN && c->byo_stones > 0) return c->byo_time / c->byo_stones;
    if (c->system == CLOCK_BYOYOMI && c->byo_periods > 0) return c->byo_time;
    return 0;
}

static double after_margin(double share)
{
    double b = share * (1.0 - CLOCK_MARGIN_FRAC) - CLOCK_MARGIN_S;
    return b > 0 ? b : 0;
}

double clock_budget(const game_clock_t *c, stone_t color, int empty_points, double no_clock)
{
    if (color != STONE_BLACK && color != STONE_WHITE) return -1;
    if (c->system == CLOCK_NONE && !c->has_left[color]) return no_clock > 0 ? no_clock : -1;
    const double byo = byo_per_move(c);
    double main_left;
    if (c->has_left[color]) {
        double left = c->time_left[color] - c->used[color];
        int stones = c->stones_left[color];
        if (stones > 0) { /* in byo-yomi: Canadian `left` for `stones` moves, Japanese the period */
            if (c->system == CLOCK_BYOYOMI) return after_margin(left);
            return after_margin(left / stones);
        }
        main_left = left;
    } else {
        main_left = c->main_time - c->used[color];
    }
    if (main_left <= 0) return after_margin(byo); /* main time over (own count): byo-yomi */
    int moves = empty_points / 3;
    if (moves < CLOCK_MIN_MOVES) moves = CLOCK_MIN_MOVES;
    double share = main_left / moves;
    if (byo > 0) share += 0.5 * byo;
    else if (share > 0.5 * main_left) share = 0.5 * main_left;
    return after_margin(share);
}
