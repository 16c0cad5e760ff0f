/* weights_cli.c: `videogo weights inspect FILE` and `videogo weights check FILE...`.
 *
 * inspect prints the GGUF header, every key/value, the tensor table and the SHA-256 of the
 * whole file (what weights/README.md lists), then whether full validation passed. It shows as
 * much as it can of a damaged file: the structure is read without the checksum and without
 * requiring videogo's keys, and the verdict comes from a separate full validation.
 * check validates each file and prints one line per file. Exit status: 0 if every file is
 * valid, 1 otherwise, 2 on a usage error. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "engine/sha256.h"
#include "model/weights.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: videogo weights inspect FILE   header, hyperparameters, tensor table, SHA-256, validation\n"
            "       videogo weights check FILE...  validate each file; exit 0 if all are valid, 1 if not\n"
            "\n"
            "Weights and training checkpoints are GGUF v3 files (model/weights.h). Validation checks the\n"
            "magic, version, every key and tensor entry, offsets, the exact file length and the\n"
            "videogo.sha256 checksum; a failure says how to regenerate the file.\n");
}

/* A string with non-printable bytes escaped, cut after max bytes. */
static void print_escaped(const char *s, size_t max)
{
    size_t n = strlen(s);
    putchar('"');
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c >= 32 && c < 127) putchar(c);
        else if (c == '\n') fputs("\\n", stdout);
        else printf("\\x%02x", c);
    }
    putchar('"');
    if (n > max) printf("... (%zu bytes)", n);
}

static void print_scalar(weights_kv_type_t t, const uint8_t *p)
{
    switch (t) {
    case WEIGHTS_KV_U8: printf("%u", p[0]); break;
    case WEIGHTS_KV_I8: printf("%d", (int8_t)p[0]); break;
    case WEIGHTS_KV_BOOL: printf("%s", p[0] ? "true" : "false"); break;
    case WEIGHTS_KV_U16: { uint16_t x; memcpy(&x, p, 2); printf("%u", x); break; }
    case WEIGHTS_KV_I16: { int16_t x; memcpy(&x, p, 2); printf("%d", x); break; }
    case WEIGHTS_KV_U32: { uint32_t x; memcpy(&x, p, 4); printf("%u", x); break; }
    case WEIGHTS_KV_I32: { int32_t x; memcpy(&x, p, 4); printf("%d", x); break; }
    case WEIGHTS_KV_F32: { float x; memcpy(&x, p, 4); printf("%.9g", x); break; }
    case WEIGHTS_KV_U64: { uint64_t x; memcpy(&x, p, 8); printf("%llu", (unsigned long long)x); break; }
    case WEIGHTS_KV_I64: { int64_t x; memcpy(&x, p, 8); printf("%lld", (long long)x); break; }
    case WEIGHTS_KV_F64: { double x; memcpy(&x, p, 8); printf("%.17g", x); break; }
    default: printf("?"); break;
    }
}

static size_t scalar_size(weights_kv_type_t t)
{
    switch (t) {
    case WEIGHTS_KV_U8: case WEIGHTS_KV_I8: case WEIGHTS_KV_BOOL: return 1;
    case WEIGHTS_KV_U16: case WEIGHTS_KV_I16: return 2;
    case WEIGHTS_KV_U64: case WEIGHTS_KV_I64: case WEIGHTS_KV_F64: return 8;
    default: return 4;
    }
}

static void print_kv(const weights_kv_t *kv)
{
    enum { MAX_ELEMS = 16 };
    if (kv->type == WEIGHTS_KV_ARR) {
        char ty[32];
        snprintf(ty, sizeof ty, "arr[%s,%llu]", weights_kv_type_name(kv->elem_type), (unsigned long long)kv->count);
        printf("  %-36s %-14s [", kv->key, ty);
        for (uint64_t i = 0; i < kv->count && i < MAX_ELEMS; i++) {
            if (i) printf(", ");
            if (kv->strs) print_escaped(kv->strs[i], 40);
            else print_scalar(kv->elem_type, kv->arr + i * scalar_size(kv->elem_type));
        }
        if (kv->count > MAX_ELEMS) printf(", ... %llu more", (unsigned long long)(kv->count - MAX_ELEMS));
        printf("]\n");
        return;
    }
    printf("  %-36s %-14s ", kv->key, weights_kv_type_name(kv->type));
    switch (kv->type) {
    case WEIGHTS_KV_STR: print_escaped(kv->str, 400); break;
    case WEIGHTS_KV_F32: printf("%.9g", kv->v.f); break;
    case WEIGHTS_KV_F64: printf("%.17g", kv->v.f); break;
    case WEIGHTS_KV_BOOL: printf("%s", kv->v.u ? "true" : "false"); break;
    case WEIGHTS_KV_I8: case WEIGHTS_KV_I16: case WEIGHTS_KV_I32: case WEIGHTS_KV_I64:
        printf("%lld", (long long)kv->v.i);
        break;
    default: printf("%llu", (unsigned long long)kv->v.u); break;
    }
    putchar('\n');
}

static int inspect(const char *path)
{
    char err[WEIGHTS_ERR_LEN], hex[SHA256_HEX_CHARS + 1];
    weights_t w;
    printf("file          %s\n", path);
    /* Hash only what the reader would map: a device or FIFO would be read for ever, a file over
     * WEIGHTS_MAX_BYTES for too long. weights_open_flags says which, without reading. */
    struct stat st;
    if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > WEIGHTS_MAX_BYTES)) {
        weights_open_flags(&w, path, WEIGHTS_OPEN_NO_CHECKSUM | WEIGHTS_OPEN_ANY_GGUF, err, sizeof err);
        printf("structure     unreadable: %s\n", err);
        return 1;
    }
    if (sha256_file_hex(path, hex) != 0) {
        perror(path);
        return 1;
    }
    int rc = weights_open_flags(&w, path, WEIGHTS_OPEN_NO_CHECKSUM | WEIGHTS_OPEN_ANY_GGUF, err, sizeof err);
    if (rc == 0) {
        printf("size          %zu bytes\n", w.size);
        printf("magic         GGUF\n");
        printf("version       %u\n", w.version);
        printf("alignment     %u\n", w.alignment);
        printf("tensors       %llu\n", (unsigned long long)w.n_tensors);
        printf("key/values    %llu\n", (unsigned long long)w.n_kv);
        printf("data offset   %zu\n", w.data_start);
        printf("architecture  %s\n", w.arch ? w.arch : "(none)");
        printf("\nkey/values:\n");
        for (uint64_t i = 0; i < w.n_kv; i++) print_kv(&w.kvs[i]);
        printf("\ntensors:\n  %-40s %-5s %-24s %12s %12s\n", "name", "dtype", "shape (C order)", "offset", "bytes");
        uint64_t total = 0, params = 0;
        for (uint64_t i = 0; i < w.n_tensors; i++) {
            const weights_tensor_info_t *t = &w.tensors[i];
            char shape[96];
            size_t k = 0;
            k += (size_t)snprintf(shape + k, sizeof shape - k, "[");
            for (int d = 0; d < t->ndim; d++)
                k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
            snprintf(shape + k, sizeof shape - k, "]");
            printf("  %-40s %-5s %-24s %12llu %12llu\n", t->name, weights_dtype_name(t->dtype), shape,
                   (unsigned long long)t->offset, (unsigned long long)t->nbytes);
            total += t->nbytes;
            params += t->nelem;
        }
        printf("  total: %llu elements, %llu bytes of tensor data\n", (unsigned long long)params,
               (unsigned long long)total);
        weights_close(&w);
    } else {
        /* Show the raw header fields that can be read, then the reason. */
        FILE *f = fopen(path, "rb");
        unsigned char h[24];
        size_t n = f ? fread(h, 1, sizeof h, f) : 0;
        if (f) fclose(f);
        if (n == sizeof h) {
            uint32_t version;
            uint64_t nt, nk;
            memcpy(&version, h + 4, 4);
            memcpy(&nt, h + 8, 8);
            memcpy(&nk, h + 16, 8);
            printf("magic         %02x %02x %02x %02x\n", h[0], h[1], h[2], h[3]);
            printf("version       %u\ntensors       %llu\nkey/values    %llu\n", version, (unsigned long long)nt,
                   (unsigned long long)nk);
        }
        printf("structure     unreadable: %s\n", err);
    }
    printf("\nsha256        %s  (whole file, as sha256sum prints it)\n", hex);
    rc = weights_open(&w, path, err, sizeof err);
    if (rc == 0) {
        printf("validation    OK\n");
        weights_close(&w);
        return 0;
    }
    printf("validation    FAILED: %s\n", err);
    return 1;
}

int cmd_weights(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "inspect")) {
        if (argc != 3 || !strcmp(argv[2], "--help")) {
            usage(argc == 3 ? stdout : stderr);
            return argc == 3 ? 0 : 2;
        }
        return inspect(argv[2]);
    }
    if (!strcmp(argv[1], "check")) {
        if (argc < 3 || !strcmp(argv[2], "--help")) {
            usage(argc < 3 ? stderr : stdout);
            return argc < 3 ? 2 : 0;
        }
        int bad = 0;
        for (int i = 2; i < argc; i++) {
            char err[WEIGHTS_ERR_LEN];
            weights_t w;
            if (weights_open(&w, argv[i], err, sizeof err) == 0) {
                printf("%s: OK (%s, %llu tensors, %zu bytes)\n", argv[i], w.arch, (unsigned long long)w.n_tensors,
                       w.size);
                weights_close(&w);
            } else {
                printf("%s: FAILED: %s\n", argv[i], err);
                bad = 1;
            }
        }
        return bad;
    }
    fprintf(stderr, "videogo weights: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
