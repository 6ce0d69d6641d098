// The dispatch flow hand-written in Boost.MSM (functor rows, no message queue, no exception
// handling), with the timed loops in this translation unit so that every process_event call
// is visible to the optimiser. Built as gnu++17 (Boost 1.74's MSM does not build as C++20).
#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/euml/operator.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>

#include "../common/bench_util.hpp"
#include "dispatch_bench.hpp"

namespace dispatch_bench {
namespace {

namespace msm = boost::msm;
namespace mpl = boost::mpl;
using msm::front::none;
using msm::front::Row;
using msm::front::euml::Not_;

struct assign_ev {};
struct plan_ev {};
struct dispatch_ev {};
struct complete_ev {};
struct confirm_ev {
  bool satisfied;
};
struct escalate_ev {};
struct reset_ev {};

struct flow_def : msm::front::state_machine_def<flow_def> {
  using no_message_queue = int;
  using no_exception_thrown = int;

  // The same two fields as flow.yaml's.
  std::int64_t steps = 0;
  std::int64_t escalations = 0;
  std::uint64_t refused = 0;

  struct Received : msm::front::state<> {};
  struct Assigned : msm::front::state<> {};
  struct Planned : msm::front::state<> {};
  struct Dispatched : msm::front::state<> {};
  struct Done : msm::front::state<> {};
  struct Closed : msm::front::state<> {};
  using initial_state = Received;

  struct count_step {
    template <class Evt, class Fsm, class S, class T>
    void operator()(const Evt&, Fsm& fsm, S&, T&) const {
      ++fsm.steps;
    }
  };
  struct count_escalation {
    template <class Evt, class Fsm, class S, class T>
    void operator()(const Evt&, Fsm& fsm, S&, T&) const {
      ++fsm.escalations;
    }
  };
  struct satisfied {
    template <class Evt, class Fsm, class S, class T>
    bool operator()(const Evt& e, Fsm&, S&, T&) const {
      return e.satisfied;
    }
  };

  // Rows ordered so that MSM's state ids (order of first appearance) match dispatch_bench::state.
  struct transition_table
      : mpl::vector<Row<Received, assign_ev, Assigned, count_step, none>,
                    Row<Assigned, plan_ev, Planned, count_step, none>,
                    Row<Planned, dispatch_ev, Dispatched, count_step, none>,
                    Row<Dispatched, complete_ev, Done, count_step, none>,
                    Row<Done, confirm_ev, Closed, count_step, satisfied>,
                    Row<Done, confirm_ev, Dispatched, count_step, Not_<satisfied>>,
                    Row<Closed, reset_ev, Received, count_step, none>,
                    // The `open` group's internal transition, one row per member state.
                    Row<Received, escalate_ev, none, count_escalation, none>,
                    Row<Assigned, escalate_ev, none, count_escalation, none>,
                    Row<Planned, escalate_ev, none, count_escalation, none>,
                    Row<Dispatched, escalate_ev, none, count_escalation, none>,
                    Row<Done, escalate_ev, none, count_escalation, none>> {};

  template <class Fsm, class Event>
  void no_transition(const Event&, Fsm&, int) {
    ++refused;
  }
};

using machine = msm::back::state_machine<flow_def>;

static_assert(static_cast<int>(msm::back::get_state_id<machine::stt, flow_def::Received>::value) == received);
static_assert(static_cast<int>(msm::back::get_state_id<machine::stt, flow_def::Done>::value) == done);
static_assert(static_cast<int>(msm::back::get_state_id<machine::stt, flow_def::Closed>::value) == closed);

inline void post(machine& m, std::uint8_t s) {
  switch (s) {
    case s_assign: m.process_event(assign_ev{}); break;
    case s_plan: m.process_event(plan_ev{}); break;
    case s_escalate: m.process_event(escalate_ev{}); break;
    case s_dispatch: m.process_event(dispatch_ev{}); break;
    case s_complete: m.process_event(complete_ev{}); break;
    case s_confirm_false:
    case s_confirm_true: m.process_event(confirm_ev{s == s_confirm_true}); break;
    case s_reset: m.process_event(reset_ev{}); break;
  }
}

}  // namespace

single_result run_msm_single(const std::uint8_t* steps, std::uint64_t events, int reps) {
  single_result r;
  for (int rep = 0; rep < reps; ++rep) {
    machine m;
    m.start();
    const auto t0 = crmflow_bench::bench_clock::now();
    int k = 0;
    for (std::uint64_t i = 0; i < events; ++i) {
      post(m, steps[k]);
      k = k == cycle_length - 1 ? 0 : k + 1;
    }
    const double s = crmflow_bench::seconds_since(t0);
    if (rep == 0 || s < r.seconds) r.seconds = s;
    r.state = static_cast<std::uint8_t>(m.current_state()[0]);
    r.steps = m.steps;
    r.escalations = m.escalations;
    r.refused = m.refused;
  }
  return r;
}

many_result run_msm_many(const std::uint8_t* steps, std::uint32_t cases, const std::uint8_t* pre,
                         int rounds, int reps) {
  std::vector<machine> machines(cases);
  for (std::uint32_t i = 0; i < cases; ++i) {
    machines[i].start();
    for (int k = 0; k < pre[i]; ++k) post(machines[i], steps[k]);
  }
  many_result r;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = crmflow_bench::bench_clock::now();
    for (int round = 0; round < rounds; ++round)
      for (std::uint32_t i = 0; i < cases; ++i)
        post(machines[i], steps[(pre[i] + round) % cycle_length]);
    const double s = crmflow_bench::seconds_since(t0);
    if (rep == 0 || s < r.seconds) r.seconds = s;
  }
  r.states.resize(cases);
  for (std::uint32_t i = 0; i < cases; ++i) {
    r.states[i] = static_cast<std::uint8_t>(machines[i].current_state()[0]);
    r.steps += machines[i].steps;
    r.escalations += machines[i].escalations;
    r.refused += machines[i].refused;
  }
  return r;
}

memory_result run_msm_memory(std::uint32_t cases) {
  memory_result r;
  r.machine_size = sizeof(machine);
  const std::uint64_t before = crmflow_bench::rss_bytes();
  std::vector<machine> machines(cases);
  for (auto& m : machines) m.start();
  r.rss_growth = crmflow_bench::rss_bytes() - before;
  crmflow_bench::keep(machines.data());
  return r;
}

}  // namespace dispatch_bench
