// parse_duration and parse_duration_text: the one place that knows how durations are written
// in rules (duration_text.hpp).
#include <cstdint>
#include <optional>
#include <string_view>

#include "crmflow/detail/calendar_months.hpp"
#include "crmflow/rule_set.hpp"
#include "loader/duration_text.hpp"

namespace crmflow {
namespace loader {
namespace {

struct unit_spelling {
  std::string_view text;
  duration_text::unit_kind kind;
  std::int64_t scale;  // milliseconds, or months
  int rank;            // larger units first: a part's rank must fall
};

using uk = duration_text::unit_kind;

// Every spelling; English words are matched whole, Chinese ones as the longest prefix of the
// run of non-ASCII text after the number (so 个小时 wins over a shorter match).
constexpr unit_spelling spellings[] = {
    {"year", uk::months, 12, 7},        {"years", uk::months, 12, 7},
    {"年", uk::months, 12, 7},
    {"month", uk::months, 1, 6},        {"months", uk::months, 1, 6},
    {"个月", uk::months, 1, 6},         {"個月", uk::months, 1, 6},
    {"week", uk::fixed, 7 * days_ms, 5}, {"weeks", uk::fixed, 7 * days_ms, 5},
    {"周", uk::fixed, 7 * days_ms, 5},  {"週", uk::fixed, 7 * days_ms, 5},
    {"星期", uk::fixed, 7 * days_ms, 5}, {"个星期", uk::fixed, 7 * days_ms, 5},
    {"個星期", uk::fixed, 7 * days_ms, 5},
    {"d", uk::fixed, days_ms, 4},       {"day", uk::fixed, days_ms, 4},
    {"days", uk::fixed, days_ms, 4},    {"天", uk::fixed, days_ms, 4},
    {"日", uk::fixed, days_ms, 4},
    {"h", uk::fixed, hours_ms, 3},      {"hour", uk::fixed, hours_ms, 3},
    {"hours", uk::fixed, hours_ms, 3},  {"小时", uk::fixed, hours_ms, 3},
    {"个小时", uk::fixed, hours_ms, 3}, {"小時", uk::fixed, hours_ms, 3},
    {"個小時", uk::fixed, hours_ms, 3},
    {"m", uk::fixed, minutes_ms, 2},    {"min", uk::fixed, minutes_ms, 2},
    {"minute", uk::fixed, minutes_ms, 2}, {"minutes", uk::fixed, minutes_ms, 2},
    {"分钟", uk::fixed, minutes_ms, 2}, {"分鐘", uk::fixed, minutes_ms, 2},
    {"分", uk::fixed, minutes_ms, 2},
    {"s", uk::fixed, seconds_ms, 1},    {"second", uk::fixed, seconds_ms, 1},
    {"seconds", uk::fixed, seconds_ms, 1}, {"秒", uk::fixed, seconds_ms, 1},
    {"秒钟", uk::fixed, seconds_ms, 1}, {"秒鐘", uk::fixed, seconds_ms, 1},
};

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_high(char c) noexcept { return static_cast<unsigned char>(c) >= 0x80; }

}  // namespace

std::string_view accepted_duration_units(bool with_months) noexcept {
  return with_months
             ? "accepted units: s 秒 second(s), m 分钟 minute(s), h 小时 hour(s), d 天 day(s), "
               "周 week(s), 个月 month(s), 年 year(s)"
             : "accepted units: s 秒 second(s), m 分钟 minute(s), h 小时 hour(s), d 天 day(s), "
               "周 week(s)";
}

std::string bad_duration_message(std::string_view text, const duration_error& error) {
  return "bad duration '" + std::string(text) + "': " + error.message;
}

std::optional<duration_text> parse_duration_text(std::string_view text, duration_error& error) {
  auto fail = [&](std::size_t at, std::string message) -> std::optional<duration_text> {
    error = {at, std::move(message)};
    return std::nullopt;
  };
  auto units = [] { return std::string(accepted_duration_units(true)); };
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i == text.size())
    return fail(0, "expected a number and a unit, like 24h, 24小时 or 24 hours (" + units() + ")");

  duration_text out;
  bool any = false;
  int previous_rank = 100;
  std::size_t first_unit_at = 0;
  while (i < text.size()) {
    const std::size_t number_at = i;
    std::int64_t number = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (__builtin_mul_overflow(number, std::int64_t{10}, &number) ||
          __builtin_add_overflow(number, std::int64_t{text[i] - '0'}, &number))
        return fail(number_at, "the number is too large");
      ++i;
    }
    if (i == number_at)
      return fail(number_at, "expected a whole number here (like 24h, 24小时 or 24 hours)");
    if (i < text.size() && (text[i] == '.' || text[i] == ','))
      return fail(i, "a duration is written in whole units: 90m or 90分钟, not 1.5h");
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t unit_at = i;
    if (i == text.size())
      return fail(number_at, "missing unit after '" +
                                 std::string(text.substr(number_at, i - number_at)) + "' (" +
                                 units() + ")");
    const unit_spelling* unit = nullptr;
    std::string_view written;
    if (is_letter(text[i])) {
      while (i < text.size() && is_letter(text[i])) ++i;
      written = text.substr(unit_at, i - unit_at);
      for (const unit_spelling& u : spellings)
        if (u.text == written) unit = &u;
    } else if (is_high(text[i])) {
      std::size_t end = i;
      while (end < text.size() && is_high(text[end])) ++end;
      written = text.substr(unit_at, end - unit_at);
      for (const unit_spelling& u : spellings)
        if (is_high(u.text[0]) && written.substr(0, u.text.size()) == u.text &&
            (!unit || u.text.size() > unit->text.size()))
          unit = &u;
      if (unit) {
        i = unit_at + unit->text.size();
        written = unit->text;
      } else {
        i = end;
      }
    } else {
      written = text.substr(unit_at, 1);
    }
    if (!unit) {
      if (written == "月")
        return fail(unit_at, "unknown unit '月' (write " +
                                 std::string(text.substr(number_at, unit_at - number_at)) +
                                 "个月 for a number of months)");
      return fail(unit_at, "unknown unit '" + std::string(written) + "' (" + units() + ")");
    }
    if (unit->rank >= previous_rank)
      return fail(unit_at, "units must go from the largest down, each once (like 1d12h, "
                           "1 hour 30 minutes or 1小时30分钟)");
    if (any && unit->kind != out.kind)
      return fail(unit_at, "calendar months and years cannot be combined with weeks, days, "
                           "hours, minutes or seconds (a month has no fixed length)");
    if (!any) first_unit_at = unit_at;
    previous_rank = unit->rank;
    out.kind = unit->kind;
    any = true;
    std::int64_t part = 0;
    if (__builtin_mul_overflow(number, unit->scale, &part) ||
        __builtin_add_overflow(out.amount, part, &out.amount))
      return fail(number_at, "the duration is too long");
    while (i < text.size() && is_space(text[i])) ++i;
  }
  if (out.kind == uk::months && out.amount > detail::max_calendar_months)
    return fail(first_unit_at, "at most " + std::to_string(detail::max_calendar_months) +
                                   " months (1000 years)");
  return out;
}

}  // namespace loader

std::optional<duration> parse_duration(std::string_view text) {
  loader::duration_error error;
  const auto d = loader::parse_duration_text(text, error);
  if (!d || d->kind != loader::duration_text::unit_kind::fixed) return std::nullopt;
  return d->amount;
}

}  // namespace crmflow
