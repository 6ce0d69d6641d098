// A flow as a picture: Graphviz DOT or Mermaid text, with the Chinese labels.
#pragma once

#include <string>

#include "crmflow/export.hpp"
#include "crmflow/rule_set.hpp"

namespace crmflow {

enum class graph_format { dot, mermaid };

// The states (labelled), the initial and final states, every transition (event, guard) and
// each state's or group's timers. Throws std::out_of_range for an unknown flow.
CRMFLOW_EXPORT std::string to_graph(const rule_set& rules, flow_id flow, graph_format format);

}  // namespace crmflow
