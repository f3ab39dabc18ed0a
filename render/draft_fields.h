// Empty signature fields in a draft: where the signing steps will put each appearance.
#pragma once

#include <podofo/podofo.h>

#include <string>
#include <vector>

namespace taicho::render {

struct DraftField {
  std::string name;  // "officer", "seal"
  int page_index = 0;
  double left = 0, bottom = 0, width = 0, height = 0;  // PDF user space
};

// Adds unsigned signature fields (merged field + widget, /FT /Sig, Print flag, no /V) to the
// pages' /Annots and a new AcroForm. Call on a new document after its pages exist. May throw
// PdfError.
void AddDraftSignatureFields(PoDoFo::PdfMemDocument* doc, const std::vector<DraftField>& fields);

}  // namespace taicho::render
