// The instruction-count gate's workloads (issue 5, item 8): small, fixed and deterministic, so
// that callgrind counts the same instructions on every run of the same build (no clock, no
// randomness, no pointer hashing, fixed sizes). run_gate.sh runs each under
// `valgrind --tool=callgrind --toggle-collect=gate_*_workload*`, so only the workload function
// is counted (not loading the rules or the process start).
//   gate_bench dispatch   bench/dispatch/flow.yaml: 1,000 cases x 54 events round robin (6 passes
//                         of the 9-event cycle) and one case x 9,000 events: 63,000 posts
//   gate_bench triggers   "3 with the same key within 30 days" (trigger_state::observe):
//                         200,000 events over 20,000 keys over a year, swept every 30 days
// Each checks its own result (final states and counters; how many times the trigger fired,
// against a hand count) and exits 1 if it is wrong, 2 if the rules do not load.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <crmflow/crmflow.hpp>
#include <crmflow/trigger.hpp>

#include "../common/bench_util.hpp"
#include "../common/same_problem_rules.hpp"

namespace {

constexpr crmflow::timestamp gate_time = 1'772'000'000'000;

struct dispatch_flow {
  std::shared_ptr<const crmflow::rule_set> rules;
  crmflow::flow_id flow = 0;
  crmflow::event_id event_of[9] = {};
  const crmflow::data_record* data_of[9] = {};
  crmflow::data_record none, confirm_false, confirm_true;
  crmflow::field_id steps = 0, escalations = 0;
  crmflow::state_id received = 0;
};

template <class T>
T need(const std::optional<T>& v, const char* what) {
  if (!v) {
    std::fprintf(stderr, "gate_bench: no %s\n", what);
    std::exit(2);
  }
  return *v;
}

struct dispatch_totals {
  std::uint64_t refused = 0, not_received = 0;
  std::int64_t steps = 0, escalations = 0;
};

}  // namespace

// The measured functions: names matched by run_gate.sh's --toggle-collect.
__attribute__((noinline)) dispatch_totals gate_dispatch_workload(const dispatch_flow& f) {
  dispatch_totals t;
  crmflow::engine_options o;
  o.keep_history = false;
  crmflow::engine eng(f.rules, o);
  constexpr std::uint32_t cases = 1000;
  for (std::uint32_t i = 0; i < cases; ++i) eng.create_case(f.flow, "", gate_time);
  for (int r = 0; r < 54; ++r)
    for (std::uint32_t i = 0; i < cases; ++i) {
      const int s = r % 9;
      t.refused += !eng.post(i, f.event_of[s], *f.data_of[s], gate_time).accepted();
    }
  const crmflow::case_id one = eng.create_case(f.flow, "", gate_time).id;
  for (int k = 0; k < 9000; ++k) t.refused += !eng.post(one, f.event_of[k % 9], *f.data_of[k % 9], gate_time).accepted();
  for (crmflow::case_id c = 0; c < eng.case_count(); ++c) {
    t.not_received += eng.state(c) != f.received;
    t.steps += eng.field(c, f.steps);
    t.escalations += eng.field(c, f.escalations);
  }
  return t;
}

__attribute__((noinline)) std::uint64_t gate_triggers_workload(const crmflow::trigger_set& triggers) {
  constexpr std::uint64_t events = 200'000, keys = 20'000;
  constexpr crmflow::timestamp start = 1'767'196'800'000, window = 30 * crmflow::days_ms;
  constexpr crmflow::timestamp step = 365 * crmflow::days_ms / static_cast<crmflow::timestamp>(events);
  crmflow::trigger_state state(triggers.defs());
  std::uint64_t fired = 0;
  crmflow::timestamp next_sweep = start + window;
  for (std::uint64_t i = 0; i < events; ++i) {
    const crmflow::timestamp at = start + static_cast<crmflow::timestamp>(i) * step;
    if (at >= next_sweep) {
      state.expire(at);
      next_sweep += window;
    }
    const std::uint64_t k = crmflow_bench::mix(i) % keys;
    const crmflow::raw_value key[2] = {static_cast<crmflow::raw_value>(1 + k % 12), static_cast<crmflow::raw_value>(1000 + k / 12)};
    fired += state.observe(0, key, 0, at);
  }
  return fired;
}

namespace {

int run_dispatch() {
  dispatch_flow f;
  const crmflow::load_result loaded = crmflow::load_rules({CRMFLOW_SOURCE_DIR "/bench/dispatch/flow.yaml"});
  for (const crmflow::diagnostic& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", crmflow::to_string(d).c_str());
  if (!loaded.ok()) return 2;
  f.rules = loaded.rules;
  const crmflow::rule_set& rs = *f.rules;
  f.flow = need(rs.find_flow("dispatch"), "flow dispatch");
  // The 9-event cycle of bench/dispatch: assign, plan, escalate, dispatch, complete,
  // confirm(false), complete, confirm(true), reset; one pass brings a case back to received.
  const char* names[9] = {"assign", "plan", "escalate", "dispatch", "complete", "confirm", "complete", "confirm", "reset"};
  for (int s = 0; s < 9; ++s) {
    f.event_of[s] = need(rs.find_event(f.flow, names[s]), names[s]);
    f.data_of[s] = &f.none;
  }
  const crmflow::slot_id satisfied = need(rs.find_slot(f.flow, f.event_of[5], "satisfied"), "confirm.satisfied");
  f.confirm_false.set(satisfied, 0);
  f.confirm_true.set(satisfied, 1);
  f.data_of[5] = &f.confirm_false;
  f.data_of[7] = &f.confirm_true;
  f.steps = need(rs.find_field(f.flow, "steps"), "field steps");
  f.escalations = need(rs.find_field(f.flow, "escalations"), "field escalations");
  f.received = need(rs.find_state(f.flow, "received"), "state received");

  const dispatch_totals t = gate_dispatch_workload(f);
  // 1,000 cases x 6 passes + 1 case x 1,000 passes; a pass takes 8 steps and 1 escalation.
  const std::int64_t passes = 1000 * 6 + 1000;
  const bool ok = t.refused == 0 && t.not_received == 0 && t.steps == 8 * passes && t.escalations == passes;
  std::printf("gate dispatch: 63000 posts, refused %llu, steps %lld, escalations %lld: %s\n",
              static_cast<unsigned long long>(t.refused), static_cast<long long>(t.steps),
              static_cast<long long>(t.escalations), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}

// The same stream counted by hand: per key, the times in the window (no cool-down, no distinct).
std::uint64_t hand_count() {
  constexpr std::uint64_t events = 200'000, keys = 20'000;
  constexpr crmflow::timestamp start = 1'767'196'800'000, window = 30 * crmflow::days_ms;
  constexpr crmflow::timestamp step = 365 * crmflow::days_ms / static_cast<crmflow::timestamp>(events);
  std::vector<std::vector<crmflow::timestamp>> seen(keys);
  std::uint64_t fired = 0;
  for (std::uint64_t i = 0; i < events; ++i) {
    const crmflow::timestamp at = start + static_cast<crmflow::timestamp>(i) * step;
    std::vector<crmflow::timestamp>& v = seen[crmflow_bench::mix(i) % keys];
    v.push_back(at);
    std::size_t in_window = 0;
    for (crmflow::timestamp t : v) in_window += at - t < window;
    fired += in_window >= 3;
  }
  return fired;
}

int run_triggers() {
  const char* const yaml = crmflow_bench::same_problem_rules_yaml;
  const crmflow::load_result loaded = crmflow::load_rules_from_string(yaml, "gate.yaml");
  for (const crmflow::diagnostic& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", crmflow::to_string(d).c_str());
  if (!loaded.ok()) return 2;
  const std::uint64_t fired = gate_triggers_workload(loaded.rules->triggers());
  const std::uint64_t expected = hand_count();
  std::printf("gate triggers: 200000 events, fired %llu (hand count %llu): %s\n", static_cast<unsigned long long>(fired),
              static_cast<unsigned long long>(expected), fired == expected ? "ok" : "WRONG");
  return fired == expected ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "dispatch") == 0) return run_dispatch();
  if (argc == 2 && std::strcmp(argv[1], "triggers") == 0) return run_triggers();
  std::fprintf(stderr, "usage: gate_bench dispatch|triggers\n");
  return 2;
}
