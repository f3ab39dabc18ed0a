#!/usr/bin/env bash
# Makes a sample PKI shaped like Vietnam's (national root -> government sub-CA -> officers,
# an organisation seal, a TSA and an OCSP responder) for tests. SAMPLE ONLY: never use for real.
#
# Usage: make-pki.sh OUTDIR
# OUTDIR must be absent, empty, or an earlier output of this script (which is then replaced).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
marker=".taicho-sample-pki"

if [[ -e "$out" ]]; then
  if [[ -f "$out/$marker" ]]; then
    # Replace an earlier run's output completely so no stale file survives.
    find "$out" -mindepth 1 -delete
  elif [[ -n "$(ls -A "$out")" ]]; then
    echo "$0: $out exists and is not an earlier sample PKI; refusing to touch it" >&2
    exit 1
  fi
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
touch "$out/$marker"

export TAICHO_PKI_DIR="$out"
cnf="$here/openssl.cnf"
mkdir -p "$out/root-db" "$out/newcerts"
: >"$out/root-db/index.txt"
: >"$out/index.txt"
echo 1000 >"$out/root-db/crlnumber"
echo 1000 >"$out/crlnumber"

# The CAs start in 2019 so that the expired officer (valid during 2020 only) still lies inside
# its issuers' validity: its only fault is being expired.
ca_start=20190101000000Z

rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$1.key" 2>/dev/null; }
ec_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -pkeyopt ec_param_enc:named_curve -out "$out/$1.key"
}

csr() { # NAME SUBJECT
  openssl req -config "$cnf" -new -utf8 -key "$out/$1.key" -subj "$2" -out "$out/$1.csr"
}

# End entities start a day ago so tests that sign "now" never meet a clock-skew edge.
ee_start="$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)"

issue() { # CA_SECTION NAME EXTENSIONS [openssl ca options...]
  local ca="$1" name="$2" ext="$3"
  shift 3
  openssl ca -config "$cnf" -name "$ca" -batch -notext -utf8 -extensions "$ext" \
    -in "$out/$name.csr" -out "$out/$name.pem" "$@" 2>"$out/$name.log" ||
    { cat "$out/$name.log" >&2; exit 1; }
  rm -f "$out/$name.csr" "$out/$name.log"
}

# Root: self-signed through `openssl ca -selfsign` so its start date can be set (openssl req
# -x509 in OpenSSL 3.0 cannot back-date), 20 years.
rsa_key root
csr root "/C=VN/O=Sample Vietnam National Root/CN=Sample National Root CA"
issue CA_root root v3_root -selfsign -keyfile "$out/root.key" \
  -startdate "$ca_start" -enddate 20390101000000Z

rsa_key subca
csr subca "/C=VN/O=Ban Cơ yếu Chính phủ (mẫu)/CN=Sample Government CA G2"
issue CA_root subca v3_subca -startdate "$ca_start" -enddate 20340101000000Z

end_entities=(officer-an officer-binh officer-expired officer-revoked seal tsa ocsp)

rsa_key officer-an
csr officer-an "/C=VN/O=UBND xã Long Phước/title=Chủ tịch/CN=Nguyễn Văn An"
issue CA_subca officer-an v3_signer -startdate "$ee_start"

ec_key officer-binh
csr officer-binh "/C=VN/O=UBND xã Long Phước/CN=Trần Thị Bình"
issue CA_subca officer-binh v3_signer -startdate "$ee_start"

rsa_key officer-expired
csr officer-expired "/C=VN/O=UBND xã Long Phước/CN=Lê Văn Cũ"
issue CA_subca officer-expired v3_signer -startdate 20200101000000Z -enddate 20210101000000Z

rsa_key officer-revoked
csr officer-revoked "/C=VN/O=UBND xã Long Phước/CN=Phạm Văn Thu"
issue CA_subca officer-revoked v3_signer -startdate "$ee_start"

rsa_key seal
csr seal "/C=VN/O=UBND xã Long Phước/CN=UBND xã Long Phước"
issue CA_subca seal v3_signer -startdate "$ee_start"

rsa_key tsa
csr tsa "/C=VN/O=Ban Cơ yếu Chính phủ (mẫu)/CN=Sample Time-Stamping Authority"
# A TSA certificate outlives the signers' (as real ones do): years later it still vouches for the
# time at which a since-expired signer certificate was valid.
issue CA_subca tsa v3_tsa -startdate "$ee_start" -enddate 20340101000000Z

rsa_key ocsp
csr ocsp "/C=VN/O=Ban Cơ yếu Chính phủ (mẫu)/CN=Sample OCSP Responder"
issue CA_subca ocsp v3_ocsp -startdate "$ee_start"

openssl ca -config "$cnf" -name CA_subca -batch -revoke "$out/officer-revoked.pem" \
  -crl_reason keyCompromise 2>/dev/null

# CRLs, PEM and DER (the DER ones are what the CRL distribution points serve).
openssl ca -config "$cnf" -name CA_subca -batch -gencrl -out "$out/subca.crl.pem" 2>/dev/null
openssl crl -in "$out/subca.crl.pem" -outform DER -out "$out/subca.crl"
openssl ca -config "$cnf" -name CA_root -batch -gencrl -out "$out/root.crl.pem" 2>/dev/null
openssl crl -in "$out/root.crl.pem" -outform DER -out "$out/root.crl"

cat "$out/root.pem" "$out/subca.pem" >"$out/ca-bundle.pem"
openssl x509 -in "$out/root.pem" -outform DER -out "$out/root.der"
openssl x509 -in "$out/subca.pem" -outform DER -out "$out/subca.der"

for name in "${end_entities[@]}"; do
  openssl x509 -in "$out/$name.pem" -outform DER -out "$out/$name.der"
  cat "$out/$name.pem" "$out/subca.pem" >"$out/$name.chain.pem"
  # AES/SHA-256 protection: both OpenSSL 3 (no legacy provider) and NSS's pk12util read it.
  openssl pkcs12 -export -inkey "$out/$name.key" -in "$out/$name.pem" \
    -certfile "$out/subca.pem" -name "$name" -passout pass:taicho \
    -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -out "$out/$name.p12"
done

# --- TLS for taichod -------------------------------------------------------------------------
# A server certificate for localhost, and client certificates for mutual TLS. A client's role is a
# SAN URI urn:taicho:role:ROLE (see README.md, "The service"): the subject stays free to be
# exactly the person's signing-certificate subject, which is how an officer is matched to the
# sessions they may complete. EC P-256 keys keep this part fast.
tls_ext="$out/tls-ext.cnf"
issue_tls() { # NAME SUBJECT EXTENSION-LINES...
  local name="$1" subject="$2"
  shift 2
  ec_key "$name"
  csr "$name" "$subject"
  { echo "[ tls ]"; printf '%s\n' "$@"; } >"$tls_ext"
  issue CA_subca "$name" tls -extfile "$tls_ext" -startdate "$ee_start"
  cat "$out/$name.pem" "$out/subca.pem" >"$out/$name.chain.pem"
}
tls_common=("basicConstraints = critical, CA:FALSE" "keyUsage = critical, digitalSignature"
  "subjectKeyIdentifier = hash" "authorityKeyIdentifier = keyid:always")
client_ext() { # ROLE (empty: no role)
  printf '%s\n' "${tls_common[@]}" "extendedKeyUsage = clientAuth"
  [[ -z "$1" ]] || echo "subjectAltName = URI:urn:taicho:role:$1"
}

issue_tls tls-server "/C=VN/O=UBND xã Long Phước/CN=localhost" "${tls_common[@]}" \
  "extendedKeyUsage = serverAuth" "subjectAltName = DNS:localhost, IP:127.0.0.1"

mapfile -t ext <<<"$(client_ext intake)"
issue_tls client-intake "/C=VN/O=UBND xã Long Phước/OU=Bộ phận một cửa/CN=Phần mềm một cửa" \
  "${ext[@]}"
# The officers' client certificates carry their signing certificates' subjects.
mapfile -t ext <<<"$(client_ext officer)"
issue_tls client-officer-an "/C=VN/O=UBND xã Long Phước/title=Chủ tịch/CN=Nguyễn Văn An" \
  "${ext[@]}"
issue_tls client-officer-binh "/C=VN/O=UBND xã Long Phước/CN=Trần Thị Bình" "${ext[@]}"
mapfile -t ext <<<"$(client_ext seal-clerk)"
issue_tls client-seal-clerk "/C=VN/O=UBND xã Long Phước/OU=Văn thư/CN=Đỗ Thị Văn Thư" "${ext[@]}"
mapfile -t ext <<<"$(client_ext print-station)"
issue_tls client-print-station "/C=VN/O=UBND xã Long Phước/OU=Bộ phận một cửa/CN=Máy in Quầy 1" \
  "${ext[@]}"
mapfile -t ext <<<"$(client_ext auditor)"
issue_tls client-auditor "/C=VN/O=UBND xã Long Phước/OU=Thanh tra/CN=Hoàng Văn Kiểm" "${ext[@]}"
mapfile -t ext <<<"$(client_ext operator)"
issue_tls client-operator "/C=VN/O=UBND xã Long Phước/OU=Quản trị/CN=Vận hành taichod" \
  "${ext[@]}"
mapfile -t ext <<<"$(client_ext "")"
issue_tls client-no-role "/C=VN/O=UBND xã Long Phước/CN=Không có vai trò" "${ext[@]}"
rm -f "$tls_ext"

# A CA nobody trusts, and an intake client certificate from it (for refusal tests).
ec_key untrusted-ca
openssl req -config "$cnf" -new -x509 -utf8 -key "$out/untrusted-ca.key" -days 3650 \
  -subj "/C=VN/O=Không tin cậy/CN=Untrusted Sample CA" -out "$out/untrusted-ca.pem" \
  -addext "basicConstraints = critical, CA:TRUE" -addext "keyUsage = critical, keyCertSign"
ec_key client-untrusted
csr client-untrusted "/C=VN/O=Không tin cậy/CN=Phần mềm lạ"
client_ext intake >"$out/untrusted-ext.cnf"
openssl x509 -req -in "$out/client-untrusted.csr" -CA "$out/untrusted-ca.pem" \
  -CAkey "$out/untrusted-ca.key" -CAcreateserial -days 825 -extfile "$out/untrusted-ext.cnf" \
  -out "$out/client-untrusted.pem" 2>/dev/null
cat "$out/client-untrusted.pem" >"$out/client-untrusted.chain.pem"
rm -f "$out/client-untrusted.csr" "$out/untrusted-ext.cnf" "$out/untrusted-ca.srl"

# openssl ca's per-serial copies and backups duplicate the named files.
rm -rf "$out/newcerts"
rm -f "$out"/*.old "$out"/root-db/*.old
chmod 600 "$out"/*.key

# Sample signature and seal images for visible signatures, when the drawing tool is given (it is
# built as build/certs-sample/draw_sample_images; see README.md).
if [[ -n "${TAICHO_DRAW_SAMPLE_IMAGES:-}" ]]; then
  "$TAICHO_DRAW_SAMPLE_IMAGES" "$out"
fi

echo "sample PKI written to $out"
