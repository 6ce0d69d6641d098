// The audit trail: every record the engine produces, as one line through the host's logger.
#include <spdlog/logger.h>

#include <string>

#include "crmflow/engine.hpp"
#include "crmflow/time.hpp"

namespace crmflow {
namespace {

class audit_observer final : public observer {
 public:
  explicit audit_observer(std::shared_ptr<spdlog::logger> logger) : log_(std::move(logger)) {}

  void on_created(const engine& e, const created_record& r) override {
    const auto& fl = e.rules_of(r.id).flow(r.flow);
    log_->info("{} case={} flow={} created state={}", at(r.at, e), who(r.id, e), fl.name,
               fl.states[r.state].name);
  }
  void on_transition(const engine& e, const transition_record& r) override {
    const auto& fl = e.rules_of(r.id).flow(r.flow);
    log_->info("{} case={} event={} ({}) {} -> {}{}", at(r.at, e), who(r.id, e),
               fl.events[r.event].name, to_string(r.why), fl.states[r.from].name,
               fl.states[r.to].name, r.internal ? " (internal)" : "");
  }
  void on_action(const engine& e, const action_record& r) override {
    const auto& fl = e.rules_of(r.id).flow(r.flow);
    const detail::action_def& a = *r.action;
    switch (a.kind) {
      case detail::action_kind::set:
        log_->info("{} case={} set {} = {}", at(r.at, e), who(r.id, e), fl.fields[a.target].name,
                   e.field_text(r.id, a.target));
        break;
      case detail::action_kind::start_timer:
        log_->info("{} case={} start_timer {} due={}", at(r.at, e), who(r.id, e),
                   fl.timers[a.target].name, at(r.value, e));
        break;
      case detail::action_kind::cancel_timer:
        log_->info("{} case={} cancel_timer {}", at(r.at, e), who(r.id, e), fl.timers[a.target].name);
        break;
      case detail::action_kind::emit:
        log_->info("{} case={} emit {}", at(r.at, e), who(r.id, e), fl.events[a.target].name);
        break;
      case detail::action_kind::decide: {
        // "decide service_route row 3: unit=工程维修部, role=维修主管": the row and what it set.
        const detail::decision_table& t = fl.tables[a.target];
        std::string set;
        for (std::uint32_t i = 0; i < t.outputs_count; ++i) {
          const field_id out = fl.table_fields[t.outputs_first + i];
          set += i == 0 ? "" : ", ";
          set += fl.fields[out].name + "=" + e.field_text(r.id, out);
        }
        log_->info("{} case={} decide {} {}: {}", at(r.at, e), who(r.id, e), t.name,
                   r.value > 0 ? "row " + std::to_string(r.value) : std::string("default"), set);
        break;
      }
      default: break;
    }
  }
  void on_notify(const engine& e, const notify_record& r) override {
    log_->info("{} case={} notify {}: {}", at(r.at, e), who(r.id, e), r.to, r.message);
  }
  void on_alarm(const engine& e, const alarm_record& r) override {
    log_->info("{} case={} alarm {} to={}: {}", at(r.at, e), who(r.id, e), r.name, r.to, r.message);
  }
  void on_deadline(const engine& e, const deadline_record& r) override {
    log_->info("{} case={} deadline {}", at(r.at, e), who(r.id, e),
               e.rules_of(r.id).flow(r.flow).timers[r.timer].name);
  }
  void on_clock(const engine& e, const clock_record& r) override {
    const auto& fl = e.rules_of(r.id).flow(r.flow);
    if (r.what == clock_event::breach)
      log_->info("{} case={} clock {} breach level={} elapsed={}ms paused={}ms limit={}ms", at(r.at, e),
                 who(r.id, e), fl.clocks[r.clock].name, r.level, r.elapsed, r.paused, r.limit);
    else
      log_->info("{} case={} clock {} {} elapsed={}ms paused={}ms limit={}ms", at(r.at, e), who(r.id, e),
                 fl.clocks[r.clock].name, to_string(r.what), r.elapsed, r.paused, r.limit);
  }
  void on_rejected(const engine& e, const rejection_record& r) override {
    std::string event = "?";
    if (r.flow != no_id16 && r.event < e.rules_of(r.id).flow(r.flow).events.size())
      event = e.rules_of(r.id).flow(r.flow).events[r.event].name;
    log_->warn("{} case={} rejected event={} reason={}", at(r.at, e),
               who(r.id, e), event,
               to_string(r.why));
  }
  void on_migrated(const engine& e, const migration_record& r) override {
    log_->info("{} case={} migrated version {} -> {} state {} -> {}", at(r.at, e), who(r.id, e), r.from_version,
               r.to_version, r.from_state, r.to_state);
  }

 private:
  // The case's name, or `#id` for an anonymous or unknown case (as templates render {case}):
  // an audit line must always say which case it is about.
  static std::string who(case_id c, const engine& e) {
    if (c < e.case_count() && !e.case_name(c).empty()) return std::string(e.case_name(c));
    return "#" + std::to_string(c);
  }

  static std::string at(timestamp t, const engine& e) {
    return format_timestamp(t, e.options().display_utc_offset_minutes);
  }

  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace

std::unique_ptr<observer> make_audit_observer(std::shared_ptr<spdlog::logger> logger) {
  return std::make_unique<audit_observer>(std::move(logger));
}

}  // namespace crmflow
