#include "render/text_layout.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errors/error.h"
#include "render/unicode_text.h"

namespace taicho::render {

absl::Status Fonts::Load(PoDoFo::PdfMemDocument* doc, const std::string& dir,
                         pdf::FontFiles& files) {
  static constexpr std::array<const char*, 4> kFiles = {
      "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf",
      "LiberationSerif-BoldItalic.ttf"};
  for (int f = 0; f < 4; ++f) {
    absl::StatusOr<std::shared_ptr<const pdf::FontFile>> file =
        files.Open(absl::StrCat(dir, "/", kFiles[f]));
    if (!file.ok()) return file.status();
    fonts_[f] = std::make_unique<pdf::SubsetFont>(*std::move(file), &doc->GetObjects());
  }
  return absl::OkStatus();
}

const char* Fonts::ResourceName(Face f) {
  static constexpr std::array<const char*, 4> kNames = {"F0", "F1", "F2", "F3"};
  return kNames[f];
}

bool Fonts::HasGlyph(Face f, UChar32 c) const { return fonts_[f]->file().Glyph(c) != 0; }

double Fonts::Width(Face f, std::string_view text, double size) {
  double em = 0;
  ForEachCodePoint(text, [&](UChar32 c) { em += EmWidth(f, c); });
  return em * size / 1000.0;
}

double Fonts::EmWidth(Face f, UChar32 c) {
  auto it = widths_[f].find(c);
  if (it != widths_[f].end()) return it->second;
  // As PoDoFo measured: the advance of the cmap's glyph, .notdef's for a missing one (the
  // layout never draws those: CheckGlyphs refuses them first), nothing beyond the BMP.
  double w = 0;
  if (c <= 0xFFFF) {
    const pdf::FontFile& file = fonts_[f]->file();
    w = file.Advance(file.Glyph(c));
  }
  widths_[f].emplace(c, w);
  return w;
}

absl::Status Fonts::Embed(int zlib_level) {
  for (auto& font : fonts_) {
    if (absl::Status s = font->Embed(zlib_level); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void CheckDrawable(const Fonts& fonts, Face face, std::string_view text, std::string_view field,
                   std::vector<std::string>* problems) {
  ForEachCodePoint(text, [&](UChar32 c) {
    if (IsSpace(c) || fonts.HasGlyph(face, c)) return;
    if (problems->size() >= 20) return;
    char name[128] = {};
    UErrorCode status = U_ZERO_ERROR;
    u_charName(c, U_UNICODE_CHAR_NAME, name, sizeof name, &status);
    problems->push_back(absl::StrFormat(
        "%s: ký tự U+%04X%s không có trong phông chữ / the font cannot draw U+%04X%s",
        std::string(field), c, name[0] ? absl::StrCat(" (", name, ")") : "", c,
        name[0] ? absl::StrCat(" (", name, ")") : ""));
  });
}

Layout::Layout(Fonts* fonts, PageFrame frame, double line_spacing)
    : fonts_(fonts), frame_(frame), line_spacing_(std::max(1.0, line_spacing)) {
  pages_.emplace_back();
  cursor_ = frame_.top;
}

double Layout::Baseline(double line_top, double size) const {
  return line_top + (Leading(size) - (kAscent + kDescent) * size) / 2 + kAscent * size;
}

std::vector<Word> Layout::Words(const std::vector<Piece>& pieces, double size) {
  std::vector<Word> words;
  for (const Piece& p : pieces) {
    if (p.blank > 0) {
      words.push_back({p.face, "", p.blank, p.glue, p.blank_id});
      continue;
    }
    bool first = true;
    for (std::string& w : SplitWords(p.text)) {
      const bool forced = w[0] == '\n';
      if (forced) w.erase(0, 1);
      const double width = fonts_->Width(p.face, w, size);
      words.push_back({p.face, std::move(w), width, first && p.glue, -1, forced});
      first = false;
    }
  }
  return words;
}

std::vector<std::vector<Word>> Layout::BreakLines(const std::vector<Word>& words, double size,
                                                  double first_width, double width) {
  std::vector<std::vector<Word>> lines(1);
  double used = 0;
  auto avail = [&] { return lines.size() == 1 ? first_width : width; };
  for (const Word& original : words) {
    Word word = original;
    if (word.break_before && !lines.back().empty()) {
      lines.emplace_back();
      used = 0;
    }
    while (true) {
      const double space = lines.back().empty() || word.glue ? 0 : SpaceWidth(word.face, size);
      if (used + space + word.width <= avail() + 1e-6) {
        used += space + word.width;
        lines.back().push_back(std::move(word));
        break;
      }
      if (!lines.back().empty()) {
        lines.emplace_back();
        used = 0;
        continue;
      }
      // Alone on the line and still too wide: cut off the longest prefix that fits.
      std::string head;
      size_t cut = 0;
      int32_t i = 0;
      const int32_t n = static_cast<int32_t>(word.text.size());
      while (i < n) {
        int32_t next = i;
        U8_FWD_1(reinterpret_cast<const uint8_t*>(word.text.data()), next, n);
        if (fonts_->Width(word.face, std::string_view(word.text).substr(0, next), size) > avail() &&
            cut > 0) {
          break;
        }
        cut = static_cast<size_t>(next);
        i = next;
      }
      if (cut >= word.text.size()) {  // a blank or a single glyph wider than the line
        lines.back().push_back(std::move(word));
        lines.emplace_back();
        used = 0;
        break;
      }
      Word first = word;
      first.text = word.text.substr(0, cut);
      first.width = fonts_->Width(word.face, first.text, size);
      lines.back().push_back(std::move(first));
      lines.emplace_back();
      used = 0;
      word.text = word.text.substr(cut);
      word.width = fonts_->Width(word.face, word.text, size);
      word.glue = false;
    }
  }
  if (lines.back().empty() && lines.size() > 1) lines.pop_back();
  return lines;
}

std::vector<std::vector<Word>> Layout::Lines(const std::vector<Piece>& pieces, double size,
                                             double width, Align align, double first_indent) {
  const std::vector<Word> words = Words(pieces, size);
  auto lines = BreakLines(words, size, width - first_indent, width);
  if (align != Align::kCenter || lines.size() < 2) return lines;
  double lo = 0;
  double hi = width;
  for (int i = 0; i < 14; ++i) {
    const double mid = (lo + hi) / 2;
    if (BreakLines(words, size, mid - first_indent, mid).size() <= lines.size()) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return BreakLines(words, size, hi - first_indent, hi);
}

void Layout::PlaceLine(PageList* page, const std::vector<Word>& line, double size, double x0,
                       double width, Align align, bool last, double line_top) {
  double natural = 0;
  double words_only = 0;
  int gaps = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    words_only += line[i].width;
    if (i > 0 && !line[i].glue) {
      natural += SpaceWidth(line[i].face, size);
      ++gaps;
    }
  }
  natural += words_only;
  double x = x0;
  double gap_extra = 0;
  if (align == Align::kCenter) x = x0 + (width - natural) / 2;
  if (align == Align::kRight) x = x0 + width - natural;
  if (align == Align::kJustify && !last && gaps > 0 && natural < width) {
    gap_extra = (width - natural) / gaps;
  }
  const double baseline = Baseline(line_top, size);
  for (size_t i = 0; i < line.size(); ++i) {
    const Word& w = line[i];
    if (i > 0 && !w.glue) x += SpaceWidth(w.face, size) + gap_extra;
    if (w.blank_id >= 0) blanks_.push_back({w.blank_id, x, line_top, w.width, size});
    if (!w.text.empty()) page->runs.push_back({w.face, size, x, baseline, w.text});
    x += w.width;
  }
}

double Layout::PlaceBlock(PageList* page, const std::vector<Piece>& pieces, double size, double x0,
                          double width, Align align, double* top, double first_indent,
                          double hanging) {
  auto lines = hanging > 0
                   ? BreakLines(Words(pieces, size), size, width - first_indent, width - hanging)
                   : Lines(pieces, size, width, align, first_indent);
  double widest = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const double indent = i == 0 ? first_indent : hanging;
    PlaceLine(page, lines[i], size, x0 + indent, width - indent, align, i + 1 == lines.size(),
              *top);
    widest = std::max(widest, LineWidth(lines[i], size));
    *top += Leading(size);
  }
  return widest;
}

double Layout::Paragraph(const std::vector<Piece>& pieces, double size, Align align,
                         double first_indent, int keep_lines) {
  auto lines = Lines(pieces, size, width(), align, first_indent);
  const int n = static_cast<int>(lines.size());
  const int keep = keep_lines == kKeepWithNext ? n + 2 : std::min(keep_lines, n + 1);
  if (cursor_ + keep * Leading(size) > frame_.bottom + 1e-6) NewPage();
  double widest = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (cursor_ + Leading(size) > frame_.bottom + 1e-6) NewPage();
    const double indent = i == 0 ? first_indent : 0;
    PageList& page = pages_.back();
    page.body_lines.emplace_back(page.runs.size(), cursor_);
    PlaceLine(&page, lines[i], size, frame_.left + indent, width() - indent, align,
              i + 1 == lines.size(), cursor_);
    widest = std::max(widest, LineWidth(lines[i], size));
    cursor_ += Leading(size);
  }
  return widest;
}

void Layout::NewPage() {
  pages_.emplace_back();
  cursor_ = frame_.top;
}

void Layout::NewPageCarrying(int count) {
  PageList& old = pages_.back();
  const int n = static_cast<int>(old.body_lines.size());
  if (count <= 0 || n <= count) {
    NewPage();
    return;
  }
  const auto [first_run, first_top] = old.body_lines[n - count];
  const double moved_height = cursor_ - first_top;
  std::vector<Run> moved(old.runs.begin() + static_cast<std::ptrdiff_t>(first_run), old.runs.end());
  std::vector<std::pair<size_t, double>> moved_lines(old.body_lines.end() - count,
                                                     old.body_lines.end());
  old.runs.resize(first_run);
  old.body_lines.resize(n - count);
  NewPage();
  PageList& page = pages_.back();
  const double shift = frame_.top - first_top;
  for (Run& r : moved) r.baseline += shift;
  for (auto& [run, line_top] : moved_lines) {
    page.body_lines.emplace_back(run - first_run, line_top + shift);
  }
  page.runs = std::move(moved);
  cursor_ = frame_.top + moved_height;
}

double Layout::LineWidth(const std::vector<Word>& line, double size) {
  double w = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (i > 0 && !line[i].glue) w += SpaceWidth(line[i].face, size);
    w += line[i].width;
  }
  return w;
}

}  // namespace taicho::render
