// CMS SignedData for PAdES (ETSI.CAdES.detached), built with OpenSSL, in two steps that may run
// in different processes: PrepareCms gives the exact bytes to sign; CompleteCms embeds the value.
//
// Profile (../shared/docs/pades.md): one SignerInfo; detached id-data; signed attributes
// content-type, message-digest, signing-certificate-v2 (with issuerSerial) and nothing else (no
// signing-time); certificates = the given chain.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "signer/bytes.h"
#include "signer/key_signer.h"
#include "signer/openssl_ptr.h"

namespace taicho::signer {

struct CmsRequest {
  std::vector<Bytes> chain;  // signer certificate first
  DigestAlgorithm digest = DigestAlgorithm::kSha256;
  SignatureScheme scheme = SignatureScheme::kRsaPkcs1v15;
  Bytes content_digest;  // digest of the PDF byte ranges, with `digest`
};

// A prepared signature: every input of the signed attributes, fixed. Serialisable.
struct PreparedCms {
  CmsRequest request;
  Bytes signed_attributes;  // DER (SET OF), exactly what the key signs

  std::string ToJson() const;
  // Checks the state rebuilds its signed attributes; `certificates` (optional, not owned) keeps
  // the chain parsed for that, as PrepareCms's does.
  static absl::StatusOr<PreparedCms> FromJson(const std::string& json,
                                              CertificateCache* certificates = nullptr);
};

// A completed CMS SignedData held as OpenSSL's objects, from signing to its DER: the signature
// time-stamp (timestamp_attribute.h) is added to these objects rather than to a copy decoded
// again from DER, which in OpenSSL 3 would decode every certificate's public key again.
// Movable, not copyable; one thread at a time.
class SignedCms {
 public:
  // `si` is `cms`'s only SignerInfo.
  SignedCms(ossl::CmsPtr cms, CMS_SignerInfo* si) : cms_(std::move(cms)), si_(si) {}

  // The signature value of the SignerInfo: what B-T time-stamps. Valid until the object changes.
  ByteSpan signature_value() const;
  // The DER ContentInfo.
  absl::StatusOr<Bytes> ToDer() const;
  // The SignerInfo, owned by this object (for timestamp_attribute.cc).
  CMS_SignerInfo* signer_info() const { return si_; }

 private:
  ossl::CmsPtr cms_;
  CMS_SignerInfo* si_ = nullptr;
};

// `certificates` (optional, here and below; owned by the caller, e.g. a key signer's or a
// server's) keeps the chain's parsed certificates between calls.
absl::StatusOr<PreparedCms> PrepareCms(const CmsRequest& request,
                                       CertificateCache* certificates = nullptr);

// Checks `signature_value` against the signer certificate over the signed attributes
// (kSignatureValueInvalid when it does not verify) and returns the DER ContentInfo.
// For ECDSA, raw r||s values are accepted and DER-encoded.
absl::StatusOr<Bytes> CompleteCms(const PreparedCms& prepared, ByteSpan signature_value,
                                  CertificateCache* certificates = nullptr);

// CompleteCms, the CMS kept as objects.
absl::StatusOr<SignedCms> CompleteSignedCms(const PreparedCms& prepared, ByteSpan signature_value,
                                            CertificateCache* certificates = nullptr);

// Prepare + sign + complete in one go, with the key's own certificates (KeySigner::certificates).
absl::StatusOr<Bytes> SignCms(const CmsRequest& request, KeySigner& key);
// SignCms, the CMS kept as objects.
absl::StatusOr<SignedCms> SignSignedCms(const CmsRequest& request, KeySigner& key);

// An upper bound of the DER size of the CMS for this chain and key, with headroom, used to size
// the PDF /Contents reservation.
size_t EstimateCmsSize(const std::vector<Bytes>& chain, CertificateCache* certificates = nullptr);

}  // namespace taicho::signer
