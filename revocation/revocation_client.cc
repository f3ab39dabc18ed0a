#include "revocation/revocation_client.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "http/http_client.h"
#include "signer/openssl_ptr.h"

namespace taicho::revocation {
namespace {

using CertIdPtr = signer::ossl::OcspCertIdPtr;
using OcspReqPtr = signer::ossl::OcspRequestPtr;

// An OCSP GET URL must stay short (RFC 5019 §5: 255 bytes); longer requests are POSTed.
constexpr size_t kMaxGetUrl = 255;

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

// GET when `post_body` is null, else POST it as an OCSP request.
http::Reply Fetch(const std::string& url, const Bytes* post_body, const RevocationPolicy& policy) {
  http::Request request;
  request.url = url;
  request.post = post_body;
  if (post_body != nullptr) request.headers = {"Content-Type: application/ocsp-request"};
  request.user_agent = "taicho-revocation/1";
  request.connect_timeout = policy.connect_timeout;
  request.timeout = policy.timeout;
  request.max_reply_bytes = policy.max_response_bytes;
  return http::Fetch(request);
}

}  // namespace

// --- cache ---------------------------------------------------------------------------------

std::optional<RevocationCache::Entry> RevocationCache::FindLocked(const std::string& key,
                                                                  int64_t now) {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    bytes_ -= it->second.answer.evidence.size();
    lru_.erase(it->second.lru);
    map_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second;
}

std::optional<Bytes> RevocationCache::Get(const std::string& key, int64_t now) {
  std::lock_guard lock(mu_);
  std::optional<Entry> entry = FindLocked(key, now);
  if (!entry) return std::nullopt;
  return std::move(entry->answer.evidence);
}

std::optional<StatusAnswer> RevocationCache::GetAnswer(const std::string& key, int64_t now) {
  std::lock_guard lock(mu_);
  std::optional<Entry> entry = FindLocked(key, now);
  if (!entry || !entry->verified) return std::nullopt;
  return std::move(entry->answer);
}

void RevocationCache::Put(const std::string& key, Bytes der, int64_t expires) {
  StatusAnswer answer;
  answer.evidence = std::move(der);
  PutEntry(key, std::move(answer), false, expires);
}

void RevocationCache::PutAnswer(const std::string& key, StatusAnswer answer, int64_t expires) {
  answer.problems.clear();  // this fetch's story, not the next caller's
  answer.from_cache = false;
  PutEntry(key, std::move(answer), true, expires);
}

void RevocationCache::PutEntry(const std::string& key, StatusAnswer answer, bool verified,
                               int64_t expires) {
  const size_t size = answer.evidence.size();
  if (size > max_bytes_ || max_entries_ == 0) return;
  std::lock_guard lock(mu_);
  if (auto it = map_.find(key); it != map_.end()) {
    bytes_ -= it->second.answer.evidence.size();
    lru_.erase(it->second.lru);
    map_.erase(it);
  }
  lru_.push_front(key);
  bytes_ += size;
  map_.emplace(key, Entry{std::move(answer), verified, expires, lru_.begin()});
  EvictLocked();
}

void RevocationCache::EvictLocked() {
  while (!lru_.empty() && (map_.size() > max_entries_ || bytes_ > max_bytes_)) {
    auto it = map_.find(lru_.back());
    bytes_ -= it->second.answer.evidence.size();
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

absl::StatusOr<RevocationPolicy> PolicyFromSettings(std::chrono::seconds timeout,
                                                    std::string ocsp_url_override,
                                                    const std::vector<std::string>& url_rewrites) {
  RevocationPolicy policy;
  policy.timeout = timeout;
  policy.ocsp_url_override = std::move(ocsp_url_override);
  for (const std::string& rewrite : url_rewrites) {
    const size_t eq = rewrite.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error(ErrorCode::kUsage, absl::StrCat("URL rewrite '", rewrite, "': use FROM=TO"));
    }
    policy.url_rewrites.emplace_back(rewrite.substr(0, eq), rewrite.substr(eq + 1));
  }
  return policy;
}

// --- client --------------------------------------------------------------------------------

std::string RevocationClient::Rewrite(const std::string& url) const {
  return http::RewriteUrl(url, policy_.url_rewrites);
}

absl::StatusOr<StatusAnswer> RevocationClient::FromOcsp(ByteSpan cert_der, ByteSpan issuer_der,
                                                        const Bytes& cert_id, int64_t at,
                                                        std::vector<std::string>& problems) const {
  const std::string key = "ocsp:" + Hex(cert_id.data(), cert_id.size());
  const int64_t skew = policy_.clock_skew.count();
  auto evaluate = [&](ByteSpan der) {
    return StatusFromOcsp(der, cert_der, issuer_der, at, Now(), Freshness{Now(), skew},
                          certificates());
  };

  if (cache_ != nullptr) {
    // Verified when fetched, fresh until it expires from the cache: only the time asked about
    // is judged again (a certificate revoked later was good before).
    if (std::optional<StatusAnswer> hit = cache_->GetAnswer(key, Now())) {
      if (hit->revocation_time != 0) {
        hit->status = hit->revocation_time > at ? CertStatus::kGood : CertStatus::kRevoked;
      }
      hit->from_cache = true;
      return *std::move(hit);
    }
  }

  std::vector<std::string> urls;
  if (!policy_.ocsp_url_override.empty()) {
    urls.push_back(policy_.ocsp_url_override);
  } else {
    for (const std::string& u : OcspUrls(cert_der, certificates())) urls.push_back(Rewrite(u));
  }
  if (urls.empty()) {
    problems.push_back("the certificate names no OCSP responder");
    return Error(ErrorCode::kRevocationUnavailable, "no OCSP responder");
  }

  OcspReqPtr req(OCSP_REQUEST_new());
  const unsigned char* id_p = cert_id.data();
  CertIdPtr req_id(d2i_OCSP_CERTID(nullptr, &id_p, static_cast<long>(cert_id.size())));
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
    const std::string shown = http::RedactUrl(url);
    std::string get_url = url;
    if (!absl::EndsWith(get_url, "/")) get_url.push_back('/');
    get_url += escaped;
    std::vector<std::pair<std::string, const Bytes*>> tries;
    if (get_url.size() <= kMaxGetUrl) tries.emplace_back(get_url, nullptr);
    tries.emplace_back(url, &req_der);
    for (const auto& [target, body] : tries) {
      const char* method = body ? "POST" : "GET";
      requests_.fetch_add(1);
      const http::Reply reply = Fetch(target, body, policy_);
      if (!reply.ok()) {
        problems.push_back(absl::StrCat("OCSP ", method, " ", shown, ": ", reply.error));
        if (!reply.completed && !reply.too_large) {
          break;  // unreachable: POST to the same place would fail the same way
        }
        continue;
      }
      absl::StatusOr<StatusAnswer> a = evaluate(reply.body);
      if (!a.ok()) {
        problems.push_back(absl::StrCat("OCSP ", method, " ", shown, ": ", a.status().message()));
        continue;
      }
      a->url = shown;
      if (cache_ != nullptr) {
        int64_t expires = a->next_update != 0 ? a->next_update : Now() + cache_->max_age_.count();
        if (a->signer_not_after != 0) expires = std::min(expires, a->signer_not_after);
        cache_->PutAnswer(key, *a, expires);
      }
      return a;
    }
  }
  return Error(ErrorCode::kRevocationUnavailable, absl::StrJoin(problems, "; "));
}

absl::StatusOr<StatusAnswer> RevocationClient::FromCrl(ByteSpan cert_der, ByteSpan issuer_der,
                                                       int64_t at,
                                                       std::vector<std::string>& problems) const {
  const Freshness fresh{Now(), policy_.clock_skew.count()};
  const std::vector<std::string> urls = CrlUrls(cert_der, certificates());
  if (urls.empty()) problems.push_back("the certificate names no CRL distribution point");
  for (const std::string& named : urls) {
    const std::string url = Rewrite(named);
    const std::string shown = http::RedactUrl(url);
    const std::string key = "crl:" + named;
    if (cache_ != nullptr) {
      if (std::optional<Bytes> hit = cache_->Get(key, Now())) {
        absl::StatusOr<StatusAnswer> a =
            StatusFromCrl(*hit, cert_der, issuer_der, at, fresh, certificates());
        if (a.ok()) {
          a->from_cache = true;
          a->url = shown;
          return a;
        }
      }
    }
    requests_.fetch_add(1);
    const http::Reply reply = Fetch(url, nullptr, policy_);
    if (!reply.ok()) {
      problems.push_back(absl::StrCat("CRL ", shown, ": ", reply.error));
      continue;
    }
    absl::StatusOr<StatusAnswer> a =
        StatusFromCrl(reply.body, cert_der, issuer_der, at, fresh, certificates());
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
  // Unparsable input is the caller's error, not an unavailable service.
  absl::StatusOr<Bytes> id = OcspCertId(cert, issuer, certificates());
  if (!id.ok()) return id.status();
  std::vector<std::string> problems;
  if (policy_.use_ocsp) {
    // A verified OCSP answer is final, "unknown" included: a certificate the CA's own responder
    // does not know is not made good by its absence from a CRL.
    absl::StatusOr<StatusAnswer> a = FromOcsp(cert, issuer, *id, at, problems);
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

}  // namespace taicho::revocation
