// What a host hears from the engine: every transition, action, message, deadline and refusal,
// in the order it happens. The engine calls observers synchronously on the posting thread;
// the records and the string_views in them are valid only during the call.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "crmflow/detail/program.hpp"
#include "crmflow/export.hpp"
#include "crmflow/value.hpp"

namespace spdlog {
class logger;
}

namespace crmflow {

class engine;

// Outcome of posting an event. Anything but `accepted` left the case unchanged.
enum class status : std::uint8_t {
  accepted,
  unknown_case,    // no case with that id
  unknown_event,   // the case's flow declares no such event
  no_transition,   // the flow has no transition for the event in the case's state
  guard_false,     // transitions exist, but no guard held
  time_backwards,  // the event is older than the engine's current time
  bad_data,        // missing required data, data the event does not declare, or a bad value
  emit_limit,      // too many events emitted by rules while handling one event
  duplicate_case,  // create_case: the id is taken
  unknown_flow,    // create_case: no such flow
};

constexpr std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::accepted: return "accepted";
    case status::unknown_case: return "unknown_case";
    case status::unknown_event: return "unknown_event";
    case status::no_transition: return "no_transition";
    case status::guard_false: return "guard_false";
    case status::time_backwards: return "time_backwards";
    case status::bad_data: return "bad_data";
    case status::emit_limit: return "emit_limit";
    case status::duplicate_case: return "duplicate_case";
    case status::unknown_flow: return "unknown_flow";
  }
  return "?";
}

// Why the engine handled an event.
enum class cause : std::uint8_t { posted, emitted, timer };

constexpr std::string_view to_string(cause c) noexcept {
  switch (c) {
    case cause::posted: return "posted";
    case cause::emitted: return "emitted";
    case cause::timer: return "timer";
  }
  return "?";
}

struct created_record {
  case_id id;
  timestamp at;
  flow_id flow;
  state_id state;
  // A case opened by a trigger's `open_case`: the case whose occurrence fired it and the
  // trigger's name. Otherwise no_id32 and empty.
  case_id opened_by = no_id32;
  std::string_view trigger = {};
};

struct transition_record {
  case_id id;
  timestamp at;
  flow_id flow;
  event_id event;
  state_id from;
  state_id to;
  bool internal;
  cause why;
  std::uint32_t transition;  // index into the flow's transitions
};

// set, start_timer, cancel_timer (only when a running timer was stopped), emit and decide.
// `value`: set: the new raw value; start_timer: the due time; decide: the number of the row
// taken (1-based, as listed under `rows:`), 0 for the table's default; otherwise 0. After a
// decide, the case's fields already hold the table's outputs (decision_table::outputs_*).
struct action_record {
  case_id id;
  timestamp at;
  flow_id flow;
  const detail::action_def* action;
  raw_value value;
};

struct notify_record {
  case_id id;
  timestamp at;
  flow_id flow;
  std::string_view to;
  std::string_view message;
};

struct alarm_record {
  case_id id;
  timestamp at;
  flow_id flow;
  std::string_view name;
  std::string_view to;
  std::string_view message;
};

struct deadline_record {
  case_id id;
  timestamp at;  // the time it was due
  flow_id flow;
  timer_id timer;
};

// A timer of a state or group, started when the case enters it (`due` set) or stopped when it
// leaves it or reaches a final state while the timer runs (`due` 0). Timers started or stopped
// by start_timer / cancel_timer actions come through on_action instead.
struct timer_record {
  case_id id;
  timestamp at;
  flow_id flow;
  timer_id timer;
  bool started;
  timestamp due;
};

struct rejection_record {
  case_id id;      // may be out of range for unknown_case
  timestamp at;
  flow_id flow;    // no_id16 when unknown
  event_id event;  // no_id16 when unknown
  status why;
  cause origin;
};

// An SLA clock of a flow (flow_program::clocks, rules' `clocks:`), by index.
using clock_id = std::uint16_t;

// What happened to an SLA clock. `warning`: the clock reached its `warn_at`; `breach`: it
// reached ladder level `level` (1: the limit itself, 2, 3...: the ladder's later levels).
enum class clock_event : std::uint8_t { started, paused, resumed, stopped, warning, breach };

constexpr std::string_view to_string(clock_event e) noexcept {
  switch (e) {
    case clock_event::started: return "started";
    case clock_event::paused: return "paused";
    case clock_event::resumed: return "resumed";
    case clock_event::stopped: return "stopped";
    case clock_event::warning: return "warning";
    case clock_event::breach: return "breach";
  }
  return "?";
}

struct clock_record {
  case_id id;
  timestamp at;
  flow_id flow;
  clock_id clock;
  clock_event what;
  std::uint16_t level;  // breach: the ladder level reached (1 = the limit); otherwise 0
  duration elapsed;     // counted running time at `at` (working time on a calendar)
  duration paused;      // counted paused time at `at`
  duration limit;       // the limit in force (0 or less: none)
};

// A running case moved onto a newer rule version by a migration (engine::publish). Its flow,
// state, fields and timers are now ids of the new version; the state names are given because
// the old state is not in the new version's tables.
struct migration_record {
  case_id id;
  timestamp at;
  flow_id flow;  // in the new version
  std::uint32_t from_version;
  std::uint32_t to_version;
  std::string_view from_state;
  std::string_view to_state;
};

// Override what you need; every default does nothing. Observers must not post to the engine.
class observer {
 public:
  virtual ~observer() = default;
  virtual void on_created(const engine&, const created_record&) {}
  virtual void on_transition(const engine&, const transition_record&) {}
  virtual void on_action(const engine&, const action_record&) {}
  virtual void on_notify(const engine&, const notify_record&) {}
  virtual void on_alarm(const engine&, const alarm_record&) {}
  virtual void on_deadline(const engine&, const deadline_record&) {}
  virtual void on_timer(const engine&, const timer_record&) {}
  virtual void on_rejected(const engine&, const rejection_record&) {}
  // After the transition, deadline or `set` that moved the clock; a warning or breach before
  // the actions it runs.
  virtual void on_clock(const engine&, const clock_record&) {}
  virtual void on_migrated(const engine&, const migration_record&) {}
};

// An observer that writes an audit line per record to `logger` at info level (rejections at
// warn). The logger and its sinks are the host's choice; crmflow never logs otherwise.
CRMFLOW_EXPORT std::unique_ptr<observer> make_audit_observer(std::shared_ptr<spdlog::logger> logger);

}  // namespace crmflow
