#include "loader/expr_compiler.hpp"

#include <algorithm>
#include <vector>

#include "crmflow/rule_set.hpp"
#include "loader/duration_text.hpp"

namespace crmflow::loader {
namespace {

using detail::instr;
using detail::op;

// Bounds that keep hostile input (a 1MB line of "((((") from exhausting the C++ stack.
constexpr int max_nesting = 64;
constexpr std::size_t max_nodes = 1000;

// ---- lexer ----------------------------------------------------------------------------------

enum class tok {
  ident, number, duration, string, lparen, rparen, lbracket, rbracket, comma, dot,
  eq, ne, lt, le, gt, ge, plus, minus, end, bad
};

struct token {
  tok kind = tok::end;
  std::size_t offset = 0;
  std::string_view text;  // as written (strings: without the quotes)
};

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_word(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '_'; }

std::size_t utf8_length(unsigned char c) noexcept {
  return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

bool is_high(char c) noexcept { return static_cast<unsigned char>(c) >= 0x80; }

// After a number and spaces: the length of a unit word at `i` (`3 months`, `1 hour 30
// minutes`, `24 小时`), or 0. Only unit words join a number, so `n == 3 and x` stays apart.
std::size_t unit_word_at(std::string_view s, std::size_t i) noexcept {
  std::size_t j = i;
  if (is_high(s[i])) {  // `24 小时`: Chinese text after a number can only be its unit
    while (j < s.size() && is_high(s[j])) ++j;
    return j - i;
  }
  while (j < s.size() && is_alpha(s[j])) ++j;
  if (j < s.size() && (is_digit(s[j]) || s[j] == '_')) return 0;
  const std::string_view w = s.substr(i, j - i);
  for (std::string_view u : {"second", "seconds", "min", "minute", "minutes", "hour", "hours",
                             "day", "days", "week", "weeks", "month", "months", "year", "years"})
    if (w == u) return j - i;
  return 0;
}

bool lex(std::string_view s, std::vector<token>& out, expr_error& error) {
  std::size_t i = 0;
  while (true) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    if (i >= s.size()) {
      out.push_back({tok::end, s.size(), {}});
      return true;
    }
    const std::size_t start = i;
    const char c = s[i];
    if (is_alpha(c) || c == '_') {
      while (i < s.size() && is_word(s[i])) ++i;
      out.push_back({tok::ident, start, s.substr(start, i - start)});
    } else if (is_digit(c)) {
      while (i < s.size() && is_digit(s[i])) ++i;
      tok kind = tok::number;
      if (i < s.size() && (is_alpha(s[i]) || s[i] == '.' || s[i] == '_' || is_high(s[i]))) {
        // `24h`, `1h30m`, `24小时`, `3个月`: the unit is written right after the number.
        kind = tok::duration;
        while (i < s.size() && (is_word(s[i]) || s[i] == '.' || is_high(s[i]))) ++i;
      } else {
        // `3 months`, `1 hour 30 minutes`: numbers and unit words apart.
        while (true) {
          std::size_t j = i;
          while (j < s.size() && s[j] == ' ') ++j;
          const std::size_t w = j < s.size() ? unit_word_at(s, j) : 0;
          if (w == 0) break;
          kind = tok::duration;
          i = j + w;
          std::size_t k = i;
          while (k < s.size() && s[k] == ' ') ++k;
          std::size_t d = k;
          while (d < s.size() && is_digit(s[d])) ++d;
          if (d == k) break;
          std::size_t e = d;
          while (e < s.size() && s[e] == ' ') ++e;
          if (e >= s.size() || unit_word_at(s, e) == 0) break;
          i = d;
        }
      }
      out.push_back({kind, start, s.substr(start, i - start)});
    } else if (c == '\'' || c == '"') {
      const std::size_t close = s.find(c, i + 1);
      if (close == std::string_view::npos) {
        error = {start, "text starting here has no closing " +
                            std::string(c == '\'' ? "quote (')" : "quote (\")")};
        return false;
      }
      out.push_back({tok::string, start, s.substr(i + 1, close - i - 1)});
      i = close + 1;
    } else {
      const char n = i + 1 < s.size() ? s[i + 1] : '\0';
      tok kind = tok::bad;
      std::size_t len = 1;
      switch (c) {
        case '(': kind = tok::lparen; break;
        case ')': kind = tok::rparen; break;
        case '[': kind = tok::lbracket; break;
        case ']': kind = tok::rbracket; break;
        case ',': kind = tok::comma; break;
        case '.': kind = tok::dot; break;
        case '+': kind = tok::plus; break;
        case '-': kind = tok::minus; break;
        case '=': if (n == '=') { kind = tok::eq; len = 2; } break;
        case '!': if (n == '=') { kind = tok::ne; len = 2; } break;
        case '<': kind = tok::lt; if (n == '=') { kind = tok::le; len = 2; } break;
        case '>': kind = tok::gt; if (n == '=') { kind = tok::ge; len = 2; } break;
        default: break;
      }
      if (kind == tok::bad) {
        const std::size_t l = std::min(utf8_length(static_cast<unsigned char>(c)), s.size() - i);
        std::string what(s.substr(i, l));
        if (c == '=') {
          error = {start, "unexpected '=' (write '==' to compare)"};
        } else if (c == '&' || c == '|') {
          error = {start, "unexpected '" + what + "' (write 'and' / 'or')"};
        } else if (c == '!') {
          error = {start, "unexpected '!' (write 'not', or '!=' to compare)"};
        } else {
          error = {start, "unexpected character '" + what + "'"};
        }
        return false;
      }
      out.push_back({kind, start, s.substr(start, len)});
      i += len;
    }
  }
}

// ---- syntax tree ----------------------------------------------------------------------------

enum class nk {
  field, data, now, literal, name, compare, arith, not_, and_, or_, in, shift,
  months  // calendar months (`3个月`, value = months): only as `timestamp ± months`
};

struct node {
  nk kind = nk::literal;
  op code = op::ret;      // compare / arith
  int lhs = -1, rhs = -1;
  std::int64_t value = 0; // literal value, field / slot index, shift offset
  std::size_t offset = 0; // the token an error about this node points at
  std::size_t begin = 0, end = 0;  // source extent, for messages
  std::string_view name;  // nk::name: the bare word
  std::uint32_t items_first = 0, items_count = 0;  // nk::in: into parser::items
  // The checked type; `unresolved` for a bare name whose meaning depends on the other side.
  bool unresolved = false;
  expr_type type;
};

// The buffers are an expr_workspace's, cleared for each expression.
struct parser {
  std::string_view src;
  std::vector<token>& toks;
  std::vector<node>& nodes;
  std::vector<token>& items;  // literals of `in` lists
  expr_error* error = nullptr;
  std::size_t pos = 0;
  int depth = 0;

  const token& peek() const { return toks[pos]; }
  bool at_word(std::string_view w) const {
    return peek().kind == tok::ident && peek().text == w;
  }

  std::string describe_token(const token& t) const {
    if (t.kind == tok::end) return "the end of the expression";
    if (t.kind == tok::string) return "text '" + std::string(t.text) + "'";
    return "'" + std::string(t.text) + "'";
  }

  bool fail(std::size_t offset, std::string message) {
    *error = {offset, std::move(message)};
    return false;
  }

  int add(node n) {
    if (nodes.size() >= max_nodes) {
      fail(n.offset, "expression is too long (at most " + std::to_string(max_nodes) + " parts)");
      return -1;
    }
    nodes.push_back(n);
    return static_cast<int>(nodes.size() - 1);
  }

  int binary(nk kind, op code, std::size_t offset, int l, int r) {
    node n;
    n.kind = kind;
    n.code = code;
    n.lhs = l;
    n.rhs = r;
    n.offset = offset;
    n.begin = nodes[static_cast<std::size_t>(l)].begin;
    n.end = nodes[static_cast<std::size_t>(r)].end;
    return add(n);
  }

  int parse_or() {
    int l = parse_and();
    while (l >= 0 && at_word("or")) {
      const std::size_t at = toks[pos++].offset;
      const int r = parse_and();
      if (r < 0) return -1;
      l = binary(nk::or_, op::ret, at, l, r);
    }
    return l;
  }

  int parse_and() {
    int l = parse_not();
    while (l >= 0 && at_word("and")) {
      const std::size_t at = toks[pos++].offset;
      const int r = parse_not();
      if (r < 0) return -1;
      l = binary(nk::and_, op::ret, at, l, r);
    }
    return l;
  }

  // `not` applies to a whole comparison: `not level == major` is `not (level == major)`.
  int parse_not() {
    if (!at_word("not")) return parse_compare();
    const token t = toks[pos++];
    if (++depth > max_nesting) {
      fail(t.offset, "expression is nested too deeply");
      return -1;
    }
    const int operand = parse_not();
    --depth;
    if (operand < 0) return -1;
    node n;
    n.kind = nk::not_;
    n.lhs = operand;
    n.offset = t.offset;
    n.begin = t.offset;
    n.end = nodes[static_cast<std::size_t>(operand)].end;
    return add(n);
  }

  static bool compare_op(tok k, op& code) {
    switch (k) {
      case tok::eq: code = op::eq; return true;
      case tok::ne: code = op::ne; return true;
      case tok::lt: code = op::lt; return true;
      case tok::le: code = op::le; return true;
      case tok::gt: code = op::gt; return true;
      case tok::ge: code = op::ge; return true;
      default: return false;
    }
  }

  int parse_compare() {
    const int l = parse_sum();
    if (l < 0) return -1;
    op code{};
    if (compare_op(peek().kind, code)) {
      const std::size_t at = toks[pos++].offset;
      const int r = parse_sum();
      if (r < 0) return -1;
      const int n = binary(nk::compare, code, at, l, r);
      if (n >= 0 && (compare_op(peek().kind, code) || at_word("in"))) {
        fail(peek().offset, "comparisons cannot be chained; combine them with 'and'");
        return -1;
      }
      return n;
    }
    if (at_word("in")) {
      const token in_tok = toks[pos++];
      if (peek().kind != tok::lbracket)
        return fail(peek().offset, "expected '[' after 'in', found " + describe_token(peek())), -1;
      ++pos;
      node n;
      n.kind = nk::in;
      n.lhs = l;
      n.offset = in_tok.offset;
      n.begin = nodes[static_cast<std::size_t>(l)].begin;
      n.items_first = static_cast<std::uint32_t>(items.size());
      while (true) {
        token t = peek();
        if (t.kind == tok::minus && toks[pos + 1].kind == tok::number &&
            toks[pos + 1].offset == t.offset + 1) {
          // A negative number: keep the sign in the token text.
          ++pos;
          t = {tok::number, t.offset, src.substr(t.offset, toks[pos].text.size() + 1)};
        }
        if (t.kind != tok::ident && t.kind != tok::number && t.kind != tok::duration &&
            t.kind != tok::string)
          return fail(t.offset, "expected a value in the 'in' list, found " + describe_token(t)),
                 -1;
        items.push_back(t);
        ++pos;
        if (items.size() - n.items_first > 0xFFFF)
          return fail(t.offset, "the 'in' list is too long"), -1;
        if (peek().kind == tok::comma) {
          ++pos;
          continue;
        }
        if (peek().kind == tok::rbracket) {
          n.end = peek().offset + 1;
          ++pos;
          break;
        }
        return fail(peek().offset, "expected ',' or ']' in the 'in' list, found " +
                                       describe_token(peek())),
               -1;
      }
      n.items_count = static_cast<std::uint32_t>(items.size() - n.items_first);
      return add(n);
    }
    return l;
  }

  int parse_sum() {
    int l = parse_primary();
    while (l >= 0 && (peek().kind == tok::plus || peek().kind == tok::minus)) {
      const token t = toks[pos++];
      const int r = parse_primary();
      if (r < 0) return -1;
      l = binary(nk::arith, t.kind == tok::plus ? op::add : op::sub, t.offset, l, r);
    }
    return l;
  }

  int literal(const token& t, std::int64_t value, value_type type, std::size_t end) {
    node n;
    n.kind = nk::literal;
    n.value = value;
    n.type.type = type;
    n.offset = t.offset;
    n.begin = t.offset;
    n.end = end;
    return add(n);
  }

  int parse_primary() {
    const token t = peek();
    switch (t.kind) {
      case tok::lparen: {
        ++pos;
        if (++depth > max_nesting) return fail(t.offset, "expression is nested too deeply"), -1;
        const int inner = parse_or();
        --depth;
        if (inner < 0) return -1;
        if (peek().kind != tok::rparen)
          return fail(peek().offset, "expected ')' to close '(', found " + describe_token(peek())),
                 -1;
        nodes[static_cast<std::size_t>(inner)].begin = t.offset;
        nodes[static_cast<std::size_t>(inner)].end = peek().offset + 1;
        ++pos;
        return inner;
      }
      case tok::minus: {
        const token& next = toks[pos + 1];
        if (next.kind != tok::number || next.offset != t.offset + 1)
          return fail(t.offset, "expected a value, found '-'"), -1;
        pos += 2;
        return number(next, true);
      }
      case tok::number:
        ++pos;
        return number(t, false);
      case tok::duration: {
        ++pos;
        duration_error why;
        const auto d = parse_duration_text(t.text, why);
        if (!d) return fail(t.offset + why.offset, bad_duration_message(t.text, why)), -1;
        const int n = literal(t, d->amount, value_type::duration, t.offset + t.text.size());
        if (n >= 0 && d->kind == duration_text::unit_kind::months)
          nodes[static_cast<std::size_t>(n)].kind = nk::months;
        return n;
      }
      case tok::string: {
        ++pos;
        const int n = literal(t, 0, value_type::string, t.offset + t.text.size() + 2);
        if (n >= 0) nodes[static_cast<std::size_t>(n)].name = t.text;
        return n;
      }
      case tok::ident: {
        ++pos;
        const std::size_t end = t.offset + t.text.size();
        if (t.text == "true" || t.text == "false")
          return literal(t, t.text == "true", value_type::boolean, end);
        if (t.text == "now") {
          node n;
          n.kind = nk::now;
          n.type.type = value_type::timestamp;
          n.offset = n.begin = t.offset;
          n.end = end;
          return add(n);
        }
        if (t.text == "event") {
          if (peek().kind != tok::dot || toks[pos + 1].kind != tok::ident)
            return fail(t.offset, "'event' must be followed by '.' and the name of a data "
                                  "item, like event.building"),
                   -1;
          const token item = toks[pos + 1];
          pos += 2;
          node n;
          n.kind = nk::data;
          n.name = item.text;
          n.offset = n.begin = t.offset;
          n.end = item.offset + item.text.size();
          return add(n);
        }
        if (t.text == "and" || t.text == "or" || t.text == "not" || t.text == "in")
          return fail(t.offset, "expected a value, found '" + std::string(t.text) + "'"), -1;
        node n;
        n.kind = nk::name;
        n.name = t.text;
        n.offset = n.begin = t.offset;
        n.end = end;
        return add(n);
      }
      default:
        return fail(t.offset, "expected a value, found " + describe_token(t)), -1;
    }
  }

  int number(const token& t, bool negative) {
    // Accumulate negatively so that -9223372036854775808 fits.
    std::int64_t v = 0;
    for (char c : t.text) {
      if (__builtin_mul_overflow(v, std::int64_t{10}, &v) ||
          __builtin_sub_overflow(v, std::int64_t{c - '0'}, &v))
        return fail(t.offset, "number '" + std::string(t.text) + "' is too large"), -1;
    }
    if (!negative) {
      if (v == INT64_MIN) return fail(t.offset, "number '" + std::string(t.text) + "' is too large"), -1;
      v = -v;
    }
    const std::size_t begin = negative ? t.offset - 1 : t.offset;
    token at = t;
    at.offset = begin;
    return literal(at, v, value_type::integer, t.offset + t.text.size());
  }
};

// ---- type checking --------------------------------------------------------------------------

struct checker {
  parser& p;
  const expr_scope& scope;
  const detail::flow_program& flow;
  detail::string_pool& literals;

  node& at(int i) { return p.nodes[static_cast<std::size_t>(i)]; }

  std::string source(const node& n) const {
    std::string_view s = p.src.substr(n.begin, n.end - n.begin);
    if (s.size() > 40) return std::string(s.substr(0, 37)) + "...";
    return std::string(s);
  }

  bool fail(std::size_t offset, std::string message) { return p.fail(offset, std::move(message)); }

  bool unknown_name(const node& n, const node* other) {
    std::string msg = std::string(scope.context) + " uses unknown field '" + std::string(n.name) + "'";
    if (other && !other->unresolved && other->type.type == value_type::string)
      msg += " (to compare with text, write '" + std::string(n.name) + "' in quotes)";
    return fail(n.offset, std::move(msg));
  }

  // Gives a bare name the enum type `t`, if it is one of its values.
  bool resolve(node& n, const expr_type& t) {
    const auto& values = flow.enums[t.enum_index].values;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] == n.name) {
        n.kind = nk::literal;
        n.unresolved = false;
        n.value = static_cast<std::int64_t>(i);
        n.type = t;
        return true;
      }
    }
    std::string list;
    for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
    return fail(n.offset, "'" + std::string(n.name) + "' is not a field nor one of the values " +
                              list + " (" + describe(t, flow, false) + ")");
  }

  // Wraps node i so its enum index is converted by `offset`.
  int shift(int i, std::int64_t offset, const expr_type& to) {
    node n;
    n.kind = nk::shift;
    n.lhs = i;
    n.value = offset;
    n.offset = at(i).offset;
    n.begin = at(i).begin;
    n.end = at(i).end;
    n.type = to;
    p.nodes.push_back(n);
    return static_cast<int>(p.nodes.size() - 1);
  }

  // Makes both sides of a comparison the same type, resolving bare names; false on mismatch.
  bool unify(node& n) {
    node& l = at(n.lhs);
    node& r = at(n.rhs);
    if (l.unresolved && r.unresolved) return unknown_name(l, nullptr);
    if (l.unresolved) {
      if (r.type.type != value_type::enumeration) return unknown_name(l, &r);
      return resolve(l, r.type);
    }
    if (r.unresolved) {
      if (l.type.type != value_type::enumeration) return unknown_name(r, &l);
      return resolve(r, l.type);
    }
    if (l.type == r.type) return true;
    if (l.type.type == value_type::enumeration && r.type.type == value_type::enumeration) {
      if (auto off = enum_offset(flow, l.type.enum_index, r.type.enum_index)) {
        const expr_type t = r.type;
        n.lhs = shift(n.lhs, *off, t);
        return true;
      }
      if (auto off = enum_offset(flow, r.type.enum_index, l.type.enum_index)) {
        const expr_type t = l.type;
        n.rhs = shift(n.rhs, *off, t);
        return true;
      }
    }
    const bool values = l.type.type == r.type.type;
    return fail(n.offset, "type mismatch: '" + source(l) + "' is " +
                              describe(l.type, flow, values) + ", compared with " +
                              describe(r.type, flow, values));
  }

  bool expect_bool(int i, std::string_view op_name) {
    node& n = at(i);
    if (n.unresolved) return unknown_name(n, nullptr);
    if (n.type.type != value_type::boolean)
      return fail(n.offset, "type mismatch: '" + source(n) + "' is " + describe(n.type, flow, false) +
                                ", but '" + std::string(op_name) + "' needs true or false (bool)");
    return true;
  }

  bool item_value(const token& t, const expr_type& want, std::int64_t& value) {
    switch (want.type) {
      case value_type::string:
        if (t.kind != tok::string) break;
        value = literals.intern(t.text);
        return true;
      case value_type::integer: {
        if (t.kind != tok::number) break;
        std::int64_t v = 0;
        bool neg = !t.text.empty() && t.text[0] == '-';
        for (char c : t.text.substr(neg ? 1 : 0)) {
          if (__builtin_mul_overflow(v, std::int64_t{10}, &v) ||
              __builtin_sub_overflow(v, std::int64_t{c - '0'}, &v))
            return fail(t.offset, "number '" + std::string(t.text) + "' is too large");
        }
        if (!neg) {
          if (v == INT64_MIN) return fail(t.offset, "number '" + std::string(t.text) + "' is too large");
          v = -v;
        }
        value = v;
        return true;
      }
      case value_type::boolean:
        if (t.kind != tok::ident || (t.text != "true" && t.text != "false")) break;
        value = t.text == "true";
        return true;
      case value_type::enumeration: {
        if (t.kind != tok::ident) break;
        node n;
        n.name = t.text;
        n.offset = t.offset;
        if (!resolve(n, want)) return false;
        value = n.value;
        return true;
      }
      case value_type::duration: {
        if (t.kind != tok::duration && t.kind != tok::number) break;
        duration_error why;
        const auto d = parse_duration_text(t.text, why);
        if (!d) return fail(t.offset + why.offset, bad_duration_message(t.text, why));
        if (d->kind != duration_text::unit_kind::fixed) return months_alone(t.offset, t.text);
        value = d->amount;
        return true;
      }
      case value_type::timestamp:
        break;
    }
    return fail(t.offset, "'" + std::string(t.text) + "' in the 'in' list is not a " +
                              describe(want, flow, false) + " value");
  }

  bool months_alone(std::size_t offset, std::string_view text) {
    return fail(offset, "'" + std::string(text) + "' is calendar months, which have no fixed "
                        "length: they can only be added to or subtracted from a timestamp, as "
                        "in handed_over_at + " + std::string(text));
  }

  bool check(int i) {
    node& n0 = at(i);
    switch (n0.kind) {
      case nk::months:
        return months_alone(n0.offset, p.src.substr(n0.begin, n0.end - n0.begin));
      case nk::literal:
      case nk::now:
      case nk::shift:
        return true;
      case nk::name: {
        auto it = flow.field_by_name.find(n0.name);
        if (it != flow.field_by_name.end()) {
          const auto& f = flow.fields[it->second];
          n0.kind = nk::field;
          n0.value = it->second;
          n0.type = {f.type, f.enum_index};
        } else {
          n0.unresolved = true;
        }
        return true;
      }
      case nk::field:
        return true;
      case nk::data: {
        if (!scope.event)
          return fail(n0.offset, "'event." + std::string(n0.name) +
                                     "' cannot be used here: timers and entry or exit actions "
                                     "are not handling an event");
        auto it = scope.event->slot_by_name.find(n0.name);
        if (it == scope.event->slot_by_name.end())
          return fail(n0.offset, std::string(scope.context) + " uses unknown event data 'event." +
                                     std::string(n0.name) + "' (event '" + scope.event->name +
                                     "' has no data item '" + std::string(n0.name) + "')");
        const auto& d = scope.event->data[it->second];
        n0.value = it->second;
        n0.type = {d.type, d.enum_index};
        return true;
      }
      case nk::not_: {
        const int operand = n0.lhs;
        if (!check(operand) || !expect_bool(operand, "not")) return false;
        at(i).type = {value_type::boolean, no_id32};
        return true;
      }
      case nk::and_:
      case nk::or_: {
        const int l = n0.lhs, r = n0.rhs;
        const char* name = n0.kind == nk::and_ ? "and" : "or";
        if (!check(l) || !expect_bool(l, name) || !check(r) || !expect_bool(r, name)) return false;
        at(i).type = {value_type::boolean, no_id32};
        return true;
      }
      case nk::compare: {
        if (!check(n0.lhs) || !check(at(i).rhs)) return false;
        if (!unify(at(i))) return false;
        node& n = at(i);
        const node& l = at(n.lhs);
        if (n.code != op::eq && n.code != op::ne) {
          const value_type t = l.type.type;
          if (t != value_type::integer && t != value_type::timestamp && t != value_type::duration)
            return fail(n.offset, "type mismatch: '" + source(l) + "' is " +
                                      describe(l.type, flow, false) + ", which has no order (only "
                                      "int, timestamp and duration can use <, <=, >, >=)");
        }
        n.type = {value_type::boolean, no_id32};
        return true;
      }
      case nk::arith: {
        if (at(n0.rhs).kind == nk::months) {
          // timestamp ± calendar months, counted on the flow's local calendar.
          if (!check(n0.lhs)) return false;
          node& n = at(i);
          const node& l = at(n.lhs);
          if (l.unresolved) return unknown_name(l, nullptr);
          if (l.type.type != value_type::timestamp)
            return fail(n.offset, "type mismatch: calendar months can only be added to or "
                                  "subtracted from a timestamp, but '" + source(l) + "' is " +
                                  describe(l.type, flow, false));
          const std::int64_t months = at(n.rhs).value;
          n.value = n.code == op::add ? months : -months;
          n.code = op::add_months;
          n.type = {value_type::timestamp, no_id32};
          return true;
        }
        if (!check(n0.lhs) || !check(at(i).rhs)) return false;
        node& n = at(i);
        node& l = at(n.lhs);
        node& r = at(n.rhs);
        if (l.unresolved) return unknown_name(l, nullptr);
        if (r.unresolved) return unknown_name(r, nullptr);
        using vt = value_type;
        const vt a = l.type.type, b = r.type.type;
        const bool add = n.code == op::add;
        std::optional<vt> result;
        if (a == vt::integer && b == vt::integer) result = vt::integer;
        else if (a == vt::timestamp && b == vt::duration) result = vt::timestamp;
        else if (add && a == vt::duration && b == vt::timestamp) result = vt::timestamp;
        else if (a == vt::duration && b == vt::duration) result = vt::duration;
        else if (!add && a == vt::timestamp && b == vt::timestamp) result = vt::duration;
        if (!result)
          return fail(n.offset, "type mismatch: cannot " + std::string(add ? "add " : "subtract ") +
                                    describe(r.type, flow, false) + (add ? " to " : " from ") +
                                    describe(l.type, flow, false) + " in '" + source(n) +
                                    "' (allowed: int + int, int - int, timestamp + duration, "
                                    "timestamp - duration, duration + duration, duration - "
                                    "duration, timestamp - timestamp)");
        n.type = {*result, no_id32};
        return true;
      }
      case nk::in: {
        if (!check(n0.lhs)) return false;
        node& l = at(at(i).lhs);
        if (l.unresolved) return unknown_name(l, nullptr);
        if (l.type.type == value_type::timestamp)
          return fail(at(i).offset, "'in' cannot be used with a timestamp (timestamps have no "
                                    "literals)");
        const expr_type want = l.type;
        for (std::uint32_t k = 0; k < at(i).items_count; ++k) {
          std::int64_t v = 0;
          if (!item_value(p.items[at(i).items_first + k], want, v)) return false;
          constants_.push_back(v);
        }
        at(i).type = {value_type::boolean, no_id32};
        return true;
      }
    }
    return true;
  }

  std::vector<std::int64_t>& constants_;  // in list order of the `in` nodes, depth-first
};

// ---- emission -------------------------------------------------------------------------------

struct emitter {
  parser& p;
  detail::flow_program& flow;
  const std::vector<std::int64_t>& constants;
  std::size_t next_constant = 0;
  int depth = 0;
  int max_depth = 0;

  void push(int n = 1) {
    depth += n;
    max_depth = std::max(max_depth, depth);
  }

  void emit(instr i) { flow.code.push_back(i); }

  void gen(int index) {
    const node& n = p.nodes[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case nk::field:
        emit({op::field, static_cast<std::uint16_t>(n.value), 0, 0});
        push();
        break;
      case nk::data:
        emit({op::data, static_cast<std::uint16_t>(n.value), 0, 0});
        push();
        break;
      case nk::now:
        emit({op::now, 0, 0, 0});
        push();
        break;
      case nk::literal:
        emit({op::imm, 0, 0, n.value});
        push();
        break;
      case nk::name:
        break;  // resolved by the checker
      case nk::shift:
        gen(n.lhs);
        emit({op::imm, 0, 0, n.value});
        push();
        emit({op::add, 0, 0, 0});
        --depth;
        break;
      case nk::not_:
        gen(n.lhs);
        emit({op::not_, 0, 0, 0});
        break;
      case nk::months:
        break;  // only under an add_months arith node, which carries the count
      case nk::compare:
      case nk::arith:
        if (n.code == op::add_months) {
          gen(n.lhs);
          emit({op::add_months, 0, 0, n.value});
          break;
        }
        gen(n.lhs);
        gen(n.rhs);
        emit({n.code, 0, 0, 0});
        --depth;
        break;
      case nk::and_:
      case nk::or_: {
        gen(n.lhs);
        const std::size_t jump = flow.code.size();
        emit({n.kind == nk::and_ ? op::jump_false : op::jump_true, 0, 0, 0});
        --depth;  // not taken: popped
        gen(n.rhs);
        flow.code[jump].b = static_cast<std::uint32_t>(flow.code.size());
        break;
      }
      case nk::in: {
        gen(n.lhs);
        const auto first = static_cast<std::uint32_t>(flow.constants.size());
        for (std::uint32_t k = 0; k < n.items_count; ++k)
          flow.constants.push_back(constants[next_constant++]);
        emit({op::in_set, static_cast<std::uint16_t>(n.items_count), first, 0});
        break;
      }
    }
  }
};

void intern_strings(parser& p, detail::string_pool& literals) {
  for (node& n : p.nodes)
    if (n.kind == nk::literal && n.type.type == value_type::string)
      n.value = literals.intern(n.name);
}

}  // namespace

struct expr_workspace::buffers {
  std::vector<token> toks;
  std::vector<node> nodes;
  std::vector<token> items;
  std::vector<std::int64_t> constants;
};

expr_workspace::expr_workspace() : buffers_(std::make_unique<buffers>()) {}
expr_workspace::~expr_workspace() = default;
expr_workspace::expr_workspace(expr_workspace&&) noexcept = default;
expr_workspace& expr_workspace::operator=(expr_workspace&&) noexcept = default;

std::string describe(const expr_type& t, const detail::flow_program& flow, bool with_values) {
  std::string out(to_string(t.type));
  if (with_values && t.type == value_type::enumeration && t.enum_index < flow.enums.size()) {
    out += " (";
    const auto& values = flow.enums[t.enum_index].values;
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
    out += ")";
  }
  return out;
}

std::optional<std::int64_t> enum_offset(const detail::flow_program& flow, std::uint32_t from,
                                        std::uint32_t to) {
  if (from >= flow.enums.size() || to >= flow.enums.size()) return std::nullopt;
  const auto& a = flow.enums[from].values;
  const auto& b = flow.enums[to].values;
  if (a.empty() || a.size() > b.size()) return std::nullopt;
  auto it = std::search(b.begin(), b.end(), a.begin(), a.end());
  if (it == b.end()) return std::nullopt;
  return static_cast<std::int64_t>(it - b.begin());
}

bool is_identifier(std::string_view name) noexcept {
  if (name.empty() || !is_alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(), is_word);
}

bool is_reserved_word(std::string_view name) noexcept {
  for (std::string_view w : {"and", "or", "not", "in", "true", "false", "now", "event"})
    if (name == w) return true;
  return false;
}

std::optional<compiled_expr> compile_expression(std::string_view text, const expr_scope& scope,
                                                std::optional<expr_type> expected,
                                                detail::flow_program& flow,
                                                detail::string_pool& literals, expr_error& error) {
  expr_workspace workspace;
  return compile_expression(text, scope, expected, flow, literals, error, workspace);
}

std::optional<compiled_expr> compile_expression(std::string_view text, const expr_scope& scope,
                                                std::optional<expr_type> expected,
                                                detail::flow_program& flow,
                                                detail::string_pool& literals, expr_error& error,
                                                expr_workspace& workspace) {
  expr_workspace::buffers& b = *workspace.buffers_;
  b.toks.clear();
  b.nodes.clear();
  b.items.clear();
  b.constants.clear();
  parser p{text, b.toks, b.nodes, b.items, &error};
  // The checker holds node references while adding conversion nodes (at most one per node,
  // plus one at the top): reserving keeps those references valid.
  // Every parsed node consumes a token of its own, so the token count bounds them.
  if (!lex(text, p.toks, error)) return std::nullopt;
  p.nodes.reserve(2 * std::min(p.toks.size(), max_nodes) + 2);
  if (p.toks.size() == 1) {
    error = {0, "the expression is empty"};
    return std::nullopt;
  }
  int root = p.parse_or();
  if (root < 0) return std::nullopt;
  if (p.peek().kind != tok::end) {
    error = {p.peek().offset, "unexpected " + p.describe_token(p.peek()) +
                                  " after the end of the expression"};
    return std::nullopt;
  }

  checker c{p, scope, flow, literals, b.constants};
  if (!c.check(root)) return std::nullopt;
  node& top = p.nodes[static_cast<std::size_t>(root)];
  if (top.unresolved) {
    if (expected && expected->type == value_type::enumeration) {
      if (!c.resolve(top, *expected)) return std::nullopt;
    } else {
      c.unknown_name(top, nullptr);
      return std::nullopt;
    }
  } else if (expected && expected->type == value_type::enumeration &&
             top.type.type == value_type::enumeration && !(top.type == *expected)) {
    if (auto off = enum_offset(flow, top.type.enum_index, expected->enum_index))
      root = c.shift(root, *off, *expected);
  }
  intern_strings(p, literals);

  const std::size_t code_start = flow.code.size();
  const std::size_t constants_start = flow.constants.size();
  emitter e{p, flow, c.constants_};
  e.gen(root);
  flow.code.push_back({op::ret, 0, 0, 0});
  if (e.max_depth > detail::max_expr_stack) {
    flow.code.resize(code_start);
    flow.constants.resize(constants_start);
    error = {0, "expression is too complex: it needs " + std::to_string(e.max_depth) +
                    " places on the evaluation stack, at most " +
                    std::to_string(detail::max_expr_stack) +
                    " are allowed (use fewer nested parentheses)"};
    return std::nullopt;
  }
  return compiled_expr{static_cast<std::uint32_t>(code_start),
                       p.nodes[static_cast<std::size_t>(root)].type};
}

}  // namespace crmflow::loader
