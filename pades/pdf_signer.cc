#include "pades/pdf_signer.h"

#include <unistd.h>

#include <ctime>

#include "errors/error.h"
#include "pades/range_digest.h"
#include "pades/signature_spec.h"
#include "pades/signer_check.h"
#include "pdf/pdf_file.h"

namespace taicho::pades {

absl::StatusOr<SignResult> SignPdf(const std::string& input_path, const std::string& output_path,
                                   signer::KeySigner& key, const SignOptions& options) {
  const std::vector<Bytes>& chain = key.CertificateChain();
  if (chain.empty()) return Error(ErrorCode::kCertificateNotFound);
  absl::StatusOr<pdf::SignatureFieldSpec> spec = MakeFieldSpec(chain, options);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<SignerCheck> check =
      CheckSignerCertificate(chain, options, static_cast<int64_t>(std::time(nullptr)));
  if (!check.ok()) return check.status();

  absl::StatusOr<pdf::AtomicFile> out =
      pdf::AtomicFile::Create(output_path, options.output_durability);
  if (!out.ok()) return out.status();
  // At most two passes: the second only when the CMS outgrew the estimate.
  for (int pass = 0; pass < 2; ++pass) {
    // Only a second pass truncates: on ext4 a truncated file is flushed when it is closed
    // (auto_da_alloc), a write-out per signature the new, empty file does not need.
    if (pass > 0 && ::ftruncate(out->fd(), 0) != 0) {
      return Error(ErrorCode::kIo, "cannot truncate output");
    }
    absl::StatusOr<FileSha256> file_sha = FileSha256::Start();
    if (!file_sha.ok()) return file_sha.status();
    absl::StatusOr<DigestedUpdate> written =
        WriteDigestedUpdate(input_path, *out, *spec, options.digest, &*file_sha);
    if (!written.ok()) return written.status();
    const pdf::PreparedUpdate* update = &written->update;
    signer::CmsRequest request{chain, options.digest, key.scheme(), written->digest};
    absl::StatusOr<Bytes> signed_cms = signer::SignCms(request, key);
    if (!signed_cms.ok()) return signed_cms.status();
    SignResult stamp;
    absl::StatusOr<Bytes> cms = AddTimeStamp(*std::move(signed_cms), options.tsa, &stamp);
    if (!cms.ok()) return cms.status();
    if (cms->size() > update->contents_capacity) {
      spec->contents_capacity = cms->size() + 4096;
      continue;
    }
    absl::Status st = pdf::EmbedContents(out->fd(), *update, *cms);
    if (!st.ok()) return st;
    absl::StatusOr<std::string> sha =
        file_sha->FinishFrom(out->fd(), out->temp_path(), update->byte_range[1]);
    if (!sha.ok()) return sha.status();
    st = out->Commit();
    if (!st.ok()) return st;
    SignResult result = MakeResult(*update, spec->signing_time, spec->appearance.kind, cms->size());
    result.file_sha256 = *std::move(sha);
    CopyTimeStamp(stamp, &result);
    CopySignerCheck(*check, &result);
    return result;
  }
  return Error(ErrorCode::kSignatureTooLarge);
}

}  // namespace taicho::pades
