/* gtp_cli.c: `videogo gtp`: the GTP engine on stdin/stdout, and `--regress` to run
 * GNU Go style regression files (gtp_regress.c).
 *
 * Players are chosen by name from a small registry (players[] below). The default is the
 * learned player (player/learned.h) with the weights of policy_default_weights_dir() (the
 * source tree's weights/, or $VIDEOGO_WEIGHTS_DIR). When the user asked for nothing in
 * particular and those files are missing, it says so on stderr and plays the random
 * player, so a fresh checkout still works in Sabaki (whose GTP console shows stderr, and
 * `version` names the player); when the user asked for the learned player or named weights
 * (--player learned, --weights-dir, --ar, ...), a missing or mismatched file is an error
 * and the program exits 1 (GTP.md section 7: a clear start-up failure).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine/util.h"
#include "gtp/gtp.h"
#include "model/policy.h"
#include "player/learned.h"

typedef struct {
    uint64_t seed;
    /* learned player */
    const char *weights_dir;            /* NULL: policy_default_weights_dir() */
    const char *tokenizer, *ar, *idm, *ldm; /* per-file overrides (NULL: from the folder) */
    int rollouts;
    float temperature;
    float resign_below;
    bool codes_from_frame;
    bool sample;                        /* sampled futures instead of the top codes */
    int playouts, search_threads, symmetries;
    float prior_c, rave_k;
    bool uniform_prior, no_escape, no_patterns;
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

/* The learned player's files: the folder's default names; --ar takes the tokenizer, IDM
 * (named like it: policy_idm_for_ar) and LDM beside it when they are there, else the
 * folder's; then the other per-file flags. */
static void learned_config(const player_opts_t *o, policy_config_t *cfg)
{
    policy_config_default(cfg);
    if (o->weights_dir) policy_config_set_dir(cfg, o->weights_dir);
    if (o->tokenizer) snprintf(cfg->tokenizer_path, sizeof cfg->tokenizer_path, "%s", o->tokenizer);
    if (o->ar) policy_config_for(cfg, o->ar, o->weights_dir);
    if (o->idm) snprintf(cfg->idm_path, sizeof cfg->idm_path, "%s", o->idm);
    if (o->ldm) snprintf(cfg->ldm_path, sizeof cfg->ldm_path, "%s", o->ldm);
    cfg->max_rollouts = o->rollouts;
    cfg->temperature = o->temperature;
    cfg->codes_from_frame = o->codes_from_frame;
    cfg->symmetries = o->symmetries > 1 ? o->symmetries : 1;
    cfg->top_codes = !o->sample;
}

static player_t *create_learned(const player_opts_t *o, char *err, size_t errlen)
{
    policy_config_t cfg;
    char missing[1024];
    learned_config(o, &cfg);
    if (!policy_files_exist(&cfg, missing, sizeof missing)) {
        snprintf(err, errlen, "no weights for the learned player (%s); train them (weights/README.md) or pass "
                 "--weights-dir DIR, or use --player random", missing);
        return NULL;
    }
    policy_t *pol = policy_load(&cfg, err, errlen);
    if (!pol) return NULL;
    policy_player_opts_t po;
    policy_player_opts_default(&po);
    po.rollouts = o->rollouts;
    po.seed = o->seed;
    po.resign_below = o->resign_below;
    po.search.playouts = o->playouts;
    po.search.prior_c = o->prior_c;
    po.search.rave_k = o->rave_k;
    po.search.threads = o->search_threads > 0 ? o->search_threads : 1;
    po.search.escape = !o->no_escape;
    po.search.patterns = !o->no_patterns;
    po.uniform_prior = o->uniform_prior;
    return policy_player_new(pol, &po);
}

static const player_entry_t players[] = {
    {"learned", "the learned policy: transformer rollouts read by the IDM (weights below)", create_learned},
    {"random", "uniformly random legal move that does not fill its own eye (baseline)", create_random},
};
#define N_PLAYERS (sizeof players / sizeof players[0])
#define DEFAULT_PLAYER "learned"

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
            "                  Without --player and without weights options, missing weights files make\n"
            "                  it say so on stderr and play `random`; with them, that is an error (exit 1).\n"
            "  --seed N        seed of the player's randomness (default: from the clock and pid)\n"
            "  --size N        initial board size, 2..25 (default 9)\n"
            "  --komi K        initial komi (default 7); kept across boardsize/clear_board\n"
            "  --name NAME     what the GTP `name` command answers (default videogo)\n"
            "  -v, --verbose   log every command on stderr as `IN: ...`\n"
            "  --sgf-dir DIR   loadsgf reads only files inside DIR (default: the working folder)\n"
            "  --output-dir DIR  videogo-imagine_frames writes its PNG files only inside DIR (a relative\n"
            "                  prefix is taken inside it); without it, no GTP command writes files\n"
            "  --regress       run the GNU Go style regression files given as arguments (a fresh\n"
            "                  engine per file), print a report, exit 0 if all pass, 1 if not\n"
            "  -h, --help      this help\n"
            "\n"
            "Learned player:\n"
            "  --weights-dir DIR  folder with %s, %s and %s\n"
            "                  (and %s, checked against the hashes the others record when\n"
            "                  present); default $%s, else %s\n"
            "  --tokenizer FILE, --ar FILE, --idm FILE, --ldm FILE\n"
            "                  one file instead of the folder's; the tokenizer, IDM and LDM beside an --ar\n"
            "                  file are preferred (the IDM named like it: ar-X.gguf -> idm-X.gguf)\n"
            "  --rollouts K    imagined futures per move, 1..%d (default %d)\n"
            "  --symmetries S  the distribution averaged over the first S of the board's 8 symmetries\n"
            "                  (the frame rotated and mirrored, imagined, mapped back; S times the\n"
            "                  networks' time; default 1)\n"
            "  --sample        the K futures are sampled (--temperature) and weighted equally instead\n"
            "                  of the K likeliest LDM codes weighted by their probability (default)\n"
            "  --temperature T the transformer's sampling temperature with --sample (default 1)\n"
            "  --codes-from-frame  the IDM reads the LDM's codes of the imagined frame (needs the LDM)\n"
            "                  instead of the codes the transformer imagined\n"
            "  --threads N     CPU threads of the networks (default 1: small batches, and faster than\n"
            "                  2 when the other core is busy, measured with videogo bench genmove)\n"
            "  --resign-below P  resign when behind by more than P points (area score with the\n"
            "                  estimated dead stones removed) after move 30 (default: never)\n"
            "  --playouts N    playouts of the Monte Carlo tree search (UCT + RAVE) that chooses each\n"
            "                  move with the networks' distribution as its root prior (default %d,\n"
            "                  about 1 s a move); 0: no search, the networks' top move, as in the paper\n"
            "  --time-per-move S  without a clock, search S seconds a move instead of --playouts;\n"
            "                  with one (time_settings, kgs-time_settings, time_left) the search\n"
            "                  always runs on the clock's budget: main time shared over the moves\n"
            "                  left, byo-yomi per stone, a 0.25 s + 10%% margin (engine/clock.h)\n"
            "  --prior-c C     weight of that prior in the search (default 1)\n"
            "  --uniform-prior search with a uniform prior, without the networks (ablation)\n"
            "  --rave-k K      the search's RAVE equivalence parameter (default 1000)\n"
            "  --search-threads N  the search on N threads (independent trees whose root figures add\n"
            "                  up; default 1: the moves are then a function of --seed)\n"
            "  --no-escape     playouts do not extend groups put in atari (ablation)\n"
            "  --no-patterns   playouts do not play the 3x3 pattern moves (ablation)\n"
            "\n"
            "Examples:\n"
            "  videogo gtp                          # for Sabaki / GoGui: command `videogo`, arguments `gtp`\n"
            "  videogo gtp --weights-dir runs/ar1 --rollouts 4 --seed 1\n"
            "  gogui-twogtp -black 'videogo gtp --seed 1' -white 'gnugo --mode gtp --level 1' \\\n"
            "      -size 9 -komi 7 -games 10 -alternate -auto -sgffile run\n"
            "  videogo gtp --player random --regress tests/data/gtp/*.tst\n",
            POLICY_TOKENIZER_FILE, POLICY_AR_FILE, POLICY_IDM_FILE, POLICY_LDM_FILE, POLICY_WEIGHTS_ENV,
            policy_default_weights_dir(), POLICY_MAX_ROLLOUTS, POLICY_DEFAULT_ROLLOUTS, POLICY_GTP_PLAYOUTS);
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

/* optarg of option `name` as an integer in lo..hi into *out; false (with the reason on stderr)
 * when it is not one. */
static bool opt_long(const char *name, const char *arg, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || v < lo || v > hi) {
        fprintf(stderr, "videogo gtp: %s wants an integer in %ld..%ld, got '%s'\n", name, lo, hi, arg);
        return false;
    }
    *out = v;
    return true;
}

/* The same for a number in 0..hi. */
static bool opt_number(const char *name, const char *arg, double hi, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (*end || end == arg || !(v >= 0 && v <= hi)) {
        fprintf(stderr, "videogo gtp: %s wants a number in 0..%g, got '%s'\n", name, hi, arg);
        return false;
    }
    *out = v;
    return true;
}

int cmd_gtp(int argc, char **argv)
{
    enum { OPT_PLAYER = 256, OPT_SEED, OPT_SIZE, OPT_KOMI, OPT_NAME, OPT_REGRESS, OPT_WDIR, OPT_TOK, OPT_AR, OPT_IDM,
           OPT_LDM, OPT_ROLLOUTS, OPT_TEMP, OPT_RESIGN, OPT_THREADS, OPT_CODES, OPT_PLAYOUTS, OPT_PRIOR_C,
           OPT_UNIFORM, OPT_RAVE_K, OPT_NO_ESCAPE, OPT_NO_PATTERNS, OPT_SAMPLE, OPT_SGF_DIR, OPT_OUT_DIR, OPT_TIME,
           OPT_SEARCH_THREADS, OPT_SYMMETRIES };
    static const struct option longopts[] = {
        {"player", required_argument, NULL, OPT_PLAYER},
        {"seed", required_argument, NULL, OPT_SEED},
        {"size", required_argument, NULL, OPT_SIZE},
        {"komi", required_argument, NULL, OPT_KOMI},
        {"name", required_argument, NULL, OPT_NAME},
        {"regress", no_argument, NULL, OPT_REGRESS},
        {"weights-dir", required_argument, NULL, OPT_WDIR},
        {"tokenizer", required_argument, NULL, OPT_TOK},
        {"ar", required_argument, NULL, OPT_AR},
        {"idm", required_argument, NULL, OPT_IDM},
        {"ldm", required_argument, NULL, OPT_LDM},
        {"rollouts", required_argument, NULL, OPT_ROLLOUTS},
        {"temperature", required_argument, NULL, OPT_TEMP},
        {"resign-below", required_argument, NULL, OPT_RESIGN},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"codes-from-frame", no_argument, NULL, OPT_CODES},
        {"sample", no_argument, NULL, OPT_SAMPLE},
        {"sgf-dir", required_argument, NULL, OPT_SGF_DIR},
        {"output-dir", required_argument, NULL, OPT_OUT_DIR},
        {"playouts", required_argument, NULL, OPT_PLAYOUTS},
        {"time-per-move", required_argument, NULL, OPT_TIME},
        {"prior-c", required_argument, NULL, OPT_PRIOR_C},
        {"uniform-prior", no_argument, NULL, OPT_UNIFORM},
        {"rave-k", required_argument, NULL, OPT_RAVE_K},
        {"search-threads", required_argument, NULL, OPT_SEARCH_THREADS},
        {"symmetries", required_argument, NULL, OPT_SYMMETRIES},
        {"no-escape", no_argument, NULL, OPT_NO_ESCAPE},
        {"no-patterns", no_argument, NULL, OPT_NO_PATTERNS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    setlinebuf(stdout);
    setlinebuf(stderr);

    gtp_config_t cfg;
    gtp_config_default(&cfg);
    const char *player_name = DEFAULT_PLAYER;
    player_opts_t popts = {.seed = splitmix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32)),
                           .rollouts = POLICY_DEFAULT_ROLLOUTS,
                           .temperature = 1.0f,
                           .playouts = POLICY_GTP_PLAYOUTS,
                           .prior_c = 1.0f,
                           .rave_k = 1000.0f};
    bool seeded = false, regress = false, player_named = false, weights_named = false;
    int threads = 1;
    int opt;
    char *end;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_PLAYER:
            player_name = optarg;
            player_named = true;
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
            long v;
            if (!opt_long("--size", optarg, BOARD_MIN, BOARD_MAX, &v)) return 2;
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
        case OPT_WDIR:
        case OPT_TOK:
        case OPT_AR:
        case OPT_IDM:
        case OPT_LDM:
            *(opt == OPT_WDIR  ? &popts.weights_dir
              : opt == OPT_TOK ? &popts.tokenizer
              : opt == OPT_AR  ? &popts.ar
              : opt == OPT_IDM ? &popts.idm
                               : &popts.ldm) = optarg;
            weights_named = true;
            break;
        case OPT_ROLLOUTS: {
            long v;
            if (!opt_long("--rollouts", optarg, 1, POLICY_MAX_ROLLOUTS, &v)) return 2;
            popts.rollouts = (int)v;
            weights_named = true;
            break;
        }
        case OPT_PLAYOUTS: {
            long v;
            if (!opt_long("--playouts", optarg, 0, 10000000, &v)) return 2;
            popts.playouts = (int)v;
            break;
        }
        case OPT_TIME: {
            double v;
            if (!opt_number("--time-per-move", optarg, 3600, &v)) return 2;
            cfg.time_per_move = v;
            break;
        }
        case OPT_PRIOR_C:
        case OPT_RAVE_K: {
            double v;
            if (!opt_number(opt == OPT_PRIOR_C ? "--prior-c" : "--rave-k", optarg, 1e6, &v)) return 2;
            *(opt == OPT_PRIOR_C ? &popts.prior_c : &popts.rave_k) = (float)v;
            break;
        }
        case OPT_SYMMETRIES: {
            long v;
            if (!opt_long("--symmetries", optarg, 1, 8, &v)) return 2;
            popts.symmetries = (int)v;
            break;
        }
        case OPT_SEARCH_THREADS: {
            long v;
            if (!opt_long("--search-threads", optarg, 1, SEARCH_MAX_THREADS, &v)) return 2;
            popts.search_threads = (int)v;
            break;
        }
        case OPT_NO_ESCAPE:
            popts.no_escape = true;
            break;
        case OPT_NO_PATTERNS:
            popts.no_patterns = true;
            break;
        case OPT_UNIFORM:
            popts.uniform_prior = true;
            break;
        case OPT_CODES:
            popts.codes_from_frame = true;
            weights_named = true;
            break;
        case OPT_SAMPLE:
            popts.sample = true;
            break;
        case OPT_SGF_DIR:
        case OPT_OUT_DIR: {
            struct stat sb;
            if (stat(optarg, &sb) || !S_ISDIR(sb.st_mode)) {
                fprintf(stderr, "videogo gtp: %s %s: not a folder\n", opt == OPT_SGF_DIR ? "--sgf-dir" : "--output-dir",
                        optarg);
                return 2;
            }
            *(opt == OPT_SGF_DIR ? &cfg.read_dir : &cfg.output_dir) = optarg;
            break;
        }
        case OPT_THREADS: {
            long v;
            if (!opt_long("--threads", optarg, 1, 256, &v)) return 2;
            threads = (int)v;
            break;
        }
        case OPT_TEMP:
        case OPT_RESIGN: {
            double v;
            if (!opt_number(opt == OPT_TEMP ? "--temperature" : "--resign-below", optarg, 1000, &v)) return 2;
            if (opt == OPT_TEMP) popts.temperature = (float)v;
            else popts.resign_below = (float)v;
            weights_named |= opt == OPT_TEMP;
            break;
        }
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
    char err[1024] = "";
    backend_cpu()->set_threads(threads);
    if (pe->create == create_learned && !player_named && !weights_named) {
        /* The default player: fall back to random when the shipped weights are missing. */
        policy_config_t pc;
        learned_config(&popts, &pc);
        if (!policy_files_exist(&pc, err, sizeof err)) {
            fprintf(stderr, "videogo gtp: no weights (%s); using --player random. Train them (weights/README.md) "
                            "or pass --weights-dir DIR.\n", err);
            pe = player_find("random");
        }
    }
    if (!regress) {
        player_t *p = pe->create(&popts, err, sizeof err);
        if (!p) {
            fprintf(stderr, "videogo gtp: %s\n", err);
            return 1;
        }
        if (policy_player_policy(p)) {
            fprintf(stderr, "videogo gtp: learned player: %s\n", policy_describe(policy_player_policy(p)));
            if (popts.playouts > 0 && cfg.time_per_move > 0)
                fprintf(stderr, "videogo gtp: moves by the tree search, %g s a move or the GTP clock's budget, %s "
                                "prior (--playouts 0: the networks alone)\n", cfg.time_per_move,
                        popts.uniform_prior ? "uniform" : "the networks'");
            else if (popts.playouts > 0)
                fprintf(stderr, "videogo gtp: moves by the tree search, %d playouts or the GTP clock's budget, %s "
                                "prior (--playouts 0: the networks alone)\n", popts.playouts,
                        popts.uniform_prior ? "uniform" : "the networks'");
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
