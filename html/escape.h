// HTML text: the one escaping every page of taicho uses (the public verification page, the
// officer's approval page, the desk's pages), so that a value from a document, a certificate or
// a request can never become markup. Pure; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace taicho::html {

// `text` with & < > " ' replaced by entities: safe in element content and in quoted attributes.
std::string Escape(std::string_view text);

}  // namespace taicho::html
