/* idm.h: the inverse dynamics model (DESIGN.md section 3): from the frame x_t, an imagined next
 * frame x^_{t+1} and the H imagined LDM codes z_t, 82 move logits (81 points row-major from the
 * top-left, p = row*9 + col as engine/, then pass). The only net that ever sees move labels, and
 * only those of a fixed, hash-chosen fraction of the training positions (idm_labels_t below).
 *
 * Input features (IN = 3Q + H*sum(levels), Q = N*N*3):
 *   [0, Q)      the intersection-disc mean colours of x_t (render_disc_pooling: per point and
 *               channel, the mean of the pixels within 3/4 of the stone radius), v/127.5 - 1
 *   [Q, 2Q)     the same of x^_{t+1}
 *   [2Q, 3Q)    their difference, (next - t)/127.5
 *   [3Q, IN)    the H codes as one-hot FSQ digits: code h, digit d (levels [8,5,5,5] on the LDM's
 *               cpu preset, dimension 0 least significant as kernels/fsq.c), 23 floats per code
 * then  fc1 (IN -> W) -> GELU -> fc2 (W -> W) -> GELU -> out (W -> V = N*N + 1); softmax
 * cross-entropy; AdamW. W = 512 on the cpu preset: IN = 729 + 115 = 844, 0.74M parameters.
 *
 * Why pooled pixels and no learned feature extractor: the pooling is a fixed linear function of
 * the frame (its geometry only, no board, no label), so the IDM still reads pixels, but the
 * question "where did a stone appear" is then nearly linear in its input: a move changes one
 * disc (about 1% of a frame's pixels), and a learned convolutional front end would first have to
 * find those pixels from a few thousand labels. With pooled discs the labelled data only has to
 * teach the map from 243 colour changes (plus captures, plus the codes) to 82 classes, which is
 * what makes a 1% labelled subset enough. The difference block makes "what changed" explicit,
 * the absolute blocks let the MLP tell a new stone from a capture. The codes come in as one-hot
 * digits rather than a learned code embedding: the same information, no extra table to learn
 * from few labels, and the digit structure of FSQ (neighbouring values) is kept.
 * Training frames: x_t is the rendered frame; x^_{t+1} = tokenizer_decode(tokenizer_encode(
 * frame t+1)) so the IDM sees the tokenizer's artefacts as it does at play time; z_t = the frozen
 * LDM's codes of the window at t (train/idm_train.c).
 *
 * The labelled subset: position i of a shard is labelled iff it has a next frame and
 * splitmix64(splitmix64(i) ^ seed) / 2^64 < fraction (idm_labelled): the same positions in every
 * run with the same seed, independent of the order the trainer visits them. All 8 symmetries
 * of a labelled position are labelled (its label moves with the board). idm_label is the only
 * way the trainer reads a label; it counts the reads and the distinct positions.
 *
 * Weights file keys (general.architecture "idm"): idm.board_size, idm.frame_px, idm.channels,
 * idm.hidden, idm.horizon and idm.ldm_levels (the LDM it was trained with: H and the FSQ levels
 * of z), idm.ldm_sha256 and idm.tokenizer_sha256 (the videogo.sha256 of the frozen files),
 * idm.label_fraction, idm.label_seed, idm.labelled_positions, idm.preset.
 *
 * What it reads, with which share of labels and with --next-dropout, measured:
 * docs/measurements.md (IDM) and weights/README.md (the shipped file).
 *
 * Memory: parameters, activations for max_batch examples and the disc pooling table are
 * allocated at creation; gradients and AdamW moments on the first idm_zero_grad. Nothing is
 * allocated in forward/backward/idm_logits. The idm_t owns all of it; idm_free releases it. An
 * idm_t is used by one thread at a time.
 */
#ifndef VIDEOGO_MODEL_IDM_H
#define VIDEOGO_MODEL_IDM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/backend.h"
#include "model/checkpoint.h"
#include "model/params.h"
#include "model/weights.h"
#include "render/dataset.h"

#define IDM_ARCH "idm"
#define IDM_MAX_LEVELS 8
#define IDM_MAX_HORIZON 16
#define IDM_N_PARAMS 6

typedef struct {
    char preset[16];       /* "cpu", "tiny" or "custom" */
    int board_size;        /* N (9) */
    int px;                /* S: frame side in pixels (the tokenizer's and the LDM's) */
    int channels;          /* 3 */
    int hidden;            /* W: width of both hidden layers */
    int horizon;           /* H: LDM codes per example */
    int n_levels;          /* D: FSQ dimensions of one LDM code */
    int levels[IDM_MAX_LEVELS];
    /* provenance (written to the weights file, not used by the forward) */
    double label_fraction;
    uint64_t label_seed;
    uint64_t labelled_positions;
    char ldm_sha256[65];
    char tokenizer_sha256[65];
} idm_config_t;

/* Fills the size fields of a named preset (cpu: W 512; tiny: W 32, for tests). The frame and
 * code fields (board_size, px, horizon, levels) come from the LDM: set them afterwards.
 * 0, or -1 for an unknown name. */
int idm_preset(const char *name, idm_config_t *cfg);
int idm_classes(const idm_config_t *cfg);   /* V = N*N + 1 */
int idm_inputs(const idm_config_t *cfg);    /* IN = 3*N*N*3 + H*sum(levels) */
int idm_config_check(const idm_config_t *cfg, char *err, size_t errlen);
/* Hyperparameter and provenance keys under "idm." (weights files and checkpoints alike). */
void idm_config_write(weights_writer_t *w, const idm_config_t *cfg);
/* Reads them back (loader tier: dies naming the file, the key and the regenerate hint). */
void idm_config_read(const weights_t *w, idm_config_t *cfg);

typedef struct {
    idm_config_t cfg;
    const backend_t *be;
    int Q, IN, W, V, H, D, OH; /* pooled values per frame, inputs, width, classes, codes, digits, one-hot/code */
    int max_batch, batch;
    int n_target;          /* rows with a target in the last forward (the backward's mean) */

    model_param_t params[IDM_N_PARAMS];
    size_t n_params;
    float *param, *grad, *m, *v;     /* backend, n_params floats each */

    /* activations [B = max_batch rows] in one backend block */
    float *feat;           /* [B, IN] */
    float *h1, *a1, *h2, *a2;        /* [B, W] x4 */
    float *logits, *loss;  /* [B, V], [B] */
    size_t act_floats;
    float *act;
    float *dlogits, *da2, *dh2, *da1, *dh1; /* gradients [B,V], [B,W] x4 (allocated with grad) */
    size_t dact_floats;
    float *dact;
    int *targets;          /* [B] backend */

    /* the disc pooling as a sparse table (host): row r averages pool_px[pool_start[r] ..
     * pool_start[r+1]) (byte offsets into a frame) with weight pool_w[r] */
    int *pool_start, *pool_px;
    float *pool_w;
    float *host_feat, *host_pool, *host_loss; /* [B, IN], [2B, Q], [B] */
    int *host_targets;     /* [B] */
} idm_t;

/* A new IDM with parameters drawn from seed (uniform, variance 1/fan_in; biases 0). Dies with a
 * hint on a bad config. */
idm_t *idm_new(const idm_config_t *cfg, const backend_t *be, int max_batch, uint64_t seed);
/* Loads a weights file written by idm_save (every key and tensor checked, nothing unknown);
 * a bad file dies saying what is wrong and how to regenerate it. */
idm_t *idm_build_from_file(const char *path, const backend_t *be, int max_batch);
void idm_save(const idm_t *m, const char *path, int argc, char *const *argv);
/* The writer behind idm_save and the trainer's checkpoints: a weights file when st is NULL, else
 * a checkpoint (model/checkpoint.h: parameters with their AdamW moments, state st); extra (may be
 * NULL) adds keys. Dies on I/O errors. */
void idm_write(const idm_t *m, const char *path, const checkpoint_state_t *st, int argc, char *const *argv,
               void (*extra)(weights_writer_t *w, const void *ctx), const void *ctx);
void idm_free(idm_t *m);

/* The pooled disc colours (0..255) of B frames (px*px*3 bytes each): pool[B * Q]. Host only. */
void idm_pool(const idm_t *m, const uint8_t *rgb, int B, float *pool);
/* B <= max_batch examples from pooled x_t, pooled x^_{t+1} (pool_t, pool_next [B * Q]) and the
 * codes ldm[B * H] (each in [0, prod(levels))) -> the input features on the backend. */
void idm_set_inputs(idm_t *m, const float *pool_t, const float *pool_next, const int *ldm, int B);
/* Forward on the inputs set last. targets[B] (host; class 0..V-1, or < 0: no loss) may be NULL
 * (logits only; returns 0). Returns the mean cross-entropy over the rows with a target. */
float idm_forward(idm_t *m, const int *targets);
void idm_zero_grad(idm_t *m);
/* Backward of the last forward with targets (mean over its targeted rows): accumulates grad. */
void idm_backward(idm_t *m);
/* Global-norm clipping (max_norm <= 0: none) and one AdamW step t_step (from 1), weight decay
 * on the matrices. Returns the gradient norm. */
float idm_adamw_step(idm_t *m, float lr, float beta1, float beta2, float eps, float weight_decay, float max_norm,
                     int t_step);
/* logits[B * V] of the last forward (host). */
void idm_read_logits(idm_t *m, float *logits);

/* B examples (any B; chunks of max_batch): frames x_t and x^_{t+1} (px*px*3 bytes each, RGB as
 * render.h) and the H LDM codes ldm[B*H] -> logits[B*82]: 81 points row-major from the top-left
 * (p = row*9 + col, as engine/), then pass. */
void idm_logits(idm_t *m, const uint8_t *rgb_t, const uint8_t *rgb_next, const int *ldm, int B, float *logits);

/* ---- the labelled subset ---- */

/* True iff position i is hash-chosen for fraction (in [0, 1]) under seed (whether it has a
 * label at all is not looked at). */
bool idm_labelled(uint64_t i, double fraction, uint64_t seed);

typedef struct {
    const dataset_t *ds;
    double fraction;
    uint64_t seed;
    uint64_t reads;        /* idm_label calls that read a label */
    uint64_t positions;    /* distinct positions whose label was read */
    uint8_t *seen;         /* bitmap of n_frames bits */
} idm_labels_t;

void idm_labels_init(idm_labels_t *L, const dataset_t *ds, double fraction, uint64_t seed);
void idm_labels_free(idm_labels_t *L);
/* The class (0..N*N-1 a point, N*N pass) of the move played from position i under symmetry
 * sym, read with dataset_label_move, iff i is in the labelled subset and has a next frame;
 * -1 otherwise (no label is read then). */
int idm_label(idm_labels_t *L, uint64_t i, int sym);

#endif
