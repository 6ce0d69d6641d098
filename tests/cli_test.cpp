// The crmflow CLI on inputs that golden files cannot hold well: lines around the 1 MiB limit,
// stdin input, and exit codes.
#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace {

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the CLI with `args` (shell words) in a scratch directory.
run_result run(const std::string& args, const std::string& stdin_text = "") {
  const fs::path dir = fs::temp_directory_path() / ("crmflow_cli_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "stdin", std::ios::binary) << stdin_text;
  const std::string cmd = std::string("'") + CRMFLOW_CLI + "' " + args + " <'" + (dir / "stdin").string() +
                          "' >'" + (dir / "out").string() + "' 2>'" + (dir / "err").string() + "'";
  const int status = std::system(cmd.c_str());
  run_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  fs::remove_all(dir);
  return r;
}

const std::string rules = std::string(CRMFLOW_SOURCE_DIR) + "/tests/golden/sim_basic/rules.yaml";

std::string note_line(const std::string& at, std::size_t total_length) {
  std::string line = R"({"at": ")" + at + R"(", "case": "R-1", "event": "note", "data": {"text": ")";
  line += std::string(total_length - line.size() - 3, 'y');
  line += R"("}})";
  return line;
}

}  // namespace

BOOST_AUTO_TEST_CASE(line_of_exactly_one_mebibyte_is_read_and_one_byte_more_is_skipped) {
  const std::string create =
      R"({"at": "2026-03-02T09:00:00+08:00", "case": "R-1", "flow": "repair", "event": "create"})";
  const std::string exact = note_line("2026-03-02T09:01:00+08:00", 1024 * 1024);
  const std::string over = note_line("2026-03-02T09:02:00+08:00", 1024 * 1024 + 1);
  const std::string huge = note_line("2026-03-02T09:03:00+08:00", 3 * 1024 * 1024);
  const std::string last = R"({"at": "2026-03-02T09:04:00+08:00", "case": "R-1", "event": "assign", "data": {"worker": "w"}})";
  const run_result r = run("simulate '" + rules + "' -",
                           create + "\n" + exact + "\n" + over + "\r\n" + huge + "\n" + last + "\n" + huge);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.err == "-:3: line longer than 1048576 bytes\n"
                      "-:4: line longer than 1048576 bytes\n"
                      "-:6: line longer than 1048576 bytes\n");
  BOOST_TEST(r.out.find(R"("at":"2026-03-02T09:01:00+08:00","case":"R-1","type":"transition","event":"note")") !=
             std::string::npos);
  BOOST_TEST(r.out.find(R"("at":"2026-03-02T09:04:00+08:00","case":"R-1","type":"transition","event":"assign")") !=
             std::string::npos);
  BOOST_TEST(r.out.find(R"({"at":null,"case":null,"type":"input_error","line":4,)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(until_before_the_last_event_fires_nothing_more) {
  const run_result r = run("simulate '" + rules + "' - --until 2026-03-02T08:00:00+08:00",
                           R"({"at": "2026-03-02T09:00:00+08:00", "case": "R-1", "flow": "repair", "event": "create"})"
                           "\n");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out ==
             "{\"at\":\"2026-03-02T09:00:00+08:00\",\"case\":\"R-1\",\"type\":\"created\",\"flow\":\"repair\",\"state\":\"new\"}\n"
             "{\"at\":\"2026-03-02T09:00:00+08:00\",\"case\":\"R-1\",\"type\":\"set\",\"field\":\"opened_at\",\"value\":\"2026-03-02T09:00:00+08:00\"}\n");
}

BOOST_AUTO_TEST_CASE(exit_codes) {
  BOOST_TEST(run("--help").exit_code == 0);
  BOOST_TEST(run("").exit_code == 2);
  BOOST_TEST(run("frobnicate").exit_code == 2);
  BOOST_TEST(run("validate").exit_code == 2);
  BOOST_TEST(run("simulate '" + rules + "' - --utc-offset +8").exit_code == 2);
  BOOST_TEST(run("simulate '" + rules + "' /nonexistent/events.jsonl").exit_code == 1);
  BOOST_TEST(run("graph '" + rules + "' --flow nope").exit_code == 2);
  const run_result missing = run("validate /nonexistent/rules.yaml");
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(missing.err.find("/nonexistent/rules.yaml") != std::string::npos);
}
