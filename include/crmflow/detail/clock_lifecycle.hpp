// The lifecycle of every SLA clock of every case is a Boost.MSM machine: idle -> running <->
// paused -> stopped, with the warning and ladder levels reached counted while running. The
// machines live in src/engine/clock_lifecycle_msm.cpp: Boost 1.74's MSM only compiles as
// C++17, so it stays out of every header a host includes. The engine asks the machine first and
// changes a clock only when the machine accepts the event.
#pragma once

#include <cstdint>
#include <memory>

#include "crmflow/export.hpp"

namespace crmflow::detail {

enum class clock_machine_phase : std::uint8_t { idle, running, paused, stopped };

class CRMFLOW_EXPORT clock_lifecycles {
 public:
  clock_lifecycles();
  ~clock_lifecycles();
  clock_lifecycles(clock_lifecycles&&) noexcept;
  clock_lifecycles& operator=(clock_lifecycles&&) noexcept;

  // A new machine in the idle phase. Amortised O(1); machines are never released (a stopped
  // clock keeps its readings).
  std::uint32_t acquire();
  // Each returns true if the machine took the transition, false (nothing changes) if it
  // refuses it in its current phase:
  bool start(std::uint32_t handle) noexcept;   // idle -> running
  bool pause(std::uint32_t handle) noexcept;   // running -> paused
  bool resume(std::uint32_t handle) noexcept;  // paused -> running
  bool stop(std::uint32_t handle) noexcept;    // running or paused -> stopped
  bool mark(std::uint32_t handle) noexcept;    // running: one more warning or level reached
  clock_machine_phase phase(std::uint32_t handle) const noexcept;
  // Warnings and levels reached so far (mark() calls accepted).
  std::uint16_t marks(std::uint32_t handle) const noexcept;
  std::size_t size() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace crmflow::detail
