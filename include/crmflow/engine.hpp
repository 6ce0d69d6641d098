// The engine: keeps every case's state and fields, runs events through the compiled flows,
// fires deadlines in time order and tells observers what happened.
//
// The event path (post, guards, actions, deadlines) is inline in this header so that a host's
// compiler can see through it. It allocates only when a container grows (new cases, more
// pending deadlines, longer history) and never compares strings. One engine is not
// thread-safe: use it from one thread at a time; several engines may share a rule_set.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crmflow/clock.hpp"
#include "crmflow/detail/clock_lifecycle.hpp"
#include "crmflow/detail/deadline_queue.hpp"
#include "crmflow/detail/decision.hpp"
#include "crmflow/detail/eval.hpp"
#include "crmflow/detail/string_pool.hpp"
#include "crmflow/export.hpp"
#include "crmflow/observer.hpp"
#include "crmflow/rule_set.hpp"
#include "crmflow/value.hpp"
#include "crmflow/versioning.hpp"

// Keeps rarely taken paths (refusals, observers, exit/entry machinery) out of the inlined event
// path, so that the common case stays small enough for the compiler to inline.
#if defined(__GNUC__)
#define CRMFLOW_DETAIL_COLD [[gnu::cold, gnu::noinline]]
#define CRMFLOW_DETAIL_INLINE [[gnu::always_inline]] inline
#define CRMFLOW_DETAIL_OUTLINE [[gnu::noinline]]
#else
#define CRMFLOW_DETAIL_COLD
#define CRMFLOW_DETAIL_INLINE inline
#define CRMFLOW_DETAIL_OUTLINE
#endif

namespace crmflow {

// Values keyed by slot: the data of an event, or the initial fields of a case. At most 64
// slots. Reuse one across calls: clear() keeps its storage, so steady-state use allocates nothing.
class data_record {
 public:
  static constexpr std::size_t max_slots = 64;

  void clear() noexcept { present_ = 0; }
  // Sets slot `s` to raw value `v` (strings: an id from engine::intern). Throws
  // std::out_of_range when s >= max_slots.
  void set(std::uint16_t s, raw_value v) {
    if (s >= max_slots) throw std::out_of_range("crmflow::data_record: slot out of range");
    if (s >= values_.size()) values_.resize(std::size_t{s} + 1);
    values_[s] = v;
    present_ |= std::uint64_t{1} << s;
  }
  bool has(std::uint16_t s) const noexcept { return s < max_slots && (present_ >> s & 1); }
  raw_value get(std::uint16_t s) const noexcept { return has(s) ? values_[s] : 0; }
  std::uint64_t present() const noexcept { return present_; }

 private:
  friend class engine;  // engine::fill_data reads a slot it has just found present
  std::uint64_t present_ = 0;
  std::vector<raw_value> values_;
};

// One step of a case's history (when engine_options::keep_history is on).
struct history_entry {
  timestamp at;
  event_id event;
  state_id from;
  state_id to;
  crmflow::cause why;
};

struct pending_deadline {
  timer_id timer;
  timestamp due;
};

// A running deadline with its place in the firing order: deadlines due at the same instant
// fire in increasing `order` (the order they were started). Only the relative order means
// anything; the numbers differ between an engine and its restored copy.
struct scheduled_deadline {
  case_id id;
  timer_id timer;
  timestamp due;
  std::uint64_t order;
};

// ---- SLA clocks (docs/rules.md, SLA clocks) ---------------------------------------------------

enum class clock_phase : std::uint8_t { idle, running, paused, stopped };

constexpr std::string_view to_string(clock_phase p) noexcept {
  switch (p) {
    case clock_phase::idle: return "idle";
    case clock_phase::running: return "running";
    case clock_phase::paused: return "paused";
    case clock_phase::stopped: return "stopped";
  }
  return "?";
}

// One clock of one case as saved (snapshot.hpp) and restored. `since`: when the current running
// or paused stretch began (the stop instant once stopped); `elapsed` / `paused`: the counted
// time of the running / paused stretches before it; `marks`: warnings and ladder levels
// reached, in the clock's order; `limit`: the limit in force; `calendar`: the calendar that
// counts (an index into rule_set::calendars(), or detail::no_calendar: calendar time).
struct clock_state {
  clock_phase phase = clock_phase::idle;
  std::uint16_t marks = 0;
  std::uint16_t calendar = detail::no_calendar;
  timestamp since = 0;
  duration elapsed = 0;
  duration paused = 0;
  duration limit = 0;

  friend bool operator==(const clock_state&, const clock_state&) = default;
};

// A clock as it reads at the engine's now().
struct clock_status {
  clock_phase phase = clock_phase::idle;
  duration elapsed = 0;     // counted running time (working time when a calendar counts)
  duration paused = 0;      // counted paused time, likewise
  duration limit = 0;       // the limit in force; 0 or less: none (a duration field not set)
  duration remaining = 0;   // max(limit - elapsed, 0)
  bool warned = false;      // the warning (warn_at) was reached
  std::uint16_t level = 0;  // the highest ladder level reached: 0 none, 1 the breach, 2, 3...
  std::optional<timestamp> next_due;  // running: when the next warning or level falls due
};

struct engine_options {
  // Keep every transition of every case for history(). Costs 24 bytes per transition.
  bool keep_history = true;
  // Told about everything that happens; not owned; may be null (the default: silent).
  crmflow::observer* observer = nullptr;
  // Audit trail: one line per record through this spdlog logger; null (the default) logs nothing.
  std::shared_ptr<spdlog::logger> audit_log;
  // Source of "now" for post_now() and advance(); not owned; null means the system clock.
  const crmflow::clock* clock = nullptr;
  // Offset used when timestamps are written into messages (China: +08:00).
  int display_utc_offset_minutes = 8 * 60;
  // Events emitted by rules while handling one posted or timer event, before the rest are
  // refused with status::emit_limit. Stops a loop written in the rules from hanging the engine.
  std::uint32_t max_emits_per_event = 64;
};

// What posting an event did.
struct outcome {
  crmflow::status status = status::accepted;
  state_id from = no_id16;
  state_id to = no_id16;  // equals `from` for an internal transition
  std::uint32_t transition = no_id32;

  bool accepted() const noexcept { return status == status::accepted; }
};

struct create_result {
  crmflow::status status = status::accepted;
  case_id id = no_id32;

  bool accepted() const noexcept { return status == status::accepted; }
};

class engine {
 public:
  // Throws std::invalid_argument if `rules` is null.
  explicit engine(std::shared_ptr<const rule_set> rules, engine_options options = {})
      : rules_(std::move(rules)), options_(std::move(options)) {
    if (!rules_) throw std::invalid_argument("crmflow::engine: null rule set");
    strings_ = rules_->literals();
    if (options_.audit_log) audit_ = make_audit_observer(options_.audit_log);
    observed_ = options_.observer != nullptr || audit_ != nullptr;
    add_version(rules_);
  }

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  engine(engine&&) = default;
  engine& operator=(engine&&) = default;

  // ---- cases ----------------------------------------------------------------------------------

  // Creates a case on flow `f` at time `at`, named `name` (may be empty: an anonymous case,
  // reachable only by its id), with fields from `init` (slots are field ids) over the
  // defaults. Deadlines due before `at` fire first. Runs the initial state's entry actions and
  // starts its timers; counts the entry for the triggers on the initial state (those that fire
  // raise their alarm now and open their case once this call's own work is done). Refused
  // (and nothing created) for an unknown flow, a taken name, a time
  // before now() or bad field values. O(fields + timers), amortised.
  // The case runs on the newest version (publish) for the rest of its life, unless a later
  // version migrates it; `f` is a flow id of rules() (the newest).
  create_result create_case(flow_id f, std::string_view name, timestamp at,
                            const data_record* init = nullptr) {
    return create_on(newest_, f, name, at, init);
  }
  // Posts event `e` of the case's flow with `data` (slots are the event's data ids) at `at`.
  // First fires every deadline due strictly before `at` (of all cases), so an event at exactly
  // a deadline's instant counts as in time. Returns accepted with the transition, or why it
  // was refused; a refused event changes nothing on the case. O(guards + actions) plus the
  // deadlines it fires.
  //
  // Inline, and the common case is short: with no deadline due, a known case and no observer,
  // history or trigger, the event is checked and taken from the loader's compact table right
  // here (post_quiet); everything else (refusals, deadlines to fire first, observed engines)
  // goes through post_checked, out of line, which makes the same checks in the order above.
  CRMFLOW_DETAIL_INLINE outcome post(case_id c, event_id e, const data_record& data, timestamp at) {
    // One comparison for a quiet engine and a known case (quiet_bytes_).
    const std::size_t offset = std::size_t{c} * sizeof(case_record);
    if (at < now_ || deadlines_.any_due(at, false) || offset >= quiet_bytes_) [[unlikely]]
      return post_checked(c, e, data, at);
    now_ = at;
    case_record& rec = *reinterpret_cast<case_record*>(reinterpret_cast<char*>(cases_.data()) + offset);
    if (e >= rec.events) [[unlikely]] return reject(c, e, at, status::unknown_event, cause::posted);
    const detail::dispatch_cell* const cell = rec.row + e;
    raw_value values[data_record::max_slots];
    if (cell->event_data != 0 ? !fill_data(program(rec), e, data, values) : data.present() != 0) [[unlikely]]
      return reject(c, e, at, status::bad_data, cause::posted);
    return post_quiet(c, rec, cell, e, values);
  }

  // post() at the clock's current time.
  outcome post_now(case_id c, event_id e, const data_record& data) { return post(c, e, data, clock_now()); }

  // Fires, in time order, every deadline due at or before `t`, then sets now() to `t`. A `t`
  // before now() does nothing. Returns the number of deadlines fired.
  std::size_t advance_to(timestamp t) {
    if (t < now_) return 0;
    const std::size_t fired = fire_due(t, true);
    now_ = t;
    return fired;
  }

  // advance_to() the clock's current time.
  std::size_t advance() { return advance_to(clock_now()); }

  // ---- queries (throw std::out_of_range for an unknown case) ---------------------------------

  std::size_t case_count() const noexcept { return cases_.size(); }
  // The case with this name. One hash lookup.
  std::optional<case_id> find_case(std::string_view name) const {
    const case_id c = names_.find(name);
    if (c == no_id32) return std::nullopt;
    return c;
  }
  std::string_view case_name(case_id c) const { return names_.at(c); }
  // The case's flow, state, fields, timers and events are ids of the rule set it runs on,
  // rules_of(c), which is rules() unless the case started on an older version.
  flow_id case_flow(case_id c) const { return cases_.at(c).flow; }
  const rule_set& rules_of(case_id c) const { return *versions_[cases_.at(c).version].rules; }
  std::uint32_t case_version(case_id c) const { return rules_of(c).version(); }
  state_id state(case_id c) const { return cases_.at(c).state; }
  std::string_view state_name(case_id c) const {
    const case_record& r = cases_.at(c);
    return program(r).states[r.state].name;
  }
  bool is_final(case_id c) const {
    const case_record& r = cases_.at(c);
    return program(r).states[r.state].final;
  }
  // Raw value of a field; throws std::out_of_range for an unknown field.
  raw_value field(case_id c, field_id f) const {
    const case_record& r = cases_.at(c);
    if (f >= program(r).fields.size()) throw std::out_of_range("crmflow: unknown field");
    return fields_[r.fields + f];
  }
  // A field as text: strings as written, enums by name, timestamps as RFC 3339 in the display
  // offset, durations like `24h`.
  CRMFLOW_EXPORT std::string field_text(case_id c, field_id f) const;
  // Transitions of the case, oldest first. Empty when keep_history is off. O(history length).
  std::vector<history_entry> history(case_id c) const {
    std::vector<history_entry> out;
    for (std::uint32_t i = cases_.at(c).history; i != no_id32; i = history_[i].prev)
      out.push_back(history_[i].entry);
    return {out.rbegin(), out.rend()};
  }
  // Running deadlines of the case, in timer order.
  std::vector<pending_deadline> deadlines(case_id c) const {
    const case_record& r = cases_.at(c);
    std::vector<pending_deadline> out;
    const std::size_t n = program(r).timers.size();
    for (std::size_t t = 0; t < n; ++t)
      if (const std::uint32_t h = timer_handles_[r.timers + t]; h != no_id32)
        out.push_back({static_cast<timer_id>(t), deadlines_.due(h)});
    return out;
  }

  // SLA clock `k` of the case's flow (rule_set::find_clock) as it reads at now(): phase,
  // elapsed and paused time counted up to now(), limit, remaining, warning and level reached,
  // and when the next warning or level falls due. Throws std::out_of_range for an unknown case
  // or clock. O(1), plus O(log) calendar queries for a clock counting working time.
  clock_status read_clock(case_id c, clock_id k) const {
    const case_record& r = cases_.at(c);
    const detail::flow_program& fl = program(r);
    if (k >= fl.clocks.size()) throw std::out_of_range("crmflow: unknown clock");
    const clock_slot& s = clocks_[r.clocks + k];
    const detail::clock_def& cd = fl.clocks[k];
    clock_status out;
    out.phase = clock_phase_of(s);
    if (out.phase == clock_phase::idle) {
      out.limit = cd.limit_field == no_id16 ? cd.limit : fields_[r.fields + cd.limit_field];
      out.remaining = std::max<duration>(out.limit, 0);
      return out;
    }
    out.elapsed = s.elapsed + (out.phase == clock_phase::running ? counted(c, s, s.since, now_) : 0);
    out.paused = s.paused + (out.phase == clock_phase::paused ? counted(c, s, s.since, now_) : 0);
    out.limit = s.limit;
    out.remaining = out.limit > out.elapsed ? out.limit - out.elapsed : 0;
    const std::uint16_t marks = clock_machines_.marks(s.machine);
    for (std::uint16_t m = 0; m < marks && m < cd.marks_count; ++m) {
      const std::uint16_t level = fl.clock_marks[cd.marks_first + m].level;
      if (level == 0) out.warned = true;
      else out.level = level;
    }
    if (s.deadline != no_id32) out.next_due = deadlines_.due(s.deadline);
    return out;
  }

  // ---- saving and restoring state (snapshot.hpp); not for the event path ---------------------

  // Clock `k` of case `c` as saved in a snapshot. Throws std::out_of_range for an unknown case
  // or clock. O(1).
  clock_state saved_clock(case_id c, clock_id k) const {
    const case_record& r = cases_.at(c);
    if (k >= program(r).clocks.size()) throw std::out_of_range("crmflow: unknown clock");
    const clock_slot& s = clocks_[r.clocks + k];
    clock_state out;
    out.phase = clock_phase_of(s);
    if (out.phase == clock_phase::idle) return out;
    out.marks = clock_machines_.marks(s.machine);
    out.calendar = s.calendar;
    out.since = s.since;
    out.elapsed = s.elapsed;
    out.paused = s.paused;
    out.limit = s.limit;
    return out;
  }

  // Sets clock `k` of a restored case (restore_case) to `st`, driving its lifecycle machine
  // through the same phases; runs nothing and schedules nothing (restore_deadline does). False,
  // and nothing done, for an unknown case or clock, a clock already set, more marks than the
  // clock has, or an unknown calendar. O(marks).
  bool restore_clock(case_id c, clock_id k, const clock_state& st) {
    if (c >= cases_.size()) return false;
    const detail::flow_program& fl = program(cases_[c]);
    if (k >= fl.clocks.size() || st.marks > fl.clocks[k].marks_count) return false;
    if (st.calendar != detail::no_calendar && st.calendar >= case_rules(c).calendars().size()) return false;
    clock_slot& s = clocks_[cases_[c].clocks + k];
    if (s.machine != no_id32) return false;
    if (st.phase == clock_phase::idle) return st == clock_state{};
    s.machine = clock_machines_.acquire();
    clock_machines_.start(s.machine);
    for (std::uint16_t m = 0; m < st.marks; ++m) clock_machines_.mark(s.machine);
    if (st.phase == clock_phase::paused) clock_machines_.pause(s.machine);
    if (st.phase == clock_phase::stopped) clock_machines_.stop(s.machine);
    s.calendar = st.calendar;
    s.since = st.since;
    s.elapsed = st.elapsed;
    s.paused = st.paused;
    s.limit = st.limit;
    return true;
  }


  // Every running deadline of every case, in start order. O(slots + n log n), n running.
  std::vector<scheduled_deadline> scheduled_deadlines() const {
    std::vector<scheduled_deadline> out;
    out.reserve(deadlines_.pending());
    deadlines_.for_each_running([&](case_id c, timer_id t, timestamp due, std::uint64_t order) {
      out.push_back({c, t, due, order});
    });
    std::sort(out.begin(), out.end(), [](const scheduled_deadline& a, const scheduled_deadline& b) {
      return a.order < b.order;
    });
    return out;
  }

  // Recreates a case exactly as it was: flow, name, state, every field (`fields`: one raw value
  // per field of the flow, strings interned in this engine; null = the defaults) and its
  // history, oldest first (dropped when keep_history is off). Runs no action, starts no timer
  // (see restore_deadline) and tells no observer. Ids are given in call order, so restore cases
  // in id order. Refused with unknown_flow, duplicate_case, or bad_data (a state out of range,
  // a field value invalid for its type). O(fields + history).
  create_result restore_case(flow_id f, std::string_view name, state_id s, const raw_value* fields,
                             std::span<const history_entry> history = {}) {
    return restore_case_on(newest_, f, name, s, fields, history);
  }
  // As restore_case, on version slot `v` (restore_versions); unknown_flow for a slot without rules.
  create_result restore_case_on(std::uint16_t v, flow_id f, std::string_view name, state_id s,
                                const raw_value* fields, std::span<const history_entry> history = {}) {
    if (v >= versions_.size() || !versions_[v].rules || f >= versions_[v].rules->flow_count())
      return {status::unknown_flow, no_id32};
    const detail::flow_program& fl = versions_[v].rules->flow(f);
    if (s >= fl.states.size()) return {status::bad_data, no_id32};
    if (fields) {
      const auto strings = static_cast<raw_value>(strings_.size());  // once, not per string field
      for (std::size_t i = 0; i < fl.fields.size(); ++i) {
        const detail::field_def& d = fl.fields[i];
        if (d.type == value_type::string ? fields[i] < 0 || fields[i] >= strings
                                         : !valid_value(fl, d.type, d.enum_index, fields[i]))
          return {status::bad_data, no_id32};
      }
    }
    const auto id = static_cast<case_id>(cases_.size());
    if (names_.contains(name)) return {status::duplicate_case, no_id32};
    case_record rec;
    rec.flow = f;
    rec.version = v;
    enter(rec, fl, s);
    rec.fields = static_cast<std::uint32_t>(fields_.size());
    rec.timers = static_cast<std::uint32_t>(timer_handles_.size());
    if (fields) fields_.insert(fields_.end(), fields, fields + fl.fields.size());
    else
      for (const detail::field_def& d : fl.fields) fields_.push_back(d.initial);
    timer_handles_.resize(timer_handles_.size() + fl.timers.size(), no_id32);
    rec.clocks = static_cast<std::uint32_t>(clocks_.size());
    clocks_.resize(clocks_.size() + fl.clocks.size());
    if (options_.keep_history)
      for (const history_entry& h : history) {
        history_.push_back({h, rec.history});
        rec.history = static_cast<std::uint32_t>(history_.size() - 1);
      }
    cases_.push_back(rec);
    refresh_quiet_bytes();
    names_.emplace_back(name);
    ++versions_[v].cases;
    if (!fl.states[s].final) ++versions_[v].live;
    return {status::accepted, id};
  }

  // Makes room for `cases` more restored cases holding `fields` field values, `timers` timer
  // handles and `clocks` SLA clocks in all, `named` of them with a name, so that restoring a
  // large snapshot neither regrows nor rehashes. A hint: restoring more is still correct.
  // Throws std::bad_alloc.
  void restore_reserve(std::size_t cases, std::size_t fields, std::size_t timers, std::size_t clocks,
                       std::size_t named) {
    cases_.reserve(cases_.size() + cases);
    fields_.reserve(fields_.size() + fields);
    timer_handles_.reserve(timer_handles_.size() + timers);
    clocks_.reserve(clocks_.size() + clocks);
    names_.reserve(cases, named);
  }

  // Starts timer `t` of case `c`, due at `due`, without running anything. Call in the saved
  // start order (scheduled_deadlines()): deadlines due at one instant fire in call order.
  // False, and nothing done, for an unknown case or timer or a timer already running.
  // A timer id of timers.size() + k is clock k's next warning or level (scheduled_deadlines()
  // lists those too): restore the clock first (restore_clock); false unless it is running.
  bool restore_deadline(case_id c, timer_id t, timestamp due) {
    if (c >= cases_.size()) return false;
    const detail::flow_program& fl = program(cases_[c]);
    if (t >= fl.timers.size()) {
      const std::size_t k = t - fl.timers.size();
      if (k >= fl.clocks.size()) return false;
      clock_slot& s = clocks_[cases_[c].clocks + k];
      if (s.deadline != no_id32 || clock_phase_of(s) != clock_phase::running) return false;
      s.deadline = deadlines_.start(c, t, due, no_id32);
      return true;
    }
    std::uint32_t& handle = timer_handles_[cases_[c].timers + t];
    if (handle != no_id32) return false;
    handle = deadlines_.start(c, t, due, handle);
    return true;
  }

  // Replaces the observer and the audit log (as in engine_options), for a host that rebuilds
  // an engine silently (replaying a journal) and then listens. Not while handling an event.
  void set_observers(crmflow::observer* o, std::shared_ptr<spdlog::logger> audit_log) {
    options_.observer = o;
    options_.audit_log = std::move(audit_log);
    audit_ = options_.audit_log ? make_audit_observer(options_.audit_log) : nullptr;
    observed_ = options_.observer != nullptr || audit_ != nullptr;
    quiet_ = !observed_ && !options_.keep_history && !triggered_;
    refresh_quiet_bytes();
  }

  // ---- rule versions (versioning.hpp, docs/api.md "Rule versions") -----------------------------

  // Loads `sources` as a new version of the running rule set and makes it the newest: cases
  // created from now on run on it; running cases stay on their version, except those that a
  // `migrations:` item of the new version moves (state, fields and timers mapped, each told to
  // observers as on_migrated). Refused, with nothing changed, when the rules have errors,
  // name another rule set, are not a higher version than the newest, or a migration does not
  // fit a loaded version (an old state or field it cannot map). A version stays loaded while
  // cases on it have not reached a final state; the newest always stays. `check_only`: every
  // check, but nothing changes (what durable_engine journals is known to be accepted).
  // Cost: loading the rules (the engine's string pool is copied as the loader's seed) plus
  // O(cases on migrated versions); not for the event path. Throws only std::bad_alloc.
  CRMFLOW_EXPORT publish_result publish(const std::vector<rules_source>& sources, bool check_only = false);

  // The loaded versions, oldest first, with their live cases. O(versions).
  std::vector<version_info> versions() const {
    std::vector<version_info> out;
    for (std::size_t v = 0; v < versions_.size(); ++v)
      if (versions_[v].loaded)
        out.push_back({versions_[v].rules->version(), versions_[v].live, v == newest_});
    return out;
  }

  // For snapshots (snapshot.hpp): the version slot a case is on, and each slot's rules (null
  // for a slot whose version was released with no case left on it) and whether it is loaded
  // (a slot only closed cases still use keeps its rules for their queries but is not loaded).
  std::uint16_t case_slot(case_id c) const { return cases_.at(c).version; }
  std::size_t slot_count() const noexcept { return versions_.size(); }
  std::shared_ptr<const rule_set> slot_rules(std::size_t v) const { return versions_.at(v).rules; }
  bool slot_loaded(std::size_t v) const { return versions_.at(v).loaded; }
  std::size_t newest_slot() const noexcept { return newest_; }
  // Replaces the version table of an engine without cases by `slots` (rules compiled for this
  // engine's string pool, see compile_version), the newest being slots[newest]. False, and
  // nothing done, if the engine has cases or the table is not valid (newest null, names differ,
  // versions not increasing).
  CRMFLOW_EXPORT bool restore_versions(std::vector<std::shared_ptr<const rule_set>> slots, std::size_t newest,
                                       const std::vector<bool>& loaded);
  // Loads `sources` against this engine's string pool, without publishing it, for
  // restore_versions; the new version's string literals are added to the pool.
  CRMFLOW_EXPORT load_result compile_version(const std::vector<rules_source>& sources);

  // Sets now() to `t` without firing anything, for restoring a saved engine.
  void restore_now(timestamp t) noexcept { now_ = t; }

  // The triggers' live windows, and per trigger how many cases it has opened (which numbers
  // the next "<trigger>-<n>"): what a snapshot saves besides the cases. Each rule version
  // (slot, see slot_count) has its own; the forms without a slot are the newest's. Empty
  // without triggers. The mutable forms are for restoring a saved engine, before any input.
  const trigger_state& trigger_windows(std::size_t slot) const { return versions_.at(slot).trig; }
  const trigger_state& trigger_windows() const noexcept { return versions_[newest_].trig; }
  trigger_state& trigger_windows_for_restore(std::size_t slot) { return versions_.at(slot).trig; }
  trigger_state& trigger_windows_for_restore() noexcept { return versions_[newest_].trig; }
  std::span<const std::uint32_t> trigger_open_counts(std::size_t slot) const { return versions_.at(slot).open_counts; }
  std::span<const std::uint32_t> trigger_open_counts() const noexcept { return versions_[newest_].open_counts; }
  // False, and nothing done, for an unknown slot or trigger.
  bool restore_trigger_open_count(std::size_t slot, trigger_id t, std::uint32_t n) noexcept {
    if (slot >= versions_.size() || t >= versions_[slot].open_counts.size()) return false;
    versions_[slot].open_counts[t] = n;
    return true;
  }
  bool restore_trigger_open_count(trigger_id t, std::uint32_t n) noexcept {
    return restore_trigger_open_count(newest_, t, n);
  }

  timestamp now() const noexcept { return now_; }
  std::size_t pending_deadlines() const noexcept { return deadlines_.pending(); }
  // The newest version: new cases run on it (see rules_of for a case's own).
  const rule_set& rules() const noexcept { return *rules_; }
  std::shared_ptr<const rule_set> rules_ptr() const noexcept { return rules_; }
  const engine_options& options() const noexcept { return options_; }

  // String values: the id for a text (added if new; allocates then) and the text of an id.
  raw_value intern(std::string_view text) { return strings_.intern(text); }
  std::string_view text(raw_value id) const { return strings_.text(id); }

  // Renders template `t` of flow `f` for case `c` into `out` (cleared first).
  CRMFLOW_EXPORT void render(case_id c, std::uint32_t t, std::string& out) const;

 private:
  struct case_record {
    flow_id flow = 0;
    state_id state = 0;
    std::uint16_t version = 0;  // slot in versions_
    std::uint16_t events = 0;   // program(*this).event_count (at most max_ids), read by post()
    std::uint32_t fields = 0;   // first value in fields_
    std::uint32_t timers = 0;   // first handle in timer_handles_
    std::uint32_t history = no_id32;
    std::uint32_t clocks = 0;   // first slot in clocks_
    // program(*this).row(state): post() reaches the event's cell from here, without looking up
    // the flow. Its rule set lives as long as a case on it does (version_slot).
    const detail::dispatch_cell* row = nullptr;
  };

  // Every change of a case's state or flow goes through here (or, in post_quiet, follows the
  // cell's to and to_delta), so that row and events stay those of the state and its flow.
  static void enter(case_record& rec, const detail::flow_program& fl, state_id s) noexcept {
    rec.state = s;
    rec.events = static_cast<std::uint16_t>(fl.event_count);
    rec.row = fl.row(s);
  }

  // One SLA clock of one case; see clock_state for since / elapsed / paused.
  struct clock_slot {
    std::uint32_t machine = no_id32;   // its lifecycle machine; none: idle, never started
    std::uint32_t deadline = no_id32;  // the next warning or level on deadlines_, if scheduled
    std::uint16_t calendar = detail::no_calendar;
    timestamp since = 0;
    duration elapsed = 0;
    duration paused = 0;
    duration limit = 0;
  };

  // Case names, and the case of a name. Nothing is kept while no case has a name (an anonymous
  // case costs nothing here); from the first named case on, 8 bytes a case plus the names'
  // bytes in one buffer, and an open-addressing index of 8 bytes a slot (at most half full) of
  // the named ones: no allocation per name, so restoring a million named cases is a few
  // appends. Ids are given in emplace_back order.
  class case_names {
   public:
    // Adds the next case (id = the number added so far) with `name`, "" for none. The caller
    // checks find(name) first: names are unique. Amortised O(name).
    void emplace_back(std::string_view name) {
      if (!name.empty() || !ends_.empty()) {
        if (ends_.size() < count_) ends_.resize(count_, chars_.size());  // the unnamed ones before
        chars_.append(name);
        ends_.push_back(chars_.size());
        if (!name.empty()) add(static_cast<std::uint32_t>(count_), hash(name));
      }
      ++count_;
    }
    std::string_view at(case_id c) const {
      if (c >= count_) throw std::out_of_range("crmflow: unknown case");
      return c < ends_.size() ? text(c) : std::string_view{};
    }
    // The case named `name` (not ""), or no_id32. O(1) expected; allocates nothing.
    case_id find(std::string_view name) const {
      if (slots_.empty() || name.empty()) return no_id32;
      const std::size_t h = hash(name);
      const std::size_t mask = slots_.size() - 1;
      for (std::size_t i = static_cast<std::uint32_t>(h) & mask;; i = (i + 1) & mask) {
        const slot& s = slots_[i];
        if (s.id == no_id32) return no_id32;
        if (s.hash == static_cast<std::uint32_t>(h) && text(s.id) == name) return s.id;
      }
    }
    bool contains(std::string_view name) const { return find(name) != no_id32; }
    // Room for `cases` more cases, `named` of them named (restoring a snapshot).
    void reserve(std::size_t cases, std::size_t named) {
      if (named == 0) return;
      ends_.reserve(count_ + cases);
      grow(named_count_ + named);
    }

   private:
    struct slot {
      std::uint32_t id = no_id32;
      std::uint32_t hash = 0;  // the low bits of the name's hash: most probes compare no text
    };
    static std::size_t hash(std::string_view name) noexcept { return std::hash<std::string_view>{}(name); }
    std::string_view text(std::size_t c) const {
      const std::size_t begin = c == 0 ? 0 : ends_[c - 1];
      return std::string_view(chars_).substr(begin, ends_[c] - begin);
    }
    // Makes the table at least twice `n`, a power of two.
    void grow(std::size_t n) {
      std::size_t size = slots_.empty() ? 16 : slots_.size();
      while (size < 2 * n) size *= 2;
      if (size == slots_.size()) return;
      std::vector<slot> old(size);
      old.swap(slots_);
      for (const slot& s : old)
        if (s.id != no_id32) place(s);
    }
    void add(std::uint32_t id, std::size_t h) {
      grow(named_count_ + 1);
      place({id, static_cast<std::uint32_t>(h)});
      ++named_count_;
    }
    // Positions use the stored 32 bits, so growing rehashes no text (tables stay below 2^32).
    void place(slot s) {
      const std::size_t mask = slots_.size() - 1;
      std::size_t i = s.hash & mask;
      while (slots_[i].id != no_id32) i = (i + 1) & mask;
      slots_[i] = s;
    }

    std::string chars_;                // the names back to back
    std::vector<std::size_t> ends_;    // per case from the first named one: end of its name
    std::vector<slot> slots_;          // named cases by name
    std::size_t named_count_ = 0;
    std::size_t count_ = 0;
  };

  struct history_node {
    history_entry entry;
    std::uint32_t prev;
  };

  struct pending_emit {
    case_id owner;
    event_id event;
    std::uint32_t data;  // first value in emit_data_
  };

  timestamp clock_now() const {
    if (options_.clock) return options_.clock->now();
    return system_clock{}.now();
  }

  template <class F>
  void notify_observers(F&& f) {
    if (!observed_) return;
    if (options_.observer) f(*options_.observer);
    if (audit_) f(*audit_);
  }
  bool observed() const noexcept { return observed_; }

  CRMFLOW_DETAIL_COLD outcome reject(case_id c, event_id e, timestamp at, status why, cause origin) {
    const flow_id f = c < cases_.size() ? cases_[c].flow : no_id16;
    notify_observers([&](observer& o) { o.on_rejected(*this, {c, at, f, e, why, origin}); });
    const state_id s = c < cases_.size() ? cases_[c].state : no_id16;
    return {why, s, s, no_id32};
  }

  // create_case on version slot `v` (trigger cases open on their trigger's version).
  create_result create_on(std::uint16_t v, flow_id f, std::string_view name, timestamp at,
                          const data_record* init) {
    const rule_set& rules = *versions_[v].rules;
    if (f >= rules.flow_count()) return {status::unknown_flow, no_id32};
    if (at < now_) return {status::time_backwards, no_id32};
    if (names_.contains(name)) return {status::duplicate_case, no_id32};
    const detail::flow_program& fl = rules.flow(f);
    if (init && !valid_fields(fl, *init)) return {status::bad_data, no_id32};
    fire_due(at, false);
    now_ = at;

    const auto id = static_cast<case_id>(cases_.size());
    case_record rec;
    rec.flow = f;
    rec.version = v;
    enter(rec, fl, fl.initial);
    rec.fields = static_cast<std::uint32_t>(fields_.size());
    rec.timers = static_cast<std::uint32_t>(timer_handles_.size());
    for (std::size_t i = 0; i < fl.fields.size(); ++i)
      fields_.push_back(init && init->has(static_cast<std::uint16_t>(i)) ? init->get(static_cast<std::uint16_t>(i))
                                                                         : fl.fields[i].initial);
    timer_handles_.resize(timer_handles_.size() + fl.timers.size(), no_id32);
    rec.clocks = static_cast<std::uint32_t>(clocks_.size());
    clocks_.resize(clocks_.size() + fl.clocks.size());
    cases_.push_back(rec);
    refresh_quiet_bytes();
    names_.emplace_back(name);
    ++versions_[v].cases;
    ++versions_[v].live;

    notify_observers([&](observer& o) { o.on_created(*this, {id, at, f, fl.initial, opened_by_, opened_trigger_}); });
    emitted_ = 0;
    run_state_entry(id, fl, fl.initial, fl.states[fl.initial].groups, nullptr);
    if (!fl.clocks.empty()) [[unlikely]] step_clocks(id, fl, no_id16, no_id16, fl.initial, false);
    if (triggered_) [[unlikely]] count_triggers(id, no_id16, fl.initial, true);
    drain_emits();
    return {status::accepted, id};
  }

  bool valid_value(const detail::flow_program& fl, value_type t, std::uint32_t enum_index,
                   raw_value v) const noexcept {
    switch (t) {
      case value_type::boolean: return v == 0 || v == 1;
      case value_type::enumeration:
        return v >= 0 && static_cast<std::size_t>(v) < fl.enums[enum_index].values.size();
      case value_type::string: return v >= 0 && static_cast<std::size_t>(v) < strings_.size();
      default: return true;
    }
  }

  bool valid_fields(const detail::flow_program& fl, const data_record& init) const noexcept {
    const std::size_t n = fl.fields.size();
    if (n < 64 && (init.present() >> n) != 0) return false;
    for (std::size_t i = 0; i < n; ++i) {
      const auto s = static_cast<std::uint16_t>(i);
      if (init.has(s) && !valid_value(fl, fl.fields[i].type, fl.fields[i].enum_index, init.get(s)))
        return false;
    }
    return true;
  }

  // Whether `v` is an id of the string pool. Out of line: the pool's size is a deque's, some
  // twenty instructions, which the compiler would otherwise compute for every event with data.
  CRMFLOW_DETAIL_OUTLINE bool interned(raw_value v) const noexcept {
    return v >= 0 && static_cast<std::uint64_t>(v) < strings_.size();
  }

  // Copies the event's data with defaults filled in; false if a required item is missing, an
  // undeclared one is present, or a value is invalid for its type (valid_value, through the
  // loader's event_shapes/data_checks: an event without data costs two mask tests).
  CRMFLOW_DETAIL_OUTLINE bool fill_data(const detail::flow_program& fl, event_id e, const data_record& in,
                 raw_value* out) const noexcept {
    const detail::event_shape& es = fl.event_shapes[e];
    const std::uint64_t present = in.present();
    if (((present & ~es.allowed) | (es.required & ~present)) != 0) return false;
    const detail::data_check* const d = fl.data_checks.data() + es.data_first;
    for (std::uint32_t i = 0; i < es.data_count; ++i) {
      raw_value v = d[i].initial;
      if (present >> i & 1) {
        v = in.values_[i];  // present, so set() sized values_ past it
        switch (d[i].kind) {
          case detail::data_check_kind::any: break;
          case detail::data_check_kind::bounded:
            if (v < 0 || static_cast<std::uint64_t>(v) >= d[i].bound) return false;
            break;
          case detail::data_check_kind::string:
            // Not interned(): a call here would make this a non-leaf function, which then saves
            // and restores six registers on every event with data.
            if (v < 0 || static_cast<std::uint64_t>(v) >= strings_.size()) return false;
            break;
        }
      }
      out[i] = v;
    }
    return true;
  }

  raw_value* case_fields(case_id c) noexcept { return fields_.data() + cases_[c].fields; }

  // The compiled flow a case runs: one more indirection than a single rule set (the version).
  const detail::flow_program& program(const case_record& r) const noexcept { return programs_[r.version][r.flow]; }
  const rule_set& case_rules(case_id c) const noexcept { return *versions_[cases_[c].version].rules; }

  // A loaded (or closed-cases-only) version of the rule set.
  struct version_slot {
    std::shared_ptr<const rule_set> rules;
    std::size_t cases = 0;  // cases on it, closed ones included (they need it for queries)
    std::size_t live = 0;   // cases on it not in a final state
    bool loaded = true;     // false once released: no live case and not the newest
    trigger_state trig{std::span<const trigger_def>{}};  // its triggers' windows
    std::vector<std::uint32_t> open_counts;  // per trigger: cases opened so far (for names)
  };

  void add_version(std::shared_ptr<const rule_set> rules) {
    version_slot slot;
    slot.rules = std::move(rules);
    if (!slot.rules->triggers().empty()) {
      slot.trig = trigger_state(slot.rules->triggers().defs());
      slot.open_counts.assign(slot.rules->triggers().size(), 0);
    }
    programs_.push_back(slot.rules->flows().data());
    versions_.push_back(std::move(slot));
    newest_ = static_cast<std::uint16_t>(versions_.size() - 1);
    rules_ = versions_[newest_].rules;
    refresh_flags();
  }

  void refresh_quiet_bytes() noexcept { quiet_bytes_ = quiet_ ? cases_.size() * sizeof(case_record) : 0; }

  void refresh_flags() {
    triggered_ = false;
    for (const version_slot& v : versions_) triggered_ |= v.loaded && v.rules && !v.rules->triggers().empty();
    quiet_ = !observed_ && !options_.keep_history && !triggered_;
    refresh_quiet_bytes();
  }

  // A case reached a final state: its version may now be released.
  CRMFLOW_DETAIL_COLD void case_closed(case_id c) {
    const std::uint16_t v = cases_[c].version;
    if (--versions_[v].live == 0 && v != newest_) release(v);
  }
  // Only marked here: the closing transition may still count triggers and open cases of this
  // version. The next publish() frees its trigger windows; its rules stay while closed cases
  // on it remain (their queries read names from them).
  void release(std::uint16_t v) { versions_[v].loaded = false; }
  struct migration_plan;  // src/engine/versions.cpp
  void migrate_case(case_id c, std::uint16_t to, const migration_plan& plan);

  // post() once the event is checked, with no observer, no history and no triggers (quiet_):
  // `cell` is the (state, event) cell of the loader's compact table (detail::dispatch_cell).
  // When the table can take the event, the first candidate whose guard holds is taken right
  // here; otherwise the general path decides. Same outcome, fields and state as dispatch().
  CRMFLOW_DETAIL_INLINE outcome post_quiet(case_id c, case_record& rec, const detail::dispatch_cell* cell, event_id e,
                                           const raw_value* data) {
    raw_value* const fields = fields_.data() + rec.fields;
    const state_id from = rec.state;
    if (cell->kind == detail::cell_kind::add) [[likely]] {
      fields[cell->action_field] = static_cast<raw_value>(static_cast<std::uint64_t>(fields[cell->action_a]) +
                                                          static_cast<std::uint64_t>(cell->action_imm));
      rec.state = cell->to;
      rec.row = next_row(cell);
      return accepted_outcome(from, cell->to, cell->transition);
    }
    if (cell->kind == detail::cell_kind::general) [[unlikely]] return post_general(c, e, data);
    while (cell->guard != detail::fast_op::none) {
      if (detail::fast_value(cell->guard, cell->guard_a, cell->guard_imm, {fields, data, now_}) != 0) break;
      if (cell->next == no_id32) return reject(c, e, now_, status::guard_false, cause::posted);
      cell = program(rec).dispatch_cells.data() + cell->next;
    }
    if (cell->action == detail::fast_op::field_add)
      fields[cell->action_field] = static_cast<raw_value>(static_cast<std::uint64_t>(fields[cell->action_a]) +
                                                          static_cast<std::uint64_t>(cell->action_imm));
    else if (cell->action != detail::fast_op::none)
      fields[cell->action_field] = detail::fast_value(cell->action, cell->action_a, cell->action_imm,
                                                      {fields, data, now_});
    rec.state = cell->to;
    rec.row = next_row(cell);
    return accepted_outcome(from, cell->to, cell->transition);
  }
  CRMFLOW_DETAIL_INLINE static const detail::dispatch_cell* next_row(const detail::dispatch_cell* cell) noexcept {
    return reinterpret_cast<const detail::dispatch_cell*>(reinterpret_cast<const char*>(cell) + cell->to_delta);
  }

  // {accepted, from, to, t}, built from whole 32-bit words where the layout allows: built member
  // by member, g++ 12 writes the small members to the stack one by one and reads them back as
  // one word where post() is inlined, a store-forwarding stall on every event.
  struct outcome_words {
    std::uint32_t w[3];
  };
  CRMFLOW_DETAIL_INLINE static outcome accepted_outcome(state_id from, state_id to, std::uint32_t t) noexcept {
    if constexpr (std::endian::native == std::endian::little && sizeof(outcome) == sizeof(outcome_words) &&
                  offsetof(outcome, from) == 2 && offsetof(outcome, to) == 4 && offsetof(outcome, transition) == 8) {
      return std::bit_cast<outcome>(outcome_words{
          {std::uint32_t{static_cast<std::uint8_t>(status::accepted)} | std::uint32_t{from} << 16, to, t}});
    } else {
      return {status::accepted, from, to, t};
    }
  }

  // post() step by step, as documented there.
  CRMFLOW_DETAIL_OUTLINE outcome post_checked(case_id c, event_id e, const data_record& data, timestamp at) {
    if (at < now_) return reject(c, e, at, status::time_backwards, cause::posted);
    if (deadlines_.any_due(at, false)) fire_due(at, false);
    now_ = at;
    if (c >= cases_.size()) return reject(c, e, at, status::unknown_case, cause::posted);
    case_record& rec = cases_[c];
    const detail::flow_program& fl = program(rec);
    if (e >= fl.event_count) return reject(c, e, at, status::unknown_event, cause::posted);
    raw_value values[data_record::max_slots];
    if (!fill_data(fl, e, data, values)) return reject(c, e, at, status::bad_data, cause::posted);
    if (quiet_) return post_quiet(c, rec, rec.row + e, e, values);
    return post_general(c, e, values);
  }

  // post() once the event is checked: the general path (observers, history, triggers, exit and
  // entry, timers, emitted events).
  CRMFLOW_DETAIL_OUTLINE outcome post_general(case_id c, event_id e, const raw_value* data) {
    emitted_ = 0;
    const outcome result = dispatch(c, e, data, cause::posted);
    if (!emits_.empty() || !opens_.empty()) drain_emits();
    return result;
  }

  // Finds and takes the first transition whose guard holds.
  // Without observers, history or triggers (take() counts for them), a plain transition
  // (dispatch_plain) is taken right here:
  // its `set` actions with a fast form are computed inline, anything else goes through
  // run_action. Same effects, in the same order, as take().
  CRMFLOW_DETAIL_INLINE outcome dispatch(case_id c, event_id e, const raw_value* data, cause why) {
    case_record& rec = cases_[c];
    const detail::flow_program& fl = program(rec);
    const std::size_t cell = std::size_t{rec.state} * fl.event_count + e;
    const std::uint32_t* const index = fl.dispatch_index.data() + cell;
    const std::uint32_t first = index[0];
    const std::uint32_t last = index[1];
    if (first == last) return reject(c, e, now_, status::no_transition, why);
    raw_value* const fields = fields_.data() + rec.fields;
    const detail::eval_context ctx{fields, data, now_};
    for (std::uint32_t i = first; i < last; ++i) {
      const std::uint32_t t = fl.dispatch_list[i];
      const detail::transition_def& tr = fl.transitions[t];
      if (tr.guard != detail::no_expr && !detail::holds(fl, tr.guard_fast, tr.guard, ctx)) continue;
      if (!quiet_ || fl.dispatch_plain[i] == 0) return take(c, fl, t, data, why, fl.dispatch_plain[i] != 0);
      const state_id from = rec.state;
      const state_id to = tr.internal ? from : tr.target;
      const detail::action_def* a = fl.actions.data() + tr.actions.first;
      for (const detail::action_def* const end = a + tr.actions.count; a != end; ++a) {
        if (a->kind == detail::action_kind::set && a->fast.kind != detail::fast_op::none)
          fields[a->target] = detail::set_value(fl, a->fast, a->expr, ctx);
        else
          run_action(c, fl, *a, data);
      }
      enter(cases_[c], fl, to);
      return {status::accepted, from, to, t};
    }
    return reject(c, e, now_, status::guard_false, why);
  }

  // `plain`: dispatch_plain of the transition from this state (nothing but its own actions).
  CRMFLOW_DETAIL_COLD outcome take(case_id c, const detail::flow_program& fl, std::uint32_t t, const raw_value* data,
               cause why, bool plain) {
    const detail::transition_def& tr = fl.transitions[t];
    const state_id from = cases_[c].state;
    const state_id to = tr.internal ? from : tr.target;
    notify_observers([&](observer& o) {
      o.on_transition(*this, {c, now_, cases_[c].flow, tr.event, from, to, tr.internal, why, t});
    });
    if (options_.keep_history) {
      history_.push_back({{now_, tr.event, from, to, why}, cases_[c].history});
      cases_[c].history = static_cast<std::uint32_t>(history_.size() - 1);
    }
    if (plain) {
      run_actions(c, fl, tr.actions, data);
      enter(cases_[c], fl, to);
      if (triggered_) count_triggers(c, tr.event, to, !tr.internal);
      return {status::accepted, from, to, t};
    }
    const detail::state_def& src = fl.states[from];
    const detail::state_def& dst = fl.states[to];
    // A self-transition leaves and re-enters the state but not its groups.
    const std::uint64_t leaving = src.groups & ~dst.groups;
    const std::uint64_t entering = dst.groups & ~src.groups;

    run_actions(c, fl, src.on_exit, data);
    for (std::uint64_t g = leaving; g != 0; g &= g - 1)
      run_actions(c, fl, fl.groups[std::countr_zero(g)].on_exit, data);
    cancel_timers(c, fl, src.timers_first, src.timers_count);
    for (std::uint64_t g = leaving; g != 0; g &= g - 1) {
      const detail::group_def& gr = fl.groups[std::countr_zero(g)];
      cancel_timers(c, fl, gr.timers_first, gr.timers_count);
    }
    run_actions(c, fl, tr.actions, data);
    enter(cases_[c], fl, to);
    run_state_entry(c, fl, to, entering, data);
    if (!fl.clocks.empty()) step_clocks(c, fl, tr.event, from, to, tr.internal);
    if (triggered_) count_triggers(c, tr.event, to, !tr.internal);
    return {status::accepted, from, to, t};
  }

  // Entry actions of the groups entered then of the state; then their timers start. Entering a
  // final state stops every timer of the case.
  void run_state_entry(case_id c, const detail::flow_program& fl, state_id s,
                       std::uint64_t entering, const raw_value* data) {
    const detail::state_def& st = fl.states[s];
    for (std::uint64_t g = entering; g != 0; g &= g - 1)
      run_actions(c, fl, fl.groups[std::countr_zero(g)].on_entry, data);
    run_actions(c, fl, st.on_entry, data);
    if (st.final) {
      for (std::size_t t = 0; t < fl.timers.size(); ++t)
        if (cancel_timer(c, static_cast<timer_id>(t)) && observed_) timer_changed(c, static_cast<timer_id>(t), false, 0);
      case_closed(c);
      return;
    }
    for (std::uint64_t g = entering; g != 0; g &= g - 1) {
      const detail::group_def& gr = fl.groups[std::countr_zero(g)];
      start_timers(c, fl, gr.timers_first, gr.timers_count);
    }
    start_timers(c, fl, st.timers_first, st.timers_count);
  }

  void start_timers(case_id c, const detail::flow_program& fl, std::uint32_t first, std::uint32_t count) {
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::optional<timestamp> due = start_timer(c, fl, fl.timer_lists[first + i]);
      if (due && observed_) timer_changed(c, fl.timer_lists[first + i], true, *due);
    }
  }

  void cancel_timers(case_id c, const detail::flow_program& fl, std::uint32_t first, std::uint32_t count) {
    for (std::uint32_t i = 0; i < count; ++i)
      if (cancel_timer(c, fl.timer_lists[first + i]) && observed_) timer_changed(c, fl.timer_lists[first + i], false, 0);
  }

  CRMFLOW_DETAIL_COLD void timer_changed(case_id c, timer_id t, bool started, timestamp due) {
    notify_observers([&](observer& o) { o.on_timer(*this, {c, now_, cases_[c].flow, t, started, due}); });
  }

  // Returns the due time, or nullopt when the timer does not start: a duration field holding a
  // non-positive duration (a zero limit would fire at once and could loop at one instant),
  // business time with no working time within the calendar's horizon, or an `at:` instant not
  // after now. Either way a running instance of the timer is stopped.
  std::optional<timestamp> start_timer(case_id c, const detail::flow_program& fl, timer_id t) {
    const detail::timer_def& td = fl.timers[t];
    std::uint32_t& handle = timer_handles_[cases_[c].timers + t];
    const std::optional<timestamp> due = timer_due(c, td);
    if (!due) {
      if (handle != no_id32) deadlines_.cancel(handle);
      handle = no_id32;
      return std::nullopt;
    }
    handle = deadlines_.start(c, t, *due, handle);
    return due;
  }

  // When timer `td` of case `c` fires if started now. Business time counts along the case's
  // calendar: its calendar_field's value if that names a calendar, else the timer's or flow's
  // calendar; with neither, `after` is calendar time. The calendar queries are O(log) and do
  // not allocate (calendar.hpp).
  std::optional<timestamp> timer_due(case_id c, const detail::timer_def& td) {
    // `at:` an instant computed from the case (handed_over_at + 3个月), and `after:` calendar
    // months (calendar_months.hpp). An instant not after now does not start the timer, like a
    // zero limit: firing at once could loop at one instant.
    if (td.clock == detail::timer_clock::at_time) [[unlikely]] {
      const detail::flow_program& fl = program(cases_[c]);
      const timestamp due = detail::evaluate(fl, td.at_expr, {case_fields(c), nullptr, now_});
      if (due <= now_) return std::nullopt;
      return due;
    }
    if (td.clock == detail::timer_clock::calendar_months) [[unlikely]] {
      const detail::flow_program& fl = program(cases_[c]);
      const timestamp due = detail::add_calendar_months(now_, td.business_amount, fl.utc_offset_minutes);
      if (due <= now_) return std::nullopt;
      return due;
    }
    if (td.clock != detail::timer_clock::calendar_time) {
      std::uint16_t cal = td.calendar;
      if (td.calendar_field != no_id16)
        if (const std::uint16_t named = case_rules(c).calendar_by_string(case_fields(c)[td.calendar_field]);
            named != detail::no_calendar)
          cal = named;
      if (cal != detail::no_calendar) {
        const calendar& k = case_rules(c).calendars()[cal];
        if (td.clock == detail::timer_clock::working_days) return k.try_add_working_days(now_, td.business_amount);
        // `after: FIELD` with `business: true` counts the field's value as working time.
        const duration amount = td.after_field == no_id16 ? td.business_amount : case_fields(c)[td.after_field];
        if (amount <= 0) return std::nullopt;
        return k.try_add_business(now_, amount);
      }
    }
    const duration after = td.after_field == no_id16 ? td.after : case_fields(c)[td.after_field];
    if (after <= 0) return std::nullopt;
    // Saturates: a huge duration (a field set from event data) must not overflow into the past.
    constexpr timestamp latest = std::numeric_limits<timestamp>::max();
    return now_ > latest - after ? latest : now_ + after;
  }

  // True if the timer was running.
  bool cancel_timer(case_id c, timer_id t) {
    std::uint32_t& handle = timer_handles_[cases_[c].timers + t];
    if (handle == no_id32) return false;
    deadlines_.cancel(handle);
    handle = no_id32;
    return true;
  }

  void run_actions(case_id c, const detail::flow_program& fl, detail::action_range range,
                   const raw_value* data) {
    for (std::uint32_t i = 0; i < range.count; ++i) run_action(c, fl, fl.actions[range.first + i], data);
  }

  void run_action(case_id c, const detail::flow_program& fl, const detail::action_def& a,
                  const raw_value* data) {
    const flow_id f = cases_[c].flow;
    switch (a.kind) {
      case detail::action_kind::set: {
        raw_value* fields = case_fields(c);
        const raw_value v = detail::evaluate(fl, a.fast, a.expr, {fields, data, now_});
        fields[a.target] = v;
        notify_observers([&](observer& o) { o.on_action(*this, {c, now_, f, &a, v}); });
        if (fl.clock_fields >> a.target & 1) [[unlikely]] clock_field_set(c, fl, a.target);
        break;
      }
      case detail::action_kind::start_timer: {
        const std::optional<timestamp> due = start_timer(c, fl, a.target);
        notify_observers([&](observer& o) { o.on_action(*this, {c, now_, f, &a, due.value_or(0)}); });
        break;
      }
      case detail::action_kind::cancel_timer:
        // Cancelling a timer that is not running changes nothing, so nothing is reported.
        if (cancel_timer(c, a.target))
          notify_observers([&](observer& o) { o.on_action(*this, {c, now_, f, &a, 0}); });
        break;
      case detail::action_kind::emit: {
        const detail::event_def& ev = fl.events[a.target];
        const auto first = static_cast<std::uint32_t>(emit_data_.size());
        for (const detail::data_def& d : ev.data) emit_data_.push_back(d.initial);
        const detail::eval_context ctx{case_fields(c), data, now_};
        for (std::uint32_t i = 0; i < a.args_count; ++i) {
          const detail::emit_arg& arg = fl.emit_args[a.args_first + i];
          emit_data_[first + arg.slot] = detail::evaluate(fl, arg.expr, ctx);
        }
        emits_.push_back({c, a.target, first});
        notify_observers([&](observer& o) { o.on_action(*this, {c, now_, f, &a, 0}); });
        break;
      }
      case detail::action_kind::decide: {
        // The loader refuses a table that some input could fall through (no row, no default),
        // so `values` is always found; the check only keeps a hand-made program from reading
        // out of bounds. Reported value: the row's number, 0 for the default.
        raw_value* fields = case_fields(c);
        const detail::decision_table& t = fl.tables[a.target];
        const std::uint32_t r = detail::match_row(fl, t, fields);
        const std::uint32_t values = r != no_id32 ? fl.table_rows[r].values_first : t.default_values;
        if (values != no_id32)
          for (std::uint32_t i = 0; i < t.outputs_count; ++i)
            fields[fl.table_fields[t.outputs_first + i]] = fl.table_values[values + i];
        const raw_value row = r != no_id32 ? fl.table_rows[r].number : values != no_id32 ? 0 : -1;
        notify_observers([&](observer& o) { o.on_action(*this, {c, now_, f, &a, row}); });
        break;
      }
      case detail::action_kind::notify:
        if (observed()) {
          render(c, a.to, to_buf_);
          render(c, a.message, message_buf_);
          notify_observers([&](observer& o) { o.on_notify(*this, {c, now_, f, to_buf_, message_buf_}); });
        }
        break;
      case detail::action_kind::alarm:
        if (observed()) {
          if (a.to != no_id32) render(c, a.to, to_buf_);
          else to_buf_.clear();
          render(c, a.message, message_buf_);
          notify_observers([&](observer& o) {
            o.on_alarm(*this, {c, now_, f, fl.alarm_names[a.target], to_buf_, message_buf_});
          });
        }
        break;
    }
  }

  // Handles emitted events in order, after the transition that emitted them has finished.
  void drain_emits() {
    for (std::size_t i = 0; i < emits_.size(); ++i) {
      const pending_emit pe = emits_[i];
      if (++emitted_ > options_.max_emits_per_event) {
        reject(pe.owner, pe.event, now_, status::emit_limit, cause::emitted);
        continue;
      }
      // A copy: handling this event may emit more and grow emit_data_.
      raw_value values[data_record::max_slots];
      const std::size_t n = program(cases_[pe.owner]).events[pe.event].data.size();
      std::copy_n(emit_data_.data() + pe.data, n, values);
      dispatch(pe.owner, pe.event, values, cause::emitted);
    }
    emits_.clear();
    emit_data_.clear();
    if (!opens_.empty()) [[unlikely]] open_trigger_cases();
  }

  // ---- triggers (报警原则, trigger.hpp); reached only when the rule set has some ------------

  struct pending_open {
    std::uint16_t version;  // slot of the trigger's rule set; the case opens on it
    trigger_id trigger;
    case_id by;        // the case whose occurrence fired
    data_record init;  // the opened case's fields, from the trigger's `open_case: data:`
  };

  // Counts the accepted event `e` (no_id16: none, a creation) and, when `entered`, the entry
  // into `to` for the triggers that watch them, once the transition has fully run. A trigger
  // that fires raises its alarm at once; the case it opens is queued (open_trigger_cases).
  CRMFLOW_DETAIL_COLD void count_triggers(case_id c, event_id e, state_id to, bool entered) {
    const trigger_set& ts = case_rules(c).triggers();
    if (ts.empty()) return;
    const flow_id f = cases_[c].flow;
    for (const trigger_id t : ts.on_event(f, e)) observe_trigger(c, t);
    if (entered)
      for (const trigger_id t : ts.on_enter(f, to)) observe_trigger(c, t);
  }

  void observe_trigger(case_id c, trigger_id t) {
    const std::uint16_t v = cases_[c].version;
    trigger_state& trig = versions_[v].trig;
    const trigger_def& d = versions_[v].rules->triggers().at(t);
    const detail::flow_program& fl = programs_[v][d.flow];
    const raw_value* fields = case_fields(c);
    if (!trigger_matches(d, fl, fields, now_)) return;
    const bool fired = trig.observe_case(t, d, fields, now_);
    // The windows hold at most `count` occurrences per key, and a table sweeps itself before
    // it grows; this drops dead keys now and then all the same (amortised O(1) per occurrence).
    if (--expire_countdown_ == 0) {
      trig.expire(now_);
      expire_countdown_ = std::max<std::size_t>(4096, trig.live_keys());
    }
    if (!fired) return;
    if (observed()) {
      if (d.alarm_to != no_id32) render(c, d.alarm_to, to_buf_);
      else to_buf_.clear();
      if (d.alarm_message != no_id32) render(c, d.alarm_message, message_buf_);
      else message_buf_.clear();
      notify_observers([&](observer& o) { o.on_alarm(*this, {c, now_, d.flow, d.alarm, to_buf_, message_buf_}); });
    }
    if (d.open_flow == no_id16) return;
    pending_open p{v, t, c, {}};
    const detail::eval_context ctx{fields, nullptr, now_};
    for (const trigger_open_arg& arg : d.open_data) p.init.set(arg.field, detail::evaluate(fl, arg.expr, ctx));
    opens_.push_back(std::move(p));
  }

  // Opens the queued cases in the order their triggers fired, at now(), each named
  // "<trigger>-<n>" (n = 1, 2, ... per trigger, skipping a name already taken). Called when
  // the event that fired them (and its emitted events) is done; a case opened here may fire
  // triggers in turn, whose cases follow in the same loop. At most max_emits_per_event cases
  // per posted event, creation or deadline: a trigger that opens cases of the flow it counts
  // cannot loop for ever.
  CRMFLOW_DETAIL_COLD void open_trigger_cases() {
    if (opening_) return;  // a creation below: the loop of the outer call takes the rest
    opening_ = true;
    std::string name;
    for (std::size_t i = 0; i < opens_.size() && i < options_.max_emits_per_event; ++i) {
      pending_open p = std::move(opens_[i]);
      const trigger_def& d = versions_[p.version].rules->triggers().at(p.trigger);
      do {
        name = d.name;
        name += '-';
        name += std::to_string(++versions_[p.version].open_counts[p.trigger]);
      } while (names_.contains(name));
      opened_by_ = p.by;
      opened_trigger_ = d.name;
      create_on(p.version, d.open_flow, name, now_, &p.init);
      opened_by_ = no_id32;
      opened_trigger_ = {};
    }
    opens_.clear();
    opening_ = false;
  }

  // ---- SLA clocks (docs/rules.md, SLA clocks); reached only for flows that have clocks -------

  clock_phase clock_phase_of(const clock_slot& s) const noexcept {
    if (s.machine == no_id32) return clock_phase::idle;
    switch (clock_machines_.phase(s.machine)) {
      case detail::clock_machine_phase::running: return clock_phase::running;
      case detail::clock_machine_phase::paused: return clock_phase::paused;
      case detail::clock_machine_phase::stopped: return clock_phase::stopped;
      case detail::clock_machine_phase::idle: break;
    }
    return clock_phase::idle;
  }

  // Time counted by the clock in [a, b): working time on its calendar, else calendar time.
  // The calendar index is the case's version's (rule versions each have their own calendars).
  duration counted(case_id c, const clock_slot& s, timestamp a, timestamp b) const noexcept {
    if (b <= a) return 0;
    if (s.calendar != detail::no_calendar) return case_rules(c).calendars()[s.calendar].business_between(a, b);
    return b - a;
  }

  clock_slot& clock_at(case_id c, clock_id k) noexcept { return clocks_[cases_[c].clocks + k]; }

  // The calendar a business-time clock counts on now: the case's calendar_field if it names
  // one, else the clock's (or flow's) calendar, else none (calendar time).
  std::uint16_t clock_calendar(case_id c, const detail::clock_def& cd) noexcept {
    if (!cd.business) return detail::no_calendar;
    if (cd.calendar_field != no_id16)
      if (const std::uint16_t named = case_rules(c).calendar_by_string(case_fields(c)[cd.calendar_field]);
          named != detail::no_calendar)
        return named;
    return cd.calendar;
  }

  duration clock_limit(case_id c, const detail::clock_def& cd) noexcept {
    return cd.limit_field == no_id16 ? cd.limit : case_fields(c)[cd.limit_field];
  }

  // `percent` of `limit`, rounded down; saturates instead of overflowing.
  static duration clock_threshold(duration limit, std::uint32_t percent) noexcept {
    constexpr duration most = std::numeric_limits<duration>::max();
    if (percent != 0 && limit > most / static_cast<duration>(percent)) return most;
    return limit * static_cast<duration>(percent) / 100;
  }

  void clock_note(case_id c, clock_id k, clock_event what, std::uint16_t level) {
    if (!observed_) return;
    const clock_slot& s = clock_at(c, k);
    const clock_phase p = clock_phase_of(s);
    const duration elapsed = s.elapsed + (p == clock_phase::running ? counted(c, s, s.since, now_) : 0);
    const duration paused = s.paused + (p == clock_phase::paused ? counted(c, s, s.since, now_) : 0);
    const flow_id f = cases_[c].flow;
    notify_observers([&](observer& o) {
      o.on_clock(*this, {c, now_, f, k, what, level, elapsed, paused, s.limit});
    });
  }

  void clock_unschedule(clock_slot& s) noexcept {
    if (s.deadline != no_id32) deadlines_.cancel(s.deadline);
    s.deadline = no_id32;
  }

  // Schedules the clock's next warning or level on the deadline queue, or reaches it at once
  // when it is already due (a lowered limit, a stretch resumed past it): each reached point
  // runs its actions, which may move this clock again, so the slot is read afresh each round.
  void clock_schedule(case_id c, const detail::flow_program& fl, clock_id k) {
    const detail::clock_def& cd = fl.clocks[k];
    for (;;) {
      clock_slot& s = clock_at(c, k);
      if (clock_phase_of(s) != clock_phase::running) return clock_unschedule(s);
      const std::uint16_t m = clock_machines_.marks(s.machine);
      if (m >= cd.marks_count || s.limit <= 0) return clock_unschedule(s);
      const duration target = clock_threshold(s.limit, fl.clock_marks[cd.marks_first + m].percent);
      const duration rest = target - s.elapsed;
      std::optional<timestamp> due = s.since;
      if (rest > 0) {
        if (s.calendar != detail::no_calendar) {
          due = case_rules(c).calendars()[s.calendar].try_add_business(s.since, rest);
        } else {
          constexpr timestamp latest = std::numeric_limits<timestamp>::max();
          due = s.since > latest - rest ? latest : s.since + rest;
        }
      }
      if (!due) return clock_unschedule(s);  // no working time within the calendar's horizon
      if (*due > now_) {
        s.deadline = deadlines_.start(c, static_cast<timer_id>(fl.timers.size() + k), *due, s.deadline);
        return;
      }
      clock_unschedule(s);
      clock_reach(c, fl, k);
    }
  }

  // The running clock reaches its next warning or level: told, then its actions run.
  void clock_reach(case_id c, const detail::flow_program& fl, clock_id k) {
    const detail::clock_def& cd = fl.clocks[k];
    const std::uint32_t machine = clock_at(c, k).machine;
    const std::uint16_t m = clock_machines_.marks(machine);
    if (m >= cd.marks_count || !clock_machines_.mark(machine)) return;
    const detail::clock_mark& mk = fl.clock_marks[cd.marks_first + m];
    clock_note(c, k, mk.level == 0 ? clock_event::warning : clock_event::breach, mk.level);
    run_actions(c, fl, mk.actions, nullptr);
  }

  void fire_clock(case_id c, const detail::flow_program& fl, clock_id k) {
    clock_at(c, k).deadline = no_id32;
    emitted_ = 0;
    clock_reach(c, fl, k);
    clock_schedule(c, fl, k);
    drain_emits();
  }

  void clock_start(case_id c, const detail::flow_program& fl, clock_id k) {
    clock_slot& s = clock_at(c, k);
    if (s.machine == no_id32) s.machine = clock_machines_.acquire();
    if (!clock_machines_.start(s.machine)) return;
    const detail::clock_def& cd = fl.clocks[k];
    s.since = now_;
    s.elapsed = 0;
    s.paused = 0;
    s.limit = clock_limit(c, cd);
    s.calendar = clock_calendar(c, cd);
    clock_note(c, k, clock_event::started, 0);
    clock_schedule(c, fl, k);
  }

  void clock_pause(case_id c, clock_id k) {
    clock_slot& s = clock_at(c, k);
    if (s.machine == no_id32 || !clock_machines_.pause(s.machine)) return;
    s.elapsed += counted(c, s, s.since, now_);
    s.since = now_;
    clock_unschedule(s);
    clock_note(c, k, clock_event::paused, 0);
  }

  void clock_resume(case_id c, const detail::flow_program& fl, clock_id k) {
    clock_slot& s = clock_at(c, k);
    if (s.machine == no_id32 || !clock_machines_.resume(s.machine)) return;
    s.paused += counted(c, s, s.since, now_);
    s.since = now_;
    clock_note(c, k, clock_event::resumed, 0);
    clock_schedule(c, fl, k);
  }

  void clock_stop(case_id c, clock_id k) {
    clock_slot& s = clock_at(c, k);
    const clock_phase was = clock_phase_of(s);
    if (s.machine == no_id32 || !clock_machines_.stop(s.machine)) return;
    if (was == clock_phase::running) s.elapsed += counted(c, s, s.since, now_);
    else s.paused += counted(c, s, s.since, now_);
    s.since = now_;
    clock_unschedule(s);
    clock_note(c, k, clock_event::stopped, 0);
  }

  // A field that is some clock's limit or calendar field was set (docs/rules.md: what a
  // running clock does then). Running or paused clocks keep the time counted so far; a new
  // calendar counts from now on; the next warning or level is recomputed (and reached at once
  // if the counted time is already past it).
  CRMFLOW_DETAIL_COLD void clock_field_set(case_id c, const detail::flow_program& fl, field_id f) {
    for (std::size_t i = 0; i < fl.clocks.size(); ++i) {
      const auto k = static_cast<clock_id>(i);
      const detail::clock_def& cd = fl.clocks[k];
      if (cd.limit_field != f && cd.calendar_field != f) continue;
      clock_slot& s = clock_at(c, k);
      const clock_phase p = clock_phase_of(s);
      if (p != clock_phase::running && p != clock_phase::paused) continue;
      if (cd.calendar_field == f) {
        const duration so_far = counted(c, s, s.since, now_);
        if (p == clock_phase::running) s.elapsed += so_far;
        else s.paused += so_far;
        s.since = now_;
        s.calendar = clock_calendar(c, cd);
      }
      if (cd.limit_field == f) s.limit = clock_limit(c, cd);
      if (p == clock_phase::running) clock_schedule(c, fl, k);
    }
  }

  bool clock_condition_holds(case_id c, const detail::flow_program& fl, detail::clock_condition cond,
                             event_id e, state_id from, state_id to, bool internal) {
    for (std::uint32_t i = 0; i < cond.count; ++i) {
      const detail::clock_clause& cl = fl.clock_clauses[cond.first + i];
      bool hit = false;
      switch (cl.kind) {
        case detail::clock_clause_kind::event: hit = e != no_id16 && cl.id == e; break;
        case detail::clock_clause_kind::enter_state: hit = !internal && cl.id == to; break;
        case detail::clock_clause_kind::exit_state: hit = !internal && from != no_id16 && cl.id == from; break;
        case detail::clock_clause_kind::enter_group: {
          const std::uint64_t had = from == no_id16 ? 0 : fl.states[from].groups;
          hit = !internal && ((fl.states[to].groups & ~had) >> cl.id & 1);
          break;
        }
        case detail::clock_clause_kind::exit_group: {
          const std::uint64_t had = from == no_id16 ? 0 : fl.states[from].groups;
          hit = !internal && ((had & ~fl.states[to].groups) >> cl.id & 1);
          break;
        }
      }
      if (!hit) continue;
      if (cl.guard == detail::no_expr ||
          detail::holds(fl, cl.guard_fast, cl.guard, {case_fields(c), nullptr, now_}))
        return true;
    }
    return false;
  }

  // After a transition (event `e` from `from` to `to`) or a creation (e and from: none), each
  // clock in turn: an idle one may start, then a paused one resume, a running one pause, and a
  // running or paused one stop. Reaching a final state then stops every clock still going.
  CRMFLOW_DETAIL_COLD void step_clocks(case_id c, const detail::flow_program& fl, event_id e, state_id from,
                                       state_id to, bool internal) {
    for (std::size_t i = 0; i < fl.clocks.size(); ++i) {
      const auto k = static_cast<clock_id>(i);
      const detail::clock_def& cd = fl.clocks[k];
      if (clock_phase_of(clock_at(c, k)) == clock_phase::idle &&
          clock_condition_holds(c, fl, cd.start, e, from, to, internal))
        clock_start(c, fl, k);
      if (clock_phase_of(clock_at(c, k)) == clock_phase::paused &&
          clock_condition_holds(c, fl, cd.resume, e, from, to, internal))
        clock_resume(c, fl, k);
      if (clock_phase_of(clock_at(c, k)) == clock_phase::running &&
          clock_condition_holds(c, fl, cd.pause, e, from, to, internal))
        clock_pause(c, k);
      const clock_phase p = clock_phase_of(clock_at(c, k));
      if ((p == clock_phase::running || p == clock_phase::paused) &&
          clock_condition_holds(c, fl, cd.stop, e, from, to, internal))
        clock_stop(c, k);
    }
    if (fl.states[to].final)
      for (std::size_t i = 0; i < fl.clocks.size(); ++i) clock_stop(c, static_cast<clock_id>(i));
  }

  std::size_t fire_due(timestamp limit, bool inclusive) {
    std::size_t fired = 0;
    detail::due_deadline d;
    while (deadlines_.pop_due(limit, inclusive, d)) {
      ++fired;
      now_ = d.due;
      const flow_id f = cases_[d.owner].flow;
      const detail::flow_program& fl = program(cases_[d.owner]);
      if (d.timer >= fl.timers.size()) [[unlikely]] {
        fire_clock(d.owner, fl, static_cast<clock_id>(d.timer - fl.timers.size()));
        continue;
      }
      timer_handles_[cases_[d.owner].timers + d.timer] = no_id32;
      const detail::timer_def& td = fl.timers[d.timer];
      notify_observers([&](observer& o) { o.on_deadline(*this, {d.owner, d.due, f, d.timer}); });
      emitted_ = 0;
      run_actions(d.owner, fl, td.actions, nullptr);
      if (td.event != no_id16) {
        const detail::event_def& ev = fl.events[td.event];
        raw_value values[data_record::max_slots];
        for (std::size_t i = 0; i < ev.data.size(); ++i) values[i] = ev.data[i].initial;
        dispatch(d.owner, td.event, values, cause::timer);
      }
      drain_emits();
    }
    return fired;
  }

  std::shared_ptr<const rule_set> rules_;  // the newest version, versions_[newest_].rules
  std::vector<version_slot> versions_;
  // Per version slot: rules->flows().data(), so that a case's program is two loads away with
  // no bounds check per event.
  std::vector<const detail::flow_program*> programs_;
  std::uint16_t newest_ = 0;
  engine_options options_;
  bool observed_ = false;  // an observer or an audit log is set (fixed at construction)
  bool quiet_ = false;     // !observed_ && !keep_history && no triggers: plain transitions skip take()
  // quiet_ ? the bytes of cases_ : 0, kept with both (refresh_quiet_bytes), so that post()
  // tests both with one comparison of a case's offset.
  std::size_t quiet_bytes_ = 0;
  std::unique_ptr<observer> audit_;
  detail::string_pool strings_;

  std::vector<case_record> cases_;
  std::vector<raw_value> fields_;
  std::vector<std::uint32_t> timer_handles_;  // per case and flow timer: deadline handle or none
  std::vector<clock_slot> clocks_;            // per case and flow clock
  detail::clock_lifecycles clock_machines_;
  case_names names_;  // names, and the case of a name
  std::vector<history_node> history_;
  detail::deadline_queue deadlines_;
  timestamp now_ = std::numeric_limits<timestamp>::min();

  std::vector<pending_emit> emits_;
  std::vector<raw_value> emit_data_;
  std::uint32_t emitted_ = 0;
  std::string to_buf_;
  std::string message_buf_;

  bool triggered_ = false;  // a loaded version has triggers
  std::vector<pending_open> opens_;
  std::size_t expire_countdown_ = 4096;
  bool opening_ = false;
  case_id opened_by_ = no_id32;      // while open_trigger_cases creates a case: its opener
  std::string_view opened_trigger_;  // and the trigger's name
};

}  // namespace crmflow
