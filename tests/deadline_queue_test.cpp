// The pending-deadline store (crmflow/detail/deadline_queue.hpp): exact firing order by (due,
// start order) through restarts, cancels, late starts into the bucket being fired, far epochs,
// the start-sequence wrap; inclusive and exclusive limits; the lifecycle machine of each
// deadline; memory that follows the live deadlines. A model (a plain list searched for its
// minimum) checks long random runs entry by entry.
#define BOOST_TEST_MODULE deadline_queue
#include <boost/test/unit_test.hpp>

#include <crmflow/detail/deadline_queue.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using crmflow::case_id;
using crmflow::no_id32;
using crmflow::timer_id;
using crmflow::timestamp;
using crmflow::detail::deadline_phase;
using crmflow::detail::deadline_queue;
using crmflow::detail::due_deadline;

namespace {

constexpr timestamp minute = 60'000;
constexpr timestamp hour = 60 * minute;
constexpr timestamp day = 24 * hour;
constexpr timestamp bucket = timestamp{1} << 20;  // the wheel's bucket, for placing edge cases
constexpr timestamp epoch = timestamp{1} << 32;
constexpr timestamp latest = std::numeric_limits<timestamp>::max();

// "owner.timer@due" of everything pop_due gives up to `limit`.
std::vector<std::string> drain(deadline_queue& q, timestamp limit, bool inclusive = true) {
  std::vector<std::string> out;
  due_deadline d{};
  while (q.pop_due(limit, inclusive, d))
    out.push_back(std::to_string(d.owner) + "." + std::to_string(d.timer) + "@" + std::to_string(d.due));
  return out;
}

using lines = std::vector<std::string>;

// Running deadlines as "owner.timer@due", in start order.
lines running(const deadline_queue& q) {
  std::vector<std::tuple<std::uint64_t, case_id, timer_id, timestamp>> all;
  q.for_each_running([&](case_id c, timer_id t, timestamp due, std::uint64_t order) { all.emplace_back(order, c, t, due); });
  std::sort(all.begin(), all.end());
  lines out;
  for (const auto& [order, c, t, due] : all) out.push_back(std::to_string(c) + "." + std::to_string(t) + "@" + std::to_string(due));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(equal_due_times_fire_in_start_order_through_restarts_and_cancels) {
  deadline_queue q;
  const std::uint32_t a = q.start(1, 0, 100, no_id32);
  const std::uint32_t b = q.start(2, 0, 100, no_id32);
  q.start(3, 0, 50, no_id32);
  q.start(4, 0, 100, no_id32);
  BOOST_TEST(q.start(1, 1, 100, a) == a);  // a restart is a new start: after 4
  q.cancel(b);
  const std::uint32_t e = q.start(5, 0, 100, no_id32);
  BOOST_TEST(e == b);  // the cancelled deadline's slot is reused
  q.start(6, 0, 99, no_id32);
  BOOST_TEST(q.pending() == 5u);
  BOOST_TEST(running(q) == (lines{"3.0@50", "4.0@100", "1.1@100", "5.0@100", "6.0@99"}));
  BOOST_TEST(drain(q, 100) == (lines{"3.0@50", "6.0@99", "4.0@100", "1.1@100", "5.0@100"}));
  BOOST_TEST(q.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(limits_are_inclusive_or_strict) {
  deadline_queue q;
  q.start(1, 0, 1000, no_id32);
  q.start(2, 0, 1000, no_id32);
  q.start(3, 0, 1001, no_id32);
  BOOST_TEST(!q.any_due(999, true));
  BOOST_TEST(!q.any_due(1000, false));
  BOOST_TEST(q.any_due(1000, true));
  BOOST_TEST(drain(q, 999).empty());
  BOOST_TEST(drain(q, 1000, false).empty());
  BOOST_TEST(drain(q, 1000, true) == (lines{"1.0@1000", "2.0@1000"}));
  BOOST_TEST(drain(q, 1001, false).empty());
  BOOST_TEST(q.any_due(1002, false));
  BOOST_TEST(drain(q, 1002, false) == (lines{"3.0@1001"}));
  BOOST_TEST(!q.any_due(latest, true));
  BOOST_TEST(drain(q, latest).empty());
}

BOOST_AUTO_TEST_CASE(deadlines_years_apart_and_before_1970_fire_in_order) {
  deadline_queue q;
  // Across the wheel's levels: the first bucket, later buckets of its epoch, later epochs,
  // epochs beyond the second level (far), the largest instant, instants before the first one
  // started (below the wheel's base) and negative ones.
  const std::vector<timestamp> dues = {5 * day,           1000,       epoch + 7,      3 * epoch,
                                       1000 * epoch + 1,  2000 * epoch, latest,       latest,
                                       -5 * epoch,        -1,          5 * day,       bucket - 1,
                                       bucket,            epoch - 1,    1025 * epoch, 1000};
  for (std::size_t i = 0; i < dues.size(); ++i) q.start(static_cast<case_id>(i), 0, dues[i], no_id32);
  lines expected;
  std::vector<std::size_t> order(dues.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return dues[x] < dues[y]; });
  for (const std::size_t i : order) expected.push_back(std::to_string(i) + ".0@" + std::to_string(dues[i]));
  BOOST_TEST(expected.front() == "8.0@" + std::to_string(-5 * epoch));
  BOOST_TEST(expected.back() == "7.0@" + std::to_string(latest));
  // In steps, so that the wheel moves a bucket, an epoch, many epochs at a time.
  lines got = drain(q, 0);
  for (const timestamp t : {bucket, 2 * epoch, 1500 * epoch, 3000 * epoch, latest - 1, latest}) {
    const lines more = drain(q, t);
    got.insert(got.end(), more.begin(), more.end());
  }
  BOOST_TEST(got == expected);
  BOOST_TEST(q.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(starts_into_the_bucket_being_fired_take_their_place) {
  deadline_queue q;
  const timestamp t0 = 10 * day;
  q.start(1, 0, t0 + 10, no_id32);
  q.start(2, 0, t0 + 20, no_id32);
  const std::uint32_t h3 = q.start(3, 0, t0 + 30, no_id32);
  q.start(4, 0, t0 + 40, no_id32);
  BOOST_TEST(drain(q, t0 + 10) == (lines{"1.0@" + std::to_string(t0 + 10)}));
  // The bucket is now being fired: starts, a restart and a cancel inside it.
  q.start(5, 0, t0 + 20, no_id32);    // ties with 2, started later
  q.start(6, 0, t0 + 15, no_id32);    // before 2
  q.start(3, 1, t0 + 35, h3);         // 3 moves after 4? no: 35 < 40
  q.start(7, 0, t0 + 11, no_id32);
  q.start(8, 0, t0 + 5, no_id32);     // already past the last limit: fires first
  const std::uint32_t h9 = q.start(9, 0, t0 + 12, no_id32);
  q.cancel(h9);
  BOOST_TEST(drain(q, t0 + 35, false) ==
             (lines{"8.0@" + std::to_string(t0 + 5), "7.0@" + std::to_string(t0 + 11), "6.0@" + std::to_string(t0 + 15),
                    "2.0@" + std::to_string(t0 + 20), "5.0@" + std::to_string(t0 + 20)}));
  BOOST_TEST(drain(q, t0 + day) == (lines{"3.1@" + std::to_string(t0 + 35), "4.0@" + std::to_string(t0 + 40)}));
}

BOOST_AUTO_TEST_CASE(the_machine_of_each_deadline_goes_idle_armed_fired_or_cancelled) {
  deadline_queue q;
  const std::uint32_t a = q.start(1, 0, 100, no_id32);
  const std::uint32_t b = q.start(2, 0, 200, no_id32);
  BOOST_TEST((q.phase(a) == deadline_phase::armed));
  q.cancel(a);
  BOOST_TEST((q.phase(a) == deadline_phase::cancelled));
  q.cancel(a);  // refused by the machine: nothing changes
  BOOST_TEST((q.phase(a) == deadline_phase::cancelled));
  BOOST_TEST(q.pending() == 1u);
  BOOST_TEST(drain(q, 1000) == (lines{"2.0@200"}));
  BOOST_TEST((q.phase(b) == deadline_phase::fired));
  q.cancel(b);
  BOOST_TEST((q.phase(b) == deadline_phase::fired));
  BOOST_TEST(q.pending() == 0u);
  BOOST_TEST(q.start(3, 0, 300, no_id32) == b);  // re-armed from fired
  BOOST_TEST((q.phase(b) == deadline_phase::armed));
  BOOST_TEST(q.slots() == 2u);
}

BOOST_AUTO_TEST_CASE(start_order_survives_the_sequence_wrap) {
  deadline_queue q(16);  // renumbered every few starts
  std::vector<std::uint32_t> h;
  for (case_id c = 0; c < 10; ++c) h.push_back(q.start(c, 0, 5000, no_id32));
  for (int round = 0; round < 50; ++round) {
    // Restart the first running one (it goes to the back), start and cancel a spare.
    const std::uint32_t x = q.start(99, 0, 5000, no_id32);
    q.cancel(x);
    const case_id c = static_cast<case_id>(round % 10);
    h[c] = q.start(c, 1, 5000, h[c]);
  }
  // 50 rounds restarted 0..9 five times over: the order is 0..9 again, each with timer 1.
  lines expected;
  for (case_id c = 0; c < 10; ++c) expected.push_back(std::to_string(c) + ".1@5000");
  BOOST_TEST(running(q) == expected);
  BOOST_TEST(drain(q, 5000) == expected);
}

BOOST_AUTO_TEST_CASE(stale_entries_do_not_pile_up_in_the_bucket_being_fired) {
  deadline_queue q;
  const timestamp t0 = 3 * day;
  for (case_id c = 0; c < 10; ++c) q.start(c, 0, t0 + c, no_id32);
  BOOST_TEST(drain(q, t0) == (lines{"0.0@" + std::to_string(t0)}));
  // Restarted again and again inside the bucket being fired: each restart leaves the previous
  // entry stale there until the run is rebuilt.
  std::uint32_t h = no_id32;
  for (timestamp k = 0; k < 100000; ++k) h = q.start(42, 0, t0 + 100 + k % 1000, h);
  BOOST_TEST(q.pending() == 10u);
  BOOST_TEST(q.entries() <= 4096u + 10u);
  BOOST_TEST(q.slots() == 10u);
  lines expected;
  for (case_id c = 1; c < 10; ++c) expected.push_back(std::to_string(c) + ".0@" + std::to_string(t0 + c));
  expected.push_back("42.0@" + std::to_string(t0 + 100 + 99999 % 1000));
  BOOST_TEST(drain(q, t0 + day) == expected);
  BOOST_TEST(q.entries() == 0u);
}

BOOST_AUTO_TEST_CASE(stale_entries_stay_bounded_beside_many_live_ones_in_the_bucket_being_fired) {
  deadline_queue q;
  const timestamp t0 = 3 * day;
  q.start(0, 0, t0, no_id32);
  for (case_id c = 1; c < 20000; ++c) q.start(c, 0, t0 + 1 + c % 500, no_id32);
  BOOST_TEST(drain(q, t0) == (lines{"0.0@" + std::to_string(t0)}));  // the bucket is being fired
  // 19,999 live in the run; one more restarted 100,000 times in it: the stale entries it leaves
  // are dropped once they outnumber the live late ones, not when they reach half of everything.
  std::uint32_t h = no_id32;
  std::size_t most = 0;
  for (timestamp k = 0; k < 100000; ++k) {
    h = q.start(77777, 0, t0 + 1 + k % 600, h);
    most = std::max(most, q.entries());
  }
  BOOST_TEST(q.pending() == 20000u);
  BOOST_TEST(most <= 20000u + 4096u);
  const lines got = drain(q, t0 + day);
  BOOST_TEST(got.size() == 20000u);
  BOOST_TEST(got[0] == "500.0@" + std::to_string(t0 + 1));
  // Last due t0 + 1 + 99,999 % 600 = t0 + 400: after the 40 started earlier at that instant
  // (c % 500 == 399), before those due a millisecond later.
  const auto at = std::find(got.begin(), got.end(), "77777.0@" + std::to_string(t0 + 400));
  BOOST_TEST_REQUIRE((at != got.end()));
  BOOST_TEST(*(at - 1) == "19899.0@" + std::to_string(t0 + 400));
  BOOST_TEST(*(at + 1) == "400.0@" + std::to_string(t0 + 401));
}

BOOST_AUTO_TEST_CASE(a_first_deadline_far_ahead_does_not_push_the_rest_into_the_heap) {
  deadline_queue q;
  q.start(0, 0, 400 * day, no_id32);  // sets the wheel's base 400 days ahead
  for (case_id c = 1; c <= 20000; ++c) q.start(c, 0, static_cast<timestamp>(c) * minute, no_id32);
  // The nearer ones were rebuilt into the wheel rather than kept as late starts.
  BOOST_TEST(q.entries() < 20001u + 4096u);
  lines got = drain(q, 400 * day);
  BOOST_TEST(got.size() == 20001u);
  BOOST_TEST(got.front() == "1.0@60000");
  BOOST_TEST(got[19999] == "20000.0@" + std::to_string(20000 * minute));
  BOOST_TEST(got.back() == "0.0@" + std::to_string(400 * day));
}

// A month of hashed deadlines, fired hour by hour: exactly the order of a stable sort by due.
BOOST_AUTO_TEST_CASE(three_hundred_thousand_deadlines_fire_in_due_then_start_order) {
  deadline_queue q;
  const timestamp t0 = 1'700'000'000'000;  // an instant of 2023: wheel epochs are not aligned to it
  std::vector<std::pair<timestamp, std::uint32_t>> all;
  std::mt19937_64 rng(7);
  for (std::uint32_t i = 0; i < 300'000; ++i) {
    // Every 7th at a round hour, so that many share a due time.
    const timestamp due = t0 + (i % 7 == 0 ? static_cast<timestamp>(rng() % 720) * hour : static_cast<timestamp>(rng() % (30 * day)));
    all.emplace_back(due, i);
    q.start(i, 0, due, no_id32);
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::size_t k = 0;
  bool same = true;
  due_deadline d{};
  for (timestamp t = t0; t <= t0 + 31 * day; t += hour)
    while (q.pop_due(t, true, d)) {
      same = same && k < all.size() && d.due == all[k].first && d.owner == all[k].second && d.due <= t;
      ++k;
    }
  BOOST_TEST(same);
  BOOST_TEST(k == all.size());
  BOOST_TEST(q.pending() == 0u);
}

namespace {

// The specification: live deadlines in a list; the earliest (due, start number) fires.
struct model {
  struct entry {
    timestamp due;
    std::uint64_t order;
    case_id owner;
    timer_id timer;
    bool live;
  };
  std::vector<entry> by_handle;
  std::uint64_t next = 0;

  void start(std::uint32_t h, case_id c, timer_id t, timestamp due) {
    if (h >= by_handle.size()) by_handle.resize(h + 1);
    by_handle[h] = {due, next++, c, t, true};
  }
  bool pop(timestamp limit, bool inclusive, due_deadline& out, std::uint32_t& handle) {
    std::size_t best = by_handle.size();
    for (std::size_t h = 0; h < by_handle.size(); ++h) {
      const entry& e = by_handle[h];
      if (!e.live || e.due > limit || (!inclusive && e.due == limit)) continue;
      if (best == by_handle.size() || std::tie(e.due, e.order) < std::tie(by_handle[best].due, by_handle[best].order)) best = h;
    }
    if (best == by_handle.size()) return false;
    by_handle[best].live = false;
    out = {by_handle[best].owner, by_handle[best].timer, by_handle[best].due};
    handle = static_cast<std::uint32_t>(best);
    return true;
  }
};

// Random starts, restarts, cancels and pops against the model; every pop compared.
void run_against_model(std::uint32_t sequence_limit, std::uint64_t seed, int steps) {
  deadline_queue q(sequence_limit);
  model m;
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> running;  // handles
  timestamp now = 1'650'000'000'000 + static_cast<timestamp>(seed % 1000);
  // Spreads: the same instant, within a bucket, within an epoch, across epochs, far.
  const timestamp spreads[] = {1, 3 * minute, 2 * day, 60 * day, 5 * 365 * day, 300 * 365 * day};
  std::size_t mismatches = 0, popped = 0;
  for (int step = 0; step < steps; ++step) {
    const unsigned op = static_cast<unsigned>(rng() % 100);
    if (op < 45 && running.size() < 400) {
      const timestamp due = now + 1 + static_cast<timestamp>(rng() % static_cast<std::uint64_t>(spreads[rng() % 6]));
      const auto c = static_cast<case_id>(rng() % 1000);
      const std::uint32_t h = q.start(c, 2, due, no_id32);
      m.start(h, c, 2, due);
      running.push_back(h);
    } else if (op < 60 && !running.empty()) {
      const std::size_t i = rng() % running.size();
      const timestamp due = now + static_cast<timestamp>(rng() % static_cast<std::uint64_t>(spreads[rng() % 4]));
      const std::uint32_t h = q.start(m.by_handle[running[i]].owner, 3, due, running[i]);
      if (h != running[i]) ++mismatches;
      m.start(h, m.by_handle[h].owner, 3, due);
    } else if (op < 75 && !running.empty()) {
      const std::size_t i = rng() % running.size();
      q.cancel(running[i]);
      m.by_handle[running[i]].live = false;
      running[i] = running.back();
      running.pop_back();
    } else {
      // Time moves on by a random stretch; fire what is due.
      now += static_cast<timestamp>(rng() % static_cast<std::uint64_t>(spreads[rng() % 5]));
      const bool inclusive = rng() % 2 == 0;
      due_deadline got{}, want{};
      std::uint32_t h = 0;
      for (;;) {
        const bool any = q.any_due(now, inclusive);
        const bool g = q.pop_due(now, inclusive, got);
        const bool w = m.pop(now, inclusive, want, h);
        if (g != w || (w && !any)) ++mismatches;
        if (!g || !w) break;
        ++popped;
        if (got.owner != want.owner || got.timer != want.timer || got.due != want.due) ++mismatches;
        running.erase(std::find(running.begin(), running.end(), h));
      }
    }
    if (q.pending() != running.size()) ++mismatches;
  }
  std::size_t live = 0;
  for (const auto& e : m.by_handle) live += e.live ? 1 : 0;
  BOOST_TEST(mismatches == 0u);
  BOOST_TEST(live == q.pending());
  BOOST_TEST(popped > static_cast<std::size_t>(steps) / 10);
  // What is left fires in the model's order.
  due_deadline got{}, want{};
  std::uint32_t h = 0;
  while (m.pop(latest, true, want, h)) {
    if (!q.pop_due(latest, true, got) || got.owner != want.owner || got.due != want.due) ++mismatches;
  }
  BOOST_TEST(!q.pop_due(latest, true, got));
  BOOST_TEST(mismatches == 0u);
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_runs_match_the_model) {
  run_against_model(std::numeric_limits<std::uint32_t>::max(), 1, 40000);
  run_against_model(std::numeric_limits<std::uint32_t>::max(), 2, 40000);
}

BOOST_AUTO_TEST_CASE(random_runs_match_the_model_through_many_sequence_wraps) {
  run_against_model(1000, 3, 40000);  // at most 400 running: renumbered every ~600 starts
}
