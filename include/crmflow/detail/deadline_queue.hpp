// Pending deadlines of all cases: a binary min-heap ordered by (due, start order). Cancelling
// is O(1): the heap entry goes stale (its generation no longer matches) and is dropped when it
// reaches the top, or in a compaction once stale entries outnumber live ones.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "crmflow/detail/deadline_lifecycle.hpp"
#include "crmflow/value.hpp"

namespace crmflow::detail {

struct deadline_entry {
  timestamp due;
  std::uint64_t order;  // start order: equal due times fire in the order they were started
  std::uint32_t handle;
  std::uint32_t generation;
};

struct due_deadline {
  case_id owner;
  timer_id timer;
  timestamp due;
};

class deadline_queue {
 public:
  // Starts a deadline, or restarts the one behind `handle` (pass no_id32 for none). Returns the
  // handle now in use. Amortised O(log n).
  std::uint32_t start(case_id owner, timer_id timer, timestamp due, std::uint32_t handle) {
    if (handle == no_id32) {
      handle = lifecycles_.acquire();
      if (handle >= slots_.size()) slots_.resize(std::size_t{handle} + 1);
      ++live_;
    }
    lifecycles_.arm(handle);
    slot& s = slots_[handle];
    s.owner = owner;
    s.timer = timer;
    s.due = due;
    ++s.generation;
    push({due, next_order_++, handle, s.generation});
    return handle;
  }

  // Cancels a running deadline. O(1).
  void cancel(std::uint32_t handle) noexcept {
    if (lifecycles_.cancel(handle)) {
      ++slots_[handle].generation;
      --live_;
    }
  }

  // Removes and returns the earliest live deadline due at or before `limit` (strictly before,
  // when `inclusive` is false). False when there is none.
  bool pop_due(timestamp limit, bool inclusive, due_deadline& out) {
    while (!heap_.empty()) {
      const deadline_entry top = heap_.front();
      if (top.due > limit || (!inclusive && top.due == limit)) return false;
      pop();
      slot& s = slots_[top.handle];
      if (s.generation != top.generation || !lifecycles_.fire(top.handle)) continue;
      ++s.generation;
      --live_;
      out = {s.owner, s.timer, top.due};
      return true;
    }
    return false;
  }

  // Whether pop_due might return a deadline: the earliest entry (live or stale) is due. O(1),
  // inline, so an event with nothing due pays one comparison.
  bool any_due(timestamp limit, bool inclusive) const noexcept {
    return !heap_.empty() && (heap_.front().due < limit || (inclusive && heap_.front().due == limit));
  }

  // Due time of a running deadline.
  timestamp due(std::uint32_t handle) const noexcept { return slots_[handle].due; }
  // Calls f(owner, timer, due, start order) for every running deadline, in no particular
  // order. O(heap entries); for snapshots, not for the event path. Only the latest start of a
  // running handle carries its slot's generation: older entries are stale.
  template <class F>
  void for_each_running(F&& f) const {
    for (const deadline_entry& e : heap_)
      if (const slot& s = slots_[e.handle]; s.generation == e.generation) f(s.owner, s.timer, e.due, e.order);
  }
  std::size_t pending() const noexcept { return live_; }
  // Heap entries including stale ones; for memory accounting.
  std::size_t entries() const noexcept { return heap_.size(); }
  const deadline_lifecycles& lifecycles() const noexcept { return lifecycles_; }

 private:
  struct slot {
    case_id owner = 0;
    timer_id timer = 0;
    std::uint32_t generation = 0;
    timestamp due = 0;
  };

  static bool later(const deadline_entry& a, const deadline_entry& b) noexcept {
    return a.due != b.due ? a.due > b.due : a.order > b.order;
  }

  void push(const deadline_entry& e) {
    if (heap_.size() >= 2 * live_ + 1024) compact();
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  void pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }

  // Drops stale entries so memory follows the live deadlines, not the cancelled ones.
  void compact() {
    std::erase_if(heap_, [this](const deadline_entry& e) {
      return slots_[e.handle].generation != e.generation;
    });
    std::make_heap(heap_.begin(), heap_.end(), later);
  }

  std::vector<deadline_entry> heap_;
  std::vector<slot> slots_;
  deadline_lifecycles lifecycles_;
  std::uint64_t next_order_ = 0;
  std::size_t live_ = 0;
};

}  // namespace crmflow::detail
