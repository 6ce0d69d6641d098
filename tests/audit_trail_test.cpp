// The audit trail (audit_trail.hpp): canonical records with actors written by durable_engine in
// the same commit as their input, the SQLite store's hash chain, and `crmflow audit export` /
// `verify` finding an edited, deleted, inserted or reordered record in the store or in a file.
#define BOOST_TEST_MODULE audit_trail
#include "test_support.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <crmflow/audit_trail.hpp>
#include <crmflow/durable_engine.hpp>
#include <crmflow/store.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace crmflow;
using namespace crmflow_test;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("crmflow-audit-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  fs::path operator/(const std::string& name) const { return path / name; }
};

constexpr std::string_view rules_yaml = R"(flows:
  repair:
    label: 报修
    fields:
      worker: {type: string}
      urgent: {type: bool}
    events:
      assign:
        data:
          worker: string
      finish:
    initial: new
    states:
      new:
        label: 新建
        on:
          assign:
            to: working
            do:
              - set: worker
                from: event.worker
              - notify: "{worker}"
                message: "派单 {case}"
      working:
        label: 处理中
        timers:
          - name: late
            after: 2h
            do:
              - alarm: late
                to: manager
                message: "{case} 超时"
        on:
          finish: {to: done}
      done:
        label: 完成
        final: true
)";

std::unique_ptr<store> open_store(const fs::path& p, bool read_only = false) {
  sqlite_store_options o;
  o.sync = sync_mode::normal;
  o.read_only = read_only;
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

std::vector<audit_entry> read_trail(store& s, store_status* status = nullptr) {
  std::vector<audit_entry> out;
  const store_status st = s.read_audit(1, [&](const audit_entry& e) {
    out.push_back(e);
    return true;
  });
  if (status) *status = st;
  else BOOST_TEST(st.ok(), st.message());
  return out;
}

// A store with a short history: R-1 created by 王芳, assigned by 张三, finished 3h later by
// 李四 (the 2h limit fired in between); R-2 posted to but never created (refused).
void write_history(const fs::path& db) {
  auto rules = load_ok(rules_yaml);
  durable_options o;
  o.actor = "desk";
  open_durable_result d = durable_engine::open(rules, open_store(db), {}, o);
  BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
  durable_engine& eng = *d.engine;
  const timestamp t0 = *parse_timestamp("2026-03-02T09:00:00+08:00");
  const flow_id f = *rules->find_flow("repair");
  const event_id assign = *rules->find_event(f, "assign");
  const event_id finish = *rules->find_event(f, "finish");
  const case_id c = eng.create_case(f, "R-1", t0, nullptr, "王芳").value.id;
  data_record rec;
  rec.set(0, eng.intern("张\"师傅\""));
  BOOST_TEST(eng.post(c, assign, rec, t0 + 5 * m, "张三").value.accepted());
  BOOST_TEST(eng.post(c, finish, {}, t0 + 3 * h, "李四").value.accepted());
  BOOST_TEST(eng.post(7, finish, {}, t0 + 3 * h).value.status == status::unknown_case);
}

const std::vector<std::string> expected_records = {
    R"({"actor":"王芳","at":"2026-03-02T09:00:00+08:00","case":"R-1","flow":"repair","outcome":"accepted","type":"create"})",
    R"({"actor":"王芳","at":"2026-03-02T09:00:00+08:00","case":"R-1","flow":"repair","state":"new","type":"created"})",
    R"({"actor":"张三","at":"2026-03-02T09:05:00+08:00","case":"R-1","data":{"worker":"张\"师傅\""},"event":"assign","flow":"repair","outcome":"accepted","type":"event"})",
    R"({"actor":"张三","at":"2026-03-02T09:05:00+08:00","case":"R-1","cause":"posted","event":"assign","flow":"repair","from":"new","to":"working","type":"transition"})",
    R"({"actor":"张三","at":"2026-03-02T09:05:00+08:00","case":"R-1","field":"worker","flow":"repair","type":"set","value":"张\"师傅\""})",
    R"({"actor":"张三","at":"2026-03-02T09:05:00+08:00","case":"R-1","flow":"repair","message":"派单 R-1","to":"张\"师傅\"","type":"notify"})",
    R"({"actor":"张三","at":"2026-03-02T09:05:00+08:00","case":"R-1","due":"2026-03-02T11:05:00+08:00","flow":"repair","timer":"late","type":"start_timer"})",
    R"({"actor":"李四","at":"2026-03-02T12:00:00+08:00","case":"R-1","event":"finish","flow":"repair","outcome":"accepted","type":"event"})",
    R"({"actor":"李四","at":"2026-03-02T11:05:00+08:00","case":"R-1","flow":"repair","timer":"late","type":"deadline"})",
    R"({"actor":"李四","at":"2026-03-02T11:05:00+08:00","case":"R-1","flow":"repair","message":"R-1 超时","name":"late","to":"manager","type":"alarm"})",
    R"({"actor":"李四","at":"2026-03-02T12:00:00+08:00","case":"R-1","cause":"posted","event":"finish","flow":"repair","from":"working","to":"done","type":"transition"})",
    R"({"actor":"desk","at":"2026-03-02T12:00:00+08:00","case":"#7","event":"#1","outcome":"unknown_case","type":"event"})",
    R"({"actor":"desk","at":"2026-03-02T12:00:00+08:00","case":"#7","cause":"posted","event":"#1","reason":"unknown_case","type":"rejected"})",
};

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

run_result cli(const temp_dir& t, const std::string& args) {
  const std::string cmd = std::string("'") + CRMFLOW_CLI + "' " + args + " </dev/null >'" + (t / "stdout").string() +
                          "' 2>'" + (t / "stderr").string() + "'";
  const int status = std::system(cmd.c_str());
  run_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(t / "stdout");
  r.err = slurp(t / "stderr");
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  std::ofstream out(p, std::ios::binary);
  for (const std::string& l : lines) out << l << '\n';
}

}  // namespace

BOOST_AUTO_TEST_CASE(canonical_strings_match_a_json_library) {
  std::string s;
  static constexpr char input[] = "a\"b\\c\n\t\x01\x1f\x7f/中文\xff";
  append_json_string(s, std::string_view(input, sizeof input - 1));
  BOOST_TEST(s == "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f/中文\xEF\xBF\xBD\"");
  const std::string record = R"({"a":1,"b":"x\u0001\"y","c":{"k":"中"},"d":true})";
  BOOST_TEST(nlohmann::json::parse(record).dump() == record);
}

BOOST_AUTO_TEST_CASE(hash_is_sha256_of_prev_seq_and_record) {
  // python3 -c 'import hashlib; print(hashlib.sha256(("0"*64+"\n1\n{}").encode()).hexdigest())'
  BOOST_TEST(audit_hash(audit_genesis, 1, "{}") == "857ee6299d26533d1f5f46c02209ae8bc34dc4898a8a9545493946b4ea59d6f3");
}

// audit_hasher (one SHA-256 fetch and one digest context for many records, what `crmflow audit
// verify` uses) gives audit_hash's hash for every call in a row, whatever came before: a prev of
// the chain's 64 digits and others (hashed as given), seq 0 and the largest, empty records.
BOOST_AUTO_TEST_CASE(audit_hasher_reused_gives_audit_hash) {
  audit_hasher hasher;
  char out[64];
  const auto hashed = [&](std::string_view prev, std::uint64_t seq, std::string_view record) {
    hasher.hash(prev, seq, record, out);
    return std::string(out, sizeof out);
  };
  BOOST_TEST(hashed(audit_genesis, 1, "{}") == "857ee6299d26533d1f5f46c02209ae8bc34dc4898a8a9545493946b4ea59d6f3");
  // python3 -c 'import hashlib; print(hashlib.sha256("y\n0\n".encode()).hexdigest())'
  BOOST_TEST(hashed("y", 0, "") == "b7ad77afe9b0d553b74af9dbacdcf11470721b572d856b1ab10184a49bbb95e2");
  // python3 -c 'import hashlib; print(hashlib.sha256("\n18446744073709551615\n{\"k\":\"中\"}".encode()).hexdigest())'
  BOOST_TEST(hashed("", UINT64_MAX, R"({"k":"中"})") ==
             "a67325e263f639fb3ba194fac46eacd218271bcd57af8267672eb86239ace4b6");
  std::string prev(audit_genesis);
  for (std::uint64_t seq = 1; seq <= 50; ++seq) {
    const std::string record = R"({"n":)" + std::to_string(seq) + std::string(seq * 7, 'x') + "}";
    const std::string h = hashed(prev, seq, record);
    BOOST_TEST(h == audit_hash(prev, seq, record));
    prev = seq % 10 == 0 ? std::string("short") : h;
  }
}

BOOST_AUTO_TEST_CASE(durable_engine_writes_every_input_and_what_it_caused_with_its_actor) {
  temp_dir t;
  write_history(t / "s.db");
  auto s = open_store(t / "s.db", true);
  const std::vector<audit_entry> trail = read_trail(*s);
  lines got;
  for (const audit_entry& e : trail) got.push_back(e.record);
  BOOST_TEST(got == lines(expected_records));
  std::string prev(audit_genesis);
  for (std::size_t i = 0; i < trail.size(); ++i) {
    BOOST_TEST(trail[i].seq == i + 1);
    BOOST_TEST(trail[i].prev == prev);
    BOOST_TEST(trail[i].hash == audit_hash(prev, i + 1, trail[i].record));
    prev = trail[i].hash;
  }
}

namespace {
// Little-endian bytes built by hand from docs/store.md's layout, independently of the
// library's writer.
struct le_bytes {
  std::string out;
  le_bytes& u8(std::uint8_t v) { return fixed(v, 1); }
  le_bytes& u16(std::uint16_t v) { return fixed(v, 2); }
  le_bytes& u32(std::uint32_t v) { return fixed(v, 4); }
  le_bytes& i64(std::int64_t v) { return fixed(static_cast<std::uint64_t>(v), 8); }
  le_bytes& str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out += s;
    return *this;
  }
  le_bytes& fixed(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>(v >> (8 * i) & 0xFF);
    return *this;
  }
};

std::string hex_of(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 0xF];
  }
  return out;
}
}  // namespace

// What is written, byte for byte: each journal record's payload (the layout in
// durable_engine.cpp and docs/store.md) and CRC-32, each audit record, and each hash of the
// chain. The checksums and hashes were computed outside crmflow (python3 zlib.crc32 and
// hashlib.sha256 over the same bytes), so a faster encoder, checksum or hash that changes a
// single byte fails here.
BOOST_AUTO_TEST_CASE(the_journal_and_the_chain_are_pinned_byte_for_byte) {
  temp_dir t;
  write_history(t / "s.db");
  const timestamp t0 = *parse_timestamp("2026-03-02T09:00:00+08:00");
  {
    // One more input with initial fields (a string and a bool) and one with a raw slot past the
    // event's data (written as i64, tag 0), then time moved on.
    auto rules = load_ok(rules_yaml);
    open_durable_result d = durable_engine::open(rules, open_store(t / "s.db"));
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    data_record init;
    init.set(0, d.engine->intern("王五"));
    init.set(1, 1);
    const case_id c = d.engine->create_case(0, "R-2", t0 + 4 * h, &init, "前台").value.id;
    data_record odd;
    odd.set(0, d.engine->intern("赵六"));
    odd.set(5, -2);
    BOOST_TEST(d.engine->post(c, 0, odd, t0 + 4 * h + m).value.status == status::bad_data);  // journaled all the same
    d.engine->advance_to(t0 + 7 * h, "cron");
  }
  auto s = open_store(t / "s.db", true);

  struct expected_record {
    std::uint8_t kind;
    std::string payload;
    std::uint32_t checksum;
  };
  const std::vector<expected_record> expected_journal = {
      {1, le_bytes().u16(0).str("R-1").i64(t0).u8(0).u8(0).out, 2828370128u},
      {2, le_bytes().u32(0).u16(0).i64(t0 + 5 * m).u8(1).u8(0).u8(1).str("张\"师傅\"").out, 3154524560u},
      {2, le_bytes().u32(0).u16(1).i64(t0 + 3 * h).u8(0).out, 3551961920u},
      {2, le_bytes().u32(7).u16(1).i64(t0 + 3 * h).u8(0).out, 2041551661u},
      {1, le_bytes().u16(0).str("R-2").i64(t0 + 4 * h).u8(1).u8(2).u8(0).u8(1).str("王五").u8(1).u8(0).i64(1).out, 2380900342u},
      {2, le_bytes().u32(1).u16(0).i64(t0 + 4 * h + m).u8(2).u8(0).u8(1).str("赵六").u8(5).u8(0).i64(-2).out, 545749663u},
      {3, le_bytes().i64(t0 + 7 * h).out, 3254698280u},
  };
  std::vector<journal_record> journal;
  BOOST_TEST(s->read(1, [&](const journal_record& r) {
                journal.push_back(r);
                return true;
              }).ok());
  BOOST_TEST_REQUIRE(journal.size() == expected_journal.size());
  for (std::size_t i = 0; i < journal.size(); ++i) {
    BOOST_TEST_CONTEXT("journal seq " << i + 1) {
      BOOST_TEST(journal[i].seq == i + 1);
      BOOST_TEST(+journal[i].kind == +expected_journal[i].kind);
      BOOST_TEST(hex_of(journal[i].payload) == hex_of(expected_journal[i].payload));
      BOOST_TEST(journal[i].checksum == expected_journal[i].checksum);
      BOOST_TEST(record_checksum(journal[i].seq, journal[i].kind, journal[i].payload) == expected_journal[i].checksum);
    }
  }

  std::vector<std::string> records = expected_records;
  const std::vector<std::string> more = {
      R"({"actor":"前台","at":"2026-03-02T13:00:00+08:00","case":"R-2","fields":{"urgent":true,"worker":"王五"},"flow":"repair","outcome":"accepted","type":"create"})",
      R"({"actor":"前台","at":"2026-03-02T13:00:00+08:00","case":"R-2","flow":"repair","state":"new","type":"created"})",
      R"({"actor":"system","at":"2026-03-02T13:01:00+08:00","case":"R-2","data":{"#5":-2,"worker":"赵六"},"event":"assign","flow":"repair","outcome":"bad_data","type":"event"})",
      R"({"actor":"system","at":"2026-03-02T13:01:00+08:00","case":"R-2","cause":"posted","event":"assign","flow":"repair","reason":"bad_data","type":"rejected"})",
      R"({"actor":"cron","at":"2026-03-02T16:00:00+08:00","type":"advance"})",
  };
  records.insert(records.end(), more.begin(), more.end());
  const std::vector<std::string> expected_hashes = {
      "cd91908bf39d36732efc2bc6b68b9a907655f18f215e948a7a02ad418be97c4c",
      "442eb343401e1d0ef4cc07fc6719b934fe45b45de65747a410defff0b6e85e12",
      "7f4e3719a414159f433e314f7f85c80459eb873a6426b35e2be46371e9fd4e9b",
      "0cc50b85a788e4c1c430efe091e8f40db6119a756c91f627f54b5bcdaa7f0cee",
      "0b5c20be21df68838957fd051351d3d7b7670180569a8c4096575f7f4d91f03e",
      "6c061b9a128fee978c68ae1e77c2ccf158ed278c8c2f3f2befa62885a00093c6",
      "8456b291916aa89418272af929e59d29b789060ab08e4d269f5944ed55eb835e",
      "0f90f20576a29a6a94fdc6e4d892387086afc8446dce7414ccf90669b31aad57",
      "760ff65ca930cab5d6b0f80a4bd1e1740e7458140e090703816fcd1457bba2db",
      "97c7a91f5adc517661b09d810070a26c85566431eb356d65d46ddd1aadf7d563",
      "13ac0066bb2f21a0b66f95ff0a13a493272cbfe77d556ebc576e34b58e3660b8",
      "963d173d866d02522e955c15c92141b062a04f188a6f568104fb6842a16abc71",
      "48946195582444fcb3ec79186d9852fc0803287dcb7dced79c5021d23ad076e5",
      "b3432830d6bf06b98149b5e5a0c3e335242a4e2166f2eba7bf30ef9c5de2063e",
      "5e3e3c7d68aaa89750176ab4b2b2f27ffbf446e947d356fbe2de3ef792d60547",
      "bcc8beaae061f04979e9d9f0da7f11cf20a1b8ef7a1a10924e23d77fac4a481c",
      "530ce9855c8897dd2f9245bc6a1a8826a420ad5b64e040ebf13ff1bc81312a72",
      "b6d304ee2963e359287dba0827d92e04e27b38a7bd242b40903e50b05a8bab7e",
  };
  const std::vector<audit_entry> trail = read_trail(*s);
  lines got;
  for (const audit_entry& e : trail) got.push_back(e.record);
  BOOST_TEST(got == lines(records));
  BOOST_TEST_REQUIRE(trail.size() == expected_hashes.size());
  for (std::size_t i = 0; i < trail.size(); ++i) {
    BOOST_TEST_CONTEXT("audit seq " << i + 1) {
      BOOST_TEST(trail[i].prev == (i == 0 ? std::string(audit_genesis) : expected_hashes[i - 1]));
      BOOST_TEST(trail[i].hash == expected_hashes[i]);
      BOOST_TEST(audit_hash(trail[i].prev, i + 1, trail[i].record) == expected_hashes[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_trail_continues_after_reopening_and_recovery_ignores_it) {
  temp_dir t;
  write_history(t / "s.db");
  auto rules = load_ok(rules_yaml);
  open_durable_result d = durable_engine::open(rules, open_store(t / "s.db"));
  BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
  BOOST_TEST(d.engine->state().state(0) == *rules->find_state(0, "done"));
  d.engine->advance_to(*parse_timestamp("2026-03-03T00:00:00Z"), "cron");
  d.engine.reset();
  auto s = open_store(t / "s.db", true);
  const std::vector<audit_entry> trail = read_trail(*s);
  BOOST_TEST_REQUIRE(trail.size() == expected_records.size() + 1);
  BOOST_TEST(trail.back().record == R"({"actor":"cron","at":"2026-03-03T08:00:00+08:00","type":"advance"})");
}

// Each kind of damage is named with the first bad seq.
BOOST_AUTO_TEST_CASE(tampering_with_the_store_is_located) {
  struct damage {
    std::string sql;
    std::uint64_t seq;
    std::string says;
  };
  const std::vector<damage> cases = {
      {"UPDATE audit SET record = replace(record, '张三', '王五') WHERE seq = 4", 4, "was altered"},
      {"DELETE FROM audit WHERE seq = 6", 6, "is missing (deleted; the next one is seq 7)"},
      {"UPDATE audit SET seq = -1 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 6;"
       "UPDATE audit SET seq = 6 WHERE seq = -1",
       5, "does not follow seq 4"},
      {"DELETE FROM audit WHERE seq >= 11", 11, "is missing (deleted; the trail ends at seq 10, its committed head is seq 13)"},
      {"INSERT INTO audit VALUES (14, '{}', (SELECT hash FROM audit WHERE seq = 13), '" + audit_hash("y", 0, "") + "')",
       14, "was altered"},
  };
  for (const damage& d : cases) {
    BOOST_TEST_CONTEXT(d.sql) {
      temp_dir t;
      write_history(t / "s.db");
      exec_sql(t / "s.db", d.sql);
      auto s = open_store(t / "s.db", true);
      store_status st;
      read_trail(*s, &st);
      BOOST_TEST(to_string(st.code()) == "corrupted");
      BOOST_TEST(st.seq() == d.seq);
      BOOST_TEST(st.message().find("record at seq " + std::to_string(d.seq) + " " + d.says) != std::string::npos,
                 st.message());
    }
  }
}

// Someone who rewrites a record with a valid hash of its own is caught by the next record's
// prev, or at the end by the head the store committed in meta.
BOOST_AUTO_TEST_CASE(a_correctly_rehashed_record_is_caught_by_the_next_link_or_the_head) {
  struct damage {
    std::uint64_t seq;  // record rewritten (14: one appended)
    std::uint64_t found;
    std::string says;
  };
  for (const damage& d : {damage{3, 4, "does not follow seq 3"},
                          damage{13, 13, "does not match the trail's committed head hash (replaced)"},
                          damage{14, 14, "is past the trail's committed head (seq 13): added afterwards"}}) {
    BOOST_TEST_CONTEXT("seq " << d.seq) {
      temp_dir t;
      write_history(t / "s.db");
      std::string prev;
      {
        auto s = open_store(t / "s.db", true);
        const std::vector<audit_entry> trail = read_trail(*s);
        prev = d.seq == 14 ? trail.back().hash : trail[d.seq - 1].prev;
      }
      const std::string hash = audit_hash(prev, d.seq, "{}");
      exec_sql(t / "s.db", "INSERT OR REPLACE INTO audit VALUES (" + std::to_string(d.seq) + ", '{}', '" + prev + "', '" +
                               hash + "')");
      auto s = open_store(t / "s.db", true);
      store_status st;
      read_trail(*s, &st);
      BOOST_TEST(st.seq() == d.found);
      BOOST_TEST(st.message().find("record at seq " + std::to_string(d.found) + " " + d.says) != std::string::npos,
                 st.message());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_writer_continues_from_the_head_so_a_cut_tail_stays_visible) {
  temp_dir t;
  write_history(t / "s.db");
  exec_sql(t / "s.db", "DELETE FROM audit WHERE seq = 13");
  {
    auto rules = load_ok(rules_yaml);
    open_durable_result d = durable_engine::open(rules, open_store(t / "s.db"));
    BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
    d.engine->advance_to(*parse_timestamp("2026-03-03T00:00:00Z"));
  }
  auto s = open_store(t / "s.db", true);
  store_status st;
  read_trail(*s, &st);
  BOOST_TEST(st.seq() == 13u);
  BOOST_TEST(st.message().find("is missing (deleted; the next one is seq 14)") != std::string::npos, st.message());
}

BOOST_AUTO_TEST_CASE(cli_export_and_verify_locate_damage_in_a_file) {
  temp_dir t;
  write_history(t / "s.db");
  const run_result v = cli(t, "audit verify --store '" + (t / "s.db").string() + "'");
  BOOST_TEST(v.exit_code == 0, v.err);
  const run_result ex = cli(t, "audit export --store '" + (t / "s.db").string() + "'");
  BOOST_TEST_REQUIRE(ex.exit_code == 0, ex.err);
  const std::vector<std::string> good = lines_of(ex.out);
  BOOST_TEST_REQUIRE(good.size() == expected_records.size());
  // Each line is the stored record with seq, prev and hash added.
  for (std::size_t i = 0; i < good.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(good[i]);
    BOOST_TEST(j["seq"] == i + 1);
    j.erase("seq");
    j.erase("prev");
    j.erase("hash");
    BOOST_TEST(j.dump() == expected_records[i]);
  }
  const std::string head = nlohmann::json::parse(good.back())["hash"];
  BOOST_TEST(v.out == "ok: 13 records, head " + head + "\n");

  auto check = [&](const std::vector<std::string>& lines, const std::string& extra, int code, const std::string& err) {
    write_lines(t / "x.jsonl", lines);
    const run_result r = cli(t, "audit verify '" + (t / "x.jsonl").string() + "'" + extra);
    BOOST_TEST(r.exit_code == code);
    BOOST_TEST(r.err == err);
  };
  const std::string x = "crmflow audit: " + (t / "x.jsonl").string();
  check(good, "", 0, "");
  check(good, " --expect-head " + head, 0, "");
  std::vector<std::string> edited = good;
  edited[4].replace(edited[4].find("张三"), std::string("张三").size(), "王五");
  check(edited, "", 1, x + ":5: record seq 5 was altered (its hash does not match its content)\n");
  std::vector<std::string> deleted = good;
  deleted.erase(deleted.begin() + 4);
  check(deleted, "", 1, x + ":5: expected seq 5 here, found seq 6: a record was deleted or moved\n");
  std::vector<std::string> swapped = good;
  std::swap(swapped[2], swapped[3]);
  check(swapped, "", 1, x + ":3: expected seq 3 here, found seq 4: a record was deleted or moved\n");
  std::vector<std::string> inserted = good;
  inserted.insert(inserted.begin() + 8, good[7]);
  check(inserted, "", 1, x + ":9: seq 8 where seq 9 was expected: a record was inserted, repeated or moved\n");
  // Deleted and renumbered: the hashes no longer link.
  std::vector<std::string> renumbered(good.begin(), good.begin() + 9);
  {
    nlohmann::json j = nlohmann::json::parse(good[10]);
    j["seq"] = 10;
    renumbered.push_back(j.dump());
  }
  check(renumbered, "", 1, x + ":10: record seq 10 was altered (its hash does not match its content)\n");
  std::vector<std::string> cut(good.begin(), good.end() - 1);
  check(cut, " --expect-head " + head, 1,
        "crmflow audit: the trail ends at seq 12 with hash " + nlohmann::json::parse(good[11])["hash"].get<std::string>() +
            ", not the expected head " + head + " (records deleted at the end, or another trail)\n");

  exec_sql(t / "s.db", "UPDATE audit SET record = replace(record, '李四', '王五') WHERE seq = 8");
  const run_result bad = cli(t, "audit verify --store '" + (t / "s.db").string() + "'");
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err == "crmflow audit: audit trail of " + (t / "s.db").string() +
                            ": record at seq 8 was altered (its hash does not match its content)\n");
  const run_result partial = cli(t, "audit export --store '" + (t / "s.db").string() + "'");
  BOOST_TEST(partial.exit_code == 1);
  BOOST_TEST(lines_of(partial.out).size() == 7u);
}

BOOST_AUTO_TEST_CASE(simulate_records_the_actor_of_each_line) {
  temp_dir t;
  {
    std::ofstream(t / "rules.yaml") << rules_yaml;
    std::ofstream(t / "ev.jsonl")
        << R"({"at":"2026-03-02T09:00:00+08:00","case":"R-1","flow":"repair","event":"create","actor":"王芳"})" "\n"
        << R"({"at":"2026-03-02T09:05:00+08:00","case":"R-1","event":"assign","data":{"worker":"张"}})" "\n"
        << R"({"at":"2026-03-02T09:06:00+08:00","case":"R-1","event":"finish","actor":""})" "\n";
  }
  const run_result r = cli(t, "simulate '" + (t / "rules.yaml").string() + "' '" + (t / "ev.jsonl").string() +
                                  "' --store '" + (t / "s.db").string() + "'");
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.err.find(":3: \"actor\" must be a non-empty string") != std::string::npos, r.err);
  auto s = open_store(t / "s.db", true);
  lines actors;
  for (const audit_entry& e : read_trail(*s)) {
    const nlohmann::json j = nlohmann::json::parse(e.record);
    actors.push_back(j["type"].get<std::string>() + " " + j["actor"].get<std::string>());
  }
  BOOST_TEST(actors == lines({"create 王芳", "created 王芳", "event system", "transition system", "set system",
                              "notify system", "start_timer system"}));
}

namespace {
// Passes everything to a SQLite store, failing commits on demand.
class failing_commits final : public store {
 public:
  explicit failing_commits(std::unique_ptr<store> inner) : inner_(std::move(inner)) {}
  bool fail = false;
  store_status append(const journal_record& r) override { return inner_->append(r); }
  store_status commit() override {
    if (!fail) return inner_->commit();
    inner_->rollback();
    return store_status::error(store_code::write_failed, "injected: write failed");
  }
  void rollback() noexcept override { inner_->rollback(); }
  std::uint64_t last_seq() const noexcept override { return inner_->last_seq(); }
  store_status read(std::uint64_t from, const std::function<bool(const journal_record&)>& v) override {
    return inner_->read(from, v);
  }
  store_status save_snapshot(const crmflow::snapshot& s) override { return inner_->save_snapshot(s); }
  store_status load_snapshot(std::optional<crmflow::snapshot>& out) override { return inner_->load_snapshot(out); }
  bool keeps_audit_trail() const noexcept override { return inner_->keeps_audit_trail(); }
  store_status append_audit(std::string_view r) override { return inner_->append_audit(r); }
  store_status read_audit(std::uint64_t from, const std::function<bool(const audit_entry&)>& v) override {
    return inner_->read_audit(from, v);
  }

 private:
  std::unique_ptr<store> inner_;
};
}  // namespace

// The input is applied before its commit (its records must be in the same commit): when the
// commit fails, the engine is rebuilt and neither the input nor its records remain.
BOOST_AUTO_TEST_CASE(a_failed_commit_leaves_neither_the_input_nor_its_records) {
  temp_dir t;
  auto rules = load_ok(rules_yaml);
  auto owned = std::make_unique<failing_commits>(open_store(t / "s.db"));
  failing_commits& fs = *owned;
  open_durable_result d = durable_engine::open(rules, std::move(owned));
  BOOST_TEST_REQUIRE(d.status.ok(), d.status.message());
  durable_engine& eng = *d.engine;
  const timestamp t0 = *parse_timestamp("2026-03-02T09:00:00+08:00");
  const case_id c = eng.create_case(0, "R-1", t0).value.id;
  data_record rec;
  rec.set(0, eng.intern("张"));
  fs.fail = true;
  const durable_result<outcome> r = eng.post(c, 0, rec, t0 + m, "张三");
  BOOST_TEST(!r.acknowledged());
  BOOST_TEST(r.stored.message() == "injected: write failed");
  BOOST_TEST(eng.state().state(c) == *rules->find_state(0, "new"));
  BOOST_TEST(eng.last_seq() == 1u);
  fs.fail = false;
  rec.set(0, eng.intern("张"));  // the rebuilt engine has a string pool of its own
  BOOST_TEST(eng.post(c, 0, rec, t0 + 2 * m, "李四").value.accepted());
  lines types;
  for (const audit_entry& e : read_trail(fs)) {
    const nlohmann::json j = nlohmann::json::parse(e.record);
    types.push_back(j["type"].get<std::string>() + " " + j["actor"].get<std::string>());
  }
  BOOST_TEST(types == lines({"create system", "created system", "event 李四", "transition 李四", "set 李四",
                             "notify 李四", "start_timer 李四"}));
}

// replay reads the store and changes nothing in it; a damaged trail is refused, not replayed.
BOOST_AUTO_TEST_CASE(replay_only_reads_and_refuses_a_damaged_trail) {
  temp_dir t;
  write_history(t / "s.db");
  std::ofstream(t / "rules.yaml") << rules_yaml;
  const std::string store_arg = " --store '" + (t / "s.db").string() + "'";
  const run_result before = cli(t, "audit export" + store_arg);
  const run_result same = cli(t, "replay" + store_arg + " --rules '" + (t / "rules.yaml").string() + "'");
  BOOST_TEST(same.exit_code == 0, same.err);
  BOOST_TEST(same.out == "1 case, 0 end differently, 0 differ only on the way\n");  // #7 never existed
  const run_result after = cli(t, "audit export" + store_arg);
  BOOST_TEST(after.out == before.out);
  {
    auto writer = open_store(t / "s.db");  // a writer holds the store: replay is refused at once
    const run_result locked = cli(t, "replay" + store_arg + " --rules '" + (t / "rules.yaml").string() + "'");
    BOOST_TEST(locked.exit_code == 2);
    BOOST_TEST(locked.err.find("is locked by another process") != std::string::npos, locked.err);
  }
  exec_sql(t / "s.db", "DELETE FROM audit WHERE seq = 6");
  const run_result damaged = cli(t, "replay" + store_arg + " --rules '" + (t / "rules.yaml").string() + "'");
  BOOST_TEST(damaged.exit_code == 2);
  BOOST_TEST(damaged.out == "");
  BOOST_TEST(damaged.err == "crmflow replay: audit trail of " + (t / "s.db").string() +
                                ": record at seq 6 is missing (deleted; the next one is seq 7)\n");
}

// The demo month (triggers, opened cases, business-hour timers) replayed against the rules that
// wrote it tells exactly the recorded story, case by case.
BOOST_AUTO_TEST_CASE(the_month_replayed_against_its_own_rules_differs_nowhere) {
  temp_dir t;
  const std::string src = CRMFLOW_SOURCE_DIR;
  const run_result sim = cli(t, "simulate '" + src + "/rules' '" + src + "/examples/data/month.jsonl' --store '" +
                                    (t / "m.db").string() + "' --out /dev/null");
  BOOST_TEST_REQUIRE(sim.exit_code == 0, sim.err);
  const run_result r = cli(t, "replay --store '" + (t / "m.db").string() + "' --rules '" + src + "/rules'");
  BOOST_TEST(r.exit_code == 0, r.err);
  const std::string tail = " cases, 0 end differently, 0 differ only on the way\n";
  BOOST_TEST_REQUIRE(r.out.size() > tail.size() + 2);
  BOOST_TEST(r.out.substr(r.out.size() - tail.size()) == tail);
  BOOST_TEST(std::stoi(r.out) > 200);
}

// A state's timer is recorded when it starts on entry and when leaving the state stops it;
// an audit_recorder works on a plain engine too.
BOOST_AUTO_TEST_CASE(state_timers_start_and_stop_in_the_records) {
  auto rules = load_ok(rules_yaml);
  audit_recorder recorder;
  engine_options o;
  o.observer = &recorder;
  o.display_utc_offset_minutes = 0;
  engine eng(rules, o);
  const timestamp t0 = *parse_timestamp("2026-03-02T09:00:00Z");
  const case_id c = eng.create_case(0, "R-9", t0).id;
  data_record rec;
  rec.set(0, eng.intern("张"));
  recorder.set_actor("desk");
  recorder.set_recording(true);
  BOOST_TEST(eng.post(c, 0, rec, t0 + m).accepted());
  BOOST_TEST(eng.post(c, 1, {}, t0 + h).accepted());
  lines got(recorder.records());
  BOOST_TEST(got == lines({
      R"({"actor":"desk","at":"2026-03-02T09:01:00Z","case":"R-9","cause":"posted","event":"assign","flow":"repair","from":"new","to":"working","type":"transition"})",
      R"({"actor":"desk","at":"2026-03-02T09:01:00Z","case":"R-9","field":"worker","flow":"repair","type":"set","value":"张"})",
      R"({"actor":"desk","at":"2026-03-02T09:01:00Z","case":"R-9","flow":"repair","message":"派单 R-9","to":"张","type":"notify"})",
      R"({"actor":"desk","at":"2026-03-02T09:01:00Z","case":"R-9","due":"2026-03-02T11:01:00Z","flow":"repair","timer":"late","type":"start_timer"})",
      R"({"actor":"desk","at":"2026-03-02T10:00:00Z","case":"R-9","cause":"posted","event":"finish","flow":"repair","from":"working","to":"done","type":"transition"})",
      R"({"actor":"desk","at":"2026-03-02T10:00:00Z","case":"R-9","flow":"repair","timer":"late","type":"cancel_timer"})",
  }));
  BOOST_TEST(recorder.post_record(eng, c, 1, {}, t0 + 2 * h, status::no_transition) ==
             R"({"actor":"desk","at":"2026-03-02T11:00:00Z","case":"R-9","event":"finish","flow":"repair","outcome":"no_transition","type":"event"})");
}

// One byte changed in the database file itself, under SQLite (which keeps no checksums).
BOOST_AUTO_TEST_CASE(a_byte_edited_in_the_database_file_is_located) {
  temp_dir t;
  write_history(t / "s.db");
  BOOST_TEST_REQUIRE(!fs::exists(t / "s.db-wal"));  // checkpointed on close: the rows are in s.db
  std::string bytes = slurp(t / "s.db");
  const std::string needle = "派单 R-1";  // only in the notify record, seq 6
  const std::size_t at = bytes.find(needle);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  BOOST_TEST_REQUIRE(bytes.find(needle, at + 1) == std::string::npos);
  bytes[at + needle.size() - 3] = 'Q';  // R-1 -> Q-1
  std::ofstream(t / "s.db", std::ios::binary | std::ios::trunc) << bytes;
  auto s = open_store(t / "s.db", true);
  store_status st;
  read_trail(*s, &st);
  BOOST_TEST(st.seq() == 6u);
  BOOST_TEST(st.message() == "audit trail of " + (t / "s.db").string() +
                                 ": record at seq 6 was altered (its hash does not match its content)");
}
