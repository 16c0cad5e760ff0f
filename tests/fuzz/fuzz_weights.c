/* fuzz_weights.c: the weights container reader (model/weights.h) and the checkpoint validation
 * on top of it (model/checkpoint.h), over a memory buffer (weights_open_buffer: the same parser
 * weights_open runs on a mapped file).
 *
 * Each input is opened twice: with every check (a mutated file almost always fails the SHA-256
 * at the end, so this mostly covers the header walk), and without the checksum and the videogo
 * keys (WEIGHTS_OPEN_NO_CHECKSUM | WEIGHTS_OPEN_ANY_GGUF: what `weights inspect` does), which
 * lets mutations reach the tensor table, the layout checks and the accessors. Whatever opens is
 * read completely, the way a loader would: every key through its typed getter, every tensor
 * (f16/bf16 converted, unaligned f32 copied), then, for a "checkpoint" file, the checkpoint
 * checks and every parameter with its moments.
 *
 * Properties: no crash, leak or sanitizer report; a failed open leaves a message and a zeroed
 * weights_t; a file that opens can be read in full; the two opens agree when both succeed.
 */
#include <string.h>

#include "model/checkpoint.h"
#include "model/weights.h"
#include "tests/fuzz/fuzz.h"

static void read_keys(const weights_t *w)
{
    for (uint64_t i = 0; i < w->n_kv; i++) {
        const weights_kv_t *kv = &w->kvs[i];
        FUZZ_CHECK(weights_find_kv(w, kv->key) == kv); /* keys are unique */
        union {
            uint32_t u32;
            int32_t i32;
            uint64_t u64;
            float f32;
            double f64;
            bool b;
            const char *s;
        } v;
        switch (kv->type) {
        case WEIGHTS_KV_U32: FUZZ_CHECK(weights_get_u32(w, kv->key, &v.u32) == 0); break;
        case WEIGHTS_KV_I32: FUZZ_CHECK(weights_get_i32(w, kv->key, &v.i32) == 0); break;
        case WEIGHTS_KV_U64: FUZZ_CHECK(weights_get_u64(w, kv->key, &v.u64) == 0); break;
        case WEIGHTS_KV_F32: FUZZ_CHECK(weights_get_f32(w, kv->key, &v.f32) == 0); break;
        case WEIGHTS_KV_F64: FUZZ_CHECK(weights_get_f64(w, kv->key, &v.f64) == 0); break;
        case WEIGHTS_KV_BOOL: FUZZ_CHECK(weights_get_bool(w, kv->key, &v.b) == 0); break;
        case WEIGHTS_KV_STR:
            FUZZ_CHECK(weights_get_str(w, kv->key, &v.s) == 0 && strlen(v.s) <= w->size);
            break;
        case WEIGHTS_KV_ARR:
            FUZZ_CHECK(weights_arr_len(w, kv->key) == (int64_t)kv->count);
            if (kv->elem_type != WEIGHTS_KV_STR) {
                void *out = malloc((size_t)kv->count * 8 + 1); /* count is bounded by the file size */
                FUZZ_CHECK(out != NULL);
                FUZZ_CHECK(weights_get_arr(w, kv->key, kv->elem_type, out, (size_t)kv->count) == 0);
                free(out);
            } else {
                for (uint64_t j = 0; j < kv->count; j++) FUZZ_CHECK(kv->strs[j] != NULL);
            }
            break;
        default: break;
        }
    }
}

static void read_tensors(weights_t *w)
{
    char err[WEIGHTS_ERR_LEN];
    volatile float acc = 0;
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        const weights_tensor_info_t *t = &w->tensors[i];
        FUZZ_CHECK(weights_find_tensor(w, t->name) == t);
        if (t->dtype == WEIGHTS_F32 || t->dtype == WEIGHTS_F16 || t->dtype == WEIGHTS_BF16) {
            const float *p = weights_tensor(w, t->name, t->ndim, t->dims, err, sizeof err);
            FUZZ_CHECK(p != NULL);
            for (uint64_t j = 0; j < t->nelem; j++) acc += p[j];
        } else {
            const uint8_t *p = weights_tensor_raw(w, t->name, t->dtype, t->ndim, t->dims, err, sizeof err);
            FUZZ_CHECK(p != NULL);
            for (uint64_t j = 0; j < t->nbytes; j++) acc += p[j];
        }
    }
    (void)acc;
    FUZZ_CHECK(weights_check_all_used(w, err, sizeof err) == 0);
    (void)weights_regen_hint(w);
}

/* The checkpoint checks, then every parameter and its moments into buffers. */
static void read_checkpoint(const uint8_t *data, size_t size, const char *net)
{
    char err[WEIGHTS_ERR_LEN], *name = strdup(net);
    weights_t w;
    checkpoint_state_t st;
    if (checkpoint_open_buffer(&w, data, size, "fuzz.ckpt", WEIGHTS_OPEN_NO_CHECKSUM, name, &st, err, sizeof err)) {
        FUZZ_CHECK(err[0] && w.data == NULL);
        free(name);
        return;
    }
    for (uint64_t i = 0; i < w.n_tensors; i++) {
        const weights_tensor_info_t *t = &w.tensors[i];
        if (strncmp(t->name, "p.", 2)) continue;
        float *buf = malloc((size_t)t->nbytes * 3 + 4);
        FUZZ_CHECK(buf != NULL);
        FUZZ_CHECK(checkpoint_read_param(&w, t->name + 2, t->ndim, t->dims, buf, buf + t->nelem, buf + 2 * t->nelem,
                                         err, sizeof err) == 0);
        free(buf);
    }
    weights_close(&w);
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int flags[2] = {0, WEIGHTS_OPEN_NO_CHECKSUM | WEIGHTS_OPEN_ANY_GGUF};
    char err[WEIGHTS_ERR_LEN];
    bool opened[2] = {false, false};
    for (int k = 0; k < 2; k++) {
        weights_t w;
        err[0] = '\0';
        if (weights_open_buffer(&w, data, size, "fuzz.gguf", flags[k], err, sizeof err) != 0) {
            FUZZ_CHECK(err[0] != '\0');
            FUZZ_CHECK(w.data == NULL && w.kvs == NULL && w.tensors == NULL);
            weights_close(&w); /* harmless after a failure */
            continue;
        }
        opened[k] = true;
        FUZZ_CHECK(w.size == size && w.data_start <= size);
        read_keys(&w);
        read_tensors(&w);
        const char *net;
        if (k == 1 && w.arch && !strcmp(w.arch, CHECKPOINT_ARCH) && weights_get_str(&w, "checkpoint.net", &net) == 0)
            read_checkpoint(data, size, net);
        weights_close(&w);
    }
    FUZZ_CHECK(!opened[0] || opened[1]); /* the full check implies the structural one */
    return 0;
}
