// The lifecycle of every pending deadline is a Boost.MSM machine (Idle -> Armed -> Fired or
// Cancelled, re-armable). The machines live in src/engine/deadline_lifecycle_msm.cpp: Boost
// 1.74's MSM only compiles as C++17, so it stays out of every header a host includes.
#pragma once

#include <cstdint>
#include <memory>

#include "crmflow/export.hpp"

namespace crmflow::detail {

enum class deadline_phase : std::uint8_t { idle, armed, fired, cancelled };

class CRMFLOW_EXPORT deadline_lifecycles {
 public:
  deadline_lifecycles();
  ~deadline_lifecycles();
  deadline_lifecycles(deadline_lifecycles&&) noexcept;
  deadline_lifecycles& operator=(deadline_lifecycles&&) noexcept;

  // A machine in the idle phase; reuses a released one when there is one. Amortised O(1).
  std::uint32_t acquire();
  // Arms (or re-arms) the machine. False if the machine refuses, which does not happen for an
  // acquired handle.
  bool arm(std::uint32_t handle) noexcept;
  // Armed -> Cancelled, and releases the handle. False (and nothing changes) unless armed.
  bool cancel(std::uint32_t handle) noexcept;
  // Armed -> Fired, and releases the handle. False (and nothing changes) unless armed.
  bool fire(std::uint32_t handle) noexcept;
  deadline_phase phase(std::uint32_t handle) const noexcept;
  // Machines ever created (armed, or released for reuse).
  std::size_t capacity() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace crmflow::detail
