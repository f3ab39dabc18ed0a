// What every page and chart of deskweb/ shares: the one escape for text from documents, requests
// or the service, and how numbers and times are written for people (Vietnamese conventions).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "html/escape.h"

namespace taicho::deskweb {

// Text for HTML/SVG element content and quoted attribute values: the one escaping of every page.
using html::Escape;

// A query parameter's value percent-encoded (RFC 3986 unreserved characters kept, UTF-8 bytes
// encoded), for links that carry what a person typed ("UBND xã Long Phước & …").
std::string QueryValue(std::string_view text);

// Unix milliseconds as Vietnam wall-clock time, "14:05 05/12/2026"; "" for 0.
std::string VietnamMinute(int64_t unix_ms);

// A duration in milliseconds as "1 giờ 05 phút" / "12 phút" / "40 giây" (Vietnamese only: it
// sits beside English headings).
std::string DurationText(int64_t ms);

// A share 0..1 as "85 %" (Vietnamese writes a space before the sign).
std::string PercentText(double share);

}  // namespace taicho::deskweb
