#include "pdf/revision_diff.h"

#include <podofo/podofo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors/error.h"
#include "pdf/drawn_text.h"
#include "pdf/pdf_file.h"
#include "pdf/podofo_boundary.h"
#include "pdf/podofo_document.h"
#include "pdf/prefix_document.h"
#include "pdf/signature_dictionary.h"
#include "pdf/xref_reader.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfDictionary;
using PoDoFo::PdfMemDocument;
using PoDoFo::PdfObject;
using PoDoFo::PdfVecObjects;

constexpr size_t kMaxWalk = 200000;  // objects visited by one reachability walk
constexpr int kMaxDepth = 64;        // nesting of page trees and field trees

PdfObject* Resolve(PdfVecObjects& objects, const PdfObject* o) {
  PdfObject* r = const_cast<PdfObject*>(o);
  for (int i = 0; r && r->IsReference() && i < 8; ++i) r = objects.GetObject(r->GetReference());
  return r && r->IsReference() ? nullptr : r;
}

PdfObject* DictValue(PdfVecObjects& objects, const PdfObject* o, const char* key) {
  if (o == nullptr || !o->IsDictionary()) return nullptr;
  return Resolve(objects, o->GetDictionary().GetKey(key));
}

std::string NameOf(PdfVecObjects& objects, const PdfObject* o, const char* key) {
  const PdfObject* v = DictValue(objects, o, key);
  return v && v->IsName() ? v->GetName().GetName() : std::string();
}

int64_t Num(const PdfObject* o) { return o ? o->Reference().ObjectNumber() : 0; }

// A value as PDF syntax; references stay references, so two values are equal when they say the
// same thing in the same way.
std::string Syntax(const PdfObject* o) {
  if (o == nullptr) return "(absent)";
  std::string s;
  o->ToString(s, PoDoFo::ePdfWriteMode_Compact);
  return s;
}

// Keys whose values differ between two dictionaries (a missing key differs from any value).
std::vector<std::string> DifferentKeys(const PdfObject* before, const PdfObject* after) {
  std::set<std::string> keys;
  for (const PdfObject* o : {before, after}) {
    if (o == nullptr || !o->IsDictionary()) continue;
    for (const auto& [k, v] : o->GetDictionary().GetKeys()) keys.insert(k.GetName());
  }
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    const PdfObject* a = before && before->IsDictionary() ? before->GetDictionary().GetKey(k) : 0;
    const PdfObject* b = after && after->IsDictionary() ? after->GetDictionary().GetKey(k) : 0;
    if ((a == nullptr) != (b == nullptr) || (a && Syntax(a) != Syntax(b))) out.push_back(k);
  }
  return out;
}

std::string TextValue(PdfVecObjects& objects, const PdfObject* o) {
  const PdfObject* v = Resolve(objects, o);
  if (v == nullptr) return {};
  if (v->IsString() || v->IsHexString()) return v->GetString().GetStringUtf8();
  if (v->IsName()) return v->GetName().GetName();
  std::string s = Syntax(v);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// The references inside one object's own value (dictionary values, array items, nested direct
// containers), skipping the keys in `skip`.
void ReferencesOf(const PdfObject& o, const std::set<std::string>& skip,
                  std::vector<PoDoFo::PdfReference>& out, int depth = 0) {
  if (depth > kMaxDepth) return;
  if (o.IsReference()) {
    out.push_back(o.GetReference());
  } else if (o.IsDictionary()) {
    for (const auto& [k, v] : o.GetDictionary().GetKeys()) {
      if (!skip.count(k.GetName())) ReferencesOf(*v, skip, out, depth + 1);
    }
  } else if (o.IsArray()) {
    for (const PdfObject& item : o.GetArray()) ReferencesOf(item, skip, out, depth + 1);
  }
}

std::string PageText(int index) { return std::to_string(index + 1); }

class Analysis {
 public:
  Analysis(PdfMemDocument& old_doc, const RevisionXref& old_x, PdfMemDocument& new_doc,
           const RevisionXref& new_x, int64_t revision_end, const FieldLock& lock,
           SignatureDictionaries& old_signatures, SignatureDictionaries& new_signatures)
      : lock_(lock),
        old_signatures_(old_signatures),
        new_signatures_(new_signatures),
        old_doc_(old_doc),
        old_x_(old_x),
        new_doc_(new_doc),
        new_x_(new_x),
        end_(revision_end),
        old_objects_(old_doc.GetObjects()),
        new_objects_(new_doc.GetObjects()) {}

  std::vector<RevisionChange> Run() {
    FindChangedObjects();
    // An update may change nothing but the trailer's /Root (to a catalog the signed revision
    // holds unused): no object changed, yet the document is another one.
    if (changed_.empty() && old_x_.root_ref == new_x_.root_ref) return {};
    FindPageProtectedObjects();
    ComparePages();
    ReportProtectedChanges();
    CompareCatalog();
    CompareFields();
    CompareAnnotations();
    CompareFormDictionary();
    CompareMetadata();
    // Last of the comparisons: what the DSS lists that is also a field, a widget or a page was
    // judged as such above (an attacker lists a redrawn widget under /DSS /Certs to launder it).
    CompareDss();
    ReportLeftovers();
    return std::move(changes_);
  }

 private:
  enum class How { kAdded, kRedefined, kDeleted };

  // --- which objects the later updates touch -------------------------------------------------

  bool InUse(const RevisionXref& x, int64_t n, int64_t limit, int depth = 0) const {
    auto it = x.entries.find(n);
    if (it == x.entries.end() || depth > 2) return false;
    if (it->second.type == 'n') return it->second.field2 < limit;
    if (it->second.type == 'c') return InUse(x, it->second.field2, limit, depth + 1);
    return false;
  }

  void FindChangedObjects() {
    std::set<int64_t> numbers;
    for (const auto& [n, e] : old_x_.entries) numbers.insert(n);
    for (const auto& [n, e] : new_x_.entries) numbers.insert(n);
    std::set<int64_t> structural;
    for (const RevisionXref* x : {&old_x_, &new_x_}) {
      structural.insert(x->xref_streams.begin(), x->xref_streams.end());
      structural.insert(x->object_streams.begin(), x->object_streams.end());
    }
    const int64_t final_end = std::numeric_limits<int64_t>::max();
    for (int64_t n : numbers) {
      if (structural.count(n)) continue;
      // An entry of the signed revision that points past its end names bytes the signature does
      // not cover: the object is defined by a later update, whatever the xref says.
      const bool before = InUse(old_x_, n, end_);
      const bool after = InUse(new_x_, n, final_end);
      if (before && after) {
        const XrefEntry& a = old_x_.entries.at(n);
        const XrefEntry& b = new_x_.entries.at(n);
        bool same = a == b;
        // Same slot of an object stream that a later update redefined: different bytes.
        if (same && a.type == 'c') {
          auto sa = old_x_.entries.find(a.field2), sb = new_x_.entries.find(b.field2);
          same =
              sa != old_x_.entries.end() && sb != new_x_.entries.end() && sa->second == sb->second;
        }
        if (!same) changed_[n] = How::kRedefined;
      } else if (after) {
        changed_[n] = How::kAdded;
      } else if (before) {
        changed_[n] = How::kDeleted;
      }
    }
  }

  bool IsChanged(int64_t n) const { return n > 0 && changed_.count(n); }
  bool IsOpen(int64_t n) const { return IsChanged(n) && !explained_.count(n); }

  // Object `n` of a revision, at the generation its cross-reference gives.
  static PdfObject* ByNumber(const RevisionXref& x, PdfVecObjects& objects, int64_t n) {
    auto it = x.entries.find(n);
    if (it == x.entries.end()) return nullptr;
    const int gen = it->second.type == 'n' ? static_cast<int>(it->second.field3) : 0;
    return objects.GetObject(PoDoFo::PdfReference(static_cast<uint32_t>(n), gen));
  }
  PdfObject* OldByNumber(int64_t n) const { return ByNumber(old_x_, old_objects_, n); }
  PdfObject* NewByNumber(int64_t n) const { return ByNumber(new_x_, new_objects_, n); }

  // --- changes and what they account for ----------------------------------------------------

  size_t Add(ChangeKind kind, std::string vi, std::string en) {
    changes_.push_back(RevisionChange{kind, std::move(vi), std::move(en), {}});
    return changes_.size() - 1;
  }

  void Claim(int64_t n, size_t change) {
    if (!IsOpen(n)) return;
    explained_.insert(n);
    changes_[change].objects.push_back(n);
  }

  // Accounted for without a change of its own (a container whose differences were judged).
  void ClaimQuietly(int64_t n) {
    if (IsOpen(n)) explained_.insert(n);
  }

  // Every changed object reachable from `root` in the final revision (not following /P or
  // /Parent back up), except objects the page content uses. Returns the numbers claimed.
  std::vector<int64_t> Reachable(const PdfObject* root) const {
    // Back references, and a signature reference's /Data (the document itself: through it a new
    // signature would reach, and be credited with, every object of its update).
    static const std::set<std::string> kSkip = {"P", "Parent", "Data"};
    std::vector<int64_t> found;
    if (root == nullptr) return found;
    std::set<int64_t> seen;
    std::deque<const PdfObject*> queue = {root};
    if (Num(root) > 0) seen.insert(Num(root));
    while (!queue.empty() && seen.size() < kMaxWalk) {
      const PdfObject* o = queue.front();
      queue.pop_front();
      const int64_t n = Num(o);
      if (n > 0 && protected_.count(n)) continue;
      if (IsOpen(n)) found.push_back(n);
      std::vector<PoDoFo::PdfReference> refs;
      ReferencesOf(*o, kSkip, refs);
      for (const PoDoFo::PdfReference& r : refs) {
        if (!seen.insert(r.ObjectNumber()).second) continue;
        if (const PdfObject* next = new_objects_.GetObject(r)) {
          const PdfObject* parsed = new_signatures_.Peek(r);  // same references, no /Contents
          queue.push_back(parsed ? parsed : next);
        } else if (IsOpen(r.ObjectNumber())) {
          found.push_back(r.ObjectNumber());
        }
      }
    }
    return found;
  }

  // The numbers of the objects reachable from `root` in the signed revision.
  std::set<int64_t> ReachableBefore(const PdfObject* root) const {
    std::set<int64_t> seen;
    if (root == nullptr) return seen;
    std::deque<const PdfObject*> queue = {root};
    if (Num(root) > 0) seen.insert(Num(root));
    while (!queue.empty() && seen.size() < kMaxWalk) {
      const PdfObject* o = queue.front();
      queue.pop_front();
      std::vector<PoDoFo::PdfReference> refs;
      ReferencesOf(*o, {"P", "Parent", "Data"}, refs);
      for (const PoDoFo::PdfReference& r : refs) {
        if (!seen.insert(r.ObjectNumber()).second) continue;
        if (const PdfObject* next = old_objects_.GetObject(r)) {
          const PdfObject* parsed = old_signatures_.Peek(r);  // same references, no /Contents
          queue.push_back(parsed ? parsed : next);
        }
      }
    }
    return seen;
  }

  void ClaimReachable(const PdfObject* root, size_t change) {
    for (int64_t n : Reachable(root)) Claim(n, change);
  }

  // --- the pages and what their content uses ------------------------------------------------

  // Objects that what a page shows depends on, in the signed revision: the page dictionary's
  // values but its /Annots (content streams, resources, fonts, images, forms, …) and the
  // inheritable attributes of its ancestors. A later redefinition of any of them changes what the
  // signer saw (including the shadow attacks of Mainka et al. 2021, which redefine such objects
  // or point the xref at other bytes).
  void FindPageProtectedObjects() {
    static const std::set<std::string> kSkip = {"Annots", "Parent", "P", "B", "Kids"};
    const int pages = old_doc_.GetPageCount();
    for (int i = 0; i < pages; ++i) {
      PoDoFo::PdfPage* page = old_doc_.GetPage(i);
      if (page == nullptr) continue;
      const PdfObject* dict = page->GetObject();
      if (const PdfObject* c = dict->GetDictionary().GetKey("Contents")) {
        std::vector<PoDoFo::PdfReference> refs;
        ReferencesOf(*c, {}, refs);
        if (const PdfObject* array = Resolve(old_objects_, c); array && array->IsArray()) {
          ReferencesOf(*array, {}, refs);
        }
        for (const auto& r : refs) content_streams_.emplace(r.ObjectNumber(), i);
      }
      std::deque<const PdfObject*> queue;
      std::set<int64_t> seen;
      // The page's own values, and the inheritable ones of its ancestors.
      std::vector<PoDoFo::PdfReference> refs;
      ReferencesOf(*dict, kSkip, refs);
      const PdfObject* parent = DictValue(old_objects_, dict, "Parent");
      for (int d = 0; parent && d < kMaxDepth; ++d) {
        for (const char* key : {"Resources", "MediaBox", "CropBox", "Rotate"}) {
          if (const PdfObject* v = parent->GetDictionary().GetKey(key)) ReferencesOf(*v, {}, refs);
        }
        parent = DictValue(old_objects_, parent, "Parent");
      }
      for (const auto& r : refs) {
        if (seen.insert(r.ObjectNumber()).second) {
          if (const PdfObject* o = old_objects_.GetObject(r)) queue.push_back(o);
          protected_.emplace(r.ObjectNumber(), i);
        }
      }
      while (!queue.empty() && seen.size() < kMaxWalk) {
        const PdfObject* o = queue.front();
        queue.pop_front();
        std::vector<PoDoFo::PdfReference> inner;
        ReferencesOf(*o, {"Parent", "P"}, inner);
        for (const auto& r : inner) {
          if (!seen.insert(r.ObjectNumber()).second) continue;
          protected_.emplace(r.ObjectNumber(), i);
          if (const PdfObject* next = old_objects_.GetObject(r)) queue.push_back(next);
        }
      }
    }
  }

  // Page tree nodes (intermediate /Pages) of a revision.
  void PageTreeNodes(PdfVecObjects& objects, const PdfObject* node,
                     std::map<int64_t, const PdfObject*>& out, int depth) const {
    if (node == nullptr || depth > kMaxDepth || NameOf(objects, node, "Type") != "Pages") return;
    if (!out.emplace(Num(node), node).second) return;
    const PdfObject* kids = DictValue(objects, node, "Kids");
    if (kids == nullptr || !kids->IsArray()) return;
    for (const PdfObject& k : kids->GetArray()) {
      PageTreeNodes(objects, Resolve(objects, &k), out, depth + 1);
    }
  }

  void ComparePages() {
    const int before = old_doc_.GetPageCount();
    const int after = new_doc_.GetPageCount();
    std::optional<size_t> count_change;
    if (after > before) {
      count_change = Add(ChangeKind::kOther, absl::StrCat("Thêm ", after - before, " trang"),
                         absl::StrCat(after - before, " page(s) added"));
      for (int i = before; i < after; ++i) {
        if (PoDoFo::PdfPage* p = new_doc_.GetPage(i)) {
          Claim(Num(p->GetObject()), *count_change);
          ClaimReachable(p->GetObject(), *count_change);
        }
      }
    } else if (after < before) {
      count_change = Add(ChangeKind::kOther, absl::StrCat("Xóa ", before - after, " trang"),
                         absl::StrCat(before - after, " page(s) removed"));
    }
    std::map<int64_t, const PdfObject*> nodes;
    PageTreeNodes(new_objects_, DictValue(new_objects_, new_doc_.GetCatalog(), "Pages"), nodes, 0);
    for (const auto& [n, now] : nodes) {
      if (!IsOpen(n)) continue;
      if (count_change) {
        Claim(n, *count_change);
      } else {
        const std::vector<std::string> keys = DifferentKeys(OldByNumber(n), now);
        Claim(n, Add(ChangeKind::kOther,
                     absl::StrCat("Sửa cây trang (đối tượng ", n, ": /", absl::StrJoin(keys, " /"),
                                  ")"),
                     absl::StrCat("Page tree changed (object ", n, ": /", absl::StrJoin(keys, " /"),
                                  ")")));
      }
    }
    for (int i = 0; i < std::min(before, after); ++i) {
      PoDoFo::PdfPage* op = old_doc_.GetPage(i);
      PoDoFo::PdfPage* np = new_doc_.GetPage(i);
      if (op == nullptr || np == nullptr) continue;
      const int64_t n = Num(np->GetObject());
      if (Num(op->GetObject()) != n) {
        const size_t c =
            Add(ChangeKind::kOther,
                absl::StrCat("Trang ", PageText(i), " bị thay thế (đối tượng ", n, ")"),
                absl::StrCat("Page ", PageText(i), " replaced (object ", n, ")"));
        Claim(n, c);
        ClaimReachable(np->GetObject(), c);
        continue;
      }
      if (!IsOpen(n)) continue;
      std::optional<size_t> first;
      for (const std::string& key : DifferentKeys(op->GetObject(), np->GetObject())) {
        if (key == "Annots") continue;  // judged with the annotations
        size_t c;
        if (key == "Contents" || key == "Resources") {
          c = Add(
              ChangeKind::kOther,
              absl::StrCat("Sửa nội dung trang ", PageText(i), " (đối tượng ", n, ", /", key, ")"),
              absl::StrCat("Page ", PageText(i), " content changed (object ", n, ", /", key, ")"));
        } else {
          c = Add(ChangeKind::kOther,
                  absl::StrCat("Đổi /", key, " của trang ", PageText(i), " (đối tượng ", n, ")"),
                  absl::StrCat("Page ", PageText(i), " /", key, " changed (object ", n, ")"));
        }
        if (!first) first = c;
      }
      if (first) {
        Claim(n, *first);
      } else {
        ClaimQuietly(n);
      }
    }
  }

  void ReportProtectedChanges() {
    for (const auto& [n, page] : protected_) {
      if (!IsOpen(n)) continue;
      const char* how_vi = changed_.at(n) == How::kDeleted ? "bị xóa" : "bị định nghĩa lại";
      const char* how_en = changed_.at(n) == How::kDeleted ? "deleted" : "redefined";
      if (content_streams_.count(n)) {
        Claim(n, Add(ChangeKind::kOther,
                     absl::StrCat("Sửa nội dung trang ", PageText(page), " (đối tượng ", n, ")"),
                     absl::StrCat("Page ", PageText(page), " content changed (object ", n, ")")));
      } else {
        Claim(n, Add(ChangeKind::kOther,
                     absl::StrCat("Đối tượng ", n, " mà trang ", PageText(page), " dùng ", how_vi,
                                  " (tài nguyên, phông chữ hoặc hình)"),
                     absl::StrCat("Object ", n, " used by page ", PageText(page), " ", how_en,
                                  " (resource, font or image)")));
      }
    }
  }

  // --- catalog, DSS, form --------------------------------------------------------------------

  void CompareCatalog() {
    PdfObject* before = old_doc_.GetCatalog();
    PdfObject* after = new_doc_.GetCatalog();
    const int64_t n = Num(after);
    if (old_x_.root_ref != new_x_.root_ref) {
      const size_t c =
          Add(ChangeKind::kOther, absl::StrCat("Danh mục tài liệu bị thay thế (đối tượng ", n, ")"),
              absl::StrCat("Document catalog replaced (object ", n, ")"));
      Claim(n, c);
      return;
    }
    if (!IsOpen(n)) return;
    const std::vector<std::string> keys = DifferentKeys(before, after);
    const bool dss_changed = std::count(keys.begin(), keys.end(), "DSS") > 0;
    std::optional<size_t> first;
    for (const std::string& key : keys) {
      // /Extensions declares the ESIC/ADBE extension level that comes with a DSS.
      // /Perms is not skipped: it names the certification, which must come first and stay.
      if (key == "DSS" || key == "AcroForm" || (key == "Extensions" && dss_changed) ||
          (key == "Metadata" && IsXmpStream(after->GetDictionary().GetKey(key)))) {
        continue;
      }
      const size_t c =
          Add(ChangeKind::kOther, absl::StrCat("Đổi mục /", key, " của danh mục tài liệu"),
              absl::StrCat("Document catalog entry /", key, " changed"));
      if (!first) first = c;
      ClaimReachable(after->GetDictionary().GetKey(key), c);
    }
    if (first) {
      Claim(n, *first);
    } else {
      ClaimQuietly(n);
    }
  }

  // An XMP metadata stream (ISO 32000-1 §14.3.2).
  bool IsXmp(const PdfObject* o) const {
    return o != nullptr && o->HasStream() && NameOf(new_objects_, o, "Type") == "Metadata" &&
           NameOf(new_objects_, o, "Subtype") == "XML";
  }
  bool IsXmpStream(const PdfObject* value) const {
    return value != nullptr && value->IsReference() && IsXmp(Resolve(new_objects_, value));
  }

  // The document information dictionary and the catalog's XMP packet, which signing tools
  // rewrite with every signature (ModDate, producer). Judged after everything a page, a field or
  // an annotation uses, so an object that is also one of those was claimed as such already.
  void CompareMetadata() {
    std::optional<size_t> c;
    auto claim = [&](int64_t n, bool info) {
      if (!IsOpen(n)) return;
      const PdfObject* o = NewByNumber(n);
      const bool shaped = info ? o != nullptr && o->IsDictionary() && !o->HasStream() : IsXmp(o);
      if (!shaped) return;
      if (!c) {
        c = Add(ChangeKind::kMetadata, "Cập nhật siêu dữ liệu tài liệu (/Info, XMP)",
                "Document metadata updated (/Info, XMP)");
      }
      Claim(n, *c);
    };
    if (!new_x_.info_ref.empty()) claim(std::stoll(new_x_.info_ref), /*info=*/true);
    if (const PdfObject* xmp = new_doc_.GetCatalog()->GetDictionary().GetKey("Metadata");
        xmp != nullptr && xmp->IsReference()) {
      claim(xmp->GetReference().ObjectNumber(), /*info=*/false);
    }
  }

  void CompareDss() {
    const PdfObject* before = DictValue(old_objects_, old_doc_.GetCatalog(), "DSS");
    const PdfObject* entry = new_doc_.GetCatalog()->GetDictionary().GetKey("DSS");
    const PdfObject* after = Resolve(new_objects_, entry);
    if (after == nullptr) {
      if (before != nullptr) {
        const size_t c = Add(ChangeKind::kOther, "Xóa dữ liệu xác thực dài hạn (DSS)",
                             "Long-term validation data (DSS) removed");
        Claim(Num(before), c);
      }
      return;
    }
    // Only what is new, or was validation data already: an object of the signed revision that
    // the DSS now lists is something else redefined (reported with the leftovers).
    const std::set<int64_t> was_dss = ReachableBefore(before);
    std::vector<int64_t> reached;
    for (int64_t n : Reachable(after)) {
      if (changed_.at(n) == How::kAdded || was_dss.count(n) || n == Num(after)) {
        reached.push_back(n);
      }
    }
    if (reached.empty()) return;
    const size_t c =
        before ? Add(ChangeKind::kDss, "Cập nhật dữ liệu xác thực dài hạn (DSS)",
                     "Long-term validation data (DSS) updated")
               : Add(ChangeKind::kDss, "Thêm dữ liệu xác thực dài hạn (DSS: chứng thư, OCSP, CRL)",
                     "Long-term validation data added (DSS: certificates, OCSP, CRLs)");
    for (int64_t n : reached) Claim(n, c);
  }

  struct FieldNode {
    PdfObject* field = nullptr;
    std::string name;
    std::string type;  // /FT, inherited
    std::vector<PdfObject*> widgets;
  };

  void CollectFields(PdfVecObjects& objects, PdfObject* node, const std::string& prefix,
                     const std::string& type, std::vector<FieldNode>& out, std::set<int64_t>& seen,
                     int depth) const {
    if (node == nullptr || !node->IsDictionary() || depth > kMaxDepth) return;
    if (Num(node) > 0 && !seen.insert(Num(node)).second) return;
    FieldNode f;
    f.field = node;
    const std::string t = TextValue(objects, node->GetDictionary().GetKey("T"));
    f.name = prefix.empty() ? t : (t.empty() ? prefix : prefix + "." + t);
    f.type = NameOf(objects, node, "FT");
    if (f.type.empty()) f.type = type;
    const PdfObject* kids = DictValue(objects, node, "Kids");
    bool has_kids = false;
    if (kids && kids->IsArray()) {
      for (const PdfObject& k : kids->GetArray()) {
        PdfObject* kid = Resolve(objects, &k);
        if (kid == nullptr || !kid->IsDictionary()) continue;
        has_kids = true;
        if (kid->GetDictionary().HasKey("T")) {
          CollectFields(objects, kid, f.name, f.type, out, seen, depth + 1);
        } else {
          f.widgets.push_back(kid);
        }
      }
    }
    if (!has_kids) f.widgets.push_back(node);
    out.push_back(std::move(f));
  }

  std::vector<FieldNode> FieldsOf(PdfMemDocument& doc) const {
    PdfVecObjects& objects = doc.GetObjects();
    std::vector<FieldNode> out;
    const PdfObject* form = DictValue(objects, doc.GetCatalog(), "AcroForm");
    const PdfObject* fields = DictValue(objects, form, "Fields");
    if (fields == nullptr || !fields->IsArray()) return out;
    std::set<int64_t> seen;
    for (const PdfObject& f : fields->GetArray()) {
      CollectFields(objects, Resolve(objects, &f), "", "", out, seen, 0);
    }
    return out;
  }

  // Did anything of this field (itself, a widget, what their appearances use) change?
  bool FieldTouched(const FieldNode& f) const {
    if (IsOpen(Num(f.field))) return true;
    for (const PdfObject* w : f.widgets) {
      if (IsOpen(Num(w)) || !Reachable(w).empty()) return true;
    }
    return !Reachable(f.field).empty();
  }

  void ClaimField(const FieldNode& f, size_t c) {
    Claim(Num(f.field), c);
    ClaimReachable(f.field, c);
    for (const PdfObject* w : f.widgets) {
      Claim(Num(w), c);
      ClaimReachable(w, c);
    }
  }

  void CompareFields() {
    std::map<int64_t, FieldNode> before;
    for (FieldNode& f : FieldsOf(old_doc_)) before.emplace(Num(f.field), std::move(f));
    std::set<int64_t> present;
    for (const FieldNode& f : FieldsOf(new_doc_)) {
      const int64_t n = Num(f.field);
      present.insert(n);
      auto old = before.find(n);
      const bool is_new = old == before.end();
      const std::string name = f.name.empty() ? absl::StrCat("#", n) : f.name;
      if (f.type == "Sig") {
        CompareSignatureField(f, is_new ? nullptr : &old->second, name);
      } else if (is_new) {
        ClaimField(f, Add(ChangeKind::kOther, absl::StrCat("Thêm trường biểu mẫu '", name, "'"),
                          absl::StrCat("Form field '", name, "' added")));
      } else if (FieldTouched(f)) {
        CompareFilledField(f, old->second, name);
      }
    }
    for (const auto& [n, f] : before) {
      if (present.count(n)) continue;
      const std::string name = f.name.empty() ? absl::StrCat("#", n) : f.name;
      Claim(n, Add(ChangeKind::kOther, absl::StrCat("Xóa trường biểu mẫu '", name, "'"),
                   absl::StrCat("Form field '", name, "' removed")));
    }
  }

  // Where the signed revision refers to each object: referrer number (0: the trailer) and the
  // key path in it, pyHanko-style (".AP.N"). Built on first use.
  const std::multimap<int64_t, std::pair<int64_t, std::string>>& OldReferrers() {
    if (old_referrers_built_) return old_referrers_;
    old_referrers_built_ = true;
    std::function<void(const PdfObject&, int64_t, const std::string&, int)> walk =
        [&](const PdfObject& o, int64_t from, const std::string& path, int depth) {
          if (depth > kMaxDepth || old_referrers_.size() > kMaxWalk) return;
          if (o.IsReference()) {
            old_referrers_.emplace(o.GetReference().ObjectNumber(), std::make_pair(from, path));
          } else if (o.IsDictionary()) {
            for (const auto& [k, v] : o.GetDictionary().GetKeys()) {
              walk(*v, from, path + "." + k.GetName(), depth + 1);
            }
          } else if (o.IsArray()) {
            for (const PdfObject& item : o.GetArray()) walk(item, from, path, depth + 1);
          }
        };
    for (PdfObject* o : old_objects_) {
      if (o != nullptr) walk(*o, Num(o), "", 0);
    }
    if (const PdfObject* trailer = old_doc_.GetTrailer()) walk(*trailer, 0, "", 0);
    return old_referrers_;
  }

  // Objects of the signed revision that `f`'s change redefines (an appearance stream or /AP
  // dictionary overridden in place) while something outside the field also uses them: the
  // override changes that too (pyHanko's "sneaky" form updates). Empty when there is none.
  std::vector<std::string> SharedElsewhere(const FieldNode& f) {
    std::set<int64_t> own = {Num(f.field)};
    for (const PdfObject* w : f.widgets) own.insert(Num(w));
    std::vector<int64_t> redefined;
    // What the field and its widgets use, as signed and as now.
    for (const PdfObject* root : f.widgets) {
      for (int64_t n : Reachable(root)) own.insert(n);
      for (int64_t n : ReachableBefore(OldByNumber(Num(root)))) own.insert(n);
    }
    for (int64_t n : Reachable(f.field)) own.insert(n);
    for (int64_t n : ReachableBefore(OldByNumber(Num(f.field)))) own.insert(n);
    for (int64_t n : own) {
      if (IsChanged(n) && changed_.at(n) == How::kRedefined && n != Num(f.field) &&
          std::none_of(f.widgets.begin(), f.widgets.end(),
                       [&](const PdfObject* w) { return Num(w) == n; })) {
        redefined.push_back(n);
      }
    }
    // An /AP dictionary object that the update stopped using (replaced, not overridden): what
    // else used it may have relied on it being the field's (pyHanko refuses that too).
    std::vector<const PdfObject*> holders(f.widgets.begin(), f.widgets.end());
    holders.push_back(f.field);
    for (const PdfObject* h : holders) {
      const PdfObject* before = OldByNumber(Num(h));
      if (before == nullptr || !before->IsDictionary() || Num(h) <= 0) continue;
      const PdfObject* old_ap = before->GetDictionary().GetKey("AP");
      const PdfObject* new_ap = h->GetDictionary().GetKey("AP");
      if (old_ap == nullptr || !old_ap->IsReference() || Syntax(old_ap) == Syntax(new_ap)) continue;
      const int64_t n = old_ap->GetReference().ObjectNumber();
      if (std::find(redefined.begin(), redefined.end(), n) == redefined.end()) {
        redefined.push_back(n);
      }
    }
    std::vector<std::string> out;
    if (redefined.empty()) return out;  // the common case: nothing to look up
    const auto& referrers = OldReferrers();
    std::set<int64_t> roots = {Num(f.field)};
    for (const PdfObject* w : f.widgets) roots.insert(Num(w));
    for (int64_t n : redefined) {
      // Up from the overridden object to whatever uses it; the field and its widgets are its
      // rightful users, anything else reached on the way shares it (directly or through an /AP
      // dictionary that is also referenced elsewhere).
      std::set<int64_t> seen = {n};
      std::deque<int64_t> queue = {n};
      while (!queue.empty() && seen.size() < kMaxWalk) {
        const int64_t at = queue.front();
        queue.pop_front();
        auto [begin, end] = referrers.equal_range(at);
        for (auto it = begin; it != end; ++it) {
          const auto& [from, path] = it->second;
          if (from != 0 && roots.count(from)) continue;
          if (from != 0 && own.count(from)) {
            if (seen.insert(from).second) queue.push_back(from);
            continue;
          }
          out.push_back(absl::StrCat(n, " (", from == 0 ? "trailer" : absl::StrCat("object ", from),
                                     " ", path, ")"));
        }
      }
    }
    return out;
  }

  // Whether a widget of `f` has a normal appearance with any content in a visible rectangle.
  bool DrawsSomething(const FieldNode& f) const {
    for (const PdfObject* w : f.widgets) {
      const PdfObject* rect = DictValue(new_objects_, w, "Rect");
      if (rect == nullptr || !rect->IsArray() || rect->GetArray().size() != 4) continue;
      const PoDoFo::PdfArray& r = rect->GetArray();
      if (!std::all_of(r.begin(), r.end(),
                       [](const PdfObject& v) { return v.IsNumber() || v.IsReal(); })) {
        continue;
      }
      const double width = std::abs(r[2].GetReal() - r[0].GetReal());
      const double height = std::abs(r[3].GetReal() - r[1].GetReal());
      if (width < 1 || height < 1) continue;
      const PdfObject* normal = DictValue(new_objects_, DictValue(new_objects_, w, "AP"), "N");
      if (normal == nullptr || !normal->HasStream()) continue;
      const std::optional<std::string> content = DecodedStream(normal);
      if (!content || !WithoutSpace(*content).empty()) return true;  // undecodable: it may draw
    }
    return false;
  }

  void CompareSignatureField(const FieldNode& f, const FieldNode* old, const std::string& name) {
    const PdfObject* value = new_signatures_.ValueOf(new_objects_, f.field);
    const PdfObject* old_value = old ? old_signatures_.ValueOf(old_objects_, old->field) : nullptr;
    if (value != nullptr && old_value == nullptr) {
      // A field that gains its value: a new signature (or an earlier empty field signed now).
      // Its identity (name, kind, kids, page) stays.
      std::vector<std::string> bad;
      if (old) {
        for (const std::string& k : DifferentKeys(old->field, f.field)) {
          if (k == "T" || k == "FT" || k == "Parent" || k == "Kids" || k == "P") bad.push_back(k);
        }
      }
      size_t c;
      if (!bad.empty()) {
        c = Add(
            ChangeKind::kOther,
            absl::StrCat("Trường chữ ký '", name, "' bị sửa (/", absl::StrJoin(bad, " /"), ")"),
            absl::StrCat("Signature field '", name, "' altered (/", absl::StrJoin(bad, " /"), ")"));
      } else if (const std::vector<std::string> shared = SharedElsewhere(f); !shared.empty()) {
        c = Add(
            ChangeKind::kOther,
            absl::StrCat("Trường chữ ký '", name,
                         "' ghi đè đối tượng mà chỗ khác cũng dùng: ", absl::StrJoin(shared, ", ")),
            absl::StrCat("Signature field '", name,
                         "' overrides objects used elsewhere too: ", absl::StrJoin(shared, ", ")));
      } else if (old && lock_.Covers(name)) {
        c = Add(
            ChangeKind::kOther,
            absl::StrCat("Trường chữ ký '", name, "' bị chữ ký khóa (FieldMDP) nhưng đã được ký"),
            absl::StrCat("Signature field '", name,
                         "' locked by the signature (FieldMDP) signed afterwards"));
      } else if (NameOf(new_objects_, value, "Type") == "DocTimeStamp") {
        c = Add(ChangeKind::kDocTimeStamp, absl::StrCat("Thêm dấu thời gian tài liệu '", name, "'"),
                absl::StrCat("Document time-stamp '", name, "' added"));
      } else {
        c = Add(ChangeKind::kNewSignature, absl::StrCat("Thêm chữ ký '", name, "'"),
                absl::StrCat("Signature '", name, "' added"));
      }
      ClaimField(f, c);
      return;
    }
    if (value == nullptr && old == nullptr) {
      // An empty field draws nothing until signed; one that draws something is an overlay.
      if (DrawsSomething(f)) {
        ClaimField(f, Add(ChangeKind::kOther,
                          absl::StrCat("Thêm trường chữ ký trống '", name,
                                       "' có hình hiển thị (vẽ đè lên trang)"),
                          absl::StrCat("Empty signature field '", name,
                                       "' added with a visible appearance (an overlay)")));
        return;
      }
      ClaimField(
          f, Add(ChangeKind::kNewSignature, absl::StrCat("Thêm trường chữ ký trống '", name, "'"),
                 absl::StrCat("Empty signature field '", name, "' added")));
      return;
    }
    if (!FieldTouched(f)) return;
    // A signature that was already there: its value, field or appearance must not change.
    ClaimField(f, Add(ChangeKind::kOther, absl::StrCat("Chữ ký '", name, "' đã có bị sửa"),
                      absl::StrCat("Existing signature '", name, "' modified")));
  }

  // The field flags (/Ff, inheritable) of a field in a revision.
  static int64_t FieldFlags(PdfVecObjects& objects, const PdfObject* field) {
    for (int d = 0; field != nullptr && d < kMaxDepth; ++d) {
      const PdfObject* ff = DictValue(objects, field, "Ff");
      if (ff != nullptr && ff->IsNumber()) return ff->GetNumber();
      field = DictValue(objects, field, "Parent");
    }
    return 0;
  }

  // What a text field's appearance draws when that is not its value `value` (white space aside);
  // nullopt when they agree or the drawing cannot be read (then nothing is judged). Password and
  // rich-text fields draw something else by design.
  std::optional<std::string> ShownOtherThan(const FieldNode& f, int64_t flags,
                                            const std::string& value) const {
    static constexpr int64_t kPassword = 1 << 13, kRichText = 1 << 25;
    if (f.type != "Tx" || (flags & (kPassword | kRichText)) != 0) return std::nullopt;
    for (const PdfObject* w : f.widgets) {
      const PdfObject* normal = DictValue(new_objects_, DictValue(new_objects_, w, "AP"), "N");
      if (normal == nullptr || !normal->HasStream()) continue;
      const std::optional<std::string> drawn = DrawnText(new_objects_, normal);
      if (drawn && WithoutSpace(*drawn) != WithoutSpace(value)) return drawn;
    }
    return std::nullopt;
  }

  void CompareFilledField(const FieldNode& f, const FieldNode& old, const std::string& name) {
    static const std::set<std::string> kFieldKeys = {"V", "AP", "AS", "Ff", "DA", "MK", "Q"};
    static const std::set<std::string> kWidgetKeys = {"AP", "AS", "MK"};
    std::vector<std::string> bad;
    const std::vector<std::string> keys = DifferentKeys(old.field, f.field);
    const bool merged = f.widgets.size() == 1 && f.widgets[0] == f.field;
    for (const std::string& k : keys) {
      if (!kFieldKeys.count(k)) bad.push_back(k);
    }
    if (!merged) {
      for (const PdfObject* w : f.widgets) {
        for (const std::string& k : DifferentKeys(OldByNumber(Num(w)), w)) {
          if (!kWidgetKeys.count(k)) bad.push_back(k);
        }
      }
    }
    if (!bad.empty()) {
      ClaimField(
          f,
          Add(ChangeKind::kOther,
              absl::StrCat("Trường biểu mẫu '", name, "' bị sửa (/", absl::StrJoin(bad, " /"), ")"),
              absl::StrCat("Form field '", name, "' altered (/", absl::StrJoin(bad, " /"), ")")));
      return;
    }
    const std::string before = TextValue(old_objects_, old.field->GetDictionary().GetKey("V"));
    const std::string after = TextValue(new_objects_, f.field->GetDictionary().GetKey("V"));
    const int64_t old_flags = FieldFlags(old_objects_, old.field);
    const int64_t new_flags = FieldFlags(new_objects_, f.field);
    const bool value_changed = before != after;
    const bool flags_changed = old_flags != new_flags;
    std::string vi, en;
    if (value_changed && before.empty()) {
      vi = absl::StrCat("Điền trường biểu mẫu '", name, "' = '", after, "'");
      en = absl::StrCat("Form field '", name, "' filled with '", after, "'");
    } else if (value_changed) {
      vi = absl::StrCat("Đổi giá trị trường biểu mẫu '", name, "' từ '", before, "' thành '", after,
                        "'");
      en = absl::StrCat("Form field '", name, "' changed from '", before, "' to '", after, "'");
    } else if (!flags_changed) {
      // Filling a field redraws it; redrawing it while its value stays changes what the page
      // shows and nothing the form holds (a shadow "replace" of the field's text).
      ClaimField(f,
                 Add(ChangeKind::kOther,
                     absl::StrCat("Hình thức hiển thị của trường biểu mẫu '", name,
                                  "' bị thay đổi trong khi giá trị giữ nguyên '", before, "'"),
                     absl::StrCat("What form field '", name,
                                  "' displays was changed while its value stayed '", before, "'")));
      return;
    }
    if (flags_changed) {
      const bool read_only = new_flags & 1;
      absl::StrAppend(&vi, vi.empty() ? "Trường biểu mẫu '" + name + "': " : ", ",
                      read_only ? "đặt chỉ đọc" : "đổi cờ");
      absl::StrAppend(&en, en.empty() ? "Form field '" + name + "': " : ", ",
                      read_only ? "set read-only" : "flags changed");
    }
    // A field read-only when signed, or one the signature locks, must stay as it was signed:
    // the issue number and date are the document's legal identity.
    if (old_flags & 1) {
      ClaimField(f, Add(ChangeKind::kOther,
                        absl::StrCat("Trường chỉ đọc '", name, "' bị sửa sau khi ký: ", vi),
                        absl::StrCat("Read-only field '", name, "' changed after signing: ", en)));
      return;
    }
    if (const std::vector<std::string> shared = SharedElsewhere(f); !shared.empty()) {
      ClaimField(f,
                 Add(ChangeKind::kOther,
                     absl::StrCat(
                         "Trường biểu mẫu '", name,
                         "' ghi đè đối tượng mà chỗ khác cũng dùng: ", absl::StrJoin(shared, ", ")),
                     absl::StrCat("Form field '", name, "' overrides objects used elsewhere too: ",
                                  absl::StrJoin(shared, ", "))));
      return;
    }
    if (value_changed) {
      if (std::optional<std::string> shown = ShownOtherThan(f, new_flags, after)) {
        ClaimField(f, Add(ChangeKind::kOther,
                          absl::StrCat("Trường biểu mẫu '", name, "' hiển thị '", *shown,
                                       "' nhưng giá trị là '", after, "'"),
                          absl::StrCat("Form field '", name, "' shows '", *shown,
                                       "' but its value is '", after, "'")));
        return;
      }
    }
    if (lock_.Covers(name)) {
      ClaimField(
          f,
          Add(ChangeKind::kOther,
              absl::StrCat("Trường '", name, "' bị chữ ký khóa (FieldMDP) nhưng bị sửa: ", vi),
              absl::StrCat("Field '", name, "' locked by the signature (FieldMDP) changed: ", en)));
      return;
    }
    ClaimField(f, Add(ChangeKind::kFormFill, std::move(vi), std::move(en)));
  }

  // --- annotations ---------------------------------------------------------------------------

  std::vector<PdfObject*> AnnotsOf(PdfVecObjects& objects, const PdfObject* page) const {
    std::vector<PdfObject*> out;
    const PdfObject* annots = DictValue(objects, page, "Annots");
    if (annots == nullptr || !annots->IsArray()) return out;
    for (const PdfObject& a : annots->GetArray()) {
      if (PdfObject* o = Resolve(objects, &a); o && o->IsDictionary()) out.push_back(o);
    }
    return out;
  }

  void CompareAnnotations() {
    const int pages = std::min(old_doc_.GetPageCount(), new_doc_.GetPageCount());
    for (int i = 0; i < pages; ++i) {
      const PdfObject* op = old_doc_.GetPage(i)->GetObject();
      const PdfObject* np = new_doc_.GetPage(i)->GetObject();
      std::set<int64_t> before, after;
      for (const PdfObject* a : AnnotsOf(old_objects_, op)) before.insert(Num(a));
      for (PdfObject* a : AnnotsOf(new_objects_, np)) {
        const int64_t n = Num(a);
        after.insert(n);
        const std::string subtype = NameOf(new_objects_, a, "Subtype");
        const bool added = !before.count(n);
        if (subtype == "Widget") {
          if (added && !IsChanged(n)) {
            // A widget of the signed revision put on another page too: the same drawing shown
            // again where the signer did not see it (e.g. the seal over the decision's heading).
            Add(ChangeKind::kOther,
                absl::StrCat("Widget có sẵn (đối tượng ", n, ") được đặt thêm lên trang ",
                             PageText(i)),
                absl::StrCat("Existing widget (object ", n, ") placed on page ", PageText(i)));
          } else if (added && IsOpen(n)) {
            Claim(n, Add(ChangeKind::kOther,
                         absl::StrCat("Thêm widget không thuộc biểu mẫu trên trang ", PageText(i),
                                      " (đối tượng ", n, ")"),
                         absl::StrCat("Widget outside the form added on page ", PageText(i),
                                      " (object ", n, ")")));
          }
          continue;  // widgets of fields were judged with their fields
        }
        if (added) {
          const size_t c = Add(ChangeKind::kAnnotation,
                               absl::StrCat("Thêm chú thích /", subtype, " trên trang ",
                                            PageText(i), " (đối tượng ", n, ")"),
                               absl::StrCat("/", subtype, " annotation added on page ", PageText(i),
                                            " (object ", n, ")"));
          Claim(n, c);
          ClaimReachable(a, c);
        } else if (IsOpen(n) || !Reachable(a).empty()) {
          const size_t c = Add(ChangeKind::kAnnotation,
                               absl::StrCat("Sửa chú thích /", subtype, " trên trang ", PageText(i),
                                            " (đối tượng ", n, ")"),
                               absl::StrCat("/", subtype, " annotation on page ", PageText(i),
                                            " modified (object ", n, ")"));
          Claim(n, c);
          ClaimReachable(a, c);
        }
      }
      for (int64_t n : before) {
        if (after.count(n)) continue;
        const bool widget = NameOf(old_objects_, OldByNumber(n), "Subtype") == "Widget";
        Add(widget ? ChangeKind::kOther : ChangeKind::kAnnotation,
            absl::StrCat(widget ? "Gỡ widget" : "Xóa chú thích", " (đối tượng ", n, ") khỏi trang ",
                         PageText(i)),
            absl::StrCat(widget ? "Widget" : "Annotation", " (object ", n, ") removed from page ",
                         PageText(i)));
      }
      // An indirect /Annots array: its items were judged above.
      if (const PdfObject* a = np->GetDictionary().GetKey("Annots"); a && a->IsReference()) {
        ClaimQuietly(a->GetReference().ObjectNumber());
      }
    }
  }

  void CompareFormDictionary() {
    const PdfObject* entry = new_doc_.GetCatalog()->GetDictionary().GetKey("AcroForm");
    const PdfObject* after = Resolve(new_objects_, entry);
    if (after == nullptr) return;
    const PdfObject* before = DictValue(old_objects_, old_doc_.GetCatalog(), "AcroForm");
    const int64_t n = Num(after);
    // Default resources: fonts added for the appearances of new signatures or filled fields.
    const std::vector<int64_t> resources = Reachable(after->GetDictionary().GetKey("DR"));
    if (!resources.empty()) {
      const size_t c = Add(ChangeKind::kFormFill, "Bổ sung tài nguyên mặc định của biểu mẫu",
                           "Form default resources extended");
      for (int64_t r : resources) Claim(r, c);
    }
    std::optional<size_t> first;
    for (const std::string& key : DifferentKeys(before, after)) {
      if (key == "Fields" || key == "SigFlags" || key == "DR") continue;
      const size_t c = Add(ChangeKind::kOther, absl::StrCat("Đổi mục /", key, " của biểu mẫu"),
                           absl::StrCat("Form entry /", key, " changed"));
      if (!first) first = c;
    }
    if (first) {
      Claim(n, *first);
    } else {
      ClaimQuietly(n);
    }
    // An indirect /Fields array: its items were judged with the fields.
    if (const PdfObject* f = after->GetDictionary().GetKey("Fields"); f && f->IsReference()) {
      ClaimQuietly(f->GetReference().ObjectNumber());
    }
  }

  void ReportLeftovers() {
    std::vector<int64_t> added;
    for (const auto& [n, how] : changed_) {
      if (explained_.count(n)) continue;
      if (how == How::kAdded) {
        added.push_back(n);
      } else if (how == How::kDeleted) {
        Claim(n, Add(ChangeKind::kOther, absl::StrCat("Xóa đối tượng ", n, " của bản đã ký"),
                     absl::StrCat("Object ", n, " of the signed revision deleted")));
      } else {
        Claim(n, Add(ChangeKind::kOther,
                     absl::StrCat("Định nghĩa lại đối tượng ", n, " của bản đã ký"),
                     absl::StrCat("Object ", n, " of the signed revision redefined")));
      }
    }
    if (added.empty()) return;
    // New objects that nothing judged above uses. Unreferenced ones change nothing a reader sees
    // (poppler's signing leaves such orphans: generation-1 appearance streams it replaced), so
    // they pass quietly. But a number the signed revision already referenced while leaving it
    // undefined (a reference to null) takes on new meaning when a later update defines it: that
    // is a change to the signed revision.
    std::set<int64_t> referenced;
    for (PdfObject* o : old_objects_) {
      if (o == nullptr || referenced.size() > kMaxWalk) continue;
      std::vector<PoDoFo::PdfReference> refs;
      ReferencesOf(*o, {}, refs);
      for (const auto& r : refs) referenced.insert(r.ObjectNumber());
    }
    std::vector<int64_t> dangling;
    for (int64_t n : added) {
      if (referenced.count(n)) {
        dangling.push_back(n);
      } else {
        ClaimQuietly(n);
      }
    }
    if (dangling.empty()) return;
    std::string list = absl::StrJoin(dangling.begin(),
                                     dangling.begin() + std::min<size_t>(dangling.size(), 8), ", ");
    if (dangling.size() > 8) absl::StrAppend(&list, ", …");
    const size_t c =
        Add(ChangeKind::kOther,
            absl::StrCat("Định nghĩa sau khi ký đối tượng mà bản đã ký nhắc tới nhưng chưa có (",
                         list, ")"),
            absl::StrCat("Object(s) referenced but undefined in the signed revision defined "
                         "after signing (",
                         list, ")"));
    for (int64_t n : dangling) Claim(n, c);
  }

  const FieldLock& lock_;
  SignatureDictionaries& old_signatures_;  // the signed revision's, without /Contents
  SignatureDictionaries& new_signatures_;  // the final revision's
  PdfMemDocument& old_doc_;
  const RevisionXref& old_x_;
  PdfMemDocument& new_doc_;
  const RevisionXref& new_x_;
  int64_t end_;
  PdfVecObjects& old_objects_;
  PdfVecObjects& new_objects_;
  std::map<int64_t, How> changed_;
  std::multimap<int64_t, std::pair<int64_t, std::string>> old_referrers_;
  bool old_referrers_built_ = false;
  std::set<int64_t> explained_;
  std::map<int64_t, int> protected_;        // object → first page whose display uses it
  std::map<int64_t, int> content_streams_;  // content stream → page
  std::vector<RevisionChange> changes_;
};

// The fields a FieldMDP transform's parameters or a signature field's /Lock name.
FieldLock LockFrom(PdfVecObjects& objects, const PdfObject* params) {
  FieldLock lock;
  const std::string action = NameOf(objects, params, "Action");
  if (action == "All") {
    lock.action = FieldLock::Action::kAll;
  } else if (action == "Include") {
    lock.action = FieldLock::Action::kInclude;
  } else if (action == "Exclude") {
    lock.action = FieldLock::Action::kExclude;
  } else {
    return lock;
  }
  const PdfObject* fields = DictValue(objects, params, "Fields");
  if (fields != nullptr && fields->IsArray()) {
    for (const PdfObject& f : fields->GetArray()) lock.fields.push_back(TextValue(objects, &f));
  }
  return lock;
}

// DocMDP and FieldMDP of the signature whose ByteRange ends at `end`, read in the signed
// revision (its signature dictionaries through `signatures`).
void ReadDocMdp(PdfMemDocument& doc, int64_t end, ChangesAfterRevision& out,
                SignatureDictionaries& signatures) {
  PdfVecObjects& objects = doc.GetObjects();
  const PdfObject* form = DictValue(objects, doc.GetCatalog(), "AcroForm");
  const PdfObject* fields = DictValue(objects, form, "Fields");
  if (fields == nullptr || !fields->IsArray()) return;
  std::deque<const PdfObject*> queue;
  for (const PdfObject& f : fields->GetArray()) queue.push_back(Resolve(objects, &f));
  std::set<const PdfObject*> seen;
  while (!queue.empty() && seen.size() < kMaxWalk) {
    const PdfObject* field = queue.front();
    queue.pop_front();
    if (field == nullptr || !field->IsDictionary() || !seen.insert(field).second) continue;
    if (const PdfObject* kids = DictValue(objects, field, "Kids"); kids && kids->IsArray()) {
      for (const PdfObject& k : kids->GetArray()) queue.push_back(Resolve(objects, &k));
    }
    const PdfObject* sig = signatures.ValueOf(objects, field);
    const PdfObject* br = DictValue(objects, sig, "ByteRange");
    if (br == nullptr || !br->IsArray() || br->GetArray().size() != 4) continue;
    const PoDoFo::PdfArray& a = br->GetArray();
    if (!a[2].IsNumber() || !a[3].IsNumber() || a[2].GetNumber() + a[3].GetNumber() != end)
      continue;
    if (const PdfObject* refs = DictValue(objects, sig, "Reference"); refs && refs->IsArray()) {
      for (const PdfObject& r : refs->GetArray()) {
        const PdfObject* ref = Resolve(objects, &r);
        const std::string method = NameOf(objects, ref, "TransformMethod");
        const PdfObject* params = DictValue(objects, ref, "TransformParams");
        if (method == "FieldMDP") {
          out.lock = LockFrom(objects, params);
          continue;
        }
        if (method != "DocMDP") continue;
        const PdfObject* p = DictValue(objects, params, "P");
        // ISO 32000-1 Table 254: /P defaults to 2; other values are treated as the strictest.
        int64_t value = p && p->IsNumber() ? p->GetNumber() : 2;
        out.certification_p = value >= 1 && value <= 3 ? static_cast<int>(value) : 1;
      }
    }
    // A field's /Lock says what signing it locks, for writers that put no FieldMDP reference in
    // the signature itself.
    if (out.lock.action == FieldLock::Action::kNone) {
      out.lock = LockFrom(objects, DictValue(objects, field, "Lock"));
    }
    const PdfObject* perms = DictValue(objects, doc.GetCatalog(), "Perms");
    const PdfObject* docmdp = perms ? perms->GetDictionary().GetKey("DocMDP") : nullptr;
    out.perms_names_signature =
        docmdp && docmdp->IsReference() && Num(sig) > 0 &&
        docmdp->GetReference().ObjectNumber() == static_cast<uint32_t>(Num(sig));
    return;
  }
}

}  // namespace

bool FieldLock::Covers(const std::string& name) const {
  const auto under = [&](const std::string& f) {
    return name == f ||
           (name.size() > f.size() && name.compare(0, f.size(), f) == 0 && name[f.size()] == '.');
  };
  switch (action) {
    case Action::kNone:
      return false;
    case Action::kAll:
      return true;
    case Action::kInclude:
      return std::any_of(fields.begin(), fields.end(), under);
    case Action::kExclude:
      return std::none_of(fields.begin(), fields.end(), under);
  }
  return false;
}

const char* ChangeKindCode(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kNewSignature:
      return "new_signature";
    case ChangeKind::kDss:
      return "dss";
    case ChangeKind::kDocTimeStamp:
      return "doc_timestamp";
    case ChangeKind::kFormFill:
      return "form_fill";
    case ChangeKind::kMetadata:
      return "metadata";
    case ChangeKind::kAnnotation:
      return "annotation";
    case ChangeKind::kOther:
      break;
  }
  return "other";
}

bool ChangePermitted(ChangeKind kind, int docmdp_p) {
  switch (kind) {
    case ChangeKind::kDss:
    case ChangeKind::kDocTimeStamp:
      return true;  // ISO 32000-2 §12.8.4.3: allowed whatever the DocMDP level
    case ChangeKind::kMetadata:
      return true;  // what every signing tool rewrites; nothing a page shows
    case ChangeKind::kNewSignature:
    case ChangeKind::kFormFill:
      return docmdp_p == 0 || docmdp_p >= 2;
    case ChangeKind::kAnnotation:
      return docmdp_p == 3;
    case ChangeKind::kOther:
      break;
  }
  return false;
}

struct RevisionAnalyzer::State {
  std::string path;
  int64_t file_size = 0;
  int64_t final_end = 0;  // where the final revision ends (pdf::ParsedPdf::revision_end)
  int max_revisions = 0;
  RevisionXref final_xref;
  std::shared_ptr<PdfMemDocument> final_doc;
  std::shared_ptr<SignatureDictionaries> final_signatures;  // final_doc's, without /Contents
};

RevisionAnalyzer::RevisionAnalyzer(std::unique_ptr<State> state) : state_(std::move(state)) {}
RevisionAnalyzer::~RevisionAnalyzer() = default;

absl::StatusOr<std::unique_ptr<RevisionAnalyzer>> RevisionAnalyzer::Open(const ParsedPdf& pdf) {
  auto state = std::make_unique<State>();
  state->path = pdf.path();
  state->file_size = pdf.size();
  state->final_end = pdf.revision_end();
  state->final_xref = pdf.xref();
  state->max_revisions = pdf.max_revisions();
  state->final_doc = pdf.shared_document();
  state->final_signatures = pdf.shared_signature_dictionaries();
  return std::unique_ptr<RevisionAnalyzer>(new RevisionAnalyzer(std::move(state)));
}

absl::StatusOr<ChangesAfterRevision> RevisionAnalyzer::ChangesAfter(
    int64_t revision_end, const std::vector<ByteRange>& signature_ranges) {
  ChangesAfterRevision out;
  State& s = *state_;
  if (revision_end <= 0 || revision_end > s.file_size) {
    return Error(ErrorCode::kPdfUnreadable, "signed revision lies outside the file");
  }
  return AtPodofoBoundary("change analysis", [&]() -> absl::StatusOr<ChangesAfterRevision> {
    // A signature covering bytes after the last %%EOF signed the final revision and bytes that
    // belong to none (reported by the verifier as such).
    if (revision_end >= s.final_end) {
      ReadDocMdp(*s.final_doc, revision_end, out, *s.final_signatures);
      return out;
    }
    absl::StatusOr<RevisionXref> xref = ReadRevisionXref(s.path, revision_end);
    if (!xref.ok()) return xref.status();
    absl::StatusOr<std::unique_ptr<PdfMemDocument>> signed_revision =
        LoadRevision(s.path, revision_end, LoadLimits{s.max_revisions, &*xref});
    if (!signed_revision.ok()) return signed_revision.status();
    PdfMemDocument& before = **signed_revision;
    SignatureDictionaries signatures(signature_ranges.empty()
                                         ? SignatureDictionaries::Parse()
                                         : [&](const PoDoFo::PdfReference& ref, ByteRange* used) {
                                             return ParseWithoutContents(
                                                 s.path, *xref, before.GetObjects(), ref,
                                                 signature_ranges, revision_end, used);
                                           });
    ReadDocMdp(before, revision_end, out, signatures);
    Analysis analysis(before, *xref, *s.final_doc, s.final_xref, revision_end, out.lock, signatures,
                      *s.final_signatures);
    out.changes = analysis.Run();
    return out;
  });
}

}  // namespace taicho::pdf
