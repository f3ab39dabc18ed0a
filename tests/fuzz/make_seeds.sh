#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets (tests/fuzz/<target>/seed-*): a few valid inputs
# and a few broken ones each, made with OpenSSL, qpdf and Python from a throw-away PKI. Run by
# hand when a seed is to be renewed (the seeds are committed; ctest replays what is there);
# crash-* files are findings and are never touched here.
# Usage: tests/fuzz/make_seeds.sh BUILD_DIR   (BUILD_DIR holds taicho and make_sample_pdf)
set -euo pipefail
FUZZ="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$FUZZ/../.." && pwd)"
BUILD="$(cd "${1:?build directory}" && pwd)"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
cd "$W"
for d in document_data document_kind png cms tsa_reply revocation xref_reader prepared_signature; do
  mkdir -p "$FUZZ/$d"
  rm -f "$FUZZ/$d"/seed-*
done

# --- a throw-away PKI: a root, a signer, a TSA (critical id-kp-timeStamping) ----------------
cat > ext.cnf <<'CNF'
[fuzz_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[fuzz_signer]
keyUsage = critical,digitalSignature,nonRepudiation
authorityInfoAccess = OCSP;URI:http://127.0.0.1:1/ocsp
crlDistributionPoints = URI:http://127.0.0.1:1/ca.crl
[fuzz_tsa]
extendedKeyUsage = critical,timeStamping
keyUsage = critical,digitalSignature
CNF
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj "/CN=Fuzz Root" -days 3650 \
  -extensions fuzz_ca -config <(cat /etc/ssl/openssl.cnf ext.cnf) -out ca.pem 2>/dev/null
for who in signer tsa; do
  openssl req -new -newkey rsa:2048 -nodes -keyout $who.key -subj "/CN=Fuzz $who" \
    -out $who.csr 2>/dev/null
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -set_serial 0x$RANDOM$RANDOM \
    -days 3650 -extfile ext.cnf -extensions fuzz_$who -out $who.pem 2>/dev/null
done
printf 'taicho fuzz: the signed byte ranges' > content.bin

# --- cms: what a PDF signature's /Contents holds ----------------------------------------------
sign() { openssl cms -sign -binary -outform DER -signer signer.pem -inkey signer.key \
  -certfile ca.pem -in content.bin "$@"; }
sign -out "$FUZZ/cms/seed-detached-sha256.der"
sign -cades -nosmimecap -out "$FUZZ/cms/seed-cades.der"
sign -noattr -out "$FUZZ/cms/seed-no-signed-attributes.der"
sign -md sha1 -out "$FUZZ/cms/seed-sha1.der"
sign -nodetach -out "$FUZZ/cms/seed-encapsulated.der"
head -c 200 "$FUZZ/cms/seed-cades.der" > "$FUZZ/cms/seed-truncated.der"
printf '\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x80\x00\x00' \
  > "$FUZZ/cms/seed-indefinite-empty.der"

# --- tsa_reply: openssl ts -reply over a query of SHA-256 with a nonce --------------------------
cat > tsa.cnf <<CNF
[tsa]
default_tsa = tsa_config
[tsa_config]
dir = $W
serial = $W/tsaserial
signer_cert = $W/tsa.pem
certs = $W/ca.pem
signer_key = $W/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
echo 01 > tsaserial
openssl ts -query -data content.bin -sha256 -cert -out query.tsq 2>/dev/null
openssl ts -reply -config tsa.cnf -queryfile query.tsq -out "$FUZZ/tsa_reply/seed-granted.tsr" 2>/dev/null
openssl ts -query -data content.bin -sha256 -no_nonce -out query2.tsq 2>/dev/null
openssl ts -reply -config tsa.cnf -queryfile query2.tsq -out "$FUZZ/tsa_reply/seed-no-nonce.tsr" 2>/dev/null
openssl ts -reply -in "$FUZZ/tsa_reply/seed-granted.tsr" -token_out -out "$FUZZ/cms/seed-timestamp-token.der" 2>/dev/null
# PKIStatus rejection (2) with no token; and a reply cut short.
printf '\x30\x05\x30\x03\x02\x01\x02' > "$FUZZ/tsa_reply/seed-rejection.tsr"
head -c 300 "$FUZZ/tsa_reply/seed-granted.tsr" > "$FUZZ/tsa_reply/seed-truncated.tsr"

# --- revocation: an OCSP response and a CRL from the root, about the signer --------------------
cat > ca.cnf <<CNF
[ca]
default_ca = fuzz
[fuzz]
database = $W/index.txt
crlnumber = $W/crlnumber
default_md = sha256
default_crl_days = 3650
CNF
: > index.txt
echo 01 > crlnumber
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out ca.crl.pem 2>/dev/null
openssl crl -in ca.crl.pem -outform DER -out "$FUZZ/revocation/seed-empty-crl.der"
openssl ca -config ca.cnf -revoke signer.pem -keyfile ca.key -cert ca.pem \
  -crl_reason keyCompromise 2>/dev/null
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out revoked.crl.pem 2>/dev/null
openssl crl -in revoked.crl.pem -outform DER -out "$FUZZ/revocation/seed-revoked-crl.der"
openssl ocsp -issuer ca.pem -cert signer.pem -reqout req.der -no_nonce 2>/dev/null
openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -reqin req.der \
  -respout "$FUZZ/revocation/seed-ocsp-revoked.der" -ndays 3650 2>/dev/null
openssl ocsp -index /dev/null -rsigner ca.pem -rkey ca.key -CA ca.pem -reqin req.der \
  -respout "$FUZZ/revocation/seed-ocsp-unknown.der" -ndays 3650 2>/dev/null || true
openssl x509 -in signer.pem -outform DER -out "$FUZZ/revocation/seed-certificate.der"
printf '\x30\x03\x0a\x01\x06' > "$FUZZ/revocation/seed-ocsp-unauthorized.der"
head -c 120 "$FUZZ/revocation/seed-revoked-crl.der" > "$FUZZ/revocation/seed-truncated-crl.der"

# --- xref_reader: classic tables, an xref stream, updates, broken offsets -----------------------
"$BUILD/tests/make_sample_pdf" one.pdf 1 >/dev/null
cp one.pdf "$FUZZ/xref_reader/seed-table.pdf"
qpdf --object-streams=generate one.pdf "$FUZZ/xref_reader/seed-xref-stream.pdf"
for f in two-signatures.pdf self-kid-byterange.pdf truncated-in-signature.pdf; do
  cp "$FUZZ/corpus/$f" "$FUZZ/xref_reader/seed-$f"
done
python3 - "$FUZZ/xref_reader" one.pdf <<'PY'
import sys, re
out, src = sys.argv[1], open(sys.argv[2], 'rb').read()
start = int(re.findall(rb'startxref\s+(\d+)', src)[-1])
# /Prev pointing at itself: a loop.
loop = src.rstrip() + b'\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (len(src) + 1, len(src) + 1)
open(out + '/seed-prev-loop.pdf', 'wb').write(loop)
# startxref past the end, and one in the middle of an object.
open(out + '/seed-startxref-past-end.pdf', 'wb').write(src.replace(b'startxref\n%d' % start, b'startxref\n99999999'))
open(out + '/seed-startxref-misplaced.pdf', 'wb').write(src.replace(b'startxref\n%d' % start, b'startxref\n%d' % (start // 2)))
PY

# --- png: valid images of each colour type, and broken ones ------------------------------------
python3 - "$FUZZ/png" <<'PY'
import sys, zlib, struct
out = sys.argv[1]
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
def png(w, h, depth, ctype, rows, extra=b''):
    ihdr = struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0)
    raw = b''.join(b'\x00' + r for r in rows)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + extra + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
open(out + '/seed-rgba.png', 'wb').write(png(2, 2, 8, 6, [b'\xff\x00\x00\x80' * 2, b'\x00\x00\xff\xff' * 2]))
open(out + '/seed-rgb.png', 'wb').write(png(3, 1, 8, 2, [b'\x10\x20\x30' * 3]))
open(out + '/seed-gray.png', 'wb').write(png(4, 2, 8, 0, [b'\x00\x40\x80\xff'] * 2))
open(out + '/seed-palette.png', 'wb').write(png(2, 1, 8, 3, [b'\x00\x01'], chunk(b'PLTE', b'\xff\x00\x00\x00\xff\x00') + chunk(b'tRNS', b'\x80')))
good = png(2, 2, 8, 6, [b'\xff\x00\x00\x80' * 2] * 2)
open(out + '/seed-truncated.png', 'wb').write(good[:40])
bad = bytearray(good); bad[29] ^= 0xff
open(out + '/seed-bad-crc.png', 'wb').write(bytes(bad))
open(out + '/seed-huge-dimensions.png', 'wb').write(png(0x7fffffff, 0x7fffffff, 8, 6, [b'']))
open(out + '/seed-short-rows.png', 'wb').write(png(16, 16, 8, 2, [b'\x01']))
PY

# --- document_kind and document_data: what ships, and what a careless or hostile hand writes ----
python3 - "$ROOT" "$FUZZ" <<'PY'
import sys, json, glob, os
root, fuzz = sys.argv[1], sys.argv[2]
for sub, src in (('document_kind', 'render/kinds'), ('document_data', 'render/samples')):
    for p in sorted(glob.glob(os.path.join(root, src, '*.json'))):
        text = open(p, 'rb').read()
        name = os.path.basename(p)[:-5]
        open(os.path.join(fuzz, sub, 'seed-' + name + '.json'), 'wb').write(text)
        doc = json.loads(text)
        open(os.path.join(fuzz, sub, 'seed-' + name + '-truncated.json'), 'wb').write(text[: len(text) // 2])
        if isinstance(doc, dict):
            retyped = {k: ([v] if isinstance(v, str) else 'x') for k, v in doc.items()}
            open(os.path.join(fuzz, sub, 'seed-' + name + '-retyped.json'), 'w').write(json.dumps(retyped))
    open(os.path.join(fuzz, sub, 'seed-deep.json'), 'w').write('[' * 5000 + ']' * 5000)
    open(os.path.join(fuzz, sub, 'seed-not-object.json'), 'w').write('"\\ud800"')
PY

# --- prepared_signature: a state `taicho sign prepare` writes, and damaged copies ---------------
cat signer.pem ca.pem > chain.pem
"$BUILD/cli/taicho" sign prepare --in one.pdf --state state.json --cert chain.pem >/dev/null
cp state.json "$FUZZ/prepared_signature/seed-prepared.json"
python3 - "$FUZZ/prepared_signature" state.json <<'PY'
import sys, json
out, state = sys.argv[1], json.load(open(sys.argv[2]))
s = dict(state); s['byte_range'] = [0, 1, 2]
open(out + '/seed-short-byte-range.json', 'w').write(json.dumps(s))
s = dict(state); s['cms'] = dict(state['cms']); s['cms']['chain'] = ['not base64!']
open(out + '/seed-bad-chain.json', 'w').write(json.dumps(s))
s = dict(state); s['contents_capacity'] = -1
open(out + '/seed-negative-capacity.json', 'w').write(json.dumps(s))
s = dict(state); s['version'] = 99
open(out + '/seed-future-version.json', 'w').write(json.dumps(s))
PY
echo "seeds written under $FUZZ"
