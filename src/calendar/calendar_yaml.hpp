// Calendars from YAML (the `calendars:` section of a rules file). Private to the library: the
// loader calls parse_calendars on the node under `calendars:`; tests call
// parse_calendars_yaml with the text of a whole document. yaml-cpp is only forward-declared
// here, so including this header does not need yaml-cpp's headers.
//
// Every problem is appended to `out` as a diagnostic with the file and the 1-based line and
// column of the offending key or value (yaml-cpp's marks are 0-based); nothing throws. A
// calendar with any error is left out of the result, but all of its errors are reported.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/calendar.hpp"
#include "crmflow/diagnostic.hpp"
#include "crmflow/export.hpp"

namespace YAML {
class Node;
}

namespace crmflow::loader {
struct ynode;
}

namespace crmflow::calendar_yaml {

// One calendar: `node` is the map under `calendars: <name>:`. Allowed keys: label, utc_offset
// (default +08:00), week, holidays, workdays, overrides. A calendar whose week has no working
// hours at all is refused. Overloads for the loader's tree (what src/loader walks) and for a
// yaml-cpp node; both give the same calendars and the same diagnostics.
std::optional<calendar> parse_calendar(const loader::ynode& node, std::string_view name,
                                       const std::string& file, std::vector<diagnostic>& out);
std::optional<calendar> parse_calendar(const YAML::Node& node, std::string_view name,
                                       const std::string& file, std::vector<diagnostic>& out);

// The map under `calendars:`: names must be identifiers (ASCII letter, then letters, digits,
// `_`) and unique. Returns the calendars that parsed cleanly, in file order. A null node (an
// empty `calendars:`) gives none, silently.
std::vector<calendar> parse_calendars(const loader::ynode& node, const std::string& file,
                                      std::vector<diagnostic>& out);
std::vector<calendar> parse_calendars(const YAML::Node& node, const std::string& file,
                                      std::vector<diagnostic>& out);

enum class front_end : unsigned char { loader_tree, yaml_cpp };

// Parses `text` as one YAML document and reads its top-level `calendars:` key (other top-level
// keys are ignored; a missing `calendars:` gives no calendars), through the loader's reader
// (the production path) or straight through yaml-cpp. Malformed YAML is reported with the
// parser's position. Exported for tests and tools.
CRMFLOW_EXPORT std::vector<calendar> parse_calendars_yaml(std::string_view text,
                                                          const std::string& file,
                                                          std::vector<diagnostic>& out,
                                                          front_end via = front_end::loader_tree);

}  // namespace crmflow::calendar_yaml
