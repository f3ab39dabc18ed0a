#include "localweb/local_site.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "errors/error.h"
#include "html/escape.h"
#include "spdlog/spdlog.h"

namespace taicho::localweb {
namespace {

constexpr char kLoopback[] = "127.0.0.1";
constexpr char kSecretParam[] = "khoa";

bool SameSecret(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The path to send the browser back to without the secret: only plain paths of this site (not
// "//host", which is another site's URL, nor anything that could break the header).
std::string SafePath(const std::string& path) {
  if (path.empty() || path[0] != '/' || (path.size() > 1 && path[1] == '/')) return "/";
  for (char c : path) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '.' && c != '-' &&
        c != '_') {
      return "/";
    }
  }
  return path;
}

std::string RefusedPage(std::string_view vi, std::string_view en) {
  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Từ chối / "
      "Refused</title></head><body><h1>Từ chối truy cập / Access refused</h1><p>",
      html::Escape(vi), "</p><p lang=\"en\">", html::Escape(en), "</p></body></html>");
}

}  // namespace

struct LocalSite::Impl {
  explicit Impl(const LocalSiteConfig& c) : config(c) {}

  // Which check, if any, refuses this request (before the secret).
  const char* RefusedBy(const httplib::Request& req) const;
  httplib::Server::HandlerResponse Guard(const httplib::Request& req, httplib::Response& res);
  std::string CookieName() const { return absl::StrCat("taicho_local_", port); }
  bool HasCookie(const httplib::Request& req) const;

  const LocalSiteConfig config;
  int wanted_port = 0;
  std::string secret;  // 64 hex digits
  httplib::Server server;
  int port = 0;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
};

const char* LocalSite::Impl::RefusedBy(const httplib::Request& req) const {
  const std::string host = req.get_header_value("Host");
  const std::string port_text = absl::StrCat(":", port);
  if (host != absl::StrCat(kLoopback, port_text) && host != absl::StrCat("localhost", port_text)) {
    return "host";
  }
  if (req.has_header("Sec-Fetch-Site")) {
    const std::string site = req.get_header_value("Sec-Fetch-Site");
    if (site != "same-origin" && site != "none") return "fetch-site";
  }
  if (req.method != "GET" && req.method != "HEAD") {
    const std::string origin = req.get_header_value("Origin");
    const bool own = origin == absl::StrCat("http://", kLoopback, port_text) ||
                     origin == absl::StrCat("http://localhost", port_text);
    // Under Referrer-Policy no-referrer a browser sends its own form POSTs with "Origin: null"
    // (Fetch serialises the origin as null); then Sec-Fetch-Site, which no page can set, must
    // vouch that it is same-origin. A browser that sends neither is refused.
    const bool vouched =
        origin == "null" && req.get_header_value("Sec-Fetch-Site") == "same-origin";
    if (!own && !vouched) return "origin";
  }
  return nullptr;
}

bool LocalSite::Impl::HasCookie(const httplib::Request& req) const {
  const std::string name = CookieName();
  const size_t count = req.get_header_value_count("Cookie");
  for (size_t i = 0; i < count; ++i) {
    for (absl::string_view pair : absl::StrSplit(req.get_header_value("Cookie", i), ';')) {
      pair = absl::StripAsciiWhitespace(pair);
      if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=") &&
          SameSecret(pair, secret)) {
        return true;
      }
    }
  }
  return false;
}

httplib::Server::HandlerResponse LocalSite::Impl::Guard(const httplib::Request& req,
                                                        httplib::Response& res) {
  using Outcome = httplib::Server::HandlerResponse;
  const char* refused = RefusedBy(req);
  if (!refused && req.has_param(kSecretParam)) {
    if (SameSecret(req.get_param_value(kSecretParam), secret) && req.method == "GET") {
      // The secret becomes the cookie and leaves the address bar (and the history).
      res.set_header("Set-Cookie", absl::StrCat(CookieName(), "=", secret,
                                                "; Path=/; HttpOnly; SameSite=Strict"));
      res.set_redirect(SafePath(req.path), 303);
      return Outcome::Handled;
    }
    refused = "secret";
  }
  if (!refused && !HasCookie(req)) refused = "secret";
  if (!refused) return Outcome::Unhandled;
  res.status = 403;
  res.set_header("X-Taicho-Refused", refused);
  res.set_content(
      RefusedPage("Trang này chỉ mở được từ đường dẫn mà chương trình trên máy này đã in ra, "
                  "trong cùng trình duyệt.",
                  "This page opens only from the link the program on this machine printed, in "
                  "the same browser."),
      "text/html; charset=utf-8");
  return Outcome::Handled;
}

LocalSite::LocalSite(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalSite::~LocalSite() { Stop(); }

httplib::Server& LocalSite::server() { return impl_->server; }
int LocalSite::port() const { return impl_->port; }
std::string LocalSite::origin() const { return absl::StrCat("http://", kLoopback, ":", port()); }

std::string LocalSite::OpeningUrl(std::string_view path) const {
  return absl::StrCat(origin(), std::string(path), "?", kSecretParam, "=", impl_->secret);
}

void LocalSite::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<LocalSite>> LocalSite::Make(const LocalSiteConfig& config) {
  absl::string_view rest = config.listen;
  int port = -1;
  if (!absl::ConsumePrefix(&rest, absl::StrCat(kLoopback, ":")) || !absl::SimpleAtoi(rest, &port) ||
      port < 0 || port > 65535) {
    return Error(ErrorCode::kConfigInvalid, "listen: 127.0.0.1:PORT only, not " + config.listen);
  }
  auto impl = std::make_unique<Impl>(config);
  impl->wanted_port = port;
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Error(ErrorCode::kCrypto, "no random bytes for the page's secret");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    impl->secret.push_back(kHex[b >> 4]);
    impl->secret.push_back(kHex[b & 15]);
  }
  OPENSSL_cleanse(bytes, sizeof bytes);

  httplib::Server& server = impl->server;
  server.set_default_headers({
      {"Content-Security-Policy", config.content_security_policy},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Content-Type-Options", "nosniff"},
      {"Cache-Control", "no-store"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  });
  server.set_payload_max_length(config.max_body_bytes);
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);
  server.set_tcp_nodelay(true);
  // cpp-httplib's default is SO_REUSEPORT, which lets another process of the same user bind the
  // same port and take some of the browser's connections (and with them the cookie).
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  Impl* raw = impl.get();
  server.set_pre_routing_handler(
      [raw](const httplib::Request& req, httplib::Response& res) { return raw->Guard(req, res); });
  server.set_exception_handler(
      [raw](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        spdlog::error("{}: a handler threw", raw->config.log_name);
        res.status = 500;
        res.set_content(RefusedPage("Lỗi trong chương trình.", "An error in the program."),
                        "text/html; charset=utf-8");
      });
  server.set_logger([raw](const httplib::Request& req, const httplib::Response& res) {
    // The path only: the query may hold the secret, a body a PIN.
    std::string path = req.path.substr(0, 200);
    for (char& c : path) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // one request, one line
    }
    spdlog::info("{}: {} {} status {}", raw->config.log_name, req.method, path, res.status);
  });
  return std::unique_ptr<LocalSite>(new LocalSite(std::move(impl)));
}

absl::Status LocalSite::Start() {
  Impl& impl = *impl_;
  if (impl.wanted_port == 0) {
    impl.port = impl.server.bind_to_any_port(kLoopback);
  } else if (impl.server.bind_to_port(kLoopback, impl.wanted_port)) {
    impl.port = impl.wanted_port;
  } else {
    impl.port = -1;
  }
  if (impl.port <= 0) return Error(ErrorCode::kIo, "cannot listen on " + impl.config.listen);
  Impl* raw = impl_.get();
  impl.thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->listen_returned = true;
  });
  // httplib's stop() does nothing until its loop runs: Stop right after Start would then wait
  // forever. The loop sets is_running first thing, so this wait is short.
  while (!impl.server.is_running() && !impl.listen_returned) std::this_thread::yield();
  return absl::OkStatus();
}

}  // namespace taicho::localweb
