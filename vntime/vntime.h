// Time as taicho writes and reads it: Vietnam time (UTC+7) for what people read (documents,
// register, print renditions), ISO 8601 UTC for what reports and logs compare, and the PDF date
// form (ISO 32000-1 §7.9.4) for signature dictionaries. The one place the offset is written.
//
// Pure functions of their arguments (no clock, no locale, no time-zone database): safe on any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace taicho::vntime {

// Vietnam has kept UTC+7 all year since 1975, with no daylight saving time: a fixed offset, so
// no time-zone database is consulted (nor can a missing one change a document's date).
inline constexpr int64_t kUtcOffsetSeconds = 7 * 3600;
inline constexpr int64_t kUtcOffsetMs = kUtcOffsetSeconds * 1000;

// A wall-clock reading: month 1–12, day 1–31.
struct CivilTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// The wall clock in Vietnam at a Unix time.
CivilTime VietnamCivil(int64_t unix_seconds);

// The calendar day number (days since 1970-01-01) in Vietnam at a Unix time in milliseconds:
// two times fall on the same Vietnamese day when these are equal.
int64_t VietnamDayNumber(int64_t unix_ms);

// "2026-11-29T02:30:45Z".
std::string IsoUtc(int64_t unix_seconds);

// "2026-11-29T09:30:45+07:00": the same instant as Vietnam reads it.
std::string IsoVietnam(int64_t unix_seconds);

// "D:20261129093045+07'00'": a PDF date in Vietnam time.
std::string PdfDateVietnam(int64_t unix_seconds);

// "2026-11-29T02:30:45Z" (a fraction of a second, a "Z" or nothing may follow the seconds) to
// Unix seconds, read as UTC; 0 when the text does not start with such a date and time.
int64_t ParseIsoUtc(std::string_view text);

}  // namespace taicho::vntime
