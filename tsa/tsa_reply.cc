#include "tsa/tsa_reply.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <algorithm>
#include <initializer_list>
#include <memory>

#include "absl/strings/str_cat.h"

namespace taicho::tsa {
namespace {

using TsRespPtr = std::unique_ptr<TS_RESP, signer::ossl::Deleter<TS_RESP_free>>;

std::string StatusText(TS_STATUS_INFO* info) {
  std::string text;
  const STACK_OF(ASN1_UTF8STRING)* strings = TS_STATUS_INFO_get0_text(info);
  for (int i = 0; strings != nullptr && i < sk_ASN1_UTF8STRING_num(strings); ++i) {
    const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(strings, i);
    if (i > 0) text += "; ";
    text.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                static_cast<size_t>(ASN1_STRING_length(s)));
  }
  return text;
}

// The timeStampToken's bytes as the TSA sent them (the second element of the TimeStampResp
// SEQUENCE): what gets embedded, rather than the decoded token encoded again. Empty when `body`
// is not laid out so (it then decoded as a TS_RESP all the same: the caller encodes the token).
ByteSpan TokenBytes(ByteSpan body) {
  const unsigned char* p = body.data();
  long length = 0;
  int tag = 0, klass = 0;
  const int outer = ASN1_get_object(&p, &length, &tag, &klass, static_cast<long>(body.size()));
  if ((outer & 0x80) != 0 || outer != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE) return {};
  const unsigned char* end = p + length;
  // The PKIStatusInfo, skipped.
  if (ASN1_get_object(&p, &length, &tag, &klass, end - p) != V_ASN1_CONSTRUCTED) return {};
  p += length;
  const unsigned char* token = p;
  if (ASN1_get_object(&p, &length, &tag, &klass, end - p) != V_ASN1_CONSTRUCTED ||
      tag != V_ASN1_SEQUENCE || p + length != end) {
    return {};
  }
  return ByteSpan(token, static_cast<size_t>(end - token));
}

// One definite-length TLV with a one-byte identifier at `p`, bounded by `end`.
struct Tlv {
  const unsigned char* start = nullptr;    // its identifier octet
  const unsigned char* content = nullptr;  // after its length octets
  const unsigned char* end = nullptr;
  int tag = 0, klass = 0;
  bool constructed = false;
  ByteSpan whole() const { return ByteSpan(start, static_cast<size_t>(end - start)); }
};
std::optional<Tlv> ReadTlv(const unsigned char* p, const unsigned char* end) {
  if (p >= end) return std::nullopt;
  Tlv t;
  t.start = p;
  long length = 0;
  const int got = ASN1_get_object(&p, &length, &t.tag, &t.klass, end - p);
  // An error, an indefinite length or a multi-byte tag: not read here.
  if ((got & 0x80) != 0 || (got & 0x01) != 0 || t.tag >= 31) {
    ERR_clear_error();
    return std::nullopt;
  }
  t.constructed = (got & V_ASN1_CONSTRUCTED) != 0;
  t.content = p;
  t.end = p + length;
  return t;
}

bool IsSequence(const std::optional<Tlv>& t) {
  return t && t->klass == V_ASN1_UNIVERSAL && t->tag == V_ASN1_SEQUENCE && t->constructed;
}

// `identifier` (one octet), the DER length of `content`, then `content`.
Bytes Encode(uint8_t identifier, const Bytes& content) {
  Bytes out{identifier};
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else {
    uint8_t octets[sizeof(size_t)];
    int count = 0;
    for (size_t rest = n; rest != 0; rest >>= 8) octets[count++] = static_cast<uint8_t>(rest);
    out.push_back(static_cast<uint8_t>(0x80 | count));
    while (count > 0) out.push_back(octets[--count]);
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes Concat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Checks what only the requester knows (status, nonce, imprint, policy), then the token itself
// with the same verification a verifier will later run on the embedded attribute.
}  // namespace

std::optional<SplitReply> SplitTokenCertificates(ByteSpan body) {
  const unsigned char* const end = body.data() + body.size();
  // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo }
  const std::optional<Tlv> resp = ReadTlv(body.data(), end);
  if (!IsSequence(resp) || resp->end != end) return std::nullopt;
  const std::optional<Tlv> status = ReadTlv(resp->content, resp->end);
  if (!IsSequence(status)) return std::nullopt;
  const std::optional<Tlv> token = ReadTlv(status->end, resp->end);
  if (!IsSequence(token) || token->end != resp->end) return std::nullopt;
  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
  const std::optional<Tlv> type = ReadTlv(token->content, token->end);
  if (!type || type->tag != V_ASN1_OBJECT || type->klass != V_ASN1_UNIVERSAL) return std::nullopt;
  const std::optional<Tlv> wrapper = ReadTlv(type->end, token->end);
  if (!wrapper || wrapper->klass != V_ASN1_CONTEXT_SPECIFIC || wrapper->tag != 0 ||
      !wrapper->constructed || wrapper->end != token->end) {
    return std::nullopt;
  }
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
  //                           certificates [0] IMPLICIT OPTIONAL, crls [1] OPTIONAL, signerInfos }
  const std::optional<Tlv> signed_data = ReadTlv(wrapper->content, wrapper->end);
  if (!IsSequence(signed_data) || signed_data->end != wrapper->end) return std::nullopt;
  const std::optional<Tlv> version = ReadTlv(signed_data->content, signed_data->end);
  const std::optional<Tlv> digests =
      version ? ReadTlv(version->end, signed_data->end) : std::nullopt;
  const std::optional<Tlv> encap = digests ? ReadTlv(digests->end, signed_data->end) : std::nullopt;
  const std::optional<Tlv> certs = encap ? ReadTlv(encap->end, signed_data->end) : std::nullopt;
  if (!certs || certs->klass != V_ASN1_CONTEXT_SPECIFIC || certs->tag != 0 || !certs->constructed) {
    return std::nullopt;  // no certificates (or not where they belong): nothing to take out
  }
  SplitReply out;
  for (const unsigned char* p = certs->content; p < certs->end;) {
    const std::optional<Tlv> cert = ReadTlv(p, certs->end);
    if (!IsSequence(cert)) return std::nullopt;  // another CertificateChoices: decode it all
    out.certificates.push_back(cert->whole());
    p = cert->end;
  }
  // Re-encoded from the inside out: each enclosing length shrinks by what was taken out.
  const Bytes signed_content = Concat(
      {ByteSpan(signed_data->content, static_cast<size_t>(certs->start - signed_data->content)),
       ByteSpan(certs->end, static_cast<size_t>(signed_data->end - certs->end))});
  const Bytes wrapped = Encode(*wrapper->start, Encode(*signed_data->start, signed_content));
  const Bytes token_der = Encode(*token->start, Concat({type->whole(), wrapped}));
  out.without_certificates = Encode(*resp->start, Concat({status->whole(), token_der}));
  return out;
}

AttemptResult CheckReply(ByteSpan body, const Request& request, ByteSpan data,
                         const TsaPolicy& policy, const signer::TimeStampAnchors& anchors,
                         signer::CertificateCache* certificates) {
  // The token's certificates from the cache, by their bytes, and the rest of the reply decoded
  // without them: in OpenSSL 3 decoding a certificate (its public key) costs more than the rest
  // of the reply, and a TSA sends the same ones every time.
  std::optional<SplitReply> split;
  std::vector<signer::ossl::X509Ptr> token_certificates;
  ByteSpan decoded = body;
  if (certificates != nullptr && (split = SplitTokenCertificates(body))) {
    for (ByteSpan der : split->certificates) {
      signer::ossl::X509Ptr cert = signer::ParseCertificate(der, certificates);
      if (!cert) break;  // decoded with the reply below, which then says what is wrong
      token_certificates.push_back(std::move(cert));
    }
    if (token_certificates.size() == split->certificates.size()) {
      decoded = split->without_certificates;
    } else {
      token_certificates.clear();
    }
  }
  const unsigned char* p = decoded.data();
  TsRespPtr resp;
  if (!decoded.empty()) {
    resp.reset(d2i_TS_RESP(nullptr, &p, static_cast<long>(decoded.size())));
  }
  if (!resp || p != decoded.data() + decoded.size()) {
    ERR_clear_error();
    return Fail(Failure::kInvalid, "the reply is not a DER TimeStampResp");
  }
  TS_STATUS_INFO* status_info = TS_RESP_get_status_info(resp.get());
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status_info));
  if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) {
    std::string text = StatusText(status_info);
    return Fail(Failure::kRejected,
                absl::StrCat("PKIStatus ", status, text.empty() ? "" : ": ", text));
  }
  PKCS7* token = TS_RESP_get_token(resp.get());
  TS_TST_INFO* tst = TS_RESP_get_tst_info(resp.get());
  if (token == nullptr || tst == nullptr) {
    return Fail(Failure::kInvalid, "granted reply without a token");
  }
  const ASN1_INTEGER* nonce = TS_TST_INFO_get_nonce(tst);
  if (nonce == nullptr || ASN1_INTEGER_cmp(nonce, request.nonce.get()) != 0) {
    return Fail(Failure::kInvalid, "the reply's nonce is not the request's (replayed reply?)");
  }
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(tst);
  const ASN1_OBJECT* algo = nullptr;
  X509_ALGOR_get0(&algo, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(imprint));
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(imprint);
  if (algo == nullptr || OBJ_obj2nid(algo) != NID_sha256 || msg == nullptr ||
      static_cast<size_t>(ASN1_STRING_length(msg)) != request.digest.size() ||
      !std::equal(request.digest.begin(), request.digest.end(), ASN1_STRING_get0_data(msg))) {
    return Fail(Failure::kInvalid, "the reply's message imprint is not the request's");
  }
  if (!policy.policy_oid.empty()) {
    char oid[128] = {};
    const ASN1_OBJECT* got = TS_TST_INFO_get_policy_id(tst);
    if (got == nullptr || OBJ_obj2txt(oid, sizeof oid, got, 1) <= 0 || policy.policy_oid != oid) {
      return Fail(Failure::kInvalid,
                  absl::StrCat("the reply's policy is ", oid, ", not ", policy.policy_oid));
    }
  }
  AttemptResult result;
  if (const ByteSpan sent = TokenBytes(body); !sent.empty()) {
    result.token.assign(sent.begin(), sent.end());
  } else {
    unsigned char* der = nullptr;
    const int len = i2d_PKCS7(token, &der);
    if (len <= 0) {
      ERR_clear_error();
      return Fail(Failure::kInvalid, "the token cannot be encoded");
    }
    result.token.assign(der, der + len);
    OPENSSL_free(der);
  }
  // The token as read from the reply: decoding its DER again would decode its certificates again.
  absl::StatusOr<signer::TimeStampInfo> info = signer::VerifyParsedTimeStampToken(
      token, tst, data, anchors, policy.trust.at_time, token_certificates);
  if (!info.ok()) return Fail(Failure::kInvalid, std::string(info.status().message()));
  result.info = std::move(*info);
  return result;
}

}  // namespace taicho::tsa
