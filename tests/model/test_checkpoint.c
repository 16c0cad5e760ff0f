/* test_checkpoint.c: training checkpoints (model/checkpoint.h) make a resumed run on the CPU
 * bit-identical to an uninterrupted one.
 *
 * A small demonstration trainer lives here: a 6-16-3 tanh MLP with dropout, trained by the
 * kernels' AdamW (kernels/ops.h adamw_update: bias correction, decoupled weight decay) on a
 * synthetic classification set, minibatches drawn in a per-epoch shuffled order derived from
 * (shuffle_seed, epoch), input noise and dropout drawn from the trainer's RNG. Every piece of
 * state a real trainer has is exercised: parameters, both moments, the step (bias correction),
 * the RNG, and the data position across epoch boundaries.
 *
 * The runs are N steps straight vs K steps in a child process that saves a checkpoint and
 * exits, then a fresh trainer in this process that loads it and runs N-K steps; parameters,
 * moments, RNG and data position must match with memcmp. Leaving out any one piece of state
 * must break the equality (so the test can fail). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/util.h"
#include "kernels/ops.h"
#include "model/checkpoint.h"
#include "model/weights.h"

enum { DIN = 6, DOUT = 3, NDATA = 200, BATCH = 8 }; /* 25 steps per epoch */
#define NET "mlp"
#define LR 1e-2f
#define BETA1 0.9f
#define BETA2 0.999f
#define EPS 1e-8f
#define WD 1e-2f
#define DROPOUT 0.1f
#define NOISE 0.05f

static float data_x[NDATA][DIN];
static int data_y[NDATA];

static void make_data(void)
{
    rng_t r;
    rng_seed(&r, 7);
    float wstar[DOUT][DIN];
    for (int o = 0; o < DOUT; o++)
        for (int i = 0; i < DIN; i++) wstar[o][i] = (float)(rng_uniform(&r) * 2 - 1);
    for (int n = 0; n < NDATA; n++) {
        for (int i = 0; i < DIN; i++) data_x[n][i] = (float)(rng_uniform(&r) * 2 - 1);
        int best = 0;
        float bv = -1e30f;
        for (int o = 0; o < DOUT; o++) {
            float s = 0;
            for (int i = 0; i < DIN; i++) s += wstar[o][i] * data_x[n][i];
            if (s > bv) bv = s, best = o;
        }
        data_y[n] = best;
    }
}

/* Parameter tensors, all in one block per purpose (params, grads, m, v). */
typedef struct {
    const char *name;
    int ndim;
    int64_t dims[2];
    size_t off, n;
} ptensor_t;

typedef struct {
    int hidden;
    ptensor_t t[4];
    size_t nparams;
    float *p, *g, *m, *v;       /* (nparams) each */
    checkpoint_state_t st;
    uint32_t order[NDATA];      /* this epoch's example order */
    int64_t order_epoch;        /* epoch `order` belongs to, -1 if not derived yet */
} trainer_t;

static void trainer_layout(trainer_t *tr, int hidden)
{
    const int H = hidden;
    ptensor_t t[4] = {{"fc1.weight", 2, {H, DIN}, 0, 0}, {"fc1.bias", 1, {H, 0}, 0, 0},
                      {"fc2.weight", 2, {DOUT, H}, 0, 0}, {"fc2.bias", 1, {DOUT, 0}, 0, 0}};
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        t[i].n = (size_t)t[i].dims[0] * (size_t)(t[i].ndim == 2 ? t[i].dims[1] : 1);
        t[i].off = off;
        off += t[i].n;
    }
    memcpy(tr->t, t, sizeof t);
    tr->hidden = hidden;
    tr->nparams = off;
    tr->p = xcalloc(off, sizeof(float));
    tr->g = xcalloc(off, sizeof(float));
    tr->m = xcalloc(off, sizeof(float));
    tr->v = xcalloc(off, sizeof(float));
    tr->order_epoch = -1;
}

static void trainer_init(trainer_t *tr, int hidden, uint64_t seed)
{
    memset(tr, 0, sizeof *tr);
    trainer_layout(tr, hidden);
    rng_t r;
    rng_seed(&r, seed);
    for (int i = 0; i < 4; i++) {
        float scale = 1.0f / sqrtf((float)(tr->t[i].ndim == 2 ? tr->t[i].dims[1] : 1));
        for (size_t j = 0; j < tr->t[i].n; j++) tr->p[tr->t[i].off + j] = (float)(rng_uniform(&r) - 0.5) * scale;
    }
    tr->st.step = 0;
    tr->st.epoch = 0;
    tr->st.index = 0;
    tr->st.shuffle_seed = seed * 31 + 1;
    rng_seed(&tr->st.rng, seed ^ 0xabcdef);
}

static void trainer_free(trainer_t *tr)
{
    free(tr->p);
    free(tr->g);
    free(tr->m);
    free(tr->v);
    memset(tr, 0, sizeof *tr);
}

/* Epoch e's order: Fisher-Yates driven by its own RNG, derived from (shuffle_seed, e). */
static void derive_order(trainer_t *tr)
{
    rng_t r;
    rng_seed(&r, splitmix64(tr->st.shuffle_seed) ^ tr->st.epoch);
    for (uint32_t i = 0; i < NDATA; i++) tr->order[i] = i;
    for (uint32_t i = NDATA - 1; i > 0; i--) {
        uint32_t j = rng_below(&r, i + 1), t = tr->order[i];
        tr->order[i] = tr->order[j];
        tr->order[j] = t;
    }
    tr->order_epoch = (int64_t)tr->st.epoch;
}

/* One optimizer step on the next BATCH examples; returns the mean loss. */
static float trainer_step(trainer_t *tr)
{
    const int H = tr->hidden;
    float *w1 = tr->p + tr->t[0].off, *b1 = tr->p + tr->t[1].off, *w2 = tr->p + tr->t[2].off,
          *b2 = tr->p + tr->t[3].off;
    float *gw1 = tr->g + tr->t[0].off, *gb1 = tr->g + tr->t[1].off, *gw2 = tr->g + tr->t[2].off,
          *gb2 = tr->g + tr->t[3].off;
    memset(tr->g, 0, tr->nparams * sizeof(float));
    float loss = 0, x[DIN], h[64], mask[64], logit[DOUT], dl[DOUT], dh[64];
    ck_assert_int_le(H, 64);
    for (int b = 0; b < BATCH; b++) {
        if (tr->order_epoch != (int64_t)tr->st.epoch) derive_order(tr);
        uint32_t n = tr->order[tr->st.index];
        if (++tr->st.index == NDATA) {
            tr->st.index = 0;
            tr->st.epoch++;
        }
        for (int i = 0; i < DIN; i++) x[i] = data_x[n][i] + NOISE * (float)(rng_uniform(&tr->st.rng) - 0.5);
        for (int j = 0; j < H; j++) {
            float s = b1[j];
            for (int i = 0; i < DIN; i++) s += w1[j * DIN + i] * x[i];
            mask[j] = rng_uniform(&tr->st.rng) < DROPOUT ? 0.0f : 1.0f / (1.0f - DROPOUT);
            h[j] = tanhf(s) * mask[j];
        }
        float mx = -1e30f, z = 0;
        for (int o = 0; o < DOUT; o++) {
            logit[o] = b2[o];
            for (int j = 0; j < H; j++) logit[o] += w2[o * H + j] * h[j];
            if (logit[o] > mx) mx = logit[o];
        }
        for (int o = 0; o < DOUT; o++) z += expf(logit[o] - mx);
        loss += -(logit[data_y[n]] - mx - logf(z)) / BATCH;
        for (int o = 0; o < DOUT; o++) dl[o] = (expf(logit[o] - mx) / z - (o == data_y[n])) / BATCH;
        for (int j = 0; j < H; j++) dh[j] = 0;
        for (int o = 0; o < DOUT; o++) {
            gb2[o] += dl[o];
            for (int j = 0; j < H; j++) {
                gw2[o * H + j] += dl[o] * h[j];
                dh[j] += dl[o] * w2[o * H + j];
            }
        }
        for (int j = 0; j < H; j++) {
            float hs = mask[j] ? h[j] / mask[j] : 0.0f;        /* tanh(s) where kept */
            float ds = dh[j] * mask[j] * (1.0f - hs * hs);
            gb1[j] += ds;
            for (int i = 0; i < DIN; i++) gw1[j * DIN + i] += ds * x[i];
        }
    }
    tr->st.step++;
    adamw_update(tr->p, tr->g, tr->m, tr->v, tr->nparams, LR, BETA1, BETA2, EPS, WD, 1.0f, (int)tr->st.step);
    return loss;
}

static int trainer_save(const trainer_t *tr, const char *path, char *err, size_t errlen)
{
    weights_writer_t *w = checkpoint_writer_new(NET, &tr->st);
    weights_writer_set_command_str(w, "build/tests/test_model_checkpoint (demonstration trainer)");
    weights_writer_kv_u32(w, "mlp.hidden", (uint32_t)tr->hidden);
    weights_writer_kv_f32(w, "train.lr", LR);
    weights_writer_kv_f32(w, "train.beta1", BETA1);
    weights_writer_kv_f32(w, "train.beta2", BETA2);
    weights_writer_kv_f32(w, "train.weight_decay", WD);
    weights_writer_kv_u32(w, "train.batch", BATCH);
    for (int i = 0; i < 4; i++)
        checkpoint_writer_param(w, tr->t[i].name, tr->t[i].ndim, tr->t[i].dims, tr->p + tr->t[i].off,
                                tr->m + tr->t[i].off, tr->v + tr->t[i].off);
    int rc = weights_writer_save(w, path, err, errlen);
    weights_writer_free(w);
    return rc;
}

/* Load into a trainer laid out for `hidden`: everything the run needs comes from the file. */
static int trainer_load(trainer_t *tr, int hidden, const char *path, char *err, size_t errlen)
{
    memset(tr, 0, sizeof *tr);
    trainer_layout(tr, hidden);
    /* Poison everything the checkpoint must overwrite. */
    for (size_t i = 0; i < tr->nparams; i++) tr->p[i] = tr->m[i] = tr->v[i] = NAN;
    memset(&tr->st, 0x5a, sizeof tr->st);
    weights_t w;
    if (checkpoint_open(&w, path, NET, &tr->st, err, errlen)) return -1;
    uint32_t h = 0;
    int rc = -1;
    if (weights_get_u32(&w, "mlp.hidden", &h) || h != (uint32_t)hidden) {
        snprintf(err, errlen, "checkpoint '%s' has mlp.hidden %u, this run uses %d", path, h, hidden);
        goto out;
    }
    for (int i = 0; i < 4; i++)
        if (checkpoint_read_param(&w, tr->t[i].name, tr->t[i].ndim, tr->t[i].dims, tr->p + tr->t[i].off,
                                  tr->m + tr->t[i].off, tr->v + tr->t[i].off, err, errlen))
            goto out;
    if (weights_check_all_used(&w, err, errlen)) goto out;
    rc = 0;
out:
    weights_close(&w);
    return rc;
}

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[2][400];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void setup(void)
{
    make_data();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/videogo-test-ckpt-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

enum { HID = 16, NSTEPS = 60, SEED = 12345 };

/* K steps in a separate process that saves a checkpoint and exits. */
static void first_half_in_child(int k, const char *path)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        trainer_t tr;
        char err[WEIGHTS_ERR_LEN];
        trainer_init(&tr, HID, SEED);
        for (int s = 0; s < k; s++) trainer_step(&tr);
        int rc = trainer_save(&tr, path, err, sizeof err);
        if (rc) fprintf(stderr, "child: %s\n", err);
        trainer_free(&tr);
        _exit(rc ? 1 : 0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child trainer failed");
}

static bool same_run(const trainer_t *a, const trainer_t *b)
{
    return a->nparams == b->nparams && !memcmp(a->p, b->p, a->nparams * sizeof(float)) &&
           !memcmp(a->m, b->m, a->nparams * sizeof(float)) && !memcmp(a->v, b->v, a->nparams * sizeof(float)) &&
           !memcmp(&a->st, &b->st, sizeof a->st);
}

START_TEST(test_resume_bit_identical)
{
    trainer_t straight;
    trainer_init(&straight, HID, SEED);
    float first = 0, last = 0;
    for (int s = 0; s < NSTEPS; s++) {
        float l = trainer_step(&straight);
        if (s < 5) first += l / 5;
        if (s >= NSTEPS - 5) last += l / 5;
    }
    /* The trainer really trains (otherwise "identical" would prove little). */
    ck_assert_msg(last < 0.8f * first, "loss %g -> %g", first, last);
    ck_assert_uint_eq(straight.st.epoch, 2);
    ck_assert_uint_eq(straight.st.index, (NSTEPS * BATCH) % NDATA);

    /* Interrupt mid-epoch, exactly at an epoch boundary, after one step, before the last. */
    const int ks[] = {23, 25, 1, NSTEPS - 1};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        const char *path = tmp_path("ckpt.gguf");
        first_half_in_child(ks[i], path);
        trainer_t resumed;
        char err[WEIGHTS_ERR_LEN];
        ck_assert_msg(trainer_load(&resumed, HID, path, err, sizeof err) == 0, "%s", err);
        ck_assert_uint_eq(resumed.st.step, (uint64_t)ks[i]);
        for (int s = ks[i]; s < NSTEPS; s++) trainer_step(&resumed);
        ck_assert_msg(same_run(&straight, &resumed), "resume after %d steps differs from the straight run", ks[i]);
        trainer_free(&resumed);
    }
    trainer_free(&straight);
}
END_TEST

/* Each piece of saved state matters: drop one and the runs part ways. */
START_TEST(test_resume_needs_every_piece)
{
    trainer_t straight;
    trainer_init(&straight, HID, SEED);
    for (int s = 0; s < NSTEPS; s++) trainer_step(&straight);
    const char *path = tmp_path("ckpt.gguf");
    first_half_in_child(30, path);
    char err[WEIGHTS_ERR_LEN];
    for (int what = 0; what < 5; what++) {
        trainer_t r;
        ck_assert_msg(trainer_load(&r, HID, path, err, sizeof err) == 0, "%s", err);
        switch (what) {
        case 0: break;                                                  /* control: all restored */
        case 1: rng_seed(&r.st.rng, 99); break;                         /* RNG not restored */
        case 2: memset(r.m, 0, r.nparams * sizeof(float)); break;       /* moments not restored */
        case 3: r.st.step = 0; break;                                   /* bias correction restarts */
        case 4: r.st.index = 0; break;                                  /* data position lost */
        }
        for (int s = 30; s < NSTEPS; s++) trainer_step(&r);
        if (what == 0) ck_assert(same_run(&straight, &r));
        else ck_assert_msg(memcmp(r.p, straight.p, r.nparams * sizeof(float)) != 0, "case %d: no difference", what);
        trainer_free(&r);
    }
    trainer_free(&straight);
}
END_TEST

START_TEST(test_checkpoint_validation)
{
    trainer_t tr;
    char err[WEIGHTS_ERR_LEN];
    trainer_init(&tr, HID, SEED);
    for (int s = 0; s < 3; s++) trainer_step(&tr);
    char path[400];
    snprintf(path, sizeof path, "%s", tmp_path("ckpt.gguf"));
    ck_assert_int_eq(trainer_save(&tr, path, err, sizeof err), 0);
    /* Saving over it again is atomic and leaves nothing behind. */
    ck_assert_int_eq(trainer_save(&tr, path, err, sizeof err), 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 1", tmpdir);
    ck_assert_int_eq(system(cmd), 0);

    weights_t w;
    checkpoint_state_t st;
    ck_assert_int_eq(checkpoint_open(&w, path, "ldm", &st, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "it trains 'mlp', not 'ldm'"));
    ck_assert_ptr_null(w.data); /* closed on failure */

    /* Another shape: the message names the tensor and both shapes. */
    trainer_t other;
    ck_assert_int_eq(trainer_load(&other, HID + 1, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "mlp.hidden 16"));
    trainer_free(&other);
    ck_assert_int_eq(checkpoint_open(&w, path, NET, &st, err, sizeof err), 0);
    float buf[64 * DIN];
    ck_assert_int_eq(checkpoint_read_param(&w, "fc1.weight", 2, (int64_t[]){HID + 1, DIN}, buf, buf, buf, err,
                                           sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "tensor 'p.fc1.weight' has shape [16, 6], this build expects [17, 6]"));
    ck_assert_int_eq(checkpoint_read_param(&w, "fc3.weight", 1, (int64_t[]){1}, buf, buf, buf, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no tensor 'p.fc3.weight'"));
    weights_close(&w);

    /* A checkpoint with a parameter this trainer does not have. */
    weights_writer_t *ww = checkpoint_writer_new(NET, &tr.st);
    weights_writer_set_command_str(ww, "test");
    weights_writer_kv_u32(ww, "mlp.hidden", HID);
    for (int i = 0; i < 4; i++)
        checkpoint_writer_param(ww, tr.t[i].name, tr.t[i].ndim, tr.t[i].dims, tr.p + tr.t[i].off,
                                tr.m + tr.t[i].off, tr.v + tr.t[i].off);
    checkpoint_writer_param(ww, "extra", 1, (int64_t[]){2}, tr.p, tr.m, tr.v);
    ck_assert_int_eq(weights_writer_save(ww, tmp_path("extra.gguf"), err, sizeof err), 0);
    weights_writer_free(ww);
    ck_assert_int_eq(trainer_load(&other, HID, tmp_path("extra.gguf"), err, sizeof err), -1);
    ck_assert_msg(strstr(err, "tensor 'm.extra' is not used") || strstr(err, "tensor 'p.extra' is not used") ||
                      strstr(err, "tensor 'v.extra' is not used"),
                  "%s", err);
    trainer_free(&other);

    /* A parameter without its moments. */
    ww = checkpoint_writer_new(NET, &tr.st);
    weights_writer_set_command_str(ww, "test");
    weights_writer_tensor(ww, "p.lonely", WEIGHTS_F32, 1, (int64_t[]){2}, tr.p);
    ck_assert_int_eq(weights_writer_save(ww, tmp_path("lonely.gguf"), err, sizeof err), 0);
    weights_writer_free(ww);
    ck_assert_int_eq(checkpoint_open(&w, tmp_path("lonely.gguf"), NET, &st, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "tensor 'p.lonely' has no matching 'm.lonely'"));

    /* A weights file is not a checkpoint. */
    ww = weights_writer_new("mlp");
    weights_writer_set_command_str(ww, "test");
    ck_assert_int_eq(weights_writer_save(ww, tmp_path("weights.gguf"), err, sizeof err), 0);
    weights_writer_free(ww);
    ck_assert_int_eq(checkpoint_open(&w, tmp_path("weights.gguf"), NET, &st, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "this is a 'mlp' weights file, not a training checkpoint"));

    /* A damaged checkpoint. */
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, -3, SEEK_END);
    fputc(0x77, f);
    fclose(f);
    ck_assert_int_eq(trainer_load(&other, HID, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "checksum mismatch: file is corrupted; regenerate it with: "
                                      "build/tests/test_model_checkpoint"));
    trainer_free(&other);
    trainer_free(&tr);
}
END_TEST

/* A checkpoint grown (sparsely, no disk used) past WEIGHTS_MAX_BYTES is refused before it is
 * mapped, with the limit in the message. */
START_TEST(test_checkpoint_size_limit)
{
    trainer_t tr;
    char err[WEIGHTS_ERR_LEN];
    trainer_init(&tr, HID, SEED);
    const char *path = tmp_path("big.ckpt");
    ck_assert_int_eq(trainer_save(&tr, path, err, sizeof err), 0);
    ck_assert_int_eq(truncate(path, (off_t)WEIGHTS_MAX_BYTES + 1), 0);
    weights_t w;
    checkpoint_state_t st;
    ck_assert_int_eq(checkpoint_open(&w, path, NET, &st, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "larger than 8 GiB, the weights size limit") != NULL, "%s", err);
    ck_assert_ptr_null(w.data);
    trainer_free(&tr);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_resume_bit_identical);
    tcase_add_test(tc, test_resume_needs_every_piece);
    tcase_add_test(tc, test_checkpoint_validation);
    tcase_add_test(tc, test_checkpoint_size_limit);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
