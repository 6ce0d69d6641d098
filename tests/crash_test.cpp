// Crash test: a writer process runs the complaint month (examples/data/month.jsonl) through a
// durable_engine, writing to a pipe how many inputs are acknowledged, and is killed with
// SIGKILL at random points (fixed seeds). After each kill the store is recovered and checked:
//   - every acknowledged input is in the journal (last_seq >= acknowledged);
//   - the recovered engine serialises to exactly the bytes of a reference engine fed exactly
//     the journaled prefix: no input lost or applied twice, no deadline lost or fired twice
//     (pending deadlines, their order, fields and history are all in the bytes);
// then a new writer continues from the recovered state. At the end the journal is compared,
// record by record, with one written by an uninterrupted run, and so is the audit trail
// (records and hashes): the trail commits with its inputs.
//
// Commits use sync_mode::normal: SIGKILL tests a crash of the process, which WAL with
// synchronous=NORMAL survives; power loss is not simulated here.
#define BOOST_TEST_MODULE crash
#include "test_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <crmflow/audit_trail.hpp>
#include <crmflow/durable_engine.hpp>
#include <crmflow/snapshot.hpp>
#include <crmflow/store.hpp>

#include <chrono>
#include <filesystem>
#include <random>

#include "month_inputs.hpp"

using namespace crmflow;
using namespace crmflow_test;
namespace fs = std::filesystem;

namespace {

struct plan {
  std::uint32_t seed;
  std::uint64_t snapshot_every;
  std::size_t max_batch;  // 1: every input commits on its own
  std::size_t max_gap;    // acknowledged inputs between kills: 1 .. max_gap
};

std::unique_ptr<store> open_store(const fs::path& p) {
  sqlite_store_options o;
  o.sync = sync_mode::normal;
  open_store_result r = open_sqlite_store(p, o);
  if (!r.status) return nullptr;
  return std::move(r.store);
}

// The writer: recovers, then feeds the rest of the month in batches, writing the number of
// acknowledged inputs (8 bytes) to `ack_fd` after each commit, then waits for one byte on
// `go_fd`, so that the parent's kill lands within the next few inputs rather than wherever
// the writer has run ahead to. Never returns.
[[noreturn]] void writer(const fs::path& db, const plan& p, std::uint64_t round, int ack_fd, int go_fd) {
  std::unique_ptr<store> s = open_store(db);
  if (!s) ::_exit(10);
  durable_options o;
  o.snapshot_every = p.snapshot_every;
  open_durable_result d = durable_engine::open(complaint_rules(), std::move(s), {}, o);
  if (!d.status) ::_exit(11);
  durable_engine& e = *d.engine;
  auto read = [&]() -> const engine& { return e.state(); };
  std::mt19937 rng(p.seed * 7919u + static_cast<std::uint32_t>(round));
  data_record rec;
  std::size_t next = e.last_seq();
  while (next < month().size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % p.max_batch, month().size() - next);
    const bool batch = p.max_batch > 1;
    if (batch && !e.begin_batch()) ::_exit(12);
    for (std::size_t i = 0; i < n; ++i)
      if (!feed(e, read, month()[next + i], rec)) ::_exit(13);
    if (batch && !e.commit_batch()) ::_exit(14);
    next += n;
    const std::uint64_t acked = next;
    if (::write(ack_fd, &acked, sizeof acked) != sizeof acked) ::_exit(15);
    char go = 0;
    if (next < month().size() && ::read(go_fd, &go, 1) != 1) ::_exit(16);
  }
  ::_exit(0);
}

struct run_stats {
  std::size_t kills = 0;
  std::size_t rounds = 0;
};

// Runs the month to the end under `p`, killing the writer again and again. Returns the stats;
// checks as it goes.
run_stats crash_run(const fs::path& db, const plan& p) {
  run_stats stats;
  engine reference(complaint_rules());
  auto read_ref = [&]() -> const engine& { return reference; };
  std::size_t fed = 0;
  data_record rec;
  std::uint64_t acked = 0;
  std::mt19937 rng(p.seed);

  for (;;) {
    ++stats.rounds;
    int fds[2];
    int go[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    BOOST_TEST_REQUIRE(::pipe(go) == 0);
    const pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      ::close(go[1]);
      writer(db, p, stats.rounds, fds[1], go[0]);
    }
    ::close(fds[1]);
    ::close(go[0]);
    const std::uint64_t target = acked + 1 + rng() % p.max_gap;
    bool killed = false;
    std::uint64_t value = 0;
    while (::read(fds[0], &value, sizeof value) == sizeof value) {
      acked = std::max(acked, value);
      const char one = 1;
      if (acked < month().size() && ::write(go[1], &one, 1) != 1) break;
      if (acked >= target && acked < month().size()) {
        // Somewhere in the next inputs or commit, or between two.
        const auto spin = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 300);
        while (std::chrono::steady_clock::now() < spin) {
        }
        ::kill(pid, SIGKILL);
        killed = true;
        break;
      }
    }
    // Whatever the writer acknowledged before it died counts.
    while (::read(fds[0], &value, sizeof value) == sizeof value) acked = std::max(acked, value);
    ::close(fds[0]);
    ::close(go[1]);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    if (killed && WIFSIGNALED(wstatus)) ++stats.kills;
    else BOOST_TEST_REQUIRE((WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0), "writer failed: status " << wstatus);

    // Recover here and compare with the reference fed exactly the journaled prefix.
    std::unique_ptr<store> s = open_store(db);
    BOOST_TEST_REQUIRE(s != nullptr);
    open_durable_result d = durable_engine::open(complaint_rules(), std::move(s));
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    const std::uint64_t journaled = d.engine->last_seq();
    BOOST_TEST_REQUIRE(journaled >= acked, "acknowledged " << acked << " inputs, journal has " << journaled);
    BOOST_TEST_REQUIRE(journaled <= month().size());
    for (; fed < journaled; ++fed) feed(reference, read_ref, month()[fed], rec);
    BOOST_TEST_REQUIRE((encode_engine(d.engine->state()) == encode_engine(reference)),
                       "recovered state differs from the reference after " << journaled << " inputs (round "
                                                                           << stats.rounds << ")");
    if (!killed) break;
  }
  BOOST_TEST(fed == month().size());
  return stats;
}

std::vector<journal_record> journal_of(const fs::path& db) {
  std::unique_ptr<store> s = open_store(db);
  BOOST_TEST_REQUIRE(s != nullptr);
  std::vector<journal_record> out;
  const store_status st = s->read(1, [&](const journal_record& r) {
    out.push_back(r);
    return true;
  });
  BOOST_TEST(st.ok(), st.message());
  return out;
}

// The audit trail (checked as it is read): records and hashes.
std::vector<std::string> trail_of(const fs::path& db) {
  std::unique_ptr<store> s = open_store(db);
  BOOST_TEST_REQUIRE(s != nullptr);
  std::vector<std::string> out;
  const store_status st = s->read_audit(1, [&](const audit_entry& e) {
    out.push_back(e.record + " " + e.hash);
    return true;
  });
  BOOST_TEST(st.ok(), st.message());
  return out;
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("crmflow-crash-test-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(sigkill_at_random_points_loses_and_repeats_nothing) {
  temp_dir dir;
  // The journal of an uninterrupted run, to compare record by record.
  const fs::path clean = dir.path / "clean.db";
  {
    open_durable_result d = durable_engine::open(complaint_rules(), open_store(clean));
    BOOST_TEST_REQUIRE(d.status.ok());
    auto read = [&]() -> const engine& { return d.engine->state(); };
    data_record rec;
    for (const month_input& m : month()) BOOST_TEST_REQUIRE(feed(*d.engine, read, m, rec));
  }
  const std::vector<journal_record> expected = journal_of(clean);
  const std::vector<std::string> expected_trail = trail_of(clean);
  BOOST_TEST_REQUIRE(expected_trail.size() > expected.size());

  const plan plans[] = {
      {1, 20, 8, 20},  // group commit, batches of 1..8, frequent snapshots
      {2, 7, 1, 20},   // every input commits alone, snapshots every 7 records
  };
  std::size_t kills = 0;
  for (const plan& p : plans) {
    const fs::path db = dir.path / ("crash-" + std::to_string(p.seed) + ".db");
    const auto start = std::chrono::steady_clock::now();
    const run_stats s = crash_run(db, p);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    BOOST_TEST_MESSAGE("plan " << p.seed << ": " << s.kills << " kills in " << s.rounds << " rounds, " << ms.count()
                               << " ms");
    kills += s.kills;
    const std::vector<journal_record> got = journal_of(db);
    BOOST_TEST_REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      BOOST_TEST_REQUIRE((got[i].kind == expected[i].kind && got[i].payload == expected[i].payload),
                         "journal record " << i + 1 << " differs from the uninterrupted run");
    // The audit trail commits with its inputs: killed batches leave none of their records.
    const std::vector<std::string> trail = trail_of(db);
    BOOST_TEST_REQUIRE(trail.size() == expected_trail.size());
    for (std::size_t i = 0; i < trail.size(); ++i)
      BOOST_TEST_REQUIRE(trail[i] == expected_trail[i], "audit record " << i + 1 << " differs from the uninterrupted run");
  }
  BOOST_TEST(kills >= 200u);
}
