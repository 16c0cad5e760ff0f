/* ldm.h: the latent dynamics model (DESIGN.md section 3): from frame x_t and the next H frames,
 * H learnable queries (query h attends to frames t..t+h) each produce one FSQ code z_t^h; a
 * decoder rebuilds x_{t+1..t+H} from x_t and the codes; L2 loss. Trained on frames only.
 *
 * Input representation (the choice the issue leaves open): rendered frames, patchified, NOT the
 * tokenizer's features. Why: (1) the LDM then trains and is evaluated independently of the
 * tokenizer, which is still training (its features would change under the LDM); (2) the
 * board-exact check of the reconstructed x_{t+1} reads pixels straight through the frame
 * reader (render_board_read), with no tokenizer decoder in between to blame; (3) on the CPU
 * preset a 64-px frame is only 16 patch tokens of 768 features, as cheap as the tokenizer's
 * features would be. Frames the model sees go through the same renderer as the tokenizer's.
 *
 * Architecture (all presets; only the numbers differ). F = H + 1 frames per window, T patch
 * tokens per frame, C width, D FSQ dimensions:
 *   encoder: each token of frame f gets  Win.x_f + Wdiff.(x_f - x_{f-1}) + pos[k] + frame[f]
 *            (x_{-1} := x_0: frame 0's difference is zero). The difference term is a fixed
 *            linear function of the input frames (no label): it makes "what changed" a
 *            first-class feature so that one attention layer can find the move.
 *            -> residual MLP  h = e + fc(gelu(e))  -> packed k|v.
 *            H learned queries cross-attend (NH heads) with the mask "query h (0-based) sees
 *            the tokens of frames 0..h+1", i.e. x_t..x_{t+h+1} (attn_dims_t: hi0 = 2T,
 *            hi_step = T), -> o = out(att) + query -> z = Wz.gelu(o) -> FSQ -> one code each.
 *   decoder: frame j (1..H) is predicted from x_t and the codes z^1..z^j ONLY (codes of later
 *            queries are masked to zero): token k of frame j gets
 *              g = Wdx.x_t[k] + pos[k] + Wdz.[z^1..z^j, 0..] + frame[j]
 *            -> gelu -> fc1 -> gelu -> fc2 -> + x_t[k] (the decoder predicts the change).
 *            Gated decoder (cfg.gated, the grid preset): g has width 2C and gelu(g) becomes
 *            swiglu(g) = silu(g_a) * g_b, a product of two sums of the same terms.
 *            This causal use of the codes is deliberate: x_{t+1} depends on z^1 alone, so z^1
 *            must carry the move t -> t+1 (the paper's IDM reads z_t^1), and z^h the rest.
 * Loss: mean squared error of the predicted patches of x_{t+1..t+H} in [-1, 1] pixel units,
 * plus disc_weight * the MSE of the mean colours of the intersection discs (the tokenizer's
 * fixed linear pooling R [Q = N*N*3, S*S*3], tokenizer.h): a move changes one disc, about 1%
 * of a frame's pixels, so plain pixel MSE barely sees it; the pooled term weighs exactly the
 * pixels that say which stone is where (frame geometry only, no label). The disc term's
 * weight per preset and the pilots behind it: docs/measurements.md (LDM).
 *
 * Windows (ldm_window): frames i, i+1, ..., i+H of the game holding frame i, replicate-padded
 * at the game's end (frame i + min(h, frames after i)); a pass already is a repeated frame.
 *
 * Memory: every tensor lives in backend memory, allocated once: parameters at creation,
 * activations for max_batch windows in ldm_new / ldm_build_from_file, gradients and AdamW
 * moments on the first ldm_zero_grad. Nothing is allocated inside forward/backward. The ldm_t
 * owns all of it; ldm_free releases it. An ldm_t is used by one thread at a time.
 */
#ifndef VIDEOGO_MODEL_LDM_H
#define VIDEOGO_MODEL_LDM_H

#include <stdint.h>

#include "kernels/backend.h"
#include "model/params.h"
#include "model/weights.h"
#include "render/dataset.h"
#include "render/render.h"

#define LDM_ARCH "ldm"
#define LDM_MAX_LEVELS 8
#define LDM_MAX_HORIZON 16
#define LDM_N_PARAMS 24

typedef struct {
    char preset[16];     /* "cpu", "paper", "tiny" or "custom" */
    int board_size;      /* N (9) */
    int px;              /* S: frame side in pixels */
    int channels;        /* 3 (RGB) */
    int patch;           /* P: patch side; S % P == 0 */
    int horizon;         /* H: future frames = queries = codes per window (paper 5; 1 and 3 too) */
    int width;           /* C: model width */
    int heads;           /* NH: attention heads (C % NH == 0) */
    int n_levels;        /* D: FSQ dimensions of one code */
    int levels[LDM_MAX_LEVELS];
    float disc_weight;   /* weight of the intersection-disc loss (below); 0: none */
    int gated;           /* decoder input: 0 gelu(g) with g of width C; 1 swiglu: g has width 2C
                            and silu(g_a) * g_b multiplies a term of (x_t[k], pos[k]) with one of
                            the codes, so "this code is this intersection" is a product, not a
                            bump carved from half-spaces (key ldm.decoder, "gelu" when absent) */
} ldm_config_t;

/* Fills *cfg with a named preset (H = 5). 0, or -1 for an unknown name. */
int ldm_preset(const char *name, ldm_config_t *cfg);
int ldm_tokens(const ldm_config_t *cfg);     /* T = (px/patch)^2 */
long ldm_codebook(const ldm_config_t *cfg);  /* prod(levels) */
/* Checks a configuration; 0 or -1 with a message. */
int ldm_config_check(const ldm_config_t *cfg, char *err, size_t errlen);
/* Hyperparameter keys under "ldm." (weights files and checkpoints alike). */
void ldm_config_write(weights_writer_t *w, const ldm_config_t *cfg);
/* Reads them back (loader tier: dies naming the file, the key and the regenerate hint). */
void ldm_config_read(const weights_t *w, ldm_config_t *cfg);

typedef model_param_t ldm_param_t; /* one parameter tensor (model/params.h) */

typedef struct {
    ldm_config_t cfg;
    const backend_t *be;
    int T, PF, C, D, H, F; /* tokens/frame, patch features, width, FSQ dims, horizon, H + 1 */
    int G;               /* decoder input width: C, or 2C when gated */
    int max_batch;       /* windows per call at most */
    int batch;           /* windows in the last ldm_set_windows */

    ldm_param_t params[LDM_N_PARAMS];
    size_t n_params;
    float *param, *grad, *m, *v;     /* backend, n_params floats each */

    /* activations (one backend block). NK = B*F*T key rows, NQ = B*H query rows,
     * NX = B*T rows of x_t, ND = B*H*T decoder rows. */
    float *img, *dimg;   /* [B*F, S, S, C] frames in [-1,1] and their differences */
    float *xtok, *dtok;  /* [NK, PF] patchified */
    float *e, *ea, *eh, *kv;          /* [NK, C] x3, [NK, 2C] */
    float *q, *ao, *att, *o, *og, *z, *zhat;   /* [NQ,C] x2, [B,NH,H,F*T], [NQ,C] x2, [NQ,D] x2 */
    float *zmask, *zc;   /* [NQ, H*D], [NQ, C] */
    float *x0, *hx;      /* [NX, PF], [NX, C] */
    float *g, *g1, *g2, *g3, *y, *tgt; /* [ND, C] x4, [ND, PF] x2 */
    float *tmp;          /* [max(NK, ND), C] embeddings before an add */
    float *loss;         /* [ND] */
    int Q;               /* rows of the disc pooling (0 without it) */
    float *R;            /* [Q, S*S*3] disc pooling, NULL when disc_weight == 0 */
    float *yimg, *timg;  /* [B*H, S*S*3] predicted and target frames (disc loss) */
    float *pool_y, *pool_x, *loss_disc, *dpool, *dyimg;   /* [B*H,Q] x2, [B*H], [B*H,Q], [B*H,S*S*3] */
    size_t act_floats;
    float *act;
    /* gradients of the activations (one block, allocated with grad) */
    float *de, *dea, *deh, *dkv, *dq, *dao, *dov, *dog, *dz, *dzhat, *dzmask, *dzc, *dhx;
    float *dg, *dg1, *dg2, *dg3, *dy;
    float *att_scratch;
    size_t dact_floats;
    float *dact;
    int *codes;          /* [NQ] backend */
    int *ids;            /* backend index block: the gathers below */
    int *id_kpos, *id_kframe, *id_q, *id_x0, *id_bk, *id_bj, *id_j, *id_pos, *id_tgt;
    attn_dims_t ad;

    float *host_img, *host_dimg;      /* host staging [B*F, S*S*C] */
    float *host_loss;    /* host [ND] */
} ldm_t;

/* A new LDM with parameters drawn from seed, activations for max_batch windows. Dies (with a
 * hint) on a bad config or out of memory. */
ldm_t *ldm_new(const ldm_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed);
/* Loads a weights file written by ldm_save: every key, every tensor's name and shape checked,
 * no unknown tensor may remain; a bad file dies with what is wrong and how to regenerate it. */
ldm_t *ldm_build_from_file(const char *path, const backend_t *be, int max_batch);
void ldm_save(const ldm_t *l, const char *path, int argc, char *const *argv);
void ldm_free(ldm_t *l);

/* Window of frame i of ds under symmetry sym: the boards of frames i..i+H (replicate-padded at
 * the game's end) rendered with ctx into rgb[(H+1) * px*px*3]; stones[(H+1) * N*N] too when not
 * NULL. 0, or -1 if i or sym is out of range or a record is corrupt. Frames only (no label). */
int ldm_window(const dataset_t *ds, const render_ctx_t *ctx, int horizon, uint64_t i, int sym, uint8_t *rgb,
               uint8_t *stones);

/* B windows (B <= max_batch; (H+1) frames of S*S*3 bytes each, frame-major per window). */
void ldm_set_windows(ldm_t *l, const uint8_t *rgb, int B);
/* Forward on the windows set last; returns the loss (pixel MSE + disc_weight * disc MSE). l->codes holds the
 * B*H codes (window-major). */
float ldm_forward(ldm_t *l);
void ldm_zero_grad(ldm_t *l);
/* Backward of the last forward: accumulates into l->grad. */
void ldm_backward(ldm_t *l);
/* Global-norm clipping (max_norm <= 0: none) and one AdamW step t_step (from 1). Returns the
 * gradient norm. */
float ldm_adamw_step(ldm_t *l, float lr, float beta1, float beta2, float eps, float weight_decay, float max_norm,
                     int t_step);
/* After a forward: codes[B*H] (host) and the predicted frames rgb[B*H] (frames t+1..t+H of each
 * window, rounded to bytes); either may be NULL. */
void ldm_outputs(ldm_t *l, int *codes, uint8_t *rgb);

#endif
