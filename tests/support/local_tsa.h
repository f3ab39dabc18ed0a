// Test support: a real RFC 3161 TSA on loopback (tests/support/tsa_server.py: an HTTP front on
// OpenSSL's `openssl ts -reply`, signing with the sample PKI's TSA certificate), in several
// misbehaving modes; or tsa_signer's C++ front (LocalTsaOptions::cpp_front).
#pragma once

#include <sys/types.h>

#include <string>

namespace taicho::testing {

struct LocalTsaOptions {
  // normal, slow, error, reject, wrong-nonce, garbage, resign (see tsa_server.py).
  std::string mode = "normal";
  double delay_seconds = -1;  // before each answer; negative: the mode's default (slow: 5 s)
  std::string resign_cert, resign_key;  // PEM files, for "resign"
  // tests/support/tsa_signer's own C++ HTTP front (what bench/seal_load.sh runs) instead of
  // tsa_server.py: mode "normal" only, no delay, no SetMode.
  bool cpp_front = false;
};

// Starts the server on a free 127.0.0.1 port and waits until it listens; the destructor kills it.
// On failure started() is false and log() says why (a test should ASSERT_TRUE(started())).
class LocalTsa {
 public:
  explicit LocalTsa(const LocalTsaOptions& options = {});
  ~LocalTsa();
  LocalTsa(const LocalTsa&) = delete;
  LocalTsa& operator=(const LocalTsa&) = delete;

  bool started() const { return port_ != 0; }
  const std::string& url() const { return url_; }
  std::string log() const;  // the server's stdout and stderr
  // Holds tsa.cnf, the `openssl ts -reply` configuration the server uses (for baselines).
  const std::string& workdir() const { return dir_; }

  // Requests received so far (counted before they are answered), and the most that were being
  // answered at the same time.
  int requests() const;
  int max_in_flight() const;
  // Connections accepted so far (a client keeping its connection open makes one).
  int connections() const;

  // Changes how the running server answers from the next request on (normal, error,
  // wrong-nonce…): a TSA that goes down and comes back at the same address.
  void SetMode(const std::string& mode) const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  std::string url_;
};

// An http URL on loopback where nothing listens (a port just bound and released).
std::string UnusedLoopbackUrl();

}  // namespace taicho::testing
