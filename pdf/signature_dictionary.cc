#include "pdf/signature_dictionary.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <exception>
#include <random>
#include <string_view>

#include "pdf/xref_reader.h"

namespace taicho::pdf {

std::unique_ptr<PoDoFo::PdfParserObject> ParseWithoutContents(const std::string& path,
                                                              const RevisionXref& xref,
                                                              PoDoFo::PdfVecObjects& objects,
                                                              const PoDoFo::PdfReference& ref,
                                                              const std::vector<ByteRange>& gaps,
                                                              int64_t end, ByteRange* used) {
  const auto* own = dynamic_cast<const PoDoFo::PdfParserObject*>(objects.GetObject(ref));
  const auto entry = xref.entries.find(ref.ObjectNumber());
  if (own == nullptr || entry == xref.entries.end() || entry->second.type != 'n' ||
      entry->second.field3 != ref.GenerationNumber()) {
    return nullptr;
  }
  const int64_t start = entry->second.field2;  // "N G obj"
  const int64_t body = own->GetOffset();       // where PoDoFo reads the object after it
  const ByteRange* gap = nullptr;
  for (const ByteRange& br : gaps) {
    if (br[1] >= body && br[2] <= end && br[2] - br[1] >= 2 && (!gap || br[1] < (*gap)[1])) {
      gap = &br;
    }
  }
  constexpr int64_t kMaxRead = 8 << 20;  // else the revision's own parse, as before
  constexpr int64_t kTail = 4096;
  if (start < 0 || body <= start || gap == nullptr) return nullptr;
  const int64_t stop = std::min(end, (*gap)[2] + kTail);
  if (stop - start > kMaxRead) return nullptr;
  absl::StatusOr<std::string> bytes = ReadAt(path, start, static_cast<size_t>(stop - start));
  if (!bytes.ok() || bytes->size() != static_cast<size_t>(stop - start)) return nullptr;
  const size_t from = static_cast<size_t>((*gap)[1] - start);
  const size_t to = static_cast<size_t>((*gap)[2] - start);
  static const std::array<bool, 256> kHexDigit = [] {
    std::array<bool, 256> t{};
    for (const char c : std::string_view("0123456789abcdefABCDEF")) {
      t[static_cast<unsigned char>(c)] = true;
    }
    return t;
  }();
  // "<<" would open a dictionary: the gap's '<' must not follow another. An odd count of digits
  // or a UTF-16 mark (FE FF) is left to PoDoFo, whose string reads them its own way.
  const auto hex_at = [&](size_t i, char c) {
    return std::tolower(static_cast<unsigned char>((*bytes)[i])) == c;
  };
  const bool utf16 = to - from >= 6 && ((hex_at(from + 1, 'f') && hex_at(from + 2, 'e') &&
                                         hex_at(from + 3, 'f') && hex_at(from + 4, 'f')) ||
                                        (hex_at(from + 1, 'f') && hex_at(from + 2, 'f') &&
                                         hex_at(from + 3, 'f') && hex_at(from + 4, 'e')));
  if ((to - from) % 2 != 0 || utf16 || (*bytes)[from - 1] == '<' || (*bytes)[from] != '<' ||
      (*bytes)[to - 1] != '>' ||
      !std::all_of(bytes->begin() + from + 1, bytes->begin() + to - 1,
                   [](char c) { return kHexDigit[static_cast<unsigned char>(c)]; })) {
    return nullptr;
  }
  std::string nonce;
  try {
    std::random_device random;
    for (int i = 0; i < 4; ++i) {
      const uint32_t word = random();
      for (int k = 0; k < 4; ++k) nonce.push_back(static_cast<char>((word >> (8 * k)) & 0xff));
    }
  } catch (const std::exception&) {  // no entropy source: the revision's own parse
    return nullptr;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string replaced = bytes->substr(0, from + 1);
  for (char c : nonce) {
    replaced.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xf]);
    replaced.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
  }
  replaced.append(*bytes, to - 1);
  try {
    PoDoFo::PdfRefCountedInputDevice device(replaced.data(), replaced.size());
    PoDoFo::PdfRefCountedBuffer buffer(4096);  // PoDoFo's parser's own token buffer size
    auto parsed = std::make_unique<PoDoFo::PdfParserObject>(&objects, device, buffer, 0);
    parsed->ParseFile(nullptr);  // the header, then the object as delayed loading reads it
    // The parse must have stopped short of where the bytes given end (a token ending there, or
    // a look-ahead at it, might read on in the revision, or in what PoDoFo's device adds).
    if (device.Device()->Tell() + 2 >= static_cast<PoDoFo::pdf_long>(replaced.size())) {
      return nullptr;
    }
    if (!(parsed->Reference() == ref) || start + parsed->GetOffset() != body ||
        !parsed->IsDictionary() || parsed->HasStreamToParse()) {
      return nullptr;
    }
    const PoDoFo::PdfObject* contents = parsed->GetDictionary().GetKey("Contents");
    if (contents == nullptr || !contents->IsHexString() ||
        contents->GetString().GetLength() != static_cast<PoDoFo::pdf_long>(nonce.size()) ||
        std::memcmp(contents->GetString().GetString(), nonce.data(), nonce.size()) != 0) {
      return nullptr;
    }
    if (used != nullptr) *used = *gap;
    return parsed;
  } catch (const PoDoFo::PdfError&) {
    return nullptr;
  }
}

const PoDoFo::PdfObject* SignatureDictionaries::Get(const PoDoFo::PdfReference& ref,
                                                    ByteRange* used) {
  if (!parse_) return nullptr;
  auto it = parsed_.find(ref);
  if (it == parsed_.end()) {
    Entry entry;
    entry.object = parse_(ref, &entry.used);
    it = parsed_.emplace(ref, std::move(entry)).first;
  }
  if (it->second.object && used != nullptr) *used = it->second.used;
  return it->second.object.get();
}

const PoDoFo::PdfObject* SignatureDictionaries::Peek(const PoDoFo::PdfReference& ref) const {
  const auto it = parsed_.find(ref);
  return it != parsed_.end() ? it->second.object.get() : nullptr;
}

const PoDoFo::PdfObject* SignatureDictionaries::ValueOf(PoDoFo::PdfVecObjects& objects,
                                                        const PoDoFo::PdfObject* field) {
  if (field == nullptr || !field->IsDictionary()) return nullptr;
  const PoDoFo::PdfObject* v = field->GetDictionary().GetKey("V");
  if (v != nullptr && v->IsReference()) {
    if (const PoDoFo::PdfObject* parsed = Get(v->GetReference())) return parsed;
  }
  // As revision_diff.cc's Resolve: a reference chain of at most 8 links.
  const PoDoFo::PdfObject* r = v;
  for (int i = 0; r && r->IsReference() && i < 8; ++i) r = objects.GetObject(r->GetReference());
  return r && r->IsReference() ? nullptr : r;
}

}  // namespace taicho::pdf
