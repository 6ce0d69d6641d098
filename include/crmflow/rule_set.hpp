// A loaded, checked and compiled set of flows. Immutable once built: share it freely between
// engines and threads through std::shared_ptr<const rule_set>.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/calendar.hpp"
#include "crmflow/detail/program.hpp"
#include "crmflow/detail/string_pool.hpp"
#include "crmflow/diagnostic.hpp"
#include "crmflow/export.hpp"
#include "crmflow/report_spec.hpp"
#include "crmflow/trigger.hpp"
#include "crmflow/value.hpp"
#include "crmflow/versioning.hpp"

namespace crmflow {

// One rules file already in memory.
struct rules_source {
  std::string file;  // name used in diagnostics
  std::string text;

  friend bool operator==(const rules_source&, const rules_source&) = default;
};

class rule_set {
 public:
  // Lookups by name, for wiring a host up, not for each event. find_flow scans the flows
  // (a rule set has few); the others are hash lookups that allocate nothing.
  std::optional<flow_id> find_flow(std::string_view name) const {
    for (std::size_t i = 0; i < flows_.size(); ++i)
      if (flows_[i].name == name) return static_cast<flow_id>(i);
    return std::nullopt;
  }
  std::optional<event_id> find_event(flow_id f, std::string_view name) const {
    return find_in(flows_.at(f).event_by_name, name);
  }
  std::optional<state_id> find_state(flow_id f, std::string_view name) const {
    return find_in(flows_.at(f).state_by_name, name);
  }
  std::optional<field_id> find_field(flow_id f, std::string_view name) const {
    return find_in(flows_.at(f).field_by_name, name);
  }
  std::optional<slot_id> find_slot(flow_id f, event_id e, std::string_view name) const {
    return find_in(flows_.at(f).events.at(e).slot_by_name, name);
  }
  // An SLA clock of the flow (its index in flow_program::clocks), by name.
  std::optional<std::uint16_t> find_clock(flow_id f, std::string_view name) const {
    return find_in(flows_.at(f).clock_by_name, name);
  }
  // Index of `value` among an enum field's values, if it is one.
  std::optional<raw_value> find_enum_value(flow_id f, field_id field, std::string_view value) const;

  std::size_t flow_count() const noexcept { return flows_.size(); }
  // The compiled flow. Throws std::out_of_range for an unknown id.
  const detail::flow_program& flow(flow_id f) const { return flows_.at(f); }
  const std::vector<detail::flow_program>& flows() const noexcept { return flows_; }
  // Strings that appear as literals in the rules; an engine's string pool starts as a copy.
  const detail::string_pool& literals() const noexcept { return literals_; }
  // The pattern triggers (报警原则) of every file's `triggers:` section, with the index an
  // engine uses to find those that count an event or a state entry. See trigger.hpp.
  const trigger_set& triggers() const noexcept { return triggers_; }
  // Built by the loader only, before the rule set is shared as const.
  void set_triggers(trigger_set triggers) { triggers_ = std::move(triggers); }
  // The `report:` section (KPI targets and what they measure; report_spec.hpp), if a file of
  // the set has one. The engine does not use it.
  const std::optional<report_spec>& report() const noexcept { return report_; }
  // Built by the loader only.
  void set_report(std::optional<report_spec> r) { report_ = std::move(r); }

  // The business calendars of every file's `calendars:` section, in load order (files in
  // order, then file order); timer_def::calendar and flow_program::calendar index into it.
  const std::vector<calendar>& calendars() const noexcept { return calendars_; }
  // The calendar with this name. Scans (a rule set has few calendars).
  const calendar* find_calendar(std::string_view name) const noexcept {
    for (const calendar& c : calendars_)
      if (c.name() == name) return &c;
    return nullptr;
  }
  // The index of the calendar whose name is the literal string `id` (an engine's string id:
  // calendar names are in literals()), or detail::no_calendar. O(calendars), no allocation:
  // this is how a case's `calendar_field` is read when a timer starts.
  std::uint16_t calendar_by_string(raw_value id) const noexcept {
    for (std::size_t i = 0; i < calendar_names_.size(); ++i)
      if (calendar_names_[i] == id) return static_cast<std::uint16_t>(i);
    return detail::no_calendar;
  }

  // Rule versions (versioning.hpp): the `ruleset:` name and version, the `migrations:` this
  // version declares, and the files it was loaded from (a durable engine journals and
  // snapshots them, so that a version published at run time comes back on recovery).
  const rule_set_id& id() const noexcept { return id_; }
  const std::string& name() const noexcept { return id_.name; }
  std::uint32_t version() const noexcept { return id_.version; }
  const std::vector<migration_def>& migrations() const noexcept { return migrations_; }
  const std::vector<rules_source>& sources() const noexcept { return sources_; }
  // Built by the loader only, before the rule set is shared as const.
  void set_version(rule_set_id id, std::vector<migration_def> migrations, std::vector<rules_source> sources) {
    id_ = std::move(id);
    migrations_ = std::move(migrations);
    sources_ = std::move(sources);
  }

  // Built by the loader only. `calendar_names` holds each calendar's name as a literal id.
  rule_set(std::vector<detail::flow_program> flows, detail::string_pool literals,
           std::vector<calendar> calendars = {}, std::vector<raw_value> calendar_names = {})
      : flows_(std::move(flows)),
        literals_(std::move(literals)),
        calendars_(std::move(calendars)),
        calendar_names_(std::move(calendar_names)) {}

 private:
  template <class Map>
  static std::optional<typename Map::mapped_type> find_in(const Map& m, std::string_view name) {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }

  std::vector<detail::flow_program> flows_;
  detail::string_pool literals_;
  trigger_set triggers_;
  std::optional<report_spec> report_;
  std::vector<calendar> calendars_;
  std::vector<raw_value> calendar_names_;
  rule_set_id id_;
  std::vector<migration_def> migrations_;
  std::vector<rules_source> sources_;
};

// What loading produced: a rule set if and only if there were no errors, and every finding
// of every file (sorted by file, line, column).
struct load_result {
  std::shared_ptr<const rule_set> rules;
  std::vector<diagnostic> diagnostics;

  bool ok() const noexcept { return rules != nullptr; }
};

// Loads, checks and compiles rules from files and directories (a directory contributes its
// *.yaml and *.yml files in name order). Reports every error of every file at once; a set with
// any error yields no rule set. Never throws for bad input; may throw std::bad_alloc.
CRMFLOW_EXPORT load_result load_rules(const std::vector<std::filesystem::path>& paths);

// As load_rules, from text already in memory; `file_name` is used in diagnostics.
CRMFLOW_EXPORT load_result load_rules_from_string(std::string_view text,
                                                  std::string_view file_name = "<string>");

// As load_rules, for several files held in memory, checked together as one set.
CRMFLOW_EXPORT load_result load_rules_from_sources(const std::vector<rules_source>& sources);

// The files of `paths` read into memory, as load_rules reads them (a directory contributes its
// *.yaml and *.yml files in name order); `diagnostics` names each path that cannot be read.
// For engine::publish. Never throws for bad input; may throw std::bad_alloc.
struct read_sources_result {
  std::vector<rules_source> sources;
  std::vector<diagnostic> diagnostics;

  bool ok() const noexcept { return diagnostics.empty(); }
};
CRMFLOW_EXPORT read_sources_result read_rules_sources(const std::vector<std::filesystem::path>& paths);

// Parses a duration as written in rules: "90s", "10m", "1h30m", "10d", in words ("24 hours",
// "1 hour 30 minutes", "2 weeks") or in Chinese ("24小时", "10分钟", "3天", "1小时30分钟",
// "2周"). nullopt if malformed, and for calendar months and years ("3个月", "1 year"), which
// have no fixed length (docs/rules.md, Durations). No allocation.
CRMFLOW_EXPORT std::optional<duration> parse_duration(std::string_view text);

}  // namespace crmflow
