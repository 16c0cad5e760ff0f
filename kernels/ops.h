/* ops.h: every layer the four networks need (tokenizer, LDM, transformer, IDM), forward and
 * backward, on the CPU. Stateless functions in the llm.c style; the CUDA twins in kernels/cuda/
 * keep these signatures (plus a stream) and are reached through the table in backend.h, so
 * model code calls `be->matmul_forward(...)` and never needs #ifdef.
 *
 * Dimension letters (used in every shape comment below):
 *   N   rows: any flattened leading dimensions (e.g. N = B*T tokens, or B*H*W pixels)
 *   B   batch            T   tokens (query length)      S   key/value tokens (source length)
 *   C   channels         OC  output channels            F   SwiGLU hidden width
 *   NH  attention heads  HD  head size (C = NH*HD)       V   classes (vocabulary size)
 *   H,W image height and width; images are NHWC: [B, H, W, C], channels fastest
 *   OH,OW  conv output height/width (conv2d_out_size)   K   square conv kernel size
 *   P   patch size       G   GroupNorm groups           D   FSQ dimensions (number of levels)
 *   n   element count of an elementwise op (size_t)
 *
 * Conventions (the contract for CPU and CUDA alike):
 *   - Row-major, contiguous, float32, unless a leading dimension `ld` (elements between rows)
 *     is given. Images are NHWC, so a 1x1 conv is a matmul and a patchified image is already a
 *     token sequence [B, T, C].
 *   - `<op>_forward(out..., saved..., inp..., params..., dims)` OVERWRITES its outputs (and the
 *     tensors it saves for backward: mean, rstd, att, ...).
 *   - `<op>_backward(dinp..., dparam..., dout, saved..., dims)` ACCUMULATES every gradient it
 *     writes, input gradients included: dinp += J^T dout, dweight += ... . The caller zeroes all
 *     gradient buffers once per step; a residual x + f(x) then needs no extra add. Any gradient
 *     output may be NULL: it is then not computed (e.g. dinp of the first layer). Gradient
 *     buffers never alias inputs, outputs or each other, except where an op says otherwise.
 *     The one exception to "accumulate" is RoPE, an in-place rotation (see rope_forward).
 *   - Losses (softmax_cross_entropy, mse, l1) write one loss per row and take `dscale`, the
 *     derivative of the caller's total loss with respect to each row's loss (1/N for a mean).
 *   - No allocation, ever, inside an op. Ops that need workspace take `scratch` sized by their
 *     `*_scratch_size()` helper (a count of floats).
 *   - Deterministic: the same inputs and the same thread count give bit-identical results on
 *     the same machine. Our own loops never depend on the thread count (every output element is
 *     computed by one thread in a fixed order; reductions use fixed blocks); a GEMM is split into
 *     one block per thread, so its last bits may depend on the count: set it once with
 *     kernels_set_threads() (and record it with a checkpoint).
 *   - Pointers to tensors (float*, int* indexed by the data) are backend memory (plain host
 *     memory on the CPU); configuration arrays (FSQ `levels`) and the attn_dims_t struct are
 *     host memory. Scalars are passed by value.
 *   - exp() in softmax, attention, SiLU/SwiGLU/GELU and the cross-entropy is a vectorizable
 *     polynomial (kexpf in kernels_internal.h, within 1.4 ulp of expf); the CUDA twins match
 *     within their parity tolerance, not bit for bit.
 *   - Errors: shapes are the caller's contract; violated preconditions are assert()s (the
 *     model builds shapes once from a checked weights file), so ops return void.
 */
#ifndef VIDEOGO_KERNELS_OPS_H
#define VIDEOGO_KERNELS_OPS_H

#include <stddef.h>

/* ---- threads ---------------------------------------------------------------------------- */

/* Sets the number of threads the ops use (n >= 1); n <= 0 keeps the default (OMP_NUM_THREADS,
 * else all cores). Returns the count in effect. Call once at program start: results are
 * bit-identical run to run only for the same count.
 * Threading model: one pool, OpenMP's. OpenBLAS is put in single-threaded mode and each large
 * GEMM is split into one block per OpenMP thread (two pools spinning against each other made a
 * transformer block 2.5x slower on 2 cores). Without OpenMP, OpenBLAS gets the n threads.
 * libgomp's idle threads spin before sleeping: right on a dedicated machine, ruinous when
 * other busy processes share the cores (measured: docs/measurements.md, kernels). libgomp reads
 * OMP_WAIT_POLICY / GOMP_SPINCOUNT in its own constructor, so the library cannot set them
 * itself; kernels_reexec_passive() can. */
int kernels_set_threads(int n);
/* Call first thing in main(): when the build has OpenMP and neither OMP_WAIT_POLICY nor
 * GOMP_SPINCOUNT is set, sets OMP_WAIT_POLICY=passive and re-executes the program
 * (/proc/self/exe, same argv) so libgomp starts with it. Returns without doing anything
 * otherwise, or if the exec fails. Set OMP_WAIT_POLICY=active to keep libgomp's spinning
 * (faster on a dedicated machine). */
void kernels_reexec_passive(char **argv);
/* A one-line description of the CPU backend: OpenBLAS core and config, OpenMP or not. */
const char *kernels_describe(void);

/* ---- linear ----------------------------------------------------------------------------- */

/* out[N,OC] = inp[N,C] @ weight[OC,C]^T + bias[OC] (bias may be NULL). One sgemm, split
 * across the threads (kernels_internal.h). */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int C, int OC);
/* dinp[N,C] += dout[N,OC] @ weight[OC,C];  dweight[OC,C] += dout^T @ inp[N,C];
 * dbias[OC] += sum over rows of dout.  Any of dinp, dweight, dbias may be NULL. */
void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC);

/* ---- convolution, patches, upsampling (NHWC) --------------------------------------------- */

/* Output size of a conv along one axis. Inline: the CUDA module (kernels/cuda/conv.cu) shares
 * it without linking the CPU kernels. */
static inline int conv2d_out_size(int H, int K, int stride, int pad)
{
    return (H + 2 * pad - K) / stride + 1;
}
/* Floats of scratch conv2d_forward/backward need for these shapes (0 for a 1x1, stride 1,
 * pad 0 conv, which is a plain matmul). The size does not depend on B. */
size_t conv2d_scratch_size(int H, int W, int C, int K, int stride, int pad);
/* out[B,OH,OW,OC] = conv(inp[B,H,W,C], weight[OC,K,K,C]) + bias[OC] (bias may be NULL),
 * zero padding `pad` on every side. im2col into scratch in chunks of output rows + sgemm.
 * weight[oc, kh, kw, c] multiplies inp[b, oh*stride - pad + kh, ow*stride - pad + kw, c]. */
void conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                    float *scratch, int B, int H, int W, int C, int OC, int K, int stride, int pad);
/* dinp[B,H,W,C] +=, dweight[OC,K,K,C] +=, dbias[OC] += (each may be NULL),
 * from dout[B,OH,OW,OC], inp, weight. Same scratch as the forward. */
void conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, float *scratch,
                     int B, int H, int W, int C, int OC, int K, int stride, int pad);

/* Nearest-neighbour upsampling by an integer factor f (the decoder does upsample + conv
 * rather than a transposed conv: no checkerboard artefacts, and it reuses conv2d).
 * out[B, H*f, W*f, C];  out[b, y, x, c] = inp[b, y/f, x/f, c]. */
void upsample_nearest_forward(float *out, const float *inp, int B, int H, int W, int C, int f);
/* dinp[B,H,W,C] += sum of dout[B,H*f,W*f,C] over each f x f block. */
void upsample_nearest_backward(float *dinp, const float *dout, int B, int H, int W, int C, int f);

/* Space-to-depth: cut inp[B,H,W,C] into P x P patches (H, W multiples of P) and lay each out as
 * a token: out[B, (H/P)*(W/P), P*P*C], tokens in raster order, features in (py, px, c) order.
 * Patch embedding = patchify + matmul (a conv with K = stride = P, without im2col). */
void patchify_forward(float *out, const float *inp, int B, int H, int W, int C, int P);
/* dinp[B,H,W,C] += the inverse rearrangement of dout[B,(H/P)*(W/P),P*P*C]. */
void patchify_backward(float *dinp, const float *dout, int B, int H, int W, int C, int P);
/* Depth-to-space, the exact inverse of patchify (also a "pixel shuffle" upsampling by P):
 * out[B,H,W,C] from inp[B,(H/P)*(W/P),P*P*C]; H, W are the OUTPUT image size. */
void unpatchify_forward(float *out, const float *inp, int B, int H, int W, int C, int P);
/* dinp[B,(H/P)*(W/P),P*P*C] += patchify(dout[B,H,W,C]). */
void unpatchify_backward(float *dinp, const float *dout, int B, int H, int W, int C, int P);

/* ---- normalization ---------------------------------------------------------------------- */

/* RMSNorm (Llama): out[N,C] = inp * rstd * weight[C], rstd[N] = 1/sqrt(mean(inp^2) + eps). */
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight,
                     int N, int C, float eps);
/* dinp[N,C] +=, dweight[C] += (either may be NULL). */
void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C);

/* LayerNorm: out[N,C] = (inp - mean) * rstd * weight[C] + bias[C];  mean[N], rstd[N] saved.
 * bias may be NULL (no bias). */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int C, float eps);
/* dinp[N,C] +=, dweight[C] +=, dbias[C] += (each may be NULL). */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C);

/* GroupNorm on NHWC activations seen as inp[B, HW, C] (HW = H*W pixels): channels are split
 * into G groups of C/G consecutive channels; statistics over HW x C/G values per (b, g);
 * mean[B,G], rstd[B,G] saved; per-channel affine weight[C], bias[C] (bias may be NULL). */
void groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int B, int HW, int C, int G,
                       float eps);
/* dinp[B,HW,C] +=, dweight[C] +=, dbias[C] += (each may be NULL). */
void groupnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int B, int HW, int C, int G);

/* ---- activations and elementwise -------------------------------------------------------- */

/* out[n] = x * sigmoid(x). */
void silu_forward(float *out, const float *inp, size_t n);
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n);
/* GELU, tanh approximation (as GPT-2 / llm.c): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * with tanh computed from the fast exp (absolute error ~1e-7). */
void gelu_forward(float *out, const float *inp, size_t n);
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);
/* SwiGLU on a fused gate/up projection: inp[N, 2F] = [a | b] (one matmul with OC = 2F),
 * out[N,F] = silu(a) * b. */
void swiglu_forward(float *out, const float *inp, int N, int F);
/* dinp[N,2F] += ... from dout[N,F]. */
void swiglu_backward(float *dinp, const float *dout, const float *inp, int N, int F);
/* Residual add: out[n] = a + b (out may alias a or b). */
void add_forward(float *out, const float *a, const float *b, size_t n);
/* da[n] += dout, db[n] += dout (either may be NULL). */
void add_backward(float *da, float *db, const float *dout, size_t n);
/* x[n] *= s, in place (gradient clipping, loss scaling). */
void scale_inplace(float *x, size_t n, float s);

/* ---- rotary position embedding ---------------------------------------------------------- */

/* RoPE, IN PLACE on x[B, T, NH, HD] whose token rows are `ld` floats apart (so it can rotate
 * the q and k parts of a packed qkv[B,T,3C]: call it on qkv and on qkv + C with ld = 3C;
 * batch items are T*ld apart). Token t has position pos0 + t. Pairs (x[2i], x[2i+1]) of each
 * head rotate by angle pos * theta^(-2i/HD) (interleaved pairs, as Meta's Llama; theta is
 * usually 10000). Angles are computed in double. HD must be even. */
void rope_forward(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta);
/* The backward of a rotation is the inverse rotation, also IN PLACE on the gradient:
 * dx[B,T,NH,HD] (rows ld apart) := R^T dx. Not an accumulation: run it on the gradient of the
 * rotated tensor once it is complete (after attention_backward), before matmul_backward. */
void rope_backward(float *dx, int B, int T, int NH, int HD, int ld, int pos0, float theta);

/* ---- attention -------------------------------------------------------------------------- */

/* Shapes, strides and mask of one attention call. q is [B, T, NH*HD], k and v are [B, S, NH*HD],
 * each with its own token stride (ld) and batch stride (bs) in floats, so q/k/v can be slices
 * of a packed qkv buffer or of a KV cache [B, Smax, ...]. Head h uses columns h*HD..h*HD+HD-1.
 * Mask: query t attends to keys s with lo(t) <= s < hi(t), where
 *   lo(t) = clamp(lo0 + lo_step * t, 0, S),  hi(t) = clamp(hi0 + hi_step * t, 0, S).
 *   full:      lo0 = 0, lo_step = 0, hi0 = S, hi_step = 0
 *   causal:    hi0 = S - T + 1, hi_step = 1 (the T queries are the last T of the S positions,
 *              so T = S is ordinary causal self-attention and T = 1 is a KV-cache step)
 *   LDM:       query h (of H) sees frames 0..h of P tokens each: hi0 = P, hi_step = P
 * A query whose range is empty gets an all-zero output row.
 * scale multiplies q.k (normally 1/sqrt(HD); the attn_* helpers set it). */
typedef struct {
    int B, T, S, NH, HD;
    int q_ld, k_ld, v_ld;
    size_t q_bs, k_bs, v_bs;
    int lo0, lo_step, hi0, hi_step;
    float scale;
} attn_dims_t;

/* Self-attention on a packed qkv[B,T,3C] (q = qkv, k = qkv + C, v = qkv + 2*C), causal or full. */
attn_dims_t attn_dims_self(int B, int T, int C, int NH, int causal);
/* Cross-attention: q[B,T,C] packed; k = kv, v = kv + C inside a packed kv[B,S,2C]; full mask
 * (set lo/hi afterwards for a banded one). */
attn_dims_t attn_dims_cross(int B, int T, int S, int C, int NH);
/* A generation step with a KV cache: the T new tokens' packed qkv[B,T,3C] give q (q = qkv);
 * their k and v have been appended to cache[B, Smax, 2C] (row = k | v; k = cache,
 * v = cache + C), which now holds S >= T positions; causal over the S positions. */
attn_dims_t attn_dims_cached(int B, int T, int S, int Smax, int C, int NH);
/* Key range [*lo, *hi) of query t under d's mask. */
void attn_range(const attn_dims_t *d, int t, int *lo, int *hi);

/* out[B,T,NH*HD] = softmax(scale * q k^T, masked) v per head;  att[B,NH,T,S] saves the
 * probabilities (zero outside the mask) for the backward. A KV-cache generation step is this
 * call with T = 1 (causal mask), k/v pointing into the cache and S = positions so far. */
void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       const attn_dims_t *d);
/* Floats of scratch attention_backward needs: B*NH*T*S. */
size_t attention_scratch_size(const attn_dims_t *d);
/* dq, dk, dv += (same strides as q, k, v; any may be NULL) from dout[B,T,NH*HD] and the
 * forward's att. dq/dk/dv may be slices of one packed dqkv buffer (they never overlap). */
void attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                        const float *q, const float *k, const float *v, const float *att,
                        const attn_dims_t *d);

/* ---- softmax and losses ----------------------------------------------------------------- */

/* probs[N,V] = softmax over each row of logits[N,V]. */
void softmax_forward(float *probs, const float *logits, int N, int V);
/* dlogits[N,V] += probs * (dprobs - sum(dprobs * probs)) per row. */
void softmax_backward(float *dlogits, const float *dprobs, const float *probs, int N, int V);

/* Fused softmax + cross-entropy over V classes of rows `ld` floats apart (ld >= V, so one
 * digit's logits inside a factorized head can be addressed as logits + offset):
 *   losses[N] = logsumexp(row) - row[targets[n]];  rows with targets[n] < 0 are ignored (loss 0,
 *   no gradient), which is how "loss only after the first <im_end>" is expressed.
 * When dlogits != NULL (rows ld apart) it also accumulates the backward:
 *   dlogits[n, :] += dscale * (softmax(row) - onehot(targets[n])). */
void softmax_cross_entropy(float *losses, float *dlogits, const float *logits, const int *targets,
                           int N, int V, int ld, float dscale);
/* losses[N] = mean over D of (pred - target)^2 per row. */
void mse_forward(float *losses, const float *pred, const float *target, int N, int D);
/* dpred[N,D] += dscale * 2 (pred - target) / D. */
void mse_backward(float *dpred, const float *pred, const float *target, int N, int D, float dscale);
/* losses[N] = mean over D of |pred - target| per row. */
void l1_forward(float *losses, const float *pred, const float *target, int N, int D);
/* dpred[N,D] += dscale * sign(pred - target) / D (sign(0) = 0). */
void l1_backward(float *dpred, const float *pred, const float *target, int N, int D, float dscale);

/* ---- embedding -------------------------------------------------------------------------- */

/* out[N,C] = table[ids[n], :] for table[V,C]; ids in [0, V). */
void embedding_forward(float *out, const int *ids, const float *table, int N, int C, int V);
/* dtable[V,C] += dout[N,C] scattered by ids (rows summed in order n = 0..N-1). */
void embedding_backward(float *dtable, const float *dout, const int *ids, int N, int C, int V);

/* ---- FSQ: finite scalar quantization (Mentzer et al. 2023) ------------------------------- */

/* Dimension i of D has levels[i] >= 2 values. With half_l = (L-1)(1+1e-3)/2,
 * offset = 0.5 for even L else 0, shift = atanh(offset/half_l), as in the reference PyTorch
 * implementation (vector-quantize-pytorch); the paper's listing has (1-eps) and tan instead,
 * which gives bound(0) != 0, and (1-eps) with atanh would be NaN for L = 2:
 *   bound(z) = tanh(z + shift) * half_l - offset
 *   q = rint(bound(z)) in [-(L/2), L/2 - (1 - L%2)]  (rint: round half to even, as jnp.round)
 *   zhat = q / (L/2)        (integer division L/2: values in [-1, 1])
 *   digit = q + L/2 in [0, L);  code = sum_i digit_i * prod_{j<i} levels[j]  (mixed radix,
 *   dimension 0 least significant; code in [0, fsq_codebook_size)).
 * zhat[N,D] and codes[N] (may be NULL) from z[N,D]; levels[D] is a host array. */
void fsq_forward(float *zhat, int *codes, const float *z, const int *levels, int N, int D);
/* Straight-through estimator: the rounding passes the gradient unchanged, so
 * dz[N,D] += dzhat * d/dz (bound(z) / (L/2)) = dzhat * half_l / (L/2) * (1 - tanh^2(z + shift)). */
void fsq_backward(float *dz, const float *dzhat, const float *z, const int *levels, int N, int D);
/* zhat[N,D] from codes[N] (inverse of the code mapping; what a decoder does with predicted
 * tokens). No gradient. */
void fsq_decode(float *zhat, const int *codes, const int *levels, int N, int D);
/* digits[N,D] (digit_i in [0, levels[i])) from codes[N]: the targets of a factorized head. */
void fsq_digits(int *digits, const int *codes, const int *levels, int N, int D);
/* prod levels[i] (host helper). */
long fsq_codebook_size(const int *levels, int D);
/* Checks a net's FSQ levels (host helper): 1..max_d dimensions, each level in 2..256, codebook
 * at most max_codebook. 0, or -1 with "<what>: ..." in err. */
int fsq_levels_check(const int *levels, int D, int max_d, long max_codebook, const char *what, char *err,
                     size_t errlen);

/* ---- optimizer -------------------------------------------------------------------------- */

/* *out += sum of x[n]^2 (accumulated in double over fixed blocks, so deterministic): call once
 * per gradient tensor into one zeroed float, sqrt it for the global norm. */
void norm_sq_accumulate(float *out, const float *x, size_t n);
/* AdamW (Loshchilov & Hutter), decoupled weight decay, bias correction; step t counts from 1.
 *   g = grad_scale * grads;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   params -= lr * ( (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) + weight_decay * params )
 * grad_scale folds gradient clipping (and 1/accumulation steps) into the update. Call per
 * tensor (weight_decay 0 for norms, biases and embeddings) or once over a contiguous block. */
void adamw_update(float *params, const float *grads, float *m, float *v, size_t n,
                  float lr, float beta1, float beta2, float eps, float weight_decay,
                  float grad_scale, int t);

/* Host-side helpers (plain scalar maths, identical for every backend, not in the table). */
/* Global-norm clipping factor: 1 when norm <= max_norm (or max_norm <= 0: no clipping), else
 * max_norm / (norm + 1e-6). */
float grad_clip_scale(float norm, float max_norm);
/* Learning rate at `step` (from 0): linear warmup lr_max * (step+1)/warmup over `warmup` steps,
 * then cosine decay from lr_max to lr_min at step `total`, lr_min after that. */
float lr_schedule(long step, long warmup, long total, float lr_max, float lr_min);

#endif
