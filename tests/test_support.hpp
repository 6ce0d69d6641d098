// Shared by the engine, complaint and audit tests: load rules or fail with their diagnostics, an
// observer that turns every record into one line of text, and whole-case snapshots, so that a
// test can compare exact sequences instead of picking at single fields.
#pragma once

#include <boost/test/unit_test.hpp>

#include <crmflow/crmflow.hpp>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crmflow_test {
// Lines of text (records, deadlines, history). A type of its own so that BOOST_TEST compares two
// of them as values and prints both in full when they differ (Boost.Test's collection
// comparison prints nothing useful for strings).
struct lines : std::vector<std::string> {
  using std::vector<std::string>::vector;
  lines() = default;
  lines(std::vector<std::string> v) : std::vector<std::string>(std::move(v)) {}
};
}  // namespace crmflow_test

namespace boost::unit_test {
template <>
struct is_forward_iterable<crmflow_test::lines> : std::false_type {};
}  // namespace boost::unit_test

// Lets BOOST_TEST print what it compares.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<crmflow_test::lines> {
  void operator()(std::ostream& os, const crmflow_test::lines& v) {
    os << "{";
    for (const std::string& x : v) os << "\n    \"" << x << "\"";
    os << "}";
  }
};
template <class T>
struct print_log_value<std::optional<T>> {
  void operator()(std::ostream& os, const std::optional<T>& v) {
    if (v) os << *v;
    else os << "nullopt";
  }
};
template <>
struct print_log_value<crmflow::status> {
  void operator()(std::ostream& os, crmflow::status v) { os << crmflow::to_string(v); }
};
template <>
struct print_log_value<crmflow::cause> {
  void operator()(std::ostream& os, crmflow::cause v) { os << crmflow::to_string(v); }
};
}  // namespace boost::test_tools::tt_detail

namespace crmflow_test {

using namespace crmflow;

inline constexpr duration s = seconds_ms;
inline constexpr duration m = minutes_ms;
inline constexpr duration h = hours_ms;
inline constexpr duration d = days_ms;

// Loads rules that must be valid; on failure the test stops and shows every diagnostic.
inline std::shared_ptr<const rule_set> load_ok(std::string_view yaml, std::string_view file = "test.yaml") {
  load_result r = load_rules_from_string(yaml, file);
  std::string diags;
  for (const diagnostic& x : r.diagnostics) diags += to_string(x) + "\n";
  BOOST_TEST_REQUIRE(r.ok(), "rules did not load:\n" << diags);
  return r.rules;
}

inline std::string case_label(const engine& e, case_id c) {
  if (c < e.case_count() && !e.case_name(c).empty()) return std::string(e.case_name(c));
  return "#" + std::to_string(c);
}

// A field's value for test output: text for strings and enums, the raw number otherwise (so
// times and durations are exact milliseconds).
inline std::string value_text(const engine& e, case_id c, field_id f, raw_value v) {
  const detail::field_def& fd = e.rules_of(c).flow(e.case_flow(c)).fields[f];
  if (fd.type == value_type::string || fd.type == value_type::enumeration) return e.field_text(c, f);
  return std::to_string(v);
}

// Every observer callback as one line, e.g.
//   "transition C-1 received->assigned assign posted @2000"
// With `origin` set, times print relative to it: "@R+1d2h" (and "due=R+1h").
class recorder final : public observer {
 public:
  std::vector<std::string> lines;
  std::optional<timestamp> origin;
  std::vector<std::uint32_t> transitions;  // every transition taken, by index
  std::vector<timer_id> timers_fired;

  std::string time_text(timestamp t) const {
    if (!origin) return std::to_string(t);
    if (t < *origin) return "R-" + format_duration(*origin - t);
    return "R+" + format_duration(t - *origin);
  }

  // The lines so far, and forget them.
  crmflow_test::lines take() { return crmflow_test::lines(std::exchange(lines, {})); }

  void on_created(const engine& e, const created_record& r) override {
    add(r.at, "created", case_label(e, r.id), e.rules_of(r.id).flow(r.flow).states[r.state].name);
  }
  void on_transition(const engine& e, const transition_record& r) override {
    const auto& fl = e.rules_of(r.id).flow(r.flow);
    std::string text = fl.states[r.from].name + "->" + fl.states[r.to].name + " " +
                       fl.events[r.event].name + " " + std::string(to_string(r.why));
    if (r.internal) text += " internal";
    transitions.push_back(r.transition);
    add(r.at, "transition", case_label(e, r.id), text);
  }
  void on_action(const engine& e, const action_record& r) override {
    const auto& fl = e.rules_of(r.id).flow(r.flow);
    const detail::action_def& a = *r.action;
    switch (a.kind) {
      case detail::action_kind::set:
        add(r.at, "set", case_label(e, r.id),
            fl.fields[a.target].name + "=" + value_text(e, r.id, a.target, r.value));
        break;
      case detail::action_kind::start_timer:
        add(r.at, "start_timer", case_label(e, r.id),
            fl.timers[a.target].name + " due=" + (r.value == 0 ? std::string("0") : time_text(r.value)));
        break;
      case detail::action_kind::cancel_timer:
        add(r.at, "cancel_timer", case_label(e, r.id), fl.timers[a.target].name);
        break;
      case detail::action_kind::emit:
        add(r.at, "emit", case_label(e, r.id), fl.events[a.target].name);
        break;
      case detail::action_kind::decide: {
        // "decide C-1 route row=3 unit=工程维修部 limit=86400000" (row=default for the default)
        const detail::decision_table& t = fl.tables[a.target];
        std::string text = t.name + " row=" + (r.value > 0 ? std::to_string(r.value) : std::string("default"));
        for (std::uint32_t i = 0; i < t.outputs_count; ++i) {
          const field_id out = fl.table_fields[t.outputs_first + i];
          text += " " + fl.fields[out].name + "=" + value_text(e, r.id, out, e.field(r.id, out));
        }
        add(r.at, "decide", case_label(e, r.id), text);
        break;
      }
      default:
        add(r.at, "action?", case_label(e, r.id), "");
        break;
    }
  }
  void on_notify(const engine& e, const notify_record& r) override {
    add(r.at, "notify", case_label(e, r.id), std::string(r.to) + ": " + std::string(r.message));
  }
  void on_alarm(const engine& e, const alarm_record& r) override {
    add(r.at, "alarm", case_label(e, r.id),
        std::string(r.name) + " " + std::string(r.to) + ": " + std::string(r.message));
  }
  void on_deadline(const engine& e, const deadline_record& r) override {
    timers_fired.push_back(r.timer);
    add(r.at, "deadline", case_label(e, r.id), e.rules_of(r.id).flow(r.flow).timers[r.timer].name);
  }
  void on_clock(const engine& e, const clock_record& r) override {
    std::string text = e.rules().flow(r.flow).clocks[r.clock].name + " " + std::string(to_string(r.what));
    if (r.what == clock_event::breach) text += " level=" + std::to_string(r.level);
    text += " elapsed=" + format_duration(r.elapsed) + " paused=" + format_duration(r.paused) +
            " limit=" + format_duration(r.limit);
    add(r.at, "clock", case_label(e, r.id), text);
  }
  void on_rejected(const engine& e, const rejection_record& r) override {
    std::string event = "#" + std::to_string(r.event);
    if (r.flow != no_id16 && r.event < e.rules_of(r.id).flow(r.flow).events.size())
      event = e.rules_of(r.id).flow(r.flow).events[r.event].name;
    add(r.at, "rejected", case_label(e, r.id),
        event + " " + std::string(to_string(r.why)) + " " + std::string(to_string(r.origin)));
  }
  void on_migrated(const engine& e, const migration_record& r) override {
    add(r.at, "migrated", case_label(e, r.id),
        "v" + std::to_string(r.from_version) + "->v" + std::to_string(r.to_version) + " " + std::string(r.from_state) +
            "->" + std::string(r.to_state));
  }

 private:
  void add(timestamp at, std::string_view what, const std::string& who, const std::string& text) {
    std::string line{what};
    line += ' ';
    line += who;
    if (!text.empty()) {
      line += ' ';
      line += text;
    }
    line += " @" + time_text(at);
    lines.push_back(std::move(line));
  }
};

// Running deadlines of a case as "timer@due", sorted (timer ids are the loader's business).
inline lines deadlines_of(const engine& e, case_id c) {
  const auto& fl = e.rules_of(c).flow(e.case_flow(c));
  lines out;
  for (const pending_deadline& p : e.deadlines(c)) out.push_back(fl.timers[p.timer].name + "@" + std::to_string(p.due));
  std::sort(out.begin(), out.end());
  return out;
}

// History as "at event from->to cause".
inline lines history_of(const engine& e, case_id c) {
  const auto& fl = e.rules_of(c).flow(e.case_flow(c));
  lines out;
  for (const history_entry& x : e.history(c))
    out.push_back(std::to_string(x.at) + " " + fl.events[x.event].name + " " + fl.states[x.from].name +
                  "->" + fl.states[x.to].name + " " + std::string(to_string(x.why)));
  return out;
}

// Everything observable about one case: state, every field (raw and as text), running
// deadlines and history.
inline std::string snapshot(const engine& e, case_id c) {
  const auto& fl = e.rules_of(c).flow(e.case_flow(c));
  std::ostringstream os;
  os << "state=" << e.state_name(c) << " final=" << e.is_final(c) << " fields=";
  for (std::size_t f = 0; f < fl.fields.size(); ++f) {
    const auto id = static_cast<field_id>(f);
    os << fl.fields[f].name << ':' << e.field(c, id) << '/' << e.field_text(c, id) << ';';
  }
  os << " deadlines=";
  for (const std::string& x : deadlines_of(e, c)) os << x << ';';
  os << " history=";
  for (const std::string& x : history_of(e, c)) os << x << ';';
  return os.str();
}

// One engine on one rule set, with a recorder and a manual clock, and name-based helpers.
struct world {
  std::shared_ptr<const rule_set> rules;
  recorder rec;
  manual_clock clock;
  engine eng;

  explicit world(std::string_view yaml, engine_options options = {})
      : rules(load_ok(yaml)), eng(rules, with_defaults(options)) {}
  explicit world(std::shared_ptr<const rule_set> r, engine_options options = {})
      : rules(std::move(r)), eng(rules, with_defaults(options)) {}

  engine_options with_defaults(engine_options o) {
    o.observer = &rec;
    o.clock = &clock;
    return o;
  }

  flow_id flow(std::string_view name = {}) const {
    if (name.empty()) return 0;
    auto f = rules->find_flow(name);
    BOOST_TEST_REQUIRE(f.has_value(), "no flow " << name);
    return *f;
  }
  const detail::flow_program& program(flow_id f = 0) const { return rules->flow(f); }
  event_id ev(std::string_view name, flow_id f = 0) const {
    auto e = rules->find_event(f, name);
    BOOST_TEST_REQUIRE(e.has_value(), "no event " << name);
    return *e;
  }
  state_id st(std::string_view name, flow_id f = 0) const {
    auto x = rules->find_state(f, name);
    BOOST_TEST_REQUIRE(x.has_value(), "no state " << name);
    return *x;
  }
  field_id fld(std::string_view name, flow_id f = 0) const {
    auto x = rules->find_field(f, name);
    BOOST_TEST_REQUIRE(x.has_value(), "no field " << name);
    return *x;
  }
  slot_id slot(std::string_view event, std::string_view name, flow_id f = 0) const {
    auto x = rules->find_slot(f, ev(event, f), name);
    BOOST_TEST_REQUIRE(x.has_value(), "no data item " << event << "." << name);
    return *x;
  }

  // Event data by name. Values are raw: use str() for text.
  data_record data(std::string_view event, std::initializer_list<std::pair<std::string_view, raw_value>> items,
                   flow_id f = 0) const {
    data_record r;
    for (const auto& [name, v] : items) r.set(slot(event, name, f), v);
    return r;
  }
  raw_value str(std::string_view text) { return eng.intern(text); }

  case_id create(std::string_view name, timestamp at, const data_record* init = nullptr, flow_id f = 0) {
    const create_result r = eng.create_case(f, name, at, init);
    BOOST_TEST_REQUIRE(r.accepted(), "create_case " << name << ": " << to_string(r.status));
    return r.id;
  }
  outcome post(case_id c, std::string_view event, timestamp at, const data_record& d = {}) {
    return eng.post(c, ev(event, eng.case_flow(c)), d, at);
  }
  std::string field(case_id c, std::string_view name) const {
    return eng.field_text(c, fld(name, eng.case_flow(c)));
  }
  raw_value raw(case_id c, std::string_view name) const { return eng.field(c, fld(name, eng.case_flow(c))); }
  std::string state(case_id c) const { return std::string(eng.state_name(c)); }
  lines deadlines(case_id c) const { return deadlines_of(eng, c); }
  lines history(case_id c) const { return history_of(eng, c); }
  std::string snap(case_id c) const { return snapshot(eng, c); }
};

}  // namespace crmflow_test
