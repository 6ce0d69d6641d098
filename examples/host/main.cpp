// A host program built against an installed crmflow (find_package). Loads a small complaint
// flow, opens a case and moves it on; exits non-zero if anything is not as expected.
#include <crmflow/crmflow.hpp>

#include <iostream>
#include <string_view>

namespace {

constexpr std::string_view rules = R"(
flows:
  complaint:
    label: 投诉处理
    fields:
      level: {type: enum, values: [minor, major], default: minor}
    events:
      assign:
      close:
    initial: received
    states:
      received:
        on:
          assign:
            to: assigned
      assigned:
        on:
          close:
            to: closed
      closed:
        final: true
)";

int fail(std::string_view what) {
  std::cerr << "crmflow_host: " << what << '\n';
  return 1;
}

}  // namespace

int main() {
  const crmflow::load_result loaded = crmflow::load_rules_from_string(rules, "host.yaml");
  for (const crmflow::diagnostic& d : loaded.diagnostics) std::cerr << d << '\n';
  if (!loaded.ok()) return fail("rules did not load");

  crmflow::engine engine(loaded.rules);
  const auto flow = loaded.rules->find_flow("complaint");
  if (!flow) return fail("no flow 'complaint'");
  const auto assign = loaded.rules->find_event(*flow, "assign");
  if (!assign) return fail("no event 'assign'");

  const auto start = crmflow::parse_timestamp("2026-03-02T09:15:00+08:00");
  if (!start) return fail("cannot parse timestamp");

  const crmflow::create_result created = engine.create_case(*flow, "TS-0001", *start);
  if (!created.accepted()) return fail("case not created");
  if (engine.state_name(created.id) != "received") return fail("new case not in 'received'");

  const crmflow::outcome out =
      engine.post(created.id, *assign, crmflow::data_record{}, *start + 10 * crmflow::minutes_ms);
  if (!out.accepted()) return fail("'assign' was refused");
  if (engine.state_name(created.id) != "assigned") return fail("case not in 'assigned'");

  std::cout << "case " << engine.case_name(created.id) << " is " << engine.state_name(created.id)
            << '\n';
  return 0;
}
