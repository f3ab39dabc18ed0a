// `taicho levels`: sealed documents by PAdES level from taichod — the level each has, the
// policy's, whether an upgrade is pending (and when the worker tries next, and why the last try
// failed), and the next archival renewal date.
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/service_connection.h"
#include "errors/error.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::cli {
namespace {

namespace v1 = ::taicho::v1;

struct LevelsArgs {
  ConnectionOptions connection;
  std::string level;
  bool pending = false;
  int limit = 100;
};

std::string When(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "—";
  return google::protobuf::util::TimeUtil::ToString(t);
}

absl::Status PrintLevels(v1::DocumentService::Stub& stub, const LevelsArgs& a) {
  v1::ListDocumentLevelsRequest request;
  request.set_level(a.level);
  request.set_upgrade_pending_only(a.pending);
  request.set_page_size(a.limit);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ListDocumentLevelsResponse response;
  absl::Status st = FromGrpc(stub.ListDocumentLevels(&context, request, &response), context);
  if (!st.ok()) return st;
  int pending = 0;
  for (const v1::DocumentLevel& d : response.documents()) {
    std::printf("%s  %s (chính sách / policy %s)\n", d.document().c_str(), d.level().c_str(),
                d.target_level().c_str());
    if (d.upgrade_pending()) {
      ++pending;
      std::printf(
          "    chờ nâng mức / upgrade pending, lần thử tới / next try %s (%d lần lỗi / "
          "failed attempts)\n",
          When(d.next_upgrade_time()).c_str(), d.failed_attempts());
    }
    if (!d.upgrade_problem().empty()) {
      std::printf("    lỗi / problem: %s\n", d.upgrade_problem().c_str());
    }
    std::printf("    gia hạn lưu trữ / archival renewal: %s\n",
                When(d.next_renewal_time()).c_str());
  }
  std::printf("\nSố văn bản / documents: %d, chờ nâng mức / upgrades pending: %d\n",
              response.documents_size(), pending);
  return absl::OkStatus();
}

int RunLevels(const LevelsArgs& a) {
  absl::StatusOr<std::unique_ptr<v1::DocumentService::Stub>> stub =
      OpenStub<v1::DocumentService>(a.connection);
  if (!stub.ok()) return Fail(stub.status());
  absl::Status st = PrintLevels(**stub, a);
  return st.ok() ? 0 : Fail(st);
}

}  // namespace

void AddLevelsCommand(CLI::App& app, Runner& run) {
  auto [cmd, args] = AddCommand<LevelsArgs>(
      app, run, "levels",
      "Mức PAdES của văn bản đã đóng dấu, nâng mức đang chờ, ngày gia hạn lưu trữ / sealed "
      "documents by PAdES level, pending upgrades and archival renewal dates",
      RunLevels);
  AddConnectionOptions(*cmd, args->connection);
  cmd->add_option("--level", args->level, "Chỉ mức này / only this level (B-B … B-LTA)");
  cmd->add_flag("--pending", args->pending, "Chỉ văn bản chờ nâng mức / only pending upgrades");
  cmd->add_option("--limit", args->limit, "Tối đa / at most")->check(CLI::Range(1, 1000));
}

}  // namespace taicho::cli
