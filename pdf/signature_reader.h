// Finds the signatures of a PDF and the exact bytes each one covers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/parsed_pdf.h"
#include "pdf/pdf_file.h"

namespace taicho::pdf {

struct EmbeddedSignature {
  std::string field_name;                     // fully qualified, UTF-8
  std::string type;                           // "Sig" or "DocTimeStamp"
  std::string sub_filter;                     // e.g. "ETSI.CAdES.detached"
  std::string signing_time;                   // /M as written (PDF date), may be empty
  std::string reason, location, signer_name;  // UTF-8
  ByteRange byte_range{};
  std::vector<uint8_t> contents;   // DER from the file bytes the ByteRange leaves out, padding cut
  bool covers_whole_file = false;  // the ranges end at the end of the file
  // Set when the ByteRange is malformed: not starting at 0, overlapping, outside the file, or the
  // gap is not exactly the hex string of this signature's own /Contents.
  std::string byte_range_problem;
  int page_index = -1;  // page of the widget, -1 when unknown
};

// All signature fields that have a value, in the order their signed revisions end (earliest
// first). A file without signatures gives an empty list. kPdfUnreadable for unparsable files.
absl::StatusOr<std::vector<EmbeddedSignature>> ReadSignatures(const std::string& path);
absl::StatusOr<std::vector<EmbeddedSignature>> ReadSignatures(const ParsedPdf& pdf);

// Every "/ByteRange [a b c d]" written anywhere in the file's bytes, in file order: the
// signatures of every revision, also one a later update took out of the form, which
// ReadSignatures (reading the final revision) cannot see. Streams the file in 1 MiB pieces.
absl::StatusOr<std::vector<ByteRange>> ScanByteRanges(const std::string& path);

}  // namespace taicho::pdf
