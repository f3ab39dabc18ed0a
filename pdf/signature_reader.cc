#include "pdf/signature_reader.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/pdf_file.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_document.h"
#include "pdf/signature_dictionary.h"
#include "pdf/xref_reader.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfObject;

PdfObject* Resolve(PoDoFo::PdfVecObjects& objects, PdfObject* o) {
  for (int i = 0; o && o->IsReference() && i < 8; ++i) o = objects.GetObject(o->GetReference());
  return o;
}

std::string TextOf(const PoDoFo::PdfDictionary& dict, const char* key) {
  const PdfObject* o = dict.GetKey(key);
  if (o && (o->IsString() || o->IsHexString())) return o->GetString().GetStringUtf8();
  return {};
}

// Length of the BER/DER TLV starting at `pos` (0 when malformed). Other tools (NSS, used by
// pdfsig) write BER with indefinite lengths, so those are walked to their end-of-contents; the
// zero padding after the CMS is not part of it.
size_t TlvLength(const std::vector<uint8_t>& der, size_t pos, int depth) {
  if (depth > 64 || pos + 2 > der.size()) return 0;
  size_t i = pos + 1;
  if ((der[pos] & 0x1f) == 0x1f) {  // high tag number form
    while (i < der.size() && (der[i] & 0x80)) ++i;
    ++i;
  }
  if (i >= der.size()) return 0;
  const uint8_t first = der[i++];
  if (first == 0x80) {  // indefinite: constructed contents up to 00 00
    if (!(der[pos] & 0x20)) return 0;
    size_t at = i;
    while (at + 2 <= der.size()) {
      if (der[at] == 0 && der[at + 1] == 0) return at + 2 - pos;
      const size_t inner = TlvLength(der, at, depth + 1);
      if (inner == 0) return 0;
      at += inner;
    }
    return 0;
  }
  size_t len = first;
  if (first & 0x80) {
    const size_t n = first & 0x7f;
    if (n == 0 || n > 4 || i + n > der.size()) return 0;
    len = 0;
    for (size_t k = 0; k < n; ++k) len = (len << 8) | der[i + k];
    i += n;
  }
  return i + len <= der.size() ? i + len - pos : 0;
}

size_t DerLength(const std::vector<uint8_t>& der) {
  if (der.empty() || der[0] != 0x30) return 0;
  return TlvLength(der, 0, 0);
}

// Reads the gap between the two ranges and checks it is "<hex>" equal to the parsed /Contents.
// `contents_is_gap`: `sig` was parsed with this gap standing for its /Contents
// (signature_dictionary.h), whose value is then the gap's bytes.
void ReadContents(const std::string& path, int64_t file_size, const PoDoFo::PdfDictionary& sig,
                  bool contents_is_gap, EmbeddedSignature& out) {
  const ByteRange& br = out.byte_range;
  if (br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[3] < 0 || br[2] + br[3] > file_size) {
    out.byte_range_problem = "ByteRange is malformed or lies outside the file";
    return;
  }
  const int64_t gap = br[2] - br[1];
  if (gap > (4 << 20)) {
    out.byte_range_problem = "ByteRange gap too large";
    return;
  }
  absl::StatusOr<std::string> raw = ReadAt(path, br[1], static_cast<size_t>(gap));
  if (!raw.ok() || raw->size() != static_cast<size_t>(gap) || gap < 2 || raw->front() != '<' ||
      raw->back() != '>') {
    out.byte_range_problem = "the bytes left out by ByteRange are not a hex string";
    return;
  }
  // A table and a sized buffer: the gap is ~16 KB of hex per signature, and a character at a
  // time through branches and push_back was ~6% of a small file's verification.
  static constexpr auto kHex = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
    for (int c = 0; c < 6; ++c) {
      t['a' + c] = static_cast<int8_t>(10 + c);
      t['A' + c] = static_cast<int8_t>(10 + c);
    }
    return t;
  }();
  std::vector<uint8_t> bytes(static_cast<size_t>((gap - 1) / 2));
  const auto* hex = reinterpret_cast<const unsigned char*>(raw->data()) + 1;
  int bad = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int hi = kHex[hex[2 * i]];
    const int lo = kHex[hex[2 * i + 1]];
    bad |= hi | lo;  // negative when either is no hex digit
    bytes[i] = static_cast<uint8_t>(((hi & 0xf) << 4) | (lo & 0xf));
  }
  if (bad < 0) {
    out.byte_range_problem = "the bytes left out by ByteRange are not a hex string";
    return;
  }
  // The hex string in the file must be this dictionary's own /Contents, not another object's.
  const PdfObject* contents = sig.GetKey("Contents");
  if (contents == nullptr || !(contents->IsString() || contents->IsHexString())) {
    out.byte_range_problem = "/Contents missing";
    return;
  }
  const PoDoFo::PdfString& parsed = contents->GetString();
  if (!contents_is_gap && (static_cast<size_t>(parsed.GetLength()) != bytes.size() ||
                           !std::equal(bytes.begin(), bytes.end(),
                                       reinterpret_cast<const uint8_t*>(parsed.GetString())))) {
    out.byte_range_problem = "ByteRange does not frame this signature's /Contents";
    return;
  }
  const size_t der_length = DerLength(bytes);
  if (der_length == 0) {
    out.byte_range_problem = "/Contents does not hold a DER structure";
    return;
  }
  bytes.resize(der_length);
  out.contents = std::move(bytes);
}

// The signature dictionary must hold the hex string its ByteRange leaves out: from where the
// object that holds it starts to the gap, no "endobj". A dictionary that copies another
// signature's /ByteRange and /Contents (a cloned signature) points at that one's bytes.
void CheckContentsAreOwn(const std::string& path, const RevisionXref& xref, int64_t holder,
                         EmbeddedSignature& s) {
  if (!s.byte_range_problem.empty()) return;
  auto entry = xref.entries.find(holder);
  const int64_t start =
      entry != xref.entries.end() && entry->second.type == 'n' ? entry->second.field2 : -1;
  const int64_t gap = s.byte_range[1];
  absl::StatusOr<std::string> bytes = start >= 0 && start < gap && gap - start <= (1 << 20)
                                          ? ReadAt(path, start, static_cast<size_t>(gap - start))
                                          : absl::StatusOr<std::string>(std::string("endobj"));
  if (!bytes.ok() || bytes->find("endobj") != std::string::npos) {
    s.byte_range_problem = "ByteRange leaves out another object's /Contents, not this signature's";
    s.contents.clear();
  }
}

// What the signature dictionary `value` of `field` says. With `contents_gap` (the dictionary was
// parsed with that ByteRange gap standing for its /Contents), false when its own ByteRange
// frames another gap: then only the dictionary PoDoFo reads whole can say what it holds.
bool ReadSignatureValue(PoDoFo::PdfVecObjects& objects, const RevisionXref& xref,
                        const PdfObject* field, const std::string& path, int64_t file_size,
                        const PdfObject& value, const ByteRange* contents_gap,
                        EmbeddedSignature& s) {
  const PoDoFo::PdfDictionary& sig = value.GetDictionary();
  if (const PdfObject* t = sig.GetKey("Type"); t && t->IsName()) s.type = t->GetName().GetName();
  if (s.type.empty()) s.type = "Sig";
  if (const PdfObject* f = sig.GetKey("SubFilter"); f && f->IsName()) {
    s.sub_filter = f->GetName().GetName();
  }
  if (const PdfObject* m = sig.GetKey("M"); m && (m->IsString() || m->IsHexString())) {
    s.signing_time = m->GetString().GetStringUtf8();
  }
  s.reason = TextOf(sig, "Reason");
  s.location = TextOf(sig, "Location");
  s.signer_name = TextOf(sig, "Name");
  const PdfObject* br = Resolve(objects, const_cast<PdfObject*>(sig.GetKey("ByteRange")));
  if (br && br->IsArray() && br->GetArray().size() == 4) {
    for (int i = 0; i < 4; ++i) {
      const PdfObject& n = br->GetArray()[i];
      s.byte_range[i] = n.IsNumber() ? n.GetNumber() : -1;
    }
    if (contents_gap != nullptr &&
        (s.byte_range[1] != (*contents_gap)[1] || s.byte_range[2] != (*contents_gap)[2])) {
      return false;
    }
    ReadContents(path, file_size, sig, contents_gap != nullptr, s);
    const PdfObject* v = field->GetDictionary().GetKey("V");
    CheckContentsAreOwn(path, xref,
                        v != nullptr && v->IsReference() ? v->GetReference().ObjectNumber()
                                                         : field->Reference().ObjectNumber(),
                        s);
  } else {
    s.byte_range_problem = "no ByteRange";
  }
  return true;
}

void CollectSignatures(PoDoFo::PdfMemDocument& doc, const RevisionXref& xref,
                       SignatureDictionaries& dictionaries, PdfObject* field,
                       const std::string& prefix, const std::string& path, int64_t file_size,
                       std::vector<EmbeddedSignature>& out, std::set<const PdfObject*>& seen,
                       int depth) {
  PoDoFo::PdfVecObjects& objects = doc.GetObjects();
  field = Resolve(objects, field);
  // A hostile form can list a field as its own kid, or the same kid many times.
  if (field == nullptr || !field->IsDictionary() || depth > 32 || !seen.insert(field).second) {
    return;
  }
  const PoDoFo::PdfDictionary& dict = field->GetDictionary();
  std::string name = prefix;
  if (std::string t = TextOf(dict, "T"); !t.empty()) name = prefix.empty() ? t : prefix + "." + t;
  PdfObject* kids = Resolve(objects, const_cast<PdfObject*>(dict.GetKey("Kids")));
  if (kids && kids->IsArray()) {
    for (PdfObject& kid : kids->GetArray()) {
      CollectSignatures(doc, xref, dictionaries, &kid, name, path, file_size, out, seen, depth + 1);
    }
  }
  const PdfObject* ft = dict.GetKey("FT");
  if (!ft || !ft->IsName() || ft->GetName().GetName() != "Sig") return;
  // The dictionary parsed without /Contents first (PoDoFo reads ~16 KB of hex a character at a
  // time for it), else as PoDoFo reads it whole.
  const PdfObject* v = dict.GetKey("V");
  ByteRange gap{};
  const PdfObject* parsed =
      v != nullptr && v->IsReference() ? dictionaries.Get(v->GetReference(), &gap) : nullptr;
  EmbeddedSignature s;
  s.field_name = name;
  if (parsed == nullptr ||
      !ReadSignatureValue(objects, xref, field, path, file_size, *parsed, &gap, s)) {
    PdfObject* value = Resolve(objects, const_cast<PdfObject*>(v));
    if (value == nullptr || !value->IsDictionary()) return;
    s = EmbeddedSignature{};
    s.field_name = name;
    ReadSignatureValue(objects, xref, field, path, file_size, *value, nullptr, s);
  }
  s.covers_whole_file =
      s.byte_range_problem.empty() && s.byte_range[2] + s.byte_range[3] == file_size;
  if (const PdfObject* p = dict.GetKey("P"); p && p->IsReference()) {
    for (int i = 0; i < doc.GetPageCount(); ++i) {
      const PoDoFo::PdfPage* page = doc.GetPage(i);
      if (page != nullptr && page->GetObject()->Reference() == p->GetReference()) {
        s.page_index = i;
        break;
      }
    }
  }
  out.push_back(std::move(s));
}

}  // namespace

absl::StatusOr<std::vector<EmbeddedSignature>> ReadSignatures(const std::string& path) {
  absl::StatusOr<ParsedPdf> pdf = ParsedPdf::Open(path);
  if (!pdf.ok()) return pdf.status();
  return ReadSignatures(*pdf);
}

absl::StatusOr<std::vector<EmbeddedSignature>> ReadSignatures(const ParsedPdf& pdf) {
  PoDoFo::PdfMemDocument& doc = pdf.document();
  const std::string& path = pdf.path();
  const int64_t size = pdf.size();
  std::vector<EmbeddedSignature> out;
  const absl::Status collected = AtPodofoBoundary("read signatures", [&] {
    PoDoFo::PdfVecObjects& objects = doc.GetObjects();
    PdfObject* acroform = Resolve(objects, doc.GetCatalog()->GetDictionary().GetKey("AcroForm"));
    if (acroform == nullptr || !acroform->IsDictionary()) return absl::OkStatus();
    PdfObject* fields = Resolve(objects, acroform->GetDictionary().GetKey("Fields"));
    if (fields == nullptr || !fields->IsArray()) return absl::OkStatus();
    std::set<const PdfObject*> seen;
    for (PdfObject& f : fields->GetArray()) {
      CollectSignatures(doc, pdf.xref(), pdf.signature_dictionaries(), &f, "", path, size, out,
                        seen, 0);
    }
    return absl::OkStatus();
  });
  if (!collected.ok()) return collected;
  // One signature value listed by two fields: the second field shows a signature nobody made
  // for it. Neither can be told from the other, so both are reported.
  for (size_t i = 0; i < out.size(); ++i) {
    for (size_t j = i + 1; j < out.size(); ++j) {
      if (out[i].byte_range != out[j].byte_range || !out[i].byte_range_problem.empty() ||
          !out[j].byte_range_problem.empty()) {
        continue;
      }
      for (EmbeddedSignature* s : {&out[i], &out[j]}) {
        s->byte_range_problem = absl::StrCat("the same signature is listed by the fields '",
                                             out[i].field_name, "' and '", out[j].field_name, "'");
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const EmbeddedSignature& a, const EmbeddedSignature& b) {
                     return a.byte_range[2] + a.byte_range[3] < b.byte_range[2] + b.byte_range[3];
                   });
  return out;
}

}  // namespace taicho::pdf
