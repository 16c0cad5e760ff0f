/* gtp_client.c: fork/exec of a GTP engine with pipes, commands with timeouts
 * (poll on the engine's stdout), and a clean stop. See gtp_client.h. */
#include "eval/gtp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/util.h"

extern char **environ;

const char *gtp_status_text(gtp_status_t s)
{
    switch (s) {
    case GTP_OK: return "ok";
    case GTP_FAILURE: return "failure";
    case GTP_EOF: return "engine exited";
    case GTP_TIMEOUT: return "timeout";
    case GTP_PROTOCOL: return "protocol error";
    }
    return "?";
}

/* A command made only of words can be exec'd by the shell in place (so the engine is
 * our direct child and PR_SET_PDEATHSIG reaches it); anything with shell syntax
 * keeps the shell in between (the process-group kill still reaches it). */
static bool simple_command(const char *s)
{
    return !strpbrk(s, ";&|()`<>\n$");
}

int gtp_client_start(gtp_client_t *c, const char *command, int stderr_fd, char *err, int errlen)
{
    memset(c, 0, sizeof *c);
    c->to_engine = c->from_engine = -1;
    c->pid = -1;
    size_t n = strlen(command) + 8;
    char *line = xmalloc(n);
    snprintf(line, n, "%s%s", simple_command(command) ? "exec " : "", command);

    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC)) goto fail_errno;
    if (pipe2(out, O_CLOEXEC)) {
        close(in[0]);
        close(in[1]);
        goto fail_errno;
    }
    /* Everything the child needs is built before fork: after it, only
     * async-signal-safe calls (execve, not execl). */
    char *argv[] = {"sh", "-c", line, NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        goto fail_errno;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only (the parent may have threads). */
        dup2(in[0], 0);
        dup2(out[1], 1);
        if (stderr_fd >= 0) dup2(stderr_fd, 2);
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126); /* the parent died before prctl */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve("/bin/sh", argv, environ);
        _exit(127);
    }
    free(line);
    close(in[0]);
    close(out[1]);
    c->pid = pid;
    c->to_engine = in[1];
    c->from_engine = out[0];
    return 0;
fail_errno:
    snprintf(err, (size_t)errlen, "cannot start '%s': %s", command, strerror(errno));
    free(line);
    return -1;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = write(fd, s, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Drops CRs in buf[from..len) in place (GTP allows CRLF). */
static void drop_cr(gtp_client_t *c, int from)
{
    int w = from;
    for (int r = from; r < c->len; r++)
        if (c->buf[r] != '\r') c->buf[w++] = c->buf[r];
    c->len = w;
}

gtp_status_t gtp_client_cmd(gtp_client_t *c, double timeout_s, char *reply, int replylen, const char *fmt, ...)
{
    if (replylen > 0) reply[0] = 0;
    if (c->to_engine < 0 || c->from_engine < 0) return GTP_EOF;
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof cmd - 1) return GTP_PROTOCOL;
    cmd[n++] = '\n';
    /* Answers to earlier commands that timed out may still arrive: discard them. */
    c->len = 0;
    if (write_all(c->to_engine, cmd, (size_t)n)) return GTP_EOF;

    double deadline = time_wall() + timeout_s;
    int scanned = 0;
    for (;;) {
        /* Skip blank lines before the answer; find the first "\n\n" after it. */
        int start = 0;
        while (start < c->len && c->buf[start] == '\n') start++;
        char *end = NULL;
        if (start < c->len) {
            int from = scanned > start ? scanned - 1 : start;
            if (from < start) from = start;
            end = memmem(c->buf + from, (size_t)(c->len - from), "\n\n", 2);
        }
        if (end) {
            char first = c->buf[start];
            if (first != '=' && first != '?') return GTP_PROTOCOL;
            /* Skip "=" / "?", an optional id, one space. */
            int p = start + 1;
            while (c->buf + p < end && c->buf[p] >= '0' && c->buf[p] <= '9') p++;
            if (c->buf + p < end && (c->buf[p] == ' ' || c->buf[p] == '\t')) p++;
            int len = (int)(end - (c->buf + p));
            if (len > replylen - 1) len = replylen - 1;
            if (len > 0) memcpy(reply, c->buf + p, (size_t)len);
            if (replylen > 0) reply[len > 0 ? len : 0] = 0;
            int used = (int)(end - c->buf) + 2;
            memmove(c->buf, c->buf + used, (size_t)(c->len - used));
            c->len -= used;
            return first == '=' ? GTP_OK : GTP_FAILURE;
        }
        scanned = c->len;
        if (c->len >= (int)sizeof c->buf - 1) return GTP_PROTOCOL; /* answer longer than 64 KiB */
        double left = deadline - time_wall();
        if (left <= 0) return GTP_TIMEOUT;
        struct pollfd pfd = {.fd = c->from_engine, .events = POLLIN};
        int ms = left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
        int r = poll(&pfd, 1, ms);
        if (r < 0) {
            if (errno == EINTR) continue;
            return GTP_EOF;
        }
        if (r == 0) continue;
        ssize_t k = read(c->from_engine, c->buf + c->len, sizeof c->buf - 1 - (size_t)c->len);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return GTP_EOF;
        }
        if (k == 0) return GTP_EOF;
        int old = c->len;
        c->len += (int)k;
        drop_cr(c, old);
    }
}

void gtp_client_stop(gtp_client_t *c, double grace_s)
{
    if (c->to_engine >= 0) {
        (void)!write(c->to_engine, "quit\n", 5);
        close(c->to_engine);
        c->to_engine = -1;
    }
    if (c->pid > 0) {
        /* Wait without reaping (WNOWAIT): while the leader is a zombie its pid, and so
         * its process group id, cannot be reused, so the group kill below can only
         * reach this engine's processes. */
        double deadline = time_wall() + grace_s;
        siginfo_t info;
        for (;;) {
            memset(&info, 0, sizeof info);
            if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c->pid) break;
            if (time_wall() >= deadline) break;
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        kill(-c->pid, SIGKILL);
        kill(c->pid, SIGKILL);
        int status;
        while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {}
        c->pid = -1;
    }
    if (c->from_engine >= 0) {
        close(c->from_engine);
        c->from_engine = -1;
    }
}
