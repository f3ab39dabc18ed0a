// Test support: real revocation services on loopback for the sample PKI — OpenSSL's own OCSP
// responder (`openssl ocsp -index index.txt -rsigner ocsp.pem …`, the `openssl ca` database
// make-pki.sh writes) and the PKI's DER CRLs served by python3's http.server.
//
// The sample certificates name fixed URLs (http://127.0.0.1:18080/ocsp, :18081/subca.crl); each
// test process starts its own services on free ports and maps those URLs there with
// RevocationPolicy::url_rewrites (see rewrites()), so parallel ctest processes never collide.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace taicho::testing {

class LocalRevocation {
 public:
  // `pki_dir`: a copy of the sample PKI. `ocsp_path`: what the rewritten OCSP URL keeps as path
  // ("" maps http://127.0.0.1:18080/ocsp to the responder's root, where OpenSSL's responder also
  // answers GET requests; "/ocsp" keeps the path, which it only answers by POST).
  explicit LocalRevocation(const std::string& pki_dir, const std::string& ocsp_path = "");
  ~LocalRevocation();
  LocalRevocation(const LocalRevocation&) = delete;
  LocalRevocation& operator=(const LocalRevocation&) = delete;

  bool started() const { return ocsp_port_ != 0 && crl_port_ != 0; }
  std::string log() const;
  // Prefix rewrites for RevocationPolicy::url_rewrites.
  std::vector<std::pair<std::string, std::string>> rewrites() const;
  std::string ocsp_url() const;  // the responder's root URL
  // Requests the responder / the CRL server received so far (from their logs).
  int ocsp_requests() const;
  int crl_requests() const;
  // Stops the OCSP responder (a test of "responder down").
  void StopOcsp();
  // Stops the responder and the CRL server: no revocation source answers.
  void StopAll();
  // Starts both again on the same ports (after StopAll: the services come back); false when
  // one does not start.
  bool Restart();

 private:
  bool StartOcsp(int port);
  bool StartCrl(int port);

  std::string dir_;
  std::string pki_dir_;
  std::string ocsp_path_;
  pid_t ocsp_pid_ = -1, crl_pid_ = -1;
  int ocsp_port_ = 0, crl_port_ = 0;
};

// A free 127.0.0.1 TCP port (bound and released).
int FreeLoopbackPort();

}  // namespace taicho::testing
