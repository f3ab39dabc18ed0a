#!/usr/bin/env bash
# Server-side seal under load (not a test). In one run on this machine:
#   baseline: `openssl speed -seconds 2 rsa2048`, the raw single-core RSA-2048 sign rate,
#   measured right before each measured seal phase;
#   taichod (plain text on loopback, then mutual TLS) with the sample seal token in SoftHSM2,
#   activated from a PIN file; bench/seal_load with 1, 4, 8 and 16 intake clients creating 2-page
#   decisions, an officer approving them, then sealing them server-side.
# Usage: bash bench/seal_load.sh [BUILD_DIR]   (default build-bench; targets taichod, seal_load,
#        draw_sample_images must be built). Env: DOCUMENTS (measured seals per client count
#        per round, default 384), ROUNDS (measured seal phases per client count, default 3),
#        WARMUP (unmeasured seals per client before them, default 4),
#        LATENCY_LOG=FILE (every operation's timing, for looking at tails),
#        SESSIONS (the seal key's PKCS#11 session pool, default 2), MTLS=0 to skip mutual TLS,
#        SEAL_CONCURRENCY (taichod's seal_concurrency; default: its own), KEEP=1 (see cleanup),
#        SEAL_IMAGE=0 for an invisible seal, CLIENTS (comma list, default 1,4,8,16),
#        RSA_SECONDS (the baseline's `openssl speed -seconds`, default 2).
#        LEVELS=1: taichod with a [signing] policy at B-B for both signatures (certificates checked
#          before signing against `openssl ocsp` on loopback, answers cached), so every seal
#          stores its level record — what the record costs a seal, without TSA round trips.
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
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "${OCSP_PID:-}" ] && kill "$OCSP_PID" 2>/dev/null
  wait 2>/dev/null
  [ -n "$PG_STATE" ] && bash "$ROOT/tests/support/pg_cluster.sh" stop "$PG_STATE"
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

TAICHO_DRAW_SAMPLE_IMAGES="$B/certs-sample/draw_sample_images" \
  bash "$ROOT/certs-sample/make-pki.sh" "$W/pki" >/dev/null
bash "$ROOT/certs-sample/make-tokens.sh" "$W/pki" "$W/tokens" >/dev/null
export SOFTHSM2_CONF="$W/tokens/softhsm2.conf"
[ -f "$W/pki/seal.png" ] || "$B/certs-sample/draw_sample_images" "$W/pki" >/dev/null
umask 077
printf '123456\n' >"$W/seal.pin"
# SEAL_IMAGE=0: an invisible seal (no image to decode and embed), to see what the image costs.
SEAL_IMAGE_LINE="seal_image = \"$W/pki/seal.png\""
[ "${SEAL_IMAGE:-1}" = 0 ] && SEAL_IMAGE_LINE=""

# LEVELS=1: the responder the policy's checks ask (the sample PKI's openssl ca database), and
# the [signing] table every set-up below gets. The TSA URL is never asked at B-B; it makes
# taichod keep level records (and run its level keeper) as a policy with a TSA does.
SIGNING_TOML=""
if [ "${LEVELS:-0}" = 1 ]; then
  OCSP_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  (cd "$W/pki" && exec openssl ocsp -index index.txt -port "$OCSP_PORT" -rsigner ocsp.pem \
    -rkey ocsp.key -CA subca.pem -nmin 60 -ignore_err) >"$W/ocsp.log" 2>&1 &
  OCSP_PID=$!
  for _ in $(seq 1 100); do grep -q "waiting for OCSP client" "$W/ocsp.log" && break; sleep 0.05; done
  SIGNING_TOML="[signing]
officer_level = \"B-B\"
seal_level = \"B-B\"
tsa_urls = [\"http://127.0.0.1:9/tsa\"]
tsa_trust = \"$W/pki/ca-bundle.pem\"
roots = \"$W/pki/ca-bundle.pem\"
ocsp_url = \"http://127.0.0.1:$OCSP_PORT\""
fi

# $1: name, $2: extra top-level TOML. Starts taichod in the background and sets PORT and PID.
start_taichod() {
  cat >"$W/$1.toml" <<TOML
store_dir = "$W/$1-store"
listen = "127.0.0.1:0"
port_file = "$W/$1.port"
$2
$SIGNING_TOML
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
  "$B/server/taichod" --config "$W/$1.toml" --metrics-listen "" >"$W/$1.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do [ -s "$W/$1.port" ] && break; sleep 0.05; done
  [ -s "$W/$1.port" ] || { cat "$W/$1.log"; exit 1; }
  PORT="$(cat "$W/$1.port")"
}
stop_taichod() { kill -TERM "$PID"; wait "$PID" || true; PID=""; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

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
