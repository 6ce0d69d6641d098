// audit_recorder (audit_trail.hpp): what the engine does, as canonical JSON records.
#include <bit>
#include <charconv>
#include <type_traits>
#include <utility>

#include "crmflow/audit_trail.hpp"
#include "crmflow/engine.hpp"
#include "crmflow/time.hpp"

namespace crmflow {
namespace {

// Members of one JSON object, written with their keys sorted (the canonical form). Keys and
// values go into one buffer as they are given (values already as JSON text), so a record costs
// one or two allocations however many members it has; text() sorts the members by key bytes.
class object {
 public:
  object() {
    buf_.reserve(256);
    members_.reserve(16);
  }

  object& str(std::string_view key, std::string_view value) {
    const std::size_t v = begin(key);
    append_json_string(buf_, value);
    return end(v);
  }
  object& num(std::string_view key, std::int64_t value) {
    const std::size_t v = begin(key);
    char digits[24];
    const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, value);
    buf_.append(digits, static_cast<std::size_t>(r.ptr - digits));
    return end(v);
  }
  object& boolean(std::string_view key, bool value) { return raw(key, value ? "true" : "false"); }
  object& raw(std::string_view key, std::string_view json) {
    const std::size_t v = begin(key);
    buf_.append(json);
    return end(v);
  }
  // A time as an RFC 3339 string in the engine's display offset (no character to escape).
  object& time(std::string_view key, const engine& e, timestamp t) {
    const std::size_t v = begin(key);
    buf_ += '"';
    append_timestamp(buf_, t, e.options().display_utc_offset_minutes);
    buf_ += '"';
    return end(v);
  }
  object& span(std::string_view key, duration d) {
    const std::size_t v = begin(key);
    buf_ += '"';
    append_duration(buf_, d);
    buf_ += '"';
    return end(v);
  }
  // The case's name, or `#id` for an anonymous or unknown case (as the audit log says it).
  object& who(std::string_view key, const engine& e, case_id c) {
    if (c < e.case_count() && !e.case_name(c).empty()) return str(key, e.case_name(c));
    const std::size_t v = begin(key);
    buf_ += "\"#";
    char digits[24];
    const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, c);
    buf_.append(digits, static_cast<std::size_t>(r.ptr - digits));
    buf_ += '"';
    return end(v);
  }
  // A value as JSON by its declared type: int and bool as themselves, the rest as text.
  object& value(std::string_view key, const engine& e, const detail::flow_program& fl, value_type type,
                std::uint32_t enum_index, raw_value v) {
    switch (type) {
      case value_type::integer: return num(key, v);
      case value_type::boolean: return boolean(key, v != 0);
      case value_type::string: return str(key, e.text(v));
      case value_type::enumeration: {
        const auto& values = fl.enums[enum_index].values;
        if (v >= 0 && static_cast<std::size_t>(v) < values.size()) return str(key, values[static_cast<std::size_t>(v)]);
        return num(key, v);
      }
      case value_type::timestamp: return time(key, e, v);
      case value_type::duration: return span(key, v);
    }
    return num(key, v);
  }

  std::string text() const {
    // Insertion sort of the member indices: a record has a dozen members at most, a data
    // record up to 64.
    const std::size_t n = members_.size();
    std::uint8_t order_small[32];
    std::vector<std::size_t> order_large;
    auto key_of = [&](std::size_t i) {
      const member& m = members_[i];
      return std::string_view(buf_).substr(m.key, m.value - m.key);
    };
    auto sorted = [&](auto* order) {
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t j = i;
        const std::string_view k = key_of(i);
        while (j > 0 && k < key_of(order[j - 1])) {
          order[j] = order[j - 1];
          --j;
        }
        order[j] = static_cast<std::remove_pointer_t<decltype(order)>>(i);
      }
    };
    std::string out;
    out.reserve(buf_.size() + 4 * n + 2);
    out += '{';
    auto emit = [&](const auto* order) {
      for (std::size_t i = 0; i < n; ++i) {
        const member& m = members_[order[i]];
        if (i) out += ',';
        append_json_string(out, key_of(order[i]));
        out += ':';
        out.append(buf_, m.value, m.end - m.value);
      }
    };
    if (n <= sizeof order_small) {
      sorted(order_small);
      emit(order_small);
    } else {
      order_large.resize(n);
      sorted(order_large.data());
      emit(order_large.data());
    }
    out += '}';
    return out;
  }

 private:
  struct member {
    std::size_t key, value, end;  // key at [key, value), its JSON value at [value, end) in buf_
  };
  std::size_t begin(std::string_view key) {
    members_.push_back({buf_.size(), 0, 0});
    buf_.append(key);
    return buf_.size();
  }
  object& end(std::size_t value) {
    members_.back().value = value;
    members_.back().end = buf_.size();
    return *this;
  }

  std::string buf_;
  std::vector<member> members_;
};

// A data record as a JSON object, slot names from `defs` (null or past its end: unnamed,
// written raw as "#slot").
template <class Def>
std::string record_json(const engine& e, const detail::flow_program* fl, const std::vector<Def>* defs,
                        const data_record& rec) {
  object o;
  for (std::uint64_t bits = rec.present(); bits != 0; bits &= bits - 1) {
    const auto s = static_cast<std::uint16_t>(std::countr_zero(bits));
    if (fl && defs && s < defs->size()) {
      const Def& d = (*defs)[s];
      o.value(d.name, e, *fl, d.type, d.enum_index, rec.get(s));
    } else {
      char key[8] = {'#'};
      const std::to_chars_result r = std::to_chars(key + 1, key + sizeof key, s);
      o.num(std::string_view(key, static_cast<std::size_t>(r.ptr - key)), rec.get(s));
    }
  }
  return o.text();
}

object base(const audit_recorder& r, const engine& e, std::string_view type, timestamp at) {
  object o;
  o.str("type", type).str("actor", r.actor()).time("at", e, at);
  return o;
}

object about_case(const audit_recorder& r, const engine& e, std::string_view type, timestamp at, case_id c, flow_id f) {
  object o = base(r, e, type, at);
  o.who("case", e, c);
  // The case's own rule version (the newest for a case not created yet).
  const rule_set& rules = c < e.case_count() ? e.rules_of(c) : e.rules();
  if (f < rules.flow_count()) o.str("flow", rules.flow(f).name);
  return o;
}

}  // namespace

std::string audit_recorder::create_record(const engine& e, flow_id f, std::string_view name, timestamp at,
                                          const data_record* init, const create_result& r) const {
  object o = base(*this, e, "create", at);
  if (!name.empty()) o.str("case", name);
  else if (r.accepted()) o.who("case", e, r.id);
  else o.str("case", "#");
  const detail::flow_program* fl = f < e.rules().flow_count() ? &e.rules().flow(f) : nullptr;
  if (fl) o.str("flow", fl->name);
  else o.str("flow", "#" + std::to_string(f));  // refused: an unknown flow
  if (init) o.raw("fields", record_json(e, fl, fl ? &fl->fields : nullptr, *init));
  o.str("outcome", to_string(r.status));
  return o.text();
}

std::string audit_recorder::post_record(const engine& e, case_id c, event_id ev, const data_record& data,
                                        timestamp at, status outcome) const {
  const bool known = c < e.case_count();
  const flow_id f = known ? e.case_flow(c) : no_id16;
  object o = about_case(*this, e, "event", at, c, f);
  const detail::flow_program* fl = known ? &e.rules_of(c).flow(f) : nullptr;
  const detail::event_def* def = fl && ev < fl->events.size() ? &fl->events[ev] : nullptr;
  if (def) o.str("event", def->name);
  else o.str("event", "#" + std::to_string(ev));
  if (data.present() != 0) o.raw("data", record_json(e, fl, def ? &def->data : nullptr, data));
  o.str("outcome", to_string(outcome));
  return o.text();
}

std::string audit_recorder::advance_record(const engine& e, timestamp to) const {
  return base(*this, e, "advance", to).text();
}

std::string audit_recorder::publish_record(const engine& e, const publish_result& r) const {
  object o = base(*this, e, "publish", e.now());
  o.str("ruleset", e.rules().name()).num("version", r.version).num("migrated", static_cast<std::int64_t>(r.migrated));
  o.str("outcome", r.accepted ? "accepted" : "refused");
  return o.text();
}

void audit_recorder::on_migrated(const engine& e, const migration_record& r) {
  if (next_) next_->on_migrated(e, r);
  if (!recording_) return;
  object o = about_case(*this, e, "migrated", r.at, r.id, r.flow);
  o.num("from_version", r.from_version).num("to_version", r.to_version).str("from", r.from_state).str("to", r.to_state);
  records_.push_back(o.text());
}

void audit_recorder::on_created(const engine& e, const created_record& r) {
  if (next_) next_->on_created(e, r);
  if (!recording_) return;
  object o = about_case(*this, e, "created", r.at, r.id, r.flow);
  o.str("state", e.rules_of(r.id).flow(r.flow).states[r.state].name);
  if (r.opened_by != no_id32) o.who("opened_by", e, r.opened_by).str("trigger", r.trigger);
  records_.push_back(o.text());
}

void audit_recorder::on_transition(const engine& e, const transition_record& r) {
  if (next_) next_->on_transition(e, r);
  if (!recording_) return;
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  object o = about_case(*this, e, "transition", r.at, r.id, r.flow);
  o.str("event", fl.events[r.event].name).str("from", fl.states[r.from].name).str("to", fl.states[r.to].name);
  o.str("cause", to_string(r.why));
  if (r.internal) o.boolean("internal", true);
  records_.push_back(o.text());
}

void audit_recorder::on_action(const engine& e, const action_record& r) {
  if (next_) next_->on_action(e, r);
  if (!recording_) return;
  const detail::flow_program& fl = e.rules_of(r.id).flow(r.flow);
  const detail::action_def& a = *r.action;
  object o;
  switch (a.kind) {
    case detail::action_kind::set: {
      const detail::field_def& fd = fl.fields[a.target];
      o = about_case(*this, e, "set", r.at, r.id, r.flow);
      o.str("field", fd.name).value("value", e, fl, fd.type, fd.enum_index, r.value);
      break;
    }
    case detail::action_kind::start_timer:
      o = about_case(*this, e, "start_timer", r.at, r.id, r.flow);
      o.str("timer", fl.timers[a.target].name).time("due", e, r.value);
      break;
    case detail::action_kind::cancel_timer:
      o = about_case(*this, e, "cancel_timer", r.at, r.id, r.flow);
      o.str("timer", fl.timers[a.target].name);
      break;
    case detail::action_kind::emit:
      o = about_case(*this, e, "emit", r.at, r.id, r.flow);
      o.str("event", fl.events[a.target].name);
      break;
    case detail::action_kind::decide: {
      // The table, the row taken (its number under `rows:`, or "default") and what it set.
      const detail::decision_table& t = fl.tables[a.target];
      o = about_case(*this, e, "decision", r.at, r.id, r.flow);
      o.str("table", t.name);
      if (r.value > 0) o.num("row", r.value);
      else o.str("row", "default");
      object set;
      for (std::uint32_t i = 0; i < t.outputs_count; ++i) {
        const detail::field_def& fd = fl.fields[fl.table_fields[t.outputs_first + i]];
        set.value(fd.name, e, fl, fd.type, fd.enum_index, e.field(r.id, fl.table_fields[t.outputs_first + i]));
      }
      o.raw("set", set.text());
      break;
    }
    default: return;  // notify and alarm come through on_notify / on_alarm
  }
  records_.push_back(o.text());
}

void audit_recorder::on_notify(const engine& e, const notify_record& r) {
  if (next_) next_->on_notify(e, r);
  if (!recording_) return;
  records_.push_back(about_case(*this, e, "notify", r.at, r.id, r.flow).str("to", r.to).str("message", r.message).text());
}

void audit_recorder::on_alarm(const engine& e, const alarm_record& r) {
  if (next_) next_->on_alarm(e, r);
  if (!recording_) return;
  object o = about_case(*this, e, "alarm", r.at, r.id, r.flow);
  o.str("name", r.name).str("to", r.to).str("message", r.message);
  records_.push_back(o.text());
}

void audit_recorder::on_deadline(const engine& e, const deadline_record& r) {
  if (next_) next_->on_deadline(e, r);
  if (!recording_) return;
  object o = about_case(*this, e, "deadline", r.at, r.id, r.flow);
  o.str("timer", e.rules_of(r.id).flow(r.flow).timers[r.timer].name);
  records_.push_back(o.text());
}

void audit_recorder::on_clock(const engine& e, const clock_record& r) {
  if (next_) next_->on_clock(e, r);
  if (!recording_) return;
  object o = about_case(*this, e, "clock", r.at, r.id, r.flow);
  o.str("clock", e.rules_of(r.id).flow(r.flow).clocks[r.clock].name).str("what", to_string(r.what));
  if (r.what == clock_event::breach) o.num("level", r.level);
  o.span("elapsed", r.elapsed).span("paused", r.paused).span("limit", r.limit);
  records_.push_back(o.text());
}

void audit_recorder::on_rejected(const engine& e, const rejection_record& r) {
  if (next_) next_->on_rejected(e, r);
  if (!recording_) return;
  object o = about_case(*this, e, "rejected", r.at, r.id, r.flow);
  if (r.flow != no_id16 && r.event < e.rules_of(r.id).flow(r.flow).events.size())
    o.str("event", e.rules_of(r.id).flow(r.flow).events[r.event].name);
  else
    o.str("event", "#" + std::to_string(r.event));
  o.str("reason", to_string(r.why)).str("cause", to_string(r.origin));
  records_.push_back(o.text());
}

void audit_recorder::on_timer(const engine& e, const timer_record& r) {
  if (next_) next_->on_timer(e, r);
  if (!recording_) return;
  object o = about_case(*this, e, r.started ? "start_timer" : "cancel_timer", r.at, r.id, r.flow);
  o.str("timer", e.rules_of(r.id).flow(r.flow).timers[r.timer].name);
  if (r.started) o.time("due", e, r.due);
  records_.push_back(o.text());
}

}  // namespace crmflow
