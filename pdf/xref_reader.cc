#include "pdf/xref_reader.h"

#include <podofo/podofo.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_file.h"
#include "pdf/pdf_source.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_document.h"
#include "pdf/prefix_document.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfObject;

constexpr int64_t kMaxObjectNumber = 8388607;  // ISO 32000-1 Annex C

absl::Status Unreadable(const std::string& what) {
  return Error(ErrorCode::kPdfUnreadable, absl::StrCat("cross-reference: ", what));
}

// Reads of the file: through the caller's PdfSource when it has one open (the bytes it read
// whole, or its descriptor), else by path.
struct FileReads {
  const std::string& path;
  const PdfSource* source = nullptr;
  absl::StatusOr<std::string> At(int64_t offset, size_t length) const {
    return source != nullptr ? source->ReadAt(offset, length) : ReadAt(path, offset, length);
  }
};

// Sequential reads of a file through a window, for the classic table's text.
class WindowReader {
 public:
  WindowReader(const FileReads& file, int64_t pos, int64_t limit)
      : file_(file), pos_(pos), limit_(limit) {
    // A file read whole is its own window: no copy.
    if (file.source != nullptr && file.source->whole() != nullptr) {
      window_ = std::string_view(*file.source->whole())
                    .substr(0, static_cast<size_t>(std::max<int64_t>(limit_, 0)));
      window_start_ = 0;
    }
  }
  int Peek() {
    if (pos_ >= limit_) return -1;
    if (pos_ < window_start_ || pos_ >= window_start_ + static_cast<int64_t>(window_.size())) {
      const size_t want = static_cast<size_t>(std::min<int64_t>(limit_ - pos_, 1 << 16));
      absl::StatusOr<std::string> got = file_.At(pos_, want);
      if (!got.ok() || got->empty()) return -1;
      storage_ = *std::move(got);
      window_ = storage_;
      window_start_ = pos_;
    }
    return static_cast<unsigned char>(window_[pos_ - window_start_]);
  }
  int Get() {
    const int c = Peek();
    if (c >= 0) ++pos_;
    return c;
  }
  void SkipSpace() {
    for (int c = Peek(); c >= 0 && (std::isspace(c) || c == 0); c = Peek()) ++pos_;
  }
  // Digits as a number; false when there are none.
  bool Integer(int64_t& out) {
    SkipSpace();
    out = 0;
    int digits = 0;
    for (int c = Peek(); c >= 0 && std::isdigit(c) && digits < 18; c = Peek(), ++digits) {
      out = out * 10 + (c - '0');
      ++pos_;
    }
    return digits > 0;
  }
  bool Keyword(const char* word) {
    SkipSpace();
    const int64_t start = pos_;
    for (const char* w = word; *w; ++w) {
      if (Get() != static_cast<unsigned char>(*w)) {
        pos_ = start;
        return false;
      }
    }
    return true;
  }
  int64_t pos() const { return pos_; }
  // Whether the next two bytes end a table entry: " \r", " \n" or "\r\n" (not consumed).
  bool TwoByteEndOfLine() {
    const int64_t start = pos_;
    const int a = Get(), b = Get();
    pos_ = start;
    return (a == ' ' && (b == '\r' || b == '\n')) || (a == '\r' && b == '\n');
  }

 private:
  const FileReads& file_;
  int64_t pos_;
  int64_t limit_;
  std::string storage_;      // the window's bytes when read from the file
  std::string_view window_;  // storage_, or the whole file held by the source
  int64_t window_start_ = -1;
};

std::string RefText(const PdfObject* o) {
  if (o == nullptr || !o->IsReference()) return {};
  return absl::StrCat(o->GetReference().ObjectNumber(), " ", o->GetReference().GenerationNumber());
}

int64_t IntKey(const PoDoFo::PdfDictionary& d, const char* key, int64_t fallback) {
  const PdfObject* o = d.GetKey(key);
  return o && o->IsNumber() ? o->GetNumber() : fallback;
}

// Parses one object (or, with `trailer`, a bare dictionary) at `offset` with PoDoFo.
struct ParsedObject {
  PoDoFo::PdfVecObjects owner;
  std::unique_ptr<PoDoFo::PdfParserObject> object;
};

absl::StatusOr<std::unique_ptr<ParsedObject>> ParseAt(const PoDoFo::PdfRefCountedInputDevice& dev,
                                                      int64_t offset, bool trailer) {
  // PoDoFo throws on what it cannot parse: ReadRevisionXref is the boundary.
  auto parsed = std::make_unique<ParsedObject>();
  PoDoFo::PdfRefCountedBuffer buffer(4096);  // PoDoFo's own token buffer size
  parsed->object = std::make_unique<PoDoFo::PdfParserObject>(&parsed->owner, dev, buffer, offset);
  parsed->object->SetLoadOnDemand(false);
  parsed->object->ParseFile(nullptr, trailer);
  if (!parsed->object->IsDictionary()) return Unreadable("trailer is not a dictionary");
  return parsed;
}

class SectionReader {
 public:
  // `device` reads `path` (the whole file: an object is parsed as far as it goes).
  SectionReader(const FileReads& file, int64_t limit, PoDoFo::PdfRefCountedInputDevice device)
      : file_(file), limit_(limit), device_(std::move(device)) {}

  absl::Status ReadChain(int64_t start, RevisionXref& out) {
    int64_t next = start;
    bool newest = true;
    while (next >= 0) {
      if (!visited_.insert(next).second) return Unreadable("the /Prev chain loops");
      if (++out.sections > kMaxRevisionsRead) {
        return Error(ErrorCode::kPdfTooManyRevisions,
                     absl::StrCat("more than ", kMaxRevisionsRead, " revisions"));
      }
      if (next >= limit_) return Unreadable("a section lies after the revision's end");
      absl::StatusOr<int64_t> prev = ReadSection(next, out, newest);
      if (!prev.ok()) return prev.status();
      newest = false;
      next = *prev;
    }
    return absl::OkStatus();
  }

 private:
  static void Put(RevisionXref& out, int64_t number, const XrefEntry& e) {
    if (number > 0 && number <= kMaxObjectNumber) out.entries.emplace(number, e);  // newest wins
  }

  void TakeTrailer(const PoDoFo::PdfDictionary& d, RevisionXref& out, bool newest) {
    if (d.HasKey("Encrypt")) out.encrypted = true;
    if (!newest) return;
    out.root_ref = RefText(d.GetKey("Root"));
    out.info_ref = RefText(d.GetKey("Info"));
    out.size = IntKey(d, "Size", 0);
    if (const PdfObject* id = d.GetKey("ID"); id != nullptr && id->IsArray()) {
      out.id = Serialize(*id);
    }
  }

  // Returns the /Prev offset, -1 when none.
  absl::StatusOr<int64_t> ReadSection(int64_t offset, RevisionXref& out, bool newest) {
    WindowReader r(file_, offset, limit_);
    if (!r.Keyword("xref")) return ReadStream(offset, out, newest);
    for (;;) {
      int64_t first = 0, count = 0;
      if (r.Keyword("trailer")) break;
      if (!r.Integer(first) || !r.Integer(count) || count < 0 || first + count > kMaxObjectNumber) {
        return Unreadable(absl::StrCat("bad subsection header in the table at ", offset));
      }
      for (int64_t i = 0; i < count; ++i) {
        int64_t f2 = 0, f3 = 0;
        r.SkipSpace();
        const int64_t start = r.pos();
        if (!r.Integer(f2) || !r.Integer(f3)) return Unreadable("bad table entry");
        r.SkipSpace();
        const int kind = r.Get();
        if (kind != 'n' && kind != 'f') return Unreadable("bad table entry type");
        // "nnnnnnnnnn ggggg n" and a two-byte end of line: 20 bytes (ISO 32000-1 §7.5.4).
        if (r.pos() - start != 18 || !r.TwoByteEndOfLine()) out.standard_tables = false;
        Put(out, first + i, XrefEntry{static_cast<char>(kind), f2, f3});
      }
    }
    absl::StatusOr<std::unique_ptr<ParsedObject>> trailer = ParseAt(device_, r.pos(), true);
    if (!trailer.ok()) return trailer.status();
    const PoDoFo::PdfDictionary& d = (*trailer)->object->GetDictionary();
    TakeTrailer(d, out, newest);
    // Hybrid file: the table's entries win over its stream's, both over older sections.
    if (const int64_t stm = IntKey(d, "XRefStm", -1); stm >= 0) {
      if (stm >= limit_ || !visited_.insert(stm).second) return Unreadable("bad /XRefStm");
      absl::StatusOr<int64_t> ignored = ReadStream(stm, out, false);
      if (!ignored.ok()) return ignored.status();
    }
    return IntKey(d, "Prev", -1);
  }

  absl::StatusOr<int64_t> ReadStream(int64_t offset, RevisionXref& out, bool newest) {
    absl::StatusOr<std::unique_ptr<ParsedObject>> parsed = ParseAt(device_, offset, false);
    if (!parsed.ok()) return parsed.status();
    PoDoFo::PdfParserObject& xref = *(*parsed)->object;
    const PoDoFo::PdfDictionary& d = xref.GetDictionary();
    const PdfObject* type = d.GetKey("Type");
    if (type == nullptr || !type->IsName() || type->GetName().GetName() != "XRef") {
      return Unreadable(absl::StrCat("no table and no xref stream at ", offset));
    }
    out.xref_streams.insert(xref.Reference().ObjectNumber());
    TakeTrailer(d, out, newest);
    const PdfObject* w = d.GetKey("W");
    if (w == nullptr || !w->IsArray() || w->GetArray().size() != 3) return Unreadable("bad /W");
    int widths[3];
    for (int i = 0; i < 3; ++i) {
      const PdfObject& n = w->GetArray()[i];
      if (!n.IsNumber() || n.GetNumber() < 0 || n.GetNumber() > 8) return Unreadable("bad /W");
      widths[i] = static_cast<int>(n.GetNumber());
    }
    const int row = widths[0] + widths[1] + widths[2];
    if (row == 0) return Unreadable("bad /W");
    std::vector<std::pair<int64_t, int64_t>> index;  // (first, count)
    if (const PdfObject* ix = d.GetKey("Index"); ix && ix->IsArray()) {
      const PoDoFo::PdfArray& a = ix->GetArray();
      for (size_t i = 0; i + 1 < a.size(); i += 2) {
        if (!a[i].IsNumber() || !a[i + 1].IsNumber()) return Unreadable("bad /Index");
        index.emplace_back(a[i].GetNumber(), a[i + 1].GetNumber());
      }
    } else {
      index.emplace_back(0, IntKey(d, "Size", 0));
    }
    char* raw = nullptr;
    PoDoFo::pdf_long length = 0;
    xref.GetStream()->GetFilteredCopy(&raw, &length);
    std::unique_ptr<char, void (*)(void*)> data(raw, PoDoFo::podofo_free);
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.get());
    int64_t at = 0;
    auto field = [&](int width, int64_t fallback) {
      if (width == 0) return fallback;
      int64_t v = 0;
      for (int k = 0; k < width; ++k) v = (v << 8) | bytes[at++];
      return v;
    };
    for (const auto& [first, count] : index) {
      if (first < 0 || count < 0 || first + count > kMaxObjectNumber) return Unreadable("/Index");
      for (int64_t i = 0; i < count; ++i) {
        if (at + row > length) return Unreadable("xref stream shorter than its /Index");
        const int64_t t = field(widths[0], 1);
        const int64_t f2 = field(widths[1], 0);
        const int64_t f3 = field(widths[2], 0);
        if (t == 0) {
          Put(out, first + i, XrefEntry{'f', f2, f3});
        } else if (t == 1) {
          Put(out, first + i, XrefEntry{'n', f2, f3});
        } else if (t == 2) {
          Put(out, first + i, XrefEntry{'c', f2, f3});
          out.object_streams.insert(f2);
        }  // other types: ignored, as ISO 32000-1 §7.5.8.3 asks
      }
    }
    return IntKey(d, "Prev", -1);
  }

  const FileReads& file_;
  int64_t limit_;
  PoDoFo::PdfRefCountedInputDevice device_;
  std::set<int64_t> visited_;
};

// The value of the last "startxref" before `end`.
absl::StatusOr<int64_t> StartXrefBefore(const FileReads& file, int64_t end) {
  const int64_t tail_len = std::min<int64_t>(end, 4096);
  absl::StatusOr<std::string> tail = file.At(end - tail_len, static_cast<size_t>(tail_len));
  if (!tail.ok()) return tail.status();
  const std::optional<int64_t> value = LastStartXref(*tail);
  if (!value) return Unreadable("no startxref before the revision's end");
  if (*value >= end) return Unreadable("startxref points outside the revision");
  return *value;
}

absl::StatusOr<RevisionXref> ReadXref(const FileReads& file, int64_t revision_end,
                                      const PoDoFo::PdfRefCountedInputDevice& device,
                                      int64_t start) {
  RevisionXref out;
  return AtPodofoBoundary("cross-reference", [&]() -> absl::StatusOr<RevisionXref> {
    SectionReader reader(file, revision_end, device);
    absl::Status st = reader.ReadChain(start, out);
    if (!st.ok()) return st;
    return out;
  });
}

}  // namespace

absl::StatusOr<RevisionXref> ReadRevisionXref(const std::string& path, int64_t revision_end) {
  InitPodofo();
  const FileReads file{path};
  absl::StatusOr<int64_t> start = StartXrefBefore(file, revision_end);
  if (!start.ok()) return start.status();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error(ErrorCode::kIo, absl::StrCat("cannot stat ", path, ": ", std::strerror(errno)));
  }
  // Buffered and read without a stream sentry per character (pdf/prefix_document.h): PoDoFo's
  // own file device seeks back after every character it peeks at (ftello, fgetc, fseeko), which
  // made reading the trailers a tenth of verifying a small signed file.
  absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> device =
      OpenBufferedDevice(path, static_cast<int64_t>(st.st_size));
  if (!device.ok()) return device.status();
  return ReadXref(file, revision_end, *device, *start);
}

absl::StatusOr<RevisionXref> ReadRevisionXref(const PdfSource& source, int64_t revision_end) {
  InitPodofo();
  const FileReads file{source.path(), &source};
  absl::StatusOr<int64_t> start = StartXrefBefore(file, revision_end);
  if (!start.ok()) return start.status();
  absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> device = source.Device();
  if (!device.ok()) return device.status();
  return ReadXref(file, revision_end, *device, *start);
}

std::string ConsolidatedXrefTail(const RevisionXref& xref, int64_t at) {
  const int64_t self = (xref.entries.empty() ? 0 : xref.entries.rbegin()->first) + 1;
  const int64_t size = self + 1;
  const int64_t stream_at = at + 1;  // after the line break that starts the tail
  if (stream_at > 0xFFFFFFFFLL || xref.root_ref.empty()) return {};
  // /W [1 4 2]: type, offset or object stream, generation or index.
  std::string rows(static_cast<size_t>(size) * 7, '\0');
  auto put = [&](int64_t number, int type, int64_t field2, int64_t field3) {
    char* row = rows.data() + number * 7;
    row[0] = static_cast<char>(type);
    for (int i = 0; i < 4; ++i) row[1 + i] = static_cast<char>((field2 >> (8 * (3 - i))) & 0xFF);
    row[5] = static_cast<char>((field3 >> 8) & 0xFF);
    row[6] = static_cast<char>(field3 & 0xFF);
  };
  put(0, 0, 0, 0xFFFF);
  for (const auto& [number, e] : xref.entries) {
    if (e.field2 < 0 || e.field2 > 0xFFFFFFFFLL || e.field3 < 0 || e.field3 > 0xFFFF) return {};
    put(number, e.type == 'n' ? 1 : e.type == 'c' ? 2 : 0, e.field2, e.field3);
  }
  put(self, 1, stream_at, 0);
  std::string tail = absl::StrCat("\n", self, " 0 obj\n<< /Type /XRef /Size ", size,
                                  " /W [1 4 2] /Root ", xref.root_ref, " R");
  if (!xref.info_ref.empty()) absl::StrAppend(&tail, " /Info ", xref.info_ref, " R");
  if (!xref.id.empty()) absl::StrAppend(&tail, " /ID ", xref.id);
  absl::StrAppend(&tail, " /Length ", rows.size(), " >>\nstream\n", rows,
                  "\nendstream\nendobj\nstartxref\n", stream_at, "\n%%EOF\n");
  return tail;
}

}  // namespace taicho::pdf
