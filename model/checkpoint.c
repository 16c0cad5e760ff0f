/* checkpoint.c: training checkpoints on top of the weights container (see checkpoint.h).
 * Everything is stored exactly (F32 tensors, u64 keys), which is what makes a resumed run
 * bit-identical; the rest (which order the data comes in, which RNG draws happen) is the
 * trainer's job and is checked by tests/model/test_checkpoint.c. */
#include "model/checkpoint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(rng_t) == 4 * sizeof(uint64_t), "checkpoint.rng stores rng_t as 4 u64");

weights_writer_t *checkpoint_writer_new(const char *net, const checkpoint_state_t *st)
{
    weights_writer_t *w = weights_writer_new(CHECKPOINT_ARCH);
    weights_writer_kv_str(w, "checkpoint.net", net);
    weights_writer_kv_u64(w, "checkpoint.step", st->step);
    weights_writer_kv_u64(w, "checkpoint.epoch", st->epoch);
    weights_writer_kv_u64(w, "checkpoint.index", st->index);
    weights_writer_kv_u64(w, "checkpoint.shuffle_seed", st->shuffle_seed);
    weights_writer_kv_arr_u64(w, "checkpoint.rng", st->rng.s, 4);
    return w;
}

void checkpoint_writer_param(weights_writer_t *w, const char *name, int ndim, const int64_t *dims,
                             const float *param, const float *m, const float *v)
{
    char tn[WEIGHTS_MAX_NAME + 8];
    const char *prefix[3] = {"p.", "m.", "v."};
    const float *data[3] = {param, m, v};
    if (strlen(name) + 2 > WEIGHTS_MAX_NAME)
        die("checkpoint writer: parameter name '%s' is longer than %d bytes", name, WEIGHTS_MAX_NAME - 2);
    for (int i = 0; i < 3; i++) {
        snprintf(tn, sizeof tn, "%s%s", prefix[i], name);
        weights_writer_tensor(w, tn, WEIGHTS_F32, ndim, dims, data[i]);
    }
}

static int cerr(weights_t *w, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int cerr(weights_t *w, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && errlen)
        snprintf(err, errlen, "checkpoint '%s': %s; %s", w->path, msg,
                 "restart training from scratch or from another checkpoint of the same run");
    weights_close(w);
    return -1;
}

static bool same_shape(const weights_tensor_info_t *a, const weights_tensor_info_t *b)
{
    if (a->ndim != b->ndim || a->dtype != b->dtype) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

/* Everything checkpoint_open checks beyond weights_open, on an open file (closed on failure). */
static int check_open(weights_t *w, const char *net, checkpoint_state_t *st, char *err, size_t errlen)
{
    const char *arch = w->arch, *fnet;
    if (!arch || strcmp(arch, CHECKPOINT_ARCH))
        return cerr(w, err, errlen, "this is a '%s' weights file, not a training checkpoint", arch ? arch : "(no arch)");
    if (weights_get_str(w, "checkpoint.net", &fnet))
        return cerr(w, err, errlen, "checkpoint.net is missing or not a string");
    if (strcmp(fnet, net)) return cerr(w, err, errlen, "it trains '%s', not '%s'", fnet, net);
    checkpoint_state_t s;
    if (weights_get_u64(w, "checkpoint.step", &s.step) || weights_get_u64(w, "checkpoint.epoch", &s.epoch) ||
        weights_get_u64(w, "checkpoint.index", &s.index) ||
        weights_get_u64(w, "checkpoint.shuffle_seed", &s.shuffle_seed) ||
        weights_get_arr(w, "checkpoint.rng", WEIGHTS_KV_U64, s.rng.s, 4))
        return cerr(w, err, errlen, "a training-state key (checkpoint.step/epoch/index/shuffle_seed: u64, "
                                    "checkpoint.rng: arr[u64, 4]) is missing or mistyped");
    if (!(s.rng.s[0] | s.rng.s[1] | s.rng.s[2] | s.rng.s[3]))
        return cerr(w, err, errlen, "checkpoint.rng is all zero (not a valid xoshiro256** state)");
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        const weights_tensor_info_t *t = &w->tensors[i];
        if (t->dtype != WEIGHTS_F32) return cerr(w, err, errlen, "tensor '%s' is not f32", t->name);
        if (!strncmp(t->name, "x.", 2)) continue; /* trainer state of its own */
        if (strncmp(t->name, "p.", 2) && strncmp(t->name, "m.", 2) && strncmp(t->name, "v.", 2))
            return cerr(w, err, errlen, "tensor '%s' is not p.NAME, m.NAME, v.NAME or x.NAME", t->name);
        /* Every p.X has m.X and v.X of its shape, and every m.X / v.X has its p.X. */
        char tn[WEIGHTS_MAX_NAME + 8];
        const char *others = t->name[0] == 'p' ? "mv" : "p";
        for (const char *o = others; *o; o++) {
            snprintf(tn, sizeof tn, "%c.%s", *o, t->name + 2);
            const weights_tensor_info_t *u = weights_find_tensor(w, tn);
            if (!u || !same_shape(t, u))
                return cerr(w, err, errlen, "tensor '%s' has no matching '%s' of the same shape", t->name, tn);
        }
    }
    *st = s;
    return 0;
}

int checkpoint_open(weights_t *w, const char *path, const char *net, checkpoint_state_t *st, char *err,
                    size_t errlen)
{
    if (weights_open(w, path, err, errlen)) return -1;
    return check_open(w, net, st, err, errlen);
}

int checkpoint_open_buffer(weights_t *w, const void *buf, size_t size, const char *label, int flags, const char *net,
                           checkpoint_state_t *st, char *err, size_t errlen)
{
    if (weights_open_buffer(w, buf, size, label, flags, err, errlen)) return -1;
    return check_open(w, net, st, err, errlen);
}

int checkpoint_read_param(weights_t *w, const char *name, int ndim, const int64_t *dims, float *param, float *m,
                          float *v, char *err, size_t errlen)
{
    char tn[WEIGHTS_MAX_NAME + 8];
    const char *prefix[3] = {"p.", "m.", "v."};
    float *out[3] = {param, m, v};
    for (int i = 0; i < 3; i++) {
        snprintf(tn, sizeof tn, "%s%s", prefix[i], name);
        const float *src = weights_tensor(w, tn, ndim, dims, err, errlen);
        if (!src) return -1;
        memcpy(out[i], src, (size_t)weights_find_tensor(w, tn)->nbytes);
    }
    return 0;
}
