// Visit cycles (回访, domain.md section 3): calendar-month arithmetic at month ends and in leap
// years, duration spellings in Chinese and English, timers `at:` an instant and `after:`
// calendar months, the loader's errors for them (exact positions), and the bundled
// rules/visits.yaml through the engine: home visits falling due with their exclusions read at
// due time, overdue visits, repair deadlines and a round's written summary 3 days after it ends.
// The golden scripts tests/golden/visits_* pin the whole timelines.
#define BOOST_TEST_MODULE visit
#include "test_support.hpp"

#include <limits>
#include <string>
#include <vector>

#include "crmflow/detail/calendar_months.hpp"
#include "loader/duration_text.hpp"

using namespace crmflow;
using crmflow_test::d;
using crmflow_test::h;
using crmflow_test::lines;
using crmflow_test::load_ok;
using crmflow_test::m;
using crmflow_test::s;

namespace {

timestamp T(std::string_view text) {
  const auto t = parse_timestamp(text);
  BOOST_TEST_REQUIRE(t.has_value(), "bad test time " << text);
  return *t;
}

std::string plus_months(std::string_view at, std::int64_t months, int offset = 480) {
  return format_timestamp(detail::add_calendar_months(T(at), months, offset), offset);
}

std::string show(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& x : ds) out += to_string(x) + "\n";
  return out;
}

std::string errors_of(const std::string& yaml) {
  const load_result r = load_rules_from_string(yaml, "t.yaml");
  BOOST_TEST(!r.ok());
  return show(r.diagnostics);
}

}  // namespace

// ---- calendar months --------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(calendar_months)

BOOST_AUTO_TEST_CASE(month_ends_clamp_to_the_last_day) {
  BOOST_TEST(plus_months("2026-01-31T10:00:00+08:00", 1) == "2026-02-28T10:00:00+08:00");
  BOOST_TEST(plus_months("2028-01-31T10:00:00+08:00", 1) == "2028-02-29T10:00:00+08:00");
  BOOST_TEST(plus_months("2026-01-31T10:00:00+08:00", 3) == "2026-04-30T10:00:00+08:00");
  BOOST_TEST(plus_months("2026-03-31T23:59:59.999+08:00", 1) == "2026-04-30T23:59:59.999+08:00");
  BOOST_TEST(plus_months("2026-08-31T00:00:00+08:00", 1) == "2026-09-30T00:00:00+08:00");
  BOOST_TEST(plus_months("2026-01-30T08:00:00+08:00", 1) == "2026-02-28T08:00:00+08:00");
  BOOST_TEST(plus_months("2026-01-28T08:00:00+08:00", 1) == "2026-02-28T08:00:00+08:00");
  BOOST_TEST(plus_months("2026-02-28T09:00:00+08:00", 1) == "2026-03-28T09:00:00+08:00");
}

BOOST_AUTO_TEST_CASE(not_associative_across_month_ends) {
  const timestamp jan31 = T("2026-01-31T10:00:00+08:00");
  const timestamp twice = detail::add_calendar_months(detail::add_calendar_months(jan31, 1, 480), 1, 480);
  BOOST_TEST(format_timestamp(twice, 480) == "2026-03-28T10:00:00+08:00");
  BOOST_TEST(plus_months("2026-01-31T10:00:00+08:00", 2) == "2026-03-31T10:00:00+08:00");
}

BOOST_AUTO_TEST_CASE(years_and_leap_days) {
  BOOST_TEST(plus_months("2028-02-29T12:00:00+08:00", 12) == "2029-02-28T12:00:00+08:00");
  BOOST_TEST(plus_months("2028-02-29T12:00:00+08:00", 48) == "2032-02-29T12:00:00+08:00");
  BOOST_TEST(plus_months("2096-02-29T12:00:00+08:00", 48) == "2100-02-28T12:00:00+08:00");
  BOOST_TEST(plus_months("1996-02-29T12:00:00+08:00", 48) == "2000-02-29T12:00:00+08:00");
  BOOST_TEST(plus_months("2026-12-15T09:30:00+08:00", 1) == "2027-01-15T09:30:00+08:00");
  BOOST_TEST(plus_months("2026-06-15T09:00:00+08:00", 12) == "2027-06-15T09:00:00+08:00");
}

BOOST_AUTO_TEST_CASE(subtracting_months) {
  BOOST_TEST(plus_months("2026-03-31T10:00:00+08:00", -1) == "2026-02-28T10:00:00+08:00");
  BOOST_TEST(plus_months("2026-01-15T10:00:00+08:00", -1) == "2025-12-15T10:00:00+08:00");
  BOOST_TEST(plus_months("2029-02-28T10:00:00+08:00", -12) == "2028-02-28T10:00:00+08:00");
  BOOST_TEST(plus_months("1970-01-01T00:00:00+08:00", -1) == "1969-12-01T00:00:00+08:00");
}

// The local date decides: 2026-01-30T20:00Z is 31 January at 04:00 in China.
BOOST_AUTO_TEST_CASE(counted_on_the_local_date_of_the_zone) {
  BOOST_TEST(plus_months("2026-01-30T20:00:00Z", 1, 480) == "2026-02-28T04:00:00+08:00");
  BOOST_TEST(plus_months("2026-01-30T20:00:00Z", 1, 0) == "2026-02-28T20:00:00Z");
  BOOST_TEST(format_timestamp(detail::add_calendar_months(T("2026-01-30T20:00:00Z"), 1, 480), 0) ==
             "2026-02-27T20:00:00Z");
}

BOOST_AUTO_TEST_CASE(saturates_instead_of_overflowing) {
  constexpr timestamp max = std::numeric_limits<timestamp>::max();
  constexpr timestamp min = std::numeric_limits<timestamp>::min();
  BOOST_TEST(detail::add_calendar_months(max, 1, 480) == max);
  BOOST_TEST(detail::add_calendar_months(max - 1000, 12000, 0) == max);
  BOOST_TEST(detail::add_calendar_months(min, -1, 480) == min);
  BOOST_TEST(detail::add_calendar_months(0, 0, 480) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- duration spellings -------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(duration_spellings)

BOOST_AUTO_TEST_CASE(chinese_and_english_units_give_the_same_durations) {
  const std::pair<const char*, duration> cases[] = {
      {"24h", 24 * h},        {"24小时", 24 * h},       {"24个小时", 24 * h},
      {"24 hours", 24 * h},   {"24 小时", 24 * h},      {"1 hour", h},
      {"10m", 10 * m},        {"10分钟", 10 * m},       {"10 minutes", 10 * m},
      {"10min", 10 * m},      {"10分", 10 * m},         {"90s", 90 * s},
      {"90秒", 90 * s},       {"90 seconds", 90 * s},   {"3d", 3 * d},
      {"3天", 3 * d},         {"3日", 3 * d},           {"3 days", 3 * d},
      {"2周", 14 * d},        {"2 weeks", 14 * d},      {"1个星期", 7 * d},
      {"1h30m", 90 * m},      {"1h 30m", 90 * m},       {"1小时30分钟", 90 * m},
      {"1 hour 30 minutes", 90 * m}, {"1天12小时", 36 * h}, {"1d12h", 36 * h},
      {"0s", 0},              {"24小時", 24 * h},       {"10分鐘", 10 * m},
  };
  for (const auto& [text, want] : cases) {
    BOOST_TEST_INFO(text);
    BOOST_TEST(parse_duration(text) == std::optional<duration>(want));
  }
}

BOOST_AUTO_TEST_CASE(calendar_months_and_years) {
  using uk = loader::duration_text::unit_kind;
  const std::pair<const char*, std::int64_t> cases[] = {
      {"3个月", 3},  {"3 months", 3}, {"1 month", 1},   {"1年", 12},  {"1 year", 12},
      {"2 years", 24}, {"1年6个月", 18}, {"1 year 6 months", 18}, {"3個月", 3}, {"12个月", 12},
  };
  for (const auto& [text, months] : cases) {
    BOOST_TEST_INFO(text);
    loader::duration_error err;
    const auto t = loader::parse_duration_text(text, err);
    BOOST_TEST_REQUIRE(t.has_value());
    BOOST_TEST((t->kind == uk::months));
    BOOST_TEST(t->amount == months);
    // A month has no fixed length: never a plain duration.
    BOOST_TEST(!parse_duration(text).has_value());
  }
}

BOOST_AUTO_TEST_CASE(bad_spellings_name_the_part_and_the_accepted_units) {
  const std::string units =
      "(accepted units: s 秒 second(s), m 分钟 minute(s), h 小时 hour(s), d 天 day(s), 周 "
      "week(s), 个月 month(s), 年 year(s))";
  const std::tuple<const char*, std::size_t, std::string> cases[] = {
      {"24x", 2, "unknown unit 'x' " + units},
      {"3 fortnights", 2, "unknown unit 'fortnights' " + units},
      {"3星", 1, "unknown unit '星' " + units},
      {"3月", 1, "unknown unit '月' (write 3个月 for a number of months)"},
      {"10", 0, "missing unit after '10' " + units},
      {"1.5h", 1, "a duration is written in whole units: 90m or 90分钟, not 1.5h"},
      {"三天", 0, "expected a whole number here (like 24h, 24小时 or 24 hours)"},
      {"-1h", 0, "expected a whole number here (like 24h, 24小时 or 24 hours)"},
      {"30m1h", 4, "units must go from the largest down, each once (like 1d12h, 1 hour 30 "
                   "minutes or 1小时30分钟)"},
      {"1小时1小时", 8, "units must go from the largest down, each once (like 1d12h, 1 hour 30 "
                          "minutes or 1小时30分钟)"},
      {"1个月3天", 8, "calendar months and years cannot be combined with weeks, days, hours, "
                       "minutes or seconds (a month has no fixed length)"},
      {"12001个月", 5, "at most 12000 months (1000 years)"},
      {"99999999999999999999s", 0, "the number is too large"},
      {"9223372036854775807d", 0, "the duration is too long"},
      {"", 0, "expected a number and a unit, like 24h, 24小时 or 24 hours " + units},
  };
  for (const auto& [text, offset, message] : cases) {
    BOOST_TEST_INFO(text);
    loader::duration_error err;
    BOOST_TEST(!loader::parse_duration_text(text, err).has_value());
    BOOST_TEST(err.offset == offset);
    BOOST_TEST(err.message == message);
  }
}

BOOST_AUTO_TEST_CASE(chinese_business_time) {
  using u = business_duration::unit;
  std::string err;
  const std::pair<const char*, business_duration> cases[] = {
      {"3个工作日", {u::working_days, 3}},       {"3工作日", {u::working_days, 3}},
      {"3 个工作日", {u::working_days, 3}},      {"24个工作小时", {u::business_time, 24 * h}},
      {"24工作小时", {u::business_time, 24 * h}}, {"90个工作分钟", {u::business_time, 90 * m}},
  };
  for (const auto& [text, want] : cases) {
    BOOST_TEST_INFO(text);
    BOOST_TEST((parse_business_duration(text, err) == std::optional<business_duration>(want)));
    BOOST_TEST(err.empty());
  }
  // The same as the English spellings.
  BOOST_TEST((parse_business_duration("3个工作日", err) == parse_business_duration("3 working days", err)));
  BOOST_TEST((parse_business_duration("24个工作小时", err) == parse_business_duration("24 business hours", err)));
  BOOST_TEST(!parse_business_duration("3个工作周", err).has_value());
  BOOST_TEST(err == "unknown unit '个工作周' (expected 个工作日, 个工作小时 or 个工作分钟)");
  BOOST_TEST(!parse_business_duration("三个工作日", err).has_value());
  BOOST_TEST(err == "expected a whole number first in '三个工作日' (like 3个工作日 or 90个工作分钟)");
  BOOST_TEST(!parse_business_duration("3小时", err).has_value());
  BOOST_TEST(err.empty());  // not business time: the caller reads it as calendar time
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the loader -------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(loader_errors)

// Line numbers count from here: `timers:` of state a is on line 10, its first timer on line 11.
std::string flow_with(const std::string& field_lines, const std::string& timer_lines,
                      const std::string& guard = "true") {
  return "flows:\n  f:\n    fields:\n      h: {type: timestamp}\n      d: {type: duration}\n" +
         field_lines + "    events: {go: , late: }\n    initial: a\n    states:\n      a:\n" +
         "        timers:\n" + timer_lines + "        on: {go: {to: z, if: \"" + guard +
         "\"}, late: {to: z}}\n      z: {final: true}\n";
}

BOOST_AUTO_TEST_CASE(spellings_in_every_place_load) {
  const auto rules = load_ok(flow_with("      e: {type: duration, default: 24小时}\n",
                                       "          - {name: t1, after: 3个月, event: late}\n"
                                       "          - {name: t2, after: 1 year, event: late}\n"
                                       "          - {name: t3, after: 90分钟, event: late}\n"
                                       "          - {name: t4, at: h + 1年6个月, event: late}\n",
                                       "d < 1小时30分钟 and e == 1 day and h + 3 months > now and d != 2 小时"));
  const detail::flow_program& f = rules->flow(0);
  BOOST_TEST(f.fields[2].initial == 24 * h);
  BOOST_TEST((f.timers[0].clock == detail::timer_clock::calendar_months));
  BOOST_TEST(f.timers[0].business_amount == 3);
  BOOST_TEST(f.timers[1].business_amount == 12);
  BOOST_TEST((f.timers[2].clock == detail::timer_clock::calendar_time));
  BOOST_TEST(f.timers[2].after == 90 * m);
  BOOST_TEST((f.timers[3].clock == detail::timer_clock::at_time));
  BOOST_TEST(f.timers[3].at_text == "h + 1年6个月");
  BOOST_TEST(f.utc_offset_minutes == 480);
}

BOOST_AUTO_TEST_CASE(trigger_windows_and_cooldowns_take_chinese_units) {
  const auto rules = load_ok(R"(flows:
  f:
    fields: {k: {type: string}}
    events: {go: }
    initial: a
    states:
      a: {on: {go: {to: z}}}
      z: {final: true}
triggers:
  t:
    on: {flow: f, event: go}
    key: k
    count: 3
    window: 30天
    cooldown: 1周
    alarm: {name: x, message: m}
)");
  BOOST_TEST(rules->triggers().at(0).window == 30 * d);
  BOOST_TEST(rules->triggers().at(0).cooldown == 7 * d);
}

BOOST_AUTO_TEST_CASE(bad_units_point_at_the_unit) {
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, after: 24x, event: late}\n")) ==
             "t.yaml:11:32: error: bad duration '24x': unknown unit 'x' (accepted units: s 秒 "
             "second(s), m 分钟 minute(s), h 小时 hour(s), d 天 day(s), 周 week(s), 个月 month(s), "
             "年 year(s); business time: 个工作日 working day(s), 个工作小时 business hour(s), "
             "个工作分钟 business minute(s))\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, after: 3月, event: late}\n")) ==
             "t.yaml:11:31: error: bad duration '3月': unknown unit '月' (write 3个月 for a number of "
             "months)\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, after: 1个月3天, event: late}\n")) ==
             "t.yaml:11:38: error: bad duration '1个月3天': calendar months and years cannot be "
             "combined with weeks, days, hours, minutes or seconds (a month has no fixed length)\n");
  BOOST_TEST(errors_of(flow_with("      e: {type: duration, default: 2小吋}\n",
                                 "          - {name: t, after: 1h, event: late}\n")) ==
             "t.yaml:6:37: error: bad duration '2小吋': unknown unit '小吋' (accepted units: s 秒 "
             "second(s), m 分钟 minute(s), h 小时 hour(s), d 天 day(s), 周 week(s), 个月 month(s), "
             "年 year(s))\n");
}

BOOST_AUTO_TEST_CASE(months_only_where_a_calendar_is_used) {
  BOOST_TEST(errors_of(flow_with("      e: {type: duration, default: 3个月}\n",
                                 "          - {name: t, after: 1h, event: late}\n")) ==
             "t.yaml:6:36: error: '3个月' is calendar months, which have no fixed length: write it "
             "in a timer's 'after' or add it to a timestamp (handed_over_at + 3个月), or give a "
             "duration such as 90d\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, after: 1h, event: late}\n",
                                 "d > 3个月")) ==
             "t.yaml:12:35: error: '3个月' is calendar months, which have no fixed length: they "
             "can only be added to or subtracted from a timestamp, as in handed_over_at + 3个月\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, at: d + 1 year, event: late}\n")) ==
             "t.yaml:11:29: error: type mismatch: calendar months can only be added to or "
             "subtracted from a timestamp, but 'd' is duration\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, at: 3 months + h, event: late}\n")) ==
             "t.yaml:11:27: error: '3 months' is calendar months, which have no fixed length: they "
             "can only be added to or subtracted from a timestamp, as in handed_over_at + 3 "
             "months\n");
}

BOOST_AUTO_TEST_CASE(bad_at) {
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, at: d, event: late}\n")) ==
             "t.yaml:11:27: error: 'at' of timer 't' must be a timestamp (an instant, such as "
             "handed_over_at + 3个月), but 'd' is duration\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, at: h + 1d, after: 1h, event: late}\n")) ==
             "t.yaml:11:23: error: timer 't' has both 'after' and 'at'; use one\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, at: x + 1d, event: late}\n")) ==
             "t.yaml:11:27: error: 'at' of timer 't' uses unknown field 'x'\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, at: event.h, event: late}\n")) ==
             "t.yaml:11:27: error: 'event.h' cannot be used here: timers and entry or exit "
             "actions are not handling an event\n");
  BOOST_TEST(errors_of(flow_with("", "          - {name: t, event: late}\n")) ==
             "t.yaml:11:13: error: timer 't' is missing the key 'after' (a time limit) or 'at' (an "
             "instant)\n");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- timers through the engine -------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(timers)

const char* const timer_flow = R"(calendars:
  london:
    utc_offset: "+00:00"
    week: {mon: ["09:00-17:00"]}
flows:
  f:
    fields:
      start: {type: timestamp}
    events: {late: , again: , stop: }
    initial: a
    states:
      a:
        timers:
          - {name: m1, after: 1个月, event: late}
          - {name: at1, at: start + 1 year, event: late}
        on:
          late: {}
          again: {to: a}
          stop: {to: z}
      z: {final: true}
  g:
    calendar: london
    events: {late: }
    initial: a
    states:
      a:
        timers:
          - {name: m1, after: 1 month, event: late}
        on: {late: {to: z}}
      z: {final: true}
)";

BOOST_AUTO_TEST_CASE(after_months_and_at_an_instant) {
  crmflow_test::world w(timer_flow);
  data_record init;
  init.set(w.fld("start"), T("2028-02-29T09:00:00+08:00"));
  const case_id c = w.create("A", T("2026-01-31T10:00:00+08:00"), &init);
  BOOST_TEST(w.deadlines(c) == (lines{"at1@" + std::to_string(T("2029-02-28T09:00:00+08:00")),
                                      "m1@" + std::to_string(T("2026-02-28T10:00:00+08:00"))}));
  // Re-entering the state counts again from now; `at` gives the same instant.
  w.post(c, "again", T("2026-03-31T12:00:00+08:00"));
  BOOST_TEST(w.deadlines(c) == (lines{"at1@" + std::to_string(T("2029-02-28T09:00:00+08:00")),
                                      "m1@" + std::to_string(T("2026-04-30T12:00:00+08:00"))}));
}

BOOST_AUTO_TEST_CASE(an_instant_not_after_now_does_not_start) {
  crmflow_test::world w(timer_flow);
  data_record init;
  init.set(w.fld("start"), T("2025-01-31T10:00:00+08:00"));  // + 1 year: exactly now
  const case_id c = w.create("A", T("2026-01-31T10:00:00+08:00"), &init);
  BOOST_TEST(w.deadlines(c) == (lines{"m1@" + std::to_string(T("2026-02-28T10:00:00+08:00"))}));
  const case_id e = w.create("B", T("2026-01-31T10:00:00+08:00"));  // start unset: 1971
  BOOST_TEST(w.deadlines(e) == (lines{"m1@" + std::to_string(T("2026-02-28T10:00:00+08:00"))}));
}

BOOST_AUTO_TEST_CASE(months_count_in_the_zone_of_the_flows_calendar) {
  crmflow_test::world w(timer_flow);
  const flow_id g = w.flow("g");
  BOOST_TEST(w.program(g).utc_offset_minutes == 0);
  // 31 January 04:00 in China is 30 January 20:00 in London: a month later is 28 February
  // in both, but at different instants.
  const case_id a = w.create("A", T("2026-01-30T20:00:00Z"));
  const case_id b = w.create("B", T("2026-01-30T20:00:00Z"), nullptr, g);
  BOOST_TEST(w.deadlines(a) == (lines{"m1@" + std::to_string(T("2026-02-27T20:00:00Z"))}));
  BOOST_TEST(w.deadlines(b) == (lines{"m1@" + std::to_string(T("2026-02-28T20:00:00Z"))}));
  w.eng.advance_to(T("2026-02-28T20:00:00Z"));
  BOOST_TEST(w.state(b) == "z");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- rules/visits.yaml through the engine ------------------------------------------------------

BOOST_AUTO_TEST_SUITE(bundled_visits)

std::shared_ptr<const rule_set> bundled() {
  load_result r = load_rules({CRMFLOW_SOURCE_DIR "/rules"});
  BOOST_TEST_REQUIRE(r.ok(), show(r.diagnostics));
  return r.rules;
}

struct visits : crmflow_test::world {
  visits() : world(bundled()) {}
  flow_id household() { return flow("household"); }
  flow_id visit() { return flow("visit"); }

  case_id home(std::string_view name, timestamp at, timestamp handed_over, std::string_view room) {
    data_record init;
    const flow_id f = household();
    init.set(fld("building", f), str("3号楼"));
    init.set(fld("room", f), str(room));
    init.set(fld("customer", f), str("王女士"));
    init.set(fld("area_manager", f), str("孙伟"));
    init.set(fld("handed_over_at", f), handed_over);
    return create(name, at, &init, f);
  }
  outcome on(case_id c, std::string_view event, timestamp at) { return post(c, event, at); }
  std::string visit_state(std::string_view name) {
    const auto c = eng.find_case(name);
    BOOST_TEST_REQUIRE(c.has_value(), "no case " << name);
    return state(*c) + " " + field(*c, "kind") + " " + field(*c, "skip_reason");
  }
};

BOOST_AUTO_TEST_CASE(exclusions_are_read_when_the_visit_falls_due) {
  visits w;
  const timestamp handed = T("2026-01-31T10:00:00+08:00");
  // Renovating at registration, finished before the 3 months: visited.
  const case_id a = w.home("H-A", handed, handed, "0101");
  const case_id b = w.home("H-B", handed, handed, "0102");
  const case_id c = w.home("H-C", handed, handed, "0103");
  const case_id e = w.home("H-E", handed, handed, "0104");
  w.on(a, "renovation_started", handed + h);
  // A major complaint and not living there: the complaint is the reason (it is read first).
  w.on(c, "moved_out", handed + d);
  w.on(c, "major_complaint_opened", handed + 2 * d);
  // Two major complaints, one closed: still one open.
  w.on(e, "major_complaint_opened", handed + 2 * d);
  w.on(e, "major_complaint_opened", handed + 2 * d);
  w.on(e, "major_complaint_closed", handed + 3 * d);
  // Renovating after registration, finished before the 3 months: visited.
  BOOST_TEST(w.on(a, "renovation_finished", T("2026-04-29T10:00:00+08:00")).accepted());
  // Renovation starts just before the due time: skipped.
  w.on(b, "renovation_started", T("2026-04-30T09:59:59.999+08:00"));
  w.eng.advance_to(T("2026-04-30T10:00:00+08:00"));
  BOOST_TEST(w.visit_state("living_experience_visit-1") == "due living_experience none");
  BOOST_TEST(w.visit_state("living_experience_visit-2") == "skipped living_experience renovating");
  BOOST_TEST(w.visit_state("living_experience_visit-3") == "skipped living_experience major_complaint");
  BOOST_TEST(w.visit_state("living_experience_visit-4") == "skipped living_experience major_complaint");
  const case_id v = *w.eng.find_case("living_experience_visit-1");
  BOOST_TEST(w.field(v, "due_at") == "2026-04-30T10:00:00+08:00");
  BOOST_TEST(w.field(v, "deadline_at") == "2026-05-30T10:00:00+08:00");
  BOOST_TEST(w.field(v, "visitor") == "孙伟");
  BOOST_TEST(w.field(v, "room") == "0101");
}

BOOST_AUTO_TEST_CASE(a_home_visit_not_made_in_a_month_is_overdue_and_may_still_be_made) {
  visits w;
  const timestamp handed = T("2026-01-31T10:00:00+08:00");
  w.home("H-A", handed, handed, "0101");
  w.eng.advance_to(T("2027-01-31T10:00:00+08:00"));
  const case_id v1 = *w.eng.find_case("living_experience_visit-1");
  const case_id v2 = *w.eng.find_case("house_inspection_visit-1");
  BOOST_TEST(w.state(v1) == "overdue");  // since 2026-05-30 10:00
  BOOST_TEST(w.state(v2) == "due");
  BOOST_TEST(w.field(v2, "deadline_at") == "2027-02-28T10:00:00+08:00");
  w.rec.take();
  // The deadline's own instant is still in time.
  const data_record visit = w.data("visit", {{"by", w.str("孙伟")}, {"channel", 2}, {"result", 0}}, w.visit());
  BOOST_TEST(w.eng.post(v2, w.ev("visit", w.visit()), visit, T("2027-02-28T10:00:00+08:00")).accepted());
  BOOST_TEST(w.state(v2) == "done");
  BOOST_TEST(w.field(v2, "late") == "false");
  BOOST_TEST(w.eng.post(v1, w.ev("visit", w.visit()), visit, T("2027-02-28T10:00:00+08:00")).accepted());
  BOOST_TEST(w.state(v1) == "done");
  BOOST_TEST(w.field(v1, "late") == "true");
}

BOOST_AUTO_TEST_CASE(a_repair_visit_is_due_within_24_hours_of_completion) {
  visits w;
  const flow_id f = w.visit();
  auto repair = [&](std::string_view name, timestamp created, timestamp completed) {
    data_record init;
    init.set(w.fld("kind", f), 0);  // repair
    init.set(w.fld("milestone_at", f), completed);
    init.set(w.fld("source", f), w.str("R-1"));
    return w.create(name, created, &init, f);
  };
  const timestamp done = T("2026-03-02T08:30:00+08:00");
  const case_id a = repair("V-A", done + h, done);
  const case_id b = repair("V-B", done + 24 * h - 1, done);  // 1 ms left
  const case_id c = repair("V-C", done + 24 * h, done);      // opened on the deadline: overdue
  BOOST_TEST(w.state(a) == "due");
  BOOST_TEST(w.state(b) == "due");
  BOOST_TEST(w.state(c) == "overdue");
  BOOST_TEST(w.deadlines(b) == (lines{"deadline@" + std::to_string(done + 24 * h)}));
  BOOST_TEST(w.deadlines(c) == lines{});
  w.rec.origin = done;
  w.rec.take();
  w.eng.advance_to(done + 24 * h);
  BOOST_TEST(w.rec.take() ==
             (lines{"deadline V-A deadline @R+1d", "transition V-A due->overdue overdue timer @R+1d",
                    "alarm V-A visit_overdue customer_centre: 回访 V-A：  已过回访期限 "
                    "2026-03-03T08:30:00+08:00，尚未回访 @R+1d",
                    "deadline V-B deadline @R+1d", "transition V-B due->overdue overdue timer @R+1d",
                    "alarm V-B visit_overdue customer_centre: 回访 V-B：  已过回访期限 "
                    "2026-03-03T08:30:00+08:00，尚未回访 @R+1d"}));
  // Repairs are never skipped (100% revisit rate).
  const data_record skip = w.data("skip", {{"reason", 1}}, f);
  BOOST_TEST((w.eng.post(a, w.ev("skip", f), skip, done + 25 * h).status == status::guard_false));
}

BOOST_AUTO_TEST_CASE(a_survey_visit_has_no_deadline) {
  visits w;
  const flow_id f = w.visit();
  data_record init;
  init.set(w.fld("kind", f), 2);  // survey
  const case_id c = w.create("V-S", T("2026-03-05T09:00:00+08:00"), &init, f);
  BOOST_TEST(w.state(c) == "due");
  BOOST_TEST(w.deadlines(c) == lines{});
  w.eng.advance_to(T("2036-03-05T09:00:00+08:00"));
  BOOST_TEST(w.state(c) == "due");
}

BOOST_AUTO_TEST_CASE(a_rounds_summary_is_due_3_days_after_it_ends) {
  visits w;
  const flow_id f = w.flow("visit_round");
  data_record init;
  const timestamp end = T("2026-04-30T18:00:00+08:00");
  init.set(w.fld("planned_end_at", f), end);
  const case_id r = w.create("RND", T("2026-04-01T09:00:00+08:00"), &init, f);
  const case_id q = w.create("RND-2", T("2026-04-01T09:00:00+08:00"), nullptr, f);
  BOOST_TEST(w.deadlines(q) == lines{});  // no planned end: the host ends it
  w.eng.advance_to(end);
  BOOST_TEST(w.state(r) == "summary_due");
  BOOST_TEST(w.field(r, "ended_at") == "2026-04-30T18:00:00+08:00");
  BOOST_TEST(w.deadlines(r) == (lines{"summary_3d@" + std::to_string(end + 3 * d)}));
  w.eng.advance_to(end + 3 * d - 1);
  BOOST_TEST(w.state(r) == "summary_due");
  w.eng.advance_to(end + 3 * d);
  BOOST_TEST(w.state(r) == "summary_overdue");
  const data_record summary = w.data("summary", {{"text", w.str("总结")}, {"by", w.str("孙伟")}}, f);
  BOOST_TEST(w.eng.post(r, w.ev("summary", f), summary, end + 4 * d).accepted());
  BOOST_TEST(w.state(r) == "closed");
  BOOST_TEST(w.field(r, "late") == "true");
}

BOOST_AUTO_TEST_SUITE_END()
