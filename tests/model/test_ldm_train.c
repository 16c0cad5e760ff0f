/* test_ldm_train.c: `videogo train ldm` end to end on a small shard built here from one katago9
 * file: a run stopped at step 10 and resumed is bit-identical to an uninterrupted one (another
 * seed is not, so the comparison can fail); --horizon 1 and 3 train with the same command; the
 * weights load; --eval runs and prints its three measurements; the run is logged in SQLite. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernels/backend.h"
#include "model/checkpoint.h"
#include "model/ldm.h"
#include "model/weights.h"
#include "render/dataset.h"

#include "train_harness.h"

static char dir[] = "/tmp/vgo-ldmt-XXXXXX";
static char cmd_base[8192];
#define SCHED "--preset tiny --steps 24 --warmup 4 --batch 8 "

static void setup_shard(void)
{
    th_build_shard(dir);
    const char *bin = getenv("VIDEOGO_BIN");
    ck_assert_ptr_nonnull(bin);
    th_fmt(cmd_base, sizeof cmd_base,
        "OPENBLAS_NUM_THREADS=1 '%s' train ldm --train %s/k-train.vgs --val %s/k-val.vgs "
        "--eval-every 1000 --eval-windows 16 --threads 1 --log-every 8",
        bin, dir, dir);
}

static void run(const char *extra)
{
    char cmd[16384];
    th_fmt(cmd, sizeof cmd, "%s %s 2>>%s/log.txt", cmd_base, extra, dir);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

static int ckpt_diff(const char *a, const char *b) { return th_ckpt_diff(a, b, "ldm"); }

START_TEST(test_resume_bit_identical)
{
    setup_shard();
    char extra[8192], a[4200], b[4200], c[4200];
    th_fmt(a, sizeof a, "%s/a.ckpt", dir);
    th_fmt(b, sizeof b, "%s/b.ckpt", dir);
    th_fmt(c, sizeof c, "%s/c.ckpt", dir);
    th_fmt(extra, sizeof extra, SCHED "--no-db --out %s/a.gguf --ckpt %s", dir, a);
    run(extra);
    th_fmt(extra, sizeof extra, SCHED "--no-db --out %s/b.gguf --ckpt %s --stop-at 10", dir, b);
    run(extra);
    ck_assert_int_ne(ckpt_diff(a, b), 0); /* stopped at 10: not yet the same */
    th_fmt(extra, sizeof extra, "--resume --db %s/t.db --out %s/b.gguf --ckpt %s", dir, dir, b);
    run(extra);
    ck_assert_msg(ckpt_diff(a, b) == 0, "resumed run differs from the uninterrupted one");
    th_fmt(extra, sizeof extra, SCHED "--no-db --seed 2 --out %s/c.gguf --ckpt %s", dir, c);
    run(extra);
    ck_assert_int_ne(ckpt_diff(a, c), 0);

    /* H = 1 and 3 with the same command */
    for (int h = 1; h <= 3; h += 2) {
        th_fmt(extra, sizeof extra, SCHED "--no-db --horizon %d --out %s/h%d.gguf --ckpt %s/h%d.ckpt", h, dir, h, dir, h);
        run(extra);
        th_fmt(extra, sizeof extra, "%s/h%d.gguf", dir, h);
        ldm_t *l = ldm_build_from_file(extra, backend_cpu(), 2);
        ck_assert_int_eq(l->cfg.horizon, h);
        ldm_free(l);
    }

    /* the weights load; --eval prints the reconstruction, code usage and probe lines */
    th_fmt(extra, sizeof extra, "%s/b.gguf", dir);
    ldm_t *l = ldm_build_from_file(extra, backend_cpu(), 4);
    ck_assert_int_eq(l->cfg.horizon, 5);
    ldm_free(l);
    char cmd[16384];
    th_fmt(cmd, sizeof cmd,
        "'%s' train ldm --eval %s/b.gguf --val %s/k-val.vgs --train %s/k-train.vgs --eval-windows 16 >%s/eval.txt "
        "2>&1",
        getenv("VIDEOGO_BIN"), dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    th_fmt(extra, sizeof extra, "%s/eval.txt", dir);
    FILE *f = fopen(extra, "r");
    ck_assert_ptr_nonnull(f);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    ck_assert_msg(strstr(text, "board-exact") && strstr(text, "codes used per query") && strstr(text, "move probe"),
                  "eval output: %s", text);

    /* SQLite: the resumed run logged train lines and an evaluation */
    th_fmt(extra, sizeof extra, "%s/t.db", dir);
    ck_assert_int_ge(th_train_log_rows(extra, "ldm", "train"), 1);
    ck_assert_int_ge(th_train_log_rows(extra, "ldm", "val"), 1);

    th_fmt(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ldm-train");
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
