/* ops_cuda.h: the CUDA twins of every op in kernels/ops.h.
 *
 * Each op is `<name>_cuda(<exactly the arguments of the CPU function>, cudaStream_t stream)`:
 * same shapes, same forward-overwrites / backward-accumulates (+=) conventions, same NULL
 * gradient rules (see ops.h). Tensor pointers are device memory; configuration (attn_dims_t,
 * FSQ levels) is host memory, as in ops.h. Work is queued on `stream` and the call returns
 * before it has run; no op waits for the device. Errors (a failed launch, a cuBLAS status) die
 * with file:line and the error string.
 *
 * cuBLAS: the ops that multiply matrices share one process-wide cuBLAS handle (created on first
 * use, math mode CUBLAS_DEFAULT_MATH: plain FP32, no TF32) and bind it to `stream` before each
 * call. That makes the functions safe to call from ONE host thread at a time only (which is how
 * the CUDA backend uses them). Scratch-size helpers are host functions (no stream).
 *
 * Reductions are deterministic: fixed block shapes and fixed-order tree sums, no atomics.
 * norm_sq_accumulate uses a static device buffer for its per-block partial sums, so concurrent
 * calls on two different streams would race (the backend uses one stream).
 *
 * C and C++ (nvcc) both include this header; only cuda_runtime_api.h is needed for the stream.
 */
#ifndef VIDEOGO_KERNELS_CUDA_OPS_CUDA_H
#define VIDEOGO_KERNELS_CUDA_OPS_CUDA_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "kernels/ops.h"

/* ---- runtime helpers (common.cu) ---- */

/* One line: device name, compute capability, memory, CUDA runtime and cuBLAS versions.
 * Static buffer, valid for the whole program. */
const char *kernels_cuda_describe(void);
/* Dies (file:line, cudaGetErrorString) unless err == cudaSuccess. */
void kernels_cuda_check_at(cudaError_t err, const char *what, const char *file, int line);
#define KERNELS_CUDA_CHECK(call) kernels_cuda_check_at((call), #call, __FILE__, __LINE__)

/* ---- workspace sizes, in floats (host functions) ---- */

size_t conv2d_scratch_size_cuda(int H, int W, int C, int K, int stride, int pad);
size_t attention_scratch_size_cuda(const attn_dims_t *d);

/* ---- linear ---- */

void matmul_forward_cuda(float *out, const float *inp, const float *weight, const float *bias,
                         int N, int C, int OC, cudaStream_t stream);
void matmul_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, int N, int C, int OC,
                          cudaStream_t stream);

/* ---- convolution, patches, upsampling (NHWC) ---- */

void conv2d_forward_cuda(float *out, const float *inp, const float *weight, const float *bias,
                         float *scratch, int B, int H, int W, int C, int OC, int K, int stride,
                         int pad, cudaStream_t stream);
void conv2d_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, float *scratch, int B, int H,
                          int W, int C, int OC, int K, int stride, int pad, cudaStream_t stream);
void upsample_nearest_forward_cuda(float *out, const float *inp, int B, int H, int W, int C,
                                   int f, cudaStream_t stream);
void upsample_nearest_backward_cuda(float *dinp, const float *dout, int B, int H, int W, int C,
                                    int f, cudaStream_t stream);
void patchify_forward_cuda(float *out, const float *inp, int B, int H, int W, int C, int P,
                           cudaStream_t stream);
void patchify_backward_cuda(float *dinp, const float *dout, int B, int H, int W, int C, int P,
                            cudaStream_t stream);
void unpatchify_forward_cuda(float *out, const float *inp, int B, int H, int W, int C, int P,
                             cudaStream_t stream);
void unpatchify_backward_cuda(float *dinp, const float *dout, int B, int H, int W, int C, int P,
                              cudaStream_t stream);

/* ---- normalization ---- */

void rmsnorm_forward_cuda(float *out, float *rstd, const float *inp, const float *weight, int N,
                          int C, float eps, cudaStream_t stream);
void rmsnorm_backward_cuda(float *dinp, float *dweight, const float *dout, const float *inp,
                           const float *weight, const float *rstd, int N, int C,
                           cudaStream_t stream);
void layernorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int N, int C, float eps,
                            cudaStream_t stream);
void layernorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *mean,
                             const float *rstd, int N, int C, cudaStream_t stream);
void groupnorm_forward_cuda(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int B, int HW, int C, int G,
                            float eps, cudaStream_t stream);
void groupnorm_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, const float *mean,
                             const float *rstd, int B, int HW, int C, int G,
                             cudaStream_t stream);

/* ---- activations and elementwise ---- */

void silu_forward_cuda(float *out, const float *inp, size_t n, cudaStream_t stream);
void silu_backward_cuda(float *dinp, const float *dout, const float *inp, size_t n,
                        cudaStream_t stream);
void gelu_forward_cuda(float *out, const float *inp, size_t n, cudaStream_t stream);
void gelu_backward_cuda(float *dinp, const float *dout, const float *inp, size_t n,
                        cudaStream_t stream);
void swiglu_forward_cuda(float *out, const float *inp, int N, int F, cudaStream_t stream);
void swiglu_backward_cuda(float *dinp, const float *dout, const float *inp, int N, int F,
                          cudaStream_t stream);
void add_forward_cuda(float *out, const float *a, const float *b, size_t n, cudaStream_t stream);
void add_backward_cuda(float *da, float *db, const float *dout, size_t n, cudaStream_t stream);
void scale_inplace_cuda(float *x, size_t n, float s, cudaStream_t stream);

/* ---- rotary position embedding and attention ---- */

void rope_forward_cuda(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta,
                       cudaStream_t stream);
void rope_backward_cuda(float *dx, int B, int T, int NH, int HD, int ld, int pos0, float theta,
                        cudaStream_t stream);
void attention_forward_cuda(float *out, float *att, const float *q, const float *k,
                            const float *v, const attn_dims_t *d, cudaStream_t stream);
void attention_backward_cuda(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                             const float *q, const float *k, const float *v, const float *att,
                             const attn_dims_t *d, cudaStream_t stream);

/* ---- softmax and losses ---- */

void softmax_forward_cuda(float *probs, const float *logits, int N, int V, cudaStream_t stream);
void softmax_backward_cuda(float *dlogits, const float *dprobs, const float *probs, int N, int V,
                           cudaStream_t stream);
void softmax_cross_entropy_cuda(float *losses, float *dlogits, const float *logits,
                                const int *targets, int N, int V, int ld, float dscale,
                                cudaStream_t stream);
void mse_forward_cuda(float *losses, const float *pred, const float *target, int N, int D,
                      cudaStream_t stream);
void mse_backward_cuda(float *dpred, const float *pred, const float *target, int N, int D,
                       float dscale, cudaStream_t stream);
void l1_forward_cuda(float *losses, const float *pred, const float *target, int N, int D,
                     cudaStream_t stream);
void l1_backward_cuda(float *dpred, const float *pred, const float *target, int N, int D,
                      float dscale, cudaStream_t stream);

/* ---- embedding ---- */

void embedding_forward_cuda(float *out, const int *ids, const float *table, int N, int C, int V,
                            cudaStream_t stream);
void embedding_backward_cuda(float *dtable, const float *dout, const int *ids, int N, int C,
                             int V, cudaStream_t stream);

/* ---- FSQ ---- */

void fsq_forward_cuda(float *zhat, int *codes, const float *z, const int *levels, int N, int D,
                      cudaStream_t stream);
void fsq_backward_cuda(float *dz, const float *dzhat, const float *z, const int *levels, int N,
                       int D, cudaStream_t stream);
void fsq_decode_cuda(float *zhat, const int *codes, const int *levels, int N, int D,
                     cudaStream_t stream);
void fsq_digits_cuda(int *digits, const int *codes, const int *levels, int N, int D,
                     cudaStream_t stream);

/* ---- optimizer ---- */

void norm_sq_accumulate_cuda(float *out, const float *x, size_t n, cudaStream_t stream);
void adamw_update_cuda(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                       float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                       int t, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
