// The KPI figures, from the engine's observer callbacks. What the engine does not report is
// followed from the rules: a state's and a group's timers start and stop with the state or
// group (no record), and entering a final state stops every timer of the case.
#include "cli/report_model.hpp"

#include <algorithm>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
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

// A clock run is on time if it stops before its limit, breached once it reaches level 1; the
// unit (if the flow has one) is charged as for a step.
void report_observer::on_clock(const engine& e, const clock_record& r) {
  if (r.id >= cases_.size() || !cases_[r.id].counted) return;
  const std::size_t k = first_clock_[r.flow] + r.clock;
  clock_count& n = fig_.clocks[k];
  const auto run = clock_runs_.find({r.id, k});
  auto charge = [&](bool breached) {
    if (unit_field_[r.flow] == no_id16) return;
    step_count& u = fig_.units[unit_of(e, r.id, r.flow)];
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
  const auto& v = step_by_timer_[f];
  return t < v.size() ? v[t] : -1;
}

std::string report_observer::unit_of(const engine& e, case_id c, flow_id f) const {
  if (unit_field_[f] == no_id16) return spec_.unassigned;
  std::string u = e.field_text(c, unit_field_[f]);
  return u.empty() ? spec_.unassigned : u;
}

bool report_observer::awaits(const kpi_revisit& rv, state_id s) const {
  return std::find(rv.states.begin(), rv.states.end(), s) != rv.states.end();
}

bool report_observer::matches(const engine& e, case_id c, const kpi_revisit& rv) const {
  if (rv.where_field == no_id16) return true;
  if (rules_.flow(rv.flow).fields[rv.where_field].type == value_type::string)
    return e.field_text(c, rv.where_field) == rv.where_text;
  return e.field(c, rv.where_field) == rv.where_value;
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

std::string report_observer::match_key(const engine& e, case_id c, const std::vector<field_id>& fields) const {
  std::string key;
  for (field_id f : fields) {
    key += e.field_text(c, f);
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
  // The initial state's timers and those of its groups start now.
  const detail::flow_program& fl = rules_.flow(r.flow);
  const detail::state_def& st = fl.states[r.state];
  if (spec_.coverage && spec_.coverage->customer_flow == r.flow) {
    if (left_.size() <= r.id) left_.resize(r.id + 1, std::numeric_limits<timestamp>::max());
    left_[r.id] = std::numeric_limits<timestamp>::max();
  }
  if (st.final) {
    enter_revisit_states(e, r.id, r.flow, r.state, r.state, true);
    return;
  }
  for (std::size_t t = 0; t < fl.timers.size(); ++t) {
    const detail::timer_def& td = fl.timers[t];
    const bool starts = (td.scope == detail::timer_scope::state && td.owner == r.state) ||
                        (td.scope == detail::timer_scope::group && (st.groups >> td.owner) & 1);
    const int s = step_of(r.flow, static_cast<timer_id>(t));
    if (starts && s >= 0) ci.running |= std::uint64_t{1} << s;
  }
  enter_revisit_states(e, r.id, r.flow, r.state, r.state, true);
}

void report_observer::on_transition(const engine& e, const transition_record& r) {
  deadline_case_ = no_id32;
  case_info& ci = cases_[r.id];
  const detail::flow_program& fl = rules_.flow(r.flow);
  // Revisits: leaving a kind's states, by the revisit event, for an excused state, or otherwise.
  for (std::size_t k = 0; k < spec_.revisits.size(); ++k) {
    const kpi_revisit& rv = spec_.revisits[k];
    const std::uint64_t bit = std::uint64_t{1} << k;
    if (rv.flow != r.flow || r.internal || !(ci.awaiting & bit) || awaits(rv, r.to)) continue;
    if (ci.counted) {
      revisit_count& n = fig_.revisits[k];
      if (r.event == rv.event) {
        ++n.done;
        if (!(ci.late & bit)) ++n.done_on_time;
      } else if (std::find(rv.excused.begin(), rv.excused.end(), r.to) != rv.excused.end()) {
        ++n.excused;
      } else {
        ++n.left_without;
      }
    }
    ci.awaiting &= ~bit;
    ci.late &= ~bit;
  }
  if (!r.internal) enter_revisit_states(e, r.id, r.flow, r.from, r.to, false);
  if (spec_.coverage && !r.internal) {
    const kpi_coverage& cv = *spec_.coverage;
    if (r.flow == cv.customer_flow && r.to == cv.left_state && r.id < left_.size()) left_[r.id] = r.at;
    if (r.flow == cv.visit_flow && r.to == cv.done_state) visits_done_.emplace_back(match_key(e, r.id, cv.visit_match), r.at);
  }
  if (r.internal) return;
  const detail::state_def& src = fl.states[r.from];
  const detail::state_def& dst = fl.states[r.to];
  const std::uint64_t leaving = src.groups & ~dst.groups;
  const std::uint64_t entering = dst.groups & ~src.groups;
  // Timers of the state left (a self-transition leaves and re-enters it) and of the groups
  // left stop: their steps were kept.
  for (std::size_t t = 0; t < fl.timers.size(); ++t) {
    const int s = step_of(r.flow, static_cast<timer_id>(t));
    if (s < 0 || !(ci.running & (std::uint64_t{1} << s))) continue;
    const detail::timer_def& td = fl.timers[t];
    const bool stops = dst.final || (td.scope == detail::timer_scope::state && td.owner == r.from) ||
                       (td.scope == detail::timer_scope::group && (leaving >> td.owner) & 1);
    if (stops) close_step(e, r.id, static_cast<std::size_t>(s), false);
  }
  if (dst.final) return;
  for (std::size_t t = 0; t < fl.timers.size(); ++t) {
    const int s = step_of(r.flow, static_cast<timer_id>(t));
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
  const detail::flow_program& fl = rules_.flow(r.flow);
  switch (a.kind) {
    case detail::action_kind::start_timer: {
      const int s = step_of(r.flow, a.target);
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
      const int s = step_of(r.flow, a.target);
      if (s >= 0 && (ci.running & (std::uint64_t{1} << s))) close_step(e, r.id, static_cast<std::size_t>(s), false);
      return;
    }
    case detail::action_kind::set: {
      if (!spec_.complaints || spec_.complaints->flow != r.flow) return;
      if (a.target == spec_.complaints->satisfaction) ci.satisfaction = r.value;
      if (a.target == spec_.complaints->escalations && ci.counted) ++fig_.escalations[r.value];
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
  // An alarm that stands for a step's breach, raised by the flow itself rather than by the
  // step's own deadline (whose breach is already counted).
  for (std::size_t s = 0; s < spec_.steps.size(); ++s) {
    const kpi_step& st = spec_.steps[s];
    if (st.alarm.empty() || st.alarm != r.name || st.flow != r.flow) continue;
    if (deadline_case_ == r.id && deadline_timer_ == st.timer) continue;
    close_step(e, r.id, s, true);
  }
  if (ci.counted && spec_.complaints && spec_.complaints->flow == r.flow)
    for (const std::string& name : spec_.repeated_problem_alarms)
      if (name == r.name) {
        const kpi_complaints& c = *spec_.complaints;
        const std::string cat = c.category != no_id16 ? e.field_text(r.id, c.category) : std::string();
        const std::string place = c.place != no_id16 ? e.field_text(r.id, c.place) : std::string();
        ++fig_.alarmed_problems[{cat, place}];
      }
}

void report_observer::on_deadline(const engine& e, const deadline_record& r) {
  deadline_case_ = r.id;
  deadline_timer_ = r.timer;
  case_info& ci = cases_[r.id];
  for (std::size_t k = 0; k < spec_.revisits.size(); ++k) {
    const kpi_revisit& rv = spec_.revisits[k];
    if (rv.flow == r.flow && rv.timer == r.timer && (ci.awaiting & (std::uint64_t{1} << k)))
      ci.late |= std::uint64_t{1} << k;
  }
  const int s = step_of(r.flow, r.timer);
  if (s >= 0) {
    ci.running |= std::uint64_t{1} << s;
    close_step(e, r.id, static_cast<std::size_t>(s), true);
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
      if (e.case_flow(c) != cv.customer_flow || received_[c] >= to) continue;
      if (c < left_.size() && left_[c] < from) continue;
      ++fig_.customers_registered;
      if (visited.contains(match_key(e, c, cv.customer_match))) ++fig_.customers_visited;
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
    if (spec_.loyalty && e.case_flow(c) == spec_.loyalty->flow) {
      const kpi_loyalty& l = *spec_.loyalty;
      const raw_value v = e.field(c, l.field);
      if (std::find(l.loyal.begin(), l.loyal.end(), v) != l.loyal.end()) {
        ++fig_.loyal;
        ++fig_.loyalty_answers;
      } else if (std::find(l.not_loyal.begin(), l.not_loyal.end(), v) != l.not_loyal.end()) {
        ++fig_.loyalty_answers;
      }
    }
    if (!spec_.complaints) continue;
    const kpi_complaints& k = *spec_.complaints;
    if (e.case_flow(c) != k.flow) continue;
    if (ci.satisfaction >= 0) {
      ++fig_.with_result;
      for (raw_value v : k.satisfied)
        if (v == ci.satisfaction) ++fig_.satisfied;
    }
    complaint_row row;
    row.name = std::string(e.case_name(c));
    row.received = received_[c];
    row.category = k.category != no_id16 ? e.field_text(c, k.category) : std::string();
    row.place = k.place != no_id16 ? e.field_text(c, k.place) : std::string();
    row.unit = unit_field_[k.flow] != no_id16 ? e.field_text(c, unit_field_[k.flow]) : std::string();
    row.valid = k.valid == no_id16 || e.field(c, k.valid) != 0;
    const detail::state_def& st = rules_.flow(k.flow).states[e.state(c)];
    row.state = st.label.empty() ? st.name : st.label;
    fig_.complaints.push_back(std::move(row));
  }
}

}  // namespace crmflow::cli
