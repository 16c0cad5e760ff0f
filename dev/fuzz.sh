#!/usr/bin/env bash
# dev/fuzz.sh: the libFuzzer targets of tests/fuzz, built with clang, ASan and UBSan in
# build-fuzz/ (configured here on first use; the main build/ is not touched), run for a bounded time.
#
#   dev/fuzz.sh TARGET SECONDS   run one target: gtp | sgf | weights | shard | positions
#   dev/fuzz.sh all SECONDS      each target in turn, SECONDS each (what dev/test.sh runs)
#   dev/fuzz.sh build            configure and build only
#   dev/fuzz.sh list             the targets
#
# Inputs: libFuzzer grows build-fuzz/corpus/TARGET (not committed) from the seeds in
# tests/fuzz/corpus/TARGET and the crash inputs kept in tests/data/fuzz/TARGET, with the
# dictionary tests/fuzz/TARGET.dict where there is one. A crash, leak, sanitizer report, failed
# FUZZ_CHECK or input slower than 10 s is written to build-fuzz/crashes/TARGET/; fix the code,
# then keep the input as tests/data/fuzz/TARGET/<what-it-was> so the normal suite replays it
# (test fuzz-TARGET). Replay one input: build-fuzz/tests/fuzz/fuzz_TARGET FILE.
#
# Exit status: 0 no crash; 1 a crash (or a build failure); 2 usage; 77 no clang with libFuzzer
# (dev/setup.sh installs clang; dev/test.sh then skips its fuzz step).
# Environment: FUZZ_BUILD (default build-fuzz), JOBS (ninja -j, default 2), CC (default clang),
# FUZZ_SEED (libFuzzer's -seed, to repeat a run; by default a new one each run, shown on a crash).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS="gtp sgf weights shard positions"
B=${FUZZ_BUILD:-build-fuzz}
CC=${CC:-clang}
JOBS=${JOBS:-2}

usage() {
    echo "usage: dev/fuzz.sh TARGET|all SECONDS | build | list   (targets: $TARGETS)" >&2
    exit 2
}

have_libfuzzer() {
    command -v "$CC" >/dev/null 2>&1 || return 1
    local t
    t=$(mktemp -d)
    printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$t/x.c"
    "$CC" -fsanitize=fuzzer,address,undefined "$t/x.c" -o "$t/x" >/dev/null 2>&1
    local rc=$?
    rm -rf "$t"
    return $rc
}

build() {
    if ! have_libfuzzer; then
        echo "dev/fuzz.sh: $CC with libFuzzer (-fsanitize=fuzzer) not found; install clang (dev/setup.sh)" >&2
        exit 77
    fi
    local t0=$SECONDS
    if [ ! -f "$B/build.ninja" ]; then
        # debugoptimized: -O2 -g, several times the executions per second of -O0.
        CC="$CC" meson setup "$B" --buildtype=debugoptimized -Dfuzz=enabled -Db_sanitize=address,undefined \
            -Db_lundef=false -Dcuda=disabled -Dopenmp=disabled -Dtests=true >"$B.setup.log" 2>&1 ||
            { cat "$B.setup.log" >&2; exit 1; }
        rm -f "$B.setup.log"
    fi
    local names=""
    for t in $TARGETS; do names="$names tests/fuzz/fuzz_$t"; done
    # shellcheck disable=SC2086
    ninja -C "$B" -j"$JOBS" $names >"$B/fuzz-build.log" 2>&1 || { tail -40 "$B/fuzz-build.log" >&2; exit 1; }
    echo "fuzz: build-fuzz ready ($((SECONDS - t0)) s)"
}

# Runs one target for $2 seconds; prints a one-line summary. Returns 1 on a crash.
run_one() {
    local t=$1 secs=$2
    local bin="$B/tests/fuzz/fuzz_$t" log="$B/fuzz-$t.log"
    mkdir -p "$B/corpus/$t" "$B/crashes/$t"
    local dirs=("$B/corpus/$t" "tests/fuzz/corpus/$t")
    [ -d "tests/data/fuzz/$t" ] && dirs+=("tests/data/fuzz/$t")
    local opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                -artifact_prefix="$B/crashes/$t/")
    [ -f "tests/fuzz/$t.dict" ] && opts+=(-dict="tests/fuzz/$t.dict")
    [ -n "${FUZZ_SEED:-}" ] && opts+=(-seed="$FUZZ_SEED")
    local rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        "$bin" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1 || rc=$?
    local execs rate cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1)
    if [ "$rc" != 0 ]; then
        echo "fuzz: $t: CRASH after ${execs:-?} runs (log $log):" >&2
        grep -E 'Seed:|ERROR|SUMMARY|fuzz property failed|runtime error|Test unit written|ALARM|timeout' "$log" | head -9 >&2
        echo "fuzz: fix it, then keep the input: cp $B/crashes/$t/<file> tests/data/fuzz/$t/<what-it-was>" >&2
        return 1
    fi
    printf 'fuzz: %-9s %4s s  %8s runs  %6s exec/s  %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-}"
}

[ $# -ge 1 ] || usage
case "$1" in
list) echo "$TARGETS"; exit 0 ;;
build) build; exit 0 ;;
esac
[ $# -eq 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || usage
if [ "$1" = all ]; then
    todo=$TARGETS
elif [[ " $TARGETS " == *" $1 "* ]]; then
    todo=$1
else
    usage
fi
build
failed=0
for t in $todo; do run_one "$t" "$2" || failed=1; done
exit $failed
