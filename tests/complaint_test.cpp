// rules/complaint.yaml, the bundled complaint flow (domain.md section 2): every transition and
// every timer, with exact states after each event and exact firing times.
//
// Every time limit counts from receipt (received_at), whenever the case is classified.
//
// Transitions (state or group, event [guard] -> target) and the tests that take them:
//   T1  received   classify [unclassified, minor]        internal   minor_happy_path
//   T2  received   classify [unclassified, major, < 10m after receipt]     internal  major_path
//   T2b received   classify [unclassified, major, 10m..12h after receipt]  internal  major_classified_after_10m
//   T2c received   classify [unclassified, major, >= 12h after receipt]    internal  major_classified_after_12h
//   T3  received   assign [classified and reasonable]    assigned   minor_happy_path
//   T4  assigned   plan                                   planned    minor_happy_path
//   T5  assigned   assign (改派)                          assigned   unit_analysis_1h_and_reassignment
//   T6  planned    dispatch [reasonable, minor or agreed] dispatched minor_happy_path, major_path
//   T7  dispatched resolve [major]                        resolved   major_path
//   T8  dispatched resolve                                resolved   minor_happy_path
//   T9  resolved   revisit [minor, receiver, phone/wechat, not dissatisfied]  closed  minor_happy_path
//   T10 resolved   revisit [major, area manager, face to face, ok]            closed  major_path
//   T11 resolved   revisit [minor, ..., dissatisfied]     assigned   minor_revisit_dissatisfied_and_refused_revisits
//   T12 resolved   revisit [major, ..., dissatisfied]     assigned   major_revisit_dissatisfied
//   T13 resolved   reclassify_major                       internal   ten_days_while_awaiting_revisit
//   G1  open       report [major]                         internal   major_path, report_10m_breach
//   G2  open       feedback                               internal   minor_happy_path, feedback_24h_breach
//   G3  open       agree [not agreed]                     internal   major_path, escalation_12h_and_follow_up
//   G4  open       escalate                               internal   escalation_12h_and_follow_up
//   G6  open       reclassify_major [major]               internal   ten_days_on_a_major_case
//   G7  open       reclassify_major [agreed]              internal   reclassify_after_agreement_by_staff
//   G8  open       reclassify_major                       internal   ten_days_reclassifies_minor_to_major
//   G9  open       explain_and_close [not reasonable]     closed     unreasonable_complaint_*
//   A1  active     follow_up_due [not agreed]             internal   escalation_12h_and_follow_up
//   A2  active     follow_up_due (agreed, not yet closed) internal   escalation_12h_and_follow_up
// Timers:
//   measures_1h    (state assigned, 1h)   unit_analysis_1h_and_reassignment
//   revisit_24h    (state resolved, 24h)  revisit_24h_breach
//   unresolved_10d (group active, 10d)    ten_days_* (posts reclassify_major)
//   feedback_24h   (flow, 24h, started on receipt)                 feedback_24h_breach
//   report_10m     (flow, report_time_left: 10m after receipt)     report_10m_breach, major_classified_after_10m
//   solution_12h   (flow, solution_time_left: 12h after receipt)   escalation_12h_and_follow_up,
//                                                                  major_classified_after_10m (posts escalate)
//   follow_up      (flow, 12h, until closed)  escalation_12h_and_follow_up (posts follow_up_due)
// every_transition_and_timer_is_exercised checks that this list covers the file.
#define BOOST_TEST_MODULE complaint
#include "test_support.hpp"

#include <set>

using namespace crmflow_test;

namespace {

// Receipt: 2026-03-02T09:15:00+08:00.
constexpr timestamp R = 1772414100000;

std::shared_ptr<const rule_set> complaint_rules() {
  load_result r = load_rules({CRMFLOW_SOURCE_DIR "/rules/complaint.yaml"});
  std::string diags;
  for (const diagnostic& x : r.diagnostics) diags += to_string(x) + "\n";
  BOOST_TEST_REQUIRE(r.ok(), "rules/complaint.yaml did not load:\n" << diags);
  return r.rules;
}

// The records without "set" lines: transitions, timers, notices, alarms, refusals. Field values
// are checked directly.
lines without_sets(const lines& in) {
  lines out;
  for (const std::string& x : in)
    if (x.rfind("set ", 0) != 0) out.push_back(x);
  return out;
}

struct complaint_world : world {
  complaint_world() : world(complaint_rules()) { rec.origin = R; }

  // A case received at `at` with its intake data.
  case_id intake(std::string_view name, timestamp at) {
    data_record init;
    auto put = [&](std::string_view field, std::string_view text) { init.set(fld(field), str(text)); };
    put("category", "电梯故障");
    put("description", "3号电梯停运");
    put("building", "3号楼");
    put("room", "1502");
    put("customer", "王女士");
    put("channel", "电话");
    put("receiver", "小李");
    put("area_manager", "张经理");
    return create(name, at, &init);
  }

  raw_value enum_value(std::string_view event, std::string_view item, std::string_view value) const {
    const detail::data_def& dd = program().events[ev(event)].data[slot(event, item)];
    const auto& values = program().enums[dd.enum_index].values;
    const auto it = std::find(values.begin(), values.end(), value);
    BOOST_TEST_REQUIRE((it != values.end()), "no value " << value << " for " << event << "." << item);
    return it - values.begin();
  }

  outcome send(case_id c, std::string_view event, timestamp at, const data_record& data = {}) {
    return post(c, event, at, data);
  }
  outcome classify(case_id c, timestamp at, std::string_view level, bool reasonable = true) {
    return send(c, "classify", at,
                data("classify", {{"level", enum_value("classify", "level", level)}, {"reasonable", reasonable}}));
  }
  outcome assign(case_id c, timestamp at, std::string_view unit) {
    return send(c, "assign", at, data("assign", {{"unit", str(unit)}}));
  }
  outcome plan(case_id c, timestamp at, std::string_view measures, bool reasonable = true) {
    return send(c, "plan", at, data("plan", {{"measures", str(measures)}, {"reasonable", reasonable}}));
  }
  outcome resolve(case_id c, timestamp at, std::string_view resolution) {
    return send(c, "resolve", at, data("resolve", {{"resolution", str(resolution)}}));
  }
  outcome revisit(case_id c, timestamp at, std::string_view by, std::string_view channel,
                  std::string_view result, std::string_view note = {}) {
    data_record d = data("revisit", {{"by", str(by)},
                                     {"channel", enum_value("revisit", "channel", channel)},
                                     {"result", enum_value("revisit", "result", result)}});
    if (!note.empty()) d.set(slot("revisit", "note"), str(note));
    return send(c, "revisit", at, d);
  }
  outcome explain(case_id c, timestamp at, std::string_view text) {
    return send(c, "explain_and_close", at, data("explain_and_close", {{"explanation", str(text)}}));
  }

  std::size_t advance(timestamp t) { return eng.advance_to(t); }
  lines msgs() { return without_sets(rec.take()); }

  // Checks the exact state and running deadlines (relative to R) of a case.
  void expect(case_id c, std::string_view state_name, const lines& due) {
    BOOST_TEST(state(c) == state_name);
    lines got;
    for (const std::string& x : deadlines(c)) {
      const auto at = x.find('@');
      got.push_back(x.substr(0, at + 1) + rec.time_text(std::stoll(x.substr(at + 1))));
    }
    BOOST_TEST(got == due);
  }
};

// Which transitions and timers the path tests took, for the coverage check at the end.
std::set<std::uint32_t> g_transitions;
std::set<timer_id> g_timers;
int g_paths_run = 0;

// Each path test ends with this, recording what it exercised.
void record_coverage(const complaint_world& w) {
  g_transitions.insert(w.rec.transitions.begin(), w.rec.transitions.end());
  g_timers.insert(w.rec.timers_fired.begin(), w.rec.timers_fired.end());
  ++g_paths_run;
}

}  // namespace

namespace {

// "at event from->to cause" history lines, at R + offset.
std::string hist(duration offset, std::string_view text) { return std::to_string(R + offset) + " " + std::string(text); }

const lines no_deadlines;

constexpr int path_tests = 20;

}  // namespace

BOOST_AUTO_TEST_CASE(minor_happy_path) {
  complaint_world w;
  const case_id c = w.intake("C-1", R);
  // The 24 hours for feedback start on receipt, before classification.
  BOOST_TEST(w.msgs() == (lines{"created C-1 received @R+0s", "start_timer C-1 feedback_24h due=R+1d @R+0s"}));
  w.expect(c, "received", {"feedback_24h@R+1d", "unresolved_10d@R+10d"});
  BOOST_TEST(w.raw(c, "received_at") == R);
  BOOST_TEST(w.field(c, "level") == "unclassified");

  // Not before it is classified.
  BOOST_TEST(w.assign(c, R + m, "工程维修").status == status::guard_false);
  BOOST_TEST(w.msgs() == lines{"rejected C-1 assign guard_false posted @R+1m"});

  outcome o = w.classify(c, R + m, "minor");  // T1
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.msgs() == lines{"transition C-1 received->received classify posted internal @R+1m"});
  w.expect(c, "received", {"feedback_24h@R+1d", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "level") == "minor");
  BOOST_TEST(w.field(c, "reasonable") == "true");
  // Classified once: a second classify is refused.
  BOOST_TEST(w.classify(c, R + 2 * m, "major").status == status::guard_false);
  BOOST_TEST(w.field(c, "level") == "minor");
  w.msgs();

  BOOST_TEST(w.assign(c, R + 2 * m, "工程维修").accepted());  // T3
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-1 received->assigned assign posted @R+2m",
                    "notify C-1 工程维修: 投诉 C-1 已分派：3号楼1502 王女士，电梯故障：3号电梯停运。请1小时内分析并回复处理措施 @R+2m"}));
  w.expect(c, "assigned", {"feedback_24h@R+1d", "measures_1h@R+1h2m", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "unit") == "工程维修");

  BOOST_TEST(w.plan(c, R + 30 * m, "更换门机板").accepted());  // T4
  BOOST_TEST(w.msgs() == lines{"transition C-1 assigned->planned plan posted @R+30m"});
  w.expect(c, "planned", {"feedback_24h@R+1d", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "measures") == "更换门机板");
  BOOST_TEST(w.raw(c, "measures_at") == R + 30 * m);

  BOOST_TEST(w.send(c, "feedback", R + 40 * m).accepted());  // G2
  BOOST_TEST(w.msgs() == (lines{"transition C-1 planned->planned feedback posted internal @R+40m",
                                "cancel_timer C-1 feedback_24h @R+40m"}));
  w.expect(c, "planned", {"unresolved_10d@R+10d"});
  BOOST_TEST(w.raw(c, "fed_back_at") == R + 40 * m);

  BOOST_TEST(w.send(c, "dispatch", R + 50 * m).accepted());  // T6: a minor needs no agreement
  BOOST_TEST(w.msgs() == (lines{"transition C-1 planned->dispatched dispatch posted @R+50m",
                                "notify C-1 工程维修: 投诉 C-1 派单：请按处理措施执行并回复结果。措施：更换门机板 @R+50m"}));
  w.expect(c, "dispatched", {"unresolved_10d@R+10d"});
  BOOST_TEST(w.raw(c, "dispatched_at") == R + 50 * m);

  o = w.resolve(c, R + 5 * h, "已更换门机板");  // T8
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.program().transitions[o.transition].guard_text == "");
  BOOST_TEST(w.msgs() == (lines{"transition C-1 dispatched->resolved resolve posted @R+5h",
                                "notify C-1 小李: 投诉 C-1 已处理完成，请24小时内电话或微信回访 3号楼1502 王女士 @R+5h"}));
  w.expect(c, "resolved", {"revisit_24h@R+1d5h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "resolution") == "已更换门机板");
  BOOST_TEST(w.raw(c, "resolved_at") == R + 5 * h);

  BOOST_TEST(w.revisit(c, R + 6 * h, "小李", "wechat", "satisfied", "很满意").accepted());  // T9
  BOOST_TEST(w.msgs() == lines{"transition C-1 resolved->closed revisit posted @R+6h"});
  w.expect(c, "closed", no_deadlines);
  BOOST_TEST(w.eng.is_final(c));
  BOOST_TEST(w.field(c, "revisit_by") == "小李");
  BOOST_TEST(w.field(c, "revisit_result") == "satisfied");
  BOOST_TEST(w.field(c, "revisit_note") == "很满意");
  BOOST_TEST(w.raw(c, "revisited_at") == R + 6 * h);
  BOOST_TEST(w.raw(c, "closed_at") == R + 6 * h);
  BOOST_TEST(w.field(c, "reopens") == "0");
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.advance(R + 30 * d) == 0u);

  // Every event is refused once closed.
  BOOST_TEST(w.send(c, "feedback", R + 30 * d).status == status::no_transition);
  BOOST_TEST(w.send(c, "escalate", R + 30 * d).status == status::no_transition);
  BOOST_TEST(w.history(c) == (lines{
                                 hist(m, "classify received->received posted"),
                                 hist(2 * m, "assign received->assigned posted"),
                                 hist(30 * m, "plan assigned->planned posted"),
                                 hist(40 * m, "feedback planned->planned posted"),
                                 hist(50 * m, "dispatch planned->dispatched posted"),
                                 hist(5 * h, "resolve dispatched->resolved posted"),
                                 hist(6 * h, "revisit resolved->closed posted"),
                             }));
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(major_path) {
  complaint_world w;
  const case_id c = w.intake("C-2", R);
  w.msgs();
  BOOST_TEST(w.classify(c, R + m, "major").accepted());  // T2
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-2 received->received classify posted internal @R+1m",
                    "cancel_timer C-2 feedback_24h @R+1m",
                    "notify C-2 张经理: 重大投诉 C-2：3号楼1502 王女士，电梯故障。请10分钟内上报部门负责人，12小时内与客户商定解决方案 @R+1m",
                    "start_timer C-2 report_10m due=R+10m @R+1m",
                    "start_timer C-2 solution_12h due=R+12h @R+1m"}));
  // Both limits count from receipt (R), not from classification (R+1m): the timers run for
  // what is left of them.
  w.expect(c, "received", {"report_10m@R+10m", "solution_12h@R+12h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "level") == "major");
  BOOST_TEST(w.raw(c, "report_time_left") == 9 * m);
  BOOST_TEST(w.raw(c, "solution_time_left") == 12 * h - m);

  // Reported exactly at the 10-minute limit: in time.
  BOOST_TEST(w.send(c, "report", R + 10 * m).accepted());  // G1
  BOOST_TEST(w.msgs() == (lines{"transition C-2 received->received report posted internal @R+10m",
                                "cancel_timer C-2 report_10m @R+10m"}));
  BOOST_TEST(w.advance(R + 10 * m) == 0u);
  w.expect(c, "received", {"solution_12h@R+12h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.raw(c, "reported_at") == R + 10 * m);

  BOOST_TEST(w.assign(c, R + 20 * m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 40 * m, "更换曳引机").accepted());
  w.expect(c, "planned", {"solution_12h@R+12h", "unresolved_10d@R+10d"});
  w.msgs();

  // A major complaint is dispatched only with a solution the customer agreed to.
  BOOST_TEST(w.send(c, "dispatch", R + h).status == status::guard_false);
  BOOST_TEST(w.msgs() == lines{"rejected C-2 dispatch guard_false posted @R+1h"});
  BOOST_TEST(w.send(c, "agree", R + 2 * h).accepted());  // G3
  BOOST_TEST(w.msgs() == (lines{"transition C-2 planned->planned agree posted internal @R+2h",
                                "cancel_timer C-2 solution_12h @R+2h"}));
  w.expect(c, "planned", {"unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "solution_agreed") == "true");
  BOOST_TEST(w.raw(c, "agreed_at") == R + 2 * h);
  BOOST_TEST(w.send(c, "agree", R + 2 * h).status == status::guard_false);  // once
  w.msgs();

  BOOST_TEST(w.send(c, "dispatch", R + 3 * h).accepted());  // T6
  w.expect(c, "dispatched", {"unresolved_10d@R+10d"});
  w.msgs();
  const outcome o = w.resolve(c, R + d, "已更换曳引机");  // T7
  BOOST_TEST(o.accepted());
  BOOST_TEST(w.program().transitions[o.transition].guard_text == "level == major");
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-2 dispatched->resolved resolve posted @R+1d",
                    "notify C-2 张经理: 重大投诉 C-2 已处理完成，请24小时内上门面访回访 3号楼1502 王女士 @R+1d"}));
  w.expect(c, "resolved", {"revisit_24h@R+2d", "unresolved_10d@R+10d"});

  // A major complaint is revisited face to face by the area manager, nobody else.
  BOOST_TEST(w.revisit(c, R + d + h, "小李", "phone", "satisfied").status == status::guard_false);
  BOOST_TEST(w.revisit(c, R + d + h, "张经理", "phone", "satisfied").status == status::guard_false);
  BOOST_TEST(w.revisit(c, R + d + h, "小李", "face_to_face", "satisfied").status == status::guard_false);
  w.expect(c, "resolved", {"revisit_24h@R+2d", "unresolved_10d@R+10d"});
  w.msgs();
  BOOST_TEST(w.revisit(c, R + d + 20 * h, "张经理", "face_to_face", "basically_satisfied").accepted());  // T10
  BOOST_TEST(w.msgs() == lines{"transition C-2 resolved->closed revisit posted @R+1d20h"});
  w.expect(c, "closed", no_deadlines);
  BOOST_TEST(w.field(c, "revisit_result") == "basically_satisfied");
  BOOST_TEST(w.raw(c, "closed_at") == R + d + 20 * h);
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.history(c) == (lines{
                                 hist(m, "classify received->received posted"),
                                 hist(10 * m, "report received->received posted"),
                                 hist(20 * m, "assign received->assigned posted"),
                                 hist(40 * m, "plan assigned->planned posted"),
                                 hist(2 * h, "agree planned->planned posted"),
                                 hist(3 * h, "dispatch planned->dispatched posted"),
                                 hist(d, "resolve dispatched->resolved posted"),
                                 hist(d + 20 * h, "revisit resolved->closed posted"),
                             }));
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(report_10m_breach) {
  complaint_world w;
  const case_id c = w.intake("C-3", R);
  const case_id minor = w.intake("C-4", R);
  BOOST_TEST(w.classify(c, R, "major").accepted());
  BOOST_TEST(w.classify(minor, R, "minor").accepted());
  w.msgs();
  BOOST_TEST(w.advance(R + 10 * m - 1) == 0u);
  BOOST_TEST(w.msgs().empty());
  BOOST_TEST(w.advance(R + 10 * m) == 1u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-3 report_10m @R+10m",
                    "alarm C-3 report_overdue head_of_department: 重大投诉 C-3：片区经理 张经理 未在10分钟内上报 @R+10m"}));
  w.expect(c, "received", {"solution_12h@R+12h", "unresolved_10d@R+10d"});
  // A late report is still recorded.
  BOOST_TEST(w.send(c, "report", R + 15 * m).accepted());
  BOOST_TEST(w.raw(c, "reported_at") == R + 15 * m);
  // Only major complaints are reported.
  const std::string before = w.snap(minor);
  BOOST_TEST(w.send(minor, "report", R + 15 * m).status == status::guard_false);
  BOOST_TEST(w.snap(minor) == before);
  record_coverage(w);
}

// A major complaint classified late: its limits still count from receipt. A limit not yet
// passed runs for what is left of it (down to 1 ms); one already passed is a breach at once.
BOOST_AUTO_TEST_CASE(major_classified_after_10m) {
  complaint_world w;
  const case_id just = w.intake("C-20", R);
  const case_id late = w.intake("C-21", R);
  w.msgs();
  // 1 ms before the 10 minutes are up: the report is not overdue yet, 1 ms of it is left.
  BOOST_TEST(w.classify(just, R + 10 * m - 1, "major").accepted());  // T2
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-20 received->received classify posted internal @R+9m59s999ms",
                    "cancel_timer C-20 feedback_24h @R+9m59s999ms",
                    "notify C-20 张经理: 重大投诉 C-20：3号楼1502 王女士，电梯故障。请10分钟内上报部门负责人，12小时内与客户商定解决方案 @R+9m59s999ms",
                    "start_timer C-20 report_10m due=R+10m @R+9m59s999ms",
                    "start_timer C-20 solution_12h due=R+12h @R+9m59s999ms"}));
  BOOST_TEST(w.raw(just, "report_time_left") == 1);
  w.expect(just, "received", {"report_10m@R+10m", "solution_12h@R+12h", "unresolved_10d@R+10d"});

  // Exactly 10 minutes after receipt: the report is overdue now. The alarm is raised at
  // once (a timer of 0 would not start); the 12 hours still run from receipt.
  BOOST_TEST(w.classify(late, R + 10 * m, "major").accepted());  // T2b
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-21 received->received classify posted internal @R+10m",
                    "cancel_timer C-21 feedback_24h @R+10m",
                    "notify C-21 张经理: 重大投诉 C-21：3号楼1502 王女士，电梯故障。受理已超过10分钟，请立即上报部门负责人，并于受理后12小时内与客户商定解决方案 @R+10m",
                    "alarm C-21 report_overdue head_of_department: 重大投诉 C-21：受理超过10分钟才定级，片区经理 张经理 未在10分钟内上报 @R+10m",
                    "start_timer C-21 solution_12h due=R+12h @R+10m"}));
  BOOST_TEST(w.field(late, "level") == "major");
  w.expect(late, "received", {"solution_12h@R+12h", "unresolved_10d@R+10d"});

  // C-20's report timer fires at R+10m (an event at that instant came first).
  BOOST_TEST(w.advance(R + 10 * m) == 1u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-20 report_10m @R+10m",
                    "alarm C-20 report_overdue head_of_department: 重大投诉 C-20：片区经理 张经理 未在10分钟内上报 @R+10m"}));
  BOOST_TEST(w.send(just, "report", R + 11 * m).accepted());
  BOOST_TEST(w.send(late, "report", R + 11 * m).accepted());
  w.msgs();

  // No agreement: both escalate 12 hours after receipt, C-20 first (its timer started first).
  BOOST_TEST(w.advance(R + 12 * h - 1) == 0u);
  BOOST_TEST(w.advance(R + 12 * h) == 2u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-20 solution_12h @R+12h",
                    "transition C-20 received->received escalate timer internal @R+12h",
                    "alarm C-20 complaint_escalated head_of_department: 投诉 C-20 升级（第1次）：12小时内未与客户达成解决方案 @R+12h",
                    "notify C-20 head_of_department: 升级投诉 C-20：3号楼1502 王女士，电梯故障：3号电梯停运。责任单位 ，当前环节 接待，处理措施：。原因：12小时内未与客户达成解决方案 @R+12h",
                    "start_timer C-20 follow_up due=R+1d @R+12h",
                    "deadline C-21 solution_12h @R+12h",
                    "transition C-21 received->received escalate timer internal @R+12h",
                    "alarm C-21 complaint_escalated head_of_department: 投诉 C-21 升级（第1次）：12小时内未与客户达成解决方案 @R+12h",
                    "notify C-21 head_of_department: 升级投诉 C-21：3号楼1502 王女士，电梯故障：3号电梯停运。责任单位 ，当前环节 接待，处理措施：。原因：12小时内未与客户达成解决方案 @R+12h",
                    "start_timer C-21 follow_up due=R+1d @R+12h"}));
  w.expect(just, "received", {"follow_up@R+1d", "unresolved_10d@R+10d"});
  w.expect(late, "received", {"follow_up@R+1d", "unresolved_10d@R+10d"});
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(major_classified_after_12h) {
  complaint_world w;
  const case_id just = w.intake("C-22", R);
  const case_id late = w.intake("C-23", R);
  w.msgs();
  // 1 ms before the 12 hours are up: the report is overdue (alarm at once), 1 ms is left
  // for an agreed solution.
  BOOST_TEST(w.classify(just, R + 12 * h - 1, "major").accepted());  // T2b
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-22 received->received classify posted internal @R+11h59m59s999ms",
                    "cancel_timer C-22 feedback_24h @R+11h59m59s999ms",
                    "notify C-22 张经理: 重大投诉 C-22：3号楼1502 王女士，电梯故障。受理已超过10分钟，请立即上报部门负责人，并于受理后12小时内与客户商定解决方案 @R+11h59m59s999ms",
                    "alarm C-22 report_overdue head_of_department: 重大投诉 C-22：受理超过10分钟才定级，片区经理 张经理 未在10分钟内上报 @R+11h59m59s999ms",
                    "start_timer C-22 solution_12h due=R+12h @R+11h59m59s999ms"}));
  BOOST_TEST(w.raw(just, "solution_time_left") == 1);
  w.expect(just, "received", {"solution_12h@R+12h", "unresolved_10d@R+10d"});

  // Exactly 12 hours after receipt: no solution was agreed within 12 hours either. Both
  // breaches at once: the report alarm, and the escalation solution_12h would have posted.
  BOOST_TEST(w.classify(late, R + 12 * h, "major").accepted());  // T2c, then G4 emitted
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-23 received->received classify posted internal @R+12h",
                    "cancel_timer C-23 feedback_24h @R+12h",
                    "notify C-23 张经理: 重大投诉 C-23：3号楼1502 王女士，电梯故障。受理已超过12小时，已升级部门负责人，请立即上报并跟进至客户认可方案 @R+12h",
                    "alarm C-23 report_overdue head_of_department: 重大投诉 C-23：受理超过10分钟才定级，片区经理 张经理 未在10分钟内上报 @R+12h",
                    "emit C-23 escalate @R+12h",
                    "transition C-23 received->received escalate emitted internal @R+12h",
                    "alarm C-23 complaint_escalated head_of_department: 投诉 C-23 升级（第1次）：12小时内未与客户达成解决方案 @R+12h",
                    "notify C-23 head_of_department: 升级投诉 C-23：3号楼1502 王女士，电梯故障：3号电梯停运。责任单位 ，当前环节 接待，处理措施：。原因：12小时内未与客户达成解决方案 @R+12h",
                    "start_timer C-23 follow_up due=R+1d @R+12h"}));
  BOOST_TEST(w.field(late, "escalations") == "1");
  BOOST_TEST(w.field(late, "escalated_to") == "head_of_department");
  w.expect(late, "received", {"follow_up@R+1d", "unresolved_10d@R+10d"});

  // C-22's last millisecond runs out at R+12h.
  BOOST_TEST(w.advance(R + 12 * h) == 1u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-22 solution_12h @R+12h",
                    "transition C-22 received->received escalate timer internal @R+12h",
                    "alarm C-22 complaint_escalated head_of_department: 投诉 C-22 升级（第1次）：12小时内未与客户达成解决方案 @R+12h",
                    "notify C-22 head_of_department: 升级投诉 C-22：3号楼1502 王女士，电梯故障：3号电梯停运。责任单位 ，当前环节 接待，处理措施：。原因：12小时内未与客户达成解决方案 @R+12h",
                    "start_timer C-22 follow_up due=R+1d @R+12h"}));
  w.expect(just, "received", {"follow_up@R+1d", "unresolved_10d@R+10d"});
  // Following up goes on for both, C-23's timer was started first.
  BOOST_TEST(w.advance(R + d - 1) == 0u);
  BOOST_TEST(w.advance(R + d) == 2u);
  lines fired;
  for (const std::string& x : w.msgs())
    if (x.rfind("deadline", 0) == 0) fired.push_back(x);
  BOOST_TEST(fired == (lines{"deadline C-23 follow_up @R+1d", "deadline C-22 follow_up @R+1d"}));
  BOOST_TEST(w.history(late) == (lines{
                                     hist(12 * h, "classify received->received posted"),
                                     hist(12 * h, "escalate received->received emitted"),
                                     hist(d, "follow_up_due received->received timer"),
                                 }));
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(agree_before_classification_is_refused) {
  // Regression: an unclassified case accepted `agree`, so a later major classification started
  // its 12-hour limit on a case already marked as agreed.
  complaint_world w;
  const case_id c = w.intake("C-7", R);
  w.msgs();
  BOOST_TEST(w.send(c, "agree", R + m).status == status::guard_false);
  BOOST_TEST(w.msgs() == lines{"rejected C-7 agree guard_false posted @R+1m"});
  BOOST_TEST(w.field(c, "solution_agreed") == "false");
  BOOST_TEST(w.classify(c, R + 2 * m, "major").accepted());
  BOOST_TEST(w.send(c, "agree", R + 3 * m).accepted());
  BOOST_TEST(w.field(c, "solution_agreed") == "true");
}

BOOST_AUTO_TEST_CASE(feedback_24h_breach) {
  complaint_world w;
  const case_id late = w.intake("C-5", R);
  const case_id on_time = w.intake("C-6", R);
  const case_id early = w.intake("C-5a", R);
  BOOST_TEST(w.classify(on_time, R, "minor").accepted());
  w.msgs();
  // Feedback given before classification meets the limit: no alarm later.
  BOOST_TEST(w.send(early, "feedback", R + 5 * m).accepted());  // G2 in 接待, unclassified
  BOOST_TEST(w.msgs() == (lines{"transition C-5a received->received feedback posted internal @R+5m",
                                "cancel_timer C-5a feedback_24h @R+5m"}));
  BOOST_TEST(w.raw(early, "fed_back_at") == R + 5 * m);
  BOOST_TEST(w.classify(early, R + 10 * m, "minor").accepted());
  BOOST_TEST(w.msgs() == lines{"transition C-5a received->received classify posted internal @R+10m"});
  // The 24 hours count from receipt, not from classification: classified two hours late,
  // C-5 still has to be told by R+1d.
  BOOST_TEST(w.classify(late, R + 2 * h, "minor").accepted());
  BOOST_TEST(w.msgs() == lines{"transition C-5 received->received classify posted internal @R+2h"});
  w.expect(early, "received", {"unresolved_10d@R+10d"});
  w.expect(late, "received", {"feedback_24h@R+1d", "unresolved_10d@R+10d"});
  BOOST_TEST(w.advance(R + d - 1) == 0u);
  BOOST_TEST(w.msgs().empty());
  // Feedback exactly 24 hours after receipt is in time.
  BOOST_TEST(w.send(on_time, "feedback", R + d).accepted());
  w.msgs();
  BOOST_TEST(w.advance(R + d) == 1u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-5 feedback_24h @R+1d",
                    "alarm C-5 feedback_overdue customer_centre: 投诉 C-5（3号楼1502 王女士）受理24小时内未反馈客户 @R+1d",
                    "notify C-5 小李: 投诉 C-5 已超过24小时未反馈客户，请立即联系客户 @R+1d"}));
  w.expect(late, "received", {"unresolved_10d@R+10d"});
  w.expect(on_time, "received", {"unresolved_10d@R+10d"});
  w.expect(early, "received", {"unresolved_10d@R+10d"});
  // Late feedback is still recorded.
  BOOST_TEST(w.send(late, "feedback", R + d + h).accepted());
  BOOST_TEST(w.raw(late, "fed_back_at") == R + d + h);
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(unit_analysis_1h_and_reassignment) {
  complaint_world w;
  const case_id c = w.intake("C-7", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.assign(c, R + 5 * m, "工程维修").accepted());
  w.expect(c, "assigned", {"feedback_24h@R+1d", "measures_1h@R+1h5m", "unresolved_10d@R+10d"});
  w.msgs();
  BOOST_TEST(w.advance(R + h + 5 * m - 1) == 0u);
  BOOST_TEST(w.advance(R + h + 5 * m) == 1u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-7 measures_1h @R+1h5m",
                    "alarm C-7 measures_overdue customer_centre: 投诉 C-7：工程维修 未在1小时内回复处理措施 @R+1h5m",
                    "notify C-7 工程维修: 投诉 C-7 已超过1小时未回复处理措施，请立即回复 @R+1h5m"}));
  w.expect(c, "assigned", {"feedback_24h@R+1d", "unresolved_10d@R+10d"});

  // 改派: a self-transition, the new unit gets a full hour.
  const outcome o = w.assign(c, R + 2 * h, "保安");  // T5
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.from == w.st("assigned"));
  BOOST_TEST(o.to == w.st("assigned"));
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-7 assigned->assigned assign posted @R+2h",
                    "notify C-7 保安: 投诉 C-7 已改派贵部门：3号楼1502 王女士，电梯故障：3号电梯停运。请1小时内分析并回复处理措施 @R+2h"}));
  w.expect(c, "assigned", {"feedback_24h@R+1d", "measures_1h@R+3h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "unit") == "保安");
  BOOST_TEST(w.assign(c, R + 2 * h + 30 * m, "保洁").accepted());
  w.expect(c, "assigned", {"feedback_24h@R+1d", "measures_1h@R+3h30m", "unresolved_10d@R+10d"});
  // Measures exactly at the limit are in time.
  BOOST_TEST(w.plan(c, R + 3 * h + 30 * m, "清理电梯井道").accepted());
  w.msgs();
  BOOST_TEST(w.advance(R + 3 * h + 30 * m) == 0u);
  w.expect(c, "planned", {"feedback_24h@R+1d", "unresolved_10d@R+10d"});
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(escalation_12h_and_follow_up) {
  complaint_world w;
  const case_id c = w.intake("C-8", R);
  BOOST_TEST(w.classify(c, R, "major").accepted());
  BOOST_TEST(w.send(c, "report", R + 5 * m).accepted());
  BOOST_TEST(w.assign(c, R + 10 * m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + h, "更换曳引机").accepted());
  w.expect(c, "planned", {"solution_12h@R+12h", "unresolved_10d@R+10d"});
  w.msgs();

  BOOST_TEST(w.advance(R + 12 * h - 1) == 0u);
  BOOST_TEST(w.advance(R + 12 * h) == 1u);  // G4 by the timer
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-8 solution_12h @R+12h",
                    "transition C-8 planned->planned escalate timer internal @R+12h",
                    "alarm C-8 complaint_escalated head_of_department: 投诉 C-8 升级（第1次）：12小时内未与客户达成解决方案 @R+12h",
                    "notify C-8 head_of_department: 升级投诉 C-8：3号楼1502 王女士，电梯故障：3号电梯停运。责任单位 工程维修，当前环节 方案，处理措施：更换曳引机。原因：12小时内未与客户达成解决方案 @R+12h",
                    "start_timer C-8 follow_up due=R+1d @R+12h"}));
  BOOST_TEST(w.field(c, "escalations") == "1");
  BOOST_TEST(w.field(c, "escalated_to") == "head_of_department");
  BOOST_TEST(w.field(c, "escalation_reason") == "12小时内未与客户达成解决方案");
  w.expect(c, "planned", {"follow_up@R+1d", "unresolved_10d@R+10d"});

  BOOST_TEST(w.advance(R + d - 1) == 0u);
  BOOST_TEST(w.advance(R + d) == 1u);  // A1 by the timer
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-8 follow_up @R+1d",
                    "transition C-8 planned->planned follow_up_due timer internal @R+1d",
                    "notify C-8 head_of_department: 升级投诉 C-8 仍未与客户达成方案（已升级1次），请继续跟进 @R+1d",
                    "notify C-8 张经理: 升级投诉 C-8 仍未与客户达成方案，请继续跟进 @R+1d",
                    "start_timer C-8 follow_up due=R+1d12h @R+1d"}));
  w.expect(c, "planned", {"follow_up@R+1d12h", "unresolved_10d@R+10d"});

  // Staff escalate again, to someone they name.
  BOOST_TEST(w.send(c, "escalate", R + d + h,
                    w.data("escalate", {{"to", w.str("物业公司总经理")}, {"reason", w.str("客户要求更高层处理")}}))
                 .accepted());
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-8 planned->planned escalate posted internal @R+1d1h",
                    "alarm C-8 complaint_escalated head_of_department: 投诉 C-8 升级（第2次）：客户要求更高层处理 @R+1d1h",
                    "notify C-8 物业公司总经理: 升级投诉 C-8：3号楼1502 王女士，电梯故障：3号电梯停运。责任单位 工程维修，当前环节 方案，处理措施：更换曳引机。原因：客户要求更高层处理 @R+1d1h",
                    "start_timer C-8 follow_up due=R+1d13h @R+1d1h"}));
  w.expect(c, "planned", {"follow_up@R+1d13h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.advance(R + d + 13 * h - 1) == 0u);
  BOOST_TEST(w.advance(R + d + 13 * h) == 1u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-8 follow_up @R+1d13h",
                    "transition C-8 planned->planned follow_up_due timer internal @R+1d13h",
                    "notify C-8 head_of_department: 升级投诉 C-8 仍未与客户达成方案（已升级2次），请继续跟进 @R+1d13h",
                    "notify C-8 张经理: 升级投诉 C-8 仍未与客户达成方案，请继续跟进 @R+1d13h",
                    "start_timer C-8 follow_up due=R+2d1h @R+1d13h"}));

  // The customer agrees. The brief: "keep following up until the customer agrees and the case
  // closes": following up goes on, now towards closing the case, until it is closed.
  BOOST_TEST(w.send(c, "agree", R + d + 14 * h).accepted());
  BOOST_TEST(w.msgs() == (lines{"transition C-8 planned->planned agree posted internal @R+1d14h"}));
  w.expect(c, "planned", {"follow_up@R+2d1h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.advance(R + 2 * d + h - 1) == 0u);
  BOOST_TEST(w.advance(R + 2 * d + h) == 1u);  // A2 by the timer
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-8 follow_up @R+2d1h",
                    "transition C-8 planned->planned follow_up_due timer internal @R+2d1h",
                    "notify C-8 head_of_department: 升级投诉 C-8 客户已认可方案，尚未关闭（当前环节 方案，已升级2次），请继续跟进至关闭 @R+2d1h",
                    "notify C-8 张经理: 升级投诉 C-8 客户已认可方案，尚未关闭（当前环节 方案），请继续跟进至关闭 @R+2d1h",
                    "start_timer C-8 follow_up due=R+2d13h @R+2d1h"}));
  BOOST_TEST(w.send(c, "dispatch", R + 2 * d + 2 * h).accepted());
  BOOST_TEST(w.resolve(c, R + 2 * d + 3 * h, "已更换曳引机").accepted());
  w.msgs();
  // Still followed up while the resolved case waits for its revisit (group 未关闭).
  w.expect(c, "resolved", {"follow_up@R+2d13h", "revisit_24h@R+3d3h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.advance(R + 2 * d + 13 * h - 1) == 0u);
  BOOST_TEST(w.advance(R + 2 * d + 13 * h) == 1u);  // A2 in 待回访
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-8 follow_up @R+2d13h",
                    "transition C-8 resolved->resolved follow_up_due timer internal @R+2d13h",
                    "notify C-8 head_of_department: 升级投诉 C-8 客户已认可方案，尚未关闭（当前环节 待回访，已升级2次），请继续跟进至关闭 @R+2d13h",
                    "notify C-8 张经理: 升级投诉 C-8 客户已认可方案，尚未关闭（当前环节 待回访），请继续跟进至关闭 @R+2d13h",
                    "start_timer C-8 follow_up due=R+3d1h @R+2d13h"}));
  // Closing ends it.
  BOOST_TEST(w.revisit(c, R + 2 * d + 14 * h, "张经理", "face_to_face", "satisfied").accepted());
  w.expect(c, "closed", no_deadlines);
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  BOOST_TEST(w.advance(R + 4 * d) == 0u);
  BOOST_TEST(w.history(c) == (lines{
                                 hist(0, "classify received->received posted"),
                                 hist(5 * m, "report received->received posted"),
                                 hist(10 * m, "assign received->assigned posted"),
                                 hist(h, "plan assigned->planned posted"),
                                 hist(12 * h, "escalate planned->planned timer"),
                                 hist(d, "follow_up_due planned->planned timer"),
                                 hist(d + h, "escalate planned->planned posted"),
                                 hist(d + 13 * h, "follow_up_due planned->planned timer"),
                                 hist(d + 14 * h, "agree planned->planned posted"),
                                 hist(2 * d + h, "follow_up_due planned->planned timer"),
                                 hist(2 * d + 2 * h, "dispatch planned->dispatched posted"),
                                 hist(2 * d + 3 * h, "resolve dispatched->resolved posted"),
                                 hist(2 * d + 13 * h, "follow_up_due resolved->resolved timer"),
                                 hist(2 * d + 14 * h, "revisit resolved->closed posted"),
                             }));
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(ten_days_reclassifies_minor_to_major) {
  complaint_world w;
  const case_id c = w.intake("C-9", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.send(c, "feedback", R + h).accepted());
  BOOST_TEST(w.assign(c, R + 2 * h, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 2 * h + 30 * m, "更换门机板").accepted());
  w.msgs();
  BOOST_TEST(w.advance(R + 10 * d - 1) == 0u);
  BOOST_TEST(w.advance(R + 10 * d) == 1u);  // G8 by the timer
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-9 unresolved_10d @R+10d",
                    "transition C-9 planned->planned reclassify_major timer internal @R+10d",
                    "alarm C-9 reclassified_major head_of_department: 投诉 C-9 升级为重大投诉：受理10天内未合理解决 @R+10d",
                    "notify C-9 张经理: 投诉 C-9 已升级为重大投诉（受理10天内未合理解决）：3号楼1502 王女士，电梯故障。请10分钟内上报部门负责人，12小时内与客户商定解决方案 @R+10d",
                    "start_timer C-9 report_10m due=R+10d10m @R+10d",
                    "start_timer C-9 solution_12h due=R+10d12h @R+10d"}));
  BOOST_TEST(w.field(c, "level") == "major");
  BOOST_TEST(w.field(c, "reclassified") == "true");
  BOOST_TEST(w.field(c, "reclassify_reason") == "受理10天内未合理解决");
  w.expect(c, "planned", {"report_10m@R+10d10m", "solution_12h@R+10d12h"});
  // Now a major complaint: it needs the customer's agreement before dispatch.
  BOOST_TEST(w.send(c, "dispatch", R + 10 * d + m).status == status::guard_false);
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(ten_days_on_a_major_case) {
  complaint_world w;
  const case_id c = w.intake("C-10", R);
  BOOST_TEST(w.classify(c, R, "major").accepted());
  BOOST_TEST(w.send(c, "report", R + m).accepted());
  BOOST_TEST(w.send(c, "agree", R + h).accepted());
  w.expect(c, "received", {"unresolved_10d@R+10d"});
  w.msgs();
  BOOST_TEST(w.advance(R + 10 * d - 1) == 0u);
  BOOST_TEST(w.advance(R + 10 * d) == 1u);  // G6 by the timer
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-10 unresolved_10d @R+10d",
                    "transition C-10 received->received reclassify_major timer internal @R+10d",
                    "alarm C-10 major_unresolved head_of_department: 重大投诉 C-10 未解决：受理10天内未合理解决 @R+10d"}));
  BOOST_TEST(w.field(c, "reclassified") == "false");
  BOOST_TEST(w.field(c, "reclassify_reason") == "受理10天内未合理解决");
  w.expect(c, "received", no_deadlines);
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(reclassify_after_agreement_by_staff) {
  complaint_world w;
  const case_id c = w.intake("C-11", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.send(c, "feedback", R + 10 * m).accepted());
  BOOST_TEST(w.assign(c, R + 20 * m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 30 * m, "更换门机板").accepted());
  BOOST_TEST(w.send(c, "agree", R + h).accepted());
  w.msgs();
  // Staff reclassify for case (A): repeated requests did not fix it. The solution is already
  // agreed, so no 12-hour limit starts.
  BOOST_TEST(w.send(c, "reclassify_major", R + 2 * d,
                    w.data("reclassify_major", {{"reason", w.str("多次报修未解决")}}))
                 .accepted());  // G7
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-11 planned->planned reclassify_major posted internal @R+2d",
                    "alarm C-11 reclassified_major head_of_department: 投诉 C-11 升级为重大投诉：多次报修未解决 @R+2d",
                    "notify C-11 张经理: 投诉 C-11 已升级为重大投诉（多次报修未解决）：3号楼1502 王女士，电梯故障。请10分钟内上报部门负责人 @R+2d",
                    "start_timer C-11 report_10m due=R+2d10m @R+2d"}));
  BOOST_TEST(w.field(c, "level") == "major");
  BOOST_TEST(w.field(c, "reclassified") == "true");
  w.expect(c, "planned", {"report_10m@R+2d10m", "unresolved_10d@R+10d"});
  // Agreed already: dispatch goes ahead.
  BOOST_TEST(w.send(c, "dispatch", R + 2 * d + m).accepted());
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(ten_days_while_awaiting_revisit) {
  complaint_world w;
  const case_id c = w.intake("C-12", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.assign(c, R + m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 10 * m, "更换门机板").accepted());
  BOOST_TEST(w.send(c, "feedback", R + 10 * m).accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 20 * m).accepted());
  BOOST_TEST(w.resolve(c, R + 9 * d, "已更换").accepted());
  w.expect(c, "resolved", {"revisit_24h@R+10d", "unresolved_10d@R+10d"});
  w.msgs();
  // Both due at R+10d: the one started first (at receipt) fires first.
  BOOST_TEST(w.advance(R + 10 * d) == 2u);  // T13 by the timer
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-12 unresolved_10d @R+10d",
                    "transition C-12 resolved->resolved reclassify_major timer internal @R+10d",
                    "notify C-12 小李: 投诉 C-12 受理已满10天，尚未回访关闭，请尽快回访 @R+10d",
                    "deadline C-12 revisit_24h @R+10d",
                    "alarm C-12 revisit_overdue customer_centre: 投诉 C-12 处理完成已超过24小时未回访 @R+10d"}));
  BOOST_TEST(w.field(c, "level") == "minor");
  w.expect(c, "resolved", no_deadlines);
  BOOST_TEST(w.revisit(c, R + 10 * d + h, "小李", "phone", "satisfied").accepted());
  w.expect(c, "closed", no_deadlines);
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(revisit_24h_breach) {
  complaint_world w;
  const case_id c = w.intake("C-13", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.assign(c, R + m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 10 * m, "更换门机板").accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 20 * m).accepted());
  BOOST_TEST(w.resolve(c, R + 3 * h, "已更换").accepted());
  w.expect(c, "resolved", {"revisit_24h@R+1d3h", "unresolved_10d@R+10d"});
  w.msgs();
  BOOST_TEST(w.advance(R + d + 3 * h - 1) == 0u);
  BOOST_TEST(w.advance(R + d + 3 * h) == 1u);
  BOOST_TEST(w.msgs() ==
             (lines{"deadline C-13 revisit_24h @R+1d3h",
                    "alarm C-13 revisit_overdue customer_centre: 投诉 C-13 处理完成已超过24小时未回访 @R+1d3h"}));
  w.expect(c, "resolved", {"unresolved_10d@R+10d"});
  // A late revisit still closes the case.
  BOOST_TEST(w.revisit(c, R + 2 * d, "小李", "phone", "satisfied").accepted());
  w.expect(c, "closed", no_deadlines);
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(minor_revisit_dissatisfied_and_refused_revisits) {
  complaint_world w;
  const case_id c = w.intake("C-14", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.assign(c, R + m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 10 * m, "更换门机板").accepted());
  BOOST_TEST(w.send(c, "feedback", R + 10 * m).accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 20 * m).accepted());
  BOOST_TEST(w.resolve(c, R + 3 * h, "已更换").accepted());
  const std::string before = w.snap(c);
  // A minor complaint is revisited by its receiver, by phone or WeChat.
  BOOST_TEST(w.revisit(c, R + 4 * h, "张经理", "phone", "satisfied").status == status::guard_false);
  BOOST_TEST(w.revisit(c, R + 4 * h, "小李", "face_to_face", "satisfied").status == status::guard_false);
  BOOST_TEST(w.revisit(c, R + 4 * h, "张经理", "face_to_face", "satisfied").status == status::guard_false);
  BOOST_TEST(w.snap(c) == before);
  w.msgs();

  BOOST_TEST(w.revisit(c, R + 4 * h, "小李", "phone", "dissatisfied", "电梯仍有异响").accepted());  // T11
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-14 resolved->assigned revisit posted @R+4h",
                    "notify C-14 工程维修: 投诉 C-14 回访客户不满意（电梯仍有异响），请1小时内重新回复处理措施 @R+4h"}));
  // Back with the unit for an hour; the 10-day clock from receipt keeps running.
  w.expect(c, "assigned", {"measures_1h@R+5h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "reopens") == "1");
  BOOST_TEST(w.field(c, "revisit_result") == "dissatisfied");
  BOOST_TEST(w.field(c, "revisit_note") == "电梯仍有异响");

  BOOST_TEST(w.plan(c, R + 4 * h + 30 * m, "更换曳引轮").accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 5 * h).accepted());
  BOOST_TEST(w.resolve(c, R + 6 * h, "已更换曳引轮").accepted());
  BOOST_TEST(w.revisit(c, R + 7 * h, "小李", "wechat", "basically_satisfied").accepted());
  w.expect(c, "closed", no_deadlines);
  BOOST_TEST(w.field(c, "reopens") == "1");
  BOOST_TEST(w.field(c, "revisit_note") == "");  // the default of the last revisit
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(major_revisit_dissatisfied) {
  complaint_world w;
  const case_id c = w.intake("C-15", R);
  BOOST_TEST(w.classify(c, R, "major").accepted());
  BOOST_TEST(w.send(c, "report", R + 5 * m).accepted());
  BOOST_TEST(w.assign(c, R + 10 * m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 30 * m, "更换曳引机").accepted());
  BOOST_TEST(w.send(c, "agree", R + h).accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 2 * h).accepted());
  BOOST_TEST(w.resolve(c, R + 5 * h, "已更换").accepted());
  w.msgs();
  BOOST_TEST(w.revisit(c, R + 6 * h, "张经理", "face_to_face", "dissatisfied", "方案未落实").accepted());  // T12
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-15 resolved->assigned revisit posted @R+6h",
                    "start_timer C-15 solution_12h due=R+18h @R+6h",
                    "notify C-15 工程维修: 重大投诉 C-15 回访客户不满意（方案未落实），请1小时内重新回复处理措施 @R+6h",
                    "notify C-15 head_of_department: 重大投诉 C-15 回访客户不满意，已重新处理，12小时内须与客户重新商定方案 @R+6h"}));
  w.expect(c, "assigned", {"measures_1h@R+7h", "solution_12h@R+18h", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "solution_agreed") == "false");
  BOOST_TEST(w.field(c, "reopens") == "1");

  BOOST_TEST(w.plan(c, R + 6 * h + 30 * m, "整体更换电梯").accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 7 * h).status == status::guard_false);
  BOOST_TEST(w.send(c, "agree", R + 8 * h).accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 8 * h).accepted());
  BOOST_TEST(w.resolve(c, R + 2 * d, "已整体更换").accepted());
  BOOST_TEST(w.revisit(c, R + 2 * d + h, "张经理", "face_to_face", "satisfied").accepted());
  w.expect(c, "closed", no_deadlines);
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(unreasonable_complaint_explained_and_closed) {
  complaint_world w;
  const case_id c = w.intake("C-16", R);
  const case_id reasonable = w.intake("C-17", R);
  BOOST_TEST(w.classify(c, R, "minor", false).accepted());
  BOOST_TEST(w.classify(reasonable, R, "minor").accepted());
  BOOST_TEST(w.field(c, "reasonable") == "false");
  // Not dispatched: explained and closed.
  BOOST_TEST(w.assign(c, R + m, "工程维修").status == status::guard_false);
  w.msgs();
  BOOST_TEST(w.explain(c, R + h, "系业主自行装修造成，已耐心解释").accepted());  // G9
  BOOST_TEST(w.msgs() ==
             (lines{"transition C-16 received->closed explain_and_close posted @R+1h",
                    "notify C-16 小李: 投诉 C-16 经核实不成立，已向客户耐心解释后关闭：系业主自行装修造成，已耐心解释 @R+1h"}));
  w.expect(c, "closed", no_deadlines);
  BOOST_TEST(w.field(c, "explanation") == "系业主自行装修造成，已耐心解释");
  BOOST_TEST(w.raw(c, "closed_at") == R + h);
  // A reasonable complaint cannot be explained away.
  const std::string before = w.snap(reasonable);
  BOOST_TEST(w.explain(reasonable, R + h, "无").status == status::guard_false);
  BOOST_TEST(w.snap(reasonable) == before);
  BOOST_TEST(w.eng.pending_deadlines() == 2u);  // C-17's feedback_24h and unresolved_10d
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(unreasonable_complaint_found_by_the_unit) {
  complaint_world w;
  const case_id c = w.intake("C-18", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.assign(c, R + m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 30 * m, "经查属正常运行噪音", false).accepted());
  w.expect(c, "planned", {"feedback_24h@R+1d", "unresolved_10d@R+10d"});
  BOOST_TEST(w.field(c, "reasonable") == "false");
  // Found unfounded by the unit: not dispatched, explained and closed.
  const std::string before = w.snap(c);
  BOOST_TEST(w.send(c, "dispatch", R + 40 * m).status == status::guard_false);
  BOOST_TEST(w.snap(c) == before);
  w.msgs();
  BOOST_TEST(w.explain(c, R + h, "噪音在国家标准范围内").accepted());
  w.expect(c, "closed", no_deadlines);
  BOOST_TEST(w.eng.pending_deadlines() == 0u);
  record_coverage(w);
}

// Section 2's records: kept 2 calendar years after closing; a typical case goes into the case
// library when it closes (trigger typical_case_library opens its entry).
BOOST_AUTO_TEST_CASE(records_are_kept_two_years_and_a_typical_case_goes_to_the_library) {
  complaint_world w;
  const case_id c = w.intake("C-20", R);
  BOOST_TEST(w.classify(c, R + m, "minor").accepted());
  BOOST_TEST(w.send(c, "mark_typical", R + 2 * m, w.data("mark_typical", {{"reason", w.str("同型号电梯批量故障")}}))
                 .accepted());
  BOOST_TEST(w.field(c, "typical") == "true");
  BOOST_TEST(w.assign(c, R + 3 * m, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R + 30 * m, "更换门机板").accepted());
  BOOST_TEST(w.send(c, "dispatch", R + 40 * m).accepted());
  BOOST_TEST(w.resolve(c, R + 5 * h, "已更换").accepted());
  w.msgs();
  const std::size_t before = w.eng.case_count();
  BOOST_TEST(w.revisit(c, R + 6 * h, "小李", "phone", "satisfied").accepted());
  BOOST_TEST(w.msgs() == (lines{
                             "transition C-20 resolved->closed revisit posted @R+6h",
                             "alarm C-20 typical_case quality_department: 投诉 C-20（3号楼电梯故障）已关闭，列为典型案例：同型号电梯批量故障。请品质部整理入库 @R+6h",
                             "created typical_case_library-1 writing_up @R+6h",
                         }));
  // Closed 2026-03-02 07:15 UTC (R + 6h): kept until 2028-03-02 07:15 UTC.
  BOOST_TEST(w.raw(c, "keep_until") == *parse_timestamp("2028-03-02T07:15:00Z"));
  BOOST_TEST_REQUIRE(w.eng.case_count() == before + 1);
  const case_id entry = static_cast<case_id>(before);
  const flow_id library = w.flow("case_library");
  BOOST_TEST(w.eng.case_flow(entry) == library);
  BOOST_TEST(w.eng.field_text(entry, *w.rules->find_field(library, "reason")) == "同型号电梯批量故障");
  BOOST_TEST(w.eng.field_text(entry, *w.rules->find_field(library, "building")) == "3号楼");
  BOOST_TEST(w.eng.field(entry, *w.rules->find_field(library, "keep_until")) == *parse_timestamp("2028-03-02T07:15:00Z"));
  // A case that is not typical closes without an entry.
  const case_id other = w.intake("C-21", R + 7 * h);
  BOOST_TEST(w.classify(other, R + 7 * h + m, "minor", false).accepted());
  BOOST_TEST(w.explain(other, R + 8 * h, "不成立").accepted());
  BOOST_TEST(w.eng.case_count() == before + 2);
  BOOST_TEST(w.raw(other, "keep_until") == *parse_timestamp("2028-03-02T09:15:00Z"));
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(many_cases_keep_their_own_clocks) {
  complaint_world w;
  // Ten minor complaints received a minute apart: their 24h limits fire a minute apart, in order.
  for (int i = 0; i < 10; ++i) {
    const case_id c = w.intake("M-" + std::to_string(i), R + i * m);
    BOOST_TEST(w.classify(c, R + i * m, "minor").accepted());
  }
  w.msgs();
  BOOST_TEST(w.advance(R + d + 4 * m + 30 * s) == 5u);
  lines fired;
  for (const std::string& x : w.msgs())
    if (x.rfind("deadline", 0) == 0) fired.push_back(x);
  BOOST_TEST(fired == (lines{"deadline M-0 feedback_24h @R+1d", "deadline M-1 feedback_24h @R+1d1m",
                             "deadline M-2 feedback_24h @R+1d2m", "deadline M-3 feedback_24h @R+1d3m",
                             "deadline M-4 feedback_24h @R+1d4m"}));
  BOOST_TEST(w.eng.pending_deadlines() == 15u);  // 5 feedback + 10 unresolved_10d
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(revisit_data_is_checked) {
  complaint_world w;
  const case_id c = w.intake("C-19", R);
  BOOST_TEST(w.classify(c, R, "minor").accepted());
  BOOST_TEST(w.assign(c, R, "工程维修").accepted());
  BOOST_TEST(w.plan(c, R, "更换").accepted());
  BOOST_TEST(w.send(c, "dispatch", R).accepted());
  BOOST_TEST(w.resolve(c, R + h, "好").accepted());
  const std::string before = w.snap(c);
  // `result` is required; `channel` has three values.
  BOOST_TEST(w.send(c, "revisit", R + h,
                    w.data("revisit", {{"by", w.str("小李")}, {"channel", w.enum_value("revisit", "channel", "phone")}}))
                 .status == status::bad_data);
  BOOST_TEST(w.send(c, "revisit", R + h,
                    w.data("revisit", {{"by", w.str("小李")}, {"channel", 3}, {"result", 0}}))
                 .status == status::bad_data);
  BOOST_TEST(w.snap(c) == before);
  record_coverage(w);
}

BOOST_AUTO_TEST_CASE(every_transition_and_timer_is_exercised) {
  auto rules = complaint_rules();
  const detail::flow_program& fl = rules->flow(*rules->find_flow("complaint"));
  BOOST_TEST(fl.transitions.size() == 26u);
  BOOST_TEST(fl.timers.size() == 7u);
  if (g_paths_run != path_tests) {
    BOOST_TEST_MESSAGE("coverage not checked: run the whole module (" << g_paths_run << " of " << path_tests
                                                                       << " path tests ran)");
    return;
  }
  for (std::uint32_t t = 0; t < fl.transitions.size(); ++t) {
    const detail::transition_def& tr = fl.transitions[t];
    BOOST_TEST(g_transitions.count(t) == 1u, "never taken: complaint.yaml:" << tr.line << " "
                                                                          << fl.events[tr.event].name << " if "
                                                                          << tr.guard_text);
  }
  for (timer_id t = 0; t < fl.timers.size(); ++t)
    BOOST_TEST(g_timers.count(t) == 1u, "never fired: timer " << fl.timers[t].name);
}
