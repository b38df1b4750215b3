#!/usr/bin/env bash
# The national plan on the full demo registry: time, peak memory, cost, gap, and the greedy
# baseline's cost as a ratio, all from one `auyl plan run` (the greedy baseline runs in the same
# call). Usage: bench/plan/run.sh [extra `plan run` args, e.g. --no-terrain]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p auyl-cli --locked
out=bench/out/plan
rm -rf "$out" && mkdir -p "$out"
db="sqlite://$out/plan.db"
bin="${CARGO_TARGET_DIR:-target}/release/auyl"
for spec in organisations:organisations.csv regions:regions.geojson districts:districts.geojson \
            settlements:settlements.csv roads:roads.geojson power:power.csv; do
  "$bin" --database "$db" import "${spec%%:*}" "data/demo/${spec#*:}" >/dev/null
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -v "$bin" --database "$db" plan run --json "$@" >"$out/totals.json" 2>"$out/time.txt"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$out" "$load_before" "$load_after" <<'PY'
import json, re, sys
out = sys.argv[1]
t = json.load(open(f"{out}/totals.json"))
tv = open(f"{out}/time.txt").read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", tv).group(1)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv).group(1))
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", tv).group(1)) for k in ("User", "System"))
tot = t["totals"]
ratio = tot["greedy_npc_usd"] / tot["npc_usd"] if tot.get("greedy_npc_usd") else float("nan")
print(f"settlements served {t['settlements_served']}, unserved {t['settlements_unserved']}")
print(f"wall {wall}, CPU (user+sys) {cpu:.1f} s, peak RSS {rss/1024:.0f} MiB (targets: < 60 s, < 2 GB)")
print(f"load average (1/5/15 min) before {sys.argv[2]}, after {sys.argv[3]}")
if tot.get("solve_s") is not None:
    print(f"solver time {tot['solve_s']:.1f} s")
print(f"NPC ${tot['npc_usd']/1e6:.1f} M, capex ${tot['capex_usd']/1e6:.1f} M, gap {100*(tot.get('gap') or 0):.3f} % (target ≤ 1 %)")
print(f"greedy baseline NPC ${tot['greedy_npc_usd']/1e6:.1f} M = {ratio:.3f}× the plan")
print(f"technology mix {tot['settlements_by_technology']}, people by year {tot['people_by_year']}")
print(f"method: {tot['method']}")
PY
