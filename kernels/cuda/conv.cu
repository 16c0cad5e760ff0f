/* conv.cu: 2-D convolution (im2col kernel + cuBLAS sgemm), nearest upsampling and
 * patchify / unpatchify on NHWC images, on CUDA. CPU twin: kernels/conv.c.
 *
 * Dimension letters: B batch, H,W input size, C input channels, OC output channels, K kernel
 * size, OH,OW output size, P patch size, f upsampling factor, M im2col rows of one chunk.
 *
 * The structure is the CPU's: output rows (flattened r = b*OH + oh) go in chunks of about
 * CUDA_CONV_CHUNK_PIX output pixels; the caller's scratch holds one chunk's im2col matrix
 * col[M, K*K*C]. The forward is im2col + one gemm per chunk (the bias broadcast first, beta 1).
 * The backward reuses the scratch: im2col + gemm for dweight, then dcol = dout @ weight and a
 * gather ("col2im" as one thread per input element summing its taps in the CPU's (kh, kw)
 * order): no atomics, deterministic. The chunk is larger than the CPU's (GPU gemms want big
 * M), which is why the backend table carries its own conv2d_scratch_size.
 */
#include <assert.h>

#include "kernels/cuda/common.cuh"

#define CUDA_CONV_CHUNK_PIX 8192

static int is_pointwise(int K, int stride, int pad)
{
    return K == 1 && stride == 1 && pad == 0;
}

/* Output rows (of OW pixels) per chunk. */
static int chunk_rows(int OW)
{
    int r = CUDA_CONV_CHUNK_PIX / OW;
    return r > 0 ? r : 1;
}

size_t conv2d_scratch_size_cuda(int H, int W, int C, int K, int stride, int pad)
{
    (void)H;
    if (is_pointwise(K, stride, pad)) return 0;
    int OW = conv2d_out_size(W, K, stride, pad);
    return (size_t)chunk_rows(OW) * OW * K * K * C;
}

/* col[(r-r0)*OW + ow, (kh*K + kw)*C + c] = inp[b, oh*stride-pad+kh, ow*stride-pad+kw, c]
 * for output rows r = b*OH + oh in [r0, r0 + M/OW), zero outside the image. One thread per
 * element of col (M * KKC of them). */
__global__ static void im2col_kernel(float *col, const float *inp, int r0, size_t M, int H,
                                     int W, int C, int OH, int OW, int K, int stride, int pad)
{
    size_t KKC = (size_t)K * K * C;
    CUDA_FOR(i, M * KKC) {
        int c = (int)(i % C);
        int tap = (int)(i / C % ((size_t)K * K));
        size_t pix = i / KKC;
        int ow = (int)(pix % OW);
        int r = r0 + (int)(pix / OW);
        int b = r / OH, oh = r % OH;
        int ih = oh * stride - pad + tap / K, iw = ow * stride - pad + tap % K;
        col[i] = (ih < 0 || ih >= H || iw < 0 || iw >= W)
                     ? 0.0f
                     : inp[(((size_t)b * H + ih) * W + iw) * C + c];
    }
}

/* dinp[b, ih, iw, c] += every tap of dcol (im2col layout of output rows [r0, r1)) that reads
 * that input element, added in (kh, kw) order as on the CPU. One thread per input element of
 * the flattened input rows ir = b*H + ih in [ir0, ir0 + nrows). */
__global__ static void col2im_add_kernel(float *dinp, const float *dcol, int r0, int r1,
                                         int ir0, size_t nrows, int H, int W, int C, int OH,
                                         int OW, int K, int stride, int pad)
{
    size_t KKC = (size_t)K * K * C;
    CUDA_FOR(i, nrows * W * C) {
        int c = (int)(i % C);
        int iw = (int)(i / C % W);
        int ir = ir0 + (int)(i / ((size_t)W * C));
        int b = ir / H, ih = ir % H;
        float *dst = dinp + ((size_t)ir * W + iw) * C + c;
        float acc = *dst;
        bool any = false;
        for (int kh = 0; kh < K; kh++) {
            int t = ih + pad - kh;
            if (t < 0 || t % stride) continue;
            int oh = t / stride, r = b * OH + oh;
            if (oh >= OH || r < r0 || r >= r1) continue;
            for (int kw = 0; kw < K; kw++) {
                int u = iw + pad - kw;
                if (u < 0 || u % stride) continue;
                int ow = u / stride;
                if (ow >= OW) continue;
                acc += dcol[((size_t)(r - r0) * OW + ow) * KKC + (size_t)(kh * K + kw) * C + c];
                any = true;
            }
        }
        if (any) *dst = acc;
    }
}

/* out[p, o] = bias[o] for p < npix. */
__global__ static void conv_bias_broadcast_kernel(float *out, const float *bias, size_t n, int OC)
{
    CUDA_FOR(i, n) out[i] = bias[i % OC];
}

static void im2col(float *col, const float *inp, int r0, int r1, int H, int W, int C, int OH,
                   int OW, int K, int stride, int pad, cudaStream_t stream)
{
    size_t M = (size_t)(r1 - r0) * OW, n = M * K * K * C;
    im2col_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(col, inp, r0, M, H, W, C, OH, OW, K,
                                                          stride, pad);
    CUDA_CHECK_LAUNCH();
}

/* The input rows touched by output rows [r0, r1) form one contiguous range of flattened rows
 * b*H + ih: from the first tap row of the first output row to the last tap row of the last. */
static void col2im_add(float *dinp, const float *dcol, int r0, int r1, int H, int W, int C,
                       int OH, int OW, int K, int stride, int pad, cudaStream_t stream)
{
    int b0 = r0 / OH, oh0 = r0 % OH, b1 = (r1 - 1) / OH, oh1 = (r1 - 1) % OH;
    int ih0 = oh0 * stride - pad, ih1 = oh1 * stride - pad + K;   /* ih1 exclusive */
    /* clamp both into [0, H]: with pad >= K a tap range can lie wholly in the padding */
    ih0 = ih0 < 0 ? 0 : ih0 > H ? H : ih0;
    ih1 = ih1 < 0 ? 0 : ih1 > H ? H : ih1;
    int ir0 = b0 * H + ih0, ir1 = b1 * H + ih1;
    if (ir1 <= ir0) return;   /* every tap in the padding: nothing to add */
    size_t nrows = (size_t)(ir1 - ir0), n = nrows * W * C;
    col2im_add_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(dinp, dcol, r0, r1, ir0, nrows, H,
                                                              W, C, OH, OW, K, stride, pad);
    CUDA_CHECK_LAUNCH();
}

void conv2d_forward_cuda(float *out, const float *inp, const float *weight, const float *bias,
                         float *scratch, int B, int H, int W, int C, int OC, int K, int stride,
                         int pad, cudaStream_t stream)
{
    assert(B >= 0 && H > 0 && W > 0 && C > 0 && OC > 0 && K > 0 && stride > 0 && pad >= 0);
    int OH = conv2d_out_size(H, K, stride, pad), OW = conv2d_out_size(W, K, stride, pad);
    assert(OH > 0 && OW > 0);
    if (is_pointwise(K, stride, pad)) {
        matmul_forward_cuda(out, inp, weight, bias, B * H * W, C, OC, stream);
        return;
    }
    if (B == 0) return;
    int KKC = K * K * C, rows = B * OH, R = chunk_rows(OW);
    float beta = 0.0f;
    if (bias) {
        size_t n = (size_t)rows * OW * OC;
        conv_bias_broadcast_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, bias, n, OC);
        CUDA_CHECK_LAUNCH();
        beta = 1.0f;
    }
    cublasHandle_t h = kernels_cublas_handle(stream);
    for (int r0 = 0; r0 < rows; r0 += R) {
        int r1 = r0 + R < rows ? r0 + R : rows;
        im2col(scratch, inp, r0, r1, H, W, C, OH, OW, K, stride, pad, stream);
        /* out_chunk[M,OC] = col[M,KKC] @ weight[OC,KKC]^T (+ out_chunk) */
        gemm_rm(h, false, true, (r1 - r0) * OW, OC, KKC, 1.0f, scratch, KKC, weight, KKC, beta,
                out + (size_t)r0 * OW * OC, OC);
    }
}

void conv2d_backward_cuda(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, float *scratch, int B, int H,
                          int W, int C, int OC, int K, int stride, int pad, cudaStream_t stream)
{
    int OH = conv2d_out_size(H, K, stride, pad), OW = conv2d_out_size(W, K, stride, pad);
    assert(OH > 0 && OW > 0);
    if (is_pointwise(K, stride, pad)) {
        matmul_backward_cuda(dinp, dweight, dbias, dout, inp, weight, B * H * W, C, OC, stream);
        return;
    }
    if (B == 0) return;
    int KKC = K * K * C, rows = B * OH, R = chunk_rows(OW);
    if (dbias) kernels_cuda_bias_backward(dbias, dout, (size_t)rows * OW, OC, stream);
    if (!dweight && !dinp) return;
    cublasHandle_t h = kernels_cublas_handle(stream);
    for (int r0 = 0; r0 < rows; r0 += R) {
        int r1 = r0 + R < rows ? r0 + R : rows, M = (r1 - r0) * OW;
        const float *dout_c = dout + (size_t)r0 * OW * OC;
        if (dweight) {   /* dweight[OC,KKC] += dout_c^T[OC,M] @ col[M,KKC] */
            im2col(scratch, inp, r0, r1, H, W, C, OH, OW, K, stride, pad, stream);
            gemm_rm(h, true, false, OC, KKC, M, 1.0f, dout_c, OC, scratch, KKC, 1.0f, dweight,
                    KKC);
        }
        if (dinp) {      /* dcol[M,KKC] = dout_c[M,OC] @ weight[OC,KKC], then gather */
            gemm_rm(h, false, false, M, KKC, OC, 1.0f, dout_c, OC, weight, KKC, 0.0f, scratch,
                    KKC);
            col2im_add(dinp, scratch, r0, r1, H, W, C, OH, OW, K, stride, pad, stream);
        }
    }
}

/* out[b, y, x, c] = inp[b, y/f, x/f, c]; one thread per output element. */
__global__ static void upsample_forward_kernel(float *out, const float *inp, int B, int H, int W,
                                               int C, int f)
{
    int OH = H * f, OW = W * f;
    CUDA_FOR(i, (size_t)B * OH * OW * C) {
        int c = (int)(i % C);
        int x = (int)(i / C % OW);
        size_t r = i / ((size_t)OW * C);   /* b*OH + y */
        int b = (int)(r / OH), y = (int)(r % OH);
        out[i] = inp[(((size_t)b * H + y / f) * W + x / f) * C + c];
    }
}

/* dinp[b, i, j, c] += sum of the f x f block of dout, in (dy, dx) order as on the CPU. */
__global__ static void upsample_backward_kernel(float *dinp, const float *dout, int B, int H,
                                                int W, int C, int f)
{
    int OH = H * f, OW = W * f;
    CUDA_FOR(e, (size_t)B * H * W * C) {
        int c = (int)(e % C);
        int j = (int)(e / C % W);
        size_t r = e / ((size_t)W * C);    /* b*H + i */
        int b = (int)(r / H), i = (int)(r % H);
        float acc = dinp[e];
        for (int dy = 0; dy < f; dy++) {
            const float *src = dout + ((size_t)b * OH + (size_t)i * f + dy) * OW * C;
            for (int dx = 0; dx < f; dx++) acc += src[((size_t)j * f + dx) * C + c];
        }
        dinp[e] = acc;
    }
}

void upsample_nearest_forward_cuda(float *out, const float *inp, int B, int H, int W, int C,
                                   int f, cudaStream_t stream)
{
    size_t n = (size_t)B * H * f * W * f * C;
    if (n == 0) return;
    upsample_forward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(out, inp, B, H, W, C, f);
    CUDA_CHECK_LAUNCH();
}

void upsample_nearest_backward_cuda(float *dinp, const float *dout, int B, int H, int W, int C,
                                    int f, cudaStream_t stream)
{
    size_t n = (size_t)B * H * W * C;
    if (n == 0) return;
    upsample_backward_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(dinp, dout, B, H, W, C, f);
    CUDA_CHECK_LAUNCH();
}

/* The rearrangement behind patchify and unpatchify (see conv.c): token element
 * tok[b, ty*TW + tx, (py*P + px)*C + c] is image element img[b, ty*P + py, tx*P + px, c].
 * One thread per element (a bijection, so no two threads touch the same float).
 * mode 0: tok = img; 1: img = tok; 2: img += tok; 3: tok += img. */
__global__ static void patch_move_kernel(float *tok, float *img, int B, int H, int W, int C,
                                         int P, int mode)
{
    int TH = H / P, TW = W / P;
    size_t PPC = (size_t)P * P * C;
    CUDA_FOR(i, (size_t)B * H * W * C) {
        size_t feat = i % PPC, t = i / PPC;   /* t = b*TH*TW + token */
        int c = (int)(feat % C), px = (int)(feat / C % P), py = (int)(feat / ((size_t)P * C));
        int tx = (int)(t % TW);
        size_t bt = t / TW;                   /* b*TH + ty */
        int ty = (int)(bt % TH), b = (int)(bt / TH);
        size_t j = (((size_t)b * H + (size_t)ty * P + py) * W + (size_t)tx * P + px) * C + c;
        switch (mode) {
        case 0: tok[i] = img[j]; break;
        case 1: img[j] = tok[i]; break;
        case 2: img[j] += tok[i]; break;
        default: tok[i] += img[j]; break;
        }
    }
}

static void patch_move(float *tok, float *img, int B, int H, int W, int C, int P, int mode,
                       cudaStream_t stream)
{
    assert(P > 0 && H % P == 0 && W % P == 0);
    size_t n = (size_t)B * H * W * C;
    if (n == 0) return;
    patch_move_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(tok, img, B, H, W, C, P, mode);
    CUDA_CHECK_LAUNCH();
}

void patchify_forward_cuda(float *out, const float *inp, int B, int H, int W, int C, int P,
                           cudaStream_t stream)
{
    patch_move(out, (float *)inp, B, H, W, C, P, 0, stream);    /* mode 0 only reads img */
}

void patchify_backward_cuda(float *dinp, const float *dout, int B, int H, int W, int C, int P,
                            cudaStream_t stream)
{
    patch_move((float *)dout, dinp, B, H, W, C, P, 2, stream);  /* mode 2 only reads tok */
}

void unpatchify_forward_cuda(float *out, const float *inp, int B, int H, int W, int C, int P,
                             cudaStream_t stream)
{
    patch_move((float *)inp, out, B, H, W, C, P, 1, stream);    /* mode 1 only reads tok */
}

void unpatchify_backward_cuda(float *dinp, const float *dout, int B, int H, int W, int C, int P,
                              cudaStream_t stream)
{
    patch_move(dinp, (float *)dout, B, H, W, C, P, 3, stream);  /* mode 3 only reads img */
}
