// The verification code printed under a document's QR code and typed from paper on the public
// verification page: 100 random bits (OpenSSL RAND_bytes) as 20 Crockford base32 digits in five
// groups of four ("7K2M-Q9XD-0HFW-TR3N-B5CE"), so that it cannot be guessed or enumerated, as
// sequential numbers could (the original holds a citizen's personal data).
//
// Plain functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taicho::workflow {

inline constexpr int kVerificationCodeBits = 100;
inline constexpr int kVerificationCodeDigits = 20;  // 5 bits each
// Crockford's base32 alphabet: no I, L, O, U (read as 1, 1, 0 and left out), so nothing on
// paper reads as two different letters.
inline constexpr char kCrockfordAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// A fresh code in its printed form. Aborts when the OS random source fails (no weaker fallback).
std::string NewVerificationCode();

// A typed or scanned code in its printed form: case, spaces and hyphens ignored, O read as 0 and
// I, L as 1 (Crockford). nullopt when it cannot be one of ours (wrong length or a character
// outside the alphabet). Does the same work for every input of a given length.
std::optional<std::string> CanonicalVerificationCode(std::string_view typed);

}  // namespace taicho::workflow
