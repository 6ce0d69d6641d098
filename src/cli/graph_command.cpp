// crmflow graph <rules...> [--flow NAME] [--format dot|mermaid]: draw one flow.
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "crmflow/graph.hpp"

namespace crmflow::cli {

int run_graph(const args& a) {
  std::vector<std::filesystem::path> paths;
  std::optional<std::string_view> flow_name;
  graph_format format = graph_format::mermaid;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool missing = false;
    if (auto v = option_value(a, i, "--flow", missing)) {
      if (missing) return usage_error("graph", "--flow needs a flow name");
      flow_name = *v;
    } else if (auto f = option_value(a, i, "--format", missing)) {
      if (missing) return usage_error("graph", "--format needs dot or mermaid");
      if (*f == "dot") format = graph_format::dot;
      else if (*f == "mermaid") format = graph_format::mermaid;
      else return usage_error("graph", "--format must be dot or mermaid, not " + std::string(*f));
    } else if (a[i].size() > 1 && a[i][0] == '-') {
      return usage_error("graph", "unknown option " + std::string(a[i]));
    } else {
      paths.emplace_back(a[i]);
    }
  }
  if (paths.empty()) return usage_error("graph", "expected a rules file or directory");
  const std::shared_ptr<const rule_set> rules = load_and_report(paths, stderr);
  if (!rules) return exit_failure;

  flow_id flow = 0;
  if (flow_name) {
    const std::optional<flow_id> found = rules->find_flow(*flow_name);
    if (!found) {
      std::string known;
      for (const auto& fl : rules->flows()) known += (known.empty() ? "" : ", ") + fl.name;
      return usage_error("graph", "no flow named " + std::string(*flow_name) + " (flows: " + known + ")");
    }
    flow = *found;
  } else if (rules->flow_count() != 1) {
    return usage_error("graph", "the rules have several flows: choose one with --flow NAME");
  }
  const std::string text = to_graph(*rules, flow, format);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "crmflow graph: cannot write the output\n");
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace crmflow::cli
