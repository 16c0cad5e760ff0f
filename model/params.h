/* params.h: the parameter table every network keeps (one block of floats per purpose:
 * param, grad, AdamW m and v, with each named tensor at an offset), and the loops that move
 * it between backend memory and weights / checkpoint files. Nets describe their tensors
 * with model_param_t; these functions never know which net they serve.
 *
 * All four die with file:line and a hint on a bad file (loaders are programs, not GTP paths). */
#ifndef VIDEOGO_MODEL_PARAMS_H
#define VIDEOGO_MODEL_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/backend.h"
#include "model/weights.h"

/* One parameter tensor: its name in weights files, shape (C order) and place in the block. */
typedef struct {
    const char *name;
    int ndim;
    int64_t dims[4];
    size_t offset;       /* floats from the start of param / grad / m / v */
    size_t n;
    int decay;           /* AdamW weight decay applies (matrices), not biases/embeddings */
} model_param_t;

/* Every tensor of ps[0..n) from weights file w into the backend block param (shapes checked,
 * then unknown tensors refused with the file's regenerate hint). */
void params_load(weights_t *w, const backend_t *be, const model_param_t *ps, int n, float *param);

/* Every tensor of the backend block param (total floats) into writer w as F32. */
void params_save(weights_writer_t *w, const backend_t *be, const model_param_t *ps, int n, size_t total,
                 const float *param);

/* Parameters and AdamW moments into checkpoint writer w (model/checkpoint.h). */
void params_checkpoint_save(weights_writer_t *w, const backend_t *be, const model_param_t *ps, int n, size_t total,
                            const float *param, const float *m, const float *v);

/* Parameters and AdamW moments from checkpoint w (file `path`, for messages) into the
 * backend blocks; every tensor must be there with its shape and nothing else. */
void params_checkpoint_load(weights_t *w, const char *path, const backend_t *be, const model_param_t *ps, int n,
                            size_t total, float *param, float *m, float *v);

/* Writing a net's weights file: params_writer_new gives a writer for architecture arch with
 * general.name and the command argv set; the net adds its hyperparameter keys; then
 * params_writer_finish adds every tensor of ps (as params_save), writes path atomically (dies
 * on I/O errors) and frees the writer. */
weights_writer_t *params_writer_new(const char *arch, const char *name, int argc, char *const *argv);
void params_writer_finish(weights_writer_t *w, const char *path, const backend_t *be, const model_param_t *ps,
                          int n, size_t total, const float *param);

/* bytes of backend memory, 64-byte aligned; dies with a hint (smaller --batch or preset) when
 * the backend has none left. Released with be->free. */
void *params_alloc(const backend_t *be, size_t bytes);
/* Lays consecutive pieces of sizes[i] floats, each rounded up to 16 floats, out in one block:
 * *ptrs[i] = blk + offset (nothing is written when blk is NULL). Returns the block's floats. */
size_t params_carve(float *blk, float **const *ptrs, const size_t *sizes, size_t n);

/* Global gradient-norm clipping (max_norm <= 0: none) and one AdamW step t_step (from 1) over
 * the tensors ps[0..n) of the blocks (total floats each; weight decay only where decay is set).
 * nsq is one float of backend scratch. Returns the gradient norm before clipping. */
float params_adamw_step(const backend_t *be, const model_param_t *ps, int n, size_t total, float *param,
                        const float *grad, float *m, float *v, float *nsq, float lr, float beta1, float beta2,
                        float eps, float weight_decay, float max_norm, int t_step);

#endif
