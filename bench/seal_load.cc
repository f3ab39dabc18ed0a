// Load driver for taichod's server-side seal (not a test): N concurrent intake clients create
// 2-page decisions over gRPC, an officer approves each (split signing, the officer's key in this
// process, untimed as a load), then the clients seal them server-side (SignDocument with the
// server's seal key). Reports throughput and p50/p99 latency for create and for seal at each
// client count, and seal throughput against a raw RSA-2048 sign rate: given with --rsa-sign-rate,
// or measured right before each seal phase with --baseline-command (bench/seal_load.sh runs
// `openssl speed` so), in --rounds phases per client count, with their median.
//
//   seal_load --target 127.0.0.1:PORT --officer-key K.pem --officer-chain C.pem [--clients 1,4,16]
//             [--documents 192] [--rsa-sign-rate 1500 | --baseline-command CMD] [--rounds 3]
//             [--server-pid PID[,PID]]
//             [--kill-pid PID --kill-after-ms 1500]
//
// --target may list several instances (PostgreSQL store): client c talks to target c % n.
// --kill-pid: the failover measurement instead of the load phases: every client seals on the
// first target; after --kill-after-ms the driver SIGKILLs PID (the first target's taichod, which
// the calling script started) and each client, once its call fails, retries on the next target.
// Reported: per client, kill → its call failing (detection) and failing → success on the other.
//             [--tls-root R --tls-cert C --tls-key K --officer-tls-cert C2 --officer-tls-key K2]
//             [--expect-level B-LTA] [--ocsp-log F] [--crl-log F] [--tsa-stats F] [--tsa-pid PID]
//             [--save-dir DIR --save-count 2]
//
// --expect-level: a seal counts as done only when the document comes back at that PAdES level
// with no upgrade pending (a seal that fell back to a lower level is a failure, not a fast seal);
// the exit status is then 1 when any seal failed.
// --ocsp-log / --crl-log / --tsa-stats: the logs of the services on loopback (OpenSSL's OCSP
// responder's "Received request" lines, python3 http.server's "GET /" lines, the test TSA's stats
// file "REQUESTS MAX_IN_FLIGHT ANSWER_MS"), read before and after each seal phase: the requests
// each service received during it, per seal, and the TSA's own time answering. With caches warm,
// the OCSP and CRL counts should be 0. --tsa-pid: the test TSA's process; the CPU time it and
// its children (the signing workers) spent during each seal phase is reported per seal, next to
// taichod's (the TSA runs on the same cores).
// --save-dir: after the last phase, the latest revision of --save-count sealed documents is
// written there (seal-N.pdf), for the calling script to check with pdfsig, qpdf and taicho.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "signer/key_signer.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/taichod_process.h"

namespace {

namespace v1 = ::taicho::v1;
using Clock = std::chrono::steady_clock;

// The first failure of each step is printed; the count is in the phase's line.
void Failed(const char* step, const std::string& message) {
  static std::mutex mu;
  static std::set<std::string> seen;
  std::lock_guard<std::mutex> lock(mu);
  if (seen.insert(step).second) std::fprintf(stderr, "%s: %s\n", step, message.c_str());
}

struct Options {
  std::vector<std::string> targets;
  std::vector<int> clients = {1, 4, 8, 16};
  int documents = 192;  // per client count, split between the clients
  std::string key = "serverKeys/seal";
  std::string officer_key, officer_chain;
  double rsa_sign_rate = 0;
  std::string tls_root, tls_cert, tls_key;
  // With mutual TLS the officer approves with their own client certificate.
  std::string officer_tls_cert, officer_tls_key;
  std::string label = "plain text";
  std::vector<int> server_pids;  // when set, taichods' CPU time per operation is reported too
  int kill_pid = 0;              // when set: the failover measurement (see the top)
  int kill_after_ms = 1500;
  // Seals per client made, and not measured, before the measured seals: in every run the seals
  // of the first ~200 ms after the approvals were slower (up to 75 ms at 16 clients against a
  // steady 35-50), a start-up effect that a desk working all day does not see.
  int warmup = 4;
  std::string latency_log;  // when set: one line per operation (phase clients client start_ms ms)
  // Measured seal phases per client count, each on documents of its own. This VM's speed drifts
  // by 10-15% within minutes (the raw RSA rate and taichod's CPU per seal alike), so one phase
  // is one sample: the ratio is reported per round and as the median.
  int rounds = 1;
  // When set (`openssl speed -seconds 2 rsa2048`), run right before each measured seal phase:
  // that phase's ratio is to the raw rate measured next to it.
  std::string baseline_command;
  std::string expect_level;  // "B-B" … "B-LTA"; empty: any level
  std::string ocsp_log, crl_log, tsa_stats;
  int tsa_pid = 0;
  std::string save_dir;
  int save_count = 2;
};

// Occurrences of `needle` in the file at `path` (0 when unreadable).
int CountInFile(const std::string& path, const std::string& needle) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Requests the services on loopback had received (-1: that service is not watched).
struct ServiceCounts {
  int ocsp = -1, crl = -1, tsa = -1;
  double tsa_answer_ms = 0;  // the test TSA's time answering, summed over its requests
  double tsa_cpu_ms = -1;    // the TSA's process tree's CPU time so far (-1: not watched)
};
double ProcessTreeCpuMs(int pid);
ServiceCounts ReadServiceCounts(const Options& o) {
  ServiceCounts c;
  if (!o.ocsp_log.empty()) c.ocsp = CountInFile(o.ocsp_log, "Received request");
  if (!o.crl_log.empty()) c.crl = CountInFile(o.crl_log, "\"GET /");
  if (!o.tsa_stats.empty()) {
    std::ifstream in(o.tsa_stats);
    int max_in_flight = 0;
    c.tsa = 0;
    in >> c.tsa >> max_in_flight >> c.tsa_answer_ms;
  }
  if (o.tsa_pid > 0) c.tsa_cpu_ms = ProcessTreeCpuMs(o.tsa_pid);
  return c;
}

// "requests  clients 16  per seal: OCSP 0.00 (0), CRL 0.00 (0), TSA 2.00 (96)" for a phase of
// `seals` seals between `before` and `after`.
void PrintServiceCounts(const char* phase, int clients, int seals, const ServiceCounts& before,
                        const ServiceCounts& after) {
  if (before.ocsp < 0 && before.crl < 0 && before.tsa < 0) return;
  std::printf("requests  clients %2d  %s, per seal:", clients, phase);
  const char* separator = "";
  auto one = [&](const char* name, int b, int a) {
    if (b < 0) return;
    const int n = a - b;
    std::printf("%s %s %.2f (%d)", separator, name, seals > 0 ? double(n) / seals : 0.0, n);
    separator = ",";
  };
  one("OCSP", before.ocsp, after.ocsp);
  one("CRL", before.crl, after.crl);
  one("TSA", before.tsa, after.tsa);
  if (before.tsa >= 0 && after.tsa > before.tsa && seals > 0) {
    // What the TSA itself took (its queue included), against the seal's latency.
    std::printf("; the TSA answering: %.1f ms per request, %.1f ms per seal",
                (after.tsa_answer_ms - before.tsa_answer_ms) / (after.tsa - before.tsa),
                (after.tsa_answer_ms - before.tsa_answer_ms) / seals);
  }
  if (before.tsa_cpu_ms >= 0 && after.tsa_cpu_ms >= 0 && seals > 0) {
    std::printf("; the TSA's CPU: %.2f ms per seal",
                (after.tsa_cpu_ms - before.tsa_cpu_ms) / seals);
  }
  std::printf("\n");
  std::fflush(stdout);
}

// The sign/s of `openssl speed rsa2048`'s result line ("rsa 2048 bits 0.000245s 0.000007s
// 4081.3 146000.1"), or 0 when the command fails or prints no such line.
double RunBaseline(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return 0;
  double rate = 0;
  char line[512];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::istringstream fields(line);
    std::string rsa, bits_label, sign_s, verify_s;
    int bits = 0;
    double sign_rate = 0;
    if (fields >> rsa >> bits >> bits_label >> sign_s >> verify_s >> sign_rate && rsa == "rsa" &&
        bits == 2048 && bits_label == "bits") {
      rate = sign_rate;
    }
  }
  return ::pclose(pipe) == 0 ? rate : 0;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// User + system CPU time of a process so far (ms), from /proc; -1 when unreadable. The machine is
// shared, so wall-clock rates move with other load; CPU per operation does much less.
double ProcessCpuMs(int pid);
// The sum over `pids` (-1 when one is unreadable).
double ProcessCpuMs(const std::vector<int>& pids) {
  if (pids.empty()) return -1;
  double sum = 0;
  for (int pid : pids) {
    const double ms = ProcessCpuMs(pid);
    if (ms < 0) return -1;
    sum += ms;
  }
  return sum;
}
double ProcessCpuMs(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// ProcessCpuMs of `pid` and of its living descendants (the test TSA's long-lived workers;
// children that ended count in their parent's cutime, not read here: the workers live all run).
double ProcessTreeCpuMs(int pid) {
  double sum = ProcessCpuMs(pid);
  if (sum < 0) return -1;
  // A child is listed under the thread that started it.
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream children(task.path() / "children");
    int child = 0;
    while (children >> child) {
      const double ms = ProcessTreeCpuMs(child);
      if (ms > 0) sum += ms;
    }
  }
  return sum;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<grpc::Channel> NewChannel(const Options& o, const std::string& target,
                                          const std::string& cert, const std::string& key) {
  grpc::ChannelArguments arguments;
  // One connection per client, as separate one-stop-shop machines would have.
  arguments.SetInt("grpc.use_local_subchannel_pool", 1);
  arguments.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (o.tls_root.empty()) {
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadAll(o.tls_root);
  ssl.pem_cert_chain = ReadAll(cert);
  ssl.pem_private_key = ReadAll(key);
  arguments.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), arguments);
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  return context;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The machine's CPU time, idle and total, in clock ticks (/proc/stat's first line).
struct MachineTimes {
  double idle = 0, total = 0;
};
MachineTimes ReadMachineTimes() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  MachineTimes t;
  double v = 0;
  for (int field = 0; field < 8 && (in >> v); ++field) {
    t.total += v;
    if (field == 3 || field == 4) t.idle += v;  // idle, iowait
  }
  return t;
}

struct Stats {
  double throughput = 0;      // per second
  double server_cpu_ms = -1;  // taichod's CPU time per successful operation
  double client_cpu_ms = -1;  // this driver's (on the same cores: what taichod could not use)
  double idle_share = -1;     // the machine's idle time over the phase, 0–1
  double p50 = 0, p99 = 0, max = 0;
  int failures = 0;
  int done = 0;
};

Stats Summarise(std::vector<double> latencies, double wall_s, int failures) {
  Stats s;
  s.failures = failures;
  s.done = static_cast<int>(latencies.size());
  if (latencies.empty()) return s;
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    const size_t i = std::min(latencies.size() - 1, static_cast<size_t>(q * latencies.size()));
    return latencies[i];
  };
  s.throughput = static_cast<double>(latencies.size()) / wall_s;
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = latencies.back();
  return s;
}

// Runs `work(client, index)` for `per_client` items on each of `clients` threads; returns the
// latencies of the successful calls and the wall time.
// Where RunPhase writes each operation's timing when --latency-log is given (else null).
FILE* latency_log = nullptr;

template <typename Work>
Stats RunPhase(const char* phase, const std::vector<int>& server_pid, int clients, int per_client,
               Work work) {
  const double cpu_before = ProcessCpuMs(server_pid);
  const double client_before = ProcessCpuMs(::getpid());
  const MachineTimes machine_before = ReadMachineTimes();
  std::vector<double> latencies;
  std::mutex mu;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      for (int i = 0; i < per_client; ++i) {
        const auto t0 = Clock::now();
        if (work(c, i)) {
          mine.push_back(Ms(Clock::now() - t0));
          if (latency_log != nullptr) {
            std::lock_guard<std::mutex> lock(mu);
            std::fprintf(latency_log, "%s %d %d %.2f %.2f\n", phase, clients, c, Ms(t0 - start),
                         mine.back());
          }
        } else {
          ++failures;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_after = ProcessCpuMs(server_pid);
  const double client_after = ProcessCpuMs(::getpid());
  const MachineTimes machine_after = ReadMachineTimes();
  const size_t done = latencies.size();
  Stats stats = Summarise(std::move(latencies), wall, failures);
  if (cpu_before >= 0 && cpu_after >= 0 && done > 0) {
    stats.server_cpu_ms = (cpu_after - cpu_before) / static_cast<double>(done);
  }
  if (client_before >= 0 && client_after >= 0 && done > 0) {
    stats.client_cpu_ms = (client_after - client_before) / static_cast<double>(done);
  }
  const double total = machine_after.total - machine_before.total;
  if (total > 0) stats.idle_share = (machine_after.idle - machine_before.idle) / total;
  return stats;
}

void Print(const char* what, int clients, const Stats& s) {
  std::printf("%-8s clients %2d  %7.1f /s  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms", what, clients,
              s.throughput, s.p50, s.p99, s.max);
  if (s.server_cpu_ms >= 0) std::printf("  taichod CPU %.1f ms/op", s.server_cpu_ms);
  if (s.client_cpu_ms >= 0) std::printf("  driver CPU %.1f ms/op", s.client_cpu_ms);
  if (s.idle_share >= 0) std::printf("  idle %.0f%%", 100 * s.idle_share);
  if (s.failures) std::printf("  FAILURES %d", s.failures);
  std::printf("\n");
  std::fflush(stdout);
}

// The failover measurement: each client seals its documents on the first target until a call
// fails (its instance was killed), then on the other. Prints, per client that saw the failure,
// the wait from the kill to its call failing and from there to its first success.
int Failover(const Options& o, int clients, int per_client,
             const std::vector<std::vector<std::string>>& names,
             std::vector<std::unique_ptr<v1::DocumentService::Stub>>& stubs,
             std::vector<std::unique_ptr<v1::DocumentService::Stub>>& others) {
  std::atomic<bool> killed{false};
  Clock::time_point killed_at;
  std::vector<double> detect_ms(clients, -1), recover_ms(clients, -1);
  std::vector<int> after_failover(clients, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      bool moved = false;
      Clock::time_point failed_at;
      for (int i = 0; i < per_client; ++i) {
        if (names[c][i].empty()) continue;
        v1::SignDocumentRequest request;
        request.set_name(names[c][i]);
        request.set_role(v1::SEAL);
        request.set_key(o.key);
        for (int attempt = 0; attempt < 3; ++attempt) {
          v1::CompleteSignatureResponse out;
          auto context = Context();
          grpc::Status st =
              (moved ? others[c] : stubs[c])->SignDocument(context.get(), request, &out);
          // A seal that committed as its instance died is a state error on the retry: answered.
          const bool answered = st.ok() || st.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
          if (answered) {
            if (moved && recover_ms[c] < 0) recover_ms[c] = Ms(Clock::now() - failed_at);
            if (moved) ++after_failover[c];
            break;
          }
          if (!moved && killed.load()) {
            failed_at = Clock::now();
            detect_ms[c] = Ms(failed_at - killed_at);
            moved = true;
            continue;
          }
          Failed("seal", st.error_message());
          break;
        }
        if (moved && after_failover[c] >= 3) break;  // measured; the rest is not needed
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(o.kill_after_ms));
  killed_at = Clock::now();
  killed = true;
  ::kill(o.kill_pid, SIGKILL);
  for (std::thread& t : threads) t.join();
  std::vector<double> detect, recover, total;
  for (int c = 0; c < clients; ++c) {
    if (detect_ms[c] < 0 || recover_ms[c] < 0) continue;
    detect.push_back(detect_ms[c]);
    recover.push_back(recover_ms[c]);
    total.push_back(detect_ms[c] + recover_ms[c]);
  }
  if (total.empty()) {
    std::printf("failover: no client saw the kill (the load ended first?)\n");
    return 1;
  }
  std::sort(total.begin(), total.end());
  std::printf(
      "failover  clients %2d  %zu moved: kill→failure median %.1f ms max %.1f ms; "
      "failure→success on the other median %.1f ms max %.1f ms; kill→success median "
      "%.1f ms max %.1f ms\n",
      clients, total.size(), Median(detect), *std::max_element(detect.begin(), detect.end()),
      Median(recover), *std::max_element(recover.begin(), recover.end()), Median(total),
      total.back());
  return 0;
}

// Writes the latest revision of document `name` to `path`; false (and a message) on failure.
bool SaveLatestRevision(v1::DocumentService::Stub& stub, const std::string& name,
                        const std::string& path) {
  v1::DownloadRevisionRequest request;
  request.set_name(name);
  auto context = Context();
  auto reader = stub.DownloadRevision(context.get(), request);
  std::string bytes;
  v1::DownloadRevisionChunk chunk;
  while (reader->Read(&chunk)) bytes += chunk.data();
  const grpc::Status status = reader->Finish();
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!status.ok() || !out.flush()) {
    std::fprintf(stderr, "download %s to %s: %s\n", name.c_str(), path.c_str(),
                 status.error_message().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // As taichod does (server/main.cc): Debian's Abseil checks every mutex for deadlocks otherwise.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Options o;
  CLI::App app{"taichod seal load driver"};
  app.add_option("--target", o.targets, "host:port[,host:port…]; client c uses target c % n")
      ->required()
      ->delimiter(',');
  app.add_option("--clients", o.clients)->delimiter(',');
  app.add_option("--documents", o.documents, "documents per client count")->capture_default_str();
  app.add_option("--key", o.key)->capture_default_str();
  app.add_option("--officer-key", o.officer_key)->required();
  app.add_option("--officer-chain", o.officer_chain)->required();
  app.add_option("--rsa-sign-rate", o.rsa_sign_rate, "openssl speed rsa2048 sign/s, one core");
  app.add_option("--tls-root", o.tls_root);
  app.add_option("--tls-cert", o.tls_cert);
  app.add_option("--tls-key", o.tls_key);
  app.add_option("--officer-tls-cert", o.officer_tls_cert);
  app.add_option("--officer-tls-key", o.officer_tls_key);
  app.add_option("--label", o.label)->capture_default_str();
  app.add_option("--server-pid", o.server_pids, "taichods' pids, to report their CPU per operation")
      ->delimiter(',');
  app.add_option("--kill-pid", o.kill_pid, "failover measurement: the first target's taichod");
  app.add_option("--kill-after-ms", o.kill_after_ms)->capture_default_str();
  app.add_option("--warmup", o.warmup, "seals per client made before the measured ones")
      ->capture_default_str();
  app.add_option("--rounds", o.rounds, "measured seal phases per client count")
      ->capture_default_str();
  app.add_option("--baseline-command", o.baseline_command,
                 "prints `openssl speed rsa2048` output; run before each measured seal phase");
  app.add_option("--latency-log", o.latency_log,
                 "file for every operation's timing: phase clients client start_ms latency_ms");
  app.add_option("--expect-level", o.expect_level, "a seal must reach this PAdES level");
  app.add_option("--ocsp-log", o.ocsp_log, "the OCSP responder's log (requests counted)");
  app.add_option("--crl-log", o.crl_log, "the CRL server's log (requests counted)");
  app.add_option("--tsa-stats", o.tsa_stats, "the test TSA's stats file (requests counted)");
  app.add_option("--tsa-pid", o.tsa_pid, "the test TSA's pid (its and its workers' CPU per seal)");
  app.add_option("--save-dir", o.save_dir, "where to write sealed documents after the last phase");
  app.add_option("--save-count", o.save_count)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto officer = taicho::signer::LoadPemSigner(o.officer_key, o.officer_chain);
  if (!officer.ok()) {
    std::fprintf(stderr, "officer key: %s\n", std::string(officer.status().message()).c_str());
    return 1;
  }
  std::mutex officer_mu;  // a KeySigner is used by one thread at a time
  // As the desk's documents are: each one different (its summary names its dossier), and issued
  // at the seal step (number and date blank in the draft, filled in the seal's update).
  v1::DocumentData data = taicho::testing::SampleDocumentData();
  data.clear_number();
  data.clear_date();
  if (!o.latency_log.empty()) {
    latency_log = std::fopen(o.latency_log.c_str(), "a");
    if (latency_log == nullptr) {
      std::fprintf(stderr, "cannot open %s\n", o.latency_log.c_str());
      return 1;
    }
  }
  std::printf(
      "== seal load (%s), %d documents per client count measured in each of %d rounds, after %d "
      "warm-up seals per client\n",
      o.label.c_str(), o.documents, std::max(1, o.rounds), std::max(0, o.warmup));
  int round = 0;
  int seal_failures = 0;  // with --expect-level, any makes the exit status 1
  for (const int clients : o.clients) {
    ++round;
    const int measured = std::max(1, o.documents / clients);
    const int rounds = std::max(1, o.rounds);
    // Documents [0, warmup) of each client are sealed first, unmeasured, then each round's.
    const int warmup = std::max(0, o.warmup);
    const int per_client = warmup + measured * rounds;
    std::vector<std::unique_ptr<v1::DocumentService::Stub>> stubs, officers, others;
    for (int c = 0; c < clients; ++c) {
      // Failover: every client on the first target, the next one to retry on.
      const size_t t = o.kill_pid > 0 ? 0 : c % o.targets.size();
      const std::string& target = o.targets[t];
      stubs.push_back(v1::DocumentService::NewStub(NewChannel(o, target, o.tls_cert, o.tls_key)));
      others.push_back(v1::DocumentService::NewStub(
          NewChannel(o, o.targets[(t + 1) % o.targets.size()], o.tls_cert, o.tls_key)));
      officers.push_back(
          o.officer_tls_cert.empty()
              ? v1::DocumentService::NewStub(NewChannel(o, target, o.tls_cert, o.tls_key))
              : v1::DocumentService::NewStub(
                    NewChannel(o, target, o.officer_tls_cert, o.officer_tls_key)));
    }
    std::vector<std::vector<std::string>> names(clients, std::vector<std::string>(per_client));

    const Stats create = RunPhase("create", o.server_pids, clients, per_client, [&](int c, int i) {
      v1::CreateDocumentRequest request;
      request.set_request_id("bench");
      v1::Document* doc = request.mutable_document();
      doc->set_kind("quyet-dinh-ubnd");
      doc->set_dossier_code("BENCH-" + std::to_string(::getpid()) + "-" + std::to_string(round) +
                            "-" + std::to_string(c) + "-" + std::to_string(i));
      doc->set_desk("Quầy 1");
      *doc->mutable_data() = data;
      doc->mutable_data()->set_summary(data.summary() + " (hồ sơ " + doc->dossier_code() + ")");
      v1::Document out;
      auto context = Context();
      grpc::Status st = stubs[c]->CreateDocument(context.get(), request, &out);
      if (!st.ok()) {
        Failed("create", st.error_message());
        return false;
      }
      names[c][i] = out.name();
      return true;
    });
    Print("create", clients, create);
    if (round == 1 && !names[0][0].empty()) {
      v1::GetDocumentRequest get;
      get.set_name(names[0][0]);
      v1::Document doc;
      auto context = Context();
      if (stubs[0]->GetDocument(context.get(), get, &doc).ok() && doc.history_size() > 0) {
        std::printf("document: %s\n", doc.history(0).detail().c_str());  // "…, N pages"
      }
    }

    // The officer approves every draft (split signing; not part of the measured seal).
    const Stats approve =
        RunPhase("approve", o.server_pids, clients, per_client, [&](int c, int i) {
          if (names[c][i].empty()) return false;
          v1::PrepareSignatureRequest prepare;
          prepare.set_name(names[c][i]);
          prepare.set_role(v1::APPROVER);
          for (const auto& der : (*officer)->CertificateChain()) {
            prepare.add_certificate_chain(std::string(der.begin(), der.end()));
          }
          v1::PrepareSignatureResponse prepared;
          auto context = Context();
          grpc::Status st = officers[c]->PrepareSignature(context.get(), prepare, &prepared);
          if (!st.ok()) {
            Failed("prepare", st.error_message());
            return false;
          }
          const std::string& tbs = prepared.to_be_signed();
          absl::StatusOr<taicho::Bytes> value;
          {
            std::lock_guard<std::mutex> lock(officer_mu);
            value = (*officer)->Sign(
                taicho::ByteSpan(reinterpret_cast<const uint8_t*>(tbs.data()), tbs.size()),
                taicho::signer::DigestAlgorithm::kSha256);
          }
          if (!value.ok()) return false;
          v1::CompleteSignatureRequest complete;
          complete.set_session(prepared.session());
          complete.set_signature_value(std::string(value->begin(), value->end()));
          v1::CompleteSignatureResponse done;
          context = Context();
          st = officers[c]->CompleteSignature(context.get(), complete, &done);
          if (!st.ok()) Failed("complete", st.error_message());
          return st.ok();
        });
    Print("approve", clients, approve);

    auto seal_one = [&](int c, int i) {
      if (names[c][i].empty()) return false;
      v1::SignDocumentRequest request;
      request.set_name(names[c][i]);
      request.set_role(v1::SEAL);
      request.set_key(o.key);
      v1::CompleteSignatureResponse out;
      auto context = Context();
      grpc::Status st = stubs[c]->SignDocument(context.get(), request, &out);
      if (!st.ok()) {
        Failed("seal", st.error_message());
        return false;
      }
      if (out.document().state() != v1::Document::SEALED) return false;
      if (!o.expect_level.empty() &&
          (out.document().level() != o.expect_level || out.document().upgrade_pending())) {
        Failed("level", "sealed at " + out.document().level() + ", not " + o.expect_level +
                            (out.document().upgrade_pending() ? " (upgrade pending)" : ""));
        return false;
      }
      return true;
    };
    if (o.kill_pid > 0)
      return Failover(o, clients, warmup + measured * rounds, names, stubs, others);
    if (warmup > 0) {
      const ServiceCounts before = ReadServiceCounts(o);
      const Stats warm = RunPhase("warmup", o.server_pids, clients, warmup, seal_one);
      seal_failures += warm.failures;
      if (warm.failures)
        std::printf("warmup    clients %2d  FAILURES %d\n", clients, warm.failures);
      PrintServiceCounts("warm-up (cold caches)", clients, warm.done, before, ReadServiceCounts(o));
    }
    std::vector<double> ratios, p99s;
    for (int r = 0; r < rounds; ++r) {
      double rate = o.rsa_sign_rate;
      if (!o.baseline_command.empty()) {
        rate = RunBaseline(o.baseline_command);
        if (rate <= 0) {
          std::fprintf(stderr, "baseline command failed: %s\n", o.baseline_command.c_str());
          return 1;
        }
      }
      const int first = warmup + r * measured;
      const ServiceCounts before = ReadServiceCounts(o);
      const Stats seal = RunPhase("seal", o.server_pids, clients, measured,
                                  [&](int c, int i) { return seal_one(c, first + i); });
      Print("seal", clients, seal);
      seal_failures += seal.failures;
      PrintServiceCounts("measured seals", clients, seal.done, before, ReadServiceCounts(o));
      p99s.push_back(seal.p99);
      if (rate > 0) {
        ratios.push_back(100.0 * seal.throughput / rate);
        std::printf("seal/raw  clients %2d  %.1f%% of one core's RSA-2048 sign rate (%.0f/s%s)\n",
                    clients, ratios.back(), rate,
                    o.baseline_command.empty() ? "" : ", measured right before");
      }
    }
    if (rounds > 1) {
      std::printf("median    clients %2d  of %d rounds: p99 %.1f ms", clients, rounds,
                  Median(p99s));
      if (!ratios.empty()) std::printf(", %.1f%% of the raw RSA rate", Median(ratios));
      std::printf("\n");
    }
    std::fflush(stdout);
    if (!o.save_dir.empty() && round == static_cast<int>(o.clients.size())) {
      // The last documents sealed (the last round's), one per client first.
      int saved = 0;
      for (int i = per_client - 1; i >= 0 && saved < o.save_count; --i) {
        for (int c = 0; c < clients && saved < o.save_count; ++c) {
          if (names[c][i].empty()) continue;
          const std::string path = o.save_dir + "/seal-" + std::to_string(++saved) + ".pdf";
          if (!SaveLatestRevision(*stubs[c], names[c][i], path)) return 1;
        }
      }
    }
  }
  if (latency_log != nullptr) std::fclose(latency_log);
  return !o.expect_level.empty() && seal_failures > 0 ? 1 : 0;
}
