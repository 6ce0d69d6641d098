// Where "now" comes from. The engine itself only knows the times it is given; a clock lets a
// host say "now" without passing times around, and lets tests and simulations control time.
#pragma once

#include <chrono>

#include "crmflow/value.hpp"

namespace crmflow {

class clock {
 public:
  virtual ~clock() = default;
  // The current time. Must not go backwards between calls that the engine sees.
  virtual timestamp now() const = 0;
};

// The machine's wall clock.
class system_clock final : public clock {
 public:
  timestamp now() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
};

// A clock that moves only when told: for tests, simulations and replays.
class manual_clock final : public clock {
 public:
  explicit manual_clock(timestamp start = 0) noexcept : now_(start) {}
  timestamp now() const override { return now_; }
  void set(timestamp t) noexcept { now_ = t; }
  void advance(duration d) noexcept { now_ += d; }

 private:
  timestamp now_;
};

}  // namespace crmflow
