/* replay.c: main() for the fuzz harnesses outside libFuzzer. Runs LLVMFuzzerTestOneInput once
 * on every file named on the command line (a folder: each regular file in it, in name order),
 * so the seed corpora and the crash inputs kept under tests/data/fuzz replay in the normal
 * suite, under gcc and in the ASan/UBSan build. A crash or a failed FUZZ_CHECK aborts, which
 * fails the test; the file being replayed is named on stderr first.
 *
 * Each input is copied to a buffer of exactly its size, as libFuzzer does, so ASan sees any read
 * past the end.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0, k;
    uint8_t *buf = malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        return -1;
    }
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) return -1;
    memcpy(exact, buf, n);
    free(buf);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Returns the number of files replayed, or -1. */
static int replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(path) == 0 ? 1 : -1;
    DIR *d = opendir(path);
    if (!d) return -1;
    char **names = NULL;
    int n = 0, cap = 0, done = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) names = realloc(names, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *full = malloc(len);
        snprintf(full, len, "%s/%s", path, names[i]);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(full) != 0) done = -1;
            else if (done >= 0) done++;
        }
        free(full);
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|FOLDER... [--kept FOLDER]  (replays each input through the fuzz harness;\n"
                        "       a folder after --kept may be absent: no crash input kept yet)\n", argv[0]);
        return 2;
    }
    int total = 0;
    for (int i = 1; i < argc; i++) {
        const char *path = argv[i];
        struct stat st;
        if (!strcmp(path, "--kept") && i + 1 < argc) {
            path = argv[++i];
            if (stat(path, &st) != 0) {
                fprintf(stderr, "replay: %s: absent (no crash input kept yet)\n", path);
                continue;
            }
        }
        int n = replay_path(path);
        if (n < 0) return 1;
        total += n;
    }
    printf("replayed %d inputs, no crash\n", total);
    return total > 0 ? 0 : 1;
}
