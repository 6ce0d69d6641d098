#include "crmflow/time.hpp"

#include <algorithm>
#include <chrono>

namespace crmflow {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<timestamp> parse_timestamp(std::string_view s) noexcept {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  return ((days * 24 + h) * 60 + mi - offset) * minutes_ms + sec * seconds_ms + ms;
}

void append_timestamp(std::string& out, timestamp t, int utc_offset_minutes) {
  using namespace std::chrono;
  // RFC 3339 has four-digit years. Clamping first keeps the offset arithmetic from overflowing
  // (a timer can be due at the largest timestamp) and the calendar maths in range.
  constexpr std::int64_t first = -62167219200000;  // 0000-01-01T00:00:00Z
  constexpr std::int64_t last = 253402300799999;   // 9999-12-31T23:59:59.999Z
  t = std::clamp<std::int64_t>(t, first - days_ms, last + days_ms);
  const std::int64_t local =
      std::clamp<std::int64_t>(t + std::int64_t{utc_offset_minutes} * minutes_ms, first, last);
  std::int64_t days = local / days_ms;
  std::int64_t rest = local % days_ms;
  if (rest < 0) {
    rest += days_ms;
    --days;
  }
  const year_month_day ymd{sys_days{std::chrono::days{days}}};
  // Written into a local buffer and appended once (the audit trail formats one or two per
  // record). The clamps above keep the year within 0000-9999: four digits, as "%04d" wrote.
  char buf[32];
  char* p = buf;
  auto two = [&](int v) {
    *p++ = static_cast<char>('0' + v / 10);
    *p++ = static_cast<char>('0' + v % 10);
  };
  const int year = static_cast<int>(ymd.year());
  two(year / 100);
  two(year % 100);
  *p++ = '-';
  two(static_cast<int>(static_cast<unsigned>(ymd.month())));
  *p++ = '-';
  two(static_cast<int>(static_cast<unsigned>(ymd.day())));
  *p++ = 'T';
  two(static_cast<int>(rest / hours_ms));
  *p++ = ':';
  two(static_cast<int>(rest / minutes_ms % 60));
  *p++ = ':';
  two(static_cast<int>(rest / seconds_ms % 60));
  if (const int ms = static_cast<int>(rest % seconds_ms); ms != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + ms / 100);
    two(ms % 100);
  }
  if (utc_offset_minutes == 0) {
    *p++ = 'Z';
  } else {
    const int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    *p++ = utc_offset_minutes < 0 ? '-' : '+';
    two(off / 60);
    *p++ = ':';
    two(off % 60);
  }
  out.append(buf, static_cast<std::size_t>(p - buf));
}

std::string format_timestamp(timestamp t, int utc_offset_minutes) {
  std::string out;
  append_timestamp(out, t, utc_offset_minutes);
  return out;
}

void append_duration(std::string& out, duration d) {
  if (d == 0) {
    out += "0s";
    return;
  }
  std::uint64_t v = d < 0 ? 0 - static_cast<std::uint64_t>(d) : static_cast<std::uint64_t>(d);
  if (d < 0) out += '-';
  const struct {
    std::uint64_t ms;
    const char* unit;
  } units[] = {{static_cast<std::uint64_t>(days_ms), "d"},
               {static_cast<std::uint64_t>(hours_ms), "h"},
               {static_cast<std::uint64_t>(minutes_ms), "m"},
               {static_cast<std::uint64_t>(seconds_ms), "s"},
               {1, "ms"}};
  for (const auto& u : units) {
    if (v >= u.ms) {
      out += std::to_string(v / u.ms);
      out += u.unit;
      v %= u.ms;
    }
  }
}

std::string format_duration(duration d) {
  std::string out;
  append_duration(out, d);
  return out;
}

}  // namespace crmflow
