// The `report:` section (KPI targets and what they measure) -> report_spec. It names flows,
// fields, timers, states and events of any file of the set, so it is checked after every
// file's flows are built, like `triggers:`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/detail/program.hpp"
#include "crmflow/diagnostic.hpp"
#include "crmflow/report_spec.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow::loader {

// One file's `report:` value, copied out of its YAML tree.
struct report_source {
  std::string file;
  ydoc node;  // a deep copy: the file's tree is gone by the time this is read
};

// Checks `sources` (a set may have one `report:` section; a second is an error naming the
// first) against `flows` (the flows that compiled). `flow_declared` says whether a name is a
// flow of the set at all: a name of a flow that did not compile is skipped without a message.
// Appends every problem to `diags`; the result is meaningful only if none was added.
std::optional<report_spec> compile_report(const std::vector<report_source>& sources,
                                          const std::vector<detail::flow_program>& flows,
                                          const std::function<bool(std::string_view)>& flow_declared,
                                          std::vector<diagnostic>& diags);

}  // namespace crmflow::loader
