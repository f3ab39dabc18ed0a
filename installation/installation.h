// What a program knows about the installation it belongs to: its version, and where the data
// installed with it (document kinds, samples) lies. Installed (`cmake --install`, the .deb), the
// programs sit in PREFIX/bin and the data in PREFIX/share/taicho; in the build tree the programs
// sit one folder below the build directory and BUILD/share/taicho mirrors the installed data
// (links into the source tree made at configure time). Both are found from the running program's
// own path, so a staged (DESTDIR) or moved installation reads its own data, and an installed
// program holds no path into the source or build tree.
//
// Threads: both functions may be called from any thread; nothing here changes after start.
#pragma once

#include <string>
#include <string_view>

namespace taicho::installation {

// The version of this build: CMake's project(VERSION), e.g. "0.1.0".
std::string_view Version();

// "NAME VERSION" for a program's --version (CLI11's set_version_flag).
std::string VersionLine(std::string_view program);

// This installation's data directory: DIR/../share/taicho when DIR is the running program's
// directory and that exists (installed, staged or build tree), else the data directory of the
// configured install prefix (a program copied away from its installation).
std::string DataDir();

}  // namespace taicho::installation
