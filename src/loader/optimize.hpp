// Precomputed fast forms of a compiled flow, for the engine's event path.
#pragma once

#include "crmflow/detail/program.hpp"

namespace crmflow::loader {

// Fills the fast forms of a finished flow (its dispatch tables built): fast_expr of guards and
// of `set` actions, dispatch_plain, the compact dispatch_cells and the per-event data checks
// (event_count, event_shapes, data_checks). Changes no behaviour: each form stands for exactly
// what the engine would otherwise compute.
void optimize_flow(detail::flow_program& flow);

}  // namespace crmflow::loader
