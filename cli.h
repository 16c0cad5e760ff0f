/* cli.h: the subcommands of the `videogo` program. Each folder implements its own
 * `cmd_*` entry point (argc/argv start at the subcommand name) and returns the exit
 * status; main.c only dispatches. */
#ifndef VIDEOGO_CLI_H
#define VIDEOGO_CLI_H

int cmd_gtp(int argc, char **argv);      /* gtp/gtp_cli.c */
int cmd_sgf(int argc, char **argv);      /* gtp/gtp_cli.c: sgf check FILE... */

#endif
