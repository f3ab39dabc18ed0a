// TrueType fonts embedded as small subsets written by us, not by PoDoFo: PoDoFo 0.9.8 reads the
// whole file for every document, keeps hinting and every table, and was the largest cost of a
// render (bench/render_bench: zlib, FreeType and page faults). Here a font file is parsed once per
// owner (FontFiles); each document notes the glyphs its text shows (SubsetFont) and, once its
// content is written, embeds a HarfBuzz subset (glyph closure, hinting dropped, only the tables
// a PDF reader uses) as a Type0 / CIDFontType2 font with Identity-H, widths and a ToUnicode map,
// so the text stays extractable. PoDoFo still writes the objects.
//
// Codes in content streams are the glyph ids of the original file, two bytes each, as PoDoFo's
// own Identity-H subsets wrote them; the subset renumbers glyphs densely and the font's
// CIDToGIDMap maps one to the other. No shaping: one code point, one glyph (text is NFC first).
//
// Ownership and threads: a FontFile is immutable and may be shared by any number of threads
// (HarfBuzz faces and fonts are safe for concurrent reads); FontFiles::Open may be called from any
// thread, files it opened stay as long as the FontFiles (a handful). A SubsetFont belongs to
// one document and is used by the one thread that builds it.
#pragma once

#include <podofo/podofo.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taicho::pdf {

class FontFile {
 public:
  // The TrueType file at `path`, parsed now (a few milliseconds: keep it in a FontFiles).
  // kIo when it is missing or is not a font with glyphs.
  static absl::StatusOr<std::shared_ptr<const FontFile>> Read(const std::string& path);

  ~FontFile();
  FontFile(const FontFile&) = delete;
  FontFile& operator=(const FontFile&) = delete;

  // The glyph the font's Unicode cmap gives `c`; 0 (.notdef) when it has none.
  uint32_t Glyph(char32_t c) const;
  // The advance of `glyph` in thousandths of an em (the unit of PDF widths).
  double Advance(uint32_t glyph) const;
  const std::string& postscript_name() const { return postscript_name_; }
  // The ascender and descender (negative) in thousandths of an em, from hhea as FreeType (and so
  // PoDoFo) reads them unless OS/2 asks for its typographic metrics.
  double ascent() const;
  double descent() const;

  struct Parts;  // HarfBuzz objects, private to subset_font.cc

 private:
  explicit FontFile(std::unique_ptr<Parts> parts);
  friend class SubsetFont;

  std::unique_ptr<Parts> parts_;
  std::string postscript_name_;
};

// Parsed font files by path, kept for as long as their owner lives: whoever renders or seals many
// times owns one (the workflow keeps one in its pdf::DrawingCache, shared by rendering and the
// seal's field texts; a benchmark keeps one), a one-shot command parses for its one document.
// Bounded by the few paths the renderers name. Thread-safe: share one among any number of threads.
class FontFiles {
 public:
  FontFiles() = default;
  FontFiles(const FontFiles&) = delete;
  FontFiles& operator=(const FontFiles&) = delete;

  // The file at `path`, parsed on first use and kept; parsed again when its size or modification
  // time changed. kIo when it is missing or is not a font with glyphs.
  absl::StatusOr<std::shared_ptr<const FontFile>> Open(const std::string& path);

 private:
  struct Entry {
    int64_t size = 0;
    int64_t mtime_sec = 0, mtime_nsec = 0;
    std::shared_ptr<const FontFile> file;
  };
  std::mutex mu_;
  std::map<std::string, Entry> files_;
};

class SubsetFont {
 public:
  // A font object in `objects` (the document's), referenced from content now and completed by
  // Embed. May throw PdfError.
  SubsetFont(std::shared_ptr<const FontFile> file, PoDoFo::PdfVecObjects* objects);
  SubsetFont(const SubsetFont&) = delete;
  SubsetFont& operator=(const SubsetFont&) = delete;

  const FontFile& file() const { return *file_; }
  PoDoFo::PdfReference reference() const { return font_->Reference(); }

  // `utf8` as the hex string operand a content stream shows ("<0024004C>"), its glyphs noted for
  // the subset. A code point the font lacks shows .notdef: callers check Glyph() first.
  std::string Show(std::string_view utf8);

  // Writes the descendant font, its descriptor, the subset font file, the widths and the
  // ToUnicode map, the streams deflated at `zlib_level`; once, after the last Show. kInternal when
  // HarfBuzz cannot subset the font. May throw PdfError.
  absl::Status Embed(int zlib_level);

 private:
  std::shared_ptr<const FontFile> file_;
  PoDoFo::PdfVecObjects* objects_;
  PoDoFo::PdfObject* font_;
  std::map<uint32_t, char32_t> used_;  // glyph → the code point it first showed
};

// `data` deflated at `level` (zlib, 1–9) as `object`'s stream, /Filter /FlateDecode.
// May throw PdfError.
void SetDeflatedStream(PoDoFo::PdfObject* object, std::string_view data, int level);

}  // namespace taicho::pdf
