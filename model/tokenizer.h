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
 * Why a per-patch MLP: a 9x9 frame carries 81 ternary points (128 bits); a 16x16 patch of
 * the 64-px frame touches exactly 3 x 3 intersections (3^9 = 19,683 appearances), so a token
 * needs no context from its neighbours and the network is three layers each way (encode
 * well under a millisecond per frame). The position embedding tells the decoder where the
 * grid lines of its patch are. Pixels of a decoded stone never overlap another stone's, so
 * the decoder's job is close to linear in the 9 point states.
 *
 * Choices of the cpu preset, each measured (pilot runs of 3,000 steps, batch 32, lr 2e-3,
 * H 384, 1 thread, board-exact reconstruction on 512 validation frames; single runs on a
 * shared 2-core machine, so +-2 points of noise):
 *   - FSQ levels 3^10 (59,049 codes): each dimension can hold one ternary point state (empty /
 *     black / white read off the disc colour, nearly a linear function of the pixels), with one
 *     spare dimension; [8,8,8,5,5,5] forces the encoder to pack 3 points into two dimensions
 *     (27 states in an 8x5 grid), which it learns slowly: at step 1000, 33% (plain patches,
 *     MSE) / 48% (+ disc loss) with [8,8,8,5,5,5]; 62% with 3^9; 78% with 3^10 (88% at 1500).
 *   - Encoder margin M = 4 px: stones on lines 2, 4 and 6 straddle the 16-px patch borders
 *     (centres 17.5, 32, 46.5 px); without a margin most wrong reads sat on those lines. With
 *     [8,8,8,5,5,5] the margin alone did not help (36% vs 51% at step 3000); with 3^9 it did
 *     (68-72% vs 58-66% at steps 1500-3000), and 3^10 + margin was best.
 *   - Disc loss weight 1: +15 points at step 1000 over MSE alone ([8,8,8,5,5,5]: 48% vs 33%).
 *   - L1 weight 1 (on top of MSE) hurt badly (5% at step 1000): l1_weight stays 0.
 *   - 16 tokens per frame as the paper; the transformer's output layer can predict the 10
 *     ternary digits of a token (fsq_digits) instead of a 59,049-way softmax.
 *
 * Presets (tokenizer_preset):
 *   paper  256 px, P 64, M 16 -> 4x4 = 16 tokens, levels [8,8,8,5,5,5] (64,000 codes), H 512
 *          (runs: about 8 frames/s of training on one core; not trained here)
 *   cpu    64 px (the same drawing scaled by 1/4, render.h), P 16, M 4 -> 16 tokens,
 *          levels [3,3,3,3,3,3,3,3,3,3] (59,049 codes), H 384: the shipped
 *          weights/tokenizer-9x9.gguf (weights/README.md)
 *   tiny   32 px, P 8, M 2 -> 16 tokens, levels [8,5,5,5], H 32: unit tests only
 * All three use the disc loss with weight 1 (paper: R is 243 x 196,608 floats, 191 MB).
 *
 * Training (weights/README.md): v1 (weights/tokenizer-9x9-v1.gguf) read back 99.57% of held-out
 * frames exactly; its misses were code collisions on dense positions, and training did not
 * settle: the straight-through gradient keeps moving the encoder's pre-quantization values
 * after the codes are right, so rare codes flipped (board-exact swung by several points between
 * evaluations at every lr tried, 3e-5..2e-3). The shipped weights/tokenizer-9x9.gguf reads back
 * 99.98% (22,127 / 22,132): the trainer's --dense-frac adds dense random legal positions (every
 * 3 x 3 pattern a token sees comes up often) and --ema evaluates and writes a moving average of
 * the weights (no flips between evaluations). Late in a long cosine the rate falls again (the
 * dense frames win); --out keeps the best evaluation.
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
