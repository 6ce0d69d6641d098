// The `report:` walk. Reports like the flow walk: every problem with file:line:col, unknown
// keys with the keys allowed there, unknown names with the names that exist.
#include "loader/kpi_loader.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "loader/map_keys.hpp"

namespace crmflow::loader {
namespace {

using detail::flow_program;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class report_walker {
 public:
  report_walker(const std::vector<flow_program>& flows,
                const std::function<bool(std::string_view)>& flow_declared,
                std::vector<diagnostic>& diags)
      : flows_(flows), flow_declared_(flow_declared), diags_(diags) {}

  std::optional<report_spec> walk(const report_source& src) {
    file_ = src.file;
    const ynode& map = src.node.root();
    report_spec spec;
    spec.file = src.file;
    if (map.is_null()) return spec;
    if (!expect(map, ynode_kind::map, "'report'")) return std::nullopt;
    const std::size_t errors_before = diags_.size();
    keys k = read_keys(map, "'report'",
                       {"label", "customers", "targets", "complaints", "units", "unassigned",
                        "steps", "revisits", "coverage", "loyalty", "repeated_problem_alarms"});
    if (const ynode* n = k.get("label"); n && expect(*n, ynode_kind::scalar, "'label' of 'report'"))
      spec.label = n->text;
    if (const ynode* n = k.get("unassigned");
        n && expect(*n, ynode_kind::scalar, "'unassigned' of 'report'"))
      spec.unassigned = n->text;
    if (const ynode* n = k.get("customers")) customers(*n, spec);
    if (const ynode* n = k.get("targets")) targets(*n, spec.targets);
    if (const ynode* n = k.get("complaints")) complaints(*n, spec);
    if (const ynode* n = k.get("units")) units(*n, spec);
    if (const ynode* n = k.get("steps")) steps(*n, spec);
    if (const ynode* n = k.get("revisits")) revisits(*n, spec);
    if (const ynode* n = k.get("coverage")) coverage(*n, spec);
    if (const ynode* n = k.get("loyalty")) loyalty(*n, spec);
    if (const ynode* n = k.get("repeated_problem_alarms")) {
      if (expect(*n, ynode_kind::sequence, "'repeated_problem_alarms'"))
        for (const ynode& item : n->items)
          if (expect(item, ynode_kind::scalar, "an entry of 'repeated_problem_alarms'"))
            spec.repeated_problem_alarms.push_back(std::string(item.text));
    }
    if (diags_.size() != errors_before) return std::nullopt;
    return spec;
  }

 private:
  using keys = map_keys;

  void error(const ynode& at, std::string message) {
    diags_.push_back({severity::error, file_, at.line, at.column, std::move(message)});
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

  // A required key of an entry; reports it missing at the entry.
  const ynode* required(const keys& k, const ynode& at, std::string_view name, const std::string& where) {
    const ynode* n = k.get(name);
    if (!n) error(at, where + " is missing the key '" + std::string(name) + "'");
    return n;
  }

  // A flow by name. nullopt without a message for a flow that was declared but did not
  // compile (its own errors say what is wrong); `skipped` tells the two apart.
  const flow_program* flow(const ynode& n, const std::string& what, bool& skipped) {
    skipped = false;
    if (!expect(n, ynode_kind::scalar, what)) return nullptr;
    for (const flow_program& f : flows_)
      if (f.name == n.text) return &f;
    if (flow_declared_(n.text)) {
      skipped = true;
      return nullptr;
    }
    std::vector<std::string> names;
    for (const flow_program& f : flows_) names.push_back(f.name);
    error(n, what + " names unknown flow '" + n.text + "'" +
                 (names.empty() ? std::string() : " (expected one of: " + join(names) + ")"));
    return nullptr;
  }

  static flow_id id_of(const std::vector<flow_program>& flows, const flow_program* f) {
    return static_cast<flow_id>(f - flows.data());
  }

  template <class Map>
  std::optional<std::uint16_t> name_in(const Map& m, const std::vector<std::string>& all,
                                       const ynode& n, const std::string& what,
                                       std::string_view noun, const flow_program& f) {
    if (!expect(n, ynode_kind::scalar, what)) return std::nullopt;
    if (auto it = m.find(n.text); it != m.end()) return static_cast<std::uint16_t>(it->second);
    error(n, what + " names unknown " + std::string(noun) + " '" + n.text + "' of flow '" +
                 f.name + "'" +
                 (all.empty() ? " (it has none)" : " (expected one of: " + join(all) + ")"));
    return std::nullopt;
  }

  std::optional<field_id> field(const flow_program& f, const ynode& n, const std::string& what,
                                std::optional<value_type> type = std::nullopt) {
    std::vector<std::string> all;
    for (const auto& fd : f.fields) all.push_back(fd.name);
    const auto id = name_in(f.field_by_name, all, n, what, "field", f);
    if (id && type && f.fields[*id].type != *type) {
      static constexpr const char* type_names[] = {"string", "int", "bool", "enum", "timestamp", "duration"};
      const auto t = static_cast<std::size_t>(*type);
      error(n, what + ": field '" + n.text + "' must be of type " +
                   (t < 6 ? type_names[t] : "?"));
      return std::nullopt;
    }
    return id;
  }
  std::optional<timer_id> timer(const flow_program& f, const ynode& n, const std::string& what) {
    if (!expect(n, ynode_kind::scalar, what)) return std::nullopt;
    std::vector<std::string> all;
    for (std::size_t i = 0; i < f.timers.size(); ++i) {
      if (f.timers[i].name == n.text) return static_cast<timer_id>(i);
      all.push_back(f.timers[i].name);
    }
    error(n, what + " names unknown timer '" + n.text + "' of flow '" + f.name + "'" +
                 (all.empty() ? " (it has none)" : " (expected one of: " + join(all) + ")"));
    return std::nullopt;
  }
  std::optional<state_id> state(const flow_program& f, const ynode& n, const std::string& what) {
    std::vector<std::string> all;
    for (const auto& s : f.states) all.push_back(s.name);
    return name_in(f.state_by_name, all, n, what, "state", f);
  }
  std::optional<event_id> event(const flow_program& f, const ynode& n, const std::string& what) {
    std::vector<std::string> all;
    for (const auto& e : f.events) all.push_back(e.name);
    return name_in(f.event_by_name, all, n, what, "event", f);
  }

  // "85%", "100%", "99.5%" -> 0.85, 1.0, 0.995.
  std::optional<double> percent(const ynode& n, const std::string& what) {
    if (!expect(n, ynode_kind::scalar, what)) return std::nullopt;
    std::string_view t = n.text;
    double v = -1;
    if (!t.empty() && t.back() == '%') {
      t.remove_suffix(1);
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || end != t.data() + t.size()) v = -1;
    }
    if (v < 0 || v > 100) {
      error(n, "bad " + what + " '" + n.text + "' (expected a percentage from 0% to 100%, like 85%)");
      return std::nullopt;
    }
    return v / 100.0;
  }

  void customers(const ynode& n, report_spec& spec) {
    if (!expect(n, ynode_kind::scalar, "'customers'")) return;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), v);
    if (ec != std::errc() || end != n.text.data() + n.text.size() || v <= 0) {
      error(n, "bad 'customers' '" + n.text + "' (expected a whole number of customers, 1 or more)");
      return;
    }
    spec.customers = v;
  }

  void targets(const ynode& n, kpi_targets& t) {
    if (!expect(n, ynode_kind::map, "'targets'")) return;
    keys k = read_keys(n, "'targets'",
                       {"on_time_rate", "complaint_rate_max", "satisfaction_min", "loyalty_min",
                        "revisit_rate", "monthly_coverage"});
    auto read = [&](std::string_view name, std::optional<double>& out) {
      if (const ynode* v = k.get(name)) out = percent(*v, "target '" + std::string(name) + "'");
    };
    read("on_time_rate", t.on_time_rate);
    read("complaint_rate_max", t.complaint_rate_max);
    read("satisfaction_min", t.satisfaction_min);
    read("loyalty_min", t.loyalty_min);
    read("revisit_rate", t.revisit_rate);
    read("monthly_coverage", t.monthly_coverage);
  }

  void complaints(const ynode& n, report_spec& spec) {
    const std::string where = "'complaints' of 'report'";
    if (!expect(n, ynode_kind::map, where)) return;
    keys k = read_keys(n, where, {"flow", "category", "place", "valid", "satisfaction", "escalations", "repeated_min"});
    const ynode* fn = required(k, n, "flow", where);
    if (!fn) return;
    bool skipped = false;
    const flow_program* f = flow(*fn, "'flow' of " + where, skipped);
    if (!f) return;
    kpi_complaints c;
    c.flow = id_of(flows_, f);
    auto str_field = [&](std::string_view key, field_id& out, std::optional<value_type> type) {
      if (const ynode* v = k.get(key))
        if (auto id = field(*f, *v, "'" + std::string(key) + "' of " + where, type)) out = *id;
    };
    str_field("category", c.category, value_type::string);
    str_field("place", c.place, value_type::string);
    str_field("valid", c.valid, value_type::boolean);
    if (const ynode* s = k.get("satisfaction")) {
      const std::string sw = "'satisfaction' of " + where;
      if (expect(*s, ynode_kind::map, sw)) {
        keys sk = read_keys(*s, sw, {"field", "satisfied"});
        const ynode* fld = required(sk, *s, "field", sw);
        const ynode* sat = required(sk, *s, "satisfied", sw);
        if (fld)
          if (auto id = field(*f, *fld, "'field' of " + sw, value_type::enumeration)) c.satisfaction = *id;
        if (sat && c.satisfaction != no_id16 && expect(*sat, ynode_kind::sequence, "'satisfied' of " + sw)) {
          const auto& values = f->enums[f->fields[c.satisfaction].enum_index].values;
          for (const ynode& item : sat->items) {
            if (!expect(item, ynode_kind::scalar, "an entry of 'satisfied'")) continue;
            const auto it = std::find(values.begin(), values.end(), item.text);
            if (it == values.end()) {
              error(item, "'" + item.text + "' is not a value of field '" +
                              f->fields[c.satisfaction].name + "' (expected one of: " + join(values) + ")");
              continue;
            }
            c.satisfied.push_back(static_cast<raw_value>(it - values.begin()));
          }
        }
      }
    }
    str_field("escalations", c.escalations, value_type::integer);
    if (const ynode* m = k.get("repeated_min"); m && expect(*m, ynode_kind::scalar, "'repeated_min' of " + where)) {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(m->text.data(), m->text.data() + m->text.size(), v);
      if (ec != std::errc() || end != m->text.data() + m->text.size() || v < 1)
        error(*m, "bad 'repeated_min' '" + m->text + "' (expected a whole number of complaints, 1 or more)");
      else
        c.repeated_min = v;
    }
    spec.complaints = std::move(c);
  }

  void loyalty(const ynode& n, report_spec& spec) {
    const std::string where = "'loyalty' of 'report'";
    if (!expect(n, ynode_kind::map, where)) return;
    keys k = read_keys(n, where, {"flow", "field", "loyal", "not_loyal"});
    const ynode* fn = required(k, n, "flow", where);
    const ynode* fld = required(k, n, "field", where);
    const ynode* yes = required(k, n, "loyal", where);
    const ynode* no = required(k, n, "not_loyal", where);
    if (!fn) return;
    bool skipped = false;
    const flow_program* f = flow(*fn, "'flow' of " + where, skipped);
    if (!f || !fld) return;
    kpi_loyalty l;
    l.flow = id_of(flows_, f);
    const std::optional<field_id> id = field(*f, *fld, "'field' of " + where, value_type::enumeration);
    if (!id) return;
    l.field = *id;
    const auto& values = f->enums[f->fields[l.field].enum_index].values;
    auto read_values = [&](const ynode* list, const char* key, std::vector<raw_value>& out) {
      if (!list || !expect(*list, ynode_kind::sequence, "'" + std::string(key) + "' of " + where)) return;
      for (const ynode& item : list->items) {
        if (!expect(item, ynode_kind::scalar, "an entry of '" + std::string(key) + "'")) continue;
        const auto it = std::find(values.begin(), values.end(), item.text);
        if (it == values.end()) {
          error(item, "'" + item.text + "' is not a value of field '" + f->fields[l.field].name +
                          "' (expected one of: " + join(values) + ")");
          continue;
        }
        const auto v = static_cast<raw_value>(it - values.begin());
        if (std::find(l.loyal.begin(), l.loyal.end(), v) != l.loyal.end() ||
            std::find(l.not_loyal.begin(), l.not_loyal.end(), v) != l.not_loyal.end()) {
          error(item, "'" + item.text + "' is listed twice in " + where + " (under 'loyal' and 'not_loyal')");
          continue;
        }
        out.push_back(v);
      }
    };
    read_values(yes, "loyal", l.loyal);
    read_values(no, "not_loyal", l.not_loyal);
    spec.loyalty = std::move(l);
  }

  void units(const ynode& n, report_spec& spec) {
    if (!expect(n, ynode_kind::map, "'units'")) return;
    for (const auto& [k, v] : n.entries) {
      if (!expect(k, ynode_kind::scalar, "a flow name in 'units'")) continue;
      bool skipped = false;
      const flow_program* f = flow(k, "'units'", skipped);
      if (!f) continue;
      if (auto id = field(*f, v, "the unit field of flow '" + f->name + "'", value_type::string))
        spec.units.push_back({id_of(flows_, f), *id});
    }
  }

  void steps(const ynode& n, report_spec& spec) {
    if (!expect(n, ynode_kind::sequence, "'steps'")) return;
    if (n.items.size() > 64) error(n.items[64], "too many steps (at most 64)");
    for (const ynode& item : n.items) {
      const std::string where = "a step of 'steps'";
      if (!expect(item, ynode_kind::map, where)) continue;
      keys k = read_keys(item, where, {"flow", "timer", "label", "alarm"});
      const ynode* fn = required(k, item, "flow", where);
      const ynode* tn = required(k, item, "timer", where);
      if (!fn || !tn) continue;
      bool skipped = false;
      const flow_program* f = flow(*fn, "'flow' of " + where, skipped);
      if (!f) continue;
      const auto t = timer(*f, *tn, "'timer' of " + where);
      if (!t) continue;
      kpi_step s;
      s.flow = id_of(flows_, f);
      s.timer = *t;
      s.label = tn->text;
      if (const ynode* l = k.get("label"); l && expect(*l, ynode_kind::scalar, "'label' of " + where))
        s.label = l->text;
      if (const ynode* a = k.get("alarm"); a && expect(*a, ynode_kind::scalar, "'alarm' of " + where))
        s.alarm = a->text;
      spec.steps.push_back(std::move(s));
    }
  }

  // A state name or a list of state names.
  std::vector<state_id> state_list(const flow_program& f, const ynode& n, const std::string& what) {
    std::vector<state_id> out;
    if (n.is_sequence() && !n.items.empty()) {
      for (const ynode& item : n.items)
        if (auto s = state(f, item, "an entry of " + what)) out.push_back(*s);
    } else if (n.is_scalar()) {
      if (auto s = state(f, n, what)) out.push_back(*s);
    } else {
      error(n, what + " must be a state name or a list of state names, found " +
                   (n.is_sequence() ? std::string("an empty list") : describe(n.kind)));
    }
    return out;
  }

  // A list of fields, for matching a customer to a visit.
  std::vector<field_id> field_list(const flow_program& f, const ynode& n, const std::string& what) {
    std::vector<field_id> out;
    if (!n.is_sequence() || n.items.empty()) {
      error(n, what + " must be a list of field names, found " +
                   (n.is_sequence() ? std::string("an empty list") : describe(n.kind)));
      return out;
    }
    for (const ynode& item : n.items)
      if (auto id = field(f, item, "an entry of " + what)) out.push_back(*id);
    return out;
  }

  void revisits(const ynode& n, report_spec& spec) {
    if (!expect(n, ynode_kind::sequence, "'revisits'")) return;
    if (n.items.size() > 64) error(n.items[64], "too many revisit kinds (at most 64)");
    for (const ynode& item : n.items) {
      const std::string where = "a revisit kind of 'revisits'";
      if (!expect(item, ynode_kind::map, where)) continue;
      keys k = read_keys(item, where,
                         {"kind", "label", "flow", "where", "state", "event", "timer", "late_state", "excused"});
      const ynode* kn = required(k, item, "kind", where);
      const ynode* fn = required(k, item, "flow", where);
      const ynode* sn = required(k, item, "state", where);
      const ynode* en = required(k, item, "event", where);
      if (!kn || !fn || !sn || !en || !expect(*kn, ynode_kind::scalar, "'kind' of " + where)) continue;
      bool skipped = false;
      const flow_program* f = flow(*fn, "'flow' of " + where, skipped);
      if (!f) continue;
      const std::size_t errors_before = diags_.size();
      kpi_revisit r;
      r.kind = kn->text;
      r.label = kn->text;
      r.flow = id_of(flows_, f);
      r.states = state_list(*f, *sn, "'state' of " + where);
      if (const auto e = event(*f, *en, "'event' of " + where)) r.event = *e;
      if (const ynode* l = k.get("label"); l && expect(*l, ynode_kind::scalar, "'label' of " + where))
        r.label = l->text;
      if (const ynode* tn = k.get("timer"))
        if (const auto t = timer(*f, *tn, "'timer' of " + where)) r.timer = *t;
      if (const ynode* ln = k.get("late_state"))
        if (const auto s = state(*f, *ln, "'late_state' of " + where)) {
          r.late_state = *s;
          if (std::find(r.states.begin(), r.states.end(), *s) == r.states.end())
            error(*ln, "'late_state' of " + where + ": state '" + ln->text + "' is not one of its 'state'");
        }
      if (const ynode* xn = k.get("excused")) r.excused = state_list(*f, *xn, "'excused' of " + where);
      if (const ynode* wn = k.get("where")) where_clause(*f, *wn, r, "'where' of " + where);
      if (diags_.size() != errors_before) continue;
      spec.revisits.push_back(std::move(r));
    }
  }

  // where: {field: value}: one enum or string field and the value it must have.
  void where_clause(const flow_program& f, const ynode& n, kpi_revisit& r, const std::string& what) {
    if (!expect(n, ynode_kind::map, what)) return;
    if (n.entries.size() != 1) {
      error(n, what + " must name exactly one field and its value, like {kind: repair}");
      return;
    }
    const auto& [k, v] = n.entries.front();
    const auto id = field(f, k, what);
    if (!id || !expect(v, ynode_kind::scalar, "the value in " + what)) return;
    const detail::field_def& fd = f.fields[*id];
    if (fd.type == value_type::enumeration) {
      const auto& values = f.enums[fd.enum_index].values;
      const auto it = std::find(values.begin(), values.end(), v.text);
      if (it == values.end()) {
        error(v, "'" + v.text + "' is not a value of field '" + fd.name + "' (expected one of: " + join(values) + ")");
        return;
      }
      r.where_value = static_cast<raw_value>(it - values.begin());
    } else if (fd.type == value_type::string) {
      r.where_text = v.text;
    } else {
      error(k, what + ": field '" + fd.name + "' must be of type enum or string");
      return;
    }
    r.where_field = *id;
  }

  void coverage(const ynode& n, report_spec& spec) {
    const std::string where = "'coverage' of 'report'";
    if (!expect(n, ynode_kind::map, where)) return;
    keys k = read_keys(n, where, {"customers", "visits"});
    const ynode* cn = required(k, n, "customers", where);
    const ynode* vn = required(k, n, "visits", where);
    if (!cn || !vn) return;
    const std::size_t errors_before = diags_.size();
    kpi_coverage c;
    const std::string cw = "'customers' of " + where, vw = "'visits' of " + where;
    if (expect(*cn, ynode_kind::map, cw)) {
      keys ck = read_keys(*cn, cw, {"flow", "left", "match"});
      const ynode* f = required(ck, *cn, "flow", cw);
      const ynode* m = required(ck, *cn, "match", cw);
      bool skipped = false;
      if (const flow_program* fl = f ? flow(*f, "'flow' of " + cw, skipped) : nullptr) {
        c.customer_flow = id_of(flows_, fl);
        if (const ynode* l = ck.get("left"))
          if (const auto s = state(*fl, *l, "'left' of " + cw)) c.left_state = *s;
        if (m) c.customer_match = field_list(*fl, *m, "'match' of " + cw);
      } else if (skipped) {
        return;
      }
    }
    if (expect(*vn, ynode_kind::map, vw)) {
      keys vk = read_keys(*vn, vw, {"flow", "done", "match"});
      const ynode* f = required(vk, *vn, "flow", vw);
      const ynode* d = required(vk, *vn, "done", vw);
      const ynode* m = required(vk, *vn, "match", vw);
      bool skipped = false;
      if (const flow_program* fl = f ? flow(*f, "'flow' of " + vw, skipped) : nullptr) {
        c.visit_flow = id_of(flows_, fl);
        if (d)
          if (const auto s = state(*fl, *d, "'done' of " + vw)) c.done_state = *s;
        if (m) c.visit_match = field_list(*fl, *m, "'match' of " + vw);
      } else if (skipped) {
        return;
      }
    }
    if (diags_.size() != errors_before) return;
    if (c.customer_match.size() != c.visit_match.size()) {
      error(*vn, "'match' of " + vw + " must list as many fields as 'match' of " + cw);
      return;
    }
    spec.coverage = std::move(c);
  }

  const std::vector<flow_program>& flows_;
  const std::function<bool(std::string_view)>& flow_declared_;
  std::vector<diagnostic>& diags_;
  std::string file_;
};

}  // namespace

std::optional<report_spec> compile_report(const std::vector<report_source>& sources,
                                          const std::vector<detail::flow_program>& flows,
                                          const std::function<bool(std::string_view)>& flow_declared,
                                          std::vector<diagnostic>& diags) {
  if (sources.empty()) return std::nullopt;
  for (std::size_t i = 1; i < sources.size(); ++i)
    diags.push_back({severity::error, sources[i].file, sources[i].node.root().line, sources[i].node.root().column,
                     "a second 'report' section (the first is in " + sources[0].file + " at line " +
                         std::to_string(sources[0].node.root().line) + "); a rule set has one"});
  report_walker w(flows, flow_declared, diags);
  return w.walk(sources[0]);
}

}  // namespace crmflow::loader
