#include "installation/installation.h"

#include <limits.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace taicho::installation {

std::string_view Version() { return TAICHO_VERSION; }

std::string VersionLine(std::string_view program) {
  return std::string(program) + " " + std::string(Version());
}

std::string DataDir() {
  // Computed once: the program does not move while it runs.
  static const std::string dir = [] {
    char path[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) {
      const std::filesystem::path self(std::string(path, static_cast<size_t>(n)));
      const std::filesystem::path beside = self.parent_path().parent_path() / "share" / "taicho";
      std::error_code ec;
      if (std::filesystem::is_directory(beside, ec)) return beside.string();
    }
    return std::string(TAICHO_INSTALL_DATADIR);
  }();
  return dir;
}

}  // namespace taicho::installation
