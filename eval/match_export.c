/* match_export.c: recorded games out of the database in the formats other tools read:
 * gogui-twogtp's .dat table (GTP.md 3.4), PGN for BayesElo / Ordo, and one SGF per
 * game. */
#include "eval/match.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/util.h"

static int sql_fail(db_t *db, char *err, int errlen)
{
    snprintf(err, (size_t)errlen, "database: %s", sqlite3_errmsg(db->h));
    return -1;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : "";
}

/* "B+3.5" <-> "W+3.5" for the alternated games of a .dat table; "0" and "?" stay. */
static void invert_result(const char *in, char *out, int outlen)
{
    snprintf(out, (size_t)outlen, "%s", in);
    if ((out[0] == 'B' || out[0] == 'W') && out[1] == '+') out[0] = out[0] == 'B' ? 'W' : 'B';
}

/* Tabs and newlines would break the table's columns. */
static void flatten(const char *in, char *out, int outlen)
{
    snprintf(out, (size_t)outlen, "%s", in);
    for (char *q = out; *q; q++)
        if (*q == '\t' || *q == '\n' || *q == '\r') *q = ' ';
}

int match_export_dat(db_t *db, int64_t match_id, FILE *out, char *err, int errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "SELECT black_cmd, white_cmd, size, komi, created FROM matches WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, errlen);
    sqlite3_bind_int64(st, 1, match_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        snprintf(err, (size_t)errlen, "no match with id %lld", (long long)match_id);
        return -1;
    }
    char cmd[2][1024], created[64];
    snprintf(cmd[0], sizeof cmd[0], "%s", col(st, 0));
    snprintf(cmd[1], sizeof cmd[1], "%s", col(st, 1));
    int size = sqlite3_column_int(st, 2);
    double komi = sqlite3_column_double(st, 3);
    snprintf(created, sizeof created, "%s", col(st, 4));
    sqlite3_finalize(st);

    /* Identities of program A (--black) and B from the first game that has them. */
    char name[2][256] = {"?", "?"}, version[2][256] = {"", ""}, label[2][512] = {"?", "?"};
    for (int k = 0; k < 2; k++) {
        if (sqlite3_prepare_v2(db->h,
                               "SELECT e.name, e.version, e.label FROM games g JOIN engines e ON e.id = "
                               "CASE WHEN (g.game_index % 2) = ?2 THEN g.black_id ELSE g.white_id END "
                               "WHERE g.match_id = ?1 ORDER BY g.game_index LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK)
            return sql_fail(db, err, errlen);
        sqlite3_bind_int64(st, 1, match_id);
        sqlite3_bind_int(st, 2, k);
        if (sqlite3_step(st) == SQLITE_ROW) {
            snprintf(name[k], sizeof name[k], "%s", col(st, 0));
            snprintf(version[k], sizeof version[k], "%s", col(st, 1));
            snprintf(label[k], sizeof label[k], "%s", col(st, 2));
        }
        sqlite3_finalize(st);
    }
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    /* Keys in alphabetical order, as gogui-twogtp's TreeMap writes them. */
    fprintf(out, "# Black: %s\n# BlackCommand: %s\n# BlackLabel: %s\n# BlackVersion: %s\n", name[0], cmd[0],
            label[0], version[0]);
    fprintf(out, "# Date: %s\n# Host: %s\n# Komi: %g\n# Referee: -\n# Size: %d\n", created, host, komi, size);
    fprintf(out, "# White: %s\n# WhiteCommand: %s\n# WhiteLabel: %s\n# WhiteVersion: %s\n# Xml: 0\n#\n", name[1],
            cmd[1], label[1], version[1]);
    fprintf(out, "#GAME\tRES_B\tRES_W\tRES_R\tALT\tDUP\tLEN\tTIME_B\tTIME_W\tCPU_B\tCPU_W\tERR\tERR_MSG\n");

    if (sqlite3_prepare_v2(db->h,
                           "SELECT game_index, res_black, res_white, result, moves, time_black_s, time_white_s, "
                           "error, move_list FROM games WHERE match_id = ?1 ORDER BY game_index",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, errlen);
    sqlite3_bind_int64(st, 1, match_id);
    char **seen = NULL;
    int *seen_index = NULL, n_seen = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int index = sqlite3_column_int(st, 0);
        int alt = index % 2;
        /* RES_B/RES_W: the answers of program A / B, from A's point of view. */
        const char *res_a = col(st, alt ? 2 : 1), *res_b = col(st, alt ? 1 : 2);
        char ra[64], rb[64], rr[64], msg[600];
        if (alt) {
            invert_result(res_a, ra, sizeof ra);
            invert_result(res_b, rb, sizeof rb);
            invert_result(col(st, 3), rr, sizeof rr);
        } else {
            snprintf(ra, sizeof ra, "%s", res_a);
            snprintf(rb, sizeof rb, "%s", res_b);
            snprintf(rr, sizeof rr, "%s", col(st, 3));
        }
        double ta = sqlite3_column_double(st, alt ? 6 : 5), tb = sqlite3_column_double(st, alt ? 5 : 6);
        const char *moves = col(st, 8);
        char dup[16] = "-";
        for (int i = 0; i < n_seen; i++)
            if (!strcmp(seen[i], moves)) {
                snprintf(dup, sizeof dup, "%d", seen_index[i]);
                break;
            }
        seen = xrealloc(seen, (size_t)(n_seen + 1) * sizeof *seen);
        seen_index = xrealloc(seen_index, (size_t)(n_seen + 1) * sizeof *seen_index);
        seen[n_seen] = strdup(moves);
        seen_index[n_seen++] = index;
        bool has_err = sqlite3_column_type(st, 7) != SQLITE_NULL;
        flatten(has_err ? col(st, 7) : "", msg, sizeof msg);
        fprintf(out, "%d\t%s\t%s\t%s\t%d\t%s\t%d\t%.1f\t%.1f\t0\t0\t%d\t%s\n", index, ra, rb, rr, alt, dup,
                sqlite3_column_int(st, 4), ta, tb, has_err, msg);
    }
    sqlite3_finalize(st);
    for (int i = 0; i < n_seen; i++) free(seen[i]);
    free(seen);
    free(seen_index);
    return rc == SQLITE_DONE ? 0 : sql_fail(db, err, errlen);
}

/* PGN tag values escape '\' and '"'. */
static void pgn_tag(FILE *out, const char *tag, const char *value)
{
    fprintf(out, "[%s \"", tag);
    for (const char *q = value; *q; q++) {
        if (*q == '"' || *q == '\\') fputc('\\', out);
        fputc(*q == '\n' ? ' ' : *q, out);
    }
    fprintf(out, "\"]\n");
}

int match_export_pgn(db_t *db, int64_t match_id, FILE *out, char *err, int errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT g.match_id, g.game_index, g.winner, g.finished, b.label, w.label, g.result, g.reason "
                           "FROM games g JOIN engines b ON b.id = g.black_id JOIN engines w ON w.id = g.white_id "
                           "WHERE ?1 = 0 OR g.match_id = ?1 ORDER BY g.match_id, g.game_index",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, errlen);
    sqlite3_bind_int64(st, 1, match_id);
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char event[64], date[16], round[16];
        snprintf(event, sizeof event, "videogo match %lld", (long long)sqlite3_column_int64(st, 0));
        const char *f = col(st, 3);
        snprintf(date, sizeof date, "%.4s.%.2s.%.2s", f, f + (strlen(f) >= 7 ? 5 : 0), f + (strlen(f) >= 10 ? 8 : 0));
        snprintf(round, sizeof round, "%d", sqlite3_column_int(st, 1) + 1);
        char w = col(st, 2)[0];
        /* [White]/[Black] are the Go colours: "1-0" means Go's White won. */
        const char *res = w == 'W' ? "1-0" : w == 'B' ? "0-1" : "1/2-1/2";
        pgn_tag(out, "Event", event);
        pgn_tag(out, "Site", host);
        pgn_tag(out, "Date", date);
        pgn_tag(out, "Round", round);
        pgn_tag(out, "White", col(st, 5));
        pgn_tag(out, "Black", col(st, 4));
        pgn_tag(out, "Result", res);
        pgn_tag(out, "GoResult", col(st, 6));
        pgn_tag(out, "Termination", col(st, 7));
        fprintf(out, "\n%s\n\n", res);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(db, err, errlen);
}

int match_export_sgf(db_t *db, int64_t match_id, const char *dir, char *err, int errlen)
{
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(err, (size_t)errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT match_id, game_index, sgf FROM games WHERE ?1 = 0 OR match_id = ?1 "
                           "ORDER BY match_id, game_index",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, errlen);
    sqlite3_bind_int64(st, 1, match_id);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char path[4096];
        snprintf(path, sizeof path, "%s/m%lld-%d.sgf", dir, (long long)sqlite3_column_int64(st, 0),
                 sqlite3_column_int(st, 1));
        FILE *f = fopen(path, "w");
        int bad = !f;
        if (f) {
            bad = fputs(col(st, 2), f) < 0;
            bad |= fclose(f) != 0;
        }
        if (bad) {
            snprintf(err, (size_t)errlen, "cannot write %s: %s", path, strerror(errno));
            sqlite3_finalize(st);
            return -1;
        }
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : sql_fail(db, err, errlen);
}
