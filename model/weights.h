/* weights.h: videogo's weights file (DESIGN.md section 4): a GGUF v3 container.
 *
 * Layout (all little-endian; GGUF v3 as documented by ggml's docs/gguf.md):
 *
 *   u32 magic "GGUF", u32 version = 3, u64 tensor_count, u64 kv_count
 *   kv_count x { string key, u32 value_type, value }       (typed hyperparameters)
 *   tensor_count x { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset }
 *   zero padding to `general.alignment` (64 here)
 *   data: each tensor at data_start + offset, offsets multiples of the alignment, each
 *         tensor zero-padded to the alignment; the file ends right after the last padding.
 *   (string = u64 length + bytes, no NUL; array = u32 elem_type + u64 count + elements)
 *
 * Shapes: this API takes and returns shapes in C order, slowest-varying first, like the shape
 * comments in the kernels (`wq (C, 3*C)` is dims {C, 3*C}, element [i][j] at i*3*C + j).
 * GGUF lists ne[0] fastest-varying first, so the file stores the dims reversed
 * (ne = {3*C, C}); a GGUF viewer shows them that way and numpy's reshape(ne[::-1]) gives
 * back our array.
 *
 * Keys every videogo file carries (the writer adds them):
 *   general.architecture   string  tokenizer | ldm | transformer | idm | checkpoint | ...
 *   general.name           string  optional, a human name for the file
 *   general.alignment      u32     64
 *   videogo.format_version u32     WEIGHTS_FORMAT_VERSION
 *   videogo.command        string  the exact command line that produced the file
 *   videogo.sha256         string  64 lower-case hex digits: SHA-256 of the whole file with
 *                                  these 64 characters replaced by ASCII '0' (so the header,
 *                                  hyperparameters and data are all covered); it is the last KV.
 * plus each net's hyperparameters under `<arch>.*`.
 *
 * The reader maps the file and validates everything before it returns: magic, version,
 * counts bounded by the file size, every string length, key and value types, no duplicate
 * keys or tensor names, each tensor's name, dtype, rank and shape, offsets aligned, inside
 * the file and not overlapping, the exact file length, the required keys and the checksum.
 * Errors say what is wrong and how to regenerate the file (the command in videogo.command).
 * The reader does not exit on a bad file: it returns -1 with a message, so a program decides
 * (its allocations are bounded by the file size; only running out of memory dies, in xmalloc).
 * The weights_need_* helpers are the loader tier: they die with file:line and that hint.
 *
 * Hosts: little-endian only (checked at compile time). */
#ifndef VIDEOGO_WEIGHTS_H
#define VIDEOGO_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEIGHTS_GGUF_VERSION 3
#define WEIGHTS_FORMAT_VERSION 1     /* videogo.format_version: bump when key meanings change */
#define WEIGHTS_ALIGNMENT 64         /* what the writer uses; the reader accepts any power of 2 >= 8 */
#define WEIGHTS_MAX_DIMS 4           /* GGML_MAX_DIMS */
#define WEIGHTS_MAX_NAME 64          /* longest tensor name in bytes (GGUF limit) */
#define WEIGHTS_MAX_KEY 65535        /* longest key in bytes (GGUF limit) */
#define WEIGHTS_MAX_TENSORS 65536    /* sanity bounds far above any videogo net */
#define WEIGHTS_MAX_KVS 65536
#define WEIGHTS_ERR_LEN 1024         /* a comfortable size for the err buffers below */
/* Largest file weights_open (and so checkpoint_open) accepts: 8 GiB, a checkpoint (values and
 * two AdamW moments) of 700M f32 parameters; the shipped files are under 40 MB. Checked before
 * the file is mapped, so a huge or sparse file costs nothing. */
#define WEIGHTS_MAX_BYTES (8ULL << 30)

/* Tensor element types: the ggml type numbers, the subset videogo reads and writes. */
typedef enum {
    WEIGHTS_F32 = 0,
    WEIGHTS_F16 = 1,
    WEIGHTS_I8 = 24,
    WEIGHTS_I32 = 26,
    WEIGHTS_BF16 = 30,
} weights_dtype_t;

/* Key/value types: the GGUF metadata value type numbers. */
typedef enum {
    WEIGHTS_KV_U8 = 0,
    WEIGHTS_KV_I8 = 1,
    WEIGHTS_KV_U16 = 2,
    WEIGHTS_KV_I16 = 3,
    WEIGHTS_KV_U32 = 4,
    WEIGHTS_KV_I32 = 5,
    WEIGHTS_KV_F32 = 6,
    WEIGHTS_KV_BOOL = 7,
    WEIGHTS_KV_STR = 8,
    WEIGHTS_KV_ARR = 9,
    WEIGHTS_KV_U64 = 10,
    WEIGHTS_KV_I64 = 11,
    WEIGHTS_KV_F64 = 12,
} weights_kv_type_t;

const char *weights_dtype_name(weights_dtype_t t);   /* "f32", ...; "?" if unknown */
size_t weights_dtype_size(weights_dtype_t t);         /* bytes per element; 0 if unknown */
const char *weights_kv_type_name(weights_kv_type_t t); /* "u32", "str", "arr", ...; "?" */

/* IEEE half and bfloat16 conversions (round to nearest even; NaN stays NaN). */
float weights_f16_to_f32(uint16_t h);
uint16_t weights_f32_to_f16(float f);
float weights_bf16_to_f32(uint16_t h);
uint16_t weights_f32_to_bf16(float f);

/* ---- writer ------------------------------------------------------------------------ */

/* Collects keys and tensors in memory (copies of everything: the caller's buffers can be
 * freed right after each call) and writes the file in one go. Misuse (duplicate key or tensor
 * name, bad rank or shape, a name too long) is a programming error and dies. */
typedef struct weights_writer weights_writer_t;

weights_writer_t *weights_writer_new(const char *arch);
void weights_writer_free(weights_writer_t *w);

/* videogo.command: the exact command line, argv joined with POSIX shell quoting where needed.
 * Required before save. set_command_str stores a string as given. */
void weights_writer_set_command(weights_writer_t *w, int argc, char *const *argv);
void weights_writer_set_command_str(weights_writer_t *w, const char *command);
void weights_writer_set_name(weights_writer_t *w, const char *name);  /* general.name */

void weights_writer_kv_u32(weights_writer_t *w, const char *key, uint32_t v);
void weights_writer_kv_i32(weights_writer_t *w, const char *key, int32_t v);
void weights_writer_kv_u64(weights_writer_t *w, const char *key, uint64_t v);
void weights_writer_kv_f32(weights_writer_t *w, const char *key, float v);
void weights_writer_kv_f64(weights_writer_t *w, const char *key, double v);
void weights_writer_kv_bool(weights_writer_t *w, const char *key, bool v);
void weights_writer_kv_str(weights_writer_t *w, const char *key, const char *v);
void weights_writer_kv_arr_i32(weights_writer_t *w, const char *key, const int32_t *v, size_t n);
void weights_writer_kv_arr_u64(weights_writer_t *w, const char *key, const uint64_t *v, size_t n);
void weights_writer_kv_arr_f32(weights_writer_t *w, const char *key, const float *v, size_t n);
void weights_writer_kv_arr_str(weights_writer_t *w, const char *key, const char *const *v, size_t n);

/* A tensor of shape dims[0..ndim-1] (C order, see above) from floats, stored as dtype
 * F32, F16 or BF16 (converted here). */
void weights_writer_tensor(weights_writer_t *w, const char *name, weights_dtype_t dtype, int ndim,
                           const int64_t *dims, const float *data);
/* A tensor of any supported dtype from raw little-endian elements of that dtype. */
void weights_writer_tensor_raw(weights_writer_t *w, const char *name, weights_dtype_t dtype, int ndim,
                               const int64_t *dims, const void *data);

/* Write the file atomically (PATH.tmp.PID, fsync, rename). 0 on success; -1 with a message
 * in err (I/O errors, missing command). The writer stays usable (save twice = same bytes:
 * the output depends only on what was added, in the order it was added). */
int weights_writer_save(weights_writer_t *w, const char *path, char *err, size_t errlen);

/* ---- reader ------------------------------------------------------------------------ */

/* One key/value pair as parsed. Scalars are widened into `v`; strings and string arrays are
 * owned NUL-terminated copies; numeric arrays point into the file (little-endian, possibly
 * unaligned: read them through weights_get_arr). Read-only for callers. */
typedef struct {
    char *key;
    weights_kv_type_t type;
    weights_kv_type_t elem_type; /* arrays only */
    uint64_t count;              /* arrays: number of elements; otherwise 1 */
    union {
        uint64_t u;              /* U8, U16, U32, U64, BOOL */
        int64_t i;               /* I8, I16, I32, I64 */
        double f;                /* F32, F64 (F32 widened exactly) */
    } v;
    char *str;                   /* STR */
    char **strs;                 /* ARR of STR: count owned strings */
    const uint8_t *arr;          /* ARR of numbers: count * element size bytes in the file */
    size_t value_offset;         /* file offset of the value (of the bytes, for strings) */
} weights_kv_t;

/* One tensor as described in the file. Read-only for callers. */
typedef struct {
    char *name;
    weights_dtype_t dtype;
    int ndim;
    int64_t dims[WEIGHTS_MAX_DIMS]; /* C order, slowest first (the file's ne reversed) */
    uint64_t nelem;
    uint64_t offset;               /* from the start of the data section */
    uint64_t nbytes;               /* nelem * dtype size, without padding */
    float *owned;                  /* converted floats (F16/BF16 or unaligned F32), freed by close */
    bool used;                     /* fetched through weights_tensor*; see weights_check_all_used */
} weights_tensor_info_t;

/* An open weights file. Everything points into the mapping or is owned; weights_close frees
 * it all and invalidates every pointer handed out. Read-only for callers. weights_tensor
 * caches conversions in it, so one weights_t is not for concurrent loaders (load first, then
 * share the floats). */
typedef struct {
    char *path;
    const uint8_t *data;          /* the whole file */
    size_t size;
    bool mapped;                  /* data is an mmap (else a caller buffer, not owned) */
    uint32_t version;
    uint32_t alignment;
    uint64_t n_kv;
    weights_kv_t *kvs;            /* in file order */
    uint64_t n_tensors;
    weights_tensor_info_t *tensors; /* in file order */
    size_t data_start;            /* file offset of the data section */
    uint32_t *by_name;            /* tensor indices sorted by name (lookups) */
    const char *arch;             /* general.architecture, or NULL (WEIGHTS_OPEN_ANY_GGUF) */
    const char *command;          /* videogo.command, or NULL */
} weights_t;

/* weights_open flags. The defaults validate everything; these exist for inspection tools
 * and tests. */
enum {
    WEIGHTS_OPEN_NO_CHECKSUM = 1, /* skip the SHA-256 pass (structure is still validated) */
    WEIGHTS_OPEN_ANY_GGUF = 2,    /* don't require the videogo.* keys */
};

/* Map and validate PATH. 0 on success; -1 with a message in err, *w zeroed (closing it is
 * then harmless). Never exits, never reads outside the file whatever its bytes are. */
int weights_open(weights_t *w, const char *path, char *err, size_t errlen);
int weights_open_flags(weights_t *w, const char *path, int flags, char *err, size_t errlen);
/* Same over a caller buffer (not copied: it must outlive *w). label names it in messages. */
int weights_open_buffer(weights_t *w, const void *buf, size_t size, const char *label, int flags,
                        char *err, size_t errlen);
void weights_close(weights_t *w);

/* What to tell a user whose file is bad: "regenerate it with: <videogo.command>" or, when
 * the command is unknown, a pointer to weights/README.md. Static or owned by w. */
const char *weights_regen_hint(const weights_t *w);

/* Keys. find returns NULL if absent. The get functions return 0, or -1 if the key is absent
 * or has another type (no conversions: a u32 is read as a u32). */
const weights_kv_t *weights_find_kv(const weights_t *w, const char *key);
int weights_get_u32(const weights_t *w, const char *key, uint32_t *out);
int weights_get_i32(const weights_t *w, const char *key, int32_t *out);
int weights_get_u64(const weights_t *w, const char *key, uint64_t *out);
int weights_get_f32(const weights_t *w, const char *key, float *out);
int weights_get_f64(const weights_t *w, const char *key, double *out);
int weights_get_bool(const weights_t *w, const char *key, bool *out);
int weights_get_str(const weights_t *w, const char *key, const char **out); /* owned by w */
/* Array of numbers of element type elem with exactly n elements, copied into out. */
int weights_get_arr(const weights_t *w, const char *key, weights_kv_type_t elem, void *out, size_t n);
/* Element count of an array key, or -1 if absent / not an array. */
int64_t weights_arr_len(const weights_t *w, const char *key);

/* Loader tier: the value, or die (with the caller's file:line) naming the weights file, the
 * key, what was found instead and how to regenerate the file. */
uint32_t weights_need_u32_at(const char *file, int line, const weights_t *w, const char *key);
int32_t weights_need_i32_at(const char *file, int line, const weights_t *w, const char *key);
uint64_t weights_need_u64_at(const char *file, int line, const weights_t *w, const char *key);
float weights_need_f32_at(const char *file, int line, const weights_t *w, const char *key);
const char *weights_need_str_at(const char *file, int line, const weights_t *w, const char *key);
void weights_need_arr_at(const char *file, int line, const weights_t *w, const char *key,
                         weights_kv_type_t elem, void *out, size_t n);
#define weights_need_u32(w, key) weights_need_u32_at(__FILE__, __LINE__, (w), (key))
#define weights_need_i32(w, key) weights_need_i32_at(__FILE__, __LINE__, (w), (key))
#define weights_need_u64(w, key) weights_need_u64_at(__FILE__, __LINE__, (w), (key))
#define weights_need_f32(w, key) weights_need_f32_at(__FILE__, __LINE__, (w), (key))
#define weights_need_str(w, key) weights_need_str_at(__FILE__, __LINE__, (w), (key))
#define weights_need_arr(w, key, elem, out, n) \
    weights_need_arr_at(__FILE__, __LINE__, (w), (key), (elem), (out), (n))

/* Tensors. find returns NULL if absent. weights_tensor checks that NAME exists with rank
 * ndim and shape dims (C order) and a float dtype, and returns its ndim..product floats:
 * straight from the mapping for F32, converted into a buffer owned by w for F16/BF16.
 * NULL with a message (which tensor, what shape was found, what was expected, the hint). */
const weights_tensor_info_t *weights_find_tensor(const weights_t *w, const char *name);
const float *weights_tensor(weights_t *w, const char *name, int ndim, const int64_t *dims, char *err,
                            size_t errlen);
/* Same for an exact dtype, returning the raw little-endian elements (e.g. I8, I32). */
const void *weights_tensor_raw(weights_t *w, const char *name, weights_dtype_t dtype, int ndim,
                               const int64_t *dims, char *err, size_t errlen);
const float *weights_need_tensor_at(const char *file, int line, weights_t *w, const char *name, int ndim,
                                    const int64_t *dims);
#define weights_need_tensor(w, name, ndim, dims) \
    weights_need_tensor_at(__FILE__, __LINE__, (w), (name), (ndim), (dims))
/* -1 with a message naming a tensor the loader never asked for (a file for another build). */
int weights_check_all_used(const weights_t *w, char *err, size_t errlen);

#endif
