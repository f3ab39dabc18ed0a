#include "agent/approver.h"

#include <algorithm>
#include <chrono>

#include "cli/service_connection.h"
#include "errors/error.h"

namespace taicho::agent {
namespace {

std::unique_ptr<grpc::ClientContext> Context(int seconds = 60) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

v1::SignatureScheme SchemeOf(signer::SignatureScheme scheme) {
  switch (scheme) {
    case signer::SignatureScheme::kRsaPss:
      return v1::RSA_PSS;
    case signer::SignatureScheme::kEcdsa:
      return v1::ECDSA;
    case signer::SignatureScheme::kRsaPkcs1v15:
      break;
  }
  return v1::RSA_PKCS1_V15;
}

}  // namespace

bool TokenGone(const absl::Status& st) {
  return HasCode(st, ErrorCode::kDeviceRemoved) || HasCode(st, ErrorCode::kTokenAbsent) ||
         HasCode(st, ErrorCode::kTokenNotFound);
}

Approver::Approver(std::shared_ptr<grpc::Channel> channel, std::string image_png, bool caption)
    : stub_(v1::DocumentService::NewStub(std::move(channel))),
      image_png_(std::move(image_png)),
      caption_(caption) {}

absl::StatusOr<std::vector<v1::Document>> Approver::Waiting(const std::string& desk) {
  v1::ListDocumentsRequest request;
  request.set_state(v1::Document::DRAFT);
  request.set_desk(desk);
  request.set_page_size(100);
  std::vector<v1::Document> out;
  do {
    auto context = Context();
    v1::ListDocumentsResponse response;
    absl::Status st =
        cli::FromGrpc(stub_->ListDocuments(context.get(), request, &response), *context);
    if (!st.ok()) return st;
    out.insert(out.end(), response.documents().begin(), response.documents().end());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  std::reverse(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::string> Approver::Download(const std::string& name) {
  v1::DownloadRevisionRequest request;
  request.set_name(name);
  auto context = Context();
  auto reader = stub_->DownloadRevision(context.get(), request);
  std::string out;
  v1::DownloadRevisionChunk chunk;
  while (reader->Read(&chunk)) out += chunk.data();
  absl::Status st = cli::FromGrpc(reader->Finish(), *context);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<int> Approver::Approve(const std::string& name, signer::KeySigner& signer) {
  v1::PrepareSignatureRequest request;
  request.set_name(name);
  request.set_role(v1::APPROVER);
  for (const Bytes& der : signer.CertificateChain()) {
    request.add_certificate_chain(std::string(der.begin(), der.end()));
  }
  request.set_scheme(SchemeOf(signer.scheme()));
  request.mutable_appearance()->set_image_png(image_png_);
  request.mutable_appearance()->set_caption(caption_);
  request.set_reason("Phê duyệt");
  auto context = Context();
  v1::PrepareSignatureResponse prepared;
  absl::Status st =
      cli::FromGrpc(stub_->PrepareSignature(context.get(), request, &prepared), *context);
  if (!st.ok()) return st;
  const std::string& tbs = prepared.to_be_signed();
  absl::StatusOr<Bytes> value =
      signer.Sign(ByteSpan(reinterpret_cast<const uint8_t*>(tbs.data()), tbs.size()),
                  signer::DigestAlgorithm::kSha256);
  if (!value.ok()) return value.status();
  v1::CompleteSignatureRequest complete;
  complete.set_session(prepared.session());
  complete.set_signature_value(std::string(value->begin(), value->end()));
  context = Context();
  v1::CompleteSignatureResponse done;
  st = cli::FromGrpc(stub_->CompleteSignature(context.get(), complete, &done), *context);
  if (!st.ok()) return st;
  return done.revision().number();
}

}  // namespace taicho::agent
