#include "tests/support/taichod_toml.h"

#include "absl/strings/str_cat.h"
#include "tests/support/commands.h"
#include "tests/support/pki_fixture.h"

namespace taicho::testing {

std::string MtlsTomlSection() {
  return absl::StrCat("[tls]\ncert = \"", Pki("tls-server.chain.pem"), "\"\nkey = \"",
                      Pki("tls-server.key"), "\"\nclient_ca = \"", Pki("root.pem"), "\"\n");
}

std::string SealKeyTomlSection(const std::string& token_label, const std::string& more) {
  return absl::StrCat("[keys.seal]\nmodule = \"", GetSamplePki().module_path,
                      "\"\ntoken_label = \"", token_label,
                      "\"\nkey_label = \"seal\"\nkey_id = \"01\"\n", more);
}

}  // namespace taicho::testing
