//! The resilience API on a real store (SQLite and PostgreSQL): the tracking fixture plan (six
//! demo settlements in Abai and Akmola) over a small backbone imported for the test (a core at
//! Astana, two PoPs in Abai where the plan's fibre routes start, fibre joining them in a chain)
//! and the demo power plants. The expected figures follow from that topology:
//!
//! - Abraly (422) and Alghabas (688) hang off mast abay-1 on route abay-r1 from pop:abay-101;
//!   Aqbulaq (388, kazakhtelecom) off route abay-r2 from pop:abay-102; both PoPs reach the core
//!   only through f:ast-101 (and pop:abay-102 through f:101-102): 1,498 people behind f:ast-101;
//! - Taytobe (333) on the existing mast akm-77, fibred to the nearest backbone node, the core:
//!   the core cuts off 1,498 + 333 = 1,831;
//! - Aynabulaq (171, kazakhtelecom) on satellite (a hub sharing no ground failure);
//! - Qarabulaq (1,188) on microwave with no hops in the plan: not reached at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use auyl_io::ImportOptions;
use auyl_model::Layer;
use auyl_store::{ImportRun, Store, WriteMode};
use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const NODES: &str = "id,name,kind,lon,lat,assumed
core:astana,Astana,core,71.4460,51.1801,true
pop:abay-101,Abay 101,pop,77.2,49.2,true
pop:abay-102,Abay 102,pop,77.9,49.1,true
";

const FIBRE: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"f:ast-101","assumed":true},"geometry":{"type":"LineString","coordinates":[[71.4460,51.1801],[74.5,50.2],[77.2,49.2]]}},
{"type":"Feature","properties":{"id":"f:101-102","assumed":true},"geometry":{"type":"LineString","coordinates":[[77.2,49.2],[77.55,49.15],[77.9,49.1]]}}
]}"#;

/// A second way from pop:abay-102 to the core: closes the ring core–101–102–core.
const RING: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"f:102-ast","assumed":true},"geometry":{"type":"LineString","coordinates":[[77.9,49.1],[75.0,50.6],[71.4460,51.1801]]}}
]}"#;

const ABRALY: &str = "osm:n534085272";
const ALGHABAS: &str = "osm:n534085239";
const AQBULAQ: &str = "osm:n534085218";
const AYNABULAQ: &str = "osm:n6423672314";
const TAYTOBE: &str = "osm:n3234576060";
const QARABULAQ: &str = "osm:n2599328505";

async fn import_text(store: &Store, layer: Layer, name: &str, text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    import_path(store, layer, &path).await;
}

async fn import_path(store: &Store, layer: Layer, path: &std::path::Path) {
    let import = auyl_io::import_file(path, layer, &ImportOptions::default()).unwrap();
    let records: Vec<_> = import.records.into_iter().map(|(_, r)| r).collect();
    store
        .import(
            layer,
            &records,
            &ImportRun {
                source: "test",
                at: "2026-01-03T00:00:00Z",
                mode: WriteMode::Write,
                progress: &|_| {},
            },
        )
        .await
        .unwrap();
}

async fn with_backbone(env: &Env) {
    import_text(&env.store, Layer::BackboneNodes, "nodes.csv", NODES).await;
    import_text(&env.store, Layer::FibreRoutes, "fibre.geojson", FIBRE).await;
    import_path(&env.store, Layer::Power, &demo_file("power.csv")).await;
}

fn impacts(v: &Value) -> Vec<(String, u64)> {
    v["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["people"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn people_of(v: &Value, id: &str) -> Option<u64> {
    impacts(v).into_iter().find(|(x, _)| x == id).map(|x| x.1)
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["settlement_id"].as_str().unwrap().to_string())
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

async fn post(env: &Env, who: char, path: &str, body: Value) -> (StatusCode, Value) {
    env.send("POST", path, Some(who), body).await
}

#[tokio::test]
async fn single_failures_scenarios_and_scope_on_both_backends() {
    for db in auyl_testkit::both_backends().await {
        let backend = db.backend;
        let env = env_on(db, auyl_server::Config::default()).await;
        with_backbone(&env).await;

        // The whole network, for the ministry.
        let (s, sum) = env.get("/api/resilience/latest", Some('M')).await;
        assert_eq!(s, StatusCode::OK, "{backend}: {sum}");
        assert_eq!(sum["network"]["plan"], "fixture-small@1");
        let t = &sum["totals"];
        assert_eq!(t["settlements"], 6, "{backend}: {t}");
        assert_eq!(t["people"], 422 + 688 + 388 + 171 + 333 + 1188);
        assert_eq!(t["unreachable_settlements"], 1);
        assert_eq!(t["unreachable_people"], 1188);
        let (_, spof) = env
            .get("/api/resilience/latest/spof?limit=1000", Some('M'))
            .await;
        assert_eq!(people_of(&spof, "core:astana"), Some(1831), "{spof}");
        assert_eq!(people_of(&spof, "f:ast-101#0"), Some(1498));
        assert_eq!(people_of(&spof, "pop:abay-101"), Some(1498));
        assert_eq!(people_of(&spof, "f:101-102#0"), Some(388));
        assert_eq!(people_of(&spof, "pop:abay-102"), Some(388));
        assert_eq!(
            impacts(&spof)[0].0,
            "core:astana",
            "ranked: most people first"
        );
        let p: Vec<u64> = impacts(&spof).iter().map(|x| x.1).collect();
        assert!(p.windows(2).all(|w| w[0] >= w[1]));
        assert!(
            p.iter().all(|&x| x > 0),
            "only elements cutting someone off"
        );
        // A settlement's own access node is not listed as a single point of failure.
        assert_eq!(people_of(&spof, ABRALY), None);
        assert_eq!(spof["matched"], t["single_points"]);
        // Paging.
        let (_, page) = env
            .get("/api/resilience/latest/spof?offset=1&limit=2", Some('M'))
            .await;
        assert_eq!(impacts(&page), impacts(&spof)[1..3].to_vec());
        let (s, body) = env
            .get("/api/resilience/latest/spof?kind=castle", Some('M'))
            .await;
        assert_error(s, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
        let (_, every) = env
            .get("/api/resilience/latest/spof?all=true&limit=1000", Some('M'))
            .await;
        assert!(every["matched"].as_u64().unwrap() > spof["matched"].as_u64().unwrap());
        assert!(
            impacts(&every).iter().any(|x| x.1 == 0),
            "redundant elements too"
        );
        let (_, big) = env
            .get(
                "/api/resilience/latest/spof?min_people=1000&limit=1000",
                Some('M'),
            )
            .await;
        assert!(impacts(&big).iter().all(|x| x.1 >= 1000));
        assert_eq!(people_of(&big, "pop:abay-102"), None);
        assert_eq!(people_of(&big, "pop:abay-101"), Some(1498));
        let (_, pops) = env
            .get("/api/resilience/latest/spof?kind=pop", Some('M'))
            .await;
        assert_eq!(
            impacts(&pops),
            vec![("pop:abay-101".into(), 1498), ("pop:abay-102".into(), 388)]
        );

        // The akimat of Abai counts its region's settlements; the operator its own.
        let (_, k) = env
            .get("/api/resilience/latest/spof?limit=1000", Some('K'))
            .await;
        assert_eq!(people_of(&k, "core:astana"), Some(1498), "{k}");
        assert_eq!(people_of(&k, "mast:akm-77"), None, "Taytobe is in Akmola");
        let (_, o) = env
            .get("/api/resilience/latest/spof?limit=1000", Some('O'))
            .await;
        assert_eq!(people_of(&o, "core:astana"), Some(388), "{o}");
        assert_eq!(people_of(&o, "abay-1"), None, "kcell's mast");
        let (_, ks) = env.get("/api/resilience/latest", Some('K')).await;
        assert_eq!(ks["totals"]["settlements"], 4);
        assert_eq!(ks["scope"]["region_code"], AKIMAT_REGION);

        // What one element cuts off, listed with locations.
        let (s, e) = env
            .get("/api/resilience/latest/element?id=pop:abay-101", Some('V'))
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        assert_eq!(
            ids(&e["settlements_cut_off"]),
            set(&[ABRALY, ALGHABAS, AQBULAQ])
        );
        assert_eq!(e["element"]["people"], 1498);
        assert_eq!(e["element"]["kind"], "pop");
        assert!(e["settlements_cut_off"][0]["lon_deg"].is_f64());
        assert_eq!(
            e["settlements_cut_off"][0]["settlement_id"], ALGHABAS,
            "most people first"
        );
        let (_, e) = env
            .get("/api/resilience/latest/element?id=pop:abay-101", Some('O'))
            .await;
        assert_eq!(ids(&e["settlements_cut_off"]), set(&[AQBULAQ]));
        assert_eq!(e["element"]["people"], 388);
        let (s, body) = env
            .get("/api/resilience/latest/element?id=mast:akm-77", Some('K'))
            .await;
        assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
        let (_, e) = env
            .get("/api/resilience/latest/element?id=mast:akm-77", Some('M'))
            .await;
        assert_eq!(ids(&e["settlements_cut_off"]), set(&[TAYTOBE]));
        let (s, body) = env
            .get("/api/resilience/latest/element?id=nowhere", Some('M'))
            .await;
        assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");

        // The elements for the map: points and lines, no settlement access nodes.
        let (_, fc) = env.get("/api/resilience/latest/elements", Some('M')).await;
        let feats = fc["features"].as_array().unwrap();
        let find = |id: &str| feats.iter().find(|f| f["properties"]["id"] == id);
        assert_eq!(find("core:astana").unwrap()["geometry"]["type"], "Point");
        let f = find("f:ast-101#0").unwrap();
        assert_eq!(f["geometry"]["type"], "LineString");
        assert_eq!(f["properties"]["people"], 1498);
        assert_eq!(f["properties"]["role"], "link");
        assert!(find(ABRALY).is_none());
        assert!(
            feats.iter().any(|f| f["properties"]["people"] == 0),
            "redundant elements are drawn too"
        );
        let (_, kfc) = env.get("/api/resilience/latest/elements", Some('K')).await;
        let kfeats = kfc["features"].as_array().unwrap();
        assert!(!kfeats.is_empty() && kfeats.len() < feats.len());
        assert!(
            kfeats
                .iter()
                .all(|f| f["properties"]["people"].as_u64().unwrap() > 0)
        );
        assert!(
            kfeats
                .iter()
                .all(|f| f["properties"]["id"] != "mast:akm-77")
        );

        // Who is at risk: every settlement of the network, with its worst failure.
        let (_, heat) = env
            .get("/api/resilience/latest/settlements", Some('M'))
            .await;
        let hf = heat["features"].as_array().unwrap();
        assert_eq!(hf.len(), 6);
        let prop = |id: &str| {
            hf.iter().find(|f| f["properties"]["id"] == id).unwrap()["properties"].clone()
        };
        assert_eq!(prop(QARABULAQ)["reached"], false);
        assert_eq!(prop(ABRALY)["at_risk"], true);
        assert_eq!(prop(ABRALY)["at_risk_shared"], true);
        assert_eq!(prop(ABRALY)["worst_id"], "core:astana");
        assert_eq!(prop(ABRALY)["worst_people"], 1831);
        // The satellite village shares no ground failure; its one satellite link is its own.
        assert_eq!(prop(AYNABULAQ)["at_risk"], true);
        assert_eq!(prop(AYNABULAQ)["at_risk_shared"], false);
        assert_eq!(prop(AYNABULAQ)["worst_id"], format!("{AYNABULAQ}:sat"));
        assert_eq!(prop(AYNABULAQ)["worst_people"], 171);
        let (_, kheat) = env
            .get("/api/resilience/latest/settlements", Some('K'))
            .await;
        assert_eq!(kheat["features"].as_array().unwrap().len(), 4);

        // One settlement: every single failure that cuts it off, worst first.
        let (s, st) = env
            .get(
                &format!("/api/resilience/latest/settlements/{AQBULAQ}"),
                Some('O'),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{st}");
        assert_eq!(st["in_network"], true);
        let failures: Vec<&str> = st["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(failures[0], "core:astana", "{failures:?}");
        for want in ["f:ast-101#0", "pop:abay-101", "f:101-102#0", "pop:abay-102"] {
            assert!(failures.contains(&want), "{want} in {failures:?}");
        }
        assert!(!failures.contains(&AQBULAQ), "not its own access node");
        let (_, semey) = env
            .get(
                "/api/resilience/latest/settlements/osm:n27524816",
                Some('K'),
            )
            .await;
        assert_eq!(semey["in_network"], false, "Semey is not in the plan");
        let (s, body) = env
            .get(
                &format!("/api/resilience/latest/settlements/{TAYTOBE}"),
                Some('K'),
            )
            .await;
        assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");

        // A flood around pop:abay-101, as a circle and as a GeoJSON polygon: the same 1,498
        // people for the 36 hours of the repair.
        let circle = json!({"kind": "hazard", "repair_hours": 36,
            "area": {"circle": {"lon_deg": 77.2, "lat_deg": 49.2, "radius_km": 5}}});
        let (s, h) = post(&env, 'M', "/api/resilience/latest/scenario", circle.clone()).await;
        assert_eq!(s, StatusCode::OK, "{h}");
        assert_eq!(h["result"]["people_cut_off"], 1498, "{h}");
        assert_eq!(h["result"]["longest_h"], 36.0);
        assert_eq!(
            ids(&h["settlements_cut_off"]),
            set(&[ABRALY, ALGHABAS, AQBULAQ])
        );
        assert!(
            h["elements_failing_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == "pop:abay-101")
        );
        let square = json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
            "coordinates": [[[77.15, 49.15], [77.25, 49.15], [77.25, 49.25], [77.15, 49.25], [77.15, 49.15]]]}});
        let (s, hp) = post(
            &env,
            'V',
            "/api/resilience/latest/scenario",
            json!({"kind": "hazard", "repair_hours": 36, "area": {"geojson": square}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{hp}");
        assert_eq!(hp["result"], h["result"]);
        let (_, ho) = post(&env, 'O', "/api/resilience/latest/scenario", circle).await;
        assert_eq!(
            ho["result"]["people_cut_off"], 388,
            "the operator's settlements only"
        );
        // A 12-hour power cut over the Abai region: every grid-fed node there runs on its 4-hour
        // battery, so the region's four settlements are cut off from hour 4 to hour 12.
        let power = json!({"kind": "power", "hours": 12, "area": {"code": AKIMAT_REGION}});
        let (s, pw) = post(&env, 'K', "/api/resilience/latest/scenario", power).await;
        assert_eq!(s, StatusCode::OK, "{pw}");
        assert_eq!(
            pw["result"]["people_cut_off"],
            422 + 688 + 388 + 171,
            "{pw}"
        );
        assert_eq!(pw["result"]["longest_h"], 8.0);
        assert_eq!(pw["settlements_cut_off"][0]["from_h"], 4.0);
        // Batteries bridge a 3-hour cut.
        let (_, short) = post(
            &env,
            'M',
            "/api/resilience/latest/scenario",
            json!({"kind": "power", "hours": 3, "area": {"code": AKIMAT_REGION}}),
        )
        .await;
        assert_eq!(short["result"]["people_cut_off"], 0, "{short}");
        // k random failures: seeded, so the same request gives the same answer.
        let random = json!({"kind": "random", "k": 2, "trials": 300, "seed": 9});
        let (s, r1) = post(&env, 'M', "/api/resilience/latest/scenario", random.clone()).await;
        assert_eq!(s, StatusCode::OK, "{r1}");
        let (_, r2) = post(&env, 'M', "/api/resilience/latest/scenario", random).await;
        assert_eq!(r1["result"], r2["result"]);
        let e = &r1["result"]["people"];
        assert!(e["ci95_low"].as_f64().unwrap() <= e["mean"].as_f64().unwrap());
        assert!(e["mean"].as_f64().unwrap() <= e["ci95_high"].as_f64().unwrap());
        assert!(r1["result"]["people_max"].as_u64().unwrap() <= 1831 + 171);
        // Bad scenarios are 422 with a reason.
        for (body, says) in [
            (json!({"kind": "earthquake"}), "kind"),
            (json!({"kind": "power", "hours": 5}), "area"),
            (
                json!({"kind": "power", "area": {"code": AKIMAT_REGION}}),
                "hours",
            ),
            (json!({"kind": "hazard", "area": {"code": "999"}}), "999"),
            (
                json!({"kind": "hazard", "area": {"code": AKIMAT_REGION, "bbox": [1, 2, 3, 4]}}),
                "exactly one",
            ),
            (
                json!({"kind": "hazard", "area": {"geojson": {"type": "Point", "coordinates": [77, 49]}}}),
                "Point",
            ),
            (
                json!({"kind": "hazard", "area": {"bbox": [78, 49, 77, 50]}}),
                "west < east",
            ),
            (
                json!({"kind": "power", "hours": -1, "area": {"code": AKIMAT_REGION}}),
                "hours",
            ),
            (json!({"kind": "random", "k": 100000}), "k"),
        ] {
            let (s, b) = post(&env, 'M', "/api/resilience/latest/scenario", body.clone()).await;
            assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
            assert!(
                b["message"].as_str().unwrap().contains(says),
                "{body} → {b}"
            );
        }

        // Redundancy for settlements of 300 people or more: a bound under the cost, a curve
        // ending at what the proposal protects; Taytobe, behind the only ground core with no
        // other network within reach, stays unprotected.
        let (s, red) = env
            .get(
                "/api/resilience/latest/redundancy?min_people=300",
                Some('M'),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{red}");
        let p = &red["redundancy"];
        assert_eq!(p["targets"], 4, "Abraly, Alghabas, Aqbulaq, Taytobe: {p}");
        let (cost, bound) = (
            p["cost_usd"].as_f64().unwrap(),
            p["lower_bound_usd"].as_f64().unwrap(),
        );
        assert!(bound <= cost + 1e-6, "bound {bound}, cost {cost}");
        let curve = p["curve"].as_array().unwrap();
        assert!(curve.len() >= 2);
        assert_eq!(
            curve.last().unwrap()["people_protected"],
            p["people_protected_after"]
        );
        assert!(p["protected_after"].as_u64().unwrap() >= p["protected_before"].as_u64().unwrap());
        let unprotected: Vec<&str> = p["unprotected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["settlement_id"].as_str().unwrap())
            .collect();
        assert!(unprotected.contains(&TAYTOBE), "{p}");
        assert_eq!(
            unprotected.len() as u64 + p["protected_after"].as_u64().unwrap(),
            4
        );
        assert_eq!(
            red["additions"]["features"].as_array().unwrap().len(),
            p["additions"].as_array().unwrap().len()
        );

        // The weekly report has the latest plan's resilience by region.
        let (s, html) = env
            .get_bytes("/api/tracking/report?date=2026-06-01&format=html", 'M')
            .await;
        assert_eq!(s, StatusCode::OK);
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.contains("Resilience of plan fixture-small@1"),
            "{backend}"
        );
        assert!(html.contains("core:astana"));
        assert!(html.contains("Abai") || html.contains("100000000"));
        env.store.close().await;
    }
}

#[tokio::test]
async fn the_network_is_analysed_once_and_again_when_the_registry_changes() {
    let env = env().await;
    with_backbone(&env).await;
    // Four requests at once: one build, shared.
    let (a, b, c, d) = tokio::join!(
        env.get("/api/resilience/latest", Some('M')),
        env.get("/api/resilience/latest/spof", Some('V')),
        env.get("/api/resilience/latest", Some('K')),
        env.get("/api/resilience/fixture-small@1", Some('A')),
    );
    for (s, v) in [&a, &b, &c, &d] {
        assert_eq!(*s, StatusCode::OK, "{v}");
    }
    let build = a.1["network"]["build"].as_u64().unwrap();
    assert_eq!(c.1["network"]["build"], build);
    assert_eq!(
        d.1["network"]["build"], build,
        "latest and its label are one network"
    );
    let (_, again) = env.get("/api/resilience/latest", Some('O')).await;
    assert_eq!(again["network"]["build"], build, "served from the cache");
    let (_, spof) = env
        .get("/api/resilience/latest/spof?limit=1000", Some('M'))
        .await;
    assert_eq!(people_of(&spof, "f:ast-101#0"), Some(1498));
    // A ring closed in the registry (as an import in another process would): seen at once.
    let version = a.1["network"]["registry_version"].as_i64().unwrap();
    import_text(&env.store, Layer::FibreRoutes, "ring.geojson", RING).await;
    let (_, after) = env.get("/api/resilience/latest", Some('M')).await;
    assert!(after["network"]["build"].as_u64().unwrap() > build);
    assert!(after["network"]["registry_version"].as_i64().unwrap() > version);
    let (_, spof) = env
        .get("/api/resilience/latest/spof?limit=1000", Some('M'))
        .await;
    assert_eq!(
        people_of(&spof, "f:ast-101#0"),
        None,
        "the ring makes it redundant"
    );
    assert_eq!(
        people_of(&spof, "pop:abay-101"),
        Some(1110),
        "Abraly and Alghabas still hang off it"
    );
    assert_eq!(people_of(&spof, "core:astana"), Some(1831));
    // The registry's network alone: settlements within 30 km of a backbone node attached to it.
    let (s, ex) = env.get("/api/resilience/existing", Some('M')).await;
    assert_eq!(s, StatusCode::OK, "{ex}");
    assert_eq!(ex["network"]["plan"], "existing");
    assert!(
        ex["network"]["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a
                .as_str()
                .unwrap()
                .contains("attached to the nearest backbone node"))
    );
    // Unknown plans are 404.
    let (s, body) = env.get("/api/resilience/nope@3", Some('M')).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn without_backbone_or_plan_there_is_nothing_to_analyse() {
    let env = env().await;
    let (s, body) = env.get("/api/resilience/existing", Some('M')).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "no_network");
}
