// Private to pdf/: scratch documents already drawn, kept to be copied out again (DrawnCache).
//
// Ownership: one per DrawingCache (drawing_cache.h), whose owner decides its lifetime; entries are
// shared_ptr so that one evicted while in use lives until its user is done.
// Threads: thread-safe; an entry's PoDoFo objects are used under its own mutex.
// Exceptions: `draw` and `use` may throw (PoDoFo); the lock is released on unwinding and the
// caller's AtPodofoBoundary turns the exception into a status.
#pragma once

#include <podofo/podofo.h>

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "pdf/appearance_objects.h"
#include "pdf/subset_font.h"

namespace taicho::pdf {

// Scratch documents already drawn, font subsets embedded, kept to be copied out again: the
// agency's seal is the same for every seal, and the issue number and date are drawn with one
// subset per font and line template, while loading and subsetting a font or placing an image is
// most of what drawing them costs. Each copy is renumbered, and its subset retagged, for its
// update: the same objects drawing afresh would give. A few dozen entries; the least recently used
// go. Owned by a DrawingCache (drawing_cache.h); thread-safe.
class DrawnCache {
 public:
  struct Entry {
    std::unique_ptr<PoDoFo::PdfMemDocument> doc;
    PoDoFo::PdfObject* root = nullptr;     // the Form XObject, owned by doc
    PoDoFo::PdfFont* font = nullptr;       // a font to draw more with (owned by doc), if any
    std::shared_ptr<const FontFile> file;  // the font file of a field text subset, if any
    std::optional<ObjectsTemplate> copy;   // root's (or font's) objects, once first copied
    std::mutex mu;                         // one user of the PoDoFo objects at a time
  };
  using Draw = std::function<absl::StatusOr<std::shared_ptr<Entry>>()>;
  using Use = std::function<absl::Status(Entry&)>;

  // Runs `use` on the entry `key` names (`draw` makes it on a miss), one thread at a time.
  absl::Status With(const std::string& key, const Draw& draw, const Use& use) {
    std::shared_ptr<Entry> entry = Find(key);
    if (entry == nullptr) {
      absl::StatusOr<std::shared_ptr<Entry>> drawn = draw();
      if (!drawn.ok()) return drawn.status();
      entry = Put(key, *std::move(drawn));
    }
    std::lock_guard lock(entry->mu);
    return use(*entry);  // PoDoFo may throw: the public entry points are the boundary
  }

  // The drawing `key` names, copied out from `first_number`.
  absl::StatusOr<DrawnAppearance> CopyOut(const std::string& key, int64_t first_number,
                                          const Draw& draw) {
    DrawnAppearance out;
    absl::Status st = With(key, draw, [&](Entry& entry) {
      if (!entry.copy) {
        absl::StatusOr<ObjectsTemplate> made =
            ObjectsTemplate::Make(entry.doc->GetObjects(), entry.root);
        if (!made.ok()) return made.status();
        entry.copy = *std::move(made);
      }
      out.xobject_number = first_number;
      entry.copy->Write(first_number, SubsetTag(first_number), out.objects);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

 private:
  static constexpr size_t kCapacity = 32;

  std::shared_ptr<Entry> Find(const std::string& key) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == key) {
        entries_.splice(entries_.begin(), entries_, it);
        return it->second;
      }
    }
    return nullptr;
  }

  // The entry to use: `entry`, or the one another thread put under `key` meanwhile.
  std::shared_ptr<Entry> Put(const std::string& key, std::shared_ptr<Entry> entry) {
    std::lock_guard lock(mu_);
    for (const auto& [known, existing] : entries_) {
      if (known == key) return existing;
    }
    entries_.emplace_front(key, entry);
    if (entries_.size() > kCapacity) entries_.pop_back();
    return entry;
  }

  std::mutex mu_;
  std::list<std::pair<std::string, std::shared_ptr<Entry>>> entries_;  // most recent first
};

}  // namespace taicho::pdf
