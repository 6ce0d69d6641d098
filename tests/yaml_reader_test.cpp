// The YAML reader (src/loader/yaml_reader.cpp) through the loader: what anchors, aliases, `<<`,
// null values, extra documents, endless aliases and the size limits come out as, with exact
// positions. These expectations were taken from the reader built on YAML::Load and yaml-cpp's
// node tree, before it was rebuilt on yaml-cpp's parser events, and hold for both (except the
// stray ',' case: the old reader ran out of memory there). read_yaml now reads with libyaml
// first and falls back to the yaml-cpp event reader; these hold whichever path a text takes, and
// tests/yaml_parsers_test.cpp checks that the two paths agree.
#define BOOST_TEST_MODULE yaml_reader
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "crmflow/rule_set.hpp"

using namespace crmflow;

namespace {

std::string show(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += to_string(d) + "\n";
  return out;
}

// Loads `yaml` as t.yaml and returns its diagnostics, one per line.
std::string diagnostics_of(const std::string& yaml) {
  const load_result r = load_rules_from_string(yaml, "t.yaml");
  BOOST_TEST(r.ok() == r.diagnostics.empty());
  return show(r.diagnostics);
}

const std::string too_big =
    "the document is nested too deeply or too large (check anchors and aliases: '*name' must "
    "not refer to itself)";

}  // namespace

// An alias is the anchored node itself: what is wrong in it is reported at the anchor, once for
// every place that uses it; an anchored empty value used elsewhere is marked where it is used.
BOOST_AUTO_TEST_CASE(aliases_carry_the_anchors_positions) {
  const std::string yaml = R"(flows:
  f:
    fields:
      level: &levels {type: enum, values: [minor, major]}
      other: *levels
    events:
      go:
      back:
    initial: a
    states:
      a:
        on:
          go: &forward {to: b, wait: 1}
      b:
        on:
          back: *forward
      c:
        label: &nothing
        on:
          go:
            to: *nothing
)";
  BOOST_TEST(diagnostics_of(yaml) ==
             "t.yaml:13:32: error: unknown key 'wait' in the transition on 'go' (expected one of: "
             "to, if, do)\n"
             "t.yaml:13:32: error: unknown key 'wait' in the transition on 'back' (expected one "
             "of: to, if, do)\n"
             "t.yaml:21:13: error: 'to' of the transition on 'go' must be a single value, found "
             "nothing\n");
}

BOOST_AUTO_TEST_CASE(aliased_maps_and_lists_load_as_copies) {
  const load_result r = load_rules_from_string(R"(flows:
  f:
    fields:
      level: &levels {type: enum, values: [minor, major]}
      other: *levels
    events:
      go:
      back:
    initial: a
    states:
      a:
        on: &moves
          go: {to: b}
          back: {to: c}
      b:
        on: *moves
      c:
        on: *moves
)",
                                               "t.yaml");
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  BOOST_TEST(r.rules->flow_count() == 1u);
  const auto& flow = r.rules->flow(0);
  BOOST_TEST(flow.states.size() == 3u);
  BOOST_TEST_REQUIRE(flow.fields.size() == 2u);
  BOOST_TEST(flow.fields[1].name == "other");
  BOOST_TEST((flow.fields[1].type == flow.fields[0].type));
  // Every state has both moves, each written (and positioned) where `&moves` is.
  BOOST_TEST_REQUIRE(flow.transitions.size() == 6u);
  for (const auto& t : flow.transitions) {
    const bool go = flow.events[t.event].name == "go";
    BOOST_TEST(t.line == (go ? 13 : 14));
    BOOST_TEST(flow.states[t.target].name == (go ? "b" : "c"));
  }
}

// yaml-cpp 0.7 has no merge keys: `<<` is an ordinary key, and not one a state takes.
BOOST_AUTO_TEST_CASE(merge_key_is_an_ordinary_key) {
  const std::string yaml = R"(flows:
  f:
    events:
      go:
    initial: a
    states:
      a: &common
        label: 甲
      b:
        <<: *common
        on:
          go: {to: a}
)";
  BOOST_TEST(diagnostics_of(yaml) ==
             "t.yaml:10:9: error: unknown key '<<' in state 'b' (expected one of: label, final, "
             "on_entry, on_exit, timers, on)\n");
}

// A node that contains an alias to itself is refused, at the node where the expansion passed
// the depth limit (the 257th level: its parent is the 256th).
BOOST_AUTO_TEST_CASE(alias_to_its_own_node_is_refused) {
  BOOST_TEST(diagnostics_of("flows:\n  f:\n    events: &loop\n      go: [1, *loop]\n"
                            "    initial: a\n    states:\n      a:\n") ==
             "t.yaml:4:11: error: " + too_big + "\n");
  BOOST_TEST(diagnostics_of("flows:\n  f: &f [*f]\n") == "t.yaml:2:6: error: " + too_big + "\n");
}

// "Billion laughs": ten aliases of ten aliases of ... is refused once the expansion passes
// 500,000 nodes, at the node where it did.
BOOST_AUTO_TEST_CASE(exponential_aliases_are_refused) {
  std::string yaml = "flows: {}\nbomb:\n  x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i <= 6; ++i) {
    yaml += "  x" + std::to_string(i) + ": &x" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += (j ? ", *x" : "*x") + std::to_string(i - 1);
    yaml += "]\n";
  }
  BOOST_TEST(diagnostics_of(yaml) == "t.yaml:3:7: error: " + too_big + "\n");
}

BOOST_AUTO_TEST_CASE(nesting_deeper_than_256_is_refused) {
  const std::string deep = std::string(300, '[') + std::string(300, ']');
  BOOST_TEST(diagnostics_of("flows: " + deep + "\n") == "t.yaml:1:263: error: " + too_big + "\n");
  const std::string ok = std::string(200, '[') + std::string(200, ']');
  BOOST_TEST(diagnostics_of("flows: " + ok + "\n").find("nested too deeply") == std::string::npos);
}

// Every document is read before anything is reported: a syntax error in a third document
// comes before "a second document".
BOOST_AUTO_TEST_CASE(extra_documents) {
  BOOST_TEST(diagnostics_of("flows:\n  f:\n    initial: a\n---\nflows: {}\n") ==
             "t.yaml:5:1: error: a rules file holds one YAML document; found a second one "
             "(remove '---')\n");
  BOOST_TEST(diagnostics_of("flows:\n  f:\n    initial: a\n---\nflows: {}\n--- [\n") ==
             "t.yaml:7:1: error: malformed YAML: end of sequence flow not found\n");
}

BOOST_AUTO_TEST_CASE(a_file_of_comments_is_an_empty_document) {
  BOOST_TEST(diagnostics_of("# nothing here\n") ==
             "t.yaml:1:1: error: a rules file must be a map with the key 'flows', found "
             "nothing\n");
}

// yaml-cpp 0.7 reads a ',' it cannot place after a complete document as another empty
// document, without consuming it, endlessly (YAML::LoadAll ran out of memory).
BOOST_AUTO_TEST_CASE(stray_comma_after_the_document) {
  BOOST_TEST(diagnostics_of("flows: {}\n...\n,\n") ==
             "t.yaml:3:1: error: malformed YAML: unexpected ','\n");
  BOOST_TEST(diagnostics_of("{flows: {}}\n , \n") ==
             "t.yaml:2:2: error: malformed YAML: unexpected ','\n");
}
