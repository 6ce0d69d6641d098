// The audit trail (engine_options::audit_log) and silence by default: an engine writes only
// through the logger the host gives it, never to stdout/stderr or spdlog's default logger.
#define BOOST_TEST_MODULE audit
#include "test_support.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

using namespace crmflow_test;

namespace {

constexpr std::string_view audit_rules = R"(
flows:
  complaint:
    label: 投诉
    fields:
      unit:  {type: string}
      level: {type: enum, values: [minor, major], default: minor}
    events:
      assign:
        data:
          unit: string
      escalate:
      done:
    initial: received
    states:
      received:
        on:
          assign:
            to: assigned
            do:
              - set: unit
                from: event.unit
              - notify: "{unit}"
                message: "投诉 {case} 已分派：{unit}"
              - start_timer: reply
              - start_timer: remind
      assigned:
        on:
          escalate:
            do:
              - set: level
                to: major
              - alarm: escalated
                to: head_of_department
                message: "投诉 {case} 升级为{level}"
              - cancel_timer: reply
              - emit: done
          done:
            to: closed
      closed:
        final: true
    timers:
      - name: reply
        after: 1h
        do:
          - alarm: reply_overdue
            to: customer_centre
            message: "投诉 {case}：{unit} 超时"
      - name: remind
        after: 30m
        do:
          - alarm: reply_late
            to: customer_centre
            message: "投诉 {case}：{unit} 30分钟未回复"
)";

// 2026-03-02T09:15:00+08:00
constexpr timestamp t0 = 1772414100000;

std::shared_ptr<spdlog::logger> stream_logger(const std::string& name, std::ostringstream& out) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto log = std::make_shared<spdlog::logger>(name, sink);
  log->set_pattern("%l %v");
  log->set_level(spdlog::level::trace);
  return log;
}

lines split_lines(const std::string& text) {
  lines out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// One story that produces every kind of record: creation, transitions (posted, emitted,
// internal), set, notify, start/cancel timer, deadline, alarm, emit and rejections.
void run_story(engine& eng, const rule_set& rules) {
  const event_id assign = *rules.find_event(0, "assign");
  const event_id escalate = *rules.find_event(0, "escalate");
  const case_id c = eng.create_case(0, "C-1", t0).id;
  data_record d;
  d.set(*rules.find_slot(0, assign, "unit"), eng.intern("工程维修"));
  BOOST_TEST(eng.post(c, assign, d, t0 + m).accepted());
  BOOST_TEST(eng.advance_to(t0 + 31 * m) == 1u);
  BOOST_TEST(eng.post(c, escalate, {}, t0 + h).accepted());
  BOOST_TEST(eng.state_name(c) == "closed");
  BOOST_TEST(eng.post(c, assign, d, t0 + h).status == status::no_transition);
  BOOST_TEST(eng.post(42, assign, d, t0 + h).status == status::unknown_case);
}

const lines story_audit = {
    "info 2026-03-02T09:15:00+08:00 case=C-1 flow=complaint created state=received",
    "info 2026-03-02T09:16:00+08:00 case=C-1 event=assign (posted) received -> assigned",
    "info 2026-03-02T09:16:00+08:00 case=C-1 set unit = 工程维修",
    "info 2026-03-02T09:16:00+08:00 case=C-1 notify 工程维修: 投诉 C-1 已分派：工程维修",
    "info 2026-03-02T09:16:00+08:00 case=C-1 start_timer reply due=2026-03-02T10:16:00+08:00",
    "info 2026-03-02T09:16:00+08:00 case=C-1 start_timer remind due=2026-03-02T09:46:00+08:00",
    "info 2026-03-02T09:46:00+08:00 case=C-1 deadline remind",
    "info 2026-03-02T09:46:00+08:00 case=C-1 alarm reply_late to=customer_centre: 投诉 C-1：工程维修 30分钟未回复",
    "info 2026-03-02T10:15:00+08:00 case=C-1 event=escalate (posted) assigned -> assigned (internal)",
    "info 2026-03-02T10:15:00+08:00 case=C-1 set level = major",
    "info 2026-03-02T10:15:00+08:00 case=C-1 alarm escalated to=head_of_department: 投诉 C-1 升级为major",
    "info 2026-03-02T10:15:00+08:00 case=C-1 cancel_timer reply",
    "info 2026-03-02T10:15:00+08:00 case=C-1 emit done",
    "info 2026-03-02T10:15:00+08:00 case=C-1 event=done (emitted) assigned -> closed",
    "warning 2026-03-02T10:15:00+08:00 case=C-1 rejected event=assign reason=no_transition",
    "warning 2026-03-02T10:15:00+08:00 case=#42 rejected event=? reason=unknown_case",
};

// Captures everything written to file descriptors 1 and 2 (printf, std::cout, std::cerr,
// spdlog's console sinks) and to std::cout/std::cerr/std::clog's buffers while alive.
class output_capture {
 public:
  output_capture() {
    std::fflush(stdout);
    std::fflush(stderr);
    file_ = std::tmpfile();
    BOOST_TEST_REQUIRE(file_ != nullptr);
    saved_out_ = dup(1);
    saved_err_ = dup(2);
    dup2(fileno(file_), 1);
    dup2(fileno(file_), 2);
    old_cout_ = std::cout.rdbuf(cout_.rdbuf());
    old_cerr_ = std::cerr.rdbuf(cerr_.rdbuf());
    old_clog_ = std::clog.rdbuf(clog_.rdbuf());
  }
  ~output_capture() { restore(); }

  // Stops capturing and returns everything that was written.
  std::string finish() {
    restore();
    std::string text = cout_.str() + cerr_.str() + clog_.str();
    std::rewind(file_);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) text.append(buf, n);
    return text;
  }

 private:
  void restore() {
    if (saved_out_ < 0) return;
    std::cout.rdbuf(old_cout_);
    std::cerr.rdbuf(old_cerr_);
    std::clog.rdbuf(old_clog_);
    std::fflush(stdout);
    std::fflush(stderr);
    dup2(saved_out_, 1);
    dup2(saved_err_, 2);
    close(saved_out_);
    close(saved_err_);
    saved_out_ = saved_err_ = -1;
  }

  std::FILE* file_ = nullptr;
  int saved_out_ = -1, saved_err_ = -1;
  std::ostringstream cout_, cerr_, clog_;
  std::streambuf* old_cout_ = nullptr;
  std::streambuf* old_cerr_ = nullptr;
  std::streambuf* old_clog_ = nullptr;
};

// Replaces spdlog's default logger with one writing to a string for the test's lifetime.
struct default_logger_spy {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  default_logger_spy() { spdlog::set_default_logger(stream_logger("spy", out)); }
  ~default_logger_spy() { spdlog::set_default_logger(previous); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(audit_log_gets_one_exact_line_per_record) {
  std::ostringstream out;
  engine_options opt;
  opt.audit_log = stream_logger("audit", out);
  auto rules = load_ok(audit_rules);
  engine eng(rules, opt);
  run_story(eng, *rules);
  BOOST_TEST(split_lines(out.str()) == story_audit);
}

BOOST_AUTO_TEST_CASE(audit_log_and_observer_see_the_same_records) {
  std::ostringstream out;
  recorder rec;
  engine_options opt;
  opt.audit_log = stream_logger("audit2", out);
  opt.observer = &rec;
  auto rules = load_ok(audit_rules);
  engine eng(rules, opt);
  run_story(eng, *rules);
  BOOST_TEST(split_lines(out.str()) == story_audit);
  BOOST_TEST(rec.lines.size() == story_audit.size());
}

BOOST_AUTO_TEST_CASE(the_host_filters_by_level) {
  std::ostringstream out;
  engine_options opt;
  opt.audit_log = stream_logger("audit3", out);
  opt.audit_log->set_level(spdlog::level::warn);
  auto rules = load_ok(audit_rules);
  engine eng(rules, opt);
  run_story(eng, *rules);
  BOOST_TEST(split_lines(out.str()) ==
             (lines{"warning 2026-03-02T10:15:00+08:00 case=C-1 rejected event=assign reason=no_transition",
                    "warning 2026-03-02T10:15:00+08:00 case=#42 rejected event=? reason=unknown_case"}));
}

BOOST_AUTO_TEST_CASE(display_offset_applies_to_audit_times) {
  std::ostringstream out;
  engine_options opt;
  opt.audit_log = stream_logger("audit4", out);
  opt.display_utc_offset_minutes = 0;
  auto rules = load_ok(audit_rules);
  engine eng(rules, opt);
  eng.create_case(0, "C-1", t0);
  BOOST_TEST(out.str() == "info 2026-03-02T01:15:00Z case=C-1 flow=complaint created state=received\n");
}

// Regression: the audit trail wrote `case=` (nothing) for a case created without a name, so
// its lines could not be told apart from another anonymous case's. It now names it by id, the
// way templates render {case}.
BOOST_AUTO_TEST_CASE(audit_names_anonymous_cases_by_their_id) {
  std::ostringstream out;
  engine_options opt;
  opt.audit_log = stream_logger("audit5", out);
  auto rules = load_ok(audit_rules);
  engine eng(rules, opt);
  const event_id assign = *rules->find_event(0, "assign");
  eng.create_case(0, "", t0);
  eng.create_case(0, "", t0);
  data_record d;
  d.set(0, eng.intern("保安"));
  eng.post(1, assign, d, t0);
  eng.post(1, assign, d, t0);
  BOOST_TEST(split_lines(out.str()) ==
             (lines{
                 "info 2026-03-02T09:15:00+08:00 case=#0 flow=complaint created state=received",
                 "info 2026-03-02T09:15:00+08:00 case=#1 flow=complaint created state=received",
                 "info 2026-03-02T09:15:00+08:00 case=#1 event=assign (posted) received -> assigned",
                 "info 2026-03-02T09:15:00+08:00 case=#1 set unit = 保安",
                 "info 2026-03-02T09:15:00+08:00 case=#1 notify 保安: 投诉 #1 已分派：保安",
                 "info 2026-03-02T09:15:00+08:00 case=#1 start_timer reply due=2026-03-02T10:15:00+08:00",
                 "info 2026-03-02T09:15:00+08:00 case=#1 start_timer remind due=2026-03-02T09:45:00+08:00",
                 "warning 2026-03-02T09:15:00+08:00 case=#1 rejected event=assign reason=no_transition",
             }));
}

BOOST_AUTO_TEST_CASE(an_engine_without_log_or_observer_writes_nothing) {
  default_logger_spy spy;
  auto rules = load_ok(audit_rules);
  std::string captured;
  {
    output_capture capture;
    engine eng(rules);
    run_story(eng, *rules);
    eng.create_case(0, "", t0 + 3 * h);
    BOOST_TEST(eng.advance_to(t0 + 10 * d) == 0u);  // the anonymous case has no timers yet
    captured = capture.finish();
  }
  BOOST_TEST(captured == "");
  BOOST_TEST(spy.out.str() == "");
}

BOOST_AUTO_TEST_CASE(an_engine_with_a_log_writes_only_to_it) {
  default_logger_spy spy;
  auto rules = load_ok(audit_rules);
  std::ostringstream out;
  std::string captured;
  {
    output_capture capture;
    engine_options opt;
    opt.audit_log = stream_logger("audit6", out);
    engine eng(rules, opt);
    run_story(eng, *rules);
    captured = capture.finish();
  }
  BOOST_TEST(captured == "");
  BOOST_TEST(spy.out.str() == "");
  BOOST_TEST(split_lines(out.str()) == story_audit);
}

// Checks the capture itself, so that an empty capture above means silence, not a broken spy.
BOOST_AUTO_TEST_CASE(the_capture_and_the_spy_do_capture) {
  default_logger_spy spy;
  std::string captured;
  {
    output_capture capture;
    std::printf("a");
    std::cout << "b";
    std::cerr << "c";
    std::fprintf(stderr, "d");
    spdlog::info("e");
    captured = capture.finish();
  }
  BOOST_TEST(captured.size() == 4u);
  for (const char ch : std::string("abcd")) BOOST_TEST(captured.find(ch) != std::string::npos);
  BOOST_TEST(spy.out.str() == "info e\n");
}
