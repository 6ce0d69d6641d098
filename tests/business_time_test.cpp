// Business time in rules, end to end: calendars from rules/calendars.yaml (the customer
// centre's two 12-hour shifts; the office, Mon-Fri with a lunch break, with the State Council's
// 2026 holidays and 调休 workdays), flows whose timers count `24 business hours`,
// `3 working days` and `90 business minutes` across the 2026 Spring Festival and National Day,
// exact due times (engine::deadlines) and exact firing (advance_to(due - 1) / advance_to(due)),
// the calendar taken from a case field, a timer's own calendar, a timer that cannot start, and
// every loader error with its file, line, column and message.
#define BOOST_TEST_MODULE business_time
#include "test_support.hpp"

#include <fstream>
#include <sstream>

using namespace crmflow_test;

namespace {

timestamp at(std::string_view text) {
  const std::optional<timestamp> t = parse_timestamp(text);
  BOOST_TEST_REQUIRE(t.has_value(), "bad time " << text);
  return *t;
}

std::string bundled_calendars() {
  std::ifstream in(CRMFLOW_SOURCE_DIR "/rules/calendars.yaml", std::ios::binary);
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot read rules/calendars.yaml");
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The bundled calendars plus `flows` (another file, as in rules/), which must load cleanly.
std::shared_ptr<const rule_set> with_calendars(const std::string& flows) {
  const load_result r = load_rules_from_sources(
      {{"rules/calendars.yaml", bundled_calendars()}, {"flows.yaml", flows}});
  std::string diags;
  for (const diagnostic& x : r.diagnostics) diags += to_string(x) + "\n";
  BOOST_TEST_REQUIRE(r.ok(), "rules did not load:\n" << diags);
  return r.rules;
}

// Running deadlines of a case as "timer@2026-02-25T17:30:00+08:00", sorted by timer name.
lines due_times(const world& w, case_id c) {
  const auto& fl = w.eng.rules().flow(w.eng.case_flow(c));
  lines out;
  for (const pending_deadline& p : w.eng.deadlines(c))
    out.push_back(fl.timers[p.timer].name + "@" + format_timestamp(p.due, 480));
  std::sort(out.begin(), out.end());
  return out;
}

timestamp due_of(const world& w, case_id c, std::string_view timer) {
  const auto& fl = w.eng.rules().flow(w.eng.case_flow(c));
  for (const pending_deadline& p : w.eng.deadlines(c))
    if (fl.timers[p.timer].name == timer) return p.due;
  BOOST_TEST_REQUIRE(false, "timer " << timer << " is not running");
  return 0;
}

// Fires `timer` of case `c` exactly at its due time: nothing at due - 1 ms, then it.
void expect_fires_exactly(world& w, case_id c, std::string_view timer, timestamp due) {
  BOOST_TEST(due_of(w, c, timer) == due);
  const std::string who = "deadline " + std::string(w.eng.case_name(c)) + " " + std::string(timer);
  w.rec.take();
  w.eng.advance_to(due - 1);
  for (const std::string& line : w.rec.lines)
    BOOST_TEST(line.find(who + " ") == std::string::npos, "fired early: " << line);
  w.rec.take();
  w.eng.advance_to(due);
  const std::string want = who + " @" + std::to_string(due);
  BOOST_TEST((std::find(w.rec.lines.begin(), w.rec.lines.end(), want) != w.rec.lines.end()),
             "expected '" << want << "' at the due time");
}

// One flow per calendar set-up; each timer's deadline only raises an alarm, so they all run
// side by side and none cancels another.
std::string ticket_flow(std::string_view name, std::string_view calendar_lines) {
  return "  " + std::string(name) + ":\n" + std::string(calendar_lines) + R"(
    fields:
      site_calendar: {type: string, default: ""}
    events:
      again:
      close:
    initial: open
    states:
      open:
        timers:
          - name: feedback
            after: 24 business hours
            do: [{alarm: feedback_late, message: "{case}"}]
          - name: visit
            after: 3 working days
            do: [{alarm: visit_late, message: "{case}"}]
          - name: quick
            after: 90 business minutes
            do: [{alarm: quick_late, message: "{case}"}]
          - name: plain
            after: 24h
            do: [{alarm: plain_late, message: "{case}"}]
        on:
          again: {to: open}
          close: {to: closed}
      closed:
        final: true
)";
}

const std::string flows_yaml =
    "flows:\n" + ticket_flow("office_ticket", "    calendar: office") +
    ticket_flow("centre_ticket", "    calendar: customer_centre") +
    ticket_flow("site_ticket", "    calendar: office\n    calendar_field: site_calendar") +
    ticket_flow("field_only_ticket", "    calendar_field: site_calendar");

struct calendars_fixture {
  world w{with_calendars(flows_yaml)};

  case_id open(std::string_view flow, std::string_view name, std::string_view when,
               std::string_view site = {}) {
    const flow_id f = w.flow(flow);
    data_record init;
    if (!site.empty()) init.set(w.fld("site_calendar", f), w.str(site));
    return w.create(name, at(when), site.empty() ? nullptr : &init, f);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(bundled_calendars_are_in_the_rule_set) {
  const auto rules = with_calendars(flows_yaml);
  BOOST_TEST_REQUIRE(rules->calendars().size() == 2u);
  BOOST_TEST(rules->calendars()[0].name() == "customer_centre");
  BOOST_TEST(rules->calendars()[1].name() == "office");
  const calendar* office = rules->find_calendar("office");
  BOOST_TEST_REQUIRE(office != nullptr);
  BOOST_TEST(rules->find_calendar("mall") == nullptr);
  using namespace std::chrono;
  // Section 7: every holiday off, every 调休 weekend day working.
  for (auto d : {2026y / 1 / 1, 2026y / 1 / 3, 2026y / 2 / 15, 2026y / 2 / 23, 2026y / 4 / 6,
                 2026y / 5 / 5, 2026y / 6 / 19, 2026y / 9 / 25, 2026y / 10 / 7})
    BOOST_TEST(!office->is_working_day(d), "holiday " << static_cast<unsigned>(d.month()) << "-"
                                                      << static_cast<unsigned>(d.day()));
  for (auto d : {2026y / 1 / 4, 2026y / 2 / 14, 2026y / 2 / 28, 2026y / 5 / 9, 2026y / 9 / 20,
                 2026y / 10 / 10})
    BOOST_TEST(office->is_working_day(d), "workday " << static_cast<unsigned>(d.month()) << "-"
                                                     << static_cast<unsigned>(d.day()));
  // The centre works every hour of every day, holidays included.
  const calendar* centre = rules->find_calendar("customer_centre");
  BOOST_TEST_REQUIRE(centre != nullptr);
  BOOST_TEST(centre->business_between(at("2026-02-15T00:00:00+08:00"),
                                      at("2026-02-24T00:00:00+08:00")) == 9 * d);
}

// Spring Festival: off Sun Feb 15 - Mon Feb 23, work Sat Feb 14 and Sat Feb 28.
BOOST_FIXTURE_TEST_CASE(office_over_the_spring_festival, calendars_fixture) {
  // Fri 16:00: 2h Fri + 7.5h Sat 14th + 7.5h Tue 24th + 7h Wed 25th; 3 working days: Sat 14th,
  // Tue 24th, Wed 25th.
  const case_id a = open("office_ticket", "A", "2026-02-13T16:00:00+08:00");
  BOOST_TEST(due_times(w, a) == (lines{"feedback@2026-02-25T17:30:00+08:00",
                                       "plain@2026-02-14T16:00:00+08:00",
                                       "quick@2026-02-13T17:30:00+08:00",
                                       "visit@2026-02-25T16:00:00+08:00"}));
  expect_fires_exactly(w, a, "quick", at("2026-02-13T17:30:00+08:00"));
  expect_fires_exactly(w, a, "plain", at("2026-02-14T16:00:00+08:00"));
  expect_fires_exactly(w, a, "visit", at("2026-02-25T16:00:00+08:00"));
  expect_fires_exactly(w, a, "feedback", at("2026-02-25T17:30:00+08:00"));
  BOOST_TEST(w.eng.deadlines(a).empty());

  // After the holiday, Thu 26th 10:00: the 调休 Saturday 28th counts.
  const case_id b = open("office_ticket", "B", "2026-02-26T10:00:00+08:00");
  BOOST_TEST(due_times(w, b) == (lines{"feedback@2026-03-02T11:30:00+08:00",
                                       "plain@2026-02-27T10:00:00+08:00",
                                       "quick@2026-02-26T11:30:00+08:00",
                                       "visit@2026-03-02T10:00:00+08:00"}));
}

BOOST_FIXTURE_TEST_CASE(office_before_the_spring_festival_counts_the_adjusted_saturday, calendars_fixture) {
  // Thu 12th 10:00 + 24 business hours: 6.5h Thu + 7.5h Fri + 7.5h Sat 14th + 2.5h Tue 24th;
  // 3 working days: Fri 13th, Sat 14th, Tue 24th.
  const case_id c = open("office_ticket", "C", "2026-02-12T10:00:00+08:00");
  BOOST_TEST(due_times(w, c) == (lines{"feedback@2026-02-24T11:30:00+08:00",
                                       "plain@2026-02-13T10:00:00+08:00",
                                       "quick@2026-02-12T11:30:00+08:00",
                                       "visit@2026-02-24T10:00:00+08:00"}));
  expect_fires_exactly(w, c, "visit", at("2026-02-24T10:00:00+08:00"));
  expect_fires_exactly(w, c, "feedback", at("2026-02-24T11:30:00+08:00"));
}

BOOST_FIXTURE_TEST_CASE(office_edges_lunch_closing_time_and_the_second_adjusted_saturday, calendars_fixture) {
  // Fri 27th 17:00: 60 minutes on Friday, the other 30 on Saturday 28th (调休).
  const case_id d1 = open("office_ticket", "D1", "2026-02-27T17:00:00+08:00");
  expect_fires_exactly(w, d1, "quick", at("2026-02-28T09:30:00+08:00"));
  // Started at 16:30, 90 business minutes end exactly at closing time: Friday 18:00, not Monday.
  const case_id d2 = open("office_ticket", "D2", "2026-03-06T16:30:00+08:00");
  BOOST_TEST(due_of(w, d2, "quick") == at("2026-03-06T18:00:00+08:00"));
  // Started at closing time: counting begins at the next opening, Monday 09:00.
  const case_id d3 = open("office_ticket", "D3", "2026-03-06T18:00:00+08:00");
  BOOST_TEST(due_times(w, d3) == (lines{"feedback@2026-03-12T10:30:00+08:00",
                                        "plain@2026-03-07T18:00:00+08:00",
                                        "quick@2026-03-09T10:30:00+08:00",
                                        "visit@2026-03-12T09:00:00+08:00"}));
  // Started in the lunch break: counting begins at 13:30; 3 working days later at 13:30.
  const case_id d4 = open("office_ticket", "D4", "2026-03-10T12:15:00+08:00");
  BOOST_TEST(due_times(w, d4) == (lines{"feedback@2026-03-13T15:00:00+08:00",
                                        "plain@2026-03-11T12:15:00+08:00",
                                        "quick@2026-03-10T15:00:00+08:00",
                                        "visit@2026-03-13T13:30:00+08:00"}));
}

// National Day: off Thu Oct 1 - Wed Oct 7, work Sun Sep 20 and Sat Oct 10; Mid-Autumn off
// Fri Sep 25 - Sun Sep 27.
BOOST_FIXTURE_TEST_CASE(office_over_national_day, calendars_fixture) {
  // Wed 30th 09:00: 7.5h Wed + 7.5h Thu 8th + 7.5h Fri 9th + 1.5h Sat 10th (调休).
  const case_id e = open("office_ticket", "E", "2026-09-30T09:00:00+08:00");
  BOOST_TEST(due_times(w, e) == (lines{"feedback@2026-10-10T10:30:00+08:00",
                                       "plain@2026-10-01T09:00:00+08:00",
                                       "quick@2026-09-30T10:30:00+08:00",
                                       "visit@2026-10-10T09:00:00+08:00"}));
  expect_fires_exactly(w, e, "quick", at("2026-09-30T10:30:00+08:00"));
  expect_fires_exactly(w, e, "plain", at("2026-10-01T09:00:00+08:00"));
  expect_fires_exactly(w, e, "visit", at("2026-10-10T09:00:00+08:00"));
  expect_fires_exactly(w, e, "feedback", at("2026-10-10T10:30:00+08:00"));
}

BOOST_FIXTURE_TEST_CASE(office_around_the_adjusted_sunday_and_mid_autumn, calendars_fixture) {
  // Fri Sep 18 17:00: 60 minutes Friday, 30 on Sunday 20th (调休); 3 working days: Sun 20th,
  // Mon 21st, Tue 22nd.
  const case_id f1 = open("office_ticket", "F1", "2026-09-18T17:00:00+08:00");
  BOOST_TEST(due_of(w, f1, "visit") == at("2026-09-22T17:00:00+08:00"));
  expect_fires_exactly(w, f1, "quick", at("2026-09-20T09:30:00+08:00"));
  // Thu Sep 24 17:00: Mid-Autumn Fri-Sun, so the other 30 minutes are Monday 28th.
  const case_id f2 = open("office_ticket", "F2", "2026-09-24T17:00:00+08:00");
  BOOST_TEST(due_of(w, f2, "quick") == at("2026-09-28T09:30:00+08:00"));
  BOOST_TEST(due_of(w, f2, "visit") == at("2026-09-30T17:00:00+08:00"));
}

BOOST_FIXTURE_TEST_CASE(customer_centre_works_through_holidays, calendars_fixture) {
  const case_id g1 = open("centre_ticket", "G1", "2026-02-13T16:00:00+08:00");
  BOOST_TEST(due_times(w, g1) == (lines{"feedback@2026-02-14T16:00:00+08:00",
                                        "plain@2026-02-14T16:00:00+08:00",
                                        "quick@2026-02-13T17:30:00+08:00",
                                        "visit@2026-02-16T16:00:00+08:00"}));
  expect_fires_exactly(w, g1, "feedback", at("2026-02-14T16:00:00+08:00"));
  // Across a shift change (20:00) and midnight, on National Day.
  const case_id g2 = open("centre_ticket", "G2", "2026-10-01T19:00:00+08:00");
  BOOST_TEST(due_times(w, g2) == (lines{"feedback@2026-10-02T19:00:00+08:00",
                                        "plain@2026-10-02T19:00:00+08:00",
                                        "quick@2026-10-01T20:30:00+08:00",
                                        "visit@2026-10-04T19:00:00+08:00"}));
  expect_fires_exactly(w, g2, "visit", at("2026-10-04T19:00:00+08:00"));
}

BOOST_FIXTURE_TEST_CASE(calendar_from_a_case_field, calendars_fixture) {
  // site_calendar names the centre: centre time, although the flow's default is the office.
  const case_id h1 = open("site_ticket", "H1", "2026-02-13T16:00:00+08:00", "customer_centre");
  expect_fires_exactly(w, h1, "feedback", at("2026-02-14T16:00:00+08:00"));
  // Names the office: office time (Sat 14th 16:00: 2h + 7.5h + 7.5h + 7h).
  const case_id h2 = open("site_ticket", "H2", "2026-02-14T16:00:00+08:00", "office");
  BOOST_TEST(due_of(w, h2, "feedback") == at("2026-02-26T17:30:00+08:00"));
  // Names no calendar ("mall", or left empty): the flow's default, the office.
  const case_id h3 = open("site_ticket", "H3", "2026-02-14T16:00:00+08:00", "mall");
  BOOST_TEST(due_of(w, h3, "feedback") == at("2026-02-26T17:30:00+08:00"));
  const case_id h4 = open("site_ticket", "H4", "2026-02-14T16:00:00+08:00");
  BOOST_TEST(due_of(w, h4, "feedback") == at("2026-02-26T17:30:00+08:00"));
  // No default either: calendar time, 24 business hours = 24h, 3 working days = 72h.
  const case_id h5 = open("field_only_ticket", "H5", "2026-02-14T16:00:00+08:00", "mall");
  BOOST_TEST(due_times(w, h5) == (lines{"feedback@2026-02-15T16:00:00+08:00",
                                        "plain@2026-02-15T16:00:00+08:00",
                                        "quick@2026-02-14T17:30:00+08:00",
                                        "visit@2026-02-17T16:00:00+08:00"}));
  const case_id h6 = open("field_only_ticket", "H6", "2026-02-14T16:00:00+08:00", "office");
  BOOST_TEST(due_of(w, h6, "feedback") == at("2026-02-26T17:30:00+08:00"));
}

BOOST_AUTO_TEST_CASE(the_field_is_read_when_the_timer_starts) {
  world w(with_calendars(R"(flows:
  t:
    calendar: office
    calendar_field: site
    fields:
      site: {type: string, default: office}
    events:
      move: {data: {to: string}}
      again:
      close:
    initial: open
    states:
      open:
        timers:
          - name: feedback
            after: 24 business hours
            event: again
        on:
          move: {do: [{set: site, from: event.to}]}
          again: {to: open}
          close: {to: done}
      done:
        final: true
)"));
  const case_id c = w.create("C", at("2026-02-13T16:00:00+08:00"));
  BOOST_TEST(due_of(w, c, "feedback") == at("2026-02-25T17:30:00+08:00"));
  // Changing the field leaves the running timer alone...
  BOOST_TEST(w.post(c, "move", at("2026-02-13T17:00:00+08:00"),
                    w.data("move", {{"to", w.str("customer_centre")}}))
                 .accepted());
  BOOST_TEST(due_of(w, c, "feedback") == at("2026-02-25T17:30:00+08:00"));
  // ... and the next start counts along the new calendar, from now.
  BOOST_TEST(w.post(c, "again", at("2026-02-13T17:30:00+08:00")).accepted());
  BOOST_TEST(due_of(w, c, "feedback") == at("2026-02-14T17:30:00+08:00"));
}

BOOST_AUTO_TEST_CASE(a_timer_calendar_overrides_the_flow_and_the_field) {
  world w(with_calendars(R"(flows:
  t:
    calendar: customer_centre
    calendar_field: site
    fields:
      site: {type: string, default: customer_centre}
    events:
      close:
    initial: open
    states:
      open:
        timers:
          - name: centre_reply
            after: 24 business hours
            do: [{alarm: late, message: "{case}"}]
          - name: office_visit
            after: 3 working days
            calendar: office
            do: [{alarm: late, message: "{case}"}]
        on:
          close: {to: done}
      done:
        final: true
)"));
  const case_id c = w.create("C", at("2026-09-30T09:00:00+08:00"));
  BOOST_TEST(due_times(w, c) == (lines{"centre_reply@2026-10-01T09:00:00+08:00",
                                       "office_visit@2026-10-10T09:00:00+08:00"}));
  expect_fires_exactly(w, c, "centre_reply", at("2026-10-01T09:00:00+08:00"));
  expect_fires_exactly(w, c, "office_visit", at("2026-10-10T09:00:00+08:00"));
  const auto& fl = w.program();
  BOOST_TEST(fl.timers[fl.timer_by_name.at("office_visit")].calendar_field == no_id16);
  BOOST_TEST(fl.timers[fl.timer_by_name.at("centre_reply")].calendar_field ==
             fl.field_by_name.at("site"));
}

// A calendar with no working time within its ten-year horizon: the timer does not start, and
// a running instance of it is stopped (as for a zero duration field).
BOOST_AUTO_TEST_CASE(a_timer_with_no_working_time_ahead_does_not_start) {
  world w(R"(calendars:
  office:
    week: {mon: ["09:00-18:00"], tue: ["09:00-18:00"]}
  closed:
    week: {mon: ["09:00-18:00"]}
    holidays: [2026-01-01..2026-12-31, 2027-01-01..2027-12-31, 2028-01-01..2028-12-31,
               2029-01-01..2029-12-31, 2030-01-01..2030-12-31, 2031-01-01..2031-12-31,
               2032-01-01..2032-12-31, 2033-01-01..2033-12-31, 2034-01-01..2034-12-31,
               2035-01-01..2035-12-31, 2036-01-01..2036-12-31]
flows:
  t:
    calendar_field: site
    calendar: office
    fields:
      site: {type: string, default: office}
    events:
      move: {data: {to: string}}
      restart:
      close:
    initial: open
    states:
      open:
        on:
          move: {do: [{set: site, from: event.to}]}
          restart: {do: [{start_timer: reply}]}
          close: {to: done}
      done:
        final: true
    timers:
      - name: reply
        after: 1 business hour
        do: [{alarm: late, message: "{case}"}]
)");
  const case_id c = w.create("C", at("2026-03-02T09:00:00+08:00"));
  BOOST_TEST(w.post(c, "restart", at("2026-03-02T09:00:00+08:00")).accepted());
  BOOST_TEST(due_of(w, c, "reply") == at("2026-03-02T10:00:00+08:00"));
  BOOST_TEST(w.post(c, "move", at("2026-03-02T09:10:00+08:00"),
                    w.data("move", {{"to", w.str("closed")}}))
                 .accepted());
  w.rec.take();
  const std::string t = std::to_string(at("2026-03-02T09:20:00+08:00"));
  BOOST_TEST(w.post(c, "restart", at("2026-03-02T09:20:00+08:00")).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition C open->open restart posted internal @" + t,
                                    "start_timer C reply due=0 @" + t}));
  BOOST_TEST(w.eng.deadlines(c).empty());
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.eng.advance_to(at("2027-01-01T00:00:00+08:00")) == 0u);
}

// ---- loader errors ------------------------------------------------------------------------

namespace {

std::string show(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& x : ds) out += to_string(x) + "\n";
  return out;
}

void expect_errors(const std::vector<rules_source>& sources, const std::string& expected) {
  const load_result r = load_rules_from_sources(sources);
  BOOST_TEST(!r.ok());
  BOOST_TEST(show(r.diagnostics) == expected);
}

// Line numbers below count from this text: the flow's key is on line 5.
const std::string office_only = R"(calendars:
  office:
    week: {mon: ["09:00-18:00"]}
flows:
  f:
)";

// Flow `f` with `flow_keys` (indented 4) and one timer `t` in state `a` with `timer_keys`
// (indented 12). Without flow keys the timer's first key is on line 14.
std::string one_timer(const std::string& flow_keys, const std::string& timer_keys) {
  return office_only + flow_keys + R"(    fields:
      site: {type: string}
      n: {type: int}
    initial: a
    states:
      a:
        timers:
          - name: t
)" + timer_keys + R"(            do: [{alarm: x, message: m}]
        on: {go: {to: b}}
      b: {final: true}
    events: {go: }
)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(unknown_calendar_in_a_flow_and_in_a_timer) {
  expect_errors({{"t.yaml", one_timer("    calendar: offce\n",
                                      "            after: 3 working days\n")}},
                "t.yaml:6:15: error: unknown calendar 'offce' (defined: office)\n");
  expect_errors({{"t.yaml", one_timer("", "            after: 3 working days\n"
                                          "            calendar: ofice\n")}},
                "t.yaml:15:23: error: unknown calendar 'ofice' (defined: office)\n");
  expect_errors({{"t.yaml", "flows:\n  f:\n    calendar: office\n    initial: a\n"
                            "    states: {a: {final: true}}\n"}},
                "t.yaml:3:15: error: unknown calendar 'office' (no calendar is defined: add a "
                "top-level 'calendars:' section)\n");
}

BOOST_AUTO_TEST_CASE(business_duration_without_a_calendar) {
  expect_errors({{"t.yaml", one_timer("", "            after: 24 business hours\n")}},
                "t.yaml:14:20: error: 'after' of timer 't' is business time ('24 business "
                "hours'), but no calendar is in scope: give the timer 'calendar: NAME', or its "
                "flow 'calendar: NAME' or 'calendar_field: FIELD'\n");
}

BOOST_AUTO_TEST_CASE(bad_business_durations) {
  const std::string flow = "    calendar: office\n";
  expect_errors({{"t.yaml", one_timer(flow, "            after: three working days\n")}},
                "t.yaml:15:20: error: 'after' of timer 't': expected a whole number first in "
                "'three working days' (like 3 working days or 90 business minutes)\n");
  expect_errors({{"t.yaml", one_timer(flow, "            after: 2 business days\n")}},
                "t.yaml:15:20: error: 'after' of timer 't': unknown unit 'business days' "
                "(expected working days, business hours or business minutes)\n");
  expect_errors({{"t.yaml", one_timer(flow, "            after: 1.5 business hours\n")}},
                "t.yaml:15:20: error: 'after' of timer 't': expected a whole number first in "
                "'1.5 business hours' (like 3 working days or 90 business minutes)\n");
  expect_errors({{"t.yaml", one_timer(flow, "            after: 0 working days\n")}},
                "t.yaml:15:20: error: time limit must be positive\n");
  expect_errors({{"t.yaml", one_timer(flow, "            after: 4000 working days\n")}},
                "t.yaml:15:20: error: 'after' of timer 't': '4000 working days' is further "
                "ahead than a calendar looks (3660 days)\n");
}

BOOST_AUTO_TEST_CASE(bad_calendar_field_and_useless_timer_calendar) {
  expect_errors({{"t.yaml", one_timer("    calendar_field: sight\n",
                                      "            after: 3 working days\n")}},
                "t.yaml:6:21: error: 'calendar_field' of flow 'f' names unknown field 'sight' "
                "(expected a string field holding a calendar name)\n");
  expect_errors({{"t.yaml", one_timer("    calendar_field: n\n",
                                      "            after: 3 working days\n")}},
                "t.yaml:6:21: error: 'calendar_field' of flow 'f' names field 'n', which is int, "
                "not string (it must hold a calendar name)\n");
  expect_errors({{"t.yaml", one_timer("", "            after: 24h\n"
                                          "            calendar: office\n")}},
                "t.yaml:15:23: error: timer 't' has 'calendar: office', but its 'after' (24h) is "
                "calendar time, which no calendar changes; write business time such as '24 "
                "business hours' or '3 working days', or remove 'calendar'\n");
}

BOOST_AUTO_TEST_CASE(calendar_names_are_unique_across_files) {
  expect_errors({{"a.yaml", "calendars:\n  office:\n    week: {mon: [\"09:00-18:00\"]}\n"},
                 {"b.yaml", "# second\ncalendars:\n  centre:\n    week: {sun: [\"00:00-24:00\"]}\n"
                            "  office:\n    week: {tue: [\"09:00-18:00\"]}\n"}},
                "b.yaml:5:3: error: duplicate calendar 'office' (first defined in a.yaml at "
                "line 2)\n");
  // A calendar may be used from another file, before or after the one that defines it.
  const load_result ok = load_rules_from_sources(
      {{"a.yaml", "flows:\n  f:\n    calendar: office\n    initial: a\n    states:\n      a:\n"
                  "        timers: [{name: t, after: 1 working day, event: go}]\n"
                  "        on: {go: {to: b}}\n      b: {final: true}\n    events: {go: }\n"},
       {"z.yaml", "calendars:\n  office:\n    week: {mon: [\"09:00-18:00\"]}\n"}});
  BOOST_TEST(ok.ok(), show(ok.diagnostics));
}

BOOST_AUTO_TEST_CASE(graph_shows_business_time) {
  const auto rules = with_calendars(flows_yaml);
  const flow_id f = *rules->find_flow("office_ticket");
  const auto& fl = rules->flow(f);
  const auto& t = fl.timers[fl.timer_by_name.at("quick")];
  BOOST_TEST(static_cast<int>(t.clock) == static_cast<int>(detail::timer_clock::business_time));
  BOOST_TEST(t.business_amount == 90 * m);
  const std::string mermaid = to_graph(*rules, f, graph_format::mermaid);
  BOOST_TEST(mermaid.find("90 business minutes") != std::string::npos, mermaid);
  BOOST_TEST(mermaid.find("3 working days") != std::string::npos);
  BOOST_TEST(mermaid.find("24 business hours") != std::string::npos);
}

// ---- a duration field counted as business time (`business: true`) -----------------------------

BOOST_AUTO_TEST_CASE(a_duration_field_counts_as_business_time_in_timers_and_clocks) {
  world w(with_calendars(R"(flows:
  t:
    calendar: office
    fields:
      limit: {type: duration, default: 8h}
    events:
      relimit: {data: {to: duration}}
      again:
      close:
    initial: open
    states:
      open:
        timers:
          - name: unit_limit
            after: limit
            business: true
            do: [{alarm: unit_late, message: "{case}"}]
          - name: plain
            after: limit
            do: [{alarm: plain_late, message: "{case}"}]
        on:
          relimit: {do: [{set: limit, from: event.to}]}
          again: {to: open}
          close: {to: done}
      done:
        final: true
    clocks:
      handling:
        limit: limit
        business: true
        start: {enter: open}
        stop: {enter: done}
)"));
  // Friday 16:00 at the office (09:00-12:00, 13:30-18:00): 2h on Friday, 3h + 3h on Monday.
  const case_id c = w.create("C", at("2026-03-06T16:00:00+08:00"));
  BOOST_TEST(due_of(w, c, "unit_limit") == at("2026-03-09T16:30:00+08:00"));
  BOOST_TEST(due_of(w, c, "plain") == at("2026-03-07T00:00:00+08:00"));  // the same field, calendar time
  const clock_id k = *w.rules->find_clock(0, "handling");
  BOOST_TEST(w.eng.read_clock(c, k).next_due == std::optional<timestamp>(at("2026-03-09T16:30:00+08:00")));
  // The field is read when the timer starts: 2 business hours from Friday 17:00 end Monday 10:00.
  BOOST_TEST(w.post(c, "relimit", at("2026-03-06T17:00:00+08:00"), w.data("relimit", {{"to", 2 * h}})).accepted());
  BOOST_TEST(w.post(c, "again", at("2026-03-06T17:00:00+08:00")).accepted());
  BOOST_TEST(due_of(w, c, "unit_limit") == at("2026-03-09T10:00:00+08:00"));
  expect_fires_exactly(w, c, "unit_limit", at("2026-03-09T10:00:00+08:00"));
  // The clock's limit followed the field at once: 1h counted by Friday 17:00, so its 2h were up
  // at Friday 18:00.
  const clock_status st = w.eng.read_clock(c, k);
  BOOST_TEST(st.level == 1);
  BOOST_TEST(st.elapsed == 3 * h);  // Friday 16:00-18:00, Monday 09:00-10:00
  // A non-positive value does not start the timer.
  BOOST_TEST(w.post(c, "relimit", at("2026-03-09T10:30:00+08:00"), w.data("relimit", {{"to", 0}})).accepted());
  BOOST_TEST(w.post(c, "again", at("2026-03-09T10:30:00+08:00")).accepted());
  BOOST_TEST(due_times(w, c) == lines{});
}

BOOST_AUTO_TEST_CASE(business_true_needs_a_duration_field_and_a_calendar) {
  const std::string with_limit = office_only + R"(    calendar: office
    fields:
      limit: {type: duration, default: 8h}
    initial: a
    states:
      a:
        timers:
          - name: t
            after: 24h
            business: true
            do: [{alarm: x, message: m}]
          - name: u
            after: limit
            business: yes
            do: [{alarm: x, message: m}]
        on: {go: {to: b}}
      b: {final: true}
    events: {go: }
)";
  expect_errors({{"t.yaml", with_limit}},
                "t.yaml:15:23: error: 'business' of timer 't': 'after' (24h) is not a duration field; a "
                "written limit says business time itself, such as '24 business hours'\n"
                "t.yaml:19:23: error: 'business' of timer 'u' must be true or false, found 'yes'\n");
  const std::string no_calendar = office_only + R"(    fields:
      limit: {type: duration, default: 8h}
    initial: a
    states:
      a:
        timers:
          - name: t
            after: limit
            business: true
            do: [{alarm: x, message: m}]
        on: {go: {to: b}}
      b: {final: true}
    events: {go: }
)";
  expect_errors({{"t.yaml", no_calendar}},
                "t.yaml:14:23: error: 'business' of timer 't': no calendar is in scope to count business "
                "time on: give it 'calendar: NAME', or its flow 'calendar: NAME' or 'calendar_field: FIELD'\n");
}
