#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with -Werror, runs every test, then
# runs every test again in a build with AddressSanitizer + UndefinedBehaviorSanitizer (made beside
# the first build and test pass, at the lowest priority).
# TAICHO_SKIP_SANITIZE=1 skips the second pass (for quick local runs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/install-deps.sh"

ASAN_ARGS=(-DTAICHO_SANITIZE=ON -DTAICHO_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG")
asan_build_pid=""
if [[ "${TAICHO_SKIP_SANITIZE:-0}" != "1" ]]; then
  # The sanitizer build starts first, at the lowest priority, and runs beside the normal build and
  # then beside the first test pass: nice 19 gets a core only when the others leave it idle (the
  # normal build's links and the steps that wait on one unit, tests waiting on cupsd, printers,
  # restarts, time-outs). Product code at -O0 too (tests already are): measured on 12 units picked
  # at random, 127 s CPU at -O1 -> 87 s at -O0, while the sanitized test pass took the same summed
  # test time (1472 s -O1, 1459 s -O0); the sanitizers find the same errors at -O0.
  echo "== build (ASan + UBSan, nice 19, beside the build and the tests) $(date -u +%T)"
  BUILD_DIR="$ROOT/build-asan" setsid nice -n 19 bash "$ROOT/scripts/build.sh" "${ASAN_ARGS[@]}" \
    > "$ROOT/build-asan.log" 2>&1 &
  asan_build_pid=$!
  trap '[[ -n "$asan_build_pid" ]] && kill -- "-$asan_build_pid" 2>/dev/null || true' EXIT
fi

echo "== build (RelWithDebInfo, -Werror) $(date -u +%T)"
# Line tables only (-g1): stack traces keep file and line, and compiling and linking the gRPC-
# and protobuf-heavy code is much cheaper than with full debug info (CI must stay under 30 min).
LINE_TABLES=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
BUILD_DIR="$ROOT/build" bash "$ROOT/scripts/build.sh" "${LINE_TABLES[@]}"
echo "== tests $(date -u +%T)"
(cd "$ROOT/build" && ctest --output-on-failure -j2)

if [[ -n "$asan_build_pid" ]]; then
  echo "== waiting for the ASan + UBSan build $(date -u +%T)"
  if ! wait "$asan_build_pid"; then
    asan_build_pid=""
    tail -n 80 "$ROOT/build-asan.log"
    echo "the ASan + UBSan build failed (whole log: build-asan.log)" >&2
    exit 1
  fi
  asan_build_pid=""
  echo "== tests under ASan + UBSan $(date -u +%T)"
  # SoftHSM2 keeps process-lifetime singletons that LeakSanitizer would report at exit.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  (cd "$ROOT/build-asan" && ctest --output-on-failure -j2)
fi
echo "== done $(date -u +%T)"
