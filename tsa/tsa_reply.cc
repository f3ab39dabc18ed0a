#include "tsa/tsa_reply.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "signer/cms_der.h"

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

// The two parts of a TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken
// ContentInfo } as the TSA sent them; nullopt when `body` is not exactly that, definite-length.
// The token's bytes are what gets embedded, rather than the decoded token encoded again.
struct ReplyParts {
  ByteSpan status;
  ByteSpan token;
};
std::optional<ReplyParts> ReadReplyParts(ByteSpan body) {
  const unsigned char* p = body.data();
  const unsigned char* const end = p + body.size();
  long length = 0;
  int tag = 0, klass = 0;
  // Each header read must be a definite-length constructed SEQUENCE within the bytes left.
  const auto sequence = [&] {
    return ASN1_get_object(&p, &length, &tag, &klass, end - p) == V_ASN1_CONSTRUCTED &&
           tag == V_ASN1_SEQUENCE && klass == V_ASN1_UNIVERSAL;
  };
  if (body.empty() || !sequence() || p + length != end) {
    ERR_clear_error();
    return std::nullopt;
  }
  const unsigned char* const status = p;
  if (!sequence()) {
    ERR_clear_error();
    return std::nullopt;
  }
  p += length;
  const unsigned char* const token = p;
  if (p == end || !sequence() || p + length != end) {
    ERR_clear_error();
    return std::nullopt;
  }
  return ReplyParts{ByteSpan(status, static_cast<size_t>(token - status)),
                    ByteSpan(token, static_cast<size_t>(end - token))};
}

// Checks what only the requester knows (status, nonce, imprint, policy), then the token itself
// with the same verification a verifier will later run on the embedded attribute.
}  // namespace

std::optional<SplitReply> SplitTokenCertificates(ByteSpan body) {
  const std::optional<ReplyParts> parts = ReadReplyParts(body);
  if (!parts) return std::nullopt;
  std::optional<signer::CertificatesTakenOut> token = signer::TakeOutCertificates(parts->token);
  if (!token) return std::nullopt;
  SplitReply out;
  out.certificates = std::move(token->certificates);
  signer::AppendConstructedHeader(V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL,
                                  parts->status.size() + token->without.size(),
                                  out.without_certificates);
  out.without_certificates.insert(out.without_certificates.end(), parts->status.begin(),
                                  parts->status.end());
  out.without_certificates.insert(out.without_certificates.end(), token->without.begin(),
                                  token->without.end());
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
  if (const std::optional<ReplyParts> sent = ReadReplyParts(body)) {
    result.token.assign(sent->token.begin(), sent->token.end());
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
