// The complaint benchmark's workload, shared by crmflow and the hand-written baseline: which
// path each case takes, and every create/post as one time-ordered list.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../common/bench_util.hpp"

namespace complaint_bench {

// What the workload posts. Each post names one of these and a person (receiver, area manager
// or unit, by index) where the event's data depends on who the case belongs to.
enum post_kind : std::uint8_t {
  k_create,                // create_case with the intake fields
  k_classify_minor,
  k_classify_major,
  k_classify_unreasonable,  // minor, reasonable = false
  k_report,
  k_assign,                 // person: unit
  k_plan,
  k_feedback,
  k_agree,
  k_dispatch,
  k_resolve,
  k_revisit_minor_ok,       // by the receiver, phone, satisfied
  k_revisit_minor_unhappy,  // by the receiver, wechat, dissatisfied: back to 分派
  k_revisit_major_ok,       // by the area manager, face to face, basically satisfied
  k_explain,
  post_kind_count
};

inline constexpr int receivers = 20, area_managers = 5, units = 6;

// Paths, with the share of cases taking each (in percent) and the deadlines each one fires.
enum path : std::uint8_t {
  p_minor,         // 55%: on time everywhere
  p_minor_late,    // 15%: measures after 2h, feedback after 24h, revisit after 24h (3 fire)
  p_major,         // 10%: reported, agreed, revisited in time
  p_major_late,    //  5%: report late, no agreement in 12h: escalated, followed up until closed (6 fire)
  p_minor_reopen,  //  7%: dissatisfied at the first revisit, new measures, closed
  p_unreasonable,  //  5%: explained and closed
  p_slow,          //  3%: still open after 10 days: becomes major (1 fires)
  path_count
};
inline constexpr std::uint8_t path_share[path_count] = {55, 15, 10, 5, 7, 5, 3};
inline constexpr int path_deadlines[path_count] = {0, 3, 0, 6, 0, 0, 1};

struct case_profile {
  std::uint8_t path;
  std::uint8_t receiver, area_manager, unit;
  std::uint8_t category, building, customer, description;
  std::uint16_t room;
};

inline case_profile profile(std::uint32_t i) {
  const std::uint64_t h = crmflow_bench::mix(i ^ 0xc0ffee);
  case_profile p{};
  int pct = static_cast<int>(h % 100), k = 0;
  while (pct >= path_share[k]) pct -= path_share[k++];
  p.path = static_cast<std::uint8_t>(k);
  p.receiver = static_cast<std::uint8_t>((h >> 8) % receivers);
  p.area_manager = static_cast<std::uint8_t>((h >> 16) % area_managers);
  p.unit = static_cast<std::uint8_t>((h >> 24) % units);
  p.category = static_cast<std::uint8_t>((h >> 32) % 8);
  p.building = static_cast<std::uint8_t>((h >> 36) % 12);
  p.customer = static_cast<std::uint8_t>((h >> 40) % 200);
  p.description = static_cast<std::uint8_t>((h >> 48) % 32);
  p.room = static_cast<std::uint16_t>((h >> 52) % 600);
  return p;
}

struct step {
  std::int64_t at;  // ms
  std::uint32_t case_index;
  std::uint8_t kind;
};

inline constexpr std::int64_t minute = 60'000, hour = 60 * minute, day = 24 * hour;

// The steps of one case, relative to its creation.
inline void append_path(std::vector<step>& out, std::uint32_t i, std::int64_t t, std::uint8_t p) {
  auto at = [&](std::int64_t offset, std::uint8_t kind) { out.push_back({t + offset, i, kind}); };
  at(0, k_create);
  switch (p) {
    case p_minor:
      at(1 * minute, k_classify_minor); at(5 * minute, k_assign); at(40 * minute, k_plan);
      at(2 * hour, k_feedback); at(3 * hour, k_dispatch); at(1 * day, k_resolve);
      at(1 * day + 4 * hour, k_revisit_minor_ok);
      break;
    case p_minor_late:
      at(1 * minute, k_classify_minor); at(5 * minute, k_assign); at(2 * hour, k_plan);  // measures_1h
      at(3 * hour, k_dispatch); at(1 * day + 2 * hour, k_feedback);                     // feedback_24h
      at(2 * day, k_resolve); at(3 * day + 1 * hour, k_revisit_minor_ok);               // revisit_24h
      break;
    case p_major:
      at(1 * minute, k_classify_major); at(5 * minute, k_report); at(10 * minute, k_assign);
      at(50 * minute, k_plan); at(3 * hour, k_agree); at(4 * hour, k_dispatch);
      at(1 * day, k_resolve); at(1 * day + 6 * hour, k_revisit_major_ok);
      break;
    case p_major_late:
      at(1 * minute, k_classify_major); at(20 * minute, k_report);  // report_10m
      at(30 * minute, k_assign); at(1 * hour, k_plan);
      // report_10m fires at +10m, solution_12h at +12h (both from receipt; escalate), then
      // follow_up every 12h until the case closes: +1d, +1d12h, +2d, +2d12h (follow_up_due)
      at(1 * day + 6 * hour, k_agree); at(1 * day + 8 * hour, k_dispatch);
      at(2 * day, k_resolve); at(2 * day + 20 * hour, k_revisit_major_ok);
      break;
    case p_minor_reopen:
      at(1 * minute, k_classify_minor); at(5 * minute, k_assign); at(30 * minute, k_plan);
      at(1 * hour, k_feedback); at(2 * hour, k_dispatch); at(20 * hour, k_resolve);
      at(1 * day, k_revisit_minor_unhappy); at(1 * day + 30 * minute, k_plan);
      at(1 * day + 2 * hour, k_dispatch); at(1 * day + 20 * hour, k_resolve);
      at(2 * day, k_revisit_minor_ok);
      break;
    case p_unreasonable:
      at(1 * minute, k_classify_unreasonable); at(2 * hour, k_explain);
      break;
    case p_slow:
      at(1 * minute, k_classify_minor); at(5 * minute, k_assign); at(30 * minute, k_plan);
      at(1 * hour, k_feedback); at(2 * hour, k_dispatch);
      // unresolved_10d fires at +10d: reclassified major (report_10m, solution_12h start)
      at(10 * day + 5 * minute, k_report); at(10 * day + 2 * hour, k_agree);
      at(10 * day + 3 * hour, k_resolve); at(11 * day, k_revisit_major_ok);
      break;
  }
}

// Every case's steps, cases created `stagger` ms apart from `start`, in time order (ties: in
// order of generation, so both implementations see exactly the same sequence).
inline std::vector<step> build_workload(std::uint32_t cases, std::int64_t start, std::int64_t stagger,
                                        std::uint64_t& expected_deadlines) {
  std::vector<step> out;
  out.reserve(std::size_t{cases} * 9);
  expected_deadlines = 0;
  for (std::uint32_t i = 0; i < cases; ++i) {
    const std::uint8_t p = profile(i).path;
    append_path(out, i, start + std::int64_t{i} * stagger, p);
    expected_deadlines += static_cast<std::uint64_t>(path_deadlines[p]);
  }
  std::stable_sort(out.begin(), out.end(), [](const step& a, const step& b) { return a.at < b.at; });
  return out;
}

// What a case ended as, compared between implementations.
struct case_outcome {
  std::uint8_t state;  // index into state_names
  std::uint8_t level;  // 0 unclassified, 1 minor, 2 major
  std::uint8_t reclassified;
  std::uint8_t solution_agreed;
  std::int32_t escalations;
  std::int32_t reopens;
  friend bool operator==(const case_outcome&, const case_outcome&) = default;
};

inline constexpr const char* state_names[] = {"received", "assigned", "planned", "dispatched", "resolved", "closed"};
inline constexpr int state_count = 6;

}  // namespace complaint_bench
