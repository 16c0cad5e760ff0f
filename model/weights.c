/* weights.c: the GGUF v3 weights container of weights.h: writer, mmap reader, validation.
 *
 * The reader treats the file as hostile: every length is checked against the bytes that are
 * left before it is used, every count is bounded by the file size before anything is
 * allocated, and all multi-byte reads go through memcpy (the file is not trusted to be
 * aligned). The checksum pass comes last, after the structure has been validated, so that the
 * fuzz test in tests/model exercises the whole parser and not only the hash.
 *
 * Deliberately not supported: big-endian files and hosts, quantized ggml types, nested arrays
 * (GGUF allows them; nothing in videogo writes them), GGUF versions 1 and 2. */
#include "model/weights.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/util.h"
#include "engine/sha256.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weights.c reads and writes little-endian GGUF with memcpy: little-endian hosts only"
#endif

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32
#define KEY_ARCH "general.architecture"
#define KEY_NAME "general.name"
#define KEY_ALIGN "general.alignment"
#define KEY_FORMAT "videogo.format_version"
#define KEY_COMMAND "videogo.command"
#define KEY_SHA "videogo.sha256"
#define HINT_UNKNOWN "regenerate it with the command listed for it in weights/README.md"

/* ---- types ------------------------------------------------------------------------- */

const char *weights_dtype_name(weights_dtype_t t)
{
    switch (t) {
    case WEIGHTS_F32: return "f32";
    case WEIGHTS_F16: return "f16";
    case WEIGHTS_I8: return "i8";
    case WEIGHTS_I32: return "i32";
    case WEIGHTS_BF16: return "bf16";
    }
    return "?";
}

size_t weights_dtype_size(weights_dtype_t t)
{
    switch (t) {
    case WEIGHTS_F32: return 4;
    case WEIGHTS_F16: return 2;
    case WEIGHTS_I8: return 1;
    case WEIGHTS_I32: return 4;
    case WEIGHTS_BF16: return 2;
    }
    return 0;
}

const char *weights_kv_type_name(weights_kv_type_t t)
{
    static const char *names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                  "bool", "str", "arr", "u64", "i64", "f64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* Bytes per scalar KV value; 0 for STR, ARR and unknown types. */
static size_t kv_scalar_size(uint32_t t)
{
    switch (t) {
    case WEIGHTS_KV_U8: case WEIGHTS_KV_I8: case WEIGHTS_KV_BOOL: return 1;
    case WEIGHTS_KV_U16: case WEIGHTS_KV_I16: return 2;
    case WEIGHTS_KV_U32: case WEIGHTS_KV_I32: case WEIGHTS_KV_F32: return 4;
    case WEIGHTS_KV_U64: case WEIGHTS_KV_I64: case WEIGHTS_KV_F64: return 8;
    default: return 0;
    }
}

static bool kv_type_known(uint32_t t) { return t <= WEIGHTS_KV_F64; }

/* ---- half / bfloat16 --------------------------------------------------------------- */

float weights_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);            /* inf / nan (payload kept) */
    } else if (exp) {
        bits = sign | ((exp + 112) << 23) | (man << 13);    /* normal: rebias 15 -> 127 */
    } else if (man) {
        int e = -1;                                         /* subnormal: normalise */
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    } else {
        bits = sign;                                        /* +-0 */
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t weights_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00 | (uint16_t)((ax >> 13) & 0x3ff); /* nan stays nan */
    if (ax >= 0x477ff000u) return sign | 0x7c00;             /* rounds to >= 65520: inf */
    if (ax < 0x38800000u) {                                   /* below 2^-14: subnormal or 0 */
        if (ax < 0x33000000u) return sign;                    /* < 2^-25: rounds to 0 */
        uint32_t e = ax >> 23, man = (ax & 0x7fffff) | 0x800000;
        int shift = (int)(126 - e);                           /* 14..24 */
        uint32_t q = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return sign | (uint16_t)q;
    }
    uint32_t r = ax + 0xfff + ((ax >> 13) & 1);               /* round to nearest even */
    return sign | (uint16_t)((r - 0x38000000u) >> 13);
}

float weights_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t weights_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40); /* quiet nan */
    return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

/* ---- byte buffer ------------------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf_t;

static void buf_put(buf_t *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = xrealloc(b->p, b->cap);
    }
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void buf_u32(buf_t *b, uint32_t v) { buf_put(b, &v, 4); }
static void buf_u64(buf_t *b, uint64_t v) { buf_put(b, &v, 8); }
static void buf_str(buf_t *b, const char *s, size_t n)
{
    buf_u64(b, n);
    buf_put(b, s, n);
}

/* ---- writer ------------------------------------------------------------------------ */

typedef struct {
    char *key;
    buf_t bytes; /* the whole serialized pair: key, type, value */
} wkv_t;

typedef struct {
    char *name;
    weights_dtype_t dtype;
    int ndim;
    int64_t dims[WEIGHTS_MAX_DIMS];
    uint8_t *data;
    size_t nbytes;
} wtensor_t;

struct weights_writer {
    wkv_t *kvs;
    size_t n_kv, cap_kv;
    wtensor_t *tensors;
    size_t n_tensors, cap_tensors;
    char *command;
    bool has_name;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

static bool key_reserved(const char *key)
{
    return !strcmp(key, KEY_ARCH) || !strcmp(key, KEY_ALIGN) || !strcmp(key, KEY_FORMAT) ||
           !strcmp(key, KEY_COMMAND) || !strcmp(key, KEY_SHA) || !strcmp(key, KEY_NAME);
}

/* Start a pair; returns its buffer with key and type written. */
static buf_t *writer_kv_begin(weights_writer_t *w, const char *key, weights_kv_type_t type, bool internal)
{
    size_t klen = strlen(key);
    if (!klen || klen > WEIGHTS_MAX_KEY) die("weights writer: key '%.64s' must be 1..%d bytes", key, WEIGHTS_MAX_KEY);
    if (!internal && key_reserved(key)) die("weights writer: key '%s' is set by the writer itself", key);
    for (size_t i = 0; i < w->n_kv; i++)
        if (!strcmp(w->kvs[i].key, key)) die("weights writer: key '%s' added twice", key);
    if (w->n_kv == w->cap_kv) {
        w->cap_kv = w->cap_kv * 2 + 16;
        w->kvs = xrealloc(w->kvs, w->cap_kv * sizeof *w->kvs);
    }
    wkv_t *kv = &w->kvs[w->n_kv++];
    kv->key = xstrdup(key);
    memset(&kv->bytes, 0, sizeof kv->bytes);
    buf_str(&kv->bytes, key, klen);
    buf_u32(&kv->bytes, (uint32_t)type);
    return &kv->bytes;
}

weights_writer_t *weights_writer_new(const char *arch)
{
    if (!arch || !*arch) die("weights writer: empty architecture name");
    weights_writer_t *w = xcalloc(1, sizeof *w);
    buf_t *b = writer_kv_begin(w, KEY_ARCH, WEIGHTS_KV_STR, true);
    buf_str(b, arch, strlen(arch));
    b = writer_kv_begin(w, KEY_ALIGN, WEIGHTS_KV_U32, true);
    buf_u32(b, WEIGHTS_ALIGNMENT);
    b = writer_kv_begin(w, KEY_FORMAT, WEIGHTS_KV_U32, true);
    buf_u32(b, WEIGHTS_FORMAT_VERSION);
    return w;
}

void weights_writer_free(weights_writer_t *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kvs[i].key);
        free(w->kvs[i].bytes.p);
    }
    for (size_t i = 0; i < w->n_tensors; i++) {
        free(w->tensors[i].name);
        free(w->tensors[i].data);
    }
    free(w->kvs);
    free(w->tensors);
    free(w->command);
    free(w);
}

void weights_writer_set_command_str(weights_writer_t *w, const char *command)
{
    free(w->command);
    w->command = xstrdup(command);
}

void weights_writer_set_command(weights_writer_t *w, int argc, char *const *argv)
{
    buf_t b = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i) buf_put(&b, " ", 1);
        bool plain = *a != '\0';
        for (const char *p = a; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+@%-", *p))
                plain = false;
        if (plain) {
            buf_put(&b, a, strlen(a));
            continue;
        }
        buf_put(&b, "'", 1);
        for (const char *p = a; *p; p++) {
            if (*p == '\'') buf_put(&b, "'\\''", 4);
            else buf_put(&b, p, 1);
        }
        buf_put(&b, "'", 1);
    }
    buf_put(&b, "", 1);
    free(w->command);
    w->command = (char *)b.p;
}

void weights_writer_set_name(weights_writer_t *w, const char *name)
{
    if (w->has_name) die("weights writer: general.name set twice");
    w->has_name = true;
    buf_t *b = writer_kv_begin(w, KEY_NAME, WEIGHTS_KV_STR, true);
    buf_str(b, name, strlen(name));
}

void weights_writer_kv_u32(weights_writer_t *w, const char *key, uint32_t v)
{
    buf_put(writer_kv_begin(w, key, WEIGHTS_KV_U32, false), &v, 4);
}

void weights_writer_kv_i32(weights_writer_t *w, const char *key, int32_t v)
{
    buf_put(writer_kv_begin(w, key, WEIGHTS_KV_I32, false), &v, 4);
}

void weights_writer_kv_u64(weights_writer_t *w, const char *key, uint64_t v)
{
    buf_put(writer_kv_begin(w, key, WEIGHTS_KV_U64, false), &v, 8);
}

void weights_writer_kv_f32(weights_writer_t *w, const char *key, float v)
{
    buf_put(writer_kv_begin(w, key, WEIGHTS_KV_F32, false), &v, 4);
}

void weights_writer_kv_f64(weights_writer_t *w, const char *key, double v)
{
    buf_put(writer_kv_begin(w, key, WEIGHTS_KV_F64, false), &v, 8);
}

void weights_writer_kv_bool(weights_writer_t *w, const char *key, bool v)
{
    uint8_t b = v ? 1 : 0;
    buf_put(writer_kv_begin(w, key, WEIGHTS_KV_BOOL, false), &b, 1);
}

void weights_writer_kv_str(weights_writer_t *w, const char *key, const char *v)
{
    buf_str(writer_kv_begin(w, key, WEIGHTS_KV_STR, false), v, strlen(v));
}

static void writer_kv_arr(weights_writer_t *w, const char *key, weights_kv_type_t elem, const void *v, size_t n)
{
    buf_t *b = writer_kv_begin(w, key, WEIGHTS_KV_ARR, false);
    buf_u32(b, (uint32_t)elem);
    buf_u64(b, n);
    buf_put(b, v, n * kv_scalar_size(elem));
}

void weights_writer_kv_arr_i32(weights_writer_t *w, const char *key, const int32_t *v, size_t n)
{
    writer_kv_arr(w, key, WEIGHTS_KV_I32, v, n);
}

void weights_writer_kv_arr_u64(weights_writer_t *w, const char *key, const uint64_t *v, size_t n)
{
    writer_kv_arr(w, key, WEIGHTS_KV_U64, v, n);
}

void weights_writer_kv_arr_f32(weights_writer_t *w, const char *key, const float *v, size_t n)
{
    writer_kv_arr(w, key, WEIGHTS_KV_F32, v, n);
}

void weights_writer_kv_arr_str(weights_writer_t *w, const char *key, const char *const *v, size_t n)
{
    buf_t *b = writer_kv_begin(w, key, WEIGHTS_KV_ARR, false);
    buf_u32(b, WEIGHTS_KV_STR);
    buf_u64(b, n);
    for (size_t i = 0; i < n; i++) buf_str(b, v[i], strlen(v[i]));
}

static wtensor_t *writer_tensor_begin(weights_writer_t *w, const char *name, weights_dtype_t dtype, int ndim,
                                      const int64_t *dims, size_t *nelem)
{
    size_t nlen = strlen(name);
    if (!nlen || nlen > WEIGHTS_MAX_NAME) die("weights writer: tensor name '%s' must be 1..%d bytes", name, WEIGHTS_MAX_NAME);
    if (!weights_dtype_size(dtype)) die("weights writer: tensor '%s': unknown dtype %d", name, (int)dtype);
    if (ndim < 1 || ndim > WEIGHTS_MAX_DIMS) die("weights writer: tensor '%s': rank %d not in 1..%d", name, ndim, WEIGHTS_MAX_DIMS);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 1 || (uint64_t)dims[i] > (SIZE_MAX / 8) / n)
            die("weights writer: tensor '%s': bad dimension %lld", name, (long long)dims[i]);
        n *= (size_t)dims[i];
    }
    for (size_t i = 0; i < w->n_tensors; i++)
        if (!strcmp(w->tensors[i].name, name)) die("weights writer: tensor '%s' added twice", name);
    if (w->n_tensors == w->cap_tensors) {
        w->cap_tensors = w->cap_tensors * 2 + 16;
        w->tensors = xrealloc(w->tensors, w->cap_tensors * sizeof *w->tensors);
    }
    wtensor_t *t = &w->tensors[w->n_tensors++];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name);
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->nbytes = n * weights_dtype_size(dtype);
    t->data = xmalloc(t->nbytes);
    *nelem = n;
    return t;
}

void weights_writer_tensor(weights_writer_t *w, const char *name, weights_dtype_t dtype, int ndim,
                           const int64_t *dims, const float *data)
{
    if (dtype != WEIGHTS_F32 && dtype != WEIGHTS_F16 && dtype != WEIGHTS_BF16)
        die("weights writer: tensor '%s': %s is not a float dtype (use weights_writer_tensor_raw)", name,
            weights_dtype_name(dtype));
    size_t n;
    wtensor_t *t = writer_tensor_begin(w, name, dtype, ndim, dims, &n);
    if (dtype == WEIGHTS_F32) {
        memcpy(t->data, data, t->nbytes);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t h = dtype == WEIGHTS_F16 ? weights_f32_to_f16(data[i]) : weights_f32_to_bf16(data[i]);
        memcpy(t->data + 2 * i, &h, 2);
    }
}

void weights_writer_tensor_raw(weights_writer_t *w, const char *name, weights_dtype_t dtype, int ndim,
                               const int64_t *dims, const void *data)
{
    size_t n;
    wtensor_t *t = writer_tensor_begin(w, name, dtype, ndim, dims, &n);
    memcpy(t->data, data, t->nbytes);
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

static int werr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int werr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t k = write(fd, q, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        q += k;
        n -= (size_t)k;
    }
    return 0;
}

int weights_writer_save(weights_writer_t *w, const char *path, char *err, size_t errlen)
{
    static const uint8_t zeros[WEIGHTS_ALIGNMENT];
    if (!w->command)
        return werr(err, errlen, "%s: no command recorded (call weights_writer_set_command before saving)", path);

    /* Header: fixed part, the pairs, videogo.command, videogo.sha256 (placeholder), tensor infos. */
    buf_t h = {0};
    buf_put(&h, GGUF_MAGIC, 4);
    buf_u32(&h, WEIGHTS_GGUF_VERSION);
    buf_u64(&h, w->n_tensors);
    buf_u64(&h, w->n_kv + 2);
    for (size_t i = 0; i < w->n_kv; i++) buf_put(&h, w->kvs[i].bytes.p, w->kvs[i].bytes.n);
    buf_str(&h, KEY_COMMAND, strlen(KEY_COMMAND));
    buf_u32(&h, WEIGHTS_KV_STR);
    buf_str(&h, w->command, strlen(w->command));
    buf_str(&h, KEY_SHA, strlen(KEY_SHA));
    buf_u32(&h, WEIGHTS_KV_STR);
    buf_u64(&h, SHA256_HEX_CHARS);
    size_t sha_at = h.n;
    for (int i = 0; i < SHA256_HEX_CHARS; i++) buf_put(&h, "0", 1);
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        const wtensor_t *t = &w->tensors[i];
        buf_str(&h, t->name, strlen(t->name));
        buf_u32(&h, (uint32_t)t->ndim);
        for (int d = t->ndim - 1; d >= 0; d--) buf_u64(&h, (uint64_t)t->dims[d]); /* ne: fastest first */
        buf_u32(&h, (uint32_t)t->dtype);
        buf_u64(&h, offset);
        offset += align_up(t->nbytes, WEIGHTS_ALIGNMENT);
    }
    buf_put(&h, zeros, align_up(h.n, WEIGHTS_ALIGNMENT) - h.n);

    sha256_t s;
    sha256_init(&s);
    sha256_update(&s, h.p, h.n);
    for (size_t i = 0; i < w->n_tensors; i++) {
        const wtensor_t *t = &w->tensors[i];
        sha256_update(&s, t->data, t->nbytes);
        sha256_update(&s, zeros, align_up(t->nbytes, WEIGHTS_ALIGNMENT) - t->nbytes);
    }
    uint8_t digest[SHA256_DIGEST_BYTES];
    char hex[SHA256_HEX_CHARS + 1];
    sha256_final(&s, digest);
    sha256_hex(digest, hex);
    memcpy(h.p + sha_at, hex, SHA256_HEX_CHARS);

    size_t tlen = strlen(path) + 32;
    char *tmp = xmalloc(tlen);
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        werr(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    bool ok = write_all(fd, h.p, h.n) == 0;
    for (size_t i = 0; ok && i < w->n_tensors; i++) {
        const wtensor_t *t = &w->tensors[i];
        ok = write_all(fd, t->data, t->nbytes) == 0 &&
             write_all(fd, zeros, align_up(t->nbytes, WEIGHTS_ALIGNMENT) - t->nbytes) == 0;
    }
    if (ok) ok = fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        werr(err, errlen, "%s: write failed: %s", tmp, strerror(e));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        werr(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* Make the rename itself durable (best effort: some filesystems refuse fsync on a dir). */
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
    rc = 0;
out:
    free(tmp);
    free(h.p);
    return rc;
}

/* ---- reader ------------------------------------------------------------------------ */

typedef struct {
    weights_t *w;
    char *err;
    size_t errlen;
    size_t pos;
    const char *command; /* videogo.command once parsed: for the hint */
} parse_t;

static const char *hint_for(const char *command, char *buf, size_t n)
{
    if (!command) return HINT_UNKNOWN;
    snprintf(buf, n, "regenerate it with: %s", command);
    return buf;
}

const char *weights_regen_hint(const weights_t *w)
{
    /* Owned by nobody: a per-thread static is enough for a message that is printed at once. */
    static _Thread_local char buf[WEIGHTS_ERR_LEN];
    return hint_for(w ? w->command : NULL, buf, sizeof buf);
}

static int fail(parse_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parse_t *ps, const char *fmt, ...)
{
    if (!ps->err || !ps->errlen) return -1;
    char msg[512], hint[WEIGHTS_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "weights file '%s': %s; %s", ps->w->path, msg,
             hint_for(ps->command, hint, sizeof hint));
    return -1;
}

static size_t left(const parse_t *ps) { return ps->w->size - ps->pos; }

static int rd(parse_t *ps, void *out, size_t n, const char *what)
{
    if (n > left(ps))
        return fail(ps, "file is truncated (%zu bytes) while reading %s at offset %zu", ps->w->size, what, ps->pos);
    memcpy(out, ps->w->data + ps->pos, n);
    ps->pos += n;
    return 0;
}

/* A GGUF string: u64 length, bytes. Copied into an owned NUL-terminated string. */
static int rd_string(parse_t *ps, const char *what, uint64_t maxlen, char **out, size_t *at)
{
    uint64_t len = 0;
    if (rd(ps, &len, 8, what)) return -1;
    if (len > maxlen) return fail(ps, "%s at offset %zu is %llu bytes long (limit %llu)", what, ps->pos - 8,
                                  (unsigned long long)len, (unsigned long long)maxlen);
    if (len > left(ps))
        return fail(ps, "file is truncated: %s at offset %zu claims %llu bytes but only %zu are left", what,
                    ps->pos - 8, (unsigned long long)len, left(ps));
    const uint8_t *p = ps->w->data + ps->pos;
    if (memchr(p, 0, (size_t)len)) return fail(ps, "%s at offset %zu contains a NUL byte", what, ps->pos);
    *out = xmalloc((size_t)len + 1);
    memcpy(*out, p, (size_t)len);
    (*out)[len] = '\0';
    if (at) *at = ps->pos;
    ps->pos += (size_t)len;
    return 0;
}

static int rd_scalar(parse_t *ps, weights_kv_t *kv, uint32_t type)
{
    uint8_t b[8] = {0};
    size_t n = kv_scalar_size(type);
    kv->value_offset = ps->pos;
    if (rd(ps, b, n, kv->key)) return -1;
    switch (type) {
    case WEIGHTS_KV_U8: kv->v.u = b[0]; break;
    case WEIGHTS_KV_BOOL:
        if (b[0] > 1) return fail(ps, "key '%s': bool value %u is neither 0 nor 1", kv->key, b[0]);
        kv->v.u = b[0];
        break;
    case WEIGHTS_KV_I8: kv->v.i = (int8_t)b[0]; break;
    case WEIGHTS_KV_U16: { uint16_t x; memcpy(&x, b, 2); kv->v.u = x; break; }
    case WEIGHTS_KV_I16: { int16_t x; memcpy(&x, b, 2); kv->v.i = x; break; }
    case WEIGHTS_KV_U32: { uint32_t x; memcpy(&x, b, 4); kv->v.u = x; break; }
    case WEIGHTS_KV_I32: { int32_t x; memcpy(&x, b, 4); kv->v.i = x; break; }
    case WEIGHTS_KV_F32: { float x; memcpy(&x, b, 4); kv->v.f = x; break; }
    case WEIGHTS_KV_U64: memcpy(&kv->v.u, b, 8); break;
    case WEIGHTS_KV_I64: memcpy(&kv->v.i, b, 8); break;
    case WEIGHTS_KV_F64: memcpy(&kv->v.f, b, 8); break;
    default: return fail(ps, "key '%s': internal error: type %u is not a scalar", kv->key, type);
    }
    return 0;
}

static int rd_value(parse_t *ps, weights_kv_t *kv)
{
    uint32_t type = 0;
    if (rd(ps, &type, 4, "a key's value type")) return -1;
    if (!kv_type_known(type)) return fail(ps, "key '%s' has unknown value type %u", kv->key, type);
    kv->type = (weights_kv_type_t)type;
    kv->count = 1;
    if (type == WEIGHTS_KV_STR) return rd_string(ps, kv->key, UINT64_MAX, &kv->str, &kv->value_offset);
    if (type != WEIGHTS_KV_ARR) return rd_scalar(ps, kv, type);

    uint32_t elem = 0;
    uint64_t count = 0;
    if (rd(ps, &elem, 4, "an array's element type") || rd(ps, &count, 8, "an array's length")) return -1;
    if (!kv_type_known(elem)) return fail(ps, "array '%s' has unknown element type %u", kv->key, elem);
    if (elem == WEIGHTS_KV_ARR) return fail(ps, "array '%s' holds arrays (nested arrays are not supported)", kv->key);
    kv->elem_type = (weights_kv_type_t)elem;
    kv->value_offset = ps->pos;
    size_t esize = elem == WEIGHTS_KV_STR ? 8 : kv_scalar_size(elem); /* a string takes >= 8 bytes */
    if (count > left(ps) / esize)
        return fail(ps, "file is truncated or corrupted: array '%s' claims %llu elements, %zu bytes are left",
                    kv->key, (unsigned long long)count, left(ps));
    kv->count = count;
    if (elem != WEIGHTS_KV_STR) {
        kv->arr = ps->w->data + ps->pos;
        ps->pos += (size_t)count * esize;
        if (elem == WEIGHTS_KV_BOOL)
            for (uint64_t i = 0; i < count; i++)
                if (kv->arr[i] > 1) return fail(ps, "array '%s': bool element %llu is %u", kv->key, (unsigned long long)i, kv->arr[i]);
        return 0;
    }
    kv->strs = xcalloc((size_t)count, sizeof *kv->strs);
    for (uint64_t i = 0; i < count; i++)
        if (rd_string(ps, kv->key, UINT64_MAX, &kv->strs[i], NULL)) return -1;
    return 0;
}

typedef struct {
    const char *name;
    uint32_t idx;
} name_idx_t;

static int cmp_name_idx(const void *a, const void *b)
{
    return strcmp(((const name_idx_t *)a)->name, ((const name_idx_t *)b)->name);
}

/* Indices 0..n-1 sorted by names[i] (owned by the caller); on a duplicate, *dup is its index
 * (else -1). */
static uint32_t *sort_names(const char *const *names, uint64_t n, int64_t *dup)
{
    name_idx_t *v = xmalloc((size_t)(n ? n : 1) * sizeof *v);
    for (uint64_t i = 0; i < n; i++) v[i] = (name_idx_t){names[i], (uint32_t)i};
    qsort(v, (size_t)n, sizeof *v, cmp_name_idx);
    uint32_t *idx = xmalloc((size_t)(n ? n : 1) * sizeof *idx);
    *dup = -1;
    for (uint64_t i = 0; i < n; i++) {
        idx[i] = v[i].idx;
        if (i && *dup < 0 && !strcmp(v[i - 1].name, v[i].name)) *dup = v[i].idx;
    }
    free(v);
    return idx;
}

static const char *shape_str(char *buf, size_t n, int ndim, const int64_t *dims)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

static int parse_kvs(parse_t *ps)
{
    weights_t *w = ps->w;
    w->kvs = xcalloc((size_t)(w->n_kv ? w->n_kv : 1), sizeof *w->kvs);
    for (uint64_t i = 0; i < w->n_kv; i++) {
        weights_kv_t *kv = &w->kvs[i];
        char what[64];
        snprintf(what, sizeof what, "key %llu", (unsigned long long)i);
        if (rd_string(ps, what, WEIGHTS_MAX_KEY, &kv->key, NULL)) return -1;
        if (!kv->key[0]) return fail(ps, "key %llu is empty", (unsigned long long)i);
        if (rd_value(ps, kv)) return -1;
        if (!strcmp(kv->key, KEY_COMMAND) && kv->type == WEIGHTS_KV_STR) ps->command = kv->str;
    }
    char **keys = xmalloc((size_t)(w->n_kv ? w->n_kv : 1) * sizeof *keys);
    for (uint64_t i = 0; i < w->n_kv; i++) keys[i] = w->kvs[i].key;
    int64_t dup;
    free(sort_names((const char *const *)keys, w->n_kv, &dup));
    free(keys);
    if (dup >= 0) return fail(ps, "key '%s' appears twice", w->kvs[dup].key);

    w->alignment = GGUF_DEFAULT_ALIGNMENT;
    const weights_kv_t *a = weights_find_kv(w, KEY_ALIGN);
    if (a) {
        if (a->type != WEIGHTS_KV_U32) return fail(ps, "%s is %s, expected u32", KEY_ALIGN, weights_kv_type_name(a->type));
        if (a->v.u < 8 || a->v.u > 65536 || (a->v.u & (a->v.u - 1)))
            return fail(ps, "%s = %llu is not a power of two in 8..65536", KEY_ALIGN, (unsigned long long)a->v.u);
        w->alignment = (uint32_t)a->v.u;
    }
    return 0;
}

static int parse_tensor_infos(parse_t *ps)
{
    weights_t *w = ps->w;
    w->tensors = xcalloc((size_t)(w->n_tensors ? w->n_tensors : 1), sizeof *w->tensors);
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        weights_tensor_info_t *t = &w->tensors[i];
        char what[64];
        snprintf(what, sizeof what, "the name of tensor %llu", (unsigned long long)i);
        if (rd_string(ps, what, WEIGHTS_MAX_NAME, &t->name, NULL)) return -1;
        if (!t->name[0]) return fail(ps, "tensor %llu has an empty name", (unsigned long long)i);
        uint32_t ndim = 0, dtype = 0;
        uint64_t ne[WEIGHTS_MAX_DIMS];
        if (rd(ps, &ndim, 4, t->name)) return -1;
        if (ndim < 1 || ndim > WEIGHTS_MAX_DIMS)
            return fail(ps, "tensor '%s' has %u dimensions (1..%d allowed)", t->name, ndim, WEIGHTS_MAX_DIMS);
        if (rd(ps, ne, 8 * (size_t)ndim, t->name)) return -1;
        t->ndim = (int)ndim;
        t->nelem = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            if (ne[d] < 1 || ne[d] > w->size / t->nelem)
                return fail(ps, "tensor '%s' has dimension ne[%u] = %llu, impossible in a %zu-byte file", t->name, d,
                            (unsigned long long)ne[d], w->size);
            t->nelem *= ne[d];
            t->dims[ndim - 1 - d] = (int64_t)ne[d];
        }
        if (rd(ps, &dtype, 4, t->name) || rd(ps, &t->offset, 8, t->name)) return -1;
        t->dtype = (weights_dtype_t)dtype;
        if (!weights_dtype_size(t->dtype))
            return fail(ps, "tensor '%s' has ggml type %u, which this build does not read (f32, f16, bf16, i8, i32)",
                        t->name, dtype);
        t->nbytes = t->nelem * weights_dtype_size(t->dtype);
        if (t->offset % w->alignment)
            return fail(ps, "tensor '%s' offset %llu is not a multiple of the alignment %u", t->name,
                        (unsigned long long)t->offset, w->alignment);
        if (t->offset > w->size || t->nbytes > w->size)
            return fail(ps, "tensor '%s' (offset %llu, %llu bytes) lies outside the %zu-byte file", t->name,
                        (unsigned long long)t->offset, (unsigned long long)t->nbytes, w->size);
    }
    const char **names = xmalloc((size_t)(w->n_tensors ? w->n_tensors : 1) * sizeof *names);
    for (uint64_t i = 0; i < w->n_tensors; i++) names[i] = w->tensors[i].name;
    int64_t dup;
    w->by_name = sort_names(names, w->n_tensors, &dup);
    free(names);
    if (dup >= 0) return fail(ps, "tensor '%s' appears twice", w->tensors[dup].name);
    return 0;
}

static int cmp_u64_pair(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* Data section: offsets inside the file, no overlaps, exact file length. */
static int check_layout(parse_t *ps)
{
    weights_t *w = ps->w;
    size_t header_end = ps->pos;
    uint64_t data_start = align_up(header_end, w->alignment);
    if (data_start > w->size)
        return fail(ps, "file is truncated: %zu bytes, but the header and its padding need %llu", w->size,
                    (unsigned long long)data_start);
    w->data_start = (size_t)data_start;
    uint64_t room = w->size - data_start, end = 0;
    const char *last = NULL;
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        const weights_tensor_info_t *t = &w->tensors[i];
        uint64_t e = align_up(t->offset + t->nbytes, w->alignment); /* both <= size: no overflow */
        if (e > end) {
            end = e;
            last = t->name;
        }
    }
    if (end > room)
        return fail(ps, "file is truncated: it is %zu bytes but tensor '%s' ends (with padding) at byte %llu",
                    w->size, last, (unsigned long long)(data_start + end));
    if (end < room)
        return fail(ps, "file has %llu unexpected bytes after its last tensor (it should be %llu bytes, it is %zu)",
                    (unsigned long long)(room - end), (unsigned long long)(data_start + end), w->size);
    /* (offset, index) pairs sorted by offset: neighbours must not overlap. */
    uint64_t *ord = xmalloc((size_t)(w->n_tensors ? w->n_tensors : 1) * 2 * sizeof *ord);
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        ord[2 * i] = w->tensors[i].offset;
        ord[2 * i + 1] = i;
    }
    qsort(ord, (size_t)w->n_tensors, 2 * sizeof *ord, cmp_u64_pair);
    int rc = 0;
    for (uint64_t i = 1; i < w->n_tensors && !rc; i++) {
        const weights_tensor_info_t *a = &w->tensors[ord[2 * i - 1]], *b = &w->tensors[ord[2 * i + 1]];
        if (a->offset + a->nbytes > b->offset)
            rc = fail(ps, "tensors '%s' and '%s' overlap in the data section", a->name, b->name);
    }
    free(ord);
    return rc;
}

static int check_videogo_keys(parse_t *ps, const weights_kv_t **sha)
{
    weights_t *w = ps->w;
    const weights_kv_t *fmt = weights_find_kv(w, KEY_FORMAT), *arch = weights_find_kv(w, KEY_ARCH);
    if (!fmt) return fail(ps, "not a videogo weights file (no %s key; a GGUF file from another tool?)", KEY_FORMAT);
    if (fmt->type != WEIGHTS_KV_U32) return fail(ps, "%s is %s, expected u32", KEY_FORMAT, weights_kv_type_name(fmt->type));
    if (fmt->v.u != WEIGHTS_FORMAT_VERSION)
        return fail(ps, "videogo format version %llu, this build reads version %d (%s)", (unsigned long long)fmt->v.u,
                    WEIGHTS_FORMAT_VERSION, fmt->v.u > WEIGHTS_FORMAT_VERSION ? "written by a newer videogo" : "an old file");
    if (!arch || arch->type != WEIGHTS_KV_STR || !arch->str[0])
        return fail(ps, "%s is missing or not a non-empty string", KEY_ARCH);
    if (!ps->command) return fail(ps, "%s is missing or not a string", KEY_COMMAND);
    *sha = weights_find_kv(w, KEY_SHA);
    if (!*sha || (*sha)->type != WEIGHTS_KV_STR || strlen((*sha)->str) != SHA256_HEX_CHARS ||
        strspn((*sha)->str, "0123456789abcdef") != SHA256_HEX_CHARS)
        return fail(ps, "%s is missing or not 64 lower-case hex digits", KEY_SHA);
    return 0;
}

static int check_sha(parse_t *ps, const weights_kv_t *sha)
{
    const weights_t *w = ps->w;
    char zeros[SHA256_HEX_CHARS];
    memset(zeros, '0', sizeof zeros);
    sha256_t s;
    sha256_init(&s);
    sha256_update(&s, w->data, sha->value_offset);
    sha256_update(&s, zeros, sizeof zeros);
    size_t after = sha->value_offset + SHA256_HEX_CHARS;
    sha256_update(&s, w->data + after, w->size - after);
    uint8_t d[SHA256_DIGEST_BYTES];
    char hex[SHA256_HEX_CHARS + 1];
    sha256_final(&s, d);
    sha256_hex(d, hex);
    if (strcmp(hex, sha->str)) return fail(ps, "checksum mismatch: file is corrupted");
    return 0;
}

static int parse(parse_t *ps, int flags)
{
    weights_t *w = ps->w;
    if (w->size < 24)
        return fail(ps, "file is too short (%zu bytes) to be a GGUF file (header is 24 bytes): truncated?", w->size);
    if (memcmp(w->data, GGUF_MAGIC, 4)) {
        if (!memcmp(w->data, "FUGG", 4)) return fail(ps, "big-endian GGUF is not supported");
        char m[20];
        size_t k = 0;
        for (int i = 0; i < 4; i++) {
            uint8_t c = w->data[i];
            k += (size_t)snprintf(m + k, sizeof m - k, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
        }
        return fail(ps, "not a GGUF weights file (magic '%s', expected 'GGUF')", m);
    }
    ps->pos = 4;
    uint64_t nt = 0, nk = 0;
    if (rd(ps, &w->version, 4, "the version") || rd(ps, &nt, 8, "the tensor count") || rd(ps, &nk, 8, "the kv count"))
        return -1;
    if (w->version != WEIGHTS_GGUF_VERSION)
        return fail(ps, "unsupported GGUF version %u (this build reads version %d%s)", w->version, WEIGHTS_GGUF_VERSION,
                    w->version < WEIGHTS_GGUF_VERSION ? "; the file predates it" : "");
    /* A pair takes >= 13 bytes (key length, type, 1-byte value), a tensor info >= 32. */
    if (nk > WEIGHTS_MAX_KVS || nk > left(ps) / 13)
        return fail(ps, "kv count %llu is impossible in a %zu-byte file: truncated or corrupted", (unsigned long long)nk,
                    w->size);
    if (nt > WEIGHTS_MAX_TENSORS || nt > left(ps) / 32)
        return fail(ps, "tensor count %llu is impossible in a %zu-byte file: truncated or corrupted",
                    (unsigned long long)nt, w->size);
    w->n_kv = nk;
    w->n_tensors = nt;
    if (parse_kvs(ps) || parse_tensor_infos(ps) || check_layout(ps)) return -1;
    const weights_kv_t *arch = weights_find_kv(w, KEY_ARCH);
    if (arch && arch->type == WEIGHTS_KV_STR) w->arch = arch->str;
    w->command = ps->command;
    if (flags & WEIGHTS_OPEN_ANY_GGUF) return 0;
    const weights_kv_t *sha = NULL;
    if (check_videogo_keys(ps, &sha)) return -1;
    if (!(flags & WEIGHTS_OPEN_NO_CHECKSUM) && check_sha(ps, sha)) return -1;
    return 0;
}

static int open_common(weights_t *w, const void *buf, size_t size, const char *label, bool mapped, int flags,
                       char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->path = xstrdup(label);
    w->data = buf;
    w->size = size;
    w->mapped = mapped;
    parse_t ps = {.w = w, .err = err, .errlen = errlen};
    if (parse(&ps, flags) == 0) return 0;
    weights_close(w);
    return -1;
}

int weights_open_buffer(weights_t *w, const void *buf, size_t size, const char *label, int flags, char *err,
                        size_t errlen)
{
    static const uint8_t empty[1];
    if ((uint64_t)size > WEIGHTS_MAX_BYTES) {
        memset(w, 0, sizeof *w);
        return werr(err, errlen, "weights buffer '%s': %zu bytes, larger than %llu GiB, the weights size limit "
                    "(WEIGHTS_MAX_BYTES)", label, size, WEIGHTS_MAX_BYTES >> 30);
    }
    return open_common(w, size ? buf : empty, size, label, false, flags, err, errlen);
}

int weights_open_flags(weights_t *w, const char *path, int flags, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    /* O_NONBLOCK: opening a FIFO with no writer must not wait; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return werr(err, errlen, "weights file '%s': cannot open: %s; %s", path, strerror(errno), HINT_UNKNOWN);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return werr(err, errlen, "weights file '%s': not a regular file (a device, pipe or folder)", path);
    }
    if ((uint64_t)st.st_size > WEIGHTS_MAX_BYTES) {
        close(fd);
        return werr(err, errlen, "weights file '%s': %llu bytes, larger than %llu GiB, the weights size limit "
                    "(WEIGHTS_MAX_BYTES)", path, (unsigned long long)st.st_size, WEIGHTS_MAX_BYTES >> 30);
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        close(fd);
        return weights_open_buffer(w, NULL, 0, path, flags, err, errlen);
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return werr(err, errlen, "weights file '%s': cannot map: %s", path, strerror(e));
    return open_common(w, p, size, path, true, flags, err, errlen);
}

int weights_open(weights_t *w, const char *path, char *err, size_t errlen)
{
    return weights_open_flags(w, path, 0, err, errlen);
}

void weights_close(weights_t *w)
{
    if (!w) return;
    if (w->kvs)
        for (uint64_t i = 0; i < w->n_kv; i++) {
            weights_kv_t *kv = &w->kvs[i];
            free(kv->key);
            free(kv->str);
            if (kv->strs)
                for (uint64_t j = 0; j < kv->count; j++) free(kv->strs[j]);
            free(kv->strs);
        }
    if (w->tensors)
        for (uint64_t i = 0; i < w->n_tensors; i++) {
            free(w->tensors[i].name);
            free(w->tensors[i].owned);
        }
    free(w->kvs);
    free(w->tensors);
    free(w->by_name);
    free(w->path);
    if (w->mapped && w->data) munmap((void *)w->data, w->size);
    memset(w, 0, sizeof *w);
}

/* ---- key access -------------------------------------------------------------------- */

const weights_kv_t *weights_find_kv(const weights_t *w, const char *key)
{
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (w->kvs[i].key && !strcmp(w->kvs[i].key, key)) return &w->kvs[i];
    return NULL;
}

static const weights_kv_t *kv_typed(const weights_t *w, const char *key, weights_kv_type_t type)
{
    const weights_kv_t *kv = weights_find_kv(w, key);
    return kv && kv->type == type ? kv : NULL;
}

int weights_get_u32(const weights_t *w, const char *key, uint32_t *out)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_U32);
    if (!kv) return -1;
    *out = (uint32_t)kv->v.u;
    return 0;
}

int weights_get_i32(const weights_t *w, const char *key, int32_t *out)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_I32);
    if (!kv) return -1;
    *out = (int32_t)kv->v.i;
    return 0;
}

int weights_get_u64(const weights_t *w, const char *key, uint64_t *out)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_U64);
    if (!kv) return -1;
    *out = kv->v.u;
    return 0;
}

int weights_get_f32(const weights_t *w, const char *key, float *out)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_F32);
    if (!kv) return -1;
    *out = (float)kv->v.f;
    return 0;
}

int weights_get_f64(const weights_t *w, const char *key, double *out)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_F64);
    if (!kv) return -1;
    *out = kv->v.f;
    return 0;
}

int weights_get_bool(const weights_t *w, const char *key, bool *out)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_BOOL);
    if (!kv) return -1;
    *out = kv->v.u != 0;
    return 0;
}

int weights_get_str(const weights_t *w, const char *key, const char **out)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_STR);
    if (!kv) return -1;
    *out = kv->str;
    return 0;
}

int weights_get_arr(const weights_t *w, const char *key, weights_kv_type_t elem, void *out, size_t n)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_ARR);
    if (!kv || kv->elem_type != elem || kv->count != n || !kv->arr) return -1;
    if (n) memcpy(out, kv->arr, n * kv_scalar_size(elem));
    return 0;
}

int64_t weights_arr_len(const weights_t *w, const char *key)
{
    const weights_kv_t *kv = kv_typed(w, key, WEIGHTS_KV_ARR);
    return kv ? (int64_t)kv->count : -1;
}

/* Why a typed lookup failed, for the loader tier. */
static noreturn void need_die(const char *file, int line, const weights_t *w, const char *key,
                              weights_kv_type_t type, weights_kv_type_t elem, size_t n)
{
    const weights_kv_t *kv = weights_find_kv(w, key);
    char want[64], found[96];
    if (type == WEIGHTS_KV_ARR) snprintf(want, sizeof want, "arr[%s, %zu]", weights_kv_type_name(elem), n);
    else snprintf(want, sizeof want, "%s", weights_kv_type_name(type));
    if (!kv) snprintf(found, sizeof found, "missing");
    else if (kv->type == WEIGHTS_KV_ARR)
        snprintf(found, sizeof found, "arr[%s, %llu]", weights_kv_type_name(kv->elem_type), (unsigned long long)kv->count);
    else snprintf(found, sizeof found, "%s", weights_kv_type_name(kv->type));
    die_at(file, line, "weights file '%s' (%s): hyperparameter '%s' is %s, this build needs %s; %s", w->path,
           w->arch ? w->arch : "?", key, found, want, weights_regen_hint(w));
}

uint32_t weights_need_u32_at(const char *file, int line, const weights_t *w, const char *key)
{
    uint32_t v;
    if (weights_get_u32(w, key, &v)) need_die(file, line, w, key, WEIGHTS_KV_U32, 0, 0);
    return v;
}

int32_t weights_need_i32_at(const char *file, int line, const weights_t *w, const char *key)
{
    int32_t v;
    if (weights_get_i32(w, key, &v)) need_die(file, line, w, key, WEIGHTS_KV_I32, 0, 0);
    return v;
}

uint64_t weights_need_u64_at(const char *file, int line, const weights_t *w, const char *key)
{
    uint64_t v;
    if (weights_get_u64(w, key, &v)) need_die(file, line, w, key, WEIGHTS_KV_U64, 0, 0);
    return v;
}

float weights_need_f32_at(const char *file, int line, const weights_t *w, const char *key)
{
    float v;
    if (weights_get_f32(w, key, &v)) need_die(file, line, w, key, WEIGHTS_KV_F32, 0, 0);
    return v;
}

const char *weights_need_str_at(const char *file, int line, const weights_t *w, const char *key)
{
    const char *v;
    if (weights_get_str(w, key, &v)) need_die(file, line, w, key, WEIGHTS_KV_STR, 0, 0);
    return v;
}

void weights_need_arr_at(const char *file, int line, const weights_t *w, const char *key, weights_kv_type_t elem,
                         void *out, size_t n)
{
    if (weights_get_arr(w, key, elem, out, n)) need_die(file, line, w, key, WEIGHTS_KV_ARR, elem, n);
}

/* ---- tensor access ----------------------------------------------------------------- */

const weights_tensor_info_t *weights_find_tensor(const weights_t *w, const char *name)
{
    if (!w->by_name) return NULL;
    size_t lo = 0, hi = (size_t)w->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const weights_tensor_info_t *t = &w->tensors[w->by_name[mid]];
        int c = strcmp(name, t->name);
        if (!c) return t;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

/* Look NAME up and check rank and shape; NULL with a message. */
static weights_tensor_info_t *tensor_checked(weights_t *w, const char *name, int ndim, const int64_t *dims,
                                             char *err, size_t errlen)
{
    weights_tensor_info_t *t = (weights_tensor_info_t *)weights_find_tensor(w, name);
    if (!t) {
        werr(err, errlen, "weights file '%s' (%s): no tensor '%s' (the file was written for another model); %s",
             w->path, w->arch ? w->arch : "?", name, weights_regen_hint(w));
        return NULL;
    }
    bool same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->dims[i] == dims[i];
    if (!same) {
        char a[128], b[128];
        werr(err, errlen,
             "weights file '%s' (%s): tensor '%s' has shape %s, this build expects %s (written with other "
             "hyperparameters); %s",
             w->path, w->arch ? w->arch : "?", name, shape_str(a, sizeof a, t->ndim, t->dims),
             shape_str(b, sizeof b, ndim < 0 ? 0 : ndim > WEIGHTS_MAX_DIMS ? WEIGHTS_MAX_DIMS : ndim, dims),
             weights_regen_hint(w));
        return NULL;
    }
    return t;
}

const float *weights_tensor(weights_t *w, const char *name, int ndim, const int64_t *dims, char *err,
                            size_t errlen)
{
    weights_tensor_info_t *t = tensor_checked(w, name, ndim, dims, err, errlen);
    if (!t) return NULL;
    const uint8_t *p = w->data + w->data_start + t->offset;
    switch (t->dtype) {
    case WEIGHTS_F32:
        t->used = true;
        if (((uintptr_t)p & (_Alignof(float) - 1)) == 0) return (const float *)(const void *)p;
        if (!t->owned) {
            t->owned = xmalloc((size_t)t->nbytes);
            memcpy(t->owned, p, (size_t)t->nbytes);
        }
        return t->owned;
    case WEIGHTS_F16:
    case WEIGHTS_BF16:
        t->used = true;
        if (!t->owned) {
            t->owned = xmalloc((size_t)t->nelem * sizeof(float));
            for (uint64_t i = 0; i < t->nelem; i++) {
                uint16_t h;
                memcpy(&h, p + 2 * i, 2);
                t->owned[i] = t->dtype == WEIGHTS_F16 ? weights_f16_to_f32(h) : weights_bf16_to_f32(h);
            }
        }
        return t->owned;
    default:
        werr(err, errlen, "weights file '%s' (%s): tensor '%s' is %s, this build expects floats (f32/f16/bf16); %s",
             w->path, w->arch ? w->arch : "?", name, weights_dtype_name(t->dtype), weights_regen_hint(w));
        return NULL;
    }
}

const void *weights_tensor_raw(weights_t *w, const char *name, weights_dtype_t dtype, int ndim,
                               const int64_t *dims, char *err, size_t errlen)
{
    weights_tensor_info_t *t = tensor_checked(w, name, ndim, dims, err, errlen);
    if (!t) return NULL;
    if (t->dtype != dtype) {
        werr(err, errlen, "weights file '%s' (%s): tensor '%s' is %s, this build expects %s; %s", w->path,
             w->arch ? w->arch : "?", name, weights_dtype_name(t->dtype), weights_dtype_name(dtype),
             weights_regen_hint(w));
        return NULL;
    }
    t->used = true;
    return w->data + w->data_start + t->offset;
}

const float *weights_need_tensor_at(const char *file, int line, weights_t *w, const char *name, int ndim,
                                    const int64_t *dims)
{
    char err[WEIGHTS_ERR_LEN];
    const float *p = weights_tensor(w, name, ndim, dims, err, sizeof err);
    if (!p) die_at(file, line, "%s", err);
    return p;
}

int weights_check_all_used(const weights_t *w, char *err, size_t errlen)
{
    for (uint64_t i = 0; i < w->n_tensors; i++)
        if (!w->tensors[i].used)
            return werr(err, errlen,
                        "weights file '%s' (%s): tensor '%s' is not used by this build (the file was written for "
                        "another model or other hyperparameters); %s",
                        w->path, w->arch ? w->arch : "?", w->tensors[i].name, weights_regen_hint(w));
    return 0;
}
