/* policy.h: the learned move chooser (DESIGN.md sections 1, 6 and 8): a position becomes
 * a frame, the frame becomes tokenizer codes, the transformer imagines K futures (LDM codes
 * z^ and the tokens of the next frame x^_{t+1}), the tokenizer decodes x^_{t+1}, and the
 * IDM reads the move from (x_t, x^_{t+1}, z^). Its 82 softmax probabilities (81 points of
 * 9x9, row-major from the top-left, then pass), averaged over the K futures, are the
 * policy's distribution. The futures (top_codes, the default, for a transformer with LDM
 * codes): the K likeliest first codes z^1, each continued greedily, each weighted by its
 * probability, so the average marginalizes the move over the codes; deterministic. Else
 * (top_codes off): K futures sampled at the configured temperature, weighted equally. A
 * video-only transformer's top futures are the K likeliest first changes of x_{t+1}
 * (ar_imagine_changes). With cfg.symmetries S > 1 all of this runs on the position under
 * each of the first S board symmetries and the distributions, mapped back, are averaged.
 *
 * Two ways to choose from it:
 *   - paper mode (policy_paper_move; `videogo eval gobench`): the argmax of the distribution
 *     over the policy's max_rollouts (K) futures: with top codes the K likeliest codes, else
 *     (video only, or sampling) K sampled futures voting; an illegal move is followed by the
 *     distribution's next move, up to POLICY_PAPER_RETRIES times. With K = 1 and no top codes:
 *     one rollout sampled at the configured temperature (1 by default), the IDM's argmax; an
 *     illegal move (occupied, suicide, positional superko) is retried with a fresh rollout up
 *     to POLICY_PAPER_RETRIES times, and the last move is returned even when it is illegal.
 *     No legality masking of the distribution: DESIGN.md section 6's raw figures.
 *   - play mode (player/learned.h, policy_player_new; GTP and matches): the argmax of the
 *     K-rollout average over the moves that are legal and do not fill the mover's own true
 *     eye, with the pass, clean-up and resignation rules written out there. Never an illegal
 *     move.
 *
 * Files (weights/README.md): the tokenizer, the transformer ("ar") and the IDM weights. The
 * transformer and the IDM record the SHA-256 of the tokenizer and of the LDM they were
 * trained with; policy_load refuses a tokenizer whose hash differs and an IDM and a
 * transformer that name different LDMs. The LDM itself is not needed to play: the transformer
 * imagines its codes. Only a video-only transformer (H = 0) loads the LDM, to encode the
 * imagined window (x_t, x^_{t+1}, x^_{t+1}, ...) for the IDM; that LDM must then be the one
 * the IDM records. A recorded hash may be either the file's own `videogo.sha256` key or the
 * SHA-256 of the whole file (sha256sum); both are accepted.
 *
 * Ownership: a policy_t owns its three networks, its renderer and its buffers, allocated
 * once in policy_load (nothing is allocated per move except by the players' analysis
 * output). One thread at a time. A player made by policy_player_new (player/learned.h) owns
 * its policy.
 */
#ifndef VIDEOGO_MODEL_POLICY_H
#define VIDEOGO_MODEL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/game.h"
#include "engine/util.h"
#include "kernels/backend.h"

#define POLICY_MOVES 82          /* 81 points of 9x9 + pass: the IDM's output */
#define POLICY_PASS_INDEX 81     /* index of the pass in a distribution */
#define POLICY_MAX_ROLLOUTS 64   /* K at most */
#define POLICY_DEFAULT_ROLLOUTS 8
#define POLICY_PAPER_RETRIES 10  /* paper mode: fresh rollouts after an illegal move */
#define POLICY_PATH_MAX 4096

/* Default file names inside a weights directory. */
#define POLICY_TOKENIZER_FILE "tokenizer-9x9.gguf"
#define POLICY_AR_FILE "ar-9x9.gguf"
#define POLICY_IDM_FILE "idm-9x9.gguf"
#define POLICY_LDM_FILE "ldm-9x9.gguf"

/* Environment variable that overrides the compiled-in weights directory. */
#define POLICY_WEIGHTS_ENV "VIDEOGO_WEIGHTS_DIR"

typedef struct {
    char tokenizer_path[POLICY_PATH_MAX];
    char ar_path[POLICY_PATH_MAX];
    char idm_path[POLICY_PATH_MAX];
    char ldm_path[POLICY_PATH_MAX];  /* optional ("" or a missing file: not checked) */
    int max_rollouts;    /* K the networks are sized for (1..POLICY_MAX_ROLLOUTS) */
    float temperature;   /* transformer sampling temperature (<= 0: greedy) */
    int top_k;           /* 0: all */
    float top_p;         /* 1: all */
    const backend_t *be; /* NULL: the CPU backend */
    bool top_codes;        /* transformers with LDM codes: the K futures are the K likeliest
                              first codes z^1, each continued greedily and weighted by its
                              probability (deterministic; default); false: K samples under
                              temperature / top-k / top-p, weighted equally */
    int symmetries;        /* 1 (default): the position as it is; S in 2..8: the distribution is
                              the mean over the first S board symmetries (render/sym.h) of the
                              networks' distribution of the transformed position, mapped back
                              (test-time augmentation: S times the work) */
    bool codes_from_frame; /* the IDM reads the LDM's codes of the imagined window (x_t,
                              x^_{t+1}, x^_{t+1}, ...) instead of the codes the transformer
                              imagined (needs ldm_path); a video-only transformer always does */
} policy_config_t;

/* Defaults: the files of policy_default_weights_dir(), K = POLICY_DEFAULT_ROLLOUTS,
 * temperature 1, no top-k/top-p, one symmetry, CPU. */
void policy_config_default(policy_config_t *cfg);

/* The directory of the shipped weights: $VIDEOGO_WEIGHTS_DIR when set and not empty, else
 * the source tree's weights/ (a path meson compiles in). Static string. */
const char *policy_default_weights_dir(void);

/* Sets the four paths to DIR/<default file names>. */
void policy_config_set_dir(policy_config_t *cfg, const char *dir);

/* The IDM that goes with a transformer file: the same folder and name with a leading
 * "ar-" replaced by "idm-" (weights/ar-9x9-video-only.gguf -> weights/idm-9x9-video-only.gguf)
 * when that file exists, else the folder's idm-9x9.gguf. Writes into out (outlen bytes). */
void policy_idm_for_ar(const char *ar_path, char *out, size_t outlen);

/* Sets cfg's paths for a transformer file or a weights folder: a folder gives its four
 * default names; a file is the transformer, and the tokenizer, IDM (policy_idm_for_ar) and
 * LDM are taken from its folder when there, else from fallback_dir (NULL: the default
 * weights folder), so `--weights runs/x/ar-9x9.gguf` finds the shipped tokenizer and IDM. */
void policy_config_for(policy_config_t *cfg, const char *ar_or_dir, const char *fallback_dir);

/* True when the tokenizer, transformer and IDM files of cfg all exist; otherwise false
 * with the missing ones named in msg. */
bool policy_files_exist(const policy_config_t *cfg, char *msg, size_t msglen);

typedef struct policy policy_t;

/* Loads the networks and checks the recorded hashes. NULL with a message in err when a
 * file is missing, is not the right kind of weights file, or the hashes or shapes
 * disagree. (A file that passes those checks but is damaged inside still makes the
 * network's own loader die with its hint: loading is start-up, not GTP input.) */
policy_t *policy_load(const policy_config_t *cfg, char *err, size_t errlen);
void policy_free(policy_t *p);

int policy_board_size(const policy_t *p);   /* board the networks were trained on (9) */
int policy_horizon(const policy_t *p);      /* H of the LDM codes; 0 = video-only transformer */
int policy_frame_px(const policy_t *p);     /* frame side the tokenizer reads */
const policy_config_t *policy_config(const policy_t *p);
/* One line describing the loaded files ("tokenizer ..., ar ... (H=5), idm ..."). */
const char *policy_describe(const policy_t *p);
int policy_max_rollouts(const policy_t *p); /* K the networks are sized for (cfg.max_rollouts) */

/* The raw distribution for board b with `color` to move: probs[POLICY_MOVES] is the mean
 * over K rollouts (1..max_rollouts) of the IDM's softmax. rng drives the transformer's
 * sampling (the result is a function of b, color, K and rng's state). Returns 0, or -1
 * when b's size is not policy_board_size() or color is not a colour. */
int policy_distribution(policy_t *p, const board_t *b, stone_t color, int K, rng_t *rng, float *probs);

/* Wall seconds spent in each stage since the last reset, summed over calls (for
 * `videogo bench genmove`). */
typedef struct {
    double render_encode;   /* frame + tokenizer_encode */
    double transformer;     /* ar_imagine (all K rollouts) */
    double decode;          /* tokenizer_decode of the K imagined frames */
    double idm;             /* LDM codes (video-only transformer) + idm_logits */
    long calls;             /* pipeline runs */
} policy_timing_t;
const policy_timing_t *policy_timing(const policy_t *p);
void policy_timing_reset(policy_t *p);

/* What the transformer imagined for one position, for display (GTP, PNG files). */
typedef struct {
    int px, k, horizon;       /* frame side, rollouts, H of the codes the IDM read */
    uint8_t *frame_t;         /* [px*px*3] the frame x_t of the position */
    uint8_t *frames_next;     /* [k][px*px*3] decoded x^_{t+1} of each rollout */
    int *ldm;                 /* [k][horizon] the LDM codes the IDM read: z^ as the transformer
                                 imagined it (or, video-only transformer, the LDM's codes of
                                 the window x_t, x^_{t+1}, x^_{t+1}, ...) */
    int *move;                /* [k] the IDM's argmax per rollout (point or VERTEX_PASS) */
    float *move_prob;         /* [k] its probability */
    float probs[POLICY_MOVES];/* mean of the k softmaxes (as policy_distribution) */
} policy_imagined_t;

/* As policy_distribution, keeping the frames. out is filled (and owns malloc'd buffers;
 * release with policy_imagined_free). Returns 0 or -1 as policy_distribution. */
int policy_imagine(policy_t *p, const board_t *b, stone_t color, int K, rng_t *rng, policy_imagined_t *out);
void policy_imagined_free(policy_imagined_t *im);

/* Paper mode (see the top of this file); with a greedy transformer (temperature <= 0) a retry
 * would give the same move, so there is none. *point gets the move (a point, VERTEX_PASS, or an
 * illegal point when every try was illegal); *tries (may be NULL) the rollouts used.
 * Returns 0, or -1 when the board size is not the model's. */
int policy_paper_move(policy_t *p, const game_t *g, stone_t color, rng_t *rng, int *point, int *tries);

/* Converts between a distribution index (0..80, 81 = pass) and an engine point on a
 * 9x9 board: the same row-major order from the top-left. */
static inline int policy_index_to_point(int i) { return i == POLICY_PASS_INDEX ? VERTEX_PASS : i; }
static inline int policy_point_to_index(int p) { return p == VERTEX_PASS ? POLICY_PASS_INDEX : p; }

#endif
