// Test support: sample input PDFs.
#pragma once

#include <string>

namespace taicho::testing {

// Writes a plain PDF (classic xref table) with `pages` pages of Vietnamese text to `path`.
void WriteSamplePdf(const std::string& path, int pages = 2);

// qpdf rewrites: object streams + xref stream, and linearized.
void RewriteWithObjectStreams(const std::string& in, const std::string& out);
void Linearize(const std::string& in, const std::string& out);

}  // namespace taicho::testing
