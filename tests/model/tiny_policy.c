/* tiny_policy.c: tiny random networks for the learned player's tests (tiny_policy.h), and,
 * built as make_tiny_policy with -DTINY_POLICY_MAIN, a program that writes them into a folder
 * (tests/sabaki and manual checks: `make_tiny_policy DIR [H] [SEED]`). */
#include "tests/model/tiny_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/util.h"
#include "model/idm.h"
#include "model/ldm.h"
#include "model/policy.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "model/transformer.h"

/* The videogo.sha256 key of a weights file (what the trainers record). */
static void key_sha(const char *path, char hex[65])
{
    weights_t w;
    char err[512];
    const char *s = NULL;
    if (weights_open(&w, path, err, sizeof err)) die("%s", err);
    if (weights_get_str(&w, "videogo.sha256", &s) || !s) die("%s has no videogo.sha256", path);
    snprintf(hex, 65, "%s", s);
    weights_close(&w);
}

#define FAKE_LDM_SHA "1dadc0de1dadc0de1dadc0de1dadc0de1dadc0de1dadc0de1dadc0de1dadc0de"

void tiny_policy_write(const char *dir, int horizon, uint64_t seed, const char *ldm_sha256)
{
    tiny_policy_write_preset(dir, horizon, seed, ldm_sha256, "tiny", NULL);
}

/* Copies a file (the cpu preset's real tokenizer). */
static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    if (!a || !b) die("cannot copy %s to %s", from, to);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n) die("cannot write %s", to);
    fclose(a);
    if (fclose(b)) die("cannot write %s", to);
}

void tiny_policy_write_preset(const char *dir, int horizon, uint64_t seed, const char *ldm_sha256, const char *preset,
                              const char *tokenizer_file)
{
    char path[4096], tok_sha[65], ldm_sha[65];
    char *argv[] = {(char *)"tiny_policy_write", NULL};
    const backend_t *be = backend_cpu();
    mkdir(dir, 0755);

    tokenizer_config_t tc;
    snprintf(path, sizeof path, "%s/%s", dir, POLICY_TOKENIZER_FILE);
    if (tokenizer_file) {
        copy_file(tokenizer_file, path);
        tokenizer_t *tok = tokenizer_build_from_file(path, be, 1);
        tc = tok->cfg;
        tokenizer_free(tok);
    } else {
        if (tokenizer_preset(preset, &tc)) die("no %s tokenizer preset", preset);
        tokenizer_t *tok = tokenizer_new(&tc, be, 1, seed);
        tokenizer_save(tok, path, 1, argv);
        tokenizer_free(tok);
    }
    key_sha(path, tok_sha);

    snprintf(ldm_sha, sizeof ldm_sha, "%s", ldm_sha256 ? ldm_sha256 : FAKE_LDM_SHA);
    snprintf(path, sizeof path, "%s/%s", dir, POLICY_LDM_FILE);
    if (!ldm_sha256 && horizon > 0 && access(path, R_OK) == 0) key_sha(path, ldm_sha); /* the folder's LDM */
    int idm_h = horizon;
    if (horizon == 0) {
        ldm_config_t lc;
        if (ldm_preset(preset, &lc)) die("no %s LDM preset", preset);
        lc.px = tc.px;
        ldm_t *l = ldm_new(&lc, be, 1, seed + 3);
        snprintf(path, sizeof path, "%s/%s", dir, POLICY_LDM_FILE);
        ldm_save(l, path, 1, argv);
        ldm_free(l);
        key_sha(path, ldm_sha);
        idm_h = lc.horizon;
    }

    ar_config_t ac;
    if (ar_preset(preset, &ac)) die("no %s transformer preset", preset);
    ac.n_img_levels = tc.n_levels;
    for (int i = 0; i < tc.n_levels; i++) ac.img_levels[i] = tc.levels[i];
    ac.img_tokens = tokenizer_tokens(&tc);
    ac.horizon = horizon;
    ar_t *ar = ar_new(&ac, be, 1, seed + 1);
    memcpy(ar->tokenizer_sha256, tok_sha, 65);
    memcpy(ar->ldm_sha256, horizon ? ldm_sha : "", horizon ? 65 : 1);
    snprintf(path, sizeof path, "%s/%s", dir, POLICY_AR_FILE);
    ar_save(ar, path, 1, argv);
    ar_free(ar);

    idm_config_t ic;
    if (idm_preset(preset, &ic)) die("no %s IDM preset", preset);
    ic.board_size = tc.board_size;
    ic.px = tc.px;
    ic.horizon = idm_h;
    memcpy(ic.tokenizer_sha256, tok_sha, 65);
    memcpy(ic.ldm_sha256, ldm_sha, 65);
    idm_t *idm = idm_new(&ic, be, 1, seed + 2);
    snprintf(path, sizeof path, "%s/%s", dir, POLICY_IDM_FILE);
    idm_save(idm, path, 1, argv);
    idm_free(idm);
}

#ifdef TINY_POLICY_MAIN
int main(int argc, char **argv)
{
    if (argc < 2 || argc > 6) {
        fprintf(stderr, "usage: make_tiny_policy DIR [H (default 5)] [SEED (default 1)] [PRESET (tiny)] [TOKENIZER]\n"
                        "  random networks of PRESET (cpu: the shipped sizes, for timings) in DIR; with\n"
                        "  TOKENIZER, that tokenizer file is copied instead of a random one\n");
        return 2;
    }
    tiny_policy_write_preset(argv[1], argc > 2 ? atoi(argv[2]) : 5, argc > 3 ? strtoull(argv[3], NULL, 10) : 1, NULL,
                             argc > 4 ? argv[4] : "tiny", argc > 5 ? argv[5] : NULL);
    return 0;
}
#endif
