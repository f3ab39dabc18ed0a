#include "tests/support/pdf_update.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/pki_fixture.h"

namespace taicho::testing {
namespace {

int64_t LastStartXref(const std::string& bytes) {
  const size_t at = bytes.rfind("startxref");
  if (at == std::string::npos) return -1;
  return std::stoll(bytes.substr(at + 9, 24));
}

std::string Syntax(const PoDoFo::PdfObject* o) {
  std::string s;
  if (o) o->ToString(s, PoDoFo::ePdfWriteMode_Compact);
  return s;
}

std::unique_ptr<PoDoFo::PdfMemDocument> Load(const std::string& path) {
  PoDoFo::PdfError::EnableDebug(false);
  PoDoFo::PdfError::EnableLogging(false);
  auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
  doc->Load(path.c_str());
  return doc;
}

}  // namespace

RevisionFacts ReadRevisionFacts(const std::string& path) {
  RevisionFacts f;
  auto doc = Load(path);
  f.catalog = static_cast<int>(doc->GetCatalog()->Reference().ObjectNumber());
  const PoDoFo::PdfObject* pages = doc->GetCatalog()->GetDictionary().GetKey("Pages");
  f.pages_root = pages && pages->IsReference() ? pages->GetReference().ObjectNumber() : 0;
  for (int i = 0; i < doc->GetPageCount(); ++i) {
    PoDoFo::PdfObject* page = doc->GetPage(i)->GetObject();
    f.pages.push_back(static_cast<int>(page->Reference().ObjectNumber()));
    const PoDoFo::PdfObject* c = page->GetDictionary().GetKey("Contents");
    if (c && c->IsArray() && !c->GetArray().empty()) c = &c->GetArray()[0];
    f.contents.push_back(c && c->IsReference() ? c->GetReference().ObjectNumber() : 0);
  }
  f.size = static_cast<int>(doc->GetTrailer()->GetDictionary().GetKeyAsLong("Size", 0));
  f.file_size = static_cast<int64_t>(ReadFileBytes(path).size());
  return f;
}

std::string EditedObject(const std::string& path, int number,
                         const std::function<void(PoDoFo::PdfObject&)>& edit) {
  auto doc = Load(path);
  PoDoFo::PdfObject* o = doc->GetObjects().GetObject(PoDoFo::PdfReference(number, 0));
  if (o == nullptr) {
    ADD_FAILURE() << "no object " << number << " in " << path;
    return "null";
  }
  edit(*o);
  // A direct copy: serialising the indirect object itself would add its "N G obj" header.
  if (o->IsDictionary()) {
    PoDoFo::PdfObject copy(o->GetDictionary());
    return Syntax(&copy);
  }
  if (o->IsArray()) {
    PoDoFo::PdfObject copy(o->GetArray());
    return Syntax(&copy);
  }
  return Syntax(o);
}

std::string StreamObject(const std::string& data, const std::string& extra_keys) {
  std::ostringstream out;
  out << "<< /Length " << data.size() << (extra_keys.empty() ? "" : " ") << extra_keys
      << " >>\nstream\n"
      << data << "\nendstream";
  return out.str();
}

int64_t AppendUpdate(const std::string& path, const std::map<int, std::string>& objects,
                     const std::map<int, int64_t>& repointed) {
  const std::string bytes = ReadFileBytes(path);
  auto doc = Load(path);
  const PoDoFo::PdfDictionary& trailer = doc->GetTrailer()->GetDictionary();
  const int64_t start = static_cast<int64_t>(bytes.size());
  std::string update = bytes.back() == '\n' ? "" : "\n";
  std::map<int, int64_t> offsets = repointed;
  int size = static_cast<int>(trailer.GetKeyAsLong("Size", 0));
  for (const auto& [n, body] : objects) {
    offsets[n] = start + static_cast<int64_t>(update.size());
    update += std::to_string(n) + " 0 obj\n" + body + "\nendobj\n";
    size = std::max(size, n + 1);
  }
  for (const auto& [n, off] : repointed) size = std::max(size, n + 1);
  const int64_t xref = start + static_cast<int64_t>(update.size());
  std::ostringstream x;
  x << "xref\n";
  for (const auto& [n, off] : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010lld 00000 n \n", static_cast<long long>(off));
    x << n << " 1\n" << line;
  }
  x << "trailer\n<< /Size " << size << " /Root " << Syntax(trailer.GetKey("Root"));
  if (trailer.HasKey("Info")) x << " /Info " << Syntax(trailer.GetKey("Info"));
  if (trailer.HasKey("ID")) x << " /ID " << Syntax(trailer.GetKey("ID"));
  x << " /Prev " << LastStartXref(bytes) << " >>\nstartxref\n" << xref << "\n%%EOF\n";
  update += x.str();
  std::ofstream(path, std::ios::binary | std::ios::app) << update;
  return start;
}

}  // namespace taicho::testing
