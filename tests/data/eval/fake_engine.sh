#!/bin/sh
# fake_engine.sh MODE: a minimal, misbehaving GTP engine for the match runner's tests.
#   illegal  genmove always answers A1 (so its second move is on an occupied point)
#   timeout  genmove answers only after 1 s
#   crash    exits when asked to genmove
#   refuse   answers every play with "? illegal move"
#   pass     always passes
mode=$1
while read -r cmd args; do
    case "$cmd" in
    name) printf '= fake-%s\n\n' "$mode" ;;
    version) printf '= 1\n\n' ;;
    genmove)
        case "$mode" in
        illegal) printf '= A1\n\n' ;;
        timeout) sleep 1; printf '= pass\n\n' ;;
        crash) exit 3 ;;
        *) printf '= pass\n\n' ;;
        esac ;;
    play)
        if [ "$mode" = refuse ]; then printf '? illegal move\n\n'; else printf '=\n\n'; fi ;;
    final_score) printf '= 0\n\n' ;;
    quit) printf '=\n\n'; exit 0 ;;
    *) printf '=\n\n' ;;
    esac
done
