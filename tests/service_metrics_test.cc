// taichod's metrics and health for IT, over real sockets: /metrics scraped with libcurl from the
// Prometheus endpoint (prometheus-cpp's Exposer) before and after real calls — a decision approved
// on the officer's SoftHSM2 token and sealed server-side, a failing call, a print failure; the
// gRPC health check (grpc.health.v1, a client generated from Debian's grpc-proto) NOT_SERVING
// until the seal key is activated and while the store takes no writes; the call's fields in
// JSON log lines; /metrics on loopback only.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/signed_pdf_checks.h"
#include "tests/support/taichod_process.h"
#include "tests/support/taichod_toml.h"

namespace taicho {
namespace {

using namespace taicho::testing;
namespace fs = std::filesystem;
namespace v1 = ::taicho::v1;
namespace health = ::grpc::health::v1;

constexpr char kService[] = "taicho.v1.DocumentService";

// GET http://HOST:PORT/PATH with libcurl; nullopt when no HTTP answer came.
std::optional<std::string> HttpGet(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return std::nullopt;
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  curl_easy_setopt(
      curl.get(), CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  if (curl_easy_perform(curl.get()) != CURLE_OK) return std::nullopt;
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return std::nullopt;
  return body;
}

// One scrape: each sample of the text format by name and labels ("name{a=\"x\",b=\"y\"}" with
// the labels as the exposition wrote them, sorted by name).
class Scrape {
 public:
  explicit Scrape(const std::string& text) : text_(text) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] == '#') continue;
      const size_t space = line.rfind(' ');
      if (space == std::string::npos) continue;
      samples_[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
  }
  // The sample's value; 0 when absent (a counter not yet incremented has no sample).
  double operator()(const std::string& name,
                    const std::map<std::string, std::string>& labels = {}) const {
    std::string key = name;
    if (!labels.empty()) {
      key += "{";
      bool first = true;
      for (const auto& [k, v] : labels) {
        key += (first ? "" : ",") + k + "=\"" + v + "\"";
        first = false;
      }
      key += "}";
    }
    auto it = samples_.find(key);
    return it == samples_.end() ? 0 : it->second;
  }
  bool Has(const std::string& name_and_labels) const {
    return samples_.count(name_and_labels) != 0;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::map<std::string, double> samples_;
};

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// taichod with mutual TLS, the seal token configured (not activated), the store probed every
// second, JSON logs and /metrics on a free loopback port.
class Taichod {
 public:
  Taichod() : dir_(MakeTempDir("taichod-metrics")) {}

  bool Start(int store_probe_seconds = 1) {
    std::ostringstream config;
    config << "shutdown_grace_seconds = 1\n"
           << "log_format = \"json\"\n"
           << testing::MtlsTomlSection() << "[health]\n"
           << "store_probe_seconds = " << store_probe_seconds << "\n"
           << testing::SealKeyTomlSection(kSealToken);
    WriteFile(dir_ + "/taichod.toml", config.str());
    return process_.Start(store(),
                          {"--config", dir_ + "/taichod.toml", "--metrics-listen", "127.0.0.1:0"});
  }
  int Stop() { return process_.Stop(SIGTERM); }

  std::string store() const { return dir_ + "/store"; }
  std::string log() const { return process_.log(); }
  std::string target() const { return process_.target(); }
  int metrics_port() const { return process_.metrics_port(); }

  Scrape Metrics() const {
    std::optional<std::string> text =
        HttpGet("http://127.0.0.1:" + std::to_string(metrics_port()) + "/metrics");
    EXPECT_TRUE(text.has_value()) << "no /metrics on port " << metrics_port();
    return Scrape(text.value_or(""));
  }

  std::unique_ptr<health::Health::Stub> Health() const {
    // The health service needs no client certificate's role, but the transport is mutual TLS.
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = testing::ReadFileBytes(Pki("root.pem"));
    options.pem_private_key = testing::ReadFileBytes(Pki("client-auditor.key"));
    options.pem_cert_chain = testing::ReadFileBytes(Pki("client-auditor.chain.pem"));
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride("localhost");
    return health::Health::NewStub(
        grpc::CreateCustomChannel(target(), grpc::SslCredentials(options), arguments));
  }

 private:
  std::string dir_;
  testing::TaichodProcess process_;
};

health::HealthCheckResponse::ServingStatus Check(const Taichod& server,
                                                 const std::string& service) {
  health::HealthCheckRequest request;
  request.set_service(service);
  health::HealthCheckResponse response;
  auto context = CallContext(30);
  grpc::Status status = server.Health()->Check(context.get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

grpc::Status Activate(const Taichod& server, const std::string& pin) {
  v1::ActivateKeyRequest request;
  request.set_name("serverKeys/seal");
  request.set_pin(pin);
  v1::ServerKey key;
  auto context = CallContext();
  return MtlsStub(server.target(), "client-operator")->ActivateKey(context.get(), request, &key);
}

// The sample decision created at the intake and approved on the officer's token (APPROVED).
v1::Document Approved(const Taichod& server, const std::string& dossier) {
  v1::CreateDocumentRequest create = testing::SampleCreateRequest(dossier, "Quầy 1");
  v1::Document created;
  auto context = CallContext();
  grpc::Status status =
      MtlsStub(server.target(), "client-intake")->CreateDocument(context.get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return testing::SignOverService(server.target(), created.name(), v1::APPROVER,
                                  "client-officer-an", "officer-an", kOfficerToken)
      .document();
}

std::string Download(const Taichod& server, const std::string& revision) {
  v1::DownloadRevisionRequest request;
  request.set_name(revision);
  auto context = CallContext();
  auto reader =
      MtlsStub(server.target(), "client-auditor")->DownloadRevision(context.get(), request);
  std::string bytes;
  v1::DownloadRevisionChunk chunk;
  while (reader->Read(&chunk)) bytes += chunk.data();
  EXPECT_TRUE(reader->Finish().ok());
  return bytes;
}

// The first JSON log line whose fields match `fields`.
std::optional<nlohmann::json> LogLine(const std::string& log,
                                      const std::map<std::string, std::string>& fields) {
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    nlohmann::json json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object()) continue;
    bool match = true;
    for (const auto& [key, value] : fields) {
      match = match && json.contains(key) && json[key].is_string() && json[key] == value;
    }
    if (match) return json;
  }
  return std::nullopt;
}

TEST(ServiceHealth, NotServingUntilTheSealKeyIsActivatedAndWhileTheStoreTakesNoWrites) {
  Taichod server;
  ASSERT_TRUE(server.Start()) << server.log();
  // The server is up, the document service is not: no seal can be made without its key.
  EXPECT_EQ(Check(server, ""), health::HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(server, kService), health::HealthCheckResponse::NOT_SERVING);
  Scrape before = server.Metrics();
  EXPECT_EQ(before("taicho_serving"), 0) << before.text();
  EXPECT_TRUE(before.Has("taicho_key_activated{key=\"seal\"}")) << before.text();
  EXPECT_EQ(before("taicho_key_activated", {{"key", "seal"}}), 0);
  EXPECT_EQ(before("taicho_store_writable"), 1);

  // A wrong PIN changes nothing; the right one makes it SERVING by the time ActivateKey returns.
  EXPECT_EQ(Activate(server, "987650").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Check(server, kService), health::HealthCheckResponse::NOT_SERVING);
  ASSERT_TRUE(Activate(server, "123456").ok());
  EXPECT_EQ(Check(server, kService), health::HealthCheckResponse::SERVING);
  Scrape after = server.Metrics();
  EXPECT_EQ(after("taicho_key_activated", {{"key", "seal"}}), 1) << after.text();
  EXPECT_EQ(after("taicho_serving"), 1);

  // The store's work directory replaced by a file: nothing can be written there (even by root),
  // as with a file system gone read-only. A Watch sees NOT_SERVING at the next probe, then
  // SERVING again once the directory is back.
  health::HealthCheckRequest request;
  request.set_service(kService);
  auto context = CallContext(60);
  auto stub = server.Health();
  auto watch = stub->Watch(context.get(), request);
  health::HealthCheckResponse seen;
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), health::HealthCheckResponse::SERVING);
  const std::string scratch = server.store() + "/scratch";
  fs::rename(scratch, scratch + ".away");
  WriteFile(scratch, "not a directory");
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), health::HealthCheckResponse::NOT_SERVING);
  Scrape broken = server.Metrics();
  EXPECT_EQ(broken("taicho_store_writable"), 0) << broken.text();
  EXPECT_EQ(broken("taicho_serving"), 0);
  // The status is set before its log line is written: wait for the line (a Watch that saw the
  // status can read the log a moment before it is there; seen on a loaded machine).
  const auto logged_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server.log().find("NOT_SERVING: the store takes no writes") == std::string::npos &&
         std::chrono::steady_clock::now() < logged_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(server.log().find("NOT_SERVING: the store takes no writes"), std::string::npos)
      << server.log();

  fs::remove(scratch);
  fs::rename(scratch + ".away", scratch);
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), health::HealthCheckResponse::SERVING);
  EXPECT_EQ(server.Metrics()("taicho_store_writable"), 1);
  context->TryCancel();
  watch->Finish();
  EXPECT_EQ(server.Stop() >> 8, 0) << server.log();
}

TEST(ServiceMetrics, CountsCallsSealsAndPrintFailuresAndLogsTheirFields) {
  Taichod server;
  ASSERT_TRUE(server.Start()) << server.log();
  ASSERT_TRUE(Activate(server, "123456").ok());
  const Scrape before = server.Metrics();
  EXPECT_NE(before.text().find("# TYPE taicho_seal_duration_seconds histogram"), std::string::npos)
      << before.text();
  EXPECT_EQ(before("taicho_store_documents"), 0) << before.text();

  // Approved on the officer's token (B-B: no [signing] table), sealed with the server's key.
  const v1::Document approved = Approved(server, "HS-METRICS-1");
  const v1::SignDocumentRequest seal = SealRequest(approved.name());
  v1::CompleteSignatureResponse sealed;
  auto context = CallContext();
  ASSERT_TRUE(
      MtlsStub(server.target(), "client-intake")->SignDocument(context.get(), seal, &sealed).ok());
  const std::string dir = MakeTempDir("metrics-sealed");
  const std::string pdf = dir + "/sealed.pdf";
  WriteFile(pdf, Download(server, sealed.revision().name()));
  testing::ExpectAllSignaturesValid(pdf, 2);

  // A call that fails: the document does not exist.
  v1::GetDocumentRequest get;
  get.set_name("documents/00000000000000000000000000000000");
  v1::Document missing;
  context = CallContext();
  EXPECT_EQ(MtlsStub(server.target(), "client-auditor")
                ->GetDocument(context.get(), get, &missing)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The printer jammed; the station reports it (twice: counted once).
  v1::ReportPrintFailureRequest failure;
  failure.set_name(sealed.document().name());
  failure.set_print_id("print-1");
  failure.set_revision(sealed.revision().name());
  failure.set_printer("Quầy-1-HP");
  failure.set_copies(1);
  failure.set_officer("Trần Thị Bích");
  failure.set_job_state("stopped");
  failure.set_reason("media-jam");
  for (int i = 0; i < 2; ++i) {
    v1::ReportPrintFailureResponse reported;
    context = CallContext();
    ASSERT_TRUE(MtlsStub(server.target(), "client-print-station")
                    ->ReportPrintFailure(context.get(), failure, &reported)
                    .ok());
  }

  const Scrape after = server.Metrics();
  auto delta = [&](const std::string& name, const std::map<std::string, std::string>& labels) {
    return after(name, labels) - before(name, labels);
  };
  EXPECT_EQ(
      delta("taicho_grpc_calls_total", {{"method", "SignDocument"}, {"code", "OK"}, {"error", ""}}),
      1)
      << after.text();
  EXPECT_EQ(delta("taicho_grpc_calls_total",
                  {{"method", "CreateDocument"}, {"code", "OK"}, {"error", ""}}),
            1);
  EXPECT_EQ(
      delta("taicho_grpc_calls_total",
            {{"method", "GetDocument"}, {"code", "NOT_FOUND"}, {"error", "DOCUMENT_NOT_FOUND"}}),
      1);
  EXPECT_EQ(delta("taicho_grpc_calls_total",
                  {{"method", "ReportPrintFailure"}, {"code", "OK"}, {"error", ""}}),
            2);
  EXPECT_EQ(delta("taicho_grpc_call_duration_seconds_count", {{"method", "SignDocument"}}), 1);
  EXPECT_EQ(delta("taicho_seal_duration_seconds_count", {}), 1);
  EXPECT_GT(delta("taicho_seal_duration_seconds_sum", {}), 0);
  // The seal took less than a minute: the +Inf bucket and the 60 s one both hold it.
  EXPECT_EQ(delta("taicho_seal_duration_seconds_bucket", {{"le", "60"}}), 1);
  EXPECT_EQ(delta("taicho_signatures_total", {{"role", "officer"}, {"level", "B-B"}}), 1);
  EXPECT_EQ(delta("taicho_signatures_total", {{"role", "seal"}, {"level", "B-B"}}), 1);
  EXPECT_EQ(delta("taicho_print_failures_total", {{"job_state", "stopped"}}), 1);

  // The store's size follows at the next probe (every second here).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Scrape sized = after;
  while (sized("taicho_store_documents") < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the probe's next turn
    sized = server.Metrics();
  }
  EXPECT_EQ(sized("taicho_store_documents"), 1) << sized.text();
  EXPECT_GE(sized("taicho_store_revision_bytes"), static_cast<double>(fs::file_size(pdf)));

  // The failing call's JSON line: method, document, codes and latency as fields, not in "msg".
  const std::string id = "00000000000000000000000000000000";
  auto line = LogLine(server.log(), {{"method", "GetDocument"}, {"code", "NOT_FOUND"}});
  ASSERT_TRUE(line.has_value()) << server.log();
  EXPECT_EQ(line->value("document", ""), id) << *line;
  EXPECT_EQ(line->value("error", ""), "DOCUMENT_NOT_FOUND") << *line;
  EXPECT_TRUE((*line)["latency_ms"].is_number()) << *line;
  EXPECT_EQ(line->value("msg", ""), "call failed") << *line;
  EXPECT_EQ(line->value("level", ""), "warning") << *line;
  // The seal's line names its document, though its resource also names the key.
  line = LogLine(server.log(), {{"method", "SignDocument"}, {"code", "OK"}});
  ASSERT_TRUE(line.has_value()) << server.log();
  EXPECT_EQ("documents/" + line->value("document", ""), approved.name()) << *line;
  EXPECT_FALSE(line->contains("error")) << *line;
  EXPECT_EQ(server.Stop() >> 8, 0) << server.log();
}

TEST(ServiceHealth, APulledSealTokenMakesItNotServingWhenTheSealFails) {
  // The seal token in a directory of its own, so that it can be pulled (SoftHSM2 reads the
  // directory the environment names when taichod loads the module).
  const std::string tokens = MakeTempDir("pulled-tokens");
  fs::copy(GetSamplePki().token_dir + "/tokens", tokens + "/tokens", fs::copy_options::recursive);
  WriteFile(tokens + "/softhsm2.conf",
            "directories.tokendir = " + tokens + "/tokens\nobjectstore.backend = file\n");
  const std::string own_conf = GetSamplePki().softhsm_conf;
  setenv("SOFTHSM2_CONF", (tokens + "/softhsm2.conf").c_str(), 1);
  Taichod server;
  // The store probe an hour away: what follows must come from the failed seal itself.
  const bool started = server.Start(/*store_probe_seconds=*/3600);
  setenv("SOFTHSM2_CONF", own_conf.c_str(), 1);
  ASSERT_TRUE(started) << server.log();
  ASSERT_TRUE(Activate(server, "123456").ok());
  EXPECT_EQ(Check(server, kService), health::HealthCheckResponse::SERVING);
  const v1::Document approved = Approved(server, "HS-METRICS-PULLED");

  fs::remove_all(tokens + "/tokens");
  const v1::SignDocumentRequest seal = SealRequest(approved.name());
  v1::CompleteSignatureResponse sealed;
  auto context = CallContext();
  EXPECT_EQ(MtlsStub(server.target(), "client-intake")
                ->SignDocument(context.get(), seal, &sealed)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Check(server, kService), health::HealthCheckResponse::NOT_SERVING);
  const Scrape after = server.Metrics();
  EXPECT_EQ(after("taicho_key_activated", {{"key", "seal"}}), 0) << after.text();
  EXPECT_EQ(
      after("taicho_grpc_calls_total",
            {{"method", "SignDocument"}, {"code", "UNAVAILABLE"}, {"error", "TOKEN_REMOVED"}}),
      1);
  EXPECT_EQ(after("taicho_seal_duration_seconds_count"), 0);
  EXPECT_EQ(after("taicho_signatures_total", {{"role", "seal"}, {"level", "B-B"}}), 0);
  EXPECT_EQ(server.Stop() >> 8, 0) << server.log();
}

// A non-loopback IPv4 address of this machine, if it has one.
std::optional<std::string> OtherAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) found = text;
  }
  freeifaddrs(list);
  return found;
}

TEST(ServiceMetrics, ListensOnLoopbackByDefaultAndRefusesAnAddressWithoutHost) {
  // The default, as taichod states it.
  auto help = testing::Run(testing::Quote(TAICHOD_PATH) + " --help");
  EXPECT_NE(help.output.find("127.0.0.1:9464"), std::string::npos) << help.output;

  Taichod server;
  ASSERT_TRUE(server.Start()) << server.log();
  ASSERT_GT(server.metrics_port(), 0);
  EXPECT_TRUE(HttpGet("http://127.0.0.1:" + std::to_string(server.metrics_port()) + "/metrics"));
  // Bound to 127.0.0.1: the machine's other address does not answer on that port.
  if (std::optional<std::string> other = OtherAddress()) {
    EXPECT_FALSE(
        HttpGet("http://" + *other + ":" + std::to_string(server.metrics_port()) + "/metrics"))
        << *other;
  }
  EXPECT_EQ(server.Stop() >> 8, 0) << server.log();

  // A bare port would be every interface: refused, naming the key.
  testing::TaichodProcess bare;
  EXPECT_FALSE(bare.Start(MakeTempDir("store"), {"--insecure-local", "--metrics-listen", "9464"}));
  EXPECT_NE(bare.log().find("metrics.listen"), std::string::npos) << bare.log();
  // The configuration file's keys are checked like the others'.
  const std::string bad_dir = MakeTempDir("bad-config");
  WriteFile(bad_dir + "/taichod.toml",
            "[metrics]\nlisten = 9464\nport = 1\n[health]\nstore_probe_seconds = 0\n");
  testing::TaichodProcess bad;
  EXPECT_FALSE(
      bad.Start(MakeTempDir("store"), {"--insecure-local", "--config", bad_dir + "/taichod.toml"}));
  for (const char* problem : {"CONFIG_INVALID", "metrics.listen' must be a string",
                              "unknown key 'metrics.port'", "health.store_probe_seconds"}) {
    EXPECT_NE(bad.log().find(problem), std::string::npos) << problem << "\n" << bad.log();
  }
  // Off when empty: no port.
  testing::TaichodProcess off;
  ASSERT_TRUE(off.Start(MakeTempDir("store"), {"--insecure-local", "--metrics-listen", ""}))
      << off.log();
  EXPECT_EQ(off.metrics_port(), 0);
  EXPECT_EQ(off.log().find("/metrics on"), std::string::npos) << off.log();
  EXPECT_EQ(off.Stop(SIGTERM) >> 8, 0) << off.log();
}

}  // namespace
}  // namespace taicho
