// What the print station's page shows of its own work: each print job it took up and how it
// ended (printing, waiting to try again, printed, failed with the printer's reason), newest
// first. The station writes it as it goes; the page reads a copy. Documents still waiting for
// the station are not here: the page asks the service for them when it is drawn.
//
// Thread-safe: the station's thread writes, the local site's handler threads read.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace taicho::deskweb {

enum class JobStage {
  kPrinting,  // taken up: downloading, verifying, at the printer
  kRetryDue,  // its last print failed; tried again at `retry_at_ms`
  kPrinted,   // the printer finished; confirmed
  kFailed,    // the printer did not finish (or the document was not printed); see `reason`
};

struct QueueJob {
  std::string key;       // one row per key: "job:{sequence}" or "print:{print_id}"
  std::string document;  // "documents/{id}"
  std::string dossier_code;
  std::string title;
  JobStage stage = JobStage::kPrinting;
  std::string reason;          // kFailed: the printer's reason (or why it was not printed)
  std::string reprint_reason;  // a reprint's reason; empty for a first print
  int64_t time_ms = 0;         // when the row last changed (a failure: when it failed)
  int64_t retry_at_ms = 0;     // kRetryDue only
};

class DeskQueue {
 public:
  explicit DeskQueue(size_t capacity = 200) : capacity_(capacity) {}

  // Adds the row, or replaces the one with the same key (moving it to the front). The oldest
  // rows beyond the capacity are dropped.
  void Put(const QueueJob& job);
  // Removes the row with this key, if any.
  void Remove(const std::string& key);
  // The rows, newest first.
  std::vector<QueueJob> Snapshot() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<QueueJob> rows_;  // newest first
};

}  // namespace taicho::deskweb
