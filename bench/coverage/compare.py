#!/usr/bin/env python3
"""Loss agreement between auyl's coverage raster (AAIGrid of received power at EIRP 0 dBm, so
loss = -value) and SPLAT!'s alphanumeric output (-ano: lat, lon west, azimuth, elevation, loss).
Each SPLAT! point is compared with the auyl pixel that contains it. Both models run the same
ITM on terrain profiles from the same SRTM3 posts, but SPLAT! reads nearest posts along its own
path to each map-edge pixel while auyl reads bilinear heights along its radials: the profiles
are the same where the terrain between posts is smooth. The line-of-sight subset (points SPLAT!
does not mark obstructed) is where small profile differences matter least, i.e. where both see
the same profile; beyond obstructions, diffraction over a ridge sampled at slightly different
positions (nearest post vs bilinear, SPLAT!'s path to the map edge vs auyl's radial) moves the
loss by several dB either way."""
import math, statistics, sys

asc, splat_itm, splat_itwom, lon0, lat0 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
hdr = {}
with open(asc) as f:
    for _ in range(7):
        pos = f.tell(); line = f.readline(); k = line.split()[0].lower()
        if k in ("ncols", "nrows", "xllcorner", "yllcorner", "cellsize", "dx", "dy", "nodata_value"):
            hdr[k] = float(line.split()[1])
        else:
            f.seek(pos); break
    vals = f.read().split()
nc, nr = int(hdr["ncols"]), int(hdr["nrows"])
dx = hdr.get("dx", hdr.get("cellsize")); dy = hdr.get("dy", hdr.get("cellsize"))
west, north = hdr["xllcorner"], hdr["yllcorner"] + nr * dy
nodata = hdr.get("nodata_value", -9999.0)

def fsl(d_m, f=900.0):
    return 32.45 + 20 * math.log10(f) + 20 * math.log10(max(d_m, 1.0) / 1000.0)

def dist(lat, lon):
    p1, p2 = math.radians(lat0), math.radians(lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon - lon0) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))

def compare(path, name):
    diffs, los, near_fs = [], [], []
    n = 0
    for line in open(path):
        parts = [p.strip() for p in line.split(";")[0].split(",")]
        if len(parts) < 5:
            continue
        try:
            lat, lonw, loss = float(parts[0]), float(parts[1]), float(parts[4].rstrip("* "))
        except ValueError:
            continue
        n += 1
        lon = 360.0 - lonw
        c, r = int((lon - west) / dx), int((north - lat) / dy)
        if not (0 <= c < nc and 0 <= r < nr):
            continue
        v = float(vals[r * nc + c])
        if v == nodata or v != v:
            continue
        d = -v - loss
        diffs.append(d)
        if "*" not in line:  # SPLAT! marks obstructed paths with '*'
            los.append(d)
            if abs(loss - fsl(dist(lat, lon))) < 3.0:
                near_fs.append(d)
    def stats(x):
        if not x:
            return "none"
        a = sorted(abs(v) for v in x)
        return (f"n={len(x)}, median(auyl-splat)={statistics.median(x):+.2f} dB, mean |d|={statistics.fmean(a):.2f} dB, "
                f"P50 |d|={a[len(a)//2]:.2f}, P90 |d|={a[int(0.9*len(a))]:.2f} dB, within 1 dB {100*sum(v<=1 for v in a)/len(a):.1f} %, "
                f"within 3 dB {100*sum(v<=3 for v in a)/len(a):.1f} %")
    print(f"{name}: {n} points; all compared: {stats(diffs)}")
    print(f"{name}: line-of-sight subset (no '*' in SPLAT!'s output): {stats(los)}")
    print(f"{name}: clear line of sight (no '*', SPLAT! loss within 3 dB of free space): {stats(near_fs)}")

compare(splat_itm, "vs SPLAT! ITM")
compare(splat_itwom, "vs SPLAT! ITWOM")
