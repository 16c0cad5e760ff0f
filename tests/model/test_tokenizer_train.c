/* test_tokenizer_train.c: `videogo train tokenizer` end to end on a small shard built here
 * from one katago9 SGF file (tiny preset, one thread):
 *   - a run stopped at step K (--stop-at) and resumed (--resume alone: the schedule comes from
 *     the checkpoint) to N ends with a checkpoint
 *     whose parameters, AdamW moments, step and RNG are bit-identical to an uninterrupted
 *     run of N steps (and a run with another seed differs, so the comparison can fail), with
 *     dense random positions and the moving average (--ema, checkpointed as x.ema_weights);
 *   - the weights it writes load (tokenizer_build_from_file) and `--eval` reports on them;
 *   - the run and its log land in SQLite (training_runs / training_log).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/util.h"
#include "model/checkpoint.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "render/dataset.h"

#include "train_harness.h"

static char dir[] = "/tmp/videogo-test-toktrain-XXXXXX";
static char cmd_base[8192];
/* the run's schedule; --resume must find it in the checkpoint */
#define SCHED "--preset tiny --steps 24 --warmup 4 --batch 8 --random-frac 0.3 --dense-frac 0.3 --ema 0.9 "

static void setup_shard(void)
{
    th_build_shard(dir);
    const char *bin = getenv("VIDEOGO_BIN");
    ck_assert_ptr_nonnull(bin);
    snprintf(cmd_base, sizeof cmd_base,
             "OPENBLAS_NUM_THREADS=1 '%s' train tokenizer --train %s/k-train.vgs --val %s/k-val.vgs "
             "--eval-every 1000 --eval-frames 32 --threads 1 --log-every 8",
             bin, dir, dir);
}

static void run(const char *extra)
{
    char cmd[16384];
    int n = snprintf(cmd, sizeof cmd, "%s %s 2>>%s/log.txt", cmd_base, extra, dir);
    ck_assert_msg(n > 0 && (size_t)n < sizeof cmd, "command line too long");
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

static int ckpt_diff(const char *a, const char *b) { return th_ckpt_diff(a, b, "tokenizer"); }

START_TEST(test_resume_bit_identical)
{
    setup_shard();
    char extra[8192];
    snprintf(extra, sizeof extra, SCHED "--no-db --out %s/a.gguf --ckpt %s/a.ckpt", dir, dir);
    run(extra);
    snprintf(extra, sizeof extra, SCHED "--no-db --out %s/b.gguf --ckpt %s/b.ckpt --stop-at 10", dir, dir);
    run(extra);
    snprintf(extra, sizeof extra, "%s/a.ckpt", dir);
    char b[4200], c[4200];
    snprintf(b, sizeof b, "%s/b.ckpt", dir);
    ck_assert_int_ne(ckpt_diff(extra, b), 0); /* stopped at 10: not yet the same */
    snprintf(extra, sizeof extra, "--resume --db %s/t.db --out %s/b.gguf --ckpt %s/b.ckpt", dir, dir, dir);
    run(extra);
    snprintf(extra, sizeof extra, "%s/a.ckpt", dir);
    ck_assert_msg(ckpt_diff(extra, b) == 0, "resumed run differs from the uninterrupted one");
    weights_t w;
    checkpoint_state_t cs;
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(checkpoint_open(&w, extra, "tokenizer", &cs, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_nonnull(weights_find_tensor(&w, "x.ema_weights"));
    weights_close(&w);
    /* another seed gives another run: the comparison can fail */
    snprintf(extra, sizeof extra, SCHED "--no-db --seed 2 --out %s/c.gguf --ckpt %s/c.ckpt", dir, dir);
    run(extra);
    snprintf(extra, sizeof extra, "%s/a.ckpt", dir);
    snprintf(c, sizeof c, "%s/c.ckpt", dir);
    ck_assert_int_ne(ckpt_diff(extra, c), 0);

    /* the weights load; --eval runs on them (exit 1 = not every frame exact, fine here) */
    snprintf(extra, sizeof extra, "%s/b.gguf", dir);
    tokenizer_t *t = tokenizer_build_from_file(extra, backend_cpu(), 4);
    ck_assert_int_eq(t->T, 16);
    tokenizer_free(t);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' train tokenizer --eval %s/b.gguf --val %s/k-val.vgs --eval-frames 16 >%s/eval.txt 2>&1",
             getenv("VIDEOGO_BIN"), dir, dir, dir);
    int rc = system(cmd);
    ck_assert(WIFEXITED(rc) && (WEXITSTATUS(rc) == 0 || WEXITSTATUS(rc) == 1));

    /* SQLite: the resumed run logged train lines and an evaluation */
    snprintf(extra, sizeof extra, "%s/t.db", dir);
    ck_assert_int_ge(th_train_log_rows(extra, "tokenizer", "train"), 1);
    ck_assert_int_ge(th_train_log_rows(extra, "tokenizer", "val"), 1);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tokenizer-train");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_resume_bit_identical);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
