#!/usr/bin/env bash
# ITM point-to-point speed, auyl vs the Python `itmlogic` package (PyPI), same profiles and
# inputs (see crates/auyl-radio/benches/itm.rs and bench/itm/itmlogic_bench.py).
#
# Both are pinned to core 0 and rated in calls per second of on-CPU time (auyl: thread run time
# from /proc/thread-self/schedstat; itmlogic: process CPU time), which stays meaningful when
# other jobs share the machine. The criterion wall-clock figures are kept in
# bench/out/itm_criterion.txt. NTIA C++ reference on this machine type (idle, one core,
# kz_bench_200pts_59km): 2.31e5 calls/s, see ../shared/radio/README.md.
#
# Usage: bench/itm/run.sh [seconds per itmlogic profile, default 3]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/bench/out"
VENV="$OUT/itmlogic-venv"
SECONDS_PER_PROFILE=${1:-3}
mkdir -p "$OUT"

if ! "$VENV/bin/python" -c "import itmlogic" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q itmlogic
fi

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-radio}
cd "$ROOT"
echo "== auyl-radio ITM (criterion + on-CPU rates), core 0" >&2
taskset -c 0 cargo bench -p auyl-radio --bench itm -- --warm-up-time 1 --measurement-time 3 \
    > "$OUT/itm_criterion.txt"
grep '^cpu-rate' "$OUT/itm_criterion.txt" > "$OUT/itm_auyl_rates.txt"

echo "== itmlogic $("$VENV/bin/pip" show itmlogic | awk '/^Version/{print $2}'), core 0" >&2
taskset -c 0 "$VENV/bin/python" "$ROOT/bench/itm/itmlogic_bench.py" \
    "$ROOT/fixtures/radio/itm_profiles.jsonl" "$SECONDS_PER_PROFILE" > "$OUT/itm_itmlogic_rates.txt"

python3 - "$OUT/itm_auyl_rates.txt" "$OUT/itm_itmlogic_rates.txt" <<'PY'
import sys
auyl = {}
for line in open(sys.argv[1]):
    _, variant, pid, n, rate, a_db = line.split()
    auyl[(variant, pid)] = (int(n), float(rate), float(a_db))
print(f"{'profile':30} {'pts':>5} {'auyl full/s':>12} {'auyl prepared/s':>15} "
      f"{'+setup/s':>10} {'itmlogic/s':>11} {'full/itmlogic':>13} {'vs C++ 2.31e5':>13}"
      f"  A_db auyl / itmlogic")
for line in open(sys.argv[2]):
    _, pid, n, rate, a_db = line.split()
    n_full, full, a_auyl = auyl[("p2p_full", pid)]
    _, prepared, _ = auyl[("evaluate_prepared", pid)]
    _, with_setup, _ = auyl[("evaluate_with_setup", pid)]
    cpp = f"{full / 2.31e5:.2f}x" if pid == "kz_bench_200pts_59km" else ""
    print(f"{pid:30} {n_full:5d} {full:12.0f} {prepared:15.0f} {with_setup:10.0f} {float(rate):11.1f} "
          f"{full / float(rate):12.0f}x {cpp:>13}  {a_auyl:.2f} / {float(a_db):.2f}")
PY
