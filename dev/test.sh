#!/usr/bin/env bash
# dev/test.sh: the whole test suite, as CI runs it (.ci/run calls this).
#   1. build/ (release, -Werror) and every test in it
#   2. build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer) and the unit tests again
#   3. the fuzz targets of tests/fuzz (dev/fuzz.sh: clang, libFuzzer, ASan + UBSan, in
#      build-fuzz/), FUZZ_SECONDS each (default 12: about 100 s with the clang build on an idle
#      2-core machine); skipped with a message where clang is absent, or with FUZZ_SECONDS=0
#   (1. is configured with -Dcuda=enabled when nvcc exists: CUDA compiles and links, and the
#    CUDA parity test runs, skipping without a GPU)
# Prints meson's summary per step; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
dev/setup.sh

JOBS=${JOBS:-2}
step() { printf '\n==== %s\n' "$*"; }
# Adds one build's results (meson-logs/testlog.json) to the totals printed at the end.
PASSED=0 FAILED=0 SKIPPED=0
tally() {
    read -r p f s < <(python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
    PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
}

CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
CUDA_OPT=""
if [ -x "$CUDA_HOME/bin/nvcc" ]; then
    # nvcc present (as on CI): the main build is configured with -Dcuda=enabled, so every target
    # compiles and links with the CUDA backend and the cuda suite (parity test) runs; it
    # skips (exit 77) without a GPU.
    CUDA_OPT="-Dcuda=enabled"
    export PATH="$CUDA_HOME/bin:$PATH"
fi

step "release build (-Werror${CUDA_OPT:+, $CUDA_OPT}) and full suite"
meson configure build -Dwerror=true $CUDA_OPT >/dev/null
ninja -C build -j"$JOBS"
# Timeouts catch hangs, not slowness: each test's limit (tests/meson.build) is set for an
# idle machine and multiplied here, so a busy CI machine or the sanitizers' 2-4x slow-down
# never fail a test that would pass (issue 21: ASan model-policy ran past 180 s at load 5-9).
meson test -C build --print-errorlogs --num-processes "$JOBS" --timeout-multiplier 3
tally build

step "ASan + UBSan build, unit tests"
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true -Dcuda=disabled >/dev/null
fi
ninja -C build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-asan --print-errorlogs --num-processes "$JOBS" --suite unit --timeout-multiplier 6
tally build-asan

FUZZ_SECONDS=${FUZZ_SECONDS:-12}
step "fuzz targets (clang, libFuzzer, ASan + UBSan), $FUZZ_SECONDS s each"
if [ "$FUZZ_SECONDS" = 0 ]; then
    echo "skipped (FUZZ_SECONDS=0)"
else
    t0=$SECONDS
    rc=0
    JOBS=$JOBS dev/fuzz.sh all "$FUZZ_SECONDS" || rc=$?
    if [ "$rc" = 77 ]; then
        echo "skipped: no clang with libFuzzer (dev/setup.sh installs clang and libclang-rt-14-dev)"
        SKIPPED=$((SKIPPED + 1))
    elif [ "$rc" != 0 ]; then
        echo "dev/test.sh: the fuzz step failed (see above)"
        exit 1
    else
        PASSED=$((PASSED + $(dev/fuzz.sh list | wc -w)))
        echo "fuzz step: $((SECONDS - t0)) s"
    fi
fi

echo "dev/test.sh: all steps passed"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
