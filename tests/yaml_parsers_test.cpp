// The two YAML paths of src/loader/yaml_reader.cpp side by side: libyaml's events (the fast path)
// and yaml-cpp's (the reference, and the fallback for text libyaml refuses). Wherever libyaml
// gives a tree it must be yaml-cpp's tree, node for node (kind, text, style, line, column), and
// yaml-cpp must have had nothing to report; read_yaml must always give what yaml-cpp's path
// gives, diagnostics included. Inputs: every YAML file of the repository, generated documents,
// and deterministic random mutations of both.
#define BOOST_TEST_MODULE yaml_parsers
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "loader/yaml_reader.hpp"

using namespace crmflow;
using namespace crmflow::loader;
namespace fs = std::filesystem;

namespace {

// splitmix64: the same sequence on every platform (std:: distributions are not).
struct prng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool one_in(std::size_t n) { return below(n) == 0; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
};

// The first difference between two trees ("" if none), with the path to it.
std::string difference(const ynode& a, const ynode& b, const std::string& path) {
  std::ostringstream out;
  if (a.kind != b.kind || a.text != b.text || a.style != b.style || a.line != b.line ||
      a.column != b.column) {
    out << path << ": libyaml " << int(a.kind) << " '" << a.text << "' style " << int(a.style)
        << " at " << a.line << ":" << a.column << ", yaml-cpp " << int(b.kind) << " '" << b.text
        << "' style " << int(b.style) << " at " << b.line << ":" << b.column;
    return out.str();
  }
  if (a.items.size() != b.items.size() || a.entries.size() != b.entries.size()) {
    out << path << ": libyaml " << a.items.size() << " items " << a.entries.size()
        << " entries, yaml-cpp " << b.items.size() << " items " << b.entries.size() << " entries";
    return out.str();
  }
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    std::string d = difference(a.items[i], b.items[i], path + "[" + std::to_string(i) + "]");
    if (!d.empty()) return d;
  }
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const std::string at = path + "{" + std::to_string(i) + "}";
    std::string d = difference(a.entries[i].first, b.entries[i].first, at + ".key");
    if (d.empty()) d = difference(a.entries[i].second, b.entries[i].second, at + ".value");
    if (!d.empty()) return d;
  }
  return {};
}

std::string show(const std::vector<diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += to_string(d) + "\n";
  return out;
}

// The input as a C string literal, for a failure message.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else if (c == '"' || c == '\\')
      out += std::string("\\") + ch;
    else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else
      out += ch;
  }
  return out + "\"";
}

}  // namespace

namespace crmflow::loader {
std::ostream& operator<<(std::ostream& os, libyaml_outcome o) {
  return os << (o == libyaml_outcome::tree      ? "tree"
                : o == libyaml_outcome::refused ? "refused"
                                                : "declined");
}
}  // namespace crmflow::loader

namespace {

struct tally {
  std::size_t inputs = 0, trees = 0, refused = 0, declined = 0, failures = 0;
  std::size_t refused_read = 0;  // refused by libyaml, read by yaml-cpp
};

// Both paths on one text; a failure names the input.
void compare(const std::string& text, tally& t, const std::string& what) {
  ++t.inputs;
  std::vector<diagnostic> ref_diags;
  const std::optional<ydoc> ref = read_yaml_yamlcpp(text, "t.yaml", ref_diags);
  ydoc lib;
  const libyaml_outcome outcome = read_yaml_libyaml(text, lib);
  std::string problem;
  switch (outcome) {
    case libyaml_outcome::tree:
      ++t.trees;
      if (!ref)
        problem = "libyaml gives a tree, yaml-cpp refuses it:\n" + show(ref_diags);
      else if (!ref_diags.empty())
        problem = "yaml-cpp has diagnostics beside its tree:\n" + show(ref_diags);
      else
        problem = difference(lib.root(), ref->root(), "root");
      break;
    case libyaml_outcome::refused:
      ++t.refused;
      if (ref) ++t.refused_read;
      break;
    case libyaml_outcome::declined:
      ++t.declined;
      break;
  }
  // What users get: the same as yaml-cpp's path, whichever path it took.
  std::vector<diagnostic> got_diags;
  const std::optional<ydoc> got = read_yaml(text, "t.yaml", got_diags);
  if (problem.empty() && got_diags != ref_diags)
    problem = "read_yaml's diagnostics:\n" + show(got_diags) + "yaml-cpp's:\n" + show(ref_diags);
  if (problem.empty() && got.has_value() != ref.has_value())
    problem = "read_yaml and yaml-cpp disagree on whether there is a tree";
  if (problem.empty() && got && ref) problem = difference(got->root(), ref->root(), "read_yaml root");
  if (!problem.empty() && ++t.failures <= 20)
    BOOST_ERROR(what << ": " << problem << "\n  input: " << quoted(text));
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> repository_yaml() {
  std::vector<fs::path> files;
  for (const char* dir : {"rules", "examples", "tests"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(CRMFLOW_SOURCE_DIR) / dir)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Hand-written documents for the corners: anchors, aliases, cycles, bombs, styles, empties.
std::vector<std::string> corner_documents() {
  std::vector<std::string> docs = {
      "",
      "# only a comment\n",
      "---\n",
      "---\n...\n",
      "a: 1\n---\nb: 2\n",
      "a: 1\n---\n",
      "a: 1\n...\n",
      "a: 1\n...\n# after\n",
      "~\n",
      "null\n",
      "Null\n",
      "NULL\n",
      "nUll\n",
      "'null'\n",
      "\"~\"\n",
      "!!null null\n",
      "!!str\n",
      "!t\n",
      "a: !t\nb: !!str\n",
      "&a\n",
      "a: &x\nb: *x\n",
      "a: &x ~\nb: *x\n",
      "a:\nb:\n  c:\n  d:\n    - \n    -\n    - - \n      -\n",
      "- \n- \n-\n",
      "-\n",
      "- - - \n",
      "[]\n",
      "{}\n",
      "[[], {}, [[]], {a: {}}]\n",
      "a: []\nb: {}\nc: ''\nd: \"\"\n",
      "{a: , b: c, : d}\n",
      "{a, b: c}\n",
      "[a: b, c]\n",
      "? a\n: b\n",
      "? \n: b\n",
      "?\n",
      ": v\n",
      "? [a, b]\n: c\n",
      "a: &A {x: 1, y: [1, 2]}\nb: *A\nc: [*A, *A]\n",
      "a: &A &B x\n",
      "&x a: *x\n",
      "a: &x [1, *x]\n",
      "a: &x {b: *x}\n",
      "a: &x\n  b: &y\n    c: *x\n",
      "a: &x [&y [*y]]\n",
      "a: *nothing\n",
      "a: &x 1\nb: &x 2\nc: *x\n",
      "<<: {a: 1}\nb: 2\n",
      "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",
      "a: |\n  line 1\n  line 2\n\nb: >\n  folded\n  text\n\n  para\n",
      "a: |-\n  x\nb: |+\n  y\n\nc: >-\n  z\n",
      "a: |2\n    x\n",
      "- |\n  中文\n  第二行\n- >\n  折叠\n  文本\n",
      "a: \"tab\\there \\u00e9 \\\"q\\\" \\x41 \\/ \\N \\_ \\L\"\n",
      "a: 'it''s'\nb: 'multi\n  line'\nc: \"multi\n  line\\\n  cont\"\n",
      "a: \"\\0 \\a \\b \\e \\f \\v \\r \\n \\x7f \\U0001F600 \\u00A0 \\P \\ \\\"\"\n",
      "a: \"\\ud83d\"\n",
      "a: \"\\U00110000\"\n",
      "a: \"x\n\n  y  \n  z\"\nb: 'p\n\n  q'\n",
      "a: plain\n  continued\n  lines\n",
      "a: x # comment\nb: \"y\" # c\n# c\nc: [1, # c\n  2]\n",
      "a: x#not a comment\n",
      "名称: 投诉工单\n标签:\n  - 紧急\n  - 一般\n说明: \"含有「引号」的文字\"\n",
      "flows:\n  投诉:\n    label: 投诉流程\n    states: {受理: {label: 受理中}, 结案: {final: "
      "true}}\n",
      "key with spaces: value with spaces\n",
      "'quoted key': 1\n\"dq key\": 2\n",
      "a: 1\na: 2\n",
      "a:\n  - b: 1\n    c: 2\n  - d\n",
      "a:\n- 1\n- 2\nb: 3\n",
      "- a: 1\n  b:\n- c\n",
      "a: {b: [c, {d: e}], f: g}\n",
      "a: [b, c,]\n",
      "a: {b: c,}\n",
      "a: 1\n,\n",
      ",\n",
      "a: b: c\n",
      "a:\n\tb: 1\n",
      "a: 1\r\nb: |\r\n  x\r\n  y\r\nc: 2\r\n",
      "a: 1\rb: 2\n",
      "a: \"x\"\n\xEF\xBB\xBF",
      "\xEF\xBB\xBF"
      "a: \"x\"\n",
      "a: \xC2\x85 b\n",
      "a: x\xE2\x80\xA8y\n",
      "%YAML 1.2\n---\na: 1\n",
      "%YAML 1.1\n---\na: 1\n",
      "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
      // A directive: libyaml read these, yaml-cpp refuses the first ("bad YAML version: 1.2#");
      // any text with a line starting with '%' goes to yaml-cpp.
      "%YAML 1.2#\n---\na: 1\n",
      "%YAML 1.2 # comment\n---\na: 1\n",
      "%YAML 1.3\n---\na: 1\n",
      "%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
      "%TAG ! tag:example.com,2000:\n---\na: 1\n",
      "%FOO bar baz\n---\na: 1\n",
      "# c\n%YAML 1.2\n---\na: 1\n",
      "%YAML 1.2\r\n---\r\na: 1\r\n",
      "a: !<tag:yaml.org,2002:str> x\n",
      "a: ! x\nb: ! null\n",
      "a: &a !t x\nb: !t &b y\n",
      "a: &a \"x\"\nb: !t 'y'\nc: *a\n",
      "a: 0x1F\nb: 1e3\nc: .inf\nd: true\ne: 2026-11-23\n",
      "a: 'x' y\n",
      "a: [1, 2\n",
      "a: {b: 1\n",
      "a: \"unterminated\n",
      "a: @x\n",
      "a: `x\n",
      "a: %x\n",
      "- a\nb: c\n",
      "back: {to: s00, if: steps > 0 and level in [normal, high]}\n",
      "a: {b: x [y] z}\n",
      "a: [x {y} z]\n",
      "a: {b: c, d: [e, f]}\n",
      "a:    \n  b\n",
      "   a: 1\n   b: 2\n",
      "a:\n  b: 1\n c: 2\n",
      "- [a,\n   b]\n- {c: d,\n   e: f}\n",
      "a: >\n\n  x\n\n\n  y\n",
      "a: |\n\n\n",
      "a: >\n",
      "a: |\nb: 1\n",
      "? |\n  block key\n: v\n",
      "[a, [b, [c, [d]]]]\n",
      "{? a: b}\n",
      "{a: {b: {c: {d: {}}}}}\n",
      // Divergences the mutations found (each is declined, or matched, in the libyaml path).
      "{? : }\n",
      "{?bb}\n",
      "a: [repeat?ed]\n",
      "a: \"\n\n   \n  \"\n",
      "k: >-\n  tr\n  ",
      "a:\nb:\n  c:\n  d:\n    - \n    -\n    - - \n    ",
      "a:\n  - \n  -\n#",
      "- \n- \n-",
      "-  -",
      "- ",
      "{.\n}\n",
      "{a\n  , \tb: c}",
      "{x\n1}\n",
      "a: &x [&y :[*y]]\n",
      "- &n a\n  b\n",
      "-\n|-\n",
      "&aa: {b: c}\n",
      "&akey: |\n\n  if\n\n",
      "a: \"x\"\n\xEF\xBB\xBF",
      "a: \"'\n\n   \n  \"\n",
      "c: [1, ?# c\n  2]\n",
      "k:\n  - &n0 |\n    key0:\n      key0: 24h\n  - x\n",
      "visits: {flow: job, match: ,[unit, re-\nsult]}\n",
  };
  // Billion laughs: 10 levels of 10 aliases, far past the size limit.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  docs.push_back(bomb);
  // Just under and just over the depth limit (256), without aliases and with them.
  for (const int depth : {200, 256, 257, 300}) {
    docs.push_back(std::string(static_cast<std::size_t>(depth), '[') + "x" +
                   std::string(static_cast<std::size_t>(depth), ']') + "\n");
    std::string chain = "l0: &l0 [x]\n";
    for (int i = 1; i < depth / 2; ++i)
      chain += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" +
               std::to_string(i - 1) + "]\n";
    docs.push_back(chain);
  }
  return docs;
}

// A random document: block and flow collections, every scalar style, anchors and aliases,
// comments, empty values, Chinese text.
class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_{seed} {}

  std::string document() {
    anchors_.clear();
    next_anchor_ = 0;
    std::string out;
    if (rng_.one_in(8)) out += "# 生成的文档\n";
    block_map(out, 0, 0);
    return out;
  }

 private:
  const std::vector<std::string> words_ = {
      "a",        "b",           "state", "to",  "if",   "label", "投诉", "受理中",
      "1号楼",    "steps + 1",   "x y",   "s00", "0",    "true",  "3.5",  "24h",
      "event.by", "工单 {case}", "null",  "~",   "Null", "-1",    "a-b",  "k_1"};

  std::string indent(int n) { return std::string(static_cast<std::size_t>(n), ' '); }

  // In a flow collection, plain words must not hold `{ }` (they would be flow indicators).
  std::string scalar(bool in_flow = false) {
    if (in_flow && rng_.below(9) >= 3) {
      std::string w = rng_.pick(words_);
      return w.find('{') == std::string::npos ? w : "\"" + w + "\"";
    }
    switch (rng_.below(9)) {
      case 0:
        return "\"" + rng_.pick(words_) + (rng_.one_in(3) ? "\\t\\u4e2d\\\"" : "") + "\"";
      case 1:
        return "'" + rng_.pick(words_) + (rng_.one_in(3) ? "''s" : "") + "'";
      case 2:
        return "\"\"";
      default:
        return rng_.pick(words_);
    }
  }

  std::string props() {
    std::string p;
    if (rng_.one_in(6)) {
      const std::string name = "n" + std::to_string(next_anchor_++);
      anchors_.push_back(name);
      p += "&" + name + " ";
    }
    if (rng_.one_in(200)) p += rng_.one_in(2) ? "!t " : "!!str ";
    return p;
  }

  // A flow node on one line.
  void flow(std::string& out, int depth) {
    const std::size_t r = rng_.below(depth > 3 ? 2 : 5);
    if (r < 2) {
      if (!anchors_.empty() && rng_.one_in(6)) {
        out += "*" + rng_.pick(anchors_);
        return;
      }
      out += props() + scalar(true);
    } else if (r < 4) {
      out += props() + "[";
      const std::size_t n = rng_.below(4);
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        flow(out, depth + 1);
      }
      out += "]";
    } else {
      out += props() + "{";
      const std::size_t n = rng_.below(4);
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        out += "k" + std::to_string(i) + ": ";
        if (!rng_.one_in(5)) flow(out, depth + 1);
      }
      out += "}";
    }
  }

  // The value after "key:" or "- ", starting on the same line.
  void value(std::string& out, int ind, int depth) {
    const std::size_t r = rng_.below(depth > 4 ? 4 : 9);
    if (r == 0) {  // empty
      if (rng_.one_in(3)) out += " # 空";
      out += "\n";
    } else if (r == 1) {
      out += " ";
      if (!anchors_.empty() && rng_.one_in(3))
        out += "*" + rng_.pick(anchors_);
      else
        out += props() + scalar();
      if (rng_.one_in(6)) out += "  # 注释";
      out += "\n";
    } else if (r == 2) {
      out += " ";
      flow(out, depth);
      out += "\n";
    } else if (r == 3) {
      out += std::string(" ") + (rng_.one_in(2) ? "|" : ">") +
             (rng_.one_in(3) ? (rng_.one_in(20) ? "+" : "-") : "") + "\n";
      const std::size_t lines = 1 + rng_.below(3);
      for (std::size_t i = 0; i < lines; ++i)
        out += (rng_.one_in(5) ? "" : indent(ind + 2) + rng_.pick(words_)) + "\n";
    } else if (r < 6) {
      out += rng_.one_in(4) ? " " + props() : "";
      out += "\n";
      block_map(out, ind + 2, depth + 1);
    } else {
      out += rng_.one_in(4) ? " " + props() : "";
      out += "\n";
      block_seq(out, rng_.one_in(3) ? ind : ind + 2, depth + 1);
    }
  }

  void block_map(std::string& out, int ind, int depth) {
    const std::size_t n = 1 + rng_.below(4);
    for (std::size_t i = 0; i < n; ++i) {
      if (rng_.one_in(10)) out += indent(ind) + "# 注释\n";
      out += indent(ind) + (rng_.one_in(8) ? props() : "") +
             (rng_.one_in(6) ? "\"键" + std::to_string(i) + "\"" : "key" + std::to_string(i)) + ":";
      value(out, ind, depth);
    }
  }

  void block_seq(std::string& out, int ind, int depth) {
    const std::size_t n = 1 + rng_.below(4);
    for (std::size_t i = 0; i < n; ++i) {
      out += indent(ind) + "-";
      if (rng_.one_in(4) && depth < 5) {  // a map starting on the dash's line
        out += " k: v\n" + indent(ind + 2) + "k2:";
        value(out, ind + 2, depth + 1);
      } else {
        value(out, ind, depth);
      }
    }
  }

  prng rng_;
  std::vector<std::string> anchors_;
  int next_anchor_ = 0;
};

// One to three byte-level changes: deletions, insertions of YAML's punctuation, whitespace,
// and partial UTF-8, duplications of a range.
std::string mutate(const std::string& text, prng& rng) {
  static const std::vector<std::string> inserts = {
      "-",     ":",     "?",  ",",           "[",      "]",  "{",    "}",
      "#",     "&a",    "*a", "!",           "|",      ">",  "'",    "\"",
      "%",     "@",     "`",  " ",           "  ",     "\t", "\n",   "\r",
      "\n  ",  "- ",    ": ", "~",           "null",   "中", "\xE4", "\xEF\xBB\xBF",
      "---\n", "...\n", "\\", "\"\\u4e2d\"", "&x [*x]"};
  std::string s = text;
  const std::size_t changes = 1 + rng.below(3);
  for (std::size_t c = 0; c < changes; ++c) {
    const std::size_t at = rng.below(s.size() + 1);
    switch (rng.below(4)) {
      case 0:
        if (at < s.size()) s.erase(at, 1 + rng.below(std::min<std::size_t>(4, s.size() - at)));
        break;
      case 1:
      case 2:
        s.insert(at, rng.pick(inserts));
        break;
      case 3:
        if (at < s.size()) {
          const std::size_t len = 1 + rng.below(std::min<std::size_t>(12, s.size() - at));
          s.insert(at, s.substr(at, len));
        }
        break;
    }
  }
  return s;
}

// A window of up to 40 lines of a file, starting at a random line.
std::string window(const std::string& text, prng& rng) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n' && i + 1 < text.size()) starts.push_back(i + 1);
  const std::size_t first = rng.below(starts.size());
  const std::size_t last = first + 40;
  const std::size_t b = starts[first];
  const std::size_t e = last < starts.size() ? starts[last] : text.size();
  return text.substr(b, e - b);
}

}  // namespace

BOOST_AUTO_TEST_CASE(repository_files) {
  tally t;
  std::size_t rules = 0;
  for (const fs::path& p : repository_yaml()) {
    const std::string text = read_file(p);
    compare(text, t, p.string());
    // The bundled rules take the fast path.
    if (p.parent_path().filename() == "rules") {
      ++rules;
      ydoc root;
      BOOST_TEST(read_yaml_libyaml(text, root) == libyaml_outcome::tree, p.string());
    }
  }
  BOOST_TEST(rules >= 7u);
  BOOST_TEST(t.inputs >= 30u);
  BOOST_TEST_MESSAGE("repository: " << t.inputs << " files, libyaml trees " << t.trees
                                    << ", refused " << t.refused << ", declined " << t.declined);
}

BOOST_AUTO_TEST_CASE(corner_and_generated_documents) {
  tally t;
  for (const std::string& doc : corner_documents()) compare(doc, t, "corner document");
  generator gen{20261123};
  for (int i = 0; i < 1500; ++i) {
    const std::string doc = gen.document();
    compare(doc, t, "generated document " + std::to_string(i));
    if (i % 10 == 0) {  // with Windows line ends
      std::string crlf;
      for (const char c : doc) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
      compare(crlf, t, "generated document " + std::to_string(i) + " (CRLF)");
    }
  }
  // The generator writes valid YAML: libyaml must read most of it (declined: aliases to an
  // enclosing node, tags, `|+`; refused: an alias to a later anchor).
  BOOST_TEST(t.trees * 10 >= t.inputs * 7, t.trees << " of " << t.inputs);
  BOOST_TEST_MESSAGE("corner + generated: " << t.inputs << " documents, libyaml trees " << t.trees
                                            << ", refused " << t.refused << ", declined "
                                            << t.declined);
}

BOOST_AUTO_TEST_CASE(random_mutations) {
  std::vector<std::string> seeds = corner_documents();
  generator gen{7};
  for (int i = 0; i < 200; ++i) seeds.push_back(gen.document());
  prng rng{42};
  for (const fs::path& p : repository_yaml()) {
    const std::string text = read_file(p);
    for (int i = 0; i < 5; ++i) seeds.push_back(window(text, rng));
  }
  tally t;
  for (int i = 0; i < 8000; ++i)
    compare(mutate(rng.pick(seeds), rng), t, "mutation " + std::to_string(i));
  // Many mutations still parse; if libyaml read none of them, nothing was compared.
  BOOST_TEST(t.trees >= 1000u, t.trees << " of " << t.inputs);
  BOOST_TEST(t.refused > 0u);
  BOOST_TEST_MESSAGE("mutations: " << t.inputs << ", libyaml trees " << t.trees << ", refused "
                                   << t.refused << " (yaml-cpp reads " << t.refused_read
                                   << "), declined " << t.declined);
}

// The tree lives in an arena of blocks that double from 4 KiB to 64 KiB; an array or text of
// more than 16 KiB gets a block of its own. Collections and texts of sizes around those limits,
// alone and nested, must come out whole on both paths (under AddressSanitizer too: the CI's
// sanitized build runs this test).
BOOST_AUTO_TEST_CASE(collections_and_texts_across_arena_blocks) {
  tally t;
  for (const std::size_t n : {1u, 63u, 64u, 65u, 100u, 255u, 256u, 257u, 1000u, 3000u}) {
    std::string list = "items:\n", map = "", flow = "v: [";
    for (std::size_t i = 0; i < n; ++i) {
      list += "  - x" + std::to_string(i) + "\n";
      map += "k" + std::to_string(i) + ": {a: [" + std::to_string(i) + "], b: ~}\n";
      flow += (i ? ", " : "") + std::to_string(i);
    }
    compare(list, t, "a list of " + std::to_string(n));
    compare(map, t, "a map of " + std::to_string(n));
    compare(flow + "]\n", t, "a flow list of " + std::to_string(n));
  }
  for (const std::size_t n : {15u, 16u, 4095u, 4096u, 4097u, 16383u, 16384u, 16385u, 70000u}) {
    const std::string text(n, 'x');
    compare("a: " + text + "\nb: [" + text + ", '" + text + "']\n", t, "texts of " + std::to_string(n));
    compare("a: |\n  " + text + "\n  " + text + "\nb: 1\n", t, "a block text of " + std::to_string(n));
  }
  BOOST_TEST(t.trees == t.inputs);
}

// ydoc::copy_of (the loader keeps `triggers:`, `tables:`, `report:` and `migrations:` that way
// after the file's tree is gone) is the same tree, and outlives the document it was copied from;
// an alias's copy shares the anchored node's children, and copy_of copies them out.
BOOST_AUTO_TEST_CASE(copy_of_outlives_its_document) {
  const std::string text =
      "base: &b {to: s1, if: steps > 0, do: [{set: {n: n + 1}}, {notify: 主管}]}\n"
      "one: *b\n"
      "two:\n  - *b\n  - *b\n  - \"引号\"\n  - |\n    block\n    text\n";
  std::vector<diagnostic> diags;
  std::optional<ydoc> doc = read_yaml(text, "t.yaml", diags);
  BOOST_TEST_REQUIRE(doc.has_value());
  BOOST_TEST_REQUIRE(doc->root().entries.size() == 3u);
  const std::optional<ydoc> ref = read_yaml_yamlcpp(text, "t.yaml", diags);
  BOOST_TEST_REQUIRE(ref.has_value());
  BOOST_TEST(diags.empty());
  std::vector<ydoc> copies;
  copies.push_back(ydoc::copy_of(doc->root()));
  copies.push_back(ydoc::copy_of(doc->root().entries[2].second));
  const ynode& one = doc->root().entries[1].second;
  BOOST_TEST(one.entries.size() == 3u);
  BOOST_TEST((one.line == 1 && one.column == 7));  // the anchored node's position
  BOOST_TEST(one.entries.begin() == doc->root().entries[0].second.entries.begin());  // shared
  doc.reset();
  BOOST_TEST(difference(copies[0].root(), ref->root(), "copy") == "");
  BOOST_TEST(difference(copies[1].root(), ref->root().entries[2].second, "copy") == "");
  BOOST_TEST(copies[1].root().items[2].text == "引号");
  BOOST_TEST(copies[1].root().items[3].text == "block\ntext\n");
  BOOST_TEST(copies[1].root().items[0].entries.begin() != copies[1].root().items[1].entries.begin());
}

// yaml-cpp 0.7 reads some text that is not YAML and that libyaml refuses, such as a doubled
// comma in a flow list (an empty entry). Files like that load as they did, on yaml-cpp's path.
BOOST_AUTO_TEST_CASE(text_only_yaml_cpp_reads_still_loads) {
  const std::string text = "values: [低, , 高]\nnext: 1\n";
  ydoc lib;
  BOOST_TEST(read_yaml_libyaml(text, lib) == libyaml_outcome::refused);
  std::vector<diagnostic> diags;
  const std::optional<ydoc> doc = read_yaml(text, "t.yaml", diags);
  BOOST_TEST_REQUIRE(doc.has_value());
  BOOST_TEST(diags.empty());
  const ynode& root = doc->root();
  BOOST_TEST_REQUIRE(root.entries.size() == 2u);
  const ynode& values = root.entries[0].second;
  BOOST_TEST_REQUIRE(values.items.size() == 3u);
  BOOST_TEST(values.items[0].text == "低");
  BOOST_TEST((values.items[0].line == 1 && values.items[0].column == 10));
  BOOST_TEST(values.items[1].is_null());
  BOOST_TEST((values.items[1].line == 1 && values.items[1].column == 15));
  BOOST_TEST(values.items[2].text == "高");
  BOOST_TEST((values.items[2].line == 1 && values.items[2].column == 17));
  BOOST_TEST((root.entries[1].first.line == 2 && root.entries[1].second.text == "1"));
  std::vector<diagnostic> ref_diags;
  const std::optional<ydoc> ref = read_yaml_yamlcpp(text, "t.yaml", ref_diags);
  BOOST_TEST_REQUIRE(ref.has_value());
  BOOST_TEST(difference(root, ref->root(), "root") == "");
}

// A '[' in a plain value inside a flow mapping is refused by both parsers (yaml-cpp 0.7 too:
// "end of map flow not found"); the message users see is yaml-cpp's, as before.
BOOST_AUTO_TEST_CASE(flow_indicators_in_flow_values_are_refused_with_yaml_cpps_message) {
  const std::string text = "back: {to: s00, if: steps > 0 and level in [normal, high]}\n";
  ydoc lib;
  BOOST_TEST(read_yaml_libyaml(text, lib) == libyaml_outcome::refused);
  std::vector<diagnostic> diags;
  BOOST_TEST(!read_yaml(text, "t.yaml", diags).has_value());
  BOOST_TEST(show(diags) == "t.yaml:1:44: error: malformed YAML: end of map flow not found\n");
  // Quoted, it is standard YAML and takes the fast path.
  const std::string quoted_guard =
      "back: {to: s00, if: \"steps > 0 and level in [normal, high]\"}\n";
  BOOST_TEST_REQUIRE(read_yaml_libyaml(quoted_guard, lib) == libyaml_outcome::tree);
  BOOST_TEST_REQUIRE(lib.root().entries.size() == 1u);
  BOOST_TEST_REQUIRE(lib.root().entries[0].second.entries.size() == 2u);
  const ynode& guard = lib.root().entries[0].second.entries[1].second;
  BOOST_TEST(guard.text == "steps > 0 and level in [normal, high]");
  BOOST_TEST(guard.style == '"');
  BOOST_TEST((guard.line == 1 && guard.column == 21));
}

// Columns count bytes, before and after Chinese text, on the fast path.
BOOST_AUTO_TEST_CASE(chinese_columns_are_bytes) {
  const std::string text =
      "名称: 投诉工单\n"                // key 1:1, value 1:9 (6 bytes, ':', ' ')
      "标签: [紧急, 一般, \"引号\"]\n"  // list 2:9, items 2:10, 2:18, 2:26
      "说明: {处理人: 张三, x: y}\n"    // map 3:9, key 3:10, value 3:21, x 3:29
      "步骤:\n"
      "  - 受理 # 注释\n"  // 5:5
      "  -\n"              // empty: marked at the next token, 7:3
      "  - 结案\n";
  ydoc doc;
  BOOST_TEST_REQUIRE(read_yaml_libyaml(text, doc) == libyaml_outcome::tree);
  const ynode& root = doc.root();
  BOOST_TEST_REQUIRE(root.entries.size() == 4u);
  const auto& e = root.entries;
  BOOST_TEST(e[0].first.text == "名称");
  BOOST_TEST((e[0].second.line == 1 && e[0].second.column == 9));
  BOOST_TEST((e[1].second.line == 2 && e[1].second.column == 9));
  BOOST_TEST_REQUIRE(e[1].second.items.size() == 3u);
  BOOST_TEST(e[1].second.items[0].column == 10);
  BOOST_TEST(e[1].second.items[1].column == 18);
  BOOST_TEST(e[1].second.items[2].column == 26);
  BOOST_TEST(e[1].second.items[2].style == '"');
  BOOST_TEST_REQUIRE(e[2].second.entries.size() == 2u);
  BOOST_TEST(e[2].second.column == 9);
  BOOST_TEST(e[2].second.entries[0].first.column == 10);
  BOOST_TEST(e[2].second.entries[0].second.column == 21);
  BOOST_TEST(e[2].second.entries[1].first.column == 29);
  BOOST_TEST_REQUIRE(e[3].second.items.size() == 3u);
  BOOST_TEST((e[3].second.items[0].line == 5 && e[3].second.items[0].column == 5));
  BOOST_TEST(e[3].second.items[1].is_null());
  BOOST_TEST((e[3].second.items[1].line == 7 && e[3].second.items[1].column == 3));
  BOOST_TEST((e[3].second.items[2].line == 7 && e[3].second.items[2].column == 5));
  std::vector<diagnostic> diags;
  const std::optional<ydoc> ref = read_yaml_yamlcpp(text, "t.yaml", diags);
  BOOST_TEST_REQUIRE(ref.has_value());
  BOOST_TEST(difference(root, ref->root(), "root") == "");
}
