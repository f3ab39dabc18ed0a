#include "metrics/service_metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <exception>
#include <mutex>
#include <string>
#include <utility>

#include "errors/error.h"

namespace taicho::metrics {
namespace {

// A call is a millisecond (a read) to tens of seconds (a seal waiting for a slow TSA, a large
// upload verified).
const prometheus::Histogram::BucketBoundaries kCallBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
// A seal: tens of milliseconds at B-B on an HSM, up to seconds at B-LTA (a time-stamp, OCSP, a
// document time-stamp), 30 s and more when a TSA or responder times out.
const prometheus::Histogram::BucketBoundaries kSealBuckets = {0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                              2,     5,    10,  30,   60,  120};

// The key gauge, computed when scraped: activation changes by operator calls and pulled tokens,
// and a scrape should see the state of that moment, not of the last poll.
class KeyCollector final : public prometheus::Collectable {
 public:
  void SetSource(std::function<std::vector<KeyState>()> source) {
    std::lock_guard lock(mu_);
    source_ = std::move(source);
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::function<std::vector<KeyState>()> source;
    {
      std::lock_guard lock(mu_);
      source = source_;
    }
    if (!source) return {};
    prometheus::MetricFamily family;
    family.name = "taicho_key_activated";
    family.help = "1 while the server key is activated (ActivateKey or its pin_file), else 0";
    family.type = prometheus::MetricType::Gauge;
    for (const KeyState& key : source()) {
      prometheus::ClientMetric metric;
      metric.label.push_back({"key", key.name});
      metric.gauge.value = key.activated ? 1 : 0;
      family.metric.push_back(std::move(metric));
    }
    return {std::move(family)};
  }

 private:
  mutable std::mutex mu_;
  std::function<std::vector<KeyState>()> source_;
};

}  // namespace

struct ServiceMetrics::Registry {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::shared_ptr<KeyCollector> keys = std::make_shared<KeyCollector>();
  prometheus::Family<prometheus::Counter>& calls =
      prometheus::BuildCounter()
          .Name("taicho_grpc_calls_total")
          .Help("gRPC calls finished, by method, gRPC status code and taicho error code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& call_seconds =
      prometheus::BuildHistogram()
          .Name("taicho_grpc_call_duration_seconds")
          .Help("Time of a gRPC call in the server, by method")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& signatures =
      prometheus::BuildCounter()
          .Name("taicho_signatures_total")
          .Help("Signatures stored, by role (seal, officer) and PAdES level")
          .Register(*registry);
  prometheus::Histogram& seal_seconds =
      prometheus::BuildHistogram()
          .Name("taicho_seal_duration_seconds")
          .Help(
              "Server-side seals (SignDocument): from the call's start to the sealed revision "
              "stored")
          .Register(*registry)
          .Add({}, kSealBuckets);
  prometheus::Family<prometheus::Counter>& print_failures =
      prometheus::BuildCounter()
          .Name("taicho_print_failures_total")
          .Help("Print failures recorded, by the state the printer ended in")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& store =
      prometheus::BuildGauge()
          .Name("taicho_store_documents")
          .Help("Documents in the store, as last measured")
          .Register(*registry);
  prometheus::Gauge& store_documents = store.Add({});
  prometheus::Gauge& store_bytes =
      prometheus::BuildGauge()
          .Name("taicho_store_revision_bytes")
          .Help("Bytes of the stored revisions' PDF files, as last measured")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& store_writable =
      prometheus::BuildGauge()
          .Name("taicho_store_writable")
          .Help("1 when the store's last write probe passed, else 0")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& serving =
      prometheus::BuildGauge()
          .Name("taicho_serving")
          .Help("1 while the gRPC health check reports the document service SERVING, else 0")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& pending_upgrades =
      prometheus::BuildGauge()
          .Name("taicho_pending_upgrades")
          .Help("Sealed documents below the signing policy's PAdES level, waiting for the worker")
          .Register(*registry)
          .Add({});
};

ServiceMetrics::ServiceMetrics() : registry_(std::make_shared<Registry>()) {}
ServiceMetrics::~ServiceMetrics() = default;

void ServiceMetrics::CountCall(std::string_view method, std::string_view code,
                               std::string_view error, double seconds) {
  registry_->calls
      .Add({{"method", std::string(method)},
            {"code", std::string(code)},
            {"error", std::string(error)}})
      .Increment();
  registry_->call_seconds.Add({{"method", std::string(method)}}, kCallBuckets).Observe(seconds);
}

void ServiceMetrics::CountSignature(std::string_view role, std::string_view level) {
  registry_->signatures.Add({{"role", std::string(role)}, {"level", std::string(level)}})
      .Increment();
}

void ServiceMetrics::ObserveSealSeconds(double seconds) {
  registry_->seal_seconds.Observe(seconds);
}

void ServiceMetrics::CountPrintFailure(std::string_view job_state) {
  registry_->print_failures.Add({{"job_state", std::string(job_state)}}).Increment();
}

void ServiceMetrics::SetKeySource(std::function<std::vector<KeyState>()> source) {
  registry_->keys->SetSource(std::move(source));
}

void ServiceMetrics::SetStoreSize(int64_t documents, int64_t revision_bytes) {
  registry_->store_documents.Set(static_cast<double>(documents));
  registry_->store_bytes.Set(static_cast<double>(revision_bytes));
}

void ServiceMetrics::SetStoreWritable(bool writable) {
  registry_->store_writable.Set(writable ? 1 : 0);
}

void ServiceMetrics::SetServing(bool serving) { registry_->serving.Set(serving ? 1 : 0); }

void ServiceMetrics::SetPendingUpgrades(int64_t count) {
  registry_->pending_upgrades.Set(static_cast<double>(count));
}

struct MetricsEndpoint::Exposer {
  std::shared_ptr<ServiceMetrics::Registry> registry;  // kept alive while it is served
  prometheus::Exposer exposer;
  Exposer(std::shared_ptr<ServiceMetrics::Registry> r, const std::string& address)
      : registry(std::move(r)), exposer(address, /*num_threads=*/2) {}
};

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Exposer> exposer, int port)
    : exposer_(std::move(exposer)), port_(port) {}
MetricsEndpoint::~MetricsEndpoint() = default;

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> ServiceMetrics::Serve(const std::string& address) {
  // host:port with a host given: CivetWeb would take a bare port as "every interface", and the
  // metrics (method names, keys, volumes) are for the machine's operators only unless asked.
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size() ||
      address.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return Error(ErrorCode::kConfigInvalid,
                 "metrics.listen: host:port, ví dụ / e.g. \"127.0.0.1:9464\" (" + address + ")");
  }
  std::unique_ptr<MetricsEndpoint::Exposer> exposer;
  try {
    // prometheus-cpp reports a listen failure by throwing (CivetWeb's exception); it stops here.
    exposer = std::make_unique<MetricsEndpoint::Exposer>(registry_, address);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kIo, "metrics.listen " + address + ": " + e.what());
  }
  exposer->exposer.RegisterCollectable(registry_->registry);
  exposer->exposer.RegisterCollectable(registry_->keys);
  const std::vector<int> ports = exposer->exposer.GetListeningPorts();
  if (ports.empty()) return Error(ErrorCode::kIo, "metrics.listen " + address + ": no port");
  const int port = ports.front();
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(exposer), port));
}

}  // namespace taicho::metrics
