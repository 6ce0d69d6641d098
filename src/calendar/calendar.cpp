// Calendar arithmetic. Working time is a non-decreasing function W(t): working milliseconds
// between a fixed anchor and t. Everything else is W and its inverse:
//   business_between(a, b) = W(b) - W(a);
//   add_business(t, d)     = the least r with W(r) >= W(t) + d.
// W at a day boundary, C(day), is whole weeks times the week's minutes, plus the part of the
// week before that weekday, plus the prefix sum of what dated exceptions add or remove before
// that day: O(log exceptions). The inverse is a binary search on days over C.
#include "crmflow/calendar.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "calendar/calendar_text.hpp"

namespace crmflow {

namespace detail {

struct calendar_data {
  struct profile {
    std::uint32_t first = 0;  // into intervals
    std::uint32_t count = 0;
    std::int64_t minutes = 0;
  };

  std::string name;
  std::string label;
  int offset_minutes = 480;
  bool any_work = false;

  std::vector<work_interval> intervals;
  std::vector<profile> profiles;  // 0..6: mon..sun; then one per dated exception

  std::int64_t week_minutes = 0;
  std::int64_t week_days = 0;
  std::int64_t week_prefix_minutes[8] = {};
  std::int64_t week_prefix_days[8] = {};

  // Dated exceptions, sorted by day. prefix_*[i]: what exceptions [0, i) add to the weekly
  // pattern (negative for a holiday on a working weekday).
  std::vector<std::int64_t> ex_day;
  std::vector<std::uint32_t> ex_profile;
  std::vector<std::int64_t> ex_prefix_minutes;
  std::vector<std::int64_t> ex_prefix_days;
};

}  // namespace detail

namespace {

using data_t = detail::calendar_data;

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// 1970-01-01 was a Thursday; shifting by 3 puts Mondays at multiples of 7.
constexpr std::int64_t week_pos(std::int64_t day) noexcept { return day + 3; }

constexpr int weekday_index(std::int64_t day) noexcept {
  return static_cast<int>(week_pos(day) - 7 * floor_div(week_pos(day), 7));
}

std::uint32_t profile_of(const data_t& d, std::int64_t day) noexcept {
  const auto it = std::lower_bound(d.ex_day.begin(), d.ex_day.end(), day);
  if (it != d.ex_day.end() && *it == day) return d.ex_profile[it - d.ex_day.begin()];
  return static_cast<std::uint32_t>(weekday_index(day));
}

std::span<const work_interval> intervals_of(const data_t& d, std::uint32_t p) noexcept {
  const auto& pr = d.profiles[p];
  return {d.intervals.data() + pr.first, pr.count};
}

// Working minutes in [anchor, day).
std::int64_t cum_minutes(const data_t& d, std::int64_t day) noexcept {
  const std::int64_t e = week_pos(day);
  const std::int64_t q = floor_div(e, 7);
  const auto r = static_cast<std::size_t>(e - 7 * q);
  const auto k = std::lower_bound(d.ex_day.begin(), d.ex_day.end(), day) - d.ex_day.begin();
  return q * d.week_minutes + d.week_prefix_minutes[r] + d.ex_prefix_minutes[k];
}

// Working days in [anchor, day).
std::int64_t cum_days(const data_t& d, std::int64_t day) noexcept {
  const std::int64_t e = week_pos(day);
  const std::int64_t q = floor_div(e, 7);
  const auto r = static_cast<std::size_t>(e - 7 * q);
  const auto k = std::lower_bound(d.ex_day.begin(), d.ex_day.end(), day) - d.ex_day.begin();
  return q * d.week_days + d.week_prefix_days[r] + d.ex_prefix_days[k];
}

// Instants are clamped to about ±1.1 million years around 1970, far beyond any real date, so
// that the day arithmetic below can never overflow (timestamp_max is a common "never").
constexpr timestamp instant_limit = timestamp{1} << 55;

constexpr timestamp clamp_instant(timestamp t) noexcept {
  return t < -instant_limit ? -instant_limit : t > instant_limit ? instant_limit : t;
}

struct local_time {
  std::int64_t day;  // days since 1970-01-01, local
  std::int64_t ms;   // since local midnight, 0 <= ms < days_ms
};

local_time to_local(const data_t& d, timestamp t) noexcept {
  const std::int64_t local = clamp_instant(t) + std::int64_t{d.offset_minutes} * minutes_ms;
  const std::int64_t day = floor_div(local, days_ms);
  return {day, local - day * days_ms};
}

timestamp to_utc(const data_t& d, std::int64_t day, std::int64_t ms) noexcept {
  return day * days_ms + ms - std::int64_t{d.offset_minutes} * minutes_ms;
}

// W(t): working milliseconds in [anchor, t).
std::int64_t worked(const data_t& d, timestamp t) noexcept {
  const local_time lt = to_local(d, t);
  std::int64_t w = cum_minutes(d, lt.day) * minutes_ms;
  for (const work_interval& iv : intervals_of(d, profile_of(d, lt.day))) {
    const std::int64_t s = iv.start * minutes_ms;
    const std::int64_t e = iv.end * minutes_ms;
    if (lt.ms <= s) break;
    w += std::min(lt.ms, e) - s;
  }
  return w;
}

// The least day in [lo, hi] with pred(day) true, or hi + 1. pred must be monotone.
template <class Pred>
std::int64_t first_day(std::int64_t lo, std::int64_t hi, Pred pred) {
  while (lo <= hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (pred(mid))
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return lo;
}

const data_t& empty_data() {
  static const data_t empty = [] {
    data_t d;
    d.profiles.assign(7, {});
    d.ex_prefix_minutes.assign(1, 0);
    d.ex_prefix_days.assign(1, 0);
    return d;
  }();
  return empty;
}

std::int64_t day_number(std::chrono::year_month_day date) {
  if (!date.ok()) throw std::invalid_argument("calendar: impossible date");
  return std::chrono::sys_days{date}.time_since_epoch().count();
}

std::vector<work_interval> checked_hours(std::vector<work_interval> hours) {
  if (std::string err = check_hours(hours); !err.empty())
    throw std::invalid_argument("calendar: " + err);
  std::sort(hours.begin(), hours.end(),
            [](const work_interval& a, const work_interval& b) { return a.start < b.start; });
  return hours;
}

}  // namespace

std::string_view to_string(weekday d) noexcept {
  static constexpr std::string_view names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  const auto i = static_cast<std::size_t>(d);
  return i < 7 ? names[i] : "?";
}

std::string format_interval(work_interval w) {
  std::string out;
  calendar_text::append_hhmm(out, w.start);
  out += '-';
  calendar_text::append_hhmm(out, w.end);
  return out;
}

std::string check_hours(std::span<const work_interval> hours) {
  for (const work_interval& w : hours) {
    if (w.start < 0 || w.end > 24 * 60 || w.start > 24 * 60 || w.end < 0)
      return "shift " + format_interval(w) + " is outside 00:00-24:00";
    if (w.end <= w.start) return "shift " + format_interval(w) + " ends before it starts";
  }
  for (std::size_t j = 0; j < hours.size(); ++j)
    for (std::size_t i = 0; i < j; ++i)
      if (hours[i].start < hours[j].end && hours[j].start < hours[i].end)
        return "shifts " + format_interval(hours[i]) + " and " + format_interval(hours[j]) +
               " overlap";
  return {};
}

// ---------------------------------------------------------------------------------------------
// calendar

calendar::calendar() noexcept = default;
calendar::calendar(std::shared_ptr<const detail::calendar_data> data) noexcept
    : data_(std::move(data)) {}

const std::string& calendar::name() const noexcept { return (data_ ? *data_ : empty_data()).name; }
const std::string& calendar::label() const noexcept {
  const data_t& d = data_ ? *data_ : empty_data();
  return d.label.empty() ? d.name : d.label;
}
int calendar::utc_offset_minutes() const noexcept {
  return (data_ ? *data_ : empty_data()).offset_minutes;
}
bool calendar::has_working_time() const noexcept { return data_ && data_->any_work; }

bool calendar::is_working(timestamp t) const noexcept {
  if (!data_) return false;
  const local_time lt = to_local(*data_, t);
  for (const work_interval& iv : intervals_of(*data_, profile_of(*data_, lt.day)))
    if (lt.ms >= iv.start * minutes_ms && lt.ms < iv.end * minutes_ms) return true;
  return false;
}

std::span<const work_interval> calendar::hours_on(std::chrono::year_month_day date) const noexcept {
  if (!data_ || !date.ok()) return {};
  const std::int64_t day = std::chrono::sys_days{date}.time_since_epoch().count();
  return intervals_of(*data_, profile_of(*data_, day));
}

bool calendar::is_working_day(std::chrono::year_month_day date) const noexcept {
  return !hours_on(date).empty();
}

duration calendar::business_between(timestamp a, timestamp b) const noexcept {
  if (!data_ || b <= a) return 0;
  return worked(*data_, b) - worked(*data_, a);
}

std::optional<timestamp> calendar::try_add_business(timestamp start, duration d) const noexcept {
  if (d < 0) return std::nullopt;
  if (d == 0) return start;
  if (!data_ || !data_->any_work || d > calendar_horizon_days * days_ms ||
      start != clamp_instant(start))
    return std::nullopt;
  const data_t& cal = *data_;
  const std::int64_t target = worked(cal, start) + d;
  const std::int64_t first = to_local(cal, start).day;
  const std::int64_t last = first + calendar_horizon_days;
  // The least day whose end has at least `target` worked: the result lies on that day.
  const std::int64_t day = first_day(
      first, last, [&](std::int64_t x) { return cum_minutes(cal, x + 1) * minutes_ms >= target; });
  if (day > last) return std::nullopt;
  // 0 < rest <= the day's working time, because the day before had less than target.
  std::int64_t rest = target - cum_minutes(cal, day) * minutes_ms;
  for (const work_interval& iv : intervals_of(cal, profile_of(cal, day))) {
    const std::int64_t len = (iv.end - iv.start) * minutes_ms;
    if (rest <= len) return to_utc(cal, day, iv.start * minutes_ms + rest);
    rest -= len;
  }
  return std::nullopt;  // unreachable: the tables are consistent
}

timestamp calendar::add_business(timestamp start, duration d) const {
  if (d < 0) throw std::invalid_argument("add_business: negative duration");
  if (auto r = try_add_business(start, d)) return *r;
  throw std::domain_error("calendar " + name() + ": no working time within " +
                          std::to_string(calendar_horizon_days) + " days");
}

std::optional<timestamp> calendar::try_add_working_days(timestamp start,
                                                        std::int64_t n) const noexcept {
  if (n < 0) return std::nullopt;
  if (n == 0) return start;
  if (!data_ || !data_->any_work || n > calendar_horizon_days) return std::nullopt;
  const data_t& cal = *data_;
  const auto from = next_working(start);
  if (!from) return std::nullopt;
  const local_time lt = to_local(cal, *from);
  const std::int64_t base = cum_days(cal, lt.day + 1);
  const std::int64_t last = lt.day + calendar_horizon_days;
  const std::int64_t day =
      first_day(lt.day + 1, last, [&](std::int64_t x) { return cum_days(cal, x + 1) - base >= n; });
  if (day > last) return std::nullopt;
  const auto hours = intervals_of(cal, profile_of(cal, day));
  if (hours.empty()) return std::nullopt;              // unreachable: the least such day works
  std::int64_t at = hours.front().start * minutes_ms;  // before the first interval
  for (const work_interval& iv : hours) {
    const std::int64_t s = iv.start * minutes_ms;
    const std::int64_t e = iv.end * minutes_ms;
    if (lt.ms < s) break;
    at = std::min(lt.ms, e);  // inside: the time itself; past it: the interval's end
  }
  return to_utc(cal, day, at);
}

std::optional<timestamp> calendar::next_working(timestamp t) const noexcept {
  if (is_working(t)) return t;
  // The earliest instant with 1 ms worked after t is 1 ms past the next working instant.
  const auto r = try_add_business(t, 1);
  if (!r) return std::nullopt;
  return *r - 1;
}

timestamp calendar::add_working_days(timestamp start, std::int64_t n) const {
  if (n < 0) throw std::invalid_argument("add_working_days: negative number of days");
  if (auto r = try_add_working_days(start, n)) return *r;
  throw std::domain_error("calendar " + name() + ": no working day within " +
                          std::to_string(calendar_horizon_days) + " days");
}

// ---------------------------------------------------------------------------------------------
// calendar_builder

calendar_builder::calendar_builder(std::string name) : name_(std::move(name)) {}

calendar_builder& calendar_builder::label(std::string text) {
  label_ = std::move(text);
  return *this;
}

calendar_builder& calendar_builder::utc_offset_minutes(int minutes) {
  if (minutes < -14 * 60 || minutes > 14 * 60)
    throw std::invalid_argument("calendar: UTC offset beyond ±14:00");
  utc_offset_minutes_ = minutes;
  return *this;
}

calendar_builder& calendar_builder::week_hours(weekday day, std::vector<work_interval> hours) {
  const auto i = static_cast<std::size_t>(day);
  if (i >= 7) throw std::invalid_argument("calendar: bad weekday");
  week_[i] = checked_hours(std::move(hours));
  return *this;
}

calendar_builder& calendar_builder::holiday(std::chrono::year_month_day date) {
  dated_.push_back({day_number(date), dated::what::holiday, weekday::mon, {}});
  return *this;
}

calendar_builder& calendar_builder::workday(std::chrono::year_month_day date, weekday as) {
  if (static_cast<std::size_t>(as) >= 7) throw std::invalid_argument("calendar: bad weekday");
  dated_.push_back({day_number(date), dated::what::workday_as, as, {}});
  return *this;
}

calendar_builder& calendar_builder::workday(std::chrono::year_month_day date,
                                            std::vector<work_interval> hours) {
  const std::int64_t day = day_number(date);
  dated_.push_back(
      {day, dated::what::workday_hours, weekday::mon, checked_hours(std::move(hours))});
  return *this;
}

calendar_builder& calendar_builder::override_hours(std::chrono::year_month_day date,
                                                   std::vector<work_interval> hours) {
  const std::int64_t day = day_number(date);
  dated_.push_back(
      {day, dated::what::override_hours, weekday::mon, checked_hours(std::move(hours))});
  return *this;
}

calendar calendar_builder::build() const {
  auto d = std::make_shared<data_t>();
  d->name = name_;
  d->label = label_;
  d->offset_minutes = utc_offset_minutes_;

  auto add_profile = [&](std::span<const work_interval> hours) {
    data_t::profile p;
    p.first = static_cast<std::uint32_t>(d->intervals.size());
    p.count = static_cast<std::uint32_t>(hours.size());
    for (const work_interval& w : hours) p.minutes += w.end - w.start;
    d->intervals.insert(d->intervals.end(), hours.begin(), hours.end());
    d->profiles.push_back(p);
    if (p.minutes > 0) d->any_work = true;
    return static_cast<std::uint32_t>(d->profiles.size() - 1);
  };

  for (std::size_t i = 0; i < 7; ++i) {
    add_profile(week_[i]);
    d->week_prefix_minutes[i + 1] = d->week_prefix_minutes[i] + d->profiles[i].minutes;
    d->week_prefix_days[i + 1] = d->week_prefix_days[i] + (d->profiles[i].minutes > 0 ? 1 : 0);
  }
  d->week_minutes = d->week_prefix_minutes[7];
  d->week_days = d->week_prefix_days[7];

  std::vector<const dated*> order;
  order.reserve(dated_.size());
  for (const dated& x : dated_) order.push_back(&x);
  std::stable_sort(order.begin(), order.end(),
                   [](const dated* a, const dated* b) { return a->day < b->day; });

  static constexpr const char* kind_names[] = {"a holiday", "a workday", "a workday",
                                               "an override"};
  d->ex_prefix_minutes.push_back(0);
  d->ex_prefix_days.push_back(0);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const dated& x = *order[i];
    if (i > 0 && order[i - 1]->day == x.day) {
      const dated& prev = *order[i - 1];
      if (prev.kind == dated::what::holiday && x.kind == dated::what::holiday) continue;
      throw std::invalid_argument("calendar " + name_ + ": " + calendar_text::format_date(x.day) +
                                  " is given twice (" + kind_names[static_cast<int>(prev.kind)] +
                                  " and " + kind_names[static_cast<int>(x.kind)] + ")");
    }
    std::span<const work_interval> hours;
    if (x.kind == dated::what::workday_as) {
      hours = week_[static_cast<std::size_t>(x.as)];
      if (hours.empty())
        throw std::invalid_argument("calendar " + name_ + ": workday " +
                                    calendar_text::format_date(x.day) + " takes the hours of " +
                                    std::string(to_string(x.as)) + ", which has none");
    } else if (x.kind != dated::what::holiday) {
      hours = x.hours;
    }
    const std::uint32_t p = add_profile(hours);
    const auto& normal = d->profiles[static_cast<std::size_t>(weekday_index(x.day))];
    d->ex_day.push_back(x.day);
    d->ex_profile.push_back(p);
    d->ex_prefix_minutes.push_back(d->ex_prefix_minutes.back() + d->profiles[p].minutes -
                                   normal.minutes);
    d->ex_prefix_days.push_back(d->ex_prefix_days.back() + (d->profiles[p].minutes > 0 ? 1 : 0) -
                                (normal.minutes > 0 ? 1 : 0));
  }
  return calendar(std::move(d));
}

// ---------------------------------------------------------------------------------------------
// business durations

namespace {

// `3个工作日`, `24个工作小时`, `90个工作分钟` (个 may be left out, spaces may separate the number
// and the unit): the same limits as `3 working days` and so on.
std::optional<business_duration> parse_chinese_business_duration(std::string_view text,
                                                                 std::string& error) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  const std::string_view t = trim(text);
  std::size_t i = 0;
  std::int64_t amount = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    if (__builtin_mul_overflow(amount, std::int64_t{10}, &amount) ||
        __builtin_add_overflow(amount, std::int64_t{t[i] - '0'}, &amount)) {
      error = "'" + std::string(text) + "' is too long";
      return std::nullopt;
    }
    ++i;
  }
  if (i == 0) {
    error = "expected a whole number first in '" + std::string(text) +
            "' (like 3个工作日 or 90个工作分钟)";
    return std::nullopt;
  }
  const std::string_view unit = trim(t.substr(i));
  struct known {
    std::string_view text;
    business_duration::unit kind;
    std::int64_t scale;
  };
  static constexpr known units[] = {
      {"个工作日", business_duration::unit::working_days, 1},
      {"工作日", business_duration::unit::working_days, 1},
      {"個工作日", business_duration::unit::working_days, 1},
      {"个工作小时", business_duration::unit::business_time, hours_ms},
      {"工作小时", business_duration::unit::business_time, hours_ms},
      {"個工作小時", business_duration::unit::business_time, hours_ms},
      {"工作小時", business_duration::unit::business_time, hours_ms},
      {"个工作分钟", business_duration::unit::business_time, minutes_ms},
      {"工作分钟", business_duration::unit::business_time, minutes_ms},
      {"個工作分鐘", business_duration::unit::business_time, minutes_ms},
      {"工作分鐘", business_duration::unit::business_time, minutes_ms},
  };
  for (const known& u : units) {
    if (unit != u.text) continue;
    business_duration out{u.kind, 0};
    if (__builtin_mul_overflow(amount, u.scale, &out.amount)) {
      error = "'" + std::string(text) + "' is too long";
      return std::nullopt;
    }
    return out;
  }
  error = (unit.empty() ? "missing unit after '" + std::string(t.substr(0, i)) + "'"
                        : "unknown unit '" + std::string(unit) + "'") +
          " (expected 个工作日, 个工作小时 or 个工作分钟)";
  return std::nullopt;
}

}  // namespace

std::optional<business_duration> parse_business_duration(std::string_view text,
                                                         std::string& error) {
  error.clear();
  if (text.find("工作") != std::string_view::npos) return parse_chinese_business_duration(text, error);
  if (text.find("working") == std::string_view::npos &&
      text.find("business") == std::string_view::npos)
    return std::nullopt;

  std::string_view words[4];
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    if (n == 4) {
      error = "too many words in '" + std::string(text) +
              "' (expected a number and a unit, like 3 working days)";
      return std::nullopt;
    }
    words[n++] = text.substr(i, j - i);
    i = j;
  }

  const std::string_view number = n > 0 ? words[0] : std::string_view{};
  std::int64_t amount = 0;
  bool is_number = !number.empty();
  for (char c : number) {
    if (c < '0' || c > '9' || __builtin_mul_overflow(amount, std::int64_t{10}, &amount) ||
        __builtin_add_overflow(amount, std::int64_t{c - '0'}, &amount)) {
      is_number = false;
      break;
    }
  }
  if (!is_number) {
    error = "expected a whole number first in '" + std::string(text) +
            "' (like 3 working days or 90 business minutes)";
    return std::nullopt;
  }

  std::string unit;
  for (std::size_t i = 1; i < n; ++i) {
    if (i > 1) unit += ' ';
    unit += words[i];
  }
  struct known {
    std::string_view singular, plural;
    business_duration::unit kind;
    std::int64_t scale;
  };
  static constexpr known units[] = {
      {"working day", "working days", business_duration::unit::working_days, 1},
      {"business hour", "business hours", business_duration::unit::business_time, hours_ms},
      {"business minute", "business minutes", business_duration::unit::business_time, minutes_ms},
  };
  for (const known& u : units) {
    if (unit != u.singular && unit != u.plural) continue;
    business_duration out{u.kind, 0};
    if (__builtin_mul_overflow(amount, u.scale, &out.amount)) {
      error = "'" + std::string(text) + "' is too long";
      return std::nullopt;
    }
    return out;
  }
  error = unit.empty() ? "missing unit after '" + std::string(number) + "'"
                       : "unknown unit '" + unit + "'";
  error += " (expected working days, business hours or business minutes)";
  return std::nullopt;
}

}  // namespace crmflow
