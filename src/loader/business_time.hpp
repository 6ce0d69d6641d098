// Business calendars in the loader: the top-level `calendars:` section of every file, a flow's
// `calendar:` / `calendar_field:`, a timer's `calendar:` and business-time `after:` values.
//
// Calendars may be defined in any file of a load and used from any other (rules/calendars.yaml
// next to rules/complaint.yaml), so names are collected while files are read and references
// are resolved once, after the last file (resolve_calendars).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crmflow/calendar.hpp"
#include "crmflow/detail/program.hpp"
#include "crmflow/detail/string_pool.hpp"
#include "crmflow/diagnostic.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow::loader {

// Reports an error at a node; the file loader counts it against the current flow.
using report_fn = std::function<void(const ynode&, std::string)>;

// Every calendar of one load, and every use of a calendar name still to be resolved.
struct calendar_set {
  struct origin {
    std::string file;
    int line = 0;
  };
  struct use {
    std::string flow;               // the flow that names the calendar
    std::uint16_t timer = no_id16;  // a timer's `calendar:`, or no_id16 for the flow's
    std::string name;
    std::string file;
    int line = 0;
    int column = 0;
    std::uint16_t clock = no_id16;  // a clock's `calendar:` (then timer is no_id16)
  };
  std::vector<calendar> calendars;                   // clean ones, in load order
  std::map<std::string, origin, std::less<>> names;  // every name defined, even with errors
  std::vector<use> uses;
};

// Reads one file's `calendars:` node (calendar_yaml::parse_calendars) and refuses a name that
// an earlier file already defined: "duplicate calendar 'office' (first defined in a.yaml at
// line 3)", at the later key.
void read_calendars(const ynode& node, const std::string& file, calendar_set& set,
                    std::vector<diagnostic>& diags);

// A flow's `calendar:` (recorded as a use) and `calendar_field:` (a string field of the flow).
// Returns true if a calendar is in scope for the flow's business-time limits.
bool read_flow_calendar(const ynode* calendar_node, const ynode* field_node,
                        detail::flow_program& flow, const std::string& file, calendar_set& set,
                        const report_fn& error);

// A business-time `after:` such as `24 business hours` or `3 working days`. Returns false if
// the text is not a business duration at all (the caller reads it as `24h` or a field); true
// otherwise, with `t` filled in or the problem reported at `after`: a malformed business
// duration, a zero limit, one beyond the calendar horizon, or no calendar in scope
// (`calendar_in_scope`: the timer, its flow or a calendar_field names one).
// `key` names the key in messages (a clock's `limit` is read the same way).
bool read_business_after(const ynode& after, const std::string& twhere, bool calendar_in_scope,
                         detail::timer_def& t, const report_fn& error,
                         std::string_view key = "after");

// A timer's own `calendar:`, read after its `after:` into `t` (recorded as a use; it overrides
// the flow's calendar and calendar_field). A calendar on a calendar-time limit (`24h`, a
// duration field) would change nothing, so it is refused.
void read_timer_calendar(const ynode& node, const ynode* after, const std::string& twhere,
                         const std::string& flow, std::uint16_t timer, detail::timer_def& t,
                         const std::string& file, calendar_set& set, const report_fn& error);

// After every file: gives each flow and timer the index of the calendar it names, reports
// unknown names at their use, and lets business timers without a `calendar:` of their own take
// the flow's calendar and calendar_field. Flows of files with errors are absent from `flows`;
// their uses are still checked. Interns every calendar name into `literals` and returns the
// ids, index for index, for rule_set::calendar_by_string.
std::vector<raw_value> resolve_calendars(calendar_set& set,
                                         std::vector<detail::flow_program>& flows,
                                         detail::string_pool& literals,
                                         std::vector<diagnostic>& diags);

}  // namespace crmflow::loader
