/* test_gtp_regress.c: runs every GTP regression script in tests/data/gtp (*.tst, GNU Go
 * format, see gtp/gtp_regress.c) against a fresh engine each, and checks that the
 * runner itself catches mismatches (so a broken runner cannot pass everything).
 */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/player.h"
#include "gtp/gtp.h"

static gtp_t *mk(void)
{
    gtp_config_t cfg;
    gtp_config_default(&cfg);
    gtp_t *ctx = gtp_new(&cfg, player_random_new(0));
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

START_TEST(test_all_scripts)
{
    const char *src = getenv("VIDEOGO_SRC");
    ck_assert_msg(src != NULL, "VIDEOGO_SRC not set (run through meson test)");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/data/gtp", src);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".tst")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    ck_assert_int_ge(n, 6);
    int total = 0, bad_files = 0;
    for (int i = 0; i < n; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        gtp_t *ctx = mk();
        gtp_regress_result_t r;
        int rc = gtp_regress_file(ctx, path, stdout, &r);
        gtp_free(ctx);
        ck_assert_msg(r.tests > 0, "%s has no tests", names[i]);
        total += r.tests;
        bad_files += rc != 0;
        free(names[i]);
    }
    printf("%d regression tests in %d files\n", total, n);
    ck_assert_int_eq(bad_files, 0);
}
END_TEST

/* Writes text to a temporary .tst file, runs it, returns the counts. */
static int run_text(const char *text, gtp_regress_result_t *r)
{
    char path[] = "/tmp/videogo-regress-XXXXXX.tst";
    int fd = mkstemps(path, 4);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    gtp_t *ctx = mk();
    FILE *devnull = fopen("/dev/null", "w");
    int rc = gtp_regress_file(ctx, path, devnull, r);
    fclose(devnull);
    gtp_free(ctx);
    unlink(path);
    return rc;
}

START_TEST(test_runner_catches_failures)
{
    gtp_regress_result_t r;
    /* everything right: alternatives, negation, regex, expected error, expected failure */
    ck_assert_int_eq(run_text("1 name\n#? [videogo]\n"
                              "2 protocol_version\n#? [1|2|3]\n"
                              "3 protocol_version\n#? [!1]\n"
                              "4 list_commands\n#? [protocol_version\n.*quit.*]\n"
                              "5 undo\n#? ?[cannot undo]\n"
                              "6 name\n#? [wrong]*\n",
                              &r),
                     0);
    ck_assert_int_eq(r.tests, 6);
    ck_assert_int_eq(r.passed, 5);
    ck_assert_int_eq(r.expected_failures, 1);
    /* each kind of mismatch fails the run */
    static const char *bad[] = {
        "1 name\n#? [gnugo]\n",                 /* wrong answer */
        "1 name\n#? [video]\n",                 /* the match is anchored */
        "1 protocol_version\n#? [!2]\n",        /* negation */
        "1 undo\n#? []\n",                      /* an error response is a failure */
        "1 name\n#? ?[.*]\n",                   /* expected an error */
        "1 undo\n#? ?[illegal move]\n",         /* wrong error message */
        "boardsize 99\n1 name\n#? [videogo]\n", /* a failed setup command */
        "name\n#? [videogo]\n",                 /* `#?` after a setup command */
        "1 name\n#? [(]\n",                     /* a pattern that does not compile */
        "1 name\n#? videogo\n",                 /* no brackets */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(run_text(bad[i], &r) != 0, "runner accepted: %s", bad[i]);
    /* an unexpected pass is reported but is not a failure */
    ck_assert_int_eq(run_text("1 name\n#? [videogo]*\n", &r), 0);
    ck_assert_int_eq(r.unexpected_passes, 1);
    /* quit ends the script */
    ck_assert_int_eq(run_text("1 quit\n#? []\n2 name\n#? [x]\n", &r), 0);
    ck_assert_int_eq(r.tests, 1);
}
END_TEST

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);  /* the report reaches meson's log from the forked test */
    Suite *s = suite_create("gtp-regress");
    TCase *tc = tcase_create("regress");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_all_scripts);
    tcase_add_test(tc, test_runner_catches_failures);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
