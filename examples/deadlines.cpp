// Deadlines: a manual clock, advance_to(), and an observer that prints every deadline record.
//
// A timer fires when time passes, either because a later event is posted or because the host
// advances the engine. Nothing runs in the background: the host decides when time moves.
#include <crmflow/crmflow.hpp>

#include <iostream>
#include <string_view>

namespace {

constexpr std::string_view rules_text = R"(
flows:
  complaint:
    fields:
      customer: {type: string}
    events:
      feedback:
    initial: received
    states:
      received:
        label: 接待
        timers:
          - name: feedback_24h
            after: 24h
            do:
              - alarm: feedback_overdue
                to: customer_centre
                message: "投诉 {case}（{customer}）24小时内未反馈客户"
        on:
          feedback:
            to: done
      done:
        final: true
)";

// Observers override only what they need; every callback runs synchronously on the thread
// that posted or advanced, and its record is valid only during the call.
class printer final : public crmflow::observer {
 public:
  void on_deadline(const crmflow::engine& e, const crmflow::deadline_record& r) override {
    std::cout << crmflow::format_timestamp(r.at, 8 * 60) << " deadline "
              << e.rules().flow(r.flow).timers[r.timer].name << " of " << e.case_name(r.id) << '\n';
  }
  void on_alarm(const crmflow::engine&, const crmflow::alarm_record& r) override {
    std::cout << "    alarm " << r.name << " -> " << r.to << ": " << r.message << '\n';
  }
};

}  // namespace

int main() {
  crmflow::load_result loaded = crmflow::load_rules_from_string(rules_text, "deadlines.yaml");
  if (!loaded.ok()) {
    for (const crmflow::diagnostic& d : loaded.diagnostics) std::cerr << d << '\n';
    return 1;
  }
  const crmflow::flow_id flow = *loaded.rules->find_flow("complaint");
  const crmflow::field_id customer = *loaded.rules->find_field(flow, "customer");
  const crmflow::event_id feedback = *loaded.rules->find_event(flow, "feedback");

  // A manual clock: time moves only when we say so (tests, simulations, replays). A real
  // host leaves engine_options::clock null and gets the system clock.
  crmflow::manual_clock clock(*crmflow::parse_timestamp("2026-03-02T09:00:00+08:00"));
  printer print;
  crmflow::engine_options options;
  options.clock = &clock;
  options.observer = &print;
  crmflow::engine engine(loaded.rules, options);

  // Two complaints, received an hour apart.
  crmflow::data_record init;
  init.set(customer, engine.intern("王女士"));
  engine.create_case(flow, "C-1", clock.now(), &init);
  clock.advance(crmflow::hours_ms);
  init.set(customer, engine.intern("李先生"));
  const crmflow::case_id second = engine.create_case(flow, "C-2", clock.now(), &init).id;

  // The centre calls C-2 back exactly 24 hours after receipt: an event at the deadline's
  // instant is handled first, so it is on time.
  clock.advance(24 * crmflow::hours_ms);
  std::cout << "posting feedback for C-2 at " << crmflow::format_timestamp(clock.now(), 8 * 60) << '\n';
  // Posting first fires C-1's deadline, which fell due an hour earlier, at its own time.
  engine.post_now(second, feedback, {});

  // Advance to a day later: nothing else is due.
  clock.advance(crmflow::days_ms);
  std::cout << "advance fired " << engine.advance() << " more deadlines; " << engine.pending_deadlines()
            << " pending\n";
  return 0;
}
