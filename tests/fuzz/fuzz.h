/* fuzz.h: what the harnesses in tests/fuzz share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput, the libFuzzer entry point: one input,
 * any bytes, must never crash, leak, hang or trip a sanitizer, and every property the harness
 * checks with FUZZ_CHECK must hold. The same file links with libFuzzer's main in a clang
 * -Dfuzz=enabled build (dev/fuzz.sh) and with replay.c's main in every other build, where the
 * seed corpus (tests/fuzz/corpus/<target>) and the kept crash inputs (tests/data/fuzz/<target>)
 * run as the fuzz-<target> test.
 */
#ifndef VIDEOGO_FUZZ_H
#define VIDEOGO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the code under test: abort (a crash libFuzzer records) when it fails. */
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#endif
