// The keys of one YAML map checked against the keys its place in the schema allows. Every part
// of the loader (flows, migrations, tables, triggers, the report section) reads its maps
// through this, so an unknown or repeated key reads the same everywhere.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loader/where_text.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow::loader {

// The allowed keys a map has, first occurrences in file order. A place in the schema allows at
// most a dozen keys, so they are kept inline: reading a map's keys allocates nothing.
class map_keys {
 public:
  // The value of key `name`, or null if the map does not have it.
  const ynode* get(std::string_view name) const {
    for (std::size_t i = 0; i < size_; ++i)
      if (at(i).key->text == name) return at(i).value;
    return nullptr;
  }
  // The key node itself (for positions), or null.
  const ynode* key(std::string_view name) const {
    for (std::size_t i = 0; i < size_; ++i)
      if (at(i).key->text == name) return at(i).key;
    return nullptr;
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  void add(const ynode* key, const ynode* value) {
    if (size_ < inline_capacity) inline_[size_] = {key, value};
    else more_.push_back({key, value});
    ++size_;
  }

 private:
  struct entry {
    const ynode* key = nullptr;
    const ynode* value = nullptr;
  };
  static constexpr std::size_t inline_capacity = 16;
  const entry& at(std::size_t i) const { return i < inline_capacity ? inline_[i] : more_[i - inline_capacity]; }

  std::array<entry, inline_capacity> inline_{};
  std::size_t size_ = 0;
  std::vector<entry> more_;  // past inline_capacity: only for a longer `allowed` list
};

// "a, b, c": the allowed keys, for the message about an unknown one.
inline std::string list_keys(std::initializer_list<std::string_view> allowed) {
  std::string out;
  for (auto a : allowed) {
    if (!out.empty()) out += ", ";
    out += a;
  }
  return out;
}

// Reads `map`'s keys, reporting through error(node, message) each key that is not a plain name,
// not in `allowed` (naming the allowed ones) or repeated (naming the first's line); those are
// left out. `where` names the map in messages ("a timer of state 'open'"). O(keys x allowed).
template <class Error>
map_keys read_map_keys(const ynode& map, const where_text& where, std::initializer_list<std::string_view> allowed,
                       Error&& error) {
  map_keys out;
  for (const auto& [k, v] : map.entries) {
    if (!k.is_scalar()) {
      error(k, "expected a key name in " + where + ", found " + describe(k.kind));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), k.text) == allowed.end()) {
      error(k, "unknown key '" + k.text + "' in " + where + " (expected one of: " + list_keys(allowed) + ")");
      continue;
    }
    if (const ynode* first = out.key(k.text)) {
      error(k, "duplicate key '" + k.text + "' in " + where + " (first at line " +
                   std::to_string(first->line) + ")");
      continue;
    }
    out.add(&k, &v);
  }
  return out;
}

}  // namespace crmflow::loader
