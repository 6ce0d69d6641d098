// Rule versions (engine::publish): checking a new version against the loaded ones, planning
// each migration, and moving the migrated cases. Nothing here is on the event path.
#include <algorithm>
#include <string>
#include <vector>

#include "crmflow/engine.hpp"
#include "loader/seeded_load.hpp"

namespace crmflow {

// How the cases of one old version's flow move onto the new version, by old ids.
struct engine::migration_plan {
  std::uint16_t from_slot = 0;
  flow_id old_flow = 0;
  flow_id new_flow = 0;
  std::vector<state_id> states;   // per old state: the new one (no_id16 for final old states)
  std::vector<event_id> events;   // per old event: the new one of that name, or no_id16
  std::vector<timer_id> timers;   // per old timer: the new one of that name, or no_id16
  std::vector<clock_id> clocks;   // per old SLA clock: the new one of that name, or no_id16
  // Per new field: the old field it takes its value from (no_id16: `value`), and for enums
  // each old value's new index.
  std::vector<field_id> source;
  std::vector<raw_value> value;
  std::vector<std::vector<raw_value>> enum_map;
};

namespace {

diagnostic at(const rules_position& p, std::string message, severity s = severity::error) {
  return {s, p.file, p.line, p.column, std::move(message)};
}

std::string type_text(const detail::flow_program& fl, const detail::field_def& f) {
  switch (f.type) {
    case value_type::string: return "string";
    case value_type::integer: return "int";
    case value_type::boolean: return "bool";
    case value_type::timestamp: return "timestamp";
    case value_type::duration: return "duration";
    case value_type::enumeration: {
      std::string out = "enum [";
      const auto& values = fl.enums[f.enum_index].values;
      for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
      return out + "]";
    }
  }
  return "?";
}

// True if timer `t` of `fl` runs while a case is in state `s` (its scope is the flow, the
// state, or a group the state is in).
bool timer_in_scope(const detail::flow_program& fl, timer_id t, state_id s) {
  const detail::timer_def& td = fl.timers[t];
  switch (td.scope) {
    case detail::timer_scope::flow: return true;
    case detail::timer_scope::state: return td.owner == s;
    case detail::timer_scope::group: return (fl.states[s].groups >> td.owner & 1) != 0;
  }
  return false;
}

}  // namespace

load_result engine::compile_version(const std::vector<rules_source>& sources) {
  load_result r = loader::load_rules_seeded(sources, &strings_);
  if (r.ok())
    for (std::size_t i = strings_.size(); i < r.rules->literals().size(); ++i)
      strings_.intern(r.rules->literals().text(static_cast<raw_value>(i)));
  return r;
}

bool engine::restore_versions(std::vector<std::shared_ptr<const rule_set>> slots, std::size_t newest,
                              const std::vector<bool>& loaded) {
  if (!cases_.empty() || newest >= slots.size() || !slots[newest] || loaded.size() != slots.size() ||
      slots.size() > 0xFFFE)
    return false;
  std::uint32_t last = 0;
  for (const auto& r : slots) {
    if (!r) continue;
    if (r->name() != slots[newest]->name() || r->version() <= last) return false;
    last = r->version();
    // Compiled code holds literal ids: every version must agree with this engine's pool.
    for (std::size_t i = 1; i < r->literals().size(); ++i)
      if (strings_.text(static_cast<raw_value>(i)) != r->literals().text(static_cast<raw_value>(i))) return false;
  }
  if (last != slots[newest]->version()) return false;
  versions_.clear();
  programs_.clear();
  for (std::size_t v = 0; v < slots.size(); ++v) {
    if (!slots[v]) {
      version_slot empty;
      empty.loaded = false;
      versions_.push_back(std::move(empty));
      programs_.push_back(nullptr);
      continue;
    }
    add_version(slots[v]);
    versions_.back().loaded = loaded[v] || v == newest;
  }
  newest_ = static_cast<std::uint16_t>(newest);
  rules_ = slots[newest];
  refresh_flags();
  return true;
}

publish_result engine::publish(const std::vector<rules_source>& sources, bool check_only) {
  publish_result out;
  load_result loaded = loader::load_rules_seeded(sources, &strings_);
  if (!loaded.ok()) {
    out.diagnostics = std::move(loaded.diagnostics);
    return out;
  }
  out.diagnostics = loaded.diagnostics;  // warnings
  const rule_set& next = *loaded.rules;
  out.version = next.version();
  const rules_position first{sources.empty() ? std::string("<rules>") : sources.front().file, 0, 0};
  const rules_position& id_at = next.id().declared() ? next.id().where : first;
  std::size_t errors = 0;
  auto error = [&](diagnostic d) {
    out.diagnostics.push_back(std::move(d));
    ++errors;
  };
  if (next.name() != rules_->name())
    error(at(id_at, "rule set '" + next.name() + "' cannot replace the running rule set '" + rules_->name() +
                        "' (a new version keeps the name in 'ruleset:')"));
  else if (next.version() <= rules_->version())
    error(at(id_at, "version " + std::to_string(next.version()) + " of '" + next.name() +
                        "' is not newer than the newest loaded version " + std::to_string(rules_->version()) +
                        " (raise 'version' in 'ruleset:')"));
  if (versions_.size() >= 0xFFFE) error(at(id_at, "too many versions published into one engine"));
  std::vector<migration_plan> plans;
  for (const migration_def& m : next.migrations()) {
    std::uint16_t slot = no_id16;
    for (std::size_t v = 0; v < versions_.size(); ++v)
      if (versions_[v].loaded && versions_[v].rules->version() == m.from_version) slot = static_cast<std::uint16_t>(v);
    const detail::flow_program& nfl = next.flow(m.flow);
    if (slot == no_id16) {
      out.diagnostics.push_back(at(m.where,
                                   "no running case is on version " + std::to_string(m.from_version) +
                                       ": this migration moves nothing",
                                   severity::warning));
      continue;
    }
    const rule_set& old = *versions_[slot].rules;
    const std::string vtext = "version " + std::to_string(m.from_version);
    const std::optional<flow_id> of = old.find_flow(nfl.name);
    if (!of) {
      error(at(m.where, "flow '" + nfl.name + "' is not in " + vtext + " of '" + old.name() + "'"));
      continue;
    }
    const detail::flow_program& ofl = old.flow(*of);
    migration_plan p;
    p.from_slot = slot;
    p.old_flow = *of;
    p.new_flow = m.flow;
    // States: explicit entries, then the same name.
    p.states.assign(ofl.states.size(), no_id16);
    std::vector<bool> explicit_state(ofl.states.size(), false);
    for (const migration_rename& r : m.states) {
      const auto it = ofl.state_by_name.find(r.from);
      if (it == ofl.state_by_name.end()) {
        error(at(r.where, "state '" + r.from + "' is not a state of flow '" + ofl.name + "' in " + vtext));
        continue;
      }
      if (ofl.states[it->second].final) {
        error(at(r.where, "state '" + r.from + "' is final in " + vtext +
                              "; closed cases stay on their version and are not migrated"));
        continue;
      }
      p.states[it->second] = nfl.state_by_name.at(r.to);
      explicit_state[it->second] = true;
    }
    for (std::size_t s = 0; s < ofl.states.size(); ++s) {
      if (explicit_state[s] || ofl.states[s].final) continue;
      const auto it = nfl.state_by_name.find(ofl.states[s].name);
      if (it == nfl.state_by_name.end() || nfl.states[it->second].final)
        error(at(m.where, "state '" + ofl.states[s].name + "' of flow '" + ofl.name + "' in " + vtext +
                              (it == nfl.state_by_name.end() ? " is not in version " : " is final in version ") +
                              std::to_string(next.version()) + " (map it to a state under 'states:')"));
      else
        p.states[s] = it->second;
    }
    // Fields: explicit renames and drops, then the same name; `set:` values; else defaults.
    p.source.assign(nfl.fields.size(), no_id16);
    p.value.resize(nfl.fields.size());
    p.enum_map.resize(nfl.fields.size());
    for (std::size_t f = 0; f < nfl.fields.size(); ++f) p.value[f] = nfl.fields[f].initial;
    for (const migration_value& v : m.values) p.value[v.field] = v.value;
    std::vector<bool> handled(ofl.fields.size(), false);
    auto map_field = [&](field_id from, field_id to, const rules_position& pos) {
      const detail::field_def& a = ofl.fields[from];
      const detail::field_def& b = nfl.fields[to];
      if (a.type != b.type) {
        error(at(pos, "field '" + a.name + "' is " + type_text(ofl, a) + " in " + vtext + ", but field '" + b.name +
                          "' is " + type_text(nfl, b) + " in version " + std::to_string(next.version())));
        return;
      }
      if (a.type == value_type::enumeration) {
        const auto& from_values = ofl.enums[a.enum_index].values;
        const auto& to_values = nfl.enums[b.enum_index].values;
        std::vector<raw_value> map;
        for (const std::string& value : from_values) {
          const auto it = std::find(to_values.begin(), to_values.end(), value);
          if (it == to_values.end()) {
            error(at(pos, "value '" + value + "' of enum field '" + a.name + "' in " + vtext +
                              " is not a value of field '" + b.name + "' in version " + std::to_string(next.version())));
            return;
          }
          map.push_back(it - to_values.begin());
        }
        p.enum_map[to] = std::move(map);
      }
      p.source[to] = from;
    };
    for (const migration_rename& r : m.fields) {
      const auto it = ofl.field_by_name.find(r.from);
      if (it == ofl.field_by_name.end()) {
        error(at(r.where, "field '" + r.from + "' is not a field of flow '" + ofl.name + "' in " + vtext));
        continue;
      }
      handled[it->second] = true;
      if (!r.to.empty()) map_field(it->second, nfl.field_by_name.at(r.to), r.where);
    }
    for (std::size_t f = 0; f < ofl.fields.size(); ++f) {
      if (handled[f]) continue;
      const auto it = nfl.field_by_name.find(ofl.fields[f].name);
      if (it == nfl.field_by_name.end()) {
        error(at(m.where, "field '" + ofl.fields[f].name + "' of flow '" + ofl.name + "' in " + vtext +
                              " is not in version " + std::to_string(next.version()) + " (rename it under 'fields:', or drop it with '" +
                              ofl.fields[f].name + ": null')"));
        continue;
      }
      if (p.source[it->second] != no_id16) continue;  // an explicit rename took it
      if (std::any_of(m.values.begin(), m.values.end(), [&](const migration_value& v) { return v.field == it->second; }))
        continue;  // `set:` gives it a value
      map_field(static_cast<field_id>(f), it->second, m.where);
    }
    p.events.assign(ofl.events.size(), no_id16);
    for (std::size_t e = 0; e < ofl.events.size(); ++e)
      if (const auto it = nfl.event_by_name.find(ofl.events[e].name); it != nfl.event_by_name.end())
        p.events[e] = it->second;
    p.timers.assign(ofl.timers.size(), no_id16);
    for (std::size_t t = 0; t < ofl.timers.size(); ++t)
      if (const auto it = nfl.timer_by_name.find(ofl.timers[t].name); it != nfl.timer_by_name.end())
        p.timers[t] = it->second;
    // SLA clocks go by name, like timers: a clock of the same name carries its counted time.
    p.clocks.assign(ofl.clocks.size(), no_id16);
    for (std::size_t k = 0; k < ofl.clocks.size(); ++k)
      for (std::size_t n = 0; n < nfl.clocks.size(); ++n)
        if (nfl.clocks[n].name == ofl.clocks[k].name) p.clocks[k] = static_cast<clock_id>(n);
    plans.push_back(std::move(p));
  }
  if (errors != 0) {
    std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(), [](const diagnostic& a, const diagnostic& b) {
      if (a.file != b.file) return a.file < b.file;
      if (a.line != b.line) return a.line < b.line;
      return a.column < b.column;
    });
    return out;
  }

  auto moves = [&](case_id c, const migration_plan& p) {
    const case_record& r = cases_[c];
    return r.version == p.from_slot && r.flow == p.old_flow && !program(r).states[r.state].final;
  };
  if (check_only) {
    for (const migration_plan& p : plans)
      for (case_id c = 0; c < cases_.size(); ++c) out.migrated += moves(c, p) ? 1 : 0;
    out.accepted = true;
    return out;
  }

  // The new version's literals follow the pool it was loaded against: same ids here.
  for (std::size_t i = strings_.size(); i < next.literals().size(); ++i)
    strings_.intern(next.literals().text(static_cast<raw_value>(i)));
  const std::uint16_t previous = newest_;
  add_version(std::move(loaded.rules));
  if (versions_[previous].live == 0) release(previous);
  for (const migration_plan& p : plans)
    for (case_id c = 0; c < cases_.size(); ++c)
      if (moves(c, p)) {
        migrate_case(c, newest_, p);
        ++out.migrated;
      }
  // Released versions: their trigger windows go now (see release()), and a version no case
  // ever used goes entirely.
  for (std::size_t v = 0; v < versions_.size(); ++v) {
    version_slot& s = versions_[v];
    if (s.loaded) continue;
    s.trig = trigger_state(std::span<const trigger_def>{});
    s.open_counts.clear();
    if (s.cases == 0) {
      s.rules = nullptr;
      programs_[v] = nullptr;
    }
  }
  refresh_flags();
  out.accepted = true;
  return out;
}

void engine::migrate_case(case_id c, std::uint16_t to, const migration_plan& p) {
  case_record& r = cases_[c];
  const std::uint16_t from = r.version;
  const detail::flow_program& ofl = program(r);
  const detail::flow_program& nfl = programs_[to][p.new_flow];
  const state_id old_state = r.state;
  const state_id new_state = p.states[old_state];

  std::vector<raw_value> values(nfl.fields.size());
  const raw_value* old_values = case_fields(c);
  for (std::size_t f = 0; f < nfl.fields.size(); ++f) {
    const field_id s = p.source[f];
    if (s == no_id16) {
      values[f] = p.value[f];
    } else {
      const raw_value v = old_values[s];
      values[f] = p.enum_map[f].empty() ? v : p.enum_map[f][static_cast<std::size_t>(v)];
    }
  }
  // Running timers: stopped here, restarted below with their due instants if the new version
  // has a timer of that name that runs in the new state.
  std::vector<std::pair<timer_id, timestamp>> running;
  for (std::size_t t = 0; t < ofl.timers.size(); ++t) {
    std::uint32_t& h = timer_handles_[r.timers + t];
    if (h == no_id32) continue;
    const timer_id nt = p.timers[t];
    const bool kept = nt != no_id16 && timer_in_scope(nfl, nt, new_state);
    if (kept) running.emplace_back(nt, deadlines_.due(h));
    deadlines_.cancel(h);
    h = no_id32;
    if (!kept && observed_) timer_changed(c, static_cast<timer_id>(t), false, 0);  // told with the old ids
  }
  // SLA clocks: each is brought up to now under the old version (its calendar is the old
  // version's), then unscheduled; a clock the new version has by name carries its phase, the
  // warnings and levels reached and the time counted (docs/rules.md, Rule versions).
  std::vector<std::pair<clock_id, clock_slot>> carried;
  for (std::size_t k = 0; k < ofl.clocks.size(); ++k) {
    clock_slot& s = clocks_[r.clocks + k];
    const clock_phase phase = clock_phase_of(s);
    if (phase == clock_phase::running) s.elapsed += counted(c, s, s.since, now_);
    if (phase == clock_phase::paused) s.paused += counted(c, s, s.since, now_);
    if (phase == clock_phase::running || phase == clock_phase::paused) s.since = now_;
    clock_unschedule(s);
    if (p.clocks[k] != no_id16 && phase != clock_phase::idle) carried.emplace_back(p.clocks[k], s);
    s = clock_slot{};
  }
  // Storage: reused when the new flow needs no more, else a new block at the end (the old
  // one is left unused).
  if (nfl.fields.size() > ofl.fields.size()) {
    r.fields = static_cast<std::uint32_t>(fields_.size());
    fields_.resize(fields_.size() + nfl.fields.size());
  }
  std::copy(values.begin(), values.end(), fields_.begin() + r.fields);
  if (nfl.timers.size() > ofl.timers.size()) {
    r.timers = static_cast<std::uint32_t>(timer_handles_.size());
    timer_handles_.resize(timer_handles_.size() + nfl.timers.size(), no_id32);
  }
  std::fill_n(timer_handles_.begin() + r.timers, nfl.timers.size(), no_id32);
  if (nfl.clocks.size() > ofl.clocks.size()) {
    r.clocks = static_cast<std::uint32_t>(clocks_.size());
    clocks_.resize(clocks_.size() + nfl.clocks.size());
  }
  std::fill_n(clocks_.begin() + r.clocks, nfl.clocks.size(), clock_slot{});
  for (std::uint32_t i = r.history; i != no_id32; i = history_[i].prev) {
    history_entry& h = history_[i].entry;
    h.event = h.event < p.events.size() ? p.events[h.event] : no_id16;
    h.from = h.from < p.states.size() ? p.states[h.from] : no_id16;
    h.to = h.to < p.states.size() ? p.states[h.to] : no_id16;
  }
  r.version = to;
  r.flow = p.new_flow;
  enter(r, nfl, new_state);
  --versions_[from].cases;
  --versions_[from].live;
  ++versions_[to].cases;
  ++versions_[to].live;
  if (versions_[from].live == 0 && from != newest_) release(from);

  for (const auto& [t, due] : running) timer_handles_[r.timers + t] = deadlines_.start(c, t, due, no_id32);
  notify_observers([&](observer& o) {
    o.on_migrated(*this, {c, now_, p.new_flow, versions_[from].rules->version(), versions_[to].rules->version(),
                          ofl.states[old_state].name, nfl.states[new_state].name});
  });
  // Timers of the new state (and its groups) that were not carried over start now, as if the
  // case had entered the state; no entry action runs.
  const detail::state_def& st = nfl.states[new_state];
  auto start_missing = [&](std::uint32_t first, std::uint32_t count) {
    for (std::uint32_t i = 0; i < count; ++i) {
      const timer_id t = nfl.timer_lists[first + i];
      if (timer_handles_[r.timers + t] != no_id32) continue;
      const std::optional<timestamp> due = start_timer(c, nfl, t);
      if (due && observed_) timer_changed(c, t, true, *due);
    }
  };
  for (std::uint64_t g = st.groups; g != 0; g &= g - 1) {
    const detail::group_def& gr = nfl.groups[std::countr_zero(g)];
    start_missing(gr.timers_first, gr.timers_count);
  }
  start_missing(st.timers_first, st.timers_count);
  // Carried clocks count on from now under the new definition: its limit and calendar are read
  // again (as when a clock's limit or calendar field is set), the next warning or level is
  // planned, and one already passed is reached at once (its actions run on the new version).
  emitted_ = 0;
  for (auto& [k, s] : carried) {
    const detail::clock_def& cd = nfl.clocks[k];
    clock_slot& slot = clocks_[cases_[c].clocks + k];  // actions may add cases
    slot = s;
    slot.deadline = no_id32;
    slot.calendar = clock_calendar(c, cd);
    slot.limit = clock_limit(c, cd);
    if (clock_phase_of(slot) == clock_phase::running) clock_schedule(c, nfl, k);
  }
  drain_emits();
}

}  // namespace crmflow
