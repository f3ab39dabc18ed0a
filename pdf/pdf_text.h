// Text for PoDoFo drawing: NFC first (PoDoFo 0.9.8 does no shaping, so a decomposed Vietnamese
// mark would be drawn misplaced), and PDF strings from UTF-8.
#pragma once

#include <podofo/podofo.h>

#include <string>

namespace taicho::pdf {

// `utf8` in NFC; unchanged when ICU cannot normalise it.
std::string Nfc(const std::string& utf8);

// A PDF text string from UTF-8 (PoDoFo encodes it for the font or as UTF-16BE).
PoDoFo::PdfString PdfText(const std::string& utf8);

}  // namespace taicho::pdf
