#include "deskweb/markup.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "vntime/vntime.h"

namespace taicho::deskweb {

std::string QueryValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += absl::StrFormat("%%%02X", u);
    }
  }
  return out;
}

std::string VietnamMinute(int64_t unix_ms) {
  if (unix_ms == 0) return "";
  const vntime::CivilTime t = vntime::VietnamCivil(unix_ms / 1000);
  return absl::StrFormat("%02d:%02d %02d/%02d/%04d", t.hour, t.minute, t.day, t.month, t.year);
}

std::string DurationText(int64_t ms) {
  const int64_t s = ms / 1000;
  if (s < 60) return absl::StrFormat("%d giây", s);
  const int64_t minutes = s / 60;
  if (minutes < 60) return absl::StrFormat("%d phút", minutes);
  return absl::StrFormat("%d giờ %02d phút", minutes / 60, minutes % 60);
}

std::string PercentText(double share) {
  return absl::StrFormat("%d %%", static_cast<int>(std::lround(share * 100)));
}

}  // namespace taicho::deskweb
