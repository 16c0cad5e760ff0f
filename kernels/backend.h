/* backend.h: the backend interface (ggml style): a table of function pointers covering memory
 * and every op of ops.h, so model code runs on the CPU or on CUDA without #ifdef:
 *
 *     const backend_t *be = backend_cuda();          // NULL when built without CUDA or no GPU
 *     if (!be) be = backend_cpu();
 *     float *w = be->alloc(bytes);                   // backend memory: opaque to the caller
 *     be->to_device(w, host_w, bytes);
 *     be->matmul_forward(out, inp, w, NULL, N, C, OC);
 *     be->to_host(host_out, out, bytes);             // synchronizes with the queued ops
 *
 * Every op entry has exactly the signature of the CPU function of the same name in ops.h (the
 * CPU table points at those functions; see that header for shapes and the forward/backward
 * conventions). Pointers to tensors passed to an op are memory from the SAME backend's alloc;
 * host-side configuration (attn_dims_t, FSQ levels) is ordinary host memory.
 *
 * CUDA (kernels/cuda/, written against this header): each op is a function
 * `<name>_cuda(<same args>, cudaStream_t stream)`; the CUDA table's entries are thin wrappers
 * that pass the backend's own stream (and cuBLAS handle). Ops are queued on that stream in call
 * order; to_host() and synchronize() wait for them. The CUDA table must produce the CPU
 * numbers within the tolerance stated by its parity test.
 *
 * Ownership: the tables are static and live for the whole program; callers never free them.
 */
#ifndef VIDEOGO_KERNELS_BACKEND_H
#define VIDEOGO_KERNELS_BACKEND_H

#include <stddef.h>

#include "kernels/ops.h"

typedef struct backend {
    const char *name;   /* "cpu", "cuda" */
    void *stream;       /* opaque queue handle (cudaStream_t for CUDA, NULL for the CPU) */

    /* ---- memory: opaque backend buffers, 64-byte aligned at least ---- */
    void *(*alloc)(size_t bytes);               /* NULL on failure (the caller dies with a hint) */
    void (*free)(void *p);                      /* NULL is a no-op */
    void (*to_device)(void *dst, const void *host_src, size_t bytes);
    void (*to_host)(void *host_dst, const void *src, size_t bytes);     /* waits for queued ops */
    void (*copy)(void *dst, const void *src, size_t bytes);             /* device to device */
    void (*zero)(void *p, size_t bytes);                                /* memset 0 */
    void (*synchronize)(void);                                          /* wait for queued ops */
    int (*set_threads)(int n);                  /* CPU: kernels_set_threads; CUDA: no-op */
    const char *(*describe)(void);              /* one line: library versions, device name */

    /* ---- workspace sizes (in floats) for this backend's implementation ---- */
    size_t (*conv2d_scratch_size)(int H, int W, int C, int K, int stride, int pad);
    size_t (*attention_scratch_size)(const attn_dims_t *d);

    /* ---- ops: see ops.h for shapes and conventions ---- */
    void (*matmul_forward)(float *out, const float *inp, const float *weight, const float *bias,
                           int N, int C, int OC);
    void (*matmul_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, int N, int C, int OC);

    void (*conv2d_forward)(float *out, const float *inp, const float *weight, const float *bias,
                           float *scratch, int B, int H, int W, int C, int OC, int K, int stride,
                           int pad);
    void (*conv2d_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, float *scratch, int B, int H,
                            int W, int C, int OC, int K, int stride, int pad);
    void (*upsample_nearest_forward)(float *out, const float *inp, int B, int H, int W, int C,
                                     int f);
    void (*upsample_nearest_backward)(float *dinp, const float *dout, int B, int H, int W, int C,
                                      int f);
    void (*patchify_forward)(float *out, const float *inp, int B, int H, int W, int C, int P);
    void (*patchify_backward)(float *dinp, const float *dout, int B, int H, int W, int C, int P);
    void (*unpatchify_forward)(float *out, const float *inp, int B, int H, int W, int C, int P);
    void (*unpatchify_backward)(float *dinp, const float *dout, int B, int H, int W, int C,
                                int P);

    void (*rmsnorm_forward)(float *out, float *rstd, const float *inp, const float *weight,
                            int N, int C, float eps);
    void (*rmsnorm_backward)(float *dinp, float *dweight, const float *dout, const float *inp,
                             const float *weight, const float *rstd, int N, int C);
    void (*layernorm_forward)(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, int N, int C, float eps);
    void (*layernorm_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                               const float *inp, const float *weight, const float *mean,
                               const float *rstd, int N, int C);
    void (*groupnorm_forward)(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, int B, int HW, int C, int G,
                              float eps);
    void (*groupnorm_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                               const float *inp, const float *weight, const float *mean,
                               const float *rstd, int B, int HW, int C, int G);

    void (*silu_forward)(float *out, const float *inp, size_t n);
    void (*silu_backward)(float *dinp, const float *dout, const float *inp, size_t n);
    void (*gelu_forward)(float *out, const float *inp, size_t n);
    void (*gelu_backward)(float *dinp, const float *dout, const float *inp, size_t n);
    void (*swiglu_forward)(float *out, const float *inp, int N, int F);
    void (*swiglu_backward)(float *dinp, const float *dout, const float *inp, int N, int F);
    void (*add_forward)(float *out, const float *a, const float *b, size_t n);
    void (*add_backward)(float *da, float *db, const float *dout, size_t n);
    void (*scale_inplace)(float *x, size_t n, float s);

    void (*rope_forward)(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta);
    void (*rope_backward)(float *dx, int B, int T, int NH, int HD, int ld, int pos0, float theta);

    void (*attention_forward)(float *out, float *att, const float *q, const float *k,
                              const float *v, const attn_dims_t *d);
    void (*attention_backward)(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                               const float *q, const float *k, const float *v, const float *att,
                               const attn_dims_t *d);

    void (*softmax_forward)(float *probs, const float *logits, int N, int V);
    void (*softmax_backward)(float *dlogits, const float *dprobs, const float *probs, int N,
                             int V);
    void (*softmax_cross_entropy)(float *losses, float *dlogits, const float *logits,
                                  const int *targets, int N, int V, int ld, float dscale);
    void (*mse_forward)(float *losses, const float *pred, const float *target, int N, int D);
    void (*mse_backward)(float *dpred, const float *pred, const float *target, int N, int D,
                         float dscale);
    void (*l1_forward)(float *losses, const float *pred, const float *target, int N, int D);
    void (*l1_backward)(float *dpred, const float *pred, const float *target, int N, int D,
                        float dscale);

    void (*embedding_forward)(float *out, const int *ids, const float *table, int N, int C, int V);
    void (*embedding_backward)(float *dtable, const float *dout, const int *ids, int N, int C,
                               int V);

    void (*fsq_forward)(float *zhat, int *codes, const float *z, const int *levels, int N, int D);
    void (*fsq_backward)(float *dz, const float *dzhat, const float *z, const int *levels, int N,
                         int D);
    void (*fsq_decode)(float *zhat, const int *codes, const int *levels, int N, int D);
    void (*fsq_digits)(int *digits, const int *codes, const int *levels, int N, int D);

    void (*norm_sq_accumulate)(float *out, const float *x, size_t n);
    void (*adamw_update)(float *params, const float *grads, float *m, float *v, size_t n,
                         float lr, float beta1, float beta2, float eps, float weight_decay,
                         float grad_scale, int t);
} backend_t;

/* The CPU reference backend (OpenBLAS + OpenMP). Never NULL. */
const backend_t *backend_cpu(void);
/* The CUDA backend (kernels/cuda/), initialized on first call (stream, cuBLAS handle).
 * NULL when the build has no CUDA or no usable GPU is present.
 * The CUDA code is a separate module, videogo-cuda.so, that the first call loads (dlopen): only
 * a program that asks for CUDA maps the CUDA libraries. It is looked up, first found wins:
 *   $VIDEOGO_CUDA_MODULE        when set and not empty, the only place tried
 *   <program's folder>/         build/ for build/videogo
 *   <program's folder>/../      build/ for the test programs in build/tests/
 *   <libdir>/videogo/           where `meson install` puts it
 * Call it first from one thread (neither the load nor the initialization is locked); later
 * calls return the same answer. */
const backend_t *backend_cuda(void);
/* One line (no newline) on the last backend_cuda() call: the module it loaded, or why it
 * returned NULL (no CUDA in this build, module not found with the places tried, the loader's
 * error, no GPU, ...). Silent by design: print it only where the user asked for CUDA. "" before
 * the first call. The string is static; it lives for the whole program. */
const char *backend_cuda_status(void);
/* The one symbol videogo-cuda.so exports (kernels/cuda/backend_cuda.c), for backend_cuda()'s
 * loader only: initializes the CUDA backend and returns its table, or NULL with *why set to a
 * static line (no usable GPU; or the module was built against another backend_t, which
 * table_bytes, the caller's sizeof(backend_t), reveals). */
#define BACKEND_CUDA_ENTRY "videogo_cuda_backend"
typedef const backend_t *backend_cuda_entry_fn(size_t table_bytes, const char **why);
/* The first NULL entry of a table, by name, or NULL when every entry is set (tests use it to
 * prove a table is complete). */
const char *backend_missing_entry(const backend_t *be);

#endif
