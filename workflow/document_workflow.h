// The document lifecycle over a Store: render a draft, prepare and complete signatures with keys
// held elsewhere, cancel, read, verify. All PDF and signing work is done by render/ and pades/;
// this module decides what is allowed and records it. The service (server/) only translates.
//
// Thread-safe (the store serialises its own writes; nothing else is shared). Every error is a
// taicho::Error status whose code maps to a gRPC status.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "pades/pdf_verifier.h"
#include "render/kind_cache.h"
#include "signer/bytes.h"
#include "signer/key_signer.h"
#include "store/store.h"
#include "workflow/desk_statistics.h"
#include "workflow/lifecycle.h"
#include "workflow/pdf_upload.h"

namespace taicho::workflow {

struct WorkflowConfig {
  std::string kinds_dir;          // document kinds (render/kinds format)
  std::string font_dir;           // Liberation Serif, for drafts and signature captions
  std::string trust_anchors_pem;  // the roots the verifier trusts (contents); empty: none
  // Asked by Verify for revocation data a document's DSS lacks (not owned); null: offline only.
  const revocation::StatusSource* online_revocation = nullptr;
  int64_t session_ttl_ms = 15 * 60 * 1000;
  int64_t max_upload_bytes = 256LL * 1024 * 1024;  // the largest PDF BeginUpload accepts
  int max_revisions = 1000;         // more revisions: the verifier refuses (PDF_TOO_MANY_REVISIONS)
  std::function<int64_t()> now_ms;  // Unix milliseconds; the system clock when empty
};

struct CreateInput {
  std::string kind;
  std::string dossier_code;
  std::string request_id;
  std::string procedure;
  std::string desk;
  std::string data_json;  // render/document_data.h's JSON
  std::string actor;
};

struct CreateOutput {
  store::DocumentRecord document;
  bool created = false;  // false: an earlier request with the same key made it
};

struct DocumentView {
  store::DocumentRecord document;
  std::vector<store::RevisionRecord> revisions;
  std::vector<store::HistoryEvent> history;  // only when asked for
};

struct PrepareInput {
  std::string document_id;
  SignatureRole role = SignatureRole::kApprover;
  std::vector<Bytes> chain;                       // the signer's certificate first (DER)
  std::optional<signer::SignatureScheme> scheme;  // unset: PKCS#1 v1.5 for RSA, ECDSA for EC
  // The appearance's PNG; null or empty: invisible in its field. Shared, not copied: a server
  // key's seal image is read once and drawn by every seal.
  std::shared_ptr<const std::string> image_png;
  bool caption = false;
  double seal_diameter_mm = 0;  // 0: the default
  std::string reason;
  std::string location;
  std::string actor;
};

struct PrepareOutput {
  store::SessionRecord session;
  Bytes to_be_signed;
  signer::DigestAlgorithm digest = signer::DigestAlgorithm::kSha256;
  signer::SignatureScheme scheme = signer::SignatureScheme::kRsaPkcs1v15;
  std::string signing_time;  // ISO 8601, Vietnam time
};

struct CompleteOutput {
  store::DocumentRecord document;
  store::RevisionRecord revision;
  std::vector<store::RevisionRecord> revisions;  // all of the document's, `revision` last
};

// For a caller that bounds how many signatures compute at once (taichod's seal gate): SignWith's
// planning (store reads, the issue number's allocation) and storing (fsyncs, the store's commit)
// mostly wait for the store and the disk, and the part between them is CPU and token work.
struct ComputeHooks {
  // Called once the signature is planned, before the PDF and token work; an error stops the
  // signing there (an allocated issue number then becomes a gap with it as the reason).
  std::function<absl::Status()> computing;
  // Called once the signed file is complete, before it is stored; not after a failure.
  std::function<void()> computed;
};

struct PrintInput {
  std::string document_id;
  std::string print_id;  // the station's id for this print (at most kMaxKeyLength bytes)
  int revision = 0;      // the revision printed: must be the latest
  std::string printer;   // the queue or folder it went to
  int copies = 1;        // 1 … kMaxCopies
  std::string officer;   // the converting officer named on the rendition
  std::string actor;
};
inline constexpr int kMaxCopies = 100;

// A print the printer did not finish (workflow/document_printing.cc has the rules).
struct PrintFailureInput {
  PrintInput print;       // the attempt, as it was submitted
  std::string job_state;  // "stopped", "aborted", "cancelled" (CUPS) or "timeout"
  std::string reason;     // the printer's reason (at most kMaxFailureReason bytes; may be empty)
};
inline constexpr size_t kMaxFailureReason = 1024;

// Limits on what a caller may send (bytes).
inline constexpr size_t kMaxKeyLength = 128;  // dossier code, request id, desk, procedure
inline constexpr size_t kMaxImageBytes = 2 * 1024 * 1024;
inline constexpr size_t kMaxChainCertificates = 10;

class DocumentWorkflow {
 public:
  // `store` must outlive this object.
  DocumentWorkflow(store::Store& store, WorkflowConfig config);

  // Renders and stores the draft as revision 1. Idempotent on (dossier_code, request_id);
  // kRequestIdReused when the pair comes back with other content.
  absl::StatusOr<CreateOutput> Create(const CreateInput& input);

  absl::StatusOr<DocumentView> Get(const std::string& id, bool with_history);
  absl::StatusOr<std::vector<store::DocumentRecord>> List(const store::ListFilter& filter);

  // A revision (0: the latest) and a local path to read its PDF from.
  absl::StatusOr<std::pair<store::RevisionRecord, std::string>> OpenRevision(const std::string& id,
                                                                             int number);

  absl::StatusOr<store::DocumentRecord> Cancel(const std::string& id, const std::string& reason,
                                               const std::string& actor);

  // Prepares the latest revision for the role's signature and stores the session; the
  // document's earlier open sessions for that role can no longer complete (kSessionSuperseded).
  absl::StatusOr<PrepareOutput> Prepare(const PrepareInput& input);

  // A stored session (kSessionNotFound when absent), so a caller can be checked against its
  // signer and role before completing it.
  absl::StatusOr<store::SessionRecord> GetSession(const std::string& session_id);

  // Embeds the value, stores the new revision and moves the document on. kSessionSuperseded when
  // the role's signature was prepared again since (nothing is changed).
  absl::StatusOr<CompleteOutput> Complete(const std::string& session_id, ByteSpan signature_value,
                                          const std::string& actor);

  // Server-side signing with a key the server holds (keyring/), in one pass: the same checks,
  // options and issue number as Prepare (both start from Plan), then the signed revision is
  // written and recorded at once (no session). A failure voids the allocated number.
  // `hooks` bracket the part that computes (see ComputeHooks).
  absl::StatusOr<CompleteOutput> SignWith(PrepareInput input, signer::KeySigner& key,
                                          const ComputeHooks& hooks = {});

  // The register of issued documents (numbers given at the seal step, gaps with their reason).
  absl::StatusOr<std::vector<store::RegisterEntry>> ListRegister(const store::RegisterFilter& f) {
    return store_.ListRegister(f);
  }

  absl::StatusOr<std::vector<ProcedureStatistics>> DeskStatistics(const StatisticsQuery& query) {
    return ComputeDeskStatistics(store_, query, Now());
  }

  // `cancelled` (optional) is asked while verifying: the caller gave up or the server stops.
  absl::StatusOr<pades::VerificationReport> VerifyBytes(std::string_view pdf,
                                                        const std::function<bool()>& cancelled);
  absl::StatusOr<pades::VerificationReport> VerifyRevision(const std::string& id, int number,
                                                           const std::function<bool()>& cancelled);

  // A PDF streamed in (VerifyUpload): a private work file, capped at config.max_upload_bytes,
  // that the caller appends to; kIo when it cannot be created.
  absl::StatusOr<std::unique_ptr<PdfUpload>> BeginUpload();
  // Finishes the upload and verifies the file from disk; the same errors as VerifyBytes.
  absl::StatusOr<pades::VerificationReport> VerifyUploaded(PdfUpload& upload,
                                                           const std::function<bool()>& cancelled);

  // The print station (workflow/document_printing.cc). Pending print jobs of a desk after a
  // cursor, oldest first; waiting up to `max_wait_ms` for one when there is none yet.
  absl::StatusOr<std::vector<store::PrintJob>> ReadyToPrint(const std::string& desk,
                                                            int64_t after_sequence, int limit,
                                                            int64_t max_wait_ms);
  // Records a print: SEALED → ISSUED for the first, ISSUED stays ISSUED for a reprint asked for.
  // Idempotent on (document, print id).
  // A print id reported failed is not a print: FAILED_PRECONDITION kTransitionInvalid.
  absl::StatusOr<store::PrintOutcome> MarkPrinted(const PrintInput& input);
  // Records a print the printer did not finish: the document keeps its state (a SEALED one is
  // not issued), the failure is in its prints and history, and a new job offers the print again
  // with this failure. Idempotent on (document, print id).
  absl::StatusOr<store::PrintFailureOutcome> ReportPrintFailure(const PrintFailureInput& input);
  // Queues a reprint of an ISSUED document; the reason (required) goes into the history.
  absl::StatusOr<store::PrintJob> RequestReprint(const std::string& id, const std::string& reason,
                                                 const std::string& actor);
  absl::StatusOr<std::vector<store::PrintRecord>> ListPrints(const std::string& id);

 private:
  pades::VerifyOptions VerifyOptionsFor(const std::function<bool()>& cancelled, bool online) const;
  struct SigningPlan;
  // Checks the role's signature may be added now and fixes its options; at the seal step,
  // allocates the issue number.
  absl::StatusOr<SigningPlan> Plan(const PrepareInput& input);
  int64_t Now() const;
  // A fresh work-file path in the store's scratch directory.
  std::string Scratch(const std::string& suffix) { return store_.NewScratchPath(suffix); }

  store::Store& store_;
  const WorkflowConfig config_;
  render::KindCache kinds_;  // config_.kinds_dir's kinds
};

// 32 lowercase hex digits from the OS's random source.
std::string RandomId();

}  // namespace taicho::workflow
