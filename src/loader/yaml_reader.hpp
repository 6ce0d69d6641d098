// YAML text -> a plain tree with 1-based positions. The rest of the loader never sees libyaml or
// yaml-cpp types, so the schema walk is ordinary C++ over vectors and the YAML libraries stay
// private. The tree is built from parser events: libyaml's (about 6x faster), and yaml-cpp's for
// any text libyaml refuses, which yaml-cpp 0.7 may still read (it is laxer), or reports.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmflow/diagnostic.hpp"
#include "crmflow/export.hpp"

namespace crmflow::loader {

enum class ynode_kind : unsigned char { null, scalar, sequence, map };

struct ynode {
  ynode_kind kind = ynode_kind::null;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
  // Scalars: the text, and how it was written: 0 plain, '"' or '\'' quoted, '|' or '>' block.
  std::string text;
  char style = 0;
  std::vector<ynode> items;                      // sequence
  std::vector<std::pair<ynode, ynode>> entries;  // map, in file order, duplicates kept

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
// one allocation per collection and per scalar longer than 15 bytes, on top of libyaml's
// scanner (most of the time); text libyaml refuses is parsed again by yaml-cpp, about 6x
// slower. The result is read_yaml_yamlcpp's for every text. Throws only std::bad_alloc.
std::optional<ynode> read_yaml(std::string_view text, const std::string& file,
                               std::vector<diagnostic>& out);

// The two paths of read_yaml, exported for tests/yaml_parsers_test.cpp, which checks that they
// agree.
//
// yaml-cpp 0.7's event parser: the reference. Its messages are the ones users see.
CRMFLOW_EXPORT std::optional<ynode> read_yaml_yamlcpp(std::string_view text,
                                                      const std::string& file,
                                                      std::vector<diagnostic>& out);

enum class libyaml_outcome : unsigned char {
  tree,      // `out` holds the tree, the same as read_yaml_yamlcpp's
  refused,   // libyaml reports a syntax error (yaml-cpp may still read the text, or not)
  declined,  // libyaml read it, but the document is to be refused (a second document, an alias
             // to an unknown anchor, past the size limits, a cycle) or is a case where the
             // parsers' positions differ (a byte order mark): yaml-cpp's path says what it says
};

// libyaml 0.2's event parser. Produces no diagnostic; `out` is only written for `tree`.
CRMFLOW_EXPORT libyaml_outcome read_yaml_libyaml(std::string_view text, ynode& out);

}  // namespace crmflow::loader
