// spdlog output as one JSON object a line (--log-format json), for log collectors:
// {"time":"2026-11-29T02:49:25.123Z","level":"info","logger":"taichod","thread":123,"msg":"…"}.
// The message is escaped as a JSON string, so a quote or newline in it cannot break the line.
// A call's line (server/call_log.h) carries its method, document, resource, code, error,
// latency_ms and caller as fields, and a short "msg".
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace taicho::server {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace taicho::server
