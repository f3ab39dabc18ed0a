// The split flow: prepare in one process, sign elsewhere (the officer's token), complete later.
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pades/pdf_signer.h"
#include "pades/range_digest.h"
#include "pades/signature_spec.h"
#include "pades/signer_check.h"
#include "pdf/pdf_file.h"

namespace taicho::pades {
namespace {

constexpr int kFormatVersion = 1;

// The placeholder must still be all zeros: nothing was embedded in the prepared file yet.
absl::Status CheckPlaceholderEmpty(const PreparedSignature& p) {
  absl::StatusOr<std::string> gap =
      pdf::ReadAt(p.prepared_pdf, p.update.contents_offset, p.update.contents_capacity * 2 + 2);
  if (!gap.ok()) return gap.status();
  if (gap->size() != p.update.contents_capacity * 2 + 2 || gap->front() != '<' ||
      gap->back() != '>' || gap->find_first_not_of('0', 1) != gap->size() - 1) {
    return Error(ErrorCode::kStateInvalid, "the prepared PDF's placeholder is not empty");
  }
  return absl::OkStatus();
}

}  // namespace

std::string PreparedSignature::ToJson() const {
  nlohmann::json j;
  j["format"] = "taicho.prepared-signature";
  j["version"] = kFormatVersion;
  j["prepared_pdf"] = prepared_pdf;
  j["signing_time"] = signing_time;
  j["field_name"] = update.field_name;
  j["byte_range"] = {update.byte_range[0], update.byte_range[1], update.byte_range[2],
                     update.byte_range[3]};
  j["contents_offset"] = update.contents_offset;
  j["contents_capacity"] = update.contents_capacity;
  j["file_size"] = update.file_size;
  // Not needed to complete (the appearance is already in the prepared PDF), kept so the result
  // reports where the signature shows.
  j["page_index"] = update.page_index;
  j["rect"] = {update.rect.left, update.rect.bottom, update.rect.right, update.rect.top};
  j["appearance"] = std::string(pdf::AppearanceKindName(appearance));
  j["filled_existing_field"] = update.filled_existing_field;
  j["filled_fields"] = update.filled_fields;
  j["certification"] = update.certification;
  j["cms"] = nlohmann::json::parse(cms.ToJson());
  return j.dump(2);
}

absl::StatusOr<PreparedSignature> PreparedSignature::FromJson(const std::string& json) {
  PreparedSignature p;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kStateInvalid, "not JSON");
  }
  try {
    if (j.at("format").get<std::string>() != "taicho.prepared-signature" ||
        j.at("version").get<int>() != kFormatVersion) {
      return Error(ErrorCode::kStateInvalid, "unknown format or version");
    }
    p.prepared_pdf = j.at("prepared_pdf").get<std::string>();
    p.signing_time = j.at("signing_time").get<std::string>();
    p.update.field_name = j.at("field_name").get<std::string>();
    const auto& br = j.at("byte_range");
    if (!br.is_array() || br.size() != 4) return Error(ErrorCode::kStateInvalid, "byte_range");
    for (int i = 0; i < 4; ++i) p.update.byte_range[i] = br[i].get<int64_t>();
    p.update.contents_offset = j.at("contents_offset").get<int64_t>();
    p.update.contents_capacity = j.at("contents_capacity").get<size_t>();
    p.update.file_size = j.at("file_size").get<int64_t>();
    // Optional: states written before appearances existed have none of these.
    p.update.page_index = j.value("page_index", 0);
    if (j.contains("rect")) {
      const auto& rect = j.at("rect");
      if (!rect.is_array() || rect.size() != 4) return Error(ErrorCode::kStateInvalid, "rect");
      p.update.rect = {rect[0].get<double>(), rect[1].get<double>(), rect[2].get<double>(),
                       rect[3].get<double>()};
    }
    absl::StatusOr<pdf::AppearanceKind> kind =
        pdf::ParseAppearanceKind(j.value("appearance", std::string("none")));
    if (!kind.ok()) return Error(ErrorCode::kStateInvalid, "appearance");
    p.appearance = *kind;
    p.update.filled_existing_field = j.value("filled_existing_field", false);
    p.update.filled_fields = j.value("filled_fields", size_t{0});
    p.update.certification = j.value("certification", 0);
    absl::StatusOr<signer::PreparedCms> cms = signer::PreparedCms::FromJson(j.at("cms").dump());
    if (!cms.ok()) return cms.status();
    p.cms = *std::move(cms);
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorCode::kStateInvalid, e.what());
  }
  const pdf::ByteRange& r = p.update.byte_range;
  if (r[0] != 0 || r[1] != p.update.contents_offset ||
      r[2] != r[1] + 2 + 2 * static_cast<int64_t>(p.update.contents_capacity) ||
      r[2] + r[3] != p.update.file_size) {
    return Error(ErrorCode::kStateInvalid, "inconsistent byte range");
  }
  return p;
}

absl::StatusOr<PreparedSignature> PrepareSignature(const std::string& input_path,
                                                   const std::string& prepared_pdf_path,
                                                   std::vector<Bytes> chain,
                                                   signer::SignatureScheme scheme,
                                                   const SignOptions& options) {
  if (chain.empty()) return Error(ErrorCode::kCertificateNotFound);
  absl::StatusOr<pdf::SignatureFieldSpec> spec = MakeFieldSpec(chain, options);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<SignerCheck> check =
      CheckSignerCertificate(chain, options, static_cast<int64_t>(std::time(nullptr)));
  if (!check.ok()) return check.status();
  absl::StatusOr<pdf::AtomicFile> out =
      pdf::AtomicFile::Create(prepared_pdf_path, options.output_durability);
  if (!out.ok()) return out.status();
  absl::StatusOr<DigestedUpdate> written =
      WriteDigestedUpdate(input_path, *out, *spec, options.digest);
  if (!written.ok()) return written.status();
  const pdf::PreparedUpdate* update = &written->update;
  absl::StatusOr<signer::PreparedCms> cms =
      signer::PrepareCms({std::move(chain), options.digest, scheme, written->digest});
  if (!cms.ok()) return cms.status();
  absl::Status st = out->Commit();
  if (!st.ok()) return st;
  PreparedSignature prepared;
  prepared.prepared_pdf = prepared_pdf_path;
  prepared.update = *update;
  prepared.cms = *std::move(cms);
  prepared.signing_time = spec->signing_time;
  prepared.appearance = spec->appearance.kind;
  return prepared;
}

absl::StatusOr<SignResult> CompleteSignature(const PreparedSignature& prepared,
                                             ByteSpan signature_value,
                                             const std::string& output_path,
                                             const tsa::TsaClient* tsa,
                                             pdf::Durability output_durability) {
  // Check the value first: a wrong key must not cost a file copy.
  absl::StatusOr<Bytes> completed = signer::CompleteCms(prepared.cms, signature_value);
  if (!completed.ok()) return completed.status();
  SignResult stamp;
  absl::StatusOr<Bytes> cms = AddTimeStamp(*std::move(completed), tsa, &stamp);
  if (!cms.ok()) return cms.status();
  if (cms->size() > prepared.update.contents_capacity) {
    return Error(ErrorCode::kSignatureTooLarge, "prepare again");
  }
  // Work on a private copy so the bytes checked are the bytes signed.
  absl::StatusOr<pdf::AtomicFile> out = pdf::AtomicFile::Create(output_path, output_durability);
  if (!out.ok()) return out.status();
  absl::StatusOr<int64_t> copied = pdf::CopyFileTo(prepared.prepared_pdf, out->fd());
  if (!copied.ok()) return copied.status();
  if (*copied != prepared.update.file_size) {
    return Error(ErrorCode::kStateInvalid, "the prepared PDF changed size");
  }
  PreparedSignature copy_view = prepared;
  copy_view.prepared_pdf = out->temp_path();
  absl::Status st = CheckPlaceholderEmpty(copy_view);
  if (!st.ok()) return st;
  absl::StatusOr<Bytes> digest = DigestByteRange(
      out->fd(), out->temp_path(), prepared.update.byte_range, prepared.cms.request.digest);
  if (!digest.ok()) return digest.status();
  if (*digest != prepared.cms.request.content_digest) {
    return Error(ErrorCode::kStateInvalid, "the prepared PDF changed since it was prepared");
  }
  st = pdf::EmbedContents(out->fd(), prepared.update, *cms);
  if (!st.ok()) return st;
  st = out->Commit();
  if (!st.ok()) return st;
  SignResult result =
      MakeResult(prepared.update, prepared.signing_time, prepared.appearance, cms->size());
  CopyTimeStamp(stamp, &result);
  return result;
}

}  // namespace taicho::pades
