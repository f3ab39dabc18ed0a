// Appends one incremental update (ISO 32000-1 §7.5.6) to a file that already holds the previous
// revision: new and changed objects, then a cross-reference section of the same kind as the
// previous one (table or stream) whose /Prev points at it. It never rewrites a byte before the
// previous end of file, and writes only the objects it is given.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::pdf {

struct TrailerInfo {
  int64_t prev_xref = 0;      // the previous startxref
  bool xref_stream = false;   // write a cross-reference stream (else a table)
  int64_t previous_size = 0;  // the previous trailer's /Size
  std::string root_ref;       // "12 0 R"
  std::string info_ref;       // "" when the document has no /Info
  std::string id_array;       // serialised /ID value ("[<..><..>]"), "" when absent
};

// Not thread-safe; one per update.
class IncrementalWriter {
 public:
  // Writes at `fd` from `start_offset` (the end of the previous revision).
  IncrementalWriter(int fd, int64_t start_offset) : fd_(fd), offset_(start_offset) {}

  // Appends "N G obj\n<body>\nendobj\n" and returns the offset where `body` starts, so callers can
  // find placeholders inside it. Each object number is written at most once.
  absl::StatusOr<int64_t> AddObject(int64_t number, int generation, const std::string& body);

  // Appends the xref section, trailer and %%EOF and writes out what is still buffered (objects
  // are written in batches, not one system call each). Returns the new end of file.
  absl::StatusOr<int64_t> Finish(const TrailerInfo& trailer);

  int64_t offset() const { return offset_; }

 private:
  absl::Status Append(std::string_view bytes);
  absl::Status Flush();
  std::string XrefTable(const TrailerInfo& trailer, int64_t size) const;
  std::string XrefStream(const TrailerInfo& trailer, int64_t self_number) const;

  struct Entry {
    int64_t offset;
    int generation;
  };
  int fd_;
  int64_t offset_;       // the end of what is written, buffered bytes included
  std::string pending_;  // the bytes before offset_ not written to fd_ yet
  std::map<int64_t, Entry> entries_;
};

}  // namespace taicho::pdf
