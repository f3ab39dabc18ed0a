#include "signer/key_signer.h"

#include <openssl/crypto.h>

#include <string>

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

X509Ptr ParseCertificate(ByteSpan der) {
  if (der.empty()) return nullptr;
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) return nullptr;
  return cert;
}

X509Ptr ParseCertificatePrefix(ByteSpan der) {
  if (der.empty()) return nullptr;
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
