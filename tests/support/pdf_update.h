// Test support: incremental updates written by hand and appended to a PDF, the way an attacker
// (or another tool) would change a signed file. Reads the file with PoDoFo and writes the bytes
// itself, independent of taicho's pdf/ code.
#pragma once

#include <podofo/podofo.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace taicho::testing {

// What an update needs to know of the current revision.
struct RevisionFacts {
  int catalog = 0;
  int pages_root = 0;
  std::vector<int> pages;     // page object numbers, in order
  std::vector<int> contents;  // each page's first content stream (0 when none)
  int size = 0;               // trailer /Size: the next free object number
  int64_t file_size = 0;
};
RevisionFacts ReadRevisionFacts(const std::string& path);

// The current value of a non-stream object after `edit` (PoDoFo's object model), as PDF syntax
// for an update body.
std::string EditedObject(const std::string& path, int number,
                         const std::function<void(PoDoFo::PdfObject&)>& edit);

// "<< /Length n [extra] >>\nstream\n<data>\nendstream"
std::string StreamObject(const std::string& data, const std::string& extra_keys = {});

// Appends "N 0 obj … endobj" for each of `objects` and a classic xref section for them plus
// `repointed` (number → byte offset of an "N 0 obj" already in the file: an xref-only change),
// with /Prev, /Root, /Info and /ID of the previous trailer. Returns the offset where the update
// starts (the old end of file).
int64_t AppendUpdate(const std::string& path, const std::map<int, std::string>& objects,
                     const std::map<int, int64_t>& repointed = {});

}  // namespace taicho::testing
