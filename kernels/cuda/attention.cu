/* attention.cu: rotary position embedding and multi-head attention (self, cross, banded masks,
 * KV-cache steps), forward and backward, on CUDA. CPU twin: kernels/attention.c.
 *
 * Dimension letters: B batch, T queries, S keys/values, NH heads, HD head size, C = NH*HD.
 *
 * Same three phases as the CPU: (1) scores with one strided-batched sgemm per batch item (the
 * NH heads of item b are the batch: head h's q/k/v/out start h*HD floats further, its att
 * block T*S further), (2) the masked softmax, one block per row of att[B,NH,T,S], (3) the
 * weighted values, again one strided-batched sgemm per batch item. The backward mirrors it.
 * One call per batch item rather than one for all B*NH matrices because q/k/v have a batch
 * stride (q_bs ...) unrelated to the head stride, so B*NH matrices are not one strided batch.
 * Masked-out scores are computed and then zeroed, as on the CPU.
 */
#include <assert.h>

#include "kernels/cuda/common.cuh"

#define ROPE_MAX_HD 1024   /* the CPU's limit, kept so both accept the same shapes */

/* One thread per rotated pair (b, t, h, i): rotates (x[2i], x[2i+1]) of head h of token t by
 * sign * (pos0 + t) * theta^(-2i/HD); the angle, cos and sin in double as on the CPU. */
__global__ static void rope_kernel(float *x, int B, int T, int NH, int HD, int ld, int pos0,
                                   float theta, double sign)
{
    int half = HD / 2;
    CUDA_FOR(e, (size_t)B * T * NH * half) {
        int i = (int)(e % half);
        size_t r = e / half;
        int h = (int)(r % NH);
        r /= NH;
        int t = (int)(r % T), b = (int)(r / T);
        double ang = sign * (double)(pos0 + t) * pow((double)theta, -2.0 * i / HD);
        float cs = (float)cos(ang), sn = (float)sin(ang);
        float *p = x + ((size_t)b * T + t) * ld + (size_t)h * HD;
        float x0 = p[2 * i], x1 = p[2 * i + 1];
        p[2 * i] = x0 * cs - x1 * sn;
        p[2 * i + 1] = x0 * sn + x1 * cs;
    }
}

static void rope_rotate(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta,
                        double sign, cudaStream_t stream)
{
    assert(HD % 2 == 0 && HD <= ROPE_MAX_HD);
    size_t n = (size_t)B * T * NH * (HD / 2);
    if (n == 0) return;
    rope_kernel<<<grid_for(n), CUDA_BLOCK, 0, stream>>>(x, B, T, NH, HD, ld, pos0, theta, sign);
    CUDA_CHECK_LAUNCH();
}

void rope_forward_cuda(float *x, int B, int T, int NH, int HD, int ld, int pos0, float theta,
                       cudaStream_t stream)
{
    rope_rotate(x, B, T, NH, HD, ld, pos0, theta, 1.0, stream);
}

void rope_backward_cuda(float *dx, int B, int T, int NH, int HD, int ld, int pos0, float theta,
                        cudaStream_t stream)
{
    rope_rotate(dx, B, T, NH, HD, ld, pos0, theta, -1.0, stream);
}

size_t attention_scratch_size_cuda(const attn_dims_t *d)
{
    return (size_t)d->B * d->NH * d->T * d->S;
}

/* The mask parameters a kernel needs (attn_dims_t is host memory; this goes by value). */
typedef struct {
    int T, S, lo0, lo_step, hi0, hi_step;
} mask_t;

__device__ static inline int clamp_dev(long long v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : (int)v;
}

/* In place on att[rows, S] (rows = B*NH*T, row r is query t = r % T): the masked softmax of
 * the scores in [lo(t), hi(t)), zero elsewhere; an all-zero row when the range is empty. */
__global__ static void attn_softmax_kernel(float *att, mask_t mk)
{
    size_t r = blockIdx.x;
    int t = (int)(r % mk.T), S = mk.S;
    int lo = clamp_dev((long long)mk.lo0 + (long long)mk.lo_step * t, 0, S);
    int hi = clamp_dev((long long)mk.hi0 + (long long)mk.hi_step * t, 0, S);
    float *a = att + r * S;
    if (lo >= hi) {   /* uniform over the block: no thread reaches a barrier */
        for (int s = threadIdx.x; s < S; s += blockDim.x) a[s] = 0.0f;
        return;
    }
    float mx = -INFINITY;
    for (int s = lo + threadIdx.x; s < hi; s += blockDim.x) mx = fmaxf(mx, a[s]);
    mx = block_max(mx);
    double sum = 0.0;
    for (int s = lo + threadIdx.x; s < hi; s += blockDim.x) {
        float e = expf(a[s] - mx);
        a[s] = e;
        sum += e;
    }
    sum = block_sum(sum);
    float inv = (float)(1.0 / sum);
    for (int s = lo + threadIdx.x; s < hi; s += blockDim.x) a[s] *= inv;   /* own elements */
    for (int s = threadIdx.x; s < lo; s += blockDim.x) a[s] = 0.0f;
    for (int s = hi + threadIdx.x; s < S; s += blockDim.x) a[s] = 0.0f;
}

/* In place on g = datt[rows, S]: g = scale * att * (g - sum(att * g)) per row. */
__global__ static void attn_softmax_backward_kernel(float *g_all, const float *att_all, int S,
                                                    float scale)
{
    size_t r = blockIdx.x;
    const float *a = att_all + r * S;
    float *g = g_all + r * S;
    double dot = 0.0;
    for (int s = threadIdx.x; s < S; s += blockDim.x) dot += (double)a[s] * g[s];
    float fdot = (float)block_sum(dot);
    for (int s = threadIdx.x; s < S; s += blockDim.x) g[s] = scale * a[s] * (g[s] - fdot);
}

void attention_forward_cuda(float *out, float *att, const float *q, const float *k,
                            const float *v, const attn_dims_t *d, cudaStream_t stream)
{
    int B = d->B, T = d->T, S = d->S, NH = d->NH, HD = d->HD, C = NH * HD;
    assert(B >= 0 && T > 0 && S > 0 && NH > 0 && HD > 0);
    if (B == 0) return;
    long long TS = (long long)T * S;
    cublasHandle_t h = kernels_cublas_handle(stream);
    /* 1. scores att[b,h] = scale * q_bh[T,HD] @ k_bh[S,HD]^T, batched over the NH heads */
    for (int b = 0; b < B; b++)
        gemm_rm_batched(h, false, true, T, S, HD, d->scale, q + (size_t)b * d->q_bs, d->q_ld, HD,
                        k + (size_t)b * d->k_bs, d->k_ld, HD, 0.0f,
                        att + (size_t)b * NH * TS, S, TS, NH);
    /* 2. masked softmax per row */
    mask_t mk = {T, S, d->lo0, d->lo_step, d->hi0, d->hi_step};
    attn_softmax_kernel<<<B * NH * T, CUDA_BLOCK, 0, stream>>>(att, mk);
    CUDA_CHECK_LAUNCH();
    /* 3. out_bh[T,HD] = att_bh[T,S] @ v_bh[S,HD] (out rows are C floats apart) */
    for (int b = 0; b < B; b++)
        gemm_rm_batched(h, false, false, T, HD, S, 1.0f, att + (size_t)b * NH * TS, S, TS,
                        v + (size_t)b * d->v_bs, d->v_ld, HD, 0.0f,
                        out + (size_t)b * T * C, C, HD, NH);
}

void attention_backward_cuda(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                             const float *q, const float *k, const float *v, const float *att,
                             const attn_dims_t *d, cudaStream_t stream)
{
    int B = d->B, T = d->T, S = d->S, NH = d->NH, HD = d->HD, C = NH * HD;
    assert(B >= 0 && T > 0 && S > 0 && NH > 0 && HD > 0);
    if (B == 0) return;
    long long TS = (long long)T * S;
    cublasHandle_t h = kernels_cublas_handle(stream);
    /* 1. dv_bh += att_bh^T @ dout_bh;  datt_bh[T,S] = dout_bh @ v_bh^T (into scratch) */
    for (int b = 0; b < B; b++) {
        const float *att_b = att + (size_t)b * NH * TS, *dout_b = dout + (size_t)b * T * C;
        if (dv)
            gemm_rm_batched(h, true, false, S, HD, T, 1.0f, att_b, S, TS, dout_b, C, HD, 1.0f,
                            dv + (size_t)b * d->v_bs, d->v_ld, HD, NH);
        if (dq || dk)
            gemm_rm_batched(h, false, true, T, S, HD, 1.0f, dout_b, C, HD,
                            v + (size_t)b * d->v_bs, d->v_ld, HD, 0.0f,
                            scratch + (size_t)b * NH * TS, S, TS, NH);
    }
    if (!dq && !dk) return;
    /* 2. softmax backward, scale folded in: dpre = scale * att * (datt - sum(att * datt)) */
    attn_softmax_backward_kernel<<<B * NH * T, CUDA_BLOCK, 0, stream>>>(scratch, att, S,
                                                                        d->scale);
    CUDA_CHECK_LAUNCH();
    /* 3. dq_bh += dpre_bh[T,S] @ k_bh[S,HD];  dk_bh += dpre_bh^T[S,T] @ q_bh[T,HD] */
    for (int b = 0; b < B; b++) {
        const float *dpre_b = scratch + (size_t)b * NH * TS;
        if (dq)
            gemm_rm_batched(h, false, false, T, HD, S, 1.0f, dpre_b, S, TS,
                            k + (size_t)b * d->k_bs, d->k_ld, HD, 1.0f,
                            dq + (size_t)b * d->q_bs, d->q_ld, HD, NH);
        if (dk)
            gemm_rm_batched(h, true, false, S, HD, T, 1.0f, dpre_b, S, TS,
                            q + (size_t)b * d->q_bs, d->q_ld, HD, 1.0f,
                            dk + (size_t)b * d->k_bs, d->k_ld, HD, NH);
    }
}
