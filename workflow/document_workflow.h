// The document lifecycle's use cases over a Store: render a draft, prepare and complete signatures
// with keys held elsewhere, seal with a key the server holds, cancel, withdraw, print, read,
// verify. Every use case takes the caller (domain::Caller) and enforces every rule, so any front
// end (the gRPC service in server/, a web page later) only translates: who may do what
// (domain/access_policy.h), which state may move where (domain/transitions.h), that an officer
// signs and completes only with their own certificate, that a server key signs only as the seal
// and with its configured image, and what a token failure does to the key. All PDF and signing
// work is done by render/ and pades/.
//
// Thread-safe (the store serialises its own writes; the key ring is thread-safe; nothing else is
// shared). Every error is a taicho::Error status whose code maps to a gRPC status.
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
#include "domain/access_policy.h"
#include "domain/principal.h"
#include "domain/transitions.h"
#include "env/env.h"
#include "keyring/key_ring.h"
#include "pades/pdf_verifier.h"
#include "pdf/drawing_cache.h"
#include "render/kind_cache.h"
#include "signer/bytes.h"
#include "signer/certificate_cache.h"
#include "signer/key_signer.h"
#include "store/store.h"
#include "workflow/desk_statistics.h"
#include "workflow/lifecycle.h"
#include "workflow/pdf_upload.h"
#include "workflow/public_view.h"
#include "workflow/signing_policy.h"

namespace taicho::workflow {

using domain::Caller;

struct WorkflowConfig {
  std::string kinds_dir;          // document kinds (render/kinds format)
  std::string font_dir;           // Liberation Serif, for drafts and signature captions
  std::string trust_anchors_pem;  // the roots the verifier trusts (contents); empty: none
  // Asked by Verify for revocation data a document's DSS lacks (not owned); null: offline only.
  const revocation::StatusSource* online_revocation = nullptr;
  int64_t session_ttl_ms = 15 * 60 * 1000;
  int64_t max_upload_bytes = 256LL * 1024 * 1024;  // the largest PDF BeginUpload accepts
  int max_revisions = 1000;  // more revisions: the verifier refuses (PDF_TOO_MANY_REVISIONS)
  const Env* env =
      nullptr;  // the clock (env/env.h); Env::Default() when null; outlives the workflow
  // The keys the server holds (not owned; must outlive the workflow); null: no server-side
  // signing (SealWithServerKey, ActivateKey: kKeyNotFound).
  keyring::KeyRing* keys = nullptr;
  // Levels, TSAs, revocation sources and the certificate checks before signing
  // (workflow/signing_policy.h). The default: B-B, no checks.
  SigningPolicy signing;
  // What a document's QR code carries: this prefix followed by its verification code (the public
  // page's address, "https://tra-cuu.example.vn/v/"); empty: the code alone.
  std::string verification_url_prefix;
  // Whether the public page shows a withdrawal's reason (staff write it; it may name a person).
  bool public_withdrawal_reason = false;
};

struct CreateInput {
  std::string kind;
  std::string dossier_code;
  std::string request_id;
  std::string procedure;
  std::string desk;
  std::string data_json;  // render/document_data.h's JSON
};

struct CreateOutput {
  store::DocumentRecord document;
  bool created = false;  // false: an earlier request with the same key made it
};

struct DocumentView {
  store::DocumentRecord document;
  std::vector<store::RevisionRecord> revisions;
  std::vector<store::HistoryEvent> history;      // only when asked for
  std::optional<domain::Withdrawal> withdrawal;  // set when the document is WITHDRAWN
  // Its PAdES level and the worker's plans for it, once sealed under a signing policy.
  std::optional<store::LevelRecord> level;
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
  // SEAL with a server key: the agency the key belongs to (keyring::KeyConfig::agency); empty:
  // the seal certificate's organisation (O) must name the document's agency.
  std::string key_agency;
  // The server key signing (SealWithServerKey sets it): its configured level applies.
  std::string server_key;
};

// A seal with a key the server holds (SealWithServerKey): the key's configured seal image and
// diameter apply, not the caller's.
struct ServerSealInput {
  std::string document_id;
  SignatureRole role = SignatureRole::kSeal;  // a server key signs only as the seal
  std::string key_name;                       // as configured ("seal")
  std::string reason;
  std::string location;
};

// A verification of a stored revision, and whether its document was withdrawn since.
struct StoredVerification {
  pades::VerificationReport report;
  std::optional<domain::Withdrawal> withdrawal;
};

// The electronic original the public page offers for download.
struct PublicOriginal {
  std::string path;  // a local path to read it from
  int64_t size = 0;
  std::string code;  // the document's verification code (names the download)
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
  PadesLevel level = PadesLevel::kBB;            // the level the signature reached
  // Set when it is below the policy's (issued during an outage): the level to reach, and why
  // it was not reached now. The worker (workflow/level_keeper.h) upgrades it.
  std::optional<PadesLevel> upgrade_to;
  std::string upgrade_problem;
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
  // The revision printed, named by its document and number: the document must be document_id
  // (kUsage otherwise) and the number the latest.
  std::string revision_document_id;
  int revision = 0;
  std::string printer;  // the queue or folder it went to
  int copies = 1;       // 1 … kMaxCopies
  std::string officer;  // the converting officer named on the rendition
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

  // Each use case first checks the caller may perform it (kRoleNotAllowed), before it reads
  // anything, so a refused caller learns nothing from the store.

  // Renders and stores the draft as revision 1. Idempotent on (dossier_code, request_id);
  // kRequestIdReused when the pair comes back with other content.
  absl::StatusOr<CreateOutput> Create(const Caller& caller, const CreateInput& input);

  absl::StatusOr<DocumentView> Get(const Caller& caller, const std::string& id, bool with_history);
  absl::StatusOr<std::vector<store::DocumentRecord>> List(const Caller& caller,
                                                          const store::ListFilter& filter);

  // A revision (0: the latest) and a local path to read its PDF from.
  absl::StatusOr<std::pair<store::RevisionRecord, std::string>> OpenRevision(const Caller& caller,
                                                                             const std::string& id,
                                                                             int number);

  // Ends a DRAFT or APPROVED document (kTransitionInvalid otherwise: a sealed one is withdrawn).
  absl::StatusOr<store::DocumentRecord> Cancel(const Caller& caller, const std::string& id,
                                               const std::string& reason);
  // Withdraws (thu hồi) a SEALED or ISSUED document: its register number is marked withdrawn
  // with the reason (required) and time, its pending print jobs are closed, the history names
  // the caller (Store::Withdraw).
  absl::StatusOr<store::DocumentRecord> Withdraw(const Caller& caller, const std::string& id,
                                                 const std::string& reason);

  // Prepares the latest revision for the role's signature and stores the session; the
  // document's earlier open sessions for that role can no longer complete (kSessionSuperseded).
  // An officer prepares only with their own certificate (kSignerMismatch).
  absl::StatusOr<PrepareOutput> Prepare(const Caller& caller, const PrepareInput& input);

  // Embeds the value, stores the new revision and moves the document on. Only a caller whose
  // role may complete the session's purpose, and for an officer only a session of their own
  // certificate (kSignerMismatch). kSessionSuperseded when the role's signature was prepared
  // again since (nothing is changed).
  absl::StatusOr<CompleteOutput> Complete(const Caller& caller, const std::string& session_id,
                                          ByteSpan signature_value);

  // Server-side signing with a key the server holds (keyring/), in one pass: the same checks,
  // options and issue number as Prepare (both start from Plan), then the signed revision is
  // written and recorded at once (no session). A failure voids the allocated number.
  // `hooks` bracket the part that computes (see ComputeHooks).
  absl::StatusOr<CompleteOutput> SignWith(const Caller& caller, PrepareInput input,
                                          signer::KeySigner& key, const ComputeHooks& hooks = {});
  // SignWith with the configured key `input.key_name`, as the seal only (kUsage for another
  // role), with the key's seal image and diameter. A failure the token caused is reported to the
  // key ring (which may deactivate the key: KeyRing::ReportFailure).
  absl::StatusOr<CompleteOutput> SealWithServerKey(const Caller& caller,
                                                   const ServerSealInput& input,
                                                   const ComputeHooks& hooks = {});
  // The server's keys: an operator logs one in (the PIN is wiped by the key ring), or lists them.
  absl::StatusOr<keyring::KeyStatus> ActivateKey(const Caller& caller, const std::string& name,
                                                 pkcs11::SecretString& pin);
  absl::StatusOr<std::vector<keyring::KeyStatus>> ListServerKeys(const Caller& caller);

  // The register of issued documents (numbers given at the seal step, gaps with their reason).
  absl::StatusOr<std::vector<store::RegisterEntry>> ListRegister(const Caller& caller,
                                                                 const store::RegisterFilter& f);

  absl::StatusOr<std::vector<ProcedureStatistics>> DeskStatistics(const Caller& caller,
                                                                  const StatisticsQuery& query);

  // Sealed documents by PAdES level (workflow/level_keeper.h keeps them at the policy's).
  absl::StatusOr<std::vector<store::LevelRecord>> ListLevels(const Caller& caller,
                                                             const store::LevelFilter& filter);

  // `cancelled` (optional) is asked while verifying: the caller gave up or the server stops.
  absl::StatusOr<pades::VerificationReport> VerifyBytes(const Caller& caller, std::string_view pdf,
                                                        const std::function<bool()>& cancelled);
  // A stored revision, and the withdrawal of its document if it was withdrawn.
  absl::StatusOr<StoredVerification> VerifyRevision(const Caller& caller, const std::string& id,
                                                    int number,
                                                    const std::function<bool()>& cancelled);

  // A PDF streamed in (VerifyUpload): a private work file, capped at config.max_upload_bytes,
  // that the caller appends to; kIo when it cannot be created. Authorized here, before a byte
  // is written.
  absl::StatusOr<std::unique_ptr<PdfUpload>> BeginUpload(const Caller& caller);
  // Finishes the upload and verifies the file from disk; the same errors as VerifyBytes.
  absl::StatusOr<pades::VerificationReport> VerifyUploaded(PdfUpload& upload,
                                                           const std::function<bool()>& cancelled);

  // The public verification page (workflow/public_view.cc): no caller, only what
  // workflow/public_view.h holds. An unknown code, a malformed one and the code of a document that
  // is not sealed yet (or was cancelled) are the same kDocumentNotFound, after the same single
  // lookup. The view verifies the latest revision offline (never calls out for revocation data).
  absl::StatusOr<PublicDocument> PublicView(std::string_view code,
                                            const std::function<bool()>& cancelled);
  absl::StatusOr<PublicOriginal> OpenPublicOriginal(std::string_view code);
  // An upload to verify from the public page: as BeginUpload, for anyone (then VerifyUploaded
  // and PublicVerdictOf).
  absl::StatusOr<std::unique_ptr<PdfUpload>> BeginPublicUpload();

  // The print station (workflow/document_printing.cc). Pending print jobs of a desk after a
  // cursor, oldest first; waiting up to `max_wait_ms` for one when there is none yet.
  absl::StatusOr<std::vector<store::PrintJob>> ReadyToPrint(const Caller& caller,
                                                            const std::string& desk,
                                                            int64_t after_sequence, int limit,
                                                            int64_t max_wait_ms);
  // Records a print: SEALED → ISSUED for the first, ISSUED stays ISSUED for a reprint asked for.
  // Idempotent on (document, print id).
  // A print id reported failed is not a print: FAILED_PRECONDITION kTransitionInvalid.
  absl::StatusOr<store::PrintOutcome> MarkPrinted(const Caller& caller, const PrintInput& input);
  // Records a print the printer did not finish: the document keeps its state (a SEALED one is
  // not issued), the failure is in its prints and history, and a new job offers the print again
  // with this failure. Idempotent on (document, print id).
  absl::StatusOr<store::PrintFailureOutcome> ReportPrintFailure(const Caller& caller,
                                                                const PrintFailureInput& input);
  // Queues a reprint of an ISSUED document; the reason (required) goes into the history.
  absl::StatusOr<store::PrintJob> RequestReprint(const Caller& caller, const std::string& id,
                                                 const std::string& reason);

 private:
  pades::VerifyOptions VerifyOptionsFor(const std::function<bool()>& cancelled, bool online) const;
  struct SigningPlan;
  // Checks the role's signature may be added now and fixes its options; at the seal step,
  // allocates the issue number. `certificates`: where the chain stays parsed (the server key's,
  // or certificates_).
  absl::StatusOr<SigningPlan> Plan(const Caller& caller, const PrepareInput& input,
                                   signer::CertificateCache* certificates);
  // The document's withdrawal, when it is WITHDRAWN (from its history's "withdrawn" event).
  absl::StatusOr<std::optional<domain::Withdrawal>> WithdrawalOf(const store::DocumentRecord& doc);
  // OpenRevision without its authorization (for a use case that authorized its caller already).
  absl::StatusOr<std::pair<store::RevisionRecord, std::string>> OpenRevisionOf(
      const std::string& id, int number);
  // The document behind a public code, when it is public (sealed, issued or withdrawn).
  absl::StatusOr<store::DocumentRecord> FindPublic(std::string_view code);
  // The level record of a seal about to be stored as revision `revision` (see Store's
  // LevelStore): stored before the revision, so a seal below the policy is never left without
  // the record that has the worker upgrade it.
  // The level record a seal's revision is stored with (see SealRecord in the .cc).
  struct SealLevelInput;
  absl::StatusOr<std::optional<store::LevelRecord>> SealRecord(const SealLevelInput& in);
  // The record of an officer's signature completed below the policy (issue-and-upgrade) that the
  // document at `base_revision` still carries, if any: the seal's time-stamps raise it.
  absl::StatusOr<std::optional<store::LevelRecord>> OfficerBelowPolicy(const std::string& id,
                                                                       int base_revision);
  // OK when `action` may happen to the document now (the table's message otherwise).
  absl::Status CheckNext(const std::string& id, domain::Action action);
  int64_t Now() const;
  // A fresh work-file path in the store's scratch directory.
  std::string Scratch(const std::string& suffix) { return store_.NewScratchPath(suffix); }

  store::Store& store_;
  const WorkflowConfig config_;
  render::KindCache kinds_;  // config_.kinds_dir's kinds
  // The seal image and the fills' digit subsets, drawn once for every signature of this workflow.
  pdf::DrawingCache drawings_;
  // Officers' chains and the policy's roots, parsed once for this workflow's signatures (a
  // server key keeps its own chain: KeySigner::certificates).
  signer::CertificateCache certificates_;
  // Passed checks of the signers' chains under config_.signing (a server key's, an officer's).
  SignerCheckMemo signer_checks_;
  // The certificates of the files this workflow verifies (uploads, stored revisions, the public
  // page), kept apart from the signing chains above: outside bytes never evict those. Bounded;
  // thread-safe, so the const VerifyOptionsFor may hand it out.
  mutable signer::CertificateCache verified_certificates_;
};

// 32 lowercase hex digits from the OS's random source.
std::string RandomId();

}  // namespace taicho::workflow
