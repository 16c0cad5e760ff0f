/* world.c: `videogo eval world` (world.h): the learned pipeline's stages on a labelled set. */
#include "eval/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util.h"
#include "eval/gobench.h"
#include "kernels/backend.h"
#include "model/idm.h"
#include "model/ldm.h"
#include "model/policy.h"
#include "model/tokenizer.h"
#include "model/transformer.h"
#include "render/render.h"

typedef struct {
    long n;
    long z_hit, z_n;                  /* teacher-forced z^1 top-1 */
    long tok_hit, tok_n;              /* teacher-forced x_{t+1} tokens */
    long chg_hit, chg_n;              /* ... on the tokens that change */
    long idm_real, idm_code;          /* IDM on the real next frame; on x_t + the real code */
    long exact, unchanged, one_stone, on_played, idm_imag; /* free-running top-1 future */
    long arg_played, arg_best, rank1, rank3, rank10;
    double rank_sum, value_sum;
} world_stats_t;

static int argmax_n(const float *v, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[b]) b = i;
    return b;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: videogo eval world [--weights FILE|DIR] [--ldm FILE] [--set FILE] [--limit N] [--rollouts K]\n"
            "\n"
            "Where the networks lose the move, stage by stage (eval/world.h): teacher-forced, the\n"
            "transformer's z^1 and x_{t+1} tokens against the real ones and the IDM on the real next\n"
            "frame; free-running, the imagined x^_{t+1} read back as a board and the IDM on it; and the\n"
            "networks' distribution (as `eval gobench` paper mode chooses) against KataGo's moves.\n"
            "\n"
            "  --weights FILE|DIR  the transformer file or a weights folder (default: the shipped weights)\n"
            "  --ldm FILE          the LDM whose codes the transformer predicts (default: beside\n"
            "                      the transformer, else the weights folder's ldm-9x9.gguf)\n"
            "  --set FILE          positions (default ../shared/data/gobench9/dev.jsonl)\n"
            "  --limit N           the first N positions (default 500)\n"
            "  --rollouts K        futures of the distribution (default 8)\n");
}

static void line(const char *what, long hit, long n)
{
    printf("  %-52s %6.2f%%  (%ld/%ld)\n", what, n ? 100.0 * hit / n : 0.0, hit, n);
}

int cmd_eval_world(int argc, char **argv)
{
    const char *weights = NULL, *ldm_path = NULL, *set_path = NULL;
    long limit = 500, K = POLICY_DEFAULT_ROLLOUTS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "videogo eval world: unknown option or missing value: %s\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end;
        if (!strcmp(a, "--weights")) weights = v;
        else if (!strcmp(a, "--ldm")) ldm_path = v;
        else if (!strcmp(a, "--set")) set_path = v;
        else if (!strcmp(a, "--limit") || !strcmp(a, "--rollouts")) {
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 1 || n > 1000000) {
                fprintf(stderr, "videogo eval world: %s wants a positive integer, got '%s'\n", a, v);
                return 2;
            }
            if (a[2] == 'l') limit = n;
            else K = n;
        } else {
            fprintf(stderr, "videogo eval world: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (K > POLICY_MAX_ROLLOUTS) K = POLICY_MAX_ROLLOUTS;
    char default_set[4096];
    if (!set_path) {
        const char *data = getenv("VIDEOGO_DATA");
        snprintf(default_set, sizeof default_set, "%s/gobench9/dev.jsonl", data ? data : "../shared/data");
        set_path = default_set;
    }
    policy_config_t pc;
    policy_config_default(&pc);
    if (weights) policy_config_for(&pc, weights, NULL);
    if (ldm_path) snprintf(pc.ldm_path, sizeof pc.ldm_path, "%s", ldm_path);
    pc.max_rollouts = (int)K;
    char err[1024];
    if (!policy_files_exist(&pc, err, sizeof err)) {
        fprintf(stderr, "videogo eval world: %s\n", err);
        return 1;
    }
    policy_t *pol = policy_load(&pc, err, sizeof err);
    if (!pol) {
        fprintf(stderr, "videogo eval world: %s\n", err);
        return 1;
    }
    FILE *lf = fopen(pc.ldm_path, "rb");
    if (!lf) {
        fprintf(stderr, "videogo eval world: the LDM %s is missing (--ldm FILE)\n", pc.ldm_path);
        policy_free(pol);
        return 1;
    }
    fclose(lf);
    const backend_t *be = backend_cpu();
    tokenizer_t *tok = tokenizer_build_from_file(pc.tokenizer_path, be, 4);
    ar_t *ar = ar_build_from_file(pc.ar_path, be, (int)K);
    idm_t *idm = idm_build_from_file(pc.idm_path, be, 4);
    ldm_t *ldm = ldm_build_from_file(pc.ldm_path, be, 1);
    const int T = ar->cfg.img_tokens, H = ar->cfg.horizon, L = ar->L, NO = ar->NO, px = tok->cfg.px;
    /* a video-only transformer (H 0) predicts no codes: the IDM then reads the LDM's codes of
     * the window (x_t, x^_{t+1}, ...), as the player does, and its x^_{t+1} is sampled (greedy
     * digits would keep every token: the change is rarely the likeliest token at any one cell) */
    const int Hl = ldm->cfg.horizon, video = H == 0;
    if (T != tok->T || ldm->cfg.px != px || (!video && (Hl != H || ldm_codebook(&ldm->cfg) != ar->ldm_codebook))) {
        fprintf(stderr, "videogo eval world: %s does not make the codes %s predicts (H %d, %ld codes, %d px)\n",
                pc.ldm_path, pc.ar_path, H, ar->ldm_codebook, px);
        return 1;
    }
    gobench_set_t set;
    if (gobench_load(set_path, &set, stderr, err, sizeof err)) {
        fprintf(stderr, "videogo eval world: %s\n", err);
        return 1;
    }
    const int size = policy_board_size(pol);
    render_ctx_t *ctx = render_ctx_new(size, px);
    const size_t fb = (size_t)render_frame_bytes(px);
    uint8_t *win = xmalloc((size_t)(Hl + 1) * fb), *imag = xmalloc((size_t)K * fb), *two = xmalloc(2 * fb);
    uint8_t *iwin = xmalloc((size_t)(Hl + 1) * fb);
    int *ct = xmalloc((size_t)T * sizeof(int)), *cn = xmalloc((size_t)T * sizeof(int));
    int *seq = xmalloc((size_t)L * sizeof(int)), *zr = xmalloc((size_t)Hl * sizeof(int));
    int *zi = xmalloc((size_t)K * Hl * sizeof(int)), *ni = xmalloc((size_t)K * T * sizeof(int));
    const ar_sampler_t sampled = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f};
    float *zp = xmalloc((size_t)K * sizeof(float)), logits[2 * POLICY_MOVES], probs[POLICY_MOVES];
    world_stats_t s = {0};
    const int zpos = ar_loss_start(&ar->cfg) + 1, lo = AR_N_SPECIAL + (int)ar->img_codebook;
    const int xpos = L - T - 2; /* <im_start> of x_{t+1}: predicts its first token */
    rng_t rng;
    rng_seed(&rng, 1);
    long n = set.n < limit ? set.n : limit;
    double t0 = time_wall();
    for (long i = 0; i < n; i++) {
        const gobench_pos_t *pos = &set.pos[i];
        game_t g;
        if (pos->size != size || gobench_position(pos, &g, err, sizeof err)) continue;
        const stone_t c = pos->to_move;
        board_t next = g.board;
        if (pos->played != VERTEX_PASS && board_play(&next, c, pos->played, NULL, NULL) != MOVE_OK) {
            game_free(&g);
            continue;
        }
        s.n++;
        render_ctx_frame(ctx, &g.board, win);
        for (int h = 1; h <= Hl; h++) render_ctx_frame(ctx, &next, win + (size_t)h * fb);
        tokenizer_encode(tok, win, 1, ct);
        tokenizer_encode(tok, win + fb, 1, cn);
        ldm_set_windows(ldm, win, 1);
        ldm_forward(ldm);
        ldm_outputs(ldm, zr, NULL);
        /* teacher-forced */
        ar_seq_build(ar, ct, c == STONE_WHITE, zr, cn, seq);
        ar_forward(ar, seq, 1);
        const float *lg = ar_logits(ar);
        if (!video) {
            s.z_hit += ar_argmax_code(ar, lg + (size_t)zpos * NO, 1) == seq[zpos + 1] - lo;
            s.z_n++;
        }
        for (int k = 0; k < T; k++) {
            int hit = ar_argmax_code(ar, lg + (size_t)(xpos + k) * NO, 0) == cn[k];
            s.tok_hit += hit, s.tok_n++;
            if (cn[k] != ct[k]) s.chg_hit += hit, s.chg_n++;
        }
        memcpy(two, win, fb);
        memcpy(two + fb, win, fb);
        idm_logits(idm, win, win + fb, zr, 1, logits);
        idm_logits(idm, two, two + fb, zr, 1, logits + POLICY_MOVES);
        const int played = policy_point_to_index(pos->played), best = policy_point_to_index(pos->best);
        s.idm_real += argmax_n(logits, POLICY_MOVES) == played;
        s.idm_code += argmax_n(logits + POLICY_MOVES, POLICY_MOVES) == played;
        /* free-running: the likeliest code, then greedy (video only: sampled, then the LDM's
         * codes of the imagined window) */
        if (video) ar_imagine(ar, ct, c == STONE_WHITE, 1, &sampled, &rng, NULL, ni);
        else ar_imagine_top(ar, ct, c == STONE_WHITE, 1, zi, zp, ni);
        tokenizer_decode(tok, ni, 1, imag);
        if (video) {
            memcpy(iwin, win, fb);
            for (int h = 1; h <= Hl; h++) memcpy(iwin + (size_t)h * fb, imag, fb);
            ldm_set_windows(ldm, iwin, 1);
            ldm_forward(ldm);
            ldm_outputs(ldm, zi, NULL);
        }
        board_t rb;
        if (render_board_read(imag, px, size, &rb) == 0) {
            int added = 0, other = 0, at = -1;
            for (int p = 0; p < size * size; p++) {
                if (rb.stones[p] == g.board.stones[p]) continue;
                if (g.board.stones[p] == STONE_EMPTY && rb.stones[p] == c) added++, at = p;
                else other++;
            }
            s.exact += !memcmp(rb.stones, next.stones, (size_t)size * size);
            s.unchanged += !added && !other;
            s.one_stone += added == 1;
            s.on_played += added == 1 && at == pos->played;
        }
        idm_logits(idm, win, imag, zi, 1, logits);
        s.idm_imag += argmax_n(logits, POLICY_MOVES) == played;
        /* the distribution */
        policy_distribution(pol, &g.board, c, (int)K, &rng, probs);
        int a = argmax_n(probs, POLICY_MOVES), rank = 1;
        for (int m = 0; m < POLICY_MOVES; m++) rank += probs[m] > probs[best];
        s.arg_played += a == played;
        s.arg_best += a == best;
        s.rank_sum += rank;
        s.rank1 += rank <= 1, s.rank3 += rank <= 3, s.rank10 += rank <= 10;
        s.value_sum += gobench_score_move(pos, &g, policy_index_to_point(a)).value;
        game_free(&g);
        if ((i + 1) % 50 == 0 || i + 1 == n)
            fprintf(stderr, "\r%ld/%ld positions, %.1f s", i + 1, n, time_wall() - t0);
    }
    fprintf(stderr, "\n");
    printf("eval world: %s on %ld positions of %s (top %ld codes)\n", policy_describe(pol), s.n, set_path, K);
    printf("teacher-forced (real x_t, z, x_{t+1}):\n");
    if (!video) line("z^1 top-1 = the LDM's code of the real future", s.z_hit, s.z_n);
    line("x_{t+1} tokens top-1 (all)", s.tok_hit, s.tok_n);
    line("x_{t+1} tokens top-1 (the tokens that change)", s.chg_hit, s.chg_n);
    line("IDM(x_t, real x_{t+1}, real z) = played", s.idm_real, s.n);
    line("IDM(x_t, x_t, real z) = played (the code alone)", s.idm_code, s.n);
    printf(video ? "free-running (x^_{t+1} sampled, temperature 1; z^ = the LDM's codes of it):\n"
                 : "free-running (likeliest z^1, greedy x^_{t+1}):\n");
    line("x^_{t+1} reads back as the real next board", s.exact, s.n);
    line("x^_{t+1} unchanged (reads as a pass)", s.unchanged, s.n);
    line("x^_{t+1} adds one stone of the mover's colour", s.one_stone, s.n);
    line("... on the played point", s.on_played, s.n);
    line("IDM(x_t, x^_{t+1}, z^) = played", s.idm_imag, s.n);
    printf("the networks' distribution (paper mode's argmax):\n");
    line("argmax = played move", s.arg_played, s.n);
    line("argmax = KataGo's best move (best-action)", s.arg_best, s.n);
    line("KataGo's best move ranked 1st", s.rank1, s.n);
    line("KataGo's best move in the top 3", s.rank3, s.n);
    line("KataGo's best move in the top 10", s.rank10, s.n);
    printf("  %-52s %6.2f\n", "mean rank of KataGo's best move", s.n ? s.rank_sum / s.n : 0.0);
    printf("  %-52s %6.2f%%\n", "action-value of the argmax", s.n ? 100.0 * s.value_sum / s.n : 0.0);
    free(win), free(iwin), free(imag), free(two), free(ct), free(cn), free(seq), free(zr), free(zi), free(ni), free(zp);
    render_ctx_free(ctx);
    gobench_set_free(&set);
    tokenizer_free(tok);
    ar_free(ar);
    idm_free(idm);
    ldm_free(ldm);
    policy_free(pol);
    return 0;
}
