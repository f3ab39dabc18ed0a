#include "workflow/level_keeper.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "errors/error.h"
#include "pades/baseline_level.h"
#include "pades/ltv.h"
#include "pades/pdf_verifier.h"
#include "signer/openssl_ptr.h"
#include "vntime/vntime.h"
#include "workflow/lifecycle.h"

namespace taicho::workflow {
namespace {

// The actor the worker's history events name.
constexpr char kWorker[] = "taichod (level keeper)";

// A work file removed when the scope ends, unless the store adopted it already.
class WorkFile {
 public:
  explicit WorkFile(std::string path) : path_(std::move(path)) {}
  WorkFile(const WorkFile&) = delete;
  WorkFile& operator=(const WorkFile&) = delete;
  ~WorkFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

absl::StatusOr<int64_t> NotAfterMs(const Bytes& der) {
  signer::ossl::X509Ptr cert = signer::ossl::ParseCertificate(der);
  if (!cert) return Error(ErrorCode::kCertificateInvalid, "the document time-stamp's TSA");
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    return Error(ErrorCode::kCertificateInvalid, "the TSA certificate's notAfter");
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

absl::StatusOr<FileLevels> LevelsOfFile(const std::string& path,
                                        const std::string& trust_anchors_pem) {
  absl::StatusOr<pades::VerificationReport> report = pades::VerifyPdf(path, trust_anchors_pem);
  if (!report.ok()) return report.status();
  FileLevels out;
  std::optional<PadesLevel> level = ParseLevel(pades::DocumentLevel(*report));
  if (!level) return Error(ErrorCode::kInternal, "no signature to give a level to");
  out.level = *level;
  out.all_passed = report->all_passed();
  for (const pades::SignatureReport& sig : report->signatures) {
    if (sig.indication == "TOTAL-PASSED") continue;
    absl::StrAppend(&out.failures, out.failures.empty() ? "" : "; ", sig.field_name, ": ",
                    sig.indication, " ", sig.sub_indication);
  }
  for (const std::string& problem : report->problems) {
    absl::StrAppend(&out.failures, out.failures.empty() ? "" : "; ", problem);
  }
  for (size_t i = 0; i < report->signatures.size(); ++i) {
    const std::string one = pades::SignatureLevel(*report, i);
    if (one.empty()) continue;
    absl::StrAppend(&out.signature_levels, out.signature_levels.empty() ? "" : ";",
                    report->signatures[i].field_name, "=", one);
  }
  return out;
}

int64_t RenewalTime(const SigningPolicy& policy, const ArchiveStamp& stamp, int64_t earliest_ms) {
  if (policy.renew_before_ms <= 0 || stamp.tsa_certificate_der.empty()) return 0;
  absl::StatusOr<int64_t> not_after = NotAfterMs(stamp.tsa_certificate_der);
  // A certificate that does not parse cannot be dated: renew as soon as allowed.
  if (!not_after.ok()) return earliest_ms;
  int64_t expires = *not_after;
  signer::ossl::X509Ptr cert = signer::ossl::ParseCertificate(stamp.tsa_certificate_der);
  // The algorithms the time-stamp rests on, as the policy's list names them.
  std::vector<std::string> digests;
  digests.push_back(
      absl::AsciiStrToLower(absl::StrReplaceAll(stamp.digest_algorithm, {{"-", ""}})));
  int md_nid = NID_undef;
  if (X509_get_signature_info(cert.get(), &md_nid, nullptr, nullptr, nullptr) == 1 &&
      md_nid != NID_undef) {
    digests.push_back(absl::AsciiStrToLower(OBJ_nid2sn(md_nid)));
  }
  int rsa_bits = 0;
  if (EVP_PKEY* key = X509_get0_pubkey(cert.get());
      key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    rsa_bits = EVP_PKEY_get_bits(key);
  }
  for (const AlgorithmExpiry& e : policy.algorithm_expiry) {
    const bool used = e.rsa_below_bits > 0
                          ? rsa_bits > 0 && rsa_bits < e.rsa_below_bits
                          : std::find(digests.begin(), digests.end(), e.digest) != digests.end();
    if (used) expires = std::min(expires, e.at_ms);
  }
  return std::max(expires - policy.renew_before_ms, earliest_ms);
}

LevelKeeper::LevelKeeper(store::Store& store, const SigningPolicy& policy,
                         LevelKeeperOptions options)
    : store_(store), policy_(policy), options_(std::move(options)) {}

LevelKeeper::~LevelKeeper() { Stop(); }

int64_t LevelKeeper::Now() const {
  return (options_.env != nullptr ? *options_.env : Env::Default()).NowUnixMillis();
}

void LevelKeeper::Log(bool failure, std::string_view line) const {
  if (options_.log) options_.log(failure, line);
}

absl::StatusOr<bool> LevelKeeper::RunOnce() {
  const int64_t now = Now();
  absl::StatusOr<std::optional<store::LevelRecord>> claimed =
      store_.ClaimDueLevel(now, options_.owner, now + options_.claim_ms);
  if (!claimed.ok()) return claimed.status();
  if (!claimed->has_value()) return false;
  store::LevelRecord record = **std::move(claimed);
  absl::Status st = Work(record, now);
  if (!st.ok()) {
    absl::Status recorded = Failed(std::move(record), now, st);
    if (!recorded.ok()) return recorded;
  }
  return true;
}

absl::Status LevelKeeper::RunDue() {
  // First the documents whose seal's key was activated since (their upgrade then runs below).
  if (absl::Status st = BackfillWaiting(); !st.ok()) return st;
  for (;;) {
    absl::StatusOr<bool> worked = RunOnce();
    if (!worked.ok()) return worked.status();
    if (!*worked) break;
  }
  if (options_.on_pending) {
    absl::StatusOr<int64_t> pending = store_.CountPendingUpgrades();
    if (!pending.ok()) return pending.status();
    options_.on_pending(*pending);
  }
  return absl::OkStatus();
}

absl::Status LevelKeeper::Failed(store::LevelRecord record, int64_t now, const absl::Status& why) {
  record.attempts += 1;
  // 1, 2, 4 … times the first wait, up to the cap.
  int64_t wait = options_.retry_min_ms;
  for (int i = 1; i < record.attempts && wait < options_.retry_max_ms; ++i) wait *= 2;
  wait = std::min(wait, options_.retry_max_ms);
  record.problem = std::string(why.message());
  if (record.upgrade_pending) {
    record.next_attempt_ms = now + wait;
  } else {
    record.renew_at_ms = now + wait;
  }
  record.update_time_ms = now;
  Log(true,
      absl::StrCat(record.upgrade_pending ? "level upgrade" : "archive renewal", " of documents/",
                   record.document_id, " failed (attempt ", record.attempts, "), next try at ",
                   vntime::IsoUtc((now + wait) / 1000), ": ", why.message()));
  return store_.PutLevel(record);
}

absl::Status LevelKeeper::Work(store::LevelRecord record, int64_t now) {
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(record.document_id);
  if (!doc.ok()) return doc.status();
  const bool upgrade = record.upgrade_pending;
  if (doc->latest_revision < record.revision) {
    // A record whose revision was never stored: only a store from before the record was written
    // in the revision's own transaction can hold one (its seal failed after the record; the
    // number is a gap). Nothing to keep.
    record.upgrade_pending = false;
    record.renew_at_ms = 0;
    record.level.clear();
    record.problem = "the seal was not recorded";
    record.update_time_ms = now;
    return store_.PutLevel(record);
  }
  if (doc->state == store::DocumentState::kApproved && upgrade) {
    // The officer's signature, completed below the policy during an outage. No revision is added
    // before the seal: it would void a seal being prepared on this revision (and a number
    // allocated for it). The seal's own time-stamps and DSS raise it, and the seal's record,
    // written with the seal's revision, replaces this one (PutLevel keeps the later revision's).
    record.next_attempt_ms = now + options_.retry_max_ms;
    record.problem =
        "the officer's signature has no time-stamp yet: the seal's time-stamps will cover it";
    record.update_time_ms = now;
    return store_.PutLevel(record);
  }
  if (doc->state != store::DocumentState::kSealed && doc->state != store::DocumentState::kIssued) {
    // Withdrawn: its file is no longer the agency's word; it is kept as it is.
    record.upgrade_pending = false;
    record.renew_at_ms = 0;
    record.problem =
        absl::StrCat("not upgraded or renewed: the document is ", StateName(doc->state));
    record.update_time_ms = now;
    Log(false, absl::StrCat("documents/", doc->id, ": ", record.problem));
    return store_.PutLevel(record);
  }
  std::optional<PadesLevel> level = ParseLevel(record.level);
  std::optional<PadesLevel> target = ParseLevel(record.target_level);
  if (!level || !target) {
    return Error(ErrorCode::kInternal, "a level record with an unknown level");
  }
  absl::StatusOr<std::vector<store::RevisionRecord>> revisions = store_.ListRevisions(doc->id);
  if (!revisions.ok()) return revisions.status();
  const store::RevisionRecord* latest = nullptr;
  for (const store::RevisionRecord& r : *revisions) {
    if (r.number == doc->latest_revision) latest = &r;
  }
  if (latest == nullptr) return Error(ErrorCode::kInternal, "no latest revision");
  absl::StatusOr<std::string> path = store_.BlobPath(latest->sha256);
  if (!path.ok()) return path.status();

  // The services are asked here, without the store's locks: a slow TSA holds only this claim.
  WorkFile stamped(store_.NewScratchPath(".pdf"));
  WorkFile output(store_.NewScratchPath(".pdf"));
  ArchiveStamp last_tsa;
  if (upgrade) {
    if (policy_.tsa == nullptr) return Error(ErrorCode::kInternal, "no TSA configured");
    std::string input = *path;
    // A seal without its signature time-stamp gets a document time-stamp over it first (B-T,
    // EN 319 142-1 §6.3); the validation data and the archive time-stamp follow.
    if (*level == PadesLevel::kBB && *target >= PadesLevel::kBT) {
      absl::StatusOr<pades::DocTimeStampResult> ts =
          pades::AddDocumentTimeStamp(input, stamped.path(), *policy_.tsa);
      if (!ts.ok()) return ts.status();
      input = stamped.path();
      last_tsa = {std::move(ts->tsa_certificate_der), std::move(ts->digest_algorithm)};
    }
    absl::StatusOr<RaisedFile> raised =
        RaiseLevel(policy_, *target, input, output.path(), options_.env);
    if (!raised.ok()) return raised.status();
    if (raised->written) {
      last_tsa = std::move(raised->doc_timestamp);
    } else if (input != *path) {
      if (std::rename(input.c_str(), output.path().c_str()) != 0) {
        return Error(ErrorCode::kIo, "cannot move the time-stamped file");
      }
    } else {
      return Error(ErrorCode::kInternal, "nothing to upgrade");
    }
  } else {
    if (policy_.tsa == nullptr || policy_.revocation == nullptr) {
      return Error(ErrorCode::kInternal, "renewal needs a TSA and a revocation client");
    }
    pades::LtvOptions ltv;
    ltv.revocation = policy_.revocation.get();
    ltv.certificates = policy_.revocation->certificates();
    ltv.extra_certs = policy_.roots;
    ltv.fail_when_unavailable = true;
    ltv.env = options_.env;
    absl::StatusOr<pades::ExtendResult> extended =
        pades::AddValidationDataAndDocumentTimeStamp(*path, output.path(), ltv, *policy_.tsa);
    if (!extended.ok()) return extended.status();
    last_tsa = {std::move(extended->timestamp.tsa_certificate_der),
                std::move(extended->timestamp.digest_algorithm)};
  }

  // Recorded only at the level it was brought to, as the verifier finds it from the file alone.
  absl::StatusOr<FileLevels> levels = LevelsOfFile(output.path(), options_.trust_anchors_pem);
  if (!levels.ok()) return levels.status();
  // A level is no use on a file that does not verify (a seal key found revoked when its status
  // was fetched for the DSS, after an outage at the seal): it stays pending and says why.
  if (!levels->all_passed) {
    return Error(ErrorCode::kInternal,
                 absl::StrCat("the upgraded file does not verify offline: ", levels->failures));
  }
  if (levels->level < *target) {
    return Error(ErrorCode::kInternal,
                 absl::StrCat("the upgraded file verifies at PAdES ", LevelName(levels->level),
                              ", not ", record.target_level, " (", levels->signature_levels, ")"));
  }
  absl::StatusOr<int64_t> size = [&]() -> absl::StatusOr<int64_t> {
    struct stat info {};
    if (stat(output.path().c_str(), &info) != 0) return Error(ErrorCode::kIo, "stat");
    return static_cast<int64_t>(info.st_size);
  }();
  if (!size.ok()) return size.status();
  absl::StatusOr<std::string> sha = store_.PutBlob(output.path());
  if (!sha.ok()) return sha.status();

  const std::string from = record.level;
  store::LevelRecord done = record;
  done.revision = doc->latest_revision + 1;
  done.level = LevelName(levels->level);
  done.signature_levels = levels->signature_levels;
  done.upgrade_pending = false;
  done.next_attempt_ms = 0;
  done.attempts = 0;
  done.problem.clear();
  done.renew_at_ms = levels->level == PadesLevel::kBLTA
                         ? RenewalTime(policy_, last_tsa, now + options_.renewal_floor_ms)
                         : 0;
  done.update_time_ms = now;
  const store::RevisionRecord revision{
      doc->id,
      done.revision,
      upgrade ? store::RevisionPurpose::kLevelUpgrade : store::RevisionPurpose::kArchiveRenewal,
      *sha,
      *size,
      "",
      now};
  const std::string detail = upgrade ? absl::StrCat("PAdES ", from, " → ", done.level)
                                     : absl::StrCat("PAdES ", done.level,
                                                    ": fresh validation data and document "
                                                    "time-stamp");
  const store::HistoryEvent event{
      doc->id, now, kWorker, upgrade ? "level_upgraded" : "archive_renewed", detail, done.revision};
  absl::StatusOr<store::DocumentRecord> added = store_.AddLevelRevision(
      revision, {store::DocumentState::kSealed, store::DocumentState::kIssued}, done, event);
  if (!added.ok()) return added.status();
  Log(false, absl::StrCat(upgrade ? "level upgrade" : "archive renewal", " of documents/", doc->id,
                          ": ", detail, " (revision ", done.revision, ", after ", record.attempts,
                          " failed attempts)"));
  return absl::OkStatus();
}

absl::StatusOr<int> LevelKeeper::Backfill() {
  int given = 0;
  for (;;) {
    // The waiting documents are still listed (they have no record): ask for that many more, and
    // stop when a batch holds nothing else.
    size_t waiting = 0;
    {
      std::lock_guard lock(waiting_mu_);
      waiting = waiting_.size();
    }
    absl::StatusOr<std::vector<std::string>> ids =
        store_.ListDocumentsWithoutLevel(static_cast<int>(waiting) + 100);
    if (!ids.ok()) return ids.status();
    bool new_ones = false;
    for (const std::string& id : *ids) {
      {
        std::lock_guard lock(waiting_mu_);
        if (waiting_.contains(id)) continue;
      }
      new_ones = true;
      {
        std::lock_guard lock(mu_);
        if (stop_) return given;  // the rest at the next start
      }
      absl::StatusOr<bool> gave = BackfillOne(id, Now());
      if (!gave.ok()) return gave.status();
      given += *gave ? 1 : 0;
    }
    if (!new_ones) return given;
  }
}

absl::Status LevelKeeper::BackfillWaiting() {
  std::map<std::string, std::string> waiting;
  {
    std::lock_guard lock(waiting_mu_);
    waiting = waiting_;
  }
  for (const auto& [id, signer] : waiting) {
    if (!SealTargetOf(signer).has_value()) continue;
    {
      std::lock_guard lock(waiting_mu_);
      waiting_.erase(id);
    }
    if (absl::StatusOr<bool> gave = BackfillOne(id, Now()); !gave.ok()) return gave.status();
  }
  return absl::OkStatus();
}

std::optional<PadesLevel> LevelKeeper::SealTargetOf(const std::string& signer) const {
  if (options_.keys == nullptr || signer.empty()) return policy_.seal_level;
  bool undecided = false;
  for (const keyring::KeyStatus& key : options_.keys->List()) {
    if (key.activated && key.signer == signer) return policy_.SealLevel(key.name);
    undecided = undecided || (!key.activated && policy_.SealLevel(key.name) != policy_.seal_level);
  }
  if (undecided) return std::nullopt;
  return policy_.seal_level;
}

absl::StatusOr<bool> LevelKeeper::BackfillOne(const std::string& id, int64_t now) {
  absl::StatusOr<store::DocumentRecord> doc = store_.GetDocument(id);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<std::vector<store::RevisionRecord>> revisions = store_.ListRevisions(id);
  if (!revisions.ok()) return revisions.status();
  std::string sha, seal_signer;
  for (const store::RevisionRecord& r : *revisions) {
    if (r.number == doc->latest_revision) sha = r.sha256;
    if (r.purpose == store::RevisionPurpose::kSeal) seal_signer = r.signer;
  }
  // The level its seal was made for: a server key may have its own (keys.NAME.level). A seal by
  // no activated key may be a key's not activated yet: guessing seal_level would fix the wrong
  // target for good, so the document waits.
  const std::optional<PadesLevel> target = SealTargetOf(seal_signer);
  if (!target.has_value()) {
    bool first = false;
    {
      std::lock_guard lock(waiting_mu_);
      first = waiting_.emplace(id, seal_signer).second;
    }
    if (first) {
      Log(false, absl::StrCat("level backfill of documents/", id,
                              " waits: its seal's certificate (", seal_signer,
                              ") is no activated server key's, and a key not activated has a "
                              "level of its own"));
    }
    return false;
  }
  store::LevelRecord record;
  record.document_id = id;
  record.revision = doc->latest_revision;
  record.target_level = LevelName(*target);
  record.update_time_ms = now;
  absl::StatusOr<std::string> path =
      sha.empty() ? absl::StatusOr<std::string>(Error(ErrorCode::kInternal, "no latest revision"))
                  : store_.BlobPath(sha);
  absl::StatusOr<FileLevels> levels = path.ok() ? LevelsOfFile(*path, options_.trust_anchors_pem)
                                                : absl::StatusOr<FileLevels>(path.status());
  if (!levels.ok()) {
    // Recorded all the same (level unknown, nothing owed), so it is not read again at every
    // start; the reason stays in the record.
    record.problem =
        absl::StrCat("the verifier could not read the file: ", levels.status().message());
    Log(true, absl::StrCat("level backfill of documents/", id, ": ", record.problem));
    if (absl::Status st = store_.PutLevel(record); !st.ok()) return st;
    return true;
  }
  record.level = LevelName(levels->level);
  record.signature_levels = levels->signature_levels;
  record.upgrade_pending = levels->level < *target;
  record.next_attempt_ms = record.upgrade_pending ? now : 0;
  if (!levels->all_passed) {
    record.problem = absl::StrCat("the file does not verify offline: ", levels->failures);
  }
  // Its last document time-stamp is not dated here: renewed at once, which dates the next one.
  record.renew_at_ms = levels->level == PadesLevel::kBLTA && policy_.renew_before_ms > 0 ? now : 0;
  Log(false, absl::StrCat("level backfill of documents/", id, " (revision ", record.revision,
                          "): PAdES ", record.level,
                          record.upgrade_pending
                              ? absl::StrCat(", upgrade to ", record.target_level, " pending")
                              : std::string()));
  if (absl::Status st = store_.PutLevel(record); !st.ok()) return st;
  return true;
}

void LevelKeeper::Start() {
  thread_ = std::thread([this] {
    // Documents sealed before levels were kept, once per start (idempotent), before the first
    // pass so their upgrades and renewals are in it.
    absl::StatusOr<int> given = Backfill();
    if (!given.ok()) Log(true, absl::StrCat("level backfill: ", given.status().message()));
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      absl::Status st = RunDue();
      if (!st.ok()) Log(true, absl::StrCat("level keeper: ", st.message()));
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stop_; });
    }
  });
}

void LevelKeeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace taicho::workflow
