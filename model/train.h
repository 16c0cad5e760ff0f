/* train.h: the per-network entry points of `videogo train NET` (model/train_cli.c holds the
 * table). Each trainer parses its own options (argv[0] is the network's name), reports
 * progress on stderr, logs to SQLite (eval/db.h training tables), checkpoints with
 * model/checkpoint.h and resumes bit-identically with --resume. Add your net's line here
 * and in the table of train_cli.c. */
#ifndef VIDEOGO_MODEL_TRAIN_H
#define VIDEOGO_MODEL_TRAIN_H

int cmd_train_tokenizer(int argc, char **argv); /* model/tokenizer_train.c */
int cmd_train_ldm(int argc, char **argv);       /* model/ldm_train.c */

#endif
