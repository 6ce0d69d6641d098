// Loading a rule set for one engine: the new version's string literals must keep the ids that
// the engine's own string pool already gives them (compiled code holds literal ids), so the
// loader's pool starts as a copy of the engine's. Used by engine::publish.
#pragma once

#include <vector>

#include "crmflow/detail/string_pool.hpp"
#include "crmflow/rule_set.hpp"

namespace crmflow::loader {

// load_rules_from_sources with the literal pool starting as a copy of `seed` (null: empty).
load_result load_rules_seeded(const std::vector<rules_source>& sources, const detail::string_pool* seed);

}  // namespace crmflow::loader
