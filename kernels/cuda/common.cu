/* common.cu: error checks, the shared cuBLAS handle and the one-line description of the
 * CUDA backend (device, runtime and cuBLAS versions). */
#include <stdio.h>
#include <stdlib.h>

#include "kernels/cuda/common.cuh"

void kernels_cuda_check_at(cudaError_t err, const char *what, const char *file, int line)
{
    if (err == cudaSuccess) return;
    fprintf(stderr, "%s:%d: CUDA error %s (%s) in %s\n"
            "hint: a kernel fault surfaces at the next synchronizing call; run under "
            "compute-sanitizer to locate it\n",
            file, line, cudaGetErrorName(err), cudaGetErrorString(err), what);
    exit(1);
}

void kernels_cublas_check_at(cublasStatus_t st, const char *what, const char *file, int line)
{
    if (st == CUBLAS_STATUS_SUCCESS) return;
    fprintf(stderr, "%s:%d: cuBLAS error %s (%s) in %s\n", file, line, cublasGetStatusName(st),
            cublasGetStatusString(st), what);
    exit(1);
}

/* One handle for the process: creating one costs milliseconds and some device memory, and
 * every op runs on the backend's single stream anyway. Not thread-safe (see ops_cuda.h). */
static cublasHandle_t g_cublas;

cublasHandle_t kernels_cublas_handle(cudaStream_t stream)
{
    if (!g_cublas) {
        CUBLAS_CHECK(cublasCreate(&g_cublas));
        /* Plain FP32: no TF32 tensor-core rounding, so the parity test's 1e-4 holds. */
        CUBLAS_CHECK(cublasSetMathMode(g_cublas, CUBLAS_DEFAULT_MATH));
    }
    CUBLAS_CHECK(cublasSetStream(g_cublas, stream));
    return g_cublas;
}

const char *kernels_cuda_describe(void)
{
    static char buf[1024];   /* prop.name is at most 256 bytes */
    int dev = 0, rt = 0, drv = 0, bmaj = 0, bmin = 0, bpatch = 0;
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
    CUDA_CHECK(cudaRuntimeGetVersion(&rt));
    CUDA_CHECK(cudaDriverGetVersion(&drv));
    CUBLAS_CHECK(cublasGetProperty(MAJOR_VERSION, &bmaj));
    CUBLAS_CHECK(cublasGetProperty(MINOR_VERSION, &bmin));
    CUBLAS_CHECK(cublasGetProperty(PATCH_LEVEL, &bpatch));
    snprintf(buf, sizeof buf,
             "cuda: %s (sm_%d%d, %d SMs, %.1f GiB), runtime %d.%d, driver %d.%d, cuBLAS %d.%d.%d",
             prop.name, prop.major, prop.minor, prop.multiProcessorCount,
             (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0), rt / 1000, rt % 1000 / 10,
             drv / 1000, drv % 1000 / 10, bmaj, bmin, bpatch);
    return buf;
}
