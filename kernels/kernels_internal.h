/* kernels_internal.h: helpers shared by the CPU kernel files (not part of the API).
 *
 * OMP(...) expands to an OpenMP pragma when the build has OpenMP (VIDEOGO_OPENMP) and to
 * nothing otherwise, so the sources compile warning-free both ways. Every parallel loop in
 * kernels/ uses schedule(static) and gives each output element to exactly one thread, which
 * keeps results independent of the thread count. BLAS is never called inside a parallel region.
 */
#ifndef VIDEOGO_KERNELS_INTERNAL_H
#define VIDEOGO_KERNELS_INTERNAL_H

#include <stddef.h>

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

/* dbias[OC] += sum over the N rows of dout[N,OC] (linear.c; shared by matmul and conv2d). */
void kernels_bias_backward(float *dbias, const float *dout, size_t N, int OC);

#endif
