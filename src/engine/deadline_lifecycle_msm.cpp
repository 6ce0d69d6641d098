// Compiled as C++17 (see CMakeLists.txt): Boost 1.74's MSM back end does not build as C++20.
#include <cstdint>
#include <deque>
#include <vector>

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

}  // namespace

struct deadline_lifecycles::impl {
  std::deque<deadline_machine> machines;  // a deque: machines are not relocatable
  std::vector<std::uint32_t> free;
};

deadline_lifecycles::deadline_lifecycles() : impl_(std::make_unique<impl>()) {}
deadline_lifecycles::~deadline_lifecycles() = default;
deadline_lifecycles::deadline_lifecycles(deadline_lifecycles&&) noexcept = default;
deadline_lifecycles& deadline_lifecycles::operator=(deadline_lifecycles&&) noexcept = default;

std::uint32_t deadline_lifecycles::acquire() {
  if (!impl_->free.empty()) {
    const std::uint32_t h = impl_->free.back();
    impl_->free.pop_back();
    return h;
  }
  impl_->machines.emplace_back();
  impl_->machines.back().start();
  return static_cast<std::uint32_t>(impl_->machines.size() - 1);
}

bool deadline_lifecycles::arm(std::uint32_t h) noexcept {
  return impl_->machines[h].process_event(arm_event{}) == msm::back::HANDLED_TRUE;
}

bool deadline_lifecycles::cancel(std::uint32_t h) noexcept {
  if (impl_->machines[h].process_event(cancel_event{}) != msm::back::HANDLED_TRUE) return false;
  impl_->free.push_back(h);
  return true;
}

bool deadline_lifecycles::fire(std::uint32_t h) noexcept {
  if (impl_->machines[h].process_event(fire_event{}) != msm::back::HANDLED_TRUE) return false;
  impl_->free.push_back(h);
  return true;
}

deadline_phase deadline_lifecycles::phase(std::uint32_t h) const noexcept {
  switch (impl_->machines[h].current_state()[0]) {
    case armed_id: return deadline_phase::armed;
    case fired_id: return deadline_phase::fired;
    case cancelled_id: return deadline_phase::cancelled;
    case idle_id:
    default: return deadline_phase::idle;
  }
}

std::size_t deadline_lifecycles::capacity() const noexcept { return impl_->machines.size(); }

}  // namespace crmflow::detail
