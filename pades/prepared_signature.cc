// The prepared signature as a value that can be stored and completed by another process: its
// JSON (pdf_signer.cc holds the pipeline that makes and completes it).
#include <nlohmann/json.hpp>

#include "errors/error.h"
#include "pades/pdf_signer.h"

namespace taicho::pades {
namespace {

constexpr int kFormatVersion = 1;

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
  if (!unchecked_status.empty()) j["unchecked_status"] = unchecked_status;
  return j.dump(2);
}

absl::StatusOr<PreparedSignature> PreparedSignature::FromJson(
    const std::string& json, signer::CertificateCache* certificates) {
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
    p.unchecked_status = j.value("unchecked_status", std::string());
    absl::StatusOr<signer::PreparedCms> cms =
        signer::PreparedCms::FromJson(j.at("cms").dump(), certificates);
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

}  // namespace taicho::pades
