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
    char path[4096], tok_sha[65], ldm_sha[65];
    char *argv[] = {(char *)"tiny_policy_write", NULL};
    const backend_t *be = backend_cpu();
    mkdir(dir, 0755);

    tokenizer_config_t tc;
    if (tokenizer_preset("tiny", &tc)) die("no tiny tokenizer preset");
    tokenizer_t *tok = tokenizer_new(&tc, be, 1, seed);
    snprintf(path, sizeof path, "%s/%s", dir, POLICY_TOKENIZER_FILE);
    tokenizer_save(tok, path, 1, argv);
    tokenizer_free(tok);
    key_sha(path, tok_sha);

    snprintf(ldm_sha, sizeof ldm_sha, "%s", ldm_sha256 ? ldm_sha256 : FAKE_LDM_SHA);
    snprintf(path, sizeof path, "%s/%s", dir, POLICY_LDM_FILE);
    if (!ldm_sha256 && horizon > 0 && access(path, R_OK) == 0) key_sha(path, ldm_sha); /* the folder's LDM */
    int idm_h = horizon;
    if (horizon == 0) {
        ldm_config_t lc;
        if (ldm_preset("tiny", &lc)) die("no tiny LDM preset");
        ldm_t *l = ldm_new(&lc, be, 1, seed + 3);
        snprintf(path, sizeof path, "%s/%s", dir, POLICY_LDM_FILE);
        ldm_save(l, path, 1, argv);
        ldm_free(l);
        key_sha(path, ldm_sha);
        idm_h = lc.horizon;
    }

    ar_config_t ac;
    if (ar_preset("tiny", &ac)) die("no tiny transformer preset");
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
    if (idm_preset("tiny", &ic)) die("no tiny IDM preset");
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
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: make_tiny_policy DIR [H (default 5)] [SEED (default 1)]\n");
        return 2;
    }
    tiny_policy_write(argv[1], argc > 2 ? atoi(argv[2]) : 5, argc > 3 ? strtoull(argv[3], NULL, 10) : 1, NULL);
    return 0;
}
#endif
