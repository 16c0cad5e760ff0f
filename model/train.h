/* train.h: the per-network entry points of `videogo train NET` (model/train_cli.c holds the
 * table). Each trainer parses its own options (argv[0] is the network's name), reports
 * progress on stderr, logs to SQLite (eval/db.h training tables), checkpoints with
 * model/checkpoint.h and resumes bit-identically with --resume. Add your net's line here
 * and in the table of train_cli.c. */
#ifndef VIDEOGO_MODEL_TRAIN_H
#define VIDEOGO_MODEL_TRAIN_H

int cmd_train_tokenizer(int argc, char **argv); /* model/tokenizer_train.c */
int cmd_train_ldm(int argc, char **argv);       /* model/ldm_train.c */
int cmd_train_idm(int argc, char **argv);       /* model/idm_train.c */
int cmd_train_ar(int argc, char **argv);        /* model/ar_train.c */

/* Helpers every trainer's option parsing and bookkeeping uses (model/train_cli.c). They die
 * with a clear message on bad input: trainers are programs, not GTP paths. */
void train_mkdir_parent(const char *path);                          /* mkdir -p of path's folder */
int train_parse_int(const char *s, const char *opt, long lo, long hi); /* integer in lo..hi */
double train_parse_double(const char *s, const char *opt);          /* finite number */
/* The videogo.sha256 key of a weights file into hex (65 bytes); "" if it cannot be read. */
void train_weights_sha256(const char *path, char hex[65]);

#endif
