"""Times the Python `itmlogic` package (PyPI, ITM 1.2.2 port) on the same point-to-point cases
as `crates/auyl-radio/benches/itm.rs`: 30 m / 10 m antennas, climate 5, N_0 301, 900-907 MHz,
vertical polarisation, eps 15, sigma 0.005, mdvar 1, 50/50/50 %.

A call = the full point-to-point prediction (refractivity from the mean path height, ground
impedance, qlrpfl: horizons, delta h, effective heights and lrprop, then avar and free-space
loss), as one ITM_P2P_TLS call. Rates are calls per second of process CPU time.

Usage: python itmlogic_bench.py PROFILES.jsonl [seconds_per_profile]
Prints: itmlogic-rate <profile_id> <n_points> <calls/s> <A_db of the 900 MHz case>
"""
import json
import math
import sys
import time

from itmlogic.misc.qerfi import qerfi
from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
from itmlogic.statistics.avar import avar

PROFILES = [
    "kz_bench_200pts_59km",
    "kz_almaty_cholponata_68km",
    "kz_ili_to_issykkul_217km",
    "dem_rand09_long",
]


def p2p(elevations, resolution_m, f_mhz):
    np_ = len(elevations) - 1
    pfl = [np_, resolution_m] + list(elevations)
    prop = {
        "eps": 15.0,
        "sgm": 0.005,
        "ipol": 1,
        "fmhz": f_mhz,
        "hg": [30.0, 10.0],
        "klim": 5,
        "ens0": 301.0,
        "lvar": 5,
        "gma": 157e-9,
        "pfl": pfl,
        "kwx": 0,
        "klimx": 0,
        "mdvarx": 1,
    }
    prop["wn"] = f_mhz / 47.7
    # Mean height of the middle 80 % of the profile, as NTIA ITM.
    p10 = int(0.1 * np_)
    zsys = sum(elevations[p10 : np_ - p10 + 1]) / (np_ - 2 * p10 + 1)
    prop["ens"] = prop["ens0"] * math.exp(-zsys / 9460.0)
    prop["gme"] = prop["gma"] * (1 - 0.04665 * math.exp(prop["ens"] / 179.3))
    zq = complex(prop["eps"], 376.62 * prop["sgm"] / prop["wn"])
    zgnd = (zq - 1) ** 0.5
    prop["zgnd"] = zgnd / zq if prop["ipol"] != 0 else zgnd
    prop = qlrpfl(prop)
    fs = 8.685890 * math.log(2 * prop["wn"] * prop["dist"])
    z50 = qerfi([50])[0]
    a_var, prop = avar(z50, z50, z50, prop)
    return fs + a_var


def main():
    path = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    profiles = {}
    with open(path) as fh:
        for line in fh:
            if line.strip():
                p = json.loads(line)
                profiles[p["profile_id"]] = p
    for pid in PROFILES:
        p = profiles[pid]
        z, res = p["elevations_m"], p["resolution_m"]
        a_db = p2p(z, res, 900.0)
        calls = 0
        start = time.process_time()
        while True:
            for k in range(8):
                p2p(z, res, 900.0 + k)
            calls += 8
            spent = time.process_time() - start
            if spent >= seconds:
                break
        print(f"itmlogic-rate {pid} {len(z)} {calls / spent:.1f} {a_db:.4f}", flush=True)


if __name__ == "__main__":
    main()
