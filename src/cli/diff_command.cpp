// crmflow diff <old> <new>: what changed between two rule sets, in words, for an analyst.
//
// Things are matched by name (flows, states, events, fields, timers, SLA clocks, triggers,
// decision tables, calendars); transitions by where they start, their event and their rank among
// the transitions with the same start and event (the order decides which guard is tried first);
// a clock's ladder levels by number; a table's rows by their conditions. Chinese labels are
// shown beside names. Exit 0 when nothing differs, 1 when something does, 2 when a rule set
// does not load (its diagnostics on stderr), as diff(1) does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "crmflow/calendar.hpp"
#include "crmflow/time.hpp"
#include "crmflow/trigger.hpp"

namespace crmflow::cli {
namespace {

using detail::flow_program;

std::string named(const std::string& name, const std::string& label) {
  if (label.empty() || label == name) return name;
  return name + " (" + label + ")";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string state_text(const flow_program& fl, state_id s) { return named(fl.states[s].name, fl.states[s].label); }

std::string event_text(const flow_program& fl, event_id e) { return named(fl.events[e].name, fl.events[e].label); }

std::string source_text(const flow_program& fl, const detail::transition_def& t) {
  if (t.from_group) return "group " + named(fl.groups[t.source].name, fl.groups[t.source].label);
  return state_text(fl, t.source);
}

std::string target_text(const flow_program& fl, const detail::transition_def& t) {
  return t.internal ? std::string("stays (internal)") : state_text(fl, t.target);
}

// What a transition's target is, by name only: labels are compared on the states themselves.
std::string target_name(const flow_program& fl, const detail::transition_def& t) {
  return t.internal ? std::string("(internal)") : fl.states[t.target].name;
}

std::string action_text(const flow_program& fl, const detail::action_def& a) {
  switch (a.kind) {
    case detail::action_kind::set: return "set " + fl.fields[a.target].name;
    case detail::action_kind::notify: return "notify";
    case detail::action_kind::start_timer: return "start_timer " + fl.timers[a.target].name;
    case detail::action_kind::cancel_timer: return "cancel_timer " + fl.timers[a.target].name;
    case detail::action_kind::alarm:
      return "alarm " + (a.target < fl.alarm_names.size() ? fl.alarm_names[a.target] : std::string("?"));
    case detail::action_kind::emit: return "emit " + fl.events[a.target].name;
    case detail::action_kind::decide: return "decide " + fl.tables[a.target].name;
  }
  return "?";
}

std::string actions_text(const flow_program& fl, detail::action_range r) {
  std::string out;
  for (std::uint32_t i = 0; i < r.count; ++i) {
    if (i) out += ", ";
    out += action_text(fl, fl.actions[r.first + i]);
  }
  return out.empty() ? "none" : out;
}

std::string calendar_name(const rule_set& rules, std::uint16_t c) {
  if (c == detail::no_calendar || c >= rules.calendars().size()) return {};
  return rules.calendars()[c].name();
}

// How long a timer runs, as rules say it.
std::string after_text(const rule_set& rules, const flow_program& fl, const detail::timer_def& t) {
  std::string out;
  if (t.clock == detail::timer_clock::at_time) return "at " + t.at_text;
  if (t.clock == detail::timer_clock::calendar_months)
    return t.business_amount % 12 == 0 ? std::to_string(t.business_amount / 12) + " calendar years"
                                        : std::to_string(t.business_amount) + " calendar months";
  if (t.after_field != no_id16) {
    out = "the duration in field " + fl.fields[t.after_field].name;
    if (t.clock == detail::timer_clock::business_time) out += " counted in business time";
  } else if (t.clock == detail::timer_clock::business_time) {
    if (t.business_amount % hours_ms == 0) out = std::to_string(t.business_amount / hours_ms) + " business hours";
    else out = format_duration(t.business_amount) + " of business time";
  } else if (t.clock == detail::timer_clock::working_days) {
    out = std::to_string(t.business_amount) + " working days";
  } else {
    out = format_duration(t.after);
  }
  if (t.calendar_field != no_id16) out += " (calendar from field " + fl.fields[t.calendar_field].name + ")";
  else if (const std::string c = calendar_name(rules, t.calendar); !c.empty() && t.clock != detail::timer_clock::calendar_time)
    out += " (calendar " + c + ")";
  return out;
}

std::string timer_scope_text(const flow_program& fl, const detail::timer_def& t) {
  switch (t.scope) {
    case detail::timer_scope::state: return "in state " + state_text(fl, t.owner);
    case detail::timer_scope::group: return "in group " + named(fl.groups[t.owner].name, fl.groups[t.owner].label);
    case detail::timer_scope::flow: return "flow-wide";
  }
  return "?";
}

std::string field_type_text(const flow_program& fl, value_type type, std::uint32_t enum_index) {
  std::string out(to_string(type));
  if (type == value_type::enumeration && enum_index < fl.enums.size()) {
    out += " [";
    for (std::size_t i = 0; i < fl.enums[enum_index].values.size(); ++i) {
      if (i) out += ", ";
      out += fl.enums[enum_index].values[i];
    }
    out += "]";
  }
  return out;
}

std::string timer_scope_name(const flow_program& fl, const detail::timer_def& t) {
  switch (t.scope) {
    case detail::timer_scope::state: return "state " + fl.states[t.owner].name;
    case detail::timer_scope::group: return "group " + fl.groups[t.owner].name;
    case detail::timer_scope::flow: return "flow";
  }
  return "?";
}

// ---- SLA clocks -----------------------------------------------------------------------------

// A clock's limit as rules say it, with where its calendar comes from.
std::string clock_limit_text(const rule_set& rules, const flow_program& fl, const detail::clock_def& c) {
  std::string out;
  if (c.limit_field != no_id16) {
    out = "the duration in field " + fl.fields[c.limit_field].name;
    if (c.business) out += " counted in business time";  // `business: true`
  } else if (c.business) {
    if (c.limit % hours_ms == 0) out = std::to_string(c.limit / hours_ms) + " business hours";
    else if (c.limit % minutes_ms == 0) out = std::to_string(c.limit / minutes_ms) + " business minutes";
    else out = format_duration(c.limit) + " of business time";
  } else {
    out = format_duration(c.limit);
  }
  if (!c.business) return out;  // calendar time: no calendar counts
  const std::string cal = calendar_name(rules, c.calendar);
  if (c.calendar_field != no_id16)
    out += " (calendar from field " + fl.fields[c.calendar_field].name + (cal.empty() ? "" : ", else " + cal) + ")";
  else if (!cal.empty())
    out += " (calendar " + cal + ")";
  return out;
}

// "enter received or event revisit if x > 1": the alternatives of a start/pause/resume/stop
// condition. With `labels`, states, groups and events carry their labels (for reading); without,
// names only (for comparing, so that a relabelled state is not a changed condition).
std::string condition_text(const flow_program& fl, detail::clock_condition c, bool labels) {
  if (c.count == 0) return "none";
  std::string out;
  for (std::uint32_t i = 0; i < c.count; ++i) {
    const detail::clock_clause& cl = fl.clock_clauses[c.first + i];
    if (i) out += " or ";
    switch (cl.kind) {
      case detail::clock_clause_kind::enter_state:
      case detail::clock_clause_kind::exit_state:
        out += cl.kind == detail::clock_clause_kind::enter_state ? "enter " : "exit ";
        out += labels ? state_text(fl, cl.id) : fl.states[cl.id].name;
        break;
      case detail::clock_clause_kind::enter_group:
      case detail::clock_clause_kind::exit_group:
        out += cl.kind == detail::clock_clause_kind::enter_group ? "enter group " : "exit group ";
        out += labels ? named(fl.groups[cl.id].name, fl.groups[cl.id].label) : fl.groups[cl.id].name;
        break;
      case detail::clock_clause_kind::event:
        out += "event ";
        out += labels ? event_text(fl, cl.id) : fl.events[cl.id].name;
        break;
    }
    if (!cl.guard_text.empty()) out += " if " + cl.guard_text;
  }
  return out;
}

const detail::clock_mark* find_mark(const flow_program& fl, const detail::clock_def& c, std::uint16_t level) {
  for (std::uint32_t i = 0; i < c.marks_count; ++i)
    if (fl.clock_marks[c.marks_first + i].level == level) return &fl.clock_marks[c.marks_first + i];
  return nullptr;
}

std::uint16_t top_level(const flow_program& fl, const detail::clock_def& c) {
  std::uint16_t top = 0;
  for (std::uint32_t i = 0; i < c.marks_count; ++i) top = std::max(top, fl.clock_marks[c.marks_first + i].level);
  return top;
}

// "at 200%: alarm repair_overdue_2x"
std::string level_text(const flow_program& fl, const detail::clock_mark& m) {
  return "at " + std::to_string(m.percent) + "%: " + actions_text(fl, m.actions);
}

// ---- decision tables ------------------------------------------------------------------------

// A raw value of a field of `fl`, as written in rules (texts quoted, as in the loader's messages).
std::string value_text(const rule_set& rules, const flow_program& fl, field_id f, std::int64_t v) {
  const detail::field_def& fd = fl.fields[f];
  switch (fd.type) {
    case value_type::enumeration:
      if (fd.enum_index < fl.enums.size() && v >= 0 && static_cast<std::size_t>(v) < fl.enums[fd.enum_index].values.size())
        return fl.enums[fd.enum_index].values[static_cast<std::size_t>(v)];
      return "#" + std::to_string(v);
    case value_type::boolean: return v ? "true" : "false";
    case value_type::string: return quoted(std::string(rules.literals().text(v)));
    case value_type::duration: return format_duration(v);
    case value_type::timestamp: return format_timestamp(v, 8 * 60);
    case value_type::integer: break;
  }
  return std::to_string(v);
}

// One interval of an int or duration condition: `3`, `<= 2`, `>= 10`, `1h..4h`. The loader
// stores `< 1h` as `<= 59m59.999s`; a duration bound one millisecond short of a whole second
// is shown the way it was most likely written.
std::string interval_text(const rule_set& rules, const flow_program& fl, field_id f, std::int64_t lo, std::int64_t hi) {
  constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t highest = std::numeric_limits<std::int64_t>::max();
  const bool is_duration = fl.fields[f].type == value_type::duration;
  auto v = [&](std::int64_t x) { return value_text(rules, fl, f, x); };
  if (lo == hi) return v(lo);
  if (lo == lowest) {
    if (is_duration && hi != highest && (hi + 1) % 1000 == 0 && hi % 1000 != 0) return "< " + v(hi + 1);
    return "<= " + v(hi);
  }
  if (hi == highest) {
    if (is_duration && (lo - 1) % 1000 == 0 && lo % 1000 != 0) return "> " + v(lo - 1);
    return ">= " + v(lo);
  }
  return v(lo) + ".." + v(hi);
}

std::string test_text(const rule_set& rules, const flow_program& fl, const detail::table_test& t) {
  std::vector<std::string> parts;
  switch (t.kind) {
    case detail::table_test_kind::range: parts.push_back(interval_text(rules, fl, t.field, t.lo, t.hi)); break;
    case detail::table_test_kind::mask:
      for (std::int64_t v = 0; v < 64; ++v)
        if (t.mask >> v & 1) parts.push_back(value_text(rules, fl, t.field, v));
      break;
    case detail::table_test_kind::set:
      for (std::uint32_t i = 0; i < t.count; ++i) parts.push_back(value_text(rules, fl, t.field, fl.constants[t.first + i]));
      break;
    case detail::table_test_kind::ranges:
      for (std::uint32_t i = 0; i < t.count; ++i)
        parts.push_back(interval_text(rules, fl, t.field, fl.constants[t.first + 2 * i], fl.constants[t.first + 2 * i + 1]));
      break;
  }
  if (parts.size() == 1) return parts.front();
  std::string out = "[";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "]";
}

// A table as one flow that decides with it compiled it, in words.
struct table_words {
  std::string name, label, hit, inputs, outputs, default_then;
  struct row {
    std::uint32_t number = 0;
    std::string when, then, priority;
  };
  std::vector<row> rows;  // in file order
};

std::string hit_text(detail::table_hit h) {
  switch (h) {
    case detail::table_hit::unique: return "unique";
    case detail::table_hit::first: return "first";
    case detail::table_hit::priority: return "priority";
  }
  return "?";
}

table_words describe_table(const rule_set& rules, const flow_program& fl, const detail::decision_table& t) {
  table_words w;
  w.name = t.name;
  w.label = t.label;
  w.hit = hit_text(t.hit);
  auto names = [&](std::uint32_t first, std::uint32_t count) {
    std::string out;
    for (std::uint32_t i = 0; i < count; ++i) out += (i ? ", " : "") + fl.fields[fl.table_fields[first + i]].name;
    return out;
  };
  w.inputs = names(t.inputs_first, t.inputs_count);
  w.outputs = names(t.outputs_first, t.outputs_count);
  auto outputs = [&](std::uint32_t values) {
    std::string out;
    for (std::uint32_t i = 0; i < t.outputs_count; ++i) {
      const field_id f = fl.table_fields[t.outputs_first + i];
      out += (i ? ", " : "") + fl.fields[f].name + "=" + value_text(rules, fl, f, fl.table_values[values + i]);
    }
    return out;
  };
  w.default_then = t.default_values == no_id32 ? "none" : outputs(t.default_values);
  for (std::uint32_t r = t.rows_first; r < t.rows_first + t.rows_count; ++r) {
    const detail::table_row& row = fl.table_rows[r];
    table_words::row x;
    x.number = row.number;
    // Tests are stored in the order of `inputs:`.
    for (std::uint32_t i = row.tests_first; i < row.tests_first + row.tests_count; ++i)
    {
      // `reports >= 3` for a comparison, `category=repair`, `trade=[security, cleaning]` else.
      const std::string test = test_text(rules, fl, fl.table_tests[i]);
      const bool compares = test[0] == '<' || test[0] == '>';
      x.when += (x.when.empty() ? "" : ", ") + fl.fields[fl.table_tests[i].field].name + (compares ? " " : "=") + test;
    }
    if (x.when.empty()) x.when = "any";
    x.then = outputs(row.values_first);
    if (t.hit == detail::table_hit::priority) x.priority = std::to_string(row.priority);
    w.rows.push_back(std::move(x));
  }
  std::sort(w.rows.begin(), w.rows.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return w;
}

// Every table some flow decides with, by name, as the first such flow compiled it. A table no
// flow uses is not compiled (the loader only warns about it), so it is not seen here.
std::map<std::string, table_words> tables_of(const rule_set& rules) {
  std::map<std::string, table_words> out;
  for (const flow_program& fl : rules.flows())
    for (const detail::decision_table& t : fl.tables)
      if (!out.contains(t.name)) out.emplace(t.name, describe_table(rules, fl, t));
  return out;
}

std::string row_text(const table_words::row& r) {
  std::string out = "when " + r.when + "; then " + r.then;
  if (!r.priority.empty()) out += "; priority " + r.priority;
  return out;
}

class differ {
 public:
  differ(const rule_set& a, const rule_set& b) : a_(a), b_(b) {}

  void run() {
    for (const flow_program& fa : a_.flows())
      if (!b_.find_flow(fa.name)) top("flow removed: " + named(fa.name, fa.label));
    for (const flow_program& fb : b_.flows())
      if (!a_.find_flow(fb.name)) top("flow added: " + named(fb.name, fb.label));
    for (const flow_program& fa : a_.flows())
      if (auto f = b_.find_flow(fa.name)) flow(fa, b_.flow(*f));
    triggers();
    tables();
    calendars();
  }

  const std::string& text() const noexcept { return out_; }
  std::size_t count() const noexcept { return count_; }

 private:
  void top(const std::string& line) {
    out_ += line + "\n";
    ++count_;
  }
  void item(const std::string& line) {
    if (!heading_.empty()) {
      out_ += heading_ + "\n";
      heading_.clear();
    }
    out_ += "  " + line + "\n";
    ++count_;
  }

  void flow(const flow_program& fa, const flow_program& fb) {
    heading_ = "flow " + named(fb.name, fb.label) + ":";
    if (fa.label != fb.label) item("relabelled: " + quoted(fa.label) + " -> " + quoted(fb.label));
    // States.
    for (const auto& s : fa.states)
      if (!fb.state_by_name.contains(s.name)) item("state removed: " + named(s.name, s.label));
    for (const auto& s : fb.states)
      if (!fa.state_by_name.contains(s.name)) item("state added: " + named(s.name, s.label) + (s.final ? ", final" : ""));
    for (const auto& s : fa.states) {
      const auto it = fb.state_by_name.find(s.name);
      if (it == fb.state_by_name.end()) continue;
      const auto& t = fb.states[it->second];
      if (s.label != t.label) item("state " + s.name + " relabelled: " + quoted(s.label) + " -> " + quoted(t.label));
      if (s.final != t.final) item("state " + named(t.name, t.label) + (t.final ? " is now final" : " is no longer final"));
      if (actions_text(fa, s.on_entry) != actions_text(fb, t.on_entry))
        item("state " + named(t.name, t.label) + " on entry: " + actions_text(fa, s.on_entry) + " -> " +
             actions_text(fb, t.on_entry));
      if (actions_text(fa, s.on_exit) != actions_text(fb, t.on_exit))
        item("state " + named(t.name, t.label) + " on exit: " + actions_text(fa, s.on_exit) + " -> " +
             actions_text(fb, t.on_exit));
    }
    if (fa.states[fa.initial].name != fb.states[fb.initial].name)
      item("initial state: " + state_text(fa, fa.initial) + " -> " + state_text(fb, fb.initial));
    // Events and fields.
    for (const auto& e : fa.events)
      if (!fb.event_by_name.contains(e.name)) item("event removed: " + named(e.name, e.label));
    for (const auto& e : fb.events)
      if (!fa.event_by_name.contains(e.name)) item("event added: " + named(e.name, e.label));
    for (const auto& f : fa.fields)
      if (!fb.field_by_name.contains(f.name)) item("field removed: " + f.name);
    for (const auto& f : fb.fields)
      if (!fa.field_by_name.contains(f.name)) item("field added: " + f.name + " (" + field_type_text(fb, f.type, f.enum_index) + ")");
    for (const auto& f : fa.fields) {
      const auto it = fb.field_by_name.find(f.name);
      if (it == fb.field_by_name.end()) continue;
      const auto& g = fb.fields[it->second];
      const std::string ta = field_type_text(fa, f.type, f.enum_index), tb = field_type_text(fb, g.type, g.enum_index);
      if (ta != tb) item("field " + f.name + " type: " + ta + " -> " + tb);
    }
    transitions(fa, fb);
    timers(fa, fb);
    clocks(fa, fb);
    if (calendar_name(a_, fa.calendar) != calendar_name(b_, fb.calendar))
      item("calendar: " + or_none(calendar_name(a_, fa.calendar)) + " -> " + or_none(calendar_name(b_, fb.calendar)));
    heading_.clear();
  }

  static std::string or_none(const std::string& s) { return s.empty() ? "none" : s; }

  // Transitions keyed by (start, event, rank among those with the same start and event).
  using transition_key = std::tuple<std::string, std::string, int>;
  static std::map<transition_key, std::uint32_t> keyed(const flow_program& fl) {
    std::map<transition_key, std::uint32_t> out;
    std::map<std::pair<std::string, std::string>, int> rank;
    for (std::uint32_t i = 0; i < fl.transitions.size(); ++i) {
      const auto& t = fl.transitions[i];
      const std::string start = (t.from_group ? "group " + fl.groups[t.source].name : fl.states[t.source].name);
      const std::string& ev = fl.events[t.event].name;
      out.emplace(transition_key{start, ev, rank[{start, ev}]++}, i);
    }
    return out;
  }

  void transitions(const flow_program& fa, const flow_program& fb) {
    const auto ka = keyed(fa), kb = keyed(fb);
    auto describe = [](const flow_program& fl, const detail::transition_def& t) {
      std::string s = "from " + source_text(fl, t) + " on " + event_text(fl, t.event);
      if (!t.guard_text.empty()) s += " if " + t.guard_text;
      return s + " -> " + target_text(fl, t);
    };
    for (const auto& [k, i] : ka)
      if (!kb.contains(k)) item("transition removed: " + describe(fa, fa.transitions[i]));
    for (const auto& [k, i] : kb)
      if (!ka.contains(k)) item("transition added: " + describe(fb, fb.transitions[i]));
    for (const auto& [k, i] : ka) {
      const auto it = kb.find(k);
      if (it == kb.end()) continue;
      const auto& ta = fa.transitions[i];
      const auto& tb = fb.transitions[it->second];
      const std::string where = "transition from " + source_text(fb, tb) + " on " + event_text(fb, tb.event);
      if (target_name(fa, ta) != target_name(fb, tb))
        item(where + ": now goes to " + target_text(fb, tb) + " instead of " + target_text(fa, ta));
      if (ta.guard_text != tb.guard_text) {
        if (ta.guard_text.empty()) item(where + ": guard added: " + tb.guard_text);
        else if (tb.guard_text.empty()) item(where + ": guard removed (was " + ta.guard_text + ")");
        else item(where + ": guard " + ta.guard_text + " -> " + tb.guard_text);
      }
      if (actions_text(fa, ta.actions) != actions_text(fb, tb.actions))
        item(where + ": actions " + actions_text(fa, ta.actions) + " -> " + actions_text(fb, tb.actions));
    }
  }

  void timers(const flow_program& fa, const flow_program& fb) {
    for (const auto& t : fa.timers)
      if (!fb.timer_by_name.contains(t.name)) item("timer removed: " + t.name + " (after " + after_text(a_, fa, t) + ")");
    for (const auto& t : fb.timers)
      if (!fa.timer_by_name.contains(t.name))
        item("timer added: " + t.name + " (after " + after_text(b_, fb, t) + ", " + timer_scope_text(fb, t) + ")");
    for (const auto& t : fa.timers) {
      const auto it = fb.timer_by_name.find(t.name);
      if (it == fb.timer_by_name.end()) continue;
      const auto& u = fb.timers[it->second];
      const std::string la = after_text(a_, fa, t), lb = after_text(b_, fb, u);
      if (la != lb) item("timer " + t.name + ": time limit " + la + " -> " + lb);
      if (timer_scope_name(fa, t) != timer_scope_name(fb, u))
        item("timer " + t.name + ": runs " + timer_scope_text(fa, t) + " -> " + timer_scope_text(fb, u));
      const std::string ea = t.event == no_id16 ? "none" : fa.events[t.event].name;
      const std::string eb = u.event == no_id16 ? "none" : fb.events[u.event].name;
      if (ea != eb) item("timer " + t.name + ": event when due " + ea + " -> " + eb);
      if (actions_text(fa, t.actions) != actions_text(fb, u.actions))
        item("timer " + t.name + ": actions when due " + actions_text(fa, t.actions) + " -> " + actions_text(fb, u.actions));
    }
  }

  // A clock's settings, one phrase each, by name, so that changed ones can be listed. The
  // second text of each is for comparing (names only), the first for reading.
  struct setting {
    std::string key, shown, compared;
  };
  std::vector<setting> clock_settings(const rule_set& rs, const flow_program& fl, const detail::clock_def& c) {
    std::vector<setting> out;
    const std::string limit = clock_limit_text(rs, fl, c);
    out.push_back({"limit", limit, limit});
    for (const auto& [key, cond] : {std::pair<const char*, detail::clock_condition>{"start", c.start},
                                    {"pause", c.pause}, {"resume", c.resume}, {"stop", c.stop}})
      out.push_back({key, condition_text(fl, cond, true), condition_text(fl, cond, false)});
    const detail::clock_mark* warn = find_mark(fl, c, 0);
    const std::string warn_at = warn ? std::to_string(warn->percent) + "%" : "none";
    out.push_back({"warn_at", warn_at, warn_at});
    const std::string on_warning = warn ? actions_text(fl, warn->actions) : "none";
    out.push_back({"on_warning", on_warning, on_warning});
    return out;
  }

  std::string clock_summary(const rule_set& rs, const flow_program& fl, const detail::clock_def& c) {
    std::string s;
    for (const setting& x : clock_settings(rs, fl, c))
      if (x.shown != "none") s += (s.empty() ? "" : "; ") + x.key + " " + x.shown;
    for (std::uint16_t l = 1; l <= top_level(fl, c); ++l)
      if (const detail::clock_mark* m = find_mark(fl, c, l))
        s += "; level " + std::to_string(l) + " " + level_text(fl, *m);
    return s;
  }

  void clocks(const flow_program& fa, const flow_program& fb) {
    for (const auto& c : fa.clocks)
      if (!fb.clock_by_name.contains(c.name))
        item("clock removed: " + named(c.name, c.label) + " (limit " + clock_limit_text(a_, fa, c) + ")");
    for (const auto& c : fb.clocks)
      if (!fa.clock_by_name.contains(c.name)) item("clock added: " + named(c.name, c.label) + ": " + clock_summary(b_, fb, c));
    for (const auto& c : fa.clocks) {
      const auto it = fb.clock_by_name.find(c.name);
      if (it == fb.clock_by_name.end()) continue;
      const auto& d = fb.clocks[it->second];
      const std::string where = "clock " + named(d.name, d.label) + ": ";
      if (c.label != d.label) item("clock " + c.name + " relabelled: " + quoted(c.label) + " -> " + quoted(d.label));
      const auto sa = clock_settings(a_, fa, c), sb = clock_settings(b_, fb, d);
      for (std::size_t i = 0; i < sa.size(); ++i)
        if (sa[i].compared != sb[i].compared) item(where + sa[i].key + " " + sa[i].shown + " -> " + sb[i].shown);
      // The ladder, level by level (1 is the breach at 100%).
      const std::uint16_t top = std::max(top_level(fa, c), top_level(fb, d));
      for (std::uint16_t l = 1; l <= top; ++l) {
        const detail::clock_mark* ma = find_mark(fa, c, l);
        const detail::clock_mark* mb = find_mark(fb, d, l);
        const std::string level = "ladder level " + std::to_string(l);
        if (ma && !mb) item(where + level + " removed (" + level_text(fa, *ma) + ")");
        else if (!ma && mb) item(where + level + " added (" + level_text(fb, *mb) + ")");
        else if (ma && mb) {
          if (ma->percent != mb->percent)
            item(where + level + " at " + std::to_string(ma->percent) + "% -> " + std::to_string(mb->percent) + "%");
          if (actions_text(fa, ma->actions) != actions_text(fb, mb->actions))
            item(where + level + " actions " + actions_text(fa, ma->actions) + " -> " + actions_text(fb, mb->actions));
        }
      }
    }
  }

  void tables() {
    const auto ta = tables_of(a_), tb = tables_of(b_);
    for (const auto& [name, t] : ta)
      if (!tb.contains(name)) top("table removed: " + named(name, t.label));
    for (const auto& [name, t] : tb)
      if (!ta.contains(name))
        top("table added: " + named(name, t.label) + ": hit " + t.hit + "; inputs " + t.inputs + "; outputs " + t.outputs +
            "; " + std::to_string(t.rows.size()) + (t.rows.size() == 1 ? " row" : " rows") + "; default " + t.default_then);
    for (const auto& [name, t] : ta) {
      const auto it = tb.find(name);
      if (it == tb.end()) continue;
      const table_words& u = it->second;
      heading_ = "table " + named(name, u.label) + ":";
      if (t.label != u.label) item("relabelled: " + quoted(t.label) + " -> " + quoted(u.label));
      if (t.hit != u.hit) item("hit policy: " + t.hit + " -> " + u.hit);
      if (t.inputs != u.inputs) item("inputs: " + t.inputs + " -> " + u.inputs);
      if (t.outputs != u.outputs) item("outputs: " + t.outputs + " -> " + u.outputs);
      table_rows(t, u);
      if (t.default_then != u.default_then) item("default: " + t.default_then + " -> " + u.default_then);
      heading_.clear();
    }
  }

  // Rows are matched by their conditions (the n-th old row with given conditions with the n-th
  // new one); rows left over on both sides at the same position are one changed row.
  void table_rows(const table_words& t, const table_words& u) {
    std::vector<std::size_t> match_a(t.rows.size(), npos), match_b(u.rows.size(), npos);
    for (std::size_t i = 0; i < t.rows.size(); ++i)
      for (std::size_t j = 0; j < u.rows.size(); ++j)
        if (match_b[j] == npos && t.rows[i].when == u.rows[j].when) {
          match_a[i] = j;
          match_b[j] = i;
          break;
        }
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      if (match_a[i] != npos) continue;
      for (std::size_t j = 0; j < u.rows.size(); ++j)
        if (match_b[j] == npos && u.rows[j].number == t.rows[i].number) {
          match_a[i] = j;
          match_b[j] = i;
          break;
        }
    }
    // In file order of the new rows, then the removed ones; the first policy also cares where a
    // kept row went (rows before it are tried first).
    std::vector<std::string> lines;
    std::size_t kept_a = 0;
    std::vector<std::size_t> rank_a(t.rows.size(), npos);
    for (std::size_t i = 0; i < t.rows.size(); ++i)
      if (match_a[i] != npos && t.rows[i].when == u.rows[match_a[i]].when) rank_a[i] = kept_a++;
    std::size_t kept_b = 0;
    for (std::size_t j = 0; j < u.rows.size(); ++j) {
      const table_words::row& b = u.rows[j];
      const std::string row = "row " + std::to_string(b.number);
      if (match_b[j] == npos) {
        item(row + " added: " + row_text(b));
        continue;
      }
      const table_words::row& a = t.rows[match_b[j]];
      if (a.when != b.when) {
        item(row + " changed: " + row_text(a) + " -> " + row_text(b));
        continue;
      }
      const std::string which = row + " (when " + b.when + ")";
      if (u.hit == "first" && t.hit == "first" && rank_a[match_b[j]] != kept_b)
        item(which + ": moved, was row " + std::to_string(a.number) + " (rows are tried in order)");
      ++kept_b;
      if (a.then != b.then) item(which + ": then " + a.then + " -> " + b.then);
      if (a.priority != b.priority) item(which + ": priority " + or_none(a.priority) + " -> " + or_none(b.priority));
    }
    for (std::size_t i = 0; i < t.rows.size(); ++i)
      if (match_a[i] == npos) item("row " + std::to_string(t.rows[i].number) + " removed: " + row_text(t.rows[i]));
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // A trigger's settings, one phrase each, by name, so that changed ones can be listed.
  std::vector<std::pair<std::string, std::string>> trigger_settings(const rule_set& rs, const trigger_def& d) {
    const flow_program& fl = rs.flow(d.flow);
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("flow", fl.name);
    std::string on;
    for (event_id e : d.on_events) on += (on.empty() ? "" : ", ") + fl.events[e].name;
    for (state_id s : d.on_enter) on += (on.empty() ? "entering " : ", entering ") + fl.states[s].name;
    out.emplace_back("on", on);
    out.emplace_back("if", d.filter_text.empty() ? "none" : d.filter_text);
    std::string key;
    for (field_id k : d.key) key += (key.empty() ? "" : ", ") + fl.fields[k].name;
    out.emplace_back("key", key);
    out.emplace_back("distinct", d.distinct == no_id16 ? "none" : fl.fields[d.distinct].name);
    out.emplace_back("count", std::to_string(d.count));
    out.emplace_back("window", format_duration(d.window));
    out.emplace_back("cooldown", d.cooldown == 0 ? "none" : format_duration(d.cooldown));
    out.emplace_back("alarm", d.alarm.empty() ? "none" : d.alarm);
    out.emplace_back("open_case", d.open_flow == no_id16 ? "none" : rs.flow(d.open_flow).name);
    return out;
  }

  void triggers() {
    const trigger_set& ta = a_.triggers();
    const trigger_set& tb = b_.triggers();
    for (const trigger_def& d : ta.defs())
      if (!tb.find(d.name)) top("trigger removed: " + named(d.name, d.label));
    for (const trigger_def& d : tb.defs())
      if (!ta.find(d.name)) {
        std::string s;
        for (const auto& [k, v] : trigger_settings(b_, d)) s += (s.empty() ? "" : "; ") + k + " " + v;
        top("trigger added: " + named(d.name, d.label) + ": " + s);
      }
    for (const trigger_def& d : ta.defs()) {
      const auto t = tb.find(d.name);
      if (!t) continue;
      const trigger_def& e = tb.at(*t);
      const auto sa = trigger_settings(a_, d), sb = trigger_settings(b_, e);
      std::string changes;
      for (std::size_t i = 0; i < sa.size(); ++i)
        if (sa[i].second != sb[i].second)
          changes += (changes.empty() ? "" : "; ") + sa[i].first + " " + sa[i].second + " -> " + sb[i].second;
      if (d.label != e.label) changes += (changes.empty() ? "" : "; ") + std::string("label ") + quoted(d.label) + " -> " + quoted(e.label);
      if (!changes.empty()) top("trigger " + named(e.name, e.label) + " changed: " + changes);
    }
  }

  static std::string hours_text(const calendar& c, std::chrono::year_month_day day) {
    const auto hours = c.hours_on(day);
    if (hours.empty()) return "day off";
    std::string out;
    for (const work_interval& w : hours) {
      if (!out.empty()) out += ", ";
      char buf[32];
      std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", w.start / 60, w.start % 60, w.end / 60,
                    w.end % 60);
      out += buf;
    }
    return out;
  }

  void calendars() {
    for (const calendar& c : a_.calendars())
      if (!b_.find_calendar(c.name())) top("calendar removed: " + named(c.name(), c.label()));
    for (const calendar& c : b_.calendars())
      if (!a_.find_calendar(c.name())) top("calendar added: " + named(c.name(), c.label()));
    for (const calendar& c : a_.calendars()) {
      const calendar* d = b_.find_calendar(c.name());
      if (!d) continue;
      std::string changes;
      auto add = [&](const std::string& s) { changes += (changes.empty() ? "" : "; ") + s; };
      if (c.label() != d->label()) add("label " + quoted(c.label()) + " -> " + quoted(d->label()));
      if (c.utc_offset_minutes() != d->utc_offset_minutes())
        add("UTC offset " + std::to_string(c.utc_offset_minutes()) + " min -> " + std::to_string(d->utc_offset_minutes()) +
            " min");
      // Working hours, date by date over 2020-2039: weekly hours, holidays and make-up days.
      using namespace std::chrono;
      std::size_t differing = 0;
      std::string shown;
      for (sys_days day = sys_days{2020y / January / 1}; day < sys_days{2040y / January / 1}; day += days{1}) {
        const year_month_day ymd{day};
        const std::string ha = hours_text(c, ymd), hb = hours_text(*d, ymd);
        if (ha == hb) continue;
        if (++differing > 5) continue;
        char date[16];
        std::snprintf(date, sizeof date, "%04d-%02d-%02d", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
        shown += (shown.empty() ? "" : ", ") + std::string(date) + " " + ha + " -> " + hb;
      }
      if (differing > 0)
        add("working hours differ on " + std::to_string(differing) + (differing == 1 ? " date" : " dates") +
            " in 2020-2039 (" + shown + (differing > 5 ? ", ..." : "") + ")");
      if (!changes.empty()) top("calendar " + named(d->name(), d->label()) + " changed: " + changes);
    }
  }

  const rule_set& a_;
  const rule_set& b_;
  std::string out_;
  std::string heading_;
  std::size_t count_ = 0;
};

}  // namespace

int run_diff(const args& a) {
  std::vector<std::string_view> paths;
  for (std::string_view arg : a) {
    if (arg.size() > 1 && arg[0] == '-') return usage_error("diff", "unknown option " + std::string(arg));
    paths.push_back(arg);
  }
  if (paths.size() != 2) return usage_error("diff", "expected <old> <new> (rules files or directories)");
  const auto old_rules = load_and_report({std::filesystem::path(paths[0])}, stderr);
  const auto new_rules = load_and_report({std::filesystem::path(paths[1])}, stderr);
  if (!old_rules || !new_rules) {
    for (std::size_t i = 0; i < 2; ++i)
      if (!(i == 0 ? old_rules : new_rules))
        std::fprintf(stderr, "crmflow diff: %s did not load\n", std::string(paths[i]).c_str());
    return exit_usage;
  }
  differ d(*old_rules, *new_rules);
  d.run();
  std::string out = d.text();
  if (d.count() == 0) out += "no differences\n";
  else out += std::to_string(d.count()) + (d.count() == 1 ? " difference\n" : " differences\n");
  std::fwrite(out.data(), 1, out.size(), stdout);
  return d.count() == 0 ? exit_ok : exit_failure;
}

}  // namespace crmflow::cli
