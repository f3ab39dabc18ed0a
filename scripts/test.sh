#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with -Werror, runs every test, then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test again.
# TAICHO_SKIP_SANITIZE=1 skips the second pass (for quick local runs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/install-deps.sh"

echo "== build (RelWithDebInfo, -Werror) $(date -u +%T)"
# Line tables only (-g1): stack traces keep file and line, and compiling and linking the gRPC-
# and protobuf-heavy code is much cheaper than with full debug info (CI must stay under 30 min).
LINE_TABLES=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
BUILD_DIR="$ROOT/build" bash "$ROOT/scripts/build.sh" "${LINE_TABLES[@]}"
echo "== tests $(date -u +%T)"
(cd "$ROOT/build" && ctest --output-on-failure -j2)

if [[ "${TAICHO_SKIP_SANITIZE:-0}" != "1" ]]; then
  echo "== build (ASan + UBSan) $(date -u +%T)"
  # -O1 as the sanitizer documentation advises: fast enough to run, cheaper to compile.
  BUILD_DIR="$ROOT/build-asan" bash "$ROOT/scripts/build.sh" -DTAICHO_SANITIZE=ON \
    -DTAICHO_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
  echo "== tests under ASan + UBSan $(date -u +%T)"
  # SoftHSM2 keeps process-lifetime singletons that LeakSanitizer would report at exit.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  (cd "$ROOT/build-asan" && ctest --output-on-failure -j2)
fi
echo "== done $(date -u +%T)"
