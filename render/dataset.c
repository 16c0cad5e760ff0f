/* dataset.c: building and reading the training shards described in dataset.h. */
#include "render/dataset.h"

#include "engine/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/game.h"
#include "engine/sgf.h"
#include "engine/util.h"
#include "render/sym.h"

#define HEADER_FIXED 352
#define SOURCE_BYTES 112
#define GAME_BYTES 24

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- little-endian fields ---- */

static void put_u16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get_u16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t get_u64(const uint8_t *b) { return (uint64_t)get_u32(b) | (uint64_t)get_u32(b + 4) << 32; }


/* SHA-256 and size of a source file, for the shard header. -1 on an I/O error (errno), -2
 * when it is larger than SGF_MAX_BYTES (sgf_read_file would refuse it; /dev/zero never ends). */
static int sha256_file(const char *path, uint8_t out[32], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    sha256_t s;
    sha256_init(&s);
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(&s, buf, n);
        if (s.nbytes > SGF_MAX_BYTES) {
            fclose(f);
            return -2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) return -1;
    *size = s.nbytes;
    sha256_final(&s, out);
    return 0;
}

/* ---- split ---- */

uint64_t dataset_fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

bool dataset_is_val(const char *name, uint32_t game_index, uint64_t seed, uint32_t val_modulus)
{
    uint64_t h = splitmix64(splitmix64(dataset_fnv1a64(name) ^ seed) ^ game_index);
    return val_modulus > 0 && h % val_modulus == 0;
}

static void split_rule_text(char *buf, size_t len, uint64_t seed, uint32_t mod)
{
    snprintf(buf, len,
             "validation iff splitmix64(splitmix64(fnv1a64(file base name) ^ seed) ^ game_index) %% %u == 0; "
             "game_index from 0 in file order, skipped games included; seed = 0x%llx",
             mod, (unsigned long long)seed);
}

bool dataset_path_forbidden(const char *path)
{
    char resolved[PATH_MAX];
    const char *p = realpath(path, resolved) ? resolved : path;
    const char *needle = "gobench9";
    size_t nl = strlen(needle);
    for (const char *s = p; (s = strstr(s, needle)) != NULL; s += nl) {
        bool start = s == p || s[-1] == '/';
        bool end = s[nl] == 0 || s[nl] == '/';
        if (start && end) return true;
    }
    return false;
}

/* ---- building ---- */

typedef struct {
    char **paths;
    int n, cap;
} path_list_t;

static void paths_add(path_list_t *l, const char *p)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->paths = xrealloc(l->paths, sizeof(char *) * (size_t)l->cap);
    }
    l->paths[l->n++] = sgf_strdup(p);
}

static void paths_free(path_list_t *l)
{
    for (int i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool has_sgf_ext(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcasecmp(name + n - 4, ".sgf");
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Expands files and directories (their *.sgf, sorted) into l. */
static int collect_sources(const dataset_build_opts_t *o, path_list_t *l, char *err, size_t errlen)
{
    for (int i = 0; i < o->n_sources; i++) {
        const char *src = o->sources[i];
        if (dataset_path_forbidden(src)) {
            set_err(err, errlen, "%s: refusing a gobench9 path: those positions are held out and never trained on", src);
            return -1;
        }
        struct stat st;
        if (stat(src, &st) < 0) {
            set_err(err, errlen, "%s: %s", src, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            paths_add(l, src);
            continue;
        }
        DIR *d = opendir(src);
        if (!d) {
            set_err(err, errlen, "%s: %s", src, strerror(errno));
            return -1;
        }
        int first = l->n;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!has_sgf_ext(e->d_name)) continue;
            size_t len = strlen(src) + strlen(e->d_name) + 2;
            char *full = xmalloc(len);
            snprintf(full, len, "%s/%s", src, e->d_name);
            paths_add(l, full);
            free(full);
        }
        closedir(d);
        if (l->n == first) {
            set_err(err, errlen, "%s: no .sgf files in this directory", src);
            return -1;
        }
        qsort(l->paths + first, (size_t)(l->n - first), sizeof(char *), cmp_str);
    }
    for (int i = 0; i < l->n; i++) {
        if (dataset_path_forbidden(l->paths[i])) {
            set_err(err, errlen, "%s: refusing a gobench9 path: those positions are held out and never trained on", l->paths[i]);
            return -1;
        }
        if (strlen(base_name(l->paths[i])) >= 64) {
            set_err(err, errlen, "%s: file base name longer than 63 bytes (shard headers store it)", l->paths[i]);
            return -1;
        }
    }
    if (l->n == 0) {
        set_err(err, errlen, "no source files given");
        return -1;
    }
    return 0;
}

typedef struct {
    FILE *f;
    char path[4096], tmp[4096 + 32];
    uint8_t *games;     /* game table being built, GAME_BYTES per game */
    size_t n_games, cap_games;
    uint64_t n_frames;
} shard_out_t;

static int mkdir_p(const char *dir)
{
    char buf[4096];
    if (strlen(dir) >= sizeof buf) return -1;
    strcpy(buf, dir);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(buf, 0777) < 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    if (mkdir(buf, 0777) < 0 && errno != EEXIST) return -1;
    return 0;
}

static size_t header_bytes_for(uint32_t n_sources)
{
    size_t n = HEADER_FIXED + (size_t)SOURCE_BYTES * n_sources;
    return (n + 63) / 64 * 64;
}

static void write_header(uint8_t *h, size_t hb, const dataset_build_opts_t *o, dataset_split_t split,
                         const dataset_source_t *src, uint32_t n_src, uint64_t n_games, uint64_t n_frames,
                         uint32_t n_skipped)
{
    uint32_t board_bytes = (uint32_t)((o->board_size * o->board_size + 3) / 4);
    memset(h, 0, hb);
    memcpy(h, DATASET_MAGIC, 8);
    put_u32(h + 8, DATASET_VERSION);
    put_u32(h + 12, (uint32_t)hb);
    put_u32(h + 16, (uint32_t)o->board_size);
    put_u32(h + 20, split);
    snprintf((char *)h + 24, 16, "%s", split == DATASET_SPLIT_TRAIN ? "train" : "validation");
    put_u32(h + 40, o->val_modulus);
    put_u32(h + 44, n_src);
    put_u64(h + 48, o->seed);
    put_u64(h + 56, n_games);
    put_u64(h + 64, n_frames);
    put_u64(h + 72, hb + n_frames * (board_bytes + 4));
    put_u32(h + 80, board_bytes);
    put_u32(h + 84, board_bytes + 4);
    put_u32(h + 88, n_skipped);
    split_rule_text((char *)h + 96, 256, o->seed, o->val_modulus);
    for (uint32_t i = 0; i < n_src; i++) {
        uint8_t *s = h + HEADER_FIXED + (size_t)SOURCE_BYTES * i;
        snprintf((char *)s, 64, "%s", src[i].name);
        put_u64(s + 64, src[i].size);
        memcpy(s + 72, src[i].sha256, 32);
        put_u32(s + 104, src[i].n_games);
    }
}

/* Appends one game's frames to out. Returns 0, or 1 if the game is skipped (reason in
 * why), with nothing written. */
static int write_game(shard_out_t *out, const sgf_game_t *s, int size, uint32_t source, uint32_t index,
                      char *why, size_t whylen)
{
    if (s->size != size) {
        snprintf(why, whylen, "board size %d, not %d", s->size, size);
        return 1;
    }
    game_t g;
    memset(&g, 0, sizeof g);
    int bad = -1;
    if (sgf_replay(s, 0, &g, &bad) != 0) {
        game_free(&g);
        snprintf(why, whylen, "setup cannot be replayed");
        return 1;
    }
    board_t b = g.board;
    stone_t start_to_move = g.to_move;
    game_free(&g);

    /* Check the whole game first so that a skipped game writes nothing. */
    board_t t = b;
    for (int m = 0; m < s->n_moves; m++) {
        move_result_t r = board_play(&t, s->moves[m].color, s->moves[m].point, NULL, NULL);
        if (r != MOVE_OK) {
            snprintf(why, whylen, "illegal move %d (result %d)", m + 1, (int)r);
            return 1;
        }
    }

    int npts = size * size, board_bytes = (npts + 3) / 4;
    uint8_t rec[BOARD_POINTS / 4 + 8];
    for (int m = 0; m <= s->n_moves; m++) {
        memset(rec, 0, (size_t)board_bytes);
        for (int p = 0; p < npts; p++) rec[p >> 2] |= (uint8_t)(b.stones[p] << (2 * (p & 3)));
        bool last = m == s->n_moves;
        stone_t to_move = !last ? s->moves[m].color
                          : s->n_moves > 0 ? stone_other(s->moves[s->n_moves - 1].color) : start_to_move;
        rec[board_bytes] = (uint8_t)to_move;
        rec[board_bytes + 1] = last ? 1 : 0;
        put_u16(rec + board_bytes + 2, (uint16_t)(int16_t)(last ? VERTEX_NONE : s->moves[m].point));
        fwrite(rec, 1, (size_t)board_bytes + 4, out->f);
        if (!last) board_play(&b, s->moves[m].color, s->moves[m].point, NULL, NULL);
    }

    if (out->n_games == out->cap_games) {
        out->cap_games = out->cap_games ? 2 * out->cap_games : 1024;
        out->games = xrealloc(out->games, out->cap_games * GAME_BYTES);
    }
    uint8_t *e = out->games + out->n_games * GAME_BYTES;
    memset(e, 0, GAME_BYTES);
    put_u64(e, out->n_frames);
    put_u32(e + 8, (uint32_t)s->n_moves + 1);
    put_u32(e + 12, source);
    put_u32(e + 16, index);
    out->n_games++;
    out->n_frames += (uint64_t)s->n_moves + 1;
    return 0;
}

int dataset_build(const dataset_build_opts_t *o, dataset_build_report_t *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    if (o->board_size < BOARD_MIN || o->board_size > BOARD_MAX) {
        set_err(err, errlen, "board size %d outside %d..%d", o->board_size, BOARD_MIN, BOARD_MAX);
        return -1;
    }
    if (o->val_modulus < 2) {
        set_err(err, errlen, "validation modulus %u: must be at least 2", o->val_modulus);
        return -1;
    }
    if (dataset_path_forbidden(o->out_dir)) {
        set_err(err, errlen, "%s: refusing to write into a gobench9 folder", o->out_dir);
        return -1;
    }
    path_list_t files = {0};
    dataset_source_t *src = NULL;
    shard_out_t out[2];
    memset(out, 0, sizeof out);
    uint8_t *hdr = NULL;
    int rc = -1;

    if (collect_sources(o, &files, err, errlen) < 0) goto done;
    src = xcalloc((size_t)files.n, sizeof *src);
    for (int i = 0; i < files.n; i++) {
        snprintf(src[i].name, sizeof src[i].name, "%s", base_name(files.paths[i]));
        int h = sha256_file(files.paths[i], src[i].sha256, &src[i].size);
        if (h == -2) {
            set_err(err, errlen, "%s: larger than %d MiB, the SGF size limit", files.paths[i], SGF_MAX_BYTES >> 20);
            goto done;
        }
        if (h < 0) {
            set_err(err, errlen, "%s: %s", files.paths[i], strerror(errno));
            goto done;
        }
    }

    char name[256];
    if (o->name) {
        snprintf(name, sizeof name, "%s", o->name);
    } else {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s", o->sources[0]);
        size_t n = strlen(tmp);
        while (n > 1 && tmp[n - 1] == '/') tmp[--n] = 0;
        snprintf(name, sizeof name, "%s", base_name(tmp));
        n = strlen(name);
        if (has_sgf_ext(name)) name[n - 4] = 0;
    }
    if (mkdir_p(o->out_dir) < 0) {
        set_err(err, errlen, "%s: cannot create the output directory: %s", o->out_dir, strerror(errno));
        goto done;
    }
    size_t hb = header_bytes_for((uint32_t)files.n);
    hdr = xcalloc(1, hb);
    for (int k = 0; k < 2; k++) {
        snprintf(out[k].path, sizeof out[k].path, "%s/%s-%s%s", o->out_dir, name, k ? "val" : "train", DATASET_EXT);
        /* built from the parts, not from out[k].path: gcc -O0 -Wrestrict misreads two fields of one struct as overlapping */
        snprintf(out[k].tmp, sizeof out[k].tmp, "%s/%s-%s%s.tmp%ld", o->out_dir, name, k ? "val" : "train", DATASET_EXT,
                 (long)getpid());
        out[k].f = fopen(out[k].tmp, "wb");
        if (!out[k].f) {
            set_err(err, errlen, "%s: %s", out[k].tmp, strerror(errno));
            goto done;
        }
        fwrite(hdr, 1, hb, out[k].f); /* placeholder, rewritten at the end */
    }

    double t0 = time_wall();
    for (int i = 0; i < files.n; i++) {
        sgf_collection_t col;
        sgf_error_t se;
        if (sgf_read_file(files.paths[i], &col, &se) < 0) {
            set_err(err, errlen, "%s: byte %zu: %s", files.paths[i], se.offset, se.message);
            goto done;
        }
        src[i].n_games = (uint32_t)col.n_games;
        uint64_t before[2] = {out[0].n_games, out[1].n_games};
        for (int gi = 0; gi < col.n_games; gi++) {
            int k = dataset_is_val(src[i].name, (uint32_t)gi, o->seed, o->val_modulus) ? 1 : 0;
            char why[128];
            if (write_game(&out[k], &col.games[gi], o->board_size, (uint32_t)i, (uint32_t)gi, why, sizeof why)) {
                rep->n_skipped++;
                if (o->progress) fprintf(stderr, "data: %s game %d skipped: %s\n", src[i].name, gi, why);
            }
        }
        sgf_collection_free(&col);
        if (o->progress)
            fprintf(stderr, "data: [%d/%d] %s: %u games (%llu train, %llu validation), %.1f s\n", i + 1, files.n,
                    src[i].name, src[i].n_games, (unsigned long long)(out[0].n_games - before[0]),
                    (unsigned long long)(out[1].n_games - before[1]), time_wall() - t0);
    }

    for (int k = 0; k < 2; k++) {
        if (out[k].n_games) fwrite(out[k].games, 1, out[k].n_games * GAME_BYTES, out[k].f); /* games is NULL when empty */
        write_header(hdr, hb, o, (dataset_split_t)k, src, (uint32_t)files.n, out[k].n_games, out[k].n_frames,
                     rep->n_skipped);
        if (fseek(out[k].f, 0, SEEK_SET) != 0 || fwrite(hdr, 1, hb, out[k].f) != hb || ferror(out[k].f)) {
            set_err(err, errlen, "%s: write failed: %s", out[k].tmp, strerror(errno));
            goto done;
        }
        long size = ftell(out[k].f);
        if (fseek(out[k].f, 0, SEEK_END) == 0) size = ftell(out[k].f);
        int cerr = fclose(out[k].f);
        out[k].f = NULL;
        if (cerr != 0) {
            set_err(err, errlen, "%s: write failed: %s", out[k].tmp, strerror(errno));
            goto done;
        }
        rep->bytes[k] = (uint64_t)size;
        rep->games[k] = out[k].n_games;
        rep->frames[k] = out[k].n_frames;
    }
    for (int k = 0; k < 2; k++) {
        if (rename(out[k].tmp, out[k].path) < 0) {
            set_err(err, errlen, "%s: rename failed: %s", out[k].path, strerror(errno));
            goto done;
        }
        out[k].tmp[0] = 0;
        snprintf(rep->path[k], sizeof rep->path[k], "%s", out[k].path);
    }
    rep->n_files = (uint32_t)files.n;
    rc = 0;
done:
    for (int k = 0; k < 2; k++) {
        if (out[k].f) fclose(out[k].f);
        if (rc != 0 && out[k].tmp[0]) unlink(out[k].tmp);
        free(out[k].games);
    }
    free(hdr);
    free(src);
    paths_free(&files);
    return rc;
}

/* ---- reading ---- */

struct dataset {
    const uint8_t *map;
    size_t map_len;
    bool mapped;         /* map is our mmap (else the caller's buffer) */
    dataset_info_t info;
    dataset_source_t *sources;
    uint32_t board_bytes, record_bytes, header_bytes;
    uint64_t games_offset;
};

const dataset_info_t *dataset_info(const dataset_t *ds) { return &ds->info; }

void dataset_close(dataset_t *ds)
{
    if (!ds) return;
    if (ds->mapped) munmap((void *)ds->map, ds->map_len);
    free(ds->sources);
    free(ds);
}

/* Validates the bytes of a shard (ds->map, ds->map_len) and fills ds. NULL with a message
 * naming `label` on failure (ds closed). */
static dataset_t *dataset_check(dataset_t *ds, const char *label, char *err, size_t errlen)
{
    const uint8_t *h = ds->map;
    dataset_info_t *in = &ds->info;
    const char *why = NULL;
    if (ds->map_len < HEADER_FIXED) {
        why = "not a videogo shard (too short)";
        goto bad;
    }
    if (memcmp(h, DATASET_MAGIC, 8) != 0) {
        why = "bad magic: not a videogo shard";
        goto bad;
    }
    in->version = get_u32(h + 8);
    if (in->version != DATASET_VERSION) {
        why = "unsupported shard version";
        goto bad;
    }
    ds->header_bytes = get_u32(h + 12);
    in->board_size = get_u32(h + 16);
    in->split = (dataset_split_t)get_u32(h + 20);
    memcpy(in->split_name, h + 24, 16);
    in->val_modulus = get_u32(h + 40);
    in->n_sources = get_u32(h + 44);
    in->seed = get_u64(h + 48);
    in->n_games = get_u64(h + 56);
    in->n_frames = get_u64(h + 64);
    ds->games_offset = get_u64(h + 72);
    ds->board_bytes = get_u32(h + 80);
    ds->record_bytes = get_u32(h + 84);
    in->n_skipped = get_u32(h + 88);
    memcpy(in->split_rule, h + 96, 256);
    if (in->board_size < BOARD_MIN || in->board_size > BOARD_MAX || (in->split != 0 && in->split != 1) ||
        ds->board_bytes != (in->board_size * in->board_size + 3) / 4 || ds->record_bytes != ds->board_bytes + 4) {
        why = "inconsistent header fields";
        goto bad;
    }
    if (in->n_sources > 1000000 || ds->header_bytes != header_bytes_for(in->n_sources) ||
        ds->header_bytes > ds->map_len) {
        why = "bad header size";
        goto bad;
    }
    if (in->n_frames > (ds->map_len - ds->header_bytes) / ds->record_bytes ||
        ds->games_offset != ds->header_bytes + in->n_frames * ds->record_bytes ||
        in->n_games > (ds->map_len - ds->games_offset) / GAME_BYTES ||
        ds->games_offset + in->n_games * GAME_BYTES != ds->map_len) {
        why = "file size does not match its header (truncated or corrupt)";
        goto bad;
    }
    ds->sources = xcalloc(in->n_sources ? in->n_sources : 1, sizeof *ds->sources);
    for (uint32_t i = 0; i < in->n_sources; i++) {
        const uint8_t *s = h + HEADER_FIXED + (size_t)SOURCE_BYTES * i;
        memcpy(ds->sources[i].name, s, 63);
        ds->sources[i].size = get_u64(s + 64);
        memcpy(ds->sources[i].sha256, s + 72, 32);
        ds->sources[i].n_games = get_u32(s + 104);
    }
    in->sources = ds->sources;
    /* The game table must tile the frames exactly. */
    uint64_t next = 0;
    for (uint64_t g = 0; g < in->n_games; g++) {
        const uint8_t *e = ds->map + ds->games_offset + g * GAME_BYTES;
        uint32_t n = get_u32(e + 8);
        if (get_u64(e) != next || n == 0 || get_u32(e + 12) >= in->n_sources) {
            why = "corrupt game table";
            goto bad;
        }
        next += n;
    }
    if (next != in->n_frames) {
        why = "game table does not cover the frames";
        goto bad;
    }
    return ds;
bad:
    set_err(err, errlen, "%s: %s; rebuild with `videogo data build`", label, why);
    dataset_close(ds);
    return NULL;
}

dataset_t *dataset_open(const char *path, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO with no writer must not wait; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        set_err(err, errlen, "%s: %s (build shards with `videogo data build`)", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        set_err(err, errlen, "%s: not a regular file (a device, pipe or folder): not a videogo shard", path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > DATASET_MAX_BYTES) {
        set_err(err, errlen, "%s: %llu bytes, larger than %llu GiB, the shard size limit (DATASET_MAX_BYTES)", path,
                (unsigned long long)st.st_size, DATASET_MAX_BYTES >> 30);
        close(fd);
        return NULL;
    }
    if (st.st_size < HEADER_FIXED) {
        set_err(err, errlen, "%s: not a videogo shard (too short); rebuild with `videogo data build`", path);
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        set_err(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return NULL;
    }
    dataset_t *ds = xcalloc(1, sizeof *ds);
    ds->map = m;
    ds->map_len = (size_t)st.st_size;
    ds->mapped = true;
    return dataset_check(ds, path, err, errlen);
}

dataset_t *dataset_open_buffer(const void *buf, size_t size, const char *label, char *err, size_t errlen)
{
    if ((uint64_t)size > DATASET_MAX_BYTES) {
        set_err(err, errlen, "%s: %zu bytes, larger than %llu GiB, the shard size limit (DATASET_MAX_BYTES)", label,
                size, DATASET_MAX_BYTES >> 30);
        return NULL;
    }
    dataset_t *ds = xcalloc(1, sizeof *ds);
    ds->map = buf;
    ds->map_len = size;
    return dataset_check(ds, label, err, errlen);
}

int dataset_game(const dataset_t *ds, uint64_t g, dataset_game_t *out)
{
    if (g >= ds->info.n_games) return -1;
    const uint8_t *e = ds->map + ds->games_offset + g * GAME_BYTES;
    out->first_frame = get_u64(e);
    out->n_frames = get_u32(e + 8);
    out->source = get_u32(e + 12);
    out->index_in_source = get_u32(e + 16);
    return 0;
}

int64_t dataset_game_of(const dataset_t *ds, uint64_t i)
{
    if (i >= ds->info.n_frames) return -1;
    uint64_t lo = 0, hi = ds->info.n_games; /* last game with first_frame <= i is in [lo, hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (get_u64(ds->map + ds->games_offset + mid * GAME_BYTES) <= i) lo = mid;
        else hi = mid;
    }
    return (int64_t)lo;
}

int dataset_frames_after(const dataset_t *ds, uint64_t i)
{
    int64_t g = dataset_game_of(ds, i);
    if (g < 0) return -1;
    dataset_game_t gm;
    dataset_game(ds, (uint64_t)g, &gm);
    return (int)(gm.first_frame + gm.n_frames - 1 - i);
}

static const uint8_t *record(const dataset_t *ds, uint64_t i)
{
    return ds->map + ds->header_bytes + i * ds->record_bytes;
}

int dataset_frame(const dataset_t *ds, uint64_t i, int sym, uint8_t *stones, stone_t *to_move)
{
    if (i >= ds->info.n_frames || sym < 0 || sym >= SYM_COUNT) return -1;
    int n = (int)ds->info.board_size;
    const uint8_t *r = record(ds, i);
    for (int p = 0; p < n * n; p++) {
        uint8_t v = (r[p >> 2] >> (2 * (p & 3))) & 3;
        if (v == 3) return -1;
        stones[sym ? sym_point(p, n, sym) : p] = v;
    }
    uint8_t tm = r[ds->board_bytes];
    if (tm != STONE_BLACK && tm != STONE_WHITE) return -1;
    if (to_move) *to_move = (stone_t)tm;
    return 0;
}

int dataset_frame_board(const dataset_t *ds, uint64_t i, int sym, board_t *b, stone_t *to_move)
{
    uint8_t stones[BOARD_POINTS];
    if (dataset_frame(ds, i, sym, stones, to_move) < 0) return -1;
    int n = (int)ds->info.board_size;
    board_init(b, n);
    for (int p = 0; p < n * n; p++)
        if (stones[p] != STONE_EMPTY) board_set(b, p, (stone_t)stones[p]);
    return 0;
}

int dataset_render_frame(const dataset_t *ds, const render_ctx_t *ctx, uint64_t i, int sym, uint8_t *rgb,
                         stone_t *to_move)
{
    uint8_t stones[BOARD_POINTS];
    if ((uint32_t)render_ctx_geom(ctx)->size != ds->info.board_size) return -1;
    if (dataset_frame(ds, i, sym, stones, to_move) < 0) return -1;
    render_ctx_stones(ctx, stones, rgb);
    return 0;
}

int dataset_label_move(const dataset_t *ds, uint64_t i, int sym)
{
    if (i >= ds->info.n_frames || sym < 0 || sym >= SYM_COUNT) return -100;
    const uint8_t *r = record(ds, i);
    int m = (int16_t)get_u16(r + ds->board_bytes + 2), n = (int)ds->info.board_size;
    if (m >= n * n || (m < 0 && m != VERTEX_PASS && m != VERTEX_NONE)) return -100; /* corrupt */
    return sym_point(m, n, sym);
}
