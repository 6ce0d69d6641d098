// The keys of one YAML map checked against the keys its place in the schema allows. Every part
// of the loader (flows, migrations, tables, triggers, the report section) reads its maps
// through this, so an unknown or repeated key reads the same everywhere.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loader/yaml_reader.hpp"

namespace crmflow::loader {

struct map_keys {
  std::vector<std::pair<std::string, const ynode*>> found;  // value nodes, first occurrences
  std::vector<const ynode*> key_nodes;                      // their key nodes, same order

  // The value of key `name`, or null if the map does not have it.
  const ynode* get(std::string_view name) const {
    for (const auto& [k, v] : found)
      if (k == name) return v;
    return nullptr;
  }
  // The key node itself (for positions), or null.
  const ynode* key(std::string_view name) const {
    for (const ynode* k : key_nodes)
      if (k->text == name) return k;
    return nullptr;
  }
};

// Reads `map`'s keys, reporting through error(node, message) each key that is not a plain name,
// not in `allowed` (naming the allowed ones) or repeated (naming the first's line); those are
// left out. `where` names the map in messages ("a timer of state 'open'"). O(keys x allowed).
template <class Error>
map_keys read_map_keys(const ynode& map, std::string_view where, std::initializer_list<std::string_view> allowed,
                       Error&& error) {
  map_keys out;
  std::string allowed_list;
  for (auto a : allowed) allowed_list += (allowed_list.empty() ? "" : ", ") + std::string(a);
  for (const auto& [k, v] : map.entries) {
    if (!k.is_scalar()) {
      error(k, "expected a key name in " + std::string(where) + ", found " + describe(k.kind));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), k.text) == allowed.end()) {
      error(k, "unknown key '" + k.text + "' in " + std::string(where) + " (expected one of: " + allowed_list + ")");
      continue;
    }
    if (const ynode* first = out.key(k.text)) {
      error(k, "duplicate key '" + k.text + "' in " + std::string(where) + " (first at line " +
                   std::to_string(first->line) + ")");
      continue;
    }
    out.found.emplace_back(k.text, &v);
    out.key_nodes.push_back(&k);
  }
  return out;
}

}  // namespace crmflow::loader
