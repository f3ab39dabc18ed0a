#include "tests/support/checkers.h"

#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/pki_fixture.h"

namespace taicho::testing {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// One signature's place in the file, read from its /ByteRange [a b c d].
struct ByteRange {
  uint64_t v[4];
};

bool IsPdfWhitespace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

// Parses "[a b c d]" at `pos` (after "/ByteRange"); deliberately knows nothing else about PDF.
std::optional<ByteRange> ParseByteRange(const std::string& pdf, size_t pos) {
  auto skip_ws = [&] {
    while (pos < pdf.size() && IsPdfWhitespace(pdf[pos])) ++pos;
  };
  skip_ws();
  if (pos >= pdf.size() || pdf[pos] != '[') return std::nullopt;
  ++pos;
  ByteRange range;
  for (uint64_t& value : range.v) {
    skip_ws();
    if (pos >= pdf.size() || !std::isdigit(static_cast<unsigned char>(pdf[pos]))) {
      return std::nullopt;
    }
    value = 0;
    while (pos < pdf.size() && std::isdigit(static_cast<unsigned char>(pdf[pos]))) {
      value = value * 10 + static_cast<uint64_t>(pdf[pos++] - '0');
      if (value > pdf.size()) return std::nullopt;
    }
  }
  skip_ws();
  if (pos >= pdf.size() || pdf[pos] != ']') return std::nullopt;
  return range;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> DecodeHex(const std::string& hex) {
  std::string bytes;
  int high = -1;
  for (char c : hex) {
    if (IsPdfWhitespace(c)) continue;
    int v = HexValue(c);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) bytes.push_back(static_cast<char>(high << 4));  // PDF: odd digit count pads 0
  return bytes;
}

// A BER/DER element header: where the contents start and how long they are. Signers may use
// BER indefinite lengths (NSS, hence pdfsig, does), so `length` is nullopt for those.
struct Tlv {
  uint8_t tag;
  size_t content;  // offset of the contents
  std::optional<size_t> length;
};

std::optional<Tlv> ReadTlv(const std::string& der, size_t pos) {
  if (pos + 2 > der.size()) return std::nullopt;
  Tlv tlv{static_cast<uint8_t>(der[pos]), pos + 2, static_cast<uint8_t>(der[pos + 1])};
  if ((tlv.tag & 0x1f) == 0x1f) return std::nullopt;  // high tag numbers: not used by CMS
  if (*tlv.length == 0x80) {
    if (!(tlv.tag & 0x20)) return std::nullopt;  // only constructed elements may be indefinite
    tlv.length.reset();
    return tlv;
  }
  if (*tlv.length & 0x80) {
    size_t count = *tlv.length & 0x7f;
    if (count > 4 || pos + 2 + count > der.size()) return std::nullopt;
    size_t length = 0;
    for (size_t i = 0; i < count; ++i) {
      length = length << 8 | static_cast<uint8_t>(der[pos + 2 + i]);
    }
    tlv.length = length;
    tlv.content += count;
  }
  if (tlv.content + *tlv.length > der.size()) return std::nullopt;
  return tlv;
}

// Offset just past the element at `pos`; follows indefinite lengths to their end-of-contents.
std::optional<size_t> ElementEnd(const std::string& der, size_t pos, int depth = 0) {
  std::optional<Tlv> tlv = ReadTlv(der, pos);
  if (!tlv || depth > 64) return std::nullopt;
  if (tlv->length) return tlv->content + *tlv->length;
  size_t child = tlv->content;
  while (child + 2 <= der.size()) {
    if (der[child] == '\0' && der[child + 1] == '\0') return child + 2;
    std::optional<size_t> end = ElementEnd(der, child, depth + 1);
    if (!end) return std::nullopt;
    child = *end;
  }
  return std::nullopt;
}

// The eContentType of a CMS ContentInfo { signedData, [0] SignedData { version,
// digestAlgorithms, encapContentInfo { eContentType, ... } } }, as raw OID contents.
std::optional<std::string> EContentType(const std::string& cms) {
  auto info = ReadTlv(cms, 0);
  if (!info) return std::nullopt;
  auto explicit0_at = ElementEnd(cms, info->content);  // skips the contentType OID
  auto explicit0 = explicit0_at ? ReadTlv(cms, *explicit0_at) : std::nullopt;
  auto signed_data = explicit0 ? ReadTlv(cms, explicit0->content) : std::nullopt;
  if (!signed_data) return std::nullopt;
  auto digests = ElementEnd(cms, signed_data->content);  // skips the version
  auto encap = digests ? ElementEnd(cms, *digests) : std::nullopt;
  auto encap_tlv = encap ? ReadTlv(cms, *encap) : std::nullopt;
  auto type = encap_tlv ? ReadTlv(cms, encap_tlv->content) : std::nullopt;
  if (!type || type->tag != 0x06 || !type->length) return std::nullopt;
  return cms.substr(type->content, *type->length);
}

// id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4): the CMS is an RFC 3161 token, i.e. a document
// time-stamp, whose signed bytes are checked through the token's message imprint.
const std::string kTstInfoOid("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x04", 11);

}  // namespace

PdfsigReport RunPdfsig(const std::string& pdf, const std::string& nss_dir) {
  std::string command = "pdfsig ";
  if (nss_dir.empty()) {
    command += "-nocert ";
  } else {
    command += "-nssdir " + Quote(StartsWith(nss_dir, "sql:") ? nss_dir : "sql:" + nss_dir) + " ";
  }
  CommandResult result = Run(command + Quote(pdf));

  PdfsigReport report;
  report.exit_code = result.exit_code;
  report.output = result.output;
  // poppler 22.12 prints one block per signature:
  //   Signature #1:
  //     - Signer Certificate Common Name: ...
  //     ...
  //     - Signature Validation: Signature is Valid.
  //     - Total document signed          (or "- Not total document signed")
  std::istringstream lines(result.output);
  std::string line;
  while (std::getline(lines, line)) {
    line = Trim(line);
    if (StartsWith(line, "Signature #")) {
      ++report.signatures;
      report.last_covers_whole_document = false;
    } else if (line == "- Signature Validation: Signature is Valid.") {
      ++report.valid;
    } else if (line == "- Total document signed") {
      report.last_covers_whole_document = true;
    }
  }
  return report;
}

bool QpdfCheckPasses(const std::string& pdf, std::string* output) {
  CommandResult result = Run("qpdf --check " + Quote(pdf));
  if (output != nullptr) *output = result.output;
  // Exit 3 ("warnings") counts as failure: qpdf warns only when it had to repair or guess
  // (broken xref, wrong /Length, bad offsets), which a correctly written incremental update
  // never needs, so no warning is harmless for us.
  return result.exit_code == 0;
}

int OpensslVerifyAll(const std::string& pdf, const std::string& ca_file, std::string* output) {
  std::string log;
  int verified = 0;
  std::optional<std::string> bytes = ReadFile(pdf);
  if (!bytes) {
    if (output != nullptr) *output = "cannot read " + pdf;
    return 0;
  }
  const std::string& file = *bytes;
  const std::string dir = MakeTempDir("openssl-verify");
  const std::string key = "/ByteRange";
  int index = 0;
  for (size_t at = file.find(key); at != std::string::npos; at = file.find(key, at + 1)) {
    ++index;
    log += "signature " + std::to_string(index) + ": ";
    std::optional<ByteRange> range = ParseByteRange(file, at + key.size());
    if (!range) {
      log += "unparsable /ByteRange\n";
      continue;
    }
    const auto [a, b, c, d] = range->v;
    // The gap must be exactly the /Contents hex string "<...>".
    if (a + b >= c || c + d > file.size() || file[a + b] != '<' || file[c - 1] != '>') {
      log += "/ByteRange does not frame a hex string\n";
      continue;
    }
    std::optional<std::string> padded = DecodeHex(file.substr(a + b + 1, c - 1 - (a + b + 1)));
    std::optional<size_t> end = padded ? ElementEnd(*padded, 0) : std::nullopt;
    if (!end) {
      log += "/Contents is not BER/DER\n";
      continue;
    }
    // /Contents is zero-padded to its reserved size; the encoding says where the CMS ends.
    const std::string cms = padded->substr(0, *end);
    const std::string sig = dir + "/sig" + std::to_string(index) + ".der";
    const std::string content = dir + "/content" + std::to_string(index) + ".bin";
    if (!WriteFile(sig, cms) || !WriteFile(content, file.substr(a, b) + file.substr(c, d))) {
      log += "cannot write files in " + dir + "\n";
      continue;
    }
    std::string command;
    if (EContentType(cms) == kTstInfoOid) {
      command = "openssl ts -verify -token_in -in " + Quote(sig) + " -data " + Quote(content) +
                " -CAfile " + Quote(ca_file);
    } else {
      command = "openssl cms -verify -binary -inform DER -in " + Quote(sig) + " -content " +
                Quote(content) + " -CAfile " + Quote(ca_file) + " -purpose any -out /dev/null";
    }
    CommandResult result = Run(command);
    log += (result.exit_code == 0 ? "verified" : "FAILED") + std::string("\n") + result.output;
    if (result.exit_code == 0) ++verified;
  }
  if (output != nullptr) *output = log;
  return verified;
}

namespace {
// The number that ends just before `end` in `s`, or -1.
int NumberBefore(const std::string& s, size_t end) {
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(s[begin - 1]))) --begin;
  return begin == end ? -1 : std::stoi(s.substr(begin, end - begin));
}
}  // namespace

std::set<int> ObjectsDefinedAfter(const std::string& path, size_t from) {
  const std::string all = ReadFileBytes(path);
  const std::string bytes = from < all.size() ? all.substr(from) : std::string();
  std::set<int> out;
  for (size_t at = bytes.find(" obj"); at != std::string::npos; at = bytes.find(" obj", at + 1)) {
    size_t gen_begin = at;
    while (gen_begin > 0 && std::isdigit(static_cast<unsigned char>(bytes[gen_begin - 1]))) {
      --gen_begin;
    }
    if (gen_begin == at || gen_begin < 2 || bytes[gen_begin - 1] != ' ') continue;
    const int number = NumberBefore(bytes, gen_begin - 1);
    size_t line = gen_begin - 1;
    while (line > 0 && std::isdigit(static_cast<unsigned char>(bytes[line - 1]))) --line;
    if (number >= 0 && (line == 0 || bytes[line - 1] == '\n' || bytes[line - 1] == '\r')) {
      out.insert(number);
    }
  }
  return out;
}

std::set<int> ObjectsOf(const std::string& path) {
  const CommandResult r = Run("qpdf --show-xref " + Quote(path));
  std::set<int> out;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    const size_t slash = line.find('/');
    if (slash != std::string::npos && slash > 0 && NumberBefore(line, slash) >= 0) {
      out.insert(NumberBefore(line, slash));
    }
  }
  return out;
}

std::set<int> Redefined(const std::string& before, const std::string& after) {
  const std::set<int> old = ObjectsOf(before);
  std::set<int> out;
  for (int n : ObjectsDefinedAfter(after, ReadFileBytes(before).size())) {
    if (old.count(n)) out.insert(n);
  }
  return out;
}

}  // namespace taicho::testing
