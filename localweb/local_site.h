// A page served by a local client (the officer's agent, the print station) to a browser on the
// same machine: cpp-httplib over plain HTTP on 127.0.0.1 only, guarded against the other pages
// that browser may have open.
//
//  - Listens on 127.0.0.1 only (a given port, or a free one with port 0). Nothing else binds.
//  - A per-start secret (256 random bits): OpeningUrl() carries it as `?khoa=…`; the first request
//    with it gets it back as an HttpOnly, SameSite=Strict cookie (named per port: cookies are not
//    port-isolated) and a 303 to the same path without it, so it leaves the address bar. Every
//    other request needs the cookie: 403 otherwise.
//  - Host must be 127.0.0.1:PORT or localhost:PORT (DNS rebinding: a name the attacker resolves
//    to 127.0.0.1 brings its own Host); 403 otherwise.
//  - Sec-Fetch-Site, when the browser sends it, must be same-origin or none (typed or opened from
//    outside); any request other than GET/HEAD must also carry an Origin equal to this site's
//    (other ports of 127.0.0.1 are the same *site*, so SameSite alone does not stop them), or
//    "Origin: null" with Sec-Fetch-Site same-origin (what a browser sends for the page's own form
//    under no-referrer).
//  - Every answer carries CSP (no source outside this origin, no framing, no base, forms to self),
//    X-Frame-Options DENY, Referrer-Policy no-referrer, nosniff, no-store.
// A refused request gets 403 with a Vietnamese / English page and the header X-Taicho-Refused
// (host, secret, origin, fetch-site) saying which check refused it. Logs carry method, path and
// status only: never the query (it may hold the secret) or a body (it may hold a PIN).
//
// Ownership and threads: Make makes the site; add routes to server() before Start, never after.
// Handlers run on cpp-httplib's worker threads, concurrently: they must be thread-safe. Stop (or
// the destructor) stops listening and waits for the handlers in progress.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"

namespace taicho::localweb {

struct LocalSiteConfig {
  std::string listen = "127.0.0.1:0";  // "127.0.0.1:PORT"; port 0 picks a free one
  // The CSP sent with every answer. The default allows nothing outside this origin and no inline
  // script or style; a site that needs more (workers, blob: images) passes its own, still without
  // any outside source.
  std::string content_security_policy =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  size_t max_body_bytes = 1024 * 1024;  // larger requests: 413
  std::string log_name = "local site";  // how logs name this site
};

class LocalSite {
 public:
  // Makes the secret. kConfigInvalid for an address that is not 127.0.0.1:PORT; kCrypto when no
  // random secret can be made.
  static absl::StatusOr<std::unique_ptr<LocalSite>> Make(const LocalSiteConfig& config);
  ~LocalSite();
  LocalSite(const LocalSite&) = delete;
  LocalSite& operator=(const LocalSite&) = delete;

  // Routes go here, before Start. The checks above run before any of them.
  httplib::Server& server();
  // Binds and serves on a thread of its own until Stop. kIo when the address cannot be bound.
  absl::Status Start();
  void Stop();

  // The bound port (after Start).
  int port() const;
  // "http://127.0.0.1:PORT" (what Origin must be).
  std::string origin() const;
  // The URL to give the browser once: origin() + path + "?khoa=SECRET". Show it only to the user
  // who started the program (it is the key to the page until the program exits).
  std::string OpeningUrl(std::string_view path = "/") const;

  struct Impl;

 private:
  explicit LocalSite(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace taicho::localweb
