// One walk over the `calendars:` section, written once against a small node interface and
// instantiated for the loader's tree (loader::ynode) and for yaml-cpp's YAML::Node.
#include "calendar/calendar_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
#include <stdexcept>

#include "calendar/calendar_text.hpp"
#include "loader/yaml_reader.hpp"

namespace crmflow::calendar_yaml {
namespace {

// ---- the two node types -----------------------------------------------------------------

struct ynode_access {
  using node = loader::ynode;
  static bool is_null(const node& n) { return n.is_null(); }
  static bool is_scalar(const node& n) { return n.is_scalar(); }
  static bool is_sequence(const node& n) { return n.is_sequence(); }
  static bool is_map(const node& n) { return n.is_map(); }
  static std::string text(const node& n) { return std::string(n.text); }
  static int line(const node& n) { return n.line; }
  static int column(const node& n) { return n.column; }
  static const char* describe(const node& n) { return loader::describe(n.kind); }
  template <class F>
  static void items(const node& n, F&& f) {
    for (const node& item : n.items) f(item);
  }
  template <class F>
  static void entries(const node& n, F&& f) {
    for (const auto& [k, v] : n.entries) f(k, v);
  }
};

struct yaml_cpp_access {
  using node = YAML::Node;
  static bool is_null(const node& n) { return n.IsNull(); }
  static bool is_scalar(const node& n) { return n.IsScalar(); }
  static bool is_sequence(const node& n) { return n.IsSequence(); }
  static bool is_map(const node& n) { return n.IsMap(); }
  static const std::string& text(const node& n) { return n.Scalar(); }
  static int line(const node& n) { return n.Mark().line < 0 ? 1 : n.Mark().line + 1; }
  static int column(const node& n) { return n.Mark().column < 0 ? 1 : n.Mark().column + 1; }
  static const char* describe(const node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map:
        return "a map";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Scalar:
        return "a single value";
      default:
        return "nothing";
    }
  }
  template <class F>
  static void items(const node& n, F&& f) {
    for (const auto& item : n) f(item);
  }
  template <class F>
  static void entries(const node& n, F&& f) {
    for (const auto& kv : n) f(kv.first, kv.second);
  }
};

// ---- the walk ---------------------------------------------------------------------------

constexpr std::string_view allowed_keys = "label, utc_offset, week, holidays, workdays, overrides";
constexpr std::int64_t max_range_days = 366;

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(s[0])) return false;
  for (char c : s)
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_') return false;
  return true;
}

std::chrono::year_month_day to_ymd(std::int64_t day) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day}}};
}

// One calendar. Reports as it goes, builds only if nothing was wrong.
template <class A>
class walker {
  using node = typename A::node;

 public:
  walker(std::string_view name, const std::string& file, std::vector<diagnostic>& out)
      : name_(name), file_(file), out_(out), builder_(std::string(name)) {}

  std::optional<calendar> run(const node& n) {
    if (!A::is_map(n)) {
      error(n, "calendar " + name_ + ": expected a map with keys " + std::string(allowed_keys) +
                   ", found " + A::describe(n));
      return std::nullopt;
    }
    std::map<std::string, int> seen;  // key -> line
    A::entries(n, [&](const node& key, const node& value) {
      if (!A::is_scalar(key)) {
        error(key, "expected a key name in calendar " + name_ + ", found " + A::describe(key));
        return;
      }
      const std::string& k = A::text(key);
      if (k != "label" && k != "utc_offset" && k != "week" && k != "holidays" && k != "workdays" &&
          k != "overrides") {
        error(key, "unknown key " + quoted(k) + " in calendar " + name_ +
                       " (expected one of: " + std::string(allowed_keys) + ")");
        return;
      }
      if (const auto [it, fresh] = seen.try_emplace(k, A::line(key)); !fresh) {
        error(key, "duplicate key " + quoted(k) + " in calendar " + name_ + " (first at line " +
                       std::to_string(it->second) + ")");
        return;
      }
      if (k == "label") {
        if (scalar(value, "label", "a text")) builder_.label(A::text(value));
      } else if (k == "utc_offset") {
        if (!scalar(value, "utc_offset", "an offset like +08:00")) return;
        std::string err;
        if (auto off = calendar_text::parse_utc_offset(A::text(value), err))
          builder_.utc_offset_minutes(*off);
        else
          error(value, err);
      } else if (k == "week") {
        week(value);
      } else if (k == "holidays") {
        holidays(value);
      } else {
        dated_map(value, k, k == "workdays" ? kind::workday : kind::override_);
      }
    });
    // Checked at the end: `week` may come after `workdays` in the file.
    for (const auto& [day, b] : borrowed_) {
      const std::string wd(to_string(b.as));
      if (!has_week_hours_[static_cast<std::size_t>(b.as)])
        error(b.line, b.column,
              "workday " + calendar_text::format_date(day) + " takes the hours of " + wd +
                  ", but " + wd + " has no hours in week");
    }
    if (errors_ == 0 && !any_week_hours_)
      error(n, "calendar " + name_ +
                   " has no working hours (give at least one weekday hours in "
                   "week)");
    if (errors_ > 0) return std::nullopt;
    try {
      return builder_.build();
    } catch (const std::exception& e) {  // unreachable: everything was checked above
      error(n, e.what());
      return std::nullopt;
    }
  }

 private:
  enum class kind { holiday, workday, override_ };
  struct place {
    kind what;
    int line;
  };
  struct borrow {
    weekday as;
    int line, column;
  };

  void error(int line, int column, std::string message) {
    ++errors_;
    out_.push_back({severity::error, file_, line, column, std::move(message)});
  }
  void error(const node& at, std::string message) {
    error(A::line(at), A::column(at), std::move(message));
  }

  bool scalar(const node& value, std::string_view key, std::string_view what) {
    if (A::is_scalar(value)) return true;
    error(value,
          std::string(key) + ": expected " + std::string(what) + ", found " + A::describe(value));
    return false;
  }

  // A day's hours: a list of shifts, one shift, or nothing (off). `where`: "mon", a date.
  std::optional<std::vector<work_interval>> shifts(const node& value, const std::string& where) {
    std::vector<work_interval> hours;
    if (A::is_null(value)) return hours;
    if (!A::is_scalar(value) && !A::is_sequence(value)) {
      error(value, "hours on " + where +
                       ": expected a list of shifts like [09:00-12:00, 13:30-18:00], found " +
                       A::describe(value));
      return std::nullopt;
    }
    bool ok = true;
    auto one = [&](const node& item) {
      if (!A::is_scalar(item)) {
        error(item, "hours on " + where + ": expected a shift like 09:00-12:00, found " +
                        A::describe(item));
        ok = false;
        return;
      }
      std::string err;
      const auto w = calendar_text::parse_shift(A::text(item), where, err);
      if (!w) {
        error(item, err);
        ok = false;
        return;
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
    };
    if (A::is_scalar(value))
      one(value);
    else
      A::items(value, one);
    if (!ok) return std::nullopt;
    return hours;
  }

  void week(const node& value) {
    if (!A::is_map(value)) {
      error(value, "week: expected a map from weekdays (" +
                       std::string(calendar_text::weekday_list) + ") to shifts, found " +
                       A::describe(value));
      return;
    }
    std::map<std::size_t, int> seen;  // weekday -> line
    A::entries(value, [&](const node& key, const node& hours_node) {
      const std::string k = A::is_scalar(key) ? A::text(key) : std::string();
      const auto day = calendar_text::parse_weekday(k);
      if (!day) {
        error(key, "unknown weekday " + quoted(k) + " in week (expected one of: " +
                       std::string(calendar_text::weekday_list) + ")");
        return;
      }
      const auto i = static_cast<std::size_t>(*day);
      if (const auto [it, fresh] = seen.try_emplace(i, A::line(key)); !fresh) {
        error(key, "duplicate weekday " + quoted(k) + " in week (first at line " +
                       std::to_string(it->second) + ")");
        return;
      }
      if (auto hours = shifts(hours_node, k)) {
        has_week_hours_[i] = !hours->empty();
        any_week_hours_ = any_week_hours_ || !hours->empty();
        builder_.week_hours(*day, std::move(*hours));
      }
    });
  }

  // Records that `day` means `what` (written at `at`). False, and reported, on a conflict; a
  // date in two holiday ranges is no conflict (false, not reported).
  bool claim(std::int64_t day, kind what, const node& at) {
    static constexpr const char* names[] = {"a holiday", "a workday", "an override"};
    const auto [it, fresh] = claimed_.try_emplace(day, place{what, A::line(at)});
    if (fresh) return true;
    if (it->second.what == kind::holiday && what == kind::holiday) return false;
    const std::string date = calendar_text::format_date(day);
    if (it->second.what == what)
      error(at,
            "duplicate date " + date + " (first at line " + std::to_string(it->second.line) + ")");
    else
      error(at, date + " is both " + names[static_cast<int>(it->second.what)] + " (line " +
                    std::to_string(it->second.line) + ") and " + names[static_cast<int>(what)]);
    return false;
  }

  void holidays(const node& value) {
    if (!A::is_sequence(value)) {
      error(value, std::string("holidays: expected a list of dates (2026-02-15) or ranges "
                               "(2026-02-15..2026-02-23), found ") +
                       A::describe(value));
      return;
    }
    A::items(value, [&](const node& item) {
      if (!A::is_scalar(item)) {
        error(item,
              std::string("holidays: expected a date or a range, found ") + A::describe(item));
        return;
      }
      const std::string& text = A::text(item);
      std::string why;
      const auto dots = text.find("..");
      if (dots == std::string::npos) {
        if (const auto day = calendar_text::parse_date(text, why)) {
          if (claim(*day, kind::holiday, item)) builder_.holiday(to_ymd(*day));
        } else {
          error(item, "bad date " + quoted(text) + " (" + why + ")");
        }
        return;
      }
      std::int64_t ends[2];
      for (int i = 0; i < 2; ++i) {
        const std::string_view part = i == 0 ? std::string_view(text).substr(0, dots)
                                             : std::string_view(text).substr(dots + 2);
        const auto day = calendar_text::parse_date(part, why);
        if (!day) {
          error(item, "bad date " + quoted(part) + " in range " + quoted(text) + " (" + why + ")");
          return;
        }
        ends[i] = *day;
      }
      if (ends[1] < ends[0]) {
        error(item, "bad range " + quoted(text) + " (it ends before it starts)");
        return;
      }
      if (ends[1] - ends[0] >= max_range_days) {
        error(item, "bad range " + quoted(text) + " (longer than " +
                        std::to_string(max_range_days) + " days)");
        return;
      }
      for (std::int64_t d = ends[0]; d <= ends[1]; ++d)
        if (claim(d, kind::holiday, item)) builder_.holiday(to_ymd(d));
    });
  }

  void dated_map(const node& value, const std::string& key, kind what) {
    if (!A::is_map(value)) {
      error(value, key + ": expected a map from dates to " +
                       (what == kind::workday ? "a weekday or shifts" : "shifts") + ", found " +
                       A::describe(value));
      return;
    }
    A::entries(value, [&](const node& date_node, const node& v) {
      const std::string k = A::is_scalar(date_node) ? A::text(date_node) : std::string();
      std::string why;
      const auto day = calendar_text::parse_date(k, why);
      if (!day) {
        error(date_node, "bad date " + quoted(k) + " (" + why + ")");
        return;
      }
      const std::string date = calendar_text::format_date(*day);
      if (what == kind::workday && A::is_scalar(v) && A::text(v).find(':') == std::string::npos) {
        const auto as = calendar_text::parse_weekday(A::text(v));
        if (!as) {
          error(v, "workday " + date + ": expected a weekday (" +
                       std::string(calendar_text::weekday_list) + ") or a list of shifts, found " +
                       quoted(A::text(v)));
          return;
        }
        if (!claim(*day, what, date_node)) return;
        borrowed_[*day] = borrow{*as, A::line(v), A::column(v)};
        builder_.workday(to_ymd(*day), *as);
        return;
      }
      auto hours = shifts(v, date);
      if (!hours) return;
      if (what == kind::workday && hours->empty()) {
        error(v, "workday " + date + " has no hours (give a weekday (" +
                     std::string(calendar_text::weekday_list) + ") or a list of shifts)");
        return;
      }
      if (!claim(*day, what, date_node)) return;
      if (what == kind::workday)
        builder_.workday(to_ymd(*day), std::move(*hours));
      else
        builder_.override_hours(to_ymd(*day), std::move(*hours));
    });
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

template <class A>
std::vector<calendar> walk_calendars(const typename A::node& n, const std::string& file,
                                     std::vector<diagnostic>& out) {
  std::vector<calendar> result;
  if (A::is_null(n)) return result;
  if (!A::is_map(n)) {
    out.push_back({severity::error, file, A::line(n), A::column(n),
                   std::string("calendars: expected a map from calendar names to calendars, "
                               "found ") +
                       A::describe(n)});
    return result;
  }
  std::map<std::string, int> names;
  A::entries(n, [&](const typename A::node& key, const typename A::node& value) {
    const std::string name = A::is_scalar(key) ? A::text(key) : std::string();
    if (!is_identifier(name)) {
      out.push_back({severity::error, file, A::line(key), A::column(key),
                     "bad calendar name " + quoted(name) +
                         " (a name is ASCII letters, digits and '_', starting with a letter)"});
      return;
    }
    if (const auto [it, fresh] = names.try_emplace(name, A::line(key)); !fresh) {
      out.push_back({severity::error, file, A::line(key), A::column(key),
                     "duplicate calendar " + quoted(name) + " (first defined at line " +
                         std::to_string(it->second) + ")"});
      return;
    }
    if (auto cal = walker<A>(name, file, out).run(value)) result.push_back(std::move(*cal));
  });
  return result;
}

}  // namespace

std::optional<calendar> parse_calendar(const loader::ynode& node, std::string_view name,
                                       const std::string& file, std::vector<diagnostic>& out) {
  return walker<ynode_access>(name, file, out).run(node);
}

std::vector<calendar> parse_calendars(const loader::ynode& node, const std::string& file,
                                      std::vector<diagnostic>& out) {
  return walk_calendars<ynode_access>(node, file, out);
}

std::optional<calendar> parse_calendar(const YAML::Node& node, std::string_view name,
                                       const std::string& file, std::vector<diagnostic>& out) {
  return walker<yaml_cpp_access>(name, file, out).run(node);
}

std::vector<calendar> parse_calendars(const YAML::Node& node, const std::string& file,
                                      std::vector<diagnostic>& out) {
  return walk_calendars<yaml_cpp_access>(node, file, out);
}

std::vector<calendar> parse_calendars_yaml(std::string_view text, const std::string& file,
                                           std::vector<diagnostic>& out, front_end via) {
  if (via == front_end::yaml_cpp) {
    YAML::Node doc;
    try {
      doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      out.push_back({severity::error, file, e.mark.line < 0 ? 1 : e.mark.line + 1,
                     e.mark.column < 0 ? 1 : e.mark.column + 1, "malformed YAML: " + e.msg});
      return {};
    }
    if (!doc.IsMap()) return {};
    for (const auto& kv : doc)
      if (kv.first.IsScalar() && kv.first.Scalar() == "calendars")
        return parse_calendars(kv.second, file, out);
    return {};
  }
  const auto root = loader::read_yaml(text, file, out);
  if (!root || !root->root().is_map()) return {};
  for (const auto& [k, v] : root->root().entries)
    if (k.is_scalar() && k.text == "calendars") return parse_calendars(v, file, out);
  return {};
}

}  // namespace crmflow::calendar_yaml
