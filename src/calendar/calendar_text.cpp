#include "calendar/calendar_text.hpp"

#include <chrono>
#include <cstdio>

namespace crmflow::calendar_text {
namespace {

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int to_int(std::string_view s) noexcept {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

constexpr std::string_view shape_hint = "(expected HH:MM-HH:MM, like 09:00-12:00)";

// `HH:MM` -> minutes. `end` allows 24:00.
std::optional<int> parse_hhmm(std::string_view t, std::string_view whole, std::string_view where,
                              bool end, std::string& error) {
  const auto colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 ||
      !all_digits(t.substr(0, colon)) || t.size() != colon + 3 ||
      !all_digits(t.substr(colon + 1))) {
    error =
        "bad shift " + quoted(whole) + " on " + std::string(where) + " " + std::string(shape_hint);
    return std::nullopt;
  }
  const int h = to_int(t.substr(0, colon));
  const int m = to_int(t.substr(colon + 1));
  if (m > 59) {
    error = "bad time " + quoted(t) + " in shift " + quoted(whole) + " on " + std::string(where) +
            " (minutes run from 00 to 59)";
    return std::nullopt;
  }
  if (h > 24 || (h == 24 && (m != 0 || !end))) {
    error = "bad time " + quoted(t) + " in shift " + quoted(whole) + " on " + std::string(where) +
            " (hours run from 00 to 23; 24:00 may only end a shift)";
    return std::nullopt;
  }
  return h * 60 + m;
}

}  // namespace

std::optional<std::int64_t> parse_date(std::string_view text, std::string& reason) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !all_digits(text.substr(0, 4)) ||
      !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2))) {
    reason = "expected YYYY-MM-DD, like 2026-02-15";
    return std::nullopt;
  }
  using namespace std::chrono;
  const int y = to_int(text.substr(0, 4));
  const unsigned mo = static_cast<unsigned>(to_int(text.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(to_int(text.substr(8, 2)));
  if (mo < 1 || mo > 12) {
    reason = "there is no month " + std::string(text.substr(5, 2));
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok()) {
    reason = std::string(text.substr(0, 7)) + " has no day " + std::string(text.substr(8, 2));
    return std::nullopt;
  }
  return sys_days{ymd}.time_since_epoch().count();
}

std::optional<work_interval> parse_shift(std::string_view text, std::string_view where,
                                         std::string& error) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    error =
        "bad shift " + quoted(text) + " on " + std::string(where) + " " + std::string(shape_hint);
    return std::nullopt;
  }
  const auto start = parse_hhmm(trim(text.substr(0, dash)), text, where, false, error);
  if (!start) return std::nullopt;
  const auto end = parse_hhmm(trim(text.substr(dash + 1)), text, where, true, error);
  if (!end) return std::nullopt;
  if (*end == *start) {
    error = "shift " + quoted(text) + " on " + std::string(where) + " is empty";
    return std::nullopt;
  }
  if (*end < *start) {
    std::string night = "shift " + quoted(text) + " on " + std::string(where) +
                        " ends before it starts (a shift past midnight is written as two: ";
    append_hhmm(night, *start);
    night += "-24:00 on one day, 00:00-";
    append_hhmm(night, *end);
    night += " on the next)";
    error = std::move(night);
    return std::nullopt;
  }
  return work_interval{*start, *end};
}

std::optional<int> parse_utc_offset(std::string_view text, std::string& error) {
  if (text == "Z") return 0;
  if (text.size() == 6 && (text[0] == '+' || text[0] == '-') && all_digits(text.substr(1, 2)) &&
      text[3] == ':' && all_digits(text.substr(4, 2))) {
    const int h = to_int(text.substr(1, 2));
    const int m = to_int(text.substr(4, 2));
    const int total = h * 60 + m;
    if (m < 60 && total <= 14 * 60) return text[0] == '-' ? -total : total;
  }
  error = "bad utc_offset " + quoted(text) +
          " (expected +HH:MM or -HH:MM between -14:00 and +14:00, like +08:00)";
  return std::nullopt;
}

std::optional<weekday> parse_weekday(std::string_view text) noexcept {
  for (int i = 0; i < 7; ++i)
    if (text == to_string(static_cast<weekday>(i))) return static_cast<weekday>(i);
  return std::nullopt;
}

std::string format_date(std::int64_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

void append_hhmm(std::string& out, int minutes) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  out += buf;
}

}  // namespace crmflow::calendar_text
