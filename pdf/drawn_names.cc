#include "pdf/drawn_names.h"

#include <podofo/podofo.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "pdf/drawn_text.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_document.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfObject;

PdfObject* Resolve(PoDoFo::PdfVecObjects& objects, PdfObject* o) {
  for (int i = 0; o != nullptr && o->IsReference() && i < 8; ++i) {
    o = objects.GetObject(o->GetReference());
  }
  return o != nullptr && !o->IsReference() ? o : nullptr;
}

struct SignatureWidget {
  std::string name;
  PdfObject* widget = nullptr;
};

void Collect(PoDoFo::PdfVecObjects& objects, PdfObject* field, const std::string& prefix,
             std::vector<SignatureWidget>& out, std::set<const PdfObject*>& seen, int depth) {
  field = Resolve(objects, field);
  if (field == nullptr || !field->IsDictionary() || depth > 32 || !seen.insert(field).second) {
    return;
  }
  const PoDoFo::PdfDictionary& dict = field->GetDictionary();
  std::string name = prefix;
  if (const PdfObject* t = dict.GetKey("T"); t != nullptr && t->IsString()) {
    const std::string part = t->GetString().GetStringUtf8();
    name = prefix.empty() ? part : prefix + "." + part;
  }
  if (PdfObject* kids = Resolve(objects, const_cast<PdfObject*>(dict.GetKey("Kids")));
      kids != nullptr && kids->IsArray()) {
    for (PdfObject& kid : kids->GetArray()) Collect(objects, &kid, name, out, seen, depth + 1);
  }
  const PdfObject* ft = dict.GetKey("FT");
  if (ft == nullptr || !ft->IsName() || ft->GetName().GetName() != "Sig" || !dict.HasKey("V") ||
      !dict.HasKey("Rect")) {
    return;
  }
  out.push_back({name, field});
}

// "Nguyễn Văn An 2026-11-28T09:30:45+07:00" → "Nguyễn Văn An": a caption's time is not a name.
std::string WithoutTime(const std::string& text) {
  std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipWhitespace());
  while (!words.empty() && words.back().size() >= 10 &&
         std::isdigit(static_cast<unsigned char>(words.back()[0])) &&
         words.back().find('-') != std::string::npos) {
    words.pop_back();
  }
  return absl::StrJoin(words, " ");
}

// The line under [left, right] × bottom whose words are centred on the field: its centre (from
// its first word's start to its last word's start, the last word's width unknown) within the
// middle third of the field.
std::string LineUnder(const std::vector<PlacedText>& placed, double left, double right,
                      double bottom) {
  std::map<double, std::vector<const PlacedText*>, std::greater<>> lines;  // top line first
  for (const PlacedText& p : placed) {
    if (p.y >= bottom || p.y < bottom - kNameBelow) continue;
    auto it = std::find_if(lines.begin(), lines.end(),
                           [&](const auto& line) { return std::abs(line.first - p.y) < 0.5; });
    if (it == lines.end()) {
      lines[p.y].push_back(&p);
    } else {
      it->second.push_back(&p);
    }
  }
  const double third = (right - left) / 3;
  for (auto& [y, words] : lines) {
    std::sort(words.begin(), words.end(),
              [](const PlacedText* a, const PlacedText* b) { return a->x < b->x; });
    // Words of one block: a gap of more than 8 em between starts begins another block (the
    // recipients' column is far to the left of the signer's).
    std::vector<std::vector<const PlacedText*>> blocks(1);
    for (const PlacedText* w : words) {
      if (!blocks.back().empty() && w->x - blocks.back().back()->x > 8 * std::max(w->size, 1.0)) {
        blocks.emplace_back();
      }
      blocks.back().push_back(w);
    }
    for (const auto& block : blocks) {
      const double centre = (block.front()->x + block.back()->x) / 2;
      if (centre < left + third - 1 || centre > right - third + 1) continue;
      std::vector<std::string> texts;
      for (const PlacedText* w : block) texts.push_back(w->text);
      return absl::StrJoin(texts, " ");
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<DrawnName>> ReadDrawnNames(const ParsedPdf& pdf) {
  PoDoFo::PdfMemDocument& doc = pdf.document();
  std::vector<DrawnName> out;
  return AtPodofoBoundary("read drawn names", [&]() -> absl::StatusOr<std::vector<DrawnName>> {
    PoDoFo::PdfVecObjects& objects = doc.GetObjects();
    PdfObject* acroform = Resolve(objects, doc.GetCatalog()->GetDictionary().GetKey("AcroForm"));
    if (acroform == nullptr || !acroform->IsDictionary()) return out;
    PdfObject* fields = Resolve(objects, acroform->GetDictionary().GetKey("Fields"));
    if (fields == nullptr || !fields->IsArray()) return out;
    std::vector<SignatureWidget> widgets;
    std::set<const PdfObject*> seen;
    for (PdfObject& f : fields->GetArray()) Collect(objects, &f, "", widgets, seen, 0);
    std::map<int, std::optional<std::vector<PlacedText>>> pages;  // read once each
    for (const SignatureWidget& w : widgets) {
      const PoDoFo::PdfDictionary& dict = w.widget->GetDictionary();
      const PdfObject* p = dict.GetKey("P");
      int page_index = -1;
      for (int i = 0; p != nullptr && p->IsReference() && i < doc.GetPageCount(); ++i) {
        if (doc.GetPage(i)->GetObject()->Reference() == p->GetReference()) page_index = i;
      }
      if (page_index < 0) continue;
      const PoDoFo::PdfRect rect(dict.GetKey("Rect")->GetArray());
      DrawnName name{w.name, "", false};
      if (PdfObject* ap = Resolve(objects, const_cast<PdfObject*>(dict.GetKey("AP")))) {
        PdfObject* normal =
            ap->IsDictionary() ? Resolve(objects, ap->GetDictionary().GetKey("N")) : nullptr;
        const std::optional<std::string> drawn = DrawnText(objects, normal);
        if (drawn && !WithoutTime(*drawn).empty()) {
          name.text = WithoutTime(*drawn);
          name.from_caption = true;
        }
      }
      if (name.text.empty() && rect.GetWidth() > 0) {
        auto [it, added] = pages.try_emplace(page_index);
        if (added) it->second = ReadPlaced(objects, *doc.GetPage(page_index));
        if (it->second) {
          name.text = LineUnder(*it->second, rect.GetLeft(), rect.GetLeft() + rect.GetWidth(),
                                rect.GetBottom());
        }
      }
      out.push_back(std::move(name));
    }
    return out;
  });
}

}  // namespace taicho::pdf
