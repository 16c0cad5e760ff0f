/* train_harness.h: what the trainer tests (test_{tokenizer,ldm,ar}_train.c, test_idm.c) share:
 * a checked snprintf, the one-file katago9 shard they train on, and a byte-for-byte comparison of
 * two checkpoints (the "stop + resume is bit-identical" checks), and the rows a run logged in SQLite. Failures are Check assertions. */
#ifndef VIDEOGO_TESTS_TRAIN_HARNESS_H
#define VIDEOGO_TESTS_TRAIN_HARNESS_H

#include <stddef.h>

/* snprintf that fails the test instead of truncating */
void th_fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));

/* mkdtemp(dir) (dir ends in XXXXXX and is rewritten), then dir/k-train.vgs and dir/k-val.vgs
 * from $VIDEOGO_DATA/katago9/train-000.sgf (~1,000 games). */
void th_build_shard(char *dir);

/* 0 when checkpoints a and b (of the net `arch`) hold the same step, RNG and tensors, byte for
 * byte; 1 otherwise. */
int th_ckpt_diff(const char *a, const char *b, const char *arch);

/* Rows of training_log in SQLite database db_path for the runs of net `net` with split `split`
 * ("train" or "val"). */
int th_train_log_rows(const char *db_path, const char *net, const char *split);

#endif
