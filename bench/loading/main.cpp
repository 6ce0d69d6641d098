// Loading benchmark (issue 5, item 5): how long crmflow takes to load, check and compile rules.
//   (1) the bundled rules/ directory (complaint flow, alarms and the leadership meeting flow,
//       calendars): target < 10 ms;
//   (2) a generated set of 1,000 flows of 50 states each (100 files of 10 flows, written to a
//       temporary directory first): target < 1 s.
// Baselines in the same run: yaml-cpp parsing the same files into its node tree and nothing else
// (YAML::LoadFile), yaml-cpp's parser alone, its events dropped (YAML::Parser with an empty
// EventHandler), and libyaml's parser alone (yaml_parser_parse, events dropped). crmflow reads
// YAML from libyaml's events, and from yaml-cpp's for a file libyaml refuses
// (src/loader/yaml_reader.cpp), so libyaml's parser is the floor of a load; the ratio to it is
// what crmflow's tree, checks and compilation add. The run prints which path the files take.
// Checks: every load succeeds with no diagnostic, flow and state counts are as generated, and
// yaml-cpp (both ways) sees the same number of flows. Exits 1 if a check fails, 2 if the rules do not load.
// Also the peak memory of crmflow's load (VmHWM, reset before it). `--quick` runs (2) with 100 flows,
// for CI.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <crmflow/crmflow.hpp>

#include "../common/bench_util.hpp"
#include "loader/yaml_reader.hpp"  // read_yaml_libyaml: which parser path a file takes

namespace {

namespace fs = std::filesystem;
using crmflow_bench::bench_clock;
using crmflow_bench::seconds_since;

using crmflow_bench::check;

constexpr int states_per_flow = 50;
constexpr int flows_per_file = 10;

// One generated flow: a 50-step work order. Every state moves on with `next` (a set action),
// most go back with a guarded `back`, every fifth has a 24h timer that notifies and posts
// `escalate`, every tenth notifies on entry; a group of all open states takes `escalate`
// (internal) and `cancel` (to the final state). Fields of every type, guards, templates: the
// loader's every phase has work to do.
void write_flow(std::string& out, int f) {
  char name[32];
  std::snprintf(name, sizeof name, "flow_%04d", f);
  out += "  ";
  out += name;
  out += ":\n    label: 工单流程";
  out += std::to_string(f);
  out +=
      "\n"
      "    fields:\n"
      "      steps: {type: int, default: 0}\n"
      "      escalations: {type: int, default: 0}\n"
      "      level: {type: enum, values: [low, normal, high], default: normal}\n"
      "      owner: {type: string}\n"
      "      building: {type: string, default: \"1号楼\"}\n"
      "      urgent: {type: bool, default: false}\n"
      "      opened_at: {type: timestamp}\n"
      "      limit: {type: duration, default: 24h}\n"
      "    events:\n"
      "      next:\n"
      "        label: 下一步\n"
      "        data:\n"
      "          by: {type: string, default: \"\"}\n"
      "          level: {type: enum, values: [low, normal, high], default: normal}\n"
      "      back:\n"
      "      escalate:\n"
      "        label: 升级\n"
      "      cancel:\n"
      "        data:\n"
      "          reason: {type: string, default: \"客户撤销\"}\n"
      "    initial: s00\n"
      "    states:\n";
  char s[8], t[8];
  for (int i = 0; i < states_per_flow; ++i) {
    std::snprintf(s, sizeof s, "s%02d", i);
    out += "      ";
    out += s;
    out += ":\n        label: 步骤";
    out += std::to_string(i);
    out += "\n";
    if (i == states_per_flow - 1) {
      out += "        final: true\n";
      continue;
    }
    if (i == 0)
      out += "        on_entry:\n          - set: opened_at\n            from: now\n";
    else if (i % 10 == 0)
      out += "        on_entry:\n          - notify: \"{owner}\"\n            message: \"工单 {case} 进入 {state}（{building}）\"\n";
    if (i % 5 == 0)
      out +=
          "        timers:\n"
          "          - name: t" + std::string(s) + "\n"
          "            after: limit\n"
          "            event: escalate\n"
          "            do:\n"
          "              - alarm: overdue\n"
          "                to: \"{owner}\"\n"
          "                message: \"工单 {case} 在 {state} 超时\"\n";
    std::snprintf(t, sizeof t, "s%02d", i + 1);
    out += "        on:\n          next:\n            - if: event.level == high and not urgent\n              to: ";
    out += t;
    out +=
        "\n              do:\n"
        "                - set: urgent\n                  to: true\n"
        "                - set: steps\n                  from: steps + 1\n"
        "            - to: ";
    out += t;
    out += "\n              do: [{set: steps, from: steps + 1}, {set: owner, from: event.by}]\n";
    if (i > 0) {
      std::snprintf(t, sizeof t, "s%02d", i - 1);
      out += "          back:\n            to: ";
      out += t;
      out += "\n            if: steps > 0 and level in [normal, high]\n";
    }
  }
  out += "    groups:\n      open:\n        states: [";
  for (int i = 0; i < states_per_flow - 1; ++i) {
    std::snprintf(s, sizeof s, "s%02d", i);
    if (i) out += ", ";
    out += s;
  }
  std::snprintf(t, sizeof t, "s%02d", states_per_flow - 1);
  out +=
      "]\n"
      "        on:\n"
      "          escalate:\n"
      "            do:\n"
      "              - set: escalations\n                from: escalations + 1\n"
      "              - set: level\n                to: high\n"
      "          cancel:\n            to: ";
  out += t;
  out += "\n";
}

// Writes `flows` flows into files of `flows_per_file` under `dir`; returns the bytes written.
std::size_t generate(const fs::path& dir, int flows) {
  fs::create_directories(dir);
  std::size_t bytes = 0;
  for (int first = 0; first < flows; first += flows_per_file) {
    std::string text = "# generated by bench_loading\nflows:\n";
    for (int f = first; f < std::min(flows, first + flows_per_file); ++f) write_flow(text, f);
    char name[32];
    std::snprintf(name, sizeof name, "flows_%04d.yaml", first / flows_per_file);
    std::ofstream(dir / name, std::ios::binary) << text;
    bytes += text.size();
  }
  return bytes;
}

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

struct timing {
  double crmflow = 0, yaml = 0, events = 0, libyaml = 0;  // seconds, best of the repetitions
  std::uint64_t peak = 0;  // bytes: crmflow's load, the highest of the repetitions; 0: unknown
};

// Peak memory of one load: the kernel's high-water mark of the RSS (VmHWM) is reset to the
// current RSS just before the load (5 to /proc/self/clear_refs) and read after it, the rule set
// still held. False when the kernel does not allow the reset.
bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  const bool written = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && written;
}

std::uint64_t peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // in kB
  return 0;
}

std::string read_whole(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// libyaml's parser with nothing built, over a file read into memory (as crmflow reads it);
// counts its events. 0 if libyaml refuses the file.
std::size_t libyaml_events(const fs::path& p) {
  const std::string text = read_whole(p);
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) return 0;
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::size_t events = 0;
  for (;;) {
    yaml_event_t e;
    if (yaml_parser_parse(&parser, &e) == 0) {
      events = 0;
      break;
    }
    ++events;
    const bool end = e.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&e);
    if (end) break;
  }
  yaml_parser_delete(&parser);
  return events;
}

// How many of the files crmflow reads with libyaml (the rest take the yaml-cpp path).
void print_paths(const std::vector<fs::path>& files) {
  std::size_t fast = 0;
  for (const fs::path& p : files) {
    crmflow::loader::ydoc root;
    if (crmflow::loader::read_yaml_libyaml(read_whole(p), root) == crmflow::loader::libyaml_outcome::tree) ++fast;
  }
  std::printf("    parser path: libyaml for %zu of %zu files, yaml-cpp for %zu (libyaml refused or declined them)\n",
              fast, files.size(), files.size() - fast);
}

// yaml-cpp's parser with nothing built: counts the keys of the top-level `flows:` map, so that
// the check has something to see.
class flow_key_counter final : public YAML::EventHandler {
 public:
  std::size_t flows = 0;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { begin(false, false, nullptr); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { begin(false, false, nullptr); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    begin(false, false, &value);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    begin(true, false, nullptr);
  }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    begin(true, true, nullptr);
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapEnd() override { open_.pop_back(); }

 private:
  struct collection {
    bool map;
    bool next_is_key;
    bool flows;  // the value of the root's `flows` key
  };

  // A node starts in the innermost open collection; in a map, keys and values alternate.
  void begin(bool opens, bool map, const std::string* scalar) {
    bool flows_map = false;
    if (!open_.empty() && open_.back().map) {
      collection& c = open_.back();
      if (c.next_is_key) {
        if (c.flows) ++flows;
        if (open_.size() == 1) root_key_ = scalar ? *scalar : std::string();
      } else {
        flows_map = map && open_.size() == 1 && root_key_ == "flows";
      }
      c.next_is_key = !c.next_is_key;
    }
    if (opens) open_.push_back({map, true, flows_map});
  }

  std::vector<collection> open_;
  std::string root_key_;
};

// Loads `dir` with crmflow and parses its files with yaml-cpp, `reps` times each, alternating.
timing measure(const fs::path& dir, int reps, std::size_t expected_flows, int expected_states) {
  const std::vector<fs::path> files = yaml_files(dir);
  timing best;
  for (int rep = 0; rep < reps; ++rep) {
    const bool peak_known = reset_peak_rss();
    const std::uint64_t rss_before = crmflow_bench::rss_bytes();
    auto t0 = bench_clock::now();
    const crmflow::load_result loaded = crmflow::load_rules({dir});
    const double c = seconds_since(t0);
    const std::uint64_t peak = peak_known ? peak_rss_bytes() : 0;
    if (peak > rss_before) best.peak = std::max(best.peak, peak - rss_before);
    if (!loaded.ok() || !loaded.diagnostics.empty()) {
      for (const crmflow::diagnostic& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", crmflow::to_string(d).c_str());
      if (!loaded.ok()) {
        std::error_code ec;
        if (expected_states > 0) fs::remove_all(dir, ec);  // a generated directory
        std::exit(2);
      }
    }
    check(loaded.diagnostics.empty(), dir.string() + ": loads without diagnostics");
    check(loaded.rules->flow_count() == expected_flows,
          dir.string() + ": " + std::to_string(loaded.rules->flow_count()) + " flows, expected " +
              std::to_string(expected_flows));
    if (expected_states > 0)
      for (std::size_t f = 0; f < loaded.rules->flow_count(); ++f)
        check(loaded.rules->flow(static_cast<crmflow::flow_id>(f)).states.size() == static_cast<std::size_t>(expected_states),
              "flow " + loaded.rules->flow(static_cast<crmflow::flow_id>(f)).name + " has " +
                  std::to_string(expected_states) + " states");

    t0 = bench_clock::now();
    std::size_t yaml_flows = 0;
    for (const fs::path& p : files) {
      const YAML::Node doc = YAML::LoadFile(p.string());
      if (doc["flows"]) yaml_flows += doc["flows"].size();
    }
    const double y = seconds_since(t0);
    check(yaml_flows == expected_flows, "yaml-cpp sees " + std::to_string(yaml_flows) + " flows");

    t0 = bench_clock::now();
    std::size_t event_flows = 0;
    for (const fs::path& p : files) {
      std::ifstream in(p, std::ios::binary);
      YAML::Parser parser(in);
      flow_key_counter counter;
      while (parser.HandleNextDocument(counter)) {
      }
      event_flows += counter.flows;
    }
    const double e = seconds_since(t0);
    check(event_flows == expected_flows,
          "yaml-cpp's parser sees " + std::to_string(event_flows) + " flows");

    t0 = bench_clock::now();
    std::size_t refused = 0;
    for (const fs::path& p : files)
      if (libyaml_events(p) == 0) ++refused;
    const double l = seconds_since(t0);
    check(refused == 0, std::to_string(refused) + " files refused by libyaml's parser");
    if (rep == 0 || c < best.crmflow) best.crmflow = c;
    if (rep == 0 || y < best.yaml) best.yaml = y;
    if (rep == 0 || e < best.events) best.events = e;
    if (rep == 0 || l < best.libyaml) best.libyaml = l;
  }
  return best;
}

void print(const char* what, const timing& t, double target_ms) {
  std::printf("    yaml-cpp parse only   %9.2f ms\n", t.yaml * 1e3);
  std::printf("    yaml-cpp events only  %9.2f ms   (its parser, nothing built)\n", t.events * 1e3);
  std::printf("    libyaml events only   %9.2f ms   (its parser, nothing built: the floor)\n", t.libyaml * 1e3);
  std::printf("    crmflow load+check    %9.2f ms   (target < %.0f ms: %s)\n", t.crmflow * 1e3, target_ms,
              t.crmflow * 1e3 < target_ms ? "met" : "MISSED");
  std::printf("    ratio crmflow/yaml-cpp = %.2f, crmflow/events = %.2f, crmflow/libyaml = %.2f (%s)\n",
              t.crmflow / t.yaml, t.crmflow / t.events, t.crmflow / t.libyaml, what);
  if (t.peak != 0)
    std::printf("    crmflow peak memory   %9.1f MB   (VmHWM during the load over the RSS before it: "
                "the files' text, one file's tree at a time, the rule set)\n",
                static_cast<double>(t.peak) / 1e6);
  else
    std::printf("    crmflow peak memory         n/a   (this kernel does not let /proc/self/clear_refs reset VmHWM)\n");
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = crmflow_bench::has_flag(argc, argv, "--quick");
  const int flows = quick ? 100 : 1000;
  const int reps_rules = quick ? 10 : 30;
  const int reps_generated = quick ? 2 : 3;

  std::printf("crmflow loading benchmark (%s): best of %d / %d\n", quick ? "quick" : "full", reps_rules, reps_generated);

  // (1) rules/: complaint + leadership_meeting (alarms.yaml) + calendars.
  const fs::path rules_dir = CRMFLOW_SOURCE_DIR "/rules";
  const crmflow::load_result probe = crmflow::load_rules({rules_dir});
  if (!probe.ok()) {
    for (const crmflow::diagnostic& d : probe.diagnostics) std::fprintf(stderr, "%s\n", crmflow::to_string(d).c_str());
    return 2;
  }
  std::size_t rules_bytes = 0;
  for (const fs::path& p : yaml_files(rules_dir)) rules_bytes += fs::file_size(p);
  std::printf("(1) bundled rules/: %zu files, %zu bytes, %zu flows\n", yaml_files(rules_dir).size(), rules_bytes,
              probe.rules->flow_count());
  print("checking overhead on the bundled rules", measure(rules_dir, reps_rules, probe.rules->flow_count(), 0), 10);
  print_paths(yaml_files(rules_dir));

  // (2) generated flows, in a fresh temporary directory.
  const std::string base = fs::temp_directory_path() / "crmflow-bench-loading-XXXXXX";
  std::vector<char> dir_name(base.begin(), base.end());
  dir_name.push_back('\0');
  const char* made = ::mkdtemp(dir_name.data());
  if (!made) {
    std::perror("bench_loading: mkdtemp");
    return 1;
  }
  const fs::path gen_dir = made;
  const auto g0 = bench_clock::now();
  const std::size_t bytes = generate(gen_dir, flows);
  const double gen_s = seconds_since(g0);
  std::printf("(2) generated: %d flows x %d states in %d files, %.1f MB (written in %.0f ms)\n", flows,
              states_per_flow, (flows + flows_per_file - 1) / flows_per_file, static_cast<double>(bytes) / 1e6,
              gen_s * 1e3);
  const timing t = measure(gen_dir, reps_generated, static_cast<std::size_t>(flows), states_per_flow);
  // The target is for 1,000 flows; a quick run scales it to its size.
  print("checking overhead on generated flows", t, 1000.0 * flows / 1000);
  if (quick) std::printf("    (quick: %d flows, target scaled to %d ms; the full run has 1,000 flows)\n", flows, flows);
  print_paths(yaml_files(gen_dir));
  std::printf("    per state: crmflow %.2f us, yaml-cpp %.2f us, yaml-cpp events %.2f us, libyaml events %.2f us\n",
              t.crmflow * 1e6 / (flows * states_per_flow), t.yaml * 1e6 / (flows * states_per_flow),
              t.events * 1e6 / (flows * states_per_flow), t.libyaml * 1e6 / (flows * states_per_flow));
  std::error_code ec;
  fs::remove_all(gen_dir, ec);

  std::printf("checks: %s\n", crmflow_bench::check_failures() ? "FAILED" : "ok (every load clean, flow and state counts as generated)");
  return crmflow_bench::check_failures() ? 1 : 0;
}
