// The quiet fast path of engine::post (no observer, no history, no triggers) and the loader's
// compact dispatch table it reads (detail::dispatch_cell, src/loader/optimize.cpp): which
// cells it takes itself and which it leaves to the general path, exact outcomes on the fast
// path, and the same random event stream (guards, chains, internal group transitions, timers,
// refusals of every kind, bad data) through a quiet engine and an observed one with history,
// which never takes the fast path, compared after every event.
#define BOOST_TEST_MODULE dispatch_table
#include "test_support.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace crmflow_test;

namespace {

// Every fast form of guards and `set` values, a guarded chain that can end in guard_false,
// internal group transitions, and what the fast path must leave alone: two actions, a guard
// the interpreter runs, a state with a timer, a final target.
constexpr std::string_view fp_rules = R"(
flows:
  fp:
    fields:
      n: {type: int, default: 0}
      m: {type: int, default: 5}
      color: {type: enum, values: [red, green, blue], default: red}
      who: {type: string}
      flag: {type: bool, default: false}
      at: {type: timestamp}
      k: {type: int, default: 0}
    events:
      go:
      tick:
      pick:
        data:
          ok: bool
          c: {type: enum, values: [red, green, blue], default: green}
          name: {type: string, default: "无名"}
          k: {type: int, default: 3}
      back:
      stop:
      flip:
    initial: a
    states:
      a:
        on:
          go: {to: b, do: [{set: n, from: n + 1}]}
          pick:
            - if: event.ok
              to: b
              do: [{set: color, from: event.c}]
            - if: n > 2
              to: b
              do: [{set: who, from: event.name}]
            - if: event.k == 7
              do: [{set: k, from: event.k}]
          back: {to: a, do: [{set: at, from: now}]}
          flip: {do: [{set: flag, from: not flag}]}
      b:
        on:
          go: {to: c, do: [{set: n, from: n - 1}, {set: m, from: m + 1}]}
          pick:
            - if: event.ok and n > 0
              to: a
              do: [{set: flag, from: event.ok}]
            - if: not event.ok
              to: a
              do: [{set: m, from: 10}]
            - to: c
          back: {to: a}
          flip: {do: [{set: k, from: n}]}
      c:
        timers:
          - name: t
            after: 1h
            event: back
        on:
          back: {to: a, do: [{set: n, from: n + 1}]}
          stop: {to: z}
          go: {to: c}
          flip:
            if: color == blue
            to: b
      z:
        final: true
    groups:
      g:
        states: [a, b]
        on:
          tick:
            do: [{set: m, from: m + 2}]
          stop:
            if: n >= 3
            to: z
)";

engine_options quiet_options() {
  engine_options o;
  o.keep_history = false;
  return o;
}

struct fp_ids {
  const rule_set& rules;
  flow_id f;
  explicit fp_ids(const rule_set& r) : rules(r), f(*r.find_flow("fp")) {}
  const detail::flow_program& program() const { return rules.flow(f); }
  event_id ev(std::string_view n) const { return *rules.find_event(f, n); }
  state_id st(std::string_view n) const { return *rules.find_state(f, n); }
  field_id fd(std::string_view n) const { return *rules.find_field(f, n); }
  slot_id slot(std::string_view n) const { return *rules.find_slot(f, ev("pick"), n); }
  const detail::dispatch_cell& cell(std::string_view s, std::string_view e) const {
    return program().dispatch_cells[std::size_t{st(s)} * program().event_count + ev(e)];
  }
  // The transitions of (s, e) as the general path tries them.
  std::vector<std::uint32_t> candidates(std::string_view s, std::string_view e) const {
    const detail::flow_program& p = program();
    const std::size_t i = std::size_t{st(s)} * p.event_count + ev(e);
    return {p.dispatch_list.begin() + p.dispatch_index[i], p.dispatch_list.begin() + p.dispatch_index[i + 1]};
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_loader_fills_one_cell_per_state_and_event_and_chains_guarded_candidates) {
  const auto rules = load_ok(fp_rules);
  const fp_ids x(*rules);
  const detail::flow_program& p = x.program();
  using detail::cell_kind;
  using detail::fast_op;
  BOOST_TEST(p.event_count == p.events.size());
  BOOST_TEST(p.dispatch_cells.size() >= p.states.size() * p.events.size());

  // `n + 1`, unguarded: the add cell.
  const detail::dispatch_cell& go = x.cell("a", "go");
  BOOST_TEST((go.kind == cell_kind::add));
  BOOST_TEST(go.to == x.st("b"));
  BOOST_TEST(go.transition == x.candidates("a", "go").at(0));
  BOOST_TEST(go.action_field == x.fd("n"));
  BOOST_TEST(go.action_a == x.fd("n"));
  BOOST_TEST(go.action_imm == 1);
  BOOST_TEST(go.event_data == 0);

  // Three guarded candidates: a chain of three cells, ending with none.
  const detail::dispatch_cell& pick = x.cell("a", "pick");
  BOOST_TEST((pick.kind == cell_kind::fast));
  BOOST_TEST(pick.event_data == 1);
  BOOST_TEST((pick.guard == fast_op::data));
  BOOST_TEST(pick.guard_a == x.slot("ok"));
  BOOST_TEST((pick.action == fast_op::data));
  BOOST_TEST(pick.action_field == x.fd("color"));
  BOOST_TEST_REQUIRE(pick.next != no_id32);
  const detail::dispatch_cell& pick2 = p.dispatch_cells[pick.next];
  BOOST_TEST((pick2.guard == fast_op::field_gt));
  BOOST_TEST(pick2.guard_a == x.fd("n"));
  BOOST_TEST(pick2.guard_imm == 2);
  BOOST_TEST(pick2.to == x.st("b"));
  BOOST_TEST((pick2.action == fast_op::data));
  BOOST_TEST(pick2.action_field == x.fd("who"));
  BOOST_TEST(pick2.transition == x.candidates("a", "pick").at(1));
  BOOST_TEST_REQUIRE(pick2.next != no_id32);
  const detail::dispatch_cell& pick3 = p.dispatch_cells[pick2.next];
  BOOST_TEST((pick3.guard == fast_op::data_eq));
  BOOST_TEST(pick3.guard_imm == 7);
  BOOST_TEST(pick3.to == x.st("a"));  // internal: stays
  BOOST_TEST(pick3.next == no_id32);

  // The group's internal `tick` is an add cell in each of its states, staying there.
  BOOST_TEST((x.cell("a", "tick").kind == cell_kind::add));
  BOOST_TEST(x.cell("a", "tick").to == x.st("a"));
  BOOST_TEST((x.cell("b", "tick").kind == cell_kind::add));
  BOOST_TEST(x.cell("b", "tick").to == x.st("b"));
  BOOST_TEST(x.cell("b", "tick").action_imm == 2);

  // Other fast forms: `now`, `not flag`, no action, a field copy.
  BOOST_TEST((x.cell("a", "back").kind == cell_kind::fast));
  BOOST_TEST((x.cell("a", "back").action == fast_op::now));
  BOOST_TEST((x.cell("a", "flip").action == fast_op::field_not));
  BOOST_TEST((x.cell("b", "back").kind == cell_kind::fast));
  BOOST_TEST((x.cell("b", "back").action == fast_op::none));
  BOOST_TEST((x.cell("b", "flip").action == fast_op::field));

  // Left to the general path: two actions; a guard the interpreter runs (`event.ok and n >
  // 0`); entering or leaving a state with a timer; entering a final state; no candidate.
  BOOST_TEST((x.cell("b", "go").kind == cell_kind::general));
  BOOST_TEST((x.cell("b", "pick").kind == cell_kind::general));
  BOOST_TEST((x.cell("c", "back").kind == cell_kind::general));
  BOOST_TEST((x.cell("c", "go").kind == cell_kind::general));
  BOOST_TEST((x.cell("a", "stop").kind == cell_kind::general));
  BOOST_TEST((x.cell("c", "tick").kind == cell_kind::general));
  BOOST_TEST(x.candidates("c", "tick").empty());
  BOOST_TEST((x.cell("z", "go").kind == cell_kind::general));
}

BOOST_AUTO_TEST_CASE(the_fast_path_gives_exact_outcomes_fields_and_refusals) {
  const auto rules = load_ok(fp_rules);
  const fp_ids x(*rules);
  engine eng(rules, quiet_options());
  const case_id c = eng.create_case(x.f, "F-1", 1000).id;
  const data_record none;
  auto pick = [&](std::initializer_list<std::pair<std::string_view, raw_value>> items) {
    data_record d;
    for (const auto& [name, v] : items) d.set(x.slot(name), v);
    return d;
  };

  // tick: internal group transition, m + 2, state unchanged.
  outcome o = eng.post(c, x.ev("tick"), none, 2000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.from == x.st("a"));
  BOOST_TEST(o.to == x.st("a"));
  BOOST_TEST(o.transition == x.candidates("a", "tick").at(0));
  BOOST_TEST(eng.field(c, x.fd("m")) == 7);
  BOOST_TEST(eng.now() == 2000);

  // pick with every guard false: guard_false, nothing changes (k stays 0, who unset).
  o = eng.post(c, x.ev("pick"), pick({{"ok", 0}, {"k", 6}}), 3000);
  BOOST_TEST(o.status == status::guard_false);
  BOOST_TEST(o.from == x.st("a"));
  BOOST_TEST(o.to == x.st("a"));
  BOOST_TEST(o.transition == no_id32);
  BOOST_TEST(eng.field(c, x.fd("k")) == 0);
  BOOST_TEST(eng.state(c) == x.st("a"));

  // The third candidate: internal, k = event.k.
  o = eng.post(c, x.ev("pick"), pick({{"ok", 0}, {"k", 7}}), 3000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.transition == x.candidates("a", "pick").at(2));
  BOOST_TEST(o.to == x.st("a"));
  BOOST_TEST(eng.field(c, x.fd("k")) == 7);

  // Bad data on the fast path changes nothing: missing `ok`, enum out of range, an unknown
  // string id, an undeclared slot, data on an event that has none.
  const std::string before = std::to_string(eng.state(c)) + "/" + std::to_string(eng.field(c, x.fd("k")));
  BOOST_TEST(eng.post(c, x.ev("pick"), pick({{"c", 1}}), 3000).status == status::bad_data);
  BOOST_TEST(eng.post(c, x.ev("pick"), pick({{"ok", 1}, {"c", 3}}), 3000).status == status::bad_data);
  BOOST_TEST(eng.post(c, x.ev("pick"), pick({{"ok", 1}, {"name", 987654}}), 3000).status == status::bad_data);
  BOOST_TEST(eng.post(c, x.ev("pick"), pick({{"ok", 2}}), 3000).status == status::bad_data);
  data_record extra = pick({{"ok", 1}});
  extra.set(4, 0);
  BOOST_TEST(eng.post(c, x.ev("pick"), extra, 3000).status == status::bad_data);
  data_record stray;
  stray.set(0, 1);
  BOOST_TEST(eng.post(c, x.ev("go"), stray, 3000).status == status::bad_data);
  BOOST_TEST(eng.post(c, 99, none, 3000).status == status::unknown_event);
  BOOST_TEST(eng.post(7, x.ev("go"), none, 3000).status == status::unknown_case);
  BOOST_TEST(eng.post(c, x.ev("go"), none, 2999).status == status::time_backwards);
  BOOST_TEST(std::to_string(eng.state(c)) + "/" + std::to_string(eng.field(c, x.fd("k"))) == before);
  BOOST_TEST(eng.field(c, x.fd("n")) == 0);
  BOOST_TEST(eng.now() == 3000);

  // The first candidate, with the enum's default (green) and then a given value.
  o = eng.post(c, x.ev("pick"), pick({{"ok", 1}}), 4000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.transition == x.candidates("a", "pick").at(0));
  BOOST_TEST(o.to == x.st("b"));
  BOOST_TEST(eng.field_text(c, x.fd("color")) == "green");
  BOOST_TEST(eng.post(c, x.ev("back"), none, 5000).accepted());  // b -> a, no action
  BOOST_TEST(eng.state(c) == x.st("a"));
  BOOST_TEST(eng.post(c, x.ev("pick"), pick({{"ok", 1}, {"c", 2}}), 5000).accepted());
  BOOST_TEST(eng.field_text(c, x.fd("color")) == "blue");

  // Fast forms of values: now, not flag, a field copy.
  BOOST_TEST(eng.post(c, x.ev("back"), none, 6000).accepted());  // b -> a
  BOOST_TEST(eng.post(c, x.ev("back"), none, 6500).accepted());  // a -> a, at = now
  BOOST_TEST(eng.field(c, x.fd("at")) == 6500);
  BOOST_TEST(eng.post(c, x.ev("flip"), none, 6500).accepted());
  BOOST_TEST(eng.field(c, x.fd("flag")) == 1);
  BOOST_TEST(eng.post(c, x.ev("flip"), none, 6500).accepted());
  BOOST_TEST(eng.field(c, x.fd("flag")) == 0);
  BOOST_TEST(eng.post(c, x.ev("go"), none, 7000).accepted());  // a -> b, n = 1
  BOOST_TEST(eng.post(c, x.ev("flip"), none, 7000).accepted());  // k = n
  BOOST_TEST(eng.field(c, x.fd("k")) == 1);

  // A general cell on a quiet engine: b --go--> c runs both actions and starts c's timer.
  o = eng.post(c, x.ev("go"), none, 8000);
  BOOST_TEST(o.accepted());
  BOOST_TEST(o.to == x.st("c"));
  BOOST_TEST(eng.field(c, x.fd("n")) == 0);
  BOOST_TEST(eng.field(c, x.fd("m")) == 8);
  BOOST_TEST(eng.deadlines(c).size() == 1u);
  BOOST_TEST(eng.deadlines(c).at(0).due == 8000 + h);
  // No candidate in c for tick: no_transition. Then the timer fires before a later event.
  BOOST_TEST(eng.post(c, x.ev("tick"), none, 9000).status == status::no_transition);
  o = eng.post(c, x.ev("tick"), none, 8000 + 2 * h);
  BOOST_TEST(o.accepted());  // the timer's `back` took it to a (n + 1) first
  BOOST_TEST(o.from == x.st("a"));
  BOOST_TEST(eng.field(c, x.fd("n")) == 1);
  BOOST_TEST(eng.field(c, x.fd("m")) == 10);
  BOOST_TEST(eng.deadlines(c).empty());
}

namespace {

// Everything a test can see of one case.
std::string case_text(const engine& e, case_id c) {
  std::string out = std::to_string(e.state(c));
  const std::size_t nf = e.rules_of(c).flow(e.case_flow(c)).fields.size();
  for (std::size_t f = 0; f < nf; ++f) out += " " + std::to_string(e.field(c, static_cast<field_id>(f)));
  for (const pending_deadline& d : e.deadlines(c)) out += " t" + std::to_string(d.timer) + "@" + std::to_string(d.due);
  return out;
}

std::string outcome_text(const outcome& o) {
  return std::string(to_string(o.status)) + " " + std::to_string(o.from) + "->" + std::to_string(o.to) + " #" +
         std::to_string(o.transition);
}

}  // namespace

BOOST_AUTO_TEST_CASE(quiet_and_observed_engines_agree_on_a_random_stream) {
  const auto rules = load_ok(fp_rules);
  const fp_ids x(*rules);
  recorder rec;
  engine_options observed;
  observed.observer = &rec;
  observed.keep_history = true;
  engine quiet(rules, quiet_options());
  engine general(rules, observed);
  // Four live cases; one that reaches z is replaced by a new one.
  std::vector<case_id> live;
  for (int i = 0; i < 4; ++i) {
    live.push_back(quiet.create_case(x.f, "", 0).id);
    BOOST_TEST_REQUIRE(general.create_case(x.f, "", 0).id == live.back());
  }
  const raw_value name_q = quiet.intern("张三"), name_g = general.intern("张三");
  BOOST_TEST_REQUIRE(name_q == name_g);

  std::uint64_t seed = 0x9E3779B97F4A7C15u;
  auto next = [&](std::uint32_t n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return static_cast<std::uint32_t>(seed % n);
  };
  const std::vector<event_id> events = {x.ev("go"), x.ev("tick"), x.ev("pick"), x.ev("back"), x.ev("stop"),
                                        x.ev("flip")};
  timestamp at = 0;
  std::size_t accepted = 0, fast_kinds = 0;
  std::vector<std::size_t> by_status(16, 0);
  for (int step = 0; step < 20000; ++step) {
    // Mostly small steps; now and then past c's one-hour timer, or backwards.
    const std::uint32_t dt = next(100);
    const duration step_by = dt < 3 ? duration{2 * h} : dt < 6 ? duration{-1} : duration{dt};
    const timestamp t = at + step_by;
    if (t >= at) at = t;
    const std::size_t pick_case = next(static_cast<std::uint32_t>(live.size()) + 1);
    const case_id c = pick_case == live.size() ? 1'000'000 + next(3) : live[pick_case];
    event_id e = next(50) == 0 ? static_cast<event_id>(events.size() + next(3)) : events[next(events.size())];
    data_record d;
    if (e == x.ev("pick")) {
      if (next(10) != 0) d.set(x.slot("ok"), next(12) == 0 ? 2 : next(2));
      if (next(2) == 0) d.set(x.slot("c"), next(14) == 0 ? 3 : next(3));
      if (next(3) == 0) d.set(x.slot("name"), next(10) == 0 ? 987654 : name_q);
      if (next(2) == 0) d.set(x.slot("k"), next(2) == 0 ? 7 : static_cast<raw_value>(next(9)) - 4);
      if (next(40) == 0) d.set(4, 1);
    } else if (next(40) == 0) {
      d.set(static_cast<std::uint16_t>(next(3)), 1);
    }
    if (pick_case < live.size()) {
      const detail::flow_program& p = x.program();
      if (e < p.event_count &&
          p.dispatch_cells[std::size_t{quiet.state(c)} * p.event_count + e].kind != detail::cell_kind::general)
        ++fast_kinds;
    }
    const outcome oq = quiet.post(c, e, d, t);
    const outcome og = general.post(c, e, d, t);
    BOOST_TEST_REQUIRE(outcome_text(oq) == outcome_text(og), "step " << step);
    ++by_status[static_cast<std::size_t>(oq.status)];
    accepted += oq.accepted();
    BOOST_TEST_REQUIRE(quiet.now() == general.now(), "step " << step);
    for (const case_id k : live)
      BOOST_TEST_REQUIRE(case_text(quiet, k) == case_text(general, k), "step " << step << " case " << k);
    // Closed cases are replaced, so the stream keeps going through every state.
    if (pick_case < live.size() && quiet.is_final(c)) {
      live[pick_case] = quiet.create_case(x.f, "", at).id;
      BOOST_TEST_REQUIRE(general.create_case(x.f, "", at).id == live[pick_case]);
    }
  }
  BOOST_TEST(quiet.case_count() == general.case_count());
  BOOST_TEST(quiet.case_count() > 10u);  // cases did reach z
  for (case_id k = 0; k < quiet.case_count(); ++k) BOOST_TEST(case_text(quiet, k) == case_text(general, k));
  // The stream really went through both paths and every refusal.
  BOOST_TEST(accepted > 5000u);
  BOOST_TEST(fast_kinds > 5000u);
  for (status s : {status::accepted, status::unknown_case, status::unknown_event, status::no_transition,
                   status::guard_false, status::bad_data, status::time_backwards})
    BOOST_TEST(by_status[static_cast<std::size_t>(s)] > 10u, to_string(s));
}
