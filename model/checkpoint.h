/* checkpoint.h: training checkpoints, so that a resumed run is bit-identical to one that was
 * never interrupted (DESIGN.md section 4).
 *
 * A checkpoint is a weights file (weights.h: GGUF v3, checksummed, atomic write) with
 * general.architecture = "checkpoint" and:
 *   checkpoint.net           string  which network is being trained (ldm, idm, ...)
 *   checkpoint.step          u64     optimizer steps taken (AdamW's t for the next step is step+1)
 *   checkpoint.epoch         u64     data position: passes over the data completed ...
 *   checkpoint.index         u64     ... and the next example's position in this epoch's order
 *   checkpoint.shuffle_seed  u64     each epoch's order is derived from (shuffle_seed, epoch),
 *                                    so the order need not be stored
 *   checkpoint.rng           arr[u64, 4]  the trainer's rng_t (engine/util.h) state
 * plus whatever the trainer adds with weights_writer_kv_* (the net's hyperparameters under
 * the same keys as its weights file, the optimizer's settings, ...) and videogo.command.
 * Tensors, all F32 (bit-exact): for each parameter tensor NAME, "p.NAME" (the values),
 * "m.NAME" and "v.NAME" (AdamW first and second moments), same shape; and any "x.NAME" the
 * trainer adds for other state (e.g. x.ema_weights, the tokenizer's moving average), read
 * by the trainer itself.
 *
 * Ownership: the writer copies what it is given; checkpoint_read_param copies into caller
 * buffers, so the weights_t can be closed right after. */
#ifndef VIDEOGO_CHECKPOINT_H
#define VIDEOGO_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/util.h"
#include "model/weights.h"

#define CHECKPOINT_ARCH "checkpoint"

typedef struct {
    uint64_t step;
    uint64_t epoch;
    uint64_t index;
    uint64_t shuffle_seed;
    rng_t rng;
} checkpoint_state_t;

/* A writer with the state keys set; add parameters, hyperparameters and the command, then
 * weights_writer_save (atomic) and weights_writer_free. */
weights_writer_t *checkpoint_writer_new(const char *net, const checkpoint_state_t *st);
/* One parameter tensor of shape dims (C order) with its AdamW moments (each nelem floats). */
void checkpoint_writer_param(weights_writer_t *w, const char *name, int ndim, const int64_t *dims,
                             const float *param, const float *m, const float *v);
/* Open and validate PATH (everything weights_open checks, the WEIGHTS_MAX_BYTES size limit
 * included, plus: arch "checkpoint", the net is NET, the state keys are present and well-typed,
 * every tensor is p.X, m.X or v.X and each p.X has its m.X and v.X of the same shape). Fills *st.
 * 0, or -1 with a message in err (and *w closed). */
int checkpoint_open(weights_t *w, const char *path, const char *net, checkpoint_state_t *st, char *err,
                    size_t errlen);
/* Same over a caller buffer, as weights_open_buffer (flags: WEIGHTS_OPEN_*; the fuzzer). */
int checkpoint_open_buffer(weights_t *w, const void *buf, size_t size, const char *label, int flags, const char *net,
                           checkpoint_state_t *st, char *err, size_t errlen);
/* Copy parameter NAME and its moments into the caller's buffers (nelem floats each), after
 * checking that all three exist with shape dims. 0, or -1 with a message. After reading every
 * parameter it knows, a trainer calls weights_check_all_used to refuse a checkpoint that holds
 * more (one written for other hyperparameters). */
int checkpoint_read_param(weights_t *w, const char *name, int ndim, const int64_t *dims, float *param, float *m,
                          float *v, char *err, size_t errlen);

#endif
