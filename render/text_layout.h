// The layout engine: four Liberation Serif faces, words measured with the fonts' own widths,
// greedy line breaking (a word longer than a line is cut at code points), justification by
// placing words (PoDoFo's word spacing does not act on 2-byte codes), and a display list per page
// in points from the page's top-left corner. Knows nothing of documents.
#pragma once

#include <podofo/podofo.h>
#include <unicode/uchar.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "pdf/subset_font.h"

namespace taicho::render {

inline constexpr double kPointsPerMm = 72.0 / 25.4;
inline constexpr double kA4Width = 595.28;
inline constexpr double kA4Height = 841.89;
// Liberation Serif's vertical metrics, in em.
inline constexpr double kAscent = 0.891;
inline constexpr double kDescent = 0.216;
inline constexpr double kRuleWidth = 0.6;

enum Face { kRegular = 0, kBold = 1, kItalic = 2, kBoldItalic = 3 };

class Fonts {
 public:
  // Opens the four faces in `dir` (parsed once per owner of `files`: pdf::FontFiles) and creates
  // their font objects in `doc`, completed by Embed. kIo when a font file is missing. May throw
  // PdfError.
  absl::Status Load(PoDoFo::PdfMemDocument* doc, const std::string& dir, pdf::FontFiles& files);

  pdf::SubsetFont& font(Face f) const { return *fonts_[f]; }
  // The resource name content streams use for `f` ("/F0"…).
  static const char* ResourceName(Face f);
  bool HasGlyph(Face f, UChar32 c) const;
  // Advance width of `text` at `size` points.
  double Width(Face f, std::string_view text, double size);
  // Embeds the subsets of the glyphs shown so far; after the last text is drawn.
  absl::Status Embed(int zlib_level);

 private:
  double EmWidth(Face f, UChar32 c);

  std::array<std::unique_ptr<pdf::SubsetFont>, 4> fonts_;
  std::array<std::unordered_map<UChar32, double>, 4> widths_;
};

// Adds "field: …" to `problems` for every character of `text` that `face` cannot draw.
void CheckDrawable(const Fonts& fonts, Face face, std::string_view text, std::string_view field,
                   std::vector<std::string>* problems);

struct Run {
  Face face;
  double size;
  double x;
  double baseline;
  std::string text;
};

struct Rule {
  double x1, x2, y;
};

struct PageList {
  std::vector<Run> runs;
  std::vector<Rule> rules;
  // Body lines (for keeping the signer block with the last lines): first run index and top.
  std::vector<std::pair<size_t, double>> body_lines;
};

// A piece of text in one face; `blank` > 0 makes it an empty space of that width instead, with
// `blank_id` to find where it was placed. `glue` = no space before it.
struct Piece {
  Face face = kRegular;
  std::string text;
  double blank = 0;
  int blank_id = -1;
  bool glue = false;
};

struct Word {
  Face face;
  std::string text;
  double width;
  bool glue;
  int blank_id;
  bool break_before = false;
};

enum class Align { kLeft, kCenter, kRight, kJustify };

inline constexpr int kKeepWithNext = -1;

struct Blank {
  int id;
  double x, top, width, size;
};

// Page geometry in points (A4).
struct PageFrame {
  double left, right, top, bottom;  // text area; top/bottom measured from the page top
};

class Layout {
 public:
  Layout(Fonts* fonts, PageFrame frame, double line_spacing);

  double left() const { return frame_.left; }
  double width() const { return frame_.right - frame_.left; }
  double cursor() const { return cursor_; }
  void Advance(double dy) { cursor_ += dy; }
  void set_cursor(double y) { cursor_ = y; }
  double SpaceLeft() const { return frame_.bottom - cursor_; }
  std::vector<PageList>& pages() { return pages_; }
  const std::vector<Blank>& blanks() const { return blanks_; }
  double Leading(double size) const { return size * line_spacing_; }
  double Baseline(double line_top, double size) const;

  // Places lines into `page` (no page breaks) from *top; returns the widest line's width.
  // `hanging` indents every line after the first (recipient items).
  double PlaceBlock(PageList* page, const std::vector<Piece>& pieces, double size, double x0,
                    double width, Align align, double* top, double first_indent = 0,
                    double hanging = 0);

  // A body paragraph over the full text width, breaking pages as needed. At least `keep_lines`
  // lines must fit on the page of the first line; kKeepWithNext: all of it and two lines of what
  // follows (a heading never stays alone at a page foot).
  double Paragraph(const std::vector<Piece>& pieces, double size, Align align, double first_indent,
                   int keep_lines = 1);

  void NewPage();
  // Starts a new page carrying the last `count` body lines of the current page over to it (only
  // when the current page keeps at least one other line); the cursor ends below them.
  void NewPageCarrying(int count);

 private:
  std::vector<Word> Words(const std::vector<Piece>& pieces, double size);
  std::vector<std::vector<Word>> BreakLines(const std::vector<Word>& words, double size,
                                            double first_width, double width);
  // Centred text is balanced: the narrowest width giving as few lines.
  std::vector<std::vector<Word>> Lines(const std::vector<Piece>& pieces, double size, double width,
                                       Align align, double first_indent);
  void PlaceLine(PageList* page, const std::vector<Word>& line, double size, double x0,
                 double width, Align align, bool last, double line_top);
  double SpaceWidth(Face f, double size) { return fonts_->Width(f, " ", size); }
  double LineWidth(const std::vector<Word>& line, double size);

  Fonts* fonts_;
  PageFrame frame_;
  double line_spacing_;
  double cursor_;
  std::vector<PageList> pages_;
  std::vector<Blank> blanks_;
};

}  // namespace taicho::render
