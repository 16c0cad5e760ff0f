/* test_weights.c: the weights container (model/weights.h), SHA-256 and `videogo weights`.
 *
 * - SHA-256 against the FIPS 180-2 vectors and against itself fed in odd-sized pieces;
 * - f16/bf16 conversions (every half value round-trips, ties go to even);
 * - round trip of every key type and tensor dtype; the writer is deterministic;
 * - the committed fixture tests/data/model/tiny.gguf still loads and the writer still
 *   produces it byte for byte (a format change must be deliberate);
 * - truncated (at every length), corrupted, wrong-version, wrong-magic, padded, non-videogo
 *   files are rejected with messages that say what is wrong and how to regenerate;
 * - seeded fuzzing: thousands of mutated files never crash the loader (run under
 *   ASan/UBSan in CI) and every successful open can be read completely;
 * - size limit: a file over WEIGHTS_MAX_BYTES (sparse: no disk used) is refused before it is
 *   mapped; a device (/dev/zero) or a FIFO is refused at once, without blocking;
 * - `videogo weights inspect/check` output and exit status (skipped if the binary is absent).
 *
 * VIDEOGO_WRITE_FIXTURE=PATH rewrites the fixture instead of testing (see make_tiny). */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/util.h"
#include "engine/sha256.h"
#include "model/weights.h"

#define FIXTURE_COMMAND "VIDEOGO_WRITE_FIXTURE=tests/data/model/tiny.gguf build/tests/test_model_weights"

#define ASSERT_ERR(cond_text, err) ck_assert_msg(strstr((err), (cond_text)) != NULL, "message was: %s", (err))

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/videogo-test-weights-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A path in tmpdir; the result stays valid for the next 31 calls (enough for one test). */
static char *tmp_path(const char *name)
{
    static char buf[32][400];
    static int k;
    k = (k + 1) % 32;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = xmalloc((size_t)len);
    ck_assert_uint_eq(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* ---- SHA-256 ----------------------------------------------------------------------- */

static void hex_of(const void *p, size_t n, char hex[65])
{
    uint8_t d[32];
    sha256(p, n, d);
    sha256_hex(d, hex);
}

START_TEST(test_sha256_vectors)
{
    char hex[65];
    hex_of("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m448, strlen(m448), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a', fed in uneven pieces through the incremental interface. */
    char a[1000];
    memset(a, 'a', sizeof a);
    sha256_t s;
    sha256_init(&s);
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        if (n > sizeof a) n = sizeof a;
        sha256_update(&s, a, n);
        done += n;
        step = step * 7 % 997 + 1;
    }
    uint8_t d[32];
    sha256_final(&s, d);
    sha256_hex(d, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(test_sha256_pieces)
{
    /* Every length around the block and padding boundaries, one-shot vs byte-at-a-time. */
    uint8_t msg[300];
    rng_t r;
    rng_seed(&r, 1);
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)rng_next(&r);
    for (size_t n = 0; n <= sizeof msg; n++) {
        uint8_t d1[32], d2[32];
        sha256(msg, n, d1);
        sha256_t s;
        sha256_init(&s);
        for (size_t i = 0; i < n; i++) sha256_update(&s, msg + i, 1);
        sha256_final(&s, d2);
        ck_assert_msg(!memcmp(d1, d2, 32), "length %zu", n);
    }
}
END_TEST

/* ---- half floats ------------------------------------------------------------------- */

START_TEST(test_f16_conversions)
{
    for (uint32_t h = 0; h < 65536; h++) {
        float f = weights_f16_to_f32((uint16_t)h);
        if (f != f) {
            ck_assert_msg(weights_f16_to_f32(weights_f32_to_f16(f)) != weights_f16_to_f32(weights_f32_to_f16(f)),
                          "nan 0x%04x", h);
            continue;
        }
        ck_assert_msg(weights_f32_to_f16(f) == h, "half 0x%04x -> %g -> 0x%04x", h, f, weights_f32_to_f16(f));
    }
    ck_assert_uint_eq(weights_f32_to_f16(1.0f), 0x3c00);
    ck_assert_uint_eq(weights_f32_to_f16(-2.0f), 0xc000);
    ck_assert_uint_eq(weights_f32_to_f16(65504.0f), 0x7bff);
    ck_assert_uint_eq(weights_f32_to_f16(65519.0f), 0x7bff);
    ck_assert_uint_eq(weights_f32_to_f16(65520.0f), 0x7c00);      /* rounds up to inf */
    ck_assert_uint_eq(weights_f32_to_f16(0x1p-24f), 0x0001);      /* smallest subnormal */
    ck_assert_uint_eq(weights_f32_to_f16(0x1p-25f), 0x0000);      /* tie -> even (0) */
    ck_assert_uint_eq(weights_f32_to_f16(0x1.8p-24f), 0x0002);    /* tie -> even (2) */
    ck_assert_uint_eq(weights_f32_to_f16(1.0f + 0x1p-11f), 0x3c00); /* tie -> even */
    ck_assert_uint_eq(weights_f32_to_f16(1.0f + 0x3p-11f), 0x3c02); /* tie -> even */
    ck_assert_uint_eq(weights_f32_to_f16(0x1.ffcp-15f), 0x0400);  /* subnormal rounding up into normal */
    ck_assert_float_eq(weights_f16_to_f32(0x3555), 0x1.554p-2f);
    /* bf16: exact for values with 8 significant bits, ties to even. */
    ck_assert_float_eq(weights_bf16_to_f32(weights_f32_to_bf16(3.140625f)), 3.140625f);
    ck_assert_uint_eq(weights_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);
    ck_assert_uint_eq(weights_f32_to_bf16(1.0f + 0x3p-8f), 0x3f82);
}
END_TEST

/* ---- a file with everything -------------------------------------------------------- */

enum { NA = 5, NB = 3, NC = 7 };
static float fa[NA * NB], fb[NC], fc[2 * 3 * 4 * 5];
static int8_t ia[11];
static int32_t ib[2 * 6];

static void fill_data(void)
{
    rng_t r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < sizeof fa / sizeof fa[0]; i++) fa[i] = (float)(rng_uniform(&r) * 2 - 1);
    for (size_t i = 0; i < sizeof fb / sizeof fb[0]; i++) fb[i] = (float)(rng_uniform(&r) * 100 - 50);
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) fc[i] = (float)(rng_uniform(&r) - 0.5);
    for (size_t i = 0; i < sizeof ia; i++) ia[i] = (int8_t)(rng_next(&r) & 0xff);
    for (size_t i = 0; i < sizeof ib / sizeof ib[0]; i++) ib[i] = (int32_t)rng_next(&r);
}

static weights_writer_t *make_full(void)
{
    fill_data();
    weights_writer_t *w = weights_writer_new("ldm");
    weights_writer_set_name(w, "round trip test");
    char *argv[] = {"videogo", "train", "ldm", "--out", "dir with space/x.gguf", "--note=it's", ""};
    weights_writer_set_command(w, 7, argv);
    weights_writer_kv_u32(w, "ldm.horizon", 5);
    weights_writer_kv_i32(w, "ldm.offset", -7);
    weights_writer_kv_u64(w, "ldm.big", 0x123456789abcdef0ULL);
    weights_writer_kv_f32(w, "ldm.lr", 3e-4f);
    weights_writer_kv_f64(w, "ldm.decay", 0.999999);
    weights_writer_kv_bool(w, "ldm.causal", true);
    weights_writer_kv_str(w, "ldm.note", "frames \"in\", codes out");
    int32_t levels[6] = {8, 8, 8, 5, 5, 5};
    weights_writer_kv_arr_i32(w, "ldm.fsq_levels", levels, 6);
    uint64_t seeds[3] = {1, 2, UINT64_MAX};
    weights_writer_kv_arr_u64(w, "ldm.seeds", seeds, 3);
    float scales[2] = {0.5f, -1.25f};
    weights_writer_kv_arr_f32(w, "ldm.scales", scales, 2);
    const char *names[3] = {"<bos>", "", "<im_end>"};
    weights_writer_kv_arr_str(w, "ldm.specials", names, 3);
    weights_writer_kv_arr_i32(w, "ldm.empty", NULL, 0);
    weights_writer_tensor(w, "enc.w", WEIGHTS_F32, 2, (int64_t[]){NA, NB}, fa);
    weights_writer_tensor(w, "enc.b", WEIGHTS_F16, 1, (int64_t[]){NC}, fb);
    weights_writer_tensor(w, "dec.w", WEIGHTS_BF16, 4, (int64_t[]){2, 3, 4, 5}, fc);
    weights_writer_tensor_raw(w, "codes", WEIGHTS_I8, 1, (int64_t[]){11}, ia);
    weights_writer_tensor_raw(w, "table", WEIGHTS_I32, 2, (int64_t[]){2, 6}, ib);
    return w;
}

static const char *full_command = "videogo train ldm --out 'dir with space/x.gguf' '--note=it'\\''s' ''";

static void save_full(const char *path)
{
    weights_writer_t *w = make_full();
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(weights_writer_save(w, path, err, sizeof err) == 0, "%s", err);
    weights_writer_free(w);
}

START_TEST(test_round_trip)
{
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(weights_open(&w, path, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(w.arch, "ldm");
    ck_assert_str_eq(w.command, full_command);
    ck_assert_uint_eq(w.version, 3);
    ck_assert_uint_eq(w.alignment, 64);
    ck_assert_uint_eq(w.n_tensors, 5);
    ck_assert_uint_eq(w.data_start % 64, 0);
    ck_assert_uint_eq(w.size % 64, 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq((size_t)st.st_size, w.size);

    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    float f32;
    double f64;
    bool b;
    const char *s;
    ck_assert_int_eq(weights_get_u32(&w, "ldm.horizon", &u32), 0);
    ck_assert_uint_eq(u32, 5);
    ck_assert_int_eq(weights_get_i32(&w, "ldm.offset", &i32), 0);
    ck_assert_int_eq(i32, -7);
    ck_assert_int_eq(weights_get_u64(&w, "ldm.big", &u64), 0);
    ck_assert(u64 == 0x123456789abcdef0ULL);
    ck_assert_int_eq(weights_get_f32(&w, "ldm.lr", &f32), 0);
    ck_assert(f32 == 3e-4f);
    ck_assert_int_eq(weights_get_f64(&w, "ldm.decay", &f64), 0);
    ck_assert(f64 == 0.999999);
    ck_assert_int_eq(weights_get_bool(&w, "ldm.causal", &b), 0);
    ck_assert(b);
    ck_assert_int_eq(weights_get_str(&w, "ldm.note", &s), 0);
    ck_assert_str_eq(s, "frames \"in\", codes out");
    ck_assert_int_eq(weights_get_str(&w, "general.name", &s), 0);
    ck_assert_str_eq(s, "round trip test");
    ck_assert_int_eq(weights_get_u32(&w, "videogo.format_version", &u32), 0);
    ck_assert_uint_eq(u32, WEIGHTS_FORMAT_VERSION);
    /* No silent conversions and no phantom keys. */
    ck_assert_int_eq(weights_get_u32(&w, "ldm.offset", &u32), -1);
    ck_assert_int_eq(weights_get_f32(&w, "ldm.decay", &f32), -1);
    ck_assert_int_eq(weights_get_u32(&w, "ldm.nope", &u32), -1);

    int32_t levels[6];
    ck_assert_int_eq(weights_arr_len(&w, "ldm.fsq_levels"), 6);
    ck_assert_int_eq(weights_get_arr(&w, "ldm.fsq_levels", WEIGHTS_KV_I32, levels, 6), 0);
    ck_assert_int_eq(levels[0], 8);
    ck_assert_int_eq(levels[5], 5);
    ck_assert_int_eq(weights_get_arr(&w, "ldm.fsq_levels", WEIGHTS_KV_I32, levels, 5), -1);
    ck_assert_int_eq(weights_get_arr(&w, "ldm.fsq_levels", WEIGHTS_KV_U32, levels, 6), -1);
    uint64_t seeds[3];
    ck_assert_int_eq(weights_get_arr(&w, "ldm.seeds", WEIGHTS_KV_U64, seeds, 3), 0);
    ck_assert(seeds[2] == UINT64_MAX);
    float scales[2];
    ck_assert_int_eq(weights_get_arr(&w, "ldm.scales", WEIGHTS_KV_F32, scales, 2), 0);
    ck_assert(scales[1] == -1.25f);
    const weights_kv_t *kv = weights_find_kv(&w, "ldm.specials");
    ck_assert_ptr_nonnull(kv);
    ck_assert_uint_eq(kv->count, 3);
    ck_assert_str_eq(kv->strs[0], "<bos>");
    ck_assert_str_eq(kv->strs[1], "");
    ck_assert_str_eq(kv->strs[2], "<im_end>");
    ck_assert_int_eq(weights_arr_len(&w, "ldm.empty"), 0);
    ck_assert_int_eq(weights_get_arr(&w, "ldm.empty", WEIGHTS_KV_I32, levels, 0), 0);

    /* Tensors: F32 exact and straight from the mapping, F16/BF16 within their precision and
     * equal to the conversion, integers exact; shapes in C order, ne reversed in the file. */
    ck_assert_int_eq(weights_check_all_used(&w, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "is not used by this build"));
    const float *pa = weights_tensor(&w, "enc.w", 2, (int64_t[]){NA, NB}, err, sizeof err);
    ck_assert_msg(pa != NULL, "%s", err);
    ck_assert(!memcmp(pa, fa, sizeof fa));
    ck_assert((const uint8_t *)pa >= w.data && (const uint8_t *)pa < w.data + w.size);
    ck_assert_uint_eq(((const uint8_t *)pa - w.data) % 64, 0);
    const float *pb = weights_tensor(&w, "enc.b", 1, (int64_t[]){NC}, err, sizeof err);
    ck_assert_msg(pb != NULL, "%s", err);
    for (int i = 0; i < NC; i++) {
        ck_assert(pb[i] == weights_f16_to_f32(weights_f32_to_f16(fb[i])));
        ck_assert(fabsf(pb[i] - fb[i]) <= fabsf(fb[i]) * 0x1p-11f);
    }
    const float *pc = weights_tensor(&w, "dec.w", 4, (int64_t[]){2, 3, 4, 5}, err, sizeof err);
    ck_assert_msg(pc != NULL, "%s", err);
    for (int i = 0; i < 120; i++) ck_assert(pc[i] == weights_bf16_to_f32(weights_f32_to_bf16(fc[i])));
    const weights_tensor_info_t *tc = weights_find_tensor(&w, "dec.w");
    ck_assert_int_eq(tc->dims[0], 2);
    ck_assert_int_eq(tc->dims[3], 5);
    const int8_t *pi = weights_tensor_raw(&w, "codes", WEIGHTS_I8, 1, (int64_t[]){11}, err, sizeof err);
    ck_assert_msg(pi != NULL, "%s", err);
    ck_assert(!memcmp(pi, ia, sizeof ia));
    ck_assert_int_eq(weights_check_all_used(&w, err, sizeof err), -1);
    const void *pt = weights_tensor_raw(&w, "table", WEIGHTS_I32, 2, (int64_t[]){2, 6}, err, sizeof err);
    ck_assert_msg(pt != NULL, "%s", err);
    ck_assert(!memcmp(pt, ib, sizeof ib));
    ck_assert_int_eq(weights_check_all_used(&w, err, sizeof err), 0);

    /* Mismatches say which tensor, what was found, what was expected, and how to regenerate. */
    ck_assert_ptr_null(weights_tensor(&w, "enc.w", 2, (int64_t[]){NB, NA}, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "tensor 'enc.w' has shape [5, 3], this build expects [3, 5]"));
    ck_assert_ptr_nonnull(strstr(err, full_command));
    ck_assert_ptr_null(weights_tensor(&w, "enc.w", 1, (int64_t[]){NA * NB}, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "expects [15]"));
    ck_assert_ptr_null(weights_tensor(&w, "enc.v", 2, (int64_t[]){NA, NB}, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no tensor 'enc.v'"));
    ck_assert_ptr_null(weights_tensor(&w, "codes", 1, (int64_t[]){11}, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "is i8"));
    ck_assert_ptr_null(weights_tensor_raw(&w, "table", WEIGHTS_F32, 2, (int64_t[]){2, 6}, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "is i32, this build expects f32"));
    weights_close(&w);
    weights_close(&w); /* closing twice is harmless */

    /* The writer's output depends only on what was added: same bytes every time. */
    const char *path2 = tmp_path("full2.gguf");
    save_full(path2);
    size_t n1, n2;
    uint8_t *b1 = read_file(path, &n1), *b2 = read_file(path2, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(!memcmp(b1, b2, n1));
    /* The file's ne lists are GGUF order (fastest first): enc.w (5, 3) is stored as ne {3, 5}. */
    const uint8_t *name = memmem(b1, n1, "enc.w", 5);
    ck_assert_ptr_nonnull(name);
    uint32_t nd;
    uint64_t ne[2];
    memcpy(&nd, name + 5, 4);
    memcpy(ne, name + 9, 16);
    ck_assert_uint_eq(nd, 2);
    ck_assert_uint_eq(ne[0], NB);
    ck_assert_uint_eq(ne[1], NA);
    free(b1);
    free(b2);
    rm_tmpdir();
}
END_TEST

/* A buffer that is not 4-byte aligned: F32 tensors are copied, never read misaligned.
 * Saving without a command, or into a missing folder, fails with a message. */
START_TEST(test_unaligned_and_save_errors)
{
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    size_t n;
    uint8_t *p = read_file(path, &n);
    uint8_t *odd = xmalloc(n + 1);
    memcpy(odd + 1, p, n);
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(weights_open_buffer(&w, odd + 1, n, "odd", 0, err, sizeof err) == 0, "%s", err);
    const float *pa = weights_tensor(&w, "enc.w", 2, (int64_t[]){NA, NB}, err, sizeof err);
    ck_assert_msg(pa != NULL, "%s", err);
    ck_assert(!memcmp(pa, fa, sizeof fa));
    ck_assert((const uint8_t *)pa < odd || (const uint8_t *)pa > odd + n);
    weights_close(&w);
    free(odd);
    free(p);

    weights_writer_t *ww = weights_writer_new("idm");
    ck_assert_int_eq(weights_writer_save(ww, tmp_path("x.gguf"), err, sizeof err), -1);
    ASSERT_ERR("no command recorded", err);
    weights_writer_set_command_str(ww, "x");
    ck_assert_int_eq(weights_writer_save(ww, tmp_path("no/such/dir/x.gguf"), err, sizeof err), -1);
    ASSERT_ERR("cannot create", err);
    ck_assert_int_eq(weights_writer_save(ww, tmp_path("x.gguf"), err, sizeof err), 0);
    weights_writer_free(ww);
    rm_tmpdir();
}
END_TEST

/* Loader-tier helpers die with the hint: run them in a child and read its stderr. */
START_TEST(test_need_dies_with_hint)
{
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(weights_open(&w, path, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(weights_need_u32(&w, "ldm.horizon"), 5);
    int32_t lv[6];
    weights_need_arr(&w, "ldm.fsq_levels", WEIGHTS_KV_I32, lv, 6);
    ck_assert_int_eq(lv[3], 5);
    fflush(stderr);
    const char *log = tmp_path("stderr.txt");
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stderr)) _exit(3);
        (void)weights_need_f32(&w, "ldm.horizon");
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    size_t n;
    char *text = (char *)read_file(log, &n);
    text = xrealloc(text, n + 1);
    text[n] = '\0';
    ck_assert_ptr_nonnull(strstr(text, "test_weights.c:"));
    ck_assert_ptr_nonnull(strstr(text, "hyperparameter 'ldm.horizon' is u32, this build needs f32"));
    ck_assert_ptr_nonnull(strstr(text, full_command));
    free(text);
    weights_close(&w);
    rm_tmpdir();
}
END_TEST

/* ---- the committed fixture --------------------------------------------------------- */

static weights_writer_t *make_tiny(void)
{
    weights_writer_t *w = weights_writer_new("idm");
    weights_writer_set_name(w, "videogo test fixture");
    weights_writer_set_command_str(w, FIXTURE_COMMAND);
    weights_writer_kv_u32(w, "idm.board_size", 9);
    weights_writer_kv_u32(w, "idm.hidden", 4);
    weights_writer_kv_f32(w, "idm.dropout", 0.125f);
    weights_writer_kv_arr_i32(w, "idm.fsq_levels", (const int32_t[]){8, 5, 5}, 3);
    float wt[3 * 4], bias[4];
    for (int i = 0; i < 12; i++) wt[i] = (float)(i - 6) / 8.0f;
    for (int i = 0; i < 4; i++) bias[i] = (float)i * 0.25f;
    weights_writer_tensor(w, "fc1.weight", WEIGHTS_F32, 2, (int64_t[]){3, 4}, wt);
    weights_writer_tensor(w, "fc1.bias", WEIGHTS_F16, 1, (int64_t[]){4}, bias);
    return w;
}

static char *fixture_path(void)
{
    static char p[1024];
    const char *src = getenv("VIDEOGO_SRC");
    snprintf(p, sizeof p, "%s/tests/data/model/tiny.gguf", src ? src : ".");
    return p;
}

START_TEST(test_fixture)
{
    weights_t w;
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(weights_open(&w, fixture_path(), err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(w.arch, "idm");
    ck_assert_str_eq(w.command, FIXTURE_COMMAND);
    ck_assert_uint_eq(weights_need_u32(&w, "idm.board_size"), 9);
    const float *wt = weights_tensor(&w, "fc1.weight", 2, (int64_t[]){3, 4}, err, sizeof err);
    ck_assert_msg(wt != NULL, "%s", err);
    ck_assert(wt[0] == -0.75f && wt[11] == 0.625f);
    const float *b = weights_tensor(&w, "fc1.bias", 1, (int64_t[]){4}, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    ck_assert(b[3] == 0.75f);
    weights_close(&w);

    make_tmpdir();
    weights_writer_t *ww = make_tiny();
    ck_assert_int_eq(weights_writer_save(ww, tmp_path("tiny.gguf"), err, sizeof err), 0);
    weights_writer_free(ww);
    size_t n1, n2;
    uint8_t *a = read_file(fixture_path(), &n1), *c = read_file(tmp_path("tiny.gguf"), &n2);
    ck_assert_msg(n1 == n2 && !memcmp(a, c, n1),
                  "the writer no longer reproduces tests/data/model/tiny.gguf byte for byte: if the format "
                  "change is deliberate, bump WEIGHTS_FORMAT_VERSION and regenerate it with: " FIXTURE_COMMAND);
    free(a);
    free(c);
    rm_tmpdir();
}
END_TEST

/* ---- rejection ----------------------------------------------------------------------- */

/* A valid file grown (sparsely) past WEIGHTS_MAX_BYTES is refused with the limit in the message;
 * /dev/zero and a FIFO with no writer are refused without reading or blocking (alarm: a FIFO
 * used to block open() for ever). */
START_TEST(test_size_limit)
{
    alarm(60);
    make_tmpdir();
    char err[WEIGHTS_ERR_LEN];
    const char *big = tmp_path("big.gguf");
    weights_writer_t *ww = make_tiny();
    ck_assert_int_eq(weights_writer_save(ww, big, err, sizeof err), 0);
    weights_writer_free(ww);
    ck_assert_int_eq(truncate(big, (off_t)WEIGHTS_MAX_BYTES + 1), 0);
    weights_t w;
    ck_assert_int_eq(weights_open(&w, big, err, sizeof err), -1);
    ASSERT_ERR("larger than 8 GiB, the weights size limit", err);
    ck_assert_ptr_null(w.data);
    ck_assert_int_eq(truncate(big, (off_t)WEIGHTS_MAX_BYTES), 0); /* at the limit: read (and found padded) */
    ck_assert_int_eq(weights_open(&w, big, err, sizeof err), -1);
    ASSERT_ERR("unexpected bytes after its last tensor", err);

    ck_assert_int_eq(weights_open(&w, "/dev/zero", err, sizeof err), -1);
    ASSERT_ERR("not a regular file", err);
    const char *fifo = tmp_path("fifo.gguf");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(weights_open(&w, fifo, err, sizeof err), -1);
    ASSERT_ERR("not a regular file", err);
    rm_tmpdir();
    alarm(0);
}
END_TEST

static int open_bytes(const uint8_t *p, size_t n, int flags, char *err, size_t errlen)
{
    /* An exact-size heap copy, so ASan sees any read past the end. */
    uint8_t *copy = xmalloc(n);
    memcpy(copy, p, n);
    weights_t w;
    int rc = weights_open_buffer(&w, copy, n, "mem.gguf", flags, err, errlen);
    weights_close(&w);
    free(copy);
    return rc;
}


START_TEST(test_rejects_truncated)
{
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    size_t n;
    uint8_t *p = read_file(path, &n);
    char err[WEIGHTS_ERR_LEN];
    ck_assert_msg(open_bytes(p, n, 0, err, sizeof err) == 0, "%s", err);
    for (size_t len = 0; len < n; len++) {
        ck_assert_msg(open_bytes(p, len, 0, err, sizeof err) == -1, "truncated to %zu bytes accepted", len);
        ck_assert_msg(strstr(err, "truncated") || strstr(err, "impossible in a"), "length %zu: %s", len, err);
    }
    /* A file cut in its data section knows its command, and says so. */
    const char *cut = tmp_path("cut.gguf");
    write_file(cut, p, n - 100);
    weights_t w;
    ck_assert_int_eq(weights_open(&w, cut, err, sizeof err), -1);
    ASSERT_ERR("file is truncated", err);
    ASSERT_ERR("regenerate it with: ", err);
    ASSERT_ERR(full_command, err);
    ASSERT_ERR("cut.gguf", err);
    /* The same with bytes appended. */
    uint8_t *longer = xcalloc(n + 64, 1);
    memcpy(longer, p, n);
    ck_assert_int_eq(open_bytes(longer, n + 64, 0, err, sizeof err), -1);
    ASSERT_ERR("64 unexpected bytes after its last tensor", err);
    free(longer);
    free(p);
    /* Files that are not there, empty or not files at all. */
    ck_assert_int_eq(weights_open(&w, tmp_path("missing.gguf"), err, sizeof err), -1);
    ASSERT_ERR("cannot open", err);
    ASSERT_ERR("weights/README.md", err);
    write_file(tmp_path("empty.gguf"), "", 0);
    ck_assert_int_eq(weights_open(&w, tmp_path("empty.gguf"), err, sizeof err), -1);
    ASSERT_ERR("too short (0 bytes)", err);
    ck_assert_int_eq(weights_open(&w, tmpdir, err, sizeof err), -1);
    ASSERT_ERR("not a regular file", err);
    rm_tmpdir();
}
END_TEST

START_TEST(test_rejects_corrupted)
{
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    size_t n;
    uint8_t *p = read_file(path, &n);
    char err[WEIGHTS_ERR_LEN];
    /* One flipped bit anywhere in the data, in a value or in the padding: checksum. */
    weights_t w0;
    ck_assert_int_eq(weights_open(&w0, path, err, sizeof err), 0);
    const size_t where[] = {n - 1, n - 70, w0.data_start, w0.data_start - 1};
    weights_close(&w0);
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        p[where[i]] ^= 0x10;
        const char *bad = tmp_path("bad.gguf");
        write_file(bad, p, n);
        weights_t w;
        ck_assert_int_eq(weights_open(&w, bad, err, sizeof err), -1);
        ASSERT_ERR("checksum mismatch: file is corrupted; regenerate it with: ", err);
        ASSERT_ERR(full_command, err);
        p[where[i]] ^= 0x10;
    }
    /* A hyperparameter changed in the header: still caught. */
    uint8_t *key = memmem(p, n, "ldm.horizon", 11);
    ck_assert_ptr_nonnull(key);
    key[11 + 4] = 6; /* u32 5 -> 6 */
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("checksum mismatch", err);
    ck_assert_int_eq(open_bytes(p, n, WEIGHTS_OPEN_NO_CHECKSUM, err, sizeof err), 0);
    key[11 + 4] = 5;
    /* The stored digest itself damaged. */
    uint8_t *sha = memmem(p, n, "videogo.sha256", 14);
    ck_assert_ptr_nonnull(sha);
    uint8_t *digit = sha + 14 + 4 + 8;
    uint8_t saved = *digit;
    *digit = saved == 'a' ? 'b' : 'a';
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("checksum mismatch", err);
    *digit = 'G';
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("not 64 lower-case hex digits", err);
    *digit = saved;
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), 0);
    free(p);
    rm_tmpdir();
}
END_TEST

START_TEST(test_rejects_wrong_version_and_magic)
{
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    size_t n;
    uint8_t *p = read_file(path, &n);
    char err[WEIGHTS_ERR_LEN];
    p[4] = 2;
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("unsupported GGUF version 2 (this build reads version 3", err);
    ASSERT_ERR("mem.gguf", err);
    p[4] = 4;
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("unsupported GGUF version 4", err);
    p[4] = 3;
    memcpy(p, "GGML", 4);
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("not a GGUF weights file (magic 'GGML'", err);
    memcpy(p, "FUGG", 4);
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("big-endian", err);
    memcpy(p, "GGUF", 4);
    /* videogo's own format version. */
    uint8_t *key = memmem(p, n, "videogo.format_version", 22);
    ck_assert_ptr_nonnull(key);
    key[22 + 4] = WEIGHTS_FORMAT_VERSION + 1;
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), -1);
    ASSERT_ERR("written by a newer videogo", err);
    ASSERT_ERR(full_command, err);
    key[22 + 4] = WEIGHTS_FORMAT_VERSION;
    ck_assert_int_eq(open_bytes(p, n, 0, err, sizeof err), 0);
    free(p);
    rm_tmpdir();
}
END_TEST

/* A minimal hand-built GGUF (as another tool would write it) with one f32 tensor. */
static size_t build_foreign(uint8_t *out, uint32_t align, uint64_t tensor_offset, uint32_t ggml_type)
{
    size_t k = 0;
#define PUT(p, n) (memcpy(out + k, (p), (n)), k += (n))
    uint32_t u32;
    uint64_t u64;
    PUT("GGUF", 4);
    u32 = 3, PUT(&u32, 4);
    u64 = 1, PUT(&u64, 8);
    u64 = 2, PUT(&u64, 8);
    u64 = 20, PUT(&u64, 8), PUT("general.architecture", 20);
    u32 = WEIGHTS_KV_STR, PUT(&u32, 4);
    u64 = 5, PUT(&u64, 8), PUT("llama", 5);
    u64 = 17, PUT(&u64, 8), PUT("general.alignment", 17);
    u32 = WEIGHTS_KV_U32, PUT(&u32, 4);
    PUT(&align, 4);
    u64 = 1, PUT(&u64, 8), PUT("t", 1);
    u32 = 1, PUT(&u32, 4);
    u64 = 4, PUT(&u64, 8);
    PUT(&ggml_type, 4);
    PUT(&tensor_offset, 8);
    size_t start = (k + align - 1) / align * align;
    memset(out + k, 0, start - k + tensor_offset + align);
    k = start + tensor_offset;
    float v[4] = {1, 2, 3, 4};
    PUT(v, 16);
    k = (k + align - 1) / align * align;
#undef PUT
    return k;
}

START_TEST(test_foreign_gguf)
{
    uint8_t buf[512];
    char err[WEIGHTS_ERR_LEN];
    size_t n = build_foreign(buf, 32, 0, WEIGHTS_F32);
    ck_assert_int_eq(open_bytes(buf, n, 0, err, sizeof err), -1);
    ASSERT_ERR("not a videogo weights file (no videogo.format_version key", err);
    ASSERT_ERR("weights/README.md", err);
    weights_t w;
    ck_assert_msg(weights_open_buffer(&w, buf, n, "foreign", WEIGHTS_OPEN_ANY_GGUF, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(w.arch, "llama");
    ck_assert_uint_eq(w.alignment, 32);
    const float *t = weights_tensor(&w, "t", 1, (int64_t[]){4}, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    ck_assert(t[3] == 4.0f);
    weights_close(&w);
    n = build_foreign(buf, 32, 16, WEIGHTS_F32);
    ck_assert_int_eq(open_bytes(buf, n, WEIGHTS_OPEN_ANY_GGUF, err, sizeof err), -1);
    ASSERT_ERR("offset 16 is not a multiple of the alignment 32", err);
    n = build_foreign(buf, 24, 0, WEIGHTS_F32);
    ck_assert_int_eq(open_bytes(buf, n, WEIGHTS_OPEN_ANY_GGUF, err, sizeof err), -1);
    ASSERT_ERR("general.alignment = 24 is not a power of two", err);
    n = build_foreign(buf, 32, 0, 2 /* Q4_0 */);
    ck_assert_int_eq(open_bytes(buf, n, WEIGHTS_OPEN_ANY_GGUF, err, sizeof err), -1);
    ASSERT_ERR("tensor 't' has ggml type 2, which this build does not read", err);
}
END_TEST

/* ---- fuzzing ----------------------------------------------------------------------- */

/* Read everything an open file offers, the way a loader or `inspect` would. */
static void consume(weights_t *w)
{
    char err[WEIGHTS_ERR_LEN];
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        const weights_tensor_info_t *t = &w->tensors[i];
        volatile float acc = 0;
        if (t->dtype == WEIGHTS_F32 || t->dtype == WEIGHTS_F16 || t->dtype == WEIGHTS_BF16) {
            const float *p = weights_tensor(w, t->name, t->ndim, t->dims, err, sizeof err);
            ck_assert_msg(p != NULL, "%s", err);
            for (uint64_t j = 0; j < t->nelem; j++) acc += p[j];
        } else {
            const uint8_t *p = weights_tensor_raw(w, t->name, t->dtype, t->ndim, t->dims, err, sizeof err);
            ck_assert_msg(p != NULL, "%s", err);
            for (uint64_t j = 0; j < t->nbytes; j++) acc += p[j];
        }
    }
    for (uint64_t i = 0; i < w->n_kv; i++) {
        const weights_kv_t *kv = &w->kvs[i];
        if (kv->type == WEIGHTS_KV_ARR && kv->elem_type != WEIGHTS_KV_STR && kv->count < 4096) {
            uint8_t out[4096 * 8];
            ck_assert_int_eq(weights_get_arr(w, kv->key, kv->elem_type, out, (size_t)kv->count), 0);
        }
        if (kv->type == WEIGHTS_KV_STR) ck_assert_uint_le(strlen(kv->str), w->size);
    }
    (void)weights_check_all_used(w, err, sizeof err);
}

START_TEST(test_fuzz)
{
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    size_t n0;
    uint8_t *orig = read_file(path, &n0);
    rm_tmpdir();
    rng_t r;
    rng_seed(&r, 20250101);
    const uint64_t interesting[] = {0, 1, 2, 3, 4, 7, 8, 63, 64, 65, 255, 0x7fffffff, 0xffffffffu,
                                    0x80000000u, 0x7fffffffffffffffULL, 0xffffffffffffffffULL,
                                    0x8000000000000000ULL, n0, n0 - 1, n0 + 1, n0 / 2};
    const int flagsets[] = {0, WEIGHTS_OPEN_NO_CHECKSUM, WEIGHTS_OPEN_NO_CHECKSUM | WEIGHTS_OPEN_ANY_GGUF};
    int opened[3] = {0, 0, 0}, iters = 10000;
    for (int it = 0; it < iters; it++) {
        size_t n = n0;
        uint8_t *p = xmalloc(n0 + 64);
        memcpy(p, orig, n0);
        int nmut = 1 + (int)rng_below(&r, 3);
        for (int m = 0; m < nmut && n > 0; m++) {
            size_t at = rng_below(&r, (uint32_t)n);
            switch (rng_below(&r, 6)) {
            case 0: p[at] ^= (uint8_t)(1u << rng_below(&r, 8)); break;          /* bit flip */
            case 1: p[at] = (uint8_t)rng_next(&r); break;                       /* random byte */
            case 2: n = at; break;                                               /* truncate */
            case 3: {                                                            /* length field */
                uint64_t v = interesting[rng_below(&r, sizeof interesting / sizeof interesting[0])];
                size_t w = rng_below(&r, 2) ? 8 : 4;
                if (at + w <= n) memcpy(p + at, &v, w);
                break;
            }
            case 4: {                                                            /* in the header */
                size_t hat = rng_below(&r, 400 < n ? 400 : (uint32_t)n);
                uint64_t v = interesting[rng_below(&r, sizeof interesting / sizeof interesting[0])];
                if (hat + 8 <= n) memcpy(p + hat, &v, 8);
                break;
            }
            default: {                                                           /* insert / delete */
                size_t k = 1 + rng_below(&r, 16);
                if (rng_below(&r, 2) && n + k <= n0 + 64) {
                    memmove(p + at + k, p + at, n - at);
                    for (size_t j = 0; j < k; j++) p[at + j] = (uint8_t)rng_next(&r);
                    n += k;
                } else if (at + k <= n) {
                    memmove(p + at, p + at + k, n - at - k);
                    n -= k;
                }
            }
            }
        }
        uint8_t *exact = xmalloc(n ? n : 1);
        memcpy(exact, p, n);
        free(p);
        int fi = (int)rng_below(&r, 3);
        char err[WEIGHTS_ERR_LEN];
        err[0] = '\0';
        weights_t w;
        if (weights_open_buffer(&w, exact, n, "fuzz", flagsets[fi], err, sizeof err) == 0) {
            opened[fi]++;
            consume(&w);
            weights_close(&w);
        } else {
            ck_assert_msg(strncmp(err, "weights file 'fuzz': ", 21) == 0, "odd message: %s", err);
        }
        free(exact);
    }
    /* Truncation at every 7th length, both ways. */
    for (size_t len = 0; len < n0; len += 7) {
        char err[WEIGHTS_ERR_LEN];
        ck_assert_int_eq(open_bytes(orig, len, WEIGHTS_OPEN_NO_CHECKSUM | WEIGHTS_OPEN_ANY_GGUF, err, sizeof err), -1);
    }
    free(orig);
    /* The fuzzer must reach past the parser: with the checksum off, some mutants (data bytes
     * changed) are valid and get read in full. */
    ck_assert_int_gt(opened[1] + opened[2], 50);
    fprintf(stderr, "fuzz: %d mutants, opened: %d checked, %d unchecked, %d any-gguf\n", iters, opened[0],
            opened[1], opened[2]);
}
END_TEST

/* ---- the CLI ----------------------------------------------------------------------- */

static int run_capture(const char *cmd, char **out)
{
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) buf = xrealloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    int status = pclose(f);
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_cli)
{
    const char *bin = getenv("VIDEOGO_BIN");
    if (!bin || access(bin, X_OK) != 0) {
        fprintf(stderr, "test_cli: VIDEOGO_BIN not set or not built; skipped\n");
        return;
    }
    make_tmpdir();
    const char *path = tmp_path("full.gguf");
    save_full(path);
    char cmd[2048], *out, hex[65];
    ck_assert_int_eq(sha256_file_hex(path, hex), 0);
    snprintf(cmd, sizeof cmd, "'%s' weights inspect '%s' 2>&1", bin, path);
    ck_assert_int_eq(run_capture(cmd, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "magic         GGUF"));
    ck_assert_ptr_nonnull(strstr(out, "version       3"));
    ck_assert_ptr_nonnull(strstr(out, "alignment     64"));
    ck_assert_ptr_nonnull(strstr(out, "tensors       5"));
    ck_assert_ptr_nonnull(strstr(out, "ldm.fsq_levels"));
    ck_assert_ptr_nonnull(strstr(out, "[8, 8, 8, 5, 5, 5]"));
    ck_assert_ptr_nonnull(strstr(out, "dec.w"));
    ck_assert_ptr_nonnull(strstr(out, "[2, 3, 4, 5]"));
    ck_assert_ptr_nonnull(strstr(out, hex));
    ck_assert_ptr_nonnull(strstr(out, "validation    OK"));
    free(out);
    /* A device is refused at once (inspect used to hash /dev/zero for ever). */
    snprintf(cmd, sizeof cmd, "timeout 20 '%s' weights inspect /dev/zero 2>&1", bin);
    ck_assert_int_eq(run_capture(cmd, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "not a regular file"));
    free(out);
    /* The digest is the one sha256sum prints. */
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    if (run_capture(cmd, &out) == 0) ck_assert(!strncmp(out, hex, 64));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' weights check '%s' 2>&1", bin, path);
    ck_assert_int_eq(run_capture(cmd, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, ": OK (ldm, 5 tensors"));
    free(out);
    /* A damaged file: inspect still shows the table, both exit 1 and say why. */
    size_t n;
    uint8_t *p = read_file(path, &n);
    p[n - 1] ^= 1;
    write_file(tmp_path("bad.gguf"), p, n);
    free(p);
    snprintf(cmd, sizeof cmd, "'%s' weights inspect '%s' 2>&1", bin, tmp_path("bad.gguf"));
    ck_assert_int_eq(run_capture(cmd, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "enc.w"));
    ck_assert_ptr_nonnull(strstr(out, "validation    FAILED"));
    ck_assert_ptr_nonnull(strstr(out, "checksum mismatch"));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' weights check '%s' '%s' 2>&1", bin, path, tmp_path("bad.gguf"));
    ck_assert_int_eq(run_capture(cmd, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "FAILED: weights file"));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' weights --help 2>&1", bin);
    ck_assert_int_eq(run_capture(cmd, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "videogo weights inspect FILE"));
    free(out);
    rm_tmpdir();
}
END_TEST

static Suite *weights_suite(void)
{
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sha256_vectors);
    tcase_add_test(tc, test_sha256_pieces);
    tcase_add_test(tc, test_f16_conversions);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_unaligned_and_save_errors);
    tcase_add_test(tc, test_need_dies_with_hint);
    tcase_add_test(tc, test_fixture);
    tcase_add_test(tc, test_rejects_truncated);
    tcase_add_test(tc, test_rejects_corrupted);
    tcase_add_test(tc, test_rejects_wrong_version_and_magic);
    tcase_add_test(tc, test_foreign_gguf);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_fuzz);
    tcase_add_test(tc, test_cli);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *fixture = getenv("VIDEOGO_WRITE_FIXTURE");
    if (fixture) {
        char err[WEIGHTS_ERR_LEN];
        weights_writer_t *w = make_tiny();
        if (weights_writer_save(w, fixture, err, sizeof err)) die("%s", err);
        weights_writer_free(w);
        printf("wrote %s\n", fixture);
        return 0;
    }
    SRunner *sr = srunner_create(weights_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
