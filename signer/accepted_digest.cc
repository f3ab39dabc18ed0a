#include "signer/accepted_digest.h"

#include <openssl/objects.h>

namespace taicho::signer {

const EVP_MD* AcceptedDigest(int nid, std::string* name) {
  switch (nid) {
    case NID_sha256:
      *name = "SHA-256";
      return EVP_sha256();
    case NID_sha384:
      *name = "SHA-384";
      return EVP_sha384();
    case NID_sha512:
      *name = "SHA-512";
      return EVP_sha512();
    case NID_sha1:  // refused (ETSI TS 119 312), named as people write it
      *name = "SHA-1";
      return nullptr;
    default:
      *name = (nid != NID_undef && OBJ_nid2sn(nid)) ? OBJ_nid2sn(nid) : "unknown";
      return nullptr;
  }
}

}  // namespace taicho::signer
