// DocumentService's register calls: the register of issued documents, as entries and as CSV.
#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "server/call_log.h"
#include "server/document_service.h"
#include "workflow/register_csv.h"

namespace taicho::server {
namespace {

constexpr int kDefaultRegisterPage = 100;
constexpr int kMaxRegisterPage = 1000;
constexpr size_t kCsvChunkBytes = 64 * 1024;

void ToProto(const store::RegisterEntry& e, v1::RegisterEntry* out) {
  using google::protobuf::util::TimeUtil;
  out->set_agency(e.agency);
  out->set_year(e.year);
  out->set_number(e.number);
  out->set_state(static_cast<v1::RegisterEntry::State>(static_cast<int>(e.state)));
  out->set_document("documents/" + e.document_id);
  out->set_number_symbol(workflow::NumberSymbol(e));
  out->set_issue_date(e.issue_date);
  out->set_kind(e.kind);
  out->set_summary(e.summary);
  out->set_dossier_code(e.dossier_code);
  out->set_signer(e.signer);
  out->set_sealer(e.sealer);
  *out->mutable_allocate_time() = TimeUtil::MillisecondsToTimestamp(e.allocate_time_ms);
  if (e.issue_time_ms != 0) {
    *out->mutable_issue_time() = TimeUtil::MillisecondsToTimestamp(e.issue_time_ms);
  }
  out->set_void_reason(e.void_reason);
  out->set_withdraw_reason(e.withdraw_reason);
  if (e.withdraw_time_ms != 0) {
    *out->mutable_withdraw_time() = TimeUtil::MillisecondsToTimestamp(e.withdraw_time_ms);
  }
}

absl::StatusOr<store::RegisterFilter> FilterOf(const std::string& agency, int year) {
  if (year < 0 || year > 9999) return Error(ErrorCode::kUsage, "year: 0 hoặc / or 1..9999");
  store::RegisterFilter filter;
  filter.agency = agency;
  if (year != 0) filter.year = year;
  return filter;
}

}  // namespace

grpc::Status DocumentServiceImpl::ListRegister(grpc::ServerContext* context,
                                               const v1::ListRegisterRequest* request,
                                               v1::ListRegisterResponse* response) {
  return Serve(
      "ListRegister", context, auth::Operation::kReadRegister, [&](Call call) -> absl::Status {
        absl::StatusOr<store::RegisterFilter> filter = FilterOf(request->agency(), request->year());
        if (!filter.ok()) return filter.status();
        if (request->page_size() < 0) return Error(ErrorCode::kUsage, "page_size: âm / negative");
        filter->limit = request->page_size() == 0
                            ? kDefaultRegisterPage
                            : std::min(request->page_size(), kMaxRegisterPage);
        if (request->state() != v1::RegisterEntry::STATE_UNSPECIFIED) {
          if (!v1::RegisterEntry::State_IsValid(request->state())) {
            return Error(ErrorCode::kUsage, "state");
          }
          filter->state = static_cast<store::RegisterState>(static_cast<int>(request->state()));
        }
        // The token is the offset of the next entry (the register only grows at its end).
        if (!request->page_token().empty() &&
            (!absl::SimpleAtoi(request->page_token(), &filter->offset) || filter->offset < 0)) {
          return Error(ErrorCode::kUsage, "page_token");
        }
        ++filter->limit;  // one more than asked tells whether another page exists
        auto entries = workflow_.ListRegister(call.caller, *filter);
        if (!entries.ok()) return entries.status();
        const size_t page = static_cast<size_t>(filter->limit - 1);
        if (entries->size() > page) {
          entries->resize(page);
          response->set_next_page_token(std::to_string(filter->offset + static_cast<int>(page)));
        }
        for (const store::RegisterEntry& e : *entries) ToProto(e, response->add_entries());
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::ExportRegister(
    grpc::ServerContext* context, const v1::ExportRegisterRequest* request,
    grpc::ServerWriter<v1::ExportRegisterChunk>* writer) {
  return Serve(
      "ExportRegister", context, auth::Operation::kReadRegister, [&](Call call) -> absl::Status {
        absl::StatusOr<store::RegisterFilter> filter = FilterOf(request->agency(), request->year());
        if (!filter.ok()) return filter.status();
        // A register holds at most a few thousand entries a year: one query, then chunks.
        filter->limit = 1 << 20;
        auto entries = workflow_.ListRegister(call.caller, *filter);
        if (!entries.ok()) return entries.status();
        const std::string csv = workflow::RegisterCsv(*entries);
        for (size_t at = 0; at < csv.size() && !context->IsCancelled(); at += kCsvChunkBytes) {
          v1::ExportRegisterChunk chunk;
          chunk.set_data(csv.substr(at, kCsvChunkBytes));
          if (!writer->Write(chunk)) break;
        }
        return absl::OkStatus();
      });
}

}  // namespace taicho::server
