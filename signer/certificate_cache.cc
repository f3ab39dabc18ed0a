#include "signer/certificate_cache.h"

#include <openssl/x509.h>

namespace taicho::signer {
namespace {

ossl::X509Ptr NewReference(X509* cert) {
  X509_up_ref(cert);
  return ossl::X509Ptr(cert);
}

}  // namespace

ossl::X509Ptr CertificateCache::Get(ByteSpan der) {
  if (der.empty()) return nullptr;
  std::string key(reinterpret_cast<const char*>(der.data()), der.size());
  {
    std::lock_guard lock(mu_);
    auto it = certs_.find(key);
    if (it != certs_.end()) return NewReference(it->second.get());
  }
  // Parsed outside the lock: two threads missing at once both parse, and the second keeps the
  // first's object.
  ossl::X509Ptr cert = ossl::ParseCertificate(der);
  if (!cert) return nullptr;
  std::lock_guard lock(mu_);
  if (certs_.size() >= max_entries_) certs_.clear();
  auto [it, inserted] = certs_.emplace(std::move(key), std::move(cert));
  return NewReference(it->second.get());
}

ossl::X509Ptr ParseCertificate(ByteSpan der, CertificateCache* cache) {
  return cache != nullptr ? cache->Get(der) : ossl::ParseCertificate(der);
}

ossl::X509Ptr ParseCertificatePrefix(ByteSpan der, CertificateCache* cache) {
  if (cache != nullptr) {
    ossl::X509Ptr whole = cache->Get(der);
    if (whole) return whole;
  }
  return ossl::ParseCertificatePrefix(der);
}

}  // namespace taicho::signer
