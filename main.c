/* main.c: `videogo <command> ...`: dispatch to the subcommands listed in cli.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kernels/ops.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t commands[] = {
    {"gtp", cmd_gtp, "play Go over GTP on stdin/stdout (Sabaki, GoGui, match runners)"},
    {"sgf", cmd_sgf, "check SGF files: parse and replay every game legally"},
    {"render", cmd_render, "render a game's video: one PNG per move, one frame, or a contact sheet"},
    {"data", cmd_data, "build training shards from the SGF games (data build), inspect them (data info)"},
    {"bench", cmd_bench, "benchmarks (bench render, ...)"},
    {"train", cmd_train, "train a network from the game videos (train tokenizer, ...); resumable"},
    {"weights", cmd_weights, "inspect or check a weights/checkpoint file (GGUF v3): header, tensors, SHA-256"},
    {"eval", cmd_eval, "Video-GoBench figures for a player (eval gobench), stored in SQLite"},
    {"match", cmd_match, "play two GTP engines against each other; every game saved in SQLite; resumable"},
    {"ratings", cmd_ratings, "Bradley-Terry Elo over all recorded games, table and PNG ladder"},
    {"report", cmd_report, "training curves, evaluation history and rating ladder as PNG, with a summary"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: videogo <command> [options]   (videogo <command> --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    /* OpenMP threads that spin while idle make the kernels ~4x slower whenever another
     * program shares the cores (measured, kernels/linear.c): restart once with
     * OMP_WAIT_POLICY=passive unless the user chose a policy. */
    kernels_reexec_passive(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("videogo %s\n", VIDEOGO_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "videogo: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
