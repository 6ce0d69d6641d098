// Durable storage for an engine: an append-only journal of inputs plus the latest snapshot.
// `store` is the interface a host may implement (a database of its own, a replicated log);
// `open_sqlite_store` opens the embedded default, a SQLite database in WAL mode.
//
// A store is not thread-safe: use it from one thread at a time. Nothing here throws for I/O
// problems; every call returns a store_status (it may throw std::bad_alloc).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crmflow/export.hpp"

namespace crmflow {

struct audit_entry;  // audit_trail.hpp

// What went wrong, for a host to switch on; the message says it for a person.
enum class store_code : std::uint8_t {
  ok,
  corrupted,     // a record or the snapshot fails its checksum, or a sequence number is missing
  torn_tail,     // the last journal record is damaged (cut short or overwritten)
  write_failed,  // an I/O error while writing or syncing
  disk_full,     // no space left
  read_only,     // the store (or its file) cannot be written
  locked,        // another process has the store open
  io_error,      // cannot open or read
  invalid,       // misuse: a sequence number out of order, a commit without a batch, ...
};

constexpr std::string_view to_string(store_code c) noexcept {
  switch (c) {
    case store_code::ok: return "ok";
    case store_code::corrupted: return "corrupted";
    case store_code::torn_tail: return "torn_tail";
    case store_code::write_failed: return "write_failed";
    case store_code::disk_full: return "disk_full";
    case store_code::read_only: return "read_only";
    case store_code::locked: return "locked";
    case store_code::io_error: return "io_error";
    case store_code::invalid: return "invalid";
  }
  return "?";
}

// The result of a store call: ok, or a code with a message ("corrupted record at seq 17: ...").
// `seq` names the journal record concerned, 0 when none. Cheap to copy when ok.
class store_status {
 public:
  store_status() = default;
  static store_status success() { return {}; }
  static store_status error(store_code code, std::string message, std::uint64_t seq = 0) {
    store_status s;
    s.code_ = code;
    s.message_ = std::move(message);
    s.seq_ = seq;
    return s;
  }

  bool ok() const noexcept { return code_ == store_code::ok; }
  explicit operator bool() const noexcept { return ok(); }
  store_code code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  std::uint64_t seq() const noexcept { return seq_; }

 private:
  store_code code_ = store_code::ok;
  std::string message_;
  std::uint64_t seq_ = 0;
};

// One journal record. Sequence numbers start at 1 and have no gaps. `kind` and `payload` are
// opaque to the store (durable_engine defines them); `checksum` is record_checksum() of the
// other three and is checked by the store on every read.
struct journal_record {
  std::uint64_t seq = 0;
  std::uint8_t kind = 0;
  std::string payload;  // bytes
  std::uint32_t checksum = 0;
};

// CRC-32 (zlib's polynomial) over seq (8 bytes, little-endian), kind and payload. O(payload).
CRMFLOW_EXPORT std::uint32_t record_checksum(std::uint64_t seq, std::uint8_t kind, std::string_view payload);
// CRC-32 of arbitrary bytes (the snapshot's checksum).
CRMFLOW_EXPORT std::uint32_t crc32_of(std::string_view bytes);

// A record with its checksum filled in.
inline journal_record make_record(std::uint64_t seq, std::uint8_t kind, std::string payload) {
  journal_record r{seq, kind, std::move(payload), 0};
  r.checksum = record_checksum(r.seq, r.kind, r.payload);
  return r;
}

// A serialised engine and the last journal record it includes (0: none).
struct snapshot {
  std::uint64_t seq = 0;
  std::string bytes;
};

// The storage interface. Appends are staged until commit(): when commit() returns ok, every
// record appended since the last commit is durable (survives a crash of the process, and with
// the default sync settings of the machine); when it fails, they are all discarded, as after
// rollback(). A store holds one journal and at most one snapshot (the latest).
class store {
 public:
  virtual ~store() = default;

  // Stages a record. Its seq must be last_seq() + 1 (counting staged records); otherwise
  // store_code::invalid and nothing is staged.
  virtual store_status append(const journal_record& record) = 0;
  // Makes every staged record durable, or none of them (then the staged records are dropped).
  virtual store_status commit() = 0;
  // Drops the staged records. Never fails.
  virtual void rollback() noexcept = 0;
  // Sequence number of the last record, staged or committed; 0 for an empty journal.
  virtual std::uint64_t last_seq() const noexcept = 0;

  // Calls `visit` with every committed record whose seq >= `from`, in order, until it returns
  // false. Checks each checksum and that sequence numbers have no gap: a damaged record stops
  // the read with store_code::corrupted, or torn_tail when it is the last one, naming its seq.
  virtual store_status read(std::uint64_t from, const std::function<bool(const journal_record&)>& visit) = 0;

  // Replaces the snapshot, durably, in its own transaction. Requires no staged records
  // (store_code::invalid otherwise) and s.seq <= last_seq().
  virtual store_status save_snapshot(const snapshot& s) = 0;
  // The latest snapshot, or nullopt in `out` if none was saved; corrupted if it fails its check.
  virtual store_status load_snapshot(std::optional<snapshot>& out) = 0;

  // The audit trail (audit_trail.hpp). A store that keeps one says so here; the defaults keep
  // none, and durable_engine then writes none.
  virtual bool keeps_audit_trail() const noexcept { return false; }
  // Stages one audit record (canonical JSON text) with the next audit seq, chained to the one
  // before; it becomes durable with the journal records of the same commit(), or is dropped
  // with them.
  virtual store_status append_audit(std::string_view record) {
    (void)record;
    return store_status::error(store_code::invalid, "this store keeps no audit trail");
  }
  // Calls `visit` with every committed audit record whose seq >= `from`, in order, until it
  // returns false, checking the chain: a missing, edited, inserted or reordered record stops the
  // read with store_code::corrupted naming the first bad seq, and so does a trail that ends
  // before the last record the store committed (records deleted at the end).
  virtual store_status read_audit(std::uint64_t from, const std::function<bool(const audit_entry&)>& visit) {
    (void)from;
    (void)visit;
    return store_status::error(store_code::invalid, "this store keeps no audit trail");
  }
};

// How durable a commit is on the SQLite store.
enum class sync_mode : std::uint8_t {
  full,    // fsync on every commit (SQLite synchronous=FULL): survives power loss. The default.
  normal,  // SQLite synchronous=NORMAL in WAL mode: survives a crash of the process, but the
           // last commits may be lost on power loss. Several times faster.
};

struct sqlite_store_options {
  // Open for reading only (e.g. to inspect or replay); appends and snapshots fail with
  // store_code::read_only. The file must still be writable (SQLite recovers a WAL left by a
  // crashed writer on open); other read-only openers may share it, a writer may not. Default
  // false.
  bool read_only = false;
  // Create the database when it does not exist. Default true (ignored when read_only).
  bool create_if_missing = true;
  // Default sync_mode::full.
  crmflow::sync_mode sync = sync_mode::full;
};

// The result of opening a store: a store if and only if status is ok.
struct open_store_result {
  store_status status;
  std::unique_ptr<crmflow::store> store;
};

// Opens (or creates) the SQLite store at `path`, in WAL mode with exclusive locking. The process
// holds an advisory lock on `path` + ".lock" (flock, released when the store is destroyed or
// the process dies): a second opener, in this or another process, gets store_code::locked.
// A database file that cannot be written gives store_code::read_only. Checks the schema; does
// not read the journal.
CRMFLOW_EXPORT open_store_result open_sqlite_store(const std::filesystem::path& path,
                                                   const sqlite_store_options& options = {});

}  // namespace crmflow
