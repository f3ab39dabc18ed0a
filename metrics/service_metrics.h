// What taichod counts for IT, and the Prometheus endpoint that shows it (/metrics, text format,
// served by prometheus-cpp's Exposer on its own address). The registry and every metric in it
// belong to one ServiceMetrics, made at start-up and living as long as the service; the callers
// (the gRPC prologue, the handlers that seal and print) see only the narrow calls below, never a
// Prometheus type, so nothing else depends on the library.
//
// Metrics (all prefixed taicho_):
//   grpc_calls_total{method,code,error}      counter   every call, by its gRPC code and the
//                                                      taicho error code ("" when OK)
//   grpc_call_duration_seconds{method}       histogram every call's time in the server
//   signatures_total{role,level}             counter   signatures stored, by role ("seal",
//                                                      "officer") and PAdES level ("B-LTA"…)
//   seal_duration_seconds                    histogram a server-side seal (SignDocument) from the
//                                                      call's start to the sealed revision stored
//   print_failures_total{job_state}          counter   print failures recorded (stopped, aborted,
//                                                      cancelled, timeout)
//   key_activated{key}                       gauge     1 while the server key is activated, read
//                                                      at each scrape
//   store_documents, store_revision_bytes    gauge     what the store holds, as last measured
//   store_writable                           gauge     1 when the last write probe passed
//   serving                                  gauge     1 while the health check says SERVING
//   pending_upgrades                         gauge     sealed documents below the signing
//                                                      policy's level (workflow/level_keeper.h)
//
// Thread-safe: every call may come from any thread at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace taicho::metrics {

// A server key's state, as the key gauge shows it.
struct KeyState {
  std::string name;
  bool activated = false;
};

class MetricsEndpoint;

class ServiceMetrics {
 public:
  ServiceMetrics();
  ~ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // One finished gRPC call: its method, gRPC status code name ("OK", "NOT_FOUND"…), taicho error
  // code ("" when OK) and time in the server.
  void CountCall(std::string_view method, std::string_view code, std::string_view error,
                 double seconds);
  // One signature stored: "seal" or "officer", and its PAdES level ("B-B" … "B-LTA").
  void CountSignature(std::string_view role, std::string_view level);
  // One server-side seal's time, from the call's start until the sealed revision was stored.
  void ObserveSealSeconds(double seconds);
  // One print failure recorded, by the state the printer ended in.
  void CountPrintFailure(std::string_view job_state);

  // Asked at each scrape for the keys' states (set once, before serving; may be empty).
  void SetKeySource(std::function<std::vector<KeyState>()> source);
  // What the store holds, as last measured: server/service_health.h's probe calls it every
  // [health] store_probe_seconds (default 15 s), so a scrape may read a value that old — the
  // price of a scrape that never waits for the store.
  void SetStoreSize(int64_t documents, int64_t revision_bytes);
  void SetStoreWritable(bool writable);
  void SetServing(bool serving);
  // Sealed documents whose PAdES level upgrade is pending, as the worker last counted.
  void SetPendingUpgrades(int64_t count);

  // Serves /metrics on `address` ("127.0.0.1:9464"; port 0: any free port) until the endpoint
  // is destroyed, which must happen before this object is. kConfigInvalid when the address is
  // not host:port, kIo when it cannot be listened on.
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Serve(const std::string& address);

 private:
  friend class MetricsEndpoint;
  struct Registry;
  std::shared_ptr<Registry> registry_;
};

// A listening /metrics endpoint (prometheus-cpp's Exposer and its CivetWeb threads).
class MetricsEndpoint {
 public:
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // The port listened on (the one chosen when the address asked for port 0).
  int port() const { return port_; }

 private:
  friend class ServiceMetrics;
  struct Exposer;
  MetricsEndpoint(std::unique_ptr<Exposer> exposer, int port);
  std::unique_ptr<Exposer> exposer_;
  int port_ = 0;
};

}  // namespace taicho::metrics
