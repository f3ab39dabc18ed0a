#include "cli/print_station_web.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/service_connection.h"
#include "deskweb/pages.h"

namespace taicho::cli {
namespace {

namespace v1 = ::taicho::v1;
using google::protobuf::util::TimeUtil;

constexpr size_t kMaxReason = 500;  // as the form's maxlength

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sealed documents of the desk that the station has not taken up (no row of its own that is
// printing or waiting to retry).
void FillWaiting(v1::DocumentService::Stub& stub, const std::string& desk,
                 deskweb::QueuePageModel& model) {
  v1::ListDocumentsRequest request;
  request.set_state(v1::Document::SEALED);
  request.set_desk(desk);
  request.set_page_size(200);
  v1::ListDocumentsResponse response;
  auto context = Context();
  absl::Status st = FromGrpc(stub.ListDocuments(context.get(), request, &response), *context);
  if (!st.ok()) {
    model.waiting_error = absl::StrCat(
        "Không đọc được danh sách chờ in / the waiting list could not be read: ", st.message());
    return;
  }
  for (const v1::Document& d : response.documents()) {
    bool taken = false;
    for (const deskweb::QueueJob& job : model.jobs) {
      taken |= job.document == d.name() && (job.stage == deskweb::JobStage::kPrinting ||
                                            job.stage == deskweb::JobStage::kRetryDue);
    }
    if (taken) continue;
    model.waiting.push_back({d.name(), d.dossier_code(), d.title(),
                             TimeUtil::TimestampToMilliseconds(d.update_time())});
  }
}

// The dossier code of a document the station printed, else asked of the service.
std::string DossierOf(v1::DocumentService::Stub& stub, const deskweb::DeskQueue& queue,
                      const std::string& name) {
  for (const deskweb::QueueJob& job : queue.Snapshot()) {
    if (job.document == name) return job.dossier_code;
  }
  v1::GetDocumentRequest request;
  request.set_name(name);
  v1::Document document;
  auto context = Context();
  if (stub.GetDocument(context.get(), request, &document).ok()) return document.dossier_code();
  return "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<localweb::LocalSite>> OpenQueuePages(
    const QueuePagesOptions& options, v1::DocumentService::Stub& stub,
    const deskweb::DeskQueue& queue) {
  return OpenLocalPages(options.site, [&stub, &queue, options](httplib::Server& server) {
    server.Get("/", [&stub, &queue, options](const httplib::Request& request,
                                             httplib::Response& response) {
      deskweb::QueuePageModel model;
      model.desk = options.desk;
      model.printer = options.printer;
      model.now_ms = NowMs();
      model.jobs = queue.Snapshot();
      if (request.has_param("in-lai")) {
        model.notice = absl::StrCat(
            "Đã yêu cầu in lại hồ sơ ", request.get_param_value("in-lai"),
            "; bản in lại sẽ hiện ở đây khi in xong. / Reprint requested; it appears here when "
            "printed.");
      }
      FillWaiting(stub, options.desk, model);
      SendHtml(response, 200, deskweb::QueuePage(model));
    });
    server.Get(
        "/in-lai", [&stub, &queue](const httplib::Request& request, httplib::Response& response) {
          const std::string name = request.get_param_value("name");
          SendHtml(response, 200, deskweb::ReprintPage(name, DossierOf(stub, queue, name), "", ""));
        });
    server.Post("/in-lai", [&stub, &queue](const httplib::Request& request,
                                           httplib::Response& response) {
      const std::string name = request.get_param_value("name");
      const std::string reason =
          std::string(absl::StripAsciiWhitespace(request.get_param_value("reason")));
      const std::string dossier = DossierOf(stub, queue, name);
      if (reason.empty() || reason.size() > kMaxReason) {
        SendHtml(response, 400,
                 deskweb::ReprintPage(name, dossier, reason,
                                      "Cần ghi lý do in lại (tối đa 500 byte) / a reason for the "
                                      "reprint is required (at most 500 bytes)"));
        return;
      }
      v1::RequestReprintRequest call;
      call.set_name(name);
      call.set_reason(reason);
      v1::ReadyDocument job;
      auto context = Context();
      absl::Status st = FromGrpc(stub.RequestReprint(context.get(), call, &job), *context);
      if (!st.ok()) {
        SendHtml(response, HttpStatusFor(st),
                 deskweb::ReprintPage(
                     name, dossier, reason,
                     absl::StrCat("Không yêu cầu in lại được / the reprint was refused: ",
                                  st.message())));
        return;
      }
      httplib::Params params{{"in-lai", job.document().dossier_code()}};
      response.set_redirect(httplib::append_query_params("/", params), 303);
    });
  });
}

}  // namespace taicho::cli
