// A text field of a document filled in a signature's update (the issue step's number and date),
// apart from the rest of pdf/signature_update.h so that render/ can make fills without knowing
// how the update is written. Plain values; no ownership or thread concerns.
#pragma once

#include <string>

namespace taicho::pdf {

// A text field of the document filled in the same update as the signature: the issue step's
// number and date go into the approved document together with the agency's signature (Decree
// 30/2020). The value is drawn in the font and size the field's /DA names, a TrueType file of
// that name in `SignatureFieldSpec::font_dir` (e.g. /LiberationSerif-Italic → …-Italic.ttf).
// A field whose dictionary holds a line template (kFieldLineTemplateKey, a text string with
// "{}" once) is a whole line: the template with "{}" replaced by the value is what its
// appearance draws and what its /V holds ("Số: {}/QĐ-UBND" filled with "05").
struct FieldFill {
  std::string name;   // fully qualified field name, e.g. "so"
  std::string value;  // UTF-8
};

inline constexpr char kFieldLineTemplateKey[] = "TaichoLine";

inline constexpr char kDefaultFontDir[] = "/usr/share/fonts/truetype/liberation2";

}  // namespace taicho::pdf
