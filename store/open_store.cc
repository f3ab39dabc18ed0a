#include "store/open_store.h"

#include "absl/strings/match.h"
#include "errors/error.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace taicho::store {
namespace {

bool IsPostgres(const std::string& url) {
  return absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url, const std::string& dir) {
  if (url.empty() || url == "sqlite") return OpenSqliteStore(dir);
  if (IsPostgres(url)) return OpenPgStore(url, dir);
  return Error(ErrorCode::kConfigInvalid,
               "store: give \"sqlite\" or a \"postgresql://…\" URL / kho lưu trữ: \"sqlite\" "
               "hoặc URL \"postgresql://…\"");
}

std::string StoreKind(const std::string& url) { return IsPostgres(url) ? "postgresql" : "sqlite"; }

}  // namespace taicho::store
