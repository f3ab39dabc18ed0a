// `taicho print-station --web`: the desk's print queue as a local page (deskweb::QueuePage) —
// documents waiting (asked of the service when the page is drawn), the station's own jobs
// (printing, failed with the printer's reason, printed) from its DeskQueue — and "in lại", a
// reprint with a required reason, sent as the station's RequestReprint call so it is recorded in
// the document's history exactly as before.
//
// Ownership: the stub and the queue are not owned and must outlive the returned site (stop it
// first). Threads: the routes run on the site's threads; the stub and DeskQueue are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/local_pages.h"
#include "deskweb/desk_queue.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::cli {

struct QueuePagesOptions {
  LocalPagesOptions site;
  std::string desk;     // the station's desk (empty: every desk)
  std::string printer;  // as shown on the page
};

absl::StatusOr<std::unique_ptr<localweb::LocalSite>> OpenQueuePages(
    const QueuePagesOptions& options, ::taicho::v1::DocumentService::Stub& stub,
    const deskweb::DeskQueue& queue);

}  // namespace taicho::cli
