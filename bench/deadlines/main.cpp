// Deadline benchmark (issue 5, item 3): the engine's pending-deadline store
// (detail::deadline_queue: a timer wheel of 24-byte slots, each with its Boost.MSM lifecycle
// state, sorted a bucket at a time) against a baseline, a
// std::priority_queue of plain 32-byte structs with lazy cancellation by generation, in one run.
//   (1) memory: 1,000,000 cases x 2.6 pending deadlines (due spread over a month): RSS growth
//       per pending deadline;
//   (2) schedule-and-cancel: with those pending, 10,000,000 pairs (start a deadline due after
//       the month, cancel it);
//   (3) firings: advance through the month hour by hour, firing every deadline in time order.
// Checks: both fire the same number of deadlines in the same order (a checksum over due times
// and owners), nothing pending at the end. Exits 1 when they differ. `--quick`: 100,000 cases.
#include <malloc.h>

#include <cstdio>
#include <queue>
#include <vector>

#include <crmflow/detail/deadline_queue.hpp>

#include "../common/bench_util.hpp"

namespace {

using crmflow::timestamp;
using crmflow_bench::bench_clock;
using crmflow_bench::seconds_since;

constexpr timestamp hour = 3'600'000;
constexpr timestamp month = 30 * 24 * hour;

struct plan {
  std::vector<std::uint32_t> owner;
  std::vector<std::uint16_t> timer;
  std::vector<timestamp> due;
};

// Case i gets 2 or 3 deadlines (2.6 on average), due at hashed instants within the month.
plan make_plan(std::uint32_t cases) {
  plan p;
  for (std::uint32_t i = 0; i < cases; ++i) {
    const int n = crmflow_bench::mix(i) % 10 < 6 ? 3 : 2;
    for (int k = 0; k < n; ++k) {
      p.owner.push_back(i);
      p.timer.push_back(static_cast<std::uint16_t>(k));
      p.due.push_back(1 + static_cast<timestamp>(crmflow_bench::mix(std::uint64_t{i} * 4 + k) % month));
    }
  }
  return p;
}

struct result {
  double bytes_per_deadline = 0;
  double pairs_per_s = 0;
  double firings_per_s = 0;
  std::uint64_t fired = 0;
  std::uint64_t checksum = 0;
  std::size_t pending_after = 0;
};

// ---- baseline: std::priority_queue of plain structs, lazy cancellation ------------------------

struct plain_entry {
  timestamp due;
  std::uint64_t order;
  std::uint32_t slot;
  std::uint32_t generation;
  std::uint32_t owner;
  std::uint32_t timer;
};
struct later {
  bool operator()(const plain_entry& a, const plain_entry& b) const {
    return a.due != b.due ? a.due > b.due : a.order > b.order;
  }
};

result run_baseline(const plan& p, std::uint64_t pairs) {
  result r;
  const std::uint64_t before = crmflow_bench::rss_bytes();
  std::priority_queue<plain_entry, std::vector<plain_entry>, later> heap;
  std::vector<std::uint32_t> generation(p.due.size() + 1, 0);
  std::uint64_t order = 0;
  for (std::size_t i = 0; i < p.due.size(); ++i)
    heap.push({p.due[i], order++, static_cast<std::uint32_t>(i), 0, p.owner[i], p.timer[i]});
  r.bytes_per_deadline = static_cast<double>(crmflow_bench::rss_bytes() - before) / static_cast<double>(p.due.size());
  const auto spare = static_cast<std::uint32_t>(p.due.size());
  auto t0 = bench_clock::now();
  for (std::uint64_t k = 0; k < pairs; ++k) {
    heap.push({month + 1 + p.due[k % p.due.size()], order++, spare, generation[spare], 0, 9});
    ++generation[spare];  // cancel
  }
  r.pairs_per_s = static_cast<double>(pairs) / seconds_since(t0);
  t0 = bench_clock::now();
  for (timestamp t = hour; t <= month; t += hour) {
    while (!heap.empty() && heap.top().due <= t) {
      const plain_entry e = heap.top();
      heap.pop();
      if (generation[e.slot] != e.generation) continue;
      ++generation[e.slot];
      ++r.fired;
      r.checksum = r.checksum * 1'000'003 + static_cast<std::uint64_t>(e.due) + e.owner * 7 + e.timer;
    }
  }
  r.firings_per_s = static_cast<double>(r.fired) / seconds_since(t0);
  r.pending_after = 0;  // the pairs' cancelled entries stay in the heap, due after the month
  return r;
}

// ---- crmflow: detail::deadline_queue (timer wheel) --------------------------------------------

result run_crmflow(const plan& p, std::uint64_t pairs) {
  result r;
  const std::uint64_t before = crmflow_bench::rss_bytes();
  crmflow::detail::deadline_queue q;
  for (std::size_t i = 0; i < p.due.size(); ++i) q.start(p.owner[i], p.timer[i], p.due[i], crmflow::no_id32);
  r.bytes_per_deadline = static_cast<double>(crmflow_bench::rss_bytes() - before) / static_cast<double>(p.due.size());
  auto t0 = bench_clock::now();
  for (std::uint64_t k = 0; k < pairs; ++k) {
    const std::uint32_t h = q.start(0, 9, month + 1 + p.due[k % p.due.size()], crmflow::no_id32);
    q.cancel(h);
  }
  r.pairs_per_s = static_cast<double>(pairs) / seconds_since(t0);
  t0 = bench_clock::now();
  crmflow::detail::due_deadline d{};
  for (timestamp t = hour; t <= month; t += hour) {
    while (q.pop_due(t, true, d)) {
      ++r.fired;
      r.checksum = r.checksum * 1'000'003 + static_cast<std::uint64_t>(d.due) + d.owner * 7 + d.timer;
    }
  }
  r.firings_per_s = static_cast<double>(r.fired) / seconds_since(t0);
  r.pending_after = q.pending();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  const bool quick = crmflow_bench::has_flag(argc, argv, "--quick");
  const std::uint32_t cases = quick ? 100'000 : 1'000'000;
  const std::uint64_t pairs = quick ? 1'000'000 : 10'000'000;
  const plan p = make_plan(cases);
  std::printf("crmflow deadline benchmark (%s): %u cases, %zu pending deadlines over 30 days, %llu "
              "schedule-and-cancel pairs; one run each\n",
              quick ? "quick" : "full", cases, p.due.size(), static_cast<unsigned long long>(pairs));
  const result base = run_baseline(p, pairs);
  const result crm = run_crmflow(p, pairs);
  std::printf("                       baseline (priority_queue)    crmflow   ratio crmflow/baseline   target\n");
  std::printf("bytes/pending deadline   %10.1f             %10.1f   %6.2f                   <= 32\n",
              base.bytes_per_deadline, crm.bytes_per_deadline, crm.bytes_per_deadline / base.bytes_per_deadline);
  std::printf("schedule+cancel pairs/s  %10.3gM            %10.3gM   %6.2f (throughput)      >= 20M\n",
              base.pairs_per_s / 1e6, crm.pairs_per_s / 1e6, crm.pairs_per_s / base.pairs_per_s);
  std::printf("firings/s                %10.3gM            %10.3gM   %6.2f (throughput)      >= 10M\n",
              base.firings_per_s / 1e6, crm.firings_per_s / 1e6, crm.firings_per_s / base.firings_per_s);
  const bool ok = base.fired == p.due.size() && crm.fired == base.fired && crm.checksum == base.checksum &&
                  crm.pending_after == 0;
  std::printf("fired: baseline %llu, crmflow %llu; pending after: %zu\n",
              static_cast<unsigned long long>(base.fired), static_cast<unsigned long long>(crm.fired),
              crm.pending_after);
  std::printf("checks: %s\n", ok ? "ok (same deadlines fired in the same order)" : "FAILED");
  return ok ? 0 : 1;
}
