// `ruleset:` and `migrations:`. Reports like the flow walk: every problem, file:line:col, the
// key at fault and what was expected.
#include "loader/migration_loader.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>
#include <string_view>
#include <utility>

#include "crmflow/rule_set.hpp"
#include "loader/expr_compiler.hpp"
#include "loader/map_keys.hpp"

namespace crmflow::loader {
namespace {

using detail::flow_program;

constexpr std::uint32_t max_version = 0x7FFFFFFF;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A whole number 1 .. max_version written as plain text, or nullopt.
std::optional<std::uint32_t> read_version(const ynode& n) {
  if (!n.is_scalar() || n.style != 0 || n.text.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const char* end = n.text.data() + n.text.size();
  auto [p, ec] = std::from_chars(n.text.data(), end, v);
  if (ec != std::errc{} || p != end || v == 0 || v > max_version) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

class walker {
 public:
  walker(const std::string& file, std::vector<diagnostic>& diags) : file_(file), diags_(diags) {}

  void error(const ynode& at, std::string message) {
    diags_.push_back({severity::error, file_, at.line, at.column, std::move(message)});
  }
  rules_position pos(const ynode& at) const { return {file_, at.line, at.column}; }

  using keys = map_keys;

  keys read_keys(const ynode& map, std::string_view where, std::initializer_list<std::string_view> allowed) {
    return read_map_keys(map, where, allowed, [this](const ynode& at, std::string m) { error(at, std::move(m)); });
  }

  const std::string& file_;
  std::vector<diagnostic>& diags_;
};

class migration_walker : public walker {
 public:
  migration_walker(const std::string& file, const std::vector<flow_program>& flows,
                   const std::function<bool(std::string_view)>& flow_declared, const rule_set_id& id,
                   bool id_declared, detail::string_pool& literals, std::vector<diagnostic>& diags)
      : walker(file, diags), flows_(flows), flow_declared_(flow_declared), id_(id), id_declared_(id_declared),
        literals_(literals) {}

  void walk(const ynode& list, std::vector<migration_def>& out,
            std::set<std::pair<std::uint32_t, std::string>>& seen) {
    if (list.is_null()) return;
    if (!list.is_sequence()) {
      error(list, std::string("'migrations' must be a list of migrations, found ") + describe(list.kind));
      return;
    }
    if (!id_declared_) {
      error(list, "'migrations' needs 'ruleset:' with a name and a version at the top level of a rules file "
                  "(a migration moves cases of an older version onto this one)");
      return;
    }
    for (const ynode& item : list.items) {
      std::optional<migration_def> m = migration(item, seen);
      if (m) out.push_back(std::move(*m));
    }
  }

 private:
  std::optional<migration_def> migration(const ynode& item,
                                         std::set<std::pair<std::uint32_t, std::string>>& seen) {
    if (!item.is_map()) {
      error(item, std::string("a migration must be a map with 'from' and 'flow', found ") + describe(item.kind));
      return std::nullopt;
    }
    const std::size_t errors = diags_.size();
    keys k = read_keys(item, "a migration", {"from", "flow", "states", "fields", "set"});
    migration_def m;
    m.where = pos(item);
    const ynode* from = k.get("from");
    const ynode* flow = k.get("flow");
    if (!from) error(item, "missing key 'from' in a migration (the version whose cases it moves, like 'from: 2')");
    if (!flow) error(item, "missing key 'flow' in a migration (the flow whose cases it moves)");
    if (from) {
      if (const auto v = read_version(*from)) {
        if (*v >= id_.version)
          error(*from, "'from: " + from->text + "' must name a version older than this rule set's version " +
                           std::to_string(id_.version));
        m.from_version = *v;
      } else {
        error(*from, "bad version '" + from->text + "' for 'from' (expected a whole number from 1 to " +
                         std::to_string(max_version) + ")");
      }
    }
    const flow_program* fl = nullptr;
    if (flow) {
      if (!flow->is_scalar()) {
        error(*flow, std::string("'flow' must be a flow name, found ") + describe(flow->kind));
      } else {
        for (std::size_t i = 0; i < flows_.size(); ++i)
          if (flows_[i].name == flow->text) {
            fl = &flows_[i];
            m.flow = static_cast<flow_id>(i);
          }
        if (!fl && !flow_declared_(flow->text)) {
          std::vector<std::string> names;
          for (const flow_program& f : flows_) names.push_back(f.name);
          error(*flow, "unknown flow '" + flow->text + "' in a migration (expected one of: " + join(names) + ")");
        }
        if (fl && m.from_version != 0 && !seen.emplace(m.from_version, fl->name).second)
          error(item, "a second migration from version " + std::to_string(m.from_version) + " of flow '" +
                          fl->name + "' (one migration per old version and flow)");
      }
    }
    if (!fl) {
      // Still report the shape of the rest; names cannot be checked without the flow.
      for (const char* key : {"states", "fields", "set"})
        if (const ynode* n = k.get(key)) expect_map(*n, key);
      return std::nullopt;
    }
    if (const ynode* n = k.get("states")) states(*n, *fl, m);
    std::set<field_id> targets;
    if (const ynode* n = k.get("fields")) fields(*n, *fl, m, targets);
    if (const ynode* n = k.get("set")) values(*n, *fl, m, targets);
    if (diags_.size() != errors) return std::nullopt;
    return m;
  }

  bool expect_map(const ynode& n, std::string_view key) {
    if (n.is_null() || n.is_map()) return true;
    error(n, "'" + std::string(key) + "' must be a map of old name: new name, found " + describe(n.kind));
    return false;
  }

  bool name_key(const ynode& k, std::string_view noun) {
    if (!k.is_scalar()) {
      error(k, "expected a " + std::string(noun) + " name, found " + describe(k.kind));
      return false;
    }
    if (!is_identifier(k.text)) {
      error(k, "bad " + std::string(noun) + " name '" + k.text +
                   "' (a name is ASCII letters, digits and '_', starting with a letter)");
      return false;
    }
    return true;
  }

  void states(const ynode& map, const flow_program& fl, migration_def& m) {
    if (!expect_map(map, "states")) return;
    std::set<std::string> seen;
    for (const auto& [k, v] : map.entries) {
      if (!name_key(k, "state")) continue;
      if (!seen.insert(std::string(k.text)).second) {
        error(k, "duplicate state '" + k.text + "' in 'states' of a migration");
        continue;
      }
      if (!v.is_scalar() || v.text.empty()) {
        error(v.is_null() ? k : v, "state '" + k.text + "' must map to a state of flow '" + fl.name +
                                       "' (a running case needs a state in the new version)");
        continue;
      }
      const auto it = fl.state_by_name.find(v.text);
      if (it == fl.state_by_name.end()) {
        error(v, "unknown state '" + v.text + "' of flow '" + fl.name + "' in a migration (expected one of: " +
                     state_names(fl) + ")");
        continue;
      }
      if (fl.states[it->second].final) {
        error(v, "state '" + v.text + "' is final; a migration moves running cases to a state that is not "
                 "final (close them with an event instead)");
        continue;
      }
      m.states.push_back({std::string(k.text), std::string(v.text), pos(k)});
    }
  }

  static std::string state_names(const flow_program& fl) {
    std::vector<std::string> names;
    for (const auto& s : fl.states)
      if (!s.final) names.push_back(s.name);
    return join(names);
  }
  static std::string field_names(const flow_program& fl) {
    std::vector<std::string> names;
    for (const auto& f : fl.fields) names.push_back(f.name);
    return join(names);
  }

  void fields(const ynode& map, const flow_program& fl, migration_def& m, std::set<field_id>& targets) {
    if (!expect_map(map, "fields")) return;
    std::set<std::string> seen;
    for (const auto& [k, v] : map.entries) {
      if (!name_key(k, "field")) continue;
      if (!seen.insert(std::string(k.text)).second) {
        error(k, "duplicate field '" + k.text + "' in 'fields' of a migration");
        continue;
      }
      if (v.is_null()) {
        m.fields.push_back({std::string(k.text), {}, pos(k)});
        continue;
      }
      if (!v.is_scalar()) {
        error(v, "field '" + k.text + "' must map to a field name of flow '" + fl.name + "', or to null to drop it");
        continue;
      }
      const auto it = fl.field_by_name.find(v.text);
      if (it == fl.field_by_name.end()) {
        error(v, "unknown field '" + v.text + "' of flow '" + fl.name + "' in a migration (expected one of: " +
                     field_names(fl) + ", or null to drop the field)");
        continue;
      }
      if (!targets.insert(it->second).second) {
        error(v, "field '" + v.text + "' is the target of two old fields in one migration");
        continue;
      }
      m.fields.push_back({std::string(k.text), std::string(v.text), pos(k)});
    }
  }

  void values(const ynode& map, const flow_program& fl, migration_def& m, const std::set<field_id>& targets) {
    if (!expect_map(map, "set")) return;
    std::set<std::string> seen;
    for (const auto& [k, v] : map.entries) {
      if (!name_key(k, "field")) continue;
      if (!seen.insert(std::string(k.text)).second) {
        error(k, "duplicate field '" + k.text + "' in 'set' of a migration");
        continue;
      }
      const auto it = fl.field_by_name.find(k.text);
      if (it == fl.field_by_name.end()) {
        error(k, "unknown field '" + k.text + "' of flow '" + fl.name + "' in 'set' of a migration (expected one of: " +
                     field_names(fl) + ")");
        continue;
      }
      if (targets.contains(it->second)) {
        error(k, "field '" + k.text + "' is both the target of a rename in 'fields' and in 'set'");
        continue;
      }
      const detail::field_def& f = fl.fields[it->second];
      if (const auto value = literal(v, fl, f)) m.values.push_back({it->second, *value, pos(k)});
    }
  }

  std::optional<raw_value> literal(const ynode& n, const flow_program& fl, const detail::field_def& f) {
    const std::string what = "field '" + f.name + "'";
    if (!n.is_scalar()) {
      error(n, "the value for " + what + " must be a single value, found " + describe(n.kind));
      return std::nullopt;
    }
    const ytext& s = n.text;
    switch (f.type) {
      case value_type::string: return literals_.intern(s);
      case value_type::integer: {
        std::int64_t v = 0;
        const char* b = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
        auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
        if (ec == std::errc{} && p == s.data() + s.size() && b != p) return v;
        error(n, "bad value '" + s + "' for int " + what + " (expected a whole number like 42)");
        return std::nullopt;
      }
      case value_type::boolean:
        if (s == "true") return 1;
        if (s == "false") return 0;
        error(n, "bad value '" + s + "' for bool " + what + " (expected true or false)");
        return std::nullopt;
      case value_type::enumeration: {
        const auto& values = fl.enums[f.enum_index].values;
        for (std::size_t i = 0; i < values.size(); ++i)
          if (values[i] == s) return static_cast<raw_value>(i);
        error(n, "bad value '" + s + "' for enum " + what + " (expected one of: " + join(values) + ")");
        return std::nullopt;
      }
      case value_type::timestamp:
        error(n, "timestamp " + what + " cannot be given a literal value in a migration");
        return std::nullopt;
      case value_type::duration:
        if (const auto d = parse_duration(s)) return *d;
        error(n, "bad duration '" + s + "' for " + what + " (expected a duration like 90s, 10m, 1h30m or 10d)");
        return std::nullopt;
    }
    return std::nullopt;
  }

  const std::vector<flow_program>& flows_;
  const std::function<bool(std::string_view)>& flow_declared_;
  const rule_set_id& id_;
  bool id_declared_;
  detail::string_pool& literals_;
};

}  // namespace

void read_rule_set_id(const std::string& file, const ynode& key, const ynode& value,
                      std::optional<rule_set_id>& id, std::vector<diagnostic>& diags) {
  walker w(file, diags);
  if (!value.is_map()) {
    w.error(value.is_null() ? key : value,
            std::string("'ruleset' must be a map with 'name' and 'version', found ") + describe(value.kind));
    return;
  }
  const std::size_t errors = diags.size();
  walker::keys k = w.read_keys(value, "'ruleset'", {"name", "version"});
  rule_set_id mine;
  mine.where = w.pos(key);
  const ynode* name = k.get("name");
  const ynode* version = k.get("version");
  if (!name) w.error(value, "missing key 'name' in 'ruleset' (the rule set's name, the same in every version)");
  if (!version) w.error(value, "missing key 'version' in 'ruleset' (a whole number, higher for each new version)");
  if (name) {
    if (!name->is_scalar() || name->text.empty())
      w.error(*name, std::string("'name' in 'ruleset' must be a non-empty name, found ") + describe(name->kind));
    else
      mine.name = name->text;
  }
  if (version) {
    if (const auto v = read_version(*version))
      mine.version = *v;
    else
      w.error(*version, "bad version '" + version->text + "' in 'ruleset' (expected a whole number from 1 to " +
                            std::to_string(max_version) + ")");
  }
  if (diags.size() != errors) return;
  if (!id) {
    id = std::move(mine);
    return;
  }
  if (id->name != mine.name || id->version != mine.version)
    w.error(key, "'ruleset' says " + mine.name + " version " + std::to_string(mine.version) + ", but " +
                     id->where.file + ":" + std::to_string(id->where.line) + ":" + std::to_string(id->where.column) +
                     " says " + id->name + " version " + std::to_string(id->version) +
                     " (every file of a rule set names the same rule set and version)");
}

std::vector<migration_def> compile_migrations(const std::vector<migration_source>& sources,
                                              const std::vector<flow_program>& flows,
                                              const std::function<bool(std::string_view)>& flow_declared,
                                              const rule_set_id& id, bool id_declared,
                                              detail::string_pool& literals, std::vector<diagnostic>& diags) {
  std::vector<migration_def> out;
  std::set<std::pair<std::uint32_t, std::string>> seen;
  for (const migration_source& s : sources) {
    migration_walker w(s.file, flows, flow_declared, id, id_declared, literals, diags);
    w.walk(s.node.root(), out, seen);
  }
  return out;
}

}  // namespace crmflow::loader
