#include "tsa/tsa_client.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
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

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "http/http_client.h"
#include "signer/openssl_ptr.h"
#include "tsa/tsa_reply.h"

namespace taicho::tsa {

using http::RedactUrl;

class InFlightLimiter {
 public:
  // False when no slot was free before `until`.
  bool Acquire(const std::string& url, int cap, std::chrono::steady_clock::time_point until) {
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

std::shared_ptr<InFlightLimiter> TsaClient::NewInFlightLimiter() {
  return std::make_shared<InFlightLimiter>();
}

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

using signer::ossl::Deleter;
using TsReqPtr = std::unique_ptr<TS_REQ, Deleter<TS_REQ_free>>;
using TsImprintPtr = std::unique_ptr<TS_MSG_IMPRINT, Deleter<TS_MSG_IMPRINT_free>>;
using signer::ossl::AlgorPtr;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT_free>>;
using signer::ossl::Asn1IntegerPtr;
using signer::ossl::BnPtr;

class Slot {
 public:
  Slot(InFlightLimiter& limiter, const std::string& url, int cap, Clock::time_point until)
      : limiter_(limiter), url_(url), held_(limiter.Acquire(url, cap, until)) {}
  ~Slot() {
    if (held_) limiter_.Release(url_);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool held() const { return held_; }

 private:
  InFlightLimiter& limiter_;
  std::string url_;
  bool held_;
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

AttemptResult Attempt(const std::string& url, const Request& request, ByteSpan data,
                      const TsaPolicy& policy, const signer::TimeStampAnchors& anchors,
                      http::Connections& connections, signer::CertificateCache& certificates,
                      Clock::time_point until) {
  Slot slot(*policy.in_flight, url, policy.max_in_flight_per_tsa, until);
  if (!slot.held()) {
    return Fail(Failure::kTransient, absl::StrCat("no free slot (", policy.max_in_flight_per_tsa,
                                                  " requests in flight) before the time-out"));
  }
  const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
  if (left.count() <= 0) return Fail(Failure::kTransient, "no time left after waiting for a slot");
  http::Request post;
  post.url = url;
  post.post = &request.der;
  post.headers = {"Content-Type: application/timestamp-query",
                  "Accept: application/timestamp-reply"};
  post.user_agent = "taicho-tsa/1";
  post.connect_timeout = std::min(policy.connect_timeout, left);
  post.timeout = left;
  post.max_reply_bytes = policy.max_response_bytes;
  post.connections = &connections;
  const http::Reply http = http::Fetch(post);
  if (http.too_large) {
    return Fail(Failure::kInvalid,
                absl::StrCat("the reply exceeds ", policy.max_response_bytes, " bytes"));
  }
  if (!http.completed) return Fail(Failure::kTransient, http.error);
  if (http.status != 200) {
    const bool transient = http.status >= 500 || http.status == 408 || http.status == 429;
    return Fail(transient ? Failure::kTransient : Failure::kUnavailable,
                absl::StrCat("HTTP ", http.status));
  }
  return CheckReply(http.body, request, data, policy, anchors, &certificates);
}

}  // namespace

absl::StatusOr<TsaClient> TsaClient::Create(TsaPolicy policy) {
  if (policy.urls.empty()) return Error(ErrorCode::kUsage, "no TSA URL");
  for (const std::string& url : policy.urls) {
    if (!http::IsHttpUrl(url)) {
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
  absl::StatusOr<std::shared_ptr<const signer::TimeStampAnchors>> anchors =
      signer::TimeStampAnchors::Parse(policy.trust);
  if (!anchors.ok()) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("the TSA certificates' trust: ", anchors.status().message()));
  }
  if (!policy.policy_oid.empty()) {
    Asn1ObjectPtr oid(OBJ_txt2obj(policy.policy_oid.c_str(), 1));
    ERR_clear_error();
    if (!oid) return Error(ErrorCode::kUsage, "the TSA policy is not a dotted OID");
  }
  if (!policy.in_flight) policy.in_flight = NewInFlightLimiter();
  return TsaClient(std::move(policy), *std::move(anchors));
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
      AttemptResult result =
          Attempt(url, *request, data, policy_, *anchors_, *connections_, *certificates_, until);
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
