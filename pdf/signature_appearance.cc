#include "pdf/signature_appearance.h"

#include <cctype>
#include <cmath>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "pdf/appearance_builder.h"

namespace taicho::pdf {

absl::StatusOr<AppearanceKind> ParseAppearanceKind(std::string_view name) {
  if (name == "officer") return AppearanceKind::kOfficer;
  if (name == "seal") return AppearanceKind::kSeal;
  if (name == "attachment") return AppearanceKind::kAttachment;
  if (name.empty() || name == "none") return AppearanceKind::kNone;
  return Error(ErrorCode::kUsage,
               absl::StrCat("kiểu hiển thị chữ ký phải là officer, seal hoặc attachment / "
                            "appearance must be officer, seal or attachment: ",
                            std::string(name)));
}

std::string_view AppearanceKindName(AppearanceKind kind) {
  switch (kind) {
    case AppearanceKind::kOfficer:
      return "officer";
    case AppearanceKind::kSeal:
      return "seal";
    case AppearanceKind::kAttachment:
      return "attachment";
    case AppearanceKind::kNone:
      break;
  }
  return "none";
}

std::string_view DefaultFieldName(AppearanceKind kind) {
  switch (kind) {
    case AppearanceKind::kOfficer:
      return "officer";
    case AppearanceKind::kSeal:
      return "seal";
    default:
      return "";
  }
}

absl::Status CheckAppearanceSpec(const AppearanceSpec& spec) {
  const bool needs_image =
      spec.kind == AppearanceKind::kOfficer || spec.kind == AppearanceKind::kSeal;
  if (needs_image) {
    if (spec.image_path.empty() && spec.image_png == nullptr) {
      return Error(ErrorCode::kUsage,
                   "cần ảnh PNG chữ ký/con dấu (--image) / a PNG image is required (--image)");
    }
    absl::StatusOr<PngFile> png = SpecPng(spec);
    if (!png.ok()) return png.status();
  }
  if (spec.kind == AppearanceKind::kSeal &&
      !(spec.seal_diameter_mm >= 10 && spec.seal_diameter_mm <= 100)) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("đường kính con dấu phải từ 10 đến 100 mm / the seal diameter must "
                              "be 10 to 100 mm: ",
                              spec.seal_diameter_mm));
  }
  if (spec.kind == AppearanceKind::kAttachment && spec.document_number.empty()) {
    return Error(ErrorCode::kUsage,
                 "cần số, ký hiệu văn bản chính (--doc-number) / the main document's number and "
                 "symbol are required (--doc-number)");
  }
  const bool needs_font = spec.kind == AppearanceKind::kAttachment ||
                          (spec.kind == AppearanceKind::kOfficer && spec.caption);
  if (needs_font) {
    if (!std::ifstream(spec.font_path, std::ios::binary)) {
      return Error(ErrorCode::kIo, absl::StrCat("không đọc được phông chữ / cannot read the font: ",
                                                spec.font_path));
    }
    if (!(spec.font_size >= 4 && spec.font_size <= 72)) {
      return Error(ErrorCode::kUsage, "font size out of range (4-72 pt)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Iso8601FromPdfDate(std::string_view pdf_date) {
  const std::string date(pdf_date);
  // D:YYYYMMDDHHmmSS followed by Z or +HH'mm' / -HH'mm' (the form PdfDateVietnam writes).
  auto digits = [&](size_t at, size_t n) {
    if (at + n > date.size()) return false;
    for (size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(date[i]))) return false;
    }
    return true;
  };
  if (date.substr(0, 2) != "D:" || !digits(2, 14)) {
    return Error(ErrorCode::kInternal, absl::StrCat("not a full PDF date: ", date));
  }
  std::string iso =
      absl::StrCat(date.substr(2, 4), "-", date.substr(6, 2), "-", date.substr(8, 2), "T",
                   date.substr(10, 2), ":", date.substr(12, 2), ":", date.substr(14, 2));
  const std::string zone = date.substr(16);
  if (zone == "Z" || zone == "Z00'00'") return iso + "Z";
  if (zone.size() >= 6 && (zone[0] == '+' || zone[0] == '-') && digits(17, 2) && zone[3] == '\'' &&
      digits(20, 2)) {
    return absl::StrCat(iso, zone.substr(0, 3), ":", zone.substr(4, 2));
  }
  return Error(ErrorCode::kInternal, absl::StrCat("PDF date without a time zone: ", date));
}

}  // namespace taicho::pdf
