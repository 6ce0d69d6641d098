#!/usr/bin/env bash
# The instruction-count gate (issue 5, item 8). Counts the instructions (callgrind's Ir) of
# gate_bench's fixed dispatch and trigger workloads, only inside the workload functions, and
# compares each with bench/gate/baseline.txt: fails when either grew by more than 10%.
#
#   bash bench/gate/run_gate.sh BUILD_DIR/bench/gate/gate_bench            # check
#   bash bench/gate/run_gate.sh BUILD_DIR/bench/gate/gate_bench --update   # write baseline.txt
#
# The counts are deterministic for one build (same compiler, flags and sources): the workloads
# read no clock, draw no random numbers and hash no pointers. A Release build (-O2 for the
# benchmarks) with the compiler of scripts/setup-deps.sh is what baseline.txt was taken with;
# update it, in the same commit, when a change makes the engine legitimately slower or after a
# toolchain change, and say why in the commit message. Shrinking counts pass; update the
# baseline then too, so that the next regression is measured from the new level.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
baseline="$here/baseline.txt"
bin=${1:?usage: run_gate.sh PATH/TO/gate_bench [--update]}
update=${2:-}
limit_percent=10

if ! command -v valgrind >/dev/null 2>&1; then
  echo "gate: valgrind is not installed (scripts/setup-deps.sh installs it)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() {  # workload -> Ir inside gate_<workload>_workload
  local w=$1 out="$work/callgrind.$1"
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
       --toggle-collect="gate_${w}_workload*" "$bin" "$w" >"$work/$w.stdout" 2>"$work/$w.stderr"; then
    echo "gate: gate_bench $w failed:" >&2
    cat "$work/$w.stdout" "$work/$w.stderr" >&2
    exit 1
  fi
  local ir
  ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$out")
  if [[ -z "$ir" || "$ir" == 0 ]]; then
    echo "gate: no instructions counted for $w (was gate_${w}_workload inlined or renamed?)" >&2
    exit 1
  fi
  cat "$work/$w.stdout" >&2
  echo "$ir"
}

declare -A now
for w in dispatch triggers; do now[$w]=$(count "$w"); done

if [[ "$update" == "--update" ]]; then
  {
    echo "# Instruction counts (callgrind Ir) of gate_bench's workloads; see run_gate.sh."
    echo "# Taken with: $(${CXX:-g++} --version | head -1), Release (-O2), $(valgrind --version)"
    for w in dispatch triggers; do echo "$w ${now[$w]}"; done
  } >"$baseline"
  echo "gate: wrote $baseline"
  cat "$baseline"
  exit 0
fi

status=0
for w in dispatch triggers; do
  base=$(awk -v w="$w" '$1 == w {print $2}' "$baseline")
  if [[ -z "$base" ]]; then
    echo "gate: $baseline has no count for $w (run with --update)" >&2
    exit 1
  fi
  verdict=$(awk -v n="${now[$w]}" -v b="$base" -v l="$limit_percent" \
    'BEGIN { r = n / b; printf "%.4f %s", r, (r > 1 + l / 100) ? "FAIL" : "ok" }')
  ratio=${verdict% *}
  result=${verdict#* }
  printf 'gate %-9s Ir now %12d  baseline %12d  ratio %s  (fails above %.2f): %s\n' \
    "$w" "${now[$w]}" "$base" "$ratio" "$(awk -v l=$limit_percent 'BEGIN{print 1 + l/100}')" "$result"
  [[ "$result" == ok ]] || status=1
done
if [[ $status -ne 0 ]]; then
  echo "gate: instruction counts grew by more than ${limit_percent}%: find the cause (callgrind_annotate)," >&2
  echo "      or, if the growth is deliberate, update bench/gate/baseline.txt with --update and say why." >&2
fi
exit $status
