// notify/alarm texts: "{field}", "{case}", "{state}", "{flow}", "{{", "}}" -> template segments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crmflow/detail/program.hpp"

namespace crmflow::loader {

struct template_error {
  std::size_t offset = 0;  // byte offset in the template text
  std::string message;
};

// Appends the template's segments (and its literal text, to flow.text) and returns its index in
// flow.templates; fields are looked up in flow.field_by_name. nullopt and `error` (the first
// problem) if a placeholder is unknown or a brace is unbalanced.
std::optional<std::uint32_t> compile_template(std::string_view text, detail::flow_program& flow,
                                              template_error& error);

}  // namespace crmflow::loader
