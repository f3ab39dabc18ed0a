#include "render/data_checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "render/unicode_text.h"

namespace taicho::render {

namespace {
// Same order in both enums (asserted in block_layout.cc).
Face FaceOfBlock(const Block& b) { return static_cast<Face>(static_cast<int>(b.face)); }
}  // namespace

absl::StatusOr<DocumentData> NormalizeData(const DocumentData& in) {
  DocumentData d;
  absl::Status status;
  auto nfc = [&](const std::string& s) {
    absl::StatusOr<std::string> r = Nfc(s);
    if (!r.ok()) status = r.status();
    return r.ok() ? *std::move(r) : std::string();
  };
  auto upper = [&](const std::string& s) {
    absl::StatusOr<std::string> r = UpperNfc(s);
    if (!r.ok()) status = r.status();
    return r.ok() ? *std::move(r) : std::string();
  };
  d.agency.parent = upper(in.agency.parent);
  d.agency.name = upper(in.agency.name);
  d.number = nfc(in.number);
  d.symbol = nfc(in.symbol);
  d.place = nfc(in.place);
  d.date = nfc(in.date);
  d.type = upper(in.type);
  d.summary = nfc(in.summary);
  for (const Article& a : in.articles) {
    Article article{nfc(a.text), {}};
    for (const Clause& c : a.clauses) {
      Clause clause{nfc(c.text), {}};
      for (const std::string& p : c.points) clause.points.push_back(nfc(p));
      article.clauses.push_back(std::move(clause));
    }
    d.articles.push_back(std::move(article));
  }
  for (const Field& f : in.fields) d.fields.push_back({nfc(f.label), nfc(f.value)});
  for (const std::string& r : in.recipients) d.recipients.push_back(nfc(r));
  d.signer.authority_prefix = upper(in.signer.authority_prefix);
  d.signer.title = upper(in.signer.title);
  d.signer.name = nfc(in.signer.name);
  d.verification = in.verification;
  for (const auto& [key, value] : in.texts) d.texts[key] = nfc(value);
  for (const auto& [key, items] : in.lists) {
    for (const std::string& item : items) d.lists[key].push_back(nfc(item));
  }
  if (!status.ok()) return status;
  return d;
}

absl::Status CheckGlyphs(const Fonts& fonts, const DocumentKind& kind, const DocumentData& d) {
  std::vector<std::string> problems;
  auto check = [&](Face face, const std::string& text, const std::string& field) {
    CheckDrawable(fonts, face, text, field, &problems);
  };
  check(kRegular, d.agency.parent, "agency.parent");
  check(kBold, d.agency.name, "agency.name");
  check(kRegular, d.number, "number");
  check(kRegular, d.symbol, "symbol");
  check(kItalic, d.place, "place");
  check(kBold, d.type, "type");
  check(kBold, d.summary, "summary");
  for (size_t i = 0; i < d.articles.size(); ++i) {
    const std::string path = absl::StrCat("articles[", i, "]");
    check(kRegular, d.articles[i].text, path + ".text");
    for (size_t k = 0; k < d.articles[i].clauses.size(); ++k) {
      const Clause& c = d.articles[i].clauses[k];
      const std::string cpath = absl::StrCat(path, ".clauses[", k, "]");
      check(kRegular, c.text, cpath + ".text");
      for (size_t j = 0; j < c.points.size(); ++j) {
        check(kRegular, c.points[j], absl::StrCat(cpath, ".points[", j, "]"));
      }
    }
  }
  Face value_face = kRegular;
  for (const Block& b : kind.blocks) {
    if (b.type == BlockType::kFields) value_face = FaceOfBlock(b);
  }
  for (size_t i = 0; i < d.fields.size(); ++i) {
    check(kRegular, d.fields[i].label, absl::StrCat("fields[", i, "].label"));
    check(value_face, d.fields[i].value, absl::StrCat("fields[", i, "].value"));
  }
  for (size_t i = 0; i < d.recipients.size(); ++i) {
    check(kRegular, d.recipients[i], absl::StrCat("recipients[", i, "]"));
  }
  check(kBold, d.signer.authority_prefix, "signer.authority_prefix");
  check(kBold, d.signer.title, "signer.title");
  check(kBold, d.signer.name, "signer.name");
  check(kRegular, d.verification.code, "verification.code");
  // Named texts and lists in every face a block of the kind may draw them in; literal template
  // text too (an operator's kind file could carry a character the fonts lack).
  for (const Block& b : kind.blocks) {
    const Face face = FaceOfBlock(b);
    if (b.type == BlockType::kText) {
      check(face, b.text, "kind " + kind.id);
      for (const std::string& key : TemplateKeys(b.text)) {
        auto it = d.texts.find(key.substr(0, key.find(':')));
        if (it != d.texts.end()) check(face, it->second, it->first);
      }
    } else if (b.type == BlockType::kList) {
      auto it = d.lists.find(b.source);
      if (it == d.lists.end()) continue;
      for (size_t i = 0; i < it->second.size(); ++i) {
        check(face, it->second[i], absl::StrCat(it->first, "[", i, "]"));
      }
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return Error(ErrorCode::kGlyphMissing, absl::StrJoin(problems, "; "));
}

}  // namespace taicho::render
