#include "revocation/revocation_client.h"

#include <curl/curl.h>
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
#include "signer/openssl_ptr.h"
#include "tsa/tsa_client.h"

namespace taicho::revocation {
namespace {

using signer::ossl::Deleter;
using CertIdPtr = signer::ossl::OcspCertIdPtr;
using OcspReqPtr = signer::ossl::OcspRequestPtr;
using CurlPtr = std::unique_ptr<CURL, Deleter<curl_easy_cleanup>>;
using CurlListPtr = std::unique_ptr<curl_slist, Deleter<curl_slist_free_all>>;

// An OCSP GET URL must stay short (RFC 5019 §5: 255 bytes); longer requests are POSTed.
constexpr size_t kMaxGetUrl = 255;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
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

}  // namespace

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
  for (const auto& [from, to] : policy_.url_rewrites) {
    if (absl::StartsWith(url, from)) return to + url.substr(from.size());
  }
  return url;
}

absl::StatusOr<StatusAnswer> RevocationClient::FromOcsp(ByteSpan cert_der, ByteSpan issuer_der,
                                                        int64_t at,
                                                        std::vector<std::string>& problems) const {
  absl::StatusOr<Bytes> id_der = OcspCertId(cert_der, issuer_der);
  if (!id_der.ok()) return id_der.status();
  const std::string key = "ocsp:" + Hex(id_der->data(), id_der->size());
  const int64_t skew = policy_.clock_skew.count();
  auto evaluate = [&](ByteSpan der) {
    return StatusFromOcsp(der, cert_der, issuer_der, at, Now(), Freshness{Now(), skew});
  };

  if (cache_ != nullptr) {
    if (std::optional<Bytes> hit = cache_->Get(key, Now())) {
      absl::StatusOr<StatusAnswer> a = evaluate(*hit);
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
  const unsigned char* id_p = id_der->data();
  CertIdPtr req_id(d2i_OCSP_CERTID(nullptr, &id_p, static_cast<long>(id_der->size())));
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
      absl::StatusOr<StatusAnswer> a = evaluate(reply.body);
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
  const Freshness fresh{Now(), policy_.clock_skew.count()};
  const std::vector<std::string> urls = CrlUrls(cert_der);
  if (urls.empty()) problems.push_back("the certificate names no CRL distribution point");
  for (const std::string& named : urls) {
    const std::string url = Rewrite(named);
    const std::string shown = tsa::RedactUrl(url);
    const std::string key = "crl:" + named;
    if (cache_ != nullptr) {
      if (std::optional<Bytes> hit = cache_->Get(key, Now())) {
        absl::StatusOr<StatusAnswer> a = StatusFromCrl(*hit, cert_der, issuer_der, at, fresh);
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
    absl::StatusOr<StatusAnswer> a = StatusFromCrl(reply.body, cert_der, issuer_der, at, fresh);
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
  if (absl::StatusOr<Bytes> id = OcspCertId(cert, issuer); !id.ok()) return id.status();
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

}  // namespace taicho::revocation
