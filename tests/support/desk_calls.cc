#include "tests/support/desk_calls.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "gtest/gtest.h"
#include "tests/support/commands.h"
#include "tests/support/pki_fixture.h"
#include "tests/support/taichod_process.h"

namespace taicho::testing {

namespace v1 = ::taicho::v1;

std::string ErrorCodeOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("taicho-error-code");
  return it == trailers.end() ? "" : std::string(it->second.data(), it->second.size());
}

Call Finish(const grpc::Status& status, const grpc::ClientContext& context) {
  return {status, ErrorCodeOf(context)};
}

std::string DownloadBytes(v1::DocumentService::Stub& stub, const std::string& name) {
  v1::DownloadRevisionRequest request;
  request.set_name(name);
  auto context = CallContext();
  auto reader = stub.DownloadRevision(context.get(), request);
  std::string bytes;
  v1::DownloadRevisionChunk chunk;
  while (reader->Read(&chunk)) bytes += chunk.data();
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return bytes;
}

v1::CreateDocumentRequest SampleCreateRequest(const std::string& dossier_code,
                                              const std::string& desk) {
  v1::CreateDocumentRequest create;
  create.set_request_id("req-1");
  v1::Document* doc = create.mutable_document();
  doc->set_kind("quyet-dinh-ubnd");
  doc->set_dossier_code(dossier_code);
  doc->set_procedure("1.001612");
  doc->set_desk(desk);
  *doc->mutable_data() = SampleDocumentData();
  return create;
}

std::unique_ptr<grpc::ClientContext> CallContext(int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

std::vector<std::string> MtlsServerFlags() {
  return {"--tls-cert",  Pki("tls-server.chain.pem"),
          "--tls-key",   Pki("tls-server.key"),
          "--client-ca", Pki("root.pem")};
}

v1::Document FetchDocument(const std::string& target, const std::string& name) {
  v1::GetDocumentRequest request;
  request.set_name(name);
  v1::Document doc;
  auto context = CallContext();
  grpc::Status status =
      MtlsStub(target, "client-auditor")->GetDocument(context.get(), request, &doc);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return doc;
}

std::unique_ptr<v1::DocumentService::Stub> MtlsStub(const std::string& target,
                                                    const std::string& client) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFileBytes(Pki("root.pem"));
  options.pem_private_key = ReadFileBytes(Pki(client + ".key"));
  options.pem_cert_chain = ReadFileBytes(Pki(client + ".chain.pem"));
  grpc::ChannelArguments arguments;
  arguments.SetSslTargetNameOverride("localhost");
  return v1::DocumentService::NewStub(
      grpc::CreateCustomChannel(target, grpc::SslCredentials(options), arguments));
}

v1::CompleteSignatureResponse SignOverService(const std::string& target, const std::string& name,
                                              v1::SignatureRole role, const std::string& client,
                                              const std::string& chain, const std::string& token) {
  auto stub = MtlsStub(target, client);
  v1::PrepareSignatureRequest prepare;
  prepare.set_name(name);
  prepare.set_role(role);
  for (const std::string& der : SampleChainDer(chain)) prepare.add_certificate_chain(der);
  v1::PrepareSignatureResponse prepared;
  auto context = CallContext();
  grpc::Status status = stub->PrepareSignature(context.get(), prepare, &prepared);
  EXPECT_TRUE(status.ok()) << status.error_message();
  v1::CompleteSignatureRequest complete;
  complete.set_session(prepared.session());
  complete.set_signature_value(SignOnToken(token, prepared.to_be_signed()));
  v1::CompleteSignatureResponse completed;
  context = CallContext();
  status = stub->CompleteSignature(context.get(), complete, &completed);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return completed;
}

v1::Document SealedOverService(const std::string& target, const std::string& desk,
                               const std::string& dossier_code) {
  v1::CreateDocumentRequest create = SampleCreateRequest(dossier_code, desk);
  v1::Document created;
  auto context = CallContext();
  grpc::Status status =
      MtlsStub(target, "client-intake")->CreateDocument(context.get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  SignOverService(target, created.name(), v1::APPROVER, "client-officer-an", "officer-an",
                  kOfficerToken);
  return SignOverService(target, created.name(), v1::SEAL, "client-seal-clerk", "seal", kSealToken)
      .document();
}

namespace {
std::atomic<int> dossier_codes{0};  // given by NewDossierCode in this process
}  // namespace

v1::SignDocumentRequest SealRequest(const std::string& name, const std::string& key) {
  v1::SignDocumentRequest request;
  request.set_name(name);
  request.set_role(v1::SEAL);
  request.set_key(key);
  return request;
}

std::string NewDossierCode(const std::string& prefix) {
  return prefix + "-" + std::to_string(++dossier_codes) + "-" + std::to_string(getpid());
}

v1::ReportPrintFailureRequest JammedPrintReport(const v1::Document& document,
                                                const std::string& printer,
                                                const std::string& print_id) {
  v1::ReportPrintFailureRequest request;
  request.set_name(document.name());
  request.set_print_id(print_id);
  request.set_revision(document.revisions(document.revisions_size() - 1).name());
  request.set_printer(printer);
  request.set_copies(1);
  request.set_officer("Trần Thị Bích");
  request.set_job_state("aborted");
  request.set_reason("Paper jam (media-jam-error)");
  return request;
}

}  // namespace taicho::testing
