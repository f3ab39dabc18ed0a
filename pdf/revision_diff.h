// What the incremental updates after a signature changed (ISO 32000-1 §7.5.6, §12.8.2.2): every
// object they define, redefine or free, compared with the signed revision (the file prefix the
// signature's ByteRange ends at), grouped into changes a reader can name. Knows PDF objects, not
// CMS; whether a change is allowed after a given signature is ChangePermitted().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/parsed_pdf.h"
#include "pdf/pdf_file.h"

namespace taicho::pdf {

enum class ChangeKind {
  kNewSignature,  // a signature field, its widget, signature dictionary and appearance
  kDss,           // the catalog's /DSS and the validation data under it
  kDocTimeStamp,  // a /Type /DocTimeStamp field
  kFormFill,      // a non-signature field's value, appearance or flags
  kMetadata,      // the document information dictionary (/Info) or the XMP metadata stream
  kAnnotation,    // a non-widget annotation added, changed or removed
  kOther,         // anything else (content, pages, catalog, shadow redefinitions, …)
};

// Stable code for reports: "new_signature", "dss", "doc_timestamp", "form_fill", "metadata",
// "annotation", "other".
const char* ChangeKindCode(ChangeKind kind);

struct RevisionChange {
  ChangeKind kind = ChangeKind::kOther;
  std::string text_vi;           // e.g. "Điền trường biểu mẫu 'so' = '05'"
  std::string text_en;           // e.g. "Form field 'so' filled with '05'"
  std::vector<int64_t> objects;  // object numbers it accounts for
};

// The form fields a signature locks (ISO 32000-1 §12.8.2.4 FieldMDP, in its /Reference, and
// §12.7.4.5 the /Lock of its field): after it, their values, flags and appearances must not
// change.
struct FieldLock {
  enum class Action { kNone, kAll, kInclude, kExclude };
  Action action = Action::kNone;
  std::vector<std::string> fields;  // fully qualified names, for kInclude and kExclude
  // Whether the field `name` (fully qualified) is locked; a locked parent locks its kids.
  bool Covers(const std::string& name) const;
};

struct ChangesAfterRevision {
  // DocMDP (ISO 32000-1 §12.8.2.2) of the signature that ends the revision: 1, 2 or 3 when its
  // /Reference holds a DocMDP transform (a certification signature), 0 otherwise.
  int certification_p = 0;
  bool perms_names_signature = false;  // the signed revision's /Perms /DocMDP is this signature
  FieldLock lock;                      // the fields this signature locks
  std::vector<RevisionChange> changes;
};

// Whether a change of `kind` is allowed after a signature under DocMDP permission `docmdp_p`
// (1–3; 0 for no certification in force, i.e. approval signatures only: new signatures, DSS,
// document time-stamps and form filling, but no annotations). Metadata updates (Adobe Reader,
// iText and pyHanko rewrite /Info and the XMP packet with every signature) are allowed at every
// level, as pyHanko allows them.
bool ChangePermitted(ChangeKind kind, int docmdp_p);

// Holds the whole file's final revision (loaded lazily by PoDoFo: object headers only, the file
// stays open) for analysing the revisions of its signatures. Not thread-safe.
class RevisionAnalyzer {
 public:
  // Reads `pdf`'s final revision from its parse (shared, not copied: one reader at a time).
  // kPdfUnreadable / kIo when the file's cross-reference cannot be read.
  static absl::StatusOr<std::unique_ptr<RevisionAnalyzer>> Open(const ParsedPdf& pdf);
  ~RevisionAnalyzer();

  // The changes between the revision that ends at byte `revision_end` (a signature's
  // ByteRange[2] + ByteRange[3]) and the final one; empty when it is the final one.
  // kPdfUnreadable when the signed revision itself cannot be read.
  // `signature_ranges` (optional): the ByteRanges of the file's signatures. Their gaps are
  // where signature dictionaries keep /Contents, which the signed revision's readings then
  // need not parse (pdf/signature_dictionary.h says when that is the same reading); the result
  // is the same with or without them.
  absl::StatusOr<ChangesAfterRevision> ChangesAfter(
      int64_t revision_end, const std::vector<ByteRange>& signature_ranges = {});

 private:
  struct State;
  explicit RevisionAnalyzer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace taicho::pdf
