// crmflow audit export --store PATH [--out FILE]
// crmflow audit verify (--store PATH | FILE.jsonl) [--expect-head HASH]
//
// The store's audit trail (audit_trail.hpp) as JSON Lines, and the check of its hash chain.
// An exported line is the stored record (canonical JSON) with "seq", "prev" and "hash" added,
// itself canonical, so that verifying a file needs nothing but the file: take the three keys
// out, write the rest canonically (nlohmann's dump() of a parsed object is exactly that:
// keys sorted, no spaces, the same escapes) and hash it as the store did.
#include <nlohmann/json.hpp>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include "cli/commands.hpp"
#include "cli/input.hpp"
#include "crmflow/audit_trail.hpp"
#include "crmflow/store.hpp"

namespace crmflow::cli {
namespace {

using json = nlohmann::json;

int fail(std::string_view message) {
  std::fprintf(stderr, "crmflow audit: %.*s\n", static_cast<int>(message.size()), message.data());
  return exit_failure;
}

bool is_hash(const json& j) {
  if (!j.is_string()) return false;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::unique_ptr<store> open_read_only(std::string_view path, std::string& error) {
  sqlite_store_options o;
  o.read_only = true;
  open_store_result s = open_sqlite_store(std::filesystem::path(path), o);
  if (!s.status) error = s.status.message();
  return std::move(s.store);
}

int run_export(const args& a) {
  std::optional<std::string_view> store_path, out_path;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool missing = false;
    if (auto st = option_value(a, i, "--store", missing)) {
      if (missing || st->empty()) return usage_error("audit export", "--store needs a file name");
      store_path = *st;
    } else if (auto o = option_value(a, i, "--out", missing)) {
      if (missing || o->empty()) return usage_error("audit export", "--out needs a file name");
      out_path = *o;
    } else {
      return usage_error("audit export", "unexpected argument " + std::string(a[i]));
    }
  }
  if (!store_path) return usage_error("audit export", "expected --store PATH");
  std::string error;
  const std::unique_ptr<store> s = open_read_only(*store_path, error);
  if (!s) return fail(error);
  std::FILE* out = stdout;
  if (out_path) {
    out = std::fopen(std::string(*out_path).c_str(), "wb");
    if (!out) return fail("cannot write " + std::string(*out_path));
  }
  std::string line;
  std::uint64_t count = 0;
  bool bad_record = false;
  const store_status st = s->read_audit(1, [&](const audit_entry& e) {
    json j = json::parse(e.record, nullptr, false);
    if (!j.is_object()) {
      error = "audit record at seq " + std::to_string(e.seq) + " is not a JSON object";
      bad_record = true;
      return false;
    }
    j["seq"] = e.seq;
    j["prev"] = e.prev;
    j["hash"] = e.hash;
    line = j.dump();
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out);
    ++count;
    return true;
  });
  bool write_ok = std::fflush(out) == 0 && !std::ferror(out);
  if (out != stdout && std::fclose(out) != 0) write_ok = false;
  if (!st) return fail(st.message() + " (exported the " + std::to_string(count) + " records before it)");
  if (bad_record) return fail(error);
  if (!write_ok) return fail("error writing " + std::string(out_path ? *out_path : "stdout"));
  return exit_ok;
}

int verified(std::uint64_t count, const std::string& head, std::optional<std::string_view> expect_head) {
  if (expect_head && head != *expect_head)
    return fail("the trail ends at seq " + std::to_string(count) + " with hash " + head + ", not the expected head " +
                std::string(*expect_head) + " (records deleted at the end, or another trail)");
  std::printf("ok: %" PRIu64 " records, head %s\n", count, head.c_str());
  return exit_ok;
}

int verify_store(std::string_view path, std::optional<std::string_view> expect_head) {
  std::string error;
  const std::unique_ptr<store> s = open_read_only(path, error);
  if (!s) return fail(error);
  std::uint64_t count = 0;
  std::string head(audit_genesis);
  const store_status st = s->read_audit(1, [&](const audit_entry& e) {
    count = e.seq;
    head = e.hash;
    return true;
  });
  if (!st) return fail(st.message());
  return verified(count, head, expect_head);
}

int verify_file(std::string_view path, std::optional<std::string_view> expect_head) {
  // SHA-256 fetched once and one digest context for every line (before the file is opened:
  // it throws only std::bad_alloc, and nothing is left open then).
  audit_hasher hasher;
  const auto hash_is = [&hasher](std::string_view prev, std::uint64_t seq, std::string_view record,
                                 std::string_view expected) {
    char digest[64];
    hasher.hash(prev, seq, record, digest);
    return std::string_view(digest, sizeof digest) == expected;
  };
  std::FILE* in = path == "-" ? stdin : std::fopen(std::string(path).c_str(), "rb");
  if (!in) return fail("cannot open " + std::string(path));
  line_reader reader(in);
  std::string_view text;
  bool too_long = false;
  std::uint64_t number = 0, expected = 1;
  std::string prev(audit_genesis);
  std::string problem;
  while (problem.empty() && reader.next(text, too_long)) {
    ++number;
    const std::string where = std::string(path) + ":" + std::to_string(number) + ": ";
    if (too_long) {
      problem = where + "line too long";
      break;
    }
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
      problem = where + "not a JSON object";
      break;
    }
    const auto seq_it = j.find("seq");
    const auto prev_it = j.find("prev");
    const auto hash_it = j.find("hash");
    if (seq_it == j.end() || !seq_it->is_number_unsigned() || prev_it == j.end() || !is_hash(*prev_it) ||
        hash_it == j.end() || !is_hash(*hash_it)) {
      problem = where + "not an audit record (needs \"seq\", \"prev\" and \"hash\")";
      break;
    }
    const std::uint64_t seq = seq_it->get<std::uint64_t>();
    const std::string line_prev = *prev_it;
    const std::string line_hash = *hash_it;
    j.erase("seq");
    j.erase("prev");
    j.erase("hash");
    const std::string record = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (seq > expected) {
      problem = where + "expected seq " + std::to_string(expected) + " here, found seq " + std::to_string(seq) +
                ": a record was deleted or moved";
    } else if (seq < expected) {
      problem = where + "seq " + std::to_string(seq) + " where seq " + std::to_string(expected) +
                " was expected: a record was inserted, repeated or moved";
    } else if (!hash_is(line_prev, seq, record, line_hash)) {
      problem = where + "record seq " + std::to_string(seq) + " was altered (its hash does not match its content)";
    } else if (line_prev != prev) {
      problem = where + "record seq " + std::to_string(seq) + " does not follow the line before (its prev is not " +
                "that record's hash): records deleted, inserted or reordered";
    }
    prev = line_hash;
    ++expected;
  }
  const bool read_failed = reader.failed();
  if (in != stdin) std::fclose(in);
  if (!problem.empty()) return fail(problem);
  if (read_failed) return fail("error reading " + std::string(path));
  return verified(expected - 1, prev, expect_head);
}

int run_verify(const args& a) {
  std::optional<std::string_view> store_path, file, expect_head;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool missing = false;
    if (auto st = option_value(a, i, "--store", missing)) {
      if (missing || st->empty()) return usage_error("audit verify", "--store needs a file name");
      store_path = *st;
    } else if (auto h = option_value(a, i, "--expect-head", missing)) {
      if (missing || h->size() != 64) return usage_error("audit verify", "--expect-head needs a hash (64 hex digits)");
      expect_head = *h;
    } else if (a[i].size() > 1 && a[i][0] == '-') {
      return usage_error("audit verify", "unknown option " + std::string(a[i]));
    } else if (!file) {
      file = a[i];
    } else {
      return usage_error("audit verify", "expected one file");
    }
  }
  if (store_path.has_value() == file.has_value()) return usage_error("audit verify", "expected --store PATH or FILE.jsonl");
  return store_path ? verify_store(*store_path, expect_head) : verify_file(*file, expect_head);
}

}  // namespace

int run_audit(const args& a) {
  if (a.empty()) return usage_error("audit", "expected export or verify");
  const args rest(a.begin() + 1, a.end());
  if (a.front() == "export") return run_export(rest);
  if (a.front() == "verify") return run_verify(rest);
  return usage_error("audit", "unknown subcommand " + std::string(a.front()) + " (export, verify)");
}

}  // namespace crmflow::cli
