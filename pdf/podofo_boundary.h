// The one place where PoDoFo's exceptions become statuses (errors/error.h codes).
//
// PoDoFo 0.9.8 reports failure by throwing PdfError, and its containers may throw std::bad_alloc
// or another std::exception on hostile sizes. No exception may leave pdf/, render/ or print/:
// each public entry point that calls PoDoFo runs the calls through AtPodofoBoundary, which
// returns what was thrown as a status with a stable code and an English detail for logs.
//
// Thread rules: stateless; safe from any thread (PoDoFo's own thread rules still apply to the
// objects the body touches).
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "errors/error.h"

namespace taicho::pdf {

// The status for `thrown`, caught while doing `context` (a short English phrase):
//   PdfError InvalidPassword → kPdfEncrypted, UnsupportedFilter → kPdfUnsupported,
//   FileNotFound → kIo, any other PdfError → `otherwise`;
//   std::bad_alloc and any other exception → `otherwise`, the detail saying which.
// `thrown` must not be null.
absl::Status PodofoExceptionStatus(std::exception_ptr thrown, const char* context,
                                   ErrorCode otherwise = ErrorCode::kPdfUnreadable);

// Runs `body` (returning absl::Status or absl::StatusOr<T>) and returns its result, or the status
// of whatever it threw (PodofoExceptionStatus). `otherwise` is the code of failures PoDoFo does
// not classify: kPdfUnreadable where the bytes came from outside, kInternal where we wrote them.
template <typename Body>
auto AtPodofoBoundary(const char* context, Body&& body,
                      ErrorCode otherwise = ErrorCode::kPdfUnreadable)
    -> std::invoke_result_t<Body> {
  try {
    return std::forward<Body>(body)();
  } catch (...) {
    return PodofoExceptionStatus(std::current_exception(), context, otherwise);
  }
}

}  // namespace taicho::pdf
