// One HTTP exchange over libcurl, for the clients that talk to PKI services (tsa/: RFC 3161
// time-stamps; revocation/: OCSP and CRLs): a GET or a POST with time-outs, a cap on the reply's
// size and http(s) only; plus the URL helpers they share (redaction for logs, prefix rewrites).
// What a reply means (retry, next server, trust) is the caller's business, not this module's.
//
// Ownership: every call owns its header list (RAII) for the call's duration, and its curl handle
// too unless it borrows one from a Connections (the caller's, kept between calls so that open
// connections are reused). libcurl is not linked: the first Fetch opens it (dlopen,
// never closed) and runs its global initialisation, so programs that never fetch never map it;
// when it cannot be loaded every Fetch fails with Reply::error saying so. Thread-safe: Fetch may
// run on many threads at once (the loading runs once, and timeouts use no signals).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signer/bytes.h"

namespace taicho::http {

// Connections kept open between exchanges (HTTP/1.1 keep-alive): a pool of curl handles, each
// with its own connection cache; an exchange borrows one and gives it back. For a client that
// asks the same server again and again (tsa::TsaClient: two tokens per B-LTA seal, many seals at
// once): a new TCP connection per request was about 8% of a B-LTA seal's CPU, and the server's
// accepting it more. A server that closes after each reply costs a new connection, as without.
// Owned by that client; thread-safe (each exchange has a handle to itself); every Fetch using
// it must have returned before it is destroyed.
class Connections {
 public:
  // Keeps at most `max_idle` handles between exchanges (more exchanges at once get their own,
  // closed afterwards).
  explicit Connections(size_t max_idle = 16) : max_idle_(max_idle) {}
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

 private:
  friend class BorrowedHandle;
  void* Borrow();  // a CURL handle, reset; null when curl cannot make one
  void GiveBack(void* handle);
  const size_t max_idle_;
  std::mutex mu_;            // guards idle_
  std::vector<void*> idle_;  // CURL handles, their options reset, their connections open
};

struct Request {
  std::string url;  // http:// or https://; other schemes fail the transfer
  const Bytes* post =
      nullptr;  // POST these bytes when set (not owned; live for the call), else GET
  std::vector<std::string> headers;  // "Name: value", e.g. the POST's Content-Type
  std::string user_agent;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{60'000};  // connection to the reply's last byte
  size_t max_reply_bytes = 64 * 1024;         // a larger reply is cut off: too_large
  Connections* connections = nullptr;  // not owned; null: a connection for this exchange only
};

struct Reply {
  // An HTTP answer arrived whole (any status). False: no connection, a time-out, a reply over
  // the cap, or a transfer error; `error` says which.
  bool completed = false;
  bool too_large = false;  // the reply passed Request::max_reply_bytes (completed is false)
  long status = 0;         // the HTTP status, when one was received
  Bytes body;
  // Why the exchange failed (libcurl's message), or "HTTP <status>" for a completed exchange
  // whose status is not 200; empty for a 200. English, no secrets beyond what the URL holds.
  std::string error;

  bool ok() const { return completed && status == 200; }
};

// Performs `request`, blocking for up to its time-outs.
Reply Fetch(const Request& request);

// A URL as it may appear in errors and logs: user info, query string and fragment removed.
std::string RedactUrl(std::string_view url);

// Whether `url` is http:// or https:// (any case) with something after the scheme.
bool IsHttpUrl(std::string_view url);

// `url` with the first matching prefix of `rewrites` (from → to) replaced; unchanged when none
// matches. Lets a deployment (or a test) reach a service the certificates name elsewhere.
std::string RewriteUrl(const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& rewrites);

}  // namespace taicho::http
