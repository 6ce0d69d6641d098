// The schema walk: YAML tree -> checked, compiled flow_programs. Every check reports and goes
// on, so one run shows the analyst every problem of every file; a file with any error
// contributes nothing, and a set with any error yields no rule set.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crmflow/rule_set.hpp"
#include "loader/business_time.hpp"
#include "loader/duration_text.hpp"
#include "loader/expr_compiler.hpp"
#include "loader/kpi_loader.hpp"
#include "loader/map_keys.hpp"
#include "loader/migration_loader.hpp"
#include "loader/seeded_load.hpp"
#include "loader/optimize.hpp"
#include "loader/table_loader.hpp"
#include "loader/template_compiler.hpp"
#include "loader/trigger_loader.hpp"
#include "loader/utf8.hpp"
#include "loader/where_text.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow {

std::optional<raw_value> rule_set::find_enum_value(flow_id f, field_id field,
                                                   std::string_view value) const {
  const detail::flow_program& flow = flows_.at(f);
  const detail::field_def& def = flow.fields.at(field);
  if (def.type != value_type::enumeration || def.enum_index >= flow.enums.size())
    return std::nullopt;
  const auto& values = flow.enums[def.enum_index].values;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] == value) return static_cast<raw_value>(i);
  return std::nullopt;
}

namespace loader {
namespace {

using detail::action_def;
using detail::action_kind;
using detail::action_range;
using detail::flow_program;

constexpr std::size_t max_fields = 64;
constexpr std::size_t max_data = 64;
constexpr std::size_t max_groups = 64;
constexpr std::size_t max_ids = 0xFFFE;  // dense 16-bit ids; 0xFFFF means "none"
// states x events: the dispatch tables have a cell per pair (40 bytes each, plus the index),
// so a short hostile file could otherwise ask for gigabytes; and a cell keeps the distance to
// another row in 32 bits (detail::dispatch_cell::to_delta).
constexpr std::size_t max_state_events = std::size_t{1} << 22;
// Each transition may add a cell to those tables (a guarded candidate's next one).
constexpr std::size_t max_transitions = std::size_t{1} << 22;

const char* const type_names = "string, int, bool, enum, timestamp, duration";

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::optional<value_type> parse_type_name(std::string_view s) {
  if (s == "string") return value_type::string;
  if (s == "int") return value_type::integer;
  if (s == "bool") return value_type::boolean;
  if (s == "enum") return value_type::enumeration;
  if (s == "timestamp") return value_type::timestamp;
  if (s == "duration") return value_type::duration;
  return std::nullopt;
}

// Calendar months where a fixed length is needed (a duration field, a literal).
std::string months_not_a_duration(std::string_view text) {
  return "'" + std::string(text) +
         "' is calendar months, which have no fixed length: write it in a timer's 'after' or "
         "add it to a timestamp (handed_over_at + " + std::string(text) +
         "), or give a duration such as 90d";
}

// The keys found in a map node, after checking them against what is allowed there.
using keys = map_keys;

// Which scalar key of a map first had the text of key i: i itself, or an earlier index. Maps of
// a few keys are scanned; a larger one (the states of a flow) is sorted once, so a hostile map
// of many keys costs O(n log n). Allocates only for the larger maps.
class first_keys {
 public:
  explicit first_keys(const ynode& map) : entries_(map.entries) {
    if (entries_.size() <= scan_limit) return;
    std::vector<std::uint32_t> order;
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].first.is_scalar()) order.push_back(static_cast<std::uint32_t>(i));
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return entries_[a].first.text < entries_[b].first.text;
    });
    first_.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) first_[i] = static_cast<std::uint32_t>(i);
    for (std::size_t r = 1; r < order.size(); ++r)
      if (entries_[order[r]].first.text == entries_[order[r - 1]].first.text)
        first_[order[r]] = first_[order[r - 1]];
  }

  // Key i must be a scalar.
  std::size_t operator()(std::size_t i) const {
    if (!first_.empty()) return first_[i];
    const ytext& text = entries_[i].first.text;
    for (std::size_t j = 0; j < i; ++j)
      if (entries_[j].first.is_scalar() && entries_[j].first.text == text) return j;
    return i;
  }

 private:
  static constexpr std::size_t scan_limit = 16;
  const ylist<yentry> entries_;  // a view into the tree
  std::vector<std::uint32_t> first_;
};

// Global state of one load: flow names across files, the shared literal pool.
struct set_state {
  detail::string_pool literals;
  struct flow_origin {
    std::string file;
    int line = 0;
  };
  std::map<std::string, flow_origin, std::less<>> flow_names;
  std::vector<trigger_source> triggers;   // every file's `triggers:`, compiled after all flows
  std::vector<trigger_def> trigger_defs;
  std::vector<report_source> reports;     // every file's `report:`, checked after all flows
  std::optional<report_spec> report;
  std::vector<table_source> tables;       // every file's `tables:`, compiled after all flows
  calendar_set calendars;
  std::optional<rule_set_id> id;               // the first file's `ruleset:`
  std::vector<migration_source> migrations;   // every file's `migrations:`
  std::vector<migration_def> migration_defs;
};

class file_loader {
 public:
  file_loader(std::string file, set_state& set, std::vector<diagnostic>& diags)
      : file_(std::move(file)), set_(set), diags_(diags) {}

  // Checks and compiles the file; appends its flows to `out` only if it has no error.
  void load(std::string_view text, std::vector<flow_program>& out) {
    const std::size_t errors_before = diags_.size();
    const auto bad = find_invalid_utf8(text);
    if (!bad.empty()) {
      for (const auto& e : bad) {
        static const char* hex = "0123456789abcdef";
        std::string byte = "0x";
        byte += hex[e.byte >> 4];
        byte += hex[e.byte & 15];
        error_at(e.line, e.column, "invalid UTF-8 (byte " + byte + ")");
      }
      return;
    }
    const std::optional<ydoc> doc = read_yaml(text, file_, diags_);
    if (!doc) return;
    std::vector<flow_program> flows;
    walk_file(doc->root(), flows);
    if (diags_.size() == errors_before) {
      for (auto& f : flows) out.push_back(std::move(f));
    }
  }

 private:
  // ---- reporting --------------------------------------------------------------------------

  void error_at(int line, int column, std::string message) {
    diags_.push_back({severity::error, file_, line, column, std::move(message)});
    ++flow_errors_;
  }
  void error(const ynode& at, std::string message) {
    error_at(at.line, at.column, std::move(message));
  }
  report_fn reporter() {
    return [this](const ynode& at, std::string message) { error(at, std::move(message)); };
  }
  // Position of byte `offset` of a scalar's text: exact for a one-line plain or quoted scalar,
  // the scalar's start for block and multi-line ones.
  void error_in(const ynode& scalar, std::size_t offset, std::string message) {
    if (scalar.style == '|' || scalar.style == '>' ||
        scalar.text.find('\n') != std::string::npos) {
      error(scalar, std::move(message));
      return;
    }
    const int quote = (scalar.style == '"' || scalar.style == '\'') ? 1 : 0;
    error_at(scalar.line, scalar.column + quote + static_cast<int>(offset), std::move(message));
  }

  bool expect_kind(const ynode& n, ynode_kind kind, const where_text& what) {
    if (n.kind == kind) return true;
    error(n, what + " must be " + describe(kind) + ", found " + describe(n.kind));
    return false;
  }

  // A map node, or null (meaning empty) when `null_ok`.
  bool expect_map(const ynode& n, const where_text& what, bool null_ok = true) {
    if (null_ok && n.is_null()) return true;
    return expect_kind(n, ynode_kind::map, what);
  }

  // Checks a map's keys against `allowed`; reports unknown, duplicate and non-name keys.
  keys read_keys(const ynode& map, const where_text& where,
                 std::initializer_list<std::string_view> allowed) {
    return read_map_keys(map, where, allowed, [this](const ynode& at, std::string m) { error(at, std::move(m)); });
  }

  // Walks a map of names (states, events, ...): checks each name and reports duplicates, then
  // calls f(name, key, value) for each first occurrence.
  template <class F>
  void each_named(const ynode& map, std::string_view noun, F&& f) {
    // A repeated name has the same text as its first occurrence, so that one was a scalar that
    // passed check_name too.
    const first_keys first(map);
    for (std::size_t i = 0; i < map.entries.size(); ++i) {
      const auto& [k, v] = map.entries[i];
      if (!k.is_scalar()) {
        error(k, "expected a " + std::string(noun) + " name, found " + describe(k.kind));
        continue;
      }
      if (!check_name(k, noun)) continue;
      if (const std::size_t f0 = first(i); f0 != i) {
        error(k, "duplicate " + std::string(noun) + " '" + k.text + "' (first defined at line " +
                     std::to_string(map.entries[f0].first.line) + ")");
        continue;
      }
      f(std::string(k.text), k, v);
    }
  }

  bool check_name(const ynode& n, std::string_view noun) {
    if (is_identifier(n.text)) return true;
    error(n, "bad " + std::string(noun) + " name '" + n.text +
                 "' (a name is ASCII letters, digits and '_', starting with a letter)");
    return false;
  }

  std::string scalar_text(const ynode* n, const where_text& what) {
    if (!n || n->is_null()) return {};
    if (!expect_kind(*n, ynode_kind::scalar, what)) return {};
    return std::string(n->text);
  }

  // ---- file and flow ----------------------------------------------------------------------

  void walk_file(const ynode& root, std::vector<flow_program>& flows) {
    if (!root.is_map()) {
      error(root, std::string("a rules file must be a map with the key 'flows', found ") +
                      describe(root.kind));
      return;
    }
    keys top = read_keys(root, "the top level of the file",
                         {"calendars", "flows", "migrations", "report", "ruleset", "tables", "triggers"});
    if (const ynode* rp = top.get("report")) set_.reports.push_back({file_, ydoc::copy_of(*rp)});
    if (const ynode* tr = top.get("triggers")) set_.triggers.push_back({file_, ydoc::copy_of(*tr)});
    if (const ynode* tb = top.get("tables")) set_.tables.push_back({file_, ydoc::copy_of(*tb)});
    if (const ynode* cal = top.get("calendars")) read_calendars(*cal, file_, set_.calendars, diags_);
    if (const ynode* rs = top.get("ruleset")) read_rule_set_id(file_, *top.key("ruleset"), *rs, set_.id, diags_);
    if (const ynode* mi = top.get("migrations")) set_.migrations.push_back({file_, ydoc::copy_of(*mi)});
    const ynode* fl = top.get("flows");
    if (!fl) {
      if (top.get("triggers")) return;  // a file of triggers only
      if (top.get("calendars")) return;  // a file of calendars only
      if (top.get("report")) return;     // a file of KPI targets only
      if (top.get("tables")) return;     // a file of decision tables only
      if (top.get("ruleset") || top.get("migrations")) return;  // a file naming the version
      if (top.empty() && root.entries.empty())
        error(root, "a rules file must be a map with the key 'flows'");
      else if (root.entries.size() == top.size())
        error(root, "missing key 'flows' at the top level of the file");
      return;
    }
    if (!expect_map(*fl, "'flows'")) return;
    each_named(*fl, "flow", [&](const std::string& name, const ynode& key, const ynode& value) {
      if (auto it = set_.flow_names.find(name); it != set_.flow_names.end()) {
        error(key, "duplicate flow '" + name + "' (first defined in " + it->second.file +
                       " at line " + std::to_string(it->second.line) + ")");
        return;
      }
      set_.flow_names.emplace(name, set_state::flow_origin{file_, key.line});
      flow_program flow;
      flow.name = name;
      flow.file = file_;
      if (compile_flow(key, value, flow)) flows.push_back(std::move(flow));
    });
  }

  struct state_decl {
    const ynode* key = nullptr;
    keys k;
  };
  struct group_decl {
    const ynode* key = nullptr;
    keys k;
    std::vector<state_id> members;
    bool has_transitions_or_timers = false;
  };
  struct timer_decl {
    const ynode* node = nullptr;
    const ynode* do_node = nullptr;
  };

  bool compile_flow(const ynode& key, const ynode& value, flow_program& flow) {
    flow_errors_ = 0;
    flow_ = &flow;
    const where_text where("flow '", flow.name, "'");
    if (!expect_map(value, where, false)) return false;
    keys k = read_keys(value, where,
                       {"label", "calendar", "calendar_field", "fields", "events", "initial",
                        "states", "groups", "timers", "clocks"});
    flow.label = scalar_text(k.get("label"), where_text("'label' of ", where));
    if (const ynode* n = k.get("fields")) read_fields(*n);
    flow_calendar_in_scope_ = read_flow_calendar(k.get("calendar"), k.get("calendar_field"), flow,
                                                 file_, set_.calendars, reporter());
    if (const ynode* n = k.get("events")) read_events(*n);

    const ynode* states = k.get("states");
    if (!states) error(key, where + " is missing the key 'states'");
    const ynode* initial = k.get("initial");
    if (!initial) error(key, where + " is missing the key 'initial'");

    // Declarations first, so that transitions and actions may name what is defined later.
    std::vector<state_decl> state_decls;
    std::vector<group_decl> group_decls;
    std::vector<timer_decl> timer_decls;
    if (states) declare_states(*states, state_decls);
    if (const ynode* n = k.get("groups")) declare_groups(*n, group_decls);
    for (std::size_t s = 0; s < state_decls.size(); ++s)
      declare_timers(state_decls[s].k.get("timers"), detail::timer_scope::state,
                     static_cast<std::uint16_t>(s), where_text("state '", flow.states[s].name, "'"),
                     timer_decls, flow.states[s].timers_first, flow.states[s].timers_count);
    for (std::size_t g = 0; g < group_decls.size(); ++g)
      declare_timers(group_decls[g].k.get("timers"), detail::timer_scope::group,
                     static_cast<std::uint16_t>(g), where_text("group '", flow.groups[g].name, "'"),
                     timer_decls, flow.groups[g].timers_first, flow.groups[g].timers_count);
    std::uint32_t unused_first = 0, unused_count = 0;
    declare_timers(k.get("timers"), detail::timer_scope::flow, 0, where, timer_decls,
                   unused_first, unused_count);

    if (initial && expect_kind(*initial, ynode_kind::scalar, where_text("'initial' of ", where))) {
      auto it = flow.state_by_name.find(initial->text);
      if (it == flow.state_by_name.end())
        error(*initial, "initial state '" + initial->text + "' is not a state of " + where);
      else
        flow.initial = it->second;
    }

    // Bodies.
    for (std::size_t t = 0; t < timer_decls.size(); ++t)
      flow.timers[t].actions = compile_actions(timer_decls[t].do_node, nullptr,
                                               where_text("timer '", flow.timers[t].name, "'"));
    for (std::size_t s = 0; s < state_decls.size(); ++s) compile_state_body(s, state_decls[s]);
    for (std::size_t g = 0; g < group_decls.size(); ++g) compile_group_body(g, group_decls[g]);
    if (const ynode* n = k.get("clocks")) compile_clocks(*n);

    if (flow_errors_ != 0) return false;
    if (flow.states.size() * flow.events.size() > max_state_events) {
      error(key, where + " has " + std::to_string(flow.states.size()) + " states and " +
                     std::to_string(flow.events.size()) + " events: at most " +
                     std::to_string(max_state_events) + " (state, event) pairs are allowed");
      return false;
    }
    build_dispatch(flow);
    check_graph(flow, group_decls);
    return flow_errors_ == 0;
  }

  // ---- schema -----------------------------------------------------------------------------

  std::uint32_t intern_enum(std::vector<std::string> values) {
    for (std::size_t i = 0; i < flow_->enums.size(); ++i)
      if (flow_->enums[i].values == values) return static_cast<std::uint32_t>(i);
    flow_->enums.push_back({std::move(values)});
    return static_cast<std::uint32_t>(flow_->enums.size() - 1);
  }

  struct typed {
    value_type type = value_type::string;
    std::uint32_t enum_index = no_id32;
    bool has_default = false;
    raw_value initial = 0;
  };

  // `string` or {type, values, default}; `what` is e.g. "field 'level'".
  std::optional<typed> read_type_spec(const ynode& v, const where_text& what) {
    typed out;
    const ynode* type_node = nullptr;
    const ynode* values = nullptr;
    const ynode* def = nullptr;
    if (v.is_scalar()) {
      type_node = &v;
    } else if (v.is_map()) {
      keys k = read_keys(v, what, {"type", "values", "default"});
      type_node = k.get("type");
      values = k.get("values");
      def = k.get("default");
      if (!type_node) {
        error(v, what + " is missing the key 'type' (one of: " + type_names + ")");
        return std::nullopt;
      }
    } else {
      error(v, what + " must be a type name or a map with 'type', found " + describe(v.kind));
      return std::nullopt;
    }
    if (!expect_kind(*type_node, ynode_kind::scalar, where_text("the type of ", what))) return std::nullopt;
    auto t = parse_type_name(type_node->text);
    if (!t) {
      error(*type_node, "unknown type '" + type_node->text + "' for " + what +
                            " (expected one of: " + type_names + ")");
      return std::nullopt;
    }
    out.type = *t;
    if (*t == value_type::enumeration) {
      if (!values) {
        error(*type_node, "enum " + what + " needs 'values': a list of value names");
        return std::nullopt;
      }
      if (!expect_kind(*values, ynode_kind::sequence, where_text("'values' of ", what))) return std::nullopt;
      std::vector<std::string> names;
      bool ok = true;
      for (const ynode& item : values->items) {
        if (!expect_kind(item, ynode_kind::scalar, where_text("a value of ", what)) ||
            !check_name(item, "enum value")) {
          ok = false;
          continue;
        }
        if (is_reserved_word(item.text)) {
          error(item, "'" + item.text + "' cannot be an enum value: it is a word of the "
                                        "expression language");
          ok = false;
          continue;
        }
        if (std::find(names.begin(), names.end(), item.text) != names.end()) {
          error(item, "duplicate value '" + item.text + "' in 'values' of " + what);
          ok = false;
          continue;
        }
        names.push_back(std::string(item.text));
      }
      if (ok && names.empty()) {
        error(*values, "'values' of " + what + " is empty: an enum needs at least one value");
        ok = false;
      }
      if (!ok) return std::nullopt;
      out.enum_index = intern_enum(std::move(names));
    } else if (values) {
      error(*values, "'values' is only allowed for enum types, and " + what + " is " +
                                    std::string(to_string(*t)));
      return std::nullopt;
    }
    if (def) {
      auto value = read_literal(*def, out.type, out.enum_index, what);
      if (!value) return std::nullopt;
      out.has_default = true;
      out.initial = *value;
    }
    return out;
  }


  // A literal written as plain YAML text (defaults, `set` + `to`).
  std::optional<raw_value> read_literal(const ynode& n, value_type type, std::uint32_t enum_index,
                                        const where_text& what) {
    if (!n.is_scalar()) {
      error(n, "the value for " + what + " must be a single value, found " + describe(n.kind));
      return std::nullopt;
    }
    const ytext& s = n.text;
    switch (type) {
      case value_type::string:
        return set_.literals.intern(s);
      case value_type::integer: {
        std::int64_t v = 0;
        std::size_t i = (s.size() > 1 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
        bool ok = i < s.size();
        for (; ok && i < s.size(); ++i) {
          if (s[i] < '0' || s[i] > '9' || __builtin_mul_overflow(v, std::int64_t{10}, &v) ||
              __builtin_sub_overflow(v, std::int64_t{s[i] - '0'}, &v))
            ok = false;
        }
        if (ok && s[0] != '-') {
          if (v == INT64_MIN) ok = false;
          v = -v;
        }
        if (!ok) {
          error(n, "bad value '" + s + "' for int " + what + " (expected a whole number like 42)");
          return std::nullopt;
        }
        return v;
      }
      case value_type::boolean:
        if (s == "true") return 1;
        if (s == "false") return 0;
        error(n, "bad value '" + s + "' for bool " + what + " (expected true or false)");
        return std::nullopt;
      case value_type::enumeration: {
        const auto& values = flow_->enums[enum_index].values;
        for (std::size_t i = 0; i < values.size(); ++i)
          if (values[i] == s) return static_cast<raw_value>(i);
        error(n, "bad value '" + s + "' for enum " + what + " (expected one of: " + join(values) +
                     ")");
        return std::nullopt;
      }
      case value_type::timestamp:
        error(n, "timestamp " + what + " cannot be given a literal value (a timestamp comes from "
                                       "event data, now, or arithmetic)");
        return std::nullopt;
      case value_type::duration: {
        duration_error why;
        auto d = parse_duration_text(s, why);
        if (!d) {
          error_in(n, why.offset, bad_duration_message(s, why));
          return std::nullopt;
        }
        if (d->kind != duration_text::unit_kind::fixed) {
          error(n, months_not_a_duration(s));
          return std::nullopt;
        }
        return d->amount;
      }
    }
    return std::nullopt;
  }

  void read_fields(const ynode& map) {
    if (!expect_map(map, "'fields'")) return;
    each_named(map, "field", [&](const std::string& name, const ynode& key, const ynode& v) {
      if (is_reserved_word(name)) {
        error(key, "'" + name + "' cannot be a field name: it is a word of the expression "
                                "language");
        return;
      }
      if (flow_->fields.size() >= max_fields) {
        error(key, "flow '" + flow_->name + "' has more than " + std::to_string(max_fields) +
                       " fields");
        return;
      }
      auto spec = read_type_spec(v, where_text("field '", name, "'"));
      if (!spec) return;
      detail::field_def f;
      f.name = name;
      f.type = spec->type;
      f.enum_index = spec->enum_index;
      f.initial = spec->initial;
      flow_->field_by_name.emplace(name, static_cast<field_id>(flow_->fields.size()));
      flow_->fields.push_back(std::move(f));
    });
  }

  void read_events(const ynode& map) {
    if (!expect_map(map, "'events'")) return;
    each_named(map, "event", [&](const std::string& name, const ynode& key, const ynode& v) {
      if (flow_->events.size() >= max_ids) {
        error(key, "flow '" + flow_->name + "' has too many events");
        return;
      }
      detail::event_def e;
      e.name = name;
      const where_text where("event '", name, "'");
      if (!expect_map(v, where)) return;
      keys k = read_keys(v, where, {"label", "data"});
      e.label = scalar_text(k.get("label"), where_text("'label' of ", where));
      if (const ynode* data = k.get("data"); data && expect_map(*data, where_text("'data' of ", where))) {
        each_named(*data, "data item", [&](const std::string& item, const ynode& ikey,
                                           const ynode& iv) {
          if (e.data.size() >= max_data) {
            error(ikey, where + " has more than " + std::to_string(max_data) + " data items");
            return;
          }
          const std::string what = "data item '" + item + "' of " + where;
          auto spec = read_type_spec(iv, what);
          if (!spec) return;
          detail::data_def d;
          d.name = item;
          d.type = spec->type;
          d.enum_index = spec->enum_index;
          d.has_default = spec->has_default;
          d.initial = spec->initial;
          if (!d.has_default) e.required_mask |= std::uint64_t{1} << e.data.size();
          e.slot_by_name.emplace(item, static_cast<slot_id>(e.data.size()));
          e.data.push_back(std::move(d));
        });
      }
      flow_->event_by_name.emplace(name, static_cast<event_id>(flow_->events.size()));
      flow_->events.push_back(std::move(e));
    });
  }

  // ---- declarations -----------------------------------------------------------------------

  void declare_states(const ynode& map, std::vector<state_decl>& decls) {
    if (!expect_map(map, "'states'")) return;
    each_named(map, "state", [&](const std::string& name, const ynode& key, const ynode& v) {
      if (flow_->states.size() >= max_ids) {
        error(key, "flow '" + flow_->name + "' has too many states");
        return;
      }
      const where_text where("state '", name, "'");
      state_decl d;
      d.key = &key;
      detail::state_def s;
      s.name = name;
      s.line = key.line;
      s.column = key.column;
      if (expect_map(v, where)) {
        d.k = read_keys(v, where, {"label", "final", "on_entry", "on_exit", "timers", "on"});
        s.label = scalar_text(d.k.get("label"), where_text("'label' of ", where));
        if (const ynode* f = d.k.get("final")) {
          if (expect_kind(*f, ynode_kind::scalar, where_text("'final' of ", where))) {
            if (f->text == "true") s.final = true;
            else if (f->text != "false")
              error(*f, "'final' of " + where + " must be true or false, found '" + f->text + "'");
          }
        }
      }
      flow_->state_by_name.emplace(name, static_cast<state_id>(flow_->states.size()));
      flow_->states.push_back(std::move(s));
      decls.push_back(std::move(d));
    });
  }

  void declare_groups(const ynode& map, std::vector<group_decl>& decls) {
    if (!expect_map(map, "'groups'")) return;
    each_named(map, "group", [&](const std::string& name, const ynode& key, const ynode& v) {
      if (flow_->groups.size() >= max_groups) {
        error(key, "flow '" + flow_->name + "' has more than " + std::to_string(max_groups) +
                       " groups");
        return;
      }
      const where_text where("group '", name, "'");
      group_decl d;
      d.key = &key;
      detail::group_def g;
      g.name = name;
      g.line = key.line;
      g.column = key.column;
      const auto index = flow_->groups.size();
      if (expect_map(v, where)) {
        d.k = read_keys(v, where, {"label", "states", "on_entry", "on_exit", "timers", "on"});
        g.label = scalar_text(d.k.get("label"), where_text("'label' of ", where));
        const ynode* members = d.k.get("states");
        if (!members) {
          error(key, where + " is missing the key 'states'");
        } else if (expect_kind(*members, ynode_kind::sequence, where_text("'states' of ", where))) {
          for (const ynode& m : members->items) {
            if (!expect_kind(m, ynode_kind::scalar, where_text("a state of ", where))) continue;
            auto it = flow_->state_by_name.find(m.text);
            if (it == flow_->state_by_name.end()) {
              error(m, where + " lists unknown state '" + m.text + "'");
              continue;
            }
            if (std::find(d.members.begin(), d.members.end(), it->second) != d.members.end()) {
              error(m, where + " lists state '" + m.text + "' twice");
              continue;
            }
            d.members.push_back(it->second);
            flow_->states[it->second].groups |= std::uint64_t{1} << index;
          }
        }
        const ynode* on = d.k.get("on");
        const ynode* timers = d.k.get("timers");
        d.has_transitions_or_timers = (on && !on->entries.empty()) ||
                                      (timers && !timers->items.empty());
      }
      flow_->groups.push_back(std::move(g));
      decls.push_back(std::move(d));
    });
  }

  // Reads a `timers:` list (name, after, event); actions are compiled later.
  void declare_timers(const ynode* list, detail::timer_scope scope, std::uint16_t owner,
                      const where_text& where, std::vector<timer_decl>& decls,
                      std::uint32_t& first, std::uint32_t& count) {
    first = static_cast<std::uint32_t>(flow_->timer_lists.size());
    count = 0;
    if (!list || list->is_null()) return;
    if (!expect_kind(*list, ynode_kind::sequence, where_text("'timers' of ", where))) return;
    const where_text a_timer("a timer of ", where);
    for (const ynode& item : list->items) {
      if (!expect_kind(item, ynode_kind::map, a_timer)) continue;
      keys k = read_keys(item, a_timer, {"name", "after", "at", "business", "calendar", "event", "do"});
      const ynode* name = k.get("name");
      if (!name) {
        error(item, "a timer of " + where + " is missing the key 'name'");
        continue;
      }
      if (!expect_kind(*name, ynode_kind::scalar, "the name of a timer") ||
          !check_name(*name, "timer"))
        continue;
      if (auto it = flow_->timer_by_name.find(name->text); it != flow_->timer_by_name.end()) {
        error(*name, "duplicate timer '" + name->text + "' (first defined at line " +
                         std::to_string(flow_->timers[it->second].line) + ")");
        continue;
      }
      if (flow_->timers.size() >= max_ids) {
        error(*name, "flow '" + flow_->name + "' has too many timers");
        continue;
      }
      const std::string twhere = "timer '" + name->text + "'";
      detail::timer_def t;
      t.name = name->text;
      t.scope = scope;
      t.owner = owner;
      t.line = item.line;
      t.column = item.column;
      t.calendar_field = flow_->calendar_field;
      const ynode* after = k.get("after");
      const ynode* at = k.get("at");
      const ynode* calendar = k.get("calendar");
      if (after && at) {
        error(*k.key("at"), twhere + " has both 'after' and 'at'; use one");
      } else if (at) {
        read_at(*at, twhere, t);
        if (calendar)
          error(*calendar, twhere + " has 'calendar: " + calendar->text +
                               "', but an 'at' instant is the same on every calendar; remove "
                               "'calendar'");
        calendar = nullptr;
      } else if (!after) {
        error(item, twhere + " is missing the key 'after' (a time limit) or 'at' (an instant)");
      } else if (expect_kind(*after, ynode_kind::scalar, where_text("'after' of ", twhere))) {
        if (!read_business_after(*after, twhere, calendar || flow_calendar_in_scope_, t,
                                 reporter()))
          read_after(*after, twhere, t);
      }
      if (const ynode* business = k.get("business"))
        if (read_field_in_business_time(*business, after, twhere, "after", calendar != nullptr,
                                        t.after_field))
          t.clock = detail::timer_clock::business_time;
      if (calendar)
        read_timer_calendar(*calendar, after, twhere, flow_->name,
                            static_cast<std::uint16_t>(flow_->timers.size()), t, file_,
                            set_.calendars, reporter());
      const ynode* ev = k.get("event");
      if (ev && expect_kind(*ev, ynode_kind::scalar, where_text("'event' of ", twhere))) {
        auto it = flow_->event_by_name.find(ev->text);
        if (it == flow_->event_by_name.end()) {
          error(*ev, twhere + " fires undefined event '" + ev->text + "'");
        } else {
          // A timer posts its event with no data, so every data item needs a default.
          const detail::event_def& fired = flow_->events[it->second];
          for (std::size_t i = 0; i < fired.data.size(); ++i)
            if (fired.required_mask & (std::uint64_t{1} << i))
              error(*ev, twhere + " fires event '" + fired.name + "', whose data item '" +
                             fired.data[i].name + "' has no default");
          t.event = it->second;
        }
      }
      const ynode* actions = k.get("do");
      if (!ev && !actions)
        error(item, twhere + " needs 'event' (an event to post) or 'do' (actions), or both");
      const auto id = static_cast<timer_id>(flow_->timers.size());
      flow_->timer_by_name.emplace(t.name, id);
      flow_->timers.push_back(std::move(t));
      decls.push_back({&item, actions});
      if (scope != detail::timer_scope::flow) {
        flow_->timer_lists.push_back(id);
        ++count;
      }
    }
  }

  // `business: true` beside a limit that is a duration field: the field's value counts as
  // working time. True if it applies (the limit is a duration field and a calendar is in
  // scope); errors name the key.
  bool read_field_in_business_time(const ynode& business, const ynode* limit, const std::string& where,
                                   std::string_view key, bool own_calendar, field_id limit_field) {
    const std::string of = "'business' of " + where;
    if (!expect_kind(business, ynode_kind::scalar, of)) return false;
    if (business.text == "false") return false;
    if (business.text != "true") {
      error(business, of + " must be true or false, found '" + business.text + "'");
      return false;
    }
    if (!limit || limit_field == no_id16) {
      if (limit)
        error(business, of + ": '" + std::string(key) + "' (" + limit->text +
                            ") is not a duration field; a written limit says business time itself, "
                            "such as '24 business hours'");
      else
        error(business, of + " needs '" + std::string(key) + "' naming a duration field");
      return false;
    }
    if (!own_calendar && !flow_calendar_in_scope_) {
      error(business, of + ": no calendar is in scope to count business time on: give it "
                           "'calendar: NAME', or its flow 'calendar: NAME' or 'calendar_field: FIELD'");
      return false;
    }
    return true;
  }

  void read_after(const ynode& after, const std::string& twhere, detail::timer_def& t,
                  std::string_view key = "after") {
    const std::string of = "'" + std::string(key) + "' of ";
    const ytext& s = after.text;
    if (!s.empty() && (s[0] < '0' || s[0] > '9') && is_identifier(s)) {
      auto it = flow_->field_by_name.find(s);
      if (it == flow_->field_by_name.end()) {
        error(after, of + twhere + " names unknown field '" + s +
                         "' (expected a duration like 24h or a duration field)");
        return;
      }
      const auto& f = flow_->fields[it->second];
      if (f.type != value_type::duration) {
        error(after, of + twhere + " names field '" + s + "', which is " +
                         std::string(to_string(f.type)) + ", not duration");
        return;
      }
      t.after_field = it->second;
      return;
    }
    duration_error why;
    auto d = parse_duration_text(s, why);
    if (!d) {
      // A timer's limit may also be business time: say so where the units are listed.
      if (why.message.starts_with("unknown unit") && why.message.ends_with(")") &&
          why.message.find("accepted units") != std::string::npos) {
        why.message.pop_back();
        why.message += "; business time: 个工作日 working day(s), 个工作小时 business hour(s), "
                       "个工作分钟 business minute(s))";
      }
      error_in(after, why.offset, bad_duration_message(s, why));
      return;
    }
    if (d->amount <= 0) {
      error(after, "time limit must be positive");
      return;
    }
    if (d->kind == duration_text::unit_kind::months) {
      // Counted on the calendar when the timer starts (calendar_months.hpp).
      t.clock = detail::timer_clock::calendar_months;
      t.business_amount = d->amount;
      return;
    }
    t.after = d->amount;
  }

  // `at:` a timestamp expression over the case's fields and `now` (the time the timer starts),
  // such as `handed_over_at + 3个月`. There is no event at that moment, so no `event.x`.
  void read_at(const ynode& at, const std::string& twhere, detail::timer_def& t) {
    if (!expect_kind(at, ynode_kind::scalar, where_text("'at' of ", twhere))) return;
    const expr_type want{value_type::timestamp, no_id32};
    auto c = compile_expr(at, nullptr, "'at' of " + twhere, want);
    if (!c) return;
    if (!(c->type == want)) {
      error(at, "'at' of " + twhere + " must be a timestamp (an instant, such as "
                "handed_over_at + 3个月), but '" + at.text + "' is " +
                describe(c->type, *flow_, false));
      return;
    }
    t.clock = detail::timer_clock::at_time;
    t.at_expr = c->start;
    t.at_text = at.text;
  }

  // ---- SLA clocks (docs/rules.md, SLA clocks) -------------------------------------------

  // The clocks of the flow; states, groups, events and fields are known by now.
  void compile_clocks(const ynode& map) {
    if (!expect_map(map, where_text("'clocks' of flow '", flow_->name, "'"))) return;
    each_named(map, "clock", [&](const std::string& name, const ynode& key, const ynode& v) {
      const std::string where = "clock '" + name + "'";
      if (!expect_map(v, where, false)) return;
      if (flow_->timers.size() + flow_->clocks.size() >= max_ids) {
        error(key, "flow '" + flow_->name + "' has too many timers and clocks");
        return;
      }
      keys k = read_keys(v, where,
                         {"label", "limit", "business", "calendar", "start", "pause", "resume", "stop",
                          "warn_at", "on_warning", "ladder"});
      detail::clock_def cd;
      cd.name = name;
      cd.line = key.line;
      cd.column = key.column;
      cd.label = scalar_text(k.get("label"), where_text("'label' of ", where));
      cd.calendar_field = flow_->calendar_field;
      const auto index = static_cast<std::uint16_t>(flow_->clocks.size());

      const ynode* limit = k.get("limit");
      const ynode* calendar = k.get("calendar");
      bool calendar_time = false;  // a limit in calendar time, read without error
      if (!limit) {
        error(key, where + " is missing the key 'limit'");
      } else if (expect_kind(*limit, ynode_kind::scalar, where_text("'limit' of ", where))) {
        // The timer readers give the same answers and errors as for a timer's `after`.
        detail::timer_def t;
        if (read_business_after(*limit, where, calendar || flow_calendar_in_scope_, t, reporter(),
                                "limit")) {
          if (t.clock == detail::timer_clock::working_days)
            error(*limit, "'limit' of " + where + " is in working days ('" + limit->text +
                              "'), which a clock cannot count as elapsed time; write business "
                              "hours or minutes, such as '24 business hours'");
          cd.business = t.clock == detail::timer_clock::business_time;
          cd.limit = t.business_amount;
        } else {
          read_after(*limit, where, t, "limit");
          cd.limit = t.after;
          cd.limit_field = t.after_field;
          calendar_time = cd.limit > 0 || cd.limit_field != no_id16;
        }
      }
      if (const ynode* business = k.get("business"))
        if (read_field_in_business_time(*business, limit, where, "limit", calendar != nullptr, cd.limit_field)) {
          cd.business = true;
          calendar_time = false;
        }
      if (calendar) {
        if (!calendar->is_scalar()) {
          error(*calendar, "'calendar' of " + where + " must be a calendar name, found " +
                               describe(calendar->kind));
        } else {
          cd.calendar_field = no_id16;
          calendar_set::use u{flow_->name, no_id16, std::string(calendar->text), file_,
                              calendar->line, calendar->column, index};
          set_.calendars.uses.push_back(std::move(u));
          if (calendar_time)
            error(*calendar, where + " has 'calendar: " + calendar->text + "', but its 'limit' (" +
                                 limit->text + ") is calendar time, which no calendar changes; "
                                 "write business time such as '24 business hours', or remove "
                                 "'calendar'");
        }
      }
      if (!cd.business) cd.calendar_field = no_id16;

      const ynode* start = k.get("start");
      if (!start) error(key, where + " is missing the key 'start'");
      else cd.start = compile_clock_condition(*start, "'start' of " + where);
      if (const ynode* n = k.get("pause")) cd.pause = compile_clock_condition(*n, "'pause' of " + where);
      if (const ynode* n = k.get("resume")) cd.resume = compile_clock_condition(*n, "'resume' of " + where);
      if (const ynode* n = k.get("stop")) cd.stop = compile_clock_condition(*n, "'stop' of " + where);
      if (k.get("pause") && !k.get("resume"))
        error(*k.key("pause"), where + " pauses but never resumes: add 'resume'");

      std::vector<detail::clock_mark> marks;
      const ynode* warn = k.get("warn_at");
      if (warn) {
        const std::optional<std::uint32_t> pct = read_percent(*warn, "'warn_at' of " + where);
        if (pct && (*pct == 0 || *pct >= 100))
          error(*warn, "'warn_at' of " + where + " must be more than 0% and less than 100%, found " +
                           warn->text);
        detail::clock_mark m;
        m.percent = pct.value_or(80);
        m.level = 0;
        m.line = warn->line;
        m.column = warn->column;
        m.actions = compile_actions(k.get("on_warning"), nullptr, where_text("'on_warning' of ", where));
        marks.push_back(m);
      } else if (k.get("on_warning")) {
        error(*k.key("on_warning"), where + " has 'on_warning' but no 'warn_at' (such as 80%)");
      }
      const ynode* ladder = k.get("ladder");
      if (ladder && !ladder->is_null() &&
          expect_kind(*ladder, ynode_kind::sequence, where_text("'ladder' of ", where))) {
        std::uint32_t previous = 0;
        for (const ynode& item : ladder->items) {
          const auto level = static_cast<std::uint16_t>(marks.size() + (warn ? 0 : 1));
          const std::string lwhere = "level " + std::to_string(level) + " of the ladder of " + where;
          if (!expect_kind(item, ynode_kind::map, lwhere)) continue;
          keys lk = read_keys(item, lwhere, {"at", "do"});
          detail::clock_mark m;
          m.level = level;
          m.line = item.line;
          m.column = item.column;
          const ynode* at = lk.get("at");
          if (!at) {
            error(item, lwhere + " is missing the key 'at' (such as 200%)");
          } else if (const std::optional<std::uint32_t> pct = read_percent(*at, "'at' of " + lwhere)) {
            if (level == 1 && *pct != 100)
              error(*at, "'at' of " + lwhere + " must be 100%: the first level is the breach of "
                                               "the limit, found " + at->text);
            else if (level > 1 && *pct <= previous)
              error(*at, "'at' of " + lwhere + " must be more than the level before (" +
                             std::to_string(previous) + "%), found " + at->text);
            m.percent = *pct;
            previous = *pct;
          }
          m.actions = compile_actions(lk.get("do"), nullptr, lwhere);
          marks.push_back(m);
        }
      }
      // No ladder: the breach is still a level (1, at 100%), with no actions.
      if (marks.size() == (warn ? 1u : 0u)) {
        detail::clock_mark m;
        m.percent = 100;
        m.level = 1;
        m.line = cd.line;
        m.column = cd.column;
        m.actions.first = static_cast<std::uint32_t>(flow_->actions.size());
        marks.push_back(m);
      }
      cd.marks_first = static_cast<std::uint32_t>(flow_->clock_marks.size());
      cd.marks_count = static_cast<std::uint32_t>(marks.size());
      flow_->clock_marks.insert(flow_->clock_marks.end(), marks.begin(), marks.end());
      if (cd.limit_field != no_id16) flow_->clock_fields |= std::uint64_t{1} << cd.limit_field;
      if (cd.calendar_field != no_id16) flow_->clock_fields |= std::uint64_t{1} << cd.calendar_field;
      flow_->clock_by_name.emplace(cd.name, index);
      flow_->clocks.push_back(std::move(cd));
    });
  }

  // `80%`: a whole number of percent, at most 10000% (a hundred times the limit).
  std::optional<std::uint32_t> read_percent(const ynode& n, const std::string& what) {
    if (!expect_kind(n, ynode_kind::scalar, what)) return std::nullopt;
    const ytext& t = n.text;
    std::uint32_t v = 0;
    bool ok = t.size() >= 2 && t.size() <= 6 && t.back() == '%';
    for (std::size_t i = 0; ok && i + 1 < t.size(); ++i) {
      if (t[i] < '0' || t[i] > '9') ok = false;
      else v = v * 10 + static_cast<std::uint32_t>(t[i] - '0');
    }
    if (!ok || v > 10000) {
      error(n, what + " must be a whole percentage of the limit such as 80% or 200% (at most "
                      "10000%), found '" + t + "'");
      return std::nullopt;
    }
    return v;
  }

  // A condition: a map {enter, exit, event, if} or a list of them (any one holds). In a map,
  // each name of `enter`, `exit` or `event` is an alternative; `if` must hold as well.
  detail::clock_condition compile_clock_condition(const ynode& n, const std::string& where) {
    detail::clock_condition out;
    std::vector<detail::clock_clause> clauses;
    auto one = [&](const ynode& m) {
      if (!expect_kind(m, ynode_kind::map, where)) return;
      keys k = read_keys(m, where, {"enter", "exit", "event", "if"});
      detail::clock_clause proto;
      if (const ynode* g = k.get("if"); g && expect_kind(*g, ynode_kind::scalar, where_text("'if' of ", where))) {
        auto c = compile_expr(*g, nullptr, "guard", expr_type{value_type::boolean, no_id32});
        if (c) {
          if (c->type.type != value_type::boolean)
            error(*g, "guard must be true or false (a bool expression), but '" + g->text +
                          "' is " + describe(c->type, *flow_, false));
          else
            proto.guard = c->start;
        }
        proto.guard_text = g->text;
      }
      bool any = false;
      for (const char* what : {"enter", "exit", "event"}) {
        const ynode* names = k.get(what);
        if (!names) continue;
        any = true;
        std::vector<const ynode*> list;
        const std::string seq_what = "'" + std::string(what) + "' of " + where;
        const std::string name_what = "a name in '" + std::string(what) + "' of " + where;
        if (names->is_scalar()) list.push_back(names);
        else if (expect_kind(*names, ynode_kind::sequence, seq_what))
          for (const ynode& i : names->items)
            if (expect_kind(i, ynode_kind::scalar, name_what))
              list.push_back(&i);
        for (const ynode* nm : list) {
          detail::clock_clause cl = proto;
          if (std::string_view(what) == "event") {
            auto it = flow_->event_by_name.find(nm->text);
            if (it == flow_->event_by_name.end()) {
              error(*nm, "'event' of " + where + " names unknown event '" + nm->text + "'");
              continue;
            }
            cl.kind = detail::clock_clause_kind::event;
            cl.id = it->second;
          } else {
            const bool enter = std::string_view(what) == "enter";
            if (auto st = flow_->state_by_name.find(nm->text); st != flow_->state_by_name.end()) {
              cl.kind = enter ? detail::clock_clause_kind::enter_state : detail::clock_clause_kind::exit_state;
              cl.id = st->second;
            } else {
              auto g = std::find_if(flow_->groups.begin(), flow_->groups.end(),
                                    [&](const detail::group_def& gd) { return gd.name == nm->text; });
              if (g == flow_->groups.end()) {
                error(*nm, "'" + std::string(what) + "' of " + where +
                               " names unknown state or group '" + nm->text + "'");
                continue;
              }
              cl.kind = enter ? detail::clock_clause_kind::enter_group : detail::clock_clause_kind::exit_group;
              cl.id = static_cast<std::uint16_t>(g - flow_->groups.begin());
            }
          }
          clauses.push_back(cl);
        }
      }
      if (!any) error(m, where + " needs 'enter' (a state or group), 'exit' or 'event'");
    };
    if (n.kind == ynode_kind::sequence) {
      for (const ynode& m : n.items) one(m);
    } else {
      one(n);
    }
    out.first = static_cast<std::uint32_t>(flow_->clock_clauses.size());
    out.count = static_cast<std::uint32_t>(clauses.size());
    flow_->clock_clauses.insert(flow_->clock_clauses.end(), clauses.begin(), clauses.end());
    return out;
  }

  // ---- bodies -----------------------------------------------------------------------------

  void compile_state_body(std::size_t s, const state_decl& d) {
    detail::state_def& st = flow_->states[s];
    const where_text where("state '", st.name, "'");
    st.on_entry = compile_actions(d.k.get("on_entry"), nullptr, where_text("'on_entry' of ", where));
    st.on_exit = compile_actions(d.k.get("on_exit"), nullptr, where_text("'on_exit' of ", where));
    if (st.final) {
      if (const ynode* on = d.k.get("on"); on && !on->is_null())
        error(*d.k.key("on"), "final " + where + " cannot have transitions ('on')");
      if (const ynode* t = d.k.get("timers"); t && !t->is_null())
        error(*d.k.key("timers"), "final " + where + " cannot have timers");
    }
    compile_transitions(d.k.get("on"), false, static_cast<std::uint16_t>(s), where);
  }

  void compile_group_body(std::size_t g, const group_decl& d) {
    detail::group_def& gr = flow_->groups[g];
    const where_text where("group '", gr.name, "'");
    gr.on_entry = compile_actions(d.k.get("on_entry"), nullptr, where_text("'on_entry' of ", where));
    flow_->groups[g].on_exit =
        compile_actions(d.k.get("on_exit"), nullptr, where_text("'on_exit' of ", where));
    compile_transitions(d.k.get("on"), true, static_cast<std::uint16_t>(g), where);
  }

  void compile_transitions(const ynode* on, bool from_group, std::uint16_t source,
                           const where_text& where) {
    if (!on || !expect_map(*on, where_text("'on' of ", where))) return;
    // A repeated event has the same text as its first occurrence, which was a scalar naming a
    // known event too.
    const first_keys first(*on);
    for (std::size_t i = 0; i < on->entries.size(); ++i) {
      const auto& [k, v] = on->entries[i];
      if (!expect_kind(k, ynode_kind::scalar, where_text("an event name in 'on' of ", where))) continue;
      auto ev = flow_->event_by_name.find(k.text);
      if (ev == flow_->event_by_name.end()) {
        error(k, where + " reacts to unknown event '" + k.text + "'");
        continue;
      }
      if (const std::size_t f0 = first(i); f0 != i) {
        error(k, "duplicate key '" + k.text + "' in 'on' of " + where + " (first at line " +
                     std::to_string(on->entries[f0].first.line) +
                     "; write several transitions for one event as a list)");
        continue;
      }
      if (v.is_sequence()) {
        for (const ynode& item : v.items) compile_transition(item, k, ev->second, from_group, source);
      } else {
        compile_transition(v, k, ev->second, from_group, source);
      }
    }
  }

  void compile_transition(const ynode& v, const ynode& key, event_id event, bool from_group,
                          std::uint16_t source) {
    const where_text where("the transition on '", key.text, "'");
    detail::transition_def t;
    t.event = event;
    t.from_group = from_group;
    t.source = source;
    t.internal = true;
    t.line = v.is_null() ? key.line : v.line;
    t.column = v.is_null() ? key.column : v.column;
    if (!expect_map(v, where)) return;
    keys k = read_keys(v, where, {"to", "if", "do"});
    const detail::event_def* ev = &flow_->events[event];
    if (const ynode* to = k.get("to")) {
      if (expect_kind(*to, ynode_kind::scalar, where_text("'to' of ", where))) {
        auto it = flow_->state_by_name.find(to->text);
        if (it == flow_->state_by_name.end()) {
          error(*to, "transition on '" + key.text + "' goes to unknown state '" + to->text + "'");
        } else {
          t.internal = false;
          t.target = it->second;
        }
      }
    }
    if (const ynode* guard = k.get("if")) {
      if (expect_kind(*guard, ynode_kind::scalar, where_text("'if' of ", where))) {
        t.guard_text = guard->text;
        auto c = compile_expr(*guard, ev, "guard",
                              expr_type{value_type::boolean, no_id32});
        if (c) {
          if (c->type.type != value_type::boolean)
            error(*guard, "guard must be true or false (a bool expression), but '" +
                              guard->text + "' is " + describe(c->type, *flow_, false));
          else
            t.guard = c->start;
        }
      }
    }
    t.actions = compile_actions(k.get("do"), ev, where);
    if (flow_->transitions.size() >= max_transitions) {
      error(v, "flow '" + flow_->name + "' has too many transitions (at most " + std::to_string(max_transitions) + ")");
      return;
    }
    flow_->transitions.push_back(std::move(t));
  }

  std::optional<compiled_expr> compile_expr(const ynode& n, const detail::event_def* ev,
                                            std::string_view context,
                                            std::optional<expr_type> expected) {
    expr_scope scope{flow_, ev, context};
    expr_error err;
    auto c = compile_expression(n.text, scope, expected, *flow_, set_.literals, err, expr_workspace_);
    if (!c) error_in(n, err.offset, std::move(err.message));
    return c;
  }

  std::uint32_t compile_tpl(const ynode& n, const where_text& what) {
    if (!expect_kind(n, ynode_kind::scalar, what)) return no_id32;
    template_error err;
    auto t = compile_template(n.text, *flow_, err);
    if (!t) {
      error_in(n, err.offset, std::move(err.message));
      return no_id32;
    }
    return *t;
  }

  // ---- actions ----------------------------------------------------------------------------

  action_range compile_actions(const ynode* list, const detail::event_def* ev,
                               const where_text& where) {
    action_range out;
    if (!list || list->is_null()) {
      out.first = static_cast<std::uint32_t>(flow_->actions.size());
      return out;
    }
    if (!expect_kind(*list, ynode_kind::sequence, where_text("the actions ('do') of ", where))) return out;
    // compile_action adds code, templates and emit arguments, never actions: the range is
    // built in place.
    out.first = static_cast<std::uint32_t>(flow_->actions.size());
    for (const ynode& item : list->items) {
      if (auto a = compile_action(item, ev)) flow_->actions.push_back(*a);
    }
    out.count = static_cast<std::uint32_t>(flow_->actions.size() - out.first);
    return out;
  }

  std::optional<action_def> compile_action(const ynode& item, const detail::event_def* ev) {
    static constexpr std::string_view kinds[] = {"set",   "notify", "start_timer",
                                                 "cancel_timer", "alarm", "emit", "decide"};
    static const char* const kind_list =
        "set, notify, start_timer, cancel_timer, alarm, emit, decide";
    if (!expect_kind(item, ynode_kind::map, "an action")) return std::nullopt;
    const ynode* kind_key = nullptr;
    for (const auto& [k, v] : item.entries) {
      if (!k.is_scalar()) continue;
      if (std::find(std::begin(kinds), std::end(kinds), k.text) == std::end(kinds)) continue;
      if (kind_key && kind_key->text != k.text) {
        error(k, "an action does one thing, but this one has both '" + kind_key->text +
                     "' and '" + k.text + "' (write two actions)");
        return std::nullopt;
      }
      if (!kind_key) kind_key = &k;
    }
    if (!kind_key) {
      const ynode& first = item.entries.empty() ? item : item.entries.front().first;
      error(first, "unknown action" +
                       (first.is_scalar() && &first != &item ? " '" + first.text + "'"
                                                             : std::string()) +
                       " (expected one of: " + kind_list + ")");
      return std::nullopt;
    }
    const std::string kind(kind_key->text);
    action_def a;
    a.line = item.line;
    a.column = item.column;

    auto target_name = [&](const keys& k) -> const ynode* {
      const ynode* n = k.get(kind);
      if (!n || !expect_kind(*n, ynode_kind::scalar, where_text("'", kind, "'"))) return nullptr;
      return n;
    };

    if (kind == "set") {
      keys k = read_keys(item, "action 'set'", {"set", "to", "from"});
      const ynode* target = target_name(k);
      if (!target) return std::nullopt;
      auto it = flow_->field_by_name.find(target->text);
      if (it == flow_->field_by_name.end()) {
        error(*target, "action sets unknown field '" + target->text + "'");
        return std::nullopt;
      }
      const detail::field_def& f = flow_->fields[it->second];
      a.kind = action_kind::set;
      a.target = it->second;
      const ynode* to = k.get("to");
      const ynode* from = k.get("from");
      if (to && from) {
        error(*k.key("from"), "action 'set: " + f.name + "' has both 'to' and 'from'; use one");
        return std::nullopt;
      }
      if (!to && !from) {
        error(*kind_key, "action 'set: " + f.name +
                             "' needs 'to' (a value) or 'from' (an expression)");
        return std::nullopt;
      }
      if (to) {
        auto v = read_literal(*to, f.type, f.enum_index, where_text("field '", f.name, "'"));
        if (!v) return std::nullopt;
        a.expr = static_cast<std::uint32_t>(flow_->code.size());
        flow_->code.push_back({detail::op::imm, 0, 0, *v});
        flow_->code.push_back({detail::op::ret, 0, 0, 0});
        return a;
      }
      if (!expect_kind(*from, ynode_kind::scalar, where_text("'from' of action 'set: ", f.name, "'")))
        return std::nullopt;
      const expr_type want{f.type, f.enum_index};
      auto c = compile_expr(*from, ev, "expression", want);
      if (!c) return std::nullopt;
      if (!(c->type == want)) {
        const bool values = c->type.type == want.type;
        error(*from, "type mismatch: field '" + f.name + "' is " + describe(want, *flow_, values) +
                         ", but 'from' gives " + describe(c->type, *flow_, values));
        return std::nullopt;
      }
      a.expr = c->start;
      return a;
    }
    if (kind == "notify" || kind == "alarm") {
      const bool notify = kind == "notify";
      keys k = notify ? read_keys(item, "action 'notify'", {"notify", "message"})
                      : read_keys(item, "action 'alarm'", {"alarm", "to", "message"});
      const ynode* target = target_name(k);
      if (!target) return std::nullopt;
      a.kind = notify ? action_kind::notify : action_kind::alarm;
      bool ok = true;
      if (notify) {
        a.to = compile_tpl(*target, "the recipient of 'notify'");
        ok = a.to != no_id32;
      } else {
        if (!check_name(*target, "alarm")) return std::nullopt;
        auto& names = flow_->alarm_names;
        auto it = std::find(names.begin(), names.end(), target->text);
        a.target = static_cast<std::uint16_t>(it - names.begin());
        if (it == names.end()) names.push_back(std::string(target->text));
        if (const ynode* to = k.get("to")) {
          a.to = compile_tpl(*to, "'to' of 'alarm'");
          ok = a.to != no_id32;
        }
      }
      const ynode* message = k.get("message");
      if (!message) {
        error(*kind_key, "action '" + kind + "' is missing the key 'message'");
        return std::nullopt;
      }
      a.message = compile_tpl(*message, where_text("'message' of '", kind, "'"));
      if (!ok || a.message == no_id32) return std::nullopt;
      return a;
    }
    if (kind == "start_timer" || kind == "cancel_timer") {
      keys k = read_keys(item, where_text("action '", kind, "'"), {kind});
      const ynode* target = target_name(k);
      if (!target) return std::nullopt;
      auto it = flow_->timer_by_name.find(target->text);
      if (it == flow_->timer_by_name.end()) {
        error(*target, "action '" + kind + "' names unknown timer '" + target->text + "'");
        return std::nullopt;
      }
      a.kind = kind == "start_timer" ? action_kind::start_timer : action_kind::cancel_timer;
      a.target = it->second;
      return a;
    }
    if (kind == "decide") {
      // The table may be in any file: the flow keeps its name, and compile_tables
      // (table_loader.hpp) checks and compiles it once every file is read.
      keys k = read_keys(item, "action 'decide'", {"decide"});
      const ynode* target = target_name(k);
      if (!target || !check_name(*target, "table")) return std::nullopt;
      auto& tables = flow_->tables;
      auto it = std::find_if(tables.begin(), tables.end(),
                             [&](const detail::decision_table& t) { return t.name == target->text; });
      if (it == tables.end()) {
        if (tables.size() >= max_ids) {
          error(*target, "flow '" + flow_->name + "' decides with too many tables");
          return std::nullopt;
        }
        detail::decision_table t;
        t.name = target->text;
        tables.push_back(std::move(t));
        it = tables.end() - 1;
      }
      a.kind = action_kind::decide;
      a.target = static_cast<std::uint16_t>(it - tables.begin());
      return a;
    }
    // emit
    keys k = read_keys(item, "action 'emit'", {"emit", "data"});
    const ynode* target = target_name(k);
    if (!target) return std::nullopt;
    auto it = flow_->event_by_name.find(target->text);
    if (it == flow_->event_by_name.end()) {
      error(*target, "action emits unknown event '" + target->text + "'");
      return std::nullopt;
    }
    a.kind = action_kind::emit;
    a.target = it->second;
    const detail::event_def& emitted = flow_->events[it->second];
    std::vector<detail::emit_arg> args;
    std::uint64_t given = 0;
    bool ok = true;
    if (const ynode* data = k.get("data"); data && expect_map(*data, "'data' of 'emit'")) {
      each_named(*data, "data item", [&](const std::string& name, const ynode& key,
                                         const ynode& v) {
        auto slot = emitted.slot_by_name.find(name);
        if (slot == emitted.slot_by_name.end()) {
          std::vector<std::string> names;
          for (const auto& d : emitted.data) names.push_back(d.name);
          error(key, "event '" + emitted.name + "' has no data item '" + name + "'" +
                         (names.empty() ? std::string(" (it carries no data)")
                                        : " (expected one of: " + join(names) + ")"));
          ok = false;
          return;
        }
        const detail::data_def& d = emitted.data[slot->second];
        if (!expect_kind(v, ynode_kind::scalar, where_text("data item '", name, "' of 'emit'"))) {
          ok = false;
          return;
        }
        const expr_type want{d.type, d.enum_index};
        auto c = compile_expr(v, ev, "expression", want);
        if (!c) {
          ok = false;
          return;
        }
        if (!(c->type == want)) {
          const bool values = c->type.type == want.type;
          error(v, "type mismatch: data item '" + name + "' of event '" + emitted.name + "' is " +
                       describe(want, *flow_, values) + ", but the expression gives " +
                       describe(c->type, *flow_, values));
          ok = false;
          return;
        }
        given |= std::uint64_t{1} << slot->second;
        args.push_back({slot->second, c->start});
      });
    }
    const std::uint64_t missing = emitted.required_mask & ~given;
    if (ok && missing != 0) {
      for (std::size_t i = 0; i < emitted.data.size(); ++i)
        if (missing & (std::uint64_t{1} << i))
          error(*target, "'emit: " + emitted.name + "' leaves out data item '" +
                             emitted.data[i].name + "', which has no default");
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    a.args_first = static_cast<std::uint32_t>(flow_->emit_args.size());
    a.args_count = static_cast<std::uint32_t>(args.size());
    flow_->emit_args.insert(flow_->emit_args.end(), args.begin(), args.end());
    return a;
  }

  // ---- tables and graph checks ------------------------------------------------------------

  static void build_dispatch(flow_program& flow) {
    const std::size_t ns = flow.states.size(), ne = flow.events.size(), ng = flow.groups.size();
    // Candidates per (source, event), in file order: a counting sort of the transitions into
    // (state, event) buckets, then (group, event) buckets.
    const auto bucket_of = [&](const detail::transition_def& tr) {
      return (tr.from_group ? ns + tr.source : std::size_t{tr.source}) * ne + tr.event;
    };
    std::vector<std::uint32_t> start((ns + ng) * ne + 1, 0);
    for (const auto& tr : flow.transitions) ++start[bucket_of(tr) + 1];
    for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    std::vector<std::uint32_t> sorted(flow.transitions.size());
    {
      std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
      for (std::size_t t = 0; t < flow.transitions.size(); ++t)
        sorted[next[bucket_of(flow.transitions[t])]++] = static_cast<std::uint32_t>(t);
    }
    const auto append = [&](std::size_t bucket) {
      flow.dispatch_list.insert(flow.dispatch_list.end(), sorted.begin() + start[bucket],
                                sorted.begin() + start[bucket + 1]);
    };
    flow.dispatch_index.assign(ns * ne + 1, 0);
    flow.dispatch_list.clear();
    for (std::size_t s = 0; s < ns; ++s) {
      for (std::size_t e = 0; e < ne; ++e) {
        flow.dispatch_index[s * ne + e] = static_cast<std::uint32_t>(flow.dispatch_list.size());
        append(s * ne + e);
        for (std::size_t g = 0; g < ng; ++g)
          if (flow.states[s].groups & (std::uint64_t{1} << g)) append((ns + g) * ne + e);
      }
    }
    flow.dispatch_index[ns * ne] = static_cast<std::uint32_t>(flow.dispatch_list.size());
  }

  void check_graph(const flow_program& flow, const std::vector<group_decl>& groups) {
    const std::size_t ns = flow.states.size();
    if (ns == 0) return;
    // Edges: a group's transition leaves from each of its states. The targets of state s are
    // targets[first[s] .. first[s + 1]), in transition order.
    std::vector<std::uint32_t> first(ns + 1, 0);
    for (const auto& tr : flow.transitions) {
      if (tr.internal) continue;
      if (!tr.from_group) {
        ++first[tr.source + 1];
      } else {
        for (state_id s : groups[tr.source].members) ++first[s + 1];
      }
    }
    for (std::size_t s = 1; s <= ns; ++s) first[s] += first[s - 1];
    std::vector<state_id> targets(first[ns]);
    {
      std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
      for (const auto& tr : flow.transitions) {
        if (tr.internal) continue;
        if (!tr.from_group) {
          targets[next[tr.source]++] = tr.target;
        } else {
          for (state_id s : groups[tr.source].members) targets[next[s]++] = tr.target;
        }
      }
    }
    const auto edges = [&](std::size_t s) {
      return std::span<const state_id>(targets.data() + first[s], first[s + 1] - first[s]);
    };
    for (std::size_t s = 0; s < ns; ++s) {
      const auto& st = flow.states[s];
      if (st.final) {
        for (std::size_t g = 0; g < groups.size(); ++g)
          if ((st.groups & (std::uint64_t{1} << g)) && groups[g].has_transitions_or_timers)
            error_at(st.line, st.column, "final state '" + st.name + "' is in group '" +
                                             flow.groups[g].name +
                                             "', which has transitions or timers; a final "
                                             "state can have neither");
        continue;
      }
      const auto out = edges(s);
      const bool way_out = std::any_of(out.begin(), out.end(), [&](state_id t) { return t != s; });
      if (!way_out)
        error_at(st.line, st.column, "state '" + st.name + "' is not final and has no way out");
    }
    std::vector<bool> reached(ns, false);
    std::vector<state_id> todo{flow.initial};
    reached[flow.initial] = true;
    while (!todo.empty()) {
      const state_id s = todo.back();
      todo.pop_back();
      for (state_id t : edges(s))
        if (!reached[t]) {
          reached[t] = true;
          todo.push_back(t);
        }
    }
    for (std::size_t s = 0; s < ns; ++s)
      if (!reached[s])
        error_at(flow.states[s].line, flow.states[s].column,
                 "state '" + flow.states[s].name + "' cannot be reached from the initial state '" +
                     flow.states[flow.initial].name + "'");
  }

  std::string file_;
  set_state& set_;
  std::vector<diagnostic>& diags_;
  flow_program* flow_ = nullptr;
  expr_workspace expr_workspace_;  // compile_expression's buffers, reused for every expression
  int flow_errors_ = 0;
  bool flow_calendar_in_scope_ = false;  // the flow has `calendar:` or `calendar_field:`
};

void sort_diagnostics(std::vector<diagnostic>& diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const diagnostic& a, const diagnostic& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

// `movable`, when given, is `sources` itself, which the rule set may then take instead of a copy.
load_result finish(std::vector<flow_program> flows, set_state& set, std::vector<diagnostic> diags,
                   const std::vector<rules_source>& sources, std::vector<rules_source>* movable) {
  load_result out;
  std::vector<raw_value> calendar_names =
      resolve_calendars(set.calendars, flows, set.literals, diags);
  sort_diagnostics(diags);
  const bool failed = std::any_of(diags.begin(), diags.end(),
                                  [](const diagnostic& d) { return d.severity == severity::error; });
  if (!failed) {
    for (flow_program& f : flows) optimize_flow(f);
    if (flows.size() > max_ids) {
      diags.push_back({severity::error, flows.back().file, 0, 0, "too many flows"});
    } else {
      auto rules = std::make_shared<rule_set>(std::move(flows), std::move(set.literals),
                                                   std::move(set.calendars.calendars),
                                                   std::move(calendar_names));
      rules->set_triggers(trigger_set(std::move(set.trigger_defs), rules->flows()));
      rules->set_report(std::move(set.report));
      if (movable)
        rules->set_version(set.id.value_or(rule_set_id{}), std::move(set.migration_defs), std::move(*movable));
      else
        rules->set_version(set.id.value_or(rule_set_id{}), std::move(set.migration_defs), sources);
      out.rules = std::move(rules);
    }
  }
  out.diagnostics = std::move(diags);
  return out;
}

bool read_file(const std::filesystem::path& path, std::string& text, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = "cannot open the file";
    return false;
  }
  // Read straight into the text, in one read when the size is right (it is only a hint: the
  // file may change meanwhile, or be a pipe).
  text.clear();
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  std::size_t want = !ec && size < (std::uintmax_t{1} << 32) ? static_cast<std::size_t>(size) + 1 : 0;
  while (true) {
    const std::size_t have = text.size();
    const std::size_t chunk = std::max<std::size_t>(want, std::size_t{1} << 16);
    want = 0;
    text.resize(have + chunk);
    in.read(text.data() + have, static_cast<std::streamsize>(chunk));
    text.resize(have + static_cast<std::size_t>(in.gcount()));
    if (!in) break;  // the end of the file, or an error
  }
  if (in.bad()) {
    why = "cannot read the file";
    return false;
  }
  return true;
}

load_result load_sources(const std::vector<rules_source>& sources, const detail::string_pool* seed,
                         std::vector<rules_source>* movable);

}  // namespace
}  // namespace loader

namespace loader {

load_result load_rules_seeded(const std::vector<rules_source>& sources, const detail::string_pool* seed) {
  return load_sources(sources, seed, nullptr);
}

namespace {

load_result load_sources(const std::vector<rules_source>& sources, const detail::string_pool* seed,
                         std::vector<rules_source>* movable) {
  loader::set_state set;
  if (seed) set.literals = *seed;
  std::vector<diagnostic> diags;
  std::vector<detail::flow_program> flows;
  for (const auto& s : sources) {
    loader::file_loader f(s.file, set, diags);
    f.load(s.text, flows);
  }
  loader::compile_tables(set.tables, flows, set.literals, diags);
  set.trigger_defs = loader::compile_triggers(
      set.triggers, flows, [&](std::string_view name) { return set.flow_names.contains(name); },
      set.literals, diags);
  set.report = loader::compile_report(
      set.reports, flows, [&](std::string_view name) { return set.flow_names.contains(name); }, diags);
  const rule_set_id id = set.id.value_or(rule_set_id{});
  set.migration_defs = loader::compile_migrations(
      set.migrations, flows, [&](std::string_view name) { return set.flow_names.contains(name); }, id,
      set.id.has_value(), set.literals, diags);
  return loader::finish(std::move(flows), set, std::move(diags), sources, movable);
}

}  // namespace

}  // namespace loader

load_result load_rules_from_sources(const std::vector<rules_source>& sources) {
  return loader::load_rules_seeded(sources, nullptr);
}

load_result load_rules_from_string(std::string_view text, std::string_view file_name) {
  return load_rules_from_sources({rules_source{std::string(file_name), std::string(text)}});
}

read_sources_result read_rules_sources(const std::vector<std::filesystem::path>& paths) {
  namespace fs = std::filesystem;
  read_sources_result out;
  std::vector<rules_source>& sources = out.sources;
  std::vector<diagnostic>& read_errors = out.diagnostics;
  auto add_file = [&](const fs::path& p) {
    rules_source s;
    s.file = p.string();
    std::string why;
    if (loader::read_file(p, s.text, why))
      sources.push_back(std::move(s));
    else
      read_errors.push_back({severity::error, p.string(), 0, 0, why});
  };
  for (const fs::path& path : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      read_errors.push_back({severity::error, path.string(), 0, 0,
                             "no such file or directory"});
      continue;
    }
    if (fs::is_directory(st)) {
      std::vector<fs::path> files;
      fs::directory_iterator it(path, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        const auto ext = p.extension();
        std::error_code fec;
        if ((ext == ".yaml" || ext == ".yml") && !fs::is_directory(p, fec)) files.push_back(p);
      }
      if (ec) {
        read_errors.push_back({severity::error, path.string(), 0, 0,
                               "cannot list the directory: " + ec.message()});
        continue;
      }
      std::sort(files.begin(), files.end(),
                [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
      for (const auto& f : files) add_file(f);
    } else {
      add_file(path);
    }
  }
  loader::sort_diagnostics(read_errors);
  return out;
}

load_result load_rules(const std::vector<std::filesystem::path>& paths) {
  read_sources_result read = read_rules_sources(paths);
  const std::vector<diagnostic>& read_errors = read.diagnostics;
  // The texts were read for this load only: the rule set takes them rather than a copy.
  load_result r = loader::load_sources(read.sources, nullptr, &read.sources);
  if (!read_errors.empty()) {
    r.rules = nullptr;
    r.diagnostics.insert(r.diagnostics.end(), read_errors.begin(), read_errors.end());
    loader::sort_diagnostics(r.diagnostics);
  }
  return r;
}

}  // namespace crmflow
