// Dispatch benchmark: one small flow (flow.yaml) run by crmflow, by a hand-written Boost.MSM
// machine (dispatch_msm.cpp) and by a plain switch, on the same workload, in one run.
//   (a) one case, 10,000,000 events of a 9-event cycle;
//   (b) 1,000,000 live cases, case i pre-advanced by hash(i) % 9 events, then 9 round-robin
//       rounds over all cases;
//   (c) bytes per live case: RSS growth over creating the cases, divided by their number;
//   (d) when built with Qt 6 SCXML (dispatch_qt.cpp): flow.scxml loaded at run time, (a) and
//       (b) on fewer events and instances (the event loop is pumped per event), memory per
//       instance; otherwise one line saying it is skipped.
// Prints ns/event and the ratios crmflow/MSM and Qt/crmflow; exits 1 if the implementations
// disagree on final states or counters, 2 if the rules (or flow.scxml) do not load. `--quick`
// runs a small version for CI.
#include <malloc.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <crmflow/crmflow.hpp>

#include "../common/bench_util.hpp"
#include "dispatch_bench.hpp"
#if CRMFLOW_BENCH_QT
#include "dispatch_qt.hpp"
#endif

namespace {

using namespace dispatch_bench;
using crmflow_bench::bench_clock;
using crmflow_bench::seconds_since;

constexpr crmflow::timestamp bench_time = 1'772'000'000'000;  // 2026-02-25, any fixed instant
constexpr int reps = 3;
// (a) runs the three engines in turn, each twice per round (the first run of a round warms its
// branch predictors again after the others), and keeps each one's best: a busy spell of the
// shared machine then slows the three alike instead of one of them.
constexpr int rounds_a = 3;

using crmflow_bench::check;

// ---- plain switch baseline ---------------------------------------------------------------------

struct switch_case {
  std::uint8_t state = received;
  std::int64_t steps = 0;
  std::int64_t escalations = 0;
};

// Returns false when the event is refused. The same guards and actions as flow.yaml.
inline bool switch_post(switch_case& c, std::uint8_t s) {
  switch (c.state) {
    case received:
      if (s == s_assign) { c.state = assigned; ++c.steps; return true; }
      break;
    case assigned:
      if (s == s_plan) { c.state = planned; ++c.steps; return true; }
      break;
    case planned:
      if (s == s_dispatch) { c.state = dispatched; ++c.steps; return true; }
      break;
    case dispatched:
      if (s == s_complete) { c.state = done; ++c.steps; return true; }
      break;
    case done:
      if (s == s_confirm_true) { c.state = closed; ++c.steps; return true; }
      if (s == s_confirm_false) { c.state = dispatched; ++c.steps; return true; }
      break;
    case closed:
      if (s == s_reset) { c.state = received; ++c.steps; return true; }
      return false;  // escalate is not accepted once closed
  }
  if (s == s_escalate) { ++c.escalations; return true; }
  return false;
}

single_result run_switch_single(const std::uint8_t* steps, std::uint64_t events, int reps) {
  single_result r;
  for (int rep = 0; rep < reps; ++rep) {
    switch_case c;
    std::uint64_t refused = 0;
    const auto t0 = bench_clock::now();
    int k = 0;
    for (std::uint64_t i = 0; i < events; ++i) {
      refused += !switch_post(c, steps[k]);
      k = k == cycle_length - 1 ? 0 : k + 1;
    }
    const double s = seconds_since(t0);
    if (rep == 0 || s < r.seconds) r.seconds = s;
    r = {r.seconds, c.state, c.steps, c.escalations, refused};
  }
  return r;
}

many_result run_switch_many(const std::uint8_t* steps, std::uint32_t cases, const std::uint8_t* pre,
                            int rounds, std::uint64_t& rss_growth) {
  const std::uint64_t before = crmflow_bench::rss_bytes();
  std::vector<switch_case> all(cases);
  rss_growth = crmflow_bench::rss_bytes() - before;
  std::uint64_t refused = 0;
  for (std::uint32_t i = 0; i < cases; ++i)
    for (int k = 0; k < pre[i]; ++k) refused += !switch_post(all[i], steps[k]);
  many_result r;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = bench_clock::now();
    for (int round = 0; round < rounds; ++round)
      for (std::uint32_t i = 0; i < cases; ++i)
        refused += !switch_post(all[i], steps[(pre[i] + round) % cycle_length]);
    const double s = seconds_since(t0);
    if (rep == 0 || s < r.seconds) r.seconds = s;
  }
  r.refused = refused;
  r.states.resize(cases);
  for (std::uint32_t i = 0; i < cases; ++i) {
    r.states[i] = all[i].state;
    r.steps += all[i].steps;
    r.escalations += all[i].escalations;
  }
  return r;
}

// ---- crmflow ------------------------------------------------------------------------------------

struct crm_flow {
  std::shared_ptr<const crmflow::rule_set> rules;
  crmflow::flow_id flow = 0;
  crmflow::event_id event_of[8] = {};             // by step
  const crmflow::data_record* data_of[8] = {};     // by step
  crmflow::data_record none, confirm_false, confirm_true;
  crmflow::field_id steps_field = 0, escalations_field = 0;
  std::uint8_t bench_state[64] = {};  // crmflow state id -> dispatch_bench::state
};

template <class T>
T need(const std::optional<T>& v, const char* what) {
  if (!v) {
    std::fprintf(stderr, "bench_dispatch: flow.yaml has no %s\n", what);
    std::exit(2);
  }
  return *v;
}

void load_flow(crm_flow& cf) {
  const crmflow::load_result loaded = crmflow::load_rules({CRMFLOW_BENCH_DIR "/flow.yaml"});
  for (const crmflow::diagnostic& d : loaded.diagnostics)
    std::fprintf(stderr, "%s\n", crmflow::to_string(d).c_str());
  if (!loaded.ok()) std::exit(2);
  cf.rules = loaded.rules;
  const crmflow::rule_set& rs = *cf.rules;
  cf.flow = need(rs.find_flow("dispatch"), "flow 'dispatch'");
  const char* event_names[8] = {"assign", "plan", "escalate", "dispatch", "complete", "confirm", "confirm", "reset"};
  for (int s = 0; s < 8; ++s) {
    cf.event_of[s] = need(rs.find_event(cf.flow, event_names[s]), event_names[s]);
    cf.data_of[s] = &cf.none;
  }
  const crmflow::slot_id satisfied = need(rs.find_slot(cf.flow, cf.event_of[s_confirm_true], "satisfied"), "confirm.satisfied");
  cf.confirm_false.set(satisfied, 0);
  cf.confirm_true.set(satisfied, 1);
  cf.data_of[s_confirm_false] = &cf.confirm_false;
  cf.data_of[s_confirm_true] = &cf.confirm_true;
  cf.steps_field = need(rs.find_field(cf.flow, "steps"), "field 'steps'");
  cf.escalations_field = need(rs.find_field(cf.flow, "escalations"), "field 'escalations'");
  for (int s = 0; s < state_count; ++s)
    cf.bench_state[need(rs.find_state(cf.flow, state_names[s]), state_names[s])] = static_cast<std::uint8_t>(s);
}

crmflow::engine_options bench_options() {
  crmflow::engine_options o;
  o.keep_history = false;  // no observer, no audit log: the default
  return o;
}

// Not inlined into main, so that callgrind can count them alone (bench/README.md:
// `--toggle-collect=*run_crmflow_single*`); post() is inlined inside them either way.
[[gnu::noinline]] single_result run_crmflow_single(const crm_flow& cf, const std::uint8_t* steps, std::uint64_t events,
                                                  int reps) {
  single_result r;
  for (int rep = 0; rep < reps; ++rep) {
    crmflow::engine eng(cf.rules, bench_options());
    const crmflow::case_id c = eng.create_case(cf.flow, "", bench_time).id;
    std::uint64_t refused = 0;
    const auto t0 = bench_clock::now();
    int k = 0;
    for (std::uint64_t i = 0; i < events; ++i) {
      const std::uint8_t s = steps[k];
      refused += !eng.post(c, cf.event_of[s], *cf.data_of[s], bench_time).accepted();
      k = k == cycle_length - 1 ? 0 : k + 1;
    }
    const double sec = seconds_since(t0);
    if (rep == 0 || sec < r.seconds) r.seconds = sec;
    r = {r.seconds, cf.bench_state[eng.state(c)], eng.field(c, cf.steps_field),
         eng.field(c, cf.escalations_field), refused};
  }
  return r;
}

[[gnu::noinline]] many_result run_crmflow_many(const crm_flow& cf, const std::uint8_t* steps, std::uint32_t cases,
                             const std::uint8_t* pre, int rounds, std::uint64_t& rss_growth) {
  crmflow::engine eng(cf.rules, bench_options());
  const std::uint64_t before = crmflow_bench::rss_bytes();
  for (std::uint32_t i = 0; i < cases; ++i) eng.create_case(cf.flow, "", bench_time);
  rss_growth = crmflow_bench::rss_bytes() - before;
  std::uint64_t refused = 0;
  for (std::uint32_t i = 0; i < cases; ++i)
    for (int k = 0; k < pre[i]; ++k)
      refused += !eng.post(i, cf.event_of[steps[k]], *cf.data_of[steps[k]], bench_time).accepted();
  many_result r;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = bench_clock::now();
    for (int round = 0; round < rounds; ++round)
      for (std::uint32_t i = 0; i < cases; ++i) {
        const std::uint8_t s = steps[(pre[i] + round) % cycle_length];
        refused += !eng.post(i, cf.event_of[s], *cf.data_of[s], bench_time).accepted();
      }
    const double sec = seconds_since(t0);
    if (rep == 0 || sec < r.seconds) r.seconds = sec;
  }
  r.refused = refused;
  r.states.resize(cases);
  for (std::uint32_t i = 0; i < cases; ++i) {
    r.states[i] = cf.bench_state[eng.state(i)];
    r.steps += eng.field(i, cf.steps_field);
    r.escalations += eng.field(i, cf.escalations_field);
  }
  return r;
}

// ---- checks and output ---------------------------------------------------------------------------

void check_single(const char* name, const single_result& got, const single_result& want, std::uint64_t events) {
  const std::string n = name;
  check(got.refused == 0, n + " (a): refused events");
  check(got.state == want.state, n + " (a): final state differs from the switch baseline");
  check(got.steps == want.steps && got.escalations == want.escalations, n + " (a): counters differ");
  check(static_cast<std::uint64_t>(got.steps + got.escalations) == events, n + " (a): steps + escalations != events");
}

void check_many(const char* name, const many_result& got, const many_result& want) {
  const std::string n = name;
  check(got.refused == 0, n + " (b): refused events");
  check(got.states == want.states, n + " (b): per-case final states differ from the switch baseline");
  check(got.steps == want.steps && got.escalations == want.escalations, n + " (b): counters differ");
}

void print_counts(const char* name, const many_result& r) {
  std::size_t count[state_count] = {};
  for (std::uint8_t s : r.states) ++count[s];
  std::printf("    %-8s", name);
  for (int s = 0; s < state_count; ++s) std::printf(" %s=%zu", state_names[s], count[s]);
  std::printf(" escalations=%lld\n", static_cast<long long>(r.escalations));
}

}  // namespace

int main(int argc, char** argv) {
  // A fixed mmap threshold: glibc otherwise raises it as big blocks are freed, and then freed
  // vector buffers stay in the heap and distort the RSS figures.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  const bool quick = crmflow_bench::has_flag(argc, argv, "--quick");
  const std::uint64_t events = quick ? 1'000'000 : 10'000'000;
  const std::uint32_t cases = quick ? 100'000 : 1'000'000;
  const int rounds = 9;

  crm_flow cf;
  load_flow(cf);

  // The cycle as a runtime array, so no implementation can specialise its loop on it.
  std::vector<std::uint8_t> steps(cycle, cycle + cycle_length);
  std::vector<std::uint8_t> pre(cases);
  for (std::uint32_t i = 0; i < cases; ++i) pre[i] = static_cast<std::uint8_t>(crmflow_bench::mix(i) % cycle_length);

  std::printf("crmflow dispatch benchmark (%s): bench/dispatch/flow.yaml, keep_history=false, no observer, "
              "best of %d in (a) (the engines in turn), of %d in (b)\n", quick ? "quick" : "full", 2 * rounds_a, reps);

  // (a)
  single_result sw_a, msm_a, crm_a;
  const auto keep_best = [](single_result& best, const single_result& r, int round) {
    if (round == 0 || r.seconds < best.seconds) best = r;
  };
  for (int round = 0; round < rounds_a; ++round) {
    keep_best(sw_a, run_switch_single(steps.data(), events, 2), round);
    keep_best(msm_a, run_msm_single(steps.data(), events, 2), round);
    keep_best(crm_a, run_crmflow_single(cf, steps.data(), events, 2), round);
  }
  check_single("switch", sw_a, sw_a, events);
  check_single("msm", msm_a, sw_a, events);
  check_single("crmflow", crm_a, sw_a, events);
  const auto ns = [](double sec, double n) { return sec * 1e9 / n; };
  const double a_sw = ns(sw_a.seconds, events), a_msm = ns(msm_a.seconds, events), a_crm = ns(crm_a.seconds, events);
  std::printf("(a) one case, %llu events\n", static_cast<unsigned long long>(events));
  std::printf("    switch   %7.2f ns/event\n    msm      %7.2f ns/event\n    crmflow  %7.2f ns/event\n",
              a_sw, a_msm, a_crm);
  std::printf("    ratio crmflow/msm = %.2f (target <= 2.0), crmflow/switch = %.2f\n", a_crm / a_msm, a_crm / a_sw);

  // (c) first in each engine's run below, before (b) reuses the cases: RSS growth over creation.
  const memory_result msm_mem = run_msm_memory(cases);
  std::uint64_t sw_rss = 0, crm_rss = 0;
  const many_result sw_b = run_switch_many(steps.data(), cases, pre.data(), rounds, sw_rss);
  const many_result msm_b = run_msm_many(steps.data(), cases, pre.data(), rounds, reps);
  const many_result crm_b = run_crmflow_many(cf, steps.data(), cases, pre.data(), rounds, crm_rss);
  check_many("switch", sw_b, sw_b);
  check_many("msm", msm_b, sw_b);
  check_many("crmflow", crm_b, sw_b);
  const double n_b = static_cast<double>(cases) * rounds;
  const double b_sw = ns(sw_b.seconds, n_b), b_msm = ns(msm_b.seconds, n_b), b_crm = ns(crm_b.seconds, n_b);
  std::printf("(b) %u live cases, pre-advanced by hash(i) %% 9, %d round-robin rounds (%.0f events)\n", cases,
              rounds, n_b);
  std::printf("    switch   %7.2f ns/event\n    msm      %7.2f ns/event\n    crmflow  %7.2f ns/event\n",
              b_sw, b_msm, b_crm);
  std::printf("    ratio crmflow/msm = %.2f (target <= 2.0), crmflow/switch = %.2f\n", b_crm / b_msm, b_crm / b_sw);
  std::printf("    final states (all three agree case by case):\n");
  print_counts("crmflow", crm_b);
  print_counts("msm", msm_b);

  // crmflow's per-case storage, from the engine's private layout (engine.hpp): a case_record
  // {flow u16, state u16, version u16, events u16, fields u32, timers u32, history u32, clocks u32,
  // row pointer} = 32 bytes, one raw_value (8 bytes) per field, one u32 deadline handle per timer (this flow
  // has no SLA clocks). Names are kept only for named cases (these are anonymous).
  const crmflow::detail::flow_program& fp = cf.rules->flow(cf.flow);
  const std::size_t fields = fp.fields.size(), timers = fp.timers.size();
  const std::size_t estimate = 32 + 8 * fields + 4 * timers;
  const auto per = [&](std::uint64_t bytes) { return static_cast<double>(bytes) / cases; };
  std::printf("(c) bytes per live case (RSS growth over creating %u cases / %u)\n", cases, cases);
  std::printf("    switch   %7.1f  (sizeof %zu)\n", per(sw_rss), sizeof(switch_case));
  std::printf("    msm      %7.1f  (sizeof machine %zu)\n", per(msm_mem.rss_growth), msm_mem.machine_size);
  std::printf("    crmflow  %7.1f  (estimate %zu = case_record 32 + %zu fields x 8 + %zu timers x 4; "
              "anonymous: no name)\n",
              per(crm_rss), estimate, fields, timers);
  std::printf("    target: <= 64 + field values = %zu bytes\n", 64 + 8 * fields);

  // (d) Qt 6 SCXML.
#if CRMFLOW_BENCH_QT
  {
    const std::uint64_t qt_events = quick ? 20'000 : 200'000;
    const std::uint32_t qt_instances = quick ? 1'000 : 10'000;
    const qt_result qt = run_qt(CRMFLOW_BENCH_DIR "/flow.scxml", steps.data(), qt_events, qt_instances,
                                pre.data(), rounds, reps);
    if (!qt.error.empty()) {
      std::fprintf(stderr, "bench_dispatch: bench/dispatch/flow.scxml: %s\n", qt.error.c_str());
      return 2;
    }
    // Expected results from the switch on the same sizes; crmflow on the same instances.
    const single_result sw_qa = run_switch_single(steps.data(), qt_events, 1);
    std::uint64_t unused = 0;
    const many_result sw_qb = run_switch_many(steps.data(), qt_instances, pre.data(), rounds, unused);
    const many_result crm_qb = run_crmflow_many(cf, steps.data(), qt_instances, pre.data(), rounds, unused);
    check_single("qt", qt.single, sw_qa, qt_events);
    check_many("qt", qt.many, sw_qb);
    check_many("crmflow", crm_qb, sw_qb);
    const double n_qb = static_cast<double>(qt_instances) * rounds;
    const double qa = ns(qt.single.seconds, static_cast<double>(qt_events)), qb = ns(qt.many.seconds, n_qb);
    const double crm_qb_ns = ns(crm_qb.seconds, n_qb);
    std::printf("(d) Qt %s SCXML: bench/dispatch/flow.scxml via QScxmlStateMachine::fromFile, null data model, "
                "actions counted through connectToEvent, QCoreApplication::processEvents() after every event\n",
                qt.qt_version.c_str());
    std::printf("    one instance, %llu events:\n", static_cast<unsigned long long>(qt_events));
    std::printf("    qt       %7.0f ns/event\n", qa);
    std::printf("    ratio qt/crmflow = %.0f against (a) (target >= 100)\n", qa / a_crm);
    std::printf("    %u instances, pre-advanced by hash(i) %% 9, %d round-robin rounds (%.0f events):\n",
                qt_instances, rounds, n_qb);
    std::printf("    qt       %7.0f ns/event\n    crmflow  %7.2f ns/event (the same %u cases)\n", qb, crm_qb_ns,
                qt_instances);
    std::printf("    ratio qt/crmflow = %.0f on the same cases (target >= 100), %.0f against (b)\n", qb / crm_qb_ns,
                qb / b_crm);
    std::printf("    bytes per live instance over creating %u: RSS growth %.0f, malloc'd %.0f "
                "(fromFile + start: %.0f us each); crmflow %.1f in (c)\n",
                qt_instances, static_cast<double>(qt.rss_growth) / qt_instances,
                static_cast<double>(qt.heap_growth) / qt_instances, qt.create_seconds * 1e6 / qt_instances,
                per(crm_rss));
  }
#else
  std::printf("(d) Qt SCXML: skipped: Qt 6 SCXML was not found when this build was configured "
              "(Debian: apt-get install qt6-scxml-dev, then re-run cmake)\n");
#endif

  if (crmflow_bench::check_failures()) {
    std::printf("checks: %d FAILED\n", crmflow_bench::check_failures());
    return 1;
  }
  std::printf("checks: ok (final states, counters, no refused events)\n");
  return 0;
}
