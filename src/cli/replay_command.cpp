// crmflow replay --store PATH --rules <candidate> [--json]
//
// A what-if before publishing: the inputs recorded in a store's audit trail (create, event,
// advance, in words: flow, case and event names, data by name) are run again through a fresh
// engine on the candidate rules, and each case's story (where it ended and since when, the
// deadlines that fired, the alarms raised, the events refused, the warnings and ladder levels
// its SLA clocks reached) is compared with the story the
// trail recorded. The recorded side is read, not recomputed, so the rules that wrote the store
// are not needed. The store is opened read-only and its chain is checked as it is read.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/commands.hpp"
#include "crmflow/audit_trail.hpp"
#include "crmflow/engine.hpp"
#include "crmflow/store.hpp"
#include "crmflow/time.hpp"

namespace crmflow::cli {
namespace {

using json = nlohmann::json;

constexpr int exit_differs = 1;
constexpr int exit_trouble = 2;
constexpr int display_offset = 8 * 60;

// What became of one SLA clock of a case: the warning and ladder levels it reached, and where
// it was at the end (from the `clock` records: started, paused, resumed, stopped, warning,
// breach with its level).
struct clock_story {
  std::string phase;  // the last of started, paused, resumed, stopped
  timestamp phase_at = 0;
  std::optional<timestamp> warned;
  std::vector<std::pair<std::int64_t, timestamp>> levels;  // ladder levels reached, in order

  std::int64_t level() const { return levels.empty() ? 0 : levels.back().first; }
  friend bool operator==(const clock_story&, const clock_story&) = default;
};

// What happened to one case, as far as an analyst cares about the end of it.
struct story {
  bool exists = false;
  std::string flow;
  std::string state;  // where it is at the end
  timestamp created = 0;
  timestamp since = 0;  // when it entered `state`
  std::vector<std::string> deadlines;  // "timer at T"
  std::vector<std::string> alarms;     // "name at T"
  std::vector<std::string> refused;    // "event (reason) at T"
  std::map<std::string, clock_story> clocks;  // by clock name
};

std::string when(timestamp t) { return format_timestamp(t, display_offset); }

timestamp at_of(const json& r) {
  const auto it = r.find("at");
  if (it == r.end() || !it->is_string()) return 0;
  return parse_timestamp(it->get<std::string>()).value_or(0);
}

std::string text_of(const json& r, const char* key) {
  const auto it = r.find(key);
  return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Stories of every case, in order of first appearance, built from audit records.
class stories {
 public:
  story& of(const std::string& name) {
    const auto [it, fresh] = index_.emplace(name, names_.size());
    if (fresh) {
      names_.push_back(name);
      all_.emplace_back();
    }
    return all_[it->second];
  }
  const story* find(const std::string& name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &all_[it->second];
  }
  const std::vector<std::string>& names() const noexcept { return names_; }

  void take(const json& r) {
    const std::string type = text_of(r, "type");
    const std::string c = text_of(r, "case");
    const timestamp at = at_of(r);
    if (type == "created") {
      story& s = of(c);
      s.exists = true;
      s.flow = text_of(r, "flow");
      s.state = text_of(r, "state");
      s.created = s.since = at;
    } else if (type == "transition") {
      story& s = of(c);
      if (r.value("internal", false)) return;
      s.state = text_of(r, "to");
      s.since = at;
    } else if (type == "deadline") {
      of(c).deadlines.push_back(text_of(r, "timer") + " at " + when(at));
    } else if (type == "clock") {
      clock_story& k = of(c).clocks[text_of(r, "clock")];
      const std::string what = text_of(r, "what");
      if (what == "warning") {
        k.warned = at;
      } else if (what == "breach") {
        const auto level = r.find("level");
        k.levels.emplace_back(level != r.end() && level->is_number_integer() ? level->get<std::int64_t>() : 0, at);
      } else {
        k.phase = what;
        k.phase_at = at;
      }
    } else if (type == "alarm") {
      of(c).alarms.push_back(text_of(r, "name") + " at " + when(at));
    } else if ((type == "event" || type == "create") && text_of(r, "outcome") != "accepted") {
      const std::string what = type == "create" ? "create" : text_of(r, "event");
      of(c).refused.push_back(what + " (" + text_of(r, "outcome") + ") at " + when(at));
    }
  }

 private:
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::string> names_;
  std::vector<story> all_;
};

// Converts a recorded value (audit_recorder's JSON for the type) to a raw value.
std::optional<raw_value> to_raw(engine& e, const detail::flow_program& fl, value_type type, std::uint32_t enum_index,
                                const json& j) {
  switch (type) {
    case value_type::string:
      if (j.is_string()) return e.intern(j.get<std::string>());
      break;
    case value_type::integer:
      if (j.is_number_integer()) return j.get<std::int64_t>();
      break;
    case value_type::boolean:
      if (j.is_boolean()) return j.get<bool>() ? 1 : 0;
      break;
    case value_type::enumeration:
      if (j.is_string()) {
        const auto& values = fl.enums[enum_index].values;
        for (std::size_t i = 0; i < values.size(); ++i)
          if (values[i] == j.get<std::string>()) return static_cast<raw_value>(i);
      }
      break;
    case value_type::timestamp:
      if (j.is_string()) return parse_timestamp(j.get<std::string>());
      break;
    case value_type::duration:
      if (j.is_string()) return parse_duration(j.get<std::string>());
      break;
  }
  return std::nullopt;
}

// Fills `rec` from a recorded object by the candidate's names; false if a value does not fit
// (a name the candidate lacks, a changed type): the candidate would refuse it as bad_data.
template <class Def>
bool fill(engine& e, const detail::flow_program& fl, const std::vector<Def>& defs, const json* values,
          data_record& rec) {
  rec.clear();
  if (!values || !values->is_object()) return true;
  for (const auto& [name, value] : values->items()) {
    std::size_t slot = defs.size();
    for (std::size_t i = 0; i < defs.size(); ++i)
      if (defs[i].name == name) slot = i;
    if (slot >= defs.size() || slot >= data_record::max_slots) return false;
    const auto v = to_raw(e, fl, defs[slot].type, defs[slot].enum_index, value);
    if (!v) return false;
    rec.set(static_cast<std::uint16_t>(slot), *v);
  }
  return true;
}

// Runs the recorded inputs through the candidate and tells `out` the story.
class candidate_run {
 public:
  candidate_run(std::shared_ptr<const rule_set> rules, stories& out) : out_(out) {
    engine_options o;
    o.keep_history = false;
    o.observer = &recorder_;
    engine_ = std::make_unique<engine>(std::move(rules), o);
    recorder_.set_recording(true);
  }

  void input(const json& r) {
    const std::string type = text_of(r, "type");
    const timestamp at = at_of(r);
    if (type == "advance") {
      engine_->advance_to(at);
    } else if (type == "create") {
      create(r, at);
    } else if (type == "event") {
      post(r, at);
    }
    for (const std::string& rec : recorder_.records()) out_.take(json::parse(rec));
    recorder_.records().clear();
  }

 private:
  void refuse(const json& r, timestamp at, std::string_view what, status why) {
    // Time moves on as for any refused input, so deadlines fire as they would.
    if (at > engine_->now()) engine_->advance_to(at);
    for (const std::string& rec : recorder_.records()) out_.take(json::parse(rec));
    recorder_.records().clear();
    json j = {{"type", "event"}, {"case", text_of(r, "case")}, {"event", std::string(what)},
              {"at", text_of(r, "at")}, {"outcome", std::string(to_string(why))}};
    out_.take(j);
  }

  void create(const json& r, timestamp at) {
    const std::string name = text_of(r, "case");
    const auto f = engine_->rules().find_flow(text_of(r, "flow"));
    if (!f) return refuse(r, at, "create", status::unknown_flow);
    const detail::flow_program& fl = engine_->rules().flow(*f);
    const auto fields = r.find("fields");
    const bool has_init = fields != r.end();
    if (!fill(*engine_, fl, fl.fields, has_init ? &*fields : nullptr, rec_))
      return refuse(r, at, "create", status::bad_data);
    const create_result made = engine_->create_case(*f, name, at, has_init ? &rec_ : nullptr);
    if (!made.accepted()) {
      for (const std::string& rec : recorder_.records()) out_.take(json::parse(rec));
      recorder_.records().clear();
      out_.take(json{{"type", "create"}, {"case", name}, {"at", text_of(r, "at")},
                     {"outcome", std::string(to_string(made.status))}});
    }
  }

  void post(const json& r, timestamp at) {
    const std::string name = text_of(r, "case");
    const std::string event = text_of(r, "event");
    const std::optional<case_id> c = engine_->find_case(name);
    if (!c) return refuse(r, at, event, status::unknown_case);
    const flow_id f = engine_->case_flow(*c);
    const detail::flow_program& fl = engine_->rules().flow(f);
    const auto e = engine_->rules().find_event(f, event);
    if (!e) return refuse(r, at, event, status::unknown_event);
    const auto data = r.find("data");
    if (!fill(*engine_, fl, fl.events[*e].data, data != r.end() ? &*data : nullptr, rec_))
      return refuse(r, at, event, status::bad_data);
    const outcome o = engine_->post(*c, *e, rec_, at);
    if (!o.accepted()) {
      for (const std::string& rec : recorder_.records()) out_.take(json::parse(rec));
      recorder_.records().clear();
      out_.take(json{{"type", "event"}, {"case", name}, {"event", event}, {"at", text_of(r, "at")},
                     {"outcome", std::string(to_string(o.status))}});
    }
  }

  stories& out_;
  audit_recorder recorder_;
  std::unique_ptr<engine> engine_;
  data_record rec_;
};

// "done (完成)" with the candidate's label when it has the state.
std::string state_words(const rule_set& rules, const story& s) {
  std::string out = s.state;
  if (const auto f = rules.find_flow(s.flow))
    if (const auto st = rules.find_state(*f, s.state); st && !rules.flow(*f).states[*st].label.empty())
      out += " (" + rules.flow(*f).states[*st].label + ")";
  return out;
}

bool is_final(const rule_set& rules, const story& s) {
  const auto f = rules.find_flow(s.flow);
  if (!f) return false;
  const auto st = rules.find_state(*f, s.state);
  return st && rules.flow(*f).states[*st].final;
}

std::string list_words(const std::vector<std::string>& v) {
  if (v.empty()) return "none";
  std::string out;
  for (const std::string& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// "breached, level 2 (warning at T1, level 1 at T2, level 2 at T3), stopped at T4".
std::string clock_words(const clock_story* k) {
  if (!k) return "not started";
  std::string out = k->level() > 0 ? "breached, level " + std::to_string(k->level())
                                   : (k->warned ? "warned, not breached" : "not breached");
  std::string marks;
  if (k->warned) marks = "warning at " + when(*k->warned);
  for (const auto& [level, at] : k->levels)
    marks += (marks.empty() ? "" : ", ") + ("level " + std::to_string(level)) + " at " + when(at);
  if (!marks.empty()) out += " (" + marks + ")";
  if (k->phase == "stopped") out += ", stopped at " + when(k->phase_at);
  else if (k->phase == "paused") out += ", paused since " + when(k->phase_at);
  else out += ", still running";
  return out;
}

const clock_story* find_clock(const story& s, const std::string& name) {
  const auto it = s.clocks.find(name);
  return it == s.clocks.end() ? nullptr : &it->second;
}

// The clocks of either side, by name.
std::vector<std::string> clock_names(const story& a, const story& b) {
  std::vector<std::string> out;
  for (const auto& [name, k] : a.clocks) out.push_back(name);
  for (const auto& [name, k] : b.clocks)
    if (!a.clocks.contains(name)) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

// Whether some clock reached another highest ladder level (0: none) on the two sides.
bool levels_differ(const story& a, const story& b) {
  for (const std::string& name : clock_names(a, b)) {
    const clock_story* x = find_clock(a, name);
    const clock_story* y = find_clock(b, name);
    if ((x ? x->level() : 0) != (y ? y->level() : 0)) return true;
  }
  return false;
}

// "completion (维修时限)" with the candidate's label when its flow has the clock.
std::string clock_label(const rule_set& rules, const std::string& flow, const std::string& name) {
  if (const auto f = rules.find_flow(flow))
    if (const auto c = rules.find_clock(*f, name); c && !rules.flow(*f).clocks[*c].label.empty())
      return name + " (" + rules.flow(*f).clocks[*c].label + ")";
  return name;
}

json clock_json(const clock_story& k) {
  json marks = json::array();
  for (const auto& [level, at] : k.levels) marks.push_back({{"level", level}, {"at", when(at)}});
  const std::string phase = k.phase == "stopped" || k.phase == "paused" ? k.phase : std::string("running");
  return {{"level", k.level()}, {"warned", k.warned ? json(when(*k.warned)) : json(nullptr)}, {"breaches", marks},
          {"phase", phase}, {"since", when(k.phase_at)}};
}

json story_json(const rule_set& rules, const story& s) {
  if (!s.exists) return nullptr;
  json clocks = json::object();
  for (const auto& [name, k] : s.clocks) clocks[name] = clock_json(k);
  json j = {{"state", s.state}, {"since", when(s.since)}, {"closed", is_final(rules, s)},
            {"deadlines", s.deadlines}, {"alarms", s.alarms}, {"refused", s.refused}, {"clocks", clocks}};
  if (is_final(rules, s)) j["time_to_close"] = format_duration(s.since - s.created);
  return j;
}

}  // namespace

int run_replay(const args& a) {
  std::optional<std::string_view> store_path, rules_path;
  bool as_json = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool missing = false;
    if (auto st = option_value(a, i, "--store", missing)) {
      if (missing || st->empty()) return usage_error("replay", "--store needs a file name");
      store_path = *st;
    } else if (auto r = option_value(a, i, "--rules", missing)) {
      if (missing || r->empty()) return usage_error("replay", "--rules needs a rules file or directory");
      rules_path = *r;
    } else if (a[i] == "--json") {
      as_json = true;
    } else {
      return usage_error("replay", "unexpected argument " + std::string(a[i]));
    }
  }
  if (!store_path || !rules_path) return usage_error("replay", "expected --store PATH --rules <candidate>");
  const auto rules = load_and_report({std::filesystem::path(*rules_path)}, stderr);
  if (!rules) return exit_trouble;

  sqlite_store_options o;
  o.read_only = true;
  open_store_result opened = open_sqlite_store(std::filesystem::path(*store_path), o);
  if (!opened.status) {
    std::fprintf(stderr, "crmflow replay: %s\n", opened.status.message().c_str());
    return exit_trouble;
  }
  stories recorded, candidate;
  candidate_run run(rules, candidate);
  std::uint64_t records = 0;
  std::string bad;
  const store_status st = opened.store->read_audit(1, [&](const audit_entry& e) {
    ++records;
    json r = json::parse(e.record, nullptr, false);
    if (!r.is_object()) {
      bad = "audit record at seq " + std::to_string(e.seq) + " is not a JSON object";
      return false;
    }
    recorded.take(r);
    run.input(r);
    return true;
  });
  if (!st || !bad.empty()) {
    std::fprintf(stderr, "crmflow replay: %s\n", (st ? bad : st.message()).c_str());
    return exit_trouble;
  }
  if (records == 0) {
    std::fprintf(stderr, "crmflow replay: store %s has no audit trail to replay\n", std::string(*store_path).c_str());
    return exit_trouble;
  }

  // Cases in order of first appearance, the recorded ones first.
  std::vector<std::string> names = recorded.names();
  for (const std::string& n : candidate.names())
    if (!recorded.find(n)) names.push_back(n);
  std::size_t cases = 0, end_differently = 0, differ = 0, clock_levels = 0;
  std::string out;
  story none;
  for (const std::string& name : names) {
    const story* was = recorded.find(name);
    const story* now = candidate.find(name);
    if (!was) was = &none;
    if (!now) now = &none;
    if (!was->exists && !now->exists && was->refused == now->refused) continue;
    ++cases;
    const bool ends = was->exists != now->exists || was->state != now->state || was->since != now->since;
    const bool other = was->deadlines != now->deadlines || was->alarms != now->alarms ||
                       was->refused != now->refused || was->clocks != now->clocks;
    if (!ends && !other) continue;
    ++differ;
    if (ends) ++end_differently;
    if (levels_differ(*was, *now)) ++clock_levels;
    const std::string flow = was->exists ? was->flow : now->flow;
    if (as_json) {
      json j = {{"case", name}, {"flow", flow}, {"ends_differently", ends},
                {"recorded", story_json(*rules, *was)}, {"candidate", story_json(*rules, *now)}};
      out += j.dump() + "\n";
      continue;
    }
    out += "case " + name + (flow.empty() ? "" : " (" + flow + ")") +
           (ends ? ": ends differently\n" : ": ends the same, differs on the way\n");
    auto end_words = [&](const story& s) -> std::string {
      if (!s.exists) return "no such case";
      return state_words(*rules, s) + (s.since == s.created ? " since it was created at " : " since ") + when(s.since);
    };
    if (ends) out += "  state: " + end_words(*was) + " -> " + end_words(*now) + "\n";
    auto close_words = [&](const story& s) -> std::string {
      if (!s.exists) return "-";
      return is_final(*rules, s) ? "closed after " + format_duration(s.since - s.created) : std::string("still open");
    };
    if (ends && close_words(*was) != close_words(*now))
      out += "  time to close: " + close_words(*was) + " -> " + close_words(*now) + "\n";
    if (was->deadlines != now->deadlines)
      out += "  deadlines fired: " + list_words(was->deadlines) + " -> " + list_words(now->deadlines) + "\n";
    if (was->alarms != now->alarms)
      out += "  alarms raised: " + list_words(was->alarms) + " -> " + list_words(now->alarms) + "\n";
    if (was->refused != now->refused)
      out += "  events refused: " + list_words(was->refused) + " -> " + list_words(now->refused) + "\n";
    for (const std::string& clock : clock_names(*was, *now)) {
      const std::string a = clock_words(find_clock(*was, clock)), b = clock_words(find_clock(*now, clock));
      if (a != b) out += "  clock " + clock_label(*rules, flow, clock) + ": " + a + " -> " + b + "\n";
    }
  }
  const std::string summary = std::to_string(cases) + (cases == 1 ? " case, " : " cases, ") +
                              std::to_string(end_differently) + (end_differently == 1 ? " ends" : " end") +
                              " differently, " + std::to_string(differ - end_differently) +
                              " differ only on the way" +
                              (clock_levels == 0 ? std::string()
                                                 : ", " + std::to_string(clock_levels) +
                                                       (clock_levels == 1 ? " reaches" : " reach") +
                                                       " another SLA clock level");
  if (as_json) {
    out += json{{"summary", {{"cases", cases}, {"end_differently", end_differently},
                             {"differ_on_the_way", differ - end_differently},
                             {"clock_levels_differ", clock_levels}}}}
               .dump() +
           "\n";
  } else {
    out += summary + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return differ == 0 ? exit_ok : exit_differs;
}

}  // namespace crmflow::cli
