// crmflow simulate <rules> <events.jsonl> [--until T] [--out FILE] [--summary] [--utc-offset +08:00]
//                  [--store PATH [--commit-every N]]
//
// Replays an events file through an engine and writes the timeline (timeline.hpp). Each input
// line is checked completely before anything is done with it, so a bad line changes nothing;
// it is reported (timeline record + stderr) and the run goes on.
//
// With --store, the engine is a durable_engine: inputs are journaled and committed in groups of
// N lines before their records are written. A run that stops is continued by running again with
// the same store and events file: the lines already journaled are replayed silently through a
// plain engine (to rebuild the CLI's own state and the summary counts, and to check that the
// file is the one the store was written from), then the run goes on from the next line.
#include <nlohmann/json.hpp>

#include <charconv>
#include <cinttypes>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_map>

#include "cli/commands.hpp"
#include "cli/input.hpp"
#include "cli/output.hpp"
#include "cli/timeline.hpp"
#include "crmflow/durable_engine.hpp"
#include "crmflow/engine.hpp"
#include "crmflow/snapshot.hpp"
#include "crmflow/store.hpp"
#include "crmflow/time.hpp"

namespace crmflow::cli {
namespace {

using json = nlohmann::json;

using detail::name_map;

// "+08:00", "-05:30", "Z" -> minutes east of UTC.
std::optional<int> parse_utc_offset(std::string_view s) {
  if (s == "Z" || s == "z") return 0;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  auto digit = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -100; };
  const int h = digit(1) * 10 + digit(2);
  const int m = digit(4) * 10 + digit(5);
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  return (h * 60 + m) * (s[0] == '-' ? -1 : 1);
}

std::string_view json_type_name(const json& j) {
  if (j.is_number_integer()) return "an integer";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_null()) return "null";
  if (j.is_array()) return "an array";
  return "an object";
}

// Converts a JSON value to the raw value of a declared type; on failure returns nullopt and
// says why in `error` (without the item's name). `eng` interns strings (engine or simulation).
template <class Interner>
std::optional<raw_value> convert(Interner& eng, const detail::flow_program& fl, value_type type,
                                 std::uint32_t enum_index, const json& j, std::string& error) {
  switch (type) {
    case value_type::string:
      if (j.is_string()) return eng.intern(j.get_ref<const std::string&>());
      error = "expected a string";
      break;
    case value_type::integer:
      if (j.is_number_unsigned()) {
        if (j.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          return static_cast<raw_value>(j.get<std::uint64_t>());
        error = "integer out of range";
        return std::nullopt;
      }
      if (j.is_number_integer()) return j.get<std::int64_t>();
      error = "expected an integer";
      break;
    case value_type::boolean:
      if (j.is_boolean()) return j.get<bool>() ? 1 : 0;
      error = "expected true or false";
      break;
    case value_type::enumeration: {
      const auto& values = fl.enums[enum_index].values;
      if (j.is_string()) {
        const std::string& s = j.get_ref<const std::string&>();
        for (std::size_t i = 0; i < values.size(); ++i)
          if (values[i] == s) return static_cast<raw_value>(i);
      }
      error = "expected one of";
      for (std::size_t i = 0; i < values.size(); ++i) {
        error += i ? ", " : " ";
        error += values[i];
      }
      if (j.is_string()) {
        error += "; got ";
        error += j.dump(-1, ' ', false, json::error_handler_t::replace);
        return std::nullopt;
      }
      break;
    }
    case value_type::timestamp:
      if (j.is_string()) {
        if (auto t = parse_timestamp(j.get_ref<const std::string&>())) return *t;
        error = "bad timestamp " + j.dump(-1, ' ', false, json::error_handler_t::replace) +
                " (expected RFC 3339, like 2026-03-02T09:15:00+08:00)";
        return std::nullopt;
      }
      error = "expected an RFC 3339 timestamp string";
      break;
    case value_type::duration:
      if (j.is_string()) {
        if (auto d = parse_duration(j.get_ref<const std::string&>())) return *d;
        error = "bad duration " + j.dump(-1, ' ', false, json::error_handler_t::replace) +
                " (expected like 90s, 10m, 24h, 1d12h, 24小时, 3天 or 24 hours)";
        return std::nullopt;
      }
      error = "expected a duration string like \"24h\"";
      break;
  }
  error += ", got ";
  error += json_type_name(j);
  return std::nullopt;
}

struct options {
  std::string_view rules_path;
  std::string_view events_path;
  std::optional<timestamp> until;
  std::optional<std::string_view> out_path;
  bool summary = false;
  int utc_offset = 8 * 60;
  std::optional<std::string_view> store_path;
  std::uint64_t commit_every = 1000;  // input lines per group commit (--store)
  observer* extra = nullptr;          // replay_events: hears the run beside the timeline writer
  std::string_view command = "simulate";  // for messages
};

// The timeline writer and another observer, in that order.
class tee_observer final : public observer {
 public:
  tee_observer(observer& a, observer& b) : a_(a), b_(b) {}
  void on_created(const engine& e, const created_record& r) override { a_.on_created(e, r); b_.on_created(e, r); }
  void on_transition(const engine& e, const transition_record& r) override { a_.on_transition(e, r); b_.on_transition(e, r); }
  void on_action(const engine& e, const action_record& r) override { a_.on_action(e, r); b_.on_action(e, r); }
  void on_notify(const engine& e, const notify_record& r) override { a_.on_notify(e, r); b_.on_notify(e, r); }
  void on_alarm(const engine& e, const alarm_record& r) override { a_.on_alarm(e, r); b_.on_alarm(e, r); }
  void on_deadline(const engine& e, const deadline_record& r) override { a_.on_deadline(e, r); b_.on_deadline(e, r); }
  void on_timer(const engine& e, const timer_record& r) override { a_.on_timer(e, r); b_.on_timer(e, r); }
  void on_clock(const engine& e, const clock_record& r) override { a_.on_clock(e, r); b_.on_clock(e, r); }
  void on_rejected(const engine& e, const rejection_record& r) override { a_.on_rejected(e, r); b_.on_rejected(e, r); }
  void on_migrated(const engine& e, const migration_record& r) override { a_.on_migrated(e, r); b_.on_migrated(e, r); }

 private:
  observer& a_;
  observer& b_;
};

// The simulation drives a plain engine, or after use_store() a durable_engine. Every call that
// reaches the engine (create_case, post, advance_to) counts as one input: exactly one journal
// record in the durable case, which is how a continued run finds where the journal ends.
class simulation {
 public:
  // `quiet`: no stderr messages for bad lines (they were printed by the run that journaled them).
  simulation(std::shared_ptr<const rule_set> rules, const options& opt, output& out, run_stats& stats,
             bool quiet = false)
      : opt_(opt),
        stats_(stats),
        quiet_(quiet),
        writer_(out, stats, opt.utc_offset),
        tee_(writer_, opt.extra ? *opt.extra : static_cast<observer&>(writer_)),
        plain_(std::make_unique<engine>(rules, make_engine_options(opt, opt.extra ? static_cast<observer&>(tee_) : writer_))) {}

  // Handles one non-blank line.
  void line(std::uint64_t number, std::string_view text);
  void too_long(std::uint64_t number) {
    ++stats_.lines_read;
    bad_line(number, std::nullopt, std::nullopt,
             "line longer than " + std::to_string(max_line_bytes) + " bytes");
  }
  // Lets time run to --until, once per store: a continued run whose journal already holds it
  // does not add it again.
  void finish() {
    actor_.clear();  // time running on is the system's doing
    if (opt_.until && !finished_) advance(*opt_.until);
    finished_ = true;
  }
  const engine& eng() const noexcept { return durable_ ? durable_->state() : *plain_; }
  raw_value intern(std::string_view text) { return durable_ ? durable_->intern(text) : plain_->intern(text); }

  // Replaces the plain engine by a durable one recovered from `s` (its observer is this
  // simulation's timeline writer, which hears nothing of the recovery).
  store_status use_store(std::shared_ptr<const rule_set> rules, std::unique_ptr<store> s) {
    open_durable_result d =
        durable_engine::open(std::move(rules), std::move(s), make_engine_options(opt_, writer_));
    if (!d.status) return d.status;
    durable_ = std::move(d.engine);
    plain_.reset();
    return {};
  }
  // Inputs in the store's journal (0 without a store).
  std::uint64_t journaled() const noexcept { return durable_ ? durable_->last_seq() : 0; }
  // Takes over the CLI state of `from`, a plain simulation that replayed the journaled prefix.
  void continue_from(simulation& from) {
    cases_ = std::move(from.cases_);
    finished_ = from.finished_;
    inputs_ = from.inputs_;
  }
  // Inputs given to the engine so far.
  std::uint64_t inputs() const noexcept { return inputs_; }
  // Group commit (no-ops without a store).
  void begin_batch() {
    if (durable_ && !durable_->in_batch()) note(durable_->begin_batch());
  }
  void commit_batch() {
    if (durable_ && durable_->in_batch()) note(durable_->commit_batch());
  }
  // The first store error; once set, the run must stop (the batch was dropped).
  const store_status& store_error() const noexcept { return store_error_; }

 private:
  void note(store_status s) {
    if (!s && store_error_.ok()) store_error_ = std::move(s);
  }
  // The engine calls, journaled first with a store; nullopt / false when the store refused.
  std::optional<create_result> create_case(flow_id f, std::string_view name, timestamp at, const data_record* init) {
    ++inputs_;
    if (!durable_) return plain_->create_case(f, name, at, init);
    durable_result<create_result> r = durable_->create_case(f, name, at, init, actor_);
    if (!r.acknowledged()) {
      note(std::move(r.stored));
      return std::nullopt;
    }
    return r.value;
  }
  bool post(case_id c, event_id e, const data_record& data, timestamp at) {
    ++inputs_;
    if (!durable_) {
      plain_->post(c, e, data, at);
      return true;
    }
    durable_result<outcome> r = durable_->post(c, e, data, at, actor_);
    if (!r.acknowledged()) note(std::move(r.stored));
    return r.acknowledged();
  }
  // Publishes the rules at `path` (relative to the events file's folder) at `at`: time moves
  // to `at` first (one input), then the version is published (one more input if accepted;
  // a refused version is not journaled). Records `published` or `publish_refused`.
  void publish(std::uint64_t number, timestamp at, const std::string& path);

  bool advance(timestamp t) {
    ++inputs_;
    if (!durable_) {
      plain_->advance_to(t);
      return true;
    }
    durable_result<std::size_t> r = durable_->advance_to(t, actor_);
    if (!r.acknowledged()) note(std::move(r.stored));
    return r.acknowledged();
  }

  static engine_options make_engine_options(const options& opt, observer& writer) {
    engine_options o;
    o.keep_history = false;
    o.observer = &writer;
    o.display_utc_offset_minutes = opt.utc_offset;
    return o;
  }

  void bad_line(std::uint64_t number, std::optional<timestamp> at, std::optional<std::string_view> case_name,
                std::string_view message) {
    ++stats_.lines_skipped;
    writer_.input_error(at, case_name, number, message);
    if (!quiet_)
      std::fprintf(stderr, "%.*s:%" PRIu64 ": %.*s\n", static_cast<int>(opt_.events_path.size()),
                 opt_.events_path.data(), number, static_cast<int>(message.size()), message.data());
  }

  // A refusal decided here rather than by the engine. Deadlines due before `at` fire first,
  // as they would for an event the engine refuses, so the timeline stays in time order.
  void refuse(timestamp at, std::string_view case_name, std::string_view event, status why) {
    if (at < eng().now()) {
      why = status::time_backwards;
    } else if (at > std::numeric_limits<timestamp>::min()) {
      if (!advance(at - 1)) return;
    }
    writer_.rejected(at, case_name, event, why);
  }

  // Converts `data` into record_ for the event's slots (or, for create, the flow's fields).
  // Returns an error message, empty on success.
  std::string convert_data(const detail::flow_program& fl, std::optional<event_id> event, const json* data);

  const options& opt_;
  run_stats& stats_;
  bool quiet_ = false;
  bool finished_ = false;
  std::uint64_t inputs_ = 0;
  store_status store_error_;
  timeline_writer writer_;
  tee_observer tee_;  // used only with opt.extra
  std::unique_ptr<engine> plain_;  // null once use_store() succeeded
  std::unique_ptr<durable_engine> durable_;
  name_map<case_id> cases_;
  data_record record_;
  std::string actor_;  // the line's "actor", for the store's audit trail (empty: "system")
};

std::string simulation::convert_data(const detail::flow_program& fl, std::optional<event_id> event,
                                      const json* data) {
  record_.clear();
  if (!data) return {};
  std::string error;
  for (const auto& [name, value] : data->items()) {
    std::uint16_t slot = no_id16;
    value_type type = value_type::string;
    std::uint32_t enum_index = no_id32;
    if (event) {
      const detail::event_def& ev = fl.events[*event];
      for (std::size_t i = 0; i < ev.data.size(); ++i) {
        if (ev.data[i].name == name) {
          slot = static_cast<std::uint16_t>(i);
          type = ev.data[i].type;
          enum_index = ev.data[i].enum_index;
          break;
        }
      }
      if (slot == no_id16) return "event " + ev.name + " has no data item \"" + name + "\"";
    } else {
      const auto it = fl.field_by_name.find(std::string_view(name));
      if (it == fl.field_by_name.end()) return "flow " + fl.name + " has no field \"" + name + "\"";
      slot = it->second;
      type = fl.fields[slot].type;
      enum_index = fl.fields[slot].enum_index;
    }
    if (slot >= data_record::max_slots) return "data item \"" + name + "\" is past the 64th slot";
    const std::optional<raw_value> v = convert(*this, fl, type, enum_index, value, error);
    if (!v) return (event ? "data item \"" : "field \"") + name + "\": " + error;
    record_.set(slot, *v);
  }
  return {};
}

void simulation::line(std::uint64_t number, std::string_view text) {
  ++stats_.lines_read;
  if (const std::size_t bad = invalid_utf8_at(text); bad != std::string_view::npos)
    return bad_line(number, std::nullopt, std::nullopt, "invalid UTF-8 at byte " + std::to_string(bad + 1));

  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string_view what = e.what();
    if (const std::size_t p = what.find("] "); p != std::string_view::npos) what.remove_prefix(p + 2);
    return bad_line(number, std::nullopt, std::nullopt, "invalid JSON: " + std::string(what));
  }
  if (!j.is_object()) return bad_line(number, std::nullopt, std::nullopt, "expected a JSON object");

  // Pick up `at` and `case` first, so that any error record can carry them.
  const json* at_j = nullptr;
  const json* case_j = nullptr;
  const json* flow_j = nullptr;
  const json* event_j = nullptr;
  const json* data_j = nullptr;
  const json* actor_j = nullptr;
  const json* publish_j = nullptr;
  std::string unknown_key;
  for (const auto& [k, v] : j.items()) {
    if (k == "at") at_j = &v;
    else if (k == "case") case_j = &v;
    else if (k == "flow") flow_j = &v;
    else if (k == "event") event_j = &v;
    else if (k == "data") data_j = &v;
    else if (k == "actor") actor_j = &v;
    else if (k == "publish") publish_j = &v;
    else if (unknown_key.empty()) unknown_key = k;
  }
  std::optional<timestamp> at;
  if (at_j && at_j->is_string()) at = parse_timestamp(at_j->get_ref<const std::string&>());
  std::optional<std::string_view> case_name;
  if (case_j && case_j->is_string() && !case_j->get_ref<const std::string&>().empty())
    case_name = case_j->get_ref<const std::string&>();

  auto fail = [&](const std::string& message) { bad_line(number, at, case_name, message); };
  actor_.clear();
  if (!unknown_key.empty())
    return fail("unknown key \"" + unknown_key + "\" (keys: at, case, flow, event, data, actor; or at, publish)");
  if (!at_j) return fail("missing key \"at\"");
  if (!at) {
    if (!at_j->is_string()) return fail("\"at\" must be an RFC 3339 timestamp string");
    return fail("bad timestamp \"" + at_j->get<std::string>() + "\" in \"at\" (expected RFC 3339, like 2026-03-02T09:15:00+08:00)");
  }
  if (publish_j) {
    if (case_j || flow_j || event_j || data_j)
      return fail("a \"publish\" line has only \"at\", \"publish\" (the rules of the new version) and \"actor\"");
    if (actor_j && (!actor_j->is_string() || actor_j->get_ref<const std::string&>().empty()))
      return fail("\"actor\" must be a non-empty string");
    if (actor_j) actor_ = actor_j->get_ref<const std::string&>();
    if (!publish_j->is_string() || publish_j->get_ref<const std::string&>().empty())
      return fail("\"publish\" must be the path of a rules file or folder");
    if (!stats_.first_at) stats_.first_at = *at;
    return publish(number, *at, publish_j->get_ref<const std::string&>());
  }
  if (!case_j) return fail("missing key \"case\"");
  if (!case_name) return fail("\"case\" must be a non-empty string");
  if (!event_j) return fail("missing key \"event\"");
  if (!event_j->is_string()) return fail("\"event\" must be a string");
  if (flow_j && !flow_j->is_string()) return fail("\"flow\" must be a string");
  if (data_j && !data_j->is_object()) return fail("\"data\" must be an object");
  if (actor_j && (!actor_j->is_string() || actor_j->get_ref<const std::string&>().empty()))
    return fail("\"actor\" must be a non-empty string");
  if (actor_j) actor_ = actor_j->get_ref<const std::string&>();
  const std::string& event_name = event_j->get_ref<const std::string&>();
  if (!stats_.first_at) stats_.first_at = *at;

  if (flow_j) {
    // The first line of a case: creates it.
    const std::string& flow_name = flow_j->get_ref<const std::string&>();
    const std::optional<flow_id> f = eng().rules().find_flow(flow_name);
    if (!f) return fail("unknown flow \"" + flow_name + "\"");
    const detail::flow_program& fl = eng().rules().flow(*f);
    const bool create_only = event_name == "create";
    std::optional<event_id> e;
    if (!create_only) {
      if (auto it = fl.event_by_name.find(std::string_view(event_name)); it != fl.event_by_name.end()) e = it->second;
    }
    if (cases_.contains(*case_name)) return refuse(*at, *case_name, event_name, status::duplicate_case);
    std::string error;
    if (create_only || e) {
      error = convert_data(fl, e, data_j);
      if (!error.empty()) return fail(error);
    }
    // Fields come from data only for `create`; otherwise the case starts with its defaults.
    const std::optional<create_result> made = create_case(*f, *case_name, *at, create_only ? &record_ : nullptr);
    if (!made) return;
    const create_result& created = *made;
    if (!created.accepted()) return refuse(*at, *case_name, event_name, created.status);
    cases_.emplace(std::string(*case_name), created.id);
    if (create_only) return;
    if (!e) return refuse(*at, *case_name, event_name, status::unknown_event);
    post(created.id, *e, record_, *at);
    return;
  }

  // A case of the input, or one a trigger opened (named by the engine).
  std::optional<case_id> id;
  if (const auto c = cases_.find(*case_name); c != cases_.end()) id = c->second;
  else id = eng().find_case(*case_name);
  // A trigger may open the case at a deadline between the previous line and this one: fire
  // those first (as posting would), then look again.
  // A refusal fires them all the same (refuse), so an unknown case costs no extra input.
  if (!id && *at >= eng().now() && *at > std::numeric_limits<timestamp>::min()) {
    if (!advance(*at - 1)) return;
    id = eng().find_case(*case_name);
    if (!id) return writer_.rejected(*at, *case_name, event_name, status::unknown_case);
  }
  if (!id) return refuse(*at, *case_name, event_name, status::unknown_case);
  const flow_id f = eng().case_flow(*id);
  const rule_set& rules = eng().rules_of(*id);  // the case's own version
  const detail::flow_program& fl = rules.flow(f);
  const auto e = fl.event_by_name.find(std::string_view(event_name));
  if (e == fl.event_by_name.end()) return refuse(*at, *case_name, event_name, status::unknown_event);
  const std::string error = convert_data(fl, e->second, data_j);
  if (!error.empty()) return fail(error);
  post(*id, e->second, record_, *at);
}

void simulation::publish(std::uint64_t number, timestamp at, const std::string& path) {
  if (at < eng().now()) return writer_.published(at, path, 0, false, 0, "time_backwards: the line is older than the run");
  if (!advance(at)) return;
  std::filesystem::path where(path);
  if (where.is_relative() && opt_.events_path != "-")
    where = std::filesystem::path(opt_.events_path).parent_path() / where;
  read_sources_result read = read_rules_sources({where});
  publish_result r;
  if (!read.ok()) {
    r.diagnostics = std::move(read.diagnostics);
  } else if (!durable_) {
    r = plain_->publish(read.sources);
  } else {
    durable_result<publish_result> d = durable_->publish(read.sources, actor_);
    if (!d.acknowledged()) return note(std::move(d.stored));
    r = std::move(d.value);
  }
  if (r.accepted) ++inputs_;  // one journal record
  std::string first;
  for (const diagnostic& d : r.diagnostics)
    if (d.severity == severity::error) {
      first = to_string(d);
      break;
    }
  writer_.published(at, path, r.version, r.accepted, r.migrated, first);
  if (r.accepted) return;
  ++stats_.lines_skipped;
  if (!quiet_) {
    std::fprintf(stderr, "%.*s:%" PRIu64 ": publish %s refused; the running cases are untouched:\n",
                 static_cast<int>(opt_.events_path.size()), opt_.events_path.data(), number, path.c_str());
    for (const diagnostic& d : r.diagnostics) std::fprintf(stderr, "  %s\n", to_string(d).c_str());
  }
}

void print_summary(std::FILE* to, const run_stats& s, const engine& eng, int offset) {
  std::string out;
  auto line = [&](const char* label, std::uint64_t n) {
    out += label;
    out += std::to_string(n);
    out += '\n';
  };
  out += "lines:         " + std::to_string(s.lines_read) + " read, " + std::to_string(s.lines_skipped) +
         " skipped\n";
  line("cases:         ", s.cases_created);

  // Cases per current state, flow by flow, states in declaration order.
  // Cases on older rule versions count under the newest's flow and state of the same name.
  const rule_set& rules = eng.rules();
  std::vector<std::vector<std::uint64_t>> per_state(rules.flow_count());
  for (std::size_t f = 0; f < rules.flow_count(); ++f) per_state[f].resize(rules.flow(static_cast<flow_id>(f)).states.size());
  for (case_id c = 0; c < eng.case_count(); ++c) {
    if (&eng.rules_of(c) == &rules) {
      ++per_state[eng.case_flow(c)][eng.state(c)];
      continue;
    }
    const std::optional<flow_id> f = rules.find_flow(eng.rules_of(c).flow(eng.case_flow(c)).name);
    if (!f) continue;
    if (const std::optional<state_id> st = rules.find_state(*f, eng.state_name(c))) ++per_state[*f][*st];
  }
  for (std::size_t f = 0; f < rules.flow_count(); ++f) {
    const detail::flow_program& fl = rules.flow(static_cast<flow_id>(f));
    std::string states;
    for (std::size_t st = 0; st < fl.states.size(); ++st) {
      if (per_state[f][st] == 0) continue;
      if (!states.empty()) states += ", ";
      states += fl.states[st].label.empty() ? fl.states[st].name : fl.states[st].label;
      states += ' ';
      states += std::to_string(per_state[f][st]);
    }
    if (states.empty()) continue;
    out += "  " + fl.name + ": " + states + '\n';
  }
  line("transitions:   ", s.transitions);
  line("deadlines:     ", s.deadlines);
  out += "alarms:        " + std::to_string(s.alarms);
  if (!s.alarms_by_name.empty()) {
    out += " (";
    bool first = true;
    for (const auto& [name, n] : s.alarms_by_name) {
      if (!first) out += ", ";
      out += name + ' ' + std::to_string(n);
      first = false;
    }
    out += ')';
  }
  out += '\n';
  line("notifications: ", s.notifications);
  std::uint64_t total = 0;
  std::string reasons;
  for (std::size_t i = 0; i < s.rejections.size(); ++i) {
    if (s.rejections[i] == 0) continue;
    total += s.rejections[i];
    if (!reasons.empty()) reasons += ", ";
    reasons += std::string(to_string(static_cast<status>(i))) + ' ' + std::to_string(s.rejections[i]);
  }
  out += "rejections:    " + std::to_string(total);
  if (!reasons.empty()) out += " (" + reasons + ')';
  out += '\n';
  if (s.first_at) {
    out += "period:        ";
    append_timestamp(out, *s.first_at, offset);
    out += " .. ";
    append_timestamp(out, std::max(eng.now(), *s.first_at), offset);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), to);
}

// Reads the next line of `reader` into `sim`; false at end of input.
bool feed_line(line_reader& reader, std::uint64_t& number, simulation& sim) {
  std::string_view text;
  bool too_long = false;
  if (!reader.next(text, too_long)) return false;
  ++number;
  if (too_long) sim.too_long(number);
  else if (text.find_first_not_of(" \t") != std::string_view::npos) sim.line(number, text);  // not blank
  return true;
}

// CRC-32 of the rules text: a file's bytes, or a directory's *.yaml / *.yml files in name
// order (names and bytes), as load_rules reads them. nullopt if a file cannot be read.
std::optional<std::uint32_t> rules_checksum(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::string all;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    all += f.filename().string();
    all += '\0';
    all += bytes.str();
    all += '\0';
  }
  return crc32_of(all);
}

// The rules checksum is kept beside the store, in PATH.rules (the store interface has no room
// for metadata): written when the store is new, compared when a run is continued.
std::filesystem::path rules_note_path(std::string_view store_path) { return std::string(store_path) + ".rules"; }

int fail_store(std::string_view message) {
  std::fprintf(stderr, "crmflow simulate: %.*s\n", static_cast<int>(message.size()), message.data());
  return exit_failure;
}

}  // namespace

int run_simulate(const args& a) {
  options opt;
  std::vector<std::string_view> positional;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool missing = false;
    if (auto v = option_value(a, i, "--until", missing)) {
      if (missing) return usage_error("simulate", "--until needs a time (RFC 3339)");
      opt.until = parse_timestamp(*v);
      if (!opt.until) return usage_error("simulate", "--until: bad time " + std::string(*v) + " (expected RFC 3339, like 2026-03-31T00:00:00+08:00)");
    } else if (auto o = option_value(a, i, "--out", missing)) {
      if (missing || o->empty()) return usage_error("simulate", "--out needs a file name");
      opt.out_path = *o;
    } else if (auto z = option_value(a, i, "--utc-offset", missing)) {
      const std::optional<int> off = missing ? std::nullopt : parse_utc_offset(*z);
      if (!off) return usage_error("simulate", "--utc-offset needs an offset like +08:00, -05:00 or Z");
      opt.utc_offset = *off;
    } else if (auto st = option_value(a, i, "--store", missing)) {
      if (missing || st->empty()) return usage_error("simulate", "--store needs a file name");
      opt.store_path = *st;
    } else if (auto n = option_value(a, i, "--commit-every", missing)) {
      std::uint64_t every = 0;
      const auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), every);
      if (missing || ec != std::errc() || end != n->data() + n->size() || every == 0)
        return usage_error("simulate", "--commit-every needs a number of lines (1 or more)");
      opt.commit_every = every;
    } else if (a[i] == "--summary") {
      opt.summary = true;
    } else if (a[i].size() > 1 && a[i][0] == '-') {
      return usage_error("simulate", "unknown option " + std::string(a[i]));
    } else {
      positional.push_back(a[i]);
    }
  }
  if (positional.size() != 2) return usage_error("simulate", "expected <rules> <events.jsonl>");
  opt.rules_path = positional[0];
  opt.events_path = positional[1];

  const std::shared_ptr<const rule_set> rules = load_and_report({std::filesystem::path(opt.rules_path)}, stderr);
  if (!rules) return exit_failure;

  // The store is opened (and locked) before any file is written, so that a store in use by
  // another run leaves the timeline file alone.
  std::unique_ptr<store> opened_store;
  if (opt.store_path) {
    open_store_result s = open_sqlite_store(std::filesystem::path(*opt.store_path));
    if (!s.status) return fail_store(s.status.message());
    opened_store = std::move(s.store);
  }

  std::FILE* in = stdin;
  if (opt.events_path != "-") {
    in = std::fopen(std::string(opt.events_path).c_str(), "rb");
    if (!in) {
      std::fprintf(stderr, "crmflow simulate: cannot open %s\n", std::string(opt.events_path).c_str());
      return exit_failure;
    }
  }
  std::FILE* out_file = stdout;
  if (opt.out_path) {
    out_file = std::fopen(std::string(*opt.out_path).c_str(), "wb");
    if (!out_file) {
      std::fprintf(stderr, "crmflow simulate: cannot write %s\n", std::string(*opt.out_path).c_str());
      if (in != stdin) std::fclose(in);
      return exit_failure;
    }
  }
  auto close_files = [&] {
    if (in != stdin) std::fclose(in);
    if (out_file != stdout) std::fclose(out_file);
  };

  run_stats stats;
  bool read_failed = false;
  bool write_ok = true;
  {
    output out(out_file);
    simulation sim(rules, opt, out, stats);
    line_reader reader(in);
    std::uint64_t number = 0;

    if (opened_store) {
      out.hold(true);
      const std::filesystem::path note = rules_note_path(*opt.store_path);
      const std::optional<std::uint32_t> crc = rules_checksum(std::filesystem::path(opt.rules_path));
      if (store_status s = sim.use_store(rules, std::move(opened_store)); !s) {
        close_files();
        return fail_store(s.message());
      }
      char crc_text[16];
      std::snprintf(crc_text, sizeof crc_text, "%08x", crc ? *crc : 0u);
      const std::uint64_t journaled = sim.journaled();
      if (journaled == 0) {
        std::ofstream(note, std::ios::binary | std::ios::trunc) << "rules-crc32 " << crc_text << '\n';
      } else if (std::ifstream noted(note, std::ios::binary); noted) {
        std::string key, value;
        noted >> key >> value;
        if (crc && value != crc_text) {
          close_files();
          return fail_store("store " + std::string(*opt.store_path) + " was written with other rules (rules-crc32 " +
                            value + " in " + note.string() + ", " + crc_text + " for " +
                            std::string(opt.rules_path) + "); continue it with the same rules, or use a new store");
        }
      }

      if (journaled > 0) {
        // Continue: replay the journaled prefix of the file silently, and check that it leads
        // to the state the store recovered.
        output nowhere(nullptr);
        simulation prefix(rules, opt, nowhere, stats, /*quiet=*/true);
        while (prefix.inputs() < journaled && feed_line(reader, number, prefix)) {
        }
        if (prefix.inputs() < journaled && !reader.failed()) prefix.finish();
        std::string mismatch;
        if (reader.failed()) {
          mismatch = "error reading " + std::string(opt.events_path);
        } else if (prefix.inputs() < journaled) {
          mismatch = "the events file ends at line " + std::to_string(number) + " but the store holds " +
                     std::to_string(journaled) + " inputs, more than the file gives (" +
                     std::to_string(prefix.inputs()) + ")";
        } else if (prefix.inputs() > journaled) {
          mismatch = "the store's journal (" + std::to_string(journaled) + " inputs) ends inside line " +
                     std::to_string(number) + " of the events file";
        } else if (encode_engine(prefix.eng()) != encode_engine(sim.eng())) {
          mismatch = "lines 1-" + std::to_string(number) + " of the events file do not lead to the state in the store";
        }
        if (!mismatch.empty()) {
          close_files();
          return fail_store("cannot continue store " + std::string(*opt.store_path) + ": " + mismatch +
                            ". It was written from another events file (or other rules or options); "
                            "use the same ones, or a new store");
        }
        sim.continue_from(prefix);
      }
    }

    std::uint64_t lines_in_batch = 0;
    bool more = true;
    while (more && sim.store_error().ok()) {
      sim.begin_batch();
      more = feed_line(reader, number, sim);
      if (!more || !opt.store_path || ++lines_in_batch < opt.commit_every) continue;
      sim.commit_batch();
      if (sim.store_error().ok()) write_ok = out.flush() && write_ok;
      lines_in_batch = 0;
    }
    read_failed = reader.failed();
    if (!read_failed && sim.store_error().ok()) sim.finish();
    sim.commit_batch();
    if (!sim.store_error().ok()) {
      out.discard();  // records of inputs that are not durable
      const std::string message = sim.store_error().message();
      close_files();
      return fail_store(message + " (the run stopped after line " + std::to_string(number) +
                        "; inputs of the unfinished group commit were not kept)");
    }
    write_ok = out.flush() && write_ok;
    if (opt.summary) print_summary(opt.out_path ? stdout : stderr, stats, sim.eng(), opt.utc_offset);
  }
  if (in != stdin) std::fclose(in);
  if (out_file != stdout && std::fclose(out_file) != 0) write_ok = false;
  if (read_failed) {
    std::fprintf(stderr, "crmflow simulate: error reading %s\n", std::string(opt.events_path).c_str());
    return exit_failure;
  }
  if (!write_ok) {
    std::fprintf(stderr, "crmflow simulate: error writing the timeline\n");
    return exit_failure;
  }
  return stats.lines_skipped ? exit_skipped_lines : exit_ok;
}

int replay_events(std::shared_ptr<const rule_set> rules, std::string_view command,
                  std::string_view events_path, std::optional<timestamp> until, observer& extra,
                  const std::function<void(const engine&)>& at_end, run_stats& stats) {
  options opt;
  opt.events_path = events_path;
  opt.until = until;
  opt.extra = &extra;
  opt.command = command;
  std::FILE* in = stdin;
  if (events_path != "-") {
    in = std::fopen(std::string(events_path).c_str(), "rb");
    if (!in) {
      std::fprintf(stderr, "crmflow %.*s: cannot open %s\n", static_cast<int>(command.size()), command.data(),
                   std::string(events_path).c_str());
      return exit_failure;
    }
  }
  bool read_failed = false;
  {
    output nowhere(nullptr);
    simulation sim(std::move(rules), opt, nowhere, stats);
    line_reader reader(in);
    std::uint64_t number = 0;
    while (feed_line(reader, number, sim)) {
    }
    read_failed = reader.failed();
    if (!read_failed) sim.finish();
    at_end(sim.eng());
  }
  if (in != stdin) std::fclose(in);
  if (read_failed) {
    std::fprintf(stderr, "crmflow %.*s: error reading %s\n", static_cast<int>(command.size()), command.data(),
                 std::string(events_path).c_str());
    return exit_failure;
  }
  return stats.lines_skipped ? exit_skipped_lines : exit_ok;
}

}  // namespace crmflow::cli
