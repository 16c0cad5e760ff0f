/* transformer.h: the autoregressive world model ("ar", DESIGN.md section 3): a Llama decoder
 * (RMSNorm, RoPE, SwiGLU, causal attention, untied output head) over the sequence
 *
 *   <bos> <black|white to move> <im_start> x_t[T] <im_end> <act_start> z^1..z^H <act_end>
 *   <im_start> x_{t+1}[T] <im_end>                         (L = 2T + H + 8 = 45 for T 16, H 5)
 *
 * x = the frozen tokenizer's codes (model/tokenizer.h), z = the frozen LDM's codes
 * (model/ldm.h). Video-only baseline (horizon 0): no <act_start> z <act_end> (L = 2T + 6 = 38).
 * Loss: cross-entropy on every token after the first <im_end> (positions T+3 .. L-2 predict
 * tokens T+4 .. L-1), mean over those tokens, in nats per token.
 *
 * Vocabulary and output layer (the choice DESIGN.md leaves open): FACTORIZED prediction of the
 * FSQ digits. A token is one of 7 specials, an image code (D_img digits, cpu: 10 ternary
 * digits, 59,049 codes) or an LDM code (D_ldm digits, [8,5,5,5] = 1,000 codes). The head is one
 * matmul C -> NO = 7 + sum(img levels) + sum(ldm levels) = 7 + 30 + 23 = 60 logits; the loss of
 * a token is the sum of the cross-entropies of its digits (a 7-way softmax for a special token,
 * since the layout fixes each position's token type), i.e. -log p(token) with the digits
 * independent given the context. The input embedding of a token is the sum of one row per
 * digit (+ one table of 7 rows for the specials) and a learned absolute position row (the
 * layout is fixed, so position = role); RoPE gives the attention relative positions.
 * The factorized head costs C x NO multiply-adds a token instead of C x the vocabulary (cpu
 * preset: 15k against 15.4M, 0.5% of the body instead of 4.9x; measured in
 * docs/measurements.md, transformer). The price: digits of one token are independent given the
 * context, so the head cannot express "code A or code B" when A and B differ in several digits
 * (sampling may mix them); the greedy argmax is still the joint argmax.
 * An LDM codebook of at most 256 codes (the grid preset's 243) is one digit, i.e. one joint
 * softmax (ar_train.c chooses): a move distribution over codes needs the joint.
 * Sampling (ar_sampler_t) applies temperature / top-k / top-p to each digit's softmax.
 *
 * Code <-> digits: the FSQ mixed-radix order (kernels/ops.h fsq_*: dimension 0 least
 * significant), so digit i of code c is c / prod(levels[0..i-1]) % levels[i].
 *
 * Memory: every tensor lives in backend memory, allocated once: parameters at creation,
 * activations and the KV cache for max_batch sequences in ar_new / ar_build_from_file,
 * gradients and AdamW moments on the first ar_zero_grad. Nothing is allocated inside
 * forward/backward/step. The ar_t owns all of it; ar_free releases it. One thread at a time.
 */
#ifndef VIDEOGO_MODEL_TRANSFORMER_H
#define VIDEOGO_MODEL_TRANSFORMER_H

#include <stdint.h>

#include "engine/util.h"
#include "kernels/backend.h"
#include "model/params.h"
#include "model/weights.h"

#define AR_ARCH "transformer"
#define AR_MAX_LAYERS 32
#define AR_MAX_LEVELS 16
#define AR_N_PARAMS (5 + 8 * AR_MAX_LAYERS)
#define AR_MAX_CALLS (1 + 2 * AR_MAX_LEVELS) /* softmax groups of the head */
#define AR_TOP_MAX 256       /* ar_imagine_top: futures at most */

/* Special tokens (their ids in the unified token space; image code c is AR_N_SPECIAL + c,
 * LDM code z is AR_N_SPECIAL + img_codebook + z). */
enum {
    AR_TOK_BOS = 0,
    AR_TOK_BLACK,
    AR_TOK_WHITE,
    AR_TOK_IM_START,
    AR_TOK_IM_END,
    AR_TOK_ACT_START,
    AR_TOK_ACT_END,
    AR_N_SPECIAL
};

typedef struct {
    char preset[16];     /* "cpu", "paper", "tiny" or "custom" */
    int layers;          /* transformer blocks */
    int width;           /* C */
    int heads;           /* NH (C % NH == 0, HD even) */
    int hidden;          /* F: SwiGLU hidden width */
    int img_tokens;      /* T: tokens per frame (16) */
    int horizon;         /* H: LDM codes per position; 0 = video-only baseline */
    int n_img_levels, img_levels[AR_MAX_LEVELS];   /* the tokenizer's FSQ levels */
    int n_ldm_levels, ldm_levels[AR_MAX_LEVELS];   /* the LDM's (unused when H == 0) */
    float rope_theta;
    int local;           /* r > 0: image positions also embed x_t's (2r+1)^2 neighbourhood of their
                          * cell (T a square grid; "ar.local_embed" = r; 0 in files without it) */
    int local_mix;       /* D > 0 (needs local): every block also reads the same window of x_t's
                          * rows at that layer, projected to D, into the image positions (a
                          * branch beside the MLP; "ar.local_mix" = D; 0 without the key) */
} ar_config_t;

/* Fills *cfg with a named preset (tokenizer cpu levels 3^10, LDM [8,5,5,5], H 5); the trainer
 * then copies the levels and H of the actual tokenizer / LDM files. 0, or -1 if unknown. */
int ar_preset(const char *name, ar_config_t *cfg);
int ar_config_check(const ar_config_t *cfg, char *err, size_t errlen);
int ar_seq_len(const ar_config_t *cfg);          /* L */
int ar_loss_start(const ar_config_t *cfg);       /* first position with a target: T + 3 */

typedef struct {
    ar_config_t cfg;
    const backend_t *be;
    int L, C, NH, F, NO, G;  /* sequence length, width, heads, SwiGLU width, head logits, digit slots */
    int L_full;              /* ar_seq_len; L differs only while training on prefixes (ar_set_len) */
    float ldm_weight;        /* backward: weight of the LDM codes' loss against the others' (1) */
    float grad_scale;        /* backward: multiplies every gradient (1; for accumulated passes) */
    int max_batch, batch;
    long img_codebook, ldm_codebook;
    int img_off, ldm_off;    /* first head column / embedding row of the image / LDM digits */
    int n_calls;             /* softmax groups: 0 specials, then img digits, then LDM digits */
    int call_off[AR_MAX_CALLS], call_v[AR_MAX_CALLS];
    char tokenizer_sha256[65], ldm_sha256[65]; /* of the files it was trained with ("" unknown) */

    model_param_t params[AR_N_PARAMS];
    char names[AR_N_PARAMS][32];
    int n_tensors;
    size_t n_params;
    float *param, *grad, *m, *v;

    /* activations for N = max_batch * L rows (one block). Per layer l: */
    float *xs;           /* [layers+1][N, C] residual stream at each block's input (+ final) */
    float *ln1, *ln2, *xmid, *ao;   /* [layers][N, C] */
    float *rstd1, *rstd2;           /* [layers][N] */
    float *qkv;          /* [layers][N, 3C] (q, k after RoPE) */
    float *h13, *sw;     /* [layers][N, 2F], [layers][N, F] */
    float *att;          /* [layers][B, NH, L, L] */
    float *lnf, *rstdf, *logits, *tmp, *losses;   /* [N,C], [N], [N,NO], [N,C], [n_calls, N] */
    float *act;
    size_t act_floats;
    /* gradients of activations (allocated with grad) */
    float *dres, *dln, *dqkv, *dao, *dh13, *dsw, *dlogits, *scratch;
    float *dact;
    float *cache;        /* KV cache [layers][max_batch, L, 2C] */
    /* cfg.local_mix: per layer, ln2 projected to D [N, D], the x_t rows of it per sequence
     * [max_batch * T + 1 (zero pad row), D] (kept between KV-cache steps), and each position's
     * gathered window [N, win^2 * D]; their gradients */
    float *mix_r, *mix_tab, *mix_g, *dmix_r, *dmix_tab, *dmix_g;
    int mix_tab_rows;
    int *ids;            /* backend: emb ids [G][N], pos ids [N], targets [n_calls][N] */
    int *host_ids;       /* host mirror */
    float *host_losses;  /* [n_calls, N] */
    float *host_logits;  /* [N, NO] */
    int *host_tok;       /* [N] ar_imagine's token staging */
    int *host_ctx;       /* [max_batch, T] each sequence's x_t codes (cfg.local) */
    int side, win, GL;   /* cfg.local: the grid's side, window side 2r+1, local slots (win^2 x
                          * image digits); else 0 */
    double loss_img, loss_ldm, loss_spec; /* last forward: mean nats per token of each kind */
    long n_img, n_ldm, n_spec;            /* tokens of each kind in the loss */
} ar_t;

/* A new model with parameters drawn from seed. Dies with a hint on a bad config / no memory. */
ar_t *ar_new(const ar_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed);
/* The most likely code of one head row [NO]: its LDM digits (ldm != 0) or its image digits,
 * each digit's argmax (the joint argmax, the digits being independent given the context). */
int ar_argmax_code(const ar_t *m, const float *row, int ldm);
/* Adds a 2-D code of (row, column) to the position rows of the T tokens of x_t and of x_{t+1}
 * (sines and cosines of pi*k*(r+1/2)/N, amplitude 0.5: the first C/2 columns for the row, the
 * next C/2 for the column), so that board neighbours start with similar positions instead of
 * raster-order ones. An initialization (the rows stay learned). -1 when T is not a square. */
int ar_init_pos2d(ar_t *m);
/* Loads a weights file written by ar_save (every key and tensor checked; dies with a hint). */
ar_t *ar_build_from_file(const char *path, const backend_t *be, int max_batch);
void ar_save(const ar_t *m, const char *path, int argc, char *const *argv);
void ar_free(ar_t *m);
void ar_config_write(weights_writer_t *w, const ar_t *m);  /* "ar.*" keys incl. the SHA-256s */
/* Reads the config and the SHA-256s into m-less outputs (sha buffers of 65 bytes, may be NULL). */
void ar_config_read(const weights_t *w, ar_config_t *cfg, char *tok_sha, char *ldm_sha);

int ar_horizon(const ar_t *m);        /* H of the LDM codes in its sequence; 0 = video-only */
int ar_image_tokens(const ar_t *m);   /* T */

/* One training sequence (L unified token ids) from x_t's codes img[T], the side to move
 * (0 black, 1 white), the LDM codes ldm[H] (ignored when H == 0) and x_{t+1}'s codes next[T]. */
void ar_seq_build(const ar_t *m, const int *img, int to_move, const int *ldm, const int *next, int *tokens);

/* Full forward on B <= max_batch sequences tokens[B*L] (host); returns the mean loss (nats per
 * target token) and sets loss_img / loss_ldm / loss_spec. m->logits holds [B*L, NO]. */
float ar_forward(ar_t *m, const int *tokens, int B);
/* Training on prefixes: len = ar_loss_start + H + 3 (T + H + 6) makes the following forward/backward calls
 * take sequences that stop after <act_end> (the targets <act_start>, z^1..z^H, <act_end>; the
 * causal mask makes their logits those of the full sequence); 0 restores the full L. The
 * KV-cache calls (ar_step, ar_imagine) refuse a model set to a prefix. Dies on another len. */
void ar_set_len(ar_t *m, int len);
void ar_zero_grad(ar_t *m);
void ar_backward(ar_t *m);            /* of the last ar_forward: accumulates into m->grad */
/* Global-norm clipping (max_norm <= 0: none) + one AdamW step t_step (from 1); returns the norm. */
float ar_adamw_step(ar_t *m, float lr, float beta1, float beta2, float eps, float weight_decay, float max_norm,
                    int t_step);
/* Logits of the last forward as host [B*L, NO] (copied into m->host_logits, returned). */
const float *ar_logits(ar_t *m);

/* KV-cache step: appends tokens[B*T] (host) at positions pos0 .. pos0+T-1 of B sequences whose
 * earlier positions are in the cache (pos0 = 0 starts new ones); returns host logits [B*T, NO]
 * (valid until the next call). pos0 + T <= L. */
const float *ar_step(ar_t *m, const int *tokens, int B, int pos0, int T);

typedef struct { float temperature; int top_k; float top_p; } ar_sampler_t; /* temperature <= 0: greedy */
/* Samples one digit from logits[V] (host) under s; greedy = argmax (first of ties). */
int ar_sample_digit(const float *logits, int V, const ar_sampler_t *s, rng_t *rng);

/* Imagines B futures of one position, with the KV cache: img[T] = tokenizer codes of x_t,
 * to_move 0 = black, 1 = white. Writes ldm[B*H] (LDM code indices; untouched when H == 0)
 * and next_img[B*T] (tokenizer code indices of x_{t+1}). Deterministic given rng's state. */
void ar_imagine(ar_t *m, const int *img, int to_move, int B, const ar_sampler_t *s, rng_t *rng, int *ldm,
                int *next_img);

/* As ar_imagine, but deterministic: future b takes the b-th most likely z^1 (the joint
 * probability of its digits; prob[b] gets it), then the greedy z^2..z^H and x_{t+1}. The B
 * futures are the B likeliest first codes, so weighting each future's IDM softmax by prob[b]
 * marginalizes the move over them. B <= AR_TOP_MAX and <= the codebook; H >= 1. */
void ar_imagine_top(ar_t *m, const int *img, int to_move, int B, int *ldm, float *prob, int *next_img);

/* The video-only counterpart (H = 0), deterministic: one pass over x_{t+1} = x_t gives the
 * probability of every "first change" (the first token i of x_{t+1} that differs from x_t,
 * and its code c: p = prod_{j<i} p(x_t[j]) * p_i(c); or no change at all); future b takes the
 * b-th likeliest (prob[b] gets it), then the greedy rest of x_{t+1}. Weighting the futures'
 * IDM softmaxes by prob[b] marginalizes the move over its most likely ways to begin.
 * B <= AR_TOP_MAX; more futures than events get the unchanged frame with probability 0. */
void ar_imagine_changes(ar_t *m, const int *img, int to_move, int B, float *prob, int *next_img);

#endif
