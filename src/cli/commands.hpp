// The crmflow subcommands. Each takes the arguments after its name and returns the process's
// exit code; none keeps state between calls.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "crmflow/observer.hpp"
#include "crmflow/rule_set.hpp"

namespace crmflow::cli {

// Exit codes shared by all subcommands (docs/cli.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // rules did not load, a file could not be read or written
inline constexpr int exit_usage = 2;
inline constexpr int exit_skipped_lines = 3;  // simulate: some input lines were skipped

using args = std::vector<std::string_view>;

int run_validate(const args& a);
int run_simulate(const args& a);
int run_graph(const args& a);
int run_audit(const args& a);    // audit_command.cpp
int run_diff(const args& a);     // diff_command.cpp
int run_replay(const args& a);   // replay_command.cpp
int run_report(const args& a);

// Prints `crmflow <command>: message` and a hint to stderr; returns exit_usage.
int usage_error(std::string_view command, std::string_view message);

// Loads `paths` as one rule set and prints every diagnostic to `diagnostics_out`, one per
// line as `file:line:col: error: message`. Null when loading failed.
std::shared_ptr<const rule_set> load_and_report(const std::vector<std::filesystem::path>& paths,
                                                std::FILE* diagnostics_out);

// Splits `--name=value` / `--name value`. Returns the value of option `name` at a[i] (moving i
// past it), or nullopt if a[i] is not that option. Sets `missing` when the value is absent.
std::optional<std::string_view> option_value(const args& a, std::size_t& i, std::string_view name,
                                             bool& missing);

struct run_stats;

// Replays an events file ("-" for stdin) through a plain engine exactly as `simulate` does
// (same checks; skipped lines are reported on stderr as `events.jsonl:N: message`), with
// `extra` hearing every record; the timeline itself is not written. Calls `at_end` with the
// engine after the last line (and `until`). Returns exit_ok, exit_skipped_lines, or
// exit_failure when the file cannot be opened or read (message on stderr).
int replay_events(std::shared_ptr<const rule_set> rules, std::string_view command,
                  std::string_view events_path, std::optional<timestamp> until, observer& extra,
                  const std::function<void(const engine&)>& at_end, run_stats& stats);

}  // namespace crmflow::cli
