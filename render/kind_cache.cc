#include "render/kind_cache.h"

#include <sys/stat.h>

#include "errors/error.h"

namespace taicho::render {
namespace {

bool Same(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const DocumentKind>> KindCache::Get(const std::string& id) {
  struct stat info {};
  // Stat before reading: a file edited in between is read again at the next ask.
  const bool stated = IsKindId(id) && ::stat((dir_ + "/" + id + ".json").c_str(), &info) == 0;
  if (stated) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end() && Same(it->second.modified, info.st_mtim) &&
        it->second.size == info.st_size) {
      return it->second.kind;
    }
  }
  absl::StatusOr<DocumentKind> loaded = LoadKind(dir_, id);
  if (!loaded.ok()) return loaded.status();
  auto kind = std::make_shared<const DocumentKind>(*std::move(loaded));
  if (stated) {
    std::lock_guard lock(mu_);
    entries_[id] = Entry{info.st_mtim, info.st_size, kind};
  }
  return kind;
}

}  // namespace taicho::render
