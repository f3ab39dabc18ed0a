#!/usr/bin/env bash
# Makes SoftHSM2 tokens holding the sample PKI's keys and certificates, one token per person,
# for tests. SAMPLE ONLY: never use for real.
#
# Usage: make-tokens.sh PKIDIR TOKENDIR
# Writes TOKENDIR/softhsm2.conf and the token store TOKENDIR/tokens (replaced if present). The
# machine's global SoftHSM2 configuration is never read or changed.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 PKIDIR TOKENDIR" >&2
  exit 2
fi

pki="$(cd "$1" && pwd)"
mkdir -p "$2"
tokendir="$(cd "$2" && pwd)"
module="${TAICHO_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
so_pin=12345678
pin=123456

rm -rf "$tokendir/tokens"
mkdir -p "$tokendir/tokens"
cat >"$tokendir/softhsm2.conf" <<CONF
directories.tokendir = $tokendir/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$tokendir/softhsm2.conf"

# A PKCS#11 token label is a 32-byte, space-padded field: longer UTF-8 labels would be cut,
# possibly inside a character.
check_label() {
  local bytes
  bytes="$(printf '%s' "$1" | wc -c)"
  if ((bytes > 32)); then
    echo "$0: token label '$1' is $bytes bytes, over the 32-byte limit" >&2
    exit 1
  fi
}

p11() { pkcs11-tool --module "$module" "$@" >/dev/null; }

init_token() { # LABEL
  check_label "$1"
  softhsm2-util --init-token --free --label "$1" --so-pin "$so_pin" --pin "$pin" >/dev/null
}

import_key() { # LABEL NAME: private key NAME.key as object NAME, CKA_ID 01
  softhsm2-util --import "$pki/$2.key" --token "$1" --label "$2" --id 01 --pin "$pin" >/dev/null
}

write_cert() { # LABEL DERFILE ID OBJECT_LABEL
  p11 --token-label "$1" --login --pin "$pin" --write-object "$2" --type cert --id "$3" \
    --label "$4"
}

# Token label -> PKI name. The key and its certificate share CKA_ID 01 and the object label
# NAME (how applications pair them); the sub-CA certificate is object 02 "subca".
declare -A tokens=(
  ["Nguyễn Văn An"]=officer-an
  ["Trần Thị Bình"]=officer-binh
  ["Con dấu UBND Châu Đức"]=seal
  ["officer-expired"]=officer-expired
  ["officer-revoked"]=officer-revoked
)

for label in "${!tokens[@]}"; do
  name="${tokens[$label]}"
  init_token "$label"
  import_key "$label" "$name"
  write_cert "$label" "$pki/$name.der" 01 "$name"
  write_cert "$label" "$pki/subca.der" 02 subca
done

# A key with no certificate anywhere on the token (a copy of officer-an's key).
init_token no-cert
import_key no-cert officer-an

# Check that every token is found by its label and PIN and holds what it should.
for label in "${!tokens[@]}" no-cert; do
  objects="$(pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" \
    --list-objects 2>&1)"
  keys="$(grep -c '^Private Key Object' <<<"$objects" || true)"
  certs="$(grep -c '^Certificate Object' <<<"$objects" || true)"
  want_certs=2
  [[ "$label" == no-cert ]] && want_certs=0
  if [[ "$keys" != 1 || "$certs" != "$want_certs" ]]; then
    echo "$0: token '$label' has $keys private keys and $certs certificates:" >&2
    echo "$objects" >&2
    exit 1
  fi
done

echo "export SOFTHSM2_CONF=$tokendir/softhsm2.conf"
