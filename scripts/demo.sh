#!/usr/bin/env bash
# The README's main command: sets everything up on a fresh Debian 12 machine and runs the main job
# end to end on embedded defaults — a sample PKI and SoftHSM2 tokens, a decision rendered from the
# sample data as Decree 30/2020 lays it out, signed by the officer (signature image) and then sealed
# by the agency (red seal), each signature checked by pdfsig and by `taicho verify`. The steps are
# scripts/demo-flow.sh, which an installation also carries (share/taicho/demo/).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${TAICHO_DEMO_DIR:-$ROOT/out/demo}"

bash "$ROOT/scripts/install-deps.sh"
BUILD_DIR="$ROOT/build" bash "$ROOT/scripts/build.sh" >/dev/null

# The steps themselves, on the build tree's programs and the source's data.
DEMO_TAICHO="$ROOT/build/cli/taicho" DEMO_TAICHOD="$ROOT/build/server/taichod" \
  DEMO_TAICHO_AGENT="$ROOT/build/agent/taicho-agent" \
  DEMO_DRAW_SAMPLE_IMAGES="$ROOT/build/certs-sample/draw_sample_images" \
  DEMO_SAMPLES="$ROOT/render/samples" DEMO_SAMPLE_PKI="$ROOT/certs-sample" \
  DEMO_TSA_SERVER="$ROOT/tests/support/tsa_server.py" \
  DEMO_ONE_STOP_SHOP="$ROOT/scripts/one_stop_shop.py" TAICHO_DEMO_DIR="$OUT" \
  exec bash "$ROOT/scripts/demo-flow.sh"
