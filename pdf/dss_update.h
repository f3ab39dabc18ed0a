// The Document Security Store (ETSI EN 319 142-1 §5.4.2, ISO 32000-2 §12.8.4.3) in an incremental
// update: the catalog's /DSS with /Certs, /OCSPs and /CRLs arrays of DER streams, the validation
// data of PAdES B-LT/B-LTA. Knows PDF objects, nothing of certificates or OCSP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pdf/parsed_pdf.h"

namespace taicho::pdf {

using DerBlob = std::vector<uint8_t>;

struct DssContent {
  std::vector<DerBlob> certs;  // DER certificates
  std::vector<DerBlob> ocsps;  // DER OCSPResponse
  std::vector<DerBlob> crls;   // DER CertificateList
  // Read by ReadDss only (writers ignore them): where each OCSP response and CRL stream is
  // defined in the file, the byte offset of its object (or of the object stream holding it; 0
  // when unknown). A document time-stamp covers one when its ByteRange ends past that offset.
  std::vector<int64_t> ocsp_offsets, crl_offsets;
};

struct DssUpdateResult {
  size_t certs_added = 0, ocsps_added = 0, crls_added = 0;  // new streams (duplicates skipped)
  int64_t bytes_added = 0;                                  // size of the update
  int64_t file_size = 0;
};

// The DSS of the file's last revision (empty when it has none). kPdfUnreadable for unparsable
// files.
absl::StatusOr<DssContent> ReadDss(const std::string& path);
absl::StatusOr<DssContent> ReadDss(const ParsedPdf& pdf);

// Copies `input_path` to `out_fd` (an empty file) and appends one update: a stream per blob not
// already in the file's DSS, a new DSS dictionary whose arrays hold the earlier entries and the
// new ones, and the catalog redefined to point at it. Nothing else of earlier revisions is
// rewritten. Errors: kPdfUnreadable, kPdfEncrypted, kIo.
absl::StatusOr<DssUpdateResult> WriteDssUpdate(const std::string& input_path, int out_fd,
                                               const DssContent& add);
// The same over a file already parsed (its signatures were just read to build `add`): one parse
// instead of two. Reads `pdf` (not thread-safe with other readers of it) and does not change it.
absl::StatusOr<DssUpdateResult> WriteDssUpdate(const ParsedPdf& pdf, int out_fd,
                                               const DssContent& add);

}  // namespace taicho::pdf
