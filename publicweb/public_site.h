// The public verification site behind the QR code printed on every document: an HTTPS listener
// of taichod, separate from the gRPC port, read-only, for anyone. It serves under one path prefix
// ("/v"):
//   GET  /v/                     a form to type a code, and one to check a PDF
//   GET  /v/{code}               what workflow::DocumentWorkflow::PublicView returns, as a page
//   GET  /v/{code}/ban-goc.pdf   the electronic original
//   POST /v/kiem-tra             an uploaded PDF (multipart, streamed to a capped work file)
//                                verified as VerifyUpload does
//   GET  /v/trang.css            the one style sheet (no script, nothing from elsewhere)
// Everything else is 404. Every response carries the security headers (CSP default-src 'none',
// no framing, no referrer, nosniff, no-store); each client address has a token bucket (429).
// What is public is decided by workflow/ (workflow/public_view.h); this module only translates.
//
// Ownership: the workflow is not owned and must outlive the site. Start runs the listener on its
// own threads (cpp-httplib's pool); Stop (or the destructor) stops it and waits for them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "workflow/document_workflow.h"

namespace taicho::publicweb {

struct PublicSiteConfig {
  std::string listen;        // "host:port"; port 0 picks a free one (see PublicSite::port)
  std::string tls_cert;      // PEM chain, leaf first (required)
  std::string tls_key;       // PEM private key (required)
  std::string prefix = "v";  // the path segment before the code: [a-z0-9-]{1,32}
  // Each client address: `rate_burst` requests at once, then `rate_per_second`.
  double rate_per_second = 2;
  double rate_burst = 30;
  // Reverse proxies in front of the site (their addresses, exactly as the socket shows them):
  // a request from one of them is counted against the X-Forwarded-For client
  // (publicweb/client_address.h). Empty: every request is its socket's peer.
  std::vector<std::string> trusted_proxies;
  // Verifications (page views and uploads) computing at once; more: 503.
  int max_concurrent_verifications = 2;
  int64_t max_upload_bytes = 64LL * 1024 * 1024;  // the workflow's own cap applies too
};

class PublicSite {
 public:
  // Binds and starts serving. kConfigInvalid for a bad prefix or address, or a certificate or
  // key that cannot be loaded; kIo when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<PublicSite>> Start(workflow::DocumentWorkflow& workflow,
                                                           const PublicSiteConfig& config);
  ~PublicSite();
  PublicSite(const PublicSite&) = delete;
  PublicSite& operator=(const PublicSite&) = delete;

  int port() const;
  void Stop();

  struct Impl;

 private:
  explicit PublicSite(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace taicho::publicweb
