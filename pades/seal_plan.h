// Private to pades/: what every signature fixes once, before any file is written — the signer's
// certificate described, the one signing time, the PDF field spec (appearance, fills) and the
// check of the certificate — and the small steps one-pass and split signing share around it.
// Threads: any; a SealPlan is a plain value owned by the signature being made.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pades/pdf_signer.h"
#include "pades/signer_check.h"
#include "pdf/signature_file.h"
#include "signer/certificate_info.h"
#include "signer/cms_builder.h"

namespace taicho::pades {

// The prepared value of one signature, before any file exists.
struct SealPlan {
  signer::CertificateInfo certificate;  // chain.front(), described once per signature
  int64_t signing_time = 0;             // Unix seconds: /M and the time the appearance shows
  pdf::SignatureFieldSpec spec;         // signer name, time, appearance, fills, capacity
  SignerCheck check;                    // the certificate checked at the env's now
};

// `chain` starts with the signer's certificate. The clock (options.env) is read once: the
// signing time is options.signing_time or that reading, and the certificate is checked at that
// reading. Errors: kCertificateNotFound, kCertificateInvalid, the appearance's (kUsage, kIo) and
// the check's (signer_check.h). `certificates` (optional, not owned) keeps the chain parsed.
absl::StatusOr<SealPlan> PlanSeal(const std::vector<Bytes>& chain, const SignOptions& options,
                                  signer::CertificateCache* certificates);

pdf::RangeDigest RangeDigestOf(signer::DigestAlgorithm md);

// The result of a signature written with `update`.
SignResult MakeResult(const pdf::PreparedUpdate& update, const std::string& signing_time,
                      pdf::AppearanceKind appearance, size_t cms_size);

// B-T: time-stamps the signature value of `cms` with `tsa` (if any) and embeds the token; returns
// the DER. `cms` is the one just signed, held as objects: nothing is decoded again. Records the
// level, TSA and problems in `result`. Errors as the client's policy says.
absl::StatusOr<Bytes> AddTimeStamp(signer::SignedCms cms, const tsa::TsaClient* tsa,
                                   SignResult* result);
// Copies what AddTimeStamp recorded.
void CopyTimeStamp(const SignResult& from, SignResult* to);

}  // namespace taicho::pades
