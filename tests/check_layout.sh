#!/bin/sh
# check_layout.sh: no #include goes up a floor (HACKING.md, "Folders and their dependencies").
#
#   tests/check_layout.sh [ROOT]      check the tree at ROOT (default $VIDEOGO_SRC, else .)
#   tests/check_layout.sh --self-test a tree with one bad include must fail, a good one pass
#
# The floors, lowest first; a file may include its own folder and any lower floor, never a
# higher one nor a sibling on the same floor:
#   0 engine            rules, SGF, dead stones, search, util
#   1 render  kernels   frames and shards | CPU ops (kernels/cuda/ is part of kernels)
#   2 model             the networks and their files
#   3 player            the learned player
#   4 eval              gobench, matches, ratings, SQLite
#   5 train   gtp       the trainers | the GTP front-end
#   6 top               main.c, bench.c, cli.h
# tests/, dev/ and weights/ are not floors: they may use anything and nothing includes them.
# One exception: cli.h (top) declares every folder's `cmd_*` entry point and nothing else (no
# type, no include); the *_cli.c and bench files include it to check their definition against
# the declaration main.c calls. Including it reaches nothing above.
# Checked: every `#include "..."` (quoted; system headers are <...>) in *.c, *.h, *.cu, *.cuh.
# A bare name is looked up beside the including file first, then at ROOT, as the compiler does
# with -I ROOT. Exit 0 when clean, 1 with one line per up-arrow (file:line: ...), 2 on misuse.

floor_of() {
    case $1 in
    engine) echo 0 ;;
    render | kernels) echo 1 ;;
    model) echo 2 ;;
    player) echo 3 ;;
    eval) echo 4 ;;
    train | gtp) echo 5 ;;
    top) echo 6 ;;
    *) echo -1 ;;
    esac
}

# The folder (floor name) of a path relative to ROOT: its first component, or top.
folder_of() {
    case $1 in
    */*) echo "${1%%/*}" ;;
    *) echo top ;;
    esac
}

check() {
    root=$1
    [ -d "$root/engine" ] || { echo "check_layout: $root has no engine/ (not a videogo tree)" >&2; return 2; }
    bad=0
    files=$(cd "$root" && find engine render kernels model player eval train gtp -maxdepth 3 -type f \
        \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) 2>/dev/null | sort;
        cd "$root" && ls ./*.c ./*.h 2>/dev/null | sed 's|^\./||')
    out=$(mktemp)
    for f in $files; do
        from=$(folder_of "$f")
        rf=$(floor_of "$from")
        dir=$(dirname "$f")
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$root/$f" |
            sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' | while read -r line inc; do
            if [ "$dir" != . ] && [ -e "$root/$dir/$inc" ]; then
                target="$dir/$inc"
            else
                target=$inc
            fi
            to=$(folder_of "$target")
            [ "$to" = "$from" ] && continue
            [ "$target" = cli.h ] && continue  # declarations of the cmd_* entry points only
            rt=$(floor_of "$to")
            if [ "$rt" -lt 0 ]; then
                echo "$f:$line: includes \"$inc\" from $to/, which is not a floor"
            elif [ "$rt" -ge "$rf" ]; then
                if [ "$rt" -eq "$rf" ]; then what="a sibling on the same floor"; else what="a higher floor"; fi
                echo "$f:$line: includes \"$inc\": $to/ (floor $rt) is $what than $from/ (floor $rf)"
            fi
        done
    done >"$out"
    if [ -s "$out" ]; then
        cat "$out"
        echo "check_layout: $(wc -l <"$out") include(s) go up or sideways; see HACKING.md for the floors" >&2
        bad=1
    fi
    rm -f "$out"
    return $bad
}

self_test() {
    t=$(mktemp -d)
    trap 'rm -rf "$t"' EXIT
    mkdir -p "$t/engine" "$t/model" "$t/gtp" "$t/render" "$t/kernels"
    printf '#include "engine/board.h"\n' >"$t/engine/board.c"
    printf '/* x */\n' >"$t/engine/board.h"
    printf '#include "engine/board.h"\n#include "cli.h"\n' >"$t/model/net.c"
    printf '/* x */\n' >"$t/cli.h"
    printf '#include "model/net.h"\n#include "engine/board.h"\n' >"$t/gtp/gtp.c"
    check "$t" >/dev/null || { echo "self-test: a clean tree failed" >&2; return 1; }
    printf '#include "gtp/gtp.h"\n' >>"$t/model/net.c"                  # up a floor
    if check "$t" >/dev/null 2>&1; then echo "self-test: model/ -> gtp/ passed" >&2; return 1; fi
    sed -i '$d' "$t/model/net.c"
    printf '#include "kernels/ops.h"\n' >"$t/render/frame.c"             # sideways
    if check "$t" >/dev/null 2>&1; then echo "self-test: render/ -> kernels/ passed" >&2; return 1; fi
    echo "self-test: a clean tree passes; an up include and a sideways include fail"
    return 0
}

case ${1:-} in
--self-test) self_test ;;
-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' ;;
*) check "${1:-${VIDEOGO_SRC:-.}}" ;;
esac
