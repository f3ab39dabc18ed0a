// The register of issued documents as people read it: the number with its symbol, and the CSV
// export for spreadsheet programs.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace taicho::workflow {

// "05/QĐ-UBND": the number with the leading zero Decree 30 asks below 10, and the symbol.
std::string NumberSymbol(const store::RegisterEntry& entry);

// RFC 4180 (fields quoted when they hold a comma, quote or line break; CRLF line ends), UTF-8
// with a byte-order mark so spreadsheet programs do not read Vietnamese as Windows-1252, a
// header row in Vietnamese. Times in ISO 8601, Vietnam time; certificate subjects as their CN.
std::string RegisterCsv(const std::vector<store::RegisterEntry>& entries);

}  // namespace taicho::workflow
