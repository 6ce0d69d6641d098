// to_graph: a compiled flow as Graphviz DOT or Mermaid (stateDiagram-v2) text.
//
// Both formats are built from one neutral model (nodes with note lines, edges with labels) so
// that they show the same facts. Output depends only on the rule set, in declaration order, so
// it is byte-for-byte deterministic and can be kept in golden files.
#include "crmflow/graph.hpp"

#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/time.hpp"

namespace crmflow {
namespace {

using detail::flow_program;

constexpr std::string_view timer_mark = "\xE2\x8F\xB1";     // ⏱
constexpr std::string_view arrow = "\xE2\x86\x92";          // →
constexpr std::string_view internal_mark = "\xE2\x9F\xB2";  // ⟲
constexpr std::string_view table_mark = "\xE2\x96\xA6";     // ▦
constexpr std::string_view clock_mark = "\xE2\x8F\xB2";     // ⏲

struct edge {
  bool from_group = false;
  std::uint16_t source = 0;  // state, or group when from_group
  state_id target = 0;
  std::string label;
};

// Where an SLA clock starts, pauses, resumes or stops on entering or leaving a state.
struct clock_link {
  state_id state = 0;
  std::string_view what;  // "start", "pause", "resume", "stop"
};

// An SLA clock's legend: its limit, conditions and ladder, beside the state where it starts.
struct clock_note {
  std::string name;
  state_id anchor = 0;  // the first state its start names, else the initial state
  std::vector<std::string> lines;
  std::vector<clock_link> links;
};

struct model {
  std::vector<std::vector<std::string>> state_notes;  // timers and internal transitions
  std::vector<std::vector<std::string>> group_notes;
  std::vector<std::string> flow_timers;  // timers started by actions, shown once
  std::vector<edge> edges;               // in transition order
  std::vector<clock_note> clocks;        // in declaration order
};

// "label (name)" when the label says something the name does not.
std::string display_name(std::string_view name, std::string_view label) {
  if (label.empty() || label == name) return std::string(name);
  std::string out(label);
  out += " (";
  out += name;
  out += ')';
  return out;
}

// " / ⏱ a, b" for the timers an action list starts.
std::string started_timers(const flow_program& fl, detail::action_range r) {
  std::string out;
  for (std::uint32_t i = 0; i < r.count; ++i) {
    const detail::action_def& a = fl.actions[r.first + i];
    if (a.kind != detail::action_kind::start_timer) continue;
    out += out.empty() ? " / " : ", ";
    if (out.size() == 3) {
      out += timer_mark;
      out += ' ';
    }
    out += fl.timers[a.target].name;
  }
  return out;
}

// " / ▦ a, b" for the decision tables an action list consults.
std::string decided_tables(const flow_program& fl, detail::action_range r) {
  std::string out;
  for (std::uint32_t i = 0; i < r.count; ++i) {
    const detail::action_def& a = fl.actions[r.first + i];
    if (a.kind != detail::action_kind::decide) continue;
    if (out.empty()) {
      out += " / ";
      out += table_mark;
      out += ' ';
    } else {
      out += ", ";
    }
    out += fl.tables[a.target].name;
  }
  return out;
}

// "event [guard] / ⏱ timer / ▦ table"
std::string transition_label(const flow_program& fl, const detail::transition_def& t) {
  std::string out = fl.events[t.event].name;
  if (!t.guard_text.empty()) {
    out += " [";
    out += t.guard_text;
    out += ']';
  }
  out += started_timers(fl, t.actions);
  out += decided_tables(fl, t.actions);
  return out;
}

// "alarm late, notify": what an action list does, by kind and target.
std::string action_words(const flow_program& fl, detail::action_range r) {
  std::string out;
  auto part = [&](std::string_view s) {
    if (!out.empty()) out += ", ";
    out += s;
  };
  for (std::uint32_t i = 0; i < r.count; ++i) {
    const detail::action_def& a = fl.actions[r.first + i];
    switch (a.kind) {
      case detail::action_kind::alarm: part("alarm " + fl.alarm_names[a.target]); break;
      case detail::action_kind::notify: part("notify"); break;
      case detail::action_kind::set: part("set " + fl.fields[a.target].name); break;
      case detail::action_kind::start_timer: part("start " + fl.timers[a.target].name); break;
      case detail::action_kind::cancel_timer: part("cancel " + fl.timers[a.target].name); break;
      case detail::action_kind::emit: part("emit " + fl.events[a.target].name); break;
      case detail::action_kind::decide: part("decide " + fl.tables[a.target].name); break;
    }
  }
  return out;
}

// "⏱ 24h → feedback_overdue (feedback_24h)": when, what fires, and the timer's name.
std::string timer_text(const flow_program& fl, const detail::timer_def& td) {
  std::string out(timer_mark);
  out += ' ';
  if (td.after_field != no_id16) {
    out += fl.fields[td.after_field].name;
    if (td.clock == detail::timer_clock::business_time) out += " (business time)";
  } else if (td.clock == detail::timer_clock::at_time) {
    out += "at ";
    out += td.at_text;
  } else if (td.clock == detail::timer_clock::calendar_months) {
    const bool years = td.business_amount % 12 == 0;
    const std::int64_t n = years ? td.business_amount / 12 : td.business_amount;
    out += std::to_string(n);
    out += years ? " year" : " month";
    if (n != 1) out += 's';
  } else if (td.clock == detail::timer_clock::working_days) {
    out += std::to_string(td.business_amount);
    out += td.business_amount == 1 ? " working day" : " working days";
  } else if (td.clock == detail::timer_clock::business_time) {
    // As written in rules: whole hours as hours, else minutes.
    const bool hours = td.business_amount % hours_ms == 0;
    const std::int64_t n = td.business_amount / (hours ? hours_ms : minutes_ms);
    out += std::to_string(n);
    out += hours ? " business hour" : " business minute";
    if (n != 1) out += 's';
  } else {
    append_duration(out, td.after);
  }
  out += ' ';
  out += arrow;
  out += ' ';
  std::string parts = action_words(fl, td.actions);
  if (td.event != no_id16) {
    if (!parts.empty()) parts += ", ";
    parts += fl.events[td.event].name;
  }
  out += parts;
  out += " (";
  out += td.name;
  out += ')';
  return out;
}

// "8 business hours, calendar office": a clock's limit as rules write it.
std::string clock_limit(const rule_set& rules, const flow_program& fl, const detail::clock_def& c) {
  std::string out;
  if (c.limit_field != no_id16) {
    out = "field " + fl.fields[c.limit_field].name;
    if (c.business) out += " (business time)";  // `business: true`
  } else if (c.business) {
    const bool hours = c.limit % hours_ms == 0;
    const std::int64_t n = c.limit / (hours ? hours_ms : minutes_ms);
    out = std::to_string(n) + (hours ? " business hour" : " business minute") + (n != 1 ? "s" : "");
  } else {
    append_duration(out, c.limit);
  }
  if (!c.business) return out;
  const std::string cal = c.calendar < rules.calendars().size() ? rules.calendars()[c.calendar].name() : "";
  if (c.calendar_field != no_id16)
    out += ", calendar from field " + fl.fields[c.calendar_field].name + (cal.empty() ? "" : " else " + cal);
  else if (!cal.empty())
    out += ", calendar " + cal;
  return out;
}

// "enter waiting or event hold [urgent]": the alternatives of a clock condition, in the
// transition labels' style.
std::string clock_condition_words(const flow_program& fl, detail::clock_condition c) {
  std::string out;
  for (std::uint32_t i = 0; i < c.count; ++i) {
    const detail::clock_clause& cl = fl.clock_clauses[c.first + i];
    if (i) out += " or ";
    switch (cl.kind) {
      case detail::clock_clause_kind::enter_state: out += "enter " + fl.states[cl.id].name; break;
      case detail::clock_clause_kind::exit_state: out += "exit " + fl.states[cl.id].name; break;
      case detail::clock_clause_kind::enter_group: out += "enter group " + fl.groups[cl.id].name; break;
      case detail::clock_clause_kind::exit_group: out += "exit group " + fl.groups[cl.id].name; break;
      case detail::clock_clause_kind::event: out += "event " + fl.events[cl.id].name; break;
    }
    if (!cl.guard_text.empty()) out += " [" + cl.guard_text + "]";
  }
  return out;
}

clock_note build_clock_note(const rule_set& rules, const flow_program& fl, const detail::clock_def& c) {
  clock_note n;
  n.name = c.name;
  n.anchor = fl.initial;
  std::string head(clock_mark);
  head += ' ';
  head += display_name(c.name, c.label);
  head += ": limit ";
  head += clock_limit(rules, fl, c);
  n.lines.push_back(std::move(head));
  bool anchored = false;
  for (const auto& [what, cond] : {std::pair<std::string_view, detail::clock_condition>{"start", c.start},
                                   {"pause", c.pause}, {"resume", c.resume}, {"stop", c.stop}}) {
    if (cond.count == 0) continue;
    n.lines.push_back(std::string(what) + ": " + clock_condition_words(fl, cond));
    for (std::uint32_t i = 0; i < cond.count; ++i) {
      const detail::clock_clause& cl = fl.clock_clauses[cond.first + i];
      if (cl.kind != detail::clock_clause_kind::enter_state && cl.kind != detail::clock_clause_kind::exit_state)
        continue;
      bool known = false;
      for (const clock_link& l : n.links) known = known || (l.state == cl.id && l.what == what);
      if (!known) n.links.push_back({cl.id, what});
      if (what == "start" && !anchored) {
        n.anchor = cl.id;
        anchored = true;
      }
    }
  }
  if (c.stop.count == 0) n.lines.push_back("stop: a final state");
  for (std::uint32_t i = 0; i < c.marks_count; ++i) {
    const detail::clock_mark& m = fl.clock_marks[c.marks_first + i];
    std::string line = m.level == 0 ? std::string("warning") : "level " + std::to_string(m.level);
    line += " at " + std::to_string(m.percent) + "%";
    if (const std::string what = action_words(fl, m.actions); !what.empty()) {
      line += ' ';
      line += arrow;
      line += ' ';
      line += what;
    }
    n.lines.push_back(std::move(line));
  }
  return n;
}

void add_unique(std::vector<std::string>& lines, std::string line) {
  for (const std::string& l : lines)
    if (l == line) return;
  lines.push_back(std::move(line));
}

model build_model(const rule_set& rules, const flow_program& fl) {
  model m;
  for (const detail::clock_def& c : fl.clocks) m.clocks.push_back(build_clock_note(rules, fl, c));
  m.state_notes.resize(fl.states.size());
  m.group_notes.resize(fl.groups.size());

  auto entry_exit = [&](std::vector<std::string>& notes, detail::action_range entry, detail::action_range exit) {
    if (std::string t = started_timers(fl, entry); !t.empty()) add_unique(notes, "entry" + t);
    if (std::string t = started_timers(fl, exit); !t.empty()) add_unique(notes, "exit" + t);
    if (std::string t = decided_tables(fl, entry); !t.empty()) add_unique(notes, "entry" + t);
    if (std::string t = decided_tables(fl, exit); !t.empty()) add_unique(notes, "exit" + t);
  };
  for (std::size_t s = 0; s < fl.states.size(); ++s) {
    const detail::state_def& st = fl.states[s];
    for (std::uint32_t i = 0; i < st.timers_count; ++i)
      add_unique(m.state_notes[s], timer_text(fl, fl.timers[fl.timer_lists[st.timers_first + i]]));
    entry_exit(m.state_notes[s], st.on_entry, st.on_exit);
  }
  for (std::size_t g = 0; g < fl.groups.size(); ++g) {
    const detail::group_def& gr = fl.groups[g];
    for (std::uint32_t i = 0; i < gr.timers_count; ++i)
      add_unique(m.group_notes[g], timer_text(fl, fl.timers[fl.timer_lists[gr.timers_first + i]]));
    entry_exit(m.group_notes[g], gr.on_entry, gr.on_exit);
  }
  for (const detail::timer_def& td : fl.timers)
    if (td.scope == detail::timer_scope::flow) m.flow_timers.push_back(timer_text(fl, td));

  // Internal transitions stay in their state or group's note; the others are edges.
  for (const detail::transition_def& t : fl.transitions) {
    if (t.internal) {
      std::string line(internal_mark);
      line += ' ';
      line += transition_label(fl, t);
      add_unique(t.from_group ? m.group_notes[t.source] : m.state_notes[t.source], std::move(line));
    } else {
      m.edges.push_back({t.from_group, t.source, t.target, transition_label(fl, t)});
    }
  }
  return m;
}

// Groups can be drawn as DOT clusters only when no state is in two of them.
bool groups_are_disjoint(const flow_program& fl) {
  for (const detail::state_def& st : fl.states)
    if (std::popcount(st.groups) > 1) return false;
  return true;
}

std::vector<state_id> members(const flow_program& fl, std::size_t g) {
  std::vector<state_id> out;
  for (std::size_t s = 0; s < fl.states.size(); ++s)
    if (fl.states[s].groups >> g & 1) out.push_back(static_cast<state_id>(s));
  return out;
}

// A group's note when it is not drawn as a cluster: its name and members, then its lines.
std::vector<std::string> group_note(const flow_program& fl, const model& m, std::size_t g) {
  std::string head = "group " + display_name(fl.groups[g].name, fl.groups[g].label) + ":";
  for (const state_id s : members(fl, g)) {
    head += ' ';
    head += fl.states[s].name;
  }
  std::vector<std::string> lines{std::move(head)};
  lines.insert(lines.end(), m.group_notes[g].begin(), m.group_notes[g].end());
  return lines;
}

constexpr std::string_view flow_timers_head = "timers started by actions:";

// ---- DOT ------------------------------------------------------------------------------------

void dot_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': break;
      default: out += c;
    }
  }
  out += '"';
}

std::string joined(std::string first, const std::vector<std::string>& lines) {
  for (const std::string& l : lines) {
    first += '\n';
    first += l;
  }
  return first;
}

std::string to_dot(const flow_program& fl, const model& m) {
  const bool clusters = groups_are_disjoint(fl) && !fl.groups.empty();
  std::string out = "digraph ";
  dot_quoted(out, fl.name);
  out += " {\n  graph [label=";
  dot_quoted(out, display_name(fl.name, fl.label));
  out += ", labelloc=t, fontname=\"sans-serif\"";
  if (clusters) out += ", compound=true";
  out += "];\n";
  out += "  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n";
  out += "  edge [fontname=\"sans-serif\", fontsize=10];\n";
  out += "  __start [shape=point, width=0.15, label=\"\"];\n";

  auto node = [&](std::size_t s, std::string_view indent) {
    const detail::state_def& st = fl.states[s];
    out += indent;
    dot_quoted(out, st.name);
    out += " [label=";
    dot_quoted(out, joined(display_name(st.name, st.label), m.state_notes[s]));
    if (st.final) out += ", shape=doublecircle, style=\"\"";
    out += "];\n";
  };

  std::vector<bool> drawn(fl.states.size(), false);
  for (std::size_t g = 0; g < fl.groups.size(); ++g) {
    const detail::group_def& gr = fl.groups[g];
    if (!clusters) {  // a note beside the states
      out += "  ";
      dot_quoted(out, "__group_" + gr.name);
      out += " [shape=note, style=\"\", label=";
      const std::vector<std::string> lines = group_note(fl, m, g);
      dot_quoted(out, joined(lines.front(), {lines.begin() + 1, lines.end()}));
      out += "];\n";
      continue;
    }
    out += "  subgraph ";
    dot_quoted(out, "cluster_" + gr.name);
    out += " {\n    label=";
    dot_quoted(out, joined(display_name(gr.name, gr.label), m.group_notes[g]));
    out += ";\n    style=\"rounded,dashed\";\n";
    for (const state_id s : members(fl, g)) {
      node(s, "    ");
      drawn[s] = true;
    }
    out += "  }\n";
  }
  for (std::size_t s = 0; s < fl.states.size(); ++s)
    if (!drawn[s]) node(s, "  ");
  if (!m.flow_timers.empty()) {
    out += "  __timers [shape=note, style=\"\", label=";
    dot_quoted(out, joined(std::string(flow_timers_head), m.flow_timers));
    out += "];\n";
  }
  for (const clock_note& c : m.clocks) {
    out += "  ";
    dot_quoted(out, "__clock_" + c.name);
    out += " [shape=note, style=\"\", label=";
    dot_quoted(out, joined(c.lines.front(), {c.lines.begin() + 1, c.lines.end()}));
    out += "];\n";
  }

  out += "  __start -> ";
  dot_quoted(out, fl.states[fl.initial].name);
  out += ";\n";

  auto arc = [&](state_id from, state_id to, const std::string& label, const std::string* ltail) {
    out += "  ";
    dot_quoted(out, fl.states[from].name);
    out += " -> ";
    dot_quoted(out, fl.states[to].name);
    out += " [label=";
    dot_quoted(out, label);
    if (ltail) {
      out += ", ltail=";
      dot_quoted(out, *ltail);
    }
    out += "];\n";
  };
  for (const edge& e : m.edges) {
    if (!e.from_group) {
      arc(e.source, e.target, e.label, nullptr);
      continue;
    }
    const std::vector<state_id> from = members(fl, e.source);
    if (from.empty()) continue;
    // One edge out of the cluster, unless the target is inside it (Graphviz ignores ltail then).
    if (clusters && !(fl.states[e.target].groups >> e.source & 1)) {
      const std::string cluster = "cluster_" + fl.groups[e.source].name;
      arc(from.front(), e.target, e.label, &cluster);
    } else {
      for (const state_id s : from) arc(s, e.target, e.label, nullptr);
    }
  }
  // A clock's note, tied by dotted lines to the states it starts, pauses, resumes and stops at;
  // constraint=false keeps the states where the transitions put them.
  for (const clock_note& c : m.clocks) {
    for (const clock_link& l : c.links) {
      out += "  ";
      dot_quoted(out, "__clock_" + c.name);
      out += " -> ";
      dot_quoted(out, fl.states[l.state].name);
      out += " [label=";
      dot_quoted(out, l.what);
      out += ", style=dotted, arrowhead=none, constraint=false];\n";
    }
  }
  out += "}\n";
  return out;
}

// ---- Mermaid --------------------------------------------------------------------------------

// Mermaid has no backslash escapes: characters that end or confuse a statement become entity
// codes, and a line break becomes a space (one statement per line).
void mermaid_text(std::string& out, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '"': out += "#quot;"; break;
      case '#': out += "#35;"; break;
      case ';': out += "#59;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '\n': out += ' '; break;
      case '\r': break;
      default: out += c;
    }
  }
}

// State ids are rule names (ASCII identifiers); a few words are Mermaid keywords.
std::string mermaid_id(std::string_view name) {
  static constexpr std::string_view keywords[] = {"as",    "class", "classDef", "click", "direction",
                                                  "end",   "note",  "state",    "style"};
  for (std::string_view k : keywords)
    if (name == k) return "s_" + std::string(name);
  return std::string(name);
}

std::string to_mermaid(const flow_program& fl, const model& m) {
  // The title sits in YAML front matter: a double-quoted YAML string, not Mermaid text.
  std::string out = "---\ntitle: \"";
  for (const char c : display_name(fl.name, fl.label)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': break;
      default: out += c;
    }
  }
  out += "\"\n---\nstateDiagram-v2\n";

  for (const detail::state_def& st : fl.states) {
    out += "  state \"";
    mermaid_text(out, display_name(st.name, st.label));
    out += "\" as ";
    out += mermaid_id(st.name);
    out += '\n';
  }
  out += "  [*] --> ";
  out += mermaid_id(fl.states[fl.initial].name);
  out += '\n';

  auto arc = [&](state_id from, state_id to, const std::string& label) {
    out += "  ";
    out += mermaid_id(fl.states[from].name);
    out += " --> ";
    out += mermaid_id(fl.states[to].name);
    out += " : ";
    mermaid_text(out, label);
    out += '\n';
  };
  for (const edge& e : m.edges) {
    if (!e.from_group) {
      arc(e.source, e.target, e.label);
    } else {
      for (const state_id s : members(fl, e.source)) arc(s, e.target, e.label);
    }
  }
  for (const detail::state_def& st : fl.states) {
    if (!st.final) continue;
    out += "  ";
    out += mermaid_id(st.name);
    out += " --> [*]\n";
  }

  auto note = [&](std::string_view side, state_id s, const std::vector<std::string>& lines) {
    out += "  note ";
    out += side;
    out += " of ";
    out += mermaid_id(fl.states[s].name);
    out += '\n';
    for (const std::string& l : lines) {
      out += "    ";
      mermaid_text(out, l);
      out += '\n';
    }
    out += "  end note\n";
  };
  for (std::size_t s = 0; s < fl.states.size(); ++s)
    if (!m.state_notes[s].empty()) note("right", static_cast<state_id>(s), m.state_notes[s]);
  // A group's note sits left of its first state, the flow's timers left of the initial state.
  for (std::size_t g = 0; g < fl.groups.size(); ++g) {
    const std::vector<state_id> in = members(fl, g);
    if (!in.empty()) note("left", in.front(), group_note(fl, m, g));
  }
  if (!m.flow_timers.empty()) {
    std::vector<std::string> lines{std::string(flow_timers_head)};
    lines.insert(lines.end(), m.flow_timers.begin(), m.flow_timers.end());
    note("left", fl.initial, lines);
  }
  for (const clock_note& c : m.clocks) note("left", c.anchor, c.lines);
  return out;
}

}  // namespace

std::string to_graph(const rule_set& rules, flow_id flow, graph_format format) {
  const flow_program& fl = rules.flow(flow);  // throws std::out_of_range
  const model m = build_model(rules, fl);
  return format == graph_format::dot ? to_dot(fl, m) : to_mermaid(fl, m);
}

}  // namespace crmflow
