// Test support: independent checkers (tools we did not write) run on signed PDFs.
#pragma once

#include <set>
#include <string>

namespace taicho::testing {

// pdfsig's report (poppler). Valid means every signature says "Signature is Valid." and the
// count matches; whole_document means the last one says "Total document signed".
struct PdfsigReport {
  int exit_code = -1;
  int signatures = 0;
  int valid = 0;
  bool last_covers_whole_document = false;
  std::string output;
};
PdfsigReport RunPdfsig(const std::string& pdf, const std::string& nss_dir = {});

// qpdf --check exit status 0 (and no warnings unless allowed).
bool QpdfCheckPasses(const std::string& pdf, std::string* output = nullptr);

// Extracts every signature's CMS and signed bytes (by parsing /ByteRange with a simple scanner
// independent of our pdf/ code) and runs `openssl cms -verify -binary -purpose any` against
// `ca_file`. Returns the number verified; fills `output` with openssl's messages.
int OpensslVerifyAll(const std::string& pdf, const std::string& ca_file, std::string* output);

// Object numbers defined ("N G obj" at a line start) in the bytes of `path` from offset `from` on:
// independent of our writer's own bookkeeping.
std::set<int> ObjectsDefinedAfter(const std::string& path, size_t from);

// Every object number of a file's current revision, as `qpdf --show-xref` sees it.
std::set<int> ObjectsOf(const std::string& path);

// The objects of `before` that the update turning it into `after` (a file that starts with
// `before`'s bytes) defines again.
std::set<int> Redefined(const std::string& before, const std::string& after);

}  // namespace taicho::testing
