// parse_duration: the one place that knows how durations are written in rules.
#include <cstdint>
#include <optional>
#include <string_view>

#include "crmflow/rule_set.hpp"

namespace crmflow {

std::optional<duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  duration total = 0;
  duration previous_unit = 0;  // units must go from the largest down: 1d12h, not 12h1d
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    std::int64_t number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (__builtin_mul_overflow(number, std::int64_t{10}, &number) ||
          __builtin_add_overflow(number, std::int64_t{text[i] - '0'}, &number))
        return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    duration unit = 0;
    switch (text[i]) {
      case 's': unit = seconds_ms; break;
      case 'm': unit = minutes_ms; break;
      case 'h': unit = hours_ms; break;
      case 'd': unit = days_ms; break;
      default: return std::nullopt;
    }
    ++i;
    if (previous_unit != 0 && unit >= previous_unit) return std::nullopt;
    previous_unit = unit;
    duration part = 0;
    if (__builtin_mul_overflow(number, unit, &part) || __builtin_add_overflow(total, part, &total))
      return std::nullopt;
  }
  return total;
}

}  // namespace crmflow
