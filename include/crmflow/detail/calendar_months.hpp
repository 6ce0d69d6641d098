// Calendar months: `handed_over_at + 3个月`, a timer `after: 1 year`. A month has no fixed
// length, so these are counted on the local calendar date of a zone, not in milliseconds.
// Inline and noexcept: the expression evaluator (eval.hpp) and the engine's timers call it.
#pragma once

#include <cstdint>
#include <limits>

#include "crmflow/value.hpp"

namespace crmflow::detail {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct civil_date {
  std::int64_t year = 1970;
  std::int64_t month = 1;  // 1..12
  std::int64_t day = 1;    // 1..31
};

constexpr civil_date civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr std::int64_t days_in_month(std::int64_t y, std::int64_t m) noexcept {
  if (m != 2) return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return leap ? 29 : 28;
}

// The loader refuses more than this many months in one literal (1000 years), which keeps the
// arithmetic below far from overflow for every month count it can be given.
inline constexpr std::int64_t max_calendar_months = 12000;

// `t` plus `months` calendar months (negative: minus), counted on the local date in the zone
// `utc_offset_minutes` east of UTC: the same local time of day, on the same day of the month
// `months` later; a day the target month lacks becomes its last day (2026-01-31 + 1 month =
// 2026-02-28, 2028-02-29 + 1 year = 2029-02-28, 2026-03-31 - 1 month = 2026-02-28). So adding
// is not associative across month ends: (Jan 31 + 1 month) + 1 month = Mar 28, Jan 31 +
// 2 months = Mar 31. Without daylight saving time a local time always exists, so the result
// is exact. Results beyond the int64 range saturate. O(1), no allocation.
constexpr timestamp add_calendar_months(timestamp t, std::int64_t months,
                                        int utc_offset_minutes) noexcept {
  constexpr std::int64_t day_ms = 86'400'000;
  const timestamp saturated = months >= 0 ? std::numeric_limits<timestamp>::max()
                                          : std::numeric_limits<timestamp>::min();
  const std::int64_t offset = std::int64_t{utc_offset_minutes} * 60'000;
  std::int64_t local = 0;
  if (__builtin_add_overflow(t, offset, &local)) return saturated;
  std::int64_t days = local / day_ms;
  std::int64_t in_day = local % day_ms;
  if (in_day < 0) {
    in_day += day_ms;
    --days;
  }
  const civil_date c = civil_from_days(days);
  const std::int64_t total = c.year * 12 + (c.month - 1) + months;
  std::int64_t y = total / 12;
  std::int64_t m0 = total % 12;
  if (m0 < 0) {
    m0 += 12;
    --y;
  }
  const std::int64_t m = m0 + 1;
  const std::int64_t dim = days_in_month(y, m);
  const std::int64_t d = c.day < dim ? c.day : dim;
  std::int64_t out = 0;
  if (__builtin_mul_overflow(days_from_civil(y, m, d), day_ms, &out) ||
      __builtin_add_overflow(out, in_day, &out) || __builtin_sub_overflow(out, offset, &out))
    return saturated;
  return out;
}

}  // namespace crmflow::detail
