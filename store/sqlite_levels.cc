#include "store/sqlite_levels.h"

#include "absl/strings/str_cat.h"
#include "errors/error.h"

namespace taicho::store {

namespace {

constexpr char kColumns[] =
    "document_id, revision, level, target_level, signature_levels, upgrade_pending, "
    "next_attempt, attempts, problem, renew_at, update_time";

LevelRecord ReadLevel(const SqliteStatement& s) {
  LevelRecord r;
  r.document_id = s.Text(0);
  r.revision = static_cast<int>(s.Int(1));
  r.level = s.Text(2);
  r.target_level = s.Text(3);
  r.signature_levels = s.Text(4);
  r.upgrade_pending = s.Int(5) != 0;
  r.next_attempt_ms = s.Int(6);
  r.attempts = static_cast<int>(s.Int(7));
  r.problem = s.Text(8);
  r.renew_at_ms = s.Int(9);
  r.update_time_ms = s.Int(10);
  return r;
}

absl::StatusOr<std::vector<LevelRecord>> ReadAll(SqliteStatement& s) {
  std::vector<LevelRecord> out;
  for (;;) {
    absl::StatusOr<bool> row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadLevel(s));
  }
}

}  // namespace

absl::Status UpsertLevel(SqliteDb& db, const LevelRecord& r) {
  // A record of an earlier revision than the stored one changes nothing (see PutLevel).
  auto s = db.Prepare(absl::StrCat(
      "INSERT INTO levels (", kColumns,
      ", claim_owner, claim_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '', 0) "
      "ON CONFLICT (document_id) DO UPDATE SET revision = excluded.revision, level = "
      "excluded.level, target_level = excluded.target_level, signature_levels = "
      "excluded.signature_levels, upgrade_pending = excluded.upgrade_pending, next_attempt = "
      "excluded.next_attempt, attempts = excluded.attempts, problem = excluded.problem, renew_at "
      "= excluded.renew_at, update_time = excluded.update_time, claim_owner = '', claim_until = 0 "
      "WHERE excluded.revision >= levels.revision"));
  if (!s.ok()) return s.status();
  return s->Bind(1, r.document_id)
      .Bind(2, static_cast<int64_t>(r.revision))
      .Bind(3, r.level)
      .Bind(4, r.target_level)
      .Bind(5, r.signature_levels)
      .Bind(6, static_cast<int64_t>(r.upgrade_pending ? 1 : 0))
      .Bind(7, r.next_attempt_ms)
      .Bind(8, static_cast<int64_t>(r.attempts))
      .Bind(9, r.problem)
      .Bind(10, r.renew_at_ms)
      .Bind(11, r.update_time_ms)
      .Run();
}

absl::StatusOr<std::optional<LevelRecord>> SelectLevel(SqliteDb& db, const std::string& id) {
  auto s = db.Prepare(absl::StrCat("SELECT ", kColumns, " FROM levels WHERE document_id = ?1"));
  if (!s.ok()) return s.status();
  s->Bind(1, id);
  absl::StatusOr<std::vector<LevelRecord>> rows = ReadAll(*s);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<LevelRecord>();
  return std::optional<LevelRecord>(std::move(rows->front()));
}

absl::StatusOr<std::optional<LevelRecord>> ClaimLevel(SqliteDb& db, int64_t now_ms,
                                                      const std::string& owner,
                                                      int64_t claim_until_ms) {
  auto s = db.Prepare(absl::StrCat(
      "SELECT ", kColumns,
      " FROM levels WHERE claim_until <= ?1 AND ((upgrade_pending = 1 AND next_attempt <= ?1) "
      "OR (renew_at > 0 AND renew_at <= ?1)) "
      "ORDER BY upgrade_pending DESC, next_attempt, renew_at LIMIT 1"));
  if (!s.ok()) return s.status();
  s->Bind(1, now_ms);
  absl::StatusOr<std::vector<LevelRecord>> rows = ReadAll(*s);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<LevelRecord>();
  auto claim =
      db.Prepare("UPDATE levels SET claim_owner = ?2, claim_until = ?3 WHERE document_id = ?1");
  if (!claim.ok()) return claim.status();
  absl::Status st =
      claim->Bind(1, rows->front().document_id).Bind(2, owner).Bind(3, claim_until_ms).Run();
  if (!st.ok()) return st;
  return std::optional<LevelRecord>(std::move(rows->front()));
}

absl::StatusOr<std::vector<LevelRecord>> SelectLevels(SqliteDb& db, const LevelFilter& filter) {
  auto s = db.Prepare(absl::StrCat(
      "SELECT ", kColumns,
      " FROM levels WHERE level <> '' AND (?1 = '' OR level = ?1) AND (?2 = 0 OR upgrade_pending = "
      "1) ORDER BY upgrade_pending DESC, CASE WHEN upgrade_pending = 1 THEN next_attempt ELSE 0 "
      "END, CASE WHEN renew_at = 0 THEN 1 ELSE 0 END, renew_at, document_id LIMIT ?3"));
  if (!s.ok()) return s.status();
  s->Bind(1, filter.level)
      .Bind(2, static_cast<int64_t>(filter.pending_only ? 1 : 0))
      .Bind(3, static_cast<int64_t>(filter.limit));
  return ReadAll(*s);
}

absl::StatusOr<int64_t> CountPending(SqliteDb& db) {
  auto s = db.Prepare("SELECT COUNT(*) FROM levels WHERE upgrade_pending = 1");
  if (!s.ok()) return s.status();
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return row.status();
  return *row ? s->Int(0) : 0;
}

absl::StatusOr<std::vector<std::string>> SelectDocumentsWithoutLevel(SqliteDb& db, int limit) {
  auto s = db.Prepare(
      "SELECT d.id FROM documents d WHERE d.state IN (?1, ?2) AND NOT EXISTS (SELECT 1 FROM "
      "levels l WHERE l.document_id = d.id) ORDER BY d.create_time, d.id LIMIT ?3");
  if (!s.ok()) return s.status();
  s->Bind(1, static_cast<int64_t>(DocumentState::kSealed))
      .Bind(2, static_cast<int64_t>(DocumentState::kIssued))
      .Bind(3, static_cast<int64_t>(limit));
  std::vector<std::string> out;
  for (;;) {
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(s->Text(0));
  }
}

absl::Status CheckOnlyLevelRevisionsAfter(SqliteDb& db, const std::string& id, int number) {
  auto s = db.Prepare(
      "SELECT COUNT(*), COALESCE(MAX(number), 0) FROM revisions WHERE document_id = ?1 AND "
      "number > ?2 AND purpose NOT IN (?3, ?4)");
  if (!s.ok()) return s.status();
  s->Bind(1, id)
      .Bind(2, static_cast<int64_t>(number))
      .Bind(3, static_cast<int64_t>(RevisionPurpose::kLevelUpgrade))
      .Bind(4, static_cast<int64_t>(RevisionPurpose::kArchiveRenewal));
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return row.status();
  if (*row && s->Int(0) > 0) {
    return Error(ErrorCode::kTransitionInvalid,
                 absl::StrCat("revision ", number, " is not the latest (", s->Int(1), ")"));
  }
  return absl::OkStatus();
}

}  // namespace taicho::store
