// Desk statistics for "4 tại chỗ": how many dossiers a desk received, how many it returned, how
// many of those on the spot, and how long receipt to return took (median, p90), per procedure.
//
// Receipt is the document's creation (the one-stop-shop creates it when the dossier is received);
// return is its move to ISSUED (printed and handed back). "On the spot" is a return within
// `on_the_spot_ms` of receipt on the same day, Vietnam time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace taicho::workflow {

struct StatisticsQuery {
  std::string desk;       // empty: every desk
  std::string procedure;  // empty: every procedure
  int64_t from_ms = 0;    // received in [from, to)
  int64_t to_ms = 0;      // 0: now
  int64_t on_the_spot_ms = 2 * 60 * 60 * 1000;
};

struct ProcedureStatistics {
  std::string procedure;
  int received = 0;
  int issued = 0;
  int issued_on_the_spot = 0;
  int cancelled = 0;
  double on_the_spot_share = 0;  // of the issued ones, 0..1
  int64_t median_ms = 0;         // receipt to return, issued ones only
  int64_t p90_ms = 0;
};

// Per procedure (sorted), plus a last row with procedure "" for all of them together.
absl::StatusOr<std::vector<ProcedureStatistics>> ComputeDeskStatistics(store::Store& store,
                                                                       const StatisticsQuery& q,
                                                                       int64_t now_ms);

}  // namespace taicho::workflow
