#include "pdf/signature_update_objects.h"

#include <cstdio>
#include <set>
#include <string_view>
#include <utility>

#include "pdf/prefix_document.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfObject;
using PoDoFo::PdfReference;

// Deeper page trees and more pages than these are left to PoDoFo's load.
constexpr int kMaxPageTreeDepth = 64;
constexpr size_t kMaxPages = 100000;

bool IsName(const PdfObject* o, const char* name) {
  return o != nullptr && o->IsName() && o->GetName().GetName() == name;
}

bool IsPdfSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

// Whether the bytes at `offset` start "N G obj" (after white space), as the entry says. PoDoFo's
// load parses every entry's header and files the object under the number it finds there, so an
// entry that points at another object redefines that one in a loaded document.
bool HeaderAt(std::string_view bytes, int64_t offset, int64_t number, int64_t generation) {
  if (offset <= 0 || offset >= static_cast<int64_t>(bytes.size())) return false;
  size_t at = static_cast<size_t>(offset);
  auto integer = [&](int64_t& out) {
    while (at < bytes.size() && IsPdfSpace(bytes[at])) ++at;
    const size_t start = at;
    out = 0;
    while (at < bytes.size() && at - start < 10 && bytes[at] >= '0' && bytes[at] <= '9') {
      out = out * 10 + (bytes[at++] - '0');
    }
    return at > start && (at >= bytes.size() || bytes[at] < '0' || bytes[at] > '9');
  };
  int64_t n = 0, g = 0;
  if (!integer(n) || !integer(g) || n != number || g != generation) return false;
  while (at < bytes.size() && IsPdfSpace(bytes[at])) ++at;
  return bytes.substr(at, 3) == "obj";
}

}  // namespace

PdfObject* LoadedObjects::Get(const PdfReference& ref) { return doc_.GetObjects().GetObject(ref); }

PdfObject* LoadedObjects::Page(int index) {
  PoDoFo::PdfPage* page = doc_.GetPage(index);
  return page != nullptr ? page->GetObject() : nullptr;
}

PoDoFo::PdfRect LoadedObjects::MediaBox(int index) {
  PoDoFo::PdfPage* page = doc_.GetPage(index);
  return page != nullptr ? page->GetMediaBox() : PoDoFo::PdfRect();
}

XrefObjects::XrefObjects(const PdfSource& source, RevisionXref xref) : xref_(std::move(xref)) {
  const std::string* whole = source.whole();
  if (whole == nullptr || xref_.encrypted) {
    incomplete_ = true;
    return;
  }
  // Every entry at an offset must point at its own object's header, as PoDoFo's load reads them
  // all (a few bytes each); object streams, which it unpacks at load, are left to it.
  for (const auto& [number, entry] : xref_.entries) {
    if (entry.type == 'c' ||
        (entry.type == 'n' && !HeaderAt(*whole, entry.field2, number, entry.field3))) {
      incomplete_ = true;
      return;
    }
  }
  // The source's own bytes, shared: no copy.
  absl::StatusOr<PoDoFo::PdfRefCountedInputDevice> device = source.Device();
  if (!device.ok()) {
    incomplete_ = true;
    return;
  }
  device_ = *std::move(device);
}

XrefObjects::~XrefObjects() = default;

std::unique_ptr<PoDoFo::PdfParserObject> XrefObjects::Parse(const PdfReference& ref) {
  auto entry = xref_.entries.find(ref.ObjectNumber());
  // A free or missing entry, or one in an object stream: PoDoFo's own reading decides.
  if (entry == xref_.entries.end() || entry->second.type != 'n' ||
      entry->second.field3 != ref.GenerationNumber() || entry->second.field2 <= 0) {
    incomplete_ = true;
    return nullptr;
  }
  auto object =
      std::make_unique<PoDoFo::PdfParserObject>(&owner_, device_, buffer_, entry->second.field2);
  object->SetLoadOnDemand(false);
  try {
    object->ParseFile(nullptr, false);
  } catch (const PoDoFo::PdfError&) {
    incomplete_ = true;
    return nullptr;
  }
  // The bytes at the offset must be the object the entry names.
  if (object->Reference() != ref) {
    incomplete_ = true;
    return nullptr;
  }
  return object;
}

PdfObject* XrefObjects::Get(const PdfReference& ref) {
  if (incomplete_) return nullptr;
  const int64_t number = ref.ObjectNumber();
  if (auto it = parsed_.find(number); it != parsed_.end()) {
    return it->second->Reference() == ref ? it->second.get() : nullptr;
  }
  std::unique_ptr<PoDoFo::PdfParserObject> object = Parse(ref);
  // A stream's /Length may name another object, which only a loaded document resolves (and no
  // object the plan reads has a stream).
  if (object == nullptr || object->HasStreamToParse()) {
    incomplete_ = true;
    return nullptr;
  }
  PdfObject* out = object.get();
  parsed_.emplace(number, std::move(object));
  return out;
}

PdfObject* XrefObjects::Catalog() {
  const PdfReference root = ParseRef(xref_.root_ref);
  if (root.ObjectNumber() == 0) {
    incomplete_ = true;
    return nullptr;
  }
  PdfObject* catalog = Get(root);
  if (catalog == nullptr || !catalog->IsDictionary()) incomplete_ = true;
  return incomplete_ ? nullptr : catalog;
}

bool XrefObjects::ReadPages() {
  if (pages_read_) return !incomplete_;
  pages_read_ = true;
  PdfObject* catalog = Catalog();
  if (catalog == nullptr) return false;
  PdfObject* root = catalog->GetDictionary().GetKey("Pages");
  if (root == nullptr || !root->IsReference()) {
    incomplete_ = true;
    return false;
  }
  std::set<int64_t> seen;
  // Depth first, kids in order: the leaves come out in page order.
  std::vector<std::pair<PdfReference, int>> stack = {{root->GetReference(), 0}};
  while (!stack.empty()) {
    auto [ref, depth] = stack.back();
    stack.pop_back();
    PdfObject* node = Get(ref);
    if (node == nullptr || !node->IsDictionary() || depth > kMaxPageTreeDepth ||
        !seen.insert(ref.ObjectNumber()).second || pages_.size() > kMaxPages) {
      incomplete_ = true;  // PoDoFo's load refuses a loop or says what else is wrong
      return false;
    }
    const PoDoFo::PdfDictionary& dict = node->GetDictionary();
    if (IsName(dict.GetKey("Type"), "Page")) {
      pages_.push_back(node);
      continue;
    }
    const PdfObject* kids = dict.GetKey("Kids");
    if (!IsName(dict.GetKey("Type"), "Pages") || kids == nullptr || !kids->IsArray()) {
      incomplete_ = true;
      return false;
    }
    const PoDoFo::PdfArray& array = kids->GetArray();
    for (auto it = array.rbegin(); it != array.rend(); ++it) {
      if (!it->IsReference()) {
        incomplete_ = true;
        return false;
      }
      stack.push_back({it->GetReference(), depth + 1});
    }
  }
  // PoDoFo counts pages by the root's /Count and finds them by each node's: a tree whose counts
  // disagree with its leaves is left to it.
  const PdfObject* count = Get(root->GetReference())->GetDictionary().GetKey("Count");
  if (count == nullptr || !count->IsNumber() || count->GetNumber() <= 0 ||
      static_cast<size_t>(count->GetNumber()) != pages_.size()) {
    incomplete_ = true;
    return false;
  }
  return true;
}

int XrefObjects::PageCount() { return ReadPages() ? static_cast<int>(pages_.size()) : 0; }

PdfObject* XrefObjects::Page(int index) {
  if (!ReadPages() || index < 0 || static_cast<size_t>(index) >= pages_.size()) return nullptr;
  PdfObject* page = pages_[static_cast<size_t>(index)];
  // PoDoFo makes a page object with its /Contents read (the dictionary, not the stream): a page
  // whose contents it cannot read fails there, so it is read here too, once, and dropped.
  if (contents_read_.insert(index).second) {
    const PdfObject* contents = page->GetDictionary().GetKey("Contents");
    if (contents != nullptr && contents->IsReference() &&
        Parse(contents->GetReference()) == nullptr) {
      incomplete_ = true;
      return nullptr;
    }
  }
  return page;
}

PoDoFo::PdfRect XrefObjects::MediaBox(int index) {
  PdfObject* node = Page(index);
  for (int depth = 0; node != nullptr && node->IsDictionary() && depth < kMaxPageTreeDepth;
       ++depth) {
    if (const PdfObject* box = node->GetDictionary().GetKey("MediaBox")) {
      if (box->IsArray()) return PoDoFo::PdfRect(box->GetArray());
      break;  // an indirect or odd box: PoDoFo's reading decides
    }
    const PdfObject* parent = node->GetDictionary().GetKey("Parent");
    node = parent != nullptr && parent->IsReference() ? Get(parent->GetReference()) : nullptr;
  }
  incomplete_ = true;
  return PoDoFo::PdfRect();
}

PdfReference ParseRef(const std::string& text) {
  unsigned long number = 0, generation = 0;
  if (std::sscanf(text.c_str(), "%lu %lu", &number, &generation) != 2 || number > 8388607 ||
      generation > 65535) {
    return PdfReference();
  }
  return PdfReference(static_cast<uint32_t>(number), static_cast<uint16_t>(generation));
}

}  // namespace taicho::pdf
