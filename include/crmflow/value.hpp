// Values carried by cases and events. Every value is stored as one 64-bit word whose meaning
// is given by the schema (the field's or data item's declared type), so case records stay
// flat and comparisons are integer compares.
#pragma once

#include <cstdint>
#include <string_view>

namespace crmflow {

// Milliseconds since 1970-01-01T00:00:00Z. All engine time is UTC; offsets only matter when
// text is parsed or printed.
using timestamp = std::int64_t;
// A length of time in milliseconds.
using duration = std::int64_t;

inline constexpr duration seconds_ms = 1000;
inline constexpr duration minutes_ms = 60 * seconds_ms;
inline constexpr duration hours_ms = 60 * minutes_ms;
inline constexpr duration days_ms = 24 * hours_ms;

// The declared type of a field or an event data item.
enum class value_type : std::uint8_t { string, integer, boolean, enumeration, timestamp, duration };

// Name used in rules files ("string", "int", "bool", "enum", "timestamp", "duration").
constexpr std::string_view to_string(value_type t) noexcept {
  switch (t) {
    case value_type::string: return "string";
    case value_type::integer: return "int";
    case value_type::boolean: return "bool";
    case value_type::enumeration: return "enum";
    case value_type::timestamp: return "timestamp";
    case value_type::duration: return "duration";
  }
  return "?";
}

// Raw storage of a value. string: an id from the engine's string pool (0 is the empty string);
// int: the number; bool: 0 or 1; enum: index into the declared values; timestamp and duration:
// milliseconds.
using raw_value = std::int64_t;

// Dense ids, valid within one rule set. Interned at load time so the event path compares
// integers, never names.
using flow_id = std::uint16_t;
using state_id = std::uint16_t;
using event_id = std::uint16_t;
using field_id = std::uint16_t;
using slot_id = std::uint16_t;  // an event's data item
using timer_id = std::uint16_t;
using case_id = std::uint32_t;

inline constexpr std::uint16_t no_id16 = 0xFFFF;
inline constexpr std::uint32_t no_id32 = 0xFFFFFFFF;

}  // namespace crmflow
