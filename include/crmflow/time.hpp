// Reading and writing instants and durations as text (RFC 3339 instants, rule-style durations).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crmflow/export.hpp"
#include "crmflow/value.hpp"

namespace crmflow {

// Parses an RFC 3339 instant: `2026-03-02T09:15:00+08:00`, `2026-03-02T01:15:00Z`, optional
// fraction of a second (milliseconds kept, more digits truncated). Rejects anything else,
// including impossible dates (2026-02-30), hours past 23 and offsets past ±23:59. No allocation.
CRMFLOW_EXPORT std::optional<timestamp> parse_timestamp(std::string_view text) noexcept;

// Appends `t` as RFC 3339 in the given UTC offset (minutes east of UTC), with milliseconds only
// when they are not zero: `2026-03-02T09:15:00+08:00`; offset 0 prints `Z`. Local times outside
// years 0000-9999 are clamped to that range (`9999-12-31T23:59:59.999+08:00`).
CRMFLOW_EXPORT void append_timestamp(std::string& out, timestamp t, int utc_offset_minutes);
CRMFLOW_EXPORT std::string format_timestamp(timestamp t, int utc_offset_minutes);

// Appends a duration the way rules write it: `1d2h30m`, `90s` (`0s` for zero; a leading `-`
// for negative; milliseconds as `250ms` when not whole seconds).
CRMFLOW_EXPORT void append_duration(std::string& out, duration d);
CRMFLOW_EXPORT std::string format_duration(duration d);

}  // namespace crmflow
