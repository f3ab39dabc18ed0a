#include "pdf/signature_update.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "errors/error.h"
#include "pdf/appearance_builder.h"
#include "pdf/incremental_writer.h"
#include "pdf/pdf_source.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_document.h"
#include "pdf/signature_update_objects.h"
#include "pdf/xref_reader.h"
#include "vntime/vntime.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfArray;
using PoDoFo::PdfDictionary;
using PoDoFo::PdfName;
using PoDoFo::PdfObject;
using PoDoFo::PdfReference;
using PoDoFo::PdfString;
using PoDoFo::PdfVariant;

// Width kept for the /ByteRange array so it can be filled in place once offsets are known.
constexpr size_t kByteRangeWidth = 64;

// A text string as PDF syntax: UTF-16BE with BOM, hex (handles Vietnamese).
std::string TextString(const std::string& utf8) {
  PdfString s(reinterpret_cast<const PoDoFo::pdf_utf8*>(utf8.c_str()));
  std::string out;
  PdfObject(s).ToString(out, PoDoFo::ePdfWriteMode_Compact);
  return out;
}

// An object of an earlier revision that this update redefines, and its new body.
struct ChangedObject {
  PdfReference ref;
  std::string body;
};

// Collects the form's fields by fully qualified name.
void CollectFields(UpdateObjects& objects, PdfObject* field, const std::string& prefix,
                   std::map<std::string, PdfObject*>& fields, std::set<const PdfObject*>& seen,
                   int depth) {
  if (field == nullptr || depth > 32) return;
  if (field->IsReference()) field = objects.Get(field->GetReference());
  // A hostile form can list a field as its own kid, or the same kid many times.
  if (field == nullptr || !field->IsDictionary() || !seen.insert(field).second) return;
  std::string name = prefix;
  if (const PdfObject* t = field->GetDictionary().GetKey("T");
      t && (t->IsString() || t->IsHexString())) {
    name = prefix.empty() ? t->GetString().GetStringUtf8()
                          : prefix + "." + t->GetString().GetStringUtf8();
    fields.emplace(name, field);
  }
  PdfObject* kids = field->GetDictionary().GetKey("Kids");
  if (kids && kids->IsReference()) kids = objects.Get(kids->GetReference());
  if (kids && kids->IsArray()) {
    for (PdfObject& kid : kids->GetArray())
      CollectFields(objects, &kid, name, fields, seen, depth + 1);
  }
}

// /FT of the field or, inherited, of its parents ("" when none).
std::string FieldType(UpdateObjects& objects, PdfObject* field) {
  for (int depth = 0; field && field->IsDictionary() && depth < 32; ++depth) {
    if (const PdfObject* ft = field->GetDictionary().GetKey("FT"); ft && ft->IsName()) {
      return ft->GetName().GetName();
    }
    field = objects.Resolve(field->GetDictionary().GetKey("Parent"));
  }
  return "";
}

bool IsSignatureField(UpdateObjects& objects, PdfObject* field) {
  return FieldType(objects, field) == "Sig";
}

Rect RectOf(const PdfObject* rect) {
  if (rect == nullptr || !rect->IsArray() || rect->GetArray().size() != 4) return {};
  double v[4];
  for (size_t i = 0; i < 4; ++i) {
    const PdfObject& n = rect->GetArray()[i];
    if (!n.IsNumber() && !n.IsReal()) return {};
    v[i] = n.GetReal();
  }
  return {std::min(v[0], v[2]), std::min(v[1], v[3]), std::max(v[0], v[2]), std::max(v[1], v[3])};
}

bool IsEmpty(const Rect& r) { return !(r.right > r.left && r.top > r.bottom); }

std::string RectString(const Rect& r) {
  return absl::StrFormat("[%.2f %.2f %.2f %.2f]", r.left, r.bottom, r.right, r.top);
}

// The whole update, computed before anything is written.
struct UpdatePlan {
  std::vector<ChangedObject> changed;  // earlier objects redefined
  bool fills_existing_field = false;   // the field is an earlier, empty one (in `changed`)
  int64_t field_number = 0;            // new merged field + widget (0 when filling)
  int64_t sig_number = 0;              // new: signature dictionary
  int64_t acroform_number = 0;         // new AcroForm object, 0 when the document has one
  std::string field_body;
  std::string acroform_body;
  std::string field_name;
  int page_index = 0;
  Rect rect;
  std::vector<NumberedObject> appearance;    // new: the Form XObject and what it uses
  std::vector<NumberedObject> fill_objects;  // new: the filled fields' appearances
  size_t filled = 0;
  DssPlan dss;  // new: the validation data written with the signature (none: no objects)
};

// Adds `field_ref` to the page's /Annots: a direct array in the page, an array object, or none.
absl::Status AddToAnnots(UpdateObjects& objects, PdfObject* page, const PdfReference& field_ref,
                         UpdatePlan& plan) {
  PdfObject* annots = page->GetDictionary().GetKey("Annots");
  if (annots && annots->IsReference()) {
    PdfObject* array = objects.Get(annots->GetReference());
    if (array == nullptr || !array->IsArray()) {
      return Error(ErrorCode::kPdfUnreadable, "/Annots is not an array");
    }
    array->GetArray().push_back(PdfObject(field_ref));
    plan.changed.push_back({array->Reference(), Serialize(*array)});
    return absl::OkStatus();
  }
  PdfArray array;
  if (annots && annots->IsArray()) array = annots->GetArray();
  array.push_back(PdfObject(field_ref));
  page->GetDictionary().AddKey("Annots", array);
  if (page->HasStream()) return Error(ErrorCode::kPdfUnreadable, "page object has a stream");
  plan.changed.push_back({page->Reference(), Serialize(*page)});
  return absl::OkStatus();
}

bool AnnotsContain(UpdateObjects& objects, PdfObject* page, const PdfReference& ref) {
  PdfObject* annots = objects.Resolve(page->GetDictionary().GetKey("Annots"));
  if (annots == nullptr || !annots->IsArray()) return false;
  for (const PdfObject& a : annots->GetArray()) {
    if (a.IsReference() && a.GetReference() == ref) return true;
  }
  return false;
}

// The existing field the spec names, or nullptr when it must be created. Errors when it exists
// but cannot take this signature.
absl::StatusOr<PdfObject*> FieldToFill(UpdateObjects& objects,
                                       const std::map<std::string, PdfObject*>& fields,
                                       const std::string& name) {
  auto it = name.empty() ? fields.end() : fields.find(name);
  if (it == fields.end()) return nullptr;
  PdfObject* field = it->second;
  if (!IsSignatureField(objects, field)) {
    return Error(
        ErrorCode::kUsage,
        absl::StrCat("tên trường đã dùng cho trường khác / field name already used: ", name));
  }
  if (field->GetDictionary().HasKey("V")) {
    return Error(
        ErrorCode::kUsage,
        absl::StrCat("trường chữ ký đã được ký / the signature field is already signed: ", name));
  }
  const PdfObject* subtype = field->GetDictionary().GetKey("Subtype");
  if (!subtype || !subtype->IsName() || subtype->GetName() != PdfName("Widget") ||
      field->Reference().ObjectNumber() == 0) {
    return Error(ErrorCode::kPdfUnsupported,
                 absl::StrCat("signature field is not a merged field and widget object: ", name));
  }
  return field;
}

// The 0-based index of the page `field` sits on (its /P, else the page whose /Annots lists it).
int PageIndexOf(UpdateObjects& objects, PdfObject* field) {
  const PdfObject* p = field->GetDictionary().GetKey("P");
  const int count = objects.PageCount();
  for (int i = 0; i < count; ++i) {
    PdfObject* page = objects.Page(i);
    if (page == nullptr) continue;
    if (p && p->IsReference() && p->GetReference() == page->Reference()) return i;
  }
  for (int i = 0; i < count; ++i) {
    PdfObject* page = objects.Page(i);
    if (page && AnnotsContain(objects, page, field->Reference())) return i;
  }
  return -1;
}

// Where the appearance goes: the field's rect, grown about its centre when a seal (real size) or
// the attachment text would not fit; for a new attachment field without a rect, the top right
// of the page inside the right margin.
absl::StatusOr<Rect> AppearanceRect(const SignatureFieldSpec& spec, Rect rect,
                                    UpdateObjects& objects, int page_index,
                                    const std::string& time_iso) {
  absl::StatusOr<Size> min = MinimumAppearanceSize(spec.appearance, time_iso);
  if (!min.ok()) return min.status();
  if (IsEmpty(rect)) {
    if (spec.appearance.kind != AppearanceKind::kAttachment) {
      return Error(ErrorCode::kUsage,
                   "chữ ký hiển thị cần vị trí (--rect) khi không có trường sẵn / a visible "
                   "signature needs a rect when the document has no such field");
    }
    const PoDoFo::PdfRect box = objects.MediaBox(page_index);
    constexpr double kRightMargin = 20 * 72 / 25.4;  // Decree 30: 15-20 mm; inside it
    constexpr double kTop = 10 * 72 / 25.4;          // in the top margin, above the header
    const double right = box.GetLeft() + box.GetWidth() - kRightMargin;
    const double top = box.GetBottom() + box.GetHeight() - kTop;
    return Rect{right - min->width, top - min->height, right, top};
  }
  const double w = rect.right - rect.left, h = rect.top - rect.bottom;
  if (w + 0.01 < min->width || h + 0.01 < min->height) {
    const double cx = (rect.left + rect.right) / 2, cy = (rect.bottom + rect.top) / 2;
    const double nw = std::max(w, min->width), nh = std::max(h, min->height);
    rect = {cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2};
  }
  return rect;
}

// The font and size a text field's /DA names ("/LiberationSerif-Italic 13 Tf 0 g"). The name
// becomes a file name, so only plain names are accepted from a document.
absl::StatusOr<FieldText> FontOfField(const PdfObject& field, const std::string& font_dir) {
  const PdfObject* da = field.GetDictionary().GetKey("DA");
  if (da == nullptr || !da->IsString()) {
    return Error(ErrorCode::kPdfUnsupported, "text field without /DA");
  }
  const std::vector<std::string> tokens =
      absl::StrSplit(da->GetString().GetStringUtf8(), ' ', absl::SkipEmpty());
  FieldText text;
  for (size_t i = 2; i < tokens.size(); ++i) {
    if (tokens[i] != "Tf") continue;
    const std::string& name = tokens[i - 2];
    const bool plain = name.size() > 1 && name.size() < 64 && name[0] == '/' &&
                       std::all_of(name.begin() + 1, name.end(), [](char c) {
                         return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
                       });
    if (!plain || !absl::SimpleAtod(tokens[i - 1], &text.font_size)) break;
    text.font_path = absl::StrCat(font_dir, "/", name.substr(1), ".ttf");
    text.alignment = static_cast<int>(field.GetDictionary().GetKeyAsLong("Q", 0));
    return text;
  }
  return Error(ErrorCode::kPdfUnsupported, "text field /DA names no usable font");
}

// Fills each named empty text field: /V, ReadOnly, and an appearance drawn in its /DA font.
absl::Status PlanFills(UpdateObjects& objects, const std::map<std::string, PdfObject*>& fields,
                       const SignatureFieldSpec& spec, int64_t& next, UpdatePlan& plan) {
  std::vector<PdfObject*> filled;
  std::vector<FieldTextDrawing> drawings;
  for (const FieldFill& fill : spec.fills) {
    auto it = fields.find(fill.name);
    if (it == fields.end() || FieldType(objects, it->second) != "Tx") {
      return Error(
          ErrorCode::kUsage,
          absl::StrCat("tài liệu không có trường văn bản / no text field named: ", fill.name));
    }
    PdfObject* field = it->second;
    if (const PdfObject* v = field->GetDictionary().GetKey("V");
        (v && v->IsString() && !v->GetString().GetStringUtf8().empty()) ||
        std::find(filled.begin(), filled.end(), field) != filled.end()) {
      return Error(ErrorCode::kUsage,
                   absl::StrCat("trường đã được điền / the field is already filled: ", fill.name));
    }
    if (field->Reference().ObjectNumber() == 0 || field->HasStream()) {
      return Error(ErrorCode::kPdfUnsupported, "text field is not a merged field and widget");
    }
    absl::StatusOr<FieldText> text = FontOfField(*field, spec.font_dir);
    if (!text.ok()) return text.status();
    text->value = fill.value;
    if (const PdfObject* line = field->GetDictionary().GetKey(kFieldLineTemplateKey)) {
      const std::string t = line->IsString() ? line->GetString().GetStringUtf8() : "";
      const size_t at = t.find("{}");
      if (at == std::string::npos) {
        return Error(ErrorCode::kPdfUnsupported, "text field: line template without {}");
      }
      text->value = absl::StrCat(t.substr(0, at), fill.value, t.substr(at + 2));
    }
    const Rect rect = RectOf(field->GetDictionary().GetKey("Rect"));
    drawings.push_back({*std::move(text), {rect.right - rect.left, rect.top - rect.bottom}});
    filled.push_back(field);
  }
  if (filled.empty()) return absl::OkStatus();
  // Drawn together: the fields in one font share its embedded subset.
  absl::StatusOr<DrawnFieldTexts> drawn = DrawFieldTexts(drawings, next, spec.drawings);
  if (!drawn.ok()) return drawn.status();
  next += static_cast<int64_t>(drawn->objects.size());
  for (size_t i = 0; i < filled.size(); ++i) {
    PdfDictionary& dict = filled[i]->GetDictionary();
    const std::string& value = drawings[i].text.value;
    dict.AddKey("V", PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(value.c_str())));
    // ReadOnly: once issued, a viewer must not offer to edit the number or the date.
    dict.AddKey("Ff", static_cast<PoDoFo::pdf_int64>(dict.GetKeyAsLong("Ff", 0) | 1));
    PdfDictionary ap;
    ap.AddKey("N", PdfReference(static_cast<uint32_t>(drawn->xobject_numbers[i]), 0));
    dict.AddKey("AP", ap);
    plan.changed.push_back({filled[i]->Reference(), Serialize(*filled[i])});
    ++plan.filled;
  }
  for (NumberedObject& o : drawn->objects) plan.fill_objects.push_back(std::move(o));
  return absl::OkStatus();
}

// A certification must come first: no field may be signed yet, and no earlier /Perms.
absl::Status CheckCanCertify(const PdfObject& catalog, UpdateObjects& objects,
                             const std::map<std::string, PdfObject*>& fields) {
  bool signed_before = catalog.GetDictionary().HasKey("Perms");
  for (const auto& [name, field] : fields) {
    if (IsSignatureField(objects, field) && field->GetDictionary().HasKey("V")) {
      signed_before = true;
    }
  }
  if (signed_before) {
    return Error(ErrorCode::kUsage,
                 "chữ ký chứng nhận phải là chữ ký đầu tiên của tài liệu / a certification "
                 "signature must be the document's first signature");
  }
  return absl::OkStatus();
}

// The document's form: its AcroForm (an indirect object, a direct dictionary inside the
// catalog, or none) and its fields by fully qualified name.
struct Form {
  PdfObject* entry = nullptr;         // the catalog's /AcroForm as written
  PdfObject* acroform = nullptr;      // resolved; nullptr when none
  PdfObject* fields = nullptr;        // its /Fields as written
  PdfObject* fields_array = nullptr;  // resolved
  std::map<std::string, PdfObject*> by_name;
};

Form ReadForm(UpdateObjects& objects, PdfObject& catalog) {
  Form form;
  form.entry = catalog.GetDictionary().GetKey("AcroForm");
  form.acroform = objects.Resolve(form.entry);
  if (form.acroform && !form.acroform->IsDictionary()) form.acroform = nullptr;
  form.fields = form.acroform ? form.acroform->GetDictionary().GetKey("Fields") : nullptr;
  form.fields_array = objects.Resolve(form.fields);
  if (form.fields_array && form.fields_array->IsArray()) {
    std::set<const PdfObject*> seen;
    for (PdfObject& f : form.fields_array->GetArray()) {
      CollectFields(objects, &f, "", form.by_name, seen, 0);
    }
  }
  return form;
}

// The signature field: the existing empty one the spec names (returned), or a new one numbered
// `next` (nullptr returned). Sets the plan's field name, page, rect; `field_ref` names it.
absl::StatusOr<PdfObject*> PlanField(UpdateObjects& objects, const Form& form,
                                     const SignatureFieldSpec& spec, int64_t& next,
                                     PdfReference& field_ref, UpdatePlan& plan) {
  absl::StatusOr<PdfObject*> existing = FieldToFill(objects, form.by_name, spec.field_name);
  if (!existing.ok()) return existing.status();
  PdfObject* field = *existing;
  plan.fills_existing_field = field != nullptr;
  if (field) {
    plan.field_name = spec.field_name;
    plan.page_index = PageIndexOf(objects, field);
    if (plan.page_index < 0) {
      return Error(ErrorCode::kPdfUnsupported, "the empty signature field is on no page");
    }
    field_ref = field->Reference();
    plan.rect = RectOf(field->GetDictionary().GetKey("Rect"));
    return field;
  }
  if (spec.page_index < 0 || spec.page_index >= objects.PageCount()) {
    return Error(ErrorCode::kPdfPageOutOfRange,
                 absl::StrCat("page ", spec.page_index + 1, " of ", objects.PageCount()));
  }
  plan.page_index = spec.page_index;
  plan.field_name = spec.field_name;
  for (int n = 1; plan.field_name.empty(); ++n) {
    std::string candidate = absl::StrCat("Signature", n);
    if (!form.by_name.count(candidate)) plan.field_name = candidate;
  }
  plan.field_number = next++;
  field_ref = PdfReference(static_cast<uint32_t>(plan.field_number), 0);
  plan.rect = spec.rect;
  return nullptr;
}

// The AcroForm lists a new field and says signatures exist (/SigFlags 3), or a new AcroForm
// (numbered `next`) is made. Sets `catalog_changed` when the catalog must be written again.
void PlanAcroForm(PdfObject& catalog, const Form& form, bool new_field,
                  const PdfReference& field_ref, int64_t& next, UpdatePlan& plan,
                  bool& catalog_changed) {
  if (form.acroform == nullptr) {
    plan.acroform_number = next++;
    plan.acroform_body = absl::StrCat("<< /Fields [", RefString(field_ref), "] /SigFlags 3 >>");
    catalog.GetDictionary().AddKey("AcroForm",
                                   PdfReference(static_cast<uint32_t>(plan.acroform_number), 0));
    catalog_changed = true;
    return;
  }
  PdfObject* acroform = form.acroform;
  bool acroform_changed = false;
  if (new_field) {
    if (form.fields && form.fields->IsReference() && form.fields_array &&
        form.fields_array->IsArray()) {
      // /Fields is its own object: only that array changes.
      form.fields_array->GetArray().push_back(PdfObject(field_ref));
      plan.changed.push_back({form.fields_array->Reference(), Serialize(*form.fields_array)});
    } else {
      PdfArray array;
      if (form.fields_array && form.fields_array->IsArray()) array = form.fields_array->GetArray();
      array.push_back(PdfObject(field_ref));
      acroform->GetDictionary().AddKey("Fields", array);
      acroform_changed = true;
    }
  }
  // SignaturesExist | AppendOnly. A draft that already says so is left alone when filled.
  const int64_t flags = acroform->GetDictionary().GetKeyAsLong("SigFlags", 0);
  if ((flags & 3) != 3) {
    acroform->GetDictionary().AddKey("SigFlags", static_cast<PoDoFo::pdf_int64>(flags | 3));
    acroform_changed = true;
  }
  if (acroform_changed) {
    if (form.entry->IsReference()) {
      plan.changed.push_back({acroform->Reference(), Serialize(*acroform)});
    } else {
      catalog_changed = true;  // a direct AcroForm lives in the catalog
    }
  }
}

// A certification signature: the catalog's /Perms names it (DocMDP).
absl::Status PlanCertification(PdfObject& catalog, UpdateObjects& objects, const Form& form,
                               const SignatureFieldSpec& spec, UpdatePlan& plan,
                               bool& catalog_changed) {
  if (spec.certification == 0) return absl::OkStatus();
  if (spec.certification < 1 || spec.certification > 3) {
    return Error(ErrorCode::kUsage, "certification: P is 1, 2 or 3");
  }
  absl::Status st = CheckCanCertify(catalog, objects, form.by_name);
  if (!st.ok()) return st;
  PdfDictionary perms;
  perms.AddKey("DocMDP", PdfReference(static_cast<uint32_t>(plan.sig_number), 0));
  catalog.GetDictionary().AddKey("Perms", perms);
  catalog_changed = true;
  return absl::OkStatus();
}

// The widget's appearance, drawn and numbered from `next`; its final rect into the plan.
// Returns the " /AP << ... >>" entry of a new field ("" when invisible).
absl::StatusOr<std::string> PlanAppearance(const SignatureFieldSpec& spec, UpdateObjects& objects,
                                           int64_t& next, UpdatePlan& plan) {
  if (spec.appearance.kind == AppearanceKind::kNone) return std::string();
  absl::StatusOr<std::string> time_iso = Iso8601FromPdfDate(spec.signing_time);
  if (!time_iso.ok()) return time_iso.status();
  absl::StatusOr<Rect> rect = AppearanceRect(spec, plan.rect, objects, plan.page_index, *time_iso);
  if (!rect.ok()) return rect.status();
  plan.rect = *rect;
  absl::StatusOr<DrawnAppearance> drawn = DrawAppearance(
      spec.appearance, {plan.rect.right - plan.rect.left, plan.rect.top - plan.rect.bottom},
      {spec.signer_name, *time_iso}, next, spec.drawings);
  if (!drawn.ok()) return drawn.status();
  plan.appearance = std::move(drawn->objects);
  next += static_cast<int64_t>(plan.appearance.size());
  return absl::StrCat(" /AP << /N ", drawn->xobject_number, " 0 R >>");
}

// The signature field itself: the existing one with /V, /Rect, /AP and /Lock added (redefined),
// or the body of a new merged field and widget.
absl::Status PlanFieldObject(PdfObject* field, const PdfReference& field_ref, PdfObject& page,
                             const SignatureFieldSpec& spec, const std::string& ap,
                             UpdatePlan& plan) {
  if (!field) {
    plan.field_body = absl::StrCat(
        "<< /Type /Annot /Subtype /Widget /FT /Sig /F 4 /T ", TextString(plan.field_name), " /V ",
        plan.sig_number, " 0 R /P ", RefString(page.Reference()), " /Rect ", RectString(plan.rect),
        ap, spec.lock_fields ? " /Lock << /Type /SigFieldLock /Action /All >>" : "", " >>");
    return absl::OkStatus();
  }
  PdfDictionary& dict = field->GetDictionary();
  dict.AddKey("V", PdfReference(static_cast<uint32_t>(plan.sig_number), 0));
  dict.AddKey("F", static_cast<PoDoFo::pdf_int64>(4));
  if (!IsEmpty(plan.rect)) {
    PdfArray rect;
    for (double v : {plan.rect.left, plan.rect.bottom, plan.rect.right, plan.rect.top}) {
      rect.push_back(PdfObject(v));
    }
    dict.AddKey("Rect", rect);
  }
  if (!plan.appearance.empty()) {
    PdfDictionary ap_dict;
    ap_dict.AddKey("N", PdfReference(static_cast<uint32_t>(plan.appearance.front().number), 0));
    dict.AddKey("AP", ap_dict);
  }
  if (spec.lock_fields) {
    PdfDictionary lock;
    lock.AddKey("Type", PoDoFo::PdfName("SigFieldLock"));
    lock.AddKey("Action", PoDoFo::PdfName("All"));
    dict.AddKey("Lock", lock);
  }
  if (field->HasStream()) return Error(ErrorCode::kPdfUnreadable, "field object has a stream");
  plan.changed.push_back({field_ref, Serialize(*field)});
  return absl::OkStatus();
}

// The whole update, in the order its new objects are numbered: the field, the signature
// dictionary, the AcroForm, the appearance, the filled fields' appearances.
// `dss` (optional): validation data added to the DSS in the same update.
absl::StatusOr<UpdatePlan> PlanUpdate(UpdateObjects& objects, const SignatureFieldSpec& spec,
                                      int64_t first_new_number, const DssContent* dss = nullptr) {
  UpdatePlan plan;
  PdfObject* catalog = objects.Catalog();
  if (catalog == nullptr || !catalog->IsDictionary()) {
    return Error(ErrorCode::kPdfUnreadable, "catalog is not a dictionary");
  }
  int64_t next = first_new_number;
  const Form form = ReadForm(objects, *catalog);
  PdfReference field_ref;
  absl::StatusOr<PdfObject*> field = PlanField(objects, form, spec, next, field_ref, plan);
  if (!field.ok()) return field.status();
  plan.sig_number = next++;
  // PoDoFo returns no page for a broken page tree whose /Count promises more.
  PdfObject* page = objects.Page(plan.page_index);
  if (page == nullptr || !page->IsDictionary()) {
    return Error(ErrorCode::kPdfUnreadable, "page is not a dictionary");
  }

  bool catalog_changed = false;
  PlanAcroForm(*catalog, form, *field == nullptr, field_ref, next, plan, catalog_changed);
  if (!*field || !AnnotsContain(objects, page, field_ref)) {
    absl::Status st = AddToAnnots(objects, page, field_ref, plan);
    if (!st.ok()) return st;
  }
  absl::Status st = PlanCertification(*catalog, objects, form, spec, plan, catalog_changed);
  if (!st.ok()) return st;
  if (dss != nullptr) {
    plan.dss = PlanDss(objects, *catalog, *dss, next);
    catalog_changed = true;
  }
  if (catalog_changed) plan.changed.push_back({catalog->Reference(), Serialize(*catalog)});

  absl::StatusOr<std::string> ap = PlanAppearance(spec, objects, next, plan);
  if (!ap.ok()) return ap.status();
  st = PlanFills(objects, form.by_name, spec, next, plan);
  if (!st.ok()) return st;
  st = PlanFieldObject(*field, field_ref, *page, spec, *ap, plan);
  if (!st.ok()) return st;
  return plan;
}

// `catalog_ref`: "N G R" of the document catalog, the /Data a FieldMDP reference names.
std::string SignatureBody(const SignatureFieldSpec& spec, const std::string& catalog_ref) {
  std::string body = absl::StrCat("<< /Type /", spec.type, " /Filter /Adobe.PPKLite /SubFilter /",
                                  spec.sub_filter);
  if (!spec.signing_time.empty()) absl::StrAppend(&body, " /M (", spec.signing_time, ")");
  if (!spec.signer_name.empty()) absl::StrAppend(&body, " /Name ", TextString(spec.signer_name));
  if (!spec.reason.empty()) absl::StrAppend(&body, " /Reason ", TextString(spec.reason));
  if (!spec.location.empty()) absl::StrAppend(&body, " /Location ", TextString(spec.location));
  if (spec.certification != 0 || spec.lock_fields) {
    absl::StrAppend(&body, " /Reference [");
    if (spec.certification != 0) {
      absl::StrAppend(&body,
                      "<< /Type /SigRef /TransformMethod /DocMDP /TransformParams"
                      " << /Type /TransformParams /P ",
                      spec.certification, " /V /1.2 >> >>");
    }
    if (spec.lock_fields) {
      absl::StrAppend(&body, "<< /Type /SigRef /TransformMethod /FieldMDP /Data ", catalog_ref,
                      " /TransformParams << /Type /TransformParams /Action /All /V /1.2 >> >>");
    }
    absl::StrAppend(&body, "]");
  }
  absl::StrAppend(&body, " /ByteRange [", std::string(kByteRangeWidth - 2, ' '), "]");
  absl::StrAppend(&body, " /Contents <", std::string(spec.contents_capacity * 2, '0'), "> >>");
  return body;
}

absl::StatusOr<TrailerInfo> ReadTrailer(PoDoFo::PdfMemDocument& doc, const XrefTail& tail) {
  TrailerInfo info;
  info.prev_xref = tail.startxref;
  info.xref_stream = tail.is_stream;
  const PdfObject* trailer = doc.GetTrailer();
  if (trailer == nullptr || !trailer->IsDictionary()) {
    return Error(ErrorCode::kPdfUnreadable, "no trailer");
  }
  const PdfDictionary& dict = trailer->GetDictionary();
  info.previous_size = dict.GetKeyAsLong("Size", 0);
  // PoDoFo numbers new objects from its own count, which can exceed a too-small /Size.
  info.previous_size = std::max<int64_t>(info.previous_size,
                                         static_cast<int64_t>(doc.GetObjects().GetObjectCount()));
  info.root_ref = RefString(doc.GetCatalog()->Reference());
  info.info_ref = FileInfoRef(doc);
  if (const PdfObject* id = dict.GetKey("ID"); id && id->IsArray()) info.id_array = Serialize(*id);
  return info;
}

// The trailer as the file's own cross-reference gives it (the fast path's ReadTrailer).
absl::StatusOr<TrailerInfo> XrefTrailer(XrefObjects& objects, const XrefTail& tail) {
  const RevisionXref& xref = objects.xref();
  PdfObject* catalog = objects.Catalog();
  // PlanFromXref took only a /Size and entries; no catalog makes `objects` incomplete().
  if (catalog == nullptr) return Error(ErrorCode::kPdfUnreadable, "no catalog");
  TrailerInfo info;
  info.prev_xref = tail.startxref;
  info.xref_stream = tail.is_stream;
  // New objects are numbered past every entry, whatever a too-small /Size says.
  info.previous_size = std::max(xref.size, xref.entries.rbegin()->first + 1);
  info.root_ref = RefString(catalog->Reference());
  info.info_ref = xref.info_ref + " R";  // PlanFromXref took only a file with its /Info
  info.id_array = xref.id;
  return info;
}

// Everything an update needs, read straight from the file's bytes when XrefObjects can (see
// pdf/signature_update_objects.h): the plan, the trailer and the catalog's reference.
struct PlannedUpdate {
  UpdatePlan plan;
  TrailerInfo trailer;
  std::string catalog_ref;
};

// nullopt: the file needs PoDoFo's load (XrefObjects::incomplete()), even when the plan failed.
std::optional<absl::StatusOr<PlannedUpdate>> PlanFromXref(const PdfSource& source,
                                                          const XrefTail& tail,
                                                          const SignatureFieldSpec& spec) {
  const std::string* whole = source.whole();
  // What LoadPdf checks before PoDoFo reads a byte; a file that fails it takes that path.
  if (whole == nullptr || whole->find("%PDF-") >= 1024) return std::nullopt;
  absl::StatusOr<int64_t> end = LastRevisionEnd(source, source.size());
  if (!end.ok() || *end != source.size()) return std::nullopt;
  absl::StatusOr<RevisionXref> xref = ReadRevisionXref(source, source.size());
  // More sections than PoDoFo's parser follows: LoadPdf's consolidated reading, as before. No
  // /Size: PoDoFo numbers new objects from its own count.
  // Tables PoDoFo would read otherwise (entries not 20 bytes each) too.
  if (!xref.ok() || xref->sections > kPodofoMaxRevisions || xref->size <= 0 ||
      xref->entries.empty() || !xref->standard_tables) {
    return std::nullopt;
  }
  // No /Info object in the file: PoDoFo invents one, which takes the next number, and the
  // update's objects are numbered after it. Left to it, so that both write the same update.
  if (auto info = xref->entries.find(ParseRef(xref->info_ref).ObjectNumber());
      xref->info_ref.empty() || info == xref->entries.end() || info->second.type == 'f') {
    return std::nullopt;
  }
  const std::string info_ref = xref->info_ref;
  XrefObjects objects(source, *std::move(xref));
  if (objects.incomplete()) return std::nullopt;
  // What LoadPdf reads before any plan (the /Info object, the whole page tree, CheckPageTree),
  // read first here too: a file it refuses is refused with its error, whatever the plan would
  // have found wrong first.
  absl::Status read = AtPodofoBoundary("prepare update", [&]() -> absl::Status {
    (void)objects.Get(ParseRef(info_ref));
    (void)objects.PageCount();
    return absl::OkStatus();
  });
  if (!read.ok() || objects.incomplete()) return std::nullopt;
  PlannedUpdate out;
  absl::Status st = AtPodofoBoundary("prepare update", [&]() -> absl::Status {
    absl::StatusOr<TrailerInfo> trailer = XrefTrailer(objects, tail);
    if (!trailer.ok()) return trailer.status();
    out.trailer = *std::move(trailer);
    out.catalog_ref = out.trailer.root_ref;
    absl::StatusOr<UpdatePlan> plan = PlanUpdate(objects, spec, out.trailer.previous_size);
    if (!plan.ok()) return plan.status();
    out.plan = *std::move(plan);
    return absl::OkStatus();
  });
  if (objects.incomplete()) return std::nullopt;
  if (!st.ok()) return absl::StatusOr<PlannedUpdate>(st);
  return absl::StatusOr<PlannedUpdate>(std::move(out));
}

// The same from a document PoDoFo loaded: any file it reads. `doc`: `source` loaded (its objects
// become the plan's scratch), or nullptr to load it here.
absl::StatusOr<PlannedUpdate> PlanFromPodofo(const PdfSource& source, const XrefTail& tail,
                                             const SignatureFieldSpec& spec,
                                             PoDoFo::PdfMemDocument* doc = nullptr,
                                             const DssContent* dss = nullptr) {
  std::unique_ptr<PoDoFo::PdfMemDocument> own;
  if (doc == nullptr) {
    absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> loaded = LoadPdf(source);
    if (!loaded.ok()) return loaded.status();
    own = *std::move(loaded);
    doc = own.get();
  }
  PlannedUpdate out;
  absl::Status st = AtPodofoBoundary("prepare update", [&]() -> absl::Status {
    absl::StatusOr<TrailerInfo> trailer = ReadTrailer(*doc, tail);
    if (!trailer.ok()) return trailer.status();
    out.trailer = *std::move(trailer);
    out.catalog_ref = RefString(doc->GetCatalog()->Reference());
    LoadedObjects objects(*doc);
    absl::StatusOr<UpdatePlan> plan = PlanUpdate(objects, spec, out.trailer.previous_size, dss);
    if (!plan.ok()) return plan.status();
    out.plan = *std::move(plan);
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

// The file an update is appended to and its cross-reference tail, once `spec`'s room for the
// signature is checked: what both WriteSignatureUpdate entry points start from.
struct UpdateInput {
  PdfSource source;
  XrefTail tail;
};
absl::StatusOr<UpdateInput> OpenForUpdate(const std::string& path, const SignatureFieldSpec& spec) {
  if (spec.contents_capacity == 0 || spec.contents_capacity > (1u << 20)) {
    return Error(ErrorCode::kUsage, "contents capacity out of range");
  }
  absl::StatusOr<PdfSource> source = PdfSource::Open(path);
  if (!source.ok()) return source.status();
  absl::StatusOr<XrefTail> tail = ReadXrefTail(*source);
  if (!tail.ok()) return tail.status();
  return UpdateInput{*std::move(source), *tail};
}

// Writes the planned update after a copy of `source` into the empty `out_fd`, and its ByteRange.
absl::StatusOr<PreparedUpdate> WritePlanned(const PdfSource& source_file,
                                            const PlannedUpdate& planned,
                                            const SignatureFieldSpec& spec, int out_fd) {
  const PdfSource* source = &source_file;
  const UpdatePlan* plan = &planned.plan;
  const TrailerInfo* trailer = &planned.trailer;

  absl::StatusOr<int64_t> start = source->CopyForUpdate(out_fd);
  if (!start.ok()) return start.status();
  IncrementalWriter writer(out_fd, *start);

  for (const ChangedObject& c : plan->changed) {
    absl::StatusOr<int64_t> at =
        writer.AddObject(c.ref.ObjectNumber(), c.ref.GenerationNumber(), c.body);
    if (!at.ok()) return at.status();
  }
  absl::StatusOr<int64_t> at = 0;
  if (!plan->fills_existing_field) {
    at = writer.AddObject(plan->field_number, 0, plan->field_body);
    if (!at.ok()) return at.status();
  }
  const std::string sig_body = SignatureBody(spec, planned.catalog_ref);
  absl::StatusOr<int64_t> sig_at = writer.AddObject(plan->sig_number, 0, sig_body);
  if (!sig_at.ok()) return sig_at.status();
  if (plan->acroform_number != 0) {
    at = writer.AddObject(plan->acroform_number, 0, plan->acroform_body);
    if (!at.ok()) return at.status();
  }
  for (const auto* objects : {&plan->appearance, &plan->fill_objects, &plan->dss.objects}) {
    for (const NumberedObject& o : *objects) {
      at = writer.AddObject(o.number, 0, o.body);
      if (!at.ok()) return at.status();
    }
  }
  absl::StatusOr<int64_t> end = writer.Finish(*trailer);
  if (!end.ok()) return end.status();

  PreparedUpdate update;
  update.contents_offset = *sig_at + static_cast<int64_t>(sig_body.rfind('<'));
  update.contents_capacity = spec.contents_capacity;
  update.file_size = *end;
  update.field_name = plan->field_name;
  update.page_index = plan->page_index;
  update.rect = plan->rect;
  update.filled_existing_field = plan->fills_existing_field;
  update.filled_fields = plan->filled;
  update.certification = spec.certification;
  for (const NumberedObject& o : plan->appearance) update.appearance_bytes += o.body.size();
  update.dss.certs_added = plan->dss.certs_added;
  update.dss.ocsps_added = plan->dss.ocsps_added;
  update.dss.crls_added = plan->dss.crls_added;
  for (const NumberedObject& o : plan->dss.objects) update.dss.bytes_added += o.body.size();
  update.dss.file_size = *end;
  const int64_t after =
      update.contents_offset + 2 + 2 * static_cast<int64_t>(spec.contents_capacity);
  update.byte_range = {0, update.contents_offset, after, *end - after};

  std::string range = absl::StrCat("[0 ", update.byte_range[1], " ", update.byte_range[2], " ",
                                   update.byte_range[3], "]");
  range.resize(kByteRangeWidth, ' ');
  const int64_t range_at = *sig_at + static_cast<int64_t>(sig_body.find("/ByteRange [")) + 11;
  absl::Status st = WriteAt(
      out_fd, range_at,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(range.data()), range.size()));
  if (!st.ok()) return st;
  return update;
}

}  // namespace

std::string PdfDateVietnam(int64_t unix_seconds) { return vntime::PdfDateVietnam(unix_seconds); }

absl::StatusOr<PreparedUpdate> WriteSignatureUpdate(const std::string& input_path, int out_fd,
                                                    const SignatureFieldSpec& spec) {
  return WriteSignatureUpdateReading(UpdateReading::kAuto, input_path, out_fd, spec);
}

absl::StatusOr<PreparedUpdate> WriteSignatureUpdateReading(UpdateReading reading,
                                                           const std::string& input_path,
                                                           int out_fd,
                                                           const SignatureFieldSpec& spec) {
  absl::StatusOr<UpdateInput> in = OpenForUpdate(input_path, spec);
  if (!in.ok()) return in.status();
  std::optional<absl::StatusOr<PlannedUpdate>> fast;
  if (reading != UpdateReading::kLoadedOnly) fast = PlanFromXref(in->source, in->tail, spec);
  if (!fast.has_value() && reading == UpdateReading::kXrefOnly) {
    return Error(ErrorCode::kPdfUnsupported, "the file's objects need PoDoFo's load");
  }
  absl::StatusOr<PlannedUpdate> planned =
      fast.has_value() ? *std::move(fast) : PlanFromPodofo(in->source, in->tail, spec);
  if (!planned.ok()) return planned.status();
  return WritePlanned(in->source, *planned, spec, out_fd);
}

absl::StatusOr<PreparedUpdate> WriteSignatureUpdate(const ParsedPdf& pdf, int out_fd,
                                                    const SignatureFieldSpec& spec,
                                                    const DssContent* dss) {
  absl::StatusOr<UpdateInput> in = OpenForUpdate(pdf.path(), spec);
  if (!in.ok()) return in.status();
  if (in->source.size() != pdf.size()) {
    return Error(ErrorCode::kIo, "the file changed since it was parsed");
  }
  absl::StatusOr<PlannedUpdate> planned =
      PlanFromPodofo(in->source, in->tail, spec, &pdf.document(), dss);
  if (!planned.ok()) return planned.status();
  return WritePlanned(in->source, *planned, spec, out_fd);
}

absl::Status EmbedContents(int fd, const PreparedUpdate& update, std::span<const uint8_t> der) {
  if (der.size() > update.contents_capacity) {
    return Error(ErrorCode::kSignatureTooLarge,
                 absl::StrCat(der.size(), " > ", update.contents_capacity, " bytes"));
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex;
  hex.reserve(der.size() * 2);
  for (uint8_t b : der) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return WriteAt(
      fd, update.contents_offset + 1,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(hex.data()), hex.size()));
}

}  // namespace taicho::pdf
