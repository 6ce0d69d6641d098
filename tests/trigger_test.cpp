// Pattern triggers (报警原则): the `triggers:` section (compiled definitions and every kind of
// diagnostic, with positions), and trigger_state (window edges, distinct-by, cool-down, key
// separation, bounded memory, and a property test against a naive reference).
#define BOOST_TEST_MODULE trigger
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crmflow/rule_set.hpp"
#include "crmflow/trigger.hpp"

using namespace crmflow;

namespace {

diagnostic err(int line, int column, std::string message, std::string file = "t.yaml") {
  return diagnostic{severity::error, std::move(file), line, column, std::move(message)};
}

std::string show(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& x : ds) out += to_string(x) + "\n";
  return out;
}

// Two flows; triggers are appended from line 27 on.
const char* const flows_yaml = R"(flows:
  complaint:
    fields:
      category: {type: string}
      building: {type: string}
      customer: {type: string}
      reasonable: {type: bool, default: true}
      level: {type: enum, values: [minor, major]}
      n: {type: int}
    events:
      classify:
      close:
    initial: received
    states:
      received:
        on: {classify: {to: classified}}
      classified:
        on: {close: {to: closed}}
      closed: {final: true}
  meeting:
    fields:
      topic: {type: string}
      level: {type: enum, values: [minor, major]}
    events: {}
    initial: open
    states: {open: {final: true}}
)";

const char* const good_trigger = R"(triggers:
  same_problem:
    label: 同一问题一个月内三次投诉
    on: {flow: complaint, event: classify}
    if: reasonable
    key: [category, building]
    distinct: customer
    count: 3
    window: 30d
    cooldown: 7d
    alarm: {name: repeated_problem, to: leadership_group, message: "{building}{category} 30天内第3次投诉"}
    open_case: {flow: meeting, data: {topic: category, level: major}}
)";

load_result load(const std::string& triggers) {
  return load_rules_from_string(std::string(flows_yaml) + triggers, "t.yaml");
}

void expect_errors(const std::string& triggers, const std::vector<diagnostic>& expected) {
  const load_result r = load(triggers);
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) == show(expected));
}

// A trigger_def built by hand, for the runtime tests.
trigger_def shape(std::uint32_t count, duration window, duration cooldown = 0,
                  std::size_t key_fields = 1, bool distinct = false) {
  trigger_def d;
  d.name = "t";
  for (std::size_t i = 0; i < key_fields; ++i) d.key.push_back(static_cast<field_id>(i));
  d.distinct = distinct ? static_cast<field_id>(key_fields) : no_id16;
  d.count = count;
  d.window = window;
  d.cooldown = cooldown;
  return d;
}

constexpr duration W = 30 * days_ms;

}  // namespace

// ---- loading ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_good_trigger_compiles_to_field_ids_and_an_index) {
  const load_result r = load(good_trigger);
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  const rule_set& rs = *r.rules;
  BOOST_TEST_REQUIRE(rs.triggers().size() == 1u);
  const trigger_def& d = rs.triggers().at(0);
  const flow_id complaint = *rs.find_flow("complaint");
  BOOST_TEST(d.name == "same_problem");
  BOOST_TEST(d.label == "同一问题一个月内三次投诉");
  BOOST_TEST(d.line == 28);
  BOOST_TEST(d.column == 3);
  BOOST_TEST(d.flow == complaint);
  BOOST_TEST(d.on_events == std::vector<event_id>{*rs.find_event(complaint, "classify")});
  BOOST_TEST(d.on_enter.empty());
  BOOST_TEST((d.key == std::vector<field_id>{*rs.find_field(complaint, "category"),
                                             *rs.find_field(complaint, "building")}));
  BOOST_TEST(d.distinct == *rs.find_field(complaint, "customer"));
  BOOST_TEST(d.count == 3u);
  BOOST_TEST(d.window == 30 * days_ms);
  BOOST_TEST(d.cooldown == 7 * days_ms);
  BOOST_TEST(d.alarm == "repeated_problem");
  BOOST_TEST(d.alarm_to != no_id32);
  BOOST_TEST(d.alarm_message != no_id32);
  BOOST_TEST(d.open_flow == *rs.find_flow("meeting"));
  BOOST_TEST_REQUIRE(d.open_data.size() == 2u);
  BOOST_TEST((rs.triggers().find("same_problem") == std::optional<trigger_id>(0)));
  BOOST_TEST(!rs.triggers().find("nope"));

  // The index: classify counts, close and state entries do not.
  const auto on_classify = rs.triggers().on_event(complaint, *rs.find_event(complaint, "classify"));
  BOOST_TEST(on_classify.size() == 1u);
  BOOST_TEST(rs.triggers().on_event(complaint, *rs.find_event(complaint, "close")).empty());
  BOOST_TEST(rs.triggers().on_enter(complaint, 0).empty());
  BOOST_TEST(rs.triggers().on_event(99, 0).empty());

  // The filter runs over the case's fields.
  const detail::flow_program& fl = rs.flow(complaint);
  std::vector<raw_value> fields(fl.fields.size(), 0);
  fields[*rs.find_field(complaint, "reasonable")] = 1;
  BOOST_TEST(trigger_matches(d, fl, fields.data(), 0));
  fields[*rs.find_field(complaint, "reasonable")] = 0;
  BOOST_TEST(!trigger_matches(d, fl, fields.data(), 0));

  // open_case data: topic from the case's category, level the literal `major` (index 1).
  fields[*rs.find_field(complaint, "category")] = 42;
  const detail::eval_context ctx{fields.data(), nullptr, 0};
  for (const trigger_open_arg& a : d.open_data) {
    const raw_value v = detail::evaluate(fl, a.expr, ctx);
    if (a.field == *rs.find_field(d.open_flow, "topic")) BOOST_TEST(v == 42);
    else BOOST_TEST(v == 1);
  }
}

BOOST_AUTO_TEST_CASE(triggers_on_state_entry_and_in_a_file_of_their_own) {
  const load_result r = load_rules_from_sources(
      {{"a.yaml", flows_yaml},
       {"b.yaml", "triggers:\n  repeat_customer:\n    on: {flow: complaint, enter: [received, closed]}\n"
                  "    key: customer\n    count: 2\n    window: 7d\n"
                  "    alarm: {name: repeat, message: \"{customer}\"}\n"}});
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  const rule_set& rs = *r.rules;
  const flow_id f = *rs.find_flow("complaint");
  BOOST_TEST(rs.triggers().on_enter(f, *rs.find_state(f, "received")).size() == 1u);
  BOOST_TEST(rs.triggers().on_enter(f, *rs.find_state(f, "closed")).size() == 1u);
  BOOST_TEST(rs.triggers().on_enter(f, *rs.find_state(f, "classified")).empty());
  BOOST_TEST(rs.triggers().at(0).key.size() == 1u);
  BOOST_TEST(rs.triggers().at(0).distinct == no_id16);
  BOOST_TEST(rs.triggers().at(0).cooldown == 0);
}

BOOST_AUTO_TEST_CASE(a_trigger_without_a_key_is_refused_at_its_name) {
  expect_errors("triggers:\n  t:\n    on: {flow: complaint, event: classify}\n    count: 3\n"
                "    window: 30d\n    alarm: {name: a, message: m}\n",
                {err(28, 3, "trigger 't' is missing the key 'key' (the fields that make two cases "
                            "the same problem, like [category, building])")});
}

BOOST_AUTO_TEST_CASE(unknown_flow_event_state_and_field_are_refused_with_positions) {
  expect_errors("triggers:\n  t:\n    on: {flow: complain, event: classify}\n    key: [category]\n"
                "    count: 3\n    window: 30d\n    alarm: {name: a, message: m}\n",
                {err(29, 16, "trigger 't' counts cases of unknown flow 'complain' (flows: "
                             "complaint, meeting)")});
  expect_errors("triggers:\n  t:\n    on: {flow: complaint, event: clasify, enter: [received, recieved]}\n"
                "    key: [category, bulding]\n    count: 3\n    window: 30d\n"
                "    alarm: {name: a, message: m}\n",
                {err(29, 34, "flow 'complaint' has no event 'clasify' (expected one of: classify, close)"),
                 err(29, 61, "flow 'complaint' has no state 'recieved' (expected one of: received, "
                             "classified, closed)"),
                 err(30, 21, "'key' of trigger 't' names unknown field 'bulding' of flow 'complaint' "
                             "(expected one of: category, building, customer, reasonable, level, n)")});
}

BOOST_AUTO_TEST_CASE(bad_count_window_cooldown_and_unknown_keys) {
  expect_errors("triggers:\n  t:\n    on: {flow: complaint, event: classify}\n    key: [category]\n"
                "    count: 0\n    window: 30x\n    cooldown: -1d\n    alarm: {name: a, message: m}\n"
                "    every: 3\n",
                {err(31, 12, "bad count '0' for trigger 't' (expected a whole number from 1 to 1000)"),
                 err(32, 13, "bad window '30x' (expected a positive duration, like 30d, 30天 or 30 "
                             "days)"),
                 err(33, 15, "bad cooldown '-1d' (expected a positive duration, like 30d, 30天 or 30 "
                             "days)"),
                 err(35, 5, "unknown key 'every' in trigger 't' (expected one of: label, on, if, key, "
                            "distinct, count, window, cooldown, alarm, open_case)")});
}

BOOST_AUTO_TEST_CASE(filter_errors_come_from_the_expression_compiler_at_their_column) {
  expect_errors("triggers:\n  t:\n    on: {flow: complaint, event: classify}\n"
                "    if: reasonable and colour == red\n    key: [category]\n"
                "    count: 3\n    window: 30d\n    alarm: {name: a, message: m}\n",
                {err(30, 24, "filter uses unknown field 'colour'")});
  expect_errors("triggers:\n  t:\n    on: {flow: complaint, event: classify}\n"
                "    if: n + 1\n    key: [category]\n"
                "    count: 3\n    window: 30d\n    alarm: {name: a, message: m}\n",
                {err(30, 9, "'if' of trigger 't' must be true or false (a bool expression), but "
                            "'n + 1' is int")});
}

BOOST_AUTO_TEST_CASE(distinct_in_the_key_alarm_and_open_case_errors) {
  expect_errors("triggers:\n  t:\n    on: {flow: complaint, event: classify}\n    key: [customer]\n"
                "    distinct: customer\n    count: 3\n    window: 30d\n"
                "    alarm: {name: a, message: \"{nope}\"}\n"
                "    open_case: {flow: meeting, data: {topic: n, room: category}}\n",
                {err(31, 15, "'distinct' of trigger 't' names 'customer', which is part of the key "
                             "(it would always count 1)"),
                 err(34, 32, "'{nope}' is not a field of the flow (expected a field name, {case}, "
                             "{state} or {flow}; write '{{' for a brace)"),
                 err(35, 46, "type mismatch: field 'topic' of flow 'meeting' is string, but the "
                             "expression gives int"),
                 err(35, 49, "'data' of 'open_case' names unknown field 'room' of flow 'meeting' "
                             "(expected one of: topic, level)")});
  expect_errors("triggers:\n  t:\n    count: 3\n", {err(28, 3, "trigger 't' is missing the key 'on' "
                                                              "(what it counts, like {flow: complaint, "
                                                              "event: classify})"),
                                                  err(28, 3, "trigger 't' is missing the key 'key' (the "
                                                             "fields that make two cases the same "
                                                             "problem, like [category, building])"),
                                                  err(28, 3, "trigger 't' is missing the key 'window'"),
                                                  err(28, 3, "trigger 't' is missing the key 'alarm' (the "
                                                             "alarm it raises: {name: ..., to: ..., "
                                                             "message: ...})")});
}

BOOST_AUTO_TEST_CASE(duplicate_trigger_names_across_files) {
  const std::string t = "triggers:\n  t:\n    on: {flow: complaint, event: classify}\n    key: [category]\n"
                        "    count: 3\n    window: 30d\n    alarm: {name: a, message: m}\n";
  const load_result r = load_rules_from_sources({{"a.yaml", std::string(flows_yaml) + t}, {"b.yaml", t}});
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) ==
             show({err(2, 3, "duplicate trigger 't' (first defined in a.yaml at line 28)", "b.yaml")}));
}

// ---- the window, exactly ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_occurrence_counts_from_t_up_to_but_not_including_t_plus_w) {
  const std::array defs{shape(3, W)};
  {
    trigger_state s(defs);
    const raw_value k[] = {7};
    BOOST_TEST(!s.observe(0, k, 0, 1000));
    BOOST_TEST(!s.observe(0, k, 0, 1001));
    BOOST_TEST(s.observe(0, k, 0, 1000 + W - 1));  // the first is still in: fires
  }
  {
    trigger_state s(defs);
    const raw_value k[] = {7};
    BOOST_TEST(!s.observe(0, k, 0, 1000));
    BOOST_TEST(!s.observe(0, k, 0, 1001));
    BOOST_TEST(!s.observe(0, k, 0, 1000 + W));  // the first has just left: 2 in the window
    BOOST_TEST(s.observe(0, k, 0, 1001 + W - 1));  // 1001, 1000+W and this one
  }
}

BOOST_AUTO_TEST_CASE(same_instant_occurrences_all_count) {
  const std::array defs{shape(3, W)};
  trigger_state s(defs);
  const raw_value k[] = {1};
  BOOST_TEST(!s.observe(0, k, 0, 5));
  BOOST_TEST(!s.observe(0, k, 0, 5));
  BOOST_TEST(s.observe(0, k, 0, 5));
  BOOST_TEST(s.observe(0, k, 0, 5));  // no cool-down: every occurrence with 3 in the window fires
}

BOOST_AUTO_TEST_CASE(count_one_fires_every_time_unless_cooling_down) {
  const std::array defs{shape(1, W), shape(1, W, 10)};
  trigger_state s(defs);
  const raw_value k[] = {1};
  BOOST_TEST(s.observe(0, k, 0, 0));
  BOOST_TEST(s.observe(0, k, 0, 0));
  BOOST_TEST(s.observe(1, k, 0, 0));
  BOOST_TEST(!s.observe(1, k, 0, 9));
  BOOST_TEST(s.observe(1, k, 0, 10));
}

BOOST_AUTO_TEST_CASE(distinct_counts_distinct_values_only) {
  const std::array defs{shape(3, W, 0, 1, true)};
  trigger_state s(defs);
  const raw_value k[] = {1};
  BOOST_TEST(!s.observe(0, k, 100, 0));  // customer 100
  BOOST_TEST(!s.observe(0, k, 100, 1));  // the same customer again
  BOOST_TEST(!s.observe(0, k, 100, 2));
  BOOST_TEST(!s.observe(0, k, 200, 3));
  BOOST_TEST(s.observe(0, k, 300, 4));   // 100, 200, 300
  // 100's latest occurrence (at 2) keeps it in until 2 + W: at 2 + W only 200, 300 and 400.
  BOOST_TEST(s.observe(0, k, 400, 2 + W - 1));
  BOOST_TEST(s.observe(0, k, 500, 3 + W - 1));  // 300, 400, 500 (200 is at 3: still in)
  BOOST_TEST(!s.observe(0, k, 500, 4 + W + 1));  // 400, 500
}

BOOST_AUTO_TEST_CASE(a_repeated_value_moves_to_its_latest_time) {
  const std::array defs{shape(3, 100, 0, 1, true)};
  trigger_state s(defs);
  const raw_value k[] = {1};
  BOOST_TEST(!s.observe(0, k, 1, 0));
  BOOST_TEST(!s.observe(0, k, 2, 10));
  BOOST_TEST(!s.observe(0, k, 1, 20));  // 1 now at 20
  BOOST_TEST(s.observe(0, k, 3, 105));   // 2 (10), 1 (20), 3: 1's first time has left, its latest not
}

BOOST_AUTO_TEST_CASE(cooldown_suppresses_firing_for_the_key_until_it_has_passed) {
  const std::array defs{shape(2, W, 10 * days_ms)};
  trigger_state s(defs);
  const raw_value a[] = {1}, b[] = {2};
  BOOST_TEST(!s.observe(0, a, 0, 0));
  BOOST_TEST(s.observe(0, a, 0, 1));
  BOOST_TEST(!s.observe(0, a, 0, 2));  // 3 in the window, but cooling down
  BOOST_TEST(!s.observe(0, b, 0, 3));  // another key is not affected...
  BOOST_TEST(s.observe(0, b, 0, 4));
  BOOST_TEST(!s.observe(0, a, 0, 1 + 10 * days_ms - 1));
  BOOST_TEST(s.observe(0, a, 0, 1 + 10 * days_ms));  // cool-down over, still 2+ in the window
}

BOOST_AUTO_TEST_CASE(keys_are_separate_and_whole_tuples) {
  const std::array defs{shape(2, W, 0, 2)};
  trigger_state s(defs);
  const raw_value ab[] = {1, 2}, ba[] = {2, 1}, ac[] = {1, 3};
  BOOST_TEST(!s.observe(0, ab, 0, 0));
  BOOST_TEST(!s.observe(0, ba, 0, 1));
  BOOST_TEST(!s.observe(0, ac, 0, 2));
  BOOST_TEST(s.live_keys() == 3u);
  BOOST_TEST(s.observe(0, ab, 0, 3));
  BOOST_TEST(s.live_keys() == 3u);
}

BOOST_AUTO_TEST_CASE(triggers_are_separate) {
  const std::array defs{shape(2, W), shape(2, W)};
  trigger_state s(defs);
  const raw_value k[] = {1};
  BOOST_TEST(!s.observe(0, k, 0, 0));
  BOOST_TEST(!s.observe(1, k, 0, 1));
  BOOST_TEST(s.observe(0, k, 0, 2));
  BOOST_TEST(s.live_keys(0) == 1u);
  BOOST_TEST(s.live_keys(1) == 1u);
}

BOOST_AUTO_TEST_CASE(an_earlier_time_is_taken_as_the_latest_seen) {
  const std::array defs{shape(2, 100)};
  trigger_state s(defs);
  const raw_value k[] = {1};
  BOOST_TEST(!s.observe(0, k, 0, 50));
  BOOST_TEST(!s.observe(0, k, 0, 200));  // 50 has left
  BOOST_TEST(s.observe(0, k, 0, 10));    // taken as 200: two at 200
}

BOOST_AUTO_TEST_CASE(memory_is_bounded_by_the_live_window) {
  const std::array defs{shape(3, W, 40 * days_ms)};
  trigger_state s(defs);
  const std::size_t empty_bytes = s.memory_bytes();
  for (raw_value i = 0; i < 100000; ++i) {
    const raw_value k[] = {i};
    s.observe(0, k, 0, i);
    s.observe(0, k, 0, i);
    s.observe(0, k, 0, i);  // fires: the cool-down keeps the key 10 days past its window
  }
  BOOST_TEST(s.live_keys() == 100000u);
  const std::size_t full = s.memory_bytes();
  BOOST_TEST(full > 100000u * 7 * 8);
  BOOST_TEST(full <= 100000u * 7 * 8 * 3);  // load factor between 0.4 and 0.8, about

  s.expire(99999 + W);  // window over for all; cool-downs still running
  BOOST_TEST(s.live_keys() == 100000u);
  s.expire(99999 + 40 * days_ms - 1);  // key i cools down until i + 40d
  BOOST_TEST(s.live_keys() == 1u);
  s.expire(99999 + 40 * days_ms);
  BOOST_TEST(s.live_keys() == 0u);
  BOOST_TEST(s.memory_bytes() < full / 100);
  BOOST_TEST(s.memory_bytes() >= empty_bytes);

  // A table of expired keys sweeps itself instead of growing.
  for (raw_value i = 0; i < 1000000; ++i) {
    const raw_value k[] = {i};
    s.observe(0, k, 0, 10 * W + i * (W / 1000));  // about 1,000 keys live at a time
  }
  BOOST_TEST(s.live_keys() < 4000u);
  BOOST_TEST(s.memory_bytes() < 4096u * 7 * 8 * 4);
}

BOOST_AUTO_TEST_CASE(observe_case_reads_key_and_distinct_from_fields) {
  trigger_def d = shape(2, W, 0, 2, true);  // key fields 0, 1; distinct field 2
  const std::array defs{d};
  trigger_state s(defs);
  const raw_value c1[] = {1, 2, 100}, c2[] = {1, 2, 200}, c3[] = {1, 3, 300};
  BOOST_TEST(!s.observe_case(0, d, c1, 0));
  BOOST_TEST(!s.observe_case(0, d, c1, 1));
  BOOST_TEST(!s.observe_case(0, d, c3, 2));
  BOOST_TEST(s.observe_case(0, d, c2, 3));
}

// ---- property test: against a naive reference over random streams ----------------------------

namespace {

// Everything in the window kept, in a std::map of deques; the obvious reading of the rule.
struct reference {
  struct key_state {
    std::deque<std::pair<timestamp, raw_value>> seen;
    std::optional<timestamp> fired;
  };
  trigger_def def;
  std::map<std::vector<raw_value>, key_state> keys;

  bool observe(const std::vector<raw_value>& key, raw_value value, timestamp at) {
    key_state& k = keys[key];
    while (!k.seen.empty() && at - k.seen.front().first >= def.window) k.seen.pop_front();
    k.seen.emplace_back(at, value);
    std::size_t n = k.seen.size();
    if (def.distinct != no_id16) {
      std::set<raw_value> values;
      for (const auto& [t, v] : k.seen) values.insert(v);
      n = values.size();
    }
    const bool fire = n >= def.count && (!k.fired || at - *k.fired >= def.cooldown);
    if (fire) k.fired = at;
    return fire;
  }
  void expire(timestamp now) {
    for (auto it = keys.begin(); it != keys.end();) {
      auto& k = it->second;
      while (!k.seen.empty() && now - k.seen.front().first >= def.window) k.seen.pop_front();
      const bool cooling = k.fired && now - *k.fired < def.cooldown;
      if (k.seen.empty() && !cooling) it = keys.erase(it);
      else ++it;
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(matches_a_naive_reference_over_random_streams) {
  std::mt19937_64 rng(20260302);
  int fired = 0, total = 0;
  for (int round = 0; round < 300; ++round) {
    const std::uint32_t count = 1 + static_cast<std::uint32_t>(rng() % 5);
    const duration window = 1 + static_cast<duration>(rng() % 200);
    const duration cooldown = rng() % 3 == 0 ? 0 : static_cast<duration>(rng() % 300);
    const std::size_t arity = 1 + rng() % 3;
    const bool distinct = rng() % 2 == 0;
    const trigger_def d = shape(count, window, cooldown, arity, distinct);
    const std::array defs{d};
    trigger_state s(defs);
    reference ref{d, {}};
    const raw_value key_range = 1 + static_cast<raw_value>(rng() % 6);
    const raw_value value_range = 1 + static_cast<raw_value>(rng() % 5);
    timestamp now = static_cast<timestamp>(rng() % 1000) - 500;
    for (int i = 0; i < 2000; ++i) {
      now += static_cast<timestamp>(rng() % 4 == 0 ? rng() % 60 : rng() % 3);
      if (rng() % 50 == 0) {
        s.expire(now);
        ref.expire(now);
        BOOST_TEST_REQUIRE(s.live_keys() == ref.keys.size(), "round " << round << " step " << i);
        continue;
      }
      std::vector<raw_value> key(arity);
      for (auto& k : key) k = static_cast<raw_value>(rng() % key_range) - 2;
      const raw_value value = static_cast<raw_value>(rng() % value_range);
      const bool want = ref.observe(key, value, now);
      const bool got = s.observe(0, key, value, now);
      BOOST_TEST_REQUIRE(got == want, "round " << round << " step " << i << " count " << count
                                                << " window " << window << " cooldown " << cooldown
                                                << " distinct " << distinct);
      fired += got;
      ++total;
    }
  }
  // The streams are dense enough that both answers occur often.
  BOOST_TEST(fired > total / 10);
  BOOST_TEST(fired < total * 9 / 10);
}

// Many keys at once: growth and self-sweeping under a mixed stream.
BOOST_AUTO_TEST_CASE(matches_the_reference_with_many_keys_and_growth) {
  std::mt19937_64 rng(7);
  const trigger_def d = shape(3, 1000, 200, 2, false);
  const std::array defs{d};
  trigger_state s(defs);
  reference ref{d, {}};
  timestamp now = 0;
  for (int i = 0; i < 200000; ++i) {
    now += static_cast<timestamp>(rng() % 2);
    const std::vector<raw_value> key{static_cast<raw_value>(rng() % 3000),
                                     static_cast<raw_value>(rng() % 2)};
    BOOST_TEST_REQUIRE(s.observe(0, key, 0, now) == ref.observe(key, 0, now), "step " << i);
    if (i % 20000 == 0) {
      s.expire(now);
      ref.expire(now);
      BOOST_TEST_REQUIRE(s.live_keys() == ref.keys.size());
    }
  }
}
