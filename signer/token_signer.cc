#include "signer/token_signer.h"

#include <openssl/err.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "signer/certificate_cache.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {
namespace {

// How one signature is made on the token.
enum class TokenMethod {
  kHashAndSign,  // CKM_SHA*_RSA_PKCS(_PSS): the token hashes the data
  kRawPss,       // CKM_RSA_PKCS_PSS over our digest
  kRawPkcs1,     // CKM_RSA_PKCS over our DigestInfo
  kEcdsa,        // CKM_ECDSA over our digest
};

struct DigestMechanisms {
  unsigned long rsa_pkcs, rsa_pss, hash, mgf;
};

DigestMechanisms MechanismsFor(DigestAlgorithm md) {
  switch (md) {
    case DigestAlgorithm::kSha256:
      return {CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256};
    case DigestAlgorithm::kSha384:
      return {CKM_SHA384_RSA_PKCS, CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384};
    case DigestAlgorithm::kSha512:
      return {CKM_SHA512_RSA_PKCS, CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512};
  }
  return {};
}

absl::StatusOr<Bytes> Digest(ByteSpan data, DigestAlgorithm md) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, ossl::MdOf(md), nullptr) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "EVP_Digest failed");
  }
  out.resize(len);
  return out;
}

// DER DigestInfo { AlgorithmIdentifier (with NULL parameters, RFC 8017), OCTET STRING }.
absl::StatusOr<Bytes> DigestInfo(ByteSpan digest, DigestAlgorithm md) {
  ossl::X509SigPtr sig(X509_SIG_new());
  if (!sig) return Error(ErrorCode::kCrypto, "X509_SIG_new failed");
  X509_ALGOR* alg = nullptr;
  ASN1_OCTET_STRING* value = nullptr;
  X509_SIG_getm(sig.get(), &alg, &value);
  if (X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(ossl::MdOf(md))), V_ASN1_NULL, nullptr) !=
          1 ||
      ASN1_OCTET_STRING_set(value, digest.data(), static_cast<int>(digest.size())) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot build DigestInfo");
  }
  Bytes der = ossl::ToDer(sig.get(), i2d_X509_SIG);
  if (der.empty()) return Error(ErrorCode::kCrypto, "cannot encode DigestInfo");
  return der;
}

class TokenSigner : public KeySigner {
 public:
  TokenSigner(pkcs11::Session& session, pkcs11::KeyInfo key, std::vector<Bytes> chain,
              std::vector<unsigned long> mechanisms, SignatureScheme scheme)
      : session_(session),
        key_(std::move(key)),
        chain_(std::move(chain)),
        mechanisms_(std::move(mechanisms)),
        scheme_(scheme) {}

  const std::vector<Bytes>& CertificateChain() const override { return chain_; }
  SignatureScheme scheme() const override { return scheme_; }
  CertificateCache* certificates() const override { return certificates_.get(); }

  absl::StatusOr<Bytes> Sign(ByteSpan data, DigestAlgorithm md) override {
    const DigestMechanisms m = MechanismsFor(md);
    pkcs11::SignRequest request;
    TokenMethod method;
    switch (scheme_) {
      case SignatureScheme::kRsaPss:
        if (Has(m.rsa_pss)) {
          request.mechanism = m.rsa_pss;
          method = TokenMethod::kHashAndSign;
        } else if (Has(CKM_RSA_PKCS_PSS)) {
          request.mechanism = CKM_RSA_PKCS_PSS;
          method = TokenMethod::kRawPss;
        } else {
          return Error(ErrorCode::kMechanismUnsupported,
                       absl::StrCat("no RSASSA-PSS mechanism for ", std::string(DigestName(md))));
        }
        request.pss_hash = m.hash;
        request.pss_mgf = m.mgf;
        request.pss_salt_length = ossl::DigestSize(md);
        break;
      case SignatureScheme::kRsaPkcs1v15:
        if (Has(m.rsa_pkcs)) {
          request.mechanism = m.rsa_pkcs;
          method = TokenMethod::kHashAndSign;
        } else if (Has(CKM_RSA_PKCS)) {
          request.mechanism = CKM_RSA_PKCS;
          method = TokenMethod::kRawPkcs1;
        } else {
          return Error(ErrorCode::kMechanismUnsupported,
                       absl::StrCat("no RSA PKCS#1 mechanism for ", std::string(DigestName(md))));
        }
        break;
      case SignatureScheme::kEcdsa:
        request.mechanism = CKM_ECDSA;
        method = TokenMethod::kEcdsa;
        break;
      default:
        return Error(ErrorCode::kInternal, "unknown scheme");
    }

    Bytes input;
    if (method == TokenMethod::kHashAndSign) {
      input.assign(data.begin(), data.end());
    } else {
      absl::StatusOr<Bytes> digest = Digest(data, md);
      if (!digest.ok()) return digest.status();
      if (method == TokenMethod::kRawPkcs1) {
        absl::StatusOr<Bytes> info = DigestInfo(*digest, md);
        if (!info.ok()) return info.status();
        input = std::move(*info);
      } else {
        input = std::move(*digest);
      }
    }
    absl::StatusOr<std::vector<uint8_t>> value = session_.Sign(key_, request, input);
    if (!value.ok()) return value.status();
    if (method != TokenMethod::kEcdsa) return std::move(*value);
    Bytes der = ossl::EcdsaRawToDer(*value);
    if (der.empty()) {
      return Error(ErrorCode::kTokenError,
                   absl::StrCat("the token returned a ", value->size(), "-byte ECDSA value"));
    }
    return der;
  }

 private:
  bool Has(unsigned long mechanism) const {
    return std::find(mechanisms_.begin(), mechanisms_.end(), mechanism) != mechanisms_.end();
  }

  pkcs11::Session& session_;
  pkcs11::KeyInfo key_;
  std::vector<Bytes> chain_;
  std::vector<unsigned long> mechanisms_;
  SignatureScheme scheme_;
  // The chain parsed on first use, for as long as this signer lives.
  std::unique_ptr<CertificateCache> certificates_ = std::make_unique<CertificateCache>();
};

}  // namespace

absl::StatusOr<std::unique_ptr<KeySigner>> MakeTokenSigner(pkcs11::Session& session,
                                                           const pkcs11::KeyInfo& key,
                                                           std::vector<Bytes> chain,
                                                           bool prefer_pss) {
  if (chain.empty()) {
    if (key.certificate_der.empty()) {
      return Error(ErrorCode::kCertificateNotFound, "no certificate for the token key");
    }
    chain.push_back(key.certificate_der);
  }
  absl::StatusOr<std::vector<unsigned long>> mechanisms = session.SigningMechanisms();
  if (!mechanisms.ok()) return mechanisms.status();
  auto has = [&](unsigned long m) {
    return std::find(mechanisms->begin(), mechanisms->end(), m) != mechanisms->end();
  };
  SignatureScheme scheme;
  switch (key.type) {
    case pkcs11::KeyType::kEc:
      if (!has(CKM_ECDSA)) {
        return Error(ErrorCode::kMechanismUnsupported, "the token does not offer CKM_ECDSA");
      }
      scheme = SignatureScheme::kEcdsa;
      break;
    case pkcs11::KeyType::kRsa: {
      const bool pss = has(CKM_SHA256_RSA_PKCS_PSS) || has(CKM_SHA384_RSA_PKCS_PSS) ||
                       has(CKM_SHA512_RSA_PKCS_PSS) || has(CKM_RSA_PKCS_PSS);
      const bool pkcs1 = has(CKM_SHA256_RSA_PKCS) || has(CKM_SHA384_RSA_PKCS) ||
                         has(CKM_SHA512_RSA_PKCS) || has(CKM_RSA_PKCS);
      if (prefer_pss && pss) {
        scheme = SignatureScheme::kRsaPss;
      } else if (pkcs1) {
        scheme = SignatureScheme::kRsaPkcs1v15;
      } else if (pss) {
        scheme = SignatureScheme::kRsaPss;  // PKCS#1 v1.5 unavailable: PSS is all there is
      } else {
        return Error(ErrorCode::kMechanismUnsupported, "the token offers no RSA signing mechanism");
      }
      break;
    }
    default:
      return Error(ErrorCode::kMechanismUnsupported, "the key is neither RSA nor EC");
  }
  return std::unique_ptr<KeySigner>(
      new TokenSigner(session, key, std::move(chain), std::move(*mechanisms), scheme));
}

}  // namespace taicho::signer
