// Pending deadlines of all cases: a hierarchical timer wheel that fires in (due, start order).
//
// Why a wheel and not a heap: with millions pending, every pop of a binary heap is a chain of
// cache misses (one per level), and each heap entry must carry its sort key. Here a deadline is
// one 24-byte slot plus a 4-byte handle in the bucket of its due time; the bucket is sorted by
// (due, start order) only when it becomes current, and firing then walks that sorted run,
// prefetching the slots ahead. Issue 5, item 3 asks for <= 32 bytes per pending deadline and
// >= 10M firings a second; bench/deadlines measures both.
//
// Layout, in bucket numbers (due >> 20: buckets of 2^20 ms, about 17.5 minutes):
//   near   every deadline in a bucket before base_: the current bucket's sorted run (ready_)
//          plus a min-heap (late_) of those started into it afterwards. Cancelling here is lazy:
//          an entry whose slot no longer names it (seq) is skipped.
//   l1     the rest of base_'s epoch (2^12 buckets, 2^32 ms, about 50 days), a bucket each;
//   l2     the next 1023 epochs, a bucket per epoch, spread into l1 when its epoch comes;
//   far    everything later (beyond about 139 years: saturated durations), swept into l2/l1
//          when the epochs reach it.
// Buckets are unsorted vectors of handles; a slot knows its place (pos), so cancelling and
// restarting remove it at once (swap with the last) and stale entries never pile up there.
//
// Start order: a 32-bit sequence per start. When it would wrap, the live deadlines are
// renumbered in order (O(n log n) once per 2^32 starts), so ties keep their start order.
//
// The lifecycle of each deadline runs through Boost.MSM (deadline_lifecycle.hpp); its state is
// a byte of the slot.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "crmflow/detail/deadline_lifecycle.hpp"
#include "crmflow/value.hpp"

namespace crmflow::detail {

struct due_deadline {
  case_id owner;
  timer_id timer;
  timestamp due;
};

class deadline_queue {
 public:
  // `sequence_limit`: the start sequence is renumbered when it reaches this (tests lower it to
  // exercise the wrap; it must exceed the number of deadlines pending at once).
  explicit deadline_queue(std::uint32_t sequence_limit = std::numeric_limits<std::uint32_t>::max())
      : sequence_limit_(sequence_limit) {}

  // Starts a deadline, or restarts the running one behind `handle` (pass no_id32 for none).
  // Returns the handle now in use. Amortised O(1); a start into the bucket being fired is
  // O(log k) in that bucket's late starts.
  std::uint32_t start(case_id owner, timer_id timer, timestamp due, std::uint32_t handle) {
    if (live_ == 0) forget_stale();
    if (next_seq_ >= sequence_limit_) renumber();
    if (handle == no_id32) {
      handle = acquire();
      ++live_;
    } else {
      unlink(handle);
    }
    slot& s = slots_[handle];
    lifecycles_.arm(s.state);
    s.owner = owner;
    s.timer = timer;
    s.due = due;
    s.seq = next_seq_++;
    place(handle);
    if (due < hint_) hint_ = due;
    return handle;
  }

  // Cancels a running deadline (nothing for one that is not running). O(1).
  void cancel(std::uint32_t handle) noexcept {
    if (!lifecycles_.cancel(slots_[handle].state)) return;
    unlink(handle);
    release(handle);
    if (--live_ == 0) hint_ = never;
  }

  // Removes and returns the earliest live deadline due at or before `limit` (strictly before,
  // when `inclusive` is false); ties in start order. False when there is none. Amortised O(1)
  // per deadline plus the sort of each bucket as it becomes current (O(log b) per deadline).
  bool pop_due(timestamp limit, bool inclusive, due_deadline& out) {
    for (;;) {
      const near_entry* top = near_top();
      if (top == nullptr) {
        if (!load(limit)) return false;
        continue;
      }
      if (top->due > limit || (!inclusive && top->due == limit)) {
        hint_ = top->due;
        return false;
      }
      const near_entry e = *top;
      near_pop(top);
      slot& s = slots_[e.handle];
      if (s.where != in_near || s.seq != e.seq || !lifecycles_.fire(s.state)) {  // stale
        --near_stale_;
        continue;
      }
      out = {s.owner, s.timer, e.due};
      release(e.handle);
      hint_ = --live_ == 0 ? never : e.due;
      return true;
    }
  }

  // Whether pop_due might return a deadline: a lower bound of every pending due time is due.
  // O(1), inline, so an event with nothing due pays one comparison. A pop_due that finds
  // nothing raises the bound.
  bool any_due(timestamp limit, bool inclusive) const noexcept {
    // (hint_ is `never` with nothing pending, which a deadline due at `never` would equal.)
    return hint_ < limit || (inclusive && hint_ == limit && live_ != 0);
  }

  // Due time of a running deadline.
  timestamp due(std::uint32_t handle) const noexcept { return slots_[handle].due; }
  // Lifecycle phase of the machine behind `handle` (a handle start() returned).
  deadline_phase phase(std::uint32_t handle) const noexcept { return lifecycles_.phase(slots_[handle].state); }
  // Calls f(owner, timer, due, start order) for every running deadline, in no particular
  // order; the start orders of two running deadlines compare as their starts did. O(slots);
  // for snapshots, not for the event path.
  template <class F>
  void for_each_running(F&& f) const {
    for (const slot& s : slots_)
      if (s.where != in_none) f(s.owner, s.timer, s.due, std::uint64_t{s.seq});
  }
  std::size_t pending() const noexcept { return live_; }
  // Queue entries, stale ones included (cancelled deadlines still in the current bucket's run).
  std::size_t entries() const noexcept {
    return l1_count_ + l2_count_ + far_.size() + (ready_.size() - ready_pos_) + late_.size();
  }
  // Slots ever made: the pool follows the most deadlines pending at once.
  std::size_t slots() const noexcept { return slots_.size(); }
  static constexpr std::size_t slot_bytes() noexcept { return sizeof(slot); }

 private:
  static constexpr int bucket_shift = 20;  // 2^20 ms a bucket
  static constexpr int epoch_shift = 12;   // 2^12 buckets an epoch
  static constexpr std::int64_t l1_size = std::int64_t{1} << epoch_shift;
  static constexpr std::int64_t l2_size = 1024;
  static constexpr timestamp never = std::numeric_limits<timestamp>::max();

  enum where_t : std::uint8_t { in_none, in_near, in_l1, in_l2, in_far };

  struct slot {
    timestamp due = 0;
    case_id owner = 0;
    std::uint32_t seq = 0;  // start order
    std::uint32_t pos = 0;  // index in its bucket (l1, l2, far); the next free slot when free
    timer_id timer = 0;
    deadline_lifecycles::state state = 0;
    std::uint8_t where = in_none;
  };
  static_assert(sizeof(slot) == 24);

  struct near_entry {
    timestamp due;
    std::uint32_t seq;
    std::uint32_t handle;
  };
  // Function objects, not functions: std::sort and the heap calls inline them.
  struct before_t {
    bool operator()(const near_entry& a, const near_entry& b) const noexcept {
      return a.due != b.due ? a.due < b.due : a.seq < b.seq;
    }
  };
  struct after_t {
    bool operator()(const near_entry& a, const near_entry& b) const noexcept { return before_t{}(b, a); }
  };
  static constexpr before_t before{};
  static constexpr after_t after{};

  using bucket = std::vector<std::uint32_t>;

  static std::int64_t bucket_of(timestamp t) noexcept { return t >> bucket_shift; }
  static std::int64_t epoch_of_bucket(std::int64_t b) noexcept { return b >> epoch_shift; }

  std::uint32_t acquire() {
    if (free_ != no_id32) {
      const std::uint32_t h = free_;
      free_ = slots_[h].pos;
      return h;
    }
    slot s;
    s.state = lifecycles_.initial();
    slots_.push_back(s);
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  void release(std::uint32_t h) noexcept {
    slots_[h].where = in_none;
    slots_[h].pos = free_;
    free_ = h;
  }

  // With nothing pending, the near entries are all stale and the wheel can start afresh at
  // the next deadline's bucket.
  void forget_stale() noexcept {
    ready_.clear();
    ready_pos_ = 0;
    late_.clear();
    near_stale_ = 0;
    anchored_ = false;
    hint_ = never;
  }

  // Files a slot whose due time is set into near, l1, l2 or far.
  void place(std::uint32_t h) {
    slot& s = slots_[h];
    const std::int64_t b = bucket_of(s.due);
    if (!anchored_) {
      base_ = b;
      anchored_ = true;
    } else if (b < base_ && near_top() == nullptr && epoch_of_bucket(b) == epoch_of_bucket(base_)) {
      base_ = b;  // nothing taken from the wheel yet below base_: move it down instead
    }
    if (b < base_) {
      s.where = in_near;
      late_.push_back({s.due, s.seq, h});
      std::push_heap(late_.begin(), late_.end(), after);
      // Many starts below base_ (a first deadline far ahead, then nearer ones), or restarts
      // in the current bucket leaving stale entries: rebuild from the earliest, so the former
      // leave the heap and the latter are dropped. Amortised: the next rebuild needs as many
      // late starts again.
      if (late_.size() >= 4096 && (late_.size() > live_ / 2 || near_stale_ > late_.size() / 2)) rehome();
      return;
    }
    const std::int64_t e = epoch_of_bucket(b), current = epoch_of_bucket(base_);
    if (e == current) {
      add(l1_bucket(b & (l1_size - 1)), l1_bits_, b & (l1_size - 1), h);
      s.where = in_l1;
      ++l1_count_;
    } else if (e - current < l2_size) {
      add(l2_bucket(e & (l2_size - 1)), l2_bits_, e & (l2_size - 1), h);
      s.where = in_l2;
      ++l2_count_;
    } else {
      s.pos = static_cast<std::uint32_t>(far_.size());
      far_.push_back(h);
      s.where = in_far;
      far_min_epoch_ = std::min(far_min_epoch_, e);
    }
  }

  template <std::size_t N>
  void add(bucket& v, std::array<std::uint64_t, N>& bits, std::int64_t i, std::uint32_t h) {
    slots_[h].pos = static_cast<std::uint32_t>(v.size());
    // Grown by an eighth, not doubled: a bucket's unused capacity is memory per pending
    // deadline (4 bytes a handle, 32 in all allowed). Still amortised O(1).
    if (v.size() == v.capacity()) v.reserve(v.size() + v.size() / 8 + 16);
    v.push_back(h);
    bits[static_cast<std::size_t>(i) >> 6] |= std::uint64_t{1} << (i & 63);
  }

  // Takes a slot out of its bucket (near entries go stale instead). O(1).
  void unlink(std::uint32_t h) noexcept {
    slot& s = slots_[h];
    switch (s.where) {
      case in_l1: {
        const std::int64_t i = bucket_of(s.due) & (l1_size - 1);
        remove(l1_[static_cast<std::size_t>(i)], s.pos, l1_bits_, i);
        --l1_count_;
        break;
      }
      case in_l2: {
        const std::int64_t i = epoch_of_bucket(bucket_of(s.due)) & (l2_size - 1);
        remove(l2_[static_cast<std::size_t>(i)], s.pos, l2_bits_, i);
        --l2_count_;
        break;
      }
      case in_far: {
        const std::uint32_t last = far_.back();
        far_[s.pos] = last;
        slots_[last].pos = s.pos;
        far_.pop_back();
        break;
      }
      case in_near: ++near_stale_; break;  // its entry stays in near, stale
      default: break;
    }
    s.where = in_none;
  }

  template <std::size_t N>
  void remove(bucket& v, std::uint32_t pos, std::array<std::uint64_t, N>& bits, std::int64_t i) noexcept {
    const std::uint32_t last = v.back();
    v[pos] = last;
    slots_[last].pos = pos;
    v.pop_back();
    if (v.empty()) bits[static_cast<std::size_t>(i) >> 6] &= ~(std::uint64_t{1} << (i & 63));
  }

  bucket& l1_bucket(std::int64_t i) {
    if (l1_.empty()) l1_.resize(static_cast<std::size_t>(l1_size));
    return l1_[static_cast<std::size_t>(i)];
  }
  bucket& l2_bucket(std::int64_t i) {
    if (l2_.empty()) l2_.resize(static_cast<std::size_t>(l2_size));
    return l2_[static_cast<std::size_t>(i)];
  }

  // The earliest near entry (live or stale), or null when near is empty.
  const near_entry* near_top() const noexcept {
    const near_entry* r = ready_pos_ < ready_.size() ? &ready_[ready_pos_] : nullptr;
    if (!late_.empty() && (r == nullptr || before(late_.front(), *r))) return &late_.front();
    return r;
  }

  void near_pop(const near_entry* top) {
    if (!late_.empty() && top == &late_.front()) {
      std::pop_heap(late_.begin(), late_.end(), after);
      late_.pop_back();
      return;
    }
    ++ready_pos_;
#if defined(__GNUC__)
    // Firing is bound by cache misses on the slots: fetch a few ahead of the one in hand.
    if (ready_pos_ + 8 < ready_.size()) __builtin_prefetch(&slots_[ready_[ready_pos_ + 8].handle], 1);
#endif
    if (ready_pos_ == ready_.size()) {
      // A run of an unusually full bucket gives its memory back.
      if (ready_.capacity() > 65536) ready_ = {};
      ready_.clear();
      ready_pos_ = 0;
    }
  }

  // With near empty: makes the next non-empty bucket near (sorted), if it starts at or before
  // `limit`. False, with hint_ raised to that bucket's start, when nothing starts by `limit`.
  bool load(timestamp limit) {
    for (;;) {
      if (l1_count_ != 0) {
        const std::int64_t i = next_bit(l1_bits_, base_ & (l1_size - 1));
        const std::int64_t b = (base_ & ~(l1_size - 1)) | i;
        if ((b << bucket_shift) > limit) {
          hint_ = b << bucket_shift;
          return false;
        }
        bucket& v = l1_[static_cast<std::size_t>(i)];
        l1_count_ -= v.size();
        l1_bits_[static_cast<std::size_t>(i) >> 6] &= ~(std::uint64_t{1} << (i & 63));
        gather(v, b);
        base_ = b + 1;
        if ((base_ & (l1_size - 1)) == 0) enter_epoch(epoch_of_bucket(base_));
        return true;
      }
      // Nothing more in this epoch: the next epoch with deadlines.
      std::int64_t e;
      const std::int64_t current = epoch_of_bucket(base_);
      if (l2_count_ != 0) {
        const std::int64_t from = (current + 1) & (l2_size - 1);
        std::int64_t i = next_bit(l2_bits_, from);
        if (i < 0) i = next_bit(l2_bits_, 0);
        e = current + 1 + ((i - from) & (l2_size - 1));
      } else if (!far_.empty()) {
        e = far_min_epoch_;
      } else {
        hint_ = never;
        return false;
      }
      const timestamp start = e << (epoch_shift + bucket_shift);
      if (start > limit) {
        hint_ = start;
        return false;
      }
      base_ = e << epoch_shift;
      enter_epoch(e);
    }
  }

  // base_ has entered epoch `e`: its l2 bucket spreads into l1, and far deadlines now within
  // l2's reach move there.
  void enter_epoch(std::int64_t e) {
    if (l2_count_ != 0) {
      const std::int64_t i = e & (l2_size - 1);
      bucket& v = l2_[static_cast<std::size_t>(i)];
      if (!v.empty()) {
        bucket moved;
        moved.swap(v);
        l2_bits_[static_cast<std::size_t>(i) >> 6] &= ~(std::uint64_t{1} << (i & 63));
        l2_count_ -= moved.size();
        for (const std::uint32_t h : moved) place(h);
      }
    }
    if (!far_.empty() && far_min_epoch_ - e < l2_size) {
      std::vector<std::uint32_t> all;
      all.swap(far_);
      far_min_epoch_ = never;
      for (const std::uint32_t h : all) place(h);
    }
  }

  // Bucket `b` becomes the near run: its deadlines in (due, start order). A bucket's due times
  // differ only in their low 20 bits: two counting passes of 10 bits order them by due, and
  // runs of equal due times are then put in start order (usually runs of one). std::sort here
  // was 60% of the firing time.
  void gather(bucket& v, std::int64_t b) {
    const std::size_t n = v.size();
    const timestamp origin = b << bucket_shift;
    scratch_.resize(n);
    std::array<std::uint32_t, 1025> low{}, high{};
    for (std::size_t k = 0; k < n; ++k) {
#if defined(__GNUC__)
      // Bound by cache misses on the slots: keep many in flight.
      if (k + 32 < n) __builtin_prefetch(&slots_[v[k + 32]], 1);
#endif
      slot& s = slots_[v[k]];
      s.where = in_near;
      scratch_[k] = {s.due, s.seq, v[k]};
      const auto off = static_cast<std::uint32_t>(s.due - origin);
      ++low[(off & 1023) + 1];
      ++high[(off >> 10) + 1];
    }
    bucket{}.swap(v);
    for (std::size_t i = 0; i < 1024; ++i) {
      low[i + 1] += low[i];
      high[i + 1] += high[i];
    }
    ready_.resize(n);
    ready_pos_ = 0;
    for (const near_entry& e : scratch_) ready_[low[static_cast<std::uint32_t>(e.due - origin) & 1023]++] = e;
    for (const near_entry& e : ready_) scratch_[high[static_cast<std::uint32_t>(e.due - origin) >> 10]++] = e;
    ready_.swap(scratch_);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && ready_[j].due == ready_[i].due) ++j;
      if (j - i > 1) std::sort(ready_.begin() + static_cast<std::ptrdiff_t>(i), ready_.begin() + static_cast<std::ptrdiff_t>(j), before);
      i = j;
    }
    if (scratch_.capacity() > 65536) scratch_ = {};
  }

  // Every live deadline back into the wheel, from the earliest bucket; near is emptied (its
  // stale entries dropped). O(slots + live).
  void rehome() {
    std::vector<std::uint32_t> live;
    live.reserve(live_);
    timestamp earliest = never;
    for (std::uint32_t h = 0; h < slots_.size(); ++h)
      if (slots_[h].where != in_none) {
        live.push_back(h);
        earliest = std::min(earliest, slots_[h].due);
        slots_[h].where = in_none;
      }
    ready_.clear();
    ready_pos_ = 0;
    late_.clear();
    near_stale_ = 0;
    for (bucket& v : l1_) bucket{}.swap(v);
    for (bucket& v : l2_) bucket{}.swap(v);
    far_.clear();
    l1_bits_ = {};
    l2_bits_ = {};
    l1_count_ = l2_count_ = 0;
    far_min_epoch_ = never;
    anchored_ = !live.empty();
    base_ = bucket_of(earliest);
    hint_ = earliest;
    for (const std::uint32_t h : live) place(h);
  }

  // The start sequence would wrap: live deadlines are renumbered 0.. in their start order.
  void renumber() {
    std::vector<std::uint32_t> live;
    live.reserve(live_);
    for (std::uint32_t h = 0; h < slots_.size(); ++h)
      if (slots_[h].where != in_none) live.push_back(h);
    std::sort(live.begin(), live.end(),
              [this](std::uint32_t a, std::uint32_t b) { return slots_[a].seq < slots_[b].seq; });
    next_seq_ = 0;
    for (const std::uint32_t h : live) slots_[h].seq = next_seq_++;
    rehome();  // near entries carry the old numbers
  }

  // The first set bit at or after `from`, or -1.
  template <std::size_t N>
  static std::int64_t next_bit(const std::array<std::uint64_t, N>& bits, std::int64_t from) noexcept {
    std::size_t w = static_cast<std::size_t>(from) >> 6;
    if (w >= N) return -1;
    std::uint64_t word = bits[w] & (~std::uint64_t{0} << (from & 63));
    for (;;) {
      if (word != 0) return static_cast<std::int64_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(word)));
      if (++w == N) return -1;
      word = bits[w];
    }
  }

  std::vector<slot> slots_;
  std::uint32_t free_ = no_id32;
  std::vector<bucket> l1_, l2_;  // sized on first use: an engine without deadlines pays nothing
  std::array<std::uint64_t, l1_size / 64> l1_bits_{};
  std::array<std::uint64_t, l2_size / 64> l2_bits_{};
  std::vector<std::uint32_t> far_;
  std::int64_t far_min_epoch_ = never;
  std::size_t l1_count_ = 0, l2_count_ = 0;
  std::vector<near_entry> ready_;
  std::size_t ready_pos_ = 0;
  std::vector<near_entry> late_;  // min-heap by (due, seq)
  std::size_t near_stale_ = 0;    // entries in ready_ and late_ whose deadline was cancelled or moved
  std::vector<near_entry> scratch_;  // gather's second buffer
  std::int64_t base_ = 0;         // the first bucket not yet near
  bool anchored_ = false;         // base_ is set (by the first start)
  timestamp hint_ = never;        // no pending deadline is due before this
  std::uint32_t next_seq_ = 0;
  std::uint32_t sequence_limit_;
  std::size_t live_ = 0;
  deadline_lifecycles lifecycles_;
};

}  // namespace crmflow::detail
