// crmflow diff <old> <new>: what changed between two rule sets, in words, for an analyst.
//
// Things are matched by name (flows, states, events, fields, timers, triggers, calendars);
// transitions by where they start, their event and their rank among the transitions with the
// same start and event (the order decides which guard is tried first). Chinese labels are
// shown beside names. Exit 0 when nothing differs, 1 when something does, 2 when a rule set
// does not load (its diagnostics on stderr), as diff(1) does.
#include <chrono>
#include <cstdio>
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
