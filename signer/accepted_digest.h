// Private to signer/: the digests the PAdES profile accepts when verifying (signatures and
// time-stamp imprints alike): SHA-256/384/512 only.
#pragma once

#include <openssl/evp.h>

#include <string>

namespace taicho::signer {

// The digest for `nid`, naming it in *name ("SHA-256"…); null for anything else (SHA-1, MD5…),
// with its OpenSSL short name, or "unknown".
const EVP_MD* AcceptedDigest(int nid, std::string* name);

}  // namespace taicho::signer
