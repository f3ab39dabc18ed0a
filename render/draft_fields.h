// Empty fields in a draft: the signature fields where the signing steps put each appearance, and
// the text fields the issue step fills with the number and the date (render/issue_fields.h).
#pragma once

#include <podofo/podofo.h>

#include <optional>
#include <string>
#include <vector>

namespace taicho::render {

struct DraftField {
  std::string name;  // "officer", "seal"
  int page_index = 0;
  double left = 0, bottom = 0, width = 0, height = 0;  // PDF user space
};

struct DraftTextField {
  DraftField where;
  // The font file's stem in the font directory, also its name in the form's /DR and the field's
  // /DA, so whoever fills the field draws it in the face the layout reserved it for.
  std::string font = "LiberationSerif-Regular";
  // The page's font of that face, for /DR.
  std::optional<PoDoFo::PdfReference> font_object;
  double font_size = 13;
  int alignment = 1;  // /Q: 0 left, 1 centre, 2 right
  // The draft's appearance (/AP /N, a Form XObject of `where`'s size), or none.
  PoDoFo::PdfObject* appearance = nullptr;
  // The filled line with "{}" for the value (pdf::kFieldLineTemplateKey), or none.
  std::string line_template;
};

// Adds unsigned signature fields (merged field + widget, /FT /Sig, Print flag, no /V) and empty
// text fields (/FT /Tx, Print flag, no /V, aligned by /Q, with their draft appearance and line
// template when given) to the pages' /Annots and a new AcroForm.
// Call on a new document after its pages exist. May throw PdfError.
void AddDraftFields(PoDoFo::PdfMemDocument* doc, const std::vector<DraftField>& signatures,
                    const std::vector<DraftTextField>& texts);

}  // namespace taicho::render
