// yaml-cpp -> a plain tree with 1-based positions. The rest of the loader never sees yaml-cpp
// types, so the schema walk is ordinary C++ over vectors and the YAML library stays private.
// The tree is built from yaml-cpp's parser events, without yaml-cpp's own node tree.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmflow/diagnostic.hpp"

namespace crmflow::loader {

enum class ynode_kind : unsigned char { null, scalar, sequence, map };

struct ynode {
  ynode_kind kind = ynode_kind::null;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
  // Scalars: the text, and how it was written: 0 plain, '"' or '\'' quoted, '|' or '>' block.
  std::string text;
  char style = 0;
  std::vector<ynode> items;                         // sequence
  std::vector<std::pair<ynode, ynode>> entries;     // map, in file order, duplicates kept

  bool is_null() const noexcept { return kind == ynode_kind::null; }
  bool is_scalar() const noexcept { return kind == ynode_kind::scalar; }
  bool is_sequence() const noexcept { return kind == ynode_kind::sequence; }
  bool is_map() const noexcept { return kind == ynode_kind::map; }
};

// "a map", "a list", "a single value", "nothing": for "expected X, found Y" messages.
const char* describe(ynode_kind k) noexcept;

// Parses one YAML document. On malformed YAML appends a diagnostic (with the parser's position)
// and returns nullopt. Anchors and aliases are expanded; a cycle or an expansion beyond a fixed
// size is reported rather than followed. An empty document is a null node at 1:1. Costs about
// one allocation per collection and per scalar longer than 15 bytes, on top of yaml-cpp's
// scanner (most of the time). Throws only std::bad_alloc.
std::optional<ynode> read_yaml(std::string_view text, const std::string& file,
                               std::vector<diagnostic>& out);

}  // namespace crmflow::loader
