#!/usr/bin/env bash
# The test TSA's C++ front (tsa_signer --http-port-file, what bench/seal_load.sh runs) answers over
# HTTP/1.1 keep-alive with tokens that OpenSSL's `openssl ts -verify` accepts against the sample
# PKI, with distinct serial numbers, a signed rejection for a malformed query, and the stats file
# seal_load --tsa-stats reads. So the bench's fixture cannot rot unnoticed.
# Usage: tsa_http_smoke.sh TSA_SIGNER PKI_SEED_DIR
set -euo pipefail
SIGNER_BIN="$1"
PKI="$2/pki"
W="$(mktemp -d /tmp/taicho-tsa-http-XXXXXX)"
TSA=""
cleanup() {
  if [ -n "$TSA" ]; then kill "$TSA" 2>/dev/null || true; wait "$TSA" 2>/dev/null || true; fi
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$W/log" >&2; exit 1; }

"$SIGNER_BIN" --http-port-file "$W/port" --workdir "$W" --workers 2 "$PKI/tsa.pem" \
  "$PKI/tsa.key" "$PKI/subca.pem" 0x10000000001 sha256,sha384,sha512 >"$W/log" 2>&1 &
TSA=$!
for _ in $(seq 1 200); do [ -s "$W/port" ] && break; kill -0 "$TSA" || break; sleep 0.05; done
[ -s "$W/port" ] || fail "the TSA did not start"
URL="http://127.0.0.1:$(cat "$W/port")/"

head -c 256 /dev/urandom >"$W/data1"
head -c 256 /dev/urandom >"$W/data2"
openssl ts -query -data "$W/data1" -sha256 -cert -out "$W/q1.tsq" 2>/dev/null
openssl ts -query -data "$W/data2" -sha512 -out "$W/q2.tsq" 2>/dev/null
printf 'not a time-stamp query' >"$W/q3.tsq"
# Three requests on one kept connection (curl reuses it for the same host).
curl -sS --fail -H 'Content-Type: application/timestamp-query' \
  --data-binary @"$W/q1.tsq" -o "$W/r1.tsr" "$URL" --next \
  -sS --fail -H 'Content-Type: application/timestamp-query' \
  --data-binary @"$W/q2.tsq" -o "$W/r2.tsr" "$URL" --next \
  -sS --fail -H 'Content-Type: application/timestamp-query' \
  --data-binary @"$W/q3.tsq" -o "$W/r3.tsr" "$URL" || fail "HTTP request failed"

for i in 1 2; do
  openssl ts -verify -queryfile "$W/q$i.tsq" -in "$W/r$i.tsr" -CAfile "$PKI/ca-bundle.pem" \
    -untrusted "$PKI/tsa.chain.pem" >"$W/v$i" 2>&1 || { cat "$W/v$i"; fail "token $i not verified"; }
  grep -q '^Verification: OK' "$W/v$i" || fail "token $i: $(cat "$W/v$i")"
  openssl ts -reply -in "$W/r$i.tsr" -text >"$W/t$i" 2>/dev/null
  grep -q '^Policy OID: 1.3.6.1.4.1.99999.1.1$' "$W/t$i" || fail "token $i: not the sample policy"
done
s1="$(grep '^Serial number' "$W/t1")" s2="$(grep '^Serial number' "$W/t2")"
[ -n "$s1" ] && [ "$s1" != "$s2" ] || fail "serial numbers not distinct: '$s1' '$s2'"
openssl ts -reply -in "$W/r3.tsr" -text >"$W/t3" 2>&1 || true
grep -q '^Status: Rejected' "$W/t3" || fail "a malformed query was not rejected: $(cat "$W/t3")"
read -r requests max_in_flight answer_ms connections <"$W/stats"
[ "$requests" = 3 ] && [ "$max_in_flight" = 1 ] && [ "$connections" = 1 ] ||
  fail "stats: $(cat "$W/stats") (want 3 requests, 1 in flight, 1 connection)"
echo "ok: 2 tokens verified by openssl ts -verify, malformed query rejected, stats $requests $max_in_flight $answer_ms $connections"
