#include "store/pg_store.h"

#include <openssl/evp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "errors/error.h"
#include "store/blob_files.h"
#include "store/local_dir.h"
#include "store/pg_schema.h"
#include "store/schema.h"

namespace taicho::store {
namespace {

// Advisory lock key (one database-wide namespace with kPgSchemaLock: an arbitrary constant).
constexpr int64_t kPrintJobsLock = 0x7461696368'02;  // giving print jobs their sequence
// NOTIFY channel of print jobs: this prefix and the schema the store lives in (stores in two
// schemas of one database do not wake each other).
constexpr char kJobsChannel[] = "taicho_print_jobs.";

constexpr int kMaxConnections = 16;
constexpr int kMaxAttempts = 5;

std::string Text(const pqxx::field& f) { return f.is_null() ? std::string() : f.c_str(); }
int64_t Int(const pqxx::field& f) { return f.is_null() ? 0 : f.as<int64_t>(); }

DocumentRecord ReadDocument(const pqxx::row& r) {
  DocumentRecord d;
  d.id = Text(r[0]);
  d.kind = Text(r[1]);
  d.dossier_code = Text(r[2]);
  d.request_id = Text(r[3]);
  d.request_hash = Text(r[4]);
  d.procedure = Text(r[5]);
  d.desk = Text(r[6]);
  d.title = Text(r[7]);
  d.data_json = Text(r[8]);
  d.state = static_cast<DocumentState>(Int(r[9]));
  d.create_time_ms = Int(r[10]);
  d.update_time_ms = Int(r[11]);
  d.latest_revision = static_cast<int>(Int(r[12]));
  d.verification_code = Text(r[13]);
  return d;
}

SessionRecord ReadSession(const pqxx::row& r) {
  SessionRecord s;
  s.id = Text(r[0]);
  s.document_id = Text(r[1]);
  s.base_revision = static_cast<int>(Int(r[2]));
  s.from = static_cast<DocumentState>(Int(r[3]));
  s.to = static_cast<DocumentState>(Int(r[4]));
  s.purpose = static_cast<RevisionPurpose>(Int(r[5]));
  s.prepared_json = Text(r[6]);
  s.prepared_sha256 = Text(r[7]);
  s.signer = Text(r[8]);
  s.create_time_ms = Int(r[9]);
  s.expire_time_ms = Int(r[10]);
  s.completed_revision = static_cast<int>(Int(r[11]));
  s.superseded_by = Text(r[12]);
  return s;
}

RegisterEntry ReadEntry(const pqxx::row& r) {
  RegisterEntry e;
  e.agency = Text(r[0]);
  e.year = static_cast<int>(Int(r[1]));
  e.number = static_cast<int>(Int(r[2]));
  e.state = static_cast<RegisterState>(Int(r[3]));
  e.document_id = Text(r[4]);
  e.session_id = Text(r[5]);
  e.issue_date = Text(r[6]);
  e.kind = Text(r[7]);
  e.symbol = Text(r[8]);
  e.summary = Text(r[9]);
  e.signer = Text(r[10]);
  e.sealer = Text(r[11]);
  e.dossier_code = Text(r[12]);
  e.void_reason = Text(r[13]);
  e.allocate_time_ms = Int(r[14]);
  e.issue_time_ms = Int(r[15]);
  e.withdraw_reason = Text(r[16]);
  e.withdraw_time_ms = Int(r[17]);
  return e;
}

PrintRecord ReadPrint(const pqxx::row& r, int at = 0) {
  PrintRecord p;
  p.document_id = Text(r[at]);
  p.print_id = Text(r[at + 1]);
  p.job_sequence = Int(r[at + 2]);
  p.revision = static_cast<int>(Int(r[at + 3]));
  p.printer = Text(r[at + 4]);
  p.copies = static_cast<int>(Int(r[at + 5]));
  p.officer = Text(r[at + 6]);
  p.actor = Text(r[at + 7]);
  p.time_ms = Int(r[at + 8]);
  p.status = Int(r[at + 9]) == static_cast<int64_t>(PrintStatus::kFailed) ? PrintStatus::kFailed
                                                                          : PrintStatus::kPrinted;
  p.failure_reason = Text(r[at + 10]);
  return p;
}

PrintJob ReadJob(const pqxx::row& r) {
  PrintJob job{Int(r[0]),  Text(r[1]), Text(r[2]), static_cast<int>(Int(r[3])),
               Text(r[4]), Text(r[5]), Int(r[6]),  std::nullopt};
  if (!r[kJobColumnCount + 1].is_null()) job.last_failure = ReadPrint(r, kJobColumnCount);
  return job;
}

bool Allowed(const std::vector<DocumentState>& allowed_from, DocumentState state) {
  return std::find(allowed_from.begin(), allowed_from.end(), state) != allowed_from.end();
}

absl::Status NotAllowed(DocumentState state) {
  return Error(ErrorCode::kTransitionInvalid, absl::StrCat("state ", static_cast<int>(state)));
}

absl::StatusOr<std::string> Sha256Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &size, EVP_sha256(), nullptr) != 1) {
    return Error(ErrorCode::kCrypto, "SHA-256");
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), size));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Errno("open", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Errno("read", path);
  return bytes;
}

// Sets what every connection of the store relies on.
void Configure(pqxx::connection& c) {
  // An acknowledged write is on disk even when the server's default says otherwise.
  c.set_variable("synchronous_commit", "on");
  c.set_variable("client_encoding", "'UTF8'");
  // A lock never waited on for ever: a stuck peer shows as an error, not a hung call.
  c.set_variable("lock_timeout", "'30s'");
}

// The connections the store's calls borrow, one call at a time each.
class PgPool {
 public:
  explicit PgPool(std::string url) : url_(std::move(url)) {}

  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->GiveBack(std::move(conn_));
    }
    pqxx::connection& conn() { return *conn_; }
    // The connection failed: closed instead of given back.
    void Discard() { conn_.reset(); }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    PgPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // An idle connection, a new one while fewer than kMaxConnections exist, else waits for one.
  absl::StatusOr<Lease> Borrow() {
    {
      std::unique_lock lock(mu_);
      returned_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
      if (!idle_.empty()) {
        std::unique_ptr<pqxx::connection> c = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(c));
      }
      ++open_;
    }
    absl::StatusOr<std::unique_ptr<pqxx::connection>> c = Connect(url_);
    if (!c.ok()) {
      GiveBack(nullptr);
      return c.status();
    }
    return Lease(this, *std::move(c));
  }

  static absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect(const std::string& url) {
    try {
      auto c = std::make_unique<pqxx::connection>(url);
      Configure(*c);
      return c;
    } catch (const std::exception& e) {
      // libpq's message names the host and the reason, never the password.
      return Error(ErrorCode::kIo, absl::StrCat("PostgreSQL: cannot connect: ", e.what()));
    }
  }

 private:
  void GiveBack(std::unique_ptr<pqxx::connection> c) {
    {
      std::lock_guard lock(mu_);
      if (c != nullptr && c->is_open()) {
        idle_.push_back(std::move(c));
      } else {
        --open_;
      }
    }
    returned_.notify_one();
  }

  const std::string url_;
  std::mutex mu_;  // guards idle_ and open_
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // connections existing (idle or lent)
};

// Runs `work` with a transaction (Tx = pqxx::work) or a plain autocommit session
// (pqxx::nontransaction) on a borrowed connection, retrying what a retry can fix, and turns
// libpqxx's exceptions into statuses.
template <typename Tx, typename Work>
absl::Status RunOn(PgPool& pool, Work&& work) {
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<PgPool::Lease> lease = pool.Borrow();
    if (!lease.ok()) return lease.status();
    try {
      Tx tx(lease->conn());
      absl::Status st = work(tx);
      if (!st.ok()) return st;  // tx's destructor rolls back
      tx.commit();
      return absl::OkStatus();
    } catch (const pqxx::in_doubt_error& e) {
      lease->Discard();
      return Error(ErrorCode::kIo,
                   absl::StrCat("PostgreSQL: connection lost during the commit, outcome unknown: ",
                                e.what()));
    } catch (const pqxx::broken_connection& e) {
      // Before the commit: nothing of it was kept, it may run again on a new connection.
      lease->Discard();
      if (attempt < 2) continue;
      return Error(ErrorCode::kIo, absl::StrCat("PostgreSQL: connection lost: ", e.what()));
    } catch (const pqxx::transaction_rollback& e) {
      // Deadlock or serialisation failure: the server undid it; running it again is the cure.
      if (attempt < kMaxAttempts) continue;
      return Error(ErrorCode::kIo, absl::StrCat("PostgreSQL: ", e.what()));
    } catch (const pqxx::sql_error& e) {
      return Error(ErrorCode::kInternal, absl::StrCat("PostgreSQL: ", e.what()));
    } catch (const std::exception& e) {
      lease->Discard();  // state unknown
      return Error(ErrorCode::kInternal, absl::StrCat("PostgreSQL: ", e.what()));
    }
  }
}

// Wakes WaitForPrintJobs callers when any instance commits a print job: LISTEN on a connection
// of its own, read by one thread that sleeps in poll() on the socket and an eventfd (for
// stopping), so a job is seen as soon as its NOTIFY arrives.
class JobListener {
 public:
  // `on_job(sequence)`: a job was committed; `on_gap()`: notifications may have been missed
  // (the connection was lost), every waiter should look again.
  JobListener(std::string url, std::function<void(int64_t)> on_job, std::function<void()> on_gap)
      : url_(std::move(url)), on_job_(std::move(on_job)), on_gap_(std::move(on_gap)) {
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  JobListener(const JobListener&) = delete;
  JobListener& operator=(const JobListener&) = delete;
  ~JobListener() {
    if (thread_.joinable()) {
      const uint64_t one = 1;
      (void)!write(stop_fd_, &one, sizeof one);
      thread_.join();
    }
    if (stop_fd_ >= 0) close(stop_fd_);
  }

  // Connects and LISTENs on `channel` before returning (a job committed after Start wakes
  // waiters), then goes on in the thread.
  absl::Status Start(const std::string& channel) {
    channel_ = channel;
    if (stop_fd_ < 0) return Errno("eventfd", "job listener");
    absl::Status st = Listen();
    if (!st.ok()) return st;
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

 private:
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection& c, const std::string& channel, JobListener* owner)
        : pqxx::notification_receiver(c, channel), owner_(owner) {}
    void operator()(const std::string& payload, int) override {
      int64_t sequence = 0;
      try {
        sequence = std::stoll(payload);
      } catch (const std::exception&) {
        sequence = 0;
      }
      owner_->on_job_(sequence);
    }

   private:
    JobListener* owner_;
  };

  absl::Status Listen() {
    receiver_.reset();
    conn_.reset();
    absl::StatusOr<std::unique_ptr<pqxx::connection>> c = PgPool::Connect(url_);
    if (!c.ok()) return c.status();
    try {
      conn_ = *std::move(c);
      receiver_ = std::make_unique<Receiver>(*conn_, channel_, this);  // issues LISTEN
    } catch (const std::exception& e) {
      receiver_.reset();
      conn_.reset();
      return Error(ErrorCode::kIo, absl::StrCat("PostgreSQL: LISTEN: ", e.what()));
    }
    return absl::OkStatus();
  }

  // Until stopped: waits for notifications; after a lost connection, reconnects (once a second)
  // and tells the waiters to look again.
  void Loop() {
    for (;;) {
      const int sock = conn_ != nullptr ? conn_->sock() : -1;
      pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {sock, POLLIN, 0}};
      const int n = poll(fds, sock >= 0 ? 2 : 1, sock >= 0 ? -1 : 1000);
      if (n < 0 && errno == EINTR) continue;
      if ((fds[0].revents & POLLIN) != 0) return;
      bool healthy = sock >= 0;
      if (healthy && fds[1].revents != 0) {
        try {
          conn_->get_notifs();
          healthy = conn_->is_open() && conn_->sock() >= 0;
        } catch (const std::exception&) {
          healthy = false;
        }
      }
      if (!healthy && Listen().ok()) on_gap_();
    }
  }

  const std::string url_;
  const std::function<void(int64_t)> on_job_;
  const std::function<void()> on_gap_;
  std::string channel_;  // set before the thread starts
  int stop_fd_ = -1;
  std::unique_ptr<pqxx::connection> conn_;  // used by the thread only, after Start
  std::unique_ptr<Receiver> receiver_;      // destroyed before conn_
  std::thread thread_;
};

class PgStore final : public Store {
 public:
  PgStore(std::string url, LocalDir local)
      : local_(std::move(local)),
        dir_(local_.path()),
        pool_(url),
        listener_(
            url, [this](int64_t sequence) { AnnounceJob(sequence); }, [this] { AnnounceJob(0); }) {}

  absl::Status Start() {
    absl::Status st = ApplySchema();
    if (st.ok()) {
      st = Read([&](pqxx::nontransaction& tx) {
        channel_ = absl::StrCat(kJobsChannel, Text(tx.exec("SELECT current_schema()")[0][0]));
        return absl::OkStatus();
      });
    }
    if (!st.ok()) return st;
    return listener_.Start(channel_);
  }

  std::string NewScratchPath(const std::string& suffix) override {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return absl::StrCat(dir_, "/scratch/", getpid(), "-", counter_.fetch_add(1), "-", now, suffix);
  }

  absl::StatusOr<std::string> PutBlob(const std::string& scratch_path) override {
    return Adopt(scratch_path, "");
  }

  absl::StatusOr<std::string> PutBlob(const std::string& scratch_path,
                                      const std::string& sha256) override {
    if (sha256.empty()) return Error(ErrorCode::kInternal, "PutBlob: no SHA-256 given");
    return Adopt(scratch_path, sha256);
  }

  absl::StatusOr<std::string> BlobPath(const std::string& sha256) override {
    absl::StatusOr<std::string> path = CachePath(sha256);
    if (!path.ok()) return path.status();
    if (access(path->c_str(), R_OK) == 0) return path;
    // Not cached here (another instance stored it, or this cache was emptied): fetched once.
    std::optional<std::string> bytes;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      pqxx::result r = tx.exec_params("SELECT data FROM blobs WHERE sha256 = $1", sha256);
      if (!r.empty()) bytes = pqxx::binarystring(r[0][0]).str();
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    if (!bytes)
      return Error(ErrorCode::kDocumentNotFound, "the revision's file is missing: " + sha256);
    absl::StatusOr<std::string> actual = Sha256Hex(*bytes);
    if (!actual.ok()) return actual.status();
    if (*actual != sha256) {
      return Error(ErrorCode::kInternal, "the database's copy of blob " + sha256 + " is damaged");
    }
    const std::string scratch = NewScratchPath(".pdf");
    {
      std::ofstream out(scratch, std::ios::binary | std::ios::trunc);
      out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
      if (!out) return Errno("write", scratch);
    }
    if (absl::Status placed = IntoCache(scratch, *path); !placed.ok()) return placed;
    return path;
  }

  absl::StatusOr<std::optional<DocumentRecord>> FindByRequest(
      const std::string& dossier_code, const std::string& request_id) override {
    std::optional<DocumentRecord> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out = FindByRequestIn(tx, dossier_code, request_id);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::optional<DocumentRecord>> FindByVerificationCode(
      const std::string& code) override {
    std::optional<DocumentRecord> out;
    if (code.empty()) return out;  // '' marks the documents made before codes existed
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      pqxx::result r = tx.exec_params(
          absl::StrCat("SELECT ", kDocumentColumns, " FROM documents WHERE verification_code = $1"),
          code);
      if (!r.empty()) out = ReadDocument(r[0]);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<CreateOutcome> CreateDocument(const DocumentRecord& d, const RevisionRecord& draft,
                                               const HistoryEvent& event) override {
    CreateOutcome out{d, true};
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      // ON CONFLICT waits for a concurrent insert of the same pair and then sees it committed.
      pqxx::result inserted = tx.exec_params(
          absl::StrCat("INSERT INTO documents (", kDocumentColumns,
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
                       "ON CONFLICT (dossier_code, request_id) DO NOTHING RETURNING id"),
          d.id, d.kind, d.dossier_code, d.request_id, d.request_hash, d.procedure, d.desk, d.title,
          d.data_json, static_cast<int>(d.state), d.create_time_ms, d.update_time_ms,
          d.latest_revision, d.verification_code);
      if (inserted.empty()) {
        std::optional<DocumentRecord> existing = FindByRequestIn(tx, d.dossier_code, d.request_id);
        if (!existing) return Error(ErrorCode::kInternal, "documents: conflict without a row");
        out = CreateOutcome{*std::move(existing), false};
        return absl::OkStatus();
      }
      out = CreateOutcome{d, true};
      InsertRevision(tx, draft);
      InsertEvent(tx, event);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> GetDocument(const std::string& id) override {
    DocumentRecord out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, id, false);
      if (!doc.ok()) return doc.status();
      out = *std::move(doc);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<RevisionRecord>> ListRevisions(const std::string& id) override {
    std::vector<RevisionRecord> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      for (const pqxx::row& r :
           tx.exec_params("SELECT document_id, number, purpose, sha256, size, signer, create_time "
                          "FROM revisions WHERE document_id = $1 ORDER BY number",
                          id)) {
        out.push_back({Text(r[0]), static_cast<int>(Int(r[1])),
                       static_cast<RevisionPurpose>(Int(r[2])), Text(r[3]), Int(r[4]), Text(r[5]),
                       Int(r[6])});
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<HistoryEvent>> ListHistory(const std::string& id) override {
    std::vector<HistoryEvent> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      for (const pqxx::row& r :
           tx.exec_params("SELECT document_id, time, actor, action, detail, revision FROM history "
                          "WHERE document_id = $1 ORDER BY seq",
                          id)) {
        out.push_back({Text(r[0]), Int(r[1]), Text(r[2]), Text(r[3]), Text(r[4]),
                       static_cast<int>(Int(r[5]))});
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<DocumentRecord>> ListDocuments(const ListFilter& f) override {
    std::vector<DocumentRecord> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      // Unset filters pass a flag that makes their condition true: one statement for all.
      pqxx::result rows = tx.exec_params(
          absl::StrCat(
              "SELECT ", kDocumentColumns,
              " FROM documents WHERE ($1::int < 0 OR state = $1::int) "
              "AND ($2::text = '' OR desk = $2::text) AND ($3::text = '' OR procedure = $3::text) "
              "AND (NOT $4::bool OR create_time >= $5::bigint) "
              "AND (NOT $6::bool OR create_time < $7::bigint) "
              "AND (NOT $8::bool OR (create_time, id) < ($9::bigint, $10::text)) "
              "ORDER BY create_time DESC, id DESC LIMIT $11::int"),
          f.state ? static_cast<int>(*f.state) : -1, f.desk, f.procedure,
          f.created_from_ms.has_value(), f.created_from_ms.value_or(0), f.created_to_ms.has_value(),
          f.created_to_ms.value_or(0), f.after.has_value(), f.after ? f.after->first : 0,
          f.after ? f.after->second : std::string(), f.limit);
      for (const pqxx::row& r : rows) out.push_back(ReadDocument(r));
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> Transition(const std::string& id,
                                            const std::vector<DocumentState>& allowed_from,
                                            DocumentState to, const HistoryEvent& event) override {
    DocumentRecord out;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, id, true);
      if (!doc.ok()) return doc.status();
      if (!Allowed(allowed_from, doc->state)) return NotAllowed(doc->state);
      UpdateDocument(tx, id, to, doc->latest_revision, event.time_ms);
      InsertEvent(tx, event);
      out = *std::move(doc);
      out.state = to;
      out.update_time_ms = event.time_ms;
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> Withdraw(const std::string& id,
                                          const std::vector<DocumentState>& allowed_from,
                                          const Withdrawal& withdrawal,
                                          const HistoryEvent& event) override {
    DocumentRecord out;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, id, true);
      if (!doc.ok()) return doc.status();
      if (!Allowed(allowed_from, doc->state)) return NotAllowed(doc->state);
      UpdateDocument(tx, id, DocumentState::kWithdrawn, doc->latest_revision, withdrawal.time_ms);
      tx.exec_params(
          "UPDATE register SET state = 4, withdraw_reason = $2, withdraw_time = $3 "
          "WHERE document_id = $1 AND state = 2",
          id, withdrawal.reason, withdrawal.time_ms);
      tx.exec_params(absl::StrCat("INSERT INTO print_job_closures (seq, reason, actor, time) "
                                  "SELECT j.seq, $2, $3, $4 FROM print_jobs j WHERE "
                                  "j.document_id = $1 AND ",
                                  kPending, " ON CONFLICT (seq) DO NOTHING"),
                     id, withdrawal.reason, withdrawal.actor, withdrawal.time_ms);
      InsertEvent(tx, event);
      out = *std::move(doc);
      out.state = DocumentState::kWithdrawn;
      out.update_time_ms = withdrawal.time_ms;
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::Status PutSession(const SessionRecord& r, const HistoryEvent& event) override {
    return Write([&](pqxx::work& tx) -> absl::Status {
      // The document's lock orders preparations and completions of its sessions.
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, r.document_id, true);
      if (!doc.ok()) return doc.status();
      tx.exec_params(absl::StrCat("INSERT INTO sessions (", kSessionColumns,
                                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, '')"),
                     r.id, r.document_id, r.base_revision, static_cast<int>(r.from),
                     static_cast<int>(r.to), static_cast<int>(r.purpose), r.prepared_json,
                     r.prepared_sha256, r.signer, r.create_time_ms, r.expire_time_ms);
      // Only the newest preparation may complete (as in the SQLite store).
      tx.exec_params(
          "UPDATE sessions SET superseded_by = $1 WHERE document_id = $2 AND purpose = $3 "
          "AND id <> $1 AND completed_revision = 0 AND superseded_by = ''",
          r.id, r.document_id, static_cast<int>(r.purpose));
      InsertEvent(tx, event);
      return absl::OkStatus();
    });
  }

  absl::StatusOr<SessionRecord> GetSession(const std::string& id) override {
    SessionRecord out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) -> absl::Status {
      absl::StatusOr<SessionRecord> s = GetSessionIn(tx, id);
      if (!s.ok()) return s.status();
      out = *std::move(s);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> CompleteSession(const std::string& session_id,
                                                 const RevisionRecord& revision,
                                                 const HistoryEvent& event,
                                                 const std::optional<LevelRecord>& level) override {
    Signed out;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<SessionRecord> first = GetSessionIn(tx, session_id);
      if (!first.ok()) return first.status();
      // Lock the document, then read the session again: every change of a session happens
      // under its document's lock, so what is read now stays true until the commit.
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, first->document_id, true);
      if (!doc.ok()) return doc.status();
      absl::StatusOr<SessionRecord> session = GetSessionIn(tx, session_id);
      if (!session.ok()) return session.status();
      if (session->completed_revision != 0) {
        return Error(ErrorCode::kSessionCompleted,
                     absl::StrCat("revision ", session->completed_revision));
      }
      if (!session->superseded_by.empty()) {
        return Error(ErrorCode::kSessionSuperseded,
                     "prepared again as signingSessions/" + session->superseded_by);
      }
      tx.exec_params(
          "UPDATE sessions SET completed_revision = $2 WHERE id = $1 AND completed_revision = 0 "
          "AND superseded_by = ''",
          session_id, revision.number);
      const SignatureCommit commit{session->document_id, session->base_revision, session->from,
                                   session->to, session_id};
      return WriteSignature(tx, *std::move(doc), commit, revision, event, level, out);
    });
    return Published(st, out);
  }

  absl::StatusOr<DocumentRecord> AddSignature(const SignatureCommit& commit,
                                              const RevisionRecord& revision,
                                              const HistoryEvent& event,
                                              const std::optional<LevelRecord>& level) override {
    Signed out;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, commit.document_id, true);
      if (!doc.ok()) return doc.status();
      return WriteSignature(tx, *std::move(doc), commit, revision, event, level, out);
    });
    return Published(st, out);
  }

  absl::StatusOr<RegisterEntry> AllocateNumber(const RegisterEntry& entry,
                                               const HistoryEvent& event) override {
    RegisterEntry allocated;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      // An earlier attempt for this document that never completed leaves its number as a gap.
      tx.exec_params(
          "UPDATE register SET state = 3, void_reason = $2 WHERE document_id = $1 AND state = 1",
          entry.document_id,
          "superseded: the seal was prepared again / đã chuẩn bị đóng dấu lại, số cũ bỏ trống");
      // The counter row's lock is held to the commit: the next allocation of (agency, year) on
      // any instance waits here and then reads this one's number. Rolled back, both go back.
      // Every instance's seals of one agency queue on that row, so the upsert, the register row
      // and the history event are one statement, the transaction's last: the lock is held for
      // it and the COMMIT only (with round trips after it, it was the busiest wait at 16
      // sealing clients, pg_stat_activity Lock:transactionid).
      allocated = entry;
      allocated.state = RegisterState::kAllocated;
      allocated.void_reason.clear();
      allocated.issue_time_ms = 0;
      pqxx::row next = tx.exec_params1(
          "WITH n AS (INSERT INTO register_counters (agency, year, last_number) "
          "VALUES ($1, $2, 1) ON CONFLICT (agency, year) DO UPDATE "
          "SET last_number = register_counters.last_number + 1 RETURNING last_number), "
          "r AS (INSERT INTO register (agency, year, number, state, document_id, session_id, "
          "issue_date, kind, symbol, summary, signer, sealer, dossier_code, void_reason, "
          "allocate_time, issue_time) SELECT $1, $2, n.last_number, $3, $4, $5, $6, $7, $8, $9, "
          "$10, $11, $12, '', $13, 0 FROM n), "
          "h AS (INSERT INTO history (document_id, time, actor, action, detail, revision) "
          "SELECT $14, $15, $16, $17, 'number ' || n.last_number::text || '/' || $2::text || "
          "', ' || $18, $19 FROM n) "
          "SELECT last_number FROM n",
          allocated.agency, allocated.year, static_cast<int>(allocated.state),
          allocated.document_id, allocated.session_id, allocated.issue_date, allocated.kind,
          allocated.symbol, allocated.summary, allocated.signer, allocated.sealer,
          allocated.dossier_code, allocated.allocate_time_ms, event.document_id, event.time_ms,
          event.actor, event.action, event.detail, event.revision);
      allocated.number = static_cast<int>(Int(next[0]));
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return allocated;
  }

  absl::Status VoidNumber(const std::string& agency, int year, int number,
                          const std::string& reason) override {
    return Write([&](pqxx::work& tx) -> absl::Status {
      pqxx::result r = tx.exec_params(
          "UPDATE register SET state = 3, void_reason = $4 "
          "WHERE agency = $1 AND year = $2 AND number = $3 AND state = 1",
          agency, year, number, reason);
      if (r.affected_rows() != 1) {
        return Error(ErrorCode::kUsage,
                     absl::StrCat("no allocated number ", number, "/", year, " for ", agency));
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<RegisterEntry>> ListRegister(const RegisterFilter& filter) override {
    std::vector<RegisterEntry> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      for (const pqxx::row& r : tx.exec_params(
               absl::StrCat("SELECT ", kRegisterColumns,
                            " FROM register WHERE ($1::text = '' OR agency = $1::text) "
                            "AND ($2::int = 0 OR year = $2::int) AND ($3::int = 0 OR state = "
                            "$3::int) ORDER BY agency, year, number LIMIT $5::int OFFSET $4::int"),
               filter.agency, filter.year.value_or(0),
               filter.state ? static_cast<int>(*filter.state) : 0, filter.offset, filter.limit)) {
        out.push_back(ReadEntry(r));
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<PrintJob>> ListPrintJobs(const std::string& desk,
                                                      int64_t after_sequence, int limit) override {
    std::vector<PrintJob> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      for (const pqxx::row& r : tx.exec_params(
               absl::StrCat(kJobSelect,
                            "JOIN documents d ON d.id = j.document_id WHERE j.seq > $1 AND "
                            "($2::text = '' OR j.desk = $2::text) AND d.state NOT IN (5, 6) AND ",
                            kPending, " ORDER BY j.seq LIMIT $3::int"),
               after_sequence, desk, limit)) {
        out.push_back(ReadJob(r));
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  void WaitForPrintJobs(int64_t after_sequence, int64_t max_wait_ms) override {
    std::unique_lock lock(jobs_mu_);
    const int64_t gaps = gaps_;
    jobs_cv_.wait_for(lock, std::chrono::milliseconds(max_wait_ms),
                      [&] { return newest_job_ > after_sequence || gaps_ != gaps; });
  }

  absl::StatusOr<PrintOutcome> RecordPrint(const PrintRecord& print,
                                           const std::vector<DocumentState>& allowed_from,
                                           DocumentState to, const HistoryEvent& event) override {
    PrintOutcome out;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, print.document_id, true);
      if (!doc.ok()) return doc.status();
      std::optional<PrintRecord> known = SelectPrint(tx, print.document_id, print.print_id);
      if (known) {
        out = PrintOutcome{*doc, *known, false};
        return absl::OkStatus();
      }
      if (!Allowed(allowed_from, doc->state)) return NotAllowed(doc->state);
      if (absl::Status st = CheckPrintedRevision(tx, *doc, print.revision); !st.ok()) return st;
      const int64_t job = NewestPendingJob(tx, print.document_id);
      if (job == 0) {
        return Error(ErrorCode::kTransitionInvalid,
                     "no print is pending for this document (ask for a reprint)");
      }
      PrintRecord recorded = print;
      recorded.job_sequence = job;
      InsertPrint(tx, recorded);
      if (doc->state != to) UpdateDocument(tx, doc->id, to, doc->latest_revision, event.time_ms);
      InsertEvent(tx, event);
      doc->state = to;
      doc->update_time_ms = event.time_ms;
      out = PrintOutcome{*std::move(doc), recorded, true};
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<PrintFailureOutcome> RecordPrintFailure(
      const PrintRecord& failure, const std::vector<DocumentState>& allowed_from,
      const HistoryEvent& event) override {
    PrintFailureOutcome out;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, failure.document_id, true);
      if (!doc.ok()) return doc.status();
      std::optional<PrintRecord> known = SelectPrint(tx, failure.document_id, failure.print_id);
      if (known) {
        out = PrintFailureOutcome{*std::move(doc), *known, PrintJob{}, false};
        return absl::OkStatus();
      }
      if (!Allowed(allowed_from, doc->state)) return NotAllowed(doc->state);
      if (absl::Status st = CheckPrintedRevision(tx, *doc, failure.revision); !st.ok()) return st;
      const int64_t newest = NewestPendingJob(tx, failure.document_id);
      if (newest == 0) {
        return Error(ErrorCode::kTransitionInvalid, "no print is pending for this document");
      }
      std::optional<PrintJob> failed_job = SelectJob(tx, newest);
      PrintRecord recorded = failure;
      recorded.status = PrintStatus::kFailed;
      recorded.job_sequence = newest;
      InsertPrint(tx, recorded);
      // The retry keeps the job's reason (a reprint stays a reprint) and names this failure.
      absl::StatusOr<PrintJob> retry =
          InsertPrintJob(tx, failure.document_id, failed_job ? failed_job->reason : "", event.actor,
                         event.time_ms, recorded.print_id);
      if (!retry.ok()) return retry.status();
      InsertEvent(tx, event);
      out = PrintFailureOutcome{*std::move(doc), recorded, *std::move(retry), true};
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    if (out.recorded) AnnounceJob(out.retry.sequence);
    return out;
  }

  absl::StatusOr<PrintJob> AddReprintJob(const std::string& document_id,
                                         const std::vector<DocumentState>& allowed_from,
                                         const std::string& reason,
                                         const HistoryEvent& event) override {
    PrintJob job;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, document_id, true);
      if (!doc.ok()) return doc.status();
      if (!Allowed(allowed_from, doc->state)) return NotAllowed(doc->state);
      absl::StatusOr<PrintJob> queued =
          InsertPrintJob(tx, document_id, reason, event.actor, event.time_ms, "");
      if (!queued.ok()) return queued.status();
      job = *std::move(queued);
      InsertEvent(tx, event);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    AnnounceJob(job.sequence);
    return job;
  }

  absl::StatusOr<std::vector<PrintRecord>> ListPrints(const std::string& document_id) override {
    std::vector<PrintRecord> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      for (const pqxx::row& r : tx.exec_params(
               absl::StrCat("SELECT ", kPrintColumns,
                            " FROM prints WHERE document_id = $1 ORDER BY time, job_seq"),
               document_id)) {
        out.push_back(ReadPrint(r));
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::Status PutLevel(const LevelRecord& record) override {
    return Write([&](pqxx::work& tx) {
      UpsertLevel(tx, record);
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::optional<LevelRecord>> GetLevel(const std::string& document_id) override {
    std::optional<LevelRecord> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      pqxx::result r = tx.exec_params(
          absl::StrCat("SELECT ", kLevelColumns, " FROM levels WHERE document_id = $1"),
          document_id);
      out.reset();
      if (!r.empty()) out = ReadLevel(r[0]);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  // SKIP LOCKED: instances claiming at once each take a different record instead of queueing on
  // the first; the claim itself (claim_until) outlives the transaction, so a record being worked
  // on for minutes is not taken by another instance, and one whose claimant died is taken again
  // once the time passes.
  absl::StatusOr<std::optional<LevelRecord>> ClaimDueLevel(int64_t now_ms, const std::string& owner,
                                                           int64_t claim_until_ms) override {
    std::optional<LevelRecord> out;
    absl::Status st = Write([&](pqxx::work& tx) {
      out.reset();
      pqxx::result r = tx.exec_params(
          absl::StrCat("SELECT ", kLevelColumns,
                       " FROM levels WHERE claim_until <= $1 AND ((upgrade_pending AND "
                       "next_attempt <= $1) OR (renew_at > 0 AND renew_at <= $1)) ORDER BY "
                       "upgrade_pending DESC, next_attempt, renew_at LIMIT 1 "
                       "FOR UPDATE SKIP LOCKED"),
          now_ms);
      if (r.empty()) return absl::OkStatus();
      out = ReadLevel(r[0]);
      tx.exec_params0("UPDATE levels SET claim_owner = $2, claim_until = $3 WHERE document_id = $1",
                      out->document_id, owner, claim_until_ms);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<DocumentRecord> AddLevelRevision(const RevisionRecord& revision,
                                                  const std::vector<DocumentState>& allowed,
                                                  const LevelRecord& record,
                                                  const HistoryEvent& event) override {
    DocumentRecord out;
    absl::Status st = Write([&](pqxx::work& tx) -> absl::Status {
      absl::StatusOr<DocumentRecord> doc = GetDocumentIn(tx, revision.document_id, true);
      if (!doc.ok()) return doc.status();
      if (!Allowed(allowed, doc->state) || doc->latest_revision != revision.number - 1) {
        return Error(ErrorCode::kTransitionInvalid,
                     absl::StrCat("the document is in state ", static_cast<int>(doc->state),
                                  " at revision ", doc->latest_revision));
      }
      InsertRevision(tx, revision);
      UpdateDocument(tx, doc->id, doc->state, revision.number, event.time_ms);
      UpsertLevel(tx, record);
      InsertEvent(tx, event);
      out = *std::move(doc);
      out.latest_revision = revision.number;
      out.update_time_ms = event.time_ms;
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<LevelRecord>> ListLevels(const LevelFilter& filter) override {
    std::vector<LevelRecord> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      for (const pqxx::row& r : tx.exec_params(
               absl::StrCat(
                   "SELECT ", kLevelColumns,
                   " FROM levels WHERE level <> '' AND ($1 = '' OR level = $1) AND (NOT $2 OR "
                   "upgrade_pending) ORDER BY upgrade_pending DESC, CASE WHEN upgrade_pending "
                   "THEN next_attempt ELSE 0 END, CASE WHEN renew_at = 0 THEN 1 ELSE 0 END, "
                   "renew_at, document_id LIMIT $3"),
               filter.level, filter.pending_only, filter.limit)) {
        out.push_back(ReadLevel(r));
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<int64_t> CountPendingUpgrades() override {
    int64_t out = 0;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out = Int(tx.exec("SELECT COUNT(*) FROM levels WHERE upgrade_pending")[0][0]);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<std::string>> ListDocumentsWithoutLevel(int limit) override {
    std::vector<std::string> out;
    absl::Status st = Read([&](pqxx::nontransaction& tx) {
      out.clear();
      for (const pqxx::row& r : tx.exec_params(
               "SELECT d.id FROM documents d WHERE d.state IN ($1, $2) AND NOT EXISTS (SELECT 1 "
               "FROM levels l WHERE l.document_id = d.id) ORDER BY d.create_time, d.id LIMIT $3",
               static_cast<int>(DocumentState::kSealed), static_cast<int>(DocumentState::kIssued),
               limit)) {
        out.push_back(Text(r[0]));
      }
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }

 private:
  static constexpr char kLevelColumns[] =
      "document_id, revision, level, target_level, signature_levels, upgrade_pending, "
      "next_attempt, attempts, problem, renew_at, update_time";

  static LevelRecord ReadLevel(const pqxx::row& r) {
    LevelRecord l;
    l.document_id = Text(r[0]);
    l.revision = static_cast<int>(Int(r[1]));
    l.level = Text(r[2]);
    l.target_level = Text(r[3]);
    l.signature_levels = Text(r[4]);
    l.upgrade_pending = r[5].as<bool>();
    l.next_attempt_ms = Int(r[6]);
    l.attempts = static_cast<int>(Int(r[7]));
    l.problem = Text(r[8]);
    l.renew_at_ms = Int(r[9]);
    l.update_time_ms = Int(r[10]);
    return l;
  }

  static void UpsertLevel(pqxx::work& tx, const LevelRecord& l) {
    tx.exec_params0(
        absl::StrCat("INSERT INTO levels (", kLevelColumns,
                     ", claim_owner, claim_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                     "$10, $11, '', 0) ON CONFLICT (document_id) DO UPDATE SET revision = "
                     "$2, level = $3, target_level = $4, signature_levels = $5, upgrade_pending "
                     "= $6, next_attempt = $7, attempts = $8, problem = $9, renew_at = $10, "
                     "update_time = $11, claim_owner = '', claim_until = 0 WHERE "
                     "EXCLUDED.revision >= levels.revision"),
        l.document_id, l.revision, l.level, l.target_level, l.signature_levels, l.upgrade_pending,
        l.next_attempt_ms, l.attempts, l.problem, l.renew_at_ms, l.update_time_ms);
  }

  // A print names the revision printed: the latest, or one the worker's upgrades and renewals
  // followed (they hold the same signatures).
  static absl::Status CheckPrintedRevision(pqxx::work& tx, const DocumentRecord& doc,
                                           int revision) {
    pqxx::result later = tx.exec_params(
        "SELECT COUNT(*) FROM revisions WHERE document_id = $1 AND number > $2 AND purpose NOT "
        "IN ($3, $4)",
        doc.id, revision, static_cast<int>(RevisionPurpose::kLevelUpgrade),
        static_cast<int>(RevisionPurpose::kArchiveRenewal));
    if (revision <= 0 || revision > doc.latest_revision || Int(later[0][0]) > 0) {
      return Error(
          ErrorCode::kTransitionInvalid,
          absl::StrCat("revision ", revision, " is not the latest (", doc.latest_revision, ")"));
    }
    return absl::OkStatus();
  }

  template <typename Work>
  absl::Status Write(Work&& work) {
    return RunOn<pqxx::work>(pool_, std::forward<Work>(work));
  }
  template <typename Work>
  absl::Status Read(Work&& work) {
    return RunOn<pqxx::nontransaction>(pool_, std::forward<Work>(work));
  }

  absl::Status ApplySchema() {
    return Write([&](pqxx::work& tx) {
      // Instances starting together: one applies, the others then find everything there.
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPgSchemaLock);
      tx.exec(SchemaSql(SqlDialect::kPostgres));
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::string> CachePath(const std::string& sha256) {
    // Same layout and name checks as the SQLite store's blob files.
    if (sha256.size() != 64 || sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Error(ErrorCode::kInternal, "not a SHA-256: " + sha256);
    }
    return absl::StrCat(dir_, "/blobs/", sha256.substr(0, 2), "/", sha256, ".pdf");
  }

  // Renames a complete scratch file into the cache (or drops it when the blob is there).
  absl::Status IntoCache(const std::string& scratch, const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) return Error(ErrorCode::kIo, absl::StrCat("mkdir for ", path, ": ", ec.message()));
    if (std::rename(scratch.c_str(), path.c_str()) != 0) {
      const absl::Status st = Errno("rename", scratch);
      std::remove(scratch.c_str());
      return st;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Adopt(const std::string& scratch, const std::string& given) {
    absl::StatusOr<std::string> bytes = ReadFile(scratch);
    if (!bytes.ok()) return bytes.status();
    std::string sha256 = given;
    if (sha256.empty()) {
      absl::StatusOr<std::string> computed = Sha256Hex(*bytes);
      if (!computed.ok()) return computed.status();
      sha256 = *std::move(computed);
    }
    absl::StatusOr<std::string> path = CachePath(sha256);
    if (!path.ok()) return path.status();
    // Committed (synchronously) before any row can name it.
    absl::Status st = Write([&](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO blobs (sha256, size, data) VALUES ($1, $2, $3) "
          "ON CONFLICT (sha256) DO NOTHING",
          sha256, static_cast<int64_t>(bytes->size()), pqxx::binarystring(*bytes));
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    if (access(path->c_str(), F_OK) == 0) {
      std::remove(scratch.c_str());
    } else if (absl::Status placed = IntoCache(scratch, *path); !placed.ok()) {
      return placed;
    }
    return sha256;
  }

  template <typename Tx>
  static std::optional<DocumentRecord> FindByRequestIn(Tx& tx, const std::string& dossier_code,
                                                       const std::string& request_id) {
    pqxx::result r =
        tx.exec_params(absl::StrCat("SELECT ", kDocumentColumns,
                                    " FROM documents WHERE dossier_code = $1 AND request_id = $2"),
                       dossier_code, request_id);
    if (r.empty()) return std::nullopt;
    return ReadDocument(r[0]);
  }

  // `lock`: FOR UPDATE, held to the end of the transaction.
  template <typename Tx>
  static absl::StatusOr<DocumentRecord> GetDocumentIn(Tx& tx, const std::string& id, bool lock) {
    pqxx::result r =
        tx.exec_params(absl::StrCat("SELECT ", kDocumentColumns, " FROM documents WHERE id = $1",
                                    lock ? " FOR UPDATE" : ""),
                       id);
    if (r.empty()) return Error(ErrorCode::kDocumentNotFound, "documents/" + id);
    return ReadDocument(r[0]);
  }

  template <typename Tx>
  static absl::StatusOr<SessionRecord> GetSessionIn(Tx& tx, const std::string& id) {
    pqxx::result r = tx.exec_params(
        absl::StrCat("SELECT ", kSessionColumns, " FROM sessions WHERE id = $1"), id);
    if (r.empty()) return Error(ErrorCode::kSessionNotFound, "signingSessions/" + id);
    return ReadSession(r[0]);
  }

  static void InsertRevision(pqxx::work& tx, const RevisionRecord& r) {
    tx.exec_params(
        "INSERT INTO revisions (document_id, number, purpose, sha256, size, signer, create_time) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        r.document_id, r.number, static_cast<int>(r.purpose), r.sha256, r.size, r.signer,
        r.create_time_ms);
  }

  static void InsertEvent(pqxx::work& tx, const HistoryEvent& e) {
    tx.exec_params(
        "INSERT INTO history (document_id, time, actor, action, detail, revision) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        e.document_id, e.time_ms, e.actor, e.action, e.detail, e.revision);
  }

  static void UpdateDocument(pqxx::work& tx, const std::string& id, DocumentState state,
                             int latest_revision, int64_t time_ms) {
    tx.exec_params0(
        "UPDATE documents SET state = $2, latest_revision = $3, update_time = $4 WHERE id = $1", id,
        static_cast<int>(state), latest_revision, time_ms);
  }

  // The number allocated to the session, if any, becomes issued (see the SQLite store's
  // MarkIssued). The conditional UPDATE is atomic against a concurrent VoidNumber: whichever
  // locks the row second finds it changed.
  static absl::Status MarkIssued(pqxx::work& tx, const std::string& session_id, int64_t time_ms) {
    pqxx::result issued = tx.exec_params(
        "UPDATE register SET state = 2, issue_time = $2 WHERE session_id = $1 AND state = 1",
        session_id, time_ms);
    if (issued.affected_rows() == 1) return absl::OkStatus();
    pqxx::result r = tx.exec_params(
        "SELECT number, year, state, void_reason FROM register WHERE session_id = $1", session_id);
    if (r.empty()) return absl::OkStatus();  // no number given (the data carries its own)
    return Error(ErrorCode::kSessionSuperseded,
                 absl::StrCat("its number ", Int(r[0][0]), "/", Int(r[0][1]),
                              " is no longer allocated to it: ", Text(r[0][3])));
  }

  // The print job gets its sequence under kPrintJobsLock, held to the commit: jobs become
  // visible in sequence order on every instance, so "after sequence N" never skips one
  // committed late. The NOTIFY is delivered at the commit only.
  // Every instance's sealing commits queue on that lock, so it is taken in the transaction's
  // last statement (callers write everything else first) and lock, insert and NOTIFY go in one
  // round trip: the lock is held for that statement and the COMMIT only. Taken first, with three
  // more round trips under it, it was the store's busiest wait at 16 clients (pg_stat_activity:
  // Lock:advisory; seals 92/s on PostgreSQL against 210/s on SQLite, bench/seal_load.sh).
  absl::StatusOr<int64_t> QueuePrintJob(pqxx::work& tx, const std::string& document_id,
                                        const std::string& reason, const std::string& actor,
                                        int64_t time_ms, const std::string& retry_of) {
    // The lock is in the INSERT's FROM: the sequence (nextval, per inserted row) is drawn after
    // it is held.
    pqxx::result r = tx.exec_params(
        "WITH locked AS (SELECT pg_advisory_xact_lock($6)), "
        "job AS (INSERT INTO print_jobs (document_id, desk, revision, reason, actor, time, "
        "retry_of) SELECT d.id, d.desk, d.latest_revision, $2, $3, $4, $5 FROM documents d, "
        "locked WHERE d.id = $1 RETURNING seq), "
        "notified AS (SELECT pg_notify($7, seq::text) FROM job) "
        "SELECT job.seq FROM job, notified",
        document_id, reason, actor, time_ms, retry_of, kPrintJobsLock, channel_);
    if (r.empty()) return Error(ErrorCode::kDocumentNotFound, "documents/" + document_id);
    return Int(r[0][0]);
  }

  absl::StatusOr<PrintJob> InsertPrintJob(pqxx::work& tx, const std::string& document_id,
                                          const std::string& reason, const std::string& actor,
                                          int64_t time_ms, const std::string& retry_of) {
    absl::StatusOr<int64_t> seq = QueuePrintJob(tx, document_id, reason, actor, time_ms, retry_of);
    if (!seq.ok()) return seq.status();
    std::optional<PrintJob> job = SelectJob(tx, *seq);
    if (!job) return Error(ErrorCode::kInternal, "print job vanished");
    return *job;
  }

  static std::optional<PrintJob> SelectJob(pqxx::work& tx, int64_t sequence) {
    pqxx::result r = tx.exec_params(absl::StrCat(kJobSelect, "WHERE j.seq = $1"), sequence);
    if (r.empty()) return std::nullopt;
    return ReadJob(r[0]);
  }

  static int64_t NewestPendingJob(pqxx::work& tx, const std::string& document_id) {
    pqxx::result r = tx.exec_params(
        absl::StrCat("SELECT MAX(j.seq) FROM print_jobs j WHERE j.document_id = $1 AND ", kPending),
        document_id);
    return r.empty() ? 0 : Int(r[0][0]);  // MAX of nothing is NULL, read as 0
  }

  static std::optional<PrintRecord> SelectPrint(pqxx::work& tx, const std::string& document_id,
                                                const std::string& print_id) {
    pqxx::result r =
        tx.exec_params(absl::StrCat("SELECT ", kPrintColumns,
                                    " FROM prints WHERE document_id = $1 AND print_id = $2"),
                       document_id, print_id);
    if (r.empty()) return std::nullopt;
    return ReadPrint(r[0]);
  }

  static void InsertPrint(pqxx::work& tx, const PrintRecord& p) {
    tx.exec_params(absl::StrCat("INSERT INTO prints (", kPrintColumns,
                                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
                   p.document_id, p.print_id, p.job_sequence, p.revision, p.printer, p.copies,
                   p.officer, p.actor, p.time_ms, static_cast<int>(p.status), p.failure_reason);
  }

  struct Signed {
    DocumentRecord doc;
    int64_t job = 0;  // the print job queued for a sealed document, else 0
  };

  // The part of a signature's transaction CompleteSession and AddSignature share; `doc` was read
  // under its lock in this transaction.
  absl::Status WriteSignature(pqxx::work& tx, DocumentRecord doc, const SignatureCommit& commit,
                              const RevisionRecord& revision, const HistoryEvent& event,
                              const std::optional<LevelRecord>& level, Signed& out) {
    if (doc.state != commit.from || doc.latest_revision != commit.base_revision ||
        revision.number != commit.base_revision + 1) {
      return Error(ErrorCode::kTransitionInvalid,
                   "the document changed since this signature was prepared");
    }
    InsertRevision(tx, revision);
    UpdateDocument(tx, doc.id, commit.to, revision.number, event.time_ms);
    // The level record with its revision (before the checks that may still undo both).
    if (level) UpsertLevel(tx, *level);
    if (absl::Status st = MarkIssued(tx, commit.signing_id, event.time_ms); !st.ok()) return st;
    InsertEvent(tx, event);
    if (commit.to == DocumentState::kSealed) {  // last: see QueuePrintJob
      absl::StatusOr<int64_t> queued =
          QueuePrintJob(tx, doc.id, "", event.actor, event.time_ms, "");
      if (!queued.ok()) return queued.status();
      out.job = *queued;
    }
    out.doc = std::move(doc);
    out.doc.state = commit.to;
    out.doc.latest_revision = revision.number;
    out.doc.update_time_ms = event.time_ms;
    return absl::OkStatus();
  }

  absl::StatusOr<DocumentRecord> Published(const absl::Status& committed, Signed& out) {
    if (!committed.ok()) return committed;
    if (out.job != 0) AnnounceJob(out.job);  // this instance's waiters, before the NOTIFY comes
    return std::move(out.doc);
  }

  // A job committed (sequence > 0), or a gap in what was heard (0): waiters look again.
  void AnnounceJob(int64_t sequence) {
    {
      std::lock_guard lock(jobs_mu_);
      if (sequence > 0) {
        newest_job_ = std::max(newest_job_, sequence);
      } else {
        ++gaps_;
      }
    }
    jobs_cv_.notify_all();
  }

  const LocalDir local_;  // held (LOCK) while the store is open
  const std::string dir_;
  std::mutex jobs_mu_;  // guards newest_job_ and gaps_
  std::condition_variable jobs_cv_;
  int64_t newest_job_ = 0;
  int64_t gaps_ = 0;
  std::string channel_;  // set by Start, read-only afterwards
  PgPool pool_;
  std::atomic<uint64_t> counter_{0};
  JobListener listener_;  // last: stopped (its thread joined) before the rest goes
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenPgStore(const std::string& url, const std::string& dir) {
  absl::StatusOr<LocalDir> local = LocalDir::Open(dir);
  if (!local.ok()) return local.status();
  std::error_code ec;
  std::filesystem::create_directories(dir + "/blobs", ec);
  if (ec) return Error(ErrorCode::kIo, absl::StrCat("mkdir ", dir, "/blobs: ", ec.message()));
  auto store = std::make_unique<PgStore>(url, *std::move(local));
  if (absl::Status st = store->Start(); !st.ok()) return st;
  return store;
}

}  // namespace taicho::store
