/* gtp_client.h: the controller side of GTP: start an engine as `/bin/sh -c CMD` with
 * pipes on its stdin/stdout, send commands and read answers with a timeout.
 *
 * The engine's stderr goes to a file descriptor the caller chooses (a log file or
 * /dev/null). Pipes are close-on-exec, so engines started by parallel games never
 * hold each other's pipes open; each engine gets SIGKILL when the thread that
 * started it dies (PR_SET_PDEATHSIG) and leads its own process group, so a kill
 * reaches the whole command line. SIGPIPE must be ignored by the program (a dead
 * engine then shows up as GTP_EOF, not as the death of the controller).
 *
 * Ownership: gtp_client_t is a value owned by the caller; gtp_client_stop releases
 * its process and descriptors. None of these functions exit.
 */
#ifndef VIDEOGO_EVAL_GTP_CLIENT_H
#define VIDEOGO_EVAL_GTP_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>

typedef enum {
    GTP_OK = 0,         /* "= ..." */
    GTP_FAILURE = 1,    /* "? ..." */
    GTP_EOF = -1,       /* the engine closed its stdout or died */
    GTP_TIMEOUT = -2,   /* no complete answer in time */
    GTP_PROTOCOL = -3,  /* an answer that starts with neither '=' nor '?' */
} gtp_status_t;

typedef struct {
    pid_t pid;
    int to_engine, from_engine;   /* pipe ends, -1 when closed */
    char buf[1 << 16];            /* bytes read but not yet consumed */
    int len;
} gtp_client_t;

/* Starts `command` via /bin/sh -c. stderr_fd: where its stderr goes (-1: inherit).
 * Returns 0, or -1 with a message (a command that does not exist still starts: the
 * shell exits 127 and the first command gets GTP_EOF). */
int gtp_client_start(gtp_client_t *c, const char *command, int stderr_fd, char *err, int errlen);

/* Sends one command line (printf-style, no newline) and waits at most timeout_s
 * seconds for the whole answer. The answer text (after "= " or "? ", without the
 * terminating blank line, lines joined by '\n', CRs dropped) goes into reply
 * (truncated to replylen - 1). */
gtp_status_t gtp_client_cmd(gtp_client_t *c, double timeout_s, char *reply, int replylen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sends quit, waits up to grace_s for the process to exit, then kills its process
 * group; reaps it and closes the pipes. Safe to call twice. */
void gtp_client_stop(gtp_client_t *c, double grace_s);

const char *gtp_status_text(gtp_status_t s);

#endif
