// taicho-verify: `taicho verify` without --online or --server. It links only what offline
// verification needs (PoDoFo, OpenSSL, ICU): no gRPC, protobuf or libcurl, whose ~45 shared
// libraries cost more time to load than verifying a small signed PDF takes. The launcher
// (launcher_main.cc) starts it.
#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // OpenSSL's configuration file is not read: what verification uses is the default provider,
  // which OpenSSL loads without it, and reading Debian's /etc/ssl/openssl.cnf was ~2% of a small
  // file's whole command. The report also no longer depends on the host's file (its OID names).
  // Nor are OpenSSL's legacy cipher tables filled: the first provider fetch copies every name in
  // them into its name map (~2.2 M instructions, 7% of a small file's command), and verification
  // deciphers nothing (ciphers fetched from a provider would still be found by their names). The
  // digest tables stay: a certificate's signature check looks its digest up there by NID.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS, nullptr);
  CLI::App app{"taicho — kiểm tra chữ ký số trong PDF (PAdES) / verify the signatures of a PDF"};
  app.require_subcommand(1);
  taicho::cli::Runner run;
  taicho::cli::AddVerifyCommand(app, run);
  const int code = taicho::cli::ParseAndRun(app, argc, argv, run);
#if !defined(__SANITIZE_ADDRESS__)
  // The report is written: what exit() would still do is free what the process holds (OpenSSL's
  // cleanup of its providers and method stores, PoDoFo's and our static objects), ~1.4% of a
  // small file's verification, which the kernel does at once. Not under the sanitizers, whose
  // leak check runs at exit.
  std::fflush(nullptr);
  std::_Exit(code);
#endif
  return code;
}
