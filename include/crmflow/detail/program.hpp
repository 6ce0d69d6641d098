// The compiled form of a flow: flat tables indexed by dense ids. Built once by the loader and
// never changed afterwards, so an engine can read it without locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crmflow/value.hpp"

namespace crmflow::detail {

// A name -> id map whose find, count and contains take a std::string_view (or a std::string or
// a literal) without building a std::string: the hash is transparent, and it hashes as
// std::hash<std::string> does, so a map's layout and iteration order are what they were.
struct name_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using name_map = std::unordered_map<std::string, V, name_hash, std::equal_to<>>;

// ---- expressions: postfix code over a small value stack -------------------------------------

enum class op : std::uint8_t {
  field,       // push fields[a]
  data,        // push event data[a]
  now,         // push the time of the event being handled
  imm,         // push imm
  eq, ne, lt, le, gt, ge,  // pop 2, push 0/1
  add, sub,    // pop 2, push result (wrapping)
  not_,        // pop 1, push !x
  in_set,      // pop 1, push whether it equals one of constants[b .. b+a)
  jump_false,  // if top == 0 jump to b (keeping top), else pop
  jump_true,   // if top != 0 jump to b (keeping top), else pop
  ret,         // result is top
  add_months,  // pop a timestamp, push it plus imm calendar months in flow.utc_offset_minutes
};

struct instr {
  op code = op::ret;
  std::uint16_t a = 0;
  std::uint32_t b = 0;
  std::int64_t imm = 0;
};

// The loader rejects deeper expressions, so evaluation uses a fixed stack on the C++ stack.
inline constexpr int max_expr_stack = 16;
inline constexpr std::uint32_t no_expr = 0xFFFFFFFF;

// The shape of a short expression, recognised by the loader (src/loader/optimize.cpp) so that
// the engine computes it directly instead of running the interpreter. `none`: run the code.
// Every form gives exactly what the interpreter gives for the code it stands for.
enum class fast_op : std::uint8_t {
  none,
  imm,        // imm
  field,      // fields[a]
  data,       // data[a]
  now,        // the time of the event being handled
  field_add,  // fields[a] + imm, wrapping (`x + 1`, `x - 1`)
  field_eq, field_ne, field_lt, field_le, field_gt, field_ge,  // fields[a] <op> imm, as 0/1
  data_eq, data_ne, data_lt, data_le, data_gt, data_ge,        // data[a] <op> imm, as 0/1
  field_not,  // !fields[a]
  data_not,   // !data[a]
};

struct fast_expr {
  fast_op kind = fast_op::none;
  std::uint16_t a = 0;
  std::int64_t imm = 0;
};

// ---- templates ------------------------------------------------------------------------------

enum class segment_kind : std::uint8_t { text, field, case_name, state, flow };

struct template_segment {
  segment_kind kind = segment_kind::text;
  std::uint16_t field = 0;    // segment_kind::field
  std::uint32_t first = 0;    // segment_kind::text: offset into flow_program::text
  std::uint32_t length = 0;
};

struct template_def {
  std::uint32_t first = 0;  // into flow_program::segments
  std::uint32_t count = 0;
};

// ---- actions --------------------------------------------------------------------------------

enum class action_kind : std::uint8_t { set, notify, start_timer, cancel_timer, alarm, emit, decide };

struct emit_arg {
  slot_id slot = 0;
  std::uint32_t expr = no_expr;
};

struct action_def {
  action_kind kind = action_kind::set;
  // set: field; start_timer/cancel_timer: timer; emit: event; alarm: index into alarm_names;
  // decide: index into flow_program::tables
  std::uint16_t target = 0;
  std::uint32_t expr = no_expr;      // set: value expression
  fast_expr fast;                    // set: `expr` in a directly computable form, if it has one
  std::uint32_t to = no_id32;        // notify/alarm: recipient template
  std::uint32_t message = no_id32;   // notify/alarm: message template
  std::uint32_t args_first = 0;      // emit: into flow_program::emit_args
  std::uint32_t args_count = 0;
  int line = 0;                      // position in the rules file, for audit and graphs
  int column = 0;
};

struct action_range {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

// ---- decision tables (`tables:` and the `decide` action) ------------------------------------

// How a table picks its row. The loader orders the rows so that the engine always takes the
// first one that matches: `unique` rows cannot overlap (checked at load time), `priority` rows
// are sorted by priority, highest first (overlapping rows of equal priority are refused).
enum class table_hit : std::uint8_t { unique, first, priority };

enum class table_test_kind : std::uint8_t {
  range,   // lo <= v && v <= hi; one value is lo == hi
  mask,    // v < 64 and bit v of mask is set: an enum of at most 64 values, a bool
  set,     // v is one of constants[first .. first + count): texts (interned ids), long enums
  ranges,  // lo <= v <= hi for one of the pairs (lo, hi) at constants[first .. first + 2 * count)
};

// One input test of one row. An input a row does not test (`any`) has no test.
struct table_test {
  table_test_kind kind = table_test_kind::range;
  field_id field = 0;
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  std::uint64_t mask = 0;
};

struct table_row {
  std::uint32_t tests_first = 0;   // into flow_program::table_tests
  std::uint32_t tests_count = 0;
  std::uint32_t values_first = 0;  // into flow_program::table_values, one per output
  std::uint32_t number = 0;        // 1-based position under `rows:` in the rules file
  std::int64_t priority = 0;       // `priority:` (hit: priority only), for diffs
  int line = 0;
  int column = 0;
};

// A table as one flow uses it: compiled against that flow's fields.
struct decision_table {
  std::string name;
  std::string label;
  std::string file;
  table_hit hit = table_hit::unique;
  std::uint32_t rows_first = 0;     // into flow_program::table_rows, in the order they are tried
  std::uint32_t rows_count = 0;
  std::uint32_t inputs_first = 0;   // into flow_program::table_fields
  std::uint32_t inputs_count = 0;
  std::uint32_t outputs_first = 0;  // into flow_program::table_fields
  std::uint32_t outputs_count = 0;
  std::uint32_t default_values = no_id32;  // into table_values; no_id32: no default
  int line = 0;
  int column = 0;
};

// ---- schema ---------------------------------------------------------------------------------

struct enum_def {
  std::vector<std::string> values;
};

struct field_def {
  std::string name;
  value_type type = value_type::string;
  std::uint32_t enum_index = no_id32;  // into flow_program::enums, for enumeration
  raw_value initial = 0;               // the default, already interned/encoded
};

struct data_def {
  std::string name;
  value_type type = value_type::string;
  std::uint32_t enum_index = no_id32;
  bool has_default = false;
  raw_value initial = 0;
};

struct event_def {
  std::string name;
  std::string label;
  std::vector<data_def> data;
  std::uint64_t required_mask = 0;  // bit i set: data item i has no default
  name_map<slot_id> slot_by_name;
};

// ---- states, groups, transitions, timers ----------------------------------------------------

enum class timer_scope : std::uint8_t { state, group, flow };

// How a timer's `after:` is counted.
enum class timer_clock : std::uint8_t {
  calendar_time,  // `24h`, or a duration field
  business_time,  // `24 business hours`: business_amount is milliseconds of working time
  working_days,   // `3 working days`: business_amount is a number of working days
  calendar_months,  // `3 months`, `1年`: business_amount is a number of calendar months,
                    // counted in the flow's utc_offset_minutes (calendar_months.hpp)
  at_time,        // `at: <timestamp expression>`: at_expr, evaluated when the timer starts
};

inline constexpr std::uint16_t no_calendar = 0xFFFF;

struct timer_def {
  std::string name;
  timer_scope scope = timer_scope::flow;
  std::uint16_t owner = 0;            // state or group index for state/group scope
  duration after = 0;                 // used when after_field == no_id16; for a business
                                      // timer, the calendar-time fallback (see below)
  field_id after_field = no_id16;     // a duration field read when the timer starts
  // Business time. The calendar is chosen when the timer starts: the case's calendar_field if
  // it is set here and its value names a calendar, else `calendar` (the timer's own
  // `calendar:` or the flow's default), else none, and then `after` in calendar time
  // (24 business hours -> 24h, 3 working days -> 72h).
  timer_clock clock = timer_clock::calendar_time;
  std::int64_t business_amount = 0;
  std::uint16_t calendar = no_calendar;   // index into rule_set::calendars()
  field_id calendar_field = no_id16;      // a string field naming a calendar
  std::uint32_t at_expr = no_expr;    // timer_clock::at_time: the instant the timer is due
  std::string at_text;                // `at:` as written, for graphs
  event_id event = no_id16;           // posted to the case when the timer fires
  action_range actions;               // run when the timer fires, before the event
  int line = 0;
  int column = 0;
};

struct state_def {
  std::string name;
  std::string label;
  bool final = false;
  std::uint64_t groups = 0;  // bit g set: member of group g
  action_range on_entry;
  action_range on_exit;
  std::uint32_t timers_first = 0;  // into flow_program::timer_lists
  std::uint32_t timers_count = 0;
  int line = 0;
  int column = 0;
};

struct group_def {
  std::string name;
  std::string label;
  action_range on_entry;
  action_range on_exit;
  std::uint32_t timers_first = 0;
  std::uint32_t timers_count = 0;
  int line = 0;
  int column = 0;
};

struct transition_def {
  event_id event = 0;
  bool from_group = false;
  std::uint16_t source = 0;        // state index, or group index when from_group
  bool internal = false;           // no `to`: stay, no exit/entry
  state_id target = 0;             // meaningful unless internal
  std::uint32_t guard = no_expr;   // expression start in flow_program::code
  fast_expr guard_fast;            // `guard` in a directly computable form, if it has one
  std::string guard_text;          // as written, for graphs and audit
  action_range actions;
  int line = 0;
  int column = 0;
};

// ---- SLA clocks (docs/rules.md, SLA clocks) ---------------------------------------------------

// One alternative of a clock's start/pause/resume/stop condition: entering or leaving a state
// or a group, or an accepted event, and then the guard (fields and `now` only), if any.
enum class clock_clause_kind : std::uint8_t { enter_state, exit_state, enter_group, exit_group, event };

struct clock_clause {
  clock_clause_kind kind = clock_clause_kind::event;
  std::uint16_t id = 0;            // state, group or event index
  std::uint32_t guard = no_expr;   // expression start in flow_program::code
  fast_expr guard_fast;
  std::string guard_text;          // `if:` as written, for graphs and diffs
};

// Alternatives clock_clauses[first .. first + count): the condition holds if any does.
struct clock_condition {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

// A point on a running clock: the warning (level 0) or ladder level k >= 1 (1: the breach, at
// 100% of the limit), reached when the counted time is `percent` of the limit.
struct clock_mark {
  std::uint32_t percent = 100;
  std::uint16_t level = 0;
  action_range actions;
  int line = 0;
  int column = 0;
};

struct clock_def {
  std::string name;
  std::string label;
  duration limit = 0;                  // used when limit_field == no_id16
  field_id limit_field = no_id16;      // a duration field, read at start and when it is set
  // `24 business hours`: the limit (in `limit`, milliseconds of working time) counts along the
  // case's calendar (calendar_field's value if it names one, else `calendar`), chosen at start
  // and again when calendar_field is set; with none, it counts as calendar time.
  bool business = false;
  std::uint16_t calendar = no_calendar;
  field_id calendar_field = no_id16;
  clock_condition start, pause, resume, stop;
  std::uint32_t marks_first = 0;       // into flow_program::clock_marks, by increasing percent
  std::uint32_t marks_count = 0;
  int line = 0;
  int column = 0;
};

// ---- the compact dispatch table of the quiet fast path (engine::post) ------------------------

// The dispatch table of the quiet fast path (engine::post), built by src/loader/optimize.cpp:
// the cell of (state s, event e) is dispatch_cells[s * event_count + e] and holds the first
// candidate transition of dispatch_list for that pair in a form read without touching
// transition_def or action_def; when its guard is false, `next` is the cell of the next
// candidate (past the states x events part), until an unguarded one or none (guard_false).
// `kind` (first cell only) is not `general` when every candidate up to the first unguarded
// one can be taken right there: plain (dispatch_plain), its guard absent or in a fast form,
// and at most one action, a `set` whose value has a fast form. Otherwise, and when there is no
// candidate (no_transition), the engine takes the general path (engine::dispatch).
enum class cell_kind : std::uint8_t {
  general,  // the general path decides
  add,      // one unguarded candidate whose action is fields[action_field] = fields[action_a] + action_imm
  fast,     // the candidates in this form: guards, the chain, any fast action
};

struct dispatch_cell {
  std::int64_t guard_imm = 0;
  std::int64_t action_imm = 0;
  std::uint32_t transition = 0;   // index into flow_program::transitions
  std::uint32_t next = no_id32;   // index into dispatch_cells: the next candidate, if any
  // Bytes from this cell to the first cell of `to`'s row: the case record keeps a pointer to
  // its state's row, and the next one is found from the cell without the flow_program.
  // Relative, so a copied table stays right; the loader's bounds keep it in range.
  std::int32_t to_delta = 0;
  state_id to = 0;                // the state after it: the source state for an internal one
  std::uint16_t guard_a = 0;
  field_id action_field = 0;      // the `set` action's field
  std::uint16_t action_a = 0;
  cell_kind kind = cell_kind::general;
  std::uint8_t event_data = 0;    // 1 when the event declares data (first cell only)
  fast_op guard = fast_op::none;  // none: no guard
  fast_op action = fast_op::none; // none: no action
};

// What post() checks of an event's data, without the names: data_checks[data_first ..
// data_first + data_count) per declared item, in slot order.
enum class data_check_kind : std::uint8_t {
  any,      // int, timestamp, duration: every value is valid
  bounded,  // bool, enum: 0 <= v < bound
  string,   // 0 <= v < the engine's string pool size (an interned id)
};

struct data_check {
  raw_value initial = 0;  // the default, used when the item is absent (and not required)
  std::uint32_t bound = 0;
  data_check_kind kind = data_check_kind::any;
};

struct event_shape {
  std::uint64_t allowed = 0;   // bit i: slot i is declared
  std::uint64_t required = 0;  // event_def::required_mask
  std::uint32_t data_first = 0;
  std::uint32_t data_count = 0;
};

// A whole compiled flow. Transitions for (state s, event e) are
// dispatch_list[dispatch_index[s * events.size() + e] .. dispatch_index[s * events.size() + e + 1]),
// already in priority order (the state's own, then each group's in declaration order).
struct flow_program {
  std::string name;
  std::string label;
  std::string file;
  state_id initial = 0;
  std::uint16_t calendar = no_calendar;  // `calendar:`, index into rule_set::calendars()
  field_id calendar_field = no_id16;     // `calendar_field:`
  // The zone calendar months are counted in (`x + 3个月`, `after: 1 year`): the utc_offset of
  // the flow's `calendar:`, +08:00 without one.
  int utc_offset_minutes = 480;

  std::vector<field_def> fields;
  std::vector<event_def> events;
  std::vector<state_def> states;
  std::vector<group_def> groups;
  std::vector<timer_def> timers;
  std::vector<std::uint16_t> timer_lists;
  std::vector<transition_def> transitions;
  std::vector<std::uint32_t> dispatch_index;
  std::vector<std::uint32_t> dispatch_list;
  // Parallel to dispatch_list (src/loader/optimize.cpp): 1 when taking that transition from
  // that cell's state runs only the transition's own actions and moves the state: internal, or
  // no exit/entry actions, no group left or entered with actions or timers, no timer to stop or
  // start, not a final target, and not in a flow with clocks.
  std::vector<std::uint8_t> dispatch_plain;
  // states x events cells, then the further candidates of guarded cells: see dispatch_cell.
  std::vector<dispatch_cell> dispatch_cells;
  // Per event (src/loader/optimize.cpp): events.size() without a division, and the data checks.
  std::uint32_t event_count = 0;

  std::vector<event_shape> event_shapes;
  std::vector<data_check> data_checks;
  // State s's row of dispatch_cells, which a case record keeps beside its state: post() then
  // finds the cell without a multiply or a look-up of the flow, on the chain from one event's
  // new state to the next event's cell.
  const dispatch_cell* row(state_id s) const noexcept { return dispatch_cells.data() + std::size_t{s} * event_count; }

  std::vector<action_def> actions;
  std::vector<emit_arg> emit_args;
  std::vector<instr> code;
  std::vector<std::int64_t> constants;  // `in [...]` lists
  std::vector<enum_def> enums;
  std::vector<template_def> templates;
  std::vector<template_segment> segments;
  std::string text;                      // literal parts of templates
  std::vector<std::string> alarm_names;
  std::vector<decision_table> tables;  // the tables this flow's `decide` actions name
  std::vector<table_row> table_rows;
  std::vector<table_test> table_tests;
  std::vector<field_id> table_fields;  // inputs and outputs of the tables
  std::vector<raw_value> table_values; // outputs of each row and default

  // SLA clocks. A clock's deadline runs on the engine's deadline queue as timer id
  // timers.size() + clock index.
  std::vector<clock_def> clocks;
  std::vector<clock_clause> clock_clauses;
  std::vector<clock_mark> clock_marks;
  std::uint64_t clock_fields = 0;  // bit f: field f is a clock's limit or calendar field

  name_map<state_id> state_by_name;
  name_map<event_id> event_by_name;
  name_map<field_id> field_by_name;
  name_map<timer_id> timer_by_name;
  name_map<std::uint16_t> clock_by_name;
};

}  // namespace crmflow::detail
