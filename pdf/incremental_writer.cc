#include "pdf/incremental_writer.h"

#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errors/error.h"
#include "pdf/pdf_file.h"

namespace taicho::pdf {
namespace {

// Calls fn(first, count, begin, end) for each run of consecutive object numbers: one
// cross-reference subsection each.
template <typename Map, typename Fn>
void ForEachRun(const Map& entries, Fn fn) {
  auto it = entries.begin();
  while (it != entries.end()) {
    auto run_end = it;
    int64_t count = 0;
    while (run_end != entries.end() && run_end->first == it->first + count) {
      ++run_end;
      ++count;
    }
    fn(it->first, count, it, run_end);
    it = run_end;
  }
}

constexpr size_t kFlushBytes = 1 << 20;

}  // namespace

absl::Status IncrementalWriter::Append(std::string_view bytes) {
  pending_ += bytes;
  offset_ += static_cast<int64_t>(bytes.size());
  // Large objects (a DSS's certificates and responses) go out before the buffer grows big.
  return pending_.size() >= kFlushBytes ? Flush() : absl::OkStatus();
}

absl::Status IncrementalWriter::Flush() {
  const int64_t start = offset_ - static_cast<int64_t>(pending_.size());
  absl::Status st = WriteAt(
      fd_, start,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pending_.data()), pending_.size()));
  pending_.clear();
  return st;
}

absl::StatusOr<int64_t> IncrementalWriter::AddObject(int64_t number, int generation,
                                                     const std::string& body) {
  if (number <= 0 || entries_.count(number) != 0) {
    return Error(ErrorCode::kInternal, absl::StrCat("object ", number, " written twice"));
  }
  entries_[number] = Entry{offset_, generation};
  const std::string header = absl::StrCat(number, " ", generation, " obj\n");
  absl::Status st = Append(header);
  if (!st.ok()) return st;
  const int64_t body_offset = offset_;
  // Appended in place: a seal's image is tens of KB, not worth a concatenated copy.
  st = Append(body);
  if (st.ok()) st = Append("\nendobj\n");
  if (!st.ok()) return st;
  return body_offset;
}

std::string IncrementalWriter::XrefTable(const TrailerInfo& trailer, int64_t size) const {
  std::string out = "xref\n0 1\n0000000000 65535 f\r\n";
  ForEachRun(entries_, [&](int64_t first, int64_t count, auto begin, auto end) {
    absl::StrAppend(&out, first, " ", count, "\n");
    for (auto it = begin; it != end; ++it) {
      absl::StrAppend(
          &out, absl::StrFormat("%010d %05d n\r\n", it->second.offset, it->second.generation));
    }
  });
  absl::StrAppend(&out, "trailer\n<< /Size ", size, " /Root ", trailer.root_ref);
  if (!trailer.info_ref.empty()) absl::StrAppend(&out, " /Info ", trailer.info_ref);
  if (!trailer.id_array.empty()) absl::StrAppend(&out, " /ID ", trailer.id_array);
  absl::StrAppend(&out, " /Prev ", trailer.prev_xref, " >>\n");
  return out;
}

std::string IncrementalWriter::XrefStream(const TrailerInfo& trailer, int64_t self_number) const {
  // Field widths: type (1 byte), offset (enough bytes for the largest), generation (2 bytes).
  int offset_width = 1;
  while (offset_width < 8 && (offset_ >> (8 * offset_width)) != 0) ++offset_width;
  std::string data;
  std::string index;
  auto put = [&](int64_t offset, int generation) {
    data.push_back(static_cast<char>(1));
    for (int b = offset_width - 1; b >= 0; --b) {
      data.push_back(static_cast<char>((offset >> (8 * b)) & 0xff));
    }
    data.push_back(static_cast<char>((generation >> 8) & 0xff));
    data.push_back(static_cast<char>(generation & 0xff));
  };
  std::map<int64_t, Entry> all = entries_;
  all[self_number] = Entry{offset_, 0};
  ForEachRun(all, [&](int64_t first, int64_t count, auto begin, auto end) {
    absl::StrAppend(&index, index.empty() ? "" : " ", first, " ", count);
    for (auto it = begin; it != end; ++it) put(it->second.offset, it->second.generation);
  });
  const int64_t size = std::max<int64_t>(trailer.previous_size, self_number + 1);
  std::string out = absl::StrCat(self_number, " 0 obj\n<< /Type /XRef /Size ", size, " /Index [",
                                 index, "] /W [1 ", offset_width, " 2] /Root ", trailer.root_ref);
  if (!trailer.info_ref.empty()) absl::StrAppend(&out, " /Info ", trailer.info_ref);
  if (!trailer.id_array.empty()) absl::StrAppend(&out, " /ID ", trailer.id_array);
  absl::StrAppend(&out, " /Prev ", trailer.prev_xref, " /Length ", data.size(), " >>\nstream\n",
                  data, "\nendstream\nendobj\n");
  return out;
}

absl::StatusOr<int64_t> IncrementalWriter::Finish(const TrailerInfo& trailer) {
  const int64_t highest = entries_.empty() ? 0 : entries_.rbegin()->first;
  const int64_t xref_offset = offset_;
  std::string section;
  if (trailer.xref_stream) {
    const int64_t self_number = std::max<int64_t>(trailer.previous_size, highest + 1);
    section = XrefStream(trailer, self_number);
  } else {
    section = XrefTable(trailer, std::max<int64_t>(trailer.previous_size, highest + 1));
  }
  absl::StrAppend(&section, "startxref\n", xref_offset, "\n%%EOF\n");
  absl::Status st = Append(section);
  if (st.ok()) st = Flush();
  if (!st.ok()) return st;
  return offset_;
}

}  // namespace taicho::pdf
