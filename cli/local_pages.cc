#include "cli/local_pages.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "deskweb/pages.h"
#include "errors/error.h"

namespace taicho::cli {
namespace {

// Written beside the target and renamed, readable by its owner only: the URL is the key to the
// pages until the program exits.
absl::Status WriteUrlFile(const std::string& path, const std::string& url) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrorCode::kIo, "cannot write " + tmp);
  const std::string line = url + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  std::error_code ec;
  if (written) std::filesystem::rename(tmp, path, ec);
  if (!written || ec) {
    std::filesystem::remove(tmp, ec);
    return Error(ErrorCode::kIo, "cannot write " + path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<localweb::LocalSite>> OpenLocalPages(
    const LocalPagesOptions& options, const std::function<void(httplib::Server&)>& add_routes) {
  localweb::LocalSiteConfig config;
  config.listen = options.listen;
  config.log_name = options.log_name;
  absl::StatusOr<std::unique_ptr<localweb::LocalSite>> site = localweb::LocalSite::Make(config);
  if (!site.ok()) return site.status();
  httplib::Server& server = (*site)->server();
  server.Get("/trang.css", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(deskweb::kStyleSheet, "text/css; charset=utf-8");
  });
  add_routes(server);
  if (absl::Status st = (*site)->Start(); !st.ok()) return st;
  const std::string url = (*site)->OpeningUrl("/");
  if (!options.url_file.empty()) {
    if (absl::Status st = WriteUrlFile(options.url_file, url); !st.ok()) return st;
  }
  std::printf("Mở trang này trong trình duyệt / open this page in the browser: %s\n", url.c_str());
  std::fflush(stdout);
  return site;
}

void SendHtml(httplib::Response& response, int status, const std::string& html) {
  response.status = status;
  response.set_content(html, "text/html; charset=utf-8");
}

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    default:
      return 502;  // the service could not answer
  }
}

}  // namespace taicho::cli
