// crmflow: check rules, replay events through them, draw flows. See docs/cli.md.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"

namespace {

constexpr std::string_view usage_text = R"(usage: crmflow <command> [arguments]

commands:
  validate <rules...>
      Load the rules files and directories together as one set. Prints every problem as
      file:line:col: error: message on stderr, or "ok: N flows". Exit 0 valid, 1 invalid.

  simulate <rules> <events.jsonl> [--until T] [--out FILE] [--summary] [--utc-offset +08:00]
           [--store PATH [--commit-every N]]
      Replay a JSON Lines events file ("-" for stdin) through the rules and write the
      timeline, one JSON record per line, to stdout or FILE.
        --until T         after the last line, let time run to T (RFC 3339) so that
                          deadlines up to T fire; without it the run ends at the last line
        --out FILE        write the timeline to FILE instead of stdout
        --summary         print a short summary (to stdout with --out, else to stderr)
        --utc-offset OFF  offset of the times written, default +08:00 (Z for UTC)
        --store PATH      journal every input in the SQLite store PATH before it is
                          applied; run again with the same store and events file to
                          continue a stopped run after its last journaled line
        --commit-every N  with --store, lines per group commit (default 1000)
      Exit 0 all lines used, 3 some lines skipped (reported on stderr and in the timeline),
      1 rules not loaded, a file not readable/writable, or a store error (locked,
      read-only, corrupted, written from another events file or other rules).

  graph <rules...> [--flow NAME] [--format dot|mermaid]
      Print a flow as Graphviz DOT or Mermaid (default) text. --flow may be left out when
      the rules have one flow.

  diff <old> <new>
      Say in words what changed between two rule sets (files or directories): flows,
      states, transitions, timers, triggers, calendars. Exit 0 no differences, 1 some,
      2 a rule set did not load.

  replay --store PATH --rules <candidate> [--json]
      Run the inputs recorded in the store's audit trail against candidate rules and
      report, case by case, what would end differently (the store is only read).
      Exit 0 no case differs, 1 some do, 2 trouble (rules, store).

  audit export --store PATH [--out FILE]
      Write the store's audit trail (every input, transition and action, with its time
      and actor) as JSON Lines, each line with "seq", "prev" and "hash".
  audit verify (--store PATH | FILE.jsonl) [--expect-head HASH]
      Check the hash chain; names the first edited, deleted, inserted or reordered
      record. Exit 0 intact, 1 not.

  report <rules> <events.jsonl> [--month YYYY-MM | --from DATE --to DATE] [--until T]
         [--customers N] [--csv DIR] [--html FILE]
      Replay the events through the rules and print the KPIs of the rules' report:
      section: on-time rate per step and per unit, revisit rate per kind, escalations,
      alarms, the complaint analysis. --month / --from --to: only cases received then
      (UTC+08:00). --csv DIR: one CSV per table (UTF-8 with BOM). --html FILE: a
      self-contained page with charts. Exit codes as simulate.

  help, --help, -h    this text

exit codes: 0 success, 1 failure, 2 usage error, 3 (simulate) input lines skipped.
See docs/cli.md for the events file and the timeline format.
)";

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  crmflow::cli::args args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) {
    std::fwrite(usage_text.data(), 1, usage_text.size(), stderr);
    return crmflow::cli::exit_usage;
  }
  const std::string_view command = args.front();
  args.erase(args.begin());
  try {
    if (command == "help" || command == "--help" || command == "-h") {
      std::fwrite(usage_text.data(), 1, usage_text.size(), stdout);
      return crmflow::cli::exit_ok;
    }
    if (command == "validate") return crmflow::cli::run_validate(args);
    if (command == "simulate") return crmflow::cli::run_simulate(args);
    if (command == "graph") return crmflow::cli::run_graph(args);
    if (command == "audit") return crmflow::cli::run_audit(args);
    if (command == "diff") return crmflow::cli::run_diff(args);
    if (command == "replay") return crmflow::cli::run_replay(args);
    if (command == "report") return crmflow::cli::run_report(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crmflow %.*s: %s\n", static_cast<int>(command.size()), command.data(), e.what());
    return crmflow::cli::exit_failure;
  }
  std::fprintf(stderr, "crmflow: unknown command '%.*s'\n", static_cast<int>(command.size()), command.data());
  std::fwrite(usage_text.data(), 1, usage_text.size(), stderr);
  return crmflow::cli::exit_usage;
}
