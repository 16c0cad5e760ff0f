/* idm.c: the inverse dynamics model (idm.h): pooled disc colours of two frames, their
 * difference and the one-hot digits of the LDM codes -> a 2-hidden-layer GELU MLP -> move
 * logits; forward/backward through the backend table, AdamW, GGUF weights; the hash-chosen
 * labelled subset and the one function that reads its labels.
 *
 * Dimension letters: B examples, Q = N*N*3 pooled values per frame, IN inputs, W hidden width,
 * V = N*N + 1 classes, H codes per example, D FSQ digits per code, OH one-hot floats per code. */
#include "model/idm.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"
#include "model/checkpoint.h"
#include "render/render.h"

/* ---- configuration ------------------------------------------------------------------- */

int idm_preset(const char *name, idm_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    if (!strcmp(name, "cpu")) cfg->hidden = 512;
    else if (!strcmp(name, "tiny")) cfg->hidden = 32;
    else return -1;
    snprintf(cfg->preset, sizeof cfg->preset, "%s", name);
    /* the LDM's cpu preset; the trainer overwrites these with the LDM file's values */
    cfg->board_size = 9;
    cfg->px = 64;
    cfg->channels = 3;
    cfg->horizon = 5;
    cfg->n_levels = 4;
    const int lv[4] = {8, 5, 5, 5};
    memcpy(cfg->levels, lv, sizeof lv);
    cfg->label_fraction = 0.1;
    cfg->label_seed = 1;
    return 0;
}

int idm_classes(const idm_config_t *cfg)
{
    return cfg->board_size * cfg->board_size + 1;
}

static int onehot_per_code(const idm_config_t *cfg)
{
    int s = 0;
    for (int d = 0; d < cfg->n_levels; d++) s += cfg->levels[d];
    return s;
}

int idm_inputs(const idm_config_t *cfg)
{
    return 3 * cfg->board_size * cfg->board_size * cfg->channels + cfg->horizon * onehot_per_code(cfg);
}

int idm_config_check(const idm_config_t *c, char *err, size_t errlen)
{
    const char *why = NULL;
    if (c->board_size < 2 || c->board_size > 19) why = "board size outside 2..19";
    else if (c->px < 8 || c->px > 4096) why = "frame side outside 8..4096";
    else if (c->channels != 3) why = "frames are RGB (3 channels)";
    else if (c->hidden < 1 || c->hidden > 65536) why = "hidden width outside 1..65536";
    else if (c->horizon < 1 || c->horizon > IDM_MAX_HORIZON) why = "horizon outside 1..16";
    else if (!(c->label_fraction >= 0.0 && c->label_fraction <= 1.0)) why = "label fraction outside [0, 1]";
    if (why) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    return fsq_levels_check(c->levels, c->n_levels, IDM_MAX_LEVELS, 1L << 30, "idm", err, errlen);
}

/* The integer keys, each an int field of idm_config_t stored as u32. */
static const struct {
    const char *key;
    size_t off;
} int_keys[] = {
    {"idm.board_size", offsetof(idm_config_t, board_size)}, {"idm.frame_px", offsetof(idm_config_t, px)},
    {"idm.channels", offsetof(idm_config_t, channels)},     {"idm.hidden", offsetof(idm_config_t, hidden)},
    {"idm.horizon", offsetof(idm_config_t, horizon)},
};
#define N_INT_KEYS (sizeof int_keys / sizeof int_keys[0])

void idm_config_write(weights_writer_t *w, const idm_config_t *c)
{
    weights_writer_kv_str(w, "idm.preset", c->preset[0] ? c->preset : "custom");
    for (size_t k = 0; k < N_INT_KEYS; k++)
        weights_writer_kv_u32(w, int_keys[k].key, (uint32_t) * (const int *)((const char *)c + int_keys[k].off));
    int32_t lv[IDM_MAX_LEVELS];
    for (int d = 0; d < c->n_levels; d++) lv[d] = c->levels[d];
    weights_writer_kv_arr_i32(w, "idm.ldm_levels", lv, (size_t)c->n_levels);
    weights_writer_kv_f64(w, "idm.label_fraction", c->label_fraction);
    weights_writer_kv_u64(w, "idm.label_seed", c->label_seed);
    weights_writer_kv_u64(w, "idm.labelled_positions", c->labelled_positions);
    weights_writer_kv_str(w, "idm.ldm_sha256", c->ldm_sha256);
    weights_writer_kv_str(w, "idm.tokenizer_sha256", c->tokenizer_sha256);
    weights_writer_kv_str(w, "idm.input", "disc-pooling");
}

void idm_config_read(const weights_t *w, idm_config_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->preset, sizeof c->preset, "%s", weights_need_str(w, "idm.preset"));
    for (size_t k = 0; k < N_INT_KEYS; k++)
        *(int *)((char *)c + int_keys[k].off) = (int)weights_need_u32(w, int_keys[k].key);
    int64_t nl = weights_arr_len(w, "idm.ldm_levels");
    if (nl < 1 || nl > IDM_MAX_LEVELS)
        die("%s: idm.ldm_levels must hold 1..%d levels (found %lld); %s", w->path, IDM_MAX_LEVELS, (long long)nl,
            weights_regen_hint(w));
    c->n_levels = (int)nl;
    int32_t lv[IDM_MAX_LEVELS];
    weights_need_arr(w, "idm.ldm_levels", WEIGHTS_KV_I32, lv, (size_t)nl);
    for (int d = 0; d < c->n_levels; d++) c->levels[d] = lv[d];
    if (weights_get_f64(w, "idm.label_fraction", &c->label_fraction))
        die("%s: key idm.label_fraction (f64) missing; %s", w->path, weights_regen_hint(w));
    c->label_seed = weights_need_u64(w, "idm.label_seed");
    c->labelled_positions = weights_need_u64(w, "idm.labelled_positions");
    snprintf(c->ldm_sha256, sizeof c->ldm_sha256, "%s", weights_need_str(w, "idm.ldm_sha256"));
    snprintf(c->tokenizer_sha256, sizeof c->tokenizer_sha256, "%s", weights_need_str(w, "idm.tokenizer_sha256"));
    if (strcmp(weights_need_str(w, "idm.input"), "disc-pooling"))
        die("%s: idm.input is '%s'; this build reads 'disc-pooling'; %s", w->path, weights_need_str(w, "idm.input"),
            weights_regen_hint(w));
    char err[256];
    if (idm_config_check(c, err, sizeof err)) die("%s: bad idm hyperparameters: %s; %s", w->path, err, weights_regen_hint(w));
}

/* ---- construction -------------------------------------------------------------------- */

/* Parameters: the three matrices first, then the three biases, so that AdamW runs as two
 * contiguous calls (weight decay on the matrices only). */
enum { P_FC1_W, P_FC2_W, P_OUT_W, P_FC1_B, P_FC2_B, P_OUT_B };

static void *idm_be_alloc(const backend_t *be, size_t floats)
{
    void *p = be->alloc(floats ? floats * sizeof(float) : 64);
    if (!p) die("out of %s backend memory (%zu floats): use a smaller --batch", be->name, floats);
    be->zero(p, floats ? floats * sizeof(float) : 64);
    return p;
}

/* The dense pooling matrix of render.h as a sparse table: every nonzero of a row has the same
 * weight (1 / pixels in the disc). */
static void build_pooling(idm_t *m)
{
    const idm_config_t *c = &m->cfg;
    int Q = 0;
    float *R = render_disc_pooling(c->board_size, c->px, c->channels, &Q);
    if (!R) die("idm: no frame geometry for a %dx%d board at %d px", c->board_size, c->board_size, c->px);
    const size_t FB = (size_t)c->px * c->px * c->channels;
    size_t nnz = 0;
    for (size_t k = 0; k < (size_t)Q * FB; k++) nnz += R[k] != 0.0f;
    m->Q = Q;
    m->pool_start = xmalloc(((size_t)Q + 1) * sizeof(int));
    m->pool_px = xmalloc((nnz ? nnz : 1) * sizeof(int));
    m->pool_w = xmalloc((size_t)Q * sizeof(float));
    size_t at = 0;
    for (int r = 0; r < Q; r++) {
        m->pool_start[r] = (int)at;
        m->pool_w[r] = 0.0f;
        for (size_t k = 0; k < FB; k++) {
            float x = R[(size_t)r * FB + k];
            if (x == 0.0f) continue;
            m->pool_px[at++] = (int)k;
            m->pool_w[r] = x;
        }
    }
    m->pool_start[Q] = (int)at;
    free(R);
}

/* One backend block of rows x (sum of widths) floats, cut into [rows, widths[i]] pieces *out[i]. */
static float *block_of_pieces(const backend_t *be, size_t rows, const size_t *widths, float **const *out, int n,
                              size_t *total)
{
    size_t all = 0;
    for (int i = 0; i < n; i++) all += widths[i];
    float *blk = idm_be_alloc(be, rows * all);
    for (int i = 0, at = 0; i < n; at += (int)widths[i], i++) *out[i] = blk + rows * (size_t)at;
    *total = rows * all;
    return blk;
}

/* An IDM of configuration *cfg, or of the one weights file w holds when w is not NULL. */
static idm_t *idm_alloc(const idm_config_t *cfg, const weights_t *w, const backend_t *be, int max_batch)
{
    idm_config_t from_file;
    if (w) idm_config_read(w, &from_file), cfg = &from_file;
    char err[256] = "max_batch outside 1..65536";
    if (max_batch < 1 || max_batch > 65536 || idm_config_check(cfg, err, sizeof err)) die("idm: %s", err);
    idm_t *m = xcalloc(1, sizeof *m);
    *m = (idm_t){.cfg = *cfg, .be = be, .max_batch = max_batch, .IN = idm_inputs(cfg), .W = cfg->hidden,
                 .V = idm_classes(cfg), .H = cfg->horizon, .D = cfg->n_levels, .OH = onehot_per_code(cfg)};
    build_pooling(m);

    const int64_t shapes[IDM_N_PARAMS][2] = {{m->W, m->IN}, {m->W, m->W}, {m->V, m->W}, {m->W, 0}, {m->W, 0}, {m->V, 0}};
    static const char *const names[IDM_N_PARAMS] = {"fc1.weight", "fc2.weight", "out.weight",
                                                     "fc1.bias",   "fc2.bias",   "out.bias"};
    size_t off = 0;
    for (int i = 0; i < IDM_N_PARAMS; i++) {
        model_param_t *p = &m->params[i];
        p->name = names[i];
        p->ndim = shapes[i][1] ? 2 : 1;
        p->dims[0] = shapes[i][0];
        p->dims[1] = shapes[i][1];
        p->n = (size_t)shapes[i][0] * (size_t)(shapes[i][1] ? shapes[i][1] : 1);
        p->decay = i < P_FC1_B;
        p->offset = off;
        off += p->n; /* packed: the decayed block is [0, params[P_FC1_B].offset) */
    }
    m->n_params = off;
    m->param = idm_be_alloc(be, m->n_params);

    const size_t B = (size_t)max_batch, W = (size_t)m->W;
    const size_t widths[] = {(size_t)m->IN, W, W, W, W, (size_t)m->V, 1};
    float **const pieces[] = {&m->feat, &m->h1, &m->a1, &m->h2, &m->a2, &m->logits, &m->loss};
    m->act = block_of_pieces(be, B, widths, pieces, 7, &m->act_floats);
    m->targets = be->alloc(B * sizeof(int));
    if (!m->targets) die("out of %s backend memory", be->name);
    m->host_feat = xmalloc(B * (size_t)m->IN * sizeof(float));
    m->host_pool = xmalloc(2 * B * (size_t)m->Q * sizeof(float));
    m->host_loss = xmalloc(B * sizeof(float));
    m->host_targets = xmalloc(B * sizeof(int));
    return m;
}

idm_t *idm_new(const idm_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed)
{
    idm_t *m = idm_alloc(cfg, NULL, be, max_batch);
    /* the matrices (packed first): uniform with variance 1/fan_in; the biases stay 0 */
    float *host = xcalloc(m->n_params, sizeof(float));
    rng_t r;
    rng_seed(&r, seed);
    for (size_t k = 0, i = P_FC1_W; k < m->params[P_FC1_B].offset; k++) {
        i += k == m->params[i].offset + m->params[i].n;
        host[k] = (float)((2.0 * rng_uniform(&r) - 1.0) * sqrt(3.0 / (double)m->params[i].dims[1]));
    }
    be->to_device(m->param, host, m->n_params * sizeof(float));
    free(host);
    return m;
}

void idm_write(const idm_t *m, const char *path, const checkpoint_state_t *st, int argc, char *const *argv,
               void (*extra)(weights_writer_t *w, const void *ctx), const void *ctx)
{
    weights_writer_t *w = st ? checkpoint_writer_new(IDM_ARCH, st) : weights_writer_new(IDM_ARCH);
    if (!st) weights_writer_set_name(w, "videogo inverse dynamics model");
    weights_writer_set_command(w, argc, argv);
    idm_config_write(w, &m->cfg);
    if (extra) extra(w, ctx);
    if (st) params_checkpoint_save(w, m->be, m->params, IDM_N_PARAMS, m->n_params, m->param, m->m, m->v);
    else params_save(w, m->be, m->params, IDM_N_PARAMS, m->n_params, m->param);
    char err[WEIGHTS_ERR_LEN];
    const int failed = weights_writer_save(w, path, err, sizeof err);
    weights_writer_free(w);
    if (failed) die("%s", err);
}

void idm_save(const idm_t *m, const char *path, int argc, char *const *argv)
{
    idm_write(m, path, NULL, argc, argv, NULL, NULL);
}

idm_t *idm_build_from_file(const char *path, const backend_t *be, int max_batch)
{
    char err[WEIGHTS_ERR_LEN];
    weights_t w;
    const int unreadable = weights_open(&w, path, err, sizeof err) != 0;
    if (unreadable || !w.arch || strcmp(w.arch, IDM_ARCH))
        die("%s%s\nhint: the shipped IDM is weights/idm-9x9.gguf; `videogo train idm` makes one (weights/README.md)",
            unreadable ? err : path, unreadable ? "" : ": not an IDM weights file (general.architecture is not 'idm')");
    idm_t *m = idm_alloc(NULL, &w, be, max_batch);
    params_load(&w, be, m->params, IDM_N_PARAMS, m->param);
    weights_close(&w);
    return m;
}

void idm_free(idm_t *m)
{
    if (!m) return;
    const backend_t *be = m->be;
    void *device[] = {m->param, m->grad, m->m, m->v, m->act, m->dact, m->targets};
    void *host[] = {m->pool_start, m->pool_px, m->pool_w, m->host_feat, m->host_pool, m->host_loss, m->host_targets, m};
    for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) be->free(device[i]);
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
}

/* ---- inputs -------------------------------------------------------------------------- */

void idm_pool(const idm_t *m, const uint8_t *rgb, int B, float *pool)
{
    const size_t FB = (size_t)m->cfg.px * m->cfg.px * m->cfg.channels;
    for (int b = 0; b < B; b++) {
        const uint8_t *f = rgb + (size_t)b * FB;
        float *out = pool + (size_t)b * m->Q;
        for (int r = 0; r < m->Q; r++) {
            int s = 0; /* exact integer sum of the disc's bytes */
            for (int k = m->pool_start[r]; k < m->pool_start[r + 1]; k++) s += f[m->pool_px[k]];
            out[r] = (float)s * m->pool_w[r];
        }
    }
}

void idm_set_inputs(idm_t *m, const float *pool_t, const float *pool_next, const int *ldm, int B)
{
    if (B < 1 || B > m->max_batch) die("idm: batch %d outside 1..%d", B, m->max_batch);
    const int Q = m->Q, IN = m->IN;
    const long K = fsq_codebook_size(m->cfg.levels, m->D);
    for (int b = 0; b < B; b++) {
        float *x = m->host_feat + (size_t)b * IN;
        const float *pt = pool_t + (size_t)b * Q, *pn = pool_next + (size_t)b * Q;
        for (int q = 0; q < Q; q++) {
            x[q] = pt[q] * (1.0f / 127.5f) - 1.0f;
            x[Q + q] = pn[q] * (1.0f / 127.5f) - 1.0f;
            x[2 * Q + q] = (pn[q] - pt[q]) * (1.0f / 127.5f);
        }
        float *oh = x + 3 * Q;
        memset(oh, 0, (size_t)m->H * m->OH * sizeof(float));
        for (int h = 0; h < m->H; h++) {
            long code = ldm[(size_t)b * m->H + h];
            if (code < 0 || code >= K) die("idm: LDM code %ld outside 0..%ld", code, K - 1);
            float *o = oh + (size_t)h * m->OH;
            for (int d = 0; d < m->D; d++) { /* mixed radix, dimension 0 least significant */
                o[code % m->cfg.levels[d]] = 1.0f;
                code /= m->cfg.levels[d];
                o += m->cfg.levels[d];
            }
        }
    }
    m->be->to_device(m->feat, m->host_feat, (size_t)B * IN * sizeof(float));
    m->batch = B;
}

/* ---- forward / backward -------------------------------------------------------------- */

#define PRM(m, base, i) ((base) + (m)->params[(i)].offset)

float idm_forward(idm_t *m, const int *targets)
{
    const backend_t *be = m->be;
    const int B = m->batch, IN = m->IN, W = m->W, V = m->V;
    if (B < 1) die("idm_forward: no inputs (call idm_set_inputs first)");
    const float *p = m->param;
    be->matmul_forward(m->h1, m->feat, PRM(m, p, P_FC1_W), PRM(m, p, P_FC1_B), B, IN, W);
    be->gelu_forward(m->a1, m->h1, (size_t)B * W);
    be->matmul_forward(m->h2, m->a1, PRM(m, p, P_FC2_W), PRM(m, p, P_FC2_B), B, W, W);
    be->gelu_forward(m->a2, m->h2, (size_t)B * W);
    be->matmul_forward(m->logits, m->a2, PRM(m, p, P_OUT_W), PRM(m, p, P_OUT_B), B, W, V);
    m->n_target = 0;
    if (!targets) return 0.0f;
    for (int b = 0; b < B; b++) {
        if (targets[b] >= V) die("idm: target %d outside 0..%d", targets[b], V - 1);
        m->host_targets[b] = targets[b];
        m->n_target += targets[b] >= 0;
    }
    be->to_device(m->targets, m->host_targets, (size_t)B * sizeof(int));
    be->softmax_cross_entropy(m->loss, NULL, m->logits, m->targets, B, V, V, 0.0f);
    be->to_host(m->host_loss, m->loss, (size_t)B * sizeof(float));
    double s = 0;
    for (int b = 0; b < B; b++) s += m->host_loss[b];
    return m->n_target ? (float)(s / m->n_target) : 0.0f;
}

void idm_zero_grad(idm_t *m)
{
    const backend_t *be = m->be;
    if (!m->grad) {
        m->grad = idm_be_alloc(be, m->n_params);
        m->m = idm_be_alloc(be, m->n_params);
        m->v = idm_be_alloc(be, m->n_params);
        const size_t W = (size_t)m->W, widths[] = {(size_t)m->V, W, W, W, W};
        float **const pieces[] = {&m->dlogits, &m->da2, &m->dh2, &m->da1, &m->dh1};
        m->dact = block_of_pieces(be, (size_t)m->max_batch, widths, pieces, 5, &m->dact_floats);
    }
    be->zero(m->grad, m->n_params * sizeof(float));
}

void idm_backward(idm_t *m)
{
    if (!m->grad) die("idm_backward: call idm_zero_grad first");
    const backend_t *be = m->be;
    const int B = m->batch, IN = m->IN, W = m->W, V = m->V;
    if (!m->n_target) return;
    const float *p = m->param;
    float *g = m->grad;
    be->zero(m->dact, m->dact_floats * sizeof(float));
    be->softmax_cross_entropy(m->loss, m->dlogits, m->logits, m->targets, B, V, V, 1.0f / (float)m->n_target);
    be->matmul_backward(m->da2, PRM(m, g, P_OUT_W), PRM(m, g, P_OUT_B), m->dlogits, m->a2, PRM(m, p, P_OUT_W), B, W, V);
    be->gelu_backward(m->dh2, m->da2, m->h2, (size_t)B * W);
    be->matmul_backward(m->da1, PRM(m, g, P_FC2_W), PRM(m, g, P_FC2_B), m->dh2, m->a1, PRM(m, p, P_FC2_W), B, W, W);
    be->gelu_backward(m->dh1, m->da1, m->h1, (size_t)B * W);
    be->matmul_backward(NULL, PRM(m, g, P_FC1_W), PRM(m, g, P_FC1_B), m->dh1, m->feat, PRM(m, p, P_FC1_W), B, IN, W);
}

float idm_adamw_step(idm_t *m, float lr, float beta1, float beta2, float eps, float weight_decay, float max_norm,
                     int t_step)
{
    if (!m->grad) die("idm_adamw_step: no gradients (call idm_zero_grad/backward first)");
    const backend_t *be = m->be;
    be->zero(m->loss, sizeof(float)); /* a backend scratch float (forward overwrites it) */
    be->norm_sq_accumulate(m->loss, m->grad, m->n_params);
    float nsq;
    be->to_host(&nsq, m->loss, sizeof(float));
    const float norm = sqrtf(nsq), scale = grad_clip_scale(norm, max_norm);
    const size_t split = m->params[P_FC1_B].offset; /* matrices below, biases above */
    be->adamw_update(m->param, m->grad, m->m, m->v, split, lr, beta1, beta2, eps, weight_decay, scale, t_step);
    be->adamw_update(m->param + split, m->grad + split, m->m + split, m->v + split, m->n_params - split, lr, beta1,
                     beta2, eps, 0.0f, scale, t_step);
    return norm;
}

void idm_read_logits(idm_t *m, float *logits)
{
    m->be->to_host(logits, m->logits, (size_t)m->batch * m->V * sizeof(float));
}

void idm_logits(idm_t *m, const uint8_t *rgb_t, const uint8_t *rgb_next, const int *ldm, int B, float *logits)
{
    const size_t FB = (size_t)m->cfg.px * m->cfg.px * m->cfg.channels;
    for (int b0 = 0; b0 < B; b0 += m->max_batch) {
        const int nb = B - b0 < m->max_batch ? B - b0 : m->max_batch;
        float *pt = m->host_pool, *pn = m->host_pool + (size_t)nb * m->Q;
        idm_pool(m, rgb_t + (size_t)b0 * FB, nb, pt);
        idm_pool(m, rgb_next + (size_t)b0 * FB, nb, pn);
        idm_set_inputs(m, pt, pn, ldm + (size_t)b0 * m->H, nb);
        idm_forward(m, NULL);
        idm_read_logits(m, logits + (size_t)b0 * m->V);
    }
}

/* ---- the labelled subset --------------------------------------------------------------- */

bool idm_labelled(uint64_t i, double fraction, uint64_t seed)
{
    if (fraction >= 1.0) return true;
    uint64_t h = splitmix64(splitmix64(i) ^ seed);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0) < fraction; /* top 53 bits in [0, 1) */
}

void idm_labels_init(idm_labels_t *L, const dataset_t *ds, double fraction, uint64_t seed)
{
    memset(L, 0, sizeof *L);
    L->ds = ds;
    L->fraction = fraction;
    L->seed = seed;
    L->seen = xcalloc((size_t)(dataset_info(ds)->n_frames / 8 + 1), 1);
}

void idm_labels_free(idm_labels_t *L)
{
    free(L->seen);
    L->seen = NULL;
}

int idm_label(idm_labels_t *L, uint64_t i, int sym)
{
    if (i >= dataset_info(L->ds)->n_frames || !idm_labelled(i, L->fraction, L->seed)) return -1;
    if (dataset_frames_after(L->ds, i) < 1) return -1; /* a game's last frame: no move */
    const int np = (int)(dataset_info(L->ds)->board_size * dataset_info(L->ds)->board_size);
    int mv = dataset_label_move(L->ds, i, sym);
    L->reads++;
    if (!(L->seen[i / 8] & (1u << (i % 8)))) {
        L->seen[i / 8] |= (uint8_t)(1u << (i % 8));
        L->positions++;
    }
    if (mv == VERTEX_PASS) return np;
    return mv >= 0 && mv < np ? mv : -1;
}
