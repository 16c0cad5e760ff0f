/* dataset.h: training shards: SGF games -> compact binary position files, and the
 * reader the trainers (tokenizer, LDM, transformer, IDM) use.
 *
 * A shard holds boards, not pixels: each position is 2 bits per point, and trainers
 * render frames on the fly (render_ctx_stones(), tens of thousands of frames/s), so
 * shards stay small (katago9: about 11 MB for 440,000 positions) and nobody ever
 * holds all frames. `videogo data build` writes two shards per source set,
 * <out>/<name>-train.vgs and <out>/<name>-val.vgs; they are rebuilt by that command
 * and never committed (shards/ is git-ignored).
 *
 * Split (deterministic, by game; recorded in every shard header as text and numbers):
 *   game i (counting from 0 in file order, skipped games included) of the source file
 *   with base name F goes to validation iff
 *     splitmix64(splitmix64(fnv1a64(F) ^ seed) ^ i) % val_modulus == 0
 *   with splitmix64 from engine/util.h, fnv1a64 the 64-bit FNV-1a of the bytes of F;
 *   defaults seed = DATASET_DEFAULT_SEED, val_modulus = 20 (about 5 % validation).
 *   Depending on the file's base name, not its directory, keeps the split stable when
 *   the data moves.
 *
 * Frames of a game: frame 0 is the start position (empty board or SGF setup), frame t
 * the position after move t; a game of n moves has n + 1 frames. A pass repeats the
 * previous board; captured stones are gone in the frame of the capturing move.
 * Moves are replayed with board_play (occupied/suicide checked, superko not
 * re-judged: the video is what was played); a game with an illegal move or another
 * board size is skipped and counted.
 *
 * File layout (version 1, all integers little-endian):
 *   offset size
 *     0     8  magic "VGOSHARD"
 *     8     4  u32 version (1)
 *    12     4  u32 header_bytes: offset of the first frame record (multiple of 64)
 *    16     4  u32 board_size N
 *    20     4  u32 split: 0 train, 1 validation
 *    24    16  char split_name[16]: "train" or "validation" (NUL-padded)
 *    40     4  u32 val_modulus
 *    44     4  u32 n_sources
 *    48     8  u64 seed
 *    56     8  u64 n_games (in this shard)
 *    64     8  u64 n_frames (in this shard)
 *    72     8  u64 games_offset: offset of the game table
 *    80     4  u32 board_bytes = ceil(N*N / 4)
 *    84     4  u32 record_bytes = board_bytes + 4
 *    88     4  u32 n_skipped: games of the sources skipped (both splits together)
 *    92     4  u32 reserved (0)
 *    96   256  char split_rule[256]: the rule above as text, NUL-terminated
 *   352  112*n_sources  source table, per file (both splits read the same files):
 *              char name[64] (base name, NUL-padded), u64 size in bytes,
 *              u8 sha256[32] of the file, u32 n_games in the file, u32 reserved
 *   header_bytes  n_frames * record_bytes  frame records, games back to back:
 *              board_bytes: point p (row-major, row 0 at the top) in byte p/4 at bits
 *                2*(p%4) .. 2*(p%4)+1: 0 empty, 1 black, 2 white (3 is invalid);
 *              u8 to_move: 1 black, 2 white: the side to play from this position
 *                (the colour of the next move in the game; after the last move, the
 *                other colour);
 *              u8 flags: bit 0 set on the last frame of a game;
 *              i16 move: THE MOVE PLAYED from this frame (point, -1 pass, -3 none on
 *                the last frame). A label: only the IDM's small labelled subset and
 *                evaluation may read it. The tokenizer, the LDM and the transformer
 *                learn from frames only and must never call dataset_label_move().
 *   games_offset  n_games * 24  game table: u64 first_frame, u32 n_frames,
 *              u32 source (index into the source table), u32 index_in_source,
 *              u32 reserved; games in source order.
 *   The file ends there (the reader checks the exact size).
 *
 * Ownership: dataset_t is opened read-only (mmap) and owns its mapping (dataset_open_buffer:
 * the caller's buffer, not owned); everything returned by pointer lives until dataset_close().
 * Read calls do not modify it, so threads may share one dataset_t.
 */
#ifndef VIDEOGO_DATASET_H
#define VIDEOGO_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/board.h"
#include "render/render.h"

#define DATASET_MAGIC "VGOSHARD"
#define DATASET_VERSION 1
#define DATASET_DEFAULT_SEED 0x766964656f676fULL /* "videogo" */
#define DATASET_DEFAULT_VAL_MODULUS 20
#define DATASET_EXT ".vgs"
/* Largest shard dataset_open accepts: 16 GiB, about 170 million 19x19 positions (katago9's
 * train shard is 15 MB). Checked before the file is mapped. */
#define DATASET_MAX_BYTES (16ULL << 30)

typedef enum { DATASET_SPLIT_TRAIN = 0, DATASET_SPLIT_VAL = 1 } dataset_split_t;

typedef struct {
    char name[64];       /* base name of the SGF file */
    uint64_t size;       /* bytes */
    uint8_t sha256[32];
    uint32_t n_games;    /* games in the file, both splits, skipped included */
} dataset_source_t;

typedef struct {
    uint32_t version;
    uint32_t board_size;
    dataset_split_t split;
    char split_name[17];
    uint32_t val_modulus;
    uint64_t seed;
    char split_rule[257];
    uint64_t n_games, n_frames;
    uint32_t n_skipped;
    uint32_t n_sources;
    const dataset_source_t *sources; /* n_sources entries, owned by the dataset_t */
} dataset_info_t;

typedef struct {
    uint64_t first_frame;    /* global index of its frame 0 */
    uint32_t n_frames;       /* moves + 1 */
    uint32_t source;         /* index into info->sources */
    uint32_t index_in_source;/* game number in that file, from 0 */
} dataset_game_t;

/* ---- split ---- */

uint64_t dataset_fnv1a64(const char *s);

/* True if game `game_index` of the file with base name `name` is in validation. */
bool dataset_is_val(const char *name, uint32_t game_index, uint64_t seed, uint32_t val_modulus);

/* True if a path (file or directory) lies in a gobench9 folder (after resolving
 * symlinks), the held-out labelled set that must never be trained on. */
bool dataset_path_forbidden(const char *path);

/* ---- building ---- */

typedef struct {
    const char *const *sources; /* SGF files or directories (their *.sgf, sorted by name) */
    int n_sources;
    const char *out_dir;        /* created if missing */
    const char *name;           /* shard name prefix; NULL: base name of the first source */
    int board_size;             /* games of other sizes are skipped */
    uint64_t seed;
    uint32_t val_modulus;       /* >= 2 */
    bool progress;              /* one line per source file on stderr */
} dataset_build_opts_t;

typedef struct {
    char path[2][4096];         /* [split] written shard paths */
    uint64_t games[2], frames[2], bytes[2];
    uint32_t n_skipped;
    uint32_t n_files;
} dataset_build_report_t;

/* Builds both shards, streaming (one SGF file in memory at a time; frames go straight
 * to disk; the files appear atomically by rename). Refuses gobench9 paths. Returns 0,
 * or -1 with a message in err (no shard left behind). */
int dataset_build(const dataset_build_opts_t *o, dataset_build_report_t *rep, char *err, size_t errlen);

/* ---- reading ---- */

typedef struct dataset dataset_t;

/* Opens and validates a shard (a regular file of at most DATASET_MAX_BYTES; devices and FIFOs
 * are refused without reading or waiting). NULL with a message in err on failure. */
dataset_t *dataset_open(const char *path, char *err, size_t errlen);
/* Same over a caller buffer (not copied: it must outlive the dataset_t); label names it in
 * messages. For the fuzzer and for tests. */
dataset_t *dataset_open_buffer(const void *buf, size_t size, const char *label, char *err, size_t errlen);
void dataset_close(dataset_t *ds);

const dataset_info_t *dataset_info(const dataset_t *ds);

/* Game g (0..n_games-1). Returns 0 or -1 if out of range. */
int dataset_game(const dataset_t *ds, uint64_t g, dataset_game_t *out);

/* Index of the game that holds frame i (binary search), or -1 if out of range. */
int64_t dataset_game_of(const dataset_t *ds, uint64_t i);

/* How many frames follow frame i in its game (0 for a game's last frame), or -1. */
int dataset_frames_after(const dataset_t *ds, uint64_t i);

/* Frame i (0..n_frames-1) under symmetry sym (0..7, see sym.h; 0 = as played):
 * stones (board_size^2 stone_t values, caller-owned) and the side to move (may be
 * NULL). Random access in O(1). Returns 0, or -1 if i or sym is out of range or the
 * record is corrupt. */
int dataset_frame(const dataset_t *ds, uint64_t i, int sym, uint8_t *stones, stone_t *to_move);

/* Same into a board_t (hash set, captures zero). */
int dataset_frame_board(const dataset_t *ds, uint64_t i, int sym, board_t *b, stone_t *to_move);

/* Frame i under symmetry sym rendered with ctx (whose board size must match) into
 * rgb (ctx's px * px * 3 bytes): what the tokenizer, LDM and transformer read.
 * Returns 0 or -1 (bad index/sym, size mismatch, corrupt record). */
int dataset_render_frame(const dataset_t *ds, const render_ctx_t *ctx, uint64_t i, int sym, uint8_t *rgb,
                         stone_t *to_move);

/* LABEL: the move played from frame i under symmetry sym: a point, VERTEX_PASS, or
 * VERTEX_NONE on a game's last frame; -100 if i or sym is out of range.
 * For the IDM's labelled subset and for evaluation only (see the top of this file). */
int dataset_label_move(const dataset_t *ds, uint64_t i, int sym);

#endif
