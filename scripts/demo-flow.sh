#!/usr/bin/env bash
# The demo's steps (README "The two commands"), run on programs and data already there: installed
# (PREFIX/share/taicho/demo/demo-flow.sh, the defaults below, all relative to this file) or the
# build tree (scripts/demo.sh builds, then sets the DEMO_* paths). Writes into $TAICHO_DEMO_DIR
# (default ./taicho-demo). Needs softhsm2, openssl, poppler-utils, libnss3-tools, python3-grpcio,
# python3-protobuf and protobuf-compiler-grpc (the package suggests them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$(cd "$here/../../.." && pwd)"
OUT="$(realpath -m "${TAICHO_DEMO_DIR:-taicho-demo}")"
MODULE=/usr/lib/softhsm/libsofthsm2.so
TAICHO="${DEMO_TAICHO:-$prefix/bin/taicho}"
TAICHOD="${DEMO_TAICHOD:-$prefix/bin/taichod}"
TAICHO_AGENT="${DEMO_TAICHO_AGENT:-$prefix/bin/taicho-agent}"
DRAW_SAMPLE_IMAGES="${DEMO_DRAW_SAMPLE_IMAGES:-$prefix/libexec/taicho/draw_sample_images}"
SAMPLES="${DEMO_SAMPLES:-$prefix/share/taicho/samples}"
SAMPLE_PKI="${DEMO_SAMPLE_PKI:-$prefix/share/taicho/sample-pki}"
TSA_SERVER="${DEMO_TSA_SERVER:-$here/tsa_server.py}"
ONE_STOP_SHOP="${DEMO_ONE_STOP_SHOP:-$here/one_stop_shop.py}"

rm -rf "$OUT" && mkdir -p "$OUT"
echo "== Hạ tầng khóa mẫu và token SoftHSM2 / sample PKI and SoftHSM2 tokens: $OUT"
bash "$SAMPLE_PKI/make-pki.sh" "$OUT/pki" >/dev/null
bash "$SAMPLE_PKI/make-tokens.sh" "$OUT/pki" "$OUT/tokens" >/dev/null
export SOFTHSM2_CONF="$OUT/tokens/softhsm2.conf"
"$TAICHO" token list --module "$MODULE"

echo
echo "== Ảnh chữ ký và con dấu mẫu (do dự án vẽ) / sample signature and seal images (drawn)"
"$DRAW_SAMPLE_IMAGES" "$OUT"
ls "$OUT/signature.png" "$OUT/seal.png"

echo
echo "== Dự thảo quyết định, để trống số và ngày / draft decision, number and date left blank"
# As the one-stop-shop sends it before issue: the sample without its number and date (Decree 30:
# the system gives them at issue).
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("number",None); d.pop("date",None); json.dump(d,open(sys.argv[2],"w"),ensure_ascii=False)' \
  "$SAMPLES/quyet-dinh-ubnd.json" "$OUT/du-lieu.json"
"$TAICHO" render --kind quyet-dinh-ubnd --data "$OUT/du-lieu.json" --out "$OUT/du-thao.pdf"

echo
echo "== Bước 1: lãnh đạo phê duyệt, chữ ký chứng nhận P=2 (token cá nhân) / officer approves: a"
echo "   certification signature (DocMDP P=2) with a personal token"
echo 123456 | "$TAICHO" sign --in "$OUT/du-thao.pdf" --out "$OUT/da-phe-duyet.pdf" \
  --module "$MODULE" --token "Nguyễn Văn An" --pin-stdin \
  --reason "Phê duyệt kết quả giải quyết thủ tục hành chính" --location "Long Phước" \
  --appearance officer --image "$OUT/signature.png" --certify 2

echo
echo "== Bước 2: văn thư cấp số, ngày và đóng dấu trong cùng một lần ký / clerk issues: number"
echo "   and date filled and the agency's seal applied in one update"
echo 123456 | "$TAICHO" sign --in "$OUT/da-phe-duyet.pdf" --out "$OUT/da-dong-dau.pdf" \
  --module "$MODULE" --token "Con dấu UBND Châu Đức" --pin-stdin \
  --reason "Đóng dấu phát hành" --location "Long Phước" \
  --appearance seal --image "$OUT/seal.png" --seal-diameter-mm 36 --issue-number 1

echo
echo "== pdfsig (poppler), với chứng thư gốc mẫu được tin cậy / with the sample root trusted"
mkdir -p "$OUT/nss"
certutil -N -d "sql:$OUT/nss" --empty-password
certutil -A -d "sql:$OUT/nss" -n "Sample National Root CA" -t "CT,C,C" -i "$OUT/pki/root.pem"
pdfsig -nssdir "sql:$OUT/nss" "$OUT/da-dong-dau.pdf"

echo
echo "== taicho verify"
"$TAICHO" verify "$OUT/da-dong-dau.pdf" --trust "$OUT/pki/ca-bundle.pem"
echo
echo "Kết quả / Result: $OUT/da-dong-dau.pdf"
pdftoppm -r 60 -png -f 2 -l 2 "$OUT/da-dong-dau.pdf" "$OUT/trang-ky"
echo "Trang có chữ ký và con dấu / page with signature and seal: $OUT/trang-ky-2.png"
echo "== Số và ngày ban hành trên trang 1 / number and date of issue on page 1:"
pdftotext -f 1 -l 1 "$OUT/da-dong-dau.pdf" - | grep -m2 -E "^Số: |, ngày "

echo
echo "================================================================================"
echo "== Dịch vụ taichod: cả quy trình \"4 tại chỗ\" qua gRPC / the whole flow through taichod"
echo "================================================================================"
# taichod with mutual TLS, its SQLite store, and the agency's seal key activated from a PIN file
# (owned by the service user, mode 0600: taichod refuses anything looser).
PKI="$OUT/pki"
printf '123456' > "$OUT/seal.pin" && chmod 600 "$OUT/seal.pin"
# Long-term signatures need a time-stamp authority and revocation services. Here, on loopback, the
# project's test TSA (tests/support/tsa_server.py over `openssl ts -reply`, SAMPLE ONLY), OpenSSL's
# own OCSP responder over the sample CA's database and the sample CRLs over HTTP; the sample
# certificates name :18080/:18081, which taichod's url_rewrites map to the ports chosen here.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$OUT/tsa"
python3 -u "$TSA_SERVER" --workdir "$OUT/tsa" --port-file "$OUT/tsa.port" \
  --signer "$PKI/tsa.pem" --inkey "$PKI/tsa.key" --chain "$PKI/subca.pem" > "$OUT/tsa.log" 2>&1 &
TSA_PID=$!
OCSP_PORT=$(free_port)
(cd "$PKI" && exec openssl ocsp -index index.txt -port "$OCSP_PORT" -rsigner ocsp.pem -rkey ocsp.key \
  -CA subca.pem -nmin 10 -ignore_err) > "$OUT/ocsp.log" 2>&1 &
OCSP_PID=$!
CRL_PORT=$(free_port)
(cd "$PKI" && exec python3 -u -m http.server --bind 127.0.0.1 "$CRL_PORT") > "$OUT/crl.log" 2>&1 &
CRL_PID=$!
trap 'kill $TSA_PID $OCSP_PID $CRL_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [[ -s "$OUT/tsa.port" ]] && grep -q "waiting for OCSP client" "$OUT/ocsp.log" 2>/dev/null &&
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$CRL_PORT),1)" 2>/dev/null && break
  sleep 0.1
done
TSA_URL="http://127.0.0.1:$(cat "$OUT/tsa.port")/"
echo "TSA: $TSA_URL  OCSP: http://127.0.0.1:$OCSP_PORT  CRL: http://127.0.0.1:$CRL_PORT"
cat > "$OUT/taichod.toml" <<TOML
listen = "127.0.0.1:0"
store_dir = "$OUT/store"
trust = "$PKI/ca-bundle.pem"
port_file = "$OUT/taichod.port"
[tls]
cert = "$PKI/tls-server.chain.pem"
key = "$PKI/tls-server.key"
client_ca = "$PKI/root.pem"
[signing]
# The officer's signature time-stamped (B-T), the seal issued at B-LTA (time-stamp, DSS, document
# time-stamp); certificates checked against the roots and OCSP/CRL before signing.
officer_level = "B-T"
seal_level = "B-LTA"
tsa_urls = ["$TSA_URL"]
tsa_trust = "$PKI/ca-bundle.pem"
roots = "$PKI/ca-bundle.pem"
url_rewrites = ["http://127.0.0.1:18080/ocsp=http://127.0.0.1:$OCSP_PORT",
                "http://127.0.0.1:18081=http://127.0.0.1:$CRL_PORT"]
when_unavailable = "refuse"
[keys.seal]
module = "$MODULE"
token_label = "Con dấu UBND Châu Đức"
key_id = "01"
pin_file = "$OUT/seal.pin"
seal_image = "$OUT/seal.png"
sessions = 1
# The seal of this agency only: its documents' header must name it (AGENCY_MISMATCH otherwise).
agency = "ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC"
[public_web]
# The page behind the QR code (HTTPS, same certificate as gRPC here); the printed URL names the
# province's public address, the demo reaches it on loopback.
listen = "127.0.0.1:0"
base_url = "https://tra-cuu.example.vn"
port_file = "$OUT/public.port"
[metrics]
listen = "127.0.0.1:0"
port_file = "$OUT/metrics.port"
TOML
"$TAICHOD" --config "$OUT/taichod.toml" > "$OUT/taichod.log" 2>&1 &
TAICHOD_PID=$!
trap 'kill $TAICHOD_PID $TSA_PID $OCSP_PID $CRL_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s "$OUT/taichod.port" ]] && break; sleep 0.1; done
SERVER="127.0.0.1:$(cat "$OUT/taichod.port")"
echo "taichod: $SERVER (mTLS; nhật ký / log: $OUT/taichod.log)"
client() { echo --ca "$PKI/root.pem" --cert "$PKI/$1.chain.pem" --key "$PKI/$1.key"; }

echo
echo "== 1. Phần mềm một cửa (Python) tạo quyết định / the one-stop-shop (Python) creates it"
DOC=$(/usr/bin/python3 "$ONE_STOP_SHOP" --target "$SERVER" --pki "$PKI" \
  --desk "Quầy 1" create "HS-000.00.29.H12-261129-0001")
echo "$DOC"

if [[ -f /usr/share/javascript/pdf/build/pdf.js ]] && command -v curl >/dev/null; then
  echo
  echo "== 1b. Trang phê duyệt (taicho-agent --web), đọc bằng curl / the approval page, read by curl"
  # The page the officer would open in a browser (README "The approval page"): its URL carries
  # the per-start secret, which curl trades for the cookie like a browser.
  rm -f "$OUT/agent-web.url"
  "$TAICHO_AGENT" --server "$SERVER" $(client client-officer-an) --module "$MODULE" \
    --token "Nguyễn Văn An" --desk "Quầy 1" --web --web-url-file "$OUT/agent-web.url" \
    >"$OUT/agent-web.log" 2>&1 &
  agent_web=$!
  for _ in $(seq 100); do [[ -s "$OUT/agent-web.url" ]] && break; sleep 0.1; done
  if [[ -s "$OUT/agent-web.url" ]]; then
    waiting=$(curl -s -L -c "$OUT/agent-web.cookies" -b "$OUT/agent-web.cookies" \
      "$(cat "$OUT/agent-web.url")" | sed -n 's/.*<span id="so-van-ban">\([0-9]*\)<.*/\1/p')
    echo "Văn bản chờ phê duyệt trên trang / drafts waiting on the page: ${waiting:-?}"
  fi
  kill "$agent_web" 2>/dev/null || true
  wait "$agent_web" 2>/dev/null || true
fi

echo
echo "== 2. Lãnh đạo phê duyệt bằng taicho-agent và token / the officer approves with the agent"
echo 123456 | "$TAICHO_AGENT" --server "$SERVER" $(client client-officer-an) \
  --module "$MODULE" --token "Nguyễn Văn An" --pin-stdin --desk "Quầy 1" \
  --image "$OUT/signature.png" --yes --once

echo
echo "== 3. Cấp số, ngày và đóng dấu bằng khóa của máy chủ / number, date and seal, server-side"
/usr/bin/python3 "$ONE_STOP_SHOP" --target "$SERVER" --pki "$PKI" seal "$DOC"

echo
echo "== 4. Trạm in tại quầy: kiểm tra, in bản in có dấu chuyển đổi / the print station prints"
"$TAICHO" print-station --server "$SERVER" $(client client-print-station) --desk "Quầy 1" \
  --state "$OUT/tram-in.json" --out-dir "$OUT/ban-in" --officer "Lê Thị Hoa" \
  --trust "$PKI/ca-bundle.pem" --idle-exit 3
ls "$OUT/ban-in"

echo
echo "== 5. Kiểm tra bản gốc điện tử, ngoại tuyến (dữ liệu xác thực trong DSS), mức B-LTA /"
echo "   verify the electronic original offline (validation data from its DSS): PAdES B-LTA"
/usr/bin/python3 "$ONE_STOP_SHOP" --target "$SERVER" --pki "$PKI" \
  download "$DOC" "$OUT/ban-goc.pdf"
pdfsig -nssdir "sql:$OUT/nss" "$OUT/ban-goc.pdf"
"$TAICHO" verify "$OUT/ban-goc.pdf" --trust "$PKI/ca-bundle.pem" | tail -5
"$TAICHO" verify "$OUT/ban-goc.pdf" --trust "$PKI/ca-bundle.pem" | grep -q "PAdES level: B-LTA"
pdftotext -f 1 -l 1 -layout "$OUT/ban-goc.pdf" - | grep -m1 "Số:"

echo
echo "== 6. Sổ đăng ký văn bản đi / the register of issued documents"
"$TAICHO" register --server "$SERVER" $(client client-seal-clerk)

echo
echo "== 7. Trang tra cứu công khai sau mã QR / the public verification page behind the QR code"
CODE=$(pdftotext "$OUT/ban-goc.pdf" - | grep -oE '[0-9A-Z]{4}(-[0-9A-Z]{4}){4}' | head -1)
PUBLIC_PORT=$(cat "$OUT/public.port")
echo "Mã tra cứu / code: $CODE"
curl -sS --fail --cacert "$PKI/root.pem" --resolve "localhost:$PUBLIC_PORT:127.0.0.1" \
  "https://localhost:$PUBLIC_PORT/v/$CODE" -o "$OUT/tra-cuu.html"
grep -o '<h1[^>]*>[^<]*' "$OUT/tra-cuu.html" | sed 's/<[^>]*>//' | head -2
echo "Trang / page: $OUT/tra-cuu.html"
curl -sS -o /dev/null -w "Mã ngẫu nhiên / a random code: HTTP %{http_code}\n" \
  --cacert "$PKI/root.pem" --resolve "localhost:$PUBLIC_PORT:127.0.0.1" \
  "https://localhost:$PUBLIC_PORT/v/AAAA-BBBB-CCCC-DDDD-EEEE"

echo
echo "== 8. Số liệu cho bộ phận CNTT (Prometheus) / metrics for IT"
curl -sS --fail "http://127.0.0.1:$(cat "$OUT/metrics.port")/metrics" |
  grep -E '^taicho_(signatures_total|serving|grpc_calls_total\{.*method="SignDocument")' | head -5
echo
echo "Bản gốc / original: $OUT/ban-goc.pdf   Bản in / print: $OUT/ban-in/"
