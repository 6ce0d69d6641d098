// The simulate timeline: one JSON object per line for every engine observer callback, plus the
// CLI's own records (input errors and refusals decided before the engine is called). Keys are
// written by hand in a fixed order, so the output is byte-for-byte deterministic.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cli/output.hpp"
#include "crmflow/engine.hpp"

namespace crmflow::cli {

// Counts for --summary, kept as records are written.
struct run_stats {
  std::uint64_t lines_read = 0;
  std::uint64_t lines_skipped = 0;
  std::uint64_t cases_created = 0;
  std::uint64_t transitions = 0;
  std::uint64_t deadlines = 0;
  std::uint64_t notifications = 0;
  std::uint64_t alarms = 0;
  std::map<std::string, std::uint64_t, std::less<>> alarms_by_name;
  std::array<std::uint64_t, 16> rejections{};  // by status
  std::optional<timestamp> first_at;
};

class timeline_writer final : public observer {
 public:
  timeline_writer(output& out, run_stats& stats, int utc_offset_minutes)
      : out_(out), stats_(stats), offset_(utc_offset_minutes) {}

  void on_created(const engine& e, const created_record& r) override;
  void on_transition(const engine& e, const transition_record& r) override;
  void on_action(const engine& e, const action_record& r) override;
  void on_notify(const engine& e, const notify_record& r) override;
  void on_alarm(const engine& e, const alarm_record& r) override;
  void on_deadline(const engine& e, const deadline_record& r) override;
  void on_rejected(const engine& e, const rejection_record& r) override;
  void on_clock(const engine& e, const clock_record& r) override;
  void on_migrated(const engine& e, const migration_record& r) override;

  // A rule version published mid-run (a `publish` input line): accepted or refused, with the
  // first error when refused.
  void published(timestamp at, std::string_view path, std::uint32_t version, bool accepted, std::size_t migrated,
                 std::string_view error);

  // A refusal the CLI decides itself (unknown case or event, duplicate case, a create refused).
  void rejected(timestamp at, std::string_view case_name, std::string_view event, status why);
  // A skipped input line. `at` and `case_name` when the line had them.
  void input_error(std::optional<timestamp> at, std::optional<std::string_view> case_name,
                   std::uint64_t line, std::string_view message);

 private:
  std::string& begin(timestamp at, std::string_view case_name, std::string_view type);
  void end();
  void key(std::string_view k);  // ,"k":
  void append_at(std::string& b, timestamp at);  // RFC 3339, cached: most records share `at`
  // A value of `field` as JSON: text, number, bool, enum name, time or duration text.
  void append_value(std::string& b, const engine& e, const detail::flow_program& fl, field_id field,
                    raw_value v);

  output& out_;
  run_stats& stats_;
  int offset_;
  timestamp cached_at_ = 0;
  std::string cached_text_;
};

}  // namespace crmflow::cli
