#include "pdf/appearance_objects.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfDictionary;
using PoDoFo::PdfObject;
using PoDoFo::PdfReference;

bool HasSubsetTag(const std::string& name) {
  if (name.size() < 8 || name[6] != '+') return false;
  return std::all_of(name.begin(), name.begin() + 6, [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Copies the objects reachable from `root` out of the scratch document with new numbers.
class Renumberer {
 public:
  Renumberer(PoDoFo::PdfVecObjects& objects, int64_t first_number)
      : objects_(objects), next_(first_number), tag_(SubsetTag(first_number)) {}

  absl::Status Collect(PdfObject* root) {
    Number(root->Reference());
    std::deque<PdfObject*> queue{root};
    while (!queue.empty()) {
      PdfObject* object = queue.front();
      queue.pop_front();
      order_.push_back(object);
      std::vector<PdfReference> refs;
      FindReferences(*object, refs);
      for (const PdfReference& ref : refs) {
        if (numbers_.count(ref)) continue;
        PdfObject* target = objects_.GetObject(ref);
        if (target == nullptr) return Error(ErrorCode::kInternal, "appearance: dangling ref");
        Number(ref);
        queue.push_back(target);
      }
    }
    return absl::OkStatus();
  }

  std::vector<NumberedObject> Serialize() const {
    std::vector<NumberedObject> out;
    for (PdfObject* object : order_) {
      PdfObject copy = Remap(*object, "");
      std::string body;
      if (object->HasStream()) {
        // Scratch documents keep streams in memory, already encoded with their /Filter.
        const auto* stream = dynamic_cast<const PoDoFo::PdfMemStream*>(object->GetStream());
        const std::string data =
            stream ? std::string(stream->Get(), static_cast<size_t>(stream->GetLength()))
                   : std::string();
        copy.GetDictionary().AddKey("Length", static_cast<PoDoFo::pdf_int64>(data.size()));
        body = absl::StrCat(pdf::Serialize(copy), "\nstream\n", data, "\nendstream");
      } else {
        body = pdf::Serialize(copy);
      }
      out.push_back({numbers_.at(object->Reference()), std::move(body)});
    }
    return out;
  }

  int64_t NumberOf(const PdfReference& ref) const { return numbers_.at(ref); }

  const std::string& tag() const { return tag_; }

 private:
  void Number(const PdfReference& ref) { numbers_[ref] = next_++; }

  static void FindReferences(const PdfObject& o, std::vector<PdfReference>& out) {
    if (o.IsReference()) {
      out.push_back(o.GetReference());
    } else if (o.IsArray()) {
      for (const PdfObject& item : o.GetArray()) FindReferences(item, out);
    } else if (o.IsDictionary()) {
      for (const auto& [key, value] : o.GetDictionary().GetKeys()) FindReferences(*value, out);
    }
  }

  PdfObject Remap(const PdfObject& o, const std::string& key) const {
    if (o.IsReference()) {
      return PdfObject(PdfReference(static_cast<uint32_t>(numbers_.at(o.GetReference())), 0));
    }
    if (o.IsArray()) {
      PoDoFo::PdfArray array;
      for (const PdfObject& item : o.GetArray()) array.push_back(Remap(item, ""));
      return PdfObject(array);
    }
    if (o.IsDictionary()) {
      PdfDictionary dict;
      for (const auto& [name, value] : o.GetDictionary().GetKeys()) {
        dict.AddKey(name, Remap(*value, name.GetName()));
      }
      return PdfObject(dict);
    }
    // Every update's subset would otherwise be "AAAAAA+…": two different subsets under one name.
    if (o.IsName() && (key == "BaseFont" || key == "FontName") &&
        HasSubsetTag(o.GetName().GetName())) {
      return PdfObject(PoDoFo::PdfName(tag_ + o.GetName().GetName().substr(6)));
    }
    return o;
  }

  PoDoFo::PdfVecObjects& objects_;
  int64_t next_;
  std::string tag_;
  std::map<PdfReference, int64_t> numbers_;
  std::vector<PdfObject*> order_;
};

}  // namespace

std::unique_ptr<PoDoFo::PdfMemDocument> NewScratch() {
  InitPodofo();
  auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
  doc->SetPdfVersion(PoDoFo::ePdfVersion_1_7);
  return doc;
}

std::string SubsetTag(int64_t number) {
  std::string tag = "T?????";
  for (int i = 5; i >= 1; --i) {
    tag[static_cast<size_t>(i)] = static_cast<char>('A' + number % 26);
    number /= 26;
  }
  return tag;
}

absl::StatusOr<DrawnAppearance> CopyObjects(PoDoFo::PdfMemDocument& doc, PdfObject* root,
                                            int64_t first_number) {
  Renumberer renumberer(doc.GetObjects(), first_number);
  absl::Status st = renumberer.Collect(root);
  if (!st.ok()) return st;
  DrawnAppearance out;
  out.xobject_number = renumberer.NumberOf(root->Reference());
  out.objects = renumberer.Serialize();
  return out;
}

absl::StatusOr<ObjectsTemplate> ObjectsTemplate::Make(PoDoFo::PdfVecObjects& objects,
                                                      PdfObject* root) {
  Renumberer stand_in(objects, kStandIn);
  absl::Status st = stand_in.Collect(root);
  if (!st.ok()) return st;
  ObjectsTemplate t;
  t.tag_ = stand_in.tag() + "+";
  t.objects_ = stand_in.Serialize();
  return t;
}

void ObjectsTemplate::Write(int64_t first, const std::string& tag,
                            std::vector<NumberedObject>& out) const {
  for (const NumberedObject& o : objects_) {
    // Only the dictionary is text: the stream after it is copied as it is.
    const size_t stream = o.body.find("\nstream\n");
    const size_t dict_end = stream == std::string::npos ? o.body.size() : stream;
    out.push_back({first + (o.number - kStandIn),
                   Substitute(std::string_view(o.body).substr(0, dict_end), first, tag) +
                       o.body.substr(dict_end)});
  }
}

std::string ObjectsTemplate::Substitute(std::string_view dict, int64_t first,
                                        const std::string& tag) const {
  std::string out;
  out.reserve(dict.size());
  size_t i = 0;
  while (i < dict.size()) {
    if (dict.compare(i, tag_.size(), tag_) == 0) {
      out += tag + "+";
      i += tag_.size();
      continue;
    }
    const bool starts_number = std::isdigit(static_cast<unsigned char>(dict[i])) &&
                               (i == 0 || !std::isdigit(static_cast<unsigned char>(dict[i - 1])));
    if (starts_number) {
      size_t end = i;
      while (end < dict.size() && std::isdigit(static_cast<unsigned char>(dict[end]))) ++end;
      const std::string_view digits = dict.substr(i, end - i);
      int64_t value = 0;
      const bool small = digits.size() <= 12;
      for (char c : digits) value = small ? value * 10 + (c - '0') : 0;
      const bool stand_in = small && value >= kStandIn &&
                            value < kStandIn + static_cast<int64_t>(objects_.size()) &&
                            dict.compare(end, 4, " 0 R") == 0;
      out += stand_in ? std::to_string(first + (value - kStandIn)) : std::string(digits);
      i = end;
      continue;
    }
    out += dict[i++];
  }
  return out;
}

}  // namespace taicho::pdf
