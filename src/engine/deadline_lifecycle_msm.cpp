// Compiled as C++17 (see CMakeLists.txt): Boost 1.74's MSM back end does not build as C++20.
#include <cstdint>

#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>

#include "crmflow/detail/deadline_lifecycle.hpp"

namespace crmflow::detail {
namespace {

namespace msm = boost::msm;
namespace mpl = boost::mpl;
using msm::front::none;
using msm::front::Row;

struct arm_event {};
struct fire_event {};
struct cancel_event {};

struct deadline_def : msm::front::state_machine_def<deadline_def> {
  // The engine posts one event at a time and never throws from here: no queue, no try/catch.
  using no_message_queue = int;
  using no_exception_thrown = int;

  struct idle : msm::front::state<> {};
  struct armed : msm::front::state<> {};
  struct fired : msm::front::state<> {};
  struct cancelled : msm::front::state<> {};
  using initial_state = idle;

  struct transition_table
      : mpl::vector<Row<idle, arm_event, armed, none, none>,
                    Row<armed, arm_event, armed, none, none>,  // restart
                    Row<armed, fire_event, fired, none, none>,
                    Row<armed, cancel_event, cancelled, none, none>,
                    Row<fired, arm_event, armed, none, none>,
                    Row<cancelled, arm_event, armed, none, none>> {};

  // A fire or cancel of a deadline that is not armed is refused, not an error.
  template <class Fsm, class Event>
  void no_transition(const Event&, Fsm&, int) {}
};

using deadline_machine = msm::back::state_machine<deadline_def>;

// State ids follow the order in which states first appear in the transition table.
constexpr int idle_id = 0, armed_id = 1, fired_id = 2, cancelled_id = 3;
constexpr int state_count = 4;

}  // namespace

// One machine in each state, each reached from a started machine by the machine's own events.
// A deadline's event runs on a copy of the machine in the deadline's state; the copy is MSM's
// deep copy (m_states and all), 24 bytes.
struct deadline_lifecycles::impl {
  deadline_machine in[state_count];

  impl() {
    in[idle_id].start();
    in[armed_id] = in[idle_id];
    in[armed_id].process_event(arm_event{});
    in[fired_id] = in[armed_id];
    in[fired_id].process_event(fire_event{});
    in[cancelled_id] = in[armed_id];
    in[cancelled_id].process_event(cancel_event{});
  }

  template <class Event>
  bool run(state& s, const Event& e) const noexcept {
    if (s >= state_count) return false;
    // From a const reference: MSM's variadic constructor would take a non-const machine as an
    // argument for its states and leave the copy in the initial state.
    const deadline_machine& from = in[s];
    deadline_machine m(from);
    if (m.process_event(e) != msm::back::HANDLED_TRUE) return false;
    s = static_cast<state>(m.current_state()[0]);
    return true;
  }
};

deadline_lifecycles::deadline_lifecycles() : impl_(std::make_unique<impl>()) {
  initial_ = static_cast<state>(impl_->in[idle_id].current_state()[0]);
}
deadline_lifecycles::~deadline_lifecycles() = default;
deadline_lifecycles::deadline_lifecycles(deadline_lifecycles&&) noexcept = default;
deadline_lifecycles& deadline_lifecycles::operator=(deadline_lifecycles&&) noexcept = default;

bool deadline_lifecycles::arm(state& s) const noexcept { return impl_->run(s, arm_event{}); }
bool deadline_lifecycles::cancel(state& s) const noexcept { return impl_->run(s, cancel_event{}); }
bool deadline_lifecycles::fire(state& s) const noexcept { return impl_->run(s, fire_event{}); }

deadline_phase deadline_lifecycles::phase(state s) const noexcept {
  switch (s) {
    case armed_id: return deadline_phase::armed;
    case fired_id: return deadline_phase::fired;
    case cancelled_id: return deadline_phase::cancelled;
    case idle_id:
    default: return deadline_phase::idle;
  }
}

}  // namespace crmflow::detail
