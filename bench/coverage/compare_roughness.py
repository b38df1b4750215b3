#!/usr/bin/env python3
"""Pixel-by-pixel difference between two auyl coverage rasters of the same request (AAIGrid of
received power): the default, whose Δh is interpolated along the radials, and
--exact-roughness, where every pixel has its own path's Δh. Prints percentiles of |difference|."""
import sys


def read(path):
    with open(path) as f:
        header, vals = {}, []
        for line in f:
            parts = line.split()
            if parts and parts[0][0].isalpha():
                header[parts[0].lower()] = float(parts[1])
            else:
                vals.extend(float(v) for v in parts)
    return header.get("nodata_value", -9999.0), vals


nodata_a, a = read(sys.argv[1])
nodata_b, b = read(sys.argv[2])
assert len(a) == len(b), "the rasters differ in size"
d = sorted(abs(x - y) for x, y in zip(a, b) if x != nodata_a and y != nodata_b)
only = sum((x == nodata_a) != (y == nodata_b) for x, y in zip(a, b))
n = len(d)


def pct(q):
    return d[min(n - 1, int(q / 100 * (n - 1)))]


print(f"interpolated vs exact Δh: {n} pixels (value in only one: {only}); |difference| "
      + ", ".join(f"P{q} {pct(q):.3f} dB" for q in (50, 90, 99, 99.9, 100))
      + f"; within 0.1 dB {100 * sum(x <= 0.1 for x in d) / n:.2f} %, "
      + f"within 0.5 dB {100 * sum(x <= 0.5 for x in d) / n:.2f} %")
