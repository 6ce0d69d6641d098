#include "cli/timeline.hpp"

#include "crmflow/time.hpp"

namespace crmflow::cli {

void timeline_writer::append_at(std::string& b, timestamp at) {
  if (cached_text_.empty() || at != cached_at_) {
    cached_text_.clear();
    append_timestamp(cached_text_, at, offset_);
    cached_at_ = at;
  }
  b += cached_text_;
}

std::string& timeline_writer::begin(timestamp at, std::string_view case_name, std::string_view type) {
  std::string& b = out_.buffer();
  b += "{\"at\":\"";
  append_at(b, at);
  b += "\",\"case\":";
  append_json_string(b, case_name);
  b += ",\"type\":\"";
  b += type;
  b += '"';
  return b;
}

void timeline_writer::end() {
  out_.buffer() += "}\n";
  out_.commit();
}

void timeline_writer::key(std::string_view k) {
  std::string& b = out_.buffer();
  b += ",\"";
  b += k;
  b += "\":";
}

void timeline_writer::on_created(const engine& e, const created_record& r) {
  ++stats_.cases_created;
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  std::string& b = begin(r.at, e.case_name(r.id), "created");
  key("flow");
  append_json_string(b, fl.name);
  key("state");
  append_json_string(b, fl.states[r.state].name);
  if (r.opened_by != no_id32) {
    key("opened_by");
    if (const std::string_view by = e.case_name(r.opened_by); by.empty())
      append_json_string(b, "#" + std::to_string(r.opened_by));
    else
      append_json_string(b, by);
    key("trigger");
    append_json_string(b, r.trigger);
  }
  end();
}

void timeline_writer::on_transition(const engine& e, const transition_record& r) {
  ++stats_.transitions;
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  std::string& b = begin(r.at, e.case_name(r.id), "transition");
  key("event");
  append_json_string(b, fl.events[r.event].name);
  key("from");
  append_json_string(b, fl.states[r.from].name);
  key("to");
  append_json_string(b, fl.states[r.to].name);
  key("cause");
  append_json_string(b, to_string(r.why));
  if (r.internal) b += ",\"internal\":true";
  end();
}

void timeline_writer::append_value(std::string& b, const engine& e, const detail::flow_program& fl,
                                   field_id field, raw_value v) {
  const detail::field_def& fd = fl.fields[field];
  switch (fd.type) {
    case value_type::string: append_json_string(b, e.text(v)); break;
    case value_type::integer: append_int(b, v); break;
    case value_type::boolean: b += v ? "true" : "false"; break;
    case value_type::enumeration: {
      const auto& values = fl.enums[fd.enum_index].values;
      if (v >= 0 && static_cast<std::size_t>(v) < values.size())
        append_json_string(b, values[static_cast<std::size_t>(v)]);
      else
        b += "null";
      break;
    }
    case value_type::timestamp:
      b += '"';
      append_timestamp(b, v, offset_);
      b += '"';
      break;
    case value_type::duration:
      b += '"';
      append_duration(b, v);
      b += '"';
      break;
  }
}

void timeline_writer::on_action(const engine& e, const action_record& r) {
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  const detail::action_def& a = *r.action;
  switch (a.kind) {
    case detail::action_kind::set: {
      std::string& b = begin(r.at, e.case_name(r.id), "set");
      key("field");
      append_json_string(b, fl.fields[a.target].name);
      key("value");
      append_value(b, e, fl, a.target, r.value);
      end();
      break;
    }
    case detail::action_kind::decide: {
      // {"type":"decision","table":"service_route","row":3,"set":{"unit":"工程维修部",...}}
      const detail::decision_table& t = fl.tables[a.target];
      std::string& b = begin(r.at, e.case_name(r.id), "decision");
      key("table");
      append_json_string(b, t.name);
      key("row");
      if (r.value > 0) append_int(b, r.value);
      else if (r.value == 0) b += "\"default\"";
      else b += "null";
      key("set");
      b += '{';
      for (std::uint32_t i = 0; i < t.outputs_count; ++i) {
        const field_id out = fl.table_fields[t.outputs_first + i];
        if (i != 0) b += ',';
        append_json_string(b, fl.fields[out].name);
        b += ':';
        append_value(b, e, fl, out, e.field(r.id, out));
      }
      b += '}';
      end();
      break;
    }
    case detail::action_kind::start_timer: {
      const detail::timer_def& td = fl.timers[a.target];
      std::string& b = begin(r.at, e.case_name(r.id), "start_timer");
      key("timer");
      append_json_string(b, td.name);
      key("due");
      // A timer whose duration field holds zero or less does not start (engine.hpp), nor does
      // one in business time that finds no working time (reported with a due of 0).
      if ((td.after_field != no_id16 && e.field(r.id, td.after_field) <= 0) ||
          (td.clock != detail::timer_clock::calendar_time && r.value == 0)) {
        b += "null";
      } else {
        b += '"';
        append_timestamp(b, r.value, offset_);
        b += '"';
      }
      end();
      break;
    }
    case detail::action_kind::cancel_timer: {
      std::string& b = begin(r.at, e.case_name(r.id), "cancel_timer");
      key("timer");
      append_json_string(b, fl.timers[a.target].name);
      end();
      break;
    }
    case detail::action_kind::emit: {
      std::string& b = begin(r.at, e.case_name(r.id), "emit");
      key("event");
      append_json_string(b, fl.events[a.target].name);
      end();
      break;
    }
    case detail::action_kind::notify:
    case detail::action_kind::alarm:
      break;  // reported through on_notify / on_alarm
  }
}

void timeline_writer::on_notify(const engine& e, const notify_record& r) {
  ++stats_.notifications;
  std::string& b = begin(r.at, e.case_name(r.id), "notify");
  key("to");
  append_json_string(b, r.to);
  key("message");
  append_json_string(b, r.message);
  end();
}

void timeline_writer::on_alarm(const engine& e, const alarm_record& r) {
  ++stats_.alarms;
  if (auto it = stats_.alarms_by_name.find(r.name); it != stats_.alarms_by_name.end()) ++it->second;
  else stats_.alarms_by_name.emplace(std::string(r.name), 1);
  std::string& b = begin(r.at, e.case_name(r.id), "alarm");
  key("alarm");
  append_json_string(b, r.name);
  key("to");
  append_json_string(b, r.to);
  key("message");
  append_json_string(b, r.message);
  end();
}

void timeline_writer::on_deadline(const engine& e, const deadline_record& r) {
  ++stats_.deadlines;
  std::string& b = begin(r.at, e.case_name(r.id), "deadline");
  key("timer");
  append_json_string(b, e.rules_of(r.id).flow(r.flow).timers[r.timer].name);
  end();
}

void timeline_writer::on_rejected(const engine& e, const rejection_record& r) {
  ++stats_.rejections[static_cast<std::size_t>(r.why)];
  const bool known_case = r.id < e.case_count();
  std::string& b = begin(r.at, known_case ? e.case_name(r.id) : std::string_view{}, "rejected");
  key("event");
  if (r.flow != no_id16 && r.event < e.rules_of(r.id).flow(r.flow).events.size())
    append_json_string(b, e.rules_of(r.id).flow(r.flow).events[r.event].name);
  else
    b += "null";
  key("reason");
  append_json_string(b, to_string(r.why));
  key("cause");
  append_json_string(b, to_string(r.origin));
  end();
}

// {"type":"clock","clock":NAME,"what":started|paused|resumed|stopped|warning|breach}, with
// "level" on a breach (1: the limit, 2, 3...: the ladder's later levels), then the counted
// elapsed and paused time and the limit in force at that instant.
void timeline_writer::on_clock(const engine& e, const clock_record& r) {
  std::string& b = begin(r.at, e.case_name(r.id), "clock");
  key("clock");
  append_json_string(b, e.rules_of(r.id).flow(r.flow).clocks[r.clock].name);
  key("what");
  append_json_string(b, to_string(r.what));
  if (r.what == clock_event::breach) {
    key("level");
    append_int(b, r.level);
  }
  key("elapsed");
  b += '"';
  append_duration(b, r.elapsed);
  b += '"';
  key("paused");
  b += '"';
  append_duration(b, r.paused);
  b += '"';
  key("limit");
  b += '"';
  append_duration(b, r.limit);
  b += '"';
  end();
}

void timeline_writer::rejected(timestamp at, std::string_view case_name, std::string_view event, status why) {
  ++stats_.rejections[static_cast<std::size_t>(why)];
  std::string& b = begin(at, case_name, "rejected");
  key("event");
  append_json_string(b, event);
  key("reason");
  append_json_string(b, to_string(why));
  key("cause");
  b += "\"posted\"";
  end();
}

void timeline_writer::input_error(std::optional<timestamp> at, std::optional<std::string_view> case_name,
                                  std::uint64_t line, std::string_view message) {
  std::string& b = out_.buffer();
  b += "{\"at\":";
  if (at) {
    b += '"';
    append_at(b, *at);
    b += '"';
  } else {
    b += "null";
  }
  b += ",\"case\":";
  if (case_name) append_json_string(b, *case_name);
  else b += "null";
  b += ",\"type\":\"input_error\",\"line\":";
  append_int(b, static_cast<std::int64_t>(line));
  key("message");
  append_json_string(b, message);
  end();
}

void timeline_writer::on_migrated(const engine& e, const migration_record& r) {
  std::string& b = begin(r.at, e.case_name(r.id), "migrated");
  key("flow");
  append_json_string(b, e.rules_of(r.id).flow(r.flow).name);
  key("from_version");
  b += std::to_string(r.from_version);
  key("to_version");
  b += std::to_string(r.to_version);
  key("from");
  append_json_string(b, r.from_state);
  key("to");
  append_json_string(b, r.to_state);
  end();
}

void timeline_writer::published(timestamp at, std::string_view path, std::uint32_t version, bool accepted,
                                std::size_t migrated, std::string_view error) {
  std::string& b = out_.buffer();
  b += "{\"at\":\"";
  append_at(b, at);
  b += "\",\"case\":null,\"type\":\"";
  b += accepted ? "published" : "publish_refused";
  b += '"';
  key("rules");
  append_json_string(b, path);
  key("version");
  b += std::to_string(version);
  if (accepted) {
    key("migrated");
    b += std::to_string(migrated);
  } else {
    key("error");
    append_json_string(b, error);
  }
  end();
}

}  // namespace crmflow::cli
