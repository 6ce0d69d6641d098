#!/usr/bin/env bash
# Builds the crmflow CLI in build/ and simulates a month of complaints with the rules in rules/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target crmflow_cli
build/crmflow simulate rules examples/data/month.jsonl --summary --out build/demo-timeline.jsonl
# The month's KPI report (rules/kpis.yaml): tables here, a page for managers in build/report.html.
build/crmflow report rules examples/data/month.jsonl --month 2026-03 --html build/report.html --csv build/report
echo "report: build/report.html, CSV files in build/report/"
