// Rule versions: `ruleset:` and `migrations:` in the loader, engine::publish (cases stay on the
// version they started on, new cases take the newest, migrations move cases exactly, a refused
// version changes nothing, an old version goes when its last case closes), and snapshots and
// durable recovery with two versions live.
#define BOOST_TEST_MODULE version
#include "test_support.hpp"

#include <unistd.h>

#include <crmflow/durable_engine.hpp>
#include <crmflow/snapshot.hpp>
#include <crmflow/store.hpp>

#include <filesystem>

namespace fs = std::filesystem;
using namespace crmflow_test;

namespace {

constexpr timestamp R = 1'772'409'600'000;  // 2026-03-02T00:00:00Z

const char* const v1 = R"(ruleset: {name: desk, version: 1}
flows:
  ticket:
    fields:
      unit: {type: string, default: east}
      score: {type: int, default: 5}
      level: {type: enum, values: [low, high], default: high}
    events:
      assign:
      plan:
      finish:
      nag:
    initial: new
    states:
      new:
        on:
          assign: {to: assigned}
      assigned:
        timers:
          - {name: remind, after: 2h, event: nag}
        on:
          plan: {to: planned}
          nag: {do: [{set: score, from: score + 1}]}
      planned:
        on:
          finish: {to: done}
      done:
        final: true
)";

// v2: `plan` leads to review instead of planned; new cases' unit defaults to west.
const char* const v2 = R"(ruleset: {name: desk, version: 2}
flows:
  ticket:
    fields:
      unit: {type: string, default: west}
      score: {type: int, default: 5}
      level: {type: enum, values: [low, high], default: high}
    events:
      assign:
      plan:
      finish:
      nag:
    initial: new
    states:
      new:
        on:
          assign: {to: assigned}
      assigned:
        timers:
          - {name: remind, after: 2h, event: nag}
        on:
          plan: {to: review}
          nag: {do: [{set: score, from: score + 10}]}
      review:
        on:
          finish: {to: done}
      done:
        final: true
)";

// v3 migrates the cases of v1 and v2: planned/review -> dispatched, unit -> dept, score
// dropped, level gains a value in front (mapped by name), priority is new.
const char* const v3 = R"(ruleset: {name: desk, version: 3}
migrations:
  - from: 1
    flow: ticket
    states: {planned: dispatched}
    fields: {unit: dept, score: null}
    set: {priority: urgent}
  - from: 2
    flow: ticket
    states: {review: dispatched}
    fields: {unit: dept, score: null}
flows:
  ticket:
    fields:
      dept: {type: string, default: none}
      level: {type: enum, values: [none, low, high], default: none}
      priority: {type: enum, values: [normal, urgent], default: normal}
    events:
      assign:
      plan:
      finish:
      nag:
    initial: new
    states:
      new:
        on:
          assign: {to: assigned}
      assigned:
        timers:
          - {name: remind, after: 2h, event: nag}
        on:
          plan: {to: dispatched}
          nag: {do: [{set: priority, to: urgent}]}
      dispatched:
        timers:
          - {name: visit, after: 1d, event: nag}
        on:
          finish: {to: done}
          nag: {do: [{set: priority, to: urgent}]}
      done:
        final: true
)";

std::vector<rules_source> src(const char* text, const char* file = "v.yaml") { return {{file, text}}; }

lines diags(const std::vector<diagnostic>& ds) {
  lines out;
  for (const diagnostic& d : ds) out.push_back(to_string(d));
  return out;
}

std::string text_of(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const diagnostic& d : ds) out += to_string(d) + "\n";
  return out;
}

lines versions_of(const engine& e) {
  lines out;
  for (const version_info& v : e.versions())
    out.push_back("v" + std::to_string(v.version) + " live=" + std::to_string(v.live_cases) + (v.newest ? " newest" : ""));
  return out;
}

// A case's version, state and every field as text.
std::string look(const engine& e, case_id c) {
  const auto& fl = e.rules_of(c).flow(e.case_flow(c));
  std::string out = "v" + std::to_string(e.case_version(c)) + " " + std::string(e.state_name(c));
  for (std::size_t f = 0; f < fl.fields.size(); ++f)
    out += " " + fl.fields[f].name + "=" + e.field_text(c, static_cast<field_id>(f));
  return out;
}

struct scratch {
  fs::path dir;
  scratch() {
    dir = fs::temp_directory_path() / ("crmflow-version-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::unique_ptr<store> open_store(const fs::path& p) {
  sqlite_store_options o;
  o.sync = sync_mode::normal;
  open_store_result r = open_sqlite_store(p, o);
  BOOST_TEST_REQUIRE(r.status.ok(), r.status.message());
  return std::move(r.store);
}

}  // namespace

// ---- loader ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(ruleset_names_the_version_and_defaults_to_default_1) {
  const auto r = load_ok(v1);
  BOOST_TEST(r->name() == "desk");
  BOOST_TEST(r->version() == 1u);
  BOOST_TEST(r->id().declared());
  BOOST_TEST(r->id().where.line == 1);
  BOOST_TEST(r->sources().size() == 1u);
  BOOST_TEST(r->sources()[0].text == v1);
  const auto plain = load_ok("flows:\n  f:\n    initial: a\n    states:\n      a: {final: true}\n");
  BOOST_TEST(plain->name() == "default");
  BOOST_TEST(plain->version() == 1u);
  BOOST_TEST(!plain->id().declared());
  const auto r3 = load_ok(v3);
  BOOST_TEST_REQUIRE(r3->migrations().size() == 2u);
  const migration_def& m = r3->migrations()[0];
  BOOST_TEST(m.from_version == 1u);
  BOOST_TEST(m.where.line == 3);
  BOOST_TEST(m.where.column == 5);
  BOOST_TEST_REQUIRE(m.states.size() == 1u);
  BOOST_TEST(m.states[0].from == "planned");
  BOOST_TEST(m.states[0].to == "dispatched");
  BOOST_TEST_REQUIRE(m.fields.size() == 2u);
  BOOST_TEST(m.fields[1].from == "score");
  BOOST_TEST(m.fields[1].to == "");
  BOOST_TEST_REQUIRE(m.values.size() == 1u);
  BOOST_TEST(m.values[0].value == 1);  // priority: urgent, an enum index
}

BOOST_AUTO_TEST_CASE(files_of_one_set_must_agree_on_the_ruleset) {
  const load_result r = load_rules_from_sources(
      {{"a.yaml", "ruleset: {name: desk, version: 2}\nflows:\n  f:\n    initial: a\n    states:\n      a: {final: true}\n"},
       {"b.yaml", "ruleset:\n  name: desk\n  version: 3\n"},
       {"c.yaml", "# no ruleset: belongs to the set\nflows:\n  g:\n    initial: b\n    states:\n      b: {final: true}\n"}});
  BOOST_TEST(!r.ok());
  BOOST_TEST(diags(r.diagnostics) ==
                 lines({"b.yaml:1:1: error: 'ruleset' says desk version 3, but a.yaml:1:1 says desk version 2 (every "
                        "file of a rule set names the same rule set and version)"}));
}

BOOST_AUTO_TEST_CASE(ruleset_and_migration_errors_name_file_line_column) {
  const load_result r = load_rules_from_string(R"(ruleset: {name: desk, version: zwei}
flows:
  f:
    initial: a
    states:
      a: {final: true}
)",
                                               "r.yaml");
  BOOST_TEST(diags(r.diagnostics) ==
             lines({"r.yaml:1:32: error: bad version 'zwei' in 'ruleset' (expected a whole number from 1 to 2147483647)"}));

  const load_result no_id = load_rules_from_string("migrations:\n  - {from: 1, flow: f}\n", "m.yaml");
  BOOST_TEST(diags(no_id.diagnostics) ==
                 lines({"m.yaml:2:3: error: 'migrations' needs 'ruleset:' with a name and a version at the top level "
                        "of a rules file (a migration moves cases of an older version onto this one)"}));

  const load_result bad = load_rules_from_string(R"(ruleset: {name: desk, version: 2}
migrations:
  - from: 2
    flow: ticket
    states: {planned: nowhere, open: closed}
    fields: {unit: depth, score: null}
    set: {level: medium, extra: 1}
  - from: 1
    flow: tiket
flows:
  ticket:
    fields:
      dept: {type: string}
      level: {type: enum, values: [low, high]}
    initial: open
    states:
      open:
        on: {done: {to: closed}}
      closed: {final: true}
    events:
      done:
)",
                                                 "bad.yaml");
  BOOST_TEST(diags(bad.diagnostics) ==
                 lines({
                     "bad.yaml:3:11: error: 'from: 2' must name a version older than this rule set's version 2",
                     "bad.yaml:5:23: error: unknown state 'nowhere' of flow 'ticket' in a migration (expected one of: open)",
                     "bad.yaml:5:38: error: state 'closed' is final; a migration moves running cases to a state that is not "
                     "final (close them with an event instead)",
                     "bad.yaml:6:20: error: unknown field 'depth' of flow 'ticket' in a migration (expected one of: dept, "
                     "level, or null to drop the field)",
                     "bad.yaml:7:18: error: bad value 'medium' for enum field 'level' (expected one of: low, high)",
                     "bad.yaml:7:26: error: unknown field 'extra' of flow 'ticket' in 'set' of a migration (expected one "
                     "of: dept, level)",
                     "bad.yaml:9:11: error: unknown flow 'tiket' in a migration (expected one of: ticket)",
                 }));
}

// ---- publishing -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(running_cases_stay_on_their_version_and_new_cases_take_the_newest) {
  world w(v1);
  const case_id a = w.create("A", R);
  BOOST_TEST(w.post(a, "assign", R + 1 * m).accepted());
  w.rec.take();
  w.eng.advance_to(R + 10 * m);

  const publish_result p = w.eng.publish(src(v2));
  BOOST_TEST_REQUIRE(p.accepted, text_of(p.diagnostics));
  BOOST_TEST(p.version == 2u);
  BOOST_TEST(p.migrated == 0u);
  BOOST_TEST(w.rec.take() == lines{});
  BOOST_TEST(versions_of(w.eng) == lines({"v1 live=1", "v2 live=0 newest"}));
  BOOST_TEST(w.eng.rules().version() == 2u);

  const case_id n = w.eng.create_case(0, "N", R + 20 * m).id;
  BOOST_TEST(look(w.eng, a) == "v1 assigned unit=east score=5 level=high");
  BOOST_TEST(look(w.eng, n) == "v2 new unit=west score=5 level=high");
  const engine& e = w.eng;
  auto post = [&](case_id c, std::string_view ev, timestamp at) {
    return w.eng.post(c, *e.rules_of(c).find_event(e.case_flow(c), ev), {}, at);
  };
  BOOST_TEST(post(n, "assign", R + 30 * m).accepted());
  // A's remind fires on v1 (score + 1), N's on v2 (score + 10).
  w.eng.advance_to(R + 3 * h);
  BOOST_TEST(post(a, "plan", R + 4 * h).accepted());
  BOOST_TEST(post(n, "plan", R + 4 * h).accepted());
  BOOST_TEST(w.rec.take() == lines({
                                 "created N new @" + std::to_string(R + 20 * m),
                                 "transition N new->assigned assign posted @" + std::to_string(R + 30 * m),
                                 "deadline A remind @" + std::to_string(R + 121 * m),
                                 "transition A assigned->assigned nag timer internal @" + std::to_string(R + 121 * m),
                                 "set A score=6 @" + std::to_string(R + 121 * m),
                                 "deadline N remind @" + std::to_string(R + 150 * m),
                                 "transition N assigned->assigned nag timer internal @" + std::to_string(R + 150 * m),
                                 "set N score=15 @" + std::to_string(R + 150 * m),
                                 "transition A assigned->planned plan posted @" + std::to_string(R + 4 * h),
                                 "transition N assigned->review plan posted @" + std::to_string(R + 4 * h),
                             }));

  // v1 goes when its last case closes; its closed case still answers queries.
  BOOST_TEST(post(a, "finish", R + 5 * h).accepted());
  BOOST_TEST(versions_of(w.eng) == lines({"v2 live=1 newest"}));
  BOOST_TEST(look(w.eng, a) == "v1 done unit=east score=6 level=high");
  BOOST_TEST(w.eng.is_final(a));
  // The newest stays even with no live case.
  BOOST_TEST(post(n, "finish", R + 6 * h).accepted());
  BOOST_TEST(versions_of(w.eng) == lines({"v2 live=0 newest"}));
}

BOOST_AUTO_TEST_CASE(a_migration_maps_state_fields_and_timers_exactly) {
  world w(v1);
  w.rec.origin = R;
  const data_record low = [&] {
    data_record d;
    d.set(w.fld("level"), 0);
    return d;
  }();
  const case_id a = w.create("A", R);
  const case_id b = w.create("B", R, &low);
  const case_id c = w.create("C", R);
  const case_id dd = w.create("D", R);
  BOOST_TEST(w.post(b, "assign", R).accepted());
  for (case_id x : {c, dd}) {
    BOOST_TEST(w.post(x, "assign", R).accepted());
    BOOST_TEST(w.post(x, "plan", R).accepted());
  }
  BOOST_TEST(w.post(dd, "finish", R + 2 * m).accepted());
  w.rec.take();
  w.eng.advance_to(R + 30 * m);

  const publish_result p = w.eng.publish(src(v3));
  BOOST_TEST_REQUIRE(p.accepted, text_of(p.diagnostics));
  BOOST_TEST(p.migrated == 3u);
  BOOST_TEST(w.rec.take() == lines({
                                 "migrated A v1->v3 new->new @R+30m",
                                 "migrated B v1->v3 assigned->assigned @R+30m",
                                 "migrated C v1->v3 planned->dispatched @R+30m",
                             }));
  BOOST_TEST(look(w.eng, a) == "v3 new dept=east level=high priority=urgent");
  BOOST_TEST(look(w.eng, b) == "v3 assigned dept=east level=low priority=urgent");
  BOOST_TEST(look(w.eng, c) == "v3 dispatched dept=east level=high priority=urgent");
  BOOST_TEST(look(w.eng, dd) == "v1 done unit=east score=5 level=high");  // closed: not migrated
  // B keeps its running reminder's due instant; C's visit starts at the migration.
  BOOST_TEST(deadlines_of(w.eng, b) == lines({"remind@" + std::to_string(R + 2 * h)}));
  BOOST_TEST(deadlines_of(w.eng, c) == lines({"visit@" + std::to_string(R + 30 * m + 1 * d)}));
  BOOST_TEST(history_of(w.eng, c) ==
                 lines({std::to_string(R) + " assign new->assigned posted",
                        std::to_string(R) + " plan assigned->dispatched posted"}));
  // v1 has no live case left: only closed D uses it now.
  BOOST_TEST(versions_of(w.eng) == lines({"v3 live=3 newest"}));

  // The migrated cases run v3's rules.
  BOOST_TEST(w.post(a, "assign", R + 1 * h).accepted());
  w.eng.advance_to(R + 2 * h);
  BOOST_TEST(w.rec.take() == lines({
                                 "transition A new->assigned assign posted @R+1h",
                                 "deadline B remind @R+2h",
                                 "transition B assigned->assigned nag timer internal @R+2h",
                                 "set B priority=urgent @R+2h",
                             }));
}

BOOST_AUTO_TEST_CASE(a_migrated_case_takes_the_new_versions_cells_on_the_quiet_path) {
  // No observer, no history, no trigger: post() reads the cell from the row the case keeps.
  // The migration moves b (state 1 of 2 events) to y (state 2 of 3 events): a row left over
  // from version 1 would point at another (state, event) cell of version 2: (x, extra) for go.
  const char* const q1 = R"(ruleset: {name: q, version: 1}
flows:
  t:
    fields:
      n: {type: int, default: 0}
    events: {go:, stop:}
    initial: a
    states:
      a: {on: {go: {to: b}}}
      b: {on: {go: {to: a}, stop: {to: z}}}
      z: {final: true}
)";
  const char* const q2 = R"(ruleset: {name: q, version: 2}
migrations:
  - {from: 1, flow: t, states: {b: y}}
flows:
  t:
    fields:
      n: {type: int, default: 0}
    events: {extra:, go:, stop:}
    initial: a
    states:
      a: {on: {go: {to: y}}}
      x: {on: {stop: {to: z}, go: {to: y}, extra: {to: a}}}
      y: {on: {go: {to: x, do: [{set: n, from: n + 7}]}, extra: {to: a}}}
      z: {final: true}
)";
  const load_result l1 = load_rules_from_string(q1, "q1.yaml");
  BOOST_TEST_REQUIRE(l1.ok(), text_of(l1.diagnostics));
  engine_options quiet;
  quiet.keep_history = false;
  engine eng(l1.rules, quiet);
  const case_id c = eng.create_case(0, "", R).id;
  const data_record none;
  BOOST_TEST(eng.post(c, *l1.rules->find_event(0, "go"), none, R).accepted());
  BOOST_TEST(eng.state_name(c) == "b");

  const publish_result p = eng.publish(src(q2));
  BOOST_TEST_REQUIRE(p.accepted, text_of(p.diagnostics));
  BOOST_TEST(p.migrated == 1u);
  BOOST_TEST(eng.state_name(c) == "y");
  const rule_set& r2 = eng.rules();
  const outcome o = eng.post(c, *r2.find_event(0, "go"), none, R + 1);
  BOOST_TEST_REQUIRE(o.accepted());
  BOOST_TEST(o.from == *r2.find_state(0, "y"));
  BOOST_TEST(o.to == *r2.find_state(0, "x"));
  BOOST_TEST(eng.state_name(c) == "x");
  BOOST_TEST(eng.field(c, *r2.find_field(0, "n")) == 7);
  // And on from there with the row the fast path wrote.
  BOOST_TEST(eng.post(c, *r2.find_event(0, "go"), none, R + 2).accepted());
  BOOST_TEST(eng.state_name(c) == "y");
  BOOST_TEST(eng.field(c, *r2.find_field(0, "n")) == 7);
  BOOST_TEST(eng.post(c, *r2.find_event(0, "extra"), none, R + 3).accepted());
  BOOST_TEST(eng.state_name(c) == "a");
}

BOOST_AUTO_TEST_CASE(a_refused_version_leaves_everything_untouched) {
  world w(v1);
  const case_id a = w.create("A", R);
  BOOST_TEST(w.post(a, "assign", R).accepted());
  const case_id c = w.create("C", R);
  BOOST_TEST(w.post(c, "assign", R).accepted());
  BOOST_TEST(w.post(c, "plan", R).accepted());
  w.eng.advance_to(R + 10 * m);
  w.rec.take();
  const std::string before = encode_engine(w.eng);

  auto refused = [&](const std::string& text, const char* file) {
    const publish_result p = w.eng.publish({{file, text}});
    BOOST_TEST(!p.accepted);
    BOOST_TEST(encode_engine(w.eng) == before);
    BOOST_TEST(versions_of(w.eng) == lines({"v1 live=2 newest"}));
    BOOST_TEST(w.rec.take() == lines{});
    return diags(p.diagnostics);
  };
  BOOST_TEST(refused("ruleset: {name: desk, version: 2}\nflows: [\n", "broken.yaml").size() == 1u);
  std::string other = v2;
  other.replace(other.find("desk"), 4, "shop");
  BOOST_TEST(refused(other, "other.yaml") ==
                 lines({"other.yaml:1:1: error: rule set 'shop' cannot replace the running rule set 'desk' (a new "
                        "version keeps the name in 'ruleset:')"}));
  std::string same = v2;
  same.replace(same.find("version: 2"), 10, "version: 1");
  BOOST_TEST(refused(same, "same.yaml") ==
                 lines({"same.yaml:1:1: error: version 1 of 'desk' is not newer than the newest loaded version 1 "
                        "(raise 'version' in 'ruleset:')"}));
  // Migrations that do not fit v1: a state v1 lacks, a field of another type, a state of v1
  // with no counterpart.
  std::string misfit = v3;
  misfit.replace(misfit.find("states: {planned: dispatched}"), 29, "states: {plannd: dispatched}");
  misfit.replace(misfit.find("dept: {type: string, default: none}"), 35, "dept: {type: int, default: 0}");
  BOOST_TEST(refused(misfit, "misfit.yaml") ==
                 lines({
                     "misfit.yaml:3:5: error: state 'planned' of flow 'ticket' in version 1 is not in version 3 (map it "
                     "to a state under 'states:')",
                     "misfit.yaml:5:14: error: state 'plannd' is not a state of flow 'ticket' in version 1",
                     "misfit.yaml:6:14: error: field 'unit' is string in version 1, but field 'dept' is int in version 3",
                     "misfit.yaml:8:5: warning: no running case is on version 2: this migration moves nothing",
                 }));
}

BOOST_AUTO_TEST_CASE(a_migration_from_a_version_not_loaded_is_a_warning) {
  world w(v1);
  BOOST_TEST(w.eng.publish(src(v2)).accepted);  // no case: v1 goes at once
  BOOST_TEST(versions_of(w.eng) == lines({"v2 live=0 newest"}));
  const publish_result p = w.eng.publish(src(v3, "v3.yaml"));
  BOOST_TEST(p.accepted);
  BOOST_TEST(diags(p.diagnostics) ==
                 lines({"v3.yaml:3:5: warning: no running case is on version 1: this migration moves nothing"}));
}

// ---- snapshots and recovery -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_snapshot_with_two_versions_live_restores_exactly) {
  world w(v1);
  const case_id a = w.create("A", R);
  BOOST_TEST(w.post(a, "assign", R).accepted());
  BOOST_TEST(w.eng.publish(src(v2)).accepted);
  const case_id n = w.create("N", R + 1 * m);
  BOOST_TEST(w.eng.post(n, 0, {}, R + 2 * m).accepted());  // assign
  w.eng.intern("只在运行中出现的文字");                   // a string no rule names
  const std::string bytes = encode_engine(w.eng);

  recorder rec;
  engine_options copy_options;
  copy_options.observer = &rec;
  engine copy(load_ok(v1), copy_options);
  const store_status s = decode_engine(bytes, copy);
  BOOST_TEST_REQUIRE(s.ok(), s.message());
  BOOST_TEST(encode_engine(copy) == bytes);
  BOOST_TEST(versions_of(copy) == lines({"v1 live=1", "v2 live=1 newest"}));
  BOOST_TEST(look(copy, a) == look(w.eng, a));
  BOOST_TEST(look(copy, n) == look(w.eng, n));
  // Both go on alike: A's reminder on v1, N's on v2.
  w.rec.take();
  w.eng.advance_to(R + 3 * h);
  copy.advance_to(R + 3 * h);
  BOOST_TEST(rec.take() == w.rec.take());
  BOOST_TEST(encode_engine(copy) == encode_engine(w.eng));

  // Rules supplied at restore that differ from the snapshot's copy of that version: refused.
  std::string changed = v1;
  changed.replace(changed.find("default: east"), 13, "default: north");
  engine other(load_ok(changed));
  const store_status o = decode_engine(bytes, other);
  BOOST_TEST((o.code() == store_code::invalid));
  BOOST_TEST(o.message() == "snapshot: version 1 of rule set 'desk' differs from the rules supplied with that version");
}

BOOST_AUTO_TEST_CASE(durable_recovery_publishes_again_from_the_journal_and_snapshots) {
  const scratch tmp;
  const auto rules1 = load_ok(v1);
  std::string expected;
  for (const bool snap : {false, true}) {
    const fs::path db = tmp.dir / (snap ? "snap.db" : "journal.db");
    {
      durable_options dopt;
      dopt.snapshot_every = 0;
      open_durable_result d = durable_engine::open(rules1, open_store(db), {}, dopt);
      BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
      durable_engine& e = *d.engine;
      const case_id a = e.create_case(0, "A", R).value.id;
      BOOST_TEST(e.post(a, 0, {}, R).value.accepted());
      // A refused version is not journaled.
      const std::uint64_t seq = e.last_seq();
      const auto bad = e.publish(src("ruleset: {name: desk, version: 1}\nflows: {}\n"));
      BOOST_TEST(bad.acknowledged());
      BOOST_TEST(!bad.value.accepted);
      BOOST_TEST(e.last_seq() == seq);
      const auto p = e.publish(src(v2));
      BOOST_TEST(p.acknowledged());
      BOOST_TEST(p.value.accepted);
      BOOST_TEST(e.last_seq() == seq + 1);
      const case_id n = e.create_case(0, "N", R + 1 * m).value.id;
      BOOST_TEST(e.post(n, 0, {}, R + 2 * m).value.accepted());
      if (snap) BOOST_TEST(e.snapshot().ok());
      const auto p3 = e.publish(src(v3));
      BOOST_TEST(p3.value.accepted);
      BOOST_TEST(p3.value.migrated == 2u);
      BOOST_TEST(e.advance_to(R + 3 * h).acknowledged());
      expected = encode_engine(e.state());
    }
    open_durable_result d = durable_engine::open(rules1, open_store(db));
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    BOOST_TEST(encode_engine(d.engine->state()) == expected);
    BOOST_TEST(versions_of(d.engine->state()) == lines({"v3 live=2 newest"}));
  }
  // Opened with a later version than the journal started with, the journal's publish of v2
  // no longer fits: refused, not silently diverging.
  open_durable_result wrong = durable_engine::open(load_ok(v2), open_store(tmp.dir / "journal.db"));
  BOOST_TEST(!wrong.status.ok());
  BOOST_TEST((wrong.status.code() == store_code::invalid));
  BOOST_TEST(wrong.status.message().find("publishes version 2 of the rules, which the engine refuses") !=
                 std::string::npos,
             wrong.status.message());
}

// ---- triggers -------------------------------------------------------------------------------

namespace {

// Two assigns of the same unit within a day raise `busy_unit`; v2 keeps the trigger.
std::string with_trigger(const char* rules) {
  return std::string(rules) + R"(triggers:
  busy:
    on: {flow: ticket, event: assign}
    key: unit
    count: 2
    window: 1d
    alarm: {name: busy_unit, to: lead, message: "{unit}"}
)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_version_counts_its_own_trigger_windows_and_snapshots_keep_both) {
  const std::string t1 = with_trigger(v1), t2 = with_trigger(v2);
  world w(load_ok(t1));
  const case_id a = w.create("A", R);
  BOOST_TEST(w.post(a, "assign", R).accepted());
  BOOST_TEST(w.eng.publish({{"t2.yaml", t2}}).accepted);
  // B and C (v2, unit east like A's): only v2's window sees them; A's occurrence stays in
  // v1's, so B raises nothing and C is the second.
  data_record east;
  east.set(*w.eng.rules().find_field(0, "unit"), w.eng.intern("east"));
  w.rec.take();
  const case_id b = w.eng.create_case(0, "B", R + 1 * m, &east).id;
  BOOST_TEST(w.eng.post(b, 0, {}, R + 1 * m).accepted());
  BOOST_TEST(w.rec.take() == lines({"created B new @" + std::to_string(R + 1 * m),
                                    "transition B new->assigned assign posted @" + std::to_string(R + 1 * m)}));
  const case_id c = w.eng.create_case(0, "C", R + 2 * m, &east).id;
  BOOST_TEST(w.eng.post(c, 0, {}, R + 2 * m).accepted());
  BOOST_TEST(w.rec.take() == lines({"created C new @" + std::to_string(R + 2 * m),
                                    "transition C new->assigned assign posted @" + std::to_string(R + 2 * m),
                                    "alarm C busy_unit lead: east @" + std::to_string(R + 2 * m)}));
  BOOST_TEST(w.eng.trigger_windows(0).live_keys() == 1u);  // v1: A's occurrence
  BOOST_TEST(w.eng.trigger_windows(1).live_keys() == 1u);  // v2: east, B and C

  const std::string bytes = encode_engine(w.eng);
  engine copy(load_ok(t1));
  const store_status s = decode_engine(bytes, copy);
  BOOST_TEST_REQUIRE(s.ok(), s.message());
  BOOST_TEST(encode_engine(copy) == bytes);
  BOOST_TEST(copy.trigger_windows(0).live_keys() == 1u);
  BOOST_TEST(copy.trigger_windows(1).live_keys() == 1u);
}

// ---- SLA clocks across versions --------------------------------------------------------------

namespace {

// The calendar and clock of one version; `calendars` comes first in the file, so v2 (an all-day
// calendar first) numbers office differently from v1.
std::string clock_rules(int version, const std::string& calendars, const std::string& limit,
                        const std::string& migrations = {}, const std::string& more_clocks = {}) {
  return "ruleset: {name: desk, version: " + std::to_string(version) + "}\n" + migrations + "calendars:\n" +
         calendars + R"(flows:
  job:
    calendar: office
    events:
      ask:
      reply:
      finish:
    initial: open
    states:
      open:
        on:
          ask: {to: waiting}
          finish: {to: done}
      waiting:
        on:
          reply: {to: open}
      done: {final: true}
    clocks:
      handling:
        limit: )" + limit + R"(
        start: {enter: open}
        pause: {enter: waiting}
        resume: {exit: waiting}
        stop: {enter: done}
        ladder:
          - at: 100%
            do:
              - alarm: late
                to: area_manager
                message: "{case} 超时"
)" + more_clocks;
}

const std::string office_9_to_18 = R"(  office:
    utc_offset: "+08:00"
    week:
      mon: &day ["09:00-18:00"]
      tue: *day
      wed: *day
      thu: *day
      fri: *day
)";

const std::string allday_then_office_8_to_20 = R"(  allday:
    utc_offset: "+08:00"
    week:
      mon: &all ["00:00-24:00"]
      tue: *all
      wed: *all
      thu: *all
      fri: *all
      sat: *all
      sun: *all
  office:
    utc_offset: "+08:00"
    week:
      mon: &day ["08:00-20:00"]
      tue: *day
      wed: *day
      thu: *day
      fri: *day
)";

lines clock_lines(recorder& rec) {
  lines out;
  for (const std::string& l : rec.take())
    if (l.rfind("clock ", 0) == 0 || l.rfind("alarm ", 0) == 0) out.push_back(l);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(clocks_count_on_their_own_versions_calendar_and_migrate_by_name) {
  // R is Monday 08:00 in China.
  world w(clock_rules(1, office_9_to_18, "8 business hours"));
  w.rec.origin = R;
  const clock_id k = *w.rules->find_clock(0, "handling");
  const case_id a = w.create("A", R + 1 * h);                      // Mon 09:00
  BOOST_TEST(w.post(a, "ask", R + 3 * h).accepted());              // Mon 11:00: 2h counted
  const publish_result p2 = w.eng.publish(src(clock_rules(2, allday_then_office_8_to_20, "8 business hours").c_str()));
  BOOST_TEST_REQUIRE(p2.accepted, text_of(p2.diagnostics));
  BOOST_TEST(w.post(a, "reply", R + 5 * h).accepted());            // Mon 13:00
  w.eng.advance_to(R + 12 * h);                                     // Mon 20:00
  // A stays on version 1 and counts on version 1's office (09:00-18:00): 2h + 5h.
  clock_status st = w.eng.read_clock(a, k);
  BOOST_TEST(w.eng.case_version(a) == 1u);
  BOOST_TEST(st.elapsed == 7 * h);
  BOOST_TEST(st.paused == 2 * h);
  BOOST_TEST(st.next_due == std::optional<timestamp>(R + 26 * h));  // Tue 10:00
  // B starts on version 2, whose office runs 08:00-20:00: 8 hours end Tue 16:00.
  const case_id b = w.create("B", R + 12 * h);
  BOOST_TEST(w.eng.case_version(b) == 2u);
  BOOST_TEST(w.eng.read_clock(b, k).next_due == std::optional<timestamp>(R + 32 * h));
  w.rec.take();

  // Version 3 migrates version 1's cases: the clock of the same name carries its phase and
  // counted time; its limit is now 4 business hours, already passed, so the breach comes at
  // the migration. The new clock `total` stays idle.
  const std::string migrations = R"(migrations:
  - from: 1
    flow: job
)";
  const std::string total = R"(      total:
        limit: 2d
        start: {event: reply}
)";
  w.eng.advance_to(R + 25 * h);                                     // Tue 09:00
  const publish_result p3 =
      w.eng.publish(src(clock_rules(3, office_9_to_18, "4 business hours", migrations, total).c_str()));
  BOOST_TEST_REQUIRE(p3.accepted, text_of(p3.diagnostics));
  BOOST_TEST(p3.migrated == 1u);
  BOOST_TEST(w.eng.case_version(a) == 3u);
  BOOST_TEST(clock_lines(w.rec) == (lines{
                                        "clock A handling breach level=1 elapsed=7h paused=2h limit=4h @R+1d1h",
                                        "alarm A late area_manager: A 超时 @R+1d1h",
                                    }));
  st = w.eng.read_clock(a, k);
  BOOST_TEST((st.phase == clock_phase::running));
  BOOST_TEST(st.level == 1);
  BOOST_TEST(st.elapsed == 7 * h);
  BOOST_TEST(st.paused == 2 * h);
  BOOST_TEST(!st.next_due.has_value());
  BOOST_TEST((w.eng.read_clock(a, *w.eng.rules().find_clock(0, "total")).phase == clock_phase::idle));
  // B stays on version 2 with its own calendar and deadline.
  BOOST_TEST(w.eng.read_clock(b, k).next_due == std::optional<timestamp>(R + 32 * h));
  w.eng.advance_to(R + 32 * h);
  BOOST_TEST(clock_lines(w.rec) == (lines{
                                        "clock B handling breach level=1 elapsed=8h paused=0s limit=8h @R+1d8h",
                                        "alarm B late area_manager: B 超时 @R+1d8h",
                                    }));
  // A snapshot with clocks on two versions restores to the same bytes.
  const std::string bytes = encode_engine(w.eng);
  engine copy(load_ok(clock_rules(1, office_9_to_18, "8 business hours")));
  const store_status s = decode_engine(bytes, copy);
  BOOST_TEST_REQUIRE(s.ok(), s.message());
  BOOST_TEST(encode_engine(copy) == bytes);
}
