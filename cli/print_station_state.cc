#include "cli/print_station_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::cli {
namespace {

absl::Status Errno(const std::string& what) {
  return Error(ErrorCode::kIo, absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("write");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StationState> LoadStationState(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return StationState{};
  std::stringstream text;
  text << in.rdbuf();
  StationState state;
  try {
    const nlohmann::json j = nlohmann::json::parse(text.str());
    state.cursor = j.at("cursor").get<int64_t>();
    for (const auto& [name, p] : j.at("in_flight").items()) {
      InFlightPrint f;
      f.print_id = p.at("print_id").get<std::string>();
      f.revision = p.at("revision").get<std::string>();
      f.stage = p.at("stage").get<std::string>() == "printed" ? InFlightPrint::Stage::kPrinted
                                                              : InFlightPrint::Stage::kPrinting;
      f.output = p.value("output", "");
      f.sequence = p.value("sequence", int64_t{0});
      f.cups_job = p.value("cups_job", 0);
      state.in_flight.emplace(name, std::move(f));
    }
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorCode::kConfigInvalid,
                 absl::StrCat("tệp trạng thái hỏng / state file corrupt: ", path, ": ", e.what()));
  }
  return state;
}

absl::Status SaveStationState(const std::string& path, const StationState& state) {
  nlohmann::json j;
  j["cursor"] = state.cursor;
  j["in_flight"] = nlohmann::json::object();
  for (const auto& [name, f] : state.in_flight) {
    j["in_flight"][name] = {
        {"print_id", f.print_id},
        {"revision", f.revision},
        {"stage", f.stage == InFlightPrint::Stage::kPrinted ? "printed" : "printing"},
        {"output", f.output},
        {"sequence", f.sequence},
        {"cups_job", f.cups_job}};
  }
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open " + tmp);
  absl::Status st = WriteAll(fd, j.dump(2) + "\n");
  if (st.ok() && fsync(fd) != 0) st = Errno("fsync " + tmp);
  close(fd);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Errno("rename " + path);
  if (!st.ok()) return st;
  // The rename itself must reach the disk.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("open " + dir);
  const int rc = fsync(dfd);
  close(dfd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync " + dir);
}

}  // namespace taicho::cli
