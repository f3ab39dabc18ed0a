// Test support for the service: taichod as a real process on a loopback port (started with a
// port file, so no port race), the sample decision as proto data, sample certificate chains and
// the officer's agent signing on a SoftHSM2 token.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "taicho/v1/document_data.pb.h"

namespace taicho::testing {

class TaichodProcess {
 public:
  // Logs and the port file go to a new temp dir.
  TaichodProcess();
  ~TaichodProcess();  // kills a process still running
  TaichodProcess(const TaichodProcess&) = delete;
  TaichodProcess& operator=(const TaichodProcess&) = delete;

  // Starts taichod on 127.0.0.1 with `store_dir`, the sample roots as --trust, a 1 s shutdown
  // grace (idle clients hold a graceful stop for all of it), no /metrics unless `extra` gives
  // --metrics-listen, and `extra` flags; waits until it listens.
  // False when it exited first or did not listen within 60 s (see log()).
  bool Start(const std::string& store_dir, const std::vector<std::string>& extra);
  // Sends `signal`, waits, and returns the wait status (the last one when not running).
  int Stop(int signal);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  // The /metrics port (0 when taichod serves none).
  int metrics_port() const { return metrics_port_; }
  std::string log() const;  // of the last start
  int exit_status() const { return exit_status_; }

 private:
  std::string dir_;
  std::string log_;
  int starts_ = 0;
  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  int exit_status_ = -1;
};

// render/samples/quyet-dinh-ubnd.json as the service's DocumentData (other keys as texts/lists).
::taicho::v1::DocumentData SampleDocumentData();

// The DER certificates of the sample PKI's NAME.chain.pem, signer first.
std::vector<std::string> SampleChainDer(const std::string& name);

// What the officer's agent does: the SoftHSM2 token labelled `token` signs `to_be_signed`
// (RSA PKCS#1 v1.5 with SHA-256, key id 01) after the PIN.
std::string SignOnToken(const std::string& token, const std::string& to_be_signed);

}  // namespace taicho::testing
