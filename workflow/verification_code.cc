#include "workflow/verification_code.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace taicho::workflow {
namespace {

constexpr int kGroup = 4;
constexpr size_t kMaxTyped = 64;  // a code with spaces and hyphens is far shorter

// The printed form of 20 digits: groups of four joined by hyphens.
std::string Grouped(const std::string& digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && i % kGroup == 0) out.push_back('-');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

std::string NewVerificationCode() {
  unsigned char bytes[(kVerificationCodeBits + 7) / 8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) abort();
  // 13 bytes = 104 bits; the digits take the first 100.
  std::string digits;
  digits.reserve(kVerificationCodeDigits);
  for (int i = 0; i < kVerificationCodeDigits; ++i) {
    int value = 0;
    for (int b = 0; b < 5; ++b) {
      const int bit = i * 5 + b;
      value = (value << 1) | ((bytes[bit / 8] >> (7 - bit % 8)) & 1);
    }
    digits.push_back(kCrockfordAlphabet[value]);
  }
  return Grouped(digits);
}

std::optional<std::string> CanonicalVerificationCode(std::string_view typed) {
  if (typed.size() > kMaxTyped) return std::nullopt;
  std::string digits;
  bool bad = false;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    const bool digit = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'U');
    bad |= !digit;
    digits.push_back(c);
  }
  if (bad || digits.size() != static_cast<size_t>(kVerificationCodeDigits)) return std::nullopt;
  return Grouped(digits);
}

}  // namespace taicho::workflow
