#include "pdf/png_image_cache.h"

#include <optional>

#include "pdf/podofo_init.h"

namespace taicho::pdf {
namespace {

// A stream object as written: its dictionary (without /Length and /SMask) and its encoded bytes.
struct EncodedStream {
  PoDoFo::PdfDictionary dictionary;
  std::string data;
};

}  // namespace

struct EncodedPng {
  EncodedStream image;
  std::optional<EncodedStream> mask;
};

namespace {

constexpr size_t kMaxImages = 16;  // a server seals with one or two images; officers add theirs

EncodedStream Capture(PoDoFo::PdfObject& object) {
  EncodedStream out;
  out.dictionary = object.GetDictionary();
  out.dictionary.RemoveKey(PoDoFo::PdfName::KeyLength);
  out.dictionary.RemoveKey("SMask");
  char* buffer = nullptr;
  PoDoFo::pdf_long length = 0;
  object.GetStream()->GetCopy(&buffer, &length);  // the raw bytes: still Flate-encoded
  out.data.assign(buffer, static_cast<size_t>(length));
  PoDoFo::podofo_free(buffer);
  return out;
}

std::shared_ptr<const EncodedPng> Encode(const std::string& png) {
  InitPodofo();
  PoDoFo::PdfMemDocument scratch;
  PoDoFo::PdfImage image(&scratch);
  image.LoadFromPngData(reinterpret_cast<const unsigned char*>(png.data()),
                        static_cast<PoDoFo::pdf_long>(png.size()));
  auto out = std::make_shared<EncodedPng>();
  PoDoFo::PdfObject* object = image.GetObject();
  if (const PoDoFo::PdfObject* key = object->GetDictionary().GetKey("SMask");
      key != nullptr && key->IsReference()) {
    PoDoFo::PdfObject* mask = scratch.GetObjects().GetObject(key->GetReference());
    if (mask != nullptr) out->mask = Capture(*mask);
  }
  out->image = Capture(*object);
  return out;
}

PoDoFo::PdfObject* Place(PoDoFo::PdfVecObjects& objects, const EncodedStream& stream,
                         const PoDoFo::PdfObject* mask) {
  PoDoFo::PdfObject* object = objects.CreateObject(stream.dictionary);
  if (mask != nullptr) object->GetDictionary().AddKey("SMask", mask->Reference());
  PoDoFo::PdfMemoryInputStream in(stream.data.data(),
                                  static_cast<PoDoFo::pdf_long>(stream.data.size()));
  // Keeps the /Filter the dictionary names: the bytes are already encoded with it.
  object->GetStream()->SetRawData(&in, static_cast<PoDoFo::pdf_long>(stream.data.size()));
  return object;
}

}  // namespace

PngImageCache::PngImageCache() = default;
PngImageCache::~PngImageCache() = default;

std::shared_ptr<const EncodedPng> PngImageCache::Get(const std::string& png) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = images_.find(png);
    if (it != images_.end()) return it->second;
  }
  std::shared_ptr<const EncodedPng> encoded = Encode(png);  // outside the lock: slow
  std::lock_guard<std::mutex> lock(mu_);
  if (images_.size() >= kMaxImages) images_.clear();
  images_.emplace(png, encoded);
  return encoded;
}

std::unique_ptr<PoDoFo::PdfImage> LoadPngImage(PoDoFo::PdfMemDocument& doc, const std::string& png,
                                               PngImageCache* cache) {
  std::shared_ptr<const EncodedPng> encoded = cache != nullptr ? cache->Get(png) : Encode(png);
  PoDoFo::PdfObject* mask =
      encoded->mask ? Place(doc.GetObjects(), *encoded->mask, nullptr) : nullptr;
  return std::make_unique<PoDoFo::PdfImage>(Place(doc.GetObjects(), encoded->image, mask));
}

}  // namespace taicho::pdf
