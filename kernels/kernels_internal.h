/* kernels_internal.h: helpers shared by the CPU kernel files (not part of the API).
 *
 * Threads. One pool: OpenMP. OpenBLAS (the Debian pthread build) runs single-threaded and
 * kernels_gemm() splits each large product into one block of output rows (or columns) per
 * OpenMP thread. Two pools (OpenBLAS's own threads next to OpenMP's) spin against each other
 * on a 2-core machine and ran a transformer block 2.5x slower (measured, see bench_kernels.c).
 * Without OpenMP (VIDEOGO_OPENMP unset) OpenBLAS threads itself and our loops run serially.
 *
 * OMP(...) expands to an OpenMP pragma when the build has OpenMP and to nothing otherwise, so
 * the sources compile warning-free both ways. Every parallel loop uses schedule(static) and
 * gives each output element to exactly one thread, so our loops never depend on the thread
 * count; a GEMM's blocks do (kernels_gemm), which is why determinism is "same thread count".
 */
#ifndef VIDEOGO_KERNELS_INTERNAL_H
#define VIDEOGO_KERNELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cblas.h>

#define KERNELS_PRAGMA(x) _Pragma(#x)
#ifdef VIDEOGO_OPENMP
#define OMP(x) KERNELS_PRAGMA(omp x)
#else
#define OMP(x)
#endif

/* Loops shorter than this many inner operations stay serial: waking a thread costs more. */
#define KERNELS_PAR_MIN 32768

/* Fixed reduction block: sums over n elements are formed per block of this many elements
 * (in double), then the block sums are added in order. Independent of the thread count. */
#define KERNELS_RED_BLOCK 4096

/* Applies the thread policy above once (OpenBLAS to 1 thread when OpenMP is on). Every op that
 * calls BLAS runs it first; kernels_set_threads() too. Thread-safe (pthread_once). */
void kernels_init(void);

/* Row-major C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C, as cblas_sgemm, split over the
 * OpenMP threads by blocks of rows (or of columns when N > M) unless the product is small or
 * the caller is already inside a parallel region. */
void kernels_gemm(int transA, int transB, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* dbias[OC] += sum over the N rows of dout[N,OC] (linear.c; shared by matmul and conv2d). */
void kernels_bias_backward(float *dbias, const float *dout, size_t N, int OC);

/* expf for the hot loops (softmax, SiLU/SwiGLU, cross-entropy): branch-free so gcc vectorizes
 * it, within 2 ulp of expf on [-87, 88] (Cephes polynomial after range reduction by ln 2);
 * clamps outside, so exp(-inf) = 1.2e-38, not 0 (harmless after normalization). */
static inline float kexpf(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* n = round(x / ln 2) by the 1.5 * 2^23 trick (exact in round-to-nearest) */
    float t = x * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = x - n * 0.693359375f;           /* ln 2 split: hi part exact in float */
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t e = ((int32_t)n + 127) << 23;     /* 2^n: n in [-126, 127] after the clamp */
    float s;
    memcpy(&s, &e, sizeof s);
    return p * s;
}

/* KERNELS_HOT marks the inner-loop helpers (restrict-qualified, one row or block each): never
 * inlined into an OpenMP-outlined body (where gcc stops vectorizing them), and on x86-64 built
 * three times, for AVX-512, AVX2 and the SSE2 baseline, picked at load time (ifunc). ISO C mode
 * (-std=c11) keeps gcc from contracting a*b+c into FMAs, and the helpers are elementwise or
 * reduce in a fixed scalar order, so every clone gives bit-identical results; the wide ones are
 * 2-5x faster (measured on kexpf/SiLU). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KERNELS_HOT __attribute__((noinline, target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KERNELS_HOT __attribute__((noinline))
#endif

static inline float ksigmoidf(float x)
{
    return 1.0f / (1.0f + kexpf(-x));
}

#endif
