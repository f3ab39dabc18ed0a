// `taicho desk --web`: the staff's local pages on 127.0.0.1 (cli/local_pages.h), with the
// caller's own mutual-TLS identity (auditor or intake, as `taicho register`): documents by
// state, the register with its CSV export, and desk statistics drawn as SVG charts
// (deskweb/pages.h). Every page asks taichod when it is drawn; nothing is kept. Runs until
// SIGINT or SIGTERM.
#include <google/protobuf/util/time_util.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/local_pages.h"
#include "cli/service_connection.h"
#include "deskweb/pages.h"
#include "errors/error.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "vntime/vntime.h"

namespace taicho::cli {
namespace {

namespace v1 = ::taicho::v1;
using google::protobuf::util::TimeUtil;

struct DeskArgs {
  ConnectionOptions connection;
  std::string desk;
  bool web = false;
  LocalPagesOptions site;
};

// How many documents the documents page lists (all are counted).
constexpr size_t kListedDocuments = 300;

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return context;
}

struct StateName {
  v1::Document::State state;
  const char* label;
};
constexpr StateName kStates[] = {
    {v1::Document::DRAFT, "Dự thảo / Draft"},
    {v1::Document::APPROVED, "Đã ký duyệt / Approved"},
    {v1::Document::SEALED, "Đã đóng dấu, chờ in / Sealed, to print"},
    {v1::Document::ISSUED, "Đã trả kết quả / Issued"},
    {v1::Document::CANCELLED, "Đã hủy / Cancelled"},
    {v1::Document::WITHDRAWN, "Đã thu hồi / Withdrawn"},
};

const char* RegisterStateLabel(v1::RegisterEntry::State state) {
  switch (state) {
    case v1::RegisterEntry::ISSUED:
      return "Đã ban hành / issued";
    case v1::RegisterEntry::VOID:
      return "Bỏ số / void";
    case v1::RegisterEntry::WITHDRAWN:
      return "Đã thu hồi / withdrawn";
    default:
      return "Chờ đóng dấu / awaiting the seal";
  }
}

deskweb::DocumentsPageModel Documents(v1::DocumentService::Stub& stub, const std::string& desk,
                                      const std::string& selected) {
  deskweb::DocumentsPageModel model;
  model.selected_state = selected;
  for (const StateName& s : kStates) {
    const std::string state = v1::Document::State_Name(s.state);
    deskweb::StateCount count{state, s.label, 0};
    v1::ListDocumentsRequest request;
    request.set_state(s.state);
    request.set_desk(desk);
    request.set_page_size(500);
    do {
      v1::ListDocumentsResponse response;
      auto context = Context();
      absl::Status st = FromGrpc(stub.ListDocuments(context.get(), request, &response), *context);
      if (!st.ok()) {
        model.error = absl::StrCat(
            "Không đọc được danh sách văn bản / the documents could not be "
            "read: ",
            st.message());
        return model;
      }
      count.count += response.documents_size();
      for (const v1::Document& d : response.documents()) {
        if (!selected.empty() && selected != state) continue;
        if (model.documents.size() >= kListedDocuments) {
          model.truncated = true;
          continue;
        }
        model.documents.push_back({d.name(), d.dossier_code(), d.title(), d.procedure(), d.desk(),
                                   s.label, TimeUtil::TimestampToMilliseconds(d.create_time()),
                                   TimeUtil::TimestampToMilliseconds(d.update_time())});
      }
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    model.counts.push_back(count);
  }
  return model;
}

deskweb::RegisterPageModel Register(v1::DocumentService::Stub& stub, const std::string& agency,
                                    int year) {
  deskweb::RegisterPageModel model;
  model.agency = agency;
  model.year = year;
  v1::ListRegisterRequest request;
  request.set_agency(agency);
  request.set_year(year);
  do {
    v1::ListRegisterResponse response;
    auto context = Context();
    absl::Status st = FromGrpc(stub.ListRegister(context.get(), request, &response), *context);
    if (!st.ok()) {
      model.error = absl::StrCat("Không đọc được sổ đăng ký / the register could not be read: ",
                                 st.message());
      return model;
    }
    for (const v1::RegisterEntry& e : response.entries()) {
      model.rows.push_back({e.number_symbol(), e.issue_date(), RegisterStateLabel(e.state()),
                            v1::RegisterEntry::State_Name(e.state()), e.summary(), e.dossier_code(),
                            e.state() == v1::RegisterEntry::VOID        ? e.void_reason()
                            : e.state() == v1::RegisterEntry::WITHDRAWN ? e.withdraw_reason()
                                                                        : e.signer()});
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return model;
}

// "YYYY-MM-DD" (a Vietnamese day) to the Unix milliseconds of its midnight in Vietnam; 0 when it
// is not such a date.
int64_t VietnamMidnightMs(const std::string& date) {
  if (date.size() != 10) return 0;
  const int64_t utc = vntime::ParseIsoUtc(date + "T00:00:00Z");
  return utc == 0 ? 0 : (utc - vntime::kUtcOffsetSeconds) * 1000;
}

std::string VietnamDate(int64_t unix_ms) {
  const vntime::CivilTime t = vntime::VietnamCivil(unix_ms / 1000);
  return absl::StrFormat("%04d-%02d-%02d", t.year, t.month, t.day);
}

deskweb::StatisticsRow Row(const v1::ProcedureStatistics& p) {
  deskweb::StatisticsRow r;
  r.procedure = p.procedure();
  r.received = p.received();
  r.issued = p.issued();
  r.issued_on_the_spot = p.issued_on_the_spot();
  r.cancelled = p.cancelled();
  r.on_the_spot_share = p.on_the_spot_share();
  r.median_ms = TimeUtil::DurationToMilliseconds(p.median_receipt_to_return());
  r.p90_ms = TimeUtil::DurationToMilliseconds(p.p90_receipt_to_return());
  return r;
}

// The period defaults to the current month up to today, Vietnam time.
deskweb::StatisticsPageModel Statistics(v1::DocumentService::Stub& stub, const std::string& desk,
                                        const httplib::Request& http) {
  deskweb::StatisticsPageModel model;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string today = VietnamDate(now_ms);
  model.from_date = http.has_param("tu") ? http.get_param_value("tu") : today.substr(0, 8) + "01";
  model.to_date = http.has_param("den") ? http.get_param_value("den") : today;
  if (http.has_param("phut") &&
      (!absl::SimpleAtoi(http.get_param_value("phut"), &model.on_the_spot_minutes) ||
       model.on_the_spot_minutes < 1 || model.on_the_spot_minutes > 7 * 24 * 60)) {
    model.error = "Số phút phải từ 1 đến 10080 / minutes must be 1 to 10080";
    return model;
  }
  v1::GetDeskStatisticsRequest request;
  request.set_desk(desk);
  request.set_on_the_spot_minutes(model.on_the_spot_minutes);
  if (!model.from_date.empty()) {
    const int64_t from = VietnamMidnightMs(model.from_date);
    if (from == 0) {
      model.error = "Ngày bắt đầu không hợp lệ / invalid start date";
      return model;
    }
    *request.mutable_period_start() = TimeUtil::MillisecondsToTimestamp(from);
  }
  if (!model.to_date.empty()) {
    const int64_t to = VietnamMidnightMs(model.to_date);
    if (to == 0) {
      model.error = "Ngày kết thúc không hợp lệ / invalid end date";
      return model;
    }
    // Inclusive: up to the next midnight.
    *request.mutable_period_end() = TimeUtil::MillisecondsToTimestamp(to + 24 * 3600 * 1000);
  }
  v1::DeskStatistics response;
  auto context = Context();
  absl::Status st = FromGrpc(stub.GetDeskStatistics(context.get(), request, &response), *context);
  if (!st.ok()) {
    model.error =
        absl::StrCat("Không đọc được số liệu / the statistics could not be read: ", st.message());
    return model;
  }
  for (const v1::ProcedureStatistics& p : response.procedures()) model.procedures.push_back(Row(p));
  model.total = Row(response.total());
  return model;
}

void AddRoutes(httplib::Server& server, v1::DocumentService::Stub& stub, const std::string& desk) {
  server.Get("/", [&stub, desk](const httplib::Request& request, httplib::Response& response) {
    const std::string state = request.get_param_value("trang-thai");
    bool known = state.empty();
    for (const StateName& s : kStates) known |= state == v1::Document::State_Name(s.state);
    if (!known) {
      SendHtml(response, 404,
               deskweb::MessagePage("Không có trạng thái này / No such state", state));
      return;
    }
    deskweb::DocumentsPageModel model = Documents(stub, desk, state);
    SendHtml(response, model.error.empty() ? 200 : 502, deskweb::DocumentsPage(model));
  });
  server.Get("/so-dang-ky", [&stub](const httplib::Request& request, httplib::Response& response) {
    int year = 0;
    (void)absl::SimpleAtoi(request.get_param_value("nam"), &year);
    deskweb::RegisterPageModel model = Register(stub, request.get_param_value("co-quan"), year);
    SendHtml(response, model.error.empty() ? 200 : 502, deskweb::RegisterPage(model));
  });
  // The register's own CSV (ExportRegister, as `taicho register --csv`), passed through.
  server.Get(
      "/so-dang-ky.csv", [&stub](const httplib::Request& request, httplib::Response& response) {
        v1::ExportRegisterRequest call;
        call.set_agency(request.get_param_value("co-quan"));
        int year = 0;
        (void)absl::SimpleAtoi(request.get_param_value("nam"), &year);
        call.set_year(year);
        auto context = Context();
        auto reader = stub.ExportRegister(context.get(), call);
        std::string csv;
        v1::ExportRegisterChunk chunk;
        while (reader->Read(&chunk)) csv += chunk.data();
        absl::Status st = FromGrpc(reader->Finish(), *context);
        if (!st.ok()) {
          SendHtml(response, HttpStatusFor(st),
                   deskweb::MessagePage("Không xuất được sổ đăng ký / The register could not be "
                                        "exported",
                                        std::string(st.message())));
          return;
        }
        response.set_header("Content-Disposition", "attachment; filename=\"so-dang-ky.csv\"");
        response.set_content(csv, "text/csv; charset=utf-8");
      });
  server.Get("/thong-ke",
             [&stub, desk](const httplib::Request& request, httplib::Response& response) {
               deskweb::StatisticsPageModel model = Statistics(stub, desk, request);
               SendHtml(response, model.error.empty() ? 200 : 400, deskweb::StatisticsPage(model));
             });
}

int Serve(const DeskArgs& args) {
  if (!args.web) {
    return Fail(Error(ErrorCode::kUsage, "cần --web / --web is required"));
  }
  // Blocked before any thread starts (gRPC's, the site's: they inherit the mask), so that only
  // sigwait below takes them and the pages stop cleanly.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  absl::StatusOr<std::unique_ptr<v1::DocumentService::Stub>> stub =
      OpenStub<v1::DocumentService>(args.connection);
  if (!stub.ok()) return Fail(stub.status());
  LocalPagesOptions site = args.site;
  site.log_name = "desk pages";
  absl::StatusOr<std::unique_ptr<localweb::LocalSite>> pages =
      OpenLocalPages(site, [&](httplib::Server& server) { AddRoutes(server, **stub, args.desk); });
  if (!pages.ok()) return Fail(pages.status());
  int signal = 0;
  sigwait(&stop, &signal);
  (*pages)->Stop();
  std::printf("Đã dừng / stopped\n");
  return 0;
}

int RunDesk(const DeskArgs& a) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return Serve(a);
}

}  // namespace

void AddDeskCommand(CLI::App& app, Runner& run) {
  auto [cmd, args] = AddCommand<DeskArgs>(
      app, run, "desk",
      "Trang quầy cho cán bộ (127.0.0.1): văn bản theo trạng thái, sổ đăng ký (CSV), thống kê "
      "có biểu đồ / the staff's local desk pages: documents by state, register (CSV), "
      "statistics with charts",
      RunDesk);
  AddConnectionOptions(*cmd, args->connection);
  cmd->add_option("--desk", args->desk, "Chỉ quầy này / only this desk");
  cmd->add_flag("--web", args->web, "Phục vụ các trang / serve the pages");
  cmd->add_option("--web-listen", args->site.listen,
                  "Địa chỉ của trang (127.0.0.1:CỔNG, 0: cổng bất kỳ) / the pages' address "
                  "(127.0.0.1:PORT, 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--web-url-file", args->site.url_file,
                  "Ghi địa chỉ mở trang (có khóa) vào tệp này, chỉ chủ đọc được / write the "
                  "opening URL (with its key) to this file, readable by its owner only");
}

}  // namespace taicho::cli
