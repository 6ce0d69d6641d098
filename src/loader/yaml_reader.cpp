#include "loader/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <new>
#include <sstream>

namespace crmflow::loader {
namespace {

// Aliases can make a document refer to itself, or expand exponentially ("billion laughs").
constexpr int max_depth = 256;
constexpr std::size_t max_nodes = 500'000;

struct converter {
  std::string_view source;
  std::size_t nodes = 0;
  bool too_big = false;
  int bad_line = 0;
  int bad_column = 0;

  void position(const YAML::Node& n, ynode& out, int fallback_line, int fallback_column) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0 || m.column < 0) {
      out.line = fallback_line;
      out.column = fallback_column;
    } else {
      out.line = m.line + 1;
      out.column = m.column + 1;
    }
  }

  bool convert(const YAML::Node& n, ynode& out, int depth, int fallback_line,
               int fallback_column) {
    if (++nodes > max_nodes || depth > max_depth) {
      if (!too_big) {
        too_big = true;
        bad_line = fallback_line;
        bad_column = fallback_column;
      }
      return false;
    }
    position(n, out, fallback_line, fallback_column);
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = ynode_kind::null;
        return true;
      case YAML::NodeType::Scalar: {
        out.kind = ynode_kind::scalar;
        out.text = n.Scalar();
        const YAML::Mark m = n.Mark();
        if (m.pos >= 0 && static_cast<std::size_t>(m.pos) < source.size()) {
          const char c = source[static_cast<std::size_t>(m.pos)];
          if (c == '"' || c == '\'' || c == '|' || c == '>') out.style = c;
        }
        return true;
      }
      case YAML::NodeType::Sequence:
        out.kind = ynode_kind::sequence;
        out.items.reserve(n.size());
        for (const YAML::Node& item : n) {
          ynode& child = out.items.emplace_back();
          if (!convert(item, child, depth + 1, out.line, out.column)) return false;
        }
        return true;
      case YAML::NodeType::Map:
        out.kind = ynode_kind::map;
        for (auto it = n.begin(); it != n.end(); ++it) {
          auto& entry = out.entries.emplace_back();
          if (!convert(it->first, entry.first, depth + 1, out.line, out.column)) return false;
          // A missing value ("key:") is marked at the next token: use the key's position.
          if (!convert(it->second, entry.second, depth + 1, entry.first.line,
                       entry.first.column))
            return false;
          if (entry.second.is_null()) {
            entry.second.line = entry.first.line;
            entry.second.column = entry.first.column;
          }
        }
        return true;
    }
    return true;
  }
};

}  // namespace

const char* describe(ynode_kind k) noexcept {
  switch (k) {
    case ynode_kind::null: return "nothing";
    case ynode_kind::scalar: return "a single value";
    case ynode_kind::sequence: return "a list";
    case ynode_kind::map: return "a map";
  }
  return "?";
}

std::optional<ynode> read_yaml(std::string_view text, const std::string& file,
                               std::vector<diagnostic>& out) {
  std::vector<YAML::Node> docs;
  try {
    std::istringstream in{std::string(text)};
    docs = YAML::LoadAll(in);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    const int column = e.mark.column < 0 ? 1 : e.mark.column + 1;
    out.push_back({severity::error, file, line, column, "malformed YAML: " + e.msg});
    return std::nullopt;
  } catch (const std::exception& e) {
    out.push_back({severity::error, file, 1, 1, std::string("malformed YAML: ") + e.what()});
    return std::nullopt;
  }
  if (docs.empty()) {
    ynode empty;
    empty.line = 1;
    empty.column = 1;
    return empty;
  }
  if (docs.size() > 1) {
    const YAML::Mark m = docs[1].Mark();
    out.push_back({severity::error, file, m.line < 0 ? 1 : m.line + 1,
                   m.column < 0 ? 1 : m.column + 1,
                   "a rules file holds one YAML document; found a second one (remove '---')"});
    return std::nullopt;
  }
  converter conv{text};
  ynode root;
  try {
    if (!conv.convert(docs[0], root, 0, 1, 1)) {
      out.push_back({severity::error, file, conv.bad_line, conv.bad_column,
                     "the document is nested too deeply or too large (check anchors and "
                     "aliases: '*name' must not refer to itself)"});
      return std::nullopt;
    }
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    out.push_back({severity::error, file, 1, 1, std::string("malformed YAML: ") + e.what()});
    return std::nullopt;
  }
  return root;
}

}  // namespace crmflow::loader
