// Test support: the signing half of the project's test TSA, made by OpenSSL's own
// TS_RESP_create_response (what `openssl ts -reply` runs) with the same settings as
// tests/support/tsa_server.py's `openssl ts -reply` configuration. The certificate and key are read
// once, where a process per token spent most of each token's time starting up. Two ways to run:
//
//   tsa_signer SIGNER.pem KEY.pem CHAIN.pem SERIAL_START DIGESTS
//     A worker of tsa_server.py (which keeps the fault modes the tests use): time-stamp queries on
//     stdin, replies on stdout, each framed by a 4-byte big-endian length. Exits at the end of
//     stdin.
//   tsa_signer --http-port-file F --workdir D [--workers N] SIGNER.pem KEY.pem CHAIN.pem
//              SERIAL_START DIGESTS
//     The whole test TSA in "normal" mode, for bench/seal_load.sh: an HTTP/1.1 keep-alive server on
//     127.0.0.1 (cpp-httplib) answering POST application/timestamp-query. Measured, the Python
//     front spent about as much CPU per token as the signing (its HTTP parsing, threads and pipe),
//     CPU that a real TSA spends on other machines but that here competes with taichod. At most N
//     (default 4) tokens are made at once, as tsa_server.py's --workers; serial numbers come from
//     one counter. The chosen port goes to F once listening; D/stats holds what tsa_server.py
//     writes: "REQUESTS MAX_IN_FLIGHT ANSWER_MS CONNECTIONS". Runs until killed.
//
//   SERIAL_START: the first serial number; DIGESTS: the imprint digests accepted, comma-separated
//   ("sha256,sha384,sha512").
// SAMPLE ONLY: a test fixture, not a TSA.
#include <fcntl.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using RespCtxPtr = std::unique_ptr<TS_RESP_CTX, Free<TS_RESP_CTX, TS_RESP_CTX_free>>;
using RespPtr = std::unique_ptr<TS_RESP, Free<TS_RESP, TS_RESP_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Free<ASN1_OBJECT, ASN1_OBJECT_free>>;
void FreeCerts(STACK_OF(X509) * certs) { sk_X509_pop_free(certs, X509_free); }
using CertsPtr = std::unique_ptr<STACK_OF(X509), Free<STACK_OF(X509), FreeCerts>>;

int Fail(const char* what) {
  std::fprintf(stderr, "tsa_signer: %s\n", what);
  ERR_print_errors_fp(stderr);
  return 1;
}

// The serial numbers: SERIAL_START, then one more per token (shared by the HTTP front's threads).
ASN1_INTEGER* NextSerial(TS_RESP_CTX* ctx, void* data) {
  const uint64_t next = static_cast<std::atomic<uint64_t>*>(data)->fetch_add(1);
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  if (serial == nullptr || ASN1_INTEGER_set_uint64(serial, next) != 1) {
    ASN1_INTEGER_free(serial);
    TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Error during serial number generation.");
    TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
    return nullptr;
  }
  return serial;
}

// What every response context is made from, read once.
struct Signer {
  X509Ptr cert;
  KeyPtr key;
  CertsPtr chain;
  std::vector<const EVP_MD*> digests;
  std::atomic<uint64_t> serial{0};
};

// A response context as tsa_server.py's `openssl ts -reply` configuration: SHA-256 signer digest
// and ESS certificate id, accuracy 1 s, no ordering, the TSA's name in the TSTInfo, policies .1
// and .2. A context holds one request's state, so each thread answering has its own.
RespCtxPtr MakeContext(Signer& s) {
  RespCtxPtr ctx(TS_RESP_CTX_new());
  ObjPtr def_policy(OBJ_txt2obj("1.3.6.1.4.1.99999.1.1", 1));
  ObjPtr other_policy(OBJ_txt2obj("1.3.6.1.4.1.99999.1.2", 1));
  if (!ctx || !def_policy || !other_policy ||
      TS_RESP_CTX_set_signer_cert(ctx.get(), s.cert.get()) != 1 ||
      TS_RESP_CTX_set_signer_key(ctx.get(), s.key.get()) != 1 ||
      TS_RESP_CTX_set_certs(ctx.get(), s.chain.get()) != 1 ||  // copies
      TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_def_policy(ctx.get(), def_policy.get()) != 1 ||
      TS_RESP_CTX_add_policy(ctx.get(), other_policy.get()) != 1 ||
      TS_RESP_CTX_set_accuracy(ctx.get(), 1, 0, 0) != 1) {
    return nullptr;
  }
  for (const EVP_MD* md : s.digests) {
    if (TS_RESP_CTX_add_md(ctx.get(), md) != 1) return nullptr;
  }
  TS_RESP_CTX_add_flags(ctx.get(), TS_TSA_NAME);
  TS_RESP_CTX_set_serial_cb(ctx.get(), NextSerial, &s.serial);
  return ctx;
}

// The DER reply to one query, or nothing when OpenSSL could not make one (a malformed query gets
// a signed rejection, as from `openssl ts -reply`).
std::optional<std::string> Reply(TS_RESP_CTX* ctx, const std::string& query) {
  BioPtr in(BIO_new_mem_buf(query.data(), static_cast<int>(query.size())));
  RespPtr resp(in ? TS_RESP_create_response(ctx, in.get()) : nullptr);
  unsigned char* der = nullptr;
  const int len = resp ? i2d_TS_RESP(resp.get(), &der) : -1;
  ERR_clear_error();
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool ReadExactly(unsigned char* out, size_t n) { return std::fread(out, 1, n, stdin) == n; }

int ServePipe(Signer& s) {
  RespCtxPtr ctx = MakeContext(s);
  if (!ctx) return Fail("cannot set up the response context");
  std::string query;
  for (;;) {
    unsigned char head[4];
    if (!ReadExactly(head, 4)) return 0;  // stdin closed: the server is gone
    const uint32_t n = (uint32_t{head[0]} << 24) | (uint32_t{head[1]} << 16) |
                       (uint32_t{head[2]} << 8) | uint32_t{head[3]};
    query.resize(n);
    if (n > 0 && !ReadExactly(reinterpret_cast<unsigned char*>(query.data()), n)) {
      return Fail("short query");
    }
    const std::optional<std::string> reply = Reply(ctx.get(), query);
    if (!reply) return Fail("cannot make the reply");
    const uint32_t out = static_cast<uint32_t>(reply->size());
    const unsigned char out_head[4] = {
        static_cast<unsigned char>(out >> 24), static_cast<unsigned char>(out >> 16),
        static_cast<unsigned char>(out >> 8), static_cast<unsigned char>(out)};
    if (std::fwrite(out_head, 1, 4, stdout) != 4 ||
        std::fwrite(reply->data(), 1, out, stdout) != out || std::fflush(stdout) != 0) {
      return Fail("cannot write the reply");
    }
  }
}

// tsa_server.py's stats file, with its meaning: a request is counted (and the file rewritten) on
// arrival, so the stats are written before the client has its answer. Rewritten in place, fixed
// width (readers skip the spaces): a new file renamed over the old one per request, as the Python
// front does, cost ext4 a writeback and an inode eviction each time, a sixth of this server's CPU.
class Stats {
 public:
  explicit Stats(const std::string& path)
      : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644)) {
    if (fd_ >= 0) Write();  // zeros: a reader finds the format before the first request
  }
  ~Stats() {
    if (fd_ >= 0) close(fd_);
  }
  Stats(const Stats&) = delete;
  Stats& operator=(const Stats&) = delete;
  bool ok() const { return fd_ >= 0; }
  void Arrived(const std::string& peer) {
    std::lock_guard lock(mu_);
    ++requests_;
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    peers_.insert(peer);  // address:port, one per kept connection
    Write();
  }
  void Answered(double ms) {
    std::lock_guard lock(mu_);
    --in_flight_;
    answer_ms_ += ms;
    Write();
  }

 private:
  void Write() {
    char line[96];
    const int n = std::snprintf(line, sizeof line, "%12ld %12ld %16.1f %12zu\n", requests_,
                                max_in_flight_, answer_ms_, peers_.size());
    if (n > 0 && pwrite(fd_, line, static_cast<size_t>(n), 0) != n) {
      std::fprintf(stderr, "tsa_signer: cannot write the stats file\n");
    }
  }
  const int fd_;
  std::mutex mu_;
  long requests_ = 0, in_flight_ = 0, max_in_flight_ = 0;
  double answer_ms_ = 0;
  std::set<std::string> peers_;
};

int ServeHttp(Signer& s, const std::string& port_file, const std::string& workdir, int workers) {
  if (!MakeContext(s)) return Fail("cannot set up the response context");
  Stats stats(workdir + "/stats");
  if (!stats.ok()) return Fail("cannot open the stats file");
  std::counting_semaphore<> free_workers(workers);
  httplib::Server server;
  // Keep-alive as a TSA in service answers (taichod keeps its connections), Nagle off (the
  // headers and the body leave in two writes), and a thread per kept connection: httplib's
  // default pool (8) and 5 requests per connection would queue or close taichod's connections.
  server.set_keep_alive_max_count(1u << 30);
  server.set_tcp_nodelay(true);
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  // Any path, as tsa_server.py: a TSA URL names a path of its own choosing.
  server.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
    const auto arrived = std::chrono::steady_clock::now();
    stats.Arrived(req.remote_addr + ":" + std::to_string(req.remote_port));
    thread_local RespCtxPtr ctx = MakeContext(s);
    std::optional<std::string> reply;
    if (ctx) {
      free_workers.acquire();
      reply = Reply(ctx.get(), req.body);
      free_workers.release();
    }
    // Out of flight before the answer leaves: the client's next request must not find it counted.
    stats.Answered(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - arrived)
            .count());
    if (reply) {
      res.set_content(*reply, "application/timestamp-reply");
    } else {
      res.status = 500;
      res.set_content("tsa_signer: cannot make the reply\n", "text/plain");
    }
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return Fail("cannot listen on 127.0.0.1");
  std::ofstream(port_file + ".tmp") << port << '\n';
  // The fixture sees the port file only when complete.
  if (std::rename((port_file + ".tmp").c_str(), port_file.c_str()) != 0) {
    return Fail("cannot write the port file");
  }
  return server.listen_after_bind() ? 0 : Fail("the HTTP server stopped");
}

}  // namespace

int main(int argc, char** argv) {
  std::string port_file, workdir;
  int workers = 4;
  int i = 1;
  for (; i + 1 < argc && std::string(argv[i]).starts_with("--"); i += 2) {
    const std::string flag = argv[i];
    if (flag == "--http-port-file") {
      port_file = argv[i + 1];
    } else if (flag == "--workdir") {
      workdir = argv[i + 1];
    } else if (flag == "--workers") {
      workers = std::atoi(argv[i + 1]);
    } else {
      return Fail("unknown option");
    }
  }
  if (argc - i != 5 || (port_file.empty() != workdir.empty()) || workers < 1) {
    return Fail(
        "usage: tsa_signer [--http-port-file F --workdir D [--workers N]] SIGNER.pem KEY.pem "
        "CHAIN.pem SERIAL_START DIGESTS");
  }
  char** arg = argv + i;
  Signer s;
  BioPtr cert_in(BIO_new_file(arg[0], "r")), key_in(BIO_new_file(arg[1], "r"));
  BioPtr chain_in(BIO_new_file(arg[2], "r"));
  if (!cert_in || !key_in || !chain_in) return Fail("cannot open the certificate, key or chain");
  s.cert.reset(PEM_read_bio_X509(cert_in.get(), nullptr, nullptr, nullptr));
  s.key.reset(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
  s.chain.reset(sk_X509_new_null());
  if (!s.cert || !s.key || !s.chain) return Fail("cannot read the certificate or key");
  while (X509* c = PEM_read_bio_X509(chain_in.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(s.chain.get(), c);
  }
  ERR_clear_error();
  s.serial = std::strtoull(arg[3], nullptr, 0);
  std::stringstream digests(arg[4]);
  for (std::string name; std::getline(digests, name, ',');) {
    const EVP_MD* md = EVP_get_digestbyname(name.c_str());
    if (md == nullptr) return Fail("unknown digest");
    s.digests.push_back(md);
  }
  return port_file.empty() ? ServePipe(s) : ServeHttp(s, port_file, workdir, workers);
}
