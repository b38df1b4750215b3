#!/usr/bin/env bash
# Importing 100,000 settlements from CSV: auyl into SQLite against GDAL's ogr2ogr into a GeoPackage,
# on the same file in the same run. Prints both times, the ratio and auyl's peak memory.
# Usage: bench/import/run.sh [ROWS]   (needs gdal-bin; builds auyl in release)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-100000}
out=bench/out/import
mkdir -p "$out"
command -v ogr2ogr >/dev/null || { echo "needs ogr2ogr (apt-get install gdal-bin)" >&2; exit 1; }
cargo build --release -q -p auyl-cli
auyl=target/release/auyl

# Real-looking rows: positions across Kazakhstan, Cyrillic names, populations, region codes.
python3 - "$rows" "$out/settlements.csv" <<'PY'
import csv, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(42)
regions = ["110000000", "590000000", "390000000", "150000000", "430000000", "610000000"]
with open(path, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "name", "name_ru", "lon", "lat", "kind", "population", "region_code"])
    for i in range(n):
        w.writerow([f"bench:{i}", f"Ауыл {i}", f"Село {i}", f"{rnd.uniform(47.0, 87.0):.6f}",
                    f"{rnd.uniform(41.0, 55.0):.6f}", rnd.choice(["village", "hamlet"]),
                    rnd.randint(20, 5000), rnd.choice(regions)])
PY

time_cmd() { # prints "seconds peak_kb"
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt" || { cat "$out/stderr.txt" >&2; exit 1; }
  cat "$out/time.txt"
}
best() { # best of 3 runs of a fresh import
  local best_s=999999 best_kb=0
  for _ in 1 2 3; do
    "$1"
    read -r s kb < <(time_cmd "${@:2}")
    if awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; best_kb=$kb; fi
  done
  echo "$best_s $best_kb"
}
clean_auyl() { rm -f "$out/auyl.db" "$out/auyl.db-wal" "$out/auyl.db-shm"; }
clean_ogr() { rm -f "$out/ogr.gpkg"; }

read -r a_s a_kb < <(best clean_auyl "$auyl" --database "sqlite://$out/auyl.db" import settlements "$out/settlements.csv")
read -r o_s o_kb < <(best clean_ogr ogr2ogr -f GPKG "$out/ogr.gpkg" "$out/settlements.csv" \
  -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -oo AUTODETECT_TYPE=YES -a_srs EPSG:4326 -nln settlements)

# Re-import of the same file: the idempotent path (everything unchanged).
read -r r_s r_kb < <(time_cmd "$auyl" --database "sqlite://$out/auyl.db" import settlements "$out/settlements.csv")

echo "rows: $rows"
echo "auyl import (SQLite):       ${a_s} s, peak ${a_kb} KB"
echo "ogr2ogr (GeoPackage):       ${o_s} s, peak ${o_kb} KB"
echo "auyl re-import (unchanged): ${r_s} s, peak ${r_kb} KB"
awk "BEGIN{printf \"ratio ogr2ogr/auyl: %.2f (>= 1 means auyl is at least as fast)\n\", $o_s/$a_s}"
awk "BEGIN{printf \"auyl peak memory: %.0f MB (target < 200 MB)\n\", $a_kb/1024}"
