// PAdES signing of a PDF: one pipeline joining pdf/ (pdf::SignatureFile: the update with its
// placeholder, the digest of the signed ranges, embedding, the file's hash, the commit) and
// signer/ (the CMS). One-shot with a KeySigner (SignPdf), or split in two steps
// (PrepareSignature, CompleteSignature) that may run in different processes with the key
// somewhere else; SignPdf is those same steps on one open file, with the key at hand.
//
// Threads: the functions may run on any number of threads at once; what SignOptions points to
// (tsa, revocation, env, drawings) must be thread-safe and outlive the call. A KeySigner is used
// by one thread at a time (signer/key_signer.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/env.h"
#include "pdf/drawing_cache.h"
#include "pdf/pdf_file.h"
#include "pdf/signature_appearance.h"
#include "pdf/signature_update.h"
#include "revocation/revocation_client.h"
#include "signer/cms_builder.h"
#include "signer/key_signer.h"
#include "tsa/tsa_client.h"

namespace taicho::pades {

struct SignOptions {
  int page_index = 0;  // 0-based; an existing field keeps its own page
  // Empty: the appearance's default field ("officer", "seal") or else the next free "SignatureN".
  // An existing empty signature field of that name is filled (kUsage when already signed).
  std::string field_name;
  std::string reason;    // UTF-8 (Vietnamese), optional
  std::string location;  // UTF-8, optional
  signer::DigestAlgorithm digest = signer::DigestAlgorithm::kSha256;
  std::optional<int64_t> signing_time;  // Unix seconds; `env`'s now when unset. Written as /M.
  pdf::Rect rect;  // new field; zero: invisible (or, for an attachment, top right)
  // What the widget shows; drawn at prepare time with the same name (certificate CN) and time
  // as the signature's /Name and /M.
  pdf::AppearanceSpec appearance;
  // 0: the /Contents reservation is estimated from the chain. Otherwise the first reservation; one
  // that turns out too small makes SignPdf redo the update larger (tests use this).
  size_t contents_capacity = 0;
  // PAdES B-T: the signature value is time-stamped by this client (not owned; thread-safe, share
  // one per configuration). nullptr: B-B. Its policy says whether an unreachable TSA fails the
  // signing or falls back to B-B (then SignResult says so).
  const tsa::TsaClient* tsa = nullptr;
  // A certification signature with DocMDP P = 1, 2 or 3 (0: approval). The officer certifies a
  // draft with P = 2 so the issue step may fill the number and date and the agency may sign.
  int certification = 0;
  // Text fields filled in this signature's update (the issue step's number and date), drawn in
  // the fonts their /DA names from `font_dir`.
  std::vector<pdf::FieldFill> fills;
  // The signature locks every form field (pdf::SignatureFieldSpec::lock_fields). The issue step
  // sets it with its fills: once issued, the number and date must not change.
  bool lock_fields = false;
  std::string font_dir = pdf::kDefaultFontDir;
  // Before signing, the signer's certificate must be within its validity (CERT_EXPIRED,
  // CERT_NOT_YET_VALID) and, with `revocation` (not owned, thread-safe), not revoked or unknown
  // to its CA (CERT_REVOKED, CERT_STATUS_UNKNOWN), asked now. When no responder or CRL answers:
  // REVOCATION_UNAVAILABLE, or sign anyway when `sign_when_revocation_unavailable` (the result
  // says so).
  const revocation::RevocationClient* revocation = nullptr;
  bool sign_when_revocation_unavailable = false;
  // How the output file is committed: kAtomicOnly when the caller makes it durable itself (the
  // workflow's scratch files, which the store fsyncs when it adopts them).
  pdf::Durability output_durability = pdf::Durability::kSynced;
  // The clock, read once per signature: the signing time when `signing_time` is unset and the
  // time the certificate is checked at (not owned). nullptr: Env::Default().
  const Env* env = nullptr;
  // Drawings kept between signatures (seal image, digit subsets of the fills; not owned,
  // pdf/drawing_cache.h). nullptr: every signature draws afresh (the same bytes, more CPU).
  pdf::DrawingCache* drawings = nullptr;
  // The chain's certificates kept parsed between signatures (not owned, thread-safe; e.g. a
  // server's for its officers' chains). nullptr: SignPdf uses the key's own
  // (KeySigner::certificates), PrepareSignature parses afresh.
  signer::CertificateCache* certificates = nullptr;
};

struct SignResult {
  std::string field_name;
  std::string signing_time;  // as written in /M
  size_t cms_size = 0;
  size_t reserved = 0;  // /Contents capacity in bytes
  int64_t file_size = 0;
  std::string file_sha256;  // of the whole output file, lowercase hex (SignPdf only)
  int page_index = 0;
  pdf::Rect rect;  // where the widget is (empty: invisible)
  pdf::AppearanceKind appearance = pdf::AppearanceKind::kNone;
  bool filled_existing_field = false;
  size_t appearance_bytes = 0;            // what the appearance's objects add to the file
  size_t filled_fields = 0;               // text fields filled in the same update
  int certification = 0;                  // DocMDP P of a certification signature, else 0
  std::string level = "B-B";              // "B-T" when a signature time-stamp was embedded
  std::string tsa_url;                    // the TSA that answered (redacted)
  std::string timestamp_time;             // its genTime, ISO 8601 UTC
  std::vector<std::string> tsa_problems;  // failed attempts, also when it fell back to B-B
  // The signer's certificate as checked before signing: "good" or "not checked"; where the
  // answer came from ("ocsp", "crl", "ocsp (cache)"); why it was not (fully) checked.
  std::string signer_status = "not checked";
  std::string signer_status_source;
  std::vector<std::string> revocation_problems;
};

// Signs `input_path` into `output_path` (written atomically; the input is never changed).
// When the CMS turns out larger than the reservation the update is redone with a larger one.
absl::StatusOr<SignResult> SignPdf(const std::string& input_path, const std::string& output_path,
                                   signer::KeySigner& key, const SignOptions& options);

// A prepared signature: a PDF with an empty placeholder plus every input of the CMS, fixed.
struct PreparedSignature {
  std::string prepared_pdf;  // path of the PDF with the placeholder
  pdf::PreparedUpdate update;
  signer::PreparedCms cms;
  std::string signing_time;
  pdf::AppearanceKind appearance = pdf::AppearanceKind::kNone;  // already drawn in the PDF
  // Why the signer's certificate status was not checked before the signature was prepared (a
  // seal prepared during a responder outage); "" when it was or none was asked. The preparer's
  // note, kept with the signature so whoever completes it records it.
  std::string unchecked_status;

  // The exact bytes the key must sign (DER of the signed attributes).
  const Bytes& BytesToSign() const { return cms.signed_attributes; }
  std::string ToJson() const;
  // `certificates` (optional, not owned): as PreparedCms::FromJson's.
  static absl::StatusOr<PreparedSignature> FromJson(
      const std::string& json, signer::CertificateCache* certificates = nullptr);
};

// Step 1: writes the PDF with the placeholder to `prepared_pdf_path` (atomically) and fixes the
// CMS inputs. `chain` starts with the signer's certificate.
absl::StatusOr<PreparedSignature> PrepareSignature(const std::string& input_path,
                                                   const std::string& prepared_pdf_path,
                                                   std::vector<Bytes> chain,
                                                   signer::SignatureScheme scheme,
                                                   const SignOptions& options);

// Step 2: checks the prepared PDF is unchanged (kStateInvalid otherwise) and the value verifies
// with the signer's certificate (kSignatureValueInvalid), then writes the signed PDF to
// `output_path` atomically.
// With `tsa`, the signature value is time-stamped (B-T) before embedding; the reservation made
// at prepare time holds a token of a few kilobytes.
// `certificates` (optional, not owned) as SignOptions::certificates.
absl::StatusOr<SignResult> CompleteSignature(
    const PreparedSignature& prepared, ByteSpan signature_value, const std::string& output_path,
    const tsa::TsaClient* tsa = nullptr,
    pdf::Durability output_durability = pdf::Durability::kSynced,
    signer::CertificateCache* certificates = nullptr);

}  // namespace taicho::pades
