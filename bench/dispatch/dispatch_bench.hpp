// The dispatch benchmark's workload and the interface of its Boost.MSM half. Plain C++17:
// included by dispatch_msm.cpp (built as gnu++17, see the top-level CMakeLists.txt) and by the
// C++20 main, so only standard types cross between the two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dispatch_bench {

// States, numbered the same way in every implementation so final states compare directly.
enum state : std::uint8_t { received, assigned, planned, dispatched, done, closed, state_count };
inline const char* const state_names[state_count] = {"received", "assigned", "planned",
                                                     "dispatched", "done", "closed"};

// Steps of the workload: an event, and for confirm its `satisfied` value.
enum step : std::uint8_t {
  s_assign, s_plan, s_escalate, s_dispatch, s_complete, s_confirm_false, s_confirm_true, s_reset
};

// The 9-event cycle: assign, plan, escalate, dispatch, complete, confirm(false), complete,
// confirm(true), reset. One pass brings a case back to `received`.
inline constexpr int cycle_length = 9;
inline constexpr std::uint8_t cycle[cycle_length] = {s_assign,   s_plan,         s_escalate,
                                                     s_dispatch, s_complete,     s_confirm_false,
                                                     s_complete, s_confirm_true, s_reset};

// What a run left behind, compared across implementations.
struct single_result {
  double seconds = 0;  // best of the repetitions
  std::uint8_t state = 0;
  std::int64_t steps = 0;
  std::int64_t escalations = 0;
  std::uint64_t refused = 0;  // events the machine did not accept: must be 0
};

struct many_result {
  double seconds = 0;  // best repetition of `rounds` round-robin rounds
  std::vector<std::uint8_t> states;  // per case, after the last repetition
  std::int64_t steps = 0;            // sums over cases
  std::int64_t escalations = 0;
  std::uint64_t refused = 0;
};

struct memory_result {
  std::uint64_t rss_growth = 0;  // bytes
  std::size_t machine_size = 0;  // sizeof one machine
};

// (a) One machine, `events` events of the cycle (the cycle read from `steps`, a runtime
// array, so the compiler cannot specialise the loop on it). Best of `reps` fresh machines.
single_result run_msm_single(const std::uint8_t* steps, std::uint64_t events, int reps);

// (b) `cases` machines; machine i first advanced (untimed) by pre[i] events of the cycle, then
// `reps` repetitions of `rounds` round-robin rounds (one event per machine per round), timed.
many_result run_msm_many(const std::uint8_t* steps, std::uint32_t cases, const std::uint8_t* pre,
                         int rounds, int reps);

// (c) RSS growth over creating a std::vector of `cases` started machines.
memory_result run_msm_memory(std::uint32_t cases);

}  // namespace dispatch_bench
