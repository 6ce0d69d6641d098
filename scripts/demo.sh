#!/usr/bin/env bash
# Builds the crmflow CLI in build/ and simulates a month of complaints with the rules in rules/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target crmflow_cli
build/crmflow simulate rules examples/data/month.jsonl --summary --out build/demo-timeline.jsonl
