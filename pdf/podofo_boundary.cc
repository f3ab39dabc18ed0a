#include "pdf/podofo_boundary.h"

#include <podofo/podofo.h>

#include <new>
#include <string>

#include "absl/strings/str_cat.h"

namespace taicho::pdf {

absl::Status PodofoExceptionStatus(std::exception_ptr thrown, const char* context,
                                   ErrorCode otherwise) {
  // Rethrown here only to be told apart: the one switch on PoDoFo's error kinds.
  try {
    std::rethrow_exception(thrown);
  } catch (const PoDoFo::PdfError& e) {
    const char* name = PoDoFo::PdfError::ErrorName(e.GetError());
    const std::string detail = absl::StrCat(context, ": PoDoFo ", name ? name : "error");
    switch (e.GetError()) {
      case PoDoFo::ePdfError_InvalidPassword:
        return Error(ErrorCode::kPdfEncrypted, detail);
      case PoDoFo::ePdfError_UnsupportedFilter:
        return Error(ErrorCode::kPdfUnsupported, detail);
      case PoDoFo::ePdfError_FileNotFound:
        return Error(ErrorCode::kIo, detail);
      default:
        return Error(otherwise, detail);
    }
  } catch (const std::bad_alloc&) {
    return Error(otherwise, absl::StrCat(context, ": out of memory"));
  } catch (const std::exception& e) {
    return Error(otherwise, absl::StrCat(context, ": ", e.what()));
  } catch (...) {
    return Error(otherwise, absl::StrCat(context, ": unknown exception"));
  }
}

}  // namespace taicho::pdf
