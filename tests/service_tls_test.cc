// taichod over TLS and mutual TLS as a deployment runs it: a real process on a loopback port,
// real gRPC clients holding the sample client certificates (certs-sample/make-pki.sh), and the
// officer's SoftHSM2 token for a real approval. Checks handshakes, the role table over the wire,
// the officer's own sessions and who the record names.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "auth/access_policy.h"
#include "gtest/gtest.h"
#include "signer/certificate_info.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/taichod_process.h"
#include "tests/support/upload_client.h"

namespace taicho {
namespace {

using namespace taicho::testing;
namespace v1 = ::taicho::v1;

// taichod with the given transport flags; Start() returns false (and keeps the exit status) when
// the process exits before listening.
class Taichod {
 public:
  Taichod() : store_dir_(MakeTempDir("taichod-tls")) {}

  bool Start(const std::vector<std::string>& transport) {
    return process_.Start(store_dir_ + "/store", transport);
  }
  int Stop(int signal) { return process_.Stop(signal); }

  // A stub over TLS trusting the sample root; `client` names a sample client certificate
  // ("client-intake", …) or is empty for none.
  std::unique_ptr<v1::DocumentService::Stub> TlsStub(const std::string& client) const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFileBytes(Pki("root.pem"));
    if (!client.empty()) {
      options.pem_private_key = ReadFileBytes(Pki(client + ".key"));
      options.pem_cert_chain = ReadFileBytes(Pki(client + ".chain.pem"));
    }
    grpc::ChannelArguments arguments;
    // The certificate names localhost; dialling 127.0.0.1 avoids an IPv6 localhost.
    arguments.SetSslTargetNameOverride("localhost");
    return v1::DocumentService::NewStub(
        grpc::CreateCustomChannel(process_.target(), grpc::SslCredentials(options), arguments));
  }
  std::unique_ptr<v1::DocumentService::Stub> PlainStub() const {
    return v1::DocumentService::NewStub(
        grpc::CreateChannel(process_.target(), grpc::InsecureChannelCredentials()));
  }

  std::string log() const { return process_.log(); }
  int exit_status() const { return process_.exit_status(); }
  std::string target() const { return process_.target(); }

 private:
  std::string store_dir_;
  testing::TaichodProcess process_;
};

std::vector<std::string> ServerTls() {
  return {"--tls-cert", Pki("tls-server.chain.pem"), "--tls-key", Pki("tls-server.key")};
}
std::vector<std::string> ServerMtls() {
  std::vector<std::string> flags = ServerTls();
  flags.insert(flags.end(), {"--client-ca", Pki("root.pem")});
  return flags;
}

// The sample decision as the one-stop-shop software sends it (as in service_test): keys render/
// does not know by name go to texts (strings) and lists (arrays).
v1::CreateDocumentRequest CreateRequest(const std::string& dossier) {
  v1::CreateDocumentRequest request = testing::SampleCreateRequest(dossier, "Quầy 1");
  return request;
}

Call Create(v1::DocumentService::Stub& stub, const std::string& dossier, v1::Document* out) {
  auto context = CallContext();
  grpc::Status status = stub.CreateDocument(context.get(), CreateRequest(dossier), out);
  return Finish(status, *context);
}

Call Prepare(v1::DocumentService::Stub& stub, const std::string& document, v1::SignatureRole role,
             const std::string& signer, v1::PrepareSignatureResponse* out) {
  v1::PrepareSignatureRequest request;
  request.set_name(document);
  request.set_role(role);
  for (const std::string& der : testing::SampleChainDer(signer)) request.add_certificate_chain(der);
  auto context = CallContext();
  grpc::Status status = stub.PrepareSignature(context.get(), request, out);
  return Finish(status, *context);
}

Call Complete(v1::DocumentService::Stub& stub, const std::string& session,
              const std::string& value) {
  v1::CompleteSignatureRequest request;
  request.set_session(session);
  request.set_signature_value(value);
  v1::CompleteSignatureResponse response;
  auto context = CallContext();
  grpc::Status status = stub.CompleteSignature(context.get(), request, &response);
  return Finish(status, *context);
}

std::string SubjectOf(const std::string& name) {
  auto certs = signer::ReadCertificates(Pki(name + ".pem"));
  EXPECT_TRUE(certs.ok() && !certs->empty());
  if (!certs.ok() || certs->empty()) return "";
  auto info = signer::DescribeCertificate(certs->front());
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? info->subject : "";
}

// --- transport ----------------------------------------------------------------------------

TEST(ServiceTls, TransportFlagsMustAgree) {
  Taichod both;
  EXPECT_FALSE(both.Start({"--insecure-local", "--tls-cert", Pki("tls-server.chain.pem"),
                           "--tls-key", Pki("tls-server.key")}));
  EXPECT_TRUE(WIFEXITED(both.exit_status()) && WEXITSTATUS(both.exit_status()) == 2) << both.log();
  EXPECT_NE(both.log().find("--insecure-local cannot be combined"), std::string::npos)
      << both.log();
  Taichod none;
  EXPECT_FALSE(none.Start({}));
  EXPECT_TRUE(WIFEXITED(none.exit_status()) && WEXITSTATUS(none.exit_status()) == 2) << none.log();
  Taichod key_missing;
  EXPECT_FALSE(key_missing.Start({"--tls-cert", Pki("tls-server.chain.pem")}));
  EXPECT_TRUE(WIFEXITED(key_missing.exit_status()) && WEXITSTATUS(key_missing.exit_status()) == 2);
}

TEST(ServiceTls, ServerTlsHandshakeWithTheSampleRootAndNoPlainText) {
  Taichod server;
  ASSERT_TRUE(server.Start(ServerTls())) << server.log();
  v1::Document doc;
  Call call = Create(*server.TlsStub(""), "HS-TLS-1", &doc);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message() << "\n" << server.log();
  EXPECT_EQ(doc.state(), v1::Document::DRAFT);

  call = Create(*server.PlainStub(), "HS-TLS-2", &doc);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAVAILABLE) << call.status.error_message();
  EXPECT_NE(server.log().find("TLS, no client authentication"), std::string::npos) << server.log();
  const int status = server.Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.log();
}

// --- mutual TLS: one server for the suite -------------------------------------------------

class ServiceMtls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GetSamplePki();
    server_ = new Taichod;
    ASSERT_TRUE(server_->Start(ServerMtls())) << server_->log();
  }
  static void TearDownTestSuite() {
    const int status = server_->Stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->log();
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  static std::unique_ptr<v1::DocumentService::Stub> As(const std::string& client) {
    return server_->TlsStub(client);
  }

  // A draft made by the intake software, with its own dossier code.
  static std::string NewDraft() {
    v1::Document doc;
    Call call = Create(*As("client-intake"), "HS-MTLS-" + std::to_string(++counter_), &doc);
    EXPECT_TRUE(call.status.ok()) << call.status.error_message() << "\n" << server_->log();
    return doc.name();
  }

  // Approved through officer An's client and token; returns the document name.
  static std::string NewApproved() {
    const std::string name = NewDraft();
    auto officer = As("client-officer-an");
    v1::PrepareSignatureResponse prepared;
    Call call = Prepare(*officer, name, v1::APPROVER, "officer-an", &prepared);
    EXPECT_TRUE(call.status.ok()) << call.status.error_message();
    call = Complete(*officer, prepared.session(),
                    SignOnToken("Nguyễn Văn An", prepared.to_be_signed()));
    EXPECT_TRUE(call.status.ok()) << call.status.error_message();
    return name;
  }

  static Taichod* server_;
  static int counter_;
};
Taichod* ServiceMtls::server_ = nullptr;
int ServiceMtls::counter_ = 0;

TEST_F(ServiceMtls, HandshakeRefusesNoCertificateUnknownCaAndPlainText) {
  v1::Document doc;
  Call call = Create(*As("client-intake"), "HS-MTLS-HANDSHAKE", &doc);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message() << "\n" << server_->log();
  for (const std::string& client : {std::string(""), std::string("client-untrusted")}) {
    call = Create(*As(client), "HS-MTLS-REFUSED", &doc);
    EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << "client '" << client << "': " << call.status.error_message();
  }
  call = Create(*server_->PlainStub(), "HS-MTLS-REFUSED", &doc);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAVAILABLE) << call.status.error_message();
}

// Every role against every operation: allowed ones may fail for other reasons (a garbage
// signature value, a state), but never with PERMISSION_DENIED; the rest are ROLE_NOT_ALLOWED.
TEST_F(ServiceMtls, EachRoleCallsOnlyWhatItMay) {
  const std::string draft = NewDraft();
  const std::string approved = NewApproved();
  v1::PrepareSignatureResponse approval, seal;
  ASSERT_TRUE(
      Prepare(*As("client-officer-an"), draft, v1::APPROVER, "officer-an", &approval).status.ok());
  ASSERT_TRUE(Prepare(*As("client-seal-clerk"), approved, v1::SEAL, "seal", &seal).status.ok());

  using auth::Operation;
  auto perform = [&](v1::DocumentService::Stub& stub, Operation op) -> Call {
    auto context = CallContext();
    switch (op) {
      case Operation::kCreateDocument: {
        v1::Document out;
        return Finish(
            stub.CreateDocument(context.get(),
                                CreateRequest("HS-TABLE-" + std::to_string(++counter_)), &out),
            *context);
      }
      case Operation::kGetDocument: {
        v1::GetDocumentRequest request;
        request.set_name(draft);
        v1::Document out;
        return Finish(stub.GetDocument(context.get(), request, &out), *context);
      }
      case Operation::kListDocuments: {
        v1::ListDocumentsResponse out;
        return Finish(stub.ListDocuments(context.get(), v1::ListDocumentsRequest(), &out),
                      *context);
      }
      case Operation::kDownloadRevision: {
        v1::DownloadRevisionRequest request;
        request.set_name(draft + "/revisions/1");
        auto reader = stub.DownloadRevision(context.get(), request);
        v1::DownloadRevisionChunk chunk;
        while (reader->Read(&chunk)) {
        }
        return Finish(reader->Finish(), *context);
      }
      case Operation::kCancelDocument: {
        // A name that does not exist: an allowed caller gets NOT_FOUND, nothing is cancelled.
        v1::CancelDocumentRequest request;
        request.set_name("documents/00000000000000000000000000000000");
        request.set_reason("test");
        v1::Document out;
        return Finish(stub.CancelDocument(context.get(), request, &out), *context);
      }
      case Operation::kPrepareApproval: {
        v1::PrepareSignatureResponse out;
        return Prepare(stub, draft, v1::APPROVER, "officer-an", &out);
      }
      case Operation::kPrepareSeal: {
        v1::PrepareSignatureResponse out;
        return Prepare(stub, approved, v1::SEAL, "seal", &out);
      }
      case Operation::kCompleteApproval:
        return Complete(stub, approval.session(), "not a signature");
      case Operation::kCompleteSeal:
        return Complete(stub, seal.session(), "not a signature");
      case Operation::kVerifyDocument: {
        v1::VerifyDocumentRequest request;
        request.set_name(approved);
        v1::VerificationReport out;
        const Call unary = Finish(stub.VerifyDocument(context.get(), request, &out), *context);
        // The streamed upload answers to the same rule: an allowed caller's garbage is
        // INVALID_ARGUMENT, a refused caller is refused before anything is read.
        testing::UploadResult upload = testing::UploadBytes(stub, "%PDF-1.7\nnot a PDF\n");
        EXPECT_EQ(upload.status.error_code() == grpc::StatusCode::PERMISSION_DENIED,
                  unary.status.error_code() == grpc::StatusCode::PERMISSION_DENIED)
            << upload.status.error_message() << " / " << unary.status.error_message();
        if (upload.status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
          EXPECT_EQ(upload.code, "ROLE_NOT_ALLOWED");
        } else {
          EXPECT_EQ(upload.code, "PDF_UNREADABLE") << upload.status.error_message();
        }
        return unary;
      }
      // This server holds no keys: an allowed caller gets NOT_FOUND KEY_NOT_FOUND.
      case Operation::kServerSeal: {
        const v1::SignDocumentRequest request = SealRequest(approved);
        v1::CompleteSignatureResponse out;
        return Finish(stub.SignDocument(context.get(), request, &out), *context);
      }
      case Operation::kActivateKey: {
        v1::ActivateKeyRequest request;
        request.set_name("serverKeys/seal");
        request.set_pin("000000");
        v1::ServerKey out;
        return Finish(stub.ActivateKey(context.get(), request, &out), *context);
      }
      case Operation::kListServerKeys: {
        v1::ListServerKeysResponse out;
        return Finish(stub.ListServerKeys(context.get(), v1::ListServerKeysRequest(), &out),
                      *context);
      }
      // The print station's calls: a watch an allowed caller gets ends at its short deadline; a
      // document that does not exist is NOT_FOUND for an allowed caller.
      case Operation::kWatchReady: {
        context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
        auto reader = stub.WatchReady(context.get(), v1::WatchReadyRequest());
        v1::ReadyDocument ready;
        while (reader->Read(&ready)) {
        }
        return Finish(reader->Finish(), *context);
      }
      case Operation::kMarkPrinted: {
        v1::MarkPrintedRequest request;
        request.set_name("documents/00000000000000000000000000000000");
        request.set_print_id("p-1");
        request.set_copies(1);
        v1::MarkPrintedResponse out;
        return Finish(stub.MarkPrinted(context.get(), request, &out), *context);
      }
      case Operation::kRequestReprint: {
        v1::RequestReprintRequest request;
        request.set_name("documents/00000000000000000000000000000000");
        request.set_reason("test");
        v1::ReadyDocument out;
        return Finish(stub.RequestReprint(context.get(), request, &out), *context);
      }
      case Operation::kReadRegister: {
        v1::ListRegisterResponse out;
        return Finish(stub.ListRegister(context.get(), v1::ListRegisterRequest(), &out), *context);
      }
      case Operation::kReadStatistics: {
        v1::DeskStatistics out;
        return Finish(stub.GetDeskStatistics(context.get(), v1::GetDeskStatisticsRequest(), &out),
                      *context);
      }
      case Operation::kWithdrawDocument: {
        // A name that does not exist: an allowed caller gets NOT_FOUND, nothing is withdrawn.
        v1::WithdrawDocumentRequest request;
        request.set_name("documents/00000000000000000000000000000000");
        request.set_reason("test");
        v1::Document out;
        return Finish(stub.WithdrawDocument(context.get(), request, &out), *context);
      }
      case Operation::kReportPrintFailure: {
        v1::ReportPrintFailureRequest request;
        request.set_name("documents/00000000000000000000000000000000");
        request.set_print_id("p-1");
        request.set_copies(1);
        v1::ReportPrintFailureResponse out;
        return Finish(stub.ReportPrintFailure(context.get(), request, &out), *context);
      }
    }
    return {};
  };

  const std::map<std::string, std::optional<auth::Role>> clients = {
      {"client-intake", auth::Role::kIntake},
      {"client-officer-an", auth::Role::kOfficer},
      {"client-seal-clerk", auth::Role::kSealClerk},
      {"client-print-station", auth::Role::kPrintStation},
      {"client-auditor", auth::Role::kAuditor},
      {"client-operator", auth::Role::kOperator},
      {"client-no-role", std::nullopt},
      // A signing certificate from the trusted CA passes the handshake but names no role.
      {"officer-an", std::nullopt},
  };
  for (const auto& [client, role] : clients) {
    auto stub = As(client);
    for (Operation op : auth::AllOperations()) {
      const auto& roles = auth::RolesFor(op);
      const bool allowed = role && std::find(roles.begin(), roles.end(), *role) != roles.end();
      Call call = perform(*stub, op);
      if (allowed) {
        EXPECT_NE(call.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << client << " " << auth::OperationName(op) << ": " << call.status.error_message();
        EXPECT_NE(call.status.error_code(), grpc::StatusCode::UNAVAILABLE)
            << client << " " << auth::OperationName(op) << ": " << call.status.error_message();
      } else {
        EXPECT_EQ(call.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << client << " " << auth::OperationName(op) << ": " << call.status.error_message();
        EXPECT_EQ(call.code, "ROLE_NOT_ALLOWED") << client << " " << auth::OperationName(op);
      }
    }
  }
}

TEST_F(ServiceMtls, AnOfficerCompletesOnlyTheirOwnSessions) {
  const std::string draft = NewDraft();
  auto an = As("client-officer-an");
  auto binh = As("client-officer-binh");
  v1::PrepareSignatureResponse prepared;
  ASSERT_TRUE(Prepare(*an, draft, v1::APPROVER, "officer-an", &prepared).status.ok());
  const std::string value = SignOnToken("Nguyễn Văn An", prepared.to_be_signed());

  Call call = Complete(*binh, prepared.session(), value);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << call.status.error_message();
  EXPECT_EQ(call.code, "SIGNER_MISMATCH");
  // Nor can Bình open a session with An's certificate.
  v1::PrepareSignatureResponse other;
  call = Prepare(*binh, draft, v1::APPROVER, "officer-an", &other);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call.code, "SIGNER_MISMATCH");

  // The session is untouched: An completes it.
  call = Complete(*an, prepared.session(), value);
  EXPECT_TRUE(call.status.ok()) << call.status.error_message();
}

TEST_F(ServiceMtls, HistoryNamesTheCertificates) {
  const std::string name = NewApproved();
  auto clerk = As("client-seal-clerk");
  v1::PrepareSignatureResponse prepared;
  ASSERT_TRUE(Prepare(*clerk, name, v1::SEAL, "seal", &prepared).status.ok());
  Call call = Complete(*clerk, prepared.session(),
                       SignOnToken("Con dấu UBND Châu Đức", prepared.to_be_signed()));
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();

  auto auditor = As("client-auditor");
  v1::GetDocumentRequest request;
  request.set_name(name);
  v1::Document doc;
  auto context = CallContext();
  ASSERT_TRUE(auditor->GetDocument(context.get(), request, &doc).ok());
  EXPECT_EQ(doc.state(), v1::Document::SEALED);
  std::multiset<std::string> actors;
  for (const v1::HistoryEvent& e : doc.history()) actors.insert(e.actor());
  EXPECT_EQ(actors.count("intake: " + SubjectOf("client-intake")), 1u);
  // Prepare and complete, each recorded.
  EXPECT_EQ(actors.count("officer: " + SubjectOf("officer-an")), 2u);
  EXPECT_EQ(actors.count("seal-clerk: " + SubjectOf("client-seal-clerk")), 2u);
  for (const std::string& actor : actors) {
    EXPECT_EQ(actor.find("127.0.0.1"), std::string::npos) << actor;
  }
}

// The one-stop-shop software in another language: Python's grpcio (Debian's python3-grpcio) over
// mutual TLS with the intake certificate, stubs generated from proto/ (tests/python/).
TEST_F(ServiceMtls, PythonOneStopShopClient) {
  // A sealed document for the client to withdraw.
  const std::string sealed = NewApproved();
  auto clerk = As("client-seal-clerk");
  v1::PrepareSignatureResponse prepared;
  ASSERT_TRUE(Prepare(*clerk, sealed, v1::SEAL, "seal", &prepared).status.ok());
  ASSERT_TRUE(Complete(*clerk, prepared.session(),
                       SignOnToken("Con dấu UBND Châu Đức", prepared.to_be_signed()))
                  .status.ok());
  auto r = testing::Run("/usr/bin/python3 " +
                        Quote(testing::SourceDir() + "/tests/python/intake_client.py") +
                        " --target " + server_->target() + " --pki " + Quote(GetSamplePki().dir) +
                        " --sealed " + sealed);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const size_t brace = r.output.rfind('{');
  ASSERT_NE(brace, std::string::npos) << r.output;
  const nlohmann::json seen = nlohmann::json::parse(r.output.substr(brace));
  EXPECT_EQ(seen["idempotent"], true);
  EXPECT_EQ(seen["revisions"], 1);
  EXPECT_GT(seen["draft_bytes"].get<int>(), 10000);
  EXPECT_EQ(seen["upload_signatures"], 0);
  EXPECT_EQ(seen["bad_data"], "DATA_INVALID");
  EXPECT_EQ(seen["unknown_kind"], "KIND_UNKNOWN");
  EXPECT_EQ(seen["wrong_role"], "ROLE_NOT_ALLOWED");
  EXPECT_EQ(seen["received"], 1);
  // Thu hồi from Python: a draft is cancelled, not withdrawn; a reason is required; the print
  // station may not; the sealed document is withdrawn with the reason.
  EXPECT_EQ(seen["withdraw_draft"], "STATE_TRANSITION_INVALID");
  EXPECT_EQ(seen["withdraw_no_reason"], "USAGE");
  EXPECT_EQ(seen["withdraw_by_print_station"], "ROLE_NOT_ALLOWED");
  EXPECT_EQ(seen["withdrawn_state"], "WITHDRAWN");
  EXPECT_EQ(seen["withdrawn_reason"], "Quyết định thu hồi số 12/QĐ-UBND");
  // (These drafts carry their own number: no register entry. The register's side of a
  // withdrawal is service_test's ServiceIssue.ASealedDocumentIsWithdrawnNotCancelled.)
}

}  // namespace
}  // namespace taicho
