#!/usr/bin/env bash
# Steiner benchmark (issue 5): every vendored SteinLib B/C and PACE 2018 instance with its gap to
# the proven optimum and the shortest-path 2-approximation as baseline ratio; the demo road graph
# (time, cost, gap to the lower bound, baseline); peak memory on a 100,000-edge grid.
# Usage: bench/steiner/run.sh [TIME_LIMIT_S]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
LIMIT="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-network}"
cargo build --release -q -p auyl-network --example steiner_bench
BIN="$CARGO_TARGET_DIR/release/examples/steiner_bench"

echo "== SteinLib B/C + PACE 2018 (fixtures/steiner), time limit ${LIMIT}s per instance"
"$BIN" fixtures/steiner "$LIMIT"

echo
echo "== demo road graph (../shared/data: republican roads + last-mile links)"
if [ -d ../shared/data ]; then
  "$BIN" --roads ../shared/data "$LIMIT"
else
  echo "missing ../shared/data (needs kz_roads_republican_graph.geojson and settlements_kz.csv)" >&2
  exit 1
fi

echo
echo "== peak memory, 224x224 grid (99,904 edges)"
/usr/bin/time -v "$BIN" --gen-grid 224 "$LIMIT" 2> /tmp/auyl_steiner_time.$$ || { cat /tmp/auyl_steiner_time.$$; exit 1; }
grep -E "Maximum resident|Elapsed" /tmp/auyl_steiner_time.$$
rm -f /tmp/auyl_steiner_time.$$
