#include "loader/template_compiler.hpp"

#include <optional>
#include <vector>

namespace crmflow::loader {

std::optional<std::uint32_t> compile_template(std::string_view text, detail::flow_program& flow,
                                              template_error& error) {
  using detail::segment_kind;
  std::vector<detail::template_segment> segments;
  std::string literal;  // pending text, flushed before each placeholder and at the end
  auto flush = [&] {
    if (literal.empty()) return;
    detail::template_segment s;
    s.kind = segment_kind::text;
    s.first = static_cast<std::uint32_t>(flow.text.size());
    s.length = static_cast<std::uint32_t>(literal.size());
    flow.text += literal;
    segments.push_back(s);
    literal.clear();
  };
  const std::size_t text_start = flow.text.size();

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      error = {i, "unmatched '}' in message (write '}}' for a brace)"};
      flow.text.resize(text_start);
      return std::nullopt;
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i + 1);
    const std::size_t open = text.find('{', i + 1);
    if (close == std::string_view::npos || (open != std::string_view::npos && open < close)) {
      error = {i, "unmatched '{' in message (write '{{' for a brace)"};
      flow.text.resize(text_start);
      return std::nullopt;
    }
    const std::string name(text.substr(i + 1, close - i - 1));
    detail::template_segment s;
    if (name == "case") {
      s.kind = segment_kind::case_name;
    } else if (name == "state") {
      s.kind = segment_kind::state;
    } else if (name == "flow") {
      s.kind = segment_kind::flow;
    } else if (auto it = flow.field_by_name.find(name); it != flow.field_by_name.end()) {
      s.kind = segment_kind::field;
      s.field = it->second;
    } else {
      error = {i, "'{" + name + "}' is not a field of the flow (expected a field name, " +
                      "{case}, {state} or {flow}; write '{{' for a brace)"};
      flow.text.resize(text_start);
      return std::nullopt;
    }
    flush();
    segments.push_back(s);
    i = close;
  }
  flush();

  detail::template_def def;
  def.first = static_cast<std::uint32_t>(flow.segments.size());
  def.count = static_cast<std::uint32_t>(segments.size());
  flow.segments.insert(flow.segments.end(), segments.begin(), segments.end());
  flow.templates.push_back(def);
  return static_cast<std::uint32_t>(flow.templates.size() - 1);
}

}  // namespace crmflow::loader
