#include "pdf/appearance_builder.h"

#include <podofo/podofo.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errors/error.h"
#include "pdf/pdf_text.h"
#include "pdf/png_image_cache.h"
#include "pdf/podofo_document.h"
#include "pdf/subset_font.h"

namespace taicho::pdf {
namespace {

using PoDoFo::PdfArray;
using PoDoFo::PdfDictionary;
using PoDoFo::PdfName;
using PoDoFo::PdfObject;
using PoDoFo::PdfReference;

constexpr double kPointsPerMm = 72.0 / 25.4;
constexpr double kCaptionMaxSize = 7;  // officer caption: small, under the image
constexpr double kCaptionMinSize = 4;
constexpr double kPadding = 1;  // points between a text block and its rect

uint32_t BigEndian32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}

// A fresh document to draw in; its objects are copied out, renumbered, and it is thrown away.
std::unique_ptr<PoDoFo::PdfMemDocument> NewScratch() {
  InitPodofo();
  auto doc = std::make_unique<PoDoFo::PdfMemDocument>();
  doc->SetPdfVersion(PoDoFo::ePdfVersion_1_7);
  return doc;
}

absl::StatusOr<PoDoFo::PdfFont*> LoadFont(PoDoFo::PdfMemDocument& doc, const std::string& font_path,
                                          double size) {
  if (!std::ifstream(font_path, std::ios::binary)) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("không đọc được phông chữ / cannot read the font: ", font_path));
  }
  // A subset with Identity-H: Vietnamese letters need 2-byte codes, and PoDoFo writes a
  // ToUnicode map for it so the text stays extractable.
  PoDoFo::PdfFont* font = doc.CreateFontSubset(
      "LiberationSerif", false, false, false,
      PoDoFo::PdfEncodingFactory::GlobalIdentityEncodingInstance(), font_path.c_str());
  if (font == nullptr) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("phông chữ không dùng được / unusable font: ", font_path));
  }
  font->SetFontSize(static_cast<float>(size));
  return font;
}

double TextWidth(PoDoFo::PdfFont* font, const std::string& utf8) {
  return font->GetFontMetrics()->StringWidth(PdfText(utf8));
}

// The attachment block: the main document's number and symbol, then the signing time.
std::vector<std::string> AttachmentLines(const AppearanceSpec& spec, const std::string& time_iso) {
  return {Nfc(spec.document_number), time_iso};
}

Size AttachmentSize(PoDoFo::PdfFont* font, const AppearanceSpec& spec,
                    const std::vector<std::string>& lines) {
  double width = 0;
  for (const std::string& line : lines) width = std::max(width, TextWidth(font, line));
  // First baseline 0.9 em under the top, then 1.2 em per line, and room for descenders.
  const double height =
      spec.font_size * (0.9 + 1.2 * static_cast<double>(lines.size() - 1) + 0.3) + 2 * kPadding;
  return {width + 2 * kPadding, height};
}

// "T" and five letters from the first object number of the update: unique within the file (each
// update numbers its new objects above every earlier one) and never PoDoFo's own "AAAAAA"-style
// tags, which start with A.
std::string SubsetTag(int64_t number) {
  std::string tag = "T?????";
  for (int i = 5; i >= 1; --i) {
    tag[static_cast<size_t>(i)] = static_cast<char>('A' + number % 26);
    number /= 26;
  }
  return tag;
}

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
      PdfArray array;
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
      return PdfObject(PdfName(tag_ + o.GetName().GetName().substr(6)));
    }
    return o;
  }

  PoDoFo::PdfVecObjects& objects_;
  int64_t next_;
  std::string tag_;
  std::map<PdfReference, int64_t> numbers_;
  std::vector<PdfObject*> order_;
};

// An object and all it uses (it first), serialized once with stand-in object numbers and subset
// tag, and written out for each update with its own: the seal's drawing and the field text subsets
// of the issue fills are the same objects in every seal, and copying them out of PoDoFo again each
// time (a deep copy and a serialization per object) was most of what drawing them cost.
class ObjectsTemplate {
 public:
  // Serializes `root` of `objects` and what it uses.
  static absl::StatusOr<ObjectsTemplate> Make(PoDoFo::PdfVecObjects& objects, PdfObject* root) {
    Renumberer stand_in(objects, kStandIn);
    absl::Status st = stand_in.Collect(root);
    if (!st.ok()) return st;
    ObjectsTemplate t;
    t.tag_ = stand_in.tag() + "+";
    t.objects_ = stand_in.Serialize();
    return t;
  }

  // The objects numbered from `first` (the root takes `first`), any font subset tagged `tag`.
  void Write(int64_t first, const std::string& tag, std::vector<NumberedObject>& out) const {
    for (const NumberedObject& o : objects_) {
      // Only the dictionary is text: the stream after it is copied as it is.
      const size_t stream = o.body.find("\nstream\n");
      const size_t dict_end = stream == std::string::npos ? o.body.size() : stream;
      out.push_back({first + (o.number - kStandIn),
                     Substitute(std::string_view(o.body).substr(0, dict_end), first, tag) +
                         o.body.substr(dict_end)});
    }
  }

  size_t size() const { return objects_.size(); }

 private:
  // Ten digits, far above any object number a file of ours reaches, and written only here.
  static constexpr int64_t kStandIn = 1'000'000'000;

  // `dict` with every "N 0 R" of a stand-in number renumbered from `first`, and the stand-in
  // subset tag replaced by `tag`.
  std::string Substitute(std::string_view dict, int64_t first, const std::string& tag) const {
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

  std::string tag_;  // the stand-in tag, with its "+"
  std::vector<NumberedObject> objects_;
};

// Scales `image` (pixels) to `target` width and height in points, at (x, y).
void PlaceImage(PoDoFo::PdfPainter& painter, PoDoFo::PdfImage& image, double x, double y,
                double width, double height) {
  painter.DrawImage(x, y, &image, width / image.GetWidth(), height / image.GetHeight());
}

absl::Status DrawOfficer(PoDoFo::PdfMemDocument& doc, PoDoFo::PdfPainter& painter,
                         const AppearanceSpec& spec, Size size, const AppearanceText& text,
                         PoDoFo::PdfImage& image) {
  double image_bottom = 0;
  if (spec.caption) {
    absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(doc, spec.font_path, kCaptionMaxSize);
    if (!font.ok()) return font.status();
    const std::string caption = absl::StrCat(Nfc(text.signer_name), " ", text.time_iso);
    // Shrink to the rect's width, down to a still legible size.
    double font_size = kCaptionMaxSize;
    const double width_at_max = TextWidth(*font, caption);
    if (width_at_max > size.width - 2 * kPadding) {
      font_size =
          std::max(kCaptionMinSize, kCaptionMaxSize * (size.width - 2 * kPadding) / width_at_max);
      (*font)->SetFontSize(static_cast<float>(font_size));
    }
    const double width = TextWidth(*font, caption);
    painter.SetFont(*font);
    painter.SetColor(0, 0, 0);
    painter.DrawText(std::max(0.0, (size.width - width) / 2), kPadding + 0.25 * font_size,
                     PdfText(caption));
    image_bottom = kPadding + 1.3 * font_size;
  }
  const double area_w = size.width, area_h = size.height - image_bottom;
  if (area_h <= 0) return Error(ErrorCode::kUsage, "signature rect too small for its caption");
  const double scale = std::min(area_w / image.GetWidth(), area_h / image.GetHeight());
  const double w = image.GetWidth() * scale, h = image.GetHeight() * scale;
  PlaceImage(painter, image, (area_w - w) / 2, image_bottom + (area_h - h) / 2, w, h);
  return absl::OkStatus();
}

// Copies the XObject `root` and everything it uses out of the scratch document (its font
// subsets embedded, as PdfMemDocument::Write would), numbered from `first_number`.
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

}  // namespace

// Scratch documents already drawn, font subsets embedded, kept to be copied out again: the
// agency's seal is the same for every seal, and the issue number and date are drawn with one
// subset per font and line template, while loading and subsetting a font or placing an image is
// most of what drawing them costs. Each copy is renumbered, and its subset retagged, for its
// update: the same objects drawing afresh would give. A few dozen entries; the least recently used
// go. Owned by a DrawingCache (drawing_cache.h); thread-safe.
class DrawnCache {
 public:
  struct Entry {
    std::unique_ptr<PoDoFo::PdfMemDocument> doc;
    PdfObject* root = nullptr;             // the Form XObject, owned by doc
    PoDoFo::PdfFont* font = nullptr;       // a font to draw more with (owned by doc), if any
    std::shared_ptr<const FontFile> file;  // the font file of a field text subset, if any
    std::optional<ObjectsTemplate> copy;   // root's (or font's) objects, once first copied
    std::mutex mu;                         // one user of the PoDoFo objects at a time
  };
  using Draw = std::function<absl::StatusOr<std::shared_ptr<Entry>>()>;
  using Use = std::function<absl::Status(Entry&)>;

  // Runs `use` on the entry `key` names (`draw` makes it on a miss), one thread at a time.
  absl::Status With(const std::string& key, const Draw& draw, const Use& use) {
    std::shared_ptr<Entry> entry = Find(key);
    if (entry == nullptr) {
      absl::StatusOr<std::shared_ptr<Entry>> drawn = draw();
      if (!drawn.ok()) return drawn.status();
      entry = Put(key, *std::move(drawn));
    }
    std::lock_guard lock(entry->mu);
    try {
      return use(*entry);
    } catch (const PoDoFo::PdfError& e) {
      return FromPodofoError(e, "copy appearance");
    }
  }

  // The drawing `key` names, copied out from `first_number`.
  absl::StatusOr<DrawnAppearance> CopyOut(const std::string& key, int64_t first_number,
                                          const Draw& draw) {
    DrawnAppearance out;
    absl::Status st = With(key, draw, [&](Entry& entry) {
      if (!entry.copy) {
        absl::StatusOr<ObjectsTemplate> made =
            ObjectsTemplate::Make(entry.doc->GetObjects(), entry.root);
        if (!made.ok()) return made.status();
        entry.copy = *std::move(made);
      }
      out.xobject_number = first_number;
      entry.copy->Write(first_number, SubsetTag(first_number), out.objects);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

 private:
  static constexpr size_t kCapacity = 32;

  std::shared_ptr<Entry> Find(const std::string& key) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == key) {
        entries_.splice(entries_.begin(), entries_, it);
        return it->second;
      }
    }
    return nullptr;
  }

  // The entry to use: `entry`, or the one another thread put under `key` meanwhile.
  std::shared_ptr<Entry> Put(const std::string& key, std::shared_ptr<Entry> entry) {
    std::lock_guard lock(mu_);
    for (const auto& [known, existing] : entries_) {
      if (known == key) return existing;
    }
    entries_.emplace_front(key, entry);
    if (entries_.size() > kCapacity) entries_.pop_back();
    return entry;
  }

  std::mutex mu_;
  std::list<std::pair<std::string, std::shared_ptr<Entry>>> entries_;  // most recent first
};

DrawingCache::DrawingCache()
    : drawn_(std::make_unique<DrawnCache>()), images_(std::make_unique<PngImageCache>()) {}
DrawingCache::~DrawingCache() = default;

namespace {

// `path` names the image in errors.
absl::StatusOr<PngFile> ParsePng(std::shared_ptr<const std::string> bytes,
                                 const std::string& path) {
  PngFile png;
  png.bytes = std::move(bytes);
  const std::string& b = *png.bytes;
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (b.size() < 33 || b.compare(0, 8, kSignature) != 0 || b.compare(12, 4, "IHDR") != 0) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("tệp ảnh không phải PNG / the image is not a PNG: ", path));
  }
  png.width = BigEndian32(b, 16);
  png.height = BigEndian32(b, 20);
  const int bit_depth = static_cast<uint8_t>(b[24]);
  // PoDoFo 0.9.8 masks palette images below 8 bits wrongly; 16-bit is not worth the risk.
  if (png.width == 0 || png.height == 0 || png.width > 10000 || png.height > 10000 ||
      bit_depth != 8) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("ảnh PNG phải 8 bit/kênh, tối đa 10000 điểm ảnh mỗi chiều / the "
                              "PNG must be 8 bits per channel and at most 10000 px a side: ",
                              path));
  }
  return png;
}

}  // namespace

absl::StatusOr<PngFile> ReadPng(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kIo,
                 absl::StrCat("không đọc được tệp ảnh / cannot read the image: ", path));
  }
  return ParsePng(std::make_shared<const std::string>(std::istreambuf_iterator<char>(in),
                                                      std::istreambuf_iterator<char>()),
                  path);
}

absl::StatusOr<PngFile> SpecPng(const AppearanceSpec& spec) {
  if (spec.image_png != nullptr) {
    return ParsePng(spec.image_png, spec.image_path.empty() ? "image_png" : spec.image_path);
  }
  return ReadPng(spec.image_path);
}

absl::StatusOr<Size> MinimumAppearanceSize(const AppearanceSpec& spec,
                                           const std::string& time_iso) {
  switch (spec.kind) {
    case AppearanceKind::kSeal: {
      absl::StatusOr<PngFile> png = SpecPng(spec);
      if (!png.ok()) return png.status();
      const double d = spec.seal_diameter_mm * kPointsPerMm;
      return Size{d, d * png->height / png->width};
    }
    case AppearanceKind::kAttachment:
      try {
        auto doc = NewScratch();
        absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(*doc, spec.font_path, spec.font_size);
        if (!font.ok()) return font.status();
        return AttachmentSize(*font, spec, AttachmentLines(spec, time_iso));
      } catch (const PoDoFo::PdfError& e) {
        return FromPodofoError(e, "measure appearance text");
      }
    default:
      return Size{};
  }
}

absl::StatusOr<DrawnAppearance> DrawAppearance(const AppearanceSpec& spec, Size size,
                                               const AppearanceText& text, int64_t first_number,
                                               DrawingCache* drawings) {
  if (spec.kind == AppearanceKind::kNone || size.width <= 0 || size.height <= 0) {
    return Error(ErrorCode::kUsage, "nothing to draw: no appearance or an empty rect");
  }
  PngFile png;
  if (spec.kind != AppearanceKind::kAttachment) {
    absl::StatusOr<PngFile> read = SpecPng(spec);
    if (!read.ok()) return read.status();
    png = *std::move(read);
  }
  auto draw = [&]() -> absl::StatusOr<std::shared_ptr<DrawnCache::Entry>> {
    try {
      auto entry = std::make_shared<DrawnCache::Entry>();
      entry->doc = NewScratch();
      PoDoFo::PdfMemDocument* doc = entry->doc.get();
      PoDoFo::PdfXObject xobject(PoDoFo::PdfRect(0, 0, size.width, size.height), doc);
      entry->root = xobject.GetObject();
      PoDoFo::PdfPainter painter;
      painter.SetPage(&xobject);
      std::unique_ptr<PoDoFo::PdfImage> image;
      if (png.bytes != nullptr) {
        try {
          image = LoadPngImage(*doc, *png.bytes, drawings ? &drawings->images() : nullptr);
        } catch (const PoDoFo::PdfError&) {
          painter.FinishPage();
          return Error(ErrorCode::kUsage,
                       absl::StrCat("không giải mã được ảnh PNG / the PNG cannot be decoded: ",
                                    spec.image_path));
        }
      }
      absl::Status drawn;
      if (spec.kind == AppearanceKind::kOfficer) {
        drawn = DrawOfficer(*doc, painter, spec, size, text, *image);
      } else if (spec.kind == AppearanceKind::kSeal) {
        // Real size, centred; the caller made the rect at least that large.
        const double w = spec.seal_diameter_mm * kPointsPerMm;
        const double h = w * image->GetHeight() / image->GetWidth();
        PlaceImage(painter, *image, (size.width - w) / 2, (size.height - h) / 2, w, h);
      } else {
        absl::StatusOr<PoDoFo::PdfFont*> font = LoadFont(*doc, spec.font_path, spec.font_size);
        if (!font.ok()) {
          drawn = font.status();
        } else {
          painter.SetFont(*font);
          painter.SetColor(0, 0, 0);
          double baseline = size.height - kPadding - 0.9 * spec.font_size;
          for (const std::string& line : AttachmentLines(spec, text.time_iso)) {
            // Right-aligned: the block hugs the right margin.
            painter.DrawText(size.width - kPadding - TextWidth(*font, line), baseline,
                             PdfText(line));
            baseline -= 1.2 * spec.font_size;
          }
        }
      }
      painter.FinishPage();
      if (!drawn.ok()) return drawn;
      doc->EmbedSubsetFonts();
      return entry;
    } catch (const PoDoFo::PdfError& e) {
      return FromPodofoError(e, "draw appearance");
    }
  };
  if (spec.kind == AppearanceKind::kSeal) {
    // A seal shows its image only: the same drawing for every seal with this image and size.
    const std::string key = absl::StrCat("seal\n", size.width, "\n", size.height, "\n",
                                         spec.seal_diameter_mm, "\n", *png.bytes);
    // Without an owner's cache, a cache for this one drawing: the same objects either way.
    DrawnCache once;
    return (drawings ? drawings->drawn() : once).CopyOut(key, first_number, draw);
  }
  absl::StatusOr<std::shared_ptr<DrawnCache::Entry>> drawn = draw();
  if (!drawn.ok()) return drawn.status();
  try {
    return CopyObjects(*(*drawn)->doc, (*drawn)->root, first_number);
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "copy appearance");
  }
}

namespace {

// The ten digits and every other code point of `values` (NFC), each once and in order, as UTF-8:
// the glyphs of a group's subset. The issue number and date lines differ from seal to seal only
// in their digits, so this, and the subset made from it, is the same for every seal of a kind.
std::string SubsetText(const std::vector<std::string>& values) {
  std::set<UChar32> code_points;
  for (char c = '0'; c <= '9'; ++c) code_points.insert(c);
  for (const std::string& value : values) {
    const auto* s = reinterpret_cast<const uint8_t*>(value.data());
    const int32_t n = static_cast<int32_t>(value.size());
    for (int32_t i = 0; i < n;) {
      UChar32 c = 0;
      U8_NEXT(s, i, n, c);
      code_points.insert(c < 0 ? 0xFFFD : c);
    }
  }
  std::string out;
  for (UChar32 c : code_points) {
    uint8_t buffer[U8_MAX_LENGTH];
    int32_t length = 0;
    U8_APPEND_UNSAFE(buffer, length, c);
    out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(length));
  }
  return out;
}

// The Form XObject of a field's text, written directly: the codes are the glyph ids of `file` (as
// SubsetFont::Show writes them), shown in the font `font_number` of the update. x by the field's
// /Q; the baseline where the surrounding line's is (the blank was cut from that line, one leading
// high, with the text's descent below the baseline). Reals as PoDoFo's painter wrote them: fixed
// notation (PDF has no exponents), 3 decimals. kPdfUnsupported when the font lacks a character.
absl::StatusOr<std::string> TextXObject(const FontFile& file, const FieldText& text,
                                        const std::string& value, Size size, int64_t font_number) {
  std::string hex;
  double em = 0;
  const auto* s = reinterpret_cast<const uint8_t*>(value.data());
  const int32_t n = static_cast<int32_t>(value.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c = 0;
    U8_NEXT(s, i, n, c);
    const uint32_t glyph = c < 0 || c > 0xFFFF ? 0 : file.Glyph(static_cast<char32_t>(c));
    if (glyph == 0 || glyph > 0xFFFF) {
      return Error(ErrorCode::kPdfUnsupported,
                   absl::StrCat("phông chữ thiếu ký tự / the font lacks a character of: ", value));
    }
    em += file.Advance(glyph);
    absl::StrAppendFormat(&hex, "%04X", glyph);
  }
  const double width = em * text.font_size / 1000;
  double x = kPadding;  // /Q 0: left
  if (text.alignment == 1) x = (size.width - width) / 2;
  if (text.alignment == 2) x = size.width - kPadding - width;
  const double descent = -file.descent() * text.font_size / 1000;
  const double text_height = file.ascent() * text.font_size / 1000 + descent;
  const double baseline = (size.height - text_height) / 2 + descent;
  const std::string content = absl::StrFormat(
      "0 0 0 rg\nBT\n/F1 %.3f Tf\n%.3f %.3f Td <%s> Tj\nET\n", text.font_size, x, baseline, hex);
  return absl::StrFormat(
      "<</Type/XObject/Subtype/Form/FormType 1/BBox[0 0 %.3f %.3f]/Matrix[1 0 0 1 0 0]"
      "/Resources<</Font<</F1 %d 0 R>>/ProcSet[/PDF/Text]>>/Length %d>>\nstream\n%s\nendstream",
      size.width, size.height, font_number, content.size(), content);
}

// One group (one font file and size): the fields' XObjects written directly, then the font, a
// HarfBuzz subset (subset_font.h) of the digits and the group's other characters, made once per
// font and character set and copied from its template: PoDoFo's painter and its subsetting of the
// whole font file for every seal were nearly half of a seal's CPU.
absl::Status DrawFieldGroup(const std::vector<const FieldTextDrawing*>& fields,
                            int64_t first_number, DrawingCache* drawings, DrawnFieldTexts& out) {
  const FieldText& first = fields.front()->text;
  std::vector<std::string> values;
  for (const FieldTextDrawing* field : fields) values.push_back(Nfc(field->text.value));
  const std::string subset_text = SubsetText(values);
  const std::string key = absl::StrCat("field text\n", first.font_path, "\n", subset_text);
  auto draw = [&]() -> absl::StatusOr<std::shared_ptr<DrawnCache::Entry>> {
    absl::StatusOr<std::shared_ptr<const FontFile>> file = FontFile::Open(first.font_path);
    if (!file.ok()) return file.status();
    try {
      auto entry = std::make_shared<DrawnCache::Entry>();
      entry->doc = NewScratch();
      SubsetFont font(*file, &entry->doc->GetObjects());
      font.Show(subset_text);
      // Made once and copied for every seal: the smallest deflate is worth its CPU here.
      if (absl::Status st = font.Embed(9); !st.ok()) return st;
      entry->root = entry->doc->GetObjects().GetObject(font.reference());
      entry->file = *std::move(file);
      return entry;
    } catch (const PoDoFo::PdfError& e) {
      return FromPodofoError(e, "draw field text");
    }
  };
  DrawnCache once;  // without an owner's cache: the same objects, drawn for this fill only
  return (drawings ? drawings->drawn() : once).With(key, draw, [&](DrawnCache::Entry& entry) {
    if (!entry.copy) {
      absl::StatusOr<ObjectsTemplate> made =
          ObjectsTemplate::Make(entry.doc->GetObjects(), entry.root);
      if (!made.ok()) return made.status();
      entry.copy = *std::move(made);
    }
    // The XObjects first, then the font's objects from the template, numbered after them.
    const int64_t font_number = first_number + static_cast<int64_t>(fields.size());
    int64_t number = first_number;
    for (size_t i = 0; i < fields.size(); ++i) {
      absl::StatusOr<std::string> xobject =
          TextXObject(*entry.file, fields[i]->text, values[i], fields[i]->size, font_number);
      if (!xobject.ok()) return xobject.status();
      out.xobject_numbers.push_back(number);
      out.objects.push_back({number, *std::move(xobject)});
      ++number;
    }
    entry.copy->Write(font_number, SubsetTag(first_number), out.objects);
    return absl::OkStatus();
  });
}

}  // namespace

absl::StatusOr<DrawnFieldTexts> DrawFieldTexts(const std::vector<FieldTextDrawing>& fields,
                                               int64_t first_number, DrawingCache* drawings) {
  // Grouped by font file and size, in order of first appearance.
  std::vector<std::vector<const FieldTextDrawing*>> groups;
  for (const FieldTextDrawing& field : fields) {
    const FieldText& t = field.text;
    if (field.size.width <= 0 || field.size.height <= 0 || t.font_size <= 0 || t.font_size > 100) {
      return Error(ErrorCode::kPdfUnsupported, "text field: empty rect or bad font size");
    }
    auto same = [&](const std::vector<const FieldTextDrawing*>& g) {
      return g.front()->text.font_path == t.font_path && g.front()->text.font_size == t.font_size;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) {
      groups.push_back({&field});
    } else {
      it->push_back(&field);
    }
  }
  DrawnFieldTexts out;  // xobject_numbers in group order until put back in field order below
  try {
    for (const auto& group : groups) {
      const int64_t next = first_number + static_cast<int64_t>(out.objects.size());
      absl::Status st = DrawFieldGroup(group, next, drawings, out);
      if (!st.ok()) return st;
    }
  } catch (const PoDoFo::PdfError& e) {
    return FromPodofoError(e, "draw field text");
  }
  std::vector<int64_t> by_field(fields.size());
  size_t k = 0;
  for (const auto& group : groups) {
    for (const FieldTextDrawing* field : group) {
      by_field[static_cast<size_t>(field - fields.data())] = out.xobject_numbers[k++];
    }
  }
  out.xobject_numbers = std::move(by_field);
  return out;
}

}  // namespace taicho::pdf
