#!/usr/bin/env bash
# Whole-command start-up and local commands (not a test). In one run on this machine, next to
# their baselines: `taicho --help` vs `mutool -v`; `taicho render` of the sample decision; `taicho
# sign --p12` of that 2-page draft vs `mutool sign` (Debian mupdf-tools) and `pdfsig
# -add-signature` with the same key; each through the launcher (taicho-local since it exists)
# and straight through taicho-cli (every command's program before, gRPC and protobuf loaded).
# Reported: hyperfine median wall time and mean user+system CPU, and peak memory (max RSS).
# Usage: bash bench/startup_bench.sh [BUILD_DIR]   (default build-bench; targets taicho, taicho-cli,
#        taicho-local, taicho-verify, draw_sample_images built). Env: RUNS (default 30).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="$(cd "${1:-$ROOT/build-bench}" && pwd)"
RUNS="${RUNS:-30}"
W="$(mktemp -d /tmp/taicho-startup-XXXXXX)"
trap 'rm -rf "$W"' EXIT

TAICHO_DRAW_SAMPLE_IMAGES="$B/certs-sample/draw_sample_images" \
  bash "$ROOT/certs-sample/make-pki.sh" "$W/pki" >/dev/null
SAMPLE="$ROOT/render/samples/quyet-dinh-ubnd.json"
"$B/cli/taicho" render --kind quyet-dinh-ubnd --data "$SAMPLE" --out "$W/draft.pdf" >/dev/null
# pdfsig signs from an NSS database holding the same key.
certutil -N -d "sql:$W/nss" --empty-password 2>/dev/null ||
  { mkdir -p "$W/nss"; certutil -N -d "sql:$W/nss" --empty-password; }
pk12util -i "$W/pki/officer-an.p12" -d "sql:$W/nss" -W taicho >/dev/null

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
sign_cmd() {  # $1: program (taicho or taicho-cli)
  echo "echo taicho | $B/cli/$1 sign --in $W/draft.pdf --out $W/$1-signed.pdf --p12 $W/pki/officer-an.p12 --pin-stdin"
}
render_cmd() { echo "$B/cli/$1 render --kind quyet-dinh-ubnd --data $SAMPLE --out $W/$1-render.pdf"; }
pdfsig_cmd="rm -f $W/pdfsig-out.pdf; pdfsig -add-signature -nssdir sql:$W/nss -nick officer-an $W/draft.pdf $W/pdfsig-out.pdf"
names=("taicho --help" "taicho-cli --help" "taicho render" "taicho-cli render"
  "taicho sign --p12" "taicho-cli sign --p12" "pdfsig -add-signature")
cmds=("$B/cli/taicho --help" "$B/cli/taicho-cli --help" "$(render_cmd taicho)"
  "$(render_cmd taicho-cli)" "$(sign_cmd taicho)" "$(sign_cmd taicho-cli)" "$pdfsig_cmd")
if command -v mutool >/dev/null; then
  names+=("mutool -v")
  cmds+=("mutool -v")
  # mutool sign needs a key it can read: MuPDF 1.21 refuses this PKI's PKCS#12 files ("Failed
  # to obtain public key"), so it is run only when it signs.
  if mutool sign -s "$W/pki/officer-an.p12" -p taicho -o "$W/m.pdf" "$W/draft.pdf" 12 >/dev/null 2>&1 &&
    [ -s "$W/m.pdf" ]; then
    names+=("mutool sign")
    cmds+=("rm -f $W/m.pdf; mutool sign -s $W/pki/officer-an.p12 -p taicho -o $W/m.pdf $W/draft.pdf 12")
  else
    echo "mutool sign: cannot sign with this PKI's PKCS#12 here (left out)"
  fi
fi
# Through a shell (the sign commands read the password from a pipe); hyperfine subtracts the
# shell's own start-up.
hyperfine --style none --warmup 3 --runs "$RUNS" --export-json "$W/h.json" "${cmds[@]}" >/dev/null
for i in "${!cmds[@]}"; do
  kb="$(/usr/bin/time -f %M bash -c "${cmds[$i]}" 2>&1 >/dev/null | tail -1)"
  echo "${names[$i]}|$kb"
done >"$W/rss.txt"
python3 - "$W/h.json" "$W/rss.txt" "${names[@]}" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
rss = dict(l.rstrip("\n").split("|") for l in open(sys.argv[2]))
names = sys.argv[3:]
print(f"{'command':24s} {'median ms':>10s} {'CPU ms':>8s} {'max RSS KB':>11s}")
for name, r in zip(names, res):
    cpu = (r["user"] + r["system"]) * 1000
    print(f"{name:24s} {r['median']*1000:10.1f} {cpu:8.1f} {rss.get(name, '?'):>11s}")
PY
