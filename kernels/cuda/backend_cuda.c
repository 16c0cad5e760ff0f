/* backend_cuda.c: the CUDA backend table of backend.h: device memory on one CUDA stream and
 * thin wrappers that pass that stream to the ops of ops_cuda.h. Plain C (compiled by the host
 * compiler with the project's warnings); the kernels themselves are in the .cu files.
 *
 * This file and the .cu files form videogo-cuda.so, a module that backend_cuda() (backend.c)
 * loads on demand; videogo_cuda_backend(), its one export, initializes on first call: it
 * returns NULL with a one-line reason when the CUDA runtime finds no usable device (no driver,
 * no GPU, CUDA_VISIBLE_DEVICES empty, or a GPU older than sm_80), otherwise it creates the
 * stream on the current device (device 0 unless the program chose another) and returns the
 * table. Nothing here prints: the caller decides whether the reason is worth a line. Call it
 * first from one thread (the initialization is not locked); the ops queue work on the one
 * stream, so the backend is meant to be driven by one host thread.
 *
 * Memory semantics (what callers of backend.h may rely on):
 *   alloc      cudaMalloc (256-byte aligned); NULL on failure, the error is cleared
 *   free       cudaFree (synchronizes the device); NULL is a no-op
 *   to_device  queued on the stream, then waits for it: host_src may be reused on return
 *   to_host    queued on the stream after all earlier ops, then waits for it
 *   copy/zero  queued on the stream (device to device / memset 0)
 * Every CUDA call is checked and dies with file:line and the error string.
 */
#include <stddef.h>
#include <stdio.h>

#include <cuda_runtime_api.h>

#include "kernels/backend.h"
#include "kernels/cuda/ops_cuda.h"

/* Oldest compute capability (major) the fatbin of kernels/cuda/meson.build can run on. */
#define KERNELS_CUDA_MIN_MAJOR 8

static cudaStream_t g_stream;

static void *cuda_alloc(size_t bytes)
{
    void *p = NULL;
    if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) {
        (void)cudaGetLastError();   /* out of memory is not sticky: clear it, report NULL */
        return NULL;
    }
    return p;
}

static void cuda_free(void *p)
{
    if (p) KERNELS_CUDA_CHECK(cudaFree(p));
}

static void cuda_to_device(void *dst, const void *host_src, size_t bytes)
{
    if (!bytes) return;
    KERNELS_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, g_stream));
    KERNELS_CUDA_CHECK(cudaStreamSynchronize(g_stream));
}

static void cuda_to_host(void *host_dst, const void *src, size_t bytes)
{
    if (!bytes) return;
    KERNELS_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, g_stream));
    KERNELS_CUDA_CHECK(cudaStreamSynchronize(g_stream));
}

static void cuda_copy(void *dst, const void *src, size_t bytes)
{
    if (!bytes) return;
    KERNELS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, g_stream));
}

static void cuda_zero(void *p, size_t bytes)
{
    if (!bytes) return;
    KERNELS_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, g_stream));
}

static void cuda_synchronize(void)
{
    KERNELS_CUDA_CHECK(cudaStreamSynchronize(g_stream));
}

static int cuda_set_threads(int n)
{
    (void)n;   /* the host side is one thread queueing work; nothing to set */
    return 1;
}

/* ---- ops: `<name>_cuda(<args>, g_stream)` ---- */

static void cuda_matmul_forward(float *out, const float *inp, const float *weight,
    const float *bias, int N, int C, int OC)
{
    matmul_forward_cuda(out, inp, weight, bias, N, C, OC, g_stream);
}

static void cuda_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
    const float *inp, const float *weight, int N, int C, int OC)
{
    matmul_backward_cuda(dinp, dweight, dbias, dout, inp, weight, N, C, OC, g_stream);
}

static void cuda_conv2d_forward(float *out, const float *inp, const float *weight,
    const float *bias, float *scratch, int B, int H, int W, int C, int OC, int K, int stride,
    int pad)
{
    conv2d_forward_cuda(out, inp, weight, bias, scratch, B, H, W, C, OC, K, stride, pad, g_stream);
}

static void cuda_conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
    const float *inp, const float *weight, float *scratch, int B, int H, int W, int C, int OC,
    int K, int stride, int pad)
{
    conv2d_backward_cuda(dinp, dweight, dbias, dout, inp, weight, scratch, B, H, W, C, OC, K,
                         stride, pad, g_stream);
}

static void cuda_upsample_nearest_forward(float *out, const float *inp, int B, int H, int W, int C,
    int f)
{
    upsample_nearest_forward_cuda(out, inp, B, H, W, C, f, g_stream);
}

static void cuda_upsample_nearest_backward(float *dinp, const float *dout, int B, int H, int W,
    int C, int f)
{
    upsample_nearest_backward_cuda(dinp, dout, B, H, W, C, f, g_stream);
}

static void cuda_patchify_forward(float *out, const float *inp, int B, int H, int W, int C, int P)
{
    patchify_forward_cuda(out, inp, B, H, W, C, P, g_stream);
}

static void cuda_patchify_backward(float *dinp, const float *dout, int B, int H, int W, int C,
    int P)
{
    patchify_backward_cuda(dinp, dout, B, H, W, C, P, g_stream);
}

static void cuda_unpatchify_forward(float *out, const float *inp, int B, int H, int W, int C, int P)
{
    unpatchify_forward_cuda(out, inp, B, H, W, C, P, g_stream);
}

static void cuda_unpatchify_backward(float *dinp, const float *dout, int B, int H, int W, int C,
    int P)
{
    unpatchify_backward_cuda(dinp, dout, B, H, W, C, P, g_stream);
}

static void cuda_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight,
    int N, int C, float eps)
{
    rmsnorm_forward_cuda(out, rstd, inp, weight, N, C, eps, g_stream);
}

static void cuda_rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
    const float *weight, const float *rstd, int N, int C)
{
    rmsnorm_backward_cuda(dinp, dweight, dout, inp, weight, rstd, N, C, g_stream);
}

static void cuda_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
    const float *weight, const float *bias, int N, int C, float eps)
{
    layernorm_forward_cuda(out, mean, rstd, inp, weight, bias, N, C, eps, g_stream);
}

static void cuda_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
    const float *inp, const float *weight, const float *mean, const float *rstd, int N, int C)
{
    layernorm_backward_cuda(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, g_stream);
}

static void cuda_groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
    const float *weight, const float *bias, int B, int HW, int C, int G, float eps)
{
    groupnorm_forward_cuda(out, mean, rstd, inp, weight, bias, B, HW, C, G, eps, g_stream);
}

static void cuda_groupnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
    const float *inp, const float *weight, const float *mean, const float *rstd, int B, int HW,
    int C, int G)
{
    groupnorm_backward_cuda(dinp, dweight, dbias, dout, inp, weight, mean, rstd, B, HW, C, G,
                            g_stream);
}

static void cuda_silu_forward(float *out, const float *inp, size_t n)
{
    silu_forward_cuda(out, inp, n, g_stream);
}

static void cuda_silu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    silu_backward_cuda(dinp, dout, inp, n, g_stream);
}

static void cuda_gelu_forward(float *out, const float *inp, size_t n)
{
    gelu_forward_cuda(out, inp, n, g_stream);
}

static void cuda_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    gelu_backward_cuda(dinp, dout, inp, n, g_stream);
}

static void cuda_swiglu_forward(float *out, const float *inp, int N, int F)
{
    swiglu_forward_cuda(out, inp, N, F, g_stream);
}

static void cuda_swiglu_backward(float *dinp, const float *dout, const float *inp, int N, int F)
{
    swiglu_backward_cuda(dinp, dout, inp, N, F, g_stream);
}

static void cuda_add_forward(float *out, const float *a, const float *b, size_t n)
{
    add_forward_cuda(out, a, b, n, g_stream);
}

static void cuda_add_backward(float *da, float *db, const float *dout, size_t n)
{
    add_backward_cuda(da, db, dout, n, g_stream);
}

static void cuda_scale_inplace(float *x, size_t n, float s)
{
    scale_inplace_cuda(x, n, s, g_stream);
}

static void cuda_rope_forward(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta)
{
    rope_forward_cuda(x, B, T, NH, HD, ld, pos0, theta, g_stream);
}

static void cuda_rope_backward(float *dx, int B, int T, int NH, int HD, int ld, int pos0,
    float theta)
{
    rope_backward_cuda(dx, B, T, NH, HD, ld, pos0, theta, g_stream);
}

static void cuda_attention_forward(float *out, float *att, const float *q, const float *k,
    const float *v, const attn_dims_t *d)
{
    attention_forward_cuda(out, att, q, k, v, d, g_stream);
}

static void cuda_attention_backward(float *dq, float *dk, float *dv, float *scratch,
    const float *dout, const float *q, const float *k, const float *v, const float *att,
    const attn_dims_t *d)
{
    attention_backward_cuda(dq, dk, dv, scratch, dout, q, k, v, att, d, g_stream);
}

static void cuda_softmax_forward(float *probs, const float *logits, int N, int V)
{
    softmax_forward_cuda(probs, logits, N, V, g_stream);
}

static void cuda_softmax_backward(float *dlogits, const float *dprobs, const float *probs, int N,
    int V)
{
    softmax_backward_cuda(dlogits, dprobs, probs, N, V, g_stream);
}

static void cuda_softmax_cross_entropy(float *losses, float *dlogits, const float *logits,
    const int *targets, int N, int V, int ld, float dscale)
{
    softmax_cross_entropy_cuda(losses, dlogits, logits, targets, N, V, ld, dscale, g_stream);
}

static void cuda_mse_forward(float *losses, const float *pred, const float *target, int N, int D)
{
    mse_forward_cuda(losses, pred, target, N, D, g_stream);
}

static void cuda_mse_backward(float *dpred, const float *pred, const float *target, int N, int D,
    float dscale)
{
    mse_backward_cuda(dpred, pred, target, N, D, dscale, g_stream);
}

static void cuda_l1_forward(float *losses, const float *pred, const float *target, int N, int D)
{
    l1_forward_cuda(losses, pred, target, N, D, g_stream);
}

static void cuda_l1_backward(float *dpred, const float *pred, const float *target, int N, int D,
    float dscale)
{
    l1_backward_cuda(dpred, pred, target, N, D, dscale, g_stream);
}

static void cuda_embedding_forward(float *out, const int *ids, const float *table, int N, int C,
    int V)
{
    embedding_forward_cuda(out, ids, table, N, C, V, g_stream);
}

static void cuda_embedding_backward(float *dtable, const float *dout, const int *ids, int N, int C,
    int V)
{
    embedding_backward_cuda(dtable, dout, ids, N, C, V, g_stream);
}

static void cuda_fsq_forward(float *zhat, int *codes, const float *z, const int *levels, int N,
    int D)
{
    fsq_forward_cuda(zhat, codes, z, levels, N, D, g_stream);
}

static void cuda_fsq_backward(float *dz, const float *dzhat, const float *z, const int *levels,
    int N, int D)
{
    fsq_backward_cuda(dz, dzhat, z, levels, N, D, g_stream);
}

static void cuda_fsq_decode(float *zhat, const int *codes, const int *levels, int N, int D)
{
    fsq_decode_cuda(zhat, codes, levels, N, D, g_stream);
}

static void cuda_fsq_digits(int *digits, const int *codes, const int *levels, int N, int D)
{
    fsq_digits_cuda(digits, codes, levels, N, D, g_stream);
}

static void cuda_norm_sq_accumulate(float *out, const float *x, size_t n)
{
    norm_sq_accumulate_cuda(out, x, n, g_stream);
}

static void cuda_adamw_update(float *params, const float *grads, float *m, float *v, size_t n,
    float lr, float beta1, float beta2, float eps, float weight_decay, float grad_scale, int t)
{
    adamw_update_cuda(params, grads, m, v, n, lr, beta1, beta2, eps, weight_decay, grad_scale, t,
                      g_stream);
}

static backend_t cuda_backend = {
    .name = "cuda",
    .stream = NULL,   /* set by backend_cuda() */
    .alloc = cuda_alloc,
    .free = cuda_free,
    .to_device = cuda_to_device,
    .to_host = cuda_to_host,
    .copy = cuda_copy,
    .zero = cuda_zero,
    .synchronize = cuda_synchronize,
    .set_threads = cuda_set_threads,
    .describe = kernels_cuda_describe,
    .conv2d_scratch_size = conv2d_scratch_size_cuda,
    .attention_scratch_size = attention_scratch_size_cuda,
    .matmul_forward = cuda_matmul_forward,
    .matmul_backward = cuda_matmul_backward,
    .conv2d_forward = cuda_conv2d_forward,
    .conv2d_backward = cuda_conv2d_backward,
    .upsample_nearest_forward = cuda_upsample_nearest_forward,
    .upsample_nearest_backward = cuda_upsample_nearest_backward,
    .patchify_forward = cuda_patchify_forward,
    .patchify_backward = cuda_patchify_backward,
    .unpatchify_forward = cuda_unpatchify_forward,
    .unpatchify_backward = cuda_unpatchify_backward,
    .rmsnorm_forward = cuda_rmsnorm_forward,
    .rmsnorm_backward = cuda_rmsnorm_backward,
    .layernorm_forward = cuda_layernorm_forward,
    .layernorm_backward = cuda_layernorm_backward,
    .groupnorm_forward = cuda_groupnorm_forward,
    .groupnorm_backward = cuda_groupnorm_backward,
    .silu_forward = cuda_silu_forward,
    .silu_backward = cuda_silu_backward,
    .gelu_forward = cuda_gelu_forward,
    .gelu_backward = cuda_gelu_backward,
    .swiglu_forward = cuda_swiglu_forward,
    .swiglu_backward = cuda_swiglu_backward,
    .add_forward = cuda_add_forward,
    .add_backward = cuda_add_backward,
    .scale_inplace = cuda_scale_inplace,
    .rope_forward = cuda_rope_forward,
    .rope_backward = cuda_rope_backward,
    .attention_forward = cuda_attention_forward,
    .attention_backward = cuda_attention_backward,
    .softmax_forward = cuda_softmax_forward,
    .softmax_backward = cuda_softmax_backward,
    .softmax_cross_entropy = cuda_softmax_cross_entropy,
    .mse_forward = cuda_mse_forward,
    .mse_backward = cuda_mse_backward,
    .l1_forward = cuda_l1_forward,
    .l1_backward = cuda_l1_backward,
    .embedding_forward = cuda_embedding_forward,
    .embedding_backward = cuda_embedding_backward,
    .fsq_forward = cuda_fsq_forward,
    .fsq_backward = cuda_fsq_backward,
    .fsq_decode = cuda_fsq_decode,
    .fsq_digits = cuda_fsq_digits,
    .norm_sq_accumulate = cuda_norm_sq_accumulate,
    .adamw_update = cuda_adamw_update,
};

/* 1 when the runtime sees a device this build's kernels can run on, else 0 with *why set (no
 * driver, no GPU, or a GPU older than the fatbin's oldest target). */
static int cuda_device_usable(const char **why)
{
    static char line[512];
    int n = 0, dev = 0, major = 0, minor = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n <= 0) {
        (void)cudaGetLastError();
        snprintf(line, sizeof line, "no usable CUDA device (%s)",
                 err != cudaSuccess ? cudaGetErrorString(err) : "the runtime counts 0 devices");
        *why = line;
        return 0;
    }
    KERNELS_CUDA_CHECK(cudaGetDevice(&dev));
    KERNELS_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    KERNELS_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    if (major < KERNELS_CUDA_MIN_MAJOR) {
        /* the fatbin has sm_80/sm_90 code and compute_90 PTX: nothing an older GPU can run */
        snprintf(line, sizeof line, "GPU %d is sm_%d%d; this build's CUDA kernels need sm_%d0 or "
                 "newer (add a -gencode line in kernels/cuda/meson.build)", dev, major, minor,
                 KERNELS_CUDA_MIN_MAJOR);
        *why = line;
        return 0;
    }
    return 1;
}

/* The module's one export (backend.h, BACKEND_CUDA_ENTRY; videogo-cuda.map keeps every other
 * symbol local). Declared through the loader's typedef, so the compiler checks the contract.
 * Initializes on first call; later calls return the same answer. */
backend_cuda_entry_fn videogo_cuda_backend;
const backend_t *videogo_cuda_backend(size_t table_bytes, const char **why)
{
    static int state;   /* 0: not tried yet, 1: ready, -1: no usable device */
    static const char *reason;
    if (table_bytes != sizeof(backend_t)) {
        static char line[160];
        snprintf(line, sizeof line, "built against another backend.h (table of %zu bytes, the "
                 "program's has %zu): rebuild the module with the program",
                 sizeof(backend_t), table_bytes);
        *why = line;
        return NULL;
    }
    if (state == 0) {
        if (!cuda_device_usable(&reason)) {
            state = -1;
        } else {
            KERNELS_CUDA_CHECK(cudaStreamCreate(&g_stream));
            cuda_backend.stream = (void *)g_stream;
            state = 1;
        }
    }
    if (state < 0) *why = reason;
    return state > 0 ? &cuda_backend : NULL;
}
