// Private to server/: the structured fields of a call's log line, handed to the JSON formatter
// (server/json_log_formatter.h) beside the text message. spdlog formats on the logging thread
// (taichod's loggers are synchronous), so a thread-local pointer set around the one spdlog call
// reaches the formatter without going through the message text.
#pragma once

#include <string_view>

namespace taicho::server {

struct CallFields {
  std::string_view message;  // the JSON line's "msg": "call ok" / "call failed"
  std::string_view method;
  std::string_view document;  // the document id, "" when the call names none
  std::string_view resource;  // what the call acted on, as the text line names it
  std::string_view code;      // the gRPC status code's name ("OK", "NOT_FOUND"…)
  std::string_view error;     // the taicho error code, "" when OK
  double latency_ms = 0;
  std::string_view caller;
};

// The fields of the line being logged on this thread; null for every other line.
inline thread_local const CallFields* current_call_fields = nullptr;

// Sets current_call_fields for its scope (one spdlog call).
class ScopedCallFields {
 public:
  explicit ScopedCallFields(const CallFields* fields) { current_call_fields = fields; }
  ~ScopedCallFields() { current_call_fields = nullptr; }
  ScopedCallFields(const ScopedCallFields&) = delete;
  ScopedCallFields& operator=(const ScopedCallFields&) = delete;
};

}  // namespace taicho::server
