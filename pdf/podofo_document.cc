#include "pdf/podofo_document.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_source.h"

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

absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const std::string& path) {
  absl::StatusOr<PdfSource> source = PdfSource::Open(path);
  if (!source.ok()) return source.status();
  return LoadPdf(*source);
}

absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> LoadPdf(const PdfSource& source) {
  InitPodofo();
  absl::StatusOr<std::string> head = source.ReadAt(0, 1024);
  if (!head.ok()) return head.status();
  if (head->find("%PDF-") == std::string::npos) {
    return Error(ErrorCode::kPdfUnreadable, "no %PDF- header");
  }
  // Not PoDoFo's own file device: it makes a system call per look-ahead.
  absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> device = source.Device();
  if (!device.ok()) return device.status();
  auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
  try {
    doc->LoadFromDevice(*device);
    if (doc->GetEncrypted()) return Error(ErrorCode::kPdfEncrypted);
    if (doc->GetCatalog() == nullptr || doc->GetPageCount() <= 0) {
      return Error(ErrorCode::kPdfUnreadable, "no catalog or no pages");
    }
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "load");
  } catch (const std::exception& e) {
    return Error(ErrorCode::kPdfUnreadable, absl::StrCat("load: ", e.what()));
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
