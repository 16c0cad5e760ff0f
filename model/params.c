/* params.c: parameter tables to and from weights and checkpoint files (see params.h). */
#include "model/params.h"

#include <math.h>
#include <stdlib.h>

#include "engine/util.h"
#include "model/checkpoint.h"

void params_load(weights_t *w, const backend_t *be, const model_param_t *ps, int n, float *param)
{
    char err[WEIGHTS_ERR_LEN];
    for (int i = 0; i < n; i++) {
        const float *src = weights_need_tensor(w, ps[i].name, ps[i].ndim, ps[i].dims);
        be->to_device(param + ps[i].offset, src, ps[i].n * sizeof(float));
    }
    if (weights_check_all_used(w, err, sizeof err)) die("%s; %s", err, weights_regen_hint(w));
}

void params_save(weights_writer_t *w, const backend_t *be, const model_param_t *ps, int n, size_t total,
                 const float *param)
{
    float *host = xmalloc(total * sizeof(float));
    be->to_host(host, param, total * sizeof(float));
    for (int i = 0; i < n; i++)
        weights_writer_tensor(w, ps[i].name, WEIGHTS_F32, ps[i].ndim, ps[i].dims, host + ps[i].offset);
    free(host);
}

void params_checkpoint_save(weights_writer_t *w, const backend_t *be, const model_param_t *ps, int n, size_t total,
                            const float *param, const float *m, const float *v)
{
    size_t bytes = total * sizeof(float);
    float *hp = xmalloc(bytes), *hm = xmalloc(bytes), *hv = xmalloc(bytes);
    be->to_host(hp, param, bytes);
    be->to_host(hm, m, bytes);
    be->to_host(hv, v, bytes);
    for (int i = 0; i < n; i++) {
        size_t o = ps[i].offset;
        checkpoint_writer_param(w, ps[i].name, ps[i].ndim, ps[i].dims, hp + o, hm + o, hv + o);
    }
    free(hp);
    free(hm);
    free(hv);
}

void params_checkpoint_load(weights_t *w, const char *path, const backend_t *be, const model_param_t *ps, int n,
                            size_t total, float *param, float *m, float *v)
{
    char err[WEIGHTS_ERR_LEN];
    size_t bytes = total * sizeof(float);
    float *hp = xcalloc(total, sizeof(float)), *hm = xcalloc(total, sizeof(float)), *hv = xcalloc(total, sizeof(float));
    for (int i = 0; i < n; i++) {
        size_t o = ps[i].offset;
        if (checkpoint_read_param(w, ps[i].name, ps[i].ndim, ps[i].dims, hp + o, hm + o, hv + o, err, sizeof err))
            die("%s: %s\nhint: the checkpoint was written for other hyperparameters", path, err);
    }
    if (weights_check_all_used(w, err, sizeof err)) die("%s: %s", path, err);
    be->to_device(param, hp, bytes);
    be->to_device(m, hm, bytes);
    be->to_device(v, hv, bytes);
    free(hp);
    free(hm);
    free(hv);
}

float params_adamw_step(const backend_t *be, const model_param_t *ps, int n, size_t total, float *param,
                        const float *grad, float *m, float *v, float *nsq, float lr, float beta1, float beta2,
                        float eps, float weight_decay, float max_norm, int t_step)
{
    be->zero(nsq, sizeof(float));
    be->norm_sq_accumulate(nsq, grad, total);
    float h;
    be->to_host(&h, nsq, sizeof(float));
    float norm = sqrtf(h), scale = grad_clip_scale(norm, max_norm);
    for (int i = 0; i < n; i++) {
        size_t o = ps[i].offset;
        be->adamw_update(param + o, grad + o, m + o, v + o, ps[i].n, lr, beta1, beta2, eps,
                         ps[i].decay ? weight_decay : 0.0f, scale, t_step);
    }
    return norm;
}

void *params_alloc(const backend_t *be, size_t bytes)
{
    void *p = be->alloc(bytes ? bytes : 64);
    if (!p) die("out of %s backend memory (%zu bytes): use a smaller --batch or preset", be->name, bytes);
    return p;
}

size_t params_carve(float *blk, float **const *ptrs, const size_t *sizes, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (blk) *ptrs[i] = blk + off;
        off += (sizes[i] + 15) & ~(size_t)15;
    }
    return off;
}

weights_writer_t *params_writer_new(const char *arch, const char *name, int argc, char *const *argv)
{
    weights_writer_t *w = weights_writer_new(arch);
    weights_writer_set_command(w, argc, argv);
    weights_writer_set_name(w, name);
    return w;
}

void params_writer_finish(weights_writer_t *w, const char *path, const backend_t *be, const model_param_t *ps,
                          int n, size_t total, const float *param)
{
    params_save(w, be, ps, n, total, param);
    char err[WEIGHTS_ERR_LEN];
    if (weights_writer_save(w, path, err, sizeof err)) die("%s", err);
    weights_writer_free(w);
}
