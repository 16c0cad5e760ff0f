/* sha256.h: SHA-256 (FIPS 180-4), written for videogo so that weights, shards and
 * evaluation records need no crypto library. Incremental: init, update any number
 * of times, final. The context is a plain value owned by the caller; nothing is allocated.
 * Not constant-time and not meant for secrets: it checks file integrity.
 * It lives in engine/, the bottom layer, so the weights format (model/), the shard headers
 * (render/) and evaluation records (eval/) share this one copy. */
#ifndef VIDEOGO_SHA256_H
#define VIDEOGO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_BYTES 32
#define SHA256_HEX_CHARS 64

typedef struct {
    uint32_t h[8];      /* chaining state */
    uint64_t nbytes;    /* message length so far */
    uint8_t buf[64];    /* partial block */
    size_t nbuf;        /* bytes in buf, < 64 */
} sha256_t;

void sha256_init(sha256_t *s);
void sha256_update(sha256_t *s, const void *data, size_t n);
void sha256_final(sha256_t *s, uint8_t out[SHA256_DIGEST_BYTES]);

/* One-shot digest of a buffer. */
void sha256(const void *data, size_t n, uint8_t out[SHA256_DIGEST_BYTES]);

/* Lower-case hex of a digest into hex (SHA256_HEX_CHARS + 1 bytes, NUL-terminated). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_BYTES], char hex[SHA256_HEX_CHARS + 1]);

/* Digest of a whole file as hex; 0 on success, -1 (errno set) if it cannot be read. */
int sha256_file_hex(const char *path, char hex[SHA256_HEX_CHARS + 1]);

#endif
