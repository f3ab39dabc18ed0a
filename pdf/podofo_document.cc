#include "pdf/podofo_document.h"

#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_source.h"
#include "pdf/podofo_boundary.h"
#include "pdf/xref_reader.h"

namespace taicho::pdf {

void InitPodofo() {
  static std::once_flag once;
  std::call_once(once, [] {
    PoDoFo::PdfError::EnableDebug(false);
    PoDoFo::PdfError::EnableLogging(false);
    PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance();
    PoDoFo::PdfEncodingFactory::GlobalWinAnsiEncodingInstance();
    PoDoFo::PdfEncodingFactory::GlobalPdfDocEncodingInstance();
  });
}

absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadDocument(const PdfSource& source,
                                                                     int64_t length,
                                                                     const LoadLimits& limits,
                                                                     const char* what) {
  InitPodofo();
  // Not PoDoFo's own file device: it makes a system call per look-ahead.
  absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> device = source.Device(length);
  if (!device.ok()) return device.status();
  auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
  auto load = [&] {
    return AtPodofoBoundary(what, [&] {
      doc->LoadFromDevice(*device);
      return absl::OkStatus();
    });
  };
  if (absl::Status loaded = load(); !loaded.ok()) {
    // Our own reading of the cross-reference says why: some encryption PoDoFo fails on with
    // other errors (RC4 through OpenSSL 3, whose legacy provider is not loaded), or more
    // revisions than its parser follows.
    absl::StatusOr<RevisionXref> read;
    if (limits.xref == nullptr) read = ReadRevisionXref(source.path(), length);
    const RevisionXref* xref = limits.xref != nullptr ? limits.xref : read.ok() ? &*read : nullptr;
    if (!read.ok() && HasCode(read.status(), ErrorCode::kPdfTooManyRevisions)) return read.status();
    if (xref == nullptr || xref->encrypted) {
      return xref ? Error(ErrorCode::kPdfEncrypted, what) : loaded;
    }
    if (xref->sections > limits.max_revisions) return TooManyRevisions(*xref, limits);
    // Our reader understood the cross-reference where PoDoFo did not (more than 127 revisions,
    // or a cross-reference stream PoDoFo 0.9.8 misreads, as other writers make them): PoDoFo
    // reads the objects again through one section of ours.
    const std::string tail = ConsolidatedXrefTail(*xref, length);
    if (tail.empty()) return loaded;
    device = source.Device(length, tail);
    if (!device.ok()) return device.status();
    doc = std::make_unique<PoDoFo::PdfMemDocument>();
    if (absl::Status again = load(); !again.ok()) return again;
  }
  absl::Status usable = AtPodofoBoundary(what, [&] {
    if (doc->GetEncrypted()) return Error(ErrorCode::kPdfEncrypted);
    if (doc->GetCatalog() == nullptr) return Error(ErrorCode::kPdfUnreadable, "no catalog");
    return absl::OkStatus();
  });
  if (!usable.ok()) return usable;
  return doc;
}

namespace {

// The page tree from the catalog: a node listed twice (a loop, or a page under two parents) is
// refused, as other readers refuse it; signing such a file made one qpdf rejects.
absl::Status CheckPageTree(PoDoFo::PdfMemDocument& doc) {
  PoDoFo::PdfVecObjects& objects = doc.GetObjects();
  auto resolve = [&](const PoDoFo::PdfObject* o) -> const PoDoFo::PdfObject* {
    return o != nullptr && o->IsReference() ? objects.GetObject(o->GetReference()) : o;
  };
  const PoDoFo::PdfObject* root = resolve(doc.GetCatalog()->GetDictionary().GetKey("Pages"));
  std::set<const PoDoFo::PdfObject*> seen;
  std::vector<std::pair<const PoDoFo::PdfObject*, int>> stack = {{root, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (node == nullptr || !node->IsDictionary()) continue;
    if (!seen.insert(node).second || depth > 256) {
      return Error(ErrorCode::kPdfUnreadable, "the page tree loops or lists a node twice");
    }
    const PoDoFo::PdfObject* kids = resolve(node->GetDictionary().GetKey("Kids"));
    if (kids == nullptr || !kids->IsArray()) continue;
    for (const PoDoFo::PdfObject& kid : kids->GetArray())
      stack.push_back({resolve(&kid), depth + 1});
    if (seen.size() > 1000000) break;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TooManyRevisions(const RevisionXref& xref, const LoadLimits& limits) {
  return Error(ErrorCode::kPdfTooManyRevisions,
               absl::StrCat(xref.sections, " > max_revisions ", limits.max_revisions));
}

absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const std::string& path) {
  absl::StatusOr<PdfSource> source = PdfSource::Open(path);
  if (!source.ok()) return source.status();
  return LoadPdf(*source);
}

absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const PdfSource& source,
                                                                int64_t length,
                                                                const LoadLimits& limits) {
  absl::StatusOr<std::string> head = source.ReadAt(0, 1024);
  if (!head.ok()) return head.status();
  if (head->find("%PDF-") == std::string::npos) {
    return Error(ErrorCode::kPdfUnreadable, "no %PDF- header");
  }
  if (length < 0) {
    absl::StatusOr<int64_t> end = LastRevisionEnd(source, source.size());
    if (!end.ok()) return end.status();
    length = *end;
  }
  absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> doc =
      LoadDocument(source, length, limits, "load");
  if (!doc.ok()) return doc.status();
  absl::Status pages = AtPodofoBoundary("load", [&] {
    if (absl::Status st = CheckPageTree(**doc); !st.ok()) return st;
    if ((*doc)->GetPageCount() <= 0) return Error(ErrorCode::kPdfUnreadable, "no pages");
    return absl::OkStatus();
  });
  if (!pages.ok()) return pages;
  return doc;
}

std::string FileInfoRef(PoDoFo::PdfMemDocument& doc) {
  const PoDoFo::PdfObject* trailer = doc.GetTrailer();
  if (trailer == nullptr || !trailer->IsDictionary()) return "";
  const PoDoFo::PdfObject* info = trailer->GetDictionary().GetKey("Info");
  if (info == nullptr || !info->IsReference()) return "";
  const PoDoFo::PdfReference ref = info->GetReference();
  // Objects read from the file are parser objects; the invented one is not.
  if (dynamic_cast<PoDoFo::PdfParserObject*>(doc.GetObjects().GetObject(ref)) == nullptr) {
    return "";
  }
  return RefString(ref);
}

std::string RefString(const PoDoFo::PdfReference& ref) {
  return absl::StrCat(ref.ObjectNumber(), " ", ref.GenerationNumber(), " R");
}

std::string Serialize(const PoDoFo::PdfObject& object) {
  std::string out;
  object.ToString(out, PoDoFo::ePdfWriteMode_Compact);
  return out;
}

}  // namespace taicho::pdf
