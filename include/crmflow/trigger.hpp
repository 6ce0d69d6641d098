// Pattern triggers (报警原则): "N occurrences matching a filter, with the same key, within a
// rolling window W". The loader compiles each `triggers:` entry into a trigger_def (part of
// the rule_set); an engine owns one trigger_state, the live windows, and feeds it.
//
// Window semantics, exactly: an occurrence at time t counts for observations at times in
// [t, t + W). So with W = 30d, occurrences at t, t + 1ms and t + W - 1ms fire (3 in the
// window); a third at t + W does not (the first has left it).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmflow/detail/eval.hpp"
#include "crmflow/detail/program.hpp"
#include "crmflow/value.hpp"

namespace crmflow {

// Dense id of a trigger within one rule set (load order: files in order, then file order).
using trigger_id = std::uint16_t;

// At most this many key fields, and this `count:`; the loader refuses more.
inline constexpr std::size_t max_trigger_key = 8;
inline constexpr std::uint32_t max_trigger_count = 1000;

// One `open_case: data:` item: a field of the opened case and the expression (over the
// triggering case's fields, code in the trigger's own flow) that gives its value.
struct trigger_open_arg {
  field_id field = 0;                  // of the target flow
  std::uint32_t expr = detail::no_expr;  // in rules.flow(def.flow).code
};

// A compiled trigger. Expressions and templates live in the program of `flow` (the flow
// whose cases are counted), so they are evaluated and rendered with the triggering case.
struct trigger_def {
  std::string name;
  std::string label;
  std::string file;  // position of the trigger's name, for audit and diagnostics
  int line = 0;
  int column = 0;

  flow_id flow = 0;                 // `on: {flow: ...}`
  std::vector<event_id> on_events;  // counts after each accepted event of these kinds
  std::vector<state_id> on_enter;   // counts each time a case enters one of these states
  std::uint32_t filter = detail::no_expr;  // `if:`, a bool expression over the case's fields
  std::string filter_text;

  std::vector<field_id> key;        // `key:`, at least one field
  field_id distinct = no_id16;      // `distinct:`, or no_id16 (count occurrences)
  std::uint32_t count = 1;          // fires when `count` occurrences are in the window
  duration window = 0;              // > 0
  duration cooldown = 0;            // 0: no cool-down

  std::string alarm;                        // `alarm: {name: ...}`
  std::uint32_t alarm_to = no_id32;         // template in the flow's templates, or none
  std::uint32_t alarm_message = no_id32;    // template in the flow's templates

  flow_id open_flow = no_id16;              // `open_case: {flow: ...}`, or no_id16
  std::vector<trigger_open_arg> open_data;  // `open_case: {data: ...}`
};

// All triggers of a rule set, with the index an engine uses on its event path.
class trigger_set {
 public:
  trigger_set() = default;
  // Built by the loader. `flows` gives the number of events and states per flow.
  trigger_set(std::vector<trigger_def> defs, const std::vector<detail::flow_program>& flows)
      : defs_(std::move(defs)) {
    flow_base_.assign(flows.size() + 1, 0);
    for (std::size_t f = 0; f < flows.size(); ++f)
      flow_base_[f + 1] =
          flow_base_[f] + static_cast<std::uint32_t>(flows[f].events.size() + flows[f].states.size());
    std::vector<std::vector<trigger_id>> lists(flow_base_.back());
    for (std::size_t t = 0; t < defs_.size(); ++t) {
      const trigger_def& d = defs_[t];
      for (event_id e : d.on_events) lists[flow_base_[d.flow] + e].push_back(static_cast<trigger_id>(t));
      const std::uint32_t states = flow_base_[d.flow] + static_cast<std::uint32_t>(flows[d.flow].events.size());
      for (state_id s : d.on_enter) lists[states + s].push_back(static_cast<trigger_id>(t));
    }
    index_.assign(lists.size() + 1, 0);
    for (std::size_t i = 0; i < lists.size(); ++i) {
      index_[i + 1] = index_[i] + static_cast<std::uint32_t>(lists[i].size());
      list_.insert(list_.end(), lists[i].begin(), lists[i].end());
    }
    event_count_.resize(flows.size());
    for (std::size_t f = 0; f < flows.size(); ++f)
      event_count_[f] = static_cast<std::uint32_t>(flows[f].events.size());
  }

  std::size_t size() const noexcept { return defs_.size(); }
  bool empty() const noexcept { return defs_.empty(); }
  // Throws std::out_of_range for an unknown id.
  const trigger_def& at(trigger_id t) const { return defs_.at(t); }
  const std::vector<trigger_def>& defs() const noexcept { return defs_; }
  // By name; scans (a rule set has few triggers). For wiring a host up, not per event.
  std::optional<trigger_id> find(std::string_view name) const {
    for (std::size_t i = 0; i < defs_.size(); ++i)
      if (defs_[i].name == name) return static_cast<trigger_id>(i);
    return std::nullopt;
  }

  // The triggers that count an accepted event `e` of flow `f` / entering state `s` of flow
  // `f`, in id order. O(1), no allocation; empty for ids out of range.
  std::span<const trigger_id> on_event(flow_id f, event_id e) const noexcept {
    if (f >= event_count_.size() || e >= event_count_[f]) return {};
    return slice(flow_base_[f] + e);
  }
  std::span<const trigger_id> on_enter(flow_id f, state_id s) const noexcept {
    if (f >= event_count_.size()) return {};
    const std::uint32_t i = flow_base_[f] + event_count_[f] + s;
    if (i >= flow_base_[f + 1]) return {};
    return slice(i);
  }

 private:
  std::span<const trigger_id> slice(std::uint32_t i) const noexcept {
    return {list_.data() + index_[i], index_[i + 1] - index_[i]};
  }

  std::vector<trigger_def> defs_;
  std::vector<std::uint32_t> flow_base_;    // per flow: first list index (events, then states)
  std::vector<std::uint32_t> event_count_;  // per flow
  std::vector<std::uint32_t> index_;        // list i is list_[index_[i] .. index_[i+1])
  std::vector<trigger_id> list_;
};

// Whether a case with these field values passes the trigger's `if:` (true when it has none).
// `flow` is the program of def.flow. O(expression length), no allocation.
inline bool trigger_matches(const trigger_def& def, const detail::flow_program& flow,
                            const raw_value* fields, timestamp now) noexcept {
  if (def.filter == detail::no_expr) return true;
  return detail::evaluate(flow, def.filter, detail::eval_context{fields, nullptr, now}) != 0;
}

// The live windows of every trigger of a set: per trigger, an open-addressing hash table from
// key (the raw field values: strings are the engine's interned ids, so no text is hashed or
// compared) to a ring of at most `count` recent occurrences and the time it last fired.
//
// Memory is bounded by the live window: a key lives while it has an occurrence in its window
// or its cool-down runs. Expired occurrences are dropped whenever their key is observed, and
// whole keys by expire(now), which the owner calls periodically (the table also sweeps itself
// before it grows). Bytes per live key: about 8 * (2 + key fields + count, or 2 * count with
// `distinct`) divided by the load factor (at most 0.8).
//
// Time: observations of one trigger are expected in non-decreasing time (an engine's clock
// never goes back); an earlier time is taken as the latest time this trigger has seen.
// Not thread-safe: one owner, like the engine that holds it.
class trigger_state {
 public:
  // Sizes one empty table per trigger; keeps no reference to `defs`.
  explicit trigger_state(std::span<const trigger_def> defs) {
    tables_.reserve(defs.size());
    for (const trigger_def& d : defs) tables_.emplace_back(d);
  }

  // Counts one occurrence for `key` (one raw value per key field, in order) with the
  // `distinct` value (ignored unless the trigger has `distinct:`) at time `at`. Returns true
  // if the trigger fires: `count` occurrences (distinct values) of this key in the window
  // ending at `at`, and no firing for this key within the cool-down. The occurrence counts
  // whether or not it fires. O(key + count) expected; allocates only when the table grows.
  bool observe(trigger_id t, std::span<const raw_value> key, raw_value distinct, timestamp at) {
    return tables_[t].observe(key.data(), distinct, at);
  }

  // As observe, with the key and distinct value read from a case's fields by the field ids in
  // `def` (the definition this state was built from for id `t`). The engine's entry point,
  // after trigger_matches.
  bool observe_case(trigger_id t, const trigger_def& def, const raw_value* fields, timestamp at) {
    raw_value key[max_trigger_key];
    for (std::size_t i = 0; i < def.key.size(); ++i) key[i] = fields[def.key[i]];
    const raw_value d = def.distinct == no_id16 ? 0 : fields[def.distinct];
    return tables_[t].observe(key, d, at);
  }

  // Drops every occurrence that has left its window at `now`, and every key with none left
  // whose cool-down has run out; shrinks tables that became mostly empty. O(table sizes).
  void expire(timestamp now) {
    for (table& tb : tables_) tb.sweep(now);
  }

  // Keys currently held (live, or expired but not yet swept), over all triggers or one.
  std::size_t live_keys() const noexcept {
    std::size_t n = 0;
    for (const table& tb : tables_) n += tb.live;
    return n;
  }
  std::size_t live_keys(trigger_id t) const noexcept { return tables_[t].live; }

  // ---- saving and restoring (snapshot.hpp) ------------------------------------------------
  // What one key holds: its values, when it last fired (nullopt: never, or its cool-down
  // has run out at the trigger's latest time) and the occurrences still in the window, oldest
  // first (`values` empty without `distinct`).
  struct saved_key {
    std::span<const raw_value> key;
    std::optional<timestamp> last_fired;
    std::span<const timestamp> times;
    std::span<const raw_value> values;
  };

  // The latest time trigger `t` has seen (observations before it count as at it), or
  // nullopt before its first observation.
  std::optional<timestamp> latest(trigger_id t) const noexcept {
    const table& tb = tables_[t];
    if (tb.latest == never) return std::nullopt;
    return tb.latest;
  }

  // Calls f(const saved_key&) for each key of trigger `t` that is live at latest(t), in table
  // order (which depends on the raw values: sort for a canonical form). What a key's expired
  // occurrences or run-out cool-down held is left out: it can no longer change an outcome.
  // O(table size); allocates two small buffers.
  template <class F>
  void for_each_live_key(trigger_id t, F&& f) const {
    const table& tb = tables_[t];
    std::vector<timestamp> times;
    std::vector<raw_value> values;
    for (std::size_t i = 0; i < tb.capacity; ++i) {
      const std::int64_t* s = tb.slot(i);
      if (s[0] == 0) continue;
      std::int64_t head = (s[0] >> 20) & table::mask20, size = s[0] & table::mask20;
      const std::int64_t* ts = s + 2 + tb.arity;
      times.clear();
      values.clear();
      for (std::int64_t k = 0, j = head; k < size; ++k) {
        if (!elapsed(ts[j], tb.latest, tb.window)) {
          times.push_back(ts[j]);
          if (tb.distinct) values.push_back(ts[tb.n + j]);
        }
        if (++j == static_cast<std::int64_t>(tb.n)) j = 0;
      }
      std::optional<timestamp> fired;
      if (s[1] != never && !elapsed(s[1], tb.latest, tb.cooldown)) fired = s[1];
      if (times.empty() && !fired) continue;
      f(saved_key{{s + 2, tb.arity}, fired, times, values});
    }
  }

  // Restores trigger `t` as saved: set_latest once, then restore_key for each saved key.
  // Keys must be distinct; times oldest first, at most `count`, with `values` the same length
  // under `distinct` (else empty). False, and nothing done, for input that does not fit.
  bool set_latest(trigger_id t, timestamp at) noexcept {
    if (t >= tables_.size()) return false;
    tables_[t].latest = at;
    return true;
  }
  bool restore_key(trigger_id t, std::span<const raw_value> key, std::optional<timestamp> last_fired,
                   std::span<const timestamp> times, std::span<const raw_value> values) {
    if (t >= tables_.size()) return false;
    table& tb = tables_[t];
    if (key.size() != tb.arity || times.size() > tb.n || (tb.distinct ? values.size() != times.size() : !values.empty()))
      return false;
    if (tb.capacity != 0 && tb.find(key.data())) return false;
    if (tb.capacity == 0 || !table::fits(tb.live + 1, tb.capacity)) tb.make_room();
    std::size_t i = tb.home(key.data());
    while (tb.slot(i)[0] != 0) i = (i + 1) & (tb.capacity - 1);
    std::int64_t* s = tb.slot(i);
    s[0] = table::used_bit | static_cast<std::int64_t>(times.size());
    s[1] = last_fired ? *last_fired : never;
    std::copy(key.begin(), key.end(), s + 2);
    std::copy(times.begin(), times.end(), s + 2 + tb.arity);
    if (tb.distinct) std::copy(values.begin(), values.end(), s + 2 + tb.arity + tb.n);
    ++tb.live;
    return true;
  }
  // Bytes of the tables (not counting this object and its vector of tables).
  std::size_t memory_bytes() const noexcept {
    std::size_t n = 0;
    for (const table& tb : tables_) n += tb.capacity * tb.stride * sizeof(std::int64_t);
    return n;
  }

 private:
  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::min();
  static constexpr std::size_t min_capacity = 16;
  // Load factor limit, as a fraction of 1024.
  static constexpr std::size_t max_load_1024 = 819;

  // Whether `to` is at least `d` after `from` (false if `to` is before `from`), without
  // overflow for any pair of instants.
  static bool elapsed(std::int64_t from, std::int64_t to, std::int64_t d) noexcept {
    return to >= from &&
           static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from) >=
               static_cast<std::uint64_t>(d);
  }

  struct aligned_delete {
    void operator()(std::int64_t* p) const noexcept { ::operator delete(p, std::align_val_t{64}); }
  };

  // Slot layout, `stride` words: [0] meta (0: empty; else 1 << 40 | head << 20 | size),
  // [1] last firing time or `never`, [2 .. 2 + arity) the key, then `count` occurrence times,
  // then (with distinct) `count` distinct values, both rings starting at `head`.
  struct table {
    std::uint32_t arity = 0;
    std::uint32_t n = 1;
    bool distinct = false;
    duration window = 0;
    duration cooldown = 0;
    std::size_t stride = 0;
    std::size_t capacity = 0;  // power of two, or 0 before the first key
    int shift = 64;            // 64 - log2(capacity)
    std::size_t live = 0;
    timestamp latest = never;
    std::unique_ptr<std::int64_t[], aligned_delete> slots;

    explicit table(const trigger_def& d)
        : arity(static_cast<std::uint32_t>(d.key.size())),
          n(std::max<std::uint32_t>(d.count, 1)),
          distinct(d.distinct != no_id16),
          window(d.window),
          cooldown(d.cooldown),
          stride(2 + arity + static_cast<std::size_t>(n) * (distinct ? 2 : 1)) {}

    static constexpr std::int64_t used_bit = std::int64_t{1} << 40;
    static constexpr std::int64_t mask20 = (std::int64_t{1} << 20) - 1;

    std::uint64_t hash(const raw_value* key) const noexcept {
      std::uint64_t h = 0x243F6A8885A308D3ULL;
      for (std::uint32_t i = 0; i < arity; ++i) {
        h = (h ^ static_cast<std::uint64_t>(key[i])) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 32;
      }
      return h * 0xD6E8FEB86659FD93ULL;
    }
    std::size_t home(const raw_value* key) const noexcept {
      return static_cast<std::size_t>(hash(key) >> shift);
    }
    std::int64_t* slot(std::size_t i) const noexcept { return slots.get() + i * stride; }
    bool same_key(const std::int64_t* s, const raw_value* key) const noexcept {
      for (std::uint32_t i = 0; i < arity; ++i)
        if (s[2 + i] != key[i]) return false;
      return true;
    }

    void allocate(std::size_t cap) {
      const std::size_t words = cap * stride;
      slots.reset(static_cast<std::int64_t*>(
          ::operator new(words * sizeof(std::int64_t), std::align_val_t{64})));
      std::fill_n(slots.get(), words, std::int64_t{0});
      capacity = cap;
      shift = 64 - std::countr_zero(cap);
    }

    // Drops the occurrences of slot `s` that left the window at `now`; whether the key is
    // still live (an occurrence left, or its cool-down running).
    bool prune(std::int64_t* s, timestamp now) const noexcept {
      std::int64_t head = (s[0] >> 20) & mask20, size = s[0] & mask20;
      const std::int64_t* ts = s + 2 + arity;
      while (size > 0 && elapsed(ts[head], now, window)) {
        if (++head == n) head = 0;
        --size;
      }
      s[0] = used_bit | head << 20 | size;
      return size > 0 || (s[1] != never && !elapsed(s[1], now, cooldown));
    }

    // Rebuilds into `cap` slots, keeping the slots still live at `now`.
    void rebuild(std::size_t cap, timestamp now) {
      std::unique_ptr<std::int64_t[], aligned_delete> old = std::move(slots);
      const std::size_t old_cap = capacity;
      allocate(cap);
      live = 0;
      for (std::size_t i = 0; i < old_cap; ++i) {
        std::int64_t* s = old.get() + i * stride;
        if (s[0] == 0 || !prune(s, now)) continue;
        std::size_t j = home(s + 2);
        while (slot(j)[0] != 0) j = (j + 1) & (capacity - 1);
        std::copy_n(s, stride, slot(j));
        ++live;
      }
    }

    static bool fits(std::size_t keys, std::size_t cap) noexcept {
      return keys * 1024 <= cap * max_load_1024;
    }

    // Makes room for one more key: first drops dead keys, then doubles if still over half the
    // limit, so that sweeps stay amortised O(1) per insert.
    void make_room() {
      if (capacity == 0) {
        allocate(min_capacity);
        return;
      }
      if (fits(live + 1, capacity)) return;
      std::size_t keep = 0;
      for (std::size_t i = 0; i < capacity; ++i) {
        std::int64_t* s = slot(i);
        if (s[0] != 0 && prune(s, latest)) ++keep;
      }
      // Still over half the limit: double once (the load is then at most about 0.4).
      std::size_t cap = capacity;
      if (!fits(2 * (keep + 1), cap)) cap *= 2;
      while (!fits(keep + 1, cap)) cap *= 2;
      rebuild(cap, latest);
    }

    void sweep(timestamp now) {
      if (now > latest) latest = now;
      if (capacity == 0) return;
      std::size_t keep = 0;
      for (std::size_t i = 0; i < capacity; ++i) {
        std::int64_t* s = slot(i);
        if (s[0] != 0 && prune(s, latest)) ++keep;
      }
      if (keep == live) return;
      std::size_t cap = min_capacity;
      while (!fits(2 * keep, cap)) cap *= 2;
      rebuild(std::min(cap, capacity), latest);
    }

    bool observe(const raw_value* key, raw_value value, timestamp at) {
      if (at < latest) at = latest;
      else latest = at;
      if (capacity == 0 || !fits(live + 1, capacity)) {
        // Only a new key needs room; look first so that a full table of live keys still
        // serves the keys it has without sweeping.
        if (capacity == 0 || !find(key)) make_room();
      }
      std::size_t i = home(key);
      std::int64_t* s;
      for (;;) {
        s = slot(i);
        if (s[0] == 0) {
          s[0] = used_bit;
          s[1] = never;
          std::copy_n(key, arity, s + 2);
          ++live;
          break;
        }
        if (same_key(s, key)) break;
        i = (i + 1) & (capacity - 1);
      }
      return record(s, value, at);
    }

    std::int64_t* find(const raw_value* key) const noexcept {
      for (std::size_t i = home(key);; i = (i + 1) & (capacity - 1)) {
        std::int64_t* s = slot(i);
        if (s[0] == 0) return nullptr;
        if (same_key(s, key)) return s;
      }
    }

    bool record(std::int64_t* s, raw_value value, timestamp at) const noexcept {
      std::int64_t head = (s[0] >> 20) & mask20, size = s[0] & mask20;
      std::int64_t* ts = s + 2 + arity;
      while (size > 0 && elapsed(ts[head], at, window)) {
        if (++head == n) head = 0;
        --size;
      }
      if (distinct) {
        std::int64_t* vals = ts + n;
        // Keep only the latest occurrence of each value: remove an earlier one, closing the gap.
        std::int64_t j = head;
        for (std::int64_t k = 0; k < size; ++k) {
          if (vals[j] == value) {
            std::int64_t to = j;
            for (std::int64_t m = k + 1; m < size; ++m) {
              std::int64_t from = to + 1 == n ? 0 : to + 1;
              ts[to] = ts[from];
              vals[to] = vals[from];
              to = from;
            }
            --size;
            break;
          }
          if (++j == n) j = 0;
        }
      }
      if (size == n) {
        if (++head == n) head = 0;
        --size;
      }
      std::int64_t pos = head + size;
      if (pos >= n) pos -= n;
      ts[pos] = at;
      if (distinct) ts[n + pos] = value;
      ++size;
      bool fired = size == n && (s[1] == never || elapsed(s[1], at, cooldown));
      if (fired) s[1] = at;
      s[0] = used_bit | head << 20 | size;
      return fired;
    }
  };

  std::vector<table> tables_;
};

}  // namespace crmflow
