#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "pkcs11/module.h"

namespace taicho::cli {

void AddTokenCommands(CLI::App& app, Runner& run) {
  CLI::App* token = app.add_subcommand("token", "Thiết bị ký số (PKCS#11) / tokens");
  token->require_subcommand(1);
  CLI::App* list = token->add_subcommand("list", "Liệt kê khe và token / list slots and tokens");
  auto module = std::make_shared<std::string>();
  list->add_option("--module", *module, "Thư viện PKCS#11 / PKCS#11 module path")->required();
  list->callback([&run, module] {
    run = [module]() -> int {
      absl::StatusOr<std::shared_ptr<pkcs11::Module>> m = pkcs11::Module::Load(*module);
      if (!m.ok()) return Fail(m.status());
      absl::StatusOr<std::vector<pkcs11::TokenInfo>> slots = (*m)->ListSlots(false);
      if (!slots.ok()) return Fail(slots.status());
      std::printf("Số khe / Slots: %zu\n", slots->size());
      for (const pkcs11::TokenInfo& t : *slots) {
        std::printf("\nKhe / Slot %lu: %s\n", t.slot_id, t.slot_description.c_str());
        if (!t.token_present) {
          std::printf("  Chưa cắm token / No token present\n");
          continue;
        }
        if (!t.token_initialized) {
          std::printf("  Token chưa khởi tạo / Token not initialised\n");
          continue;
        }
        std::printf("  Nhãn / Label: %s\n", t.label.c_str());
        std::printf("  Số sê-ri / Serial: %s\n", t.serial.c_str());
        std::printf("  Nhà sản xuất / Manufacturer: %s\n", t.manufacturer.c_str());
        std::printf("  Mẫu / Model: %s\n", t.model.c_str());
        std::printf("  Cần đăng nhập / Login required: %s\n",
                    t.login_required ? "có / yes" : "không / no");
        if (t.pin_locked)
          std::printf("  PIN ĐÃ BỊ KHÓA / PIN LOCKED\n");
        else if (t.pin_final_try)
          std::printf("  Lần thử PIN cuối cùng / Final PIN try\n");
        else if (t.pin_count_low)
          std::printf("  Đã nhập sai PIN / PIN retries low\n");
      }
      return 0;
    };
  });
}

}  // namespace taicho::cli
