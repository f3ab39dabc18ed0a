// Parsed certificates kept by their DER, owned by whoever signs with the same few chains again
// and again: each KeySigner (its chain, for every signature it makes), a server's signing policy
// (its roots). Decoding a certificate is dear in OpenSSL 3 (its public key goes through the
// provider decoder machinery), and one signature reads the same 2-3 certificates several times
// (describe, size estimate, checks, the CMS): a seal used to spend about 40% of its CPU there.
// State with an owner and a lifetime rather than a process-wide cache: it lives and dies with
// the key (a re-activated key starts afresh) and tests see exactly what they made.
//
// Ownership and threads: any number of threads may call Get at once (one mutex, held only for
// the lookup). The X509 objects handed out are new references to shared objects: read them,
// never change them (OpenSSL guards their lazily cached extensions with the object's own lock).
// They stay valid after the cache is gone.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "signer/bytes.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {

class CertificateCache {
 public:
  // Holds at most `max_entries` certificates; when full it is emptied (an owner sees a handful).
  explicit CertificateCache(size_t max_entries = 32) : max_entries_(max_entries) {}
  CertificateCache(const CertificateCache&) = delete;
  CertificateCache& operator=(const CertificateCache&) = delete;

  // The certificate `der` (whole, no trailing bytes), parsed on a miss; null when it is none.
  ossl::X509Ptr Get(ByteSpan der);

 private:
  const size_t max_entries_;
  std::mutex mu_;  // guards certs_
  std::unordered_map<std::string, ossl::X509Ptr> certs_;
};

// `cache`->Get(der) when a cache is given, else ossl::ParseCertificate(der).
ossl::X509Ptr ParseCertificate(ByteSpan der, CertificateCache* cache);
// The same, accepting trailing bytes after the certificate as d2i_X509 does (only a whole
// certificate is kept in the cache).
ossl::X509Ptr ParseCertificatePrefix(ByteSpan der, CertificateCache* cache);

}  // namespace taicho::signer
