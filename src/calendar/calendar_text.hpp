// The spellings calendars are written in: dates, shifts, UTC offsets, weekday names. Shared by
// the builder's messages and the YAML front end; no YAML here, so a different tree walker (the
// loader's) can reuse every check and message as is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crmflow/calendar.hpp"

namespace crmflow::calendar_text {

// `2026-02-15` -> days since 1970-01-01. On failure sets `reason` to why, without the date:
// `2026-02 has no day 30`, `there is no month 13`, `expected YYYY-MM-DD, like 2026-02-15`.
std::optional<std::int64_t> parse_date(std::string_view text, std::string& reason);

// `09:00-12:00` (spaces around `-` allowed; `24:00` only as an end). `where` ("mon",
// "2026-02-13") goes into the message. Errors name the shift and what is wrong: a bad hour,
// bad minutes, the wrong shape, an end at or before the start (with how to split a night shift).
std::optional<work_interval> parse_shift(std::string_view text, std::string_view where,
                                         std::string& error);

// `+08:00`, `-05:30`, `Z` -> minutes east of UTC, at most ±14:00.
std::optional<int> parse_utc_offset(std::string_view text, std::string& error);

// `mon` ... `sun`.
std::optional<weekday> parse_weekday(std::string_view text) noexcept;

// "mon, tue, wed, thu, fri, sat, sun".
inline constexpr std::string_view weekday_list = "mon, tue, wed, thu, fri, sat, sun";

// days since 1970-01-01 -> `2026-02-15`.
std::string format_date(std::int64_t day);

// minutes after midnight -> `09:00` (1440 -> `24:00`).
void append_hhmm(std::string& out, int minutes);

}  // namespace crmflow::calendar_text
