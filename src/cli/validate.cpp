// crmflow validate <rules...>: load everything as one set and report every problem.
#include <cstdio>

#include "cli/commands.hpp"

namespace crmflow::cli {

int run_validate(const args& a) {
  std::vector<std::filesystem::path> paths;
  for (const std::string_view arg : a) {
    if (arg.size() > 1 && arg[0] == '-') return usage_error("validate", "unknown option " + std::string(arg));
    paths.emplace_back(arg);
  }
  if (paths.empty()) return usage_error("validate", "expected at least one rules file or directory");
  const std::shared_ptr<const rule_set> rules = load_and_report(paths, stderr);
  if (!rules) return exit_failure;
  const std::size_t calendars = rules->calendars().size();
  if (calendars == 0)
    std::printf("ok: %zu flow%s\n", rules->flow_count(), rules->flow_count() == 1 ? "" : "s");
  else
    std::printf("ok: %zu flow%s, %zu calendar%s\n", rules->flow_count(),
                rules->flow_count() == 1 ? "" : "s", calendars, calendars == 1 ? "" : "s");
  return exit_ok;
}

}  // namespace crmflow::cli
