// Verification of every signature in a PDF, with a report in Vietnamese and English.
// (Integrity, signer and chain at this stage; revocation, time-stamps and change analysis come
// with the long-term validation work.)
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pades/change_analysis.h"
#include "revocation/evidence.h"
#include "signer/certificate_cache.h"

namespace taicho::pades {

struct SignatureReport {
  std::string field_name;
  std::string sub_filter;
  std::string signing_time;  // /M
  std::string signer_name;   // certificate CN
  std::string signer_subject;
  std::string signer_issuer;
  std::string signer_serial;
  std::string digest_algorithm;
  std::string signature_algorithm;
  bool byte_range_ok = false;  // well-formed and frames this signature's /Contents
  bool digest_ok = false;
  bool signature_ok = false;
  bool signing_certificate_ok = false;
  bool covers_whole_file = false;
  // Algorithms of the signature that the verifier refuses (ETSI TS 119 312: SHA-1, MD5… as the
  // digest or in the signature algorithm), e.g. "SHA-1 (digest)". The bytes are still checked
  // with them when OpenSSL can: intact but refused is INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE,
  // not a broken signature.
  std::vector<std::string> refused_algorithms;
  std::optional<bool> chain_trusted;  // set when trust anchors were configured
  // Set when a certificate of the chain has expired by now but the chain held at the time the
  // signature time-stamp proves (ISO 8601 UTC): the chain was judged then (long-term validation).
  std::string chain_validated_at;
  bool certificate_expired = false;  // expired by now, with no time-stamp proving an earlier time
  // The signature time-stamp (B-T), checked when trust anchors are configured (the TSA must chain
  // to them too): its genTime (ISO 8601 UTC) and TSA; timestamp_ok unset when absent or unchecked.
  std::optional<bool> timestamp_ok;
  std::string timestamp_time;
  std::string timestamp_tsa;
  // Revocation of the signer's (for a document time-stamp: the TSA's) certificate at the time
  // the time-stamp proves (else now), from the DSS or, with an online client, fetched:
  // "good", "revoked", "unknown"; "" when no data. Revoked before that time fails the signature.
  std::string revocation_status;
  std::string revocation_source;  // "DSS OCSP", "DSS CRL", "online OCSP", "online CRL"
  std::string revocation_time;    // ISO 8601 UTC, when the certificate was (later) revoked
  // Where the DSS answer used is defined in the file (byte offset; 0 when none or unknown), and
  // where the revision this signature signs ends (ByteRange[2] + [3]): the answer counts for
  // B-LTA only under a document time-stamp whose revision holds it (pades/baseline_level.h).
  int64_t revocation_offset = 0;
  int64_t revision_end = 0;
  // What the updates after this signature changed (pades/change_analysis.h); a change that is
  // not permitted fails the signature. certification_p: DocMDP P when this signature certifies.
  std::optional<int> certification_p;
  int docmdp_in_force = 0;  // strictest certification P in force for it, 0 for none
  std::vector<DetectedChange> changes_after;
  bool changes_permitted = true;
  std::vector<std::string> problems;  // English, for operators
  // Information that fails nothing (Vietnamese / English): e.g. a valid CMS signature that is not
  // a PAdES baseline one (ESS signing-certificate v1, no signed attributes, adbe.pkcs7.detached).
  std::vector<std::string> notes;
  // The name the page draws for this signature (pdf/drawn_names.h: its caption, else the signer
  // block's name centred under its field) against signer_name (identity/names.h): "match",
  // "mismatch", or "none" when the page draws no name for it (a seal, an invisible signature).
  // Information: it changes no indication.
  std::string page_name_check = "none";
  std::string page_name;

  // ETSI EN 319 102-1 style: "TOTAL-PASSED", "TOTAL-FAILED" or "INDETERMINATE", with a
  // sub-indication such as "HASH_FAILURE" (empty when passed).
  std::string indication;
  std::string sub_indication;
};

struct VerificationReport {
  std::vector<SignatureReport> signatures;
  // About the document as a whole (Vietnamese / English), e.g. a signature of an earlier
  // revision that the final one no longer lists. Any of them fails all_passed().
  std::vector<std::string> problems;
  // About the document as a whole, worth a reader's attention but no failure (Vietnamese /
  // English), e.g. padding after the last revision that belongs to no revision.
  std::vector<std::string> warnings;
  bool all_passed() const;     // at least one signature, all TOTAL-PASSED, no document problem
  std::string ToText() const;  // Vietnamese with English alongside
  std::string ToJson() const;
};

// The most revisions a configuration may allow (the cross-reference reader follows no more).
inline constexpr int kMaxRevisionsCeiling = 4096;

struct VerifyOptions {
  // PEM bundle of trusted roots; without it the chain is not judged and the best outcome is
  // INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND.
  std::string trust_anchors_pem;
  // Optional, not owned: revocation data missing from the DSS is fetched with it.
  const revocation::StatusSource* online = nullptr;
  // More revisions (incremental updates) than this: kPdfTooManyRevisions, before any parsing.
  int max_revisions = 1000;
  // Optional: asked between signatures and while reading large files; true stops verifying with
  // kCancelled (the caller gave up or its deadline passed, or the server is shutting down).
  std::function<bool()> cancelled;
  // Optional, not owned: certificates parsed once for a caller that verifies many files with the
  // same chains (a print station, a benchmark); without it each VerifyPdf call keeps its own.
  signer::CertificateCache* certificates = nullptr;
};

// Cost: linear in the file's size for each signature (its byte ranges are hashed) and in the
// number of revisions for each signature (its revision is read and compared with the last).
absl::StatusOr<VerificationReport> VerifyPdf(const std::string& path, const VerifyOptions& options);
// The same with the trust anchors and the online source only.
absl::StatusOr<VerificationReport> VerifyPdf(const std::string& path,
                                             const std::string& trust_anchors_pem = {},
                                             const revocation::StatusSource* online = nullptr);

}  // namespace taicho::pades
