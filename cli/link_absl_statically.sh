#!/usr/bin/env bash
# Link launcher for taicho-verify only (cli/CMakeLists.txt, RULE_LAUNCH_LINK): runs the link
# command CMake made with every shared Abseil library swapped for its static archive (Debian's
# libabsl-dev ships both), grouped where the first one stood. taicho-verify is started for
# every local verification; loading 25 Abseil libraries was ~3 ms of a ~13 ms run. Only this
# program: taichod and taicho-cli link gRPC, which brings the shared Abseil, and two copies of
# Abseil's globals in one process must not happen. A library without an archive stays shared.
set -euo pipefail
args=()
archives=()
at=-1
for a in "$@"; do
  if [[ $a =~ ^(.*/libabsl_[a-z0-9_]+)\.so(\.[0-9.]+)?$ ]] && [ -f "${BASH_REMATCH[1]}.a" ]; then
    [ "$at" -lt 0 ] && at=${#args[@]}
    archives+=("${BASH_REMATCH[1]}.a")
    continue
  fi
  args+=("$a")
done
if [ "$at" -ge 0 ]; then
  args=("${args[@]:0:at}" -Wl,--start-group "${archives[@]}" -Wl,--end-group "${args[@]:at}")
fi
exec "${args[@]}"
