// The print rendition of a signed document: a separate PDF made for paper, carrying the conversion
// mark the Law on Electronic Transactions 20/2023/QH15 (Art. 12) asks of a paper copy — that it
// was converted from an electronic document, which system holds the original, who converted it
// and when — with a QR code of the verification reference. The signed PDF is only read, never
// changed.
//
// The rendition holds only what it draws: the signed file's signature dictionaries, form fields
// and every other object its pages and catalog no longer reach are left out (a verifier finds no
// /ByteRange in it to report as a removed signature).
//
// The mark is one Form XObject drawn on every page in the bottom margin, right-aligned to the
// right margin (Decree 30: bottom ≥ 20 mm, right ≥ 15 mm), so it stays outside the text area and
// clear of the draft's own QR code at the bottom left of the last page. Text is Liberation Serif,
// embedded as an Identity-H subset with ToUnicode (extractable), NFC-normalised.
//
// Thread-compatible: separate calls may run on separate threads (each has its own document).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace taicho::print {

struct ConversionMark {
  // The mark's first line; a province may prescribe its own wording.
  std::string wording = "Bản in từ văn bản điện tử";
  // The system holding the electronic original.
  std::string system_name = "taicho";
  // The document's verification reference (required), and what the QR code carries: `url` when
  // set (e.g. a verification page naming the reference), else the reference itself.
  std::string reference;
  std::string url;
  // The converting officer (required).
  std::string officer;
  // The conversion time, Unix milliseconds; 0 means now. Drawn as ISO 8601 with +07:00.
  int64_t time_ms = 0;
};

struct PrintOptions {
  std::string font_dir = "/usr/share/fonts/truetype/liberation2";
  double margin_bottom_mm = 20;  // the mark fits below this
  double margin_right_mm = 15;   // and ends at this distance from the right edge
  double qr_size_mm = 14;
  double font_size = 7.5;  // shrunk (down to 5.5 pt) when a line would not fit
};

struct PrintRendition {
  std::string path;
  int page_count = 0;
  int flattened_appearances = 0;  // printable annotation appearances drawn into the pages
  // Objects of the signed file the rendition does not draw or need (signature dictionaries,
  // fields, superseded objects), left out of it.
  int dropped_objects = 0;
  std::string time_iso;  // the conversion time as drawn
  uint64_t file_size = 0;
};

// Reads `signed_pdf` and writes the rendition to `out_pdf` (through a temporary file renamed on
// success; `out_pdf` must differ from `signed_pdf`). Errors: kUsage (reference or officer
// missing, same path, text that cannot fit in the margin), kPdfUnreadable / kPdfEncrypted (input),
// kIo (font, output), kInternal.
absl::StatusOr<PrintRendition> MakePrintRendition(const std::string& signed_pdf,
                                                  const std::string& out_pdf,
                                                  const ConversionMark& mark,
                                                  const PrintOptions& options = {});

}  // namespace taicho::print
