// The run's pool of spare private keys, for tests that build their own tokens or PKI.
//
// A 2048-bit RSA key costs ~0.4 s CPU to generate, and each test of a program registered by
// gtest_discover_tests is a process of its own: pkcs11_test and signer_test generated 4 each per
// process (~90 s CPU per ctest run). The test_pki fixture (make-pki-seed.sh) makes the pool once
// per run in SEED/keys: rsa-1..4.pem and ec-1..2.pem. Free functions; thread-safe.
#pragma once

#include <string>

namespace taicho::testing {

// A shell command that writes a private key of `type` ("rsa": 2048 bits, "ec": P-256) to the PEM
// file `out`: a copy of key number `n` (1-based; rsa 1-4, ec 1-2) of the pool named by
// TAICHO_TEST_PKI_SEED, or a newly generated key when the program runs without the seed. Keys of
// one type and different `n` differ.
std::string KeyCommand(const std::string& type, int n, const std::string& out);

}  // namespace taicho::testing
