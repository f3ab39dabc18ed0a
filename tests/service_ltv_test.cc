// The service's signing policy (taichod.toml [signing]) over real gRPC sockets, with real parts on
// loopback: the project's RFC 3161 TSA (tests/support/local_tsa.h), OpenSSL's OCSP responder and
// CRLs over HTTP (local_revocation.h), the officer's SoftHSM2 token and the agency's seal token.
// The officer's signature is time-stamped server-side (B-T); the seal issues at B-LTA, which
// pdfsig, qpdf --check and `taicho verify` offline accept; a revoked officer is refused before
// anything is signed; a TSA that is down refuses the seal and leaves a recorded gap.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/local_revocation.h"
#include "tests/support/local_tsa.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/taichod_process.h"
#include "tests/support/taichod_toml.h"

namespace taicho {
namespace {

using namespace taicho::testing;
namespace v1 = ::taicho::v1;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct Policy {
  std::string officer_level = "B-T";
  std::string seal_level = "B-LTA";
  std::string tsa_url;
  std::vector<std::pair<std::string, std::string>> rewrites;
  std::string when_unavailable = "refuse";
  std::string extra;                         // more lines inside [signing]
  std::string key_extra = "sessions = 1\n";  // the seal key's table
};

// The services' time-outs in every policy here.
constexpr int kTsaTimeoutSeconds = 10;
constexpr int kRevocationTimeoutSeconds = 10;

// Plain text on loopback (no roles: the policy, not the access table, is under test), the seal
// token, and the signing policy.
std::string Config(const Policy& p) {
  std::ostringstream out;
  out << "shutdown_grace_seconds = 1\n"
      << "insecure_local = true\n"
      << "[signing]\n"
      << "officer_level = \"" << p.officer_level << "\"\n"
      << "seal_level = \"" << p.seal_level << "\"\n"
      << "tsa_urls = [\"" << p.tsa_url << "\"]\n"
      << "tsa_trust = \"" << Pki("ca-bundle.pem") << "\"\n"
      << "tsa_timeout_seconds = " << kTsaTimeoutSeconds << "\n"
      << "roots = \"" << Pki("ca-bundle.pem") << "\"\n"
      << "revocation_timeout_seconds = " << kRevocationTimeoutSeconds << "\n"
      << "when_unavailable = \"" << p.when_unavailable << "\"\n"
      << "url_rewrites = [";
  for (size_t i = 0; i < p.rewrites.size(); ++i) {
    out << (i ? ", " : "") << "\"" << p.rewrites[i].first << "=" << p.rewrites[i].second << "\"";
  }
  out << "]\n" << p.extra << testing::SealKeyTomlSection(kSealToken, p.key_extra);
  return out.str();
}

class Taichod {
 public:
  Taichod() : dir_(MakeTempDir("taichod-ltv")) {}
  // Another taichod on `other`'s store (a restart).
  explicit Taichod(const Taichod& other) : dir_(other.dir_) {}
  bool Start(const std::string& config, std::vector<std::string> extra = {}) {
    WriteFile(dir_ + "/taichod.toml", config);
    extra.insert(extra.begin(), {"--config", dir_ + "/taichod.toml"});
    // The sample roots as --trust: VerifyDocument judges chains against them.
    return process_.Start(dir_ + "/store", extra);
  }
  int Stop() { return process_.Stop(SIGTERM); }
  int metrics_port() const { return process_.metrics_port(); }
  std::unique_ptr<v1::DocumentService::Stub> Stub() const {
    return v1::DocumentService::NewStub(
        grpc::CreateChannel(process_.target(), grpc::InsecureChannelCredentials()));
  }
  std::string log() const { return process_.log(); }
  int exit_status() const { return process_.exit_status(); }

 private:
  std::string dir_;
  testing::TaichodProcess process_;
};

std::string Create(v1::DocumentService::Stub& stub, const std::string& dossier) {
  v1::CreateDocumentRequest create;
  create.set_request_id("req-1");
  v1::Document* doc = create.mutable_document();
  doc->set_kind("quyet-dinh-ubnd");
  doc->set_dossier_code(dossier);
  *doc->mutable_data() = testing::SampleDocumentData();
  // No number yet: the seal allocates it from the register.
  doc->mutable_data()->clear_number();
  doc->mutable_data()->clear_date();
  v1::Document created;
  auto context = CallContext(120);
  grpc::Status status = stub.CreateDocument(context.get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created.name();
}

Call Prepare(v1::DocumentService::Stub& stub, const std::string& name, const std::string& who,
             v1::PrepareSignatureResponse* out, v1::SignatureRole role = v1::APPROVER) {
  v1::PrepareSignatureRequest prepare;
  prepare.set_name(name);
  prepare.set_role(role);
  for (const std::string& der : testing::SampleChainDer(who)) prepare.add_certificate_chain(der);
  auto context = CallContext(120);
  grpc::Status status = stub.PrepareSignature(context.get(), prepare, out);
  return Finish(status, *context);
}

// A signature through the split path: taichod prepares, the token labelled `token` signs (as
// an officer's agent, or a seal key held outside taichod, would), taichod completes.
Call SignThroughSplitPath(v1::DocumentService::Stub& stub, const std::string& name,
                          const std::string& who, v1::SignatureRole role, const std::string& token,
                          v1::CompleteSignatureResponse* out) {
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(stub, name, who, &prepared, role);
  if (!call.status.ok()) return call;
  v1::CompleteSignatureRequest complete;
  complete.set_session(prepared.session());
  complete.set_signature_value(testing::SignOnToken(token, prepared.to_be_signed()));
  auto context = CallContext(120);
  grpc::Status status = stub.CompleteSignature(context.get(), complete, out);
  return Finish(status, *context);
}

// Officer An approves through the split path (his agent signs on his token).
Call Approve(v1::DocumentService::Stub& stub, const std::string& name,
             v1::CompleteSignatureResponse* out) {
  return SignThroughSplitPath(stub, name, "officer-an", v1::APPROVER, "Nguyễn Văn An", out);
}

Call ActivateAndSeal(v1::DocumentService::Stub& stub, const std::string& name,
                     v1::CompleteSignatureResponse* out) {
  v1::ActivateKeyRequest activate;
  activate.set_name(kSealKey);
  activate.set_pin("123456");
  v1::ServerKey key;
  auto context = CallContext(120);
  grpc::Status status = stub.ActivateKey(context.get(), activate, &key);
  Call call = Finish(status, *context);
  if (!status.ok() && call.code != "KEY_ALREADY_ACTIVATED") return call;
  v1::SignDocumentRequest request = SealRequest(name);
  request.set_reason("Đóng dấu / Sealed");
  context = CallContext(120);
  status = stub.SignDocument(context.get(), request, out);
  return Finish(status, *context);
}

class ServiceLtv : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tsa_.started()) << tsa_.log();
    ASSERT_TRUE(services_.started()) << services_.log();
  }
  Policy Working() const {
    Policy p;
    p.tsa_url = tsa_.url();
    p.rewrites = services_.rewrites();
    return p;
  }

  LocalTsa tsa_;
  LocalRevocation services_{GetSamplePki().dir};
};

TEST_F(ServiceLtv, OfficerAtBtAndSealAtBltaPassEveryChecker) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(Working()))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-LTA-1");
  v1::CompleteSignatureResponse approved;
  Call call = Approve(*stub, name, &approved);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message() << server.log();
  const int tsa_after_approval = tsa_.requests();
  EXPECT_EQ(tsa_after_approval, 1);  // the officer's signature time-stamp, taken server-side
  const std::string approved_file = DownloadBytes(*stub, name);

  v1::CompleteSignatureResponse sealed;
  call = ActivateAndSeal(*stub, name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message() << server.log();
  EXPECT_EQ(sealed.document().state(), v1::Document::SEALED);
  // One round trip per update that needs one: the seal's time-stamp and the document time-stamp.
  EXPECT_EQ(tsa_.requests() - tsa_after_approval, 2);

  const std::string dir = MakeTempDir("ltv-sealed");
  const std::string out = dir + "/sealed.pdf";
  WriteFile(out, DownloadBytes(*stub, name));
  // Two updates after the approval: the seal (with its signature time-stamp), then the DSS and
  // the document time-stamp over it in one.
  {
    const std::string sealed_file = ReadFileBytes(out);
    ASSERT_EQ(sealed_file.compare(0, approved_file.size(), approved_file), 0);
    int updates = 0;
    for (size_t at = sealed_file.find("%%EOF", approved_file.size()); at != std::string::npos;
         at = sealed_file.find("%%EOF", at + 1)) {
      ++updates;
    }
    EXPECT_EQ(updates, 2);
  }
  auto pdfsig = testing::RunPdfsig(out);
  EXPECT_EQ(pdfsig.signatures, 3) << pdfsig.output;  // officer, seal, document time-stamp
  EXPECT_EQ(pdfsig.valid, 2) << pdfsig.output;       // poppler 22.12 skips document time-stamps
  std::string log;
  EXPECT_TRUE(testing::QpdfCheckPasses(out, &log)) << log;
  // Offline: everything from the file's DSS.
  auto verify = testing::Run(Quote(TAICHO_CLI_PATH) + " verify --trust " +
                             Quote(Pki("ca-bundle.pem")) + " " + Quote(out));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("Document's PAdES level: B-LTA"), std::string::npos)
      << verify.output;
  EXPECT_EQ(verify.output.find("TOTAL-FAILED"), std::string::npos) << verify.output;
  EXPECT_EQ(verify.output.find("INDETERMINATE"), std::string::npos) << verify.output;

  v1::VerifyDocumentRequest request;
  request.set_name(name);
  v1::VerificationReport report;
  auto context = CallContext(120);
  ASSERT_TRUE(stub->VerifyDocument(context.get(), request, &report).ok());
  EXPECT_TRUE(report.all_passed()) << report.text();
  EXPECT_EQ(report.level(), "B-LTA") << report.text();
  ASSERT_EQ(report.signatures_size(), 3);
  EXPECT_EQ(report.signatures(0).level(), "B-LTA");
  EXPECT_EQ(report.signatures(1).level(), "B-LTA");
  EXPECT_EQ(report.signatures(2).level(), "");  // the document time-stamp itself
  // The officer's P=2 certification still holds: each later update is one it permits.
  EXPECT_TRUE(report.signatures(0).changes_permitted()) << report.text();
  std::string kinds;
  for (const auto& change : report.signatures(0).changes_after()) {
    EXPECT_TRUE(change.permitted()) << change.kind() << ": " << change.text_en();
    kinds += change.kind() + " ";
  }
  EXPECT_NE(kinds.find("new_signature "), std::string::npos) << report.text();
  EXPECT_NE(kinds.find("dss "), std::string::npos) << report.text();
  EXPECT_NE(kinds.find("doc_timestamp "), std::string::npos) << report.text();
  // After the seal: the one update that holds the DSS and the document time-stamp.
  std::vector<std::string> after_seal;
  for (const auto& change : report.signatures(1).changes_after()) {
    EXPECT_TRUE(change.permitted()) << change.kind() << ": " << change.text_en();
    after_seal.push_back(change.kind());
  }
  std::sort(after_seal.begin(), after_seal.end());
  EXPECT_EQ(after_seal, (std::vector<std::string>{"doc_timestamp", "dss"})) << report.text();
  // The record says at which level each signature was made.
  v1::GetDocumentRequest get;
  get.set_name(name);
  v1::Document got;
  context = CallContext(120);
  ASSERT_TRUE(stub->GetDocument(context.get(), get, &got).ok());
  std::string history;
  for (const auto& e : got.history()) history += e.action() + ": " + e.detail() + "\n";
  EXPECT_NE(history.find("approved: signed by"), std::string::npos) << history;
  EXPECT_NE(history.find("PAdES B-T"), std::string::npos) << history;
  EXPECT_NE(history.find("PAdES B-LTA"), std::string::npos) << history;

  // Warm caches: a second document, same officer and seal, asks no responder again (every answer
  // is still fresh) and the TSA once per time-stamp (the officer's, the seal's, the document's).
  const int ocsp_before = services_.ocsp_requests();
  const int crl_before = services_.crl_requests();
  const int tsa_before = tsa_.requests();
  const std::string second = Create(*stub, "HS-LTA-2");
  call = Approve(*stub, second, &approved);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();
  const auto start = std::chrono::steady_clock::now();
  call = ActivateAndSeal(*stub, second, &sealed);
  const auto seal_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();
  std::printf("B-LTA seal with warm caches (activation included): %lld ms\n",
              static_cast<long long>(seal_ms));
  EXPECT_EQ(services_.ocsp_requests(), ocsp_before);
  EXPECT_EQ(services_.crl_requests(), crl_before);
  EXPECT_EQ(tsa_.requests() - tsa_before, 3);
}

TEST_F(ServiceLtv, RevokedOrExpiredOfficerIsRefusedAtPrepare) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(Working()))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-LTA-REVOKED");
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(*stub, name, "officer-revoked", &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "CERT_REVOKED") << call.status.error_message();
  call = Prepare(*stub, name, "officer-expired", &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "CERT_EXPIRED") << call.status.error_message();
  // Nothing was prepared: the document is still a draft with its one revision.
  v1::GetDocumentRequest get;
  get.set_name(name);
  v1::Document got;
  auto context = CallContext(120);
  ASSERT_TRUE(stub->GetDocument(context.get(), get, &got).ok());
  EXPECT_EQ(got.state(), v1::Document::DRAFT);
  EXPECT_EQ(got.revisions_size(), 1);
  // A good officer still signs.
  v1::CompleteSignatureResponse approved;
  call = Approve(*stub, name, &approved);
  EXPECT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();
}

TEST_F(ServiceLtv, RespondersDownRefuseThePrepareWithRevocationUnavailable) {
  Policy p = Working();
  for (auto& rewrite : p.rewrites) rewrite.second = testing::UnusedLoopbackUrl();
  Taichod server;
  ASSERT_TRUE(server.Start(Config(p))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-LTA-OCSP-DOWN");
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(*stub, name, "officer-an", &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(call.code, "REVOCATION_UNAVAILABLE") << call.status.error_message();
}

TEST_F(ServiceLtv, TsaDownRefusesTheSealAndTheNumberIsARecordedGap) {
  Policy p = Working();
  p.officer_level = "B-B";  // the officer's signature needs no TSA here
  p.tsa_url = testing::UnusedLoopbackUrl();
  Taichod server;
  ASSERT_TRUE(server.Start(Config(p))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-LTA-TSA-DOWN");
  v1::CompleteSignatureResponse approved;
  Call call = Approve(*stub, name, &approved);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();
  v1::CompleteSignatureResponse sealed;
  call = ActivateAndSeal(*stub, name, &sealed);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(call.code, "TSA_UNAVAILABLE") << call.status.error_message();

  v1::ListRegisterRequest list;
  v1::ListRegisterResponse entries;
  auto context = CallContext(120);
  ASSERT_TRUE(stub->ListRegister(context.get(), list, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).state(), v1::RegisterEntry::VOID);
  EXPECT_NE(entries.entries(0).void_reason().find("signing failed"), std::string::npos)
      << entries.entries(0).void_reason();
  // The document stays approved, to be sealed again once the TSA answers.
  v1::GetDocumentRequest get;
  get.set_name(name);
  v1::Document got;
  context = CallContext(120);
  ASSERT_TRUE(stub->GetDocument(context.get(), get, &got).ok());
  EXPECT_EQ(got.state(), v1::Document::APPROVED);
}

// A TSA answering with another nonce: the officer's completion is refused (TSA_RESPONSE_INVALID,
// nothing stored, the document still a draft).
TEST_F(ServiceLtv, WrongNonceFromTheTsaRefusesTheOfficersCompletion) {
  testing::LocalTsaOptions options;
  options.mode = "wrong-nonce";
  LocalTsa wrong(options);
  ASSERT_TRUE(wrong.started()) << wrong.log();
  Policy p = Working();
  p.tsa_url = wrong.url();
  Taichod server;
  ASSERT_TRUE(server.Start(Config(p))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-LTA-NONCE");
  v1::CompleteSignatureResponse approved;
  Call call = Approve(*stub, name, &approved);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "TSA_RESPONSE_INVALID") << call.status.error_message();
  EXPECT_GE(wrong.requests(), 1);
  v1::GetDocumentRequest get;
  get.set_name(name);
  v1::Document got;
  auto context = CallContext(120);
  ASSERT_TRUE(stub->GetDocument(context.get(), get, &got).ok());
  EXPECT_EQ(got.state(), v1::Document::DRAFT);
  EXPECT_EQ(got.revisions_size(), 1);
}

// One client, seals in a row with warm caches: B-B against B-LTA (printed, for the record; the
// budget asserted is the round trips above). Every seal must succeed.
TEST_F(ServiceLtv, SealLatencyAtBbAndAtBlta) {
  constexpr int kSeals = 8;
  for (const char* level : {"B-B", "B-LTA"}) {
    Policy p = Working();
    p.seal_level = level;
    Taichod server;
    ASSERT_TRUE(server.Start(Config(p))) << server.log();
    auto stub = server.Stub();
    std::vector<std::string> names;
    for (int i = 0; i <= kSeals; ++i) {
      names.push_back(Create(*stub, std::string("HS-LAT-") + level + "-" + std::to_string(i)));
      v1::CompleteSignatureResponse approved;
      ASSERT_TRUE(Approve(*stub, names.back(), &approved).status.ok());
    }
    v1::CompleteSignatureResponse sealed;
    ASSERT_TRUE(ActivateAndSeal(*stub, names[0], &sealed).status.ok());  // warms the caches
    std::vector<double> ms;
    for (int i = 1; i <= kSeals; ++i) {
      const v1::SignDocumentRequest request = SealRequest(names[i]);
      auto context = CallContext(120);
      const auto start = std::chrono::steady_clock::now();
      grpc::Status status = stub->SignDocument(context.get(), request, &sealed);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    std::sort(ms.begin(), ms.end());
    std::printf("seal at %s, 1 client, %d seals: median %.1f ms, max %.1f ms\n", level, kSeals,
                ms[ms.size() / 2], ms.back());
  }
}

// ---- Issue now, upgrade later (when_unavailable = "issue-and-upgrade") and archival renewal.

// The worker of every policy below looks every second and retries after 1 s, then 2 s.
constexpr char kQuickWorker[] =
    "upgrade_retry_min_seconds = 1\nupgrade_retry_max_seconds = 2\nupgrade_poll_seconds = 1\n";

// The policy that issues during an outage.
Policy IssueAndUpgrade(Policy p) {
  p.when_unavailable = "issue-and-upgrade";
  p.extra += kQuickWorker;
  return p;
}

// How long a test waits for the worker, derived from what it waits for rather than from how
// long it took on an idle machine: one attempt of the worker may take up to taichod's own bound
// for it (4 × tsa_timeout_seconds + 4 × revocation_timeout_seconds: the TSA asked up to twice,
// each with its retries, and the responders; the floor of signing.upgrade_claim_seconds), then
// the backoff and the poll (kQuickWorker: 2 s and 1 s). On a loaded machine an attempt can run
// into a time-out and fail, and the next one succeed: a test waits for `attempts` of them.
std::chrono::seconds WorkerDeadline(int attempts) {
  return std::chrono::seconds(attempts *
                              (4 * kTsaTimeoutSeconds + 4 * kRevocationTimeoutSeconds + 2 + 1));
}

v1::Document Get(v1::DocumentService::Stub& stub, const std::string& name) {
  v1::GetDocumentRequest get;
  get.set_name(name);
  v1::Document got;
  auto context = CallContext(120);
  grpc::Status status = stub.GetDocument(context.get(), get, &got);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return got;
}

// Polls GetDocument (the worker's change is seen there) until `done`, or until three attempts of
// the worker could have run.
template <typename Done>
v1::Document WaitFor(v1::DocumentService::Stub& stub, const std::string& name, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + WorkerDeadline(3);
  v1::Document got = Get(stub, name);
  while (!done(got) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    got = Get(stub, name);
  }
  return got;
}

// taicho_pending_upgrades from /metrics (-1 when unreadable).
double PendingUpgradesMetric(int port) {
  auto scrape =
      testing::Run("curl -s --noproxy '*' http://127.0.0.1:" + std::to_string(port) + "/metrics");
  std::istringstream lines(scrape.output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("taicho_pending_upgrades ", 0) == 0) return std::stod(line.substr(24));
  }
  return -1;
}

// Polls the gauge until it reads `value` (the worker sets it after each pass), or until two of
// the worker's attempts could have run.
double WaitForMetric(int port, double value) {
  const auto deadline = std::chrono::steady_clock::now() + WorkerDeadline(2);
  double now = PendingUpgradesMetric(port);
  while (now != value && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    now = PendingUpgradesMetric(port);
  }
  return now;
}

// The latest revision checked by tools we did not write: pdfsig, qpdf --check, openssl cms /
// ts -verify on every signature and document time-stamp; and, at the final level, by `taicho
// verify` offline (from the file alone): TOTAL-PASSED at `level`.
void CheckLatest(v1::DocumentService::Stub& stub, const std::string& name, int signatures,
                 const std::string& level, bool final_level = true) {
  const std::string out = MakeTempDir("upgrade-check") + "/latest.pdf";
  WriteFile(out, DownloadBytes(stub, name));
  auto pdfsig = testing::RunPdfsig(out);
  EXPECT_EQ(pdfsig.signatures, signatures) << pdfsig.output;
  std::string log;
  EXPECT_TRUE(testing::QpdfCheckPasses(out, &log)) << log;
  EXPECT_EQ(testing::OpensslVerifyAll(out, Pki("ca-bundle.pem"), &log), signatures) << log;
  if (!final_level) return;
  auto verify = testing::Run(Quote(TAICHO_CLI_PATH) + " verify --trust " +
                             Quote(Pki("ca-bundle.pem")) + " " + Quote(out));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("Document's PAdES level: " + level + "\n"), std::string::npos)
      << verify.output;
  EXPECT_EQ(verify.output.find("TOTAL-FAILED"), std::string::npos) << verify.output;
  EXPECT_EQ(verify.output.find("INDETERMINATE"), std::string::npos) << verify.output;
}

// Polls ListDocumentLevels until the one document's failed attempts reach `n`, or until n + 1 of
// the worker's attempts could have run.
int WaitForFailedAttempts(v1::DocumentService::Stub& stub, int n) {
  const auto deadline = std::chrono::steady_clock::now() + WorkerDeadline(n + 1);
  for (;;) {
    v1::ListDocumentLevelsResponse levels;
    auto context = CallContext(120);
    EXPECT_TRUE(stub.ListDocumentLevels(context.get(), {}, &levels).ok());
    const int attempts = levels.documents_size() == 1 ? levels.documents(0).failed_attempts() : 0;
    if (attempts >= n || std::chrono::steady_clock::now() >= deadline) return attempts;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// The register holds one number for the document, issued (no second number, no gap).
void ExpectOneIssuedNumber(v1::DocumentService::Stub& stub) {
  v1::ListRegisterRequest list;
  v1::ListRegisterResponse entries;
  auto context = CallContext(120);
  ASSERT_TRUE(stub.ListRegister(context.get(), list, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).state(), v1::RegisterEntry::ISSUED);
}

// The worker's upgrade once the services answer: the document leaves "pending" at B-LTA through
// revision 4 (LEVEL_UPGRADE), its file verifies offline at B-LTA with 4 signatures (officer,
// seal, two document time-stamps) and one number was issued. `got`: the document then.
void ExpectUpgradedToBlta(Taichod& server, v1::DocumentService::Stub& stub, const std::string& name,
                          v1::Document* got) {
  *got = WaitFor(stub, name, [](const v1::Document& d) { return !d.upgrade_pending(); });
  ASSERT_FALSE(got->upgrade_pending()) << got->upgrade_problem() << server.log();
  EXPECT_EQ(got->level(), "B-LTA");
  ASSERT_EQ(got->revisions_size(), 4);
  EXPECT_EQ(got->revisions(3).purpose(), v1::Revision::LEVEL_UPGRADE);
  CheckLatest(stub, name, 4, "B-LTA");
  ExpectOneIssuedNumber(stub);
}

// Seals one document under `p` (its renewal margin already reached) and waits for the worker's
// renewal: revision 4, ARCHIVE_RENEWAL, still B-LTA, the next renewal not at once again, every
// signature valid offline, one number issued. `renewed`: the document then, for what each
// renewal test checks besides.
void SealAndAwaitRenewal(const Policy& p, const std::string& dossier, v1::Document* renewed) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(p))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, dossier);
  v1::CompleteSignatureResponse approved;
  ASSERT_TRUE(Approve(*stub, name, &approved).status.ok());
  v1::CompleteSignatureResponse sealed;
  Call call = ActivateAndSeal(*stub, name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();
  *renewed = WaitFor(*stub, name, [](const v1::Document& d) { return d.revisions_size() >= 4; });
  ASSERT_EQ(renewed->revisions_size(), 4) << server.log();
  EXPECT_EQ(renewed->revisions(3).purpose(), v1::Revision::ARCHIVE_RENEWAL);
  EXPECT_EQ(renewed->level(), "B-LTA");
  EXPECT_FALSE(renewed->upgrade_pending());
  // The same TSA again: the next renewal is at the floor (a day on), not at once.
  ASSERT_TRUE(renewed->has_next_renewal_time());
  EXPECT_GT(renewed->next_renewal_time().seconds(), std::time(nullptr) + 3600);
  // Officer, seal, document time-stamp, renewal's document time-stamp.
  CheckLatest(*stub, name, 4, "B-LTA");
  ExpectOneIssuedNumber(*stub);
}

Call MarkPrinted(v1::DocumentService::Stub& stub, const v1::Document& doc) {
  v1::MarkPrintedRequest request;
  request.set_name(doc.name());
  request.set_print_id("print-1");
  request.set_revision(doc.revisions(doc.revisions_size() - 1).name());
  request.set_printer("desk-1");
  request.set_copies(1);
  request.set_officer("Trần Thị Bình");
  v1::MarkPrintedResponse response;
  auto context = CallContext(120);
  grpc::Status status = stub.MarkPrinted(context.get(), request, &response);
  return Finish(status, *context);
}

TEST_F(ServiceLtv, TsaDownAtTheSealIssuesAtBbAndTheWorkerUpgradesItToBltaWhenItAnswers) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(IssueAndUpgrade(Working())), {"--metrics-listen", "127.0.0.1:0"}))
      << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-UPGRADE-1");
  v1::CompleteSignatureResponse approved;
  Call call = Approve(*stub, name, &approved);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();

  // The TSA goes down: the desk still gets its document, sealed at B-B, the upgrade owed.
  tsa_.SetMode("error");
  v1::CompleteSignatureResponse sealed;
  call = ActivateAndSeal(*stub, name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message() << server.log();
  EXPECT_EQ(sealed.document().state(), v1::Document::SEALED);
  EXPECT_EQ(sealed.document().level(), "B-B");
  EXPECT_EQ(sealed.document().target_level(), "B-LTA");
  EXPECT_TRUE(sealed.document().upgrade_pending());
  EXPECT_NE(sealed.document().upgrade_problem().find("time-stamp"), std::string::npos)
      << sealed.document().upgrade_problem();
  CheckLatest(*stub, name, 2, "B-B", /*final_level=*/false);
  // Printed and handed over while the upgrade waits.
  v1::Document got = Get(*stub, name);
  call = MarkPrinted(*stub, got);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();

  // The worker tries, fails, and says so in the record, the gauge and the log.
  EXPECT_GE(WaitForFailedAttempts(*stub, 1), 1);
  got = Get(*stub, name);
  EXPECT_NE(got.upgrade_problem().find("TSA_UNAVAILABLE"), std::string::npos)
      << got.upgrade_problem();
  EXPECT_TRUE(got.upgrade_pending());
  EXPECT_TRUE(got.has_next_upgrade_time());
  EXPECT_EQ(got.level(), "B-B");
  EXPECT_EQ(got.revisions_size(), 3);
  EXPECT_EQ(WaitForMetric(server.metrics_port(), 1), 1);
  v1::ListDocumentLevelsRequest list;
  list.set_upgrade_pending_only(true);
  v1::ListDocumentLevelsResponse levels;
  auto context = CallContext(120);
  ASSERT_TRUE(stub->ListDocumentLevels(context.get(), list, &levels).ok());
  ASSERT_EQ(levels.documents_size(), 1);
  EXPECT_EQ(levels.documents(0).document(), name);
  EXPECT_GE(levels.documents(0).failed_attempts(), 1);

  // The TSA answers again: the next attempt brings it to B-LTA as a new revision.
  tsa_.SetMode("normal");
  // Officer, seal, the document time-stamp that gives the seal B-T, and the archive one after
  // the DSS: 4 signatures in the file.
  ExpectUpgradedToBlta(server, *stub, name, &got);
  if (HasFatalFailure()) return;
  EXPECT_EQ(got.state(), v1::Document::ISSUED);
  ASSERT_EQ(got.signature_levels_size(), 2);
  for (const auto& level : got.signature_levels()) EXPECT_EQ(level.level(), "B-LTA");
  EXPECT_EQ(WaitForMetric(server.metrics_port(), 0), 0);
  EXPECT_NE(server.log().find("level upgrade of " + name), std::string::npos) << server.log();
}

TEST_F(ServiceLtv, APendingUpgradeSurvivesARestartOfTaichod) {
  const Policy policy = IssueAndUpgrade(Working());
  Taichod first;
  ASSERT_TRUE(first.Start(Config(policy))) << first.log();
  auto stub = first.Stub();
  const std::string name = Create(*stub, "HS-UPGRADE-RESTART");
  v1::CompleteSignatureResponse approved;
  ASSERT_TRUE(Approve(*stub, name, &approved).status.ok());
  tsa_.SetMode("error");
  v1::CompleteSignatureResponse sealed;
  Call call = ActivateAndSeal(*stub, name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();
  ASSERT_TRUE(sealed.document().upgrade_pending());
  first.Stop();

  tsa_.SetMode("normal");
  Taichod second(first);
  ASSERT_TRUE(second.Start(Config(policy))) << second.log();
  stub = second.Stub();
  v1::Document got =
      WaitFor(*stub, name, [](const v1::Document& d) { return !d.upgrade_pending(); });
  ASSERT_FALSE(got.upgrade_pending()) << got.upgrade_problem() << second.log();
  EXPECT_EQ(got.level(), "B-LTA");
  EXPECT_EQ(got.revisions_size(), 4);
  CheckLatest(*stub, name, 4, "B-LTA");
  ExpectOneIssuedNumber(*stub);
}

TEST_F(ServiceLtv, ATsaAnsweringWithAWrongNonceLeavesTheUpgradePending) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(IssueAndUpgrade(Working())))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-UPGRADE-NONCE");
  v1::CompleteSignatureResponse approved;
  ASSERT_TRUE(Approve(*stub, name, &approved).status.ok());
  tsa_.SetMode("wrong-nonce");
  v1::CompleteSignatureResponse sealed;
  Call call = ActivateAndSeal(*stub, name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message();
  EXPECT_EQ(sealed.document().level(), "B-B");  // the reply was not accepted at the seal
  ASSERT_TRUE(sealed.document().upgrade_pending());
  // Two of the worker's attempts get the same wrong replies: nothing is added.
  EXPECT_GE(WaitForFailedAttempts(*stub, 2), 2);
  v1::Document got = Get(*stub, name);
  EXPECT_NE(got.upgrade_problem().find("TSA_RESPONSE_INVALID"), std::string::npos)
      << got.upgrade_problem();
  EXPECT_TRUE(got.upgrade_pending());
  EXPECT_EQ(got.level(), "B-B");
  EXPECT_EQ(got.revisions_size(), 3);
  CheckLatest(*stub, name, 2, "B-B", /*final_level=*/false);
}

TEST_F(ServiceLtv, RenewalAddsAFreshDocumentTimeStampBeforeTheTsaCertificateExpires) {
  // The sample TSA's certificate ends on 2034-01-01: a margin of 10 years is already past.
  Policy p = Working();
  p.extra = std::string("renew_before_days = 3650\n") + kQuickWorker;
  v1::Document renewed;
  SealAndAwaitRenewal(p, "HS-RENEW-1", &renewed);
}

// The officer completes through the split path while the TSA is down: the approval goes through
// at B-B, pending; the worker adds nothing before the seal (that would void a seal being
// prepared); the seal's time-stamps and DSS raise the officer's signature, and the worker takes
// the document the rest of the way to B-LTA.
TEST_F(ServiceLtv, TsaDownAtTheOfficersCompletionTheDocumentCompletesAndLaterReachesItsLevel) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(IssueAndUpgrade(Working())), {"--metrics-listen", "127.0.0.1:0"}))
      << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-UPGRADE-OFFICER");
  tsa_.SetMode("error");
  v1::CompleteSignatureResponse approved;
  Call call = Approve(*stub, name, &approved);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message() << server.log();
  EXPECT_EQ(approved.document().state(), v1::Document::APPROVED);
  EXPECT_EQ(approved.document().level(), "B-B");
  EXPECT_EQ(approved.document().target_level(), "B-T");
  EXPECT_TRUE(approved.document().upgrade_pending());
  EXPECT_NE(approved.document().upgrade_problem().find("time-stamp"), std::string::npos)
      << approved.document().upgrade_problem();
  {
    // The officer's signature (pdfsig also lists the seal's empty field).
    const std::string out = MakeTempDir("officer-bb") + "/approved.pdf";
    WriteFile(out, DownloadBytes(*stub, name));
    auto pdfsig = testing::RunPdfsig(out);
    EXPECT_EQ(pdfsig.valid, 1) << pdfsig.output;
    std::string log;
    EXPECT_TRUE(testing::QpdfCheckPasses(out, &log)) << log;
    EXPECT_EQ(testing::OpensslVerifyAll(out, Pki("ca-bundle.pem"), &log), 1) << log;
  }
  EXPECT_EQ(WaitForMetric(server.metrics_port(), 1), 1);
  // The worker looks, and leaves it to the seal: no revision added, the reason shown.
  v1::Document got = WaitFor(*stub, name, [](const v1::Document& d) {
    return d.upgrade_problem().find("seal") != std::string::npos;
  });
  EXPECT_NE(got.upgrade_problem().find("seal's time-stamps"), std::string::npos)
      << got.upgrade_problem() << server.log();
  EXPECT_EQ(got.revisions_size(), 2);
  EXPECT_EQ(got.state(), v1::Document::APPROVED);

  // The TSA is back by the seal: the seal issues at its level, and its document time-stamp gives
  // the officer's signature B-T; one more archive time-stamp, the worker's, gives it B-LTA.
  tsa_.SetMode("normal");
  v1::CompleteSignatureResponse sealed;
  call = ActivateAndSeal(*stub, name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message() << server.log();
  EXPECT_EQ(sealed.document().state(), v1::Document::SEALED);
  EXPECT_EQ(sealed.document().target_level(), "B-LTA");
  EXPECT_EQ(sealed.document().level(), "B-LT");
  EXPECT_TRUE(sealed.document().upgrade_pending());
  // Officer, seal, the seal's document time-stamp, the worker's.
  ExpectUpgradedToBlta(server, *stub, name, &got);
  if (HasFatalFailure()) return;
  ASSERT_EQ(got.signature_levels_size(), 2);
  for (const auto& level : got.signature_levels()) EXPECT_EQ(level.level(), "B-LTA");
  EXPECT_EQ(WaitForMetric(server.metrics_port(), 0), 0);
}

// A seal made with a key held elsewhere (PrepareSignature / CompleteSignature, role SEAL) while
// the TSA is down: issued at B-B, the upgrade owed and done once the TSA answers.
TEST_F(ServiceLtv, ASplitPathSealInATsaOutageIssuesAndIsUpgradedLater) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(IssueAndUpgrade(Working())))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-UPGRADE-SPLIT");
  v1::CompleteSignatureResponse approved;
  ASSERT_TRUE(Approve(*stub, name, &approved).status.ok());
  tsa_.SetMode("error");
  v1::CompleteSignatureResponse sealed;
  const Call call = SignThroughSplitPath(*stub, name, "seal", v1::SEAL, kSealToken, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message() << server.log();
  EXPECT_EQ(sealed.document().state(), v1::Document::SEALED);
  EXPECT_EQ(sealed.document().level(), "B-B");
  EXPECT_EQ(sealed.document().target_level(), "B-LTA");
  EXPECT_TRUE(sealed.document().upgrade_pending());
  CheckLatest(*stub, name, 2, "B-B", /*final_level=*/false);

  tsa_.SetMode("normal");
  v1::Document got;
  ExpectUpgradedToBlta(server, *stub, name, &got);
}

// A split-path seal while no revocation source answers: under issue-and-upgrade its
// PrepareSignature goes on as SignDocument's seal does (it used to refuse with
// REVOCATION_UNAVAILABLE), the seal issues below B-LT with the upgrade owed, and once the
// responder and the CRL server are back the worker brings it to B-LTA.
TEST_F(ServiceLtv, ASplitPathSealWithTheRespondersDownIssuesAndIsUpgradedWhenTheyAreBack) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(IssueAndUpgrade(Working())))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-UPGRADE-SPLIT-OCSP");
  v1::CompleteSignatureResponse approved;
  ASSERT_TRUE(Approve(*stub, name, &approved).status.ok());
  services_.StopAll();
  v1::CompleteSignatureResponse sealed;
  const Call call = SignThroughSplitPath(*stub, name, "seal", v1::SEAL, kSealToken, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message() << server.log();
  EXPECT_EQ(sealed.document().state(), v1::Document::SEALED);
  EXPECT_EQ(sealed.document().level(), "B-T");  // the TSA answered; no revocation data
  EXPECT_EQ(sealed.document().target_level(), "B-LTA");
  EXPECT_TRUE(sealed.document().upgrade_pending());
  EXPECT_NE(sealed.document().upgrade_problem().find("REVOCATION_UNAVAILABLE"), std::string::npos)
      << sealed.document().upgrade_problem();

  ASSERT_TRUE(services_.Restart()) << services_.log();
  v1::Document got =
      WaitFor(*stub, name, [](const v1::Document& d) { return !d.upgrade_pending(); });
  ASSERT_FALSE(got.upgrade_pending()) << got.upgrade_problem() << server.log();
  EXPECT_EQ(got.level(), "B-LTA");
  ASSERT_EQ(got.revisions_size(), 4);
  EXPECT_EQ(got.revisions(3).purpose(), v1::Revision::LEVEL_UPGRADE);
  // Officer, seal (with its signature time-stamp), the archive time-stamp after the DSS.
  CheckLatest(*stub, name, 3, "B-LTA");
  ExpectOneIssuedNumber(*stub);
}

// The same outage over the prepare only: the responders are back when the seal is completed, so
// the DSS gets the status and the seal issues at B-LTA, but the record still says the status
// was not checked at the seal, as a server key's seal (SignDocument) records it.
TEST_F(ServiceLtv, ASplitPathSealPreparedWithTheRespondersDownRecordsItsUncheckedStatus) {
  Taichod server;
  ASSERT_TRUE(server.Start(Config(IssueAndUpgrade(Working())))) << server.log();
  auto stub = server.Stub();
  const std::string name = Create(*stub, "HS-UNCHECKED-SPLIT");
  v1::CompleteSignatureResponse approved;
  ASSERT_TRUE(Approve(*stub, name, &approved).status.ok());
  services_.StopAll();
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(*stub, name, "seal", &prepared, v1::SEAL);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message() << server.log();
  ASSERT_TRUE(services_.Restart()) << services_.log();

  v1::CompleteSignatureRequest complete;
  complete.set_session(prepared.session());
  complete.set_signature_value(testing::SignOnToken(kSealToken, prepared.to_be_signed()));
  v1::CompleteSignatureResponse sealed;
  auto context = CallContext(120);
  call = Finish(stub->CompleteSignature(context.get(), complete, &sealed), *context);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message() << server.log();
  EXPECT_EQ(sealed.document().level(), "B-LTA");
  EXPECT_FALSE(sealed.document().upgrade_pending());
  const v1::Document got = Get(*stub, name);
  EXPECT_EQ(got.level(), "B-LTA");
  EXPECT_NE(got.upgrade_problem().find("status not checked at the seal"), std::string::npos)
      << got.upgrade_problem();
  EXPECT_NE(got.upgrade_problem().find("REVOCATION_UNAVAILABLE"), std::string::npos)
      << got.upgrade_problem();
  // The officer's, the seal's and the document time-stamp.
  CheckLatest(*stub, name, 3, "B-LTA");
}

// Approves and seals a new document in `before`, a taichod without [signing] (as before levels
// were kept), checks that no level record was kept, and stops it.
void SealWithoutLevels(Taichod& before, const std::string& dossier, std::string* name) {
  ASSERT_TRUE(before.Start("shutdown_grace_seconds = 1\ninsecure_local = true\n" +
                           testing::SealKeyTomlSection(kSealToken, "sessions = 1\n")))
      << before.log();
  auto stub = before.Stub();
  *name = Create(*stub, dossier);
  v1::CompleteSignatureResponse approved;
  ASSERT_TRUE(Approve(*stub, *name, &approved).status.ok());
  v1::CompleteSignatureResponse sealed;
  Call call = ActivateAndSeal(*stub, *name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message() << before.log();
  EXPECT_EQ(Get(*stub, *name).level(), "");  // no record kept
  before.Stop();
}

// A document sealed by a taichod without [signing] (as before levels were kept) has no level
// record; the worker of a taichod started with the policy gives it one from the file and
// upgrades it like any other.
TEST_F(ServiceLtv, ADocumentSealedBeforeLevelsWereKeptIsBackfilledAndUpgraded) {
  Taichod before;
  std::string name;
  ASSERT_NO_FATAL_FAILURE(SealWithoutLevels(before, "HS-BACKFILL-1", &name));

  Taichod after(before);
  ASSERT_TRUE(after.Start(Config(IssueAndUpgrade(Working())))) << after.log();
  auto stub = after.Stub();
  v1::Document got = WaitFor(*stub, name, [](const v1::Document& d) {
    return !d.level().empty() && !d.upgrade_pending();
  });
  ASSERT_FALSE(got.upgrade_pending()) << got.upgrade_problem() << after.log();
  EXPECT_EQ(got.level(), "B-LTA");
  ASSERT_EQ(got.revisions_size(), 4);
  EXPECT_EQ(got.revisions(3).purpose(), v1::Revision::LEVEL_UPGRADE);
  EXPECT_NE(after.log().find("level backfill of " + name), std::string::npos) << after.log();
  EXPECT_NE(after.log().find("PAdES B-B, upgrade to B-LTA pending"), std::string::npos)
      << after.log();
  // Officer (B-B), seal (B-B), the document time-stamp giving both B-T, the archive one.
  CheckLatest(*stub, name, 4, "B-LTA");
  ExpectOneIssuedNumber(*stub);
  after.Stop();

  // Idempotent: the next start finds nothing to backfill and adds nothing.
  Taichod again(before);
  ASSERT_TRUE(again.Start(Config(IssueAndUpgrade(Working())))) << again.log();
  stub = again.Stub();
  v1::ListDocumentLevelsResponse levels;
  auto context = CallContext(120);
  ASSERT_TRUE(stub->ListDocumentLevels(context.get(), {}, &levels).ok());
  ASSERT_EQ(levels.documents_size(), 1);
  EXPECT_EQ(Get(*stub, name).revisions_size(), 4);
  EXPECT_EQ(again.log().find("level backfill of"), std::string::npos) << again.log();
}

// The backfill's target is the level of the key that made the seal (keys.NAME.level), not the
// policy's seal_level: a key activated at start (its PIN file) and configured for B-LT.
TEST_F(ServiceLtv, TheBackfillTargetsTheLevelOfTheKeyThatSealed) {
  Taichod before;
  std::string name;
  ASSERT_NO_FATAL_FAILURE(SealWithoutLevels(before, "HS-BACKFILL-KEY", &name));

  const std::string pin = MakeTempDir("backfill-pin") + "/seal.pin";
  WriteFile(pin, "123456\n");
  ASSERT_EQ(chmod(pin.c_str(), 0600), 0);
  Policy p = IssueAndUpgrade(Working());  // seal_level B-LTA
  p.key_extra = "sessions = 1\nlevel = \"B-LT\"\npin_file = \"" + pin + "\"\n";
  Taichod after(before);
  ASSERT_TRUE(after.Start(Config(p))) << after.log();
  auto stub = after.Stub();
  v1::Document got = WaitFor(*stub, name, [](const v1::Document& d) { return !d.level().empty(); });
  EXPECT_EQ(got.target_level(), "B-LT") << after.log();
  EXPECT_NE(after.log().find("level backfill of " + name), std::string::npos) << after.log();
  EXPECT_NE(after.log().find("upgrade to B-LT pending"), std::string::npos) << after.log();
}

// A key activated after the start (by an operator, not a PIN file) still gives the backfill its
// level: while the key is not activated its certificate is unknown, so the document sealed with
// it waits without a record (it used to get seal_level for good); once the key is activated the
// next pass gives it the key's level.
TEST_F(ServiceLtv, TheBackfillWaitsForAKeyActivatedLaterAndTargetsItsLevel) {
  Taichod before;
  std::string name;
  ASSERT_NO_FATAL_FAILURE(SealWithoutLevels(before, "HS-BACKFILL-LATER", &name));

  Policy p = IssueAndUpgrade(Working());  // seal_level B-LTA
  p.key_extra = "sessions = 1\nlevel = \"B-LT\"\n";
  Taichod after(before);
  ASSERT_TRUE(after.Start(Config(p))) << after.log();
  const std::string waits = "level backfill of " + name + " waits";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (after.log().find(waits) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(after.log().find(waits), std::string::npos) << after.log();
  auto stub = after.Stub();
  EXPECT_EQ(Get(*stub, name).level(), "");  // no record while its key is unknown

  v1::ActivateKeyRequest activate;
  activate.set_name(kSealKey);
  activate.set_pin("123456");
  v1::ServerKey key;
  auto context = CallContext(120);
  ASSERT_TRUE(stub->ActivateKey(context.get(), activate, &key).ok());
  v1::Document got = WaitFor(*stub, name, [](const v1::Document& d) { return !d.level().empty(); });
  EXPECT_EQ(got.target_level(), "B-LT") << after.log();
  EXPECT_NE(after.log().find("level backfill of " + name + " (revision"), std::string::npos)
      << after.log();
  EXPECT_NE(after.log().find("upgrade to B-LT pending"), std::string::npos) << after.log();
}

// Renewal comes due when an algorithm the last document time-stamp rests on nears the end of
// its recommended life, not only its TSA certificate: the sample TSA's RSA-2048 key, listed as
// fit for 10 more days, within a 30-day margin (its certificate alone would wait until 2033).
TEST_F(ServiceLtv, RenewalIsDueWhenTheTimeStampsAlgorithmNearsItsEnd) {
  const std::time_t soon = std::time(nullptr) + 10 * 86400;
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&soon));
  Policy p = Working();
  p.extra = std::string("renew_before_days = 30\n") + kQuickWorker +
            "algorithm_expiry = [\"rsa<3072=" + date + "\"]\n";
  // Renewed at once (by the certificate alone it would wait until late 2033); the same TSA key
  // is still within the margin, so the next renewal is at the floor, not in 2033.
  v1::Document renewed;
  SealAndAwaitRenewal(p, "HS-RENEW-ALGO", &renewed);
  if (HasFatalFailure()) return;
  EXPECT_LT(renewed.next_renewal_time().seconds(), std::time(nullptr) + 2 * 86400);
}

TEST(ServiceLtvConfig, ABadSigningPolicyIsRefusedAtStartUp) {
  struct Case {
    std::string config;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"insecure_local = true\n[signing]\nseal_level = \"B-X\"\n",
       {"CONFIG_INVALID", "signing.seal_level", "B-LTA"}},
      {"insecure_local = true\n[signing]\nroots = \"/etc/ssl/certs/ca-certificates.crt\"\n",
       {"CONFIG_INVALID", "tsa_urls"}},
      {"insecure_local = true\n[signing]\nofficer_level = \"B-B\"\nseal_level = \"B-B\"\n"
       "when_unavailable = \"upgrade\"\nroots = \"x.pem\"\n",
       {"CONFIG_INVALID", "when_unavailable"}},
      // Upgrading later needs a TSA to upgrade with; the backoff's bounds must be in order.
      {"insecure_local = true\n[signing]\nofficer_level = \"B-B\"\nseal_level = \"B-B\"\n"
       "when_unavailable = \"issue-and-upgrade\"\nroots = \"x.pem\"\n"
       "upgrade_retry_min_seconds = 60\nupgrade_retry_max_seconds = 10\n",
       {"CONFIG_INVALID", "tsa_urls", "upgrade_retry_max_seconds"}},
      {"insecure_local = true\n[keys.seal]\nmodule = \"m.so\"\ntoken_label = \"t\"\n"
       "level = \"B-T\"\n",
       {"CONFIG_INVALID", "keys.seal.level", "[signing]"}},
      // A claim shorter than one attempt's longest wait; an algorithm entry it cannot read.
      {"insecure_local = true\n[signing]\ntsa_urls = [\"http://127.0.0.1:1/\"]\n"
       "tsa_trust = \"x.pem\"\nroots = \"x.pem\"\ntsa_timeout_seconds = 30\n"
       "upgrade_claim_seconds = 60\nalgorithm_expiry = [\"md5=2001-01-01\"]\n",
       {"CONFIG_INVALID", "upgrade_claim_seconds' must be at least 160", "md5=2001-01-01"}},
  };
  for (const Case& c : cases) {
    Taichod server;
    EXPECT_FALSE(server.Start(c.config)) << c.config;
    EXPECT_TRUE(WIFEXITED(server.exit_status()) && WEXITSTATUS(server.exit_status()) == 2)
        << c.config << server.log();
    for (const std::string& e : c.expected) {
      EXPECT_NE(server.log().find(e), std::string::npos) << e << "\n" << server.log();
    }
  }
}

}  // namespace
}  // namespace taicho
