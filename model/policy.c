/* policy.c: the learned move chooser (policy.h); the learned player built on it is
 * player/learned.c.
 *
 *   board --render--> x_t (px x px RGB) --tokenizer_encode--> T codes
 *         --ar_imagine (K rollouts, one batch)--> z^[K][H], codes of x^_{t+1}[K][T]
 *         --tokenizer_decode--> x^_{t+1}[K] --idm_logits(x_t, x^_{t+1}, z^)--> [K][82]
 *         --softmax, mean over K--> the distribution
 *
 * The rules a Go program needs and a video model does not know (legality, own eyes, when to
 * pass, capturing dead stones before the end) are the player's: player/learned.h. */
#include "model/policy.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/sha256.h"
#include "model/idm.h"
#include "model/ldm.h"
#include "model/tokenizer.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "render/render.h"
#include "render/sym.h"

#ifndef VIDEOGO_WEIGHTS_DIR
#define VIDEOGO_WEIGHTS_DIR "weights"
#endif

struct policy {
    policy_config_t cfg;
    tokenizer_t *tok;
    ar_t *ar;
    idm_t *idm;
    render_ctx_t *render;
    ldm_t *ldm_net;          /* video-only transformer: the LDM encodes the imagined windows */
    int size, px, T, K;      /* board, frame side, tokens per frame, max rollouts */
    int H, Hi;               /* LDM codes the transformer imagines (0: video only), the IDM reads */
    size_t fb;               /* bytes of one frame */
    uint8_t *rgb_t;          /* [K][fb] x_t repeated (the IDM takes one per example) */
    uint8_t *rgb_next;       /* [K][fb] */
    int *codes_t;            /* [T] */
    int *codes_next;         /* [K][T] */
    int *ldm;                /* [K][Hi] */
    uint8_t *window;         /* [K][Hi+1][fb] LDM windows (video-only transformer) */
    float *logits;           /* [K][82] */
    float *weight;           /* [K] each future's weight in the distribution */
    bool top;                /* cfg.top_codes: the K futures are the K likeliest z^1 (H >= 1) or,
                                video only, the K likeliest first changes of x_{t+1} */
    char describe[4 * POLICY_PATH_MAX + 256];
    policy_timing_t timing;
};

/* ---------------------------------------------------------------- config */

const char *policy_default_weights_dir(void)
{
    const char *e = getenv(POLICY_WEIGHTS_ENV);
    return e && *e ? e : VIDEOGO_WEIGHTS_DIR;
}

void policy_config_set_dir(policy_config_t *cfg, const char *dir)
{
    snprintf(cfg->tokenizer_path, sizeof cfg->tokenizer_path, "%s/%s", dir, POLICY_TOKENIZER_FILE);
    snprintf(cfg->ar_path, sizeof cfg->ar_path, "%s/%s", dir, POLICY_AR_FILE);
    snprintf(cfg->idm_path, sizeof cfg->idm_path, "%s/%s", dir, POLICY_IDM_FILE);
    snprintf(cfg->ldm_path, sizeof cfg->ldm_path, "%s/%s", dir, POLICY_LDM_FILE);
}

void policy_config_default(policy_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    policy_config_set_dir(cfg, policy_default_weights_dir());
    cfg->max_rollouts = POLICY_DEFAULT_ROLLOUTS;
    cfg->temperature = 1.0f;
    cfg->top_k = 0;
    cfg->top_p = 1.0f;
    cfg->top_codes = true;
    cfg->symmetries = 1;
    cfg->be = NULL;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void policy_idm_for_ar(const char *ar_path, char *out, size_t outlen)
{
    const char *slash = strrchr(ar_path, '/');
    const char *base = slash ? slash + 1 : ar_path;
    int dirlen = (int)(base - ar_path);
    if (!strncmp(base, "ar-", 3)) {
        snprintf(out, outlen, "%.*sidm-%s", dirlen, ar_path, base + 3);
        if (file_exists(out)) return;
    }
    snprintf(out, outlen, "%.*s%s", dirlen, ar_path, POLICY_IDM_FILE);
}

/* Copies a path into a POLICY_PATH_MAX buffer (cut if longer: such a path then does not exist). */
static void set_path(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= POLICY_PATH_MAX) n = POLICY_PATH_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void policy_config_for(policy_config_t *cfg, const char *ar_or_dir, const char *fallback_dir)
{
    struct stat st;
    if (!fallback_dir) fallback_dir = policy_default_weights_dir();
    if (stat(ar_or_dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        policy_config_set_dir(cfg, ar_or_dir);
        return;
    }
    const char *slash = strrchr(ar_or_dir, '/');
    int dirlen = slash ? (int)(slash - ar_or_dir) : 1;
    const char *dir = slash ? ar_or_dir : ".";
    policy_config_set_dir(cfg, fallback_dir);
    set_path(cfg->ar_path, ar_or_dir);
    char beside[POLICY_PATH_MAX + 64];
    snprintf(beside, sizeof beside, "%.*s/%s", dirlen, dir, POLICY_TOKENIZER_FILE);
    if (file_exists(beside)) set_path(cfg->tokenizer_path, beside);
    snprintf(beside, sizeof beside, "%.*s/%s", dirlen, dir, POLICY_LDM_FILE);
    if (file_exists(beside)) set_path(cfg->ldm_path, beside);
    policy_idm_for_ar(ar_or_dir, beside, sizeof beside);
    if (file_exists(beside)) set_path(cfg->idm_path, beside);
}

bool policy_files_exist(const policy_config_t *cfg, char *msg, size_t msglen)
{
    const char *paths[3] = {cfg->tokenizer_path, cfg->ar_path, cfg->idm_path};
    size_t n = 0;
    bool ok = true;
    if (msglen) msg[0] = '\0';
    for (int i = 0; i < 3; i++)
        if (!file_exists(paths[i])) {
            if (n < msglen)
                n += (size_t)snprintf(msg + n, msglen - n, "%s%s", ok ? "missing " : ", ",
                                      *paths[i] ? paths[i] : "(none)");
            ok = false;
        }
    return ok;
}

/* ---------------------------------------------------------------- hashes */

/* The hashes a file can be known by: its videogo.sha256 key and the SHA-256 of the whole
 * file (computed only when asked for). */
typedef struct {
    const char *path;
    char key[SHA256_HEX_CHARS + 1];
    char whole[SHA256_HEX_CHARS + 1];
    bool whole_done;
} file_hash_t;

static void file_hash_init(file_hash_t *h, const char *path, const weights_t *w)
{
    memset(h, 0, sizeof *h);
    h->path = path;
    const char *k = NULL;
    if (w && weights_get_str(w, "videogo.sha256", &k) == 0 && k) snprintf(h->key, sizeof h->key, "%s", k);
}

static bool file_hash_matches(file_hash_t *h, const char *recorded)
{
    if (h->key[0] && !strcasecmp(h->key, recorded)) return true;
    if (!h->whole_done) {
        h->whole_done = true;
        if (sha256_file_hex(h->path, h->whole)) h->whole[0] = '\0';
    }
    return h->whole[0] && !strcasecmp(h->whole, recorded);
}

/* A recorded hash key, or NULL when absent or empty. */
static const char *recorded_hash(const weights_t *w, const char *key)
{
    const char *s = NULL;
    if (weights_get_str(w, key, &s) || !s || !*s) return NULL;
    return s;
}

/* Opens a weights file for its keys (structure checked; the checksum pass is left to the
 * network's own loader). */
static int open_keys(weights_t *w, const char *what, const char *path, char *err, size_t errlen)
{
    char e[512];
    if (!file_exists(path)) {
        snprintf(err, errlen, "%s weights %s not found", what, *path ? path : "(no path)");
        return -1;
    }
    if (weights_open_flags(w, path, WEIGHTS_OPEN_NO_CHECKSUM, e, sizeof e)) {
        snprintf(err, errlen, "%s weights %s: %s", what, path, e);
        return -1;
    }
    return 0;
}

static int check_arch(const weights_t *w, const char *what, const char *path, const char *const *archs,
                      char *err, size_t errlen)
{
    const char *a = w->arch ? w->arch : "(none)";
    for (int i = 0; archs[i]; i++)
        if (!strcmp(a, archs[i])) return 0;
    snprintf(err, errlen, "%s is a '%s' weights file, not a %s (general.architecture)", path, a, what);
    return -1;
}

/* The keys under which the transformer and the IDM record the tokenizer and the LDM they were
 * trained with (older transformer files say "transformer." instead of "ar."). */
static const char *const ar_tok_keys[] = {"ar.tokenizer_sha256", "transformer.tokenizer_sha256", NULL};
static const char *const ar_ldm_keys[] = {"ar.ldm_sha256", "transformer.ldm_sha256", NULL};
static const char *const idm_tok_keys[] = {"idm.tokenizer_sha256", NULL};
static const char *const idm_ldm_keys[] = {"idm.ldm_sha256", NULL};

/* The first of keys[] that w records, or NULL. */
static const char *recorded_first(const weights_t *w, const char *const *keys)
{
    const char *s = NULL;
    for (int i = 0; keys[i] && !s; i++) s = recorded_hash(w, keys[i]);
    return s;
}

/* When the tokenizer at cfg->tokenizer_path is not the one the transformer records
 * (ar.tokenizer_sha256), the one that is may sit beside it under another name
 * (tokenizer-*.gguf: a folder keeps an older tokenizer for the nets trained on its codes
 * while a newer one ships as tokenizer-9x9.gguf). Switches cfg->tokenizer_path (and *wt)
 * to it; leaves everything as it is when there is none (check_hashes then says what is wrong). */
static void find_recorded_tokenizer(policy_config_t *cfg, weights_t *wt, const weights_t *wa)
{
    const char *rec = recorded_first(wa, ar_tok_keys);
    if (!rec) return;
    file_hash_t th;
    file_hash_init(&th, cfg->tokenizer_path, wt);
    if (file_hash_matches(&th, rec)) return;
    char dir[POLICY_PATH_MAX];
    set_path(dir, cfg->tokenizer_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "tokenizer-", 10) || n < 15 || strcmp(e->d_name + n - 5, ".gguf")) continue;
        char path[2 * POLICY_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (strlen(path) >= POLICY_PATH_MAX || !strcmp(path, cfg->tokenizer_path)) continue;
        weights_t w;
        char er[512];
        memset(&w, 0, sizeof w);
        if (weights_open_flags(&w, path, WEIGHTS_OPEN_NO_CHECKSUM, er, sizeof er)) continue;
        file_hash_t h;
        file_hash_init(&h, path, &w);
        if (file_hash_matches(&h, rec)) {
            weights_close(wt);
            *wt = w;
            set_path(cfg->tokenizer_path, path);
            break;
        }
        weights_close(&w);
    }
    closedir(d);
}

/* The tokenizer/LDM hashes the transformer and the IDM record must name the files in use
 * and each other. */
static int check_hashes(const policy_config_t *cfg, const weights_t *wt, const weights_t *wa,
                        const weights_t *wi, char *err, size_t errlen)
{
    file_hash_t th, lh;
    file_hash_init(&th, cfg->tokenizer_path, wt);
    const char *ar_tok = recorded_first(wa, ar_tok_keys), *ar_ldm = recorded_first(wa, ar_ldm_keys);
    const char *idm_tok = recorded_first(wi, idm_tok_keys), *idm_ldm = recorded_first(wi, idm_ldm_keys);

    const char *rec_tok[2] = {ar_tok, idm_tok}, *net_path[2] = {cfg->ar_path, cfg->idm_path};
    static const char *const net_name[2] = {"transformer", "IDM"};
    for (int i = 0; i < 2; i++)
        if (rec_tok[i] && !file_hash_matches(&th, rec_tok[i])) {
            snprintf(err, errlen,
                     "tokenizer mismatch: %s was trained with the tokenizer of SHA-256 %.16s..., but %s is %.16s... "
                     "(pass the tokenizer it was trained with, or retrain the %s)",
                     net_path[i], rec_tok[i], cfg->tokenizer_path, th.key[0] ? th.key : th.whole, net_name[i]);
            return -1;
        }
    if (ar_ldm && idm_ldm && strcasecmp(ar_ldm, idm_ldm)) {
        snprintf(err, errlen,
                 "LDM mismatch: %s was trained on the codes of the LDM %.16s..., %s on those of %.16s... "
                 "(use a transformer and an IDM trained with the same LDM)",
                 cfg->ar_path, ar_ldm, cfg->idm_path, idm_ldm);
        return -1;
    }
    /* The LDM file is loaded (and so checked) only for a video-only transformer: the others
     * imagine the codes themselves, and the folder's ldm-9x9.gguf may belong to another H. */
    uint32_t horizon = 1;
    if (weights_get_u32(wa, "ar.horizon", &horizon) == 0 && (horizon == 0 || cfg->codes_from_frame) && idm_ldm &&
        file_exists(cfg->ldm_path)) {
        weights_t wl;
        char e[512];
        memset(&wl, 0, sizeof wl);
        if (weights_open_flags(&wl, cfg->ldm_path, WEIGHTS_OPEN_NO_CHECKSUM, e, sizeof e)) {
            snprintf(err, errlen, "LDM weights %s: %s", cfg->ldm_path, e);
            return -1;
        }
        file_hash_init(&lh, cfg->ldm_path, &wl);
        bool ok = file_hash_matches(&lh, idm_ldm);
        weights_close(&wl);
        if (!ok) {
            snprintf(err, errlen,
                     "LDM mismatch: %s was trained on the codes of the LDM %.16s..., but %s is %.16s... "
                     "(pass --ldm with the LDM it was trained with, or retrain)",
                     cfg->idm_path, idm_ldm, cfg->ldm_path, lh.key[0] ? lh.key : lh.whole);
            return -1;
        }
    }
    if (!ar_tok) fprintf(stderr, "policy: note: %s records no tokenizer SHA-256; not checked\n", cfg->ar_path);
    if (!idm_tok) fprintf(stderr, "policy: note: %s records no tokenizer SHA-256; not checked\n", cfg->idm_path);
    return 0;
}

/* ---------------------------------------------------------------- load */

policy_t *policy_load(const policy_config_t *cfg_in, char *err, size_t errlen)
{
    policy_config_t cfg = *cfg_in;
    if (cfg.max_rollouts < 1 || cfg.max_rollouts > POLICY_MAX_ROLLOUTS) {
        snprintf(err, errlen, "rollouts must be 1..%d, got %d", POLICY_MAX_ROLLOUTS, cfg.max_rollouts);
        return NULL;
    }
    if (cfg.symmetries < 1) cfg.symmetries = 1;
    if (cfg.symmetries > SYM_COUNT) {
        snprintf(err, errlen, "symmetries must be 1..%d, got %d", SYM_COUNT, cfg.symmetries);
        return NULL;
    }
    if (!cfg.be) cfg.be = backend_cpu();
    weights_t wt, wa, wi;
    memset(&wt, 0, sizeof wt);
    memset(&wa, 0, sizeof wa);
    memset(&wi, 0, sizeof wi);
    static const char *const tok_arch[] = {TOKENIZER_ARCH, NULL};
    static const char *const ar_arch[] = {"transformer", "ar", NULL};
    static const char *const idm_arch[] = {"idm", NULL};
    int rc = open_keys(&wt, "tokenizer", cfg.tokenizer_path, err, errlen);
    if (!rc) rc = open_keys(&wa, "transformer", cfg.ar_path, err, errlen);
    if (!rc) rc = open_keys(&wi, "IDM", cfg.idm_path, err, errlen);
    if (!rc) rc = check_arch(&wt, "tokenizer", cfg.tokenizer_path, tok_arch, err, errlen);
    if (!rc) rc = check_arch(&wa, "transformer", cfg.ar_path, ar_arch, err, errlen);
    if (!rc) rc = check_arch(&wi, "IDM", cfg.idm_path, idm_arch, err, errlen);
    if (!rc) find_recorded_tokenizer(&cfg, &wt, &wa);
    if (!rc) rc = check_hashes(&cfg, &wt, &wa, &wi, err, errlen);
    weights_close(&wt);
    weights_close(&wa);
    weights_close(&wi);
    if (rc) return NULL;

    policy_t *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->K = cfg.max_rollouts;
    p->tok = tokenizer_build_from_file(cfg.tokenizer_path, cfg.be, p->K);
    p->ar = ar_build_from_file(cfg.ar_path, cfg.be, p->K);
    p->idm = idm_build_from_file(cfg.idm_path, cfg.be, p->K);
    p->size = p->tok->cfg.board_size;
    p->px = p->tok->cfg.px;
    p->T = p->tok->T;
    p->H = ar_horizon(p->ar);
    if (ar_image_tokens(p->ar) != p->T) {
        snprintf(err, errlen, "%s expects %d image tokens per frame, but the tokenizer %s makes %d", cfg.ar_path,
                 ar_image_tokens(p->ar), cfg.tokenizer_path, p->T);
        policy_free(p);
        return NULL;
    }
    {
        const ar_config_t *ac = &p->ar->cfg;
        bool same = ac->n_img_levels == p->tok->cfg.n_levels;
        for (int i = 0; same && i < ac->n_img_levels; i++) same = ac->img_levels[i] == p->tok->cfg.levels[i];
        if (!same) {
            snprintf(err, errlen, "%s predicts image codes of other FSQ levels than the tokenizer %s makes",
                     cfg.ar_path, cfg.tokenizer_path);
            policy_free(p);
            return NULL;
        }
    }
    if (p->size * p->size + 1 != POLICY_MOVES) {
        snprintf(err, errlen, "%s shows %dx%d boards; the IDM's 82 moves are 9x9", cfg.tokenizer_path, p->size,
                 p->size);
        policy_free(p);
        return NULL;
    }
    const idm_config_t *ic = &p->idm->cfg;
    p->Hi = ic->horizon;
    if (ic->px != p->px || ic->board_size != p->size) {
        snprintf(err, errlen, "%s reads %dx%d boards in %d-px frames but the tokenizer %s makes %dx%d in %d px",
                 cfg.idm_path, ic->board_size, ic->board_size, ic->px, cfg.tokenizer_path, p->size, p->size, p->px);
        policy_free(p);
        return NULL;
    }
    if (p->H > 0) {
        const ar_config_t *ac = &p->ar->cfg;
        /* the same codebook: the transformer may predict it jointly or digit by digit, the code
         * index is the same mixed-radix number */
        bool same = p->H == p->Hi && fsq_codebook_size(ac->ldm_levels, ac->n_ldm_levels) ==
                                         fsq_codebook_size(ic->levels, ic->n_levels);
        if (!same) {
            snprintf(err, errlen, "%s reads H=%d LDM codes of %d FSQ digits but the transformer %s imagines H=%d of %d "
                     "(use the IDM trained with the same LDM, e.g. idm-<same suffix>.gguf)", cfg.idm_path, p->Hi,
                     ic->n_levels, cfg.ar_path, p->H, ac->n_ldm_levels);
            policy_free(p);
            return NULL;
        }
    }
    if (p->H == 0 || cfg.codes_from_frame) {
        /* Video-only transformer (or codes_from_frame): the LDM encodes the imagined window
         * (x_t, x^_{t+1}, replicate-padded as at a game's end) for the IDM. */
        if (!file_exists(cfg.ldm_path)) {
            snprintf(err, errlen, "%s: the IDM %s reads LDM codes, which then come from the LDM (%s not found; "
                     "pass --ldm FILE)", p->H ? "codes from the imagined frame" : "a video-only transformer",
                     cfg.idm_path, cfg.ldm_path[0] ? cfg.ldm_path : "no path");
            policy_free(p);
            return NULL;
        }
        p->ldm_net = ldm_build_from_file(cfg.ldm_path, cfg.be, p->K);
        const ldm_config_t *lc = &p->ldm_net->cfg;
        bool same = lc->horizon == p->Hi && lc->px == p->px && lc->n_levels == ic->n_levels;
        for (int i = 0; same && i < ic->n_levels; i++) same = lc->levels[i] == ic->levels[i];
        if (!same) {
            snprintf(err, errlen, "the LDM %s (H=%d, %d px) is not the one the IDM %s reads (H=%d, %d px)",
                     cfg.ldm_path, lc->horizon, lc->px, cfg.idm_path, p->Hi, ic->px);
            policy_free(p);
            return NULL;
        }
    }
    p->render = render_ctx_new(p->size, p->px);
    if (!p->render) die("policy: cannot build the %dx%d renderer at %d px (out of memory?)", p->size, p->size, p->px);
    p->fb = (size_t)render_frame_bytes(p->px);
    p->rgb_t = xmalloc((size_t)p->K * p->fb);
    p->rgb_next = xmalloc((size_t)p->K * p->fb);
    p->codes_t = xmalloc((size_t)p->T * sizeof(int));
    p->codes_next = xmalloc((size_t)p->K * (size_t)p->T * sizeof(int));
    p->ldm = xcalloc((size_t)p->K * (size_t)p->Hi, sizeof(int));
    if (p->ldm_net) p->window = xmalloc((size_t)p->K * (size_t)(p->Hi + 1) * p->fb);
    p->logits = xmalloc((size_t)p->K * POLICY_MOVES * sizeof(float));
    p->weight = xmalloc((size_t)p->K * sizeof(float));
    p->top = cfg.top_codes;
    char futures[64];
    if (p->top) snprintf(futures, sizeof futures, "%s", p->H ? "the likeliest first codes" : "the likeliest first changes");
    else snprintf(futures, sizeof futures, "sampled at temperature %g", (double)cfg.temperature);
    snprintf(p->describe, sizeof p->describe, "tokenizer %s, transformer %s (%s), idm %s, K<=%d futures: %s",
             cfg.tokenizer_path, cfg.ar_path,
             p->H ? (p->ldm_net ? "video+LDM, the IDM reads the LDM codes of the imagined frame" : "video+LDM")
                  : "video only, LDM codes of the imagined frame",
             cfg.idm_path, p->K, futures);
    if (p->H) {
        size_t n = strlen(p->describe);
        snprintf(p->describe + n, sizeof p->describe - n, ", H=%d", p->H);
    }
    if (cfg.symmetries > 1) {
        size_t n = strlen(p->describe);
        snprintf(p->describe + n, sizeof p->describe - n, ", averaged over %d board symmetries", cfg.symmetries);
    }
    return p;
}

void policy_free(policy_t *p)
{
    if (!p) return;
    if (p->tok) tokenizer_free(p->tok);
    if (p->ar) ar_free(p->ar);
    if (p->idm) idm_free(p->idm);
    if (p->ldm_net) ldm_free(p->ldm_net);
    free(p->window);
    render_ctx_free(p->render);
    free(p->rgb_t);
    free(p->rgb_next);
    free(p->codes_t);
    free(p->codes_next);
    free(p->ldm);
    free(p->logits);
    free(p->weight);
    free(p);
}

int policy_board_size(const policy_t *p) { return p->size; }
int policy_horizon(const policy_t *p) { return p->H; }
int policy_frame_px(const policy_t *p) { return p->px; }
const policy_config_t *policy_config(const policy_t *p) { return &p->cfg; }
const char *policy_describe(const policy_t *p) { return p->describe; }
int policy_max_rollouts(const policy_t *p) { return p->K; }
const policy_timing_t *policy_timing(const policy_t *p) { return &p->timing; }
void policy_timing_reset(policy_t *p) { memset(&p->timing, 0, sizeof p->timing); }

/* ---------------------------------------------------------------- the pipeline */

/* softmax of 82 logits into out (in place allowed). */
static void softmax82(const float *logits, float *out)
{
    float mx = logits[0];
    for (int i = 1; i < POLICY_MOVES; i++) mx = logits[i] > mx ? logits[i] : mx;
    double sum = 0;
    for (int i = 0; i < POLICY_MOVES; i++) {
        out[i] = expf(logits[i] - mx);
        sum += out[i];
    }
    for (int i = 0; i < POLICY_MOVES; i++) out[i] = (float)(out[i] / sum);
}

static int argmax82(const float *v)
{
    int best = 0;
    for (int i = 1; i < POLICY_MOVES; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

/* Runs K rollouts for b; leaves frames, codes and logits in p's buffers. */
static int run_rollouts(policy_t *p, const board_t *b, stone_t color, int K, rng_t *rng)
{
    if (b->size != p->size || (color != STONE_BLACK && color != STONE_WHITE) || K < 1 || K > p->K) return -1;
    double t0 = time_wall();
    if (render_ctx_frame(p->render, b, p->rgb_t) != 0) return -1;
    for (int k = 1; k < K; k++) memcpy(p->rgb_t + (size_t)k * p->fb, p->rgb_t, p->fb);
    tokenizer_encode(p->tok, p->rgb_t, 1, p->codes_t);
    double t1 = time_wall();
    if (p->top && p->H == 0) {
        ar_imagine_changes(p->ar, p->codes_t, color == STONE_BLACK ? 0 : 1, K, p->weight, p->codes_next);
    } else if (p->top) {
        if ((long)K > p->ar->ldm_codebook) return -1;
        ar_imagine_top(p->ar, p->codes_t, color == STONE_BLACK ? 0 : 1, K, p->ldm, p->weight, p->codes_next);
    } else {
        ar_sampler_t s = {.temperature = p->cfg.temperature, .top_k = p->cfg.top_k, .top_p = p->cfg.top_p};
        ar_imagine(p->ar, p->codes_t, color == STONE_BLACK ? 0 : 1, K, &s, rng, p->ldm, p->codes_next);
        for (int k = 0; k < K; k++) p->weight[k] = 1.0f;
    }
    double t2 = time_wall();
    tokenizer_decode(p->tok, p->codes_next, K, p->rgb_next);
    double t3 = time_wall();
    if (p->ldm_net) {
        /* window k: x_t, then x^_{t+1} repeated H times */
        size_t wb = (size_t)(p->Hi + 1) * p->fb;
        for (int k = 0; k < K; k++) {
            uint8_t *w = p->window + (size_t)k * wb;
            memcpy(w, p->rgb_t, p->fb);
            for (int h = 1; h <= p->Hi; h++) memcpy(w + (size_t)h * p->fb, p->rgb_next + (size_t)k * p->fb, p->fb);
        }
        ldm_set_windows(p->ldm_net, p->window, K);
        ldm_forward(p->ldm_net);
        ldm_outputs(p->ldm_net, p->ldm, NULL);
    }
    idm_logits(p->idm, p->rgb_t, p->rgb_next, p->ldm, K, p->logits);
    double t4 = time_wall();
    p->timing.render_encode += t1 - t0;
    p->timing.transformer += t2 - t1;
    p->timing.decode += t3 - t2;
    p->timing.idm += t4 - t3;
    p->timing.calls++;
    return 0;
}

/* probs = the futures' IDM softmaxes averaged with their weights (the top codes' probabilities,
 * or 1 each); argmax[k] / top[k] (may be NULL) each future's own argmax and its probability. */
static void mix(const policy_t *p, int K, float *probs, int *argmax, float *top)
{
    float sm[POLICY_MOVES];
    double wsum = 0;
    for (int k = 0; k < K; k++) wsum += p->weight[k];
    for (int i = 0; i < POLICY_MOVES; i++) probs[i] = 0;
    for (int k = 0; k < K; k++) {
        softmax82(p->logits + (size_t)k * POLICY_MOVES, sm);
        float w = wsum > 0 ? (float)(p->weight[k] / wsum) : 1.0f / (float)K;
        for (int i = 0; i < POLICY_MOVES; i++) probs[i] += w * sm[i];
        int a = argmax82(sm);
        if (argmax) argmax[k] = a;
        if (top) top[k] = sm[a];
    }
}

int policy_distribution(policy_t *p, const board_t *b, stone_t color, int K, rng_t *rng, float *probs)
{
    const int S = p->cfg.symmetries > 1 ? (p->cfg.symmetries < SYM_COUNT ? p->cfg.symmetries : SYM_COUNT) : 1;
    if (S == 1) {
        if (run_rollouts(p, b, color, K, rng)) return -1;
        mix(p, K, probs, NULL, NULL);
        return 0;
    }
    /* the mean over symmetries s of the distribution of s(b), read at s(point) */
    float ps[POLICY_MOVES];
    board_t bs;
    for (int i = 0; i < POLICY_MOVES; i++) probs[i] = 0;
    for (int s = 0; s < S; s++) {
        if (s) sym_board(&bs, b, s);
        if (run_rollouts(p, s ? &bs : b, color, K, rng)) return -1;
        mix(p, K, ps, NULL, NULL);
        for (int q = 0; q < POLICY_MOVES - 1; q++) probs[q] += ps[sym_point(q, b->size, s)] / (float)S;
        probs[POLICY_PASS_INDEX] += ps[POLICY_PASS_INDEX] / (float)S;
    }
    return 0;
}

int policy_imagine(policy_t *p, const board_t *b, stone_t color, int K, rng_t *rng, policy_imagined_t *out)
{
    memset(out, 0, sizeof *out);
    if (run_rollouts(p, b, color, K, rng)) return -1;
    out->px = p->px;
    out->k = K;
    out->horizon = p->H;
    out->frame_t = xmalloc(p->fb);
    memcpy(out->frame_t, p->rgb_t, p->fb);
    out->frames_next = xmalloc((size_t)K * p->fb);
    memcpy(out->frames_next, p->rgb_next, (size_t)K * p->fb);
    out->horizon = p->Hi;
    out->ldm = xmalloc((size_t)K * (size_t)p->Hi * sizeof(int));
    memcpy(out->ldm, p->ldm, (size_t)K * (size_t)p->Hi * sizeof(int));
    out->move = xmalloc((size_t)K * sizeof(int));
    out->move_prob = xmalloc((size_t)K * sizeof(float));
    mix(p, K, out->probs, out->move, out->move_prob);
    for (int k = 0; k < K; k++) out->move[k] = policy_index_to_point(out->move[k]);
    return 0;
}

void policy_imagined_free(policy_imagined_t *im)
{
    if (!im) return;
    free(im->frame_t);
    free(im->frames_next);
    free(im->ldm);
    free(im->move);
    free(im->move_prob);
    memset(im, 0, sizeof *im);
}

int policy_paper_move(policy_t *p, const game_t *g, stone_t color, rng_t *rng, int *point, int *tries)
{
    float probs[POLICY_MOVES];
    int t, mv = VERTEX_PASS;
    if (p->top || p->K > 1) {
        /* the K likeliest codes, marginalized (deterministic), or K sampled futures, voted.
         * The counterpart of a fresh rollout after an illegal move is the distribution's next
         * move: up to POLICY_PAPER_RETRIES of them */
        int K = !p->top || p->H == 0 || (long)p->K < p->ar->ldm_codebook ? p->K : (int)p->ar->ldm_codebook;
        if (policy_distribution(p, &g->board, color, K, rng, probs)) return -1;
        for (t = 0; t <= POLICY_PAPER_RETRIES; t++) {
            int a = argmax82(probs);
            mv = policy_index_to_point(a);
            if (mv == VERTEX_PASS || game_check(g, color, mv) == MOVE_OK) break;
            probs[a] = -1.0f;
        }
        if (tries) *tries = t <= POLICY_PAPER_RETRIES ? t + 1 : POLICY_PAPER_RETRIES + 1;
        *point = mv;
        return 0;
    }
    for (t = 0; t <= POLICY_PAPER_RETRIES; t++) {
        if (policy_distribution(p, &g->board, color, 1, rng, probs)) return -1;
        mv = policy_index_to_point(argmax82(probs));
        if (mv == VERTEX_PASS || game_check(g, color, mv) == MOVE_OK) break;
        if (p->cfg.temperature <= 0) { /* greedy: a retry would imagine the same future */
            t = POLICY_PAPER_RETRIES;
            break;
        }
    }
    if (tries) *tries = t <= POLICY_PAPER_RETRIES ? t + 1 : POLICY_PAPER_RETRIES + 1;
    *point = mv;
    return 0;
}
