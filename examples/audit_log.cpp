// Audit trail: the host chooses where crmflow's audit lines go by handing the engine an
// spdlog logger with the host's own sinks. crmflow never logs anywhere else (not to stdout,
// not to spdlog's default logger); without a logger it writes nothing at all.
#include <crmflow/crmflow.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <iostream>
#include <memory>
#include <string_view>

namespace {

constexpr std::string_view rules_text = R"(
flows:
  complaint:
    fields:
      unit: {type: string}
    events:
      assign:
        data:
          unit: string
      close:
    initial: received
    states:
      received:
        on:
          assign:
            to: assigned
            do:
              - set: unit
                from: event.unit
              - notify: "{unit}"
                message: "投诉 {case} 已分派，请1小时内回复处理措施"
      assigned:
        on:
          close:
            to: closed
      closed:
        final: true
)";

}  // namespace

int main() {
  crmflow::load_result loaded = crmflow::load_rules_from_string(rules_text, "audit_log.yaml");
  if (!loaded.ok()) {
    for (const crmflow::diagnostic& d : loaded.diagnostics) std::cerr << d << '\n';
    return 1;
  }
  const crmflow::flow_id flow = *loaded.rules->find_flow("complaint");
  const crmflow::event_id assign = *loaded.rules->find_event(flow, "assign");
  const crmflow::event_id close = *loaded.rules->find_event(flow, "close");

  // The host's sinks: here the console and a file. A real host might use a rotating file, a
  // syslog sink, or a callback sink that writes to its database.
  auto console = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>("crmflow_audit.log", /*truncate=*/true);
  auto audit = std::make_shared<spdlog::logger>("crmflow.audit", spdlog::sinks_init_list{console, file});
  // crmflow writes the event time (not the wall-clock time) into each line; the pattern adds
  // the level. Rejections are logged at warn, everything else at info.
  audit->set_pattern("[%l] %v");

  crmflow::engine_options options;
  options.audit_log = audit;
  options.display_utc_offset_minutes = 8 * 60;  // times in audit lines: China, +08:00
  crmflow::engine engine(loaded.rules, options);

  const crmflow::timestamp t0 = *crmflow::parse_timestamp("2026-03-02T09:15:00+08:00");
  const crmflow::case_id id = engine.create_case(flow, "C-1", t0).id;
  crmflow::data_record data;
  data.set(*loaded.rules->find_slot(flow, assign, "unit"), engine.intern("保安"));
  engine.post(id, assign, data, t0 + crmflow::minutes_ms);
  engine.post(id, assign, data, t0 + 2 * crmflow::minutes_ms);  // refused: logged at warn
  engine.post(id, close, {}, t0 + crmflow::hours_ms);
  audit->flush();
  return 0;
}
