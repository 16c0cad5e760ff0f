#!/usr/bin/env bash
# dev/train-grid.sh: trains the shipped set (the grid presets, weights/README.md) from the SGF
# games, stage by stage, into runs/grid/, and resumes where a stage stopped: a stage whose
# weights exist is skipped; the transformers resume from their checkpoints.
#
#   dev/train-grid.sh [AR_MINUTES]      # default 100: minutes of transformer training this call
#
# Stages (each a plain `videogo train ...` command, printed before it runs):
#   1. shards                (videogo data build; seconds)
#   2. tokenizer, grid       (3,000 steps; about a minute on 2 threads)
#   3. LDM, grid             (20,000 steps; about 15 minutes on 2 threads)
#   4. IDM                   (10% of the labels; a minute or two)
#   5. the shipped video-only transformer (--local 1) and the LDM variant, side by side, one
#      thread each, each logging a learning-curve point every 15 minutes
# Progress goes to stderr and to runs/grid/*.log; every run is logged in runs/grid/train.db.
set -euo pipefail
cd "$(dirname "$0")/.."
V=build/videogo
D=runs/grid
AR_MINUTES=${1:-100}
mkdir -p "$D"
run() { echo "+ $*" >&2; "$@"; }

[ -f shards/katago9-train.vgs ] || run $V data build
[ -f "$D/tokenizer-9x9.gguf" ] || run $V train tokenizer --preset grid --steps 3000 --lr 2e-3 --batch 32 \
    --dense-frac 0.25 --random-frac 0.25 --ema 0.999 --eval-every 1000 --eval-frames 1024 --log-every 500 \
    --threads 2 --seed 1 --out "$D/tokenizer-9x9.gguf" --ckpt "$D/tokenizer-9x9.ckpt" --db "$D/train.db" \
    2> >(tee -a "$D/tokenizer.log" >&2)
[ -f "$D/ldm-9x9.gguf" ] || run $V train ldm --preset grid --steps 20000 --batch 32 --eval-every 2000 \
    --eval-windows 1024 --log-every 1000 --threads 2 --seed 1 --out "$D/ldm-9x9.gguf" --ckpt "$D/ldm-9x9.ckpt" \
    --db "$D/train.db" 2> >(tee -a "$D/ldm.log" >&2)
[ -f "$D/idm-9x9.gguf" ] || run $V train idm --tokenizer "$D/tokenizer-9x9.gguf" --ldm "$D/ldm-9x9.gguf" \
    --label-fraction 0.1 --next-dropout 0.5 --threads 2 --out "$D/idm-9x9.gguf" --ckpt "$D/idm-9x9.ckpt" \
    --db "$D/train.db" 2> >(tee -a "$D/idm.log" >&2)

# The transformers, side by side, one thread each: the shipped one (video only, with the 3x3
# local input window; weights/README.md says why video only) and the LDM variant of the
# ablation (z^1 before x_{t+1}, pos2d); --resume once a checkpoint exists.
common=(--preset grid --tokenizer "$D/tokenizer-9x9.gguf" --ldm "$D/ldm-9x9.gguf" --lr 1e-3 --warmup 300
        --minutes "$AR_MINUTES" --eval-every 1000 --log-every 200 --threads 1 --encode-threads 1
        --curve-idm "$D/idm-9x9.gguf" --curve-every 15 --db "$D/train.db")
vid_args=(--video-only --local 1 --batch 32 --steps 14000 --seed 1 --out "$D/ar-9x9.gguf" --ckpt "$D/ar-9x9.ckpt")
ldm_args=(--batch 8 --prefix-batch 48 --ldm-weight 10 --pos2d --steps 7500 --seed 1 --out "$D/ar-9x9-ldm.gguf"
          --ckpt "$D/ar-9x9-ldm.ckpt")
[ -f "$D/ar-9x9.ckpt" ] && vid_args+=(--resume)
[ -f "$D/ar-9x9-ldm.ckpt" ] && ldm_args+=(--resume)
run $V train ar "${common[@]}" "${vid_args[@]}" 2> >(tee -a "$D/ar.log" >&2) &
run $V train ar "${common[@]}" "${ldm_args[@]}" 2> >(tee -a "$D/ar-ldm.log" >&2) &
wait
