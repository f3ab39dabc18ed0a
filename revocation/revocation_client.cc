#include "revocation/revocation_client.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "signer/openssl_ptr.h"
#include "tsa/tsa_client.h"

namespace taicho::revocation {
namespace {

using signer::ossl::Deleter;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using CertIdPtr = std::unique_ptr<OCSP_CERTID, Deleter<OCSP_CERTID_free>>;
using OcspReqPtr = std::unique_ptr<OCSP_REQUEST, Deleter<OCSP_REQUEST_free>>;
using OcspRespPtr = std::unique_ptr<OCSP_RESPONSE, Deleter<OCSP_RESPONSE_free>>;
using BasicRespPtr = std::unique_ptr<OCSP_BASICRESP, Deleter<OCSP_BASICRESP_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using CurlPtr = std::unique_ptr<CURL, Deleter<curl_easy_cleanup>>;
using CurlListPtr = std::unique_ptr<curl_slist, Deleter<curl_slist_free_all>>;
using EnumPtr = std::unique_ptr<ASN1_ENUMERATED, Deleter<ASN1_ENUMERATED_free>>;
using DistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, Deleter<CRL_DIST_POINTS_free>>;
void FreeStringStack(STACK_OF(OPENSSL_STRING) * sk) { X509_email_free(sk); }
using StringStackPtr = std::unique_ptr<STACK_OF(OPENSSL_STRING), Deleter<FreeStringStack>>;
void FreeX509StackShallow(STACK_OF(X509) * sk) { sk_X509_free(sk); }
using X509StackView = std::unique_ptr<STACK_OF(X509), Deleter<FreeX509StackShallow>>;

// An OCSP GET URL must stay short (RFC 5019 §5: 255 bytes); longer requests are POSTed.
constexpr size_t kMaxGetUrl = 255;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

X509Ptr ParseCert(ByteSpan der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) ERR_clear_error();
  return cert;
}

int64_t ToUnix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

std::string ReasonText(int reason) { return reason >= 0 ? OCSP_crl_reason_str(reason) : ""; }

// SHA-1 in the CertID is an identifier, not a security function: it is what RFC 5019 §2.1.1
// prescribes and what every responder answers to.
CertIdPtr MakeCertId(X509* cert, X509* issuer) {
  return CertIdPtr(OCSP_cert_to_id(EVP_sha1(), cert, issuer));
}

struct HttpReply {
  CURLcode code = CURLE_OK;
  long status = 0;
  Bytes body;
  std::string error;
};

struct Sink {
  Bytes* body;
  size_t cap;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body->size() + n > sink->cap) return 0;  // aborts the transfer
  sink->body->insert(sink->body->end(), data, data + n);
  return n;
}

// GET when `post_body` is null, else POST it as an OCSP request.
HttpReply Fetch(const std::string& url, const Bytes* post_body, const RevocationPolicy& policy) {
  InitCurlOnce();
  HttpReply reply;
  CurlPtr curl(curl_easy_init());
  CurlListPtr headers(curl_slist_append(nullptr, "Content-Type: application/ocsp-request"));
  if (headers) headers.reset(curl_slist_append(headers.release(), "Expect:"));
  if (!curl || !headers) {
    reply.code = CURLE_OUT_OF_MEMORY;
    reply.error = "curl initialisation failed";
    return reply;
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  Sink sink{&reply.body, policy.max_response_bytes};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (post_body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  }
  curl_easy_setopt(c, CURLOPT_USERAGENT, "taicho-revocation/1");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(policy.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(policy.timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(policy.max_response_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  reply.code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  if (reply.code != CURLE_OK) {
    reply.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(reply.code);
  } else if (reply.status != 200) {
    reply.error = absl::StrCat("HTTP ", reply.status);
  }
  return reply;
}

bool FetchOk(const HttpReply& r) { return r.code == CURLE_OK && r.status == 200; }

// Verifies an OCSP response and answers for `id`. `fresh_at` < 0: no freshness check (stored
// evidence); else thisUpdate/nextUpdate must hold at that time within `skew`.
absl::StatusOr<StatusAnswer> EvaluateOcsp(ByteSpan der, X509* issuer, OCSP_CERTID* id, int64_t at,
                                          int64_t verify_time, int64_t fresh_at, int64_t skew) {
  const unsigned char* p = der.data();
  OcspRespPtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || p != der.data() + der.size()) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "not a DER OCSPResponse");
  }
  const int rs = OCSP_response_status(resp.get());
  if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return Error(ErrorCode::kRevocationUnavailable,
                 absl::StrCat("OCSP responseStatus ", OCSP_response_status_str(rs)));
  }
  BasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "no basic OCSP response");
  }
  // The issuer is the only trust anchor: the responder must be the CA itself or hold a
  // certificate from it with id-kp-OCSPSigning (OCSP_basic_verify checks both).
  StorePtr store(X509_STORE_new());
  X509StackView certs(sk_X509_new_null());
  if (!store || !certs || X509_STORE_add_cert(store.get(), issuer) != 1 ||
      sk_X509_push(certs.get(), issuer) <= 0) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot set up OCSP verification");
  }
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), static_cast<time_t>(verify_time));
  if (OCSP_basic_verify(basic.get(), certs.get(), store.get(), OCSP_PARTIAL_CHAIN) <= 0) {
    char buf[256] = {};
    ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable,
                 absl::StrCat("OCSP response signature or responder not authorised: ", buf));
  }
  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *revtime = nullptr, *thisupd = nullptr, *nextupd = nullptr;
  if (OCSP_resp_find_status(basic.get(), id, &status, &reason, &revtime, &thisupd, &nextupd) != 1) {
    return absl::NotFoundError("the OCSP response is about another certificate");
  }
  StatusAnswer answer;
  answer.kind = EvidenceKind::kOcsp;
  answer.this_update = ToUnix(thisupd);
  answer.next_update = nextupd ? ToUnix(nextupd) : 0;
  if (fresh_at >= 0) {
    if (answer.this_update > fresh_at + skew ||
        (answer.next_update != 0 && answer.next_update < fresh_at - skew)) {
      return Error(ErrorCode::kRevocationUnavailable, "the OCSP response is not fresh");
    }
  }
  if (status == V_OCSP_CERTSTATUS_GOOD) {
    answer.status = CertStatus::kGood;
  } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
    answer.revocation_time = ToUnix(revtime);
    answer.reason = reason;
    answer.reason_text = ReasonText(reason);
    answer.status = answer.revocation_time > at ? CertStatus::kGood : CertStatus::kRevoked;
  } else {
    answer.status = CertStatus::kUnknown;
  }
  answer.evidence.assign(der.begin(), der.end());
  return answer;
}

absl::StatusOr<StatusAnswer> EvaluateCrl(ByteSpan der, X509* cert, X509* issuer, int64_t at,
                                         int64_t fresh_at, int64_t skew) {
  const unsigned char* p = der.data();
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl || p != der.data() + der.size()) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "not a DER CRL");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer)) != 0 ||
      X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0) {
    return absl::NotFoundError("the CRL is another issuer's");
  }
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(issuer)) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kRevocationUnavailable, "the CRL signature does not verify");
  }
  StatusAnswer answer;
  answer.kind = EvidenceKind::kCrl;
  answer.this_update = ToUnix(X509_CRL_get0_lastUpdate(crl.get()));
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
  answer.next_update = next ? ToUnix(next) : 0;
  if (fresh_at >= 0 && (answer.this_update > fresh_at + skew ||
                        (answer.next_update != 0 && answer.next_update < fresh_at - skew))) {
    return Error(ErrorCode::kRevocationUnavailable, "the CRL is not fresh");
  }
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(crl.get(), &entry, cert) == 1 && entry != nullptr) {
    answer.revocation_time = ToUnix(X509_REVOKED_get0_revocationDate(entry));
    EnumPtr code(static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
    if (code) {
      answer.reason = static_cast<int>(ASN1_ENUMERATED_get(code.get()));
      answer.reason_text = ReasonText(answer.reason);
    }
    answer.status = answer.revocation_time > at ? CertStatus::kGood : CertStatus::kRevoked;
  } else {
    answer.status = CertStatus::kGood;
  }
  ERR_clear_error();
  answer.evidence.assign(der.begin(), der.end());
  return answer;
}

}  // namespace

std::string_view StatusName(CertStatus status) {
  switch (status) {
    case CertStatus::kGood:
      return "good";
    case CertStatus::kRevoked:
      return "revoked";
    case CertStatus::kUnknown:
      break;
  }
  return "unknown";
}

// --- cache ---------------------------------------------------------------------------------

std::optional<Bytes> RevocationCache::Get(const std::string& key, int64_t now) {
  std::lock_guard lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    bytes_ -= it->second.der.size();
    lru_.erase(it->second.lru);
    map_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.der;
}

void RevocationCache::Put(const std::string& key, Bytes der, int64_t expires) {
  if (der.size() > max_bytes_ || max_entries_ == 0) return;
  std::lock_guard lock(mu_);
  if (auto it = map_.find(key); it != map_.end()) {
    bytes_ -= it->second.der.size();
    lru_.erase(it->second.lru);
    map_.erase(it);
  }
  lru_.push_front(key);
  bytes_ += der.size();
  map_.emplace(key, Entry{std::move(der), expires, lru_.begin()});
  EvictLocked();
}

void RevocationCache::EvictLocked() {
  while (!lru_.empty() && (map_.size() > max_entries_ || bytes_ > max_bytes_)) {
    auto it = map_.find(lru_.back());
    bytes_ -= it->second.der.size();
    map_.erase(it);
    lru_.pop_back();
  }
}

size_t RevocationCache::entries() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

size_t RevocationCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

// --- URLs ----------------------------------------------------------------------------------

std::vector<std::string> OcspUrls(ByteSpan der) {
  std::vector<std::string> urls;
  X509Ptr cert = ParseCert(der);
  if (!cert) return urls;
  StringStackPtr list(X509_get1_ocsp(cert.get()));
  for (int i = 0; list && i < sk_OPENSSL_STRING_num(list.get()); ++i) {
    urls.emplace_back(sk_OPENSSL_STRING_value(list.get(), i));
  }
  return urls;
}

std::vector<std::string> CrlUrls(ByteSpan der) {
  std::vector<std::string> urls;
  X509Ptr cert = ParseCert(der);
  if (!cert) return urls;
  DistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr)));
  for (int i = 0; points && i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points.get(), i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;  // fullName only
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      std::string url(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
      if (absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://")) {
        urls.push_back(std::move(url));
      }
    }
  }
  ERR_clear_error();
  return urls;
}

std::vector<Bytes> OcspResponseCerts(ByteSpan der) {
  std::vector<Bytes> out;
  const unsigned char* p = der.data();
  OcspRespPtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  BasicRespPtr basic(resp ? OCSP_response_get1_basic(resp.get()) : nullptr);
  const STACK_OF(X509)* certs = basic ? OCSP_resp_get0_certs(basic.get()) : nullptr;
  for (int i = 0; certs && i < sk_X509_num(certs); ++i) {
    unsigned char* buf = nullptr;
    const int len = i2d_X509(sk_X509_value(certs, i), &buf);
    if (len > 0) out.emplace_back(buf, buf + len);
    OPENSSL_free(buf);
  }
  ERR_clear_error();
  return out;
}

// --- client --------------------------------------------------------------------------------

std::string RevocationClient::Rewrite(const std::string& url) const {
  for (const auto& [from, to] : policy_.url_rewrites) {
    if (absl::StartsWith(url, from)) return to + url.substr(from.size());
  }
  return url;
}

absl::StatusOr<StatusAnswer> RevocationClient::FromOcsp(ByteSpan cert_der, ByteSpan issuer_der,
                                                        int64_t at,
                                                        std::vector<std::string>& problems) const {
  X509Ptr cert = ParseCert(cert_der), issuer = ParseCert(issuer_der);
  CertIdPtr id = MakeCertId(cert.get(), issuer.get());
  if (!id) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot make the OCSP CertID");
  }
  unsigned char* id_der = nullptr;
  const int id_len = i2d_OCSP_CERTID(id.get(), &id_der);
  const std::string key = "ocsp:" + Hex(id_der, id_len > 0 ? static_cast<size_t>(id_len) : 0);
  OPENSSL_free(id_der);
  const int64_t skew = policy_.clock_skew.count();

  if (cache_ != nullptr) {
    if (std::optional<Bytes> hit = cache_->Get(key, Now())) {
      absl::StatusOr<StatusAnswer> a =
          EvaluateOcsp(*hit, issuer.get(), id.get(), at, Now(), Now(), skew);
      if (a.ok()) {
        a->from_cache = true;
        return a;
      }
    }
  }

  std::vector<std::string> urls;
  if (!policy_.ocsp_url_override.empty()) {
    urls.push_back(policy_.ocsp_url_override);
  } else {
    for (const std::string& u : OcspUrls(cert_der)) urls.push_back(Rewrite(u));
  }
  if (urls.empty()) {
    problems.push_back("the certificate names no OCSP responder");
    return Error(ErrorCode::kRevocationUnavailable, "no OCSP responder");
  }

  OcspReqPtr req(OCSP_REQUEST_new());
  CertIdPtr req_id(OCSP_CERTID_dup(id.get()));
  if (!req || !req_id || OCSP_request_add0_id(req.get(), req_id.get()) == nullptr) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot build the OCSP request");
  }
  req_id.release();  // owned by the request now
  Bytes req_der;
  {
    unsigned char* buf = nullptr;
    const int len = i2d_OCSP_REQUEST(req.get(), &buf);
    if (len <= 0) {
      ERR_clear_error();
      return Error(ErrorCode::kCrypto, "cannot encode the OCSP request");
    }
    req_der.assign(buf, buf + len);
    OPENSSL_free(buf);
  }
  // RFC 6960 Appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}.
  std::string b64(4 * ((req_der.size() + 2) / 3) + 1, '\0');
  b64.resize(
      static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                          req_der.data(), static_cast<int>(req_der.size()))));
  std::string escaped;
  for (char ch : b64) {
    if (ch == '+')
      escaped += "%2B";
    else if (ch == '/')
      escaped += "%2F";
    else if (ch == '=')
      escaped += "%3D";
    else
      escaped.push_back(ch);
  }

  for (const std::string& url : urls) {
    const std::string shown = tsa::RedactUrl(url);
    std::string get_url = url;
    if (!absl::EndsWith(get_url, "/")) get_url.push_back('/');
    get_url += escaped;
    std::vector<std::pair<std::string, const Bytes*>> tries;
    if (get_url.size() <= kMaxGetUrl) tries.emplace_back(get_url, nullptr);
    tries.emplace_back(url, &req_der);
    for (const auto& [target, body] : tries) {
      const char* method = body ? "POST" : "GET";
      requests_.fetch_add(1);
      HttpReply reply = Fetch(target, body, policy_);
      if (!FetchOk(reply)) {
        problems.push_back(absl::StrCat("OCSP ", method, " ", shown, ": ", reply.error));
        if (reply.code != CURLE_OK && reply.code != CURLE_WRITE_ERROR &&
            reply.code != CURLE_FILESIZE_EXCEEDED) {
          break;  // unreachable: POST to the same place would fail the same way
        }
        continue;
      }
      absl::StatusOr<StatusAnswer> a =
          EvaluateOcsp(reply.body, issuer.get(), id.get(), at, Now(), Now(), skew);
      if (!a.ok()) {
        problems.push_back(absl::StrCat("OCSP ", method, " ", shown, ": ", a.status().message()));
        continue;
      }
      a->url = shown;
      if (cache_ != nullptr) {
        const int64_t expires =
            a->next_update != 0 ? a->next_update : Now() + cache_->max_age_.count();
        cache_->Put(key, a->evidence, expires);
      }
      return a;
    }
  }
  return Error(ErrorCode::kRevocationUnavailable, absl::StrJoin(problems, "; "));
}

absl::StatusOr<StatusAnswer> RevocationClient::FromCrl(ByteSpan cert_der, ByteSpan issuer_der,
                                                       int64_t at,
                                                       std::vector<std::string>& problems) const {
  X509Ptr cert = ParseCert(cert_der), issuer = ParseCert(issuer_der);
  const int64_t skew = policy_.clock_skew.count();
  const std::vector<std::string> urls = CrlUrls(cert_der);
  if (urls.empty()) problems.push_back("the certificate names no CRL distribution point");
  for (const std::string& named : urls) {
    const std::string url = Rewrite(named);
    const std::string shown = tsa::RedactUrl(url);
    const std::string key = "crl:" + named;
    if (cache_ != nullptr) {
      if (std::optional<Bytes> hit = cache_->Get(key, Now())) {
        absl::StatusOr<StatusAnswer> a =
            EvaluateCrl(*hit, cert.get(), issuer.get(), at, Now(), skew);
        if (a.ok()) {
          a->from_cache = true;
          a->url = shown;
          return a;
        }
      }
    }
    requests_.fetch_add(1);
    HttpReply reply = Fetch(url, nullptr, policy_);
    if (!FetchOk(reply)) {
      problems.push_back(absl::StrCat("CRL ", shown, ": ", reply.error));
      continue;
    }
    absl::StatusOr<StatusAnswer> a =
        EvaluateCrl(reply.body, cert.get(), issuer.get(), at, Now(), skew);
    if (!a.ok()) {
      problems.push_back(absl::StrCat("CRL ", shown, ": ", a.status().message()));
      continue;
    }
    a->url = shown;
    if (cache_ != nullptr) {
      cache_->Put(key, a->evidence,
                  a->next_update != 0 ? a->next_update : Now() + cache_->max_age_.count());
    }
    return a;
  }
  return Error(ErrorCode::kRevocationUnavailable, absl::StrJoin(problems, "; "));
}

absl::StatusOr<StatusAnswer> RevocationClient::StatusAt(ByteSpan cert, ByteSpan issuer,
                                                        int64_t at) const {
  X509Ptr c = ParseCert(cert), i = ParseCert(issuer);
  if (!c || !i) return Error(ErrorCode::kCertificateInvalid, "unparsable certificate or issuer");
  std::vector<std::string> problems;
  if (policy_.use_ocsp) {
    // A verified OCSP answer is final, "unknown" included: a certificate the CA's own responder
    // does not know is not made good by its absence from a CRL.
    absl::StatusOr<StatusAnswer> a = FromOcsp(cert, issuer, at, problems);
    if (a.ok()) {
      a->problems = problems;
      return a;
    }
    if (!HasCode(a.status(), ErrorCode::kRevocationUnavailable)) return a.status();
  }
  if (policy_.use_crl) {
    absl::StatusOr<StatusAnswer> a = FromCrl(cert, issuer, at, problems);
    if (a.ok()) {
      a->problems = problems;
      return a;
    }
  }
  return Error(ErrorCode::kRevocationUnavailable, absl::StrJoin(problems, "; "));
}

absl::StatusOr<StatusAnswer> StatusFromOcsp(ByteSpan ocsp_der, ByteSpan cert, ByteSpan issuer,
                                            int64_t at, int64_t verify_time) {
  X509Ptr c = ParseCert(cert), i = ParseCert(issuer);
  if (!c || !i) return Error(ErrorCode::kCertificateInvalid, "unparsable certificate or issuer");
  CertIdPtr id = MakeCertId(c.get(), i.get());
  if (!id) return Error(ErrorCode::kCrypto, "cannot make the OCSP CertID");
  return EvaluateOcsp(ocsp_der, i.get(), id.get(), at, verify_time, -1, 0);
}

absl::StatusOr<StatusAnswer> StatusFromCrl(ByteSpan crl_der, ByteSpan cert, ByteSpan issuer,
                                           int64_t at) {
  X509Ptr c = ParseCert(cert), i = ParseCert(issuer);
  if (!c || !i) return Error(ErrorCode::kCertificateInvalid, "unparsable certificate or issuer");
  return EvaluateCrl(crl_der, c.get(), i.get(), at, -1, 0);
}

}  // namespace taicho::revocation
