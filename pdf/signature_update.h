// Adds a signature field to a PDF in an incremental update, with a /Contents placeholder, and
// later fills the placeholder. Knows PDF objects and bytes, nothing of CMS.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pdf/pdf_file.h"

namespace taicho::pdf {

struct Rect {
  double left = 0, bottom = 0, right = 0, top = 0;  // PDF user space; all zero = invisible
};

struct SignatureFieldSpec {
  int page_index = 0;      // 0-based page that holds the widget
  std::string field_name;  // empty: "Signature<N>" with the first N not in use
  std::string sub_filter = "ETSI.CAdES.detached";
  std::string signing_time;          // PDF date, e.g. "D:20261128093000+07'00'" (claimed time, /M)
  std::string reason;                // UTF-8, optional
  std::string location;              // UTF-8, optional
  std::string signer_name;           // UTF-8, optional (/Name)
  size_t contents_capacity = 16384;  // DER bytes /Contents can hold (hex takes twice that)
  Rect rect;
};

// Where the placeholder of a written update is.
struct PreparedUpdate {
  ByteRange byte_range{};       // what the signature covers: all but the /Contents hex string
  int64_t contents_offset = 0;  // offset of '<' of /Contents
  size_t contents_capacity = 0;
  int64_t file_size = 0;
  std::string field_name;
};

// Copies `input_path` to `out_fd` (an empty file) and appends an update that adds a signature
// field + widget on the page, a signature dictionary with a zeroed /Contents of the given
// capacity and its final /ByteRange, the page's /Annots and the AcroForm (/SigFlags 3). Objects of
// earlier revisions are only redefined when the update must change them (page or its /Annots
// array, AcroForm or its /Fields array, catalog when it gains an AcroForm).
// Errors: kPdfUnreadable, kPdfEncrypted, kPdfPageOutOfRange, kUsage (field name taken), kIo.
absl::StatusOr<PreparedUpdate> WriteSignatureUpdate(const std::string& input_path, int out_fd,
                                                    const SignatureFieldSpec& spec);

// Writes `der` hex-encoded into the placeholder (zero-padded). kSignatureTooLarge when it does
// not fit the capacity.
absl::Status EmbedContents(int fd, const PreparedUpdate& update, std::span<const uint8_t> der);

// Formats a Unix time as a PDF date in the Vietnam time zone (UTC+7), e.g.
// "D:20261128093000+07'00'".
std::string PdfDateVietnam(int64_t unix_seconds);

}  // namespace taicho::pdf
