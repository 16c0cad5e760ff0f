/* transformer.c: the autoregressive world model (transformer.h): a Llama decoder over
 * tokenizer / LDM codes with digit-sum input embeddings and a factorized FSQ-digit head;
 * training forward/backward, AdamW, GGUF save/load, KV-cache steps and sampling. Every op goes
 * through the backend table (kernels/backend.h).
 *
 * Dimension letters: B sequences, L sequence length, N = B*L rows, C width, NH heads,
 * F SwiGLU hidden width, NO head logits, G digit slots of the input embedding. */
#include "model/transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ------------------------------------------------------------------- */

int ar_preset(const char *name, ar_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    int layers, width, heads, hidden;
    if (!strcmp(name, "cpu")) layers = 4, width = 256, heads = 4, hidden = 688;
    else if (!strcmp(name, "paper")) layers = 12, width = 768, heads = 12, hidden = 2048;
    else if (!strcmp(name, "grid")) layers = 4, width = 128, heads = 4, hidden = 344;
    else if (!strcmp(name, "tiny")) layers = 2, width = 32, heads = 2, hidden = 64;
    else return -1;
    snprintf(cfg->preset, sizeof cfg->preset, "%s", name);
    cfg->layers = layers;
    cfg->width = width;
    cfg->heads = heads;
    cfg->hidden = hidden;
    cfg->img_tokens = 16;
    cfg->horizon = 5;
    cfg->n_img_levels = 10;
    for (int i = 0; i < 10; i++) cfg->img_levels[i] = 3;
    cfg->n_ldm_levels = 4;
    cfg->ldm_levels[0] = 8;
    cfg->ldm_levels[1] = cfg->ldm_levels[2] = cfg->ldm_levels[3] = 5;
    cfg->rope_theta = 10000.0f;
    return 0;
}

int ar_seq_len(const ar_config_t *c)
{
    return c->horizon > 0 ? 2 * c->img_tokens + c->horizon + 8 : 2 * c->img_tokens + 6;
}

int ar_loss_start(const ar_config_t *c)
{
    return c->img_tokens + 3;
}

int ar_config_check(const ar_config_t *c, char *err, size_t errlen)
{
    if (c->layers < 1 || c->layers > AR_MAX_LAYERS) {
        snprintf(err, errlen, "layers %d outside 1..%d", c->layers, AR_MAX_LAYERS);
        return -1;
    }
    if (c->width < 2 || c->width > 16384 || c->heads < 1 || c->width % c->heads || (c->width / c->heads) % 2) {
        snprintf(err, errlen, "width %d must be 2..16384, a multiple of heads %d with an even head size", c->width,
                 c->heads);
        return -1;
    }
    if (c->hidden < 1 || c->hidden > 65536) {
        snprintf(err, errlen, "hidden %d outside 1..65536", c->hidden);
        return -1;
    }
    if (c->img_tokens < 1 || c->img_tokens > 1024 || c->horizon < 0 || c->horizon > 64) {
        snprintf(err, errlen, "image tokens %d (1..1024) or horizon %d (0..64) out of range", c->img_tokens,
                 c->horizon);
        return -1;
    }
    if (c->local < 0 || c->local > 4) {
        snprintf(err, errlen, "local embedding radius %d outside 0..4", c->local);
        return -1;
    }
    if (c->local_mix < 0 || c->local_mix > 1024 || (c->local_mix && !c->local)) {
        snprintf(err, errlen, "local mix width %d: 0..1024, and only with a local window (radius %d)",
                 c->local_mix, c->local);
        return -1;
    }
    if (c->local) {
        int n = 1;
        while (n * n < c->img_tokens) n++;
        if (n * n != c->img_tokens) {
            snprintf(err, errlen, "a local embedding needs a square grid of image tokens, not %d", c->img_tokens);
            return -1;
        }
    }
    if (!(c->rope_theta > 1.0f)) {
        snprintf(err, errlen, "rope theta %g must be > 1", (double)c->rope_theta);
        return -1;
    }
    if (fsq_levels_check(c->img_levels, c->n_img_levels, AR_MAX_LEVELS, 1L << 24, "image tokens", err, errlen))
        return -1;
    if (c->horizon > 0 &&
        fsq_levels_check(c->ldm_levels, c->n_ldm_levels, AR_MAX_LEVELS, 1L << 24, "LDM codes", err, errlen))
        return -1;
    return 0;
}

void ar_config_write(weights_writer_t *w, const ar_t *m)
{
    const ar_config_t *c = &m->cfg;
    weights_writer_kv_str(w, "ar.preset", c->preset[0] ? c->preset : "custom");
    weights_writer_kv_u32(w, "ar.layers", (uint32_t)c->layers);
    weights_writer_kv_u32(w, "ar.width", (uint32_t)c->width);
    weights_writer_kv_u32(w, "ar.heads", (uint32_t)c->heads);
    weights_writer_kv_u32(w, "ar.hidden", (uint32_t)c->hidden);
    weights_writer_kv_u32(w, "ar.image_tokens", (uint32_t)c->img_tokens);
    weights_writer_kv_u32(w, "ar.horizon", (uint32_t)c->horizon);
    weights_writer_kv_f32(w, "ar.rope_theta", c->rope_theta);
    if (c->local) weights_writer_kv_u32(w, "ar.local_embed", (uint32_t)c->local);
    if (c->local_mix) weights_writer_kv_u32(w, "ar.local_mix", (uint32_t)c->local_mix);
    int32_t lv[AR_MAX_LEVELS];
    for (int i = 0; i < c->n_img_levels; i++) lv[i] = c->img_levels[i];
    weights_writer_kv_arr_i32(w, "ar.image_levels", lv, (size_t)c->n_img_levels);
    int nl = c->horizon > 0 ? c->n_ldm_levels : 0;
    for (int i = 0; i < nl; i++) lv[i] = c->ldm_levels[i];
    if (nl) weights_writer_kv_arr_i32(w, "ar.ldm_levels", lv, (size_t)nl);
    weights_writer_kv_str(w, "ar.output", "fsq_digits");
    weights_writer_kv_str(w, "ar.tokenizer_sha256", m->tokenizer_sha256);
    weights_writer_kv_str(w, "ar.ldm_sha256", m->ldm_sha256);
}

static int read_levels(const weights_t *w, const char *key, int *lv)
{
    int64_t n = weights_arr_len(w, key);
    if (n < 1 || n > AR_MAX_LEVELS)
        die("%s: %s must be an array of 1..%d levels (found %lld); %s", w->path, key, AR_MAX_LEVELS, (long long)n,
            weights_regen_hint(w));
    int32_t v[AR_MAX_LEVELS];
    weights_need_arr(w, key, WEIGHTS_KV_I32, v, (size_t)n);
    for (int i = 0; i < n; i++) lv[i] = v[i];
    return (int)n;
}

void ar_config_read(const weights_t *w, ar_config_t *c, char *tok_sha, char *ldm_sha)
{
    memset(c, 0, sizeof *c);
    snprintf(c->preset, sizeof c->preset, "%s", weights_need_str(w, "ar.preset"));
    c->layers = (int)weights_need_u32(w, "ar.layers");
    c->width = (int)weights_need_u32(w, "ar.width");
    c->heads = (int)weights_need_u32(w, "ar.heads");
    c->hidden = (int)weights_need_u32(w, "ar.hidden");
    c->img_tokens = (int)weights_need_u32(w, "ar.image_tokens");
    c->horizon = (int)weights_need_u32(w, "ar.horizon");
    c->rope_theta = weights_need_f32(w, "ar.rope_theta");
    uint32_t local = 0;
    if (weights_find_kv(w, "ar.local_embed")) local = weights_need_u32(w, "ar.local_embed");
    c->local = local > 4 ? 5 : (int)local; /* ar_config_check names a bad radius */
    uint32_t mix = 0;
    if (weights_find_kv(w, "ar.local_mix")) mix = weights_need_u32(w, "ar.local_mix");
    c->local_mix = mix > 1024 ? 1025 : (int)mix;
    c->n_img_levels = read_levels(w, "ar.image_levels", c->img_levels);
    if (c->horizon > 0) c->n_ldm_levels = read_levels(w, "ar.ldm_levels", c->ldm_levels);
    if (strcmp(weights_need_str(w, "ar.output"), "fsq_digits"))
        die("%s: ar.output is '%s'; this build reads 'fsq_digits' only; %s", w->path,
            weights_need_str(w, "ar.output"), weights_regen_hint(w));
    char err[256];
    if (ar_config_check(c, err, sizeof err))
        die("%s: bad transformer hyperparameters: %s; %s", w->path, err, weights_regen_hint(w));
    if (tok_sha) snprintf(tok_sha, 65, "%s", weights_need_str(w, "ar.tokenizer_sha256"));
    if (ldm_sha) snprintf(ldm_sha, 65, "%s", weights_need_str(w, "ar.ldm_sha256"));
}

int ar_horizon(const ar_t *m)
{
    return m->cfg.horizon;
}

int ar_image_tokens(const ar_t *m)
{
    return m->cfg.img_tokens;
}

/* ---- construction -------------------------------------------------------------------- */

/* Parameter order: tok_emb, pos_emb, then per layer 6 tensors, then out_norm, head. */
enum { P_EMB = 0, P_POS = 1, P_LAYER0 = 2 };
enum { L_ATTN_NORM, L_QKV, L_ATTN_OUT, L_MLP_NORM, L_MLP_UP, L_MLP_DOWN, L_N };
#define P_L(m, l, k) (P_LAYER0 + (l) * L_N + (k))
#define P_OUT_NORM(m) (P_LAYER0 + (m)->cfg.layers * L_N)
#define P_HEAD(m) (P_OUT_NORM(m) + 1)
#define P_LOCAL(m) (P_HEAD(m) + 1)
#define P_MIX(m, l, k) (P_LOCAL(m) + 1 + 2 * (l) + (k)) /* k 0: local_down, 1: local_up */
#define PRM(m, base, i) ((base) + (m)->params[(i)].offset)

static void add_param(ar_t *m, size_t *off, const char *name, int64_t r, int64_t c, int decay)
{
    int i = m->n_tensors++;
    model_param_t *p = &m->params[i];
    snprintf(m->names[i], sizeof m->names[i], "%s", name);
    p->name = m->names[i];
    p->ndim = c ? 2 : 1;
    p->dims[0] = r;
    p->dims[1] = c;
    p->n = (size_t)r * (size_t)(c ? c : 1);
    p->decay = decay;
    p->offset = *off;
    *off += (p->n + 15) & ~(size_t)15;
}

static void layout(ar_t *m)
{
    const ar_config_t *c = &m->cfg;
    const int64_t C = m->C, F = m->F;
    size_t off = 0;
    char nm[32];
    m->n_tensors = 0;
    add_param(m, &off, "tok_emb", m->NO + 1, C, 0); /* + the all-zero pad row */
    add_param(m, &off, "pos_emb", m->L, C, 0);
    for (int l = 0; l < c->layers; l++) {
        snprintf(nm, sizeof nm, "blk.%d.attn_norm", l), add_param(m, &off, nm, C, 0, 0);
        snprintf(nm, sizeof nm, "blk.%d.qkv", l), add_param(m, &off, nm, 3 * C, C, 1);
        snprintf(nm, sizeof nm, "blk.%d.attn_out", l), add_param(m, &off, nm, C, C, 1);
        snprintf(nm, sizeof nm, "blk.%d.mlp_norm", l), add_param(m, &off, nm, C, 0, 0);
        snprintf(nm, sizeof nm, "blk.%d.mlp_up", l), add_param(m, &off, nm, 2 * F, C, 1);
        snprintf(nm, sizeof nm, "blk.%d.mlp_down", l), add_param(m, &off, nm, C, F, 1);
    }
    add_param(m, &off, "out_norm", C, 0, 0);
    add_param(m, &off, "head", m->NO, C, 1);
    if (c->local) add_param(m, &off, "local_emb", (int64_t)m->win * m->win * (m->ldm_off - m->img_off) + 1, C, 0);
    for (int l = 0; c->local_mix && l < c->layers; l++) {
        snprintf(nm, sizeof nm, "blk.%d.local_down", l), add_param(m, &off, nm, c->local_mix, C, 1);
        snprintf(nm, sizeof nm, "blk.%d.local_up", l), add_param(m, &off, nm, C, (int64_t)m->win * m->win * c->local_mix, 1);
    }
    m->n_params = off;
}

static ar_t *ar_alloc(const ar_config_t *cfg, const backend_t *be, int max_batch)
{
    char err[256];
    if (ar_config_check(cfg, err, sizeof err)) die("transformer: %s", err);
    if (max_batch < 1 || max_batch > 65536) die("transformer: max_batch %d outside 1..65536", max_batch);
    ar_t *m = xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    m->be = be;
    m->L = m->L_full = ar_seq_len(cfg);
    m->ldm_weight = 1.0f;
    m->grad_scale = 1.0f;
    m->C = cfg->width;
    m->NH = cfg->heads;
    m->F = cfg->hidden;
    m->max_batch = max_batch;
    m->img_codebook = fsq_codebook_size(cfg->img_levels, cfg->n_img_levels);
    m->ldm_codebook = cfg->horizon > 0 ? fsq_codebook_size(cfg->ldm_levels, cfg->n_ldm_levels) : 0;
    /* head columns (= embedding rows): specials, image digits, LDM digits */
    int off = AR_N_SPECIAL, nc = 0;
    m->call_off[nc] = 0, m->call_v[nc++] = AR_N_SPECIAL;
    m->img_off = off;
    for (int i = 0; i < cfg->n_img_levels; i++) m->call_off[nc] = off, m->call_v[nc++] = cfg->img_levels[i],
                                                  off += cfg->img_levels[i];
    m->ldm_off = off;
    if (cfg->horizon > 0)
        for (int i = 0; i < cfg->n_ldm_levels; i++) m->call_off[nc] = off, m->call_v[nc++] = cfg->ldm_levels[i],
                                                      off += cfg->ldm_levels[i];
    m->NO = off;
    m->n_calls = nc;
    m->G = cfg->n_img_levels;
    if (cfg->horizon > 0 && cfg->n_ldm_levels > m->G) m->G = cfg->n_ldm_levels;
    if (cfg->local) {
        for (m->side = 1; m->side * m->side < cfg->img_tokens; m->side++) {}
        m->win = 2 * cfg->local + 1;
        m->GL = m->win * m->win * cfg->n_img_levels;
    }
    layout(m);
    m->param = params_alloc(be, m->n_params * sizeof(float));
    be->zero(m->param, m->n_params * sizeof(float));

    const size_t N = (size_t)max_batch * m->L, C = (size_t)m->C, F = (size_t)m->F, NL = (size_t)cfg->layers;
    const size_t att = (size_t)max_batch * m->NH * m->L * m->L;
    size_t sizes[] = {(NL + 1) * N * C, NL * N * C, NL * N * C, NL * N * C, NL * N * C, NL * N, NL * N,
                      NL * N * 3 * C, NL * N * 2 * F, NL * N * F, NL * att, N * C, N, N * (size_t)m->NO, N * C,
                      (size_t)m->n_calls * N, NL * (size_t)max_batch * m->L * 2 * C};
    float **ptrs[] = {&m->xs,  &m->ln1, &m->ln2, &m->xmid, &m->ao,  &m->rstd1, &m->rstd2,
                      &m->qkv, &m->h13, &m->sw,  &m->att,  &m->lnf, &m->rstdf, &m->logits,
                      &m->tmp, &m->losses, &m->cache};
    const size_t np = sizeof sizes / sizeof sizes[0];
    m->act_floats = params_carve(NULL, ptrs, sizes, np);
    m->act = params_alloc(be, m->act_floats * sizeof(float));
    be->zero(m->act, m->act_floats * sizeof(float));
    params_carve(m->act, ptrs, sizes, np);
    const size_t W2 = cfg->local_mix ? (size_t)m->win * m->win : 0, D = (size_t)cfg->local_mix;
    m->mix_tab_rows = max_batch * cfg->img_tokens + 1;
    if (D) {
        size_t msz[] = {NL * N * D, NL * (size_t)m->mix_tab_rows * D, NL * N * W2 * D};
        float **mptr[] = {&m->mix_r, &m->mix_tab, &m->mix_g};
        size_t tot = params_carve(NULL, mptr, msz, 3);
        float *mb = params_alloc(be, tot * sizeof(float));
        be->zero(mb, tot * sizeof(float));
        params_carve(mb, mptr, msz, 3);
    }
    const size_t nid = (size_t)(m->G + 1 + m->n_calls + m->GL) * N + W2 * N;
    m->ids = params_alloc(be, nid * sizeof(int));
    m->host_ids = xcalloc(nid, sizeof(int));
    m->host_losses = xmalloc((size_t)m->n_calls * N * sizeof(float));
    m->host_logits = xmalloc(N * (size_t)m->NO * sizeof(float));
    m->host_tok = xmalloc(N * sizeof(int));
    m->host_ctx = xcalloc((size_t)max_batch * cfg->img_tokens, sizeof(int));
    return m;
}

/* Uniform in [-a, a] with a = std * sqrt(3) (variance std^2). */
static void init_params(ar_t *m, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed ^ 0x61722d696e6974ULL);
    float *h = xcalloc(m->n_params, sizeof(float));
    const float std = 0.02f, std_out = 0.02f / sqrtf(2.0f * (float)m->cfg.layers);
    for (int i = 0; i < m->n_tensors; i++) {
        const model_param_t *p = &m->params[i];
        float *x = h + p->offset;
        if (p->ndim == 1) { /* norm weights */
            for (size_t k = 0; k < p->n; k++) x[k] = 1.0f;
            continue;
        }
        const char *nm = p->name;
        size_t len = strlen(nm);
        int out = len > 8 && (!strcmp(nm + len - 8, "attn_out") || !strcmp(nm + len - 8, "mlp_down") ||
                              !strcmp(nm + len - 8, "local_up"));
        float a = (out ? std_out : std) * sqrtf(3.0f);
        for (size_t k = 0; k < p->n; k++) x[k] = (float)((2.0 * rng_uniform(&r) - 1.0) * a);
    }
    /* the pad row of tok_emb (the last) stays zero: unused digit slots add nothing */
    memset(h + m->params[P_EMB].offset + (size_t)m->NO * m->C, 0, (size_t)m->C * sizeof(float));
    if (m->cfg.local) { /* and so does local_emb's */
        const model_param_t *q = &m->params[P_LOCAL(m)];
        memset(h + q->offset + (size_t)(q->dims[0] - 1) * m->C, 0, (size_t)m->C * sizeof(float));
    }
    m->be->to_device(m->param, h, m->n_params * sizeof(float));
    free(h);
}

ar_t *ar_new(const ar_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed)
{
    ar_t *m = ar_alloc(cfg, be, max_batch);
    init_params(m, seed);
    return m;
}

int ar_argmax_code(const ar_t *m, const float *row, int ldm)
{
    const int c0 = ldm ? 1 + m->cfg.n_img_levels : 1, nd = ldm ? m->cfg.n_ldm_levels : m->cfg.n_img_levels;
    int code = 0, basis = 1;
    for (int i = 0; i < nd; i++) {
        const float *r = row + m->call_off[c0 + i];
        int best = 0;
        for (int v = 1; v < m->call_v[c0 + i]; v++)
            if (r[v] > r[best]) best = v;
        code += basis * best;
        basis *= m->call_v[c0 + i];
    }
    return code;
}

int ar_init_pos2d(ar_t *m)
{
    const int T = m->cfg.img_tokens, C = m->C, H = m->cfg.horizon;
    int n = 1;
    while (n * n < T) n++;
    if (n * n != T || C < 8) return -1;
    float *host = xmalloc((size_t)m->L * C * sizeof(float));
    float *pos = PRM(m, m->param, P_POS);
    m->be->to_host(host, pos, (size_t)m->L * C * sizeof(float));
    /* x_t at 3..T+2; x_{t+1} after <im_end> [<act_start> z <act_end>] <im_start> */
    const int starts[2] = {3, H > 0 ? T + H + 7 : T + 5};
    const int half = C / 2, nf = half / 2;
    for (int b = 0; b < 2; b++)
        for (int t = 0; t < T; t++) {
            float *row = host + (size_t)(starts[b] + t) * C;
            const int rc[2] = {t / n, t % n};
            for (int a = 0; a < 2; a++)
                for (int f = 0; f < nf; f++) {
                    double w = M_PI * (f + 1) / n, v = rc[a] + 0.5;
                    row[a * half + 2 * f] += (float)(0.5 * sin(w * v));
                    row[a * half + 2 * f + 1] += (float)(0.5 * cos(w * v));
                }
        }
    m->be->to_device(pos, host, (size_t)m->L * C * sizeof(float));
    free(host);
    return 0;
}

ar_t *ar_build_from_file(const char *path, const backend_t *be, int max_batch)
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    if (weights_open(&w, path, err, sizeof err))
        die("%s\nhint: the shipped model is weights/ar-9x9.gguf; regenerate one with `videogo train ar` "
            "(weights/README.md)",
            err);
    if (!w.arch || strcmp(w.arch, AR_ARCH))
        die("%s: general.architecture is '%s', not '%s' (not a transformer weights file); %s", path,
            w.arch ? w.arch : "?", AR_ARCH, weights_regen_hint(&w));
    ar_config_t cfg;
    char ts[65], ls[65];
    ar_config_read(&w, &cfg, ts, ls);
    ar_t *m = ar_alloc(&cfg, be, max_batch);
    memcpy(m->tokenizer_sha256, ts, 65);
    memcpy(m->ldm_sha256, ls, 65);
    params_load(&w, be, m->params, m->n_tensors, m->param);
    weights_close(&w);
    return m;
}

void ar_save(const ar_t *m, const char *path, int argc, char *const *argv)
{
    weights_writer_t *w = params_writer_new(AR_ARCH, "videogo autoregressive world model", argc, argv);
    ar_config_write(w, m);
    params_writer_finish(w, path, m->be, m->params, m->n_tensors, m->n_params, m->param);
}

void ar_free(ar_t *m)
{
    if (!m) return;
    const backend_t *be = m->be;
    be->free(m->param);
    be->free(m->grad);
    be->free(m->m);
    be->free(m->v);
    be->free(m->act);
    be->free(m->dact);
    if (m->mix_r) be->free(m->mix_r);
    if (m->dmix_r) be->free(m->dmix_r);
    be->free(m->ids);
    free(m->host_ids);
    free(m->host_ctx);
    free(m->host_losses);
    free(m->host_logits);
    free(m->host_tok);
    free(m);
}

/* ---- tokens ---------------------------------------------------------------------------- */

void ar_seq_build(const ar_t *m, const int *img, int to_move, const int *ldm, const int *next, int *tok)
{
    const int T = m->cfg.img_tokens, H = m->cfg.horizon;
    const int io = AR_N_SPECIAL, lo = AR_N_SPECIAL + (int)m->img_codebook;
    int p = 0;
    tok[p++] = AR_TOK_BOS;
    tok[p++] = to_move ? AR_TOK_WHITE : AR_TOK_BLACK;
    tok[p++] = AR_TOK_IM_START;
    for (int k = 0; k < T; k++) tok[p++] = io + img[k];
    tok[p++] = AR_TOK_IM_END;
    if (H > 0) {
        tok[p++] = AR_TOK_ACT_START;
        for (int h = 0; h < H; h++) tok[p++] = lo + ldm[h];
        tok[p++] = AR_TOK_ACT_END;
    }
    tok[p++] = AR_TOK_IM_START;
    for (int k = 0; k < T; k++) tok[p++] = io + next[k];
    tok[p++] = AR_TOK_IM_END;
}

/* Digit-slot embedding rows of unified token t into rows[G] (pad row NO where unused). */
static void token_rows(const ar_t *m, int t, int *rows)
{
    const ar_config_t *c = &m->cfg;
    for (int g = 0; g < m->G; g++) rows[g] = m->NO;
    if (t < AR_N_SPECIAL) {
        rows[0] = t;
        return;
    }
    t -= AR_N_SPECIAL;
    const int *lv;
    int nl, off;
    if (t < m->img_codebook) lv = c->img_levels, nl = c->n_img_levels, off = m->img_off;
    else t -= (int)m->img_codebook, lv = c->ldm_levels, nl = c->n_ldm_levels, off = m->ldm_off;
    for (int i = 0; i < nl; i++) {
        rows[i] = off + t % lv[i];
        off += lv[i];
        t /= lv[i];
    }
}

/* The cell of the grid whose neighbourhood position p embeds: x_t's token p - 3 its own, the
 * position that predicts x_{t+1}'s token k (<im_start> or token k - 1) cell k; else -1. */
static int local_cell(const ar_t *m, int p)
{
    const int T = m->cfg.img_tokens, q0 = m->L_full - T - 2;
    if (p >= 3 && p < 3 + T) return p - 3;
    if (p >= q0 && p < q0 + T) return p - q0;
    return -1;
}

/* cfg.local: the rows of local_emb [GL][N] (slot o * Di + i: digit i of the x_t code at offset o
 * of the win x win window around the position's cell; the last (pad) row off the board or
 * without a cell).
 * x_t's codes are kept per sequence in host_ctx, set when a chunk holds them. */
static void set_local_ids(ar_t *m, const int *tokens, int B, int pos0, int T)
{
    const int N = B * T, NMAX = m->max_batch * m->L, Ti = m->cfg.img_tokens, Di = m->cfg.n_img_levels;
    const int S = m->side, DR = m->ldm_off - m->img_off, W = m->win, R = m->cfg.local, pad = W * W * DR;
    int *loc = m->host_ids + (size_t)(m->G + 1 + m->n_calls) * NMAX;
    int *mix = loc + (size_t)m->GL * NMAX, mix_pad = m->mix_tab_rows - 1;
    for (int n = 0; n < N; n++) {
        int p = pos0 + n % T;
        if (p >= 3 && p < 3 + Ti) m->host_ctx[(size_t)(n / T) * Ti + p - 3] = tokens[n] - AR_N_SPECIAL;
    }
    for (int n = 0; n < N; n++) {
        const int cell = local_cell(m, pos0 + n % T), *ctx = m->host_ctx + (size_t)(n / T) * Ti;
        for (int o = 0; o < W * W; o++) {
            int r = cell < 0 ? -1 : cell / S + o / W - R, c = cell < 0 ? -1 : cell % S + o % W - R;
            int on = r >= 0 && r < S && c >= 0 && c < S, code = on ? ctx[r * S + c] : 0, off = o * DR;
            for (int i = 0; i < Di; i++) {
                loc[(size_t)(o * Di + i) * NMAX + n] = on ? off + code % m->cfg.img_levels[i] : pad;
                off += m->cfg.img_levels[i];
                code /= m->cfg.img_levels[i];
            }
            if (m->cfg.local_mix) mix[(size_t)n * W * W + o] = on ? (n / T) * Ti + r * S + c : mix_pad;
        }
    }
    m->be->to_device(m->ids + (size_t)(m->G + 1 + m->n_calls) * NMAX, loc, (size_t)m->GL * NMAX * sizeof(int));
    if (m->cfg.local_mix)
        m->be->to_device(m->ids + (size_t)(m->G + 1 + m->n_calls + m->GL) * NMAX, mix,
                         (size_t)N * W * W * sizeof(int));
}

/* Host index arrays for B sequences of T tokens at positions pos0..: embedding rows [G][N],
 * positions [N], and (targets != 0, full sequences only) the head targets [n_calls][N]. */
static void set_ids(ar_t *m, const int *tokens, int B, int pos0, int T, int targets)
{
    const int N = B * T, NMAX = m->max_batch * m->L, G = m->G;
    int *emb = m->host_ids, *pos = emb + (size_t)G * NMAX, *tg = pos + NMAX;
    int rows[AR_MAX_LEVELS];
    for (int n = 0; n < N; n++) {
        token_rows(m, tokens[n], rows);
        for (int g = 0; g < G; g++) emb[(size_t)g * NMAX + n] = rows[g];
        pos[n] = pos0 + n % T;
    }
    m->be->to_device(m->ids, emb, (size_t)G * NMAX * sizeof(int));
    m->be->to_device(m->ids + (size_t)G * NMAX, pos, (size_t)N * sizeof(int));
    if (m->cfg.local) set_local_ids(m, tokens, B, pos0, T);
    if (!targets) return;
    const int s0 = ar_loss_start(&m->cfg), L = m->L, Di = m->cfg.n_img_levels;
    for (size_t i = 0; i < (size_t)m->n_calls * N; i++) tg[(size_t)(i / N) * NMAX + i % N] = -1;
    for (int n = 0; n < N; n++) {
        int p = n % L;
        if (p < s0 || p >= L - 1) continue;
        int t = tokens[n + 1];
        if (t < AR_N_SPECIAL) {
            tg[n] = t;
            continue;
        }
        token_rows(m, t, rows);
        int img = t - AR_N_SPECIAL < m->img_codebook;
        int c0 = img ? 1 : 1 + Di, nd = img ? Di : m->cfg.n_ldm_levels;
        for (int i = 0; i < nd; i++) tg[(size_t)(c0 + i) * NMAX + n] = rows[i] - m->call_off[c0 + i];
    }
    for (int c = 0; c < m->n_calls; c++)
        m->be->to_device(m->ids + (size_t)(G + 1 + c) * NMAX, tg + (size_t)c * NMAX, (size_t)N * sizeof(int));
}

/* ---- forward --------------------------------------------------------------------------- */

/* x[N,C] = sum of the digit-slot rows + position rows. */
static void embed(ar_t *m, float *x, int N)
{
    const backend_t *be = m->be;
    const int NMAX = m->max_batch * m->L, C = m->C;
    const float *emb = PRM(m, m->param, P_EMB), *pos = PRM(m, m->param, P_POS);
    be->embedding_forward(x, m->ids + (size_t)m->G * NMAX, pos, N, C, m->L);
    for (int g = 0; g < m->G; g++) {
        be->embedding_forward(m->tmp, m->ids + (size_t)g * NMAX, emb, N, C, m->NO + 1);
        be->add_forward(x, x, m->tmp, (size_t)N * C);
    }
    if (!m->cfg.local) return;
    const model_param_t *q = &m->params[P_LOCAL(m)];
    const int *loc = m->ids + (size_t)(m->G + 1 + m->n_calls) * NMAX;
    for (int g = 0; g < m->GL; g++) {
        be->embedding_forward(m->tmp, loc + (size_t)g * NMAX, m->param + q->offset, N, C, (int)q->dims[0]);
        be->add_forward(x, x, m->tmp, (size_t)N * C);
    }
}

/* The local branch's window rows (set_local_ids): [N * win^2] indices into mix_tab. */
static const int *mix_ids(const ar_t *m)
{
    return m->ids + (size_t)(m->G + 1 + m->n_calls + m->GL) * m->max_batch * m->L;
}

/* One block on N = B*T rows: xin -> xout, saving into layer l's buffers. cache == NULL: full
 * causal self-attention over the T tokens; else KV-cache step at positions pos0..pos0+T-1. */
static void block_forward(ar_t *m, int l, const float *xin, float *xout, int B, int T, int pos0, int cached)
{
    const backend_t *be = m->be;
    const int N = B * T, C = m->C, F = m->F, NH = m->NH, HD = C / NH;
    const size_t NM = (size_t)m->max_batch * m->L;
    float *ln1 = m->ln1 + l * NM * C, *ln2 = m->ln2 + l * NM * C, *xmid = m->xmid + l * NM * C;
    float *ao = m->ao + l * NM * C, *qkv = m->qkv + l * NM * 3 * C, *h13 = m->h13 + l * NM * 2 * F;
    float *sw = m->sw + l * NM * F, *att = m->att + (size_t)l * m->max_batch * NH * m->L * m->L;
    float *rstd1 = m->rstd1 + l * NM, *rstd2 = m->rstd2 + l * NM;
    const float eps = 1e-5f, theta = m->cfg.rope_theta;
    be->rmsnorm_forward(ln1, rstd1, xin, PRM(m, m->param, P_L(m, l, L_ATTN_NORM)), N, C, eps);
    be->matmul_forward(qkv, ln1, PRM(m, m->param, P_L(m, l, L_QKV)), NULL, N, C, 3 * C);
    be->rope_forward(qkv, B, T, NH, HD, 3 * C, pos0, theta);
    be->rope_forward(qkv + C, B, T, NH, HD, 3 * C, pos0, theta);
    if (!cached) {
        attn_dims_t d = attn_dims_self(B, T, C, NH, 1);
        be->attention_forward(ao, att, qkv, qkv + C, qkv + 2 * C, &d);
    } else {
        float *kv = m->cache + (size_t)l * m->max_batch * m->L * 2 * C;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                be->copy(kv + ((size_t)b * m->L + pos0 + t) * 2 * C, qkv + ((size_t)b * T + t) * 3 * C + C,
                         (size_t)2 * C * sizeof(float));
        attn_dims_t d = attn_dims_cached(B, T, pos0 + T, m->L, C, NH);
        be->attention_forward(ao, att, qkv, kv, kv + C, &d);
    }
    be->matmul_forward(m->tmp, ao, PRM(m, m->param, P_L(m, l, L_ATTN_OUT)), NULL, N, C, C);
    be->add_forward(xmid, xin, m->tmp, (size_t)N * C);
    be->rmsnorm_forward(ln2, rstd2, xmid, PRM(m, m->param, P_L(m, l, L_MLP_NORM)), N, C, eps);
    be->matmul_forward(h13, ln2, PRM(m, m->param, P_L(m, l, L_MLP_UP)), NULL, N, C, 2 * F);
    be->swiglu_forward(sw, h13, N, F);
    be->matmul_forward(m->tmp, sw, PRM(m, m->param, P_L(m, l, L_MLP_DOWN)), NULL, N, F, C);
    be->add_forward(xout, xmid, m->tmp, (size_t)N * C);
    if (!m->cfg.local_mix) return;
    /* the local branch: ln2 -> D; x_t's rows into the table (when this chunk holds x_t); each
     * position's window of table rows -> C */
    const int D = m->cfg.local_mix, W2 = m->win * m->win, Ti = m->cfg.img_tokens;
    float *r = m->mix_r + l * NM * D, *tab = m->mix_tab + (size_t)l * m->mix_tab_rows * D;
    float *g = m->mix_g + l * NM * W2 * D;
    be->matmul_forward(r, ln2, PRM(m, m->param, P_MIX(m, l, 0)), NULL, N, C, D);
    if (pos0 <= 3 && pos0 + T >= 3 + Ti)
        for (int b = 0; b < B; b++)
            be->copy(tab + (size_t)b * Ti * D, r + ((size_t)b * T + 3 - pos0) * D, (size_t)Ti * D * sizeof(float));
    be->embedding_forward(g, mix_ids(m), tab, N * W2, D, m->mix_tab_rows);
    be->matmul_forward(m->tmp, g, PRM(m, m->param, P_MIX(m, l, 1)), NULL, N, W2 * D, C);
    be->add_forward(xout, xout, m->tmp, (size_t)N * C);
}

/* Embedding, blocks, final norm and head on B sequences of T tokens at pos0. */
static void forward_rows(ar_t *m, int B, int T, int pos0, int cached)
{
    const backend_t *be = m->be;
    const size_t NM = (size_t)m->max_batch * m->L, C = (size_t)m->C;
    const int N = B * T;
    embed(m, m->xs, N);
    for (int l = 0; l < m->cfg.layers; l++) block_forward(m, l, m->xs + l * NM * C, m->xs + (l + 1) * NM * C, B, T,
                                                         pos0, cached);
    const float *xo = m->xs + (size_t)m->cfg.layers * NM * C;
    be->rmsnorm_forward(m->lnf, m->rstdf, xo, PRM(m, m->param, P_OUT_NORM(m)), N, m->C, 1e-5f);
    be->matmul_forward(m->logits, m->lnf, PRM(m, m->param, P_HEAD(m)), NULL, N, m->C, m->NO);
}

float ar_forward(ar_t *m, const int *tokens, int B)
{
    if (B < 1 || B > m->max_batch) die("ar_forward: batch %d outside 1..%d", B, m->max_batch);
    const backend_t *be = m->be;
    const int L = m->L, N = B * L, NMAX = m->max_batch * L, Di = m->cfg.n_img_levels;
    m->batch = B;
    set_ids(m, tokens, B, 0, L, 1);
    forward_rows(m, B, L, 0, 0);
    const int *tg = m->ids + (size_t)(m->G + 1) * NMAX;
    for (int c = 0; c < m->n_calls; c++)
        be->softmax_cross_entropy(m->losses + (size_t)c * N, NULL, m->logits + m->call_off[c], tg + (size_t)c * NMAX,
                                  N, m->call_v[c], m->NO, 1.0f);
    be->to_host(m->host_losses, m->losses, (size_t)m->n_calls * N * sizeof(float));
    /* per kind sums; token counts from the host targets (special: call 0, image: call 1,
     * LDM: call 1 + Di) */
    const int *htg = m->host_ids + (size_t)(m->G + 1) * NMAX;
    double s[3] = {0, 0, 0};
    long cnt[3] = {0, 0, 0};
    for (int c = 0; c < m->n_calls; c++) {
        int kind = c == 0 ? 0 : c <= Di ? 1 : 2;
        for (int n = 0; n < N; n++) {
            if (htg[(size_t)c * NMAX + n] < 0) continue;
            s[kind] += m->host_losses[(size_t)c * N + n];
            if (c == 0 || c == 1 || c == 1 + Di) cnt[kind]++;
        }
    }
    m->n_spec = cnt[0], m->n_img = cnt[1], m->n_ldm = cnt[2];
    m->loss_spec = cnt[0] ? s[0] / cnt[0] : 0;
    m->loss_img = cnt[1] ? s[1] / cnt[1] : 0;
    m->loss_ldm = cnt[2] ? s[2] / cnt[2] : 0;
    long tot = cnt[0] + cnt[1] + cnt[2];
    return tot ? (float)((s[0] + s[1] + s[2]) / tot) : 0.0f;
}

void ar_set_len(ar_t *m, int len)
{
    const int pre = ar_loss_start(&m->cfg) + m->cfg.horizon + 3;
    if (len == 0) len = m->L_full;
    if (len != m->L_full && (m->cfg.horizon == 0 || len != pre))
        die("ar_set_len: %d tokens; the sequence has %d and its prefix through <act_end> %d", len, m->L_full, pre);
    m->L = len;
}

const float *ar_logits(ar_t *m)
{
    m->be->to_host(m->host_logits, m->logits, (size_t)m->batch * m->L * m->NO * sizeof(float));
    return m->host_logits;
}

const float *ar_step(ar_t *m, const int *tokens, int B, int pos0, int T)
{
    if (m->L != m->L_full) die("ar_step: the model is set to train on %d-token prefixes (ar_set_len)", m->L);
    if (B < 1 || B > m->max_batch || T < 1 || pos0 < 0 || pos0 + T > m->L)
        die("ar_step: batch %d (max %d), positions %d..%d (L %d)", B, m->max_batch, pos0, pos0 + T - 1, m->L);
    const int Ti = m->cfg.img_tokens;
    if (m->cfg.local && pos0 < 3 + Ti && pos0 + T > 3 && (pos0 > 3 || pos0 + T < 3 + Ti))
        die("ar_step: a local-embedding model reads x_t (positions 3..%d) in one chunk, not %d..%d", Ti + 2, pos0,
            pos0 + T - 1);
    set_ids(m, tokens, B, pos0, T, 0);
    forward_rows(m, B, T, pos0, 1);
    m->be->to_host(m->host_logits, m->logits, (size_t)B * T * m->NO * sizeof(float));
    return m->host_logits;
}

/* ---- backward -------------------------------------------------------------------------- */

static void alloc_train(ar_t *m)
{
    if (m->grad) return;
    const backend_t *be = m->be;
    size_t bytes = m->n_params * sizeof(float);
    m->grad = params_alloc(be, bytes);
    m->m = params_alloc(be, bytes);
    m->v = params_alloc(be, bytes);
    be->zero(m->m, bytes);
    be->zero(m->v, bytes);
    const size_t N = (size_t)m->max_batch * m->L, C = (size_t)m->C, F = (size_t)m->F;
    attn_dims_t d = attn_dims_self(m->max_batch, m->L, m->C, m->NH, 1);
    size_t sizes[] = {N * C, N * C, N * 3 * C, N * C, N * 2 * F, N * F, N * (size_t)m->NO,
                      be->attention_scratch_size(&d)};
    float **ptrs[] = {&m->dres, &m->dln, &m->dqkv, &m->dao, &m->dh13, &m->dsw, &m->dlogits, &m->scratch};
    const size_t np = sizeof sizes / sizeof sizes[0];
    size_t tot = params_carve(NULL, ptrs, sizes, np);
    m->dact = params_alloc(be, tot * sizeof(float));
    be->zero(m->dact, tot * sizeof(float));
    params_carve(m->dact, ptrs, sizes, np);
    if (m->cfg.local_mix) {
        const size_t D = (size_t)m->cfg.local_mix, W2 = (size_t)m->win * m->win;
        size_t msz[] = {N * D, (size_t)m->mix_tab_rows * D, N * W2 * D};
        float **mptr[] = {&m->dmix_r, &m->dmix_tab, &m->dmix_g};
        size_t mt = params_carve(NULL, mptr, msz, 3);
        float *mb = params_alloc(be, mt * sizeof(float));
        be->zero(mb, mt * sizeof(float));
        params_carve(mb, mptr, msz, 3);
    }
}

void ar_zero_grad(ar_t *m)
{
    alloc_train(m);
    m->be->zero(m->grad, m->n_params * sizeof(float));
}

void ar_backward(ar_t *m)
{
    if (!m->grad) die("ar_backward: call ar_zero_grad first");
    const backend_t *be = m->be;
    const int B = m->batch, L = m->L, N = B * L, C = m->C, F = m->F, NH = m->NH, HD = C / NH;
    const size_t NM = (size_t)m->max_batch * L, NMAX = NM;
    const long ntok = m->n_spec + m->n_img + m->n_ldm;
    const float dscale = m->grad_scale / (float)(ntok ? ntok : 1);
    const int Di = m->cfg.n_img_levels;
    const float theta = m->cfg.rope_theta;
    float *g = m->grad, *p = m->param;

    be->zero(m->dlogits, (size_t)N * m->NO * sizeof(float));
    const int *tg = m->ids + (size_t)(m->G + 1) * NMAX;
    for (int c = 0; c < m->n_calls; c++)
        be->softmax_cross_entropy(m->losses + (size_t)c * N, m->dlogits + m->call_off[c],
                                  m->logits + m->call_off[c], tg + (size_t)c * NMAX, N, m->call_v[c], m->NO,
                                  c > Di ? dscale * m->ldm_weight : dscale);
    be->zero(m->dln, (size_t)N * C * sizeof(float));
    be->matmul_backward(m->dln, PRM(m, g, P_HEAD(m)), NULL, m->dlogits, m->lnf, PRM(m, p, P_HEAD(m)), N, C, m->NO);
    be->zero(m->dres, (size_t)N * C * sizeof(float));
    const float *xo = m->xs + (size_t)m->cfg.layers * NM * C;
    be->rmsnorm_backward(m->dres, PRM(m, g, P_OUT_NORM(m)), m->dln, xo, PRM(m, p, P_OUT_NORM(m)), m->rstdf, N, C);

    for (int l = m->cfg.layers - 1; l >= 0; l--) {
        const float *xin = m->xs + l * NM * C, *ln1 = m->ln1 + l * NM * C, *ln2 = m->ln2 + l * NM * C;
        const float *xmid = m->xmid + l * NM * C, *ao = m->ao + l * NM * C, *qkv = m->qkv + l * NM * 3 * C;
        const float *h13 = m->h13 + l * NM * 2 * F, *sw = m->sw + l * NM * F;
        const float *att = m->att + (size_t)l * m->max_batch * NH * L * L;
        const float *rstd1 = m->rstd1 + l * NM, *rstd2 = m->rstd2 + l * NM;
        /* MLP: dres is d(xout); it becomes d(xmid) */
        be->zero(m->dsw, (size_t)N * F * sizeof(float));
        be->matmul_backward(m->dsw, PRM(m, g, P_L(m, l, L_MLP_DOWN)), NULL, m->dres, sw,
                            PRM(m, p, P_L(m, l, L_MLP_DOWN)), N, F, C);
        be->zero(m->dh13, (size_t)N * 2 * F * sizeof(float));
        be->swiglu_backward(m->dh13, m->dsw, h13, N, F);
        be->zero(m->dln, (size_t)N * C * sizeof(float));
        be->matmul_backward(m->dln, PRM(m, g, P_L(m, l, L_MLP_UP)), NULL, m->dh13, ln2,
                            PRM(m, p, P_L(m, l, L_MLP_UP)), N, C, 2 * F);
        if (m->cfg.local_mix) { /* the local branch, also from ln2 */
            const int D = m->cfg.local_mix, W2 = m->win * m->win, Ti = m->cfg.img_tokens;
            const float *gw = m->mix_g + l * NM * W2 * D;
            be->zero(m->dmix_g, (size_t)N * W2 * D * sizeof(float));
            be->matmul_backward(m->dmix_g, PRM(m, g, P_MIX(m, l, 1)), NULL, m->dres, gw, PRM(m, p, P_MIX(m, l, 1)),
                                N, W2 * D, C);
            be->zero(m->dmix_tab, (size_t)m->mix_tab_rows * D * sizeof(float));
            be->embedding_backward(m->dmix_tab, m->dmix_g, mix_ids(m), N * W2, D, m->mix_tab_rows);
            be->zero(m->dmix_r, (size_t)N * D * sizeof(float));
            for (int b = 0; b < B; b++) {
                float *dr = m->dmix_r + ((size_t)b * L + 3) * D;
                be->add_forward(dr, dr, m->dmix_tab + (size_t)b * Ti * D, (size_t)Ti * D);
            }
            be->matmul_backward(m->dln, PRM(m, g, P_MIX(m, l, 0)), NULL, m->dmix_r, ln2, PRM(m, p, P_MIX(m, l, 0)), N,
                                C, D);
        }
        be->rmsnorm_backward(m->dres, PRM(m, g, P_L(m, l, L_MLP_NORM)), m->dln, xmid,
                             PRM(m, p, P_L(m, l, L_MLP_NORM)), rstd2, N, C);
        /* attention: dres becomes d(xin) */
        be->zero(m->dao, (size_t)N * C * sizeof(float));
        be->matmul_backward(m->dao, PRM(m, g, P_L(m, l, L_ATTN_OUT)), NULL, m->dres, ao,
                            PRM(m, p, P_L(m, l, L_ATTN_OUT)), N, C, C);
        be->zero(m->dqkv, (size_t)N * 3 * C * sizeof(float));
        attn_dims_t d = attn_dims_self(B, L, C, NH, 1);
        be->attention_backward(m->dqkv, m->dqkv + C, m->dqkv + 2 * C, m->scratch, m->dao, qkv, qkv + C, qkv + 2 * C,
                               att, &d);
        be->rope_backward(m->dqkv, B, L, NH, HD, 3 * C, 0, theta);
        be->rope_backward(m->dqkv + C, B, L, NH, HD, 3 * C, 0, theta);
        be->zero(m->dln, (size_t)N * C * sizeof(float));
        be->matmul_backward(m->dln, PRM(m, g, P_L(m, l, L_QKV)), NULL, m->dqkv, ln1, PRM(m, p, P_L(m, l, L_QKV)), N,
                            C, 3 * C);
        be->rmsnorm_backward(m->dres, PRM(m, g, P_L(m, l, L_ATTN_NORM)), m->dln, xin,
                             PRM(m, p, P_L(m, l, L_ATTN_NORM)), rstd1, N, C);
    }
    float *gemb = PRM(m, g, P_EMB);
    be->embedding_backward(PRM(m, g, P_POS), m->dres, m->ids + (size_t)m->G * NMAX, N, C, L);
    for (int k = 0; k < m->G; k++) be->embedding_backward(gemb, m->dres, m->ids + (size_t)k * NMAX, N, C, m->NO + 1);
    be->zero(gemb + (size_t)m->NO * C, (size_t)C * sizeof(float)); /* the pad row stays zero */
    if (m->cfg.local) {
        const model_param_t *q = &m->params[P_LOCAL(m)];
        const int *loc = m->ids + (size_t)(m->G + 1 + m->n_calls) * NMAX;
        for (int k = 0; k < m->GL; k++)
            be->embedding_backward(g + q->offset, m->dres, loc + (size_t)k * NMAX, N, C, (int)q->dims[0]);
        be->zero(g + q->offset + (size_t)(q->dims[0] - 1) * C, (size_t)C * sizeof(float));
    }
}

float ar_adamw_step(ar_t *m, float lr, float beta1, float beta2, float eps, float weight_decay, float max_norm,
                    int t_step)
{
    const backend_t *be = m->be;
    if (!m->grad) die("ar_adamw_step: no gradients (call ar_zero_grad/backward first)");
    /* m->losses: a scratch float in backend memory (overwritten by the next forward) */
    return params_adamw_step(be, m->params, m->n_tensors, m->n_params, m->param, m->grad, m->m, m->v, m->losses, lr,
                             beta1, beta2, eps, weight_decay, max_norm, t_step);
}

/* ---- sampling -------------------------------------------------------------------------- */

#define AR_MAX_V 256

int ar_sample_digit(const float *logits, int V, const ar_sampler_t *s, rng_t *rng)
{
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best]) best = i;
    if (!s || s->temperature <= 0 || V > AR_MAX_V) return best;
    int idx[AR_MAX_V];
    double pr[AR_MAX_V];
    for (int i = 0; i < V; i++) idx[i] = i;
    /* order by logit, descending (insertion sort: V <= 256, stable) */
    for (int i = 1; i < V; i++) {
        int k = idx[i], j = i;
        while (j > 0 && logits[idx[j - 1]] < logits[k]) idx[j] = idx[j - 1], j--;
        idx[j] = k;
    }
    int n = V;
    if (s->top_k > 0 && s->top_k < n) n = s->top_k;
    double z = 0, mx = logits[best]; /* = logits[idx[0]] */
    for (int i = 0; i < n; i++) z += pr[i] = exp(((double)logits[idx[i]] - mx) / s->temperature);
    if (s->top_p > 0 && s->top_p < 1) {
        double c = 0;
        int k = 0;
        while (k < n) {
            c += pr[k++] / z;
            if (c >= s->top_p) break;
        }
        n = k;
        z = 0;
        for (int i = 0; i < n; i++) z += pr[i];
    }
    double u = rng_uniform(rng) * z;
    for (int i = 0; i < n; i++) {
        u -= pr[i];
        if (u < 0) return idx[i];
    }
    return idx[n - 1];
}

/* A code from one row of head logits: digits of calls c0 .. c0+nd-1 (mixed radix). */
static int sample_code(const ar_t *m, const float *row, int c0, int nd, const ar_sampler_t *s, rng_t *rng)
{
    int code = 0, basis = 1;
    for (int i = 0; i < nd; i++) {
        int c = c0 + i;
        code += basis * ar_sample_digit(row + m->call_off[c], m->call_v[c], s, rng);
        basis *= m->call_v[c];
    }
    return code;
}

/* The B most likely codes of one head row's LDM digits (their joint probability: the product
 * of the digits' softmaxes), most likely first, into top[B] and prob[B]. */
static void top_codes(const ar_t *m, const float *row, int B, int *top, float *prob)
{
    const int c0 = 1 + m->cfg.n_img_levels, nd = m->cfg.n_ldm_levels;
    double lz[AR_MAX_LEVELS];
    for (int i = 0; i < nd; i++) {
        const float *r = row + m->call_off[c0 + i];
        double mx = r[0], z = 0;
        for (int v = 1; v < m->call_v[c0 + i]; v++) mx = r[v] > mx ? r[v] : mx;
        for (int v = 0; v < m->call_v[c0 + i]; v++) z += exp((double)r[v] - mx);
        lz[i] = mx + log(z);
    }
    for (int b = 0; b < B; b++) top[b] = -1, prob[b] = -1.0f;
    for (long code = 0; code < m->ldm_codebook; code++) {
        double lp = 0;
        long c = code;
        for (int i = 0; i < nd; i++) {
            int v = m->call_v[c0 + i];
            lp += (double)row[m->call_off[c0 + i] + c % v] - lz[i];
            c /= v;
        }
        float pr = (float)exp(lp);
        if (pr <= prob[B - 1]) continue;
        int j = B - 1;
        while (j > 0 && prob[j - 1] < pr) top[j] = top[j - 1], prob[j] = prob[j - 1], j--;
        top[j] = (int)code, prob[j] = pr;
    }
}

static void imagine(ar_t *m, const int *img, int to_move, int B, const ar_sampler_t *s, rng_t *rng, int *ldm,
                    float *weight, int *next_img);

void ar_imagine(ar_t *m, const int *img, int to_move, int B, const ar_sampler_t *s, rng_t *rng, int *ldm,
                int *next_img)
{
    imagine(m, img, to_move, B, s, rng, ldm, NULL, next_img);
}

void ar_imagine_top(ar_t *m, const int *img, int to_move, int B, int *ldm, float *prob, int *next_img)
{
    if (m->cfg.horizon < 1) die("ar_imagine_top: a video-only transformer imagines no codes");
    if ((long)B > m->ldm_codebook || B > AR_TOP_MAX) die("ar_imagine_top: %d codes of %ld", B, m->ldm_codebook);
    const ar_sampler_t greedy = {.temperature = 0.0f, .top_k = 0, .top_p = 1.0f};
    imagine(m, img, to_move, B, &greedy, NULL, ldm, prob, next_img);
}

/* The log-softmax of each image digit of one head row into ls (digit i's V values at
 * m->call_off[1 + i] - m->call_off[1]), so that a code's log p is a sum of lookups. */
static void img_digit_logsoftmax(const ar_t *m, const float *row, double *ls)
{
    for (int i = 0; i < m->cfg.n_img_levels; i++) {
        const int c = 1 + i, v = m->call_v[c], o = m->call_off[c] - m->call_off[1];
        const float *r = row + m->call_off[c];
        double mx = r[0], z = 0;
        for (int u = 1; u < v; u++) mx = r[u] > mx ? r[u] : mx;
        for (int u = 0; u < v; u++) z += exp((double)r[u] - mx);
        for (int u = 0; u < v; u++) ls[o + u] = (double)r[u] - mx - log(z);
    }
}

/* log p of image code `code` from img_digit_logsoftmax's ls. */
static double img_code_logprob(const ar_t *m, const double *ls, int code)
{
    double lp = 0;
    for (int i = 0; i < m->cfg.n_img_levels; i++) {
        const int v = m->call_v[1 + i];
        lp += ls[m->call_off[1 + i] - m->call_off[1] + code % v];
        code /= v;
    }
    return lp;
}

void ar_imagine_changes(ar_t *m, const int *img, int to_move, int B, float *prob, int *next_img)
{
    const int T = m->cfg.img_tokens, Di = m->cfg.n_img_levels, NO = m->NO, io = AR_N_SPECIAL;
    if (m->cfg.horizon != 0) die("ar_imagine_changes: for a video-only transformer (this one has H %d)",
                                 m->cfg.horizon);
    if (B < 1 || B > AR_TOP_MAX) die("ar_imagine_changes: %d futures (1..%d)", B, AR_TOP_MAX);
    const ar_sampler_t greedy = {.temperature = 0.0f, .top_k = 0, .top_p = 1.0f};
    /* prompt <bos> <to move> <im_start> x_t <im_end> <im_start>, then x_t's codes again as
     * x_{t+1}[0..T-2]: row i of `rows` is the distribution of x_{t+1}[i] after an unchanged
     * prefix */
    const int P = T + 5;
    int *buf = m->host_tok;
    int k = 0;
    buf[k++] = AR_TOK_BOS;
    buf[k++] = to_move ? AR_TOK_WHITE : AR_TOK_BLACK;
    buf[k++] = AR_TOK_IM_START;
    for (int i = 0; i < T; i++) buf[k++] = io + img[i];
    buf[k++] = AR_TOK_IM_END;
    buf[k++] = AR_TOK_IM_START;
    float *rows = xmalloc((size_t)T * NO * sizeof(float));
    const float *lg = ar_step(m, buf, 1, 0, P);
    memcpy(rows, lg + (size_t)(P - 1) * NO, (size_t)NO * sizeof(float));
    if (T > 1) {
        for (int i = 0; i < T - 1; i++) buf[i] = io + img[i];
        lg = ar_step(m, buf, 1, P, T - 1);
        memcpy(rows + NO, lg, (size_t)(T - 1) * NO * sizeof(float));
    }
    /* the B likeliest events (first changed token i, its code c; i = T: no change), by
     * log p = sum_{j<i} log p_j(x_t[j]) + log p_i(c) */
    int ev_i[AR_TOP_MAX], ev_c[AR_TOP_MAX];
    double ev_lp[AR_TOP_MAX];
    int n = 0;
    double prefix = 0;
    double *ls = xmalloc((size_t)NO * sizeof(double));
    for (int i = 0; i <= T; i++) {
        if (i < T) img_digit_logsoftmax(m, rows + (size_t)i * NO, ls);
        for (int c = 0; c < (i < T ? (int)m->img_codebook : 1); c++) {
            if (i < T && c == img[i]) continue;
            double lp = prefix + (i < T ? img_code_logprob(m, ls, c) : 0);
            if (n == B && lp <= ev_lp[B - 1]) continue;
            int j = n < B ? n++ : B - 1;
            while (j > 0 && ev_lp[j - 1] < lp) ev_i[j] = ev_i[j - 1], ev_c[j] = ev_c[j - 1], ev_lp[j] = ev_lp[j - 1], j--;
            ev_i[j] = i, ev_c[j] = c, ev_lp[j] = lp;
        }
        if (i < T) prefix += img_code_logprob(m, ls, img[i]);
    }
    free(ls);
    for (int b = n; b < B; b++) ev_i[b] = T, ev_c[b] = 0, ev_lp[b] = -INFINITY; /* B > events: unchanged, weight 0 */
    /* each future continued greedily after its event, in slot 0 of the cache; latest event
     * first, so that the unchanged prefix a later future needs is still in the cache */
    int order[AR_TOP_MAX];
    for (int b = 0; b < B; b++) order[b] = b;
    for (int a = 1; a < B; a++)
        for (int b = a; b > 0 && ev_i[order[b]] > ev_i[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1], order[b - 1] = t;
        }
    for (int q = 0; q < B; q++) {
        const int b = order[q], i0 = ev_i[b];
        int *nx = next_img + (size_t)b * T;
        prob[b] = (float)exp(ev_lp[b]);
        for (int i = 0; i < i0 && i < T; i++) nx[i] = img[i];
        if (i0 >= T) continue;
        nx[i0] = ev_c[b];
        for (int i = i0 + 1; i < T; i++) {
            int tok = io + nx[i - 1];
            lg = ar_step(m, &tok, 1, P + i - 1, 1);
            nx[i] = sample_code(m, lg, 1, Di, &greedy, NULL);
        }
    }
    free(rows);
}

/* weight != NULL: z^1 of future b is the b-th most likely code (its probability in weight[b]),
 * the rest follows s; else everything follows s. */
static void imagine(ar_t *m, const int *img, int to_move, int B, const ar_sampler_t *s, rng_t *rng, int *ldm,
                    float *weight, int *next_img)
{
    const int T = m->cfg.img_tokens, H = m->cfg.horizon, Di = m->cfg.n_img_levels, NO = m->NO;
    const int io = AR_N_SPECIAL, lo = AR_N_SPECIAL + (int)m->img_codebook;
    if (B < 1 || B > m->max_batch) die("ar_imagine: %d futures, at most %d (max_batch)", B, m->max_batch);
    /* prompt: <bos> <to move> <im_start> x_t <im_end> then <act_start> or <im_start> */
    const int P = T + 5;
    int *buf = m->host_tok; /* [max_batch * L] */
    int k = 0;
    buf[k++] = AR_TOK_BOS;
    buf[k++] = to_move ? AR_TOK_WHITE : AR_TOK_BLACK;
    buf[k++] = AR_TOK_IM_START;
    for (int i = 0; i < T; i++) buf[k++] = io + img[i];
    buf[k++] = AR_TOK_IM_END;
    buf[k++] = H > 0 ? AR_TOK_ACT_START : AR_TOK_IM_START;
    /* the B futures share the prompt: run it once (as future 0) and copy its keys and values
     * to the others' cache rows */
    const float *lg = ar_step(m, buf, 1, 0, P);
    const size_t C = (size_t)m->C, row = (size_t)P * 2 * C * sizeof(float);
    for (int l = 0; l < m->cfg.layers; l++) {
        float *kv = m->cache + (size_t)l * m->max_batch * m->L * 2 * C;
        for (int b = 1; b < B; b++) m->be->copy(kv + (size_t)b * m->L * 2 * C, kv, row);
    }
    for (int b = 1; b < B; b++) memcpy(m->host_ctx + (size_t)b * T, m->host_ctx, (size_t)T * sizeof(int));
    for (int l = 0; m->cfg.local_mix && l < m->cfg.layers; l++) {
        float *tab = m->mix_tab + (size_t)l * m->mix_tab_rows * m->cfg.local_mix;
        for (int b = 1; b < B; b++)
            m->be->copy(tab + (size_t)b * T * m->cfg.local_mix, tab, (size_t)T * m->cfg.local_mix * sizeof(float));
    }
    int pos = P;
    /* the row of the last position of future b: lg + (b * bstride + stride - 1) * NO (all
     * futures read future 0's row after the shared prompt) */
    int stride = P, bstride = 0;
    if (H > 0) {
        int first[AR_TOP_MAX];
        if (weight) top_codes(m, lg + (size_t)(stride - 1) * NO, B, first, weight);
        for (int h = 0; h < H; h++) {
            for (int b = 0; b < B; b++) {
                int z = weight && h == 0 ? first[b]
                                         : sample_code(m, lg + ((size_t)b * bstride + stride - 1) * NO, 1 + Di,
                                                       m->cfg.n_ldm_levels, s, rng);
                ldm[b * H + h] = z;
                buf[b] = lo + z;
            }
            lg = ar_step(m, buf, B, pos++, 1);
            stride = bstride = 1;
        }
        for (int b = 0; b < B; b++) buf[2 * b] = AR_TOK_ACT_END, buf[2 * b + 1] = AR_TOK_IM_START;
        lg = ar_step(m, buf, B, pos, 2);
        pos += 2;
        stride = bstride = 2;
    }
    for (int i = 0; i < T; i++) {
        for (int b = 0; b < B; b++) {
            int c = sample_code(m, lg + ((size_t)b * bstride + stride - 1) * NO, 1, Di, s, rng);
            next_img[b * T + i] = c;
            buf[b] = io + c;
        }
        if (i == T - 1) break;
        lg = ar_step(m, buf, B, pos++, 1);
        stride = bstride = 1;
    }
}
