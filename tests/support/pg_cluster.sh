#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests: initdb in a fresh temp dir, fsync on, listening on a
# Unix socket in that dir only (listen_addresses = ''), trust authentication for the socket.
#
#   pg_cluster.sh start STATE   starts one; STATE (a file) then holds its directory, whose
#                               socket a client reaches as postgresql:///postgres?host=DIR&user=postgres
#   pg_cluster.sh stop STATE    stops it (immediate shutdown) and removes the directory
#
# initdb and postgres refuse to run as root; as root (CI on a fresh machine) they run as the
# system user taicho-pgtest, created when missing, through runuser. A start that fails stops what
# it started. ctest runs start/stop as FIXTURES_SETUP/FIXTURES_CLEANUP (the cleanup runs even when
# tests fail); a start finding an old STATE stops that cluster first.
set -euo pipefail

BIN=/usr/lib/postgresql/15/bin
PGUSER_SYSTEM=taicho-pgtest
cmd="${1:?start|stop}"
state="${2:?state file}"

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$PGUSER_SYSTEM" -- "$@"
  else
    "$@"
  fi
}

stop() {
  [[ -f "$state" ]] || return 0
  local dir
  dir="$(cat "$state")"
  if [[ -n "$dir" && -d "$dir" ]]; then
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  fi
  rm -f "$state"
}

case "$cmd" in
  stop)
    stop
    ;;
  start)
    stop
    if [[ $(id -u) -eq 0 ]] && ! id -u "$PGUSER_SYSTEM" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_SYSTEM"
    fi
    dir="$(mktemp -d /tmp/taicho-pg.XXXXXX)"
    echo "$dir" >"$state"
    trap 'echo "pg_cluster: start failed" >&2; tail -n 30 "$dir/log" >&2 2>/dev/null || true; stop' ERR
    # The test user (root here) reaches the socket; the cluster's own user owns everything.
    chmod 0755 "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown "$PGUSER_SYSTEM:" "$dir"; fi
    as_owner "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1
    # fsync stays on (the default): the tests check durability claims, not a faster fiction.
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -c fsync=on -c synchronous_commit=on -c max_connections=200 -c shared_buffers=32MB" \
      start >/dev/null
    "$BIN/pg_isready" -h "$dir" -q
    trap - ERR
    echo "pg_cluster: running in $dir"
    ;;
  *)
    echo "usage: $0 start|stop STATE" >&2
    exit 2
    ;;
esac
