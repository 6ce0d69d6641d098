// The store (store.hpp), the snapshot codec (snapshot.hpp) and durable_engine: round trips,
// damaged records, read-only and locked stores, failing writes, and exact recovery.
#define BOOST_TEST_MODULE store
#include "test_support.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <crmflow/audit_trail.hpp>
#include <crmflow/durable_engine.hpp>
#include <crmflow/snapshot.hpp>
#include <crmflow/store.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "month_inputs.hpp"
#include "store/bytes.hpp"
#include "store/snapshot_layouts.hpp"

using namespace crmflow;
using namespace crmflow_test;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed afterwards.
struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() /
           ("crmflow-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  fs::path db() const { return path / "store.db"; }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::unique_ptr<store> open_or_fail(const fs::path& p, sqlite_store_options o = {}) {
  o.sync = sync_mode::normal;  // tests need crash safety, not power-loss safety
  open_store_result r = open_sqlite_store(p, o);
  BOOST_TEST_REQUIRE(r.status.ok(), r.status.message());
  return std::move(r.store);
}

void exec_sql(const fs::path& p, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  BOOST_TEST(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
}

std::vector<journal_record> read_all(store& s, std::uint64_t from = 1, store_status* status = nullptr) {
  std::vector<journal_record> out;
  store_status st = s.read(from, [&](const journal_record& r) {
    out.push_back(r);
    return true;
  });
  if (status) *status = st;
  else BOOST_TEST(st.ok(), st.message());
  return out;
}

// Runs inputs [from, to) of the month through `host`.
template <class Host, class Read>
void run(Host& host, Read read, std::size_t from, std::size_t to) {
  data_record rec;
  for (std::size_t i = from; i < to; ++i) BOOST_TEST_REQUIRE(feed(host, read, month()[i], rec));
}

// A store that delegates to another and fails its writes on demand (a full disk).
class failing_store final : public store {
 public:
  explicit failing_store(std::unique_ptr<store> inner) : inner_(std::move(inner)) {}
  bool fail_appends = false;
  bool fail_commits = false;

  store_status append(const journal_record& r) override {
    if (fail_appends) return store_status::error(store_code::disk_full, "injected: disk full", r.seq);
    return inner_->append(r);
  }
  store_status commit() override {
    if (fail_commits) {
      inner_->rollback();
      return store_status::error(store_code::write_failed, "injected: write failed", inner_->last_seq());
    }
    return inner_->commit();
  }
  void rollback() noexcept override { inner_->rollback(); }
  std::uint64_t last_seq() const noexcept override { return inner_->last_seq(); }
  store_status read(std::uint64_t from, const std::function<bool(const journal_record&)>& v) override {
    return inner_->read(from, v);
  }
  store_status save_snapshot(const crmflow::snapshot& s) override { return inner_->save_snapshot(s); }
  store_status load_snapshot(std::optional<crmflow::snapshot>& out) override { return inner_->load_snapshot(out); }

 private:
  std::unique_ptr<store> inner_;
};

// The bundled complaint flow with SLA clocks added: one on every case (paused while a plan
// waits, with a warning and a three-level ladder) and one on major complaints whose limit is a
// duration field that reclassification sets again while it runs.
std::shared_ptr<const rule_set> clocked_complaint_rules() {
  static std::shared_ptr<const rule_set> rules = [] {
    std::ifstream in(CRMFLOW_SOURCE_DIR "/rules/complaint.yaml", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t at = text.find("\n    timers:\n");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    text.insert(at + 1, R"(    clocks:
      handling:
        limit: 24h
        start: {enter: received}
        pause: {enter: planned}
        resume: {exit: planned}
        stop: {enter: [resolved, closed]}
        warn_at: 80%
        on_warning:
          - notify: "{receiver}"
            message: "投诉 {case} 处理时限已用80%"
        ladder:
          - {at: 100%, do: [{alarm: sla_breach, to: area_manager, message: "投诉 {case} 超时"}]}
          - {at: 200%, do: [{alarm: sla_breach_2x, to: head_of_department, message: "投诉 {case} 超时两倍"}]}
          - {at: 300%, do: [{alarm: sla_breach_3x, to: leadership_group, message: "投诉 {case} 超时三倍"}]}
      major_solution:
        limit: solution_time_left
        start: {event: [classify, reclassify_major], if: level == major}
        stop: {enter: [resolved, closed]}
)");
    load_result r = load_rules_from_string(text, "complaint.yaml");
    std::string diags;
    for (const diagnostic& x : r.diagnostics) diags += to_string(x) + "\n";
    BOOST_TEST_REQUIRE(r.ok(), diags);
    return r.rules;
  }();
  return rules;
}

}  // namespace

BOOST_AUTO_TEST_CASE(journal_and_snapshot_round_trip) {
  temp_dir dir;
  {
    auto s = open_or_fail(dir.db());
    BOOST_TEST(s->last_seq() == 0u);
    BOOST_TEST(s->append(make_record(1, 7, "one")).ok());
    BOOST_TEST(s->append(make_record(2, 8, std::string("t\0o", 3))).ok());
    BOOST_TEST(s->last_seq() == 2u);
    BOOST_TEST(read_all(*s).empty());  // staged, not committed
    BOOST_TEST(s->commit().ok());
    BOOST_TEST(s->append(make_record(3, 9, "")).ok());
    s->rollback();
    BOOST_TEST(s->last_seq() == 2u);
    const store_status gap = s->append(make_record(4, 1, "x"));
    BOOST_TEST((gap.code() == store_code::invalid));
    BOOST_TEST(s->append(make_record(3, 9, "")).ok());
    BOOST_TEST(s->commit().ok());
    BOOST_TEST(s->save_snapshot({2, "state"}).ok());
  }
  auto s = open_or_fail(dir.db());
  BOOST_TEST(s->last_seq() == 3u);
  const std::vector<journal_record> all = read_all(*s);
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].payload == "one");
  BOOST_TEST(all[1].payload == std::string("t\0o", 3));
  BOOST_TEST(all[1].kind == 8);
  BOOST_TEST(all[2].payload.empty());
  BOOST_TEST(read_all(*s, 3).size() == 1u);
  std::optional<crmflow::snapshot> snap;
  BOOST_TEST(s->load_snapshot(snap).ok());
  BOOST_TEST_REQUIRE(snap.has_value());
  BOOST_TEST(snap->seq == 2u);
  BOOST_TEST(snap->bytes == "state");
}

// The SQLite store writes staged records 16 at a time (one multi-row INSERT) and the rest at
// commit: every count around that size comes back in order, a rollback in the middle of a
// group drops the whole uncommitted group, and the audit chain runs on across groups.
BOOST_AUTO_TEST_CASE(staged_records_of_any_count_round_trip_and_roll_back_whole) {
  temp_dir dir;
  auto payload = [](std::uint64_t n) { return std::string(n % 40, static_cast<char>('a' + n % 26)) + std::to_string(n); };
  auto record = [](std::uint64_t n) { return "{\"n\":" + std::to_string(n) + "}"; };
  std::uint64_t seq = 0;
  {
    auto s = open_or_fail(dir.db());
    for (const std::uint64_t count : {1, 15, 16, 17, 33, 50}) {
      const std::uint64_t committed = seq;
      for (std::uint64_t i = 0; i < count; ++i) {
        ++seq;
        BOOST_TEST_REQUIRE(s->append(make_record(seq, static_cast<std::uint8_t>(seq % 7), payload(seq))).ok());
        BOOST_TEST_REQUIRE(s->append_audit(record(seq)).ok());
      }
      BOOST_TEST(s->last_seq() == seq);
      BOOST_TEST(read_all(*s).size() == committed);  // some written into SQLite, none committed
      BOOST_TEST(s->commit().ok());
    }
    for (std::uint64_t i = 1; i <= 40; ++i) {
      BOOST_TEST_REQUIRE(s->append(make_record(seq + i, 1, "dropped")).ok());
      BOOST_TEST_REQUIRE(s->append_audit("{}").ok());
    }
    s->rollback();
    BOOST_TEST(s->last_seq() == seq);
    BOOST_TEST(s->append(make_record(seq + 1, 3, payload(seq + 1))).ok());
    BOOST_TEST(s->append_audit(record(seq + 1)).ok());
    BOOST_TEST(s->commit().ok());
    ++seq;
  }
  auto s = open_or_fail(dir.db());
  BOOST_TEST(s->last_seq() == seq);
  const std::vector<journal_record> all = read_all(*s);
  BOOST_TEST_REQUIRE(all.size() == seq);
  for (std::uint64_t n = 1; n <= seq; ++n) {
    BOOST_TEST_CONTEXT("seq " << n) {
      BOOST_TEST(all[n - 1].seq == n);
      BOOST_TEST(+all[n - 1].kind == (n == seq ? 3 : static_cast<int>(n % 7)));
      BOOST_TEST(all[n - 1].payload == payload(n));
    }
  }
  std::vector<audit_entry> trail;
  const store_status st = s->read_audit(1, [&](const audit_entry& e) {
    trail.push_back(e);
    return true;
  });
  BOOST_TEST(st.ok(), st.message());
  BOOST_TEST_REQUIRE(trail.size() == seq);
  std::string prev(audit_genesis);
  for (std::uint64_t n = 1; n <= seq; ++n) {
    BOOST_TEST(trail[n - 1].record == record(n));
    BOOST_TEST(trail[n - 1].prev == prev);
    BOOST_TEST(trail[n - 1].hash == audit_hash(prev, n, record(n)));
    prev = trail[n - 1].hash;
  }
}

BOOST_AUTO_TEST_CASE(corrupted_record_is_reported_with_its_seq) {
  temp_dir dir;
  {
    auto s = open_or_fail(dir.db());
    for (std::uint64_t i = 1; i <= 5; ++i) BOOST_TEST(s->append(make_record(i, 1, "payload " + std::to_string(i))).ok());
    BOOST_TEST(s->commit().ok());
  }
  exec_sql(dir.db(), "UPDATE journal SET payload = X'DEADBEEF' WHERE seq = 3");
  auto s = open_or_fail(dir.db());
  store_status st;
  const auto got = read_all(*s, 1, &st);
  BOOST_TEST(got.size() == 2u);  // records before the damage are delivered
  BOOST_TEST((st.code() == store_code::corrupted));
  BOOST_TEST(st.seq() == 3u);
  BOOST_TEST(st.message().find("corrupted record at seq 3") != std::string::npos, st.message());
}

BOOST_AUTO_TEST_CASE(torn_last_record_and_missing_record) {
  temp_dir dir;
  {
    auto s = open_or_fail(dir.db());
    for (std::uint64_t i = 1; i <= 4; ++i) BOOST_TEST(s->append(make_record(i, 1, "payload " + std::to_string(i))).ok());
    BOOST_TEST(s->commit().ok());
  }
  // Cut the last payload short, as a torn write would.
  exec_sql(dir.db(), "UPDATE journal SET payload = substr(payload, 1, 3) WHERE seq = 4");
  {
    auto s = open_or_fail(dir.db());
    store_status st;
    read_all(*s, 1, &st);
    BOOST_TEST((st.code() == store_code::torn_tail), st.message());
    BOOST_TEST(st.seq() == 4u);
    BOOST_TEST(st.message().find("torn last record at seq 4") != std::string::npos, st.message());
  }
  exec_sql(dir.db(), "DELETE FROM journal WHERE seq = 2");
  auto s = open_or_fail(dir.db());
  store_status st;
  read_all(*s, 1, &st);
  BOOST_TEST((st.code() == store_code::corrupted));
  BOOST_TEST(st.seq() == 2u);
  BOOST_TEST(st.message().find("seq 2 is missing") != std::string::npos, st.message());
}

BOOST_AUTO_TEST_CASE(corrupted_snapshot_is_reported) {
  temp_dir dir;
  {
    auto s = open_or_fail(dir.db());
    BOOST_TEST(s->append(make_record(1, 1, "x")).ok());
    BOOST_TEST(s->commit().ok());
    BOOST_TEST(s->save_snapshot({1, "state bytes"}).ok());
  }
  exec_sql(dir.db(), "UPDATE snapshot SET bytes = X'00'");
  auto s = open_or_fail(dir.db());
  std::optional<crmflow::snapshot> snap;
  const store_status st = s->load_snapshot(snap);
  BOOST_TEST((st.code() == store_code::corrupted));
  BOOST_TEST(!snap.has_value());
}

BOOST_AUTO_TEST_CASE(read_only_store) {
  temp_dir dir;
  {
    auto s = open_or_fail(dir.db());
    BOOST_TEST(s->append(make_record(1, 1, "x")).ok());
    BOOST_TEST(s->commit().ok());
  }
  // Opened read-only on purpose: reads work, writes say so.
  {
    sqlite_store_options o;
    o.read_only = true;
    auto s = open_or_fail(dir.db(), o);
    BOOST_TEST(read_all(*s).size() == 1u);
    const store_status st = s->append(make_record(2, 1, "y"));
    BOOST_TEST((st.code() == store_code::read_only));
  }
  // A file that cannot be written. Root writes anyway, so the check runs as nobody.
  ::chmod(dir.path.c_str(), 0777);
  ::chmod(dir.db().c_str(), 0444);
  ::chmod((dir.db().string() + ".lock").c_str(), 0666);
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::geteuid() == 0 && ::setuid(65534) != 0) ::_exit(90);
    open_store_result r = open_sqlite_store(dir.db());
    if (r.status.code() != store_code::read_only) ::_exit(91);
    if (r.status.message().find("read-only") == std::string::npos) ::_exit(92);
    ::_exit(0);
  }
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  BOOST_TEST(WIFEXITED(wstatus));
  BOOST_TEST(WEXITSTATUS(wstatus) == 0);
  ::chmod(dir.db().c_str(), 0644);
}

BOOST_AUTO_TEST_CASE(second_opener_is_refused) {
  temp_dir dir;
  auto s = open_or_fail(dir.db());
  // In this process.
  open_store_result again = open_sqlite_store(dir.db());
  BOOST_TEST((again.status.code() == store_code::locked));
  BOOST_TEST(again.status.message().find("locked by another process") != std::string::npos);
  // In another process (which does not inherit our lock: the descriptor is close-on-exec, but
  // a fork shares it, so the child opens the file itself; flock locks belong to the open file).
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    open_store_result r = open_sqlite_store(dir.db());
    ::_exit(r.status.code() == store_code::locked ? 0 : 1);
  }
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  BOOST_TEST((WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0));
  s.reset();
  BOOST_TEST(open_sqlite_store(dir.db()).status.ok());  // released on close
}

BOOST_AUTO_TEST_CASE(snapshot_codec_is_a_fixed_point_and_continues_identically) {
  engine original(complaint_rules());
  auto read = [&]() -> const engine& { return original; };
  const std::size_t half = month().size() / 2;
  run(original, read, 0, half);
  BOOST_TEST(original.pending_deadlines() > 0u);
  const std::string bytes = encode_engine(original);

  engine copy(complaint_rules());
  const store_status st = decode_engine(bytes, copy);
  BOOST_TEST_REQUIRE(st.ok(), st.message());
  BOOST_TEST((encode_engine(copy) == bytes));
  BOOST_TEST(copy.now() == original.now());
  BOOST_TEST(copy.pending_deadlines() == original.pending_deadlines());

  // Both go on with the second half, deadlines and all, and end byte for byte the same.
  auto read_copy = [&]() -> const engine& { return copy; };
  run(original, read, half, month().size());
  run(copy, read_copy, half, month().size());
  BOOST_TEST((encode_engine(copy) == encode_engine(original)));

  // Damage and misuse are errors, not crashes.
  engine fresh(complaint_rules());
  BOOST_TEST((decode_engine(bytes.substr(0, bytes.size() / 2), fresh).code() == store_code::corrupted));
  BOOST_TEST((decode_engine(bytes, copy).code() == store_code::invalid));  // not empty
}

// The complaint flow with the alarm principle (rules/alarms.yaml): the month raises 7
// repeated-problem alarms, each opening a leadership meeting.
std::shared_ptr<const rule_set> alarm_rules() {
  static std::shared_ptr<const rule_set> rules = [] {
    load_result r = load_rules({CRMFLOW_SOURCE_DIR "/rules/complaint.yaml", CRMFLOW_SOURCE_DIR "/rules/alarms.yaml"});
    BOOST_TEST_REQUIRE(r.ok());
    return r.rules;
  }();
  return rules;
}

// The alarm principle's trigger (rules/alarms.yaml); complaint.yaml's own comes first.
std::size_t same_problem() { return *alarm_rules()->triggers().find("same_problem_3_in_30d"); }

// Regression: snapshots used to leave out the triggers' live windows, so a copy restored
// mid-month missed alarms whose earlier complaints came before the snapshot.
BOOST_AUTO_TEST_CASE(snapshot_keeps_trigger_windows_and_open_counts) {
  engine original(alarm_rules());
  auto read = [&]() -> const engine& { return original; };
  // Every cut of the month: each leaves some key part way to its third complaint.
  const std::size_t cuts[] = {month().size() / 4, month().size() / 2, month().size() * 3 / 4};
  std::size_t done = 0;
  std::vector<std::string> saved;
  for (const std::size_t cut : cuts) {
    run(original, read, done, cut);
    done = cut;
    saved.push_back(encode_engine(original));
  }
  run(original, read, done, month().size());
  BOOST_TEST(original.trigger_open_counts()[same_problem()] == 7u);
  BOOST_TEST(original.trigger_windows().live_keys() > 0u);

  for (std::size_t i = 0; i < saved.size(); ++i) {
    engine copy(alarm_rules());
    const store_status st = decode_engine(saved[i], copy);
    BOOST_TEST_REQUIRE(st.ok(), st.message());
    BOOST_TEST((encode_engine(copy) == saved[i]));
    auto read_copy = [&]() -> const engine& { return copy; };
    run(copy, read_copy, cuts[i], month().size());
    BOOST_TEST(copy.trigger_open_counts()[same_problem()] == 7u);
    BOOST_TEST((encode_engine(copy) == encode_engine(original)));
  }

  // A snapshot of other rules is refused, not half-applied as if it fit.
  engine plain(complaint_rules());
  BOOST_TEST((decode_engine(saved[0], plain).code() == store_code::invalid));
}

// With triggers, recovery starts from the snapshot (it used to replay the whole journal) and
// is still exact.
BOOST_AUTO_TEST_CASE(recovery_with_triggers_starts_from_the_snapshot) {
  temp_dir dir;
  engine reference(alarm_rules());
  auto read_ref = [&]() -> const engine& { return reference; };
  const std::size_t part = month().size() * 2 / 3;
  run(reference, read_ref, 0, part);
  {
    durable_options o;
    o.snapshot_every = 100;
    open_durable_result d = durable_engine::open(alarm_rules(), open_or_fail(dir.db()), {}, o);
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    auto read = [&]() -> const engine& { return d.engine->state(); };
    run(*d.engine, read, 0, part);
    BOOST_TEST(d.engine->last_snapshot_status().ok());
  }
  open_durable_result d = durable_engine::open(alarm_rules(), open_or_fail(dir.db()));
  BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
  BOOST_TEST(d.engine->snapshot_seq() > 0u);
  BOOST_TEST(d.engine->snapshot_seq() + 100 > part);
  BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
  auto read = [&]() -> const engine& { return d.engine->state(); };
  run(*d.engine, read, part, month().size());
  run(reference, read_ref, part, month().size());
  BOOST_TEST(d.engine->state().trigger_open_counts()[same_problem()] == 7u);
  BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
}

BOOST_AUTO_TEST_CASE(recovery_is_exact_and_continues_identically) {
  temp_dir dir;
  engine reference(complaint_rules());
  auto read_ref = [&]() -> const engine& { return reference; };
  const std::size_t part = month().size() * 2 / 3;
  run(reference, read_ref, 0, part);
  {
    durable_options o;
    o.snapshot_every = 250;
    open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()), {}, o);
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    auto read = [&]() -> const engine& { return d.engine->state(); };
    run(*d.engine, read, 0, part);
    BOOST_TEST(d.engine->last_seq() == part);
    BOOST_TEST(d.engine->last_snapshot_status().ok());
    BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
  }
  open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()));
  BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
  BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
  auto read = [&]() -> const engine& { return d.engine->state(); };
  run(*d.engine, read, part, month().size());
  run(reference, read_ref, part, month().size());
  BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
}

BOOST_AUTO_TEST_CASE(group_commit_acknowledges_a_batch_together) {
  temp_dir dir;
  engine reference(complaint_rules());
  auto read_ref = [&]() -> const engine& { return reference; };
  run(reference, read_ref, 0, 100);
  {
    open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()));
    BOOST_TEST_REQUIRE(d.status.ok());
    auto read = [&]() -> const engine& { return d.engine->state(); };
    for (std::size_t i = 0; i < 100; i += 10) {
      BOOST_TEST(d.engine->begin_batch().ok());
      BOOST_TEST((d.engine->begin_batch().code() == store_code::invalid));
      run(*d.engine, read, i, i + 10);
      BOOST_TEST(d.engine->commit_batch().ok());
    }
    // A batch left open at the end is not durable.
    BOOST_TEST(d.engine->begin_batch().ok());
    run(*d.engine, read, 100, 105);
  }
  open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()));
  BOOST_TEST_REQUIRE(d.status.ok());
  BOOST_TEST(d.engine->last_seq() == 100u);
  BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
}

BOOST_AUTO_TEST_CASE(failing_writes_leave_the_engine_unchanged) {
  temp_dir dir;
  auto failing = std::make_unique<failing_store>(open_or_fail(dir.db()));
  failing_store& f = *failing;
  open_durable_result d = durable_engine::open(complaint_rules(), std::move(failing));
  BOOST_TEST_REQUIRE(d.status.ok());
  auto read = [&]() -> const engine& { return d.engine->state(); };
  run(*d.engine, read, 0, 50);
  const std::string before = encode_engine(d.engine->state());
  data_record rec;

  // One input at a time: refused, not applied.
  f.fail_appends = true;
  BOOST_TEST(!feed(*d.engine, read, month()[50], rec));
  BOOST_TEST((encode_engine(d.engine->state()) == before));
  f.fail_appends = false;
  f.fail_commits = true;
  BOOST_TEST(!feed(*d.engine, read, month()[50], rec));
  const durable_result<std::size_t> adv = d.engine->advance_to(month()[50].at + days_ms);
  BOOST_TEST((adv.stored.code() == store_code::write_failed));
  BOOST_TEST((encode_engine(d.engine->state()) == before));
  BOOST_TEST(d.engine->last_seq() == 50u);

  // A batch whose commit fails: every input of it is undone.
  BOOST_TEST(d.engine->begin_batch().ok());
  run(*d.engine, read, 50, 60);
  BOOST_TEST((encode_engine(d.engine->state()) != before));
  const store_status st = d.engine->commit_batch();
  BOOST_TEST((st.code() == store_code::write_failed));
  BOOST_TEST(!d.engine->in_batch());
  BOOST_TEST((encode_engine(d.engine->state()) == before));

  // The disk has room again: the same inputs go through.
  f.fail_commits = false;
  run(*d.engine, read, 50, 60);
  engine reference(complaint_rules());
  auto read_ref = [&]() -> const engine& { return reference; };
  run(reference, read_ref, 0, 60);
  BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
}

BOOST_AUTO_TEST_CASE(recovery_refuses_a_damaged_journal) {
  temp_dir dir;
  {
    open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()));
    BOOST_TEST_REQUIRE(d.status.ok());
    auto read = [&]() -> const engine& { return d.engine->state(); };
    run(*d.engine, read, 0, 30);
  }
  exec_sql(dir.db(), "UPDATE journal SET checksum = checksum + 1 WHERE seq = 17");
  open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()));
  BOOST_TEST((d.status.code() == store_code::corrupted));
  BOOST_TEST(d.status.seq() == 17u);
  BOOST_TEST(!d.engine);
}

BOOST_AUTO_TEST_CASE(recovery_with_sla_clocks_is_exact_and_continues_identically) {
  temp_dir dir;
  engine reference(clocked_complaint_rules());
  auto read_ref = [&]() -> const engine& { return reference; };
  const std::size_t part = month().size() / 2;
  run(reference, read_ref, 0, part);
  {
    durable_options o;
    o.snapshot_every = 37;  // snapshots land between a clock's pause and its resume, and mid-run
    open_durable_result d = durable_engine::open(clocked_complaint_rules(), open_or_fail(dir.db()), {}, o);
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    auto read = [&]() -> const engine& { return d.engine->state(); };
    run(*d.engine, read, 0, part);
    BOOST_TEST(d.engine->last_snapshot_status().ok());
    BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));
  }
  open_durable_result d = durable_engine::open(clocked_complaint_rules(), open_or_fail(dir.db()));
  BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
  const std::string recovered = encode_engine(d.engine->state());
  BOOST_TEST((recovered == encode_engine(reference)));
  engine copy(clocked_complaint_rules());
  BOOST_TEST_REQUIRE(decode_engine(recovered, copy).ok());
  BOOST_TEST((encode_engine(copy) == recovered));

  auto read = [&]() -> const engine& { return d.engine->state(); };
  run(*d.engine, read, part, month().size());
  run(reference, read_ref, part, month().size());
  BOOST_TEST((encode_engine(d.engine->state()) == encode_engine(reference)));

  // The month really moved the clocks: pauses, breaches up the ladder, limits from the field.
  const engine& e = d.engine->state();
  const flow_id f = *e.rules().find_flow("complaint");
  const clock_id handling = *e.rules().find_clock(f, "handling");
  const clock_id major = *e.rules().find_clock(f, "major_solution");
  std::size_t paused = 0, breached = 0, escalated = 0, majors = 0;
  for (case_id c = 0; c < e.case_count(); ++c) {
    if (e.case_flow(c) != f) continue;
    const clock_status st = e.read_clock(c, handling);
    BOOST_TEST((st.phase != clock_phase::idle));
    paused += st.paused > 0;
    breached += st.level >= 1;
    escalated += st.level >= 2;
    majors += e.read_clock(c, major).phase != clock_phase::idle;
  }
  BOOST_TEST(paused > 0u);
  BOOST_TEST(breached > 0u);
  BOOST_TEST(escalated > 0u);
  BOOST_TEST(majors > 0u);
}

// ---- CRMFSNP5: the string table and compact fields ------------------------------------------

namespace {

// Where the sections of a CRMFSNP5 snapshot start, read by the layout in docs/store.md.
struct v5_sections {
  std::size_t versions = 0, strings = 0, kinds = 0, cases = 0;
};

v5_sections sections_of(std::string_view bytes) {
  store_detail::reader in(bytes);
  BOOST_TEST_REQUIRE(in.expect("CRMFSNP5"));
  in.i64();
  v5_sections s;
  s.versions = in.position();
  const std::uint32_t slots = in.u32();
  for (std::uint32_t v = 0; v < slots; ++v) {
    if (in.u8() == 0) continue;
    in.str();
    in.u32();
    in.u8();
    const std::uint32_t files = in.u32();
    for (std::uint32_t f = 0; f < files; ++f) {
      in.str();
      in.str();
    }
  }
  in.u32();
  s.strings = in.position();
  const std::uint64_t strings = in.uv();
  for (std::uint64_t i = 0; i < strings; ++i) in.vstr();
  s.kinds = in.position();
  const std::uint64_t kinds = in.uv();
  for (std::uint64_t i = 0; i < 4 * kinds; ++i) in.uv();
  s.cases = in.position();
  BOOST_TEST_REQUIRE(!in.failed());
  return s;
}

// The message without its " (at byte N)".
std::string without_position(const std::string& m) { return m.substr(0, m.rfind(" (at byte ")); }

std::string decode_error(const std::string& bytes, const std::shared_ptr<const rule_set>& rules) {
  engine e(rules);
  const store_status st = decode_engine(bytes, e);
  BOOST_TEST(!st.ok());
  BOOST_TEST((st.code() == store_code::corrupted), st.message());
  return without_position(st.message());
}

}  // namespace

BOOST_AUTO_TEST_CASE(reader_varints_have_one_encoding_and_fit_64_bits) {
  std::string out;
  store_detail::writer w(out);
  const std::int64_t values[] = {0, 1, -1, 63, -64, 64, 1'772'000'000'000, INT64_MAX, INT64_MIN};
  for (const std::int64_t v : values) w.zz(v);
  w.uv(UINT64_MAX);
  store_detail::reader in(out);
  for (const std::int64_t v : values) BOOST_TEST(in.zz() == v);
  BOOST_TEST(in.uv() == UINT64_MAX);
  BOOST_TEST(in.at_end());
  BOOST_TEST(!in.failed());
  // 0 written with a byte too many; 2^64 (one bit past); a value cut short.
  for (const std::string& bad : {std::string("\x80\x00", 2), std::string(9, '\xFF') + "\x02", std::string("\x80")}) {
    store_detail::reader r(bad);
    BOOST_TEST(r.uv() == 0u);
    BOOST_TEST(r.failed());
  }
}

// The older layout of the same engine reads back into the same state: the CRMFSNP5 encoding of
// the engine restored from CRMFSNP4 is the original's, with clocks, deadlines and windows.
BOOST_AUTO_TEST_CASE(snapshot_v5_and_v4_of_one_engine_restore_the_same_state) {
  for (const auto& rules : {clocked_complaint_rules(), alarm_rules()}) {
    engine original(rules);
    auto read = [&]() -> const engine& { return original; };
    run(original, read, 0, month().size() / 2);
    BOOST_TEST(original.pending_deadlines() > 0u);
    const std::string v5 = encode_engine(original);
    const std::string v4 = store_detail::encode_engine_v4(original);
    BOOST_TEST(v5.substr(0, 8) == "CRMFSNP5");
    BOOST_TEST(v4.substr(0, 8) == "CRMFSNP4");
    for (const std::string* bytes : {&v5, &v4}) {
      engine copy(rules);
      const store_status st = decode_engine(*bytes, copy);
      BOOST_TEST_REQUIRE(st.ok(), st.message());
      BOOST_TEST((encode_engine(copy) == v5));
      BOOST_TEST((store_detail::encode_engine_v4(copy) == v4));
      auto read_copy = [&]() -> const engine& { return copy; };
      run(copy, read_copy, month().size() / 2, month().size());
      engine rest(rules);
      BOOST_TEST_REQUIRE(decode_engine(v5, rest).ok());
      auto read_rest = [&]() -> const engine& { return rest; };
      run(rest, read_rest, month().size() / 2, month().size());
      BOOST_TEST((encode_engine(copy) == encode_engine(rest)));
    }
    // The cases' part (after the version table, which carries the rules' text) is much smaller.
    const std::size_t versions_end = sections_of(v5).strings;
    BOOST_TEST(v5.size() - versions_end < (v4.size() - versions_end) / 2);
  }
}

// Every prefix of a snapshot is refused as corrupted, and the message names the section the
// bytes end in: header, version table, string table, case kinds, a case, its fields or clocks,
// the deadline table, the trigger windows.
BOOST_AUTO_TEST_CASE(snapshot_v5_cut_anywhere_is_refused_with_the_section_it_ends_in) {
  const auto rules = clocked_complaint_rules();
  engine original(rules);
  auto read = [&]() -> const engine& { return original; };
  run(original, read, 0, 120);
  BOOST_TEST_REQUIRE(original.pending_deadlines() > 0u);
  const std::string bytes = encode_engine(original);
  const v5_sections at = sections_of(bytes);
  std::map<std::string, std::size_t> first_cut;  // message -> shortest prefix that gives it
  for (std::size_t n = 0; n < bytes.size(); ++n) first_cut.try_emplace(decode_error(bytes.substr(0, n), rules), n);
  std::string seen;
  for (const auto& [m, n] : first_cut) seen += m + " @" + std::to_string(n) + "\n";
  BOOST_TEST_MESSAGE(seen);
  BOOST_TEST(first_cut.at("snapshot: not a crmflow snapshot") == 0u);
  BOOST_TEST(first_cut.at("snapshot: truncated header") == 8u);
  BOOST_TEST(first_cut.at("snapshot: bad version table") == at.versions);
  BOOST_TEST(first_cut.at("snapshot: truncated version table") == at.versions + 5);
  BOOST_TEST(first_cut.at("snapshot: bad newest version") == at.versions + 4);  // slots read as absent
  BOOST_TEST(first_cut.at("snapshot: truncated string table") == at.strings);
  BOOST_TEST(first_cut.at("snapshot: truncated case kinds") == at.kinds);
  // Cut in the cases: refused before any case is restored while the kinds count more cases
  // than the bytes left can hold, then by the case it ends in.
  BOOST_TEST(first_cut.at("snapshot: case kind 0 has bad counts") == at.cases);
  BOOST_TEST(first_cut.at("snapshot: case kinds count more cases than the snapshot holds") > at.cases);
  const std::string last = std::to_string(original.case_count() - 1);
  const std::size_t last_case = first_cut.at("snapshot: truncated case " + last);
  BOOST_TEST(last_case > at.cases);
  BOOST_TEST(first_cut.at("snapshot: truncated or bad fields of case " + last) > last_case);
  BOOST_TEST(first_cut.at("snapshot: truncated history of case " + last) >
             first_cut.at("snapshot: truncated or bad fields of case " + last));
  BOOST_TEST(first_cut.at("snapshot: bad clock handling of case " + last) >
             first_cut.at("snapshot: truncated history of case " + last));
  BOOST_TEST(first_cut.at("snapshot: truncated deadline table") >
             first_cut.at("snapshot: bad clock handling of case " + last));
  BOOST_TEST(first_cut.at("snapshot: truncated trigger table") > first_cut.at("snapshot: truncated deadline table"));
  BOOST_TEST(first_cut.at("snapshot: truncated windows of trigger typical_case_library") >
             first_cut.at("snapshot: truncated trigger table"));
  // The whole snapshot, and nothing else, decodes.
  engine whole(rules);
  BOOST_TEST(decode_engine(bytes, whole).ok());
  BOOST_TEST(decode_error(bytes + '\0', rules) == "snapshot: trailing bytes");
}

namespace {

// `bytes` with the LEB128 value at `at` replaced by `v`.
std::string with_uv(const std::string& bytes, std::size_t at, std::uint64_t v) {
  store_detail::reader in(std::string_view(bytes).substr(at));
  in.uv();
  std::string value;
  store_detail::writer(value).uv(v);
  return bytes.substr(0, at) + value + bytes.substr(at + in.position());
}

}  // namespace

// Damage that keeps the length: each refused as corrupted with what is wrong and where.
BOOST_AUTO_TEST_CASE(snapshot_v5_damaged_bytes_are_refused_with_what_is_wrong) {
  const auto rules = complaint_rules();
  engine original(rules);
  auto read = [&]() -> const engine& { return original; };
  run(original, read, 0, 120);
  BOOST_TEST_REQUIRE(original.pending_deadlines() > 0u);
  const std::string bytes = encode_engine(original);
  const v5_sections at = sections_of(bytes);

  // The first case: kind, name, state, then its fields; the second case after the first.
  store_detail::reader in(std::string_view(bytes).substr(at.cases));
  BOOST_TEST_REQUIRE(in.uv() == 0u);
  const std::string first_name(in.vstr());
  BOOST_TEST(first_name == original.case_name(0));
  in.uv();
  const std::size_t fields = at.cases + in.position();
  const detail::flow_program& fl = rules->flow(original.case_flow(0));
  std::size_t first_string = fields;
  for (const detail::field_def& f : fl.fields) {
    if (f.type == value_type::string) break;
    f.type == value_type::boolean || f.type == value_type::enumeration ? (void)in.uv() : (void)in.zz();
    first_string = at.cases + in.position();
  }
  BOOST_TEST_REQUIRE(first_string < bytes.size());

  // The string table: no empty text (index 0 is ""), every index within it.
  store_detail::reader table(std::string_view(bytes).substr(at.strings));
  const std::uint64_t strings = table.uv();
  BOOST_TEST_REQUIRE(strings > 0u);
  const std::size_t first_text = at.strings + table.position();
  BOOST_TEST(decode_error(with_uv(bytes, first_text, 0) + std::string(1, '\0'), rules) ==
             "snapshot: empty text in the string table");
  BOOST_TEST(decode_error(with_uv(bytes, first_string, strings + 1), rules) ==
             "snapshot: truncated or bad fields of case 0");
  // Case kinds: an unknown one, counts beyond the bytes, a flow the rules do not have.
  BOOST_TEST(decode_error(with_uv(bytes, at.cases, 5), rules) == "snapshot: case 0 has an unknown kind");
  store_detail::reader kinds(std::string_view(bytes).substr(at.kinds));
  BOOST_TEST_REQUIRE(kinds.uv() == 1u);  // all complaints
  kinds.uv();
  const std::size_t kind_flow = at.kinds + kinds.position();
  kinds.uv();
  const std::size_t kind_cases = at.kinds + kinds.position();
  BOOST_TEST(decode_error(with_uv(bytes, kind_flow, 99), rules) ==
             "snapshot: case kind 0 names an unknown version or flow");
  BOOST_TEST(decode_error(with_uv(bytes, kind_cases, (bytes.size() - kind_cases) / 2), rules) ==
             "snapshot: case kinds count more cases than the snapshot holds");
  // A second case named as the first: its fields, history (kept) and no clocks, then case 1.
  for (const detail::field_def& f : fl.fields)
    f.type == value_type::string || f.type == value_type::boolean || f.type == value_type::enumeration ? (void)in.uv()
                                                                                                       : (void)in.zz();
  const std::uint64_t history = in.uv();
  for (std::uint64_t i = 0; i < history; ++i) {
    in.zz();
    in.uv();
    in.uv();
    in.uv();
    in.u8();
  }
  BOOST_TEST_REQUIRE(fl.clocks.empty());
  BOOST_TEST_REQUIRE(in.uv() == 0u);
  const std::size_t second_name = at.cases + in.position();
  const std::string_view second(in.vstr());
  BOOST_TEST_REQUIRE(!in.failed());
  BOOST_TEST_REQUIRE(second == original.case_name(1));
  std::string renamed;
  store_detail::writer(renamed).vstr(first_name);
  renamed = bytes.substr(0, second_name) + renamed + bytes.substr(at.cases + in.position());
  BOOST_TEST(decode_error(renamed, rules) == "snapshot: case 1 (" + first_name + ") refused: duplicate_case");
}

// Recovery from a snapshot cut short: refused with the section and the snapshot's seq, and no
// engine comes back half restored.
BOOST_AUTO_TEST_CASE(recovery_refuses_a_cut_snapshot_and_returns_no_engine) {
  temp_dir dir;
  std::uint64_t seq = 0;
  {
    open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()));
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    auto read = [&]() -> const engine& { return d.engine->state(); };
    run(*d.engine, read, 0, 200);
    BOOST_TEST_REQUIRE(d.engine->snapshot().ok());
    seq = d.engine->snapshot_seq();
  }
  std::optional<crmflow::snapshot> snap;
  {
    std::unique_ptr<store> s = open_or_fail(dir.db());
    BOOST_TEST_REQUIRE(s->load_snapshot(snap).ok());
    BOOST_TEST_REQUIRE(snap.has_value());
    const v5_sections at = sections_of(snap->bytes);
    snap->bytes.resize(at.kinds + 2);
    BOOST_TEST_REQUIRE(s->save_snapshot(*snap).ok());  // with a checksum that fits the cut bytes
  }
  open_durable_result d = durable_engine::open(complaint_rules(), open_or_fail(dir.db()));
  BOOST_TEST((d.status.code() == store_code::corrupted));
  BOOST_TEST(d.status.seq() == seq);
  BOOST_TEST(d.status.message() == "snapshot: truncated case kinds (at byte " + std::to_string(snap->bytes.size()) +
                                       ") (snapshot covering seq " + std::to_string(seq) + ")");
  BOOST_TEST(!d.engine);
}

// Case names are kept in one buffer with an index over it: every name and the case it names
// survive the index growing, unnamed cases before and between named ones, a snapshot and a
// restore; duplicates are refused on both paths.
BOOST_AUTO_TEST_CASE(case_names_find_every_case_through_growth_and_restore) {
  const auto rules = complaint_rules();
  engine e(rules);
  const timestamp at = 1'772'000'000'000;
  auto name_of = [](std::size_t i) { return i < 10 || i % 3 == 0 ? std::string() : "投诉-" + std::to_string(i); };
  constexpr std::size_t n = 5000;
  for (std::size_t i = 0; i < n; ++i) {
    const create_result r = e.create_case(0, name_of(i), at);
    BOOST_TEST_REQUIRE(r.accepted());
    BOOST_TEST_REQUIRE(r.id == i);
  }
  BOOST_TEST((e.create_case(0, "投诉-11", at).status == status::duplicate_case));
  engine copy(rules);
  BOOST_TEST_REQUIRE(decode_engine(encode_engine(e), copy).ok());
  for (const engine* x : {&e, &copy}) {
    BOOST_TEST_REQUIRE(x->case_count() == n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string name = name_of(i);
      wrong += x->case_name(static_cast<case_id>(i)) != name;
      if (!name.empty()) wrong += x->find_case(name) != std::optional<case_id>(static_cast<case_id>(i));
    }
    BOOST_TEST(wrong == 0u);
    BOOST_TEST(!x->find_case("投诉-3"));  // case 3 has no name
    BOOST_TEST(!x->find_case("投诉-5000"));
    BOOST_TEST(!x->find_case(""));
    BOOST_CHECK_THROW(x->case_name(static_cast<case_id>(n)), std::out_of_range);
  }
  BOOST_TEST((copy.restore_case(0, "投诉-4999", 0, nullptr).status == status::duplicate_case));
  BOOST_TEST(copy.restore_case(0, "投诉-5000", 0, nullptr).accepted());
  BOOST_TEST(copy.find_case("投诉-5000") == std::optional<case_id>(static_cast<case_id>(n)));
}
