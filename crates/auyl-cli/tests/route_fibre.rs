//! `auyl route fibre` end to end on SQLite and PostgreSQL: the demo's real roads and settlements,
//! fibre nodes placed at the towns of one district, routes written as GeoJSON and GeoPackage
//! (opened by GDAL), stored and reloaded; bad selectors; and `auyl import roads FILE.osm.pbf`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

mod common;
use auyl_model::LonLat;
use auyl_store::{RunId, Store};
use auyl_testkit::{TestDb, both_backends, sqlite_db};
use common::{demo_file, failing, ok_json};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// A district of Almaty region (45 settlements, two towns) that the trunk road network crosses.
const DISTRICT: &str = "195200000";

/// The demo settlements of the district: (id, kind, position).
fn district_settlements() -> Vec<(String, String, LonLat)> {
    let mut rdr = csv::Reader::from_path(demo_file("settlements.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, kind, district, lon, lat) = (
        col("id"),
        col("kind"),
        col("district_code"),
        col("lon"),
        col("lat"),
    );
    rdr.records()
        .map(|r| r.unwrap())
        .filter(|r| &r[district] == DISTRICT)
        .map(|r| {
            let p = LonLat::new(r[lon].parse().unwrap(), r[lat].parse().unwrap()).unwrap();
            (r[id].to_string(), r[kind].to_string(), p)
        })
        .collect()
}

/// Writes backbone nodes (assumed points of presence) at the district's towns, and one isolated
/// settlement in the Betpak-Dala desert, 200 km from the nearest trunk road.
fn write_fixtures(dir: &Path) -> (String, String, Vec<String>) {
    let mut rdr = csv::Reader::from_path(demo_file("settlements.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, name, lon, lat, kind, district) = (
        col("id"),
        col("name"),
        col("lon"),
        col("lat"),
        col("kind"),
        col("district_code"),
    );
    let mut nodes = String::from("id,name,kind,lon,lat,assumed\n");
    let mut towns = Vec::new();
    for r in rdr.records().map(|r| r.unwrap()) {
        if &r[district] == DISTRICT && matches!(&r[kind], "town" | "city") {
            nodes.push_str(&format!(
                "pop:{},{},pop,{},{},true\n",
                &r[id], &r[name], &r[lon], &r[lat]
            ));
            towns.push(r[id].to_string());
        }
    }
    assert!(towns.len() >= 2, "the district should have two towns");
    let nodes_csv = dir.join("nodes.csv");
    std::fs::write(&nodes_csv, nodes).unwrap();
    let isolated_csv = dir.join("isolated.csv");
    std::fs::write(
        &isolated_csv,
        "id,name,lon,lat,kind\ntest:isolated,Desert camp,70.0,46.0,isolated_dwelling\n",
    )
    .unwrap();
    (
        nodes_csv.display().to_string(),
        isolated_csv.display().to_string(),
        towns,
    )
}

fn load_demo(db: &TestDb, nodes_csv: &str) {
    ok_json(
        db,
        &["import", "settlements", &demo_file("settlements.csv")],
    );
    ok_json(db, &["import", "roads", &demo_file("roads.geojson")]);
    ok_json(db, &["import", "backbone_nodes", nodes_csv]);
}

fn strings(v: &Value) -> Vec<String> {
    let text = v.as_str().unwrap();
    serde_json::from_str::<Vec<String>>(text).unwrap()
}

#[tokio::test]
async fn routes_serve_each_settlement_once_add_up_and_reload_from_the_store() {
    let district = district_settlements();
    for db in both_backends().await {
        let tmp = tempfile::tempdir().unwrap();
        let (nodes_csv, _, towns) = write_fixtures(tmp.path());
        load_demo(&db, &nodes_csv);
        let gj = tmp.path().join("routes.geojson");
        let sel = format!("district={DISTRICT}");
        let t = ok_json(
            &db,
            &[
                "route",
                "fibre",
                "--from-nodes",
                "all",
                "--to-settlements",
                &sel,
                "-o",
                gj.to_str().unwrap(),
                "--time-limit-s",
                "20",
            ],
        );
        let b = db.backend;
        assert_eq!(t["settlements_selected"], district.len(), "{b}: {t}");
        assert_eq!(t["fibre_nodes"], towns.len(), "{b}");
        assert_eq!(t["unreachable"], serde_json::json!([]), "{b}: {t}");
        assert_eq!(t["time_limit_hit"], false, "{b}: {t}");
        let cost = t["cost_usd"].as_f64().unwrap();
        let lb = t["lower_bound_usd"].as_f64().unwrap();
        assert!(lb > 0.0 && lb <= cost + 1e-6, "{b}: {t}");
        assert!(
            t["length_km"]["trench_paved"].as_f64().unwrap() > 0.0,
            "{b}: {t}"
        );

        // The file: one feature per branch; every settlement in exactly one branch; lengths and
        // costs add up; the drawn line is the routed one (approximation links are drawn
        // straight, their length is the straight line times the detour factor 1.3).
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&gj).unwrap()).unwrap();
        let features = v["features"].as_array().unwrap();
        assert_eq!(
            features.len() as u64,
            t["branches"].as_u64().unwrap(),
            "{b}"
        );
        let mut served: BTreeMap<String, usize> = BTreeMap::new();
        let (mut sum_len, mut sum_cost, mut sum_approx) = (0.0, 0.0, 0.0);
        for f in features {
            let p = &f["properties"];
            for s in strings(&p["settlement_ids"]) {
                *served.entry(s).or_default() += 1;
            }
            assert_eq!(
                strings(&p["settlement_names"]).len(),
                p["settlement_count"].as_u64().unwrap() as usize
            );
            assert!(
                towns.iter().any(|t| p["node_id"] == format!("pop:{t}")),
                "{p}"
            );
            let parts: f64 = [
                "length_trench_paved_m",
                "length_trench_unpaved_m",
                "length_aerial_m",
                "approximated_m",
            ]
            .iter()
            .map(|k| p[*k].as_f64().unwrap())
            .sum();
            let len = p["length_m"].as_f64().unwrap();
            assert!((parts - len).abs() < 1e-6 * len.max(1.0), "{p}");
            let approx = p["approximated_m"].as_f64().unwrap();
            assert_eq!(p["approximated"], approx > 0.0);
            assert_eq!(f["geometry"]["type"], "MultiLineString");
            let drawn: f64 = f["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|line| {
                    let pts: Vec<LonLat> = line
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| {
                            LonLat::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap()).unwrap()
                        })
                        .collect();
                    pts.windows(2)
                        .map(|w| w[0].haversine_distance_m(w[1]))
                        .sum::<f64>()
                })
                .sum();
            // Routes are measured on the ellipsoid, this on the sphere: within 0.6 %.
            let expect = len - approx + approx / 1.3;
            assert!(
                (drawn - expect).abs() < 6e-3 * expect.max(1.0),
                "{b}: drawn {drawn} m, routed {expect} m"
            );
            sum_len += len;
            sum_cost += p["cost_usd"].as_f64().unwrap();
            sum_approx += approx;
        }
        let want: BTreeSet<String> = district.iter().map(|(id, _, _)| id.clone()).collect();
        assert_eq!(served.keys().cloned().collect::<BTreeSet<_>>(), want, "{b}");
        assert!(served.values().all(|&n| n == 1), "{b}: {served:?}");
        let total_km = t["length_km"]["total"].as_f64().unwrap();
        assert!((sum_len / 1000.0 - total_km).abs() < 1e-6 * total_km, "{b}");
        assert!((sum_cost - cost).abs() < 1e-6 * cost, "{b}");
        assert!(
            (sum_approx / 1000.0 - t["approximated_km"].as_f64().unwrap()).abs() < 1e-6,
            "{b}"
        );

        // Stored: the latest run reloads with the same branches the file holds.
        let store = Store::open(&db.url).await.unwrap();
        let run = RunId(t["run_id"].as_i64().unwrap());
        assert_eq!(store.latest_fibre_route_run().await.unwrap(), Some(run));
        let stored = store.load_fibre_routes(run).await.unwrap().unwrap();
        assert_eq!(stored.branches.len(), features.len(), "{b}");
        for (row, f) in stored.branches.iter().zip(features) {
            let p = &f["properties"];
            assert_eq!(row.branch_id, p["branch_id"].as_i64().unwrap());
            assert_eq!(row.node_id, p["node_id"].as_str().unwrap());
            assert_eq!(row.settlement_ids, strings(&p["settlement_ids"]));
            assert_eq!(row.node_ids, strings(&p["node_ids"]));
            assert_eq!(row.cost_usd, p["cost_usd"].as_f64().unwrap());
            assert_eq!(
                row.length_approximate_m,
                p["approximated_m"].as_f64().unwrap()
            );
            assert_eq!(row.approximated, p["approximated"].as_bool().unwrap());
        }
        let totals: Value = serde_json::from_str(&stored.totals_json).unwrap();
        assert_eq!(totals["cost_usd"], t["cost_usd"]);
        let params: Value = serde_json::from_str(&stored.parameters_json).unwrap();
        assert_eq!(params["to_settlements"], serde_json::json!([sel]));
        store.close().await;

        // The same run as a GeoPackage: GDAL opens it and counts the same branches; the same
        // input gives the same forest, stored as the next run.
        let gpkg = tmp.path().join("routes.gpkg");
        let t2 = ok_json(
            &db,
            &[
                "route",
                "fibre",
                "--from-nodes",
                "all",
                "--to-settlements",
                &sel,
                "-o",
                gpkg.to_str().unwrap(),
            ],
        );
        assert_eq!(t2["run_id"].as_i64().unwrap(), run.0 + 1);
        assert_eq!(t2["cost_usd"], t["cost_usd"], "{b}");
        let info = Command::new("ogrinfo")
            .args(["-so", "-al"])
            .arg(&gpkg)
            .output()
            .expect("this test needs ogrinfo (Debian gdal-bin; scripts/test installs it)");
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(info.status.success(), "{text}");
        assert!(
            text.contains(&format!("Feature Count: {}", features.len())),
            "{text}"
        );
        for col in ["settlement_ids", "approximated_m", "cost_usd", "node_id"] {
            assert!(text.contains(col), "{col} missing:\n{text}");
        }
    }
}

#[tokio::test]
async fn unconnected_skips_places_with_a_node_and_isolated_ones_are_reported() {
    let db = sqlite_db();
    let tmp = tempfile::tempdir().unwrap();
    let (nodes_csv, isolated_csv, towns) = write_fixtures(tmp.path());
    load_demo(&db, &nodes_csv);
    ok_json(&db, &["import", "settlements", &isolated_csv]);
    let sel = format!("district={DISTRICT}");
    let t = ok_json(
        &db,
        &[
            "route",
            "fibre",
            "--from-nodes",
            "all",
            "--to-settlements",
            &sel,
            "--to-settlements",
            "unconnected",
        ],
    );
    // The towns hold the nodes: they and whatever lies within 2 km of one are connected already.
    let district = district_settlements();
    let town_at: Vec<LonLat> = district
        .iter()
        .filter(|(id, _, _)| towns.contains(id))
        .map(|(_, _, p)| *p)
        .collect();
    let unconnected = district
        .iter()
        .filter(|(_, _, p)| town_at.iter().all(|t| p.haversine_distance_m(*t) > 2_000.0))
        .count();
    assert!(unconnected <= district.len() - towns.len());
    assert_eq!(
        t["settlements_selected"].as_u64().unwrap() as usize,
        unconnected,
        "{t}"
    );
    let ids = format!("test:isolated,{}", towns[0]);
    let t = ok_json(
        &db,
        &[
            "route",
            "fibre",
            "--from-nodes",
            "all",
            "--to-settlements",
            &ids,
        ],
    );
    let u = t["unreachable"].as_array().unwrap();
    assert_eq!(u.len(), 1, "{t}");
    assert_eq!(u[0]["id"], "test:isolated");
    assert!(u[0]["reason"].as_str().unwrap().contains("isolated"), "{t}");
    assert_eq!(t["settlements_served"], 1);
}

#[tokio::test]
async fn bad_selectors_and_missing_layers_are_clear_errors() {
    let db = sqlite_db();
    let tmp = tempfile::tempdir().unwrap();
    let (nodes_csv, _, _) = write_fixtures(tmp.path());
    ok_json(
        &db,
        &["import", "settlements", &demo_file("settlements.csv")],
    );
    let e = failing(
        &db,
        &[
            "route",
            "fibre",
            "--from-nodes",
            "all",
            "--to-settlements",
            "all",
        ],
    );
    assert!(e.contains("no backbone nodes stored"), "{e}");
    ok_json(&db, &["import", "backbone_nodes", &nodes_csv]);
    for (from, to, want) in [
        ("all", "oblast=19", "unknown selector `oblast`"),
        (
            "all",
            "region=99",
            "no stored settlement has region_code `99`",
        ),
        ("all", "district=", "give at least one district code"),
        (
            "all",
            "kind=metropolis",
            "unknown settlement kind `metropolis`",
        ),
        ("all", "min-population=lots", "`lots` is not a head count"),
        (
            "all",
            "ids=nowhere",
            "no stored settlement has id `nowhere`",
        ),
        (
            "ids=pop:nope",
            "all",
            "no stored backbone node has id `pop:nope`",
        ),
        ("region=19", "all", "unknown selector `region`"),
        ("kind=core", "all", "selects no backbone node"),
    ] {
        let e = failing(
            &db,
            &[
                "route",
                "fibre",
                "--from-nodes",
                from,
                "--to-settlements",
                to,
            ],
        );
        assert!(e.contains(want), "{from} / {to}: {e}");
    }
    let e = failing(
        &db,
        &[
            "route",
            "fibre",
            "--from-nodes",
            "all",
            "--to-settlements",
            "all",
            "--time-limit-s",
            "0",
        ],
    );
    assert!(e.contains("--time-limit-s"), "{e}");
}

#[tokio::test]
async fn osm_pbf_roads_import_idempotently_on_both_backends() {
    let tmp = tempfile::tempdir().unwrap();
    let pbf = tmp.path().join("akkol_roads.osm.pbf");
    let out = Command::new("osmium")
        .arg("cat")
        .arg(auyl_testkit::fixture("osm/akkol_roads.osm"))
        .arg("-o")
        .arg(&pbf)
        .output()
        .expect("this test needs osmium (Debian osmium-tool; scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for db in both_backends().await {
        let first = ok_json(&db, &["import", "roads", pbf.to_str().unwrap()]);
        let n = first["added"].as_u64().unwrap();
        assert!(n > 0, "{first}");
        assert!(
            first["format"]
                .as_str()
                .unwrap()
                .contains("OpenStreetMap PBF")
        );
        let again = ok_json(&db, &["import", "roads", pbf.to_str().unwrap()]);
        assert_eq!(again["added"], 0, "{again}");
        assert_eq!(again["changed"], 0, "{again}");
        assert_eq!(again["unchanged"], n, "{again}");
        let csv = tmp.path().join(format!("roads_{}.csv", db.backend));
        let exported = ok_json(&db, &["export", "roads", csv.to_str().unwrap()]);
        assert_eq!(exported["records"], n);
        let text = std::fs::read_to_string(&csv).unwrap();
        assert!(text.contains("osm:w101") && text.contains("asphalt") && text.contains("R-3"));
        assert!(!text.contains("osm:w104"), "the footway is not a road");
    }
    let clipped = tmp.path().join("clipped_way.osm.pbf");
    let out = Command::new("osmium")
        .arg("cat")
        .arg(auyl_testkit::fixture("osm/clipped_way.osm"))
        .arg("-o")
        .arg(&clipped)
        .output()
        .unwrap();
    assert!(out.status.success());
    let db = sqlite_db();
    let e = failing(&db, &["import", "roads", clipped.to_str().unwrap()]);
    assert!(
        e.contains("clipped_way.osm.pbf") && e.contains("way 301") && e.contains("geometry"),
        "{e}"
    );
}
