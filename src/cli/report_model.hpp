// crmflow report: the figures (report_model.cpp) and how they are shown (report_output.cpp).
// The figures are computed by an observer during an in-process replay of the events, from
// ids, not from the timeline's text; docs/cli.md defines each of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crmflow/engine.hpp"
#include "crmflow/report_spec.hpp"

namespace crmflow::cli {

// Cases received in [from, to) count; all cases when `all`.
struct report_period {
  bool all = true;
  timestamp from = 0;
  timestamp to = 0;
  std::string text;  // "2026-03", "2026-03-02..2026-03-08", or "全部"
};

struct step_count {
  std::uint64_t on_time = 0;
  std::uint64_t breached = 0;
  std::uint64_t open = 0;  // still running at the end of the run
};

struct revisit_count {
  std::uint64_t due = 0;            // times a case entered the state that awaits a revisit
  std::uint64_t done = 0;           // left it by the revisit event
  std::uint64_t done_on_time = 0;   // ... before its time limit fired
  std::uint64_t left_without = 0;   // left it by another event
  std::uint64_t excused = 0;        // left it for an excused state (免访)
  std::uint64_t waiting = 0;        // still waiting at the end, within the limit
  std::uint64_t overdue = 0;        // still waiting at the end, limit passed
};

// An SLA clock (rules' `clocks:`) of one flow, over its runs (start to stop).
struct clock_count {
  flow_id flow = 0;
  clock_id clock = 0;
  std::uint64_t started = 0;
  std::uint64_t warnings = 0;
  std::uint64_t on_time = 0;   // stopped before its limit
  std::uint64_t breached = 0;  // reached its limit (level 1)
  std::uint64_t open = 0;      // running (or paused) at the end, limit not reached
  std::map<std::uint16_t, std::uint64_t> levels;  // breaches by ladder level (1 = the limit)
};

struct complaint_row {
  std::string name;
  timestamp received = 0;
  std::string category;
  std::string place;
  std::string unit;
  std::string state;  // label of the state at the end of the run
  bool valid = true;
};

// Everything the report shows.
struct report_figures {
  report_period period;
  std::vector<step_count> steps;                              // per report_spec::steps
  std::map<std::string, step_count> units;                    // all steps, per unit
  std::vector<revisit_count> revisits;                        // per report_spec::revisits
  std::vector<clock_count> clocks;                            // every clock of every flow
  std::map<std::string, std::uint64_t> alarms;                // by alarm name
  std::map<std::int64_t, std::uint64_t> escalations;          // by level (1 = first escalation)
  std::uint64_t satisfied = 0;                                // last revisit result satisfied
  std::uint64_t with_result = 0;                              // cases with a revisit result
  std::uint64_t loyal = 0;                                    // loyalty: cases answering loyal
  std::uint64_t loyalty_answers = 0;                          // ... loyal or not loyal
  std::vector<complaint_row> complaints;                      // every complaint received, in order
  // (category, place) -> cases for which a repeated-problem alarm was raised
  std::map<std::pair<std::string, std::string>, std::uint64_t> alarmed_problems;
  std::uint64_t cases = 0;                                    // cases received in the period
  // Monthly coverage (report_spec::coverage): customers registered in the period, and those
  // of them visited (a visit done in the period).
  std::uint64_t customers_registered = 0;
  std::uint64_t customers_visited = 0;
};

// Hears a replay and keeps the figures. `spec` and the rules must outlive it.
class report_observer final : public observer {
 public:
  report_observer(const rule_set& rules, const report_spec& spec, report_period period);

  void on_created(const engine& e, const created_record& r) override;
  void on_transition(const engine& e, const transition_record& r) override;
  void on_action(const engine& e, const action_record& r) override;
  void on_alarm(const engine& e, const alarm_record& r) override;
  void on_deadline(const engine& e, const deadline_record& r) override;
  void on_clock(const engine& e, const clock_record& r) override;
  void on_migrated(const engine& e, const migration_record& r) override;

  // After the run: counts what is still open and reads the complaints' fields.
  void finish(const engine& e);
  const report_figures& figures() const noexcept { return fig_; }

 private:
  struct case_info {
    bool counted = false;           // received in the period
    std::uint64_t running = 0;      // bit s: step s's timer is running
    std::uint64_t awaiting = 0;     // bit r: awaiting revisit kind r
    std::uint64_t late = 0;         // bit r: ... and its limit fired
    raw_value satisfaction = -1;    // last revisit result, -1 none
  };
  // A rule version's ids (a case may run on a version published after the report's rules,
  // or be migrated to one) translated to the report's rules by name: flows, and per flow its
  // states, events, timers, clocks, fields and enum values; no_id16 (enum values: -1) where
  // the report's rules have no such thing, which then counts for nothing. Built once per
  // version a record comes from, so no string is compared per record.
  struct version_ids {
    std::uint32_t version = 0;
    std::vector<flow_id> flow;                       // [flow] -> report flow
    std::vector<std::vector<std::uint16_t>> state;   // [flow][state] -> report state
    std::vector<std::vector<std::uint16_t>> event;
    std::vector<std::vector<std::uint16_t>> timer;
    std::vector<std::vector<std::uint16_t>> clock;
    std::vector<std::vector<std::uint16_t>> field;
    std::vector<std::vector<std::vector<raw_value>>> enum_value;  // [flow][field][value]; empty: as is
    // The other way, for what the report reads from a case or looks up in its version:
    // [report flow][report field or timer] -> this version's (of the flow of that name).
    std::vector<std::vector<std::uint16_t>> field_of;
    std::vector<std::vector<std::uint16_t>> timer_of;
    std::vector<std::vector<std::uint16_t>> clock_of;

    flow_id to_flow(flow_id f) const { return f < flow.size() ? flow[f] : no_id16; }
    static std::uint16_t get(const std::vector<std::vector<std::uint16_t>>& m, std::size_t f, std::size_t i) {
      return f < m.size() && i < m[f].size() ? m[f][i] : no_id16;
    }
  };
  const version_ids& ids_of(const engine& e, case_id c) const;
  version_ids translate(const rule_set& version) const;
  flow_id flow_of(const engine& e, case_id c) const { return ids_of(e, c).to_flow(e.case_flow(c)); }
  // Field `f` of the report's flow `rf` of case `c`, read in the case's own version: its text,
  // or its value (an enum value as the report's rules number it); "" or -1 if that version
  // has no such field. `rf` must be the case's flow.
  std::string text_of(const engine& e, case_id c, flow_id rf, field_id f) const;
  raw_value value_of(const engine& e, case_id c, flow_id rf, field_id f) const;

  void close_step(const engine& e, case_id c, std::size_t step, bool breached);
  bool awaits(const kpi_revisit& rv, state_id s) const;
  bool matches(const engine& e, case_id c, const kpi_revisit& rv) const;
  void enter_revisit_states(const engine& e, case_id c, flow_id f, state_id from, state_id to, bool created);
  std::string match_key(const engine& e, case_id c, flow_id rf, const std::vector<field_id>& fields) const;
  std::string unit_of(const engine& e, case_id c, flow_id f) const;
  int step_of(flow_id f, timer_id t) const;

  const rule_set& rules_;
  const report_spec& spec_;
  report_figures fig_;
  std::vector<case_info> cases_;
  std::vector<timestamp> received_;
  std::vector<timestamp> left_;                        // coverage: when a customer left (or max)
  std::vector<std::pair<std::string, timestamp>> visits_done_;  // coverage: key, when
  std::vector<std::vector<int>> step_by_timer_;  // [flow][timer] -> step index or -1
  std::vector<field_id> unit_field_;             // [flow] -> unit field or no_id16
  std::vector<std::size_t> first_clock_;         // [flow] -> index of its first clock in fig_.clocks
  // A clock run of a case: 1 running, 2 running and breached.
  std::map<std::pair<case_id, std::size_t>, int> clock_runs_;
  case_id deadline_case_ = no_id32;              // the deadline whose actions are running
  timer_id deadline_timer_ = no_id16;
  // The versions met so far (a cache: filled as records arrive, hence mutable) and the last
  // one looked up (records come in runs from one case).
  mutable std::vector<std::unique_ptr<version_ids>> versions_;
  mutable const version_ids* last_ = nullptr;
};

// "93.1%" (one decimal).
std::string format_percent(double fraction);
// A target: "100%", "85%", "99.5%".
std::string format_target(double fraction);

}  // namespace crmflow::cli
