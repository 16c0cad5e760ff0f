/* train_harness.c: the trainer tests' shared helpers (train_harness.h). */
#include "train_harness.h"

#include <check.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "model/weights.h"
#include "render/dataset.h"

void th_fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < size, "string too long");
}

void th_build_shard(char *dir)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *data = getenv("VIDEOGO_DATA");
    ck_assert_msg(data != NULL, "VIDEOGO_DATA unset (run through meson test)");
    char src[4096];
    th_fmt(src, sizeof src, "%s/katago9/train-000.sgf", data);
    const char *srcs[] = {src};
    dataset_build_opts_t o = {.sources = srcs, .n_sources = 1, .out_dir = dir, .name = "k", .board_size = 9,
                              .seed = DATASET_DEFAULT_SEED, .val_modulus = DATASET_DEFAULT_VAL_MODULUS};
    dataset_build_report_t rep;
    char err[1024];
    ck_assert_msg(dataset_build(&o, &rep, err, sizeof err) == 0, "%s", err);
}

int th_ckpt_diff(const char *a, const char *b, const char *arch)
{
    weights_t wa, wb;
    checkpoint_state_t sa, sb;
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(checkpoint_open(&wa, a, arch, &sa, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(checkpoint_open(&wb, b, arch, &sb, err, sizeof err) == 0, "%s", err);
    int diff = sa.step != sb.step || memcmp(&sa.rng, &sb.rng, sizeof sa.rng) != 0;
    ck_assert_uint_eq(wa.n_tensors, wb.n_tensors);
    for (uint64_t i = 0; i < wa.n_tensors; i++) {
        const weights_tensor_info_t *ta = &wa.tensors[i];
        const weights_tensor_info_t *tb = weights_find_tensor(&wb, ta->name);
        ck_assert_ptr_nonnull(tb);
        ck_assert_uint_eq(ta->nbytes, tb->nbytes);
        if (memcmp(wa.data + wa.data_start + ta->offset, wb.data + wb.data_start + tb->offset, ta->nbytes)) diff = 1;
    }
    weights_close(&wa);
    weights_close(&wb);
    return diff;
}

int th_train_log_rows(const char *db_path, const char *net, const char *split)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT COUNT(*) FROM training_log l JOIN training_runs r ON r.id = l.run_id "
                                        "WHERE r.net = ?1 AND l.split = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, net, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, split, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}
