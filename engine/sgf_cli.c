/* sgf_cli.c: `videogo sgf check FILE...`: parse every game of every file, replay every
 * main-line move legally, print per-file counts and every error with its byte offset
 * (parse errors) or game and move number (illegal moves). Exit status 1 on any error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/sgf.h"

static void sgf_usage(FILE *f)
{
    fprintf(f,
            "usage: videogo sgf check [--simple-ko] [--quiet] FILE...\n"
            "\n"
            "Parses every game in each SGF file (collections allowed), replays the main line\n"
            "from the setup stones and reports, per file: games, moves, illegal moves, and every\n"
            "error with its byte offset or game/move number. Exits 1 if any file has an error.\n"
            "\n"
            "  --simple-ko   replay with the simple ko rule instead of positional superko\n"
            "                (many records were made under simple ko; superko is videogo's rule)\n"
            "  --quiet       print only the per-file summary lines and the total\n");
}

static const char *result_text(move_result_t r)
{
    switch (r) {
    case MOVE_OK: return "ok";
    case MOVE_OFF_BOARD: return "off board";
    case MOVE_OCCUPIED: return "occupied point";
    case MOVE_SUICIDE: return "suicide";
    case MOVE_SUPERKO: return "repeats an earlier position (ko/superko)";
    case MOVE_BAD_COLOR: return "bad colour";
    }
    return "?";
}

static int check_file(const char *path, bool superko, bool quiet, long *t_games, long *t_moves, long *t_illegal)
{
    sgf_collection_t c;
    sgf_error_t err;
    if (sgf_read_file(path, &c, &err) < 0) {
        printf("%s: error at byte %zu: %s\n", path, err.offset, err.message);
        return 1;
    }
    long moves = 0, illegal = 0;
    game_t g;
    memset(&g, 0, sizeof g);
    for (int i = 0; i < c.n_games; i++) {
        const sgf_game_t *s = &c.games[i];
        int bad = -1;
        moves += s->n_moves;
        int rc = sgf_replay_ko(s, -1, &g, &bad, superko);
        if (rc == -2) {
            illegal++;
            printf("%s: game %d: board size %d is not supported\n", path, i + 1, s->size);
        } else if (rc < 0) {
            illegal++;
            const sgf_move_t *m = &s->moves[bad];
            move_result_t why = superko ? game_check(&g, m->color, m->point) : MOVE_SUPERKO;
            if (!superko) {
                move_result_t b = board_check(&g.board, m->color, m->point);
                if (b != MOVE_OK) why = b;
            }
            char v[8];
            if (!quiet)
                printf("%s: game %d: move %d (%s %s) is illegal: %s\n", path, i + 1, bad + 1, color_letter(m->color),
                       vertex_format(m->point, s->size, v), result_text(why));
        }
    }
    game_free(&g);
    printf("%s: %d games, %ld moves, %ld illegal\n", path, c.n_games, moves, illegal);
    *t_games += c.n_games;
    *t_moves += moves;
    *t_illegal += illegal;
    sgf_collection_free(&c);
    return illegal ? 1 : 0;
}

int cmd_sgf(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        sgf_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check")) {
        fprintf(stderr, "videogo sgf: unknown subcommand '%s'\n", argv[1]);
        sgf_usage(stderr);
        return 2;
    }
    bool superko = true, quiet = false;
    int first = 2, n_files = 0, failed = 0;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--simple-ko")) superko = false;
        else if (!strcmp(argv[first], "--quiet")) quiet = true;
        else if (!strcmp(argv[first], "--help") || !strcmp(argv[first], "-h")) {
            sgf_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "videogo sgf check: unknown option '%s'\n", argv[first]);
            return 2;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "videogo sgf check: no files given\n");
        sgf_usage(stderr);
        return 2;
    }
    long games = 0, moves = 0, illegal = 0;
    for (int i = first; i < argc; i++, n_files++) {
        if (argc - first > 1) fprintf(stderr, "sgf check: %d/%d %s\n", i - first + 1, argc - first, argv[i]);
        failed += check_file(argv[i], superko, quiet, &games, &moves, &illegal);
    }
    printf("total: %d files, %ld games, %ld moves, %ld illegal, %d files with errors\n", n_files, games, moves, illegal,
           failed);
    return failed ? 1 : 0;
}
