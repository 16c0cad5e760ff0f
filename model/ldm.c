/* ldm.c: the latent dynamics model (ldm.h): frame windows from a shard, a cross-attention
 * encoder with H learned queries and an FSQ code each, a per-token MLP decoder that rebuilds
 * the future frames from x_t and the codes; forward/backward built only from the kernels' ops
 * through the backend table, AdamW over one parameter block, GGUF weights save/load.
 *
 * Dimension letters: B windows, F = H+1 frames per window, T tokens per frame, S frame side,
 * PF = P*P*3 patch features, C width, D FSQ dimensions, NK = B*F*T key rows, NQ = B*H query
 * rows, NX = B*T rows of x_t, ND = B*H*T decoder rows. */
#include "model/ldm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"

/* ---- configuration ------------------------------------------------------------------- */

int ldm_preset(const char *name, ldm_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    if (!strcmp(name, "paper")) {
        *cfg = (ldm_config_t){.board_size = 9, .px = 256, .channels = 3, .patch = 64, .horizon = 5, .width = 512,
                              .heads = 8, .n_levels = 6, .levels = {8, 8, 8, 5, 5, 5}, .disc_weight = 0.0f};
    } else if (!strcmp(name, "cpu")) {
        /* 64-px frames as the tokenizer's cpu preset; 1,000 codes (>= 82 moves with room);
         * no disc loss (measured, ldm.h) */
        *cfg = (ldm_config_t){.board_size = 9, .px = 64, .channels = 3, .patch = 16, .horizon = 5, .width = 128,
                              .heads = 4, .n_levels = 4, .levels = {8, 5, 5, 5}, .disc_weight = 0.0f};
    } else if (!strcmp(name, "grid")) {
        /* with the grid tokenizer's 72-px frames: one 8-px patch per intersection (81 tokens),
         * H = 1, FSQ levels [9, 9, 3]: a grid of codes shaped like the board (rows, columns) and
         * a digit for the colour (or none), so that a code can be one move of one colour: the
         * decoder sees x_t, which does not say who is to move */
        *cfg = (ldm_config_t){.board_size = 9, .px = 72, .channels = 3, .patch = 8, .horizon = 1, .width = 128,
                              .heads = 4, .n_levels = 3, .levels = {9, 9, 3}, .disc_weight = 0.0f, .gated = 1};
    } else if (!strcmp(name, "tiny")) { /* tests: the disc loss on, so its path is exercised */
        *cfg = (ldm_config_t){.board_size = 9, .px = 32, .channels = 3, .patch = 8, .horizon = 5, .width = 32,
                              .heads = 2, .n_levels = 4, .levels = {8, 5, 5, 5}, .disc_weight = 1.0f};
    } else {
        return -1;
    }
    snprintf(cfg->preset, sizeof cfg->preset, "%s", name);
    return 0;
}

int ldm_tokens(const ldm_config_t *cfg)
{
    int g = cfg->px / cfg->patch;
    return g * g;
}

long ldm_codebook(const ldm_config_t *cfg)
{
    return fsq_codebook_size(cfg->levels, cfg->n_levels);
}

int ldm_config_check(const ldm_config_t *c, char *err, size_t errlen)
{
    if (c->board_size < 2 || c->board_size > 25) {
        snprintf(err, errlen, "board size %d outside 2..25", c->board_size);
        return -1;
    }
    if (c->px < 8 || c->px > 4096 || c->patch < 1 || c->px % c->patch) {
        snprintf(err, errlen, "frame side %d must be 8..4096 and a multiple of the patch side %d", c->px, c->patch);
        return -1;
    }
    if (c->channels != 3) {
        snprintf(err, errlen, "channels %d: frames are RGB (3)", c->channels);
        return -1;
    }
    if (c->horizon < 1 || c->horizon > LDM_MAX_HORIZON) {
        snprintf(err, errlen, "horizon %d outside 1..%d", c->horizon, LDM_MAX_HORIZON);
        return -1;
    }
    if (c->width < 1 || c->width > 65536 || c->heads < 1 || c->width % c->heads) {
        snprintf(err, errlen, "width %d must be 1..65536 and a multiple of the heads (%d)", c->width, c->heads);
        return -1;
    }
    if (fsq_levels_check(c->levels, c->n_levels, LDM_MAX_LEVELS, 1L << 30, "ldm", err, errlen)) return -1;
    if (!(c->disc_weight >= 0.0f && c->disc_weight < 1e6f)) {
        snprintf(err, errlen, "disc weight %g must be >= 0", (double)c->disc_weight);
        return -1;
    }
    return 0;
}

void ldm_config_write(weights_writer_t *w, const ldm_config_t *c)
{
    weights_writer_kv_str(w, "ldm.preset", c->preset[0] ? c->preset : "custom");
    weights_writer_kv_u32(w, "ldm.board_size", (uint32_t)c->board_size);
    weights_writer_kv_u32(w, "ldm.frame_px", (uint32_t)c->px);
    weights_writer_kv_u32(w, "ldm.channels", (uint32_t)c->channels);
    weights_writer_kv_u32(w, "ldm.patch", (uint32_t)c->patch);
    weights_writer_kv_u32(w, "ldm.horizon", (uint32_t)c->horizon);
    weights_writer_kv_u32(w, "ldm.width", (uint32_t)c->width);
    weights_writer_kv_u32(w, "ldm.heads", (uint32_t)c->heads);
    int32_t lv[LDM_MAX_LEVELS];
    for (int i = 0; i < c->n_levels; i++) lv[i] = c->levels[i];
    weights_writer_kv_arr_i32(w, "ldm.fsq_levels", lv, (size_t)c->n_levels);
    weights_writer_kv_u64(w, "ldm.codebook", (uint64_t)ldm_codebook(c));
    weights_writer_kv_str(w, "ldm.input", "pixels");
    weights_writer_kv_f32(w, "ldm.disc_weight", c->disc_weight);
    weights_writer_kv_str(w, "ldm.decoder", c->gated ? "swiglu" : "gelu");
}

void ldm_config_read(const weights_t *w, ldm_config_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->preset, sizeof c->preset, "%s", weights_need_str(w, "ldm.preset"));
    c->board_size = (int)weights_need_u32(w, "ldm.board_size");
    c->px = (int)weights_need_u32(w, "ldm.frame_px");
    c->channels = (int)weights_need_u32(w, "ldm.channels");
    c->patch = (int)weights_need_u32(w, "ldm.patch");
    c->horizon = (int)weights_need_u32(w, "ldm.horizon");
    c->width = (int)weights_need_u32(w, "ldm.width");
    c->heads = (int)weights_need_u32(w, "ldm.heads");
    int64_t nl = weights_arr_len(w, "ldm.fsq_levels");
    if (nl < 1 || nl > LDM_MAX_LEVELS)
        die("%s: ldm.fsq_levels must be an array of 1..%d levels (found %lld entries); %s", w->path, LDM_MAX_LEVELS,
            (long long)nl, weights_regen_hint(w));
    c->n_levels = (int)nl;
    int32_t lv[LDM_MAX_LEVELS];
    weights_need_arr(w, "ldm.fsq_levels", WEIGHTS_KV_I32, lv, (size_t)nl);
    for (int i = 0; i < c->n_levels; i++) c->levels[i] = lv[i];
    c->disc_weight = weights_need_f32(w, "ldm.disc_weight");
    const char *dec = "gelu"; /* files from before the key: the gelu decoder */
    weights_get_str(w, "ldm.decoder", &dec);
    if (strcmp(dec, "gelu") && strcmp(dec, "swiglu"))
        die("%s: ldm.decoder is '%s' (gelu or swiglu); %s", w->path, dec, weights_regen_hint(w));
    c->gated = !strcmp(dec, "swiglu");
    char err[256];
    if (ldm_config_check(c, err, sizeof err))
        die("%s: bad ldm hyperparameters: %s; %s", w->path, err, weights_regen_hint(w));
    if (weights_need_u64(w, "ldm.codebook") != (uint64_t)ldm_codebook(c))
        die("%s: ldm.codebook disagrees with ldm.fsq_levels; %s", w->path, weights_regen_hint(w));
    if (strcmp(weights_need_str(w, "ldm.input"), "pixels"))
        die("%s: ldm.input is '%s'; this build reads 'pixels' only; %s", w->path, weights_need_str(w, "ldm.input"),
            weights_regen_hint(w));
}

/* ---- construction -------------------------------------------------------------------- */

enum {
    P_EIN_W, P_EIN_B, P_EDIFF_W, P_EPOS, P_EFRAME, P_EFC_W, P_EFC_B, P_EKV_W, P_EKV_B, P_EQUERY, P_EOUT_W,
    P_EOUT_B, P_EZ_W, P_EZ_B, P_DX_W, P_DX_B, P_DPOS, P_DZ_W, P_DZ_B, P_DFRAME, P_DFC1_W, P_DFC1_B, P_DFC2_W,
    P_DFC2_B_ /* = LDM_N_PARAMS - 1 */
};
#define P_DFC2_B P_DFC2_B_

static void layout_params(ldm_t *l)
{
    const int64_t C = l->C, PF = l->PF, T = l->T, D = l->D, H = l->H, F = l->F, G = l->G;
    struct { const char *name; int64_t r, c; int decay; } spec[LDM_N_PARAMS] = {
        {"enc.in.weight", C, PF, 1},     {"enc.in.bias", C, 0, 0},        {"enc.diff.weight", C, PF, 1},
        {"enc.pos", T, C, 0},            {"enc.frame", F, C, 0},          {"enc.fc.weight", C, C, 1},
        {"enc.fc.bias", C, 0, 0},        {"enc.kv.weight", 2 * C, C, 1},  {"enc.kv.bias", 2 * C, 0, 0},
        {"enc.query", H, C, 0},          {"enc.out.weight", C, C, 1},     {"enc.out.bias", C, 0, 0},
        {"enc.z.weight", D, C, 1},       {"enc.z.bias", D, 0, 0},         {"dec.x.weight", G, PF, 1},
        {"dec.x.bias", G, 0, 0},         {"dec.pos", T, G, 0},            {"dec.z.weight", G, H * D, 1},
        {"dec.z.bias", G, 0, 0},         {"dec.frame", H, G, 0},          {"dec.fc1.weight", C, C, 1},
        {"dec.fc1.bias", C, 0, 0},       {"dec.fc2.weight", PF, C, 1},    {"dec.fc2.bias", PF, 0, 0},
    };
    _Static_assert(P_DFC2_B == LDM_N_PARAMS - 1, "parameter enum and table disagree");
    size_t off = 0;
    for (int i = 0; i < LDM_N_PARAMS; i++) {
        ldm_param_t *p = &l->params[i];
        p->name = spec[i].name;
        p->ndim = spec[i].c ? 2 : 1;
        p->dims[0] = spec[i].r;
        p->dims[1] = spec[i].c;
        p->n = (size_t)spec[i].r * (size_t)(spec[i].c ? spec[i].c : 1);
        p->decay = spec[i].decay;
        p->offset = off;
        off += (p->n + 15) & ~(size_t)15;
    }
    l->n_params = off;
}

#define PRM(l, base, i) ((base) + (l)->params[(i)].offset)

static void build_disc_pooling(ldm_t *l);

static ldm_t *ldm_alloc(const ldm_config_t *cfg, const backend_t *be, int max_batch)
{
    char err[256];
    if (ldm_config_check(cfg, err, sizeof err)) die("ldm: %s", err);
    if (max_batch < 1 || max_batch > 65536) die("ldm: max_batch %d outside 1..65536", max_batch);
    ldm_t *l = xcalloc(1, sizeof *l);
    l->cfg = *cfg;
    l->be = be;
    l->T = ldm_tokens(cfg);
    l->PF = cfg->patch * cfg->patch * cfg->channels;
    l->C = cfg->width;
    l->G = cfg->gated ? 2 * cfg->width : cfg->width;
    l->D = cfg->n_levels;
    l->H = cfg->horizon;
    l->F = cfg->horizon + 1;
    l->max_batch = max_batch;
    layout_params(l);
    l->param = params_alloc(be, l->n_params * sizeof(float));
    be->zero(l->param, l->n_params * sizeof(float));

    const size_t B = (size_t)max_batch, T = (size_t)l->T, F = (size_t)l->F, H = (size_t)l->H;
    const size_t C = (size_t)l->C, D = (size_t)l->D, PF = (size_t)l->PF, G = (size_t)l->G;
    const size_t NK = B * F * T, NQ = B * H, NX = B * T, ND = B * H * T;
    const size_t img = B * F * (size_t)cfg->px * (size_t)cfg->px * (size_t)cfg->channels;
    l->ad = attn_dims_cross(max_batch, l->H, l->F * l->T, l->C, cfg->heads);
    const size_t att = B * (size_t)cfg->heads * H * F * T;
    size_t sizes[] = {img, img, NK * PF, NK * PF, NK * C, NK * C, NK * C, NK * 2 * C,
                      NQ * C, NQ * C, att, NQ * C, NQ * C, NQ * D, NQ * D, NQ * H * D, NQ * G,
                      NX * PF, NX * G, ND * G, ND * C, ND * C, ND * C, ND * PF, ND * PF,
                      (NK * C > ND * G ? NK * C : ND * G), ND};
    float **ptrs[] = {&l->img, &l->dimg, &l->xtok, &l->dtok, &l->e, &l->ea, &l->eh, &l->kv,
                      &l->q, &l->ao, &l->att, &l->o, &l->og, &l->z, &l->zhat, &l->zmask, &l->zc,
                      &l->x0, &l->hx, &l->g, &l->g1, &l->g2, &l->g3, &l->y, &l->tgt,
                      &l->tmp, &l->loss};
    const size_t np = sizeof sizes / sizeof sizes[0];
    l->act_floats = params_carve(NULL, ptrs, sizes, np);
    l->act = params_alloc(be, l->act_floats * sizeof(float));
    be->zero(l->act, l->act_floats * sizeof(float));
    params_carve(l->act, ptrs, sizes, np);

    /* index arrays of the gathers (embedding ops), fixed for max_batch and the shapes */
    size_t isz[] = {NK, NK, NQ, NX, ND, ND, NQ, NX, ND};
    size_t itot = 0;
    for (size_t i = 0; i < 9; i++) itot += isz[i];
    int *h = xmalloc(itot * sizeof(int)), *p = h;
    int *kpos = p; p += NK;
    int *kframe = p; p += NK;
    int *qid = p; p += NQ;
    int *x0 = p; p += NX;
    int *bk = p; p += ND;
    int *bj = p; p += ND;
    int *jid = p; p += NQ;
    int *pos = p; p += NX;
    int *tg = p;
    for (size_t b = 0; b < B; b++) {
        for (size_t f = 0; f < F; f++)
            for (size_t k = 0; k < T; k++) {
                size_t r = (b * F + f) * T + k;
                kpos[r] = (int)k;
                kframe[r] = (int)f;
            }
        for (size_t j = 0; j < H; j++) {
            qid[b * H + j] = (int)j;
            jid[b * H + j] = (int)j;
            for (size_t k = 0; k < T; k++) {
                size_t r = (b * H + j) * T + k;
                bk[r] = (int)(b * T + k);
                bj[r] = (int)(b * H + j);
                tg[r] = (int)((b * F + j + 1) * T + k);
            }
        }
        for (size_t k = 0; k < T; k++) {
            x0[b * T + k] = (int)(b * F * T + k);
            pos[b * T + k] = (int)k;
        }
    }
    l->ids = params_alloc(be, itot * sizeof(int));
    be->to_device(l->ids, h, itot * sizeof(int));
    free(h);
    l->id_kpos = l->ids;
    l->id_kframe = l->id_kpos + NK;
    l->id_q = l->id_kframe + NK;
    l->id_x0 = l->id_q + NQ;
    l->id_bk = l->id_x0 + NX;
    l->id_bj = l->id_bk + ND;
    l->id_j = l->id_bj + ND;
    l->id_pos = l->id_j + NQ;
    l->id_tgt = l->id_pos + NX;
    l->codes = params_alloc(be, NQ * sizeof(int));
    l->host_img = xmalloc(img * sizeof(float));
    l->host_dimg = xmalloc(img * sizeof(float));
    l->host_loss = xmalloc(ND * sizeof(float));
    if (cfg->disc_weight > 0) build_disc_pooling(l);
    return l;
}

/* The disc pooling R [Q, S*S*3]: row (p*3 + c) averages channel c of the pixels whose centres
 * lie within 3/4 of the stone radius of intersection p's centre (render.h geometry), or the
 * pixel holding the centre when none does: the same matrix as the tokenizer's (tokenizer.c),
 * and its buffers for B*H predicted frames. */
static void build_disc_pooling(ldm_t *l)
{
    const ldm_config_t *cfg = &l->cfg;
    const size_t F = (size_t)cfg->px * cfg->px * cfg->channels;
    float *host = render_disc_pooling(cfg->board_size, cfg->px, cfg->channels, &l->Q);
    if (!host) die("ldm: no frame geometry for %d px", cfg->px);
    const backend_t *be = l->be;
    l->R = params_alloc(be, (size_t)l->Q * F * sizeof(float));
    be->to_device(l->R, host, (size_t)l->Q * F * sizeof(float));
    free(host);
    const size_t BH = (size_t)l->max_batch * (size_t)l->H, Q = (size_t)l->Q;
    size_t sizes[] = {BH * F, BH * F, BH * Q, BH * Q, BH, BH * Q, BH * F};
    float **ptrs[] = {&l->yimg, &l->timg, &l->pool_y, &l->pool_x, &l->loss_disc, &l->dpool, &l->dyimg};
    size_t total = params_carve(NULL, ptrs, sizes, 7);
    float *blk = params_alloc(be, total * sizeof(float));
    be->zero(blk, total * sizeof(float));
    params_carve(blk, ptrs, sizes, 7);
}

/* Gradients, AdamW moments and activation gradients: allocated on the first ldm_zero_grad. */
static void ldm_alloc_train(ldm_t *l)
{
    if (l->grad) return;
    const backend_t *be = l->be;
    size_t bytes = l->n_params * sizeof(float);
    l->grad = params_alloc(be, bytes);
    l->m = params_alloc(be, bytes);
    l->v = params_alloc(be, bytes);
    be->zero(l->grad, bytes);
    be->zero(l->m, bytes);
    be->zero(l->v, bytes);
    const size_t B = (size_t)l->max_batch, T = (size_t)l->T, F = (size_t)l->F, H = (size_t)l->H;
    const size_t C = (size_t)l->C, D = (size_t)l->D, PF = (size_t)l->PF, G = (size_t)l->G;
    const size_t NK = B * F * T, NQ = B * H, NX = B * T, ND = B * H * T;
    size_t sizes[] = {NK * C, NK * C, NK * C, NK * 2 * C, NQ * C, NQ * C, NQ * C, NQ * C, NQ * D, NQ * D,
                      NQ * H * D, NQ * G, NX * G, ND * G, ND * C, ND * C, ND * C, ND * PF,
                      be->attention_scratch_size(&l->ad)};
    float **ptrs[] = {&l->de, &l->dea, &l->deh, &l->dkv, &l->dq, &l->dao, &l->dov, &l->dog, &l->dz, &l->dzhat,
                      &l->dzmask, &l->dzc, &l->dhx, &l->dg, &l->dg1, &l->dg2, &l->dg3, &l->dy, &l->att_scratch};
    const size_t np = sizeof sizes / sizeof sizes[0];
    l->dact_floats = params_carve(NULL, ptrs, sizes, np);
    l->dact = params_alloc(be, l->dact_floats * sizeof(float));
    params_carve(l->dact, ptrs, sizes, np);
}

ldm_t *ldm_new(const ldm_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed)
{
    ldm_t *l = ldm_alloc(cfg, be, max_batch);
    float *host = xcalloc(l->n_params, sizeof(float));
    rng_t r;
    rng_seed(&r, seed);
    for (int i = 0; i < LDM_N_PARAMS; i++) {
        const ldm_param_t *p = &l->params[i];
        if (p->ndim == 1) continue; /* biases start at 0 */
        int emb = i == P_EPOS || i == P_EFRAME || i == P_DPOS || i == P_DFRAME;
        /* matrices [out, in]: uniform with variance 1/in; queries: unit variance per row
         * (they meet keys through a 1/sqrt(HD) scale); position/frame embeddings: small */
        double bound = emb ? 0.02 : i == P_EQUERY ? sqrt(3.0) : sqrt(3.0 * (double)p->dims[0] / (double)p->n);
        if (i == P_DFC2_W) bound *= 0.1; /* the decoder starts near "nothing changes" */
        float *dst = host + p->offset;
        for (size_t k = 0; k < p->n; k++) dst[k] = (float)((rng_uniform(&r) * 2.0 - 1.0) * bound);
    }
    be->to_device(l->param, host, l->n_params * sizeof(float));
    free(host);
    return l;
}

ldm_t *ldm_build_from_file(const char *path, const backend_t *be, int max_batch)
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    if (weights_open(&w, path, err, sizeof err))
        die("%s\nhint: the shipped LDM is weights/ldm-9x9.gguf; regenerate one with `videogo train ldm` "
            "(weights/README.md)",
            err);
    if (!w.arch || strcmp(w.arch, LDM_ARCH))
        die("%s: general.architecture is '%s', not '%s' (not an LDM weights file); %s", path, w.arch ? w.arch : "?",
            LDM_ARCH, weights_regen_hint(&w));
    ldm_config_t cfg;
    ldm_config_read(&w, &cfg);
    ldm_t *l = ldm_alloc(&cfg, be, max_batch);
    params_load(&w, be, l->params, LDM_N_PARAMS, l->param);
    weights_close(&w);
    return l;
}

void ldm_save(const ldm_t *l, const char *path, int argc, char *const *argv)
{
    weights_writer_t *w = params_writer_new(LDM_ARCH, "videogo latent dynamics model", argc, argv);
    ldm_config_write(w, &l->cfg);
    params_writer_finish(w, path, l->be, l->params, LDM_N_PARAMS, l->n_params, l->param);
}

void ldm_free(ldm_t *l)
{
    if (!l) return;
    const backend_t *be = l->be;
    be->free(l->param);
    be->free(l->grad);
    be->free(l->m);
    be->free(l->v);
    be->free(l->act);
    be->free(l->dact);
    be->free(l->codes);
    be->free(l->ids);
    be->free(l->R);
    be->free(l->yimg); /* one block: yimg, timg, pool_y, pool_x, loss_disc, dpool, dyimg */
    free(l->host_img);
    free(l->host_dimg);
    free(l->host_loss);
    free(l);
}

/* ---- windows ------------------------------------------------------------------------------ */

int ldm_window(const dataset_t *ds, const render_ctx_t *ctx, int horizon, uint64_t i, int sym, uint8_t *rgb,
               uint8_t *stones)
{
    const dataset_info_t *info = dataset_info(ds);
    const int np = (int)(info->board_size * info->board_size);
    int after = dataset_frames_after(ds, i);
    if (after < 0) return -1;
    uint8_t st[BOARD_POINTS];
    const size_t fb = (size_t)render_frame_bytes(render_ctx_geom(ctx)->px);
    for (int h = 0; h <= horizon; h++) {
        uint64_t f = i + (uint64_t)(h < after ? h : after); /* replicate the game's last frame */
        if (dataset_frame(ds, f, sym, st, NULL)) return -1;
        if (stones) memcpy(stones + (size_t)h * np, st, (size_t)np);
        if (rgb) render_ctx_stones(ctx, st, rgb + (size_t)h * fb);
    }
    return 0;
}

/* ---- forward / backward ---------------------------------------------------------------- */

void ldm_set_windows(ldm_t *l, const uint8_t *rgb, int B)
{
    if (B < 1 || B > l->max_batch) die("ldm: batch %d outside 1..%d", B, l->max_batch);
    const int S = l->cfg.px, Cc = l->cfg.channels, F = l->F;
    const size_t fb = (size_t)S * (size_t)S * (size_t)Cc;
    for (int b = 0; b < B; b++)
        for (int f = 0; f < F; f++) {
            const uint8_t *cur = rgb + ((size_t)b * F + f) * fb, *prev = f ? cur - fb : cur;
            float *x = l->host_img + ((size_t)b * F + f) * fb, *d = l->host_dimg + ((size_t)b * F + f) * fb;
            for (size_t k = 0; k < fb; k++) {
                x[k] = (float)cur[k] * (2.0f / 255.0f) - 1.0f;
                d[k] = ((float)cur[k] - (float)prev[k]) * (2.0f / 255.0f);
            }
        }
    const size_t n = (size_t)B * F * fb;
    l->be->to_device(l->img, l->host_img, n * sizeof(float));
    l->be->to_device(l->dimg, l->host_dimg, n * sizeof(float));
    l->be->patchify_forward(l->xtok, l->img, B * F, S, S, Cc, l->cfg.patch);
    l->be->patchify_forward(l->dtok, l->dimg, B * F, S, S, Cc, l->cfg.patch);
    l->batch = B;
    l->ad.B = B;
    /* query h (0-based) sees the tokens of frames 0..h+1 */
    l->ad.lo0 = 0;
    l->ad.lo_step = 0;
    l->ad.hi0 = 2 * l->T;
    l->ad.hi_step = l->T;
}

float ldm_forward(ldm_t *l)
{
    const backend_t *be = l->be;
    const int B = l->batch, T = l->T, F = l->F, H = l->H, C = l->C, D = l->D, PF = l->PF;
    const int NK = B * F * T, NQ = B * H, NX = B * T, ND = B * H * T;
    if (B < 1) die("ldm_forward: no windows (call ldm_set_windows first)");
    const float *p = l->param;
    /* encoder: token embeddings */
    be->matmul_forward(l->e, l->xtok, PRM(l, p, P_EIN_W), PRM(l, p, P_EIN_B), NK, PF, C);
    be->matmul_forward(l->tmp, l->dtok, PRM(l, p, P_EDIFF_W), NULL, NK, PF, C);
    be->add_forward(l->e, l->e, l->tmp, (size_t)NK * C);
    be->embedding_forward(l->tmp, l->id_kpos, PRM(l, p, P_EPOS), NK, C, T);
    be->add_forward(l->e, l->e, l->tmp, (size_t)NK * C);
    be->embedding_forward(l->tmp, l->id_kframe, PRM(l, p, P_EFRAME), NK, C, F);
    be->add_forward(l->e, l->e, l->tmp, (size_t)NK * C);
    /* residual MLP, keys and values */
    be->gelu_forward(l->ea, l->e, (size_t)NK * C);
    be->matmul_forward(l->eh, l->ea, PRM(l, p, P_EFC_W), PRM(l, p, P_EFC_B), NK, C, C);
    be->add_forward(l->eh, l->eh, l->e, (size_t)NK * C);
    be->matmul_forward(l->kv, l->eh, PRM(l, p, P_EKV_W), PRM(l, p, P_EKV_B), NK, C, 2 * C);
    /* queries: query h sees frames 0..h+1 */
    be->embedding_forward(l->q, l->id_q, PRM(l, p, P_EQUERY), NQ, C, H);
    be->attention_forward(l->ao, l->att, l->q, l->kv, l->kv + C, &l->ad);
    be->matmul_forward(l->o, l->ao, PRM(l, p, P_EOUT_W), PRM(l, p, P_EOUT_B), NQ, C, C);
    be->add_forward(l->o, l->o, l->q, (size_t)NQ * C);
    be->gelu_forward(l->og, l->o, (size_t)NQ * C);
    be->matmul_forward(l->z, l->og, PRM(l, p, P_EZ_W), PRM(l, p, P_EZ_B), NQ, C, D);
    be->fsq_forward(l->zhat, l->codes, l->z, l->cfg.levels, NQ, D);
    /* decoder: frame j gets codes 0..j (later ones stay zero) */
    be->zero(l->zmask, (size_t)NQ * H * D * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++)
            for (int h = 0; h <= j; h++)
                be->copy(l->zmask + ((size_t)(b * H + j) * H + h) * D, l->zhat + (size_t)(b * H + h) * D,
                         (size_t)D * sizeof(float));
    const int G = l->G;
    be->matmul_forward(l->zc, l->zmask, PRM(l, p, P_DZ_W), PRM(l, p, P_DZ_B), NQ, H * D, G);
    be->embedding_forward(l->tmp, l->id_j, PRM(l, p, P_DFRAME), NQ, G, H);
    be->add_forward(l->zc, l->zc, l->tmp, (size_t)NQ * G);
    be->embedding_forward(l->x0, l->id_x0, l->xtok, NX, PF, NK);
    be->matmul_forward(l->hx, l->x0, PRM(l, p, P_DX_W), PRM(l, p, P_DX_B), NX, PF, G);
    be->embedding_forward(l->tmp, l->id_pos, PRM(l, p, P_DPOS), NX, G, T);
    be->add_forward(l->hx, l->hx, l->tmp, (size_t)NX * G);
    be->embedding_forward(l->g, l->id_bk, l->hx, ND, G, NX);
    be->embedding_forward(l->tmp, l->id_bj, l->zc, ND, G, NQ);
    be->add_forward(l->g, l->g, l->tmp, (size_t)ND * G);
    if (l->cfg.gated) be->swiglu_forward(l->g1, l->g, ND, C);
    else be->gelu_forward(l->g1, l->g, (size_t)ND * C);
    be->matmul_forward(l->g2, l->g1, PRM(l, p, P_DFC1_W), PRM(l, p, P_DFC1_B), ND, C, C);
    be->gelu_forward(l->g3, l->g2, (size_t)ND * C);
    be->matmul_forward(l->y, l->g3, PRM(l, p, P_DFC2_W), PRM(l, p, P_DFC2_B), ND, C, PF);
    be->embedding_forward(l->tgt, l->id_bk, l->x0, ND, PF, NX); /* x_t under every frame j */
    be->add_forward(l->y, l->y, l->tgt, (size_t)ND * PF);
    be->embedding_forward(l->tgt, l->id_tgt, l->xtok, ND, PF, NK);
    be->mse_forward(l->loss, l->y, l->tgt, ND, PF);
    be->to_host(l->host_loss, l->loss, (size_t)ND * sizeof(float));
    double s = 0;
    for (int n = 0; n < ND; n++) s += l->host_loss[n];
    s /= ND;
    if (l->R) { /* disc loss: mean over predicted frames of the MSE of R.y against R.target */
        const int S = l->cfg.px, Cc = l->cfg.channels, FB = S * S * Cc, NF = B * H;
        be->unpatchify_forward(l->yimg, l->y, NF, S, S, Cc, l->cfg.patch);
        be->unpatchify_forward(l->timg, l->tgt, NF, S, S, Cc, l->cfg.patch);
        be->matmul_forward(l->pool_y, l->yimg, l->R, NULL, NF, FB, l->Q);
        be->matmul_forward(l->pool_x, l->timg, l->R, NULL, NF, FB, l->Q);
        be->mse_forward(l->loss_disc, l->pool_y, l->pool_x, NF, l->Q);
        be->to_host(l->host_loss, l->loss_disc, (size_t)NF * sizeof(float));
        double d = 0;
        for (int n = 0; n < NF; n++) d += l->host_loss[n];
        s += l->cfg.disc_weight * d / NF;
    }
    return (float)s;
}

void ldm_zero_grad(ldm_t *l)
{
    ldm_alloc_train(l);
    l->be->zero(l->grad, l->n_params * sizeof(float));
}

void ldm_backward(ldm_t *l)
{
    if (!l->grad) die("ldm_backward: call ldm_zero_grad first");
    const backend_t *be = l->be;
    const int B = l->batch, T = l->T, F = l->F, H = l->H, C = l->C, D = l->D, PF = l->PF;
    const int NK = B * F * T, NQ = B * H, NX = B * T, ND = B * H * T;
    const float *p = l->param;
    float *g = l->grad;
    be->zero(l->dact, l->dact_floats * sizeof(float));
    /* decoder */
    be->mse_backward(l->dy, l->y, l->tgt, ND, PF, 1.0f / (float)ND);
    if (l->R) {
        const int S = l->cfg.px, Cc = l->cfg.channels, FB = S * S * Cc, NF = B * H;
        be->zero(l->dpool, (size_t)NF * l->Q * sizeof(float));
        be->zero(l->dyimg, (size_t)NF * FB * sizeof(float));
        be->mse_backward(l->dpool, l->pool_y, l->pool_x, NF, l->Q, l->cfg.disc_weight / (float)NF);
        be->matmul_backward(l->dyimg, NULL, NULL, l->dpool, l->yimg, l->R, NF, FB, l->Q);
        be->unpatchify_backward(l->dy, l->dyimg, NF, S, S, Cc, l->cfg.patch);
    }
    be->matmul_backward(l->dg3, PRM(l, g, P_DFC2_W), PRM(l, g, P_DFC2_B), l->dy, l->g3, PRM(l, p, P_DFC2_W), ND, C,
                        PF);
    be->gelu_backward(l->dg2, l->dg3, l->g2, (size_t)ND * C);
    be->matmul_backward(l->dg1, PRM(l, g, P_DFC1_W), PRM(l, g, P_DFC1_B), l->dg2, l->g1, PRM(l, p, P_DFC1_W), ND, C,
                        C);
    const int G = l->G;
    if (l->cfg.gated) be->swiglu_backward(l->dg, l->dg1, l->g, ND, C);
    else be->gelu_backward(l->dg, l->dg1, l->g, (size_t)ND * C);
    be->embedding_backward(l->dhx, l->dg, l->id_bk, ND, G, NX);
    be->embedding_backward(l->dzc, l->dg, l->id_bj, ND, G, NQ);
    be->embedding_backward(PRM(l, g, P_DPOS), l->dhx, l->id_pos, NX, G, T);
    be->matmul_backward(NULL, PRM(l, g, P_DX_W), PRM(l, g, P_DX_B), l->dhx, l->x0, PRM(l, p, P_DX_W), NX, PF, G);
    be->embedding_backward(PRM(l, g, P_DFRAME), l->dzc, l->id_j, NQ, G, H);
    be->matmul_backward(l->dzmask, PRM(l, g, P_DZ_W), PRM(l, g, P_DZ_B), l->dzc, l->zmask, PRM(l, p, P_DZ_W), NQ,
                        H * D, G);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++)
            for (int h = 0; h <= j; h++)
                be->add_backward(l->dzhat + (size_t)(b * H + h) * D, NULL,
                                 l->dzmask + ((size_t)(b * H + j) * H + h) * D, (size_t)D);
    /* FSQ: straight-through */
    be->fsq_backward(l->dz, l->dzhat, l->z, l->cfg.levels, NQ, D);
    /* encoder head */
    be->matmul_backward(l->dog, PRM(l, g, P_EZ_W), PRM(l, g, P_EZ_B), l->dz, l->og, PRM(l, p, P_EZ_W), NQ, C, D);
    be->gelu_backward(l->dov, l->dog, l->o, (size_t)NQ * C);
    be->matmul_backward(l->dao, PRM(l, g, P_EOUT_W), PRM(l, g, P_EOUT_B), l->dov, l->ao, PRM(l, p, P_EOUT_W), NQ, C,
                        C);
    be->add_backward(l->dq, NULL, l->dov, (size_t)NQ * C);
    be->attention_backward(l->dq, l->dkv, l->dkv + C, l->att_scratch, l->dao, l->q, l->kv, l->kv + C, l->att,
                           &l->ad);
    be->embedding_backward(PRM(l, g, P_EQUERY), l->dq, l->id_q, NQ, C, H);
    /* encoder tokens */
    be->matmul_backward(l->deh, PRM(l, g, P_EKV_W), PRM(l, g, P_EKV_B), l->dkv, l->eh, PRM(l, p, P_EKV_W), NK, C,
                        2 * C);
    be->add_backward(l->de, NULL, l->deh, (size_t)NK * C);
    be->matmul_backward(l->dea, PRM(l, g, P_EFC_W), PRM(l, g, P_EFC_B), l->deh, l->ea, PRM(l, p, P_EFC_W), NK, C, C);
    be->gelu_backward(l->de, l->dea, l->e, (size_t)NK * C);
    be->embedding_backward(PRM(l, g, P_EPOS), l->de, l->id_kpos, NK, C, T);
    be->embedding_backward(PRM(l, g, P_EFRAME), l->de, l->id_kframe, NK, C, F);
    be->matmul_backward(NULL, PRM(l, g, P_EIN_W), PRM(l, g, P_EIN_B), l->de, l->xtok, PRM(l, p, P_EIN_W), NK, PF, C);
    be->matmul_backward(NULL, PRM(l, g, P_EDIFF_W), NULL, l->de, l->dtok, PRM(l, p, P_EDIFF_W), NK, PF, C);
}

float ldm_adamw_step(ldm_t *l, float lr, float beta1, float beta2, float eps, float weight_decay, float max_norm,
                     int t_step)
{
    const backend_t *be = l->be;
    if (!l->grad) die("ldm_adamw_step: no gradients (call ldm_zero_grad/backward first)");
    /* l->loss: a scratch float in backend memory (overwritten by forward) */
    return params_adamw_step(be, l->params, LDM_N_PARAMS, l->n_params, l->param, l->grad, l->m, l->v, l->loss, lr,
                             beta1, beta2, eps, weight_decay, max_norm, t_step);
}

void ldm_outputs(ldm_t *l, int *codes, uint8_t *rgb)
{
    const backend_t *be = l->be;
    const int B = l->batch, H = l->H, S = l->cfg.px, Cc = l->cfg.channels;
    if (codes) be->to_host(codes, l->codes, (size_t)B * H * sizeof(int));
    if (!rgb) return;
    /* img is input staging only (the backward reads xtok/dtok), so it can hold the output */
    be->unpatchify_forward(l->img, l->y, B * H, S, S, Cc, l->cfg.patch);
    const size_t n = (size_t)B * H * S * S * Cc;
    be->to_host(l->host_img, l->img, n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        float v = (l->host_img[i] + 1.0f) * 127.5f;
        v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
        rgb[i] = (uint8_t)lrintf(v);
    }
}
