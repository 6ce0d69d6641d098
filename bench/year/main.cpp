// End-to-end benchmark (issue 5, item 7): `crmflow simulate rules/ <year.jsonl> --summary
// --out /dev/null` over a generated year of a 20,000-household project: events/second and the
// peak RSS of the crmflow process (wait4's ru_maxrss).
//
// The year: 120 buildings of 168 households (2 entrances x 28 floors x 3 homes). Service
// requests come in at one per household every 11.5 days on average (about 1,740 a day, between
// 08:00 and 20:00), far above the complaint rate of examples/data/month.jsonl: the bundled
// complaint flow stands in for all of a service desk's traffic (repairs, requests, complaints),
// to reach the issue's >= 5,000,000 input lines. Each case follows one of bench/complaint's
// seven paths (workload.hpp: on time, late with deadlines firing, major, escalated and
// followed up, reopened, unreasonable, slow and made major at 10 days), with its intake data
// (category, building, room, customer, ...) and each event's data as the CLI reads them. The
// rules are the whole bundled rules/ directory, so the alarm principle (rules/alarms.yaml)
// counts every classification and opens leadership meetings as repeated problems appear.
//
// Baseline in the same run: reading the same file line by line and parsing every line with
// nlohmann::json (what any JSON-lines front end pays before it does anything).
// Checks (from the summary): every line read and none skipped, no rejection, every complaint
// closed, deadlines fired as the paths predict (plus leadership meetings' reminders), exit 0.
// Exits 1 if a check fails. `--quick`: two weeks instead of a year; `--days N`: N days;
// `--keep FILE`: write the events to FILE and leave it there.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../common/bench_util.hpp"
#include "../complaint/workload.hpp"

namespace {

namespace fs = std::filesystem;
using namespace complaint_bench;
using crmflow_bench::bench_clock;
using crmflow_bench::seconds_since;

using crmflow_bench::check;

constexpr int households = 20'000, per_building = 168;
constexpr double days_between_requests = 11.5;  // per household
// 2026-01-01T00:00:00+08:00 in ms since the epoch.
constexpr std::int64_t year_start = (1'767'225'600LL - 8 * 3600) * 1000;

// "2026-03-02T09:05:00+08:00" for ms since the epoch (whole seconds; +08:00).
void put_time(std::string& out, std::int64_t ms) {
  std::int64_t s = ms / 1000 + 8 * 3600;
  std::int64_t days = s / 86400;
  const int sod = static_cast<int>(s % 86400);
  // civil_from_days (H. Hinnant)
  days += 719468;
  const std::int64_t era = days / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y0 = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = y0 + (m <= 2);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d+08:00", static_cast<long long>(y), m, d, sod / 3600,
                sod / 60 % 60, sod % 60);
  out += buf;
}

const char* const categories[8] = {"噪音扰民", "电梯故障", "漏水渗水", "停车管理", "保洁", "绿化", "安保", "收费"};
const char* const channels[4] = {"电话", "微信", "前台", "APP"};
const char* const units[units] = {"工程维修部", "保洁部", "保安部", "绿化部", "客户中心", "财务部"};
const char* const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";  // 20 x 3 bytes

struct request {
  std::uint32_t household;
  std::uint8_t path, category, channel, receiver, unit, description;
};

request request_of(std::uint32_t i) {
  const std::uint64_t h = crmflow_bench::mix(i * 0x9E37ULL + 12345);
  const case_profile p = profile(i);
  return {static_cast<std::uint32_t>(h % households), p.path, static_cast<std::uint8_t>((h >> 20) % 8),
          static_cast<std::uint8_t>((h >> 24) % 4), p.receiver, p.unit, static_cast<std::uint8_t>((h >> 28) % 16)};
}

std::string receiver_name(int r) { return "接待员" + std::to_string(r + 1); }
std::string manager_name(std::uint32_t building) { return "片区经理" + std::to_string(building / 10 + 1); }

void put_line(std::string& out, const step& s, const request& q) {
  out += "{\"at\":\"";
  put_time(out, s.at);
  char name[16];
  std::snprintf(name, sizeof name, "Y-%07u", s.case_index);
  out += "\",\"case\":\"";
  out += name;
  const std::uint32_t building = q.household / per_building + 1;
  switch (s.kind) {
    case k_create: {
      const std::uint32_t k = q.household % per_building;
      char room[16];
      std::snprintf(room, sizeof room, "%u-%u%02u", k / 84 + 1, k % 84 / 3 + 2, k % 3 + 1);
      out += "\",\"flow\":\"complaint\",\"event\":\"create\",\"data\":{\"category\":\"";
      out += categories[q.category];
      out += "\",\"description\":\"";
      out += categories[q.category];
      out += "问题 #" + std::to_string(q.description) + "，请尽快处理";
      out += "\",\"building\":\"" + std::to_string(building) + "号楼\",\"room\":\"";
      out += room;
      out += "\",\"customer\":\"";
      out.append(surnames + 3 * (q.household % 20), 3);
      out += "业主" + std::to_string(q.household);
      out += "\",\"channel\":\"";
      out += channels[q.channel];
      out += "\",\"receiver\":\"" + receiver_name(q.receiver) + "\",\"area_manager\":\"" + manager_name(building) + "\"}}\n";
      return;
    }
    case k_classify_minor: out += "\",\"event\":\"classify\",\"data\":{\"level\":\"minor\"}}\n"; return;
    case k_classify_major: out += "\",\"event\":\"classify\",\"data\":{\"level\":\"major\"}}\n"; return;
    case k_classify_unreasonable:
      out += "\",\"event\":\"classify\",\"data\":{\"level\":\"minor\",\"reasonable\":false}}\n";
      return;
    case k_report: out += "\",\"event\":\"report\"}\n"; return;
    case k_assign:
      out += "\",\"event\":\"assign\",\"data\":{\"unit\":\"";
      out += units[q.unit];
      out += "\"}}\n";
      return;
    case k_plan: out += "\",\"event\":\"plan\",\"data\":{\"measures\":\"现场核实后安排维修，明日完成\"}}\n"; return;
    case k_feedback: out += "\",\"event\":\"feedback\"}\n"; return;
    case k_agree: out += "\",\"event\":\"agree\"}\n"; return;
    case k_dispatch: out += "\",\"event\":\"dispatch\"}\n"; return;
    case k_resolve: out += "\",\"event\":\"resolve\",\"data\":{\"resolution\":\"已处理，客户确认\"}}\n"; return;
    case k_revisit_minor_ok:
      out += "\",\"event\":\"revisit\",\"data\":{\"by\":\"" + receiver_name(q.receiver) +
             "\",\"channel\":\"phone\",\"result\":\"satisfied\"}}\n";
      return;
    case k_revisit_minor_unhappy:
      out += "\",\"event\":\"revisit\",\"data\":{\"by\":\"" + receiver_name(q.receiver) +
             "\",\"channel\":\"wechat\",\"result\":\"dissatisfied\",\"note\":\"问题仍未彻底解决\"}}\n";
      return;
    case k_revisit_major_ok:
      out += "\",\"event\":\"revisit\",\"data\":{\"by\":\"" + manager_name(building) +
             "\",\"channel\":\"face_to_face\",\"result\":\"basically_satisfied\"}}\n";
      return;
    case k_explain:
      out += "\",\"event\":\"explain_and_close\",\"data\":{\"explanation\":\"经核实不属物业责任，已向客户说明\"}}\n";
      return;
  }
}

struct generated {
  std::uint32_t cases = 0;
  std::uint64_t lines = 0, bytes = 0, expected_deadlines = 0;
};

generated generate(const fs::path& file, int days) {
  generated g;
  const std::uint32_t per_day = static_cast<std::uint32_t>(households / days_between_requests);
  g.cases = per_day * static_cast<std::uint32_t>(days);
  std::vector<step> steps;
  steps.reserve(std::size_t{g.cases} * 9);
  for (std::uint32_t i = 0; i < g.cases; ++i) {
    const std::int64_t day_start = year_start + std::int64_t{i / per_day} * day;
    // Arrivals spread over 08:00-20:00 in order of i within the day (to the second).
    const std::int64_t at = day_start + 8 * hour + std::int64_t{i % per_day} * (12 * hour / per_day) / 1000 * 1000;
    const request q = request_of(i);
    append_path(steps, i, at, q.path);
    g.expected_deadlines += static_cast<std::uint64_t>(path_deadlines[q.path]);
  }
  std::stable_sort(steps.begin(), steps.end(), [](const step& a, const step& b) { return a.at < b.at; });
  std::FILE* f = std::fopen(file.c_str(), "wb");
  if (!f) {
    std::perror(file.c_str());
    std::exit(1);
  }
  std::string buf;
  buf.reserve(1 << 21);
  for (const step& s : steps) {
    put_line(buf, s, request_of(s.case_index));
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      g.bytes += buf.size();
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  g.bytes += buf.size();
  std::fclose(f);
  g.lines = steps.size();
  return g;
}

// Baseline: read and parse every line.
double parse_only(const fs::path& file, std::uint64_t& lines) {
  const auto t0 = bench_clock::now();
  std::ifstream in(file, std::ios::binary);
  std::string line;
  lines = 0;
  std::size_t objects = 0;
  while (std::getline(in, line)) {
    ++lines;
    objects += nlohmann::json::parse(line).is_object();
  }
  check(objects == lines, "every line parses as a JSON object");
  return seconds_since(t0);
}

struct cli_run {
  double seconds = 0;
  long max_rss_kb = 0;
  int exit_code = -1;
  std::string out;
};

cli_run run_cli(const std::vector<std::string>& args) {
  int pipe_fd[2];
  if (::pipe(pipe_fd) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto t0 = bench_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fd[1], 1);
    ::close(pipe_fd[0]);
    ::close(pipe_fd[1]);
    ::execv(argv[0], argv.data());
    std::perror("execv");
    ::_exit(127);
  }
  ::close(pipe_fd[1]);
  cli_run r;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fd[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fd[0]);
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  r.seconds = seconds_since(t0);
  r.max_rss_kb = ru.ru_maxrss;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The number after `key` on the summary line that starts with it ("lines:         2157 read").
std::uint64_t summary_number(const std::string& out, const std::string& key) {
  const std::size_t at = out.find("\n" + key);
  const std::size_t from = at == std::string::npos ? (out.rfind(key, 0) == 0 ? 0 : std::string::npos) : at + 1;
  if (from == std::string::npos) return ~0ULL;
  std::size_t p = from + key.size();
  while (p < out.size() && (out[p] == ' ' || out[p] == ':')) ++p;
  return std::strtoull(out.c_str() + p, nullptr, 10);
}

std::string summary_line(const std::string& out, const std::string& start) {
  const std::size_t at = out.find("\n" + start);
  if (at == std::string::npos) return {};
  const std::size_t end = out.find('\n', at + 1);
  return out.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = crmflow_bench::has_flag(argc, argv, "--quick");
  int days = quick ? 14 : 365;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--days") == 0) days = std::max(1, std::atoi(argv[i + 1]));
  const char* keep = nullptr;  // --keep FILE: leave the generated events there
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--keep") == 0) keep = argv[i + 1];

  const fs::path dir = fs::temp_directory_path() / ("crmflow-bench-year-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = keep ? fs::path(keep) : dir / "year.jsonl";

  std::printf("crmflow end-to-end benchmark (%s): crmflow simulate rules/ over %d days of a %d-household project\n",
              quick ? "quick" : "full", days, households);
  auto t0 = bench_clock::now();
  const generated g = generate(file, days);
  std::printf("generated: %u cases, %llu lines, %.0f MB (in %.1f s, not timed below)\n", g.cases,
              static_cast<unsigned long long>(g.lines), static_cast<double>(g.bytes) / 1e6, seconds_since(t0));

  std::uint64_t parsed_lines = 0;
  const double parse_s = parse_only(file, parsed_lines);
  check(parsed_lines == g.lines, "baseline read every line");

  const cli_run r = run_cli({CRMFLOW_CLI, "simulate", CRMFLOW_SOURCE_DIR "/rules", file.string(), "--summary", "--out",
                             "/dev/null"});
  std::printf("    parse every line (nlohmann::json)  %8.2f s  %10.0f lines/s\n", parse_s, g.lines / parse_s);
  std::printf("    crmflow simulate                   %8.2f s  %10.0f events/s   peak RSS %.0f MB\n", r.seconds,
              g.lines / r.seconds, r.max_rss_kb / 1024.0);
  std::printf("    ratio crmflow/parse = %.2f; %.0f bytes of peak RSS per case\n", r.seconds / parse_s,
              r.max_rss_kb * 1024.0 / g.cases);
  if (!quick) std::printf("    target: >= 5,000,000 events (%s)\n", g.lines >= 5'000'000 ? "met" : "MISSED");

  check(r.exit_code == 0, "crmflow simulate exits 0 (got " + std::to_string(r.exit_code) + ")");
  check(summary_number(r.out, "lines:") == g.lines, "summary: every line read");
  check(r.out.find(" read, 0 skipped") != std::string::npos, "summary: no line skipped");
  check(summary_number(r.out, "rejections:") == 0, "summary: no rejection");
  const std::string closed = summary_line(r.out, "  complaint:");
  check(closed == "  complaint: 关闭 " + std::to_string(g.cases), "summary: every complaint closed (" + closed + ")");
  const std::uint64_t deadlines = summary_number(r.out, "deadlines:");
  const std::string meetings_line = summary_line(r.out, "  leadership_meeting:");
  std::uint64_t meetings = 0;
  if (const std::size_t sp = meetings_line.rfind(' '); sp != std::string::npos)
    meetings = std::strtoull(meetings_line.c_str() + sp + 1, nullptr, 10);
  check(deadlines >= g.expected_deadlines && deadlines <= g.expected_deadlines + meetings,
        "summary: " + std::to_string(deadlines) + " deadlines, the paths predict " + std::to_string(g.expected_deadlines) +
            " plus up to " + std::to_string(meetings) + " meeting reminders");
  if (crmflow_bench::check_failures()) std::fprintf(stderr, "summary was:\n%s", r.out.c_str());
  std::printf("    summary: %s, %llu deadlines fired, %llu leadership meetings opened\n", closed.c_str() + 2,
              static_cast<unsigned long long>(deadlines), static_cast<unsigned long long>(meetings));

  std::error_code ec;
  fs::remove_all(dir, ec);
  std::printf("checks: %s\n", crmflow_bench::check_failures() ? "FAILED" : "ok (every line read, no rejection, every complaint closed, deadlines as predicted)");
  return crmflow_bench::check_failures() ? 1 : 0;
}
