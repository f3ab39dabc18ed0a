#!/usr/bin/env bash
# The ctest fixture `test_pki`: one sample PKI and token set per test run, in SEED/pki and
# SEED/tokens; test processes copy it (see tests/support/pki_fixture.cc).
set -euo pipefail
seed="$1"
here="$(cd "$(dirname "$0")/../../certs-sample" && pwd)"
rm -rf "$seed.tmp" && mkdir -p "$seed.tmp"
bash "$here/make-pki.sh" "$seed.tmp/pki" >/dev/null
bash "$here/make-tokens.sh" "$seed.tmp/pki" "$seed.tmp/tokens" >/dev/null
rm -rf "$seed" && mv "$seed.tmp" "$seed"
