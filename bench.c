/* bench.c: `videogo bench NAME`: the benchmark dispatcher. It sits at the top, beside main.c,
 * because it calls every floor's benchmark.
 *
 * Each folder adds its benchmark as ONE line in the table below and declares its
 * `int cmd_bench_<name>(int argc, char **argv)` in cli.h (argv[0] is the bench name).
 * Benchmarks print ratios against a baseline measured in the same run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} bench_entry_t;

static const bench_entry_t benches[] = {
    {"render", cmd_bench_render, "frames/s of the frame renderer at 256/128/64 px, one core"},
    {"engine", cmd_bench_engine, "ns/move of board_play, game_play (superko), SGF replay; dead-stone ms"},
    {"tokenizer", cmd_bench_tokenizer, "encode/decode ms per frame of the frame tokenizer, vs rendering"},
    {"kernels", cmd_bench_kernels, "GFLOP/s of matmul and a transformer block fwd+bwd vs sgemm peak"},
    {"train-ar", cmd_bench_train_ar, "transformer training tokens/s and GFLOP/s vs sgemm peak, vs PyTorch CPU"},
    {"genmove", cmd_bench_genmove, "ms per genmove (p50/p95) of the learned player on validation positions, vs random"},
};

#define N_BENCHES (sizeof benches / sizeof benches[0])

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: videogo bench NAME [options]   (videogo bench NAME --help for details)\n\nbenchmarks:\n");
    for (size_t i = 0; i < N_BENCHES; i++) fprintf(f, "  %-12s %s\n", benches[i].name, benches[i].help);
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        bench_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < N_BENCHES; i++)
        if (!strcmp(argv[1], benches[i].name)) return benches[i].run(argc - 1, argv + 1);
    fprintf(stderr, "videogo bench: unknown benchmark '%s'\n", argv[1]);
    bench_usage(stderr);
    return 2;
}

