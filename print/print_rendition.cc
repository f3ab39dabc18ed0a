#include "print/print_rendition.h"

#include <podofo/podofo.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errors/error.h"
#include "pdf/pdf_text.h"
#include "pdf/podofo_load.h"
#include "render/qr_code.h"
#include "vntime/vntime.h"

// How the rendition is made, and why this way.
//
// Two ways give a print file that shows the signatures' appearances with the mark:
//  (a) a copy of the signed bytes plus an incremental update adding a content stream per page;
//  (b) a new file whose pages draw their old content and their printable annotation appearances
//      flattened into the page content, plus the mark.
// We take (b), done as a full rewrite of a loaded copy (the signed file is only read). The
// rendition is not the electronic original and must not look like one: with (a) it would still
// carry the signatures, and every verifier would report them as "modified after signing" —
// an alarming, misleading result on a file that is only meant for paper. With (b) the print
// file has no signature fields at all (pdfsig finds none), every appearance is page content
// (printed by any driver, whatever its annotation support), and the QR code sends the reader to
// the original. The mark is one Form XObject shared by every page, so it costs its bytes once.

namespace taicho::print {
namespace {

using pdf::Nfc;
using pdf::PdfText;

using PoDoFo::PdfArray;
using PoDoFo::PdfDictionary;
using PoDoFo::PdfName;
using PoDoFo::PdfObject;
using PoDoFo::PdfReference;

constexpr double kPointsPerMm = 72 / 25.4;
constexpr double kMinFontSize = 5.5;
constexpr int kAnnotHidden = 2, kAnnotPrint = 4;

PdfObject* Resolve(PoDoFo::PdfVecObjects& objects, PdfObject* o) {
  return o && o->IsReference() ? objects.GetObject(o->GetReference()) : o;
}

bool ReadNumbers(const PdfObject* array, size_t count, double* out) {
  if (array == nullptr || !array->IsArray() || array->GetArray().size() != count) return false;
  for (size_t i = 0; i < count; ++i) {
    const PdfObject& n = array->GetArray()[i];
    if (!n.IsNumber() && !n.IsReal()) return false;
    out[i] = n.GetReal();
  }
  return true;
}

struct Box {
  double left, bottom, right, top;
};

Box Normalised(const double v[4]) {
  return {std::min(v[0], v[2]), std::min(v[1], v[3]), std::max(v[0], v[2]), std::max(v[1], v[3])};
}

// The appearance stream an annotation shows: /AP /N itself, or the state /AS names in it.
PdfObject* NormalAppearance(PoDoFo::PdfVecObjects& objects, PdfObject* annot) {
  PdfObject* ap = Resolve(objects, annot->GetDictionary().GetKey("AP"));
  if (ap == nullptr || !ap->IsDictionary()) return nullptr;
  PdfObject* n = Resolve(objects, ap->GetDictionary().GetKey("N"));
  if (n && n->IsDictionary() && !n->HasStream()) {
    const PdfObject* as = annot->GetDictionary().GetKey("AS");
    n = as && as->IsName() ? Resolve(objects, n->GetDictionary().GetKey(as->GetName())) : nullptr;
  }
  return n && n->HasStream() && n->Reference().ObjectNumber() != 0 ? n : nullptr;
}

// "a 0 0 d e f cm" placing the form's (transformed) bounding box on the annotation's rect, as
// ISO 32000-1 §12.5.5 describes for drawing an appearance. Empty when it cannot be drawn.
std::string PlacementMatrix(const PdfObject& form, const PdfObject& annot) {
  double bbox[4], rect[4], m[6] = {1, 0, 0, 1, 0, 0};
  if (!ReadNumbers(form.GetDictionary().GetKey("BBox"), 4, bbox) ||
      !ReadNumbers(annot.GetDictionary().GetKey("Rect"), 4, rect)) {
    return "";
  }
  if (form.GetDictionary().HasKey("Matrix")) {
    if (!ReadNumbers(form.GetDictionary().GetKey("Matrix"), 6, m)) return "";
  }
  // The bounding box's corners through the form matrix, then their bounds.
  double xs[4], ys[4];
  const double cx[4] = {bbox[0], bbox[2], bbox[0], bbox[2]};
  const double cy[4] = {bbox[1], bbox[1], bbox[3], bbox[3]};
  for (int i = 0; i < 4; ++i) {
    xs[i] = m[0] * cx[i] + m[2] * cy[i] + m[4];
    ys[i] = m[1] * cx[i] + m[3] * cy[i] + m[5];
  }
  const Box box{*std::min_element(xs, xs + 4), *std::min_element(ys, ys + 4),
                *std::max_element(xs, xs + 4), *std::max_element(ys, ys + 4)};
  const Box r = Normalised(rect);
  if (box.right - box.left < 1e-6 || box.top - box.bottom < 1e-6) return "";
  const double a = (r.right - r.left) / (box.right - box.left);
  const double d = (r.top - r.bottom) / (box.top - box.bottom);
  return absl::StrFormat("%.5f 0 0 %.5f %.3f %.3f cm", a, d, r.left - box.left * a,
                         r.bottom - box.bottom * d);
}

// The page's /Resources /XObject dictionary, created when missing.
absl::StatusOr<PdfDictionary*> XObjectResources(PoDoFo::PdfVecObjects& objects,
                                                PoDoFo::PdfPage& page) {
  PdfObject* resources = page.GetResources();
  if (resources == nullptr) {
    page.GetObject()->GetDictionary().AddKey("Resources", PdfDictionary());
    resources = page.GetObject()->GetDictionary().GetKey("Resources");
  }
  resources = Resolve(objects, resources);
  if (resources == nullptr || !resources->IsDictionary()) {
    return Error(ErrorCode::kPdfUnreadable, "page /Resources is not a dictionary");
  }
  PdfObject* xobjects = Resolve(objects, resources->GetDictionary().GetKey("XObject"));
  if (xobjects == nullptr) {
    resources->GetDictionary().AddKey("XObject", PdfDictionary());
    xobjects = resources->GetDictionary().GetKey("XObject");
  }
  if (!xobjects->IsDictionary()) {
    return Error(ErrorCode::kPdfUnreadable, "page /Resources /XObject is not a dictionary");
  }
  return &xobjects->GetDictionary();
}

PdfObject* NewStream(PoDoFo::PdfMemDocument& doc, const std::string& content) {
  PdfObject* stream = doc.GetObjects().CreateObject();
  stream->GetStream()->Set(content.data(), static_cast<PoDoFo::pdf_long>(content.size()));
  return stream;
}

// The mark's lines, as printed.
std::vector<std::string> MarkLines(const ConversionMark& mark, const std::string& time_iso) {
  return {Nfc(mark.wording), Nfc("Hệ thống lưu bản gốc: " + mark.system_name),
          Nfc("Mã tra cứu: " + mark.reference), Nfc("Người chuyển đổi: " + mark.officer),
          "Thời điểm chuyển đổi: " + time_iso};
}

// PoDoFo tags every document's subsets from "AAAAAA+" on, so our subset would share its name
// with the draft's own (a different subset of the same face). Give ours their own tag.
void RetagSubset(PoDoFo::PdfVecObjects& objects, PoDoFo::PdfFont& font) {
  auto retag = [](PdfDictionary& dict, const char* key) {
    const PdfObject* name = dict.GetKey(key);
    if (name == nullptr || !name->IsName()) return;
    const std::string old = name->GetName().GetName();
    const size_t plus = old.find('+');
    dict.AddKey(key, PdfName("TPRINT+" + (plus == std::string::npos ? old : old.substr(plus + 1))));
  };
  PdfDictionary& type0 = font.GetObject()->GetDictionary();
  retag(type0, "BaseFont");
  PdfObject* descendants = Resolve(objects, type0.GetKey("DescendantFonts"));
  if (descendants == nullptr || !descendants->IsArray()) return;
  for (PdfObject& d : descendants->GetArray()) {
    PdfObject* cid = Resolve(objects, &d);
    if (cid == nullptr || !cid->IsDictionary()) continue;
    retag(cid->GetDictionary(), "BaseFont");
    PdfObject* descriptor = Resolve(objects, cid->GetDictionary().GetKey("FontDescriptor"));
    if (descriptor && descriptor->IsDictionary()) retag(descriptor->GetDictionary(), "FontName");
  }
}

struct MarkForm {
  PoDoFo::PdfXObject* form = nullptr;  // owned by the document's object list
  double width = 0, height = 0;
};

// Draws the mark (text right-aligned beside the QR code) into a Form XObject.
absl::StatusOr<MarkForm> DrawMark(PoDoFo::PdfMemDocument& doc, const ConversionMark& mark,
                                  const std::string& time_iso, const PrintOptions& options,
                                  double max_width,
                                  std::vector<std::unique_ptr<PoDoFo::PdfXObject>>& keep) {
  const std::string regular = options.font_dir + "/LiberationSerif-Regular.ttf";
  const std::string bold = options.font_dir + "/LiberationSerif-Bold.ttf";
  for (const std::string& path : {regular, bold}) {
    if (!std::ifstream(path, std::ios::binary)) {
      return Error(ErrorCode::kIo, "không đọc được phông chữ / cannot read the font: " + path);
    }
  }
  // Identity-H subsets: Vietnamese needs 2-byte codes, and PoDoFo writes the ToUnicode map.
  PoDoFo::PdfFont* fonts[2] = {
      doc.CreateFontSubset("LiberationSerif", false, false, false,
                           PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance(),
                           regular.c_str()),
      doc.CreateFontSubset("LiberationSerif", true, false, false,
                           PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance(),
                           bold.c_str())};
  if (fonts[0] == nullptr || fonts[1] == nullptr) {
    return Error(ErrorCode::kIo, "phông chữ không dùng được / unusable font: " + regular);
  }
  for (PoDoFo::PdfFont* font : fonts) RetagSubset(doc.GetObjects(), *font);
  absl::StatusOr<render::QrMatrix> qr =
      render::EncodeQr(mark.url.empty() ? mark.reference : mark.url);
  if (!qr.ok()) return qr.status();

  const std::vector<std::string> lines = MarkLines(mark, time_iso);
  const double qr_size = options.qr_size_mm * kPointsPerMm;
  const double gap = 2 * kPointsPerMm;
  // One size for the whole block, the largest at which every line fits beside the QR code.
  auto widest = [&](double size) {
    double w = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      PoDoFo::PdfFont* f = fonts[i == 0 ? 1 : 0];
      f->SetFontSize(static_cast<float>(size));
      w = std::max(w, f->GetFontMetrics()->StringWidth(PdfText(lines[i])));
    }
    return w;
  };
  double size = options.font_size;
  while (size > kMinFontSize && widest(size) + gap + qr_size > max_width) size -= 0.25;
  const double text_width = widest(size);
  if (text_width + gap + qr_size > max_width) {
    return Error(ErrorCode::kUsage,
                 "dấu chuyển đổi quá dài so với lề dưới / the conversion mark does not fit in the "
                 "bottom margin: shorten the wording, the system or officer name");
  }
  const double leading = size * 1.2;
  const double text_height = leading * static_cast<double>(lines.size());
  const double height = std::max(qr_size, text_height);
  MarkForm out;
  out.width = text_width + gap + qr_size;
  out.height = height;
  keep.push_back(std::make_unique<PoDoFo::PdfXObject>(PoDoFo::PdfRect(0, 0, out.width, out.height),
                                                      &doc, "TaichoMark"));
  out.form = keep.back().get();

  PoDoFo::PdfPainter painter;
  painter.SetPage(out.form);
  painter.SetColor(0, 0, 0);
  // Baselines from the top, so the block's first line sits level with the QR code's top.
  for (size_t i = 0; i < lines.size(); ++i) {
    PoDoFo::PdfFont* f = fonts[i == 0 ? 1 : 0];
    f->SetFontSize(static_cast<float>(size));
    painter.SetFont(f);
    const double w = f->GetFontMetrics()->StringWidth(PdfText(lines[i]));
    const double baseline = height - leading * static_cast<double>(i) - size * 0.9;
    painter.DrawText(text_width - w, baseline, PdfText(lines[i]));
  }
  // The QR code: one rectangle per run of dark modules, vector (crisp on any printer).
  const double module = qr_size / qr->size;
  const double qx = text_width + gap, qy = height - qr_size;
  for (int row = 0; row < qr->size; ++row) {
    for (int col = 0; col < qr->size;) {
      if (!qr->at(col, row)) {
        ++col;
        continue;
      }
      int end = col;
      while (end < qr->size && qr->at(end, row)) ++end;
      painter.Rectangle(qx + col * module, qy + qr_size - (row + 1) * module, (end - col) * module,
                        module);
      col = end;
    }
  }
  painter.Fill();
  painter.FinishPage();
  return out;
}

// Draws the page's printable annotation appearances into its content and drops those
// annotations; returns the content that draws them ("" when none) and how many.
absl::StatusOr<std::pair<std::string, int>> FlattenAnnotations(PoDoFo::PdfMemDocument& doc,
                                                               PoDoFo::PdfPage& page,
                                                               PdfDictionary& xobjects) {
  PoDoFo::PdfVecObjects& objects = doc.GetObjects();
  PdfDictionary& page_dict = page.GetObject()->GetDictionary();
  PdfObject* annots = Resolve(objects, page_dict.GetKey("Annots"));
  if (annots == nullptr || !annots->IsArray()) return std::pair<std::string, int>{"", 0};
  std::string content;
  int count = 0;
  PdfArray kept;
  for (const PdfObject& entry : annots->GetArray()) {
    PdfObject* annot = Resolve(objects, const_cast<PdfObject*>(&entry));
    if (annot == nullptr || !annot->IsDictionary()) continue;
    const int64_t flags = annot->GetDictionary().GetKeyAsLong("F", 0);
    PdfObject* form = NormalAppearance(objects, annot);
    const bool printable = (flags & kAnnotPrint) != 0 && (flags & kAnnotHidden) == 0;
    const std::string placement = form ? PlacementMatrix(*form, *annot) : "";
    const PdfObject* subtype = annot->GetDictionary().GetKey("Subtype");
    const bool widget = subtype && subtype->IsName() && subtype->GetName() == PdfName("Widget");
    if (printable && !placement.empty()) {
      const std::string name = absl::StrCat("TaichoAP", form->Reference().ObjectNumber());
      xobjects.AddKey(PdfName(name), form->Reference());
      absl::StrAppend(&content, "q ", placement, " /", name, " Do Q\n");
      ++count;
      continue;
    }
    // Form fields never belong on paper as interactive objects; other annotations (links) stay.
    if (!widget) kept.push_back(entry);
  }
  if (kept.empty()) {
    page_dict.RemoveKey("Annots");
  } else {
    page_dict.AddKey("Annots", kept);
  }
  return std::pair<std::string, int>{content, count};
}

// Sets /Contents to [q, old content…, Q, overlay]: the old content cannot leave a changed
// graphics state (a transformation, a clip) under what we draw.
void WrapContents(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfPage& page, const std::string& overlay) {
  PoDoFo::PdfVecObjects& objects = doc.GetObjects();
  PdfDictionary& dict = page.GetObject()->GetDictionary();
  PdfArray contents;
  contents.push_back(NewStream(doc, "q\n")->Reference());
  PdfObject* old = dict.GetKey("Contents");
  PdfObject* resolved = Resolve(objects, old);
  if (resolved && resolved->IsArray()) {
    for (const PdfObject& o : resolved->GetArray()) contents.push_back(o);
  } else if (old && old->IsReference()) {
    contents.push_back(*old);
  }
  contents.push_back(NewStream(doc, "Q\n" + overlay)->Reference());
  dict.AddKey("Contents", contents);
}

// Removes every object the written file would not reach from its trailer (/Root, /Info): the
// signature dictionaries, fields and widgets left behind once the form is gone, old
// cross-reference streams, anything the signed file's updates superseded. The rendition then
// holds only what it draws — no /ByteRange a verifier could take for a removed signature.
// PoDoFo's own CollectGarbage drops only objects nothing names, in one pass: a widget it drops
// would still keep its signature dictionary.
int DropUnreachable(PoDoFo::PdfMemDocument& doc) {
  PoDoFo::PdfVecObjects& objects = doc.GetObjects();
  std::set<PdfReference> reached;
  std::vector<const PdfObject*> todo{doc.GetTrailer()};
  // What the writer names in the new trailer, whether or not the loaded trailer did.
  for (const PdfObject* root : {doc.GetCatalog(), doc.GetInfo()->GetObject()}) {
    if (root != nullptr && reached.insert(root->Reference()).second) todo.push_back(root);
  }
  while (!todo.empty()) {
    const PdfObject* o = todo.back();
    todo.pop_back();
    if (o == nullptr) continue;
    if (o->IsReference()) {
      if (reached.insert(o->GetReference()).second) {
        todo.push_back(objects.GetObject(o->GetReference()));
      }
    } else if (o->IsDictionary()) {
      for (const auto& [key, value] : o->GetDictionary().GetKeys()) todo.push_back(value);
    } else if (o->IsArray()) {
      for (const PdfObject& item : o->GetArray()) todo.push_back(&item);
    }
  }
  std::vector<PdfReference> unreached;
  for (PdfObject* o : objects) {
    if (reached.count(o->Reference()) == 0) unreached.push_back(o->Reference());
  }
  for (const PdfReference& ref : unreached) delete objects.RemoveObject(ref, /*bMarkAsFree=*/true);
  return static_cast<int>(unreached.size());
}

absl::StatusOr<PrintRendition> Render(const std::string& signed_pdf, const std::string& tmp,
                                      const ConversionMark& mark, const PrintOptions& options,
                                      const std::string& time_iso) {
  absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> loaded = pdf::LoadPdf(signed_pdf);
  if (!loaded.ok()) return loaded.status();
  PoDoFo::PdfMemDocument& doc = **loaded;
  PrintRendition out;
  std::vector<std::unique_ptr<PoDoFo::PdfXObject>> keep;
  // The signed file came from outside: PoDoFo's failures on it read as kPdfUnreadable.
  return pdf::AtPodofoBoundary("print rendition", [&]() -> absl::StatusOr<PrintRendition> {
    PoDoFo::PdfVecObjects& objects = doc.GetObjects();
    out.page_count = doc.GetPageCount();
    // The narrowest page decides the space the mark may take: from the middle of the page to the
    // right margin (the left half of the bottom margin holds the draft's own QR code).
    double narrowest = 1e9;
    for (int i = 0; i < out.page_count; ++i) {
      PoDoFo::PdfPage* page = doc.GetPage(i);
      if (page == nullptr) return Error(ErrorCode::kPdfUnreadable, "a page is missing");
      narrowest = std::min(narrowest, page->GetMediaBox().GetWidth());
    }
    const double max_width = narrowest / 2 - options.margin_right_mm * kPointsPerMm;
    absl::StatusOr<MarkForm> form = DrawMark(doc, mark, time_iso, options, max_width, keep);
    if (!form.ok()) return form.status();
    if (form->height > options.margin_bottom_mm * kPointsPerMm - 4 * kPointsPerMm) {
      return Error(ErrorCode::kUsage,
                   "dấu chuyển đổi cao hơn lề dưới / the mark is taller than "
                   "the bottom margin: use a smaller QR code");
    }
    for (int i = 0; i < out.page_count; ++i) {
      PoDoFo::PdfPage* page = doc.GetPage(i);
      absl::StatusOr<PdfDictionary*> xobjects = XObjectResources(objects, *page);
      if (!xobjects.ok()) return xobjects.status();
      absl::StatusOr<std::pair<std::string, int>> flat = FlattenAnnotations(doc, *page, **xobjects);
      if (!flat.ok()) return flat.status();
      out.flattened_appearances += flat->second;
      const PoDoFo::PdfRect box = page->GetMediaBox();
      const double x =
          box.GetLeft() + box.GetWidth() - options.margin_right_mm * kPointsPerMm - form->width;
      const double y = box.GetBottom() + 4 * kPointsPerMm;
      (*xobjects)->AddKey(PdfName("TaichoMark"), form->form->GetObject()->Reference());
      WrapContents(
          doc, *page,
          absl::StrFormat("%sq 1 0 0 1 %.3f %.3f cm /TaichoMark Do Q\n", flat->first, x, y));
    }
    // No form, no signatures, no certification: the print file is not the original.
    PdfDictionary& catalog = doc.GetCatalog()->GetDictionary();
    catalog.RemoveKey("AcroForm");
    catalog.RemoveKey("Perms");
    doc.SetPdfVersion(PoDoFo::ePdfVersion_1_7);
    doc.GetInfo()->SetTitle(PdfText(Nfc(mark.wording + " — " + mark.reference)));
    doc.GetInfo()->SetProducer(PdfText("taicho print rendition"));
    out.dropped_objects = DropUnreachable(doc);
    doc.Write(tmp.c_str());
    return out;
  });
}

}  // namespace

absl::StatusOr<PrintRendition> MakePrintRendition(const std::string& signed_pdf,
                                                  const std::string& out_pdf,
                                                  const ConversionMark& mark,
                                                  const PrintOptions& options) {
  if (mark.reference.empty() || mark.officer.empty()) {
    return Error(ErrorCode::kUsage,
                 "cần mã tra cứu và tên người chuyển đổi / the verification "
                 "reference and the converting officer are required");
  }
  std::error_code ec;
  if (std::filesystem::weakly_canonical(signed_pdf, ec) ==
      std::filesystem::weakly_canonical(out_pdf, ec)) {
    return Error(ErrorCode::kUsage, "bản in phải là tệp khác / the rendition must be another file");
  }
  const int64_t time_ms = mark.time_ms != 0
                              ? mark.time_ms
                              : std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  const std::string time_iso = vntime::IsoVietnam(time_ms / 1000);
  static std::atomic<unsigned> counter{0};
  const std::string tmp = absl::StrCat(out_pdf, ".tmp.", getpid(), ".", counter.fetch_add(1));
  absl::StatusOr<PrintRendition> out = Render(signed_pdf, tmp, mark, options, time_iso);
  if (!out.ok()) {
    std::filesystem::remove(tmp, ec);
    return out.status();
  }
  std::filesystem::rename(tmp, out_pdf, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Error(ErrorCode::kIo, absl::StrCat("ghi tệp / write ", out_pdf, ": ", ec.message()));
  }
  out->path = out_pdf;
  out->time_iso = time_iso;
  out->file_size = std::filesystem::file_size(out_pdf, ec);
  return out;
}

}  // namespace taicho::print
