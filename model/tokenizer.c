/* tokenizer.c: the frame tokenizer (tokenizer.h): a patch MLP autoencoder with an FSQ
 * bottleneck, forward/backward built only from the kernels' ops through the backend table,
 * AdamW over one parameter block, GGUF weights save/load.
 *
 * Dimension letters: B frames, T tokens per frame, N = B*T rows, S frame side, C channels,
 * P patch side, PF = P*P*C patch features, H hidden width, D FSQ dimensions. */
#include "model/tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"
#include "render/render.h"

/* ---- configuration ------------------------------------------------------------------- */

int tokenizer_preset(const char *name, tokenizer_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->board_size = 9;
    cfg->channels = 3;
    if (!strcmp(name, "paper")) {
        *cfg = (tokenizer_config_t){.board_size = 9, .px = 256, .channels = 3, .patch = 64, .margin = 16, .hidden = 512,
                                    .n_levels = 6, .levels = {8, 8, 8, 5, 5, 5}, .l1_weight = 0.0f, .disc_weight = 1.0f};
    } else if (!strcmp(name, "cpu")) {
        *cfg = (tokenizer_config_t){.board_size = 9, .px = 64, .channels = 3, .patch = 16, .margin = 4, .hidden = 384,
                                    .n_levels = 10, .levels = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, .l1_weight = 0.0f,
                                    .disc_weight = 1.0f};
    } else if (!strcmp(name, "grid")) {
        /* one token per intersection: 72-px frames (the same drawing scaled by 72/256), whose
         * 8-px patches are centred within 0.63 px of the 9x9 intersections; a 3-level code */
        *cfg = (tokenizer_config_t){.board_size = 9, .px = 72, .channels = 3, .patch = 8, .margin = 3, .hidden = 64,
                                    .n_levels = 1, .levels = {3}, .l1_weight = 0.0f, .disc_weight = 1.0f};
    } else if (!strcmp(name, "tiny")) {
        *cfg = (tokenizer_config_t){.board_size = 9, .px = 32, .channels = 3, .patch = 8, .margin = 2, .hidden = 32,
                                    .n_levels = 4, .levels = {8, 5, 5, 5}, .l1_weight = 0.0f, .disc_weight = 1.0f};
    } else {
        return -1;
    }
    snprintf(cfg->preset, sizeof cfg->preset, "%s", name);
    return 0;
}

int tokenizer_tokens(const tokenizer_config_t *cfg)
{
    int g = cfg->px / cfg->patch;
    return g * g;
}

long tokenizer_codebook(const tokenizer_config_t *cfg)
{
    return fsq_codebook_size(cfg->levels, cfg->n_levels);
}

int tokenizer_config_check(const tokenizer_config_t *c, char *err, size_t errlen)
{
    if (c->board_size < 2 || c->board_size > 25) {
        snprintf(err, errlen, "board size %d outside 2..25", c->board_size);
        return -1;
    }
    if (c->px < 8 || c->px > 4096 || c->patch < 1 || c->px % c->patch) {
        snprintf(err, errlen, "frame side %d must be 8..4096 and a multiple of the patch side %d", c->px,
                 c->patch);
        return -1;
    }
    if (c->margin < 0 || c->margin > c->patch) {
        snprintf(err, errlen, "encoder margin %d outside 0..patch (%d)", c->margin, c->patch);
        return -1;
    }
    if (c->channels != 3) {
        snprintf(err, errlen, "channels %d: frames are RGB (3)", c->channels);
        return -1;
    }
    if (c->hidden < 1 || c->hidden > 65536) {
        snprintf(err, errlen, "hidden width %d outside 1..65536", c->hidden);
        return -1;
    }
    if (fsq_levels_check(c->levels, c->n_levels, TOKENIZER_MAX_LEVELS, 1L << 30, "tokenizer", err, errlen))
        return -1;
    if (!(c->disc_weight >= 0.0f && c->disc_weight < 1e6f)) {
        snprintf(err, errlen, "disc weight %g must be >= 0", (double)c->disc_weight);
        return -1;
    }
    if (!(c->l1_weight >= 0.0f && c->l1_weight < 1e6f)) {
        snprintf(err, errlen, "l1 weight %g must be >= 0", (double)c->l1_weight);
        return -1;
    }
    return 0;
}

void tokenizer_config_write(weights_writer_t *w, const tokenizer_config_t *c)
{
    weights_writer_kv_str(w, "tokenizer.preset", c->preset[0] ? c->preset : "custom");
    weights_writer_kv_u32(w, "tokenizer.board_size", (uint32_t)c->board_size);
    weights_writer_kv_u32(w, "tokenizer.frame_px", (uint32_t)c->px);
    weights_writer_kv_u32(w, "tokenizer.channels", (uint32_t)c->channels);
    weights_writer_kv_u32(w, "tokenizer.patch", (uint32_t)c->patch);
    weights_writer_kv_u32(w, "tokenizer.enc_margin", (uint32_t)c->margin);
    weights_writer_kv_u32(w, "tokenizer.hidden", (uint32_t)c->hidden);
    weights_writer_kv_u32(w, "tokenizer.tokens", (uint32_t)tokenizer_tokens(c));
    int32_t lv[TOKENIZER_MAX_LEVELS];
    for (int i = 0; i < c->n_levels; i++) lv[i] = c->levels[i];
    weights_writer_kv_arr_i32(w, "tokenizer.fsq_levels", lv, (size_t)c->n_levels);
    weights_writer_kv_u64(w, "tokenizer.codebook", (uint64_t)tokenizer_codebook(c));
    weights_writer_kv_f32(w, "tokenizer.l1_weight", c->l1_weight);
    weights_writer_kv_f32(w, "tokenizer.disc_weight", c->disc_weight);
}

void tokenizer_config_read(const weights_t *w, tokenizer_config_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->preset, sizeof c->preset, "%s", weights_need_str(w, "tokenizer.preset"));
    c->board_size = (int)weights_need_u32(w, "tokenizer.board_size");
    c->px = (int)weights_need_u32(w, "tokenizer.frame_px");
    c->channels = (int)weights_need_u32(w, "tokenizer.channels");
    c->patch = (int)weights_need_u32(w, "tokenizer.patch");
    c->margin = (int)weights_need_u32(w, "tokenizer.enc_margin");
    c->hidden = (int)weights_need_u32(w, "tokenizer.hidden");
    int64_t nl = weights_arr_len(w, "tokenizer.fsq_levels");
    if (nl < 1 || nl > TOKENIZER_MAX_LEVELS)
        die("%s: tokenizer.fsq_levels must be an array of 1..%d levels (found %lld entries); %s", w->path,
            TOKENIZER_MAX_LEVELS, (long long)nl, weights_regen_hint(w));
    c->n_levels = (int)nl;
    int32_t lv[TOKENIZER_MAX_LEVELS];
    weights_need_arr(w, "tokenizer.fsq_levels", WEIGHTS_KV_I32, lv, (size_t)nl);
    for (int i = 0; i < c->n_levels; i++) c->levels[i] = lv[i];
    c->l1_weight = weights_need_f32(w, "tokenizer.l1_weight");
    c->disc_weight = weights_need_f32(w, "tokenizer.disc_weight");
    char err[256];
    if (tokenizer_config_check(c, err, sizeof err))
        die("%s: bad tokenizer hyperparameters: %s; %s", w->path, err, weights_regen_hint(w));
    if ((int)weights_need_u32(w, "tokenizer.tokens") != tokenizer_tokens(c) ||
        weights_need_u64(w, "tokenizer.codebook") != (uint64_t)tokenizer_codebook(c))
        die("%s: tokenizer.tokens / tokenizer.codebook disagree with frame_px, patch and fsq_levels; %s",
            w->path, weights_regen_hint(w));
}

/* ---- construction -------------------------------------------------------------------- */

/* The parameter table: fixed names, shapes from the config, offsets rounded to 16 floats. */
static void layout_params(tokenizer_t *t)
{
    const int H = t->H, PF = t->PF, D = t->D, T = t->T;
    const int K = t->cfg.patch + 2 * t->cfg.margin, C = t->cfg.channels;
    struct { const char *name; int64_t r, c; int decay; } spec[TOKENIZER_N_PARAMS] = {
        {"enc.conv1.weight", H, (int64_t)K * K * C, 1}, {"enc.conv1.bias", H, 0, 0}, {"enc.pos", T, H, 0},
        {"enc.fc2.weight", H, H, 1},  {"enc.fc2.bias", H, 0, 0}, {"enc.fc3.weight", D, H, 1},
        {"enc.fc3.bias", D, 0, 0},    {"dec.fc1.weight", H, D, 1}, {"dec.fc1.bias", H, 0, 0},
        {"dec.pos", T, H, 0},         {"dec.fc2.weight", H, H, 1}, {"dec.fc2.bias", H, 0, 0},
        {"dec.fc3.weight", PF, H, 1}, {"dec.fc3.bias", PF, 0, 0},
    };
    size_t off = 0;
    for (int i = 0; i < TOKENIZER_N_PARAMS; i++) {
        tokenizer_param_t *p = &t->params[i];
        p->name = spec[i].name;
        p->ndim = spec[i].c ? 2 : 1;
        p->dims[0] = spec[i].r;
        p->dims[1] = spec[i].c;
        p->n = (size_t)spec[i].r * (size_t)(spec[i].c ? spec[i].c : 1);
        if (i == 0) { /* conv weight [OC, K, K, C] */
            p->ndim = 4;
            p->dims[1] = K;
            p->dims[2] = K;
            p->dims[3] = C;
        }
        p->decay = spec[i].decay;
        p->offset = off;
        off += (p->n + 15) & ~(size_t)15;
    }
    t->n_params = off;
}

/* Parameter i (in layout order) inside block base. */
#define PRM(t, base, i) ((base) + (t)->params[(i)].offset)
enum { P_EW1, P_EB1, P_EPOS, P_EW2, P_EB2, P_EW3, P_EB3, P_DW1, P_DB1, P_DPOS, P_DW2, P_DB2, P_DW3, P_DB3 };

static void build_disc_pooling(tokenizer_t *t);

static tokenizer_t *tokenizer_alloc(const tokenizer_config_t *cfg, const backend_t *be, int max_batch)
{
    char err[256];
    if (tokenizer_config_check(cfg, err, sizeof err)) die("tokenizer: %s", err);
    if (max_batch < 1 || max_batch > 65536) die("tokenizer: max_batch %d outside 1..65536", max_batch);
    tokenizer_t *t = xcalloc(1, sizeof *t);
    t->cfg = *cfg;
    t->be = be;
    t->T = tokenizer_tokens(cfg);
    t->PF = cfg->patch * cfg->patch * cfg->channels;
    t->H = cfg->hidden;
    t->D = cfg->n_levels;
    t->max_batch = max_batch;
    layout_params(t);
    t->param = params_alloc(be, t->n_params * sizeof(float));
    be->zero(t->param, t->n_params * sizeof(float));

    const size_t N = (size_t)max_batch * (size_t)t->T, H = (size_t)t->H, D = (size_t)t->D, PF = (size_t)t->PF;
    const size_t img = (size_t)max_batch * (size_t)cfg->px * (size_t)cfg->px * (size_t)cfg->channels;
    /* activations: img, x, h1 a1 h2 a2, z zhat, g1 b1 g2 b2, yp, tmp, losses x2 */
    size_t sizes[] = {img, N * PF, N * H, N * H, N * H, N * H, N * D, N * D,
                      N * H, N * H, N * H, N * H, N * PF, N * H, N, N};
    float **ptrs[] = {&t->img, &t->x, &t->h1, &t->a1, &t->h2, &t->a2, &t->z, &t->zhat,
                      &t->g1, &t->b1, &t->g2, &t->b2, &t->yp, &t->tmp, &t->loss_mse, &t->loss_l1};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) total += (sizes[i] + 15) & ~(size_t)15;
    t->act_floats = total;
    t->act = params_alloc(be, total * sizeof(float));
    be->zero(t->act, total * sizeof(float));
    size_t off = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *ptrs[i] = t->act + off;
        off += (sizes[i] + 15) & ~(size_t)15;
    }
    t->codes = params_alloc(be, N * sizeof(int));
    t->pos_ids = params_alloc(be, N * sizeof(int));
    const int K = cfg->patch + 2 * cfg->margin;
    size_t scr = be->conv2d_scratch_size(cfg->px, cfg->px, cfg->channels, K, cfg->patch, cfg->margin);
    t->scratch = params_alloc(be, (scr ? scr : 16) * sizeof(float));
    t->host_codes = xmalloc(N * sizeof(int));
    for (size_t n = 0; n < N; n++) t->host_codes[n] = (int)(n % (size_t)t->T);
    be->to_device(t->pos_ids, t->host_codes, N * sizeof(int));
    t->host_img = xmalloc(img * sizeof(float));
    if (cfg->disc_weight > 0) build_disc_pooling(t);
    t->host_loss = xmalloc(2 * N * sizeof(float));
    return t;
}

/* The disc pooling R [Q, S*S*C]: row (p*C + c) averages channel c of the pixels whose
 * centres lie within 3/4 of the stone radius of intersection p's centre (the frame geometry
 * of render.h), or the pixel holding the centre when none does. Plus the buffers the
 * forward/backward use with it. */
static void build_disc_pooling(tokenizer_t *t)
{
    const tokenizer_config_t *cfg = &t->cfg;
    const size_t F = (size_t)cfg->px * cfg->px * cfg->channels;
    float *host = render_disc_pooling(cfg->board_size, cfg->px, cfg->channels, &t->Q);
    if (!host) die("tokenizer: no frame geometry for %d px", cfg->px);
    const backend_t *be = t->be;
    t->R = params_alloc(be, (size_t)t->Q * F * sizeof(float));
    be->to_device(t->R, host, (size_t)t->Q * F * sizeof(float));
    free(host);
    const size_t B = (size_t)t->max_batch, Q = (size_t)t->Q;
    size_t total = ((B * F + 15) & ~(size_t)15) * 2 + ((B * Q + 15) & ~(size_t)15) * 3 + B;
    float *blk = params_alloc(be, total * sizeof(float));
    be->zero(blk, total * sizeof(float));
    t->yimg = blk;
    t->dyimg = t->yimg + ((B * F + 15) & ~(size_t)15);
    t->pool_y = t->dyimg + ((B * F + 15) & ~(size_t)15);
    t->pool_x = t->pool_y + ((B * Q + 15) & ~(size_t)15);
    t->dpool = t->pool_x + ((B * Q + 15) & ~(size_t)15);
    t->loss_disc = t->dpool + ((B * Q + 15) & ~(size_t)15);
}

/* Gradients, AdamW moments and activation gradients: only a trainer needs them, so they are
 * allocated on the first tokenizer_zero_grad (once, never inside forward/backward). */
static void tokenizer_alloc_train(tokenizer_t *t)
{
    if (t->grad) return;
    const backend_t *be = t->be;
    size_t bytes = t->n_params * sizeof(float);
    t->grad = params_alloc(be, bytes);
    t->m = params_alloc(be, bytes);
    t->v = params_alloc(be, bytes);
    be->zero(t->grad, bytes);
    be->zero(t->m, bytes);
    be->zero(t->v, bytes);
    const size_t N = (size_t)t->max_batch * (size_t)t->T, H = (size_t)t->H, D = (size_t)t->D, PF = (size_t)t->PF;
    size_t sizes[] = {N * PF, N * H, N * H, N * H, N * H, N * D, N * D, N * H, N * H, N * H, N * H};
    float **ptrs[] = {&t->dyp, &t->db2, &t->dg2, &t->db1, &t->dg1, &t->dzhat, &t->dz,
                      &t->da2, &t->dh2, &t->da1, &t->dh1};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) total += (sizes[i] + 15) & ~(size_t)15;
    t->dact_floats = total;
    t->dact = params_alloc(be, total * sizeof(float));
    size_t off = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *ptrs[i] = t->dact + off;
        off += (sizes[i] + 15) & ~(size_t)15;
    }
}

tokenizer_t *tokenizer_new(const tokenizer_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed)
{
    tokenizer_t *t = tokenizer_alloc(cfg, be, max_batch);
    float *host = xcalloc(t->n_params, sizeof(float));
    rng_t r;
    rng_seed(&r, seed);
    for (int i = 0; i < TOKENIZER_N_PARAMS; i++) {
        const tokenizer_param_t *p = &t->params[i];
        float *dst = host + p->offset;
        if (p->ndim == 1) continue; /* biases start at 0 */
        /* matrices [out, in]: uniform with variance 1/in; position embeddings: small */
        double bound = (i == P_EPOS || i == P_DPOS) ? 0.02 : sqrt(3.0 * (double)p->dims[0] / (double)p->n);
        for (size_t k = 0; k < p->n; k++) dst[k] = (float)((rng_uniform(&r) * 2.0 - 1.0) * bound);
    }
    be->to_device(t->param, host, t->n_params * sizeof(float));
    free(host);
    return t;
}

tokenizer_t *tokenizer_build_from_file(const char *path, const backend_t *be, int max_batch)
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    if (weights_open(&w, path, err, sizeof err))
        die("%s\nhint: the shipped tokenizer is weights/tokenizer-9x9.gguf; regenerate one with "
            "`videogo train tokenizer` (weights/README.md)", err);
    if (!w.arch || strcmp(w.arch, TOKENIZER_ARCH))
        die("%s: general.architecture is '%s', not '%s' (not a tokenizer weights file); %s", path,
            w.arch ? w.arch : "?", TOKENIZER_ARCH, weights_regen_hint(&w));
    tokenizer_config_t cfg;
    tokenizer_config_read(&w, &cfg);
    tokenizer_t *t = tokenizer_alloc(&cfg, be, max_batch);
    params_load(&w, be, t->params, TOKENIZER_N_PARAMS, t->param);
    weights_close(&w);
    return t;
}

void tokenizer_save(const tokenizer_t *t, const char *path, int argc, char *const *argv)
{
    weights_writer_t *w = params_writer_new(TOKENIZER_ARCH, "videogo frame tokenizer", argc, argv);
    tokenizer_config_write(w, &t->cfg);
    params_writer_finish(w, path, t->be, t->params, TOKENIZER_N_PARAMS, t->n_params, t->param);
}

void tokenizer_free(tokenizer_t *t)
{
    if (!t) return;
    const backend_t *be = t->be;
    be->free(t->param);
    be->free(t->grad);
    be->free(t->m);
    be->free(t->v);
    be->free(t->act);
    be->free(t->dact);
    be->free(t->codes);
    be->free(t->pos_ids);
    be->free(t->scratch);
    be->free(t->R);
    be->free(t->yimg); /* one block: yimg, dyimg, pool_y, pool_x, dpool, loss_disc */
    free(t->host_img);
    free(t->host_codes);
    free(t->host_loss);
    free(t);
}

/* ---- forward / backward ---------------------------------------------------------------- */

void tokenizer_set_frames(tokenizer_t *t, const uint8_t *rgb, int B)
{
    if (B < 1 || B > t->max_batch) die("tokenizer: batch %d outside 1..%d", B, t->max_batch);
    const int S = t->cfg.px, C = t->cfg.channels;
    const size_t n = (size_t)B * (size_t)S * (size_t)S * (size_t)C;
    for (size_t i = 0; i < n; i++) t->host_img[i] = (float)rgb[i] * (2.0f / 255.0f) - 1.0f;
    t->be->to_device(t->img, t->host_img, n * sizeof(float));
    t->be->patchify_forward(t->x, t->img, B, S, S, C, t->cfg.patch);
    t->batch = B;
}

/* x -> z -> zhat, codes (N rows). */
static void encoder_forward(tokenizer_t *t, int N)
{
    const backend_t *be = t->be;
    const int H = t->H, D = t->D, T = t->T, S = t->cfg.px, P = t->cfg.patch, M = t->cfg.margin;
    const float *p = t->param;
    be->conv2d_forward(t->h1, t->img, PRM(t, p, P_EW1), PRM(t, p, P_EB1), t->scratch, N / T, S, S,
                       t->cfg.channels, H, P + 2 * M, P, M);
    be->embedding_forward(t->tmp, t->pos_ids, PRM(t, p, P_EPOS), N, H, T);
    be->add_forward(t->h1, t->h1, t->tmp, (size_t)N * H);
    be->gelu_forward(t->a1, t->h1, (size_t)N * H);
    be->matmul_forward(t->h2, t->a1, PRM(t, p, P_EW2), PRM(t, p, P_EB2), N, H, H);
    be->gelu_forward(t->a2, t->h2, (size_t)N * H);
    be->matmul_forward(t->z, t->a2, PRM(t, p, P_EW3), PRM(t, p, P_EB3), N, H, D);
    be->fsq_forward(t->zhat, t->codes, t->z, t->cfg.levels, N, D);
}

/* zhat -> yp (N rows). */
static void decoder_forward(tokenizer_t *t, int N)
{
    const backend_t *be = t->be;
    const int H = t->H, D = t->D, PF = t->PF, T = t->T;
    const float *p = t->param;
    be->matmul_forward(t->g1, t->zhat, PRM(t, p, P_DW1), PRM(t, p, P_DB1), N, D, H);
    be->embedding_forward(t->tmp, t->pos_ids, PRM(t, p, P_DPOS), N, H, T);
    be->add_forward(t->g1, t->g1, t->tmp, (size_t)N * H);
    be->gelu_forward(t->b1, t->g1, (size_t)N * H);
    be->matmul_forward(t->g2, t->b1, PRM(t, p, P_DW2), PRM(t, p, P_DB2), N, H, H);
    be->gelu_forward(t->b2, t->g2, (size_t)N * H);
    be->matmul_forward(t->yp, t->b2, PRM(t, p, P_DW3), PRM(t, p, P_DB3), N, H, PF);
}

float tokenizer_forward(tokenizer_t *t, float *mse_out)
{
    const int N = t->batch * t->T;
    if (N < 1) die("tokenizer_forward: no frames (call tokenizer_set_frames first)");
    encoder_forward(t, N);
    decoder_forward(t, N);
    t->be->mse_forward(t->loss_mse, t->yp, t->x, N, t->PF);
    t->be->l1_forward(t->loss_l1, t->yp, t->x, N, t->PF);
    t->be->to_host(t->host_loss, t->loss_mse, (size_t)N * sizeof(float));
    t->be->to_host(t->host_loss + N, t->loss_l1, (size_t)N * sizeof(float));
    double mse = 0, l1 = 0;
    for (int n = 0; n < N; n++) mse += t->host_loss[n], l1 += t->host_loss[N + n];
    mse /= N;
    l1 /= N;
    double disc = 0;
    if (t->R) {
        const int B = t->batch, S = t->cfg.px, C = t->cfg.channels, F = S * S * C;
        t->be->unpatchify_forward(t->yimg, t->yp, B, S, S, C, t->cfg.patch);
        t->be->matmul_forward(t->pool_y, t->yimg, t->R, NULL, B, F, t->Q);
        t->be->matmul_forward(t->pool_x, t->img, t->R, NULL, B, F, t->Q);
        t->be->mse_forward(t->loss_disc, t->pool_y, t->pool_x, B, t->Q);
        t->be->to_host(t->host_loss, t->loss_disc, (size_t)B * sizeof(float));
        for (int b = 0; b < B; b++) disc += t->host_loss[b];
        disc /= B;
    }
    if (mse_out) *mse_out = (float)mse;
    return (float)(mse + t->cfg.l1_weight * l1 + t->cfg.disc_weight * disc);
}

void tokenizer_zero_grad(tokenizer_t *t)
{
    tokenizer_alloc_train(t);
    t->be->zero(t->grad, t->n_params * sizeof(float));
}

void tokenizer_backward(tokenizer_t *t)
{
    if (!t->grad) die("tokenizer_backward: call tokenizer_zero_grad first");
    const backend_t *be = t->be;
    const int N = t->batch * t->T, H = t->H, D = t->D, PF = t->PF, T = t->T;
    const float *p = t->param;
    float *g = t->grad;
    be->zero(t->dact, t->dact_floats * sizeof(float));
    /* loss = mean over rows of (mse_row + l1_weight * l1_row) */
    be->mse_backward(t->dyp, t->yp, t->x, N, PF, 1.0f / (float)N);
    if (t->cfg.l1_weight > 0) be->l1_backward(t->dyp, t->yp, t->x, N, PF, t->cfg.l1_weight / (float)N);
    if (t->R) { /* disc loss: mean over frames of the MSE of R.y against R.x */
        const int B = t->batch, S = t->cfg.px, C = t->cfg.channels, F = S * S * C;
        be->zero(t->dpool, (size_t)B * t->Q * sizeof(float));
        be->zero(t->dyimg, (size_t)B * F * sizeof(float));
        be->mse_backward(t->dpool, t->pool_y, t->pool_x, B, t->Q, t->cfg.disc_weight / (float)B);
        be->matmul_backward(t->dyimg, NULL, NULL, t->dpool, t->yimg, t->R, B, F, t->Q);
        be->unpatchify_backward(t->dyp, t->dyimg, B, S, S, C, t->cfg.patch);
    }
    /* decoder */
    be->matmul_backward(t->db2, PRM(t, g, P_DW3), PRM(t, g, P_DB3), t->dyp, t->b2, PRM(t, p, P_DW3), N, H, PF);
    be->gelu_backward(t->dg2, t->db2, t->g2, (size_t)N * H);
    be->matmul_backward(t->db1, PRM(t, g, P_DW2), PRM(t, g, P_DB2), t->dg2, t->b1, PRM(t, p, P_DW2), N, H, H);
    be->gelu_backward(t->dg1, t->db1, t->g1, (size_t)N * H);
    /* g1 = fc1(zhat) + pos: both terms receive dg1 unchanged */
    be->embedding_backward(PRM(t, g, P_DPOS), t->dg1, t->pos_ids, N, H, T);
    be->matmul_backward(t->dzhat, PRM(t, g, P_DW1), PRM(t, g, P_DB1), t->dg1, t->zhat, PRM(t, p, P_DW1), N, D, H);
    if (t->freeze_encoder) return; /* codes fixed: only the decoder learns */
    /* FSQ: straight-through */
    be->fsq_backward(t->dz, t->dzhat, t->z, t->cfg.levels, N, D);
    /* encoder */
    be->matmul_backward(t->da2, PRM(t, g, P_EW3), PRM(t, g, P_EB3), t->dz, t->a2, PRM(t, p, P_EW3), N, H, D);
    be->gelu_backward(t->dh2, t->da2, t->h2, (size_t)N * H);
    be->matmul_backward(t->da1, PRM(t, g, P_EW2), PRM(t, g, P_EB2), t->dh2, t->a1, PRM(t, p, P_EW2), N, H, H);
    be->gelu_backward(t->dh1, t->da1, t->h1, (size_t)N * H);
    be->embedding_backward(PRM(t, g, P_EPOS), t->dh1, t->pos_ids, N, H, T);
    const int S = t->cfg.px, P = t->cfg.patch, M = t->cfg.margin;
    be->conv2d_backward(NULL, PRM(t, g, P_EW1), PRM(t, g, P_EB1), t->dh1, t->img, PRM(t, p, P_EW1), t->scratch,
                        t->batch, S, S, t->cfg.channels, H, P + 2 * M, P, M);
}

float tokenizer_adamw_step(tokenizer_t *t, float lr, float beta1, float beta2, float eps, float weight_decay,
                           float max_norm, int t_step)
{
    const backend_t *be = t->be;
    if (!t->grad) die("tokenizer_adamw_step: no gradients (call tokenizer_zero_grad/backward first)");
    /* the padding between tensors holds zeros in param and grad, so one pass covers all */
    float *nsq = t->loss_mse; /* a scratch float in backend memory (overwritten by forward) */
    be->zero(nsq, sizeof(float));
    be->norm_sq_accumulate(nsq, t->grad, t->n_params);
    float host_nsq;
    be->to_host(&host_nsq, nsq, sizeof(float));
    float norm = sqrtf(host_nsq);
    float scale = grad_clip_scale(norm, max_norm);
    for (int i = t->freeze_encoder ? P_DW1 : 0; i < TOKENIZER_N_PARAMS; i++) {
        const tokenizer_param_t *pp = &t->params[i];
        be->adamw_update(t->param + pp->offset, t->grad + pp->offset, t->m + pp->offset, t->v + pp->offset, pp->n,
                         lr, beta1, beta2, eps, pp->decay ? weight_decay : 0.0f, scale, t_step);
    }
    return norm;
}

/* ---- encode / decode --------------------------------------------------------------------- */

void tokenizer_encode(tokenizer_t *t, const uint8_t *rgb, int B, int *codes)
{
    const size_t fb = (size_t)t->cfg.px * (size_t)t->cfg.px * (size_t)t->cfg.channels;
    for (int b0 = 0; b0 < B; b0 += t->max_batch) {
        int nb = B - b0 < t->max_batch ? B - b0 : t->max_batch;
        tokenizer_set_frames(t, rgb + (size_t)b0 * fb, nb);
        encoder_forward(t, nb * t->T);
        t->be->to_host(codes + (size_t)b0 * t->T, t->codes, (size_t)nb * t->T * sizeof(int));
    }
}

void tokenizer_decode(tokenizer_t *t, const int *codes, int B, uint8_t *rgb)
{
    const backend_t *be = t->be;
    const int S = t->cfg.px, C = t->cfg.channels;
    const size_t fb = (size_t)S * (size_t)S * (size_t)C;
    const long K = tokenizer_codebook(&t->cfg);
    for (int b0 = 0; b0 < B; b0 += t->max_batch) {
        int nb = B - b0 < t->max_batch ? B - b0 : t->max_batch;
        int N = nb * t->T;
        for (int n = 0; n < N; n++) {
            int c = codes[(size_t)b0 * t->T + n];
            if (c < 0 || c >= K) die("tokenizer_decode: code %d outside 0..%ld", c, K - 1);
            t->host_codes[n] = c;
        }
        be->to_device(t->codes, t->host_codes, (size_t)N * sizeof(int));
        be->fsq_decode(t->zhat, t->codes, t->cfg.levels, N, t->D);
        decoder_forward(t, N);
        be->unpatchify_forward(t->img, t->yp, nb, S, S, C, t->cfg.patch);
        be->to_host(t->host_img, t->img, (size_t)nb * fb * sizeof(float));
        uint8_t *out = rgb + (size_t)b0 * fb;
        for (size_t i = 0; i < (size_t)nb * fb; i++) {
            float v = (t->host_img[i] + 1.0f) * 127.5f;
            v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
            out[i] = (uint8_t)lrintf(v);
        }
    }
}
