#include "pdf/signature_update.h"

#include <ctime>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errors/error.h"
#include "pdf/incremental_writer.h"
#include "pdf/podofo_document.h"

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

std::string RefString(const PdfReference& ref) {
  return absl::StrCat(ref.ObjectNumber(), " ", ref.GenerationNumber(), " R");
}

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

// Collects fully qualified names of the form's fields.
void CollectFieldNames(PoDoFo::PdfVecObjects& objects, PdfObject* field, const std::string& prefix,
                       std::set<std::string>& names, std::set<const PdfObject*>& seen, int depth) {
  if (field == nullptr || depth > 32) return;
  if (field->IsReference()) field = objects.GetObject(field->GetReference());
  // A hostile form can list a field as its own kid, or the same kid many times.
  if (field == nullptr || !field->IsDictionary() || !seen.insert(field).second) return;
  std::string name = prefix;
  if (const PdfObject* t = field->GetDictionary().GetKey("T");
      t && (t->IsString() || t->IsHexString())) {
    name = prefix.empty() ? t->GetString().GetStringUtf8()
                          : prefix + "." + t->GetString().GetStringUtf8();
    names.insert(name);
  }
  PdfObject* kids = field->GetDictionary().GetKey("Kids");
  if (kids && kids->IsReference()) kids = objects.GetObject(kids->GetReference());
  if (kids && kids->IsArray()) {
    for (PdfObject& kid : kids->GetArray())
      CollectFieldNames(objects, &kid, name, names, seen, depth + 1);
  }
}

// The whole update, computed before anything is written.
struct UpdatePlan {
  std::vector<ChangedObject> changed;  // earlier objects redefined
  int64_t field_number = 0;            // new: merged field + widget
  int64_t sig_number = 0;              // new: signature dictionary
  int64_t acroform_number = 0;         // new AcroForm object, 0 when the document has one
  std::string field_body;
  std::string acroform_body;
  std::string field_name;
};

absl::StatusOr<UpdatePlan> PlanUpdate(PoDoFo::PdfMemDocument& doc, const SignatureFieldSpec& spec,
                                      int64_t first_new_number) {
  UpdatePlan plan;
  PoDoFo::PdfVecObjects& objects = doc.GetObjects();
  if (spec.page_index < 0 || spec.page_index >= doc.GetPageCount()) {
    return Error(ErrorCode::kPdfPageOutOfRange,
                 absl::StrCat("page ", spec.page_index + 1, " of ", doc.GetPageCount()));
  }
  // PoDoFo returns no page for a broken page tree whose /Count promises more.
  PoDoFo::PdfPage* page_element = doc.GetPage(spec.page_index);
  PdfObject* page = page_element ? page_element->GetObject() : nullptr;
  PdfObject* catalog = doc.GetCatalog();
  if (page == nullptr || !page->IsDictionary() || catalog == nullptr || !catalog->IsDictionary()) {
    return Error(ErrorCode::kPdfUnreadable, "page or catalog is not a dictionary");
  }

  plan.field_number = first_new_number;
  plan.sig_number = first_new_number + 1;
  const PdfReference field_ref(static_cast<uint32_t>(plan.field_number), 0);

  // AcroForm: an indirect object, a direct dictionary inside the catalog, or none.
  bool catalog_changed = false;
  PdfObject* acroform_entry = catalog->GetDictionary().GetKey("AcroForm");
  PdfObject* acroform = acroform_entry;
  if (acroform && acroform->IsReference()) acroform = objects.GetObject(acroform->GetReference());
  std::set<std::string> names;
  if (acroform && acroform->IsDictionary()) {
    PdfObject* fields = acroform->GetDictionary().GetKey("Fields");
    PdfObject* fields_array = fields;
    if (fields_array && fields_array->IsReference()) {
      fields_array = objects.GetObject(fields_array->GetReference());
    }
    if (fields_array && fields_array->IsArray()) {
      std::set<const PdfObject*> seen;
      for (PdfObject& f : fields_array->GetArray()) {
        CollectFieldNames(objects, &f, "", names, seen, 0);
      }
    }
    if (fields && fields->IsReference() && fields_array && fields_array->IsArray()) {
      // /Fields is its own object: only that array changes.
      fields_array->GetArray().push_back(PdfObject(field_ref));
      plan.changed.push_back({fields_array->Reference(), Serialize(*fields_array)});
    } else {
      PdfArray array;
      if (fields_array && fields_array->IsArray()) array = fields_array->GetArray();
      array.push_back(PdfObject(field_ref));
      acroform->GetDictionary().AddKey("Fields", array);
    }
    acroform->GetDictionary().AddKey("SigFlags", static_cast<PoDoFo::pdf_int64>(3));
    if (acroform_entry->IsReference()) {
      plan.changed.push_back({acroform->Reference(), Serialize(*acroform)});
    } else {
      catalog_changed = true;  // a direct AcroForm lives in the catalog
    }
  } else {
    plan.acroform_number = first_new_number + 2;
    plan.acroform_body = absl::StrCat("<< /Fields [", RefString(field_ref), "] /SigFlags 3 >>");
    catalog->GetDictionary().AddKey("AcroForm",
                                    PdfReference(static_cast<uint32_t>(plan.acroform_number), 0));
    catalog_changed = true;
  }

  // Field name.
  if (!spec.field_name.empty()) {
    if (names.count(spec.field_name)) {
      return Error(ErrorCode::kUsage, absl::StrCat("field name already used: ", spec.field_name));
    }
    plan.field_name = spec.field_name;
  } else {
    for (int n = 1;; ++n) {
      std::string candidate = absl::StrCat("Signature", n);
      if (!names.count(candidate)) {
        plan.field_name = candidate;
        break;
      }
    }
  }

  // The page's /Annots: a direct array in the page, an array object, or none.
  PdfObject* annots = page->GetDictionary().GetKey("Annots");
  if (annots && annots->IsReference()) {
    PdfObject* array = objects.GetObject(annots->GetReference());
    if (array == nullptr || !array->IsArray()) {
      return Error(ErrorCode::kPdfUnreadable, "/Annots is not an array");
    }
    array->GetArray().push_back(PdfObject(field_ref));
    plan.changed.push_back({array->Reference(), Serialize(*array)});
  } else {
    PdfArray array;
    if (annots && annots->IsArray()) array = annots->GetArray();
    array.push_back(PdfObject(field_ref));
    page->GetDictionary().AddKey("Annots", array);
    if (page->HasStream()) return Error(ErrorCode::kPdfUnreadable, "page object has a stream");
    plan.changed.push_back({page->Reference(), Serialize(*page)});
  }
  if (catalog_changed) plan.changed.push_back({catalog->Reference(), Serialize(*catalog)});

  const Rect& r = spec.rect;
  plan.field_body = absl::StrCat(
      "<< /Type /Annot /Subtype /Widget /FT /Sig /F 4 /T ", TextString(plan.field_name), " /V ",
      plan.sig_number, " 0 R /P ", RefString(page->Reference()),
      absl::StrFormat(" /Rect [%.2f %.2f %.2f %.2f] >>", r.left, r.bottom, r.right, r.top));
  return plan;
}

std::string SignatureBody(const SignatureFieldSpec& spec) {
  std::string body =
      absl::StrCat("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /", spec.sub_filter);
  if (!spec.signing_time.empty()) absl::StrAppend(&body, " /M (", spec.signing_time, ")");
  if (!spec.signer_name.empty()) absl::StrAppend(&body, " /Name ", TextString(spec.signer_name));
  if (!spec.reason.empty()) absl::StrAppend(&body, " /Reason ", TextString(spec.reason));
  if (!spec.location.empty()) absl::StrAppend(&body, " /Location ", TextString(spec.location));
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
  const PdfObject* infoObj = dict.GetKey("Info");
  // PoDoFo invents an /Info on load when there is none: only keep one the file really has.
  if (infoObj && infoObj->IsReference() &&
      infoObj->GetReference().ObjectNumber() <
          static_cast<uint32_t>(dict.GetKeyAsLong("Size", 0))) {
    info.info_ref = RefString(infoObj->GetReference());
  }
  if (const PdfObject* id = dict.GetKey("ID"); id && id->IsArray()) info.id_array = Serialize(*id);
  return info;
}

}  // namespace

std::string PdfDateVietnam(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds + 7 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return absl::StrFormat("D:%04d%02d%02d%02d%02d%02d+07'00'", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

absl::StatusOr<PreparedUpdate> WriteSignatureUpdate(const std::string& input_path, int out_fd,
                                                    const SignatureFieldSpec& spec) {
  if (spec.contents_capacity == 0 || spec.contents_capacity > (1u << 20)) {
    return Error(ErrorCode::kUsage, "contents capacity out of range");
  }
  absl::StatusOr<XrefTail> tail = ReadXrefTail(input_path);
  if (!tail.ok()) return tail.status();
  absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> doc = LoadPdf(input_path);
  if (!doc.ok()) return doc.status();

  absl::StatusOr<UpdatePlan> plan;
  absl::StatusOr<TrailerInfo> trailer;
  try {
    trailer = ReadTrailer(**doc, *tail);
    if (!trailer.ok()) return trailer.status();
    plan = PlanUpdate(**doc, spec, trailer->previous_size);
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "prepare update");
  }
  if (!plan.ok()) return plan.status();

  absl::StatusOr<int64_t> copied = CopyFileTo(input_path, out_fd);
  if (!copied.ok()) return copied.status();
  IncrementalWriter writer(out_fd, *copied);
  // Start the update on a fresh line whatever the previous revision ended with.
  absl::StatusOr<std::string> last = ReadAt(input_path, *copied - 1, 1);
  if (!last.ok()) return last.status();
  int64_t start = *copied;
  if (*last != "\n" && *last != "\r") {
    absl::Status st =
        WriteAt(out_fd, start, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("\n"), 1));
    if (!st.ok()) return st;
    start += 1;
    writer = IncrementalWriter(out_fd, start);
  }

  for (const ChangedObject& c : plan->changed) {
    absl::StatusOr<int64_t> at =
        writer.AddObject(c.ref.ObjectNumber(), c.ref.GenerationNumber(), c.body);
    if (!at.ok()) return at.status();
  }
  absl::StatusOr<int64_t> at = writer.AddObject(plan->field_number, 0, plan->field_body);
  if (!at.ok()) return at.status();
  const std::string sig_body = SignatureBody(spec);
  absl::StatusOr<int64_t> sig_at = writer.AddObject(plan->sig_number, 0, sig_body);
  if (!sig_at.ok()) return sig_at.status();
  if (plan->acroform_number != 0) {
    at = writer.AddObject(plan->acroform_number, 0, plan->acroform_body);
    if (!at.ok()) return at.status();
  }
  absl::StatusOr<int64_t> end = writer.Finish(*trailer);
  if (!end.ok()) return end.status();

  PreparedUpdate update;
  update.contents_offset = *sig_at + static_cast<int64_t>(sig_body.rfind('<'));
  update.contents_capacity = spec.contents_capacity;
  update.file_size = *end;
  update.field_name = plan->field_name;
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
