/* gtp_cli.c: `videogo gtp`: the GTP engine on stdin/stdout, and `--regress` to run
 * GNU Go style regression files (gtp_regress.c).
 *
 * Players are chosen by name from a small registry (players[] below); the learned
 * player joins it, and becomes the default, once its weights ship.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine/util.h"
#include "gtp/gtp.h"

typedef struct {
    uint64_t seed;
} player_opts_t;

typedef struct {
    const char *name;
    const char *help;
    /* Returns a new player, or NULL with a message in err. */
    player_t *(*create)(const player_opts_t *o, char *err, size_t errlen);
} player_entry_t;

static player_t *create_random(const player_opts_t *o, char *err, size_t errlen)
{
    player_t *p = player_random_new(o->seed);
    if (!p) snprintf(err, errlen, "could not create the random player");
    return p;
}

static const player_entry_t players[] = {
    {"random", "uniformly random legal move that does not fill its own eye (baseline)", create_random},
};
#define N_PLAYERS (sizeof players / sizeof players[0])
#define DEFAULT_PLAYER "random"

static const player_entry_t *player_find(const char *name)
{
    for (size_t i = 0; i < N_PLAYERS; i++)
        if (!strcmp(players[i].name, name)) return &players[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: videogo gtp [options]\n"
            "       videogo gtp [options] --regress FILE.tst [FILE.tst ...]\n"
            "\n"
            "Speaks GTP v2 on stdin/stdout (Sabaki, GoGui, gogui-twogtp, gomill, CGOS/KGS clients).\n"
            "stdout carries GTP only; messages go to stderr.\n"
            "\n"
            "Options:\n"
            "  --player NAME   who chooses the moves (default %s); one of:\n",
            DEFAULT_PLAYER);
    for (size_t i = 0; i < N_PLAYERS; i++) fprintf(f, "                    %-8s %s\n", players[i].name, players[i].help);
    fprintf(f,
            "  --seed N        seed of the player's randomness (default: from the clock and pid)\n"
            "  --size N        initial board size, 2..25 (default 9)\n"
            "  --komi K        initial komi (default 7); kept across boardsize/clear_board\n"
            "  --name NAME     what the GTP `name` command answers (default videogo)\n"
            "  -v, --verbose   log every command on stderr as `IN: ...`\n"
            "  --regress       run the GNU Go style regression files given as arguments (a fresh\n"
            "                  engine per file), print a report, exit 0 if all pass, 1 if not\n"
            "  -h, --help      this help\n"
            "\n"
            "Examples:\n"
            "  videogo gtp                          # for Sabaki / GoGui: command `videogo`, arguments `gtp`\n"
            "  gogui-twogtp -black 'videogo gtp --seed 1' -white 'gnugo --mode gtp --level 1' \\\n"
            "      -size 9 -komi 7 -games 10 -alternate -auto -sgffile run\n"
            "  videogo gtp --regress tests/data/gtp/*.tst\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-') return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end) return false;
    *out = (uint64_t)v;
    return true;
}

int cmd_gtp(int argc, char **argv)
{
    enum { OPT_PLAYER = 256, OPT_SEED, OPT_SIZE, OPT_KOMI, OPT_NAME, OPT_REGRESS };
    static const struct option longopts[] = {
        {"player", required_argument, NULL, OPT_PLAYER},
        {"seed", required_argument, NULL, OPT_SEED},
        {"size", required_argument, NULL, OPT_SIZE},
        {"komi", required_argument, NULL, OPT_KOMI},
        {"name", required_argument, NULL, OPT_NAME},
        {"regress", no_argument, NULL, OPT_REGRESS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    setlinebuf(stdout);
    setlinebuf(stderr);

    gtp_config_t cfg;
    gtp_config_default(&cfg);
    const char *player_name = DEFAULT_PLAYER;
    player_opts_t popts = {.seed = splitmix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32))};
    bool seeded = false, regress = false;
    int opt;
    char *end;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_PLAYER:
            player_name = optarg;
            if (!player_find(player_name)) {
                fprintf(stderr, "videogo gtp: unknown player '%s' (known:", optarg);
                for (size_t i = 0; i < N_PLAYERS; i++) fprintf(stderr, " %s", players[i].name);
                fprintf(stderr, ")\n");
                return 2;
            }
            break;
        case OPT_SEED:
            if (!parse_u64(optarg, &popts.seed)) {
                fprintf(stderr, "videogo gtp: --seed wants a non-negative integer, got '%s'\n", optarg);
                return 2;
            }
            seeded = true;
            break;
        case OPT_SIZE: {
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < BOARD_MIN || v > BOARD_MAX) {
                fprintf(stderr, "videogo gtp: --size wants an integer in %d..%d, got '%s'\n", BOARD_MIN,
                        BOARD_MAX, optarg);
                return 2;
            }
            cfg.size = (int)v;
            break;
        }
        case OPT_KOMI: {
            double v = strtod(optarg, &end);
            if (*end || end == optarg || v != v || v > 1e6 || v < -1e6) {
                fprintf(stderr, "videogo gtp: --komi wants a number, got '%s'\n", optarg);
                return 2;
            }
            cfg.komi = (float)v;
            break;
        }
        case OPT_NAME:
            if (!*optarg || strpbrk(optarg, "\n\r")) {
                fprintf(stderr, "videogo gtp: --name must be a non-empty single line\n");
                return 2;
            }
            cfg.name = optarg;
            break;
        case OPT_REGRESS:
            regress = true;
            break;
        case 'v':
            cfg.verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "videogo gtp: option '%s' needs a value (see videogo gtp --help)\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "videogo gtp: unknown option '%s' (see videogo gtp --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (!regress && optind < argc) {
        fprintf(stderr, "videogo gtp: unexpected argument '%s' (see videogo gtp --help)\n", argv[optind]);
        return 2;
    }
    if (regress && optind >= argc) {
        fprintf(stderr, "videogo gtp: --regress needs at least one .tst file\n");
        return 2;
    }

    const player_entry_t *pe = player_find(player_name);
    char err[256] = "";
    if (!regress) {
        player_t *p = pe->create(&popts, err, sizeof err);
        if (!p) {
            fprintf(stderr, "videogo gtp: %s\n", err);
            return 1;
        }
        gtp_t *ctx = gtp_new(&cfg, p);
        if (!ctx) {
            fprintf(stderr, "videogo gtp: could not start the engine (board size %d)\n", cfg.size);
            return 1;
        }
        if (cfg.verbose)
            fprintf(stderr, "videogo gtp: player %s, seed %llu%s, size %d, komi %g; GTP ready\n", pe->name,
                    (unsigned long long)popts.seed, seeded ? "" : " (from the clock)", cfg.size, (double)cfg.komi);
        signal(SIGPIPE, SIG_IGN);  /* a closed controller pipe is a write error, not a kill */
        int rc = gtp_main_loop(ctx, stdin, stdout);
        gtp_free(ctx);
        return rc == 0 ? 0 : 1;
    }

    /* --regress: a fresh engine per file, like gogui-regress; fixed seed unless given. */
    if (!seeded) popts.seed = 0;
    int failed_files = 0;
    gtp_regress_result_t total = {0};
    for (int i = optind; i < argc; i++) {
        player_t *p = pe->create(&popts, err, sizeof err);
        gtp_t *ctx = p ? gtp_new(&cfg, p) : NULL;
        if (!ctx) {
            fprintf(stderr, "videogo gtp: could not start the engine: %s\n", err);
            return 2;
        }
        gtp_regress_result_t r;
        failed_files += gtp_regress_file(ctx, argv[i], stdout, &r) != 0;
        gtp_free(ctx);
        total.tests += r.tests;
        total.passed += r.passed;
        total.failed += r.failed;
        total.expected_failures += r.expected_failures;
        total.unexpected_passes += r.unexpected_passes;
        total.errors += r.errors;
    }
    printf("total: %d tests, %d passed, %d FAILED, %d expected failures, %d unexpected passes, %d errors "
           "in %d files\n",
           total.tests, total.passed, total.failed, total.expected_failures, total.unexpected_passes, total.errors,
           argc - optind);
    return failed_files ? 1 : 0;
}
