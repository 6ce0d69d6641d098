// Quickstart: load rules from a string, create a case, post events, read its state.
//
// Build: part of the crmflow build (examples/ is on by default at top level); run
// ./examples/quickstart from the build directory.
#include <crmflow/crmflow.hpp>

#include <iostream>
#include <string_view>

namespace {

// Rules are normally a file an analyst owns (rules/*.yaml, crmflow::load_rules). A string is
// handy for a first try and for tests.
constexpr std::string_view rules_text = R"(
flows:
  repair:
    label: 报修
    fields:
      unit: {type: string}
    events:
      assign:
        data:
          unit: string
      finish:
    initial: received
    states:
      received:
        label: 接待
        on:
          assign:
            to: assigned
            do:
              - set: unit
                from: event.unit
      assigned:
        label: 已派工
        on:
          finish:
            to: done
      done:
        label: 完成
        final: true
)";

}  // namespace

int main() {
  // 1. Load. Loading never throws for bad rules: it returns every diagnostic at once.
  crmflow::load_result loaded = crmflow::load_rules_from_string(rules_text, "quickstart.yaml");
  if (!loaded.ok()) {
    for (const crmflow::diagnostic& d : loaded.diagnostics) std::cerr << d << '\n';
    return 1;
  }

  // 2. Look names up once, when wiring the host up; the event path then uses integer ids.
  const crmflow::rule_set& rules = *loaded.rules;
  const crmflow::flow_id repair = *rules.find_flow("repair");
  const crmflow::event_id assign = *rules.find_event(repair, "assign");
  const crmflow::event_id finish = *rules.find_event(repair, "finish");
  const crmflow::slot_id unit_slot = *rules.find_slot(repair, assign, "unit");
  const crmflow::field_id unit_field = *rules.find_field(repair, "unit");

  // 3. An engine holds cases. It is silent: no observer, no log (see deadlines.cpp and
  //    audit_log.cpp for listening to it).
  crmflow::engine engine(loaded.rules);

  // Times are milliseconds since the epoch (UTC); here 2026-03-02T09:15:00+08:00.
  const crmflow::timestamp t0 = *crmflow::parse_timestamp("2026-03-02T09:15:00+08:00");

  const crmflow::create_result created = engine.create_case(repair, "R-0001", t0);
  if (!created.accepted()) return 1;
  const crmflow::case_id id = created.id;
  std::cout << "R-0001 is " << engine.state_name(id) << '\n';

  // 4. Post events. Data goes in a data_record by slot; text is interned first.
  crmflow::data_record data;
  data.set(unit_slot, engine.intern("工程维修"));
  crmflow::outcome o = engine.post(id, assign, data, t0 + 5 * crmflow::minutes_ms);
  std::cout << "assign: " << crmflow::to_string(o.status) << ", now " << engine.state_name(id)
            << ", unit " << engine.field_text(id, unit_field) << '\n';

  // A refused event is an outcome, not an exception; it changes nothing on the case.
  data.clear();
  o = engine.post(id, assign, data, t0 + 6 * crmflow::minutes_ms);  // `unit` is missing
  std::cout << "assign again: " << crmflow::to_string(o.status) << '\n';

  o = engine.post(id, finish, {}, t0 + 2 * crmflow::hours_ms);
  std::cout << "finish: " << crmflow::to_string(o.status) << ", now " << engine.state_name(id)
            << (engine.is_final(id) ? " (final)" : "") << '\n';
  return 0;
}
