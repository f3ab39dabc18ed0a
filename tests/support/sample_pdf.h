// Test support: sample input PDFs.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace taicho::testing {

// Writes a plain PDF (classic xref table) with `pages` pages of Vietnamese text to `path`.
void WriteSamplePdf(const std::string& path, int pages = 2);

// A PDF of about `megabytes` MiB: one sample page, then pages of uncompressed noise images
// (incompressible, like scanned attachments), as bench/make_large_pdf writes.
void WriteLargePdf(const std::string& path, int megabytes);

// An empty signature field as taicho's draft renderer leaves it for the signing steps.
struct EmptySignatureField {
  std::string name;  // "officer", "seal"
  int page_index = 0;
  double left = 0, bottom = 0, right = 0, top = 0;  // PDF user space
};

// Like WriteSamplePdf, plus unsigned signature fields: merged field + widget dictionaries with
// /FT /Sig, /Subtype /Widget, /F 4, /Rect and /P, listed in /AcroForm /Fields and the page's
// /Annots, without /V or /AP. `sig_flags` 0 leaves /SigFlags out of the AcroForm. Returns each
// field's object number by name.
std::map<std::string, int> WriteSamplePdfWithEmptyFields(
    const std::string& path, int pages, const std::vector<EmptySignatureField>& fields,
    int sig_flags = 3);

// qpdf rewrites: object streams + xref stream, and linearized.
void RewriteWithObjectStreams(const std::string& in, const std::string& out);
void Linearize(const std::string& in, const std::string& out);

}  // namespace taicho::testing
