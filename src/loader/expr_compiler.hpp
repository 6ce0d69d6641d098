// Guards and `from:` values: lexer, recursive-descent parser, type checker and emitter of the
// postfix code run by detail::evaluate. One expression in, one error (the first) out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crmflow/detail/program.hpp"
#include "crmflow/detail/string_pool.hpp"
#include "crmflow/value.hpp"

namespace crmflow::loader {

// The static type of an expression. Two enum types are the same type only if they use the same
// entry of flow_program::enums (the loader shares entries between identical value lists).
struct expr_type {
  value_type type = value_type::boolean;
  std::uint32_t enum_index = no_id32;

  friend bool operator==(const expr_type&, const expr_type&) = default;
};

// "int", or "enum (minor, major)" when `with_values`.
std::string describe(const expr_type& t, const detail::flow_program& flow, bool with_values);

// What names an expression may use.
struct expr_scope {
  const detail::flow_program* flow = nullptr;  // fields and enums (already filled in)
  const detail::event_def* event = nullptr;    // the event being handled; null: none
  std::string_view context = "expression";     // "guard": used in "guard uses unknown field"
};

struct expr_error {
  std::size_t offset = 0;  // byte offset in the expression text
  std::string message;
};

struct compiled_expr {
  std::uint32_t start = detail::no_expr;  // index of the first instr in flow.code
  expr_type type;
};

// If the values of enum `from` are a run of the values of enum `to` in the same order, the
// number to add to a `from` index to get the `to` index. Lets `set: level from: event.level`
// work when the event's values [minor, major] are a part of the field's [none, minor, major].
std::optional<std::int64_t> enum_offset(const detail::flow_program& flow, std::uint32_t from,
                                        std::uint32_t to);

// Compiles `text`, appending code (ending in op::ret) to flow.code and `in` lists to
// flow.constants; string literals are interned in `literals`. `expected`, when given, is used
// to resolve a bare enum value name and to convert between compatible enums; the caller still
// checks that the returned type is the one it needs. nullopt and `error` on any problem,
// including an expression needing more than detail::max_expr_stack stack slots.
std::optional<compiled_expr> compile_expression(std::string_view text, const expr_scope& scope,
                                                std::optional<expr_type> expected,
                                                detail::flow_program& flow,
                                                detail::string_pool& literals, expr_error& error);

// Scratch buffers of compile_expression (tokens, syntax tree, `in` lists), kept by a caller
// that compiles many expressions: with one, compiling allocates nothing once the buffers have
// grown to the longest expression seen. Not shared between threads.
class expr_workspace {
 public:
  expr_workspace();
  ~expr_workspace();
  expr_workspace(expr_workspace&&) noexcept;
  expr_workspace& operator=(expr_workspace&&) noexcept;

 private:
  friend std::optional<compiled_expr> compile_expression(std::string_view, const expr_scope&,
                                                         std::optional<expr_type>, detail::flow_program&,
                                                         detail::string_pool&, expr_error&, expr_workspace&);
  struct buffers;
  std::unique_ptr<buffers> buffers_;
};

// compile_expression with the scratch buffers of `workspace`; the same result.
std::optional<compiled_expr> compile_expression(std::string_view text, const expr_scope& scope,
                                                std::optional<expr_type> expected,
                                                detail::flow_program& flow,
                                                detail::string_pool& literals, expr_error& error,
                                                expr_workspace& workspace);

// Whether `name` is an identifier: ASCII letter, then letters, digits and '_'.
bool is_identifier(std::string_view name) noexcept;

// Words with a meaning in expressions, which cannot name a field or an enum value.
bool is_reserved_word(std::string_view name) noexcept;

}  // namespace crmflow::loader
