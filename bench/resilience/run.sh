#!/usr/bin/env bash
# All single-failure impacts on the national demo network: dominator tree vs brute force in the
# same run (see README.md). Writes results.json beside this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target-resilience}"
cargo build --release -q -p auyl-resilience --example national_spof
"$CARGO_TARGET_DIR/release/examples/national_spof" "$root" | tee "$here/results.json"
