// crmflow report: the CSV files and the HTML page (the stdout tables are golden files:
// tests/golden/report_*), and the errors.
//
// The small case, tests/golden/report_small (rules.yaml, events.jsonl), with --month 2026-03
// and --until 2026-04-01T12:00+08:00, worked out by hand. Steps: reply_1h (flow timer, started
// on entry to 新建, cancelled by `done`), report_10m (started by `classify`; with no time left
// it cannot start: late at once; the alarm report_overdue outside its deadline is a breach too),
// fix_2h (state 维修), total_1d (group 处理中 = 新建 + 维修), revisit_1h (state 待回访).
//
//   J-1 03-02 09:00 漏水渗水 1号楼 王: assign 维修部 09:10, done 10:00 (exactly at reply_1h's
//       deadline: the event goes first, on time), revisit good 10:30.
//       reply on time, fix on time, total on time, revisit on time; all 维修部.
//   J-2 03-02 10:00 漏水渗水 1号楼 李: reply_1h fires 11:00 (breach, 未分派); assign 保洁部
//       11:30; fix_2h fires 13:30 (breach, 保洁部); done 14:00 (total on time, 保洁部);
//       revisit_1h fires 15:00 (breach, 保洁部); revisit bad 16:00 (done, late).
//   J-3 03-03 09:00 漏水渗水 1号楼 张: reject 09:05 -> 关闭 (final: reply and total stop, on
//       time, 未分派); not valid.
//   J-4 03-03 10:00 漏水渗水 1号楼 赵: classify 10:01 (report_10m due 10:11), report 10:05
//       (on time, 未分派); assign 维修部 10:20 (third customer: repeated_problem); escalate
//       10:30 and 11:00 (levels 1 and 2); reply_1h fires 11:00 (breach, 维修部); done 12:00
//       (fix on time, total on time); revisit_1h fires 13:00 (breach; still waiting: overdue).
//   J-5 03-04 09:00 噪音扰民 2号楼 钱: classify late 09:01 (report_10m cannot start: breach);
//       reply_1h fires 10:00 (breach); total_1d fires 03-05 09:00 (breach); all 未分派.
//   J-6 03-04 12:00 噪音扰民 2号楼 孙: late_report 12:01 (alarm report_overdue: breach);
//       classify 12:02, report_10m fires 12:12 (breach; its own report_overdue alarm is not
//       counted twice); reply_1h fires 13:00 (breach); total_1d fires 03-05 12:00 (breach).
//   J-7 04-01 09:00: received in April, outside the month.
//
//   per step    on time  breached       per unit  on time  breached
//   1小时响应      2        4            未分派       3        8      27.3%
//   10分钟上报     1        3            保洁部       1        2      33.3%
//   2小时修复      2        1            维修部       6        2      75.0%
//   1天办结        4        2
//   1小时回访      1        2            overall: 10 on time of 22: 45.5%
//   revisits: due 3 (J-1, J-2, J-4), done 2, on time 1, overdue 1: 2 / 3 = 66.7%
//   satisfaction: good (J-1), bad (J-2): 1 / 2 = 50.0%; complaint rate 6 / 100 = 6.0%
//   alarms: reply_overdue 4, report_overdue 2, revisit_overdue 2, total_overdue 2,
//           fix_overdue 1, repeated_problem 1 = 12
//   analysis: 漏水渗水 4 (valid 3), 噪音扰民 2 (2); 1号楼 4 (3), 2号楼 2 (2);
//             repeated (at least 3 valid): 漏水渗水 1号楼 3, alarmed once.
#define BOOST_TEST_MODULE report
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct scratch {
  fs::path dir = fs::temp_directory_path() / ("crmflow_report_test_" + std::to_string(::getpid()));
  scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() { fs::remove_all(dir); }
};

// Runs the CLI; stdout and stderr go to files in `dir`. Returns the exit code.
int run(const fs::path& dir, const std::string& args) {
  const std::string cmd = std::string("'") + CRMFLOW_CLI + "' " + args + " >'" + (dir / "out").string() + "' 2>'" +
                          (dir / "err").string() + "'";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string golden = std::string(CRMFLOW_SOURCE_DIR) + "/tests/golden/report_small/";
const std::string small_args =
    "report '" + golden + "rules.yaml' '" + golden + "events.jsonl' --month 2026-03 --until 2026-04-01T12:00:00+08:00";
const std::string bom = "\xEF\xBB\xBF";

}  // namespace

BOOST_AUTO_TEST_CASE(csv_files_hold_every_table_with_a_bom_and_crlf) {
  scratch s;
  BOOST_TEST(run(s.dir, small_args + " --csv '" + (s.dir / "csv").string() + "'") == 0);
  const fs::path csv = s.dir / "csv";
  BOOST_TEST(slurp(csv / "steps.csv") == bom +
                                             "环节,按时,超时,未到期,及时率,结果\r\n"
                                             "1小时响应,2,4,0,33.3%,未达标\r\n"
                                             "10分钟上报,1,3,0,25.0%,未达标\r\n"
                                             "2小时修复,2,1,0,66.7%,未达标\r\n"
                                             "1天办结,4,2,0,66.7%,未达标\r\n"
                                             "1小时回访,1,2,0,33.3%,未达标\r\n");
  BOOST_TEST(slurp(csv / "units.csv") == bom +
                                             "责任单位,按时,超时,未到期,及时率,结果\r\n"
                                             "未分派,3,8,0,27.3%,未达标\r\n"
                                             "保洁部,1,2,0,33.3%,未达标\r\n"
                                             "维修部,6,2,0,75.0%,未达标\r\n");
  BOOST_TEST(slurp(csv / "revisits.csv") ==
             bom +
                 "回访类型,应回访,已回访,按时回访,期限内待回访,逾期未回访,免访,未回访即离开,回访率,结果\r\n"
                 "报修回访,3,2,1,0,1,0,0,66.7%,未达标\r\n");
  BOOST_TEST(slurp(csv / "kpis.csv") == bom +
                                            "指标,实际,目标,结果,依据\r\n"
                                            "投诉受理,6,—,,有效投诉 5\r\n"
                                            "投诉处理及时率,45.5%,≥ 100%,未达标,按时 10 / 到期 22 个环节\r\n"
                                            "投诉率,6.0%,≤ 10%,达标,6 件 / 100 户\r\n"
                                            "满意度,50.0%,≥ 85%,未达标,满意及基本满意 1 / 有回访结果 2\r\n"
                                            "回访率（报修回访）,66.7%,≥ 100%,未达标,已回访 2 / 应回访 3\r\n"
                                            "报警,12,—,,其中重复问题报警 1\r\n");
  BOOST_TEST(slurp(csv / "escalations.csv") == bom + "升级级别,件次\r\n第1次升级,1\r\n第2次升级,1\r\n");
  BOOST_TEST(slurp(csv / "alarms.csv") == bom +
                                              "报警,次数\r\nreply_overdue,4\r\nreport_overdue,2\r\nrevisit_overdue,2\r\n"
                                              "total_overdue,2\r\nfix_overdue,1\r\nrepeated_problem,1\r\n");
  BOOST_TEST(slurp(csv / "categories.csv") == bom + "类别,投诉,有效投诉\r\n漏水渗水,4,3\r\n噪音扰民,2,2\r\n");
  BOOST_TEST(slurp(csv / "places.csv") == bom + "地点,投诉,有效投诉\r\n1号楼,4,3\r\n2号楼,2,2\r\n");
  BOOST_TEST(slurp(csv / "repeated.csv") == bom + "类别,地点,有效投诉,已报警\r\n漏水渗水,1号楼,3,是（1次）\r\n");
  // Every valid complaint (J-3 was found unreasonable; J-7 came in April).
  BOOST_TEST(slurp(csv / "complaints.csv") == bom +
                                                  "编号,受理时间,类别,地点,责任单位,当前环节\r\n"
                                                  "J-1,2026-03-02T09:00:00+08:00,漏水渗水,1号楼,维修部,关闭\r\n"
                                                  "J-2,2026-03-02T10:00:00+08:00,漏水渗水,1号楼,保洁部,关闭\r\n"
                                                  "J-4,2026-03-03T10:00:00+08:00,漏水渗水,1号楼,维修部,待回访\r\n"
                                                  "J-5,2026-03-04T09:00:00+08:00,噪音扰民,2号楼,,新建\r\n"
                                                  "J-6,2026-03-04T12:00:00+08:00,噪音扰民,2号楼,,新建\r\n");
}

BOOST_AUTO_TEST_CASE(csv_quotes_commas_and_quotes) {
  scratch s;
  const fs::path events = s.dir / "events.jsonl";
  std::ofstream(events, std::ios::binary)
      << R"({"at": "2026-03-02T09:00:00+08:00", "case": "Q-1", "flow": "job", "event": "create", "data": {"category": "噪音, \"夜间\"", "building": "1号楼"}})"
      << "\n";
  BOOST_TEST(run(s.dir, "report '" + golden + "rules.yaml' '" + events.string() + "' --csv '" + s.dir.string() + "'") == 0);
  BOOST_TEST(slurp(s.dir / "categories.csv") == bom + "类别,投诉,有效投诉\r\n\"噪音, \"\"夜间\"\"\",1,1\r\n");
}

BOOST_AUTO_TEST_CASE(html_page_is_self_contained_and_shows_the_figures) {
  scratch s;
  const fs::path page = s.dir / "report.html";
  BOOST_TEST(run(s.dir, small_args + " --html '" + page.string() + "'") == 0);
  const std::string html = slurp(page);
  BOOST_TEST(html.rfind("<!DOCTYPE html>\n<html lang=\"zh-CN\">", 0) == 0);
  BOOST_TEST(html.find("</html>\n") == html.size() - 8);
  BOOST_TEST(html.find("<meta charset=\"utf-8\">") != std::string::npos);
  BOOST_TEST(html.find("<h1>报修测试报表</h1>") != std::string::npos);
  BOOST_TEST(html.find("期间：2026-03") != std::string::npos);
  // Headline cards, coloured by verdict.
  BOOST_TEST(html.find("<div class=\"card fail\"><div class=\"k\">投诉处理及时率</div><div class=\"v\">45.5%</div>") !=
             std::string::npos);
  BOOST_TEST(html.find("<div class=\"card pass\"><div class=\"k\">投诉率</div><div class=\"v\">6.0%</div>") !=
             std::string::npos);
  // Charts: inline SVG with the target line and one bar per unit.
  BOOST_TEST(html.find("<title>各责任单位及时率</title>") != std::string::npos);
  BOOST_TEST(html.find("目标 100%</text>") != std::string::npos);
  BOOST_TEST(html.find(">维修部</text>") != std::string::npos);
  BOOST_TEST(html.find(">75.0%</text>") != std::string::npos);
  // Tables with the figures.
  BOOST_TEST(html.find("<tr><td>维修部</td><td class=\"n\">6</td><td class=\"n\">2</td><td class=\"n\">0</td>"
                       "<td class=\"n fail\">75.0%</td><td class=\"fail\">未达标</td></tr>") != std::string::npos);
  BOOST_TEST(html.find("<summary>有效投诉清单 (every valid complaint)（5 件）</summary>") != std::string::npos);
  // Nothing fetched from elsewhere: no scripts, style sheets, images, fonts or URLs.
  for (const char* external : {"<script", "<link", "<img", "src=", "url(", "@import", "https:"})
    BOOST_TEST(html.find(external) == std::string::npos, external);
  // Tags balance where it matters.
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = html.find(what); p != std::string::npos; p = html.find(what, p + 1)) ++n;
    return n;
  };
  BOOST_TEST(count("<svg ") == count("</svg>"));
  BOOST_TEST(count("<table>") == count("</table>"));
  BOOST_TEST(count("<tr>") == count("</tr>"));
  BOOST_TEST(count("<div") == count("</div>"));
}

BOOST_AUTO_TEST_CASE(unreadable_events_file_is_a_failure_with_a_message) {
  scratch s;
  const std::string missing = (s.dir / "no-such.jsonl").string();
  BOOST_TEST(run(s.dir, "report '" + golden + "rules.yaml' '" + missing + "'") == 1);
  BOOST_TEST(slurp(s.dir / "err") == "crmflow report: cannot open " + missing + "\n");
  BOOST_TEST(slurp(s.dir / "out").empty());
}

BOOST_AUTO_TEST_CASE(bad_periods_are_usage_errors) {
  scratch s;
  const std::string base = "report '" + golden + "rules.yaml' '" + golden + "events.jsonl' ";
  for (const char* bad : {"--month 2026-3", "--month 2026-00", "--month march", "--month", "--from 2026-03-01",
                          "--from 2026-03-05 --to 2026-03-01", "--from 2026-02-30 --to 2026-03-01",
                          "--month 2026-03 --from 2026-03-01 --to 2026-03-02", "--customers 0"}) {
    BOOST_TEST(run(s.dir, base + bad) == 2, bad);
    BOOST_TEST(slurp(s.dir / "err").rfind("crmflow report: ", 0) == 0, bad);
    BOOST_TEST(slurp(s.dir / "out").empty(), bad);
  }
}

BOOST_AUTO_TEST_CASE(from_to_covers_whole_days) {
  scratch s;
  // 03-03 .. 03-03: J-3 and J-4 only.
  BOOST_TEST(run(s.dir, "report '" + golden + "rules.yaml' '" + golden +
                            "events.jsonl' --from 2026-03-03 --to 2026-03-03 --until 2026-04-01T12:00:00+08:00 --csv '" +
                            s.dir.string() + "'") == 0);
  BOOST_TEST(slurp(s.dir / "out").find("期间: 2026-03-03..2026-03-03") != std::string::npos);
  BOOST_TEST(slurp(s.dir / "places.csv") == bom + "地点,投诉,有效投诉\r\n1号楼,2,1\r\n");
  // J-3: reply and total on time (未分派); J-4: report on time (未分派), reply breached,
  // fix and total on time, revisit breached (维修部).
  BOOST_TEST(slurp(s.dir / "units.csv") == bom +
                                               "责任单位,按时,超时,未到期,及时率,结果\r\n"
                                               "维修部,2,2,0,50.0%,未达标\r\n"
                                               "未分派,3,0,0,100.0%,达标\r\n");
}
