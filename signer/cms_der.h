// Reading a CMS SignedData's layout from its DER without decoding it: where its certificates,
// its signature values and its signature time-stamp tokens are. In OpenSSL 3 decoding a CMS
// decodes every certificate in it, and decoding a certificate's public key is dear (about a
// quarter of a B-LTA seal's CPU); code that only copies certificates or reads a signature value
// does not need that.
//
// The walk uses OpenSSL's TLV reader (ASN1_get_object: every length checked against the bytes
// left) over a fixed, non-recursive path; it accepts definite-length encodings only and returns
// nullopt on anything else (BER indefinite lengths, a structure that is not a SignedData), so a
// caller falls back to the full decoder for those. Nothing is verified here.
//
// Thread rules: pure functions, no shared state. The spans returned point into the caller's
// bytes and live as long as they do.
#pragma once

#include <optional>
#include <vector>

#include "signer/bytes.h"

namespace taicho::signer {

struct CmsLayout {
  struct Signer {
    ByteSpan signature;                       // the signature value's octets
    std::vector<ByteSpan> time_stamp_tokens;  // DER ContentInfos of id-aa-signatureTimeStampToken
  };
  size_t encoded_size = 0;             // of the ContentInfo; bytes after it are not read
  std::vector<ByteSpan> certificates;  // each a whole DER Certificate (other choices skipped)
  ByteSpan content_type;               // eContentType's OID content octets
  std::optional<ByteSpan> content;     // eContent's octets; nullopt when detached
  std::vector<Signer> signers;
};

// The layout of the ContentInfo at the front of `der`; nullopt when it is not a definite-length
// ContentInfo of a SignedData.
std::optional<CmsLayout> ReadCmsLayout(ByteSpan der);

// Appends the certificates `cms_der` carries and those of the signature time-stamp tokens in its
// SignerInfos (each as its DER) to `out`. Decodes nothing when the CMS is definite-length DER;
// falls back to OpenSSL's decoder otherwise. Appends nothing for bytes that are not a CMS.
void AppendCmsCertificates(ByteSpan cms_der, std::vector<Bytes>& out);

}  // namespace taicho::signer
