#!/usr/bin/env bash
# dev/setup.sh: install everything videogo needs on Debian 12 (apt packages, the npm
# package used by the Sabaki test), then configure and build into build/.
# Idempotent: rerunning only rebuilds what changed. Run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PKGS="meson ninja-build pkg-config gcc libc6-dev check libcairo2-dev libsqlite3-dev \
libopenblas-dev sqlite3 gnugo python3-torch libzip4 clang libclang-rt-14-dev"  # python3-torch: `videogo bench train-ar` compares with PyTorch; libzip4: the KataGo opponent in ../shared/tools (tests); clang + libclang-rt-14-dev (libFuzzer, ASan, UBSan runtimes): dev/fuzz.sh
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js runs the Sabaki (@sabaki/gtp) test; keep an existing node, else take Debian's.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    echo "setup: installing$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
fi

if [ -f tests/sabaki/package-lock.json ] && [ ! -d tests/sabaki/node_modules ]; then
    echo "setup: npm ci in tests/sabaki" >&2
    (cd tests/sabaki && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release >&2
fi
ninja -C build >&2
