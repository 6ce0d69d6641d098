// Recognises the short expressions and quiet transitions that most rules are made of, so the
// engine can skip the interpreter and the exit/entry machinery for them (issue 5).
#include "optimize.hpp"

#include <cstdint>

namespace crmflow::loader {
namespace {

using detail::fast_expr;
using detail::fast_op;
using detail::flow_program;
using detail::instr;
using detail::op;

fast_op compare_form(op code, bool on_field) {
  const int base = on_field ? static_cast<int>(fast_op::field_eq) : static_cast<int>(fast_op::data_eq);
  switch (code) {
    case op::eq: return static_cast<fast_op>(base + 0);
    case op::ne: return static_cast<fast_op>(base + 1);
    case op::lt: return static_cast<fast_op>(base + 2);
    case op::le: return static_cast<fast_op>(base + 3);
    case op::gt: return static_cast<fast_op>(base + 4);
    case op::ge: return static_cast<fast_op>(base + 5);
    default: return fast_op::none;
  }
}

// The fast form of the code at `start`, or none. Matches whole expressions only (up to `ret`).
fast_expr recognise(const flow_program& flow, std::uint32_t start) {
  if (start == detail::no_expr || start >= flow.code.size()) return {};
  const instr* c = flow.code.data() + start;
  const std::size_t left = flow.code.size() - start;
  auto is = [&](std::size_t i, op o) { return i < left && c[i].code == o; };
  const bool leaf_field = is(0, op::field), leaf_data = is(0, op::data);
  // [x, ret]
  if (is(1, op::ret)) {
    if (leaf_field) return {fast_op::field, c[0].a, 0};
    if (leaf_data) return {fast_op::data, c[0].a, 0};
    if (is(0, op::now)) return {fast_op::now, 0, 0};
    if (is(0, op::imm)) return {fast_op::imm, 0, c[0].imm};
    return {};
  }
  // [field|data, not, ret]
  if ((leaf_field || leaf_data) && is(1, op::not_) && is(2, op::ret))
    return {leaf_field ? fast_op::field_not : fast_op::data_not, c[0].a, 0};
  // [field|data, imm k, binary, ret]
  if ((leaf_field || leaf_data) && is(1, op::imm) && is(3, op::ret) && left > 2) {
    const std::int64_t k = c[1].imm;
    if (leaf_field && c[2].code == op::add) return {fast_op::field_add, c[0].a, k};
    if (leaf_field && c[2].code == op::sub)
      return {fast_op::field_add, c[0].a,
              static_cast<std::int64_t>(std::uint64_t{0} - static_cast<std::uint64_t>(k))};
    const fast_op f = compare_form(c[2].code, leaf_field);
    if (f != fast_op::none) return {f, c[0].a, k};
  }
  return {};
}

bool quiet(const detail::action_range& r) { return r.count == 0; }

// Whether taking transition t from state s runs nothing but the transition's own actions.
bool plain(const flow_program& flow, std::size_t s, std::uint32_t t) {
  // Any transition of a flow with SLA clocks may start, pause, resume or stop one (engine.hpp,
  // step_clocks), which the inline path does not do.
  if (!flow.clocks.empty()) return false;
  const detail::transition_def& tr = flow.transitions[t];
  if (tr.internal) return true;
  const detail::state_def& src = flow.states[s];
  const detail::state_def& dst = flow.states[tr.target];
  if (!quiet(src.on_exit) || src.timers_count != 0) return false;
  if (!quiet(dst.on_entry) || dst.timers_count != 0) return false;
  // Entering a final state goes through the engine's full path: it stops the case's timers
  // and may release the case's rule version (engine::publish).
  if (dst.final) return false;
  const std::uint64_t changed = (src.groups & ~dst.groups) | (dst.groups & ~src.groups);
  for (std::size_t g = 0; g < flow.groups.size() && g < 64; ++g) {
    if (!(changed >> g & 1)) continue;
    const detail::group_def& gr = flow.groups[g];
    if (!quiet(gr.on_exit) || !quiet(gr.on_entry) || gr.timers_count != 0) return false;
  }
  return true;
}

// The compact form of dispatch_list[i], taken from state s (see detail::dispatch_cell); `fast`
// says whether this candidate alone could be taken by the fast path.
detail::dispatch_cell cell_of(const flow_program& flow, std::size_t s, std::uint32_t t, bool is_plain, bool& fast) {
  const detail::transition_def& tr = flow.transitions[t];
  detail::dispatch_cell c;
  c.transition = t;
  c.to = tr.internal ? static_cast<state_id>(s) : tr.target;
  fast = is_plain;
  if (tr.guard != detail::no_expr) {
    c.guard = tr.guard_fast.kind;
    c.guard_a = tr.guard_fast.a;
    c.guard_imm = tr.guard_fast.imm;
    fast = fast && c.guard != fast_op::none;
  }
  if (tr.actions.count > 1) fast = false;
  if (tr.actions.count == 1) {
    const detail::action_def& a = flow.actions[tr.actions.first];
    // A `set` of a clock's limit or calendar field moves the clock (engine::clock_field_set);
    // plain already excludes flows with clocks, this keeps the cell honest on its own.
    if (a.kind != detail::action_kind::set || a.fast.kind == fast_op::none || (flow.clock_fields >> a.target & 1))
      fast = false;
    c.action = a.fast.kind;
    c.action_field = a.target;
    c.action_a = a.fast.a;
    c.action_imm = a.fast.imm;
  }
  return c;
}

void build_event_shapes(flow_program& flow) {
  flow.event_count = static_cast<std::uint32_t>(flow.events.size());
  flow.event_shapes.clear();
  flow.data_checks.clear();
  for (const detail::event_def& ev : flow.events) {
    detail::event_shape es;
    const std::size_t n = ev.data.size();
    es.allowed = n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
    es.required = ev.required_mask;
    es.data_first = static_cast<std::uint32_t>(flow.data_checks.size());
    es.data_count = static_cast<std::uint32_t>(n);
    for (const detail::data_def& d : ev.data) {
      // Exactly engine::valid_value, with the enum's size looked up once here.
      detail::data_check k;
      k.initial = d.initial;
      switch (d.type) {
        case value_type::boolean:
          k.kind = detail::data_check_kind::bounded;
          k.bound = 2;
          break;
        case value_type::enumeration:
          k.kind = detail::data_check_kind::bounded;
          k.bound = d.enum_index < flow.enums.size()
                        ? static_cast<std::uint32_t>(flow.enums[d.enum_index].values.size())
                        : 0;
          break;
        case value_type::string: k.kind = detail::data_check_kind::string; break;
        default: k.kind = detail::data_check_kind::any; break;
      }
      flow.data_checks.push_back(k);
    }
    flow.event_shapes.push_back(es);
  }
}

}  // namespace

void optimize_flow(flow_program& flow) {
  for (detail::action_def& a : flow.actions)
    if (a.kind == detail::action_kind::set) a.fast = recognise(flow, a.expr);
  for (detail::transition_def& tr : flow.transitions)
    if (tr.guard != detail::no_expr) tr.guard_fast = recognise(flow, tr.guard);
  const std::size_t ne = flow.events.size();
  flow.dispatch_plain.assign(flow.dispatch_list.size(), 0);
  for (std::size_t s = 0; s < flow.states.size(); ++s)
    for (std::size_t e = 0; e < ne; ++e)
      for (std::uint32_t i = flow.dispatch_index[s * ne + e]; i < flow.dispatch_index[s * ne + e + 1]; ++i)
        flow.dispatch_plain[i] = plain(flow, s, flow.dispatch_list[i]) ? 1 : 0;
  build_event_shapes(flow);
  flow.dispatch_cells.assign(flow.states.size() * ne, {});
  for (std::size_t s = 0; s < flow.states.size(); ++s)
    for (std::size_t e = 0; e < ne; ++e) {
      const std::size_t head = s * ne + e;
      const std::uint32_t first = flow.dispatch_index[head], last = flow.dispatch_index[head + 1];
      bool fast = first != last;  // no candidate: the general path refuses (no_transition)
      std::size_t at = head;      // the cell being filled; indices, as the vector grows
      for (std::uint32_t i = first; i < last; ++i) {
        const std::uint32_t next = static_cast<std::uint32_t>(flow.dispatch_cells.size());
        if (i != first) {
          flow.dispatch_cells[at].next = next;
          flow.dispatch_cells.emplace_back();
          at = next;
        }
        bool this_fast = false;
        flow.dispatch_cells[at] = cell_of(flow, s, flow.dispatch_list[i], flow.dispatch_plain[i] != 0, this_fast);
        fast = fast && this_fast;
        if (flow.transitions[flow.dispatch_list[i]].guard == detail::no_expr)
          break;  // the candidates after an unguarded one are never tried
      }
      detail::dispatch_cell& h = flow.dispatch_cells[head];
      h.kind = !fast ? detail::cell_kind::general
               : h.guard == fast_op::none && h.action == fast_op::field_add ? detail::cell_kind::add
                                                                             : detail::cell_kind::fast;
      flow.dispatch_cells[head].event_data = flow.events[e].data.empty() ? 0 : 1;
    }
  // Once every cell has its place. The loader's bounds on states x events and on transitions
  // keep the table under 2 GB, so the deltas fit.
  for (std::size_t i = 0; i < flow.dispatch_cells.size(); ++i) {
    detail::dispatch_cell& c = flow.dispatch_cells[i];
    const auto cells = static_cast<std::int64_t>(std::size_t{c.to} * ne) - static_cast<std::int64_t>(i);
    c.to_delta = static_cast<std::int32_t>(cells * static_cast<std::int64_t>(sizeof(detail::dispatch_cell)));
  }
}

}  // namespace crmflow::loader
