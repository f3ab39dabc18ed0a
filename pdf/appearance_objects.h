// Private to pdf/: the objects a drawn appearance adds to an incremental update, and how they
// are copied out of the scratch PoDoFo document they were drawn in — renumbered for the update,
// their font subsets retagged so that no two updates name two different subsets alike.
//
// Ownership: a scratch document is the caller's; what comes out is plain text (NumberedObject).
// Threads: stateless; a PoDoFo document (and an ObjectsTemplate's source) one thread at a time,
// an ObjectsTemplate once made is read-only and may be written out from many threads.
// Exceptions: these call PoDoFo, which may throw; the public entry points that call them
// (appearance_builder.h, field_text_drawing.h) run them inside AtPodofoBoundary.
#pragma once

#include <podofo/podofo.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace taicho::pdf {

inline constexpr double kPointsPerMm = 72.0 / 25.4;
inline constexpr double kAppearancePadding = 1;  // points between a text block and its rect

struct Size {
  double width = 0, height = 0;  // points
};

// An object of the update with its final number and body ("<< ... >>" or a stream).
struct NumberedObject {
  int64_t number = 0;
  std::string body;
};

struct DrawnAppearance {
  int64_t xobject_number = 0;  // the Form XObject for /AP /N
  std::vector<NumberedObject> objects;
};

// A fresh document to draw in; its objects are copied out, renumbered, and it is thrown away.
std::unique_ptr<PoDoFo::PdfMemDocument> NewScratch();

// "T" and five letters from the first object number of the update: unique within the file (each
// update numbers its new objects above every earlier one) and never PoDoFo's own "AAAAAA"-style
// tags, which start with A.
std::string SubsetTag(int64_t number);

// Copies the XObject `root` and everything it uses out of the scratch document (its font
// subsets embedded, as PdfMemDocument::Write would), numbered from `first_number`.
absl::StatusOr<DrawnAppearance> CopyObjects(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfObject* root,
                                            int64_t first_number);

// An object and all it uses (it first), serialized once with stand-in object numbers and subset
// tag, and written out for each update with its own: the seal's drawing and the field text subsets
// of the issue fills are the same objects in every seal, and copying them out of PoDoFo again each
// time (a deep copy and a serialization per object) was most of what drawing them cost.
class ObjectsTemplate {
 public:
  // Serializes `root` of `objects` and what it uses.
  static absl::StatusOr<ObjectsTemplate> Make(PoDoFo::PdfVecObjects& objects,
                                              PoDoFo::PdfObject* root);

  // The objects numbered from `first` (the root takes `first`), any font subset tagged `tag`.
  void Write(int64_t first, const std::string& tag, std::vector<NumberedObject>& out) const;

  size_t size() const { return objects_.size(); }

 private:
  // Ten digits, far above any object number a file of ours reaches, and written only here.
  static constexpr int64_t kStandIn = 1'000'000'000;

  // `dict` with every "N 0 R" of a stand-in number renumbered from `first`, and the stand-in
  // subset tag replaced by `tag`.
  std::string Substitute(std::string_view dict, int64_t first, const std::string& tag) const;

  std::string tag_;  // the stand-in tag, with its "+"
  std::vector<NumberedObject> objects_;
};

}  // namespace taicho::pdf
