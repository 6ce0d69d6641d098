// The rules of the trigger benchmarks (bench/triggers) and of the instruction-count gate's
// trigger workload (bench/gate): a minimal complaint flow and "3 complaints with the same
// category and building within 30 days" (the alarm principle, rules/alarms.yaml, without
// distinct customers or cool-down), so that both measure the same trigger.
#pragma once

namespace crmflow_bench {

inline constexpr const char* same_problem_rules_yaml = R"(flows:
  complaint:
    fields:
      category: {type: string}
      building: {type: string}
    events: {classify: }
    initial: received
    states:
      received: {on: {classify: {to: classified}}}
      classified: {final: true}
triggers:
  same_problem_3_in_30d:
    on: {flow: complaint, event: classify}
    key: [category, building]
    count: 3
    window: 30d
    alarm: {name: repeated_problem, to: leadership_group, message: "{building}{category}"}
)";

}  // namespace crmflow_bench
