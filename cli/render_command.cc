#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "errors/error.h"
#include "render/document_data.h"
#include "render/document_kind.h"
#include "render/document_renderer.h"

namespace taicho::cli {
namespace {

struct RenderArgs {
  std::string kind;
  std::string data;
  std::string out;
  std::string kinds_dir = render::DefaultKindsDir();
  std::string font_dir = render::RenderOptions().font_dir;
  double seal_diameter_mm = render::RenderOptions().seal_diameter_mm;
  bool list = false;
  bool json = false;
};

nlohmann::json RectJson(const render::PageRect& r) {
  return {
      {"page", r.page_index + 1}, {"x", r.x}, {"y", r.y}, {"width", r.width}, {"height", r.height}};
}

std::string RectText(const render::PageRect& r) {
  return absl::StrFormat("trang / page %d, x=%.1f y=%.1f, %.1f × %.1f pt", r.page_index + 1, r.x,
                         r.y, r.width, r.height);
}

int RunRender(const RenderArgs& a) {
  if (a.list) {
    for (const std::string& id : render::ListKinds(a.kinds_dir)) {
      absl::StatusOr<render::DocumentKind> kind = render::LoadKind(a.kinds_dir, id);
      std::printf("%-28s %s\n", id.c_str(),
                  kind.ok() ? kind->name.c_str() : std::string(kind.status().message()).c_str());
    }
    return 0;
  }
  if (a.kind.empty() || a.data.empty() || a.out.empty()) {
    return Fail(Error(ErrorCode::kUsage,
                      "cần --kind, --data và --out / --kind, --data and --out "
                      "are required"));
  }
  absl::StatusOr<render::DocumentKind> kind = render::LoadKind(a.kinds_dir, a.kind);
  if (!kind.ok()) return Fail(kind.status());
  absl::StatusOr<render::DocumentData> data = render::LoadDocumentFile(a.data, *kind);
  if (!data.ok()) return Fail(data.status());
  render::RenderOptions options;
  options.output_path = a.out;
  options.font_dir = a.font_dir;
  options.seal_diameter_mm = a.seal_diameter_mm;
  absl::StatusOr<render::RenderedDocument> doc = render::RenderDocument(*kind, *data, options);
  if (!doc.ok()) return Fail(doc.status());
  if (a.json) {
    nlohmann::json j = {{"path", doc->path},
                        {"pages", doc->page_count},
                        {"bytes", doc->file_size},
                        {"officer_field", RectJson(doc->signature_area)},
                        {"seal_field", RectJson(doc->seal_area)}};
    if (doc->qr_area) j["qr"] = RectJson(*doc->qr_area);
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("Đã tạo văn bản / rendered: %s (%d trang / pages, %ju byte)\n", doc->path.c_str(),
              doc->page_count, doc->file_size);
  std::printf("  Ô chữ ký người có thẩm quyền / officer signature field \"%s\": %s\n",
              render::kOfficerField, RectText(doc->signature_area).c_str());
  std::printf("  Ô con dấu / seal field \"%s\": %s\n", render::kSealField,
              RectText(doc->seal_area).c_str());
  if (doc->number_blank || doc->date_blank) {
    std::printf(
        "  Số và ngày để trống, điền khi ban hành / number and date left blank for issue\n");
  }
  return 0;
}

}  // namespace

void AddRenderCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<RenderArgs>();
  CLI::App* cmd =
      app.add_subcommand("render",
                         "Tạo văn bản PDF theo Nghị định 30/2020/NĐ-CP từ dữ liệu JSON / render a "
                         "Decree 30 document to PDF from JSON data");
  cmd->add_option("--kind", args->kind, "Loại văn bản, ví dụ quyet-dinh-ubnd / document kind");
  cmd->add_option("--data", args->data, "Tệp dữ liệu JSON / JSON data file");
  cmd->add_option("--out", args->out, "Tệp PDF đầu ra / output PDF");
  cmd->add_option("--kinds-dir", args->kinds_dir,
                  "Thư mục mẫu loại văn bản / directory of document kinds")
      ->capture_default_str();
  cmd->add_option("--font-dir", args->font_dir,
                  "Thư mục phông Liberation Serif / Liberation Serif directory")
      ->capture_default_str();
  cmd->add_option("--seal-diameter-mm", args->seal_diameter_mm,
                  "Đường kính con dấu thật (mm) / real seal diameter (mm)")
      ->capture_default_str();
  cmd->add_flag("--list-kinds", args->list, "Liệt kê loại văn bản / list document kinds");
  cmd->add_flag("--json", args->json, "Kết quả JSON / JSON output");
  cmd->callback([args, &run] { run = [args] { return RunRender(*args); }; });
}

}  // namespace taicho::cli
