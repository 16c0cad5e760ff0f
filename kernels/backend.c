/* backend.c: the CPU backend table (host memory + the functions of ops.h), the completeness
 * check of a table, and the backend_cuda() stub for builds without the CUDA kernels. */
#include <stdlib.h>
#include <string.h>

#include "kernels/backend.h"

static void *cpu_alloc(size_t bytes)
{
    /* aligned_alloc wants a multiple of the alignment; 0 bytes still gets a valid pointer. */
    size_t n = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, n ? n : 64);
}

static void cpu_free(void *p)
{
    free(p);
}

static void cpu_copy(void *dst, const void *src, size_t bytes)
{
    if (bytes) memmove(dst, src, bytes);
}

static void cpu_zero(void *p, size_t bytes)
{
    if (bytes) memset(p, 0, bytes);
}

static void cpu_synchronize(void)
{
}

static const backend_t cpu_backend = {
    .name = "cpu",
    .stream = NULL,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .to_device = cpu_copy,
    .to_host = cpu_copy,
    .copy = cpu_copy,
    .zero = cpu_zero,
    .synchronize = cpu_synchronize,
    .set_threads = kernels_set_threads,
    .describe = kernels_describe,
    .conv2d_scratch_size = conv2d_scratch_size,
    .attention_scratch_size = attention_scratch_size,
    .matmul_forward = matmul_forward,
    .matmul_backward = matmul_backward,
    .conv2d_forward = conv2d_forward,
    .conv2d_backward = conv2d_backward,
    .upsample_nearest_forward = upsample_nearest_forward,
    .upsample_nearest_backward = upsample_nearest_backward,
    .patchify_forward = patchify_forward,
    .patchify_backward = patchify_backward,
    .unpatchify_forward = unpatchify_forward,
    .unpatchify_backward = unpatchify_backward,
    .rmsnorm_forward = rmsnorm_forward,
    .rmsnorm_backward = rmsnorm_backward,
    .layernorm_forward = layernorm_forward,
    .layernorm_backward = layernorm_backward,
    .groupnorm_forward = groupnorm_forward,
    .groupnorm_backward = groupnorm_backward,
    .silu_forward = silu_forward,
    .silu_backward = silu_backward,
    .gelu_forward = gelu_forward,
    .gelu_backward = gelu_backward,
    .swiglu_forward = swiglu_forward,
    .swiglu_backward = swiglu_backward,
    .add_forward = add_forward,
    .add_backward = add_backward,
    .scale_inplace = scale_inplace,
    .rope_forward = rope_forward,
    .rope_backward = rope_backward,
    .attention_forward = attention_forward,
    .attention_backward = attention_backward,
    .softmax_forward = softmax_forward,
    .softmax_backward = softmax_backward,
    .softmax_cross_entropy = softmax_cross_entropy,
    .mse_forward = mse_forward,
    .mse_backward = mse_backward,
    .l1_forward = l1_forward,
    .l1_backward = l1_backward,
    .embedding_forward = embedding_forward,
    .embedding_backward = embedding_backward,
    .fsq_forward = fsq_forward,
    .fsq_backward = fsq_backward,
    .fsq_decode = fsq_decode,
    .fsq_digits = fsq_digits,
    .norm_sq_accumulate = norm_sq_accumulate,
    .adamw_update = adamw_update,
};

const backend_t *backend_cpu(void)
{
    return &cpu_backend;
}

/* Every function-pointer entry of backend_t, in declaration order. The static assert below
 * fails to compile when an entry is added to backend.h but not here. */
#define BACKEND_ENTRIES(X) \
    X(alloc) X(free) X(to_device) X(to_host) X(copy) X(zero) X(synchronize) X(set_threads) \
    X(describe) X(conv2d_scratch_size) X(attention_scratch_size) \
    X(matmul_forward) X(matmul_backward) X(conv2d_forward) X(conv2d_backward) \
    X(upsample_nearest_forward) X(upsample_nearest_backward) X(patchify_forward) \
    X(patchify_backward) X(unpatchify_forward) X(unpatchify_backward) \
    X(rmsnorm_forward) X(rmsnorm_backward) X(layernorm_forward) X(layernorm_backward) \
    X(groupnorm_forward) X(groupnorm_backward) X(silu_forward) X(silu_backward) \
    X(gelu_forward) X(gelu_backward) X(swiglu_forward) X(swiglu_backward) X(add_forward) \
    X(add_backward) X(scale_inplace) X(rope_forward) X(rope_backward) X(attention_forward) \
    X(attention_backward) X(softmax_forward) X(softmax_backward) X(softmax_cross_entropy) \
    X(mse_forward) X(mse_backward) X(l1_forward) X(l1_backward) X(embedding_forward) \
    X(embedding_backward) X(fsq_forward) X(fsq_backward) X(fsq_decode) X(fsq_digits) \
    X(norm_sq_accumulate) X(adamw_update)

#define COUNT_ENTRY(name) +1
_Static_assert(sizeof(backend_t) == offsetof(backend_t, alloc) +
                   (0 BACKEND_ENTRIES(COUNT_ENTRY)) * sizeof(void (*)(void)),
               "backend.c: BACKEND_ENTRIES must list every function pointer of backend_t");

const char *backend_missing_entry(const backend_t *be)
{
#define CHECK_ENTRY(name) if (!be->name) return #name;
    BACKEND_ENTRIES(CHECK_ENTRY)
#undef CHECK_ENTRY
    return NULL;
}

#ifndef VIDEOGO_CUDA_BACKEND
/* Built without kernels/cuda/: there is no CUDA backend. */
const backend_t *backend_cuda(void)
{
    return NULL;
}
#endif
