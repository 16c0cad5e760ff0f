/* gtp_regress.c: runs GNU Go style GTP regression files (.tst) against a gtp_t.
 *
 * Format (the .tst files of GNU Go's regression folder, gogui-regress), line by line:
 *   - `10 reg_genmove black`  a numbered command is a test; its number is the GTP id.
 *   - `loadsgf games/x.sgf 5` an unnumbered command is setup; if it fails, that is
 *                             counted as an error (stricter than GNU Go).
 *   - `#? [PATTERN]`          the expectation for the numbered command just before it.
 *   - `#? [PATTERN]*`         an expected failure: not matching is fine, matching is
 *                             reported as an unexpected pass.
 *   - other `#` lines and empty lines are ignored; after `quit` nothing more runs.
 * A pattern may span lines (for multi-line responses): when the `#?` line does not end
 * in `]` or `]*`, the following lines are joined to it with newlines up to one that does.
 * PATTERN is a POSIX extended regular expression matched against the WHOLE response
 * text (anchored, `.` also matches newlines, case sensitive), as gogui-regress does
 * with Java regexes: `D4|E5` alternatives, `.*` wildcards, `W\+7` escapes. A leading
 * `!` negates it (`[!pass]`).
 * A `?` error response is a failure, unless the expectation is written `#? ?[PATTERN]`
 * (our extension): then the command must FAIL with a message matching PATTERN.
 * Loadsgf paths are relative to the .tst file's directory.
 */
#include "gtp/gtp.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int id;           /* test number; -1 when the last command was setup */
    int line;         /* line of the command in the file */
    bool success;     /* `=` response */
    char *text;       /* response text (malloc'd) */
    char *command;    /* the command line (malloc'd) */
    bool judged;      /* a `#?` line was already applied */
} last_t;

/* Splits a captured response `=12 text\n\n` (or a streamed `=12\n...`) into success and
 * text (malloc'd, trailing newlines removed). Returns false if it is not a response. */
static bool split_response(const char *r, size_t len, bool *success, char **text)
{
    if (len == 0 || (r[0] != '=' && r[0] != '?')) return false;
    *success = r[0] == '=';
    size_t i = 1;
    while (i < len && r[i] >= '0' && r[i] <= '9') i++;
    if (i < len && r[i] == ' ') i++;
    size_t end = len;
    while (end > i && r[end - 1] == '\n') end--;
    *text = strndup(r + i, end - i);
    return *text != NULL;
}

/* Runs one command line; fills *last. Returns false on a write error. */
static bool run_command(gtp_t *ctx, const char *line, last_t *last)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) return false;
    int rc = gtp_execute(ctx, line, out);
    fclose(out);
    free(last->text);
    last->text = NULL;
    bool okay = rc >= 0 && split_response(buf, len, &last->success, &last->text);
    free(buf);
    return okay;
}

/* Applies one `#?` line. Returns 1 pass, 0 fail, -1 bad expectation line. */
static int judge(const char *spec, const last_t *last, bool *expected_fail, char *why, size_t whylen)
{
    const char *s = spec + 2;
    while (*s == ' ') s++;
    bool want_error = false;
    if (*s == '?') {
        want_error = true;
        s++;
    }
    const char *close = strrchr(s, ']');
    if (*s != '[' || !close) {
        snprintf(why, whylen, "bad expectation line (want `#? [PATTERN]`)");
        return -1;
    }
    *expected_fail = close[1] == '*';
    s++;
    bool negate = false;
    if (*s == '!') {
        negate = true;
        s++;
    }
    size_t plen = (size_t)(close - s);
    char *pat = malloc(plen + 5);
    if (!pat) return -1;
    snprintf(pat, plen + 5, "^(%.*s)$", (int)plen, s);
    regex_t re;
    int rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB);
    free(pat);
    if (rc != 0) {
        snprintf(why, whylen, "pattern does not compile");
        return -1;
    }
    bool match = regexec(&re, last->text ? last->text : "", 0, NULL, 0) == 0;
    regfree(&re);
    if (want_error != !last->success) {
        snprintf(why, whylen, "%s", want_error ? "expected the command to fail" : "the command failed");
        return 0;
    }
    if (match == negate) {
        snprintf(why, whylen, "response %s the pattern", negate ? "matches" : "does not match");
        return 0;
    }
    return 1;
}

/* True when an expectation line ends its pattern: `]` or `]*` at the end. */
static bool pattern_complete(const char *spec)
{
    size_t n = strlen(spec);
    while (n > 0 && (spec[n - 1] == ' ' || spec[n - 1] == '\t')) n--;
    if (n > 0 && spec[n - 1] == '*') n--;
    return n > 0 && spec[n - 1] == ']';
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

int gtp_regress_file(gtp_t *ctx, const char *path, FILE *report, gtp_regress_result_t *res)
{
    *res = (gtp_regress_result_t){0};
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(report, "%s: cannot open\n", path);
        res->errors++;
        return 1;
    }
    char *dir = dir_of(path);
    if (!dir || gtp_set_base_dir(ctx, dir) != 0) res->errors++;
    free(dir);

    last_t last = {.id = -1};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    bool quit = false;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        const char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!strncmp(s, "#?", 2)) {
            /* join continuation lines of a multi-line pattern */
            char *spec = strdup(s);
            while (spec && !pattern_complete(spec) && (n = getline(&line, &cap, f)) >= 0) {
                lineno++;
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
                size_t a = strlen(spec);
                char *j = realloc(spec, a + (size_t)n + 2);
                if (!j) break;
                spec = j;
                spec[a] = '\n';
                memcpy(spec + a + 1, line, (size_t)n + 1);
            }
            if (!spec) {
                res->errors++;
                continue;
            }
            s = spec;
            char why[128] = "";
            bool xfail = false;
            int v = -1;
            if (last.id < 0 || last.judged) {
                snprintf(why, sizeof why, "`#?` without a numbered command before it");
            } else {
                last.judged = true;
                v = judge(s, &last, &xfail, why, sizeof why);
            }
            if (v < 0) {
                fprintf(report, "%s:%d: %s\n", path, lineno, why);
                res->errors++;
                free(spec);
                continue;
            }
            res->tests++;
            if (v == 1 && !xfail) {
                res->passed++;
            } else if (v == 1) {
                res->unexpected_passes++;
                fprintf(report, "%s:%d: test %d unexpected pass: %s -> %s\n", path, last.line, last.id,
                        last.command, last.text);
            } else if (xfail) {
                res->expected_failures++;
            } else {
                res->failed++;
                fprintf(report, "%s:%d: test %d FAILED: %s\n    expected %s\n    got      %c %s\n    (%s)\n",
                        path, last.line, last.id, last.command, s + 2, last.success ? '=' : '?',
                        last.text ? last.text : "", why);
            }
            free(spec);
            continue;
        }
        if (*s == '\0' || *s == '#') continue;
        if (quit) break;  /* the engine has quit: the rest of the file is not run */

        int id = -1;
        if (*s >= '0' && *s <= '9') id = atoi(s);
        free(last.command);
        last.command = strdup(s);
        last.id = id;
        last.line = lineno;
        last.judged = false;
        quit = !strncmp(s + strspn(s, "0123456789 "), "quit", 4);
        if (!run_command(ctx, s, &last)) {
            fprintf(report, "%s:%d: no response to `%s`\n", path, lineno, s);
            res->errors++;
            last.id = -1;
            continue;
        }
        if (id < 0 && !last.success) {
            fprintf(report, "%s:%d: setup command `%s` failed: ? %s\n", path, lineno, s, last.text);
            res->errors++;
        }
    }
    free(line);
    free(last.text);
    free(last.command);
    fclose(f);
    gtp_set_base_dir(ctx, NULL);
    fprintf(report, "%s: %d tests, %d passed, %d FAILED, %d expected failures, %d unexpected passes, %d errors\n",
            path, res->tests, res->passed, res->failed, res->expected_failures, res->unexpected_passes,
            res->errors);
    return res->failed || res->errors ? 1 : 0;
}
