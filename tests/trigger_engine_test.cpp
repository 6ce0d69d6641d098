// Triggers (报警原则) through the engine: which accepted events and state entries count, the
// exact alarm records and the cases `open_case` opens (when, in which order, named how, with
// which fields), window and cool-down edges as the engine sees them, and that a rule set
// without triggers behaves exactly as before.
#define BOOST_TEST_MODULE trigger_engine
#include "test_support.hpp"

#include <string>
#include <vector>

using namespace crmflow;
using crmflow_test::d;
using crmflow_test::h;
using crmflow_test::lines;
using crmflow_test::load_ok;
using crmflow_test::m;

namespace {

const char* const flows_yaml = R"(flows:
  complaint:
    fields:
      category: {type: string}
      building: {type: string}
      customer: {type: string}
      reasonable: {type: bool, default: true}
    events:
      classify:
        data:
          reasonable: {type: bool, default: true}
      ack:
      note:
      redo:
      close:
    initial: received
    states:
      received:
        on:
          classify:
            to: classified
            do:
              - set: reasonable
                from: event.reasonable
              - emit: ack
      classified:
        on:
          ack: {}
          note: {}
          redo: {to: classified}
          close: {to: closed}
      closed: {final: true}
  meeting:
    fields:
      topic: {type: string}
      place: {type: string}
    events:
      convene:
    initial: pending
    states:
      pending:
        on: {convene: {to: done}}
      done: {final: true}
)";

// Counted on classify: three reasonable complaints from different customers about one
// category at one building within 30 days; cool-down 30 days.
const char* const same_problem = R"(triggers:
  same_problem:
    on: {flow: complaint, event: classify}
    if: reasonable
    key: [category, building]
    distinct: customer
    count: 3
    window: 30d
    cooldown: 30d
    alarm: {name: repeated_problem, to: leaders, message: "{building}{category} {case} {customer}"}
    open_case: {flow: meeting, data: {topic: category, place: building}}
)";

// Counted on state entries: two entries within 1 hour at one building (no cool-down).
const char* const busy = R"(triggers:
  busy_received:
    on: {flow: complaint, enter: received}
    key: building
    count: 2
    window: 1h
    alarm: {name: busy, message: "{building} {case}"}
  busy_classified:
    on: {flow: complaint, enter: classified}
    key: building
    count: 2
    window: 1h
    alarm: {name: busy_classified, message: "{state}"}
)";

// "The same customer complains K times within W": the key is the customer, no distinct.
const char* const same_customer = R"(triggers:
  same_customer:
    on: {flow: complaint, event: classify}
    key: customer
    count: 3
    window: 30d
    cooldown: 30d
    alarm: {name: frequent_complainer, to: customer_centre, message: "{customer} 30天内第3次投诉 {case}"}
)";

constexpr timestamp T = 1'772'000'000'000;  // 2026-02-25, any instant will do

// Every record as one line: "<what> <case> <text> @R+<offset from T>".
class trace final : public observer {
 public:
  lines out;

  lines take() { return lines(std::exchange(out, {})); }

  void on_created(const engine& e, const created_record& r) override {
    std::string text = e.rules().flow(r.flow).name + " " + e.rules().flow(r.flow).states[r.state].name;
    if (r.opened_by != no_id32) text += " by " + crmflow_test::case_label(e, r.opened_by) + " " + std::string(r.trigger);
    add(r.at, "created", crmflow_test::case_label(e, r.id), text);
  }
  void on_transition(const engine& e, const transition_record& r) override {
    const auto& fl = e.rules().flow(r.flow);
    add(r.at, "transition", crmflow_test::case_label(e, r.id),
        fl.events[r.event].name + " " + fl.states[r.from].name + "->" + fl.states[r.to].name);
  }
  void on_alarm(const engine& e, const alarm_record& r) override {
    add(r.at, "alarm", crmflow_test::case_label(e, r.id),
        std::string(r.name) + " [" + std::string(r.to) + "] " + std::string(r.message));
  }
  void on_rejected(const engine& e, const rejection_record& r) override {
    add(r.at, "rejected", crmflow_test::case_label(e, r.id), std::string(to_string(r.why)));
  }

 private:
  void add(timestamp at, std::string_view what, const std::string& who, const std::string& text) {
    out.push_back(std::string(what) + " " + who + " " + text + " @R+" + format_duration(at - T));
  }
};

engine_options options(observer* o) {
  engine_options opt;
  opt.keep_history = o != nullptr;
  opt.observer = o;
  return opt;
}

struct world {
  std::shared_ptr<const rule_set> rules;
  trace tr;
  engine eng;
  flow_id complaint, meeting;

  explicit world(const std::string& triggers, bool observed = true)
      : rules(load_ok(std::string(flows_yaml) + triggers)),
        eng(rules, options(observed ? &tr : nullptr)),
        complaint(*rules->find_flow("complaint")),
        meeting(*rules->find_flow("meeting")) {}

  field_id field(flow_id f, std::string_view name) const {
    const auto& fs = rules->flow(f).fields;
    for (std::size_t i = 0; i < fs.size(); ++i)
      if (fs[i].name == name) return static_cast<field_id>(i);
    BOOST_FAIL("no field " << name);
    return 0;
  }
  event_id event(flow_id f, std::string_view name) const {
    const auto& es = rules->flow(f).events;
    for (std::size_t i = 0; i < es.size(); ++i)
      if (es[i].name == name) return static_cast<event_id>(i);
    BOOST_FAIL("no event " << name);
    return 0;
  }

  case_id complain(std::string_view name, timestamp at, std::string_view category, std::string_view building,
                   std::string_view customer) {
    data_record r;
    r.set(field(complaint, "category"), eng.intern(category));
    r.set(field(complaint, "building"), eng.intern(building));
    r.set(field(complaint, "customer"), eng.intern(customer));
    const create_result c = eng.create_case(complaint, name, at, &r);
    BOOST_TEST_REQUIRE(c.accepted());
    return c.id;
  }
  outcome post(case_id c, std::string_view ev, timestamp at, bool reasonable = true) {
    data_record r;
    if (ev == "classify" && !reasonable) r.set(0, 0);
    return eng.post(c, event(eng.case_flow(c), ev), r, at);
  }
  // Creates and classifies at once, as the receiver does.
  case_id classify(std::string_view name, timestamp at, std::string_view category, std::string_view building,
                   std::string_view customer, bool reasonable = true) {
    const case_id c = complain(name, at, category, building, customer);
    BOOST_TEST_REQUIRE(post(c, "classify", at, reasonable).accepted());
    return c;
  }
  std::string text(std::string_view name, std::string_view f) {
    const case_id c = *eng.find_case(name);
    return eng.field_text(c, field(eng.case_flow(c), f));
  }
  // Only the lines of one kind.
  lines only(std::string_view what) {
    lines out;
    for (const std::string& x : tr.take())
      if (x.starts_with(what)) out.push_back(x);
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(on_event)

BOOST_AUTO_TEST_CASE(third_complaint_raises_the_alarm_then_opens_the_meeting_after_the_event) {
  world w(same_problem);
  w.classify("C-1", T, "电梯故障", "7号楼", "王");
  w.classify("C-2", T + 1 * d, "电梯故障", "7号楼", "李");
  w.tr.take();
  w.classify("C-3", T + 29 * d, "电梯故障", "7号楼", "张");
  // The alarm comes when classify has run (before the `ack` it emitted); the meeting is
  // opened when everything the event set off is done.
  BOOST_TEST(w.tr.take() == (lines{
                                "created C-3 complaint received @R+29d",
                                "transition C-3 classify received->classified @R+29d",
                                "alarm C-3 repeated_problem [leaders] 7号楼电梯故障 C-3 张 @R+29d",
                                "transition C-3 ack classified->classified @R+29d",
                                "created same_problem-1 meeting pending by C-3 same_problem @R+29d",
                            }));
  BOOST_TEST(w.text("same_problem-1", "topic") == "电梯故障");
  BOOST_TEST(w.text("same_problem-1", "place") == "7号楼");
  BOOST_TEST(w.eng.case_count() == 4u);
  // The opened case is an ordinary case: it takes events.
  BOOST_TEST(w.post(*w.eng.find_case("same_problem-1"), "convene", T + 30 * d).accepted());
}

BOOST_AUTO_TEST_CASE(what_does_not_count) {
  world w(same_problem);
  w.classify("C-1", T, "电梯故障", "7号楼", "王");
  w.classify("C-2", T + 1 * h, "电梯故障", "7号楼", "王");              // same customer
  w.classify("C-3", T + 2 * h, "电梯故障", "7号楼", "李", false);       // not reasonable
  w.classify("C-4", T + 3 * h, "电梯故障", "8号楼", "张");              // other building
  w.classify("C-5", T + 4 * h, "漏水渗水", "7号楼", "赵");              // other category
  const case_id c6 = w.complain("C-6", T + 5 * h, "电梯故障", "7号楼", "钱");  // not classified
  // Events other than classify, and a refused classify, do not count either.
  BOOST_TEST(w.post(0, "note", T + 6 * h).accepted());
  BOOST_TEST(w.post(0, "classify", T + 6 * h).status == status::no_transition);
  BOOST_TEST(w.only("alarm").empty());
  BOOST_TEST(w.eng.case_count() == 6u);
  // Classifying C-6 makes two different customers (王 and 钱); a third makes the alarm.
  BOOST_TEST(w.post(c6, "classify", T + 7 * h).accepted());
  BOOST_TEST(w.only("alarm").empty());
  w.classify("C-7", T + 8 * h, "电梯故障", "7号楼", "孙");
  BOOST_TEST(w.only("alarm") == (lines{"alarm C-7 repeated_problem [leaders] 7号楼电梯故障 C-7 孙 @R+8h"}));
}

BOOST_AUTO_TEST_CASE(window_edges_through_the_engine) {
  world w(same_problem);
  // Last inside: t, t + 1ms, t + 30d - 1ms.
  // Just outside: t, t + 1ms, t + 30d (the first has left the window).
  w.classify("A-1", T, "噪音扰民", "1号楼", "a1");
  w.classify("B-1", T, "噪音扰民", "2号楼", "b1");
  w.classify("A-2", T + 1, "噪音扰民", "1号楼", "a2");
  w.classify("B-2", T + 1, "噪音扰民", "2号楼", "b2");
  w.tr.take();
  w.classify("A-3", T + 30 * d - 1, "噪音扰民", "1号楼", "a3");
  w.classify("B-3", T + 30 * d, "噪音扰民", "2号楼", "b3");
  BOOST_TEST(w.only("alarm") == (lines{"alarm A-3 repeated_problem [leaders] 1号楼噪音扰民 A-3 a3 @R+29d23h59m59s999ms"}));
  // One more customer at the same instant: B-2, B-3, B-4 are in the window.
  w.classify("B-4", T + 30 * d, "噪音扰民", "2号楼", "b4");
  BOOST_TEST(w.only("alarm") == (lines{"alarm B-4 repeated_problem [leaders] 2号楼噪音扰民 B-4 b4 @R+30d"}));
  BOOST_TEST(w.eng.find_case("same_problem-1").has_value());
  BOOST_TEST(w.eng.find_case("same_problem-2").has_value());
  BOOST_TEST(w.text("same_problem-2", "place") == "2号楼");
}

BOOST_AUTO_TEST_CASE(the_same_customer_three_times_within_a_month_at_its_edges) {
  world w(same_customer);
  // 王 about three different problems: the third within 30 days (minus 1 ms) raises it; 李's
  // third comes exactly 30 days after the first, which has left the window.
  w.classify("W-1", T, "电梯故障", "7号楼", "王");
  w.classify("L-1", T, "噪音扰民", "1号楼", "李");
  w.classify("W-2", T + 1 * d, "漏水渗水", "3号楼", "王");
  w.classify("L-2", T + 1 * d, "噪音扰民", "1号楼", "李");
  w.tr.take();
  w.classify("W-3", T + 30 * d - 1, "停车管理", "7号楼", "王");
  w.classify("L-3", T + 30 * d, "噪音扰民", "1号楼", "李");
  BOOST_TEST(w.only("alarm") ==
             (lines{"alarm W-3 frequent_complainer [customer_centre] 王 30天内第3次投诉 W-3 @R+29d23h59m59s999ms"}));
  // 李 again at once: L-2, L-3, L-4 are in the window.
  w.classify("L-4", T + 30 * d, "噪音扰民", "1号楼", "李");
  BOOST_TEST(w.only("alarm") == (lines{"alarm L-4 frequent_complainer [customer_centre] 李 30天内第3次投诉 L-4 @R+30d"}));
  // 王's fourth: W-2, W-3 and W-4 are in the window, but the cool-down holds the alarm back.
  w.classify("W-4", T + 30 * d + 1 * h, "电梯故障", "7号楼", "王");
  BOOST_TEST(w.only("alarm").empty());
}

BOOST_AUTO_TEST_CASE(cooldown_edges_through_the_engine) {
  world w(same_problem);
  w.classify("C-1", T, "电梯故障", "7号楼", "c1");
  w.classify("C-2", T, "电梯故障", "7号楼", "c2");
  w.classify("C-3", T + 1 * d, "电梯故障", "7号楼", "c3");  // fires at T + 1d
  w.tr.take();
  // Cooling down until T + 31d, exclusive: 3 customers in the window, no alarm.
  w.classify("C-4", T + 2 * d, "电梯故障", "7号楼", "c4");
  w.classify("C-5", T + 29 * d, "电梯故障", "7号楼", "c5");
  w.classify("C-6", T + 31 * d - 1, "电梯故障", "7号楼", "c6");
  BOOST_TEST(w.only("alarm").empty());
  w.classify("C-7", T + 31 * d, "电梯故障", "7号楼", "c7");
  BOOST_TEST(w.only("alarm") == (lines{"alarm C-7 repeated_problem [leaders] 7号楼电梯故障 C-7 c7 @R+31d"}));
  BOOST_TEST(w.eng.find_case("same_problem-2").has_value());
  BOOST_TEST(!w.eng.find_case("same_problem-3").has_value());
}

BOOST_AUTO_TEST_CASE(a_taken_name_is_skipped) {
  world w(same_problem);
  w.complain("same_problem-1", T, "x", "y", "host");  // a host's case with that name
  w.classify("C-1", T, "电梯故障", "7号楼", "c1");
  w.classify("C-2", T, "电梯故障", "7号楼", "c2");
  w.tr.take();
  w.classify("C-3", T, "电梯故障", "7号楼", "c3");
  BOOST_TEST(w.only("created") == (lines{
                                      "created C-3 complaint received @R+0s",
                                      "created same_problem-2 meeting pending by C-3 same_problem @R+0s",
                                  }));
}

BOOST_AUTO_TEST_CASE(without_observers_cases_are_still_opened) {
  world w(same_problem, false);
  w.classify("C-1", T, "电梯故障", "7号楼", "c1");
  w.classify("C-2", T + 1 * h, "电梯故障", "7号楼", "c2");
  w.classify("C-3", T + 2 * h, "电梯故障", "7号楼", "c3");
  const std::optional<case_id> mtg = w.eng.find_case("same_problem-1");
  BOOST_TEST_REQUIRE(mtg.has_value());
  BOOST_TEST(w.eng.case_flow(*mtg) == w.meeting);
  BOOST_TEST(w.text("same_problem-1", "topic") == "电梯故障");
  BOOST_TEST(w.eng.now() == T + 2 * h);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(on_enter)

BOOST_AUTO_TEST_CASE(creation_counts_as_entering_the_initial_state) {
  world w(busy);
  w.complain("C-1", T, "x", "1号楼", "a");
  w.complain("C-2", T + 1 * h, "x", "1号楼", "b");  // the first has left the 1h window
  BOOST_TEST(w.only("alarm").empty());
  w.complain("C-3", T + 2 * h - 1, "x", "1号楼", "c");
  BOOST_TEST(w.tr.take() == (lines{
                                "created C-3 complaint received @R+1h59m59s999ms",
                                "alarm C-3 busy [] 1号楼 C-3 @R+1h59m59s999ms",
                            }));
}

BOOST_AUTO_TEST_CASE(self_transitions_count_internal_ones_do_not) {
  world w(busy);
  const case_id c = w.complain("C-1", T, "x", "1号楼", "a");
  BOOST_TEST(w.post(c, "classify", T + 1 * m).accepted());  // enters classified; `ack` is internal
  w.tr.take();
  BOOST_TEST(w.post(c, "note", T + 2 * m).accepted());  // internal: no entry
  BOOST_TEST(w.only("alarm").empty());
  BOOST_TEST(w.post(c, "redo", T + 3 * m).accepted());  // self-transition: enters again
  BOOST_TEST(w.tr.take() == (lines{
                                "transition C-1 redo classified->classified @R+3m",
                                "alarm C-1 busy_classified [] classified @R+3m",
                            }));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(no_triggers)

// The same script on rules without triggers and with a trigger that never fires: the same
// records, and the same state, with and without observers.
BOOST_AUTO_TEST_CASE(rules_without_triggers_behave_as_before) {
  const std::string never = R"(triggers:
  never:
    on: {flow: complaint, event: classify, enter: [received, classified]}
    if: "false"
    key: building
    count: 1
    window: 1d
    alarm: {name: never, message: never}
    open_case: {flow: meeting}
)";
  auto run = [](const std::string& triggers, bool observed) {
    world w(triggers, observed);
    BOOST_TEST(w.rules->triggers().empty() == triggers.empty());
    for (int i = 0; i < 20; ++i) {
      const std::string n = "C-" + std::to_string(i);
      const case_id c = w.classify(n, T + i * h, "电梯故障", "7号楼", n);
      w.post(c, i % 2 ? "redo" : "close", T + i * h + 1);
    }
    lines state = w.tr.take();
    for (case_id c = 0; c < w.eng.case_count(); ++c) state.push_back(std::string(w.eng.state_name(c)));
    return state;
  };
  const lines plain = run("", true);
  BOOST_TEST(plain.size() == 20u * 4 + 20u);  // created, classify, ack, redo or close
  BOOST_TEST(run(never, true) == plain);
  BOOST_TEST(run("", false) == run(never, false));
}

BOOST_AUTO_TEST_SUITE_END()
