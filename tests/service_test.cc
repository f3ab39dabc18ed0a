// taichod as a deployment runs it: a real process on a loopback port with its own store, a real
// gRPC client, real SoftHSM2 tokens driven by pkcs11-tool, and independent checkers (qpdf,
// pdfsig, openssl) on what it hands out. Also restarts, SIGTERM and kill -9 under load.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "signer/certificate_info.h"
#include "signer/key_signer.h"
#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/checkers.h"
#include "tests/support/commands.h"
#include "tests/support/desk_calls.h"
#include "tests/support/local_revocation.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/sample_images.h"
#include "tests/support/sample_pdf.h"
#include "tests/support/signed_pdf_checks.h"
#include "tests/support/taichod_process.h"

namespace taicho {
namespace {

using namespace taicho::testing;

namespace v1 = ::taicho::v1;

const std::string kModule = TAICHO_SOFTHSM_MODULE;
const std::string kOfficerToken = "Nguyễn Văn An";
const std::string kSealToken = "Con dấu UBND Châu Đức";

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string Sha256Hex(const std::string& path) {
  auto r = Sh("sha256sum " + Quote(path));
  return r.output.substr(0, 64);
}

// --- the server process -------------------------------------------------------------------

// taichod in plain text on its store, with a stub; restartable on the same store.
class Taichod {
 public:
  explicit Taichod(std::string store_dir) : store_dir_(std::move(store_dir)) {}

  // Starts and waits until it listens; the port is one the kernel chose.
  void Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {"--insecure-local"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    ASSERT_TRUE(process_.Start(store_dir_, flags)) << "taichod did not start:\n" << log();
    channel_ = grpc::CreateChannel(process_.target(), grpc::InsecureChannelCredentials());
    stub_ = v1::DocumentService::NewStub(channel_);
  }

  // Sends `signal` and waits for the process; returns its wait status.
  int Kill(int signal) { return process_.running() ? process_.Stop(signal) : -1; }

  v1::DocumentService::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& store_dir() const { return store_dir_; }
  std::string target() const { return process_.target(); }
  std::string log() const { return process_.log(); }

 private:
  std::string store_dir_;
  testing::TaichodProcess process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DocumentService::Stub> stub_;
};

// --- client helpers -----------------------------------------------------------------------

// The sample decision as the one-stop-shop software would send it: keys render/ does not know
// by name go to texts (strings) and lists (arrays).
v1::CreateDocumentRequest CreateRequest(const std::string& dossier, const std::string& request_id,
                                        const std::string& desk = "Quầy 1") {
  v1::CreateDocumentRequest request;
  request.set_request_id(request_id);
  v1::Document* doc = request.mutable_document();
  doc->set_kind("quyet-dinh-ubnd");
  doc->set_dossier_code(dossier);
  doc->set_procedure("1.001612");
  doc->set_desk(desk);
  *doc->mutable_data() = testing::SampleDocumentData();
  return request;
}

template <typename Request, typename Response, typename Method>
Call Unary(v1::DocumentService::Stub& stub, Method method, const Request& request,
           Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  grpc::Status status = (stub.*method)(&context, request, response);
  return {status, ErrorCodeOf(context)};
}

Call Create(Taichod& server, const v1::CreateDocumentRequest& request, v1::Document* out) {
  return Unary(server.stub(), &v1::DocumentService::Stub::CreateDocument, request, out);
}

Call Get(Taichod& server, const std::string& name, v1::Document* out) {
  v1::GetDocumentRequest request;
  request.set_name(name);
  return Unary(server.stub(), &v1::DocumentService::Stub::GetDocument, request, out);
}

// The whole revision, checked chunk by chunk for order.
std::string Download(Taichod& server, const std::string& name, v1::Revision* revision = nullptr) {
  grpc::ClientContext context;
  v1::DownloadRevisionRequest request;
  request.set_name(name);
  auto reader = server.stub().DownloadRevision(&context, request);
  std::string bytes;
  v1::DownloadRevisionChunk chunk;
  bool first = true;
  while (reader->Read(&chunk)) {
    EXPECT_EQ(chunk.offset(), static_cast<int64_t>(bytes.size()));
    EXPECT_EQ(chunk.has_revision(), first);
    if (first && revision != nullptr) *revision = chunk.revision();
    bytes += chunk.data();
    first = false;
  }
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return bytes;
}

v1::PrepareSignatureRequest PrepareRequest(const std::string& document, v1::SignatureRole role,
                                           const std::string& image_png = {}) {
  v1::PrepareSignatureRequest request;
  request.set_name(document);
  request.set_role(role);
  for (const std::string& der : testing::SampleChainDer(role == v1::SEAL ? "seal" : "officer-an")) {
    request.add_certificate_chain(der);
  }
  request.set_reason(role == v1::SEAL ? "Đóng dấu" : "Phê duyệt");
  request.mutable_appearance()->set_image_png(image_png);
  return request;
}

Call Prepare(Taichod& server, const v1::PrepareSignatureRequest& request,
             v1::PrepareSignatureResponse* out) {
  return Unary(server.stub(), &v1::DocumentService::Stub::PrepareSignature, request, out);
}

Call Complete(Taichod& server, const std::string& session, const std::string& value,
              v1::CompleteSignatureResponse* out) {
  v1::CompleteSignatureRequest request;
  request.set_session(session);
  request.set_signature_value(value);
  return Unary(server.stub(), &v1::DocumentService::Stub::CompleteSignature, request, out);
}

// The sample images' bytes, as a caller sends them.
struct SampleImageBytes {
  std::string signature, seal;
};
const SampleImageBytes& Images() {
  static const SampleImageBytes images{Slurp(testing::SampleImages().signature),
                                       Slurp(testing::SampleImages().seal)};
  return images;
}

// One signing step end to end over the socket; returns the completed response.
v1::CompleteSignatureResponse SignStep(Taichod& server, const std::string& document,
                                       v1::SignatureRole role, const std::string& image) {
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(server, PrepareRequest(document, role, image), &prepared);
  EXPECT_TRUE(call.status.ok()) << call.status.error_message();
  const std::string value =
      SignOnToken(role == v1::SEAL ? kSealToken : kOfficerToken, prepared.to_be_signed());
  v1::CompleteSignatureResponse completed;
  call = Complete(server, prepared.session(), value, &completed);
  EXPECT_TRUE(call.status.ok()) << call.status.error_message();
  return completed;
}

// One request, one response over a method we have no generated stub for (health checking,
// reflection): raw protobuf bytes on a generic streaming call.
grpc::Status RawCall(Taichod& server, const std::string& method, const std::string& request,
                     std::string* response) {
  grpc::GenericStub stub(server.channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(&context, method, &queue);
  auto step = [&queue] {
    void* tag = nullptr;
    bool ok = false;
    return queue.Next(&tag, &ok) && ok;
  };
  call->StartCall(nullptr);
  step();
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  call->Write(request_buffer, nullptr);
  step();
  call->WritesDone(nullptr);
  step();
  grpc::ByteBuffer response_buffer;
  call->Read(&response_buffer, nullptr);
  const bool read = step();
  grpc::Status status;
  call->Finish(&status, nullptr);
  step();
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  response->clear();
  std::vector<grpc::Slice> slices;
  if (read && response_buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

bool HealthServing(Taichod& server, const std::string& service) {
  // grpc.health.v1.HealthCheckRequest{service} and HealthCheckResponse{status: SERVING}, encoded
  // by hand: field 1, length-delimited / varint.
  std::string response;
  grpc::Status status =
      RawCall(server, "/grpc.health.v1.Health/Check",
              std::string(1, '\x0a') + static_cast<char>(service.size()) + service, &response);
  return status.ok() && response == std::string("\x08\x01", 2);
}

// --- one server for the plain cases -------------------------------------------------------

class Service : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GetSamplePki();
    server_ = new Taichod(MakeTempDir("store"));
    server_->Start({"--max-receive-mb", "4"});
  }
  static void TearDownTestSuite() {
    const int status = server_->Kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->log();
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  // A fresh draft with its own dossier code.
  v1::Document NewDraft(const std::string& desk = "Quầy 1") {
    v1::Document doc;
    Call call =
        Create(*server_,
               CreateRequest("HS-" + std::to_string(++counter_) + "-" + std::to_string(getpid()),
                             "req-1", desk),
               &doc);
    EXPECT_TRUE(call.status.ok()) << call.status.error_message();
    return doc;
  }

  static Taichod* server_;
  static int counter_;
};
Taichod* Service::server_ = nullptr;
int Service::counter_ = 0;

TEST_F(Service, HealthCheckSaysServingAndReflectionListsTheService) {
  EXPECT_TRUE(HealthServing(*server_, ""));
  EXPECT_TRUE(HealthServing(*server_, "taicho.v1.DocumentService"));
  EXPECT_FALSE(HealthServing(*server_, "no.such.Service"));
  // grpc.reflection.v1alpha.ServerReflectionRequest{list_services: ""} (field 7).
  std::string response;
  grpc::Status status =
      RawCall(*server_, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
              std::string("\x3a\x00", 2), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(response.find("taicho.v1.DocumentService"), std::string::npos) << response;
  EXPECT_NE(response.find("grpc.health.v1.Health"), std::string::npos) << response;
}

TEST_F(Service, CreateApproveSealVerify) {
  const auto& pki = GetSamplePki();
  v1::Document doc;
  const auto t0 = std::chrono::steady_clock::now();
  Call call = Create(*server_, CreateRequest("HS-2026-000122", "b7f1c6e0"), &doc);
  const auto create_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(doc.state(), v1::Document::DRAFT);
  ASSERT_EQ(doc.revisions_size(), 1);
  EXPECT_EQ(doc.revisions(0).purpose(), v1::Revision::DRAFT);
  EXPECT_NE(doc.title().find("QUYẾT ĐỊNH"), std::string::npos) << doc.title();

  // Get returns the data sent, the revision and the history.
  v1::Document got;
  ASSERT_TRUE(Get(*server_, doc.name(), &got).status.ok());
  EXPECT_EQ(got.data().summary(), testing::SampleDocumentData().summary());
  EXPECT_EQ(got.data().lists().at("legal_bases").values_size(), 4);
  EXPECT_EQ(got.data().texts().at("issuing_title"), "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ LONG PHƯỚC");
  ASSERT_EQ(got.history_size(), 1);
  EXPECT_EQ(got.history(0).action(), "created");

  // The download is the stored file, byte for byte, and a sound PDF.
  const std::string dir = MakeTempDir("flow");
  v1::Revision revision;
  const std::string draft = Download(*server_, doc.name() + "/revisions/1", &revision);
  WriteBytes(dir + "/draft.pdf", draft);
  EXPECT_EQ(Sha256Hex(dir + "/draft.pdf"), revision.sha256());
  EXPECT_EQ(static_cast<int64_t>(draft.size()), revision.size_bytes());
  const std::string& sha = revision.sha256();
  EXPECT_EQ(Slurp(server_->store_dir() + "/blobs/" + sha.substr(0, 2) + "/" + sha + ".pdf"), draft);
  std::string log;
  EXPECT_TRUE(testing::QpdfCheckPasses(dir + "/draft.pdf", &log)) << log;

  // The same dossier code and request id: the same document, nothing new made.
  v1::Document again;
  ASSERT_TRUE(Create(*server_, CreateRequest("HS-2026-000122", "b7f1c6e0"), &again).status.ok());
  EXPECT_EQ(again.name(), doc.name());
  EXPECT_EQ(again.revisions_size(), 1);
  // … with other content it is refused.
  auto changed = CreateRequest("HS-2026-000122", "b7f1c6e0");
  changed.mutable_document()->mutable_data()->set_summary("Về việc khác");
  call = Create(*server_, changed, &again);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(call.code, "REQUEST_ID_REUSED");

  // The officer approves with the token on the workstation.
  v1::PrepareSignatureResponse prepared;
  const auto t1 = std::chrono::steady_clock::now();
  call = Prepare(*server_, PrepareRequest(doc.name(), v1::APPROVER, Images().signature), &prepared);
  const auto prepare_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(prepared.digest_algorithm(), "SHA-256");
  EXPECT_EQ(prepared.scheme(), v1::RSA_PKCS1_V15);
  EXPECT_EQ(prepared.base_revision(), 1);
  EXPECT_NE(prepared.signing_time().find("+07:00"), std::string::npos) << prepared.signing_time();
  const std::string value = SignOnToken(kOfficerToken, prepared.to_be_signed());
  v1::CompleteSignatureResponse approved;
  const auto t2 = std::chrono::steady_clock::now();
  call = Complete(*server_, prepared.session(), value, &approved);
  const auto complete_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t2).count();
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(approved.document().state(), v1::Document::APPROVED);
  EXPECT_EQ(approved.revision().number(), 2);
  EXPECT_EQ(approved.revision().purpose(), v1::Revision::APPROVAL);
  EXPECT_NE(approved.revision().signer().find("Nguyễn Văn An"), std::string::npos);
  std::cout << "over the socket: create " << create_ms << " ms, prepare " << prepare_ms
            << " ms, complete " << complete_ms << " ms\n";

  // A session completes once.
  v1::CompleteSignatureResponse twice;
  call = Complete(*server_, prepared.session(), value, &twice);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "SESSION_COMPLETED");

  // The agency seals.
  v1::CompleteSignatureResponse sealed = SignStep(*server_, doc.name(), v1::SEAL, Images().seal);
  EXPECT_EQ(sealed.document().state(), v1::Document::SEALED);
  EXPECT_EQ(sealed.revision().number(), 3);

  const std::string out = dir + "/sealed.pdf";
  WriteBytes(out, Download(*server_, doc.name()));
  // Each revision holds the one before it unchanged.
  const std::string approved_bytes = Download(*server_, doc.name() + "/revisions/2");
  EXPECT_EQ(Slurp(out).compare(0, approved_bytes.size(), approved_bytes), 0);
  EXPECT_EQ(approved_bytes.compare(0, draft.size(), draft), 0);
  auto pdfsig = testing::RunPdfsig(out);
  EXPECT_EQ(pdfsig.signatures, 2) << pdfsig.output;
  EXPECT_EQ(pdfsig.valid, 2) << pdfsig.output;
  EXPECT_TRUE(pdfsig.last_covers_whole_document) << pdfsig.output;
  EXPECT_TRUE(testing::QpdfCheckPasses(out, &log)) << log;
  EXPECT_EQ(testing::OpensslVerifyAll(out, pki.dir + "/ca-bundle.pem", &log), 2) << log;

  // Our verifier, on the stored revision and on uploaded bytes.
  for (int by_name = 0; by_name < 2; ++by_name) {
    v1::VerifyDocumentRequest request;
    if (by_name) {
      request.set_name(doc.name());
    } else {
      request.set_pdf(Slurp(out));
    }
    v1::VerificationReport report;
    call = Unary(server_->stub(), &v1::DocumentService::Stub::VerifyDocument, request, &report);
    ASSERT_TRUE(call.status.ok()) << call.status.error_message();
    EXPECT_TRUE(report.all_passed()) << report.text();
    ASSERT_EQ(report.signatures_size(), 2);
    for (const auto& s : report.signatures()) {
      EXPECT_EQ(s.indication(), "TOTAL-PASSED") << report.text();
      EXPECT_TRUE(s.has_chain_trusted() && s.chain_trusted());
    }
    EXPECT_EQ(report.signatures(0).field_name(), "officer");
    EXPECT_EQ(report.signatures(1).field_name(), "seal");
    // The change analysis travels too: the officer certified (P=2), and what came after (the
    // seal) is named and permitted.
    const v1::SignatureReport& officer = report.signatures(0);
    EXPECT_TRUE(officer.has_certification_p() && officer.certification_p() == 2);
    EXPECT_TRUE(officer.changes_permitted());
    std::set<std::string> kinds;
    for (const auto& change : officer.changes_after()) {
      kinds.insert(change.kind());
      EXPECT_TRUE(change.permitted()) << change.text_en();
      EXPECT_FALSE(change.text_vi().empty());
    }
    EXPECT_TRUE(kinds.count("new_signature")) << report.text();
    EXPECT_EQ(report.signatures(1).changes_after_size(), 0);
    EXPECT_EQ(report.problems_size(), 0);
    // The name the signer block draws under the officer's signature is the certificate's; the
    // seal has no name of its own on the page.
    EXPECT_EQ(officer.page_name_check(), "match") << report.text();
    EXPECT_EQ(officer.page_name(), "Nguyễn Văn An");
    EXPECT_EQ(report.signatures(1).page_name_check(), "none") << report.signatures(1).page_name();
    EXPECT_NE(report.text().find("Name on the page: Nguyễn Văn An — khớp chứng thư / matches"),
              std::string::npos)
        << report.text();
  }

  // The record says who did what, in order.
  ASSERT_TRUE(Get(*server_, doc.name(), &got).status.ok());
  std::vector<std::string> actions;
  for (const auto& e : got.history()) actions.push_back(e.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"created", "signature_prepared", "approved",
                                               "signature_prepared", "sealed"}));
  EXPECT_NE(got.history(4).detail().find("UBND xã Long Phước"), std::string::npos);
  EXPECT_EQ(got.revisions_size(), 3);

  // Only legal transitions: a sealed document cannot be approved again.
  v1::PrepareSignatureResponse late;
  call = Prepare(*server_, PrepareRequest(doc.name(), v1::APPROVER), &late);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "STATE_TRANSITION_INVALID");
}

// Issue 17 over the socket: a document naming another signer than the officer's certificate, or
// another agency than the seal's, is refused at PrepareSignature with a clear code.
TEST_F(Service, NamesOnThePageMustBeTheCertificates) {
  auto request = CreateRequest("HS-2026-000171", "names-1");
  request.mutable_document()->mutable_data()->mutable_signer()->set_name("Nguyễn Văn Bình");
  v1::Document doc;
  ASSERT_TRUE(Create(*server_, request, &doc).status.ok());
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(*server_, PrepareRequest(doc.name(), v1::APPROVER), &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "SIGNER_NAME_MISMATCH");
  EXPECT_NE(call.status.error_message().find("Nguyễn Văn Bình"), std::string::npos)
      << call.status.error_message();

  request = CreateRequest("HS-2026-000172", "names-2");
  request.mutable_document()->mutable_data()->mutable_agency()->set_name(
      "ỦY BAN NHÂN DÂN XÃ XUYÊN MỘC");
  ASSERT_TRUE(Create(*server_, request, &doc).status.ok());
  SignStep(*server_, doc.name(), v1::APPROVER, Images().signature);
  call = Prepare(*server_, PrepareRequest(doc.name(), v1::SEAL), &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "AGENCY_MISMATCH");
  v1::Document got;
  ASSERT_TRUE(Get(*server_, doc.name(), &got).status.ok());
  EXPECT_EQ(got.state(), v1::Document::APPROVED);
}

TEST_F(Service, OnlyLegalTransitions) {
  // Sealing a draft: refused, nothing stored.
  v1::Document doc = NewDraft();
  v1::PrepareSignatureResponse prepared;
  Call call = Prepare(*server_, PrepareRequest(doc.name(), v1::SEAL), &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "STATE_TRANSITION_INVALID");
  EXPECT_NE(call.status.error_message().find("DRAFT"), std::string::npos);

  // Two sessions on one draft: only the newest completes (issue 21), the earlier is superseded.
  v1::PrepareSignatureResponse first, second;
  ASSERT_TRUE(Prepare(*server_, PrepareRequest(doc.name(), v1::APPROVER), &first).status.ok());
  ASSERT_TRUE(Prepare(*server_, PrepareRequest(doc.name(), v1::APPROVER), &second).status.ok());
  v1::CompleteSignatureResponse done;
  // A value from another key is refused and leaves the session usable.
  const auto& pki = GetSamplePki();
  const std::string dir = MakeTempDir("wrong");
  WriteBytes(dir + "/tbs.bin", second.to_be_signed());
  ASSERT_EQ(Sh("openssl dgst -sha256 -sign " + pki.dir + "/seal.key -out " + Quote(dir + "/w.bin") +
               " " + Quote(dir + "/tbs.bin"))
                .exit_code,
            0);
  call = Complete(*server_, second.session(), Slurp(dir + "/w.bin"), &done);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call.code, "SIGNATURE_VALUE_INVALID");
  call =
      Complete(*server_, first.session(), SignOnToken(kOfficerToken, first.to_be_signed()), &done);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "SESSION_SUPERSEDED");
  call = Complete(*server_, second.session(), SignOnToken(kOfficerToken, second.to_be_signed()),
                  &done);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  call = Complete(*server_, second.session(), SignOnToken(kOfficerToken, second.to_be_signed()),
                  &done);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "SESSION_COMPLETED");
  v1::Document got;
  ASSERT_TRUE(Get(*server_, doc.name(), &got).status.ok());
  EXPECT_EQ(got.state(), v1::Document::APPROVED);
  EXPECT_EQ(got.revisions_size(), 2);

  // Cancel with a reason; then nothing more is allowed.
  v1::CancelDocumentRequest cancel;
  cancel.set_name(doc.name());
  call = Unary(server_->stub(), &v1::DocumentService::Stub::CancelDocument, cancel, &got);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  cancel.set_reason("Công dân rút hồ sơ");
  call = Unary(server_->stub(), &v1::DocumentService::Stub::CancelDocument, cancel, &got);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(got.state(), v1::Document::CANCELLED);
  call = Unary(server_->stub(), &v1::DocumentService::Stub::CancelDocument, cancel, &got);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "STATE_TRANSITION_INVALID");
  call = Prepare(*server_, PrepareRequest(doc.name(), v1::SEAL), &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "STATE_TRANSITION_INVALID");
}

TEST_F(Service, BadRequestsHaveClearStatusesAndCodes) {
  v1::Document doc;
  auto request = CreateRequest("HS-BAD-1", "r1");
  request.mutable_document()->set_kind("khong-co-mau-nay");
  Call call = Create(*server_, request, &doc);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call.code, "KIND_UNKNOWN");

  request = CreateRequest("HS-BAD-2", "r1");
  request.mutable_document()->mutable_data()->clear_summary();
  request.mutable_document()->mutable_data()->set_date("2024-13-45");
  call = Create(*server_, request, &doc);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call.code, "DATA_INVALID");
  EXPECT_NE(call.status.error_message().find("summary"), std::string::npos)
      << call.status.error_message();
  EXPECT_NE(call.status.error_message().find("date"), std::string::npos)
      << call.status.error_message();

  request = CreateRequest("", "r1");
  call = Create(*server_, request, &doc);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call.code, "USAGE");

  call = Get(*server_, "documents/0123456789abcdef0123456789abcdef", &doc);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call.code, "DOCUMENT_NOT_FOUND");
  call = Get(*server_, "documents/../../etc/passwd", &doc);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::CompleteSignatureResponse done;
  call = Complete(*server_, "signingSessions/0123456789abcdef0123456789abcdef", "x", &done);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call.code, "SESSION_NOT_FOUND");

  // Not a PDF.
  v1::VerifyDocumentRequest verify;
  verify.set_pdf("%PDF-1.7\nthis is no PDF at all\n%%EOF\n");
  v1::VerificationReport report;
  call = Unary(server_->stub(), &v1::DocumentService::Stub::VerifyDocument, verify, &report);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call.code, "PDF_UNREADABLE");

  // Larger than the server takes (started with --max-receive-mb 4).
  verify.set_pdf(std::string(5 * 1024 * 1024, 'x'));
  call = Unary(server_->stub(), &v1::DocumentService::Stub::VerifyDocument, verify, &report);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << call.status.error_message();

  // An image that is not a PNG.
  v1::Document draft = NewDraft();
  v1::PrepareSignatureResponse prepared;
  call =
      Prepare(*server_, PrepareRequest(draft.name(), v1::APPROVER, "GIF89a not a png"), &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(call.code, "USAGE");
  // No role.
  call = Prepare(*server_, PrepareRequest(draft.name(), v1::SIGNATURE_ROLE_UNSPECIFIED), &prepared);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The server is still well.
  EXPECT_TRUE(HealthServing(*server_, ""));
}

TEST_F(Service, ListFiltersAndPages) {
  const std::string desk = "Quầy " + std::to_string(getpid());
  std::set<std::string> made;
  for (int i = 0; i < 5; ++i) made.insert(NewDraft(desk).name());
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListDocumentsRequest request;
    request.set_desk(desk);
    request.set_state(v1::Document::DRAFT);
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListDocumentsResponse response;
    Call call =
        Unary(server_->stub(), &v1::DocumentService::Stub::ListDocuments, request, &response);
    ASSERT_TRUE(call.status.ok()) << call.status.error_message();
    for (const auto& d : response.documents()) {
      EXPECT_TRUE(seen.insert(d.name()).second) << "listed twice: " << d.name();
      EXPECT_EQ(d.desk(), desk);
    }
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen, made);
  EXPECT_EQ(pages, 3);

  v1::ListDocumentsRequest request;
  request.set_desk(desk);
  request.set_state(v1::Document::SEALED);
  v1::ListDocumentsResponse response;
  ASSERT_TRUE(Unary(server_->stub(), &v1::DocumentService::Stub::ListDocuments, request, &response)
                  .status.ok());
  EXPECT_EQ(response.documents_size(), 0);
  request.set_page_token("bm90IGEgdG9rZW4");
  Call call = Unary(server_->stub(), &v1::DocumentService::Stub::ListDocuments, request, &response);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Round trips over the socket, in process signing (PKCS#12) so only the service is timed.
TEST_F(Service, Latency) {
  auto key = signer::LoadPkcs12Signer(GetSamplePki().dir + "/officer-an.p12", "taicho");
  ASSERT_TRUE(key.ok()) << key.status();
  std::vector<double> create, prepare, complete;
  auto ms_since = [](auto t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  for (int i = 0; i < 15; ++i) {
    auto t = std::chrono::steady_clock::now();
    v1::Document doc = NewDraft("Quầy đo");
    create.push_back(ms_since(t));
    v1::PrepareSignatureResponse prepared;
    t = std::chrono::steady_clock::now();
    ASSERT_TRUE(Prepare(*server_, PrepareRequest(doc.name(), v1::APPROVER), &prepared).status.ok());
    prepare.push_back(ms_since(t));
    const std::string& tbs = prepared.to_be_signed();
    auto value = (*key)->Sign(ByteSpan(reinterpret_cast<const uint8_t*>(tbs.data()), tbs.size()),
                              signer::DigestAlgorithm::kSha256);
    ASSERT_TRUE(value.ok()) << value.status();
    v1::CompleteSignatureResponse done;
    t = std::chrono::steady_clock::now();
    ASSERT_TRUE(
        Complete(*server_, prepared.session(), std::string(value->begin(), value->end()), &done)
            .status.ok());
    complete.push_back(ms_since(t));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::cout << "median over 15 (ms): create " << median(create) << ", prepare " << median(prepare)
            << ", complete " << median(complete) << "\n";
}

// --- restarts and crashes -----------------------------------------------------------------

TEST(ServiceRestart, DocumentsSurviveRestartAndSessionsExpire) {
  GetSamplePki();
  Taichod server(MakeTempDir("store"));
  ASSERT_NO_FATAL_FAILURE(server.Start());
  v1::Document doc;
  ASSERT_TRUE(Create(server, CreateRequest("HS-R-1", "r1"), &doc).status.ok());
  SignStep(server, doc.name(), v1::APPROVER, "");
  v1::Document before;
  ASSERT_TRUE(Get(server, doc.name(), &before).status.ok());
  const std::string approved = Download(server, doc.name());
  // SIGTERM: a clean stop.
  const int status = server.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.log();
  EXPECT_NE(server.log().find("taichod stopped"), std::string::npos) << server.log();

  ASSERT_NO_FATAL_FAILURE(server.Start({"--session-ttl-seconds", "1"}));
  v1::Document after;
  ASSERT_TRUE(Get(server, doc.name(), &after).status.ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(after, before))
      << after.DebugString() << before.DebugString();
  EXPECT_EQ(Download(server, doc.name()), approved);

  // A session not completed in time is refused, and the document stays as it was.
  v1::PrepareSignatureResponse prepared;
  ASSERT_TRUE(Prepare(server, PrepareRequest(doc.name(), v1::SEAL), &prepared).status.ok());
  const std::string value = SignOnToken(kSealToken, prepared.to_be_signed());
  // Until the expiry the server itself announced has passed (its clock is this machine's).
  std::this_thread::sleep_until(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(
          google::protobuf::util::TimeUtil::TimestampToMilliseconds(prepared.expire_time()))) +
      std::chrono::milliseconds(50));
  v1::CompleteSignatureResponse done;
  Call call = Complete(server, prepared.session(), value, &done);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "SESSION_EXPIRED");
  ASSERT_TRUE(Get(server, doc.name(), &after).status.ok());
  EXPECT_EQ(after.state(), v1::Document::APPROVED);
}

TEST(ServiceRestart, KillNineUnderLoadLosesNothingAcknowledged) {
  GetSamplePki();
  Taichod server(MakeTempDir("store"));
  ASSERT_NO_FATAL_FAILURE(server.Start());
  // A signature half done when the crash comes: prepared and signed, not yet completed.
  v1::Document pending;
  ASSERT_TRUE(Create(server, CreateRequest("HS-K-pending", "r1"), &pending).status.ok());
  v1::PrepareSignatureResponse prepared;
  ASSERT_TRUE(Prepare(server, PrepareRequest(pending.name(), v1::APPROVER), &prepared).status.ok());
  const std::string value = SignOnToken(kOfficerToken, prepared.to_be_signed());
  std::mutex mu;
  std::condition_variable more_acknowledged;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop; ++i) {
        v1::Document doc;
        Call call = Create(
            server,
            CreateRequest("HS-K-" + std::to_string(c) + "-" + std::to_string(i), "r1", "Quầy tải"),
            &doc);
        if (!call.status.ok()) return;  // the server is gone
        std::lock_guard lock(mu);
        acknowledged.push_back(doc.name());
        more_acknowledged.notify_all();
      }
    });
  }
  // The kill lands while the clients are writing: once a fair number were acknowledged (a sync
  // point, however fast the machine is), not after a guessed time.
  {
    std::unique_lock lock(mu);
    more_acknowledged.wait_for(lock, std::chrono::seconds(60),
                               [&] { return acknowledged.size() >= 30; });
  }
  server.Kill(SIGKILL);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GT(acknowledged.size(), 3u) << server.log();

  ASSERT_NO_FATAL_FAILURE(server.Start());
  std::set<std::string> listed;
  std::string token;
  do {
    v1::ListDocumentsRequest request;
    request.set_page_size(100);
    request.set_page_token(token);
    v1::ListDocumentsResponse response;
    ASSERT_TRUE(Unary(server.stub(), &v1::DocumentService::Stub::ListDocuments, request, &response)
                    .status.ok());
    for (const auto& d : response.documents()) listed.insert(d.name());
    token = response.next_page_token();
  } while (!token.empty());
  for (const std::string& name : acknowledged) EXPECT_EQ(listed.count(name), 1u) << name;
  // Every document visible is whole: its draft is there and is what the record says.
  const std::string dir = MakeTempDir("after-kill");
  for (const std::string& name : listed) {
    v1::Document doc;
    ASSERT_TRUE(Get(server, name, &doc).status.ok()) << name;
    ASSERT_EQ(doc.revisions_size(), 1) << name;
    EXPECT_EQ(doc.history_size(), name == pending.name() ? 2 : 1) << name;
    WriteBytes(dir + "/d.pdf", Download(server, name + "/revisions/1"));
    EXPECT_EQ(Sha256Hex(dir + "/d.pdf"), doc.revisions(0).sha256()) << name;
  }
  std::string log;
  EXPECT_TRUE(testing::QpdfCheckPasses(dir + "/d.pdf", &log)) << log;
  std::cout << acknowledged.size() << " acknowledged before kill -9, " << listed.size()
            << " documents after restart\n";
  // The half-done signature completes on the restarted service.
  v1::CompleteSignatureResponse done;
  Call call = Complete(server, prepared.session(), value, &done);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(done.document().state(), v1::Document::APPROVED);
  WriteBytes(dir + "/approved.pdf", Download(server, pending.name()));
  EXPECT_EQ(testing::RunPdfsig(dir + "/approved.pdf").valid, 1);
  // Work files of the killed process are gone.
  auto r = Sh("find " + Quote(server.store_dir() + "/scratch") + " -type f | wc -l");
  EXPECT_EQ(r.output, "0\n");
}

// Today in Vietnam (UTC+7) as the issue step writes it: "05", "3", "2026" and "2026-03-05".
struct IssueDay {
  std::string day, month, year, iso;
};
IssueDay TodayInVietnam() {
  const std::time_t t = std::time(nullptr) + 7 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char iso[16];
  std::strftime(iso, sizeof iso, "%Y-%m-%d", &tm);
  const int month = tm.tm_mon + 1;
  auto two = [](int v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  return {two(tm.tm_mday), month < 3 ? two(month) : std::to_string(month),
          std::to_string(tm.tm_year + 1900), iso};
}

// --- issuing: the seal step numbers and dates the document; the register survives kill -9 ---

v1::CreateDocumentRequest BlankNumberRequest(const std::string& dossier) {
  v1::CreateDocumentRequest request = CreateRequest(dossier, "req-1");
  request.mutable_document()->mutable_data()->clear_number();
  request.mutable_document()->mutable_data()->clear_date();
  return request;
}

std::vector<v1::RegisterEntry> ListRegister(Taichod& server) {
  v1::ListRegisterRequest request;
  request.set_page_size(2);  // pages too
  std::vector<v1::RegisterEntry> out;
  do {
    v1::ListRegisterResponse response;
    Call call = Unary(server.stub(), &v1::DocumentService::Stub::ListRegister, request, &response);
    EXPECT_TRUE(call.status.ok()) << call.status.error_message();
    if (!call.status.ok()) break;
    out.insert(out.end(), response.entries().begin(), response.entries().end());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return out;
}

TEST(ServiceIssue, SealNumbersAndDatesAndTheRegisterKeepsGapsThroughKillNine) {
  GetSamplePki();
  Taichod server(MakeTempDir("issue-store"));
  server.Start();
  const std::string dir = MakeTempDir("issue");
  v1::Document a, b;
  ASSERT_TRUE(Create(server, BlankNumberRequest("HS-A"), &a).status.ok());
  ASSERT_TRUE(Create(server, BlankNumberRequest("HS-B"), &b).status.ok());
  SignStep(server, a.name(), v1::APPROVER, Images().signature);
  SignStep(server, b.name(), v1::APPROVER, Images().signature);
  const v1::CompleteSignatureResponse sealed_a =
      SignStep(server, a.name(), v1::SEAL, Images().seal);
  EXPECT_EQ(sealed_a.document().state(), v1::Document::SEALED);

  // B's seal is prepared (its number allocated), then the service is killed.
  v1::PrepareSignatureResponse prepared;
  ASSERT_TRUE(Prepare(server, PrepareRequest(b.name(), v1::SEAL), &prepared).status.ok());
  server.Kill(SIGKILL);
  server.Start();
  SignStep(server, b.name(), v1::SEAL, Images().seal);

  const std::vector<v1::RegisterEntry> entries = ListRegister(server);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].number_symbol(), "01/QĐ-UBND");
  EXPECT_EQ(entries[0].state(), v1::RegisterEntry::ISSUED);
  EXPECT_EQ(entries[0].document(), a.name());
  EXPECT_EQ(entries[0].dossier_code(), "HS-A");
  EXPECT_EQ(entries[1].number(), 2);
  EXPECT_EQ(entries[1].state(), v1::RegisterEntry::VOID) << "the killed attempt's number";
  EXPECT_NE(entries[1].void_reason().find("superseded"), std::string::npos);
  EXPECT_EQ(entries[2].number_symbol(), "03/QĐ-UBND");
  EXPECT_EQ(entries[2].state(), v1::RegisterEntry::ISSUED);
  EXPECT_EQ(entries[2].document(), b.name());

  // What is written in the sealed documents, where the decree puts it; both signatures valid.
  const IssueDay today = TodayInVietnam();
  WriteBytes(dir + "/a.pdf", Download(server, a.name()));
  WriteBytes(dir + "/b.pdf", Download(server, b.name()));
  EXPECT_EQ(testing::RunPdfsig(dir + "/b.pdf").valid, 2);
  std::string qpdf;
  EXPECT_TRUE(testing::QpdfCheckPasses(dir + "/b.pdf", &qpdf)) << qpdf;
  testing::ExpectNumberAndDateInPlace(dir + "/a.pdf", "01", today.day, today.month, today.year);
  testing::ExpectNumberAndDateInPlace(dir + "/b.pdf", "03", today.day, today.month, today.year);

  // The CSV export: BOM, Vietnamese header, one row per number, gaps included.
  v1::ExportRegisterRequest request;
  grpc::ClientContext context;
  auto reader = server.stub().ExportRegister(&context, request);
  std::string csv;
  v1::ExportRegisterChunk chunk;
  while (reader->Read(&chunk)) csv += chunk.data();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF\"Số, ký hiệu\",Ngày ban hành", 0), 0u) << csv;
  EXPECT_NE(csv.find("01/QĐ-UBND," + today.iso), std::string::npos) << csv;
  EXPECT_NE(csv.find("Bỏ số / void"), std::string::npos) << csv;
  EXPECT_NE(csv.find("03/QĐ-UBND"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);

  // The desk's statistics over the same socket: two dossiers received, none returned yet.
  v1::DeskStatistics stats;
  Call stats_call = Unary(server.stub(), &v1::DocumentService::Stub::GetDeskStatistics,
                          v1::GetDeskStatisticsRequest(), &stats);
  ASSERT_TRUE(stats_call.status.ok()) << stats_call.status.error_message();
  EXPECT_EQ(stats.total().received(), 2);
  EXPECT_EQ(stats.total().issued(), 0);
  ASSERT_EQ(stats.procedures_size(), 1);
  EXPECT_EQ(stats.procedures(0).procedure(), "1.001612");

  // The same from the command line: the table, and the CSV file byte for byte.
  const std::string cli =
      Quote(TAICHO_CLI_PATH) + " register --insecure-local --server " + server.target();
  auto r = Sh(cli + " --year " + today.year);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("03/QĐ-UBND"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bỏ số / void"), std::string::npos) << r.output;
  r = Sh(cli + " --csv " + Quote(dir + "/so-dang-ky.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Slurp(dir + "/so-dang-ky.csv"), csv);
  // An unreachable service is a clear error, not a hang or a crash.
  r = Sh(Quote(TAICHO_CLI_PATH) + " register --insecure-local --server 127.0.0.1:1 --year 2026");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("LỖI / ERROR"), std::string::npos) << r.output;
}

// Issue 17: once sealed, the number is a legal fact. CancelDocument refuses and points to
// WithdrawDocument; the withdrawal needs a reason, keeps the number in the register as withdrawn,
// and GetDocument, VerifyDocument and the CSV say so.
TEST(ServiceIssue, ASealedDocumentIsWithdrawnNotCancelled) {
  GetSamplePki();
  Taichod server(MakeTempDir("withdraw-store"));
  server.Start();
  v1::Document doc;
  ASSERT_TRUE(Create(server, BlankNumberRequest("HS-W"), &doc).status.ok());
  SignStep(server, doc.name(), v1::APPROVER, Images().signature);
  SignStep(server, doc.name(), v1::SEAL, Images().seal);

  v1::CancelDocumentRequest cancel;
  cancel.set_name(doc.name());
  cancel.set_reason("rút hồ sơ");
  v1::Document got;
  Call call = Unary(server.stub(), &v1::DocumentService::Stub::CancelDocument, cancel, &got);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(call.code, "STATE_TRANSITION_INVALID");
  EXPECT_NE(call.status.error_message().find("WithdrawDocument"), std::string::npos)
      << call.status.error_message();

  v1::WithdrawDocumentRequest withdraw;
  withdraw.set_name(doc.name());
  call = Unary(server.stub(), &v1::DocumentService::Stub::WithdrawDocument, withdraw, &got);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // no reason
  const std::string reason = "Quyết định thu hồi số 12/QĐ-UBND";
  withdraw.set_reason(reason);
  call = Unary(server.stub(), &v1::DocumentService::Stub::WithdrawDocument, withdraw, &got);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(got.state(), v1::Document::WITHDRAWN);
  EXPECT_EQ(got.withdrawal().reason(), reason);
  call = Unary(server.stub(), &v1::DocumentService::Stub::WithdrawDocument, withdraw, &got);
  EXPECT_EQ(call.code, "STATE_TRANSITION_INVALID");

  ASSERT_TRUE(Get(server, doc.name(), &got).status.ok());
  EXPECT_EQ(got.state(), v1::Document::WITHDRAWN);
  EXPECT_EQ(got.withdrawal().reason(), reason);
  EXPECT_TRUE(got.withdrawal().has_withdraw_time());
  ASSERT_GT(got.history_size(), 0);
  EXPECT_EQ(got.history(got.history_size() - 1).action(), "withdrawn");

  const std::vector<v1::RegisterEntry> entries = ListRegister(server);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].number_symbol(), "01/QĐ-UBND");
  EXPECT_EQ(entries[0].state(), v1::RegisterEntry::WITHDRAWN);
  EXPECT_EQ(entries[0].withdraw_reason(), reason);

  v1::VerifyDocumentRequest verify;
  verify.set_name(doc.name());
  v1::VerificationReport report;
  call = Unary(server.stub(), &v1::DocumentService::Stub::VerifyDocument, verify, &report);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_TRUE(report.all_passed());  // the signatures are still valid …
  EXPECT_TRUE(report.withdrawn());   // … and the document withdrawn
  EXPECT_EQ(report.withdraw_reason(), reason);
  EXPECT_NE(report.text().find("THU HỒI"), std::string::npos) << report.text();

  v1::ExportRegisterRequest request;
  grpc::ClientContext context;
  auto reader = server.stub().ExportRegister(&context, request);
  std::string csv;
  v1::ExportRegisterChunk chunk;
  while (reader->Read(&chunk)) csv += chunk.data();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_NE(csv.find("Đã thu hồi / withdrawn"), std::string::npos) << csv;
  EXPECT_NE(csv.find(reason), std::string::npos) << csv;
}

// Issue 21: the seal prepared twice, the first session completed → SESSION_SUPERSEDED and nothing
// changes; the second completes with the number the register shows as issued, none left
// allocated. (Before: the document became SEALED with number 01, which the register had voided,
// and 02 stayed allocated for ever.)
TEST(ServiceIssue, ASupersededSealSessionCannotComplete) {
  GetSamplePki();
  Taichod server(MakeTempDir("supersede-store"));
  server.Start();
  v1::Document doc;
  ASSERT_TRUE(Create(server, BlankNumberRequest("HS-SUPERSEDE"), &doc).status.ok());
  SignStep(server, doc.name(), v1::APPROVER, Images().signature);
  v1::PrepareSignatureResponse first, second;
  ASSERT_TRUE(Prepare(server, PrepareRequest(doc.name(), v1::SEAL), &first).status.ok());
  ASSERT_TRUE(Prepare(server, PrepareRequest(doc.name(), v1::SEAL), &second).status.ok());

  v1::CompleteSignatureResponse completed;
  Call call =
      Complete(server, first.session(), SignOnToken(kSealToken, first.to_be_signed()), &completed);
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << call.status.error_message();
  EXPECT_EQ(call.code, "SESSION_SUPERSEDED");
  v1::Document now;
  ASSERT_TRUE(Get(server, doc.name(), &now).status.ok());
  EXPECT_EQ(now.state(), v1::Document::APPROVED);
  EXPECT_EQ(now.revisions_size(), 2);

  call = Complete(server, second.session(), SignOnToken(kSealToken, second.to_be_signed()),
                  &completed);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(completed.document().state(), v1::Document::SEALED);
  const std::vector<v1::RegisterEntry> entries = ListRegister(server);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].number(), 1);
  EXPECT_EQ(entries[0].state(), v1::RegisterEntry::VOID);
  EXPECT_EQ(entries[1].number(), 2);
  EXPECT_EQ(entries[1].state(), v1::RegisterEntry::ISSUED);
  EXPECT_EQ(entries[1].document(), doc.name());
  for (const v1::RegisterEntry& e : entries) {
    EXPECT_NE(e.state(), v1::RegisterEntry::ALLOCATED) << e.number();
  }
  // The number printed is the one issued.
  const std::string dir = MakeTempDir("supersede");
  WriteBytes(dir + "/sealed.pdf", Download(server, doc.name()));
  const IssueDay today = TodayInVietnam();
  testing::ExpectNumberAndDateInPlace(dir + "/sealed.pdf", "02", today.day, today.month,
                                      today.year);
  // And the superseded session stays refused after the seal.
  call =
      Complete(server, first.session(), SignOnToken(kSealToken, first.to_be_signed()), &completed);
  EXPECT_EQ(call.code, "SESSION_SUPERSEDED");
}

// --- the officer's agent: lists the waiting drafts, approves with the token, never retries a PIN
// ---

TEST(ServiceAgent, ApprovesTheDesksDraftsWithTheOfficersToken) {
  GetSamplePki();
  Taichod server(MakeTempDir("agent-store"));
  server.Start();
  const std::string dir = MakeTempDir("agent");
  WriteBytes(dir + "/signature.png", Images().signature);
  v1::Document first, second, elsewhere;
  ASSERT_TRUE(Create(server, CreateRequest("HS-AG-1", "r", "Quầy 7"), &first).status.ok());
  ASSERT_TRUE(Create(server, CreateRequest("HS-AG-2", "r", "Quầy 7"), &second).status.ok());
  ASSERT_TRUE(Create(server, CreateRequest("HS-AG-3", "r", "Quầy 8"), &elsewhere).status.ok());
  const std::string agent = Quote(TAICHO_AGENT_PATH) + " --insecure-local --server " +
                            server.target() + " --module " + kModule + " --token " +
                            Quote(kOfficerToken) + " --pin-stdin --yes --once --desk " +
                            Quote("Quầy 7") + " --image " + Quote(dir + "/signature.png") +
                            " --view-dir " + Quote(dir + "/view");

  // A wrong PIN: refused once, nothing signed, no second try (the token would lock).
  auto r = Sh("echo 000000 | " + agent);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("PIN_INCORRECT"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("000000"), std::string::npos) << "the PIN is never printed";
  v1::Document doc;
  ASSERT_TRUE(Get(server, first.name(), &doc).status.ok());
  EXPECT_EQ(doc.state(), v1::Document::DRAFT);

  r = Sh("echo 123456 | " + agent);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("HS-AG-1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("HS-AG-3"), std::string::npos) << "another desk's draft";
  for (const v1::Document* d : {&first, &second}) {
    ASSERT_TRUE(Get(server, d->name(), &doc).status.ok());
    EXPECT_EQ(doc.state(), v1::Document::APPROVED) << d->name();
    const std::string id = d->name().substr(d->name().rfind('/') + 1);
    EXPECT_TRUE(std::filesystem::exists(dir + "/view/" + id + ".pdf")) << "the draft to view";
    WriteBytes(dir + "/approved.pdf", Download(server, d->name()));
    EXPECT_EQ(testing::RunPdfsig(dir + "/approved.pdf").valid, 1);
    std::string qpdf;
    EXPECT_TRUE(testing::QpdfCheckPasses(dir + "/approved.pdf", &qpdf)) << qpdf;
  }
  ASSERT_TRUE(Get(server, elsewhere.name(), &doc).status.ok());
  EXPECT_EQ(doc.state(), v1::Document::DRAFT);
  // Nothing left to approve: a second run signs nothing and succeeds.
  r = Sh("echo 123456 | " + agent);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("Đã phê duyệt"), std::string::npos) << r.output;
}

// The officer pulls the token while the agent works: the agent says so with a stable code, the
// waiting draft is neither lost nor half signed, and once the token is back (and the PIN given
// again) the agent approves it — once.
TEST(ServiceAgent, PulledTokenIsWaitedForAndNothingIsLost) {
  GetSamplePki();
  Taichod server(MakeTempDir("agent-pulled-store"));
  server.Start();
  const std::string dir = MakeTempDir("agent-pulled");
  // A private copy of the tokens: "pulling" removes its files from under SoftHSM2.
  std::filesystem::copy(GetSamplePki().token_dir + "/tokens", dir + "/tokens",
                        std::filesystem::copy_options::recursive);
  WriteBytes(dir + "/softhsm2.conf",
             "directories.tokendir = " + dir + "/tokens\nobjectstore.backend = file\n");
  ASSERT_EQ(Sh("mkfifo " + Quote(dir + "/stdin")).exit_code, 0);
  const std::string agent = "export SOFTHSM2_CONF=" + Quote(dir + "/softhsm2.conf") + "; exec " +
                            Quote(TAICHO_AGENT_PATH) + " --insecure-local --server " +
                            server.target() + " --module " + kModule + " --token " +
                            Quote(kOfficerToken) + " --pin-stdin --yes --poll-seconds 1 --desk " +
                            Quote("Quầy 9");
  // `exec`: the background subshell becomes the agent, so $! is the agent's own PID, the one
  // process the test kills at the end.
  const std::string background = "(" + agent + " < " + Quote(dir + "/stdin") + " > " +
                                 Quote(dir + "/out") + " 2>&1) > /dev/null 2>&1 & echo $! > " +
                                 Quote(dir + "/pid");
  ASSERT_EQ(Sh(background).exit_code, 0);
  signal(SIGPIPE, SIG_IGN);            // an agent that died must fail the test, not kill it
  std::ofstream pins(dir + "/stdin");  // the officer at the keyboard
  auto output = [&] { return Slurp(dir + "/out"); };
  auto wait_for = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 300 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  };
  pins << "123456\n" << std::flush;
  ASSERT_TRUE(wait_for([&] { return output().find("Người ký / signer") != std::string::npos; }))
      << output();

  std::filesystem::rename(dir + "/tokens", dir + "/pulled");
  v1::Document draft, doc;
  ASSERT_TRUE(Create(server, CreateRequest("HS-PULL-1", "r", "Quầy 9"), &draft).status.ok());
  ASSERT_TRUE(wait_for([&] { return output().find("plug it in") != std::string::npos; }))
      << output();
  EXPECT_TRUE(output().find("WARNING [TOKEN_") != std::string::npos ||
              output().find("WARNING [DEVICE_REMOVED]") != std::string::npos)
      << output();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(Get(server, draft.name(), &doc).status.ok());
  EXPECT_EQ(doc.state(), v1::Document::DRAFT);
  EXPECT_EQ(doc.revisions_size(), 1);

  std::filesystem::rename(dir + "/pulled", dir + "/tokens");
  pins << "123456\n" << std::flush;
  EXPECT_TRUE(wait_for([&] {
    return Get(server, draft.name(), &doc).status.ok() && doc.state() == v1::Document::APPROVED;
  })) << output();
  const pid_t agent_pid = std::atoi(Slurp(dir + "/pid").c_str());
  EXPECT_GT(agent_pid, 0);
  if (agent_pid > 0) kill(agent_pid, SIGTERM);
  pins.close();
  EXPECT_EQ(doc.revisions_size(), 2);
  WriteBytes(dir + "/approved.pdf", Download(server, draft.name()));
  auto pdfsig = testing::RunPdfsig(dir + "/approved.pdf");  // the seal's field is still empty
  EXPECT_EQ(pdfsig.valid, 1) << pdfsig.output;
  std::string qpdf;
  EXPECT_TRUE(testing::QpdfCheckPasses(dir + "/approved.pdf", &qpdf)) << qpdf;
  EXPECT_EQ(output().find("123456"), std::string::npos) << "the PIN is never printed";
}

// Online revocation checking is the operator's choice: off, Verify knows only what the DSS holds;
// on, it asks the CA's OCSP responder (a real `openssl ocsp` on loopback) and fails a signature
// whose certificate was revoked.
TEST(ServiceVerify, OnlineRevocationIsConfiguration) {
  const auto& pki = GetSamplePki();
  testing::LocalRevocation services(pki.dir);
  ASSERT_TRUE(services.started()) << services.log();
  const std::string dir = MakeTempDir("verify-online");
  taicho::testing::WriteSamplePdf(dir + "/in.pdf", 1);
  auto signed_pdf = Sh("echo taicho | " + Quote(TAICHO_CLI_PATH) + " sign --in " +
                       Quote(dir + "/in.pdf") + " --out " + Quote(dir + "/bb.pdf") + " --p12 " +
                       Quote(pki.dir + "/officer-revoked.p12") + " --pin-stdin 2>&1");
  ASSERT_EQ(signed_pdf.exit_code, 0) << signed_pdf.output;
  v1::VerifyDocumentRequest request;
  request.set_pdf(Slurp(dir + "/bb.pdf"));

  Taichod offline(MakeTempDir("store"));
  ASSERT_NO_FATAL_FAILURE(offline.Start());
  v1::VerificationReport report;
  Call call = Unary(offline.stub(), &v1::DocumentService::Stub::VerifyDocument, request, &report);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  ASSERT_EQ(report.signatures_size(), 1);
  EXPECT_EQ(report.signatures(0).revocation_status(), "");
  EXPECT_EQ(services.ocsp_requests(), 0);

  std::vector<std::string> flags = {"--verify-online"};
  for (const auto& [from, to] : services.rewrites()) {
    flags.push_back("--verify-url-rewrite");
    flags.push_back(from + "=" + to);
  }
  Taichod online(MakeTempDir("store"));
  ASSERT_NO_FATAL_FAILURE(online.Start(flags));
  EXPECT_NE(online.log().find("verify online"), std::string::npos) << online.log();
  call = Unary(online.stub(), &v1::DocumentService::Stub::VerifyDocument, request, &report);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  ASSERT_EQ(report.signatures_size(), 1);
  const v1::SignatureReport& s = report.signatures(0);
  EXPECT_EQ(s.revocation_status(), "revoked") << report.text();
  EXPECT_EQ(s.revocation_source(), "online OCSP") << report.text();
  EXPECT_FALSE(s.revocation_time().empty());
  EXPECT_EQ(s.indication(), "TOTAL-FAILED") << report.text();
  EXPECT_EQ(s.sub_indication(), "REVOKED") << report.text();
  EXPECT_FALSE(report.all_passed());
  EXPECT_GT(services.ocsp_requests(), 0);
}

}  // namespace
}  // namespace taicho
