#!/usr/bin/env bash
# Verification benchmark (not a test): `taicho verify` next to `pdfsig` on the same files in the
# same run, both checking the chain against the sample root:
#   (a) a 2-page PDF with 2 signatures (officer, then seal),
#   (b) a large PDF (default 50 MB of incompressible images) with the same 2 signatures;
#   plus a 2× larger copy of (b) to show whether memory grows with the file.
# Median wall time (hyperfine) and peak memory (max RSS from /usr/bin/time).
# Usage: bash bench/verify_bench.sh BUILD_DIR [MEGABYTES]
#   BUILD_DIR holds cli/taicho, tests/make_sample_pdf, bench/make_large_pdf and
#   bench/verify_bench (bench/run.sh passes its Release build).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="$(cd "${1:?usage: verify_bench.sh BUILD_DIR [MEGABYTES]}" && pwd)"
MB="${2:-50}"
W="$(mktemp -d /tmp/taicho-verify-bench-XXXXXX)"
trap 'rm -rf "$W"' EXIT

bash "$ROOT/certs-sample/make-pki.sh" "$W/pki" >/dev/null
bash "$ROOT/certs-sample/make-tokens.sh" "$W/pki" "$W/tokens" >/dev/null
export SOFTHSM2_CONF="$W/tokens/softhsm2.conf"
MODULE=/usr/lib/softhsm/libsofthsm2.so
sign() {  # IN OUT TOKEN PAGE
  echo 123456 | "$B/cli/taicho" sign --in "$1" --out "$2" --module "$MODULE" --token "$3" \
    --page "$4" --pin-stdin >/dev/null
}
twice() {  # IN OUT: officer on page 1, then the seal on the last page
  sign "$1" "$W/tmp.pdf" "Nguyễn Văn An" 1
  sign "$W/tmp.pdf" "$2" "Con dấu UBND Châu Đức" 1
}
"$B/tests/make_sample_pdf" "$W/small.pdf" 2
"$B/bench/make_large_pdf" "$W/large.pdf" "$MB"
"$B/bench/make_large_pdf" "$W/larger.pdf" "$((MB * 2))"
twice "$W/small.pdf" "$W/small-2sig.pdf"
twice "$W/large.pdf" "$W/large-2sig.pdf"
twice "$W/larger.pdf" "$W/larger-2sig.pdf"

# pdfsig checks the chain against an NSS database that trusts the same sample root.
mkdir -p "$W/nss"
certutil -N -d "sql:$W/nss" --empty-password
certutil -A -d "sql:$W/nss" -n root -t "CT,C,C" -i "$W/pki/root.pem"
certutil -A -d "sql:$W/nss" -n subca -t ",," -i "$W/pki/subca.pem"

echo "== inputs"
ls -l "$W"/*-2sig.pdf | awk '{print $5, $9}'
echo "== what each tool concludes on the large file"
"$B/cli/taicho" verify --trust "$W/pki/ca-bundle.pem" "$W/large-2sig.pdf" |
  grep -E "Kết luận|Changes after" || true
pdfsig -nssdir "sql:$W/nss" "$W/large-2sig.pdf" | grep -E "Signature Validation|Certificate Validation" || true

taicho_cmd() { echo "$B/cli/taicho verify --trust $W/pki/ca-bundle.pem $1"; }
pdfsig_cmd() { echo "pdfsig -nssdir sql:$W/nss $1"; }
nocert_cmd() { echo "pdfsig -nocert $1"; }  # pdfsig's cheapest mode: no chain check
echo "== median wall time (hyperfine)"
for f in small large larger; do
  runs=15
  [[ $f == small ]] || runs=7
  hyperfine --style none -N -i --warmup 2 --runs "$runs" --export-json "$W/h-$f.json" \
    "$(taicho_cmd "$W/$f-2sig.pdf")" "$(pdfsig_cmd "$W/$f-2sig.pdf")" \
    "$(nocert_cmd "$W/$f-2sig.pdf")" >/dev/null
done
python3 - "$W"/h-small.json "$W"/h-large.json "$W"/h-larger.json <<'PY'
import json, sys
for f in sys.argv[1:]:
    res = json.load(open(f))["results"]
    t = {("taicho verify" if "taicho verify" in r["command"] else
          "pdfsig -nocert" if "-nocert" in r["command"] else "pdfsig"): r for r in res}
    size = f.rsplit("h-", 1)[1][:-5]
    for name, r in t.items():
        print(f"{name:16s} {size:7s} median {r['median']*1000:8.1f} ms  (min {r['min']*1000:.1f})")
    print(f"{'':16s} {size:7s} pdfsig / taicho = {t['pdfsig']['median'] / t['taicho verify']['median']:.2f}x,"
          f" pdfsig -nocert / taicho = {t['pdfsig -nocert']['median'] / t['taicho verify']['median']:.2f}x")
PY

# Hostile shapes: zeros after the last %%EOF, and revisions past PoDoFo's 127.
cp "$W/small-2sig.pdf" "$W/padded-16m.pdf"
head -c 16M /dev/zero >>"$W/padded-16m.pdf"
cp "$W/small-2sig.pdf" "$W/padded-256m.pdf"
head -c 256M /dev/zero >>"$W/padded-256m.pdf"
python3 "$ROOT/bench/append_revisions.py" "$W/small-2sig.pdf" "$W/revisions-300.pdf" 300
echo "== 256 MiB of padding: taicho verify next to one SHA-256 pass over the same file"
hyperfine --style none -N --warmup 1 --runs 5 --export-json "$W/h-padded.json" \
  "$(taicho_cmd "$W/padded-256m.pdf")" "sha256sum $W/padded-256m.pdf" >/dev/null
python3 - "$W/h-padded.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
v, h = res[0]["median"], res[1]["median"]
print(f"taicho verify padded-256m median {v*1000:.0f} ms; sha256sum {h*1000:.0f} ms;"
      f" verify / sha256sum = {v / h:.2f}x")
PY

echo "== in process (Google Benchmark): whole VerifyPdf, and the change analysis alone"
cp "$W/pki/ca-bundle.pem" "$W/ca-bundle.pem"
TAICHO_BENCH_DIR="$W" "$B/bench/verify_bench" --benchmark_min_time=0.5 2>/dev/null |
  grep -E "^BM_|^Benchmark|^---"

echo "== peak memory (max RSS)"
for f in small large larger; do
  /usr/bin/time -f "taicho verify $f: %M KB" $(taicho_cmd "$W/$f-2sig.pdf") >/dev/null
  /usr/bin/time -f "pdfsig        $f: %M KB" $(pdfsig_cmd "$W/$f-2sig.pdf") >/dev/null
  /usr/bin/time -f "pdfsig -nocert $f: %M KB" $(nocert_cmd "$W/$f-2sig.pdf") >/dev/null
done 2>&1 | grep KB

# The machine is often shared: wall times move with its load, instruction counts do not. Whole
# command against pdfsig on the small file, under callgrind, with the dynamic loader's share
# (ld.so's start-up: mapping, relocations and symbol look-ups before main). The launcher execs taicho-verify
# in the same process, whose profile replaces the launcher's (~0.1 M instructions, not counted).
echo "== small file, instructions (callgrind, load-independent)"
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
  count() {  # NAME OUTFILE CMD...: total and ld.so instructions
    local name=$1 out=$2
    shift 2
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$out.%p" "$@" \
      >/dev/null 2>&1 || true
    python3 - "$name" "$out".* <<'PY'
import re, subprocess, sys
total = loader = 0
for f in sys.argv[2:]:
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--auto=no",
                           "--threshold=100", f], capture_output=True, text=True).stdout
    m = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M)
    total += int(m.group(1).replace(",", "")) if m else 0
    m = re.search(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\S*rtld\.c:_dl_start ", text, re.M)
    loader += int(m.group(1).replace(",", "")) if m else 0
print(f"{sys.argv[1]:16s} small   {total / 1e6:6.1f} M instructions, of which loading and "
      f"relocating the libraries (ld.so before main) {loader / 1e6:4.1f} M")
PY
  }
  count "taicho verify" "$W/cg-taicho" $(taicho_cmd "$W/small-2sig.pdf")
  count "pdfsig" "$W/cg-pdfsig" $(pdfsig_cmd "$W/small-2sig.pdf")
  # In process, one VerifyPdf with held certificates (as taichod): callgrind dumps its counts at
  # every call's entry, so each dump after the first few holds one whole call (the median).
  TAICHO_BENCH_DIR="$W" valgrind --tool=callgrind --dump-instr=no \
    --dump-before='taicho::pades::VerifyPdf(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&, taicho::pades::VerifyOptions const&)' \
    --callgrind-out-file="$W/cg-call" "$B/bench/verify_bench" \
    --benchmark_filter='BM_VerifyPdfHeldCertificates/small_2sig' --benchmark_min_time=3 \
    >/dev/null 2>&1 || true
  python3 - "$W"/cg-call.* <<'PY'
import re, statistics, sys
parts = sorted(sys.argv[1:], key=lambda f: int(f.rsplit(".", 1)[1]))
counts = [int(m.group(1)) for f in parts[4:-1]
          for m in [re.search(r"^summary:\s*(\d+)", open(f).read(), re.M)] if m]
if counts:
    print(f"{'VerifyPdf':16s} small   {statistics.median(counts) / 1e6:6.1f} M instructions per call,"
          f" held certificates (median of {len(counts)})")
PY
else
  echo "(valgrind not installed: skipped)"
fi
echo "== small file, CPU time per run (user + sys, mean of 50)"
python3 - "$B/cli/taicho" "$W" <<'PY'
import os, subprocess, sys
taicho, w = sys.argv[1], sys.argv[2]
cmds = {
    "taicho verify": [taicho, "verify", "--trust", f"{w}/pki/ca-bundle.pem", f"{w}/small-2sig.pdf"],
    "pdfsig": ["pdfsig", "-nssdir", f"sql:{w}/nss", f"{w}/small-2sig.pdf"],
}
cpu = {}
for name, cmd in cmds.items():
    for _ in range(3):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    before = os.times()
    for _ in range(50):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = os.times()
    cpu[name] = ((after.children_user - before.children_user) +
                 (after.children_system - before.children_system)) / 50
    print(f"{name:16s} small   {cpu[name] * 1000:6.1f} ms CPU")
print(f"{'':16s} small   pdfsig / taicho = {cpu['pdfsig'] / cpu['taicho verify']:.2f}x (CPU)")
PY
