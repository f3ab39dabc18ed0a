#include "server/json_log_formatter.h"

#include <spdlog/details/log_msg.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "server/log_fields.h"

namespace taicho::server {
namespace {

// UTC, milliseconds, RFC 3339.
std::string Rfc3339(std::chrono::system_clock::time_point time) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[40];
  const size_t n = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, sizeof out - n, ".%03dZ", static_cast<int>(ms % 1000));
  return out;
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line;
  line["time"] = Rfc3339(msg.time);
  const auto level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  line["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
  line["thread"] = msg.thread_id;
  if (const CallFields* call = current_call_fields) {
    // A call's line: what a collector filters and aggregates on, each in its own field.
    line["msg"] = std::string(call->message);
    line["method"] = std::string(call->method);
    if (!call->document.empty()) line["document"] = std::string(call->document);
    if (!call->resource.empty()) line["resource"] = std::string(call->resource);
    line["code"] = std::string(call->code);
    if (!call->error.empty()) line["error"] = std::string(call->error);
    line["latency_ms"] = std::round(call->latency_ms * 1000) / 1000;
    line["caller"] = std::string(call->caller);
  } else {
    line["msg"] = std::string(msg.payload.data(), msg.payload.size());
  }
  // Invalid UTF-8 (a label from a vendor module) is replaced, never allowed to throw.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace taicho::server
