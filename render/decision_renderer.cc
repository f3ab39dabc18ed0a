#include "render/decision_renderer.h"

#include <podofo/podofo.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "pdf/podofo_init.h"

namespace taicho::render {
namespace {

constexpr double kPointsPerMm = 72.0 / 25.4;
constexpr double kA4Width = 595.28;
constexpr double kA4Height = 841.89;
// Liberation Serif's vertical metrics, in em.
constexpr double kAscent = 0.891;
constexpr double kDescent = 0.216;
constexpr double kRuleWidth = 0.6;

// ---------------------------------------------------------------------------------------------
// Unicode

absl::StatusOr<std::string> Nfc(const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return Error(ErrorCode::kInternal, "ICU NFC unavailable");
  icu::UnicodeString normalized = nfc->normalize(icu::UnicodeString::fromUTF8(utf8), status);
  if (U_FAILURE(status)) return Error(ErrorCode::kInternal, "ICU NFC failed");
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

absl::StatusOr<std::string> UpperNfc(const std::string& utf8) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(utf8);
  text.toUpper(icu::Locale("vi"));
  std::string out;
  text.toUTF8String(out);
  return Nfc(out);
}

// Calls fn(code_point) for each code point of valid UTF-8 (invalid bytes come as U+FFFD).
template <typename Fn>
void ForEachCodePoint(std::string_view s, Fn fn) {
  int32_t i = 0;
  const int32_t length = static_cast<int32_t>(s.size());
  while (i < length) {
    UChar32 c;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, length, c);
    fn(c < 0 ? 0xFFFD : c);
  }
}

bool IsSpace(UChar32 c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Splits on spaces; a word that follows a line feed is marked with a leading '\n' (forced break).
std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  std::string current;
  bool newline = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
      if (c == '\n' && !words.empty()) newline = true;
    } else {
      if (current.empty() && newline) current.push_back('\n');
      newline = false;
      current.push_back(c);
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

// Drops one trailing ';', '.', ',' or ':' (and spaces) so the decree's punctuation can be added.
std::string WithoutFinalPunctuation(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.pop_back();
  if (!s.empty() && (s.back() == ';' || s.back() == '.' || s.back() == ',' || s.back() == ':')) {
    s.pop_back();
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Fonts

enum Face { kRegular = 0, kBold = 1, kItalic = 2, kBoldItalic = 3 };

class Fonts {
 public:
  // Throws PoDoFo::PdfError (caught by RenderDecision).
  absl::Status Load(PoDoFo::PdfMemDocument* doc, const std::string& dir) {
    static constexpr std::array<const char*, 4> kFiles = {
        "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf",
        "LiberationSerif-BoldItalic.ttf"};
    for (int f = 0; f < 4; ++f) {
      const std::string path = absl::StrCat(dir, "/", kFiles[f]);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        return Error(ErrorCode::kIo,
                     absl::StrCat("không tìm thấy phông chữ / font not found: ", path));
      }
      fonts_[f] = doc->CreateFontSubset(
          "LiberationSerif", f == kBold || f == kBoldItalic, f == kItalic || f == kBoldItalic,
          false, PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance(), path.c_str());
      if (fonts_[f] == nullptr) {
        return Error(ErrorCode::kIo, absl::StrCat("cannot load font ", path));
      }
    }
    return absl::OkStatus();
  }

  PoDoFo::PdfFont* font(Face f) const { return fonts_[f]; }

  bool HasGlyph(Face f, UChar32 c) const {
    return fonts_[f]->GetFontMetrics()->GetGlyphId(static_cast<long>(c)) != 0;
  }

  // Advance width of `text` at `size` points.
  double Width(Face f, std::string_view text, double size) {
    double em = 0;
    ForEachCodePoint(text, [&](UChar32 c) { em += EmWidth(f, c); });
    return em * size / 1000.0;
  }

 private:
  double EmWidth(Face f, UChar32 c) {
    auto it = widths_[f].find(c);
    if (it != widths_[f].end()) return it->second;
    double w = 0;
    if (c <= 0xFFFF) {
      fonts_[f]->SetFontSize(1000);
      w = fonts_[f]->GetFontMetrics()->UnicodeCharWidth(static_cast<unsigned short>(c));
    }
    widths_[f].emplace(c, w);
    return w;
  }

  std::array<PoDoFo::PdfFont*, 4> fonts_{};
  std::array<std::unordered_map<UChar32, double>, 4> widths_;
};

// Adds a problem for every character of `text` that `face` cannot draw.
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

// ---------------------------------------------------------------------------------------------
// Layout: a display list per page, in points measured from the page's top-left corner.

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

enum class Align { kLeft, kCenter, kJustify };

struct Blank {
  int id;
  double x, top, width, size;
};

class Layout {
 public:
  Layout(Fonts* fonts, const RenderOptions& o) : fonts_(fonts), o_(o) {
    left_ = o.margin_left_mm * kPointsPerMm;
    right_ = kA4Width - o.margin_right_mm * kPointsPerMm;
    top_ = o.margin_top_mm * kPointsPerMm;
    bottom_ = kA4Height - o.margin_bottom_mm * kPointsPerMm;
    width_ = right_ - left_;
    pages_.emplace_back();
    cursor_ = top_;
  }

  double left() const { return left_; }
  double width() const { return width_; }
  double cursor() const { return cursor_; }
  void Advance(double dy) { cursor_ += dy; }
  void set_cursor(double y) { cursor_ = y; }
  std::vector<PageList>& pages() { return pages_; }
  const std::vector<Blank>& blanks() const { return blanks_; }
  double Leading(double size) const { return size * std::max(1.0, o_.line_spacing); }

  double Baseline(double line_top, double size) const {
    return line_top + (Leading(size) - (kAscent + kDescent) * size) / 2 + kAscent * size;
  }

  std::vector<Word> Words(const std::vector<Piece>& pieces, double size) {
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

  // Greedy line breaking; a word wider than a line is cut at code-point boundaries.
  std::vector<std::vector<Word>> BreakLines(const std::vector<Word>& words, double size,
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
          if (fonts_->Width(word.face, std::string_view(word.text).substr(0, next), size) >
                  avail() &&
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

  // Lines for `pieces`; centred text is balanced: the narrowest width giving as few lines.
  std::vector<std::vector<Word>> Lines(const std::vector<Piece>& pieces, double size, double width,
                                       Align align, double first_indent) {
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

  // Places one line at `line_top` of `page`, between x0 and x0 + width.
  void PlaceLine(PageList* page, const std::vector<Word>& line, double size, double x0,
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

  // Places lines into `page` (no page breaks) from *top; returns the widest line's width.
  // `hanging` indents every line after the first (recipient items).
  double PlaceBlock(PageList* page, const std::vector<Piece>& pieces, double size, double x0,
                    double width, Align align, double* top, double first_indent = 0,
                    double hanging = 0) {
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

  // A body paragraph over the full text width, breaking pages as needed. `keep_lines` lines
  // (at least) must fit on the page of the first line (keeps a heading with what follows).
  double Paragraph(const std::vector<Piece>& pieces, double size, Align align, double first_indent,
                   int keep_lines = 1) {
    auto lines = Lines(pieces, size, width_, align, first_indent);
    const int keep = std::min<int>(keep_lines, static_cast<int>(lines.size()) + 1);
    if (cursor_ + keep * Leading(size) > bottom_ + 1e-6) NewPage();
    double widest = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (cursor_ + Leading(size) > bottom_ + 1e-6) NewPage();
      const double indent = i == 0 ? first_indent : 0;
      PageList& page = pages_.back();
      page.body_lines.emplace_back(page.runs.size(), cursor_);
      PlaceLine(&page, lines[i], size, left_ + indent, width_ - indent, align,
                i + 1 == lines.size(), cursor_);
      widest = std::max(widest, LineWidth(lines[i], size));
      cursor_ += Leading(size);
    }
    return widest;
  }

  void NewPage() {
    pages_.emplace_back();
    cursor_ = top_;
  }

  double SpaceLeft() const { return bottom_ - cursor_; }

  // Starts a new page carrying the last `count` body lines of the current page over to it (only
  // when the current page keeps at least one other line); the cursor ends below them.
  void NewPageCarrying(int count) {
    PageList& old = pages_.back();
    const int n = static_cast<int>(old.body_lines.size());
    if (count <= 0 || n <= count) {
      NewPage();
      return;
    }
    const auto [first_run, first_top] = old.body_lines[n - count];
    const double moved_height = cursor_ - first_top;
    std::vector<Run> moved(old.runs.begin() + static_cast<std::ptrdiff_t>(first_run),
                           old.runs.end());
    std::vector<std::pair<size_t, double>> moved_lines(old.body_lines.end() - count,
                                                       old.body_lines.end());
    old.runs.resize(first_run);
    old.body_lines.resize(n - count);
    NewPage();
    PageList& page = pages_.back();
    const double shift = top_ - first_top;
    for (Run& r : moved) r.baseline += shift;
    for (auto& [run, line_top] : moved_lines) {
      page.body_lines.emplace_back(run - first_run, line_top + shift);
    }
    page.runs = std::move(moved);
    cursor_ = top_ + moved_height;
  }

 private:
  double SpaceWidth(Face f, double size) { return fonts_->Width(f, " ", size); }

  double LineWidth(const std::vector<Word>& line, double size) {
    double w = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      if (i > 0 && !line[i].glue) w += SpaceWidth(line[i].face, size);
      w += line[i].width;
    }
    return w;
  }

  Fonts* fonts_;
  const RenderOptions& o_;
  double left_, right_, top_, bottom_, width_;
  double cursor_;
  std::vector<PageList> pages_;
  std::vector<Blank> blanks_;
};

// ---------------------------------------------------------------------------------------------
// The decision

constexpr int kNumberBlank = 0;
constexpr int kDateBlank = 1;

// Normalises every field: NFC, capitals where the decree wants capitals.
absl::StatusOr<DecisionData> Normalize(const DecisionData& in) {
  DecisionData d;
  absl::Status status;
  auto nfc = [&](const std::string& s) {
    absl::StatusOr<std::string> r = Nfc(s);
    if (!r.ok()) status = r.status();
    return r.ok() ? *std::move(r) : std::string();
  };
  auto upper = [&](const std::string& s) {
    absl::StatusOr<std::string> r = UpperNfc(s);
    if (!r.ok()) status = r.status();
    return r.ok() ? *std::move(r) : std::string();
  };
  d.agency.parent = upper(in.agency.parent);
  d.agency.name = upper(in.agency.name);
  d.number = nfc(in.number);
  d.symbol = nfc(in.symbol);
  d.place = nfc(in.place);
  d.date = nfc(in.date);
  d.type = upper(in.type);
  d.summary = nfc(in.summary);
  d.issuing_title = upper(in.issuing_title);
  for (const std::string& b : in.legal_bases) d.legal_bases.push_back(nfc(b));
  for (const Article& a : in.articles) {
    Article article{nfc(a.text), {}};
    for (const Clause& c : a.clauses) {
      Clause clause{nfc(c.text), {}};
      for (const std::string& p : c.points) clause.points.push_back(nfc(p));
      article.clauses.push_back(std::move(clause));
    }
    d.articles.push_back(std::move(article));
  }
  for (const std::string& r : in.recipients) d.recipients.push_back(nfc(r));
  d.signer.authority_prefix = upper(in.signer.authority_prefix);
  d.signer.title = upper(in.signer.title);
  d.signer.name = nfc(in.signer.name);
  if (!status.ok()) return status;
  return d;
}

absl::Status CheckAll(const Fonts& fonts, const DecisionData& d) {
  std::vector<std::string> problems;
  CheckDrawable(fonts, kRegular, d.agency.parent, "agency.parent", &problems);
  CheckDrawable(fonts, kBold, d.agency.name, "agency.name", &problems);
  CheckDrawable(fonts, kRegular, d.number, "number", &problems);
  CheckDrawable(fonts, kRegular, d.symbol, "symbol", &problems);
  CheckDrawable(fonts, kItalic, d.place, "place", &problems);
  CheckDrawable(fonts, kBold, d.type, "type", &problems);
  CheckDrawable(fonts, kBold, d.summary, "summary", &problems);
  CheckDrawable(fonts, kBold, d.issuing_title, "issuing_title", &problems);
  for (size_t i = 0; i < d.legal_bases.size(); ++i) {
    CheckDrawable(fonts, kItalic, d.legal_bases[i], absl::StrCat("legal_bases[", i, "]"),
                  &problems);
  }
  for (size_t i = 0; i < d.articles.size(); ++i) {
    const std::string path = absl::StrCat("articles[", i, "]");
    CheckDrawable(fonts, kRegular, d.articles[i].text, path + ".text", &problems);
    for (size_t k = 0; k < d.articles[i].clauses.size(); ++k) {
      const Clause& c = d.articles[i].clauses[k];
      const std::string cpath = absl::StrCat(path, ".clauses[", k, "]");
      CheckDrawable(fonts, kRegular, c.text, cpath + ".text", &problems);
      for (size_t j = 0; j < c.points.size(); ++j) {
        CheckDrawable(fonts, kRegular, c.points[j], absl::StrCat(cpath, ".points[", j, "]"),
                      &problems);
      }
    }
  }
  for (size_t i = 0; i < d.recipients.size(); ++i) {
    CheckDrawable(fonts, kRegular, d.recipients[i], absl::StrCat("recipients[", i, "]"), &problems);
  }
  CheckDrawable(fonts, kBold, d.signer.authority_prefix, "signer.authority_prefix", &problems);
  CheckDrawable(fonts, kBold, d.signer.title, "signer.title", &problems);
  CheckDrawable(fonts, kBold, d.signer.name, "signer.name", &problems);
  if (problems.empty()) return absl::OkStatus();
  return Error(ErrorCode::kUsage, absl::StrJoin(problems, "; "));
}

std::string TwoDigits(int v) { return absl::StrFormat("%02d", v); }

// Lays the whole decision out. Returns the signature area in top-left coordinates.
PageRect LayOut(Layout& L, const DecisionData& d, const RenderOptions& o, Fonts& fonts) {
  const double left_w = L.width() * o.header_left_fraction;
  const double right_w = L.width() - left_w;
  const double left_x = L.left();
  const double right_x = L.left() + left_w;
  PageList* page = &L.pages().back();

  // Header, left: parent agency (upright), issuing agency (bold), a short rule.
  double top_l = L.cursor();
  if (!d.agency.parent.empty()) {
    L.PlaceBlock(page, {{kRegular, d.agency.parent}}, o.agency_size, left_x, left_w, Align::kCenter,
                 &top_l);
  }
  const double agency_w = L.PlaceBlock(page, {{kBold, d.agency.name}}, o.agency_size, left_x,
                                       left_w, Align::kCenter, &top_l);
  const double rule_l = top_l + 0.15 * o.agency_size;
  const double agency_rule = std::min(agency_w, left_w) * 0.4;
  page->rules.push_back(
      {left_x + (left_w - agency_rule) / 2, left_x + (left_w + agency_rule) / 2, rule_l});

  // Header, right: Quốc hiệu, Tiêu ngữ, a rule as long as the Tiêu ngữ.
  double top_r = L.cursor();
  L.PlaceBlock(page, {{kBold, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"}}, o.national_title_size,
               right_x, right_w, Align::kCenter, &top_r);
  const double motto_w = L.PlaceBlock(page, {{kBold, "Độc lập - Tự do - Hạnh phúc"}}, o.motto_size,
                                      right_x, right_w, Align::kCenter, &top_r);
  const double rule_r = top_r + 0.15 * o.motto_size;
  page->rules.push_back(
      {right_x + (right_w - motto_w) / 2, right_x + (right_w + motto_w) / 2, rule_r});

  // Number and symbol (left), place and date (right), on one line.
  double line = std::max(rule_l, rule_r) + 8;
  {
    std::vector<Piece> number = {{kRegular, "Số:"}};
    if (d.number.empty()) {
      number.push_back({kRegular, "", 3 * o.number_size, kNumberBlank, false});
      number.push_back({kRegular, "/" + d.symbol, 0, -1, true});
    } else {
      const std::string n = d.number.size() == 1 ? "0" + d.number : d.number;
      number.push_back({kRegular, n + "/" + d.symbol});
    }
    double t = line;
    L.PlaceBlock(page, number, o.number_size, left_x, left_w, Align::kCenter, &t);
  }
  {
    std::vector<Piece> date = {{kItalic, d.place + ", ngày"}};
    if (d.date.empty()) {
      const double blank = 2.2 * o.place_date_size;
      date.push_back({kItalic, "", blank, kDateBlank});
      date.push_back({kItalic, "tháng"});
      date.push_back({kItalic, "", blank, kDateBlank});
      date.push_back({kItalic, "năm"});
      date.push_back({kItalic, "", blank * 1.3, kDateBlank});
    } else {
      const int year = std::stoi(d.date.substr(0, 4));
      const int month = std::stoi(d.date.substr(5, 2));
      const int day = std::stoi(d.date.substr(8, 2));
      date.push_back({kItalic, absl::StrCat(TwoDigits(day), " tháng ",
                                            month < 3 ? TwoDigits(month) : std::to_string(month),
                                            " năm ", year)});
    }
    double t = line;
    L.PlaceBlock(page, date, o.place_date_size, right_x, right_w, Align::kCenter, &t);
    line = std::max(line + L.Leading(o.number_size), t);
  }
  L.set_cursor(line + 14);

  // Type and summary, centred, bold; a short rule under the summary.
  const double body = o.body_size;
  L.Paragraph({{kBold, d.type}}, body, Align::kCenter, 0, 3);
  const double summary_w = L.Paragraph({{kBold, d.summary}}, body, Align::kCenter, 0);
  {
    const double rule = std::min(summary_w, L.width()) * 0.4;
    const double y = L.cursor() + 0.15 * body;
    L.pages().back().rules.push_back(
        {L.left() + (L.width() - rule) / 2, L.left() + (L.width() + rule) / 2, y});
    L.Advance(14);
  }

  // Issuing title, legal bases, "QUYẾT ĐỊNH:".
  L.Paragraph({{kBold, d.issuing_title}}, body, Align::kCenter, 0, 2);
  L.Advance(o.paragraph_spacing);
  const double indent = o.first_line_indent_mm * kPointsPerMm;
  for (size_t i = 0; i < d.legal_bases.size(); ++i) {
    const bool last = i + 1 == d.legal_bases.size();
    L.Paragraph({{kItalic, WithoutFinalPunctuation(d.legal_bases[i]) + (last ? "." : ";")}}, body,
                Align::kJustify, indent);
    L.Advance(o.paragraph_spacing / 2);
  }
  L.Advance(o.paragraph_spacing);
  L.Paragraph({{kBold, d.type + ":"}}, body, Align::kCenter, 0, 2);
  L.Advance(o.paragraph_spacing);

  // Articles, clauses, points.
  for (size_t i = 0; i < d.articles.size(); ++i) {
    const Article& a = d.articles[i];
    L.Paragraph({{kBold, absl::StrCat("Điều ", i + 1, ".")}, {kRegular, a.text}}, body,
                Align::kJustify, indent, 2);
    L.Advance(o.paragraph_spacing);
    for (size_t k = 0; k < a.clauses.size(); ++k) {
      const Clause& c = a.clauses[k];
      L.Paragraph({{kRegular, absl::StrCat(k + 1, ". ", c.text)}}, body, Align::kJustify, indent);
      L.Advance(o.paragraph_spacing);
      for (size_t j = 0; j < c.points.size(); ++j) {
        const char letter = static_cast<char>('a' + static_cast<int>(j % 26));
        L.Paragraph({{kRegular, absl::StrCat(std::string(1, letter), ") ", c.points[j])}}, body,
                    Align::kJustify, indent);
        L.Advance(o.paragraph_spacing);
      }
    }
  }

  // Bottom: recipients (left) and signer (right), level with each other; laid out on a scratch
  // page from top 0, then moved into place.
  PageList block;
  double top_left = 0;
  L.PlaceBlock(&block, {{kBoldItalic, "Nơi nhận:"}}, o.recipients_heading_size, left_x, left_w,
               Align::kLeft, &top_left);
  for (size_t i = 0; i < d.recipients.size(); ++i) {
    const bool last = i + 1 == d.recipients.size();
    std::string item = WithoutFinalPunctuation(d.recipients[i]);
    if (item.rfind("- ", 0) == 0) item = item.substr(2);
    L.PlaceBlock(&block, {{kRegular, "- " + item + (last ? "." : ";")}}, o.recipients_size, left_x,
                 left_w, Align::kLeft, &top_left, 0,
                 fonts.Width(kRegular, "- ", o.recipients_size));
  }
  double top_right = 0;
  if (!d.signer.authority_prefix.empty()) {
    L.PlaceBlock(&block, {{kBold, d.signer.authority_prefix}}, body, right_x, right_w,
                 Align::kCenter, &top_right);
  }
  L.PlaceBlock(&block, {{kBold, d.signer.title}}, body, right_x, right_w, Align::kCenter,
               &top_right);
  const double sig_top = top_right;
  top_right += o.signature_space_mm * kPointsPerMm;
  const double sig_bottom = top_right;
  L.PlaceBlock(&block, {{kBold, d.signer.name}}, body, right_x, right_w, Align::kCenter,
               &top_right);
  const double height = std::max(top_left, top_right);

  L.Advance(6);
  if (L.SpaceLeft() < height) {
    L.NewPageCarrying(2);  // never leave the signer block alone on a page
    L.Advance(6);
  }
  const double shift = L.cursor();
  PageList& last = L.pages().back();
  for (Run& r : block.runs) {
    r.baseline += shift;
    last.runs.push_back(std::move(r));
  }
  L.Advance(height);

  PageRect sig;
  sig.page_index = static_cast<int>(L.pages().size()) - 1;
  sig.x = right_x;
  sig.width = right_w;
  sig.y = sig_top + shift;  // top, converted by the caller
  sig.height = sig_bottom - sig_top;
  return sig;
}

void Paint(PoDoFo::PdfMemDocument* doc, Fonts& fonts, std::vector<PageList>& pages,
           const RenderOptions& o) {
  const double top = o.margin_top_mm * kPointsPerMm;
  const double left = o.margin_left_mm * kPointsPerMm;
  const double width = kA4Width - left - o.margin_right_mm * kPointsPerMm;
  for (size_t p = 0; p < pages.size(); ++p) {
    PageList& list = pages[p];
    if (p > 0) {  // page number, centred in the top margin, from page 2
      const std::string n = std::to_string(p + 1);
      const double w = fonts.Width(kRegular, n, o.page_number_size);
      list.runs.push_back({kRegular, o.page_number_size, left + (width - w) / 2,
                           top / 2 + 0.35 * o.page_number_size, n});
    }
    PoDoFo::PdfPage* page = doc->CreatePage(PoDoFo::PdfRect(0, 0, kA4Width, kA4Height));
    PoDoFo::PdfPainter painter;
    painter.SetPage(page);
    painter.SetStrokeWidth(kRuleWidth);
    for (const Rule& r : list.rules) {
      painter.DrawLine(r.x1, kA4Height - r.y, r.x2, kA4Height - r.y);
    }
    // One text object per run of words on one line in one face and size.
    size_t i = 0;
    while (i < list.runs.size()) {
      const Run& first = list.runs[i];
      PoDoFo::PdfFont* font = fonts.font(first.face);
      font->SetFontSize(static_cast<float>(first.size));
      painter.SetFont(font);
      painter.BeginText(first.x, kA4Height - first.baseline);
      painter.AddText(
          PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(first.text.c_str())));
      size_t j = i + 1;
      while (j < list.runs.size() && list.runs[j].face == first.face &&
             list.runs[j].size == first.size && list.runs[j].baseline == first.baseline &&
             list.runs[j].x > list.runs[j - 1].x) {
        painter.MoveTextPos(list.runs[j].x - list.runs[j - 1].x, 0);
        painter.AddText(PoDoFo::PdfString(
            reinterpret_cast<const PoDoFo::pdf_utf8*>(list.runs[j].text.c_str())));
        ++j;
      }
      painter.EndText();
      i = j;
    }
    painter.FinishPage();
  }
}

// Keeps the layout sane: absurd sizes could otherwise make one glyph per line and page.
absl::Status CheckOptions(const RenderOptions& o) {
  std::vector<std::string> bad;
  auto in = [&](double v, double lo, double hi, const char* name) {
    if (!(v >= lo && v <= hi)) bad.push_back(absl::StrCat(name, " ∉ [", lo, ", ", hi, "]"));
  };
  in(o.margin_top_mm, 5, 60, "margin_top_mm");
  in(o.margin_bottom_mm, 5, 60, "margin_bottom_mm");
  in(o.margin_left_mm, 5, 60, "margin_left_mm");
  in(o.margin_right_mm, 5, 60, "margin_right_mm");
  for (auto [v, name] : {std::pair{o.agency_size, "agency_size"},
                         {o.national_title_size, "national_title_size"},
                         {o.motto_size, "motto_size"},
                         {o.number_size, "number_size"},
                         {o.place_date_size, "place_date_size"},
                         {o.body_size, "body_size"},
                         {o.page_number_size, "page_number_size"},
                         {o.recipients_heading_size, "recipients_heading_size"},
                         {o.recipients_size, "recipients_size"}}) {
    in(v, 6, 24, name);
  }
  in(o.line_spacing, 1, 2, "line_spacing");
  in(o.paragraph_spacing, 0, 30, "paragraph_spacing");
  in(o.first_line_indent_mm, 0, 30, "first_line_indent_mm");
  in(o.signature_space_mm, 0, 100, "signature_space_mm");
  in(o.header_left_fraction, 0.25, 0.6, "header_left_fraction");
  if (bad.empty()) return absl::OkStatus();
  return Error(ErrorCode::kUsage,
               absl::StrCat("tùy chọn trình bày / layout options: ", absl::StrJoin(bad, "; ")));
}

}  // namespace

absl::StatusOr<RenderedDocument> RenderDecision(const DecisionData& data,
                                                const RenderOptions& options) {
  if (options.output_path.empty()) {
    return Error(ErrorCode::kUsage, "thiếu tệp đầu ra / no output path");
  }
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  pdf::InitPodofo();
  absl::StatusOr<DecisionData> normalized = Normalize(data);
  if (!normalized.ok()) return normalized.status();
  const DecisionData& d = *normalized;

  if (!d.date.empty()) {
    int year = 0, month = 0, day = 0;
    if (d.date.size() != 10 ||
        std::sscanf(d.date.c_str(), "%4d-%2d-%2d", &year, &month, &day) != 3 || month < 1 ||
        month > 12 || day < 1 || day > 31) {
      return Error(ErrorCode::kUsage, "date: phải có dạng YYYY-MM-DD / must be YYYY-MM-DD");
    }
  }
  static std::atomic<unsigned> counter{0};
  const std::string tmp =
      absl::StrCat(options.output_path, ".tmp.", getpid(), ".", counter.fetch_add(1));
  try {
    PoDoFo::PdfMemDocument doc;
    doc.SetPdfVersion(PoDoFo::ePdfVersion_1_7);
    Fonts fonts;
    if (absl::Status s = fonts.Load(&doc, options.font_dir); !s.ok()) return s;
    if (absl::Status s = CheckAll(fonts, d); !s.ok()) return s;

    Layout layout(&fonts, options);
    PageRect sig = LayOut(layout, d, options, fonts);
    Paint(&doc, fonts, layout.pages(), options);

    const std::string& title = options.pdf_title.empty() ? d.summary : options.pdf_title;
    doc.GetInfo()->SetTitle(PoDoFo::PdfString(
        reinterpret_cast<const PoDoFo::pdf_utf8*>(absl::StrCat(d.type, " ", title).c_str())));
    doc.GetInfo()->SetCreator(PoDoFo::PdfString("taicho"));
    doc.Write(tmp.c_str());

    std::error_code ec;
    std::filesystem::rename(tmp, options.output_path, ec);
    if (ec) {
      std::filesystem::remove(tmp, ec);
      return Error(ErrorCode::kIo, absl::StrCat("cannot write ", options.output_path));
    }
    RenderedDocument out;
    out.path = options.output_path;
    out.page_count = static_cast<int>(layout.pages().size());
    out.file_size = std::filesystem::file_size(options.output_path, ec);
    sig.y = kA4Height - sig.y - sig.height;
    out.signature_area = sig;
    std::optional<PageRect> date;
    for (const Blank& b : layout.blanks()) {
      PageRect r{0, b.x, kA4Height - b.top - layout.Leading(b.size), b.width,
                 layout.Leading(b.size)};
      if (b.id == kNumberBlank) {
        out.number_blank = r;
      } else if (!date) {
        date = r;
      } else {
        date->width = b.x + b.width - date->x;
      }
    }
    out.date_blank = date;
    return out;
  } catch (const PoDoFo::PdfError& e) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    const char* name = PoDoFo::PdfError::ErrorName(e.GetError());
    if (e.GetError() == PoDoFo::ePdfError_FileNotFound) {
      return Error(ErrorCode::kIo, absl::StrCat("cannot write ", options.output_path));
    }
    return Error(ErrorCode::kInternal, absl::StrCat("render: PoDoFo ", name ? name : "error"));
  } catch (const std::exception& e) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return Error(ErrorCode::kInternal, absl::StrCat("render: ", e.what()));
  }
}

}  // namespace taicho::render
