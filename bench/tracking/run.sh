#!/usr/bin/env bash
# Tracking benchmark: import an operator workbook of 20,000 rows, and recompute every KPI (and the
# forecasts) for 10,000 settlements with 70,000 works. Prints wall time and peak memory of each
# step (/usr/bin/time -v). Targets: import < 2 s, KPIs < 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p auyl-cli
cargo build --release -q -p auyl-track --example kpis
bin=$CARGO_TARGET_DIR/release/auyl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=${AUYL_BENCH_DATABASE:-sqlite://$tmp/bench.db}

python3 bench/tracking/make_plan.py 10000 20000 > "$tmp/plan.json"
"$bin" --database "$db" tracking generate --plan "$tmp/plan.json"
"$bin" --database "$db" tracking template --operator kcell -o "$tmp/kcell.xlsx"
python3 bench/tracking/fill.py "$tmp/kcell.xlsx" "$tmp/filled.xlsx"

measure() { # label, command…
  local label=$1; shift
  /usr/bin/time -v "$@" > "$tmp/out" 2> "$tmp/time" || { cat "$tmp/out" "$tmp/time"; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$tmp/time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$tmp/time" | awk '{print $NF}')
  printf '%-58s wall %8s   peak RSS %6.0f MB\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)"
  head -n 3 "$tmp/out" | sed 's/^/    /'
}

echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
measure "import 20,000-row workbook (validate, apply, audit)" \
  "$bin" --database "$db" tracking import "$tmp/filled.xlsx" --user bench --date 2026-05-01
measure "KPIs + forecasts, 10,000 settlements / 70,000 works (cli)" \
  "$bin" --database "$db" tracking kpis --date 2026-09-01 --json
measure "weekly report (XLSX + HTML with charts)" \
  "$bin" --database "$db" report weekly --date 2026-09-01 -o "$tmp/report"
measure "KPIs in memory after a simulated year (example kpis)" \
  "$CARGO_TARGET_DIR/release/examples/kpis" "$tmp/plan.json"
