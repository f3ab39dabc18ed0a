#include "render/block_layout.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "render/issue_fields.h"
#include "render/unicode_text.h"

namespace taicho::render {
namespace {

// The kind file's faces and the engine's are listed in the same order.
static_assert(static_cast<int>(TextFace::kRegular) == kRegular &&
              static_cast<int>(TextFace::kBold) == kBold &&
              static_cast<int>(TextFace::kItalic) == kItalic &&
              static_cast<int>(TextFace::kBoldItalic) == kBoldItalic);
Face FaceOf(TextFace f) { return static_cast<Face>(static_cast<int>(f)); }
Align AlignOf(TextAlign a) {
  switch (a) {
    case TextAlign::kLeft:
      return Align::kLeft;
    case TextAlign::kCenter:
      return Align::kCenter;
    case TextAlign::kRight:
      return Align::kRight;
    case TextAlign::kJustify:
      break;
  }
  return Align::kJustify;
}

class BlockPainter {
 public:
  BlockPainter(Layout& layout, Fonts& fonts, const DocumentKind& kind, const DocumentData& data,
               std::vector<IssueLine>* issue_lines)
      : L(layout),
        fonts_(fonts),
        kind_(kind),
        d_(data),
        s_(kind.style),
        issue_lines_(issue_lines) {}

  void Header(const Block& b);
  void Title(const Block& b);
  void Text(const Block& b, const std::string& text);
  void List(const Block& b, const std::vector<std::string>& items);
  void Articles();
  void Fields(const Block& b);
  TopRect Signature(const Block& b);

 private:
  double Indent() const { return s_.first_line_indent_mm * kPointsPerMm; }

  Layout& L;
  Fonts& fonts_;
  const DocumentKind& kind_;
  const DocumentData& d_;
  const KindStyle& s_;
  std::vector<IssueLine>* issue_lines_;
};

void BlockPainter::Header(const Block& b) {
  const double left_w = L.width() * s_.header_left_fraction;
  const double right_w = L.width() - left_w;
  const double left_x = L.left();
  const double right_x = L.left() + left_w;
  PageList* page = &L.pages().back();

  // Left: parent agency (upright), issuing agency (bold), a rule 40% of its length.
  double top_l = L.cursor();
  if (!d_.agency.parent.empty()) {
    L.PlaceBlock(page, {{kRegular, d_.agency.parent}}, s_.agency_size, left_x, left_w,
                 Align::kCenter, &top_l);
  }
  const double agency_w = L.PlaceBlock(page, {{kBold, d_.agency.name}}, s_.agency_size, left_x,
                                       left_w, Align::kCenter, &top_l);
  const double rule_l = top_l + 0.15 * s_.agency_size;
  const double agency_rule = std::min(agency_w, left_w) * 0.4;
  page->rules.push_back(
      {left_x + (left_w - agency_rule) / 2, left_x + (left_w + agency_rule) / 2, rule_l});

  // Right: Quốc hiệu, Tiêu ngữ, a rule as long as the Tiêu ngữ.
  double top_r = L.cursor();
  L.PlaceBlock(page, {{kBold, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"}}, s_.national_title_size,
               right_x, right_w, Align::kCenter, &top_r);
  const double motto_w = L.PlaceBlock(page, {{kBold, "Độc lập - Tự do - Hạnh phúc"}}, s_.motto_size,
                                      right_x, right_w, Align::kCenter, &top_r);
  const double rule_r = top_r + 0.15 * s_.motto_size;
  page->rules.push_back(
      {right_x + (right_w - motto_w) / 2, right_x + (right_w + motto_w) / 2, rule_r});

  // Number and symbol (left), place and date (right), on one line. A line the issue step
  // completes is laid out with its blanks on a scratch list: a form field draws it (IssueLine).
  const double line = std::max(rule_l, rule_r) + 8;
  const int page_index = static_cast<int>(L.pages().size()) - 1;
  auto place = [&](std::vector<Piece> pieces, double size, double x, double w, Face face,
                   const char* field, std::string line_template) {
    double t = line;
    if (line_template.empty()) {
      L.PlaceBlock(page, pieces, size, x, w, Align::kCenter, &t);
      return t;
    }
    PageList scratch;
    L.PlaceBlock(&scratch, pieces, size, x, w, Align::kCenter, &t);
    issue_lines_->push_back({field, face, size, TopRect{page_index, x, line, w, t - line},
                             std::move(line_template), std::move(scratch.runs)});
    return t;
  };
  double below = line + L.Leading(s_.number_size);
  if (b.number_line) {
    const std::string& symbol = d_.symbol.empty() ? kind_.symbol : d_.symbol;
    std::vector<Piece> number = {{kRegular, "Số:"}};
    std::string line_template;
    if (d_.number.empty()) {
      number.push_back({kRegular, "", 2.5 * s_.number_size, kNumberBlank, false});
      number.push_back({kRegular, "/" + symbol, 0, -1, true});
      line_template = absl::StrCat("Số: {}/", symbol);
    } else {
      const std::string n = d_.number.size() == 1 ? "0" + d_.number : d_.number;
      number.push_back({kRegular, n + "/" + symbol});
    }
    below = std::max(below, place(std::move(number), s_.number_size, left_x, left_w, kRegular,
                                  kNumberField, std::move(line_template)));
  }
  std::vector<Piece> date = {{kItalic, d_.place + ", ngày"}};
  std::string date_template;
  if (d_.date.empty()) {
    const double blank = 2.2 * s_.place_date_size;
    date.push_back({kItalic, "", blank, kDateBlank});
    date.push_back({kItalic, "tháng"});
    date.push_back({kItalic, "", blank, kDateBlank});
    date.push_back({kItalic, "năm"});
    date.push_back({kItalic, "", blank * 1.3, kDateBlank});
    date_template = absl::StrCat(d_.place, ", {}");
  } else {
    date.back().text = d_.place + ", " + VietnameseDate(d_.date);
  }
  const double t = place(std::move(date), s_.place_date_size, right_x, right_w, kItalic, kDateField,
                         std::move(date_template));
  L.set_cursor(std::max(below, t) + 14);
}

void BlockPainter::Title(const Block& b) {
  const std::string& type = d_.type.empty() ? kind_.type : d_.type;
  const double size = s_.title_size;
  const double type_w = L.Paragraph({{kBold, type}}, size, Align::kCenter, 0, kKeepWithNext);
  double rule_of = type_w;
  if (b.summary && !d_.summary.empty()) {
    rule_of = L.Paragraph({{kBold, d_.summary}}, size, Align::kCenter, 0, kKeepWithNext);
  }
  const double rule = std::min(rule_of, L.width()) * 0.4;
  const double y = L.cursor() + 0.15 * size;
  L.pages().back().rules.push_back(
      {L.left() + (L.width() - rule) / 2, L.left() + (L.width() + rule) / 2, y});
  L.Advance(14);
}

void BlockPainter::Text(const Block& b, const std::string& text) {
  // Centred lines are headings ("QUYẾT ĐỊNH:", the issuing title): kept with what follows.
  const Align align = AlignOf(b.align);
  L.Paragraph({{FaceOf(b.face), text}}, s_.body_size, align, b.indent ? Indent() : 0,
              align == Align::kCenter ? kKeepWithNext : 2);
  L.Advance(b.space_after);
}

void BlockPainter::List(const Block& b, const std::vector<std::string>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item = items[i];
    if (b.punctuate) item = WithoutFinalPunctuation(item) + (i + 1 == items.size() ? "." : ";");
    L.Paragraph({{FaceOf(b.face), item}}, s_.body_size, AlignOf(b.align), b.indent ? Indent() : 0);
    L.Advance(b.space_after);
  }
  L.Advance(6);
}

void BlockPainter::Articles() {
  const double body = s_.body_size;
  const double spacing = 6;
  for (size_t i = 0; i < d_.articles.size(); ++i) {
    const Article& a = d_.articles[i];
    L.Paragraph({{kBold, absl::StrCat("Điều ", i + 1, ".")}, {kRegular, a.text}}, body,
                Align::kJustify, Indent(), 2);
    L.Advance(spacing);
    for (size_t k = 0; k < a.clauses.size(); ++k) {
      const Clause& c = a.clauses[k];
      L.Paragraph({{kRegular, absl::StrCat(k + 1, ". ", c.text)}}, body, Align::kJustify, Indent());
      L.Advance(spacing);
      for (size_t j = 0; j < c.points.size(); ++j) {
        const char letter = static_cast<char>('a' + static_cast<int>(j % 26));
        L.Paragraph({{kRegular, absl::StrCat(std::string(1, letter), ") ", c.points[j])}}, body,
                    Align::kJustify, Indent());
        L.Advance(spacing);
      }
    }
  }
}

void BlockPainter::Fields(const Block& b) {
  for (size_t i = 0; i < d_.fields.size(); ++i) {
    const Field& f = d_.fields[i];
    const std::string label =
        b.numbered ? absl::StrCat(i + 1, ". ", f.label, ":") : absl::StrCat(f.label, ":");
    L.Paragraph({{kRegular, label}, {FaceOf(b.face), f.value}}, s_.body_size, Align::kJustify,
                Indent(), 2);
    L.Advance(b.space_after);
  }
}

TopRect BlockPainter::Signature(const Block& b) {
  const double left_w = L.width() * s_.header_left_fraction;
  const double right_w = L.width() - left_w;
  const double left_x = L.left();
  const double right_x = L.left() + left_w;
  const double body = s_.body_size;

  // Recipients (left) and signer (right), level with each other; laid out on a scratch page from
  // top 0, then moved into place.
  PageList block;
  double top_left = 0;
  if (b.recipients && !d_.recipients.empty()) {
    L.PlaceBlock(&block, {{kBoldItalic, "Nơi nhận:"}}, s_.recipients_heading_size, left_x, left_w,
                 Align::kLeft, &top_left);
    for (size_t i = 0; i < d_.recipients.size(); ++i) {
      const bool last = i + 1 == d_.recipients.size();
      std::string item = WithoutFinalPunctuation(d_.recipients[i]);
      if (item.rfind("- ", 0) == 0) item = item.substr(2);
      L.PlaceBlock(&block, {{kRegular, "- " + item + (last ? "." : ";")}}, s_.recipients_size,
                   left_x, left_w, Align::kLeft, &top_left, 0,
                   fonts_.Width(kRegular, "- ", s_.recipients_size));
    }
  }
  double top_right = 0;
  if (!d_.signer.authority_prefix.empty()) {
    L.PlaceBlock(&block, {{kBold, d_.signer.authority_prefix}}, body, right_x, right_w,
                 Align::kCenter, &top_right);
  }
  L.PlaceBlock(&block, {{kBold, d_.signer.title}}, body, right_x, right_w, Align::kCenter,
               &top_right);
  const double sig_top = top_right;
  top_right += s_.signature_space_mm * kPointsPerMm;
  const double sig_bottom = top_right;
  L.PlaceBlock(&block, {{kBold, d_.signer.name}}, body, right_x, right_w, Align::kCenter,
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

  TopRect sig;
  sig.page_index = static_cast<int>(L.pages().size()) - 1;
  sig.x = right_x;
  sig.width = right_w;
  sig.top = sig_top + shift;
  sig.height = sig_bottom - sig_top;
  return sig;
}

}  // namespace

std::string VietnameseDate(const std::string& iso_date) {
  if (iso_date.size() != 10) return "ngày … tháng … năm …";
  return DateText({std::stoi(iso_date.substr(0, 4)), std::stoi(iso_date.substr(5, 2)),
                   std::stoi(iso_date.substr(8, 2))});
}

std::optional<std::string> ExpandTemplate(const std::string& text, const DocumentData& data) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    const size_t close = open == std::string::npos ? open : text.find('}', open);
    if (open == std::string::npos || close == std::string::npos) {
      out += text.substr(at);
      break;
    }
    out += text.substr(at, open - at);
    std::string key = text.substr(open + 1, close - open - 1);
    const bool as_date = key.size() > 5 && key.compare(key.size() - 5, 5, ":date") == 0;
    if (as_date) key.resize(key.size() - 5);
    std::string value;
    if (key == "type") {
      value = data.type;
    } else if (key == "summary") {
      value = data.summary;
    } else if (key == "place") {
      value = data.place;
    } else if (key == "date") {
      value = data.date;
    } else if (auto it = data.texts.find(key); it != data.texts.end()) {
      value = it->second;
    }
    if (value.empty()) return std::nullopt;
    out += as_date ? VietnameseDate(value) : value;
    at = close + 1;
  }
  return out;
}

absl::StatusOr<BlockLayoutResult> LayOutBlocks(Layout& layout, Fonts& fonts,
                                               const DocumentKind& kind, const DocumentData& data) {
  DocumentData d = data;
  if (d.type.empty()) d.type = kind.type;
  BlockLayoutResult result;
  BlockPainter painter(layout, fonts, kind, d, &result.issue_lines);
  for (const Block& b : kind.blocks) {
    switch (b.type) {
      case BlockType::kHeader:
        painter.Header(b);
        break;
      case BlockType::kTitle:
        painter.Title(b);
        break;
      case BlockType::kText: {
        std::optional<std::string> text = ExpandTemplate(b.text, d);
        if (!text) break;  // the parser already required the keys of non-optional blocks
        if (b.uppercase) {
          absl::StatusOr<std::string> upper = UpperNfc(*text);
          if (!upper.ok()) return upper.status();
          text = *std::move(upper);
        }
        painter.Text(b, *text);
        break;
      }
      case BlockType::kList: {
        auto it = d.lists.find(b.source);
        if (it != d.lists.end() && !it->second.empty()) painter.List(b, it->second);
        break;
      }
      case BlockType::kArticles:
        painter.Articles();
        break;
      case BlockType::kFields:
        painter.Fields(b);
        break;
      case BlockType::kSignature:
        result.signature_area = painter.Signature(b);
        break;
    }
  }
  return result;
}

}  // namespace taicho::render
