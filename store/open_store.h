// Which store taichod opens: the embedded SQLite one (default) or the shared PostgreSQL one,
// chosen by taichod.toml's `store` (or --store).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace taicho::store {

// `url` empty or "sqlite": OpenSqliteStore(dir). "postgresql://…" or "postgres://…":
// OpenPgStore(url, dir), `dir` then holding only scratch files and a blob cache. Anything else:
// kConfigInvalid.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url, const std::string& dir);

// "sqlite" or "postgresql": what a log line may say about `url` (never the URL: it may carry a
// password).
std::string StoreKind(const std::string& url);

}  // namespace taicho::store
