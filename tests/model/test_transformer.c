/* test_transformer.c: the autoregressive world model (model/transformer.h) on synthetic code
 * sequences (x_{t+1} = x_t with one token changed where z^1 says):
 *   - a tiny configuration trains and its loss falls (with LDM codes, and video-only);
 *   - the KV-cache step path gives the full forward's logits (prompt chunk, then one by one),
 *     also with the local (3x3 and 5x5 neighbourhood) embeddings, whose prompt holds all of x_t;
 *   - the gradient matches central finite differences of the loss on sampled parameters (local
 *     embedding on);
 *   - determinism: two models from one seed stay bit-identical through training steps;
 *   - sampling: greedy = argmax, top-k 1 = greedy, top-p tiny = greedy, temperature 1 follows
 *     the softmax; ar_imagine is deterministic given the RNG and greedy futures agree;
 *   - weights round trip: save + load gives bit-identical logits and keeps the SHA-256s;
 *   - prefixes (ar_set_len): the logits and z loss of sequences cut after <act_end> are the
 *     full forward's; the LDM weight scales exactly the z codes' share of the gradient;
 *   - first changes (ar_imagine_changes, video only): the probabilities of all the events add
 *     up to 1, come sorted, and each is the full forward's probability of its future's first
 *     tokens; each future continues greedily (its later tokens are the full forward's argmax),
 *     with and without the local embedding.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/util.h"
#include "kernels/backend.h"
#include "model/transformer.h"

static ar_config_t tiny(int horizon)
{
    ar_config_t c;
    ck_assert_int_eq(ar_preset("tiny", &c), 0);
    c.horizon = horizon;
    return c;
}

/* B synthetic sequences into tok[B*L]. */
static void make_batch(const ar_t *m, rng_t *r, int B, int *tok)
{
    const int T = m->cfg.img_tokens, H = m->cfg.horizon;
    int img[64], nxt[64], z[16];
    for (int b = 0; b < B; b++) {
        for (int k = 0; k < T; k++) img[k] = (int)rng_below(r, 9) * 81; /* few distinct codes */
        for (int h = 0; h < H; h++) z[h] = (int)rng_below(r, (uint32_t)m->ldm_codebook);
        memcpy(nxt, img, sizeof img);
        int where = H > 0 ? z[0] % T : (int)rng_below(r, (uint32_t)T);
        nxt[where] = (img[where] + 1) % (int)m->img_codebook;
        ar_seq_build(m, img, b & 1, z, nxt, tok + (size_t)b * m->L);
    }
}

static float train_steps(ar_t *m, int steps, int B, float lr, uint64_t seed, float *first)
{
    rng_t r;
    rng_seed(&r, seed);
    int *tok = xmalloc((size_t)B * m->L * sizeof(int));
    float loss = 0;
    for (int s = 0; s < steps; s++) {
        make_batch(m, &r, B, tok);
        loss = ar_forward(m, tok, B);
        if (s == 0 && first) *first = loss;
        ar_zero_grad(m);
        ar_backward(m);
        ar_adamw_step(m, lr, 0.9f, 0.95f, 1e-8f, 0.0f, 1.0f, s + 1);
    }
    free(tok);
    return loss;
}

START_TEST(test_loss_falls)
{
    const int hs[2] = {5, 0};
    for (int i = 0; i < 2; i++) {
        ar_config_t c = tiny(hs[i]);
        ar_t *m = ar_new(&c, backend_cpu(), 8, 1);
        ck_assert_int_eq(m->L, hs[i] ? 45 : 38);
        float first = 0, last = train_steps(m, 150, 8, 3e-3f, 7, &first);
        fprintf(stderr, "H %d: loss %.4f -> %.4f\n", hs[i], (double)first, (double)last);
        ck_assert_msg(isfinite(last) && last < 0.6f * first, "loss %g -> %g", (double)first, (double)last);
        ar_free(m);
    }
}
END_TEST

START_TEST(test_kv_cache_matches_full_forward)
{
    for (int run = 0; run < 8; run++) { /* H 0 / 5, local radius 0 / 1 / 2, radius 1 + mix */
        const int hz = run % 2 ? 5 : 0, local = run < 6 ? run / 2 : 1;
        ar_config_t c = tiny(hz);
        c.local = local;
        c.local_mix = run >= 6 ? 8 : 0;
        ar_t *m = ar_new(&c, backend_cpu(), 4, 3);
        train_steps(m, 10, 4, 3e-3f, 5, NULL); /* weights away from the init */
        const int B = 3, L = m->L, NO = m->NO;
        rng_t r;
        rng_seed(&r, 11);
        int *tok = xmalloc((size_t)B * L * sizeof(int)), *col = xmalloc((size_t)B * L * sizeof(int));
        make_batch(m, &r, B, tok);
        ar_forward(m, tok, B);
        float *full = xmalloc((size_t)B * L * NO * sizeof(float));
        memcpy(full, ar_logits(m), (size_t)B * L * NO * sizeof(float));
        make_batch(m, &r, B, col); /* another batch through the model: nothing of tok's forward is left */
        ar_forward(m, col, B);
        /* prompt of P tokens in one step, then one token per step */
        const int P = local ? c.img_tokens + 5 : 7;
        for (int b = 0; b < B; b++) memcpy(col + b * P, tok + (size_t)b * L, P * sizeof(int));
        const float *lg = ar_step(m, col, B, 0, P);
        double maxd = 0, maxv = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < P; t++)
                for (int o = 0; o < NO; o++) {
                    double d = fabs(lg[((size_t)b * P + t) * NO + o] - full[((size_t)b * L + t) * NO + o]);
                    maxd = d > maxd ? d : maxd;
                }
        for (int p = P; p < L; p++) {
            for (int b = 0; b < B; b++) col[b] = tok[(size_t)b * L + p];
            lg = ar_step(m, col, B, p, 1);
            for (int b = 0; b < B; b++)
                for (int o = 0; o < NO; o++) {
                    double f = full[((size_t)b * L + p) * NO + o], d = fabs(lg[(size_t)b * NO + o] - f);
                    maxd = d > maxd ? d : maxd;
                    maxv = fabs(f) > maxv ? fabs(f) : maxv;
                }
        }
        fprintf(stderr, "H %d local %d mix %d: KV cache vs full forward: max |diff| %.3g (max |logit| %.3g)\n", hz,
                local, c.local_mix, maxd, maxv);
        ck_assert_msg(maxd < 1e-4 * (1 + maxv), "max diff %g", maxd);
        ck_assert(maxv > 1e-3);
        free(full);
        free(tok);
        free(col);
        ar_free(m);
    }
}
END_TEST

START_TEST(test_gradient_finite_differences)
{
    ar_config_t c = tiny(5);
    c.width = 16;
    c.heads = 2;
    c.hidden = 24;
    c.local = 1;
    c.local_mix = 4;
    ar_t *m = ar_new(&c, backend_cpu(), 2, 9);
    train_steps(m, 5, 2, 1e-2f, 2, NULL);
    rng_t r;
    rng_seed(&r, 4);
    int tok[2 * 64];
    make_batch(m, &r, 2, tok);
    ar_forward(m, tok, 2);
    ar_zero_grad(m);
    ar_backward(m);
    int checked = 0, bad = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const model_param_t *p = &m->params[i];
        const int local = !strcmp(p->name, "local_emb"), mix = strstr(p->name, "local_") != NULL;
        for (int k = 0; k < (mix ? 24 : 3); k++) {
            size_t j = p->offset + rng_below(&r, (uint32_t)p->n);
            if (!strcmp(p->name, "tok_emb") && j >= p->offset + (size_t)m->NO * m->C) continue; /* pad row */
            if (local && j >= p->offset + (size_t)(p->dims[0] - 1) * m->C) continue;
            float g = m->grad[j], x0 = m->param[j];
            const float eps = 1e-2f;
            m->param[j] = x0 + eps;
            double lp = ar_forward(m, tok, 2);
            m->param[j] = x0 - eps;
            double lm = ar_forward(m, tok, 2);
            m->param[j] = x0;
            double fd = (lp - lm) / (2 * eps);
            if (fabs(fd - g) > 2e-3 + 0.05 * fabs(fd)) {
                bad++;
                fprintf(stderr, "%s[%zu]: analytic %.6g, finite differences %.6g\n", p->name, j - p->offset,
                        (double)g, fd);
            }
            checked++;
        }
    }
    ck_assert_int_gt(checked, 30);
    ck_assert_int_eq(bad, 0);
    ar_free(m);
}
END_TEST

START_TEST(test_determinism)
{
    ar_config_t c = tiny(5);
    ar_t *a = ar_new(&c, backend_cpu(), 4, 5), *b = ar_new(&c, backend_cpu(), 4, 5), *d = ar_new(&c, backend_cpu(), 4, 6);
    float la = train_steps(a, 5, 4, 3e-3f, 1, NULL), lb = train_steps(b, 5, 4, 3e-3f, 1, NULL);
    ck_assert(la == lb);
    ck_assert(!memcmp(a->param, b->param, a->n_params * sizeof(float)));
    ck_assert(memcmp(a->param, d->param, a->n_params * sizeof(float)));
    ar_free(a);
    ar_free(b);
    ar_free(d);
}
END_TEST

START_TEST(test_sampling)
{
    const float lg[5] = {0.1f, 2.0f, -1.0f, 1.5f, 0.3f};
    rng_t r;
    rng_seed(&r, 1);
    ar_sampler_t greedy = {0, 0, 0}, k1 = {1.0f, 1, 0}, p0 = {1.0f, 0, 1e-4f}, t1 = {1.0f, 0, 0};
    ck_assert_int_eq(ar_sample_digit(lg, 5, &greedy, &r), 1);
    ck_assert_int_eq(ar_sample_digit(lg, 5, NULL, &r), 1);
    for (int i = 0; i < 50; i++) {
        ck_assert_int_eq(ar_sample_digit(lg, 5, &k1, &r), 1);
        ck_assert_int_eq(ar_sample_digit(lg, 5, &p0, &r), 1);
    }
    ar_sampler_t k2 = {1.0f, 2, 0};
    int cnt[5] = {0}, cnt2[5] = {0};
    const int n = 20000;
    for (int i = 0; i < n; i++) cnt[ar_sample_digit(lg, 5, &t1, &r)]++, cnt2[ar_sample_digit(lg, 5, &k2, &r)]++;
    double z = 0;
    for (int i = 0; i < 5; i++) z += exp(lg[i]);
    for (int i = 0; i < 5; i++) ck_assert_msg(fabs(cnt[i] / (double)n - exp(lg[i]) / z) < 0.015, "digit %d", i);
    ck_assert_int_eq(cnt2[0] + cnt2[2] + cnt2[4], 0);
    ck_assert(fabs(cnt2[1] / (double)n - exp(2.0) / (exp(2.0) + exp(1.5))) < 0.015);

    /* imagine: deterministic given the rng; greedy futures all agree */
    ar_config_t c = tiny(5);
    ar_t *m = ar_new(&c, backend_cpu(), 4, 2);
    train_steps(m, 20, 4, 3e-3f, 3, NULL);
    int img[16], ldm1[20], ldm2[20], nx1[64], nx2[64];
    for (int k = 0; k < 16; k++) img[k] = k * 100;
    ar_sampler_t s = {1.0f, 0, 0.95f};
    rng_seed(&r, 42);
    ar_imagine(m, img, 1, 4, &s, &r, ldm1, nx1);
    rng_seed(&r, 42);
    ar_imagine(m, img, 1, 4, &s, &r, ldm2, nx2);
    ck_assert(!memcmp(ldm1, ldm2, sizeof ldm1) && !memcmp(nx1, nx2, sizeof nx1));
    ar_imagine(m, img, 0, 4, &greedy, &r, ldm1, nx1);
    for (int b = 1; b < 4; b++) {
        ck_assert(!memcmp(ldm1, ldm1 + b * 5, 5 * sizeof(int)));
        ck_assert(!memcmp(nx1, nx1 + b * 16, 16 * sizeof(int)));
    }
    for (int i = 0; i < 20; i++) ck_assert(ldm1[i] >= 0 && ldm1[i] < 1000);
    for (int i = 0; i < 64; i++) ck_assert(nx1[i] >= 0 && nx1[i] < 59049);
    ar_free(m);
}
END_TEST

/* log softmax of x_{t+1}[j]'s single image digit (row = head row) at code c. */
static double digit_logprob(const ar_t *m, const float *row, int c)
{
    const float *r = row + m->call_off[1];
    const int V = m->call_v[1];
    double mx = r[0], z = 0;
    for (int v = 1; v < V; v++) mx = r[v] > mx ? r[v] : mx;
    for (int v = 0; v < V; v++) z += exp((double)r[v] - mx);
    return (double)r[c] - mx - log(z);
}

START_TEST(test_imagine_changes)
{
    for (int run = 0; run < 2; run++) { /* plain, local 3x3 window + mix */
        ar_config_t c = tiny(0);
        c.img_tokens = 9; /* a 3x3 grid of one 3-level digit: 9 * 2 changes + no change = 19 events */
        c.n_img_levels = 1;
        c.img_levels[0] = 3;
        c.local = run;
        c.local_mix = run ? 8 : 0;
        ar_t *m = ar_new(&c, backend_cpu(), 4, 5);
        const int T = 9, L = m->L, NO = m->NO, P = T + 5, NE = 19;
        rng_t r;
        rng_seed(&r, 3);
        int tok[4 * 64], img[9], nxt[9];
        for (int s = 0; s < 150; s++) {
            /* x_{t+1}: x_t changed at w (1..4), every later token then w % 3: the continuation
             * depends on where the first change is, so a future continued on another future's
             * tokens would show */
            for (int b = 0; b < 4; b++) {
                for (int k = 0; k < T; k++) img[k] = (int)rng_below(&r, 3);
                memcpy(nxt, img, sizeof img);
                int w = 1 + (int)rng_below(&r, 4);
                nxt[w] = (img[w] + 1) % 3;
                for (int k = w + 1; k < T; k++) nxt[k] = w % 3;
                ar_seq_build(m, img, b & 1, NULL, nxt, tok + b * L);
            }
            ar_forward(m, tok, 4);
            ar_zero_grad(m);
            ar_backward(m);
            ar_adamw_step(m, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.0f, 1.0f, s + 1);
        }
        for (int pos = 0; pos < 8; pos++) { /* positions: x_t random */
            int x[9];
            for (int k = 0; k < T; k++) x[k] = (int)rng_below(&r, 3);
            float prob[19], prob3[3];
            int nx[19 * 9], nx3[3 * 9];
            ar_imagine_changes(m, x, pos & 1, NE, prob, nx);
            ar_imagine_changes(m, x, pos & 1, 3, prob3, nx3);
            double sum = 0;
            int seen[10] = {0};
            for (int b = 0; b < NE; b++) {
                sum += prob[b];
                if (b) ck_assert_msg(prob[b] <= prob[b - 1], "future %d more likely than %d", b, b - 1);
                int i = 0;
                while (i < T && nx[b * T + i] == x[i]) i++;
                seen[i]++;
                /* the full forward on this future */
                ar_seq_build(m, x, pos & 1, NULL, nx + b * T, tok);
                ar_forward(m, tok, 1);
                const float *lg = ar_logits(m);
                double lp = 0;
                for (int j = 0; j <= i && j < T; j++)
                    lp += digit_logprob(m, lg + (size_t)(P + j - 1) * NO, nx[b * T + j]);
                ck_assert_msg(fabs(exp(lp) - prob[b]) < 1e-4 * (1 + prob[b]), "future %d: p %g, full forward %g", b,
                              (double)prob[b], exp(lp));
                for (int j = i + 1; j < T; j++) {
                    const float *row = lg + (size_t)(P + j - 1) * NO + m->call_off[1];
                    int best = 0;
                    for (int v = 1; v < 3; v++) best = row[v] > row[best] ? v : best;
                    ck_assert_msg(nx[b * T + j] == best, "position %d future %d token %d: %d, greedy %d", pos, b, j,
                                  nx[b * T + j], best);
                }
            }
            if (!pos)
                fprintf(stderr, "local %d: first changes: p %.3f .. %.3g, sum %.6f\n", run, (double)prob[0],
                        (double)prob[NE - 1], sum);
            ck_assert_msg(fabs(sum - 1) < 1e-4, "the events' probabilities add up to %g", sum);
            for (int i = 0; i < T; i++) ck_assert_int_eq(seen[i], 2); /* each token: its two other codes */
            ck_assert_int_eq(seen[T], 1);                                /* and the unchanged frame */
            ck_assert(!memcmp(nx3, nx, sizeof nx3));
            for (int b = 0; b < 3; b++) ck_assert(prob3[b] == prob[b]);
        }
        ar_free(m);
    }
}
END_TEST

START_TEST(test_weights_round_trip)
{
    ar_config_t c = tiny(5);
    ar_t *m = ar_new(&c, backend_cpu(), 2, 8);
    train_steps(m, 3, 2, 3e-3f, 3, NULL);
    snprintf(m->tokenizer_sha256, 65, "%064d", 1);
    snprintf(m->ldm_sha256, 65, "%064d", 2);
    char path[] = "/tmp/vgo-ar-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ar_save(m, path, 0, NULL);
    ar_t *l = ar_build_from_file(path, backend_cpu(), 2);
    ck_assert_int_eq(ar_horizon(l), 5);
    ck_assert_int_eq(ar_image_tokens(l), 16);
    ck_assert_str_eq(l->tokenizer_sha256, m->tokenizer_sha256);
    ck_assert_str_eq(l->ldm_sha256, m->ldm_sha256);
    rng_t r;
    rng_seed(&r, 3);
    int tok[2 * 64];
    make_batch(m, &r, 2, tok);
    float a = ar_forward(m, tok, 2), b = ar_forward(l, tok, 2);
    ck_assert(a == b);
    ck_assert(!memcmp(ar_logits(m), ar_logits(l), (size_t)2 * m->L * m->NO * sizeof(float)));
    ar_free(l);
    ar_free(m);
    unlink(path);
}
END_TEST

/* Gradient of one forward/backward on tok with the given LDM weight, into g[n_params]. */
static void grad_with(ar_t *m, const int *tok, int B, float w, float *g)
{
    ar_forward(m, tok, B);
    ar_zero_grad(m);
    m->ldm_weight = w;
    ar_backward(m);
    memcpy(g, m->grad, m->n_params * sizeof(float));
    m->ldm_weight = 1.0f;
}

START_TEST(test_prefix_and_ldm_weight)
{
    ar_config_t c = tiny(2);
    ar_t *m = ar_new(&c, backend_cpu(), 4, 5);
    train_steps(m, 10, 4, 3e-3f, 5, NULL);
    const int B = 3, L = m->L, NO = m->NO, Lp = ar_loss_start(&m->cfg) + c.horizon + 3;
    ck_assert_int_eq(Lp, 16 + 2 + 6);
    rng_t r;
    rng_seed(&r, 17);
    int *tok = xmalloc((size_t)B * L * sizeof(int)), *pre = xmalloc((size_t)B * Lp * sizeof(int));
    make_batch(m, &r, B, tok);
    ar_forward(m, tok, B);
    const double zfull = m->loss_ldm;
    float *full = xmalloc((size_t)B * L * NO * sizeof(float));
    memcpy(full, ar_logits(m), (size_t)B * L * NO * sizeof(float));
    for (int b = 0; b < B; b++) memcpy(pre + (size_t)b * Lp, tok + (size_t)b * L, (size_t)Lp * sizeof(int));
    ar_set_len(m, Lp);
    ar_forward(m, pre, B);
    ck_assert_int_eq((int)m->n_ldm, B * c.horizon);
    ck_assert_int_eq((int)m->n_img, 0);
    const float *lg = ar_logits(m);
    double maxd = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < Lp; t++)
            for (int o = 0; o < NO; o++) {
                double d = fabs(lg[((size_t)b * Lp + t) * NO + o] - full[((size_t)b * L + t) * NO + o]);
                maxd = d > maxd ? d : maxd;
            }
    fprintf(stderr, "prefix vs full logits: max |diff| %.3g; z loss %.5f vs %.5f\n", maxd, m->loss_ldm, zfull);
    ck_assert_msg(maxd < 1e-4, "prefix logits differ by %g", maxd);
    ck_assert_msg(fabs(m->loss_ldm - zfull) < 1e-4, "z loss %g vs %g", m->loss_ldm, zfull);
    ar_set_len(m, 0);
    ck_assert_int_eq(m->L, L);

    /* linearity in the weight: g(2) - g(1) == g(1) - g(0) != 0 */
    float *g0 = xmalloc(m->n_params * sizeof(float)), *g1 = xmalloc(m->n_params * sizeof(float)),
          *g2 = xmalloc(m->n_params * sizeof(float));
    grad_with(m, tok, B, 0.0f, g0);
    grad_with(m, tok, B, 1.0f, g1);
    grad_with(m, tok, B, 2.0f, g2);
    double dz = 0, err = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        double a = (double)g2[i] - g1[i], b2 = (double)g1[i] - g0[i];
        dz = fabs(b2) > dz ? fabs(b2) : dz;
        err = fabs(a - b2) > err ? fabs(a - b2) : err;
    }
    fprintf(stderr, "LDM weight: max |g(1)-g(0)| %.3g, linearity error %.3g\n", dz, err);
    ck_assert_msg(dz > 1e-6, "the LDM weight changes nothing");
    ck_assert_msg(err < 1e-5 + 1e-3 * dz, "gradient not linear in the LDM weight (%g)", err);
    free(g0), free(g1), free(g2);
    free(full), free(tok), free(pre);
    ar_free(m);
}
END_TEST

/* ar_init_pos2d: the same intersection in x_t and x_{t+1} gets nearly the same position row,
 * a neighbour a nearer one than the far corner; not a square: refused. */
START_TEST(test_pos2d)
{
    for (int hz = 0; hz <= 2; hz += 2) {
        ar_config_t c = tiny(hz);
        c.width = 32;
        ar_t *m = ar_new(&c, backend_cpu(), 2, 3);
        ck_assert_int_eq(ar_init_pos2d(m), 0);
        const float *pos = m->param + m->params[1].offset;
        ck_assert_str_eq(m->names[1], "pos_emb");
        const int T = 16, C = m->C, x1 = hz ? T + hz + 7 : T + 5;
        double same = 0, near = 0, far = 0;
        for (int k = 0; k < C; k++) {
            double a = pos[3 * C + k];
            same += pow(a - pos[(size_t)x1 * C + k], 2);
            near += pow(a - pos[4 * C + k], 2);
            far += pow(a - pos[(size_t)(3 + 15) * C + k], 2);
        }
        ck_assert_msg(same < 0.1 * near && near < far, "H %d: same %g near %g far %g", hz, same, near, far);
        ar_free(m);
    }
    ar_config_t c = tiny(2);
    c.img_tokens = 12;
    ar_t *m = ar_new(&c, backend_cpu(), 2, 3);
    ck_assert_int_eq(ar_init_pos2d(m), -1);
    ar_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("transformer");
    TCase *tc = tcase_create("transformer");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_kv_cache_matches_full_forward);
    tcase_add_test(tc, test_gradient_finite_differences);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_sampling);
    tcase_add_test(tc, test_imagine_changes);
    tcase_add_test(tc, test_weights_round_trip);
    tcase_add_test(tc, test_prefix_and_ldm_weight);
    tcase_add_test(tc, test_pos2d);
    tcase_add_test(tc, test_loss_falls);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
