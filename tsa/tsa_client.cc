#include "tsa/tsa_client.h"

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "signer/openssl_ptr.h"

namespace taicho::tsa {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

using signer::ossl::Deleter;
using TsReqPtr = std::unique_ptr<TS_REQ, Deleter<TS_REQ_free>>;
using TsRespPtr = std::unique_ptr<TS_RESP, Deleter<TS_RESP_free>>;
using TsImprintPtr = std::unique_ptr<TS_MSG_IMPRINT, Deleter<TS_MSG_IMPRINT_free>>;
using signer::ossl::AlgorPtr;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT_free>>;
using signer::ossl::Asn1IntegerPtr;
using signer::ossl::BioPtr;
using signer::ossl::BnPtr;
using signer::ossl::X509Ptr;
using CurlPtr = std::unique_ptr<CURL, Deleter<curl_easy_cleanup>>;
using CurlListPtr = std::unique_ptr<curl_slist, Deleter<curl_slist_free_all>>;

// curl_global_init is not thread-safe and must run before any other curl call in the process.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Requests in flight per URL, for the whole process: a TSA that is slow under load (the
// government TSA has been seen taking minutes) should not be sent every signing at once. Each
// caller honours its own cap on the shared count.
class InFlightLimiter {
 public:
  static InFlightLimiter& Get() {
    static auto* limiter = new InFlightLimiter;  // never destroyed: used from any thread at exit
    return *limiter;
  }

  // False when no slot was free before `until`.
  bool Acquire(const std::string& url, int cap, Clock::time_point until) {
    std::unique_lock lock(mu_);
    const bool got = freed_.wait_until(lock, until, [&] { return in_flight_[url] < cap; });
    if (got) ++in_flight_[url];
    return got;
  }

  void Release(const std::string& url) {
    {
      std::lock_guard lock(mu_);
      if (--in_flight_[url] == 0) in_flight_.erase(url);
    }
    freed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable freed_;
  std::map<std::string, int> in_flight_;
};

class Slot {
 public:
  Slot(const std::string& url, int cap, Clock::time_point until)
      : url_(url), held_(InFlightLimiter::Get().Acquire(url, cap, until)) {}
  ~Slot() {
    if (held_) InFlightLimiter::Get().Release(url_);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool held() const { return held_; }

 private:
  std::string url_;
  bool held_;
};

struct Request {
  Bytes der;
  Bytes digest;  // SHA-256 of the data
  Asn1IntegerPtr nonce;
};

absl::StatusOr<Request> BuildRequest(ByteSpan data, const std::string& policy_oid) {
  Request out;
  out.digest.resize(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "SHA-256 failed");
  }
  out.digest.resize(len);
  // A random 64-bit nonce ties the reply to this request (RFC 3161 §2.4.1: no replayed reply).
  unsigned char random[8];
  if (RAND_bytes(random, sizeof random) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "RAND_bytes failed");
  }
  random[0] |= 0x01;  // never zero, whatever the rest
  BnPtr bn(BN_bin2bn(random, sizeof random, nullptr));
  if (bn) out.nonce.reset(BN_to_ASN1_INTEGER(bn.get(), nullptr));

  TsReqPtr req(TS_REQ_new());
  TsImprintPtr imprint(TS_MSG_IMPRINT_new());
  AlgorPtr algo(X509_ALGOR_new());
  bool ok = req && imprint && algo && out.nonce && TS_REQ_set_version(req.get(), 1) == 1;
  if (ok) X509_ALGOR_set_md(algo.get(), EVP_sha256());
  // The setters copy their argument.
  ok = ok && TS_MSG_IMPRINT_set_algo(imprint.get(), algo.get()) == 1 &&
       TS_MSG_IMPRINT_set_msg(imprint.get(), out.digest.data(),
                              static_cast<int>(out.digest.size())) == 1 &&
       TS_REQ_set_msg_imprint(req.get(), imprint.get()) == 1 &&
       TS_REQ_set_nonce(req.get(), out.nonce.get()) == 1 && TS_REQ_set_cert_req(req.get(), 1) == 1;
  if (ok && !policy_oid.empty()) {
    Asn1ObjectPtr policy(OBJ_txt2obj(policy_oid.c_str(), 1));
    ok = policy && TS_REQ_set_policy_id(req.get(), policy.get()) == 1;
  }
  if (ok) {
    unsigned char* der = nullptr;
    const int der_len = i2d_TS_REQ(req.get(), &der);
    if (der_len > 0) {
      out.der.assign(der, der + der_len);
      OPENSSL_free(der);
    }
  }
  if (out.der.empty()) {
    ERR_clear_error();
    return Error(ErrorCode::kCrypto, "cannot build the time-stamp request");
  }
  return out;
}

enum class Failure {
  kTransient,    // connection, timeout, HTTP 5xx/408/429, no free slot: worth another attempt
  kUnavailable,  // an HTTP answer that is not a reply (e.g. 404): next TSA
  kRejected,     // the TSA answered and refused (PKIStatus)
  kInvalid,      // a reply that does not verify: next TSA, never trusted
};

struct AttemptResult {
  std::optional<Failure> failure;  // unset: success
  std::string reason;
  Bytes token;
  signer::TimeStampInfo info;
};

AttemptResult Fail(Failure failure, std::string reason) {
  AttemptResult r;
  r.failure = failure;
  r.reason = std::move(reason);
  return r;
}

struct HttpReply {
  CURLcode code = CURLE_OK;
  long status = 0;
  Bytes body;
  bool too_large = false;
  std::string error;
};

struct Sink {
  Bytes* body;
  size_t cap;
  bool* too_large;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body->size() + n > sink->cap) {
    *sink->too_large = true;
    return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
  }
  sink->body->insert(sink->body->end(), data, data + n);
  return n;
}

HttpReply Post(const std::string& url, const Bytes& body, milliseconds connect_timeout,
               milliseconds timeout, size_t max_bytes) {
  HttpReply reply;
  CurlPtr curl(curl_easy_init());
  CurlListPtr headers(curl_slist_append(nullptr, "Content-Type: application/timestamp-query"));
  if (headers) {
    curl_slist* more = curl_slist_append(headers.get(), "Accept: application/timestamp-reply");
    // No "Expect: 100-continue" round trip: the request is a few dozen bytes.
    if (more) more = curl_slist_append(more, "Expect:");
    if (!more) headers.reset();
  }
  if (!curl || !headers) {
    reply.code = CURLE_OUT_OF_MEMORY;
    reply.error = "curl initialisation failed";
    return reply;
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  Sink sink{&reply.body, max_bytes, &reply.too_large};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: required with threads
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "taicho-tsa/1");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  reply.code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  if (reply.code != CURLE_OK) {
    reply.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(reply.code);
  }
  return reply;
}

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

// Checks what only the requester knows (status, nonce, imprint, policy), then the token itself
// with the same verification a verifier will later run on the embedded attribute.
AttemptResult CheckReply(const HttpReply& http, const Request& request, ByteSpan data,
                         const TsaPolicy& policy) {
  const unsigned char* p = http.body.data();
  TsRespPtr resp;
  if (!http.body.empty()) {
    resp.reset(d2i_TS_RESP(nullptr, &p, static_cast<long>(http.body.size())));
  }
  if (!resp || p != http.body.data() + http.body.size()) {
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
  unsigned char* der = nullptr;
  const int len = i2d_PKCS7(token, &der);
  if (len <= 0) {
    ERR_clear_error();
    return Fail(Failure::kInvalid, "the token cannot be encoded");
  }
  result.token.assign(der, der + len);
  OPENSSL_free(der);
  absl::StatusOr<signer::TimeStampInfo> info =
      signer::VerifyTimeStampToken(result.token, data, policy.trust);
  if (!info.ok()) return Fail(Failure::kInvalid, std::string(info.status().message()));
  result.info = std::move(*info);
  return result;
}

AttemptResult Attempt(const std::string& url, const Request& request, ByteSpan data,
                      const TsaPolicy& policy, Clock::time_point until) {
  Slot slot(url, policy.max_in_flight_per_tsa, until);
  if (!slot.held()) {
    return Fail(Failure::kTransient, absl::StrCat("no free slot (", policy.max_in_flight_per_tsa,
                                                  " requests in flight) before the time-out"));
  }
  const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
  if (left.count() <= 0) return Fail(Failure::kTransient, "no time left after waiting for a slot");
  HttpReply http = Post(url, request.der, std::min(policy.connect_timeout, left), left,
                        policy.max_response_bytes);
  if (http.too_large || http.code == CURLE_FILESIZE_EXCEEDED) {
    return Fail(Failure::kInvalid,
                absl::StrCat("the reply exceeds ", policy.max_response_bytes, " bytes"));
  }
  if (http.code != CURLE_OK) return Fail(Failure::kTransient, http.error);
  if (http.status != 200) {
    const bool transient = http.status >= 500 || http.status == 408 || http.status == 429;
    return Fail(transient ? Failure::kTransient : Failure::kUnavailable,
                absl::StrCat("HTTP ", http.status));
  }
  return CheckReply(http, request, data, policy);
}

bool IsHttpUrl(const std::string& url) {
  const std::string lower = absl::AsciiStrToLower(url);
  return (absl::StartsWith(lower, "http://") && lower.size() > 7) ||
         (absl::StartsWith(lower, "https://") && lower.size() > 8);
}

bool PemHasCertificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  return cert != nullptr;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string out(url.substr(0, url.find_first_of("?#")));
  const size_t scheme = out.find("://");
  const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t path = out.find('/', host);
  const size_t at = out.rfind('@', path == std::string::npos ? out.size() : path);
  if (at != std::string::npos && at >= host) out.erase(host, at + 1 - host);
  return out;
}

absl::StatusOr<TsaClient> TsaClient::Create(TsaPolicy policy) {
  if (policy.urls.empty()) return Error(ErrorCode::kUsage, "no TSA URL");
  for (const std::string& url : policy.urls) {
    if (!IsHttpUrl(url)) {
      return Error(ErrorCode::kUsage, absl::StrCat("not an http(s) TSA URL: ", RedactUrl(url)));
    }
  }
  if (policy.connect_timeout.count() <= 0 || policy.attempt_timeout.count() <= 0 ||
      policy.overall_timeout.count() < 0 || policy.first_backoff.count() < 0 ||
      policy.max_backoff.count() < 0) {
    return Error(ErrorCode::kUsage, "TSA time-outs must be positive and back-offs not negative");
  }
  if (policy.attempts_per_tsa < 1 || policy.max_in_flight_per_tsa < 1) {
    return Error(ErrorCode::kUsage, "TSA attempts and the in-flight cap must be at least 1");
  }
  if (policy.max_response_bytes < 1024) {
    return Error(ErrorCode::kUsage, "the TSA reply size cap is below 1 KB");
  }
  if (!PemHasCertificate(policy.trust.trust_anchors_pem)) {
    return Error(ErrorCode::kUsage, "no readable trust anchor for the TSA certificates");
  }
  if (!policy.policy_oid.empty()) {
    Asn1ObjectPtr oid(OBJ_txt2obj(policy.policy_oid.c_str(), 1));
    ERR_clear_error();
    if (!oid) return Error(ErrorCode::kUsage, "the TSA policy is not a dotted OID");
  }
  InitCurlOnce();
  return TsaClient(std::move(policy));
}

absl::StatusOr<TimeStampOutcome> TsaClient::TimeStamp(ByteSpan data) const {
  if (data.empty()) return Error(ErrorCode::kUsage, "nothing to time-stamp");
  const Clock::time_point start = Clock::now();
  // No overall bound: a deadline that never comes (keeps the arithmetic below uniform).
  const Clock::time_point deadline = policy_.overall_timeout.count() > 0
                                         ? start + policy_.overall_timeout
                                         : Clock::time_point::max();
  TimeStampOutcome outcome;
  bool any_invalid = false, any_rejected = false, out_of_time = false;
  for (const std::string& url : policy_.urls) {
    const std::string shown = RedactUrl(url);
    milliseconds backoff = policy_.first_backoff;
    for (int attempt = 1; attempt <= policy_.attempts_per_tsa && !out_of_time; ++attempt) {
      const Clock::time_point now = Clock::now();
      const Clock::time_point until =
          now + std::min(deadline - now, Clock::duration(policy_.attempt_timeout));
      if (until - now < milliseconds(1)) {  // curl's time-outs are in whole milliseconds
        out_of_time = true;
        break;
      }
      // A fresh nonce per attempt: a late reply to an earlier attempt is never accepted.
      absl::StatusOr<Request> request = BuildRequest(data, policy_.policy_oid);
      if (!request.ok()) return request.status();
      AttemptResult result = Attempt(url, *request, data, policy_, until);
      if (!result.failure) {
        outcome.stamped = true;
        outcome.token = std::move(result.token);
        outcome.info = std::move(result.info);
        outcome.tsa_url = shown;
        return outcome;
      }
      outcome.problems.push_back(absl::StrCat(shown, " (attempt ", attempt, "/",
                                              policy_.attempts_per_tsa, "): ", result.reason));
      any_invalid |= *result.failure == Failure::kInvalid;
      any_rejected |= *result.failure == Failure::kRejected;
      if (*result.failure != Failure::kTransient) break;  // asking again would get the same
      if (attempt < policy_.attempts_per_tsa) {
        const milliseconds wait =
            std::min(backoff, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
        if (wait.count() > 0) std::this_thread::sleep_for(wait);
        backoff = std::min(backoff * 2, policy_.max_backoff);
      }
    }
    if (out_of_time) break;
  }
  if (out_of_time) outcome.problems.push_back("overall TSA time-out reached");
  if (policy_.when_unavailable == WhenUnavailable::kFallBackToBaseline) return outcome;
  const ErrorCode code = any_invalid    ? ErrorCode::kTsaResponseInvalid
                         : any_rejected ? ErrorCode::kTsaRejected
                                        : ErrorCode::kTsaUnavailable;
  return Error(code, absl::StrJoin(outcome.problems, "; "));
}

}  // namespace taicho::tsa
