#include "signer/key_signer.h"

#include <openssl/crypto.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "signer/openssl_ptr.h"

namespace taicho::signer {

std::string_view DigestName(DigestAlgorithm md) {
  switch (md) {
    case DigestAlgorithm::kSha256:
      return "SHA-256";
    case DigestAlgorithm::kSha384:
      return "SHA-384";
    case DigestAlgorithm::kSha512:
      return "SHA-512";
  }
  return "?";
}

std::string_view SchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1v15:
      return "RSA PKCS#1 v1.5";
    case SignatureScheme::kRsaPss:
      return "RSASSA-PSS";
    case SignatureScheme::kEcdsa:
      return "ECDSA";
  }
  return "?";
}

namespace ossl {

namespace {

// Decoding a certificate is dear in OpenSSL 3 (its public key goes through the provider decoder
// machinery: OSSL_DECODER_CTX_new_for_pkey), and a server-side seal used to decode the same
// 2–3 certificates about 15 times (describe, spec, check, build the CMS at prepare, again from the
// stored state, again at complete): about 40% of its CPU (bench/seal_load.sh, perf). Parsed
// certificates are kept here by their DER and handed out as new references; X509 objects are
// safe to share read-only between threads (the lazily cached extensions are guarded by the
// object's own lock). Bounded: emptied when full (a service sees a handful of chains).
class CertificateCache {
 public:
  // `cert` for `der` (whole, no trailing bytes), parsing it on a miss; null when it is none.
  X509Ptr Get(ByteSpan der) {
    std::string key(reinterpret_cast<const char*>(der.data()), der.size());
    {
      std::lock_guard lock(mu_);
      auto it = certs_.find(key);
      if (it != certs_.end()) return NewReference(it->second.get());
    }
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size()) return nullptr;
    std::lock_guard lock(mu_);
    if (certs_.size() >= kMaxEntries) certs_.clear();
    auto [it, inserted] = certs_.emplace(std::move(key), std::move(cert));
    return NewReference(it->second.get());
  }

 private:
  static constexpr size_t kMaxEntries = 256;
  static X509Ptr NewReference(X509* cert) {
    X509_up_ref(cert);
    return X509Ptr(cert);
  }
  std::mutex mu_;
  std::unordered_map<std::string, X509Ptr> certs_;
};

}  // namespace

X509Ptr ParseCertificate(ByteSpan der) {
  if (der.empty()) return nullptr;
  static CertificateCache* const cache = new CertificateCache;  // never destroyed: used at exit
  return cache->Get(der);
}

X509Ptr ParseCertificatePrefix(ByteSpan der) {
  if (der.empty()) return nullptr;
  X509Ptr whole = ParseCertificate(der);
  if (whole) return whole;
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

const EVP_MD* MdOf(DigestAlgorithm md) {
  switch (md) {
    case DigestAlgorithm::kSha256:
      return EVP_sha256();
    case DigestAlgorithm::kSha384:
      return EVP_sha384();
    case DigestAlgorithm::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

size_t DigestSize(DigestAlgorithm md) {
  switch (md) {
    case DigestAlgorithm::kSha256:
      return 32;
    case DigestAlgorithm::kSha384:
      return 48;
    case DigestAlgorithm::kSha512:
      return 64;
  }
  return 0;
}

Bytes EcdsaRawToDer(ByteSpan raw) {
  if (raw.empty() || raw.size() % 2 != 0) return {};
  const int half = static_cast<int>(raw.size() / 2);
  BnPtr r(BN_bin2bn(raw.data(), half, nullptr));
  BnPtr s(BN_bin2bn(raw.data() + half, half, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig) return {};
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  r.release();  // owned by sig now
  s.release();
  return ToDer(sig.get(), i2d_ECDSA_SIG);
}

std::string EncodeBase64(ByteSpan data) {
  if (data.empty()) return {};
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

bool DecodeBase64(const std::string& text, Bytes* out) {
  out->clear();
  if (text.empty()) return true;
  if (text.size() % 4 != 0) return false;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  size_t pad = 0;
  if (text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  // '=' may only appear as trailing padding.
  if (text.find('=') != std::string::npos && text.find('=') < text.size() - pad) return false;
  Bytes buf(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return false;
  buf.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts padding as zero bytes
  *out = std::move(buf);
  return true;
}

}  // namespace ossl
}  // namespace taicho::signer
