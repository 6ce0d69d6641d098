// The `tables:` walk and the completeness checks of decision tables.
//
// A table is read twice. First on its own (keys, names, the shape of each row), once for the
// whole set, so that a table no flow uses is still checked as far as it can be. Then once per
// flow that uses it, against that flow's fields: each cell becomes a typed condition, and the
// conditions are checked exactly, without sampling:
//   - gaps: each input's values are cut into classes that every row treats alike (an enum's
//     values, true/false, the texts the rows name plus "any other text", the intervals between
//     the bounds of the number ranges), and a depth-first search over the classes, input by
//     input, with the rows still possible, finds the first combination no row matches. It
//     stops a branch as soon as a possible row accepts everything that is left, so a table
//     written as rows of a few inputs each is checked in time proportional to its rows; one
//     that would need more than max_gap_steps steps is refused rather than guessed at;
//   - overlaps (hit: unique, and rows of equal priority): two rows overlap when every input
//     has a value both accept, which is checked input by input for each pair of rows.
#include "loader/table_loader.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "crmflow/rule_set.hpp"
#include "crmflow/time.hpp"
#include "loader/expr_compiler.hpp"
#include "loader/map_keys.hpp"

namespace crmflow::loader {
namespace {

using detail::flow_program;

constexpr std::size_t max_inputs = 16;
constexpr std::size_t max_outputs = 64;
constexpr std::size_t max_rows = 2000;
constexpr std::uint64_t max_gap_steps = 1'000'000;
constexpr std::int64_t min_value = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t max_value = std::numeric_limits<std::int64_t>::max();

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---- the table as written -------------------------------------------------------------------

struct row_src {
  const ynode* node = nullptr;
  std::uint32_t number = 0;         // 1-based
  std::vector<const ynode*> when;   // per input: the cell, null when the row does not test it
  std::vector<const ynode*> then;   // per output
  std::int64_t priority = 0;
  bool ok = true;                   // no error of its own
};

struct table_src {
  std::string name;
  std::string label;
  std::string file;
  const ynode* key = nullptr;
  detail::table_hit hit = detail::table_hit::unique;
  std::vector<const ynode*> inputs;   // the names under `inputs:`
  std::vector<const ynode*> outputs;  // the names under `outputs:`
  std::vector<row_src> rows;
  const ynode* default_node = nullptr;
  std::vector<const ynode*> default_then;
  bool ok = true;       // inputs, outputs and hit are sound: each use can be type-checked
  bool rows_ok = true;  // and so are the rows and the default: the table can be compiled
  bool used = false;
};

// ---- typed conditions -----------------------------------------------------------------------

struct input_type {
  std::string name;
  field_id field = 0;
  value_type type = value_type::string;
  std::uint32_t enum_index = no_id32;
};

bool ordered(value_type t) { return t == value_type::integer || t == value_type::duration; }

// One cell, typed. `any`, or the accepted values (enum indices, 0/1, string ids; sorted,
// unique), or for int and duration inputs the accepted closed intervals (sorted, merged).
struct cond {
  bool any = true;
  std::vector<std::int64_t> values;
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;

  bool accepts(std::int64_t v) const {
    if (any) return true;
    if (!ranges.empty() || values.empty())
      return std::any_of(ranges.begin(), ranges.end(),
                         [&](const auto& r) { return r.first <= v && v <= r.second; });
    return std::binary_search(values.begin(), values.end(), v);
  }
};

// The value shown for the interval [lo, hi] in a message: 0 if it holds 0, else the end nearer
// to 0 (so `< 1h` shows 0s and `>= 10` shows 10, not a bound near the end of the number line).
std::int64_t shown(std::int64_t lo, std::int64_t hi) {
  if (lo <= 0 && 0 <= hi) return 0;
  return lo > 0 ? lo : hi;
}

// A value both conditions accept, if there is one. `is_ordered`: conditions hold ranges.
std::optional<std::int64_t> common_value(const cond& a, const cond& b, bool is_ordered) {
  if (a.any && b.any) return std::nullopt;  // the caller says "any"
  const cond& one = a.any ? b : a;
  const cond& other = a.any ? a : b;
  if (is_ordered) {
    for (const auto& [lo1, hi1] : one.ranges) {
      if (other.any) return shown(lo1, hi1);
      for (const auto& [lo2, hi2] : other.ranges) {
        const std::int64_t lo = std::max(lo1, lo2), hi = std::min(hi1, hi2);
        if (lo <= hi) return shown(lo, hi);
      }
    }
    return std::nullopt;
  }
  for (const std::int64_t v : one.values)
    if (other.accepts(v)) return v;
  return std::nullopt;
}

bool intersects(const cond& a, const cond& b, bool is_ordered) {
  return (a.any && b.any) || common_value(a, b, is_ordered).has_value();
}

// ---- the walker -----------------------------------------------------------------------------

class table_walker {
 public:
  table_walker(std::vector<flow_program>& flows, detail::string_pool& literals,
               std::vector<diagnostic>& diags)
      : flows_(flows), literals_(literals), diags_(diags) {}

  void walk(const table_source& src) {
    file_ = src.file;
    const ynode& map = src.node.root();
    if (map.is_null()) return;
    if (!map.is_map()) {
      error(map, std::string("'tables' must be a map of table names, found ") + describe(map.kind));
      return;
    }
    for (const auto& [k, v] : map.entries) {
      if (!k.is_scalar()) {
        error(k, std::string("expected a table name, found ") + describe(k.kind));
        continue;
      }
      if (!is_identifier(k.text)) {
        error(k, "bad table name '" + k.text +
                     "' (a name is ASCII letters, digits and '_', starting with a letter)");
        continue;
      }
      if (auto it = by_name_.find(k.text); it != by_name_.end()) {
        const table_src& first = tables_[it->second];
        error(k, "duplicate table '" + k.text + "' (first defined in " + first.file + " at line " +
                     std::to_string(first.key->line) + ")");
        continue;
      }
      by_name_.emplace(k.text, tables_.size());
      tables_.push_back(read_table(k, v));
    }
  }

  // Compiles the tables each flow names, then warns about tables nobody uses.
  void compile_uses() {
    for (flow_program& flow : flows_)
      for (std::size_t i = 0; i < flow.tables.size(); ++i) compile_use(flow, i);
    // With errors, some flows may have been dropped, and a table they use would look unused.
    if (std::any_of(diags_.begin(), diags_.end(),
                    [](const diagnostic& d) { return d.severity == severity::error; }))
      return;
    for (const table_src& t : tables_)
      if (!t.used && t.ok)
        diags_.push_back({severity::warning, t.file, t.key->line, t.key->column,
                          "table '" + t.name + "' is not used by any flow (no action 'decide: " +
                              t.name + "'), so its fields and values are not checked"});
  }

 private:
  using keys = map_keys;

  void error_at(const std::string& file, int line, int column, std::string message) {
    diagnostic d{severity::error, file, line, column, std::move(message)};
    // A table used by several flows of the same types would report the same problem again.
    ++errors_;  // counted all the same: the caller must stop as it would for a new one
    if (std::find(diags_.begin() + static_cast<std::ptrdiff_t>(first_diag_), diags_.end(), d) !=
        diags_.end())
      return;
    diags_.push_back(std::move(d));
  }
  void error(const ynode& at, std::string message) {
    error_at(file_, at.line, at.column, std::move(message));
  }

  bool expect(const ynode& n, ynode_kind kind, const std::string& what) {
    if (n.kind == kind) return true;
    error(n, what + " must be " + describe(kind) + ", found " + describe(n.kind));
    return false;
  }

  keys read_keys(const ynode& map, const std::string& where,
                 std::initializer_list<std::string_view> allowed) {
    return read_map_keys(map, where, allowed, [this](const ynode& at, std::string m) { error(at, std::move(m)); });
  }

  // `inputs:` or `outputs:`: a list of distinct field names.
  std::vector<const ynode*> name_list(const ynode& n, const std::string& what) {
    std::vector<const ynode*> out;
    if (!expect(n, ynode_kind::sequence, what)) return out;
    for (const ynode& item : n.items) {
      if (!expect(item, ynode_kind::scalar, "an entry of " + what)) continue;
      if (!is_identifier(item.text)) {
        error(item, "bad field name '" + item.text + "' in " + what);
        continue;
      }
      if (std::any_of(out.begin(), out.end(), [&](const ynode* o) { return o->text == item.text; })) {
        error(item, "field '" + item.text + "' appears twice in " + what);
        continue;
      }
      out.push_back(&item);
    }
    return out;
  }

  static std::string names(const std::vector<const ynode*>& nodes) {
    std::string out;
    for (const ynode* n : nodes) out += (out.empty() ? "" : ", ") + n->text;
    return out;
  }

  // `then:` or `default:`: every output exactly once. Returns one node per output.
  std::vector<const ynode*> outputs_of(const ynode& map, const table_src& t, const std::string& what) {
    std::vector<const ynode*> out(t.outputs.size(), nullptr);
    if (!expect(map, ynode_kind::map, what)) return {};
    bool ok = true;
    for (const auto& [k, v] : map.entries) {
      if (!expect(k, ynode_kind::scalar, "a key of " + what)) {
        ok = false;
        continue;
      }
      auto it = std::find_if(t.outputs.begin(), t.outputs.end(),
                             [&](const ynode* o) { return o->text == k.text; });
      if (it == t.outputs.end()) {
        error(k, what + " sets '" + k.text + "', which is not an output of table '" + t.name +
                     "' (outputs: " + names(t.outputs) + ")");
        ok = false;
        continue;
      }
      const std::size_t i = static_cast<std::size_t>(it - t.outputs.begin());
      if (out[i]) {
        error(k, what + " sets '" + k.text + "' twice");
        ok = false;
        continue;
      }
      out[i] = &v;
    }
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!out[i] && ok) {
        error(map, what + " leaves out output '" + t.outputs[i]->text +
                       "' (every row and the default give every output)");
        ok = false;
      }
    return ok ? out : std::vector<const ynode*>{};
  }

  table_src read_table(const ynode& key, const ynode& v) {
    table_src t;
    t.name = key.text;
    t.file = file_;
    t.key = &key;
    const std::size_t errors_before = errors_;
    const std::string where = "table '" + key.text + "'";
    if (!v.is_map()) {
      error(v.is_null() ? key : v, where + " must be a map, found " + describe(v.kind));
      t.ok = false;
      return t;
    }
    keys k = read_keys(v, where, {"label", "hit", "inputs", "outputs", "rows", "default"});
    if (const ynode* label = k.get("label"); label && !label->is_null())
      if (expect(*label, ynode_kind::scalar, "'label' of " + where)) t.label = label->text;
    if (const ynode* hit = k.get("hit"); hit && expect(*hit, ynode_kind::scalar, "'hit' of " + where)) {
      if (hit->text == "unique") t.hit = detail::table_hit::unique;
      else if (hit->text == "first") t.hit = detail::table_hit::first;
      else if (hit->text == "priority") t.hit = detail::table_hit::priority;
      else
        error(*hit, "unknown hit policy '" + hit->text + "' for " + where +
                        " (expected one of: unique, first, priority)");
    }
    const ynode* inputs = k.get("inputs");
    const ynode* outputs = k.get("outputs");
    const ynode* rows = k.get("rows");
    if (!inputs) error(key, where + " is missing the key 'inputs' (the fields it reads, like [category, grade])");
    if (!outputs) error(key, where + " is missing the key 'outputs' (the fields it sets, like [unit, limit])");
    if (!rows) error(key, where + " is missing the key 'rows'");
    if (inputs) t.inputs = name_list(*inputs, "'inputs' of " + where);
    if (outputs) {
      t.outputs = name_list(*outputs, "'outputs' of " + where);
      if (outputs->is_sequence() && outputs->items.empty())
        error(*outputs, "'outputs' of " + where + " is empty: a table sets at least one field");
    }
    if (t.inputs.size() > max_inputs)
      error(*inputs, where + " has more than " + std::to_string(max_inputs) + " inputs");
    if (t.outputs.size() > max_outputs)
      error(*outputs, where + " has more than " + std::to_string(max_outputs) + " outputs");
    if (errors_ != errors_before) {
      t.ok = false;
      return t;
    }
    if (rows && !rows->is_null() && expect(*rows, ynode_kind::sequence, "'rows' of " + where)) {
      if (rows->items.size() > max_rows)
        error(*rows, where + " has more than " + std::to_string(max_rows) + " rows");
      else
        for (const ynode& r : rows->items) read_row(r, t);
    }
    if (const ynode* def = k.get("default"); def && !def->is_null()) {
      t.default_node = def;
      t.default_then = outputs_of(*def, t, "'default' of " + where);
    }
    if (errors_ != errors_before) t.rows_ok = false;
    return t;
  }

  void read_row(const ynode& r, table_src& t) {
    const std::size_t errors_before = errors_;
    read_row_keys(r, t);
    if (errors_ != errors_before) t.rows.back().ok = false;
  }

  void read_row_keys(const ynode& r, table_src& t) {
    row_src row;
    row.node = &r;
    row.number = static_cast<std::uint32_t>(t.rows.size() + 1);
    const std::string where = "row " + std::to_string(row.number) + " of table '" + t.name + "'";
    t.rows.push_back(row);  // numbered even when wrong, so later rows keep their numbers
    if (!expect(r, ynode_kind::map, where)) return;
    keys k = read_keys(r, where, {"when", "then", "priority"});
    row_src& out = t.rows.back();
    out.when.assign(t.inputs.size(), nullptr);
    if (const ynode* when = k.get("when"); when && !when->is_null() &&
                                           expect(*when, ynode_kind::map, "'when' of " + where)) {
      for (const auto& [ck, cv] : when->entries) {
        if (!expect(ck, ynode_kind::scalar, "a key of 'when' of " + where)) continue;
        auto it = std::find_if(t.inputs.begin(), t.inputs.end(),
                               [&](const ynode* i) { return i->text == ck.text; });
        if (it == t.inputs.end()) {
          error(ck, where + " tests '" + ck.text + "', which is not an input of the table (inputs: " +
                        (t.inputs.empty() ? std::string("none") : names(t.inputs)) + ")");
          continue;
        }
        const std::size_t i = static_cast<std::size_t>(it - t.inputs.begin());
        if (out.when[i]) {
          error(ck, where + " tests '" + ck.text + "' twice");
          continue;
        }
        out.when[i] = &cv;
      }
    }
    const ynode* then = k.get("then");
    if (!then)
      error(r, where + " is missing the key 'then' (the outputs it gives)");
    else
      out.then = outputs_of(*then, t, "'then' of " + where);
    const ynode* priority = k.get("priority");
    if (t.hit == detail::table_hit::priority) {
      if (!priority) {
        error(r, where + " is missing the key 'priority' (hit: priority: a whole number, the "
                         "highest wins)");
      } else if (expect(*priority, ynode_kind::scalar, "'priority' of " + where)) {
        if (auto p = parse_int(priority->text)) out.priority = *p;
        else error(*priority, "bad priority '" + priority->text + "' (expected a whole number)");
      }
    } else if (priority) {
      error(*k.key("priority"), where + " has a 'priority', but the table's hit policy is not "
                                        "'priority'");
    }
  }

  // ---- per using flow ---------------------------------------------------------------------

  // Where `flow` uses table `index` (its first decide action), for messages.
  static std::pair<int, int> use_position(const flow_program& flow, std::size_t index) {
    for (const detail::action_def& a : flow.actions)
      if (a.kind == detail::action_kind::decide && a.target == index) return {a.line, a.column};
    return {0, 0};
  }

  void compile_use(flow_program& flow, std::size_t index) {
    detail::decision_table& out = flow.tables[index];
    const auto [use_line, use_column] = use_position(flow, index);
    auto it = by_name_.find(out.name);
    if (it == by_name_.end()) {
      std::vector<std::string> all;
      for (const table_src& t : tables_) all.push_back(t.name);
      error_at(flow.file, use_line, use_column,
               "action 'decide' names unknown table '" + out.name + "'" +
                   (all.empty() ? std::string(" (no tables are defined: add them under 'tables:')")
                                : " (tables: " + join(all) + ")"));
      return;
    }
    table_src& t = tables_[it->second];
    t.used = true;
    if (!t.ok) return;
    file_ = t.file;
    flow_ = &flow;
    use_ = flow.file + ":" + std::to_string(use_line) + ":" + std::to_string(use_column);
    const std::size_t errors_before = errors_;
    std::size_t users = 0;
    for (const flow_program& f : flows_)
      for (const detail::decision_table& d : f.tables) users += d.name == t.name;
    in_flow_ = users > 1 ? " (in flow '" + flow.name + "')" : std::string();

    // Inputs and outputs must be fields of the flow.
    std::vector<input_type> inputs;
    for (const ynode* n : t.inputs) {
      const auto f = field(flow, *n, t, "reads");
      if (!f) continue;
      const detail::field_def& fd = flow.fields[*f];
      if (fd.type == value_type::timestamp) {
        error(*n, "table '" + t.name + "' cannot read timestamp field '" + fd.name +
                      "' (a table compares with values written in the rules; keep a duration or "
                      "a flag in a field and read that)");
        continue;
      }
      inputs.push_back({fd.name, *f, fd.type, fd.enum_index});
    }
    std::vector<field_id> outputs;
    for (const ynode* n : t.outputs) {
      const auto f = field(flow, *n, t, "sets");
      if (!f) continue;
      if (flow.fields[*f].type == value_type::timestamp) {
        error(*n, "table '" + t.name + "' cannot set timestamp field '" + n->text +
                      "' (a timestamp has no value written in rules)");
        continue;
      }
      outputs.push_back(*f);
    }
    if (errors_ != errors_before) return;

    // Cells and outputs, typed.
    std::vector<std::vector<cond>> conds(t.rows.size(), std::vector<cond>(inputs.size()));
    std::vector<std::vector<raw_value>> values(t.rows.size());
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      const row_src& row = t.rows[r];
      if (!row.ok) continue;  // its own errors are reported; check the other rows' values
      for (std::size_t i = 0; i < inputs.size(); ++i)
        if (row.when[i])
          if (auto c = read_cell(*row.when[i], inputs[i], t)) conds[r][i] = std::move(*c);
      values[r] = read_outputs(row.then, outputs, t);
    }
    std::vector<raw_value> default_values;
    if (t.default_node) default_values = read_outputs(t.default_then, outputs, t);
    if (errors_ != errors_before || !t.rows_ok) return;

    // The order the engine tries the rows in; checks.
    std::vector<std::size_t> order(t.rows.size());
    for (std::size_t r = 0; r < order.size(); ++r) order[r] = r;
    if (t.hit == detail::table_hit::priority)
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return t.rows[a].priority > t.rows[b].priority;
      });
    if (t.hit != detail::table_hit::first) check_overlaps(t, inputs, conds);
    if (!t.default_node) check_gaps(t, inputs, conds);
    if (errors_ != errors_before) return;

    // Compiled form.
    out.label = t.label;
    out.file = t.file;
    out.hit = t.hit;
    out.line = t.key->line;
    out.column = t.key->column;
    out.inputs_first = static_cast<std::uint32_t>(flow.table_fields.size());
    out.inputs_count = static_cast<std::uint32_t>(inputs.size());
    for (const input_type& in : inputs) flow.table_fields.push_back(in.field);
    out.outputs_first = static_cast<std::uint32_t>(flow.table_fields.size());
    out.outputs_count = static_cast<std::uint32_t>(outputs.size());
    flow.table_fields.insert(flow.table_fields.end(), outputs.begin(), outputs.end());
    out.rows_first = static_cast<std::uint32_t>(flow.table_rows.size());
    out.rows_count = static_cast<std::uint32_t>(order.size());
    for (const std::size_t r : order) {
      detail::table_row row;
      row.number = t.rows[r].number;
      row.priority = t.rows[r].priority;
      row.line = t.rows[r].node->line;
      row.column = t.rows[r].node->column;
      row.tests_first = static_cast<std::uint32_t>(flow.table_tests.size());
      for (std::size_t i = 0; i < inputs.size(); ++i)
        if (auto test = compile_test(flow, inputs[i], conds[r][i])) flow.table_tests.push_back(*test);
      row.tests_count = static_cast<std::uint32_t>(flow.table_tests.size()) - row.tests_first;
      row.values_first = static_cast<std::uint32_t>(flow.table_values.size());
      flow.table_values.insert(flow.table_values.end(), values[r].begin(), values[r].end());
      flow.table_rows.push_back(row);
    }
    if (t.default_node) {
      out.default_values = static_cast<std::uint32_t>(flow.table_values.size());
      flow.table_values.insert(flow.table_values.end(), default_values.begin(), default_values.end());
    }
  }

  std::optional<field_id> field(const flow_program& flow, const ynode& n, const table_src& t,
                                const char* verb) {
    auto it = flow.field_by_name.find(n.text);
    if (it != flow.field_by_name.end()) return it->second;
    error(n, "table '" + t.name + "' " + verb + " field '" + n.text + "', which flow '" + flow.name +
                 "' does not have (the flow decides with this table at " + use_ + ")");
    return std::nullopt;
  }

  std::string type_text(const input_type& in) const {
    if (in.type != value_type::enumeration) return std::string(to_string(in.type));
    return "enum (" + join(flow_->enums[in.enum_index].values) + ")";
  }

  // One cell: `any`, a value, or a list of values; for int and duration inputs also `< v`,
  // `<= v`, `> v`, `>= v` and `a..b` (both ends included).
  std::optional<cond> read_cell(const ynode& n, const input_type& in, const table_src& t) {
    const std::string what = "input '" + in.name + "' of table '" + t.name + "'";
    cond c;
    if (n.is_scalar() && n.style == 0 && n.text == "any") return c;  // quoted "any" is text
    c.any = false;
    std::vector<const ynode*> items;
    if (n.is_scalar()) {
      items.push_back(&n);
    } else if (n.is_sequence() && !n.items.empty()) {
      for (const ynode& item : n.items) {
        if (!expect(item, ynode_kind::scalar, "an entry of the list for " + what)) return std::nullopt;
        if (item.style == 0 && item.text == "any") {
          error(item, "'any' cannot be part of a list (write 'any' on its own) for " + what);
          return std::nullopt;
        }
        items.push_back(&item);
      }
    } else {
      error(n, "the condition on " + what + " must be a value, a list of values or 'any', found " +
                   (n.is_sequence() ? std::string("an empty list") : describe(n.kind)) +
                   (n.is_null() ? " (write 'any' to match every value)" : ""));
      return std::nullopt;
    }
    for (const ynode* item : items) {
      if (ordered(in.type)) {
        auto r = read_range(*item, in, what);
        if (!r) return std::nullopt;
        c.ranges.push_back(*r);
        continue;
      }
      auto v = read_value(*item, in.type, in.enum_index, what);
      if (!v) return std::nullopt;
      c.values.push_back(*v);
    }
    std::sort(c.values.begin(), c.values.end());
    c.values.erase(std::unique(c.values.begin(), c.values.end()), c.values.end());
    std::sort(c.ranges.begin(), c.ranges.end());
    std::vector<std::pair<std::int64_t, std::int64_t>> merged;
    for (const auto& r : c.ranges) {
      if (!merged.empty() && (merged.back().second == max_value || r.first <= merged.back().second + 1))
        merged.back().second = std::max(merged.back().second, r.second);
      else
        merged.push_back(r);
    }
    c.ranges = std::move(merged);
    return c;
  }

  std::optional<std::int64_t> ordered_literal(std::string_view s, value_type type) {
    if (type == value_type::integer) return parse_int(s);
    return parse_duration(s);
  }

  std::optional<std::pair<std::int64_t, std::int64_t>> read_range(const ynode& n, const input_type& in,
                                                                  const std::string& what) {
    const std::string_view s = trim(n.text);
    const char* example = in.type == value_type::integer ? "3, >= 3, < 10 or 1..5" : "24h, >= 1d, < 4h or 1h..4h";
    auto bad = [&] {
      error(n, "bad condition '" + n.text + "' on " + in.name + " (" + std::string(to_string(in.type)) +
                   ") for " + what + " (expected a value or a range, like " + example + ")");
      return std::nullopt;
    };
    for (const std::string_view op : {"<=", ">=", "<", ">"}) {
      if (s.substr(0, op.size()) != op) continue;
      const auto v = ordered_literal(trim(s.substr(op.size())), in.type);
      if (!v) return bad();
      if ((op == "<" && *v == min_value) || (op == ">" && *v == max_value)) {
        error(n, "condition '" + n.text + "' for " + what + " matches no value");
        return std::nullopt;
      }
      if (op == "<=") return std::pair{min_value, *v};
      if (op == ">=") return std::pair{*v, max_value};
      if (op == "<") return std::pair{min_value, *v - 1};
      return std::pair{*v + 1, max_value};
    }
    if (const std::size_t dots = s.find(".."); dots != std::string_view::npos) {
      const auto lo = ordered_literal(trim(s.substr(0, dots)), in.type);
      const auto hi = ordered_literal(trim(s.substr(dots + 2)), in.type);
      if (!lo || !hi) return bad();
      if (*lo > *hi) {
        error(n, "range '" + n.text + "' for " + what + " is empty (its start is after its end)");
        return std::nullopt;
      }
      return std::pair{*lo, *hi};
    }
    const auto v = ordered_literal(s, in.type);
    if (!v) return bad();
    return std::pair{*v, *v};
  }

  // A value as rules write it (cells of enum, bool and string inputs; outputs).
  std::optional<raw_value> read_value(const ynode& n, value_type type, std::uint32_t enum_index,
                                      const std::string& what) {
    if (!expect(n, ynode_kind::scalar, "the value for " + what)) return std::nullopt;
    const ytext& s = n.text;
    switch (type) {
      case value_type::string: return literals_.intern(s);
      case value_type::integer:
        if (auto v = parse_int(s)) return *v;
        error(n, "bad value '" + s + "' for int " + what + " (expected a whole number like 42)");
        return std::nullopt;
      case value_type::boolean:
        if (s == "true") return 1;
        if (s == "false") return 0;
        error(n, "bad value '" + s + "' for bool " + what + " (expected true or false)");
        return std::nullopt;
      case value_type::enumeration: {
        const auto& values = flow_->enums[enum_index].values;
        for (std::size_t i = 0; i < values.size(); ++i)
          if (values[i] == s) return static_cast<raw_value>(i);
        error(n, "bad value '" + s + "' for enum " + what + " (expected one of: " + join(values) + ")");
        return std::nullopt;
      }
      case value_type::duration:
        if (auto d = parse_duration(s)) return *d;
        error(n, "bad duration '" + s + "' for " + what +
                     " (expected a number and a unit s, m, h or d, like 24h)");
        return std::nullopt;
      case value_type::timestamp: break;  // refused before
    }
    return std::nullopt;
  }

  std::vector<raw_value> read_outputs(const std::vector<const ynode*>& nodes,
                                      const std::vector<field_id>& outputs, const table_src& t) {
    std::vector<raw_value> out;
    for (std::size_t i = 0; i < outputs.size() && i < nodes.size(); ++i) {
      const detail::field_def& fd = flow_->fields[outputs[i]];
      if (auto v = read_value(*nodes[i], fd.type, fd.enum_index,
                              "output '" + fd.name + "' of table '" + t.name + "'"))
        out.push_back(*v);
    }
    return out;
  }

  // ---- checks -----------------------------------------------------------------------------

  // `name=value` for messages.
  std::string value_text(const input_type& in, std::int64_t v) const {
    std::string out = in.name + "=";
    switch (in.type) {
      case value_type::enumeration: out += flow_->enums[in.enum_index].values[static_cast<std::size_t>(v)]; break;
      case value_type::boolean: out += v ? "true" : "false"; break;
      case value_type::string:
        out += '"';
        out += literals_.text(v);
        out += '"';
        break;
      case value_type::duration: append_duration(out, v); break;
      default: out += std::to_string(v); break;
    }
    return out;
  }

  void check_overlaps(const table_src& t, const std::vector<input_type>& inputs,
                      const std::vector<std::vector<cond>>& conds) {
    const bool by_priority = t.hit == detail::table_hit::priority;
    for (std::size_t j = 0; j < t.rows.size(); ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (by_priority && t.rows[i].priority != t.rows[j].priority) continue;
        bool all = true;
        for (std::size_t d = 0; all && d < inputs.size(); ++d)
          all = intersects(conds[i][d], conds[j][d], ordered(inputs[d].type));
        if (!all) continue;
        std::string example;
        for (std::size_t d = 0; d < inputs.size(); ++d) {
          example += d == 0 ? "" : ", ";
          const auto v = common_value(conds[i][d], conds[j][d], ordered(inputs[d].type));
          example += v ? value_text(inputs[d], *v) : inputs[d].name + "=any";
        }
        if (inputs.empty()) example = "every input";
        const std::string rows = "row " + std::to_string(t.rows[j].number) + " of table '" + t.name +
                                 "' overlaps row " + std::to_string(t.rows[i].number) + " (line " +
                                 std::to_string(t.rows[i].node->line) + "): both match " + example;
        if (by_priority)
          error(*t.rows[j].node, rows + ", and both have priority " + std::to_string(t.rows[j].priority) +
                                     in_flow_ + " (give one of them a higher priority, or narrow one)");
        else
          error(*t.rows[j].node, rows + in_flow_ +
                                     " (hit: unique allows one matching row per input; narrow one of "
                                     "the rows, or use hit: first or hit: priority)");
        break;  // one message per row
      }
    }
  }

  // The classes of one input: values every row treats alike. `rep` is the value shown in a
  // message; `other` marks "any text the rows do not name" of a string input.
  struct input_class {
    std::int64_t rep = 0;
    bool other = false;
    std::vector<std::uint64_t> rows;  // bit r: row r accepts this class
  };

  std::vector<input_class> classes_of(const input_type& in, const std::vector<std::vector<cond>>& conds,
                                      std::size_t d) const {
    const std::size_t words = (conds.size() + 63) / 64;
    std::vector<std::pair<std::int64_t, bool>> reps;  // (representative, other)
    if (in.type == value_type::enumeration) {
      for (std::size_t v = 0; v < flow_->enums[in.enum_index].values.size(); ++v)
        reps.emplace_back(static_cast<std::int64_t>(v), false);
    } else if (in.type == value_type::boolean) {
      reps = {{0, false}, {1, false}};
    } else if (in.type == value_type::string) {
      std::vector<std::int64_t> named;
      for (const auto& row : conds) named.insert(named.end(), row[d].values.begin(), row[d].values.end());
      std::sort(named.begin(), named.end());
      named.erase(std::unique(named.begin(), named.end()), named.end());
      for (const std::int64_t v : named) reps.emplace_back(v, false);
      reps.emplace_back(0, true);
    } else {
      // Interval starts: the domain's start and every point just past a bound.
      std::vector<std::int64_t> starts{min_value};
      for (const auto& row : conds)
        for (const auto& [lo, hi] : row[d].ranges) {
          starts.push_back(lo);
          if (hi != max_value) starts.push_back(hi + 1);
        }
      std::sort(starts.begin(), starts.end());
      starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
      for (std::size_t k = 0; k < starts.size(); ++k) {
        const std::int64_t end = k + 1 < starts.size() ? starts[k + 1] - 1 : max_value;
        reps.emplace_back(shown(starts[k], end), false);
      }
    }
    std::vector<input_class> out;
    for (const auto& [rep, other] : reps) {
      input_class c{rep, other, std::vector<std::uint64_t>(words, 0)};
      for (std::size_t r = 0; r < conds.size(); ++r) {
        const cond& k = conds[r][d];
        if (k.any || (!other && k.accepts(rep))) c.rows[r / 64] |= std::uint64_t{1} << (r % 64);
      }
      // Merge with an earlier class the rows treat alike: the search needs one of them.
      if (std::none_of(out.begin(), out.end(), [&](const input_class& o) { return o.rows == c.rows; }))
        out.push_back(std::move(c));
    }
    return out;
  }

  void check_gaps(const table_src& t, const std::vector<input_type>& inputs,
                  const std::vector<std::vector<cond>>& conds) {
    if (t.rows.empty()) {
      error(*t.key, "table '" + t.name + "' has no rows and no default");
      return;
    }
    classes_.clear();
    for (std::size_t d = 0; d < inputs.size(); ++d) classes_.push_back(classes_of(inputs[d], conds, d));
    // rest_any_[r]: the first input from which row r accepts everything.
    rest_any_.assign(conds.size(), 0);
    for (std::size_t r = 0; r < conds.size(); ++r) {
      std::size_t d = inputs.size();
      while (d > 0 && conds[r][d - 1].any) --d;
      rest_any_[r] = d;
    }
    std::vector<std::uint64_t> alive((conds.size() + 63) / 64, 0);
    for (std::size_t r = 0; r < conds.size(); ++r) alive[r / 64] |= std::uint64_t{1} << (r % 64);
    pick_.assign(inputs.size(), 0);
    steps_ = 0;
    const int found = search(0, alive);
    if (found < 0) {
      error(*t.key, "table '" + t.name + "' is too large to check for gaps (more than " +
                        std::to_string(max_gap_steps) + " steps)" + in_flow_ +
                        ": give it a default, or split it into smaller tables");
      return;
    }
    if (found == 0) return;
    std::string example;
    for (std::size_t d = 0; d < inputs.size(); ++d) {
      const input_class& c = classes_[d][pick_[d]];
      example += d == 0 ? "" : ", ";
      example += c.other ? inputs[d].name + "=(any text no row names)" : value_text(inputs[d], c.rep);
    }
    error(*t.key, "table '" + t.name + "': no row matches " + example + " and the table has no default" +
                      in_flow_ + " (add a row for it, or a 'default:')");
  }

  // 1: a gap, described by pick_; 0: none below; -1: gave up (too many steps).
  int search(std::size_t d, const std::vector<std::uint64_t>& alive) {
    if (++steps_ > max_gap_steps) return -1;
    for (std::size_t w = 0; w < alive.size(); ++w)
      for (std::uint64_t bits = alive[w]; bits != 0; bits &= bits - 1) {
        const std::size_t r = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
        if (rest_any_[r] <= d) return 0;  // this row accepts every rest: covered
      }
    // Here d < inputs: at the last input every live row has rest_any_ <= d.
    std::vector<std::uint64_t> next(alive.size());
    for (std::size_t k = 0; k < classes_[d].size(); ++k) {
      bool any_alive = false;
      for (std::size_t w = 0; w < alive.size(); ++w) {
        next[w] = alive[w] & classes_[d][k].rows[w];
        any_alive = any_alive || next[w] != 0;
      }
      pick_[d] = k;
      if (!any_alive) {
        for (std::size_t e = d + 1; e < pick_.size(); ++e) pick_[e] = 0;
        return 1;
      }
      const int found = search(d + 1, next);
      if (found != 0) return found;
    }
    return 0;
  }

  // ---- compiled tests ---------------------------------------------------------------------

  std::optional<detail::table_test> compile_test(flow_program& flow, const input_type& in, const cond& c) {
    if (c.any) return std::nullopt;
    detail::table_test t;
    t.field = in.field;
    if (ordered(in.type)) {
      if (c.ranges.size() == 1 && c.ranges[0].first == min_value && c.ranges[0].second == max_value)
        return std::nullopt;
      if (c.ranges.size() == 1) {
        t.kind = detail::table_test_kind::range;
        t.lo = c.ranges[0].first;
        t.hi = c.ranges[0].second;
        return t;
      }
      t.kind = detail::table_test_kind::ranges;
      t.first = static_cast<std::uint32_t>(flow.constants.size());
      t.count = static_cast<std::uint32_t>(c.ranges.size());
      for (const auto& [lo, hi] : c.ranges) {
        flow.constants.push_back(lo);
        flow.constants.push_back(hi);
      }
      return t;
    }
    if (in.type == value_type::boolean && c.values.size() == 2) return std::nullopt;
    if (in.type == value_type::enumeration &&
        c.values.size() == flow.enums[in.enum_index].values.size())
      return std::nullopt;
    if (c.values.size() == 1) {
      t.kind = detail::table_test_kind::range;
      t.lo = t.hi = c.values[0];
      return t;
    }
    if (in.type == value_type::enumeration && flow.enums[in.enum_index].values.size() <= 64) {
      t.kind = detail::table_test_kind::mask;
      for (const std::int64_t v : c.values) t.mask |= std::uint64_t{1} << v;
      return t;
    }
    t.kind = detail::table_test_kind::set;
    t.first = static_cast<std::uint32_t>(flow.constants.size());
    t.count = static_cast<std::uint32_t>(c.values.size());
    flow.constants.insert(flow.constants.end(), c.values.begin(), c.values.end());
    return t;
  }

  std::vector<flow_program>& flows_;
  detail::string_pool& literals_;
  std::vector<diagnostic>& diags_;
  std::size_t first_diag_ = diags_.size();
  std::string file_;
  std::size_t errors_ = 0;
  std::vector<table_src> tables_;
  std::map<std::string, std::size_t, std::less<>> by_name_;

  // The use being compiled.
  const flow_program* flow_ = nullptr;
  std::string use_;      // "file:line:col" of its decide action
  std::string in_flow_;  // " (in flow 'x')" when several flows use the table, else empty

  // The gap search.
  std::vector<std::vector<input_class>> classes_;
  std::vector<std::size_t> rest_any_;
  std::vector<std::size_t> pick_;
  std::uint64_t steps_ = 0;
};

}  // namespace

void compile_tables(const std::vector<table_source>& sources,
                    std::vector<detail::flow_program>& flows, detail::string_pool& literals,
                    std::vector<diagnostic>& diags) {
  table_walker w(flows, literals, diags);
  for (const table_source& s : sources) w.walk(s);
  w.compile_uses();
}

}  // namespace crmflow::loader
