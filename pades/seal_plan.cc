#include "pades/seal_plan.h"

#include "env/env.h"
#include "errors/error.h"
#include "signer/timestamp_attribute.h"

namespace taicho::pades {

absl::StatusOr<SealPlan> PlanSeal(const std::vector<Bytes>& chain, const SignOptions& options,
                                  signer::CertificateCache* certificates) {
  if (chain.empty()) return Error(ErrorCode::kCertificateNotFound);
  // Checked before any file is written: the image and the font too.
  absl::Status checked = pdf::CheckAppearanceSpec(options.appearance);
  if (!checked.ok()) return checked;
  SealPlan plan;
  absl::StatusOr<signer::CertificateInfo> info =
      signer::DescribeCertificate(chain.front(), certificates);
  if (!info.ok()) return info.status();
  plan.certificate = *std::move(info);
  // One reading of the clock for the whole signature: the time it claims and the time its
  // certificate is checked at cannot straddle a second (or a notAfter).
  const Env& env = options.env != nullptr ? *options.env : Env::Default();
  const int64_t now = env.NowUnixSeconds();
  plan.signing_time = options.signing_time.value_or(now);

  pdf::SignatureFieldSpec& spec = plan.spec;
  spec.page_index = options.page_index;
  spec.field_name = options.field_name.empty()
                        ? std::string(pdf::DefaultFieldName(options.appearance.kind))
                        : options.field_name;
  spec.reason = options.reason;
  spec.location = options.location;
  spec.signer_name = plan.certificate.common_name;
  spec.rect = options.rect;
  spec.appearance = options.appearance;
  spec.signing_time = pdf::PdfDateVietnam(plan.signing_time);
  spec.contents_capacity = options.contents_capacity != 0
                               ? options.contents_capacity
                               : signer::EstimateCmsSize(chain, certificates);
  spec.certification = options.certification;
  spec.fills = options.fills;
  spec.lock_fields = options.lock_fields;
  spec.font_dir = options.font_dir;
  spec.drawings = options.drawings;

  absl::StatusOr<SignerCheck> check =
      CheckSignerCertificate(chain, plan.certificate, options, now, certificates);
  if (!check.ok()) return check.status();
  plan.check = *std::move(check);
  return plan;
}

pdf::RangeDigest RangeDigestOf(signer::DigestAlgorithm md) {
  switch (md) {
    case signer::DigestAlgorithm::kSha256:
      return pdf::RangeDigest::kSha256;
    case signer::DigestAlgorithm::kSha384:
      return pdf::RangeDigest::kSha384;
    case signer::DigestAlgorithm::kSha512:
      return pdf::RangeDigest::kSha512;
  }
  return pdf::RangeDigest::kSha256;
}

SignResult MakeResult(const pdf::PreparedUpdate& update, const std::string& signing_time,
                      pdf::AppearanceKind appearance, size_t cms_size) {
  SignResult r;
  r.field_name = update.field_name;
  r.signing_time = signing_time;
  r.cms_size = cms_size;
  r.reserved = update.contents_capacity;
  r.file_size = update.file_size;
  r.page_index = update.page_index;
  r.rect = update.rect;
  r.appearance = appearance;
  r.filled_existing_field = update.filled_existing_field;
  r.appearance_bytes = update.appearance_bytes;
  r.filled_fields = update.filled_fields;
  r.certification = update.certification;
  return r;
}

absl::StatusOr<Bytes> AddTimeStamp(signer::SignedCms cms, const tsa::TsaClient* tsa,
                                   SignResult* result) {
  if (tsa == nullptr) return cms.ToDer();
  const ByteSpan value = cms.signature_value();
  if (value.empty()) return Error(ErrorCode::kUsage, "the SignerInfo has no signature value");
  absl::StatusOr<tsa::TimeStampOutcome> outcome = tsa->TimeStamp(value);
  if (!outcome.ok()) return outcome.status();
  result->tsa_problems = outcome->problems;
  if (!outcome->stamped) return cms.ToDer();  // the policy allows B-B; the result says why
  // Added to the objects just signed: decoding the DER again would decode its certificates.
  absl::Status stamped = signer::AddSignatureTimeStamp(cms, outcome->token);
  if (!stamped.ok()) return stamped;
  absl::StatusOr<Bytes> der = cms.ToDer();
  if (!der.ok()) return der.status();
  result->level = "B-T";
  result->tsa_url = outcome->tsa_url;
  result->timestamp_time = outcome->info.gen_time_text;
  return der;
}

void CopyTimeStamp(const SignResult& from, SignResult* to) {
  to->level = from.level;
  to->tsa_url = from.tsa_url;
  to->timestamp_time = from.timestamp_time;
  to->tsa_problems = from.tsa_problems;
}

}  // namespace taicho::pades
