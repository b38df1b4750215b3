#!/usr/bin/env python3
"""Same-grid viewshed comparison: auyl's native-grid viewshed against gdal_viewshed run on the
same DEM posts (the lon/lat mosaic relabelled to an equirectangular projection, no resampling),
pixel by pixel over the disc both evaluate.

Usage: compare_viewshed.py AUYL.asc GDAL.asc COL_OFF ROW_OFF LON LAT RADIUS_M
(gdal pixel (c, r) is auyl pixel (c + COL_OFF, r + ROW_OFF); both AAIGrid, 1 visible, 0 hidden).
Pure Python (no numpy): ~1.6 M pixels in a few seconds."""
import math
import sys


def read_asc(path):
    head, rows = {}, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0][0].isalpha():
                head[parts[0].lower()] = float(parts[1])
            elif parts:
                rows.append([int(float(v)) for v in parts])
    return head, rows


a_head, a = read_asc(sys.argv[1])
_, g = read_asc(sys.argv[2])
col_off, row_off = int(sys.argv[3]), int(sys.argv[4])
lon0, lat0, radius_m = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
R_KM = 6371.0088
cell = a_head["cellsize"]
west, south = a_head["xllcorner"], a_head["yllcorner"]
n_rows = len(a)
north = south + n_rows * cell
# Only pixels well inside both radii (gdal measures its 50 km in the projected plane, whose
# scale differs from the sphere by < 0.6 % at the disc's edge).
inner_m = 0.99 * radius_m

area = {"auyl": 0.0, "gdal": 0.0, "both": 0.0, "disc": 0.0}
n = {"auyl_only": 0, "gdal_only": 0, "agree": 0, "total": 0}
for r, row in enumerate(g):
    ar = r + row_off
    if not 0 <= ar < n_rows:
        continue
    lat = north - (ar + 0.5) * cell
    px_km2 = (math.radians(cell) * R_KM) ** 2 * math.cos(math.radians(lat))
    dlat = math.radians(lat - lat0)
    for c, gv in enumerate(row):
        ac = c + col_off
        if not 0 <= ac < len(a[ar]):
            continue
        av = a[ar][ac]
        if av == 255:
            continue
        lon = west + (ac + 0.5) * cell
        dlon = math.radians(lon - lon0)
        h = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat0)) * math.cos(math.radians(lat)) * math.sin(dlon / 2) ** 2
        d_m = 2 * R_KM * 1000 * math.asin(math.sqrt(h))
        if d_m > inner_m:
            continue
        n["total"] += 1
        area["disc"] += px_km2
        if av == 1:
            area["auyl"] += px_km2
        if gv == 1:
            area["gdal"] += px_km2
        if av == gv:
            n["agree"] += 1
        elif av == 1:
            n["auyl_only"] += 1
        else:
            n["gdal_only"] += 1

print(f"same grid ({n['total']} pixels, disc of {inner_m / 1000:.1f} km = {area['disc']:.1f} km²): "
      f"auyl visible {area['auyl']:.1f} km², gdal_viewshed {area['gdal']:.1f} km², "
      f"auyl/gdal {area['auyl'] / area['gdal']:.4f} ({100 * (area['auyl'] / area['gdal'] - 1):+.2f} %); "
      f"pixels agreeing {100 * n['agree'] / n['total']:.2f} %, visible only in auyl "
      f"{n['auyl_only']}, only in gdal {n['gdal_only']}")
