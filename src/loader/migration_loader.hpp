// `ruleset:` and `migrations:` (rule versions, versioning.hpp). The `ruleset:` of each file
// must agree; migrations name flows of any file, so like triggers they are compiled once every
// file's flows are built. What a migration says about the OLD version (its states and fields)
// can only be checked against that version, when it is published into an engine
// (src/engine/versions.cpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/detail/program.hpp"
#include "crmflow/detail/string_pool.hpp"
#include "crmflow/diagnostic.hpp"
#include "crmflow/versioning.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow::loader {

// One file's `migrations:` value, copied out of its YAML tree.
struct migration_source {
  std::string file;
  ydoc node;  // a deep copy: the file's tree is gone by the time this is read
};

// Reads one file's `ruleset:` value into `id` (the first file that declares one) or checks it
// against `id` (later files); appends problems to `diags`.
void read_rule_set_id(const std::string& file, const ynode& key, const ynode& value,
                      std::optional<rule_set_id>& id, std::vector<diagnostic>& diags);

// Checks and compiles every `migrations:` item against `flows` (the new version) and `id`.
std::vector<migration_def> compile_migrations(const std::vector<migration_source>& sources,
                                              const std::vector<detail::flow_program>& flows,
                                              const std::function<bool(std::string_view)>& flow_declared,
                                              const rule_set_id& id, bool id_declared,
                                              detail::string_pool& literals,
                                              std::vector<diagnostic>& diags);

}  // namespace crmflow::loader
