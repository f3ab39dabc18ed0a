#include "signer/cms_der.h"

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>

#include "signer/openssl_ptr.h"

namespace taicho::signer {
namespace {

struct Tlv {
  int tag = 0;
  int cls = 0;  // V_ASN1_UNIVERSAL, V_ASN1_CONTEXT_SPECIFIC…
  bool constructed = false;
  ByteSpan whole;    // identifier, length and content
  ByteSpan content;  // the content octets
};

// Reads the definite-length TLV at the front of `*in` and moves `*in` past it. False (with
// OpenSSL's queue cleared) on a truncated or indefinite-length one: ASN1_get_object checks the
// length against the bytes left, so nothing is read beyond `*in`.
bool ReadTlv(ByteSpan* in, Tlv* out) {
  if (in->empty()) return false;
  const unsigned char* p = in->data();
  long length = 0;
  const int ret = ASN1_get_object(&p, &length, &out->tag, &out->cls, static_cast<long>(in->size()));
  if ((ret & 0x80) != 0 || (ret & 0x01) != 0 || length < 0) {
    ERR_clear_error();
    return false;
  }
  const size_t header = static_cast<size_t>(p - in->data());
  const size_t size = header + static_cast<size_t>(length);
  if (size > in->size()) return false;  // ASN1_get_object flags this too; kept for clarity
  out->constructed = (ret & V_ASN1_CONSTRUCTED) != 0;
  out->whole = in->subspan(0, size);
  out->content = in->subspan(header, static_cast<size_t>(length));
  *in = in->subspan(size);
  return true;
}

bool IsUniversal(const Tlv& tlv, int tag, bool constructed) {
  return tlv.cls == V_ASN1_UNIVERSAL && tlv.tag == tag && tlv.constructed == constructed;
}

bool IsContext(const Tlv& tlv, int tag) {
  return tlv.cls == V_ASN1_CONTEXT_SPECIFIC && tlv.tag == tag && tlv.constructed;
}

// Whether the OID TLV `tlv` is the object of `nid` (compared on the content octets).
bool IsOid(const Tlv& tlv, int nid) {
  if (!IsUniversal(tlv, V_ASN1_OBJECT, false)) return false;
  const ASN1_OBJECT* obj = OBJ_nid2obj(nid);
  const unsigned char* data = obj ? OBJ_get0_data(obj) : nullptr;
  const size_t length = obj ? OBJ_length(obj) : 0;
  return data != nullptr && tlv.content.size() == length &&
         std::equal(tlv.content.begin(), tlv.content.end(), data);
}

// The signature-time-stamp tokens of unsignedAttrs' content (a SET OF Attribute).
bool ReadUnsignedAttributes(ByteSpan attrs, std::vector<ByteSpan>* tokens) {
  while (!attrs.empty()) {
    Tlv attr, type, values;
    if (!ReadTlv(&attrs, &attr) || !IsUniversal(attr, V_ASN1_SEQUENCE, true)) return false;
    ByteSpan in = attr.content;
    if (!ReadTlv(&in, &type) || !ReadTlv(&in, &values) || !in.empty() ||
        !IsUniversal(values, V_ASN1_SET, true)) {
      return false;
    }
    if (!IsOid(type, NID_id_smime_aa_timeStampToken)) continue;
    ByteSpan each = values.content;
    while (!each.empty()) {
      Tlv value;
      if (!ReadTlv(&each, &value)) return false;
      if (IsUniversal(value, V_ASN1_SEQUENCE, true)) tokens->push_back(value.whole);
    }
  }
  return true;
}

// SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, [0] signedAttrs OPTIONAL,
//   signatureAlgorithm, signature OCTET STRING, [1] unsignedAttrs OPTIONAL }
bool ReadSignerInfo(const Tlv& info, CmsLayout::Signer* out) {
  if (!IsUniversal(info, V_ASN1_SEQUENCE, true)) return false;
  ByteSpan in = info.content;
  Tlv version, sid, digest_alg, next, signature;
  if (!ReadTlv(&in, &version) || !IsUniversal(version, V_ASN1_INTEGER, false) ||
      !ReadTlv(&in, &sid) || !ReadTlv(&in, &digest_alg) ||
      !IsUniversal(digest_alg, V_ASN1_SEQUENCE, true) || !ReadTlv(&in, &next)) {
    return false;
  }
  if (IsContext(next, 0) && !ReadTlv(&in, &next)) return false;  // signedAttrs
  if (!IsUniversal(next, V_ASN1_SEQUENCE, true)) return false;   // signatureAlgorithm
  if (!ReadTlv(&in, &signature) || !IsUniversal(signature, V_ASN1_OCTET_STRING, false)) {
    return false;
  }
  out->signature = signature.content;
  if (in.empty()) return true;
  Tlv unsigned_attrs;
  if (!ReadTlv(&in, &unsigned_attrs) || !IsContext(unsigned_attrs, 1) || !in.empty()) {
    return false;
  }
  return ReadUnsignedAttributes(unsigned_attrs.content, &out->time_stamp_tokens);
}

// The certificates and time-stamp tokens of a CMS OpenSSL decoded (a BER one): the former way.
void AppendDecodedCertificates(ByteSpan der, std::vector<Bytes>& out, bool with_tokens) {
  const unsigned char* p = der.data();
  ossl::CmsPtr cms(der.empty() ? nullptr
                               : d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) {
    ERR_clear_error();
    return;
  }
  ossl::X509StackPtr certs(CMS_get1_certs(cms.get()));
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    out.push_back(ossl::ToDer(sk_X509_value(certs.get(), i), i2d_X509));
  }
  STACK_OF(CMS_SignerInfo)* infos = with_tokens ? CMS_get0_SignerInfos(cms.get()) : nullptr;
  for (int i = 0; infos && i < sk_CMS_SignerInfo_num(infos); ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
    for (int at = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1); at >= 0;
         at = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, at)) {
      X509_ATTRIBUTE* attr = CMS_unsigned_get_attr(si, at);
      for (int v = 0; v < X509_ATTRIBUTE_count(attr); ++v) {
        ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, v);
        if (value == nullptr || value->type != V_ASN1_SEQUENCE) continue;
        const ASN1_STRING* seq = value->value.sequence;
        const ByteSpan token(ASN1_STRING_get0_data(seq),
                             static_cast<size_t>(ASN1_STRING_length(seq)));
        std::optional<CmsLayout> layout = ReadCmsLayout(token);
        if (!layout) {
          AppendDecodedCertificates(token, out, /*with_tokens=*/false);
          continue;
        }
        for (ByteSpan cert : layout->certificates) out.emplace_back(cert.begin(), cert.end());
      }
    }
  }
  ERR_clear_error();
}

// ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }, at the front of
// `der`: the ContentInfo (`info`, bytes after it not read), its id-signedData type (`type`) and
// the SignedData inside (`signed_data`); false for anything else.
bool ReadSignedData(ByteSpan der, Tlv* info, Tlv* type, Tlv* signed_data) {
  ByteSpan in = der;
  if (!ReadTlv(&in, info) || !IsUniversal(*info, V_ASN1_SEQUENCE, true)) return false;
  ByteSpan body = info->content;
  Tlv explicit_content;
  if (!ReadTlv(&body, type) || !IsOid(*type, NID_pkcs7_signed) ||
      !ReadTlv(&body, &explicit_content) || !IsContext(explicit_content, 0) || !body.empty()) {
    return false;
  }
  ByteSpan wrapped = explicit_content.content;
  return ReadTlv(&wrapped, signed_data) && IsUniversal(*signed_data, V_ASN1_SEQUENCE, true) &&
         wrapped.empty();
}

}  // namespace

std::optional<CmsLayout> ReadCmsLayout(ByteSpan der) {
  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
  Tlv info, type, signed_data;
  if (!ReadSignedData(der, &info, &type, &signed_data)) return std::nullopt;
  CmsLayout layout;
  layout.encoded_size = info.whole.size();
  // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
  //   [0] IMPLICIT certificates OPTIONAL, [1] IMPLICIT crls OPTIONAL, signerInfos SET }
  ByteSpan sd = signed_data.content;
  Tlv version, digests, encap, next;
  if (!ReadTlv(&sd, &version) || !IsUniversal(version, V_ASN1_INTEGER, false) ||
      !ReadTlv(&sd, &digests) || !IsUniversal(digests, V_ASN1_SET, true) || !ReadTlv(&sd, &encap) ||
      !IsUniversal(encap, V_ASN1_SEQUENCE, true)) {
    return std::nullopt;
  }
  {  // EncapsulatedContentInfo ::= SEQUENCE { eContentType OID, [0] EXPLICIT OCTET STRING OPT }
    ByteSpan e = encap.content;
    Tlv content_type, explicit_octets, octets;
    if (!ReadTlv(&e, &content_type) || !IsUniversal(content_type, V_ASN1_OBJECT, false)) {
      return std::nullopt;
    }
    layout.content_type = content_type.content;
    if (!e.empty()) {
      if (!ReadTlv(&e, &explicit_octets) || !IsContext(explicit_octets, 0) || !e.empty()) {
        return std::nullopt;
      }
      ByteSpan o = explicit_octets.content;
      // A constructed (BER) OCTET STRING is left to the full decoder.
      if (!ReadTlv(&o, &octets) || !IsUniversal(octets, V_ASN1_OCTET_STRING, false) || !o.empty()) {
        return std::nullopt;
      }
      layout.content = octets.content;
    }
  }
  if (!ReadTlv(&sd, &next)) return std::nullopt;
  if (IsContext(next, 0)) {  // CertificateChoices: only plain certificates (SEQUENCE) are kept
    ByteSpan certs = next.content;
    while (!certs.empty()) {
      Tlv cert;
      if (!ReadTlv(&certs, &cert)) return std::nullopt;
      if (IsUniversal(cert, V_ASN1_SEQUENCE, true)) layout.certificates.push_back(cert.whole);
    }
    if (!ReadTlv(&sd, &next)) return std::nullopt;
  }
  if (IsContext(next, 1) && !ReadTlv(&sd, &next)) return std::nullopt;  // crls
  if (!IsUniversal(next, V_ASN1_SET, true) || !sd.empty()) return std::nullopt;
  ByteSpan infos = next.content;
  while (!infos.empty()) {
    Tlv signer_info;
    CmsLayout::Signer signer;
    if (!ReadTlv(&infos, &signer_info) || !ReadSignerInfo(signer_info, &signer)) {
      return std::nullopt;
    }
    layout.signers.push_back(std::move(signer));
  }
  return layout;
}

void AppendConstructedHeader(int tag, int cls, size_t length, Bytes& out) {
  const size_t at = out.size();
  const int with_header = ASN1_object_size(1, static_cast<int>(length), tag);
  out.resize(at + static_cast<size_t>(with_header) - length);
  unsigned char* p = out.data() + at;
  ASN1_put_object(&p, 1, static_cast<int>(length), tag, cls);
}

std::optional<CertificatesTakenOut> TakeOutCertificates(ByteSpan der) {
  Tlv info, type, signed_data;
  if (der.size() > (1u << 30) || !ReadSignedData(der, &info, &type, &signed_data) ||
      info.whole.size() != der.size()) {
    return std::nullopt;
  }
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
  //   [0] IMPLICIT certificates OPTIONAL, [1] IMPLICIT crls OPTIONAL, signerInfos }
  ByteSpan sd = signed_data.content;
  for (int field = 0; field < 3; ++field) {
    Tlv skipped;
    if (!ReadTlv(&sd, &skipped)) return std::nullopt;
  }
  const ByteSpan before_set = signed_data.content.first(signed_data.content.size() - sd.size());
  Tlv set;
  if (!ReadTlv(&sd, &set) || !IsContext(set, 0)) return std::nullopt;
  CertificatesTakenOut out;
  for (ByteSpan certs = set.content; !certs.empty();) {
    Tlv cert;
    if (!ReadTlv(&certs, &cert) || !IsUniversal(cert, V_ASN1_SEQUENCE, true)) return std::nullopt;
    out.certificates.push_back(cert.whole);
  }
  // `sd` is what follows the set. Lengths from the inside out, then the bytes front to back.
  const size_t sd_length = before_set.size() + sd.size();
  const size_t sd_size =
      static_cast<size_t>(ASN1_object_size(1, static_cast<int>(sd_length), V_ASN1_SEQUENCE));
  const size_t info_length =
      type.whole.size() + static_cast<size_t>(ASN1_object_size(1, static_cast<int>(sd_size), 0));
  out.without.reserve(der.size());
  AppendConstructedHeader(V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, info_length, out.without);
  out.without.insert(out.without.end(), type.whole.begin(), type.whole.end());
  AppendConstructedHeader(0, V_ASN1_CONTEXT_SPECIFIC, sd_size, out.without);
  AppendConstructedHeader(V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, sd_length, out.without);
  out.without.insert(out.without.end(), before_set.begin(), before_set.end());
  out.without.insert(out.without.end(), sd.begin(), sd.end());
  return out;
}

void AppendCmsCertificates(ByteSpan cms_der, std::vector<Bytes>& out) {
  std::optional<CmsLayout> layout = ReadCmsLayout(cms_der);
  if (!layout) {
    AppendDecodedCertificates(cms_der, out, /*with_tokens=*/true);
    return;
  }
  for (ByteSpan cert : layout->certificates) out.emplace_back(cert.begin(), cert.end());
  // Tokens do not nest further: their own SignerInfos' attributes are not followed.
  for (const CmsLayout::Signer& signer : layout->signers) {
    for (ByteSpan token : signer.time_stamp_tokens) {
      std::optional<CmsLayout> token_layout = ReadCmsLayout(token);
      if (!token_layout) {
        AppendDecodedCertificates(token, out, /*with_tokens=*/false);
        continue;
      }
      for (ByteSpan cert : token_layout->certificates) out.emplace_back(cert.begin(), cert.end());
    }
  }
}

}  // namespace taicho::signer
