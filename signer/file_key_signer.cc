// KeySigner over a private key held in memory, loaded from a PKCS#12 or PEM file.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "signer/certificate_cache.h"
#include "signer/certificate_info.h"
#include "signer/key_signer.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {
namespace {

class FileKeySigner : public KeySigner {
 public:
  FileKeySigner(ossl::PkeyPtr key, std::vector<Bytes> chain, SignatureScheme scheme)
      : key_(std::move(key)), chain_(std::move(chain)), scheme_(scheme) {}

  const std::vector<Bytes>& CertificateChain() const override { return chain_; }
  SignatureScheme scheme() const override { return scheme_; }
  CertificateCache* certificates() const override { return certificates_.get(); }

  absl::StatusOr<Bytes> Sign(ByteSpan data, DigestAlgorithm md) override {
    const EVP_MD* evp_md = ossl::MdOf(md);
    ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
    if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, evp_md, nullptr, key_.get()) != 1) {
      ERR_clear_error();
      return Error(ErrorCode::kCrypto, "EVP_DigestSignInit failed");
    }
    if (scheme_ == SignatureScheme::kRsaPss) {
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(ossl::DigestSize(md))) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, evp_md) != 1) {
        ERR_clear_error();
        return Error(ErrorCode::kCrypto, "cannot set RSASSA-PSS parameters");
      }
    }
    size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
      ERR_clear_error();
      return Error(ErrorCode::kCrypto, "EVP_DigestSign (size) failed");
    }
    Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) {
      ERR_clear_error();
      return Error(ErrorCode::kCrypto, "EVP_DigestSign failed");
    }
    sig.resize(len);
    return sig;
  }

 private:
  ossl::PkeyPtr key_;
  std::vector<Bytes> chain_;
  SignatureScheme scheme_;
  // The chain parsed on first use, for as long as this key is loaded.
  std::unique_ptr<CertificateCache> certificates_ = std::make_unique<CertificateCache>();
};

absl::StatusOr<SignatureScheme> SchemeForKey(const EVP_PKEY* key, bool prefer_pss) {
  if (EVP_PKEY_is_a(key, "EC")) return SignatureScheme::kEcdsa;
  if (EVP_PKEY_is_a(key, "RSA")) {
    return prefer_pss ? SignatureScheme::kRsaPss : SignatureScheme::kRsaPkcs1v15;
  }
  return Error(ErrorCode::kKeyFileInvalid, "the key is neither RSA nor EC");
}

absl::StatusOr<std::unique_ptr<KeySigner>> MakeSigner(ossl::PkeyPtr key, X509* cert,
                                                      std::vector<Bytes> chain, bool prefer_pss) {
  if (X509_check_private_key(cert, key.get()) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kCertificateInvalid, "the certificate does not belong to the key");
  }
  absl::StatusOr<SignatureScheme> scheme = SchemeForKey(key.get(), prefer_pss);
  if (!scheme.ok()) return scheme.status();
  return std::unique_ptr<KeySigner>(new FileKeySigner(std::move(key), std::move(chain), *scheme));
}

// Fails instead of prompting on the terminal for an encrypted PEM key.
int NoPassword(char*, int, int, void*) { return -1; }

}  // namespace

absl::StatusOr<std::unique_ptr<KeySigner>> LoadPkcs12Signer(const std::string& path,
                                                            const std::string& password,
                                                            bool prefer_pss) {
  ossl::BioPtr bio(BIO_new_file(path.c_str(), "rb"));
  if (!bio) {
    ERR_clear_error();
    return Error(ErrorCode::kKeyFileInvalid, absl::StrCat("cannot open ", path));
  }
  ossl::Pkcs12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!p12) {
    ERR_clear_error();
    return Error(ErrorCode::kKeyFileInvalid, absl::StrCat("not a PKCS#12 file: ", path));
  }
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  STACK_OF(X509)* raw_ca = nullptr;
  // PKCS12_parse does not keep the password; our copy is the std::string c_str() buffer owned by
  // the caller, so there is nothing extra to wipe here.
  int ok = PKCS12_parse(p12.get(), password.c_str(), &raw_key, &raw_cert, &raw_ca);
  ossl::PkeyPtr key(raw_key);
  ossl::X509Ptr cert(raw_cert);
  ossl::X509StackPtr ca(raw_ca);
  if (ok != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kKeyFileInvalid, "wrong password or damaged PKCS#12 file");
  }
  if (!key) return Error(ErrorCode::kKeyFileInvalid, "the PKCS#12 file holds no private key");
  if (!cert) return Error(ErrorCode::kCertificateNotFound, "the PKCS#12 file holds no certificate");
  std::vector<Bytes> chain;
  chain.push_back(ossl::ToDer(cert.get(), i2d_X509));
  for (int i = 0; ca && i < sk_X509_num(ca.get()); ++i) {
    X509* c = sk_X509_value(ca.get(), i);
    if (X509_cmp(c, cert.get()) == 0) continue;
    // Leave out self-signed roots: the relying party has them.
    if (X509_check_issued(c, c) == X509_V_OK) continue;
    chain.push_back(ossl::ToDer(c, i2d_X509));
  }
  return MakeSigner(std::move(key), cert.get(), std::move(chain), prefer_pss);
}

absl::StatusOr<std::unique_ptr<KeySigner>> LoadPemSigner(const std::string& key_path,
                                                         const std::string& chain_path,
                                                         bool prefer_pss) {
  ossl::BioPtr bio(BIO_new_file(key_path.c_str(), "rb"));
  if (!bio) {
    ERR_clear_error();
    return Error(ErrorCode::kKeyFileInvalid, absl::StrCat("cannot open ", key_path));
  }
  ossl::PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  if (!key) {
    ERR_clear_error();
    return Error(ErrorCode::kKeyFileInvalid,
                 absl::StrCat("no unencrypted PEM private key in ", key_path));
  }
  absl::StatusOr<std::vector<Bytes>> chain = ReadCertificates(chain_path);
  if (!chain.ok()) {
    if (HasCode(chain.status(), ErrorCode::kIo)) {
      return Error(ErrorCode::kKeyFileInvalid, absl::StrCat("cannot open ", chain_path));
    }
    return chain.status();
  }
  ossl::X509Ptr cert = ossl::ParseCertificate(chain->front());
  if (!cert) return Error(ErrorCode::kCertificateInvalid, "unreadable signer certificate");
  return MakeSigner(std::move(key), cert.get(), std::move(*chain), prefer_pss);
}

}  // namespace taicho::signer
