// Helpers shared by the subcommands.
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "crmflow/diagnostic.hpp"

namespace crmflow::cli {

int usage_error(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "crmflow %.*s: %.*s\nTry 'crmflow --help'.\n", static_cast<int>(command.size()),
               command.data(), static_cast<int>(message.size()), message.data());
  return exit_usage;
}

std::shared_ptr<const rule_set> load_and_report(const std::vector<std::filesystem::path>& paths,
                                                std::FILE* diagnostics_out) {
  const load_result loaded = load_rules(paths);
  std::string text;
  for (const diagnostic& d : loaded.diagnostics) {
    text += to_string(d);
    text += '\n';
  }
  std::fwrite(text.data(), 1, text.size(), diagnostics_out);
  std::fflush(diagnostics_out);
  return loaded.rules;
}

std::optional<std::string_view> option_value(const args& a, std::size_t& i, std::string_view name,
                                             bool& missing) {
  const std::string_view arg = a[i];
  if (arg == name) {
    if (i + 1 >= a.size()) {
      missing = true;
      return std::string_view{};
    }
    return a[++i];
  }
  if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=')
    return arg.substr(name.size() + 1);
  return std::nullopt;
}

}  // namespace crmflow::cli
