// Matching a decision table's rows (the `decide` action). Inline so the host's compiler sees
// the whole event path: integer compares over flat arrays, no strings, no allocation.
#pragma once

#include <cstdint>

#include "crmflow/detail/program.hpp"

namespace crmflow::detail {

// Whether raw value `v` passes test `t`. The loader keeps every index in range.
inline bool passes(const flow_program& flow, const table_test& t, raw_value v) noexcept {
  switch (t.kind) {
    case table_test_kind::range: return t.lo <= v && v <= t.hi;
    case table_test_kind::mask: return static_cast<std::uint64_t>(v) < 64 && (t.mask >> v & 1) != 0;
    case table_test_kind::set: {
      const std::int64_t* c = flow.constants.data() + t.first;
      for (std::uint32_t i = 0; i < t.count; ++i)
        if (c[i] == v) return true;
      return false;
    }
    case table_test_kind::ranges: {
      const std::int64_t* c = flow.constants.data() + t.first;
      for (std::uint32_t i = 0; i < t.count; ++i)
        if (c[2 * i] <= v && v <= c[2 * i + 1]) return true;
      return false;
    }
  }
  return false;
}

// The index (into flow.table_rows) of the first row of `table` whose tests all pass on the
// case's `fields`, or no_id32 when none does (then the table's default applies). O(tests).
inline std::uint32_t match_row(const flow_program& flow, const decision_table& table,
                               const raw_value* fields) noexcept {
  const table_row* rows = flow.table_rows.data();
  const table_test* tests = flow.table_tests.data();
  for (std::uint32_t r = table.rows_first; r < table.rows_first + table.rows_count; ++r) {
    const table_row& row = rows[r];
    bool all = true;
    for (std::uint32_t i = row.tests_first; all && i < row.tests_first + row.tests_count; ++i)
      all = passes(flow, tests[i], fields[tests[i].field]);
    if (all) return r;
  }
  return no_id32;
}

}  // namespace crmflow::detail
