// Complaint benchmark: the bundled rules/complaint.yaml with 1,000,000 live cases, against a
// hand-written C++ version of the same flow (baseline.hpp: switch + std::priority_queue).
//   (1) day to day: cases created 1 ms apart, each following one of seven realistic paths
//       (workload.hpp), every create and post in time order, deadlines firing in between;
//       events/second, bytes per live case and pending deadlines when all cases are live;
//   (2) deadline storm: major cases nobody answers, the clock advanced 11 days hour by hour
//       with advance_to; deadlines fired/second.
// Exits 1 if crmflow and the baseline end any case differently or fire different deadlines,
// 2 if the rules do not load. `--quick` runs a small version for CI.
#include <malloc.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <crmflow/crmflow.hpp>

#include "../common/bench_util.hpp"
#include "baseline.hpp"
#include "workload.hpp"

namespace {

using namespace complaint_bench;
using crmflow_bench::bench_clock;
using crmflow_bench::seconds_since;

constexpr int reps = 3;
using crmflow_bench::check;

// ---- the texts a complaint carries -------------------------------------------------------------

struct text_pools {
  std::vector<std::string> category, description, building, room, customer, channel, receiver,
      area_manager, unit;
  std::string measures = "更换电梯门机皮带，次日上午维修完毕", resolution = "已维修，试运行正常",
              explanation = "噪音来自市政施工，已向业主说明", note = "夜间仍有噪音",
              escalate_to = "head_of_department", escalate_reason = "12小时内未与客户达成解决方案",
              reclassify_reason = "受理10天内未合理解决";

  text_pools() {
    category = {"噪音扰民", "电梯故障", "漏水", "停车", "保洁", "绿化", "安保", "收费"};
    for (int i = 0; i < 32; ++i) description.push_back("投诉内容 #" + std::to_string(i) + "：夜间楼上持续噪音，影响休息");
    for (int i = 0; i < 12; ++i) building.push_back(std::to_string(i + 1) + "号楼");
    for (int i = 0; i < 600; ++i) room.push_back(std::to_string(i / 20 + 1) + (i % 20 < 9 ? "0" : "") + std::to_string(i % 20 + 1));
    for (int i = 0; i < 200; ++i) customer.push_back("客户" + std::to_string(i));
    channel = {"电话", "微信", "前台", "APP"};
    for (int i = 0; i < receivers; ++i) receiver.push_back("接待员" + std::to_string(i));
    for (int i = 0; i < area_managers; ++i) area_manager.push_back("片区经理" + std::to_string(i));
    unit = {"工程部", "保洁部", "安保部", "绿化部", "客服部", "财务部"};
  }
};

const text_pools texts;

// ---- baseline -----------------------------------------------------------------------------------

struct bl_world {
  // String ids: a running number per distinct text, like a host's own interning.
  std::uint32_t category = 1, description = 100, building = 200, room = 300, customer = 1000,
                channel = 1300, receiver = 1400, area_manager = 1500, unit = 1600, measures = 1700,
                resolution = 1701, explanation = 1702, note = 1703, escalate_to = 1704,
                escalate_reason = 1705, reclassify_reason = 1706;

  baseline::event_data data(std::uint8_t kind, const case_profile& p, baseline::event& e) const {
    baseline::event_data d;
    switch (kind) {
      case k_classify_minor: e = baseline::classify; d.level = baseline::minor; break;
      case k_classify_major: e = baseline::classify; d.level = baseline::major; break;
      case k_classify_unreasonable: e = baseline::classify; d.level = baseline::minor; d.reasonable = false; break;
      case k_report: e = baseline::report; break;
      case k_assign: e = baseline::assign; d.text = unit + p.unit; break;
      case k_plan: e = baseline::plan; d.text = measures; break;
      case k_feedback: e = baseline::feedback; break;
      case k_agree: e = baseline::agree; break;
      case k_dispatch: e = baseline::dispatch; break;
      case k_resolve: e = baseline::resolve; d.text = resolution; break;
      case k_revisit_minor_ok:
        e = baseline::revisit; d.text = receiver + p.receiver; d.channel = baseline::phone;
        d.result = baseline::satisfied;
        break;
      case k_revisit_minor_unhappy:
        e = baseline::revisit; d.text = receiver + p.receiver; d.channel = baseline::wechat;
        d.result = baseline::dissatisfied; d.note = note;
        break;
      case k_revisit_major_ok:
        e = baseline::revisit; d.text = area_manager + p.area_manager; d.channel = baseline::face_to_face;
        d.result = baseline::basically_satisfied;
        break;
      case k_explain: e = baseline::explain_and_close; d.text = explanation; break;
    }
    return d;
  }

  baseline::case_data intake(const case_profile& p) const {
    baseline::case_data c;
    c.category = category + p.category;
    c.description = description + p.description;
    c.building = building + p.building;
    c.room = room + p.room;
    c.customer = customer + p.customer;
    c.channel = channel + p.category % 4;
    c.receiver = receiver + p.receiver;
    c.area_manager = area_manager + p.area_manager;
    return c;
  }

  void setup(baseline& b) const {
    b.default_escalate_to = escalate_to;
    b.default_escalate_reason = escalate_reason;
    b.default_reclassify_reason = reclassify_reason;
  }
};

case_outcome outcome_of(const baseline::case_data& c) {
  return {c.st, c.level, c.reclassified, c.solution_agreed, c.escalations, c.reopens};
}

// ---- crmflow -------------------------------------------------------------------------------------

template <class T>
T need(const std::optional<T>& v, const std::string& what) {
  if (!v) {
    std::fprintf(stderr, "bench_complaint: rules/complaint.yaml has no %s\n", what.c_str());
    std::exit(2);
  }
  return *v;
}

struct crm_world {
  std::shared_ptr<const crmflow::rule_set> rules;
  crmflow::flow_id flow = 0;
  crmflow::event_id event_of[post_kind_count] = {};
  crmflow::field_id f_category, f_description, f_building, f_room, f_customer, f_channel, f_receiver,
      f_area_manager, f_level, f_reclassified, f_agreed, f_escalations, f_reopens;
  std::uint8_t state_index[64] = {};  // crmflow state id -> state_names index

  crmflow::event_id event(const char* n) const { return need(rules->find_event(flow, n), std::string("event ") + n); }
  crmflow::field_id field(const char* n) const { return need(rules->find_field(flow, n), std::string("field ") + n); }
  crmflow::slot_id slot(crmflow::event_id e, const char* n) const {
    return need(rules->find_slot(flow, e, n), std::string("event data ") + n);
  }
  // Index of an enum value of an event's data item.
  crmflow::raw_value data_enum(crmflow::event_id e, crmflow::slot_id s, const char* value) const {
    const crmflow::detail::flow_program& fp = rules->flow(flow);
    const auto& values = fp.enums.at(fp.events.at(e).data.at(s).enum_index).values;
    for (std::size_t i = 0; i < values.size(); ++i)
      if (values[i] == value) return static_cast<crmflow::raw_value>(i);
    need(std::optional<int>{}, std::string("enum value ") + value);
    return 0;
  }

  void load() {
    const crmflow::load_result loaded = crmflow::load_rules({CRMFLOW_SOURCE_DIR "/rules/complaint.yaml"});
    for (const crmflow::diagnostic& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", crmflow::to_string(d).c_str());
    if (!loaded.ok()) std::exit(2);
    rules = loaded.rules;
    flow = need(rules->find_flow("complaint"), "flow 'complaint'");
    const char* names[post_kind_count] = {"",        "classify", "classify", "classify", "report",
                                          "assign",  "plan",     "feedback", "agree",    "dispatch",
                                          "resolve", "revisit",  "revisit",  "revisit",  "explain_and_close"};
    for (int k = 1; k < post_kind_count; ++k) event_of[k] = event(names[k]);
    f_category = field("category"); f_description = field("description"); f_building = field("building");
    f_room = field("room"); f_customer = field("customer"); f_channel = field("channel");
    f_receiver = field("receiver"); f_area_manager = field("area_manager"); f_level = field("level");
    f_reclassified = field("reclassified"); f_agreed = field("solution_agreed");
    f_escalations = field("escalations"); f_reopens = field("reopens");
    for (int s = 0; s < state_count; ++s) state_index[need(rules->find_state(flow, state_names[s]), state_names[s])] = static_cast<std::uint8_t>(s);
  }
};

// An engine with the texts interned and every event's data built once, before anything is timed.
struct crm_run {
  const crm_world& w;
  crmflow::engine eng;
  std::vector<crmflow::raw_value> category, description, building, room, customer, channel, receiver, area_manager;
  crmflow::data_record empty, classify_minor, classify_major, classify_unreasonable, plan, resolve, explain;
  std::vector<crmflow::data_record> assign, revisit_minor_ok, revisit_minor_unhappy, revisit_major_ok;
  crmflow::data_record intake;

  static crmflow::engine_options options() {
    crmflow::engine_options o;
    o.keep_history = false;
    return o;
  }

  std::vector<crmflow::raw_value> intern(const std::vector<std::string>& v) {
    std::vector<crmflow::raw_value> out;
    for (const std::string& s : v) out.push_back(eng.intern(s));
    return out;
  }

  explicit crm_run(const crm_world& world) : w(world), eng(world.rules, options()) {
    category = intern(texts.category); description = intern(texts.description); building = intern(texts.building);
    room = intern(texts.room); customer = intern(texts.customer); channel = intern(texts.channel);
    receiver = intern(texts.receiver); area_manager = intern(texts.area_manager);
    const std::vector<crmflow::raw_value> unit = intern(texts.unit);
    const crmflow::event_id ev_classify = w.event_of[k_classify_minor], ev_revisit = w.event_of[k_revisit_minor_ok];
    const crmflow::slot_id s_level = w.slot(ev_classify, "level"), s_reasonable = w.slot(ev_classify, "reasonable");
    classify_minor.set(s_level, w.data_enum(ev_classify, s_level, "minor"));
    classify_major.set(s_level, w.data_enum(ev_classify, s_level, "major"));
    classify_unreasonable = classify_minor;
    classify_unreasonable.set(s_reasonable, 0);
    plan.set(w.slot(w.event_of[k_plan], "measures"), eng.intern(texts.measures));
    resolve.set(w.slot(w.event_of[k_resolve], "resolution"), eng.intern(texts.resolution));
    explain.set(w.slot(w.event_of[k_explain], "explanation"), eng.intern(texts.explanation));
    const crmflow::slot_id s_unit = w.slot(w.event_of[k_assign], "unit");
    for (crmflow::raw_value u : unit) {
      assign.emplace_back();
      assign.back().set(s_unit, u);
    }
    const crmflow::slot_id s_by = w.slot(ev_revisit, "by"), s_channel = w.slot(ev_revisit, "channel"),
                           s_result = w.slot(ev_revisit, "result"), s_note = w.slot(ev_revisit, "note");
    const crmflow::raw_value note = eng.intern(texts.note);
    for (crmflow::raw_value r : receiver) {
      revisit_minor_ok.emplace_back();
      revisit_minor_ok.back().set(s_by, r);
      revisit_minor_ok.back().set(s_channel, w.data_enum(ev_revisit, s_channel, "phone"));
      revisit_minor_ok.back().set(s_result, w.data_enum(ev_revisit, s_result, "satisfied"));
      revisit_minor_unhappy.emplace_back();
      revisit_minor_unhappy.back().set(s_by, r);
      revisit_minor_unhappy.back().set(s_channel, w.data_enum(ev_revisit, s_channel, "wechat"));
      revisit_minor_unhappy.back().set(s_result, w.data_enum(ev_revisit, s_result, "dissatisfied"));
      revisit_minor_unhappy.back().set(s_note, note);
    }
    for (crmflow::raw_value a : area_manager) {
      revisit_major_ok.emplace_back();
      revisit_major_ok.back().set(s_by, a);
      revisit_major_ok.back().set(s_channel, w.data_enum(ev_revisit, s_channel, "face_to_face"));
      revisit_major_ok.back().set(s_result, w.data_enum(ev_revisit, s_result, "basically_satisfied"));
    }
    intake.set(w.f_area_manager, 0);  // sizes the record once: set() below never allocates
  }

  const crmflow::data_record& data(std::uint8_t kind, const case_profile& p) const {
    switch (kind) {
      case k_classify_minor: return classify_minor;
      case k_classify_major: return classify_major;
      case k_classify_unreasonable: return classify_unreasonable;
      case k_assign: return assign[p.unit];
      case k_plan: return plan;
      case k_resolve: return resolve;
      case k_revisit_minor_ok: return revisit_minor_ok[p.receiver];
      case k_revisit_minor_unhappy: return revisit_minor_unhappy[p.receiver];
      case k_revisit_major_ok: return revisit_major_ok[p.area_manager];
      case k_explain: return explain;
      default: return empty;
    }
  }

  bool create(const case_profile& p, std::int64_t at) {
    intake.clear();
    intake.set(w.f_category, category[p.category]);
    intake.set(w.f_description, description[p.description]);
    intake.set(w.f_building, building[p.building]);
    intake.set(w.f_room, room[p.room]);
    intake.set(w.f_customer, customer[p.customer]);
    intake.set(w.f_channel, channel[p.category % 4]);
    intake.set(w.f_receiver, receiver[p.receiver]);
    intake.set(w.f_area_manager, area_manager[p.area_manager]);
    return eng.create_case(w.flow, "", at, &intake).accepted();
  }

  case_outcome outcome_of(crmflow::case_id c) const {
    return {w.state_index[eng.state(c)], static_cast<std::uint8_t>(eng.field(c, w.f_level)),
            static_cast<std::uint8_t>(eng.field(c, w.f_reclassified)),
            static_cast<std::uint8_t>(eng.field(c, w.f_agreed)), static_cast<std::int32_t>(eng.field(c, w.f_escalations)),
            static_cast<std::int32_t>(eng.field(c, w.f_reopens))};
  }
};

// ---- (1) day to day ------------------------------------------------------------------------------

struct day_result {
  double seconds = 0;
  std::uint64_t refused = 0;
  std::uint64_t rss_growth = 0;     // at the peak, first repetition
  std::size_t live_at_peak = 0;
  std::size_t pending_at_peak = 0;
  std::size_t pending_at_end = 0;
  std::uint64_t fired = 0;          // baseline only: crmflow's post() does not count
  std::vector<case_outcome> outcomes;
};

// Runs the workload in two timed halves, split at the last creation (when every case is live)
// so that memory can be read there untimed.
template <class Start, class Step, class Peak, class Finish>
void run_day(const std::vector<step>& work, std::size_t peak, day_result& r, Start start, Step do_step,
             Peak at_peak, Finish finish) {
  for (int rep = 0; rep < reps; ++rep) {
    start();
    const std::uint64_t before = crmflow_bench::rss_bytes();
    std::uint64_t refused = 0;
    auto t0 = bench_clock::now();
    for (std::size_t i = 0; i <= peak; ++i) refused += !do_step(work[i]);
    double sec = seconds_since(t0);
    if (rep == 0) {
      r.rss_growth = crmflow_bench::rss_bytes() - before;
      at_peak();
    }
    t0 = bench_clock::now();
    for (std::size_t i = peak + 1; i < work.size(); ++i) refused += !do_step(work[i]);
    sec += seconds_since(t0);
    if (rep == 0 || sec < r.seconds) r.seconds = sec;
    r.refused = refused;
    finish();
  }
}

day_result day_crmflow(const crm_world& w, const std::vector<step>& work, std::size_t peak, std::uint32_t cases) {
  day_result r;
  std::unique_ptr<crm_run> run;
  run_day(
      work, peak, r, [&] { run = std::make_unique<crm_run>(w); },
      [&](const step& s) {
        const case_profile p = profile(s.case_index);
        if (s.kind == k_create) return run->create(p, s.at);
        return run->eng.post(s.case_index, w.event_of[s.kind], run->data(s.kind, p), s.at).accepted();
      },
      [&] {
        r.pending_at_peak = run->eng.pending_deadlines();
        for (std::uint32_t c = 0; c < run->eng.case_count(); ++c) r.live_at_peak += !run->eng.is_final(c);
      },
      [&] {
        run->eng.advance_to(work.back().at + 30 * day);
        r.pending_at_end = run->eng.pending_deadlines();
        r.outcomes.clear();
        for (std::uint32_t c = 0; c < cases; ++c) r.outcomes.push_back(run->outcome_of(c));
        run.reset();
      });
  return r;
}

day_result day_baseline(const std::vector<step>& work, std::size_t peak, std::uint32_t cases) {
  day_result r;
  const bl_world w;
  std::unique_ptr<baseline> b;
  run_day(
      work, peak, r, [&] { b = std::make_unique<baseline>(); w.setup(*b); },
      [&](const step& s) {
        const case_profile p = profile(s.case_index);
        if (s.kind == k_create) {
          b->create(s.at, w.intake(p));
          return true;
        }
        baseline::event e{};
        const baseline::event_data d = w.data(s.kind, p, e);
        return b->post(s.case_index, e, d, s.at);
      },
      [&] {
        r.pending_at_peak = b->pending();
        for (std::uint32_t c = 0; c < b->size(); ++c) r.live_at_peak += b->at(c).st != baseline::closed;
      },
      [&] {
        b->advance_to(work.back().at + 30 * day);
        r.pending_at_end = b->pending();
        r.fired = b->fired();
        r.outcomes.clear();
        for (std::uint32_t c = 0; c < cases; ++c) r.outcomes.push_back(outcome_of(b->at(c)));
        b.reset();
      });
  return r;
}

// ---- (2) deadline storm --------------------------------------------------------------------------

struct storm_result {
  double seconds = 0;  // of the advance_to calls only
  std::uint64_t fired = 0;
  std::vector<case_outcome> outcomes;
};

template <class Engine, class Create, class Outcome>
storm_result storm(std::uint32_t cases, std::int64_t start, Create create, Outcome outcome) {
  storm_result r;
  for (int rep = 0; rep < reps; ++rep) {
    std::unique_ptr<Engine> e = create(cases, start);
    std::uint64_t fired = 0;
    const auto t0 = bench_clock::now();
    for (std::int64_t t = start + hour; t <= start + 11 * day; t += hour) fired += e->advance_to(t);
    const double sec = seconds_since(t0);
    if (rep == 0 || sec < r.seconds) r.seconds = sec;
    r.fired = fired;
    if (rep == reps - 1)
      for (std::uint32_t c = 0; c < cases; ++c) r.outcomes.push_back(outcome(*e, c));
  }
  return r;
}

void compare(const char* what, const std::vector<case_outcome>& a, const std::vector<case_outcome>& b) {
  std::size_t differ = 0, first = a.size();
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (!(a[i] == b[i])) {
      if (!differ) first = i;
      ++differ;
    }
  check(a.size() == b.size() && differ == 0,
        std::string(what) + ": " + std::to_string(differ) + " cases end differently (first: case " + std::to_string(first) + ")");
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // see bench/dispatch/main.cpp
  const bool quick = crmflow_bench::has_flag(argc, argv, "--quick");
  const std::uint32_t cases = quick ? 50'000 : 1'000'000;
  const std::uint32_t storm_cases = quick ? 10'000 : 200'000;  // created within 10 minutes, see below
  const std::int64_t start = *crmflow::parse_timestamp("2026-03-02T09:00:00+08:00");

  crm_world w;
  w.load();

  std::uint64_t expected_fired = 0;
  const std::vector<step> work = build_workload(cases, start, 1, expected_fired);
  std::size_t peak = 0, posts = 0;
  for (std::size_t i = 0; i < work.size(); ++i) {
    if (work[i].kind == k_create) peak = i;
    else ++posts;
  }

  std::printf("crmflow complaint benchmark (%s): rules/complaint.yaml, keep_history=false, no observer, best of %d\n",
              quick ? "quick" : "full", reps);
  std::printf("baseline: hand-written C++ of the same flow (switch + std::priority_queue deadlines, "
              "bench/complaint/baseline.hpp)\n");

  const day_result bl = day_baseline(work, peak, cases);
  const day_result crm = day_crmflow(w, work, peak, cases);
  check(bl.refused == 0, "baseline: refused events");
  check(crm.refused == 0, "crmflow: refused events (" + std::to_string(crm.refused) + ")");
  check(bl.fired == expected_fired, "baseline: deadlines fired " + std::to_string(bl.fired) + ", expected " + std::to_string(expected_fired));
  check(bl.pending_at_end == 0 && crm.pending_at_end == 0, "deadlines still pending after every case closed");
  check(crm.pending_at_peak == bl.pending_at_peak, "pending deadlines at the peak differ");
  compare("day to day", crm.outcomes, bl.outcomes);
  std::size_t closed = 0, escalated = 0, reopened = 0, reclassified = 0;
  for (const case_outcome& o : crm.outcomes) {
    closed += o.state == 5;
    escalated += o.escalations > 0;
    reopened += o.reopens > 0;
    reclassified += o.reclassified;
  }
  check(closed == cases, "not every case closed");

  const double n1 = static_cast<double>(work.size());
  std::printf("(1) day to day: %u cases created 1 ms apart, 7 paths; %zu creates + %zu posts in time order, "
              "%llu deadlines fired in between\n",
              cases, static_cast<std::size_t>(cases), posts, static_cast<unsigned long long>(expected_fired));
  std::printf("    baseline  %10.0f events/s  %7.1f ns/event  %8.0f deadlines/s over the run\n", n1 / bl.seconds, bl.seconds * 1e9 / n1,
              expected_fired / bl.seconds);
  std::printf("    crmflow   %10.0f events/s  %7.1f ns/event  %8.0f deadlines/s over the run\n", n1 / crm.seconds, crm.seconds * 1e9 / n1,
              expected_fired / crm.seconds);
  std::printf("    ratio crmflow/baseline (time) = %.2f\n", crm.seconds / bl.seconds);
  std::printf("    outcome: closed=%zu escalated=%zu reopened=%zu reclassified=%zu (same in both)\n", closed, escalated,
              reopened, reclassified);
  std::printf("    when the last case is created: %zu live cases\n", crm.live_at_peak);
  std::printf("    bytes per live case (RSS growth / live cases): baseline %.1f, crmflow %.1f\n",
              static_cast<double>(bl.rss_growth) / bl.live_at_peak, static_cast<double>(crm.rss_growth) / crm.live_at_peak);
  std::printf("    pending deadlines: baseline %zu, crmflow %zu (%.2f per live case)\n", bl.pending_at_peak,
              crm.pending_at_peak, static_cast<double>(crm.pending_at_peak) / crm.live_at_peak);
  const crmflow::detail::flow_program& fp = w.rules->flow(w.flow);
  std::printf("    crmflow per-case estimate: case_record 16 + %zu fields x 8 + %zu timers x 4 + name std::string %zu = %zu "
              "bytes, plus per pending deadline a slot %zu (with its Boost.MSM lifecycle state) + a 4-byte handle in "
              "its timer-wheel bucket; baseline sizeof(case) = %zu\n",
              fp.fields.size(), fp.timers.size(), sizeof(std::string),
              16 + 8 * fp.fields.size() + 4 * fp.timers.size() + sizeof(std::string),
              crmflow::detail::deadline_queue::slot_bytes(), sizeof(baseline::case_data));

  // (2) Every storm case is created (and classified major) within 10 minutes of `start`, before
  // its first deadline, so advance_to() counts every deadline that fires.
  const std::int64_t storm_start = start + 60 * day;
  const bl_world bw;
  const storm_result sb = storm<baseline>(
      storm_cases, storm_start,
      [&](std::uint32_t n, std::int64_t t0) {
        auto b = std::make_unique<baseline>();
        bw.setup(*b);
        baseline::event e{};
        for (std::uint32_t i = 0; i < n; ++i) {
          const case_profile p = profile(i);
          const std::uint32_t id = b->create(t0 + i, bw.intake(p));
          const baseline::event_data d = bw.data(k_classify_major, p, e);
          b->post(id, e, d, t0 + i);
        }
        return b;
      },
      [](const baseline& b, std::uint32_t c) { return outcome_of(b.at(c)); });
  std::unique_ptr<crm_run> keep;
  const storm_result sc = storm<crmflow::engine>(
      storm_cases, storm_start,
      [&](std::uint32_t n, std::int64_t t0) {
        auto run = std::make_unique<crm_run>(w);
        for (std::uint32_t i = 0; i < n; ++i) {
          const case_profile p = profile(i);
          run->create(p, t0 + i);
          run->eng.post(i, w.event_of[k_classify_major], run->classify_major, t0 + i);
        }
        // The storm drives the engine directly; the crm_run keeps its data alive.
        auto e = std::make_unique<crmflow::engine>(std::move(run->eng));
        keep = std::move(run);
        return e;
      },
      [&](const crmflow::engine& e, std::uint32_t c) {
        return case_outcome{w.state_index[e.state(c)], static_cast<std::uint8_t>(e.field(c, w.f_level)),
                            static_cast<std::uint8_t>(e.field(c, w.f_reclassified)),
                            static_cast<std::uint8_t>(e.field(c, w.f_agreed)),
                            static_cast<std::int32_t>(e.field(c, w.f_escalations)),
                            static_cast<std::int32_t>(e.field(c, w.f_reopens))};
      });
  check(sc.fired == sb.fired, "storm: crmflow fired " + std::to_string(sc.fired) + " deadlines, baseline " + std::to_string(sb.fired));
  compare("storm", sc.outcomes, sb.outcomes);
  std::printf("(2) deadline storm: %u major cases nobody answers, advance_to() hour by hour for 11 days: %llu deadlines "
              "(report, escalation, follow-ups, 10-day reclassification)\n",
              storm_cases, static_cast<unsigned long long>(sc.fired));
  std::printf("    baseline  %10.0f deadlines/s  %7.1f ns/deadline\n", sb.fired / sb.seconds, sb.seconds * 1e9 / sb.fired);
  std::printf("    crmflow   %10.0f deadlines/s  %7.1f ns/deadline\n", sc.fired / sc.seconds, sc.seconds * 1e9 / sc.fired);
  std::printf("    ratio crmflow/baseline (time) = %.2f\n", sc.seconds / sb.seconds);

  if (crmflow_bench::check_failures()) {
    std::printf("checks: %d FAILED\n", crmflow_bench::check_failures());
    return 1;
  }
  std::printf("checks: ok (every case ends the same in both, deadlines fired and pending agree)\n");
  return 0;
}
