#!/usr/bin/env bash
# Makes the signed base documents of the attack corpus with taicho itself, into tests/attacks/base/:
#   sealed.pdf         the product flow (scripts/demo.sh, CLI part): a draft decision rendered with
#                      its number and date left blank, certified by the officer (DocMDP P=2, token),
#                      then sealed by the agency with the number `so` and the date filled (token)
#   approval.pdf       the same draft with one plain approval signature (--p12)
#   shadow-sealed.pdf  the product flow over a draft an attacker prepared before signing (hidden
#                      content, unused objects: make_attacks.py --prepare-shadow), for the shadow
#                      attacks of Mainka et al. 2021
#   trust.pem          the sample PKI's root and sub-CA, for `taicho verify --trust`
# Signing times and keys differ per run, so the files are committed and this script is only rerun
# to renew them (then rerun make_attacks.py and check EXPECTED.tsv). The end-entity certificates
# are issued for about 8 years here (a copy of certs-sample's PKI script with default_days raised),
# so the committed corpus keeps verifying with --trust until the sample sub-CA ends (2034).
# usage: make_bases.sh BUILD_DIR   (needs taicho built)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)"
TAICHO="$BUILD/cli/taicho"
MODULE=/usr/lib/softhsm/libsofthsm2.so
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/pkiscript"
cp "$ROOT/certs-sample/make-pki.sh" "$ROOT/certs-sample/openssl.cnf" "$WORK/pkiscript/"
sed -i 's/^default_days *= *825/default_days     = 2900/' "$WORK/pkiscript/openssl.cnf"
bash "$WORK/pkiscript/make-pki.sh" "$WORK/pki" >/dev/null
bash "$ROOT/certs-sample/make-tokens.sh" "$WORK/pki" "$WORK/tokens" >/dev/null
export SOFTHSM2_CONF="$WORK/tokens/softhsm2.conf"
# Small signature and seal images (drawn here, a few hundred bytes each: the sample images of
# draw_sample_images would add ~50 KB to every file of the corpus).
python3 - "$WORK" <<'PY'
import math, struct, sys, zlib
def png(path, w, h, pixel):
    raw = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(w)) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
def signature(x, y):  # a blue stroke
    return (20, 40, 160, 255) if abs(y - 20 - 12 * math.sin(x / 9.0)) < 2 else (0, 0, 0, 0)
def seal(x, y):  # a red ring with a star
    r = math.hypot(x - 50, y - 50)
    return (200, 20, 20, 255) if 44 < r < 49 or 36 < r < 38 or r < 8 else (0, 0, 0, 0)
png(sys.argv[1] + "/signature.png", 120, 40, signature)
png(sys.argv[1] + "/seal.png", 100, 100, seal)
PY

python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("number",None); d.pop("date",None); json.dump(d,open(sys.argv[2],"w"),ensure_ascii=False)' \
  "$ROOT/render/samples/quyet-dinh-ubnd.json" "$WORK/data.json"
"$TAICHO" render --kind quyet-dinh-ubnd --data "$WORK/data.json" --out "$WORK/draft.pdf" >/dev/null
python3 "$HERE/make_attacks.py" --prepare-shadow "$WORK/draft.pdf" "$WORK/shadow-draft.pdf"

product_flow() { # DRAFT OUT
  echo 123456 | "$TAICHO" sign --in "$1" --out "$WORK/certified.pdf" \
    --module "$MODULE" --token "Nguyễn Văn An" --pin-stdin \
    --reason "Phê duyệt kết quả giải quyết thủ tục hành chính" --location "Long Phước" \
    --appearance officer --image "$WORK/signature.png" --certify 2 >/dev/null
  echo 123456 | "$TAICHO" sign --in "$WORK/certified.pdf" --out "$2" \
    --module "$MODULE" --token "Con dấu UBND Châu Đức" --pin-stdin \
    --reason "Đóng dấu phát hành" --location "Long Phước" \
    --appearance seal --image "$WORK/seal.png" --seal-diameter-mm 36 \
    --issue-number 5 --issue-date 2026-11-28 >/dev/null
  rm -f "$WORK/certified.pdf"
}

mkdir -p "$HERE/base"
product_flow "$WORK/draft.pdf" "$HERE/base/sealed.pdf"
product_flow "$WORK/shadow-draft.pdf" "$HERE/base/shadow-sealed.pdf"
echo taicho | "$TAICHO" sign --in "$WORK/draft.pdf" --out "$HERE/base/approval.pdf" \
  --p12 "$WORK/pki/officer-an.p12" --pin-stdin --reason "Phê duyệt" --location "Long Phước" \
  --appearance officer --image "$WORK/signature.png" >/dev/null
cat "$WORK/pki/root.pem" "$WORK/pki/subca.pem" >"$HERE/base/trust.pem"
for f in sealed approval shadow-sealed; do
  "$TAICHO" verify "$HERE/base/$f.pdf" --trust "$HERE/base/trust.pem" | tail -1
done
ls -l "$HERE/base"
