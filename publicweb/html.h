// The public verification page's HTML: every page of publicweb/ is made here, and every text that
// comes from a document, a file or a request goes through Escape (the one place that escapes).
// Vietnamese first, English alongside. No script, no outside asset: the only other resource is
// the style sheet the site serves itself (kStyleSheet).
//
// Plain functions over values, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "html/escape.h"
#include "workflow/public_view.h"

namespace taicho::publicweb {

// Text for HTML element content and quoted attribute values: the one escaping of every page.
using html::Escape;

extern const char kStyleSheet[];

// `base` is the site's path prefix ("/v"): links and forms point under it.
std::string DocumentPage(const std::string& base, const workflow::PublicDocument& doc);
std::string HomePage(const std::string& base);
std::string UploadResultPage(const std::string& base, const workflow::PublicVerdict& verdict,
                             int64_t size);
// An error page: a title and a sentence, each Vietnamese / English.
std::string MessagePage(const std::string& base, std::string_view title, std::string_view text);

}  // namespace taicho::publicweb
