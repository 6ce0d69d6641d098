// crmflow simulate --store: a run stopped (or killed) and continued writes the same timeline and
// summary as one uninterrupted run; a store in use by another run is refused.
#define BOOST_TEST_MODULE cli_store
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string rules = std::string(CRMFLOW_SOURCE_DIR) + "/rules";
const std::string month = std::string(CRMFLOW_SOURCE_DIR) + "/examples/data/month.jsonl";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line + '\n');
  return out;
}

// A scratch directory, removed at the end of the test.
struct scratch {
  fs::path dir = fs::temp_directory_path() / ("crmflow_cli_store_test_" + std::to_string(::getpid()));
  scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() { fs::remove_all(dir); }
  fs::path operator/(const std::string& name) const { return dir / name; }
};

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the CLI with `args` (shell words); stdout and stderr captured.
run_result run(const scratch& s, const std::string& args) {
  const std::string cmd = std::string("'") + CRMFLOW_CLI + "' " + args + " </dev/null >'" + (s / "stdout").string() +
                          "' 2>'" + (s / "stderr").string() + "'";
  const int status = std::system(cmd.c_str());
  run_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(s / "stdout");
  r.err = slurp(s / "stderr");
  return r;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// `crmflow simulate rules - --store store --out out --commit-every 50 --summary`, reading its
// events from a pipe that the test writes, so that it can be killed at a known point.
struct piped_run {
  pid_t pid = -1;
  int to_child = -1;

  piped_run(const scratch& s, const fs::path& store, const fs::path& out) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    const std::string store_arg = store.string(), out_arg = out.string(), err = (s / "child_err").string();
    pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[0], 0);
      ::close(fds[0]);
      ::close(fds[1]);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(e, 2);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::execl(CRMFLOW_CLI, CRMFLOW_CLI, "simulate", rules.c_str(), "-", "--store", store_arg.c_str(), "--out",
              out_arg.c_str(), "--commit-every", "50", "--summary", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[0]);
    to_child = fds[1];
  }
  void write(const std::string& text) const {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(to_child, text.data() + done, text.size() - done);
      BOOST_REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }
  // SIGKILL; true if the child died of it (and had not exited before).
  bool kill() {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(to_child);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }
};

// Waits until `p` holds at least `size` bytes (at most 30 s).
void wait_for_size(const fs::path& p, std::uintmax_t size) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::error_code ec;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::uintmax_t now = fs::file_size(p, ec);
    if (!ec && now >= size) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  BOOST_FAIL("timed out waiting for " + p.string() + " to reach " + std::to_string(size) + " bytes");
}

// The timeline and summary of the month without a store.
struct reference {
  std::string timeline;
  std::string summary;
};
reference uninterrupted(const scratch& s) {
  const run_result r = run(s, "simulate " + q(rules) + " " + q(month) + " --summary --out " + q(s / "ref.jsonl"));
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  return {slurp(s / "ref.jsonl"), r.out};
}

// The timeline of the first `n` lines of the month, without a store.
std::string timeline_of_first(const scratch& s, std::size_t n) {
  const std::vector<std::string> all = lines_of(slurp(month));
  std::string head;
  for (std::size_t i = 0; i < n && i < all.size(); ++i) head += all[i];
  std::ofstream(s / "head.jsonl", std::ios::binary) << head;
  const run_result r = run(s, "simulate " + q(rules) + " " + q(s / "head.jsonl"));
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  return r.out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_run_with_a_store_writes_the_same_timeline_as_without) {
  const scratch s;
  const reference ref = uninterrupted(s);
  const run_result r = run(s, "simulate " + q(rules) + " " + q(month) + " --summary --store " + q(s / "one.db") +
                                  " --out " + q(s / "one.jsonl"));
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(slurp(s / "one.jsonl") == ref.timeline);
  BOOST_TEST(r.out == ref.summary);

  // Run again: everything is journaled, nothing new is written, the summary is the same.
  const run_result again = run(s, "simulate " + q(rules) + " " + q(month) + " --summary --store " + q(s / "one.db") +
                                      " --out " + q(s / "again.jsonl"));
  BOOST_TEST(again.exit_code == 0);
  BOOST_TEST(slurp(s / "again.jsonl").empty());
  BOOST_TEST(again.out == ref.summary);
}

BOOST_AUTO_TEST_CASE(stopped_after_half_and_continued_concatenates_to_the_uninterrupted_timeline) {
  const scratch s;
  const reference ref = uninterrupted(s);
  for (const std::size_t half : {1u, 1000u, 1537u}) {
    BOOST_TEST_CONTEXT("first part: " << half << " lines") {
      timeline_of_first(s, half);  // writes head.jsonl
      const fs::path store = s / ("split" + std::to_string(half) + ".db");
      const run_result first =
          run(s, "simulate " + q(rules) + " " + q(s / "head.jsonl") + " --store " + q(store) + " --commit-every 64");
      BOOST_TEST(first.exit_code == 0);
      const run_result second = run(s, "simulate " + q(rules) + " " + q(month) + " --summary --store " + q(store) +
                                           " --out " + q(s / "second.jsonl"));
      BOOST_TEST(second.exit_code == 0);
      BOOST_TEST(second.err == "");
      BOOST_TEST((first.out + slurp(s / "second.jsonl")) == ref.timeline);
      BOOST_TEST(second.out == ref.summary);
    }
  }
}

BOOST_AUTO_TEST_CASE(killed_midway_and_continued_ends_like_the_uninterrupted_run) {
  const scratch s;
  const reference ref = uninterrupted(s);
  const std::vector<std::string> all = lines_of(slurp(month));
  // Killed after 1000 lines (a group commit boundary) and after 1537 (the last 37 lines in an
  // open group commit, which is lost: the continued run starts again at line 1501).
  for (const std::size_t fed : {1000u, 1537u}) {
    BOOST_TEST_CONTEXT("killed after " << fed << " lines") {
      const std::size_t committed = fed / 50 * 50;
      const std::string expected_part = timeline_of_first(s, committed);
      const fs::path store = s / ("kill" + std::to_string(fed) + ".db");
      const fs::path part1 = s / "part1.jsonl";
      piped_run child(s, store, part1);
      std::string head;
      for (std::size_t i = 0; i < fed; ++i) head += all[i];
      child.write(head);
      wait_for_size(part1, expected_part.size());
      BOOST_TEST(child.kill());
      BOOST_TEST(slurp(part1) == expected_part);

      const run_result rest = run(s, "simulate " + q(rules) + " " + q(month) + " --summary --store " + q(store) +
                                         " --out " + q(s / "part2.jsonl"));
      BOOST_TEST(rest.exit_code == 0);
      BOOST_TEST(rest.err == "");
      BOOST_TEST(rest.out == ref.summary);
      BOOST_TEST((slurp(part1) + slurp(s / "part2.jsonl")) == ref.timeline);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_second_run_on_a_store_in_use_is_refused) {
  const scratch s;
  const fs::path store = s / "busy.db";
  piped_run child(s, store, s / "busy.jsonl");
  child.write(lines_of(slurp(month)).front());
  // The child holds the store from its start; wait until it has opened it.
  wait_for_size(s / "busy.jsonl", 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  run_result r;
  do {
    r = run(s, "simulate " + q(rules) + " " + q(month) + " --store " + q(store) + " --out " + q(s / "other.jsonl"));
  } while (r.exit_code == 0 && std::chrono::steady_clock::now() < deadline);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("crmflow simulate: store " + store.string() + " is locked by another process") !=
             std::string::npos, r.err);
  BOOST_TEST(child.kill());
}

BOOST_AUTO_TEST_CASE(another_events_file_or_other_rules_are_refused) {
  const scratch s;
  const fs::path store = s / "m.db";
  BOOST_REQUIRE(run(s, "simulate " + q(rules) + " " + q(month) + " --store " + q(store) + " --out " + q(s / "a.jsonl"))
                    .exit_code == 0);

  timeline_of_first(s, 1000);  // head.jsonl: shorter than what the store holds
  const run_result shorter = run(s, "simulate " + q(rules) + " " + q(s / "head.jsonl") + " --store " + q(store));
  BOOST_TEST(shorter.exit_code == 1);
  BOOST_TEST(shorter.err.find("cannot continue store") != std::string::npos, shorter.err);

  // The same number of lines, one of them different: the state does not match.
  std::vector<std::string> all = lines_of(slurp(month));
  std::string changed;
  for (std::size_t i = 0; i < all.size(); ++i) changed += i == 5 ? all[i + 1] : all[i];
  std::ofstream(s / "changed.jsonl", std::ios::binary) << changed;
  const run_result other = run(s, "simulate " + q(rules) + " " + q(s / "changed.jsonl") + " --store " + q(store));
  BOOST_TEST(other.exit_code == 1);
  BOOST_TEST(other.err.find("cannot continue store") != std::string::npos, other.err);

  const run_result rules_changed = run(s, "simulate " + q(rules + "/complaint.yaml") + " " + q(month) + " --store " +
                                              q(store));
  BOOST_TEST(rules_changed.exit_code == 1);
  // Refused by the rules checksum, or first by the snapshot, which holds the text of the rules
  // it was written with (an older snapshot: its flow table; the bundled rules have several
  // flows, complaint.yaml alone one).
  BOOST_TEST((rules_changed.err.find("was written with other rules") != std::string::npos ||
              (rules_changed.err.find("snapshot: written for ") != std::string::npos &&
               rules_changed.err.find(" flows, the rule set has 1") != std::string::npos) ||
              rules_changed.err.find("snapshot: version 1 of rule set 'default' differs from the rules supplied") !=
                  std::string::npos),
             rules_changed.err);

  std::ofstream(s / "garbage.db", std::ios::binary) << "not a database\n";
  const run_result garbage = run(s, "simulate " + q(rules) + " " + q(month) + " --store " + q(s / "garbage.db"));
  BOOST_TEST(garbage.exit_code == 1);
  BOOST_TEST(garbage.err.find("crmflow simulate: ") == 0u, garbage.err);
}
