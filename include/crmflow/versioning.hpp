// Rule versions: a rule set's name and version, the migrations a new version declares for the
// cases of an older one, and what publishing a new version into a running engine reports.
// See docs/rules.md ("Rule versions and migrations") and engine::publish.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crmflow/diagnostic.hpp"
#include "crmflow/value.hpp"

namespace crmflow {

// Where a rules construct was written (1-based), for messages about it after loading.
struct rules_position {
  std::string file;
  int line = 0;
  int column = 0;
};

// `ruleset: {name: ..., version: ...}`. Rules without it are `default`, version 1.
struct rule_set_id {
  std::string name = "default";
  std::uint32_t version = 1;
  rules_position where;  // the `ruleset:` key; empty file when not declared

  bool declared() const noexcept { return !where.file.empty(); }
};

// One entry of a migration's `states:` or `fields:` map: an old name and the new one. For
// `fields:`, an empty `to` drops the old field (`score: null`).
struct migration_rename {
  std::string from;
  std::string to;
  rules_position where;  // the old name's key
};

// One entry of `set:`: a value for a field of the new version, already encoded (strings are
// literals of the rule set).
struct migration_value {
  field_id field = 0;
  raw_value value = 0;
  rules_position where;
};

// One item of `migrations:`, checked against the new version when the rules load; the parts
// that name the old version (its states and fields) are checked when it is published into an
// engine that has that version loaded (engine::publish).
struct migration_def {
  std::uint32_t from_version = 0;
  flow_id flow = 0;                         // in the new version
  std::vector<migration_rename> states;     // explicit; `to` is a non-final state of `flow`
  std::vector<migration_rename> fields;     // explicit renames and drops; `to` is a field of `flow`
  std::vector<migration_value> values;      // `set:`
  rules_position where;                     // the item
};

// A loaded version in an engine (engine::versions()).
struct version_info {
  std::uint32_t version = 0;
  std::size_t live_cases = 0;  // cases on it that have not reached a final state
  bool newest = false;         // new cases start on it
};

// What engine::publish did. `accepted`: the new version is the newest and `migrated` cases
// moved to it. Otherwise nothing changed, and `diagnostics` say why (file:line:col where the
// rules are at fault).
struct publish_result {
  bool accepted = false;
  std::uint32_t version = 0;     // the version published (or refused)
  std::size_t migrated = 0;      // cases moved onto it by migrations
  std::vector<diagnostic> diagnostics;

  bool ok() const noexcept { return accepted; }
};

}  // namespace crmflow
