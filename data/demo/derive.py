#!/usr/bin/env python3
"""Derives auyl's compact Kazakhstan demo dataset from ../shared/data (stdlib only, deterministic).

Run from the repository root:  python3 data/demo/derive.py [path/to/shared/data]
Every output column is documented in data/demo/README.md; nothing is invented except where
README.md says so (the organisations list).
"""
import csv, json, os, sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
OUT = os.path.dirname(os.path.abspath(__file__))


def kind_of(row):
    place = row["osm_place"]
    if place:
        return place
    # GeoNames-only rows: capital/admin seats are cities, second-order seats towns.
    return {"PPLC": "city", "PPLA": "city", "PPLA2": "town"}.get(row["geonames_fcode"], "unknown")


def settlements():
    with open(os.path.join(SRC, "settlements_kz.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    cols = ["id", "name", "name_kk", "name_ru", "name_en", "lon", "lat", "kind", "population",
            "population_source", "region_code", "district_code"]
    with open(os.path.join(OUT, "settlements.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([r["id"], r["name"], r["name_kk"], r["name_ru"], r["name_en"] or r["name_latin"],
                        r["lon"], r["lat"], kind_of(r), r["population"], r["population_source"],
                        r["admin1_kato"], r["admin2_kato"]])
    return len(rows)


def areas():
    with open(os.path.join(SRC, "kz_regions.geojson"), encoding="utf-8") as f:
        reg = json.load(f)
    with open(os.path.join(SRC, "kz_districts.geojson"), encoding="utf-8") as f:
        dis = json.load(f)
    pcode_to_kato = {ft["properties"]["adm1_pcode"]: ft["properties"]["kato"] for ft in reg["features"]}
    def write(name, fc, parent):
        feats = []
        for ft in fc["features"]:
            p = ft["properties"]
            props = {"code": p["kato"], "name_en": p["name_en"], "name_kk": p["name_kk"], "name_ru": p["name_ru"],
                     "alt_code": p.get("adm2_pcode") or p.get("adm1_pcode")}
            if parent:
                props["parent_code"] = pcode_to_kato[p["adm1_pcode"]]
            feats.append({"type": "Feature", "properties": props, "geometry": ft["geometry"]})
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            json.dump({"type": "FeatureCollection", "features": feats}, f, ensure_ascii=False, separators=(",", ":"))
        return len(feats)
    return write("regions.geojson", reg, False), write("districts.geojson", dis, True), reg


def roads():
    with open(os.path.join(SRC, "kz_roads_republican_graph.geojson"), encoding="utf-8") as f:
        fc = json.load(f)
    feats = []
    for ft in fc["features"]:
        p = ft["properties"]
        props = {"id": "kaz_graph:%d" % p["edge_id"], "ref": None if p["synthetic"] else p["ref"],
                 "name": p.get("name_ru"), "class": "connector" if p["synthetic"] else p["road_class"]}
        feats.append({"type": "Feature", "properties": props, "geometry": ft["geometry"]})
    with open(os.path.join(OUT, "roads.geojson"), "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": feats}, f, ensure_ascii=False, separators=(",", ":"))
    return len(feats)


def power():
    with open(os.path.join(SRC, "kz_power_plants.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(OUT, "power.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "kind", "fuel", "capacity_mw", "lon", "lat"])
        for r in rows:
            w.writerow([r["id"], r["name"], "plant", r["fueltype"], r["capacity_mw"], r["lon"], r["lat"]])
    return len(rows)


def organisations(reg):
    rows = [["ministry", "ministry", "Ministry of Digital Development, Innovations and Aerospace Industry",
             "Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
             "Министерство цифрового развития, инноваций и аэрокосмической промышленности", ""]]
    for op, en in [("kazakhtelecom", "Kazakhtelecom"), ("transtelecom", "Transtelecom"),
                   ("kcell", "Kcell"), ("beeline_kz", "Beeline Kazakhstan"), ("tele2_altel", "Tele2/Altel")]:
        rows.append([op, "operator", en, en, en, ""])
    for ft in sorted(reg["features"], key=lambda ft: ft["properties"]["kato"]):
        p = ft["properties"]
        rows.append(["akimat:" + p["kato"], "akimat", "Akimat of " + p["name_en"], p["name_kk"] + " әкімдігі",
                     "Акимат " + p["name_ru"], p["kato"]])
    with open(os.path.join(OUT, "organisations.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "kind", "name_en", "name_kk", "name_ru", "region_code"])
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    n_s = settlements()
    n_r, n_d, reg = areas()
    print("settlements", n_s, "regions", n_r, "districts", n_d, "roads", roads(), "power", power(),
          "organisations", organisations(reg))
