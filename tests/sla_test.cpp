// SLA clocks (docs/rules.md, SLA clocks): start, pause, resume and stop on rule conditions with
// exact elapsed and paused time; the warning and every ladder level at their exact instants;
// pausing across a ladder point; working time across a night, a lunch break and a holiday; a
// limit or a calendar changed while the clock runs; the lifecycle machine refusing what its
// phase does not allow; snapshots mid-pause and mid-run that restore to the same bytes and go
// on exactly as the original; and load errors at their exact positions.
#define BOOST_TEST_MODULE sla
#include "test_support.hpp"

#include <crmflow/detail/clock_lifecycle.hpp>
#include <crmflow/snapshot.hpp>
#include "store/snapshot_layouts.hpp"

#include <string>
#include <vector>

using namespace crmflow;
using crmflow_test::h;
using crmflow_test::lines;
using crmflow_test::m;
using crmflow_test::world;

namespace {

timestamp at(std::string_view text) {
  const std::optional<timestamp> t = parse_timestamp(text);
  BOOST_TEST_REQUIRE(t.has_value(), "bad time " << text);
  return *t;
}

// Monday 2 March 2026, 09:00 in China.
const timestamp t0 = at("2026-03-02T09:00:00+08:00");

const char* const rules_yaml = R"(calendars:
  office:
    utc_offset: "+08:00"
    week:
      mon: &office ["09:00-12:00", "13:30-18:00"]
      tue: *office
      wed: *office
      thu: *office
      fri: *office
    holidays:
      - 2026-03-03
  allday:
    utc_offset: "+08:00"
    week:
      mon: &allday ["00:00-24:00"]
      tue: *allday
      wed: *allday
      thu: *allday
      fri: *allday
      sat: *allday
      sun: *allday
flows:
  ticket:
    fields:
      limit: {type: duration, default: 10h}
      site: {type: string}
      urgent: {type: bool, default: false}
    events:
      ask:
      reply:
      resolve:
      reopen:
      close:
      relimit:
        data:
          limit: {type: duration}
      move:
        data:
          site: {type: string}
      flag:
    initial: received
    states:
      received:
        on:
          ask: {to: waiting_customer}
          resolve: {to: resolved}
          relimit:
            do:
              - set: limit
                from: event.limit
          move:
            do:
              - set: site
                from: event.site
          flag:
            do:
              - set: urgent
                to: true
      waiting_customer:
        on:
          reply: {to: received}
          ask: {to: waiting_customer}
          resolve: {to: resolved}
          relimit:
            do:
              - set: limit
                from: event.limit
          move:
            do:
              - set: site
                from: event.site
      resolved:
        on:
          reopen: {to: received}
          close: {to: closed}
      closed: {final: true}
    clocks:
      resolution:
        label: 处理时限
        limit: 10h
        start: {enter: received}
        pause: {enter: waiting_customer}
        resume: {exit: waiting_customer}
        stop: {enter: resolved}
        warn_at: 80%
        on_warning:
          - notify: area_manager
            message: "{case} 已用80%时限"
        ladder:
          - at: 100%
            do:
              - alarm: sla_breach
                to: area_manager
                message: "{case} 超时"
          - at: 200%
            do:
              - alarm: sla_breach_2x
                to: head_of_department
                message: "{case} 超时两倍"
          - at: 300%
            do:
              - alarm: sla_breach_3x
                to: leadership_group
                message: "{case} 超时三倍"
      by_field:
        limit: limit
        start: {enter: received}
        pause: {enter: waiting_customer}
        resume: {exit: waiting_customer}
        stop: {enter: resolved}
        warn_at: 50%
      urgent_only:
        limit: 1h
        start: {event: flag, if: urgent}
  office_ticket:
    calendar: office
    calendar_field: site
    fields:
      site: {type: string}
    events:
      ask:
      reply:
      resolve:
      move:
        data:
          site: {type: string}
    initial: received
    states:
      received:
        on:
          ask: {to: waiting_customer}
          resolve: {to: resolved}
          move:
            do:
              - set: site
                from: event.site
      waiting_customer:
        on:
          reply: {to: received}
          move:
            do:
              - set: site
                from: event.site
      resolved: {final: true}
    clocks:
      handling:
        limit: 8 business hours
        start: {enter: received}
        pause: {enter: waiting_customer}
        resume: {exit: waiting_customer}
        warn_at: 80%
        ladder:
          - at: 100%
          - at: 200%
)";

struct sla_world : world {
  sla_world() : world(rules_yaml) { rec.origin = t0; }

  clock_id clk(std::string_view name, flow_id f = 0) const {
    const auto k = rules->find_clock(f, name);
    BOOST_TEST_REQUIRE(k.has_value(), "no clock " << name);
    return *k;
  }
  clock_status read(case_id c, std::string_view name) const {
    return eng.read_clock(c, clk(name, eng.case_flow(c)));
  }
  // Only the records about clocks, notices and alarms.
  lines clock_lines() {
    lines out;
    for (const std::string& l : rec.take())
      if (l.rfind("clock ", 0) == 0 || l.rfind("notify ", 0) == 0 || l.rfind("alarm ", 0) == 0) out.push_back(l);
    return out;
  }
  outcome relimit(case_id c, duration d, timestamp when) {
    return post(c, "relimit", when, data("relimit", {{"limit", d}}));
  }
  outcome move(case_id c, std::string_view site, timestamp when) {
    const flow_id f = eng.case_flow(c);
    return post(c, "move", when, data("move", {{"site", str(site)}}, f));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(start_pause_resume_stop_count_exactly) {
  sla_world w;
  const case_id c = w.create("T-1", t0);
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-1 resolution started elapsed=0s paused=0s limit=10h @R+0s",
                                    "clock T-1 by_field started elapsed=0s paused=0s limit=10h @R+0s",
                                }));
  w.eng.advance_to(t0 + 90 * m);
  clock_status st = w.read(c, "resolution");
  BOOST_TEST((st.phase == clock_phase::running));
  BOOST_TEST(st.elapsed == 90 * m);
  BOOST_TEST(st.paused == 0);
  BOOST_TEST(st.limit == 10 * h);
  BOOST_TEST(st.remaining == 8 * h + 30 * m);
  BOOST_TEST(st.next_due == std::optional<timestamp>(t0 + 8 * h));  // the warning at 80%
  BOOST_TEST(!st.warned);
  BOOST_TEST(st.level == 0);

  BOOST_TEST(w.post(c, "ask", t0 + 2 * h).accepted());
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-1 resolution paused elapsed=2h paused=0s limit=10h @R+2h",
                                    "clock T-1 by_field paused elapsed=2h paused=0s limit=10h @R+2h",
                                }));
  w.eng.advance_to(t0 + 4 * h);
  st = w.read(c, "resolution");
  BOOST_TEST((st.phase == clock_phase::paused));
  BOOST_TEST(st.elapsed == 2 * h);
  BOOST_TEST(st.paused == 2 * h);
  BOOST_TEST(!st.next_due.has_value());
  BOOST_TEST(w.clock_lines().empty());

  // Asking again re-enters the waiting state: resumed and paused at one instant.
  BOOST_TEST(w.post(c, "ask", t0 + 4 * h).accepted());
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-1 resolution resumed elapsed=2h paused=2h limit=10h @R+4h",
                                    "clock T-1 resolution paused elapsed=2h paused=2h limit=10h @R+4h",
                                    "clock T-1 by_field resumed elapsed=2h paused=2h limit=10h @R+4h",
                                    "clock T-1 by_field paused elapsed=2h paused=2h limit=10h @R+4h",
                                }));
  BOOST_TEST(w.post(c, "reply", t0 + 5 * h).accepted());
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-1 resolution resumed elapsed=2h paused=3h limit=10h @R+5h",
                                    "clock T-1 by_field resumed elapsed=2h paused=3h limit=10h @R+5h",
                                }));
  BOOST_TEST(w.read(c, "resolution").next_due == std::optional<timestamp>(t0 + 11 * h));
  BOOST_TEST(w.post(c, "resolve", t0 + 6 * h + 30 * m).accepted());
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-1 resolution stopped elapsed=3h30m paused=3h limit=10h @R+6h30m",
                                    "clock T-1 by_field stopped elapsed=3h30m paused=3h limit=10h @R+6h30m",
                                }));
  // A stopped clock keeps its readings and has nothing scheduled; reopening does not restart it.
  BOOST_TEST(w.post(c, "reopen", t0 + 20 * h).accepted());
  BOOST_TEST(w.clock_lines().empty());
  st = w.read(c, "resolution");
  BOOST_TEST((st.phase == clock_phase::stopped));
  BOOST_TEST(st.elapsed == 3 * h + 30 * m);
  BOOST_TEST(st.paused == 3 * h);
  BOOST_TEST(st.remaining == 6 * h + 30 * m);
  BOOST_TEST(!st.next_due.has_value());
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  // A clock whose start never held stays idle.
  BOOST_TEST((w.read(c, "urgent_only").phase == clock_phase::idle));
  BOOST_CHECK_THROW(w.eng.read_clock(c, 9), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.read_clock(99, 0), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(warning_and_ladder_fire_at_exact_instants) {
  sla_world w;
  const case_id c = w.create("T-2", t0);
  w.rec.take();
  w.eng.advance_to(t0 + 5 * h - 1);
  BOOST_TEST(w.clock_lines().empty());
  w.eng.advance_to(t0 + 5 * h);  // by_field warns at 50% of 10h
  BOOST_TEST(w.clock_lines() == (lines{"clock T-2 by_field warning elapsed=5h paused=0s limit=10h @R+5h"}));
  w.eng.advance_to(t0 + 8 * h - 1);
  BOOST_TEST(w.clock_lines().empty());
  w.eng.advance_to(t0 + 8 * h);
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-2 resolution warning elapsed=8h paused=0s limit=10h @R+8h",
                                    "notify T-2 area_manager: T-2 已用80%时限 @R+8h",
                                }));
  BOOST_TEST(w.read(c, "resolution").warned);
  w.eng.advance_to(t0 + 10 * h - 1);
  BOOST_TEST(w.clock_lines().empty());
  w.eng.advance_to(t0 + 30 * h);
  // Both breaches are due at R+10h: by_field's was scheduled first (at its warning, R+5h).
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-2 by_field breach level=1 elapsed=10h paused=0s limit=10h @R+10h",
                                    "clock T-2 resolution breach level=1 elapsed=10h paused=0s limit=10h @R+10h",
                                    "alarm T-2 sla_breach area_manager: T-2 超时 @R+10h",
                                    "clock T-2 resolution breach level=2 elapsed=20h paused=0s limit=10h @R+20h",
                                    "alarm T-2 sla_breach_2x head_of_department: T-2 超时两倍 @R+20h",
                                    "clock T-2 resolution breach level=3 elapsed=1d6h paused=0s limit=10h @R+1d6h",
                                    "alarm T-2 sla_breach_3x leadership_group: T-2 超时三倍 @R+1d6h",
                                }));
  const clock_status st = w.read(c, "resolution");
  BOOST_TEST(st.level == 3);
  BOOST_TEST(st.remaining == 0);
  BOOST_TEST(!st.next_due.has_value());  // nothing after the last level
  // The clock goes on counting after its last level.
  w.eng.advance_to(t0 + 40 * h);
  BOOST_TEST(w.read(c, "resolution").elapsed == 40 * h);
  BOOST_TEST(w.clock_lines().empty());
}

BOOST_AUTO_TEST_CASE(pausing_across_a_ladder_point_moves_it_by_the_pause) {
  sla_world w;
  const case_id c = w.create("T-3", t0);
  w.eng.advance_to(t0 + 8 * h);
  w.rec.take();
  BOOST_TEST(w.post(c, "ask", t0 + 9 * h).accepted());
  // Paused over the original breach instant (R+10h): nothing fires.
  w.eng.advance_to(t0 + 12 * h);
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-3 resolution paused elapsed=9h paused=0s limit=10h @R+9h",
                                    "clock T-3 by_field paused elapsed=9h paused=0s limit=10h @R+9h",
                                }));
  BOOST_TEST(w.post(c, "reply", t0 + 12 * h).accepted());
  w.rec.take();
  w.eng.advance_to(t0 + 13 * h - 1);
  BOOST_TEST(w.clock_lines().empty());
  w.eng.advance_to(t0 + 23 * h);
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-3 resolution breach level=1 elapsed=10h paused=3h limit=10h @R+13h",
                                    "alarm T-3 sla_breach area_manager: T-3 超时 @R+13h",
                                    "clock T-3 by_field breach level=1 elapsed=10h paused=3h limit=10h @R+13h",
                                    "clock T-3 resolution breach level=2 elapsed=20h paused=3h limit=10h @R+23h",
                                    "alarm T-3 sla_breach_2x head_of_department: T-3 超时两倍 @R+23h",
                                }));
}

BOOST_AUTO_TEST_CASE(pausing_exactly_at_the_breach_is_in_time_and_resuming_breaches_at_once) {
  sla_world w;
  const case_id c = w.create("T-4", t0);
  w.eng.advance_to(t0 + 8 * h);
  w.rec.take();
  // An event at exactly the breach instant is handled first: the clock pauses at 10h, unbreached.
  BOOST_TEST(w.post(c, "ask", t0 + 10 * h).accepted());
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-4 resolution paused elapsed=10h paused=0s limit=10h @R+10h",
                                    "clock T-4 by_field paused elapsed=10h paused=0s limit=10h @R+10h",
                                }));
  BOOST_TEST(w.read(c, "resolution").level == 0);
  // Its breach is due as soon as it runs again.
  BOOST_TEST(w.post(c, "reply", t0 + 11 * h).accepted());
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock T-4 resolution resumed elapsed=10h paused=1h limit=10h @R+11h",
                                    "clock T-4 resolution breach level=1 elapsed=10h paused=1h limit=10h @R+11h",
                                    "alarm T-4 sla_breach area_manager: T-4 超时 @R+11h",
                                    "clock T-4 by_field resumed elapsed=10h paused=1h limit=10h @R+11h",
                                    "clock T-4 by_field breach level=1 elapsed=10h paused=1h limit=10h @R+11h",
                                }));
  BOOST_TEST(w.read(c, "resolution").next_due == std::optional<timestamp>(t0 + 21 * h));
}

BOOST_AUTO_TEST_CASE(business_time_clock_skips_nights_lunch_and_holidays) {
  sla_world w;
  const flow_id f = w.flow("office_ticket");
  // Monday 17:00: 1h today, Tuesday 3 March is a holiday, then Wednesday from 09:00.
  const timestamp mon17 = at("2026-03-02T17:00:00+08:00");
  const case_id c = w.create("B-1", mon17, nullptr, f);
  w.rec.origin.reset();
  w.rec.take();
  w.eng.advance_to(at("2026-03-03T12:00:00+08:00"));
  clock_status st = w.eng.read_clock(c, 0);
  BOOST_TEST(st.elapsed == 1 * h);  // 17:00-18:00 only
  BOOST_TEST(st.next_due == std::optional<timestamp>(at("2026-03-04T15:54:00+08:00")));
  // 80% of 8 business hours = 6h24m: 1h Monday, 3h Wednesday morning, 2h24m after lunch.
  w.eng.advance_to(at("2026-03-04T15:53:59.999+08:00"));
  BOOST_TEST(w.clock_lines().empty());
  w.eng.advance_to(at("2026-03-05T18:00:00+08:00"));
  const lines got = w.clock_lines();
  BOOST_TEST(got == (lines{
                        "clock B-1 handling warning elapsed=6h24m paused=0s limit=8h @" +
                            std::to_string(at("2026-03-04T15:54:00+08:00")),
                        "clock B-1 handling breach level=1 elapsed=8h paused=0s limit=8h @" +
                            std::to_string(at("2026-03-04T17:30:00+08:00")),
                        // 16h: Wednesday's last 30 minutes, then all of Thursday's 7h30m, to 18:00.
                        "clock B-1 handling breach level=2 elapsed=16h paused=0s limit=8h @" +
                            std::to_string(at("2026-03-05T18:00:00+08:00")),
                    }));
  // Paused time is counted in working time too: paused over Thursday night, resumed Friday 10:00.
  BOOST_TEST(w.post(c, "ask", at("2026-03-05T18:00:00+08:00")).accepted());
  BOOST_TEST(w.post(c, "reply", at("2026-03-06T10:00:00+08:00")).accepted());
  st = w.eng.read_clock(c, 0);
  BOOST_TEST(st.elapsed == 16 * h);
  BOOST_TEST(st.paused == 1 * h);
}

BOOST_AUTO_TEST_CASE(a_limit_changed_while_running_keeps_the_elapsed_time) {
  sla_world w;
  const case_id c = w.create("L-1", t0);
  w.eng.advance_to(t0 + 4 * h);
  w.rec.take();
  // by_field: 10h, warning at 50% (5h). Raised to 20h at 4h: warning at 10h, breach at 20h.
  BOOST_TEST(w.relimit(c, 20 * h, t0 + 4 * h).accepted());
  BOOST_TEST(w.clock_lines().empty());
  BOOST_TEST(w.read(c, "by_field").elapsed == 4 * h);
  BOOST_TEST(w.read(c, "by_field").next_due == std::optional<timestamp>(t0 + 10 * h));
  // Lowered to 6h at 7h: the 50% warning (3h) and the breach (6h) are already past and are
  // reached at once, in order, at 7h.
  w.eng.advance_to(t0 + 7 * h);
  w.rec.take();
  BOOST_TEST(w.relimit(c, 6 * h, t0 + 7 * h).accepted());
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock L-1 by_field warning elapsed=7h paused=0s limit=6h @R+7h",
                                    "clock L-1 by_field breach level=1 elapsed=7h paused=0s limit=6h @R+7h",
                                }));
  const clock_status st = w.read(c, "by_field");
  BOOST_TEST(st.level == 1);
  BOOST_TEST(st.remaining == 0);
  BOOST_TEST(!st.next_due.has_value());  // no ladder: the breach is the last level
  // A fixed-limit clock is not affected.
  BOOST_TEST(w.read(c, "resolution").limit == 10 * h);
}

BOOST_AUTO_TEST_CASE(a_limit_changed_while_paused_counts_on_resume) {
  sla_world w;
  const case_id c = w.create("L-2", t0);
  BOOST_TEST(w.post(c, "ask", t0 + 2 * h).accepted());
  BOOST_TEST(w.relimit(c, 3 * h, t0 + 3 * h).accepted());
  w.rec.take();
  BOOST_TEST(w.read(c, "by_field").limit == 3 * h);
  BOOST_TEST(!w.read(c, "by_field").next_due.has_value());
  // Resumed at 5h with 2h counted: the warning (1h30m) is past, the breach 1h away.
  BOOST_TEST(w.post(c, "reply", t0 + 5 * h).accepted());
  lines got = w.clock_lines();
  BOOST_TEST(got == (lines{
                        "clock L-2 resolution resumed elapsed=2h paused=3h limit=10h @R+5h",
                        "clock L-2 by_field resumed elapsed=2h paused=3h limit=3h @R+5h",
                        "clock L-2 by_field warning elapsed=2h paused=3h limit=3h @R+5h",
                    }));
  BOOST_TEST(w.read(c, "by_field").next_due == std::optional<timestamp>(t0 + 6 * h));
  w.eng.advance_to(t0 + 6 * h);
  got = w.clock_lines();
  BOOST_TEST(got == (lines{"clock L-2 by_field breach level=1 elapsed=3h paused=3h limit=3h @R+6h"}));
}

BOOST_AUTO_TEST_CASE(a_calendar_changed_while_running_keeps_the_time_counted_so_far) {
  sla_world w;
  const flow_id f = w.flow("office_ticket");
  const timestamp mon9 = at("2026-03-02T09:00:00+08:00");
  w.rec.origin.reset();
  const case_id c = w.create("C-1", mon9, nullptr, f);
  w.rec.take();
  // Office hours until 11:00 (2h counted), then the case moves to a site that works all day.
  BOOST_TEST(w.move(c, "allday", at("2026-03-02T11:00:00+08:00")).accepted());
  clock_status st = w.eng.read_clock(c, 0);
  BOOST_TEST(st.elapsed == 2 * h);
  // 6h24m - 2h = 4h24m from 11:00, and 8h - 2h = 6h from 11:00, in calendar hours now.
  BOOST_TEST(st.next_due == std::optional<timestamp>(at("2026-03-02T15:24:00+08:00")));
  w.eng.advance_to(at("2026-03-02T12:30:00+08:00"));  // the office's lunch counts now
  BOOST_TEST(w.eng.read_clock(c, 0).elapsed == 3 * h + 30 * m);
  // Back on the office calendar at 14:00 with 5h counted: 1h24m and 3h of office time remain.
  BOOST_TEST(w.move(c, "office", at("2026-03-02T14:00:00+08:00")).accepted());
  st = w.eng.read_clock(c, 0);
  BOOST_TEST(st.elapsed == 5 * h);
  BOOST_TEST(st.next_due == std::optional<timestamp>(at("2026-03-02T15:24:00+08:00")));
  w.eng.advance_to(at("2026-03-04T10:00:00+08:00"));
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock C-1 handling warning elapsed=6h24m paused=0s limit=8h @" +
                                        std::to_string(at("2026-03-02T15:24:00+08:00")),
                                    "clock C-1 handling breach level=1 elapsed=8h paused=0s limit=8h @" +
                                        std::to_string(at("2026-03-02T17:00:00+08:00")),
                                }));
  // A calendar changed while paused: the pause so far is kept, the rest counts on the new one.
  BOOST_TEST(w.post(c, "ask", at("2026-03-04T10:00:00+08:00")).accepted());
  BOOST_TEST(w.move(c, "allday", at("2026-03-04T12:00:00+08:00")).accepted());
  w.eng.advance_to(at("2026-03-04T13:00:00+08:00"));
  st = w.eng.read_clock(c, 0);
  BOOST_TEST(st.paused == 3 * h);  // 2h office + 1h all day (the lunch hour counts now)
  // A name that is no calendar: the flow's calendar (office) counts from then on.
  BOOST_TEST(w.move(c, "nowhere", at("2026-03-04T13:00:00+08:00")).accepted());
  w.eng.advance_to(at("2026-03-04T14:00:00+08:00"));
  BOOST_TEST(w.eng.read_clock(c, 0).paused == 3 * h + 30 * m);
}

BOOST_AUTO_TEST_CASE(start_on_an_event_with_a_guard_and_stop_at_a_final_state) {
  sla_world w;
  const case_id c = w.create("G-1", t0);
  w.rec.take();
  BOOST_TEST(w.post(c, "flag", t0 + 1 * h).accepted());
  BOOST_TEST(w.clock_lines() == (lines{"clock G-1 urgent_only started elapsed=0s paused=0s limit=1h @R+1h"}));
  BOOST_TEST(w.post(c, "resolve", t0 + 90 * m).accepted());
  BOOST_TEST(w.post(c, "close", t0 + 2 * h).accepted());
  // urgent_only has no stop condition: the final state stops it (resolution stopped at resolve).
  BOOST_TEST(w.clock_lines() == (lines{
                                    "clock G-1 resolution stopped elapsed=1h30m paused=0s limit=10h @R+1h30m",
                                    "clock G-1 by_field stopped elapsed=1h30m paused=0s limit=10h @R+1h30m",
                                    "clock G-1 urgent_only stopped elapsed=1h paused=0s limit=1h @R+2h",
                                }));
  // Its breach at 1h was due at R+2h exactly, when the close was handled first: in time.
  BOOST_TEST(w.eng.read_clock(c, w.clk("urgent_only")).level == 0);
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
}

BOOST_AUTO_TEST_CASE(clocks_run_the_same_without_observers_or_history) {
  // No observer, no history: the engine's inline path for plain transitions is off for a flow
  // with clocks, so every transition still moves them.
  engine_options o;
  o.keep_history = false;
  engine e(crmflow_test::load_ok(rules_yaml), o);
  const auto& r = e.rules();
  const event_id ask = *r.find_event(0, "ask"), reply = *r.find_event(0, "reply");
  const case_id c = e.create_case(0, "", t0).id;
  BOOST_TEST(e.post(c, ask, {}, t0 + 9 * h).accepted());
  BOOST_TEST(e.post(c, reply, {}, t0 + 12 * h).accepted());
  e.advance_to(t0 + 13 * h);
  const clock_status st = e.read_clock(c, *r.find_clock(0, "resolution"));
  BOOST_TEST(st.elapsed == 10 * h);
  BOOST_TEST(st.paused == 3 * h);
  BOOST_TEST(st.warned);
  BOOST_TEST(st.level == 1);
  BOOST_TEST(st.next_due == std::optional<timestamp>(t0 + 23 * h));
}

BOOST_AUTO_TEST_CASE(lifecycle_machine_refuses_what_its_phase_does_not_allow) {
  detail::clock_lifecycles l;
  const std::uint32_t a = l.acquire();
  BOOST_TEST(!l.pause(a));
  BOOST_TEST(!l.mark(a));
  BOOST_TEST(l.start(a));
  BOOST_TEST(!l.start(a));
  BOOST_TEST(l.mark(a));
  BOOST_TEST(l.pause(a));
  BOOST_TEST(!l.mark(a));  // a paused clock reaches nothing
  BOOST_TEST((l.phase(a) == detail::clock_machine_phase::paused));
  BOOST_TEST(l.resume(a));
  BOOST_TEST(l.stop(a));
  BOOST_TEST(!l.resume(a));
  BOOST_TEST(!l.start(a));
  BOOST_TEST((l.phase(a) == detail::clock_machine_phase::stopped));
  BOOST_TEST(l.marks(a) == 1);
}

namespace {

// Restores `bytes` into a fresh engine on the same rules, with its own recorder.
struct restored {
  crmflow_test::recorder rec;
  engine eng;
  explicit restored(const sla_world& w, const std::string& bytes)
      : eng(w.rules, [&] {
          engine_options o;
          o.observer = &rec;
          return o;
        }()) {
    rec.origin = t0;
    const store_status s = decode_engine(bytes, eng);
    BOOST_TEST_REQUIRE(static_cast<bool>(s), s.message());
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(snapshot_mid_pause_and_mid_run_restores_exactly) {
  sla_world w;
  const case_id c = w.create("S-1", t0);
  const case_id b = w.create("S-2", at("2026-03-02T17:00:00+08:00"), nullptr, w.flow("office_ticket"));
  BOOST_TEST(w.post(c, "ask", t0 + 9 * h).accepted());  // warned, then paused at 9h
  BOOST_TEST(w.post(b, "ask", at("2026-03-04T10:00:00+08:00")).accepted());
  BOOST_TEST(w.post(b, "reply", at("2026-03-04T11:00:00+08:00")).accepted());
  w.eng.advance_to(t0 + 50 * h);
  const std::string bytes = encode_engine(w.eng);
  restored r(w, bytes);
  BOOST_TEST(encode_engine(r.eng) == bytes);
  const clock_id k = w.clk("resolution");
  BOOST_TEST((r.eng.saved_clock(c, k) == w.eng.saved_clock(c, k)));
  BOOST_TEST((r.eng.saved_clock(b, 0) == w.eng.saved_clock(b, 0)));
  BOOST_TEST(r.eng.read_clock(c, k).paused == w.eng.read_clock(c, k).paused);
  BOOST_TEST(r.eng.read_clock(b, 0).next_due == w.eng.read_clock(b, 0).next_due);

  // Both go on alike: resume, the breach 1h later, and the business clock's next level.
  w.rec.take();
  const timestamp resume = t0 + 60 * h;
  BOOST_TEST(w.post(c, "reply", resume).accepted());
  BOOST_TEST(r.eng.post(c, w.ev("reply"), {}, resume).accepted());
  w.eng.advance_to(t0 + 100 * h);
  r.eng.advance_to(t0 + 100 * h);
  const lines mine = w.rec.take();
  BOOST_TEST(mine == r.rec.take());
  BOOST_TEST(std::count_if(mine.begin(), mine.end(),
                           [](const std::string& l) { return l.find(" breach level=") != std::string::npos; }) >= 3);
  BOOST_TEST(encode_engine(r.eng) == encode_engine(w.eng));
}

BOOST_AUTO_TEST_CASE(snapshot_of_an_older_layout_and_a_changed_clock_table) {
  sla_world w;
  w.create("S-3", t0);
  std::string bytes = encode_engine(w.eng);
  // Clock names are checked against the rule set.
  const std::string renamed = [&] {
    std::string x = bytes;
    const std::size_t at_name = x.find("by_field");
    BOOST_TEST_REQUIRE(at_name != std::string::npos);
    x[at_name] = 'B';
    return x;
  }();
  engine other(w.rules);
  const store_status s = decode_engine(renamed, other);
  BOOST_TEST(!static_cast<bool>(s));
  BOOST_TEST((s.code() == store_code::invalid));
  // The layout before clocks is refused for rules that have clocks.
  bytes.replace(0, 8, "CRMFSNP2");
  engine third(w.rules);
  BOOST_TEST(!static_cast<bool>(decode_engine(bytes, third)));
}

BOOST_AUTO_TEST_CASE(snapshots_of_one_rule_set_before_versions_and_before_clocks_still_read) {
  const auto rules = crmflow_test::load_ok(R"(flows:
  f:
    fields:
      n: {type: int}
    events:
      go:
    initial: a
    states:
      a:
        on:
          go: {to: b}
      b: {final: true}
)");
  engine e(rules);
  BOOST_TEST_REQUIRE(e.create_case(0, "x", t0).accepted());
  const std::string v5 = encode_engine(e);
  BOOST_TEST_REQUIRE(v5.substr(0, 8) == "CRMFSNP5");
  const std::string v4 = crmflow::store_detail::encode_engine_v4(e);
  // CRMFSNP4 holds a version table where the one-rule-set layouts hold a flow table, and each
  // case starts with its version slot. Rebuild CRMFSNP3 and CRMFSNP2 from it by that layout.
  const auto str = [](std::string_view text) {
    std::string out(4, '\0');
    const auto n = static_cast<std::uint32_t>(text.size());
    for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
    return out + std::string(text);
  };
  std::size_t versions = 4 + 1 + 4 + rules->name().size() + 4 + 1 + 4;
  for (const rules_source& src : rules->sources()) versions += 4 + src.file.size() + 4 + src.text.size();
  versions += 4;  // newest
  const std::size_t after_versions = 8 + 8 + versions;
  BOOST_TEST_REQUIRE(v4.substr(after_versions, 4) == std::string("\x01\0\0\0", 4));  // one case
  BOOST_TEST_REQUIRE(v4.substr(after_versions + 4, 2) == std::string(2, '\0'));        // on slot 0
  const std::string header_now = v4.substr(8, 8);
  const std::string cases = v4.substr(after_versions, 4) + v4.substr(after_versions + 6);
  // flows:u32 { name fields:u32 { type:u8 } [clocks:u16] }; field n is an int.
  const std::string flow_table = std::string("\x01\0\0\0", 4) + str("f") + std::string("\x01\0\0\0", 4) +
                                 static_cast<char>(rules->flow(0).fields[0].type);
  const std::string v3 = "CRMFSNP3" + header_now + flow_table + std::string(2, '\0') + cases;
  const std::string v2 = "CRMFSNP2" + header_now + flow_table + cases;
  for (const std::string* old : {&v4, &v3, &v2}) {
    engine back(rules);
    const store_status st = decode_engine(*old, back);
    BOOST_TEST_REQUIRE(st.ok(), old->substr(0, 8) << ": " << st.message());
    BOOST_TEST((encode_engine(back) == v5));
    BOOST_TEST((crmflow::store_detail::encode_engine_v4(back) == v4));
  }
}

namespace {

std::vector<std::string> load_errors(const std::string& clocks) {
  const std::string yaml = R"(calendars:
  office:
    week:
      mon: ["09:00-18:00"]
flows:
  f:
    fields:
      limit: {type: duration}
      note: {type: string}
    events:
      go:
    initial: a
    states:
      a:
        on:
          go: {to: b}
      b: {final: true}
    clocks:
)" + clocks;
  const load_result r = load_rules_from_string(yaml, "sla.yaml");
  BOOST_TEST(!r.ok());
  std::vector<std::string> out;
  for (const diagnostic& d : r.diagnostics) out.push_back(to_string(d));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(load_errors_name_file_line_column) {
  // Line 19 is the first line after `clocks:`.
  BOOST_TEST(load_errors("      c:\n        start: {enter: a}\n") ==
             (std::vector<std::string>{"sla.yaml:19:7: error: clock 'c' is missing the key 'limit'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n") ==
             (std::vector<std::string>{"sla.yaml:19:7: error: clock 'c' is missing the key 'start'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: nowhere}\n") ==
             (std::vector<std::string>{
                 "sla.yaml:21:24: error: 'enter' of 'start' of clock 'c' names unknown state or group 'nowhere'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {event: gone}\n") ==
             (std::vector<std::string>{"sla.yaml:21:24: error: 'event' of 'start' of clock 'c' names unknown event 'gone'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {if: true}\n") ==
             (std::vector<std::string>{
                 "sla.yaml:21:16: error: 'start' of clock 'c' needs 'enter' (a state or group), 'exit' or 'event'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: a}\n        warn_at: 100%\n") ==
             (std::vector<std::string>{
                 "sla.yaml:22:18: error: 'warn_at' of clock 'c' must be more than 0% and less than 100%, found 100%"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: a}\n        warn_at: eighty\n") ==
             (std::vector<std::string>{
                 "sla.yaml:22:18: error: 'warn_at' of clock 'c' must be a whole percentage of the limit such as 80% or "
                 "200% (at most 10000%), found 'eighty'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: a}\n        ladder:\n"
                         "          - at: 150%\n") ==
             (std::vector<std::string>{
                 "sla.yaml:23:17: error: 'at' of level 1 of the ladder of clock 'c' must be 100%: the first level is "
                 "the breach of the limit, found 150%"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: a}\n        ladder:\n"
                         "          - at: 100%\n          - at: 300%\n          - at: 200%\n") ==
             (std::vector<std::string>{
                 "sla.yaml:25:17: error: 'at' of level 3 of the ladder of clock 'c' must be more than the level "
                 "before (300%), found 200%"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: a}\n        on_warning: []\n") ==
             (std::vector<std::string>{"sla.yaml:22:9: error: clock 'c' has 'on_warning' but no 'warn_at' (such as 80%)"}));
  BOOST_TEST(load_errors("      c:\n        limit: 8 business hours\n        calendar: nope\n        start: {enter: a}\n") ==
             (std::vector<std::string>{"sla.yaml:21:19: error: unknown calendar 'nope' (defined: office)"}));
  BOOST_TEST(load_errors("      c:\n        limit: 8 business hours\n        start: {enter: a}\n") ==
             (std::vector<std::string>{
                 "sla.yaml:20:16: error: 'limit' of clock 'c' is business time ('8 business hours'), but no calendar "
                 "is in scope: give the clock 'calendar: NAME', or its flow 'calendar: NAME' or 'calendar_field: "
                 "FIELD'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 2 working days\n        calendar: office\n        start: {enter: a}\n") ==
             (std::vector<std::string>{
                 "sla.yaml:20:16: error: 'limit' of clock 'c' is in working days ('2 working days'), which a clock "
                 "cannot count as elapsed time; write business hours or minutes, such as '24 business hours'"}));
  BOOST_TEST(load_errors("      c:\n        limit: note\n        start: {enter: a}\n") ==
             (std::vector<std::string>{
                 "sla.yaml:20:16: error: 'limit' of clock 'c' names field 'note', which is string, not duration"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        calendar: office\n        start: {enter: a}\n") ==
             (std::vector<std::string>{
                 "sla.yaml:21:19: error: clock 'c' has 'calendar: office', but its 'limit' (1h) is calendar time, "
                 "which no calendar changes; write business time such as '24 business hours', or remove 'calendar'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: a}\n        pause: {exit: a}\n") ==
             (std::vector<std::string>{"sla.yaml:22:9: error: clock 'c' pauses but never resumes: add 'resume'"}));
  BOOST_TEST(load_errors("      c:\n        limit: 1h\n        start: {enter: a, if: note}\n") ==
             (std::vector<std::string>{"sla.yaml:21:31: error: guard must be true or false (a bool expression), but "
                                       "'note' is string"}));
}
