#!/usr/bin/env bash
# Server-side seal under load (not a test). In one run on this machine:
#   baseline: `openssl speed -seconds 2 rsa2048`, the raw single-core RSA-2048 sign rate,
#   measured right before each measured seal phase;
#   taichod with the sample seal token in SoftHSM2, activated from a PIN file; bench/seal_load
#   with N intake clients creating 2-page decisions, an officer approving them (split signing),
#   then sealing them server-side (SignDocument).
# By default (issues 16 and 22): the seal at each PAdES level of LEVELS (default "B-B,B-LTA")
#   with 1 and 16 clients, plain text on loopback, under a taichod.toml [signing] policy served
#   by real services on loopback: the project's test TSA (tests/support/tsa_signer's HTTP front,
#   OpenSSL's TS_RESP_create_response; TSA_FRONT=python: tests/support/tsa_server.py), OpenSSL's
#   own OCSP responder (`openssl ocsp -index … -port`, answers valid 60 min) and the PKI's CRLs
#   over python3's http.server. Both levels check the signers' certificates before signing and
#   time-stamp the officer's signature (B-T); only the seal's level differs. For each seal phase
#   it prints the requests the OCSP responder, the CRL server and the TSA received per seal
#   (counted from their logs: the responder's "Received request" lines, http.server's "GET /"
#   lines, the TSA's request counter), first for the warm-up seals (cold caches), then for the
#   measured ones (warm caches: OCSP/CRL should be 0). After each level, the last sealed
#   documents are checked with pdfsig, qpdf --check and `taicho verify` offline (TOTAL-PASSED at
#   that level). LEVELS=off: the former plain-text and
#   mutual-TLS runs without a [signing] policy (CLIENTS default 1,4,8,16).
# Usage: bash bench/seal_load.sh [BUILD_DIR]   (default build-bench; targets taichod, seal_load,
#        draw_sample_images, taicho, taicho-verify must be built, and tsa_signer for the
#        default test TSA). Env: LEVELS (comma list of
#        B-B, B-T, B-LT, B-LTA, or off), CLIENTS (comma list; default 1,16 with LEVELS),
#        DOCUMENTS (measured seals per client count per round, default 384; 192 with LEVELS),
#        ROUNDS (measured seal phases per client count, default 3),
#        WARMUP (unmeasured seals per client before them, default 4),
#        LATENCY_LOG=FILE (every operation's timing, for looking at tails),
#        SESSIONS (the seal key's PKCS#11 session pool, default 2), MTLS=0 to skip mutual TLS,
#        SEAL_CONCURRENCY (taichod's seal_concurrency; default: its own), KEEP=1 (see cleanup),
#        SEAL_IMAGE=0 for an invisible seal, PERF_RECORD=PREFIX (and PERF_FREQ, default 250;
#          PERF_STACK, the bytes of stack copied per sample, default 16384 as issue 22's
#          profiles used: perf's own 8192 can cut a deep stack off below SignWith):
#          taichod runs under `perf record --call-graph dwarf`, one PREFIX.NAME.data per taichod,
#        RSA_SECONDS (the baseline's `openssl speed -seconds`, default 2),
#        TSA_WORKERS (tokens the test TSA makes at once, default 4), TSA_FRONT (cpp: the default
#          when built, tests/support/tsa_signer's own HTTP front; python: tests/support/
#          tsa_server.py, the tests' TSA) and with TSA_FRONT=python TSA_SIGNER_MODE (worker:
#          long-lived tsa_signer workers, the default when built; openssl: one `openssl ts -reply`
#          process per token). TSA_FRONT=python TSA_WORKERS=1 TSA_SIGNER_MODE=openssl is the
#          test TSA before issue 16's speed round (one token at a time, clients queueing),
#        PKI_SEED (a directory made by tests/support/make-pki-seed.sh: its PKI and tokens are
#        copied instead of made anew; the ctest smoke entry uses it).
#        STORES: comma list of store set-ups to measure instead of the plain/mTLS pair (issue 19):
#          sqlite  one taichod on its SQLite store;
#          pg1     one taichod on PostgreSQL (a throwaway cluster, tests/support/pg_cluster.sh);
#          pg2     two taichods on the same PostgreSQL database, clients alternating between them.
#        e.g. STORES=sqlite,pg1,pg2 CLIENTS=16 MTLS=0. Each set-up gets a fresh database schema.
#        BLOB_STORAGE=extended: after the PostgreSQL instances start, the blobs' column goes back to
#          TOAST's default (pglz tried on every PDF), to measure what taichod's EXTERNAL saves.
#        PG_WAITS=1: during each PostgreSQL set-up, pg_stat_activity sampled every 50 ms; prints how
#          often the taichod connections were seen in each state / wait event (where time goes).
#        FAILOVER=N (with a pg set-up): N times, two instances on PostgreSQL and 16 clients sealing
#          on the first; it is killed (SIGKILL, its PID as started here) and each client retries on
#          the second: kill → failure → success on the other, per client.
# Reported per phase: throughput, p50/p99/max latency, and taichod's CPU time per operation
# (from /proc; steadier than wall-clock rates on a shared machine).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="$(cd "${1:-$ROOT/build-bench}" && pwd)"
LEVELS="${LEVELS:-B-B,B-LTA}"
[ -n "${STORES:-}" ] && LEVELS=off
if [ "$LEVELS" != off ]; then
  DOCUMENTS="${DOCUMENTS:-192}"
  CLIENTS="${CLIENTS:-1,16}"
fi
DOCUMENTS="${DOCUMENTS:-384}"
SESSIONS="${SESSIONS:-2}"
W="$(mktemp -d /tmp/taicho-seal-load-XXXXXX)"
PID=""
PIDS=()
PG_STATE=""
# KEEP=1 leaves the stores in place (remove them later, not right before a run): ext4 without a
# journal, as here, scans past recently deleted inodes for every new file for a minute or more,
# so deleting the last run's thousands of files makes this run's file creation slow — a cost a
# store that never deletes its revisions does not have.
SERVICE_PIDS=()  # the TSA, OCSP responder and CRL server (level runs)
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  for p in "${PIDS[@]}" "${SERVICE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "$PG_STATE" ] && bash "$ROOT/tests/support/pg_cluster.sh" stop "$PG_STATE"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

if [ -n "${PKI_SEED:-}" ]; then
  # The ctest fixture's PKI and tokens (tests/support/make-pki-seed.sh), copied: seconds saved.
  cp -r "$PKI_SEED/pki" "$PKI_SEED/tokens" "$W/"
  sed -i "s|^directories.tokendir = .*|directories.tokendir = $W/tokens/tokens|" \
    "$W/tokens/softhsm2.conf"
else
  TAICHO_DRAW_SAMPLE_IMAGES="$B/certs-sample/draw_sample_images" \
    bash "$ROOT/certs-sample/make-pki.sh" "$W/pki" >/dev/null
  bash "$ROOT/certs-sample/make-tokens.sh" "$W/pki" "$W/tokens" >/dev/null
fi
export SOFTHSM2_CONF="$W/tokens/softhsm2.conf"
[ -f "$W/pki/seal.png" ] || "$B/certs-sample/draw_sample_images" "$W/pki" >/dev/null
umask 077
printf '123456\n' >"$W/seal.pin"
# SEAL_IMAGE=0: an invisible seal (no image to decode and embed), to see what the image costs.
SEAL_IMAGE_LINE="seal_image = \"$W/pki/seal.png\""
[ "${SEAL_IMAGE:-1}" = 0 ] && SEAL_IMAGE_LINE=""

# $1: name, $2: extra top-level TOML. Starts taichod in the background and sets PORT and PID.
start_taichod() {
  cat >"$W/$1.toml" <<TOML
store_dir = "$W/$1-store"
listen = "127.0.0.1:0"
port_file = "$W/$1.port"
$2
[keys.seal]
module = "/usr/lib/softhsm/libsofthsm2.so"
token_label = "Con dấu UBND Châu Đức"
key_label = "seal"
pin_file = "$W/seal.pin"
$SEAL_IMAGE_LINE
sessions = $SESSIONS
TOML
  [ -n "${SEAL_CONCURRENCY:-}" ] && sed -i "1i seal_concurrency = $SEAL_CONCURRENCY" "$W/$1.toml"
  rm -f "$W/$1.port"
  # No /metrics listener: its default port would clash with a taichod already running here.
  local wrap=()
  # PERF_RECORD=PREFIX: taichod under `perf record --call-graph dwarf` (PREFIX.NAME.data; attaching
  # with -p misses the gRPC threads started later). taichod's CPU is then perf's own too.
  [ -n "${PERF_RECORD:-}" ] &&
    wrap=(perf record -F "${PERF_FREQ:-250}" --call-graph "dwarf,${PERF_STACK:-16384}" -o "$PERF_RECORD.$1.data" --)
  "${wrap[@]}" "$B/server/taichod" --config "$W/$1.toml" --metrics-listen "" >"$W/$1.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do [ -s "$W/$1.port" ] && break; sleep 0.05; done
  [ -s "$W/$1.port" ] || { cat "$W/$1.log"; exit 1; }
  PORT="$(cat "$W/$1.port")"
}
# perf record passes SIGINT on to taichod as SIGTERM and writes its data.
stop_taichod() { kill "-$([ -n "${PERF_RECORD:-}" ] && echo INT || echo TERM)" "$PID"; wait "$PID" || true; PID=""; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== uptime: $(uptime)"

# Each measured seal phase gets the raw rate measured right before it (the run's drift is larger
# than most changes worth measuring), and ROUNDS phases per client count give a median.
common=(--officer-key "$W/pki/officer-an.key" --officer-chain "$W/pki/officer-an.chain.pem"
  --documents "$DOCUMENTS" --warmup "${WARMUP:-4}" --rounds "${ROUNDS:-3}"
  --baseline-command "openssl speed -seconds ${RSA_SECONDS:-2} rsa2048")
[ -n "${CLIENTS:-}" ] && common+=(--clients "$CLIENTS")
[ -n "${LATENCY_LOG:-}" ] && common+=(--latency-log "$LATENCY_LOG")
# A fresh schema in the throwaway cluster (started before the set-ups): prints its URL.
pg_url() {
  local dir base
  dir="$(cat "$PG_STATE")"
  base="postgresql:///postgres?host=$dir&user=postgres"
  /usr/lib/postgresql/15/bin/psql -X -q "$base" -c "CREATE SCHEMA $1"
  echo "$base&options=-csearch_path%3D$1"
}

if [ -n "${STORES:-}" ]; then
  if [[ ",$STORES," == *,pg* ]] || [ "${FAILOVER:-0}" -gt 0 ]; then
    PG_STATE="$W/pg.state"
    bash "$ROOT/tests/support/pg_cluster.sh" start "$PG_STATE" >/dev/null
  fi
  IFS=',' read -ra setups <<<"$STORES"
  for setup in "${setups[@]}"; do
    case "$setup" in
      sqlite) n=1 store="" ;;
      pg1) n=1 store="store = \"$(pg_url bench_${setup})\"" ;;
      pg2) n=2 store="store = \"$(pg_url bench_${setup})\"" ;;
      *) echo "unknown store set-up $setup" >&2; exit 2 ;;
    esac
    targets="" PIDS=()
    for i in $(seq 1 "$n"); do
      start_taichod "$setup-$i" "insecure_local = true
$store"
      targets="${targets:+$targets,}127.0.0.1:$PORT"
      PIDS+=("$PID")
      PID=""
    done
    if [ -n "$store" ] && [ -n "${BLOB_STORAGE:-}" ]; then
      /usr/lib/postgresql/15/bin/psql -X -q "postgresql:///postgres?host=$(cat "$PG_STATE")&user=postgres" \
        -c "ALTER TABLE bench_${setup}.blobs ALTER COLUMN data SET STORAGE $BLOB_STORAGE"
    fi
    pids="$(IFS=,; echo "${PIDS[*]}")"
    sampler=""
    if [ -n "$store" ] && [ "${PG_WAITS:-0}" = 1 ]; then
      touch "$W/sampling"
      (
        u="postgresql:///postgres?host=$(cat "$PG_STATE")&user=postgres"
        while [ -f "$W/sampling" ]; do
          /usr/lib/postgresql/15/bin/psql -X -At "$u" -c "SELECT state || ' ' ||
            coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
            AND state <> 'idle'" >>"$W/waits-$setup"
          sleep 0.05
        done
      ) &
      sampler=$!
    fi
    "$B/bench/seal_load" --target "$targets" "${common[@]}" --server-pid "$pids" \
      --label "$setup: $n instance(s), plain text, $SESSIONS PKCS#11 sessions"
    if [ -n "$sampler" ]; then
      rm -f "$W/sampling"
      wait "$sampler" || true
      echo "-- $setup: busy taichod connections by state and wait event (samples every 50 ms)"
      sort "$W/waits-$setup" | uniq -c | sort -rn | head -12
    fi
    for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || true; done
    PIDS=()
  done
  for t in $(seq 1 "${FAILOVER:-0}"); do
    store="store = \"$(pg_url bench_failover_$t)\""
    start_taichod "failover-$t-b" "insecure_local = true
$store"
    PIDS=("$PID") target_b="127.0.0.1:$PORT"
    start_taichod "failover-$t-a" "insecure_local = true
$store"
    PIDS+=("$PID")
    "$B/bench/seal_load" --target "127.0.0.1:$PORT,$target_b" \
      --officer-key "$W/pki/officer-an.key" --officer-chain "$W/pki/officer-an.chain.pem" \
      --clients 16 --documents 160 --rounds 1 --warmup 0 --kill-pid "$PID" \
      --kill-after-ms "${KILL_AFTER_MS:-1500}" --label "failover $t: kill -9 under 16 clients"
    wait "$PID" 2>/dev/null || true
    PID=""
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    PIDS=()
  done
  exit 0
fi

if [ "$LEVELS" != off ]; then
  # A free loopback port (bound and released; the services below bind it right after).
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  # $1: pid, $2: log, $3: line. OpenSSL's responder serves one connection at a time and one that
  # closes without a request wedges it: wait for its own "waiting" line, never probe its port.
  wait_for_line() {
    for _ in $(seq 1 400); do
      grep -q "$3" "$2" 2>/dev/null && return 0
      kill -0 "$1" 2>/dev/null || break
      sleep 0.05
    done
    cat "$2" >&2
    exit 1
  }
  mkdir -p "$W/tsa"
  # The test TSA: by default (TSA_FRONT=cpp, when built) tests/support/tsa_signer's own HTTP
  # front, the whole TSA in one C++ process: the Python front spent about as much CPU per token as
  # the signing, CPU a real TSA spends on other machines but that here competes with taichod.
  # TSA_FRONT=python: tests/support/tsa_server.py with long-lived tsa_signer workers (or one
  # `openssl ts -reply` per token with TSA_SIGNER_MODE=openssl or without a tsa_signer build).
  TSA_FRONT="${TSA_FRONT:-cpp}"
  [ -x "$B/tests/tsa_signer" ] || TSA_FRONT=python
  if [ "$TSA_FRONT" = cpp ]; then
    echo "== test TSA: ${TSA_WORKERS:-4} workers, tsa_signer's C++ HTTP front"
    "$B/tests/tsa_signer" --http-port-file "$W/tsa/port" --workdir "$W/tsa" \
      --workers "${TSA_WORKERS:-4}" "$W/pki/tsa.pem" "$W/pki/tsa.key" "$W/pki/subca.pem" \
      0x10000000001 sha256,sha384,sha512 >"$W/tsa/log" 2>&1 &
  else
    TSA_SIGNER=()
    if [ "${TSA_SIGNER_MODE:-worker}" != openssl ] && [ -x "$B/tests/tsa_signer" ]; then
      TSA_SIGNER=(--signer-bin "$B/tests/tsa_signer")
    fi
    how="one openssl ts -reply per token"
    [ ${#TSA_SIGNER[@]} -gt 0 ] && how="long-lived tsa_signer workers"
    echo "== test TSA: ${TSA_WORKERS:-4} workers, Python front, $how"
    python3 "$ROOT/tests/support/tsa_server.py" --workdir "$W/tsa" --port-file "$W/tsa/port" \
      --signer "$W/pki/tsa.pem" --inkey "$W/pki/tsa.key" --chain "$W/pki/subca.pem" \
      --workers "${TSA_WORKERS:-4}" "${TSA_SIGNER[@]}" >"$W/tsa/log" 2>&1 &
  fi
  SERVICE_PIDS+=($!)
  TSA_PID=$!
  for _ in $(seq 1 400); do [ -s "$W/tsa/port" ] && break; sleep 0.05; done
  [ -s "$W/tsa/port" ] || { cat "$W/tsa/log"; exit 1; }
  OCSP_PORT="$(free_port)"
  # Answers valid 60 minutes (nextUpdate): longer than a run, as a real responder's hours.
  (cd "$W/pki" && exec openssl ocsp -index index.txt -port "$OCSP_PORT" -rsigner ocsp.pem \
    -rkey ocsp.key -CA subca.pem -nmin 60 -ignore_err) >"$W/ocsp.log" 2>&1 &
  SERVICE_PIDS+=($!)
  wait_for_line "$!" "$W/ocsp.log" "waiting for OCSP client"
  CRL_PORT="$(free_port)"
  (cd "$W/pki" && exec python3 -u -m http.server --bind 127.0.0.1 "$CRL_PORT") >"$W/crl.log" 2>&1 &
  SERVICE_PIDS+=($!)
  wait_for_line "$!" "$W/crl.log" "Serving HTTP"
  echo "== services on loopback: TSA :$(cat "$W/tsa/port"), OCSP responder :$OCSP_PORT, CRLs :$CRL_PORT"
  IFS=',' read -ra levels <<<"$LEVELS"
  for level in "${levels[@]}"; do
    # The sample certificates name http://127.0.0.1:18080/ocsp and :18081/subca.crl.
    start_taichod "level-$level" "insecure_local = true
[signing]
officer_level = \"B-T\"
seal_level = \"$level\"
tsa_urls = [\"http://127.0.0.1:$(cat "$W/tsa/port")/\"]
tsa_trust = \"$W/pki/ca-bundle.pem\"
roots = \"$W/pki/ca-bundle.pem\"
url_rewrites = [\"http://127.0.0.1:18080/ocsp=http://127.0.0.1:$OCSP_PORT\", \"http://127.0.0.1:18081=http://127.0.0.1:$CRL_PORT\"]
when_unavailable = \"refuse\""
    mkdir -p "$W/saved-$level"
    "$B/bench/seal_load" --target "127.0.0.1:$PORT" "${common[@]}" \
      --server-pid "$PID" --label "seal at $level, plain text, $SESSIONS PKCS#11 sessions" \
      --expect-level "$level" --ocsp-log "$W/ocsp.log" --crl-log "$W/crl.log" \
      --tsa-stats "$W/tsa/stats" --tsa-pid "$TSA_PID" --save-dir "$W/saved-$level"
    stop_taichod
    echo "== uptime: $(uptime)"
    # Tools we did not write, then our verifier from the file alone (no network).
    for f in "$W/saved-$level"/*.pdf; do
      # -nocert: pdfsig judges the signatures (NSS has not the sample roots): the officer's and
      # the seal valid, nothing invalid (poppler leaves a document time-stamp "not yet verified").
      pdfsig -nocert "$f" >"$f.pdfsig" 2>&1 || { cat "$f.pdfsig"; exit 1; }
      [ "$(grep -c 'Signature Validation: Signature is Valid' "$f.pdfsig")" -ge 2 ] &&
        ! grep 'Signature Validation:' "$f.pdfsig" | grep -v 'is Valid\|not yet been verified' ||
        { cat "$f.pdfsig"; echo "pdfsig: a signature of $f is not valid" >&2; exit 1; }
      qpdf --check "$f" >"$f.qpdf" 2>&1 || { cat "$f.qpdf"; exit 1; }
      "$B/cli/taicho" verify --trust "$W/pki/ca-bundle.pem" "$f" >"$f.verify" 2>&1 ||
        { cat "$f.verify"; exit 1; }
      grep -q "Document's PAdES level: $level\$" "$f.verify" &&
        ! grep -q "TOTAL-FAILED\|INDETERMINATE" "$f.verify" ||
        { cat "$f.verify"; echo "taicho verify: $f is not TOTAL-PASSED at $level" >&2; exit 1; }
    done
    echo "checked: $(ls "$W/saved-$level"/*.pdf | wc -l) sealed files at $level pass pdfsig, qpdf --check and taicho verify offline"
  done
  exit 0
fi

start_taichod plain "insecure_local = true"
"$B/bench/seal_load" --target "127.0.0.1:$PORT" "${common[@]}" \
  --server-pid "$PID" --label "plain text, $SESSIONS PKCS#11 sessions"
stop_taichod
grep -c "SignDocument .* ok" "$W/plain.log" | sed 's/^/taichod log: SignDocument ok lines: /'

if [ "${MTLS:-1}" != 0 ]; then
  start_taichod mtls "[tls]
cert = \"$W/pki/tls-server.chain.pem\"
key = \"$W/pki/tls-server.key\"
client_ca = \"$W/pki/root.pem\""
  "$B/bench/seal_load" --target "127.0.0.1:$PORT" "${common[@]}" \
    --server-pid "$PID" --label "mutual TLS" \
    --tls-root "$W/pki/root.pem" --tls-cert "$W/pki/client-intake.chain.pem" \
    --tls-key "$W/pki/client-intake.key" --officer-tls-cert "$W/pki/client-officer-an.chain.pem" \
    --officer-tls-key "$W/pki/client-officer-an.key"
  stop_taichod
fi
