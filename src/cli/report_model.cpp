// The KPI figures, from the engine's observer callbacks. What the engine does not report is
// followed from the rules: a state's and a group's timers start and stop with the state or
// group (no record), and entering a final state stops every timer of the case.
#include "cli/report_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace crmflow::cli {

std::string format_percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", std::floor(fraction * 1000.0 + 0.5) / 10.0);
  return buf;
}

std::string format_target(double fraction) {
  char buf[32];
  const double pct = fraction * 100.0;
  if (std::fabs(pct - std::round(pct)) < 1e-9) std::snprintf(buf, sizeof buf, "%.0f%%", pct);
  else std::snprintf(buf, sizeof buf, "%g%%", pct);
  return buf;
}

report_observer::report_observer(const rule_set& rules, const report_spec& spec, report_period period)
    : rules_(rules), spec_(spec) {
  fig_.period = std::move(period);
  fig_.steps.resize(spec.steps.size());
  fig_.revisits.resize(spec.revisits.size());
  step_by_timer_.resize(rules.flow_count());
  unit_field_.assign(rules.flow_count(), no_id16);
  for (std::size_t f = 0; f < rules.flow_count(); ++f)
    step_by_timer_[f].assign(rules.flow(static_cast<flow_id>(f)).timers.size(), -1);
  for (std::size_t s = 0; s < spec.steps.size(); ++s)
    step_by_timer_[spec.steps[s].flow][spec.steps[s].timer] = static_cast<int>(s);
  for (const kpi_unit_field& u : spec.units) unit_field_[u.flow] = u.field;
  for (std::size_t f = 0; f < rules.flow_count(); ++f) {
    first_clock_.push_back(fig_.clocks.size());
    for (std::size_t c = 0; c < rules.flow(static_cast<flow_id>(f)).clocks.size(); ++c)
    {
      clock_count n;
      n.flow = static_cast<flow_id>(f);
      n.clock = static_cast<clock_id>(c);
      fig_.clocks.push_back(std::move(n));
    }
  }
}

// Both ways by name, for one kind of thing (states, timers, ...) of a flow of each rule set.
namespace {
template <class Def>
void map_by_name(const std::vector<Def>& version, const std::vector<Def>& report, std::vector<std::uint16_t>& to_report,
                 std::vector<std::uint16_t>& to_version) {
  std::unordered_map<std::string_view, std::uint16_t> by_name;
  for (std::size_t i = 0; i < report.size(); ++i) by_name.emplace(report[i].name, static_cast<std::uint16_t>(i));
  to_report.assign(version.size(), no_id16);
  to_version.assign(report.size(), no_id16);
  for (std::size_t i = 0; i < version.size(); ++i) {
    const auto it = by_name.find(version[i].name);
    if (it == by_name.end()) continue;
    to_report[i] = it->second;
    to_version[it->second] = static_cast<std::uint16_t>(i);
  }
}
}  // namespace

report_observer::version_ids report_observer::translate(const rule_set& vr) const {
  version_ids v;
  v.version = vr.version();
  const std::size_t n = vr.flow_count();
  v.flow.assign(n, no_id16);
  v.state.resize(n);
  v.event.resize(n);
  v.timer.resize(n);
  v.clock.resize(n);
  v.field.resize(n);
  v.enum_value.resize(n);
  v.field_of.resize(rules_.flow_count());
  v.timer_of.resize(rules_.flow_count());
  v.clock_of.resize(rules_.flow_count());
  for (std::size_t rf = 0; rf < rules_.flow_count(); ++rf) {
    v.field_of[rf].assign(rules_.flow(static_cast<flow_id>(rf)).fields.size(), no_id16);
    v.timer_of[rf].assign(rules_.flow(static_cast<flow_id>(rf)).timers.size(), no_id16);
    v.clock_of[rf].assign(rules_.flow(static_cast<flow_id>(rf)).clocks.size(), no_id16);
  }
  std::vector<std::uint16_t> unused;
  for (std::size_t f = 0; f < n; ++f) {
    const detail::flow_program& vfl = vr.flow(static_cast<flow_id>(f));
    const std::optional<flow_id> rf = rules_.find_flow(vfl.name);
    if (!rf) continue;
    v.flow[f] = *rf;
    const detail::flow_program& rfl = rules_.flow(*rf);
    map_by_name(vfl.states, rfl.states, v.state[f], unused);
    map_by_name(vfl.events, rfl.events, v.event[f], unused);
    map_by_name(vfl.timers, rfl.timers, v.timer[f], v.timer_of[*rf]);
    map_by_name(vfl.clocks, rfl.clocks, v.clock[f], v.clock_of[*rf]);
    map_by_name(vfl.fields, rfl.fields, v.field[f], v.field_of[*rf]);
    // Enum values by name too (a version may list them in another order).
    v.enum_value[f].resize(vfl.fields.size());
    for (std::size_t i = 0; i < vfl.fields.size(); ++i) {
      const field_id ri = v.field[f][i];
      const detail::field_def& vd = vfl.fields[i];
      if (ri == no_id16 || vd.enum_index == no_id32 || rfl.fields[ri].enum_index == no_id32) continue;
      const std::vector<std::string>& vv = vfl.enums[vd.enum_index].values;
      const std::vector<std::string>& rv = rfl.enums[rfl.fields[ri].enum_index].values;
      std::vector<raw_value>& out = v.enum_value[f][i];
      out.assign(vv.size(), -1);
      for (std::size_t x = 0; x < vv.size(); ++x) {
        const auto it = std::find(rv.begin(), rv.end(), vv[x]);
        if (it != rv.end()) out[x] = it - rv.begin();
      }
    }
  }
  return v;
}

const report_observer::version_ids& report_observer::ids_of(const engine& e, case_id c) const {
  // By version number: numbers are never reused in an engine, while a released version's
  // rule set may be freed and its address reused.
  const std::uint32_t number = e.case_version(c);
  if (last_ && last_->version == number) return *last_;
  for (const auto& v : versions_)
    if (v->version == number) return *(last_ = v.get());
  versions_.push_back(std::make_unique<version_ids>(translate(e.rules_of(c))));
  return *(last_ = versions_.back().get());
}

std::string report_observer::text_of(const engine& e, case_id c, flow_id rf, field_id f) const {
  const field_id vf = version_ids::get(ids_of(e, c).field_of, rf, f);
  return vf == no_id16 ? std::string() : e.field_text(c, vf);
}

raw_value report_observer::value_of(const engine& e, case_id c, flow_id rf, field_id f) const {
  const version_ids& v = ids_of(e, c);
  const field_id vf = version_ids::get(v.field_of, rf, f);
  if (vf == no_id16) return -1;
  const raw_value x = e.field(c, vf);
  const std::vector<raw_value>& m = v.enum_value[e.case_flow(c)][vf];
  if (m.empty()) return x;
  return x >= 0 && static_cast<std::size_t>(x) < m.size() ? m[static_cast<std::size_t>(x)] : -1;
}

// Every record below comes with ids of the case's own version: they are translated first
// (version_ids), and what the report's rules do not have is not counted.
// A clock run is on time if it stops before its limit, breached once it reaches level 1; the
// unit (if the flow has one) is charged as for a step.
void report_observer::on_clock(const engine& e, const clock_record& r) {
  if (r.id >= cases_.size() || !cases_[r.id].counted) return;
  const version_ids& v = ids_of(e, r.id);
  const flow_id f = v.to_flow(r.flow);
  const clock_id ck = version_ids::get(v.clock, r.flow, r.clock);
  if (f == no_id16 || ck == no_id16) return;
  const std::size_t k = first_clock_[f] + ck;
  clock_count& n = fig_.clocks[k];
  const auto run = clock_runs_.find({r.id, k});
  auto charge = [&](bool breached) {
    if (unit_field_[f] == no_id16) return;
    step_count& u = fig_.units[unit_of(e, r.id, f)];
    ++(breached ? u.breached : u.on_time);
  };
  switch (r.what) {
    case clock_event::started:
      ++n.started;
      clock_runs_[{r.id, k}] = 1;
      break;
    case clock_event::warning:
      ++n.warnings;
      break;
    case clock_event::breach:
      ++n.levels[r.level];
      if (run != clock_runs_.end() && run->second == 1) {
        run->second = 2;
        ++n.breached;
        charge(true);
      }
      break;
    case clock_event::stopped:
      if (run != clock_runs_.end()) {
        if (run->second == 1) {
          ++n.on_time;
          charge(false);
        }
        clock_runs_.erase(run);
      }
      break;
    case clock_event::paused:
    case clock_event::resumed:
      break;
  }
}

int report_observer::step_of(flow_id f, timer_id t) const {
  if (f >= step_by_timer_.size()) return -1;
  const auto& v = step_by_timer_[f];
  return t < v.size() ? v[t] : -1;
}

std::string report_observer::unit_of(const engine& e, case_id c, flow_id f) const {
  if (unit_field_[f] == no_id16) return spec_.unassigned;
  std::string u = text_of(e, c, f, unit_field_[f]);
  return u.empty() ? spec_.unassigned : u;
}

bool report_observer::awaits(const kpi_revisit& rv, state_id s) const {
  return std::find(rv.states.begin(), rv.states.end(), s) != rv.states.end();
}

bool report_observer::matches(const engine& e, case_id c, const kpi_revisit& rv) const {
  if (rv.where_field == no_id16) return true;
  if (rules_.flow(rv.flow).fields[rv.where_field].type == value_type::string)
    return text_of(e, c, rv.flow, rv.where_field) == rv.where_text;
  return value_of(e, c, rv.flow, rv.where_field) == rv.where_value;
}

// A case entering one of a revisit kind's states from outside them is due a revisit; moving
// on to the late state (due -> overdue) makes the revisit late.
void report_observer::enter_revisit_states(const engine& e, case_id c, flow_id f, state_id from, state_id to,
                                           bool created) {
  case_info& ci = cases_[c];
  for (std::size_t k = 0; k < spec_.revisits.size(); ++k) {
    const kpi_revisit& rv = spec_.revisits[k];
    if (rv.flow != f || !awaits(rv, to)) continue;
    const std::uint64_t bit = std::uint64_t{1} << k;
    if (created || !(ci.awaiting & bit)) {
      if (!matches(e, c, rv)) continue;
      ci.awaiting |= bit;
      ci.late &= ~bit;
      if (ci.counted) ++fig_.revisits[k].due;
    }
    if (to == rv.late_state && (created || from != to)) ci.late |= bit;
  }
}

std::string report_observer::match_key(const engine& e, case_id c, flow_id rf, const std::vector<field_id>& fields) const {
  std::string key;
  for (field_id f : fields) {
    key += text_of(e, c, rf, f);
    key += '\x1f';
  }
  return key;
}

void report_observer::close_step(const engine& e, case_id c, std::size_t step, bool breached) {
  case_info& ci = cases_[c];
  ci.running &= ~(std::uint64_t{1} << step);
  if (!ci.counted) return;
  step_count& by_unit = fig_.units[unit_of(e, c, spec_.steps[step].flow)];
  if (breached) {
    ++fig_.steps[step].breached;
    ++by_unit.breached;
  } else {
    ++fig_.steps[step].on_time;
    ++by_unit.on_time;
  }
}

void report_observer::on_created(const engine& e, const created_record& r) {
  if (cases_.size() <= r.id) cases_.resize(r.id + 1);
  if (received_.size() <= r.id) received_.resize(r.id + 1);
  received_[r.id] = r.at;
  case_info& ci = cases_[r.id];
  ci.counted = fig_.period.all || (r.at >= fig_.period.from && r.at < fig_.period.to);
  if (ci.counted) ++fig_.cases;
  deadline_case_ = no_id32;
  const version_ids& v = ids_of(e, r.id);
  const flow_id f = v.to_flow(r.flow);
  if (f == no_id16) return;
  const state_id state = version_ids::get(v.state, r.flow, r.state);
  // The initial state's timers and those of its groups start now (as the case's version says).
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  const detail::state_def& st = fl.states[r.state];
  if (spec_.coverage && spec_.coverage->customer_flow == f) {
    if (left_.size() <= r.id) left_.resize(r.id + 1, std::numeric_limits<timestamp>::max());
    left_[r.id] = std::numeric_limits<timestamp>::max();
  }
  if (st.final) {
    enter_revisit_states(e, r.id, f, state, state, true);
    return;
  }
  for (std::size_t t = 0; t < fl.timers.size(); ++t) {
    const detail::timer_def& td = fl.timers[t];
    const bool starts = (td.scope == detail::timer_scope::state && td.owner == r.state) ||
                        (td.scope == detail::timer_scope::group && (st.groups >> td.owner) & 1);
    const int s = step_of(f, v.timer[r.flow][t]);
    if (starts && s >= 0) ci.running |= std::uint64_t{1} << s;
  }
  enter_revisit_states(e, r.id, f, state, state, true);
}

void report_observer::on_transition(const engine& e, const transition_record& r) {
  deadline_case_ = no_id32;
  case_info& ci = cases_[r.id];
  const version_ids& v = ids_of(e, r.id);
  const flow_id f = v.to_flow(r.flow);
  if (f == no_id16) return;
  const state_id from = version_ids::get(v.state, r.flow, r.from);
  const state_id to = version_ids::get(v.state, r.flow, r.to);
  const event_id event = version_ids::get(v.event, r.flow, r.event);
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  // Revisits: leaving a kind's states, by the revisit event, for an excused state, or otherwise.
  for (std::size_t k = 0; k < spec_.revisits.size(); ++k) {
    const kpi_revisit& rv = spec_.revisits[k];
    const std::uint64_t bit = std::uint64_t{1} << k;
    if (rv.flow != f || r.internal || !(ci.awaiting & bit) || awaits(rv, to)) continue;
    if (ci.counted) {
      revisit_count& n = fig_.revisits[k];
      if (event == rv.event) {
        ++n.done;
        if (!(ci.late & bit)) ++n.done_on_time;
      } else if (std::find(rv.excused.begin(), rv.excused.end(), to) != rv.excused.end()) {
        ++n.excused;
      } else {
        ++n.left_without;
      }
    }
    ci.awaiting &= ~bit;
    ci.late &= ~bit;
  }
  if (!r.internal) enter_revisit_states(e, r.id, f, from, to, false);
  if (spec_.coverage && !r.internal && to != no_id16) {
    const kpi_coverage& cv = *spec_.coverage;
    if (f == cv.customer_flow && to == cv.left_state && r.id < left_.size()) left_[r.id] = r.at;
    if (f == cv.visit_flow && to == cv.done_state) visits_done_.emplace_back(match_key(e, r.id, f, cv.visit_match), r.at);
  }
  if (r.internal) return;
  const detail::state_def& src = fl.states[r.from];
  const detail::state_def& dst = fl.states[r.to];
  const std::uint64_t leaving = src.groups & ~dst.groups;
  const std::uint64_t entering = dst.groups & ~src.groups;
  // Timers of the state left (a self-transition leaves and re-enters it) and of the groups
  // left stop: their steps were kept.
  for (std::size_t t = 0; t < fl.timers.size(); ++t) {
    const int s = step_of(f, v.timer[r.flow][t]);
    if (s < 0 || !(ci.running & (std::uint64_t{1} << s))) continue;
    const detail::timer_def& td = fl.timers[t];
    const bool stops = dst.final || (td.scope == detail::timer_scope::state && td.owner == r.from) ||
                       (td.scope == detail::timer_scope::group && (leaving >> td.owner) & 1);
    if (stops) close_step(e, r.id, static_cast<std::size_t>(s), false);
  }
  if (dst.final) return;
  for (std::size_t t = 0; t < fl.timers.size(); ++t) {
    const int s = step_of(f, v.timer[r.flow][t]);
    if (s < 0) continue;
    const detail::timer_def& td = fl.timers[t];
    const bool starts = (td.scope == detail::timer_scope::state && td.owner == r.to) ||
                        (td.scope == detail::timer_scope::group && (entering >> td.owner) & 1);
    if (starts) ci.running |= std::uint64_t{1} << s;
  }
}

void report_observer::on_action(const engine& e, const action_record& r) {
  case_info& ci = cases_[r.id];
  const detail::action_def& a = *r.action;
  const version_ids& v = ids_of(e, r.id);
  const flow_id f = v.to_flow(r.flow);
  if (f == no_id16) return;
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  switch (a.kind) {
    case detail::action_kind::start_timer: {
      const int s = step_of(f, version_ids::get(v.timer, r.flow, a.target));
      if (s < 0) return;
      const std::uint64_t bit = std::uint64_t{1} << s;
      // Restarted while running: the earlier limit was not missed.
      if (ci.running & bit) close_step(e, r.id, static_cast<std::size_t>(s), false);
      const detail::timer_def& td = fl.timers[a.target];
      // A timer of zero or less time left does not start: the step is already late.
      const bool not_started = (td.after_field != no_id16 && e.field(r.id, td.after_field) <= 0) ||
                               (td.clock != detail::timer_clock::calendar_time && r.value == 0);
      if (not_started) {
        ci.running |= bit;
        close_step(e, r.id, static_cast<std::size_t>(s), true);
      } else {
        ci.running |= bit;
      }
      return;
    }
    case detail::action_kind::cancel_timer: {
      const int s = step_of(f, version_ids::get(v.timer, r.flow, a.target));
      if (s >= 0 && (ci.running & (std::uint64_t{1} << s))) close_step(e, r.id, static_cast<std::size_t>(s), false);
      return;
    }
    case detail::action_kind::set: {
      if (!spec_.complaints || spec_.complaints->flow != f) return;
      const field_id target = version_ids::get(v.field, r.flow, a.target);
      if (target == no_id16) return;
      if (target == spec_.complaints->satisfaction) {
        const std::vector<raw_value>& m = v.enum_value[r.flow][a.target];
        ci.satisfaction = m.empty() ? r.value
                          : r.value >= 0 && static_cast<std::size_t>(r.value) < m.size() ? m[static_cast<std::size_t>(r.value)]
                                                                                          : -1;
      }
      if (target == spec_.complaints->escalations && ci.counted) ++fig_.escalations[r.value];
      return;
    }
    default:
      return;
  }
}

void report_observer::on_alarm(const engine& e, const alarm_record& r) {
  if (r.id >= cases_.size()) return;
  case_info& ci = cases_[r.id];
  if (ci.counted) ++fig_.alarms[std::string(r.name)];
  const flow_id f = ids_of(e, r.id).to_flow(r.flow);
  if (f == no_id16) return;
  // An alarm that stands for a step's breach, raised by the flow itself rather than by the
  // step's own deadline (whose breach is already counted).
  for (std::size_t s = 0; s < spec_.steps.size(); ++s) {
    const kpi_step& st = spec_.steps[s];
    if (st.alarm.empty() || st.alarm != r.name || st.flow != f) continue;
    if (deadline_case_ == r.id && deadline_timer_ == st.timer) continue;
    close_step(e, r.id, s, true);
  }
  if (ci.counted && spec_.complaints && spec_.complaints->flow == f)
    for (const std::string& name : spec_.repeated_problem_alarms)
      if (name == r.name) {
        const kpi_complaints& c = *spec_.complaints;
        const std::string cat = c.category != no_id16 ? text_of(e, r.id, f, c.category) : std::string();
        const std::string place = c.place != no_id16 ? text_of(e, r.id, f, c.place) : std::string();
        ++fig_.alarmed_problems[{cat, place}];
      }
}

void report_observer::on_deadline(const engine& e, const deadline_record& r) {
  const version_ids& v = ids_of(e, r.id);
  const flow_id f = v.to_flow(r.flow);
  const timer_id timer = version_ids::get(v.timer, r.flow, r.timer);
  deadline_case_ = r.id;
  deadline_timer_ = timer;
  if (f == no_id16 || timer == no_id16) return;
  case_info& ci = cases_[r.id];
  for (std::size_t k = 0; k < spec_.revisits.size(); ++k) {
    const kpi_revisit& rv = spec_.revisits[k];
    if (rv.flow == f && rv.timer == timer && (ci.awaiting & (std::uint64_t{1} << k)))
      ci.late |= std::uint64_t{1} << k;
  }
  const int s = step_of(f, timer);
  if (s >= 0) {
    ci.running |= std::uint64_t{1} << s;
    close_step(e, r.id, static_cast<std::size_t>(s), true);
  }
}

// A case moved to a newer version: its ids are now that version's. What the engine does with
// its timers and clocks (docs/rules.md, Migrations) is followed by name: a running step whose
// timer runs in the new state goes on, other running steps stop (uncounted: neither kept nor
// missed); a step timer of the new state or its groups that was not running starts. A clock
// run stops (uncounted) unless the new version has a clock of that name.
void report_observer::on_migrated(const engine& e, const migration_record& r) {
  if (r.id >= cases_.size()) return;
  deadline_case_ = no_id32;
  case_info& ci = cases_[r.id];
  const version_ids& v = ids_of(e, r.id);
  const flow_id f = v.to_flow(r.flow);
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  const state_id now = e.state(r.id);
  for (std::size_t s = 0; s < spec_.steps.size(); ++s) {
    const kpi_step& st = spec_.steps[s];
    const std::uint64_t bit = std::uint64_t{1} << s;
    const timer_id t = st.flow == f ? version_ids::get(v.timer_of, f, st.timer) : no_id16;
    if (t == no_id16) {
      ci.running &= ~bit;
      continue;
    }
    const detail::timer_def& td = fl.timers[t];
    const bool in_state = (td.scope == detail::timer_scope::state && td.owner == now) ||
                          (td.scope == detail::timer_scope::group && (fl.states[now].groups >> td.owner) & 1);
    if (ci.running & bit) {
      if (!in_state && td.scope != detail::timer_scope::flow) ci.running &= ~bit;
    } else if (in_state && !fl.states[now].final) {
      ci.running |= bit;
    }
  }
  for (auto it = clock_runs_.lower_bound({r.id, 0}); it != clock_runs_.end() && it->first.first == r.id;) {
    const clock_count& n = fig_.clocks[it->first.second];
    if (n.flow != f || version_ids::get(v.clock_of, n.flow, n.clock) == no_id16) it = clock_runs_.erase(it);
    else ++it;
  }
}

void report_observer::finish(const engine& e) {
  for (const auto& [key, state] : clock_runs_) {
    if (state != 1) continue;
    ++fig_.clocks[key.second].open;
    const flow_id f = fig_.clocks[key.second].flow;
    if (unit_field_[f] != no_id16) ++fig_.units[unit_of(e, key.first, f)].open;
  }
  if (spec_.coverage) {
    const kpi_coverage& cv = *spec_.coverage;
    const timestamp from = fig_.period.all ? std::numeric_limits<timestamp>::min() : fig_.period.from;
    const timestamp to = fig_.period.all ? std::numeric_limits<timestamp>::max() : fig_.period.to;
    std::unordered_set<std::string> visited;
    for (const auto& [key, at] : visits_done_)
      if (at >= from && at < to) visited.insert(key);
    for (case_id c = 0; c < cases_.size(); ++c) {
      if (flow_of(e, c) != cv.customer_flow || received_[c] >= to) continue;
      if (c < left_.size() && left_[c] < from) continue;
      ++fig_.customers_registered;
      if (visited.contains(match_key(e, c, cv.customer_flow, cv.customer_match))) ++fig_.customers_visited;
    }
  }
  for (case_id c = 0; c < cases_.size(); ++c) {
    const case_info& ci = cases_[c];
    if (!ci.counted) continue;
    for (std::size_t s = 0; s < spec_.steps.size(); ++s)
      if (ci.running & (std::uint64_t{1} << s)) {
        ++fig_.steps[s].open;
        ++fig_.units[unit_of(e, c, spec_.steps[s].flow)].open;
      }
    for (std::size_t k = 0; k < spec_.revisits.size(); ++k)
      if (ci.awaiting & (std::uint64_t{1} << k)) {
        if (ci.late & (std::uint64_t{1} << k)) ++fig_.revisits[k].overdue;
        else ++fig_.revisits[k].waiting;
      }
    if (spec_.loyalty && flow_of(e, c) == spec_.loyalty->flow) {
      const kpi_loyalty& l = *spec_.loyalty;
      const raw_value v = value_of(e, c, l.flow, l.field);
      if (std::find(l.loyal.begin(), l.loyal.end(), v) != l.loyal.end()) {
        ++fig_.loyal;
        ++fig_.loyalty_answers;
      } else if (std::find(l.not_loyal.begin(), l.not_loyal.end(), v) != l.not_loyal.end()) {
        ++fig_.loyalty_answers;
      }
    }
    if (!spec_.complaints) continue;
    const kpi_complaints& k = *spec_.complaints;
    if (flow_of(e, c) != k.flow) continue;
    if (ci.satisfaction >= 0) {
      ++fig_.with_result;
      for (raw_value v : k.satisfied)
        if (v == ci.satisfaction) ++fig_.satisfied;
    }
    complaint_row row;
    row.name = std::string(e.case_name(c));
    row.received = received_[c];
    row.category = k.category != no_id16 ? text_of(e, c, k.flow, k.category) : std::string();
    row.place = k.place != no_id16 ? text_of(e, c, k.flow, k.place) : std::string();
    row.unit = unit_field_[k.flow] != no_id16 ? text_of(e, c, k.flow, unit_field_[k.flow]) : std::string();
    row.valid = k.valid == no_id16 || value_of(e, c, k.flow, k.valid) != 0;
    // The state's label as the case's own version has it.
    const detail::state_def& st = e.rules_of(c).flow(e.case_flow(c)).states[e.state(c)];
    row.state = st.label.empty() ? st.name : st.label;
    fig_.complaints.push_back(std::move(row));
  }
}

}  // namespace crmflow::cli
