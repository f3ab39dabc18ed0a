// Adds a signature field to a PDF in an incremental update, with a /Contents placeholder, and
// later fills the placeholder. Knows PDF objects and bytes, nothing of CMS. Most callers want
// pdf::SignatureFile (signature_file.h), which runs these steps on a file it owns.
//
// Threads: the functions may run on many threads at once on different files; a spec's
// `drawings` is shared safely. The caller owns the descriptors it passes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pdf/drawing_cache.h"
#include "pdf/dss_update.h"
#include "pdf/field_fill.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_appearance.h"

namespace taicho::pdf {

struct Rect {
  double left = 0, bottom = 0, right = 0, top = 0;  // PDF user space; all zero = invisible
};

struct SignatureFieldSpec {
  int page_index = 0;  // 0-based page that holds a new widget (an existing field keeps its page)
  // Empty: a new "Signature<N>" with the first N not in use. When it names an empty signature
  // field of the document (a draft's "officer"/"seal"), that field is filled; kUsage when that
  // field is already signed or is not a signature field.
  std::string field_name;
  std::string sub_filter = "ETSI.CAdES.detached";
  std::string type = "Sig";          // "DocTimeStamp" for a document time-stamp (PAdES B-LTA)
  std::string signing_time;          // PDF date, e.g. "D:20261128093000+07'00'" (claimed time, /M)
  std::string reason;                // UTF-8, optional
  std::string location;              // UTF-8, optional
  std::string signer_name;           // UTF-8, optional (/Name)
  size_t contents_capacity = 16384;  // DER bytes /Contents can hold (hex takes twice that)
  Rect rect;                         // new field: where; ignored when an existing field is filled
  AppearanceSpec appearance;         // drawn into /AP /N; needs signing_time and signer_name
  // 1, 2 or 3: a certification signature (DocMDP, ISO 32000-1 §12.8.2.2; the catalog's /Perms
  // names it) that allows after it nothing but DSS and document time-stamps (1), also form
  // filling and signatures (2), also annotations (3). 0: an approval signature. Only the
  // document's first signature may certify (kUsage otherwise).
  int certification = 0;
  std::vector<FieldFill> fills;  // text fields filled in this update (empty ones only)
  // The signature locks every field of the form (FieldMDP /Action /All in its /Reference, ISO
  // 32000-1 §12.8.2.4, and the field's /Lock, §12.7.4.5): a later change of any field's value,
  // flags or appearance invalidates it. The issue step sets it: the number and date it fills
  // are the document's legal identity.
  bool lock_fields = false;
  std::string font_dir = kDefaultFontDir;
  // Drawings kept for the next signatures (not owned; drawing_cache.h); nullptr: drawn afresh.
  DrawingCache* drawings = nullptr;
};

// Where the placeholder of a written update is.
struct PreparedUpdate {
  ByteRange byte_range{};       // what the signature covers: all but the /Contents hex string
  int64_t contents_offset = 0;  // offset of '<' of /Contents
  size_t contents_capacity = 0;
  int64_t file_size = 0;
  std::string field_name;
  int page_index = 0;
  Rect rect;                           // the widget's rect as written (empty: invisible)
  bool filled_existing_field = false;  // an earlier empty field was filled
  size_t appearance_bytes = 0;         // bytes of the appearance objects (XObject, image, font)
  size_t filled_fields = 0;            // text fields filled (FieldFill)
  int certification = 0;               // DocMDP P when this is a certification signature
  DssUpdateResult dss;                 // what a DSS written with it added (bytes: its objects')
};

// Copies `input_path` to `out_fd` (an empty file) and appends an update that adds a signature
// field + widget on the page, a signature dictionary with a zeroed /Contents of the given
// capacity and its final /ByteRange, the page's /Annots and the AcroForm (/SigFlags 3), and the
// appearance when one is asked for. Objects of earlier revisions are only redefined when the
// update must change them (page or its /Annots array, AcroForm or its /Fields array, catalog when
// it gains an AcroForm). Filling an existing empty field redefines that field object only (plus
// the AcroForm when its /SigFlags lacks 3). A seal's rect grows about its centre when smaller than
// the seal's real size.
// Errors: kPdfUnreadable, kPdfEncrypted, kPdfPageOutOfRange, kPdfUnsupported, kUsage (field name
// taken, field already signed, no rect for a visible signature, bad image), kIo.
absl::StatusOr<PreparedUpdate> WriteSignatureUpdate(const std::string& input_path, int out_fd,
                                                    const SignatureFieldSpec& spec);

// The same over a file already parsed (its signatures were just read to build `dss`), read
// through the parse, with `dss` (optional) added to the document's DSS in the same update, as
// WriteDssUpdate adds it: a document time-stamp written so covers the validation data it
// completes, in one update instead of two (PAdES B-LTA; pyHanko's archival time-stamps do the
// same). The plan changes the parse's objects: `pdf` must not be read afterwards.
absl::StatusOr<PreparedUpdate> WriteSignatureUpdate(const ParsedPdf& pdf, int out_fd,
                                                    const SignatureFieldSpec& spec,
                                                    const DssContent* dss = nullptr);

// Writes `der` hex-encoded into the placeholder (zero-padded). kSignatureTooLarge when it does
// not fit the capacity.
absl::Status EmbedContents(int fd, const PreparedUpdate& update, std::span<const uint8_t> der);

// Formats a Unix time as a PDF date in the Vietnam time zone (UTC+7), e.g.
// "D:20261128093000+07'00'".
std::string PdfDateVietnam(int64_t unix_seconds);

}  // namespace taicho::pdf
