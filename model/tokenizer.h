/* tokenizer.h: the frame tokenizer (DESIGN.md section 3): an RGB frame -> a grid of FSQ codes
 * (encoder), codes -> a frame (decoder), trained as an autoencoder on rendered frames.
 *
 * Architecture (both presets; only the numbers differ): a patch autoencoder.
 *   encoder: conv1 (K = P + 2M, stride P, pad M: each of the T = (S/P)^2 patches of P x P
 *            pixels seen with an M-pixel margin) -> H channels + learned position embedding
 *            -> GELU
 *            -> fc2 (H -> H) -> GELU -> fc3 (H -> D) -> FSQ (levels[D]) -> one code per token
 *   decoder: FSQ value (D) -> fc1 (D -> H) + position embedding -> GELU -> fc2 (H -> H) -> GELU
 *            -> fc3 (H -> PF) -> unpatchify -> frame in [-1, 1] (pixel = (v + 1) * 127.5)
 * Loss: mean squared error on pixels normalized to [-1, 1], plus l1_weight * mean |error|,
 * plus disc_weight * the MSE of the mean colours of the intersection discs: a fixed linear
 * pooling R [Q = N*N*C, S*S*C] averages, per intersection and channel, the pixels within 3/4
 * of the stone radius of its centre, and the loss compares R.decoded with R.input. It is a
 * loss weighting on the pixels that say which stone is there (the frame's own geometry,
 * render.h; no board, no label, no classification), computed with matmuls.
 *
 * Presets (tokenizer_preset; the numbers in tokenizer.c): paper (256 px, 16 tokens of
 * [8,8,8,5,5,5]), cpu (64 px, 16 tokens of 3^10), grid (72 px, one 8-px patch per
 * intersection: 81 tokens of one 3-level code; the shipped weights/tokenizer-9x9.gguf) and
 * tiny (unit tests). All use the disc loss with weight 1. Why these choices, measured, and how
 * the shipped file was trained: docs/measurements.md (tokenizer), weights/README.md.
 *
 * Memory: every tensor lives in backend memory (backend.h), allocated once: parameters,
 * gradients and AdamW moments at creation, activations for up to max_batch frames in
 * tokenizer_new / tokenizer_build_from_file. Nothing is allocated inside forward/backward,
 * encode or decode. The tokenizer_t owns all of it; tokenizer_free releases it.
 * A tokenizer_t is used by one thread at a time.
 */
#ifndef VIDEOGO_MODEL_TOKENIZER_H
#define VIDEOGO_MODEL_TOKENIZER_H

#include <stdint.h>

#include "kernels/backend.h"
#include "model/params.h"
#include "model/weights.h"

#define TOKENIZER_ARCH "tokenizer"
#define TOKENIZER_MAX_LEVELS 16
#define TOKENIZER_N_PARAMS 14

typedef struct {
    char preset[16];     /* "cpu", "paper", "tiny" or "custom" */
    int board_size;      /* N: the board the frames show (9) */
    int px;              /* S: frame side in pixels */
    int channels;        /* C: 3 (RGB) */
    int patch;           /* P: patch side; S % P == 0 */
    int margin;          /* M: the encoder's first layer sees each patch with M more pixels on
                            every side (a conv, K = P + 2M, stride P, zero padding M) */
    int hidden;          /* H: MLP width */
    int n_levels;        /* D: FSQ dimensions */
    int levels[TOKENIZER_MAX_LEVELS];
    float l1_weight;     /* loss = mse + l1_weight * l1 + disc_weight * disc */
    float disc_weight;   /* weight of the intersection-disc loss (see below); 0: none */
} tokenizer_config_t;

/* Fills *cfg with a named preset. 0, or -1 for an unknown name. */
int tokenizer_preset(const char *name, tokenizer_config_t *cfg);
/* Tokens per frame T = (px/patch)^2. */
int tokenizer_tokens(const tokenizer_config_t *cfg);
/* Codebook size prod(levels). */
long tokenizer_codebook(const tokenizer_config_t *cfg);
/* Checks a configuration (sizes, divisibility, levels); 0 or -1 with a message. */
int tokenizer_config_check(const tokenizer_config_t *cfg, char *err, size_t errlen);
/* Hyperparameter keys under "tokenizer." (weights files and checkpoints alike). */
void tokenizer_config_write(weights_writer_t *w, const tokenizer_config_t *cfg);
/* Reads them back (loader tier: dies naming the file, the key and the regenerate hint). */
void tokenizer_config_read(const weights_t *w, tokenizer_config_t *cfg);

/* One parameter tensor (model/params.h). */
typedef model_param_t tokenizer_param_t;

typedef struct {
    tokenizer_config_t cfg;
    const backend_t *be;
    int T, PF, H, D;     /* tokens per frame, patch features, width, FSQ dimensions */
    int max_batch;       /* frames per call at most (activations are sized for it) */
    int batch;           /* frames in the last set_frames / forward */
    int freeze_encoder;  /* training: backward stops at the codes, AdamW leaves enc.* as is */

    tokenizer_param_t params[TOKENIZER_N_PARAMS];
    size_t n_params;     /* floats in each of the four blocks below */
    float *param, *grad, *m, *v;    /* backend memory, n_params floats each */

    /* activations [N = max_batch * T rows]; pointers into one backend block */
    float *img;          /* [B, S, S, C] frame in [-1, 1] (input or decoded output) */
    float *x;            /* [N, PF] patchified input: the reconstruction target */
    float *h1, *a1, *h2, *a2, *z, *zhat;      /* encoder: [N,H] x4, [N,D] x2 */
    float *g1, *b1, *g2, *b2, *yp;            /* decoder: [N,H] x4, [N,PF] */
    float *tmp;          /* [N, H] position embeddings before the add */
    float *scratch;      /* conv1 im2col workspace */
    float *loss_mse, *loss_l1;                /* [N] */
    int Q;               /* rows of the disc pooling: board_size^2 * C (0 without it) */
    float *R;            /* [Q, S*S*C] disc pooling (backend), NULL when disc_weight == 0 */
    float *yimg;         /* [B, S*S*C] decoded frame (training forward) */
    float *pool_y, *pool_x, *loss_disc;       /* [B, Q] x2, [B] */
    float *dpool, *dyimg;                     /* [B, Q], [B, S*S*C] gradients */
    float *dyp, *db2, *dg2, *db1, *dg1, *dzhat, *dz, *da2, *dh2, *da1, *dh1; /* gradients */
    size_t act_floats, dact_floats;           /* sizes of the two blocks (activations, grads) */
    float *act, *dact;
    int *codes;          /* [N] backend */
    int *pos_ids;        /* [N] backend: token position n % T */

    float *host_img;     /* host staging [B, S, S, C] */
    int *host_codes;     /* host [N] */
    float *host_loss;    /* host [2N] */
} tokenizer_t;

/* A new tokenizer with parameters drawn from seed (uniform, variance 1/fan_in; biases 0),
 * activations for max_batch frames. Dies (with a hint) on a bad config or out of memory. */
tokenizer_t *tokenizer_new(const tokenizer_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed);
/* Loads a weights file written by tokenizer_save: every key and every tensor's name and
 * shape are checked, and no unknown tensor may remain; a bad file dies with what is wrong
 * and how to regenerate it. */
tokenizer_t *tokenizer_build_from_file(const char *path, const backend_t *be, int max_batch);
/* Writes the weights (GGUF v3, weights.h) with command = argv. Dies on I/O errors. */
void tokenizer_save(const tokenizer_t *t, const char *path, int argc, char *const *argv);
void tokenizer_free(tokenizer_t *t);

/* Frames (B <= max_batch, S*S*C bytes each, RGB as render.h) -> t->img and t->x. */
void tokenizer_set_frames(tokenizer_t *t, const uint8_t *rgb, int B);
/* Full forward on the frames set last: encode, quantize, decode; returns the loss
 * (mse + l1_weight * l1, means over all pixels); *mse_out (may be NULL) gets the MSE part.
 * t->codes holds the codes. */
float tokenizer_forward(tokenizer_t *t, float *mse_out);
/* Zeroes the parameter gradients. */
void tokenizer_zero_grad(tokenizer_t *t);
/* Backward of the last forward: accumulates into t->grad. */
void tokenizer_backward(tokenizer_t *t);
/* Global gradient-norm clipping (max_norm <= 0: none) and one AdamW step t_step (from 1)
 * over all parameters (weight decay on matrices only). Returns the gradient norm. */
float tokenizer_adamw_step(tokenizer_t *t, float lr, float beta1, float beta2, float eps,
                           float weight_decay, float max_norm, int t_step);

/* frames rgb[B] -> codes[B * T] (any B; runs in chunks of max_batch). Deterministic. */
void tokenizer_encode(tokenizer_t *t, const uint8_t *rgb, int B, int *codes);
/* codes[B * T] (each in [0, codebook)) -> frames rgb[B] (rounded, clamped to 0..255). */
void tokenizer_decode(tokenizer_t *t, const int *codes, int B, uint8_t *rgb);

#endif
