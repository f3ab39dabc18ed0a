// The document service's health as gRPC's health check (grpc.health.v1) reports it, and the
// gauges /metrics shows beside it. SERVING needs both: a server key activated when any is
// configured (no seal can be made without one), and a store that takes writes (probed every
// `probe_interval` by writing, syncing and removing a small work file: Store::ProbeWritable).
// The store's size is measured by the same probe, so a scrape never waits for the store.
//
// Owns one thread (the probe), from Start until Stop or destruction. KeysChanged and
// StoreFailed may be called from any thread (the gRPC handlers): the first re-reads the keys at
// once, the second wakes the probe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "keyring/key_ring.h"
#include "metrics/service_metrics.h"
#include "store/store.h"

namespace grpc {
class HealthCheckServiceInterface;
}

namespace taicho::server {

class ServiceHealth {
 public:
  // `store`, `keys` (null: no server keys) and `metrics` (null: none) must outlive this object.
  ServiceHealth(store::Store& store, keyring::KeyRing* keys, metrics::ServiceMetrics* metrics,
                std::chrono::seconds probe_interval);
  ~ServiceHealth();  // Stop()
  ServiceHealth(const ServiceHealth&) = delete;
  ServiceHealth& operator=(const ServiceHealth&) = delete;

  // Probes the store once, reports `service`'s status to `health` (the server's; must outlive
  // Stop), then starts the probe thread.
  void Start(grpc::HealthCheckServiceInterface* health, std::string service);
  // Stops the probe thread (before the server goes away); later changes are not reported.
  void Stop();

  // A key was activated, or may have lost its token: the status follows at once.
  void KeysChanged();
  // A call failed with an I/O error: the store is probed now rather than at the next interval.
  void StoreFailed();

 private:
  void ProbeStore();  // updates store_problem_ and the size gauges; not under mu_
  void Publish();     // the status from keys and store, reported and logged when it changes
  void Run();

  store::Store& store_;
  keyring::KeyRing* const keys_;
  metrics::ServiceMetrics* const metrics_;
  const std::chrono::seconds interval_;
  std::thread thread_;

  std::mutex mu_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  bool probe_now_ = false;
  grpc::HealthCheckServiceInterface* health_ = nullptr;
  std::string service_;
  std::string store_problem_;  // empty: the last probe passed
  int published_ = -1;         // the status last reported: 1 SERVING, 0 NOT_SERVING, -1 none yet
};

}  // namespace taicho::server
