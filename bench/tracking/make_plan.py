#!/usr/bin/env python3
"""Writes a synthetic auyl_model::Plan JSON: N settlements, each an LTE village with its own new
mast (land, power, mast, fibre backhaul, equipment, commissioning, acceptance = 7 works), spread
over the 20 real region codes and the 5 demo operators; operator `kcell` gets exactly
OPERATOR_ROWS / 5 settlements so its workbook has OPERATOR_ROWS rows."""
import json, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
operator_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
regions = ["100000000", "110000000", "150000000", "190000000", "230000000", "270000000", "310000000",
           "330000000", "350000000", "390000000", "430000000", "470000000", "550000000", "590000000",
           "610000000", "620000000", "630000000", "710000000", "750000000", "790000000"]
others = ["kazakhtelecom", "transtelecom", "beeline_kz", "tele2_altel"]
kcell = operator_rows // 5
settlements, sites, routes = [], [], []
for i in range(n):
    region = regions[i % len(regions)]
    op = "kcell" if i < kcell else others[i % len(others)]
    sid, site, route = f"bench:s{i}", f"bench:site{i}", f"bench:route{i}"
    settlements.append(dict(settlement_id=sid, technology="lte", people=100 + (i * 37) % 2400,
        demand_mbps=10.0, capacity_mbps=150.0, site_id=site, route_id=route, hop_ids=[],
        operator_id=op, akimat_id=f"akimat:{region}", needs_land=True, needs_power=True,
        year=2026, capex_usd=150000.0, opex_usd_per_year=9000.0, reason="bench", assumptions=[]))
    sites.append(dict(id=site, location=dict(lon_deg=70.0 + i % 100 * 0.1, lat_deg=45.0 + i // 100 * 0.05),
        height_m=40.0, ground_m=500.0, status="new", technology="lte",
        power=dict(kind="grid", extension_m=800.0, battery_h=4.0), backhaul=dict(kind="fibre", route_id=route),
        serves=[sid], operator_id=op, capex_usd=120000.0, opex_usd_per_year=8000.0, year=2026))
    routes.append(dict(id=route, from_node_id="pop", geometry=[dict(x=70.0, y=45.0), dict(x=70.1, y=45.1)],
        length_m_by_class={"trench_unpaved": 1000.0 + (i % 30) * 500.0}, approximated_m=0.0, serves=[sid],
        operator_id=op, capex_usd=50000.0, year=2026))
plan = dict(scenario="bench", mode="min_cost", base_year=2026, settlements=settlements, unserved=[],
    sites=sites, routes=routes, hops=[],
    totals=dict(settlements_by_technology={}, people_by_technology={}, capex_usd_by_technology={},
        people_by_year={}, capex_usd_by_year={}, capex_usd=0.0, npc_usd=0.0, fibre_m=0.0, new_masts=n,
        microwave_hops=0, gap=None, greedy_npc_usd=None, solve_s=None, method="synthetic bench plan"),
    assumptions=["synthetic benchmark plan"])
json.dump(plan, sys.stdout)
