#include "vntime/vntime.h"

#include <ctime>

#include "absl/strings/str_format.h"

namespace taicho::vntime {
namespace {

CivilTime Civil(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
}

std::string IsoWithSuffix(const CivilTime& c, std::string_view suffix) {
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d%s", c.year, c.month, c.day, c.hour,
                         c.minute, c.second, suffix);
}

}  // namespace

CivilTime VietnamCivil(int64_t unix_seconds) { return Civil(unix_seconds + kUtcOffsetSeconds); }

int64_t VietnamDayNumber(int64_t unix_ms) {
  constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
  const int64_t local = unix_ms + kUtcOffsetMs;
  return local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;  // floor, also before 1970
}

std::string IsoUtc(int64_t unix_seconds) { return IsoWithSuffix(Civil(unix_seconds), "Z"); }

std::string IsoVietnam(int64_t unix_seconds) {
  return IsoWithSuffix(VietnamCivil(unix_seconds), "+07:00");
}

std::string PdfDateVietnam(int64_t unix_seconds) {
  const CivilTime c = VietnamCivil(unix_seconds);
  return absl::StrFormat("D:%04d%02d%02d%02d%02d%02d+07'00'", c.year, c.month, c.day, c.hour,
                         c.minute, c.second);
}

int64_t ParseIsoUtc(std::string_view text) {
  const std::string copy(text);  // strptime wants a terminated string
  std::tm tm{};
  if (strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace taicho::vntime
