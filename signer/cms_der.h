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

// A ContentInfo of a SignedData with its certificate set taken out, for decoding the rest
// without its certificates (OpenSSL 3 decodes each certificate's public key while it decodes a
// CMS, the dear part, and the same few certificates arrive every time: callers take them from a
// CertificateCache by their bytes). `certificates`: each a whole DER Certificate, pointing into
// the input. `without`: the ContentInfo encoded again without the set, every enclosing length
// shrunk by its size (OpenSSL's ASN1_put_object writes the headers). nullopt when `der` is not
// exactly one definite-length ContentInfo of a SignedData carrying a certificate set of plain
// certificates only: the caller then decodes the whole, so the outcome is the same either way.
struct CertificatesTakenOut {
  std::vector<ByteSpan> certificates;
  Bytes without;
};
std::optional<CertificatesTakenOut> TakeOutCertificates(ByteSpan der);

// Appends the identifier and DER length octets of a constructed TLV (`tag` < 31 of class `cls`,
// V_ASN1_UNIVERSAL…) with `length` content octets to `out`.
void AppendConstructedHeader(int tag, int cls, size_t length, Bytes& out);

// Appends the certificates `cms_der` carries and those of the signature time-stamp tokens in its
// SignerInfos (each as its DER) to `out`. Decodes nothing when the CMS is definite-length DER;
// falls back to OpenSSL's decoder otherwise. Appends nothing for bytes that are not a CMS.
void AppendCmsCertificates(ByteSpan cms_der, std::vector<Bytes>& out);

}  // namespace taicho::signer
