#!/usr/bin/env bash
# Coverage and viewshed benchmarks (issue 4, item 8): auyl vs SPLAT! (ITM -olditm and ITWOM)
# and vs gdal_viewshed, 50 km around 43.35 N 76.95 E, 40 m mast, 900 MHz, RX 1.5 m, native 3″.
# Usage: bench/coverage/run.sh [radius_km]   (outputs in bench/out/coverage, git-ignored)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
R_KM="${1:-50}"
OUT="$ROOT/bench/out/coverage"
mkdir -p "$OUT/hgt" "$OUT/sdf"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target-bench-coverage}"
LON=76.95; LAT=43.35; H=40; F=900; RX=1.5

if ! command -v splat >/dev/null || ! command -v srtm2sdf >/dev/null; then
  echo "installing SPLAT! (Debian package splat)"; sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get install -y splat
fi
command -v gdal_viewshed >/dev/null || { echo "gdal_viewshed (gdal-bin) is required"; exit 1; }

(cd "$ROOT" && cargo build --release -p auyl-cli >/dev/null)
AUYL="$CARGO_TARGET_DIR/release/auyl"

# Terrain: the demo SRTM3 tiles, unpacked for SPLAT! (srtm2sdf) and GDAL.
for t in "$ROOT"/data/demo/terrain/srtm3/*.hgt.gz; do
  b=$(basename "$t" .gz); [ -f "$OUT/hgt/$b" ] || gunzip -c "$t" > "$OUT/hgt/$b"
done
(cd "$OUT/sdf" && for h in ../hgt/*.hgt; do
   s=$(basename "$h"); [ -n "$(ls *.sdf 2>/dev/null | head -1)" ] && [ -f ".done_$s" ] && continue
   srtm2sdf "$h" >/dev/null && touch ".done_$s"; done)

peak() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
cpu() { awk -F: '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$1"; }
wall() { awk '/Elapsed \(wall clock\)/ {n=split($NF,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$1"; }

# SPLAT! site and ITM parameters (longitude in degrees west, heights in metres with -metric).
WLON=$(awk -v l=$LON 'BEGIN{printf "%.6f", 360-l}')
cd "$OUT"
printf 'site\n%s\n%s\n%sm\n' "$LAT" "$WLON" "$H" > site.qth
printf '15.000 ; Earth Dielectric Constant\n0.005 ; Earth Conductivity (S/m)\n301.000 ; N_0\n%s ; Frequency (MHz)\n5 ; Radio Climate (continental temperate)\n1 ; Polarization (vertical)\n0.50 ; Fraction of situations\n0.50 ; Fraction of time\n0 ; ERP (W): 0 gives path loss\n' "$F" > site.lrp

echo "== coverage, radius $R_KM km, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v splat -t site.qth -L $RX -metric -R "$R_KM" -d "$OUT/sdf" -olditm -N \
  -ano splat_itm.txt -o splat_itm.ppm > splat_itm.log 2> splat_itm.time
/usr/bin/time -v splat -t site.qth -L $RX -metric -R "$R_KM" -d "$OUT/sdf" -N \
  -ano splat_itwom.txt -o splat_itwom.ppm > splat_itwom.log 2> splat_itwom.time
# auyl reads the same four SRTM3 tiles SPLAT! converted (the unpacked .hgt; voids filled along
# each radial), then the demo folder as it ships (gzip tiles, and the national 30″ grid that fills
# the SRTM voids, decoded whole: 8.8 MB of gzip).
cov() { local out=$1; shift
  /usr/bin/time -v "$AUYL" radio coverage --site $LON,$LAT --height-m $H --freq-mhz $F \
    --radius-km "$R_KM" --rx-height-m $RX --eirp-dbm 0 --no-settlements --json \
    -o "$out.tif" --png "$out.png" "$@" > "$out.report.json" 2> "$out.time"; }
cov auyl_cov --dem "$OUT/hgt"
cov auyl_cov_demo
cov auyl_cov_exact --dem "$OUT/hgt" --exact-roughness
SP_ITM=$(wall splat_itm.time); SP_ITWOM=$(wall splat_itwom.time); AU=$(wall auyl_cov.time)
AU_D=$(wall auyl_cov_demo.time); AU_X=$(wall auyl_cov_exact.time)
N_SPLAT=$(grep -c '^[0-9]' splat_itm.txt || true)
N_AUYL=$(python3 -c "import json;d=json.load(open('auyl_cov.report.json'));print(d['itm_evaluations'], d['grid']['width']*d['grid']['height'], round(d['seconds'],2))")
echo "SPLAT! -olditm (ITM):  ${SP_ITM} s wall, $(cpu splat_itm.time) s CPU, peak $(peak splat_itm.time) MiB, $N_SPLAT points"
echo "SPLAT! ITWOM:          ${SP_ITWOM} s wall, $(cpu splat_itwom.time) s CPU, peak $(peak splat_itwom.time) MiB"
echo "auyl radio coverage, same .hgt tiles: ${AU} s wall, $(cpu auyl_cov.time) s CPU (process, incl. DEM load + GeoTIFF/PNG), peak $(peak auyl_cov.time) MiB; ITM evaluations, grid pixels, in-process s: $N_AUYL"
echo "auyl, demo folder (.gz + national grid): ${AU_D} s wall, $(cpu auyl_cov_demo.time) s CPU, peak $(peak auyl_cov_demo.time) MiB"
echo "auyl --exact-roughness, same tiles: ${AU_X} s wall, $(cpu auyl_cov_exact.time) s CPU, peak $(peak auyl_cov_exact.time) MiB"
awk -v a="$SP_ITM" -v b="$AU" -v c="$SP_ITWOM" -v ca="$(cpu splat_itm.time)" -v cb="$(cpu auyl_cov.time)" \
  -v d="$AU_D" -v x="$AU_X" -v cx="$(cpu auyl_cov_exact.time)" \
  'BEGIN{printf "ratio SPLAT!(ITM)/auyl = %.1fx wall, %.1fx CPU (same tiles); %.1fx wall (demo folder); SPLAT!(ITWOM)/auyl = %.1fx wall; SPLAT!(ITM)/auyl --exact-roughness = %.1fx wall, %.1fx CPU\n", a/b, ca/cb, a/d, c/b, a/x, ca/cx}'

# Loss agreement: every SPLAT! ITM point against the auyl pixel containing it.
gdal_translate -q -of AAIGrid auyl_cov.tif auyl_cov.asc
gdal_translate -q -of AAIGrid auyl_cov_exact.tif auyl_cov_exact.asc
echo "-- auyl (default: Δh interpolated along the radials) vs SPLAT!"
python3 "$ROOT/bench/coverage/compare.py" auyl_cov.asc splat_itm.txt splat_itwom.txt $LON $LAT
echo "-- auyl --exact-roughness (each pixel's own Δh) vs SPLAT!"
python3 "$ROOT/bench/coverage/compare.py" auyl_cov_exact.asc splat_itm.txt splat_itwom.txt $LON $LAT
python3 "$ROOT/bench/coverage/compare_roughness.py" auyl_cov.asc auyl_cov_exact.asc

echo "== line-of-sight viewshed, radius $R_KM km"
gdalbuildvrt -q dem.vrt hgt/*.hgt
# gdal_viewshed needs a projected grid (metres); UTM 43N at 90 m, bilinear.
gdalwarp -q -overwrite -t_srs EPSG:32643 -tr 90 90 -r bilinear dem.vrt dem_utm.tif
read OX OY < <(echo "$LON $LAT" | gdaltransform -s_srs EPSG:4326 -t_srs EPSG:32643 | awk '{print $1, $2}')
# -cc 0.75: curvature coefficient 1 - 1/k for k = 4/3, the same as auyl's LoS.
/usr/bin/time -v gdal_viewshed -q -ox "$OX" -oy "$OY" -oz $H -tz $RX -md $((R_KM*1000)) -cc 0.75 \
  -vv 1 -iv 0 -ov 0 dem_utm.tif gdal_vs.tif 2> gdal_vs.time
/usr/bin/time -v "$AUYL" radio viewshed --site $LON,$LAT --height-m $H --target-height-m $RX \
  --radius-km "$R_KM" --json -o auyl_vs.tif > auyl_vs.json 2> auyl_vs.time
# The same on the unpacked .hgt tiles alone (what gdal reads, uncompressed; auyl reads the four
# whole tiles the disc touches, gdal only its prepared crop).
/usr/bin/time -v "$AUYL" radio viewshed --dem "$OUT/hgt" --site $LON,$LAT --height-m $H \
  --target-height-m $RX --radius-km "$R_KM" --json -o auyl_vs_hgt.tif > auyl_vs_hgt.json \
  2> auyl_vs_hgt.time
/usr/bin/time -v "$AUYL" radio viewshed --site $LON,$LAT --height-m $H --target-height-m $RX \
  --radius-km "$R_KM" --resolution-m 90 --json -o auyl_vs90.tif > auyl_vs90.json 2> auyl_vs90.time
GV_KM2=$(gdalinfo -stats gdal_vs.tif | awk -F= '/STATISTICS_MEAN/ {m=$2} /Size is/ {split($0,a,/[ ,]+/); w=a[3]; h=a[4]} END{printf "%.1f", m*w*h*0.0081}')
# Same grid: gdal_viewshed on auyl's own native grid (the SRTM3 posts cropped to auyl's raster,
# no resampling), relabelled to an equirectangular projection centred on the site so that
# gdal_viewshed gets metric (67 x 93 m) pixels; compared pixel by pixel.
read W N E S XW XE YN YS OY < <(gdalinfo auyl_vs.tif | python3 -c "
import math, re, sys
t = sys.stdin.read()
W, N = map(float, re.search(r'Origin = \(([-0-9.e]+),([-0-9.e]+)\)', t).groups())
w, h = map(int, re.search(r'Size is (\d+), (\d+)', t).groups())
dx = float(re.search(r'Pixel Size = \(([-0-9.e]+),', t).group(1))
E, S, R = W + w * dx, N - h * dx, 6371008.8
k = R * math.cos(math.radians($LAT))
print(W, N, E, S, k * math.radians(W - $LON), k * math.radians(E - $LON), R * math.radians(N), R * math.radians(S), R * math.radians($LAT))")
gdal_translate -q -projwin "$W" "$N" "$E" "$S" dem.vrt dem_auyl_grid.tif
gdal_translate -q -a_srs "+proj=eqc +lat_ts=$LAT +lon_0=$LON +R=6371008.8 +units=m +no_defs" \
  -a_ullr "$XW" "$YN" "$XE" "$YS" dem_auyl_grid.tif dem_eqc.tif
/usr/bin/time -v gdal_viewshed -q -ox 0 -oy "$OY" -oz $H -tz $RX -md $((R_KM*1000)) -cc 0.75 \
  -vv 1 -iv 0 -ov 0 dem_eqc.tif gdal_vs_same.tif 2> gdal_vs_same.time
read COFF ROFF < <(gdalinfo gdal_vs_same.tif | python3 -c "
import re, sys
t = sys.stdin.read()
x, y = map(float, re.search(r'Origin = \(([-0-9.e]+),([-0-9.e]+)\)', t).groups())
px, py = map(float, re.search(r'Pixel Size = \(([-0-9.e]+),([-0-9.e]+)\)', t).groups())
print(round((x - $XW) / px), round((y - $YN) / py))")
gdal_translate -q -of AAIGrid auyl_vs.tif auyl_vs.asc
gdal_translate -q -of AAIGrid gdal_vs_same.tif gdal_vs_same.asc 2>/dev/null
echo "gdal_viewshed on auyl's grid: $(wall gdal_vs_same.time) s wall, $(cpu gdal_vs_same.time) s CPU, peak $(peak gdal_vs_same.time) MiB (reads the prepared uncompressed GeoTIFF crop, writes a GeoTIFF)"
echo "auyl viewshed, demo DEM (.gz tiles + national 30″ grid): $(wall auyl_vs.time) s wall, $(cpu auyl_vs.time) s CPU, peak $(peak auyl_vs.time) MiB (reads and decodes the tiles, writes a GeoTIFF)"
echo "auyl viewshed, unpacked .hgt tiles: $(wall auyl_vs_hgt.time) s wall, $(cpu auyl_vs_hgt.time) s CPU, peak $(peak auyl_vs_hgt.time) MiB; in-process viewshed call $(python3 -c "import json;print(round(json.load(open('auyl_vs_hgt.json'))['seconds'],3))") s wall"
cmp <(gdal_translate -q -of AAIGrid auyl_vs_hgt.tif /vsistdout/) auyl_vs.asc >/dev/null \
  && echo "auyl viewshed identical from either DEM folder" \
  || echo "auyl viewshed differs between DEM folders (expected: the demo folder fills SRTM voids from the 30″ grid, bare tiles linearly)"
python3 "$ROOT/bench/coverage/compare_viewshed.py" auyl_vs.asc gdal_vs_same.asc "$COFF" "$ROFF" $LON $LAT $((R_KM*1000))

python3 - "$GV_KM2" "$(wall gdal_vs.time)" "$(wall auyl_vs.time)" "$(wall auyl_vs90.time)" <<'PY'
import json, sys
gv, tg, ta, ta90 = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
for name, f, t in (("native 3″", "auyl_vs.json", ta), ("90 m", "auyl_vs90.json", ta90)):
    d = json.load(open(f))
    va = d["visible_area_km2"]
    print(f"auyl viewshed {name}: {t:.2f} s wall, visible {va:.1f} km² of {d['evaluated_area_km2']:.1f}; "
          f"gdal_viewshed (UTM 90 m): {tg:.2f} s, visible {gv:.1f} km²; area ratio auyl/gdal {va/gv:.4f} "
          f"({100*(va/gv-1):+.2f} %); speed gdal/auyl {tg/t:.2f}x")
PY
