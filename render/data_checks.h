// Prepares document data for drawing: NFC everywhere, capitals where the decree wants them, and
// every character checked against the face it will be drawn in.
#pragma once

#include "absl/status/statusor.h"
#include "render/document_data.h"
#include "render/document_kind.h"
#include "render/text_layout.h"

namespace taicho::render {

absl::StatusOr<DocumentData> NormalizeData(const DocumentData& in);

// kGlyphMissing naming each character (U+XXXX and its Unicode name) and its field.
absl::Status CheckGlyphs(const Fonts& fonts, const DocumentKind& kind, const DocumentData& d);

}  // namespace taicho::render
