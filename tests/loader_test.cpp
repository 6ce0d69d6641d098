// Loader: every kind of diagnostic (exact file, line, column and message), the compiled tables
// of a good flow, expression code run through detail::evaluate, and parse_duration.
#define BOOST_TEST_MODULE loader
#include <boost/test/unit_test.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crmflow/detail/eval.hpp"
#include "crmflow/rule_set.hpp"
#include "loader/where_text.hpp"

using namespace crmflow;
namespace d = crmflow::detail;

namespace {

diagnostic err(int line, int column, std::string message, std::string file = "t.yaml") {
  return diagnostic{severity::error, std::move(file), line, column, std::move(message)};
}

std::string show(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& x : ds) out += to_string(x) + "\n";
  return out;
}

// Asserts that `yaml` yields exactly `expected` and no rule set.
void expect_errors(const std::string& yaml, const std::vector<diagnostic>& expected) {
  const load_result r = load_rules_from_string(yaml, "t.yaml");
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) == show(expected));
}

// A minimal valid flow with one line replaced or added is how most tests below are written.
// Line numbers in this text are what the expectations count from.
const char* const base_head = R"(flows:
  f:
    fields:
      level: {type: enum, values: [minor, major]}
      n: {type: int}
    events:
      go:
      back:
    initial: a
    states:
)";
// Line 11 onwards: the states.

}  // namespace

// ---- YAML and file level --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(malformed_yaml_reports_the_parser_position) {
  expect_errors("flows:\n  f: [1,\n", {err(3, 1, "malformed YAML: end of sequence flow not found")});
}

BOOST_AUTO_TEST_CASE(unknown_top_level_key_lists_allowed_keys) {
  expect_errors("flows: {}\nflow: {}\n",
                {err(2, 1, "unknown key 'flow' in the top level of the file (expected one of: calendars, flows, migrations, report, ruleset, tables, triggers)")});
}

BOOST_AUTO_TEST_CASE(wrong_node_kind) {
  expect_errors("flows: 3\n", {err(1, 8, "'flows' must be a map, found a single value")});
  expect_errors("flows: []\n", {err(1, 8, "'flows' must be a map, found a list")});
}

BOOST_AUTO_TEST_CASE(empty_file_is_an_error) {
  expect_errors("", {err(1, 1, "a rules file must be a map with the key 'flows', found nothing")});
  expect_errors("# only a comment\n",
                {err(1, 1, "a rules file must be a map with the key 'flows', found nothing")});
}

BOOST_AUTO_TEST_CASE(invalid_utf8_reports_first_bad_byte_of_each_line) {
  expect_errors("flows: {}\n# \xe6\x8a\x95 ok \xff\xfe\nlabel: \xc3(\n",
                {err(2, 10, "invalid UTF-8 (byte 0xff)"), err(3, 8, "invalid UTF-8 (byte 0xc3)")});
}

// The check skips ASCII eight bytes at a time: a bad byte at every place in an eight-byte word,
// after long ASCII runs, in the short tail, and a sequence cut by the end of the text.
BOOST_AUTO_TEST_CASE(invalid_utf8_found_at_every_offset_of_ascii_runs) {
  for (int pad = 0; pad < 17; ++pad) {
    const std::string run(static_cast<std::size_t>(pad), 'x');
    expect_errors("flows: {}\n# " + run + "\xff\n",
                  {err(2, 3 + pad, "invalid UTF-8 (byte 0xff)")});
    expect_errors("flows: {}\n# " + run + "\xe5\xb7\xa5\xe5\n# \xe5\xb7\n",
                  {err(2, 6 + pad, "invalid UTF-8 (byte 0xe5)"), err(3, 3, "invalid UTF-8 (byte 0xe5)")});
    expect_errors("flows: {}\n# " + run + "\xe5\xb7",
                  {err(2, 3 + pad, "invalid UTF-8 (byte 0xe5)")});
  }
  const load_result ok = load_rules_from_string("flows: {}\n# 工单 ok " + std::string(40, 'a') + " 步骤\n", "t.yaml");
  BOOST_TEST(show(ok.diagnostics) == "");
}

// The names of places in messages are kept as pieces and joined for a diagnostic: nested
// deeper than the loader nests them, nothing is cut.
BOOST_AUTO_TEST_CASE(where_text_joins_every_piece_at_any_depth) {
  using crmflow::loader::where_text;
  const std::string name = "s01";
  const where_text state("state '", name, "'");
  const where_text entry("'on_entry' of ", state);
  BOOST_TEST(where_text("the actions ('do') of ", entry).str() == "the actions ('do') of 'on_entry' of state 's01'");
  const std::string message = "unknown key 'x' in " + state + " (expected one of: a)";
  BOOST_TEST(message == "unknown key 'x' in state 's01' (expected one of: a)");
  const where_text a("1 ", state), b("2 ", a), c("3 ", b), d("4 ", c), e("5 ", d), f("6 ", e);
  BOOST_TEST(f.str() == "6 5 4 3 2 1 state 's01'");
  BOOST_TEST(where_text("7 ", f).str() == "7 6 5 4 3 2 1 state 's01'");
}

// Where each check names its place ("'if' of the transition on 'go'"): the texts and positions
// of the kind errors of every part of a flow, pinned as they were before those names were kept
// as pieces (where_text). Lines count from base_head (states from line 11).
BOOST_AUTO_TEST_CASE(kind_errors_name_their_place_exactly) {
  expect_errors(std::string(base_head) + R"(      a:
        on_exit: {x: 1}
        on: {go: {to: b}}
      b:
        final: true
)",
                {err(12, 18, "the actions ('do') of 'on_exit' of state 'a' must be a list, found a map")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {[x]: 1, go: {to: b}}
      b:
        final: true
)",
                {err(12, 14, "an event name in 'on' of state 'a' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: [go]
      b:
        final: true
)",
                {err(12, 13, "'on' of state 'a' must be a map, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b, if: [x]}}
      b:
        final: true
)",
                {err(12, 30, "'if' of the transition on 'go' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b}}
      b:
        final: [true]
)",
                {err(14, 16, "'final' of state 'b' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        timers: {x: 1}
        on: {go: {to: b}}
      b:
        final: true
)",
                {err(12, 17, "'timers' of state 'a' must be a list, found a map")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b, do: [{set: n, from: [1]}]}}
      b:
        final: true
)",
                {err(12, 46, "'from' of action 'set: n' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b, do: [{notify: [x], message: hi}, {notify: x, message: [1]}]}}
      b:
        final: true
)",
                {err(12, 40, "'notify' must be a single value, found a list"),
                 err(12, 80, "'message' of 'notify' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b, do: [{alarm: late, to: [x], message: hi}, {alarm: late, message: {a: 1}}]}}
      b:
        final: true
)",
                {err(12, 49, "'to' of 'alarm' must be a single value, found a list"),
                 err(12, 91, "'message' of 'alarm' must be a single value, found a map")});
  expect_errors(R"(flows:
  f:
    fields:
      level: {type: enum, values: [minor, major]}
      n: {type: [int]}
      m: {type: enum, values: x}
      k: {type: enum, values: [[a]]}
    events:
      go:
      back:
    initial: a
    states:
      a:
        on: {go: {to: b}}
      b:
        final: true
)",
                {err(5, 17, "the type of field 'n' must be a single value, found a list"),
                 err(6, 31, "'values' of field 'm' must be a list, found a single value"),
                 err(7, 32, "a value of field 'k' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b}}
      b:
        final: true
    groups:
      g: {states: x}
      h: {states: [[a]], label: [x]}
)",
                {err(16, 19, "'states' of group 'g' must be a list, found a single value"),
                 err(17, 20, "a state of group 'h' must be a single value, found a list"),
                 err(17, 33, "'label' of group 'h' must be a single value, found a list")});
  expect_errors(R"(flows:
  f:
    fields:
      level: {type: enum, values: [minor, major]}
      n: {type: int}
    events:
      go: {data: [x], label: [y]}
      back:
    initial: a
    states:
      a:
        on: {go: {to: b}}
      b:
        final: true
)",
                {err(7, 18, "'data' of event 'go' must be a map, found a list"),
                 err(7, 30, "'label' of event 'go' must be a single value, found a list")});
  expect_errors(R"(flows:
  f:
    fields:
      level: {type: enum, values: [minor, major]}
      n: {type: int}
    events:
      go:
      back:
    initial: [a]
    states:
      a:
        on: {go: {to: b}}
      b:
        final: true
)",
                {err(9, 14, "'initial' of flow 'f' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        [x]: 1
        label: one
        label: two
        on: {go: {to: b}}
      b:
        final: true
)",
                {err(12, 9, "expected a key name in state 'a', found a list"),
                 err(14, 9, "duplicate key 'label' in state 'a' (first at line 13)")});
  expect_errors(std::string(base_head) + R"(      a:
        timers:
          - [x]
          - {name: t, after: [1h], event: go}
          - {name: u, after: 1h, event: [go]}
        on: {go: {to: b}}
      b:
        final: true
)",
                {err(13, 13, "a timer of state 'a' must be a map, found a list"),
                 err(14, 30, "'after' of timer 't' must be a single value, found a list"),
                 err(15, 41, "'event' of timer 'u' must be a single value, found a list")});
  expect_errors(R"(flows:
  f:
    fields:
      level: {type: enum, values: [minor, major]}
      n: {type: int}
    events:
      go:
      back: {data: {n: int}}
    initial: a
    states:
      a:
        on: {go: {to: b, do: [{emit: back, data: {n: [1]}}]}}
      b:
        final: true
)",
                {err(12, 54, "data item 'n' of 'emit' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b, do: [{start_timer: [t]}, {cancel_timer: t, x: 1}, {decide: [t]}]}}
      b:
        final: true
)",
                {err(12, 45, "'start_timer' must be a single value, found a list"),
                 err(12, 66, "action 'cancel_timer' names unknown timer 't'"),
                 err(12, 69, "unknown key 'x' in action 'cancel_timer' (expected one of: cancel_timer)"),
                 err(12, 85, "'decide' must be a single value, found a list")});
  expect_errors(std::string(base_head) + R"(      a:
        on: {go: {to: b, when: x}, back: [{to: [b]}]}
      b:
        final: true
)",
                {err(12, 26, "unknown key 'when' in the transition on 'go' (expected one of: to, if, do)"),
                 err(12, 48, "'to' of the transition on 'back' must be a single value, found a list")});
}


BOOST_AUTO_TEST_CASE(missing_path_is_reported_at_0_0) {
  const std::string path = "/nonexistent/crmflow/rules.yaml";
  const load_result r = load_rules({path});
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) == show({err(0, 0, "no such file or directory", path)}));
}

BOOST_AUTO_TEST_CASE(directory_loads_yaml_and_yml_in_name_order) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "crmflow_loader_test_dir";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string flow_b =
      "flows:\n  b_flow:\n    events: {go: }\n    initial: s\n    states:\n"
      "      s: {on: {go: {to: t}}}\n      t: {final: true}\n";
  const std::string flow_a =
      "flows:\n  a_flow:\n    events: {go: }\n    initial: s\n    states:\n"
      "      s: {on: {go: {to: t}}}\n      t: {final: true}\n";
  std::ofstream(dir / "2.yml") << flow_b;
  std::ofstream(dir / "1.yaml") << flow_a;
  std::ofstream(dir / "notes.txt") << "not rules";
  const load_result r = load_rules({dir});
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  BOOST_TEST(r.rules->flow_count() == 2u);
  BOOST_TEST(r.rules->flow(0).name == "a_flow");
  BOOST_TEST(r.rules->flow(1).name == "b_flow");
  BOOST_TEST(r.rules->flow(1).file == (dir / "2.yml").string());
  fs::remove_all(dir);
}

// ---- names and keys -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unknown_key_in_state) {
  expect_errors(std::string(base_head) +
                    "      a:\n        tiemrs: []\n        on: {go: {to: z}}\n      z: {final: true}\n",
                {err(12, 9, "unknown key 'tiemrs' in state 'a' (expected one of: label, final, "
                            "on_entry, on_exit, timers, on)")});
}

BOOST_AUTO_TEST_CASE(duplicate_state) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z}}}\n      z: {final: true}\n      a: {}\n",
                {err(13, 7, "duplicate state 'a' (first defined at line 11)")});
}

BOOST_AUTO_TEST_CASE(duplicate_event_field_group_timer) {
  expect_errors(R"(flows:
  f:
    fields:
      n: int
      n: string
    events:
      go:
      go:
    initial: a
    states:
      a:
        timers:
          - {name: t1, after: 1h, event: go}
          - {name: t1, after: 2h, event: go}
        on: {go: {to: z}}
      z: {final: true}
    groups:
      g: {states: [a]}
      g: {states: [a]}
)",
                {err(5, 7, "duplicate field 'n' (first defined at line 4)"),
                 err(8, 7, "duplicate event 'go' (first defined at line 7)"),
                 err(14, 20, "duplicate timer 't1' (first defined at line 13)"),
                 err(19, 7, "duplicate group 'g' (first defined at line 18)")});
}

BOOST_AUTO_TEST_CASE(duplicate_flow_across_files) {
  const std::string flow =
      "flows:\n  f:\n    events: {go: }\n    initial: s\n    states:\n"
      "      s: {on: {go: {to: t}}}\n      t: {final: true}\n";
  const load_result r = load_rules_from_sources({{"a.yaml", flow}, {"b.yaml", flow}});
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) ==
             show({err(2, 3, "duplicate flow 'f' (first defined in a.yaml at line 2)", "b.yaml")}));
}

BOOST_AUTO_TEST_CASE(bad_identifier) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z}}}\n      z: {final: true}\n      2nd: {}\n",
                {err(13, 7, "bad state name '2nd' (a name is ASCII letters, digits and '_', "
                            "starting with a letter)")});
}

BOOST_AUTO_TEST_CASE(missing_required_keys) {
  expect_errors("flows:\n  f:\n    states: {a: {final: true}}\n",
                {err(2, 3, "flow 'f' is missing the key 'initial'")});
  expect_errors("flows:\n  f:\n    fields:\n      n: {default: 1}\n    initial: a\n"
                "    states: {a: {final: true}}\n",
                {err(4, 10, "field 'n' is missing the key 'type' (one of: string, int, bool, "
                            "enum, timestamp, duration)")});
}

BOOST_AUTO_TEST_CASE(bad_literal_for_field_type) {
  expect_errors("flows:\n  f:\n    fields:\n      n: {type: int, default: 4x}\n"
                "      b: {type: bool, default: yes}\n"
                "      l: {type: enum, values: [lo, hi], default: mid}\n"
                "    initial: a\n    states: {a: {final: true}}\n",
                {err(4, 31, "bad value '4x' for int field 'n' (expected a whole number like 42)"),
                 err(5, 32, "bad value 'yes' for bool field 'b' (expected true or false)"),
                 err(6, 50, "bad value 'mid' for enum field 'l' (expected one of: lo, hi)")});
}

// ---- states and transitions -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unknown_target_state) {
  expect_errors(std::string(base_head) + "      a: {on: {go: {to: zz}}}\n      z: {final: true}\n",
                {err(11, 25, "transition on 'go' goes to unknown state 'zz'")});
}

BOOST_AUTO_TEST_CASE(unknown_event_in_on) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z}, gone: {to: z}}}\n      z: {final: true}\n",
                {err(11, 29, "state 'a' reacts to unknown event 'gone'")});
}

BOOST_AUTO_TEST_CASE(unreachable_state) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z}}}\n      limbo: {on: {go: {to: z}}}\n"
                    "      z: {final: true}\n",
                {err(12, 7, "state 'limbo' cannot be reached from the initial state 'a'")});
}

BOOST_AUTO_TEST_CASE(states_times_events_is_bounded) {
  // 2,049 states x 2,048 events is one pair over the limit: refused at the flow's name, before
  // any table is allocated (a short hostile file must not ask for gigabytes).
  std::string yaml = "flows:\n  big:\n    events:\n";
  for (int e = 0; e < 2048; ++e) yaml += "      e" + std::to_string(e) + ":\n";
  yaml += "    initial: s0\n    states:\n";
  for (int s = 0; s < 2048; ++s) yaml += "      s" + std::to_string(s) + ": {on: {e0: {to: s" + std::to_string(s + 1) + "}}}\n";
  yaml += "      s2048: {final: true}\n";
  expect_errors(yaml, {err(2, 3,
                           "flow 'big' has 2049 states and 2048 events: at most 4194304 (state, event) pairs "
                           "are allowed")});
}

BOOST_AUTO_TEST_CASE(state_without_way_out) {
  // A self-transition and an internal transition are not ways out.
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: stuck}}}\n"
                    "      stuck: {on: {go: {to: stuck}, back: {do: []}}}\n",
                {err(12, 7, "state 'stuck' is not final and has no way out")});
}

BOOST_AUTO_TEST_CASE(group_transition_is_a_way_out) {
  const load_result r = load_rules_from_string(std::string(base_head) +
                                               "      a: {on: {go: {to: b}}}\n"
                                               "      b: {}\n      z: {final: true}\n"
                                               "    groups:\n      g: {states: [b], on: {back: {to: z}}}\n");
  BOOST_TEST(r.ok(), show(r.diagnostics));
}

BOOST_AUTO_TEST_CASE(final_state_cannot_have_transitions) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z}}}\n      z:\n        final: true\n"
                    "        on: {back: {to: a}}\n",
                {err(14, 9, "final state 'z' cannot have transitions ('on')")});
}

BOOST_AUTO_TEST_CASE(initial_must_name_a_state) {
  expect_errors("flows:\n  f:\n    initial: nowhere\n    states: {a: {final: true}}\n",
                {err(3, 14, "initial state 'nowhere' is not a state of flow 'f'")});
}

// ---- timers ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(timer_fires_undefined_event) {
  expect_errors(std::string(base_head) +
                    "      a:\n        timers:\n          - {name: t, after: 1h, event: gone}\n"
                    "        on: {go: {to: z}}\n      z: {final: true}\n",
                {err(13, 41, "timer 't' fires undefined event 'gone'")});
}

BOOST_AUTO_TEST_CASE(timer_fires_event_with_required_data) {
  // The engine posts a timer's event without data, so a required data item cannot be filled.
  expect_errors(R"(flows:
  f:
    events:
      go:
      late: {data: {who: string}}
    initial: a
    states:
      a:
        timers:
          - {name: t, after: 1h, event: late}
        on: {go: {to: z}, late: {to: z}}
      z: {final: true}
)",
                {err(10, 41, "timer 't' fires event 'late', whose data item 'who' has no default")});
}

BOOST_AUTO_TEST_CASE(bad_duration_and_non_positive_limit) {
  expect_errors(std::string(base_head) +
                    "      a:\n        timers:\n          - {name: t, after: 24x, event: go}\n"
                    "          - {name: u, after: 0s, event: go}\n"
                    "        on: {go: {to: z}}\n      z: {final: true}\n",
                {err(13, 32, "bad duration '24x': unknown unit 'x' (accepted units: s 秒 second(s), m 分钟 "
                            "minute(s), h 小时 hour(s), d 天 day(s), 周 week(s), 个月 month(s), 年 "
                            "year(s); business time: 个工作日 working day(s), 个工作小时 business "
                            "hour(s), 个工作分钟 business minute(s))"),
                 err(14, 30, "time limit must be positive")});
}

BOOST_AUTO_TEST_CASE(timer_needs_event_or_actions) {
  expect_errors(std::string(base_head) +
                    "      a:\n        timers:\n          - {name: t, after: 1h}\n"
                    "        on: {go: {to: z}}\n      z: {final: true}\n",
                {err(13, 13, "timer 't' needs 'event' (an event to post) or 'do' (actions), or both")});
}

// ---- expressions ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(guard_uses_unknown_field) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, if: levle == major}}}\n      z: {final: true}\n",
                {err(11, 32, "guard uses unknown field 'levle'")});
}

BOOST_AUTO_TEST_CASE(guard_column_counts_the_quote) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, if: \"n == 1 and levle\"}}}\n      z: {final: true}\n",
                {err(11, 44, "guard uses unknown field 'levle'")});
}

BOOST_AUTO_TEST_CASE(type_mismatch_enum_with_int) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, if: level == 3}}}\n      z: {final: true}\n",
                {err(11, 38, "type mismatch: 'level' is enum, compared with int")});
}

BOOST_AUTO_TEST_CASE(enum_value_must_fit) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, if: level == huge}}}\n      z: {final: true}\n",
                {err(11, 41, "'huge' is not a field nor one of the values minor, major (enum)")});
}

BOOST_AUTO_TEST_CASE(guard_must_be_bool) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, if: n + 1}}}\n      z: {final: true}\n",
                {err(11, 32, "guard must be true or false (a bool expression), but 'n + 1' is int")});
}

BOOST_AUTO_TEST_CASE(strings_have_no_order) {
  expect_errors("flows:\n  f:\n    fields: {s: string}\n    events: {go: }\n    initial: a\n"
                "    states:\n      a: {on: {go: {to: z, if: \"s < 'x'\"}}}\n      z: {final: true}\n",
                {err(7, 35, "type mismatch: 's' is string, which has no order (only int, "
                            "timestamp and duration can use <, <=, >, >=)")});
}

BOOST_AUTO_TEST_CASE(unknown_event_data_and_event_outside_a_transition) {
  expect_errors(std::string(base_head) +
                    "      a:\n        on_entry: [{set: n, from: event.x}]\n"
                    "        on: {go: {to: z, if: event.y == 1}}\n      z: {final: true}\n",
                {err(12, 35, "'event.x' cannot be used here: timers and entry or exit actions are "
                             "not handling an event"),
                 err(13, 30, "guard uses unknown event data 'event.y' (event 'go' has no data item 'y')")});
}

BOOST_AUTO_TEST_CASE(set_from_must_have_the_field_type) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, do: [{set: n, from: now}]}}}\n      z: {final: true}\n",
                {err(11, 48, "type mismatch: field 'n' is int, but 'from' gives timestamp")});
}

BOOST_AUTO_TEST_CASE(expression_needing_too_deep_a_stack_is_rejected) {
  std::string e = "n";
  for (int i = 0; i < 16; ++i) e = "n + (" + e + ")";
  expect_errors(std::string(base_head) + "      a: {on: {go: {to: z, if: \"" + e +
                    " == 1\"}}}\n      z: {final: true}\n",
                {err(11, 33, "expression is too complex: it needs 17 places on the evaluation "
                             "stack, at most 16 are allowed (use fewer nested parentheses)")});
}

BOOST_AUTO_TEST_CASE(bad_duration_in_expression) {
  expect_errors("flows:\n  f:\n    fields: {d: duration}\n    events: {go: }\n    initial: a\n"
                "    states:\n      a: {on: {go: {to: z, if: d < 1h3}}}\n      z: {final: true}\n",
                {err(7, 38, "bad duration '1h3': missing unit after '3' (accepted units: s 秒 second(s), "
                            "m 分钟 minute(s), h 小时 hour(s), d 天 day(s), 周 week(s), 个月 "
                            "month(s), 年 year(s))")});
}

// ---- actions and templates ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(emit_unknown_event_and_unknown_timer) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, do: [{emit: gone}, {start_timer: nope}]}}}\n"
                    "      z: {final: true}\n",
                {err(11, 40, "action emits unknown event 'gone'"),
                 err(11, 61, "action 'start_timer' names unknown timer 'nope'")});
}

BOOST_AUTO_TEST_CASE(template_errors) {
  expect_errors(std::string(base_head) +
                    "      a:\n        on:\n          go:\n            to: z\n            do:\n"
                    "              - notify: manager\n                message: \"case {case}: {lvl}\"\n"
                    "              - alarm: late\n                message: 'open {brace'\n"
                    "      z: {final: true}\n",
                {err(17, 40, "'{lvl}' is not a field of the flow (expected a field name, {case}, "
                             "{state} or {flow}; write '{{' for a brace)"),
                 err(19, 32, "unmatched '{' in message (write '{{' for a brace)")});
}

BOOST_AUTO_TEST_CASE(unknown_action_and_set_without_value) {
  expect_errors(std::string(base_head) +
                    "      a: {on: {go: {to: z, do: [{sett: n}, {set: n}]}}}\n      z: {final: true}\n",
                {err(11, 34, "unknown action 'sett' (expected one of: set, notify, start_timer, "
                             "cancel_timer, alarm, emit, decide)"),
                 err(11, 45, "action 'set: n' needs 'to' (a value) or 'from' (an expression)")});
}

// ---- all at once ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(all_errors_of_a_file_at_once_sorted) {
  expect_errors(std::string(base_head) +
                    "      a:\n        on:\n          back: {to: z, if: levle == 1}\n"
                    "          go: {to: nowhere}\n        label: [x]\n      z: {final: true}\n"
                    "      z: {final: true}\n",
                {err(13, 29, "guard uses unknown field 'levle'"),
                 err(14, 20, "transition on 'go' goes to unknown state 'nowhere'"),
                 err(15, 16, "'label' of state 'a' must be a single value, found a list"),
                 err(17, 7, "duplicate state 'z' (first defined at line 16)")});
}

BOOST_AUTO_TEST_CASE(an_error_in_one_file_drops_the_whole_set) {
  const std::string good =
      "flows:\n  f:\n    events: {go: }\n    initial: s\n    states:\n"
      "      s: {on: {go: {to: t}}}\n      t: {final: true}\n";
  const load_result r =
      load_rules_from_sources({{"good.yaml", good}, {"bad.yaml", "flows: {g: 1}\n"}});
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) ==
             show({err(1, 12, "flow 'g' must be a map, found a single value", "bad.yaml")}));
}

BOOST_AUTO_TEST_CASE(hostile_inputs_do_not_crash) {
  const std::vector<std::string> inputs = {
      "",
      "flows: 3",
      "flows: []",
      "flows: {f: }",
      "flows: {f: {states: 1, initial: [a]}}",
      "&a [*a]",
      std::string(3000, '['),
      "flows: {f: {initial: a, events: {e: }, states: {a: {on: {e: {if: \"" +
          std::string(100000, '(') + "\"}}}}}}}",
      "flows: {f: {initial: a, events: {e: }, states: {a: {on: {e: {if: \"" +
          [] { std::string s; for (int i = 0; i < 50000; ++i) s += "not "; return s; }() + "a\"}}}}}}",
      "flows: {f: {label: \"" + std::string(1 << 20, 'x') + "\"}}",
      "flows: {f: {initial: a, states: {a: {on: {e: [1, [2], {to: }]}}}}}",
      "\xef\xbb\xbf" "flows:\n  f: {initial: 1, states: {1: 2}}",
  };
  for (const auto& in : inputs) {
    const load_result r = load_rules_from_string(in, "t.yaml");
    BOOST_TEST(!r.ok());
    BOOST_TEST(!r.diagnostics.empty());
  }
}

// ---- compiled tables ------------------------------------------------------------------------

namespace {

const char* const good_flow = R"(flows:
  complaint:
    label: 投诉处理
    fields:
      level: {type: enum, values: [unclassified, minor, major], default: minor}
      building: {type: string, default: "1号楼"}
      escalations: {type: int, default: 2}
      limit: {type: duration, default: 24h}
    events:
      assign:
      escalate:
      close:
      receive:
        data:
          building: string
          level: {type: enum, values: [minor, major]}
          urgent: {type: bool, default: false}
    initial: received
    states:
      received:
        timers:
          - {name: feedback, after: limit, event: escalate}
        on:
          escalate: {to: assigned, if: level == major}
          assign: {to: assigned}
      assigned:
        on:
          close: {to: closed}
      closed: {final: true}
    groups:
      open:
        states: [received, assigned]
        timers:
          - name: unresolved
            after: 10d
            event: escalate
        on:
          escalate:
            do:
              - {set: escalations, from: escalations + 1}
              - {set: building, to: "2号楼"}
              - {start_timer: solution}
              - emit: receive
                data: {building: "'x'", level: major}
      all:
        states: [assigned, received]
        on:
          escalate: {to: received}
    timers:
      - name: solution
        after: 12h
        do: [{alarm: late, message: "{building} {case} {{ok}}"}]
)";

}  // namespace

BOOST_AUTO_TEST_CASE(good_flow_compiles_to_expected_tables) {
  const load_result r = load_rules_from_string(good_flow, "good.yaml");
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  const auto& rules = *r.rules;
  const d::flow_program& f = rules.flow(0);
  BOOST_TEST(f.name == "complaint");
  BOOST_TEST(f.label == "投诉处理");
  BOOST_TEST(f.file == "good.yaml");
  BOOST_TEST(f.states.size() == 3u);
  BOOST_TEST(f.states[0].line == 20);
  BOOST_TEST(f.states[0].column == 7);
  BOOST_TEST(f.states[2].final);
  BOOST_TEST(f.states[0].groups == 3u);  // open and all
  BOOST_TEST(f.states[1].groups == 3u);
  BOOST_TEST(f.states[2].groups == 0u);

  // Field defaults encoded: enum index, interned string, int, duration.
  BOOST_TEST(f.fields[0].initial == 1);
  BOOST_TEST(rules.literals().text(f.fields[1].initial) == "1号楼");
  BOOST_TEST(f.fields[2].initial == 2);
  BOOST_TEST(f.fields[3].initial == 24 * hours_ms);
  BOOST_TEST(rules.find_enum_value(0, 0, "major").value() == 2);
  BOOST_TEST(!rules.find_enum_value(0, 0, "huge").has_value());
  BOOST_TEST(!rules.find_enum_value(0, 1, "major").has_value());  // not an enum field

  // Events: slots and required items.
  const event_id receive = rules.find_event(0, "receive").value();
  BOOST_TEST(f.events[receive].required_mask == 3u);
  BOOST_TEST(rules.find_slot(0, receive, "urgent").value() == 2);

  // Timers: state timers, then group timers, then flow timers.
  BOOST_TEST(f.timers.size() == 3u);
  BOOST_TEST(f.timers[0].name == "feedback");
  BOOST_TEST(f.timers[0].after_field == 3);
  BOOST_TEST(f.timers[1].name == "unresolved");
  BOOST_TEST(f.timers[1].after == 10 * days_ms);
  BOOST_TEST(int(f.timers[1].scope) == int(d::timer_scope::group));
  BOOST_TEST(f.timers[2].name == "solution");
  BOOST_TEST(int(f.timers[2].scope) == int(d::timer_scope::flow));
  BOOST_TEST(f.states[0].timers_count == 1u);
  BOOST_TEST(f.timer_lists[f.states[0].timers_first] == 0);
  BOOST_TEST(f.groups[0].timers_count == 1u);
  BOOST_TEST(f.timer_lists[f.groups[0].timers_first] == 1);
  BOOST_TEST(f.states[1].timers_count == 0u);

  // Dispatch: received + escalate = own (guarded), then group open, then group all.
  const std::size_t ne = f.events.size();
  const event_id escalate = rules.find_event(0, "escalate").value();
  auto candidates = [&](state_id s, event_id e) {
    std::vector<std::uint32_t> out;
    for (auto i = f.dispatch_index[s * ne + e]; i < f.dispatch_index[s * ne + e + 1]; ++i)
      out.push_back(f.dispatch_list[i]);
    return out;
  };
  BOOST_TEST(f.dispatch_index.size() == f.states.size() * ne + 1);
  const auto c = candidates(0, escalate);
  BOOST_TEST_REQUIRE(c.size() == 3u);
  BOOST_TEST(!f.transitions[c[0]].from_group);
  BOOST_TEST(f.transitions[c[0]].guard_text == "level == major");
  BOOST_TEST(f.transitions[c[1]].from_group);
  BOOST_TEST(f.transitions[c[1]].source == 0);
  BOOST_TEST(f.transitions[c[1]].internal);
  BOOST_TEST(f.transitions[c[2]].source == 1);
  BOOST_TEST(f.transitions[c[2]].target == 0);
  BOOST_TEST(candidates(1, escalate).size() == 2u);
  BOOST_TEST(candidates(2, escalate).empty());

  // Group actions: set from, set to (interned literal), start_timer, emit with enum conversion.
  const auto& open_escalate = f.transitions[c[1]];
  BOOST_TEST_REQUIRE(open_escalate.actions.count == 4u);
  const d::action_def* a = &f.actions[open_escalate.actions.first];
  std::array<std::int64_t, 4> fields{1, 0, 5, 0};
  std::array<std::int64_t, 3> data{0, 1, 0};  // event.level = major in the event's own enum
  const d::eval_context ctx{fields.data(), data.data(), 0};
  BOOST_TEST(d::evaluate(f, a[0].expr, ctx) == 6);
  BOOST_TEST(int(f.code[a[1].expr].code) == int(d::op::imm));
  BOOST_TEST(f.code[a[1].expr].imm == rules.literals().find("2号楼"));
  BOOST_TEST(int(a[2].kind) == int(d::action_kind::start_timer));
  BOOST_TEST(a[2].target == 2);
  BOOST_TEST(int(a[3].kind) == int(d::action_kind::emit));
  BOOST_TEST(a[3].line == 43);
  BOOST_TEST_REQUIRE(a[3].args_count == 2u);
  const d::emit_arg* args = &f.emit_args[a[3].args_first];
  BOOST_TEST(args[0].slot == 0);
  BOOST_TEST(rules.literals().text(d::evaluate(f, args[0].expr, ctx)) == "x");
  // A bare enum value resolved against the emitted item's own list [minor, major].
  BOOST_TEST(d::evaluate(f, args[1].expr, ctx) == 1);

  // Flow timer's alarm and its template.
  const auto& alarm = f.actions[f.timers[2].actions.first];
  BOOST_TEST(int(alarm.kind) == int(d::action_kind::alarm));
  BOOST_TEST(f.alarm_names.at(alarm.target) == "late");
  const auto& tpl = f.templates.at(alarm.message);
  BOOST_TEST_REQUIRE(tpl.count == 4u);
  const d::template_segment* seg = &f.segments[tpl.first];
  BOOST_TEST(int(seg[0].kind) == int(d::segment_kind::field));
  BOOST_TEST(seg[0].field == 1);
  BOOST_TEST(f.text.substr(seg[1].first, seg[1].length) == " ");
  BOOST_TEST(int(seg[2].kind) == int(d::segment_kind::case_name));
  BOOST_TEST(f.text.substr(seg[3].first, seg[3].length) == " {ok}");
}

// ---- expression evaluation ------------------------------------------------------------------

namespace {

// Fields: level 0 (enum unclassified, minor, major), n 1, t 2, dur 3, s 4, b 5.
// Event data: x 0 (int), lv 1 (enum minor, major).
struct guard_fixture {
  load_result r;
  const d::flow_program* f = nullptr;
  std::uint32_t start = 0;

  explicit guard_fixture(const std::string& expr) {
    r = load_rules_from_string(R"(flows:
  f:
    fields:
      level: {type: enum, values: [unclassified, minor, major]}
      n: int
      t: timestamp
      dur: duration
      s: string
      b: bool
    events:
      e:
        data: {x: int, lv: {type: enum, values: [minor, major]}}
    initial: a
    states:
      a: {on: {e: {to: z, if: ")" + expr + R"("}}}
      z: {final: true}
)");
    BOOST_TEST_REQUIRE(r.ok(), expr << "\n" << show(r.diagnostics));
    f = &r.rules->flow(0);
    start = f->transitions.at(0).guard;
  }

  std::int64_t run(std::array<std::int64_t, 6> fields, std::array<std::int64_t, 2> data = {},
                   timestamp now = 0) const {
    return d::evaluate(*f, start, d::eval_context{fields.data(), data.data(), now});
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(eval_comparisons_and_enum_values) {
  guard_fixture g("level == major");
  BOOST_TEST(g.run({2, 0, 0, 0, 0, 0}) == 1);
  BOOST_TEST(g.run({1, 0, 0, 0, 0, 0}) == 0);
  guard_fixture lt("n < 3");
  BOOST_TEST(lt.run({0, 2, 0, 0, 0, 0}) == 1);
  BOOST_TEST(lt.run({0, 3, 0, 0, 0, 0}) == 0);
  guard_fixture ge("n >= -3");
  BOOST_TEST(ge.run({0, -3, 0, 0, 0, 0}) == 1);
  BOOST_TEST(ge.run({0, -4, 0, 0, 0, 0}) == 0);
  guard_fixture ne("major != level");
  BOOST_TEST(ne.run({0, 0, 0, 0, 0, 0}) == 1);
}

BOOST_AUTO_TEST_CASE(eval_enum_across_value_lists) {
  // The event's [minor, major] is shifted into the field's [unclassified, minor, major].
  guard_fixture g("level == event.lv");
  BOOST_TEST(g.run({2, 0, 0, 0, 0, 0}, {0, 1}) == 1);
  BOOST_TEST(g.run({1, 0, 0, 0, 0, 0}, {0, 1}) == 0);
  BOOST_TEST(g.run({1, 0, 0, 0, 0, 0}, {0, 0}) == 1);
}

BOOST_AUTO_TEST_CASE(eval_and_short_circuits_with_absolute_jump) {
  guard_fixture g("b and n == 1");
  const auto& code = g.f->code;
  BOOST_TEST(int(code[g.start].code) == int(d::op::field));
  BOOST_TEST(int(code[g.start + 1].code) == int(d::op::jump_false));
  BOOST_TEST(code[g.start + 1].b == g.start + 5);
  BOOST_TEST(int(code[g.start + 5].code) == int(d::op::ret));
  BOOST_TEST(g.run({0, 1, 0, 0, 0, 1}) == 1);
  BOOST_TEST(g.run({0, 2, 0, 0, 0, 1}) == 0);
  BOOST_TEST(g.run({0, 1, 0, 0, 0, 0}) == 0);
}

BOOST_AUTO_TEST_CASE(eval_or_not_and_precedence) {
  // not binds tighter than and, and tighter than or: (not b) or (n == 1 and n == 2) ...
  guard_fixture g("not b or n == 1 and b");
  BOOST_TEST(g.run({0, 0, 0, 0, 0, 0}) == 1);  // not b
  BOOST_TEST(g.run({0, 1, 0, 0, 0, 1}) == 1);  // n == 1 and b
  BOOST_TEST(g.run({0, 2, 0, 0, 0, 1}) == 0);
  guard_fixture paren("not (b or n == 1)");
  BOOST_TEST(paren.run({0, 1, 0, 0, 0, 0}) == 0);
  BOOST_TEST(paren.run({0, 0, 0, 0, 0, 0}) == 1);
  guard_fixture cmp("not n == 1");  // not applies to the comparison
  BOOST_TEST(cmp.run({0, 1, 0, 0, 0, 0}) == 0);
  BOOST_TEST(cmp.run({0, 2, 0, 0, 0, 0}) == 1);
  guard_fixture orj("b or n == 1");
  BOOST_TEST(int(orj.f->code[orj.start + 1].code) == int(d::op::jump_true));
  BOOST_TEST(orj.run({0, 5, 0, 0, 0, 1}) == 1);
  BOOST_TEST(orj.run({0, 1, 0, 0, 0, 0}) == 1);
  BOOST_TEST(orj.run({0, 5, 0, 0, 0, 0}) == 0);
}

BOOST_AUTO_TEST_CASE(eval_in_lists) {
  guard_fixture g("level in [minor, major]");
  BOOST_TEST(g.run({0, 0, 0, 0, 0, 0}) == 0);
  BOOST_TEST(g.run({1, 0, 0, 0, 0, 0}) == 1);
  BOOST_TEST(g.run({2, 0, 0, 0, 0, 0}) == 1);
  guard_fixture n("n in [1, -2, 30]");
  BOOST_TEST(n.run({0, -2, 0, 0, 0, 0}) == 1);
  BOOST_TEST(n.run({0, 2, 0, 0, 0, 0}) == 0);
  guard_fixture s("s in ['甲', 'b']");
  const auto id = g.r.rules->literals().find("甲");  // interned in each set's own pool
  BOOST_TEST(id == -1);
  const auto sid = s.r.rules->literals().find("甲");
  BOOST_TEST(s.run({0, 0, 0, 0, sid, 0}) == 1);
  BOOST_TEST(s.run({0, 0, 0, 0, 0, 0}) == 0);
  guard_fixture eq("s == '乙' or '乙' != s");  // string literals compare by interned id
  const auto yi = eq.r.rules->literals().find("乙");
  BOOST_TEST(yi > 0);
  BOOST_TEST(eq.run({0, 0, 0, 0, yi, 0}) == 1);
  BOOST_TEST(eq.run({0, 0, 0, 0, 0, 0}) == 1);
  guard_fixture only("s == '乙'");
  BOOST_TEST(only.run({0, 0, 0, 0, only.r.rules->literals().find("乙"), 0}) == 1);
  BOOST_TEST(only.run({0, 0, 0, 0, 0, 0}) == 0);
}

BOOST_AUTO_TEST_CASE(eval_time_arithmetic) {
  guard_fixture g("now - t >= dur + 1h");
  BOOST_TEST(g.run({0, 0, 1000, 2 * hours_ms, 0, 0}, {}, 1000 + 3 * hours_ms) == 1);
  BOOST_TEST(g.run({0, 0, 1000, 2 * hours_ms, 0, 0}, {}, 999 + 3 * hours_ms) == 0);
  guard_fixture h("t + 1h30m < now");
  BOOST_TEST(h.run({0, 0, 0, 0, 0, 0}, {}, 90 * minutes_ms + 1) == 1);
  BOOST_TEST(h.run({0, 0, 0, 0, 0, 0}, {}, 90 * minutes_ms) == 0);
  guard_fixture i("event.x - n + 2 == 5");  // left-associative: (x - n) + 2
  BOOST_TEST(i.run({0, 1, 0, 0, 0, 0}, {4, 0}) == 1);
}

BOOST_AUTO_TEST_CASE(arithmetic_type_rules) {
  expect_errors("flows:\n  f:\n    fields: {t: timestamp, n: int}\n    events: {go: }\n"
                "    initial: a\n    states:\n      a: {on: {go: {to: z, if: t + t > n}}}\n"
                "      z: {final: true}\n",
                {err(7, 34, "type mismatch: cannot add timestamp to timestamp in 't + t' (allowed: "
                            "int + int, int - int, timestamp + duration, timestamp - duration, "
                            "duration + duration, duration - duration, timestamp - timestamp)")});
}

// ---- parse_duration -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_duration_accepts_units_from_largest_down) {
  BOOST_TEST(parse_duration("90s").value() == 90 * seconds_ms);
  BOOST_TEST(parse_duration("10m").value() == 10 * minutes_ms);
  BOOST_TEST(parse_duration("1h30m").value() == 90 * minutes_ms);
  BOOST_TEST(parse_duration("10d").value() == 10 * days_ms);
  BOOST_TEST(parse_duration("1d12h").value() == 36 * hours_ms);
  BOOST_TEST(parse_duration("1h 30m").value() == 90 * minutes_ms);  // spaces between parts
  BOOST_TEST(parse_duration("0s").value() == 0);
}

BOOST_AUTO_TEST_CASE(parse_duration_rejects_malformed) {
  for (const char* bad : {"", "h", "10", "1.5h", "-1h", "1h 30", "30m1h", "1h1h", "1x", "3个月",
                          "99999999999999999999s", "9223372036854775807d"})
    BOOST_TEST(!parse_duration(bad).has_value(), bad);
}

// ---- report: (KPI targets) ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bundled_report_section_resolves_to_ids) {
  const load_result r = load_rules({std::filesystem::path(CRMFLOW_SOURCE_DIR) / "rules"});
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  BOOST_TEST_REQUIRE(r.rules->report().has_value());
  const report_spec& s = *r.rules->report();
  const flow_id complaint = *r.rules->find_flow("complaint");
  BOOST_TEST(s.file.ends_with("kpis.yaml"));
  BOOST_TEST(s.customers.value_or(0) == 2016);
  BOOST_TEST(s.targets.on_time_rate.value_or(0) == 1.0);
  BOOST_TEST(s.targets.complaint_rate_max.value_or(0) == 0.10);
  BOOST_TEST(s.targets.satisfaction_min.value_or(0) == 0.85);
  BOOST_TEST_REQUIRE(s.steps.size() == 11u);  // 5 of the complaint flow, 6 of service requests
  BOOST_TEST(s.steps[0].flow == complaint);
  BOOST_TEST(r.rules->flow(complaint).timers[s.steps[0].timer].name == "feedback_24h");
  BOOST_TEST(s.steps[1].alarm == "report_overdue");
  BOOST_TEST_REQUIRE(s.complaints.has_value());
  BOOST_TEST(s.complaints->place == *r.rules->find_field(complaint, "building"));
  BOOST_TEST(s.complaints->satisfied.size() == 2u);
  const flow_id service = *r.rules->find_flow("service_request");
  BOOST_TEST(s.steps[5].flow == service);
  BOOST_TEST(r.rules->flow(service).timers[s.steps[5].timer].name == "dispatch_30m");
  BOOST_TEST(s.steps[10].label == "24小时服务回访");
  // complaint, service-request house repairs, and repair / paid_service visits
  BOOST_TEST_REQUIRE(s.revisits.size() == 4u);
  BOOST_TEST(s.revisits[0].states == std::vector<state_id>{*r.rules->find_state(complaint, "resolved")});
  BOOST_TEST(s.revisits[1].flow == service);
  BOOST_TEST(s.revisits[1].states == std::vector<state_id>{*r.rules->find_state(service, "revisiting")});
  const flow_id visit = *r.rules->find_flow("visit");
  BOOST_TEST(s.revisits[2].flow == visit);
  BOOST_TEST(s.revisits[2].states ==
             (std::vector<state_id>{*r.rules->find_state(visit, "due"), *r.rules->find_state(visit, "overdue")}));
  BOOST_TEST(s.revisits[3].flow == visit);
  BOOST_TEST(s.repeated_problem_alarms == std::vector<std::string>{"repeated_problem"});
}

BOOST_AUTO_TEST_CASE(loyalty_names_an_enum_field_and_splits_its_values) {
  const std::string flow = R"(flows:
  v:
    fields:
      recommend: {type: enum, values: [not_asked, yes, maybe, no], default: not_asked}
      note: {type: string}
    initial: a
    states:
      a: {final: true}
report:
)";
  const load_result ok = load_rules_from_sources(
      {{"k.yaml", flow + "  loyalty: {flow: v, field: recommend, loyal: [yes], not_loyal: [maybe, no]}\n"}});
  BOOST_TEST_REQUIRE(ok.ok(), show(ok.diagnostics));
  const kpi_loyalty& l = *ok.rules->report()->loyalty;
  BOOST_TEST(l.field == *ok.rules->find_field(0, "recommend"));
  BOOST_TEST(l.loyal == std::vector<raw_value>{1});
  BOOST_TEST(l.not_loyal == (std::vector<raw_value>{2, 3}));
  const load_result bad = load_rules_from_sources(
      {{"k.yaml", flow + "  loyalty: {flow: v, field: recommend, loyal: [yes, si], not_loyal: [no, yes]}\n"}});
  BOOST_TEST(show(bad.diagnostics) ==
             "k.yaml:10:53: error: 'si' is not a value of field 'recommend' (expected one of: not_asked, yes, maybe, no)\n"
             "k.yaml:10:74: error: 'yes' is listed twice in 'loyalty' of 'report' (under 'loyal' and 'not_loyal')\n");
  const load_result text = load_rules_from_sources(
      {{"k.yaml", flow + "  loyalty: {flow: v, field: note, loyal: [yes], not_loyal: [no]}\n"}});
  BOOST_TEST(show(text.diagnostics) ==
             "k.yaml:10:29: error: 'field' of 'loyalty' of 'report': field 'note' must be of type enum\n");
}

BOOST_AUTO_TEST_CASE(a_second_report_section_is_an_error_naming_the_first) {
  const load_result r = load_rules_from_sources(
      {{"a.yaml", "report:\n  label: A\n"}, {"b.yaml", "report:\n  label: B\n"}});
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) ==
             "b.yaml:2:3: error: a second 'report' section (the first is in a.yaml at line 2); a rule set has one\n");
}

BOOST_AUTO_TEST_CASE(rules_without_report_section_have_none) {
  const load_result r = load_rules_from_string(std::string(base_head) + "      a: {final: true}\n");
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  BOOST_TEST(!r.rules->report().has_value());
}
