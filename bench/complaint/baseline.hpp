// The complaint flow of rules/complaint.yaml written by hand: a typed case struct, a switch
// on the state, and deadlines in a std::priority_queue with lazy cancellation (a generation
// number per case and timer). Notices and alarms are not rendered, as in crmflow without an
// observer. It follows the yaml's transitions, guards, timers and priorities exactly; the
// benchmark checks that both end every case the same way and fire the same deadlines.
#pragma once

#include <cstdint>
#include <queue>
#include <vector>

#include "workload.hpp"

namespace complaint_bench {

class baseline {
 public:
  enum state : std::uint8_t { received, assigned, planned, dispatched, resolved, closed };
  enum level_t : std::uint8_t { unclassified, minor, major };
  enum timer : std::uint8_t {
    feedback_24h, report_10m, solution_12h, follow_up, measures_1h, revisit_24h, unresolved_10d, timer_count
  };
  enum result_t : std::uint8_t { satisfied, basically_satisfied, dissatisfied };
  enum channel_t : std::uint8_t { phone, wechat, face_to_face };

  // One case: every field of the yaml, strings as ids (indices into the host's pools).
  struct case_data {
    std::uint8_t st = received;
    std::uint8_t level = unclassified;
    std::uint8_t revisit_result = satisfied;
    bool reasonable = true, reclassified = false, solution_agreed = false;
    std::uint8_t running = 0;  // bit per timer
    std::uint32_t category = 0, description = 0, building = 0, room = 0, customer = 0, channel = 0,
                  receiver = 0, area_manager = 0, reclassify_reason = 0, unit = 0, measures = 0,
                  escalated_to = 0, escalation_reason = 0, resolution = 0, explanation = 0,
                  revisit_by = 0, revisit_note = 0;
    std::int32_t escalations = 0, reopens = 0;
    std::int64_t received_at = 0, fed_back_at = 0, reported_at = 0, measures_at = 0, agreed_at = 0,
                 dispatched_at = 0, resolved_at = 0, revisited_at = 0, closed_at = 0;
    std::uint32_t generation[timer_count] = {};
  };

  // Event data as the yaml declares it (string ids; defaults filled by the caller).
  struct event_data {
    std::uint8_t level = minor;
    bool reasonable = true;
    std::uint32_t text = 0;  // unit / measures / resolution / explanation / by / to / reason
    std::uint32_t text2 = 0; // escalate reason
    std::uint8_t channel = phone, result = satisfied;
    std::uint32_t note = 0;
  };
  enum event : std::uint8_t {
    classify, report, assign, plan, feedback, agree, dispatch, resolve, revisit, explain_and_close,
    escalate, follow_up_due, reclassify_major
  };

  // Default data of timer-posted events: ids the host reserved for the yaml's default texts.
  std::uint32_t default_escalate_to = 0, default_escalate_reason = 0, default_reclassify_reason = 0;

  std::uint32_t create(std::int64_t at, const case_data& intake) {
    fire_due(at, false);
    now_ = at;
    const auto id = static_cast<std::uint32_t>(cases_.size());
    cases_.push_back(intake);
    case_data& c = cases_.back();
    c.received_at = now_;          // received: on_entry
    start(id, feedback_24h);      // received: on_entry, 24h from receipt
    start(id, unresolved_10d);    // group active entered
    return id;
  }

  // Returns whether the event was accepted.
  bool post(std::uint32_t id, event e, const event_data& d, std::int64_t at) {
    if (at < now_) return false;
    fire_due(at, false);
    now_ = at;
    return dispatch_event(id, e, d);
  }

  std::size_t advance_to(std::int64_t t) {
    const std::size_t n = fire_due(t, true);
    now_ = t;
    return n;
  }

  const case_data& at(std::uint32_t id) const { return cases_[id]; }
  std::size_t size() const { return cases_.size(); }
  std::size_t pending() const { return live_; }
  std::uint64_t fired() const { return fired_; }
  void reserve(std::size_t n) { cases_.reserve(n); }

 private:
  struct entry {
    std::int64_t due;
    std::uint64_t order;
    std::uint32_t owner;
    std::uint32_t generation;
    std::uint8_t t;
    bool operator>(const entry& o) const { return due != o.due ? due > o.due : order > o.order; }
  };

  static constexpr std::int64_t after[timer_count] = {24 * hour, 10 * minute, 12 * hour, 12 * hour,
                                                      1 * hour, 24 * hour, 10 * day};

  void start(std::uint32_t id, timer t) { start(id, t, after[t]); }
  // report_10m and solution_12h run for a duration field (the time left until 10 minutes /
  // 12 hours after receipt); a duration of zero or less does not start (and stops a running one).
  void start(std::uint32_t id, timer t, std::int64_t duration) {
    case_data& c = cases_[id];
    if (duration <= 0) {
      cancel(id, t);
      return;
    }
    if (!(c.running >> t & 1)) ++live_;
    c.running |= static_cast<std::uint8_t>(1u << t);
    ++c.generation[t];
    heap_.push({now_ + duration, order_++, id, c.generation[t], t});
  }
  void cancel(std::uint32_t id, timer t) {
    case_data& c = cases_[id];
    if (!(c.running >> t & 1)) return;
    c.running &= static_cast<std::uint8_t>(~(1u << t));
    ++c.generation[t];
    --live_;
  }
  void cancel_all(std::uint32_t id) {
    for (int t = 0; t < timer_count; ++t) cancel(id, static_cast<timer>(t));
  }

  static bool open(std::uint8_t s) { return s <= dispatched; }

  void enter_closed(case_data& c, std::uint32_t id) {
    c.st = closed;
    c.closed_at = now_;
    cancel_all(id);
  }

  bool dispatch_event(std::uint32_t id, event e, const event_data& d) {
    case_data& c = cases_[id];
    // The state's own transitions first.
    switch (c.st) {
      case received:
        if (e == classify) {
          if (c.level == unclassified && d.level == minor) {  // feedback_24h runs since receipt
            c.level = minor;
            c.reasonable = d.reasonable;
            return true;
          }
          if (c.level == unclassified && d.level == major) {
            // The limits count from receipt; one already passed is a breach at once.
            const std::int64_t since = now_ - c.received_at;
            c.level = major;
            c.reasonable = d.reasonable;
            cancel(id, feedback_24h);
            if (since < 10 * minute) {
              start(id, report_10m, c.received_at + 10 * minute - now_);
              start(id, solution_12h, c.received_at + 12 * hour - now_);
            } else if (since < 12 * hour) {
              // alarm report_overdue
              start(id, solution_12h, c.received_at + 12 * hour - now_);
            } else {
              // alarm report_overdue; emit escalate, handled once this transition finished
              event_data esc;
              esc.text = default_escalate_to;
              esc.text2 = default_escalate_reason;
              dispatch_event(id, escalate, esc);
            }
            return true;
          }
          return false;
        }
        if (e == assign) {
          if (!(c.level != unclassified && c.reasonable)) return false;
          c.unit = d.text;
          c.st = assigned;
          start(id, measures_1h);
          return true;
        }
        break;
      case assigned:
        if (e == plan) {
          cancel(id, measures_1h);
          c.measures = d.text;
          c.measures_at = now_;
          c.reasonable = d.reasonable;
          c.st = planned;
          return true;
        }
        if (e == assign) {  // self-transition: the timer restarts
          cancel(id, measures_1h);
          c.unit = d.text;
          start(id, measures_1h);
          return true;
        }
        break;
      case planned:
        if (e == dispatch) {
          if (!(c.reasonable && (c.level == minor || c.solution_agreed))) return false;
          c.dispatched_at = now_;
          c.st = dispatched;
          return true;
        }
        break;
      case dispatched:
        if (e == resolve) {
          c.resolution = d.text;
          c.resolved_at = now_;
          if (c.level == major) {
            cancel(id, solution_12h);  // follow_up runs on until the case closes
          } else {
            cancel(id, feedback_24h);
          }
          c.st = resolved;
          start(id, revisit_24h);
          return true;
        }
        break;
      case resolved:
        if (e == revisit) {
          const bool by_minor = c.level == minor && d.text == c.receiver && (d.channel == phone || d.channel == wechat);
          const bool by_major = c.level == major && d.text == c.area_manager && d.channel == face_to_face;
          if (!by_minor && !by_major) return false;
          cancel(id, revisit_24h);  // exit resolved
          c.revisit_by = d.text;
          c.revisit_result = d.result;
          c.revisit_note = d.note;
          c.revisited_at = now_;
          if (d.result != dissatisfied) {
            enter_closed(c, id);
            return true;
          }
          ++c.reopens;
          if (by_major) {
            c.solution_agreed = false;
            start(id, solution_12h);
          }
          c.st = assigned;
          start(id, measures_1h);
          return true;
        }
        if (e == reclassify_major) return true;  // a reminder notice only
        if (e == follow_up_due) {                // group active: follow up until closed
          start(id, follow_up);
          return true;
        }
        return false;
      case closed:
        return false;
    }
    if (!open(c.st)) return false;
    // The `open` group's transitions.
    switch (e) {
      case report:
        if (c.level != major) return false;
        c.reported_at = now_;
        cancel(id, report_10m);
        return true;
      case feedback:
        c.fed_back_at = now_;
        cancel(id, feedback_24h);
        return true;
      case agree:
        if (c.solution_agreed) return false;
        c.solution_agreed = true;
        c.agreed_at = now_;
        cancel(id, solution_12h);  // follow_up runs on until the case closes
        return true;
      case escalate:
        ++c.escalations;
        c.escalated_to = d.text;
        c.escalation_reason = d.text2;
        start(id, follow_up);
        return true;
      case follow_up_due:  // group active, either guard: the reminder differs, not the timer
        start(id, follow_up);
        return true;
      case reclassify_major:
        if (c.level == major) {
          c.reclassify_reason = d.text;
          return true;
        }
        c.level = major;
        c.reclassified = true;
        c.reclassify_reason = d.text;
        cancel(id, feedback_24h);
        start(id, report_10m);
        if (!c.solution_agreed) start(id, solution_12h);
        return true;
      case explain_and_close:
        if (c.reasonable) return false;
        c.explanation = d.text;
        if (c.st == assigned) cancel(id, measures_1h);  // exit the state
        enter_closed(c, id);
        return true;
      default:
        return false;
    }
  }

  std::size_t fire_due(std::int64_t limit, bool inclusive) {
    std::size_t n = 0;
    while (!heap_.empty()) {
      const entry top = heap_.top();
      if (top.due > limit || (!inclusive && top.due == limit)) break;
      heap_.pop();
      case_data& c = cases_[top.owner];
      if (c.generation[top.t] != top.generation || !(c.running >> top.t & 1)) continue;
      c.running &= static_cast<std::uint8_t>(~(1u << top.t));
      ++c.generation[top.t];
      --live_;
      ++n;
      ++fired_;
      now_ = top.due;
      event_data d;
      switch (top.t) {
        case solution_12h:
          d.text = default_escalate_to;
          d.text2 = default_escalate_reason;
          dispatch_event(top.owner, escalate, d);
          break;
        case follow_up: dispatch_event(top.owner, follow_up_due, d); break;
        case unresolved_10d:
          d.text = default_reclassify_reason;
          dispatch_event(top.owner, reclassify_major, d);
          break;
        default: break;  // alarms and notices only
      }
    }
    return n;
  }

  std::vector<case_data> cases_;
  std::priority_queue<entry, std::vector<entry>, std::greater<entry>> heap_;
  std::uint64_t order_ = 0;
  std::size_t live_ = 0;
  std::uint64_t fired_ = 0;
  std::int64_t now_ = INT64_MIN;
};

}  // namespace complaint_bench
