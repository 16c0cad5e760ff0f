/* clock.h: a game clock as a GTP controller describes it (time_settings, kgs-time_settings,
 * time_left) and how many seconds the next move may take.
 *
 * The engine keeps its own view between time_left commands: every genmove's wall time is
 * charged to the mover (clock_charge), so a controller that sends time_settings and never
 * time_left is still respected. A budget never spends the last of the main time on one move
 * and keeps a safety margin (CLOCK_MARGIN_S plus CLOCK_MARGIN_FRAC of the move's share) for
 * the networks, the protocol and a busy machine.
 */
#ifndef VIDEOGO_CLOCK_H
#define VIDEOGO_CLOCK_H

#include <stdbool.h>

#include "engine/board.h"

#define CLOCK_MARGIN_S 0.25      /* seconds kept back on every move */
#define CLOCK_MARGIN_FRAC 0.10   /* and this share of the move's allotment */
#define CLOCK_MIN_MOVES 10       /* main time is shared over at least this many own moves */

typedef enum {
    CLOCK_NONE = 0,     /* no limit (also time_settings with byo > 0 and stones == 0) */
    CLOCK_ABSOLUTE,     /* main time only */
    CLOCK_CANADIAN,     /* main, then `stones` moves per `byo` seconds */
    CLOCK_BYOYOMI,      /* main, then `periods` periods of `byo` seconds (kgs-time_settings) */
} clock_system_t;

typedef struct {
    clock_system_t system;
    double main_time, byo_time;
    int byo_stones;        /* canadian: stones per period */
    int byo_periods;       /* byoyomi: number of periods */
    bool has_left[3];      /* time_left seen for STONE_BLACK / STONE_WHITE */
    double time_left[3];   /* last time_left per colour */
    int stones_left[3];    /* last time_left stones (0 while in main time; byoyomi: periods) */
    double used[3];        /* own genmove seconds since the last time_left (since the settings
                              when none came) */
} game_clock_t;

/* Sets the system and times; forgets time_left and the time used. */
void clock_set(game_clock_t *c, clock_system_t system, double main_time, double byo_time, int stones,
               int periods);
/* A new game: the same settings, the time used and time_left forgotten. */
void clock_restart(game_clock_t *c);
/* A time_left command: the controller's figure replaces the engine's own count. */
void clock_left(game_clock_t *c, stone_t color, double seconds, int stones);
/* Charges seconds of thinking to color. */
void clock_charge(game_clock_t *c, stone_t color, double seconds);

/* Seconds the next move of color may take with empty_points empty points on the board:
 * main time shared over max(CLOCK_MIN_MOVES, empty_points / 3) own moves (plus half a
 * byo-yomi allotment when one follows; without one, never more than half the main time
 * left), in byo-yomi the period's time per stone; minus the margin, never below 0 (move at
 * once). Without a clock (CLOCK_NONE and no time_left) it returns no_clock when that is
 * > 0 (the caller's per-move time), else -1: no limit. */
double clock_budget(const game_clock_t *c, stone_t color, int empty_points, double no_clock);

#endif
