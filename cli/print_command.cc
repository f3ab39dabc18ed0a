// taicho print-copy: the print rendition of a signed PDF (print/print_rendition.h).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "errors/error.h"
#include "print/print_rendition.h"

namespace taicho::cli {
namespace {

struct PrintCopyArgs {
  std::string in;
  std::string out;
  print::ConversionMark mark;
  print::PrintOptions options;
};

int RunPrintCopy(const PrintCopyArgs& a) {
  absl::StatusOr<print::PrintRendition> r =
      print::MakePrintRendition(a.in, a.out, a.mark, a.options);
  if (!r.ok()) return Fail(r.status());
  std::printf(
      "Đã tạo bản in / print rendition written: %s (%d trang / pages, %d hình chữ ký / "
      "signature appearances, %ju byte)\n  Người chuyển đổi / converted by: %s, lúc / at %s\n",
      r->path.c_str(), r->page_count, r->flattened_appearances,
      static_cast<uintmax_t>(r->file_size), a.mark.officer.c_str(), r->time_iso.c_str());
  return 0;
}

}  // namespace

void AddPrintCopyCommand(CLI::App& app, Runner& run) {
  auto [cmd, args] = AddCommand<PrintCopyArgs>(
      app, run, "print-copy",
      "Tạo bản in từ văn bản điện tử đã ký (Luật Giao dịch điện tử 2023, Điều 12); tệp đã ký "
      "không bị thay đổi / make the print rendition of a signed PDF; the signed file is unchanged",
      RunPrintCopy);
  cmd->add_option("signed", args->in, "Tệp PDF đã ký / signed PDF")->required();
  cmd->add_option("--out", args->out, "Tệp bản in / rendition PDF")->required();
  cmd->add_option("--officer", args->mark.officer,
                  "Họ tên người chuyển đổi / converting officer's name")
      ->required();
  cmd->add_option("--reference", args->mark.reference,
                  "Mã tra cứu văn bản / verification reference")
      ->required();
  cmd->add_option("--url", args->mark.url,
                  "Địa chỉ tra cứu trong mã QR (mặc định: mã tra cứu) / URL the QR code carries");
  cmd->add_option("--wording", args->mark.wording,
                  "Lời dấu chuyển đổi / the conversion mark's wording")
      ->capture_default_str();
  cmd->add_option("--system", args->mark.system_name,
                  "Tên hệ thống lưu bản gốc / the system holding the original")
      ->capture_default_str();
  cmd->add_option("--font-dir", args->options.font_dir,
                  "Thư mục phông Liberation Serif / Liberation Serif directory")
      ->capture_default_str();
}

}  // namespace taicho::cli
