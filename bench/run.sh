#!/usr/bin/env bash
# Signing benchmark (not a test). Measures, in one run on this machine:
#   baselines: `openssl speed -seconds 3 rsa2048` sign time, `sha256sum` of the 50 MB file;
#   taicho in process (Google Benchmark, SoftHSM2 RSA-2048) and as a whole command;
#   `pdfsig -add-signature` on the same inputs with the same key in an NSS database;
#   peak memory (max RSS) of each whole command;
#   rendering: in process next to a PoDoFo floor, and `taicho render` vs LibreOffice headless.
#   whole-command start-up: --help, render and sign --p12 next to mutool and pdfsig
#   (bench/startup_bench.sh).
# Usage: bash bench/run.sh [MEGABYTES]   (default 50). BENCH_BUILD_DIR=DIR measures an existing
#   build instead of configuring and building build-bench (Release) first: it must have the
#   targets taicho, sign_bench, render_bench, verify_bench, make_large_pdf, make_sample_pdf and
#   draw_sample_images built.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MB="${1:-50}"
bash "$ROOT/scripts/install-deps.sh"
command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
if [ -n "${BENCH_BUILD_DIR:-}" ]; then
  B="$(cd "$BENCH_BUILD_DIR" && pwd)"
  echo "== build measured: $B ($(grep -m1 '^CMAKE_BUILD_TYPE' "$B/CMakeCache.txt"))"
else
  BUILD_DIR="$ROOT/build-bench" bash "$ROOT/scripts/build.sh" -DCMAKE_BUILD_TYPE=Release \
    -DTAICHO_BUILD_TESTS=ON >/dev/null
  B="$ROOT/build-bench"
fi
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
W="$(mktemp -d /tmp/taicho-bench-XXXXXX)"
trap 'rm -rf "$W"' EXIT
export TAICHO_BENCH_DIR="$W"

bash "$ROOT/certs-sample/make-pki.sh" "$W/pki" >/dev/null
bash "$ROOT/certs-sample/make-tokens.sh" "$W/pki" "$W/tokens" >/dev/null
export SOFTHSM2_CONF="$W/tokens/softhsm2.conf"
"$B/tests/make_sample_pdf" "$W/small.pdf" 2
"$B/bench/make_large_pdf" "$W/large.pdf" "$MB"
MODULE=/usr/lib/softhsm/libsofthsm2.so
TOKEN="Nguyễn Văn An"
echo 123456 | "$B/cli/taicho" sign --in "$W/small.pdf" --out "$W/small-signed.pdf" \
  --module "$MODULE" --token "$TOKEN" --pin-stdin >/dev/null
certutil -N -d "sql:$W/nss" --empty-password 2>/dev/null || { mkdir -p "$W/nss"; certutil -N -d "sql:$W/nss" --empty-password; }
pk12util -i "$W/pki/officer-an.p12" -d "sql:$W/nss" -W taicho >/dev/null

echo "== inputs"
ls -l "$W/small.pdf" "$W/large.pdf" | awk '{print $5, $9}'

echo "== baseline: openssl speed -seconds 3 rsa2048"
speed="$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $4, $6}')"
echo "rsa2048 sign: ${speed% *} s/op, ${speed#* } sign/s"

echo "== in process (Google Benchmark)"
"$B/bench/sign_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=1 2>/dev/null | grep -E "median|Benchmark|---"

echo "== rendering (Google Benchmark; the floor is PoDoFo writing one line in the same 4 subsets)"
TAICHO_BENCH_DIR="$W" "$B/bench/render_bench" --benchmark_min_time=0.5 2>/dev/null |
  grep -E "median|Benchmark|---"

echo "== whole commands (hyperfine, median)"
sign_cmd() { echo "echo 123456 | $B/cli/taicho sign --in $1 --out $W/out.pdf --module $MODULE --token '$TOKEN' --pin-stdin"; }
pdfsig_cmd() { echo "rm -f $W/pdfsig-out.pdf; pdfsig -add-signature -nssdir sql:$W/nss -nick officer-an $1 $W/pdfsig-out.pdf"; }
hyperfine --style none --warmup 2 --runs 15 --export-json "$W/h-small.json" \
  "$(sign_cmd "$W/small.pdf")" "$(pdfsig_cmd "$W/small.pdf")" >/dev/null
hyperfine --style none --warmup 2 --runs 7 --export-json "$W/h-large.json" \
  "sha256sum $W/large.pdf" "$(sign_cmd "$W/large.pdf")" "$(pdfsig_cmd "$W/large.pdf")" >/dev/null
python3 - "$W/h-small.json" "$W/h-large.json" <<'PY'
import json, sys
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        cmd = r["command"]
        name = ("taicho sign" if "cli/taicho sign" in cmd else
                "pdfsig -add-signature" if "pdfsig -add-signature" in cmd else "sha256sum")
        size = "large" if "large.pdf" in cmd else "small"
        print(f"{name:24s} {size:6s} median {r['median']*1000:9.1f} ms  (min {r['min']*1000:.1f})")
PY

echo "== peak memory (max RSS)"
for f in small large; do
  /usr/bin/time -f "taicho sign $f: %M KB" bash -c "$(sign_cmd "$W/$f.pdf")" >/dev/null
  /usr/bin/time -f "pdfsig -add-signature $f: %M KB" bash -c "$(pdfsig_cmd "$W/$f.pdf")" >/dev/null
done 2>&1 | grep KB

echo "== rendering the sample decision as a whole command: taicho render vs LibreOffice headless"
if ! command -v libreoffice >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    libreoffice-writer-nogui >/dev/null
fi
SAMPLE="$ROOT/render/samples/quyet-dinh-ubnd.json"
python3 "$ROOT/bench/decision_to_fodt.py" "$SAMPLE" "$W/qd.fodt"
render_cmd="$B/cli/taicho render --kind quyet-dinh-ubnd --data $SAMPLE --out $W/qd-taicho.pdf"
lo_cmd="libreoffice --headless -env:UserInstallation=file://$W/lo-profile --convert-to pdf --outdir $W/lo $W/qd.fodt"
hyperfine --style none --warmup 3 --runs 30 --export-json "$W/h-render.json" "$render_cmd" >/dev/null
hyperfine --style none --warmup 1 --runs 5 --export-json "$W/h-lo.json" "$lo_cmd" >/dev/null
python3 - "$W/h-render.json" "$W/h-lo.json" "$W/qd-taicho.pdf" "$W/lo/qd.pdf" <<'PY'
import json, os, sys
t = json.load(open(sys.argv[1]))["results"][0]["median"]
lo = json.load(open(sys.argv[2]))["results"][0]["median"]
print(f"taicho render           median {t*1000:9.1f} ms  {os.path.getsize(sys.argv[3]):7d} bytes")
print(f"libreoffice --convert-to median {lo*1000:9.1f} ms  {os.path.getsize(sys.argv[4]):7d} bytes")
print(f"ratio: taicho is {lo/t:.0f}x faster as a whole command")
PY
/usr/bin/time -f "taicho render: %M KB" bash -c "$render_cmd" 2>&1 >/dev/null | grep KB
/usr/bin/time -f "libreoffice --convert-to: %M KB" bash -c "$lo_cmd" 2>&1 >/dev/null | grep KB

echo "== verification (2 signatures): taicho verify vs pdfsig, in process, peak memory"
bash "$ROOT/bench/verify_bench.sh" "$B" "$MB"

echo "== whole-command start-up, render and sign --p12 (taicho-local vs taicho-cli, mutool, pdfsig)"
bash "$ROOT/bench/startup_bench.sh" "$B"
