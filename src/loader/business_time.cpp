#include "loader/business_time.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>
#include <utility>

#include "calendar/calendar_yaml.hpp"
#include "loader/expr_compiler.hpp"

namespace crmflow::loader {

void read_calendars(const ynode& node, const std::string& file, calendar_set& set,
                    std::vector<diagnostic>& diags) {
  // Names an earlier file already defined; the first key of each name in this file.
  std::map<std::string, const ynode*, std::less<>> taken;
  std::vector<std::pair<std::string, int>> fresh;
  if (node.is_map()) {
    for (const auto& [k, v] : node.entries) {
      if (!k.is_scalar() || !is_identifier(k.text) || taken.count(k.text)) continue;
      if (std::any_of(fresh.begin(), fresh.end(), [&](const auto& f) { return f.first == k.text; }))
        continue;
      if (auto it = set.names.find(k.text); it != set.names.end()) {
        taken.emplace(k.text, &k);
        diags.push_back({severity::error, file, k.line, k.column,
                         "duplicate calendar '" + k.text + "' (first defined in " +
                             it->second.file + " at line " + std::to_string(it->second.line) +
                             ")"});
        continue;
      }
      fresh.emplace_back(k.text, k.line);
    }
  }
  std::vector<calendar> parsed = calendar_yaml::parse_calendars(node, file, diags);
  for (auto& [name, line] : fresh) set.names.emplace(name, calendar_set::origin{file, line});
  for (calendar& c : parsed)
    if (!taken.count(c.name())) set.calendars.push_back(std::move(c));
}

bool read_flow_calendar(const ynode* calendar_node, const ynode* field_node,
                        detail::flow_program& flow, const std::string& file, calendar_set& set,
                        const report_fn& error) {
  const std::string where = "flow '" + flow.name + "'";
  // A flow that names a calendar or a field has one in scope, even if the name turns out
  // wrong: that error is reported once, not again at every business-time limit.
  const bool in_scope = calendar_node || field_node;
  if (calendar_node) {
    if (!calendar_node->is_scalar()) {
      error(*calendar_node, "'calendar' of " + where + " must be a calendar name, found " +
                                describe(calendar_node->kind));
    } else {
      set.uses.push_back({flow.name, no_id16, std::string(calendar_node->text), file, calendar_node->line,
                          calendar_node->column});
    }
  }
  if (field_node) {
    if (!field_node->is_scalar()) {
      error(*field_node, "'calendar_field' of " + where + " must be a field name, found " +
                             describe(field_node->kind));
      return in_scope;
    }
    auto it = flow.field_by_name.find(field_node->text);
    if (it == flow.field_by_name.end()) {
      error(*field_node, "'calendar_field' of " + where + " names unknown field '" +
                             field_node->text + "' (expected a string field holding a calendar "
                                                "name)");
      return in_scope;
    }
    const detail::field_def& f = flow.fields[it->second];
    if (f.type != value_type::string) {
      error(*field_node, "'calendar_field' of " + where + " names field '" + f.name +
                             "', which is " + std::string(to_string(f.type)) +
                             ", not string (it must hold a calendar name)");
      return in_scope;
    }
    flow.calendar_field = it->second;
  }
  return in_scope;
}

bool read_business_after(const ynode& after, const std::string& twhere, bool calendar_in_scope,
                         detail::timer_def& t, const report_fn& error, std::string_view key) {
  const std::string of = "'" + std::string(key) + "' of ";
  std::string why;
  const std::optional<business_duration> b = parse_business_duration(after.text, why);
  if (!b && why.empty()) return false;
  if (!b) {
    error(after, of + twhere + ": " + why);
    return true;
  }
  if (b->amount <= 0) {
    error(after, "time limit must be positive");
    return true;
  }
  // Beyond this no calendar can ever answer (calendar_horizon_days): refuse it now rather than
  // have the timer silently never start.
  const bool days = b->kind == business_duration::unit::working_days;
  const std::int64_t limit = days ? calendar_horizon_days : calendar_horizon_days * days_ms;
  if (b->amount > limit) {
    error(after, of + twhere + ": '" + after.text +
                     "' is further ahead than a calendar looks (" +
                     std::to_string(calendar_horizon_days) + " days)");
    return true;
  }
  if (!calendar_in_scope) {
    error(after, of + twhere + " is business time ('" + after.text +
                     "'), but no calendar is in scope: give the " +
                     (key == "after" ? "timer" : "clock") +
                     " 'calendar: NAME', or its flow 'calendar: NAME' or 'calendar_field: FIELD'");
    return true;
  }
  t.clock = days ? detail::timer_clock::working_days : detail::timer_clock::business_time;
  t.business_amount = b->amount;
  // The calendar-time fallback, for a case whose calendar_field names no calendar in a flow
  // without a default: the limit read as calendar time. The bounds above keep it from
  // overflowing.
  t.after = days ? b->amount * days_ms : b->amount;
  return true;
}

void read_timer_calendar(const ynode& node, const ynode* after, const std::string& twhere,
                         const std::string& flow, std::uint16_t timer, detail::timer_def& t,
                         const std::string& file, calendar_set& set, const report_fn& error) {
  if (!node.is_scalar()) {
    error(node, "'calendar' of " + twhere + " must be a calendar name, found " +
                    describe(node.kind));
    return;
  }
  t.calendar_field = no_id16;
  set.uses.push_back({flow, timer, std::string(node.text), file, node.line, node.column});
  const bool business = t.clock == detail::timer_clock::business_time ||
                        t.clock == detail::timer_clock::working_days;
  if (after && after->is_scalar() && !business &&
      (t.after > 0 || t.after_field != no_id16 || t.clock != detail::timer_clock::calendar_time))
    error(node, twhere + " has 'calendar: " + node.text + "', but its 'after' (" + after->text +
                    ") is calendar time, which no calendar changes; write business time such "
                    "as '24 business hours' or '3 working days', or remove 'calendar'");
}

std::vector<raw_value> resolve_calendars(calendar_set& set,
                                         std::vector<detail::flow_program>& flows,
                                         detail::string_pool& literals,
                                         std::vector<diagnostic>& diags) {
  std::unordered_map<std::string, std::uint16_t> index;
  for (std::size_t i = 0; i < set.calendars.size() && i < detail::no_calendar; ++i)
    index.emplace(set.calendars[i].name(), static_cast<std::uint16_t>(i));
  std::unordered_map<std::string, detail::flow_program*> by_name;
  for (auto& f : flows) by_name.emplace(f.name, &f);

  std::string known;
  for (const auto& [name, origin] : set.names) known += (known.empty() ? "" : ", ") + name;

  // Flow defaults first: business timers without a calendar of their own inherit them below.
  for (int pass = 0; pass < 2; ++pass) {
    for (const calendar_set::use& u : set.uses) {
      if ((u.timer == no_id16 && u.clock == no_id16) != (pass == 0)) continue;
      std::uint16_t cal = detail::no_calendar;
      if (auto it = index.find(u.name); it != index.end()) {
        cal = it->second;
      } else if (!set.names.count(u.name)) {
        diags.push_back({severity::error, u.file, u.line, u.column,
                         "unknown calendar '" + u.name + "' " +
                             (known.empty() ? std::string("(no calendar is defined: add a "
                                                          "top-level 'calendars:' section)")
                                            : "(defined: " + known + ")")});
        continue;
      } else {
        continue;  // defined, but with errors of its own, already reported
      }
      auto f = by_name.find(u.flow);
      if (f == by_name.end()) continue;
      if (u.clock != no_id16) {
        f->second->clocks.at(u.clock).calendar = cal;
      } else if (u.timer == no_id16) {
        f->second->calendar = cal;
        f->second->utc_offset_minutes = set.calendars[cal].utc_offset_minutes();
      }
      else
        f->second->timers.at(u.timer).calendar = cal;
    }
  }
  // Business timers without a `calendar:` of their own take the flow's (their calendar_field,
  // if any, was copied from the flow when they were read).
  std::set<std::pair<std::string, std::uint16_t>> own, own_clock;
  for (const calendar_set::use& u : set.uses) {
    if (u.timer != no_id16) own.emplace(u.flow, u.timer);
    if (u.clock != no_id16) own_clock.emplace(u.flow, u.clock);
  }
  // Likewise business-time clocks (docs/rules.md, SLA clocks).
  for (auto& f : flows)
    for (std::size_t k = 0; k < f.clocks.size(); ++k)
      if (f.clocks[k].business && !own_clock.count({f.name, static_cast<std::uint16_t>(k)}))
        f.clocks[k].calendar = f.calendar;
  for (auto& f : flows)
    for (std::size_t t = 0; t < f.timers.size(); ++t)
      if ((f.timers[t].clock == detail::timer_clock::business_time ||
           f.timers[t].clock == detail::timer_clock::working_days) &&
          !own.count({f.name, static_cast<std::uint16_t>(t)}))
        f.timers[t].calendar = f.calendar;

  std::vector<raw_value> names;
  names.reserve(set.calendars.size());
  for (const calendar& c : set.calendars) names.push_back(literals.intern(c.name()));
  return names;
}

}  // namespace crmflow::loader
