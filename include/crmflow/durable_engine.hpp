// An engine whose every input is journaled in a store before it is acknowledged, with periodic
// snapshots, and which recovers after a crash to exactly the state it had acknowledged.
//
// Each input (create_case, post, advance_to) becomes one journal record: kind + payload (ids,
// the time, and the data as typed values, strings as text). Inputs the engine refuses are
// journaled too, since even a refused post moves time forward and fires deadlines. Recovery is
// the latest snapshot plus the journal after it, replayed through the engine: the engine is
// deterministic, so the result is the state before the crash, byte for byte (snapshot.hpp).
//
// Not thread-safe, like engine. The store is owned.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crmflow/audit_trail.hpp"
#include "crmflow/engine.hpp"
#include "crmflow/export.hpp"
#include "crmflow/store.hpp"

namespace crmflow {

struct durable_options {
  // Save a snapshot once this many records have been committed since the last one; 0 = only
  // when snapshot() is called. Recovery replays at most this many records past the snapshot.
  // Default 1000.
  std::uint64_t snapshot_every = 1000;
  // Write the audit trail (audit_trail.hpp) into the store, in the same commit as each input:
  // the input in words with its actor and outcome, then every record the engine produced for
  // it. Only with a store that keeps one (store::keeps_audit_trail); the SQLite store does.
  // Default true.
  bool audit_trail = true;
  // The actor of inputs posted without one. Default "system".
  std::string actor = "system";
};

// What a durable call did. `stored` ok means the input is in the journal: durable at once
// outside a batch, durable when commit_batch() returns ok inside one. Otherwise the input was
// not applied (and `value` is default) and the engine is as before the call.
template <class T>
struct durable_result {
  store_status stored;
  T value{};

  bool acknowledged() const noexcept { return stored.ok(); }
};

class durable_engine;

struct open_durable_result {
  store_status status;
  std::unique_ptr<durable_engine> engine;  // set if and only if status is ok
};

// Journal record kinds.
enum class record_kind : std::uint8_t { create_case = 1, post = 2, advance_to = 3, publish = 4 };

class durable_engine {
 public:
  // Recovers from `store`: loads its snapshot (if any), replays the journal after it and
  // returns an engine in exactly the acknowledged state. Observers in `options` hear nothing
  // of the recovery, only what happens afterwards. Fails with the store's error (corrupted,
  // torn_tail, ...) or store_code::invalid when the journal does not fit `rules`; nothing is
  // repaired or skipped silently. O(snapshot + journal tail).
  CRMFLOW_EXPORT static open_durable_result open(std::shared_ptr<const rule_set> rules, std::unique_ptr<store> store,
                                                 engine_options options = {}, durable_options durable = {});

  durable_engine(const durable_engine&) = delete;
  durable_engine& operator=(const durable_engine&) = delete;
  CRMFLOW_EXPORT ~durable_engine();

  // engine::create_case, post and advance_to, journaled first. Outside a batch each call
  // commits (one fsync with sync_mode::full) before it returns. `value` is the engine's answer.
  // `actor` (empty: durable_options::actor) is who did it, for the audit trail. With the audit
  // trail, the input is staged, applied, its audit records staged, and then all committed
  // together; if that commit fails the engine is rebuilt from the store (observers heard it).
  CRMFLOW_EXPORT durable_result<create_result> create_case(flow_id f, std::string_view name, timestamp at,
                                                           const data_record* init = nullptr,
                                                           std::string_view actor = {});
  CRMFLOW_EXPORT durable_result<outcome> post(case_id c, event_id e, const data_record& data, timestamp at,
                                              std::string_view actor = {});
  CRMFLOW_EXPORT durable_result<std::size_t> advance_to(timestamp t, std::string_view actor = {});
  // engine::publish. The version is checked first (engine::publish with check_only): a refused
  // one is not journaled and changes nothing (`stored` ok, value.accepted false). An accepted
  // one is journaled with the full text of its rules, so recovery publishes it again without
  // the host; snapshots carry the text of every version in use. Rules text is held in memory
  // by each loaded version. Loads the rules twice (check, then publish).
  CRMFLOW_EXPORT durable_result<publish_result> publish(const std::vector<rules_source>& sources,
                                                        std::string_view actor = {});

  // Group commit. Between begin_batch() and commit_batch(), inputs are applied and staged but
  // not durable: their results are provisional, and must not be acknowledged to anyone until
  // commit_batch() returns ok, which makes the whole batch durable with one commit. If it fails
  // (or an input fails to stage), the batch is dropped and the engine is rebuilt from the
  // store, as if no input of the batch had happened; observers have heard them nonetheless.
  // begin_batch() inside a batch: store_code::invalid.
  CRMFLOW_EXPORT store_status begin_batch();
  CRMFLOW_EXPORT store_status commit_batch();
  bool in_batch() const noexcept { return in_batch_; }

  // Saves a snapshot of the committed state now (not inside a batch).
  CRMFLOW_EXPORT store_status snapshot();
  // The result of the last automatic snapshot: a failed snapshot loses nothing (the journal
  // has every input) but makes the next recovery longer.
  const store_status& last_snapshot_status() const noexcept { return snapshot_status_; }
  // The journal sequence number the latest snapshot covers (saved by this engine, or the one
  // recovery started from); 0 if none.
  std::uint64_t snapshot_seq() const noexcept { return snapshot_seq_; }

  // Read-only view of the engine; post through this class only.
  const crmflow::engine& state() const noexcept { return *engine_; }
  // engine::intern, for building data records.
  raw_value intern(std::string_view text) { return engine_->intern(text); }
  // Sequence number of the last journaled input (staged ones included).
  std::uint64_t last_seq() const noexcept { return store_->last_seq(); }
  crmflow::store& storage() noexcept { return *store_; }

 private:
  durable_engine(std::shared_ptr<const rule_set> rules, std::unique_ptr<crmflow::store> store,
                 engine_options options, durable_options durable);
  store_status recover();
  store_status journal(record_kind kind);  // stages record_, whose payload the caller wrote
  bool auditing() const noexcept { return recorder_ != nullptr; }
  void start_audit(std::string_view actor);
  store_status finish_audit(std::string input_record);
  void after_commit();
  store_status abandon(store_status why);

  std::shared_ptr<const rule_set> rules_;
  std::unique_ptr<crmflow::store> store_;
  engine_options options_;
  durable_options durable_;
  std::unique_ptr<crmflow::engine> engine_;
  std::uint64_t snapshot_seq_ = 0;
  bool in_batch_ = false;
  store_status snapshot_status_;
  journal_record record_;  // reused by every input: its payload's buffer is allocated once
  std::unique_ptr<audit_recorder> recorder_;  // set when the audit trail is written
};

}  // namespace crmflow
