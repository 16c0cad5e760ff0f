#!/usr/bin/env bash
# dev/soak.sh [MINUTES] [soak.py options]: issue 21's soak test, about MINUTES long (default 10).
#   1. a 9x9 `videogo match`, random player vs the learned player on tiny random networks
#      (make_tiny_policy, --playouts 30), --threads 2, killed with SIGKILL (its whole process group)
#      at seeded random moments and resumed with the same command until it finishes; after every
#      kill and at the end: PRAGMA integrity_check = ok, every committed game kept once and
#      unchanged, the engines died with the match; at the end every game's SGF replays
#      (`videogo match export --sgf-dir`, `videogo sgf check`);
#   2. one `videogo gtp` process (the same tiny learned player) through >= 1,000 cycles of
#      genmove / genmove / undo / lz-analyze or kata-analyze (stopped by the next command), with
#      clear_board every 40 cycles; fails if VmRSS grows by more than 5 MB after 100 warm-up cycles.
# About 70% of the time goes to the match (its size comes from a 4-game calibration match), the
# rest to the GTP cycles. Prints the seed (repeat with --seed N), each kill, the VmRSS curve and a
# summary line; exits 1 on any failure and keeps its work folder then. The checks themselves are
# tests/eval/soak.py; `meson test -C build eval-soak` runs a short version of them.
# On a shared machine: nice -n 19 dev/soak.sh 2
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
shift || true
ninja -C build videogo tests/make_tiny_policy >/dev/null
exec python3 tests/eval/soak.py --videogo build/videogo --tiny-policy build/tests/make_tiny_policy \
    --white learned --minutes "$MINUTES" --cycles 1000 --warmup 100 --rss-bound-kb 5120 "$@"
