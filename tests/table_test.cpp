// Decision tables (`tables:` and the `decide` action): the row each hit policy picks, exactly;
// int and duration ranges; texts; the default; the load-time checks (gaps, overlaps, equal
// priorities and every other error, with file:line:column); and the bundled service-request
// flow of rules/service_request.yaml (domain.md sections 1 and 6): every category routed, the
// grades' limits and visits, and the dispute path through the leadership group.
#define BOOST_TEST_MODULE table
#include "test_support.hpp"

#include <crmflow/audit_trail.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace crmflow;
using crmflow_test::h;
using crmflow_test::lines;
using crmflow_test::load_ok;
using crmflow_test::m;
using crmflow_test::world;

namespace {

// A flow that decides with table `t` on `go`; the tables follow from line 24.
const char* const head = R"(flows:
  f:
    fields:
      category: {type: enum, values: [daily, repair, greening]}
      grade: {type: enum, values: [blue, silver, gold, platinum]}
      count: {type: int}
      wait: {type: duration}
      building: {type: string}
      senior: {type: bool}
      unit: {type: string}
      limit: {type: duration}
      note: {type: string}
      when: {type: timestamp}
    events: {go: , stop: }
    # go decides, stop ends the case
    initial: a
    states:
      a:
        on:
          go: {do: [{decide: t}]}
          stop: {to: z}
      z: {final: true}
tables:
)";

std::string with_table(const std::string& tables) { return std::string(head) + tables; }

diagnostic err(int line, int column, std::string message, std::string file = "t.yaml") {
  return diagnostic{severity::error, std::move(file), line, column, std::move(message)};
}

std::string show(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& x : ds) out += to_string(x) + "\n";
  return out;
}

void expect_errors(const std::string& yaml, const std::vector<diagnostic>& expected) {
  const load_result r = load_rules_from_string(yaml, "t.yaml");
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) == show(expected));
}

// Creates a case with `fields`, posts `go` and returns what the engine reported for it.
struct decider {
  world w;
  timestamp at = 0;

  explicit decider(const std::string& tables) : w(with_table(tables)) {}

  using field_values = std::vector<std::pair<std::string_view, raw_value>>;
  lines go(const field_values& fields) {
    data_record init;
    for (const auto& [name, v] : fields) init.set(w.fld(name), v);
    const case_id c = w.create("", ++at, &init);
    w.rec.take();
    BOOST_TEST(w.post(c, "go", at).accepted());
    return w.rec.take();
  }
  raw_value e(std::string_view field, std::string_view value) const {
    return *w.rules->find_enum_value(0, w.fld(field), value);
  }
};

}  // namespace

// ---- hit policies ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unique_takes_the_one_matching_row) {
  decider t(R"(  t:
    hit: unique
    inputs: [category, grade]
    outputs: [unit, limit]
    rows:
      - {when: {category: daily}, then: {unit: 工程维修部, limit: 24h}}
      - {when: {category: repair, grade: [gold, platinum]}, then: {unit: 工程经理部, limit: 12h}}
      - {when: {category: repair, grade: [blue, silver]}, then: {unit: 工程经理部, limit: 2d}}
      - {when: {category: greening, grade: any}, then: {unit: 绿化部, limit: 3d}}
)");
  BOOST_TEST(t.go({{"category", t.e("category", "daily")}, {"grade", t.e("grade", "platinum")}}) ==
             lines({"transition #0 a->a go posted internal @1", "decide #0 t row=1 unit=工程维修部 limit=86400000 @1"}));
  BOOST_TEST(t.go({{"category", t.e("category", "repair")}, {"grade", t.e("grade", "gold")}}) ==
             lines({"transition #1 a->a go posted internal @2", "decide #1 t row=2 unit=工程经理部 limit=43200000 @2"}));
  BOOST_TEST(t.go({{"category", t.e("category", "repair")}, {"grade", t.e("grade", "blue")}}) ==
             lines({"transition #2 a->a go posted internal @3", "decide #2 t row=3 unit=工程经理部 limit=172800000 @3"}));
  BOOST_TEST(t.go({{"category", t.e("category", "greening")}, {"grade", t.e("grade", "silver")}}) ==
             lines({"transition #3 a->a go posted internal @4", "decide #3 t row=4 unit=绿化部 limit=259200000 @4"}));
}

BOOST_AUTO_TEST_CASE(first_takes_the_first_matching_row_in_file_order) {
  decider t(R"(  t:
    hit: first
    inputs: [category, grade]
    outputs: [unit]
    rows:
      - {when: {grade: platinum}, then: {unit: 客户中心经理}}
      - {when: {category: repair}, then: {unit: 工程经理部}}
      - {when: {category: repair, grade: gold}, then: {unit: never}}
      - {then: {unit: 客户中心}}
)");
  auto unit = [&](const char* category, const char* grade) {
    const lines l = t.go({{"category", t.e("category", category)}, {"grade", t.e("grade", grade)}});
    return l.size() == 2 ? l[1].substr(0, l[1].find(" @")) : std::string("?");
  };
  BOOST_TEST(unit("repair", "platinum") == "decide #0 t row=1 unit=客户中心经理");
  BOOST_TEST(unit("repair", "gold") == "decide #1 t row=2 unit=工程经理部");
  BOOST_TEST(unit("daily", "gold") == "decide #2 t row=4 unit=客户中心");
}

BOOST_AUTO_TEST_CASE(priority_takes_the_highest_priority_whatever_the_order) {
  decider t(R"(  t:
    hit: priority
    inputs: [category, grade]
    outputs: [limit]
    rows:
      - {when: {category: any}, then: {limit: 3d}, priority: 0}
      - {when: {category: daily}, then: {limit: 24h}, priority: 1}
      - {when: {category: [daily, repair], grade: platinum}, then: {limit: 4h}, priority: 3}
      - {when: {grade: [gold, platinum]}, then: {limit: 12h}, priority: 2}
)");
  auto row = [&](const char* category, const char* grade) {
    const lines l = t.go({{"category", t.e("category", category)}, {"grade", t.e("grade", grade)}});
    return l.size() == 2 ? l[1].substr(l[1].find(" t ") + 3, l[1].find(" @") - l[1].find(" t ") - 3) : std::string("?");
  };
  BOOST_TEST(row("daily", "platinum") == "row=3 limit=14400000");
  BOOST_TEST(row("greening", "platinum") == "row=4 limit=43200000");
  BOOST_TEST(row("daily", "gold") == "row=4 limit=43200000");
  BOOST_TEST(row("daily", "blue") == "row=2 limit=86400000");
  BOOST_TEST(row("greening", "blue") == "row=1 limit=259200000");
  // The compiled order: highest priority first, file order among equals.
  const detail::flow_program& fl = t.w.program();
  const detail::decision_table& tb = fl.tables.at(0);
  std::vector<std::uint32_t> numbers;
  for (std::uint32_t r = 0; r < tb.rows_count; ++r) numbers.push_back(fl.table_rows[tb.rows_first + r].number);
  BOOST_TEST(numbers == (std::vector<std::uint32_t>{3, 4, 2, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(default_applies_when_no_row_matches_and_texts_compare_by_id) {
  decider t(R"(  t:
    inputs: [building, senior]
    outputs: [unit, note]
    rows:
      - {when: {building: 3号楼, senior: true}, then: {unit: A, note: 三号楼贵宾}}
      - {when: {building: [1号楼, 2号楼]}, then: {unit: B, note: ""}}
      - {when: {building: "any", senior: false}, then: {unit: C, note: 文字any}}
    default: {unit: 客户中心, note: 默认}
)");
  BOOST_TEST(t.go({{"building", t.w.str("3号楼")}, {"senior", 1}})[1] == "decide #0 t row=1 unit=A note=三号楼贵宾 @1");
  BOOST_TEST(t.go({{"building", t.w.str("2号楼")}, {"senior", 1}})[1] == "decide #1 t row=2 unit=B note= @2");
  BOOST_TEST(t.go({{"building", t.w.str("3号楼")}, {"senior", 0}})[1] == "decide #2 t row=default unit=客户中心 note=默认 @3");
  // A quoted "any" is the text any, not a wildcard.
  BOOST_TEST(t.go({{"building", t.w.str("any")}, {"senior", 0}})[1] == "decide #3 t row=3 unit=C note=文字any @4");
  BOOST_TEST(t.go({{"building", t.w.str("9号楼")}, {"senior", 0}})[1] == "decide #4 t row=default unit=客户中心 note=默认 @5");
}

BOOST_AUTO_TEST_CASE(int_and_duration_ranges) {
  decider t(R"(  t:
    hit: unique
    inputs: [count, wait]
    outputs: [unit]
    rows:
      - {when: {count: "< 0"}, then: {unit: negative}}
      - {when: {count: [0, 2..3], wait: "<= 1h"}, then: {unit: few-short}}
      - {when: {count: [0, 2..3], wait: "> 1h"}, then: {unit: few-long}}
      - {when: {count: 1}, then: {unit: one}}
      - {when: {count: 4..9}, then: {unit: several}}
      - {when: {count: ">= 10"}, then: {unit: many}}
)");
  auto unit = [&](raw_value count, duration wait) {
    const lines l = t.go({{"count", count}, {"wait", wait}});
    const std::string& x = l.at(1);
    return x.substr(x.find(" t ") + 3, x.find(" @") - x.find(" t ") - 3);
  };
  BOOST_TEST(unit(-1, 0) == "row=1 unit=negative");
  BOOST_TEST(unit(std::numeric_limits<raw_value>::min(), 0) == "row=1 unit=negative");
  BOOST_TEST(unit(0, h) == "row=2 unit=few-short");
  BOOST_TEST(unit(0, h + 1) == "row=3 unit=few-long");
  BOOST_TEST(unit(1, 5 * h) == "row=4 unit=one");
  BOOST_TEST(unit(2, -h) == "row=2 unit=few-short");
  BOOST_TEST(unit(3, 2 * h) == "row=3 unit=few-long");
  BOOST_TEST(unit(4, 0) == "row=5 unit=several");
  BOOST_TEST(unit(9, 0) == "row=5 unit=several");
  BOOST_TEST(unit(10, 0) == "row=6 unit=many");
  BOOST_TEST(unit(std::numeric_limits<raw_value>::max(), 0) == "row=6 unit=many");
}

BOOST_AUTO_TEST_CASE(decide_without_observer_or_history_sets_the_same_fields) {
  // The quiet path (no observer, no history) runs a plain transition inline; decide goes
  // through run_action there too.
  const auto rules = load_ok(with_table(R"(  t:
    inputs: [category]
    outputs: [unit, limit]
    rows:
      - {when: {category: [daily, greening]}, then: {unit: 物业, limit: 1h}}
      - {when: {category: repair}, then: {unit: 工程, limit: 2h}}
)"));
  engine_options o;
  o.keep_history = false;
  engine e(rules, o);
  data_record init;
  init.set(*rules->find_field(0, "category"), *rules->find_enum_value(0, *rules->find_field(0, "category"), "repair"));
  const case_id c = e.create_case(0, "", 0, &init).id;
  BOOST_TEST(e.post(c, *rules->find_event(0, "go"), {}, 0).accepted());
  BOOST_TEST(e.field_text(c, *rules->find_field(0, "unit")) == "工程");
  BOOST_TEST(e.field(c, *rules->find_field(0, "limit")) == 2 * h);
}

BOOST_AUTO_TEST_CASE(audit_trail_names_the_table_the_row_and_what_it_set) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto logger = std::make_shared<spdlog::logger>("audit", sink);
  logger->set_pattern("%v");
  engine_options o;
  o.audit_log = logger;
  const auto rules = load_ok(with_table(R"(  t:
    inputs: [category]
    outputs: [unit, limit]
    rows:
      - {when: {category: repair}, then: {unit: 工程维修部, limit: 2h}}
    default: {unit: 客户中心, limit: 1d}
)"));
  engine e(rules, o);
  const field_id category = *rules->find_field(0, "category");
  data_record init;
  init.set(category, *rules->find_enum_value(0, category, "repair"));
  const case_id c1 = e.create_case(0, "C-1", 0, &init).id;
  const case_id c2 = e.create_case(0, "C-2", 0).id;
  e.post(c1, *rules->find_event(0, "go"), {}, 0);
  e.post(c2, *rules->find_event(0, "go"), {}, 0);
  BOOST_TEST(out.str() ==
             "1970-01-01T08:00:00+08:00 case=C-1 flow=f created state=a\n"
             "1970-01-01T08:00:00+08:00 case=C-2 flow=f created state=a\n"
             "1970-01-01T08:00:00+08:00 case=C-1 event=go (posted) a -> a (internal)\n"
             "1970-01-01T08:00:00+08:00 case=C-1 decide t row 1: unit=工程维修部, limit=2h\n"
             "1970-01-01T08:00:00+08:00 case=C-2 event=go (posted) a -> a (internal)\n"
             "1970-01-01T08:00:00+08:00 case=C-2 decide t default: unit=客户中心, limit=1d\n");
}

BOOST_AUTO_TEST_CASE(audit_trail_records_hold_the_decision) {
  const auto rules = load_ok(with_table(R"(  t:
    inputs: [category]
    outputs: [unit, limit]
    rows:
      - {when: {category: repair}, then: {unit: 工程维修部, limit: 2h}}
    default: {unit: 客户中心, limit: 1d}
)"));
  audit_recorder rec;
  rec.set_actor("王芳");
  rec.set_recording(true);
  engine_options o;
  o.observer = &rec;
  engine e(rules, o);
  const field_id category = *rules->find_field(0, "category");
  data_record init;
  init.set(category, *rules->find_enum_value(0, category, "repair"));
  e.post(e.create_case(0, "C-1", 0, &init).id, *rules->find_event(0, "go"), {}, 0);
  e.post(e.create_case(0, "C-2", 0).id, *rules->find_event(0, "go"), {}, 0);
  std::vector<std::string> decisions;
  for (const std::string& r : rec.records())
    if (r.find("\"type\":\"decision\"") != std::string::npos) decisions.push_back(r);
  BOOST_TEST(lines(decisions) ==
             lines({R"({"actor":"王芳","at":"1970-01-01T08:00:00+08:00","case":"C-1","flow":"f","row":1,"set":{"limit":"2h","unit":"工程维修部"},"table":"t","type":"decision"})",
                    R"({"actor":"王芳","at":"1970-01-01T08:00:00+08:00","case":"C-2","flow":"f","row":"default","set":{"limit":"1d","unit":"客户中心"},"table":"t","type":"decision"})"}));
}

// ---- load-time checks -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gap_without_default_is_refused_with_the_first_uncovered_input) {
  expect_errors(with_table(R"(  t:
    inputs: [category, grade]
    outputs: [unit]
    rows:
      - {when: {category: daily}, then: {unit: A}}
      - {when: {category: repair, grade: [silver, gold, platinum]}, then: {unit: B}}
      - {when: {category: greening}, then: {unit: C}}
)"),
                {err(24, 3, "table 't': no row matches category=repair, grade=blue and the table has "
                            "no default (add a row for it, or a 'default:')")});
  // Ranges: the hole between 3 and 10.
  expect_errors(with_table(R"(  t:
    hit: first
    inputs: [count]
    outputs: [unit]
    rows:
      - {when: {count: "<= 3"}, then: {unit: A}}
      - {when: {count: ">= 10"}, then: {unit: B}}
)"),
                {err(24, 3, "table 't': no row matches count=4 and the table has no default (add a "
                            "row for it, or a 'default:')")});
  // Texts: only `any` (or a default) covers the texts no row names.
  expect_errors(with_table(R"(  t:
    hit: first
    inputs: [building, wait]
    outputs: [unit]
    rows:
      - {when: {building: 1号楼}, then: {unit: A}}
      - {when: {wait: "< 1h"}, then: {unit: B}}
)"),
                {err(24, 3, "table 't': no row matches building=(any text no row names), wait=1h and "
                            "the table has no default (add a row for it, or a 'default:')")});
  expect_errors(with_table("  t:\n    inputs: [senior]\n    outputs: [unit]\n    rows: []\n"),
                {err(24, 3, "table 't' has no rows and no default")});
}

BOOST_AUTO_TEST_CASE(covering_tables_load) {
  // Every combination covered by rows of a few inputs each: no gap, no default needed.
  load_ok(with_table(R"(  t:
    hit: first
    inputs: [category, grade, count, senior, building]
    outputs: [unit]
    rows:
      - {when: {senior: true}, then: {unit: A}}
      - {when: {count: "< 5", building: 1号楼}, then: {unit: B}}
      - {when: {grade: [blue, silver]}, then: {unit: C}}
      - {when: {grade: [gold, platinum], count: [5..100, ">= 50"]}, then: {unit: D}}
      - {when: {count: "< 5", senior: false}, then: {unit: E}}
      - {when: {count: "> 100"}, then: {unit: F}}
)"));
}

BOOST_AUTO_TEST_CASE(unique_overlap_is_refused_with_both_rows_and_an_example) {
  expect_errors(with_table(R"(  t:
    hit: unique
    inputs: [category, grade, count]
    outputs: [unit]
    rows:
      - {when: {category: [daily, repair]}, then: {unit: A}}
      - {when: {category: greening}, then: {unit: B}}
      - {when: {category: repair, grade: gold, count: 3..5}, then: {unit: C}}
      - {when: {category: [greening, daily], count: ">= 5"}, then: {unit: D}}
)"),
                {err(31, 9, "row 3 of table 't' overlaps row 1 (line 29): both match category=repair, "
                            "grade=gold, count=3 (hit: unique allows one matching row per input; narrow "
                            "one of the rows, or use hit: first or hit: priority)"),
                 err(32, 9, "row 4 of table 't' overlaps row 1 (line 29): both match category=daily, "
                            "grade=any, count=5 (hit: unique allows one matching row per input; narrow "
                            "one of the rows, or use hit: first or hit: priority)")});
}

BOOST_AUTO_TEST_CASE(priority_needs_a_priority_on_each_row_and_no_overlapping_ties) {
  expect_errors(with_table(R"(  t:
    hit: priority
    inputs: [category, grade]
    outputs: [unit]
    rows:
      - {when: {category: any}, then: {unit: A}, priority: 1}
      - {when: {grade: gold}, then: {unit: B}, priority: 2}
      - {when: {category: daily}, then: {unit: C}, priority: 2}
      - {when: {category: repair}, then: {unit: D}}
      - {when: {category: repair}, then: {unit: E}, priority: high}
)"),
                {err(32, 9, "row 4 of table 't' is missing the key 'priority' (hit: priority: a whole "
                            "number, the highest wins)"),
                 err(33, 63, "bad priority 'high' (expected a whole number)")});
  expect_errors(with_table(R"(  t:
    hit: priority
    inputs: [category, grade]
    outputs: [unit]
    rows:
      - {when: {category: any}, then: {unit: A}, priority: 1}
      - {when: {grade: gold}, then: {unit: B}, priority: 2}
      - {when: {category: daily}, then: {unit: C}, priority: 2}
      - {when: {category: repair, grade: blue}, then: {unit: D}, priority: 1}
)"),
                {err(31, 9, "row 3 of table 't' overlaps row 2 (line 30): both match category=daily, "
                            "grade=gold, and both have priority 2 (give one of them a higher priority, "
                            "or narrow one)"),
                 err(32, 9, "row 4 of table 't' overlaps row 1 (line 29): both match category=repair, "
                            "grade=blue, and both have priority 1 (give one of them a higher priority, "
                            "or narrow one)")});
  expect_errors(with_table(R"(  t:
    inputs: [category]
    outputs: [unit]
    rows:
      - {when: {category: any}, then: {unit: A}, priority: 1}
)"),
                {err(28, 50, "row 1 of table 't' has a 'priority', but the table's hit policy is not "
                             "'priority'")});
}

BOOST_AUTO_TEST_CASE(fields_values_and_shapes_are_checked_with_positions) {
  expect_errors(with_table(R"(  t:
    hit: sometimes
    inputs: [category, grde, when]
    outputs: [unit, limit]
    rows: []
)"),
                {err(25, 10, "unknown hit policy 'sometimes' for table 't' (expected one of: unique, "
                             "first, priority)")});
  expect_errors(with_table(R"(  t:
    inputs: [category, grde, when]
    outputs: [unit, limt]
    rows: []
    default: {unit: A, limt: 1h}
)"),
                {err(25, 24, "table 't' reads field 'grde', which flow 'f' does not have (the flow "
                             "decides with this table at t.yaml:20:21)"),
                 err(25, 30, "table 't' cannot read timestamp field 'when' (a table compares with "
                             "values written in the rules; keep a duration or a flag in a field and "
                             "read that)"),
                 err(26, 21, "table 't' sets field 'limt', which flow 'f' does not have (the flow "
                             "decides with this table at t.yaml:20:21)")});
  expect_errors(with_table(R"(  t:
    inputs: [category, count, senior]
    outputs: [unit, limit]
    rows:
      - {when: {category: greenning}, then: {unit: A, limit: 1h}}
      - {when: {count: "3..1", senior: yes}, then: {unit: A, limit: soon}}
      - {when: {count: "<< 3"}, then: {unit: A, limit: 1h}}
      - {when: {category: [daily, any], count: }, then: {unit: A, limit: 1h}}
      - {when: {grade: gold, count: 1, count: 2}, then: {unit: A}}
      - {when: {category: daily}, then: {unit: A, limit: 1h, note: x}}
      - {when: {category: daily}, than: {unit: A}}
    default: {unit: A, limit: 1h}
)"),
                {err(28, 27, "bad value 'greenning' for enum input 'category' of table 't' (expected "
                             "one of: daily, repair, greening)"),
                 err(29, 24, "range '3..1' for input 'count' of table 't' is empty (its start is "
                             "after its end)"),
                 err(29, 40, "bad value 'yes' for bool input 'senior' of table 't' (expected true or "
                             "false)"),
                 err(29, 69, "bad duration 'soon' for output 'limit' of table 't' (expected a number "
                             "and a unit s, m, h or d, like 24h)"),
                 err(30, 24, "bad condition '<< 3' on count (int) for input 'count' of table 't' "
                             "(expected a value or a range, like 3, >= 3, < 10 or 1..5)"),
                 err(31, 35, "'any' cannot be part of a list (write 'any' on its own) for input "
                             "'category' of table 't'"),
                 err(31, 41, "the condition on input 'count' of table 't' must be a value, a list of "
                             "values or 'any', found nothing (write 'any' to match every value)"),
                 err(32, 17, "row 5 of table 't' tests 'grade', which is not an input of the table "
                             "(inputs: category, count, senior)"),
                 err(32, 40, "row 5 of table 't' tests 'count' twice"),
                 err(32, 57, "'then' of row 5 of table 't' leaves out output 'limit' (every row and "
                             "the default give every output)"),
                 err(33, 62, "'then' of row 6 of table 't' sets 'note', which is not an output of "
                             "table 't' (outputs: unit, limit)"),
                 err(34, 9, "row 7 of table 't' is missing the key 'then' (the outputs it gives)"),
                 err(34, 35, "unknown key 'than' in row 7 of table 't' (expected one of: when, then, "
                             "priority)")});
}

BOOST_AUTO_TEST_CASE(unknown_table_unused_table_and_duplicates) {
  const std::string flow_only = R"(flows:
  f:
    fields:
      n: {type: int}
    events: {go: , stop: }
    initial: a
    states:
      a: {on: {go: {do: [{decide: routes}]}, stop: {to: z}}}
      z: {final: true}
)";
  expect_errors(flow_only, {err(8, 26, "action 'decide' names unknown table 'routes' (no tables are "
                                       "defined: add them under 'tables:')")});
  const std::string tables = R"(tables:
  route:
    inputs: [n]
    outputs: [n]
    rows: []
    default: {n: 1}
  route2:
    inputs: []
    outputs: [n]
    rows: [{then: {n: 2}}]
)";
  const load_result r = load_rules_from_sources({{"a.yaml", flow_only}, {"b.yaml", tables}});
  BOOST_TEST(show(r.diagnostics) ==
             show({err(8, 26, "action 'decide' names unknown table 'routes' (tables: route, route2)", "a.yaml")}));
  // A file of tables only loads; a table no flow uses is a warning, not an error.
  std::string used = flow_only;
  used.replace(used.find("routes"), 6, "route");
  const load_result ok = load_rules_from_sources({{"a.yaml", used}, {"b.yaml", tables}});
  BOOST_TEST(ok.ok());
  BOOST_TEST(show(ok.diagnostics) ==
             show({diagnostic{severity::warning, "b.yaml", 7, 3,
                              "table 'route2' is not used by any flow (no action 'decide: route2'), so "
                              "its fields and values are not checked"}}));
  const load_result dup = load_rules_from_sources({{"a.yaml", used}, {"b.yaml", tables}, {"c.yaml", tables}});
  BOOST_TEST(show(dup.diagnostics) ==
             show({err(2, 3, "duplicate table 'route' (first defined in b.yaml at line 2)", "c.yaml"),
                   err(7, 3, "duplicate table 'route2' (first defined in b.yaml at line 7)", "c.yaml")}));
}

// ---- the bundled service-request flow (domain.md sections 1 and 6) --------------------------

namespace {

std::shared_ptr<const rule_set> service_rules() {
  const load_result r = load_rules({CRMFLOW_SOURCE_DIR "/rules/service_request.yaml",
                                    CRMFLOW_SOURCE_DIR "/rules/calendars.yaml"});
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  BOOST_TEST(r.diagnostics.empty(), show(r.diagnostics));
  return r.rules;
}

// 2026-03-02 09:00 +08:00, a Monday.
constexpr timestamp monday_9 = 1772413200000;

}  // namespace

BOOST_AUTO_TEST_CASE(service_request_routes_every_category) {
  world w(service_rules());
  const flow_id f = w.flow("service_request");
  auto en = [&](std::string_view field, std::string_view value) {
    return *w.rules->find_enum_value(f, w.fld(field, f), value);
  };
  // category, trade, responsibility -> unit, role, closing, leadership_first, limit (blue card)
  const std::vector<std::tuple<const char*, const char*, const char*, std::string>> routes = {
      {"daily_service", "general", "property", "物业管理处/管理处主任/reply/false/86400000"},
      {"daily_service", "maintenance", "developer", "工程维修部/维修主管/reply/false/86400000"},
      {"daily_service", "security", "property", "保安部/保安主管/reply/false/86400000"},
      {"daily_service", "cleaning", "property", "保洁部/保洁主管/reply/false/86400000"},
      {"daily_service", "greening", "construction", "绿化部/绿化主管/reply/false/86400000"},
      {"daily_service", "specialist", "property", "专业分包单位/分包项目负责人/reply/false/86400000"},
      {"house_repair", "general", "property", "工程维修部/维修主管/revisit/false/259200000"},
      {"house_repair", "security", "construction", "工程经理部/工程经理/revisit/false/259200000"},
      {"house_repair", "general", "developer", "开发商销售部/销售经理/revisit/false/259200000"},
      {"public_upkeep", "greening", "developer", "工程维修部/维修主管/reply/false/86400000"},
      {"public_rectification", "general", "property", "工程经理部/工程经理/acceptance/false/1296000000"},
      {"public_rectification", "general", "construction", "工程经理部/工程经理/acceptance/false/1296000000"},
      {"public_rectification", "general", "developer", "开发商工程部/开发商项目经理/acceptance/false/1296000000"},
      {"opinion", "general", "property", "客户中心/客服主管/reply/false/86400000"},
      {"design_rectification", "general", "property", "设计单位/设计负责人/revisit/true/2592000000"},
  };
  timestamp at = monday_9;
  for (const auto& [category, trade, responsibility, expected] : routes) {
    data_record init;
    init.set(w.fld("category", f), en("category", category));
    init.set(w.fld("trade", f), en("trade", trade));
    init.set(w.fld("responsibility", f), en("responsibility", responsibility));
    const case_id c = w.create("", at += m, &init, f);
    const std::string got = w.field(c, "unit") + "/" + w.field(c, "role") + "/" + w.field(c, "closing") +
                            "/" + w.field(c, "leadership_first") + "/" + std::to_string(w.raw(c, "limit"));
    BOOST_TEST(got == expected, category << " " << trade << " " << responsibility);
  }
}

BOOST_AUTO_TEST_CASE(service_request_grades_shorten_limits_and_send_seniors) {
  world w(service_rules());
  const flow_id f = w.flow("service_request");
  auto en = [&](std::string_view field, std::string_view value) {
    return *w.rules->find_enum_value(f, w.fld(field, f), value);
  };
  auto limit = [&](const char* category, const char* grade) {
    data_record init;
    init.set(w.fld("category", f), en("category", category));
    init.set(w.fld("grade", f), en("grade", grade));
    const case_id c = w.create("", monday_9, &init, f);
    return format_duration(w.raw(c, "limit")) + " " + w.field(c, "senior_visit") + " " + w.field(c, "visit_by");
  };
  BOOST_TEST(limit("daily_service", "blue") == "1d false 客服专员");
  BOOST_TEST(limit("daily_service", "silver") == "1d false 客服专员");
  BOOST_TEST(limit("daily_service", "gold") == "12h true 客服主管");
  BOOST_TEST(limit("daily_service", "platinum") == "8h true 客户中心经理");
  BOOST_TEST(limit("opinion", "gold") == "12h true 客服主管");
  BOOST_TEST(limit("public_upkeep", "platinum") == "8h true 客户中心经理");
  BOOST_TEST(limit("house_repair", "silver") == "3d false 客服专员");
  BOOST_TEST(limit("house_repair", "gold") == "2d true 客服主管");
  BOOST_TEST(limit("house_repair", "platinum") == "1d true 客户中心经理");
  // Work for every owner does not go faster for one customer.
  BOOST_TEST(limit("public_rectification", "platinum") == "15d true 客户中心经理");
  BOOST_TEST(limit("design_rectification", "platinum") == "30d true 客户中心经理");
}

BOOST_AUTO_TEST_CASE(service_request_dispute_goes_to_the_leadership_group_then_redispatch) {
  world w(service_rules());
  const flow_id f = w.flow("service_request");
  w.rec.origin = monday_9;
  data_record init;
  init.set(w.fld("category", f), *w.rules->find_enum_value(f, w.fld("category", f), "public_upkeep"));
  init.set(w.fld("grade", f), *w.rules->find_enum_value(f, w.fld("grade", f), "gold"));
  init.set(w.fld("building", f), w.str("1号楼"));
  init.set(w.fld("room", f), w.str("大堂"));
  init.set(w.fld("customer", f), w.str("陈女士"));
  init.set(w.fld("description", f), w.str("树枝折断"));
  const case_id c = w.create("S-4", monday_9, &init, f);
  BOOST_TEST(w.post(c, "dispatch", monday_9 + 5 * m).accepted());
  BOOST_TEST(w.post(c, "dispute", monday_9 + 10 * m, w.data("dispute", {{"reason", w.str("属绿化范围")}}, f)).accepted());
  // The unit's limit stopped with the dispute; the leadership group has 3 working days.
  BOOST_TEST(w.deadlines(c) == lines({"ruling_3wd@" + std::to_string(monday_9 + 3 * 24 * h + 10 * m)}));
  BOOST_TEST(w.post(c, "ruling", monday_9 + h,
                    w.data("ruling", {{"decision", w.str("由绿化部处理")}, {"unit", w.str("绿化部")},
                                      {"role", w.str("绿化主管")}}, f))
                 .accepted());
  BOOST_TEST(w.post(c, "dispatch", monday_9 + h + 10 * m).accepted());
  BOOST_TEST(w.post(c, "report_done", monday_9 + 4 * h, w.data("report_done", {{"result", w.str("已修剪")}}, f)).accepted());
  BOOST_TEST(w.post(c, "reply", monday_9 + 5 * h).accepted());
  BOOST_TEST(w.rec.take() ==
             lines({
                 "created S-4 received @R+0s",
                 "set S-4 received_at=1772413200000 @R+0s",
                 "decide S-4 service_route row=10 unit=工程维修部 role=维修主管 closing=reply leadership_first=0 @R+0s",
                 "decide S-4 service_limit row=8 limit=43200000 @R+0s",
                 "decide S-4 grade_service row=2 senior_visit=1 visit_by=客服主管 @R+0s",
                 "transition S-4 received->dispatched dispatch posted @R+5m",
                 "set S-4 dispatched_at=1772413500000 @R+5m",
                 "notify S-4 工程维修部: 服务请求 S-4 派维修主管：1号楼大堂 陈女士：树枝折断。请在 12h 内完成并回报结果 @R+5m",
                 "transition S-4 dispatched->leadership dispute posted @R+10m",
                 "set S-4 disputes=1 @R+10m",
                 "set S-4 disputed_by=工程维修部 @R+10m",
                 "set S-4 dispute_reason=属绿化范围 @R+10m",
                 "notify S-4 leadership_group: 服务请求 S-4：工程维修部 对派单有异议（属绿化范围），请领导小组决定 @R+10m",
                 "transition S-4 leadership->ready ruling posted @R+1h",
                 "set S-4 ruling=由绿化部处理 @R+1h",
                 "set S-4 unit=绿化部 @R+1h",
                 "set S-4 role=绿化主管 @R+1h",
                 "notify S-4 customer_centre: 领导小组决定（S-4）：由绿化部处理。请重新派单至 绿化部 @R+1h",
                 "transition S-4 ready->dispatched dispatch posted @R+1h10m",
                 "set S-4 dispatched_at=1772417400000 @R+1h10m",
                 "notify S-4 绿化部: 服务请求 S-4 派绿化主管：1号楼大堂 陈女士：树枝折断。请在 12h 内完成并回报结果 @R+1h10m",
                 "transition S-4 dispatched->replying report_done posted @R+4h",
                 "set S-4 result=已修剪 @R+4h",
                 "set S-4 done_at=1772427600000 @R+4h",
                 "set S-4 on_time=1 @R+4h",
                 "transition S-4 replying->closed reply posted @R+5h",
                 "set S-4 closed_at=1772431200000 @R+5h",
             }));
  BOOST_TEST(w.state(c) == "closed");
}
