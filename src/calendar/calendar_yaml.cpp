#include "calendar/calendar_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <stdexcept>

#include "calendar/calendar_text.hpp"

namespace crmflow::calendar_yaml {
namespace {

constexpr std::string_view allowed_keys = "label, utc_offset, week, holidays, workdays, overrides";
constexpr std::int64_t max_range_days = 366;

const char* describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "nothing";
  }
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(s[0])) return false;
  for (char c : s)
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_') return false;
  return true;
}

// One calendar's walk. Collects everything, reports as it goes, builds only if clean.
class walker {
 public:
  walker(std::string_view name, const std::string& file, std::vector<diagnostic>& out)
      : name_(name), file_(file), out_(out), builder_(std::string(name)) {}

  std::optional<calendar> run(const YAML::Node& node) {
    if (!node.IsMap()) {
      error(node, "calendar " + name_ + ": expected a map with keys " +
                      std::string(allowed_keys) + ", found " + describe(node));
      return std::nullopt;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const YAML::Node& key = kv.first;
      const YAML::Node& value = kv.second;
      const std::string k = key.IsScalar() ? key.Scalar() : std::string();
      if (!seen.insert(k).second) {
        error(key, "duplicate key " + quoted(k) + " in calendar " + name_);
        continue;
      }
      if (k == "label") {
        if (scalar(value, "label", "a text")) builder_.label(value.Scalar());
      } else if (k == "utc_offset") {
        if (!scalar(value, "utc_offset", "an offset such as \"+08:00\"")) continue;
        std::string err;
        if (auto off = calendar_text::parse_utc_offset(value.Scalar(), err))
          builder_.utc_offset_minutes(*off);
        else
          error(value, err);
      } else if (k == "week") {
        week(value);
      } else if (k == "holidays") {
        holidays(value);
      } else if (k == "workdays") {
        dated_map(value, "workdays", kind::workday);
      } else if (k == "overrides") {
        dated_map(value, "overrides", kind::override_);
      } else {
        error(key, "unknown key " + quoted(k) + " in calendar " + name_ + "; allowed keys: " +
                       std::string(allowed_keys));
      }
    }
    for (const auto& [day, w] : borrowed_) {
      if (!has_week_hours_[static_cast<std::size_t>(w.as)])
        error(w.line, w.column,
              "workday " + calendar_text::format_date(day) + " takes the hours of " +
                  std::string(to_string(w.as)) + ", but " + std::string(to_string(w.as)) +
                  " has no hours under week");
    }
    if (errors_ == 0 && !any_week_hours_) {
      error(node, "calendar " + name_ +
                      " has no working hours: give at least one weekday hours under week");
    }
    if (errors_ > 0) return std::nullopt;
    try {
      return builder_.build();
    } catch (const std::exception& e) {  // the checks above should make this unreachable
      error(node, e.what());
      return std::nullopt;
    }
  }

 private:
  enum class kind { holiday, workday, override_ };
  struct place {
    kind what;
    int line, column;
  };
  struct borrow {
    weekday as;
    int line, column;
  };

  void error(int line, int column, std::string message) {
    ++errors_;
    out_.push_back({severity::error, file_, line, column, std::move(message)});
  }
  void error(const YAML::Node& at, std::string message) {
    const YAML::Mark m = at.Mark();
    error(m.line + 1, m.column + 1, std::move(message));
  }

  bool scalar(const YAML::Node& value, std::string_view key, std::string_view what) {
    if (value.IsScalar()) return true;
    error(value, std::string(key) + ": expected " + std::string(what) + ", found " +
                     describe(value));
    return false;
  }

  // A day's hours: a list of shifts, one shift, or nothing (off). `where` is "mon" or a date.
  std::optional<std::vector<work_interval>> shifts(const YAML::Node& value,
                                                   const std::string& where) {
    std::vector<YAML::Node> items;
    if (value.IsNull()) return std::vector<work_interval>{};
    if (value.IsScalar()) {
      items.push_back(value);
    } else if (value.IsSequence()) {
      for (const auto& item : value) items.push_back(item);
    } else {
      error(value, "hours for " + where + ": expected a list of shifts such as " +
                       "[\"09:00-12:00\", \"13:30-18:00\"], found " + describe(value));
      return std::nullopt;
    }
    std::vector<work_interval> hours;
    std::vector<const YAML::Node*> at;
    bool ok = true;
    for (const YAML::Node& item : items) {
      if (!item.IsScalar()) {
        error(item, "hours for " + where + ": expected a shift such as \"09:00-12:00\", found " +
                        describe(item));
        ok = false;
        continue;
      }
      std::string err;
      const auto w = calendar_text::parse_shift(item.Scalar(), err);
      if (!w) {
        error(item, where + ": " + err);
        ok = false;
        continue;
      }
      for (const work_interval& earlier : hours) {
        if (earlier.start < w->end && w->start < earlier.end) {
          error(item, "shifts " + format_interval(earlier) + " and " + format_interval(*w) +
                          " overlap on " + where);
          ok = false;
          break;
        }
      }
      hours.push_back(*w);
    }
    if (!ok) return std::nullopt;
    return hours;
  }

  void week(const YAML::Node& value) {
    if (!value.IsMap()) {
      error(value, "week: expected a map from weekdays (" +
                       std::string(calendar_text::weekday_list) + ") to shifts, found " +
                       describe(value));
      return;
    }
    bool seen[7] = {};
    for (const auto& kv : value) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      const auto day = calendar_text::parse_weekday(k);
      if (!day) {
        error(kv.first, "unknown weekday " + quoted(k) + " under week; expected one of " +
                            std::string(calendar_text::weekday_list));
        continue;
      }
      const auto i = static_cast<std::size_t>(*day);
      if (seen[i]) {
        error(kv.first, "duplicate weekday " + quoted(k) + " under week");
        continue;
      }
      seen[i] = true;
      if (auto hours = shifts(kv.second, k)) {
        has_week_hours_[i] = !hours->empty();
        any_week_hours_ = any_week_hours_ || !hours->empty();
        builder_.week_hours(*day, std::move(*hours));
      }
    }
  }

  // Records that `day` has meaning `what`, at `at`. False (and reported) on a conflict.
  bool claim(std::int64_t day, kind what, const YAML::Node& at) {
    static constexpr const char* names[] = {"a holiday", "a workday", "an override"};
    const YAML::Mark m = at.Mark();
    const auto [it, fresh] = claimed_.try_emplace(day, place{what, m.line + 1, m.column + 1});
    if (fresh) return true;
    if (it->second.what == kind::holiday && what == kind::holiday) return false;  // harmless
    const std::string date = calendar_text::format_date(day);
    if (it->second.what == what)
      error(at, "duplicate date " + date + " (already at line " +
                    std::to_string(it->second.line) + ")");
    else
      error(at, date + " is both " + names[static_cast<int>(it->second.what)] + " (line " +
                    std::to_string(it->second.line) + ") and " + names[static_cast<int>(what)]);
    return false;
  }

  void holidays(const YAML::Node& value) {
    if (!value.IsSequence()) {
      error(value, "holidays: expected a list of dates (2026-02-15) or ranges "
                   "(\"2026-02-15..2026-02-23\"), found " + std::string(describe(value)));
      return;
    }
    for (const auto& item : value) {
      if (!item.IsScalar()) {
        error(item, std::string("holidays: expected a date or a range, found ") + describe(item));
        continue;
      }
      const std::string& text = item.Scalar();
      std::string err;
      const auto dots = text.find("..");
      if (dots == std::string::npos) {
        if (const auto day = calendar_text::parse_date(text, err)) {
          if (claim(*day, kind::holiday, item)) builder_.holiday(to_ymd(*day));
        } else {
          error(item, err);
        }
        continue;
      }
      const auto from = calendar_text::parse_date(std::string_view(text).substr(0, dots), err);
      if (!from) {
        error(item, err + " in range " + quoted(text));
        continue;
      }
      const auto to = calendar_text::parse_date(std::string_view(text).substr(dots + 2), err);
      if (!to) {
        error(item, err + " in range " + quoted(text));
        continue;
      }
      if (*to < *from) {
        error(item, "bad range " + quoted(text) + ": it ends before it starts");
        continue;
      }
      if (*to - *from >= max_range_days) {
        error(item, "bad range " + quoted(text) + ": longer than " +
                        std::to_string(max_range_days) + " days");
        continue;
      }
      for (std::int64_t d = *from; d <= *to; ++d)
        if (claim(d, kind::holiday, item)) builder_.holiday(to_ymd(d));
    }
  }

  void dated_map(const YAML::Node& value, std::string_view key, kind what) {
    if (!value.IsMap()) {
      error(value, std::string(key) + ": expected a map from dates to " +
                       (what == kind::workday ? "a weekday or shifts" : "shifts") + ", found " +
                       describe(value));
      return;
    }
    for (const auto& kv : value) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      std::string err;
      const auto day = calendar_text::parse_date(k, err);
      if (!day) {
        error(kv.first, err);
        continue;
      }
      const std::string date = calendar_text::format_date(*day);
      const YAML::Node& v = kv.second;
      if (what == kind::workday && v.IsScalar() && v.Scalar().find(':') == std::string::npos) {
        const auto as = calendar_text::parse_weekday(v.Scalar());
        if (!as) {
          error(v, "workday " + date + ": expected a weekday (" +
                       std::string(calendar_text::weekday_list) +
                       ") or a list of shifts, found " + quoted(v.Scalar()));
          continue;
        }
        if (!claim(*day, what, kv.first)) continue;
        const YAML::Mark m = v.Mark();
        borrowed_[*day] = borrow{*as, m.line + 1, m.column + 1};
        builder_.workday(to_ymd(*day), *as);
        continue;
      }
      auto hours = shifts(v, date);
      if (!hours) continue;
      if (what == kind::workday && hours->empty()) {
        error(v, "workday " + date + " has no hours: give a weekday (" +
                     std::string(calendar_text::weekday_list) + ") or a list of shifts");
        continue;
      }
      if (!claim(*day, what, kv.first)) continue;
      if (what == kind::workday)
        builder_.workday(to_ymd(*day), std::move(*hours));
      else
        builder_.override_hours(to_ymd(*day), std::move(*hours));
    }
  }

  static std::chrono::year_month_day to_ymd(std::int64_t day) {
    return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day}}};
  }

  std::string name_;
  const std::string& file_;
  std::vector<diagnostic>& out_;
  calendar_builder builder_;
  int errors_ = 0;
  bool has_week_hours_[7] = {};
  bool any_week_hours_ = false;
  std::map<std::int64_t, place> claimed_;
  std::map<std::int64_t, borrow> borrowed_;
};

}  // namespace

std::optional<calendar> parse_calendar(const YAML::Node& node, std::string_view name,
                                       const std::string& file, std::vector<diagnostic>& out) {
  return walker(name, file, out).run(node);
}

std::vector<calendar> parse_calendars(const YAML::Node& node, const std::string& file,
                                      std::vector<diagnostic>& out) {
  std::vector<calendar> result;
  if (node.IsNull()) return result;
  if (!node.IsMap()) {
    const YAML::Mark m = node.Mark();
    out.push_back({severity::error, file, m.line + 1, m.column + 1,
                   std::string("calendars: expected a map from calendar names to calendars, "
                               "found ") + describe(node)});
    return result;
  }
  std::set<std::string> names;
  for (const auto& kv : node) {
    const YAML::Mark m = kv.first.Mark();
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    if (!is_identifier(name)) {
      out.push_back({severity::error, file, m.line + 1, m.column + 1,
                     "bad calendar name " + quoted(name) +
                         ": expected letters, digits and _, starting with a letter"});
      continue;
    }
    if (!names.insert(name).second) {
      out.push_back({severity::error, file, m.line + 1, m.column + 1,
                     "duplicate calendar " + quoted(name)});
      continue;
    }
    if (auto cal = parse_calendar(kv.second, name, file, out)) result.push_back(std::move(*cal));
  }
  return result;
}

std::vector<calendar> parse_calendars_yaml(std::string_view text, const std::string& file,
                                           std::vector<diagnostic>& out) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    out.push_back({severity::error, file, e.mark.line + 1, e.mark.column + 1, e.msg});
    return {};
  }
  if (!doc.IsMap()) return {};
  for (const auto& kv : doc)
    if (kv.first.IsScalar() && kv.first.Scalar() == "calendars")
      return parse_calendars(kv.second, file, out);
  return {};
}

}  // namespace crmflow::calendar_yaml
