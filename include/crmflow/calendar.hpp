// Business calendars: when a site works, and time limits counted in working time.
//
// A calendar says, for every local date, which minutes of the day are working time: the
// weekly hours of that weekday, unless the date is a public holiday (off), an adjusted working
// day (调休上班: a weekend date that works) or an override with hours of its own (a short day
// before a holiday). Time limits such as `24 business hours` or `3 working days` are then
// measured along that calendar, exactly, across nights, weekends, holidays and make-up days.
//
// A calendar is built once (calendar_builder, or the YAML loader) and is immutable afterwards:
// copies share one read-only table, so a calendar is cheap to copy and safe to read from any
// number of threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/export.hpp"
#include "crmflow/value.hpp"

namespace crmflow {

// Working time within one local day: minutes after local midnight, [start, end), with
// 0 <= start < end <= 1440 (an end of 1440 is "24:00", the next midnight).
struct work_interval {
  int start = 0;
  int end = 0;

  friend bool operator==(const work_interval&, const work_interval&) = default;
};

enum class weekday : std::uint8_t { mon, tue, wed, thu, fri, sat, sun };

// "mon" ... "sun", the spelling used in rules files.
CRMFLOW_EXPORT std::string_view to_string(weekday d) noexcept;

// How far ahead add_business / add_working_days look for working time before they give up:
// 3,660 days (a little over ten years). Bounds the cost of a calendar that (almost) never works.
inline constexpr std::int64_t calendar_horizon_days = 3660;

namespace detail {
struct calendar_data;
}

// An immutable business calendar. A default-constructed calendar has no name and no working
// time at all. is_working, hours_on and business_between are O(log n) in the number of dated
// exceptions (holidays, workdays, overrides) plus O(k) in the intervals of the one or two days
// touched: whole weeks are skipped arithmetically, never walked. add_business,
// add_working_days and next_working add a binary search over the horizon's days,
// O(log horizon * log n) (about 80 ns on a 2026 office calendar). Queries never allocate.
//
// Instants are UTC milliseconds (crmflow::timestamp); the calendar's own utc_offset turns them
// into local dates and times of day. The offset is fixed (no daylight saving time). Instants
// further than about a million years from 1970 are clamped to that range (so a "never" such as
// INT64_MAX is safe to pass); add_business and add_working_days refuse to start from them.
class CRMFLOW_EXPORT calendar {
 public:
  calendar() noexcept;

  // The calendar's name as used in rules (`customer_centre`); its display label (客户中心).
  const std::string& name() const noexcept;
  const std::string& label() const noexcept;
  // Minutes east of UTC; China is +480.
  int utc_offset_minutes() const noexcept;

  // False if no day of the week and no dated day has any working time; add_business and
  // add_working_days on it fail (see below). The YAML front end already refuses a calendar
  // whose week has no working hours.
  bool has_working_time() const noexcept;

  // True if `t` lies inside a working interval (start inclusive, end exclusive: at 18:00 an
  // office that closes at 18:00 is no longer working).
  bool is_working(timestamp t) const noexcept;

  // The working hours on a local date, after holidays, workdays and overrides are applied;
  // empty on a day off. The span stays valid as long as any copy of this calendar lives.
  std::span<const work_interval> hours_on(std::chrono::year_month_day date) const noexcept;
  bool is_working_day(std::chrono::year_month_day date) const noexcept;

  // Working time in [a, b), in milliseconds; 0 if b <= a. Exact to the millisecond.
  duration business_between(timestamp a, timestamp b) const noexcept;

  // The earliest instant r >= start such that business_between(start, r) == d.
  //  - d == 0 returns start unchanged, even outside working time.
  //  - If start is outside working time, counting begins at the next working instant.
  //  - A result that falls exactly at the end of a working interval stays there (18:00 on the
  //    closing day, not 09:00 the next morning): that is the earliest instant the work time
  //    has elapsed, and an event at that instant is still on time.
  // Hence add_business(add_business(t, d1), d2) == add_business(t, d1 + d2) for every t.
  // try_add_business returns nullopt if d < 0 or if the result would fall on a local date more
  // than calendar_horizon_days after start's (in particular on a calendar with no working time);
  // add_business throws std::invalid_argument for d < 0 and std::domain_error otherwise.
  std::optional<timestamp> try_add_business(timestamp start, duration d) const noexcept;
  timestamp add_business(timestamp start, duration d) const;

  // The earliest working instant >= t: t itself if is_working(t), else the start of the next
  // working interval. nullopt if there is none within calendar_horizon_days.
  std::optional<timestamp> next_working(timestamp t) const noexcept;

  // `n working days` after start. Counting begins at s = next_working(start), as for
  // add_business; the result is on the n-th working day (a local date with any working hours)
  // after s's local date, at s's local time of day. If that time of day is not working time on
  // the target day (a short day, a make-up day with other hours):
  //  - after or between the day's intervals: the end of the last interval before it
  //    (Thu 16:00, 1 working day, Friday is a short day 09:00-15:00 -> Fri 15:00);
  //  - before the day's first interval: the start of that interval.
  // So: Thu 10:00 -> Fri 10:00; Thu 12:30 (lunch) -> Thu 13:30 -> Fri 13:30; Thu 19:00 (closed)
  // -> Fri 09:00 -> Mon 09:00; Sat 10:00 -> Mon 09:00 -> Tue 09:00. The result never decreases
  // as start increases, and on a calendar whose days all have the same hours
  // business_between(start, result) is exactly n days' worth of working time.
  // n == 0 returns start unchanged (like d == 0 above).
  // try_add_working_days returns nullopt if n < 0 or if the target day is more than
  // calendar_horizon_days after start; add_working_days throws std::invalid_argument for n < 0
  // and std::domain_error otherwise.
  std::optional<timestamp> try_add_working_days(timestamp start, std::int64_t n) const noexcept;
  timestamp add_working_days(timestamp start, std::int64_t n) const;

 private:
  friend class calendar_builder;
  explicit calendar(std::shared_ptr<const detail::calendar_data> data) noexcept;
  std::shared_ptr<const detail::calendar_data> data_;
};

// Builds a calendar. Not thread-safe; a builder may build several calendars.
// Hours passed in may be in any order; they are sorted. Every setter checks its own arguments
// and throws std::invalid_argument on a bad one (an interval outside 0..1440 or empty,
// overlapping intervals, an impossible date, an offset beyond ±14:00); build() throws
// std::invalid_argument if a date is given two meanings (holiday and workday, workday twice...)
// or a workday borrows the hours of a weekday that has none. The YAML front end checks all of
// this first and reports it with file:line:column, so the loader never sees these throws.
class CRMFLOW_EXPORT calendar_builder {
 public:
  explicit calendar_builder(std::string name);

  // Default: no label (label() returns the name).
  calendar_builder& label(std::string text);
  // Default: +480 (UTC+08:00, China).
  calendar_builder& utc_offset_minutes(int minutes);
  // Default: every weekday off.
  calendar_builder& week_hours(weekday day, std::vector<work_interval> hours);
  // A public holiday: no working time that date. Listing a date twice is harmless.
  calendar_builder& holiday(std::chrono::year_month_day date);
  // 调休上班: the date works with the weekly hours of `as`, or with explicit hours.
  calendar_builder& workday(std::chrono::year_month_day date, weekday as);
  calendar_builder& workday(std::chrono::year_month_day date, std::vector<work_interval> hours);
  // The date has exactly these hours (empty: off).
  calendar_builder& override_hours(std::chrono::year_month_day date,
                                   std::vector<work_interval> hours);

  // Cost: O(n log n) in the number of dated entries.
  calendar build() const;

 private:
  struct dated {
    std::int64_t day;  // days since 1970-01-01
    enum class what : std::uint8_t { holiday, workday_as, workday_hours, override_hours } kind;
    weekday as;
    std::vector<work_interval> hours;
  };
  std::string name_;
  std::string label_;
  int utc_offset_minutes_ = 480;
  std::vector<work_interval> week_[7];
  std::vector<dated> dated_;
};

// Checks one day's hours: every interval within 0..1440 and non-empty, no two overlapping
// (touching is fine: 00:00-12:00 and 12:00-24:00). Returns an empty string if they are fine,
// else a message naming the culprits, e.g. "shifts 08:00-14:00 and 12:00-20:00 overlap".
CRMFLOW_EXPORT std::string check_hours(std::span<const work_interval> hours);

// "09:00-12:00" (24:00 for 1440).
CRMFLOW_EXPORT std::string format_interval(work_interval w);

// A time limit counted along a business calendar.
struct business_duration {
  enum class unit : std::uint8_t {
    business_time,  // amount is milliseconds of working time (`24 business hours`)
    working_days,   // amount is a number of working days (`3 working days`)
  };
  unit kind = unit::business_time;
  std::int64_t amount = 0;

  friend bool operator==(const business_duration&, const business_duration&) = default;
};

// Parses `3 working days`, `1 working day`, `24 business hours`, `1 business hour`,
// `90 business minutes`, `1 business minute`: a positive whole number, one or more spaces, then
// the unit; or in Chinese `3个工作日`, `24个工作小时`, `90个工作分钟` (个 optional, spaces
// optional). Returns the value on success. On failure returns nullopt and sets `error`:
//  - `error` empty: the text mentions none of "working", "business" and "工作", so it is not a
//    business duration at all (the caller goes on to try a plain duration such as `24h`);
//  - `error` set: a malformed business duration, e.g. `expected a whole number first in
//    'three working days' (like 3 working days or 90 business minutes)`, or `unknown unit
//    'business days' (expected working days, business hours or business minutes)`.
// No allocation on success.
CRMFLOW_EXPORT std::optional<business_duration> parse_business_duration(std::string_view text,
                                                                        std::string& error);

}  // namespace crmflow
