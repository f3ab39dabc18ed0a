#include "pdf/podofo_document.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_source.h"
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

absl::Status FromPodofoError(const PoDoFo::PdfError& e, const char* context) {
  const char* name = PoDoFo::PdfError::ErrorName(e.GetError());
  const std::string detail = absl::StrCat(context, ": PoDoFo ", name ? name : "error");
  switch (e.GetError()) {
    case PoDoFo::ePdfError_InvalidPassword:
    case PoDoFo::ePdfError_UnsupportedFilter:
      if (e.GetError() == PoDoFo::ePdfError_InvalidPassword) {
        return Error(ErrorCode::kPdfEncrypted, detail);
      }
      return Error(ErrorCode::kPdfUnsupported, detail);
    case PoDoFo::ePdfError_FileNotFound:
      return Error(ErrorCode::kIo, detail);
    default:
      return Error(ErrorCode::kPdfUnreadable, detail);
  }
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
  try {
    doc->LoadFromDevice(*device);
  } catch (const PoDoFo::PdfError& e) {
    // Our own reading of the cross-reference says why: some encryption PoDoFo fails on with
    // other errors (RC4 through OpenSSL 3, whose legacy provider is not loaded), or more
    // revisions than its parser follows.
    absl::StatusOr<RevisionXref> read;
    if (limits.xref == nullptr) read = ReadRevisionXref(source.path(), length);
    const RevisionXref* xref = limits.xref != nullptr ? limits.xref : read.ok() ? &*read : nullptr;
    if (!read.ok() && HasCode(read.status(), ErrorCode::kPdfTooManyRevisions)) return read.status();
    if (xref == nullptr || xref->encrypted) {
      return xref ? Error(ErrorCode::kPdfEncrypted, what) : FromPodofoError(e, what);
    }
    if (xref->sections > limits.max_revisions) return TooManyRevisions(*xref, limits);
    if (xref->sections <= kPodofoMaxRevisions) return FromPodofoError(e, what);
    const std::string tail = ConsolidatedXrefTail(*xref, length);
    if (tail.empty()) return FromPodofoError(e, what);
    device = source.Device(length, tail);
    if (!device.ok()) return device.status();
    doc = std::make_unique<PoDoFo::PdfMemDocument>();
    try {
      doc->LoadFromDevice(*device);
    } catch (const PoDoFo::PdfError& again) {
      return FromPodofoError(again, what);
    } catch (const std::exception& again) {
      return Error(ErrorCode::kPdfUnreadable, absl::StrCat(what, ": ", again.what()));
    }
  } catch (const std::exception& e) {
    return Error(ErrorCode::kPdfUnreadable, absl::StrCat(what, ": ", e.what()));
  }
  try {
    if (doc->GetEncrypted()) return Error(ErrorCode::kPdfEncrypted);
    if (doc->GetCatalog() == nullptr) return Error(ErrorCode::kPdfUnreadable, "no catalog");
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, what);
  }
  return doc;
}

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
  try {
    if ((*doc)->GetPageCount() <= 0) return Error(ErrorCode::kPdfUnreadable, "no pages");
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "load");
  }
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
