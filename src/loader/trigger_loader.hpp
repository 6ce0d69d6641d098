// `triggers:` sections -> trigger_defs. Triggers may name flows of any file of the set, so they
// are compiled after every file's flows: the loader keeps each file's `triggers:` node and
// hands them all over here once the flows are built.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/detail/program.hpp"
#include "crmflow/detail/string_pool.hpp"
#include "crmflow/diagnostic.hpp"
#include "crmflow/trigger.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow::loader {

// One file's `triggers:` value, copied out of its YAML tree.
struct trigger_source {
  std::string file;
  ydoc node;  // a deep copy: the file's tree is gone by the time this is read
};

// Checks and compiles every trigger of `sources` (in order) against `flows` (the flows that
// compiled without error). Filters, `open_case` data and alarm templates are compiled into
// the program of the counted flow; string literals go to `literals`. `flow_declared` says
// whether a name is a flow of the set at all: a trigger on a flow that was declared but did
// not compile is skipped without a message (that flow's own errors say what is wrong).
// Appends every problem to `diags`; the returned definitions are only meaningful if none was
// added.
std::vector<trigger_def> compile_triggers(const std::vector<trigger_source>& sources,
                                          std::vector<detail::flow_program>& flows,
                                          const std::function<bool(std::string_view)>& flow_declared,
                                          detail::string_pool& literals,
                                          std::vector<diagnostic>& diags);

}  // namespace crmflow::loader
