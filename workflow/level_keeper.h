// Keeps sealed documents at the signing policy's PAdES level (taichod.toml [signing]): a seal
// issued below it during a TSA or responder outage (when_unavailable = "issue-and-upgrade") is
// brought up to it as a new revision once the services answer, and a B-LTA document gets fresh
// validation data and a new document time-stamp (archival renewal, `extend`) renew_before_days
// before its last document time-stamp's TSA certificate expires. Every rule of it is here; taichod
// (server/) only runs the loop and shows the count.
//
// The work lives in the store's level records (store::LevelStore), so it survives restarts, and
// each is claimed before it is worked on (ClaimDueLevel: one taichod at a time per document on a
// shared database; a claim whose holder died expires and another resumes). A failed attempt is
// retried with exponential backoff, its reason kept in the record (GetDocument shows it). A file
// is recorded only after the verifier, offline, finds it at the level it was brought to.
//
// Threads: RunOnce from any thread (a claim keeps two callers off one document); Start runs it on
// a thread of its own until Stop (or the destructor). The store, the policy and the env must
// outlive the keeper.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "env/env.h"
#include "keyring/key_ring.h"
#include "store/store.h"
#include "workflow/signing_policy.h"

namespace taicho::workflow {

// The levels the verifier finds in a signed file, offline (from what the file carries).
struct FileLevels {
  PadesLevel level = PadesLevel::kBB;  // the lowest of its signatures
  std::string signature_levels;        // "field=LEVEL;…", document time-stamps not listed
  bool all_passed = false;             // every signature TOTAL-PASSED, no document problem
  std::string failures;                // otherwise, which failed and why (English)
};
absl::StatusOr<FileLevels> LevelsOfFile(const std::string& path,
                                        const std::string& trust_anchors_pem);

// When a document whose last document time-stamp is `stamp` is renewed next: renew_before_ms
// before the first of its TSA certificate's expiry and the policy's algorithm_expiry date of
// each algorithm it rests on (the imprint's digest, the certificate's signature digest, an RSA
// key's size), but never sooner than `earliest_ms` (a TSA whose certificate or algorithms expire
// within the margin gets no renewal per poll). 0 without renewal.
int64_t RenewalTime(const SigningPolicy& policy, const ArchiveStamp& stamp, int64_t earliest_ms);

struct LevelKeeperOptions {
  std::string trust_anchors_pem;  // what the verifier trusts (WorkflowConfig's)
  const Env* env = nullptr;       // the clock; Env::Default() when null
  int64_t retry_min_ms = 30'000;  // after the first failure; doubled after each, up to the max
  int64_t retry_max_ms = 3'600'000;
  int64_t poll_ms = 10'000;  // how often Start's loop looks for due work
  // How long a claim keeps others off a document (taichod.toml signing.upgrade_claim_seconds,
  // which must outlast one attempt's TSA and responder time-outs).
  int64_t claim_ms = 10 * 60'000;
  int64_t renewal_floor_ms = 86'400'000;  // the soonest a renewal is scheduled after another
  std::string owner;                      // this instance, in claims (host:pid)
  // Told the number of pending upgrades after every pass (taichod's gauge); may be empty.
  std::function<void(int64_t)> on_pending;
  // One line per upgrade, renewal or failed attempt (English; taichod's log); may be empty.
  std::function<void(bool failure, std::string_view line)> log;
  // The server keys (not owned; null: none), for Backfill: a document sealed with a server key
  // gets that key's level (SigningPolicy::SealLevel), one sealed by no server key the policy's
  // seal_level. A key's certificate is read from its token when it is activated, so a seal by no
  // activated key may still be a key's not activated yet: when such a key has a level of its
  // own the document waits, without a record, until its seal's key is known (each pass asks
  // again).
  const keyring::KeyRing* keys = nullptr;
};

class LevelKeeper {
 public:
  LevelKeeper(store::Store& store, const SigningPolicy& policy, LevelKeeperOptions options);
  ~LevelKeeper();
  LevelKeeper(const LevelKeeper&) = delete;
  LevelKeeper& operator=(const LevelKeeper&) = delete;

  // Claims one record with work due and does it (an upgrade, or a renewal). True when there was
  // one (done or failed and rescheduled), false when nothing was due. Errors are the store's.
  absl::StatusOr<bool> RunOnce();
  // Works until nothing is due, then tells on_pending the count.
  absl::Status RunDue();
  // Gives each sealed or issued document without a level record (sealed before the store kept
  // levels) one, from what the verifier finds in its latest revision, offline: below its seal's
  // level (its key's, see key_of_signer, else the policy's seal_level) it is pending an upgrade, at
  // B-LTA its renewal is due at once (the file's last document time-stamp is not dated here).
  // Idempotent: a document is listed only while it has no record, and a file the verifier cannot
  // read gets one saying so. A document whose seal's key is not known yet (key_of_signer) waits
  // without a record; RunDue gives it one once its key is known. Returns how many it gave. Start
  // runs it once before the first pass.
  absl::StatusOr<int> Backfill();

  // A thread calling RunDue every poll_ms (and at once).
  void Start();
  void Stop();

 private:
  int64_t Now() const;
  // Upgrade or renew the latest revision of `record`'s document; the new record on success.
  absl::Status Work(store::LevelRecord record, int64_t now);
  absl::Status Failed(store::LevelRecord record, int64_t now, const absl::Status& why);
  // The level a seal by `signer` (RFC 2253) was made for; nullopt while that depends on a key not
  // activated yet (see LevelKeeperOptions::keys).
  std::optional<PadesLevel> SealTargetOf(const std::string& signer) const;
  // Gives `id` its record: true, or false when its seal's key is not known yet (kept in waiting_).
  absl::StatusOr<bool> BackfillOne(const std::string& id, int64_t now);
  // Backfills the waiting documents whose seal's key has become known (activated meanwhile).
  absl::Status BackfillWaiting();
  void Log(bool failure, std::string_view line) const;

  store::Store& store_;
  const SigningPolicy& policy_;
  const LevelKeeperOptions options_;
  std::mutex mu_;  // guards stop_
  std::condition_variable wake_;
  bool stop_ = false;
  std::mutex waiting_mu_;  // guards waiting_
  // Documents without a record whose seal's key is not known yet: id → the seal's signer.
  std::map<std::string, std::string> waiting_;
  std::thread thread_;
};

}  // namespace taicho::workflow
