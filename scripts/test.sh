#!/usr/bin/env bash
# Builds crmflow in build/ (Release, warnings as errors), runs every test, then every benchmark
# in quick mode and the instruction-count gate (scripts/bench.sh).
# With CRMFLOW_SANITIZE=1 in the environment, also builds and runs the tests under
# AddressSanitizer and UBSan in build-asan/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-deps.sh

run_suite() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCRMFLOW_BUILD_TESTS=ON "$@"
  cmake --build "$dir" -j"$(nproc)"
  # The benchmarks (label bench) run on their own below, one at a time, with their figures.
  ctest --test-dir "$dir" --output-on-failure -j2 -LE bench
}

run_suite build -DCMAKE_BUILD_TYPE=Release -DCRMFLOW_WERROR=ON
# Every benchmark in quick mode, printing its figures, and the instruction-count gate.
bash scripts/bench.sh build

if [[ "${CRMFLOW_SANITIZE:-}" == "1" ]]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
  run_suite build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRMFLOW_SANITIZE=ON \
    -DCRMFLOW_BUILD_BENCH=OFF
fi
