#!/bin/sh
# test_cuda_module.sh: the CUDA backend is a module that backend_cuda() (kernels/backend.c)
# loads on demand, so the CPU path never maps the CUDA libraries (they cost ~1 s and ~200 MB
# at every start when the binary links them). Checks, whatever the build options:
#   - no program of the build (videogo, the test programs in tests/) lists a CUDA library
#     (libcudart, libcublas, libcublasLt, libcuda) among its NEEDED entries;
#   - `videogo --help` runs, and says nothing about CUDA, with VIDEOGO_CUDA_MODULE pointing at
#     a missing file or at a file that is not a shared object;
#   - asking for CUDA explicitly (`videogo bench kernels --backend cuda`) with such a module
#     fails with exit status 1 and one line on stderr naming the file (in a CPU build: saying
#     the build has no CUDA);
#   - in a CUDA build, videogo-cuda.so sits beside videogo, carries the CUDA libraries, exports
#     the loader's entry point, and loads (CUDA_VISIBLE_DEVICES empty: it reports no device).
# Usage: test_cuda_module.sh cuda|cpu (how the build was configured); VIDEOGO_BIN is the binary.
# Exits 77 (skipped) without readelf (binutils).
set -u

mode=${1:-}
case "$mode" in cuda|cpu) ;; *) echo "usage: $0 cuda|cpu" >&2; exit 2 ;; esac
bin=${VIDEOGO_BIN:?VIDEOGO_BIN must name the videogo binary}
builddir=$(dirname "$bin")
if ! command -v readelf >/dev/null 2>&1; then
    echo "readelf not found (binutils): skipping"
    exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }
pass() { echo "ok: $*"; }

# ---- NEEDED entries: videogo and every ELF program in tests/ ----
cuda_libs='libcudart|libcublas|libcublasLt|libcuda\.'
for f in "$bin" "$builddir"/tests/*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    head -c 4 "$f" | grep -q 'ELF' || continue
    if needed=$(readelf -d "$f" | grep NEEDED | grep -E "$cuda_libs"); then
        fail "$f links a CUDA library: $(echo "$needed" | sed 's/.*\[//; s/\]//' | tr '\n' ' ')"
    else
        pass "$(basename "$f"): no CUDA library in NEEDED"
    fi
done

# ---- videogo --help with a missing and with a broken module ----
printf 'not a shared object\n' >"$tmp/broken-cuda.so"
for module in "$tmp/missing-cuda.so" "$tmp/broken-cuda.so"; do
    name=$(basename "$module")
    VIDEOGO_CUDA_MODULE=$module "$bin" --help >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "videogo --help with VIDEOGO_CUDA_MODULE=$name exits $rc: $(cat "$tmp/err")"
    elif ! grep -q '^usage: videogo' "$tmp/out"; then
        fail "videogo --help with VIDEOGO_CUDA_MODULE=$name prints no usage"
    elif [ -s "$tmp/err" ]; then
        fail "videogo --help with VIDEOGO_CUDA_MODULE=$name writes to stderr: $(cat "$tmp/err")"
    else
        pass "videogo --help with VIDEOGO_CUDA_MODULE=$name"
    fi

    # ---- an explicit request: exit 1 and one line saying why ----
    VIDEOGO_CUDA_MODULE=$module "$bin" bench kernels --backend cuda >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$mode" = cuda ]; then want=$name; else want='without CUDA'; fi
    if [ $rc -ne 1 ]; then
        fail "bench kernels --backend cuda with VIDEOGO_CUDA_MODULE=$name exits $rc (want 1)"
    elif [ "$lines" -ne 1 ]; then
        fail "bench kernels --backend cuda with $name: $lines lines on stderr (want 1): $(cat "$tmp/err")"
    elif ! grep -q "$want" "$tmp/err"; then
        fail "bench kernels --backend cuda with $name: the reason lacks '$want': $(cat "$tmp/err")"
    else
        pass "bench kernels --backend cuda with $name: $(cat "$tmp/err")"
    fi
done

# ---- the module itself (CUDA builds) ----
if [ "$mode" = cuda ]; then
    module="$builddir/videogo-cuda.so"
    if [ ! -f "$module" ]; then
        fail "no $module beside videogo"
    else
        readelf -d "$module" | grep NEEDED | grep -q libcudart \
            && pass "videogo-cuda.so carries libcudart" \
            || fail "videogo-cuda.so does not link libcudart"
        readelf --dyn-syms -W "$module" | grep -v ' UND ' | grep -q ' videogo_cuda_backend$' \
            && pass "videogo-cuda.so exports videogo_cuda_backend" \
            || fail "videogo-cuda.so does not export videogo_cuda_backend"
        # Found beside videogo, loaded and asked for a GPU: with none visible (forced, so the
        # benchmark never runs) its reason proves dlopen, dlsym and the entry point worked.
        env -u VIDEOGO_CUDA_MODULE CUDA_VISIBLE_DEVICES= "$bin" bench kernels --backend cuda \
            >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if [ $rc -eq 1 ] && grep -q "/videogo-cuda.so: no usable CUDA device" "$tmp/err"; then
            pass "videogo-cuda.so loads: $(cat "$tmp/err")"
        else
            fail "videogo-cuda.so beside videogo does not load (exit $rc): $(cat "$tmp/err")"
        fi
    fi
fi
exit $failed
