// `taicho register`: the register of issued documents (sổ đăng ký văn bản đi) from taichod, as a
// table or exported to CSV for spreadsheet programs.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/service_connection.h"
#include "errors/error.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::cli {
namespace {

namespace v1 = ::taicho::v1;

struct RegisterArgs {
  ConnectionOptions connection;
  std::string agency;
  int year = 0;
  std::string csv;
};

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return context;
}

const char* StateText(v1::RegisterEntry::State state) {
  switch (state) {
    case v1::RegisterEntry::ISSUED:
      return "đã ban hành / issued";
    case v1::RegisterEntry::VOID:
      return "bỏ số / void";
    case v1::RegisterEntry::WITHDRAWN:
      return "đã thu hồi / withdrawn";
    default:
      return "chờ đóng dấu / awaiting the seal";
  }
}

// Written beside the target and renamed, so a half-written export never looks finished.
absl::Status ExportCsv(v1::DocumentService::Stub& stub, const RegisterArgs& a) {
  v1::ExportRegisterRequest request;
  request.set_agency(a.agency);
  request.set_year(a.year);
  auto context = Context();
  auto reader = stub.ExportRegister(context.get(), request);
  const std::string tmp = a.csv + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error(ErrorCode::kIo, "cannot write " + tmp);
    v1::ExportRegisterChunk chunk;
    while (reader->Read(&chunk)) out << chunk.data();
    absl::Status st = FromGrpc(reader->Finish(), *context);
    if (st.ok() && !out.flush()) st = Error(ErrorCode::kIo, "cannot write " + tmp);
    if (!st.ok()) {
      std::filesystem::remove(tmp);
      return st;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, a.csv, ec);
  if (ec) return Error(ErrorCode::kIo, "cannot write " + a.csv);
  std::printf("Đã xuất sổ đăng ký / register exported: %s\n", a.csv.c_str());
  return absl::OkStatus();
}

absl::Status PrintTable(v1::DocumentService::Stub& stub, const RegisterArgs& a) {
  v1::ListRegisterRequest request;
  request.set_agency(a.agency);
  request.set_year(a.year);
  std::string last_agency;
  int count = 0;
  do {
    auto context = Context();
    v1::ListRegisterResponse response;
    absl::Status st = FromGrpc(stub.ListRegister(context.get(), request, &response), *context);
    if (!st.ok()) return st;
    for (const v1::RegisterEntry& e : response.entries()) {
      const std::string agency = absl::StrCat(e.agency(), " — năm / year ", e.year());
      if (agency != last_agency) {
        std::printf("\n%s\n", agency.c_str());
        last_agency = agency;
      }
      std::printf("  %-14s %-10s %s\n      %s | %s | %s\n", e.number_symbol().c_str(),
                  e.issue_date().c_str(), StateText(e.state()), e.summary().c_str(),
                  e.dossier_code().c_str(),
                  e.state() == v1::RegisterEntry::VOID        ? e.void_reason().c_str()
                  : e.state() == v1::RegisterEntry::WITHDRAWN ? e.withdraw_reason().c_str()
                                                              : e.signer().c_str());
      ++count;
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  std::printf("\nSố mục / entries: %d\n", count);
  return absl::OkStatus();
}

int RunRegister(const RegisterArgs& a) {
  absl::StatusOr<std::unique_ptr<v1::DocumentService::Stub>> stub =
      OpenStub<v1::DocumentService>(a.connection);
  if (!stub.ok()) return Fail(stub.status());
  absl::Status st = a.csv.empty() ? PrintTable(**stub, a) : ExportCsv(**stub, a);
  return st.ok() ? 0 : Fail(st);
}

}  // namespace

void AddRegisterCommand(CLI::App& app, Runner& run) {
  auto [cmd, args] = AddCommand<RegisterArgs>(
      app, run, "register",
      "Sổ đăng ký văn bản đi: số, ngày ban hành, trích yếu, người ký; xuất CSV / the register of "
      "issued documents; CSV export",
      RunRegister);
  AddConnectionOptions(*cmd, args->connection);
  cmd->add_option("--agency", args->agency, "Chỉ cơ quan này / only this agency");
  cmd->add_option("--year", args->year, "Chỉ năm này / only this year")->check(CLI::Range(0, 9999));
  cmd->add_option("--csv", args->csv,
                  "Xuất ra tệp CSV (UTF-8 có BOM) / export to a CSV file (UTF-8 with BOM)");
}

}  // namespace taicho::cli
