// One pipeline for every signature, in three steps:
//   1. Open: the plan (seal_plan.h: certificate, time, appearance, fills, check) and the update
//      with its placeholder written and digested by pdf::SignatureFile;
//   2. the CMS over that digest: with the key at hand (SignPdf) or by the caller between
//      PrepareSignature and CompleteSignature;
//   3. Finish: the CMS (time-stamped) embedded, the file hashed and committed by pdf/.
// One-pass signing is steps 1-3 in one call on one open file; split signing commits the file of
// step 1 empty and reopens a checked copy of it for step 3.
#include "pades/pdf_signer.h"

#include "errors/error.h"
#include "pades/seal_plan.h"
#include "pdf/signature_file.h"

namespace taicho::pades {
namespace {

struct OpenedSignature {
  SealPlan plan;
  pdf::SignatureFile file;
};

absl::StatusOr<OpenedSignature> Open(const std::string& input_path, const std::string& output_path,
                                     const std::vector<Bytes>& chain, const SignOptions& options,
                                     signer::CertificateCache* certificates, bool hash_file) {
  absl::StatusOr<SealPlan> plan = PlanSeal(chain, options, certificates);
  if (!plan.ok()) return plan.status();
  absl::StatusOr<pdf::SignatureFile> file =
      pdf::SignatureFile::Write(input_path, output_path, options.output_durability, plan->spec,
                                RangeDigestOf(options.digest), hash_file);
  if (!file.ok()) return file.status();
  return OpenedSignature{*std::move(plan), *std::move(file)};
}

// `cms` (time-stamped as `stamp` records) into the placeholder, the file committed.
absl::StatusOr<SignResult> Finish(pdf::SignatureFile& file, const Bytes& cms,
                                  const SignResult& stamp, const std::string& signing_time,
                                  pdf::AppearanceKind appearance) {
  absl::StatusOr<std::string> sha = file.Commit(cms);
  if (!sha.ok()) return sha.status();
  SignResult result = MakeResult(file.update(), signing_time, appearance, cms.size());
  result.file_sha256 = *std::move(sha);
  CopyTimeStamp(stamp, &result);
  return result;
}

}  // namespace

absl::StatusOr<SignResult> SignPdf(const std::string& input_path, const std::string& output_path,
                                   signer::KeySigner& key, const SignOptions& options) {
  const std::vector<Bytes>& chain = key.CertificateChain();
  signer::CertificateCache* certificates =
      options.certificates != nullptr ? options.certificates : key.certificates();
  absl::StatusOr<OpenedSignature> opened =
      Open(input_path, output_path, chain, options, certificates, /*hash_file=*/true);
  if (!opened.ok()) return opened.status();
  SealPlan& plan = opened->plan;
  pdf::SignatureFile& file = opened->file;
  // At most two passes: the second only when the CMS outgrew the estimate.
  for (int pass = 0; pass < 2; ++pass) {
    if (pass > 0) {
      absl::Status st = file.Rewrite(input_path, plan.spec);
      if (!st.ok()) return st;
    }
    // The key is here: the CMS is built once, signed and finished in one call (PrepareCms and
    // CompleteCms would build it twice).
    signer::CmsRequest request{chain, options.digest, key.scheme(), file.digest()};
    absl::StatusOr<signer::SignedCms> signed_cms = signer::SignSignedCms(request, key);
    if (!signed_cms.ok()) return signed_cms.status();
    SignResult stamp;
    absl::StatusOr<Bytes> cms = AddTimeStamp(*std::move(signed_cms), options.tsa, &stamp);
    if (!cms.ok()) return cms.status();
    if (cms->size() > file.update().contents_capacity) {
      plan.spec.contents_capacity = cms->size() + 4096;
      continue;
    }
    absl::StatusOr<SignResult> result =
        Finish(file, *cms, stamp, plan.spec.signing_time, plan.spec.appearance.kind);
    if (!result.ok()) return result.status();
    CopySignerCheck(plan.check, &*result);
    return result;
  }
  return Error(ErrorCode::kSignatureTooLarge);
}

absl::StatusOr<PreparedSignature> PrepareSignature(const std::string& input_path,
                                                   const std::string& prepared_pdf_path,
                                                   std::vector<Bytes> chain,
                                                   signer::SignatureScheme scheme,
                                                   const SignOptions& options) {
  absl::StatusOr<OpenedSignature> opened = Open(input_path, prepared_pdf_path, chain, options,
                                                options.certificates, /*hash_file=*/false);
  if (!opened.ok()) return opened.status();
  pdf::SignatureFile& file = opened->file;
  absl::StatusOr<signer::PreparedCms> cms = signer::PrepareCms(
      {std::move(chain), options.digest, scheme, file.digest()}, options.certificates);
  if (!cms.ok()) return cms.status();
  absl::Status st = file.CommitPrepared();
  if (!st.ok()) return st;
  PreparedSignature prepared;
  prepared.prepared_pdf = prepared_pdf_path;
  prepared.update = file.update();
  prepared.cms = *std::move(cms);
  prepared.signing_time = opened->plan.spec.signing_time;
  prepared.appearance = opened->plan.spec.appearance.kind;
  return prepared;
}

absl::StatusOr<SignResult> CompleteSignature(const PreparedSignature& prepared,
                                             ByteSpan signature_value,
                                             const std::string& output_path,
                                             const tsa::TsaClient* tsa,
                                             pdf::Durability output_durability,
                                             signer::CertificateCache* certificates) {
  // Check the value first: a wrong key must not cost a file copy.
  absl::StatusOr<signer::SignedCms> completed =
      signer::CompleteSignedCms(prepared.cms, signature_value, certificates);
  if (!completed.ok()) return completed.status();
  SignResult stamp;
  absl::StatusOr<Bytes> cms = AddTimeStamp(*std::move(completed), tsa, &stamp);
  if (!cms.ok()) return cms.status();
  if (cms->size() > prepared.update.contents_capacity) {
    return Error(ErrorCode::kSignatureTooLarge, "prepare again");
  }
  absl::StatusOr<pdf::SignatureFile> file = pdf::SignatureFile::Reopen(
      prepared.prepared_pdf, prepared.update, output_path, output_durability,
      RangeDigestOf(prepared.cms.request.digest), prepared.cms.request.content_digest);
  if (!file.ok()) return file.status();
  return Finish(*file, *cms, stamp, prepared.signing_time, prepared.appearance);
}

}  // namespace taicho::pades
