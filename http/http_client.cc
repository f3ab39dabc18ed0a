#include "http/http_client.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace taicho::http {
namespace {

// libcurl, opened on the first exchange rather than linked: it and the ~20 libraries it maps
// (GnuTLS-free OpenSSL flavour, nghttp2, libssh2, LDAP, Kerberos…) cost ~7 ms of every start of
// the programs that link http/ (taicho-local signs and renders without ever fetching). The
// header still gives the exact signatures; the soname is libcurl's stable ABI since 2006.
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_reset) easy_reset = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  std::string error;  // why libcurl is unusable; empty when every entry point was found
};

template <typename F>
bool Bind(void* library, const char* name, F& entry) {
  entry = reinterpret_cast<F>(dlsym(library, name));
  return entry != nullptr;
}

// Opens libcurl and runs curl_global_init once per process (curl_global_init is not
// thread-safe and must run before any other curl call); the library is never closed. Thread-safe.
const CurlApi& Curl() {
  static const CurlApi* const api = [] {
    auto* a = new CurlApi;
    void* library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = dlerror();
      a->error = absl::StrCat("cannot load libcurl: ", why ? why : "libcurl.so.4 not found");
      return a;
    }
    const bool bound = Bind(library, "curl_global_init", a->global_init) &&
                       Bind(library, "curl_easy_init", a->easy_init) &&
                       Bind(library, "curl_easy_cleanup", a->easy_cleanup) &&
                       Bind(library, "curl_easy_reset", a->easy_reset) &&
                       Bind(library, "curl_easy_setopt", a->easy_setopt) &&
                       Bind(library, "curl_easy_perform", a->easy_perform) &&
                       Bind(library, "curl_easy_getinfo", a->easy_getinfo) &&
                       Bind(library, "curl_easy_strerror", a->easy_strerror) &&
                       Bind(library, "curl_slist_append", a->slist_append) &&
                       Bind(library, "curl_slist_free_all", a->slist_free_all);
    if (!bound) {
      a->error = "cannot load libcurl: an entry point is missing from libcurl.so.4";
    } else if (a->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      a->error = "curl initialisation failed";
    }
    return a;
  }();
  return *api;
}

struct CurlDeleter {
  void operator()(CURL* c) const { Curl().easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { Curl().slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlListPtr = std::unique_ptr<curl_slist, SlistDeleter>;

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

// The handle an exchange uses: its own, or one borrowed from the caller's Connections and given
// back (with its open connection) when the exchange ends.
class BorrowedHandle {
 public:
  explicit BorrowedHandle(Connections* pool) : pool_(pool) {
    if (pool_ != nullptr) {
      handle_ = static_cast<CURL*>(pool_->Borrow());
    } else {
      own_.reset(Curl().easy_init());
      handle_ = own_.get();
    }
  }
  ~BorrowedHandle() {
    if (pool_ != nullptr && handle_ != nullptr) pool_->GiveBack(handle_);
  }
  BorrowedHandle(const BorrowedHandle&) = delete;
  BorrowedHandle& operator=(const BorrowedHandle&) = delete;
  CURL* get() const { return handle_; }

 private:
  Connections* pool_;
  CurlPtr own_;
  CURL* handle_ = nullptr;
};

Connections::~Connections() {
  for (void* handle : idle_) Curl().easy_cleanup(static_cast<CURL*>(handle));
}

void* Connections::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return Curl().easy_init();
}

void Connections::GiveBack(void* handle) {
  // Its options point into the finished exchange (buffers, headers): reset now, so an idle
  // handle refers to nothing. Its connections, caches and DNS entries stay.
  Curl().easy_reset(static_cast<CURL*>(handle));
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(handle);
      return;
    }
  }
  Curl().easy_cleanup(static_cast<CURL*>(handle));
}

Reply Fetch(const Request& request) {
  Reply reply;
  const CurlApi& api = Curl();
  if (!api.error.empty()) {
    reply.error = api.error;
    return reply;
  }
  BorrowedHandle curl(request.connections);
  CurlListPtr headers;
  bool headers_ok = true;
  // No "Expect: 100-continue" round trip: PKI requests are small.
  std::vector<std::string> lines = request.headers;
  if (request.post != nullptr) lines.push_back("Expect:");
  for (const std::string& line : lines) {
    curl_slist* more = api.slist_append(headers.get(), line.c_str());
    if (more == nullptr) {
      headers_ok = false;
      break;
    }
    if (!headers) headers.reset(more);  // the first node; later appends return the same head
  }
  if (curl.get() == nullptr || !headers_ok) {
    reply.error = "curl initialisation failed";
    return reply;
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  Sink sink{&reply.body, request.max_reply_bytes, &reply.too_large};
  CURL* c = curl.get();
  api.easy_setopt(c, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: required with threads
  if (request.post != nullptr) {
    api.easy_setopt(c, CURLOPT_POST, 1L);
    api.easy_setopt(c, CURLOPT_POSTFIELDS, request.post->data());
    api.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.post->size()));
  }
  if (headers) api.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (!request.user_agent.empty()) {
    api.easy_setopt(c, CURLOPT_USERAGENT, request.user_agent.c_str());
  }
  api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  api.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  api.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_reply_bytes));
  api.easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  api.easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  api.easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode code = api.easy_perform(c);
  api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  if (code == CURLE_FILESIZE_EXCEEDED) reply.too_large = true;  // told by Content-Length
  reply.completed = code == CURLE_OK;
  if (code != CURLE_OK) {
    reply.error = error_buffer[0] != '\0' ? error_buffer : api.easy_strerror(code);
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
