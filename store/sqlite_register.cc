#include "store/sqlite_register.h"

#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "store/schema.h"

namespace taicho::store {

namespace {

constexpr char kColumns[] =
    "agency, year, number, state, document_id, session_id, issue_date, kind, symbol, summary, "
    "signer, sealer, dossier_code, void_reason, allocate_time, issue_time";

RegisterEntry ReadEntry(const SqliteStatement& s) {
  RegisterEntry e;
  e.agency = s.Text(0);
  e.year = static_cast<int>(s.Int(1));
  e.number = static_cast<int>(s.Int(2));
  e.state = static_cast<RegisterState>(s.Int(3));
  e.document_id = s.Text(4);
  e.session_id = s.Text(5);
  e.issue_date = s.Text(6);
  e.kind = s.Text(7);
  e.symbol = s.Text(8);
  e.summary = s.Text(9);
  e.signer = s.Text(10);
  e.sealer = s.Text(11);
  e.dossier_code = s.Text(12);
  e.void_reason = s.Text(13);
  e.allocate_time_ms = s.Int(14);
  e.issue_time_ms = s.Int(15);
  e.withdraw_reason = s.Text(16);
  e.withdraw_time_ms = s.Int(17);
  return e;
}

}  // namespace

absl::StatusOr<RegisterEntry> InsertNextNumber(SqliteDb& db, const RegisterEntry& entry) {
  // An earlier attempt for this document that never completed leaves its number as a gap.
  auto supersede = db.Prepare(
      "UPDATE register SET state = 3, void_reason = ?2 WHERE document_id = ?1 AND state = 1");
  if (!supersede.ok()) return supersede.status();
  absl::Status st = supersede->Bind(1, entry.document_id)
                        .Bind(2,
                              "superseded: the seal was prepared again / đã chuẩn bị đóng "
                              "dấu lại, số cũ bỏ trống")
                        .Run();
  if (!st.ok()) return st;
  // Voided numbers stay in the table, so MAX never hands one out again.
  auto max =
      db.Prepare("SELECT COALESCE(MAX(number), 0) FROM register WHERE agency = ?1 AND year = ?2");
  if (!max.ok()) return max.status();
  max->Bind(1, entry.agency).Bind(2, static_cast<int64_t>(entry.year));
  absl::StatusOr<bool> row = max->Step();
  if (!row.ok()) return row.status();
  RegisterEntry out = entry;
  out.number = static_cast<int>(max->Int(0)) + 1;
  out.state = RegisterState::kAllocated;
  auto insert = db.Prepare(absl::StrCat("INSERT INTO register (", kColumns,
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                        "?12, ?13, ?14, ?15, ?16)"));
  if (!insert.ok()) return insert.status();
  st = insert->Bind(1, out.agency)
           .Bind(2, static_cast<int64_t>(out.year))
           .Bind(3, static_cast<int64_t>(out.number))
           .Bind(4, static_cast<int64_t>(out.state))
           .Bind(5, out.document_id)
           .Bind(6, out.session_id)
           .Bind(7, out.issue_date)
           .Bind(8, out.kind)
           .Bind(9, out.symbol)
           .Bind(10, out.summary)
           .Bind(11, out.signer)
           .Bind(12, out.sealer)
           .Bind(13, out.dossier_code)
           .Bind(14, "")
           .Bind(15, out.allocate_time_ms)
           .Bind(16, int64_t{0})
           .Run();
  if (!st.ok()) return st;
  return out;
}

absl::Status VoidAllocated(SqliteDb& db, const std::string& agency, int year, int number,
                           const std::string& reason) {
  auto update = db.Prepare(
      "UPDATE register SET state = 3, void_reason = ?4 "
      "WHERE agency = ?1 AND year = ?2 AND number = ?3 AND state = 1");
  if (!update.ok()) return update.status();
  absl::Status st = update->Bind(1, agency)
                        .Bind(2, static_cast<int64_t>(year))
                        .Bind(3, static_cast<int64_t>(number))
                        .Bind(4, reason)
                        .Run();
  if (!st.ok()) return st;
  if (db.Changes() != 1) {
    return Error(ErrorCode::kUsage,
                 absl::StrCat("no allocated number ", number, "/", year, " for ", agency));
  }
  return absl::OkStatus();
}

absl::Status MarkIssued(SqliteDb& db, const std::string& session_id, int64_t time_ms) {
  // A session given no number (the document's data carries its own) has no row; a row, once
  // written, is never deleted, so "no row" cannot hide a number voided meanwhile.
  int64_t number = 0;
  int64_t year = 0;
  {
    auto find =
        db.Prepare("SELECT number, year, state, void_reason FROM register WHERE session_id = ?1");
    if (!find.ok()) return find.status();
    find->Bind(1, session_id);
    absl::StatusOr<bool> row = find->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    number = find->Int(0);
    year = find->Int(1);
    if (static_cast<RegisterState>(find->Int(2)) != RegisterState::kAllocated) {
      return Error(ErrorCode::kSessionSuperseded,
                   absl::StrCat("its number ", number, "/", year,
                                " is no longer allocated to it: ", find->Text(3)));
    }
  }  // the lookup's statement is reset before the update
  auto update = db.Prepare(
      "UPDATE register SET state = 2, issue_time = ?2 WHERE session_id = ?1 AND state = 1");
  if (!update.ok()) return update.status();
  absl::Status st = update->Bind(1, session_id).Bind(2, time_ms).Run();
  if (!st.ok()) return st;
  if (db.Changes() != 1) {
    return Error(ErrorCode::kInternal, absl::StrCat("register: issuing ", number, "/", year,
                                                    " changed ", db.Changes(), " rows"));
  }
  return absl::OkStatus();
}

absl::Status MarkWithdrawn(SqliteDb& db, const std::string& document_id, const std::string& reason,
                           int64_t time_ms) {
  auto update = db.Prepare(
      "UPDATE register SET state = 4, withdraw_reason = ?2, withdraw_time = ?3 "
      "WHERE document_id = ?1 AND state = 2");
  if (!update.ok()) return update.status();
  return update->Bind(1, document_id).Bind(2, reason).Bind(3, time_ms).Run();
}

absl::StatusOr<std::vector<RegisterEntry>> SelectRegister(SqliteDb& db,
                                                          const RegisterFilter& filter) {
  auto select = db.Prepare(
      absl::StrCat("SELECT ", kRegisterColumns,
                   " FROM register WHERE (?1 = '' OR agency = ?1) AND (?2 = 0 OR year = ?2) "
                   "AND (?3 = 0 OR state = ?3) ORDER BY agency, year, number LIMIT ?5 OFFSET ?4"));
  if (!select.ok()) return select.status();
  select->Bind(1, filter.agency)
      .Bind(2, static_cast<int64_t>(filter.year.value_or(0)))
      .Bind(3, static_cast<int64_t>(filter.state ? static_cast<int>(*filter.state) : 0))
      .Bind(4, static_cast<int64_t>(filter.offset))
      .Bind(5, static_cast<int64_t>(filter.limit));
  std::vector<RegisterEntry> out;
  while (true) {
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadEntry(*select));
  }
  return out;
}

}  // namespace taicho::store
