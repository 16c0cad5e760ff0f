/* fuzz_gtp.c: the GTP front-end (gtp/gtp.h) on arbitrary input: line reading, preprocessing,
 * ids, tokenizing, the command table and every handler's argument parsing, with the random
 * player (no weights needed). The input is a whole session read by gtp_main_loop from a memory
 * stream (the stdio path; analysis commands print one line and stop).
 *
 * Properties: no crash, leak or sanitizer report (the engine never exits on GTP input), and
 * the output is framed as GTP.md 1.1 says: responses that each start with '=' or '?' and end
 * with one empty line, no empty line inside a response.
 *
 * loadsgf is confined to a folder that does not exist, so no input reads the disk; commands
 * that write files are refused (no output folder).
 */
#include <string.h>

#include "engine/player.h"
#include "gtp/gtp.h"
#include "tests/fuzz/fuzz.h"

static void check_framing(const char *out, size_t n)
{
    size_t i = 0;
    while (i < n) {
        FUZZ_CHECK(out[i] == '=' || out[i] == '?');
        const char *end = memmem(out + i, n - i, "\n\n", 2);
        FUZZ_CHECK(end != NULL);
        i = (size_t)(end - out) + 2;
        FUZZ_CHECK(i == n || out[i] != '\n'); /* exactly one empty line */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    gtp_config_t cfg;
    gtp_config_default(&cfg);
    cfg.read_dir = "/nonexistent/videogo-fuzz";
    gtp_t *ctx = gtp_new(&cfg, player_random_new(1));
    FUZZ_CHECK(ctx != NULL);
    char *out = NULL;
    size_t outlen = 0;
    FILE *in = fmemopen((void *)data, size, "r");
    FILE *o = open_memstream(&out, &outlen);
    FUZZ_CHECK(in && o);
    int rc = gtp_main_loop(ctx, in, o);
    fclose(in);
    fclose(o);
    FUZZ_CHECK(rc == 0 || size > 2 * (size_t)GTP_MAX_LINE); /* -1 only for input that is not GTP */
    check_framing(out, outlen);
    free(out);
    gtp_free(ctx);
    return 0;
}
