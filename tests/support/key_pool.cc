#include "tests/support/key_pool.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "tests/support/pki_fixture.h"

namespace taicho::testing {

std::string KeyCommand(const std::string& type, int n, const std::string& out) {
  const char* seed = std::getenv("TAICHO_TEST_PKI_SEED");
  if (seed != nullptr && *seed != '\0') {
    const std::string pooled =
        std::string(seed) + "/keys/" + type + "-" + std::to_string(n) + ".pem";
    std::error_code ec;
    if (std::filesystem::exists(pooled, ec)) return "cp " + Quote(pooled) + " " + Quote(out);
  }
  const std::string gen = type == "rsa"
                              ? "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
                              : "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256";
  return gen + " -out " + Quote(out);
}

}  // namespace taicho::testing
