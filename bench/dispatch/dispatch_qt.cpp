// The dispatch flow in Qt 6 SCXML: flow.scxml loaded at run time with
// QScxmlStateMachine::fromFile and the null data model, actions counted in C++ through
// connectToEvent (see flow.scxml for why), the event loop pumped after every event.
#include "dispatch_qt.hpp"

#include <malloc.h>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QScxmlError>
#include <QScxmlEvent>
#include <QScxmlNullDataModel>
#include <QScxmlStateMachine>

#include <cstring>
#include <memory>
#include <vector>

#include "../common/bench_util.hpp"

namespace dispatch_bench {
namespace {

using crmflow_bench::bench_clock;
using crmflow_bench::seconds_since;

// What the machine's actions counted (flow.yaml's two fields).
struct counters {
  std::int64_t steps = 0;
  std::int64_t escalations = 0;
};

// Bytes malloc has handed out and not had back (every arena, mmapped blocks included).
std::uint64_t heap_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<std::uint64_t>(mi.uordblks) + static_cast<std::uint64_t>(mi.hblkhd);
}

// One started machine with its two action connections to `c`, in its initial state. Returns
// null and sets `error` if the document does not load or its data model is not the null one.
std::unique_ptr<QScxmlStateMachine> make_machine(const QString& path, counters* c, std::string& error) {
  std::unique_ptr<QScxmlStateMachine> m(QScxmlStateMachine::fromFile(path));
  if (!m) {
    error = "QScxmlStateMachine::fromFile returned null";
    return nullptr;
  }
  const QList<QScxmlError> errors = m->parseErrors();
  if (!errors.isEmpty()) {
    for (const QScxmlError& e : errors) error += e.toString().toStdString() + "\n";
    return nullptr;
  }
  if (!qobject_cast<QScxmlNullDataModel*>(m->dataModel())) {
    error = "the document's data model is not the null data model";
    return nullptr;
  }
  m->connectToEvent(QStringLiteral("acted.step"), m.get(), [c](const QScxmlEvent&) { ++c->steps; });
  m->connectToEvent(QStringLiteral("acted.escalate"), m.get(), [c](const QScxmlEvent&) { ++c->escalations; });
  m->start();
  QCoreApplication::processEvents();  // enters the initial state
  return m;
}

std::uint8_t state_of(const QScxmlStateMachine& m) {
  const QStringList active = m.activeStateNames();  // atomic states only: exactly one here
  if (active.size() == 1)
    for (int s = 0; s < state_count; ++s)
      if (active.front() == QLatin1String(state_names[s])) return static_cast<std::uint8_t>(s);
  return state_count;  // compares unequal to every expected state
}

}  // namespace

qt_result run_qt(const char* scxml_path, const std::uint8_t* steps, std::uint64_t events,
                 std::uint32_t instances, const std::uint8_t* pre, int rounds, int reps) {
  qt_result r;
  // The QCoreApplication outlives nothing it needs: argc/argv are declared first.
  int argc = 1;
  char arg0[] = "bench_dispatch";
  char* argv[] = {arg0, nullptr};
  std::unique_ptr<QCoreApplication> app;
  if (!QCoreApplication::instance()) app = std::make_unique<QCoreApplication>(argc, argv);
  // Qt SCXML's debug categories are on by default in this build of Qt; a host in production
  // turns debug output off, so the benchmark does too.
  QLoggingCategory::setFilterRules(QStringLiteral("scxml.*.debug=false\nqt.scxml.*.debug=false"));
  r.qt_version = qVersion();

  const QString path = QString::fromUtf8(scxml_path);
  // Event names by step (dispatch_bench::step); confirm's `satisfied` is in the name.
  const QString names[8] = {QStringLiteral("assign"),        QStringLiteral("plan"),
                            QStringLiteral("escalate"),      QStringLiteral("dispatch"),
                            QStringLiteral("complete"),      QStringLiteral("confirm.false"),
                            QStringLiteral("confirm.true"),  QStringLiteral("reset")};

  // (a) one machine.
  for (int rep = 0; rep < reps; ++rep) {
    counters c;
    std::unique_ptr<QScxmlStateMachine> m = make_machine(path, &c, r.error);
    if (!m) return r;
    const auto t0 = bench_clock::now();
    int k = 0;
    for (std::uint64_t i = 0; i < events; ++i) {
      m->submitEvent(names[steps[k]]);
      QCoreApplication::processEvents();
      k = k == cycle_length - 1 ? 0 : k + 1;
    }
    const double sec = seconds_since(t0);
    if (rep == 0 || sec < r.single.seconds) r.single.seconds = sec;
    r.single.state = state_of(*m);
    r.single.steps = c.steps;
    r.single.escalations = c.escalations;
  }

  // (b) many machines; memory over their creation (a machine was made above, so Qt's one-time
  // initialisation is not counted).
  std::vector<counters> count(instances);  // stable addresses for the connections
  std::vector<std::unique_ptr<QScxmlStateMachine>> all;
  all.reserve(instances);
  const std::uint64_t rss0 = crmflow_bench::rss_bytes(), heap0 = heap_in_use();
  const auto c0 = bench_clock::now();
  for (std::uint32_t i = 0; i < instances; ++i) {
    all.push_back(make_machine(path, &count[i], r.error));
    if (!all.back()) return r;
  }
  r.create_seconds = seconds_since(c0);
  r.rss_growth = crmflow_bench::rss_bytes() - rss0;
  r.heap_growth = heap_in_use() - heap0;
  for (std::uint32_t i = 0; i < instances; ++i)
    for (int k = 0; k < pre[i]; ++k) {
      all[i]->submitEvent(names[steps[k]]);
      QCoreApplication::processEvents();
    }
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = bench_clock::now();
    for (int round = 0; round < rounds; ++round)
      for (std::uint32_t i = 0; i < instances; ++i) {
        all[i]->submitEvent(names[steps[(pre[i] + round) % cycle_length]]);
        QCoreApplication::processEvents();
      }
    const double sec = seconds_since(t0);
    if (rep == 0 || sec < r.many.seconds) r.many.seconds = sec;
  }
  r.many.states.resize(instances);
  for (std::uint32_t i = 0; i < instances; ++i) {
    r.many.states[i] = state_of(*all[i]);
    r.many.steps += count[i].steps;
    r.many.escalations += count[i].escalations;
  }
  all.clear();  // before the QCoreApplication goes
  return r;
}

}  // namespace dispatch_bench
