// The Qt 6 SCXML half of the dispatch benchmark (dispatch_qt.cpp, built only when CMake finds
// Qt6 Scxml). Only standard types cross, so main.cpp needs no Qt header.
#pragma once

#include <cstdint>
#include <string>

#include "dispatch_bench.hpp"

namespace dispatch_bench {

struct qt_result {
  std::string error;       // non-empty: the document did not load, or not with the null data model
  std::string qt_version;  // qVersion() at run time
  single_result single;    // (a) one instance
  many_result many;        // (b) `instances` instances, states per instance
  std::uint64_t rss_growth = 0;   // over creating and starting the instances of (b)
  std::uint64_t heap_growth = 0;  // malloc'd bytes in use (mallinfo2), same span
  double create_seconds = 0;      // that creation: fromFile (parse + compile) + start, per all
};

// Loads `scxml_path` with QScxmlStateMachine::fromFile for every machine (as a host loading its
// flow at run time would), with a QCoreApplication whose event loop is pumped
// (QCoreApplication::processEvents) after every submitEvent: Qt SCXML processes submitted
// events from the event loop, not inside submitEvent.
//   (a) one machine, `events` events of the cycle, best of `reps` fresh machines;
//   (b) `instances` machines, machine i advanced (untimed) by pre[i] events, then `reps`
//       repetitions of `rounds` round-robin rounds, timed; memory over their creation.
// refused is left 0: Qt drops an event no transition takes without telling; the caller checks
// the action counts instead (every accepted event runs exactly one action).
qt_result run_qt(const char* scxml_path, const std::uint8_t* steps, std::uint64_t events,
                 std::uint32_t instances, const std::uint8_t* pre, int rounds, int reps);

}  // namespace dispatch_bench
