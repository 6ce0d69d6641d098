// crmflow report <rules> <events.jsonl> [--month YYYY-MM | --from DATE --to DATE] [--until T]
//                [--customers N] [--csv DIR] [--html FILE]
//
// Replays the events in-process (as simulate does) and prints the KPIs of the rules' `report:`
// section (rules/kpis.yaml): on-time rate per step and per unit, revisit rate per kind,
// escalations per level, alarms, and the complaint analysis. Tables on stdout, one CSV per
// table with --csv, a self-contained HTML page with --html. docs/cli.md defines each figure.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli/report_model.hpp"
#include "cli/timeline.hpp"
#include "crmflow/time.hpp"

namespace crmflow::cli {
namespace {

constexpr int report_offset = 8 * 60;  // periods and times: China, UTC+08:00
constexpr timestamp day_ms = 24LL * 3600 * 1000;

// ---- tables -----------------------------------------------------------------------------

enum class verdict { none, pass, fail, no_data };

struct cell {
  std::string text;
  bool number = false;      // right-aligned
  verdict mark = verdict::none;
};

struct table {
  std::string id;     // CSV file name without .csv
  std::string title;
  std::vector<std::string> headers;
  std::vector<bool> numeric;
  std::vector<std::vector<cell>> rows;
  bool on_stdout = true;
  std::size_t stdout_rows = SIZE_MAX;  // rows printed on stdout (the rest: CSV and HTML)
};

cell num(std::uint64_t v) { return {std::to_string(v), true, verdict::none}; }
cell txt(std::string s) { return {std::move(s), false, verdict::none}; }

const char* verdict_text(verdict v) {
  switch (v) {
    case verdict::pass: return "达标";
    case verdict::fail: return "未达标";
    case verdict::no_data: return "无数据";
    case verdict::none: break;
  }
  return "";
}

// A rate against an at-least target.
std::pair<cell, cell> rate_cells(std::uint64_t part, std::uint64_t whole, std::optional<double> at_least) {
  if (whole == 0) return {cell{"—", true, verdict::none}, cell{verdict_text(verdict::no_data), false, verdict::no_data}};
  const double r = static_cast<double>(part) / static_cast<double>(whole);
  cell rate{format_percent(r), true, verdict::none};
  if (!at_least) return {rate, txt("")};
  const verdict v = r + 1e-12 >= *at_least ? verdict::pass : verdict::fail;
  rate.mark = v;
  return {rate, cell{verdict_text(v), false, v}};
}

// Display width in a terminal: East Asian wide and fullwidth characters take two columns.
std::size_t display_width(std::string_view s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    char32_t cp = c;
    std::size_t n = 1;
    if (c >= 0xF0) { cp = c & 0x07; n = 4; }
    else if (c >= 0xE0) { cp = c & 0x0F; n = 3; }
    else if (c >= 0xC0) { cp = c & 0x1F; n = 2; }
    for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += n;
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
                      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
                      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    w += wide ? 2 : 1;
  }
  return w;
}

void pad(std::string& out, std::string_view s, std::size_t width, bool right) {
  const std::size_t w = display_width(s);
  const std::string fill(width > w ? width - w : 0, ' ');
  if (right) out += fill;
  out += s;
  if (!right) out += fill;
}

std::string text_table(const table& t) {
  std::string out = "\n" + t.title + "\n";
  const std::size_t n = std::min(t.rows.size(), t.stdout_rows);
  std::vector<std::size_t> width(t.headers.size());
  for (std::size_t c = 0; c < t.headers.size(); ++c) width[c] = display_width(t.headers[c]);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < t.rows[r].size(); ++c) width[c] = std::max(width[c], display_width(t.rows[r][c].text));
  auto line = [&](const std::vector<std::string>& cells, const std::vector<bool>& right) {
    std::string l = "  ";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c) l += "  ";
      pad(l, cells[c], c + 1 == cells.size() && !right[c] ? 0 : width[c], right[c]);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(t.headers, t.numeric);
  std::size_t total = 0;
  for (std::size_t w : width) total += w;
  out += "  " + std::string(total + 2 * (width.size() - 1), '-') + "\n";
  if (n == 0) out += "  （无）\n";
  for (std::size_t r = 0; r < n; ++r) {
    std::vector<std::string> cells;
    std::vector<bool> right;
    for (const cell& c : t.rows[r]) {
      cells.push_back(c.text);
      right.push_back(c.number);
    }
    line(cells, right);
  }
  if (n < t.rows.size())
    out += "  ... " + std::to_string(t.rows.size() - n) + " more (see --csv / --html)\n";
  return out;
}

// ---- CSV --------------------------------------------------------------------------------

void csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// UTF-8 with a byte order mark (Excel then reads Chinese text correctly), CRLF line ends.
std::string csv_text(const table& t) {
  std::string out = "\xEF\xBB\xBF";
  for (std::size_t c = 0; c < t.headers.size(); ++c) {
    if (c) out += ',';
    csv_field(out, t.headers[c]);
  }
  out += "\r\n";
  for (const auto& row : t.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      csv_field(out, row[c].text);
    }
    out += "\r\n";
  }
  return out;
}

// ---- HTML -------------------------------------------------------------------------------

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

struct bar {
  std::string label;
  double value = 0;     // fraction for rates, a count otherwise
  std::string shown;    // text after the bar
};

// A horizontal bar chart as inline SVG. `target`: a dashed line, and bars below it in red.
std::string svg_bars(const std::string& title, const std::vector<bar>& bars, double max,
                     std::optional<double> target, bool lower_is_better = false) {
  const int label_w = 170, plot_w = 440, row_h = 26, top = 30, right = 90;
  const int h = top + static_cast<int>(bars.size()) * row_h + 12;
  std::string s = "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"" +
                  std::to_string(label_w + plot_w + right) + "\" height=\"" + std::to_string(h) +
                  "\" viewBox=\"0 0 " + std::to_string(label_w + plot_w + right) + " " + std::to_string(h) +
                  "\"><title>" + esc(title) + "</title>";
  s += "<text x=\"0\" y=\"18\" class=\"ct\">" + esc(title) + "</text>";
  if (max <= 0) max = 1;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const bar& b = bars[i];
    const int y = top + static_cast<int>(i) * row_h;
    const double w = std::max(0.0, std::min(1.0, b.value / max)) * plot_w;
    std::string colour = "#4a78c2";
    if (target) {
      const bool ok = lower_is_better ? b.value <= *target + 1e-12 : b.value + 1e-12 >= *target;
      colour = ok ? "#2e9d5b" : "#d0493b";
    }
    s += "<text x=\"" + std::to_string(label_w - 8) + "\" y=\"" + std::to_string(y + 17) +
         "\" text-anchor=\"end\" class=\"cl\">" + esc(b.label) + "</text>";
    s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 4) + "\" width=\"" +
         std::to_string(plot_w) + "\" height=\"" + std::to_string(row_h - 8) + "\" fill=\"#eef0f4\"/>";
    s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 4) + "\" width=\"" + fmt(w, 1) +
         "\" height=\"" + std::to_string(row_h - 8) + "\" fill=\"" + colour + "\"/>";
    // Values in their own column right of the plot, clear of the target line.
    s += "<text x=\"" + std::to_string(label_w + plot_w + 10) + "\" y=\"" + std::to_string(y + 17) + "\" class=\"cv\">" +
         esc(b.shown) + "</text>";
  }
  if (target) {
    const double x = label_w + std::min(1.0, *target / max) * plot_w;
    s += "<line x1=\"" + fmt(x, 1) + "\" y1=\"" + std::to_string(top - 4) + "\" x2=\"" + fmt(x, 1) + "\" y2=\"" +
         std::to_string(h - 8) + "\" stroke=\"#222\" stroke-dasharray=\"4 3\"/>";
    s += "<text x=\"" + fmt(x, 1) + "\" y=\"" + std::to_string(top - 8) + "\" text-anchor=\"middle\" class=\"cv\">目标 " +
         esc(format_target(*target)) + "</text>";
  }
  s += "</svg></figure>\n";
  return s;
}

std::string html_table(const table& t) {
  std::string s = "<h2>" + esc(t.title) + "</h2>\n<table><thead><tr>";
  for (std::size_t c = 0; c < t.headers.size(); ++c)
    s += std::string(t.numeric[c] ? "<th class=\"n\">" : "<th>") + esc(t.headers[c]) + "</th>";
  s += "</tr></thead><tbody>\n";
  if (t.rows.empty()) s += "<tr><td colspan=\"" + std::to_string(t.headers.size()) + "\">（无）</td></tr>\n";
  for (const auto& row : t.rows) {
    s += "<tr>";
    for (const cell& c : row) {
      std::string cls = c.number ? "n" : "";
      if (c.mark == verdict::pass) cls += " pass";
      if (c.mark == verdict::fail) cls += " fail";
      if (c.mark == verdict::no_data) cls += " nodata";
      if (!cls.empty() && cls[0] == ' ') cls.erase(0, 1);
      s += cls.empty() ? "<td>" : "<td class=\"" + cls + "\">";
      s += esc(c.text) + "</td>";
    }
    s += "</tr>\n";
  }
  s += "</tbody></table>\n";
  return s;
}

// ---- the report -------------------------------------------------------------------------

struct report_options {
  std::string_view rules_path;
  std::string_view events_path;
  report_period period;
  std::optional<timestamp> until;
  std::optional<std::int64_t> customers;
  std::optional<std::string_view> csv_dir;
  std::optional<std::string_view> html_path;
};

struct headline {
  std::string name;
  std::string actual;
  std::string target;
  verdict v = verdict::none;
  std::string basis;
};

struct report_doc {
  std::string title;
  std::string period;
  std::vector<headline> kpis;
  std::vector<table> tables;  // tables[0] is the KPI table
  std::vector<bar> unit_bars, step_bars, revisit_bars, clock_bars, category_bars, alarm_bars;
  std::optional<double> revisit_target;
  std::optional<double> on_time_target;
};

report_doc build(const rule_set& rules, const report_spec& spec, const report_figures& fig,
                 std::optional<std::int64_t> customers) {
  report_doc d;
  d.title = spec.label.empty() ? "KPI report" : spec.label;
  d.period = fig.period.text;
  const kpi_targets& tg = spec.targets;
  d.on_time_target = tg.on_time_rate;
  d.revisit_target = tg.revisit_rate;

  std::uint64_t received = 0, valid = 0;
  for (const complaint_row& c : fig.complaints) {
    ++received;
    if (c.valid) ++valid;
  }
  // The complaint on-time rate counts the complaint flow's steps only; other flows' steps
  // (service requests) are in the per-step and per-unit tables.
  std::uint64_t on = 0, late = 0;
  for (std::size_t i = 0; i < fig.steps.size() && i < spec.steps.size(); ++i) {
    if (spec.complaints && spec.steps[i].flow != spec.complaints->flow) continue;
    on += fig.steps[i].on_time;
    late += fig.steps[i].breached;
  }
  auto rate_headline = [&](std::string name, std::uint64_t part, std::uint64_t whole, std::optional<double> at_least,
                           std::string basis) {
    headline h{std::move(name), "—", at_least ? "≥ " + format_target(*at_least) : "—", verdict::no_data, std::move(basis)};
    if (whole > 0) {
      const double r = static_cast<double>(part) / static_cast<double>(whole);
      h.actual = format_percent(r);
      h.v = !at_least ? verdict::none : r + 1e-12 >= *at_least ? verdict::pass : verdict::fail;
    }
    d.kpis.push_back(std::move(h));
  };
  if (spec.complaints)
    d.kpis.push_back({"投诉受理", std::to_string(received), "—", verdict::none, "有效投诉 " + std::to_string(valid)});
  if (!spec.steps.empty())
    rate_headline("投诉处理及时率", on, on + late, tg.on_time_rate,
                  "按时 " + std::to_string(on) + " / 到期 " + std::to_string(on + late) + " 个环节");
  if (spec.complaints) {
    headline h{"投诉率", "—", tg.complaint_rate_max ? "≤ " + format_target(*tg.complaint_rate_max) : "—",
               verdict::no_data, "未给出客户数（customers / --customers）"};
    if (customers) {
      const double r = static_cast<double>(received) / static_cast<double>(*customers);
      h.actual = format_percent(r);
      h.v = !tg.complaint_rate_max ? verdict::none : r <= *tg.complaint_rate_max + 1e-12 ? verdict::pass : verdict::fail;
      h.basis = std::to_string(received) + " 件 / " + std::to_string(*customers) + " 户";
    }
    d.kpis.push_back(std::move(h));
    if (spec.complaints->satisfaction != no_id16)
      rate_headline("满意度", fig.satisfied, fig.with_result, tg.satisfaction_min,
                    "满意及基本满意 " + std::to_string(fig.satisfied) + " / 有回访结果 " + std::to_string(fig.with_result));
  }
  if (spec.loyalty)
    rate_headline("忠诚度", fig.loyal, fig.loyalty_answers, tg.loyalty_min,
                  "愿意推荐 " + std::to_string(fig.loyal) + " / 有回答 " + std::to_string(fig.loyalty_answers));
  else if (tg.loyalty_min)
    d.kpis.push_back({"忠诚度", "—", "≥ " + format_target(*tg.loyalty_min), verdict::no_data, "流程未记录忠诚度"});
  for (std::size_t k = 0; k < spec.revisits.size(); ++k) {
    const revisit_count& r = fig.revisits[k];
    const std::uint64_t owed = r.due - r.waiting - r.excused;
    rate_headline("回访率（" + spec.revisits[k].label + "）", r.done, owed, tg.revisit_rate,
                  "已回访 " + std::to_string(r.done) + " / 应回访 " + std::to_string(owed));
  }
  if (spec.coverage)
    rate_headline("月度回访覆盖率", fig.customers_visited, fig.customers_registered, tg.monthly_coverage,
                  "已回访客户 " + std::to_string(fig.customers_visited) + " / 在册客户 " +
                      std::to_string(fig.customers_registered));
  else if (tg.monthly_coverage)
    d.kpis.push_back({"月度回访覆盖率", "—", "≥ " + format_target(*tg.monthly_coverage), verdict::no_data,
                      "规则中没有 coverage（客户与走访流程）"});
  std::uint64_t alarms = 0, repeated = 0;
  for (const auto& [name, n] : fig.alarms) {
    alarms += n;
    if (std::find(spec.repeated_problem_alarms.begin(), spec.repeated_problem_alarms.end(), name) !=
        spec.repeated_problem_alarms.end())
      repeated += n;
  }
  d.kpis.push_back({"报警", std::to_string(alarms), "—", verdict::none,
                    "其中重复问题报警 " + std::to_string(repeated)});

  table kpi{"kpis", "核心指标 (KPIs)", {"指标", "实际", "目标", "结果", "依据"}, {false, true, true, false, false}, {}};
  for (const headline& h : d.kpis)
    kpi.rows.push_back({txt(h.name), cell{h.actual, true, h.v}, cell{h.target, true, verdict::none},
                        cell{verdict_text(h.v), false, h.v}, txt(h.basis)});
  d.tables.push_back(std::move(kpi));

  table steps{"steps", "各环节及时率 (on-time rate per step)", {"环节", "按时", "超时", "未到期", "及时率", "结果"},
              {false, true, true, true, true, false}, {}};
  for (std::size_t s = 0; s < spec.steps.size(); ++s) {
    const step_count& c = fig.steps[s];
    auto [rate, res] = rate_cells(c.on_time, c.on_time + c.breached, tg.on_time_rate);
    steps.rows.push_back({txt(spec.steps[s].label), num(c.on_time), num(c.breached), num(c.open), rate, res});
    if (c.on_time + c.breached)
      d.step_bars.push_back({spec.steps[s].label, static_cast<double>(c.on_time) / static_cast<double>(c.on_time + c.breached),
                             rate.text});
  }
  if (!spec.steps.empty()) d.tables.push_back(std::move(steps));

  // Units: worst rate first, so the review starts where it matters.
  std::vector<std::pair<std::string, step_count>> units(fig.units.begin(), fig.units.end());
  auto rate_of = [](const step_count& c) {
    return c.on_time + c.breached ? static_cast<double>(c.on_time) / static_cast<double>(c.on_time + c.breached) : 2.0;
  };
  std::stable_sort(units.begin(), units.end(), [&](const auto& a, const auto& b) { return rate_of(a.second) < rate_of(b.second); });
  table ut{"units", "各责任单位及时率 (on-time rate per unit)", {"责任单位", "按时", "超时", "未到期", "及时率", "结果"},
           {false, true, true, true, true, false}, {}};
  for (const auto& [name, c] : units) {
    auto [rate, res] = rate_cells(c.on_time, c.on_time + c.breached, tg.on_time_rate);
    ut.rows.push_back({txt(name), num(c.on_time), num(c.breached), num(c.open), rate, res});
    if (c.on_time + c.breached) d.unit_bars.push_back({name, rate_of(c), rate.text});
  }
  if (!spec.steps.empty()) d.tables.push_back(std::move(ut));

  table rv{"revisits", "回访 (revisits per kind)",
           {"回访类型", "应回访", "已回访", "按时回访", "期限内待回访", "逾期未回访", "免访", "未回访即离开", "回访率", "结果"},
           {false, true, true, true, true, true, true, true, true, false}, {}};
  for (std::size_t k = 0; k < spec.revisits.size(); ++k) {
    const revisit_count& r = fig.revisits[k];
    auto [rate, res] = rate_cells(r.done, r.due - r.waiting - r.excused, tg.revisit_rate);
    rv.rows.push_back({txt(spec.revisits[k].label), num(r.due), num(r.done), num(r.done_on_time), num(r.waiting),
                       num(r.overdue), num(r.excused), num(r.left_without), rate, res});
    if (r.due - r.waiting - r.excused)
      d.revisit_bars.push_back({spec.revisits[k].label,
                                static_cast<double>(r.done) / static_cast<double>(r.due - r.waiting - r.excused), rate.text});
  }
  if (!spec.revisits.empty()) d.tables.push_back(std::move(rv));

  // SLA clocks: every clock of the rules, with its breaches per ladder level.
  if (!fig.clocks.empty()) {
    table ck{"clocks", "SLA 时钟 (SLA clocks)", {"时钟", "启动", "预警", "按时完成", "超时", "运行中", "及时率", "结果"},
             {false, true, true, true, true, true, true, false}, {}};
    table lv{"clock_levels", "SLA 超时升级 (breaches per level)", {"时钟", "级别", "次数"}, {false, true, true}, {}};
    for (const clock_count& c : fig.clocks) {
      const detail::flow_program& fl = rules.flow(c.flow);
      const detail::clock_def& cd = fl.clocks[c.clock];
      const std::string name = (fl.label.empty() ? fl.name : fl.label) + " · " + (cd.label.empty() ? cd.name : cd.label);
      auto [rate, res] = rate_cells(c.on_time, c.on_time + c.breached, tg.on_time_rate);
      ck.rows.push_back({txt(name), num(c.started), num(c.warnings), num(c.on_time), num(c.breached), num(c.open), rate, res});
      if (c.on_time + c.breached)
        d.clock_bars.push_back({name, static_cast<double>(c.on_time) / static_cast<double>(c.on_time + c.breached), rate.text});
      for (const auto& [level, n] : c.levels) lv.rows.push_back({txt(name), num(level), num(n)});
    }
    d.tables.push_back(std::move(ck));
    d.tables.push_back(std::move(lv));
  }

  if (spec.complaints && spec.complaints->escalations != no_id16) {
    table es{"escalations", "升级投诉 (escalations per level)", {"升级级别", "件次"}, {false, true}, {}};
    for (const auto& [level, n] : fig.escalations)
      es.rows.push_back({txt("第" + std::to_string(level) + "次升级"), num(n)});
    d.tables.push_back(std::move(es));
  }

  std::vector<std::pair<std::string, std::uint64_t>> al(fig.alarms.begin(), fig.alarms.end());
  std::stable_sort(al.begin(), al.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  table at{"alarms", "报警 (alarms raised)", {"报警", "次数"}, {false, true}, {}};
  for (const auto& [name, n] : al) {
    at.rows.push_back({txt(name), num(n)});
    d.alarm_bars.push_back({name, static_cast<double>(n), std::to_string(n)});
  }
  d.tables.push_back(std::move(at));

  if (spec.complaints) {
    struct two {
      std::uint64_t all = 0, valid = 0;
    };
    std::map<std::string, two> by_cat, by_place;
    std::map<std::pair<std::string, std::string>, std::uint64_t> problems;
    for (const complaint_row& c : fig.complaints) {
      ++by_cat[c.category].all;
      ++by_place[c.place].all;
      if (!c.valid) continue;
      ++by_cat[c.category].valid;
      ++by_place[c.place].valid;
      ++problems[{c.category, c.place}];
    }
    auto counted = [](const std::map<std::string, two>& m) {
      std::vector<std::pair<std::string, two>> v(m.begin(), m.end());
      std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.all > b.second.all; });
      return v;
    };
    table ct{"categories", "投诉类别 (complaints by category)", {"类别", "投诉", "有效投诉"}, {false, true, true}, {}};
    for (const auto& [name, n] : counted(by_cat)) {
      ct.rows.push_back({txt(name), num(n.all), num(n.valid)});
      d.category_bars.push_back({name, static_cast<double>(n.all), std::to_string(n.all)});
    }
    d.tables.push_back(std::move(ct));
    table pt{"places", "投诉地点 (complaints by place)", {"地点", "投诉", "有效投诉"}, {false, true, true}, {}};
    for (const auto& [name, n] : counted(by_place)) pt.rows.push_back({txt(name), num(n.all), num(n.valid)});
    d.tables.push_back(std::move(pt));

    std::vector<std::pair<std::pair<std::string, std::string>, std::uint64_t>> rep;
    for (const auto& p : problems)
      if (static_cast<std::int64_t>(p.second) >= spec.complaints->repeated_min || fig.alarmed_problems.contains(p.first))
        rep.push_back(p);
    std::stable_sort(rep.begin(), rep.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    table rt{"repeated", "重复问题 (most repeated problems: same category, same place)",
             {"类别", "地点", "有效投诉", "已报警"}, {false, false, true, false}, {}};
    rt.stdout_rows = 10;
    for (const auto& [key, n] : rep) {
      const auto it = fig.alarmed_problems.find(key);
      rt.rows.push_back({txt(key.first), txt(key.second), num(n),
                         txt(it == fig.alarmed_problems.end() ? "" : "是（" + std::to_string(it->second) + "次）")});
    }
    d.tables.push_back(std::move(rt));

    table lt{"complaints", "有效投诉清单 (every valid complaint)", {"编号", "受理时间", "类别", "地点", "责任单位", "当前环节"},
             {false, false, false, false, false, false}, {}};
    lt.on_stdout = false;
    for (const complaint_row& c : fig.complaints) {
      if (!c.valid) continue;
      lt.rows.push_back({txt(c.name), txt(format_timestamp(c.received, report_offset)), txt(c.category), txt(c.place),
                         txt(c.unit), txt(c.state)});
    }
    d.tables.push_back(std::move(lt));
  }
  return d;
}

std::string text_report(const report_doc& d) {
  std::string out = d.title + "\n期间: " + d.period + "（按受理时间，UTC+08:00）\n";
  for (const table& t : d.tables)
    if (t.on_stdout) out += text_table(t);
  return out;
}

std::string html_report(const report_doc& d) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + esc(d.title) + " " +
      esc(d.period) +
      "</title>\n<style>\n"
      "body{font-family:\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;margin:24px auto;"
      "max-width:1000px;color:#222;padding:0 16px}\n"
      "h1{margin-bottom:4px}.period{color:#555;margin-top:0}\n"
      ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
      ".card{border-radius:8px;padding:10px 14px;min-width:170px;background:#f1f3f6;border-left:6px solid #999}\n"
      ".card.pass{background:#e8f6ee;border-color:#2e9d5b}.card.fail{background:#fdecea;border-color:#d0493b}\n"
      ".card .k{font-size:13px;color:#444}.card .v{font-size:26px;font-weight:bold}.card .t{font-size:12px;color:#555}\n"
      "table{border-collapse:collapse;margin:8px 0 20px;font-size:14px}\n"
      "th,td{border:1px solid #ccd;padding:4px 10px;text-align:left}th{background:#eef1f6}\n"
      ".n{text-align:right}.pass{color:#1d7a43;font-weight:bold}.fail{color:#b3261e;font-weight:bold}"
      ".nodata{color:#888}\n"
      "td.pass,td.fail{background:none}\n"
      "figure{margin:8px 0 20px}svg .ct{font-size:15px;font-weight:bold}svg .cl,svg .cv{font-size:13px}\n"
      "h2{font-size:18px;border-bottom:2px solid #dde;padding-bottom:4px;margin-top:28px}\n"
      "</style>\n</head>\n<body>\n<h1>" +
      esc(d.title) + "</h1>\n<p class=\"period\">期间：" + esc(d.period) + "（按受理时间，UTC+08:00）</p>\n";
  s += "<div class=\"cards\">\n";
  for (const headline& h : d.kpis) {
    const char* cls = h.v == verdict::pass ? " pass" : h.v == verdict::fail ? " fail" : "";
    s += std::string("<div class=\"card") + cls + "\"><div class=\"k\">" + esc(h.name) + "</div><div class=\"v\">" +
         esc(h.actual) + "</div><div class=\"t\">目标 " + esc(h.target) +
         (h.v == verdict::none ? std::string() : " · " + std::string(verdict_text(h.v))) + "</div><div class=\"t\">" +
         esc(h.basis) + "</div></div>\n";
  }
  s += "</div>\n";
  if (!d.unit_bars.empty()) s += svg_bars("各责任单位及时率", d.unit_bars, 1.0, d.on_time_target);
  if (!d.step_bars.empty()) s += svg_bars("各环节及时率", d.step_bars, 1.0, d.on_time_target);
  if (!d.revisit_bars.empty()) s += svg_bars("回访率", d.revisit_bars, 1.0, d.revisit_target);
  if (!d.clock_bars.empty()) s += svg_bars("SLA 时钟及时率", d.clock_bars, 1.0, d.on_time_target);
  auto max_of = [](const std::vector<bar>& v) {
    double m = 0;
    for (const bar& b : v) m = std::max(m, b.value);
    return m;
  };
  if (!d.category_bars.empty()) s += svg_bars("投诉类别", d.category_bars, max_of(d.category_bars), std::nullopt);
  if (!d.alarm_bars.empty()) s += svg_bars("报警", d.alarm_bars, max_of(d.alarm_bars), std::nullopt);
  for (const table& t : d.tables) {
    if (t.id == "complaints") {
      s += "<details><summary>" + esc(t.title) + "（" + std::to_string(t.rows.size()) + " 件）</summary>\n" +
           html_table(t) + "</details>\n";
    } else {
      s += html_table(t);
    }
  }
  s += "<p class=\"period\">crmflow report</p>\n</body>\n</html>\n";
  return s;
}

bool write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

// "2026-03" -> [2026-03-01, 2026-04-01) in +08:00.
std::optional<report_period> parse_month(std::string_view m) {
  if (m.size() != 7 || m[4] != '-') return std::nullopt;
  int y = 0, mo = 0;
  if (std::from_chars(m.data(), m.data() + 4, y).ptr != m.data() + 4) return std::nullopt;
  if (std::from_chars(m.data() + 5, m.data() + 7, mo).ptr != m.data() + 7) return std::nullopt;
  if (y < 1970 || mo < 1 || mo > 12) return std::nullopt;
  char a[40], b[40];
  std::snprintf(a, sizeof a, "%04d-%02d-01T00:00:00+08:00", y, mo);
  std::snprintf(b, sizeof b, "%04d-%02d-01T00:00:00+08:00", mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1);
  const auto from = parse_timestamp(a), to = parse_timestamp(b);
  if (!from || !to) return std::nullopt;
  return report_period{false, *from, *to, std::string(m)};
}

// "2026-03-02" -> the start of that day in +08:00.
std::optional<timestamp> parse_day(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (d[i] < '0' || d[i] > '9') return std::nullopt;
  return parse_timestamp(std::string(d) + "T00:00:00+08:00");
}

}  // namespace

int run_report(const args& a) {
  report_options opt;
  std::vector<std::string_view> positional;
  std::optional<std::string_view> month, from, to;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool missing = false;
    if (auto m = option_value(a, i, "--month", missing)) {
      if (missing) return usage_error("report", "--month needs a month like 2026-03");
      month = *m;
    } else if (auto f = option_value(a, i, "--from", missing)) {
      if (missing) return usage_error("report", "--from needs a date like 2026-03-02");
      from = *f;
    } else if (auto t = option_value(a, i, "--to", missing)) {
      if (missing) return usage_error("report", "--to needs a date like 2026-03-08");
      to = *t;
    } else if (auto u = option_value(a, i, "--until", missing)) {
      if (missing) return usage_error("report", "--until needs a time (RFC 3339)");
      opt.until = parse_timestamp(*u);
      if (!opt.until)
        return usage_error("report", "--until: bad time " + std::string(*u) +
                                         " (expected RFC 3339, like 2026-04-01T00:00:00+08:00)");
    } else if (auto c = option_value(a, i, "--customers", missing)) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(c->data(), c->data() + c->size(), n);
      if (missing || ec != std::errc() || end != c->data() + c->size() || n <= 0)
        return usage_error("report", "--customers needs a number of customers (1 or more)");
      opt.customers = n;
    } else if (auto d = option_value(a, i, "--csv", missing)) {
      if (missing || d->empty()) return usage_error("report", "--csv needs a directory");
      opt.csv_dir = *d;
    } else if (auto h = option_value(a, i, "--html", missing)) {
      if (missing || h->empty()) return usage_error("report", "--html needs a file name");
      opt.html_path = *h;
    } else if (a[i].size() > 1 && a[i][0] == '-') {
      return usage_error("report", "unknown option " + std::string(a[i]));
    } else {
      positional.push_back(a[i]);
    }
  }
  if (positional.size() != 2) return usage_error("report", "expected <rules> <events.jsonl>");
  opt.rules_path = positional[0];
  opt.events_path = positional[1];
  if (month && (from || to)) return usage_error("report", "give either --month or --from/--to, not both");
  if (month) {
    auto p = parse_month(*month);
    if (!p) return usage_error("report", "--month: bad month " + std::string(*month) + " (expected YYYY-MM, like 2026-03)");
    opt.period = *p;
  } else if (from || to) {
    if (!from || !to) return usage_error("report", "--from and --to go together");
    const auto f = parse_day(*from), t = parse_day(*to);
    if (!f) return usage_error("report", "--from: bad date " + std::string(*from) + " (expected YYYY-MM-DD, like 2026-03-02)");
    if (!t) return usage_error("report", "--to: bad date " + std::string(*to) + " (expected YYYY-MM-DD, like 2026-03-08)");
    if (*t < *f) return usage_error("report", "--to is before --from");
    opt.period = report_period{false, *f, *t + day_ms, std::string(*from) + ".." + std::string(*to)};
  } else {
    opt.period.text = "全部";
  }

  const std::shared_ptr<const rule_set> rules = load_and_report({std::filesystem::path(opt.rules_path)}, stderr);
  if (!rules) return exit_failure;
  if (!rules->report()) {
    std::fprintf(stderr,
                 "crmflow report: the rules in %s have no 'report:' section (the KPI targets; see rules/kpis.yaml)\n",
                 std::string(opt.rules_path).c_str());
    return exit_failure;
  }
  const report_spec& spec = *rules->report();
  if (!opt.customers) opt.customers = spec.customers;

  report_observer obs(*rules, spec, opt.period);
  run_stats stats;
  const int replayed = replay_events(rules, "report", opt.events_path, opt.until, obs,
                                     [&](const engine& e) { obs.finish(e); }, stats);
  if (replayed == exit_failure) return exit_failure;

  const report_doc doc = build(*rules, spec, obs.figures(), opt.customers);
  const std::string text = text_report(doc);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);

  if (opt.csv_dir) {
    const std::filesystem::path dir(*opt.csv_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    for (const table& t : doc.tables) {
      if (!write_file(dir / (t.id + ".csv"), csv_text(t))) {
        std::fprintf(stderr, "crmflow report: cannot write %s\n", (dir / (t.id + ".csv")).string().c_str());
        return exit_failure;
      }
    }
  }
  if (opt.html_path && !write_file(std::filesystem::path(*opt.html_path), html_report(doc))) {
    std::fprintf(stderr, "crmflow report: cannot write %s\n", std::string(*opt.html_path).c_str());
    return exit_failure;
  }
  return replayed;
}

}  // namespace crmflow::cli
