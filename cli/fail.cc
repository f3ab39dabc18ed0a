#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "errors/error.h"

namespace taicho::cli {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "LỖI / ERROR [%s]: %s\n", CodeOf(status).c_str(),
               std::string(status.message()).c_str());
  return ExitCodeOf(status);
}

}  // namespace taicho::cli
