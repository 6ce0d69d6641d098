// Instants and durations as text: crmflow/time.hpp (src/util/time.cpp).
#define BOOST_TEST_MODULE time
#include <boost/test/unit_test.hpp>

#include <crmflow/time.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>

// Lets BOOST_TEST print an optional timestamp when a check fails.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::optional<crmflow::timestamp>> {
  void operator()(std::ostream& os, const std::optional<crmflow::timestamp>& v) {
    if (v) os << *v;
    else os << "nullopt";
  }
};
}  // namespace boost::test_tools::tt_detail

using crmflow::days_ms;
using crmflow::hours_ms;
using crmflow::minutes_ms;
using crmflow::seconds_ms;
using crmflow::timestamp;

namespace {

// 2026-03-02T01:15:00Z, worked out independently (Python's datetime).
constexpr timestamp march2_0115z = 1772414100000;

std::optional<timestamp> parse(const char* s) { return crmflow::parse_timestamp(s); }

}  // namespace

BOOST_AUTO_TEST_SUITE(parse_timestamp)

BOOST_AUTO_TEST_CASE(offsets_and_z_name_the_same_instant) {
  BOOST_TEST(parse("2026-03-02T09:15:00+08:00") == march2_0115z);
  BOOST_TEST(parse("2026-03-02T01:15:00Z") == march2_0115z);
  BOOST_TEST(parse("2026-03-02T01:15:00z") == march2_0115z);
  BOOST_TEST(parse("2026-03-02t01:15:00Z") == march2_0115z);
  BOOST_TEST(parse("2026-03-02T01:15:00+00:00") == march2_0115z);
  BOOST_TEST(parse("2026-03-02T01:15:00-00:00") == march2_0115z);
  BOOST_TEST(parse("2026-03-01T20:15:00-05:00") == march2_0115z);
  BOOST_TEST(parse("2026-03-02T06:45:00+05:30") == march2_0115z);
  BOOST_TEST(parse("2026-03-02T00:45:00-00:30") == march2_0115z);
  BOOST_TEST(parse("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(parse("1970-01-01T08:00:00+08:00") == 0);
  BOOST_TEST(parse("1969-12-31T23:59:59Z") == -1000);
}

BOOST_AUTO_TEST_CASE(fractions_keep_milliseconds_and_truncate_the_rest) {
  BOOST_TEST(parse("2026-03-02T01:15:00.5Z") == march2_0115z + 500);
  BOOST_TEST(parse("2026-03-02T01:15:00.05Z") == march2_0115z + 50);
  BOOST_TEST(parse("2026-03-02T01:15:00.123+00:00") == march2_0115z + 123);
  BOOST_TEST(parse("2026-03-02T09:15:00.999+08:00") == march2_0115z + 999);
  BOOST_TEST(parse("2026-03-02T01:15:00.1239Z") == march2_0115z + 123);
  BOOST_TEST(parse("2026-03-02T01:15:00.123999999Z") == march2_0115z + 123);
  BOOST_TEST(parse("1969-12-31T23:59:59.500Z") == -500);
  BOOST_TEST(!parse("2026-03-02T01:15:00.Z"));
  BOOST_TEST(!parse("2026-03-02T01:15:00,5Z"));
}

BOOST_AUTO_TEST_CASE(calendar_edges) {
  BOOST_TEST(parse("2024-02-29T00:00:00Z") == 1709164800000);  // leap year
  BOOST_TEST(parse("2026-12-31T23:59:59.999Z") == 1798761599999);
  BOOST_TEST(parse("2027-01-01T00:00:00Z") == 1798761600000);
  BOOST_TEST(parse("2026-03-01T00:00:00Z") == *parse("2026-02-28T00:00:00Z") + days_ms);
}

BOOST_AUTO_TEST_CASE(rejects_impossible_dates_and_times) {
  BOOST_TEST(!parse("2026-02-29T00:00:00Z"));  // 2026 is not a leap year
  BOOST_TEST(!parse("2026-02-30T00:00:00Z"));
  BOOST_TEST(!parse("2026-04-31T00:00:00Z"));
  BOOST_TEST(!parse("2026-13-01T00:00:00Z"));
  BOOST_TEST(!parse("2026-00-10T00:00:00Z"));
  BOOST_TEST(!parse("2026-01-00T00:00:00Z"));
  BOOST_TEST(!parse("2026-01-32T00:00:00Z"));
  BOOST_TEST(!parse("2026-03-02T24:00:00Z"));
  BOOST_TEST(!parse("2026-03-02T23:60:00Z"));
  BOOST_TEST(!parse("2026-03-02T23:59:60Z"));
  BOOST_TEST(!parse("2026-03-02T09:15:00+24:00"));
  BOOST_TEST(!parse("2026-03-02T09:15:00+08:60"));
}

BOOST_AUTO_TEST_CASE(rejects_malformed_text) {
  BOOST_TEST(!parse(""));
  BOOST_TEST(!parse("2026"));
  BOOST_TEST(!parse("2026-03-02"));
  BOOST_TEST(!parse("2026-03-02T09:15:00"));       // no offset
  BOOST_TEST(!parse("2026-03-02T09:15+08:00"));    // no seconds
  BOOST_TEST(!parse("2026-03-02 09:15:00+08:00"));  // space for T
  BOOST_TEST(!parse("2026-3-02T09:15:00+08:00"));
  BOOST_TEST(!parse("2026-03-02T9:15:00+08:00"));
  BOOST_TEST(!parse("2026/03/02T09:15:00+08:00"));
  BOOST_TEST(!parse("2026-03-02T09:15:00+0800"));
  BOOST_TEST(!parse("2026-03-02T09:15:00+08"));
  BOOST_TEST(!parse("2026-03-02T09:15:00+08:0"));
  BOOST_TEST(!parse("2026-03-02T09:15:00 +08:00"));
  BOOST_TEST(!parse("2026-03-02T09:15:00+08:00 "));  // trailing junk
  BOOST_TEST(!parse("2026-03-02T09:15:00+08:00x"));
  BOOST_TEST(!parse("2026-03-02T01:15:00ZZ"));
  BOOST_TEST(!parse(" 2026-03-02T09:15:00+08:00"));
  BOOST_TEST(!parse("２０２６-03-02T09:15:00+08:00"));  // full-width digits
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(format)

BOOST_AUTO_TEST_CASE(format_timestamp_in_an_offset) {
  using crmflow::format_timestamp;
  BOOST_TEST(format_timestamp(march2_0115z, 8 * 60) == "2026-03-02T09:15:00+08:00");
  BOOST_TEST(format_timestamp(march2_0115z, 0) == "2026-03-02T01:15:00Z");
  BOOST_TEST(format_timestamp(march2_0115z, -5 * 60) == "2026-03-01T20:15:00-05:00");
  BOOST_TEST(format_timestamp(march2_0115z, -90) == "2026-03-01T23:45:00-01:30");
  BOOST_TEST(format_timestamp(march2_0115z + 7, 8 * 60) == "2026-03-02T09:15:00.007+08:00");
  BOOST_TEST(format_timestamp(0, 0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(format_timestamp(-500, 0) == "1969-12-31T23:59:59.500Z");
  BOOST_TEST(format_timestamp(-1, 8 * 60) == "1970-01-01T07:59:59.999+08:00");
  // Crossing midnight and a year end by the offset.
  BOOST_TEST(format_timestamp(1798761599999, 8 * 60) == "2027-01-01T07:59:59.999+08:00");
  BOOST_TEST(format_timestamp(1798761600000 - 8 * hours_ms, 8 * 60) == "2027-01-01T00:00:00+08:00");
}

// Regression: formatting an instant near the ends of the int64 range overflowed when the
// offset was added (undefined behaviour; UBSan flagged it) and printed garbage years such as
// -6911 or 10850. A timer can be due at the largest timestamp (engine saturates), and audit
// lines format that due time. Such instants now clamp to the four-digit years of RFC 3339.
BOOST_AUTO_TEST_CASE(format_timestamp_clamps_out_of_range_instants) {
  using crmflow::format_timestamp;
  constexpr timestamp max = std::numeric_limits<timestamp>::max();
  constexpr timestamp min = std::numeric_limits<timestamp>::min();
  BOOST_TEST(format_timestamp(max, 8 * 60) == "9999-12-31T23:59:59.999+08:00");
  BOOST_TEST(format_timestamp(max, 0) == "9999-12-31T23:59:59.999Z");
  BOOST_TEST(format_timestamp(max, -8 * 60) == "9999-12-31T23:59:59.999-08:00");
  BOOST_TEST(format_timestamp(min, 8 * 60) == "0000-01-01T00:00:00+08:00");
  BOOST_TEST(format_timestamp(min, 0) == "0000-01-01T00:00:00Z");
  BOOST_TEST(format_timestamp(253402300800000, 0) == "9999-12-31T23:59:59.999Z");
  // The extremes that parse still round-trip.
  BOOST_TEST(format_timestamp(*crmflow::parse_timestamp("0000-01-01T00:00:00+08:00"), 8 * 60) ==
             "0000-01-01T00:00:00+08:00");
  BOOST_TEST(format_timestamp(*crmflow::parse_timestamp("9999-12-31T23:59:59.999-08:00"), -8 * 60) ==
             "9999-12-31T23:59:59.999-08:00");
}

BOOST_AUTO_TEST_CASE(append_timestamp_appends) {
  std::string out = "at ";
  crmflow::append_timestamp(out, march2_0115z, 8 * 60);
  crmflow::append_timestamp(out, march2_0115z, 0);
  BOOST_TEST(out == "at 2026-03-02T09:15:00+08:002026-03-02T01:15:00Z");
}

BOOST_AUTO_TEST_CASE(round_trips) {
  const timestamp samples[] = {0,
                               -1,
                               -500,
                               1,
                               999,
                               march2_0115z,
                               march2_0115z + 1,
                               march2_0115z + 999,
                               1709164800000,  // 2024-02-29
                               1798761599999,
                               1798761600000,
                               253402300799999 - days_ms};  // 9999-12-30T23:59:59.999Z
  const int offsets[] = {0, 8 * 60, -5 * 60, 5 * 60 + 30, -(23 * 60 + 59), 23 * 60 + 59};
  for (const timestamp t : samples) {
    for (const int off : offsets) {
      const std::string text = crmflow::format_timestamp(t, off);
      BOOST_TEST_CONTEXT(t << " @" << off << " -> " << text) {
        const std::optional<timestamp> back = crmflow::parse_timestamp(text);
        BOOST_TEST(back == t);
        if (back) BOOST_TEST(crmflow::format_timestamp(*back, off) == text);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(format_duration_like_rules) {
  using crmflow::format_duration;
  BOOST_TEST(format_duration(0) == "0s");
  BOOST_TEST(format_duration(1) == "1ms");
  BOOST_TEST(format_duration(250) == "250ms");
  BOOST_TEST(format_duration(1500) == "1s500ms");
  BOOST_TEST(format_duration(90 * seconds_ms) == "1m30s");
  BOOST_TEST(format_duration(10 * minutes_ms) == "10m");
  BOOST_TEST(format_duration(hours_ms + 30 * minutes_ms) == "1h30m");
  BOOST_TEST(format_duration(24 * hours_ms) == "1d");
  BOOST_TEST(format_duration(10 * days_ms) == "10d");
  BOOST_TEST(format_duration(days_ms + 2 * hours_ms + 30 * minutes_ms) == "1d2h30m");
  BOOST_TEST(format_duration(days_ms + 1) == "1d1ms");
  BOOST_TEST(format_duration(-90 * seconds_ms) == "-1m30s");
  BOOST_TEST(format_duration(-1) == "-1ms");
  // The most negative value has no positive counterpart: it must not overflow.
  BOOST_TEST(format_duration(std::numeric_limits<std::int64_t>::min()) ==
             "-106751991167d7h12m55s808ms");
  BOOST_TEST(format_duration(std::numeric_limits<std::int64_t>::max()) ==
             "106751991167d7h12m55s807ms");
}

BOOST_AUTO_TEST_CASE(append_duration_appends) {
  std::string out = "limit=";
  crmflow::append_duration(out, 12 * hours_ms);
  out += ',';
  crmflow::append_duration(out, 0);
  BOOST_TEST(out == "limit=12h,0s");
}

BOOST_AUTO_TEST_SUITE_END()
