// What a KPI report measures (考核指标与报表), as the rules' `report:` section says: the
// targets, which deadlines are the steps whose on-time rate is counted, which fields hold the
// unit, category and place of a case, which states are awaiting a revisit. The library only
// loads and checks it (names resolved to ids); `crmflow report` (docs/cli.md) computes the
// figures from a run. Another company changes the YAML, not the C++.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crmflow/value.hpp"

namespace crmflow {

// Targets as fractions (1.0 = 100%); nullopt where the rules set none.
struct kpi_targets {
  std::optional<double> on_time_rate;        // 投诉处理及时率, per step and per unit: at least
  std::optional<double> complaint_rate_max;  // 投诉率: at most
  std::optional<double> satisfaction_min;    // 满意度: at least
  std::optional<double> loyalty_min;         // 忠诚度: at least (measured by `loyalty`)
  std::optional<double> revisit_rate;        // 回访率, per revisit kind: at least
  std::optional<double> monthly_coverage;    // 月度回访覆盖率: at least
};

// A deadline whose keeping is measured: the step is on time unless `timer` fires. `alarm`
// (optional) is an alarm a flow raises itself when the step is already late before its timer
// could start (a major complaint classified after its 10 minutes); it counts as a breach too.
struct kpi_step {
  flow_id flow = 0;
  timer_id timer = 0;
  std::string label;
  std::string alarm;
};

// A kind of revisit (回访): a case entering one of `states` (and, with `where_field`, whose
// field has the given value then) is due a revisit; leaving them by `event` is the revisit.
// It is late if `timer` (no_id16 if none) fired or the case entered `late_state` first.
// Leaving for one of `excused` (免访) takes it out of the rate.
struct kpi_revisit {
  std::string kind;
  std::string label;
  flow_id flow = 0;
  std::vector<state_id> states;
  event_id event = 0;
  timer_id timer = no_id16;
  state_id late_state = no_id16;
  std::vector<state_id> excused;
  field_id where_field = no_id16;
  raw_value where_value = 0;   // an enum field: the value's index
  std::string where_text;      // a string field: the text
};

// Monthly coverage (月度回访覆盖率): customers (cases of `customer_flow`, registered unless they
// entered `left_state` before the period) whose `customer_match` fields equal the
// `visit_match` fields of a case of `visit_flow` that entered `done_state` in the period.
struct kpi_coverage {
  flow_id customer_flow = 0;
  state_id left_state = no_id16;
  std::vector<field_id> customer_match;
  flow_id visit_flow = 0;
  state_id done_state = 0;
  std::vector<field_id> visit_match;
};

// The complaint analysis (月度投诉分析): which flow holds complaints and which of its fields
// say what and where. no_id16 for a field the rules do not name.
struct kpi_complaints {
  flow_id flow = 0;
  field_id category = no_id16;
  field_id place = no_id16;
  field_id valid = no_id16;         // a bool field: false for a complaint found unreasonable
  field_id satisfaction = no_id16;  // an enum field set by the revisit
  std::vector<raw_value> satisfied; // its values that count as satisfied
  // An int field counting a case's escalations (升级次数): each time it is set to N, the case
  // is escalated at level N.
  field_id escalations = no_id16;
  // A problem (same category, same place) with at least this many valid complaints is listed
  // among the most repeated problems (as is one a repeated-problem alarm was raised for).
  std::int64_t repeated_min = 2;
};

// Loyalty (忠诚度): an enum field of a flow (for example the visit's "would you recommend us"
// answer); among cases whose field ends in `loyal` or `not_loyal`, the share in `loyal`. Other
// values (not asked) count in neither.
struct kpi_loyalty {
  flow_id flow = 0;
  field_id field = no_id16;
  std::vector<raw_value> loyal;
  std::vector<raw_value> not_loyal;
};

// A flow whose back-office unit (后厂) is held in a string field.
struct kpi_unit_field {
  flow_id flow = 0;
  field_id field = 0;
};

struct report_spec {
  std::string file;   // where the section was written
  std::string label;  // the report's title
  std::optional<std::int64_t> customers;  // customers served: the complaint rate's denominator
  kpi_targets targets;
  std::optional<kpi_complaints> complaints;
  std::vector<kpi_unit_field> units;
  std::string unassigned = "-";  // the unit of a step taken before any unit was assigned
  std::vector<kpi_step> steps;         // at most 64
  std::vector<kpi_revisit> revisits;   // at most 64
  std::optional<kpi_coverage> coverage;
  std::optional<kpi_loyalty> loyalty;
  std::vector<std::string> repeated_problem_alarms;  // 报警原则 alarms (most repeated problems)
};

}  // namespace crmflow
