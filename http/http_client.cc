#include "http/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace taicho::http {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlListPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// curl_global_init is not thread-safe and must run before any other curl call in the process.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

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

}  // namespace

Reply Fetch(const Request& request) {
  InitCurlOnce();
  Reply reply;
  CurlPtr curl(curl_easy_init());
  CurlListPtr headers;
  bool headers_ok = true;
  // No "Expect: 100-continue" round trip: PKI requests are small.
  std::vector<std::string> lines = request.headers;
  if (request.post != nullptr) lines.push_back("Expect:");
  for (const std::string& line : lines) {
    curl_slist* more = curl_slist_append(headers.get(), line.c_str());
    if (more == nullptr) {
      headers_ok = false;
      break;
    }
    if (!headers) headers.reset(more);  // the first node; later appends return the same head
  }
  if (!curl || !headers_ok) {
    reply.error = "curl initialisation failed";
    return reply;
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  Sink sink{&reply.body, request.max_reply_bytes, &reply.too_large};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: required with threads
  if (request.post != nullptr) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.post->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.post->size()));
  }
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (!request.user_agent.empty()) {
    curl_easy_setopt(c, CURLOPT_USERAGENT, request.user_agent.c_str());
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_reply_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  if (code == CURLE_FILESIZE_EXCEEDED) reply.too_large = true;  // told by Content-Length
  reply.completed = code == CURLE_OK;
  if (code != CURLE_OK) {
    reply.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  } else if (reply.status != 200) {
    reply.error = absl::StrCat("HTTP ", reply.status);
  }
  return reply;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url.substr(0, url.find_first_of("?#")));
  const size_t scheme = out.find("://");
  const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t path = out.find('/', host);
  const size_t at = out.rfind('@', path == std::string::npos ? out.size() : path);
  if (at != std::string::npos && at >= host) out.erase(host, at + 1 - host);
  return out;
}

bool IsHttpUrl(std::string_view url) {
  const std::string lower = absl::AsciiStrToLower(std::string(url));
  return (absl::StartsWith(lower, "http://") && lower.size() > 7) ||
         (absl::StartsWith(lower, "https://") && lower.size() > 8);
}

std::string RewriteUrl(const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& rewrites) {
  for (const auto& [from, to] : rewrites) {
    if (absl::StartsWith(url, from)) return to + url.substr(from.size());
  }
  return url;
}

}  // namespace taicho::http
