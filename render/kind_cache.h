// Document kinds read once and reused while their file is unchanged. taichod needs a kind for
// every draft it renders and every seal that issues a number; parsing the kind's JSON costs far
// more than the stat() that says whether an operator has edited it since.
#pragma once

#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "render/document_kind.h"

namespace taicho::render {

class KindCache {
 public:
  explicit KindCache(std::string dir) : dir_(std::move(dir)) {}

  // LoadKind(dir, id), from memory while the file keeps its size and modification time.
  // Thread-safe. Unknown or invalid kinds are not remembered (each ask reports it afresh).
  absl::StatusOr<std::shared_ptr<const DocumentKind>> Get(const std::string& id);

 private:
  struct Entry {
    timespec modified{};
    off_t size = 0;
    std::shared_ptr<const DocumentKind> kind;
  };

  const std::string dir_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace taicho::render
