/* tiny_policy.h: writes randomly initialised TINY networks for the learned player's tests:
 * DIR/tokenizer-9x9.gguf (tokenizer "tiny": 32-px frames, 16 tokens, FSQ [8,5,5,5]),
 * DIR/ar-9x9.gguf (transformer "tiny" over those codes, H LDM codes of [8,5,5,5]; H = 0 is
 * the video-only baseline, which then also gets DIR/ldm-9x9.gguf, an LDM "tiny" of horizon 5
 * at 32 px, for the IDM's codes) and DIR/idm-9x9.gguf (IDM "tiny" reading 32-px frames), with
 * the tokenizer's and the LDM's SHA-256 recorded in the transformer and the IDM as the
 * trainers record them. ldm_sha256 names the LDM they claim (64 hex digits; when NULL, the
 * hash of DIR/ldm-9x9.gguf if it exists, else a fake one). Dies on I/O errors. */
#ifndef VIDEOGO_TESTS_TINY_POLICY_H
#define VIDEOGO_TESTS_TINY_POLICY_H

#include <stdint.h>

void tiny_policy_write(const char *dir, int horizon, uint64_t seed, const char *ldm_sha256);
/* The same with the networks of another preset ("cpu": the shipped sizes, for timings), and
 * optionally a real tokenizer file copied in instead of a random one. */
void tiny_policy_write_preset(const char *dir, int horizon, uint64_t seed, const char *ldm_sha256, const char *preset,
                              const char *tokenizer_file);

#endif
