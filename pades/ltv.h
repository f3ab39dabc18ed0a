// PAdES B-LT and B-LTA: validation data in the DSS (ETSI EN 319 142-1 §5.4) and document
// time-stamps in incremental updates after the signatures: a DSS alone (B-LT), a document
// time-stamp alone, or both in one update (B-LTA and its renewals).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/env.h"
#include "pdf/pdf_file.h"
#include "revocation/revocation_client.h"
#include "signer/bytes.h"
#include "tsa/tsa_client.h"

namespace taicho::signer {
class CertificateCache;  // signer/certificate_cache.h
}  // namespace taicho::signer

namespace taicho::pades {

struct LtvOptions {
  const revocation::RevocationClient* revocation = nullptr;  // required; not owned
  // Certificates that complete the chains the file carries (the roots): added to /Certs and
  // used to find issuers.
  std::vector<Bytes> extra_certs;
  // When a certificate's status cannot be fetched: fail (REVOCATION_UNAVAILABLE), or add what
  // was found and list the problem.
  bool fail_when_unavailable = true;
  // The clock the revocation answers are judged by (not owned). nullptr: Env::Default().
  const Env* env = nullptr;
  // Keeps the certificates parsed between DSS updates (not owned; thread-safe): the owner's, e.g.
  // the revocation client's (RevocationClient::certificates()). nullptr: parsed for this call.
  signer::CertificateCache* certificates = nullptr;
  // kAtomicOnly when the caller syncs the output itself (a scratch file the store adopts, or
  // one that is only input to the next update): the DSS update then costs no disk flushes.
  pdf::Durability output_durability = pdf::Durability::kSynced;
};

struct CertificateStatusLine {
  std::string subject;  // RFC 2253
  std::string status;   // "good", "revoked", "unknown", "unavailable"
  std::string source;   // "ocsp", "crl", + " (cache)"
};

struct LtvResult {
  size_t certs_added = 0, ocsps_added = 0, crls_added = 0;
  int64_t dss_bytes = 0;         // size of the DSS update
  int64_t network_requests = 0;  // HTTP requests made for it (0 with a warm cache)
  std::vector<CertificateStatusLine> statuses;
  std::vector<std::string> problems;
};

// Writes `input_path` plus one DSS update to `output_path` (atomically): the certificates of
// every signature and time-stamp in the file (signers, their chains, TSAs, document time-stamps)
// and, for each certificate issued by another one known, its OCSP response or CRL, fetched now
// (or the revocation client's cached, already verified answer). Each certificate is parsed once
// per call at most (none with a warm options.certificates).
absl::StatusOr<LtvResult> AddValidationData(const std::string& input_path,
                                            const std::string& output_path,
                                            const LtvOptions& options);

struct DocTimeStampResult {
  std::string field_name;
  std::string tsa_url;
  std::string gen_time;  // ISO 8601 UTC
  size_t token_size = 0;
  int64_t file_size = 0;
  Bytes tsa_certificate_der;     // the token's signer: its expiry dates the archive's renewal
  std::string digest_algorithm;  // the token's message imprint's, e.g. "SHA-256" (so does it)
};

// B-LTA: appends a document time-stamp (/Type /DocTimeStamp /SubFilter /ETSI.RFC3161, an RFC
// 3161 token over the digest of the ByteRange) in its own update. The TSA policy's fallback is
// not honoured: no token is an error.
// `durability`: as LtvOptions::output_durability.
absl::StatusOr<DocTimeStampResult> AddDocumentTimeStamp(
    const std::string& input_path, const std::string& output_path, const tsa::TsaClient& tsa,
    pdf::Durability durability = pdf::Durability::kSynced);

struct ExtendResult {
  LtvResult ltv;
  DocTimeStampResult timestamp;
};

// B-LTA in one update: AddValidationData's DSS and AddDocumentTimeStamp's document time-stamp
// written together, so the time-stamp's ByteRange covers the DSS of its own revision (a DSS
// covered by a later document time-stamp, EN 319 142-1 §5.5.3, as pyHanko's archival renewal
// writes it). The file is parsed once and the TSA asked once. For a B-T or B-LT file (→ B-LTA)
// and for archive renewal of a B-LTA one (fresh data for everything in the file, the last
// document time-stamp's TSA chain included). Written as options.output_durability says.
absl::StatusOr<ExtendResult> AddValidationDataAndDocumentTimeStamp(const std::string& input_path,
                                                                   const std::string& output_path,
                                                                   const LtvOptions& options,
                                                                   const tsa::TsaClient& tsa);

}  // namespace taicho::pades
