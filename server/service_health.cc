#include "server/service_health.h"

#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

namespace taicho::server {

ServiceHealth::ServiceHealth(store::Store& store, keyring::KeyRing* keys,
                             metrics::ServiceMetrics* metrics, std::chrono::seconds probe_interval)
    : store_(store), keys_(keys), metrics_(metrics), interval_(probe_interval) {}

ServiceHealth::~ServiceHealth() { Stop(); }

void ServiceHealth::Start(grpc::HealthCheckServiceInterface* health, std::string service) {
  {
    std::lock_guard lock(mu_);
    health_ = health;
    service_ = std::move(service);
  }
  ProbeStore();
  Publish();
  thread_ = std::thread([this] { Run(); });
}

void ServiceHealth::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    health_ = nullptr;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ServiceHealth::KeysChanged() { Publish(); }

void ServiceHealth::StoreFailed() {
  {
    std::lock_guard lock(mu_);
    probe_now_ = true;
  }
  wake_.notify_all();
}

void ServiceHealth::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_ || probe_now_; });
    if (stopping_) break;
    probe_now_ = false;
    lock.unlock();
    ProbeStore();
    Publish();
    lock.lock();
  }
}

void ServiceHealth::ProbeStore() {
  const absl::Status writable = store_.ProbeWritable();
  absl::StatusOr<std::optional<store::StoreSize>> size = store_.Size();
  if (metrics_ != nullptr) {
    metrics_->SetStoreWritable(writable.ok());
    if (size.ok() && size->has_value()) {
      metrics_->SetStoreSize((*size)->documents, (*size)->revision_bytes);
    }
  }
  if (!size.ok()) spdlog::warn("cannot measure the store: {}", size.status().ToString());
  std::lock_guard lock(mu_);
  store_problem_ = writable.ok() ? "" : std::string(writable.message());
}

void ServiceHealth::Publish() {
  // Keys are read before mu_ is taken: the key ring has its own lock.
  bool any_key = false;
  bool any_activated = false;
  if (keys_ != nullptr) {
    for (const keyring::KeyStatus& key : keys_->List()) {
      any_key = true;
      any_activated = any_activated || key.activated;
    }
  }
  std::lock_guard lock(mu_);
  const bool keys_ok = !any_key || any_activated;
  const bool serving = keys_ok && store_problem_.empty();
  if (metrics_ != nullptr) metrics_->SetServing(serving);
  if (health_ == nullptr || published_ == static_cast<int>(serving)) return;
  // Under mu_, so that two threads publishing at once cannot report in the wrong order.
  health_->SetServingStatus(service_, serving);
  published_ = serving ? 1 : 0;
  if (serving) {
    spdlog::info("health: {} SERVING", service_);
  } else {
    spdlog::warn("health: {} NOT_SERVING:{}{}", service_,
                 keys_ok ? "" : " no server key is activated (ActivateKey or pin_file);",
                 store_problem_.empty() ? "" : " the store takes no writes: " + store_problem_);
  }
}

}  // namespace taicho::server
