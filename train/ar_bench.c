/* ar_bench.c: `videogo bench train-ar`: training throughput of the transformer (model/
 * transformer.h) on synthetic sequences: tokens/s, achieved GFLOP/s against the machine's sgemm
 * peak measured in the same run, and the same model and step (forward, backward, clipping,
 * AdamW) in PyTorch on the CPU with the same thread count, reporting the ratio. Without PyTorch
 * (Debian python3-torch) the bench says so and reports the rest.
 *
 * FLOPs counted per step (the usual 6 x params x tokens convention, plus attention as
 * computed: the kernel evaluates all L x L scores, masked or not):
 *   3 x [ 2 N (NL (3C^2 + C^2 + 3 C F) + NO C) + NL 4 B L^2 C ]        (N = B L rows)
 * Element-wise ops (norms, RoPE, SwiGLU, softmax, AdamW) are not counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine/util.h"
#include "kernels/backend.h"
#include "model/transformer.h"

/* The PyTorch twin: same layers, shapes, loss groups and optimizer. */
static const char *torch_script =
    "import sys, time, torch\n"
    "import torch.nn.functional as Fn\n"
    "B, L, C, NH, FF, NL, NO, G, S0, steps, threads = map(int, sys.argv[1:12])\n"
    "calls = [tuple(map(int, c.split(':'))) for c in sys.argv[12].split(',')]\n"
    "torch.set_num_threads(threads); torch.manual_seed(0)\n"
    "HD = C // NH\n"
    "def P(*s, std=0.02): return torch.nn.Parameter(torch.randn(*s) * std)\n"
    "emb, pos = P(NO + 1, C), P(L, C)\n"
    "blocks = [dict(n1=torch.nn.Parameter(torch.ones(C)), qkv=P(3 * C, C), o=P(C, C),\n"
    "               n2=torch.nn.Parameter(torch.ones(C)), up=P(2 * FF, C), down=P(C, FF)) for _ in range(NL)]\n"
    "nf, head = torch.nn.Parameter(torch.ones(C)), P(NO, C)\n"
    "params = [emb, pos, nf, head] + [p for b in blocks for p in b.values()]\n"
    "opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)\n"
    "inv = 10000.0 ** (-torch.arange(0, HD, 2).float() / HD)\n"
    "ang = torch.arange(L).float()[:, None] * inv[None]\n"
    "cs, sn = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]\n"
    "def rope(x):\n"
    "    x = x.view(B, L, NH, HD // 2, 2); a, b = x[..., 0], x[..., 1]\n"
    "    return torch.stack((a * cs - b * sn, a * sn + b * cs), -1).view(B, L, C)\n"
    "def rms(x, w): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w\n"
    "mask = torch.full((L, L), float('-inf')).triu(1)\n"
    "ids = torch.randint(0, NO, (G, B, L)); tg = torch.randint(0, 3, (len(calls), B, L)); tg[:, :, :S0] = -1\n"
    "tg[:, :, L - 1] = -1\n"
    "ntok = B * (L - 1 - S0)\n"
    "def step():\n"
    "    x = emb[ids].sum(0) + pos[None]\n"
    "    for b in blocks:\n"
    "        h = rms(x, b['n1']) @ b['qkv'].t(); q, k, v = h.split(C, -1)\n"
    "        q, k = rope(q), rope(k)\n"
    "        q, k, v = (t.view(B, L, NH, HD).transpose(1, 2) for t in (q, k, v))\n"
    "        a = torch.softmax(q @ k.transpose(-1, -2) * HD ** -0.5 + mask, -1) @ v\n"
    "        x = x + a.transpose(1, 2).reshape(B, L, C) @ b['o'].t()\n"
    "        g, u = (rms(x, b['n2']) @ b['up'].t()).split(FF, -1)\n"
    "        x = x + (Fn.silu(g) * u) @ b['down'].t()\n"
    "    lg = rms(x, nf) @ head.t()\n"
    "    loss = sum(Fn.cross_entropy(lg[..., o:o + V].reshape(-1, V), tg[i].reshape(-1), ignore_index=-1,\n"
    "                                reduction='sum') for i, (o, V) in enumerate(calls)) / ntok\n"
    "    opt.zero_grad(set_to_none=False); loss.backward()\n"
    "    torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()\n"
    "for _ in range(3): step()\n"
    "t0 = time.perf_counter()\n"
    "for _ in range(steps): step()\n"
    "dt = (time.perf_counter() - t0) / steps\n"
    "print('torch %s ms_per_step %.3f tokens_per_s %.1f' % (torch.__version__, dt * 1e3, B * L / dt))\n";

static void usage(FILE *f)
{
    fprintf(f, "usage: videogo bench train-ar [--preset cpu|grid|tiny|paper] [--batch B] [--steps N] [--threads N]\n"
               "                              [--video-only] [--no-torch] [--no-full-softmax]\n"
               "Training steps of the transformer (model/transformer.h) on synthetic sequences: tokens/s and\n"
               "GFLOP/s at 1 thread and, in the same run, at --threads N (the scaling ratio), against the sgemm\n"
               "peak measured here; the same model trained by PyTorch on the CPU (python3-torch) with N threads,\n"
               "as a ratio; the measured cost of a full softmax head over the whole vocabulary (the\n"
               "alternative to the factorized FSQ-digit head); then one summary line. --preset grid is the\n"
               "shipped transformer's shape (81 image tokens of a 3-level code, video only, 3x3 local window).\n"
               "Defaults: cpu preset, batch 16, 30 steps, 1 thread.\n");
}

/* GFLOP/s of one square sgemm (n x n x n), best of a few. */
static double sgemm_peak(const backend_t *be, int n)
{
    float *a = be->alloc((size_t)n * n * sizeof(float)), *b = be->alloc((size_t)n * n * sizeof(float));
    float *c = be->alloc((size_t)n * n * sizeof(float));
    if (!a || !b || !c) die("out of memory");
    be->zero(a, (size_t)n * n * sizeof(float));
    be->zero(b, (size_t)n * n * sizeof(float));
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = time_wall();
        be->matmul_forward(c, a, b, NULL, n, n, n);
        be->synchronize();
        double g = 2.0 * n * n * n / (time_wall() - t0) / 1e9;
        if (g > best) best = g;
    }
    be->free(a);
    be->free(b);
    be->free(c);
    return best;
}

/* A Python that imports torch: $VIDEOGO_PYTHON, else python3 on the PATH, else Debian's
 * /usr/bin/python3 (python3-torch installs there; a pyenv python3 may shadow it). */
static const char *find_python(void)
{
    static char env[1024];
    const char *e = getenv("VIDEOGO_PYTHON");
    const char *cands[3] = {NULL, "python3", "/usr/bin/python3"};
    if (e && *e && strlen(e) < sizeof env && !strpbrk(e, "'\"$`;&|<>")) {
        snprintf(env, sizeof env, "%s", e);
        cands[0] = env;
    }
    for (int i = 0; i < 3; i++) {
        if (!cands[i]) continue;
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "%s -c 'import torch' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0) return cands[i];
    }
    return NULL;
}

/* The factorized head's alternative, measured: one full softmax over the whole vocabulary
 * (7 + image codes + LDM codes) on the same N rows: head matmul forward, fused softmax +
 * cross-entropy with its gradient, matmul backward. Compared with the whole step of ours. */
static void full_softmax_cost(ar_t *m, const backend_t *be, int batch, double step_s)
{
    const int N = batch * m->L, C = m->C;
    const long V = AR_N_SPECIAL + m->img_codebook + m->ldm_codebook;
    const size_t nw = (size_t)V * C, nl = (size_t)N * V;
    float *w = be->alloc(nw * sizeof(float)), *dw = be->alloc(nw * sizeof(float));
    float *lg = be->alloc(nl * sizeof(float)), *dlg = be->alloc(nl * sizeof(float));
    float *dx = be->alloc((size_t)N * C * sizeof(float)), *loss = be->alloc((size_t)N * sizeof(float));
    int *tg = be->alloc((size_t)N * sizeof(int));
    if (!w || !dw || !lg || !dlg || !dx || !loss || !tg) die("out of memory for the full-softmax measurement");
    float *hw = xmalloc(nw * sizeof(float));
    int *ht = xmalloc((size_t)N * sizeof(int));
    rng_t r;
    rng_seed(&r, 3);
    for (size_t i = 0; i < nw; i++) hw[i] = (float)(rng_uniform(&r) - 0.5) * 0.04f;
    for (int i = 0; i < N; i++) ht[i] = (int)rng_below(&r, (uint32_t)V);
    be->to_device(w, hw, nw * sizeof(float));
    be->to_device(tg, ht, (size_t)N * sizeof(int));
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        be->zero(dw, nw * sizeof(float));
        be->zero(dlg, nl * sizeof(float));
        be->zero(dx, (size_t)N * C * sizeof(float));
        double t0 = time_wall();
        be->matmul_forward(lg, m->lnf, w, NULL, N, C, (int)V);
        be->softmax_cross_entropy(loss, dlg, lg, tg, N, (int)V, (int)V, 1.0f / N);
        be->matmul_backward(dx, dw, NULL, dlg, m->lnf, w, N, C, (int)V);
        be->synchronize();
        double t = time_wall() - t0;
        if (t < best) best = t;
    }
    printf("a full %ld-way softmax head instead (measured: head fwd + softmax-CE + bwd on the same %d rows): "
           "%.1f ms, %.1fx our whole step (%.1f ms); the factorized head has %d logits\n",
           V, N, best * 1e3, best / step_s, step_s * 1e3, m->NO);
    free(hw);
    free(ht);
    be->free(w), be->free(dw), be->free(lg), be->free(dlg), be->free(dx), be->free(loss), be->free(tg);
}

int cmd_bench_train_ar(int argc, char **argv)
{
    const char *preset = "cpu";
    int batch = 16, steps = 30, threads = 1, video_only = 0, no_torch = 0, no_full = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--video-only")) { video_only = 1; continue; }
        if (!strcmp(a, "--no-torch")) { no_torch = 1; continue; }
        if (!strcmp(a, "--no-full-softmax")) { no_full = 1; continue; }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--preset")) preset = v;
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--steps")) steps = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else {
            usage(stderr);
            return 2;
        }
    }
    if (batch < 1 || steps < 1 || threads < 1) die("--batch, --steps and --threads must be >= 1");
    const backend_t *be = backend_cpu();
    be->set_threads(threads);
    ar_config_t cfg;
    if (ar_preset(preset, &cfg)) die("unknown preset '%s' (cpu, grid, tiny, paper)", preset);
    if (video_only) cfg.horizon = 0;
    if (!strcmp(preset, "grid")) { /* the shipped transformer: the grid tokenizer's codes, video only */
        cfg.img_tokens = 81;
        cfg.n_img_levels = 1;
        cfg.img_levels[0] = 3;
        cfg.horizon = 0;
        cfg.local = 1;
        video_only = 1;
    }
    ar_t *m = ar_new(&cfg, be, batch, 1);
    const int L = m->L, N = batch * L, C = m->C, F = m->F, NL = cfg.layers;
    printf("bench train-ar: %s preset%s, %d layers, C %d, %d heads, SwiGLU %d, L %d, batch %d, %zu params, "
           "%d thread(s)\n%s\n",
           preset, video_only ? " (video only)" : "", NL, C, m->NH, F, L, batch, m->n_params, threads,
           be->describe());
    rng_t r;
    rng_seed(&r, 1);
    int *tok = xmalloc((size_t)N * sizeof(int));
    int img[1024], nxt[1024], z[64];
    for (int b = 0; b < batch; b++) {
        for (int k = 0; k < cfg.img_tokens; k++) img[k] = (int)rng_below(&r, (uint32_t)m->img_codebook),
                                                nxt[k] = (int)rng_below(&r, (uint32_t)m->img_codebook);
        for (int h = 0; h < cfg.horizon; h++) z[h] = (int)rng_below(&r, (uint32_t)m->ldm_codebook);
        ar_seq_build(m, img, b & 1, z, nxt, tok + (size_t)b * L);
    }
    const double mm = (double)NL * (3.0 * C * C + (double)C * C + 3.0 * C * F) + (double)m->NO * C;
    const double flops = 3.0 * (2.0 * N * mm + (double)NL * 4.0 * batch * L * L * C);
    /* fp32 at 1 thread, then at the asked threads: the scaling in one run */
    int tcount[2] = {1, threads}, nrun = threads > 1 ? 2 : 1;
    double tps[2] = {0, 0}, dt = 0;
    for (int k = 0; k < nrun; k++) {
        be->set_threads(tcount[k]);
        ar_zero_grad(m);
        double t0 = 0;
        for (int s = 0; s < steps + 3; s++) {
            if (s == 3) t0 = time_wall();
            ar_forward(m, tok, batch);
            ar_zero_grad(m);
            ar_backward(m);
            ar_adamw_step(m, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f, s + 1);
        }
        be->synchronize();
        dt = (time_wall() - t0) / steps;
        tps[k] = N / dt;
        const double gf = flops / dt / 1e9, peak = sgemm_peak(be, 1024);
        printf("videogo fp32, %d thread%s: %.2f ms/step, %.0f tokens/s, %.2f GFLOP/s = %.0f%% of the sgemm peak "
               "(%.2f GFLOP/s, 1024^3, same threads)%s\n",
               tcount[k], tcount[k] > 1 ? "s" : "", dt * 1e3, N / dt, gf, 100.0 * gf / peak, peak,
               k ? "" : "");
        if (k) printf("scaling 1 -> %d threads: %.2fx tokens/s\n", tcount[k], tps[1] / tps[0]);
        fflush(stdout);
    }
    printf("bf16 matmuls: not built (Debian's OpenBLAS has no sbgemm; a vdpbf16ps kernel is issue 17's)\n"
           "MPI ranks: not built (no OpenMPI path yet)\n");
    if (!no_full) full_softmax_cost(m, be, batch, dt);

    int rc = 0;
    double torch_tps = 0;
    const char *py = NULL;
    if (no_torch) {
        printf("PyTorch: skipped (--no-torch)\n");
    } else if (!(py = find_python())) {
        printf("PyTorch not installed (Debian: apt-get install python3-torch): no comparison\n");
    } else {
        char path[] = "/tmp/vgo-bench-ar-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) die("mkstemp failed");
        FILE *f = fdopen(fd, "w");
        fputs(torch_script, f);
        fclose(f);
        char calls[1024] = "", cmd[2048];
        size_t o = 0;
        for (int c = 0; c < m->n_calls; c++)
            o += (size_t)snprintf(calls + o, sizeof calls - o, "%s%d:%d", c ? "," : "", m->call_off[c], m->call_v[c]);
        snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=%d %s %s %d %d %d %d %d %d %d %d %d %d %d %s", threads, py, path,
                 batch, L, C, m->NH, F, NL, m->NO, m->G, ar_loss_start(&cfg), steps, threads, calls);
        FILE *p = popen(cmd, "r");
        char line[512];
        double tms = 0, ttps = 0;
        char ver[64] = "?";
        while (p && fgets(line, sizeof line, p))
            if (sscanf(line, "torch %63s ms_per_step %lf tokens_per_s %lf", ver, &tms, &ttps) == 3) break;
        if (p) pclose(p);
        unlink(path);
        if (ttps > 0)
            printf("PyTorch %s (CPU, same model, step and threads): %.2f ms/step, %.0f tokens/s\n"
                   "ratio videogo / PyTorch: %.2fx tokens/s\n",
                   ver, tms, ttps, (N / dt) / ttps);
        else
            printf("PyTorch run failed: no comparison\n"), rc = 1;
        torch_tps = ttps;
    }
    const int fast = nrun > 1 && tps[1] > tps[0] ? 1 : 0;
    char vs_torch[64] = "no PyTorch";
    if (torch_tps > 0) snprintf(vs_torch, sizeof vs_torch, "%.2fx PyTorch %d thread%s", tps[fast] / torch_tps, threads,
                                threads > 1 ? "s" : "");
    printf("summary: fp32 %d thread%s %.0f tokens/s, %.2fx fp32 1 thread, %s\n", tcount[fast], tcount[fast] > 1 ? "s" : "",
           tps[fast], tps[fast] / tps[0], vs_torch);
    free(tok);
    ar_free(m);
    return rc;
}
