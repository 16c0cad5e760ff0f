/* cli.h: the subcommands of the `videogo` program. Each folder implements its own
 * `cmd_*` entry point (argc/argv start at the subcommand name) and returns the exit
 * status; main.c only dispatches. */
#ifndef VIDEOGO_CLI_H
#define VIDEOGO_CLI_H

int cmd_gtp(int argc, char **argv);      /* gtp/gtp_cli.c */
int cmd_sgf(int argc, char **argv);      /* engine/sgf_cli.c: sgf check FILE... */
int cmd_render(int argc, char **argv);   /* render/render_cli.c: a game's frames as PNG */
int cmd_data(int argc, char **argv);     /* render/data_cli.c: data build|info (training shards) */
/* `videogo bench NAME`: bench.c (top level) dispatches over a table of benchmarks; add
 * one line there and declare your cmd_bench_<name> here. */
int cmd_bench(int argc, char **argv);         /* bench.c */
int cmd_bench_render(int argc, char **argv);  /* render/bench_render.c: frames/s at 256/128/64 px */
int cmd_bench_engine(int argc, char **argv);  /* engine/bench_engine.c: board_play/game_play/SGF/dead stones speed */
int cmd_bench_kernels(int argc, char **argv); /* kernels/bench_kernels.c: matmul/block GFLOP/s vs sgemm peak */
int cmd_bench_tokenizer(int argc, char **argv); /* train/tokenizer_train.c: encode/decode ms per frame */
int cmd_bench_train_ar(int argc, char **argv); /* train/ar_bench.c: transformer training tokens/s, GFLOP/s, vs PyTorch */
int cmd_bench_genmove(int argc, char **argv); /* player/learned_bench.c: learned genmove ms p50/p95 */
int cmd_weights(int argc, char **argv);  /* model/weights_cli.c: weights inspect|check FILE */
int cmd_train(int argc, char **argv);    /* train/train_cli.c: train NET (tokenizer, ...) */
int cmd_eval(int argc, char **argv);     /* eval/eval_cli.c: eval gobench (Video-GoBench figures) */
int cmd_match(int argc, char **argv);    /* eval/eval_cli.c: match (play|list|export) two GTP engines */
int cmd_ratings(int argc, char **argv);  /* eval/eval_cli.c: Bradley-Terry Elo over recorded games */
int cmd_report(int argc, char **argv);   /* eval/eval_cli.c: PNG plots and summary from the database */

#endif
