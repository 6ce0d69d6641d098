// The engine (crmflow/engine.hpp) on small flows written for each behaviour: case creation,
// every outcome of post(), guards and actions, internal/self/group transitions, timers and
// their exact firing times, emitted events, observer records and history.
#define BOOST_TEST_MODULE engine
#include "test_support.hpp"

#include <crmflow/detail/deadline_queue.hpp>
#include <crmflow/snapshot.hpp>

#include <limits>

using namespace crmflow_test;

namespace {

// ------------------------------------------------------------------------------------------------
// A small ticket flow: typed fields with and without defaults, an event with data, guards.
constexpr std::string_view ticket_rules = R"(
flows:
  ticket:
    label: 工单
    fields:
      title:   {type: string, default: "无标题"}
      owner:   {type: string}
      level:   {type: enum, values: [low, high, urgent], default: high}
      plain:   {type: enum, values: [first, second]}
      count:   {type: int, default: 7}
      zero:    {type: int}
      flag:    {type: bool, default: true}
      off:     {type: bool}
      opened:  {type: timestamp}
      limit:   {type: duration, default: 90s}
      nolimit: {type: duration}
    events:
      assign:
        data:
          who: string
          level: {type: enum, values: [low, high, urgent], default: low}
          urgent: {type: bool, default: false}
          n: {type: int, default: 1}
      close:
      reopen:
    initial: received
    states:
      received:
        label: 接待
        on_entry:
          - set: opened
            from: now
          - notify: desk
            message: "{case} 在 {state}：{title}"
        timers:
          - name: remind
            after: 1m
            do:
              - notify: desk
                message: "{case} 提醒"
        on:
          assign:
            - if: event.n > 0
              to: assigned
              do:
                - set: owner
                  from: event.who
                - set: level
                  from: event.level
            - if: event.n == 0 and event.urgent
              to: assigned
          close:
            to: closed
      assigned:
        label: 已分派
        on:
          close:
            if: flag and level != urgent
            to: closed
          reopen:
            to: received
      closed:
        label: 关闭
        final: true
)";

}  // namespace

// ================================================================================================
BOOST_AUTO_TEST_SUITE(create_case)

BOOST_AUTO_TEST_CASE(runs_initial_entry_actions_and_starts_initial_timers) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 1000);
  BOOST_TEST(c == 0u);
  BOOST_TEST(w.rec.take() == (lines{
                                 "created C-1 received @1000",
                                 "set C-1 opened=1000 @1000",
                                 "notify C-1 desk: C-1 在 接待：无标题 @1000",
                             }));
  BOOST_TEST(w.state(c) == "received");
  BOOST_TEST(w.eng.state(c) == w.st("received"));
  BOOST_TEST(!w.eng.is_final(c));
  BOOST_TEST(w.eng.case_flow(c) == 0);
  BOOST_TEST(w.eng.case_name(c) == "C-1");
  BOOST_TEST(w.eng.find_case("C-1") == std::optional<case_id>(c));
  BOOST_TEST(w.eng.case_count() == 1u);
  BOOST_TEST(w.eng.now() == 1000);
  BOOST_TEST(w.deadlines(c) == lines{"remind@61000"});
  BOOST_TEST(w.eng.pending_deadlines() == 1u);
  BOOST_TEST(w.history(c).empty());  // creation is not a transition
}

BOOST_AUTO_TEST_CASE(fields_start_at_defaults_or_zero_values) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 1000);
  BOOST_TEST(w.field(c, "title") == "无标题");
  BOOST_TEST(w.field(c, "owner") == "");
  BOOST_TEST(w.raw(c, "owner") == 0);
  BOOST_TEST(w.field(c, "level") == "high");
  BOOST_TEST(w.raw(c, "level") == 1);
  BOOST_TEST(w.field(c, "plain") == "first");
  BOOST_TEST(w.field(c, "count") == "7");
  BOOST_TEST(w.field(c, "zero") == "0");
  BOOST_TEST(w.field(c, "flag") == "true");
  BOOST_TEST(w.field(c, "off") == "false");
  BOOST_TEST(w.raw(c, "opened") == 1000);  // entry action
  BOOST_TEST(w.field(c, "opened") == "1970-01-01T08:00:01+08:00");
  BOOST_TEST(w.raw(c, "limit") == 90 * s);
  BOOST_TEST(w.field(c, "limit") == "1m30s");
  BOOST_TEST(w.field(c, "nolimit") == "0s");
}

BOOST_AUTO_TEST_CASE(initial_values_from_a_data_record_then_entry_actions) {
  world w(ticket_rules);
  data_record init;
  init.set(w.fld("title"), w.str("电梯故障"));
  init.set(w.fld("level"), 2);  // urgent
  init.set(w.fld("count"), -3);
  init.set(w.fld("off"), 1);
  init.set(w.fld("limit"), 5 * s);
  init.set(w.fld("opened"), 5);  // overwritten by the entry action
  const case_id c = w.create("C-2", 2000, &init);
  BOOST_TEST(w.field(c, "title") == "电梯故障");
  BOOST_TEST(w.field(c, "level") == "urgent");
  BOOST_TEST(w.field(c, "count") == "-3");
  BOOST_TEST(w.field(c, "off") == "true");
  BOOST_TEST(w.raw(c, "limit") == 5 * s);
  BOOST_TEST(w.raw(c, "opened") == 2000);
  // Untouched fields keep their defaults.
  BOOST_TEST(w.field(c, "owner") == "");
  BOOST_TEST(w.field(c, "flag") == "true");
  BOOST_TEST(w.rec.take() == (lines{
                                 "created C-2 received @2000",
                                 "set C-2 opened=2000 @2000",
                                 "notify C-2 desk: C-2 在 接待：电梯故障 @2000",
                             }));
}

BOOST_AUTO_TEST_CASE(anonymous_cases_are_reachable_by_id_only) {
  world w(ticket_rules);
  const case_id a = w.create("", 0);
  const case_id b = w.create("", 0);
  BOOST_TEST(a == 0u);
  BOOST_TEST(b == 1u);
  BOOST_TEST(w.eng.case_name(b) == "");
  BOOST_TEST(!w.eng.find_case(""));
  BOOST_TEST(w.rec.take() == (lines{
                                 "created #0 received @0",
                                 "set #0 opened=0 @0",
                                 "notify #0 desk: #0 在 接待：无标题 @0",
                                 "created #1 received @0",
                                 "set #1 opened=0 @0",
                                 "notify #1 desk: #1 在 接待：无标题 @0",
                             }));
}

BOOST_AUTO_TEST_CASE(refusals_create_nothing) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 1000);
  w.rec.take();
  const std::string before = w.snap(c);

  auto refused = [&](create_result r, status why) {
    BOOST_TEST(r.status == why);
    BOOST_TEST(!r.accepted());
    BOOST_TEST(r.id == no_id32);
    BOOST_TEST(w.eng.case_count() == 1u);
    BOOST_TEST(w.rec.take().empty());
    BOOST_TEST(w.snap(c) == before);
    BOOST_TEST(w.eng.pending_deadlines() == 1u);
  };

  refused(w.eng.create_case(0, "C-1", 2000), status::duplicate_case);
  refused(w.eng.create_case(1, "C-9", 2000), status::unknown_flow);
  refused(w.eng.create_case(no_id16, "C-9", 2000), status::unknown_flow);
  refused(w.eng.create_case(0, "C-9", 999), status::time_backwards);
  BOOST_TEST(w.eng.now() == 1000);

  data_record bad;
  bad.set(static_cast<std::uint16_t>(w.program().fields.size()), 0);  // no such field
  refused(w.eng.create_case(0, "C-9", 2000, &bad), status::bad_data);
  bad.clear();
  bad.set(w.fld("level"), 3);  // three values: 0..2
  refused(w.eng.create_case(0, "C-9", 2000, &bad), status::bad_data);
  bad.clear();
  bad.set(w.fld("level"), -1);
  refused(w.eng.create_case(0, "C-9", 2000, &bad), status::bad_data);
  bad.clear();
  bad.set(w.fld("off"), 2);  // bool is 0 or 1
  refused(w.eng.create_case(0, "C-9", 2000, &bad), status::bad_data);
  bad.clear();
  bad.set(w.fld("title"), 123456);  // not an interned string
  refused(w.eng.create_case(0, "C-9", 2000, &bad), status::bad_data);
  BOOST_TEST(!w.eng.find_case("C-9"));

  // The name is still free after all those refusals.
  BOOST_TEST(w.eng.create_case(0, "C-9", 2000).id == 1u);
}

BOOST_AUTO_TEST_CASE(fires_deadlines_due_strictly_before_it) {
  world w(ticket_rules);
  w.create("C-1", 0);  // remind due at 60000
  w.rec.take();
  // A case created exactly at the deadline comes first: the deadline is still pending.
  w.create("C-2", 60000);
  BOOST_TEST(w.rec.take() == (lines{
                                 "created C-2 received @60000",
                                 "set C-2 opened=60000 @60000",
                                 "notify C-2 desk: C-2 在 接待：无标题 @60000",
                             }));
  BOOST_TEST(w.eng.pending_deadlines() == 2u);
  w.create("C-3", 60001);
  BOOST_TEST(w.rec.take() == (lines{
                                 "deadline C-1 remind @60000",
                                 "notify C-1 desk: C-1 提醒 @60000",
                                 "created C-3 received @60001",
                                 "set C-3 opened=60001 @60001",
                                 "notify C-3 desk: C-3 在 接待：无标题 @60001",
                             }));
  BOOST_TEST(w.eng.pending_deadlines() == 2u);  // C-2's (120000) and C-3's (120001)
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================================================
BOOST_AUTO_TEST_SUITE(post_outcomes)

BOOST_AUTO_TEST_CASE(accepted_reports_from_to_and_the_transition_taken) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 1000);
  w.rec.take();
  const outcome o = w.post(c, "assign", 2000, w.data("assign", {{"who", w.str("张三")}, {"level", 2}}));
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.status == status::accepted);
  BOOST_TEST(o.from == w.st("received"));
  BOOST_TEST(o.to == w.st("assigned"));
  BOOST_TEST_REQUIRE(o.transition < w.program().transitions.size());
  const detail::transition_def& tr = w.program().transitions[o.transition];
  BOOST_TEST(tr.event == w.ev("assign"));
  BOOST_TEST(tr.guard_text == "event.n > 0");
  BOOST_TEST(!tr.internal);
  BOOST_TEST(tr.target == w.st("assigned"));
  BOOST_TEST(w.rec.take() == (lines{
                                 "transition C-1 received->assigned assign posted @2000",
                                 "set C-1 owner=张三 @2000",
                                 "set C-1 level=urgent @2000",
                             }));
  BOOST_TEST(w.state(c) == "assigned");
  BOOST_TEST(w.deadlines(c).empty());  // leaving received stopped its timer
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.eng.now() == 2000);
  BOOST_TEST(w.history(c) == lines{"2000 assign received->assigned posted"});
}

BOOST_AUTO_TEST_CASE(second_alternative_is_a_different_transition) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 1000);
  const outcome o =
      w.post(c, "assign", 2000, w.data("assign", {{"who", w.str("李四")}, {"n", 0}, {"urgent", 1}}));
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.program().transitions[o.transition].guard_text == "event.n == 0 and event.urgent");
  BOOST_TEST(w.field(c, "owner") == "");  // this alternative sets nothing
  BOOST_TEST(w.field(c, "level") == "high");
  BOOST_TEST(w.state(c) == "assigned");
}

// Posts `e` and checks that it was refused with `why`, that the observer heard exactly
// `expected`, and that nothing about the case changed.
void expect_refused(world& w, outcome o, status why, const lines& expected) {
  BOOST_TEST(o.status == why);
  BOOST_TEST(!o.accepted());
  BOOST_TEST(o.transition == no_id32);
  BOOST_TEST(w.rec.take() == expected);
}

BOOST_AUTO_TEST_CASE(refused_events_change_nothing) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 1000);
  const case_id c2 = w.create("C-2", 1000);
  w.post(c, "assign", 2000, w.data("assign", {{"who", w.str("张三")}, {"level", 2}}));
  w.rec.take();
  const std::string before = w.snap(c);
  const std::string before2 = w.snap(c2);
  const state_id assigned = w.st("assigned");
  const state_id received = w.st("received");

  // close: assigned has a transition, but level is urgent.
  outcome o = w.post(c, "close", 3000);
  expect_refused(w, o, status::guard_false, {"rejected C-1 close guard_false posted @3000"});
  BOOST_TEST(o.from == assigned);
  BOOST_TEST(o.to == assigned);
  BOOST_TEST(w.snap(c) == before);

  // assign: nothing for it in assigned.
  o = w.post(c, "assign", 3000, w.data("assign", {{"who", w.str("王五")}}));
  expect_refused(w, o, status::no_transition, {"rejected C-1 assign no_transition posted @3000"});
  BOOST_TEST(o.from == assigned);
  BOOST_TEST(w.snap(c) == before);

  o = w.eng.post(c, 99, {}, 3000);
  expect_refused(w, o, status::unknown_event, {"rejected C-1 #99 unknown_event posted @3000"});
  BOOST_TEST(o.from == assigned);
  BOOST_TEST(w.snap(c) == before);

  o = w.eng.post(42, w.ev("close"), {}, 3000);
  expect_refused(w, o, status::unknown_case,
                 {"rejected #42 #" + std::to_string(w.ev("close")) + " unknown_case posted @3000"});
  BOOST_TEST(o.from == no_id16);
  BOOST_TEST(o.to == no_id16);

  o = w.post(c, "reopen", 2999);
  expect_refused(w, o, status::time_backwards, {"rejected C-1 reopen time_backwards posted @2999"});
  BOOST_TEST(w.eng.now() == 3000);
  BOOST_TEST(w.snap(c) == before);

  // bad_data, on C-2 (in received, where assign has transitions).
  auto bad = [&](const data_record& d) {
    const outcome r = w.post(c2, "assign", 3000, d);
    expect_refused(w, r, status::bad_data, {"rejected C-2 assign bad_data posted @3000"});
    BOOST_TEST(r.from == received);
    BOOST_TEST(w.snap(c2) == before2);
  };
  bad(w.data("assign", {{"level", 1}}));                         // `who` has no default
  bad(w.data("assign", {}));                                     // nothing at all
  data_record extra = w.data("assign", {{"who", w.str("张三")}});
  extra.set(4, 0);                                               // four items declared: 0..3
  bad(extra);
  bad(w.data("assign", {{"who", w.str("张三")}, {"level", 3}}));   // enum out of range
  bad(w.data("assign", {{"who", w.str("张三")}, {"level", -1}}));
  bad(w.data("assign", {{"who", w.str("张三")}, {"urgent", 2}}));  // bool is 0 or 1
  bad(w.data("assign", {{"who", 987654}}));                       // not an interned string

  // And the same events, made valid, are accepted.
  BOOST_TEST(w.post(c2, "assign", 3000, w.data("assign", {{"who", w.str("张三")}})).accepted());
  BOOST_TEST(w.post(c, "reopen", 3000).accepted());
  BOOST_TEST(w.state(c) == "received");
}

BOOST_AUTO_TEST_CASE(events_to_a_closed_case_are_no_transition) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 1000);
  BOOST_TEST(w.post(c, "close", 2000).accepted());
  BOOST_TEST(w.eng.is_final(c));
  w.rec.take();
  const std::string before = w.snap(c);
  BOOST_TEST(w.post(c, "reopen", 3000).status == status::no_transition);
  BOOST_TEST(w.post(c, "close", 3000).status == status::no_transition);
  BOOST_TEST(w.rec.take() == (lines{"rejected C-1 reopen no_transition posted @3000",
                                    "rejected C-1 close no_transition posted @3000"}));
  BOOST_TEST(w.snap(c) == before);
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================================================
BOOST_AUTO_TEST_SUITE(guards_and_actions)

constexpr std::string_view guard_rules = R"(
flows:
  g:
    fields:
      count: {type: int, default: 0}
      color: {type: enum, values: [red, green, blue], default: red}
      name:  {type: string, default: "甲"}
      flag:  {type: bool, default: false}
      since: {type: timestamp}
      which: {type: int, default: 0}
    events:
      check:
        data:
          n: {type: int, default: 0}
          s: {type: string, default: ""}
          b: {type: bool, default: false}
          c: {type: enum, values: [red, green, blue], default: red}
      bump:
        data:
          by: {type: int, default: 1}
      paint:
        data:
          c: {type: enum, values: [red, green, blue]}
          s: string
          b: bool
          at: timestamp
      finish:
    initial: s0
    states:
      s0:
        on_entry:
          - set: since
            from: now
        on:
          check:
            - if: event.n > 10 and not event.b
              do: [{set: which, to: 1}]
            - if: event.c in [green, blue] or event.s == 'x'
              do: [{set: which, to: 2}]
            - if: count >= 3 and count != 5 and color == red
              do: [{set: which, to: 3}]
            - if: (event.n < -5 or event.n == -1) and not flag
              do: [{set: which, to: 4}]
            - if: name == event.s
              do: [{set: which, to: 5}]
            - if: (now - since) >= 1m and now < (since + 2m)
              do: [{set: which, to: 6}]
            - if: event.n >= 100 or (flag and event.b)
              do: [{set: which, to: 7}]
          bump:
            do:
              - set: count
                from: count + event.by
          paint:
            do:
              - set: color
                from: event.c
              - set: name
                from: event.s
              - set: flag
                from: event.b
              - set: since
                from: event.at
          finish:
            to: done
      done:
        final: true
)";

using items = std::initializer_list<std::pair<std::string_view, raw_value>>;

// Posts `check` and returns the alternative taken (the `which` it set), or -1 for guard_false.
raw_value check(world& w, case_id c, timestamp at, items data) {
  const std::string before = w.snap(c);
  const outcome o = w.post(c, "check", at, w.data("check", data));
  if (o.status == status::guard_false) {
    BOOST_TEST(w.snap(c) == before);
    return -1;
  }
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.from == o.to);
  return w.raw(c, "which");
}

BOOST_AUTO_TEST_CASE(guards_over_fields_event_data_and_now) {
  world w(guard_rules);
  const case_id c = w.create("G", 0);  // since = 0
  BOOST_TEST(check(w, c, 1000, {{"n", 11}}) == 1);
  BOOST_TEST(check(w, c, 1000, {{"n", 10}}) == -1);             // > is strict
  BOOST_TEST(check(w, c, 1000, {{"n", 11}, {"b", 1}}) == -1);   // and not
  BOOST_TEST(check(w, c, 1000, {{"c", 2}}) == 2);               // in [green, blue]
  BOOST_TEST(check(w, c, 1000, {{"c", 1}}) == 2);
  BOOST_TEST(check(w, c, 1000, {{"s", w.str("x")}}) == 2);      // or
  BOOST_TEST(check(w, c, 1000, {{"s", w.str("y")}}) == -1);

  BOOST_TEST(w.post(c, "bump", 1000, w.data("bump", {{"by", 2}})).accepted());
  BOOST_TEST(w.raw(c, "count") == 2);
  BOOST_TEST(check(w, c, 1000, {}) == -1);                      // count >= 3 fails
  BOOST_TEST(w.post(c, "bump", 1000).accepted());               // by defaults to 1
  BOOST_TEST(w.raw(c, "count") == 3);
  BOOST_TEST(check(w, c, 1000, {}) == 3);
  BOOST_TEST(w.post(c, "bump", 1000, w.data("bump", {{"by", 2}})).accepted());
  BOOST_TEST(check(w, c, 1000, {}) == -1);                      // count != 5 fails
  BOOST_TEST(w.post(c, "bump", 1000, w.data("bump", {{"by", -1}})).accepted());
  BOOST_TEST(w.raw(c, "count") == 4);
  BOOST_TEST(check(w, c, 1000, {}) == 3);
  BOOST_TEST(w.post(c, "bump", 1000).accepted());
  BOOST_TEST(w.raw(c, "count") == 5);

  BOOST_TEST(check(w, c, 1000, {{"n", -6}}) == 4);
  BOOST_TEST(check(w, c, 1000, {{"n", -5}}) == -1);             // < is strict
  BOOST_TEST(check(w, c, 1000, {{"n", -1}}) == 4);
  BOOST_TEST(check(w, c, 1000, {{"n", -3}}) == -1);
  BOOST_TEST(check(w, c, 1000, {{"s", w.str("甲")}}) == 5);     // field == event data

  // (now - since) >= 1m and now < since + 2m, with since = 0.
  BOOST_TEST(check(w, c, 59999, {}) == -1);
  BOOST_TEST(check(w, c, 60000, {}) == 6);
  BOOST_TEST(check(w, c, 119999, {}) == 6);
  BOOST_TEST(check(w, c, 120000, {}) == -1);

  BOOST_TEST(check(w, c, 120000, {{"n", 100}, {"b", 1}}) == 7);  // >= is inclusive
  BOOST_TEST(check(w, c, 120000, {{"n", 99}, {"b", 1}}) == -1);   // flag is false
  BOOST_TEST(check(w, c, 120000, {{"n", -100}}) == 4);
}

BOOST_AUTO_TEST_CASE(set_from_event_data_of_every_type) {
  world w(guard_rules);
  const case_id c = w.create("G", 0);
  w.rec.take();
  const outcome o = w.post(c, "paint", 5000,
                           w.data("paint", {{"c", 2}, {"s", w.str("乙")}, {"b", 1}, {"at", 123456}}));
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.rec.take() == (lines{
                                 "transition G s0->s0 paint posted internal @5000",
                                 "set G color=blue @5000",
                                 "set G name=乙 @5000",
                                 "set G flag=1 @5000",
                                 "set G since=123456 @5000",
                             }));
  BOOST_TEST(w.field(c, "color") == "blue");
  BOOST_TEST(w.field(c, "name") == "乙");
  BOOST_TEST(w.raw(c, "flag") == 1);
  BOOST_TEST(w.raw(c, "since") == 123456);
  // The new values drive the guards: flag and event.b.
  BOOST_TEST(check(w, c, 6000, {{"b", 1}}) == 7);
  BOOST_TEST(check(w, c, 6000, {{"n", -6}}) == -1);  // not flag fails now
  BOOST_TEST(check(w, c, 6000, {{"s", w.str("乙")}}) == 5);
  // paint has no defaults: every item is required.
  BOOST_TEST(w.post(c, "paint", 6000, w.data("paint", {{"c", 2}, {"s", 0}, {"b", 1}})).status ==
             status::bad_data);
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================================================
BOOST_AUTO_TEST_SUITE(transitions)

constexpr std::string_view self_rules = R"(
flows:
  t:
    fields:
      entries: {type: int, default: 0}
      exits:   {type: int, default: 0}
      acts:    {type: int, default: 0}
    events:
      poke:
      redo:
      finish:
    initial: work
    states:
      work:
        on_entry:
          - set: entries
            from: entries + 1
        on_exit:
          - set: exits
            from: exits + 1
        timers:
          - name: nag
            after: 1m
            do:
              - notify: boss
                message: "{case} 超时"
        on:
          poke:
            do:
              - set: acts
                from: acts + 1
          redo:
            to: work
            do:
              - set: acts
                from: acts + 10
          finish:
            to: done
      done:
        final: true
        on_entry:
          - set: acts
            from: acts + 100
)";

BOOST_AUTO_TEST_CASE(internal_runs_only_its_actions_self_leaves_and_reenters) {
  world w(self_rules);
  const case_id c = w.create("W", 0);
  BOOST_TEST(w.rec.take() == (lines{"created W work @0", "set W entries=1 @0"}));
  BOOST_TEST(w.deadlines(c) == lines{"nag@60000"});

  outcome o = w.post(c, "poke", 10000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.from == w.st("work"));
  BOOST_TEST(o.to == w.st("work"));
  BOOST_TEST(w.program().transitions[o.transition].internal);
  BOOST_TEST(w.rec.take() == (lines{"transition W work->work poke posted internal @10000",
                                    "set W acts=1 @10000"}));
  BOOST_TEST(w.deadlines(c) == lines{"nag@60000"});  // not restarted

  o = w.post(c, "redo", 20000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.from == w.st("work"));
  BOOST_TEST(o.to == w.st("work"));
  BOOST_TEST(!w.program().transitions[o.transition].internal);
  BOOST_TEST(w.rec.take() == (lines{
                                 "transition W work->work redo posted @20000",
                                 "set W exits=1 @20000",
                                 "set W acts=11 @20000",
                                 "set W entries=2 @20000",
                             }));
  BOOST_TEST(w.deadlines(c) == lines{"nag@80000"});  // restarted
  BOOST_TEST(w.eng.pending_deadlines() == 1u);

  BOOST_TEST(w.eng.advance_to(79999) == 0u);
  BOOST_TEST(w.rec.take().empty());
  BOOST_TEST(w.eng.advance_to(80000) == 1u);
  BOOST_TEST(w.rec.take() == (lines{"deadline W nag @80000", "notify W boss: W 超时 @80000"}));
  BOOST_TEST(w.deadlines(c).empty());

  BOOST_TEST(w.post(c, "finish", 90000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition W work->done finish posted @90000",
                                    "set W exits=2 @90000", "set W acts=111 @90000"}));
  BOOST_TEST(w.history(c) == (lines{"10000 poke work->work posted", "20000 redo work->work posted",
                                    "90000 finish work->done posted"}));
}

constexpr std::string_view group_rules = R"(
flows:
  grp:
    fields:
      g_in:  {type: int, default: 0}
      g_out: {type: int, default: 0}
      a_in:  {type: int, default: 0}
      a_out: {type: int, default: 0}
      hits:  {type: int, default: 0}
    events:
      next:
      out:
      back:
      ping:
      late:
      finish:
    initial: outside
    states:
      outside:
        on:
          back:
            to: a
          finish:
            to: done
      a:
        on_entry:
          - set: a_in
            from: a_in + 1
        on_exit:
          - set: a_out
            from: a_out + 1
        on:
          next:
            to: b
          ping:
            do:
              - set: hits
                from: hits + 100
      b:
        on:
          out:
            to: outside
          back:
            to: a
      done:
        final: true
    groups:
      inner:
        states: [a, b]
        on_entry:
          - set: g_in
            from: g_in + 1
        on_exit:
          - set: g_out
            from: g_out + 1
        timers:
          - name: g_limit
            after: 10m
            event: late
        on:
          ping:
            do:
              - set: hits
                from: hits + 1
          late:
            to: outside
          finish:
            to: done
)";

BOOST_AUTO_TEST_CASE(group_timers_and_transitions) {
  world w(group_rules);
  const case_id c = w.create("X", 0);
  w.rec.take();
  BOOST_TEST(w.deadlines(c).empty());

  // Entering the group from outside: group entry actions, then the state's; group timer starts.
  BOOST_TEST(w.post(c, "back", 1000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition X outside->a back posted @1000", "set X g_in=1 @1000",
                                    "set X a_in=1 @1000"}));
  BOOST_TEST(w.deadlines(c) == lines{"g_limit@601000"});

  // The state's own transition wins over the group's for the same event.
  outcome o = w.post(c, "ping", 2000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(!w.program().transitions[o.transition].from_group);
  BOOST_TEST(w.raw(c, "hits") == 100);

  // Moving inside the group: no group exit/entry, the group timer keeps running.
  BOOST_TEST(w.post(c, "next", 3000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition X a->a ping posted internal @2000", "set X hits=100 @2000",
                                    "transition X a->b next posted @3000", "set X a_out=1 @3000"}));
  BOOST_TEST(w.deadlines(c) == lines{"g_limit@601000"});

  // In b, only the group has ping.
  o = w.post(c, "ping", 4000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.program().transitions[o.transition].from_group);
  BOOST_TEST(w.raw(c, "hits") == 101);

  // b -> a and back again stays inside.
  BOOST_TEST(w.post(c, "back", 5000).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"g_limit@601000"});
  BOOST_TEST(w.post(c, "next", 6000).accepted());
  w.rec.take();

  // Leaving the group: state exit, then group exit; the group timer is cancelled.
  BOOST_TEST(w.post(c, "out", 7000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition X b->outside out posted @7000", "set X g_out=1 @7000"}));
  BOOST_TEST(w.deadlines(c).empty());
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.eng.advance_to(601000) == 0u);
  BOOST_TEST(w.post(c, "ping", 601000).status == status::no_transition);
  w.rec.take();

  // Entering again from outside starts the group timer afresh; when it fires, its event takes
  // the group's transition out.
  BOOST_TEST(w.post(c, "back", 700000).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"g_limit@1300000"});
  w.rec.take();
  BOOST_TEST(w.eng.advance_to(1300000) == 1u);
  BOOST_TEST(w.rec.take() == (lines{
                                 "deadline X g_limit @1300000",
                                 "transition X a->outside late timer @1300000",
                                 "set X a_out=3 @1300000",
                                 "set X g_out=2 @1300000",
                             }));
  BOOST_TEST(w.state(c) == "outside");
  BOOST_TEST(w.deadlines(c).empty());

  // A group transition to a final state.
  BOOST_TEST(w.post(c, "back", 1400000).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"g_limit@2000000"});
  w.rec.take();
  o = w.post(c, "finish", 1500000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.program().transitions[o.transition].from_group);
  BOOST_TEST(w.rec.take() == (lines{"transition X a->done finish posted @1500000", "set X a_out=4 @1500000",
                                    "set X g_out=3 @1500000"}));
  BOOST_TEST(w.eng.is_final(c));
  BOOST_TEST(w.deadlines(c).empty());
  BOOST_TEST(w.field(c, "g_in") == "3");
  BOOST_TEST(w.field(c, "a_in") == "4");
  BOOST_TEST(w.history(c) == (lines{
                                 "1000 back outside->a posted",
                                 "2000 ping a->a posted",
                                 "3000 next a->b posted",
                                 "4000 ping b->b posted",
                                 "5000 back b->a posted",
                                 "6000 next a->b posted",
                                 "7000 out b->outside posted",
                                 "700000 back outside->a posted",
                                 "1300000 late a->outside timer",
                                 "1400000 back outside->a posted",
                                 "1500000 finish a->done posted",
                             }));
}

BOOST_AUTO_TEST_CASE(initial_state_in_a_group_enters_the_group) {
  constexpr std::string_view rules = R"(
flows:
  f:
    fields:
      g_in: {type: int, default: 0}
    events:
      go:
    initial: a
    states:
      a:
        on:
          go:
            to: z
      z:
        final: true
    groups:
      g:
        states: [a]
        on_entry:
          - set: g_in
            from: g_in + 1
        timers:
          - name: gt
            after: 1h
            do:
              - notify: x
                message: "gt"
)";
  world w(rules);
  const case_id c = w.create("I", 5);
  BOOST_TEST(w.rec.take() == (lines{"created I a @5", "set I g_in=1 @5"}));
  BOOST_TEST(w.deadlines(c) == lines{"gt@3600005"});
}

constexpr std::string_view final_rules = R"(
flows:
  fin:
    fields:
      n: {type: int, default: 0}
    events:
      arm:
      finish:
    initial: s
    states:
      s:
        timers:
          - name: st
            after: 1h
            do: [{notify: x, message: "st"}]
        on:
          arm:
            do:
              - start_timer: flow_t
          finish:
            to: done
            do:
              - start_timer: flow_u
      done:
        final: true
    groups:
      g:
        states: [s]
        timers:
          - name: gt
            after: 2h
            do: [{notify: x, message: "gt"}]
    timers:
      - name: flow_t
        after: 3h
        do: [{notify: x, message: "t"}]
      - name: flow_u
        after: 4h
        do: [{notify: x, message: "u"}]
)";

BOOST_AUTO_TEST_CASE(entering_a_final_state_cancels_every_timer) {
  world w(final_rules);
  const case_id c = w.create("F", 0);
  const case_id other = w.create("O", 0);
  BOOST_TEST(w.deadlines(c) == (lines{"gt@7200000", "st@3600000"}));
  BOOST_TEST(w.post(c, "arm", 1000).accepted());
  BOOST_TEST(w.deadlines(c) == (lines{"flow_t@10801000", "gt@7200000", "st@3600000"}));
  BOOST_TEST(w.eng.pending_deadlines() == 5u);
  w.rec.take();
  // Even a timer started by the transition into the final state is stopped.
  BOOST_TEST(w.post(c, "finish", 2000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition F s->done finish posted @2000",
                                    "start_timer F flow_u due=14402000 @2000"}));
  BOOST_TEST(w.deadlines(c).empty());
  BOOST_TEST(w.eng.pending_deadlines() == 2u);  // the other case's
  BOOST_TEST(w.eng.advance_to(100 * h) == 2u);
  BOOST_TEST(w.rec.take() == (lines{"deadline O st @3600000", "notify O x: st @3600000",
                                    "deadline O gt @7200000", "notify O x: gt @7200000"}));
  BOOST_TEST(w.deadlines(other).empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================================================
BOOST_AUTO_TEST_SUITE(timers)

constexpr std::string_view timer_rules = R"(
flows:
  tm:
    fields:
      limit:    {type: duration, default: 30s}
      fired_at: {type: timestamp}
      fires:    {type: int, default: 0}
    events:
      start:
      stop:
      set_limit:
        data:
          limit: duration
      start_by_field:
      expired:
      finish:
    initial: s
    states:
      s:
        on:
          start:
            do: [{start_timer: t1}]
          stop:
            do: [{cancel_timer: t1}]
          set_limit:
            do:
              - set: limit
                from: event.limit
          start_by_field:
            do: [{start_timer: by_field}]
          expired:
            do:
              - set: fires
                from: fires + 1
          finish:
            to: done
      done:
        final: true
    timers:
      - name: t1
        after: 1m
        do:
          - set: fired_at
            from: now
        event: expired
      - name: by_field
        after: limit
        event: expired
)";

BOOST_AUTO_TEST_CASE(start_restart_fire_cancel) {
  world w(timer_rules);
  const case_id c = w.create("T", 0);
  BOOST_TEST(w.deadlines(c).empty());  // flow timers start only by action
  w.rec.take();

  BOOST_TEST(w.post(c, "start", 1000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition T s->s start posted internal @1000",
                                    "start_timer T t1 due=61000 @1000"}));
  BOOST_TEST(w.deadlines(c) == lines{"t1@61000"});

  // Starting it again restarts it: one deadline, due from the restart.
  BOOST_TEST(w.post(c, "start", 11000).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"t1@71000"});
  BOOST_TEST(w.eng.pending_deadlines() == 1u);
  w.rec.take();

  BOOST_TEST(w.eng.advance_to(70999) == 0u);
  BOOST_TEST(w.rec.take().empty());
  BOOST_TEST(w.eng.now() == 70999);
  BOOST_TEST(w.eng.advance_to(71000) == 1u);
  // Actions first, then the event, all at the due time.
  BOOST_TEST(w.rec.take() == (lines{
                                 "deadline T t1 @71000",
                                 "set T fired_at=71000 @71000",
                                 "transition T s->s expired timer internal @71000",
                                 "set T fires=1 @71000",
                             }));
  BOOST_TEST(w.deadlines(c).empty());
  BOOST_TEST(w.eng.pending_deadlines() == 0u);

  // Cancelled: never fires.
  BOOST_TEST(w.post(c, "start", 80000).accepted());
  BOOST_TEST(w.post(c, "stop", 90000).accepted());
  BOOST_TEST(w.deadlines(c).empty());
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.eng.advance_to(200000) == 0u);
  // Cancelling a timer that is not running changes nothing and reports no action.
  BOOST_TEST(w.rec.take() == (lines{"transition T s->s start posted internal @80000",
                                    "start_timer T t1 due=140000 @80000",
                                    "transition T s->s stop posted internal @90000",
                                    "cancel_timer T t1 @90000"}));
  BOOST_TEST(w.post(c, "stop", 200000).accepted());
  BOOST_TEST(w.rec.take() == lines{"transition T s->s stop posted internal @200000"});
  BOOST_TEST(w.raw(c, "fires") == 1);
}

BOOST_AUTO_TEST_CASE(after_a_duration_field_reads_it_at_start) {
  world w(timer_rules);
  const case_id c = w.create("T", 0);
  BOOST_TEST(w.post(c, "start_by_field", 200000).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"by_field@230000"});  // default 30s
  BOOST_TEST(w.post(c, "set_limit", 210000, w.data("set_limit", {{"limit", 5 * s}})).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"by_field@230000"});  // a running timer keeps its due time
  w.rec.take();
  BOOST_TEST(w.post(c, "start_by_field", 210000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition T s->s start_by_field posted internal @210000",
                                    "start_timer T by_field due=215000 @210000"}));
  BOOST_TEST(w.deadlines(c) == lines{"by_field@215000"});
  BOOST_TEST(w.eng.advance_to(214999) == 0u);
  BOOST_TEST(w.eng.advance_to(215000) == 1u);
  BOOST_TEST(w.raw(c, "fires") == 1);

  // A zero or negative limit does not start the timer, and stops one that runs.
  BOOST_TEST(w.post(c, "start_by_field", 220000).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"by_field@225000"});
  BOOST_TEST(w.post(c, "set_limit", 220000, w.data("set_limit", {{"limit", 0}})).accepted());
  w.rec.take();
  BOOST_TEST(w.post(c, "start_by_field", 220000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition T s->s start_by_field posted internal @220000",
                                    "start_timer T by_field due=0 @220000"}));
  BOOST_TEST(w.deadlines(c).empty());
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.post(c, "set_limit", 220000, w.data("set_limit", {{"limit", -1000}})).accepted());
  BOOST_TEST(w.post(c, "start_by_field", 220000).accepted());
  BOOST_TEST(w.deadlines(c).empty());
  BOOST_TEST(w.eng.advance_to(10 * d) == 0u);
  BOOST_TEST(w.raw(c, "fires") == 1);
}

// Regression: a duration field holding a huge value (it comes from event data) made
// start_timer compute now + after with signed overflow, undefined behaviour that in practice
// wrapped to a due time in the distant past, so the timer fired at once. The due time now
// saturates at the largest timestamp: the timer waits forever.
BOOST_AUTO_TEST_CASE(start_timer_with_a_huge_duration_does_not_overflow) {
  world w(timer_rules);
  const case_id c = w.create("T", 1000);
  const duration huge = std::numeric_limits<duration>::max();
  BOOST_TEST(w.post(c, "set_limit", 2000, w.data("set_limit", {{"limit", huge}})).accepted());
  BOOST_TEST(w.post(c, "start_by_field", 3000).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"by_field@" + std::to_string(std::numeric_limits<timestamp>::max())});
  BOOST_TEST(w.eng.advance_to(100 * 365 * d) == 0u);
  BOOST_TEST(w.raw(c, "fires") == 0);
  BOOST_TEST(w.eng.pending_deadlines() == 1u);
}

BOOST_AUTO_TEST_CASE(many_restarts_keep_one_pending_deadline) {
  world w(timer_rules);
  const case_id c = w.create("T", 0);
  for (timestamp t = 1; t <= 20000; ++t) BOOST_REQUIRE(w.post(c, "start", t).accepted());
  BOOST_TEST(w.eng.pending_deadlines() == 1u);
  BOOST_TEST(w.deadlines(c) == lines{"t1@80000"});
  w.rec.lines.clear();
  BOOST_TEST(w.eng.advance_to(79999) == 0u);
  BOOST_TEST(w.eng.advance_to(10 * d) == 1u);
  BOOST_TEST(w.rec.take() == (lines{"deadline T t1 @80000", "set T fired_at=80000 @80000",
                                    "transition T s->s expired timer internal @80000",
                                    "set T fires=1 @80000"}));
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
}

BOOST_AUTO_TEST_CASE(deadline_queue_memory_follows_live_deadlines) {
  detail::deadline_queue q;
  std::uint32_t handle = no_id32;
  for (timestamp t = 0; t < 100000; ++t) handle = q.start(0, 0, t + 1000, handle);
  BOOST_TEST(q.pending() == 1u);
  BOOST_TEST(q.entries() <= 2u * 1u + 1024u + 1u);  // stale entries are compacted away
  BOOST_TEST(q.slots() == 1u);  // one slot (and lifecycle) reused by every restart
  detail::due_deadline due{};
  BOOST_TEST(!q.pop_due(100998, true, due));
  BOOST_TEST(!q.pop_due(100999, false, due));  // strictly before
  BOOST_TEST(q.pop_due(100999, true, due));
  BOOST_TEST(due.due == 100999);
  BOOST_TEST(q.pending() == 0u);
  BOOST_TEST(!q.pop_due(1'000'000'000, true, due));
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================================================
BOOST_AUTO_TEST_SUITE(time_order)

constexpr std::string_view order_rules = R"(
flows:
  o:
    fields:
      hits: {type: int, default: 0}
    events:
      go:
      touch:
      done:
    initial: idle
    states:
      idle:
        on:
          go:
            to: waiting
          touch:
            do: [{set: hits, from: hits + 1}]
      waiting:
        timers:
          - name: w
            after: 10s
            do: [{set: hits, from: hits + 100}]
        on:
          touch:
            do: [{set: hits, from: hits + 1}]
          done:
            to: finished
      finished:
        final: true
)";

BOOST_AUTO_TEST_CASE(advance_to_fires_in_time_order_ties_in_start_order) {
  world w(order_rules);
  const case_id a = w.create("A", 0);
  const case_id b = w.create("B", 0);
  const case_id cc = w.create("C", 0);
  const case_id dd = w.create("D", 0);
  BOOST_TEST(w.post(b, "go", 1000).accepted());   // due 11000, started first
  BOOST_TEST(w.post(a, "go", 1000).accepted());   // due 11000
  BOOST_TEST(w.post(dd, "go", 1500).accepted());  // due 11500
  BOOST_TEST(w.post(cc, "go", 2000).accepted());  // due 12000
  BOOST_TEST(w.eng.pending_deadlines() == 4u);
  w.rec.take();
  BOOST_TEST(w.eng.advance_to(10999) == 0u);
  BOOST_TEST(w.eng.advance_to(20000) == 4u);
  BOOST_TEST(w.rec.take() == (lines{
                                 "deadline B w @11000",
                                 "set B hits=100 @11000",
                                 "deadline A w @11000",
                                 "set A hits=100 @11000",
                                 "deadline D w @11500",
                                 "set D hits=100 @11500",
                                 "deadline C w @12000",
                                 "set C hits=100 @12000",
                             }));
  BOOST_TEST(w.eng.now() == 20000);
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  // Going back does nothing.
  BOOST_TEST(w.eng.advance_to(19999) == 0u);
  BOOST_TEST(w.eng.now() == 20000);
}

// What a snapshot saves and restores (scheduled_deadlines, restore_deadline): ties at one
// instant keep firing in their start order, not in case order.
BOOST_AUTO_TEST_CASE(restored_deadlines_fire_ties_in_the_saved_start_order) {
  world w(order_rules);
  const std::vector<std::string> names = {"A", "B", "C", "D"};
  for (const std::string& n : names) w.create(n, 0);
  for (const case_id c : {2u, 0u, 3u, 1u}) BOOST_TEST(w.post(c, "go", 1000).accepted());  // all due 11000
  const std::vector<scheduled_deadline> saved = w.eng.scheduled_deadlines();
  std::vector<case_id> ids;
  for (const scheduled_deadline& x : saved) ids.push_back(x.id);
  BOOST_TEST(ids == (std::vector<case_id>{2, 0, 3, 1}));

  world r(order_rules);
  const state_id waiting = *r.rules->find_state(0, "waiting");
  for (const std::string& n : names) BOOST_TEST(r.eng.restore_case(0, n, waiting, nullptr).accepted());
  for (const scheduled_deadline& x : saved) BOOST_TEST(r.eng.restore_deadline(x.id, x.timer, x.due));
  std::vector<case_id> again;
  for (const scheduled_deadline& x : r.eng.scheduled_deadlines()) again.push_back(x.id);
  BOOST_TEST(again == ids);
  w.rec.take();
  r.rec.take();
  BOOST_TEST(w.eng.advance_to(20000) == 4u);
  BOOST_TEST(r.eng.advance_to(20000) == 4u);
  const lines fired = {"deadline C w @11000", "set C hits=100 @11000", "deadline A w @11000", "set A hits=100 @11000",
                       "deadline D w @11000", "set D hits=100 @11000", "deadline B w @11000", "set B hits=100 @11000"};
  BOOST_TEST(w.rec.take() == fired);
  BOOST_TEST(r.rec.take() == fired);
}

// A quiet engine (no observer, history or trigger) takes events from the table row each case
// keeps beside its state; a restored case must get its row too, or it would take another
// state's cell.
BOOST_AUTO_TEST_CASE(restored_cases_take_their_own_states_cells_on_the_quiet_path) {
  const auto rules = load_ok(R"(flows:
  f:
    fields:
      n: {type: int, default: 0}
    events: {go:, back:}
    initial: a
    states:
      a: {on: {go: {to: b, do: [{set: n, from: n + 1}]}}}
      b: {on: {go: {to: c, do: [{set: n, from: n + 10}]}, back: {to: a}}}
      c: {on: {back: {to: b, do: [{set: n, from: n + 100}]}}}
)");
  engine_options quiet;
  quiet.keep_history = false;
  const event_id go = *rules->find_event(0, "go"), back = *rules->find_event(0, "back");
  const field_id n = *rules->find_field(0, "n");
  const data_record none;
  engine before(rules, quiet);
  for (int steps = 0; steps < 3; ++steps) {
    const case_id c = before.create_case(0, "", 0).id;
    for (int k = 0; k < steps; ++k) BOOST_TEST(before.post(c, go, none, 0).accepted());
  }
  engine after(rules, quiet);
  BOOST_TEST_REQUIRE(decode_engine(encode_engine(before), after).ok());
  const lines want = {"0 a->b n=1", "1 b->c n=11", "2 c->b n=111"};
  for (engine* e : {&before, &after}) {
    lines got;
    for (case_id c = 0; c < 3; ++c) {
      const outcome o = e->post(c, c == 2 ? back : go, none, 1);
      got.push_back(std::to_string(c) + " " + std::string(e->rules().flow(0).states[o.from].name) + "->" +
                    std::string(e->state_name(c)) + " n=" + std::to_string(e->field(c, n)));
    }
    BOOST_TEST(got == want);
  }
}

BOOST_AUTO_TEST_CASE(an_event_at_the_deadline_instant_comes_first) {
  world w(order_rules);
  const case_id e = w.create("E", 0);
  const case_id f = w.create("F", 0);
  BOOST_TEST(w.post(e, "go", 0).accepted());
  BOOST_TEST(w.post(f, "go", 0).accepted());
  w.rec.take();
  // Both due at 10000. F finishes exactly at its deadline: on time, the deadline never fires.
  BOOST_TEST(w.post(f, "done", 10000).accepted());
  BOOST_TEST(w.post(e, "touch", 10000).accepted());
  BOOST_TEST(w.rec.take() == (lines{"transition F waiting->finished done posted @10000",
                                    "transition E waiting->waiting touch posted internal @10000",
                                    "set E hits=1 @10000"}));
  BOOST_TEST(w.deadlines(e) == lines{"w@10000"});
  BOOST_TEST(w.eng.pending_deadlines() == 1u);
  BOOST_TEST(w.eng.advance_to(10000) == 1u);
  BOOST_TEST(w.rec.take() == (lines{"deadline E w @10000", "set E hits=101 @10000"}));
  BOOST_TEST(w.raw(f, "hits") == 0);
}

BOOST_AUTO_TEST_CASE(deadlines_between_two_posts_fire_at_their_own_time) {
  world w(order_rules);
  const case_id g = w.create("G", 0);
  const case_id h2 = w.create("H", 0);
  const case_id i = w.create("I", 0);
  BOOST_TEST(w.post(g, "go", 0).accepted());     // due 10000
  BOOST_TEST(w.post(h2, "go", 500).accepted());  // due 10500
  w.rec.take();
  // A post to another case at 12000 fires G's and H's deadlines first, at 10000 and 10500.
  BOOST_TEST(w.post(i, "touch", 12000).accepted());
  BOOST_TEST(w.rec.take() == (lines{
                                 "deadline G w @10000",
                                 "set G hits=100 @10000",
                                 "deadline H w @10500",
                                 "set H hits=100 @10500",
                                 "transition I idle->idle touch posted internal @12000",
                                 "set I hits=1 @12000",
                             }));
  BOOST_TEST(w.eng.now() == 12000);
  // A refused event lets time pass too: I's deadline fires before G's refusal.
  BOOST_TEST(w.post(i, "go", 13000).accepted());  // due 23000
  w.rec.take();
  BOOST_TEST(w.post(g, "go", 30000).status == status::no_transition);
  BOOST_TEST(w.rec.take() == (lines{
                                 "deadline I w @23000",
                                 "set I hits=101 @23000",
                                 "rejected G go no_transition posted @30000",
                             }));
  BOOST_TEST(w.eng.now() == 30000);
}

BOOST_AUTO_TEST_CASE(post_now_and_advance_use_the_clock) {
  world w(order_rules);
  w.clock.set(5000);
  const case_id c = w.create("K", w.clock.now());
  w.rec.take();
  BOOST_TEST(w.eng.post_now(c, w.ev("go"), {}).accepted());
  BOOST_TEST(w.deadlines(c) == lines{"w@15000"});
  w.clock.advance(9999);
  BOOST_TEST(w.eng.advance() == 0u);
  BOOST_TEST(w.eng.now() == 14999);
  w.clock.advance(1);
  BOOST_TEST(w.eng.advance() == 1u);
  BOOST_TEST(w.eng.now() == 15000);
  w.clock.advance(1000);
  BOOST_TEST(w.eng.post_now(c, w.ev("touch"), {}).accepted());
  BOOST_TEST(w.rec.take() == (lines{
                                 "transition K idle->waiting go posted @5000",
                                 "deadline K w @15000",
                                 "set K hits=100 @15000",
                                 "transition K waiting->waiting touch posted internal @16000",
                                 "set K hits=101 @16000",
                             }));
}

BOOST_AUTO_TEST_CASE(pending_deadlines_counts_all_cases) {
  world w(order_rules);
  std::vector<case_id> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(w.create("P" + std::to_string(i), 0));
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  for (int i = 0; i < 5; ++i) BOOST_TEST(w.post(ids[i], "go", i * 1000).accepted());
  BOOST_TEST(w.eng.pending_deadlines() == 5u);
  BOOST_TEST(w.post(ids[0], "done", 5000).accepted());
  BOOST_TEST(w.eng.pending_deadlines() == 4u);
  BOOST_TEST(w.eng.advance_to(11000) == 1u);  // P1's, due exactly at 11000: inclusive
  BOOST_TEST(w.eng.pending_deadlines() == 3u);
  BOOST_TEST(w.eng.advance_to(14000) == 3u);
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================================================
BOOST_AUTO_TEST_SUITE(emits)

constexpr std::string_view emit_rules = R"(
flows:
  em:
    fields:
      n:     {type: int, default: 0}
      trace: {type: int, default: 0}
    events:
      start:
      step:
        data:
          k: {type: int, default: 0}
      ping:
      nowhere:
    initial: s1
    states:
      s1:
        on:
          start:
            to: s2
            do:
              - emit: step
                data:
                  k: n + 5
              - emit: nowhere
              - set: n
                from: 1
          ping:
            do:
              - set: n
                from: n + 1
              - emit: ping
      s2:
        on_entry:
          - set: n
            from: n + 10
        on:
          step:
            to: s3
            do:
              - set: trace
                from: event.k
      s3:
        final: true
)";

BOOST_AUTO_TEST_CASE(emitted_events_run_after_the_transition_completes) {
  world w(emit_rules);
  const case_id c = w.create("E", 0);
  w.rec.take();
  const outcome o = w.post(c, "start", 1000);
  // The outcome is the posted event's own transition.
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.from == w.st("s1"));
  BOOST_TEST(o.to == w.st("s2"));
  BOOST_TEST(w.rec.take() == (lines{
                                 "transition E s1->s2 start posted @1000",
                                 "emit E step @1000",
                                 "emit E nowhere @1000",
                                 "set E n=1 @1000",
                                 "set E n=11 @1000",  // s2 entered before `step` is handled
                                 "transition E s2->s3 step emitted @1000",
                                 "set E trace=5 @1000",  // data evaluated at the emit, when n was 0
                                 "rejected E nowhere no_transition emitted @1000",
                             }));
  BOOST_TEST(w.state(c) == "s3");
  BOOST_TEST(w.history(c) == (lines{"1000 start s1->s2 posted", "1000 step s2->s3 emitted"}));
}

BOOST_AUTO_TEST_CASE(emit_limit_stops_a_loop) {
  engine_options opt;
  opt.max_emits_per_event = 3;
  world w(emit_rules, opt);
  const case_id c = w.create("L", 0);
  w.rec.take();
  const outcome o = w.post(c, "ping", 1000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.rec.take() == (lines{
                                 "transition L s1->s1 ping posted internal @1000",
                                 "set L n=1 @1000",
                                 "emit L ping @1000",
                                 "transition L s1->s1 ping emitted internal @1000",
                                 "set L n=2 @1000",
                                 "emit L ping @1000",
                                 "transition L s1->s1 ping emitted internal @1000",
                                 "set L n=3 @1000",
                                 "emit L ping @1000",
                                 "transition L s1->s1 ping emitted internal @1000",
                                 "set L n=4 @1000",
                                 "emit L ping @1000",
                                 "rejected L ping emit_limit emitted @1000",
                             }));
  // The budget is per posted event.
  BOOST_TEST(w.post(c, "ping", 2000).accepted());
  BOOST_TEST(w.raw(c, "n") == 8);
  BOOST_TEST(w.history(c).size() == 8u);
}

BOOST_AUTO_TEST_CASE(default_emit_limit_is_64) {
  world w(emit_rules);
  const case_id c = w.create("L", 0);
  w.rec.take();
  BOOST_TEST(w.post(c, "ping", 1000).accepted());
  BOOST_TEST(w.raw(c, "n") == 65);
  const lines got = w.rec.take();
  BOOST_TEST_REQUIRE(!got.empty());
  BOOST_TEST(got.back() == "rejected L ping emit_limit emitted @1000");
  BOOST_TEST(std::count_if(got.begin(), got.end(), [](const std::string& x) {
               return x.rfind("rejected", 0) == 0;
             }) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================================================
BOOST_AUTO_TEST_SUITE(history_and_observers)

void run_timer_story(world& w) {
  const case_id c = w.create("T", 0);
  BOOST_TEST(w.post(c, "start", 1000).accepted());
  BOOST_TEST(w.eng.advance_to(61000) == 1u);
  BOOST_TEST(w.post(c, "stop", 62000).accepted());
  BOOST_TEST(w.post(c, "start", 62000).status == status::accepted);
  BOOST_TEST(w.post(c, "finish", 70000).accepted());
  BOOST_TEST(w.post(c, "finish", 70001).status == status::no_transition);
}

BOOST_AUTO_TEST_CASE(history_records_every_transition_with_its_cause) {
  world w(timers::timer_rules);
  run_timer_story(w);
  BOOST_TEST(w.history(0) == (lines{
                                 "1000 start s->s posted",
                                 "61000 expired s->s timer",
                                 "62000 stop s->s posted",
                                 "62000 start s->s posted",
                                 "70000 finish s->done posted",
                             }));
  const std::vector<history_entry> raw = w.eng.history(0);
  BOOST_TEST_REQUIRE(raw.size() == 5u);
  BOOST_TEST(raw[1].at == 61000);
  BOOST_TEST(raw[1].event == w.ev("expired"));
  BOOST_TEST(raw[1].from == w.st("s"));
  BOOST_TEST(raw[1].to == w.st("s"));
  BOOST_TEST((raw[1].why == cause::timer));
  BOOST_TEST(raw[4].to == w.st("done"));
}

BOOST_AUTO_TEST_CASE(keep_history_off_keeps_none_and_changes_nothing_else) {
  world with(timers::timer_rules);
  engine_options opt;
  opt.keep_history = false;
  world without(timers::timer_rules, opt);
  run_timer_story(with);
  run_timer_story(without);
  BOOST_TEST(without.history(0).empty());
  BOOST_TEST(without.rec.lines == with.rec.lines);
  BOOST_TEST(without.field(0, "fired_at") == "1970-01-01T08:01:01+08:00");
  BOOST_TEST(without.state(0) == "done");
}

BOOST_AUTO_TEST_CASE(queries_throw_for_unknown_cases_and_fields) {
  world w(ticket_rules);
  const case_id c = w.create("C-1", 0);
  BOOST_CHECK_THROW(w.eng.state(c + 1), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.state_name(c + 1), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.is_final(c + 1), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.case_name(c + 1), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.case_flow(c + 1), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.history(c + 1), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.deadlines(c + 1), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.field(c + 1, 0), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.field_text(c + 1, 0), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.field(c, static_cast<field_id>(w.program().fields.size())), std::out_of_range);
  BOOST_CHECK_THROW(w.eng.field_text(c, static_cast<field_id>(w.program().fields.size())),
                    std::out_of_range);
  BOOST_CHECK_THROW(engine(nullptr), std::invalid_argument);
  data_record r;
  BOOST_CHECK_THROW(r.set(data_record::max_slots, 0), std::out_of_range);
  BOOST_TEST(!r.has(data_record::max_slots));
  BOOST_TEST(r.get(3) == 0);
}

BOOST_AUTO_TEST_CASE(interned_strings_round_trip) {
  world w(ticket_rules);
  const raw_value a = w.eng.intern("锦绣花园");
  BOOST_TEST(w.eng.intern("锦绣花园") == a);
  BOOST_TEST(w.eng.text(a) == "锦绣花园");
  BOOST_TEST(w.eng.intern("") == 0);
  BOOST_TEST(w.eng.text(0) == "");
  BOOST_TEST(w.eng.text(a + 1000) == "");
  // Literals of the rules are already there: the default title.
  const case_id c = w.create("C-1", 0);
  BOOST_TEST(w.eng.text(w.raw(c, "title")) == "无标题");
  BOOST_TEST(w.eng.intern("无标题") == w.raw(c, "title"));
}

BOOST_AUTO_TEST_SUITE_END()
