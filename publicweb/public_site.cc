#include "publicweb/public_site.h"

#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "publicweb/client_address.h"
#include "publicweb/html.h"
#include "publicweb/rate_limiter.h"
#include "spdlog/spdlog.h"
#include "workflow/verification_code.h"

namespace taicho::publicweb {
namespace {

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The site's pages need only themselves: their own style sheet, forms posting to themselves.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

// A slot among the verifications computing at once; admitted() false when all are taken.
class VerificationSlot {
 public:
  VerificationSlot(std::atomic<int>& busy, int max) : busy_(busy) {
    admitted_ = busy_.fetch_add(1) < max;
  }
  ~VerificationSlot() { busy_.fetch_sub(1); }
  bool admitted() const { return admitted_; }

 private:
  std::atomic<int>& busy_;
  bool admitted_ = false;
};

}  // namespace

struct PublicSite::Impl {
  Impl(workflow::DocumentWorkflow& w, const PublicSiteConfig& c)
      : workflow(w),
        config(c),
        base("/" + c.prefix),
        limiter(c.rate_per_second, c.rate_burst),
        server(c.tls_cert.c_str(), c.tls_key.c_str()) {}

  void Message(httplib::Response& res, int status, std::string_view title, std::string_view text) {
    res.status = status;
    res.set_content(MessagePage(base, title, text), "text/html; charset=utf-8");
  }
  void NotFound(httplib::Response& res) {
    Message(res, 404, "Không tìm thấy / Not found",
            "Không có văn bản nào với mã tra cứu này. Hãy kiểm tra lại mã in dưới mã QR. / No "
            "document has this verification code. Check the code printed under the QR code.");
  }
  void Busy(httplib::Response& res) {
    res.set_header("Retry-After", "5");
    Message(res, 503, "Máy chủ đang bận / Server busy",
            "Xin thử lại sau ít giây. / Please try again in a few seconds.");
  }
  // A failure that is neither the visitor's nor an unknown code: logged here, told plainly.
  void Failed(httplib::Response& res, const absl::Status& st, const char* what) {
    spdlog::error("public site: {} failed: {}", what, st.ToString());
    Message(res, 500, "Lỗi máy chủ / Server error",
            "Không thực hiện được yêu cầu lúc này. / The request could not be served now.");
  }

  void Routes();
  void ServeDocument(const httplib::Request& req, httplib::Response& res);
  void ServeOriginal(const httplib::Request& req, httplib::Response& res);
  void ServeUpload(const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader& reader);

  workflow::DocumentWorkflow& workflow;
  const PublicSiteConfig config;
  const std::string base;  // "/v"
  RateLimiter limiter;
  std::atomic<int> verifying{0};
  httplib::SSLServer server;
  int port = 0;
  std::thread thread;
};

void PublicSite::Impl::Routes() {
  server.set_default_headers({
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Content-Type-Options", "nosniff"},
      {"Cache-Control", "no-store"},
      {"Strict-Transport-Security", "max-age=31536000"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
  });
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::string forwarded;  // every X-Forwarded-For header, in order, as one list
    for (size_t i = 0; i < req.get_header_value_count("X-Forwarded-For"); ++i) {
      forwarded += (i == 0 ? "" : ",") + req.get_header_value("X-Forwarded-For", i);
    }
    const std::string client = ClientAddress(req.remote_addr, forwarded, config.trusted_proxies);
    if (limiter.Allow(client, MonotonicMs())) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("Retry-After", "10");
    Message(res, 429, "Quá nhiều yêu cầu / Too many requests",
            "Xin chờ một lát rồi thử lại. / Please wait a moment and try again.");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return;
    if (res.status == 404) return NotFound(res);
    if (res.status == 413) {
      return Message(res, 413, "Tệp quá lớn / File too large",
                     "Tệp vượt quá dung lượng cho phép. / The file is larger than allowed.");
    }
    Message(res, res.status, "Yêu cầu không hợp lệ / Bad request",
            "Không xử lý được yêu cầu này. / This request cannot be served.");
  });
  server.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        Failed(res, Error(ErrorCode::kInternal, "exception"), "a request");
      });
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    // No code and no address: the code opens the original, which holds personal data.
    spdlog::info("public site: {} {} bytes in, status {}", req.method, req.body.size(), res.status);
  });

  server.Get(base, [this](const httplib::Request&, httplib::Response& res) {
    res.set_redirect(base + "/", 301);
  });
  server.Get(base + "/", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.has_param("ma")) {
      const std::optional<std::string> code =
          workflow::CanonicalVerificationCode(req.get_param_value("ma"));
      if (!code) return NotFound(res);
      return res.set_redirect(absl::StrCat(base, "/", *code), 303);
    }
    res.set_content(HomePage(base), "text/html; charset=utf-8");
  });
  server.Get(base + "/trang.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kStyleSheet, "text/css; charset=utf-8");
  });
  server.Get(
      base + R"(/([0-9A-Za-z -]{1,64}))",
      [this](const httplib::Request& req, httplib::Response& res) { ServeDocument(req, res); });
  server.Get(
      base + R"(/([0-9A-Za-z -]{1,64})/ban-goc\.pdf)",
      [this](const httplib::Request& req, httplib::Response& res) { ServeOriginal(req, res); });
  server.Post(base + "/kiem-tra",
              [this](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) { ServeUpload(req, res, reader); });
}

void PublicSite::Impl::ServeDocument(const httplib::Request& req, httplib::Response& res) {
  // The lookup comes first and alone: an unknown code costs one indexed query, like a known one
  // up to that point; only a found document is then verified.
  VerificationSlot slot(verifying, config.max_concurrent_verifications);
  if (!slot.admitted()) return Busy(res);
  absl::StatusOr<workflow::PublicDocument> doc =
      workflow.PublicView(req.matches[1].str(), [] { return false; });
  if (!doc.ok()) {
    if (HasCode(doc.status(), ErrorCode::kDocumentNotFound)) return NotFound(res);
    return Failed(res, doc.status(), "a document page");
  }
  res.set_content(DocumentPage(base, *doc), "text/html; charset=utf-8");
}

void PublicSite::Impl::ServeOriginal(const httplib::Request& req, httplib::Response& res) {
  absl::StatusOr<workflow::PublicOriginal> original =
      workflow.OpenPublicOriginal(req.matches[1].str());
  if (!original.ok()) {
    if (HasCode(original.status(), ErrorCode::kDocumentNotFound)) return NotFound(res);
    return Failed(res, original.status(), "a download");
  }
  const int fd = open(original->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Failed(res, Error(ErrorCode::kIo, "open"), "a download");
  res.set_header("Content-Disposition",
                 absl::StrCat("attachment; filename=\"", original->code, ".pdf\""));
  // Streamed from the file (a revision may be large), never read whole into memory.
  res.set_content_provider(
      static_cast<size_t>(original->size), "application/pdf",
      [fd](size_t offset, size_t length, httplib::DataSink& sink) {
        char buffer[64 * 1024];
        const size_t want = std::min(length, sizeof buffer);
        const ssize_t n = pread(fd, buffer, want, static_cast<off_t>(offset));
        if (n <= 0) return false;
        return sink.write(buffer, static_cast<size_t>(n));
      },
      [fd](bool) { close(fd); });
}

void PublicSite::Impl::ServeUpload(const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
  if (!req.is_multipart_form_data())
    return Message(res, 400, "Yêu cầu không hợp lệ / Bad request",
                   "Hãy gửi tệp bằng biểu mẫu. / Send the file "
                   "with the form.");
  VerificationSlot slot(verifying, config.max_concurrent_verifications);
  if (!slot.admitted()) return Busy(res);
  absl::StatusOr<std::unique_ptr<workflow::PdfUpload>> upload = workflow.BeginPublicUpload();
  if (!upload.ok()) return Failed(res, upload.status(), "an upload");
  workflow::PdfUpload& file = **upload;
  absl::Status appended;
  bool in_file = false;
  bool had_file = false;
  // Only the first "file" part is kept; it goes to the work file piece by piece as it arrives.
  const bool read = reader(
      [&](const httplib::MultipartFormData& part) {
        in_file = part.name == "file" && !had_file;
        had_file |= in_file;
        return true;
      },
      [&](const char* data, size_t size) {
        if (!in_file) return true;
        appended = file.Append(std::string_view(data, size));
        return appended.ok();
      });
  if (!appended.ok()) {
    if (HasCode(appended, ErrorCode::kUploadTooLarge)) {
      return Message(res, 413, "Tệp quá lớn / File too large",
                     "Tệp vượt quá dung lượng cho phép. / The file is larger than allowed.");
    }
    return Failed(res, appended, "an upload");
  }
  if (!read || !had_file) {
    return Message(res, 400, "Yêu cầu không hợp lệ / Bad request",
                   "Không nhận được tệp. / No file arrived.");
  }
  absl::StatusOr<pades::VerificationReport> report =
      workflow.VerifyUploaded(file, [] { return false; });
  if (!report.ok()) {
    if (HasCode(report.status(), ErrorCode::kPdfUnreadable) ||
        HasCode(report.status(), ErrorCode::kPdfTooManyRevisions)) {
      return Message(res, 422, "Không đọc được tệp / Unreadable file",
                     "Tệp không phải là PDF đọc được. / The file is not a readable PDF.");
    }
    return Failed(res, report.status(), "an upload's verification");
  }
  res.set_content(UploadResultPage(base, workflow::PublicVerdictOf(*report), file.size()),
                  "text/html; charset=utf-8");
}

PublicSite::PublicSite(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PublicSite::~PublicSite() { Stop(); }

int PublicSite::port() const { return impl_->port; }

void PublicSite::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<PublicSite>> PublicSite::Start(workflow::DocumentWorkflow& workflow,
                                                              const PublicSiteConfig& config) {
  static const std::regex kPrefix("[a-z0-9-]{1,32}");
  if (!std::regex_match(config.prefix, kPrefix)) {
    return Error(ErrorCode::kConfigInvalid, "public_web.prefix: [a-z0-9-]{1,32}");
  }
  const size_t colon = config.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(config.listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return Error(ErrorCode::kConfigInvalid, "public_web.listen: host:port");
  }
  std::string host = config.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (config.tls_cert.empty() || config.tls_key.empty()) {
    return Error(ErrorCode::kConfigInvalid, "public_web: tls_cert and tls_key are required");
  }
  auto impl = std::make_unique<Impl>(workflow, config);
  if (!impl->server.is_valid()) {
    return Error(ErrorCode::kConfigInvalid,
                 "public_web: cannot load tls_cert / tls_key " + config.tls_cert);
  }
  impl->server.set_payload_max_length(static_cast<size_t>(config.max_upload_bytes) + 64 * 1024);
  impl->server.set_read_timeout(30, 0);
  impl->server.set_write_timeout(30, 0);
  impl->server.set_keep_alive_max_count(20);
  // Pages are small writes: without it Nagle and the client's delayed ACK add ~40 ms to each.
  impl->server.set_tcp_nodelay(true);
  // Not cpp-httplib's default SO_REUSEPORT: with it a second taichod (or any process of the same
  // user) could bind the same address and silently take part of the public traffic.
  impl->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl->Routes();
  if (port == 0) {
    impl->port = impl->server.bind_to_any_port(host);
  } else if (impl->server.bind_to_port(host, port)) {
    impl->port = port;
  } else {
    impl->port = -1;
  }
  if (impl->port <= 0) {
    return Error(ErrorCode::kIo, "public_web: cannot listen on " + config.listen);
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  return std::unique_ptr<PublicSite>(new PublicSite(std::move(impl)));
}

}  // namespace taicho::publicweb
