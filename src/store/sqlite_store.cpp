// The embedded default store: one SQLite database in WAL mode.
//
//   journal(seq INTEGER PRIMARY KEY, kind INTEGER, payload BLOB, checksum INTEGER)
//   snapshot(id = 1, seq INTEGER, bytes BLOB, checksum INTEGER)
//   meta(key TEXT PRIMARY KEY, value)          -- format = 1; audit_head = "<seq> <hash>"
//   audit(seq INTEGER PRIMARY KEY, record TEXT, prev TEXT, hash TEXT)   -- audit_trail.hpp
//
// The audit trail's head (its last committed seq and hash) is written in meta in the same
// transaction as the records, so that records deleted at the end are noticed, and a writer
// continues the chain from the head, never from a shortened table.
//
// Staged records go into an open write transaction (BEGIN IMMEDIATE at the first append), so a
// commit is one SQLite COMMIT however many records it carries: that is what makes group commit
// cheap. Exclusivity comes from flock() on a side file rather than from SQLite's locks, so that
// a second opener fails at once with a clear message instead of SQLITE_BUSY at some later write.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crmflow/audit_trail.hpp"
#include "crmflow/store.hpp"
#include "store/audit_chain.hpp"

namespace crmflow {
namespace {

constexpr int format_version = 1;

store_status sqlite_error(sqlite3* db, int rc, const std::string& what, std::uint64_t seq = 0) {
  const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string message = what + ": " + detail;
  switch (rc & 0xFF) {
    case SQLITE_FULL: return store_status::error(store_code::disk_full, message + " (disk full)", seq);
    case SQLITE_READONLY: return store_status::error(store_code::read_only, message, seq);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return store_status::error(store_code::locked, message, seq);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return store_status::error(store_code::corrupted, message, seq);
    case SQLITE_IOERR: return store_status::error(store_code::write_failed, message, seq);
    default: return store_status::error(store_code::io_error, message, seq);
  }
}

// A prepared statement that resets itself after use.
class statement {
 public:
  statement() = default;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(stmt_); }

  int prepare(sqlite3* db, const char* sql) { return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr); }
  sqlite3_stmt* get() const noexcept { return stmt_; }
  void reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class sqlite_store final : public store {
 public:
  ~sqlite_store() override {
    if (in_txn_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    // close_v2 waits for insert_ and select_, finalized after this body, before it closes.
    if (db_) sqlite3_close_v2(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  }

  store_status open(const std::filesystem::path& path, const sqlite_store_options& options) {
    path_ = path.string();
    read_only_ = options.read_only;

    const std::string lock_path = path_ + ".lock";
    lock_fd_ = ::open(lock_path.c_str(), (read_only_ ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0644);
    if (lock_fd_ < 0 && !read_only_ && (errno == EACCES || errno == EROFS))
      return store_status::error(store_code::read_only, "cannot create lock file " + lock_path + ": " + std::strerror(errno));
    if (lock_fd_ >= 0 && ::flock(lock_fd_, (read_only_ ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK)
        return store_status::error(store_code::locked, "store " + path_ + " is locked by another process (or another open store)");
      return store_status::error(store_code::io_error, "cannot lock " + lock_path + ": " + std::strerror(errno));
    }
    if (lock_fd_ < 0 && !read_only_)
      return store_status::error(store_code::io_error, "cannot open lock file " + lock_path + ": " + std::strerror(errno));

    // Read-only stores are opened read-write with query_only: a WAL left by a crashed writer
    // must be recovered before it can be read, and SQLite's read-only WAL mode cannot do that.
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE;
    if (!read_only_ && options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
    if (int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
      store_status s = sqlite_error(db_, rc, "cannot open store " + path_);
      if ((rc & 0xFF) == SQLITE_CANTOPEN && !std::filesystem::exists(path))
        s = store_status::error(store_code::io_error, "store " + path_ + " does not exist");
      return s;
    }
    if (sqlite3_db_readonly(db_, "main") == 1)
      return store_status::error(store_code::read_only, "store " + path_ + " is read-only (file or directory not writable)");
    sqlite3_extended_result_codes(db_, 1);

    // EXCLUSIVE before the first WAL access: no -shm file, and SQLite's own lock backs ours.
    if (store_status s = exec("PRAGMA locking_mode=EXCLUSIVE", "locking mode"); !s) return s;
    if (read_only_)
      if (store_status s = exec("PRAGMA query_only=ON", "query_only"); !s) return s;
    if (!read_only_) {
      if (store_status s = query_pragma("PRAGMA journal_mode=WAL", "wal"); !s) return s;
      const char* sync = options.sync == sync_mode::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
      if (store_status s = exec(sync, "synchronous"); !s) return s;
      if (store_status s = exec("BEGIN IMMEDIATE;"
                                "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);"
                                "CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
                                " payload BLOB NOT NULL, checksum INTEGER NOT NULL);"
                                "CREATE TABLE IF NOT EXISTS snapshot(id INTEGER PRIMARY KEY CHECK (id = 1),"
                                " seq INTEGER NOT NULL, bytes BLOB NOT NULL, checksum INTEGER NOT NULL);"
                                "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, record TEXT NOT NULL,"
                                " prev TEXT NOT NULL, hash TEXT NOT NULL);"
                                "INSERT OR IGNORE INTO meta(key, value) VALUES ('format', 1);"
                                "COMMIT;",
                                "create schema");
          !s) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return s;
      }
    }
    if (store_status s = check_format(); !s) return s;
    if (store_status s = load_last_seq(); !s) return s;
    if (store_status s = load_audit_head(); !s) return s;
    if (int rc = insert_.prepare(db_, "INSERT INTO journal(seq, kind, payload, checksum) VALUES (?, ?, ?, ?)");
        rc != SQLITE_OK && !read_only_)
      return sqlite_error(db_, rc, "prepare insert");
    if (int rc = select_.prepare(db_, "SELECT seq, kind, payload, checksum FROM journal WHERE seq >= ? ORDER BY seq");
        rc != SQLITE_OK)
      return sqlite_error(db_, rc, "prepare select");
    return {};
  }

  store_status append(const journal_record& r) override {
    if (read_only_) return store_status::error(store_code::read_only, "store " + path_ + " is open read-only", r.seq);
    if (r.seq != last_seq_ + 1)
      return store_status::error(store_code::invalid,
                                 "append: expected seq " + std::to_string(last_seq_ + 1) + ", got " + std::to_string(r.seq),
                                 r.seq);
    if (store_status s = begin(); !s) return s;
    journal_stage_.push_back({r.seq, journal_bytes_.size(), r.payload.size(), r.checksum, r.kind});
    journal_bytes_.append(r.payload);
    last_seq_ = r.seq;
    if (journal_stage_.size() == stage_rows) return flush();
    return {};
  }

  store_status commit() override {
    if (!in_txn_) return {};
    if (store_status s = flush(); !s) return s;
    if (last_audit_seq_ != committed_audit_seq_)
      if (store_status s = write_audit_head(); !s) {
        rollback();
        return s;
      }
    const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      store_status s = sqlite_error(db_, rc, "commit up to seq " + std::to_string(last_seq_), last_seq_);
      rollback();
      return s;
    }
    in_txn_ = false;
    committed_audit_seq_ = last_audit_seq_;
    committed_audit_hash_ = last_audit_hash_;
    return {};
  }

  void rollback() noexcept override {
    if (!in_txn_) return;
    clear_stages();
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    in_txn_ = false;
    last_seq_ = committed_seq_;
    last_audit_seq_ = committed_audit_seq_;
    last_audit_hash_ = committed_audit_hash_;
  }

  bool keeps_audit_trail() const noexcept override { return has_audit_table_; }

  store_status append_audit(std::string_view record) override {
    if (read_only_) return store_status::error(store_code::read_only, "store " + path_ + " is open read-only");
    if (!has_audit_table_) return store_status::error(store_code::invalid, "store " + path_ + " has no audit table");
    if (store_status s = begin(); !s) return s;
    const std::uint64_t seq = last_audit_seq_ + 1;
    staged_audit& a = audit_stage_.emplace_back();
    a.seq = seq;
    a.record = audit_bytes_.size();
    a.size = record.size();
    std::memcpy(a.prev, last_audit_hash_.data(), sizeof a.prev);  // a chain's hashes have 64 digits
    hasher().hash(last_audit_hash_, seq, record, a.hash);
    audit_bytes_.append(record);
    last_audit_seq_ = seq;
    last_audit_hash_.assign(a.hash, sizeof a.hash);
    if (audit_stage_.size() == stage_rows) return flush();
    return {};
  }

  store_status read_audit(std::uint64_t from, const std::function<bool(const audit_entry&)>& visit) override {
    if (!has_audit_table_) return {};
    // The head as committed on disk: what the trail must end with.
    std::uint64_t head_seq = 0;
    std::string head_hash;
    if (store_status s = read_audit_head(head_seq, head_hash); !s) return s;
    statement st;
    if (int rc = st.prepare(db_, "SELECT seq, record, prev, hash FROM audit ORDER BY seq"); rc != SQLITE_OK)
      return sqlite_error(db_, rc, "prepare audit read");
    auto text = [&](int col) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), col));
      return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st.get(), col)));
    };
    auto bad = [&](std::uint64_t seq, const std::string& why) {
      return store_status::error(store_code::corrupted, "audit trail of " + path_ + ": record at seq " +
                                                            std::to_string(seq) + " " + why, seq);
    };
    audit_entry e;
    std::string expected_prev(audit_genesis);
    std::uint64_t expected = 1;
    for (;;) {
      const int rc = sqlite3_step(st.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return sqlite_error(db_, rc, "read audit trail at seq " + std::to_string(expected), expected);
      e.seq = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 0));
      if (e.seq > head_seq && e.seq == expected && in_txn_) break;  // staged, not committed
      if (e.seq != expected) return bad(expected, "is missing (deleted; the next one is seq " + std::to_string(e.seq) + ")");
      e.record = text(1);
      e.prev = text(2);
      e.hash = text(3);
      if (e.prev != expected_prev)
        return bad(e.seq, "does not follow seq " + std::to_string(e.seq - 1) +
                              " (its prev is not that record's hash: records deleted, inserted or reordered)");
      char hash[64];
      hasher().hash(e.prev, e.seq, e.record, hash);
      if (e.hash != std::string_view(hash, sizeof hash))
        return bad(e.seq, "was altered (its hash does not match its content)");
      if (e.seq > head_seq) return bad(e.seq, "is past the trail's committed head (seq " + std::to_string(head_seq) + "): added afterwards");
      if (e.seq == head_seq && e.hash != head_hash)
        return bad(e.seq, "does not match the trail's committed head hash (replaced)");
      expected_prev = e.hash;
      ++expected;
      if (e.seq >= from && !visit(e)) return {};
    }
    if (expected <= head_seq)
      return bad(expected, "is missing (deleted; the trail ends at seq " + std::to_string(expected - 1) +
                               ", its committed head is seq " + std::to_string(head_seq) + ")");
    return {};
  }

  std::uint64_t last_seq() const noexcept override { return last_seq_; }

  store_status read(std::uint64_t from, const std::function<bool(const journal_record&)>& visit) override {
    if (from == 0) from = 1;
    const std::uint64_t last = in_txn_ ? committed_seq_ : last_seq_;
    sqlite3_stmt* st = select_.get();
    sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(from));
    std::uint64_t expected = from;
    journal_record r;
    store_status result;
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        result = sqlite_error(db_, rc, "read journal at seq " + std::to_string(expected), expected);
        break;
      }
      r.seq = static_cast<std::uint64_t>(sqlite3_column_int64(st, 0));
      if (r.seq > last) break;  // staged, not committed
      if (r.seq != expected) {
        result = store_status::error(store_code::corrupted,
                                     "corrupted journal: record at seq " + std::to_string(expected) + " is missing",
                                     expected);
        break;
      }
      const sqlite3_int64 kind = sqlite3_column_int64(st, 1);
      const void* blob = sqlite3_column_blob(st, 2);
      const int size = sqlite3_column_bytes(st, 2);
      const sqlite3_int64 checksum = sqlite3_column_int64(st, 3);
      const bool typed = sqlite3_column_type(st, 2) == SQLITE_BLOB || size == 0;
      r.kind = static_cast<std::uint8_t>(kind);
      r.payload.assign(static_cast<const char*>(blob ? blob : ""), static_cast<std::size_t>(size));
      r.checksum = static_cast<std::uint32_t>(checksum);
      if (!typed || kind < 0 || kind > 255 || checksum < 0 || checksum > 0xFFFFFFFF ||
          record_checksum(r.seq, r.kind, r.payload) != r.checksum) {
        const bool tail = r.seq == last;
        result = store_status::error(
            tail ? store_code::torn_tail : store_code::corrupted,
            std::string(tail ? "torn last record" : "corrupted record") + " at seq " + std::to_string(r.seq) +
                " (checksum mismatch) in " + path_,
            r.seq);
        break;
      }
      ++expected;
      if (!visit(r)) break;
    }
    select_.reset();
    return result;
  }

  store_status save_snapshot(const snapshot& s) override {
    if (read_only_) return store_status::error(store_code::read_only, "store " + path_ + " is open read-only");
    if (in_txn_) return store_status::error(store_code::invalid, "save_snapshot: records are staged; commit first");
    if (s.seq > last_seq_)
      return store_status::error(store_code::invalid, "save_snapshot: seq " + std::to_string(s.seq) + " is past the journal");
    statement st;
    if (int rc = st.prepare(db_, "INSERT OR REPLACE INTO snapshot(id, seq, bytes, checksum) VALUES (1, ?, ?, ?)");
        rc != SQLITE_OK)
      return sqlite_error(db_, rc, "prepare snapshot");
    sqlite3_bind_int64(st.get(), 1, static_cast<sqlite3_int64>(s.seq));
    sqlite3_bind_blob64(st.get(), 2, s.bytes.data(), s.bytes.size(), SQLITE_STATIC);
    sqlite3_bind_int64(st.get(), 3, crc32_of(s.bytes));
    if (int rc = sqlite3_step(st.get()); rc != SQLITE_DONE)
      return sqlite_error(db_, rc, "save snapshot at seq " + std::to_string(s.seq), s.seq);
    return {};
  }

  store_status load_snapshot(std::optional<snapshot>& out) override {
    out.reset();
    statement st;
    if (int rc = st.prepare(db_, "SELECT seq, bytes, checksum FROM snapshot WHERE id = 1"); rc != SQLITE_OK)
      return sqlite_error(db_, rc, "prepare snapshot read");
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return sqlite_error(db_, rc, "read snapshot");
    snapshot s;
    s.seq = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 0));
    const void* blob = sqlite3_column_blob(st.get(), 1);
    s.bytes.assign(static_cast<const char*>(blob ? blob : ""), static_cast<std::size_t>(sqlite3_column_bytes(st.get(), 1)));
    const sqlite3_int64 checksum = sqlite3_column_int64(st.get(), 2);
    if (checksum != static_cast<sqlite3_int64>(crc32_of(s.bytes)))
      return store_status::error(store_code::corrupted,
                                 "corrupted snapshot (covering seq " + std::to_string(s.seq) + ") in " + path_, s.seq);
    out = std::move(s);
    return {};
  }

 private:
  // Opens the write transaction at the first record staged after a commit.
  store_status begin() {
    if (in_txn_) return {};
    if (store_status s = exec("BEGIN IMMEDIATE", "begin"); !s) return s;
    in_txn_ = true;
    committed_seq_ = last_seq_;
    return {};
  }

  void clear_stages() noexcept {
    journal_stage_.clear();
    journal_bytes_.clear();
    audit_stage_.clear();
    audit_bytes_.clear();
  }

  // Writes the staged rows into the open transaction: `stage_rows` of them with one multi-row
  // INSERT (a full stage), fewer one by one. On failure the whole transaction is rolled back,
  // so that no record staged since the last commit is left half written.
  store_status flush() {
    store_status s = flush_journal();
    if (s) s = flush_audit();
    clear_stages();
    if (!s) rollback();
    return s;
  }

  store_status flush_journal() {
    return flush_stage(journal_stage_, insert_, insert_many_,
                       "INSERT INTO journal(seq, kind, payload, checksum) VALUES", "", true,
                       [this](sqlite3_stmt* st, int p, const staged_record& r) {
                         sqlite3_bind_int64(st, p + 1, static_cast<sqlite3_int64>(r.seq));
                         sqlite3_bind_int(st, p + 2, r.kind);
                         sqlite3_bind_blob64(st, p + 3, journal_bytes_.data() + r.payload, r.size,
                                             SQLITE_STATIC);
                         sqlite3_bind_int64(st, p + 4, r.checksum);
                       });
  }

  store_status flush_audit() {
    return flush_stage(audit_stage_, insert_audit_, insert_audit_many_,
                       "INSERT INTO audit(seq, record, prev, hash) VALUES", "audit ", false,
                       [this](sqlite3_stmt* st, int p, const staged_audit& a) {
                         sqlite3_bind_int64(st, p + 1, static_cast<sqlite3_int64>(a.seq));
                         sqlite3_bind_text64(st, p + 2, audit_bytes_.data() + a.record, a.size,
                                             SQLITE_STATIC, SQLITE_UTF8);
                         sqlite3_bind_text64(st, p + 3, a.prev, sizeof a.prev, SQLITE_STATIC,
                                             SQLITE_UTF8);
                         sqlite3_bind_text64(st, p + 4, a.hash, sizeof a.hash, SQLITE_STATIC,
                                             SQLITE_UTF8);
                       });
  }

  // One kind of staged rows into the open transaction: a full stage with one multi-row INSERT
  // (`many`, prepared from `insert` on first use), a partial one (at commit) row by row with
  // `one`. bind(statement, parameter offset, row) binds a row's four columns. Errors say
  // "prepare <kind>insert" / "append <kind>record N"; the journal's carry N in the status.
  template <class Row, class Bind>
  store_status flush_stage(const std::vector<Row>& stage, statement& one, statement& many,
                           const char* insert, const char* kind, bool seq_in_status, Bind bind) {
    if (stage.empty()) return {};
    const bool full = stage.size() == stage_rows;
    if (full && !many.get())
      if (int rc = many.prepare(db_, many_rows_sql(insert).c_str()); rc != SQLITE_OK)
        return sqlite_error(db_, rc, std::string("prepare ") + kind + "insert",
                            seq_in_status ? stage.front().seq : 0);
    statement& stmt = full ? many : one;
    const std::size_t rows = full ? stage_rows : 1;
    for (std::size_t done = 0; done < stage.size(); done += rows) {
      sqlite3_stmt* st = stmt.get();
      for (std::size_t k = 0; k < rows; ++k) bind(st, static_cast<int>(4 * k), stage[done + k]);
      const int rc = sqlite3_step(st);
      stmt.reset();
      if (rc != SQLITE_DONE) {
        const std::uint64_t first = stage[done].seq;
        return sqlite_error(db_, rc, std::string("append ") + kind + "record " + std::to_string(first),
                            seq_in_status ? first : 0);
      }
    }
    return {};
  }

  // "<insert> (?, ?, ?, ?), ..." with stage_rows rows.
  static std::string many_rows_sql(const char* insert) {
    std::string sql = insert;
    for (std::size_t k = 0; k < stage_rows; ++k) sql += k ? ", (?, ?, ?, ?)" : " (?, ?, ?, ?)";
    return sql;
  }

  store_status exec(const char* sql, const char* what) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, std::string(what) + " on " + path_);
    return {};
  }

  // Runs a pragma that answers with one text row and checks the answer.
  store_status query_pragma(const char* sql, const char* expected) {
    statement st;
    int rc = st.prepare(db_, sql);
    if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW) return sqlite_error(db_, rc, std::string(sql) + " on " + path_);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
    if (!text || std::strcmp(text, expected) != 0)
      return store_status::error(store_code::io_error, std::string(sql) + " on " + path_ + " answered " + (text ? text : "null"));
    return {};
  }

  store_status check_format() {
    statement st;
    int rc = st.prepare(db_, "SELECT value FROM meta WHERE key = 'format'");
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, "read format of " + path_);
    rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW || sqlite3_column_int(st.get(), 0) != format_version)
      return store_status::error(store_code::io_error, path_ + ": unknown store format");
    return {};
  }

  // The committed head of the audit trail: meta's audit_head, else (a store from before the
  // head was kept, or with no trail yet) nothing: seq 0 and the genesis hash.
  store_status read_audit_head(std::uint64_t& seq, std::string& hash) {
    seq = 0;
    hash = std::string(audit_genesis);
    statement st;
    int rc = st.prepare(db_, "SELECT value FROM meta WHERE key = 'audit_head'");
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, "read audit head of " + path_);
    rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return sqlite_error(db_, rc, "read audit head of " + path_);
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
    const std::string value = p ? p : "";
    const std::size_t space = value.find(' ');
    char* end = nullptr;
    const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
    if (space == std::string::npos || end != value.c_str() + space || value.size() - space - 1 != 64)
      return store_status::error(store_code::corrupted, "audit trail of " + path_ + ": the head in meta is damaged");
    seq = n;
    hash = value.substr(space + 1);
    return {};
  }

  store_status load_audit_head() {
    statement st;
    int rc = st.prepare(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'");
    if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_error(db_, rc, "read schema of " + path_);
    has_audit_table_ = rc == SQLITE_ROW;
    if (!has_audit_table_) return {};
    if (store_status s = read_audit_head(last_audit_seq_, last_audit_hash_); !s) return s;
    committed_audit_seq_ = last_audit_seq_;
    committed_audit_hash_ = last_audit_hash_;
    if (int rc2 = insert_audit_.prepare(db_, "INSERT INTO audit(seq, record, prev, hash) VALUES (?, ?, ?, ?)");
        rc2 != SQLITE_OK && !read_only_)
      return sqlite_error(db_, rc2, "prepare audit insert");
    return {};
  }

  store_status write_audit_head() {
    statement st;
    int rc = st.prepare(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES ('audit_head', ?)");
    const std::string value = std::to_string(last_audit_seq_) + ' ' + last_audit_hash_;
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(st.get(), 1, value.c_str(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
      rc = sqlite3_step(st.get());
    }
    if (rc != SQLITE_DONE) return sqlite_error(db_, rc, "write audit head at seq " + std::to_string(last_audit_seq_));
    return {};
  }

  store_status load_last_seq() {
    statement st;
    int rc = st.prepare(db_, "SELECT COALESCE(MAX(seq), 0) FROM journal");
    if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW) return sqlite_error(db_, rc, "read journal of " + path_);
    last_seq_ = static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 0));
    committed_seq_ = last_seq_;
    return {};
  }

  // Made on first use: a store without a trail never loads OpenSSL's SHA-256.
  store_detail::audit_chain_hasher& hasher() {
    if (!hasher_) hasher_ = std::make_unique<store_detail::audit_chain_hasher>();
    return *hasher_;
  }

  std::string path_;
  bool read_only_ = false;
  int lock_fd_ = -1;
  sqlite3* db_ = nullptr;
  statement insert_;
  statement select_;
  statement insert_audit_;
  // Staged records wait here (at most stage_rows of each kind) and go into SQLite with one
  // multi-row INSERT per full stage, the rest at commit: a third fewer instructions per row in
  // SQLite than one INSERT each (callgrind, 16 rows of 54 bytes). Same rows, same transaction.
  static constexpr std::size_t stage_rows = 16;
  struct staged_record {
    std::uint64_t seq;
    std::size_t payload, size;  // in journal_bytes_
    std::uint32_t checksum;
    std::uint8_t kind;
  };
  struct staged_audit {
    std::uint64_t seq;
    std::size_t record, size;  // in audit_bytes_
    char prev[64];
    char hash[64];
  };
  std::vector<staged_record> journal_stage_;
  std::string journal_bytes_;
  std::vector<staged_audit> audit_stage_;
  std::string audit_bytes_;
  statement insert_many_;
  statement insert_audit_many_;
  bool in_txn_ = false;
  std::uint64_t last_seq_ = 0;
  std::uint64_t committed_seq_ = 0;
  bool has_audit_table_ = false;
  std::uint64_t last_audit_seq_ = 0;  // staged included
  std::string last_audit_hash_{audit_genesis};
  std::uint64_t committed_audit_seq_ = 0;
  std::string committed_audit_hash_{audit_genesis};
  std::unique_ptr<store_detail::audit_chain_hasher> hasher_;
};

}  // namespace

open_store_result open_sqlite_store(const std::filesystem::path& path, const sqlite_store_options& options) {
  auto s = std::make_unique<sqlite_store>();
  store_status st = s->open(path, options);
  if (!st) return {std::move(st), nullptr};
  return {store_status::success(), std::move(s)};
}

}  // namespace crmflow
