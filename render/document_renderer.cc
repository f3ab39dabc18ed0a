#include "render/document_renderer.h"

#include <podofo/podofo.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_init.h"
#include "pdf/subset_font.h"
#include "render/block_layout.h"
#include "render/data_checks.h"
#include "render/draft_fields.h"
#include "render/issue_fields.h"
#include "render/qr_code.h"
#include "render/text_layout.h"

namespace taicho::render {
namespace {

PoDoFo::PdfString Utf8(const std::string& s) {
  return PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(s.c_str()));
}

// zlib levels, chosen by measurement on the sample decision (README, "Rendering speed"): glyph
// outlines hardly compress (24 KB of subsets: 17.2 KB at level 1, 16.7 KB at 6, 30% more CPU);
// content streams shrink 16% more at 6 than at 1 for 2.8× the CPU. Level 1 for both keeps the
// sample near 33 KB, well under its 45 KB budget, and deflating the smallest share of a render.
constexpr int kFontZlibLevel = 1;
constexpr int kContentZlibLevel = 1;

// A content stream written as operators: PoDoFo's painter can only draw with fonts PoDoFo made,
// and the text is shown with our own subsets (pdf/subset_font.h). Numbers to 1/1000 pt.
class Content {
 public:
  // To 1/1000 pt without printf (formatting floats was a tenth of a render).
  Content& Num(double v) {
    const int64_t milli = std::llround(v * 1000);
    const uint64_t abs = static_cast<uint64_t>(milli < 0 ? -milli : milli);
    char buf[32];
    char* p = buf;
    if (milli < 0) *p++ = '-';
    p = std::to_chars(p, buf + sizeof buf, abs / 1000).ptr;
    if (uint64_t frac = abs % 1000; frac != 0) {
      *p++ = '.';
      for (uint64_t div = 100; frac != 0; div /= 10) {
        *p++ = static_cast<char>('0' + frac / div);
        frac %= div;
      }
    }
    ops_.append(buf, p).push_back(' ');
    return *this;
  }
  Content& Op(std::string_view op) {
    ops_.append(op).push_back('\n');
    return *this;
  }
  Content& Raw(std::string_view text) {
    ops_.append(text).push_back(' ');
    return *this;
  }
  void UseFace(Face f) { faces_ |= 1u << f; }
  const std::string& ops() const { return ops_; }

  // Writes the operators into `stream` (a page's /Contents or a form XObject) and the fonts they
  // use into `resources`.
  void WriteTo(PoDoFo::PdfObject* stream, PoDoFo::PdfObject* resources, const Fonts& fonts) const {
    pdf::SetDeflatedStream(stream, ops_, kContentZlibLevel);
    if (faces_ == 0 || resources == nullptr) return;
    PoDoFo::PdfDictionary font_dict;
    for (int f = 0; f < 4; ++f) {
      if (faces_ & (1u << f)) {
        font_dict.AddKey(Fonts::ResourceName(static_cast<Face>(f)),
                         fonts.font(static_cast<Face>(f)).reference());
      }
    }
    resources->GetDictionary().AddKey("Font", font_dict);
  }

 private:
  std::string ops_;
  unsigned faces_ = 0;
};

// The verification QR code, bottom-left in the bottom margin of the last page, with its code
// beside it: outside the text area, as decree30.md asks.
struct QrPlacement {
  QrMatrix matrix;
  std::string caption;
  double x = 0, y = 0, size = 0;  // PDF user space (bottom-left origin)
};

void PaintQr(Content& content, PageList* list, const QrPlacement& qr) {
  const double module = qr.size / qr.matrix.size;
  content.Op("0 0 0 rg");
  // One rectangle per horizontal run of dark modules: a few hundred operators, one fill.
  for (int row = 0; row < qr.matrix.size; ++row) {
    int col = 0;
    while (col < qr.matrix.size) {
      if (!qr.matrix.at(col, row)) {
        ++col;
        continue;
      }
      int end = col;
      while (end < qr.matrix.size && qr.matrix.at(end, row)) ++end;
      content.Num(qr.x + col * module)
          .Num(qr.y + qr.size - (row + 1) * module)
          .Num((end - col) * module)
          .Num(module)
          .Op("re");
      col = end;
    }
  }
  content.Op("f");
  constexpr double kCaptionSize = 8;
  const double x = qr.x + qr.size + 3 * kPointsPerMm;
  list->runs.push_back({kRegular, kCaptionSize, x, kA4Height - (qr.y + qr.size / 2 + 2),
                        "Mã tra cứu bản gốc điện tử:"});
  list->runs.push_back({kBold, kCaptionSize, x, kA4Height - (qr.y + qr.size / 2 - 8), qr.caption});
}

void PaintRuns(Content& content, Fonts& fonts, const std::vector<Run>& runs) {
  // One text object per run of words on one line in one face and size.
  size_t i = 0;
  while (i < runs.size()) {
    const Run& first = runs[i];
    pdf::SubsetFont& font = fonts.font(first.face);
    content.UseFace(first.face);
    content.Op("BT")
        .Raw(absl::StrCat("/", Fonts::ResourceName(first.face)))
        .Num(first.size)
        .Op("Tf");
    content.Num(first.x).Num(kA4Height - first.baseline).Op("Td");
    content.Raw(font.Show(first.text)).Op("Tj");
    size_t j = i + 1;
    while (j < runs.size() && runs[j].face == first.face && runs[j].size == first.size &&
           runs[j].baseline == first.baseline && runs[j].x > runs[j - 1].x) {
      content.Num(runs[j].x - runs[j - 1].x).Raw("0").Op("Td");
      content.Raw(font.Show(runs[j].text)).Op("Tj");
      ++j;
    }
    content.Op("ET");
    i = j;
  }
}

void Paint(PoDoFo::PdfMemDocument* doc, Fonts& fonts, std::vector<PageList>& pages,
           const KindStyle& s, const std::optional<QrPlacement>& qr) {
  const double top = s.margin_top_mm * kPointsPerMm;
  const double left = s.margin_left_mm * kPointsPerMm;
  const double width = kA4Width - left - s.margin_right_mm * kPointsPerMm;
  for (size_t p = 0; p < pages.size(); ++p) {
    PageList& list = pages[p];
    if (p > 0) {  // page number, centred in the top margin, from page 2
      const std::string n = std::to_string(p + 1);
      const double w = fonts.Width(kRegular, n, s.page_number_size);
      list.runs.push_back({kRegular, s.page_number_size, left + (width - w) / 2,
                           top / 2 + 0.35 * s.page_number_size, n});
    }
    PoDoFo::PdfPage* page = doc->CreatePage(PoDoFo::PdfRect(0, 0, kA4Width, kA4Height));
    Content content;
    content.Num(kRuleWidth).Op("w");
    for (const Rule& r : list.rules) {
      content.Num(r.x1).Num(kA4Height - r.y).Op("m");
      content.Num(r.x2).Num(kA4Height - r.y).Op("l").Op("S");
    }
    if (qr && p + 1 == pages.size()) PaintQr(content, &list, *qr);
    PaintRuns(content, fonts, list.runs);
    content.WriteTo(page->GetContents(), page->GetResources(), fonts);
  }
}

PageRect ToPdf(const TopRect& r) {
  return {r.page_index, r.x, kA4Height - r.top - r.height, r.width, r.height};
}

// The officer's field has a signature image's proportions, centred in the space between title and
// name; the seal's, at its real size, covers the left third of it (decree30.md, 7c and 8).
void SignatureFields(const TopRect& area, double seal_mm, PageRect* officer, PageRect* seal) {
  const PageRect a = ToPdf(area);
  const double w = std::min(a.width, 2.4 * a.height);
  *officer = {a.page_index, a.x + (a.width - w) / 2, a.y, w, a.height};
  const double d = seal_mm * kPointsPerMm;
  // Centred on that third: at 36 mm it covers it and a little of the middle.
  *seal = {a.page_index, officer->x + w / 6 - d / 2, a.y + a.height / 2 - d / 2, d, d};
}

absl::Status CheckOptions(const RenderOptions& o) {
  if (o.output_path.empty()) return Error(ErrorCode::kUsage, "thiếu tệp đầu ra / no output path");
  if (!(o.seal_diameter_mm >= 20 && o.seal_diameter_mm <= 60)) {
    return Error(ErrorCode::kUsage, "seal_diameter_mm ∉ [20, 60]");
  }
  if (!(o.qr_size_mm >= 10 && o.qr_size_mm <= 18)) {
    return Error(ErrorCode::kUsage, "qr_size_mm ∉ [10, 18] (the bottom margin holds it)");
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// The number's and the date's lines as text fields for the issue step, each in the face and size
// of its line, with a draft appearance drawing the line and its blanks (render/issue_fields.h);
// their rects also noted in `out`.
std::vector<DraftTextField> IssueTextFields(PoDoFo::PdfMemDocument* doc, Fonts& fonts,
                                            const std::vector<IssueLine>& lines,
                                            RenderedDocument* out) {
  std::vector<DraftTextField> fields;
  for (const IssueLine& line : lines) {
    const PageRect r = ToPdf(line.rect);
    DraftTextField f;
    f.where = {line.field, r.page_index, r.x, r.y, r.width, r.height};
    f.font = line.face == kItalic ? "LiberationSerif-Italic" : "LiberationSerif-Regular";
    f.font_object = fonts.font(line.face).reference();
    f.font_size = line.size;
    f.alignment = 1;  // centred in its column, as the decree places both lines
    f.line_template = line.line_template;
    PoDoFo::PdfXObject xobject(PoDoFo::PdfRect(0, 0, r.width, r.height), doc);
    std::vector<Run> runs = line.draft_runs;
    // Into the field's space: PaintRuns draws at y = kA4Height - baseline, the field starts at
    // (r.x, r.y) of the page.
    for (Run& run : runs) {
      run.x -= r.x;
      run.baseline += r.y;
    }
    Content content;
    PaintRuns(content, fonts, runs);
    content.WriteTo(xobject.GetObject(), xobject.GetResources(), fonts);
    f.appearance = xobject.GetObject();
    fields.push_back(f);
    (line.field == kNumberField ? out->number_blank : out->date_blank) = r;
  }
  return fields;
}

}  // namespace

absl::StatusOr<RenderedDocument> RenderDocument(const DocumentKind& kind, const DocumentData& data,
                                                const RenderOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (options.qr_size_mm + 4 > kind.style.margin_bottom_mm) {
    return Error(ErrorCode::kUsage, "qr_size_mm + 4 mm > margin_bottom_mm");
  }
  pdf::InitPodofo();
  absl::StatusOr<DocumentData> normalized = NormalizeData(data);
  if (!normalized.ok()) return normalized.status();
  const DocumentData& d = *normalized;

  std::optional<QrPlacement> qr;
  if (!d.verification.code.empty()) {
    absl::StatusOr<QrMatrix> matrix =
        EncodeQr(d.verification.url.empty() ? d.verification.code : d.verification.url);
    if (!matrix.ok()) return matrix.status();
    qr = QrPlacement{*std::move(matrix), d.verification.code,
                     kind.style.margin_left_mm * kPointsPerMm, 4 * kPointsPerMm,
                     options.qr_size_mm * kPointsPerMm};
  }

  static std::atomic<unsigned> counter{0};
  const std::string tmp =
      absl::StrCat(options.output_path, ".tmp.", getpid(), ".", counter.fetch_add(1));
  auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
  };
  // Our own drawing: what PoDoFo throws here is a bug (kInternal) or an unwritable output.
  absl::StatusOr<RenderedDocument> rendered = pdf::AtPodofoBoundary(
      "render",
      [&]() -> absl::StatusOr<RenderedDocument> {
        PoDoFo::PdfMemDocument doc;
        doc.SetPdfVersion(PoDoFo::ePdfVersion_1_7);
        Fonts fonts;
        pdf::FontFiles once;  // without an owner's: the four faces parsed for this render
        if (absl::Status s =
                fonts.Load(&doc, options.font_dir, options.font_files ? *options.font_files : once);
            !s.ok()) {
          return s;
        }
        if (absl::Status s = CheckGlyphs(fonts, kind, d); !s.ok()) return s;

        const KindStyle& st = kind.style;
        const PageFrame frame{
            st.margin_left_mm * kPointsPerMm, kA4Width - st.margin_right_mm * kPointsPerMm,
            st.margin_top_mm * kPointsPerMm, kA4Height - st.margin_bottom_mm * kPointsPerMm};
        Layout layout(&fonts, frame, st.line_spacing);
        absl::StatusOr<BlockLayoutResult> laid = LayOutBlocks(layout, fonts, kind, d);
        if (!laid.ok()) return laid.status();
        Paint(&doc, fonts, layout.pages(), st, qr);

        RenderedDocument out;
        SignatureFields(laid->signature_area, options.seal_diameter_mm, &out.signature_area,
                        &out.seal_area);
        AddDraftFields(&doc,
                       {{kOfficerField, out.signature_area.page_index, out.signature_area.x,
                         out.signature_area.y, out.signature_area.width, out.signature_area.height},
                        {kSealField, out.seal_area.page_index, out.seal_area.x, out.seal_area.y,
                         out.seal_area.width, out.seal_area.height}},
                       IssueTextFields(&doc, fonts, laid->issue_lines, &out));
        // Last: the subsets hold exactly the glyphs the pages and the field appearances show.
        if (absl::Status s = fonts.Embed(kFontZlibLevel); !s.ok()) {
          cleanup();
          return s;
        }

        const std::string type = d.type.empty() ? kind.type : d.type;
        const std::string title =
            options.pdf_title.empty() ? absl::StrCat(type, " ", d.summary) : options.pdf_title;
        doc.GetInfo()->SetTitle(Utf8(title));
        doc.GetInfo()->SetCreator(PoDoFo::PdfString("taicho"));
        const absl::Status written = pdf::AtPodofoBoundary(
            "render",
            [&] {
              doc.Write(tmp.c_str());
              return absl::OkStatus();
            },
            ErrorCode::kInternal);
        if (!written.ok()) {
          return HasCode(written, ErrorCode::kIo)
                     ? Error(ErrorCode::kIo, absl::StrCat("cannot write ", options.output_path))
                     : written;
        }

        std::error_code ec;
        std::filesystem::rename(tmp, options.output_path, ec);
        if (ec) {
          cleanup();
          return Error(ErrorCode::kIo, absl::StrCat("cannot write ", options.output_path));
        }
        out.path = options.output_path;
        out.page_count = static_cast<int>(layout.pages().size());
        out.file_size = std::filesystem::file_size(options.output_path, ec);
        if (qr) {
          out.qr_area = PageRect{out.page_count - 1, qr->x, qr->y, qr->size, qr->size};
        }
        return out;
      },
      ErrorCode::kInternal);
  if (!rendered.ok()) cleanup();
  return rendered;
}

}  // namespace taicho::render
