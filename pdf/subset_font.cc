#include "pdf/subset_font.h"

#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>
#include <sys/stat.h>
#include <unicode/utf8.h>
#include <zlib.h>

#include <array>
#include <atomic>
#include <cmath>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "errors/error.h"

namespace taicho::pdf {
namespace {

// RAII for HarfBuzz's reference-counted objects.
template <typename T, void (*Destroy)(T*)>
struct HbDeleter {
  void operator()(T* p) const { Destroy(p); }
};
template <typename T, void (*Destroy)(T*)>
using HbPtr = std::unique_ptr<T, HbDeleter<T, Destroy>>;
using Blob = HbPtr<hb_blob_t, hb_blob_destroy>;
using Face = HbPtr<hb_face_t, hb_face_destroy>;
using Font = HbPtr<hb_font_t, hb_font_destroy>;
using SubsetInput = HbPtr<hb_subset_input_t, hb_subset_input_destroy>;
using SubsetPlan = HbPtr<hb_subset_plan_t, hb_subset_plan_destroy>;

// What a PDF reader uses of an embedded TrueType font (ISO 32000-1 §9.9, Table 126; cmap, OS/2
// and post are small and keep strict readers content). Everything else — layout tables, kerning,
// names with their licence text, hinting — is dropped.
constexpr std::array<hb_tag_t, 9> kKeptTables = {
    HB_TAG('h', 'e', 'a', 'd'), HB_TAG('h', 'h', 'e', 'a'), HB_TAG('h', 'm', 't', 'x'),
    HB_TAG('m', 'a', 'x', 'p'), HB_TAG('l', 'o', 'c', 'a'), HB_TAG('g', 'l', 'y', 'f'),
    HB_TAG('c', 'm', 'a', 'p'), HB_TAG('O', 'S', '/', '2'), HB_TAG('p', 'o', 's', 't')};

int16_t ReadInt16(const char* p) {
  return static_cast<int16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

}  // namespace

struct FontFile::Parts {
  Face face;  // the file as read: cmap and metrics
  Font font;  // at the font's own scale (units per em)
  // hb_subset_preprocess'ed `face`: a subset from it costs half as much, but preparing it costs
  // ~10 ms a face (bench: 40 ms for the four, against ~0.2 ms saved per face and document), so
  // only a process that has already subset the face kPreprocessAfter times (a server) makes it;
  // a one-shot command never does. Made by one thread while the others keep using `face`.
  std::atomic<int> subsets{0};
  std::atomic<bool> preprocessing{false};
  Face preprocessed;  // written once, by the thread that won `preprocessing`
  std::atomic<hb_face_t*> subset_from{nullptr};  // preprocessed.get() once it is ready

  static constexpr int kPreprocessAfter = 16;

  // The face to subset from.
  hb_face_t* SubsetSource() {
    if (hb_face_t* ready = subset_from.load(std::memory_order_acquire)) return ready;
    if (subsets.fetch_add(1, std::memory_order_relaxed) + 1 < kPreprocessAfter ||
        preprocessing.exchange(true)) {
      return face.get();
    }
    preprocessed.reset(hb_subset_preprocess(face.get()));
    if (!preprocessed) return face.get();  // stays on the file's face; never tried again
    subset_from.store(preprocessed.get(), std::memory_order_release);
    return preprocessed.get();
  }
  unsigned upem = 1000;
  double ascent = 0, descent = 0, cap_height = 0, italic_angle = 0;
  std::array<double, 4> bbox{};  // head's xMin yMin xMax yMax, thousandths of an em
};

FontFile::FontFile(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
FontFile::~FontFile() = default;

absl::StatusOr<std::shared_ptr<const FontFile>> FontFiles::Open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error(ErrorCode::kIo, absl::StrCat("không tìm thấy phông chữ / font not found: ", path));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(path);
    if (it != files_.end() && it->second.size == st.st_size &&
        it->second.mtime_sec == st.st_mtim.tv_sec && it->second.mtime_nsec == st.st_mtim.tv_nsec) {
      return it->second.file;
    }
  }
  // Parsed outside the lock (a few milliseconds); two threads may both parse a new file once.
  absl::StatusOr<std::shared_ptr<const FontFile>> file = FontFile::Read(path);
  if (!file.ok()) return file.status();
  std::lock_guard<std::mutex> lock(mu_);
  files_[path] = {st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, *file};
  return file;
}

absl::StatusOr<std::shared_ptr<const FontFile>> FontFile::Read(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error(ErrorCode::kIo, absl::StrCat("không tìm thấy phông chữ / font not found: ", path));
  }
  Blob blob(hb_blob_create_from_file_or_fail(path.c_str()));
  if (!blob) return Error(ErrorCode::kIo, absl::StrCat("cannot read font ", path));
  auto parts = std::make_unique<Parts>();
  parts->face.reset(hb_face_create(blob.get(), 0));
  if (hb_face_get_glyph_count(parts->face.get()) == 0) {
    return Error(ErrorCode::kIo, absl::StrCat("not a TrueType font with glyphs: ", path));
  }
  hb_face_make_immutable(parts->face.get());
  parts->upem = hb_face_get_upem(parts->face.get());
  parts->font.reset(hb_font_create(parts->face.get()));
  hb_font_make_immutable(parts->font.get());

  const double em = 1000.0 / parts->upem;
  hb_font_t* font = parts->font.get();
  auto metric = [&](hb_ot_metrics_tag_t tag) {
    hb_position_t v = 0;
    hb_ot_metrics_get_position(font, tag, &v);
    return v * em;
  };
  parts->ascent = metric(HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER);
  parts->descent = metric(HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER);
  parts->cap_height = metric(HB_OT_METRICS_TAG_CAP_HEIGHT);
  parts->italic_angle = hb_style_get_value(font, HB_STYLE_TAG_SLANT_ANGLE);
  Blob head(hb_face_reference_table(parts->face.get(), HB_TAG('h', 'e', 'a', 'd')));
  unsigned head_length = 0;
  const char* h = hb_blob_get_data(head.get(), &head_length);
  if (head_length >= 44) {
    for (int i = 0; i < 4; ++i) parts->bbox[i] = ReadInt16(h + 36 + 2 * i) * em;
  }

  std::shared_ptr<FontFile> file(new FontFile(std::move(parts)));
  char name[128] = {};
  unsigned name_size = sizeof name;
  hb_ot_name_get_utf8(file->parts_->face.get(), HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID,
                      &name_size, name);
  file->postscript_name_ = name[0] ? name : "Font";
  return std::shared_ptr<const FontFile>(std::move(file));
}

uint32_t FontFile::Glyph(char32_t c) const {
  hb_codepoint_t glyph = 0;
  if (!hb_font_get_nominal_glyph(parts_->font.get(), c, &glyph)) return 0;
  return glyph;
}

double FontFile::Advance(uint32_t glyph) const {
  return hb_font_get_glyph_h_advance(parts_->font.get(), glyph) * 1000.0 / parts_->upem;
}

double FontFile::ascent() const { return parts_->ascent; }
double FontFile::descent() const { return parts_->descent; }

SubsetFont::SubsetFont(std::shared_ptr<const FontFile> file, PoDoFo::PdfVecObjects* objects)
    : file_(std::move(file)), objects_(objects), font_(objects->CreateObject("Font")) {}

std::string SubsetFont::Show(std::string_view utf8) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(2 + 4 * utf8.size());
  out.push_back('<');
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t n = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c = 0;
    U8_NEXT(s, i, n, c);
    if (c < 0) c = 0xFFFD;
    const uint32_t glyph = file_->Glyph(static_cast<char32_t>(c)) & 0xFFFF;
    used_.emplace(glyph, static_cast<char32_t>(c));
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(glyph >> shift) & 0xF]);
  }
  out.push_back('>');
  return out;
}

namespace {

// A subset tag (ISO 32000-1 §9.6.4) from the glyphs: six capitals, different for different
// subsets, so an update adding another subset of the same face does not reuse the name.
std::string SubsetTag(const std::string& name, const std::map<uint32_t, char32_t>& used) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&](uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
  };
  for (char c : name) mix(static_cast<unsigned char>(c));
  for (const auto& [glyph, c] : used) mix(glyph);
  std::string tag(6, 'A');
  for (char& c : tag) {
    c = static_cast<char>('A' + h % 26);
    h /= 26;
  }
  return tag;
}

void AppendUtf16Hex(char32_t c, std::string& out) {
  auto unit = [&](uint32_t u) { absl::StrAppendFormat(&out, "%04X", u); };
  if (c >= 0x10000) {
    unit(0xD800 + ((c - 0x10000) >> 10));
    unit(0xDC00 + ((c - 0x10000) & 0x3FF));
  } else {
    unit(c);
  }
}

std::string ToUnicodeCMap(const std::map<uint32_t, char32_t>& used) {
  std::string cmap =
      "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
      "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
      "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
      "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
  std::vector<std::pair<uint32_t, char32_t>> entries;
  for (const auto& [glyph, c] : used) {
    if (glyph != 0) entries.emplace_back(glyph, c);
  }
  // At most 100 entries per block (ISO 32000-1 §9.10.3).
  for (size_t i = 0; i < entries.size(); i += 100) {
    const size_t end = std::min(entries.size(), i + 100);
    absl::StrAppend(&cmap, end - i, " beginbfchar\n");
    for (size_t j = i; j < end; ++j) {
      absl::StrAppendFormat(&cmap, "<%04X> <", entries[j].first);
      AppendUtf16Hex(entries[j].second, cmap);
      cmap += ">\n";
    }
    cmap += "endbfchar\n";
  }
  cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
  return cmap;
}

PoDoFo::PdfVariant Number(double v) {
  const double r = std::round(v);
  if (std::fabs(v - r) < 1e-9) return PoDoFo::PdfVariant(static_cast<PoDoFo::pdf_int64>(r));
  return PoDoFo::PdfVariant(std::round(v * 1000) / 1000);
}

}  // namespace

absl::Status SubsetFont::Embed(int zlib_level) {
  using PoDoFo::PdfArray;
  using PoDoFo::PdfDictionary;
  using PoDoFo::PdfName;
  using PoDoFo::PdfVariant;
  FontFile::Parts& parts = *file_->parts_;
  used_.emplace(0, 0);  // .notdef is always glyph 0 of a TrueType font

  SubsetInput input(hb_subset_input_create_or_fail());
  if (!input) return Error(ErrorCode::kInternal, "hb_subset_input_create_or_fail");
  hb_set_t* glyphs = hb_subset_input_glyph_set(input.get());
  for (const auto& [glyph, c] : used_) hb_set_add(glyphs, glyph);
  hb_set_clear(hb_subset_input_unicode_set(input.get()));
  hb_subset_input_set_flags(input.get(), HB_SUBSET_FLAGS_NO_HINTING);
  hb_set_t* drop = hb_subset_input_set(input.get(), HB_SUBSET_SETS_DROP_TABLE_TAG);
  std::array<hb_tag_t, 64> tags{};
  for (unsigned start = 0;; start += tags.size()) {
    unsigned count = tags.size();
    hb_face_get_table_tags(parts.face.get(), start, &count, tags.data());
    for (unsigned i = 0; i < count; ++i) {
      if (std::find(kKeptTables.begin(), kKeptTables.end(), tags[i]) == kKeptTables.end()) {
        hb_set_add(drop, tags[i]);
      }
    }
    if (count < tags.size()) break;
  }
  SubsetPlan plan(hb_subset_plan_create_or_fail(parts.SubsetSource(), input.get()));
  if (!plan) return Error(ErrorCode::kInternal, "hb_subset_plan_create_or_fail");
  Face subset(hb_subset_plan_execute_or_fail(plan.get()));
  if (!subset) return Error(ErrorCode::kInternal, "hb_subset_plan_execute_or_fail");
  Blob data(hb_face_reference_blob(subset.get()));
  unsigned length = 0;
  const char* bytes = hb_blob_get_data(data.get(), &length);
  if (length == 0) return Error(ErrorCode::kInternal, "empty font subset");
  const hb_map_t* old_to_new = hb_subset_plan_old_to_new_glyph_mapping(plan.get());

  const std::string name =
      absl::StrCat(SubsetTag(file_->postscript_name(), used_), "+", file_->postscript_name());

  PoDoFo::PdfObject* file = objects_->CreateObject();
  SetDeflatedStream(file, std::string_view(bytes, length), zlib_level);
  file->GetDictionary().AddKey("Length1", static_cast<PoDoFo::pdf_int64>(length));

  PoDoFo::PdfObject* descriptor = objects_->CreateObject("FontDescriptor");
  PdfDictionary& d = descriptor->GetDictionary();
  d.AddKey("FontName", PdfName(name));
  const bool italic = parts.italic_angle != 0;
  d.AddKey("Flags", static_cast<PoDoFo::pdf_int64>(italic ? 4 + 64 : 4));  // Symbolic (Italic)
  PdfArray bbox;
  for (double v : parts.bbox) bbox.push_back(Number(v));
  d.AddKey("FontBBox", bbox);
  d.AddKey("ItalicAngle", Number(parts.italic_angle));
  d.AddKey("Ascent", Number(parts.ascent));
  d.AddKey("Descent", Number(parts.descent));
  d.AddKey("CapHeight", Number(parts.cap_height));
  d.AddKey("StemV", static_cast<PoDoFo::pdf_int64>(80));  // not in TrueType; a usual value
  d.AddKey("FontFile2", file->Reference());

  // CIDToGIDMap: two bytes per code up to the highest glyph shown, the subset's glyph or 0.
  const uint32_t last = used_.rbegin()->first;
  std::string cid_to_gid(2 * (last + 1), '\0');
  PdfArray widths;
  PdfArray run;
  uint32_t run_start = 0, previous = 0;
  for (const auto& [glyph, c] : used_) {
    const hb_codepoint_t to = hb_map_get(old_to_new, glyph);
    if (to != HB_MAP_VALUE_INVALID) {
      cid_to_gid[2 * glyph] = static_cast<char>(to >> 8);
      cid_to_gid[2 * glyph + 1] = static_cast<char>(to & 0xFF);
    }
    if (!run.empty() && glyph != previous + 1) {
      widths.push_back(static_cast<PoDoFo::pdf_int64>(run_start));
      widths.push_back(run);
      run.clear();
    }
    if (run.empty()) run_start = glyph;
    // Whole thousandths, as PoDoFo wrote them: each word is placed on its own, so the error
    // stays under half a thousandth of an em per glyph.
    run.push_back(static_cast<PoDoFo::pdf_int64>(std::lround(file_->Advance(glyph))));
    previous = glyph;
  }
  widths.push_back(static_cast<PoDoFo::pdf_int64>(run_start));
  widths.push_back(run);
  PoDoFo::PdfObject* map = objects_->CreateObject();
  SetDeflatedStream(map, cid_to_gid, zlib_level);

  PoDoFo::PdfObject* cid_font = objects_->CreateObject("Font");
  PdfDictionary& cf = cid_font->GetDictionary();
  cf.AddKey("Subtype", PdfName("CIDFontType2"));
  cf.AddKey("BaseFont", PdfName(name));
  PdfDictionary system;
  system.AddKey("Registry", PoDoFo::PdfString("Adobe"));
  system.AddKey("Ordering", PoDoFo::PdfString("Identity"));
  // PdfObject(...): a bare 0 picks AddKey's pointer overload.
  system.AddKey("Supplement", PoDoFo::PdfObject(static_cast<PoDoFo::pdf_int64>(0)));
  cf.AddKey("CIDSystemInfo", system);
  cf.AddKey("FontDescriptor", descriptor->Reference());
  cf.AddKey("W", widths);
  cf.AddKey("CIDToGIDMap", map->Reference());

  PoDoFo::PdfObject* to_unicode = objects_->CreateObject();
  SetDeflatedStream(to_unicode, ToUnicodeCMap(used_), zlib_level);

  PdfDictionary& f = font_->GetDictionary();
  f.AddKey("Subtype", PdfName("Type0"));
  f.AddKey("BaseFont", PdfName(name));
  f.AddKey("Encoding", PdfName("Identity-H"));
  PdfArray descendants;
  descendants.push_back(cid_font->Reference());
  f.AddKey("DescendantFonts", descendants);
  f.AddKey("ToUnicode", to_unicode->Reference());
  return absl::OkStatus();
}

void SetDeflatedStream(PoDoFo::PdfObject* object, std::string_view data, int level) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                level) != Z_OK) {
    PODOFO_RAISE_ERROR_INFO(PoDoFo::ePdfError_Flate, "compress2");
  }
  out.resize(size);
  object->GetDictionary().AddKey(PoDoFo::PdfName::KeyFilter, PoDoFo::PdfName("FlateDecode"));
  PoDoFo::PdfMemoryInputStream in(out.data(), static_cast<PoDoFo::pdf_long>(out.size()));
  object->GetStream()->SetRawData(&in, static_cast<PoDoFo::pdf_long>(out.size()));
}

}  // namespace taicho::pdf
