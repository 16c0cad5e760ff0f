/* train_cli.c: `videogo train NET ...`: dispatch over a table of trainable networks (one
 * line per net; each trainer's entry point is declared in model/train.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model/train.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} train_entry_t;

static const train_entry_t trainers[] = {
    {"tokenizer", cmd_train_tokenizer, "frame -> 16 FSQ tokens autoencoder (model/tokenizer.h)"},
    {"ldm", cmd_train_ldm, "latent dynamics model: x_t..x_{t+H} -> H FSQ action codes (model/ldm.h)"},
};

#define N_TRAINERS (sizeof trainers / sizeof trainers[0])

static void train_usage(FILE *f)
{
    fprintf(f, "usage: videogo train NET [options]   (videogo train NET --help for details)\n\nnetworks:\n");
    for (size_t i = 0; i < N_TRAINERS; i++) fprintf(f, "  %-12s %s\n", trainers[i].name, trainers[i].help);
}

int cmd_train(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        train_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < N_TRAINERS; i++)
        if (!strcmp(argv[1], trainers[i].name)) return trainers[i].run(argc - 1, argv + 1);
    fprintf(stderr, "videogo train: unknown network '%s'\n", argv[1]);
    train_usage(stderr);
    return 2;
}
