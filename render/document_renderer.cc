#include "render/document_renderer.h"

#include <podofo/podofo.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/podofo_init.h"
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

// The verification QR code, bottom-left in the bottom margin of the last page, with its code
// beside it: outside the text area, as decree30.md asks.
struct QrPlacement {
  QrMatrix matrix;
  std::string caption;
  double x = 0, y = 0, size = 0;  // PDF user space (bottom-left origin)
};

void PaintQr(PoDoFo::PdfPainter& painter, PageList* list, const QrPlacement& qr) {
  const double module = qr.size / qr.matrix.size;
  painter.SetColor(0, 0, 0);
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
      painter.Rectangle(qr.x + col * module, qr.y + qr.size - (row + 1) * module,
                        (end - col) * module, module);
      col = end;
    }
  }
  painter.Fill();
  constexpr double kCaptionSize = 8;
  const double x = qr.x + qr.size + 3 * kPointsPerMm;
  list->runs.push_back({kRegular, kCaptionSize, x, kA4Height - (qr.y + qr.size / 2 + 2),
                        "Mã tra cứu bản gốc điện tử:"});
  list->runs.push_back({kBold, kCaptionSize, x, kA4Height - (qr.y + qr.size / 2 - 8), qr.caption});
}

void PaintRuns(PoDoFo::PdfPainter& painter, Fonts& fonts, const std::vector<Run>& runs) {
  // One text object per run of words on one line in one face and size.
  size_t i = 0;
  while (i < runs.size()) {
    const Run& first = runs[i];
    PoDoFo::PdfFont* font = fonts.font(first.face);
    font->SetFontSize(static_cast<float>(first.size));
    painter.SetFont(font);
    painter.BeginText(first.x, kA4Height - first.baseline);
    painter.AddText(Utf8(first.text));
    size_t j = i + 1;
    while (j < runs.size() && runs[j].face == first.face && runs[j].size == first.size &&
           runs[j].baseline == first.baseline && runs[j].x > runs[j - 1].x) {
      painter.MoveTextPos(runs[j].x - runs[j - 1].x, 0);
      painter.AddText(Utf8(runs[j].text));
      ++j;
    }
    painter.EndText();
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
    PoDoFo::PdfPainter painter;
    painter.SetPage(page);
    painter.SetStrokeWidth(kRuleWidth);
    for (const Rule& r : list.rules) {
      painter.DrawLine(r.x1, kA4Height - r.y, r.x2, kA4Height - r.y);
    }
    if (qr && p + 1 == pages.size()) PaintQr(painter, &list, *qr);
    PaintRuns(painter, fonts, list.runs);
    painter.FinishPage();
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
    f.font_object = fonts.font(line.face);
    f.font_size = line.size;
    f.alignment = 1;  // centred in its column, as the decree places both lines
    f.line_template = line.line_template;
    PoDoFo::PdfXObject xobject(PoDoFo::PdfRect(0, 0, r.width, r.height), doc);
    PoDoFo::PdfPainter painter;
    painter.SetPage(&xobject);
    std::vector<Run> runs = line.draft_runs;
    // Into the field's space: PaintRuns draws at y = kA4Height - baseline, the field starts at
    // (r.x, r.y) of the page.
    for (Run& run : runs) {
      run.x -= r.x;
      run.baseline += r.y;
    }
    PaintRuns(painter, fonts, runs);
    painter.FinishPage();
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
  try {
    PoDoFo::PdfMemDocument doc;
    doc.SetPdfVersion(PoDoFo::ePdfVersion_1_7);
    Fonts fonts;
    if (absl::Status s = fonts.Load(&doc, options.font_dir); !s.ok()) return s;
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

    const std::string type = d.type.empty() ? kind.type : d.type;
    const std::string title =
        options.pdf_title.empty() ? absl::StrCat(type, " ", d.summary) : options.pdf_title;
    doc.GetInfo()->SetTitle(Utf8(title));
    doc.GetInfo()->SetCreator(PoDoFo::PdfString("taicho"));
    doc.Write(tmp.c_str());

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
  } catch (const PoDoFo::PdfError& e) {
    cleanup();
    if (e.GetError() == PoDoFo::ePdfError_FileNotFound) {
      return Error(ErrorCode::kIo, absl::StrCat("cannot write ", options.output_path));
    }
    const char* name = PoDoFo::PdfError::ErrorName(e.GetError());
    return Error(ErrorCode::kInternal, absl::StrCat("render: PoDoFo ", name ? name : "error"));
  } catch (const std::exception& e) {
    cleanup();
    return Error(ErrorCode::kInternal, absl::StrCat("render: ", e.what()));
  }
}

}  // namespace taicho::render
