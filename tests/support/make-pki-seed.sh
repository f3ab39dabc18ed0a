#!/usr/bin/env bash
# The ctest fixture `test_pki`: one sample PKI and token set per test run, in SEED/pki and
# SEED/tokens; test processes copy it (see tests/support/pki_fixture.cc). SEED/keys: a pool of
# spare keys for the tests that build their own tokens or PKI (tests/support/key_pool.h).
set -euo pipefail
seed="$1"
here="$(cd "$(dirname "$0")/../../certs-sample" && pwd)"
rm -rf "$seed.tmp" && mkdir -p "$seed.tmp"
bash "$here/make-pki.sh" "$seed.tmp/pki" >/dev/null
bash "$here/make-tokens.sh" "$seed.tmp/pki" "$seed.tmp/tokens" >/dev/null
mkdir "$seed.tmp/keys"
for n in 1 2 3 4; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$seed.tmp/keys/rsa-$n.pem"
done
for n in 1 2; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$seed.tmp/keys/ec-$n.pem"
done
rm -rf "$seed" && mv "$seed.tmp" "$seed"
