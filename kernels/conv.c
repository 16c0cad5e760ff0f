/* conv.c: 2-D convolution (im2col + sgemm), nearest upsampling, patchify / unpatchify, all on
 * NHWC images.
 *
 * NHWC makes im2col cheap (each kernel tap copies C contiguous floats) and makes the conv
 * output rows [B*OH*OW, OC] exactly the matmul layout. The im2col matrix of a whole batch can
 * be large (B*OH*OW x K*K*C), so the work goes in chunks of output rows (flattened over b, oh)
 * of about CONV_CHUNK_PIX output pixels; the caller's scratch holds one chunk. The backward
 * reuses the scratch: im2col for dweight, then dcol = dout @ weight overwrites it and is
 * gathered ("col2im" in gather form: each input pixel sums its taps in a fixed order, so the
 * result does not depend on the thread count and no two threads write the same pixel).
 */
#include <assert.h>
#include <string.h>

#include "kernels/kernels_internal.h"
#include "kernels/ops.h"

#define CONV_CHUNK_PIX 2048

static int is_pointwise(int K, int stride, int pad)
{
    return K == 1 && stride == 1 && pad == 0;
}

/* Output rows (of OW pixels) per chunk. */
static int chunk_rows(int OW)
{
    int r = CONV_CHUNK_PIX / OW;
    return r > 0 ? r : 1;
}

size_t conv2d_scratch_size(int H, int W, int C, int K, int stride, int pad)
{
    (void)H;
    if (is_pointwise(K, stride, pad)) return 0;
    int OW = conv2d_out_size(W, K, stride, pad);
    return (size_t)chunk_rows(OW) * OW * K * K * C;
}

/* col[(r-r0)*OW + ow, (kh*K + kw)*C + c] = inp[b, oh*stride-pad+kh, ow*stride-pad+kw, c]
 * for flattened output rows r = b*OH + oh in [r0, r1), zero outside the image. */
static void im2col(float *col, const float *inp, int r0, int r1, int H, int W, int C,
                   int OH, int OW, int K, int stride, int pad)
{
    size_t KKC = (size_t)K * K * C;
    OMP(parallel for schedule(static) if ((size_t)(r1 - r0) * OW * KKC > KERNELS_PAR_MIN))
    for (int r = r0; r < r1; r++) {
        int b = r / OH, oh = r % OH;
        for (int ow = 0; ow < OW; ow++) {
            float *dst = col + ((size_t)(r - r0) * OW + ow) * KKC;
            for (int kh = 0; kh < K; kh++) {
                int ih = oh * stride - pad + kh;
                for (int kw = 0; kw < K; kw++) {
                    int iw = ow * stride - pad + kw;
                    float *d = dst + (size_t)(kh * K + kw) * C;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                        memset(d, 0, (size_t)C * sizeof(float));
                    else
                        memcpy(d, inp + (((size_t)b * H + ih) * W + iw) * C, (size_t)C * sizeof(float));
                }
            }
        }
    }
}

/* dinp += the taps of dcol (layout of im2col for rows [r0, r1)), gathered per input pixel. */
static void col2im_add(float *dinp, const float *dcol, int r0, int r1, int H, int W, int C,
                       int OH, int OW, int K, int stride, int pad)
{
    size_t KKC = (size_t)K * K * C;
    for (int b = r0 / OH; b <= (r1 - 1) / OH; b++) {
        int oh_lo = r0 - b * OH > 0 ? r0 - b * OH : 0;
        int oh_hi = r1 - b * OH < OH ? r1 - b * OH : OH;          /* exclusive */
        int ih_lo = oh_lo * stride - pad, ih_hi = (oh_hi - 1) * stride - pad + K; /* exclusive */
        if (ih_lo < 0) ih_lo = 0;
        if (ih_hi > H) ih_hi = H;
        OMP(parallel for schedule(static) if ((size_t)(ih_hi - ih_lo) * W * K * K * C > KERNELS_PAR_MIN))
        for (int ih = ih_lo; ih < ih_hi; ih++) {
            for (int iw = 0; iw < W; iw++) {
                float *dst = dinp + (((size_t)b * H + ih) * W + iw) * C;
                for (int kh = 0; kh < K; kh++) {
                    int t = ih + pad - kh;
                    if (t < 0 || t % stride) continue;
                    int oh = t / stride;
                    if (oh < oh_lo || oh >= oh_hi) continue;
                    for (int kw = 0; kw < K; kw++) {
                        int u = iw + pad - kw;
                        if (u < 0 || u % stride) continue;
                        int ow = u / stride;
                        if (ow >= OW) continue;
                        const float *src = dcol + ((size_t)(b * OH + oh - r0) * OW + ow) * KKC
                                           + (size_t)(kh * K + kw) * C;
                        for (int c = 0; c < C; c++) dst[c] += src[c];
                    }
                }
            }
        }
    }
}

void conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                    float *scratch, int B, int H, int W, int C, int OC, int K, int stride, int pad)
{
    assert(B >= 0 && H > 0 && W > 0 && C > 0 && OC > 0 && K > 0 && stride > 0 && pad >= 0);
    int OH = conv2d_out_size(H, K, stride, pad), OW = conv2d_out_size(W, K, stride, pad);
    assert(OH > 0 && OW > 0);
    if (is_pointwise(K, stride, pad)) {
        matmul_forward(out, inp, weight, bias, B * H * W, C, OC);
        return;
    }
    kernels_init();
    int KKC = K * K * C, rows = B * OH, R = chunk_rows(OW);
    float beta = 0.0f;
    if (bias) {
        size_t npix = (size_t)rows * OW;
        OMP(parallel for schedule(static) if (npix * OC > KERNELS_PAR_MIN))
        for (size_t p = 0; p < npix; p++) memcpy(out + p * OC, bias, (size_t)OC * sizeof(float));
        beta = 1.0f;
    }
    for (int r0 = 0; r0 < rows; r0 += R) {
        int r1 = r0 + R < rows ? r0 + R : rows;
        im2col(scratch, inp, r0, r1, H, W, C, OH, OW, K, stride, pad);
        kernels_gemm(0, 1, (r1 - r0) * OW, OC, KKC, 1.0f, scratch, KKC, weight, KKC, beta,
                     out + (size_t)r0 * OW * OC, OC);
    }
}

void conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, float *scratch,
                     int B, int H, int W, int C, int OC, int K, int stride, int pad)
{
    int OH = conv2d_out_size(H, K, stride, pad), OW = conv2d_out_size(W, K, stride, pad);
    assert(OH > 0 && OW > 0);
    if (is_pointwise(K, stride, pad)) {
        matmul_backward(dinp, dweight, dbias, dout, inp, weight, B * H * W, C, OC);
        return;
    }
    kernels_init();
    int KKC = K * K * C, rows = B * OH, R = chunk_rows(OW);
    if (dbias) kernels_bias_backward(dbias, dout, (size_t)rows * OW, OC);
    if (!dweight && !dinp) return;
    for (int r0 = 0; r0 < rows; r0 += R) {
        int r1 = r0 + R < rows ? r0 + R : rows, M = (r1 - r0) * OW;
        const float *dout_c = dout + (size_t)r0 * OW * OC;
        if (dweight) {   /* dweight[OC,KKC] += dout_c^T[OC,M] @ col[M,KKC] */
            im2col(scratch, inp, r0, r1, H, W, C, OH, OW, K, stride, pad);
            kernels_gemm(1, 0, OC, KKC, M, 1.0f, dout_c, OC, scratch, KKC, 1.0f, dweight, KKC);
        }
        if (dinp) {      /* dcol[M,KKC] = dout_c[M,OC] @ weight[OC,KKC], then gather */
            kernels_gemm(0, 0, M, KKC, OC, 1.0f, dout_c, OC, weight, KKC, 0.0f, scratch, KKC);
            col2im_add(dinp, scratch, r0, r1, H, W, C, OH, OW, K, stride, pad);
        }
    }
}

void upsample_nearest_forward(float *out, const float *inp, int B, int H, int W, int C, int f)
{
    int OH = H * f, OW = W * f;
    OMP(parallel for schedule(static) if ((size_t)B * OH * OW * C > KERNELS_PAR_MIN))
    for (int r = 0; r < B * OH; r++) {
        int b = r / OH, y = r % OH;
        const float *src = inp + ((size_t)b * H + y / f) * W * C;
        float *dst = out + (size_t)r * OW * C;
        for (int x = 0; x < OW; x++)
            memcpy(dst + (size_t)x * C, src + (size_t)(x / f) * C, (size_t)C * sizeof(float));
    }
}

void upsample_nearest_backward(float *dinp, const float *dout, int B, int H, int W, int C, int f)
{
    int OH = H * f, OW = W * f;
    OMP(parallel for schedule(static) if ((size_t)B * OH * OW * C > KERNELS_PAR_MIN))
    for (int r = 0; r < B * H; r++) {
        int b = r / H, i = r % H;
        float *dst = dinp + (size_t)r * W * C;
        for (int dy = 0; dy < f; dy++) {
            const float *src = dout + ((size_t)b * OH + i * f + dy) * OW * C;
            for (int j = 0; j < W; j++)
                for (int dx = 0; dx < f; dx++) {
                    const float *s = src + (size_t)(j * f + dx) * C;
                    float *d = dst + (size_t)j * C;
                    for (int c = 0; c < C; c++) d[c] += s[c];
                }
        }
    }
}

/* The one rearrangement behind patchify and unpatchify: the image row segment
 * img[b, ty*P + py, tx*P .. tx*P+P-1, :] (P*C contiguous floats) is the token segment
 * tok[b, ty*(W/P) + tx, py*P*C .. (py+1)*P*C-1]. mode 0: tok = img; 1: img = tok;
 * 2: img += tok; 3: tok += img. Parallel over token rows (b, ty): no two write the same float. */
static void patch_move(float *tok, float *img, int B, int H, int W, int C, int P, int mode)
{
    assert(H % P == 0 && W % P == 0);
    int TH = H / P, TW = W / P;
    size_t seg = (size_t)P * C;
    OMP(parallel for schedule(static) if ((size_t)B * H * W * C > KERNELS_PAR_MIN))
    for (int r = 0; r < B * TH; r++) {
        int b = r / TH, ty = r % TH;
        for (int tx = 0; tx < TW; tx++)
            for (int py = 0; py < P; py++) {
                float *t = tok + ((size_t)r * TW + tx) * P * seg + py * seg;
                float *im = img + (((size_t)b * H + ty * P + py) * W + (size_t)tx * P) * C;
                switch (mode) {
                case 0: memcpy(t, im, seg * sizeof(float)); break;
                case 1: memcpy(im, t, seg * sizeof(float)); break;
                case 2: for (size_t i = 0; i < seg; i++) im[i] += t[i]; break;
                default: for (size_t i = 0; i < seg; i++) t[i] += im[i]; break;
                }
            }
    }
}

void patchify_forward(float *out, const float *inp, int B, int H, int W, int C, int P)
{
    patch_move(out, (float *)inp, B, H, W, C, P, 0);   /* mode 0 only reads img */
}

void patchify_backward(float *dinp, const float *dout, int B, int H, int W, int C, int P)
{
    patch_move((float *)dout, dinp, B, H, W, C, P, 2); /* mode 2 only reads tok */
}

void unpatchify_forward(float *out, const float *inp, int B, int H, int W, int C, int P)
{
    patch_move((float *)inp, out, B, H, W, C, P, 1);   /* mode 1 only reads tok */
}

void unpatchify_backward(float *dinp, const float *dout, int B, int H, int W, int C, int P)
{
    patch_move(dinp, (float *)dout, B, H, W, C, P, 3); /* mode 3 only reads img */
}
