// The text a form field's appearance stream draws, read back as Unicode: what a reader sees where
// the field is. Used to tell a field that shows one value while it holds another (a shadow
// "replace" through the appearance). Knows text-showing operators and ToUnicode maps, not layout.
// Private to pdf/. Not thread-safe: reads objects of one PoDoFo document.
#pragma once

#include <podofo/podofo.h>

#include <optional>
#include <string>

namespace taicho::pdf {

// The text `xobject` (a form XObject: an appearance stream) shows, in drawing order, UTF-8, with
// the form XObjects it draws read one level down. nullopt when it cannot be told: a composite
// font without a ToUnicode map, a stream that cannot be decoded, anything unexpected. Callers
// then judge nothing from it.
std::optional<std::string> DrawnText(PoDoFo::PdfVecObjects& objects,
                                     const PoDoFo::PdfObject* xobject);

// The decoded bytes of a (small) stream; nullopt when it cannot be decoded or is over 1 MiB.
std::optional<std::string> DecodedStream(const PoDoFo::PdfObject* stream);

// `text` without white space, to compare drawn text with a value however lines were broken.
std::string WithoutSpace(const std::string& text);

}  // namespace taicho::pdf
