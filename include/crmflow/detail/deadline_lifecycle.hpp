// The lifecycle of every pending deadline is a Boost.MSM machine (Idle -> Armed -> Fired or
// Cancelled, re-armable). The machine lives in src/engine/deadline_lifecycle_msm.cpp: Boost
// 1.74's MSM only compiles as C++17, so it stays out of every header a host includes.
//
// Every deadline keeps its machine's state as the one byte of MSM's own state id, in its queue
// slot, and each event runs through a back::state_machine restored to that state: a
// back::state_machine is 24 bytes even with an empty front end (56 with a slot's data as its
// front end), more than the 32 bytes a pending deadline may cost in all (issue 5, item 3).
#pragma once

#include <cstdint>
#include <memory>

#include "crmflow/export.hpp"

namespace crmflow::detail {

enum class deadline_phase : std::uint8_t { idle, armed, fired, cancelled };

class CRMFLOW_EXPORT deadline_lifecycles {
 public:
  // MSM's state id of one deadline's machine.
  using state = std::uint8_t;

  deadline_lifecycles();
  ~deadline_lifecycles();
  deadline_lifecycles(deadline_lifecycles&&) noexcept;
  deadline_lifecycles& operator=(deadline_lifecycles&&) noexcept;

  // The state of a new machine (idle).
  state initial() const noexcept { return initial_; }
  // Each runs one event through the machine in state `s`: true and `s` updated when it takes
  // the transition, false (nothing changes) when it refuses it. A call into the MSM translation
  // unit, a few nanoseconds.
  bool arm(state& s) const noexcept;     // idle, armed (restart), fired or cancelled -> armed
  bool cancel(state& s) const noexcept;  // armed -> cancelled
  bool fire(state& s) const noexcept;    // armed -> fired
  deadline_phase phase(state s) const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  state initial_ = 0;
};

}  // namespace crmflow::detail
