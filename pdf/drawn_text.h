// The text a form field's appearance stream draws, read back as Unicode: what a reader sees where
// the field is. Used to tell a field that shows one value while it holds another (a shadow
// "replace" through the appearance). Knows text-showing operators and ToUnicode maps, not layout.
// Private to pdf/. Not thread-safe: reads objects of one PoDoFo document.
#pragma once

#include <podofo/podofo.h>

#include <optional>
#include <string>
#include <vector>

namespace taicho::pdf {

// The text `xobject` (a form XObject: an appearance stream) shows, in drawing order, UTF-8, with
// the form XObjects it draws read one level down. nullopt when it cannot be told: a composite
// font without a ToUnicode map, a stream that cannot be decoded, anything unexpected. Callers
// then judge nothing from it.
std::optional<std::string> DrawnText(PoDoFo::PdfVecObjects& objects,
                                     const PoDoFo::PdfObject* xobject);

// The decoded bytes of a (small) stream; nullopt when it cannot be decoded or is over 1 MiB.
std::optional<std::string> DecodedStream(const PoDoFo::PdfObject* stream);

// A string a page's content shows, where it starts in user space (the CTM and text matrix at its
// first glyph), and its font size there.
struct PlacedText {
  double x = 0, y = 0, size = 0;
  std::string text;  // UTF-8
};

// The strings a page's content shows with where each starts (ISO 32000-1 §9.4: BT, Td, TD, Tm,
// T*, TL, cm, q/Q), in drawing order; form XObjects it draws are not entered. nullopt when its
// text cannot be told (as DrawnText).
std::optional<std::vector<PlacedText>> ReadPlaced(PoDoFo::PdfVecObjects& objects,
                                                  PoDoFo::PdfPage& page);

// `text` without white space, to compare drawn text with a value however lines were broken.
std::string WithoutSpace(const std::string& text);

}  // namespace taicho::pdf
