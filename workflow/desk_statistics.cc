#include "workflow/desk_statistics.h"

#include <algorithm>
#include <map>

#include "vntime/vntime.h"

namespace taicho::workflow {
namespace {

struct Tally {
  ProcedureStatistics stats;
  std::vector<int64_t> durations;
};

// Nearest-rank percentile of sorted values (0 when empty).
int64_t Percentile(const std::vector<int64_t>& sorted, int percent) {
  if (sorted.empty()) return 0;
  const size_t rank = (sorted.size() * static_cast<size_t>(percent) + 99) / 100;
  return sorted[std::max<size_t>(rank, 1) - 1];
}

void Add(Tally& t, const store::DocumentRecord& d, const StatisticsQuery& q) {
  ++t.stats.received;
  if (d.state == store::DocumentState::kCancelled) ++t.stats.cancelled;
  if (d.state != store::DocumentState::kIssued) return;
  // ISSUED is final: the last update is the return.
  const int64_t took = d.update_time_ms - d.create_time_ms;
  ++t.stats.issued;
  t.durations.push_back(took);
  const bool same_day =
      vntime::VietnamDayNumber(d.create_time_ms) == vntime::VietnamDayNumber(d.update_time_ms);
  if (same_day && took <= q.on_the_spot_ms) ++t.stats.issued_on_the_spot;
}

ProcedureStatistics Finish(Tally& t) {
  std::sort(t.durations.begin(), t.durations.end());
  t.stats.median_ms = Percentile(t.durations, 50);
  t.stats.p90_ms = Percentile(t.durations, 90);
  if (t.stats.issued > 0) {
    t.stats.on_the_spot_share =
        static_cast<double>(t.stats.issued_on_the_spot) / static_cast<double>(t.stats.issued);
  }
  return t.stats;
}

}  // namespace

absl::StatusOr<std::vector<ProcedureStatistics>> ComputeDeskStatistics(store::Store& store,
                                                                       const StatisticsQuery& q,
                                                                       int64_t now_ms) {
  store::ListFilter filter;
  filter.desk = q.desk;
  filter.procedure = q.procedure;
  filter.created_from_ms = q.from_ms;
  filter.created_to_ms = q.to_ms == 0 ? now_ms : q.to_ms;
  filter.limit = 500;
  std::map<std::string, Tally> by_procedure;
  Tally all;
  for (;;) {
    absl::StatusOr<std::vector<store::DocumentRecord>> page = store.ListDocuments(filter);
    if (!page.ok()) return page.status();
    for (const store::DocumentRecord& d : *page) {
      Tally& t = by_procedure[d.procedure];
      t.stats.procedure = d.procedure;
      Add(t, d, q);
      Add(all, d, q);
    }
    if (page->size() < static_cast<size_t>(filter.limit)) break;
    filter.after = std::make_pair(page->back().create_time_ms, page->back().id);
  }
  std::vector<ProcedureStatistics> out;
  for (auto& [procedure, tally] : by_procedure) out.push_back(Finish(tally));
  out.push_back(Finish(all));
  return out;
}

}  // namespace taicho::workflow
