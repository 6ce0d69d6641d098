// durable_engine (durable_engine.hpp). Payloads, little-endian (bytes.hpp):
//
//   create_case: flow:u16 name:str at:i64 has_init:u8 values
//   post:        case:u32 event:u16 at:i64 values
//   advance_to:  t:i64
//   publish:     files:u32 { file:str text:str }    -- an accepted version, replayed by publish
//   values:      count:u8 { slot:u8 tag:u8 (0: raw i64 | 1: text str) }
//
// A value is written as text when the schema says it is a string and it is a valid string id;
// anything else (unknown case or event, an invalid id, a slot beyond the schema) is written
// raw, so the engine refuses it on replay exactly as it did the first time.
#include "crmflow/durable_engine.hpp"

#include <bit>

#include "crmflow/snapshot.hpp"
#include "store/bytes.hpp"

namespace crmflow {

using store_detail::reader;
using store_detail::writer;

namespace {

bool is_string_id(const engine& e, raw_value v) { return v == 0 || (v > 0 && !e.text(v).empty()); }

// `types[i]` is the declared type of slot i, for i < count.
template <class TypeOf>
void write_values(writer& w, const engine& e, const data_record* rec, std::size_t count, TypeOf type_of) {
  if (!rec) {
    w.u8(0);
    return;
  }
  w.u8(static_cast<std::uint8_t>(std::popcount(rec->present())));
  // The set slots in increasing order, by their bits (most records have a few of 64).
  for (std::uint64_t bits = rec->present(); bits != 0; bits &= bits - 1) {
    const auto s = static_cast<std::uint16_t>(std::countr_zero(bits));
    w.u8(static_cast<std::uint8_t>(s));
    const raw_value v = rec->get(s);
    if (s < count && type_of(s) == value_type::string && is_string_id(e, v)) {
      w.u8(1);
      w.str(e.text(v));
    } else {
      w.u8(0);
      w.i64(v);
    }
  }
}

bool read_values(reader& in, engine& e, data_record& rec) {
  rec.clear();
  const std::uint8_t n = in.u8();
  for (std::uint8_t i = 0; i < n && !in.failed(); ++i) {
    const std::uint8_t slot = in.u8();
    const std::uint8_t tag = in.u8();
    if (slot >= data_record::max_slots || tag > 1) return false;
    rec.set(slot, tag == 1 ? e.intern(in.str()) : in.i64());
  }
  return !in.failed();
}

// Replays one journal record through `e`.
store_status apply(engine& e, const journal_record& r, data_record& rec) {
  reader in(r.payload);
  bool ok = true;
  switch (static_cast<record_kind>(r.kind)) {
    case record_kind::create_case: {
      const flow_id f = in.u16();
      const std::string name(in.str());
      const timestamp at = in.i64();
      const bool has_init = in.u8() != 0;
      ok = read_values(in, e, rec) && in.at_end();
      if (ok) e.create_case(f, name, at, has_init ? &rec : nullptr);
      break;
    }
    case record_kind::post: {
      const case_id c = in.u32();
      const event_id ev = in.u16();
      const timestamp at = in.i64();
      ok = read_values(in, e, rec) && in.at_end();
      if (ok) e.post(c, ev, rec, at);
      break;
    }
    case record_kind::advance_to: {
      const timestamp t = in.i64();
      ok = !in.failed() && in.at_end();
      if (ok) e.advance_to(t);
      break;
    }
    case record_kind::publish: {
      std::vector<rules_source> sources(in.u32());
      if (in.failed() || sources.size() > r.payload.size()) {
        ok = false;
        break;
      }
      for (rules_source& src : sources) {
        src.file = std::string(in.str());
        src.text = std::string(in.str());
      }
      ok = !in.failed() && in.at_end();
      if (!ok) break;
      // Only accepted versions are journaled: a refusal now means other starting rules.
      const publish_result p = e.publish(sources);
      if (!p.accepted)
        return store_status::error(
            store_code::invalid,
            "journal record at seq " + std::to_string(r.seq) + " publishes version " + std::to_string(p.version) +
                " of the rules, which the engine refuses" +
                (p.diagnostics.empty() ? std::string() : ": " + to_string(p.diagnostics.front())) +
                " (open the store with the rules it started with)",
            r.seq);
      break;
    }
    default: ok = false;
  }
  if (!ok)
    return store_status::error(store_code::corrupted,
                               "journal record at seq " + std::to_string(r.seq) + " has a checksum but cannot be decoded",
                               r.seq);
  return {};
}

}  // namespace

durable_engine::durable_engine(std::shared_ptr<const rule_set> rules, std::unique_ptr<crmflow::store> store,
                               engine_options options, durable_options durable)
    : rules_(std::move(rules)), store_(std::move(store)), options_(std::move(options)), durable_(std::move(durable)) {
  if (durable_.audit_trail && store_->keeps_audit_trail()) {
    // The recorder listens in the host's observer's place and passes everything on to it.
    recorder_ = std::make_unique<audit_recorder>(options_.observer);
    options_.observer = recorder_.get();
  }
}

durable_engine::~durable_engine() = default;

open_durable_result durable_engine::open(std::shared_ptr<const rule_set> rules, std::unique_ptr<crmflow::store> store,
                                         engine_options options, durable_options durable) {
  if (!rules) return {store_status::error(store_code::invalid, "durable_engine: null rule set"), nullptr};
  if (!store) return {store_status::error(store_code::invalid, "durable_engine: null store"), nullptr};
  std::unique_ptr<durable_engine> d(new durable_engine(std::move(rules), std::move(store), std::move(options), durable));
  if (store_status s = d->recover(); !s) return {std::move(s), nullptr};
  return {store_status::success(), std::move(d)};
}

store_status durable_engine::recover() {
  std::optional<crmflow::snapshot> snap;
  if (store_status s = store_->load_snapshot(snap); !s) return s;
  // Replay silently: observers heard these inputs before the crash. A quiet engine replays,
  // then its state moves into one with the host's options.
  const bool observed = options_.observer || options_.audit_log;
  engine_options quiet = options_;
  quiet.observer = nullptr;
  quiet.audit_log = nullptr;
  auto e = std::make_unique<engine>(rules_, observed ? quiet : options_);
  if (snap)
    if (store_status s = decode_engine(snap->bytes, *e); !s)
      return store_status::error(s.code(), s.message() + " (snapshot covering seq " + std::to_string(snap->seq) + ")",
                                 snap->seq);
  const std::uint64_t from = snap ? snap->seq + 1 : 1;
  store_status failure;
  data_record rec;
  std::uint64_t replayed_to = from - 1;
  store_status s = store_->read(from, [&](const journal_record& r) {
    failure = apply(*e, r, rec);
    replayed_to = r.seq;
    return failure.ok();
  });
  if (!s) return s;
  if (!failure) return failure;
  if (replayed_to != store_->last_seq())
    return store_status::error(store_code::corrupted,
                               "journal ends at seq " + std::to_string(replayed_to) + ", expected " +
                                   std::to_string(store_->last_seq()),
                               replayed_to + 1);
  if (observed) e->set_observers(options_.observer, options_.audit_log);
  engine_ = std::move(e);
  snapshot_seq_ = snap ? snap->seq : 0;
  return {};
}

store_status durable_engine::abandon(store_status why) {
  store_->rollback();
  in_batch_ = false;
  if (store_status s = recover(); !s)
    return store_status::error(why.code(), why.message() + "; then rebuilding from the store failed: " + s.message(),
                               why.seq());
  return why;
}

store_status durable_engine::journal(record_kind kind) {
  record_.seq = store_->last_seq() + 1;
  record_.kind = static_cast<std::uint8_t>(kind);
  record_.checksum = record_checksum(record_.seq, record_.kind, record_.payload);
  store_status s = store_->append(record_);
  // With the audit trail the commit comes after the input is applied (finish_audit).
  if (s && !in_batch_ && !auditing()) s = store_->commit();
  if (!s) {
    // Nothing of this input was applied; a batch loses the inputs before it too.
    if (in_batch_) return abandon(std::move(s));
    store_->rollback();
  }
  return s;
}

void durable_engine::start_audit(std::string_view actor) {
  recorder_->set_actor(actor.empty() ? std::string_view(durable_.actor) : actor);
  recorder_->records().clear();
  recorder_->set_recording(true);
}

// Stages the input's record and those of what it caused, then commits outside a batch. On
// failure nothing of the input stays: the engine, which has applied it, is rebuilt.
store_status durable_engine::finish_audit(std::string input_record) {
  recorder_->set_recording(false);
  store_status s = store_->append_audit(input_record);
  for (const std::string& r : recorder_->records())
    if (s) s = store_->append_audit(r);
  recorder_->records().clear();
  if (s && !in_batch_) s = store_->commit();
  if (!s) return abandon(std::move(s));
  return s;
}

void durable_engine::after_commit() {
  if (durable_.snapshot_every != 0 && store_->last_seq() - snapshot_seq_ >= durable_.snapshot_every)
    snapshot_status_ = snapshot();
}

durable_result<create_result> durable_engine::create_case(flow_id f, std::string_view name, timestamp at,
                                                          const data_record* init, std::string_view actor) {
  record_.payload.clear();
  writer w(record_.payload);
  w.u16(f);
  w.str(name);
  w.i64(at);
  w.u8(init ? 1 : 0);
  const rule_set& newest = engine_->rules();
  const detail::flow_program* fl = f < newest.flow_count() ? &newest.flow(f) : nullptr;
  write_values(w, *engine_, init, fl ? fl->fields.size() : 0, [&](std::uint16_t s) { return fl->fields[s].type; });
  durable_result<create_result> r;
  r.stored = journal(record_kind::create_case);
  if (!r.stored) return r;
  if (auditing()) {
    start_audit(actor);
    const create_result made = engine_->create_case(f, name, at, init);
    r.stored = finish_audit(recorder_->create_record(*engine_, f, name, at, init, made));
    if (!r.stored) return r;
    r.value = made;
  } else {
    r.value = engine_->create_case(f, name, at, init);
  }
  if (!in_batch_) after_commit();
  return r;
}

durable_result<outcome> durable_engine::post(case_id c, event_id e, const data_record& data, timestamp at,
                                             std::string_view actor) {
  record_.payload.clear();
  writer w(record_.payload);
  w.u32(c);
  w.u16(e);
  w.i64(at);
  const detail::event_def* ev = nullptr;
  if (c < engine_->case_count()) {
    const detail::flow_program& fl = engine_->rules_of(c).flow(engine_->case_flow(c));
    if (e < fl.events.size()) ev = &fl.events[e];
  }
  write_values(w, *engine_, &data, ev ? ev->data.size() : 0, [&](std::uint16_t s) { return ev->data[s].type; });
  durable_result<outcome> r;
  r.stored = journal(record_kind::post);
  if (!r.stored) return r;
  if (auditing()) {
    start_audit(actor);
    const outcome o = engine_->post(c, e, data, at);
    r.stored = finish_audit(recorder_->post_record(*engine_, c, e, data, at, o.status));
    if (!r.stored) return r;
    r.value = o;
  } else {
    r.value = engine_->post(c, e, data, at);
  }
  if (!in_batch_) after_commit();
  return r;
}

durable_result<std::size_t> durable_engine::advance_to(timestamp t, std::string_view actor) {
  record_.payload.clear();
  writer w(record_.payload);
  w.i64(t);
  durable_result<std::size_t> r;
  r.stored = journal(record_kind::advance_to);
  if (!r.stored) return r;
  if (auditing()) {
    start_audit(actor);
    const std::size_t fired = engine_->advance_to(t);
    r.stored = finish_audit(recorder_->advance_record(*engine_, t));
    if (!r.stored) return r;
    r.value = fired;
  } else {
    r.value = engine_->advance_to(t);
  }
  if (!in_batch_) after_commit();
  return r;
}

durable_result<publish_result> durable_engine::publish(const std::vector<rules_source>& sources,
                                                       std::string_view actor) {
  durable_result<publish_result> r;
  r.value = engine_->publish(sources, true);
  if (!r.value.accepted) return r;
  record_.payload.clear();
  writer w(record_.payload);
  w.u32(static_cast<std::uint32_t>(sources.size()));
  for (const rules_source& src : sources) {
    w.str(src.file);
    w.str(src.text);
  }
  r.stored = journal(record_kind::publish);
  if (!r.stored) {
    r.value = {};
    return r;
  }
  if (auditing()) {
    start_audit(actor);
    publish_result p = engine_->publish(sources);
    r.stored = finish_audit(recorder_->publish_record(*engine_, p));
    if (!r.stored) return r;
    r.value = std::move(p);
  } else {
    r.value = engine_->publish(sources);
  }
  if (!in_batch_) after_commit();
  return r;
}

store_status durable_engine::begin_batch() {
  if (in_batch_) return store_status::error(store_code::invalid, "begin_batch: a batch is already open");
  in_batch_ = true;
  return {};
}

store_status durable_engine::commit_batch() {
  if (!in_batch_) return store_status::error(store_code::invalid, "commit_batch: no batch is open");
  if (store_status s = store_->commit(); !s) return abandon(std::move(s));
  in_batch_ = false;
  after_commit();
  return {};
}

store_status durable_engine::snapshot() {
  if (in_batch_) return store_status::error(store_code::invalid, "snapshot: a batch is open");
  const std::uint64_t seq = store_->last_seq();
  store_status s = store_->save_snapshot({seq, encode_engine(*engine_)});
  if (s) snapshot_seq_ = seq;
  return s;
}

}  // namespace crmflow
