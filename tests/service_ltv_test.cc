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
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/checkers.h"
#include "tests/support/desk_calls.h"
#include "tests/support/local_revocation.h"
#include "tests/support/local_tsa.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/taichod_process.h"

namespace taicho {
namespace {

using testing::Call;
using testing::CallContext;
using testing::DownloadBytes;
using testing::Finish;
using testing::GetSamplePki;
using testing::LocalRevocation;
using testing::LocalTsa;
using testing::MakeTempDir;
using testing::Quote;
using testing::ReadFileBytes;
namespace v1 = ::taicho::v1;

constexpr char kSealToken[] = "Con dấu UBND Châu Đức";
constexpr char kSealKey[] = "serverKeys/seal";

std::string Pki(const std::string& file) { return GetSamplePki().dir + "/" + file; }

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct Policy {
  std::string officer_level = "B-T";
  std::string seal_level = "B-LTA";
  std::string tsa_url;
  std::vector<std::pair<std::string, std::string>> rewrites;
  std::string extra;  // more lines inside [signing]
};

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
      << "tsa_timeout_seconds = 10\n"
      << "roots = \"" << Pki("ca-bundle.pem") << "\"\n"
      << "revocation_timeout_seconds = 10\n"
      << "when_unavailable = \"refuse\"\n"
      << "url_rewrites = [";
  for (size_t i = 0; i < p.rewrites.size(); ++i) {
    out << (i ? ", " : "") << "\"" << p.rewrites[i].first << "=" << p.rewrites[i].second << "\"";
  }
  out << "]\n"
      << p.extra << "[keys.seal]\n"
      << "module = \"" << GetSamplePki().module_path << "\"\n"
      << "token_label = \"" << kSealToken << "\"\n"
      << "key_label = \"seal\"\n"
      << "key_id = \"01\"\n"
      << "sessions = 1\n";
  return out.str();
}

class Taichod {
 public:
  Taichod() : dir_(MakeTempDir("taichod-ltv")) {}
  bool Start(const std::string& config) {
    WriteFile(dir_ + "/taichod.toml", config);
    // The sample roots as --trust: VerifyDocument judges chains against them.
    return process_.Start(dir_ + "/store", {"--config", dir_ + "/taichod.toml"});
  }
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
             v1::PrepareSignatureResponse* out) {
  v1::PrepareSignatureRequest prepare;
  prepare.set_name(name);
  prepare.set_role(v1::APPROVER);
  for (const std::string& der : testing::SampleChainDer(who)) prepare.add_certificate_chain(der);
  auto context = CallContext(120);
  grpc::Status status = stub.PrepareSignature(context.get(), prepare, out);
  return Finish(status, *context);
}

// Officer An approves through the split path (his agent signs on his token).
Call Approve(v1::DocumentService::Stub& stub, const std::string& name,
             v1::CompleteSignatureResponse* out) {
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(stub, name, "officer-an", &prepared);
  if (!call.status.ok()) return call;
  v1::CompleteSignatureRequest complete;
  complete.set_session(prepared.session());
  complete.set_signature_value(testing::SignOnToken("Nguyễn Văn An", prepared.to_be_signed()));
  auto context = CallContext(120);
  grpc::Status status = stub.CompleteSignature(context.get(), complete, out);
  return Finish(status, *context);
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
  v1::SignDocumentRequest request;
  request.set_name(name);
  request.set_role(v1::SEAL);
  request.set_key(kSealKey);
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

  v1::CompleteSignatureResponse sealed;
  call = ActivateAndSeal(*stub, name, &sealed);
  ASSERT_TRUE(call.status.ok()) << call.code << " " << call.status.error_message() << server.log();
  EXPECT_EQ(sealed.document().state(), v1::Document::SEALED);
  // One round trip per update that needs one: the seal's time-stamp and the document time-stamp.
  EXPECT_EQ(tsa_.requests() - tsa_after_approval, 2);

  const std::string dir = MakeTempDir("ltv-sealed");
  const std::string out = dir + "/sealed.pdf";
  WriteFile(out, DownloadBytes(*stub, name));
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
  for (const auto& change : report.signatures(0).changes_after()) {
    EXPECT_TRUE(change.permitted()) << change.kind() << ": " << change.text_en();
  }
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
      v1::SignDocumentRequest request;
      request.set_name(names[i]);
      request.set_role(v1::SEAL);
      request.set_key(kSealKey);
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
      {"insecure_local = true\n[keys.seal]\nmodule = \"m.so\"\ntoken_label = \"t\"\n"
       "level = \"B-T\"\n",
       {"CONFIG_INVALID", "keys.seal.level", "[signing]"}},
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
