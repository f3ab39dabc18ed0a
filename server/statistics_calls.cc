// DocumentService's desk statistics call.
#include <google/protobuf/util/time_util.h>

#include "server/call_log.h"
#include "server/document_service.h"

namespace taicho::server {
namespace {

void ToProto(const workflow::ProcedureStatistics& s, v1::ProcedureStatistics* out) {
  using google::protobuf::util::TimeUtil;
  out->set_procedure(s.procedure);
  out->set_received(s.received);
  out->set_issued(s.issued);
  out->set_issued_on_the_spot(s.issued_on_the_spot);
  out->set_cancelled(s.cancelled);
  out->set_on_the_spot_share(s.on_the_spot_share);
  *out->mutable_median_receipt_to_return() = TimeUtil::MillisecondsToDuration(s.median_ms);
  *out->mutable_p90_receipt_to_return() = TimeUtil::MillisecondsToDuration(s.p90_ms);
}

}  // namespace

grpc::Status DocumentServiceImpl::GetDeskStatistics(grpc::ServerContext* context,
                                                    const v1::GetDeskStatisticsRequest* request,
                                                    v1::DeskStatistics* response) {
  return Serve(
      "GetDeskStatistics", context, auth::Operation::kReadStatistics,
      [&](Call call) -> absl::Status {
        using google::protobuf::util::TimeUtil;
        workflow::StatisticsQuery query;
        query.desk = request->desk();
        query.procedure = request->procedure();
        if (request->has_period_start()) {
          query.from_ms = TimeUtil::TimestampToMilliseconds(request->period_start());
        }
        if (request->has_period_end()) {
          query.to_ms = TimeUtil::TimestampToMilliseconds(request->period_end());
        }
        if (request->on_the_spot_minutes() < 0 || request->on_the_spot_minutes() > 7 * 24 * 60) {
          return Error(ErrorCode::kUsage, "on_the_spot_minutes: 0..10080");
        }
        if (request->on_the_spot_minutes() > 0) {
          query.on_the_spot_ms = int64_t{request->on_the_spot_minutes()} * 60 * 1000;
        }
        auto stats = workflow_.DeskStatistics(call.caller, query);
        if (!stats.ok()) return stats.status();
        for (size_t i = 0; i + 1 < stats->size(); ++i)
          ToProto((*stats)[i], response->add_procedures());
        ToProto(stats->back(), response->mutable_total());
        return absl::OkStatus();
      });
}

}  // namespace taicho::server
