// Compiled as C++17 (see CMakeLists.txt): Boost 1.74's MSM back end does not build as C++20.
#include <cstdint>
#include <deque>

#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>

#include "crmflow/detail/clock_lifecycle.hpp"

namespace crmflow::detail {
namespace {

namespace msm = boost::msm;
namespace mpl = boost::mpl;
using msm::front::none;
using msm::front::Row;

struct start_event {};
struct pause_event {};
struct resume_event {};
struct stop_event {};
struct mark_event {};

struct clock_def_fsm : msm::front::state_machine_def<clock_def_fsm> {
  // The engine posts one event at a time and never throws from here: no queue, no try/catch.
  using no_message_queue = int;
  using no_exception_thrown = int;

  struct idle : msm::front::state<> {};
  struct running : msm::front::state<> {};
  struct paused : msm::front::state<> {};
  struct stopped : msm::front::state<> {};
  using initial_state = idle;

  // A warning or ladder level reached: counted by the machine, so that a paused or stopped
  // clock can never reach one (the event is refused there).
  struct count_mark {
    template <class Event, class Fsm, class Source, class Target>
    void operator()(const Event&, Fsm& fsm, Source&, Target&) const {
      ++fsm.marks;
    }
  };

  struct transition_table
      : mpl::vector<Row<idle, start_event, running, none, none>,
                    Row<running, pause_event, paused, none, none>,
                    Row<running, stop_event, stopped, none, none>,
                    Row<running, mark_event, none, count_mark, none>,  // internal
                    Row<paused, resume_event, running, none, none>,
                    Row<paused, stop_event, stopped, none, none>> {};

  // An event the clock's phase does not allow (pause a paused clock, start a stopped one) is
  // refused, not an error.
  template <class Fsm, class Event>
  void no_transition(const Event&, Fsm&, int) {}

  std::uint16_t marks = 0;
};

using clock_machine = msm::back::state_machine<clock_def_fsm>;

// State ids follow the order in which states first appear in the transition table.
constexpr int idle_id = 0, running_id = 1, paused_id = 2, stopped_id = 3;

template <class Event>
bool post(clock_machine& m) noexcept {
  return m.process_event(Event{}) == msm::back::HANDLED_TRUE;
}

}  // namespace

struct clock_lifecycles::impl {
  std::deque<clock_machine> machines;  // a deque: machines are not relocatable
};

clock_lifecycles::clock_lifecycles() : impl_(std::make_unique<impl>()) {}
clock_lifecycles::~clock_lifecycles() = default;
clock_lifecycles::clock_lifecycles(clock_lifecycles&&) noexcept = default;
clock_lifecycles& clock_lifecycles::operator=(clock_lifecycles&&) noexcept = default;

std::uint32_t clock_lifecycles::acquire() {
  impl_->machines.emplace_back();
  impl_->machines.back().start();
  return static_cast<std::uint32_t>(impl_->machines.size() - 1);
}

bool clock_lifecycles::start(std::uint32_t h) noexcept { return post<start_event>(impl_->machines[h]); }
bool clock_lifecycles::pause(std::uint32_t h) noexcept { return post<pause_event>(impl_->machines[h]); }
bool clock_lifecycles::resume(std::uint32_t h) noexcept { return post<resume_event>(impl_->machines[h]); }
bool clock_lifecycles::stop(std::uint32_t h) noexcept { return post<stop_event>(impl_->machines[h]); }
bool clock_lifecycles::mark(std::uint32_t h) noexcept { return post<mark_event>(impl_->machines[h]); }

clock_machine_phase clock_lifecycles::phase(std::uint32_t h) const noexcept {
  switch (impl_->machines[h].current_state()[0]) {
    case running_id: return clock_machine_phase::running;
    case paused_id: return clock_machine_phase::paused;
    case stopped_id: return clock_machine_phase::stopped;
    case idle_id:
    default: return clock_machine_phase::idle;
  }
}

std::uint16_t clock_lifecycles::marks(std::uint32_t h) const noexcept { return impl_->machines[h].marks; }

std::size_t clock_lifecycles::size() const noexcept { return impl_->machines.size(); }

}  // namespace crmflow::detail
