// Calls a service test makes as the desk's clients would, over mutual TLS with the sample PKI's
// client certificates (client-intake, client-officer-an, client-seal-clerk, client-auditor…).
// Plain functions; each call opens its own channel. Failures are gtest expectations.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <string>
#include <vector>

#include "taicho/v1/document_service.grpc.pb.h"
#include "tests/support/commands.h"

namespace taicho::testing {

// A call's outcome: its status and the taicho-error-code trailer ("" when there is none).
struct Call {
  grpc::Status status;
  std::string code;
};

// The taicho-error-code trailer of a finished call ("" when there is none).
std::string ErrorCodeOf(const grpc::ClientContext& context);

// `status` with the error code `context` carried.
Call Finish(const grpc::Status& status, const grpc::ClientContext& context);

// The bytes of revision `name` (streamed by DownloadRevision); an expectation fails on an error.
std::string DownloadBytes(::taicho::v1::DocumentService::Stub& stub, const std::string& name);

// The sample decision as the one-stop-shop software sends it (request id "req-1", procedure
// 1.001612) for dossier `dossier_code` at `desk`.
::taicho::v1::CreateDocumentRequest SampleCreateRequest(const std::string& dossier_code,
                                                        const std::string& desk = "Quầy 1");

// A client context whose call gives up after `seconds`.
std::unique_ptr<grpc::ClientContext> CallContext(int seconds = 60);

// taichod's flags for mutual TLS with the sample PKI: its server chain and key, the clients' root.
std::vector<std::string> MtlsServerFlags();

// The document `name` as GetDocument gives it to the auditor (a failed call is a test failure).
::taicho::v1::Document FetchDocument(const std::string& target, const std::string& name);

// A stub to taichod at `target` (host:port) as the sample PKI's `client` ("client-intake").
std::unique_ptr<::taicho::v1::DocumentService::Stub> MtlsStub(const std::string& target,
                                                              const std::string& client);

// Prepares `role`'s signature as `client` with the sample chain `chain`, signs the value on the
// SoftHSM2 token labelled `token` and completes it.
::taicho::v1::CompleteSignatureResponse SignOverService(
    const std::string& target, const std::string& name, ::taicho::v1::SignatureRole role,
    const std::string& client, const std::string& chain, const std::string& token);

// The sample decision created at `desk` under `dossier_code`, approved by officer An on his token
// and sealed by the clerk on the seal token: the document as the seal left it (SEALED).
::taicho::v1::Document SealedOverService(const std::string& target, const std::string& desk,
                                         const std::string& dossier_code);

// A request to seal document `name` (documents/…) with the server's key `key`.
::taicho::v1::SignDocumentRequest SealRequest(const std::string& name,
                                              const std::string& key = kSealKey);

// The report a print station sends when `document`'s first print (`print_id`) jammed on
// `printer`: its last revision, one copy, an aborted CUPS job with a paper-jam reason.
::taicho::v1::ReportPrintFailureRequest JammedPrintReport(const ::taicho::v1::Document& document,
                                                          const std::string& printer,
                                                          const std::string& print_id = "jam-1");

// A dossier code no other call in any test process gives: `prefix`-N-PID, N counting this
// process's calls. Any thread.
std::string NewDossierCode(const std::string& prefix);

}  // namespace taicho::testing
