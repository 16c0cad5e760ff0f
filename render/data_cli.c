/* data_cli.c: `videogo data build|info`: training shards from SGF games (dataset.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/sha256.h"
#include "engine/util.h"
#include "render/dataset.h"

static void data_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo data build [SRC...] [--out DIR] [--name NAME] [--size N]\n"
            "                          [--seed S] [--val-mod M]\n"
            "       videogo data info SHARD.vgs...\n"
            "\n"
            "build: replays the SGF games of SRC (files, or directories whose *.sgf are taken in\n"
            "name order; default $VIDEOGO_DATA/katago9, else ../shared/data/katago9) and writes\n"
            "DIR/NAME-train.vgs and DIR/NAME-val.vgs (default DIR shards/, NAME the base name of\n"
            "the first SRC). One position per frame, 2 bits per point; trainers render frames on\n"
            "the fly. Split by game: validation iff\n"
            "  splitmix64(splitmix64(fnv1a64(file base name) ^ S) ^ game_index) %% M == 0\n"
            "(default S = 0x%llx, M = %d: about 5%% validation); recorded in the header.\n"
            "Games of another size than N (default 9) or with an illegal move are skipped and\n"
            "counted. gobench9 paths are refused: never train on them. Format: render/dataset.h.\n"
            "\n"
            "info: prints a shard's header: split, rule, sources with sizes and SHA-256, counts.\n",
            (unsigned long long)DATASET_DEFAULT_SEED, DATASET_DEFAULT_VAL_MODULUS);
}

static int data_build(int argc, char **argv)
{
    const char **srcs = xcalloc((size_t)argc + 1, sizeof(char *));
    int n_srcs = 0;
    dataset_build_opts_t o = {.out_dir = "shards", .board_size = 9, .seed = DATASET_DEFAULT_SEED,
                              .val_modulus = DATASET_DEFAULT_VAL_MODULUS, .progress = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            data_usage(stdout);
            free(srcs);
            return 0;
        } else if (!strcmp(a, "--out") && v) {
            o.out_dir = v;
            i++;
        } else if (!strcmp(a, "--name") && v) {
            o.name = v;
            i++;
        } else if (!strcmp(a, "--size") && v) {
            o.board_size = (int)strtol(v, &end, 10);
            i++;
        } else if (!strcmp(a, "--seed") && v) {
            o.seed = strtoull(v, &end, 0);
            i++;
        } else if (!strcmp(a, "--val-mod") && v) {
            o.val_modulus = (uint32_t)strtoul(v, &end, 10);
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "videogo data build: unknown or incomplete option '%s'\n", a);
            free(srcs);
            return 2;
        } else {
            srcs[n_srcs++] = a;
        }
        if (end && (*end || end == v)) {
            fprintf(stderr, "videogo data build: %s: bad number '%s'\n", a, v);
            free(srcs);
            return 2;
        }
    }
    char def[4096];
    if (n_srcs == 0) {
        const char *env = getenv("VIDEOGO_DATA");
        snprintf(def, sizeof def, "%s/katago9", env && *env ? env : "../shared/data");
        srcs[n_srcs++] = def;
    }
    o.sources = srcs;
    o.n_sources = n_srcs;
    if (o.name && (strchr(o.name, '/') || !*o.name)) {
        fprintf(stderr, "videogo data build: --name must be a plain file name prefix\n");
        free(srcs);
        return 2;
    }
    fprintf(stderr, "data: building %dx%d shards into %s/ (seed 0x%llx, about 1 in %u games to validation)\n",
            o.board_size, o.board_size, o.out_dir, (unsigned long long)o.seed, o.val_modulus);
    double t0 = time_wall();
    dataset_build_report_t rep;
    char err[512];
    int rc = dataset_build(&o, &rep, err, sizeof err);
    free(srcs);
    if (rc < 0) {
        fprintf(stderr, "videogo data build: %s\n", err);
        return 1;
    }
    for (int k = 0; k < 2; k++)
        printf("%s: %" PRIu64 " games, %" PRIu64 " frames, %" PRIu64 " bytes\n", rep.path[k], rep.games[k],
               rep.frames[k], rep.bytes[k]);
    printf("%u source file(s), %u game(s) skipped, %.2f s\n", rep.n_files, rep.n_skipped, time_wall() - t0);
    return 0;
}

static int data_info(int argc, char **argv)
{
    if (argc < 2) {
        data_usage(stderr);
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            data_usage(stdout);
            return 0;
        }
        char err[512];
        dataset_t *ds = dataset_open(argv[i], err, sizeof err);
        if (!ds) {
            fprintf(stderr, "videogo data info: %s\n", err);
            rc = 1;
            continue;
        }
        const dataset_info_t *in = dataset_info(ds);
        printf("%s: videogo shard v%u, %ux%u, split %s\n", argv[i], in->version, in->board_size, in->board_size,
               in->split_name);
        printf("  games %" PRIu64 ", frames %" PRIu64 ", skipped in sources %u\n", in->n_games, in->n_frames,
               in->n_skipped);
        printf("  split rule: %s\n", in->split_rule);
        printf("  sources (%u):\n", in->n_sources);
        for (uint32_t s = 0; s < in->n_sources; s++) {
            char hex[65];
            sha256_hex(in->sources[s].sha256, hex);
            printf("    %-24s %10" PRIu64 " bytes  %6u games  sha256 %s\n", in->sources[s].name,
                   in->sources[s].size, in->sources[s].n_games, hex);
        }
        dataset_close(ds);
    }
    return rc;
}

int cmd_data(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        data_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "build")) return data_build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info")) return data_info(argc - 1, argv + 1);
    fprintf(stderr, "videogo data: unknown action '%s' (build, info)\n", argv[1]);
    return 2;
}
