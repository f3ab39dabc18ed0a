// The officer's approval of drafts through taichod, shared by the terminal agent and the
// approval page (agent/approval_page.h): the waiting drafts, a draft's bytes to read, and the
// approval itself (PrepareSignature → the token signs the bytes → CompleteSignature).
//
// Ownership and threads: holds the gRPC stub (thread-safe; the channel keeps the agent's
// mutual-TLS identity, the browser never sees it). Approve uses the caller's signer, which is a
// token session: one thread at a time, the caller serialises.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "signer/key_signer.h"
#include "taicho/v1/document_service.grpc.pb.h"

namespace taicho::agent {

class Approver {
 public:
  // `image_png`: the officer's signature image (may be empty); `caption`: name and time added.
  Approver(std::shared_ptr<grpc::Channel> channel, std::string image_png, bool caption);

  // Drafts of `desk` (all desks when empty), oldest first.
  absl::StatusOr<std::vector<v1::Document>> Waiting(const std::string& desk);
  // The draft's current revision (the PDF the officer reads before approving).
  absl::StatusOr<std::string> Download(const std::string& name);
  // Approves document `name` with `signer`; returns the new revision's number.
  absl::StatusOr<int> Approve(const std::string& name, signer::KeySigner& signer);

 private:
  std::unique_ptr<v1::DocumentService::Stub> stub_;
  const std::string image_png_;
  const bool caption_;
};

// The token was pulled, or is not (yet) back in its reader.
bool TokenGone(const absl::Status& st);

}  // namespace taicho::agent
