// A host program that vendors crmflow with add_subdirectory(). Checks that a guarded
// transition is refused while its guard is false and taken once the data makes it true.
#include <crmflow/crmflow.hpp>

#include <iostream>
#include <string_view>

namespace {

constexpr std::string_view rules = R"(
flows:
  repair:
    label: 报修
    fields:
      urgent: {type: bool, default: false}
    events:
      dispatch:
        data:
          urgent: {type: bool, default: false}
      finish:
    initial: received
    states:
      received:
        on:
          dispatch:
            if: event.urgent
            to: dispatched
      dispatched:
        on:
          finish:
            to: done
      done:
        final: true
)";

int fail(std::string_view what) {
  std::cerr << "subdir_consumer: " << what << '\n';
  return 1;
}

}  // namespace

int main() {
  const crmflow::load_result loaded = crmflow::load_rules_from_string(rules, "repair.yaml");
  for (const crmflow::diagnostic& d : loaded.diagnostics) std::cerr << d << '\n';
  if (!loaded.ok()) return fail("rules did not load");

  crmflow::engine engine(loaded.rules);
  const auto flow = loaded.rules->find_flow("repair");
  if (!flow) return fail("no flow 'repair'");
  const auto dispatch = loaded.rules->find_event(*flow, "dispatch");
  if (!dispatch) return fail("no event 'dispatch'");
  const auto urgent = loaded.rules->find_slot(*flow, *dispatch, "urgent");
  if (!urgent) return fail("no data item 'urgent'");

  const crmflow::timestamp t0 = 1'772'414'100'000;  // 2026-03-02T09:15:00+08:00
  const crmflow::create_result created = engine.create_case(*flow, "BX-0001", t0);
  if (!created.accepted()) return fail("case not created");

  crmflow::data_record data;
  data.set(*urgent, 0);
  const crmflow::outcome refused = engine.post(created.id, *dispatch, data, t0 + 1000);
  if (refused.status != crmflow::status::guard_false) return fail("guard did not refuse");

  data.set(*urgent, 1);
  const crmflow::outcome taken = engine.post(created.id, *dispatch, data, t0 + 2000);
  if (!taken.accepted()) return fail("'dispatch' was refused");
  if (engine.state_name(created.id) != "dispatched") return fail("case not in 'dispatched'");
  return 0;
}
