// What the command line's local pages share (the print station's queue, the staff's desk pages):
// a localweb::LocalSite on 127.0.0.1 with the desk's style sheet at /trang.css, its opening URL
// (with the per-start secret) printed for the person who started the program and, when asked,
// written to a file only they can read.
//
// Threads: the routes run on the site's worker threads; whatever they touch must be thread-safe
// (gRPC stubs are).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "localweb/local_site.h"

namespace taicho::cli {

struct LocalPagesOptions {
  std::string listen = "127.0.0.1:0";
  std::string url_file;  // where to write the opening URL (mode 0600); empty: nowhere
  std::string log_name;
};

// Makes the site, adds /trang.css, lets `add_routes` add the rest, starts it, and announces the
// URL on stdout. kConfigInvalid / kIo as localweb, and for an unwritable URL file.
absl::StatusOr<std::unique_ptr<localweb::LocalSite>> OpenLocalPages(
    const LocalPagesOptions& options, const std::function<void(httplib::Server&)>& add_routes);

// An HTML answer.
void SendHtml(httplib::Response& response, int status, const std::string& html);

// The HTTP status a failed service call shows as (the page says why).
int HttpStatusFor(const absl::Status& status);

}  // namespace taicho::cli
