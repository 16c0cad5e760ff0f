/* backend.c: the CPU backend table (host memory + the functions of ops.h), the completeness
 * check of a table, and backend_cuda(): the loader of the CUDA module (videogo-cuda.so, built
 * from kernels/cuda/ in CUDA builds) or, in builds without CUDA, a stub that returns NULL. */
#include <stdio.h>
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

/* ---- backend_cuda(): the loader of videogo-cuda.so ----
 * The CUDA code lives in a module so that programs which never ask for CUDA never map
 * libcudart/libcublas/libcublasLt: linked into the binary they cost every start ~1 s and
 * ~200 MB of resident memory (measured on `videogo --help`). Deliberately not done: trying the
 * next place when a module is found but fails to load (a broken module beside the program
 * should be reported, not silently replaced by an older installed one), and dlclose (the CUDA
 * runtime registers exit handlers; the module stays mapped for the life of the program). */
static char cuda_status[4096 + 256];

#ifndef VIDEOGO_CUDA_BACKEND
/* Built without kernels/cuda/: there is no CUDA backend and no module to look for. */
const backend_t *backend_cuda(void)
{
    snprintf(cuda_status, sizeof cuda_status,
             "built without CUDA (reconfigure with -Dcuda=enabled where nvcc is)");
    return NULL;
}
#else
#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#define CUDA_MODULE_NAME "videogo-cuda.so"

/* The first existing file among the places of backend.h, into path; 0 when none exists (the
 * status then lists the places tried). */
static int cuda_module_find(char *path, size_t size)
{
    const char *env = getenv("VIDEOGO_CUDA_MODULE");
    if (env && *env) {
        snprintf(path, size, "%s", env);
        if (access(path, F_OK) == 0) return 1;
        snprintf(cuda_status, sizeof cuda_status, "no CUDA module at VIDEOGO_CUDA_MODULE=%s",
                 env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *dirs[3];
    int ndirs = 0;
    char parent[PATH_MAX + 4];
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            dirs[ndirs++] = exe;
            snprintf(parent, sizeof parent, "%s/..", exe);
            dirs[ndirs++] = parent;
        }
    }
    dirs[ndirs++] = VIDEOGO_CUDA_MODULE_DIR;
    for (int i = 0; i < ndirs; i++) {
        snprintf(path, size, "%s/%s", dirs[i], CUDA_MODULE_NAME);
        if (access(path, F_OK) == 0) return 1;
    }
    int len = snprintf(cuda_status, sizeof cuda_status, "no %s in", CUDA_MODULE_NAME);
    for (int i = 0; i < ndirs && len > 0 && (size_t)len < sizeof cuda_status; i++)
        len += snprintf(cuda_status + len, sizeof cuda_status - (size_t)len, "%s %s",
                        i ? "," : "", dirs[i]);
    if (len > 0 && (size_t)len < sizeof cuda_status)
        snprintf(cuda_status + len, sizeof cuda_status - (size_t)len,
                 " (build with -Dcuda=enabled, or set VIDEOGO_CUDA_MODULE)");
    return 0;
}

/* Loads the module and asks it for the table; NULL with cuda_status set on any failure. */
static const backend_t *cuda_module_load(void)
{
    char path[PATH_MAX + 64];
    if (!cuda_module_find(path, sizeof path)) return NULL;
    /* RTLD_NOW: a missing CUDA library or symbol fails here, with the loader's message, not at
     * the first op; RTLD_LOCAL: the module's symbols stay out of the program's namespace. */
    void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!module) {
        const char *err = dlerror();
        /* dlerror() usually names the file already: "PATH: libcudart.so.13: cannot open..." */
        if (err && strstr(err, path))
            snprintf(cuda_status, sizeof cuda_status, "%s", err);
        else
            snprintf(cuda_status, sizeof cuda_status, "%s: %s", path, err ? err : "dlopen failed");
        return NULL;
    }
    /* ISO C has no object -> function pointer conversion; POSIX requires it to work for dlsym. */
    backend_cuda_entry_fn *entry = (backend_cuda_entry_fn *)dlsym(module, BACKEND_CUDA_ENTRY);
    if (!entry) {
        snprintf(cuda_status, sizeof cuda_status, "%s: no symbol %s (not a videogo CUDA module?)",
                 path, BACKEND_CUDA_ENTRY);
        return NULL;
    }
    const char *why = NULL;
    const backend_t *be = entry(sizeof(backend_t), &why);
    if (!be) {
        snprintf(cuda_status, sizeof cuda_status, "%s: %s", path, why ? why : "no CUDA backend");
        return NULL;
    }
    const char *hole = backend_missing_entry(be);
    if (hole) {
        snprintf(cuda_status, sizeof cuda_status, "%s: its table has no %s (rebuild it)", path,
                 hole);
        return NULL;
    }
    snprintf(cuda_status, sizeof cuda_status, "loaded %s", path);
    return be;
}

const backend_t *backend_cuda(void)
{
    static int tried;
    static const backend_t *be;
    if (!tried) {
        tried = 1;
        be = cuda_module_load();
    }
    return be;
}
#endif

const char *backend_cuda_status(void)
{
    return cuda_status;
}
