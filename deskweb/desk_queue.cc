#include "deskweb/desk_queue.h"

#include <algorithm>

namespace taicho::deskweb {

void DeskQueue::Put(const QueueJob& job) {
  std::lock_guard<std::mutex> lock(mu_);
  rows_.erase(std::remove_if(rows_.begin(), rows_.end(),
                             [&](const QueueJob& r) { return r.key == job.key; }),
              rows_.end());
  rows_.push_front(job);
  while (rows_.size() > capacity_) rows_.pop_back();
}

void DeskQueue::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  rows_.erase(
      std::remove_if(rows_.begin(), rows_.end(), [&](const QueueJob& r) { return r.key == key; }),
      rows_.end());
}

std::vector<QueueJob> DeskQueue::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {rows_.begin(), rows_.end()};
}

}  // namespace taicho::deskweb
