// The `triggers:` walk. Reports like the flow walk (every problem, file:line:col, unknown keys
// with the keys allowed there) and reuses the expression and template compilers, so a
// trigger's `if:` and messages read exactly like a flow's guards and alarms.
#include "loader/trigger_loader.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "crmflow/rule_set.hpp"
#include "loader/expr_compiler.hpp"
#include "loader/map_keys.hpp"
#include "loader/template_compiler.hpp"

namespace crmflow::loader {
namespace {

using detail::flow_program;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

template <class Map>
std::vector<std::string> names_of(const Map& m, std::size_t count) {
  std::vector<std::string> out(count);
  for (const auto& [name, id] : m) out[id] = name;
  return out;
}

class trigger_walker {
 public:
  trigger_walker(std::vector<flow_program>& flows,
                 const std::function<bool(std::string_view)>& flow_declared,
                 detail::string_pool& literals, std::vector<diagnostic>& diags)
      : flows_(flows), flow_declared_(flow_declared), literals_(literals), diags_(diags) {}

  void walk(const trigger_source& src) {
    file_ = src.file;
    const ynode& map = src.node.root();
    if (map.is_null()) return;
    if (!map.is_map()) {
      error(map, std::string("'triggers' must be a map of trigger names, found ") +
                     describe(map.kind));
      return;
    }
    for (const auto& [k, v] : map.entries) {
      if (!k.is_scalar()) {
        error(k, std::string("expected a trigger name, found ") + describe(k.kind));
        continue;
      }
      if (!is_identifier(k.text)) {
        error(k, "bad trigger name '" + k.text +
                     "' (a name is ASCII letters, digits and '_', starting with a letter)");
        continue;
      }
      if (auto it = names_.find(k.text); it != names_.end()) {
        error(k, "duplicate trigger '" + k.text + "' (first defined in " + it->second.first +
                     " at line " + std::to_string(it->second.second) + ")");
        continue;
      }
      names_.emplace(k.text, std::make_pair(file_, k.line));
      trigger(k, v);
    }
  }

  std::vector<trigger_def> take() { return std::move(out_); }

 private:
  using keys = map_keys;

  void error_at(int line, int column, std::string message) {
    diags_.push_back({severity::error, file_, line, column, std::move(message)});
    ++errors_;
  }
  void error(const ynode& at, std::string message) {
    error_at(at.line, at.column, std::move(message));
  }
  // As the flow walk: exact column inside a one-line plain or quoted scalar.
  void error_in(const ynode& scalar, std::size_t offset, std::string message) {
    if (scalar.style == '|' || scalar.style == '>' ||
        scalar.text.find('\n') != std::string::npos) {
      error(scalar, std::move(message));
      return;
    }
    const int quote = (scalar.style == '"' || scalar.style == '\'') ? 1 : 0;
    error_at(scalar.line, scalar.column + quote + static_cast<int>(offset), std::move(message));
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

  // A name, or a list of names: `event: classify` or `event: [classify, reclassify_major]`.
  std::vector<const ynode*> names(const ynode& n, const std::string& what) {
    std::vector<const ynode*> out;
    if (n.is_scalar()) {
      out.push_back(&n);
    } else if (n.is_sequence() && !n.items.empty()) {
      for (const ynode& item : n.items)
        if (expect(item, ynode_kind::scalar, "an entry of " + what)) out.push_back(&item);
    } else {
      error(n, what + " must be a name or a list of names, found " +
                   (n.is_sequence() ? std::string("an empty list") : describe(n.kind)));
    }
    return out;
  }

  std::optional<std::size_t> find_flow(std::string_view name) const {
    for (std::size_t i = 0; i < flows_.size(); ++i)
      if (flows_[i].name == name) return i;
    return std::nullopt;
  }

  // A field of `flow` by name, or an error listing the fields.
  std::optional<field_id> field(const flow_program& flow, const ynode& n, const std::string& what) {
    if (!expect(n, ynode_kind::scalar, what)) return std::nullopt;
    auto it = flow.field_by_name.find(n.text);
    if (it != flow.field_by_name.end()) return it->second;
    std::vector<std::string> fields;
    for (const auto& f : flow.fields) fields.push_back(f.name);
    error(n, what + " names unknown field '" + n.text + "' of flow '" + flow.name + "'" +
                 (fields.empty() ? std::string(" (it has no fields)")
                                 : " (expected one of: " + join(fields) + ")"));
    return std::nullopt;
  }

  std::uint32_t tpl(const ynode& n, flow_program& flow, const std::string& what) {
    if (!expect(n, ynode_kind::scalar, what)) return no_id32;
    template_error err;
    auto t = compile_template(n.text, flow, err);
    if (!t) {
      error_in(n, err.offset, std::move(err.message));
      return no_id32;
    }
    return *t;
  }

  // A positive duration, or an error.
  std::optional<duration> positive_duration(const ynode& n, const std::string& what) {
    if (!expect(n, ynode_kind::scalar, what)) return std::nullopt;
    auto d = parse_duration(n.text);
    if (!d || *d <= 0) {
      error(n, "bad " + what + " '" + n.text +
                   "' (expected a positive duration, like 30d, 30天 or 30 days)");
      return std::nullopt;
    }
    return d;
  }

  void trigger(const ynode& key, const ynode& v) {
    const std::size_t errors_before = errors_;
    const std::string where = "trigger '" + key.text + "'";
    if (!v.is_map()) {
      error(v.is_null() ? key : v, where + " must be a map, found " + describe(v.kind));
      return;
    }
    keys k = read_keys(v, where,
                       {"label", "on", "if", "key", "distinct", "count", "window", "cooldown",
                        "alarm", "open_case"});
    trigger_def def;
    def.name = key.text;
    def.file = file_;
    def.line = key.line;
    def.column = key.column;
    if (const ynode* label = k.get("label"); label && !label->is_null()) {
      if (expect(*label, ynode_kind::scalar, "'label' of " + where)) def.label = label->text;
    }
    for (const char* required : {"on", "key", "count", "window", "alarm"}) {
      if (k.get(required)) continue;
      std::string why;
      if (std::string_view(required) == "key")
        why = " (the fields that make two cases the same problem, like [category, building])";
      else if (std::string_view(required) == "on")
        why = " (what it counts, like {flow: complaint, event: classify})";
      else if (std::string_view(required) == "alarm")
        why = " (the alarm it raises: {name: ..., to: ..., message: ...})";
      error(key, where + " is missing the key '" + required + "'" + why);
    }

    // on: the flow first; everything else is looked up in it.
    flow_program* flow = nullptr;
    if (const ynode* on = k.get("on"); on && expect(*on, ynode_kind::map, "'on' of " + where)) {
      keys ok = read_keys(*on, "'on' of " + where, {"flow", "event", "enter"});
      const ynode* fl = ok.get("flow");
      if (!fl) {
        error(*on, "'on' of " + where + " is missing the key 'flow'");
      } else if (expect(*fl, ynode_kind::scalar, "'flow' of " + where)) {
        if (auto f = find_flow(fl->text)) {
          flow = &flows_[*f];
          def.flow = static_cast<flow_id>(*f);
        } else if (flow_declared_(fl->text)) {
          return;  // that flow has errors of its own
        } else {
          std::vector<std::string> all;
          for (const auto& f2 : flows_) all.push_back(f2.name);
          error(*fl, where + " counts cases of unknown flow '" + fl->text + "'" +
                         (all.empty() ? std::string() : " (flows: " + join(all) + ")"));
        }
      }
      const ynode* ev = ok.get("event");
      const ynode* en = ok.get("enter");
      if (!ev && !en)
        error(*on, "'on' of " + where +
                       " needs 'event' (count accepted events) or 'enter' (count entering a state)");
      if (flow && ev) {
        for (const ynode* n : names(*ev, "'event' of " + where)) {
          auto it = flow->event_by_name.find(n->text);
          if (it == flow->event_by_name.end())
            error(*n, "flow '" + flow->name + "' has no event '" + n->text + "' (expected one of: " +
                          join(names_of(flow->event_by_name, flow->events.size())) + ")");
          else if (std::find(def.on_events.begin(), def.on_events.end(), it->second) ==
                   def.on_events.end())
            def.on_events.push_back(it->second);
        }
      }
      if (flow && en) {
        for (const ynode* n : names(*en, "'enter' of " + where)) {
          auto it = flow->state_by_name.find(n->text);
          if (it == flow->state_by_name.end())
            error(*n, "flow '" + flow->name + "' has no state '" + n->text + "' (expected one of: " +
                          join(names_of(flow->state_by_name, flow->states.size())) + ")");
          else if (std::find(def.on_enter.begin(), def.on_enter.end(), it->second) ==
                   def.on_enter.end())
            def.on_enter.push_back(it->second);
        }
      }
    }

    if (const ynode* c = k.get("count"); c && expect(*c, ynode_kind::scalar, "'count' of " + where)) {
      std::uint32_t n = 0;
      bool ok = !c->text.empty() && c->text.size() <= 7;
      for (char ch : c->text) ok = ok && ch >= '0' && ch <= '9';
      if (ok) n = static_cast<std::uint32_t>(std::stoul(std::string(c->text)));
      if (!ok || n < 1 || n > max_trigger_count)
        error(*c, "bad count '" + c->text + "' for " + where + " (expected a whole number from 1 to " +
                      std::to_string(max_trigger_count) + ")");
      else
        def.count = n;
    }
    if (const ynode* w = k.get("window"))
      if (auto d = positive_duration(*w, "window")) def.window = *d;
    if (const ynode* c = k.get("cooldown"); c && !c->is_null())
      if (auto d = positive_duration(*c, "cooldown")) def.cooldown = *d;

    // What needs the flow.
    if (flow) {
      if (const ynode* kn = k.get("key")) {
        std::vector<const ynode*> items;
        if (kn->is_scalar()) items.push_back(kn);
        else if (kn->is_sequence() && !kn->items.empty())
          for (const ynode& i : kn->items) items.push_back(&i);
        else
          error(*kn, "'key' of " + where + " must be a field name or a list of field names, found " +
                         (kn->is_sequence() ? std::string("an empty list") : describe(kn->kind)));
        if (items.size() > max_trigger_key)
          error(*kn, "'key' of " + where + " has more than " + std::to_string(max_trigger_key) +
                         " fields");
        for (const ynode* i : items) {
          auto f = field(*flow, *i, "'key' of " + where);
          if (!f) continue;
          if (std::find(def.key.begin(), def.key.end(), *f) != def.key.end())
            error(*i, "field '" + i->text + "' appears twice in 'key' of " + where);
          else
            def.key.push_back(*f);
        }
      }
      if (const ynode* dn = k.get("distinct"); dn && !dn->is_null()) {
        if (auto f = field(*flow, *dn, "'distinct' of " + where)) {
          if (std::find(def.key.begin(), def.key.end(), *f) != def.key.end())
            error(*dn, "'distinct' of " + where + " names '" + dn->text +
                           "', which is part of the key (it would always count 1)");
          else
            def.distinct = *f;
        }
      }
      if (const ynode* cond = k.get("if");
          cond && expect(*cond, ynode_kind::scalar, "'if' of " + where)) {
        def.filter_text = cond->text;
        expr_scope scope{flow, nullptr, "filter"};
        expr_error err;
        auto c = compile_expression(cond->text, scope, expr_type{value_type::boolean, no_id32},
                                    *flow, literals_, err);
        if (!c)
          error_in(*cond, err.offset, std::move(err.message));
        else if (c->type.type != value_type::boolean)
          error(*cond, "'if' of " + where + " must be true or false (a bool expression), but '" +
                           cond->text + "' is " + describe(c->type, *flow, false));
        else
          def.filter = c->start;
      }
      if (const ynode* a = k.get("alarm"); a && expect(*a, ynode_kind::map, "'alarm' of " + where)) {
        keys ak = read_keys(*a, "'alarm' of " + where, {"name", "to", "message"});
        const ynode* name = ak.get("name");
        const ynode* message = ak.get("message");
        if (!name) error(*a, "'alarm' of " + where + " is missing the key 'name'");
        if (!message) error(*a, "'alarm' of " + where + " is missing the key 'message'");
        if (name && expect(*name, ynode_kind::scalar, "'name' of the alarm of " + where)) {
          if (is_identifier(name->text))
            def.alarm = name->text;
          else
            error(*name, "bad alarm name '" + name->text +
                             "' (a name is ASCII letters, digits and '_', starting with a letter)");
        }
        if (const ynode* to = ak.get("to")) def.alarm_to = tpl(*to, *flow, "'to' of the alarm");
        if (message) def.alarm_message = tpl(*message, *flow, "'message' of the alarm");
      }
      if (const ynode* oc = k.get("open_case"); oc && expect(*oc, ynode_kind::map, "'open_case' of " + where))
        open_case(*oc, *flow, def, where);
    }

    if (errors_ == errors_before) out_.push_back(std::move(def));
  }

  void open_case(const ynode& oc, flow_program& flow, trigger_def& def, const std::string& where) {
    keys k = read_keys(oc, "'open_case' of " + where, {"flow", "data"});
    const ynode* fl = k.get("flow");
    if (!fl) {
      error(oc, "'open_case' of " + where + " is missing the key 'flow'");
      return;
    }
    if (!expect(*fl, ynode_kind::scalar, "'flow' of 'open_case'")) return;
    auto target_index = find_flow(fl->text);
    if (!target_index) {
      if (!flow_declared_(fl->text)) error(*fl, "'open_case' of " + where + " names unknown flow '" + fl->text + "'");
      return;
    }
    def.open_flow = static_cast<flow_id>(*target_index);
    const ynode* data = k.get("data");
    if (!data || data->is_null() || !expect(*data, ynode_kind::map, "'data' of 'open_case'")) return;
    for (const auto& [dk, dv] : data->entries) {
      if (!expect(dk, ynode_kind::scalar, "a key of 'data' of 'open_case'")) continue;
      // flows_ may not move while `target` is used: nothing is added to it here.
      const flow_program& target = flows_[*target_index];
      auto f = field(target, dk, "'data' of 'open_case'");
      if (!f) continue;
      if (std::any_of(def.open_data.begin(), def.open_data.end(),
                      [&](const trigger_open_arg& a) { return a.field == *f; })) {
        error(dk, "field '" + dk.text + "' is given twice in 'data' of 'open_case'");
        continue;
      }
      if (!expect(dv, ynode_kind::scalar, "the value of '" + dk.text + "' in 'open_case'")) continue;
      const detail::field_def& fd = target.fields[*f];
      expr_type want{fd.type, no_id32};
      if (fd.type == value_type::enumeration) {
        // The value is computed in the counted flow: give it the target's list of values, so
        // that a bare value name (`level: major`) and an enum field with the same values fit.
        const auto& values = target.enums[fd.enum_index].values;
        auto it = std::find_if(flow.enums.begin(), flow.enums.end(),
                               [&](const detail::enum_def& e) { return e.values == values; });
        want.enum_index = static_cast<std::uint32_t>(it - flow.enums.begin());
        if (it == flow.enums.end()) flow.enums.push_back({values});
      }
      expr_scope scope{&flow, nullptr, "expression"};
      expr_error err;
      auto c = compile_expression(dv.text, scope, want, flow, literals_, err);
      if (!c) {
        error_in(dv, err.offset, std::move(err.message));
        continue;
      }
      if (!(c->type == want)) {
        const bool values = c->type.type == want.type;
        error(dv, "type mismatch: field '" + fd.name + "' of flow '" + target.name + "' is " +
                      describe(want, flow, values) + ", but the expression gives " +
                      describe(c->type, flow, values));
        continue;
      }
      def.open_data.push_back({*f, c->start});
    }
  }

  std::vector<flow_program>& flows_;
  const std::function<bool(std::string_view)>& flow_declared_;
  detail::string_pool& literals_;
  std::vector<diagnostic>& diags_;
  std::string file_;
  std::size_t errors_ = 0;
  std::map<std::string, std::pair<std::string, int>, std::less<>> names_;
  std::vector<trigger_def> out_;
};

}  // namespace

std::vector<trigger_def> compile_triggers(const std::vector<trigger_source>& sources,
                                          std::vector<detail::flow_program>& flows,
                                          const std::function<bool(std::string_view)>& flow_declared,
                                          detail::string_pool& literals,
                                          std::vector<diagnostic>& diags) {
  trigger_walker w(flows, flow_declared, literals, diags);
  for (const auto& s : sources) w.walk(s);
  std::vector<trigger_def> out = w.take();
  if (out.size() > 0xFFFE)  // dense 16-bit ids; 0xFFFF means "none"
    diags.push_back({severity::error, sources.back().file, 0, 0, "too many triggers"});
  return out;
}

}  // namespace crmflow::loader
