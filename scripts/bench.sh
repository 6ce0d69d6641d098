#!/usr/bin/env bash
# Runs every benchmark of a build in its quick mode and prints its figures, then the
# instruction-count gate (bench/gate/run_gate.sh). Exits non-zero if any benchmark's own checks
# fail or the gate does. Called by scripts/test.sh (CI) after the tests; the build must be a
# Release build with the benchmarks on (the default at top level).
#
#   bash scripts/bench.sh [BUILD_DIR]          # default: build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dir=${1:-build}
status=0
shopt -s nullglob
benches=("$dir"/bench/*/bench_*)
if [[ ${#benches[@]} -eq 0 ]]; then
  echo "bench: no benchmarks under $dir/bench (configure with -DCRMFLOW_BUILD_BENCH=ON)" >&2
  exit 1
fi
for b in "${benches[@]}"; do
  [[ -x "$b" ]] || continue
  echo "==== $(basename "$b") --quick"
  start=$SECONDS
  if ! "$b" --quick; then
    echo "bench: $(basename "$b") FAILED" >&2
    status=1
  fi
  echo "     ($((SECONDS - start)) s)"
done
echo "==== instruction-count gate"
if ! bash bench/gate/run_gate.sh "$dir/bench/gate/gate_bench"; then status=1; fi
exit $status
