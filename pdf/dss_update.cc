#include "pdf/dss_update.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/incremental_writer.h"
#include "pdf/pdf_file.h"
#include "pdf/pdf_source.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_document.h"
#include "pdf/signature_update_objects.h"
#include "pdf/xref_reader.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfObject;

DerBlob StreamBytes(PdfObject* o) {
  DerBlob out;
  if (o == nullptr || !o->HasStream()) return out;
  char* buffer = nullptr;
  PoDoFo::pdf_long length = 0;
  o->GetStream()->GetFilteredCopy(&buffer, &length);
  if (buffer != nullptr) {
    out.assign(buffer, buffer + length);
    PoDoFo::podofo_free(buffer);
  }
  return out;
}

// One DSS array: its existing references (serialised) and their decoded contents.
struct ExistingArray {
  std::vector<std::string> refs;
  std::vector<int64_t> numbers;  // the streams' object numbers
  std::vector<DerBlob> blobs;
};

ExistingArray ReadArray(UpdateObjects& objects, PdfObject* dss, const char* key) {
  ExistingArray out;
  if (dss == nullptr) return out;
  PdfObject* array = objects.Resolve(dss->GetDictionary().GetKey(key));
  if (array == nullptr || !array->IsArray()) return out;
  for (PdfObject& item : array->GetArray()) {
    if (!item.IsReference()) continue;
    out.refs.push_back(RefString(item.GetReference()));
    out.numbers.push_back(item.GetReference().ObjectNumber());
    out.blobs.push_back(StreamBytes(objects.Get(item.GetReference())));
  }
  return out;
}

PdfObject* FindDss(UpdateObjects& objects, PdfObject& catalog) {
  PdfObject* dss = objects.Resolve(catalog.GetDictionary().GetKey("DSS"));
  return dss && dss->IsDictionary() ? dss : nullptr;
}

}  // namespace

absl::StatusOr<DssContent> ReadDss(const std::string& path) {
  absl::StatusOr<ParsedPdf> pdf = ParsedPdf::Open(path);
  if (!pdf.ok()) return pdf.status();
  return ReadDss(*pdf);
}

absl::StatusOr<DssContent> ReadDss(const ParsedPdf& pdf) {
  PoDoFo::PdfMemDocument& doc = pdf.document();
  return AtPodofoBoundary("read DSS", [&]() -> absl::StatusOr<DssContent> {
    DssContent out;
    LoadedObjects objects(doc);
    PdfObject* dss = FindDss(objects, *doc.GetCatalog());
    out.certs = ReadArray(objects, dss, "Certs").blobs;
    ExistingArray ocsps = ReadArray(objects, dss, "OCSPs");
    ExistingArray crls = ReadArray(objects, dss, "CRLs");
    out.ocsps = std::move(ocsps.blobs);
    out.crls = std::move(crls.blobs);
    // Offsets from the final revision's cross-reference: the newest definition of each object.
    const std::map<int64_t, XrefEntry>& entries = pdf.xref().entries;
    auto offset_of = [&](int64_t number) -> int64_t {
      auto it = entries.find(number);
      if (it != entries.end() && it->second.type == 'c') it = entries.find(it->second.field2);
      return it != entries.end() && it->second.type == 'n' ? it->second.field2 : 0;
    };
    for (int64_t n : ocsps.numbers) out.ocsp_offsets.push_back(offset_of(n));
    for (int64_t n : crls.numbers) out.crl_offsets.push_back(offset_of(n));
    return out;
  });
}

DssPlan PlanDss(UpdateObjects& objects, PdfObject& catalog, const DssContent& add, int64_t& next) {
  const char* kKeys[3] = {"Certs", "OCSPs", "CRLs"};
  PdfObject* dss = FindDss(objects, catalog);
  std::string dss_extra;  // other keys of an existing DSS (/VRI…), kept as they were
  if (dss != nullptr) {
    for (const auto& [key, value] : dss->GetDictionary().GetKeys()) {
      const std::string& name = key.GetName();
      if (name == "Certs" || name == "OCSPs" || name == "CRLs" || name == "Type") continue;
      absl::StrAppend(&dss_extra, " /", name, " ", Serialize(*value));
    }
  }
  DssPlan plan;
  const std::vector<DerBlob>* adds[3] = {&add.certs, &add.ocsps, &add.crls};
  size_t* counters[3] = {&plan.certs_added, &plan.ocsps_added, &plan.crls_added};
  std::string arrays;
  for (int i = 0; i < 3; ++i) {
    const ExistingArray existing = ReadArray(objects, dss, kKeys[i]);
    std::set<DerBlob> seen(existing.blobs.begin(), existing.blobs.end());
    std::vector<std::string> refs = existing.refs;
    for (const DerBlob& blob : *adds[i]) {
      if (blob.empty() || !seen.insert(blob).second) continue;
      const int64_t number = next++;
      std::string body = absl::StrCat("<< /Length ", blob.size(), " >>\nstream\n");
      body.append(blob.begin(), blob.end());
      body += "\nendstream";
      plan.objects.push_back({number, std::move(body)});
      refs.push_back(absl::StrCat(number, " 0 R"));
      ++*counters[i];
    }
    if (!refs.empty()) {
      absl::StrAppend(&arrays, " /", kKeys[i], " [");
      for (const std::string& r : refs) absl::StrAppend(&arrays, r, " ");
      arrays.back() = ']';
    }
  }
  const int64_t dss_number = next++;
  plan.objects.push_back({dss_number, absl::StrCat("<< /Type /DSS", arrays, dss_extra, " >>")});
  catalog.GetDictionary().AddKey(PoDoFo::PdfName("DSS"),
                                 PoDoFo::PdfReference(static_cast<uint32_t>(dss_number), 0));
  return plan;
}

namespace {

// WriteDssUpdate inside its PoDoFo boundary: `doc` is `source` parsed (null: parsed here).
absl::StatusOr<DssUpdateResult> WriteDss(const PdfSource& source_file,
                                         PoDoFo::PdfMemDocument* parsed, int out_fd,
                                         const DssContent& add) {
  const PdfSource* source = &source_file;
  absl::StatusOr<XrefTail> tail = ReadXrefTail(*source);
  if (!tail.ok()) return tail.status();
  std::unique_ptr<PoDoFo::PdfMemDocument> own;
  if (parsed == nullptr) {
    absl::StatusOr<std::unique_ptr<PoDoFo::PdfMemDocument>> loaded = LoadPdf(*source);
    if (!loaded.ok()) return loaded.status();
    own = *std::move(loaded);
    parsed = own.get();
  }
  PoDoFo::PdfMemDocument& doc = *parsed;

  TrailerInfo trailer;
  {
    const PdfObject* t = doc.GetTrailer();
    if (t == nullptr || !t->IsDictionary()) return Error(ErrorCode::kPdfUnreadable, "no trailer");
    const PoDoFo::PdfDictionary& dict = t->GetDictionary();
    trailer.prev_xref = tail->startxref;
    trailer.xref_stream = tail->is_stream;
    trailer.previous_size = std::max<int64_t>(
        dict.GetKeyAsLong("Size", 0), static_cast<int64_t>(doc.GetObjects().GetObjectCount()));
    trailer.root_ref = RefString(doc.GetCatalog()->Reference());
    trailer.info_ref = FileInfoRef(doc);
    if (const PdfObject* id = dict.GetKey("ID"); id && id->IsArray()) {
      trailer.id_array = Serialize(*id);
    }
  }
  // The catalog with /DSS pointing at the new dictionary, everything else as it was (a copy:
  // the parsed document may be the caller's).
  const PoDoFo::PdfReference catalog_ref = doc.GetCatalog()->Reference();
  PdfObject catalog(*doc.GetCatalog());
  LoadedObjects objects(doc);
  int64_t next = trailer.previous_size;
  const DssPlan plan = PlanDss(objects, catalog, add, next);

  absl::StatusOr<int64_t> start = source->CopyForUpdate(out_fd);
  if (!start.ok()) return start.status();
  IncrementalWriter writer(out_fd, *start);
  for (const NumberedObject& o : plan.objects) {
    absl::StatusOr<int64_t> at = writer.AddObject(o.number, 0, o.body);
    if (!at.ok()) return at.status();
  }
  absl::StatusOr<int64_t> at = writer.AddObject(catalog_ref.ObjectNumber(),
                                                catalog_ref.GenerationNumber(), Serialize(catalog));
  if (!at.ok()) return at.status();
  trailer.previous_size = std::max(trailer.previous_size, next);
  absl::StatusOr<int64_t> end = writer.Finish(trailer);
  if (!end.ok()) return end.status();
  DssUpdateResult result;
  result.certs_added = plan.certs_added;
  result.ocsps_added = plan.ocsps_added;
  result.crls_added = plan.crls_added;
  result.file_size = *end;
  result.bytes_added = *end - source->size();
  return result;
}

}  // namespace

absl::StatusOr<DssUpdateResult> WriteDssUpdate(const std::string& input_path, int out_fd,
                                               const DssContent& add) {
  absl::StatusOr<PdfSource> source = PdfSource::Open(input_path);
  if (!source.ok()) return source.status();
  return AtPodofoBoundary("DSS update", [&] { return WriteDss(*source, nullptr, out_fd, add); });
}

absl::StatusOr<DssUpdateResult> WriteDssUpdate(const ParsedPdf& pdf, int out_fd,
                                               const DssContent& add) {
  absl::StatusOr<PdfSource> source = PdfSource::Open(pdf.path());
  if (!source.ok()) return source.status();
  if (source->size() != pdf.size()) {
    return Error(ErrorCode::kIo, "the file changed since it was parsed");
  }
  return AtPodofoBoundary("DSS update",
                          [&] { return WriteDss(*source, &pdf.document(), out_fd, add); });
}

}  // namespace taicho::pdf
