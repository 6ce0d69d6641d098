// Evaluation of compiled expressions. Inline so the host's compiler sees the whole event path.
#pragma once

#include <cstdint>

#include "crmflow/detail/calendar_months.hpp"
#include "crmflow/detail/program.hpp"

namespace crmflow::detail {

struct eval_context {
  const std::int64_t* fields = nullptr;
  const std::int64_t* data = nullptr;
  timestamp now = 0;
};

// Runs the expression starting at code[start]. The loader guarantees well-typed code, in-range
// indices and a stack no deeper than max_expr_stack, so nothing is checked here.
inline std::int64_t evaluate(const flow_program& flow, std::uint32_t start,
                             const eval_context& ctx) noexcept {
  std::int64_t stack[max_expr_stack];
  int sp = 0;
  const instr* const code = flow.code.data();
  // Unsigned arithmetic: overflow wraps instead of being undefined.
  auto wrap = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  for (const instr* pc = code + start;; ++pc) {
    switch (pc->code) {
      case op::field: stack[sp++] = ctx.fields[pc->a]; break;
      case op::data: stack[sp++] = ctx.data[pc->a]; break;
      case op::now: stack[sp++] = ctx.now; break;
      case op::imm: stack[sp++] = pc->imm; break;
      case op::eq: --sp; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
      case op::ne: --sp; stack[sp - 1] = stack[sp - 1] != stack[sp]; break;
      case op::lt: --sp; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case op::le: --sp; stack[sp - 1] = stack[sp - 1] <= stack[sp]; break;
      case op::gt: --sp; stack[sp - 1] = stack[sp - 1] > stack[sp]; break;
      case op::ge: --sp; stack[sp - 1] = stack[sp - 1] >= stack[sp]; break;
      case op::add:
        --sp;
        stack[sp - 1] = wrap(static_cast<std::uint64_t>(stack[sp - 1]) +
                             static_cast<std::uint64_t>(stack[sp]));
        break;
      case op::sub:
        --sp;
        stack[sp - 1] = wrap(static_cast<std::uint64_t>(stack[sp - 1]) -
                             static_cast<std::uint64_t>(stack[sp]));
        break;
      case op::not_: stack[sp - 1] = !stack[sp - 1]; break;
      case op::in_set: {
        const std::int64_t v = stack[sp - 1];
        const std::int64_t* first = flow.constants.data() + pc->b;
        std::int64_t found = 0;
        for (std::uint16_t i = 0; i < pc->a; ++i) found |= first[i] == v;
        stack[sp - 1] = found;
        break;
      }
      case op::jump_false:
        if (stack[sp - 1] == 0) pc = code + pc->b - 1;
        else --sp;
        break;
      case op::jump_true:
        if (stack[sp - 1] != 0) pc = code + pc->b - 1;
        else --sp;
        break;
      case op::add_months:
        stack[sp - 1] = add_calendar_months(stack[sp - 1], pc->imm, flow.utc_offset_minutes);
        break;
      case op::ret: return stack[sp - 1];
    }
  }
}

// The value of a fast form (kind, operand a, immediate k); `kind` is not fast_op::none.
// Always inlined: a call inside engine::post_quiet's guard chain makes the compiler save and
// restore half the loop's registers around it on every event that reaches the chain.
#if defined(__GNUC__)
[[gnu::always_inline]]
#endif
inline std::int64_t fast_value(fast_op kind, std::uint16_t a, std::int64_t k, const eval_context& ctx) noexcept {
  switch (kind) {
    case fast_op::none: break;
    case fast_op::imm: return k;
    case fast_op::field: return ctx.fields[a];
    case fast_op::data: return ctx.data[a];
    case fast_op::now: return ctx.now;
    case fast_op::field_add:
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(ctx.fields[a]) +
                                       static_cast<std::uint64_t>(k));
    case fast_op::field_eq: return ctx.fields[a] == k;
    case fast_op::field_ne: return ctx.fields[a] != k;
    case fast_op::field_lt: return ctx.fields[a] < k;
    case fast_op::field_le: return ctx.fields[a] <= k;
    case fast_op::field_gt: return ctx.fields[a] > k;
    case fast_op::field_ge: return ctx.fields[a] >= k;
    case fast_op::data_eq: return ctx.data[a] == k;
    case fast_op::data_ne: return ctx.data[a] != k;
    case fast_op::data_lt: return ctx.data[a] < k;
    case fast_op::data_le: return ctx.data[a] <= k;
    case fast_op::data_gt: return ctx.data[a] > k;
    case fast_op::data_ge: return ctx.data[a] >= k;
    case fast_op::field_not: return !ctx.fields[a];
    case fast_op::data_not: return !ctx.data[a];
  }
  return 0;
}

// Evaluates an expression through its fast form when it has one (see fast_op), else runs the
// code at `start`. Same result either way.
inline std::int64_t evaluate(const flow_program& flow, const fast_expr& fast, std::uint32_t start,
                             const eval_context& ctx) noexcept {
  if (fast.kind != fast_op::none) return fast_value(fast.kind, fast.a, fast.imm, ctx);
  return evaluate(flow, start, ctx);
}

// Whether a guard holds: the commonest shapes (`event.flag`, `field == constant`) without a
// call, the rest through evaluate().
inline bool holds(const flow_program& flow, const fast_expr& fast, std::uint32_t start,
                  const eval_context& ctx) noexcept {
  if (fast.kind == fast_op::data) return ctx.data[fast.a] != 0;
  if (fast.kind == fast_op::field_eq) return ctx.fields[fast.a] == fast.imm;
  return evaluate(flow, fast, start, ctx) != 0;
}

// The value of a `set` action's expression: `x + k` and constants without a call.
inline std::int64_t set_value(const flow_program& flow, const fast_expr& fast, std::uint32_t start,
                              const eval_context& ctx) noexcept {
  if (fast.kind == fast_op::field_add)
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(ctx.fields[fast.a]) +
                                     static_cast<std::uint64_t>(fast.imm));
  if (fast.kind == fast_op::imm) return fast.imm;
  return evaluate(flow, fast, start, ctx);
}

}  // namespace crmflow::detail
