// How lengths of time are written in rules, in English and in Chinese: `24h`, `24 hours`,
// `24小时`, `1小时30分钟`, `3天`, and calendar months `3个月`, `1年`, `3 months`, `1 year`.
// One parser for every place a duration is written (field defaults, `set: to:`, expression
// literals, timer `after:`, trigger windows, events files), so they all accept the same
// spellings and report the same errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crmflow/value.hpp"

namespace crmflow::loader {

struct duration_text {
  enum class unit_kind : std::uint8_t {
    fixed,   // amount is milliseconds (`24h`, `3天`)
    months,  // amount is calendar months (`3个月`; `1年` is 12)
  };
  unit_kind kind = unit_kind::fixed;
  std::int64_t amount = 0;
};

struct duration_error {
  std::size_t offset = 0;  // byte offset in the text of the part at fault
  std::string message;     // without the text itself, e.g. "unknown unit 'x' (accepted ...)"
};

// Parses one or more parts `<whole number> <unit>`, units from the largest down, each at most
// once (`1d12h`, `1 hour 30 minutes`, `1小时30分钟`), with optional spaces between number and
// unit and between parts. Calendar months and years cannot be combined with fixed units (a
// month has no fixed length): `1年6个月` is 18 months, `1个月3天` is an error. No allocation on
// success.
std::optional<duration_text> parse_duration_text(std::string_view text, duration_error& error);

// The accepted units, for messages: fixed ones only, or with calendar months and years.
std::string_view accepted_duration_units(bool with_months) noexcept;

// "bad duration '<text>': <what>", the one message every caller gives.
std::string bad_duration_message(std::string_view text, const duration_error& error);

}  // namespace crmflow::loader
