// The audit trail: a hash-chained list of records, one per accepted or refused input and per
// thing the engine did with it (transition, set, timer, notification, alarm, deadline, ...),
// each with its time and actor. durable_engine writes it into the store in the same commit as
// the input (store::append_audit); `crmflow audit export` writes it as JSON Lines and
// `crmflow audit verify` checks the chain, in the store or in an exported file.
//
// Chain (docs/store.md, "The audit trail", is the specification for third parties):
//   hash(n) = lowercase hex SHA-256 of  prev(n) + "\n" + decimal seq(n) + "\n" + record(n)
//   prev(1) = 64 '0' characters; prev(n) = hash(n - 1)
// where record(n) is the record as canonical JSON: one object, keys sorted by bytes, no
// whitespace, integers only, strings UTF-8 with only `"`, `\` and control characters escaped
// (\b \f \n \r \t, others \u00xx). An edited record breaks its own hash; a deleted, inserted or
// reordered one breaks the next record's `prev`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/export.hpp"
#include "crmflow/observer.hpp"
#include "crmflow/versioning.hpp"

namespace crmflow {

// One record of the trail as stored: its sequence number (from 1, no gaps), the canonical JSON
// text, the previous record's hash and its own (64 lowercase hex digits each).
struct audit_entry {
  std::uint64_t seq = 0;
  std::string record;
  std::string prev;
  std::string hash;
};

// prev of the first record.
inline constexpr std::string_view audit_genesis = "0000000000000000000000000000000000000000000000000000000000000000";

// hash(n) as above. O(record), plus a fetch of SHA-256 from OpenSSL (a name lookup under a
// lock) and a digest context allocated for each call: for many records use audit_hasher.
// Throws std::bad_alloc only.
CRMFLOW_EXPORT std::string audit_hash(std::string_view prev, std::uint64_t seq, std::string_view record);

namespace store_detail {
class audit_chain_hasher;
}

// hash(n) as above for many records in a row (checking a chain): SHA-256 is fetched once and
// one digest context is reused, the helper the store writes its trail with. Not thread-safe:
// one per thread. Not copyable.
class audit_hasher {
 public:
  // Throws std::bad_alloc when OpenSSL cannot allocate or has no SHA-256.
  CRMFLOW_EXPORT audit_hasher();
  CRMFLOW_EXPORT ~audit_hasher();
  audit_hasher(const audit_hasher&) = delete;
  audit_hasher& operator=(const audit_hasher&) = delete;

  // Writes hash(n) = audit_hash(prev, seq, record) into out[0..63] (64 lowercase hex digits, no
  // terminator). O(record), allocates nothing. Throws std::bad_alloc only.
  CRMFLOW_EXPORT void hash(std::string_view prev, std::uint64_t seq, std::string_view record, char (&out)[64]);

 private:
  std::unique_ptr<store_detail::audit_chain_hasher> impl_;
};

// Appends `s` as a canonical JSON string (quotes included). Bytes that are not valid UTF-8 are
// written as U+FFFD, so that the record stays valid JSON that any parser reads back exactly.
CRMFLOW_EXPORT void append_json_string(std::string& out, std::string_view s);

struct create_result;
class data_record;

// An observer that writes what the engine does as audit records (canonical JSON, docs/store.md
// lists every type and key), each tagged with the current actor, and passes every call on to
// `next` (null: none). durable_engine installs one; a host may use one with a plain engine.
// Records are appended to records() while recording is on; the owner takes and clears them.
// Costs a few small strings per record, only while recording. Not thread-safe.
class audit_recorder final : public observer {
 public:
  explicit audit_recorder(observer* next = nullptr) : next_(next) {}

  void set_next(observer* next) noexcept { next_ = next; }
  // Who causes what follows: a user id, a system name. Copied.
  void set_actor(std::string_view actor) { actor_.assign(actor); }
  const std::string& actor() const noexcept { return actor_; }
  void set_recording(bool on) noexcept { recording_ = on; }
  std::vector<std::string>& records() noexcept { return records_; }

  // The record of an input, written by the caller before the records of what it caused:
  // `create` (with the initial fields given), `event` (with its data, by the event's names) and
  // `advance`, each with the engine's answer as "outcome" (accepted, or the refusal's name).
  CRMFLOW_EXPORT std::string create_record(const engine& e, flow_id f, std::string_view name, timestamp at,
                                           const data_record* init, const create_result& r) const;
  CRMFLOW_EXPORT std::string post_record(const engine& e, case_id c, event_id ev, const data_record& data,
                                         timestamp at, status outcome) const;
  CRMFLOW_EXPORT std::string advance_record(const engine& e, timestamp to) const;
  // `publish` (engine::publish, after it: the rule set's name, the version, the cases migrated).
  CRMFLOW_EXPORT std::string publish_record(const engine& e, const publish_result& r) const;

  CRMFLOW_EXPORT void on_created(const engine& e, const created_record& r) override;
  CRMFLOW_EXPORT void on_transition(const engine& e, const transition_record& r) override;
  CRMFLOW_EXPORT void on_action(const engine& e, const action_record& r) override;
  CRMFLOW_EXPORT void on_notify(const engine& e, const notify_record& r) override;
  CRMFLOW_EXPORT void on_alarm(const engine& e, const alarm_record& r) override;
  CRMFLOW_EXPORT void on_deadline(const engine& e, const deadline_record& r) override;
  CRMFLOW_EXPORT void on_clock(const engine& e, const clock_record& r) override;
  CRMFLOW_EXPORT void on_rejected(const engine& e, const rejection_record& r) override;
  CRMFLOW_EXPORT void on_timer(const engine& e, const timer_record& r) override;
  CRMFLOW_EXPORT void on_migrated(const engine& e, const migration_record& r) override;

 private:
  observer* next_ = nullptr;
  std::string actor_ = "system";
  bool recording_ = false;
  std::vector<std::string> records_;
};

}  // namespace crmflow
