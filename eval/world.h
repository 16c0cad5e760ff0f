/* world.h: `videogo eval world`: where the learned pipeline loses the move, stage by stage, on
 * a labelled position set (gobench.h). For each position the played move gives the real next
 * frame x_{t+1}; the frozen LDM gives the real code z_t^1 of (x_t, x_{t+1}).
 *
 * Teacher-forced (the transformer reads the real sequence):
 *   z top-1        its most likely z^1 is the LDM's code of the real future;
 *   x_{t+1} tokens its most likely token at each of the T positions of x_{t+1} is the real one
 *                  (all tokens, and the tokens that change);
 *   IDM real       the IDM's argmax on (x_t, real x_{t+1}, real z) is the played move; with
 *                  x_{t+1} replaced by x_t: what the code alone tells it.
 * Free-running (the likeliest z^1, then the greedy x^_{t+1}, as the player imagines it):
 *   x^ read back as a board (render_board_read): exact (the real next board), unchanged, one
 *   new stone of the mover's colour, that stone on the played point; the IDM's argmax on it.
 * The networks' distribution (policy_distribution, as `eval gobench` paper mode chooses):
 *   its argmax is the played move / KataGo's best move; the rank of the best move in it
 *   (1 = first; the share in the top 1, 3 and 10) and the action-value of the argmax.
 * Every share is printed with its count; nothing is stored. */
#ifndef VIDEOGO_EVAL_WORLD_H
#define VIDEOGO_EVAL_WORLD_H

int cmd_eval_world(int argc, char **argv);

#endif
