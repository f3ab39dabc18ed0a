// taichod: the gRPC service. Wires the store, the workflow, the server-held keys and the service;
// holds no logic. Settings: defaults, then --config FILE (TOML), then flags (taichod_config.h).
//
// Transport: TLS (--tls-cert, --tls-key), mutual TLS with client certificates mapped to roles when
// --client-ca is given, or plain text only when explicitly asked for (--insecure-local).
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "errors/error.h"
#include "installation/installation.h"
#include "keyring/key_ring.h"
#include "metrics/service_metrics.h"
#include "pades/pdf_verifier.h"
#include "pkcs11/memory_protection.h"
#include "publicweb/public_site.h"
#include "render/document_kind.h"
#include "revocation/revocation_client.h"
#include "server/document_service.h"
#include "server/json_log_formatter.h"
#include "server/service_health.h"
#include "server/taichod_config.h"
#include "store/open_store.h"
#include "store/pg_migrate.h"
#include "workflow/document_workflow.h"
#include "workflow/level_keeper.h"

namespace {

using Flags = taicho::server::TaichodOptions;

constexpr char kServiceName[] = "taicho.v1.DocumentService";
constexpr int kMiB = 1024 * 1024;
// Room for a message's framing (field tags and lengths) on top of --max-receive-mb, so that
// limit is the payload's (a PDF of exactly that size, or a full 1 MiB VerifyUpload chunk at the
// smallest setting) and not the payload's minus a few bytes.
constexpr int kFramingBytes = 4 * 1024;

std::string ReadAll(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Written beside and renamed, so a reader never sees a partial number.
bool WritePortFile(const std::string& path, int port) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(temp.c_str(), path.c_str()) == 0;
}

// The transport the flags ask for; null (after logging why) when they contradict each other or a
// file cannot be read.
std::shared_ptr<grpc::ServerCredentials> Credentials(const Flags& flags) {
  const bool any_tls =
      !flags.tls_cert.empty() || !flags.tls_key.empty() || !flags.client_ca.empty();
  if (flags.insecure_local) {
    if (any_tls) {
      spdlog::error(
          "--insecure-local cannot be combined with --tls-cert, --tls-key or --client-ca");
      return nullptr;
    }
    return grpc::InsecureServerCredentials();
  }
  if (flags.tls_cert.empty() || flags.tls_key.empty()) {
    spdlog::error(
        "give --tls-cert and --tls-key (add --client-ca for mutual TLS), or --insecure-local to "
        "serve plain text on a local development machine");
    return nullptr;
  }
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  bool ok = false;
  pair.cert_chain = ReadAll(flags.tls_cert, &ok);
  if (!ok || pair.cert_chain.empty()) {
    spdlog::error("cannot read the TLS certificate {}", flags.tls_cert);
    return nullptr;
  }
  pair.private_key = ReadAll(flags.tls_key, &ok);
  if (!ok || pair.private_key.empty()) {
    spdlog::error("cannot read the TLS key {}", flags.tls_key);
    return nullptr;
  }
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!flags.client_ca.empty()) {
    options.pem_root_certs = ReadAll(flags.client_ca, &ok);
    if (!ok || options.pem_root_certs.empty()) {
      spdlog::error("cannot read the client CA {}", flags.client_ca);
      return nullptr;
    }
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  } else {
    options.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  return grpc::SslServerCredentials(options);
}

// Named in the start-up line.
const char* TransportName(const Flags& flags) {
  if (flags.insecure_local) return "plain text";
  return flags.client_ca.empty() ? "TLS, no client authentication" : "mutual TLS, roles";
}

int Serve(const Flags& flags) {
  std::shared_ptr<grpc::ServerCredentials> credentials = Credentials(flags);
  if (!credentials) return 2;
  if (!flags.insecure_local && flags.client_ca.empty()) {
    spdlog::warn("no --client-ca: callers are not authenticated and every call is allowed");
  }
  taicho::workflow::WorkflowConfig config;
  config.kinds_dir = flags.kinds_dir;
  config.font_dir = flags.font_dir;
  config.session_ttl_ms = static_cast<int64_t>(flags.session_ttl_seconds) * 1000;
  config.max_upload_bytes = static_cast<int64_t>(flags.max_upload_mb) * kMiB;
  config.max_revisions = flags.max_revisions;
  if (!flags.trust.empty()) {
    bool ok = false;
    config.trust_anchors_pem = ReadAll(flags.trust, &ok);
    if (!ok) {
      spdlog::error("cannot read the trust anchors {}", flags.trust);
      return 6;
    }
  }
  // Verify's online revocation questions (off unless configured): one client and cache for all
  // calls, living as long as the workflow that uses it.
  taicho::revocation::RevocationCache revocation_cache;
  std::unique_ptr<taicho::revocation::RevocationClient> online;
  if (flags.verify_online) {
    absl::StatusOr<taicho::revocation::RevocationPolicy> policy =
        taicho::revocation::PolicyFromSettings(
            std::chrono::seconds(flags.verify_revocation_timeout_seconds), flags.verify_ocsp_url,
            flags.verify_url_rewrites);
    if (!policy.ok()) {
      spdlog::error("{}", std::string(policy.status().message()));
      return 2;
    }
    online = std::make_unique<taicho::revocation::RevocationClient>(*std::move(policy),
                                                                    &revocation_cache);
    config.online_revocation = online.get();
  }
  auto store = taicho::store::OpenStore(flags.store, flags.store_dir);
  if (!store.ok()) {
    spdlog::error("cannot open the store: {}", store.status().ToString());
    return taicho::ExitCodeOf(store.status());
  }
  // Keys with a PIN file are activated before serving; one that fails stops the start-up (an
  // operator would rather see it now than at the first seal).
  taicho::keyring::KeyRing keys(flags.keys);
  if (absl::Status st = keys.ActivateFromPinFiles(); !st.ok()) {
    spdlog::error("cannot activate the server keys: {}", std::string(st.message()));
    return taicho::ExitCodeOf(st);
  }
  config.keys = &keys;
  // The signing policy ([signing]): its own revocation cache, so the answers the checks before
  // signing fetch are the ones the DSS then carries.
  taicho::revocation::RevocationCache signing_cache;
  absl::StatusOr<taicho::workflow::SigningPolicy> signing =
      taicho::server::MakeSigningPolicy(flags, &signing_cache);
  if (!signing.ok()) {
    spdlog::error("{}", std::string(signing.status().message()));
    return taicho::ExitCodeOf(signing.status());
  }
  config.signing = *std::move(signing);
  if (!flags.signing) {
    spdlog::warn(
        "no [signing] table: signatures are PAdES B-B (no time-stamp, no revocation "
        "data) and certificates are not checked before signing");
  } else {
    spdlog::info(
        "signing: officer PAdES {}, seal PAdES {}, {} TSA(s), certificates checked, when a TSA "
        "or responder is down: {}, archival renewal {} days before the TSA certificate expires",
        taicho::workflow::LevelName(config.signing.officer_level),
        taicho::workflow::LevelName(config.signing.seal_level), flags.tsa_urls.size(),
        flags.when_unavailable, flags.renew_before_days);
  }
  if (!flags.public_base_url.empty()) {
    std::string base = flags.public_base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    config.verification_url_prefix = absl::StrCat(base, "/", flags.public_prefix, "/");
  }
  config.public_withdrawal_reason = flags.public_withdrawal_reason;
  taicho::workflow::DocumentWorkflow workflow(**store, config);
  // One per core and one more by default: the gate covers a seal's computing only (planning and
  // storing it, which wait for the store and the disk, are outside), and the extra one fills a
  // core while a seal reads the approved revision from the disk or waits for the token's
  // session. bench/seal_load, 16 clients on 2 cores, runs interleaved, median of 3 rounds each:
  // 3 at once 15.1/12.6/12.7% of the raw RSA rate, 2 at once 12.1/12.4/12.2%; before planning
  // left the gate, 4 at once was behind 3 too (562 and 582 seals/s against 607 and 609).
  const int seal_concurrency =
      flags.seal_concurrency > 0
          ? flags.seal_concurrency
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) + 1;
  // /metrics ([metrics]) and the health check's status ([health]): the keys as they stand at
  // each scrape, the store probed in the background.
  taicho::metrics::ServiceMetrics metrics;
  metrics.SetKeySource([&keys] {
    std::vector<taicho::metrics::KeyState> states;
    for (const taicho::keyring::KeyStatus& key : keys.List()) {
      states.push_back({key.name, key.activated});
    }
    return states;
  });
  taicho::server::ServiceHealth health(**store, &keys, &metrics,
                                       std::chrono::seconds(flags.store_probe_seconds));
  std::unique_ptr<taicho::metrics::MetricsEndpoint> metrics_endpoint;
  if (!flags.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<taicho::metrics::MetricsEndpoint>> endpoint =
        metrics.Serve(flags.metrics_listen);
    if (!endpoint.ok()) {
      spdlog::error("cannot serve /metrics: {}", endpoint.status().ToString());
      return taicho::ExitCodeOf(endpoint.status());
    }
    metrics_endpoint = *std::move(endpoint);
    if (!flags.metrics_port_file.empty() &&
        !WritePortFile(flags.metrics_port_file, metrics_endpoint->port())) {
      spdlog::error("cannot write the metrics port file {}", flags.metrics_port_file);
      return 6;
    }
    spdlog::info("/metrics on {} (port {})", flags.metrics_listen, metrics_endpoint->port());
  }
  taicho::server::DocumentServiceImpl service(workflow,
                                              /*authenticate_clients=*/!flags.client_ca.empty(),
                                              {seal_concurrency, flags.max_concurrent_uploads},
                                              {&metrics, &health});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(flags.max_receive_mb * kMiB + kFramingBytes);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::error("cannot listen on {}", flags.listen);
    return 6;
  }
  // SERVING once a key is activated (when any is configured) and the store takes writes.
  health.Start(server->GetHealthCheckService(), kServiceName);
  // The public verification page ([public_web]), when configured: its own HTTPS listener,
  // listening before the port file says taichod is up.
  std::unique_ptr<taicho::publicweb::PublicSite> public_site;
  if (!flags.public_listen.empty()) {
    taicho::publicweb::PublicSiteConfig web;
    web.listen = flags.public_listen;
    web.tls_cert = flags.public_tls_cert.empty() ? flags.tls_cert : flags.public_tls_cert;
    web.tls_key = flags.public_tls_key.empty() ? flags.tls_key : flags.public_tls_key;
    web.prefix = flags.public_prefix;
    web.rate_per_second = flags.public_rate_per_second;
    web.rate_burst = flags.public_rate_burst;
    web.trusted_proxies = flags.public_trusted_proxies;
    web.max_upload_bytes = config.max_upload_bytes;
    absl::StatusOr<std::unique_ptr<taicho::publicweb::PublicSite>> site =
        taicho::publicweb::PublicSite::Start(workflow, web);
    if (!site.ok()) {
      spdlog::error("public web page: {}", site.status().ToString());
      server->Shutdown();
      return taicho::ExitCodeOf(site.status());
    }
    public_site = *std::move(site);
    if (!flags.public_port_file.empty() &&
        !WritePortFile(flags.public_port_file, public_site->port())) {
      spdlog::error("cannot write the port file {}", flags.public_port_file);
      server->Shutdown();
      return 6;
    }
    spdlog::info("public verification page on {} (port {}, https, /{}/CODE)", flags.public_listen,
                 public_site->port(), flags.public_prefix);
  }
  if (!flags.port_file.empty() && !WritePortFile(flags.port_file, port)) {
    spdlog::error("cannot write the port file {}", flags.port_file);
    server->Shutdown();
    return 6;
  }
  // The level keeper (workflow/level_keeper.h): pending upgrades and archival renewals, from the
  // store's records, on its own thread, once taichod serves.
  std::unique_ptr<taicho::workflow::LevelKeeper> keeper;
  if (flags.signing && config.signing.tsa != nullptr) {
    taicho::workflow::LevelKeeperOptions options;
    options.trust_anchors_pem = config.trust_anchors_pem;
    options.retry_min_ms = flags.upgrade_retry_min_seconds * 1000LL;
    options.retry_max_ms = flags.upgrade_retry_max_seconds * 1000LL;
    options.poll_ms = flags.upgrade_poll_seconds * 1000LL;
    options.claim_ms = flags.upgrade_claim_seconds * 1000LL;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    options.owner = absl::StrCat(host, ":", getpid());
    options.on_pending = [&metrics](int64_t pending) { metrics.SetPendingUpgrades(pending); };
    options.log = [](bool failure, std::string_view line) {
      if (failure) {
        spdlog::warn("{}", line);
      } else {
        spdlog::info("{}", line);
      }
    };
    options.keys = &keys;
    keeper = std::make_unique<taicho::workflow::LevelKeeper>(**store, config.signing,
                                                             std::move(options));
    keeper->Start();
  }
  spdlog::info(
      "taichod listening on {} (port {}, {}, store {}, max request {} MiB, max upload {} MiB x {}, "
      "{} "
      "server keys, verify {})",
      flags.listen, port, TransportName(flags),
      taicho::store::StoreKind(flags.store) + " " + flags.store_dir, flags.max_receive_mb,
      flags.max_upload_mb, flags.max_concurrent_uploads, flags.keys.size(),
      flags.verify_online ? "online" : "offline");

  // SIGINT/SIGTERM were blocked in main before any thread started, so only this thread takes
  // them, and the shutdown runs in normal code, not in a signal handler.
  std::thread waiter([&server, grace = flags.shutdown_grace_seconds] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int signal_number = 0;
    sigwait(&set, &signal_number);
    spdlog::info("signal {}: finishing calls in progress, then stopping", signal_number);
    server->GetHealthCheckService()->Shutdown();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(grace));
  });
  server->Wait();
  waiter.join();
  if (keeper) keeper->Stop();
  if (public_site) public_site->Stop();
  health.Stop();
  spdlog::info("taichod stopped");
  return 0;
}

// `taichod migrate --from DIR --to URL`: copies the SQLite store in DIR into the PostgreSQL store
// at URL (store/pg_migrate.h) and prints what it read and copied, table by table.
int Migrate(int argc, char** argv) {
  CLI::App app{
      "taichod migrate — chép kho SQLite sang PostgreSQL / copy an SQLite store into PostgreSQL "
      "(run again: copies nothing more)"};
  std::string from;
  std::string to;
  app.add_option("--from", from, "thư mục kho SQLite / the SQLite store directory (store_dir)")
      ->required();
  app.add_option("--to", to, "kho PostgreSQL / the PostgreSQL store's URL (postgresql://…)")
      ->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  absl::StatusOr<taicho::store::MigrationCounts> counts =
      taicho::store::MigrateSqliteToPg(from, to);
  if (!counts.ok()) {
    spdlog::error("migrate: {}", counts.status().ToString());
    return taicho::ExitCodeOf(counts.status());
  }
  std::printf("%-20s %12s %12s\n", "bảng / table", "đọc / read", "chép / copied");
  for (const auto& [table, read] : counts->read) {
    std::printf("%-20s %12lld %12lld\n", table.c_str(), static_cast<long long>(read),
                static_cast<long long>(counts->copied[table]));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Files taichod creates (the store's database, WAL, blobs and scratch files, the port file) hold
  // citizens' names and addresses: readable by the service user only, whatever umask it inherits.
  // The store also sets its modes explicitly and refuses a store others can read.
  umask(077);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Debian builds Abseil without NDEBUG, which turns on absl::Mutex deadlock detection: every
  // lock gRPC takes (several per call) then updates a global lock-order graph under a global
  // lock. A release build of Abseil has it off; so do we.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  auto logger = spdlog::stderr_color_mt("taichod");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  // Before any PIN is read (PIN files, ActivateKey): no core file and no same-user ptrace can see
  // one, nor the copies gRPC and TLS keep in buffers we cannot wipe.
  if (absl::Status st = taicho::pkcs11::ProtectProcessMemory(); !st.ok()) {
    spdlog::error("cannot protect the process's memory: {}", st.ToString());
    return taicho::ExitCodeOf(st);
  }

  if (argc > 1 && std::string_view(argv[1]) == "migrate") return Migrate(argc - 1, argv + 1);

  // The file first, so flags given on the command line override what it says.
  Flags flags;
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) config_file = argv[i + 1];
    if (arg.substr(0, 9) == "--config=") config_file = std::string(arg.substr(9));
  }
  if (!config_file.empty()) {
    if (absl::Status st = taicho::server::LoadConfigFile(config_file, &flags); !st.ok()) {
      spdlog::error("{}", std::string(st.message()));
      return 2;
    }
  }
  CLI::App app{"taichod — dịch vụ ký số \"4 tại chỗ\" / the taicho gRPC service"};
  app.set_version_flag("--version", taicho::installation::VersionLine("taichod"));
  app.add_option("--listen", flags.listen, "địa chỉ / address host:port (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--config", config_file,
                 "tệp cấu hình TOML / configuration file (TOML; see server/taichod.toml.example); "
                 "flags override it");
  app.add_option("--store", flags.store,
                 "kho lưu trữ / store: \"sqlite\" (default) or a \"postgresql://…\" URL shared by "
                 "instances");
  app.add_option("--store-dir", flags.store_dir,
                 "thư mục lưu trữ / store directory (required, here or in the file)");
  app.add_option("--kinds-dir", flags.kinds_dir, "loại văn bản / document kinds directory")
      ->capture_default_str();
  app.add_option("--font-dir", flags.font_dir, "phông chữ / Liberation Serif directory")
      ->capture_default_str();
  app.add_option("--trust", flags.trust, "chứng thư gốc tin cậy / trusted roots (PEM) for verify");
  app.add_flag("--verify-online", flags.verify_online,
               "kiểm tra thu hồi trực tuyến khi DSS thiếu / Verify asks OCSP/CRL for revocation "
               "data a document's DSS lacks");
  app.add_option("--verify-ocsp-url", flags.verify_ocsp_url,
                 "máy chủ OCSP thay cho AIA / OCSP responder instead of the certificates' AIA");
  app.add_option("--verify-url-rewrite", flags.verify_url_rewrites,
                 "đổi tiền tố URL OCSP/CRL / rewrite an OCSP/CRL URL prefix FROM=TO");
  app.add_flag("--insecure-local", flags.insecure_local,
               "không mã hóa, chỉ để phát triển / plain text, local development only");
  app.add_option("--tls-cert", flags.tls_cert,
                 "chứng thư TLS của máy chủ / server certificate chain (PEM, leaf first)");
  app.add_option("--tls-key", flags.tls_key, "khóa TLS của máy chủ / server private key (PEM)");
  app.add_option("--client-ca", flags.client_ca,
                 "CA cấp chứng thư cho máy khách / roots for client certificates (PEM): mutual "
                 "TLS, roles from the certificates");
  app.add_option("--max-receive-mb", flags.max_receive_mb,
                 "cỡ yêu cầu tối đa / largest request accepted (MiB)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-upload-mb", flags.max_upload_mb,
                 "cỡ tệp tải lên tối đa / largest PDF VerifyUpload accepts, streamed (MiB)")
      ->capture_default_str()
      ->check(CLI::Range(1, taicho::server::kMaxUploadMb));
  app.add_option("--max-revisions", flags.max_revisions,
                 "số phiên bản tối đa của PDF được kiểm tra / most revisions of a PDF verified")
      ->capture_default_str()
      ->check(CLI::Range(1, taicho::pades::kMaxRevisionsCeiling));
  app.add_option("--max-concurrent-uploads", flags.max_concurrent_uploads,
                 "số tệp tải lên đồng thời / VerifyUpload calls at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option(
         "--seal-concurrency", flags.seal_concurrency,
         "số dấu ký đồng thời / server-side seals at once (0: one per CPU core, and one more)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--session-ttl-seconds", flags.session_ttl_seconds,
                 "thời hạn phiên ký / signing session lifetime")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  app.add_option("--shutdown-grace-seconds", flags.shutdown_grace_seconds,
                 "thời gian chờ khi dừng / on SIGTERM, how long calls in progress (and idle "
                 "connections) may take before they are cancelled")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  app.add_option("--port-file", flags.port_file,
                 "ghi cổng đã mở vào tệp / write the port listened on to this file");
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "địa chỉ /metrics (Prometheus) / address of /metrics, host:port; empty: off")
      ->capture_default_str();
  app.add_option("--metrics-port-file", flags.metrics_port_file,
                 "ghi cổng /metrics vào tệp / write the /metrics port to this file");
  app.add_option("--log-format", flags.log_format,
                 "định dạng nhật ký / log lines as text or one JSON object a line")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (flags.log_format == "json") {
    spdlog::set_formatter(std::make_unique<taicho::server::JsonLogFormatter>());
  }
  if (flags.store_dir.empty()) {
    spdlog::error("give --store-dir or store_dir in the configuration file");
    return 2;
  }
  return Serve(flags);
}
