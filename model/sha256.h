/* sha256.h: SHA-256 (FIPS 180-4), written for videogo so that the weights format and
 * `videogo weights inspect` need no crypto library. Incremental: init, update any number
 * of times, final. The context is a plain value owned by the caller; nothing is allocated.
 * Not constant-time and not meant for secrets: it checks file integrity.
 * Named model_sha256_* because render/ has its own sha256_* (dataset shard hashes) and both
 * libraries link into one program; model/ may not depend on render/ (build layering). */
#ifndef VIDEOGO_MODEL_SHA256_H
#define VIDEOGO_MODEL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define MODEL_SHA256_DIGEST_BYTES 32
#define MODEL_SHA256_HEX_CHARS 64

typedef struct {
    uint32_t h[8];      /* chaining state */
    uint64_t nbytes;    /* message length so far */
    uint8_t buf[64];    /* partial block */
    size_t nbuf;        /* bytes in buf, < 64 */
} model_sha256_t;

void model_sha256_init(model_sha256_t *s);
void model_sha256_update(model_sha256_t *s, const void *data, size_t n);
void model_sha256_final(model_sha256_t *s, uint8_t out[MODEL_SHA256_DIGEST_BYTES]);

/* One-shot digest of a buffer. */
void model_sha256(const void *data, size_t n, uint8_t out[MODEL_SHA256_DIGEST_BYTES]);

/* Lower-case hex of a digest into hex (MODEL_SHA256_HEX_CHARS + 1 bytes, NUL-terminated). */
void model_sha256_hex(const uint8_t digest[MODEL_SHA256_DIGEST_BYTES], char hex[MODEL_SHA256_HEX_CHARS + 1]);

/* Digest of a whole file as hex; 0 on success, -1 (errno set) if it cannot be read. */
int model_sha256_file_hex(const char *path, char hex[MODEL_SHA256_HEX_CHARS + 1]);

#endif
