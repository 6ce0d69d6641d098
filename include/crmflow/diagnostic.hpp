// A problem found in a rules file, reported to the analyst.
#pragma once

#include <ostream>
#include <string>

namespace crmflow {

enum class severity : unsigned char { error, warning };

// One finding. line and column are 1-based; 0 means "the whole file" (for example a file
// that cannot be read). Printed as `rules/complaint.yaml:12:5: error: message`.
struct diagnostic {
  crmflow::severity severity = severity::error;
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

// `file:line:column: error: message`. Costs one string allocation.
inline std::string to_string(const diagnostic& d) {
  std::string out = d.file;
  out += ':';
  out += std::to_string(d.line);
  out += ':';
  out += std::to_string(d.column);
  out += d.severity == severity::error ? ": error: " : ": warning: ";
  out += d.message;
  return out;
}

inline std::ostream& operator<<(std::ostream& os, const diagnostic& d) { return os << to_string(d); }

}  // namespace crmflow
