/* test_gnugo_dead.c: deadstones_estimate against GNU Go's `final_status_list dead`
 * (--chinese-rules) on real end positions: the first 100 games of
 * $VIDEOGO_DATA/ogs9/ogs9-001.sgf that end with two passes (people leave many dead
 * stones on the board) and 100 such katago9 games. Each position goes to GNU Go as
 * setup stones in an SGF file. Requires identical dead sets in at least 90% of the
 * positions and few stones that we call dead and GNU Go does not; prints the counts.
 * Exits 77 (skipped) when no gnugo binary is found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/deadstones.h"
#include "engine/sgf.h"

#define N_POSITIONS 100

static const char *find_gnugo(void)
{
    static const char *cands[] = {"/usr/games/gnugo", "/usr/bin/gnugo", "/usr/local/bin/gnugo"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (access(cands[i], X_OK) == 0) return cands[i];
    return NULL;
}

/* Returns 0 when the file's positions agree well enough with GNU Go. */
static int compare_file(const char *gnugo, const char *rel, const char *dir)
{
    char path[4096], script[4200];
    const char *data = getenv("VIDEOGO_DATA");
    snprintf(path, sizeof path, "%s/%s", data ? data : "../shared/data", rel);
    sgf_collection_t c;
    sgf_error_t err;
    if (sgf_read_file(path, &c, &err) < 0) {
        printf("%s: %s\n", path, err.message);
        return 1;
    }
    snprintf(script, sizeof script, "%s/script.gtp", dir);
    FILE *f = fopen(script, "w");
    if (!f) return 1;
    static uint8_t ours[N_POSITIONS][BOARD_POINTS];
    int n = 0;
    game_t g;
    memset(&g, 0, sizeof g);
    for (int i = 0; i < c.n_games && n < N_POSITIONS; i++) {
        int bad;
        if (sgf_replay_ko(&c.games[i], -1, &g, &bad, false) != 0 || !game_over(&g) || g.board.size != 9) continue;
        uint8_t st[BOARD_POINTS];
        deadstones_estimate(&g.board, g.to_move, 1, st);
        for (int p = 0; p < 81; p++) ours[n][p] = st[p] == STATUS_DEAD;
        sgf_game_t s;
        sgf_setup_t setup[BOARD_POINTS];
        memset(&s, 0, sizeof s);
        s.size = 9;
        s.komi = g.komi;
        s.has_komi = true;
        for (int p = 0; p < 81; p++)
            if (g.board.stones[p]) setup[s.n_setup++] = (sgf_setup_t){p, (stone_t)g.board.stones[p]};
        s.setup = setup;
        char pos[4300];
        snprintf(pos, sizeof pos, "%s/%03d.sgf", dir, n);
        if (sgf_write_file(pos, &s) < 0) return 1;
        fprintf(f, "loadsgf %s\nfinal_status_list dead\n", pos);
        n++;
    }
    game_free(&g);
    sgf_collection_free(&c);
    fprintf(f, "quit\n");
    fclose(f);

    char cmd[8500];
    snprintf(cmd, sizeof cmd, "%s --mode gtp --chinese-rules < %s", gnugo, script);
    FILE *pipe = popen(cmd, "r");
    if (!pipe) return 1;
    int identical = 0, only_ours = 0, only_gnugo = 0, gnugo_dead = 0;
    char line[4096];
    for (int i = 0; i < n; i++) {
        /* loadsgf answer, then the dead list (one group per line), each ending with an empty line */
        while (fgets(line, sizeof line, pipe) && line[0] != '\n') {}
        uint8_t theirs[BOARD_POINTS] = {0};
        bool first = true;
        while (fgets(line, sizeof line, pipe) && line[0] != '\n') {
            char *save = NULL;
            for (char *t = strtok_r(line, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
                int p;
                if (first && !strcmp(t, "=")) continue;
                if (t[0] == '=') t++;
                if (*t && vertex_parse(t, 9, &p) == 0 && p >= 0) theirs[p] = 1;
            }
            first = false;
        }
        int diff = 0;
        for (int p = 0; p < 81; p++) {
            gnugo_dead += theirs[p];
            if (ours[i][p] && !theirs[p]) only_ours++, diff++;
            if (!ours[i][p] && theirs[p]) only_gnugo++, diff++;
        }
        identical += diff == 0;
    }
    pclose(pipe);
    printf("%s: %d end positions, identical dead sets %d; GNU Go dead stones %d, only GNU Go %d, only ours %d\n", rel, n,
           identical, gnugo_dead, only_gnugo, only_ours);
    return n == N_POSITIONS && identical * 10 >= n * 9 && only_ours * 20 <= gnugo_dead + 20 ? 0 : 1;
}

int main(void)
{
    const char *gnugo = find_gnugo();
    if (!gnugo) {
        printf("gnugo not found: skipped\n");
        return 77;
    }
    char dir[] = "/tmp/videogo-dead-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    int rc = compare_file(gnugo, "ogs9/ogs9-001.sgf", dir);
    rc |= compare_file(gnugo, "katago9/train-005.sgf", dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return rc;
}
